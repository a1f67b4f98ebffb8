//! The Postgres inbox against the database in `WEBHOOK_TEST_DATABASE_URL`, each test in
//! a fresh schema. Without the variable the tests are skipped (and fail under CI).

#![cfg(feature = "postgres")]

mod common;

use webhook_inbox::{Admin, Inbox, InboxConfig, InboxError, PostgresInbox};

use common::{Db, scenarios};

macro_rules! postgres_tests {
    ($($scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $scenario() {
            let Some(db) = Db::postgres() else { return };
            scenarios::$scenario(&db).await;
            db.cleanup().await;
        }
    )*};
}

postgres_tests!(
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
async fn every_pooled_connection_commits_synchronously() {
    let Some(db) = Db::postgres() else { return };
    let (url, schema) = db.postgres_parts();
    let inbox = PostgresInbox::connect_with_schema(url, schema, InboxConfig::new())
        .await
        .unwrap();
    let mut connections = Vec::new();
    for _ in 0..4 {
        connections.push(inbox.pool().acquire().await.unwrap());
    }
    for connection in &mut connections {
        let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(&mut **connection)
            .await
            .unwrap();
        assert_eq!(setting, "on");
    }
    drop(connections);
    db.cleanup().await;
}

/// A claim walks the outstanding rows' index in id order (an index scan, which marks
/// the entries of dead row versions so that later claims skip them), not a bitmap scan
/// that reads every dead version in the table, and nothing reads the whole table.
#[tokio::test]
async fn claims_walk_the_outstanding_index_in_order() {
    let Some(db) = Db::postgres() else { return };
    let (url, schema) = db.postgres_parts();
    let inbox = PostgresInbox::connect_with_schema(url, schema, InboxConfig::new())
        .await
        .unwrap();
    // As under load: many rows stored, claimed and done, whose old versions are still
    // in the outstanding index (no vacuum yet), and statistics from before.
    sqlx::raw_sql(
        "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, \
           received_at, updated_at) \
         SELECT 'p', 'k' || n, 'e', '[]', '', 0, 0 FROM generate_series(1, 20000) AS n; \
         UPDATE webhook_inbox SET state = 'running', lease_expires_at = 1; \
         UPDATE webhook_inbox SET state = 'done', finished_at = 1",
    )
    .execute(inbox.pool())
    .await
    .unwrap();
    let plan: Vec<String> = sqlx::query_scalar(
        "EXPLAIN SELECT id FROM webhook_inbox \
         WHERE state IN ('pending', 'running', 'failed') \
           AND (state = 'pending' OR (state = 'failed' AND retry_at <= 0) \
             OR (state = 'running' AND lease_expires_at < 0)) \
         ORDER BY id LIMIT 32 FOR UPDATE SKIP LOCKED",
    )
    .fetch_all(inbox.pool())
    .await
    .unwrap();
    let plan = plan.join("\n");
    assert!(
        plan.contains("Index Scan using webhook_inbox_outstanding"),
        "{plan}"
    );
    assert!(
        !plan.contains("Bitmap") && !plan.contains("Seq Scan"),
        "{plan}"
    );
    db.cleanup().await;
}

#[tokio::test]
async fn inbox_open_takes_a_postgres_url() {
    let Some(db) = Db::postgres() else { return };
    let (url, schema) = db.postgres_parts();
    PostgresInbox::connect_with_schema(url, schema, InboxConfig::new())
        .await
        .unwrap();
    let separator = if url.contains('?') { '&' } else { '?' };
    let inbox = Inbox::open(&format!("{url}{separator}options[search_path]={schema}"))
        .await
        .unwrap();
    assert!(matches!(inbox, Inbox::Postgres(_)));
    assert_eq!(inbox.stats().await.unwrap().total(), 0);
    db.cleanup().await;
}

#[tokio::test]
async fn schema_names_must_be_plain_identifiers() {
    let Some(db) = Db::postgres() else { return };
    let (url, _) = db.postgres_parts();
    let error = PostgresInbox::connect_with_schema(url, "x; DROP TABLE y", InboxConfig::new())
        .await
        .unwrap_err();
    assert!(matches!(error, InboxError::SchemaName(_)), "{error}");
}
