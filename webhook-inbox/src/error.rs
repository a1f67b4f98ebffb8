//! `InboxError`: why opening, migrating or administering an inbox failed.

/// Why an inbox could not be opened, read or changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InboxError {
    /// The database refused or failed (through the connection pool).
    #[error("inbox database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The SQLite inbox's writer could not open its connection, or a round of its
    /// writes failed and was rolled back (one error, shared by every request of the
    /// round).
    #[cfg(feature = "sqlite")]
    #[error("the SQLite inbox's writer failed: {0}")]
    Writer(#[source] std::sync::Arc<rusqlite::Error>),
    /// The SQLite inbox's writer has stopped (the runtime that ran it is shutting down):
    /// nothing more can be stored through this inbox.
    #[error("the inbox's writer has stopped: open the inbox again")]
    WriterStopped,
    /// The database holds a schema written by a newer release; it was not touched.
    #[error(
        "the inbox schema is version {found}, newer than this release knows ({supported}): upgrade `webhook-inbox`, or point it at another database"
    )]
    SchemaTooNew {
        /// The version recorded in the database.
        found: u32,
        /// The newest version this release knows.
        supported: u32,
    },
    /// Migrations are pending and automatic migration is off
    /// ([`InboxConfig::auto_migrate`](crate::InboxConfig::auto_migrate)).
    #[error(
        "the inbox schema is version {found} and this release needs {latest}: run `webhook inbox migrate --db <database>`, or turn `InboxConfig::auto_migrate` on"
    )]
    MigrationsPending {
        /// The version recorded in the database (0: none yet).
        found: u32,
        /// The version this release needs.
        latest: u32,
    },
    /// A migration failed; its transaction was rolled back, and the schema is still at
    /// the version before it.
    #[error("inbox migration {version} ({name}) failed and was rolled back: {source}")]
    Migration {
        /// The migration's number.
        version: u32,
        /// What it does.
        name: &'static str,
        /// Why it failed.
        #[source]
        source: Box<InboxError>,
    },
    /// The TLS handshake with Postgres failed, or the server refused TLS that the
    /// `sslmode` requires.
    #[error("TLS to the inbox database failed: {check}")]
    Tls {
        /// Which check failed and what to do, e.g. that the server's certificate is not
        /// signed by the CA in `sslrootcert`.
        check: String,
        /// The underlying error.
        #[source]
        source: sqlx::Error,
    },
    /// A Postgres schema name that is not a plain identifier.
    #[error(
        "`{0}` is not a usable schema name: use lowercase ASCII letters, digits and `_`, starting with a letter or `_`"
    )]
    SchemaName(String),
    /// The `--db` string needs a backend this build leaves out.
    #[error("`{db}` needs the `{feature}` feature of `webhook-inbox`: enable it in Cargo.toml")]
    FeatureDisabled {
        /// The feature to enable.
        feature: &'static str,
        /// The database string given.
        db: String,
    },
    /// A stored row cannot be read back (edited by hand, or written by another version).
    #[error("inbox row {id} is unreadable: {reason}")]
    Corrupt {
        /// The row's id.
        id: i64,
        /// What is wrong with it.
        reason: String,
    },
}

impl InboxError {
    pub(crate) fn corrupt(id: i64, reason: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            id,
            reason: reason.to_string(),
        }
    }
}

#[cfg(feature = "sqlite")]
impl From<rusqlite::Error> for InboxError {
    fn from(error: rusqlite::Error) -> Self {
        Self::Writer(std::sync::Arc::new(error))
    }
}
