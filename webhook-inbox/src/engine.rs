//! `Engine`: a durable inbox over any backend's [`Store`]: admitting submits, starting
//! the workers and the pruner, `idle`, and a graceful `shutdown` that releases what it
//! abandons. It is the one [`Sink`] (and, in [`crate::admin`], the one [`RowAdmin`]) that
//! both backends' inbox types serve through.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use webhook_core::futures::future::{BoxFuture, join_all};
use webhook_core::{Dispatcher, Sink, SinkError, Submitted, Verified};

use crate::admin::RowAdmin;
use crate::config::InboxConfig;
use crate::lease::Instance;
use crate::pool_statements::PoolStatements;
use crate::store::Store;
use crate::worker::Worker;

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

impl<S: std::fmt::Debug> std::fmt::Debug for Engine<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Shared {
    instance: Arc<Instance>,
    started: AtomicBool,
    closed: AtomicBool,
    stop: watch::Sender<bool>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    background: Mutex<Vec<JoinHandle<()>>>,
}

impl<S: Store> Engine<S> {
    /// An engine over `store`, opened with `config` (which the store was opened with).
    pub(crate) fn new(store: S, config: InboxConfig) -> Self {
        let shared = Shared {
            instance: Arc::new(Instance::new()),
            started: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            stop: watch::channel(false).0,
            workers: Mutex::new(Vec::new()),
            background: Mutex::new(Vec::new()),
        };
        Self {
            store,
            config,
            shared: Arc::new(shared),
        }
    }

    /// The backend.
    pub(crate) fn store(&self) -> &S {
        &self.store
    }

    /// Runs `task` until shutdown.
    fn spawn_background(&self, task: impl Future<Output = ()> + Send + 'static) {
        lock(&self.shared.background).push(tokio::spawn(task));
    }
}

/// Both backends' sink.
impl<S: Store> Sink for Engine<S> {
    /// Starts the workers, the pruner and what wakes the workers for other processes'
    /// rows; nothing when already started, since an inbox serves one receiver.
    fn start(&self, dispatcher: Dispatcher) {
        if self.shared.started.swap(true, Ordering::AcqRel) {
            tracing::warn!("inbox started twice: it serves one receiver");
            return;
        }
        let mut workers = lock(&self.shared.workers);
        for _ in 0..self.config.workers {
            let worker = Worker {
                store: self.store.clone(),
                dispatcher: dispatcher.clone(),
                instance: Arc::clone(&self.shared.instance),
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
        if let Some(wake) = self.store.wake_on_others() {
            self.spawn_background(wake);
        }
    }

    /// Commits `delivery` through the store, unless shutdown has begun.
    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        Box::pin(async move {
            if self.shared.closed.load(Ordering::Acquire) {
                return Err(SinkError::Closed);
            }
            self.store.submit(delivery).await
        })
    }

    /// Resolves once no row is pending, running or failed.
    fn idle(&self) -> BoxFuture<'_, ()> {
        Box::pin(async move {
            loop {
                match self.store.pool().outstanding().await {
                    Ok(0) => return,
                    Ok(_) => {}
                    Err(error) => tracing::warn!(%error, "counting outstanding inbox rows failed"),
                }
                tokio::time::sleep(IDLE_POLL).await;
            }
        })
    }

    /// Stops claiming, lets running handlers finish within `deadline`, then abandons
    /// the rest: their rows go back to pending for the next start.
    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async move {
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
            let released = self.shared.instance.released();
            match self.store.pool().release(&released).await {
                Ok(0) => {}
                Ok(released) => tracing::warn!(
                    released,
                    "shutdown deadline passed: unfinished rows are pending again"
                ),
                Err(error) => {
                    tracing::error!(%error, "releasing unfinished rows failed: they run again after their lease")
                }
            }
        })
    }
}

/// Deletes done rows past `retention`, now and every `every`.
async fn prune<S: Store>(store: S, retention: Duration, every: Duration) {
    loop {
        match store.pool().prune(retention).await {
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

/// A durable inbox as its engine serves it: the receiver's side ([`Sink`]) and the
/// operator's row queries ([`RowAdmin`]).
pub(crate) trait Durable: Sink + RowAdmin {}

impl<T: Sink + RowAdmin> Durable for T {}

/// Implements [`Sink`] and [`Admin`](crate::Admin) for a public inbox type by handing every call to
/// what its inherent `fn durable(&self) -> &dyn Durable` returns: its [`Engine`] (or,
/// for [`crate::Inbox`], the engine of the backend it holds), whose implementations
/// serve both backends.
macro_rules! impl_sink_and_admin {
    ($inbox:ty) => {
        impl webhook_core::Sink for $inbox {
            fn start(&self, dispatcher: webhook_core::Dispatcher) {
                self.durable().start(dispatcher);
            }

            fn submit(
                &self,
                delivery: webhook_core::Verified,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<webhook_core::Submitted, webhook_core::SinkError>,
            > {
                self.durable().submit(delivery)
            }

            fn idle(&self) -> webhook_core::futures::future::BoxFuture<'_, ()> {
                self.durable().idle()
            }

            fn shutdown(
                &self,
                deadline: std::time::Duration,
            ) -> webhook_core::futures::future::BoxFuture<'_, ()> {
                self.durable().shutdown(deadline)
            }
        }

        impl $crate::admin::Admin for $inbox {
            fn stats(
                &self,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<$crate::row::Stats, $crate::error::InboxError>,
            > {
                self.durable().stats()
            }

            fn list(
                &self,
                filter: $crate::row::ListFilter,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<Vec<$crate::row::InboxRow>, $crate::error::InboxError>,
            > {
                self.durable().list(filter)
            }

            fn get(
                &self,
                id: i64,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<Option<$crate::row::InboxEntry>, $crate::error::InboxError>,
            > {
                self.durable().get(id)
            }

            fn replay(
                &self,
                id: i64,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<$crate::row::Replay, $crate::error::InboxError>,
            > {
                self.durable().replay(id)
            }

            fn replay_dead<'a>(
                &'a self,
                event_type: Option<&'a str>,
            ) -> webhook_core::futures::future::BoxFuture<
                'a,
                Result<u64, $crate::error::InboxError>,
            > {
                self.durable().replay_dead(event_type)
            }

            fn purge_done_before(
                &self,
                before: std::time::SystemTime,
            ) -> webhook_core::futures::future::BoxFuture<
                '_,
                Result<u64, $crate::error::InboxError>,
            > {
                self.durable().purge_done_before(before)
            }

            $crate::console_query::admin_console_methods!();
        }
    };
}

pub(crate) use impl_sink_and_admin;
