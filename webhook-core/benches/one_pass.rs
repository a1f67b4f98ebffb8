//! The one-pass receive against the two-pass one, on a Modem Pay `charge.succeeded`.
//!
//! - `read/*`: the body read alone. Two passes is what a delivery cost before: the
//!   envelope (`Provider::envelope`, the data skipped as a raw slice), then the typed
//!   parse of that slice in the worker. One pass is `Provider::envelope_with_payload`:
//!   the payload deserialized straight from the body once the event type is known.
//!   Each on the catalogue sample, and on the sample with twelve members this version
//!   does not model (which go to `extra`).
//! - `receive/*`: a whole delivery through a `Receiver` (HMAC, read, route, dedupe,
//!   queue, worker, handler), awaited until the handler ran. One pass is the memory
//!   sink; two passes is the same sink behind a wrapper that says it does not use
//!   payloads read at receive (as a durable inbox does): the envelope at receive, the
//!   typed parse in the worker.
//!
//! Run with `cargo bench -p webhook-core --bench one_pass`.

#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use http::HeaderMap;
use serde::Deserializer;
use serde_json::json;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::testing::{FakeDelivery, test_secret};
use webhook_core::{
    Dispatcher, Event, MemorySink, PayloadSeed, Provider, Receiver, Request, Sink, SinkError,
    Submitted, Verified, webhook_handler,
};

/// Reads `charge.succeeded` as a `ChargeSucceeded`.
struct Charges;

impl PayloadSeed for Charges {
    type Value = ChargeSucceeded;

    fn select(&self, event_type: &str) -> Option<usize> {
        (event_type == ChargeSucceeded::NAME).then_some(0)
    }

    fn deserialize<'de, D: Deserializer<'de>>(
        &self,
        _: usize,
        data: D,
    ) -> Result<ChargeSucceeded, D::Error> {
        serde::Deserialize::deserialize(data)
    }
}

fn body(unknown_members: usize) -> (HeaderMap, Bytes) {
    let mut charge = serde_json::to_value(ChargeSucceeded::sample()).unwrap();
    for i in 0..unknown_members {
        charge[format!("new_field_{i}")] = json!({"a": "some text value", "b": [1, 2, 3], "c": i});
    }
    let (body, headers) = ModemPay::default().compose(ChargeSucceeded::NAME, &charge, "id");
    (headers, Bytes::from(body))
}

fn two_pass(provider: &ModemPay, headers: &HeaderMap, body: &Bytes) -> ChargeSucceeded {
    let envelope = provider.envelope(headers, body).unwrap();
    serde_json::from_slice(envelope.data()).unwrap()
}

fn one_pass(provider: &ModemPay, headers: &HeaderMap, body: &Bytes) -> ChargeSucceeded {
    let (_, payload) = provider
        .envelope_with_payload(headers, body, &Charges)
        .unwrap();
    payload.unwrap()
}

fn read(c: &mut Criterion) {
    let provider = ModemPay::default();
    for (name, unknown) in [("sample", 0), ("12 unknown members", 12)] {
        let (headers, body) = body(unknown);
        assert_eq!(
            two_pass(&provider, &headers, &body),
            one_pass(&provider, &headers, &body)
        );
        let mut group = c.benchmark_group(format!("read/{name}"));
        group.bench_function("two passes", |b| {
            b.iter(|| two_pass(&provider, black_box(&headers), black_box(&body)))
        });
        group.bench_function("one pass", |b| {
            b.iter(|| one_pass(&provider, black_box(&headers), black_box(&body)))
        });
        group.finish();
    }
}

/// The handler: takes the typed charge, does nothing with it.
struct Payments;

#[webhook_handler(provider = ModemPay)]
impl Payments {
    async fn charge_succeeded(&self, charge: ChargeSucceeded) {
        black_box(charge);
    }
}

/// The memory sink, saying it does not use payloads read at receive.
struct ParsesAfter(MemorySink);

impl Sink for ParsesAfter {
    fn start(&self, dispatcher: Dispatcher) {
        self.0.start(dispatcher);
    }

    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>> {
        self.0.submit(delivery)
    }

    fn idle(&self) -> BoxFuture<'_, ()> {
        self.0.idle()
    }

    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()> {
        self.0.shutdown(deadline)
    }
}

fn receive(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let mut group = c.benchmark_group("receive");
    for (name, one) in [("two passes", false), ("one pass", true)] {
        let receiver = runtime.block_on(async {
            let builder = Receiver::builder(Payments).secret(test_secret());
            let sink = MemorySink::new().workers(1);
            let builder = if one {
                builder.sink(sink)
            } else {
                builder.sink(ParsesAfter(sink))
            };
            builder.build()
        });
        let mut n = 0_u64;
        group.bench_function(name, |b| {
            b.iter_batched(
                || {
                    n += 1;
                    let (headers, body) = FakeDelivery::<ChargeSucceeded>::of(ModemPay::default())
                        .with(|charge| charge.id = format!("ch_{n:032}"))
                        .to_parts();
                    Request::new(headers, body)
                },
                |request| {
                    runtime.block_on(async {
                        let answer = receiver.receive(request).await;
                        assert_eq!(answer.status().as_u16(), 200);
                        receiver.idle().await;
                    })
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

criterion_group!(benches, read, receive);
criterion_main!(benches);
