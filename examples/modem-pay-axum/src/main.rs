//! Run with `cargo run -p example-modem-pay-axum` (`-- --help` lists the settings).
//!
//! Every setting is a flag or an environment variable: `--port`/`PORT` (3000),
//! `--bind`/`BIND` (127.0.0.1), `MODEM_PAY_WEBHOOK_SECRET` (a demo secret is generated
//! and printed when unset), `--inbox`/`WEBHOOK_INBOX` (`memory`, a SQLite path or a
//! Postgres URL; default `webhooks.db`), `WEBHOOK_CONSOLE_TOKEN` (the inbox console at
//! `/console`; a token is generated and printed when unset).

use std::time::Duration;

use clap::Parser;
use example_modem_pay_axum::{Payments, app};
use example_support::{
    Config, ServerArgs, console, init_logging, install_metrics, print_banner, print_console,
    shutdown_signal, with_sink_and_inbox,
};
use webhook_core::Receiver;

const SECRET_VAR: &str = "MODEM_PAY_WEBHOOK_SECRET";

/// Modem Pay webhooks in an axum app: typed handlers for every event, a SQLite inbox.
#[derive(Parser)]
struct Args {
    /// The port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// The webhook secret from Modem Pay's dashboard (better in the environment than on
    /// the command line, where `ps` shows it); a demo secret is generated when unset.
    #[arg(long, env = SECRET_VAR, hide_env_values = true)]
    secret: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::new(SECRET_VAR, args.secret, args.port, args.server)?;
    let builder = Receiver::builder(Payments {
        ledger: config.ledger(),
    })
    .secret(config.secret.clone());
    let (builder, inbox) = with_sink_and_inbox(builder, &config).await?;
    let receiver = builder.build();

    let listener = tokio::net::TcpListener::bind(config.address)
        .await
        .map_err(|e| {
            format!(
                "bind {}: {e}; set --port/PORT or --bind/BIND",
                config.address
            )
        })?;
    print_banner(
        &config,
        SECRET_VAR,
        "/webhooks/modem-pay",
        "modem-pay",
        "charge.succeeded",
    );

    let metrics_route = axum::routing::get(move || std::future::ready(metrics.render()));
    let mut routes = app(receiver.clone()).route("/metrics", metrics_route);
    // The inbox console, behind its token (see `example_support::console`).
    if let Some(inbox) = inbox {
        routes = routes.nest(
            "/console",
            webhook_axum::console_with(console(inbox, &config)?.refused_log(receiver.clone())),
        );
        print_console(Some(&config.url("/console")));
    } else {
        print_console(None);
    }
    axum::serve(listener, routes)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    // Intake has stopped: now let the accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}
