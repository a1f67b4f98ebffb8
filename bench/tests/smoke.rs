//! Keeps the generator honest: it runs for about a second against in-process baseline
//! servers and must count answers, all of them 2xx. Nothing here is timed.

use std::time::Duration;

use webhook_bench::deliveries::Sender;
use webhook_bench::load::{self, Config, Mode, Target};
use webhook_bench::servers::{WEBHOOK_PATH, bare_app, hand_app};
use webhook_core::testing::{TEST_SECRET, test_secret};

async fn start(app: axum::Router) -> Target {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let target = Target::parse(&format!("http://{address}{WEBHOOK_PATH}")).unwrap();
    load::wait_until_answering(&target, Duration::from_secs(10))
        .await
        .unwrap();
    target
}

fn short(target: Target, mode: Mode) -> Config {
    let mut config = Config::new(target, Sender::ModemPay, test_secret());
    config.connections = 8;
    config.mode = mode;
    config.warmup = Duration::from_millis(100);
    config.duration = Duration::from_millis(900);
    // Some presigned, the rest signed as they go: both paths run.
    config.presign = Some(100);
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_against_the_bare_server_counts_only_successes() {
    let target = start(bare_app()).await;
    let report = load::run(&short(target, Mode::Closed)).await.unwrap();
    assert!(report.ok > 0, "{report}");
    assert_eq!(report.non_2xx_total() + report.errors, 0, "{report}");
    assert_eq!(report.latencies.len() as u64, report.ok);
    assert!(report.percentile(0.5) <= report.percentile(0.99));
    assert!(report.result_line().starts_with("RESULT requests="));
    assert_eq!(report.presigned, 100);
    assert!(report.signed_live > 0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hand_written_receiver_accepts_the_generated_deliveries() {
    let target = start(hand_app(TEST_SECRET.as_bytes())).await;
    let report = load::run(&short(target, Mode::Closed)).await.unwrap();
    assert!(report.ok > 0, "{report}");
    assert_eq!(report.failed_fraction(), 0.0, "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_counted_as_non_2xx() {
    let target = start(hand_app(b"another secret")).await;
    let report = load::run(&short(target, Mode::Closed)).await.unwrap();
    assert_eq!(report.ok, 0, "{report}");
    assert!(
        report.non_2xx.get(&401).copied().unwrap_or(0) > 0,
        "{report}"
    );
    assert!(report.failed_fraction() > 0.99);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_loop_sends_about_the_offered_rate() {
    let target = start(bare_app()).await;
    let report = load::run(&short(target, Mode::Open { rate: 200.0 }))
        .await
        .unwrap();
    // 200/s for 0.9 s is 180 releases: never more (give or take the window's edges),
    // and fewer only by as much as a busy machine delays the timer. Not a timing check.
    assert!((30..=200).contains(&report.ok), "{report}");
    assert_eq!(report.failed_fraction(), 0.0, "{report}");
}
