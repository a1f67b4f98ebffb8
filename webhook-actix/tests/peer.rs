//! The client address actix-web knows (`HttpRequest::peer_addr`) reaches the receiver's
//! record of refused requests, with the reason and size the core decided.

use std::net::SocketAddr;

use actix_web::body::to_bytes;
use actix_web::test::{TestRequest, call_service, init_service};
use actix_web::{App, web};
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

struct Nothing;

impl Handler for Nothing {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &[];

    fn route(&self, _: &str) -> Option<Ack> {
        None
    }

    fn handle<'a>(
        &'a self,
        _: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async { Ok(()) })
    }
}

#[actix_web::test]
async fn refused_requests_are_recorded_with_the_peer_address() {
    let receiver = Receiver::builder(Nothing)
        .secret(test_secret())
        .body_limit(1024)
        .build();
    let scope =
        web::scope("/webhooks/modem-pay").configure(webhook_actix::configure(receiver.clone()));
    let app = init_service(App::new().service(scope)).await;
    let peer: SocketAddr = "192.0.2.10:51000".parse().unwrap();

    let fake = FakeDelivery::new(
        ModemPay::default(),
        "charge.succeeded",
        serde_json::json!({ "id": "ch_1" }),
    )
    .tampered();
    let (headers, body) = fake.to_parts();
    let mut tampered = TestRequest::post()
        .uri("/webhooks/modem-pay")
        .peer_addr(peer);
    for (name, value) in &headers {
        tampered = tampered.append_header((name.as_str(), value.as_bytes()));
    }
    let response = call_service(&app, tampered.set_payload(body.clone()).to_request()).await;
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        to_bytes(response.into_body()).await.unwrap(),
        "invalid signature"
    );

    let large = TestRequest::post()
        .uri("/webhooks/modem-pay")
        .peer_addr(peer)
        .set_payload(vec![b' '; 2048])
        .to_request();
    let response = call_service(&app, large).await;
    assert_eq!(response.status().as_u16(), 413);

    let refused = receiver.refused();
    let summary: Vec<_> = refused
        .iter()
        .map(|r| (r.status, r.reason, r.size, r.source))
        .collect();
    assert_eq!(
        summary,
        [
            (413, "payload too large", Some(2048), Some(peer)),
            (
                401,
                "invalid signature",
                Some(body.len() as u64),
                Some(peer)
            ),
        ]
    );
}
