//! The connections to the inbox file: the pool's, and the writer's own, with the same
//! settings ([`PRAGMAS`] and the busy timeout).

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use sqlx::SqlitePool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

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

/// How long a connection waits for another writer before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Connections in the pool: workers' reads, `idle`, pruning, releasing and admin.
const MAX_CONNECTIONS: u32 = 16;

/// How long a query waits for a pooled connection.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

/// Prepared statements the writer keeps: more than it has (the upserts and body
/// inserts of each size, the done statements, the claim and the rest), so that every
/// statement a round runs stays prepared.
const WRITER_STATEMENTS: usize = 96;

/// The pool on the file at `path` (created if missing), every connection with
/// [`PRAGMAS`]: as connect options, since a one-off `PRAGMA` through a pool reaches one
/// connection only.
pub(super) async fn pool(path: &Path) -> Result<SqlitePool, sqlx::Error> {
    let options = PRAGMAS.iter().fold(
        SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .busy_timeout(BUSY_TIMEOUT),
        |options, (name, value)| options.pragma(*name, *value),
    );
    SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
}

/// The writer's own connection to the file at `path`, with the pool's settings.
pub(super) fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    for (name, value) in PRAGMAS {
        connection.pragma_update(None, name, value)?;
    }
    connection.set_prepared_statement_cache_capacity(WRITER_STATEMENTS);
    Ok(connection)
}

#[cfg(test)]
mod tests {
    use super::open_writer;

    /// The writer's connection is outside the pool: it must have the pool's settings
    /// itself (the pooled connections are checked in `tests/sqlite.rs`).
    #[test]
    fn the_writers_connection_is_wal_with_synchronous_full() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let connection = open_writer(&dir.path().join("writer.db")).expect("the writer opens");
        let pragma = |name: &str| -> String {
            connection
                .query_row(&format!("PRAGMA {name}"), [], |row| {
                    row.get::<_, rusqlite::types::Value>(0)
                })
                .map(|value| match value {
                    rusqlite::types::Value::Integer(number) => number.to_string(),
                    rusqlite::types::Value::Text(text) => text,
                    other => format!("{other:?}"),
                })
                .expect("the pragma reads")
        };
        // synchronous 2 = FULL; temp_store 2 = MEMORY.
        assert_eq!(
            (
                pragma("journal_mode"),
                pragma("synchronous"),
                pragma("busy_timeout"),
                pragma("temp_store")
            ),
            (
                "wal".to_owned(),
                "2".to_owned(),
                "5000".to_owned(),
                "2".to_owned()
            )
        );
    }
}
