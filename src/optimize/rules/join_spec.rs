//! Wrong join path → the gold's join edges declared: a Unity Catalog foreign key (lever 1, when
//! the tables file defines the table) and, if the failure persists, a space join spec with its
//! relationship (lever 6).
//!
//! Fires when Genie joined tables the gold does not (or missed a gold edge between tables it
//! read). Every gold edge that is a single-key equality and not yet declared becomes one
//! proposal. The "one" side of the relationship is the table the key is named after
//! (`property_id` → `properties`, `country` → `countries`); with no such evidence the edge is
//! many-to-many, which still makes it the preferred path. Example: gold
//! `bookings b JOIN properties p ON b.property_id = p.property_id`, Genie joined `users` →
//! join spec `bookings.property_id = properties.property_id`, MANY_TO_ONE.
//!
//! Databricks accepts a foreign key only to its parent's primary key, so the lever-1 proposal
//! reads the parent's entry in the tables file: with no primary key declared there, the same
//! proposal also declares it on the referenced column (the foreign key is named after the
//! parent, which makes that column its identifier); with that very key declared, only the
//! foreign key is proposed. No foreign key is proposed when the parent declares a different
//! primary key (the key would be refused), when the tables file does not define the parent
//! (its key is unknown) or defines it without the referenced column; the lever-6 join spec is
//! still proposed for the same edge.

use std::collections::{BTreeMap, BTreeSet};

use crate::eval::taxonomy::FailureType;
use crate::model::space::{JoinSide, JoinSpec, Relationship};
use crate::model::tables::{self, TableMeta};
use crate::patch::{ForeignKeySpec, Op, Patch};

use super::super::context::{Context, short};
use super::super::phrase::stem;
use super::super::proposal::Proposal;
use super::and_list;

/// One side of an equality: table and column, both short and lower case.
type Side = (String, String);

/// Proposals for lever 1 (foreign keys) or lever 6 (join specs).
pub fn propose(lever: u8, ctx: &Context) -> Vec<Proposal> {
    if lever != 1 && lever != 6 {
        return Vec::new();
    }
    let mut edges: BTreeMap<(Side, Side), BTreeSet<String>> = BTreeMap::new();
    for (question, case) in &ctx.failures {
        if !case
            .findings
            .iter()
            .any(|f| f.failure == FailureType::WrongJoin)
        {
            continue;
        }
        for edge in &question.gold.joins {
            let [key] = edge.keys.as_slice() else {
                continue;
            };
            let Some((left, right)) = equality(key) else {
                continue;
            };
            if !declared(ctx, &left.0, &right.0) {
                edges
                    .entry(oriented(left, right))
                    .or_default()
                    .insert(question.id.clone());
            }
        }
    }
    edges
        .into_iter()
        .filter_map(|((many, one), targets)| proposal(lever, ctx, &many, &one, targets))
        .collect()
}

/// `a.x = b.y` → ((a, x), (b, y)).
fn equality(key: &str) -> Option<(Side, Side)> {
    let (l, r) = key.split_once('=')?;
    let side = |s: &str| {
        let (t, c) = s.trim().rsplit_once('.')?;
        Some((short(t), c.trim().to_lowercase()))
    };
    Some((side(l)?, side(r)?))
}

/// Whether a join spec already links the two tables.
fn declared(ctx: &Context, a: &str, b: &str) -> bool {
    ctx.space.join_specs().iter().any(|j| {
        let (l, r) = (short(&j.left.identifier), short(&j.right.identifier));
        (l == a && r == b) || (l == b && r == a)
    })
}

/// Whether `column` is named after `table` (`property_id` or `property` for `properties`).
fn named_after(column: &str, table: &str) -> bool {
    let entity = stem(table);
    column == entity || column == format!("{entity}_id")
}

/// (many side, one side); the "one" side is the table its key is named after.
fn oriented(a: Side, b: Side) -> (Side, Side) {
    if named_after(&a.1, &a.0) && !named_after(&b.1, &b.0) {
        (b, a)
    } else {
        (a, b)
    }
}

fn relationship(many: &Side, one: &Side) -> Relationship {
    if named_after(&one.1, &one.0) {
        Relationship::ManyToOne
    } else if named_after(&many.1, &many.0) {
        Relationship::OneToMany
    } else {
        Relationship::ManyToMany
    }
}

fn proposal(
    lever: u8,
    ctx: &Context,
    many: &Side,
    one: &Side,
    targets: BTreeSet<String>,
) -> Option<Proposal> {
    let rel = relationship(many, one);
    let fk_possible = ctx.lever_enabled(1)
        && rel == Relationship::ManyToOne
        && ctx.tables_file_table(&many.0).is_some();
    let patches = match lever {
        1 if fk_possible => foreign_key(ctx, many, one)?,
        6 => vec![join_spec(ctx, many, one, rel)?],
        _ => return None,
    };
    let rationale = format!(
        "declares the join {}.{} = {}.{} ({}) the answers to {} missed",
        many.0,
        many.1,
        one.0,
        one.1,
        rel.as_str(),
        and_list(&targets)
    );
    Some(Proposal::new(
        "join_spec",
        lever,
        patches,
        targets,
        rationale,
    ))
}

/// The foreign key `many → one`, preceded by the parent's primary key when the tables file
/// declares none; `None` when Databricks would refuse the key (see the module docs).
fn foreign_key(ctx: &Context, many: &Side, one: &Side) -> Option<Vec<Patch>> {
    let located = ctx.tables_file_table(&many.0)?;
    let parent = tables_file_entry(ctx, &one.0)?;
    let key_column = match &parent.columns[..] {
        [] => one.1.clone(),
        columns => columns
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&one.1))?
            .name
            .clone(),
    };
    let mut patches = Vec::new();
    match &parent.primary_key[..] {
        [] => patches.push(Patch::new(Op::SetUcPrimaryKey {
            file: located.file.clone(),
            table: parent.name.clone(),
            old: Vec::new(),
            new: vec![key_column.clone()],
        })),
        [key] if key.eq_ignore_ascii_case(&key_column) => {}
        _ => return None, // a different primary key: the foreign key would be refused
    }
    patches.push(Patch::new(Op::AddUcForeignKey {
        file: located.file,
        table: located.name,
        foreign_key: ForeignKeySpec {
            columns: vec![many.1.clone()],
            references: format!("{}({key_column})", parent.name),
            name: None,
        },
    }));
    Some(patches)
}

/// The tables file's entry of `table` (by its last name part).
fn tables_file_entry(ctx: &Context, table: &str) -> Option<TableMeta> {
    let text = ctx.snapshot.get(&ctx.files.tables)?;
    tables::load(&ctx.files.tables, text)
        .value
        .tables
        .into_iter()
        .find(|t| short(&t.name) == short(table))
}

fn join_spec(ctx: &Context, many: &Side, one: &Side, rel: Relationship) -> Option<Patch> {
    let side = |s: &Side| -> Option<JoinSide> {
        Some(JoinSide {
            identifier: ctx.source(&s.0)?.identifier.clone(),
            alias: Some(s.0.clone()),
            ..JoinSide::default()
        })
    };
    Some(Patch::new(Op::AddJoinSpec {
        file: ctx.space_path.to_owned(),
        join: JoinSpec {
            left: side(many)?,
            right: side(one)?,
            sql: vec![
                format!("`{}`.`{}` = `{}`.`{}`", many.0, many.1, one.0, one.1),
                rel.marker(),
            ],
            ..JoinSpec::default()
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::taxonomy::Finding;
    use crate::model::settings::DurableFiles;
    use crate::model::snapshot::RepoSnapshot;
    use crate::optimize::case::{FailureCase, Question, Role};
    use crate::optimize::context::{Schema, Settings};
    use crate::optimize::rules::tests::{SPACE, SPACE_TEXT, failure, question};

    const GOLD: &str = "SELECT c.name, COUNT(*) FROM orders o JOIN customers c ON o.customer_id = c.customer_id GROUP BY c.name";
    const ACTUAL: &str = "SELECT name, COUNT(*) FROM orders GROUP BY name";

    /// A tables file in which `customers` declares `key` (`None`: no primary key).
    fn tables_file(key: Option<&str>) -> String {
        let key = key.map_or_else(String::new, |k| format!("    primary_key: [{k}]\n"));
        format!(
            "tables:\n  - name: main.shop.orders\n    columns:\n      - name: customer_id\n  - name: main.shop.customers\n{key}    columns:\n      - name: customer_id\n      - name: email\n"
        )
    }

    /// The lever-1 proposals for one wrong-join failure, over `tables`.
    fn lever_one(tables: &str) -> Vec<Proposal> {
        let mut snapshot = RepoSnapshot::new();
        snapshot.insert(SPACE, SPACE_TEXT);
        let files = DurableFiles::default();
        snapshot.insert(&files.tables, tables);
        let q: Question = question("q1", "Orders per customer", GOLD, Role::Train);
        let mut case: FailureCase = failure(&q, ACTUAL);
        case.findings = vec![Finding::whole(FailureType::WrongJoin, "join missing")];
        let (schema, settings) = (Schema::default(), Settings::default());
        let ctx = Context::new(
            &snapshot,
            SPACE,
            &files,
            &schema,
            &settings,
            std::slice::from_ref(&q),
            std::slice::from_ref(&case),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        propose(1, &ctx)
    }

    fn summaries(proposals: &[Proposal]) -> Vec<String> {
        proposals
            .iter()
            .flat_map(|p| &p.patches)
            .map(Patch::summary)
            .collect()
    }

    #[test]
    fn a_parent_without_a_primary_key_gets_one_in_the_same_proposal_as_the_foreign_key() {
        let out = lever_one(&tables_file(None));
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(
            summaries(&out),
            [
                "lever 1 · customers · add primary key (customer_id)",
                "lever 1 · orders(customer_id) · add foreign key → main.shop.customers(customer_id)"
            ]
        );
    }

    #[test]
    fn a_parent_keyed_on_the_referenced_column_gets_only_the_foreign_key() {
        let out = lever_one(&tables_file(Some("customer_id")));
        assert_eq!(
            summaries(&out),
            ["lever 1 · orders(customer_id) · add foreign key → main.shop.customers(customer_id)"]
        );
    }

    #[test]
    fn a_parent_keyed_on_other_columns_gets_no_foreign_key() {
        assert_eq!(lever_one(&tables_file(Some("email"))), Vec::new());
    }
}
