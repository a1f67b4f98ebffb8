//! No configured secret ever leaves the process: not in a log line, an error, a `Debug`
//! output, an answer, or a dead letter, on any path a delivery can take.
//!
//! Every provider's receiver (with two secrets, as during a rotation) is driven through
//! every outcome — valid, tampered, unsigned, wrong secret, expired, malformed body,
//! oversized, unrouted, duplicate, full sink, handler error, handler panic, a secret the
//! scheme cannot use — while a subscriber captures everything at TRACE. Then each text
//! the framework produced is searched for each secret, raw and hex- and base64-encoded
//! (and, for `whsec_` secrets, the decoded key in those encodings).

mod common;

use std::marker::PhantomData;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use bytes::Bytes;
use common::Captured;
use http::HeaderMap;
use serde_json::json;
use tokio::sync::Semaphore;
use tracing_subscriber::fmt::format::FmtSpan;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::{Bamotf, CustomProvider, GitHub, ModemPay, StandardWebhooks, Stripe};
use webhook_core::scheme::{HmacScheme, Scheme, SignInput, StandardWebhooksScheme};
use webhook_core::testing::FakeDelivery;
use webhook_core::{
    Ack, Answer, Context, DispatchError, Envelope, EnvelopeError, Handler, MemorySink, Provider,
    Receiver, Request, RetryPolicy, Secret, Verified,
};

/// The secret deliveries are signed with; base64 after `whsec_`, so every scheme takes it.
const CURRENT: &str = "whsec_Y3VycmVudC1zaWduaW5nLWtleS0zMWQ0ZTk=";
/// The secret being rotated out, also configured.
const PREVIOUS: &str = "whsec_cHJldmlvdXMtc2lnbmluZy1rZXktN2E5YzBi";
/// A secret no scheme that decodes base64 can use.
const UNUSABLE: &str = "whsec_!!unusable-secret-8b2f71!!";

/// The body limit of the oversized path.
const LIMIT: usize = 64 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_logs_answers_errors_debug_output_or_dead_letters() {
    let logs = capture_logs();
    let mut texts = Vec::new();
    texts.extend(drive(ModemPay::default()).await);
    texts.extend(drive(Bamotf::default()).await);
    texts.extend(drive(StandardWebhooks::default()).await);
    texts.extend(drive(Stripe::default()).await);
    texts.extend(drive(GitHub::default()).await);
    texts.extend(drive(Acme::default()).await);
    texts.extend(unusable_secret().await);
    texts.extend([CURRENT, PREVIOUS, UNUSABLE].map(|s| format!("{:?}", secret(s))));

    let logs = logs.text();
    // The capture is live and saw every path, so its silence about secrets means something.
    for expected in [
        "signature rejected",
        "verified body is not a valid envelope",
        "duplicate delivery",
        "no handler routes this event type",
        "sink refused the delivery",
        "handler failed",
        "handler panicked",
        "event dead-lettered",
        "configured secret is not valid",
    ] {
        assert!(
            logs.contains(expected),
            "the captured logs have no `{expected}`"
        );
    }
    texts.push(logs);
    for secret in [CURRENT, PREVIOUS, UNUSABLE] {
        for form in forms(secret) {
            for text in &texts {
                assert!(
                    !text.contains(&form),
                    "secret `{secret}` leaked as `{form}` in:\n{text}"
                );
            }
        }
    }
}

#[test]
fn every_form_of_a_secret_is_searched_for() {
    let forms = forms(CURRENT);
    let key = STANDARD.decode(&CURRENT["whsec_".len()..]).unwrap();
    for leaked in [
        CURRENT.to_owned(),
        hex::encode(CURRENT),
        hex::encode_upper(CURRENT),
        STANDARD.encode(CURRENT),
        URL_SAFE_NO_PAD.encode(CURRENT),
        hex::encode(&key),
        String::from_utf8(key).unwrap(),
    ] {
        assert!(forms.contains(&leaked), "`{leaked}` is not searched for");
    }
}

// ---------------------------------------------------------------------------------
// Driving one provider through every path

/// Sends every kind of delivery through a receiver of `P` and returns every text the
/// framework produced about them (answers, rejections, dead letters, `Debug` output).
async fn drive<P: Provider + Default + Clone>(provider: P) -> Vec<String> {
    let gate = Arc::new(Semaphore::new(0));
    let (receiver, sink) = receiver::<P>(&gate, 16);
    let mut texts = vec![
        format!("{receiver:?}"),
        format!("{sink:?}"),
        format!("{provider:?}"),
    ];
    let fake = |event: &str| {
        FakeDelivery::new(
            provider.clone(),
            event,
            json!({ "id": format!("{event}-1"), "amount": 500 }),
        )
        .secret(secret(CURRENT))
    };

    let valid = fake("charge.succeeded");
    let refused = [
        fake("charge.succeeded").tampered(),
        fake("charge.succeeded").unsigned(),
        fake("charge.succeeded").wrong_secret(),
        fake("charge.succeeded").expired(),
    ];
    for delivery in refused {
        texts.push(format!("{delivery:?}"));
        texts.extend(rejection(&provider, delivery.to_parts()));
        texts.push(answer(delivery.send(&receiver).await));
    }
    let deliveries = [
        valid.clone(),
        valid,
        fake("customer.created"),
        fake("charge.failed"),
        fake("charge.panicked"),
        fake("charge.after"),
    ];
    for delivery in deliveries {
        texts.push(answer(delivery.send(&receiver).await));
    }
    let malformed = signed(&provider, b"{\"event\":");
    texts.extend(rejection(&provider, malformed.clone()));
    texts.push(answer(
        receiver
            .receive(Request::new(malformed.0, malformed.1))
            .await,
    ));
    let oversized = Request::new(HeaderMap::new(), vec![b' '; LIMIT + 1]);
    texts.push(answer(receiver.receive(oversized).await));
    texts.extend(full_sink(&provider).await);

    receiver.idle().await;
    let dead = sink.dead_letters();
    assert_eq!(
        dead.len(),
        2,
        "{}: the failing and the panicking handler",
        provider.name()
    );
    for letter in dead {
        texts.push(format!(
            "{} {:?} {letter:?}",
            letter.error(),
            letter.error()
        ));
    }
    texts.push(format!("{:?}", receiver.stats()));
    texts
}

/// Fills a one-slot sink, then sends one more: 503.
async fn full_sink<P: Provider + Default + Clone>(provider: &P) -> Vec<String> {
    let gate = Arc::new(Semaphore::new(0));
    let (receiver, _sink) = receiver::<P>(&gate, 1);
    let event = |id: &str| {
        FakeDelivery::new(provider.clone(), "charge.blocked", json!({ "id": id }))
            .secret(secret(CURRENT))
    };
    let answers = vec![
        answer(event("held").send(&receiver).await),
        answer(event("refused").send(&receiver).await),
    ];
    assert!(
        answers[1].contains("503"),
        "{}: {answers:?}",
        provider.name()
    );
    gate.add_permits(1);
    receiver.idle().await;
    answers
}

/// A Standard Webhooks receiver whose only secret does not decode.
async fn unusable_secret() -> Vec<String> {
    let scheme = StandardWebhooksScheme::new();
    let headers = scheme.sign_at(
        &secret(CURRENT),
        b"{}",
        SignInput {
            now: SystemTime::now(),
            id: None,
        },
    );
    let error = scheme
        .verify(&[secret(UNUSABLE)], &headers, b"{}")
        .unwrap_err();
    let (receiver, _sink) =
        receiver_with::<StandardWebhooks>(&Arc::new(Semaphore::new(0)), 4, &[UNUSABLE]);
    let delivery = FakeDelivery::new(StandardWebhooks::default(), "charge.succeeded", json!({}))
        .secret(secret(CURRENT));
    vec![
        format!("{error} {error:?}"),
        answer(delivery.send(&receiver).await),
        format!("{receiver:?}"),
    ]
}

/// The rejection `Verified::check` gives `parts`, as Display and Debug (none if accepted).
fn rejection(provider: &dyn Provider, (headers, body): (HeaderMap, Bytes)) -> Option<String> {
    let secrets = [secret(PREVIOUS), secret(CURRENT)];
    let request = Request::new(headers, body);
    let rejection = Verified::check(provider, &secrets, request, SystemTime::now()).err()?;
    Some(format!("{rejection} {rejection:?}"))
}

/// `body`, whatever it holds, with the provider's envelope headers, signed now.
fn signed(provider: &dyn Provider, body: &[u8]) -> (HeaderMap, Bytes) {
    let (_, mut headers) = provider.compose("charge.succeeded", &json!({}), "d-1");
    let input = SignInput {
        now: SystemTime::now(),
        id: Some("msg_1"),
    };
    headers.extend(provider.scheme().sign_at(&secret(CURRENT), body, input));
    (headers, Bytes::copy_from_slice(body))
}

/// What a sender sees of an answer: its status, reason and `Retry-After`, and its `Debug`.
fn answer(answer: Answer) -> String {
    format!(
        "{} {} {:?} {answer:?}",
        answer.status(),
        answer.reason(),
        answer.retry_after_secs()
    )
}

fn secret(text: &str) -> Secret {
    Secret::new(text).unwrap()
}

// ---------------------------------------------------------------------------------
// The receiver and its handler

fn receiver<P: Provider + Default>(
    gate: &Arc<Semaphore>,
    capacity: usize,
) -> (Receiver, MemorySink) {
    receiver_with::<P>(gate, capacity, &[PREVIOUS, CURRENT])
}

fn receiver_with<P: Provider + Default>(
    gate: &Arc<Semaphore>,
    capacity: usize,
    secrets: &[&str],
) -> (Receiver, MemorySink) {
    let sink = MemorySink::new().capacity(capacity).workers(2);
    let retry = RetryPolicy::default()
        .max_attempts(2)
        .base_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(1));
    let receiver = Receiver::builder(Paths::<P> {
        gate: Arc::clone(gate),
        provider: PhantomData,
    })
    .secrets(secrets.iter().copied().map(secret))
    .sink(sink.clone())
    .body_limit(LIMIT)
    .retry(retry)
    .build();
    (receiver, sink)
}

/// A handler whose event types pick the path: succeed, fail, panic, wait on a gate, or
/// fail after the answer waited for it; every other type is unrouted.
struct Paths<P> {
    gate: Arc<Semaphore>,
    provider: PhantomData<fn() -> P>,
}

impl<P: Provider + Default> Handler for Paths<P> {
    type Provider = P;
    const EVENTS: &'static [&'static str] = &[
        "charge.succeeded",
        "charge.failed",
        "charge.panicked",
        "charge.blocked",
        "charge.after",
    ];

    fn route(&self, event_type: &str) -> Option<Ack> {
        match event_type {
            "charge.after" => Some(Ack::AfterHandler),
            other => Self::EVENTS.contains(&other).then_some(Ack::Immediate),
        }
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            match delivery.event_type() {
                "charge.failed" | "charge.after" => {
                    Err(DispatchError::failed("the ledger is down"))
                }
                "charge.panicked" => panic!("the handler has a bug"),
                "charge.blocked" => {
                    let _open = self.gate.acquire().await.expect("the gate stays open");
                    Ok(())
                }
                _ => Ok(()),
            }
        })
    }
}

/// A custom provider (`CustomProvider` has no `Default`, which a handler's provider needs).
#[derive(Debug, Clone)]
struct Acme(CustomProvider);

impl Default for Acme {
    fn default() -> Self {
        let scheme = HmacScheme::builder("x-acme-signature")
            .prefix("v1=")
            .signed_content("{timestamp}.{body}".parse().unwrap())
            .timestamp_header(
                "x-acme-timestamp",
                webhook_core::scheme::TimestampUnit::Seconds,
            )
            .build()
            .unwrap();
        Self(CustomProvider::new("acme", scheme))
    }
}

impl Provider for Acme {
    fn name(&self) -> &str {
        self.0.name()
    }

    fn scheme(&self) -> &dyn Scheme {
        self.0.scheme()
    }

    fn envelope(&self, headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        self.0.envelope(headers, body)
    }

    fn compose(
        &self,
        event_type: &str,
        data: &serde_json::Value,
        id: &str,
    ) -> (Vec<u8>, HeaderMap) {
        self.0.compose(event_type, data, id)
    }
}

// ---------------------------------------------------------------------------------
// The secret's forms, and the log capture

/// `secret` as text, hex (both cases) and base64 (standard and URL-safe, padded or not);
/// for a `whsec_` secret, the same for the base64 after the prefix and the key it decodes to.
fn forms(secret: &str) -> Vec<String> {
    let mut keys = vec![secret.as_bytes().to_vec()];
    if let Some(encoded) = secret.strip_prefix("whsec_") {
        keys.push(encoded.as_bytes().to_vec());
        keys.extend(STANDARD.decode(encoded));
    }
    let mut forms = Vec::new();
    for key in keys {
        forms.extend(String::from_utf8(key.clone()));
        forms.extend([hex::encode(&key), hex::encode_upper(&key)]);
        for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
            forms.push(engine.encode(&key));
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

/// Installs the capturing subscriber for the whole test binary, once.
fn capture_logs() -> Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED
        .get_or_init(|| {
            let captured = Captured::default();
            let subscriber = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::TRACE)
                .with_span_events(FmtSpan::FULL)
                .with_ansi(false)
                .with_writer(captured.clone())
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
            captured
        })
        .clone()
}
