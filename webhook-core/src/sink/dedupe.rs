//! Recently seen dedupe keys, with a time to live, for the in-memory sink.
//!
//! Keys in progress (queued, running, waiting to retry) are kept apart from settled ones
//! (done or dead): the first are never forgotten, the second are forgotten oldest first,
//! in O(1) per key, when they expire or past the bound. Nothing ever walks the whole map
//! under the lock every submit takes.
//!
//! A large bound is split into [`Shards`] by key: a table that grows past a million
//! keys copies them all at once when it doubles (hundreds of milliseconds during which
//! every submit waits on its lock); shards of at most [`SHARD_KEYS`] keys each double
//! in a few milliseconds, and submits of other shards do not wait at all.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::BuildHasher;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The tables' hasher: foldhash, seeded at random per table. A key is hashed five or six
/// times per delivery (claim, then settle, and the tables' growth), and std's SipHash
/// made that a few thousand instructions of every delivery; foldhash does it in a
/// fraction. It is not SipHash's guard against crafted collisions, and needs not be:
/// only keys of deliveries whose signature verified reach these tables.
type Hasher = foldhash::fast::RandomState;

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

/// A settled key: how it ended, when, and its place in [`Recent::order`].
#[derive(Debug, Clone, Copy)]
struct Settled {
    seen: Seen,
    at: Instant,
    turn: u64,
}

/// The keys seen within the TTL: every key in progress, and at most `remembered` settled
/// (done or dead) ones.
#[derive(Debug)]
pub(crate) struct Recent {
    ttl: Duration,
    remembered: usize,
    pending: HashSet<Arc<str>, Hasher>,
    settled: HashMap<Arc<str>, Settled, Hasher>,
    /// Settled keys in the order they settled, oldest first, each with the turn it
    /// settled on. An entry whose turn is no longer its key's (the key was claimed or
    /// settled again since) is stale and skipped when it reaches the front.
    order: VecDeque<(Arc<str>, u64)>,
    next_turn: u64,
}

impl Recent {
    pub(crate) fn new(ttl: Duration, remembered: usize) -> Self {
        Self {
            ttl,
            remembered: remembered.max(1),
            pending: HashSet::default(),
            settled: HashMap::default(),
            order: VecDeque::new(),
            next_turn: 0,
        }
    }

    /// Claims `key` for new work: false when it is in progress, or done within the TTL.
    pub(crate) fn claim(&mut self, key: &str, now: Instant) -> bool {
        if self.pending.contains(key) {
            return false;
        }
        if let Some(settled) = self.settled.get(key) {
            let live = now.saturating_duration_since(settled.at) < self.ttl;
            if live && settled.seen == Seen::Done {
                return false;
            }
        }
        self.start(key);
        self.forget_old(now);
        true
    }

    /// Records where `key` stands now: in progress again (a replay), or settled.
    pub(crate) fn mark(&mut self, key: &str, seen: Seen, now: Instant) {
        match seen {
            Seen::Pending => self.start(key),
            Seen::Done | Seen::Dead => self.settle(key, seen, now),
        }
        self.forget_old(now);
    }

    /// Moves `key` to the keys in progress (its settled entry, if any, goes stale).
    fn start(&mut self, key: &str) {
        let key = match self.settled.remove_entry(key) {
            Some((key, _)) => key,
            None => Arc::from(key),
        };
        self.pending.insert(key);
    }

    fn settle(&mut self, key: &str, seen: Seen, at: Instant) {
        let key = match self.pending.take(key) {
            Some(key) => key,
            None => match self.settled.remove_entry(key) {
                Some((key, _)) => key,
                None => Arc::from(key),
            },
        };
        let turn = self.next_turn;
        self.next_turn += 1;
        self.order.push_back((Arc::clone(&key), turn));
        self.settled.insert(key, Settled { seen, at, turn });
    }

    /// Forgets, oldest first, the settled keys past the TTL or past the bound, and the
    /// stale entries in front of them: amortised O(1), since each entry is pushed once
    /// and popped once. Stale entries behind a live one (keys settled again and again
    /// while an older key is still remembered) are swept once they outnumber the live
    /// ones, after as many pushes as the sweep visits: still amortised O(1).
    fn forget_old(&mut self, now: Instant) {
        if self.order.len() > 2 * self.settled.len() + SWEEP_FLOOR {
            let settled = &self.settled;
            self.order
                .retain(|(key, turn)| settled.get(key).is_some_and(|s| s.turn == *turn));
        }
        while let Some((key, turn)) = self.order.front() {
            let current = self
                .settled
                .get(key)
                .filter(|settled| settled.turn == *turn);
            if let Some(settled) = current {
                let expired = now.saturating_duration_since(settled.at) >= self.ttl;
                if !expired && self.settled.len() <= self.remembered {
                    return;
                }
                self.settled.remove(key);
            }
            self.order.pop_front();
        }
    }

    /// Keys held: in progress, settled, and the settle-order entries (stale included).
    #[cfg(test)]
    fn sizes(&self) -> (usize, usize, usize) {
        (self.pending.len(), self.settled.len(), self.order.len())
    }
}

/// Stale settle-order entries tolerated before a sweep, whatever the number of live ones.
const SWEEP_FLOOR: usize = 1024;

/// The most settled keys a shard remembers before the bound is split further.
pub(crate) const SHARD_KEYS: usize = 16_384;

/// The most shards: past `MAX_SHARDS * SHARD_KEYS` keys, shards grow instead.
const MAX_SHARDS: usize = 64;

/// [`Recent`] split by key into shards, each behind its own lock, sharing the bound: a
/// bound of up to [`SHARD_KEYS`] keys is one shard (oldest forgotten first exactly);
/// above it, each shard forgets its own oldest first, which over many keys is the
/// oldest overall within a shard's share.
#[derive(Debug)]
pub(crate) struct Shards {
    shards: Box<[Mutex<Recent>]>,
    hasher: Hasher,
    ttl: Duration,
    remembered: usize,
}

impl Shards {
    pub(crate) fn new(ttl: Duration, remembered: usize) -> Self {
        let remembered = remembered.max(1);
        let count = remembered.div_ceil(SHARD_KEYS).clamp(1, MAX_SHARDS);
        let each = remembered.div_ceil(count);
        Self {
            shards: (0..count)
                .map(|_| Mutex::new(Recent::new(ttl, each)))
                .collect(),
            hasher: Hasher::default(),
            ttl,
            remembered,
        }
    }

    pub(crate) fn ttl(&self) -> Duration {
        self.ttl
    }

    pub(crate) fn remembered(&self) -> usize {
        self.remembered
    }

    /// How many shards the bound is split into.
    #[cfg(test)]
    fn count(&self) -> usize {
        self.shards.len()
    }

    /// See [`Recent::claim`].
    pub(crate) fn claim(&self, key: &str, now: Instant) -> bool {
        self.shard(key).claim(key, now)
    }

    /// See [`Recent::mark`].
    pub(crate) fn mark(&self, key: &str, seen: Seen, now: Instant) {
        self.shard(key).mark(key, seen, now);
    }

    /// The locked shard of `key` (recovering from poisoning: every change leaves a
    /// shard consistent).
    fn shard(&self, key: &str) -> MutexGuard<'_, Recent> {
        let at = if self.shards.len() == 1 {
            0
        } else {
            (self.hasher.hash_one(key) % self.shards.len() as u64) as usize
        };
        self.shards[at]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::{MAX_SHARDS, Recent, SHARD_KEYS, Seen, Shards};
    use std::time::{Duration, Instant};

    const HOUR: Duration = Duration::from_secs(3600);

    #[test]
    fn a_key_in_progress_or_done_is_a_duplicate_and_a_dead_one_runs_again() {
        let now = Instant::now();
        let mut recent = Recent::new(HOUR, 10);
        assert!(recent.claim("a", now));
        assert!(!recent.claim("a", now), "in progress");
        recent.mark("a", Seen::Done, now);
        assert!(!recent.claim("a", now), "done");
        assert!(recent.claim("b", now));
        recent.mark("b", Seen::Dead, now);
        assert!(recent.claim("b", now), "dead runs again");
        assert!(!recent.claim("b", now), "and is in progress again");
    }

    #[test]
    fn a_done_key_is_forgotten_after_the_ttl() {
        let now = Instant::now();
        let mut recent = Recent::new(HOUR, 10);
        assert!(recent.claim("a", now));
        recent.mark("a", Seen::Done, now);
        assert!(!recent.claim("a", now + HOUR - Duration::from_secs(1)));
        assert!(recent.claim("a", now + HOUR));
    }

    #[test]
    fn past_the_bound_the_oldest_settled_keys_go_first_and_keys_in_progress_stay() {
        let now = Instant::now();
        let mut recent = Recent::new(HOUR, 3);
        assert!(recent.claim("in progress", now));
        for (n, key) in ["k0", "k1", "k2", "k3", "k4"].into_iter().enumerate() {
            let at = now + Duration::from_millis(n as u64);
            assert!(recent.claim(key, at));
            recent.mark(key, Seen::Done, at);
        }
        let later = now + Duration::from_secs(1);
        assert!(
            recent.claim("k0", later) && recent.claim("k1", later),
            "forgotten"
        );
        assert!(!recent.claim("k4", later), "the newest is remembered");
        assert!(!recent.claim("in progress", later), "never forgotten");
    }

    #[test]
    fn memory_stays_bounded_over_many_keys_settled_again_and_again() {
        let now = Instant::now();
        let mut recent = Recent::new(HOUR, 100);
        // An old key stays remembered at the front while others churn behind it.
        assert!(recent.claim("old", now));
        recent.mark("old", Seen::Done, now);
        for n in 0..10_000u64 {
            let key = format!("k{}", n % 50);
            let at = now + Duration::from_millis(n);
            recent.claim(&key, at);
            recent.mark(&key, Seen::Dead, at);
        }
        let (pending, settled, order) = recent.sizes();
        assert_eq!((pending, settled), (0, 51));
        assert!(
            order <= 2 * 51 + 1024 + 1,
            "stale settle-order entries are swept: {order}"
        );
        assert!(
            !recent.claim("old", now + Duration::from_secs(11)),
            "still remembered"
        );
    }

    #[test]
    fn a_small_bound_is_one_shard_and_a_large_one_many_of_at_most_a_shards_keys() {
        assert_eq!(Shards::new(HOUR, 4).count(), 1);
        assert_eq!(Shards::new(HOUR, SHARD_KEYS).count(), 1);
        let default = Shards::new(HOUR, 1 << 20);
        assert_eq!(default.count(), MAX_SHARDS);
        assert_eq!(default.remembered(), 1 << 20);
        assert_eq!(Shards::new(HOUR, SHARD_KEYS * 3 + 1).count(), 4);
    }

    #[test]
    fn sharded_keys_dedupe_and_are_forgotten_past_the_shared_bound() {
        let now = Instant::now();
        let shards = Shards::new(HOUR, SHARD_KEYS * 4);
        assert!(shards.claim("a", now));
        assert!(!shards.claim("a", now), "in progress");
        shards.mark("a", Seen::Done, now);
        assert!(!shards.claim("a", now), "done");
        // Far past the bound: every shard forgets its oldest, "a" among them.
        for n in 0..SHARD_KEYS * 8 {
            let key = format!("k{n}");
            assert!(shards.claim(&key, now));
            shards.mark(&key, Seen::Done, now);
        }
        assert!(shards.claim("a", now), "forgotten past the bound");
        assert!(
            !shards.claim(&format!("k{}", SHARD_KEYS * 8 - 1), now),
            "the newest stays"
        );
    }
}
