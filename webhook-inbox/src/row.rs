//! What the admin API returns: rows, one row in full, counts, and the list filter.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::attempt::Attempt;
use crate::error::InboxError;
use crate::state::State;
use crate::unix_ms::{serde_opt_time, serde_time};

/// One stored delivery, without its headers and body (what `list` returns).
///
/// Times serialize as milliseconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboxRow {
    /// The row's id, for [`Admin::get`](crate::Admin::get) and
    /// [`Admin::replay`](crate::Admin::replay).
    pub id: i64,
    /// The provider's name, e.g. `modem-pay`.
    pub provider: String,
    /// The event type, e.g. `charge.succeeded`.
    pub event_type: String,
    /// The key that identifies the event across redeliveries.
    pub dedupe_key: String,
    /// Where the row stands.
    pub state: State,
    /// Attempts started since the row was stored, revived or replayed.
    pub attempts: u32,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
    /// When the receiver verified the delivery.
    #[serde(with = "serde_time")]
    pub received_at: SystemTime,
    /// When the row last changed.
    #[serde(with = "serde_time")]
    pub updated_at: SystemTime,
    /// When a `failed` row is due again.
    #[serde(with = "serde_opt_time")]
    pub retry_at: Option<SystemTime>,
    /// The worker holding a `running` row.
    pub lease_owner: Option<String>,
    /// When that worker's lease runs out unless it is extended.
    #[serde(with = "serde_opt_time")]
    pub lease_expires_at: Option<SystemTime>,
    /// When the row became `done` or `dead`.
    #[serde(with = "serde_opt_time")]
    pub finished_at: Option<SystemTime>,
}

/// One stored delivery in full (what `get` returns).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct InboxEntry {
    /// The row's state and times.
    #[serde(flatten)]
    pub row: InboxRow,
    /// The headers as received, in order, as `(name, value)` pairs.
    pub headers: Vec<(String, String)>,
    /// The raw body as text (bytes that are not UTF-8 show as `U+FFFD`).
    pub body: String,
    /// Each attempt since the delivery was first stored, oldest first, across
    /// replays; attempts made before the inbox kept a timeline (schema version 2) are
    /// not in it.
    pub timeline: Vec<Attempt>,
}

/// How many rows are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Stats {
    /// Waiting for a worker.
    pub pending: u64,
    /// Claimed by a worker.
    pub running: u64,
    /// Handled.
    pub done: u64,
    /// Waiting to be retried.
    pub failed: u64,
    /// Dead letters.
    pub dead: u64,
}

impl Stats {
    /// The count for `state`.
    pub fn get(&self, state: State) -> u64 {
        match state {
            State::Pending => self.pending,
            State::Running => self.running,
            State::Done => self.done,
            State::Failed => self.failed,
            State::Dead => self.dead,
        }
    }

    /// The counts of `(state, count)` pairs, as the backends' `GROUP BY state` returns
    /// them.
    pub(crate) fn from_counts(counts: Vec<(String, i64)>) -> Result<Self, InboxError> {
        let mut stats = Self::default();
        for (state, count) in counts {
            let state = state
                .parse()
                .map_err(|error| InboxError::corrupt(0, error))?;
            stats.set(state, u64::try_from(count).unwrap_or(0));
        }
        Ok(stats)
    }

    fn set(&mut self, state: State, count: u64) {
        let slot = match state {
            State::Pending => &mut self.pending,
            State::Running => &mut self.running,
            State::Done => &mut self.done,
            State::Failed => &mut self.failed,
            State::Dead => &mut self.dead,
        };
        *slot = count;
    }

    /// Rows still to be handled: pending, running or failed.
    pub fn outstanding(&self) -> u64 {
        self.pending + self.running + self.failed
    }

    /// Every row.
    pub fn total(&self) -> u64 {
        self.outstanding() + self.done + self.dead
    }
}

/// Which rows [`Admin::list`](crate::Admin::list) returns, newest first.
///
/// ```
/// use webhook_inbox::{ListFilter, State};
///
/// let dead_charges = ListFilter::new().state(State::Dead).event_type("charge.succeeded").limit(20);
/// # let _ = dead_charges;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct ListFilter {
    pub(crate) state: Option<State>,
    pub(crate) event_type: Option<String>,
    pub(crate) limit: u32,
}

impl Default for ListFilter {
    fn default() -> Self {
        Self::new()
    }
}

impl ListFilter {
    /// Every row, at most 100.
    pub fn new() -> Self {
        Self {
            state: None,
            event_type: None,
            limit: 100,
        }
    }

    /// Only rows in `state`.
    pub fn state(mut self, state: State) -> Self {
        self.state = Some(state);
        self
    }

    /// Only rows of `event_type`.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// At most `limit` rows.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = limit;
        self
    }
}

/// What [`Admin::replay`](crate::Admin::replay) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Replay {
    /// The row is pending again, with its attempts reset.
    Replayed,
    /// No row has that id.
    NotFound,
    /// A worker is running it now; replay it after it ends.
    Running,
}
