//! The lease rule: whose a running row is, by name, and how its attempt is recorded.
//!
//! An inbox instance (one per open, named by the process id and a random part, hex
//! only) names each [`Claim`] its workers make `<instance>/<claim number>`, and each row
//! a claim takes gets an owner of its own under it, so that recording one row's outcome
//! can never match another row, nor a later claim of the same row:
//!
//! - `<claim>/<row id>` ([`row_owner`]) for a row the claim statement took; the
//!   statement writes it in SQL ([`row_owner_sql!`]);
//! - `<claim>/new<n>` ([`handed_owner`]) for the `n`th new row a SQLite round handed
//!   the claim as it was stored.
//!
//! Every change to a running row is fenced by its owner (`lease_owner = ..`), so a worker
//! whose lease was taken over changes nothing. At shutdown, the running rows of every
//! owner under the instance go back to pending ([`Instance::released`]).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use webhook_core::Verdict;

/// The inbox instance in this process, and the names of its claims.
#[derive(Debug)]
pub(crate) struct Instance {
    name: String,
    next_claim: AtomicU64,
}

impl Instance {
    /// A new instance: process id and a random part, hex only, so that no name is a
    /// `LIKE` pattern of its own and the release matches this instance's rows alone.
    pub(crate) fn new() -> Self {
        Self {
            name: format!("{:x}-{:08x}", std::process::id(), fastrand::u32(..)),
            next_claim: AtomicU64::new(1),
        }
    }

    /// The next claim's name, `<instance>/<claim number>`: unique per claim, so a worker
    /// can never mistake a row it claimed again for the claim it lost.
    pub(crate) fn next_claim(&self) -> String {
        let number = self.next_claim.fetch_add(1, Ordering::Relaxed);
        format!("{}/{number}", self.name)
    }

    /// The `LIKE` pattern of every owner under this instance (`<instance>/%`): the rows
    /// its claims hold, released at shutdown.
    pub(crate) fn released(&self) -> String {
        format!("{}/%", self.name)
    }
}

/// A claim a worker makes: its name, how long it leases the rows it takes, and how
/// many it takes at most.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Claim {
    /// `<instance>/<claim number>` ([`Instance::next_claim`]).
    pub(crate) name: String,
    pub(crate) lease: Duration,
    pub(crate) limit: usize,
}

/// The owner of row `id` taken by the claim statement for the claim named `claim`.
pub(crate) fn row_owner(claim: &str, id: i64) -> String {
    format!("{claim}/{id}")
}

/// [`row_owner`] in SQL, for a statement whose parameter `$claim` is the claim's name
/// and which sets the owner of each row it takes.
macro_rules! row_owner_sql {
    ($claim:literal) => {
        concat!($claim, " || '/' || CAST(id AS TEXT)")
    };
}

pub(crate) use row_owner_sql;

/// The owner of the `nth` (from 1) new row handed to the claim named `claim` as it was
/// stored: such a row has no id yet when its lease is written.
#[cfg(feature = "sqlite")]
pub(crate) fn handed_owner(claim: &str, nth: usize) -> String {
    format!("{claim}/new{nth}")
}

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

/// An attempt to record: how the attempt at row `id`, held by `owner`, ended. Recorded
/// only while `owner` still holds the row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Settle {
    pub(crate) id: i64,
    pub(crate) owner: String,
    pub(crate) outcome: Outcome,
    /// How long the handler ran (recorded in microseconds).
    pub(crate) took: Duration,
}

impl Settle {
    /// [`Settle::took`] as stored: whole microseconds, saturating.
    pub(crate) fn took_us(&self) -> i64 {
        i64::try_from(self.took.as_micros()).unwrap_or(i64::MAX)
    }

    /// Whether the attempt ended `done` (recorded many rows to a statement).
    pub(crate) fn is_done(&self) -> bool {
        self.outcome == Outcome::Done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owners_nest_under_their_claim_and_the_release_pattern_takes_them_all() {
        let instance = Instance::new();
        let claim = instance.next_claim();
        let pattern = instance.released();
        let prefix = pattern.strip_suffix('%').expect("a prefix pattern");
        assert!(claim.starts_with(prefix), "{claim} under {pattern}");
        assert_ne!(instance.next_claim(), claim, "claims are named once");
        assert_eq!(row_owner(&claim, 42), format!("{claim}/42"));
        #[cfg(feature = "sqlite")]
        assert_eq!(handed_owner(&claim, 3), format!("{claim}/new3"));
        assert!(
            !prefix.contains(['%', '_']),
            "the instance's name is no pattern"
        );
    }
}
