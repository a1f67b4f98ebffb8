//! `PostgresInbox`: one inbox table shared by many replicas.

mod connect;
mod console;
mod intake;
mod listen;
mod statements;
mod store;

use sqlx::PgPool;

use self::store::PgStore;
use crate::config::InboxConfig;
use crate::engine::{Durable, Engine};
use crate::error::InboxError;
use crate::migrate::postgres as migrate;
use crate::migrate::{OnOpen, SchemaStatus};
use crate::store::Store;

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

crate::pool_statements::impl_pool_statements!(PgPool, sql);

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
/// let inbox = PostgresInbox::connect_with(url, InboxConfig::new().workers(8)).await?;
/// # let _ = inbox; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct PostgresInbox {
    engine: Engine<PgStore>,
}

impl PostgresInbox {
    /// [`PostgresInbox::connect_with`] the default configuration (pending schema
    /// migrations applied).
    pub async fn connect(url: &str) -> Result<Self, InboxError> {
        Self::connect_with(url, InboxConfig::new()).await
    }

    /// Connects to the database at `url` and runs the inbox in its current schema with
    /// `config` (workers, leases, retention, capacity). Pending schema migrations are
    /// applied first, under an advisory lock (replicas starting together migrate once),
    /// unless [`InboxConfig::auto_migrate`] is off (then it refuses while any is
    /// pending).
    pub async fn connect_with(url: &str, config: InboxConfig) -> Result<Self, InboxError> {
        let pool = connect::pool(url, None).await?;
        Self::prepare(pool, None, config).await
    }

    /// Like [`PostgresInbox::connect_with`], with the table in `schema` (created if
    /// missing): several inboxes, or test runs, can share one database.
    pub async fn connect_with_schema(
        url: &str,
        schema: &str,
        config: InboxConfig,
    ) -> Result<Self, InboxError> {
        if !is_identifier(schema) {
            return Err(InboxError::SchemaName(schema.to_owned()));
        }
        let pool = connect::pool(url, Some(schema)).await?;
        Self::prepare(pool, Some(schema), config).await
    }

    async fn prepare(
        pool: PgPool,
        create_schema: Option<&str>,
        config: InboxConfig,
    ) -> Result<Self, InboxError> {
        let create_schema = create_schema
            .map(|schema| format!("CREATE SCHEMA IF NOT EXISTS {schema}"))
            .unwrap_or_default();
        migrate::apply(&pool, &create_schema, config.on_open()).await?;
        let schema: String = sqlx::query_scalar("SELECT CAST(current_schema() AS TEXT)")
            .fetch_one(&pool)
            .await?;
        let store = PgStore::new(pool, schema, &config);
        Ok(Self {
            engine: Engine::new(store, config),
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

    /// The connection pool, e.g. to check its settings. Writing to `webhook_inbox`
    /// through it bypasses the inbox's rules.
    pub fn pool(&self) -> &PgPool {
        self.engine.store().pool()
    }

    /// The inbox as the traits it implements, through its engine.
    fn durable(&self) -> &dyn Durable {
        &self.engine
    }
}

crate::engine::impl_sink_and_admin!(PostgresInbox);

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
