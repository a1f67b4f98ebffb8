//! The connections to the inbox file: the pool's, and the writer's own, with the same
//! settings ([`PRAGMAS`] and the busy timeout).

use std::path::Path;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection as _, SqlitePool};

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
    first_connection(&options).await?;
    SqlitePoolOptions::new()
        .max_connections(MAX_CONNECTIONS)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .connect_with(options)
        .await
}

/// Connects once with `options` (closing the connection), so that the file is in WAL
/// mode, which it keeps, before any pool or writer uses it. Processes opening a new file
/// together each switch it to WAL, and SQLite answers the losers of that race with
/// `database is locked` at once, without waiting on the busy timeout: they try again,
/// a few milliseconds apart, until the busy timeout has passed.
async fn first_connection(options: &SqliteConnectOptions) -> Result<(), sqlx::Error> {
    let deadline = Instant::now() + BUSY_TIMEOUT;
    loop {
        match options.connect().await {
            Ok(connection) => return connection.close().await,
            Err(error) if is_busy(&error) && Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(fastrand::u64(2..20))).await;
            }
            Err(error) => return Err(error),
        }
    }
}

/// Whether `error` is SQLite's `SQLITE_BUSY` (any of its extended codes).
fn is_busy(error: &sqlx::Error) -> bool {
    const SQLITE_BUSY: i32 = 5;
    let sqlx::Error::Database(error) = error else {
        return false;
    };
    error
        .code()
        .and_then(|code| code.parse::<i32>().ok())
        .is_some_and(|code| code & 0xff == SQLITE_BUSY)
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
    use super::{open_writer, pool};

    /// Replicas starting together on a new file all switch it to WAL at once; SQLite
    /// answers that race with `database is locked` at once, whatever the busy timeout.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn processes_opening_a_new_file_together_all_open() {
        for round in 0..40 {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let path = dir.path().join("new.db");
            let opens = (0..6).map(|_| pool(&path));
            for opened in webhook_core::futures::future::join_all(opens).await {
                let pool = opened.unwrap_or_else(|error| panic!("round {round}: {error}"));
                pool.close().await;
            }
        }
    }

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
