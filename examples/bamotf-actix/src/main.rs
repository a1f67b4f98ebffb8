//! Run with `cargo run -p example-bamotf-actix`.
//!
//! Env: `PORT` (3001), `WEBHOOK_SECRET` (the name bamotf's docs use; a demo secret is
//! generated and printed when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a
//! Postgres URL; default `webhooks.db`).

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use example_bamotf_actix::{Checkout, app};
use example_support::{Config, Ledger, init_logging, install_metrics, print_banner, with_sink};
use webhook_core::Receiver;

const SECRET_VAR: &str = "WEBHOOK_SECRET";

#[actix_web::main]
async fn main() -> Result<(), String> {
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::from_env(SECRET_VAR, 3001)?;
    // Built once, here: every actix worker shares this receiver's queue and workers.
    let builder = Receiver::builder(Checkout {
        ledger: Ledger::from_env()?,
    })
    .secret(config.secret.clone());
    let receiver = with_sink(builder, &config.inbox).await?.build();

    let address = format!("127.0.0.1:{}", config.port);
    let routes = app(receiver.clone());
    let server = HttpServer::new(move || {
        let metrics = metrics.clone();
        App::new().configure(routes.clone()).route(
            "/metrics",
            web::get().to(move || std::future::ready(metrics.render())),
        )
    })
    .bind(&address)
    .map_err(|e| format!("bind {address}: {e}"))?;
    print_banner(
        &config,
        SECRET_VAR,
        &format!("http://{address}/webhooks/bamotf"),
        "bamotf",
        "payment_intent.succeeded",
    );
    server.run().await.map_err(|e| e.to_string())?;
    // actix stopped taking requests on SIGINT/SIGTERM: now let accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}
