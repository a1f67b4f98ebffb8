//! A round: the jobs one transaction runs, grouped by kind in the order it runs them,
//! and how each is answered once the round is committed, or told it failed.

use std::sync::Arc;

use webhook_core::{SinkError, Submitted};

use super::queue::{ClaimJob, ExtendJob, Job, SettleJob, SubmitJob};
use crate::error::InboxError;
use crate::group_commit::SubmitResult;
use crate::store::Claimed;

/// A round's jobs, in the order its transaction runs them.
#[derive(Default)]
pub(super) struct Round {
    /// Settles first: a settle frees room for the round's deliveries, and a row settled
    /// here is never claimed again in the same round.
    pub(super) settles: Vec<SettleJob>,
    /// Then lease extensions.
    pub(super) extends: Vec<ExtendJob>,
    /// Then claims, which take the oldest due rows; what room they have left takes the
    /// round's new rows as they are stored.
    pub(super) claims: Vec<ClaimJob>,
    /// Deliveries last.
    pub(super) submits: Vec<SubmitJob>,
}

impl Round {
    /// `jobs` grouped by kind, each group in the order the jobs came.
    pub(super) fn of(jobs: impl IntoIterator<Item = Job>) -> Self {
        let mut round = Self::default();
        for job in jobs {
            match job {
                Job::Settle(settle) => round.settles.push(settle),
                Job::Extend(extend) => round.extends.push(extend),
                Job::Claim(claim) => round.claims.push(claim),
                Job::Submit(submit) => round.submits.push(submit),
            }
        }
        round
    }

    /// How many jobs the round holds.
    pub(super) fn len(&self) -> usize {
        self.settles.len() + self.extends.len() + self.claims.len() + self.submits.len()
    }

    /// Sends each job its reply from the committed round's `replies`.
    pub(super) fn answer(self, replies: Replies) {
        // A requester may have given up (its job's receiver was dropped).
        for (job, settled) in self.settles.into_iter().zip(replies.settled) {
            let _ = job.reply.send(Ok(settled));
        }
        for (job, extended) in self.extends.into_iter().zip(replies.extended) {
            let _ = job.reply.send(Ok(extended));
        }
        for (job, claimed) in self.claims.into_iter().zip(replies.claimed) {
            let _ = job.reply.send(Ok(claimed));
        }
        for (job, stored) in self.submits.into_iter().zip(replies.stored) {
            let _ = job.reply.send(stored);
        }
    }

    /// Tells each job that nothing it asked for happened: the round was rolled back
    /// with `error`.
    pub(super) fn fail(self, error: rusqlite::Error) {
        let error = Arc::new(error);
        let failed = || InboxError::Writer(Arc::clone(&error));
        for job in self.settles {
            let _ = job.reply.send(Err(failed()));
        }
        for job in self.extends {
            let _ = job.reply.send(Err(failed()));
        }
        for job in self.claims {
            let _ = job.reply.send(Err(failed()));
        }
        for job in self.submits {
            let _ = job
                .reply
                .send(Err(SinkError::Storage(failed().to_string())));
        }
    }
}

/// What each job of a committed round is answered, group by group as in [`Round`].
#[derive(Debug, Default)]
pub(super) struct Replies {
    /// Whether each settle's owner still held its row.
    pub(super) settled: Vec<bool>,
    /// Whether each extension's owner still held its row.
    pub(super) extended: Vec<bool>,
    /// Each claim's rows.
    pub(super) claimed: Vec<Vec<Claimed>>,
    /// Each delivery's answer.
    pub(super) stored: Vec<SubmitResult>,
}

impl Replies {
    /// Whether the round stored a row (new, or dead and revived) for the workers.
    pub(super) fn stored_rows(&self) -> bool {
        self.stored.contains(&Ok(Submitted::Accepted))
    }

    /// Whether the round handed rows to a claim.
    pub(super) fn handed_rows(&self) -> bool {
        self.claimed.iter().any(|rows| !rows.is_empty())
    }
}
