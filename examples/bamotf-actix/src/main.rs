//! Run with `cargo run -p example-bamotf-actix`.
//!
//! Env: `PORT` (3001), `WEBHOOK_SECRET` (the name bamotf's docs use; a demo secret is
//! generated and printed when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a
//! Postgres URL; default `webhooks.db`).

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use example_bamotf_actix::{Checkout, app};
use example_support::{Config, Ledger, init_logging, install_metrics, with_sink};
use webhook_core::Receiver;

const SECRET_VAR: &str = "WEBHOOK_SECRET";

#[actix_web::main]
async fn main() -> Result<(), String> {
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::from_env(SECRET_VAR, 3001)?;
    // Built once, here: every actix worker shares this receiver's queue and workers.
    let builder = Receiver::builder(Checkout { ledger: Ledger::from_env()? }).secret(config.secret.clone());
    let receiver = with_sink(builder, &config.inbox).await?.build();

    let address = format!("127.0.0.1:{}", config.port);
    let routes = app(receiver.clone());
    let server = HttpServer::new(move || {
        let metrics = metrics.clone();
        App::new()
            .configure(routes.clone())
            .route("/metrics", web::get().to(move || std::future::ready(metrics.render())))
    })
        .bind(&address)
        .map_err(|e| format!("bind {address}: {e}"))?;
    print_banner(&config, &address);
    server.run().await.map_err(|e| e.to_string())?;
    // actix stopped taking requests on SIGINT/SIGTERM: now let accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}

fn print_banner(config: &Config, address: &str) {
    if let Some(demo) = &config.demo_secret {
        println!("{SECRET_VAR} is not set; using a demo secret: {demo}");
    }
    println!("inbox: {}", config.inbox);
    println!("listening on http://{address}/webhooks/bamotf");
    println!("send a signed test event with:");
    println!(
        "  cargo run -q -p webhook-cli -- trigger payment_intent.succeeded --provider bamotf --url http://{address}/webhooks/bamotf --secret {}",
        config.secret_arg(SECRET_VAR)
    );
}
