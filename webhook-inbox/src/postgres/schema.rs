//! The Postgres inbox's schema (`schema.sql`), applied at every connect.

use sqlx::PgPool;

/// Every table, index, function and trigger, each statement idempotent.
const SQL: &str = include_str!("schema.sql");

/// Serialises schema changes between replicas connecting at once.
const LOCK: i64 = 0x0077_6562_686f_6f6b; // "webhook"

/// Creates what is missing of the schema in the pool's current schema, after creating
/// `create_schema` itself when given (a plain identifier, checked by the caller).
pub(super) async fn apply(pool: &PgPool, create_schema: Option<&str>) -> Result<(), sqlx::Error> {
    let create_schema = create_schema
        .map(|schema| format!("CREATE SCHEMA IF NOT EXISTS {schema};"))
        .unwrap_or_default();
    let ddl = format!("SELECT pg_advisory_xact_lock({LOCK}); {create_schema} {SQL}");
    sqlx::raw_sql(&ddl).execute(pool).await.map(drop)
}
