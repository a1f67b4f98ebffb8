//! How long the console takes to render pages of a 1-million-row inbox, on SQLite and
//! Postgres: the server time of `Console::handle`, the median of several renders.
//!
//! Ignored by default (filling takes a while); run it in release, as a server runs:
//!
//! ```sh
//! WEBHOOK_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo test --release -p webhook-console --test million -- --ignored --nocapture
//! ```
//!
//! The rows span a week (one every 600 ms): 97.5% done, 1% dead, 1% failed, 0.5% pending,
//! three providers, ten event types. Every page a filter or a search selects must render
//! in under 100 ms; the overview and a filter that matches nothing (which reads every
//! row of the table) are printed for the record.

mod common;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{Request, StatusCode};
use webhook_console::Console;
use webhook_inbox::{Admin, Inbox};

use common::Db;

const ROWS: i64 = 1_000_000;
const SPACING_MS: i64 = 600;
const BUDGET: Duration = Duration::from_millis(100);

/// Fills the inbox with [`ROWS`] rows straight through SQL (as many as a busy week).
async fn fill(inbox: &Inbox) {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let start = now - ROWS * SPACING_MS;
    let columns = "provider, dedupe_key, event_type, headers, body, received_at, state, attempts, \
                   last_error, updated_at, finished_at, retry_at";
    let values = |body: &str| {
        format!(
            "CASE i % 3 WHEN 0 THEN 'modem-pay' WHEN 1 THEN 'bamotf' ELSE 'github' END, \
             'evt_' || i, 'event.type.' || (i % 10), '[]', {body}, {start} + i * {SPACING_MS}, \
             CASE WHEN i % 100 = 7 THEN 'dead' WHEN i % 100 = 13 THEN 'failed' \
                  WHEN i % 200 = 21 THEN 'pending' ELSE 'done' END, \
             1, CASE WHEN i % 100 IN (7, 13) THEN 'handler failed: boom' END, \
             {start} + i * {SPACING_MS} + 50, \
             CASE WHEN i % 100 = 13 OR i % 200 = 21 THEN NULL \
                  ELSE {start} + i * {SPACING_MS} + 20 + (i % 500) END, \
             CASE WHEN i % 100 = 13 THEN {start} + i * {SPACING_MS} + 60000 END"
        )
    };
    match inbox {
        Inbox::Sqlite(inbox) => {
            let sql = format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) \
                 INSERT INTO webhook_inbox ({columns}) SELECT {} FROM n",
                values("x'7b7d'")
            );
            sqlx::query(&sql).execute(inbox.pool()).await.unwrap();
        }
        Inbox::Postgres(inbox) => {
            let sql = format!(
                "INSERT INTO webhook_inbox ({columns}) SELECT {} FROM generate_series(1, {ROWS}) AS i",
                values("CAST('\\x7b7d' AS BYTEA)")
            );
            sqlx::query(&sql).execute(inbox.pool()).await.unwrap();
            // What autovacuum does after such a load (statistics, visibility map).
            sqlx::raw_sql("VACUUM ANALYZE webhook_inbox")
                .execute(inbox.pool())
                .await
                .unwrap();
        }
        _ => unreachable!("both backends are enabled"),
    }
}

/// The median server time of rendering `path`, over `runs` renders after a warm-up, each
/// by a new console (so that the overview's few seconds of shared figures do not count).
async fn render(inbox: &Inbox, path: &str, runs: usize) -> (Duration, usize) {
    let request = || Request::get(path).body(Bytes::new()).unwrap();
    let console = || Console::new(inbox.clone()).behind_app_auth();
    let warm = console().handle(request()).await;
    assert_eq!(warm.status(), StatusCode::OK, "{path}");
    let size = warm.body().len();
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let console = console();
        let started = Instant::now();
        let response = console.handle(request()).await;
        times.push(started.elapsed());
        assert_eq!(response.status(), StatusCode::OK, "{path}");
    }
    times.sort();
    (times[runs / 2], size)
}

async fn million(db: &Db, backend: &str) {
    let inbox = db.open().await;
    let filled = Instant::now();
    fill(&inbox).await;
    println!("{backend}: {ROWS} rows written in {:.1?}", filled.elapsed());
    for _ in 0..2 {
        let started = Instant::now();
        inbox.stats().await.unwrap();
        let stats = started.elapsed();
        let started = Instant::now();
        inbox
            .activity(SystemTime::now() - Duration::from_secs(3600))
            .await
            .unwrap();
        println!(
            "{backend}: the overview's parts: counts by state {stats:.2?}, last hour's activity {:.2?}",
            started.elapsed()
        );
    }
    let middle = ROWS / 2;
    let pages = [
        ("first page, no filter", "/deliveries".to_owned(), true),
        (
            "a page half way down",
            format!("/deliveries?before={middle}"),
            true,
        ),
        ("state=dead", "/deliveries?state=dead".to_owned(), true),
        ("state=failed", "/deliveries?state=failed".to_owned(), true),
        (
            "state=pending, 2nd page",
            "/deliveries?state=pending&before=900000".to_owned(),
            true,
        ),
        (
            "provider=bamotf&state=done",
            "/deliveries?provider=bamotf&state=done".to_owned(),
            true,
        ),
        (
            "event=event.type.3",
            "/deliveries?event=event.type.3".to_owned(),
            true,
        ),
        (
            "state=dead&event=event.type.7",
            "/deliveries?state=dead&event=event.type.7".to_owned(),
            true,
        ),
        (
            "search q=evt_777777",
            "/deliveries?q=evt_777777".to_owned(),
            true,
        ),
        ("since=1h", "/deliveries?since=1h".to_owned(), true),
        (
            "from/to range & state=dead",
            "/deliveries?from=2000-01-01T00:00&to=2100-01-01T00:00&state=dead".to_owned(),
            true,
        ),
        ("one delivery", format!("/deliveries/{middle}"), true),
        ("overview", "/".to_owned(), false),
        (
            "replay confirm: count of state=dead",
            "/replay?state=dead".to_owned(),
            false,
        ),
        (
            "event type matching nothing (reads every row)",
            "/deliveries?event=nothing".to_owned(),
            false,
        ),
    ];
    println!("{backend}: median server time of 7 renders");
    let mut over = Vec::new();
    for (name, path, budgeted) in pages {
        let (time, size) = render(&inbox, &path, 7).await;
        let flag = if budgeted && time > BUDGET {
            "  OVER BUDGET"
        } else {
            ""
        };
        println!("  {name:<48} {:>9.2?}  {:>7} bytes{flag}", time, size);
        if budgeted && time > BUDGET {
            over.push(format!("{name}: {time:?}"));
        }
    }
    assert!(
        over.is_empty(),
        "{backend}: pages over {BUDGET:?}: {over:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fills 1M rows: run with --ignored, in release"]
async fn a_page_of_a_million_row_sqlite_inbox_renders_in_under_100_ms() {
    let db = Db::sqlite();
    million(&db, "sqlite").await;
    db.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "fills 1M rows: run with --ignored, in release"]
async fn a_page_of_a_million_row_postgres_inbox_renders_in_under_100_ms() {
    let Some(db) = Db::postgres() else { return };
    million(&db, "postgres").await;
    db.cleanup().await;
}
