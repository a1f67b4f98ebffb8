//! The receiver mounted as a route with `Router::route_service`, and the client address
//! that `router` passes on from `ConnectInfo`.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tower::ServiceExt;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

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

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({ "id": id }),
    )
}

fn at(path: &str, fake: FakeDelivery<serde_json::Value>) -> Request<Body> {
    let (mut parts, body) = fake.into_request().map(Body::from).into_parts();
    parts.uri = path.parse().unwrap();
    Request::from_parts(parts, body)
}

async fn answer(response: Response) -> (StatusCode, String) {
    let status = response.status();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(body.to_vec()).unwrap())
}

#[tokio::test]
async fn route_service_mounts_the_receiver_as_a_route() {
    let charges = Charges::default();
    let receiver = Receiver::builder(charges.clone())
        .secret(test_secret())
        .body_limit(1024)
        .build();
    let app: Router = Router::new().route_service("/webhooks/modem-pay", receiver.clone());

    let accepted = app
        .clone()
        .oneshot(at("/webhooks/modem-pay", charge("ch_1")))
        .await
        .unwrap();
    assert_eq!(answer(accepted).await, (StatusCode::OK, "accepted".into()));

    let tampered = app
        .clone()
        .oneshot(at("/webhooks/modem-pay", charge("ch_2").tampered()))
        .await
        .unwrap();
    assert_eq!(
        answer(tampered).await,
        (StatusCode::UNAUTHORIZED, "invalid signature".into())
    );

    let large = Request::post("/webhooks/modem-pay")
        .body(Body::from(vec![b' '; 2048]))
        .unwrap();
    let large = app.oneshot(large).await.unwrap();
    assert_eq!(
        answer(large).await,
        (StatusCode::PAYLOAD_TOO_LARGE, "payload too large".into())
    );

    receiver.idle().await;
    assert_eq!(charges.handled.load(Ordering::SeqCst), 1);
    let statuses: Vec<u16> = receiver.refused().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413, 401]);
}

#[tokio::test]
async fn router_served_with_connect_info_records_the_client_address() {
    let receiver = Receiver::builder(Charges::default())
        .secret(test_secret())
        .build();
    let app = Router::new().nest(
        "/webhooks/modem-pay",
        webhook_axum::router(receiver.clone()),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).await.unwrap();
    });

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let client = stream.local_addr().unwrap();
    let request = format!(
        "POST /webhooks/modem-pay HTTP/1.1\r\nhost: {addr}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).await.unwrap();
    assert!(reply.starts_with("HTTP/1.1 401"), "{reply}");
    assert!(reply.ends_with("invalid signature"), "{reply}");

    let refused = receiver.refused();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].source, Some(client));
    assert_eq!(refused[0].check, Some("missing_header"));
    assert_eq!(refused[0].size, Some(2));
    server.abort();
}
