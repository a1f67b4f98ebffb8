//! Group commit: one writer makes every routine change to the table. It takes whatever
//! is queued (submits, and the workers' settles, lease extensions and claims), runs it
//! all in one `BEGIN IMMEDIATE` transaction, and answers each request only after the
//! `COMMIT`. One fsync then covers a whole round, so durability does not cap
//! throughput, and the inbox's own connections never wait on each other for SQLite's
//! single write lock (no busy-handler sleeps).
//!
//! The writer has a connection of its own, outside the pool, on which a round runs as
//! one blocking call (on tokio's blocking threads). sqlx runs each pooled connection on
//! a thread of its own and hands every statement and every returned row across to the
//! async side: a round of a few dozen deliveries cost a hundred thread switches that
//! way, the largest single cost of a durable delivery. The connection has the pool's
//! settings (WAL, `synchronous = FULL`, the busy timeout), see [`open_writer`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{Notify, mpsc, oneshot};
use webhook_core::{SinkError, Submitted, Verified};

use super::{BUSY_TIMEOUT, PRAGMAS, sql};
use crate::error::InboxError;
use crate::record::{DeliveryRecord, NewRow, Stored};
use crate::store::{Claimed, Outcome};
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
        /// The delivery itself, for a claim of the same round to run without reading
        /// it back; taken when it is handed over.
        delivery: Option<Verified>,
        max_pending: u64,
        reply: oneshot::Sender<Answer>,
    },
    Claim {
        owner: String,
        lease: Duration,
        limit: usize,
        reply: oneshot::Sender<Result<Vec<Claimed>, InboxError>>,
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
    Claim(Vec<Claimed>),
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
    /// Starts the writer on the current runtime, on `connection` (from [`open_writer`]
    /// on `path`, which it opens again after a failed round); it wakes `wakeup` after
    /// each commit that stored new work.
    pub(super) fn spawn(path: PathBuf, connection: Connection, wakeup: Arc<Notify>) -> Self {
        let (queue, requests) = mpsc::channel(QUEUE);
        let writer = Writer {
            path,
            connection: Some(connection),
            backlog: Backlog::default(),
        };
        tokio::spawn(write(writer, wakeup, requests));
        Self { queue }
    }

    /// Queues `delivery` (stored as `row`) and waits for its round's commit.
    pub(super) async fn submit(&self, row: NewRow, delivery: Verified, max_pending: u64) -> Answer {
        let (reply, answer) = oneshot::channel();
        let request = Request::Submit {
            row,
            delivery: Some(delivery),
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
    ) -> oneshot::Receiver<Result<Vec<Claimed>, InboxError>> {
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

/// Opens the writer's connection to the inbox file at `path` with the settings every
/// pooled connection has ([`PRAGMAS`] and the busy timeout).
pub(super) fn open_writer(path: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(BUSY_TIMEOUT)?;
    for (name, value) in PRAGMAS {
        connection.pragma_update(None, name, value)?;
    }
    // Every statement a round runs stays prepared: the upserts of each size, the done
    // statements, the claim and the rest.
    connection.set_prepared_statement_cache_capacity(STATEMENTS);
    Ok(connection)
}

/// Prepared statements the writer keeps: more than it has (the upserts and body
/// inserts of each size, the done statements, the claim and the rest).
const STATEMENTS: usize = 96;

/// The writer's connection (none after a failed round, until the next opens it again)
/// and what it knows of the table.
struct Writer {
    path: PathBuf,
    connection: Option<Connection>,
    backlog: Backlog,
}

impl Writer {
    /// Runs a round; blocks on SQLite. After a failure the connection is dropped, in
    /// case it broke, and the backlog counted again.
    fn round(&mut self, batch: &mut [Request]) -> rusqlite::Result<Vec<Reply>> {
        let connection = match &mut self.connection {
            Some(connection) => connection,
            None => self.connection.insert(open_writer(&self.path)?),
        };
        let committed = commit(connection, batch, &mut self.backlog);
        if committed.is_err() {
            // What the round changed is rolled back: count the table again next time.
            self.backlog.forget();
            self.connection = None;
        }
        committed
    }
}

async fn write(mut writer: Writer, wakeup: Arc<Notify>, mut requests: mpsc::Receiver<Request>) {
    let path = writer.path.clone();
    let mut batch = Vec::with_capacity(MAX_BATCH);
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
        // Then the claims, which take the oldest due rows, and what room they have
        // left takes the round's new rows as they are stored (see `commit`).
        batch.sort_by_key(|request| match request {
            Request::Settle {
                outcome: Outcome::Done,
                ..
            } => 0,
            Request::Settle { .. } | Request::Extend { .. } => 1,
            Request::Claim { .. } => 2,
            Request::Submit { .. } => 3,
        });
        let started = Instant::now();
        let round = tokio::task::spawn_blocking(move || {
            let committed = writer.round(&mut batch);
            (writer, batch, committed)
        });
        let committed = match round.await {
            Ok((returned, returned_batch, committed)) => {
                writer = returned;
                batch = returned_batch;
                committed
            }
            Err(error) => {
                // The round panicked (or the runtime is shutting down): its requests
                // were dropped with it, so each requester hears the writer stopped
                // (a submit is answered 503, never 200). Start again from a new
                // connection.
                tracing::error!(%error, "inbox writer round failed");
                writer = Writer {
                    path: path.clone(),
                    connection: None,
                    backlog: Backlog::default(),
                };
                batch = Vec::with_capacity(MAX_BATCH);
                continue;
            }
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
                let handed_rows = replies
                    .iter()
                    .any(|reply| matches!(reply, Reply::Claim(rows) if !rows.is_empty()));
                answer_all(batch.drain(..), replies);
                if handed_rows {
                    // Let the workers just woken run their (quick) handlers and queue
                    // their next claims before the next round is taken: otherwise that
                    // round has only submits, stores them all pending, and the claims
                    // arriving a round late rewrite them with the claim statement
                    // instead of being handed the next round's deliveries.
                    tokio::task::yield_now().await;
                }
            }
            Err(error) => {
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

/// Holds back a round for up to [`WORKERS_WAIT`] while it has no submit, or fewer
/// submits than settles, until enough submits join it. Under intake, workers that finish
/// quickly would otherwise commit a round (and fsync) for their settles, between the
/// rounds that store deliveries and ahead of them: a round of settles taken with the
/// first delivery that arrived keeps the deliveries right behind it waiting for its
/// commit, and then takes a commit of their own. Held back, the settles and claims ride
/// along with the deliveries' commit, and the pages both change (the newest rows, the
/// due index) are written once. Without intake (a backlog draining) nothing is held
/// back.
async fn gather_submits(requests: &mut mpsc::Receiver<Request>, batch: &mut Vec<Request>) {
    let deadline = tokio::time::Instant::now() + WORKERS_WAIT;
    let mut tally = Tally::default();
    tally.add(batch);
    while batch.len() < MAX_BATCH && tally.short_of_submits() {
        let room = MAX_BATCH - batch.len();
        let before = batch.len();
        match tokio::time::timeout_at(deadline, requests.recv_many(batch, room)).await {
            Ok(0) | Err(_) => return,
            // Only the requests just received are counted: the batch is not walked
            // again at every wake-up.
            Ok(_) => tally.add(&batch[before..]),
        }
    }
}

/// How many submits and settles a round being gathered holds.
#[derive(Debug, Default)]
struct Tally {
    submits: usize,
    settles: usize,
}

impl Tally {
    fn add(&mut self, requests: &[Request]) {
        for request in requests {
            match request {
                Request::Submit { .. } => self.submits += 1,
                Request::Settle { .. } => self.settles += 1,
                Request::Claim { .. } | Request::Extend { .. } => {}
            }
        }
    }

    /// True with no submit, or fewer submits than settles.
    fn short_of_submits(&self) -> bool {
        self.submits == 0 || self.submits < self.settles
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
    fn refresh(
        &mut self,
        connection: &Connection,
        incoming: u64,
        max_pending: u64,
    ) -> rusqlite::Result<()> {
        let age = self.counted_at.map(|at| at.elapsed());
        let stale = age.is_none_or(|age| age >= BACKLOG_FRESH);
        let would_refuse = self.rows.saturating_add(incoming) > max_pending;
        let recheck = would_refuse && age.is_none_or(|age| age >= FULL_RECOUNT);
        if stale || recheck {
            self.rows = count(connection)?;
            self.counted_at = Some(Instant::now());
        }
        Ok(())
    }

    /// Counts again before the next round.
    fn forget(&mut self) {
        self.counted_at = None;
    }
}

/// A claim of the round that could take more rows than the table had due.
struct Room {
    /// Where the claim's reply is in the round's replies.
    reply: usize,
    owner: String,
    lease: Duration,
    /// How many more rows it takes, and how many it was handed so far.
    left: usize,
    handed: usize,
}

/// A new row leased to a claim as it is stored.
struct Lease {
    /// Where the claim's reply is in the round's replies.
    reply: usize,
    owner: String,
    expires_at: i64,
}

/// Leases the next `submits` new rows to the claims with room, in order, while there is
/// room: one lease (or none) per submit.
fn hand_out(rooms: &mut [Room], submits: usize) -> Vec<Option<Lease>> {
    let now = unix_ms::from_time(std::time::SystemTime::now());
    let mut rooms = rooms.iter_mut().filter(|room| room.left > 0).peekable();
    (0..submits)
        .map(|_| {
            while rooms.peek().is_some_and(|room| room.left == 0) {
                rooms.next();
            }
            let room = rooms.peek_mut()?;
            room.left -= 1;
            room.handed += 1;
            Some(Lease {
                reply: room.reply,
                owner: format!("{}/new{}", room.owner, room.handed),
                expires_at: now.saturating_add(unix_ms::from_duration(room.lease)),
            })
        })
        .collect()
}

/// Runs a round in one transaction. Any database error rolls the whole round back, so
/// nobody is answered `Ok` for a change that is not committed.
///
/// A claim takes the oldest due rows first. If it could take more, the round's new
/// deliveries fill its room as they are stored: inserted `running` and leased to it
/// (each to an owner of its own, `<claim>/new<n>`, as a row the claim statement takes
/// is leased to `<claim>/<id>`), and handed over in memory: no claim statement rewrites
/// them and reads their bodies back. A crash or shutdown treats them as any claimed row.
fn commit(
    connection: &mut Connection,
    batch: &mut [Request],
    backlog: &mut Backlog,
) -> rusqlite::Result<Vec<Reply>> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let submits = batch.iter().filter_map(|request| match request {
        Request::Submit { max_pending, .. } => Some(*max_pending),
        _ => None,
    });
    let incoming = submits.clone().count() as u64;
    if let Some(max_pending) = submits.min() {
        // Counted (when it is) before this round changes anything.
        backlog.refresh(&tx, incoming, max_pending)?;
    }
    // The backlog as this round leaves it.
    let mut outstanding = backlog.rows;
    let mut replies = Vec::with_capacity(batch.len());
    let mut rooms: Vec<Room> = Vec::new();
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
                let changed = done_all(&tx, &settled)?;
                let finished = changed.iter().filter(|changed| **changed).count() as u64;
                outstanding = outstanding.saturating_sub(finished);
                replies.extend(changed.into_iter().map(Reply::Changed));
                continue;
            }
            Request::Submit { .. } => {
                // The submits are contiguous and last (the round is sorted): store them
                // together, the first of them leased to the claims with room.
                let first = index;
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
                let leases = hand_out(&mut rooms, submits.len());
                let stored = store_all(&tx, &submits, &leases, &mut outstanding)?;
                for (at, ((answer, id), lease)) in stored.into_iter().zip(leases).enumerate() {
                    if let (Ok(Submitted::Accepted), Some(id), Some(lease)) = (&answer, id, lease) {
                        let delivery = match &mut batch[first + at] {
                            Request::Submit { delivery, .. } => delivery.take(),
                            _ => None,
                        };
                        if let (Some(delivery), Some(Reply::Claim(claimed))) =
                            (delivery, replies.get_mut(lease.reply))
                        {
                            claimed.push(Claimed {
                                id,
                                owner: lease.owner,
                                attempts: 1,
                                delivery: Ok(delivery),
                            });
                        }
                    }
                    replies.push(Reply::Submit(answer));
                }
                continue;
            }
            Request::Claim {
                owner,
                lease,
                limit,
                ..
            } => {
                let mut claim = tx.prepare_cached(sql::CLAIM)?;
                let records: Vec<DeliveryRecord> = claim
                    .query_map(
                        &[
                            ("$1", owner as &dyn rusqlite::ToSql),
                            ("$2", &unix_ms::from_duration(*lease)),
                            ("$3", &i64::try_from(*limit).unwrap_or(i64::MAX)),
                        ],
                        DeliveryRecord::from_sqlite,
                    )?
                    .collect::<rusqlite::Result<_>>()?;
                let claimed: Vec<Claimed> = records
                    .into_iter()
                    .map(|record| Ok(with_body(&tx, record)?.claimed(owner)))
                    .collect::<rusqlite::Result<_>>()?;
                if claimed.len() < *limit {
                    rooms.push(Room {
                        reply: replies.len(),
                        owner: owner.clone(),
                        lease: *lease,
                        left: limit - claimed.len(),
                        handed: 0,
                    });
                }
                Reply::Claim(claimed)
            }
            Request::Extend {
                id, owner, lease, ..
            } => {
                let changed = tx.prepare_cached(sql::EXTEND)?.execute(&[
                    ("$1", id as &dyn rusqlite::ToSql),
                    ("$2", owner),
                    ("$3", &unix_ms::from_duration(*lease)),
                ])?;
                Reply::Changed(changed == 1)
            }
            Request::Settle {
                id, owner, outcome, ..
            } => {
                let changed = match outcome {
                    Outcome::Done => tx
                        .prepare_cached(sql::DONE)?
                        .execute(&[("$1", id as &dyn rusqlite::ToSql), ("$2", owner)])?,
                    Outcome::Retry { after, error } => {
                        tx.prepare_cached(sql::RETRY)?.execute(&[
                            ("$1", id as &dyn rusqlite::ToSql),
                            ("$2", owner),
                            ("$3", &unix_ms::from_duration(*after)),
                            ("$4", error),
                        ])?
                    }
                    Outcome::Dead(error) => tx.prepare_cached(sql::DEAD)?.execute(&[
                        ("$1", id as &dyn rusqlite::ToSql),
                        ("$2", owner),
                        ("$3", error),
                    ])?,
                } == 1;
                if changed && matches!(outcome, Outcome::Dead(_)) {
                    outstanding = outstanding.saturating_sub(1);
                }
                Reply::Changed(changed)
            }
        };
        replies.push(reply);
        index += 1;
    }
    tx.commit()?;
    backlog.rows = outstanding;
    Ok(replies)
}

/// Marks claimed rows done, a few statements for the lot; each answer says whether
/// that claim still held its row.
///
/// Lease owners are unique per row (`<instance>/<claim number>/<id>`), so an owner names
/// the one row it claimed: `id IN (..) AND lease_owner IN (..)` matches exactly the
/// pairs asked for. Two settles of one row (one of them fenced out) are told apart only
/// one at a time, so such a round records each on its own.
fn done_all(connection: &Connection, settled: &[(i64, &str)]) -> rusqlite::Result<Vec<bool>> {
    let distinct: std::collections::HashSet<i64> = settled.iter().map(|(id, _)| *id).collect();
    if distinct.len() < settled.len() {
        let mut done = connection.prepare_cached(sql::DONE)?;
        let mut changed = Vec::with_capacity(settled.len());
        for (id, owner) in settled {
            let rows = done.execute(&[("$1", id as &dyn rusqlite::ToSql), ("$2", owner)])?;
            changed.push(rows == 1);
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
        let padded: Vec<(i64, &str)> = chunk
            .iter()
            .copied()
            .chain(std::iter::repeat(last))
            .take(size)
            .collect();
        let mut done = connection.prepare_cached(done_many(size))?;
        // The ids, then as many owners, in order (anonymous parameters).
        let mut at = 0;
        for (id, _) in &padded {
            at += 1;
            done.raw_bind_parameter(at, id)?;
        }
        for (_, owner) in &padded {
            at += 1;
            done.raw_bind_parameter(at, owner)?;
        }
        let mut rows = done.raw_query();
        while let Some(row) = rows.next()? {
            changed_ids.insert(row.get::<_, i64>(0)?);
        }
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

/// Stores a round's submits, each as `pending` or, with a lease, `running`: the answer
/// to each, and the id of each row it stored. When they all fit under the capacity they
/// go in as a few multi-row upserts (one statement per [`CHUNK`] rows, not one per row);
/// near the capacity each is checked on its own.
fn store_all(
    connection: &Connection,
    submits: &[(&NewRow, u64)],
    leases: &[Option<Lease>],
    outstanding: &mut u64,
) -> rusqlite::Result<Vec<(Answer, Option<i64>)>> {
    let fits = submits.iter().all(|(_, max_pending)| {
        outstanding.saturating_add(u64::try_from(submits.len()).unwrap_or(u64::MAX)) <= *max_pending
    });
    if !fits {
        let mut answers = Vec::with_capacity(submits.len());
        for ((row, max_pending), lease) in submits.iter().zip(leases) {
            answers.push(store(
                connection,
                row,
                lease.as_ref(),
                *max_pending,
                outstanding,
            )?);
        }
        return Ok(answers);
    }
    let mut answers = Vec::with_capacity(submits.len());
    for (chunk, leases) in submits.chunks(CHUNK).zip(leases.chunks(CHUNK)) {
        let mut upsert = connection.prepare_cached(upsert_many(chunk.len()))?;
        for (at, ((row, _), lease)) in chunk.iter().zip(leases).enumerate() {
            bind_row(
                &mut upsert,
                at * crate::sql::UPSERT_PARAMS,
                row,
                lease.as_ref(),
            )?;
        }
        // The rows this upsert stored (new, or dead and revived). A key of an earlier
        // chunk is live by now, so answering chunk by chunk answers as the whole round
        // would.
        let mut stored = Stored::new(chunk.iter().map(|(row, _)| *row));
        let mut rows = upsert.raw_query();
        while let Some(row) = rows.next()? {
            stored.record(
                row.get_ref(1)?.as_str()?,
                row.get_ref(2)?.as_str()?,
                row.get(0)?,
            );
        }
        drop(rows);
        let in_chunk = stored.answers();
        // Each stored row's body is that of the submit that stored it.
        let bodies: Vec<(i64, &NewRow)> = in_chunk
            .iter()
            .zip(chunk)
            .filter_map(|((_, id), (row, _))| id.map(|id| (id, *row)))
            .collect();
        store_bodies(connection, &bodies)?;
        *outstanding += bodies.len() as u64;
        answers.extend(in_chunk);
    }
    Ok(answers)
}

/// Binds `row`'s thirteen upsert parameters ($1..$13 of `UPSERT`, in that order, as
/// `bind_upsert` does for Postgres) to the parameters after the first `before`: pending,
/// or running under `lease`; empty headers and body, which `store_bodies` writes.
fn bind_row(
    statement: &mut rusqlite::CachedStatement<'_>,
    before: usize,
    row: &NewRow,
    lease: Option<&Lease>,
) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(before + 1, &row.provider)?;
    statement.raw_bind_parameter(before + 2, &row.dedupe_key)?;
    statement.raw_bind_parameter(before + 3, &row.event_type)?;
    // The headers and body go to `webhook_inbox_body` (see `store_bodies`).
    statement.raw_bind_parameter(before + 4, "")?;
    statement.raw_bind_parameter(before + 5, &b""[..])?;
    statement.raw_bind_parameter(before + 6, row.data_start)?;
    statement.raw_bind_parameter(before + 7, row.data_end)?;
    statement.raw_bind_parameter(before + 8, &row.data)?;
    statement.raw_bind_parameter(before + 9, row.received_at)?;
    let (state, attempts) = match lease {
        Some(_) => ("running", 1_i64),
        None => ("pending", 0_i64),
    };
    statement.raw_bind_parameter(before + 10, state)?;
    statement.raw_bind_parameter(before + 11, attempts)?;
    statement.raw_bind_parameter(before + 12, lease.map(|lease| lease.owner.as_str()))?;
    statement.raw_bind_parameter(before + 13, lease.map(|lease| lease.expires_at))
}

/// Writes the headers and body of each row `(id, row)` just stored (new, or a dead row
/// revived: its old body is replaced).
fn store_bodies(connection: &Connection, rows: &[(i64, &NewRow)]) -> rusqlite::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut insert = connection.prepare_cached(bodies_many(chunk.len()))?;
        for (at, (id, row)) in chunk.iter().enumerate() {
            insert.raw_bind_parameter(at * 3 + 1, id)?;
            insert.raw_bind_parameter(at * 3 + 2, &row.headers)?;
            insert.raw_bind_parameter(at * 3 + 3, &row.body[..])?;
        }
        insert.raw_execute()?;
    }
    Ok(())
}

/// The insert of `rows` (1..=[`CHUNK`]) bodies; built once per size.
fn bodies_many(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    crate::sql::for_rows(&STATEMENTS, rows, CHUNK, |rows| {
        format!(
            "INSERT OR REPLACE INTO webhook_inbox_body (id, headers, body) VALUES {}",
            vec!["(?, ?, ?)"; rows].join(", ")
        )
    })
}

/// Reads the stored headers and body of a row the claim statement took (rows stored
/// before `webhook_inbox_body` existed have theirs inline, and keep them).
fn with_body(
    connection: &Connection,
    mut record: DeliveryRecord,
) -> rusqlite::Result<DeliveryRecord> {
    let mut read =
        connection.prepare_cached("SELECT headers, body FROM webhook_inbox_body WHERE id = ?1")?;
    let mut found = read.query([record.id])?;
    if let Some(stored) = found.next()? {
        record.set_payload(stored.get(0)?, stored.get(1)?);
    }
    Ok(record)
}

/// Rows per multi-row upsert (13 parameters each).
const CHUNK: usize = 32;

/// [`sql::UPSERT`] for `rows` rows (1..=[`CHUNK`]), returning the identity of each row
/// it stored; built once per size.
fn upsert_many(rows: usize) -> &'static str {
    static STATEMENTS: OnceLock<Vec<String>> = OnceLock::new();
    crate::sql::for_rows(&STATEMENTS, rows, CHUNK, build_upsert_many)
}

/// The `rows`-row upsert, with anonymous parameters (see [`crate::sql::upsert_many`]).
fn build_upsert_many(rows: usize) -> String {
    crate::sql::upsert_many(sql::UPSERT, rows, |_| "?".to_owned())
}

fn count(connection: &Connection) -> rusqlite::Result<u64> {
    let count: i64 = connection
        .prepare_cached(sql::OUTSTANDING)?
        .query_row([], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Stores one delivery (pending, or running under `lease`) unless it is a live duplicate
/// or the inbox is full; with the id of the row it stored.
fn store(
    connection: &Connection,
    row: &NewRow,
    lease: Option<&Lease>,
    max_pending: u64,
    outstanding: &mut u64,
) -> rusqlite::Result<(Answer, Option<i64>)> {
    if *outstanding >= max_pending {
        let mut state_of = connection.prepare_cached(sql::STATE_OF_EVENT)?;
        let mut states = state_of.query(&[
            ("$1", &row.provider as &dyn rusqlite::ToSql),
            ("$2", &row.dedupe_key),
        ])?;
        let state: Option<String> = match states.next()? {
            Some(found) => Some(found.get(0)?),
            None => None,
        };
        let answer = match state {
            Some(state) if state != "dead" => Ok(Submitted::Duplicate),
            _ => Err(SinkError::Full),
        };
        return Ok((answer, None));
    }
    // The upsert returns the id only when it stored the row (new, or a dead one
    // revived); a live duplicate leaves the row as it is.
    let mut upsert = connection.prepare_cached(sql::UPSERT)?;
    bind_row(&mut upsert, 0, row, lease)?;
    let stored: Option<i64> = match upsert.raw_query().next()? {
        Some(found) => Some(found.get(0)?),
        None => None,
    };
    Ok(match stored {
        Some(id) => {
            store_bodies(connection, &[(id, row)])?;
            *outstanding += 1;
            (Ok(Submitted::Accepted), Some(id))
        }
        None => (Ok(Submitted::Duplicate), None),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use bytes::Bytes;
    use http::HeaderMap;
    use tokio::sync::oneshot;
    use webhook_core::dangerous::restore_verified;
    use webhook_core::{Envelope, Submitted};

    use super::{Backlog, Reply, Request, WORKERS_WAIT, commit, gather_submits, open_writer};
    use crate::record::NewRow;
    use crate::store::Outcome;
    use crate::unix_ms;

    fn submit(key: &str) -> Request {
        let body = Bytes::from(format!(
            r#"{{"event":"charge.succeeded","payload":{{"id":"{key}"}}}}"#
        ));
        let data = body.slice(41..body.len() - 1);
        let delivery = restore_verified(
            "modem-pay",
            HeaderMap::new(),
            body,
            Envelope::new("charge.succeeded", key, data),
            SystemTime::now(),
        );
        Request::Submit {
            row: NewRow::of(&delivery),
            delivery: Some(delivery),
            max_pending: 1_000,
            reply: oneshot::channel().0,
        }
    }

    /// A row as the test reads it back: key, state, attempts, lease owner, lease end.
    type StoredRow = (String, String, i64, Option<String>, Option<i64>);

    /// The writer's connection to a new inbox file (with the directory that holds it).
    fn writer_on_new_file() -> (tempfile::TempDir, rusqlite::Connection) {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let connection = open_writer(&dir.path().join("inbox.db")).expect("the writer opens");
        connection
            .execute_batch(crate::migrate::sqlite::MIGRATIONS[0].sql)
            .expect("the schema is created");
        (dir, connection)
    }

    fn claim(owner: &str, limit: usize) -> Request {
        Request::Claim {
            owner: owner.to_owned(),
            lease: Duration::from_secs(30),
            limit,
            reply: oneshot::channel().0,
        }
    }

    fn done(id: i64) -> Request {
        Request::Settle {
            id,
            owner: format!("claim/{id}"),
            outcome: Outcome::Done,
            reply: oneshot::channel().0,
        }
    }

    /// Under intake, a round of settles waits (at most `WORKERS_WAIT`) for as many
    /// deliveries as it has settles, so that one commit takes both; a round that has
    /// them goes at once.
    #[tokio::test(start_paused = true)]
    async fn a_round_of_settles_waits_for_as_many_deliveries_to_share_its_commit() {
        let (sender, mut requests) = tokio::sync::mpsc::channel(16);
        let started = tokio::time::Instant::now();
        let mut batch = vec![done(1), done(2), submit("a")];
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let _ = sender.send(submit("b")).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = sender.send(submit("c")).await;
        });
        gather_submits(&mut requests, &mut batch).await;
        assert_eq!(batch.len(), 4, "the second delivery joined the round");
        assert_eq!(started.elapsed(), Duration::from_millis(1));

        let mut enough = vec![done(3), submit("d"), submit("e")];
        let before = tokio::time::Instant::now();
        gather_submits(&mut requests, &mut enough).await;
        assert_eq!((enough.len(), before.elapsed()), (3, Duration::ZERO));

        let mut short = vec![done(4), done(5), submit("f")];
        let before = tokio::time::Instant::now();
        gather_submits(&mut requests, &mut short).await;
        assert_eq!(
            before.elapsed(),
            WORKERS_WAIT,
            "held back no longer than the wait"
        );
        late.abort();
    }

    /// A round's claims take the oldest due rows first; the room they have left takes
    /// the round's new rows as they are stored (running, leased to the claim, handed
    /// over with the delivery itself); the rest are stored pending. A duplicate in the
    /// same round is answered as one and handed to nobody.
    #[test]
    fn a_claim_takes_older_due_rows_first_then_the_rounds_new_rows_as_they_are_stored() {
        let (_dir, mut connection) = writer_on_new_file();
        let mut backlog = Backlog::default();
        commit(&mut connection, &mut [submit("ch_old")], &mut backlog).expect("round 1 commits");

        // As the writer sorts a round: claims, then submits.
        let mut round = [
            claim("inst/7", 4),
            submit("ch_new1"),
            submit("ch_new1"),
            submit("ch_new2"),
            submit("ch_new3"),
        ];
        let replies = commit(&mut connection, &mut round, &mut backlog).expect("round 2 commits");
        let Reply::Claim(claimed) = &replies[0] else {
            panic!("the claim's reply comes first");
        };
        let taken: Vec<(String, String, i64)> = claimed
            .iter()
            .map(|row| {
                let delivery = row.delivery.as_ref().expect("the delivery is there");
                (
                    delivery.envelope().dedupe_key().to_owned(),
                    row.owner.clone(),
                    row.attempts,
                )
            })
            .collect();
        let old_id = claimed[0].id;
        let old_body = claimed[0]
            .delivery
            .as_ref()
            .map(|delivery| delivery.body().clone());
        assert_eq!(
            old_body.ok().as_deref(),
            Some(&br#"{"event":"charge.succeeded","payload":{"id":"ch_old"}}"#[..]),
            "a row claimed from the table gets its body back from webhook_inbox_body"
        );
        assert_eq!(
            taken,
            [
                ("ch_old".to_owned(), format!("inst/7/{old_id}"), 1),
                ("ch_new1".to_owned(), "inst/7/new1".to_owned(), 1),
                ("ch_new2".to_owned(), "inst/7/new3".to_owned(), 1),
            ],
            "the duplicate took the room of a lease it did not use (new2); ch_new3 found none"
        );
        let answers: Vec<Option<Submitted>> = replies[1..]
            .iter()
            .map(|reply| match reply {
                Reply::Submit(answer) => answer.as_ref().ok().copied(),
                _ => None,
            })
            .collect();
        assert_eq!(
            answers,
            [
                Some(Submitted::Accepted),
                Some(Submitted::Duplicate),
                Some(Submitted::Accepted),
                Some(Submitted::Accepted)
            ]
        );

        let stored: Vec<StoredRow> = connection
            .prepare(
                "SELECT dedupe_key, state, attempts, lease_owner, lease_expires_at \
                 FROM webhook_inbox ORDER BY id",
            )
            .unwrap()
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let now = unix_ms::from_time(SystemTime::now());
        let leased = |at: usize| stored[at].4.is_some_and(|end| end > now + 20_000);
        assert!(leased(0) && leased(1) && leased(2), "{stored:?}");
        let states: Vec<(&str, &str, i64, Option<&str>)> = stored
            .iter()
            .map(|(key, state, attempts, owner, _)| {
                (key.as_str(), state.as_str(), *attempts, owner.as_deref())
            })
            .collect();
        assert_eq!(
            states,
            [
                (
                    "ch_old",
                    "running",
                    1,
                    Some(format!("inst/7/{old_id}").as_str())
                ),
                ("ch_new1", "running", 1, Some("inst/7/new1")),
                ("ch_new2", "running", 1, Some("inst/7/new3")),
                ("ch_new3", "pending", 0, None),
            ]
        );
        assert_eq!(
            backlog.rows, 4,
            "the backlog counts handed rows as outstanding"
        );
    }

    /// Bodies live in `webhook_inbox_body`, written once; a row stored before that table
    /// existed (its body inline) is still claimed with its body; deleting a row deletes
    /// its body.
    #[test]
    fn bodies_are_stored_apart_and_inline_bodies_of_older_rows_still_restore() {
        let (_dir, mut connection) = writer_on_new_file();
        let mut backlog = Backlog::default();
        commit(&mut connection, &mut [submit("ch_new")], &mut backlog).expect("a round commits");
        let (inline, apart): (Vec<u8>, Vec<u8>) = connection
            .query_row(
                "SELECT webhook_inbox.body, webhook_inbox_body.body FROM webhook_inbox \
                 JOIN webhook_inbox_body USING (id) WHERE dedupe_key = 'ch_new'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("the row and its body");
        assert_eq!(
            (inline.len(), apart.as_slice()),
            (
                0,
                &br#"{"event":"charge.succeeded","payload":{"id":"ch_new"}}"#[..]
            )
        );

        let older = br#"{"event":"charge.succeeded","payload":{"id":"ch_older"}}"#;
        connection
            .execute(
                "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, \
                   data_start, data_end, received_at, updated_at) \
                 VALUES ('modem-pay', 'ch_older', 'charge.succeeded', '[[\"x-a\",\"1\"]]', ?1, \
                   41, 56, 0, 0)",
                [&older[..]],
            )
            .expect("a row in the old layout");
        let mut round = [claim("inst/8", 2)];
        let replies = commit(&mut connection, &mut round, &mut backlog).expect("the claim commits");
        let Reply::Claim(claimed) = &replies[0] else {
            panic!("a claim's reply");
        };
        let bodies: Vec<(String, Vec<u8>, usize)> = claimed
            .iter()
            .map(|row| {
                let delivery = row.delivery.as_ref().expect("the delivery is rebuilt");
                (
                    delivery.envelope().dedupe_key().to_owned(),
                    delivery.body().to_vec(),
                    delivery.headers().len(),
                )
            })
            .collect();
        assert_eq!(
            bodies,
            [
                (
                    "ch_new".to_owned(),
                    br#"{"event":"charge.succeeded","payload":{"id":"ch_new"}}"#.to_vec(),
                    0
                ),
                ("ch_older".to_owned(), older.to_vec(), 1),
            ]
        );

        connection
            .execute("DELETE FROM webhook_inbox", [])
            .expect("rows are deleted");
        let left: i64 = connection
            .query_row("SELECT COUNT(*) FROM webhook_inbox_body", [], |row| {
                row.get(0)
            })
            .expect("bodies are counted");
        assert_eq!(left, 0, "a deleted row's body goes with it");
    }

    /// The writer's connection is outside the pool: it must have the pool's settings
    /// itself (the pooled connections are checked in `tests/sqlite.rs`).
    #[test]
    fn the_writers_connection_is_wal_with_synchronous_full() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let connection = open_writer(&dir.path().join("writer.db")).expect("the writer opens");
        let pragma = |name: &str| -> String {
            connection
                .query_row(&format!("PRAGMA {name}"), [], |row| {
                    row.get::<_, rusqlite::types::Value>(0)
                })
                .map(|value| match value {
                    rusqlite::types::Value::Integer(number) => number.to_string(),
                    rusqlite::types::Value::Text(text) => text,
                    other => format!("{other:?}"),
                })
                .expect("the pragma reads")
        };
        // synchronous 2 = FULL; temp_store 2 = MEMORY.
        assert_eq!(
            (
                pragma("journal_mode"),
                pragma("synchronous"),
                pragma("busy_timeout"),
                pragma("temp_store")
            ),
            (
                "wal".to_owned(),
                "2".to_owned(),
                "5000".to_owned(),
                "2".to_owned()
            )
        );
    }
}
