//! Run with `cargo run -p example-modem-pay-axum`.
//!
//! Env: `PORT` (3000), `MODEM_PAY_WEBHOOK_SECRET` (a demo secret is generated and printed
//! when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a Postgres URL; default
//! `webhooks.db`).

use std::time::Duration;

use example_modem_pay_axum::{Payments, app};
use example_support::{Config, Ledger, init_logging, install_metrics, shutdown_signal, with_sink};
use webhook_core::Receiver;

const SECRET_VAR: &str = "MODEM_PAY_WEBHOOK_SECRET";

#[tokio::main]
async fn main() -> Result<(), String> {
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::from_env(SECRET_VAR, 3000)?;
    let builder = Receiver::builder(Payments { ledger: Ledger::from_env()? }).secret(config.secret.clone());
    let receiver = with_sink(builder, &config.inbox).await?.build();

    let address = format!("127.0.0.1:{}", config.port);
    let listener = tokio::net::TcpListener::bind(&address).await.map_err(|e| format!("bind {address}: {e}"))?;
    print_banner(&config, &address);

    let metrics_route = axum::routing::get(move || std::future::ready(metrics.render()));
    axum::serve(listener, app(receiver.clone()).route("/metrics", metrics_route))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(|e| e.to_string())?;
    // Intake has stopped: now let the accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}

fn print_banner(config: &Config, address: &str) {
    if let Some(demo) = &config.demo_secret {
        println!("{SECRET_VAR} is not set; using a demo secret: {demo}");
    }
    println!("inbox: {}", config.inbox);
    println!("listening on http://{address}/webhooks/modem-pay");
    println!("send a signed test event with:");
    println!(
        "  cargo run -q -p webhook-cli -- trigger charge.succeeded --provider modem-pay --url http://{address}/webhooks/modem-pay --secret {}",
        config.secret_arg(SECRET_VAR)
    );
}
