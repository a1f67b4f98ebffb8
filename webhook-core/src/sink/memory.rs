//! `MemorySink`: a bounded in-memory queue and a worker pool on the current tokio
//! runtime. Fast; an acknowledged event dies with the process (use a durable inbox
//! from `webhook-inbox` where that matters).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};
use std::time::{Duration, Instant, SystemTime};

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinHandle;

use super::dedupe::{Seen, Shards};
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
    slots: Arc<Semaphore>,
    settled: Notify,
    /// How many `idle` calls are waiting on `settled`: `finish` notifies only then.
    idlers: AtomicUsize,
    /// Jobs waiting for a worker, oldest first; `queued` wakes one idle worker per job.
    queue: Mutex<VecDeque<Job>>,
    queued: Notify,
    /// False once the workers are gone (the sink shut down or its runtime stopped).
    serving: AtomicBool,
    /// Workers alive; the last one to go turns `serving` off.
    live: AtomicUsize,
    recent: Shards,
    dead: Mutex<Vec<DeadLetter>>,
    next_dead_id: AtomicU64,
    /// True while new work is taken. `accept` holds it for reading until its job is
    /// queued, so `shutdown`, which takes it for writing, never closes in the middle
    /// of an acceptance and then drains without it.
    intake: RwLock<bool>,
    running: Mutex<Vec<JoinHandle<()>>>,
    dispatcher: OnceLock<Dispatcher>,
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

struct Job {
    delivery: Verified,
    attempt: u32,
    _slot: OwnedSemaphorePermit,
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
            settled: Notify::new(),
            idlers: AtomicUsize::new(0),
            queue: Mutex::new(VecDeque::new()),
            queued: Notify::new(),
            serving: AtomicBool::new(true),
            live: AtomicUsize::new(0),
            recent: Shards::new(config.ttl, config.remembered),
            dead: Mutex::new(Vec::new()),
            next_dead_id: AtomicU64::new(1),
            intake: RwLock::new(true),
            running: Mutex::new(Vec::new()),
            dispatcher: OnceLock::new(),
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
    /// runs again. A key takes about 100 bytes plus its length. Above 16,384 keys the
    /// bound is split by key into up to 64 shards, each forgetting its own oldest first,
    /// so that no table grows past a few thousand keys at once: its growth never stalls
    /// acknowledgements for long.
    #[must_use]
    pub fn dedupe_capacity(self, keys: usize) -> Self {
        self.reconfigure(|c| c.remembered = keys.max(1))
    }

    /// Setters rebuild the sink: it is configured before it is started.
    fn reconfigure(self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config {
            capacity: self.inner.capacity,
            workers: self.inner.workers,
            ttl: self.inner.recent.ttl(),
            remembered: self.inner.recent.remembered(),
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
        self.inner.recent.mark(&key, Seen::Pending, Instant::now());
        self.inner.enqueue(Job {
            delivery: letter.delivery,
            attempt: 1,
            _slot: slot,
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

    fn accept(&self, delivery: Verified) -> Result<Submitted, SinkError> {
        let intake = self.intake.read().unwrap_or_else(|e| e.into_inner());
        // The slot is taken before the key is claimed, so a full sink leaves no trace
        // and the sender's retry is not mistaken for a duplicate.
        let slot = self.slot(*intake)?;
        if !self.recent.claim(delivery.dedupe_key(), Instant::now()) {
            return Ok(Submitted::Duplicate);
        }
        self.enqueue(Job {
            delivery,
            attempt: 1,
            _slot: slot,
        });
        self.depth.show(self.in_flight());
        Ok(Submitted::Accepted)
    }

    fn enqueue(&self, job: Job) {
        lock(&self.queue).push_back(job);
        // Read after the push: either the last worker's drain (after it turned
        // `serving` off) takes this job, or this sees `serving` off and drains itself.
        if self.serving.load(Ordering::Acquire) {
            self.queued.notify_one();
        } else {
            self.release_queued();
        }
    }

    /// Lets go of every waiting job as dead, so that redeliveries of them run again:
    /// for when no worker is left to run them.
    fn release_queued(&self) {
        while let Some(job) = self.next_job() {
            self.finish(job, Seen::Dead);
        }
    }

    /// The oldest waiting job, if any.
    fn next_job(&self) -> Option<Job> {
        lock(&self.queue).pop_front()
    }

    async fn run(self: &Arc<Self>, job: Job, dispatcher: &Dispatcher) {
        match dispatcher.run(&job.delivery, job.attempt).await {
            Verdict::Done => self.finish(job, Seen::Done),
            Verdict::Retry { after, .. } => self.retry_later(job, after),
            Verdict::Dead(error) => self.bury(job, error),
        }
    }

    fn retry_later(self: &Arc<Self>, job: Job, after: Duration) {
        let inner = Arc::clone(self);
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            inner.enqueue(Job {
                attempt: job.attempt + 1,
                ..job
            });
        });
    }

    fn bury(&self, job: Job, error: DispatchError) {
        let letter = DeadLetter {
            id: self.next_dead_id.fetch_add(1, Ordering::Relaxed),
            delivery: job.delivery.clone(),
            error,
            attempts: job.attempt,
            died_at: SystemTime::now(),
        };
        lock(&self.dead).push(letter);
        self.finish(job, Seen::Dead);
    }

    /// Records how `job` ended and frees its slot before waking `idle` waiters.
    fn finish(&self, job: Job, seen: Seen) {
        self.recent
            .mark(job.delivery.dedupe_key(), seen, Instant::now());
        drop(job);
        self.depth.show(self.in_flight());
        // Pairs with the fence in `idle`: either this sees its waiter, or it sees the
        // slot freed above.
        fence(Ordering::SeqCst);
        if self.idlers.load(Ordering::SeqCst) > 0 {
            self.settled.notify_waiters();
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

/// One worker: runs waiting jobs until none is left, then waits for the next. A busy
/// worker takes the next job without waking anyone; an idle one is woken per job.
async fn work(inner: Arc<Inner>) {
    let _alive = Alive::new(&inner);
    let dispatcher = inner
        .dispatcher
        .get()
        .expect("started with a dispatcher")
        .clone();
    loop {
        while let Some(job) = inner.next_job() {
            inner.run(job, &dispatcher).await;
        }
        // A job queued since `next_job` left a permit here: it is not missed.
        inner.queued.notified().await;
    }
}

/// Counts a worker among the living while its task exists (it is dropped when aborted or
/// when its runtime shuts down). When the last goes, the jobs still waiting are let go as
/// dead, so that redeliveries of them run again rather than count as duplicates.
struct Alive(Arc<Inner>);

impl Alive {
    fn new(inner: &Arc<Inner>) -> Self {
        inner.live.fetch_add(1, Ordering::AcqRel);
        Self(Arc::clone(inner))
    }
}

impl Drop for Alive {
    fn drop(&mut self) {
        if self.0.live.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.serving.store(false, Ordering::Release);
            self.0.release_queued();
        }
    }
}

impl Sink for MemorySink {
    fn start(&self, dispatcher: Dispatcher) {
        if self.inner.dispatcher.set(dispatcher).is_err() {
            tracing::warn!("MemorySink started twice: it serves one receiver");
            return;
        }
        let mut running = lock(&self.inner.running);
        for _ in 0..self.inner.workers {
            running.push(tokio::spawn(work(Arc::clone(&self.inner))));
        }
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
                let abandoned = self.in_flight();
                tracing::error!(
                    abandoned,
                    "shutdown deadline passed with events unhandled (in-memory sink: they are lost)"
                );
            }
            for worker in lock(&self.inner.running).drain(..) {
                worker.abort();
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
