//! Group commit: one writer task makes every routine change to the table. It takes
//! whatever is queued (submits, and the workers' settles, lease extensions and claims),
//! runs it all in one `BEGIN IMMEDIATE` transaction, and answers each request only
//! after the `COMMIT`. One fsync then covers a whole round, so durability does not cap
//! throughput, and the inbox's own connections never wait on each other for SQLite's
//! single write lock (no busy-handler sleeps).

use std::sync::Arc;
use std::time::Duration;

use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{Notify, mpsc, oneshot};
use webhook_core::{SinkError, Submitted};

use super::sql;
use crate::error::InboxError;
use crate::record::{DeliveryRecord, NewRow};
use crate::store::Outcome;
use crate::unix_ms;

/// The most requests one transaction takes.
const MAX_BATCH: usize = 512;

/// Requests waiting for the writer; beyond this, senders wait for room.
const QUEUE: usize = 4096;

/// What one submit became.
type Answer = Result<Submitted, SinkError>;

/// A change for the writer, with where its answer goes.
enum Request {
    Submit {
        row: NewRow,
        max_pending: u64,
        reply: oneshot::Sender<Answer>,
    },
    Claim {
        owner: String,
        lease: Duration,
        reply: oneshot::Sender<Result<Option<DeliveryRecord>, InboxError>>,
    },
    Extend {
        id: i64,
        owner: String,
        lease: Duration,
        reply: oneshot::Sender<Result<bool, InboxError>>,
    },
    Settle {
        id: i64,
        owner: String,
        outcome: Outcome,
        reply: oneshot::Sender<Result<bool, InboxError>>,
    },
}

/// What a request became inside a transaction, sent only after the `COMMIT`.
enum Reply {
    Submit(Answer),
    Claim(Option<DeliveryRecord>),
    Changed(bool),
}

/// The handle to the writer task; the task ends when every handle is dropped.
#[derive(Clone)]
pub(super) struct GroupCommit {
    queue: mpsc::Sender<Request>,
}

fn stopped() -> String {
    "the inbox writer has stopped".to_owned()
}

fn stopped_error() -> InboxError {
    InboxError::Database(sqlx::Error::Io(std::io::Error::other(stopped())))
}

impl GroupCommit {
    /// Starts the writer on the current runtime; it wakes `wakeup` after each commit
    /// that stored new work.
    pub(super) fn spawn(pool: SqlitePool, wakeup: Arc<Notify>) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE);
        tokio::spawn(write(pool, wakeup, requests));
        Self { queue }
    }

    /// Queues `row` and waits for its round's commit.
    pub(super) async fn submit(&self, row: NewRow, max_pending: u64) -> Answer {
        let (reply, answer) = oneshot::channel();
        let request = Request::Submit {
            row,
            max_pending,
            reply,
        };
        self.queue
            .send(request)
            .await
            .map_err(|_| SinkError::Storage(stopped()))?;
        answer.await.map_err(|_| SinkError::Storage(stopped()))?
    }

    /// Queues a claim; the receiver answers after its round's commit.
    pub(super) async fn claim(
        &self,
        owner: &str,
        lease: Duration,
    ) -> oneshot::Receiver<Result<Option<DeliveryRecord>, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Claim {
            owner: owner.to_owned(),
            lease,
            reply,
        };
        // A closed queue drops `reply`: the receiver then reports the writer stopped.
        let _ = self.queue.send(request).await;
        answer
    }

    /// Queues a lease extension; the receiver answers after its round's commit.
    pub(super) async fn extend(
        &self,
        id: i64,
        owner: &str,
        lease: Duration,
    ) -> oneshot::Receiver<Result<bool, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Extend {
            id,
            owner: owner.to_owned(),
            lease,
            reply,
        };
        let _ = self.queue.send(request).await;
        answer
    }

    /// Queues a settle; the receiver answers after its round's commit.
    pub(super) async fn settle(
        &self,
        id: i64,
        owner: &str,
        outcome: &Outcome,
    ) -> oneshot::Receiver<Result<bool, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Settle {
            id,
            owner: owner.to_owned(),
            outcome: outcome.clone(),
            reply,
        };
        let _ = self.queue.send(request).await;
        answer
    }
}

/// Waits for an answer from the writer.
pub(super) async fn answer<T>(
    receiver: oneshot::Receiver<Result<T, InboxError>>,
) -> Result<T, InboxError> {
    receiver.await.unwrap_or_else(|_| Err(stopped_error()))
}

async fn write(pool: SqlitePool, wakeup: Arc<Notify>, mut requests: mpsc::Receiver<Request>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        // Settles and extensions first: a settle frees room for this round's submits,
        // and a row settled here is never claimed again in the same round.
        batch.sort_by_key(|request| match request {
            Request::Settle { .. } | Request::Extend { .. } => 0,
            Request::Submit { .. } => 1,
            Request::Claim { .. } => 2,
        });
        tracing::trace!(size = batch.len(), "inbox group commit");
        match commit(&pool, &batch).await {
            Ok(replies) => {
                if replies
                    .iter()
                    .any(|reply| matches!(reply, Reply::Submit(Ok(Submitted::Accepted))))
                {
                    wakeup.notify_waiters();
                }
                for (request, reply) in batch.drain(..).zip(replies) {
                    // The requester may have given up (its request was dropped).
                    let _ = match (request, reply) {
                        (Request::Submit { reply, .. }, Reply::Submit(answer)) => {
                            reply.send(answer).map_err(drop)
                        }
                        (Request::Claim { reply, .. }, Reply::Claim(claimed)) => {
                            reply.send(Ok(claimed)).map_err(drop)
                        }
                        (
                            Request::Extend { reply, .. } | Request::Settle { reply, .. },
                            Reply::Changed(changed),
                        ) => reply.send(Ok(changed)).map_err(drop),
                        _ => unreachable!("one reply per request, in order"),
                    };
                }
            }
            Err(error) => {
                tracing::error!(%error, batch = batch.len(), "inbox commit failed: deliveries refused");
                let message = error.to_string();
                let failed = || {
                    InboxError::Database(sqlx::Error::Io(std::io::Error::other(message.clone())))
                };
                for request in batch.drain(..) {
                    let _ = match request {
                        Request::Submit { reply, .. } => reply
                            .send(Err(SinkError::Storage(message.clone())))
                            .map_err(drop),
                        Request::Claim { reply, .. } => reply.send(Err(failed())).map_err(drop),
                        Request::Extend { reply, .. } | Request::Settle { reply, .. } => {
                            reply.send(Err(failed())).map_err(drop)
                        }
                    };
                }
            }
        }
    }
}

/// Runs a round in one transaction. Any database error rolls the whole round back, so
/// nobody is answered `Ok` for a change that is not committed.
async fn commit(pool: &SqlitePool, batch: &[Request]) -> Result<Vec<Reply>, sqlx::Error> {
    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let mut replies = Vec::with_capacity(batch.len());
    let mut index = 0;
    while index < batch.len() {
        let reply = match &batch[index] {
            Request::Submit { .. } => {
                // The submits are contiguous (the round is sorted): store them together.
                let submits: Vec<(&NewRow, u64)> = batch[index..]
                    .iter()
                    .map_while(|request| match request {
                        Request::Submit {
                            row, max_pending, ..
                        } => Some((row, *max_pending)),
                        _ => None,
                    })
                    .collect();
                index += submits.len();
                let answers = store_all(&mut tx, &submits).await?;
                replies.extend(answers.into_iter().map(Reply::Submit));
                continue;
            }
            Request::Claim { owner, lease, .. } => Reply::Claim(
                sqlx::query_as(sql::CLAIM)
                    .bind(owner)
                    .bind(unix_ms::from_duration(*lease))
                    .fetch_optional(&mut *tx)
                    .await?,
            ),
            Request::Extend {
                id, owner, lease, ..
            } => {
                let done = sqlx::query(sql::EXTEND)
                    .bind(id)
                    .bind(owner)
                    .bind(unix_ms::from_duration(*lease))
                    .execute(&mut *tx)
                    .await?;
                Reply::Changed(done.rows_affected() == 1)
            }
            Request::Settle {
                id, owner, outcome, ..
            } => {
                let query = match outcome {
                    Outcome::Done => sqlx::query(sql::DONE).bind(id).bind(owner),
                    Outcome::Retry { after, error } => sqlx::query(sql::RETRY)
                        .bind(id)
                        .bind(owner)
                        .bind(unix_ms::from_duration(*after))
                        .bind(error),
                    Outcome::Dead(error) => sqlx::query(sql::DEAD).bind(id).bind(owner).bind(error),
                };
                Reply::Changed(query.execute(&mut *tx).await?.rows_affected() == 1)
            }
        };
        replies.push(reply);
        index += 1;
    }
    tx.commit().await?;
    Ok(replies)
}

/// Stores a round's submits. When they all fit under the capacity they go in as a few
/// multi-row upserts (one statement per [`CHUNK`] rows, not one per row); near the
/// capacity each is checked on its own.
async fn store_all(
    conn: &mut SqliteConnection,
    submits: &[(&NewRow, u64)],
) -> Result<Vec<Answer>, sqlx::Error> {
    let mut outstanding = count(&mut *conn).await?;
    let fits = submits.iter().all(|(_, max_pending)| {
        outstanding.saturating_add(u64::try_from(submits.len()).unwrap_or(u64::MAX)) <= *max_pending
    });
    if !fits {
        let mut answers = Vec::with_capacity(submits.len());
        for (row, max_pending) in submits {
            answers.push(store(&mut *conn, row, *max_pending, &mut outstanding).await?);
        }
        return Ok(answers);
    }
    // Which `(provider, dedupe_key)`s the upserts stored (new, or dead and revived).
    let mut stored = std::collections::HashSet::new();
    for chunk in submits.chunks(CHUNK) {
        let statement = upsert_many(chunk.len());
        let mut query = sqlx::query_as::<_, (String, String)>(&statement);
        for (row, _) in chunk {
            query = crate::sql::bind_upsert!(query, row);
        }
        stored.extend(query.fetch_all(&mut *conn).await?);
    }
    // The first submit of a stored event is the one that stored it; any later one in
    // the same round found it live, a duplicate.
    Ok(submits
        .iter()
        .map(|(row, _)| {
            let key = (row.provider.clone(), row.dedupe_key.clone());
            Ok(if stored.remove(&key) {
                Submitted::Accepted
            } else {
                Submitted::Duplicate
            })
        })
        .collect())
}

/// Rows per multi-row upsert (9 parameters each).
const CHUNK: usize = 32;

/// [`sql::UPSERT`] for `rows` rows, returning the identity of each row it stored.
fn upsert_many(rows: usize) -> String {
    let single = sql::UPSERT;
    let values_at = single
        .find("VALUES (")
        .expect("the upsert has a VALUES list");
    let conflict_at = single
        .find(" ON CONFLICT")
        .expect("the upsert has ON CONFLICT");
    let returning_at = single
        .find("RETURNING id")
        .expect("the upsert returns the id");
    let tuple = &single[values_at + "VALUES ".len()..conflict_at];
    let mut statement = String::with_capacity(single.len() + rows * (tuple.len() + 16));
    statement.push_str(&single[..values_at + "VALUES ".len()]);
    for row in 0..rows {
        if row > 0 {
            statement.push_str(", ");
        }
        // `$1`..`$9` of the single-row tuple become `?1`.. of this row's block.
        let mut rest = tuple;
        while let Some(at) = rest.find('$') {
            statement.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len() - at - 1, |end| end);
            let number: usize = rest[at + 1..at + 1 + digits]
                .parse()
                .expect("a numbered parameter");
            statement.push_str(&format!("?{}", row * 9 + number));
            rest = &rest[at + 1 + digits..];
        }
        statement.push_str(rest);
    }
    statement.push_str(&single[conflict_at..returning_at]);
    statement.push_str("RETURNING provider, dedupe_key");
    statement
}

async fn count(conn: &mut SqliteConnection) -> Result<u64, sqlx::Error> {
    let count: i64 = sqlx::query_scalar(sql::OUTSTANDING)
        .fetch_one(&mut *conn)
        .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Stores one delivery unless it is a live duplicate or the inbox is full.
async fn store(
    conn: &mut SqliteConnection,
    row: &NewRow,
    max_pending: u64,
    outstanding: &mut u64,
) -> Result<Answer, sqlx::Error> {
    if *outstanding >= max_pending {
        let state: Option<String> = sqlx::query_scalar(sql::STATE_OF_EVENT)
            .bind(&row.provider)
            .bind(&row.dedupe_key)
            .fetch_optional(&mut *conn)
            .await?;
        return Ok(match state {
            Some(state) if state != "dead" => Ok(Submitted::Duplicate),
            _ => Err(SinkError::Full),
        });
    }
    // The upsert returns the id only when it stored the row (new, or a dead one
    // revived); a live duplicate leaves the row as it is.
    let stored: Option<i64> = crate::sql::bind_upsert!(sqlx::query_scalar(sql::UPSERT), row)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(Ok(match stored {
        Some(_) => {
            *outstanding += 1;
            Submitted::Accepted
        }
        None => Submitted::Duplicate,
    }))
}
