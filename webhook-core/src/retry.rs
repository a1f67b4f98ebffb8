//! `RetryPolicy`: exponential backoff with jitter, then a dead letter.

use std::time::Duration;

/// How failed attempts are retried before an event is dead-lettered.
///
/// The delay before attempt `n + 1` is `base * 2^(n-1)`, capped at `max_delay`, with
/// "equal jitter": a random point in its upper half, so replicas that failed together
/// do not retry together.
///
/// ```
/// use std::time::Duration;
/// use webhook_core::RetryPolicy;
///
/// let policy = RetryPolicy::default().max_attempts(3).base_delay(Duration::from_secs(1));
/// let first = policy.delay_after(1).unwrap();
/// assert!(first >= Duration::from_millis(500) && first <= Duration::from_secs(1));
/// assert_eq!(policy.delay_after(3), None); // the third failure is final
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    base_delay: Duration,
    max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 8 attempts, starting at 1 s, capped at 10 minutes (about 2 hours in all).
    fn default() -> Self {
        Self {
            max_attempts: 8,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(600),
        }
    }
}

impl RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    #[must_use]
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The delay after the first failure, before jitter.
    #[must_use]
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest delay between two attempts.
    #[must_use]
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The configured number of attempts.
    pub fn attempts(&self) -> u32 {
        self.max_attempts
    }

    /// How long to wait after failed attempt `attempt` (1-based), or `None` when it was
    /// the last one.
    pub fn delay_after(&self, attempt: u32) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let factor = 1u32
            .checked_shl(attempt.saturating_sub(1))
            .unwrap_or(u32::MAX);
        let full = self.base_delay.saturating_mul(factor).min(self.max_delay);
        let half = full / 2;
        Some(half + half.mul_f64(fastrand::f64()))
    }
}
