//! `SqliteInbox`: the embedded durable inbox, one SQLite file on one machine.

mod admin;
mod console;
mod group_commit;
mod store;

use std::path::Path;
use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use webhook_core::futures::future::BoxFuture;
use webhook_core::{Dispatcher, Sink, SinkError, Submitted, Verified};

use self::store::SqliteStore;
use crate::config::InboxConfig;
use crate::engine::Engine;
use crate::error::InboxError;
use crate::migrate::sqlite as migrate;
use crate::migrate::{OnOpen, SchemaStatus};

/// The SQLite statements: the clock is SQLite's, claims walk the outstanding rows'
/// index in id order (stopping at the first due row) and need no row locks (SQLite has
/// one writer at a time).
mod sql {
    crate::sql::statements!(
        "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
        "webhook_inbox INDEXED BY webhook_inbox_due",
        "",
        "COALESCE((SELECT stored.headers FROM webhook_inbox_body AS stored \
           WHERE stored.id = webhook_inbox.id), headers) AS headers, \
         COALESCE((SELECT stored.body FROM webhook_inbox_body AS stored \
           WHERE stored.id = webhook_inbox.id), body) AS body"
    );
}

/// How long a connection waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the pool: workers, heartbeats, the group-commit writer and admin.
const MAX_CONNECTIONS: u32 = 16;

/// How long a submit waits for a connection before the sender is answered 503.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// The embedded durable inbox: one SQLite file on one machine.
///
/// Every connection (the pool's, and the group-commit writer's own) runs in WAL mode
/// with `synchronous = FULL`, so a commit is on disk when it returns; concurrent
/// submits share one transaction (group commit), so the fsync per commit does not cap
/// throughput. The writer runs each commit as one blocking call on its own connection
/// (through `rusqlite`, on the same SQLite library as `sqlx`), off the async threads. A
/// delivery is acknowledged only after its commit. Several processes may open the same file (a
/// rolling restart, the `webhook inbox` command); keep it on a local disk, not NFS.
///
/// ```no_run
/// use std::time::Duration;
/// use webhook_inbox::{InboxConfig, SqliteInbox};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let inbox = SqliteInbox::open("/var/lib/myapp/webhooks.db")
///     .await?
///     .with_config(InboxConfig::new().workers(8).lease(Duration::from_secs(60)));
/// # let _ = inbox; Ok(()) }
/// ```
#[derive(Clone)]
pub struct SqliteInbox {
    engine: Engine<SqliteStore>,
}

impl std::fmt::Debug for SqliteInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteInbox")
            .field("config", self.engine.config())
            .finish_non_exhaustive()
    }
}

impl SqliteInbox {
    /// Opens (creating if needed) the inbox in the SQLite file at `path` with the
    /// default [`InboxConfig`], applying pending schema migrations. Call inside a tokio
    /// runtime: the group-commit writer starts here.
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, InboxError> {
        Self::open_with(path, InboxConfig::new()).await
    }

    /// Opens (creating if needed) the inbox in the SQLite file at `path`, run as
    /// `config` says; pending schema migrations are applied first unless
    /// [`InboxConfig::auto_migrate`] is off (then it refuses to open while any is
    /// pending). Call inside a tokio runtime: the group-commit writer starts here.
    pub async fn open_with(
        path: impl AsRef<Path>,
        config: InboxConfig,
    ) -> Result<Self, InboxError> {
        let pool = connect(path.as_ref()).await?;
        migrate::apply(&pool, config.on_open()).await?;
        let path = path.as_ref().to_path_buf();
        let writer = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || group_commit::open_writer(&path))
                .await
                .map_err(|_| InboxError::WriterStopped)??
        };
        Ok(Self {
            engine: Engine::new(SqliteStore::new(pool, path, writer)).with_config(config),
        })
    }

    /// Where the schema of the inbox file at `path` stands against this release;
    /// changes nothing.
    pub async fn schema_status(path: impl AsRef<Path>) -> Result<SchemaStatus, InboxError> {
        let pool = connect(path.as_ref()).await?;
        let status = migrate::status(&pool).await;
        pool.close().await;
        status
    }

    /// Applies the pending schema migrations to the inbox file at `path` (for
    /// operators who turn [`InboxConfig::auto_migrate`] off), and says where the
    /// schema then stands.
    pub async fn migrate(path: impl AsRef<Path>) -> Result<SchemaStatus, InboxError> {
        let pool = connect(path.as_ref()).await?;
        let status = migrate::apply(&pool, OnOpen::Migrate).await;
        pool.close().await;
        status
    }

    /// Replaces the configuration (workers, leases, retention, capacity). Call before
    /// the inbox is given to a receiver.
    #[must_use]
    pub fn with_config(self, config: InboxConfig) -> Self {
        Self {
            engine: self.engine.with_config(config),
        }
    }

    /// The connection pool, e.g. to check its settings. Writing to `webhook_inbox`
    /// through it bypasses the inbox's rules.
    pub fn pool(&self) -> &SqlitePool {
        self.engine.store().pool()
    }
}

/// The pool of the file at `path`, for the migration runner's tests.
#[cfg(test)]
pub(crate) async fn connect_for_tests(path: &Path) -> SqlitePool {
    connect(path).await.expect("a new SQLite file opens")
}

/// The pool of connections to the file at `path`.
async fn connect(path: &Path) -> Result<SqlitePool, InboxError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(connect_options(path))
        .await?;
    Ok(pool)
}

/// WAL, `synchronous = FULL` and the rest as connect options, so every pooled connection has
/// them (a one-off `PRAGMA` through a pool reaches one connection only).
fn connect_options(path: &Path) -> SqliteConnectOptions {
    PRAGMAS.iter().fold(
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT),
        |options, (name, value)| options.pragma(*name, *value),
    )
}

/// The settings of every connection to the file, pooled or the writer's own (with
/// [`BUSY_TIMEOUT`]): WAL with `synchronous = FULL`, so that a commit is on disk when it
/// returns; and the statement journals of the multi-row statements (which SQLite keeps
/// so that one failing statement can be undone alone) in memory, not in a temporary
/// file written for every round.
const PRAGMAS: [(&str, &str); 3] = [
    ("journal_mode", "WAL"),
    ("synchronous", "FULL"),
    ("temp_store", "MEMORY"),
];

impl Sink for SqliteInbox {
    fn start(&self, dispatcher: Dispatcher) {
        self.engine.start(dispatcher);
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        Box::pin(async move {
            self.engine.admit()?;
            let max_pending = self.engine.config().max_pending;
            self.engine.store().submit(delivery, max_pending).await
        })
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.engine.idle())
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.engine.shutdown(deadline))
    }
}

#[cfg(test)]
mod tests {
    use super::{SqliteInbox, sql};

    /// An inbox in a new file, with the directory that holds it.
    async fn fresh() -> (tempfile::TempDir, SqliteInbox) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let inbox = SqliteInbox::open(dir.path().join("plan.db"))
            .await
            .expect("the inbox opens");
        (dir, inbox)
    }

    /// SQLite's planner, left to itself, reads the state index and sorts every
    /// outstanding row by id on each claim: a claim then costs the whole backlog.
    #[tokio::test]
    async fn claims_walk_the_due_index_without_sorting_the_backlog_or_reading_rows() {
        let (_dir, inbox) = fresh().await;
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", sql::CLAIM))
                .bind("owner")
                .bind(30_000_i64)
                .bind(32_i64)
                .fetch_all(inbox.pool())
                .await
                .expect("the claim has a plan");
        let steps: Vec<&str> = plan.iter().map(|(.., step)| step.as_str()).collect();
        assert!(
            steps
                .iter()
                .any(|step| step.contains("USING COVERING INDEX webhook_inbox_due")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|step| step.contains("TEMP B-TREE")),
            "{steps:?}"
        );
    }

    /// No index covers every row's state (each change of state would rewrite it), so
    /// counting by state and pruning must find their rows through the partial indexes,
    /// not by reading the whole table (30 days of done rows, by default).
    #[tokio::test]
    async fn stats_and_pruning_read_indexes_not_the_table() {
        let (_dir, inbox) = fresh().await;
        for (statement, binds) in [(sql::STATS, 0), (sql::PRUNE, 1), (sql::PURGE_DONE, 1)] {
            let explain = format!("EXPLAIN QUERY PLAN {statement}");
            let mut query = sqlx::query_as::<_, (i64, i64, i64, String)>(&explain);
            for _ in 0..binds {
                query = query.bind(1_i64);
            }
            let plan = query.fetch_all(inbox.pool()).await.expect("a plan");
            let steps: Vec<&str> = plan.iter().map(|(.., step)| step.as_str()).collect();
            assert!(
                steps
                    .iter()
                    .filter(|step| step.contains("webhook_inbox"))
                    .all(|step| step.contains("INDEX")),
                "{statement}: {steps:?}"
            );
        }
    }
}
