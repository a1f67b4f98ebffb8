//! A delivery's timeline: each attempt at it, with how it ended, its error and how long
//! the handler ran.
//!
//! A done attempt is the row itself (`attempts`, `last_attempt_us`, `finished_at`), so
//! that the hot path writes nothing more than a column; the schema's triggers keep the
//! other attempts (failed, dead, lost, and done ones a replay moved past) in
//! `webhook_inbox_attempt` (see migration 2).

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::error::InboxError;
use crate::row::InboxRow;
use crate::state::State;
use crate::unix_ms::{self, serde_time};

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AttemptOutcome {
    /// The handler succeeded.
    Done,
    /// The handler failed; the delivery was retried later.
    Failed,
    /// The handler failed for good (no attempts left, or the payload does not parse).
    Dead,
    /// The worker's lease ran out before the attempt ended (its process stopped or
    /// stalled), and another worker took the delivery over.
    Lost,
}

impl AttemptOutcome {
    /// The name stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Dead => "dead",
            Self::Lost => "lost",
        }
    }

    fn parse(name: &str) -> Option<Self> {
        [Self::Done, Self::Failed, Self::Dead, Self::Lost]
            .into_iter()
            .find(|outcome| outcome.as_str() == name)
    }
}

/// One attempt at a delivery, as [`InboxEntry::timeline`](crate::InboxEntry::timeline)
/// lists it.
///
/// Times serialize as milliseconds since the Unix epoch, the duration as microseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Attempt {
    /// Its number since the delivery was stored, revived or replayed (from 1).
    pub attempt: u32,
    /// How it ended.
    pub outcome: AttemptOutcome,
    /// Why it failed, if it did.
    pub error: Option<String>,
    /// How long the handler ran; `None` for a lost attempt, and for attempts recorded
    /// before the inbox kept durations.
    #[serde(with = "serde_opt_micros")]
    pub duration: Option<Duration>,
    /// When it ended (for a lost attempt: when its lease ran out).
    #[serde(with = "serde_time")]
    pub ended_at: SystemTime,
}

/// What a backend reads of a delivery's recorded attempts, in order: $1 the row's id.
pub(crate) const ATTEMPTS_OF_ROW: &str = "SELECT attempt, outcome, error, duration_us, ended_at \
     FROM webhook_inbox_attempt WHERE inbox_id = $1 ORDER BY id";

/// A row of `webhook_inbox_attempt`, as [`ATTEMPTS_OF_ROW`] reads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct AttemptRecord {
    attempt: i64,
    outcome: String,
    error: Option<String>,
    duration_us: Option<i64>,
    ended_at: i64,
}

/// The timeline of `row`: its recorded attempts, then, when it is done, the attempt
/// that made it so (its attempts, `last_attempt_us` and finish time).
pub(crate) fn timeline(
    row: &InboxRow,
    records: Vec<AttemptRecord>,
    last_attempt_us: Option<i64>,
) -> Result<Vec<Attempt>, InboxError> {
    let mut timeline = records
        .into_iter()
        .map(|record| {
            let outcome = AttemptOutcome::parse(&record.outcome).ok_or_else(|| {
                InboxError::corrupt(
                    row.id,
                    format!("unknown attempt outcome `{}`", record.outcome),
                )
            })?;
            Ok(Attempt {
                attempt: u32::try_from(record.attempt).unwrap_or(0),
                outcome,
                error: record.error,
                duration: record.duration_us.map(micros),
                ended_at: unix_ms::to_time(record.ended_at),
            })
        })
        .collect::<Result<Vec<_>, InboxError>>()?;
    if let (State::Done, Some(finished_at)) = (row.state, row.finished_at) {
        timeline.push(Attempt {
            attempt: row.attempts,
            outcome: AttemptOutcome::Done,
            error: None,
            duration: last_attempt_us.map(micros),
            ended_at: finished_at,
        });
    }
    Ok(timeline)
}

/// `us` microseconds (none below zero).
fn micros(us: i64) -> Duration {
    Duration::from_micros(u64::try_from(us).unwrap_or(0))
}

/// Serde for an `Option<Duration>` field as whole microseconds or `null`.
mod serde_opt_micros {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        duration: &Option<Duration>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match duration {
            Some(duration) => {
                serializer.serialize_some(&u64::try_from(duration.as_micros()).unwrap_or(u64::MAX))
            }
            None => serializer.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<Duration>, D::Error> {
        Option::<u64>::deserialize(deserializer).map(|us| us.map(Duration::from_micros))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Row 7 in `state` after `attempts`, finished at `finished_at` (epoch ms).
    fn row(state: State, attempts: u32, finished_at: Option<i64>) -> InboxRow {
        InboxRow {
            id: 7,
            provider: "modem-pay".to_owned(),
            event_type: "charge.succeeded".to_owned(),
            dedupe_key: "charge.succeeded:ch_1".to_owned(),
            state,
            attempts,
            last_error: None,
            received_at: unix_ms::to_time(0),
            updated_at: unix_ms::to_time(0),
            retry_at: None,
            lease_owner: None,
            lease_expires_at: None,
            finished_at: finished_at.map(unix_ms::to_time),
        }
    }

    fn record(attempt: i64, outcome: &str, duration_us: Option<i64>) -> AttemptRecord {
        AttemptRecord {
            attempt,
            outcome: outcome.to_owned(),
            error: Some("boom".to_owned()),
            duration_us,
            ended_at: 1_000 * attempt,
        }
    }

    #[test]
    fn a_done_row_ends_its_timeline_with_the_attempt_that_made_it_done() {
        let timeline = timeline(
            &row(State::Done, 3, Some(9_000)),
            vec![record(1, "failed", Some(1_500)), record(2, "lost", None)],
            Some(250),
        )
        .unwrap();
        let outcomes: Vec<_> = timeline.iter().map(|a| (a.attempt, a.outcome)).collect();
        assert_eq!(
            outcomes,
            [
                (1, AttemptOutcome::Failed),
                (2, AttemptOutcome::Lost),
                (3, AttemptOutcome::Done)
            ]
        );
        assert_eq!(timeline[0].duration, Some(Duration::from_micros(1_500)));
        assert_eq!(timeline[1].duration, None);
        assert_eq!(timeline[2].duration, Some(Duration::from_micros(250)));
        assert_eq!(timeline[2].ended_at, unix_ms::to_time(9_000));
        let json = serde_json::to_value(&timeline[0]).unwrap();
        assert_eq!(json["duration"], 1_500);
        assert_eq!(json["outcome"], "failed");
    }

    #[test]
    fn a_row_not_done_shows_only_what_was_recorded() {
        let timeline = timeline(
            &row(State::Failed, 1, None),
            vec![record(1, "failed", Some(10))],
            Some(10),
        )
        .unwrap();
        assert_eq!(timeline.len(), 1);
    }

    #[test]
    fn an_unknown_outcome_is_a_corrupt_row_not_a_panic() {
        let error = timeline(
            &row(State::Dead, 1, None),
            vec![record(1, "exploded", None)],
            None,
        )
        .unwrap_err();
        assert!(error.to_string().contains("exploded"), "{error}");
    }
}
