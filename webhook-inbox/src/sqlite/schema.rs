//! The SQLite inbox's schema ([`SQL`], `schema.sql`), applied at every open.

use sqlx::SqlitePool;

/// Every table, index and trigger, each statement idempotent.
pub(super) const SQL: &str = include_str!("schema.sql");

/// Creates what is missing of the schema.
pub(super) async fn apply(pool: &SqlitePool) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(SQL).execute(pool).await.map(drop)
}
