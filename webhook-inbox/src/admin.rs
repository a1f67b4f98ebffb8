//! `Admin`: what an operator (or the `webhook inbox` command) does with stored rows.

use std::time::SystemTime;

use webhook_core::futures::future::BoxFuture;

use crate::console_query::{Activity, DeliveryFilter};
use crate::error::InboxError;
use crate::row::{InboxEntry, InboxRow, ListFilter, Replay, Stats};

/// Inspects and repairs an inbox: counts, listings, one row in full, replays, purges.
///
/// Implemented by [`SqliteInbox`](crate::SqliteInbox),
/// [`PostgresInbox`](crate::PostgresInbox) and [`Inbox`](crate::Inbox). None of these
/// needs the inbox to be started: a command-line tool opens the database and calls
/// them while the server runs.
///
/// ```no_run
/// use webhook_inbox::{Admin, Inbox, ListFilter, State};
///
/// # #[tokio::main] async fn main() -> Result<(), webhook_inbox::InboxError> {
/// let inbox = Inbox::open("webhooks.db").await?;
/// println!("{:?}", inbox.stats().await?);
/// for row in inbox.list(ListFilter::new().state(State::Dead)).await? {
///     println!("{} {} {:?}", row.id, row.event_type, row.last_error);
/// }
/// let revived = inbox.replay_dead(Some("charge.succeeded")).await?;
/// println!("{revived} dead letters are pending again");
/// # Ok(()) }
/// ```
pub trait Admin: Send + Sync {
    /// How many rows are in each state.
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>>;

    /// The rows `filter` selects, newest first.
    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>>;

    /// Row `id` with its headers and body, or `None` when there is no such row.
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<InboxEntry>, InboxError>>;

    /// Puts row `id` back to pending with its attempts reset, whatever its state,
    /// unless a worker is running it.
    fn replay(&self, id: i64) -> BoxFuture<'_, Result<Replay, InboxError>>;

    /// Puts every dead row (of `event_type`, when given) back to pending with its
    /// attempts reset. Returns how many.
    fn replay_dead<'a>(
        &'a self,
        event_type: Option<&'a str>,
    ) -> BoxFuture<'a, Result<u64, InboxError>>;

    /// Deletes done rows finished before `before` (after that, a redelivery of one of
    /// them would run again). Returns how many.
    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// Each provider with stored rows, in order (at most 100).
    fn providers(&self) -> BoxFuture<'_, Result<Vec<String>, InboxError>>;

    /// A page of the rows `filter` matches, newest first: at most `limit` rows with ids
    /// below `before` (the last id of the previous page; `None` for the first). Each
    /// page costs about the same however deep it is (keyset, not offset).
    fn deliveries(
        &self,
        filter: DeliveryFilter,
        before: Option<i64>,
        limit: u32,
    ) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>>;

    /// How many rows `filter` matches, and the id of the newest of them (for
    /// [`Admin::replay_matching`]'s `up_to`, so that a replay confirmed for a count
    /// leaves the rows that arrived since alone).
    fn count(
        &self,
        filter: DeliveryFilter,
    ) -> BoxFuture<'_, Result<(u64, Option<i64>), InboxError>>;

    /// Puts every row `filter` matches with an id at most `up_to` back to pending with
    /// its attempts reset, except rows a worker is running; a few hundred rows per
    /// statement, so intake is never held up for long. Returns how many.
    fn replay_matching(
        &self,
        filter: DeliveryFilter,
        up_to: i64,
    ) -> BoxFuture<'_, Result<u64, InboxError>>;

    /// Receipts, completions and failures per minute since `since`, how long the
    /// completions took, the oldest row not yet handled and the dead letters by event
    /// type.
    fn activity(&self, since: SystemTime) -> BoxFuture<'_, Result<Activity, InboxError>>;

    /// Row `id`'s body exactly as received, or `None` when there is no such row.
    fn raw_body(&self, id: i64) -> BoxFuture<'_, Result<Option<bytes::Bytes>, InboxError>>;

    /// How many done rows finished before `before` (what
    /// [`Admin::purge_done_before`] would delete).
    fn count_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>>;
}

/// Stats from `(state, count)` pairs as the backends' `GROUP BY state` returns them.
pub(crate) fn stats_from(counts: Vec<(String, i64)>) -> Result<Stats, InboxError> {
    let mut stats = Stats::default();
    for (state, count) in counts {
        let state = state
            .parse()
            .map_err(|error| InboxError::corrupt(0, error))?;
        stats.set(state, u64::try_from(count).unwrap_or(0));
    }
    Ok(stats)
}

/// Implements [`Admin`] for a backend's inbox type from its `sql` statements module; both
/// backends run the same statements in their own dialect, so the Rust around them is one.
/// The inbox's store must have `wake_workers()`, called after replays.
macro_rules! impl_admin {
    ($inbox:ty, $sql:ident) => {
        impl $crate::admin::Admin for $inbox {
            fn stats(&self) -> webhook_core::futures::future::BoxFuture<'_, Result<$crate::row::Stats, $crate::error::InboxError>> {
                Box::pin(async move {
                    let counts: Vec<(String, i64)> =
                        sqlx::query_as($sql::STATS).fetch_all(self.pool()).await?;
                    crate::admin::stats_from(counts)
                })
            }

            fn list(&self, filter: $crate::row::ListFilter) -> webhook_core::futures::future::BoxFuture<'_, Result<Vec<$crate::row::InboxRow>, $crate::error::InboxError>> {
                Box::pin(async move {
                    let records: Vec<$crate::record::RowRecord> = sqlx::query_as($sql::LIST)
                        .bind(filter.state.map(|state| state.as_str()))
                        .bind(filter.event_type.as_deref())
                        .bind(i64::from(filter.limit))
                        .fetch_all(self.pool())
                        .await?;
                    records.into_iter().map($crate::row::InboxRow::try_from).collect()
                })
            }

            fn get(&self, id: i64) -> webhook_core::futures::future::BoxFuture<'_, Result<Option<$crate::row::InboxEntry>, $crate::error::InboxError>> {
                Box::pin(async move {
                    let record: Option<$crate::record::EntryRecord> = sqlx::query_as($sql::GET)
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await?;
                    record.map($crate::row::InboxEntry::try_from).transpose()
                })
            }

            fn replay(&self, id: i64) -> webhook_core::futures::future::BoxFuture<'_, Result<$crate::row::Replay, $crate::error::InboxError>> {
                Box::pin(async move {
                    if sqlx::query($sql::REPLAY)
                        .bind(id)
                        .execute(self.pool())
                        .await?
                        .rows_affected()
                        == 1
                    {
                        self.engine.store().wake_workers();
                        return Ok($crate::row::Replay::Replayed);
                    }
                    let state: Option<String> = sqlx::query_scalar($sql::STATE_OF_ROW)
                        .bind(id)
                        .fetch_optional(self.pool())
                        .await?;
                    Ok(if state.is_some() {
                        $crate::row::Replay::Running
                    } else {
                        $crate::row::Replay::NotFound
                    })
                })
            }

            fn replay_dead<'a>(
                &'a self,
                event_type: Option<&'a str>,
            ) -> webhook_core::futures::future::BoxFuture<'a, Result<u64, $crate::error::InboxError>> {
                Box::pin(async move {
                    let replayed = sqlx::query($sql::REPLAY_DEAD)
                        .bind(event_type)
                        .execute(self.pool())
                        .await?
                        .rows_affected();
                    self.engine.store().wake_workers();
                    Ok(replayed)
                })
            }

            fn purge_done_before(&self, before: std::time::SystemTime) -> webhook_core::futures::future::BoxFuture<'_, Result<u64, $crate::error::InboxError>> {
                Box::pin(async move {
                    let purged = sqlx::query($sql::PURGE_DONE)
                        .bind($crate::unix_ms::from_time(before))
                        .execute(self.pool())
                        .await?;
                    Ok(purged.rows_affected())
                })
            }

            $crate::console_query::admin_console_methods!();
        }
    };
}

pub(crate) use impl_admin;
