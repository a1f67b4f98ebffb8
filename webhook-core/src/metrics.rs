//! Metrics through the `metrics` facade: install any exporter (Prometheus, StatsD, ...)
//! and these appear; without one they cost next to nothing. Install it before the first
//! delivery: the series every accepted event touches (`accepted` deliveries and `done`
//! handler durations of the routed event types) keep the handle made at their first
//! use, as `metrics` handles do.
//!
//! | name | kind | labels |
//! | --- | --- | --- |
//! | `webhook_deliveries_total` | counter | `provider`, `event_type` (empty when unknown, [`OTHER_EVENT`] for a name neither routed nor in the provider's catalogue), `outcome` (the answer's reason: `accepted`, `duplicate`, `ignored`, `invalid signature`, ...) |
//! | `webhook_verification_failures_total` | counter | `provider`, `reason` ([`crate::VerifyError::check`]) |
//! | `webhook_handler_duration_seconds` | histogram | `provider`, `event_type`, `outcome` (`done`, `retry`, `dead`) |
//! | `webhook_retries_total` | counter | `provider`, `event_type` |
//! | `webhook_dead_letters_total` | counter | `provider`, `event_type` |
//! | `webhook_queue_depth` | gauge | `sink` (`memory`); set at most once a millisecond, and whenever the queue empties |

use std::sync::OnceLock;
use std::time::Duration;

// Every label is `'static` (the provider's interned name, the handler's and the
// catalogue's event names, fixed outcomes), so that recording allocates nothing.

/// An event type as a metrics label: its place in the handler's `EVENTS` when it routes
/// it, and the name.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EventLabel {
    index: Option<usize>,
    name: &'static str,
}

impl EventLabel {
    /// The label of a delivery whose event type is not known (empty).
    pub(crate) fn unknown() -> Self {
        Self {
            index: None,
            name: "",
        }
    }
}

/// One receiver's metrics. The series every accepted event touches
/// (`webhook_deliveries_total{outcome="accepted"}` and
/// `webhook_handler_duration_seconds{outcome="done"}`, per routed event type) keep the
/// handle registered at their first use, so the hot path skips the recorder's registry
/// (a key built, hashed and compared twice per event). As for any `metrics` handle, the
/// recorder is to be installed before the first delivery; the other series are looked
/// up each time.
#[derive(Debug)]
pub(crate) struct Metrics {
    provider: &'static str,
    events: &'static [&'static str],
    /// The provider's catalogue: the other names an event type label may take.
    catalogue: Vec<&'static str>,
    accepted: Box<[OnceLock<metrics::Counter>]>,
    done: Box<[OnceLock<metrics::Histogram>]>,
}

impl Metrics {
    /// The metrics of a receiver for `provider` (whose catalogue lists `catalogue`)
    /// whose handler routes `events`.
    pub(crate) fn new(
        provider: &'static str,
        events: &'static [&'static str],
        catalogue: Vec<&'static str>,
    ) -> Self {
        Self {
            provider,
            events,
            catalogue,
            accepted: events.iter().map(|_| OnceLock::new()).collect(),
            done: events.iter().map(|_| OnceLock::new()).collect(),
        }
    }

    /// `event_type` as a label: the handler's own name when it routes it, the
    /// catalogue's when the provider lists it, and [`OTHER_EVENT`] for any other name.
    /// Labels never allocate, and their number stays bounded: some providers send the
    /// event type in a header the signature does not cover (GitHub's `X-GitHub-Event`),
    /// so a replayed body could otherwise mint a series per name it is sent with.
    pub(crate) fn label(&self, event_type: &str) -> EventLabel {
        if let Some(index) = self.events.iter().position(|name| *name == event_type) {
            return EventLabel {
                index: Some(index),
                name: self.events[index],
            };
        }
        let name = self
            .catalogue
            .iter()
            .find(|name| **name == event_type)
            .copied()
            .unwrap_or(OTHER_EVENT);
        EventLabel { index: None, name }
    }

    /// Counts an answered delivery.
    pub(crate) fn delivery(&self, event: &EventLabel, outcome: &'static str) {
        match (event.index, outcome) {
            (Some(at), "accepted") => self.accepted[at]
                .get_or_init(|| {
                    metrics::counter!(DELIVERIES, "provider" => self.provider, "event_type" => self.events[at], "outcome" => "accepted")
                })
                .increment(1),
            _ => delivery(self.provider, event.name, outcome),
        }
    }

    /// Counts a signature rejected by check `reason`.
    pub(crate) fn verification_failure(&self, reason: &'static str) {
        verification_failure(self.provider, reason);
    }

    /// Records a finished handler attempt.
    pub(crate) fn handler_finished(
        &self,
        event: &EventLabel,
        outcome: &'static str,
        took: Duration,
    ) {
        match (event.index, outcome) {
            (Some(at), "done") => self.done[at]
                .get_or_init(|| {
                    metrics::histogram!(HANDLER_DURATION, "provider" => self.provider, "event_type" => self.events[at], "outcome" => "done")
                })
                .record(took.as_secs_f64()),
            _ => handler_finished(self.provider, event.name, outcome, took),
        }
    }
}

/// The `event_type` label of an event type neither routed nor in the catalogue.
pub const OTHER_EVENT: &str = "other";

const DELIVERIES: &str = "webhook_deliveries_total";
const HANDLER_DURATION: &str = "webhook_handler_duration_seconds";

fn delivery(provider: &'static str, event_type: &'static str, outcome: &'static str) {
    metrics::counter!(DELIVERIES, "provider" => provider, "event_type" => event_type, "outcome" => outcome)
        .increment(1);
}

fn verification_failure(provider: &'static str, reason: &'static str) {
    metrics::counter!("webhook_verification_failures_total", "provider" => provider, "reason" => reason).increment(1);
}

fn handler_finished(
    provider: &'static str,
    event_type: &'static str,
    outcome: &'static str,
    took: Duration,
) {
    metrics::histogram!(
        HANDLER_DURATION,
        "provider" => provider, "event_type" => event_type, "outcome" => outcome
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
