//! The example app, driven in-process with the generated fakes.

use axum::body::Body;
use http_body_util::BodyExt;
use tower::ServiceExt;
use webhook_core::Receiver;
use webhook_core::testing::{FakeDelivery, test_secret};

use example_github_axum::{Repo, app};

async fn post<T: serde::Serialize>(receiver: &Receiver, fake: FakeDelivery<T>) -> (u16, String) {
    let mut request = fake.into_request().map(Body::from);
    *request.uri_mut() = "/webhooks/github".parse().unwrap();
    let response = app(receiver.clone()).oneshot(request).await.unwrap();
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&body).into_owned())
}

fn receiver(repo: &Repo) -> Receiver {
    Receiver::builder(repo.clone())
        .secret(test_secret())
        .build()
}

#[tokio::test]
async fn push_is_routed_by_name_to_the_apps_own_type() {
    let repo = Repo::default();
    let receiver = receiver(&repo);
    let fake = Repo::fakes().push().id("delivery-1");
    assert_eq!(post(&receiver, fake).await.0, 200);
    receiver.idle().await;
    let entries = repo.ledger.entries();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].0, "push");
    assert!(
        entries[0].1.ends_with("delivery-1"),
        "dedupe key is the delivery id: {}",
        entries[0].1
    );
}

#[tokio::test]
async fn one_handler_takes_several_issue_actions() {
    let repo = Repo::default();
    let receiver = receiver(&repo);
    let issue = serde_json::json!({"issue": {"number": 7}});
    for action in ["issues.opened", "issues.reopened"] {
        let fake = Repo::fakes()
            .issue()
            .payload(issue.clone())
            .event_type(action);
        assert_eq!(post(&receiver, fake).await.0, 200);
    }
    receiver.idle().await;
    let events: Vec<String> = repo
        .ledger
        .entries()
        .into_iter()
        .map(|(event, _)| event)
        .collect();
    assert_eq!(events, ["issues.opened", "issues.reopened"]);
}

#[tokio::test]
async fn ping_is_answered_after_its_handler_ran() {
    let repo = Repo::default();
    let receiver = receiver(&repo);
    assert_eq!(
        post(&receiver, Repo::fakes().ping()).await,
        (200, "handled".to_owned())
    );
    assert_eq!(repo.ledger.entries().len(), 1, "handled before the answer");
}

#[tokio::test]
async fn unknown_events_reach_the_fallback() {
    let repo = Repo::default();
    let receiver = receiver(&repo);
    let fake = FakeDelivery::new(
        webhook_core::providers::GitHub::default(),
        "star.created",
        serde_json::json!({}),
    );
    assert_eq!(post(&receiver, fake).await.0, 200);
    receiver.idle().await;
    assert_eq!(repo.ledger.entries()[0].0, "star.created");
}
