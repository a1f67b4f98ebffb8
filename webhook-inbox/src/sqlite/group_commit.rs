//! Group commit: one writer task takes whatever submits are queued, stores them all in
//! one `BEGIN IMMEDIATE` transaction, and answers each only after the `COMMIT`. One
//! fsync then covers a whole batch, so durability does not cap throughput.

use std::sync::Arc;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{Notify, mpsc, oneshot};
use webhook_core::{SinkError, Submitted};

use super::sql;
use crate::record::NewRow;

/// The most submits one transaction takes.
const MAX_BATCH: usize = 512;

/// Submits waiting for the writer; beyond this, `submit` waits for room.
const QUEUE: usize = 4096;

/// What one submit became.
type Answer = Result<Submitted, SinkError>;

struct Submission {
    row: NewRow,
    max_pending: u64,
    reply: oneshot::Sender<Answer>,
}

/// The handle to the writer task; the task ends when every handle is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Submission>,
}

impl GroupCommit {
    /// Starts the writer on the current runtime; it wakes `wakeup` after each commit
    /// that stored new work.
    pub(super) fn spawn(pool: SqlitePool, wakeup: Arc<Notify>) -> Self {
        let (queue, submissions) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool, wakeup, submissions));
        Self { queue }
    }

    /// Queues `row` and waits for its batch's commit.
    pub(super) async fn submit(&self, row: NewRow, max_pending: u64) -> Answer {
        let (reply, answer) = oneshot::channel();
        let stopped = || SinkError::Storage("the inbox writer has stopped".to_owned());
        self.queue
            .send(Submission {
                row,
                max_pending,
                reply,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

async fn write(pool: SqlitePool, wakeup: Arc<Notify>, mut submissions: mpsc::Receiver<Submission>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while submissions.recv_many(&mut batch, MAX_BATCH).await > 0 {
        tracing::trace!(size = batch.len(), "inbox group commit");
        let answers = match commit(&pool, &batch).await {
            Ok(answers) => answers,
            Err(error) => {
                tracing::error!(%error, batch = batch.len(), "inbox commit failed: deliveries refused");
                vec![Err(SinkError::Storage(error.to_string())); batch.len()]
            }
        };
        if answers.contains(&Ok(Submitted::Accepted)) {
            wakeup.notify_waiters();
        }
        for (submission, answer) in batch.drain(..).zip(answers) {
            // The submitter may have given up (its request was dropped): nothing to do.
            let _ = submission.reply.send(answer);
        }
    }
}

/// Stores a batch in one transaction. Any database error rolls the whole batch back,
/// so nobody is answered `Ok` for a row that is not committed.
async fn commit(pool: &SqlitePool, batch: &[Submission]) -> Result<Vec<Answer>, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let count: i64 = sqlx::query_scalar(sql::OUTSTANDING)
        .fetch_one(&mut *tx)
        .await?;
    let mut outstanding = u64::try_from(count).unwrap_or(0);
    let mut answers = Vec::with_capacity(batch.len());
    for submission in batch {
        answers.push(store(&mut tx, submission, &mut outstanding).await?);
    }
    tx.commit().await?;
    Ok(answers)
}

/// Stores one delivery unless it is a live duplicate or the inbox is full.
async fn store(
    conn: &mut SqliteConnection,
    submission: &Submission,
    outstanding: &mut u64,
) -> Result<Answer, sqlx::Error> {
    let row = &submission.row;
    let state: Option<String> = sqlx::query_scalar(sql::STATE_OF_EVENT)
        .bind(&row.provider)
        .bind(&row.dedupe_key)
        .fetch_optional(&mut *conn)
        .await?;
    if state.as_deref().is_some_and(|state| state != "dead") {
        return Ok(Ok(Submitted::Duplicate));
    }
    if *outstanding >= submission.max_pending {
        return Ok(Err(SinkError::Full));
    }
    sqlx::query(sql::UPSERT)
        .bind(&row.provider)
        .bind(&row.dedupe_key)
        .bind(&row.event_type)
        .bind(&row.headers)
        .bind(&row.body)
        .bind(row.data_start)
        .bind(row.data_end)
        .bind(&row.data)
        .bind(row.received_at)
        .execute(&mut *conn)
        .await?;
    *outstanding += 1;
    Ok(Ok(Submitted::Accepted))
}
