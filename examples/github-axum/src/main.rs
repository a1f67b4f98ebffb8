//! Run with `cargo run -p example-github-axum`.
//!
//! Env: `PORT` (3002), `GITHUB_WEBHOOK_SECRET` (a demo secret is generated and printed
//! when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a Postgres URL; default
//! `webhooks.db`).

use std::time::Duration;

use example_github_axum::{Repo, app};
use example_support::{
    Config, Ledger, init_logging, install_metrics, print_banner, shutdown_signal, with_sink,
};
use webhook_core::Receiver;

const SECRET_VAR: &str = "GITHUB_WEBHOOK_SECRET";

#[tokio::main]
async fn main() -> Result<(), String> {
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::from_env(SECRET_VAR, 3002)?;
    let builder = Receiver::builder(Repo {
        ledger: Ledger::from_env()?,
    })
    .secret(config.secret.clone());
    let receiver = with_sink(builder, &config.inbox).await?.build();

    let address = format!("127.0.0.1:{}", config.port);
    let listener = tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("bind {address}: {e}"))?;
    print_banner(
        &config,
        SECRET_VAR,
        &format!("http://{address}/webhooks/github"),
        "github",
        "push",
    );

    let metrics_route = axum::routing::get(move || std::future::ready(metrics.render()));
    axum::serve(
        listener,
        app(receiver.clone()).route("/metrics", metrics_route),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| e.to_string())?;
    // Intake has stopped: now let the accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}
