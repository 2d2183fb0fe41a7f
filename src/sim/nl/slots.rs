//! Slot filling and rendering: from linked mentions to one Databricks SQL query.
//!
//! Slots are {measure, dimensions, filters, time range + date column, order/limit}. The measure
//! comes from a metric-view measure, a measure snippet or an instruction term before a numeric
//! column with an aggregation word, and falls back to `COUNT(*)` of the counted table. When the
//! measure belongs to a registered metric view and every other slot maps onto its dimensions,
//! the query reads the metric view with `MEASURE()`. Otherwise the fact table is joined to the
//! other tables along the cheapest join path ([`super::joins`]). A mention whose two best
//! readings are columns of different tables within [`EPSILON`] makes the engine ask instead.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::sync::LazyLock;

use regex::Regex;

use super::instructions::Rule;
use super::joins;
use super::knowledge::{Knowledge, SnippetKind, short_name};
use super::lexicon::{Mention, Target, ValueLink, describe};
use super::question::{AggWord, Question, stem};

/// Two readings closer than this are a tie.
pub const EPSILON: f64 = 0.05;

/// What slot filling produced.
pub enum Filled {
    Sql {
        sql: String,
        description: String,
        trace: Vec<String>,
    },
    Clarify(String),
}

/// A mention reduced to one reading.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub target: Target,
    pub score: f64,
    pub at: usize,
    pub evidence: &'static str,
}

static QUALIFIED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(\w+)\.(\w+)\b").unwrap_or_else(|e| panic!("built-in pattern: {e}"))
});

/// Picks each mention's reading; `Err` names the tie that needs a clarification.
pub fn resolve(
    k: &Knowledge,
    mentions: &[Mention],
    jitter: &dyn Fn(Target) -> f64,
) -> Result<Vec<Resolved>, String> {
    let mentioned_tables: BTreeSet<(usize, usize)> = mentions
        .iter()
        .enumerate()
        .flat_map(|(i, m)| m.candidates.iter().map(move |c| (i, c)))
        .filter(|(_, c)| c.score >= 0.85)
        .filter_map(|(i, c)| match c.target {
            Target::Table(t) => Some((i, t)),
            _ => None,
        })
        .collect();
    let mut out = Vec::new();
    for (mi, m) in mentions.iter().enumerate() {
        let mut scored: Vec<(Target, f64, &'static str)> = m
            .candidates
            .iter()
            .map(|c| {
                let context = match c.target {
                    Target::Column(t, _)
                        if mentioned_tables.iter().any(|&(i, mt)| i != mi && mt == t) =>
                    {
                        0.1
                    }
                    _ => 0.0,
                };
                (c.target, c.score + context + jitter(c.target), c.evidence)
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let Some(&(target, score, evidence)) = scored.first() else {
            continue;
        };
        if let Some(&(second, s2, _)) = scored.get(1) {
            let rival_columns =
                matches!((target, second), (Target::Column(a, _), Target::Column(b, _)) if a != b);
            if rival_columns && score - s2 < EPSILON && score >= 0.5 {
                return Err(format!(
                    "Which do you mean by \"{}\": {} or {}?",
                    m.words,
                    describe(k, target),
                    describe(k, second)
                ));
            }
        }
        out.push(Resolved {
            target,
            score,
            at: m.at,
            evidence,
        });
    }
    Ok(out)
}

#[derive(Default)]
struct Slots {
    measure: Option<(String, String)>,
    measure_tables: BTreeSet<usize>,
    mv_measure: Option<(usize, usize)>,
    dims: Vec<Dim>,
    filters: Vec<(String, BTreeSet<usize>)>,
    mv_filters: Vec<(Target, String)>,
    date_column: Option<(usize, usize)>,
    mv_date: Option<(usize, usize)>,
    counted: Option<usize>,
    list_column: Option<(usize, usize)>,
    trace: Vec<String>,
}

#[derive(Clone, Copy)]
enum Dim {
    Column(usize, usize),
    Mv(usize, usize),
}

fn tables_in(k: &Knowledge, sql: &str) -> BTreeSet<usize> {
    QUALIFIED
        .captures_iter(sql)
        .filter_map(|c| k.table(c.get(1)?.as_str()))
        .collect()
}

fn after_group_mark(q: &Question, at: usize) -> bool {
    q.group_marks.iter().any(|&g| g < at)
}

/// Fills the slots and renders the query.
pub fn fill(k: &Knowledge, q: &Question, resolved: &[Resolved], values: &[ValueLink]) -> Filled {
    let mut s = Slots::default();
    let ranking = q.limit.is_some() || q.descending.is_some();
    let mut tables_seen: Vec<usize> = Vec::new();
    let mut numeric: Vec<(usize, usize, usize)> = Vec::new();
    for r in resolved {
        let grouped = after_group_mark(q, r.at);
        match r.target {
            Target::Table(t) => tables_seen.push(t),
            Target::Column(t, c) => {
                let col = &k.tables[t].columns[c];
                if col.is_date() {
                    s.date_column.get_or_insert((t, c));
                } else if col.is_boolean() && !grouped {
                    s.filters.push((
                        format!("{}.{} = TRUE", k.tables[t].short(), col.name),
                        BTreeSet::from([t]),
                    ));
                    s.trace.push(format!(
                        "filter: {}.{} (boolean {})",
                        k.tables[t].short(),
                        col.name,
                        r.evidence
                    ));
                } else if col.is_numeric() && !col.is_key() {
                    numeric.push((t, c, r.at));
                } else if grouped
                    || ranking
                    || s.dims.is_empty() && q.raw.to_lowercase().starts_with("which")
                {
                    s.dims.push(Dim::Column(t, c));
                    s.trace.push(format!(
                        "dimension: {}.{} ({})",
                        k.tables[t].short(),
                        col.name,
                        r.evidence
                    ));
                } else {
                    tables_seen.push(t);
                }
            }
            Target::MvMeasure(v, i) => {
                s.mv_measure.get_or_insert((v, i));
            }
            Target::MvDimension(v, i) => {
                let is_date = matches!(
                    k.metric_views[v].dimensions[i].data_type.as_str(),
                    "DATE" | "TIMESTAMP"
                );
                if is_date {
                    s.mv_date.get_or_insert((v, i));
                } else {
                    s.dims.push(Dim::Mv(v, i));
                }
            }
            Target::Snippet(i) => {
                let sn = &k.snippets[i];
                let tables = tables_in(k, &sn.sql);
                match sn.kind {
                    SnippetKind::Filter => {
                        s.filters.push((sn.sql.clone(), tables));
                        s.trace
                            .push(format!("filter: {} (sql snippet)", describe(k, r.target)));
                    }
                    SnippetKind::Measure if s.measure.is_none() => {
                        s.measure = Some((sn.sql.clone(), alias_of(&sn.alias)));
                        s.measure_tables = tables;
                        s.trace
                            .push(format!("measure: {} (sql snippet)", describe(k, r.target)));
                    }
                    SnippetKind::Expression => {
                        s.filters.retain(|_| true);
                        s.trace.push(format!(
                            "expression: {} (sql snippet)",
                            describe(k, r.target)
                        ));
                        s.measure_tables.extend(tables);
                    }
                    SnippetKind::Measure => {}
                }
            }
            Target::Term(i) => {
                if let Rule::Define {
                    term,
                    sql,
                    aggregate,
                } = &k.rules[i]
                {
                    let tables = tables_in(k, sql);
                    if *aggregate && s.measure.is_none() {
                        s.measure = Some((sql.clone(), alias_of(term)));
                        s.measure_tables = tables;
                        s.trace.push(format!("measure: instruction \"{term}\""));
                    } else if !*aggregate {
                        s.filters.push((sql.clone(), tables));
                        s.trace.push(format!("filter: instruction \"{term}\""));
                    }
                }
            }
        }
    }
    for v in values {
        let table = &k.tables[v.table];
        let col = &table.columns[v.column];
        s.filters.push((
            format!(
                "{}.{} = '{}'",
                table.short(),
                col.name,
                v.literal.replace('\'', "''")
            ),
            BTreeSet::from([v.table]),
        ));
        s.mv_filters
            .push((Target::Column(v.table, v.column), v.literal.clone()));
        s.trace.push(format!(
            "filter: {}.{} = '{}' ({})",
            table.short(),
            col.name,
            v.literal,
            v.evidence
        ));
    }
    apply_comparisons(k, q, &mut s, &mut numeric);
    choose_measure(k, q, &mut s, &numeric, &tables_seen, ranking);
    if let Some(mv) = s.mv_measure {
        if let Some(filled) = render_metric_view(k, q, &s, mv) {
            return filled;
        }
        s.trace
            .push("metric view skipped: not every part maps onto its dimensions".to_owned());
    }
    render_tables(k, q, s, &tables_seen)
}

fn alias_of(name: &str) -> String {
    let a: String = name
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if a.is_empty() { "value".to_owned() } else { a }
}

fn apply_comparisons(
    k: &Knowledge,
    q: &Question,
    s: &mut Slots,
    numeric: &mut Vec<(usize, usize, usize)>,
) {
    for cmp in &q.comparisons {
        let by_subject = cmp.subject.as_ref().and_then(|subj| {
            k.tables.iter().enumerate().find_map(|(t, table)| {
                table
                    .columns
                    .iter()
                    .position(|c| {
                        c.is_numeric()
                            && !c.is_key()
                            && super::question::content_stems(&c.name).contains(subj)
                    })
                    .map(|c| (t, c))
            })
        });
        let target = by_subject.or_else(|| numeric.last().map(|&(t, c, _)| (t, c)));
        if let Some((t, c)) = target {
            numeric.retain(|&(a, b, _)| (a, b) != (t, c));
            let col = &k.tables[t].columns[c].name;
            s.filters.push((
                format!("{}.{} {} {}", k.tables[t].short(), col, cmp.op, cmp.value),
                BTreeSet::from([t]),
            ));
            s.trace.push(format!(
                "filter: {}.{col} {} {} (comparison)",
                k.tables[t].short(),
                cmp.op,
                cmp.value
            ));
        }
    }
}

fn choose_measure(
    k: &Knowledge,
    q: &Question,
    s: &mut Slots,
    numeric: &[(usize, usize, usize)],
    tables_seen: &[usize],
    ranking: bool,
) {
    if s.measure.is_some() || s.mv_measure.is_some() {
        return;
    }
    if q.agg != Some(AggWord::Count)
        && let Some(&(t, c, _)) = numeric.first()
    {
        let col = &k.tables[t].columns[c];
        let expr = format!("{}.{}", k.tables[t].short(), col.name);
        match q.agg {
            None if ranking && s.dims.is_empty() => {
                s.list_column = Some((t, c));
                s.trace.push(format!("list ordered by {expr}"));
            }
            agg => {
                let agg = agg.unwrap_or(AggWord::Sum);
                s.measure = Some((
                    format!("{}({expr})", agg.sql()),
                    format!("{}_{}", agg.sql().to_lowercase(), col.name),
                ));
                s.trace.push(format!(
                    "measure: {}({expr}) (numeric column + aggregation word)",
                    agg.sql()
                ));
            }
        }
        s.measure_tables = BTreeSet::from([t]);
        return;
    }
    let counted = if ranking && tables_seen.len() > 1 {
        tables_seen.last()
    } else {
        tables_seen.first()
    };
    let counted = counted.copied().or_else(|| match s.dims.first() {
        Some(Dim::Column(t, _)) => Some(*t),
        _ => s.date_column.map(|(t, _)| t).or_else(|| {
            s.filters
                .iter()
                .find_map(|(_, tables)| tables.iter().next().copied())
        }),
    });
    if let Some(t) = counted {
        s.counted = Some(t);
        s.measure = Some(("COUNT(*)".to_owned(), "count".to_owned()));
        s.measure_tables = BTreeSet::from([t]);
        s.trace
            .push(format!("measure: COUNT(*) of {}", k.tables[t].short()));
        if ranking
            && s.dims.is_empty()
            && let Some(grain) = tables_seen.first().filter(|g| **g != t)
            && let Some(c) = display_column(k, *grain)
        {
            s.dims.push(Dim::Column(*grain, c));
            s.trace.push(format!(
                "dimension: {}.{} (entity name)",
                k.tables[*grain].short(),
                k.tables[*grain].columns[c].name
            ));
        }
    }
}

/// The column that names a table's rows: `name`, `title`, the singular table name, else the key.
fn display_column(k: &Knowledge, t: usize) -> Option<usize> {
    let table = &k.tables[t];
    let singular = stem(table.short());
    ["name", "title", singular.as_str()]
        .iter()
        .find_map(|n| table.column(n))
        .or_else(|| table.primary_key.first().and_then(|pk| table.column(pk)))
}

/// The metric-view dimension a column stands for: same name, or `<singular table>_<column>`.
fn mv_dimension_for(k: &Knowledge, v: usize, t: usize, c: usize) -> Option<usize> {
    let table = &k.tables[t];
    let col = &table.columns[c].name;
    let singular = singular(table.short());
    let wanted = [col.clone(), format!("{singular}_{col}")];
    k.metric_views[v]
        .dimensions
        .iter()
        .position(|d| wanted.iter().any(|w| d.name.eq_ignore_ascii_case(w)))
}

fn singular(name: &str) -> String {
    if let Some(s) = name.strip_suffix("ies") {
        format!("{s}y")
    } else {
        name.strip_suffix('s').unwrap_or(name).to_owned()
    }
}

fn render_metric_view(
    k: &Knowledge,
    q: &Question,
    s: &Slots,
    (v, m): (usize, usize),
) -> Option<Filled> {
    let mv = &k.metric_views[v];
    let measure = &mv.measures[m].name;
    let mut dims = Vec::new();
    for d in &s.dims {
        let name = match *d {
            Dim::Mv(dv, i) if dv == v => mv.dimensions[i].name.clone(),
            Dim::Column(t, c) => mv.dimensions[mv_dimension_for(k, v, t, c)?].name.clone(),
            Dim::Mv(..) => return None,
        };
        if !dims.contains(&name) {
            dims.push(name);
        }
    }
    let mut filters = Vec::new();
    for (target, literal) in &s.mv_filters {
        let Target::Column(t, c) = *target else {
            return None;
        };
        let dim = &mv.dimensions[mv_dimension_for(k, v, t, c)?].name;
        filters.push(format!("{dim} = '{}'", literal.replace('\'', "''")));
    }
    if s.filters.len() > s.mv_filters.len() {
        return None;
    }
    if let Some(time) = q.time {
        let date_dim = match s.mv_date {
            Some((dv, i)) if dv == v => Some(i),
            _ => mv
                .dimensions
                .iter()
                .position(|d| matches!(d.data_type.as_str(), "DATE" | "TIMESTAMP")),
        }?;
        let name = &mv.dimensions[date_dim].name;
        filters.push(format!(
            "{name} >= DATE'{}' AND {name} < DATE'{}'",
            time.start, time.end
        ));
    }
    let mut sql = String::from("SELECT ");
    for d in &dims {
        let _ = write!(sql, "{d}, ");
    }
    let _ = write!(sql, "MEASURE({measure}) AS {measure}\nFROM {}", mv.name);
    if !filters.is_empty() {
        let _ = write!(sql, "\nWHERE {}", filters.join("\n  AND "));
    }
    if !dims.is_empty() {
        let _ = write!(sql, "\nGROUP BY {}", dims.join(", "));
    }
    order_and_limit(k, q, &mut sql, measure, !dims.is_empty());
    let mut trace = s.trace.clone();
    trace.push(format!(
        "source: metric view {} (MEASURE({measure}))",
        short_name(&mv.name)
    ));
    Some(Filled::Sql {
        sql,
        description: format!(
            "Computes {measure} from the {} metric view.",
            short_name(&mv.name)
        ),
        trace,
    })
}

fn default_limit(k: &Knowledge) -> Option<u64> {
    k.rules.iter().find_map(|r| match r {
        Rule::DefaultLimit(n) => Some(*n),
        _ => None,
    })
}

fn order_and_limit(k: &Knowledge, q: &Question, sql: &mut String, by: &str, grouped: bool) {
    let ranking = q.limit.is_some() || q.descending.is_some();
    if ranking && (grouped || q.limit.is_some()) {
        let dir = if q.descending == Some(false) {
            "ASC"
        } else {
            "DESC"
        };
        let _ = write!(sql, "\nORDER BY {by} {dir}");
        if let Some(n) = q.limit.or_else(|| default_limit(k)) {
            let _ = write!(sql, "\nLIMIT {n}");
        }
    }
}

fn render_tables(k: &Knowledge, q: &Question, mut s: Slots, tables_seen: &[usize]) -> Filled {
    let fact = s
        .measure_tables
        .iter()
        .next()
        .copied()
        .or(s.list_column.map(|(t, _)| t))
        .or(s.counted)
        .or(tables_seen.first().copied());
    let Some(fact) = fact else {
        return Filled::Clarify(
            "I could not match your question to the data in this space. Could you rephrase it using the names of the tables or columns?"
                .to_owned(),
        );
    };
    let mut needed: BTreeSet<usize> = s.measure_tables.clone();
    for d in &s.dims {
        if let Dim::Column(t, _) = d {
            needed.insert(*t);
        }
    }
    for (_, tables) in &s.filters {
        needed.extend(tables.iter().copied());
    }
    let time_filter = q.time.map(|time| {
        let (t, c) = s
            .date_column
            .filter(|(t, _)| *t == fact || needed.contains(t))
            .or_else(|| {
                k.tables[fact]
                    .columns
                    .iter()
                    .position(|c| c.is_date())
                    .map(|c| (fact, c))
            })
            .map_or((fact, usize::MAX), |x| x);
        (t, c, time)
    });
    if let Some((t, c, _)) = time_filter
        && c != usize::MAX
    {
        needed.insert(t);
        s.trace.push(format!(
            "date column: {}.{}",
            k.tables[t].short(),
            k.tables[t].columns[c].name
        ));
    }
    needed.remove(&fact);
    let Some(steps) = joins::plan(k, fact, &needed) else {
        return Filled::Clarify(
            "I could not find how these tables relate. Could you say which data to use?".to_owned(),
        );
    };
    let mut used: BTreeSet<usize> = BTreeSet::from([fact]);
    used.extend(steps.iter().map(|st| st.table));
    for rule in &k.rules {
        if let Rule::AlwaysFilter {
            table, condition, ..
        } = rule
            && let Some(t) = k.table(table).filter(|t| used.contains(t))
        {
            s.filters.push((condition.clone(), BTreeSet::from([t])));
            s.trace
                .push(format!("filter: {condition} (instruction: always)"));
        }
    }
    let mut wheres: Vec<String> = Vec::new();
    for (f, _) in &s.filters {
        if !wheres.contains(f) {
            wheres.push(f.clone());
        }
    }
    if let Some((t, c, time)) = time_filter
        && c != usize::MAX
    {
        let col = format!("{}.{}", k.tables[t].short(), k.tables[t].columns[c].name);
        wheres.push(format!(
            "{col} >= DATE'{}' AND {col} < DATE'{}'",
            time.start, time.end
        ));
    }
    let dims: Vec<String> = s
        .dims
        .iter()
        .filter_map(|d| match d {
            Dim::Column(t, c) => Some(format!(
                "{}.{}",
                k.tables[*t].short(),
                k.tables[*t].columns[*c].name
            )),
            Dim::Mv(..) => None,
        })
        .collect::<Vec<_>>();
    let mut dims_unique: Vec<String> = Vec::new();
    for d in dims {
        if !dims_unique.contains(&d) {
            dims_unique.push(d);
        }
    }
    let mut sql = String::from("SELECT ");
    let order_by;
    if let Some((t, c)) = s.list_column {
        let col = format!("{}.{}", k.tables[t].short(), k.tables[t].columns[c].name);
        if let Some(name) = display_column(k, t) {
            let _ = write!(
                sql,
                "{}.{}, ",
                k.tables[t].short(),
                k.tables[t].columns[name].name
            );
        }
        let _ = write!(sql, "{col}");
        order_by = col;
    } else {
        let (expr, alias) = s
            .measure
            .clone()
            .unwrap_or(("COUNT(*)".into(), "count".into()));
        for d in &dims_unique {
            let _ = write!(sql, "{d}, ");
        }
        let _ = write!(sql, "{expr} AS {alias}");
        order_by = alias;
    }
    let _ = write!(
        sql,
        "\nFROM {} AS {}",
        k.tables[fact].name,
        k.tables[fact].short()
    );
    for st in &steps {
        let _ = write!(
            sql,
            "\nJOIN {} AS {} ON {}",
            k.tables[st.table].name,
            k.tables[st.table].short(),
            st.condition
        );
        s.trace
            .push(format!("join: {} ({})", st.condition, st.source));
    }
    if !wheres.is_empty() {
        let _ = write!(sql, "\nWHERE {}", wheres.join("\n  AND "));
    }
    if !dims_unique.is_empty() && s.list_column.is_none() {
        let _ = write!(sql, "\nGROUP BY {}", dims_unique.join(", "));
    }
    order_and_limit(k, q, &mut sql, &order_by, !dims_unique.is_empty());
    Filled::Sql {
        description: format!("Answers from the {} table.", k.tables[fact].short()),
        sql,
        trace: s.trace,
    }
}
