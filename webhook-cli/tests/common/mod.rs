//! Helpers shared by the CLI tests: run the binary, sign bodies, tiny HTTP servers.

#![allow(dead_code, unreachable_pub)]

use std::io::Write;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use tempfile::NamedTempFile;

/// A body every provider's envelope accepts (bamotf/modem-pay `event`, stripe `id`/`type`,
/// standard-webhooks `type`), compact as senders write it.
pub const ENVELOPE: &str = r#"{"id":"evt_1","idempotenceKey":"k1","event":"charge.succeeded","type":"charge.succeeded","payload":{"id":"ch_1","amount":500},"data":{"object":{"id":"ch_1","amount":500}}}"#;

/// Every provider name the CLI takes.
pub const PROVIDERS: [&str; 5] = [
    "modem-pay",
    "bamotf",
    "standard-webhooks",
    "stripe",
    "github",
];

/// A secret valid for every provider.
pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The environment variables the binary reads secrets and the inbox from.
pub const ENV_VARS: [&str; 3] = ["WEBHOOK_SECRET", "WEBHOOK_INBOX", "DATABASE_URL"];

/// The `webhook` binary, without the environment variables it reads (so a developer's or
/// CI's `DATABASE_URL` cannot change what a test sees).
pub fn webhook() -> Command {
    let mut command = Command::cargo_bin("webhook").expect("the webhook binary is built");
    for name in ENV_VARS {
        command.env_remove(name);
    }
    command
}

/// A temporary file holding `bytes`.
pub fn file(bytes: &[u8]) -> NamedTempFile {
    let mut file = NamedTempFile::new().expect("a temp file");
    file.write_all(bytes).expect("written");
    file
}

/// The path of a temp file, as an argument.
pub fn path(file: &NamedTempFile) -> PathBuf {
    file.path().to_path_buf()
}

/// Now in Unix milliseconds.
pub fn now_ms() -> u64 {
    let since = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    u64::try_from(since.as_millis()).unwrap()
}

/// `webhook sign` output lines for `body`, with extra arguments.
pub fn sign(provider: &str, secret: &str, body: &NamedTempFile, extra: &[&str]) -> Vec<String> {
    let output = webhook()
        .args([
            "sign",
            "--provider",
            provider,
            "--secret",
            secret,
            "--body-file",
        ])
        .arg(path(body))
        .args(extra)
        .output()
        .expect("sign runs");
    assert!(output.status.success(), "sign failed: {output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `webhook verify` with `headers` as `--header` flags, and extra arguments.
pub fn verify(
    provider: &str,
    secret: &str,
    headers: &[String],
    body: &NamedTempFile,
    extra: &[&str],
) -> assert_cmd::assert::Assert {
    let mut command = webhook();
    command
        .args([
            "verify",
            "--provider",
            provider,
            "--secret",
            secret,
            "--body-file",
        ])
        .arg(path(body));
    for header in headers {
        command.args(["--header", header]);
    }
    command.args(extra).assert()
}

/// The headers the envelope of `provider` needs besides the signature (GitHub's).
pub fn envelope_headers(provider: &str) -> Vec<String> {
    match provider {
        "github" => vec![
            "X-GitHub-Event: ping".to_owned(),
            "X-GitHub-Delivery: d-1".to_owned(),
        ],
        _ => Vec::new(),
    }
}

/// Stdout of an assertion as text.
pub fn stdout(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

/// What the command wrote to stderr.
pub fn stderr(assert: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// One request a test server received.
#[derive(Debug, Clone)]
pub struct Received {
    /// The path it was sent to.
    pub path: String,
    /// Its headers.
    pub headers: http::HeaderMap,
    /// Its body.
    pub body: bytes::Bytes,
}

/// A tiny HTTP server on 127.0.0.1 that records every request and answers `status`.
pub struct Server {
    /// Where it listens.
    pub addr: std::net::SocketAddr,
    received: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
}

impl Server {
    /// Starts a server on its own thread (it lives until the test process ends).
    pub fn start(status: u16) -> Self {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = received.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(listener, status, log));
        });
        Self { addr, received }
    }

    /// `http://127.0.0.1:PORT` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// What it has received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }
}

async fn serve(
    listener: std::net::TcpListener,
    status: u16,
    log: std::sync::Arc<std::sync::Mutex<Vec<Received>>>,
) {
    use http_body_util::BodyExt;
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    loop {
        let (stream, _) = listener.accept().await.unwrap();
        let log = log.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |request: http::Request<hyper::body::Incoming>| {
                    let log = log.clone();
                    async move {
                        let (parts, body) = request.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let path = parts.uri.path().to_owned();
                        log.lock().unwrap().push(Received {
                            path,
                            headers: parts.headers,
                            body,
                        });
                        let mut response = http::Response::new(http_body_util::Full::new(
                            bytes::Bytes::from_static(b"ok"),
                        ));
                        *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
                        Ok::<_, std::convert::Infallible>(response)
                    }
                });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

/// Judges a received request with webhook-core, as the receiver would.
pub fn check(
    provider: &dyn webhook_core::Provider,
    secret: &str,
    received: &Received,
) -> Result<webhook_core::Verified, webhook_core::Rejection> {
    let secrets = [webhook_core::Secret::new(secret).unwrap()];
    let request = webhook_core::Request::new(received.headers.clone(), received.body.clone());
    webhook_core::Verified::check(provider, &secrets, request, SystemTime::now())
}
