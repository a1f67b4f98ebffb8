//! `Engine`: the part of a durable inbox that is the same for every backend: starting
//! workers and the pruner, `idle`, and a graceful `shutdown` that releases what it
//! abandons.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use webhook_core::futures::future::join_all;
use webhook_core::{Dispatcher, SinkError};

use crate::config::InboxConfig;
use crate::store::Store;
use crate::worker::{Owners, Worker};

/// How often `idle` looks at the table.
const IDLE_POLL: Duration = Duration::from_millis(10);

/// Workers, pruner and lifecycle over a backend's [`Store`].
pub(crate) struct Engine<S> {
    store: S,
    config: InboxConfig,
    shared: Arc<Shared>,
}

impl<S: Clone> Clone for Engine<S> {
    fn clone(&self) -> Self {
        Self {
            store: self.store.clone(),
            config: self.config.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

struct Shared {
    owners: Arc<Owners>,
    started: AtomicBool,
    closed: AtomicBool,
    stop: watch::Sender<bool>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

impl<S: Store> Engine<S> {
    pub(crate) fn new(store: S) -> Self {
        let shared = Shared {
            owners: Arc::new(Owners::new()),
            started: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            stop: watch::channel(false).0,
            workers: Mutex::new(Vec::new()),
            background: Mutex::new(Vec::new()),
        };
        Self {
            store,
            config: InboxConfig::new(),
            shared: Arc::new(shared),
        }
    }

    pub(crate) fn with_config(mut self, config: InboxConfig) -> Self {
        self.config = config;
        self
    }

    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    pub(crate) fn config(&self) -> &InboxConfig {
        &self.config
    }

    /// `Err(Closed)` once shutdown has begun.
    pub(crate) fn admit(&self) -> Result<(), SinkError> {
        match self.shared.closed.load(Ordering::Acquire) {
            true => Err(SinkError::Closed),
            false => Ok(()),
        }
    }

    /// Starts the workers and the pruner; false (and nothing started) when already
    /// started, since an inbox serves one receiver.
    pub(crate) fn start(&self, dispatcher: Dispatcher) -> bool {
        if self.shared.started.swap(true, Ordering::AcqRel) {
            tracing::warn!("inbox started twice: it serves one receiver");
            return false;
        }
        let mut workers = lock(&self.shared.workers);
        for _ in 0..self.config.workers {
            let worker = Worker {
                store: self.store.clone(),
                dispatcher: dispatcher.clone(),
                owners: Arc::clone(&self.shared.owners),
                lease: self.config.lease,
                poll_interval: self.config.poll_interval,
                claim_batch: self.config.claim_batch,
            };
            workers.push(tokio::spawn(worker.run(self.shared.stop.subscribe())));
        }
        self.spawn_background(prune(
            self.store.clone(),
            self.config.retention,
            self.config.prune_interval,
        ));
        true
    }

    /// Runs `task` until shutdown.
    pub(crate) fn spawn_background(&self, task: impl Future<Output = ()> + Send + 'static) {
        lock(&self.shared.background).push(tokio::spawn(task));
    }

    /// Resolves once no row is pending, running or failed.
    pub(crate) async fn idle(&self) {
        loop {
            match self.store.outstanding().await {
                Ok(0) => return,
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "counting outstanding inbox rows failed"),
            }
            tokio::time::sleep(IDLE_POLL).await;
        }
    }

    /// Stops claiming, lets running handlers finish within `deadline`, then abandons
    /// the rest: their rows go back to pending for the next start.
    pub(crate) async fn shutdown(&self, deadline: Duration) {
        self.shared.closed.store(true, Ordering::Release);
        self.shared.stop.send_replace(true);
        for task in lock(&self.shared.background).drain(..) {
            task.abort();
        }
        let mut workers: Vec<_> = lock(&self.shared.workers).drain(..).collect();
        if tokio::time::timeout(deadline, join_all(workers.iter_mut()))
            .await
            .is_err()
        {
            workers.iter().for_each(JoinHandle::abort);
            join_all(workers).await;
        }
        match self.store.release(self.shared.owners.instance()).await {
            Ok(0) => {}
            Ok(released) => tracing::warn!(
                released,
                "shutdown deadline passed: unfinished rows are pending again"
            ),
            Err(error) => {
                tracing::error!(%error, "releasing unfinished rows failed: they run again after their lease")
            }
        }
    }
}

/// Deletes done rows past `retention`, now and every `every`.
async fn prune<S: Store>(store: S, retention: Duration, every: Duration) {
    loop {
        match store.prune(retention).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "pruned done inbox rows past retention"),
            Err(error) => tracing::warn!(%error, "pruning done inbox rows failed"),
        }
        tokio::time::sleep(every).await;
    }
}

/// Locks a mutex, recovering from poisoning: the guarded lists stay consistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
