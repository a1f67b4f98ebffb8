//! The worker loop: claim a due row, run its handler while a heartbeat keeps the
//! lease, record the verdict.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::futures::Notified;
use tokio::sync::watch;
use webhook_core::{Dispatcher, Verdict, Verified};

use crate::record::DeliveryRecord;
use crate::store::{Outcome, Store};

/// Lease owner names: `<instance>/<claim number>`, unique per claim so a worker can
/// never mistake a row it claimed again for the claim it lost.
#[derive(Debug)]
pub(crate) struct Owners {
    instance: String,
    next: AtomicU64,
}

impl Owners {
    /// Names for a new inbox instance: process id and a random part, hex only (the
    /// release query matches on the prefix).
    pub(crate) fn new() -> Self {
        let instance = format!("{:x}-{:08x}", std::process::id(), fastrand::u32(..));
        Self {
            instance,
            next: AtomicU64::new(1),
        }
    }

    pub(crate) fn instance(&self) -> &str {
        &self.instance
    }

    fn next(&self) -> String {
        format!(
            "{}/{}",
            self.instance,
            self.next.fetch_add(1, Ordering::Relaxed)
        )
    }
}

/// One worker of an inbox.
pub(crate) struct Worker<S> {
    pub(crate) store: S,
    pub(crate) dispatcher: Dispatcher,
    pub(crate) owners: Arc<Owners>,
    pub(crate) lease: Duration,
    pub(crate) poll_interval: Duration,
}

impl<S: Store> Worker<S> {
    /// Claims and handles rows until `stop` turns true (or the inbox is dropped); a
    /// handler already running finishes first, and its verdict is recorded.
    pub(crate) async fn run(self, mut stop: watch::Receiver<bool>) {
        // The last attempt, recorded together with the next claim.
        let mut finished: Option<(i64, String, Outcome)> = None;
        loop {
            if *stop.borrow() {
                if let Some((id, owner, outcome)) = finished {
                    report(id, self.store.settle(id, &owner, &outcome).await);
                }
                return;
            }
            // Registered before the claim, so a wake-up during it is not missed.
            let wakeup = self.store.wakeup().notified();
            tokio::pin!(wakeup);
            wakeup.as_mut().enable();
            let owner = self.owners.next();
            let claimed = match finished.take() {
                Some((id, settled_owner, outcome)) => {
                    let (settled, claimed) = self
                        .store
                        .settle_and_claim((id, &settled_owner, &outcome), &owner, self.lease)
                        .await;
                    report(id, settled);
                    claimed
                }
                None => self.store.claim(&owner, self.lease).await,
            };
            let going = match claimed {
                Ok(Some(record)) => {
                    let (id, outcome) = self.handle(record, &owner).await;
                    finished = Some((id, owner, outcome));
                    true
                }
                Ok(None) => self.wait(wakeup, &mut stop).await,
                Err(error) => {
                    tracing::warn!(%error, "claiming an inbox row failed");
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

    /// Runs the claimed row's handler; returns the outcome to record.
    async fn handle(&self, record: DeliveryRecord, owner: &str) -> (i64, Outcome) {
        let id = record.id;
        let attempt = u32::try_from(record.attempts).unwrap_or(u32::MAX);
        let outcome = match record.restore() {
            Ok(delivery) => self.attempt(&delivery, attempt, id, owner).await.into(),
            Err(error) => {
                tracing::error!(id, %error, "stored delivery cannot be rebuilt: dead-lettered");
                Outcome::Dead(error.to_string())
            }
        };
        (id, outcome)
    }

    /// Runs the handler; the heartbeat only ends when the lease is lost, and the
    /// handler is still awaited then (its verdict will be fenced out).
    async fn attempt(&self, delivery: &Verified, attempt: u32, id: i64, owner: &str) -> Verdict {
        let run = self.dispatcher.run(delivery, attempt);
        tokio::pin!(run);
        tokio::select! {
            biased;
            verdict = &mut run => verdict,
            () = self.heartbeat(id, owner) => run.await,
        }
    }

    async fn heartbeat(&self, id: i64, owner: &str) {
        loop {
            tokio::time::sleep(self.lease / 3).await;
            match self.store.extend(id, owner, self.lease).await {
                Ok(true) => {}
                Ok(false) => {
                    tracing::warn!(id, "lease taken over while the handler runs");
                    return;
                }
                Err(error) => {
                    tracing::warn!(id, %error, "extending the lease failed; trying again")
                }
            }
        }
    }
}

/// Logs how recording an attempt went.
fn report(id: i64, settled: Result<bool, crate::error::InboxError>) {
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
