//! Backlog accounting, as both backends keep it: the outstanding rows (pending, running,
//! failed) as last counted, kept current in between with what this process itself
//! changes, and the rule for when to count them again.
//!
//! Counting is a scan of the whole backlog, so counting on every round would make each
//! round slower the longer the backlog grows, which is when speed matters most. A count
//! stands for a while instead; near the capacity it stands less long, or not at all,
//! and a round stores its deliveries one by one, each checked against the capacity.

use std::time::{Duration, Instant};

use webhook_core::{SinkError, Submitted};

/// When a backend counts its backlog again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CountRule {
    /// How long a count stands while the backlog stays clear of the capacity.
    pub(crate) fresh: Duration,
    /// Where "near the capacity" begins: when the backlog with a round's deliveries is
    /// over the capacity divided by this.
    pub(crate) near_from_share: u64,
    /// How long a count stands near the capacity.
    pub(crate) fresh_near_capacity: Duration,
}

/// The outstanding rows as this process knows them.
#[derive(Debug, Clone)]
pub(crate) struct Backlog {
    rule: CountRule,
    counted_at: Option<Instant>,
    rows: u64,
}

impl Backlog {
    /// Not counted yet: the first round counts.
    pub(crate) fn new(rule: CountRule) -> Self {
        Self {
            rule,
            counted_at: None,
            rows: 0,
        }
    }

    /// Whether to count the table before storing `incoming` deliveries: the count is
    /// older than the rule lets it stand (there, or near the capacity).
    pub(crate) fn count_due(&self, incoming: u64, capacity: u64) -> bool {
        let stands = match self.near_capacity(incoming, capacity) {
            true => self.rule.fresh_near_capacity,
            false => self.rule.fresh,
        };
        self.counted_at.is_none_or(|at| at.elapsed() >= stands)
    }

    /// The table was counted just now.
    pub(crate) fn counted(&mut self, rows: u64) {
        self.rows = rows;
        self.counted_at = Some(Instant::now());
    }

    /// Counts again before the next round (what a failed round changed is unknown).
    /// (Postgres changes the backlog only after a commit.)
    #[cfg(feature = "sqlite")]
    pub(crate) fn forget(&mut self) {
        self.counted_at = None;
    }

    /// Whether `incoming` deliveries stay clear of the capacity, so that a round stores
    /// them together without checking each.
    pub(crate) fn has_room_for(&self, incoming: u64, capacity: u64) -> bool {
        !self.near_capacity(incoming, capacity)
    }

    /// Whether the capacity is reached: the next delivery is refused.
    pub(crate) fn is_full(&self, capacity: u64) -> bool {
        self.rows >= capacity
    }

    /// This process stored `rows` new outstanding rows.
    pub(crate) fn add(&mut self, rows: u64) {
        self.rows = self.rows.saturating_add(rows);
    }

    /// This process settled `rows` outstanding rows for good (done or dead). (On
    /// Postgres the workers settle on the pool, past the intake's backlog.)
    #[cfg(feature = "sqlite")]
    pub(crate) fn remove(&mut self, rows: u64) {
        self.rows = self.rows.saturating_sub(rows);
    }

    /// The outstanding rows as last counted, with this process's changes since.
    #[cfg(test)]
    pub(crate) fn rows(&self) -> u64 {
        self.rows
    }

    fn near_capacity(&self, incoming: u64, capacity: u64) -> bool {
        self.rows
            .saturating_add(incoming)
            .saturating_mul(self.rule.near_from_share)
            > capacity
    }
}

/// What a delivery is answered when the inbox is full: a live duplicate is still a
/// duplicate (there is nothing to store); a new event, or a dead one that the delivery
/// would revive, is refused. `state` is the event's row's, if it has one.
pub(crate) fn at_capacity(state: Option<&str>) -> Result<Submitted, SinkError> {
    match state {
        Some(state) if state != "dead" => Ok(Submitted::Duplicate),
        _ => Err(SinkError::Full),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: CountRule = CountRule {
        fresh: Duration::from_secs(60),
        near_from_share: 2,
        fresh_near_capacity: Duration::ZERO,
    };

    #[test]
    fn a_count_stands_while_clear_of_the_capacity_and_not_near_it() {
        let mut backlog = Backlog::new(RULE);
        assert!(backlog.count_due(1, 100), "never counted");
        backlog.counted(40);
        assert!(!backlog.count_due(10, 100) && backlog.has_room_for(10, 100));
        assert!(backlog.count_due(11, 100) && !backlog.has_room_for(11, 100));
        backlog.add(60);
        assert!(backlog.is_full(100) && backlog.rows() == 100);
        #[cfg(feature = "sqlite")]
        {
            backlog.remove(1);
            assert!(!backlog.is_full(100));
            backlog.forget();
            assert!(backlog.count_due(0, 1_000));
        }
    }

    #[test]
    fn a_full_inbox_still_recognises_live_duplicates() {
        assert_eq!(at_capacity(Some("done")), Ok(Submitted::Duplicate));
        assert_eq!(at_capacity(Some("dead")), Err(SinkError::Full));
        assert_eq!(at_capacity(None), Err(SinkError::Full));
    }
}
