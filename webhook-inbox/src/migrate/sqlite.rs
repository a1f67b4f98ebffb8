//! Applying the SQLite inbox's migrations: each in a `BEGIN IMMEDIATE` transaction, which
//! takes the file's write lock, so processes opening one file together apply each once.

use sqlx::{SqliteConnection, SqlitePool};

use super::{CREATE_HISTORY, CURRENT, HISTORY, Migration, OnOpen, SchemaStatus, failed, now_ms};
use crate::error::InboxError;

/// The SQLite inbox's schema, in order (`migrations/sqlite/`).
pub(crate) const MIGRATIONS: &[Migration] = &super::migrations!("sqlite");

const RECORD: &str =
    "INSERT INTO webhook_inbox_migration (version, name, applied_at) VALUES (?1, ?2, ?3)";

/// Where the file's schema stands; changes nothing.
pub(crate) async fn status(pool: &SqlitePool) -> Result<SchemaStatus, InboxError> {
    let mut connection = pool.acquire().await?;
    SchemaStatus::of(version(&mut connection).await?, MIGRATIONS)
}

/// Applies the pending migrations of [`MIGRATIONS`] (or refuses, as `on_open` says).
pub(crate) async fn apply(pool: &SqlitePool, on_open: OnOpen) -> Result<SchemaStatus, InboxError> {
    run(pool, MIGRATIONS, on_open).await
}

/// Applies `migrations` above the recorded version, in order, each in a transaction of
/// its own; a database newer than all of them is refused before anything is written.
pub(crate) async fn run(
    pool: &SqlitePool,
    migrations: &[Migration],
    on_open: OnOpen,
) -> Result<SchemaStatus, InboxError> {
    let mut connection = pool.acquire().await?;
    let status = SchemaStatus::of(version(&mut connection).await?, migrations)?;
    on_open.check(&status)?;
    for migration in migrations.iter().filter(|m| m.version > status.version) {
        sqlx::raw_sql("BEGIN IMMEDIATE")
            .execute(&mut *connection)
            .await?;
        match apply_one(&mut connection, migrations, migration).await {
            Ok(()) => sqlx::raw_sql("COMMIT").execute(&mut *connection).await?,
            Err(error) => {
                sqlx::raw_sql("ROLLBACK").execute(&mut *connection).await?;
                return Err(error);
            }
        };
    }
    SchemaStatus::of(version(&mut connection).await?, migrations)
}

/// Applies `migration` inside the open transaction, unless another process did since
/// the version was read.
async fn apply_one(
    connection: &mut SqliteConnection,
    migrations: &[Migration],
    migration: &Migration,
) -> Result<(), InboxError> {
    let now = version(connection).await?;
    SchemaStatus::of(now, migrations)?;
    if now >= migration.version {
        return Ok(());
    }
    let statements = async {
        sqlx::raw_sql(CREATE_HISTORY)
            .execute(&mut *connection)
            .await?;
        sqlx::raw_sql(migration.sql)
            .execute(&mut *connection)
            .await?;
        sqlx::query(RECORD)
            .bind(i64::from(migration.version))
            .bind(migration.name)
            .bind(now_ms())
            .execute(&mut *connection)
            .await
    };
    statements.await.map_err(|error| failed(migration, error))?;
    tracing::info!(
        version = migration.version,
        name = migration.name,
        "applied inbox migration"
    );
    Ok(())
}

/// The recorded version; 0 without a record.
async fn version(connection: &mut SqliteConnection) -> Result<u32, InboxError> {
    let recorded: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)",
    )
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

#[cfg(test)]
mod tests {
    use super::{MIGRATIONS, run, status};
    use crate::error::InboxError;
    use crate::migrate::{Migration, OnOpen};

    #[tokio::test]
    async fn a_failing_migration_is_rolled_back_and_the_schema_keeps_its_version() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::sqlite::connect_for_tests(&dir.path().join("m.db")).await;
        let broken = [
            MIGRATIONS[0],
            Migration {
                version: 2,
                name: "half done",
                sql: "CREATE TABLE half (a INTEGER); SELECT no_such_function();",
            },
        ];
        let error = run(&pool, &broken, OnOpen::Migrate).await.unwrap_err();
        assert!(
            matches!(
                error,
                InboxError::Migration {
                    version: 2,
                    name: "half done",
                    ..
                }
            ),
            "{error}"
        );
        assert!(error.to_string().contains("no_such_function"), "{error}");
        assert_eq!(status(&pool).await.unwrap().version, 1);
        let half: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'")
                .fetch_one(&pool)
                .await
                .unwrap();
        assert_eq!(half, 0, "the failed migration's table was rolled back");
    }

    #[tokio::test]
    async fn migrations_apply_in_order_each_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::sqlite::connect_for_tests(&dir.path().join("m.db")).await;
        let three = [
            MIGRATIONS[0],
            Migration {
                version: 2,
                name: "add a",
                sql: "CREATE TABLE later (a INTEGER);",
            },
            Migration {
                version: 3,
                name: "add b to it",
                sql: "ALTER TABLE later ADD COLUMN b INTEGER;",
            },
        ];
        let done = run(&pool, &three[..2], OnOpen::Migrate).await.unwrap();
        assert_eq!((done.version, done.latest), (2, 2));
        let done = run(&pool, &three, OnOpen::Migrate).await.unwrap();
        assert!(done.is_current() && done.version == 3);
        let recorded: Vec<(i64, String)> =
            sqlx::query_as("SELECT version, name FROM webhook_inbox_migration ORDER BY version")
                .fetch_all(&pool)
                .await
                .unwrap();
        let names: Vec<&str> = recorded.iter().map(|(_, name)| name.as_str()).collect();
        assert_eq!(names, ["baseline", "add a", "add b to it"]);
    }
}
