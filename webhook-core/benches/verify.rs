//! Verify + envelope + typed parse of a ~1 KiB Modem Pay `charge.succeeded`, next to the
//! floor a user could write by hand: HMAC-SHA512 over the body plus one serde parse.
//!
//! Run with `cargo bench -p webhook-core --bench verify`.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::SystemTime;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hmac::{Hmac, Mac};
use http::HeaderMap;
use serde::Deserialize;
use sha2::Sha512;
use webhook_core::providers::modem_pay::{Charge, ChargeSucceeded, ModemPay};
use webhook_core::scheme::SignInput;
use webhook_core::{Event, Provider, Request, Secret, Verified};

const SECRET: &str = "sk_modem_pay_benchmark_secret";

fn delivery() -> (HeaderMap, Bytes) {
    let provider = ModemPay::default();
    let mut charge = ChargeSucceeded::sample();
    charge
        .extra
        .insert("notes".into(), "x".repeat(1024 - 700).into());
    let data = serde_json::to_value(&charge).unwrap();
    let (body, _) = provider.compose(ChargeSucceeded::NAME, &data, "id");
    let secret = Secret::new(SECRET).unwrap();
    let input = SignInput {
        now: SystemTime::now(),
        id: None,
    };
    let headers = provider.scheme().sign_at(&secret, &body, input);
    (headers, Bytes::from(body))
}

/// What a careful hand-written receiver does: MAC, constant-time compare, one parse.
fn bare(headers: &HeaderMap, body: &[u8]) -> Charge {
    #[derive(Deserialize)]
    struct Wire {
        #[allow(dead_code)]
        event: String,
        payload: Charge,
    }
    let signature = headers["x-modem-signature"].to_str().unwrap();
    let mut mac = Hmac::<Sha512>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    mac.verify_slice(&hex::decode(signature).unwrap()).unwrap();
    serde_json::from_slice::<Wire>(body).unwrap().payload
}

fn ours(provider: &ModemPay, secrets: &[Secret], request: Request) -> ChargeSucceeded {
    let verified = Verified::check(provider, secrets, request, SystemTime::now()).unwrap();
    verified.parse().unwrap()
}

fn bench(c: &mut Criterion) {
    let (headers, body) = delivery();
    assert!(body.len() >= 1000, "body is {} bytes", body.len());
    let provider = ModemPay::default();
    let secrets = [Secret::new(SECRET).unwrap()];
    let mut group = c.benchmark_group("modem_pay_charge_succeeded_1k");
    group.bench_function("bare_hmac_sha512_plus_serde", |b| {
        b.iter(|| bare(black_box(&headers), black_box(&body)))
    });
    // The adapter hands over the headers and body it already owns: building the
    // `Request` is setup, as reading them is for the hand-written floor.
    group.bench_function("verify_envelope_typed_parse", |b| {
        b.iter_batched(
            || Request::new(headers.clone(), body.clone()),
            |request| ours(&provider, &secrets, black_box(request)),
            BatchSize::SmallInput,
        )
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
