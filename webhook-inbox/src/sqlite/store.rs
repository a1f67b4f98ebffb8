//! The backend contract on SQLite: stores, claims, lease extensions and settles through
//! the writer (which makes every routine change), the statements both backends share
//! (counting, releasing, pruning, the admin API) on the pool.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use sqlx::SqlitePool;
use tokio::sync::Notify;
use webhook_core::Verified;

use super::writer::{self, WriterQueue, answer};
use crate::config::InboxConfig;
use crate::error::InboxError;
use crate::group_commit::SubmitResult;
use crate::lease::{Claim, Settle};
use crate::store::{Claimed, SettledAndClaimed, Store};

/// The SQLite pool, the writer, and the workers' wake-up.
#[derive(Debug, Clone)]
pub(super) struct SqliteStore {
    pool: SqlitePool,
    writer: WriterQueue,
    wakeup: Arc<Notify>,
}

impl SqliteStore {
    /// Starts the writer on the current runtime, on `writer` (its own connection to the
    /// file at `path`), with `config`'s capacity.
    pub(super) fn new(
        pool: SqlitePool,
        path: PathBuf,
        writer: Connection,
        config: &InboxConfig,
    ) -> Self {
        let wakeup = Arc::new(Notify::new());
        let writer = writer::spawn(path, writer, config.max_pending, Arc::clone(&wakeup));
        Self {
            pool,
            writer,
            wakeup,
        }
    }
}

impl Store for SqliteStore {
    type Pool = SqlitePool;

    fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn submit(&self, delivery: Verified) -> SubmitResult {
        self.writer.submit(delivery).await
    }

    async fn claim(&self, claim: &Claim) -> Result<Vec<Claimed>, InboxError> {
        answer(self.writer.claim(claim).await).await
    }

    async fn extend(&self, id: i64, owner: &str, lease: Duration) -> Result<bool, InboxError> {
        answer(self.writer.extend(id, owner, lease).await).await
    }

    async fn settle(&self, settle: &Settle) -> Result<bool, InboxError> {
        answer(self.writer.settle(settle).await).await
    }

    /// Every settle and the claim are queued before any is awaited, so they usually
    /// share one round (one commit, the `done`s in one statement); the writer runs
    /// settles before claims either way.
    async fn settle_and_claim(&self, settles: &[Settle], claim: &Claim) -> SettledAndClaimed {
        let mut queued = Vec::with_capacity(settles.len());
        for settle in settles {
            queued.push(self.writer.settle(settle).await);
        }
        let claimed = self.writer.claim(claim).await;
        let mut answers = Vec::with_capacity(queued.len());
        for settled in queued {
            answers.push(answer(settled).await);
        }
        (answers, answer(claimed).await)
    }

    fn wakeup(&self) -> &Notify {
        &self.wakeup
    }

    /// None: the writer wakes the workers for what it stores, and they find what other
    /// processes (the CLI's replays) make due by polling.
    fn wake_on_others(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        None::<std::future::Pending<()>>
    }
}
