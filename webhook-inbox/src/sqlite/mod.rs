//! `SqliteInbox`: the embedded durable inbox, one SQLite file on one machine.

mod connection;
mod console;
mod store;
mod writer;

use std::path::Path;

use sqlx::SqlitePool;

use self::store::SqliteStore;
use crate::config::InboxConfig;
use crate::engine::{Durable, Engine};
use crate::error::InboxError;
use crate::migrate::sqlite as migrate;
use crate::migrate::{OnOpen, SchemaStatus};
use crate::store::Store;

/// The SQLite statements: the clock is SQLite's, claims walk the outstanding rows'
/// index in id order (stopping at the first due row) and need no row locks (SQLite has
/// one writer at a time), and a row's headers and body are in `webhook_inbox_body`
/// (those of rows stored before it existed, in the row).
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

crate::pool_statements::impl_pool_statements!(SqlitePool, sql);

/// The embedded durable inbox: one SQLite file on one machine.
///
/// Every connection (the pool's, and the writer's own) runs in WAL mode with
/// `synchronous = FULL`, so a commit is on disk when it returns; concurrent submits
/// share one transaction (group commit), so the fsync per commit does not cap
/// throughput. One writer makes every routine change (stores, claims, settles, lease
/// extensions), each round as one blocking call on its own connection (through
/// `rusqlite`, on the same SQLite library as `sqlx`), off the async threads. A delivery
/// is acknowledged only after its commit. Several processes may open the same file (a
/// rolling restart, the `webhook inbox` command); keep it on a local disk, not NFS.
///
/// ```no_run
/// use std::time::Duration;
/// use webhook_inbox::{InboxConfig, SqliteInbox};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let config = InboxConfig::new().workers(8).lease(Duration::from_secs(60));
/// let inbox = SqliteInbox::open_with("/var/lib/myapp/webhooks.db", config).await?;
/// # let _ = inbox; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct SqliteInbox {
    engine: Engine<SqliteStore>,
}

impl SqliteInbox {
    /// [`SqliteInbox::open_with`] the default configuration (pending schema migrations
    /// applied).
    pub async fn open(path: impl AsRef<Path>) -> Result<Self, InboxError> {
        Self::open_with(path, InboxConfig::new()).await
    }

    /// Opens (creating if needed) the inbox in the SQLite file at `path` and runs it with
    /// `config` (workers, leases, retention, capacity); pending schema migrations are
    /// applied first unless [`InboxConfig::auto_migrate`] is off (then it refuses to open
    /// while any is pending). Call inside a tokio runtime: the writer starts here.
    pub async fn open_with(
        path: impl AsRef<Path>,
        config: InboxConfig,
    ) -> Result<Self, InboxError> {
        let path = path.as_ref().to_path_buf();
        let pool = connection::pool(&path).await?;
        migrate::apply(&pool, config.on_open()).await?;
        let writer = {
            let path = path.clone();
            tokio::task::spawn_blocking(move || connection::open_writer(&path))
                .await
                .map_err(|_| InboxError::WriterStopped)??
        };
        let store = SqliteStore::new(pool, path, writer, &config);
        Ok(Self {
            engine: Engine::new(store, config),
        })
    }

    /// Where the schema of the inbox file at `path` stands against this release;
    /// changes nothing.
    pub async fn schema_status(path: impl AsRef<Path>) -> Result<SchemaStatus, InboxError> {
        let pool = connection::pool(path.as_ref()).await?;
        let status = migrate::status(&pool).await;
        pool.close().await;
        status
    }

    /// Applies the pending schema migrations to the inbox file at `path` (for
    /// operators who turn [`InboxConfig::auto_migrate`] off), and says where the
    /// schema then stands.
    pub async fn migrate(path: impl AsRef<Path>) -> Result<SchemaStatus, InboxError> {
        let pool = connection::pool(path.as_ref()).await?;
        let status = migrate::apply(&pool, OnOpen::Migrate).await;
        pool.close().await;
        status
    }

    /// The connection pool, e.g. to check its settings. Writing to `webhook_inbox`
    /// through it bypasses the inbox's rules.
    pub fn pool(&self) -> &SqlitePool {
        self.engine.store().pool()
    }

    /// The inbox as the traits it implements, through its engine.
    fn durable(&self) -> &dyn Durable {
        &self.engine
    }
}

crate::engine::impl_sink_and_admin!(SqliteInbox);

/// The pool of the file at `path`, for the migration runner's tests.
#[cfg(test)]
pub(crate) async fn connect_for_tests(path: &Path) -> SqlitePool {
    connection::pool(path)
        .await
        .expect("a new SQLite file opens")
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
