//! The worker-side queries and submits on Postgres.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::Notify;
use webhook_core::{SinkError, Submitted};

use super::sql;
use crate::error::InboxError;
use crate::record::{DeliveryRecord, NewRow};
use crate::store::{Outcome, Store};
use crate::unix_ms;

/// The pool, the schema the table lives in, and the workers' wake-up.
#[derive(Clone)]
pub(super) struct PgStore {
    pool: PgPool,
    schema: Arc<str>,
    wakeup: Arc<Notify>,
    /// The last outstanding count, when it was taken, plus the rows accepted since.
    outstanding: Arc<Mutex<Option<(Instant, u64)>>>,
}

/// How long a counted backlog stands in for a new `COUNT(*)`, while well under capacity.
const COUNT_FRESH: Duration = Duration::from_millis(100);

impl PgStore {
    pub(super) fn new(pool: PgPool, schema: String) -> Self {
        Self {
            pool,
            schema: schema.into(),
            wakeup: Arc::new(Notify::new()),
            outstanding: Arc::new(Mutex::new(None)),
        }
    }

    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Nothing to do here: the table's trigger notifies every replica's workers when a
    /// row becomes pending, replays included.
    pub(super) fn wake_workers(&self) {}

    pub(super) fn schema(&self) -> &str {
        &self.schema
    }

    /// Commits `row` (or recognises it) before returning. Postgres batches the WAL
    /// flushes of concurrent commits itself, so each submit is its own statement.
    pub(super) async fn submit(
        &self,
        row: NewRow,
        max_pending: u64,
    ) -> Result<Submitted, SinkError> {
        let answer = self.try_submit(&row, max_pending).await.map_err(|error| {
            tracing::error!(%error, "inbox insert failed: delivery refused");
            SinkError::Storage(error.to_string())
        })?;
        if answer == Ok(Submitted::Accepted) {
            self.wakeup.notify_waiters();
        }
        answer
    }

    async fn try_submit(
        &self,
        row: &NewRow,
        max_pending: u64,
    ) -> Result<Result<Submitted, SinkError>, sqlx::Error> {
        // Under half the capacity a recent count (plus what this process stored since)
        // is close enough; nearer the limit every submit counts again.
        let cached = self
            .cache()
            .filter(|(at, count)| {
                at.elapsed() < COUNT_FRESH && count.saturating_mul(2) < max_pending
            })
            .map(|(_, count)| count);
        let outstanding = match cached {
            Some(count) => count,
            None => {
                let count: i64 = sqlx::query_scalar(sql::OUTSTANDING)
                    .fetch_one(&self.pool)
                    .await?;
                let count = u64::try_from(count).unwrap_or(0);
                *self.lock_cache() = Some((Instant::now(), count));
                count
            }
        };
        if outstanding >= max_pending {
            return self.duplicate_or_full(row).await;
        }
        let stored: Option<i64> = crate::sql::bind_upsert!(sqlx::query_scalar(sql::UPSERT), row)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Ok(if stored.is_some() {
            if let Some((_, count)) = self.lock_cache().as_mut() {
                *count += 1;
            }
            Submitted::Accepted
        } else {
            Submitted::Duplicate
        }))
    }

    fn lock_cache(&self) -> std::sync::MutexGuard<'_, Option<(Instant, u64)>> {
        self.outstanding
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn cache(&self) -> Option<(Instant, u64)> {
        *self.lock_cache()
    }

    /// At capacity a live duplicate is still a duplicate; anything else is refused.
    async fn duplicate_or_full(
        &self,
        row: &NewRow,
    ) -> Result<Result<Submitted, SinkError>, sqlx::Error> {
        let state: Option<String> = sqlx::query_scalar(sql::STATE_OF_EVENT)
            .bind(&row.provider)
            .bind(&row.dedupe_key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match state {
            Some(state) if state != "dead" => Ok(Submitted::Duplicate),
            _ => Err(SinkError::Full),
        })
    }
}

impl Store for PgStore {
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<DeliveryRecord>, InboxError> {
        let claimed = sqlx::query_as(sql::CLAIM)
            .bind(owner)
            .bind(unix_ms::from_duration(lease))
            .fetch_optional(&self.pool)
            .await?;
        Ok(claimed)
    }

    async fn extend(&self, id: i64, owner: &str, lease: Duration) -> Result<bool, InboxError> {
        let done = sqlx::query(sql::EXTEND)
            .bind(id)
            .bind(owner)
            .bind(unix_ms::from_duration(lease))
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn settle(&self, id: i64, owner: &str, outcome: &Outcome) -> Result<bool, InboxError> {
        let query = match outcome {
            Outcome::Done => sqlx::query(sql::DONE).bind(id).bind(owner),
            Outcome::Retry { after, error } => sqlx::query(sql::RETRY)
                .bind(id)
                .bind(owner)
                .bind(unix_ms::from_duration(*after))
                .bind(error),
            Outcome::Dead(error) => sqlx::query(sql::DEAD).bind(id).bind(owner).bind(error),
        };
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }

    async fn release(&self, instance: &str) -> Result<u64, InboxError> {
        let released = sqlx::query(sql::RELEASE)
            .bind(format!("{instance}/%"))
            .execute(&self.pool)
            .await?;
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
