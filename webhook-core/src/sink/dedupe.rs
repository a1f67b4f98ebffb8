//! Recently seen dedupe keys, with a time to live, for the in-memory sink.

use std::collections::HashMap;
use std::time::{Duration, Instant};

/// Where a seen event stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Queued or running.
    Pending,
    /// Handled.
    Done,
    /// Dead-lettered: a redelivery must run again.
    Dead,
}

/// The keys seen within the TTL, at most `remembered` of them settled (done or dead).
#[derive(Debug)]
pub(crate) struct Recent {
    ttl: Duration,
    remembered: usize,
    entries: HashMap<String, (Seen, Instant)>,
    next_prune: usize,
}

impl Recent {
    pub(crate) fn new(ttl: Duration, remembered: usize) -> Self {
        let remembered = remembered.max(1);
        Self {
            ttl,
            remembered,
            entries: HashMap::new(),
            next_prune: PRUNE_FLOOR.min(remembered + 1),
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn remembered(&self) -> usize {
        self.remembered
    }

    /// Claims `key` for new work: false when it is pending or done within the TTL.
    pub(crate) fn claim(&mut self, key: &str, now: Instant) -> bool {
        if let Some((seen, at)) = self.entries.get_mut(key) {
            let live = now.saturating_duration_since(*at) < self.ttl;
            if live && *seen != Seen::Dead {
                return false;
            }
            *seen = Seen::Pending;
            *at = now;
        } else {
            self.entries.insert(key.to_owned(), (Seen::Pending, now));
        }
        self.prune(now);
        true
    }

    pub(crate) fn mark(&mut self, key: &str, seen: Seen, now: Instant) {
        match self.entries.get_mut(key) {
            Some(entry) => *entry = (seen, now),
            None => {
                self.entries.insert(key.to_owned(), (seen, now));
            }
        }
    }

    /// Forgets expired keys once the map has doubled since the last prune (or reached
    /// its bound), and then, past the bound, the oldest settled keys until half of it is
    /// free: the cost stays amortised O(1) per claim.
    fn prune(&mut self, now: Instant) {
        if self.entries.len() < self.next_prune {
            return;
        }
        let ttl = self.ttl;
        self.entries.retain(|_, (seen, at)| {
            *seen == Seen::Pending || now.saturating_duration_since(*at) < ttl
        });
        if self.entries.len() > self.remembered {
            let mut settled: Vec<Instant> = self
                .entries
                .values()
                .filter(|(seen, _)| *seen != Seen::Pending)
                .map(|(_, at)| *at)
                .collect();
            let forget = settled.len().saturating_sub(self.remembered / 2);
            if forget > 0 {
                let (_, cutoff, _) = settled.select_nth_unstable(forget - 1);
                let cutoff = *cutoff;
                self.entries
                    .retain(|_, (seen, at)| *seen == Seen::Pending || *at > cutoff);
            }
        }
        self.next_prune = (self.entries.len() * 2)
            .clamp(PRUNE_FLOOR.min(self.remembered + 1), self.remembered + 1);
    }
}

/// The size below which the map is never pruned (unless its bound is smaller).
const PRUNE_FLOOR: usize = 1024;
