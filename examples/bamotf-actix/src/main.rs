//! Run with `cargo run -p example-bamotf-actix`.
//!
//! Env: `PORT` (3001), `WEBHOOK_SECRET` (the name bamotf's docs use; a demo secret is
//! generated and printed when unset), `WEBHOOK_INBOX` (`memory`, a SQLite path or a
//! Postgres URL; default `webhooks.db`), `WEBHOOK_CONSOLE_TOKEN` (the inbox console at `/console`; a
//! token is generated and printed when unset).

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use example_bamotf_actix::{Checkout, app};
use example_support::{
    Config, Ledger, console, init_logging, install_metrics, print_banner, print_console,
    with_sink_and_inbox,
};
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
    let (builder, inbox) = with_sink_and_inbox(builder, &config.inbox).await?;
    let receiver = builder.build();

    let address = format!("127.0.0.1:{}", config.port);
    let routes = app(receiver.clone());
    // The inbox console, behind its token (see `example_support::console`).
    let console_routes = match inbox {
        Some(inbox) => Some(webhook_actix::console_with(
            console(inbox)?.refused_log(receiver.clone()),
        )),
        None => None,
    };
    let with_console = console_routes.is_some();
    let server = HttpServer::new(move || {
        let metrics = metrics.clone();
        let app = App::new().configure(routes.clone()).route(
            "/metrics",
            web::get().to(move || std::future::ready(metrics.render())),
        );
        match console_routes.clone() {
            Some(console) => app.service(web::scope("/console").configure(console)),
            None => app.service(web::scope("/console")),
        }
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
    print_console(
        with_console
            .then(|| format!("http://{address}/console"))
            .as_deref(),
    );
    server.run().await.map_err(|e| e.to_string())?;
    // actix stopped taking requests on SIGINT/SIGTERM: now let accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}
