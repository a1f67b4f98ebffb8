//! serde_json against sonic-rs and simd-json, behind the same serde types, on the body the
//! load benchmark sends: a Modem Pay `charge.succeeded` of the SDK's `Transaction` shape
//! (about 1 KiB), signed and sent by `webhook_core::testing::FakeDelivery`.
//!
//! Two types, each parsed from the whole envelope `{event, payload}`:
//! - `user`: the struct a user writes by hand (the hand-written receiver (b)'s fields);
//! - `catalogue`: the framework's `modem_pay::Charge`, every documented field plus
//!   `extra` (unknown fields kept as sent, by a generated visitor).
//!
//! simd-json parses in place, so each of its iterations copies the body first (as a
//! receiver holding shared `Bytes` would have to); the copy is measured with it.

use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use std::hint::black_box;
use webhook_bench::servers::UserCharge;
use webhook_core::providers::ModemPay;
use webhook_core::providers::modem_pay::{Charge, ChargeSucceeded};
use webhook_core::testing::FakeDelivery;

#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct Envelope<T> {
    event: String,
    payload: T,
}

fn body() -> Vec<u8> {
    let (_, body) = FakeDelivery::<ChargeSucceeded>::of(ModemPay::default()).to_parts();
    body.to_vec()
}

fn parsers<T: for<'de> Deserialize<'de>>(c: &mut Criterion, name: &str, body: &[u8]) {
    let mut group = c.benchmark_group(name);
    group.bench_function("serde_json", |b| {
        b.iter(|| serde_json::from_slice::<Envelope<T>>(black_box(body)).unwrap())
    });
    group.bench_function("sonic_rs", |b| {
        b.iter(|| sonic_rs::from_slice::<Envelope<T>>(black_box(body)).unwrap())
    });
    group.bench_function("simd_json", |b| {
        b.iter(|| {
            let mut copy = black_box(body).to_vec();
            simd_json::serde::from_slice::<Envelope<T>>(&mut copy).unwrap()
        })
    });
    group.finish();
}

fn bench(c: &mut Criterion) {
    let body = body();
    // Every parser reads the same values.
    let json: Envelope<Charge> = serde_json::from_slice(&body).unwrap();
    let sonic: Envelope<Charge> = sonic_rs::from_slice(&body).unwrap();
    let simd: Envelope<Charge> = simd_json::serde::from_slice(&mut body.clone()).unwrap();
    assert_eq!(
        format!("{:?}", json.payload),
        format!("{:?}", sonic.payload)
    );
    assert_eq!(format!("{:?}", json.payload), format!("{:?}", simd.payload));
    parsers::<UserCharge>(c, "user", &body);
    parsers::<Charge>(c, "catalogue", &body);
}

criterion_group!(benches, bench);
criterion_main!(benches);
