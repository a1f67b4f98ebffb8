//! Group commit: one writer task makes every routine change to the table. It takes
//! whatever is queued (submits, and the workers' settles, lease extensions and claims),
//! runs it all in one `BEGIN IMMEDIATE` transaction, and answers each request only
//! after the `COMMIT`. One fsync then covers a whole round, so durability does not cap
//! throughput, and the inbox's own connections never wait on each other for SQLite's
//! single write lock (no busy-handler sleeps).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use sqlx::pool::PoolConnection;
use sqlx::{Connection, Sqlite, SqliteConnection, SqlitePool};
use tokio::sync::{Notify, mpsc, oneshot};
use webhook_core::{SinkError, Submitted};

use super::sql;
use crate::error::InboxError;
use crate::record::{DeliveryRecord, NewRow, answers_in_order};
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
        limit: usize,
        reply: oneshot::Sender<Result<Vec<DeliveryRecord>, InboxError>>,
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
    Claim(Vec<DeliveryRecord>),
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
        limit: usize,
    ) -> oneshot::Receiver<Result<Vec<DeliveryRecord>, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let request = Request::Claim {
            owner: owner.to_owned(),
            lease,
            limit,
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
    // The writer's connection, kept from round to round (taking one from the pool costs
    // a ping of its thread each time); dropped after a failed round, in case it broke.
    let mut held: Option<PoolConnection<Sqlite>> = None;
    let mut batch = Vec::with_capacity(MAX_BATCH);
    let mut backlog = Backlog::default();
    let mut last_submit: Option<Instant> = None;
    while requests.recv_many(&mut batch, MAX_BATCH).await > 0 {
        if last_submit.is_some_and(|at| at.elapsed() < INTAKE_ACTIVE) {
            gather_submits(&mut requests, &mut batch).await;
        }
        if has_submit(&batch) {
            last_submit = Some(Instant::now());
        }
        // Settles and extensions first: a settle frees room for this round's submits,
        // and a row settled here is never claimed again in the same round. The `done`
        // settles come first of all, together, so that one statement records them.
        batch.sort_by_key(|request| match request {
            Request::Settle {
                outcome: Outcome::Done,
                ..
            } => 0,
            Request::Settle { .. } | Request::Extend { .. } => 1,
            Request::Submit { .. } => 2,
            Request::Claim { .. } => 3,
        });
        let started = Instant::now();
        let conn = match &mut held {
            Some(conn) => Ok(conn),
            None => pool.acquire().await.map(|conn| held.insert(conn)),
        };
        let committed = match conn {
            Ok(conn) => commit(conn, &batch, &mut backlog).await,
            Err(error) => Err(error),
        };
        tracing::trace!(
            size = batch.len(),
            took_us = started.elapsed().as_micros() as u64,
            "inbox group commit"
        );
        match committed {
            Ok(replies) => {
                if replies
                    .iter()
                    .any(|reply| matches!(reply, Reply::Submit(Ok(Submitted::Accepted))))
                {
                    wakeup.notify_waiters();
                }
                answer_all(batch.drain(..), replies);
            }
            Err(error) => {
                // What the round changed is rolled back: count the table again next time.
                backlog.forget();
                held = None;
                tracing::error!(%error, batch = batch.len(), "inbox commit failed: deliveries refused");
                fail_all(batch.drain(..), &error.to_string());
            }
        }
    }
}

fn has_submit(batch: &[Request]) -> bool {
    batch
        .iter()
        .any(|request| matches!(request, Request::Submit { .. }))
}

/// Sends each request of a committed round its reply.
fn answer_all(requests: impl Iterator<Item = Request>, replies: Vec<Reply>) {
    for (request, reply) in requests.zip(replies) {
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

/// Tells each request of a failed round that nothing it asked for happened.
fn fail_all(requests: impl Iterator<Item = Request>, message: &str) {
    let failed = || InboxError::Database(sqlx::Error::Io(std::io::Error::other(message)));
    for request in requests {
        let _ = match request {
            Request::Submit { reply, .. } => reply
                .send(Err(SinkError::Storage(message.to_owned())))
                .map_err(drop),
            Request::Claim { reply, .. } => reply.send(Err(failed())).map_err(drop),
            Request::Extend { reply, .. } | Request::Settle { reply, .. } => {
                reply.send(Err(failed())).map_err(drop)
            }
        };
    }
}

/// How long a round of worker requests alone (claims, settles, lease extensions) waits
/// for deliveries to share its commit, while deliveries are arriving.
const WORKERS_WAIT: Duration = Duration::from_millis(2);

/// Deliveries count as arriving for this long after the last one was stored.
const INTAKE_ACTIVE: Duration = Duration::from_millis(20);

/// Holds back a round that has no submit for up to [`WORKERS_WAIT`], until a submit
/// joins it. Under intake, workers that finish quickly would otherwise commit a round
/// (and fsync) for every handler, between the rounds that store deliveries and ahead
/// of them; held back, their settles and claims ride along with the next deliveries'
/// commit. Without intake (a backlog draining) nothing is held back.
async fn gather_submits(requests: &mut mpsc::Receiver<Request>, batch: &mut Vec<Request>) {
    let deadline = tokio::time::Instant::now() + WORKERS_WAIT;
    while batch.len() < MAX_BATCH && !has_submit(batch) {
        let room = MAX_BATCH - batch.len();
        match tokio::time::timeout_at(deadline, requests.recv_many(batch, room)).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
    }
}

/// How long a counted backlog stands in for a new `COUNT(*)`.
const BACKLOG_FRESH: Duration = Duration::from_secs(1);

/// How long a count stands before a round that would refuse a delivery for want of
/// room counts again: at capacity, the table is counted at most this often.
const FULL_RECOUNT: Duration = Duration::from_millis(10);

/// The outstanding rows (pending, running, failed) as the writer knows them: counted in
/// the table now and then, and kept up to date in between with what the writer itself
/// changes (it makes every routine change). Counting is a scan of the whole backlog, so
/// counting every round would make each round slower the longer the backlog grows,
/// which is when speed matters most. Other processes (and admin replays) change the
/// table too, so the count is taken again every [`BACKLOG_FRESH`], and before a round
/// refuses a delivery for want of room (at most every [`FULL_RECOUNT`]): a delivery is
/// refused only on a count at most that old.
#[derive(Debug, Default)]
struct Backlog {
    counted_at: Option<Instant>,
    rows: u64,
}

impl Backlog {
    /// Counts the table again if the last count is stale, or if the `incoming` rows of
    /// this round would not all fit under `max_pending` and the count is not brand new.
    async fn refresh(
        &mut self,
        conn: &mut SqliteConnection,
        incoming: u64,
        max_pending: u64,
    ) -> Result<(), sqlx::Error> {
        let age = self.counted_at.map(|at| at.elapsed());
        let stale = age.is_none_or(|age| age >= BACKLOG_FRESH);
        let would_refuse = self.rows.saturating_add(incoming) > max_pending;
        let recheck = would_refuse && age.is_none_or(|age| age >= FULL_RECOUNT);
        if stale || recheck {
            self.rows = count(conn).await?;
            self.counted_at = Some(Instant::now());
        }
        Ok(())
    }

    /// Counts again before the next round.
    fn forget(&mut self) {
        self.counted_at = None;
    }
}

/// Runs a round in one transaction. Any database error rolls the whole round back, so
/// nobody is answered `Ok` for a change that is not committed.
async fn commit(
    conn: &mut SqliteConnection,
    batch: &[Request],
    backlog: &mut Backlog,
) -> Result<Vec<Reply>, sqlx::Error> {
    let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
    let submits = batch.iter().filter_map(|request| match request {
        Request::Submit { max_pending, .. } => Some(*max_pending),
        _ => None,
    });
    let incoming = submits.clone().count() as u64;
    if let Some(max_pending) = submits.min() {
        // Counted (when it is) before this round changes anything.
        backlog.refresh(&mut tx, incoming, max_pending).await?;
    }
    // The backlog as this round leaves it.
    let mut outstanding = backlog.rows;
    let mut replies = Vec::with_capacity(batch.len());
    let mut index = 0;
    while index < batch.len() {
        let reply = match &batch[index] {
            Request::Settle {
                outcome: Outcome::Done,
                ..
            } => {
                // The done settles are contiguous (the round is sorted): record them together.
                let settled: Vec<(i64, &str)> = batch[index..]
                    .iter()
                    .map_while(|request| match request {
                        Request::Settle {
                            id,
                            owner,
                            outcome: Outcome::Done,
                            ..
                        } => Some((*id, owner.as_str())),
                        _ => None,
                    })
                    .collect();
                index += settled.len();
                let changed = done_all(&mut tx, &settled).await?;
                let finished = changed.iter().filter(|changed| **changed).count() as u64;
                outstanding = outstanding.saturating_sub(finished);
                replies.extend(changed.into_iter().map(Reply::Changed));
                continue;
            }
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
                let answers = store_all(&mut tx, &submits, &mut outstanding).await?;
                replies.extend(answers.into_iter().map(Reply::Submit));
                continue;
            }
            Request::Claim {
                owner,
                lease,
                limit,
                ..
            } => Reply::Claim(
                sqlx::query_as(sql::CLAIM)
                    .bind(owner)
                    .bind(unix_ms::from_duration(*lease))
                    .bind(i64::try_from(*limit).unwrap_or(i64::MAX))
                    .fetch_all(&mut *tx)
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
                let changed = query.execute(&mut *tx).await?.rows_affected() == 1;
                if changed && matches!(outcome, Outcome::Dead(_)) {
                    outstanding = outstanding.saturating_sub(1);
                }
                Reply::Changed(changed)
            }
        };
        replies.push(reply);
        index += 1;
    }
    tx.commit().await?;
    backlog.rows = outstanding;
    Ok(replies)
}

/// Marks claimed rows done, a few statements for the lot; each answer says whether
/// that claim still held its row.
///
/// Lease owners are unique per claim (`<instance>/<claim number>`), so an owner names
/// the one row it claimed: `id IN (..) AND lease_owner IN (..)` matches exactly the
/// pairs asked for. Two settles of one row (one of them fenced out) are told apart only
/// one at a time, so such a round records each on its own.
async fn done_all(
    conn: &mut SqliteConnection,
    settled: &[(i64, &str)],
) -> Result<Vec<bool>, sqlx::Error> {
    let distinct: std::collections::HashSet<i64> = settled.iter().map(|(id, _)| *id).collect();
    if distinct.len() < settled.len() {
        let mut changed = Vec::with_capacity(settled.len());
        for (id, owner) in settled {
            let done = sqlx::query(sql::DONE)
                .bind(id)
                .bind(owner)
                .execute(&mut *conn)
                .await?;
            changed.push(done.rows_affected() == 1);
        }
        return Ok(changed);
    }
    let mut changed_ids = std::collections::HashSet::with_capacity(settled.len());
    for chunk in settled.chunks(DONE_CHUNK) {
        // Padded to one of a few sizes by repeating the last pair (harmless in an `IN`
        // list), so that a few prepared statements serve every round.
        let size = DONE_SIZES
            .iter()
            .copied()
            .find(|size| *size >= chunk.len())
            .unwrap_or(DONE_CHUNK);
        let last = chunk[chunk.len() - 1];
        let padded = chunk
            .iter()
            .copied()
            .chain(std::iter::repeat(last))
            .take(size);
        let mut query = sqlx::query_scalar::<_, i64>(done_many(size));
        let (ids, owners): (Vec<i64>, Vec<&str>) = padded.unzip();
        for id in ids {
            query = query.bind(id);
        }
        for owner in owners {
            query = query.bind(owner);
        }
        changed_ids.extend(query.fetch_all(&mut *conn).await?);
    }
    Ok(settled
        .iter()
        .map(|(id, _)| changed_ids.contains(id))
        .collect())
}

/// The sizes a batch of done settles is padded to, and the largest.
const DONE_SIZES: [usize; 4] = [1, 8, 32, 128];
const DONE_CHUNK: usize = DONE_SIZES[DONE_SIZES.len() - 1];

/// [`sql::DONE`] for `rows` (one of [`DONE_SIZES`]) `(id, owner)` pairs: the ids, then
/// as many owners, as anonymous parameters (see [`crate::sql::upsert_many`]); built
/// once per size.
fn done_many(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    let statements = STATEMENTS.get_or_init(|| {
        DONE_SIZES
            .iter()
            .map(|size| build_done_many(*size))
            .collect()
    });
    let at = DONE_SIZES
        .iter()
        .position(|size| *size == rows)
        .expect("padded to one of the sizes");
    &statements[at]
}

fn build_done_many(rows: usize) -> String {
    let single = sql::DONE;
    let where_at = single
        .find(" WHERE ")
        .expect("the done statement has a WHERE");
    let list = vec!["?"; rows].join(", ");
    format!(
        "{} WHERE state = 'running' AND id IN ({list}) AND lease_owner IN ({list}) RETURNING id",
        &single[..where_at],
    )
}

/// Stores a round's submits. When they all fit under the capacity they go in as a few
/// multi-row upserts (one statement per [`CHUNK`] rows, not one per row); near the
/// capacity each is checked on its own.
async fn store_all(
    conn: &mut SqliteConnection,
    submits: &[(&NewRow, u64)],
    outstanding: &mut u64,
) -> Result<Vec<Answer>, sqlx::Error> {
    let fits = submits.iter().all(|(_, max_pending)| {
        outstanding.saturating_add(u64::try_from(submits.len()).unwrap_or(u64::MAX)) <= *max_pending
    });
    if !fits {
        let mut answers = Vec::with_capacity(submits.len());
        for (row, max_pending) in submits {
            answers.push(store(&mut *conn, row, *max_pending, outstanding).await?);
        }
        return Ok(answers);
    }
    // Which `(provider, dedupe_key)`s the upserts stored (new, or dead and revived).
    let mut stored = std::collections::HashSet::new();
    for chunk in submits.chunks(CHUNK) {
        let mut query = sqlx::query_as::<_, (String, String)>(upsert_many(chunk.len()));
        for (row, _) in chunk {
            query = crate::sql::bind_upsert!(query, row);
        }
        stored.extend(query.fetch_all(&mut *conn).await?);
    }
    *outstanding += stored.len() as u64;
    Ok(answers_in_order(
        submits.iter().map(|(row, _)| *row),
        stored,
    ))
}

/// Rows per multi-row upsert (9 parameters each).
const CHUNK: usize = 32;

/// [`sql::UPSERT`] for `rows` rows (1..=[`CHUNK`]), returning the identity of each row
/// it stored; built once per size.
fn upsert_many(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    let statements = STATEMENTS.get_or_init(|| (1..=CHUNK).map(build_upsert_many).collect());
    &statements[rows - 1]
}

/// The `rows`-row upsert, with anonymous parameters (see [`crate::sql::upsert_many`]).
fn build_upsert_many(rows: usize) -> String {
    crate::sql::upsert_many(sql::UPSERT, rows, |_| "?".to_owned())
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
