//! The example server as a child process: the `example-modem-pay-axum` binary (built
//! first when missing or stale), started on a free loopback port with its output in a
//! log file, and the `handled charge.succeeded <id>` lines that log holds.

#![allow(dead_code)] // each test uses its own part

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant, SystemTime};

use super::SECRET;

/// The example server's binary and package.
pub(crate) const BIN: &str = "example-modem-pay-axum";
/// Where the example mounts its receiver.
pub(crate) const PATH: &str = "/webhooks/modem-pay";

/// The example server as a child process, its output in a log file.
pub(crate) struct Server {
    child: Child,
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `binary` on a free loopback port with the test secret, `info` logs and
    /// `env` (`WEBHOOK_INBOX`, `HANDLER_DELAY_MS`…), its output appended to `log`;
    /// resolves once it answers.
    pub(crate) async fn start<I, K, V>(binary: &Path, env: I, log: &Path) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<OsStr>,
        V: AsRef<OsStr>,
    {
        let port = free_port();
        // Both streams into one file opened for appending: the example logs to stderr
        // and prints its banner to stdout.
        let output = File::options()
            .create(true)
            .append(true)
            .open(log)
            .expect("the log file");
        let stderr = output.try_clone().expect("a second handle on the log file");
        let child = Command::new(binary)
            .env("PORT", port.to_string())
            .env("MODEM_PAY_WEBHOOK_SECRET", SECRET)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .envs(env)
            .stdin(Stdio::null())
            .stdout(output)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary.display()));
        let mut server = Self {
            child,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            log: log.to_owned(),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if tokio::net::TcpStream::connect(self.addr).await.is_ok() {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "the server exited with {status} before listening; its log:\n{}",
                    self.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "the server did not listen in time; its log:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Everything the server wrote so far.
    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its log file.
    pub(crate) fn log(&self) -> &Path {
        &self.log
    }

    /// Its process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL (`Child::kill` on Unix).
    pub(crate) fn kill(&mut self) {
        self.child.kill().expect("SIGKILL the server");
    }

    /// Reaps the process.
    pub(crate) fn wait(&mut self) -> ExitStatus {
        self.child.wait().expect("wait for the server")
    }

    /// SIGTERM, then waits at most `grace` for a graceful exit.
    pub(crate) fn terminate(&mut self, grace: Duration) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("run `kill -TERM`");
        assert!(sent.success(), "`kill -TERM` failed");
        let deadline = Instant::now() + grace;
        loop {
            if let Some(status) = self.child.try_wait().expect("poll the server") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "the server did not exit within {grace:?} of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    /// A failed test must not leave its server running.
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A loopback port nothing listens on right now.
fn free_port() -> u16 {
    let listener =
        std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).expect("bind a loopback port");
    listener.local_addr().expect("its address").port()
}

/// How many times each charge id was logged as handled in `log`.
pub(crate) fn handled_lines(log: &Path) -> HashMap<String, usize> {
    const MARK: &str = "handled charge.succeeded ";
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let mut counts = HashMap::new();
    for line in text.lines() {
        if let Some((_, rest)) = line.split_once(MARK) {
            let id = rest.split_whitespace().next().unwrap_or_default();
            *counts.entry(id.to_owned()).or_insert(0) += 1;
        }
    }
    counts
}

/// The logs' counts added up.
pub(crate) fn handled_in_all(logs: &[PathBuf]) -> HashMap<String, usize> {
    let mut total = HashMap::new();
    for log in logs {
        for (id, count) in handled_lines(log) {
            *total.entry(id).or_insert(0) += count;
        }
    }
    total
}

/// The example's binary next to this test's (`target/<profile>/`), built first when it
/// is missing or older than the sources it is built from.
pub(crate) fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test binary's path");
    // target/<profile>/deps/<test>-<hash>
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("the test binary sits in target/<profile>/deps");
    let binary = profile_dir.join(BIN);
    if !is_current(&binary) {
        build_example(profile_dir);
    }
    assert!(
        binary.is_file(),
        "{} is missing: build it with `cargo build -p {BIN}` (or run `cargo test --workspace`, which builds it)",
        binary.display()
    );
    binary
}

/// The workspace crates the binary is built from.
const SOURCES: &[&str] = &[
    "examples/modem-pay-axum",
    "examples/support",
    "webhook-core",
    "webhook-macros",
    "webhook-axum",
    "webhook-inbox",
];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the crate sits in the workspace")
        .to_owned()
}

fn is_current(binary: &Path) -> bool {
    let Ok(built) = binary.metadata().and_then(|m| m.modified()) else {
        return false;
    };
    let root = workspace_root();
    let newest = SOURCES
        .iter()
        .map(|krate| newest_change(&root.join(krate)))
        .max()
        .flatten()
        .unwrap_or(SystemTime::UNIX_EPOCH);
    built >= newest
}

/// The latest modification of `Cargo.toml` and the files under `src/` of `krate`.
fn newest_change(krate: &Path) -> Option<SystemTime> {
    let mut newest = std::fs::metadata(krate.join("Cargo.toml"))
        .and_then(|m| m.modified())
        .ok();
    let mut dirs = vec![krate.join("src")];
    while let Some(dir) = dirs.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Ok(changed) = entry.metadata().and_then(|m| m.modified()) {
                newest = newest.max(Some(changed));
            }
        }
    }
    newest
}

/// `cargo build -p example-modem-pay-axum` into this test's target directory and
/// profile. Cargo holds no lock on the target directory while tests run.
fn build_example(profile_dir: &Path) {
    let target_dir = profile_dir.parent().expect("target/<profile>");
    let mut command = Command::new(env!("CARGO"));
    command
        .args(["build", "-p", BIN, "--bin", BIN, "--manifest-path"])
        .arg(workspace_root().join("Cargo.toml"))
        .arg("--target-dir")
        .arg(target_dir);
    match profile_dir.file_name().and_then(|name| name.to_str()) {
        Some("debug") | None => {}
        Some("release") => {
            command.arg("--release");
        }
        Some(profile) => {
            command.args(["--profile", profile]);
        }
    }
    println!("building {BIN} (missing or older than its sources): {command:?}");
    let output = command.output().expect("run cargo");
    assert!(
        output.status.success(),
        "`cargo build -p {BIN}` failed; build it yourself or run `cargo test --workspace`:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
