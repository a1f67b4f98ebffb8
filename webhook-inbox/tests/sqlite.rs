//! The SQLite inbox against real database files.

#![cfg(feature = "sqlite")]

mod common;

use std::time::Duration;

use http::StatusCode;
use webhook_core::futures::future::join_all;
use webhook_inbox::{Admin, Inbox, SqliteInbox};

use common::handler::{Behaviour, Probe};
use common::{Db, charge, config, idle, receiver, scenarios};

macro_rules! sqlite_tests {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            scenarios::$scenario(&Db::sqlite()).await;
        }
    )*};
}

sqlite_tests!(
    accepted_delivery_is_committed_then_handled_once,
    concurrent_duplicates_store_one_row_and_run_once,
    dedupe_survives_reopening,
    typed_parse_failure_is_dead_with_body_kept,
    redelivery_revives_a_dead_event,
    panicking_handler_is_retried,
    failing_handler_is_retried_then_done,
    exhausted_retries_go_dead_and_replay_revives_them,
    admin_lists_gets_and_purges,
    crashed_workers_rows_are_reclaimed_after_the_lease,
    long_handler_keeps_its_lease_by_heartbeat,
    two_instances_handle_each_row_exactly_once,
    shutdown_leaves_unfinished_rows_pending_for_the_next_instance,
    quick_handlers_are_claimed_several_rows_at_a_time,
    storage_error_answers_503,
    full_inbox_answers_503_but_still_recognises_duplicates,
    done_rows_are_pruned_after_retention,
);

#[tokio::test]
async fn every_pooled_connection_is_wal_with_synchronous_full() {
    let dir = tempfile::tempdir().unwrap();
    let inbox = SqliteInbox::open(dir.path().join("inbox.db"))
        .await
        .unwrap();
    let mut connections = Vec::new();
    for _ in 0..4 {
        connections.push(inbox.pool().acquire().await.unwrap());
    }
    for connection in &mut connections {
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(
            (synchronous, journal.as_str(), busy),
            (2, "wal", 5000),
            "FULL is 2"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_submits_share_commits_and_all_land() {
    let db = Db::sqlite();
    let probe = Probe::new();
    let inbox = db.open(config()).await;
    let receiver = receiver(inbox.clone(), Behaviour::Succeed, &probe);

    let sends = (0..200).map(|n| charge(&format!("ch_group_{n}")).send(&receiver));
    let answers = join_all(sends).await;
    assert!(
        answers
            .iter()
            .all(|answer| answer.status() == StatusCode::OK && answer.reason() == "accepted")
    );
    idle(&receiver).await;
    assert_eq!(inbox.stats().await.unwrap().done, 200);
}

#[tokio::test]
async fn inbox_open_takes_a_path_or_a_sqlite_url() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cli.db");
    for db in [
        path.display().to_string(),
        format!("sqlite://{}", path.display()),
    ] {
        let inbox = Inbox::open(&db).await.unwrap();
        assert!(matches!(inbox, Inbox::Sqlite(_)));
        assert_eq!(inbox.stats().await.unwrap().total(), 0);
    }
    assert!(path.exists());
}

#[tokio::test]
async fn shutdown_of_an_idle_inbox_is_prompt() {
    let probe = Probe::new();
    let receiver = receiver(
        Db::sqlite().open(config()).await,
        Behaviour::Succeed,
        &probe,
    );
    let started = std::time::Instant::now();
    receiver.shutdown(Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(1));
}
