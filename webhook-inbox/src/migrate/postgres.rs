//! Applying the Postgres inbox's migrations: under a session advisory lock, so that
//! replicas starting together migrate once and the others wait, each migration in a
//! transaction of its own.

use sqlx::{Connection, PgConnection, PgPool};

use super::{CREATE_HISTORY, CURRENT, HISTORY, Migration, OnOpen, SchemaStatus, failed, now_ms};
use crate::error::InboxError;

/// The Postgres inbox's schema, in order (`migrations/postgres/`).
pub(crate) const MIGRATIONS: &[Migration] = &super::migrations!("postgres");

/// The advisory lock migrations hold: the key under which releases before the schema
/// had a version created their table, so that a replica of such a release starting
/// during an upgrade waits for it too.
const LOCK: i64 = 0x0077_6562_686f_6f6b; // "webhook"

const RECORD: &str =
    "INSERT INTO webhook_inbox_migration (version, name, applied_at) VALUES ($1, $2, $3)";

/// Where the current schema stands; changes nothing.
pub(crate) async fn status(pool: &PgPool) -> Result<SchemaStatus, InboxError> {
    let mut connection = pool.acquire().await?;
    SchemaStatus::of(version(&mut connection).await?, MIGRATIONS)
}

/// Runs `prepare` (e.g. `CREATE SCHEMA IF NOT EXISTS`, may be empty), then applies the
/// pending migrations of [`MIGRATIONS`] (or refuses, as `on_open` says).
pub(crate) async fn apply(
    pool: &PgPool,
    prepare: &str,
    on_open: OnOpen,
) -> Result<SchemaStatus, InboxError> {
    run(pool, prepare, MIGRATIONS, on_open).await
}

/// Applies `migrations` above the recorded version, in order, each in a transaction of
/// its own, holding [`LOCK`] throughout; a schema newer than all of them is refused
/// before anything is written.
///
/// The lock is the session's, on a connection taken out of the pool and closed at the
/// end: whatever fails, the lock goes with the connection.
pub(crate) async fn run(
    pool: &PgPool,
    prepare: &str,
    migrations: &[Migration],
    on_open: OnOpen,
) -> Result<SchemaStatus, InboxError> {
    let mut connection = pool.acquire().await?.detach();
    let result = locked(&mut connection, prepare, migrations, on_open).await;
    let _ = connection.close().await;
    result
}

async fn locked(
    connection: &mut PgConnection,
    prepare: &str,
    migrations: &[Migration],
    on_open: OnOpen,
) -> Result<SchemaStatus, InboxError> {
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(LOCK)
        .execute(&mut *connection)
        .await?;
    if !prepare.is_empty() {
        sqlx::raw_sql(prepare).execute(&mut *connection).await?;
    }
    let status = SchemaStatus::of(version(connection).await?, migrations)?;
    on_open.check(&status)?;
    for migration in migrations.iter().filter(|m| m.version > status.version) {
        apply_one(connection, migration)
            .await
            .map_err(|error| failed(migration, error))?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied inbox migration"
        );
    }
    SchemaStatus::of(version(connection).await?, migrations)
}

/// Applies `migration` and records it, in one transaction.
async fn apply_one(
    connection: &mut PgConnection,
    migration: &Migration,
) -> Result<(), sqlx::Error> {
    let mut transaction = connection.begin().await?;
    sqlx::raw_sql(CREATE_HISTORY)
        .execute(&mut *transaction)
        .await?;
    sqlx::raw_sql(migration.sql)
        .execute(&mut *transaction)
        .await?;
    sqlx::query(RECORD)
        .bind(i64::from(migration.version))
        .bind(migration.name)
        .bind(now_ms())
        .execute(&mut *transaction)
        .await?;
    transaction.commit().await
}

/// The recorded version in the current schema; 0 without a record.
async fn version(connection: &mut PgConnection) -> Result<u32, InboxError> {
    let recorded: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
        .bind(HISTORY)
        .fetch_one(&mut *connection)
        .await?;
    if !recorded {
        return Ok(0);
    }
    let version: i64 = sqlx::query_scalar(CURRENT)
        .fetch_one(&mut *connection)
        .await?;
    Ok(u32::try_from(version).unwrap_or(u32::MAX))
}
