//! The payload is parsed once per delivery: at receive, in the same pass as the
//! envelope, when the sink runs the handler in this process; in the worker otherwise.
//! Retries parse again; a payload that does not match is still accepted and
//! dead-lettered with its body.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::Bamotf;
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::sink::DeadLetter;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    DispatchError, Dispatcher, Handler, MemorySink, Receiver, RetryPolicy, Sample, Sink, SinkError,
    Submitted, Verified, webhook_handler,
};

/// How many `Counted` payloads were deserialized, per test (each test has its own id).
static PARSES: Mutex<Vec<(u64, usize)>> = Mutex::new(Vec::new());

fn parses(test: u64) -> usize {
    PARSES
        .lock()
        .unwrap()
        .iter()
        .filter(|(id, _)| *id == test)
        .count()
}

/// A payload that counts its own parses by the `test` it carries.
#[derive(Debug, Clone, Serialize)]
struct Counted {
    test: u64,
    id: String,
}

impl<'de> Deserialize<'de> for Counted {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            test: u64,
            id: String,
        }
        let wire = Wire::deserialize(deserializer)?;
        PARSES.lock().unwrap().push((wire.test, 1));
        Ok(Self {
            test: wire.test,
            id: wire.id,
        })
    }
}

impl Sample for Counted {
    fn sample() -> Self {
        Self {
            test: 0,
            id: "ord_1".into(),
        }
    }
}

/// Fails its first `failures` attempts.
#[derive(Default)]
struct Orders {
    failures: usize,
    calls: Arc<AtomicUsize>,
    seen: Arc<Mutex<Vec<String>>>,
}

#[webhook_handler(provider = ModemPay)]
impl Orders {
    #[event("order.paid")]
    async fn paid(&self, order: Counted) -> Result<(), String> {
        self.seen.lock().unwrap().push(order.id);
        if self.calls.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err("try again".into());
        }
        Ok(())
    }

    async fn charge(&self, _: ChargeSucceeded) {
        self.calls.fetch_add(1, Ordering::SeqCst);
    }
}

fn order(test: u64) -> FakeDelivery<Counted> {
    Orders::fakes().paid().with(|order| {
        order.test = test;
        order.id = format!("ord_{test}");
    })
}

#[tokio::test]
async fn the_memory_sink_runs_the_handler_on_the_payload_read_at_receive() {
    let orders = Orders::default();
    let seen = Arc::clone(&orders.seen);
    let receiver = Receiver::builder(orders).secret(test_secret()).build();
    let answer = order(1).send(&receiver).await;
    assert_eq!(
        (answer.status().as_u16(), answer.reason()),
        (200, "accepted")
    );
    // Read at receive, before the answer.
    assert_eq!(parses(1), 1);
    receiver.idle().await;
    assert_eq!(*seen.lock().unwrap(), ["ord_1"]);
    assert_eq!(parses(1), 1, "the worker used the payload read at receive");
}

#[tokio::test]
async fn a_retry_parses_the_body_again() {
    let orders = Orders {
        failures: 1,
        ..Orders::default()
    };
    let (calls, seen) = (Arc::clone(&orders.calls), Arc::clone(&orders.seen));
    let receiver = Receiver::builder(orders)
        .secret(test_secret())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build();
    assert_eq!(order(2).send(&receiver).await.status().as_u16(), 200);
    receiver.idle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(*seen.lock().unwrap(), ["ord_2", "ord_2"]);
    assert_eq!(parses(2), 2, "once at receive, once for the retry");
}

#[tokio::test]
async fn ack_after_handler_uses_the_payload_read_at_receive() {
    #[derive(Default)]
    struct Inline {
        seen: Arc<Mutex<Vec<String>>>,
    }

    #[webhook_handler(provider = ModemPay)]
    impl Inline {
        #[event("order.paid", ack = "after_handler")]
        async fn paid(&self, order: Counted) {
            self.seen.lock().unwrap().push(order.id);
        }
    }

    let inline = Inline::default();
    let seen = Arc::clone(&inline.seen);
    let receiver = Receiver::builder(inline).secret(test_secret()).build();
    let fake = Inline::fakes().paid().with(|order| order.test = 3);
    let answer = fake.send(&receiver).await;
    assert_eq!(
        (answer.status().as_u16(), answer.reason()),
        (200, "handled")
    );
    assert_eq!(*seen.lock().unwrap(), ["ord_1"]);
    assert_eq!(parses(3), 1);
}

/// A sink that stores and runs like the memory sink but, as a durable inbox, says it
/// does not use payloads read at receive.
#[derive(Clone)]
struct Durable(MemorySink);

impl Sink for Durable {
    fn start(&self, dispatcher: Dispatcher) {
        self.0.start(dispatcher);
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        assert!(
            delivery.take_parsed().is_none(),
            "nothing is parsed for a sink that does not use it"
        );
        self.0.submit(delivery)
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        self.0.idle()
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        self.0.shutdown(deadline)
    }
}

#[tokio::test]
async fn a_sink_that_parses_after_a_claim_gets_no_typed_parse_at_receive() {
    let orders = Orders::default();
    let seen = Arc::clone(&orders.seen);
    let receiver = Receiver::builder(orders)
        .secret(test_secret())
        .sink(Durable(MemorySink::new()))
        .build();
    assert_eq!(order(4).send(&receiver).await.status().as_u16(), 200);
    receiver.idle().await;
    assert_eq!(*seen.lock().unwrap(), ["ord_4"]);
    assert_eq!(parses(4), 1, "parsed once, by the worker");
}

#[tokio::test]
async fn a_payload_that_does_not_match_is_accepted_then_dead_lettered_with_its_body() {
    let sink = MemorySink::new();
    let orders = Orders::default();
    let calls = Arc::clone(&orders.calls);
    let receiver = Receiver::builder(orders)
        .secret(test_secret())
        .sink(sink.clone())
        .build();
    let fake = FakeDelivery::new(
        ModemPay::default(),
        "order.paid",
        serde_json::json!({"test": "not a number", "id": "ord_5"}),
    );
    let body = fake.to_parts().1;
    let answer = fake.send(&receiver).await;
    assert_eq!(
        (answer.status().as_u16(), answer.reason()),
        (200, "accepted")
    );
    receiver.idle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
    let dead: Vec<DeadLetter> = sink.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        matches!(dead[0].error(), DispatchError::Payload(_)),
        "{:?}",
        dead[0].error()
    );
    assert_eq!(dead[0].delivery().body(), &body);
    assert_eq!(dead[0].delivery().dedupe_key(), "order.paid:ord_5");
}

#[tokio::test]
async fn every_provider_reads_the_payload_at_receive() {
    use webhook_core::providers::bamotf::PaymentIntentSucceeded;

    #[derive(Default)]
    struct Intents {
        seen: Arc<Mutex<Vec<String>>>,
    }

    #[webhook_handler(provider = Bamotf)]
    impl Intents {
        async fn succeeded(&self, intent: PaymentIntentSucceeded, ctx: webhook_core::Context) {
            assert_eq!(ctx.attempt(), 1);
            self.seen
                .lock()
                .unwrap()
                .push(intent.payment_intent.id.clone());
        }
    }

    let intents = Intents::default();
    let seen = Arc::clone(&intents.seen);
    let receiver = Receiver::builder(intents).secret(test_secret()).build();
    let answer = Intents::fakes()
        .succeeded()
        .id("key-1")
        .send(&receiver)
        .await;
    assert_eq!(answer.status().as_u16(), 200);
    receiver.idle().await;
    assert_eq!(seen.lock().unwrap().len(), 1);
    // A redelivery (same idempotence key) is a duplicate, as before.
    let again = Intents::fakes()
        .succeeded()
        .id("key-1")
        .send(&receiver)
        .await;
    assert_eq!(again.reason(), "duplicate");
}

#[tokio::test]
async fn the_handler_read_is_the_envelope_and_the_routed_payload() {
    let orders = Orders::default();
    let (headers, body) = order(6).to_parts();
    let (envelope, parsed) = orders.read(&ModemPay::default(), &headers, &body).unwrap();
    assert_eq!(envelope.event_type(), "order.paid");
    assert_eq!(envelope.dedupe_key(), "order.paid:ord_6");
    assert!(parsed.is_some());
    // What `Provider::envelope` reads, the data included.
    let plain = webhook_core::Provider::envelope(&ModemPay::default(), &headers, &body).unwrap();
    assert_eq!(envelope, plain);
    assert_eq!(envelope.data(), plain.data());

    // An unrouted event type reads no payload.
    let (headers, body) =
        FakeDelivery::new(ModemPay::default(), "order.refunded", Counted::sample()).to_parts();
    let (envelope, parsed) = orders.read(&ModemPay::default(), &headers, &body).unwrap();
    assert_eq!(envelope.event_type(), "order.refunded");
    assert!(parsed.is_none());

    // A body that is not an envelope is the envelope's error.
    let error = orders
        .read(
            &ModemPay::default(),
            &headers,
            &br#"{"payload":{}}"#[..].into(),
        )
        .unwrap_err();
    assert_eq!(error, webhook_core::EnvelopeError::Missing("event"));
}
