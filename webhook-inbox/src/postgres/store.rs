//! The backend contract on Postgres: submits through the intake's group commit, the
//! workers' claims, lease extensions and settles on the pool.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::Notify;
use webhook_core::{Submitted, Verified};

use super::intake::Intake;
use super::listen;
use super::sql;
use super::statements::DONE_ALL;
use crate::config::InboxConfig;
use crate::error::InboxError;
use crate::group_commit::SubmitResult;
use crate::lease::{Claim, Outcome, Settle};
use crate::record::{DeliveryRecord, NewRow};
use crate::store::{Claimed, SettledAndClaimed, Store};
use crate::unix_ms;

/// The pool, the schema the table lives in, the submits' intake and the workers'
/// wake-up.
#[derive(Debug, Clone)]
pub(super) struct PgStore {
    pool: PgPool,
    schema: Arc<str>,
    intake: Intake,
    wakeup: Arc<Notify>,
    /// How long the listener waits before it connects again.
    reconnect_after: Duration,
}

impl PgStore {
    /// Starts the intake on the current runtime, with `config`'s capacity.
    pub(super) fn new(pool: PgPool, schema: String, config: &InboxConfig) -> Self {
        Self {
            intake: Intake::spawn(pool.clone(), config.max_pending),
            pool,
            schema: schema.into(),
            wakeup: Arc::new(Notify::new()),
            reconnect_after: config.poll_interval,
        }
    }

    /// The schema the table is in.
    pub(super) fn schema(&self) -> &str {
        &self.schema
    }

    /// Marks the rows of `settles` (all `done`) done in one statement; the ids it changed
    /// (the others' leases were lost).
    async fn done_all(&self, settles: &[&Settle]) -> Result<HashSet<i64>, sqlx::Error> {
        let ids: Vec<i64> = settles.iter().map(|settle| settle.id).collect();
        let owners: Vec<&str> = settles.iter().map(|settle| settle.owner.as_str()).collect();
        let took: Vec<i64> = settles.iter().map(|settle| settle.took_us()).collect();
        let changed = sqlx::query_scalar::<_, i64>(&DONE_ALL)
            .bind(ids)
            .bind(owners)
            .bind(took)
            .fetch_all(&self.pool)
            .await?;
        Ok(changed.into_iter().collect())
    }
}

impl Store for PgStore {
    type Pool = PgPool;

    fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn submit(&self, delivery: Verified) -> SubmitResult {
        let answer = self.intake.submit(NewRow::of(&delivery)).await;
        if answer == Ok(Submitted::Accepted) {
            self.wakeup.notify_waiters();
        }
        answer
    }

    async fn claim(&self, claim: &Claim) -> Result<Vec<Claimed>, InboxError> {
        let claimed: Vec<DeliveryRecord> = sqlx::query_as(sql::CLAIM)
            .bind(&claim.name)
            .bind(unix_ms::from_duration(claim.lease))
            .bind(i64::try_from(claim.limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        Ok(claimed
            .into_iter()
            .map(|record| record.claimed(&claim.name))
            .collect())
    }

    async fn extend(&self, id: i64, owner: &str, lease: Duration) -> Result<bool, InboxError> {
        let extended = sqlx::query(sql::EXTEND)
            .bind(id)
            .bind(owner)
            .bind(unix_ms::from_duration(lease))
            .execute(&self.pool)
            .await?;
        Ok(extended.rows_affected() == 1)
    }

    async fn settle(&self, settle: &Settle) -> Result<bool, InboxError> {
        let (id, owner, took) = (settle.id, settle.owner.as_str(), settle.took_us());
        let query = match &settle.outcome {
            Outcome::Done => sqlx::query(sql::DONE).bind(id).bind(owner).bind(took),
            Outcome::Retry { after, error } => sqlx::query(sql::RETRY)
                .bind(id)
                .bind(owner)
                .bind(unix_ms::from_duration(*after))
                .bind(error)
                .bind(took),
            Outcome::Dead(error) => sqlx::query(sql::DEAD)
                .bind(id)
                .bind(owner)
                .bind(error)
                .bind(took),
        };
        Ok(query.execute(&self.pool).await?.rows_affected() == 1)
    }

    /// The `done` settles in one statement (a claim's quick handlers finish many rows
    /// at once), the others one by one; then the claim.
    async fn settle_and_claim(&self, settles: &[Settle], claim: &Claim) -> SettledAndClaimed {
        let done: Vec<&Settle> = settles.iter().filter(|settle| settle.is_done()).collect();
        let changed = match done.len() {
            0 | 1 => None,
            _ => match self.done_all(&done).await {
                Ok(changed) => Some(changed),
                Err(error) => {
                    tracing::warn!(%error, "recording a claim's done rows together failed; one by one");
                    None
                }
            },
        };
        let mut answers = Vec::with_capacity(settles.len());
        for settle in settles {
            answers.push(match &changed {
                Some(changed) if settle.is_done() => Ok(changed.contains(&settle.id)),
                _ => self.settle(settle).await,
            });
        }
        (answers, self.claim(claim).await)
    }

    fn wakeup(&self) -> &Notify {
        &self.wakeup
    }

    /// Listens for the table's notifications, which every replica's stores, replays and
    /// releases send.
    fn wake_on_others(&self) -> Option<impl Future<Output = ()> + Send + 'static> {
        Some(listen::wake_on_notify(self.clone(), self.reconnect_after))
    }
}
