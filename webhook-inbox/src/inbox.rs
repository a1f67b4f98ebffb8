//! `Inbox`: a SQLite or Postgres inbox chosen at run time from a database string.

use std::time::{Duration, SystemTime};

use webhook_core::futures::future::BoxFuture;
use webhook_core::{Dispatcher, Sink, SinkError, Submitted, Verified};

use crate::admin::Admin;
use crate::config::InboxConfig;
use crate::console_query::{Activity, DeliveryFilter};
use crate::error::InboxError;
use crate::migrate::SchemaStatus;
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
    /// allowed). Uses the default [`InboxConfig`], which applies pending schema
    /// migrations.
    pub async fn open(db: &str) -> Result<Self, InboxError> {
        Self::open_with(db, InboxConfig::new()).await
    }

    /// Like [`Inbox::open`], run as `config` says.
    pub async fn open_with(db: &str, config: InboxConfig) -> Result<Self, InboxError> {
        match Target::of(db) {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(path) => SqliteInbox::open_with(path, config).await.map(Self::Sqlite),
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => PostgresInbox::connect_with(url, config)
                .await
                .map(Self::Postgres),
            Target::Disabled(error) => Err(error),
        }
    }

    /// Where the schema of the inbox at `db` stands against this release: its version
    /// and the migrations this release would apply. Changes nothing, and works while
    /// migrations are pending (or the schema is too new: that is the error).
    pub async fn schema_status(db: &str) -> Result<SchemaStatus, InboxError> {
        match Target::of(db) {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(path) => SqliteInbox::schema_status(path).await,
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => PostgresInbox::schema_status(url).await,
            Target::Disabled(error) => Err(error),
        }
    }

    /// Applies the pending schema migrations to the inbox at `db`, in order, each in a
    /// transaction (Postgres: under an advisory lock), for operators who turn
    /// [`InboxConfig::auto_migrate`] off; says where the schema then stands.
    pub async fn migrate(db: &str) -> Result<SchemaStatus, InboxError> {
        match Target::of(db) {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(path) => SqliteInbox::migrate(path).await,
            #[cfg(feature = "postgres")]
            Target::Postgres(url) => PostgresInbox::migrate(url).await,
            Target::Disabled(error) => Err(error),
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

/// Which backend a database string names.
enum Target<'a> {
    /// A SQLite file path.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a str),
    /// A Postgres URL.
    #[cfg(feature = "postgres")]
    Postgres(&'a str),
    /// A backend this build leaves out.
    Disabled(InboxError),
}

impl<'a> Target<'a> {
    fn of(db: &'a str) -> Self {
        if db.starts_with("postgres://") || db.starts_with("postgresql://") {
            #[cfg(feature = "postgres")]
            return Self::Postgres(db);
            #[cfg(not(feature = "postgres"))]
            return Self::disabled("postgres", db);
        }
        #[cfg(feature = "sqlite")]
        return Self::Sqlite(
            db.strip_prefix("sqlite://")
                .or_else(|| db.strip_prefix("sqlite:"))
                .unwrap_or(db),
        );
        #[cfg(not(feature = "sqlite"))]
        return Self::disabled("sqlite", db);
    }

    #[allow(dead_code)] // used when a backend is left out
    fn disabled(feature: &'static str, db: &str) -> Self {
        Self::Disabled(InboxError::FeatureDisabled {
            feature,
            db: db.to_owned(),
        })
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

    fn providers(&self) -> BoxFuture<'_, Result<Vec<String>, InboxError>> {
        self.kind().providers()
    }

    fn deliveries(
        &self,
        filter: DeliveryFilter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>> {
        self.kind().deliveries(filter, before, limit)
    }

    fn count(
        &self,
        filter: DeliveryFilter,
    ) -> BoxFuture<'_, Result<(u64, Option<i64>), InboxError>> {
        self.kind().count(filter)
    }

    fn replay_matching(
        &self,
        filter: DeliveryFilter,
        up_to: i64,
    ) -> BoxFuture<'_, Result<u64, InboxError>> {
        self.kind().replay_matching(filter, up_to)
    }

    fn activity(&self, since: SystemTime) -> BoxFuture<'_, Result<Activity, InboxError>> {
        self.kind().activity(since)
    }

    fn raw_body(&self, id: i64) -> BoxFuture<'_, Result<Option<bytes::Bytes>, InboxError>> {
        self.kind().raw_body(id)
    }

    fn count_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        self.kind().count_done_before(before)
    }
}
