//! The worker loop: claim due rows, run their handlers while a heartbeat keeps the
//! leases, record the verdicts with the next claim.

use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::sync::futures::Notified;
use tokio::sync::watch;
use webhook_core::Dispatcher;
use webhook_core::futures::future::join_all;

use crate::error::InboxError;
use crate::lease::{Claim, Instance, Outcome, Settle};
use crate::store::{Claimed, Store};

/// A claim whose handlers took less than this each, on average, lets the worker's next
/// claim take twice as many rows (up to [`InboxConfig::claim_batch`]).
///
/// [`InboxConfig::claim_batch`]: crate::InboxConfig::claim_batch
const QUICK: Duration = Duration::from_millis(1);

/// One worker of an inbox.
pub(crate) struct Worker<S> {
    pub(crate) store: S,
    pub(crate) dispatcher: Dispatcher,
    /// Names the worker's claims.
    pub(crate) instance: Arc<Instance>,
    pub(crate) lease: Duration,
    pub(crate) poll_interval: Duration,
    pub(crate) claim_batch: usize,
}

impl<S: Store> Worker<S> {
    /// Claims and handles rows until `stop` turns true (or the inbox is dropped); a
    /// handler already running finishes first, and its verdict is recorded. Claimed
    /// rows not yet run then stay `running`, for the shutdown to release.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        // The last claim's attempts, recorded together with the next claim.
        let mut finished: Vec<Settle> = Vec::new();
        // How many rows the next claim may take.
        let mut limit = 1;
        loop {
            if *stop.borrow() {
                // All at once, so that a backend batching settles records them together.
                let settles = finished.iter().map(|settle| self.store.settle(settle));
                for (settle, settled) in finished.iter().zip(join_all(settles).await) {
                    report(settle.id, settled);
                }
                return;
            }
            // Registered before the claim, so a wake-up during it is not missed.
            let wakeup = self.store.wakeup().notified();
            tokio::pin!(wakeup);
            wakeup.as_mut().enable();
            let claim = Claim {
                name: self.instance.next_claim(),
                lease: self.lease,
                limit,
            };
            let claimed = if finished.is_empty() {
                self.store.claim(&claim).await
            } else {
                let (settled, claimed) = self.store.settle_and_claim(&finished, &claim).await;
                for (settle, settled) in finished.drain(..).zip(settled) {
                    report(settle.id, settled);
                }
                claimed
            };
            let going = match claimed {
                Ok(mut records) if !records.is_empty() => {
                    records.sort_by_key(|record| record.id);
                    let rows = u32::try_from(records.len()).unwrap_or(u32::MAX);
                    let started = Instant::now();
                    finished = self.handle_all(records, &stop).await;
                    limit = if started.elapsed() < QUICK.saturating_mul(rows) {
                        limit.saturating_mul(2).min(self.claim_batch)
                    } else {
                        1
                    };
                    true
                }
                Ok(_) => self.wait(wakeup, &mut stop).await,
                Err(error) => {
                    tracing::warn!(%error, "claiming inbox rows failed");
                    self.wait(wakeup, &mut stop).await
                }
            };
            if !going {
                return;
            }
        }
    }

    /// Waits for a wake-up, the poll interval or `stop`; false when the inbox is gone.
    async fn wait(&self, wakeup: Pin<&mut Notified<'_>>, stop: &mut watch::Receiver<bool>) -> bool {
        tokio::select! {
            () = wakeup => true,
            () = tokio::time::sleep(self.poll_interval) => true,
            changed = stop.changed() => changed.is_ok(),
        }
    }

    /// Runs the claimed rows' handlers one after another, oldest first, while one
    /// heartbeat keeps the lease of every row not yet finished. A row whose lease was
    /// taken over before its turn is skipped (its new owner runs it); once `stop`
    /// turns true no further row starts. Returns the outcomes to record.
    async fn handle_all(&self, records: Vec<Claimed>, stop: &watch::Receiver<bool>) -> Vec<Settle> {
        let held: Vec<Held> = records
            .iter()
            .map(|record| Held {
                id: record.id,
                owner: record.owner.clone(),
                lost: AtomicBool::new(false),
            })
            .collect();
        // The first row whose outcome is not known yet.
        let next = AtomicUsize::new(0);
        let work = async {
            let mut finished = Vec::with_capacity(held.len());
            for (at, (record, row)) in records.into_iter().zip(&held).enumerate() {
                if at > 0 && *stop.borrow() {
                    break;
                }
                if row.lost.load(Ordering::Relaxed) {
                    tracing::warn!(
                        id = row.id,
                        "lease taken over before the handler ran: skipped"
                    );
                } else {
                    let started = Instant::now();
                    let outcome = self.handle(record).await;
                    finished.push(Settle {
                        id: row.id,
                        owner: row.owner.clone(),
                        outcome,
                        took: started.elapsed(),
                    });
                }
                next.store(at + 1, Ordering::Relaxed);
            }
            finished
        };
        tokio::pin!(work);
        tokio::select! {
            biased;
            finished = &mut work => finished,
            never = self.heartbeat(&held, &next) => match never {},
        }
    }

    /// Runs the claimed row's handler; returns the outcome to record.
    async fn handle(&self, record: Claimed) -> Outcome {
        let (id, attempt) = (
            record.id,
            u32::try_from(record.attempts).unwrap_or(u32::MAX),
        );
        match record.delivery {
            Ok(delivery) => self.dispatcher.run(&delivery, attempt).await.into(),
            Err(error) => {
                tracing::error!(id, %error, "stored delivery cannot be rebuilt: dead-lettered");
                Outcome::Dead(error.to_string())
            }
        }
    }

    /// Every third of a lease, extends the lease of each held row from `next` on that
    /// is still ours; a handler whose lease is lost still runs to its end (its verdict
    /// is fenced out). Never returns: the caller drops it when the rows are done.
    async fn heartbeat(&self, held: &[Held], next: &AtomicUsize) -> Infallible {
        loop {
            tokio::time::sleep(self.lease / 3).await;
            let from = next.load(Ordering::Relaxed);
            for row in held.iter().skip(from) {
                if row.lost.load(Ordering::Relaxed) {
                    continue;
                }
                match self.store.extend(row.id, &row.owner, self.lease).await {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(id = row.id, "lease taken over while the row was held");
                        row.lost.store(true, Ordering::Relaxed);
                    }
                    Err(error) => {
                        tracing::warn!(id = row.id, %error, "extending the lease failed; trying again")
                    }
                }
            }
        }
    }
}

/// A claimed row while its worker holds it.
struct Held {
    id: i64,
    owner: String,
    /// Set when extending its lease found another owner.
    lost: AtomicBool,
}

/// Logs how recording an attempt went.
fn report(id: i64, settled: Result<bool, InboxError>) {
    match settled {
        Ok(true) => {}
        Ok(false) => tracing::warn!(
            id,
            "lease lost before the attempt ended: its new owner decides"
        ),
        Err(error) => {
            tracing::error!(id, %error, "recording the attempt failed: the row runs again after its lease")
        }
    }
}
