//! `Inbox`: a SQLite or Postgres inbox chosen at run time from a database string.

use crate::config::InboxConfig;
use crate::engine::Durable;
use crate::error::InboxError;
#[cfg(feature = "postgres")]
use crate::postgres::PostgresInbox;
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteInbox;

/// A durable inbox of either kind, for programs that take the database as a string
/// (`--db`, `DATABASE_URL`).
///
/// ```no_run
/// use webhook_inbox::{Admin, Inbox, InboxConfig};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let local = Inbox::open("webhooks.db").await?;
/// let shared = Inbox::open_with("postgres://app@db.internal/app", InboxConfig::new().workers(8)).await?;
/// println!("{:?} {:?}", local.stats().await?, shared.stats().await?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Inbox {
    /// A SQLite file.
    #[cfg(feature = "sqlite")]
    Sqlite(SqliteInbox),
    /// A Postgres database.
    #[cfg(feature = "postgres")]
    Postgres(PostgresInbox),
}

impl Inbox {
    /// [`Inbox::open_with`] the default configuration.
    pub async fn open(db: &str) -> Result<Self, InboxError> {
        Self::open_with(db, InboxConfig::new()).await
    }

    /// Connects to Postgres when `db` starts with `postgres://` or `postgresql://`;
    /// otherwise opens the SQLite file at `db` (a `sqlite://` or `sqlite:` prefix is
    /// allowed). The inbox runs with `config` (workers, leases, retention, capacity).
    pub async fn open_with(db: &str, config: InboxConfig) -> Result<Self, InboxError> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Self::open_postgres(db, config).await;
        }
        let path = db
            .strip_prefix("sqlite://")
            .or_else(|| db.strip_prefix("sqlite:"))
            .unwrap_or(db);
        Self::open_sqlite(path, db, config).await
    }

    #[cfg(feature = "postgres")]
    async fn open_postgres(url: &str, config: InboxConfig) -> Result<Self, InboxError> {
        PostgresInbox::connect_with(url, config)
            .await
            .map(Self::Postgres)
    }

    #[cfg(not(feature = "postgres"))]
    async fn open_postgres(url: &str, _config: InboxConfig) -> Result<Self, InboxError> {
        Err(InboxError::FeatureDisabled {
            feature: "postgres",
            db: url.to_owned(),
        })
    }

    #[cfg(feature = "sqlite")]
    async fn open_sqlite(path: &str, _db: &str, config: InboxConfig) -> Result<Self, InboxError> {
        SqliteInbox::open_with(path, config).await.map(Self::Sqlite)
    }

    #[cfg(not(feature = "sqlite"))]
    async fn open_sqlite(_path: &str, db: &str, _config: InboxConfig) -> Result<Self, InboxError> {
        Err(InboxError::FeatureDisabled {
            feature: "sqlite",
            db: db.to_owned(),
        })
    }

    /// The inbox it holds, as the traits both kinds implement.
    fn durable(&self) -> &dyn Durable {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(inbox) => inbox,
            #[cfg(feature = "postgres")]
            Self::Postgres(inbox) => inbox,
        }
    }
}

crate::engine::impl_sink_and_admin!(Inbox);

#[cfg(feature = "sqlite")]
impl From<SqliteInbox> for Inbox {
    fn from(inbox: SqliteInbox) -> Self {
        Self::Sqlite(inbox)
    }
}

#[cfg(feature = "postgres")]
impl From<PostgresInbox> for Inbox {
    fn from(inbox: PostgresInbox) -> Self {
        Self::Postgres(inbox)
    }
}
