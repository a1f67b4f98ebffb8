//! What the example servers share: their configuration (clap, from flags or the
//! environment), the choice of sink (`WEBHOOK_INBOX`), the inbox console, and the
//! ledger of handled events their handlers write to.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};
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

/// The settings every example server takes, from flags or the environment (clap's
/// `env`): where it listens, where accepted events are kept, the console's token.
///
/// Each example adds its own `--port`/`PORT` (its default differs) and its provider's
/// secret variable, and flattens this in.
#[derive(Clone, clap::Args)]
pub struct ServerArgs {
    /// The address to listen on; `0.0.0.0` to accept connections from other machines.
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,
    /// Where accepted events are kept: `memory`, a SQLite path or a Postgres URL
    /// (`postgres://…?sslmode=require` for managed Postgres).
    #[arg(
        long,
        env = "WEBHOOK_INBOX",
        default_value = "webhooks.db",
        hide_env_values = true
    )]
    pub inbox: String,
    /// How long a durable inbox's claim holds a row, so how soon the rows of a process
    /// that died run again elsewhere (default 30000).
    #[arg(long, env = "WEBHOOK_INBOX_LEASE_MS", value_name = "MS")]
    pub inbox_lease_ms: Option<u64>,
    /// The inbox console's token (sign-in form or `Authorization: Bearer`); one is
    /// generated and printed at start when unset.
    #[arg(long, env = CONSOLE_TOKEN_VAR, hide_env_values = true)]
    pub console_token: Option<String>,
    /// Time each handled event spends on stand-in work (a slow database or API call),
    /// for load tests.
    #[arg(long, env = "HANDLER_DELAY_MS", value_name = "MS", default_value_t = 0)]
    pub handler_delay_ms: u64,
}

// By hand: the console token stays out of debug output.
impl std::fmt::Debug for ServerArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerArgs")
            .field("bind", &self.bind)
            .field("inbox", &shown(&self.inbox))
            .field("inbox_lease_ms", &self.inbox_lease_ms)
            .field(
                "console_token",
                &self.console_token.as_ref().map(|_| "<redacted>"),
            )
            .field("handler_delay_ms", &self.handler_delay_ms)
            .finish()
    }
}

/// A server's settings, checked: what its `main` needs to start.
#[derive(Debug)]
pub struct Config {
    /// The address to listen on (`--bind` and `--port`).
    pub address: SocketAddr,
    /// The webhook secret.
    pub secret: Secret,
    /// Set when no secret was configured and a demo secret was generated (then printed).
    pub demo_secret: Option<String>,
    /// The flags every server shares.
    pub server: ServerArgs,
}

impl Config {
    /// Checks the settings: `secret`, read from `secret_var` or its flag, must be a
    /// valid secret (a demo secret is generated when it is absent).
    pub fn new(
        secret_var: &str,
        secret: Option<String>,
        port: u16,
        server: ServerArgs,
    ) -> Result<Self, String> {
        let (secret, demo_secret) = match secret {
            Some(value) => (value, None),
            None => {
                let demo = demo_secret()?;
                (demo.clone(), Some(demo))
            }
        };
        let secret = Secret::new(secret)
            .map_err(|e| format!("{secret_var}: {e}; set it to the secret your provider shows"))?;
        Ok(Self {
            address: SocketAddr::new(server.bind, port),
            secret,
            demo_secret,
            server,
        })
    }

    /// The ledger the handlers write to, with the `--handler-delay-ms` work.
    pub fn ledger(&self) -> Ledger {
        Ledger::with_work(Duration::from_millis(self.server.handler_delay_ms))
    }

    /// The `--secret` argument of the printed test command: the demo secret itself, or
    /// a reference to the variable, so a real secret is never printed.
    pub fn secret_arg(&self, secret_var: &str) -> String {
        match &self.demo_secret {
            Some(demo) => demo.clone(),
            None => format!("\"${secret_var}\""),
        }
    }

    /// The URL of `path` on this server, as a client on this machine reaches it.
    pub fn url(&self, path: &str) -> String {
        let host = match self.address.ip() {
            ip if ip.is_unspecified() => "127.0.0.1".to_owned(),
            IpAddr::V6(ip) => format!("[{ip}]"),
            IpAddr::V4(ip) => ip.to_string(),
        };
        format!("http://{host}:{}{path}", self.address.port())
    }
}

/// What a server prints at start: where it listens and a ready-to-paste command that
/// sends it a signed test event (never the configured secret itself).
pub fn print_banner(config: &Config, secret_var: &str, path: &str, provider: &str, event: &str) {
    if let Some(demo) = &config.demo_secret {
        println!("{secret_var} is not set; using a demo secret: {demo}");
    }
    let url = config.url(path);
    println!("inbox: {}", shown(&config.server.inbox));
    println!("listening on {} ({url})", config.address);
    println!("send a signed test event with:");
    println!(
        "  cargo run -q -p webhook-cli -- trigger {event} --provider {provider} --url {url} --secret {}",
        config.secret_arg(secret_var)
    );
}

/// `inbox` as it may be printed: a URL's password (`postgres://user:password@host/db`)
/// replaced by `***`.
pub fn shown(inbox: &str) -> std::borrow::Cow<'_, str> {
    let Some((scheme, rest)) = inbox.split_once("://") else {
        return inbox.into();
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return inbox.into();
    };
    let Some((user, _password)) = user_info.split_once(':') else {
        return inbox.into();
    };
    let tail = &rest[authority.len()..];
    format!("{scheme}://{user}:***@{host}{tail}").into()
}

/// A random `whsec_` secret (24 bytes from the operating system's cryptographic
/// generator), valid for every provider's scheme.
pub fn demo_secret() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes)
        .map_err(|e| format!("the operating system's random source failed: {e}"))?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    ))
}

/// Puts the sink `config` names (`--inbox`/`WEBHOOK_INBOX`) under `builder`, and hands
/// back the durable inbox (none for `memory`) for the inbox console.
///
/// A durable inbox takes `InboxConfig::new()`, with its lease from
/// `--inbox-lease-ms`/`WEBHOOK_INBOX_LEASE_MS` when set.
pub async fn with_sink_and_inbox<H: webhook_core::Handler>(
    builder: ReceiverBuilder<H>,
    config: &Config,
) -> Result<(ReceiverBuilder<H>, Option<Inbox>), String> {
    let inbox = config.server.inbox.as_str();
    if inbox == "memory" {
        let sink = MemorySink::new().capacity(10_000).workers(16);
        return Ok((builder.sink(sink), None));
    }
    let mut inbox_config = InboxConfig::new();
    if let Some(ms) = config.server.inbox_lease_ms {
        inbox_config = inbox_config.lease(Duration::from_millis(ms));
    }
    let opened = Inbox::open_with(inbox, inbox_config)
        .await
        .map_err(|e| format!("WEBHOOK_INBOX={}: {e}", shown(inbox)))?;
    Ok((builder.sink(opened.clone()), Some(opened)))
}

/// The variable holding the inbox console's token.
pub const CONSOLE_TOKEN_VAR: &str = "WEBHOOK_CONSOLE_TOKEN";

/// The inbox console over `inbox`, guarded by the token from `--console-token`/
/// `WEBHOOK_CONSOLE_TOKEN`, or by a generated one (from the operating system's random
/// source) that is printed once, as the demo secret is.
pub fn console(inbox: Inbox, config: &Config) -> Result<Console, String> {
    let token = match &config.server.console_token {
        Some(token) => {
            ConsoleToken::new(token.clone()).map_err(|e| format!("{CONSOLE_TOKEN_VAR}: {e}"))?
        }
        None => {
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
    use std::net::{IpAddr, Ipv4Addr};

    use clap::Parser;

    use super::{Config, LEDGER_KEEPS, Ledger, ServerArgs, demo_secret, shown};

    #[derive(Debug, Parser)]
    struct Args {
        #[command(flatten)]
        server: ServerArgs,
    }

    fn server(args: &[&str]) -> ServerArgs {
        let argv = std::iter::once("example").chain(args.iter().copied());
        Args::try_parse_from(argv).expect("valid flags").server
    }

    #[test]
    fn a_server_binds_loopback_and_keeps_events_in_sqlite_unless_told_otherwise() {
        let server = server(&[]);
        assert_eq!(server.bind, IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert_eq!(server.inbox, "webhooks.db");
        assert_eq!(server.inbox_lease_ms, None);
        assert_eq!(server.handler_delay_ms, 0);
    }

    #[test]
    fn flags_choose_the_address_and_the_inbox() {
        let server = server(&[
            "--bind",
            "0.0.0.0",
            "--inbox",
            "memory",
            "--inbox-lease-ms",
            "500",
        ]);
        assert_eq!(server.bind, IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert_eq!(server.inbox, "memory");
        assert_eq!(server.inbox_lease_ms, Some(500));
        let config = Config::new("S", Some("whsec_c2VjcmV0".into()), 4000, server).unwrap();
        assert_eq!(config.address.to_string(), "0.0.0.0:4000");
        // A client on this machine reaches an unspecified address through loopback.
        assert_eq!(config.url("/x"), "http://127.0.0.1:4000/x");
        assert_eq!(config.demo_secret, None);
        assert_eq!(config.secret_arg("S"), "\"$S\"");
    }

    #[test]
    fn a_bad_bind_address_is_refused_naming_the_flag() {
        let argv = ["example", "--bind", "localhost:80"];
        let error = Args::try_parse_from(argv).unwrap_err().to_string();
        assert!(error.contains("--bind"), "{error}");
    }

    #[test]
    fn an_inbox_url_is_printed_without_its_password() {
        assert_eq!(
            shown("postgres://app:s3cr%40t@db.example.com:5432/hooks?sslmode=require"),
            "postgres://app:***@db.example.com:5432/hooks?sslmode=require"
        );
        assert_eq!(shown("postgres://app@db/hooks"), "postgres://app@db/hooks");
        assert_eq!(shown("webhooks.db"), "webhooks.db");
        assert_eq!(shown("memory"), "memory");
        let mut server = server(&[]);
        server.inbox = "postgres://u:hunter2@h/d".into();
        server.console_token = Some("console-token-1234".into());
        let debug = format!("{server:?}");
        assert!(
            !debug.contains("hunter2") && !debug.contains("console-token-1234"),
            "{debug}"
        );
    }

    #[test]
    fn without_a_secret_a_fresh_demo_secret_is_made_each_start() {
        let first = Config::new("S", None, 1, server(&[])).unwrap();
        let second = demo_secret().unwrap();
        let demo = first.demo_secret.clone().expect("a demo secret");
        assert!(
            demo.starts_with("whsec_") && demo.len() == "whsec_".len() + 32,
            "{demo}"
        );
        assert_ne!(demo, second);
        assert_eq!(first.secret_arg("S"), demo);
    }

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
