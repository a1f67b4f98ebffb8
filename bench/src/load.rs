//! The load generator: keep-alive HTTP/1.1 connections (hyper's client connection over a
//! tokio `TcpStream`) sending distinct signed deliveries, each request timed.
//!
//! Two modes:
//!
//! - **closed loop** ([`Mode::Closed`]): each of `connections` connections sends its next
//!   request as soon as the previous answer is read: the most the server can take.
//! - **open loop** ([`Mode::Open`]): requests are released at a fixed rate whatever the
//!   answers do, and taken by whichever connection is free. Latency counts from the
//!   release, so a request that waited for a free connection is charged for the wait
//!   (no coordinated omission).
//!
//! Deliveries are signed before the clock starts ([`Config::presign`]), so the generator's
//! time goes to HTTP, not to HMACs; its own CPU use and, given the server's process id,
//! the server's are reported for the measured window.
//!
//! Every answer's status is checked: non-2xx answers and transport errors are counted
//! apart from the successes, and [`Report::failed_fraction`] says how much of the run was
//! not a success. Only loopback targets are accepted, and every loop stops by itself: at
//! the end of the run, or at a hard deadline a grace period after it.

use std::collections::BTreeMap;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio::time::Instant;
use webhook_core::Secret;

use crate::deliveries::{Deliveries, Delivery, Sender};

/// Where the generator sends: a loopback address and a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// The server's address (always loopback).
    pub address: SocketAddr,
    /// The request path, e.g. `/webhooks/modem-pay`.
    pub path: String,
}

impl Target {
    /// Parses `http://127.0.0.1:3000/webhooks/modem-pay` (or `localhost`, or `[::1]`).
    /// Anything but a loopback address is refused: this tool loads this machine only.
    pub fn parse(url: &str) -> Result<Self, String> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| format!("`{url}`: only http:// URLs are supported"))?;
        let (authority, path) = match rest.find('/') {
            Some(slash) => (&rest[..slash], &rest[slash..]),
            None => (rest, "/"),
        };
        let (host, port) = authority
            .rsplit_once(':')
            .ok_or_else(|| format!("`{url}`: the URL needs a port"))?;
        let port: u16 = port
            .parse()
            .map_err(|_| format!("`{url}`: bad port `{port}`"))?;
        let ip: IpAddr = match host {
            "localhost" => IpAddr::V4(Ipv4Addr::LOCALHOST),
            host => host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse()
                .map_err(|_| {
                    format!("`{url}`: the host must be a loopback address, not `{host}`")
                })?,
        };
        if !ip.is_loopback() {
            return Err(format!(
                "`{url}`: refusing a non-loopback target; this benchmark only loads this machine"
            ));
        }
        Ok(Self {
            address: SocketAddr::new(ip, port),
            path: path.to_owned(),
        })
    }

    fn host_header(&self) -> String {
        self.address.to_string()
    }
}

/// How requests are paced.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mode {
    /// Each connection sends back-to-back.
    Closed,
    /// Requests are released at this many per second, across all connections.
    Open {
        /// Requests per second offered.
        rate: f64,
    },
}

/// A run's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to send.
    pub target: Target,
    /// Whose deliveries to send.
    pub sender: Sender,
    /// The secret to sign with (the server's).
    pub secret: Secret,
    /// Concurrent keep-alive connections.
    pub connections: usize,
    /// Pacing.
    pub mode: Mode,
    /// Sent before measuring (connections open, caches warm); not counted.
    pub warmup: Duration,
    /// How long to measure.
    pub duration: Duration,
    /// One request's limit; past it, it counts as an error and the connection is dropped.
    pub request_timeout: Duration,
    /// How many deliveries to sign before the clock starts, so that signing (an HMAC of
    /// every body) does not take the generator's time during the run; past them, the
    /// connections sign as they go. `None`: enough for the run at up to
    /// [`AUTO_PRESIGN_RATE`] req/s (closed loop) or the offered rate (open loop).
    pub presign: Option<usize>,
    /// The server's process id, to measure its CPU time over the measured window
    /// (Linux `/proc`), when it runs on this machine.
    pub server_pid: Option<u32>,
}

/// The closed-loop rate the automatic presigned supply is sized for.
pub const AUTO_PRESIGN_RATE: f64 = 80_000.0;

/// The most deliveries presigned automatically (each holds a ~1 KiB body).
const MAX_AUTO_PRESIGN: usize = 2_000_000;

/// Presigned bamotf deliveries carry their signing time, which the receiver accepts for
/// ±5 min: past this much run time they are signed as they go instead.
const TIMESTAMPED_PRESIGN_LIMIT: Duration = Duration::from_secs(200);

impl Config {
    /// Closed loop, 64 connections, 1 s warm-up, 10 s measured, 10 s per request.
    pub fn new(target: Target, sender: Sender, secret: Secret) -> Self {
        Self {
            target,
            sender,
            secret,
            connections: 64,
            mode: Mode::Closed,
            warmup: Duration::from_secs(1),
            duration: Duration::from_secs(10),
            request_timeout: Duration::from_secs(10),
            presign: None,
            server_pid: None,
        }
    }

    /// How many deliveries [`run`] signs before the clock starts.
    pub fn presign_count(&self) -> usize {
        let run = self.warmup + self.duration;
        if self.sender == Sender::Bamotf && run > TIMESTAMPED_PRESIGN_LIMIT {
            return 0;
        }
        if let Some(count) = self.presign {
            return count;
        }
        let rate = match self.mode {
            Mode::Closed => AUTO_PRESIGN_RATE,
            Mode::Open { rate } => rate * 1.1,
        };
        ((rate * run.as_secs_f64()).ceil() as usize + self.connections).min(MAX_AUTO_PRESIGN)
    }
}

/// What one run measured (the warm-up left out).
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// How long was measured.
    pub measured: Duration,
    /// The offered rate in open-loop mode.
    pub offered_rate: Option<f64>,
    /// Answers with a 2xx status.
    pub ok: u64,
    /// Answers with any other status, by status.
    pub non_2xx: BTreeMap<u16, u64>,
    /// Requests that got no answer: connection failures, timeouts, and (open loop)
    /// releases still unsent at the hard deadline.
    pub errors: u64,
    /// The first few transport error messages.
    pub error_samples: Vec<String>,
    /// Every answered request's latency, sorted ascending.
    pub latencies: Vec<Duration>,
    /// Every request sent during the whole run, warm-up and the window's edges included
    /// (to divide the server's CPU time by).
    pub sent: u64,
    /// Deliveries signed before the clock started.
    pub presigned: u64,
    /// Deliveries signed during the run, once the presigned ones ran out (the generator
    /// then spends part of its time signing).
    pub signed_live: u64,
    /// The generator's CPU time while measuring, as a fraction of one core (when the
    /// platform tells: `/proc/self/task/*/schedstat`).
    pub generator_cpu: Option<f64>,
    /// The server's CPU time while measuring, as a fraction of one core (with
    /// [`Config::server_pid`]).
    pub server_cpu: Option<f64>,
}

impl Report {
    /// Every request counted: answered (any status) or failed.
    pub fn total(&self) -> u64 {
        self.ok + self.non_2xx_total() + self.errors
    }

    /// All non-2xx answers.
    pub fn non_2xx_total(&self) -> u64 {
        self.non_2xx.values().sum()
    }

    /// The share of requests that were not a 2xx answer (0 when nothing was sent).
    pub fn failed_fraction(&self) -> f64 {
        match self.total() {
            0 => 0.0,
            total => (self.non_2xx_total() + self.errors) as f64 / total as f64,
        }
    }

    /// Successful answers per second.
    pub fn requests_per_sec(&self) -> f64 {
        if self.measured.is_zero() {
            0.0
        } else {
            self.ok as f64 / self.measured.as_secs_f64()
        }
    }

    /// The latency at quantile `q` (0..=1) of the answered requests (nearest rank).
    pub fn percentile(&self, q: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = (q.clamp(0.0, 1.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.saturating_sub(1).min(self.latencies.len() - 1)]
    }

    /// The server's CPU time per answered request in the window, in microseconds.
    pub fn server_us_per_request(&self) -> Option<f64> {
        let answered = self.ok + self.non_2xx_total();
        let cpu = self.server_cpu?;
        (answered > 0).then(|| cpu * self.measured.as_secs_f64() * 1e6 / answered as f64)
    }

    /// One machine-readable line: `RESULT key=value ...` (latencies in ms).
    pub fn result_line(&self) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let percent =
            |cpu: Option<f64>| cpu.map_or_else(|| "na".to_owned(), |c| format!("{:.0}", c * 100.0));
        let (cpu, server_cpu) = (percent(self.generator_cpu), percent(self.server_cpu));
        let server_us = self
            .server_us_per_request()
            .map_or_else(|| "na".to_owned(), |us| format!("{us:.1}"));
        format!(
            "RESULT requests={} ok={} non2xx={} errors={} rps={:.0} p50_ms={:.3} p99_ms={:.3} max_ms={:.3} failed_pct={:.3} gen_cpu_pct={cpu} sent={} presigned={} signed_live={} server_cpu_pct={server_cpu} server_us_per_req={server_us}",
            self.total(),
            self.ok,
            self.non_2xx_total(),
            self.errors,
            self.requests_per_sec(),
            ms(self.percentile(0.50)),
            ms(self.percentile(0.99)),
            ms(self.latencies.last().copied().unwrap_or_default()),
            self.failed_fraction() * 100.0,
            self.sent,
            self.presigned,
            self.signed_live,
        )
    }

    fn merge(&mut self, tally: Tally) {
        self.ok += tally.ok;
        for (status, count) in tally.non_2xx {
            *self.non_2xx.entry(status).or_default() += count;
        }
        self.errors += tally.errors;
        self.sent += tally.sent;
        self.signed_live += tally.signed_live;
        for sample in tally.error_samples {
            if self.error_samples.len() < 5 {
                self.error_samples.push(sample);
            }
        }
        self.latencies.extend(tally.latencies);
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        match self.offered_rate {
            Some(rate) => writeln!(
                f,
                "open loop at {rate} req/s for {:.1} s",
                self.measured.as_secs_f64()
            )?,
            None => writeln!(f, "closed loop for {:.1} s", self.measured.as_secs_f64())?,
        }
        writeln!(
            f,
            "  2xx: {}  non-2xx: {}  errors: {}",
            self.ok,
            self.non_2xx_total(),
            self.errors
        )?;
        if !self.non_2xx.is_empty() {
            let statuses: Vec<String> = self
                .non_2xx
                .iter()
                .map(|(status, n)| format!("{status}: {n}"))
                .collect();
            writeln!(f, "  non-2xx by status: {}", statuses.join(", "))?;
        }
        for sample in &self.error_samples {
            writeln!(f, "  error: {sample}")?;
        }
        writeln!(f, "  {:.0} req/s", self.requests_per_sec())?;
        writeln!(
            f,
            "  latency ms: p50 {:.3}  p90 {:.3}  p99 {:.3}  p99.9 {:.3}  max {:.3}",
            ms(self.percentile(0.5)),
            ms(self.percentile(0.9)),
            ms(self.percentile(0.99)),
            ms(self.percentile(0.999)),
            ms(self.latencies.last().copied().unwrap_or_default()),
        )?;
        if let Some(cpu) = self.generator_cpu {
            writeln!(f, "  generator CPU: {:.0}% of one core", cpu * 100.0)?;
        }
        if let (Some(cpu), Some(us)) = (self.server_cpu, self.server_us_per_request()) {
            writeln!(
                f,
                "  server CPU: {:.0}% of one core, {us:.1} µs per answer",
                cpu * 100.0
            )?;
        }
        writeln!(
            f,
            "  deliveries: {} sent in all, {} presigned, {} signed during the run",
            self.sent, self.presigned, self.signed_live
        )?;
        Ok(())
    }
}

/// One connection's counts.
#[derive(Debug, Default)]
struct Tally {
    ok: u64,
    non_2xx: BTreeMap<u16, u64>,
    errors: u64,
    error_samples: Vec<String>,
    latencies: Vec<Duration>,
    sent: u64,
    signed_live: u64,
}

impl Tally {
    fn record(&mut self, outcome: Result<u16, String>, latency: Duration) {
        match outcome {
            Ok(status) if (200..300).contains(&status) => {
                self.ok += 1;
                self.latencies.push(latency);
            }
            Ok(status) => {
                *self.non_2xx.entry(status).or_default() += 1;
                self.latencies.push(latency);
            }
            Err(error) => self.error(error),
        }
    }

    fn error(&mut self, error: String) {
        self.errors += 1;
        if self.error_samples.len() < 5 {
            self.error_samples.push(error);
        }
    }
}

/// How long open-loop releases may wait past the end of the run before they count as
/// errors (closed-loop requests are bounded by [`Config::request_timeout`]).
const GRACE: Duration = Duration::from_secs(10);

/// Runs the load described by `config` and reports what it measured.
///
/// Fails before sending anything when a generated delivery does not pass webhook-core's
/// own verification (a signing mistake would only measure 401s).
pub async fn run(config: &Config) -> Result<Report, String> {
    let run_id = fastrand::u32(..);
    Deliveries::new(config.sender, config.secret.clone(), run_id, 0).self_check()?;
    let connections = config.connections.max(1);
    let pool = presign(config, run_id);
    let presigned = pool.lock().map_or(0, |pool| pool.len() as u64);
    let start = Instant::now();
    let window = Window {
        from: start + config.warmup,
        to: start + config.warmup + config.duration,
    };
    let cpu = tokio::spawn(measure_cpu(window, None));
    let server_cpu = config
        .server_pid
        .map(|pid| tokio::spawn(measure_cpu(window, Some(pid))));

    let mut workers = Vec::with_capacity(connections);
    match config.mode {
        Mode::Closed => {
            for stream in 0..connections {
                let deliveries = Supply::new(
                    Arc::clone(&pool),
                    Deliveries::new(
                        config.sender,
                        config.secret.clone(),
                        run_id,
                        stream_id(stream),
                    ),
                );
                let connection = Connection::new(config.target.clone(), config.request_timeout);
                workers.push(tokio::spawn(closed_loop(connection, deliveries, window)));
            }
        }
        Mode::Open { rate } => {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(format!(
                    "the rate must be a positive number of requests per second, not {rate}"
                ));
            }
            let (releases, queue) = mpsc::unbounded_channel();
            let queue = Arc::new(Mutex::new(queue));
            for stream in 0..connections {
                let deliveries = Supply::new(
                    Arc::clone(&pool),
                    Deliveries::new(
                        config.sender,
                        config.secret.clone(),
                        run_id,
                        stream_id(stream),
                    ),
                );
                let connection = Connection::new(config.target.clone(), config.request_timeout);
                workers.push(tokio::spawn(open_loop(
                    connection,
                    deliveries,
                    window,
                    Arc::clone(&queue),
                )));
            }
            tokio::spawn(release(releases, start, window.to, rate));
        }
    }

    let mut report = Report {
        measured: config.duration,
        presigned,
        offered_rate: match config.mode {
            Mode::Open { rate } => Some(rate),
            Mode::Closed => None,
        },
        ..Report::default()
    };
    for worker in workers {
        match worker.await {
            Ok(tally) => report.merge(tally),
            Err(error) => return Err(format!("a connection task failed: {error}")),
        }
    }
    report.latencies.sort_unstable();
    report.generator_cpu = cpu.await.ok().flatten();
    if let Some(server_cpu) = server_cpu {
        report.server_cpu = server_cpu.await.ok().flatten();
    }
    Ok(report)
}

/// Ids of streams fit the 4 hex digits of the delivery id; `PRESIGNED_STREAM` is kept
/// for the presigned deliveries.
fn stream_id(stream: usize) -> u16 {
    u16::try_from(stream % usize::from(PRESIGNED_STREAM)).unwrap_or(0)
}

const PRESIGNED_STREAM: u16 = u16::MAX;

type Pool = Arc<std::sync::Mutex<Vec<Delivery>>>;

/// Signs [`Config::presign_count`] deliveries of their own stream.
fn presign(config: &Config, run_id: u32) -> Pool {
    let count = config.presign_count();
    let mut signer = Deliveries::new(
        config.sender,
        config.secret.clone(),
        run_id,
        PRESIGNED_STREAM,
    );
    let deliveries: Vec<Delivery> = (0..count).map(|_| signer.next_delivery()).collect();
    Arc::new(std::sync::Mutex::new(deliveries))
}

/// Where a connection takes its deliveries: the presigned pool, then its own signer.
struct Supply {
    pool: Pool,
    live: Deliveries,
    signed_live: u64,
}

impl Supply {
    fn new(pool: Pool, live: Deliveries) -> Self {
        Self {
            pool,
            live,
            signed_live: 0,
        }
    }

    fn next_delivery(&mut self) -> Delivery {
        let presigned = self.pool.lock().ok().and_then(|mut pool| pool.pop());
        presigned.unwrap_or_else(|| {
            self.signed_live += 1;
            self.live.next_delivery()
        })
    }
}

/// The measured interval.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    to: Instant,
}

impl Window {
    fn contains(&self, at: Instant) -> bool {
        at >= self.from && at < self.to
    }
}

async fn closed_loop(mut connection: Connection, mut deliveries: Supply, window: Window) -> Tally {
    let mut tally = Tally::default();
    let mut previous_failed = false;
    while Instant::now() < window.to {
        if previous_failed {
            // Do not spin on a server that refuses connections.
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let delivery = deliveries.next_delivery();
        let started = Instant::now();
        let outcome = connection.exchange(delivery.headers, delivery.body).await;
        let done = Instant::now();
        tally.sent += 1;
        previous_failed = outcome.is_err();
        if window.contains(done) {
            tally.record(outcome, done - started);
        }
    }
    tally.signed_live = deliveries.signed_live;
    tally
}

async fn open_loop(
    mut connection: Connection,
    mut deliveries: Supply,
    window: Window,
    queue: Arc<Mutex<mpsc::UnboundedReceiver<Instant>>>,
) -> Tally {
    let mut tally = Tally::default();
    let deadline = window.to + GRACE;
    loop {
        let released = queue.lock().await.recv().await;
        let Some(released) = released else { break };
        if Instant::now() > deadline {
            // Too late to send: the server could not keep up. Count, and drain the rest.
            if window.contains(released) {
                tally.error("released but not sent before the deadline".to_owned());
            }
            continue;
        }
        let delivery = deliveries.next_delivery();
        let outcome = connection.exchange(delivery.headers, delivery.body).await;
        let done = Instant::now();
        tally.sent += 1;
        if window.contains(released) {
            tally.record(outcome, done - released);
        }
    }
    tally.signed_live = deliveries.signed_live;
    tally
}

/// Releases requests at `rate` from `start` until `end`. Each release carries the instant
/// it was made (not the nominal one: timer lateness is the generator's, not the server's).
async fn release(
    releases: mpsc::UnboundedSender<Instant>,
    start: Instant,
    end: Instant,
    rate: f64,
) {
    for n in 0u64.. {
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        if due >= end {
            break;
        }
        tokio::time::sleep_until(due).await;
        if releases.send(Instant::now()).is_err() {
            break;
        }
    }
}

/// One keep-alive connection, reopened after an error.
struct Connection {
    target: Target,
    host: http::HeaderValue,
    timeout: Duration,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    fn new(target: Target, timeout: Duration) -> Self {
        let host = http::HeaderValue::from_str(&target.host_header())
            .expect("an address is a valid header value");
        Self {
            target,
            host,
            timeout,
            sender: None,
        }
    }

    /// Sends one POST and reads the whole answer: its status, or why there was none.
    async fn exchange(&mut self, headers: http::HeaderMap, body: Bytes) -> Result<u16, String> {
        match tokio::time::timeout(self.timeout, self.try_exchange(headers, body)).await {
            Ok(Ok(status)) => Ok(status),
            Ok(Err(error)) => {
                self.sender = None;
                Err(error)
            }
            Err(_) => {
                self.sender = None;
                Err(format!("no answer within {:?}", self.timeout))
            }
        }
    }

    async fn try_exchange(&mut self, headers: http::HeaderMap, body: Bytes) -> Result<u16, String> {
        let mut sender = match self.sender.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.connect().await?,
        };
        sender
            .ready()
            .await
            .map_err(|e| format!("connection: {e}"))?;
        let mut request = http::Request::post(self.target.path.as_str())
            .body(Full::new(body))
            .map_err(|e| format!("request: {e}"))?;
        *request.headers_mut() = headers;
        request
            .headers_mut()
            .insert(http::header::HOST, self.host.clone());
        let response = sender
            .send_request(request)
            .await
            .map_err(|e| format!("send: {e}"))?;
        let status = response.status().as_u16();
        response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("answer body: {e}"))?;
        self.sender = Some(sender);
        Ok(status)
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = TcpStream::connect(self.target.address)
            .await
            .map_err(|e| format!("connect {}: {e}", self.target.address))?;
        stream
            .set_nodelay(true)
            .map_err(|e| format!("nodelay: {e}"))?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

/// Waits until something answers HTTP at `target` (any status), for at most `limit`.
pub async fn wait_until_answering(target: &Target, limit: Duration) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    let probe_target = Target {
        path: "/healthz".to_owned(),
        ..target.clone()
    };
    let mut last_error = String::new();
    while Instant::now() < deadline {
        let mut probe = Connection::new(probe_target.clone(), Duration::from_secs(2));
        let attempt = async {
            let mut sender = probe.connect().await?;
            sender.ready().await.map_err(|e| e.to_string())?;
            let mut request = http::Request::get(probe.target.path.as_str())
                .body(Full::new(Bytes::new()))
                .map_err(|e| e.to_string())?;
            request
                .headers_mut()
                .insert(http::header::HOST, probe.host.clone());
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<u16, String>(response.status().as_u16())
        };
        match tokio::time::timeout(Duration::from_secs(2), attempt).await {
            Ok(Ok(_)) => return Ok(()),
            Ok(Err(error)) => last_error = error,
            Err(_) => last_error = "no answer within 2 s".to_owned(),
        }
        probe.sender = None;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err(format!(
        "nothing answered at {} within {limit:?}: {last_error}",
        target.address
    ))
}

/// The CPU process `pid` (this one when `None`) used during `window`, as a fraction
/// of one core.
async fn measure_cpu(window: Window, pid: Option<u32>) -> Option<f64> {
    let process = pid.map_or_else(|| "self".to_owned(), |pid| pid.to_string());
    tokio::time::sleep_until(window.from).await;
    let before = cpu_time(&process)?;
    let from = Instant::now();
    tokio::time::sleep_until(window.to).await;
    let used = cpu_time(&process)?.checked_sub(before)?;
    Some(used.as_secs_f64() / from.elapsed().as_secs_f64())
}

/// The CPU time of a process's live threads, from Linux's `schedstat` (threads that
/// ended in between are not counted).
fn cpu_time(process: &str) -> Option<Duration> {
    let mut total = 0u64;
    for task in std::fs::read_dir(format!("/proc/{process}/task")).ok()? {
        let path = task.ok()?.path().join("schedstat");
        let text = std::fs::read_to_string(path).ok()?;
        total += text.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(Duration::from_nanos(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_targets_are_accepted() {
        let target = Target::parse("http://127.0.0.1:3000/webhooks/modem-pay").unwrap();
        assert_eq!(target.address, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(target.path, "/webhooks/modem-pay");
        assert!(Target::parse("http://localhost:80").is_ok());
        assert!(Target::parse("http://[::1]:80/x").is_ok());
        assert!(Target::parse("http://10.0.0.1:80/").is_err());
        assert!(Target::parse("http://example.com:80/").is_err());
        assert!(Target::parse("https://127.0.0.1:80/").is_err());
    }

    #[test]
    fn percentiles_take_the_nearest_rank() {
        let report = Report {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ok: 100,
            measured: Duration::from_secs(2),
            ..Report::default()
        };
        assert_eq!(report.percentile(0.5), Duration::from_millis(50));
        assert_eq!(report.percentile(0.99), Duration::from_millis(99));
        assert_eq!(report.percentile(1.0), Duration::from_millis(100));
        assert_eq!(report.requests_per_sec(), 50.0);
    }

    #[test]
    fn failures_are_counted_apart() {
        let mut tally = Tally::default();
        tally.record(Ok(200), Duration::from_millis(1));
        tally.record(Ok(401), Duration::from_millis(1));
        tally.record(Err("refused".to_owned()), Duration::ZERO);
        let mut report = Report::default();
        report.merge(tally);
        assert_eq!(
            (report.ok, report.non_2xx_total(), report.errors),
            (1, 1, 1)
        );
        assert!((report.failed_fraction() - 2.0 / 3.0).abs() < 1e-9);
    }
}
