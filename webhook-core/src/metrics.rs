//! Metrics through the `metrics` facade: install any exporter (Prometheus, StatsD, ...)
//! and these appear; without one they cost next to nothing.
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `webhook_deliveries_total` | counter | `provider`, `event_type` (empty when unknown), `outcome` (the answer's reason: `accepted`, `duplicate`, `ignored`, `invalid signature`, ...) |
//! | `webhook_verification_failures_total` | counter | `provider`, `reason` ([`crate::VerifyError::check`]) |
//! | `webhook_handler_duration_seconds` | histogram | `provider`, `event_type`, `outcome` (`done`, `retry`, `dead`) |
//! | `webhook_retries_total` | counter | `provider`, `event_type` |
//! | `webhook_dead_letters_total` | counter | `provider`, `event_type` |
//! | `webhook_queue_depth` | gauge | `sink` (`memory`); set at most once a millisecond, and whenever the queue empties |

use std::borrow::Cow;
use std::time::Duration;

// Labels are `'static` where they can be (the provider's interned name, the handler's
// event names), so that recording allocates nothing on the hot path.

pub(crate) fn delivery(
    provider: &'static str,
    event_type: Cow<'static, str>,
    outcome: &'static str,
) {
    metrics::counter!("webhook_deliveries_total", "provider" => provider, "event_type" => event_type, "outcome" => outcome)
        .increment(1);
}

pub(crate) fn verification_failure(provider: &'static str, reason: &'static str) {
    metrics::counter!("webhook_verification_failures_total", "provider" => provider, "reason" => reason).increment(1);
}

pub(crate) fn handler_finished(
    provider: &'static str,
    event_type: Cow<'static, str>,
    outcome: &'static str,
    took: Duration,
) {
    metrics::histogram!(
        "webhook_handler_duration_seconds",
        "provider" => provider, "event_type" => event_type.clone(), "outcome" => outcome
    )
    .record(took.as_secs_f64());
    let counter = match outcome {
        "retry" => "webhook_retries_total",
        "dead" => "webhook_dead_letters_total",
        _ => return,
    };
    metrics::counter!(counter, "provider" => provider, "event_type" => event_type).increment(1);
}

pub(crate) fn queue_depth(sink: &'static str, depth: usize) {
    metrics::gauge!("webhook_queue_depth", "sink" => sink).set(depth as f64);
}
