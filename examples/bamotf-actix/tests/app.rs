//! The example app, driven in-process with the generated fakes.

use actix_web::{App, test};
use webhook_core::Receiver;
use webhook_core::testing::{FakeDelivery, test_secret};

use example_bamotf_actix::{Checkout, app};

async fn post<T: serde::Serialize>(receiver: &Receiver, fake: FakeDelivery<T>) -> (u16, String) {
    let service = test::init_service(App::new().configure(app(receiver.clone()))).await;
    let (headers, body) = fake.to_parts();
    let mut request = test::TestRequest::post().uri("/webhooks/bamotf");
    for (name, value) in &headers {
        request = request.insert_header((name.as_str(), value.to_str().unwrap()));
    }
    let response = test::call_service(&service, request.set_payload(body).to_request()).await;
    let status = response.status().as_u16();
    let body = test::read_body(response).await;
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn receiver(checkout: &Checkout) -> Receiver {
    Receiver::builder(checkout.clone())
        .secret(test_secret())
        .build()
}

#[actix_web::test]
async fn succeeded_payment_intent_is_acknowledged_then_handled_with_its_id() {
    let checkout = Checkout::default();
    let receiver = receiver(&checkout);
    let fake = Checkout::fakes()
        .succeeded()
        .with(|ev| ev.payment_intent.id = "pi_test_1".into());
    assert_eq!(post(&receiver, fake).await, (200, "accepted".to_owned()));
    receiver.idle().await;
    let expected = (
        "payment_intent.succeeded".to_owned(),
        "pi_test_1".to_owned(),
    );
    assert_eq!(checkout.ledger.entries(), [expected]);
}

#[actix_web::test]
async fn redelivery_with_the_same_idempotence_key_is_handled_once() {
    let checkout = Checkout::default();
    let receiver = receiver(&checkout);
    // bamotf gives each attempt a new `id` but keeps `idempotenceKey`.
    let first = Checkout::fakes().processing().id("job-42");
    assert_eq!(post(&receiver, first.clone()).await.1, "accepted");
    assert_eq!(post(&receiver, first).await.1, "duplicate");
    receiver.idle().await;
    assert_eq!(checkout.ledger.entries().len(), 1);
}

#[actix_web::test]
async fn expired_or_tampered_deliveries_answer_401_and_handle_nothing() {
    let checkout = Checkout::default();
    let receiver = receiver(&checkout);
    assert_eq!(
        post(&receiver, Checkout::fakes().succeeded().expired())
            .await
            .0,
        401
    );
    assert_eq!(
        post(&receiver, Checkout::fakes().succeeded().tampered())
            .await
            .0,
        401
    );
    receiver.idle().await;
    assert!(checkout.ledger.entries().is_empty());
}
