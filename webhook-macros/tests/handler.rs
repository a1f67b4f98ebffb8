//! Behaviour of the code `#[webhook_handler]` generates, driven through the core's
//! `Receiver` and the generated fakes.

use std::fmt;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use webhook_core::providers::bamotf::{Bamotf, PaymentIntentSucceeded};
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Ack, Context, DispatchError, Event, Handler, HandlerResult, Receiver, RetryPolicy, Sample,
    UnknownEvent, webhook_handler,
};

/// A user's own payload, routed by name, with a realistic sample for fakes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct NewCustomer {
    id: String,
    email: String,
}

impl Sample for NewCustomer {
    fn sample() -> Self {
        Self {
            id: "cus_1".into(),
            email: "ada@example.com".into(),
        }
    }
}

/// A user's payload with no `Sample`: fakes use its `Default`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Refund {
    amount: u64,
}

/// What a handler ran, in order; shared with the test.
type Log = Arc<Mutex<Vec<String>>>;

/// Records what ran.
#[derive(Default)]
struct Payments {
    log: Log,
}

impl Payments {
    fn record(&self, line: impl Into<String>) {
        self.log.lock().unwrap().push(line.into());
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }
}

#[webhook_handler(provider = ModemPay)]
impl Payments {
    async fn charge_succeeded(&self, charge: ChargeSucceeded) {
        self.record(format!("charge {}", charge.amount));
    }

    #[event("customer.created", "customer.updated")]
    async fn customer(&self, customer: NewCustomer, ctx: Context) -> HandlerResult {
        self.record(format!("{} {}", ctx.event_type(), customer.email));
        Ok(())
    }

    #[event("refund.created")]
    async fn refund(&self, refund: Refund) -> Result<(), String> {
        self.record(format!("refund {}", refund.amount));
        Ok(())
    }

    #[webhook(skip)]
    fn total(&self) -> usize {
        self.log().len()
    }
}

/// Like `Payments`, with a fallback.
#[derive(Default)]
struct Catchall {
    log: Mutex<Vec<String>>,
}

#[webhook_handler(provider = ModemPay)]
impl Catchall {
    async fn charge_succeeded(&self, _: ChargeSucceeded) {
        self.log.lock().unwrap().push("charge".into());
    }

    #[fallback]
    async fn anything_else(&self, event: UnknownEvent) {
        self.log
            .lock()
            .unwrap()
            .push(format!("other {} {}", event.event_type, event.data["id"]));
    }
}

fn receiver<H: Handler>(handler: H) -> Receiver {
    Receiver::builder(handler).secret(test_secret()).build()
}

#[tokio::test]
async fn routes_by_the_payload_event_type() {
    let payments = Payments::default();
    let fake = Payments::fakes()
        .charge_succeeded()
        .with(|charge| charge.amount = 25.0);
    fake.run(&payments).await.unwrap();
    assert_eq!(payments.log(), ["charge 25"]);
}

#[tokio::test]
async fn routes_by_name_for_a_user_payload() {
    let payments = Payments::default();
    Payments::fakes().customer().run(&payments).await.unwrap();
    assert_eq!(payments.log(), ["customer.created ada@example.com"]);
}

#[tokio::test]
async fn one_method_takes_every_name_it_lists() {
    let payments = Payments::default();
    Payments::fakes()
        .customer()
        .event_type("customer.updated")
        .run(&payments)
        .await
        .unwrap();
    assert_eq!(payments.log(), ["customer.updated ada@example.com"]);
}

#[tokio::test]
async fn events_lists_the_routed_names_in_order() {
    assert_eq!(
        Payments::EVENTS,
        [
            "charge.succeeded",
            "customer.created",
            "customer.updated",
            "refund.created"
        ]
    );
    assert_eq!(Catchall::EVENTS, ["charge.succeeded"]);
}

#[test]
fn route_answers_for_routed_names_only_unless_there_is_a_fallback() {
    assert_eq!(
        Payments::default().route("customer.updated"),
        Some(Ack::Immediate)
    );
    assert_eq!(Payments::default().route("invoice.created"), None);
    assert_eq!(
        Catchall::default().route("invoice.created"),
        Some(Ack::Immediate)
    );
}

#[tokio::test]
async fn fallback_takes_every_unrouted_event() {
    let catchall = Catchall::default();
    let data = serde_json::json!({ "id": "inv_1" });
    FakeDelivery::new(ModemPay::default(), "invoice.created", data)
        .run(&catchall)
        .await
        .unwrap();
    Catchall::fakes()
        .charge_succeeded()
        .run(&catchall)
        .await
        .unwrap();
    assert_eq!(
        *catchall.log.lock().unwrap(),
        ["other invoice.created \"inv_1\"", "charge"]
    );
}

#[tokio::test]
async fn unrouted_event_is_answered_200_ignored_and_runs_nothing() {
    let payments = Payments::default();
    let log = payments.log.clone();
    let receiver = receiver(payments);
    let data = serde_json::json!({ "id": "inv_1" });
    let answer = FakeDelivery::new(ModemPay::default(), "invoice.created", data)
        .send(&receiver)
        .await;
    receiver.idle().await;
    assert_eq!(
        (answer.status().as_u16(), answer.reason()),
        (200, "ignored")
    );
    assert_eq!(receiver.stats().ignored, 1);
    assert!(log.lock().unwrap().is_empty());
}

#[tokio::test]
async fn unrouted_event_run_directly_is_a_permanent_error() {
    let data = serde_json::json!({ "id": "inv_1" });
    let error = FakeDelivery::new(ModemPay::default(), "invoice.created", data)
        .run(&Payments::default())
        .await
        .unwrap_err();
    assert_eq!(error, DispatchError::Unrouted("invoice.created".into()));
}

#[tokio::test]
async fn payload_of_the_wrong_shape_is_a_permanent_error() {
    let fake = FakeDelivery::new(
        ModemPay::default(),
        "customer.created",
        serde_json::json!({ "id": 7 }),
    );
    let error = fake.run(&Payments::default()).await.unwrap_err();
    assert!(matches!(error, DispatchError::Payload(_)), "{error:?}");
    assert!(error.is_permanent());
}

#[tokio::test]
async fn methods_stay_callable_as_written() {
    let payments = Payments::default();
    payments.charge_succeeded(ChargeSucceeded::sample()).await;
    payments.refund(Refund { amount: 3 }).await.unwrap();
    assert_eq!(payments.total(), 2);
}

#[tokio::test]
async fn event_enum_parses_a_verified_delivery() {
    let payments = Payments::default();
    let fake = Payments::fakes().refund().with(|refund| refund.amount = 9);
    let (headers, body) = fake.to_parts();
    let request = webhook_core::Request::new(headers, body);
    let verified = webhook_core::Verified::check(
        &ModemPay::default(),
        &[test_secret()],
        request,
        std::time::SystemTime::now(),
    )
    .unwrap();
    match PaymentsEvent::try_from(&verified).unwrap() {
        PaymentsEvent::Refund(refund) => payments.refund(refund).await.unwrap(),
        _ => panic!("a refund delivery parses into `PaymentsEvent::Refund`"),
    }
    assert_eq!(payments.log(), ["refund 9"]);
}

#[test]
fn fakes_carry_the_event_sample_then_the_user_sample_then_default() {
    let fakes = Payments::fakes();
    assert_eq!(
        fakes.charge_succeeded().payload_ref(),
        &ChargeSucceeded::sample()
    );
    assert_eq!(fakes.customer().payload_ref(), &NewCustomer::sample());
    assert_eq!(fakes.refund().payload_ref(), &Refund::default());
    assert_eq!(
        Flaky::fakes().charge_failed().payload_ref(),
        &serde_json::json!({})
    );
}

#[tokio::test]
async fn fakes_are_signed_and_their_broken_variants_refused() {
    let payments = Payments::default();
    let log = payments.log.clone();
    let receiver = receiver(payments);
    let status = |answer: webhook_core::Answer| answer.status().as_u16();
    assert_eq!(
        status(Payments::fakes().charge_succeeded().send(&receiver).await),
        200
    );
    assert_eq!(
        status(
            Payments::fakes()
                .charge_succeeded()
                .tampered()
                .send(&receiver)
                .await
        ),
        401
    );
    assert_eq!(
        status(
            Payments::fakes()
                .customer()
                .unsigned()
                .send(&receiver)
                .await
        ),
        401
    );
    assert_eq!(
        status(
            Payments::fakes()
                .refund()
                .wrong_secret()
                .send(&receiver)
                .await
        ),
        401
    );
    receiver.idle().await;
    assert_eq!(receiver.stats().bad_signature, 3);
    assert_eq!(log.lock().unwrap().len(), 1, "only the valid fake ran");
}

/// A block with no handler methods: a handler that routes nothing.
struct Nothing;

#[webhook_handler(provider = ModemPay)]
impl Nothing {}

#[tokio::test]
async fn empty_block_routes_nothing() {
    assert!(Nothing::EVENTS.is_empty());
    assert_eq!(Nothing.route("charge.succeeded"), None);
    let fake = FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({}),
    );
    let error = fake.run(&Nothing).await.unwrap_err();
    assert_eq!(error, DispatchError::Unrouted("charge.succeeded".into()));
}

/// Records the context of each attempt.
#[derive(Default)]
struct Intents {
    seen: Mutex<Vec<(String, u32, String)>>,
}

#[webhook_handler(provider = Bamotf)]
impl Intents {
    async fn succeeded(&self, _: PaymentIntentSucceeded, ctx: Context) {
        let seen = (
            ctx.event_id().to_owned(),
            ctx.attempt(),
            ctx.provider().to_owned(),
        );
        self.seen.lock().unwrap().push(seen);
    }
}

#[tokio::test]
async fn context_carries_the_dedupe_key_attempt_and_provider() {
    let intents = Intents::default();
    Intents::fakes()
        .succeeded()
        .id("job-42")
        .run(&intents)
        .await
        .unwrap();
    assert_eq!(
        *intents.seen.lock().unwrap(),
        [("job-42".to_owned(), 1, "bamotf".to_owned())]
    );
}

#[tokio::test]
async fn expired_bamotf_fake_is_refused() {
    let receiver = receiver(Intents::default());
    let answer = Intents::fakes().succeeded().expired().send(&receiver).await;
    assert_eq!(answer.status().as_u16(), 401);
}

/// Fails its first attempt at `charge.succeeded`, and every attempt at `charge.failed`.
#[derive(Default)]
struct Flaky {
    calls: Arc<AtomicU32>,
}

#[derive(Debug)]
struct Unavailable;

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ledger unavailable")
    }
}

#[webhook_handler(provider = ModemPay)]
impl Flaky {
    async fn charge_succeeded(&self, _: ChargeSucceeded) -> Result<(), Unavailable> {
        match self.calls.fetch_add(1, Ordering::SeqCst) {
            0 => Err(Unavailable),
            _ => Ok(()),
        }
    }

    #[event("charge.failed", ack = "after_handler")]
    async fn charge_failed(&self, _: serde_json::Value) -> Result<(), Unavailable> {
        Err(Unavailable)
    }
}

#[tokio::test]
async fn failed_handler_is_retried_until_it_succeeds() {
    let flaky = Flaky::default();
    let calls = flaky.calls.clone();
    let receiver = Receiver::builder(flaky)
        .secret(test_secret())
        .retry(RetryPolicy::default().base_delay(Duration::from_millis(1)))
        .build();
    let answer = Flaky::fakes().charge_succeeded().send(&receiver).await;
    receiver.idle().await;
    assert_eq!(answer.status().as_u16(), 200);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn ack_after_handler_answers_500_when_the_handler_fails() {
    assert_eq!(
        Flaky::default().route("charge.failed"),
        Some(Ack::AfterHandler)
    );
    let receiver = receiver(Flaky::default());
    let answer = Flaky::fakes().charge_failed().send(&receiver).await;
    assert_eq!(
        (answer.status().as_u16(), answer.reason()),
        (500, "handler failed")
    );
}
