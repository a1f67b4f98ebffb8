//! The submits' group commit on Postgres: submits wait in a queue ([`Intake`]); one task
//! takes whatever is queued as a round, stores it in one transaction of a few
//! multi-row upserts (one commit, one WAL flush and one round trip per statement for
//! the lot, instead of per delivery) and answers each submit after the `COMMIT`. Near
//! the capacity, a round's deliveries are stored one by one instead, each checked.

use std::time::Duration;

use sqlx::PgPool;
use tokio::sync::{mpsc, oneshot};
use webhook_core::{SinkError, Submitted};

use super::sql;
use super::statements::{bind_upsert, upsert};
use crate::backlog::{Backlog, CountRule, at_capacity};
use crate::error::InboxError;
use crate::group_commit::{CHUNK, QUEUE, ROUND, Stored, SubmitResult};
use crate::pool_statements::PoolStatements;
use crate::record::NewRow;

/// When a replica counts the backlog again. It sees only what it stores itself, not
/// the other replicas' deliveries nor any settle, so a count stands 100 ms, and not at
/// all from half the capacity on, where every delivery is checked on a count of its own.
const COUNT_RULE: CountRule = CountRule {
    fresh: Duration::from_millis(100),
    near_from_share: 2,
    fresh_near_capacity: Duration::ZERO,
};

/// A submit waiting for its round, with where its answer goes.
struct Queued {
    row: NewRow,
    reply: oneshot::Sender<SubmitResult>,
}

/// The handle to the intake task; the task ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(super) struct Intake {
    queue: mpsc::Sender<Queued>,
}

impl Intake {
    /// Starts the intake on the current runtime, refusing deliveries beyond `capacity`
    /// outstanding rows.
    pub(super) fn spawn(pool: PgPool, capacity: u64) -> Self {
        let (queue, submits) = mpsc::channel(QUEUE);
        let rounds = Rounds {
            pool,
            backlog: Backlog::new(COUNT_RULE),
            capacity,
        };
        tokio::spawn(rounds.run(submits));
        Self { queue }
    }

    /// Queues `row` and waits for its round's commit.
    pub(super) async fn submit(&self, row: NewRow) -> SubmitResult {
        let stopped = || SinkError::Storage(InboxError::WriterStopped.to_string());
        let (reply, answer) = oneshot::channel();
        let queued = Queued { row, reply };
        self.queue.send(queued).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The intake task: the pool, and the backlog as it knows it.
struct Rounds {
    pool: PgPool,
    backlog: Backlog,
    capacity: u64,
}

impl Rounds {
    /// Takes whatever submits are waiting, commits them as one round, answers each.
    async fn run(mut self, mut submits: mpsc::Receiver<Queued>) {
        let mut round = Vec::with_capacity(ROUND);
        while submits.recv_many(&mut round, ROUND).await > 0 {
            let answers = self.round(&round).await;
            for (submit, answer) in round.drain(..).zip(answers) {
                // The sender may have given up (its submit was dropped).
                let _ = submit.reply.send(answer);
            }
        }
    }

    /// One answer per submit of `round`, in order.
    async fn round(&mut self, round: &[Queued]) -> Vec<SubmitResult> {
        let incoming = u64::try_from(round.len()).unwrap_or(u64::MAX);
        let stored = match self.count_if_due(incoming).await {
            Ok(()) if self.backlog.has_room_for(incoming, self.capacity) => {
                self.store_all(round).await
            }
            Ok(()) => {
                let mut answers = Vec::with_capacity(round.len());
                for submit in round {
                    answers.push(self.store_one(&submit.row).await);
                }
                return answers;
            }
            Err(error) => Err(error),
        };
        stored.unwrap_or_else(|error| {
            tracing::error!(%error, round = round.len(), "inbox insert failed: deliveries refused");
            vec![Err(SinkError::Storage(error.to_string())); round.len()]
        })
    }

    /// Counts the backlog when the count is due for `incoming` deliveries.
    async fn count_if_due(&mut self, incoming: u64) -> Result<(), InboxError> {
        if self.backlog.count_due(incoming, self.capacity) {
            let rows = self.pool.outstanding().await?;
            self.backlog.counted(rows);
        }
        Ok(())
    }

    /// Stores the round's submits in one transaction. Rows go in sorted by their key,
    /// so two replicas' rounds with keys in common take their row locks in the same
    /// order (no deadlock); a key repeated within the round goes in once (Postgres
    /// refuses an upsert that would touch one row twice), and its later submits are
    /// duplicates of the first.
    async fn store_all(&mut self, round: &[Queued]) -> Result<Vec<SubmitResult>, InboxError> {
        let key = |at: usize| {
            let row = &round[at].row;
            (row.provider.as_str(), row.dedupe_key.as_str())
        };
        let mut order: Vec<usize> = (0..round.len()).collect();
        order.sort_by(|a, b| key(*a).cmp(&key(*b)).then(a.cmp(b)));
        order.dedup_by(|later, first| key(*later) == key(*first));
        let mut tx = self.pool.begin().await?;
        let mut returned = Vec::with_capacity(order.len());
        for chunk in order.chunks(CHUNK) {
            let mut query = sqlx::query_as::<_, (i64, String, String)>(upsert(chunk.len()));
            for at in chunk {
                query = bind_upsert!(query, round[*at].row);
            }
            returned.extend(query.fetch_all(&mut *tx).await?);
        }
        tx.commit().await?;
        self.backlog.add(returned.len() as u64);
        let mut stored = Stored::new(round.iter().map(|submit| &submit.row));
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
    async fn store_one(&mut self, row: &NewRow) -> SubmitResult {
        self.try_store_one(row).await.unwrap_or_else(|error| {
            tracing::error!(%error, "inbox insert failed: delivery refused");
            Err(SinkError::Storage(error.to_string()))
        })
    }

    async fn try_store_one(&mut self, row: &NewRow) -> Result<SubmitResult, InboxError> {
        self.count_if_due(1).await?;
        if self.backlog.is_full(self.capacity) {
            let state: Option<String> = sqlx::query_scalar(sql::STATE_OF_EVENT)
                .bind(&row.provider)
                .bind(&row.dedupe_key)
                .fetch_optional(&self.pool)
                .await?;
            return Ok(at_capacity(state.as_deref()));
        }
        let stored: Option<i64> = bind_upsert!(sqlx::query_scalar(upsert(1)), row)
            .fetch_optional(&self.pool)
            .await?;
        Ok(Ok(match stored {
            Some(_) => {
                self.backlog.add(1);
                Submitted::Accepted
            }
            None => Submitted::Duplicate,
        }))
    }
}
