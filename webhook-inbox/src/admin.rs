//! `Admin`: what an operator (or the `webhook inbox` command, or the console) does with
//! stored rows; the row queries implemented once for both backends over their shared
//! statements ([`RowAdmin`]), the console's in `console_query`.

use std::time::SystemTime;

use webhook_core::futures::future::BoxFuture;

use crate::console_query::{Activity, DeliveryFilter};
use crate::engine::Engine;
use crate::error::InboxError;
use crate::pool_statements::PoolStatements;
use crate::row::{InboxEntry, InboxRow, ListFilter, Replay, Stats};
use crate::store::Store;
use crate::unix_ms;

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

/// The row queries of [`Admin`] (all but the console's), which one engine serves for
/// both backends; each public inbox type answers them through its engine.
pub(crate) trait RowAdmin: Send + Sync {
    /// [`Admin::stats`].
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>>;
    /// [`Admin::list`].
    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>>;
    /// [`Admin::get`].
    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<InboxEntry>, InboxError>>;
    /// [`Admin::replay`].
    fn replay(&self, id: i64) -> BoxFuture<'_, Result<Replay, InboxError>>;
    /// [`Admin::replay_dead`].
    fn replay_dead<'a>(
        &'a self,
        event_type: Option<&'a str>,
    ) -> BoxFuture<'a, Result<u64, InboxError>>;
    /// [`Admin::purge_done_before`].
    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>>;
}

impl<S: Store> RowAdmin for Engine<S> {
    fn stats(&self) -> BoxFuture<'_, Result<Stats, InboxError>> {
        Box::pin(self.store().pool().stats())
    }

    fn list(&self, filter: ListFilter) -> BoxFuture<'_, Result<Vec<InboxRow>, InboxError>> {
        Box::pin(async move { self.store().pool().list(&filter).await })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, Result<Option<InboxEntry>, InboxError>> {
        Box::pin(self.store().pool().get(id))
    }

    fn replay(&self, id: i64) -> BoxFuture<'_, Result<Replay, InboxError>> {
        Box::pin(async move {
            let pool = self.store().pool();
            if pool.replay(id).await? {
                self.store().wakeup().notify_waiters();
                return Ok(Replay::Replayed);
            }
            Ok(match pool.exists(id).await? {
                true => Replay::Running,
                false => Replay::NotFound,
            })
        })
    }

    fn replay_dead<'a>(
        &'a self,
        event_type: Option<&'a str>,
    ) -> BoxFuture<'a, Result<u64, InboxError>> {
        Box::pin(async move {
            let replayed = self.store().pool().replay_dead(event_type).await?;
            self.store().wakeup().notify_waiters();
            Ok(replayed)
        })
    }

    fn purge_done_before(&self, before: SystemTime) -> BoxFuture<'_, Result<u64, InboxError>> {
        Box::pin(
            self.store()
                .pool()
                .purge_done_before(unix_ms::from_time(before)),
        )
    }
}
