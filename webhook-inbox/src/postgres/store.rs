//! The worker-side queries and submits on Postgres.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::{Notify, mpsc, oneshot};
use webhook_core::{SinkError, Submitted};

use super::sql;
use crate::error::InboxError;
use crate::record::{DeliveryRecord, NewRow, Stored};
use crate::store::{Claimed, Outcome, SettledAndClaimed, Store};
use crate::unix_ms;

/// The pool, the schema the table lives in, the submits' group commit and the
/// workers' wake-up.
#[derive(Clone)]
pub(super) struct PgStore {
    pool: PgPool,
    schema: Arc<str>,
    wakeup: Arc<Notify>,
    intake: mpsc::Sender<Pending>,
}

/// How long a counted backlog stands in for a new `COUNT(*)`, while well under capacity.
const COUNT_FRESH: Duration = Duration::from_millis(100);

/// The most submits one transaction takes.
const MAX_BATCH: usize = 256;

/// Rows per multi-row upsert (9 parameters each).
const CHUNK: usize = 32;

/// A submit waiting for its round, with where its answer goes.
struct Pending {
    row: NewRow,
    max_pending: u64,
    reply: oneshot::Sender<Answer>,
}

/// What one submit became.
type Answer = Result<Submitted, SinkError>;

impl PgStore {
    /// Starts the submits' group commit on the current runtime.
    pub(super) fn new(pool: PgPool, schema: String) -> Self {
        let (intake, pending) = mpsc::channel(4 * MAX_BATCH);
        let counted = Counted {
            pool: pool.clone(),
            outstanding: Arc::new(Mutex::new(None)),
        };
        tokio::spawn(commit_rounds(counted, pending));
        Self {
            pool,
            schema: schema.into(),
            wakeup: Arc::new(Notify::new()),
            intake,
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

    /// Commits `row` (or recognises it) before returning. Concurrent submits share one
    /// transaction and a few multi-row statements (group commit): one commit, one WAL
    /// flush and one round trip per statement for the lot, instead of per delivery.
    pub(super) async fn submit(
        &self,
        row: NewRow,
        max_pending: u64,
    ) -> Result<Submitted, SinkError> {
        let stopped = || SinkError::Storage("the inbox writer has stopped".to_owned());
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            row,
            max_pending,
            reply,
        };
        self.intake.send(pending).await.map_err(|_| stopped())?;
        let answer = answer.await.map_err(|_| stopped())?;
        if answer == Ok(Submitted::Accepted) {
            self.wakeup.notify_waiters();
        }
        answer
    }
}

/// Takes whatever submits are waiting, commits them as one round, answers each; ends
/// when every [`PgStore`] is dropped.
async fn commit_rounds(counted: Counted, mut pending: mpsc::Receiver<Pending>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while pending.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let answers = counted.round(&batch).await;
        for (submit, answer) in batch.drain(..).zip(answers) {
            // The sender may have given up (its request was dropped).
            let _ = submit.reply.send(answer);
        }
    }
}

/// The pool and the backlog as last counted: the last outstanding count, when it was
/// taken, plus the rows accepted since.
struct Counted {
    pool: PgPool,
    outstanding: Arc<Mutex<Option<(Instant, u64)>>>,
}

impl Counted {
    /// One answer per submit of `batch`, in order.
    async fn round(&self, batch: &[Pending]) -> Vec<Answer> {
        let max_pending = batch
            .iter()
            .map(|submit| submit.max_pending)
            .min()
            .unwrap_or(u64::MAX);
        let incoming = u64::try_from(batch.len()).unwrap_or(u64::MAX);
        let stored = match self.backlog(max_pending).await {
            // Far from the capacity: the lot in one transaction.
            Ok(count) if count.saturating_add(incoming).saturating_mul(2) < max_pending => {
                self.store_all(batch).await
            }
            // Near it, one by one, each counted again.
            Ok(_) => {
                let mut answers = Vec::with_capacity(batch.len());
                for submit in batch {
                    answers.push(self.submit_one(&submit.row, submit.max_pending).await);
                }
                return answers;
            }
            Err(error) => Err(error),
        };
        stored.unwrap_or_else(|error| {
            tracing::error!(%error, batch = batch.len(), "inbox insert failed: deliveries refused");
            vec![Err(SinkError::Storage(error.to_string())); batch.len()]
        })
    }

    /// A recent count (plus what this process stored since) while under half the
    /// capacity; a fresh `COUNT(*)` otherwise.
    async fn backlog(&self, max_pending: u64) -> Result<u64, sqlx::Error> {
        let cached = self
            .cache()
            .filter(|(at, count)| {
                at.elapsed() < COUNT_FRESH && count.saturating_mul(2) < max_pending
            })
            .map(|(_, count)| count);
        if let Some(count) = cached {
            return Ok(count);
        }
        let count: i64 = sqlx::query_scalar(sql::OUTSTANDING)
            .fetch_one(&self.pool)
            .await?;
        let count = u64::try_from(count).unwrap_or(0);
        *self.lock_cache() = Some((Instant::now(), count));
        Ok(count)
    }

    /// Stores the round's submits in one transaction. Rows go in sorted by their key,
    /// so two replicas' rounds with keys in common take their row locks in the same
    /// order (no deadlock); a key repeated within the round goes in once (Postgres
    /// refuses an upsert that would touch one row twice), and its later submits are
    /// duplicates of the first.
    async fn store_all(&self, batch: &[Pending]) -> Result<Vec<Answer>, sqlx::Error> {
        let key = |at: usize| {
            (
                batch[at].row.provider.as_str(),
                batch[at].row.dedupe_key.as_str(),
            )
        };
        let mut order: Vec<usize> = (0..batch.len()).collect();
        order.sort_by(|a, b| key(*a).cmp(&key(*b)).then(a.cmp(b)));
        order.dedup_by(|later, first| key(*later) == key(*first));
        let mut tx = self.pool.begin().await?;
        let mut returned = Vec::with_capacity(order.len());
        for chunk in order.chunks(CHUNK) {
            let mut query = sqlx::query_as::<_, (i64, String, String)>(upsert_many(chunk.len()));
            for at in chunk {
                query = crate::sql::bind_upsert!(query, batch[*at].row);
            }
            returned.extend(query.fetch_all(&mut *tx).await?);
        }
        tx.commit().await?;
        if let Some((_, count)) = self.lock_cache().as_mut() {
            *count += returned.len() as u64;
        }
        let mut stored = Stored::new(batch.iter().map(|submit| &submit.row));
        for (id, provider, dedupe_key) in &returned {
            stored.record(provider, dedupe_key, *id);
        }
        Ok(stored
            .answers()
            .into_iter()
            .map(|(answer, _)| answer)
            .collect())
    }

    /// One submit on its own, counted against the capacity first.
    async fn submit_one(&self, row: &NewRow, max_pending: u64) -> Answer {
        self.try_submit(row, max_pending)
            .await
            .unwrap_or_else(|error| {
                tracing::error!(%error, "inbox insert failed: delivery refused");
                Err(SinkError::Storage(error.to_string()))
            })
    }

    async fn try_submit(
        &self,
        row: &NewRow,
        max_pending: u64,
    ) -> Result<Result<Submitted, SinkError>, sqlx::Error> {
        let outstanding = self.backlog(max_pending).await?;
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

/// [`sql::UPSERT`] for `rows` rows (1..=[`CHUNK`]), built once per size.
fn upsert_many(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    crate::sql::for_rows(&STATEMENTS, rows, CHUNK, |rows| {
        crate::sql::upsert_many(sql::UPSERT, rows, |n| format!("${n}"))
    })
}

impl PgStore {
    /// Marks `settled` (row id, its row owner) done in one statement; the ids it changed
    /// (the others' leases were lost). Row owners are unique per row, so `id` in the ids
    /// and `lease_owner` in the owners match exactly the pairs asked for.
    async fn done_all(&self, settled: &[(i64, &str)]) -> Result<HashSet<i64>, sqlx::Error> {
        let (ids, owners): (Vec<i64>, Vec<&str>) = settled.iter().copied().unzip();
        let changed = sqlx::query_scalar::<_, i64>(done_many())
            .bind(ids)
            .bind(owners)
            .fetch_all(&self.pool)
            .await?;
        Ok(changed.into_iter().collect())
    }
}

/// [`sql::DONE`] for many rows: `$1` their ids and `$2` their row owners, as arrays, so
/// that the rows are found through the primary key (`id = ANY`); returns the ids it
/// marked done.
fn done_many() -> &'static str {
    static STATEMENT: OnceLock<String> = OnceLock::new();
    STATEMENT.get_or_init(|| {
        let single = sql::DONE;
        let where_at = single
            .find(" WHERE ")
            .expect("the done statement has a WHERE");
        format!(
            "{} WHERE state = 'running' AND id = ANY($1) AND lease_owner = ANY($2) RETURNING id",
            &single[..where_at],
        )
    })
}

impl Store for PgStore {
    async fn claim(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<Claimed>, InboxError> {
        let claimed: Vec<DeliveryRecord> = sqlx::query_as(sql::CLAIM)
            .bind(owner)
            .bind(unix_ms::from_duration(lease))
            .bind(i64::try_from(limit).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await?;
        Ok(claimed
            .into_iter()
            .map(|record| record.claimed(owner))
            .collect())
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

    /// The `done` settles in one statement (a claim's quick handlers finish many rows
    /// at once), the others one by one; then the claim.
    async fn settle_and_claim(
        &self,
        settled: &[(i64, String, Outcome)],
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> SettledAndClaimed {
        let done: Vec<(i64, &str)> = settled
            .iter()
            .filter(|(_, _, outcome)| *outcome == Outcome::Done)
            .map(|(id, row_owner, _)| (*id, row_owner.as_str()))
            .collect();
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
        let mut answers = Vec::with_capacity(settled.len());
        for (id, row_owner, outcome) in settled {
            answers.push(match (&changed, outcome) {
                (Some(changed), Outcome::Done) => Ok(changed.contains(id)),
                _ => self.settle(*id, row_owner, outcome).await,
            });
        }
        (answers, self.claim(owner, lease, limit).await)
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
