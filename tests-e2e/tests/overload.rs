//! Hardening: a receiver offered three times what its handlers drain stays up, sheds
//! the excess with `503` + `Retry-After`, keeps its memory bounded, and handles every
//! event it acknowledged.
//!
//! The server runs in-process on a real `axum::serve` on 127.0.0.1: a hand-written
//! handler that works 20 ms per event behind `MemorySink::new().capacity(200).workers(4)`,
//! so it drains 200 events/s; the test offers 600 distinct, signed events/s over fresh
//! connections for `OVERLOAD_SECS` seconds (default 5). The full 30 s run:
//!
//! ```text
//! OVERLOAD_SECS=30 cargo test -p webhook-e2e overload -- --nocapture
//! ```
//!
//! Memory bound: the process's resident set (server and load generator together, from
//! `/proc/self/status`) may grow by at most [`RSS_BOUND_MIB`] over its level before the
//! load, at its peak and at the end.

mod common;

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{post, secret, signed_charge};
use tokio::sync::{Semaphore, oneshot};
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::providers::modem_pay::ChargeSucceeded;
use webhook_core::{Ack, Context, DispatchError, Handler, MemorySink, Receiver, Verified};

/// Handlers running at once.
const WORKERS: usize = 4;
/// Events the sink holds (queued or running) before it answers 503.
const CAPACITY: usize = 200;
/// Each handler's work.
const HANDLER_DELAY: Duration = Duration::from_millis(20);
/// What the handlers drain: `WORKERS` / `HANDLER_DELAY`.
const DRAIN_PER_SEC: u64 = 200;
/// What the test offers: three times the drain.
const OFFERED_PER_SEC: u64 = 3 * DRAIN_PER_SEC;
/// The load generator's tick; `OFFERED_PER_SEC / 100` deliveries start each tick.
const TICK: Duration = Duration::from_millis(10);
/// Deliveries on the wire at once, at most.
const MAX_IN_FLIGHT: usize = 256;
/// How long one delivery may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// How much the resident set may grow under the load, in MiB.
const RSS_BOUND_MIB: u64 = 64;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn overload_sheds_with_503_and_loses_nothing_acknowledged() {
    let seconds: u64 = match std::env::var("OVERLOAD_SECS") {
        Ok(value) => value
            .parse()
            .unwrap_or_else(|_| panic!("OVERLOAD_SECS must be whole seconds, not `{value}`")),
        Err(_) => 5,
    };
    let duration = Duration::from_secs(seconds);

    let handler = SlowHandler::default();
    let receiver = Receiver::builder(handler.clone())
        .secret(secret())
        .sink(MemorySink::new().capacity(CAPACITY).workers(WORKERS))
        .build();
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind a loopback port");
    let addr = listener.local_addr().expect("its address");
    let (stop, stopped) = oneshot::channel::<()>();
    let serve = axum::serve(listener, webhook_axum::router(receiver.clone()))
        .with_graceful_shutdown(async move {
            let _ = stopped.await;
        });
    let server = tokio::spawn(async move { serve.await });

    // Warm up (one delivery through the whole path), then take the baseline.
    let warm_up = post(
        addr,
        &signed_charge("ch_e2e_overload_warm_up", "/"),
        REQUEST_TIMEOUT,
    )
    .await;
    assert_eq!(warm_up.expect("the warm-up delivery").status, 200);
    receiver.idle().await;
    let baseline = rss_kib();
    let peak = Arc::new(Mutex::new(baseline));
    let sampler = {
        let peak = Arc::clone(&peak);
        tokio::spawn(async move {
            loop {
                let now = rss_kib();
                {
                    let mut peak = peak.lock().unwrap();
                    *peak = (*peak).max(now);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let started = Instant::now();
    let outcomes = offer_load(addr, duration).await;
    let load_took = started.elapsed();
    let drained = tokio::time::timeout(Duration::from_secs(30), receiver.idle()).await;
    let drain_took = started.elapsed() - load_took;
    sampler.abort();
    let peak = *peak.lock().unwrap();
    let end = rss_kib();
    let handled = handler.handled();
    let stats = receiver.stats();

    println!(
        "overload: {seconds} s at {OFFERED_PER_SEC}/s offered ({} sent in {load_took:.1?}, {:.0}/s) against a drain of \
         {DRAIN_PER_SEC}/s: {} acknowledged (200), {} shed (503, all with Retry-After: {}), first 503 after {:.2?}; \
         {} handled; drained {drain_took:.1?} after the load; RSS {} MiB before, {} MiB peak, {} MiB after \
         (bound +{RSS_BOUND_MIB} MiB); receiver {stats:?}",
        outcomes.sent,
        outcomes.sent as f64 / load_took.as_secs_f64(),
        outcomes.acked.len(),
        outcomes.unavailable,
        outcomes.unavailable_without_retry_after == 0,
        outcomes.first_unavailable.unwrap_or_default(),
        handled.len() - 1,
        baseline / 1024,
        peak / 1024,
        end / 1024,
    );

    assert!(
        drained.is_ok(),
        "the sink did not drain within 30 s of the load"
    );
    assert!(
        outcomes.errors.is_empty(),
        "deliveries failed on the wire: {:?}",
        outcomes.errors
    );
    assert!(
        outcomes.other.is_empty(),
        "answers other than 200 and 503: {:?}",
        outcomes.other
    );
    assert!(
        outcomes.unavailable > 0,
        "three times the drain rate should fill the sink and get 503s"
    );
    assert_eq!(
        outcomes.unavailable_without_retry_after, 0,
        "every 503 carries Retry-After"
    );
    assert_eq!(
        outcomes.reasons.keys().collect::<Vec<_>>(),
        ["overloaded"],
        "503s say why: {:?}",
        outcomes.reasons
    );
    let floor = DRAIN_PER_SEC * seconds / 2;
    assert!(
        outcomes.acked.len() as u64 >= floor,
        "under overload the receiver should keep accepting about what it drains; {} < {floor}",
        outcomes.acked.len()
    );
    let lost: Vec<&String> = outcomes
        .acked
        .iter()
        .filter(|id| !handled.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged but not handled: {} events, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let twice: Vec<(&String, &u32)> = handled.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "handled more than once: {twice:?}");
    assert_eq!(
        stats.unavailable, outcomes.unavailable as u64,
        "the receiver counts what it shed"
    );
    assert_eq!(
        stats.accepted,
        outcomes.acked.len() as u64 + 1,
        "the receiver counts what it accepted (+ warm-up)"
    );
    let bound_kib = RSS_BOUND_MIB * 1024;
    assert!(
        peak.saturating_sub(baseline) <= bound_kib && end.saturating_sub(baseline) <= bound_kib,
        "resident set grew past +{RSS_BOUND_MIB} MiB: {baseline} KiB before, {peak} KiB peak, {end} KiB after"
    );

    let _ = stop.send(());
    server.await.expect("the server task").expect("the server");
    receiver.shutdown(Duration::from_secs(5)).await;
}

/// What the senders saw.
#[derive(Debug, Default)]
struct Outcomes {
    sent: usize,
    /// Charge ids answered 200.
    acked: Vec<String>,
    /// 503 answers.
    unavailable: usize,
    /// 503 answers without `Retry-After`.
    unavailable_without_retry_after: usize,
    /// The 503 bodies (the receiver's reasons), counted.
    reasons: HashMap<String, usize>,
    /// When the first 503 came, from the start of the load.
    first_unavailable: Option<Duration>,
    /// Any other status, counted.
    other: HashMap<u16, usize>,
    /// Failures on the wire, counted by kind.
    errors: HashMap<String, usize>,
}

/// Starts `OFFERED_PER_SEC` distinct deliveries per second for `duration`, each on its
/// own connection, and waits for the answers.
async fn offer_load(addr: SocketAddr, duration: Duration) -> Outcomes {
    let per_tick = OFFERED_PER_SEC * TICK.as_millis() as u64 / 1000;
    let outcomes = Arc::new(Mutex::new(Outcomes::default()));
    let in_flight = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
    let started = Instant::now();
    let mut ticker = tokio::time::interval(TICK);
    let mut next = 0_usize;
    while started.elapsed() < duration {
        ticker.tick().await;
        for _ in 0..per_tick {
            let permit = Arc::clone(&in_flight)
                .acquire_owned()
                .await
                .expect("the semaphore stays open");
            let id = format!("ch_e2e_overload_{next:06}");
            next += 1;
            let request = signed_charge(&id, "/");
            let outcomes = Arc::clone(&outcomes);
            tokio::spawn(async move {
                let answer = post(addr, &request, REQUEST_TIMEOUT).await;
                let mut outcomes = outcomes.lock().unwrap();
                match answer {
                    Ok(answer) if answer.status == 200 => outcomes.acked.push(id),
                    Ok(answer) if answer.status == 503 => {
                        outcomes.unavailable += 1;
                        if answer.retry_after.is_none() {
                            outcomes.unavailable_without_retry_after += 1;
                        }
                        *outcomes
                            .reasons
                            .entry(answer.body.trim().to_owned())
                            .or_insert(0) += 1;
                        outcomes
                            .first_unavailable
                            .get_or_insert_with(|| started.elapsed());
                    }
                    Ok(answer) => *outcomes.other.entry(answer.status).or_insert(0) += 1,
                    Err(error) => {
                        *outcomes.errors.entry(error.kind().to_string()).or_insert(0) += 1
                    }
                }
                drop(permit);
            });
        }
    }
    let _all_answered = in_flight
        .acquire_many(MAX_IN_FLIGHT as u32)
        .await
        .expect("the semaphore stays open");
    // Every sender recorded its answer before giving its permit back.
    let mut outcomes = std::mem::take(&mut *outcomes.lock().unwrap());
    outcomes.sent = next;
    outcomes
}

/// Works `HANDLER_DELAY` per `charge.succeeded`, then records its charge id.
#[derive(Debug, Clone, Default)]
struct SlowHandler {
    handled: Arc<Mutex<HashMap<String, u32>>>,
}

impl SlowHandler {
    /// How many times each charge id was handled.
    fn handled(&self) -> HashMap<String, u32> {
        self.handled.lock().unwrap().clone()
    }
}

impl Handler for SlowHandler {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        (event_type == "charge.succeeded").then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        _ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            let charge: ChargeSucceeded = delivery.parse().map_err(DispatchError::payload)?;
            tokio::time::sleep(HANDLER_DELAY).await;
            *self
                .handled
                .lock()
                .unwrap()
                .entry(charge.id.clone())
                .or_insert(0) += 1;
            Ok(())
        })
    }
}

/// This process's resident set, in KiB (`VmRSS` in `/proc/self/status`; 0 where
/// there is no procfs).
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}
