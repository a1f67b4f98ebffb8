//! The example app, driven in-process with the generated fakes.

use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;
use webhook_core::providers::ModemPay;
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{Provider, Receiver};

use example_modem_pay_axum::{Payments, app};

const PATH: &str = "/webhooks/modem-pay";

fn receiver(payments: &Payments) -> Receiver {
    Receiver::builder(payments.clone())
        .secret(test_secret())
        .build()
}

async fn post<T: serde::Serialize>(receiver: &Receiver, fake: FakeDelivery<T>) -> (u16, String) {
    let mut request = fake.into_request().map(Body::from);
    *request.uri_mut() = PATH.parse().unwrap();
    let response = app(receiver.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn charge_succeeded_is_acknowledged_then_handled_with_its_id() {
    let payments = Payments::default();
    let receiver = receiver(&payments);
    let fake = Payments::fakes()
        .charge_succeeded()
        .with(|charge| charge.id = "ch_test_1".into());
    assert_eq!(post(&receiver, fake).await, (200, "accepted".to_owned()));
    receiver.idle().await;
    assert_eq!(
        payments.ledger.entries(),
        [("charge.succeeded".to_owned(), "ch_test_1".to_owned())]
    );
}

#[tokio::test]
async fn every_modem_pay_event_in_the_catalogue_is_handled() {
    let payments = Payments::default();
    let receiver = receiver(&payments);
    let catalogue = ModemPay::default().catalogue().to_vec();
    for entry in &catalogue {
        let fake = FakeDelivery::new(ModemPay::default(), entry.name, (entry.sample)());
        assert_eq!(post(&receiver, fake).await.0, 200, "{}", entry.name);
    }
    receiver.idle().await;
    let mut handled: Vec<String> = payments
        .ledger
        .entries()
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    let mut expected: Vec<String> = catalogue
        .iter()
        .map(|entry| entry.name.to_owned())
        .collect();
    handled.sort();
    expected.sort();
    assert_eq!(handled, expected);
}

#[tokio::test]
async fn tampered_delivery_answers_401_and_handles_nothing() {
    let payments = Payments::default();
    let receiver = receiver(&payments);
    assert_eq!(
        post(&receiver, Payments::fakes().charge_succeeded().tampered())
            .await
            .0,
        401
    );
    assert_eq!(
        post(&receiver, Payments::fakes().transfer_failed().unsigned())
            .await
            .0,
        401
    );
    receiver.idle().await;
    assert!(payments.ledger.entries().is_empty());
}

#[tokio::test]
async fn the_apps_own_routes_still_answer() {
    let receiver = receiver(&Payments::default());
    let request = http::Request::get("/healthz").body(Body::empty()).unwrap();
    let response = app(receiver).oneshot(request).await.unwrap();
    assert_eq!(response.status(), 200);
}
