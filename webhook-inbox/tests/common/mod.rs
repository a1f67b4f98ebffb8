//! Shared by the SQLite and Postgres test files: the database under test, the
//! receiver under test, fake deliveries and waiting.

#![allow(dead_code)] // each test file uses its own part

pub(crate) mod handler;
pub(crate) mod scenarios;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Receiver, RetryPolicy};
use webhook_inbox::{Admin, Attempt, AttemptOutcome, Inbox, InboxConfig, InboxRow, ListFilter};

use self::handler::{Behaviour, Probe, TestHandler};

/// How long any wait in a test may take before it fails.
const PATIENCE: Duration = Duration::from_secs(15);

/// A database for one test: a SQLite file in a temporary directory, or a fresh schema
/// in the Postgres test database.
#[derive(Clone)]
pub(crate) enum Db {
    #[cfg(feature = "sqlite")]
    Sqlite {
        _dir: Arc<tempfile::TempDir>,
        path: std::path::PathBuf,
    },
    #[cfg(feature = "postgres")]
    Postgres { url: String, schema: String },
}

impl Db {
    #[cfg(feature = "sqlite")]
    pub(crate) fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("inbox.db");
        Self::Sqlite {
            _dir: Arc::new(dir),
            path,
        }
    }

    /// A fresh schema, or `None` (the test is skipped) without
    /// `WEBHOOK_TEST_DATABASE_URL`. Under CI a missing URL fails the test instead.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres() -> Option<Self> {
        match std::env::var("WEBHOOK_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => {
                let schema = format!("inbox_test_{:016x}", fastrand::u64(..));
                Some(Self::Postgres { url, schema })
            }
            _ if std::env::var_os("CI").is_some() => {
                panic!("WEBHOOK_TEST_DATABASE_URL not set: CI must run the Postgres inbox tests")
            }
            _ => {
                println!("skipped: WEBHOOK_TEST_DATABASE_URL not set");
                None
            }
        }
    }

    /// Opens an inbox instance on this database (call again for a second replica).
    pub(crate) async fn open(&self, config: InboxConfig) -> Inbox {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { path, .. } => webhook_inbox::SqliteInbox::open_with(path, config)
                .await
                .expect("open sqlite")
                .into(),
            #[cfg(feature = "postgres")]
            Self::Postgres { url, schema } => {
                webhook_inbox::PostgresInbox::connect_with_schema(url, schema, config)
                    .await
                    .expect("connect postgres")
                    .into()
            }
        }
    }

    /// Runs `sql` on the database, outside any inbox.
    pub(crate) async fn execute(&self, sql: &str) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                sqlx::raw_sql(sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let sql = format!("SET search_path TO {schema}; {sql}");
                sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// The one number `sql` selects, outside any inbox.
    pub(crate) async fn count(&self, sql: &str) -> i64 {
        self.texts(&format!("SELECT CAST(({sql}) AS TEXT)")).await[0]
            .parse()
            .unwrap()
    }

    /// What a change to the schema or the rows would alter: every table, index and
    /// trigger with its definition, every recorded migration and every row's state.
    pub(crate) async fn snapshot(&self) -> Vec<String> {
        let objects = match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { .. } => {
                "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master"
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { .. } => {
                "SELECT CAST(relkind AS TEXT) || ' ' || relname FROM pg_class \
                 WHERE relnamespace = CAST(current_schema() AS regnamespace) \
                 UNION ALL SELECT 'trigger ' || tgname FROM pg_trigger \
                 WHERE tgrelid = CAST('webhook_inbox' AS regclass)"
            }
        };
        let mut all = self.texts(objects).await;
        all.extend(
            self.texts(
                "SELECT CAST(version AS TEXT) || ' ' || name || ' ' || CAST(applied_at AS TEXT) \
                 FROM webhook_inbox_migration",
            )
            .await,
        );
        all.extend(
            self.texts(
                "SELECT CAST(id AS TEXT) || ' ' || state || ' ' || CAST(updated_at AS TEXT) \
                 FROM webhook_inbox",
            )
            .await,
        );
        all.sort();
        all
    }

    /// The text column `sql` selects, one value per row, outside any inbox.
    async fn texts(&self, sql: &str) -> Vec<String> {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { path, .. } => {
                let options = sqlx::sqlite::SqliteConnectOptions::new().filename(path);
                let pool = sqlx::SqlitePool::connect_with(options).await.unwrap();
                let texts = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                texts
            }
            #[cfg(feature = "postgres")]
            Self::Postgres { url, schema } => {
                let options: sqlx::postgres::PgConnectOptions = url.parse().unwrap();
                let options = options.options([("search_path", schema.as_str())]);
                let pool = sqlx::PgPool::connect_with(options).await.unwrap();
                let texts = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
                pool.close().await;
                texts
            }
        }
    }

    /// Creates the test's Postgres schema, empty (an inbox opened through
    /// [`Db::address`] does not create it).
    #[cfg(feature = "postgres")]
    pub(crate) async fn create_schema(&self) {
        let (url, schema) = self.postgres_parts();
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let create = format!("CREATE SCHEMA {schema}");
        sqlx::raw_sql(&create).execute(&pool).await.unwrap();
        pool.close().await;
    }

    /// Drops the test's schema (Postgres); the SQLite file goes with its directory.
    pub(crate) async fn cleanup(self) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { .. } => {}
            #[cfg(feature = "postgres")]
            Self::Postgres { url, schema } => {
                let pool = sqlx::PgPool::connect(&url).await.unwrap();
                let drop = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
                sqlx::raw_sql(&drop).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    }

    /// The database as `Inbox::open` and `webhook inbox --db` take it: the SQLite path,
    /// or the Postgres URL with the schema as the connection's search path.
    pub(crate) fn address(&self) -> String {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { path, .. } => path.display().to_string(),
            #[cfg(feature = "postgres")]
            Self::Postgres { url, schema } => {
                let join = if url.contains('?') { '&' } else { '?' };
                format!("{url}{join}options=-c%20search_path%3D{schema}")
            }
        }
    }

    /// The Postgres URL and schema.
    #[cfg(feature = "postgres")]
    pub(crate) fn postgres_parts(&self) -> (&str, &str) {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite { .. } => panic!("not a Postgres database"),
            Self::Postgres { url, schema } => (url, schema),
        }
    }
}

/// Quick polling, long leases (tests that need short ones say so).
pub(crate) fn config() -> InboxConfig {
    InboxConfig::new()
        .poll_interval(Duration::from_millis(20))
        .lease(Duration::from_secs(10))
}

/// A receiver for [`TestHandler`] storing into `inbox`: three attempts, 10 ms apart.
pub(crate) fn receiver(inbox: Inbox, behaviour: Behaviour, probe: &Arc<Probe>) -> Receiver {
    let handler = TestHandler {
        behaviour,
        probe: Arc::clone(probe),
    };
    Receiver::builder(handler)
        .secret(test_secret())
        .retry(
            RetryPolicy::default()
                .max_attempts(3)
                .base_delay(Duration::from_millis(10)),
        )
        .handler_timeout(Duration::from_secs(20))
        .sink(inbox)
        .build()
}

/// A signed Modem Pay `charge.succeeded` for charge `id`.
pub(crate) fn charge(id: &str) -> FakeDelivery<Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        json!({"id": id, "amount": 100}),
    )
}

/// The same without `amount`: the typed handler cannot parse it.
pub(crate) fn charge_without_amount(id: &str) -> FakeDelivery<Value> {
    FakeDelivery::new(ModemPay::default(), "charge.succeeded", json!({"id": id}))
}

/// The dedupe key Modem Pay gives charge `id`.
pub(crate) fn key(id: &str) -> String {
    format!("charge.succeeded:{id}")
}

/// Waits until the receiver's inbox has nothing outstanding.
pub(crate) async fn idle(receiver: &Receiver) {
    tokio::time::timeout(PATIENCE, receiver.idle())
        .await
        .expect("the inbox went idle in time");
}

/// Waits until `check` holds.
pub(crate) async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Every row, newest first.
pub(crate) async fn rows(inbox: &Inbox) -> Vec<InboxRow> {
    inbox
        .list(ListFilter::new().limit(1000))
        .await
        .expect("list")
}

/// Charge `id`'s timeline: each attempt's number, outcome and error, in order.
pub(crate) async fn timeline_of(inbox: &Inbox, id: &str) -> Vec<Attempt> {
    let row = row_of(inbox, id).await;
    inbox
        .get(row.id)
        .await
        .expect("get")
        .expect("the row")
        .timeline
}

/// The attempts of `timeline` as `(number, outcome, error)`.
pub(crate) fn outcomes(timeline: &[Attempt]) -> Vec<(u32, AttemptOutcome, Option<&str>)> {
    timeline
        .iter()
        .map(|attempt| (attempt.attempt, attempt.outcome, attempt.error.as_deref()))
        .collect()
}

/// The one row of charge `id`.
pub(crate) async fn row_of(inbox: &Inbox, id: &str) -> InboxRow {
    let rows = rows(inbox).await;
    let mut matching = rows.into_iter().filter(|row| row.dedupe_key == key(id));
    let row = matching.next().unwrap_or_else(|| panic!("no row for {id}"));
    assert!(matching.next().is_none(), "two rows for {id}");
    row
}
