//! The `Webhook<P, T>` extractor: verified and parsed with the secrets of the app state,
//! or refused with the receiver's statuses before the handler runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{FromRef, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::{HeaderValue, Request, StatusCode};
use axum::routing::post;
use http_body_util::BodyExt;
use serde::Deserialize;
use tower::ServiceExt;
use webhook_axum::{Webhook, WebhookSecrets};
use webhook_core::Provider;
use webhook_core::futures::stream;
use webhook_core::providers::ModemPay;
use webhook_core::scheme::SignInput;
use webhook_core::testing::{FakeDelivery, test_secret};

const LIMIT: usize = 1024;

#[derive(Clone)]
struct AppState {
    shop: &'static str,
    modem_pay: WebhookSecrets<ModemPay>,
    handled: Arc<AtomicUsize>,
}

impl FromRef<AppState> for WebhookSecrets<ModemPay> {
    fn from_ref(state: &AppState) -> Self {
        state.modem_pay.clone()
    }
}

/// The part of a charge this app reads.
#[derive(Deserialize)]
struct Charge {
    id: String,
    amount: u64,
}

async fn charge(State(state): State<AppState>, webhook: Webhook<ModemPay, Charge>) -> String {
    state.handled.fetch_add(1, Ordering::SeqCst);
    let Webhook {
        payload, delivery, ..
    } = webhook;
    format!(
        "{} {} {} {}",
        state.shop,
        delivery.event_type(),
        payload.id,
        payload.amount
    )
}

fn app() -> (Router, Arc<AtomicUsize>) {
    let handled = Arc::new(AtomicUsize::new(0));
    let state = AppState {
        shop: "shop",
        modem_pay: WebhookSecrets::new(ModemPay::default(), [test_secret()]).body_limit(LIMIT),
        handled: Arc::clone(&handled),
    };
    let app = Router::new()
        .route("/webhooks/modem-pay", post(charge))
        .with_state(state);
    (app, handled)
}

fn fake(data: serde_json::Value) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(ModemPay::default(), "charge.succeeded", data)
}

fn request(fake: FakeDelivery<serde_json::Value>) -> Request<Body> {
    let (headers, body) = fake.to_parts();
    with(headers, Body::from(body))
}

fn with(headers: axum::http::HeaderMap, body: Body) -> Request<Body> {
    let mut request = Request::post("/webhooks/modem-pay").body(body).unwrap();
    *request.headers_mut() = headers;
    request
}

/// `body` signed by Modem Pay's scheme with the test secret, whatever it holds.
fn signed(body: &'static [u8]) -> Request<Body> {
    let input = SignInput {
        now: SystemTime::now(),
        id: None,
    };
    let headers = ModemPay::default()
        .scheme()
        .sign_at(&test_secret(), body, input);
    with(headers, Body::from(body))
}

/// Sends `request`; the status, the content type and the body, and whether the
/// handler ran.
async fn send(request: Request<Body>) -> (StatusCode, Option<String>, String, usize) {
    let (app, handled) = app();
    let response = app.oneshot(request).await.unwrap();
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = String::from_utf8(body.to_vec()).unwrap();
    (status, content_type, body, handled.load(Ordering::SeqCst))
}

fn refused(status: StatusCode, reason: &str) -> (StatusCode, Option<String>, String, usize) {
    let text_plain = Some("text/plain; charset=utf-8".to_owned());
    (status, text_plain, reason.to_owned(), 0)
}

#[tokio::test]
async fn a_signed_delivery_reaches_the_handler_verified_and_parsed() {
    let valid = fake(serde_json::json!({ "id": "ch_1", "amount": 500 }));
    let (status, _, body, handled) = send(request(valid)).await;
    assert_eq!(
        (status, body.as_str()),
        (StatusCode::OK, "shop charge.succeeded ch_1 500")
    );
    assert_eq!(handled, 1);
}

#[tokio::test]
async fn a_bad_signature_is_refused_with_401() {
    let data = serde_json::json!({ "id": "ch_1", "amount": 500 });
    for bad in [
        fake(data.clone()).tampered(),
        fake(data.clone()).unsigned(),
        fake(data).wrong_secret(),
    ] {
        assert_eq!(
            send(request(bad)).await,
            refused(StatusCode::UNAUTHORIZED, "invalid signature")
        );
    }
}

#[tokio::test]
async fn a_signed_body_that_is_not_an_envelope_is_refused_with_400() {
    assert_eq!(
        send(signed(b"{not json")).await,
        refused(StatusCode::BAD_REQUEST, "malformed body")
    );
    assert_eq!(
        send(signed(br#"{"payload":{"id":"ch_1"}}"#)).await,
        refused(StatusCode::BAD_REQUEST, "malformed body")
    );
}

#[tokio::test]
async fn a_payload_that_is_not_the_handlers_type_is_refused_with_400() {
    let wrong = fake(serde_json::json!({ "id": "ch_1", "amount": "lots" }));
    assert_eq!(
        send(request(wrong)).await,
        refused(StatusCode::BAD_REQUEST, "malformed body")
    );
}

#[tokio::test]
async fn a_body_over_the_limit_is_refused_with_413() {
    let large = fake(serde_json::json!({ "id": "ch_1", "amount": 5, "note": "x".repeat(LIMIT) }));
    assert_eq!(
        send(request(large.clone())).await,
        refused(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
    );

    // Streamed with no length: refused once the limit is passed.
    let (headers, body) = large.to_parts();
    let chunks: Vec<Result<Bytes, std::io::Error>> =
        body.chunks(100).map(|c| Ok(body.slice_ref(c))).collect();
    let streamed = with(headers.clone(), Body::from_stream(stream::iter(chunks)));
    assert_eq!(
        send(streamed).await,
        refused(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
    );

    // Declared too large: refused before reading.
    let mut declared = with(
        headers,
        Body::from_stream(stream::pending::<Result<Bytes, std::io::Error>>()),
    );
    declared
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(LIMIT + 1));
    assert_eq!(
        send(declared).await,
        refused(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
    );
}

#[tokio::test]
async fn a_body_that_fails_midway_is_refused_with_400() {
    let (headers, body) = fake(serde_json::json!({ "id": "ch_1", "amount": 5 })).to_parts();
    let broken = stream::iter([
        Ok(body.slice(..4)),
        Err(std::io::Error::other("connection reset")),
    ]);
    assert_eq!(
        send(with(headers, Body::from_stream(broken))).await,
        refused(StatusCode::BAD_REQUEST, "body could not be read")
    );
}
