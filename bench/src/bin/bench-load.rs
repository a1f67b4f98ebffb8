//! The load generator of `scripts/load-bench`.
//!
//! ```text
//! bench-load run --url http://127.0.0.1:3000/webhooks/modem-pay --provider modem-pay \
//!     --secret S [--connections 64] [--duration 10] [--warmup 1] [--rate R] [--presign N] [--server-pid PID]
//! bench-load wait --url http://127.0.0.1:3000/ [--timeout 60]
//! bench-load free-port
//! ```
//!
//! `run` prints a summary and a last line `RESULT key=value ...`; it exits 2 when more
//! than 1% of the requests were not answered 2xx (or none were sent), 1 on other errors.

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use webhook_bench::deliveries::Sender;
use webhook_bench::load::{self, Config, Mode, Target};
use webhook_core::Secret;
use webhook_core::testing::TEST_SECRET;

#[derive(Debug, Parser)]
#[command(
    about = "Load generator for the webhook examples: distinct signed deliveries over keep-alive connections"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sends load and reports requests/s and latency percentiles.
    Run {
        /// The webhook URL (loopback only), e.g. http://127.0.0.1:3000/webhooks/modem-pay.
        #[arg(long)]
        url: String,
        /// Whose deliveries to send: `modem-pay` or `bamotf`.
        #[arg(long, default_value = "modem-pay")]
        provider: String,
        /// The server's webhook secret.
        #[arg(long, default_value = TEST_SECRET)]
        secret: String,
        /// Concurrent keep-alive connections.
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Seconds measured.
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
        /// Seconds of load before measuring (not counted).
        #[arg(long, default_value_t = 1.0)]
        warmup: f64,
        /// Open loop at this many requests per second (default: closed loop).
        #[arg(long)]
        rate: Option<f64>,
        /// Deliveries to sign before the clock starts (default: enough for the run at
        /// 80 000 req/s closed loop, or at the offered rate); later ones are signed as sent.
        #[arg(long)]
        presign: Option<usize>,
        /// The server's process id, to report its CPU time over the measured window.
        #[arg(long)]
        server_pid: Option<u32>,
        /// The largest share of non-2xx answers and errors tolerated, in percent.
        #[arg(long, default_value_t = 1.0)]
        max_failed_pct: f64,
    },
    /// Waits until an HTTP server answers at the URL's address.
    Wait {
        /// Any URL on the server, e.g. http://127.0.0.1:3000/.
        #[arg(long)]
        url: String,
        /// Seconds to wait at most.
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
    },
    /// Prints a loopback port that was free a moment ago.
    FreePort,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run {
            url,
            provider,
            secret,
            connections,
            duration,
            warmup,
            rate,
            presign,
            server_pid,
            max_failed_pct,
        } => {
            let settings = (|| -> Result<Config, String> {
                let target = Target::parse(&url)?;
                let sender: Sender = provider.parse()?;
                let secret = Secret::new(secret).map_err(|e| format!("--secret: {e}"))?;
                let mut config = Config::new(target, sender, secret);
                config.connections = connections.max(1);
                config.duration = seconds(duration, "--duration")?;
                config.warmup = seconds(warmup, "--warmup")?;
                config.presign = presign;
                config.server_pid = server_pid;
                config.mode = match rate {
                    Some(rate) => Mode::Open { rate },
                    None => Mode::Closed,
                };
                Ok(config)
            })();
            let config = match settings {
                Ok(config) => config,
                Err(error) => return fail(&error),
            };
            // A hard bound on the whole run, whatever the server does.
            let limit = config.warmup + config.duration + Duration::from_secs(60);
            let report = match tokio::time::timeout(limit, load::run(&config)).await {
                Ok(Ok(report)) => report,
                Ok(Err(error)) => return fail(&error),
                Err(_) => return fail(&format!("the run did not finish within {limit:?}")),
            };
            print!("{report}");
            println!("{}", report.result_line());
            let failed_pct = report.failed_fraction() * 100.0;
            if report.total() == 0 {
                eprintln!("bench-load: FAILED: no request was counted");
                return ExitCode::from(2);
            }
            if failed_pct > max_failed_pct {
                eprintln!(
                    "bench-load: FAILED: {failed_pct:.2}% of {} requests were not answered 2xx ({} non-2xx, {} errors); \
                     these numbers measure failures, not the receiver",
                    report.total(),
                    report.non_2xx_total(),
                    report.errors
                );
                return ExitCode::from(2);
            }
            ExitCode::SUCCESS
        }
        Command::Wait { url, timeout } => {
            let waited = async {
                let target = Target::parse(&url)?;
                load::wait_until_answering(&target, seconds(timeout, "--timeout")?).await
            };
            match waited.await {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) => fail(&error),
            }
        }
        Command::FreePort => {
            match std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()) {
                Ok(address) => {
                    println!("{}", address.port());
                    ExitCode::SUCCESS
                }
                Err(error) => fail(&format!("no free port: {error}")),
            }
        }
    }
}

fn seconds(value: f64, name: &str) -> Result<Duration, String> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| format!("{name} must be a number of seconds, not {value}"))
}

fn fail(message: &str) -> ExitCode {
    eprintln!("bench-load: {message}");
    ExitCode::FAILURE
}
