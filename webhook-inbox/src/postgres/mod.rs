//! `PostgresInbox`: one inbox table shared by many replicas.

mod admin;
mod connect;
mod console;
mod listen;
mod store;

use std::time::Duration;

use sqlx::PgPool;
use webhook_core::futures::future::BoxFuture;
use webhook_core::{Dispatcher, Sink, SinkError, Submitted, Verified};

use self::store::PgStore;
use crate::config::InboxConfig;
use crate::engine::Engine;
use crate::error::InboxError;
use crate::migrate::postgres as migrate;
use crate::migrate::{OnOpen, SchemaStatus};
use crate::record::NewRow;

/// The Postgres statements: the clock is the database's (replicas agree on it), and a
/// claim skips rows other replicas are claiming.
mod sql {
    crate::sql::statements!(
        "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
        "webhook_inbox",
        " FOR UPDATE SKIP LOCKED",
        "headers, body"
    );
}

/// The inbox for many replicas behind a load balancer: one Postgres table.
///
/// Every replica's receiver commits to the same table, whose unique
/// `(provider, dedupe_key)` makes a redelivery that lands on another replica a
/// duplicate too. Workers claim rows with `FOR UPDATE SKIP LOCKED` and a lease, so
/// each row runs on one replica at a time and a crashed replica's rows are claimed
/// again once its leases run out. New rows wake every replica's workers through
/// `LISTEN/NOTIFY` (a trigger on the table), with polling as the fallback. Concurrent
/// submits share one transaction (group commit), which uses `synchronous_commit = on`:
/// a 200 means the row is flushed to the WAL.
///
/// The URL's `sslmode` and `sslrootcert` are honoured as libpq honours them, with TLS on
/// rustls: `disable`, `prefer` (the default: TLS if the server offers it), `require`,
/// `verify-ca` (the server's certificate is signed by a CA in `sslrootcert`) and
/// `verify-full` (and is valid for the host in the URL); `require` with `sslrootcert`
/// checks the CA too. A refused certificate fails with [`InboxError::Tls`], which names
/// the check. Unlike libpq's, `verify-ca` checks the host name too (sqlx 0.8 on
/// current rustls), and the verifying modes also trust the public CAs (webpki roots).
///
/// ```no_run
/// use webhook_inbox::{InboxConfig, PostgresInbox};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let url = "postgres://app@db.internal/app?sslmode=verify-full&sslrootcert=/path/ca.pem";
/// let inbox = PostgresInbox::connect(url)
///     .await?
///     .with_config(InboxConfig::new().workers(8));
/// # let _ = inbox; Ok(()) }
/// ```
#[derive(Clone)]
pub struct PostgresInbox {
    engine: Engine<PgStore>,
}

impl std::fmt::Debug for PostgresInbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresInbox")
            .field("schema", &self.engine.store().schema())
            .field("config", self.engine.config())
            .finish_non_exhaustive()
    }
}

impl PostgresInbox {
    /// Connects to the database at `url` with the default [`InboxConfig`], the inbox in
    /// the connection's current schema, applying pending schema migrations.
    pub async fn connect(url: &str) -> Result<Self, InboxError> {
        Self::connect_with(url, InboxConfig::new()).await
    }

    /// Connects to the database at `url`, run as `config` says, the inbox in the
    /// connection's current schema. Pending schema migrations are applied first, under
    /// an advisory lock (replicas starting together migrate once), unless
    /// [`InboxConfig::auto_migrate`] is off (then it refuses while any is pending).
    pub async fn connect_with(url: &str, config: InboxConfig) -> Result<Self, InboxError> {
        let pool = connect::pool(url, None).await?;
        Self::prepare(pool, "", config).await
    }

    /// Like [`PostgresInbox::connect`], with the table in `schema` (created if
    /// missing): several inboxes, or test runs, can share one database.
    pub async fn connect_with_schema(url: &str, schema: &str) -> Result<Self, InboxError> {
        if !is_identifier(schema) {
            return Err(InboxError::SchemaName(schema.to_owned()));
        }
        let create = format!("CREATE SCHEMA IF NOT EXISTS {schema}");
        let pool = connect::pool(url, Some(schema)).await?;
        Self::prepare(pool, &create, InboxConfig::new()).await
    }

    async fn prepare(
        pool: PgPool,
        create_schema: &str,
        config: InboxConfig,
    ) -> Result<Self, InboxError> {
        migrate::apply(&pool, create_schema, config.on_open()).await?;
        let schema: String = sqlx::query_scalar("SELECT CAST(current_schema() AS TEXT)")
            .fetch_one(&pool)
            .await?;
        Ok(Self {
            engine: Engine::new(PgStore::new(pool, schema)).with_config(config),
        })
    }

    /// Where the inbox schema of the database at `url` (its current schema) stands
    /// against this release; changes nothing.
    pub async fn schema_status(url: &str) -> Result<SchemaStatus, InboxError> {
        let pool = connect::pool(url, None).await?;
        let status = migrate::status(&pool).await;
        pool.close().await;
        status
    }

    /// Applies the pending schema migrations to the database at `url` (for operators
    /// who turn [`InboxConfig::auto_migrate`] off), and says where the schema then
    /// stands.
    pub async fn migrate(url: &str) -> Result<SchemaStatus, InboxError> {
        let pool = connect::pool(url, None).await?;
        let status = migrate::apply(&pool, "", OnOpen::Migrate).await;
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
    pub fn pool(&self) -> &PgPool {
        self.engine.store().pool()
    }
}

/// A lowercase SQL identifier, safe to write unquoted into `CREATE SCHEMA`.
fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    let first = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    first
        && name.len() <= 63
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl Sink for PostgresInbox {
    fn start(&self, dispatcher: Dispatcher) {
        if self.engine.start(dispatcher) {
            let store = self.engine.store();
            let poll = self.engine.config().poll_interval;
            self.engine
                .spawn_background(listen::wake_on_notify(store.clone(), poll));
        }
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        Box::pin(async move {
            self.engine.admit()?;
            let max_pending = self.engine.config().max_pending;
            self.engine
                .store()
                .submit(NewRow::of(&delivery), max_pending)
                .await
        })
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        Box::pin(self.engine.idle())
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.engine.shutdown(deadline))
    }
}
