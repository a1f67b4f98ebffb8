//! `State`: where a row stands in its life, `pending → running → done | failed → dead`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a stored delivery stands.
///
/// ```
/// use webhook_inbox::State;
///
/// assert_eq!("dead".parse::<State>().unwrap(), State::Dead);
/// assert_eq!(State::Failed.to_string(), "failed");
/// assert!("gone".parse::<State>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    /// Stored, waiting for a worker.
    Pending,
    /// Claimed by a worker whose lease has not run out.
    Running,
    /// Handled; kept for the retention period so late redeliveries stay duplicates.
    Done,
    /// The last attempt failed; due again at `retry_at`.
    Failed,
    /// No attempts left, or the payload does not parse: kept until replayed or purged.
    Dead,
}

impl State {
    /// Every state, in lifecycle order.
    pub const ALL: [State; 5] = [
        Self::Pending,
        Self::Running,
        Self::Done,
        Self::Failed,
        Self::Dead,
    ];

    /// The name stored in the database and printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Dead => "dead",
        }
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A state name that is not one of [`State::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown state `{0}`: expected one of `pending`, `running`, `done`, `failed`, `dead`")]
pub struct ParseStateError(String);

impl FromStr for State {
    type Err = ParseStateError;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == name)
            .ok_or_else(|| ParseStateError(name.to_owned()))
    }
}
