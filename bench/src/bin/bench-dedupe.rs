//! The in-memory sink's acknowledgement latency over a long run of distinct events: the
//! largest single `Receiver::receive` time, which a dedupe map that prunes by walking
//! itself under the submit lock turns into a stall every few hundred thousand events.
//!
//! `cargo run --release -p webhook-bench --bin bench-dedupe -- --events 2000000`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::Parser;
use webhook_bench::deliveries::{Deliveries, Sender};
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::testing::test_secret;
use webhook_core::{Ack, Context, DispatchError, Handler, MemorySink, Receiver, Request, Verified};

/// Flags.
#[derive(Debug, Parser)]
struct Args {
    /// Distinct events to send.
    #[arg(long, default_value_t = 2_000_000)]
    events: u64,
    /// Concurrent senders (tasks on one runtime).
    #[arg(long, default_value_t = 8)]
    senders: u16,
}

/// Acknowledges and does nothing: the benchmark measures the receive path.
struct Nothing;

impl Handler for Nothing {
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
        Box::pin(async { Ok(()) })
    }
}

/// What one sender saw: every receive's time in microseconds, and the non-200s.
struct Seen {
    micros: Vec<u32>,
    refused: u64,
    /// The slowest receives: (microseconds, how many receives all senders had finished).
    slowest: Vec<(u32, u64)>,
}

/// Receives over this many microseconds are listed with where in the run they came.
const SLOW: u32 = 20_000;

async fn send(receiver: Receiver, stream: u16, events: u64, done: Arc<AtomicU64>) -> Seen {
    let mut deliveries = Deliveries::new(Sender::ModemPay, test_secret(), 0xded0_0001, stream);
    let mut seen = Seen {
        micros: Vec::with_capacity(events as usize),
        refused: 0,
        slowest: Vec::new(),
    };
    for _ in 0..events {
        let delivery = deliveries.next_delivery();
        let request = Request::new(delivery.headers, delivery.body);
        let started = Instant::now();
        let answer = receiver.receive(request).await;
        let micros = started.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
        let finished = done.fetch_add(1, Ordering::Relaxed);
        if micros > SLOW {
            seen.slowest.push((micros, finished));
        }
        seen.micros.push(micros);
        if answer.status() != 200 {
            seen.refused += 1;
            tokio::task::yield_now().await;
        }
    }
    seen
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args = Args::parse();
    let sink = MemorySink::new().capacity(1 << 16);
    let receiver = Receiver::builder(Nothing)
        .secret(test_secret())
        .sink(sink)
        .build();
    let per_sender = args.events / u64::from(args.senders);
    let started = Instant::now();
    let done = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..args.senders)
        .map(|stream| {
            tokio::spawn(send(
                receiver.clone(),
                stream,
                per_sender,
                Arc::clone(&done),
            ))
        })
        .collect();
    let mut micros = Vec::new();
    let mut refused = 0;
    let mut slowest = Vec::new();
    for task in tasks {
        let seen = task.await.expect("a sender finished");
        micros.extend(seen.micros);
        refused += seen.refused;
        slowest.extend(seen.slowest);
    }
    let took = started.elapsed();
    receiver.shutdown(Duration::from_secs(30)).await;
    micros.sort_unstable();
    let at = |q: f64| micros[((micros.len() - 1) as f64 * q) as usize];
    println!(
        "events {} refused {refused} in {:.1} s: ack latency p50 {} us, p99 {} us, p99.9 {} us, p99.99 {} us, max {} us",
        micros.len(),
        took.as_secs_f64(),
        at(0.5),
        at(0.99),
        at(0.999),
        at(0.9999),
        micros[micros.len() - 1]
    );
    slowest.sort_unstable_by(|a, b| b.cmp(a));
    for (micros, at) in slowest.iter().take(8) {
        println!("  {micros} us after {at} receives");
    }
}
