//! One table of deliveries that every framework adapter must answer alike.
//!
//! Each [`Case`] names a receiver setup, the requests a sender makes, the reply each one
//! must get (status, body, `Retry-After`) and how many times the handler must have run
//! once the sink settles. The same table runs through `webhook-axum` (in process, with
//! `tower::ServiceExt::oneshot`) and `webhook-actix` (with `actix_web::test`), each case
//! on a fresh receiver. The handler waits on a gate that opens only after the last reply
//! came back, so a 200 with no handler finished yet proves the answer did not wait for
//! the handler (except under `ack = "after_handler"`, whose gate starts open).

use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, Method};
use http_body_util::BodyExt;
use tokio::sync::Semaphore;
use tower::ServiceExt;
use webhook_core::futures::future::BoxFuture;
use webhook_core::futures::stream::{self, Stream};
use webhook_core::providers::{Bamotf, ModemPay};
use webhook_core::scheme::SignInput;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Ack, Context, DispatchError, Handler, MemorySink, Provider, Receiver, Verified,
};

/// Where both adapters are mounted.
const MOUNT: &str = "/webhooks/hook";

/// The event types the handler routes (one per provider in the table).
const ROUTED: &[&str] = &["charge.succeeded", "payment_intent.succeeded"];

/// The body limit of the oversized cases.
const SMALL_LIMIT: usize = 1024;

// ---------------------------------------------------------------------------------
// The table

/// One behaviour both adapters must show.
struct Case {
    name: &'static str,
    setup: Setup,
    /// The requests, sent in order on one receiver.
    sends: fn() -> Vec<Delivery>,
    /// The reply each request must get, in the same order.
    replies: &'static [Reply],
    /// How many times the handler ran once the sink settled.
    handler_calls: usize,
}

const CASES: &[Case] = &[
    Case {
        name: "valid event answers 200 before the handler finishes",
        setup: Setup::DEFAULT,
        sends: || vec![charge("ch_1").into()],
        replies: &[Reply::text(200, "accepted")],
        handler_calls: 1,
    },
    Case {
        name: "tampered body answers 401 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || vec![charge("ch_1").tampered().into()],
        replies: &[Reply::text(401, "invalid signature")],
        handler_calls: 0,
    },
    Case {
        name: "missing signature answers 401 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || vec![charge("ch_1").unsigned().into()],
        replies: &[Reply::text(401, "invalid signature")],
        handler_calls: 0,
    },
    Case {
        name: "signature by another secret answers 401 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || vec![charge("ch_1").wrong_secret().into()],
        replies: &[Reply::text(401, "invalid signature")],
        handler_calls: 0,
    },
    Case {
        name: "malformed JSON signed correctly answers 400 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || {
            vec![signed_modem_pay(
                br#"{"event":"charge.succeeded","payload":{"id":"#,
            )]
        },
        replies: &[Reply::text(400, "malformed body")],
        handler_calls: 0,
    },
    Case {
        name: "body one byte over the limit answers 413 and runs nothing",
        setup: Setup {
            body_limit: SMALL_LIMIT,
            ..Setup::DEFAULT
        },
        sends: || {
            vec![Delivery::post(
                HeaderMap::new(),
                Body::Full(vec![b' '; SMALL_LIMIT + 1]),
            )]
        },
        replies: &[Reply::text(413, "payload too large")],
        handler_calls: 0,
    },
    Case {
        name: "endless body answers 413 once the limit is passed",
        setup: Setup {
            body_limit: SMALL_LIMIT,
            ..Setup::DEFAULT
        },
        sends: || vec![Delivery::post(HeaderMap::new(), Body::Endless)],
        replies: &[Reply::text(413, "payload too large")],
        handler_calls: 0,
    },
    Case {
        name: "unrouted event answers 200 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || vec![modem_pay("customer.created", "cus_1").into()],
        replies: &[Reply::text(200, "ignored")],
        handler_calls: 0,
    },
    Case {
        name: "duplicate answers 200 and the handler runs once",
        setup: Setup::DEFAULT,
        sends: || {
            let event = charge("ch_1");
            vec![event.clone().into(), event.into()]
        },
        replies: &[Reply::text(200, "accepted"), Reply::text(200, "duplicate")],
        handler_calls: 1,
    },
    Case {
        name: "full sink answers 503 with Retry-After",
        setup: Setup {
            capacity: 1,
            ..Setup::DEFAULT
        },
        sends: || vec![charge("ch_1").into(), charge("ch_2").into()],
        replies: &[
            Reply::text(200, "accepted"),
            Reply::retry(503, "overloaded", "5"),
        ],
        handler_calls: 1,
    },
    Case {
        name: "after_handler ack answers 200 once the handler succeeded",
        setup: Setup {
            ack: Ack::AfterHandler,
            ..Setup::DEFAULT
        },
        sends: || vec![charge("ch_1").into()],
        replies: &[Reply::text(200, "handled")],
        handler_calls: 1,
    },
    Case {
        name: "after_handler ack with a failing handler answers 500",
        setup: Setup {
            ack: Ack::AfterHandler,
            fails: true,
            ..Setup::DEFAULT
        },
        sends: || vec![charge("ch_1").into()],
        replies: &[Reply::text(500, "handler failed")],
        handler_calls: 1,
    },
    Case {
        name: "text/plain content type is accepted (bamotf sends it)",
        setup: Setup {
            sender: Sender::Bamotf,
            ..Setup::DEFAULT
        },
        sends: || vec![bamotf_text_plain()],
        replies: &[Reply::text(200, "accepted")],
        handler_calls: 1,
    },
    Case {
        name: "GET answers 405 and runs nothing",
        setup: Setup::DEFAULT,
        sends: || {
            vec![Delivery {
                method: Method::GET,
                ..charge("ch_1").into()
            }]
        },
        replies: &[Reply::empty(405)],
        handler_calls: 0,
    },
];

// ---------------------------------------------------------------------------------
// The adapters under test

#[tokio::test]
async fn axum_answers_every_case_as_the_table_says() {
    run_table("axum", |receiver, deliveries| async move {
        let app = axum::Router::new().nest(MOUNT, webhook_axum::router(receiver));
        let mut seen = Vec::new();
        for delivery in deliveries {
            let response = app.clone().oneshot(delivery.into_axum()).await.unwrap();
            seen.push(Seen::from_axum(response).await);
        }
        seen
    })
    .await;
}

#[actix_web::test]
async fn actix_answers_every_case_as_the_table_says() {
    use actix_web::test::{call_service, init_service};
    use actix_web::{App, web};

    run_table("actix", |receiver, deliveries| async move {
        let scope = web::scope(MOUNT).configure(webhook_actix::configure(receiver));
        let app = init_service(App::new().service(scope)).await;
        let mut seen = Vec::new();
        for delivery in deliveries {
            let (request, payload) = delivery.into_actix();
            let mut request = request.to_request();
            if let Some(payload) = payload {
                request = request.replace_payload(payload).0;
            }
            let response = call_service(&app, request).await;
            seen.push(Seen::from_actix(response).await);
        }
        seen
    })
    .await;
}

/// Runs every case through `adapter` (mount on `receiver`, send in order, report what
/// came back), then fails listing every case that did not hold.
async fn run_table<F, Fut>(adapter: &str, send_all: F)
where
    F: Fn(Receiver, Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Seen>>,
{
    let mut failures = Vec::new();
    for case in CASES {
        if let Err(failure) = run_case(case, &send_all).await {
            failures.push(format!("- {}: {failure}", case.name));
        }
    }
    assert!(
        failures.is_empty(),
        "{adapter} broke {} case(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

async fn run_case<F, Fut>(case: &Case, send_all: &F) -> Result<(), String>
where
    F: Fn(Receiver, Vec<Delivery>) -> Fut,
    Fut: Future<Output = Vec<Seen>>,
{
    let tally = Arc::new(Tally::new(case.setup));
    let receiver = case.setup.receiver(&tally);
    let sending = send_all(receiver.clone(), (case.sends)());
    let seen = within("the replies", sending).await?;

    let expected: Vec<Seen> = case.replies.iter().map(Reply::seen).collect();
    if seen != expected {
        return Err(format!("replies {seen:?}, expected {expected:?}"));
    }
    if case.setup.ack == Ack::Immediate && tally.finished() > 0 {
        return Err("a handler finished before the replies came back".to_owned());
    }
    tally.open_gate();
    within("the sink to settle", receiver.idle()).await?;
    match tally.calls() {
        calls if calls == case.handler_calls => Ok(()),
        calls => Err(format!(
            "handler ran {calls} time(s), expected {}",
            case.handler_calls
        )),
    }
}

async fn within<T>(what: &str, future: impl Future<Output = T>) -> Result<T, String> {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .map_err(|_| format!("timed out waiting for {what}"))
}

// ---------------------------------------------------------------------------------
// The receiver and its handler

/// How a case's receiver is built.
#[derive(Clone, Copy)]
struct Setup {
    sender: Sender,
    ack: Ack,
    fails: bool,
    capacity: usize,
    body_limit: usize,
}

#[derive(Clone, Copy)]
enum Sender {
    ModemPay,
    Bamotf,
}

impl Setup {
    const DEFAULT: Self = Self {
        sender: Sender::ModemPay,
        ack: Ack::Immediate,
        fails: false,
        capacity: 16,
        body_limit: 1024 * 1024,
    };

    fn receiver(self, tally: &Arc<Tally>) -> Receiver {
        match self.sender {
            Sender::ModemPay => self.build(Probe::<ModemPay>::new(self, tally)),
            Sender::Bamotf => self.build(Probe::<Bamotf>::new(self, tally)),
        }
    }

    fn build(self, handler: impl Handler) -> Receiver {
        Receiver::builder(handler)
            .secret(test_secret())
            .sink(MemorySink::new().capacity(self.capacity).workers(2))
            .body_limit(self.body_limit)
            .build()
    }
}

/// What the handler did, and the gate it waits on before finishing.
struct Tally {
    calls: AtomicUsize,
    finished: AtomicUsize,
    gate: Semaphore,
}

impl Tally {
    fn new(setup: Setup) -> Self {
        // An after_handler answer waits for the handler: its gate cannot wait for the answer.
        let open = if setup.ack == Ack::AfterHandler {
            Semaphore::MAX_PERMITS
        } else {
            0
        };
        Self {
            calls: AtomicUsize::new(0),
            finished: AtomicUsize::new(0),
            gate: Semaphore::new(open),
        }
    }

    fn open_gate(&self) {
        self.gate
            .add_permits(Semaphore::MAX_PERMITS - self.gate.available_permits());
    }

    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    fn finished(&self) -> usize {
        self.finished.load(Ordering::SeqCst)
    }
}

/// A hand-written handler for provider `P`: routes [`ROUTED`] with the setup's ack,
/// counts its calls, waits on the gate, then succeeds or fails as the setup says.
struct Probe<P> {
    tally: Arc<Tally>,
    ack: Ack,
    fails: bool,
    provider: PhantomData<fn() -> P>,
}

impl<P> Probe<P> {
    fn new(setup: Setup, tally: &Arc<Tally>) -> Self {
        Self {
            tally: Arc::clone(tally),
            ack: setup.ack,
            fails: setup.fails,
            provider: PhantomData,
        }
    }
}

impl<P: Provider + Default> Handler for Probe<P> {
    type Provider = P;
    const EVENTS: &'static [&'static str] = ROUTED;

    fn route(&self, event_type: &str) -> Option<Ack> {
        ROUTED.contains(&event_type).then_some(self.ack)
    }

    fn handle<'a>(
        &'a self,
        _: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            self.tally.calls.fetch_add(1, Ordering::SeqCst);
            let _open = self
                .tally
                .gate
                .acquire()
                .await
                .expect("the gate is never closed");
            self.tally.finished.fetch_add(1, Ordering::SeqCst);
            if self.fails {
                Err(DispatchError::failed("the probe fails as told"))
            } else {
                Ok(())
            }
        })
    }
}

// ---------------------------------------------------------------------------------
// Requests

/// A request as the sender makes it, before an adapter's test client takes it.
#[derive(Clone)]
struct Delivery {
    method: Method,
    headers: HeaderMap,
    body: Body,
}

#[derive(Clone)]
enum Body {
    Full(Vec<u8>),
    /// Never ends: only a reader that stops at the limit answers it.
    Endless,
}

impl Delivery {
    fn post(headers: HeaderMap, body: Body) -> Self {
        Self {
            method: Method::POST,
            headers,
            body,
        }
    }

    fn into_axum(self) -> axum::http::Request<axum::body::Body> {
        let body = match self.body {
            Body::Full(bytes) => axum::body::Body::from(bytes),
            Body::Endless => axum::body::Body::from_stream(chunks::<std::convert::Infallible>()),
        };
        let mut request = axum::http::Request::builder()
            .method(self.method)
            .uri(MOUNT)
            .body(body)
            .unwrap();
        *request.headers_mut() = self.headers;
        request
    }

    /// The actix test request, and for an endless body the payload that replaces its
    /// own (`actix_web::test` only takes full bodies).
    fn into_actix(
        self,
    ) -> (
        actix_web::test::TestRequest,
        Option<actix_web::dev::Payload>,
    ) {
        use actix_web::error::PayloadError;

        let method = actix_web::http::Method::from_bytes(self.method.as_str().as_bytes()).unwrap();
        let mut request = actix_web::test::TestRequest::default()
            .method(method)
            .uri(MOUNT);
        for (name, value) in &self.headers {
            request = request.append_header((name.as_str(), value.as_bytes()));
        }
        match self.body {
            Body::Full(bytes) => (request.set_payload(bytes), None),
            Body::Endless => {
                let endless: Pin<Box<dyn Stream<Item = _>>> = Box::pin(chunks::<PayloadError>());
                (request, Some(endless.into()))
            }
        }
    }
}

fn chunks<E>() -> impl Stream<Item = Result<axum::body::Bytes, E>> + Send + 'static {
    stream::repeat_with(|| Ok(axum::body::Bytes::from_static(&[b'x'; 512])))
}

impl From<FakeDelivery<serde_json::Value>> for Delivery {
    fn from(fake: FakeDelivery<serde_json::Value>) -> Self {
        let (headers, body) = fake.to_parts();
        Self::post(headers, Body::Full(body.to_vec()))
    }
}

fn modem_pay(event_type: &str, id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        event_type,
        serde_json::json!({ "id": id, "amount": 500 }),
    )
}

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    modem_pay("charge.succeeded", id)
}

/// `body` signed by Modem Pay's real scheme with the test secret, whatever it holds.
fn signed_modem_pay(body: &[u8]) -> Delivery {
    let input = SignInput {
        now: SystemTime::now(),
        id: None,
    };
    let mut headers = ModemPay::default()
        .scheme()
        .sign_at(&test_secret(), body, input);
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Delivery::post(headers, Body::Full(body.to_vec()))
}

fn bamotf_text_plain() -> Delivery {
    let data = serde_json::json!({ "paymentIntent": { "id": "pi_1", "status": "succeeded" } });
    let mut delivery: Delivery =
        FakeDelivery::new(Bamotf::default(), "payment_intent.succeeded", data).into();
    delivery.headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain;charset=UTF-8"),
    );
    delivery
}

// ---------------------------------------------------------------------------------
// Replies

/// The reply a case expects.
struct Reply {
    status: u16,
    body: &'static str,
    retry_after: Option<&'static str>,
}

impl Reply {
    /// A decision of the receiver: its reason as a `text/plain` body.
    const fn text(status: u16, body: &'static str) -> Self {
        Self {
            status,
            body,
            retry_after: None,
        }
    }

    /// A decision asking the sender to retry later.
    const fn retry(status: u16, body: &'static str, after: &'static str) -> Self {
        Self {
            status,
            body,
            retry_after: Some(after),
        }
    }

    /// A framework's own answer (routing), with no body.
    const fn empty(status: u16) -> Self {
        Self {
            status,
            body: "",
            retry_after: None,
        }
    }

    fn seen(&self) -> Seen {
        let text_plain = !self.body.is_empty();
        Seen {
            status: self.status,
            content_type: text_plain.then(|| "text/plain; charset=utf-8".to_owned()),
            retry_after: self.retry_after.map(str::to_owned),
            body: self.body.to_owned(),
        }
    }
}

/// What came back, in the terms both frameworks share.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    /// Only for replies with a body: a bodiless 405 may carry either framework's default.
    content_type: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl Seen {
    async fn from_axum(response: axum::response::Response) -> Self {
        let (parts, body) = response.into_parts();
        let header = |name| {
            parts
                .headers
                .get(name)
                .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
        };
        let body = body.collect().await.unwrap().to_bytes();
        Self::new(
            parts.status.as_u16(),
            header(CONTENT_TYPE),
            header(RETRY_AFTER),
            &body,
        )
    }

    async fn from_actix(response: actix_web::dev::ServiceResponse) -> Self {
        use actix_web::http::header;

        let status = response.status().as_u16();
        let header = |name| {
            response
                .headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        let (content_type, retry_after) =
            (header(header::CONTENT_TYPE), header(header::RETRY_AFTER));
        let body = actix_web::body::to_bytes(response.into_body())
            .await
            .unwrap();
        Self::new(status, content_type, retry_after, &body)
    }

    fn new(
        status: u16,
        content_type: Option<String>,
        retry_after: Option<String>,
        body: &[u8],
    ) -> Self {
        let body = String::from_utf8(body.to_vec()).expect("replies are UTF-8");
        let content_type = content_type.filter(|_| !body.is_empty());
        Self {
            status,
            content_type,
            retry_after,
            body,
        }
    }
}
