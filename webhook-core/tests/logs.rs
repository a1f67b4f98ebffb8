//! What the framework logs at `info`, the level servers run at: nothing for a routine
//! delivery, and for what needs attention one event that names the delivery.

mod common;

use std::time::Duration;

use common::{Captured, Charges};
use http::StatusCode;
use serde_json::json;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{MemorySink, Receiver, RetryPolicy};

fn charge(event_type: &str, id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(ModemPay::default(), event_type, json!({"id": id})).id(id)
}

// One test in this binary: the subscriber is global to it.
#[tokio::test]
async fn at_info_only_what_needs_attention_is_logged_each_naming_its_delivery() {
    let logs = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(logs.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");

    let sink = MemorySink::new();
    let receiver = Receiver::builder(Charges)
        .secret(test_secret())
        .sink(sink.clone())
        .retry(
            RetryPolicy::default()
                .max_attempts(2)
                .base_delay(Duration::from_millis(1)),
        )
        .build();

    // A routine delivery, handled: the framework says nothing at `info`.
    let answer = charge("charge.succeeded", "ch_ok").send(&receiver).await;
    assert_eq!(answer.status(), StatusCode::OK);
    receiver.idle().await;
    let routine = logs.take();
    assert_eq!(routine, "", "a routine delivery logs nothing at info");

    // A handler that fails: a retry at `warn`, then the dead letter at `error`, each with
    // the delivery's provider, event type, dedupe key and attempt.
    charge("charge.failed", "ch_bad").send(&receiver).await;
    receiver.idle().await;
    assert_eq!(sink.dead_letters().len(), 1);
    let failed = logs.take();
    let lines: Vec<&str> = failed.lines().collect();
    assert_eq!(lines.len(), 2, "{failed}");
    for (line, level, attempt, message) in [
        (lines[0], "WARN", 1, "handler failed"),
        (lines[1], "ERROR", 2, "event dead-lettered"),
    ] {
        for part in [
            level,
            message,
            "provider=\"modem-pay\"",
            "event_type=\"charge.failed\"",
            "dedupe_key=\"charge.failed:ch_bad\"",
            &format!("attempt={attempt}"),
            "always fails",
        ] {
            assert!(line.contains(part), "`{part}` missing from: {line}");
        }
        assert!(!line.contains("webhook."), "no span at info: {line}");
    }

    // A bad signature: one `warn` naming the provider and the check that failed.
    let refused = charge("charge.succeeded", "ch_forged")
        .wrong_secret()
        .send(&receiver)
        .await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let rejected = logs.take();
    assert_eq!(rejected.lines().count(), 1, "{rejected}");
    for part in [
        "WARN",
        "signature rejected",
        "provider=\"modem-pay\"",
        "check=",
    ] {
        assert!(rejected.contains(part), "`{part}` missing from: {rejected}");
    }
}
