//! The receiver's decisions and the in-memory sink's behaviour, through the public API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use http::StatusCode;
use serde_json::json;
use tokio::sync::Semaphore;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Ack, Context, DispatchError, Handler, MemorySink, Receiver, Request, RetryPolicy, Verified,
};

/// What the test handler does on each call.
#[derive(Clone, Copy)]
enum Behaviour {
    Succeed,
    FailTimes(u32),
    Panic,
    Hang,
    /// Fails until `Recorder::fixed` is set, as a bug fixed before a replay.
    FailUntilFixed,
}

#[derive(Clone)]
struct Recorder {
    calls: Arc<AtomicU32>,
    fixed: Arc<AtomicBool>,
    behaviour: Behaviour,
    gate: Option<Arc<Semaphore>>,
}

impl Recorder {
    fn new(behaviour: Behaviour) -> Self {
        Self {
            calls: Arc::new(AtomicU32::new(0)),
            fixed: Arc::default(),
            behaviour,
            gate: None,
        }
    }

    fn gated(gate: &Arc<Semaphore>) -> Self {
        Self {
            gate: Some(Arc::clone(gate)),
            ..Self::new(Behaviour::Succeed)
        }
    }

    fn calls(&self) -> u32 {
        self.calls.load(Ordering::SeqCst)
    }
}

impl Handler for Recorder {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded", "charge.failed"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        match event_type {
            "charge.failed" => Some(Ack::AfterHandler),
            name if Self::EVENTS.contains(&name) => Some(Ack::Immediate),
            _ => None,
        }
    }

    fn handle<'a>(
        &'a self,
        d: &'a Verified,
        ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            let _: ChargeId = d.parse().map_err(DispatchError::payload)?;
            if let Some(gate) = &self.gate {
                let _permit = gate.acquire().await.expect("gate open");
            }
            self.calls.fetch_add(1, Ordering::SeqCst);
            let attempt = ctx.attempt();
            match self.behaviour {
                Behaviour::Succeed => Ok(()),
                Behaviour::FailTimes(n) if attempt <= n => Err(DispatchError::failed("not yet")),
                Behaviour::FailTimes(_) => Ok(()),
                Behaviour::Panic => panic!("handler bug"),
                Behaviour::Hang => std::future::pending().await,
                Behaviour::FailUntilFixed if self.fixed.load(Ordering::SeqCst) => Ok(()),
                Behaviour::FailUntilFixed => Err(DispatchError::failed("bug")),
            }
        })
    }
}

/// The part of a charge the test handler parses.
#[derive(serde::Deserialize)]
struct ChargeId {
    #[allow(dead_code)]
    id: String,
}

fn fast_retries(attempts: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(attempts)
        .base_delay(Duration::from_millis(1))
}

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        json!({"id": id, "amount": 10.0}),
    )
}

fn receiver(handler: &Recorder, sink: MemorySink) -> Receiver {
    Receiver::builder(handler.clone())
        .secret(test_secret())
        .sink(sink)
        .retry(fast_retries(3))
        .build()
}

#[tokio::test]
async fn valid_delivery_answers_200_then_runs_the_handler_once() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    let answer = charge("ch_1").send(&receiver).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::OK, "accepted")
    );
    receiver.idle().await;
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn answer_comes_before_the_handler_finishes() {
    let gate = Arc::new(Semaphore::new(0));
    let handler = Recorder::gated(&gate);
    let receiver = receiver(&handler, MemorySink::new());
    assert_eq!(
        charge("ch_1").send(&receiver).await.status(),
        StatusCode::OK
    );
    assert_eq!(handler.calls(), 0, "the handler waits on the gate");
    gate.add_permits(1);
    receiver.idle().await;
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn bad_signatures_answer_401_and_run_nothing() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    for fake in [
        charge("a").tampered(),
        charge("b").unsigned(),
        charge("c").wrong_secret(),
    ] {
        let answer = fake.send(&receiver).await;
        assert_eq!(
            (answer.status(), answer.reason()),
            (StatusCode::UNAUTHORIZED, "invalid signature")
        );
    }
    receiver.idle().await;
    assert_eq!(handler.calls(), 0);
    assert_eq!(receiver.stats().bad_signature, 3);
}

#[tokio::test]
async fn signed_body_that_is_not_an_envelope_answers_400() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    let scheme = webhook_core::scheme::HmacScheme::modem_pay();
    let body = b"{not json".to_vec();
    let input = webhook_core::scheme::SignInput {
        now: std::time::SystemTime::now(),
        id: None,
    };
    let headers = webhook_core::Scheme::sign_at(&scheme, &test_secret(), &body, input);
    let answer = receiver.receive(Request::new(headers, body)).await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::BAD_REQUEST, "malformed body")
    );
}

#[tokio::test]
async fn body_over_the_limit_answers_413() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = Receiver::builder(handler.clone())
        .secret(test_secret())
        .body_limit(64)
        .build();
    let big = charge("ch_1").with(|v| v["notes"] = json!("x".repeat(100)));
    assert_eq!(
        big.send(&receiver).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
}

#[tokio::test]
async fn unrouted_event_answers_200_ignored_and_runs_nothing() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    let answer = charge("cu_1")
        .event_type("customer.created")
        .send(&receiver)
        .await;
    assert_eq!(
        (answer.status(), answer.reason()),
        (StatusCode::OK, "ignored")
    );
    receiver.idle().await;
    assert_eq!((handler.calls(), receiver.stats().ignored), (0, 1));
}

#[tokio::test]
async fn duplicate_answers_200_and_the_handler_runs_once() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    assert_eq!(charge("ch_1").send(&receiver).await.reason(), "accepted");
    assert_eq!(charge("ch_1").send(&receiver).await.reason(), "duplicate");
    receiver.idle().await;
    assert_eq!(
        charge("ch_1").send(&receiver).await.reason(),
        "duplicate",
        "done events stay deduped"
    );
    receiver.idle().await;
    assert_eq!(handler.calls(), 1);
}

#[tokio::test]
async fn full_sink_answers_503_with_retry_after_and_keeps_no_trace() {
    let gate = Arc::new(Semaphore::new(0));
    let handler = Recorder::gated(&gate);
    let receiver = receiver(&handler, MemorySink::new().capacity(1));
    assert_eq!(
        charge("ch_1").send(&receiver).await.status(),
        StatusCode::OK
    );
    let refused = charge("ch_2").send(&receiver).await;
    assert_eq!(refused.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(refused.retry_after_secs(), Some(5));
    gate.add_permits(10);
    receiver.idle().await;
    assert_eq!(
        charge("ch_2").send(&receiver).await.reason(),
        "accepted",
        "the sender's retry is not a duplicate"
    );
    receiver.idle().await;
    assert_eq!(handler.calls(), 2);
}

#[tokio::test]
async fn handler_error_is_retried_until_it_succeeds() {
    let handler = Recorder::new(Behaviour::FailTimes(2));
    let receiver = receiver(&handler, MemorySink::new());
    charge("ch_1").send(&receiver).await;
    receiver.idle().await;
    assert_eq!(handler.calls(), 3);
}

#[tokio::test]
async fn panicking_handler_is_retried_then_dead_lettered_with_its_body() {
    let handler = Recorder::new(Behaviour::Panic);
    let sink = MemorySink::new();
    let receiver = receiver(&handler, sink.clone());
    charge("ch_1").send(&receiver).await;
    receiver.idle().await;
    assert_eq!(handler.calls(), 3);
    let dead = sink.dead_letters();
    assert_eq!(dead.len(), 1);
    assert!(
        matches!(dead[0].error(), DispatchError::Panicked(message) if message == "handler bug")
    );
    assert!(
        dead[0]
            .delivery()
            .body()
            .starts_with(b"{\"event\":\"charge.succeeded\"")
    );
}

#[tokio::test]
async fn hanging_handler_times_out_and_is_retried() {
    let handler = Recorder::new(Behaviour::Hang);
    let sink = MemorySink::new();
    let receiver = Receiver::builder(handler.clone())
        .secret(test_secret())
        .sink(sink.clone())
        .retry(fast_retries(2))
        .handler_timeout(Duration::from_millis(20))
        .build();
    charge("ch_1").send(&receiver).await;
    receiver.idle().await;
    assert_eq!(handler.calls(), 2);
    assert!(matches!(
        sink.dead_letters()[0].error(),
        DispatchError::TimedOut(_)
    ));
}

#[tokio::test]
async fn payload_that_does_not_parse_is_dead_lettered_at_once() {
    let handler = Recorder::new(Behaviour::Succeed);
    let sink = MemorySink::new();
    let receiver = receiver(&handler, sink.clone());
    // The envelope's data is a string, not the object the handler parses.
    let fake = FakeDelivery::new(ModemPay::default(), "charge.succeeded", json!("oops"));
    assert_eq!(fake.send(&receiver).await.status(), StatusCode::OK);
    receiver.idle().await;
    assert_eq!(handler.calls(), 0);
    let dead = sink.dead_letters();
    assert!(matches!(dead[0].error(), DispatchError::Payload(_)));
    assert_eq!(dead[0].attempts(), 1);
}

#[tokio::test]
async fn redelivery_of_a_dead_lettered_event_runs_again() {
    let handler = Recorder::new(Behaviour::FailTimes(3));
    let sink = MemorySink::new();
    let receiver = receiver(&handler, sink.clone());
    let fake = charge("ch_1").id("same");
    fake.clone().send(&receiver).await;
    receiver.idle().await;
    assert_eq!(sink.dead_letters().len(), 1);
    assert_eq!(fake.send(&receiver).await.reason(), "accepted");
    receiver.idle().await;
    assert_eq!(
        handler.calls(),
        6,
        "the redelivery ran its three attempts again"
    );
}

#[tokio::test]
async fn dead_letter_can_be_replayed_after_a_fix() {
    let handler = Recorder::new(Behaviour::FailUntilFixed);
    let sink = MemorySink::new();
    let receiver = receiver(&handler, sink.clone());
    charge("ch_1").send(&receiver).await;
    receiver.idle().await;
    let id = sink.dead_letters()[0].id();
    handler.fixed.store(true, Ordering::SeqCst);
    assert_eq!(sink.replay(id), Ok(true));
    receiver.idle().await;
    assert!(sink.dead_letters().is_empty());
    assert_eq!(sink.replay(id), Ok(false));
}

#[tokio::test]
async fn after_handler_ack_answers_500_when_the_handler_fails() {
    let handler = Recorder::new(Behaviour::FailTimes(1));
    let receiver = receiver(&handler, MemorySink::new());
    let failing = charge("ch_1").event_type("charge.failed");
    assert_eq!(
        failing.clone().send(&receiver).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(handler.calls(), 1, "the handler ran before the answer");
}

#[tokio::test]
async fn shutdown_drains_accepted_work_then_refuses_new_deliveries() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new());
    for n in 0..20 {
        charge(&format!("ch_{n}")).send(&receiver).await;
    }
    receiver.shutdown(Duration::from_secs(5)).await;
    assert_eq!(handler.calls(), 20);
    let late = charge("late").send(&receiver).await;
    assert_eq!(late.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(late.retry_after_secs().is_some());
}

#[tokio::test]
async fn context_carries_the_event_id_type_provider_and_attempt() {
    struct Probe(Arc<std::sync::Mutex<Vec<String>>>);
    impl Handler for Probe {
        type Provider = ModemPay;
        const EVENTS: &'static [&'static str] = &["charge.succeeded"];
        fn route(&self, _: &str) -> Option<Ack> {
            Some(Ack::Immediate)
        }
        fn handle<'a>(
            &'a self,
            _: &'a Verified,
            ctx: Context,
        ) -> BoxFuture<'a, Result<(), DispatchError>> {
            let seen = format!(
                "{} {} {} {}",
                ctx.event_id(),
                ctx.event_type(),
                ctx.provider(),
                ctx.attempt()
            );
            self.0.lock().unwrap().push(seen);
            Box::pin(async { Ok(()) })
        }
    }
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let receiver = Receiver::builder(Probe(Arc::clone(&seen)))
        .secret(test_secret())
        .build();
    charge("ch_9").send(&receiver).await;
    receiver.idle().await;
    assert_eq!(
        *seen.lock().unwrap(),
        ["charge.succeeded:ch_9 charge.succeeded modem-pay 1"]
    );
}

#[test]
#[should_panic(expected = "has no secret")]
fn building_without_a_secret_says_what_to_configure() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    let _ = Receiver::builder(Recorder::new(Behaviour::Succeed)).build();
}

#[test]
fn events_queued_when_the_workers_runtime_stops_can_be_redelivered() {
    let handler = Recorder::new(Behaviour::Hang);
    let first = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let receiver = first.block_on(async {
        let receiver = receiver(&handler, MemorySink::new().workers(1));
        // One hangs in the only worker; the other waits behind it.
        for id in ["ch_hung", "ch_queued"] {
            assert_eq!(charge(id).send(&receiver).await.reason(), "accepted");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        receiver
    });
    drop(first);

    // The worker went with its runtime: the queued event is not kept as a duplicate,
    // so the sender's redelivery is taken again rather than answered `duplicate`.
    let second = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    second.block_on(async {
        assert_eq!(
            charge("ch_queued").send(&receiver).await.reason(),
            "accepted"
        );
    });
}

#[tokio::test]
async fn dedupe_forgets_the_oldest_handled_keys_past_its_capacity() {
    let handler = Recorder::new(Behaviour::Succeed);
    let receiver = receiver(&handler, MemorySink::new().dedupe_capacity(4));
    for n in 0..10 {
        let answer = charge(&format!("ch_{n}")).send(&receiver).await;
        assert_eq!(answer.reason(), "accepted");
        receiver.idle().await;
    }
    for recent in ["ch_8", "ch_9"] {
        assert_eq!(charge(recent).send(&receiver).await.reason(), "duplicate");
    }
    assert_eq!(charge("ch_0").send(&receiver).await.reason(), "accepted");
    receiver.idle().await;
    assert_eq!(handler.calls(), 11);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_most_workers_handlers_run_at_once_and_the_rest_wait_their_turn() {
    let handler = Recorder::new(Behaviour::Hang);
    let sink = MemorySink::new().capacity(8).workers(2);
    let receiver = receiver(&handler, sink.clone());
    for n in 0..5 {
        assert_eq!(
            charge(&format!("ch_{n}")).send(&receiver).await.reason(),
            "accepted"
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(handler.calls(), 2, "two workers, two handlers running");
    assert_eq!(sink.in_flight(), 5, "the others wait, still counted");
    for n in 5..8 {
        charge(&format!("ch_{n}")).send(&receiver).await;
    }
    let full = charge("ch_full").send(&receiver).await;
    assert_eq!(full.status(), StatusCode::SERVICE_UNAVAILABLE);
}
