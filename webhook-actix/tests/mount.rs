//! The configuration mounted the ways an app mounts it: in a scope next to other routes
//! and app data, on the app's root, past its body limit, and in a real multi-worker
//! server sharing one receiver.

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::body::to_bytes;
use actix_web::dev::{Payload, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::{Method, StatusCode, header};
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpServer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use webhook_core::futures::future::BoxFuture;
use webhook_core::futures::stream::{self, Stream};
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

/// Counts the `charge.succeeded` events it handles and the threads it ran on.
#[derive(Clone, Default)]
struct Charges {
    handled: Arc<AtomicUsize>,
    threads: Arc<Mutex<Vec<String>>>,
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
        let thread = std::thread::current()
            .name()
            .unwrap_or("unnamed")
            .to_owned();
        self.threads.lock().unwrap().push(thread);
        self.handled.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

impl Charges {
    fn handled(&self) -> usize {
        self.handled.load(Ordering::SeqCst)
    }
}

fn receiver(charges: &Charges, body_limit: usize) -> Receiver {
    Receiver::builder(charges.clone())
        .secret(test_secret())
        .body_limit(body_limit)
        .build()
}

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({ "id": id }),
    )
}

fn post(path: &str, fake: &FakeDelivery<serde_json::Value>) -> TestRequest {
    let (headers, body) = fake.to_parts();
    let mut request = TestRequest::post().uri(path).set_payload(body);
    for (name, value) in &headers {
        request = request.append_header((name.as_str(), value.as_bytes()));
    }
    request
}

async fn text(response: ServiceResponse) -> String {
    let body = to_bytes(response.into_body())
        .await
        .expect("the body reads");
    String::from_utf8(body.to_vec()).expect("the body is UTF-8")
}

#[actix_web::test]
async fn scoped_configuration_takes_signed_deliveries_beside_the_apps_routes_and_data() {
    let charges = Charges::default();
    let receiver = receiver(&charges, 1024 * 1024);
    let app = App::new()
        .app_data(web::Data::new("shop"))
        .route(
            "/name",
            web::get().to(|name: web::Data<&'static str>| async move { *name.get_ref() }),
        )
        .service(
            web::scope("/webhooks/modem-pay").configure(webhook_actix::configure(receiver.clone())),
        );
    let app = init_service(app).await;

    let response = call_service(
        &app,
        post("/webhooks/modem-pay", &charge("ch_1")).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers().get(header::CONTENT_TYPE).unwrap(),
        "text/plain; charset=utf-8"
    );
    assert_eq!(text(response).await, "accepted");

    let response = call_service(&app, TestRequest::get().uri("/name").to_request()).await;
    assert_eq!(text(response).await, "shop");

    receiver.idle().await;
    assert_eq!(charges.handled(), 1);
}

#[actix_web::test]
async fn other_methods_on_the_scope_root_answer_405() {
    let receiver = receiver(&Charges::default(), 1024);
    let scope = web::scope("/webhooks/modem-pay").configure(webhook_actix::configure(receiver));
    let app = init_service(App::new().service(scope)).await;
    for method in [Method::GET, Method::PUT, Method::DELETE] {
        let request = TestRequest::default()
            .method(method.clone())
            .uri("/webhooks/modem-pay");
        let response = call_service(&app, request.to_request()).await;
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method}"
        );
    }
}

#[actix_web::test]
async fn configuration_on_the_app_root_answers_on_slash() {
    let charges = Charges::default();
    let receiver = receiver(&charges, 1024 * 1024);
    let app = init_service(App::new().configure(webhook_actix::configure(receiver.clone()))).await;

    let response = call_service(&app, post("/", &charge("ch_2")).to_request()).await;
    assert_eq!(response.status(), StatusCode::OK);
    let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    receiver.idle().await;
    assert_eq!(charges.handled(), 1);
}

#[actix_web::test]
async fn trailing_slash_is_not_the_mount_point() {
    let scope = web::scope("/webhooks/modem-pay").configure(webhook_actix::configure(receiver(
        &Charges::default(),
        1024,
    )));
    let app = init_service(App::new().service(scope)).await;
    let response = call_service(
        &app,
        post("/webhooks/modem-pay/", &charge("ch_4")).to_request(),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn endless_payload_answers_413_once_the_limit_is_passed() {
    let charges = Charges::default();
    let scope = web::scope("/webhooks/modem-pay")
        .configure(webhook_actix::configure(receiver(&charges, 4096)));
    let app = init_service(App::new().service(scope)).await;
    let (request, _) = TestRequest::post()
        .uri("/webhooks/modem-pay")
        .to_request()
        .replace_payload(endless());

    let response = tokio::time::timeout(Duration::from_secs(10), call_service(&app, request))
        .await
        .expect("the limit stops the read");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(text(response).await, "payload too large");
    assert_eq!(charges.handled(), 0);
}

fn endless() -> Payload {
    let chunks = stream::repeat_with(|| Ok::<_, PayloadError>(Bytes::from_static(&[b'x'; 1024])));
    let boxed: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(chunks);
    Payload::from(boxed)
}

#[actix_web::test]
async fn body_at_the_limit_is_read_and_one_byte_more_is_not() {
    let fake = charge("ch_3");
    let limit = fake.to_parts().1.len();
    for (limit, status) in [
        (limit, StatusCode::OK),
        (limit - 1, StatusCode::PAYLOAD_TOO_LARGE),
    ] {
        let configure = webhook_actix::configure(receiver(&Charges::default(), limit));
        let app = init_service(App::new().configure(configure)).await;
        let response = call_service(&app, post("/", &fake).to_request()).await;
        assert_eq!(response.status(), status, "limit {limit}");
    }
}

/// A real server with four actix workers: every delivery, whichever worker took it,
/// lands in the one receiver built on the test's runtime, and its handler runs on that
/// runtime's threads, never on an actix worker's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_worker_server_shares_one_receiver_and_drains_after_it_stops() {
    let charges = Charges::default();
    let receiver = receiver(&charges, 1024 * 1024);
    let webhooks = webhook_actix::configure(receiver.clone());
    let server = HttpServer::new(move || {
        App::new().service(web::scope("/hooks").configure(webhooks.clone()))
    })
    .workers(4)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .expect("a free port on loopback");
    let address = server.addrs()[0];
    let server = server.run();
    let handle = server.handle();
    let running = tokio::spawn(server);

    let fakes: Vec<_> = (0..8).map(|n| charge(&format!("ch_{n}"))).collect();
    for fake in &fakes {
        assert_eq!(
            send(address, "/hooks", fake).await,
            (200, "accepted".to_owned())
        );
    }
    // Redeliveries on fresh connections, likely to other workers: one dedupe memory.
    for fake in &fakes {
        assert_eq!(
            send(address, "/hooks", fake).await,
            (200, "duplicate".to_owned())
        );
    }

    handle.stop(true).await;
    running
        .await
        .expect("the server task ran")
        .expect("the server stopped cleanly");
    receiver.shutdown(Duration::from_secs(10)).await;

    assert_eq!(charges.handled(), fakes.len());
    let threads = charges.threads.lock().unwrap();
    assert!(
        threads.iter().all(|thread| !thread.starts_with("actix")),
        "handlers ran on {threads:?}"
    );
}

/// POSTs `fake` over a fresh HTTP/1.1 connection: the status and body that come back.
async fn send(
    address: std::net::SocketAddr,
    path: &str,
    fake: &FakeDelivery<serde_json::Value>,
) -> (u16, String) {
    let (headers, body) = fake.to_parts();
    let mut request = format!(
        "POST {path} HTTP/1.1\r\nhost: {address}\r\nconnection: close\r\ncontent-length: {}\r\n",
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
