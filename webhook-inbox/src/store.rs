//! `Store`: the queries a backend answers so that one worker pool serves both.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Notify;
use webhook_core::{Verdict, Verified};

use crate::error::InboxError;
#[cfg(doc)]
use crate::worker::row_owner;

/// How an attempt ended, as the row records it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// `done`.
    Done,
    /// `failed`, due again after `after`.
    Retry { after: Duration, error: String },
    /// `dead`.
    Dead(String),
}

impl From<Verdict> for Outcome {
    fn from(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Done => Self::Done,
            Verdict::Retry { after, error } => Self::Retry {
                after,
                error: error.to_string(),
            },
            Verdict::Dead(error) => Self::Dead(error.to_string()),
        }
    }
}

/// A row a claim took: leased to `owner` (an owner per row, so that recording its
/// outcome can never match another row), with the delivery to run, or why it cannot be
/// rebuilt.
#[derive(Debug)]
pub(crate) struct Claimed {
    pub(crate) id: i64,
    pub(crate) owner: String,
    /// The attempt this claim makes: 1 for the first.
    pub(crate) attempts: i64,
    pub(crate) delivery: Result<Verified, InboxError>,
}

/// What [`Store::settle_and_claim`] answers: one settle answer per attempt, in order,
/// and the claimed rows.
pub(crate) type SettledAndClaimed = (
    Vec<Result<bool, InboxError>>,
    Result<Vec<Claimed>, InboxError>,
);

/// The worker-side queries of a backend. Every change to a claimed row is fenced by
/// its lease owner: a worker whose lease was taken over changes nothing.
pub(crate) trait Store: Clone + Send + Sync + 'static {
    /// Claims up to `limit` of the oldest due rows (pending, failed and due, or running
    /// with an expired lease), each leased until `lease` from now to an owner of its
    /// own starting with `owner/` ([`row_owner`]`(owner, id)`, or for a row stored in
    /// the same commit and handed straight to the claim, another suffix), counting one
    /// more attempt. In no particular order.
    fn claim(
        &self,
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = Result<Vec<Claimed>, InboxError>> + Send;

    /// Extends `owner`'s lease on row `id`; false when the lease is no longer theirs.
    fn extend(
        &self,
        id: i64,
        owner: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Records how `owner`'s attempt at row `id` ended; false when the lease is no
    /// longer theirs.
    fn settle(
        &self,
        id: i64,
        owner: &str,
        outcome: &Outcome,
    ) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Records how each attempt of `settled` ended (row id, its row owner, outcome) as
    /// [`Store::settle`], then claims as [`Store::claim`]; each backend batches the
    /// settles its own way. One settle answer per attempt, in order.
    fn settle_and_claim(
        &self,
        settled: &[(i64, String, Outcome)],
        owner: &str,
        lease: Duration,
        limit: usize,
    ) -> impl Future<Output = SettledAndClaimed> + Send;

    /// Puts the running rows of every owner starting with `instance/` back to pending,
    /// not counting their abandoned attempt. Returns how many.
    fn release(&self, instance: &str) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Deletes done rows finished longer than `retention` ago. Returns how many.
    fn prune(&self, retention: Duration) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Rows still to be handled: pending, running or failed.
    fn outstanding(&self) -> impl Future<Output = Result<u64, InboxError>> + Send;

    /// Woken when rows may have become due (new, revived, replayed or released).
    fn wakeup(&self) -> &Notify;
}
