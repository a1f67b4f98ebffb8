//! `MemorySink`: bounded in-memory hand-off on the current tokio runtime. Fast; an
//! acknowledged event dies with the process (use a durable inbox from `webhook-inbox`
//! where that matters).
//!
//! Each accepted event is a task of its own, spawned where it was accepted (tokio runs
//! it next on the same thread, with the delivery still in its cache), holding its slot
//! of the capacity until it is done or dead. A semaphore of `workers` turns bounds how
//! many handlers run at once; a task waiting for a turn waits in line, oldest first, and
//! a retry gives its turn back while it sleeps. Measured against the queue this
//! replaced (`Mutex<VecDeque>` + `Notify` + a worker pool): see the README's benchmarks.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::runtime::Handle;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::dedupe::{Recent, Seen};
use super::{Sink, SinkError, Submitted};
use crate::delivery::Verified;
use crate::dispatch::{Dispatcher, Verdict};
use crate::handler::DispatchError;

/// The default sink: a bounded queue in memory and a pool of workers.
///
/// Capacity counts every accepted event until its handler is done or it is
/// dead-lettered, retries included, so a full sink answers 503 rather than growing.
/// A redelivery of an event that is queued, running or done within the dedupe TTL is
/// a duplicate; a redelivery of a dead-lettered event runs again.
///
/// ```
/// use std::time::Duration;
/// use webhook_core::MemorySink;
///
/// let sink = MemorySink::new().capacity(10_000).workers(8).dedupe_ttl(Duration::from_secs(3600));
/// # let _ = sink;
/// ```
#[derive(Clone)]
pub struct MemorySink {
    inner: Arc<Inner>,
}

struct Inner {
    capacity: usize,
    workers: usize,
    /// The capacity: a permit per event accepted and not yet done or dead.
    slots: Arc<Semaphore>,
    /// The workers: a permit per handler running.
    turns: Semaphore,
    settled: Notify,
    /// How many `idle` calls are waiting on `settled`: `finish` notifies only then.
    idlers: AtomicUsize,
    /// Set when shutdown's deadline passed: no further attempt starts.
    stopped: AtomicBool,
    recent: Mutex<Recent>,
    dead: Mutex<Vec<DeadLetter>>,
    next_dead_id: AtomicU64,
    /// True while new work is taken. `accept` holds it for reading until its job is
    /// spawned, so `shutdown`, which takes it for writing, never closes in the middle
    /// of an acceptance and then drains without it.
    intake: RwLock<bool>,
    /// What runs the jobs, from `start`: the handlers, and the runtime to spawn on
    /// when a job is made outside one (a replay from a plain thread).
    started: OnceLock<(Dispatcher, Handle)>,
    /// Jobs made before `start`, spawned by it.
    early: Mutex<Vec<Job>>,
    depth: DepthGauge,
}

/// The `webhook_queue_depth` gauge, set at most once a millisecond (and always when the
/// sink empties) rather than twice per event: a registry lookup per set is measurable
/// at tens of thousands of events a second, and nobody scrapes faster.
struct DepthGauge {
    since: Instant,
    /// Milliseconds after `since` of the last set, and the depth it showed.
    set_at: AtomicU64,
    shown: AtomicUsize,
}

impl DepthGauge {
    fn new() -> Self {
        Self {
            since: Instant::now(),
            set_at: AtomicU64::new(u64::MAX),
            shown: AtomicUsize::new(0),
        }
    }

    fn show(&self, depth: usize) {
        let now = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX - 1);
        let stale = self.set_at.load(Ordering::Relaxed) != now;
        let emptied = depth == 0 && self.shown.load(Ordering::Relaxed) != 0;
        if stale || emptied {
            self.set_at.store(now, Ordering::Relaxed);
            self.shown.store(depth, Ordering::Relaxed);
            crate::metrics::queue_depth("memory", depth);
        }
    }
}

/// What a [`MemorySink`] is built from.
struct Config {
    capacity: usize,
    workers: usize,
    ttl: Duration,
    remembered: usize,
}

/// An accepted event until it is done or dead. However it ends, even dropped with its
/// runtime, its key is marked as it ended (`seen`: dead unless told otherwise, so a
/// redelivery of an event that never ran is taken again) and its slot is freed.
struct Job {
    inner: Arc<Inner>,
    delivery: Verified,
    attempt: u32,
    seen: Seen,
    slot: Option<OwnedSemaphorePermit>,
}

impl Drop for Job {
    fn drop(&mut self) {
        let inner = &self.inner;
        lock(&inner.recent).mark(self.delivery.dedupe_key(), self.seen, Instant::now());
        drop(self.slot.take());
        inner.depth.show(inner.in_flight());
        // Pairs with the fence in `idle`: either this sees its waiter, or it sees the
        // slot freed above.
        fence(Ordering::SeqCst);
        if inner.idlers.load(Ordering::SeqCst) > 0 {
            inner.settled.notify_waiters();
        }
    }
}

/// An event whose attempts ran out, or whose payload did not parse, kept with its raw
/// delivery so it can be replayed after a fix.
#[derive(Debug, Clone)]
pub struct DeadLetter {
    id: u64,
    delivery: Verified,
    error: DispatchError,
    attempts: u32,
    died_at: SystemTime,
}

impl DeadLetter {
    /// The dead letter's id, for [`MemorySink::replay`].
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The verified delivery, raw body included.
    pub fn delivery(&self) -> &Verified {
        &self.delivery
    }

    /// Why the last attempt failed.
    pub fn error(&self) -> &DispatchError {
        &self.error
    }

    /// Attempts made.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// When it was dead-lettered.
    pub fn died_at(&self) -> SystemTime {
        self.died_at
    }
}

impl Default for MemorySink {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for MemorySink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemorySink")
            .field("capacity", &self.inner.capacity)
            .field("workers", &self.inner.workers)
            .field("in_flight", &self.in_flight())
            .finish()
    }
}

impl MemorySink {
    /// A sink holding up to 1024 events, with 4 workers, and a 24 h dedupe TTL over at
    /// most the last million keys.
    pub fn new() -> Self {
        Self::build(Config {
            capacity: 1024,
            workers: 4,
            ttl: Duration::from_secs(24 * 3600),
            remembered: 1 << 20,
        })
    }

    fn build(config: Config) -> Self {
        let inner = Inner {
            capacity: config.capacity,
            workers: config.workers,
            slots: Arc::new(Semaphore::new(config.capacity)),
            turns: Semaphore::new(config.workers),
            settled: Notify::new(),
            idlers: AtomicUsize::new(0),
            stopped: AtomicBool::new(false),
            recent: Mutex::new(Recent::new(config.ttl, config.remembered)),
            dead: Mutex::new(Vec::new()),
            next_dead_id: AtomicU64::new(1),
            intake: RwLock::new(true),
            started: OnceLock::new(),
            early: Mutex::new(Vec::new()),
            depth: DepthGauge::new(),
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// How many events may be accepted and not yet finished (at least 1).
    #[must_use]
    pub fn capacity(self, capacity: usize) -> Self {
        self.reconfigure(|c| c.capacity = capacity.max(1))
    }

    /// How many handlers run at once (at least 1).
    #[must_use]
    pub fn workers(self, workers: usize) -> Self {
        self.reconfigure(|c| c.workers = workers.max(1))
    }

    /// How long a handled event's key is remembered to recognise redeliveries.
    #[must_use]
    pub fn dedupe_ttl(self, ttl: Duration) -> Self {
        self.reconfigure(|c| c.ttl = ttl)
    }

    /// The most handled events' keys remembered at once (at least 1; events queued or
    /// running are always remembered). Past it, the oldest are forgotten first, so that
    /// memory stays bounded however fast events come: a redelivery of a forgotten event
    /// runs again. A key takes about 100 bytes plus its length.
    #[must_use]
    pub fn dedupe_capacity(self, keys: usize) -> Self {
        self.reconfigure(|c| c.remembered = keys.max(1))
    }

    /// Setters rebuild the sink: it is configured before it is started.
    fn reconfigure(self, change: impl FnOnce(&mut Config)) -> Self {
        let (ttl, remembered) = {
            let recent = lock(&self.inner.recent);
            (recent.ttl(), recent.remembered())
        };
        let mut config = Config {
            capacity: self.inner.capacity,
            workers: self.inner.workers,
            ttl,
            remembered,
        };
        change(&mut config);
        Self::build(config)
    }

    /// Events accepted and not yet done or dead (queued, running or waiting to retry).
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight()
    }

    /// The dead letters, oldest first.
    pub fn dead_letters(&self) -> Vec<DeadLetter> {
        lock(&self.inner.dead).clone()
    }

    /// Runs dead letter `id` again from attempt 1. `Ok(false)` when there is no such
    /// dead letter.
    pub fn replay(&self, id: u64) -> Result<bool, SinkError> {
        let intake = self.inner.intake.read().unwrap_or_else(|e| e.into_inner());
        let slot = self.inner.slot(*intake)?;
        let letter = {
            let mut dead = lock(&self.inner.dead);
            let Some(index) = dead.iter().position(|letter| letter.id == id) else {
                return Ok(false);
            };
            dead.remove(index)
        };
        let key = letter.delivery.dedupe_key().to_owned();
        lock(&self.inner.recent).mark(&key, Seen::Pending, Instant::now());
        Inner::spawn(Job {
            inner: Arc::clone(&self.inner),
            delivery: letter.delivery,
            attempt: 1,
            seen: Seen::Dead,
            slot: Some(slot),
        });
        Ok(true)
    }
}

impl Inner {
    fn in_flight(&self) -> usize {
        self.capacity - self.slots.available_permits()
    }

    fn slot(&self, open: bool) -> Result<OwnedSemaphorePermit, SinkError> {
        if !open {
            return Err(SinkError::Closed);
        }
        self.slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| SinkError::Full)
    }

    fn accept(self: &Arc<Self>, delivery: Verified) -> Result<Submitted, SinkError> {
        let intake = self.intake.read().unwrap_or_else(|e| e.into_inner());
        // The slot is taken before the key is claimed, so a full sink leaves no trace
        // and the sender's retry is not mistaken for a duplicate.
        let slot = self.slot(*intake)?;
        if !lock(&self.recent).claim(delivery.dedupe_key(), Instant::now()) {
            return Ok(Submitted::Duplicate);
        }
        Self::spawn(Job {
            inner: Arc::clone(self),
            delivery,
            attempt: 1,
            seen: Seen::Dead,
            slot: Some(slot),
        });
        self.depth.show(self.in_flight());
        Ok(Submitted::Accepted)
    }

    /// Runs `job` as a task of its own: on the runtime at hand (where it was accepted,
    /// so it runs next on this thread), else on the one the sink started on; before
    /// `start`, it waits for it.
    fn spawn(job: Job) {
        let inner = Arc::clone(&job.inner);
        let started = match inner.started.get() {
            Some(started) => started,
            None => {
                // Checked again under the lock `start` drains under: the job is
                // either seen by it, or spawned here.
                let mut early = lock(&inner.early);
                match inner.started.get() {
                    Some(started) => started,
                    None => return early.push(job),
                }
            }
        };
        let (dispatcher, started_on) = started;
        let run = run(job, dispatcher.clone());
        match Handle::try_current() {
            Ok(here) => drop(here.spawn(run)),
            Err(_) => drop(started_on.spawn(run)),
        }
    }

    async fn idle(&self) {
        /// Counts this call among the waiters until it returns or is dropped.
        struct Waiting<'a>(&'a AtomicUsize);

        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }

        let _waiting = {
            self.idlers.fetch_add(1, Ordering::SeqCst);
            Waiting(&self.idlers)
        };
        loop {
            let settled = self.settled.notified();
            tokio::pin!(settled);
            settled.as_mut().enable();
            // Pairs with the fence in `finish` (see there).
            fence(Ordering::SeqCst);
            if self.slots.available_permits() == self.capacity {
                return;
            }
            settled.await;
        }
    }
}

/// A job's attempts: each waits for a turn (oldest first), runs the handler, and gives
/// the turn back; a retry sleeps without one. Ends done, dead-lettered, or abandoned
/// (dead) when shutdown's deadline passed before an attempt could start.
async fn run(mut job: Job, dispatcher: Dispatcher) {
    let inner = Arc::clone(&job.inner);
    loop {
        let Ok(turn) = inner.turns.acquire().await else {
            return;
        };
        if inner.stopped.load(Ordering::Acquire) {
            return;
        }
        let verdict = dispatcher.run(&job.delivery, job.attempt).await;
        drop(turn);
        match verdict {
            Verdict::Done => {
                job.seen = Seen::Done;
                return;
            }
            Verdict::Retry { after, .. } => {
                tokio::time::sleep(after).await;
                job.attempt += 1;
            }
            Verdict::Dead(error) => {
                let letter = DeadLetter {
                    id: inner.next_dead_id.fetch_add(1, Ordering::Relaxed),
                    delivery: job.delivery.clone(),
                    error,
                    attempts: job.attempt,
                    died_at: SystemTime::now(),
                };
                lock(&inner.dead).push(letter);
                return;
            }
        }
    }
}

impl Sink for MemorySink {
    /// Takes the handlers and the runtime at hand (must be called in one), and runs
    /// the jobs made before.
    fn start(&self, dispatcher: Dispatcher) {
        if self
            .inner
            .started
            .set((dispatcher, Handle::current()))
            .is_err()
        {
            tracing::warn!("MemorySink started twice: it serves one receiver");
            return;
        }
        let early = std::mem::take(&mut *lock(&self.inner.early));
        early.into_iter().for_each(Inner::spawn);
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        futures_util::future::ready(self.inner.accept(delivery)).boxed()
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        self.inner.idle().boxed()
    }

    /// Its workers run the handler on the delivery as submitted.
    fn uses_parsed_payloads(&self) -> bool {
        true
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        async move {
            *self.inner.intake.write().unwrap_or_else(|e| e.into_inner()) = false;
            if tokio::time::timeout(deadline, self.inner.idle())
                .await
                .is_err()
            {
                // No further attempt starts; handlers running now end with the runtime.
                self.inner.stopped.store(true, Ordering::Release);
                let abandoned = self.in_flight();
                tracing::error!(
                    abandoned,
                    "shutdown deadline passed with events unhandled (in-memory sink: they are lost)"
                );
            }
        }
        .boxed()
    }
}

/// Locks a mutex, recovering from poisoning: every critical section here leaves the
/// data consistent, so a panic elsewhere must not take the sink down.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
