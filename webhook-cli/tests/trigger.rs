//! `webhook trigger` and `webhook events` against an in-process server.

mod common;

use std::collections::HashSet;

use common::*;
use webhook_core::Provider;
use webhook_core::providers::{Bamotf, GitHub, ModemPay, StandardWebhooks, Stripe};
use webhook_core::testing::TEST_SECRET;

fn trigger(args: &[&str]) -> assert_cmd::assert::Assert {
    webhook().arg("trigger").args(args).assert()
}

#[test]
fn trigger_sends_the_catalogue_sample_signed_and_edited() {
    let server = Server::start(200);
    let url = server.url("/hooks/modem");
    let assert = trigger(&[
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        &url,
        "--secret",
        "s3cret",
        "--set",
        "amount=777",
        "--set",
        "data.currency=XOF",
    ])
    .code(0);
    let out = stdout(&assert);
    assert!(
        out.starts_with("#1 200 OK ") && out.contains(" ms charge.succeeded id="),
        "{out}"
    );
    let received = server.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].path, "/hooks/modem");
    let delivery =
        check(&ModemPay::default(), "s3cret", &received[0]).expect("verifies as Modem Pay");
    assert_eq!(delivery.event_type(), "charge.succeeded");
    let payload: serde_json::Value = delivery.parse().unwrap();
    assert_eq!(payload["amount"], 777);
    assert_eq!(payload["currency"], "XOF");
}

#[test]
fn trigger_signs_as_every_provider() {
    let server = Server::start(200);
    let url = server.url("/");
    let bamotf_event = Bamotf::default().catalogue()[0].name;
    type Case<'a> = (&'a str, &'a str, &'a [&'a str], Box<dyn Provider>);
    let cases: [Case<'_>; 5] = [
        (
            "modem-pay",
            "customer.created",
            &[],
            Box::new(ModemPay::default()),
        ),
        ("bamotf", bamotf_event, &[], Box::new(Bamotf::default())),
        (
            "standard-webhooks",
            "invoice.paid",
            &["--raw"],
            Box::new(StandardWebhooks::default()),
        ),
        (
            "stripe",
            "payment_intent.succeeded",
            &["--raw", "--set", "amount=42"],
            Box::new(Stripe::default()),
        ),
        (
            "github",
            "issues.opened",
            &["--raw"],
            Box::new(GitHub::default()),
        ),
    ];
    for (name, event, extra, provider) in &cases {
        let mut args = vec![
            *event,
            "--provider",
            name,
            "--url",
            &url,
            "--secret",
            SECRET,
        ];
        args.extend_from_slice(extra);
        trigger(&args).code(0);
        let last = server.received().pop().unwrap();
        let delivery = check(&**provider, SECRET, &last).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(delivery.event_type(), *event, "{name}");
    }
}

#[test]
fn without_a_secret_trigger_uses_and_announces_the_test_secret() {
    let server = Server::start(200);
    let assert = trigger(&[
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        &server.url("/"),
    ])
    .code(0);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains(TEST_SECRET), "{err}");
    check(&ModemPay::default(), TEST_SECRET, &server.received()[0])
        .expect("signed with the test secret");
}

#[test]
fn unknown_event_lists_the_known_ones() {
    let assert = trigger(&[
        "charge.exploded",
        "--provider",
        "modem-pay",
        "--url",
        "http://127.0.0.1:9/",
    ])
    .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("unknown event `charge.exploded`"), "{err}");
    assert!(
        err.contains("charge.succeeded") && err.contains("customer.created"),
        "{err}"
    );
    assert!(err.contains("--raw"), "{err}");
}

#[test]
fn raw_sends_any_name_with_a_payload_file() {
    let server = Server::start(200);
    let payload = file(br#"{"id":"custom_1","note":"hi"}"#);
    let payload_path = path(&payload);
    let args = [
        "charge.exploded",
        "--provider",
        "modem-pay",
        "--url",
        &server.url("/"),
        "--raw",
        "--payload-file",
        payload_path.to_str().unwrap(),
        "--secret",
        "s",
    ];
    trigger(&args).code(0);
    let delivery = check(&ModemPay::default(), "s", &server.received()[0]).unwrap();
    assert_eq!(delivery.event_type(), "charge.exploded");
    let payload: serde_json::Value = delivery.parse().unwrap();
    assert_eq!(payload["note"], "hi");
}

#[test]
fn count_sends_distinct_deliveries_and_summarises() {
    let server = Server::start(200);
    let args = [
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        &server.url("/"),
        "--secret",
        "s",
        "--count",
        "5",
        "--concurrency",
        "2",
    ];
    let out = stdout(&trigger(&args).code(0));
    assert_eq!(
        out.lines().filter(|l| l.starts_with('#')).count(),
        5,
        "{out}"
    );
    assert!(out.contains("sent 5 in "), "{out}");
    assert!(out.contains("statuses: 200: 5"), "{out}");
    assert!(
        out.contains("latency: p50 ") && out.contains(", p99 "),
        "{out}"
    );
    let keys: HashSet<String> = server
        .received()
        .iter()
        .map(|r| {
            check(&ModemPay::default(), "s", r)
                .unwrap()
                .dedupe_key()
                .to_owned()
        })
        .collect();
    assert_eq!(keys.len(), 5, "each delivery has its own dedupe key");
}

#[test]
fn a_fixed_id_repeats_the_dedupe_key() {
    let server = Server::start(200);
    let args = [
        "whatever",
        "--raw",
        "--provider",
        "stripe",
        "--url",
        &server.url("/"),
        "--secret",
        "s",
        "--count",
        "2",
        "--id",
        "evt_same",
    ];
    trigger(&args).code(0);
    let keys: HashSet<String> = server
        .received()
        .iter()
        .map(|r| {
            check(&Stripe::default(), "s", r)
                .unwrap()
                .dedupe_key()
                .to_owned()
        })
        .collect();
    assert_eq!(keys, HashSet::from(["evt_same".to_owned()]));
}

#[test]
fn non_2xx_answers_exit_1() {
    let server = Server::start(500);
    let out = stdout(
        &trigger(&[
            "charge.succeeded",
            "--provider",
            "modem-pay",
            "--url",
            &server.url("/"),
            "--secret",
            "s",
        ])
        .code(1),
    );
    assert!(out.starts_with("#1 500 Internal Server Error"), "{out}");
}

#[test]
fn https_and_bad_urls_are_usage_errors() {
    let assert = trigger(&[
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        "https://example.com/hook",
    ])
    .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("only http://"), "{err}");
    trigger(&[
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        "not a url",
    ])
    .code(2);
    trigger(&[
        "charge.succeeded",
        "--provider",
        "modem-pay",
        "--url",
        "http://127.0.0.1:9/",
        "--set",
        "novalue",
    ])
    .code(2);
}

#[test]
fn events_lists_the_catalogue() {
    let out = stdout(
        &webhook()
            .args(["events", "--provider", "modem-pay"])
            .assert()
            .code(0),
    );
    let names: Vec<&str> = ModemPay::default()
        .catalogue()
        .iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(out.lines().collect::<Vec<_>>(), names);
    let out = stdout(
        &webhook()
            .args(["events", "--provider", "stripe"])
            .assert()
            .code(0),
    );
    assert_eq!(out, "");
}
