//! `Store`: the whole contract a backend fulfils, so that one engine (the workers, the
//! pruner, and the `Sink` and `Admin` implementations) serves both.

use std::future::Future;
use std::time::Duration;

use tokio::sync::Notify;
use webhook_core::Verified;

use crate::error::InboxError;
use crate::group_commit::SubmitResult;
use crate::lease::{Claim, Settle};
#[cfg(doc)]
use crate::lease::{handed_owner, row_owner};
use crate::pool_statements::PoolStatements;

/// A row a claim took: leased to `owner` (an owner per row, see [`crate::lease`]), with
/// the delivery to run, or why it cannot be rebuilt.
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

/// A backend: it stores deliveries, leases due rows to workers and records their
/// verdicts, and runs the statements both backends share on its pool. Every change to
/// a claimed row is fenced by its lease owner: a worker whose lease was taken over
/// changes nothing. The configuration a backend needs (the capacity, the poll interval)
/// is given when it is opened.
pub(crate) trait Store: Clone + Send + Sync + 'static {
    /// The connection pool, which runs the statements both backends share.
    type Pool: PoolStatements + Send + Sync;

    /// The pool.
    fn pool(&self) -> &Self::Pool;

    /// Commits `delivery` as a new row, or recognises it as a duplicate, before
    /// answering; refuses it when the inbox is full ([`crate::backlog`]) or the
    /// database fails.
    fn submit(&self, delivery: Verified) -> impl Future<Output = SubmitResult> + Send;

    /// Takes up to the claim's limit of the oldest due rows (pending, failed and due, or
    /// running with an expired lease), each leased until the claim's lease from now to
    /// an owner of its own under the claim's name ([`row_owner`], or [`handed_owner`]
    /// for a row stored in the same commit and handed straight to the claim), counting
    /// one more attempt. In no particular order.
    fn claim(&self, claim: &Claim)
    -> impl Future<Output = Result<Vec<Claimed>, InboxError>> + Send;

    /// Extends `owner`'s lease on row `id`; false when the lease is no longer theirs.
    fn extend(
        &self,
        id: i64,
        owner: &str,
        lease: Duration,
    ) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Records how an attempt ended; false when the lease is no longer its owner's.
    fn settle(&self, settle: &Settle) -> impl Future<Output = Result<bool, InboxError>> + Send;

    /// Records each of `settles` as [`Store::settle`], then claims as [`Store::claim`];
    /// each backend batches the settles its own way. One settle answer per attempt, in
    /// order.
    fn settle_and_claim(
        &self,
        settles: &[Settle],
        claim: &Claim,
    ) -> impl Future<Output = SettledAndClaimed> + Send;

    /// Woken when rows may have become due (new, revived, replayed or released).
    fn wakeup(&self) -> &Notify;

    /// What wakes this process's workers for rows that other processes make due, run
    /// from the start to the shutdown; `None` when nothing does and the workers find
    /// such rows by polling.
    fn wake_on_others(&self) -> Option<impl Future<Output = ()> + Send + 'static>;
}
