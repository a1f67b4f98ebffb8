//! The documented shutdown order on a real server: axum's graceful shutdown first, then
//! `Receiver::shutdown`, loses no accepted event and takes no new one.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, oneshot};
use tower::ServiceExt;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

/// Handles `charge.succeeded` once its gate opens, counting what it finished.
#[derive(Clone)]
struct GatedCharges {
    gate: Arc<Semaphore>,
    finished: Arc<AtomicUsize>,
}

impl Handler for GatedCharges {
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
        Box::pin(async move {
            let _open = self.gate.acquire().await.expect("the gate is never closed");
            self.finished.fetch_add(1, Ordering::SeqCst);
            Ok(())
        })
    }
}

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({ "id": id }),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_then_drain_handles_every_accepted_event() {
    let charges = GatedCharges {
        gate: Arc::new(Semaphore::new(0)),
        finished: Arc::default(),
    };
    let receiver = Receiver::builder(charges.clone())
        .secret(test_secret())
        .build();
    let app = Router::new().nest(
        "/webhooks/modem-pay",
        webhook_axum::router(receiver.clone()),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stop_requested) = oneshot::channel::<()>();
    let server = tokio::spawn(
        axum::serve(listener, app.clone())
            .with_graceful_shutdown(async move { stop_requested.await.unwrap_or(()) })
            .into_future(),
    );

    for n in 0..5 {
        assert_eq!(
            send(address, &charge(&format!("ch_{n}"))).await,
            (200, "accepted".to_owned())
        );
    }
    stop.send(()).unwrap();
    server.await.unwrap().expect("the server stopped cleanly");
    assert_eq!(
        charges.finished.load(Ordering::SeqCst),
        0,
        "the handlers are still waiting"
    );

    charges.gate.add_permits(Semaphore::MAX_PERMITS);
    receiver.shutdown(Duration::from_secs(10)).await;
    assert_eq!(charges.finished.load(Ordering::SeqCst), 5);

    // Intake is closed: a delivery that still reached the router is refused for a retry.
    let late = charge("ch_late").into_request().map(Body::from);
    let (mut parts, body) = late.into_parts();
    parts.uri = "/webhooks/modem-pay".parse().unwrap();
    let response = app.oneshot(Request::from_parts(parts, body)).await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "5");
}

/// POSTs `fake` over a fresh HTTP/1.1 connection: the status and body that come back.
async fn send(address: SocketAddr, fake: &FakeDelivery<serde_json::Value>) -> (u16, String) {
    let (headers, body) = fake.to_parts();
    let mut request = format!(
        "POST /webhooks/modem-pay HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
        body.len()
    );
    for (name, value) in &headers {
        request += &format!(
            "{name}: {}\r\n",
            value.to_str().expect("fake headers are ASCII")
        );
    }
    request += "\r\n";

    let mut stream = TcpStream::connect(address)
        .await
        .expect("the server listens");
    stream.write_all(request.as_bytes()).await.unwrap();
    stream.write_all(&body).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();

    let status = response[9..12].parse().expect("a status line");
    let (_, body) = response.split_once("\r\n\r\n").expect("headers end");
    (status, body.to_owned())
}
