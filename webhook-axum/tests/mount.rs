//! The router mounted the ways an app mounts it: nested next to other routes and
//! state, merged, and past its body limit.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use http_body_util::BodyExt;
use tower::ServiceExt;
use webhook_core::futures::future::BoxFuture;
use webhook_core::futures::stream;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

/// Counts the `charge.succeeded` events it handles.
#[derive(Clone, Default)]
struct Charges {
    handled: Arc<AtomicUsize>,
}

impl Handler for Charges {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        Self::EVENTS.contains(&event_type).then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        _: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        self.handled.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

#[derive(Clone)]
struct AppState {
    name: &'static str,
}

fn receiver(charges: &Charges, body_limit: usize) -> Receiver {
    Receiver::builder(charges.clone())
        .secret(test_secret())
        .body_limit(body_limit)
        .build()
}

fn app(receiver: Receiver) -> Router {
    Router::new()
        .route(
            "/name",
            get(|State(state): State<AppState>| async move { state.name }),
        )
        .nest("/webhooks/modem-pay", webhook_axum::router(receiver))
        .with_state(AppState { name: "shop" })
}

fn charge(id: &str) -> Request<Body> {
    let fake = FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({ "id": id }),
    );
    fake.into_request().map(Body::from)
}

fn at(path: &str, request: Request<Body>) -> Request<Body> {
    let (mut parts, body) = request.into_parts();
    parts.uri = path.parse().expect("a valid path");
    Request::from_parts(parts, body)
}

async fn text(response: Response) -> String {
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body reads")
        .to_bytes();
    String::from_utf8(body.to_vec()).expect("the body is UTF-8")
}

#[tokio::test]
async fn nested_router_takes_signed_deliveries_beside_the_apps_routes_and_state() {
    let charges = Charges::default();
    let receiver = receiver(&charges, 1024 * 1024);
    let app = app(receiver.clone());

    let response = app
        .clone()
        .oneshot(at("/webhooks/modem-pay", charge("ch_1")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/plain; charset=utf-8"
    );
    assert_eq!(text(response).await, "accepted");

    let own_route = Request::get("/name").body(Body::empty()).unwrap();
    let response = app.oneshot(own_route).await.unwrap();
    assert_eq!(text(response).await, "shop");

    receiver.idle().await;
    assert_eq!(charges.handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn other_methods_on_the_mount_point_answer_405() {
    let charges = Charges::default();
    let app = app(receiver(&charges, 1024));
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/webhooks/modem-pay");
        let response = app
            .clone()
            .oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
}

#[tokio::test]
async fn merged_router_answers_on_the_apps_root() {
    let charges = Charges::default();
    let receiver = receiver(&charges, 1024 * 1024);
    let app: Router = Router::new()
        .route("/health", get(|| async { "ok" }))
        .merge(webhook_axum::router(receiver.clone()));

    let response = app.oneshot(charge("ch_2")).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    receiver.idle().await;
    assert_eq!(charges.handled.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn endless_body_answers_413_once_the_limit_is_passed() {
    let charges = Charges::default();
    let app = app(receiver(&charges, 4096));
    let chunk = Bytes::from_static(&[b'x'; 1024]);
    let endless = stream::repeat(Ok::<_, Infallible>(chunk));
    let request = Request::post("/webhooks/modem-pay")
        .body(Body::from_stream(endless))
        .unwrap();

    let response = tokio::time::timeout(Duration::from_secs(10), app.oneshot(request))
        .await
        .expect("the limit stops the read")
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(text(response).await, "payload too large");
    assert_eq!(charges.handled.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn body_at_the_limit_is_read_and_one_byte_more_is_not() {
    let request = charge("ch_3");
    let limit = body_len(&request);
    let (parts, body) = request.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let request = || {
        at(
            "/webhooks/modem-pay",
            Request::from_parts(parts.clone(), Body::from(body.clone())),
        )
    };

    let at_limit = app(receiver(&Charges::default(), limit))
        .oneshot(request())
        .await
        .unwrap();
    assert_eq!(at_limit.status(), StatusCode::OK);
    let over = app(receiver(&Charges::default(), limit - 1))
        .oneshot(request())
        .await
        .unwrap();
    assert_eq!(over.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

fn body_len(request: &Request<Body>) -> usize {
    use axum::body::HttpBody;
    let size = request
        .body()
        .size_hint()
        .exact()
        .expect("a full body has a known size");
    usize::try_from(size).expect("a test body fits in memory")
}

#[tokio::test]
async fn trailing_slash_is_not_the_mount_point() {
    let app = app(receiver(&Charges::default(), 1024 * 1024));
    let response = app
        .oneshot(at("/webhooks/modem-pay/", charge("ch_4")))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn limit_an_outer_layer_put_on_the_body_also_answers_413() {
    let charges = Charges::default();
    let app = app(receiver(&charges, 1024 * 1024));
    let (parts, body) = at("/webhooks/modem-pay", charge("ch_5")).into_parts();
    // What tower-http's `RequestBodyLimit` does to a body without a `Content-Length`.
    let outer = Body::new(http_body_util::Limited::new(body, 8));

    let response = app
        .oneshot(Request::from_parts(parts, outer))
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(charges.handled.load(Ordering::SeqCst), 0);
}
