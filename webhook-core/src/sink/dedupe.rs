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

#[derive(Debug)]
pub(crate) struct Recent {
    ttl: Duration,
    entries: HashMap<String, (Seen, Instant)>,
    next_prune: usize,
}

impl Recent {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: HashMap::new(),
            next_prune: 1024,
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
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

    /// Forgets expired keys once the map has doubled since the last prune, so the
    /// cost stays amortised O(1) per claim.
    fn prune(&mut self, now: Instant) {
        if self.entries.len() < self.next_prune {
            return;
        }
        let ttl = self.ttl;
        self.entries.retain(|_, (seen, at)| {
            *seen == Seen::Pending || now.saturating_duration_since(*at) < ttl
        });
        self.next_prune = (self.entries.len() * 2).max(1024);
    }
}
