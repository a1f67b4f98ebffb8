//! The worker-side queries on SQLite, and submits through the group-commit writer.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rusqlite::Connection;
use sqlx::SqlitePool;
use tokio::sync::Notify;
use webhook_core::{SinkError, Submitted, Verified};

use super::group_commit::{GroupCommit, answer};
use super::sql;
use crate::error::InboxError;
use crate::record::NewRow;
use crate::store::{Claimed, Outcome, SettledAndClaimed, Store};
use crate::unix_ms;

/// The SQLite pool, the writer that batches submits, and the workers' wake-up.
#[derive(Clone)]
pub(super) struct SqliteStore {
    pool: SqlitePool,
    writer: GroupCommit,
    wakeup: Arc<Notify>,
}

impl SqliteStore {
    /// Starts the group-commit writer on the current runtime, on `writer` (the
    /// writer's own connection to the file at `path`).
    pub(super) fn new(pool: SqlitePool, path: PathBuf, writer: Connection) -> Self {
        let wakeup = Arc::new(Notify::new());
        let writer = GroupCommit::spawn(path, writer, Arc::clone(&wakeup));
        Self {
            pool,
            writer,
            wakeup,
        }
    }

    pub(super) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Commits `row` (or recognises it) before returning.
    pub(super) async fn submit(
        &self,
        delivery: Verified,
        max_pending: u64,
    ) -> Result<Submitted, SinkError> {
        let row = NewRow::of(&delivery);
        self.writer.submit(row, delivery, max_pending).await
    }

    /// Wakes idle workers: rows became due outside the writer (replays).
    pub(super) fn wake_workers(&self) {
        self.wakeup.notify_waiters();
    }
}

impl Store for SqliteStore {
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, InboxError> {
        answer(self.writer.claim(owner, lease, limit).await).await
    }

    async fn extend(&self, id: i64, owner: &str, lease: Duration) -> Result<bool, InboxError> {
        answer(self.writer.extend(id, owner, lease).await).await
    }

    async fn settle(&self, id: i64, owner: &str, outcome: &Outcome) -> Result<bool, InboxError> {
        answer(self.writer.settle(id, owner, outcome).await).await
    }

    /// Every settle and the claim queued before any is awaited, so they usually share
    /// one round (one commit, the `done`s in one statement); the writer runs settles
    /// before claims either way.
    async fn settle_and_claim(
        &self,
        settled: &[(i64, String, Outcome)],
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> SettledAndClaimed {
        let mut settles = Vec::with_capacity(settled.len());
        for (id, row_owner, outcome) in settled {
            settles.push(self.writer.settle(*id, row_owner, outcome).await);
        }
        let claim = self.writer.claim(owner, lease, limit).await;
        let mut answers = Vec::with_capacity(settles.len());
        for settle in settles {
            answers.push(answer(settle).await);
        }
        (answers, answer(claim).await)
    }

    async fn release(&self, instance: &str) -> Result<u64, InboxError> {
        let released = sqlx::query(sql::RELEASE)
            .bind(format!("{instance}/%"))
            .execute(&self.pool)
            .await?;
        if released.rows_affected() > 0 {
            self.wake_workers();
        }
        Ok(released.rows_affected())
    }

    async fn prune(&self, retention: Duration) -> Result<u64, InboxError> {
        let pruned = sqlx::query(sql::PRUNE)
            .bind(unix_ms::from_duration(retention))
            .execute(&self.pool)
            .await?;
        Ok(pruned.rows_affected())
    }

    async fn outstanding(&self) -> Result<u64, InboxError> {
        let count: i64 = sqlx::query_scalar(sql::OUTSTANDING)
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    fn wakeup(&self) -> &Notify {
        &self.wakeup
    }
}
