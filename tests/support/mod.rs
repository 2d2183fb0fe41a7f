//! The scripted simulator the client and server tests share: a warehouse that answers a few
//! known statements, an answerer that maps known questions to SQL, text or a clarification,
//! and a two-question space.

#![allow(dead_code)] // each test binary uses a different part

pub mod cli;
pub mod client;
pub mod repo;

use std::collections::BTreeMap;

use genie_gitops::model::result::{ResultColumn, ResultSet};
use genie_gitops::sim::answer::Answer;
use genie_gitops::sim::server::answerer::Answerer;
use genie_gitops::sim::server::warehouse::{SqlFailure, Warehouse};
use serde_json::{Value, json};

pub const BOOKINGS: &str = "main.wanderbricks.bookings";
pub const COUNT_SQL: &str = "SELECT COUNT(*) AS n FROM main.wanderbricks.bookings";
pub const WRONG_COUNT_SQL: &str = "SELECT COUNT(*) AS n FROM main.wanderbricks.bookings WHERE 0";
pub const REGIONS_SQL: &str = "SELECT region, n FROM main.wanderbricks.regions";
pub const BAD_SQL: &str = "SELECT nope FROM main.wanderbricks.bookings";
pub const REGIONS: [&str; 5] = ["EU", "US", "APAC", "LATAM", "MEA"];
pub const Q1: &str = "01000000000000000000000000000001";
pub const Q2: &str = "01000000000000000000000000000002";

pub fn result(columns: &[(&str, &str)], rows: Vec<Vec<Option<String>>>) -> ResultSet {
    ResultSet {
        columns: columns
            .iter()
            .map(|(name, type_name)| ResultColumn {
                name: (*name).to_owned(),
                type_name: (*type_name).to_owned(),
            })
            .collect(),
        rows: rows.into(),
        truncated: false,
    }
}

pub fn scripted_warehouse() -> Warehouse {
    let one = |n: &str| vec![vec![Some(n.to_owned())]];
    let regions = REGIONS
        .iter()
        .map(|r| vec![Some((*r).to_owned()), Some("7".to_owned())])
        .collect();
    let mut results = BTreeMap::new();
    results.insert(
        COUNT_SQL.to_owned(),
        Ok(result(&[("n", "LONG")], one("20000"))),
    );
    results.insert(
        WRONG_COUNT_SQL.to_owned(),
        Ok(result(&[("n", "LONG")], one("0"))),
    );
    results.insert(
        REGIONS_SQL.to_owned(),
        Ok(result(&[("region", "STRING"), ("n", "LONG")], regions)),
    );
    results.insert(
        BAD_SQL.to_owned(),
        Err(SqlFailure {
            error_class: "UNRESOLVED_COLUMN.WITH_SUGGESTION".to_owned(),
            sql_state: "42703".to_owned(),
            message: "A column `nope` cannot be resolved.".to_owned(),
        }),
    );
    Warehouse::Scripted {
        tables: [BOOKINGS.to_owned()].into(),
        results,
    }
}

pub fn sql_answer(sql: &str) -> Answer {
    Answer::Sql {
        sql: sql.to_owned(),
        description: "Counts bookings.".to_owned(),
        trusted: false,
        trace: vec![],
    }
}

pub fn answerer() -> Answerer {
    let mut script = BTreeMap::new();
    script.insert("How many bookings?".to_owned(), sql_answer(COUNT_SQL));
    script.insert(
        "How many bookings, wrongly?".to_owned(),
        sql_answer(WRONG_COUNT_SQL),
    );
    script.insert("Bookings per region?".to_owned(), sql_answer(REGIONS_SQL));
    script.insert("Broken question".to_owned(), sql_answer(BAD_SQL));
    script.insert(
        "Which revenue?".to_owned(),
        Answer::Clarification {
            text: "Do you mean booking totals or payments?".to_owned(),
        },
    );
    script.insert(
        "Hello".to_owned(),
        Answer::Text {
            text: "Hi! Ask me about bookings.".to_owned(),
        },
    );
    Answerer::Scripted(script)
}

pub fn space_json() -> Value {
    json!({
        "version": 2,
        "data_sources": {"tables": [{"identifier": BOOKINGS}]},
        "benchmarks": {"questions": [
            {"id": Q1, "question": ["How many bookings?"],
             "answer": [{"format": "SQL", "content": [COUNT_SQL]}]},
            {"id": Q2, "question": ["How many bookings, wrongly?"],
             "answer": [{"format": "SQL", "content": [COUNT_SQL]}]},
        ]},
    })
}
