//! Durable inbox: nothing acknowledged is lost when the server dies with `kill -9`.
//!
//! Runs the `example-modem-pay-axum` binary as a child process on a SQLite inbox in a
//! temporary directory, drives it with signed, distinct `charge.succeeded` events from
//! several concurrent senders, and SIGKILLs it once a third of them are acknowledged,
//! with deliveries on the wire and handlers running. The senders keep going for a
//! moment (refused: not acknowledged). The server is restarted on the same database
//! and, as a real sender would, the test retries only the events that got no 200. From
//! the `handled charge.succeeded <id>` lines both runs logged and from the inbox
//! itself, it checks:
//!
//! - no 200 without a committed row: every acknowledged event has a row at the kill;
//! - nothing acknowledged is lost: every acknowledged event is handled;
//! - an event is handled twice only if its row was `running` at the kill, once on
//!   each side of it (so at most one per inbox worker), and no row `done` at the kill
//!   runs again;
//! - the inbox ends with one `done` row per event.
//!
//! Rows running at the kill are claimed again when their lease runs out: the example
//! uses the inbox's default 30 s lease, which is most of this test's ~31 s.
//!
//! The binary must be built and current: `cargo test --workspace` builds it; when it is
//! missing or older than its sources the test runs `cargo build -p
//! example-modem-pay-axum` first (not counted in the time budget).

#![cfg(unix)]

mod common;

use std::collections::HashMap;
use std::ffi::OsString;
use std::net::SocketAddr;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::example::{PATH, Server, example_binary, handled_in_all, handled_lines};
use common::{post, signed_charge};
use webhook_inbox::{Admin, Inbox, ListFilter, State};
/// Distinct events sent.
const EVENTS: usize = 300;
/// Concurrent senders.
const SENDERS: usize = 8;
/// Each sender's pause between deliveries: 8 senders offer ~250 events/s, a bit over
/// what the handlers drain (4 workers × 20 ms = 200/s), so at the kill some rows are
/// done, some running, some pending, and some deliveries are on the wire. After the kill
/// the senders keep going for under a second (refused).
const SEND_PAUSE: Duration = Duration::from_millis(30);
/// The server is killed when this many events are acknowledged.
const KILL_AFTER_ACKS: usize = EVENTS / 3;
/// How long each handler works before recording the event.
const HANDLER_DELAY_MS: u64 = 20;
/// The workers of the example's inbox (`InboxConfig::new()`): at most this many
/// handlers run at the kill, so at most this many events may be handled twice. Each
/// worker holds one row at a time here: a worker claims several rows only while its
/// handlers finish within a millisecond, and these take [`HANDLER_DELAY_MS`].
const INBOX_WORKERS: usize = 4;
/// The lease of the example's inbox (`InboxConfig::new()`): a row running at the kill
/// is claimed again only after it.
const LEASE: Duration = Duration::from_secs(30);
/// How long one request may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The whole test, once the binary is built.
const BUDGET: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_loses_nothing_acknowledged() {
    let binary = example_binary();
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("a temporary directory");
    let db = dir.path().join("inbox.db");
    let logs = [dir.path().join("run1.log"), dir.path().join("run2.log")];
    let ids: Vec<String> = (0..EVENTS)
        .map(|i| format!("ch_e2e_crash_{i:03}"))
        .collect();
    let requests: Arc<Vec<Vec<u8>>> =
        Arc::new(ids.iter().map(|id| signed_charge(id, PATH)).collect());

    // Run 1: send everything, SIGKILL once a third is acknowledged.
    let run1 = Server::start(&binary, env(&db), &logs[0]).await;
    let addr1 = run1.addr;
    let run1 = Arc::new(Mutex::new(run1));
    let acked: Arc<Vec<AtomicBool>> =
        Arc::new((0..EVENTS).map(|_| AtomicBool::new(false)).collect());
    let tally = Arc::new(Tally::default());
    let killed_at = Arc::new(Mutex::new(None::<Instant>));
    let next = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (requests, acked, tally, next) =
                (requests.clone(), acked.clone(), tally.clone(), next.clone());
            let (run1, killed_at) = (run1.clone(), killed_at.clone());
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= EVENTS {
                        return;
                    }
                    match post(addr1, &requests[i], REQUEST_TIMEOUT).await {
                        Ok(answer) if answer.status == 200 => {
                            acked[i].store(true, Ordering::SeqCst);
                            if tally.acked.fetch_add(1, Ordering::SeqCst) + 1 == KILL_AFTER_ACKS {
                                run1.lock().unwrap().kill();
                                *killed_at.lock().unwrap() = Some(Instant::now());
                            }
                        }
                        Ok(answer) => tally.other_status(answer.status),
                        Err(error) => tally.failed(&error),
                    }
                    tokio::time::sleep(SEND_PAUSE).await;
                }
            })
        })
        .collect();
    for sender in senders {
        sender.await.expect("a sender panicked");
    }
    let killed_at = killed_at.lock().unwrap().expect("the server was killed");
    let status = run1.lock().unwrap().wait();
    assert_eq!(
        status.signal(),
        Some(9),
        "run 1 should have died of SIGKILL, not {status}"
    );
    let handled_before_kill = handled_lines(&logs[0]);
    let acked_ids: Vec<usize> = (0..EVENTS)
        .filter(|&i| acked[i].load(Ordering::SeqCst))
        .collect();
    let unacked: Vec<usize> = (0..EVENTS)
        .filter(|&i| !acked[i].load(Ordering::SeqCst))
        .collect();
    println!(
        "run 1: {} acknowledged (kill after the {KILL_AFTER_ACKS}th), {} handled before the kill; \
         not acknowledged: {} refused, {} cut off by the kill, {} other statuses",
        acked_ids.len(),
        handled_before_kill.values().sum::<usize>(),
        tally.refused.load(Ordering::SeqCst),
        tally.cut_off.load(Ordering::SeqCst),
        tally.other.load(Ordering::SeqCst),
    );
    assert!(
        acked_ids.len() >= KILL_AFTER_ACKS,
        "the kill came after {KILL_AFTER_ACKS} acknowledgements"
    );
    assert!(
        !unacked.is_empty(),
        "the kill should come before every event is acknowledged"
    );

    // The inbox as the kill left it.
    let inbox = Inbox::open(db.to_str().expect("a UTF-8 path"))
        .await
        .expect("the inbox opens after the kill");
    let at_kill = inbox.stats().await.expect("inbox stats");
    let rows_at_kill = inbox
        .list(ListFilter::new().limit(EVENTS as u32 * 2))
        .await
        .expect("inbox rows");
    let state_at_kill: HashMap<String, State> = rows_at_kill
        .iter()
        .map(|row| {
            (
                row.dedupe_key
                    .trim_start_matches("charge.succeeded:")
                    .to_owned(),
                row.state,
            )
        })
        .collect();
    println!("at the kill: inbox {at_kill:?}");
    let lost: Vec<&str> = acked_ids
        .iter()
        .map(|&i| ids[i].as_str())
        .filter(|id| !state_at_kill.contains_key(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "acknowledged without a committed row: {lost:?}"
    );
    assert!(
        at_kill.running as usize <= INBOX_WORKERS,
        "more rows running than workers: {at_kill:?}"
    );

    // Run 2: same database; retry only what got no 200, as a sender would.
    let mut run2 = Server::start(&binary, env(&db), &logs[1]).await;
    let retried = retry_until_acknowledged(run2.addr, &requests, &unacked).await;
    println!(
        "run 2: retried {} unacknowledged: {} stored now, {} already stored before the kill (answered `duplicate`)",
        unacked.len(),
        retried.accepted,
        retried.duplicate,
    );

    // Wait for every event to be handled: rows running at the kill wait for their lease.
    let deadline = killed_at + LEASE + Duration::from_secs(10);
    loop {
        let handled = handled_in_all(&logs);
        let missing = ids.iter().filter(|id| !handled.contains_key(*id)).count();
        let stats = inbox.stats().await.expect("inbox stats");
        if missing == 0 && stats.outstanding() == 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{missing} events still unhandled and inbox {stats:?} {:?} after the kill",
            killed_at.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let all_handled_after = killed_at.elapsed();
    let status = run2.terminate(Duration::from_secs(25));
    assert!(
        status.success(),
        "run 2 should exit cleanly on SIGTERM, not {status}"
    );

    // The verdict.
    let run1_lines = handled_lines(&logs[0]);
    let run2_lines = handled_lines(&logs[1]);
    let handled = handled_in_all(&logs);
    let lost: Vec<&str> = acked_ids
        .iter()
        .map(|&i| ids[i].as_str())
        .filter(|id| !handled.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "acknowledged but never handled: {lost:?}");
    let unknown: Vec<&String> = handled.keys().filter(|id| !ids.contains(id)).collect();
    assert!(
        unknown.is_empty(),
        "handled events nobody sent: {unknown:?}"
    );
    let duplicates: Vec<(&String, usize)> = handled
        .iter()
        .filter(|(_, count)| **count > 1)
        .map(|(id, count)| (id, *count))
        .collect();
    for (id, _) in &duplicates {
        assert_eq!(
            state_at_kill.get(*id),
            Some(&State::Running),
            "{id} was handled twice but was not running at the kill"
        );
        let (before, after) = (run1_lines.get(*id).copied(), run2_lines.get(*id).copied());
        assert_eq!(
            (before, after),
            (Some(1), Some(1)),
            "{id} was handled twice in the same run (fencing failed), or more than once on each side of the kill"
        );
    }
    let rerun_done: Vec<&String> = run2_lines
        .keys()
        .filter(|id| state_at_kill.get(*id) == Some(&State::Done))
        .collect();
    assert!(
        rerun_done.is_empty(),
        "done before the kill, handled again after: {rerun_done:?}"
    );
    assert!(
        duplicates.len() <= INBOX_WORKERS,
        "{} events handled twice; at most {INBOX_WORKERS} handlers were running at the kill: {duplicates:?}",
        duplicates.len()
    );

    let stats = inbox.stats().await.expect("inbox stats");
    assert_eq!(
        (stats.done, stats.total()),
        (EVENTS as u64, EVENTS as u64),
        "one done row per event: {stats:?}"
    );
    let rows = inbox
        .list(ListFilter::new().limit(EVENTS as u32 * 2))
        .await
        .expect("inbox rows");
    let done_keys: HashMap<&str, State> = rows
        .iter()
        .map(|row| (row.dedupe_key.as_str(), row.state))
        .collect();
    for id in &ids {
        let key = format!("charge.succeeded:{id}");
        assert_eq!(
            done_keys.get(key.as_str()),
            Some(&State::Done),
            "the inbox row of {id}"
        );
    }

    println!(
        "verdict: {} acknowledged in run 1, {EVENTS}/{EVENTS} handled ({} in run 1, {} in run 2), \
         {} handled twice across the kill ({} rows were running at the kill; bound {INBOX_WORKERS}); all handled {:.1?} after the kill; \
         inbox {stats:?}; test took {:.1?}",
        acked_ids.len(),
        run1_lines.values().sum::<usize>(),
        run2_lines.values().sum::<usize>(),
        duplicates.len(),
        at_kill.running,
        all_handled_after,
        started.elapsed(),
    );
    assert!(
        started.elapsed() < BUDGET,
        "the test took {:?}, over its {BUDGET:?} budget",
        started.elapsed()
    );
}

/// Why deliveries of run 1 got no 200.
#[derive(Default)]
struct Tally {
    acked: AtomicUsize,
    refused: AtomicUsize,
    cut_off: AtomicUsize,
    other: AtomicUsize,
}

impl Tally {
    fn failed(&self, error: &std::io::Error) {
        match error.kind() {
            std::io::ErrorKind::ConnectionRefused => self.refused.fetch_add(1, Ordering::SeqCst),
            _ => self.cut_off.fetch_add(1, Ordering::SeqCst),
        };
    }

    fn other_status(&self, status: u16) {
        println!("run 1: a delivery was answered {status}");
        self.other.fetch_add(1, Ordering::SeqCst);
    }
}

/// How the retried deliveries were acknowledged.
struct Retried {
    /// Stored by run 2.
    accepted: usize,
    /// Already stored by run 1, which died before answering.
    duplicate: usize,
}

/// Sends each of `which` until it gets a 200, from several tasks.
async fn retry_until_acknowledged(
    addr: SocketAddr,
    requests: &Arc<Vec<Vec<u8>>>,
    which: &[usize],
) -> Retried {
    let deadline = Instant::now() + Duration::from_secs(15);
    let queue = Arc::new(Mutex::new(which.to_vec()));
    let (accepted, duplicate) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let tasks: Vec<_> = (0..SENDERS)
        .map(|_| {
            let (queue, requests) = (queue.clone(), requests.clone());
            let (accepted, duplicate) = (accepted.clone(), duplicate.clone());
            tokio::spawn(async move {
                loop {
                    let Some(i) = queue.lock().unwrap().pop() else {
                        return;
                    };
                    loop {
                        assert!(
                            Instant::now() < deadline,
                            "event {i} was not acknowledged by run 2 in time"
                        );
                        match post(addr, &requests[i], REQUEST_TIMEOUT).await {
                            Ok(answer) if answer.status == 200 => {
                                let counter = if answer.body.contains("duplicate") {
                                    &duplicate
                                } else {
                                    &accepted
                                };
                                counter.fetch_add(1, Ordering::SeqCst);
                                break;
                            }
                            Ok(answer) => {
                                assert_eq!(answer.status, 503, "run 2 answered {answer:?}");
                                assert!(
                                    answer.retry_after.is_some(),
                                    "a 503 without Retry-After: {answer:?}"
                                );
                            }
                            Err(_) => {}
                        }
                        // A sender backs off; compressed time, same order.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("a retrying sender panicked");
    }
    Retried {
        accepted: accepted.load(Ordering::SeqCst),
        duplicate: duplicate.load(Ordering::SeqCst),
    }
}

/// The example's settings: the inbox at `db`, handlers that take [`HANDLER_DELAY_MS`].
fn env(db: &Path) -> [(&'static str, OsString); 2] {
    [
        ("WEBHOOK_INBOX", db.as_os_str().to_owned()),
        ("HANDLER_DELAY_MS", HANDLER_DELAY_MS.to_string().into()),
    ]
}
