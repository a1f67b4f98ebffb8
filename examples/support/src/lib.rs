//! What the example servers share: configuration from the environment, the choice of
//! sink (`WEBHOOK_INBOX`, and `WEBHOOK_INBOX_LEASE_MS` for a durable inbox's lease), and
//! the ledger of handled events their handlers write to.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use webhook_console::{Console, ConsoleToken};
use webhook_core::{MemorySink, ReceiverBuilder, Secret};
use webhook_inbox::{Inbox, InboxConfig};

/// The most recent entries a [`Ledger`] keeps: a server under load forgets older ones
/// (their log lines remain) rather than growing without bound.
pub const LEDGER_KEEPS: usize = 4096;

/// The handled events, in order, as `(event type, payload id)` (the last
/// [`LEDGER_KEEPS`]); every handled event is also logged as
/// `handled <event type> <payload id>`.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    entries: Arc<Mutex<VecDeque<(String, String)>>>,
    work: Duration,
}

impl Ledger {
    /// A ledger whose every handling first takes `work` (a stand-in for a slow database
    /// or API call; the load benchmark sets it with `HANDLER_DELAY_MS`).
    pub fn with_work(work: Duration) -> Self {
        Self {
            work,
            ..Self::default()
        }
    }

    /// A ledger whose work time comes from `HANDLER_DELAY_MS` (none when unset).
    pub fn from_env() -> Result<Self, String> {
        let Ok(ms) = std::env::var("HANDLER_DELAY_MS") else {
            return Ok(Self::default());
        };
        let ms = ms
            .parse()
            .map_err(|_| format!("HANDLER_DELAY_MS must be milliseconds, not `{ms}`"))?;
        Ok(Self::with_work(Duration::from_millis(ms)))
    }

    /// Records and logs one handled event. `id` is the payload's own id (`-` if none).
    pub async fn handled(&self, event_type: &str, id: Option<&str>) {
        if !self.work.is_zero() {
            tokio::time::sleep(self.work).await;
        }
        let id = id.unwrap_or("-");
        tracing::info!("handled {event_type} {id}");
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() == LEDGER_KEEPS {
            entries.pop_front();
        }
        entries.push_back((event_type.to_owned(), id.to_owned()));
    }

    /// What was handled so far (the last [`LEDGER_KEEPS`]), oldest first.
    pub fn entries(&self) -> Vec<(String, String)> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.iter().cloned().collect()
    }
}

/// A server's settings, read from the environment.
#[derive(Debug)]
pub struct Config {
    /// `PORT`.
    pub port: u16,
    /// The webhook secret.
    pub secret: Secret,
    /// Set when no secret was configured and a demo secret was generated (then printed).
    pub demo_secret: Option<String>,
    /// `WEBHOOK_INBOX`: `memory`, a SQLite path or a Postgres URL.
    pub inbox: String,
}

impl Config {
    /// Reads `PORT` (default `default_port`), the secret from `secret_var` (a demo
    /// secret when unset) and `WEBHOOK_INBOX` (default `webhooks.db`).
    pub fn from_env(secret_var: &str, default_port: u16) -> Result<Self, String> {
        let port = match std::env::var("PORT") {
            Ok(port) => port
                .parse()
                .map_err(|_| format!("PORT must be a port number, not `{port}`"))?,
            Err(_) => default_port,
        };
        let (secret, demo_secret) = match std::env::var(secret_var) {
            Ok(value) => (value, None),
            Err(_) => {
                let demo = demo_secret();
                (demo.clone(), Some(demo))
            }
        };
        let secret = Secret::new(secret).map_err(|e| format!("{secret_var}: {e}"))?;
        let inbox = std::env::var("WEBHOOK_INBOX").unwrap_or_else(|_| "webhooks.db".to_owned());
        Ok(Self {
            port,
            secret,
            demo_secret,
            inbox,
        })
    }

    /// The `--secret` argument of the printed test command: the demo secret itself, or
    /// a reference to the variable, so a real secret is never printed.
    pub fn secret_arg(&self, secret_var: &str) -> String {
        match &self.demo_secret {
            Some(demo) => demo.clone(),
            None => format!("\"${secret_var}\""),
        }
    }
}

/// What a server prints at start: where it listens and a ready-to-paste command that
/// sends it a signed test event (never the configured secret itself).
pub fn print_banner(config: &Config, secret_var: &str, url: &str, provider: &str, event: &str) {
    if let Some(demo) = &config.demo_secret {
        println!("{secret_var} is not set; using a demo secret: {demo}");
    }
    println!("inbox: {}", config.inbox);
    println!("listening on {url}");
    println!("send a signed test event with:");
    println!(
        "  cargo run -q -p webhook-cli -- trigger {event} --provider {provider} --url {url} --secret {}",
        config.secret_arg(secret_var)
    );
}

/// A random `whsec_` secret, valid for every provider's scheme.
pub fn demo_secret() -> String {
    let bytes: Vec<u8> = std::iter::repeat_with(|| fastrand::u8(..))
        .take(24)
        .collect();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Puts the sink named by `WEBHOOK_INBOX` under `builder`: `memory`, or a durable
/// inbox at a SQLite path or Postgres URL.
///
/// A durable inbox takes `InboxConfig::new()`, except for its lease when
/// `WEBHOOK_INBOX_LEASE_MS` is set: how long a worker's claim holds a row, so how soon
/// the rows of a process that died are run again by another (default 30 000 ms).
pub async fn with_sink<H: webhook_core::Handler>(
    builder: ReceiverBuilder<H>,
    inbox: &str,
) -> Result<ReceiverBuilder<H>, String> {
    let config = inbox_config()?;
    if inbox == "memory" {
        return Ok(builder.sink(MemorySink::new().capacity(10_000).workers(16)));
    }
    let inbox = Inbox::open_with(inbox, config)
        .await
        .map_err(|e| format!("WEBHOOK_INBOX={inbox}: {e}"))?;
    Ok(builder.sink(inbox))
}

/// `InboxConfig::new()`, with the lease from `WEBHOOK_INBOX_LEASE_MS` when set.
fn inbox_config() -> Result<InboxConfig, String> {
    let config = InboxConfig::new();
    let Ok(ms) = std::env::var("WEBHOOK_INBOX_LEASE_MS") else {
        return Ok(config);
    };
    let ms = ms
        .parse()
        .map_err(|_| format!("WEBHOOK_INBOX_LEASE_MS must be milliseconds, not `{ms}`"))?;
    Ok(config.lease(Duration::from_millis(ms)))
}

/// Like [`with_sink`], and also hands back the durable inbox (none for `memory`), for
/// the inbox console.
pub async fn with_sink_and_inbox<H: webhook_core::Handler>(
    builder: ReceiverBuilder<H>,
    inbox: &str,
) -> Result<(ReceiverBuilder<H>, Option<Inbox>), String> {
    if inbox == "memory" {
        return Ok((with_sink(builder, inbox).await?, None));
    }
    let opened = Inbox::open_with(inbox, inbox_config()?)
        .await
        .map_err(|e| format!("WEBHOOK_INBOX={inbox}: {e}"))?;
    Ok((builder.sink(opened.clone()), Some(opened)))
}

/// The variable holding the inbox console's token.
pub const CONSOLE_TOKEN_VAR: &str = "WEBHOOK_CONSOLE_TOKEN";

/// The inbox console over `inbox`, guarded by the token in `WEBHOOK_CONSOLE_TOKEN`, or
/// by a generated one (from the operating system's random source) that is printed
/// once, as the demo secret is.
pub fn console(inbox: Inbox) -> Result<Console, String> {
    let token = match std::env::var(CONSOLE_TOKEN_VAR) {
        Ok(token) => ConsoleToken::new(token).map_err(|e| format!("{CONSOLE_TOKEN_VAR}: {e}"))?,
        Err(_) => {
            let token = ConsoleToken::generate();
            println!(
                "{CONSOLE_TOKEN_VAR} is not set; using a generated console token: {}",
                token.expose()
            );
            token
        }
    };
    Ok(Console::new(inbox).token(token))
}

/// Prints where the console is, or why there is none.
pub fn print_console(url: Option<&str>) {
    match url {
        Some(url) => println!("inbox console: {url} (sign in with the console token)"),
        None => println!("inbox console: none (WEBHOOK_INBOX=memory keeps no inbox to show)"),
    }
}

/// Installs the Prometheus recorder: the framework's metrics (see
/// `webhook_core::metrics`) are then rendered by the handle, for a `/metrics` route.
pub fn install_metrics() -> Result<metrics_exporter_prometheus::PrometheusHandle, String> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .install_recorder()
        .map_err(|e| format!("metrics recorder: {e}"))
}

/// Logs to stderr, `info` by default, `RUST_LOG` to change.
pub fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_writer(std::io::stderr)
        .init();
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}

#[cfg(test)]
mod tests {
    use super::{LEDGER_KEEPS, Ledger};

    #[tokio::test]
    async fn ledger_keeps_the_most_recent_entries_in_order() {
        let ledger = Ledger::default();
        for n in 0..LEDGER_KEEPS + 3 {
            ledger
                .handled("charge.succeeded", Some(&n.to_string()))
                .await;
        }
        let entries = ledger.entries();
        assert_eq!(entries.len(), LEDGER_KEEPS);
        assert_eq!(entries[0].1, "3");
        assert_eq!(entries[LEDGER_KEEPS - 1].1, (LEDGER_KEEPS + 2).to_string());
    }
}
