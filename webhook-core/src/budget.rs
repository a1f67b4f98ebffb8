//! `Budget`: the receiver-wide cap on body bytes held by requests being read and
//! decided, so many concurrent large bodies cannot take memory without bound.

use std::sync::atomic::{AtomicUsize, Ordering};

/// What a receiver allows in flight by default: 64 MiB.
pub(crate) const DEFAULT_BYTES_IN_FLIGHT: usize = 64 * 1024 * 1024;

/// Bytes of request bodies held at once, never more than `total`.
#[derive(Debug)]
pub(crate) struct Budget {
    total: usize,
    used: AtomicUsize,
}

impl Budget {
    pub(crate) fn new(total: usize) -> Self {
        Self {
            total,
            used: AtomicUsize::new(0),
        }
    }

    /// The bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// The cap.
    pub(crate) fn total(&self) -> usize {
        self.total
    }

    /// An empty reservation, grown as the request's body is declared or read.
    pub(crate) fn reservation(&self) -> Reservation<'_> {
        Reservation {
            budget: self,
            held: 0,
        }
    }

    /// Takes `bytes` more if they fit, all or nothing; never waits.
    fn try_take(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|after| *after <= self.total)
            })
            .is_ok()
    }

    fn give_back(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }
}

/// The bytes one request holds; given back when it is dropped (after the answer).
#[derive(Debug)]
pub(crate) struct Reservation<'a> {
    budget: &'a Budget,
    held: usize,
}

impl Reservation<'_> {
    /// Holds at least `bytes` in all: false, holding what it held, when the rest does
    /// not fit in the budget.
    pub(crate) fn grow_to(&mut self, bytes: usize) -> bool {
        let more = bytes.saturating_sub(self.held);
        if more == 0 {
            return true;
        }
        let taken = self.budget.try_take(more);
        if taken {
            self.held = bytes;
        }
        taken
    }
}

impl Drop for Reservation<'_> {
    fn drop(&mut self) {
        if self.held > 0 {
            self.budget.give_back(self.held);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Budget;

    #[test]
    fn reservations_share_the_budget_and_give_it_back_when_dropped() {
        let budget = Budget::new(100);
        let mut first = budget.reservation();
        assert!(first.grow_to(60));
        assert!(first.grow_to(40), "already held");
        let mut second = budget.reservation();
        assert!(!second.grow_to(41), "60 + 41 > 100");
        assert!(second.grow_to(40));
        assert_eq!(budget.used(), 100);
        drop(first);
        assert_eq!(budget.used(), 40);
        assert!(second.grow_to(100));
        drop(second);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_refused_growth_keeps_what_was_held() {
        let budget = Budget::new(10);
        let mut reservation = budget.reservation();
        assert!(reservation.grow_to(8));
        assert!(!reservation.grow_to(usize::MAX));
        assert_eq!(budget.used(), 8);
        drop(reservation);
        assert_eq!(budget.used(), 0);
    }
}
