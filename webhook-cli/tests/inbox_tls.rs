//! `webhook inbox --db` with a Postgres URL's `sslmode` and `sslrootcert`, against the
//! test cluster, which scripts/ensure-postgres serves TLS with a certificate signed by
//! the CA at `WEBHOOK_TEST_PG_CA` (`WEBHOOK_TEST_PG_WRONG_CA` signed nothing of it).

mod common;

use common::*;
use serde_json::{Value, json};
use webhook_inbox::PostgresInbox;

/// The test database's URL and the unrelated CA, or `None` (the test is skipped)
/// without them. Under CI a missing variable fails the test instead.
fn cluster() -> Option<(String, String)> {
    let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let vars = ["WEBHOOK_TEST_DATABASE_URL", "WEBHOOK_TEST_PG_WRONG_CA"];
    match vars.map(var) {
        [Some(url), Some(wrong_ca)] => Some((url, wrong_ca)),
        _ if std::env::var_os("CI").is_some() => {
            panic!(
                "{vars:?} not all set: CI must run the Postgres TLS tests (scripts/test sets them)"
            )
        }
        _ => {
            println!("skipped: {vars:?} not all set (scripts/test sets them)");
            None
        }
    }
}

/// `url` with `query` (already encoded) added.
fn with_query(url: &str, query: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{query}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn stats_reads_a_postgres_inbox_over_sslmode_require() {
    let Some((url, _)) = cluster() else { return };
    let schema = format!("inbox_cli_tls_test_{:016x}", getrandom::u64().unwrap());
    let runtime = runtime();
    let inbox = runtime
        .block_on(PostgresInbox::connect_with_schema(
            &url,
            &schema,
            Default::default(),
        ))
        .expect("an empty inbox in a fresh schema");
    let db = with_query(
        &url,
        &format!("sslmode=require&options[search_path]={schema}"),
    );
    let assert = webhook()
        .args(["inbox", "--db", &db, "stats", "--json"])
        .assert();
    let output = assert.get_output().clone();
    runtime.block_on(async {
        let drop = format!("DROP SCHEMA {schema} CASCADE");
        sqlx::raw_sql(&drop).execute(inbox.pool()).await.unwrap();
        inbox.pool().close().await;
    });
    assert!(output.status.success(), "{output:?}");
    let stats: Value = serde_json::from_slice(&output.stdout).expect("one line of JSON");
    assert_eq!(
        stats,
        json!({"pending": 0, "running": 0, "done": 0, "failed": 0, "dead": 0})
    );
}

#[test]
fn a_postgres_inbox_behind_a_certificate_of_another_ca_is_refused_naming_the_ca_check() {
    let Some((url, wrong_ca)) = cluster() else {
        return;
    };
    let db = with_query(&url, &format!("sslmode=verify-ca&sslrootcert={wrong_ca}"));
    let assert = webhook()
        .args(["inbox", "--db", &db, "stats"])
        .assert()
        .code(1);
    assert_eq!(
        String::from_utf8_lossy(&assert.get_output().stderr),
        format!(
            "error: TLS to the inbox database failed: the server's certificate is not signed by a CA in the `sslrootcert` file `{wrong_ca}`: point `sslrootcert` at the CA certificate that signed it, or ask the server's operator for it\n"
        )
    );
}
