//! The metrics a receiver records, read back through a recorder installed for this test
//! binary (the recorder is global, so this file holds one test).

mod common;

use std::time::Duration;

use common::Charges;
use http::StatusCode;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use serde_json::json;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{MemorySink, Receiver};

fn delivery(event_type: &str, id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(ModemPay::default(), event_type, json!({"id": id}))
}

/// What the recorder holds: taken once, as taking it resets the counters.
type Snapshot = Vec<(
    CompositeKey,
    Option<metrics::Unit>,
    Option<metrics::SharedString>,
    DebugValue,
)>;

/// The value of the series `name` whose labels include every one of `labels`.
fn value<'a>(
    snapshot: &'a Snapshot,
    kind: MetricKind,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a DebugValue> {
    let matches = |key: &CompositeKey| {
        key.kind() == kind
            && key.key().name() == name
            && labels.iter().all(|(label, wanted)| {
                key.key()
                    .labels()
                    .any(|l| l.key() == *label && l.value() == *wanted)
            })
    };
    snapshot
        .iter()
        .find(|(key, ..)| matches(key))
        .map(|(.., value)| value)
}

fn count(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> u64 {
    match value(snapshot, MetricKind::Counter, name, labels) {
        Some(DebugValue::Counter(count)) => *count,
        None => 0,
        Some(other) => panic!("{name} is not a counter: {other:?}"),
    }
}

fn samples(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> usize {
    match value(snapshot, MetricKind::Histogram, name, labels) {
        Some(DebugValue::Histogram(samples)) => samples.len(),
        None => 0,
        Some(other) => panic!("{name} is not a histogram: {other:?}"),
    }
}

#[tokio::test]
async fn deliveries_failures_and_handler_outcomes_are_counted_by_label() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    recorder
        .install()
        .expect("the only recorder of this test binary");

    let receiver = Receiver::builder(Charges)
        .secret(test_secret())
        .sink(MemorySink::new())
        .retry(
            webhook_core::RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build();
    for id in ["ch_1", "ch_2", "ch_3"] {
        let answer = delivery("charge.succeeded", id).send(&receiver).await;
        assert_eq!(answer.status(), StatusCode::OK);
    }
    assert_eq!(
        delivery("charge.succeeded", "ch_1")
            .send(&receiver)
            .await
            .reason(),
        "duplicate"
    );
    assert_eq!(
        delivery("charge.failed", "ch_4")
            .send(&receiver)
            .await
            .reason(),
        "accepted"
    );
    assert_eq!(
        delivery("customer.created", "cus_1")
            .send(&receiver)
            .await
            .reason(),
        "ignored"
    );
    for made_up in ["made.up", "made.up.too"] {
        let answer = delivery(made_up, "x_1").send(&receiver).await;
        assert_eq!(answer.reason(), "ignored");
    }
    let forged = delivery("charge.succeeded", "ch_5")
        .secret(webhook_core::Secret::new("not-the-secret").expect("a secret"));
    assert_eq!(
        forged.send(&receiver).await.status(),
        StatusCode::UNAUTHORIZED
    );
    receiver.idle().await;
    let snapshot = snapshotter.snapshot().into_vec();

    let deliveries = "webhook_deliveries_total";
    let provider = ("provider", "modem-pay");
    let succeeded = ("event_type", "charge.succeeded");
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[provider, succeeded, ("outcome", "accepted")]
        ),
        3
    );
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[provider, succeeded, ("outcome", "duplicate")]
        ),
        1
    );
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[
                provider,
                ("event_type", "charge.failed"),
                ("outcome", "accepted")
            ]
        ),
        1
    );
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[
                provider,
                ("event_type", "customer.created"),
                ("outcome", "ignored")
            ]
        ),
        1
    );
    // Names outside the catalogue share one series: their number is not the sender's to
    // choose.
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[provider, ("event_type", "other"), ("outcome", "ignored")]
        ),
        2
    );
    assert!(
        value(
            &snapshot,
            MetricKind::Counter,
            deliveries,
            &[("event_type", "made.up")]
        )
        .is_none()
    );
    assert_eq!(
        count(
            &snapshot,
            deliveries,
            &[provider, ("outcome", "invalid signature")]
        ),
        1
    );
    assert_eq!(
        count(
            &snapshot,
            "webhook_verification_failures_total",
            &[provider]
        ),
        1
    );

    let handled = "webhook_handler_duration_seconds";
    assert_eq!(
        samples(
            &snapshot,
            handled,
            &[provider, succeeded, ("outcome", "done")]
        ),
        3
    );
    let failed = ("event_type", "charge.failed");
    assert_eq!(
        samples(
            &snapshot,
            handled,
            &[provider, failed, ("outcome", "retry")]
        ),
        1
    );
    assert_eq!(
        samples(&snapshot, handled, &[provider, failed, ("outcome", "dead")]),
        1
    );
    assert_eq!(
        count(&snapshot, "webhook_retries_total", &[provider, failed]),
        1
    );
    assert_eq!(
        count(&snapshot, "webhook_dead_letters_total", &[provider, failed]),
        1
    );
}
