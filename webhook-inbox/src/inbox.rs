//! `Inbox`: a SQLite or Postgres inbox chosen at run time from a database string.

use std::time::{Duration, SystemTime};

use webhook_core::futures::future::BoxFuture;
use webhook_core::{Dispatcher, Sink, SinkError, Submitted, Verified};

use crate::admin::Admin;
use crate::config::InboxConfig;
use crate::error::InboxError;
#[cfg(feature = "postgres")]
use crate::postgres::PostgresInbox;
use crate::row::{InboxEntry, InboxRow, ListFilter, Replay, Stats};
#[cfg(feature = "sqlite")]
use crate::sqlite::SqliteInbox;

/// A durable inbox of either kind, for programs that take the database as a string
/// (`--db`, `DATABASE_URL`).
///
/// ```no_run
/// use webhook_inbox::{Admin, Inbox};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let local = Inbox::open("webhooks.db").await?;
/// let shared = Inbox::open("postgres://app@db.internal/app").await?;
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
    /// Connects to Postgres when `db` starts with `postgres://` or `postgresql://`;
    /// otherwise opens the SQLite file at `db` (a `sqlite://` or `sqlite:` prefix is
    /// allowed).
    pub async fn open(db: &str) -> Result<Self, InboxError> {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            return Self::open_postgres(db).await;
        }
        let path = db
            .strip_prefix("sqlite://")
            .or_else(|| db.strip_prefix("sqlite:"))
            .unwrap_or(db);
        Self::open_sqlite(path, db).await
    }

    #[cfg(feature = "postgres")]
    async fn open_postgres(url: &str) -> Result<Self, InboxError> {
        PostgresInbox::connect(url).await.map(Self::Postgres)
    }

    #[cfg(not(feature = "postgres"))]
    async fn open_postgres(url: &str) -> Result<Self, InboxError> {
        Err(InboxError::FeatureDisabled {
            feature: "postgres",
            db: url.to_owned(),
        })
    }

    #[cfg(feature = "sqlite")]
    async fn open_sqlite(path: &str, _db: &str) -> Result<Self, InboxError> {
        SqliteInbox::open(path).await.map(Self::Sqlite)
    }

    #[cfg(not(feature = "sqlite"))]
    async fn open_sqlite(_path: &str, db: &str) -> Result<Self, InboxError> {
        Err(InboxError::FeatureDisabled {
            feature: "sqlite",
            db: db.to_owned(),
        })
    }

    /// Replaces the configuration (workers, leases, retention, capacity). Call before
    /// the inbox is given to a receiver.
    #[must_use]
    pub fn with_config(self, config: InboxConfig) -> Self {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(inbox) => Self::Sqlite(inbox.with_config(config)),
            #[cfg(feature = "postgres")]
            Self::Postgres(inbox) => Self::Postgres(inbox.with_config(config)),
        }
    }

    /// The inbox as the one trait both kinds implement.
    fn kind(&self) -> &dyn Kind {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite(inbox) => inbox,
            #[cfg(feature = "postgres")]
            Self::Postgres(inbox) => inbox,
        }
    }
}

/// Both traits at once, so `Inbox` delegates through one match.
trait Kind: Sink + Admin {}

impl<T: Sink + Admin> Kind for T {}

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

impl Sink for Inbox {
    fn start(&self, dispatcher: Dispatcher) {
        self.kind().start(dispatcher);
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        self.kind().submit(delivery)
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        self.kind().idle()
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        self.kind().shutdown(deadline)
    }
}

impl Admin for Inbox {
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>> {
        self.kind().stats()
    }

    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>> {
        self.kind().list(filter)
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<InboxEntry>, InboxError>> {
        self.kind().get(id)
    }

    fn replay(&self, id: i64) -> BoxFuture<'_, Result<Replay, InboxError>> {
        self.kind().replay(id)
    }

    fn replay_dead<'a>(
        &'a self,
        event_type: Option<&'a str>,
    ) -> BoxFuture<'a, Result<u64, InboxError>> {
        self.kind().replay_dead(event_type)
    }

    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        self.kind().purge_done_before(before)
    }
}
