//! The receiver as an HTTP service: bodies read within the provider's limit and the
//! budget of bytes in flight, the record of refused requests, and a real hyper server.

use std::convert::Infallible;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_LENGTH, RETRY_AFTER};
use http_body::Body as _;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use serde_json::json;
use tokio::sync::mpsc;
use tower::ServiceExt;
use webhook_core::futures::Stream;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::{GitHub, ModemPay};
use webhook_core::scheme::SignInput;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Ack, Context, DispatchError, Handler, PeerAddr, Provider, Receiver, ReceiverBuilder, Verified,
};

const MIB: usize = 1024 * 1024;

/// Routes every event and counts the calls.
struct Count<P> {
    calls: Arc<AtomicUsize>,
    provider: PhantomData<fn() -> P>,
}

impl<P: Provider + Default> Handler for Count<P> {
    type Provider = P;
    const EVENTS: &'static [&'static str] = &[];

    fn route(&self, _: &str) -> Option<Ack> {
        Some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        _: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async { Ok(()) })
    }
}

fn builder<P: Provider + Default>(calls: &Arc<AtomicUsize>) -> ReceiverBuilder<Count<P>> {
    let handler = Count {
        calls: Arc::clone(calls),
        provider: PhantomData,
    };
    Receiver::builder(handler).secret(test_secret())
}

/// What the sender sees.
#[derive(Debug, PartialEq, Eq)]
struct Seen {
    status: u16,
    body: String,
    retry_after: Option<String>,
}

async fn seen(response: http::Response<Full<Bytes>>) -> Seen {
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Seen {
        status: parts.status.as_u16(),
        body: String::from_utf8(body.to_vec()).unwrap(),
        retry_after: parts
            .headers
            .get(RETRY_AFTER)
            .map(|v| v.to_str().unwrap().to_owned()),
    }
}

fn text(status: u16, body: &str) -> Seen {
    Seen {
        status,
        body: body.to_owned(),
        retry_after: None,
    }
}

/// Sends `request` through the receiver's `tower::Service`.
async fn call<B>(receiver: &Receiver, request: http::Request<B>) -> Seen
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<webhook_core::BoxError>,
{
    let response = receiver.clone().oneshot(request).await.unwrap();
    seen(response).await
}

/// A GitHub `push` whose body is about `size` bytes.
fn push_of(size: usize) -> FakeDelivery<serde_json::Value> {
    let data = json!({
        "ref": "refs/heads/main",
        "after": "6113728f27ae82c7b1a177c8d03f9e96e0adf246",
        "repository": { "full_name": "octo-org/hello-world" },
        "padding": "x".repeat(size),
    });
    FakeDelivery::new(GitHub::default(), "push", data)
}

fn charge(id: &str) -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        json!({ "id": id, "amount": 500 }),
    )
}

/// A body whose chunks the test sends one by one, with no declared size.
fn streamed() -> (
    mpsc::Sender<Bytes>,
    StreamBody<impl Stream<Item = Result<Frame<Bytes>, Infallible>> + Send + 'static>,
) {
    let (send, receive) = mpsc::channel::<Bytes>(16);
    let stream = webhook_core::futures::stream::unfold(receive, |mut receive| async move {
        let chunk = receive.recv().await?;
        Some((Ok::<_, Infallible>(Frame::data(chunk)), receive))
    });
    (send, StreamBody::new(stream))
}

/// Signs `body` with Modem Pay's scheme and the test secret.
fn signed_modem_pay(body: Vec<u8>) -> http::Request<()> {
    let input = SignInput {
        now: std::time::SystemTime::now(),
        id: None,
    };
    let headers = ModemPay::default()
        .scheme()
        .sign_at(&test_secret(), &body, input);
    let mut request = http::Request::post("/").body(()).unwrap();
    *request.headers_mut() = headers;
    request
}

/// A Modem Pay charge padded to exactly `size` bytes.
fn charge_body(id: &str, size: usize) -> Vec<u8> {
    let bare = format!(r#"{{"event":"charge.succeeded","payload":{{"id":"{id}","note":""}}}}"#);
    let padding = "x".repeat(size - bare.len());
    format!(r#"{{"event":"charge.succeeded","payload":{{"id":"{id}","note":"{padding}"}}}}"#)
        .into_bytes()
}

// ---------------------------------------------------------------------------------
// Per-provider body limits

#[tokio::test]
async fn github_push_of_20_mb_is_accepted_and_30_mb_is_refused_with_413() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<GitHub>(&calls).build();
    assert_eq!(receiver.body_limit(), 25 * MIB);

    let twenty = push_of(20_000_000).into_request().map(Full::new);
    assert_eq!(call(&receiver, twenty).await, text(200, "accepted"));

    // Declared up front: refused before a byte is read.
    let thirty = push_of(30_000_000).into_request();
    let (parts, whole) = thirty.clone().into_parts();
    assert_eq!(
        call(&receiver, thirty.map(Full::new)).await,
        text(413, "payload too large")
    );

    // Streamed with no length: refused with the chunk that passes 25 MiB.
    let (send, body) = streamed();
    let sending = tokio::spawn(async move {
        for chunk in whole.chunks(MIB) {
            if send.send(whole.slice_ref(chunk)).await.is_err() {
                return;
            }
        }
    });
    let answer = call(&receiver, http::Request::from_parts(parts, body)).await;
    assert_eq!(answer, text(413, "payload too large"));
    sending.await.unwrap();

    receiver.idle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(receiver.bytes_in_flight(), 0);
    let refused = receiver.refused();
    assert_eq!(refused.len(), 2);
    assert!(
        refused
            .iter()
            .all(|r| r.status == 413 && r.provider == "github")
    );
    // Newest first: read to just past the limit; declared in full.
    assert_eq!(refused[0].size, Some(26 * MIB as u64));
    assert!(refused[1].size.unwrap() > 30_000_000);
}

#[tokio::test]
async fn the_builders_body_limit_overrides_the_providers() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<GitHub>(&calls).body_limit(MIB).build();
    assert_eq!(receiver.body_limit(), MIB);
    let two = push_of(2 * MIB).into_request().map(Full::new);
    assert_eq!(call(&receiver, two).await, text(413, "payload too large"));
}

// ---------------------------------------------------------------------------------
// Bytes in flight

#[tokio::test]
async fn a_declared_body_the_budget_cannot_hold_answers_503_until_bytes_are_given_back() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls)
        .body_limit(4096)
        .bytes_in_flight(6000)
        .build();

    // A holds 4000 of the 6000 bytes while its body drips in.
    let body_a = charge_body("ch_a", 4000);
    let (send_a, stream_a) = streamed();
    let mut request_a = signed_modem_pay(body_a.clone()).map(|()| stream_a);
    request_a
        .headers_mut()
        .insert(CONTENT_LENGTH, http::HeaderValue::from(4000));
    let first = tokio::spawn({
        let receiver = receiver.clone();
        async move { call(&receiver, request_a).await }
    });
    send_a
        .send(Bytes::from(body_a[..10].to_vec()))
        .await
        .unwrap();
    wait_for(|| receiver.bytes_in_flight() == 4000).await;

    // B declares 4000 too: it cannot be reserved, and is told to come back.
    let body_b = charge_body("ch_b", 4000);
    let request_b =
        || signed_modem_pay(body_b.clone()).map(|()| Full::new(Bytes::from(body_b.clone())));
    let refused = call(&receiver, request_b()).await;
    assert_eq!(
        refused,
        Seen {
            status: 503,
            body: "too many bytes in flight".to_owned(),
            retry_after: Some("5".to_owned()),
        }
    );

    // A finishes and gives its bytes back; B is then taken.
    send_a
        .send(Bytes::from(body_a[10..].to_vec()))
        .await
        .unwrap();
    drop(send_a);
    assert_eq!(first.await.unwrap(), text(200, "accepted"));
    assert_eq!(receiver.bytes_in_flight(), 0);
    assert_eq!(call(&receiver, request_b()).await, text(200, "accepted"));

    let refusal = &receiver.refused()[0];
    assert_eq!((refusal.status, refusal.size), (503, Some(4000)));
    assert_eq!(receiver.stats().unavailable, 1);
}

#[tokio::test]
async fn concurrent_streamed_bodies_never_hold_more_than_the_budget() {
    const BUDGET: usize = 6000;
    const SENDERS: usize = 20;
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls)
        .body_limit(1000)
        .bytes_in_flight(BUDGET)
        .build();

    // Twenty bodies of unknown length, each 900 bytes in, none finished.
    let mut senders = Vec::new();
    let mut answers = Vec::new();
    for i in 0..SENDERS {
        let body = charge_body(&format!("ch_{i:02}"), 1000);
        let (send, stream) = streamed();
        send.send(Bytes::from(body[..900].to_vec())).await.unwrap();
        let request = signed_modem_pay(body.clone()).map(|()| stream);
        let receiver = receiver.clone();
        answers.push(tokio::spawn(async move { call(&receiver, request).await }));
        senders.push((send, body));
    }
    // Six fit (6 × 900 ≤ 6000); the other fourteen were refused as their chunk came.
    wait_for(|| answers.iter().filter(|a| a.is_finished()).count() == SENDERS - 6).await;
    assert_eq!(receiver.bytes_in_flight(), 6 * 900);

    for (send, body) in senders {
        // Refused ones closed their body: the send fails, as a cut connection would.
        let _ = send.send(Bytes::from(body[900..].to_vec())).await;
    }
    let mut statuses = Vec::new();
    for answer in answers {
        let answer = answer.await.unwrap();
        if answer.status == 503 {
            assert_eq!(answer.retry_after.as_deref(), Some("5"));
        }
        statuses.push(answer.status);
    }
    assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 6);
    assert_eq!(statuses.iter().filter(|s| **s == 503).count(), SENDERS - 6);
    assert_eq!(receiver.bytes_in_flight(), 0);
    receiver.idle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 6);
}

async fn wait_for(condition: impl Fn() -> bool) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while !condition() {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    })
    .await
    .expect("the condition held within 10 s");
}

// ---------------------------------------------------------------------------------
// The record of refused requests

#[tokio::test]
async fn refusals_are_recorded_with_status_reason_check_size_and_source() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls)
        .body_limit(1024)
        .body_read_timeout(Duration::from_millis(100))
        .build();
    let peer: SocketAddr = "203.0.113.9:40000".parse().unwrap();
    let from_peer = |mut request: http::Request<Full<Bytes>>| {
        request.extensions_mut().insert(PeerAddr(peer));
        request
    };

    let tampered = charge("ch_1").tampered().into_request().map(Full::new);
    let tampered_size = tampered.body().size_hint().exact();
    assert_eq!(call(&receiver, from_peer(tampered)).await.status, 401);

    let malformed = signed_modem_pay(b"{not json".to_vec())
        .map(|()| Full::new(Bytes::from_static(b"{not json")));
    assert_eq!(call(&receiver, malformed).await.status, 400);

    let large = Full::new(Bytes::from(vec![b' '; 2000]));
    let large = http::Request::post("/").body(large).unwrap();
    assert_eq!(call(&receiver, large).await.status, 413);

    let (send, stalled) = streamed();
    send.send(Bytes::from_static(b"{\"ev")).await.unwrap();
    let stalled = http::Request::post("/").body(stalled).unwrap();
    assert_eq!(
        call(&receiver, stalled).await,
        text(408, "body read timed out")
    );

    // Accepted deliveries are not refusals.
    let accepted = charge("ch_2").into_request().map(Full::new);
    assert_eq!(call(&receiver, accepted).await.status, 200);

    let refused = receiver.refused();
    let summary: Vec<_> = refused
        .iter()
        .map(|r| (r.status, r.reason, r.check, r.size, r.source))
        .collect();
    assert_eq!(
        summary,
        [
            (408, "body read timed out", None, Some(4), None),
            (413, "payload too large", None, Some(2000), None),
            (400, "malformed body", None, Some(9), None),
            (
                401,
                "invalid signature",
                Some("no_signature_matched"),
                tampered_size,
                Some(peer)
            ),
        ]
    );
    assert!(refused.iter().all(|r| r.provider == "modem-pay"));
    assert!(refused.windows(2).all(|pair| pair[0].at >= pair[1].at));
    drop(send);
}

#[tokio::test]
async fn the_record_keeps_only_the_newest_refusals() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls).refused_capacity(3).build();
    for i in 0..5 {
        let tampered = charge(&format!("ch_{i}")).tampered();
        assert_eq!(
            tampered.send(&receiver).await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let large = Full::new(Bytes::from(vec![b' '; 2 * MIB]));
    let large = http::Request::post("/").body(large).unwrap();
    assert_eq!(call(&receiver, large).await.status, 413);

    let refused = receiver.refused();
    let statuses: Vec<u16> = refused.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [413, 401, 401]);

    let nothing_kept = builder::<ModemPay>(&calls).refused_capacity(0).build();
    charge("ch_x").tampered().send(&nothing_kept).await;
    assert!(nothing_kept.refused().is_empty());
}

#[tokio::test]
async fn the_default_record_holds_the_last_thousand() {
    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls).build();
    let unsigned = charge("ch_1").unsigned();
    for _ in 0..1005 {
        unsigned.clone().send(&receiver).await;
    }
    assert_eq!(receiver.refused().len(), 1000);
}

// ---------------------------------------------------------------------------------
// A bare hyper server

#[tokio::test]
async fn a_bare_hyper_server_serves_the_receiver_and_records_the_peer() {
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper_util::rt::TokioIo;

    let calls = Arc::new(AtomicUsize::new(0));
    let receiver = builder::<ModemPay>(&calls).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn({
        let receiver = receiver.clone();
        async move {
            loop {
                let (stream, peer) = listener.accept().await.unwrap();
                let receiver = receiver.clone();
                let service =
                    service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(PeerAddr(peer));
                        receiver.clone().oneshot(request)
                    });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        }
    });

    let (valid, local) = post(addr, charge("ch_1").into_request()).await;
    assert_eq!(valid, text(200, "accepted"));
    let (tampered, local_tampered) = post(addr, charge("ch_2").tampered().into_request()).await;
    assert_eq!(tampered, text(401, "invalid signature"));
    let mut oversized = http::Request::post("/").body(Bytes::new()).unwrap();
    oversized
        .headers_mut()
        .insert(CONTENT_LENGTH, http::HeaderValue::from(2 * MIB));
    let (oversized, _) = post_head_only(addr, oversized).await;
    assert_eq!(oversized, text(413, "payload too large"));

    receiver.idle().await;
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let refused = receiver.refused();
    assert_eq!(refused[0].size, Some(2 * MIB as u64));
    assert_eq!(refused[1].source, Some(local_tampered));
    assert_ne!(local, local_tampered, "one connection each");
    server.abort();
}

/// POSTs `request` over a fresh hyper 1 client connection: the answer and the client's
/// own address.
async fn post(addr: SocketAddr, request: http::Request<Bytes>) -> (Seen, SocketAddr) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let io = hyper_util::rt::TokioIo::new(stream);
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.unwrap();
    tokio::spawn(connection);
    let (mut parts, body) = request.into_parts();
    parts.uri = format!("http://{addr}/").parse().unwrap();
    let response = sender
        .send_request(http::Request::from_parts(parts, Full::new(body)))
        .await
        .unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    let seen = Seen {
        status: parts.status.as_u16(),
        body: String::from_utf8(body.to_vec()).unwrap(),
        retry_after: None,
    };
    (seen, local)
}

/// Sends only the head of `request` (its `Content-Length` promises a body never
/// written) and reads the answer.
async fn post_head_only(addr: SocketAddr, request: http::Request<Bytes>) -> (Seen, SocketAddr) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let local = stream.local_addr().unwrap();
    let mut head = format!("POST / HTTP/1.1\r\nhost: {addr}\r\n");
    for (name, value) in request.headers() {
        head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let mut chunk = [0u8; 1024];
    let end = loop {
        let read = stream.read(&mut chunk).await.unwrap();
        assert!(read > 0, "closed before an answer");
        answer.extend_from_slice(&chunk[..read]);
        let text = String::from_utf8_lossy(&answer).into_owned();
        if let Some(at) = text.find("\r\n\r\n") {
            let length: usize = text
                .lines()
                .find_map(|line| {
                    line.to_lowercase()
                        .strip_prefix("content-length:")
                        .map(|n| n.trim().parse().unwrap())
                })
                .unwrap_or(0);
            if answer.len() >= at + 4 + length {
                break (at, length);
            }
        }
    };
    let text = String::from_utf8_lossy(&answer).into_owned();
    let seen = Seen {
        status: text[9..12].parse().unwrap(),
        body: text[end.0 + 4..end.0 + 4 + end.1].to_owned(),
        retry_after: None,
    };
    (seen, local)
}
