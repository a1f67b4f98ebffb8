//! `webhook inbox` against a SQLite inbox seeded through webhook-inbox's API.

mod common;

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use common::*;
use serde_json::{Value, json};
use tempfile::TempDir;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Request, Sink, Verified};
use webhook_inbox::SqliteInbox;

/// An inbox with four rows: 1 pending, 2 dead (charge.failed), 3 done a day ago,
/// 4 dead (customer.created).
fn seeded() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("webhooks.db");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(seed(&db));
    (dir, db)
}

async fn seed(db: &PathBuf) {
    let inbox = SqliteInbox::open(db).await.unwrap();
    let events = [
        "charge.succeeded",
        "charge.failed",
        "charge.succeeded",
        "customer.created",
    ];
    for (n, event) in events.into_iter().enumerate() {
        let fake = FakeDelivery::new(
            ModemPay::default(),
            event,
            json!({ "id": format!("obj_{n}") }),
        );
        let (headers, body) = fake.to_parts();
        let request = Request::new(headers, body);
        let delivery = Verified::check(
            &ModemPay::default(),
            &[test_secret()],
            request,
            SystemTime::now(),
        )
        .unwrap();
        inbox.submit(delivery).await.unwrap();
    }
    let day_ago = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        - 86_400_000;
    // Row 2's last attempt ran and died, as a worker records it (the schema's trigger
    // adds it to the row's timeline).
    sqlx::query("UPDATE webhook_inbox SET state = 'running', last_attempt_us = 1500 WHERE id = 2")
        .execute(inbox.pool())
        .await
        .unwrap();
    let set = "UPDATE webhook_inbox SET state = ?, attempts = ?, last_error = ?, finished_at = ? WHERE id = ?";
    for (id, state, error) in [
        (2, "dead", Some("handler failed: boom")),
        (3, "done", None),
        (4, "dead", Some("gone")),
    ] {
        sqlx::query(set)
            .bind(state)
            .bind(3)
            .bind(error)
            .bind(day_ago)
            .bind(id)
            .execute(inbox.pool())
            .await
            .unwrap();
    }
    inbox.shutdown(Duration::from_secs(1)).await;
}

fn inbox(db: &PathBuf, args: &[&str]) -> assert_cmd::assert::Assert {
    webhook()
        .args(["inbox", "--db"])
        .arg(db)
        .args(args)
        .assert()
}

fn json_of(assert: &assert_cmd::assert::Assert) -> Value {
    serde_json::from_str(&stdout(assert)).expect("one line of JSON")
}

#[test]
fn stats_prints_one_line_per_state_or_json() {
    let (_dir, db) = seeded();
    let out = stdout(&inbox(&db, &["stats"]).code(0));
    assert_eq!(out, "pending 1\nrunning 0\ndone 1\nfailed 0\ndead 2\n");
    let stats = json_of(&inbox(&db, &["stats", "--json"]).code(0));
    assert_eq!(
        stats,
        json!({"pending": 1, "running": 0, "done": 1, "failed": 0, "dead": 2})
    );
}

#[test]
fn list_filters_by_state_and_event() {
    let (_dir, db) = seeded();
    let rows = json_of(&inbox(&db, &["list", "--json"]).code(0));
    assert_eq!(rows.as_array().unwrap().len(), 4);
    let dead = json_of(&inbox(&db, &["--json", "list", "--state", "dead"]).code(0));
    let ids: Vec<i64> = dead
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [4, 2], "newest first");
    let failed_charges = json_of(
        &inbox(
            &db,
            &[
                "list",
                "--state",
                "dead",
                "--event",
                "charge.failed",
                "--json",
            ],
        )
        .code(0),
    );
    assert_eq!(failed_charges[0]["last_error"], "handler failed: boom");
    let table = stdout(&inbox(&db, &["list", "--state", "dead"]).code(0));
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ID  STATE"), "{table}");
    assert!(
        lines[1].starts_with("4   dead") && lines[1].contains("customer.created"),
        "{table}"
    );
    assert_eq!(lines.len(), 3, "{table}");
    inbox(&db, &["list", "--state", "zombie"]).code(2);
}

#[test]
fn show_prints_a_row_with_headers_and_body() {
    let (_dir, db) = seeded();
    let out = stdout(&inbox(&db, &["show", "2"]).code(0));
    assert!(
        out.contains("event: charge.failed\n") && out.contains("state: dead\n"),
        "{out}"
    );
    assert!(out.contains("  x-modem-signature: "), "{out}");
    assert!(out.contains(r#""event":"charge.failed""#), "{out}");
    let timeline: Vec<&str> = out
        .lines()
        .skip_while(|line| *line != "timeline:")
        .skip(1)
        .take_while(|line| line.starts_with("  attempt "))
        .collect();
    assert_eq!(timeline.len(), 1, "{out}");
    assert!(
        timeline[0].starts_with("  attempt 3 dead at ")
            && timeline[0].ends_with(" after 1.5ms: handler failed: boom"),
        "{out}"
    );
    let entry = json_of(&inbox(&db, &["show", "2", "--json"]).code(0));
    assert_eq!(entry["event_type"], "charge.failed");
    let last = entry["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["outcome"], "dead");
    assert_eq!(last["duration"], 1500, "in microseconds");
    assert!(entry["body"].as_str().unwrap().contains("obj_1"));
    inbox(&db, &["show", "99"]).code(1);
}

#[test]
fn replay_one_row_or_every_dead_row() {
    let (_dir, db) = seeded();
    let out = stdout(&inbox(&db, &["replay", "2"]).code(0));
    assert_eq!(out, "replayed 2: pending again\n");
    let result = json_of(&inbox(&db, &["replay", "99", "--json"]).code(1));
    assert_eq!(result, json!({"id": 99, "result": "not_found"}));
    let replayed = json_of(&inbox(&db, &["replay", "--dead", "--json"]).code(0));
    assert_eq!(replayed, json!({"replayed": 1}));
    let stats = json_of(&inbox(&db, &["stats", "--json"]).code(0));
    assert_eq!(stats["pending"], 3);
    assert_eq!(stats["dead"], 0);
    inbox(&db, &["replay"]).code(2);
    inbox(&db, &["replay", "1", "--dead"]).code(2);
}

#[test]
fn replay_dead_by_event() {
    let (_dir, db) = seeded();
    let out = stdout(&inbox(&db, &["replay", "--dead", "--event", "customer.created"]).code(0));
    assert_eq!(out, "replayed 1 dead rows: pending again\n");
    let stats = json_of(&inbox(&db, &["stats", "--json"]).code(0));
    assert_eq!(stats["dead"], 1);
}

#[test]
fn purge_deletes_done_rows_older_than_the_duration() {
    let (_dir, db) = seeded();
    let kept = json_of(&inbox(&db, &["purge", "--done-before", "2d", "--json"]).code(0));
    assert_eq!(kept["purged"], 0);
    let out = stdout(&inbox(&db, &["purge", "--done-before", "12h"]).code(0));
    assert!(
        out.starts_with("purged 1 done rows finished before "),
        "{out}"
    );
    let stats = json_of(&inbox(&db, &["stats", "--json"]).code(0));
    assert_eq!(stats["done"], 0);
    inbox(&db, &["purge", "--done-before", "12 weeks"]).code(2);
}

#[test]
fn a_missing_inbox_file_is_an_error_not_a_new_database() {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("typo.db");
    let assert = inbox(&db, &["stats"]).code(1);
    assert!(stderr(&assert).contains("no inbox at"));
    assert!(!db.exists());
}

/// `webhook inbox stats` with the environment `env` and no `--db`.
fn stats_from_env(env: &[(&str, &std::path::Path)]) -> assert_cmd::assert::Assert {
    let mut command = webhook();
    command.args(["inbox", "stats"]);
    for (name, value) in env {
        command.env(name, value);
    }
    command.assert()
}

const STATS: &str = "pending 1\nrunning 0\ndone 1\nfailed 0\ndead 2\n";

#[test]
fn db_from_webhook_inbox_works() {
    let (_dir, db) = seeded();
    let assert = stats_from_env(&[("WEBHOOK_INBOX", &db)]).code(0);
    assert_eq!(stdout(&assert), STATS);
}

#[test]
fn db_from_database_url_works() {
    let (_dir, db) = seeded();
    let assert = stats_from_env(&[("DATABASE_URL", &db)]).code(0);
    assert_eq!(stdout(&assert), STATS);
}

#[test]
fn db_flag_beats_webhook_inbox_which_beats_database_url() {
    let (_dir, db) = seeded();
    let dir = TempDir::new().unwrap();
    let missing = dir.path().join("elsewhere.db");
    let assert = stats_from_env(&[("WEBHOOK_INBOX", &db), ("DATABASE_URL", &missing)]).code(0);
    assert_eq!(stdout(&assert), STATS);
    let assert = stats_from_env(&[("WEBHOOK_INBOX", &missing), ("DATABASE_URL", &db)]).code(1);
    assert!(
        stderr(&assert).contains("elsewhere.db"),
        "{}",
        stderr(&assert)
    );
    let assert = webhook()
        .args(["inbox", "--db"])
        .arg(&db)
        .arg("stats")
        .env("WEBHOOK_INBOX", &missing)
        .env("DATABASE_URL", &missing)
        .assert()
        .code(0);
    assert_eq!(stdout(&assert), STATS);
}

#[test]
fn no_db_anywhere_is_a_usage_error_naming_the_variables() {
    let assert = stats_from_env(&[]).code(2);
    let err = stderr(&assert);
    assert!(
        err.contains("--db") && err.contains("WEBHOOK_INBOX") && err.contains("DATABASE_URL"),
        "{err}"
    );
}

/// A copy of webhook-inbox's v0 fixture: a file written before the schema had a version.
fn unversioned() -> (TempDir, PathBuf) {
    let dir = TempDir::new().unwrap();
    let db = dir.path().join("v0.db");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../webhook-inbox/tests/fixtures/v0/inbox.sqlite"
    );
    std::fs::copy(fixture, &db).unwrap();
    (dir, db)
}

#[test]
fn status_shows_the_schema_version_and_pending_migrations_and_changes_nothing() {
    let (_dir, db) = unversioned();
    let out = stdout(&inbox(&db, &["status"]).code(0));
    assert!(
        out.starts_with("schema 0 of 2\npending 1 baseline\npending 2 attempts\n"),
        "{out}"
    );
    assert!(out.contains("webhook inbox migrate"), "{out}");

    let status = json_of(&inbox(&db, &["status", "--json"]).code(0));
    assert_eq!(status["schema"]["version"], 0);
    assert_eq!(status["schema"]["pending"][0]["name"], "baseline");
    assert_eq!(status["rows"], Value::Null);

    let refused = inbox(&db, &["stats"]).code(1);
    assert!(
        stderr(&refused).contains("webhook inbox migrate"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn migrate_applies_the_pending_migrations_once_and_keeps_the_rows() {
    let (_dir, db) = unversioned();
    let out = stdout(&inbox(&db, &["migrate"]).code(0));
    assert_eq!(
        out,
        "applied 1 baseline\napplied 2 attempts\nschema 2 of 2\n"
    );
    let again = stdout(&inbox(&db, &["migrate"]).code(0));
    assert_eq!(again, "schema 2 of 2\n");

    let status = json_of(&inbox(&db, &["status", "--json"]).code(0));
    assert_eq!(status["schema"]["version"], 2);
    assert_eq!(status["schema"]["pending"], json!([]));
    assert_eq!(status["rows"]["done"], 2);
    assert_eq!(status["rows"]["dead"], 2);
    assert_eq!(status["rows"]["pending"], 2);
}
