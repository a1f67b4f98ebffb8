//! What the framework logs at `info`, the level servers run at: nothing for a routine
//! delivery, and for what needs attention one event that names the delivery.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Ack, Context, DispatchError, Handler, MemorySink, Receiver, RetryPolicy, Verified,
};

/// Succeeds for `charge.succeeded`, fails every attempt of `charge.failed`.
#[derive(Clone)]
struct Charges;

impl Handler for Charges {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded", "charge.failed"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        Self::EVENTS.contains(&event_type).then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        d: &'a Verified,
        _ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            match d.event_type() {
                "charge.failed" => Err(DispatchError::failed("the ledger is down")),
                _ => Ok(()),
            }
        })
    }
}

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    fn take(&self) -> String {
        let mut bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&std::mem::take(&mut *bytes)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

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
            "the ledger is down",
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
