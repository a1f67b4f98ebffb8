//! The SQLite writer: one task makes every routine change to the table. It takes
//! whatever is queued (submits, and the workers' settles, lease extensions and claims)
//! as a round, runs it all in one `BEGIN IMMEDIATE` transaction, and answers each job
//! only after the `COMMIT`. One fsync then covers a whole round, so durability does not
//! cap throughput, and the inbox's own connections never wait on each other for
//! SQLite's single write lock (no busy-handler sleeps).
//!
//! The writer has a connection of its own, outside the pool, on which a round runs as
//! one blocking call (on tokio's blocking threads). sqlx runs each pooled connection on
//! a thread of its own and hands every statement and every returned row across to the
//! async side: a round of a few dozen deliveries cost a hundred thread switches that
//! way, the largest single cost of a durable delivery. The connection has the pool's
//! settings (see [`super::connection`]).
//!
//! - [`queue`]: the handle that queues jobs, and the jobs;
//! - [`batching`]: what the writer takes as one round;
//! - [`round`]: a round's jobs in the order its transaction runs them, and their answers;
//! - [`transaction`]: the transaction, one function per kind of job, with
//!   [`storing`] for the deliveries and [`hand_out`] for the new rows that go straight
//!   to a claim;
//! - [`statements`]: the multi-row statements of each size, and row binding.

mod batching;
mod hand_out;
mod queue;
mod round;
mod statements;
mod storing;
#[cfg(test)]
mod test_jobs;
mod transaction;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use rusqlite::Connection;
use tokio::sync::{Notify, mpsc};

use self::batching::{Batching, MAX_ROUND};
use self::queue::Job;
pub(super) use self::queue::{WriterQueue, answer};
use self::round::{Replies, Round};
use super::connection::open_writer;
use crate::backlog::{Backlog, CountRule};
use crate::group_commit::QUEUE;

/// When the writer counts the backlog again. It makes every routine change and keeps
/// the count itself, so only other processes' changes (the CLI's replays, a second
/// server during a restart) escape it: a count stands a second, and 10 ms when a
/// delivery would be refused on it.
const COUNT_RULE: CountRule = CountRule {
    fresh: std::time::Duration::from_secs(1),
    near_from_share: 1,
    fresh_near_capacity: std::time::Duration::from_millis(10),
};

/// Starts the writer on the current runtime, on `connection` (from [`open_writer`] on
/// `path`, which it opens again after a failed round), refusing deliveries beyond
/// `capacity` outstanding rows; it wakes `wakeup` after each commit that stored rows.
pub(super) fn spawn(
    path: PathBuf,
    connection: Connection,
    capacity: u64,
    wakeup: Arc<Notify>,
) -> WriterQueue {
    let (queue, jobs) = mpsc::channel(QUEUE);
    let writer = Writer::new(path, Some(connection), capacity);
    tokio::spawn(run(writer, wakeup, jobs));
    WriterQueue::new(queue)
}

/// The writer's connection (none after a failed round, until the next opens it again)
/// and what it knows of the table.
struct Writer {
    path: PathBuf,
    connection: Option<Connection>,
    backlog: Backlog,
    capacity: u64,
}

impl Writer {
    /// A writer on `connection` to the file at `path`, or (none) on a connection it
    /// opens for its first round; it has not counted the backlog yet.
    fn new(path: PathBuf, connection: Option<Connection>, capacity: u64) -> Self {
        Self {
            path,
            connection,
            backlog: Backlog::new(COUNT_RULE),
            capacity,
        }
    }

    /// Runs a round; blocks on SQLite. After a failure the connection is dropped, in
    /// case it broke, and the backlog counted again.
    fn round(&mut self, round: &mut Round) -> rusqlite::Result<Replies> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(open_writer(&self.path)?),
        };
        let committed = transaction::commit(connection, round, &mut self.backlog, self.capacity);
        if committed.is_err() {
            self.backlog.forget();
            self.connection = None;
        }
        committed
    }
}

/// Takes rounds off the queue and runs each until every [`WriterQueue`] is dropped.
async fn run(mut writer: Writer, wakeup: Arc<Notify>, mut jobs: mpsc::Receiver<Job>) {
    let (path, capacity) = (writer.path.clone(), writer.capacity);
    let mut batching = Batching::default();
    let mut taken = Vec::with_capacity(MAX_ROUND);
    while batching.next(&mut jobs, &mut taken).await {
        let mut round = Round::of(taken.drain(..));
        let started = Instant::now();
        let ran = tokio::task::spawn_blocking(move || {
            let committed = writer.round(&mut round);
            (writer, round, committed)
        })
        .await;
        let (returned, round, committed) = match ran {
            Ok(ran) => ran,
            Err(error) => {
                // The round panicked (or the runtime is shutting down): its jobs were
                // dropped with it, so each requester hears the writer stopped (a submit
                // is answered 503, never 200). Start again from a new connection.
                tracing::error!(%error, "inbox writer round failed");
                writer = Writer::new(path.clone(), None, capacity);
                continue;
            }
        };
        writer = returned;
        tracing::trace!(
            size = round.len(),
            took_us = started.elapsed().as_micros() as u64,
            "inbox group commit"
        );
        match committed {
            Ok(replies) => answer_committed(round, replies, &wakeup).await,
            Err(error) => {
                tracing::error!(%error, jobs = round.len(), "inbox commit failed: deliveries refused");
                round.fail(error);
            }
        }
    }
}

/// Answers a committed round: wakes the workers when it stored rows, and after it
/// handed rows to claims, lets the workers just woken run their (quick) handlers and
/// queue their next claims before the next round is taken. Otherwise that round has
/// only submits, stores them all pending, and the claims arriving a round late rewrite
/// them with the claim statement instead of being handed the next round's deliveries.
async fn answer_committed(round: Round, replies: Replies, wakeup: &Notify) {
    if replies.stored_rows() {
        wakeup.notify_waiters();
    }
    let handed_rows = replies.handed_rows();
    round.answer(replies);
    if handed_rows {
        tokio::task::yield_now().await;
    }
}
