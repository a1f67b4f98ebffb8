//! The writer's queue: the handle that puts jobs on it ([`WriterQueue`]), and the jobs,
//! each with where its answer goes.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use webhook_core::{SinkError, Verified};

use crate::error::InboxError;
use crate::group_commit::SubmitResult;
use crate::lease::{Claim, Settle};
use crate::record::NewRow;
use crate::store::Claimed;

/// A change for the writer to make in its next round.
pub(super) enum Job {
    Submit(SubmitJob),
    Claim(ClaimJob),
    Extend(ExtendJob),
    Settle(SettleJob),
}

/// Store a delivery (or recognise it as a duplicate).
pub(super) struct SubmitJob {
    pub(super) row: NewRow,
    /// The delivery itself, for a claim of the same round to run without reading it
    /// back; taken when it is handed over.
    pub(super) delivery: Option<Verified>,
    pub(super) reply: oneshot::Sender<SubmitResult>,
}

/// Take due rows for a claim.
pub(super) struct ClaimJob {
    pub(super) claim: Claim,
    pub(super) reply: oneshot::Sender<Result<Vec<Claimed>, InboxError>>,
}

/// Extend `owner`'s lease on row `id`.
pub(super) struct ExtendJob {
    pub(super) id: i64,
    pub(super) owner: String,
    pub(super) lease: Duration,
    pub(super) reply: oneshot::Sender<Result<bool, InboxError>>,
}

/// Record how an attempt ended.
pub(super) struct SettleJob {
    pub(super) settle: Settle,
    pub(super) reply: oneshot::Sender<Result<bool, InboxError>>,
}

/// The handle to the writer task; the task ends when every handle is dropped.
#[derive(Debug, Clone)]
pub(in crate::sqlite) struct WriterQueue {
    queue: mpsc::Sender<Job>,
}

impl WriterQueue {
    pub(super) fn new(queue: mpsc::Sender<Job>) -> Self {
        Self { queue }
    }

    /// Queues `delivery` and waits for its round's commit.
    pub(in crate::sqlite) async fn submit(&self, delivery: Verified) -> SubmitResult {
        let stopped = || SinkError::Storage(InboxError::WriterStopped.to_string());
        let (reply, answer) = oneshot::channel();
        let job = Job::Submit(SubmitJob {
            row: NewRow::of(&delivery),
            delivery: Some(delivery),
            reply,
        });
        self.queue.send(job).await.map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }

    /// Queues a claim; [`answer`] waits for it after its round's commit.
    pub(in crate::sqlite) async fn claim(
        &self,
        claim: &Claim,
    ) -> oneshot::Receiver<Result<Vec<Claimed>, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Claim(ClaimJob {
            claim: claim.clone(),
            reply,
        });
        // A closed queue drops `reply`: `answer` then reports the writer stopped.
        let _ = self.queue.send(job).await;
        answer
    }

    /// Queues a lease extension; [`answer`] waits for it after its round's commit.
    pub(in crate::sqlite) async fn extend(
        &self,
        id: i64,
        owner: &str,
        lease: Duration,
    ) -> oneshot::Receiver<Result<bool, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Extend(ExtendJob {
            id,
            owner: owner.to_owned(),
            lease,
            reply,
        });
        let _ = self.queue.send(job).await;
        answer
    }

    /// Queues a settle; [`answer`] waits for it after its round's commit.
    pub(in crate::sqlite) async fn settle(
        &self,
        settle: &Settle,
    ) -> oneshot::Receiver<Result<bool, InboxError>> {
        let (reply, answer) = oneshot::channel();
        let job = Job::Settle(SettleJob {
            settle: settle.clone(),
            reply,
        });
        let _ = self.queue.send(job).await;
        answer
    }
}

/// Waits for a queued job's answer.
pub(in crate::sqlite) async fn answer<T>(
    receiver: oneshot::Receiver<Result<T, InboxError>>,
) -> Result<T, InboxError> {
    receiver.await.unwrap_or(Err(InboxError::WriterStopped))
}
