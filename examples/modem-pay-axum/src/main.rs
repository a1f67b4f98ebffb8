//! Run with `cargo run -p example-modem-pay-axum`.
//!
//! Env: `PORT` (3000), `MODEM_PAY_WEBHOOK_SECRET` (a demo secret is generated and printed
//! when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a Postgres URL; default
//! `webhooks.db`), `WEBHOOK_CONSOLE_TOKEN` (the inbox console at `/console`; a
//! token is generated and printed when unset).

use std::time::Duration;

use example_modem_pay_axum::{Payments, app};
use example_support::{
    Config, Ledger, console, init_logging, install_metrics, print_banner, print_console,
    shutdown_signal, with_sink_and_inbox,
};
use webhook_core::Receiver;

const SECRET_VAR: &str = "MODEM_PAY_WEBHOOK_SECRET";

#[tokio::main]
async fn main() -> Result<(), String> {
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::from_env(SECRET_VAR, 3000)?;
    let builder = Receiver::builder(Payments {
        ledger: Ledger::from_env()?,
    })
    .secret(config.secret.clone());
    let (builder, inbox) = with_sink_and_inbox(builder, &config.inbox).await?;
    let receiver = builder.build();

    let address = format!("127.0.0.1:{}", config.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("bind {address}: {e}"))?;
    print_banner(
        &config,
        SECRET_VAR,
        &format!("http://{address}/webhooks/modem-pay"),
        "modem-pay",
        "charge.succeeded",
    );

    let metrics_route = axum::routing::get(move || std::future::ready(metrics.render()));
    let mut routes = app(receiver.clone()).route("/metrics", metrics_route);
    // The inbox console, behind its token (see `example_support::console`).
    if let Some(inbox) = inbox {
        routes = routes.nest(
            "/console",
            webhook_axum::console_with(console(inbox)?.refused_log(receiver.clone())),
        );
        print_console(Some(&format!("http://{address}/console")));
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
