//! `Admin`: what an operator (or the `webhook inbox` command) does with stored rows,
//! implemented once for both backends over their shared statements.

use std::time::SystemTime;

use webhook_core::futures::future::BoxFuture;

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
}

/// Both backends' admin API: the statements on the pool, and a wake-up for this
/// process's workers after a replay (other processes' find the rows by polling, or on
/// Postgres through the table's trigger).
impl<S: Store> Admin for Engine<S> {
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
