//! The batching rule: what the writer takes as one round. Whatever is queued, up to
//! [`MAX_ROUND`] jobs; and while deliveries are arriving, a round with no delivery, or
//! fewer deliveries than settles, is held back (at most [`WORKERS_WAIT`]) for the
//! deliveries right behind it.
//!
//! Under intake, workers that finish quickly would otherwise commit a round (and fsync)
//! for their settles, between the rounds that store deliveries and ahead of them: a
//! round of settles taken with the first delivery that arrived keeps the deliveries
//! right behind it waiting for its commit, and then takes a commit of their own. Held
//! back, the settles and claims ride along with the deliveries' commit, and the pages
//! both change (the newest rows, the due index) are written once. Without intake (a
//! backlog draining) nothing is held back.

use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::queue::Job;
use crate::group_commit::ROUND;

/// The most jobs one round takes: its deliveries ([`ROUND`]) and as many of the
/// workers' settles, claims and lease extensions, which SQLite's writer runs too.
pub(super) const MAX_ROUND: usize = 2 * ROUND;

/// How long a round of worker jobs alone (claims, settles, lease extensions) waits for
/// deliveries to share its commit, while deliveries are arriving.
pub(super) const WORKERS_WAIT: Duration = Duration::from_millis(2);

/// Deliveries count as arriving for this long after the last one was taken.
const INTAKE_ACTIVE: Duration = Duration::from_millis(20);

/// Takes rounds off the queue, remembering when the last delivery came.
#[derive(Debug, Default)]
pub(super) struct Batching {
    last_submit: Option<Instant>,
}

impl Batching {
    /// The next round into `round` (empty): false once the queue is closed and drained.
    pub(super) async fn next(
        &mut self,
        jobs: &mut mpsc::Receiver<Job>,
        round: &mut Vec<Job>,
    ) -> bool {
        if jobs.recv_many(round, MAX_ROUND).await == 0 {
            return false;
        }
        if self
            .last_submit
            .is_some_and(|at| at.elapsed() < INTAKE_ACTIVE)
        {
            gather_submits(jobs, round).await;
        }
        if round.iter().any(|job| matches!(job, Job::Submit(_))) {
            self.last_submit = Some(Instant::now());
        }
        true
    }
}

/// Holds back `round` for up to [`WORKERS_WAIT`] while it has no submit, or fewer
/// submits than settles, until enough submits join it.
pub(super) async fn gather_submits(jobs: &mut mpsc::Receiver<Job>, round: &mut Vec<Job>) {
    let deadline = tokio::time::Instant::now() + WORKERS_WAIT;
    let mut tally = Tally::default();
    tally.add(round);
    while round.len() < MAX_ROUND && tally.short_of_submits() {
        let room = MAX_ROUND - round.len();
        let before = round.len();
        match tokio::time::timeout_at(deadline, jobs.recv_many(round, room)).await {
            Ok(0) | Err(_) => return,
            // Only the jobs just received are counted: the round is not walked again at
            // every wake-up.
            Ok(_) => tally.add(&round[before..]),
        }
    }
}

/// How many submits and settles a round being gathered holds.
#[derive(Debug, Default)]
struct Tally {
    submits: usize,
    settles: usize,
}

impl Tally {
    fn add(&mut self, jobs: &[Job]) {
        for job in jobs {
            match job {
                Job::Submit(_) => self.submits += 1,
                Job::Settle(_) => self.settles += 1,
                Job::Claim(_) | Job::Extend(_) => {}
            }
        }
    }

    /// True with no submit, or fewer submits than settles.
    fn short_of_submits(&self) -> bool {
        self.submits == 0 || self.submits < self.settles
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::test_jobs::{done, submit};
    use super::{WORKERS_WAIT, gather_submits};

    /// Under intake, a round of settles waits (at most `WORKERS_WAIT`) for as many
    /// deliveries as it has settles, so that one commit takes both; a round that has
    /// them goes at once.
    #[tokio::test(start_paused = true)]
    async fn a_round_of_settles_waits_for_as_many_deliveries_to_share_its_commit() {
        let (sender, mut requests) = tokio::sync::mpsc::channel(16);
        let started = tokio::time::Instant::now();
        let mut batch = vec![done(1), done(2), submit("a")];
        let late = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            let _ = sender.send(submit("b")).await;
            tokio::time::sleep(Duration::from_millis(5)).await;
            let _ = sender.send(submit("c")).await;
        });
        gather_submits(&mut requests, &mut batch).await;
        assert_eq!(batch.len(), 4, "the second delivery joined the round");
        assert_eq!(started.elapsed(), Duration::from_millis(1));

        let mut enough = vec![done(3), submit("d"), submit("e")];
        let before = tokio::time::Instant::now();
        gather_submits(&mut requests, &mut enough).await;
        assert_eq!((enough.len(), before.elapsed()), (3, Duration::ZERO));

        let mut short = vec![done(4), done(5), submit("f")];
        let before = tokio::time::Instant::now();
        gather_submits(&mut requests, &mut short).await;
        assert_eq!(
            before.elapsed(),
            WORKERS_WAIT,
            "held back no longer than the wait"
        );
        late.abort();
    }
}
