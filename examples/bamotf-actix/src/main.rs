//! Run with `cargo run -p example-bamotf-actix` (`-- --help` lists the settings).
//!
//! Every setting is a flag or an environment variable: `--port`/`PORT` (3001),
//! `--bind`/`BIND` (127.0.0.1), `WEBHOOK_SECRET` (the name bamotf's docs use; a demo
//! secret is generated and printed when unset), `--inbox`/`WEBHOOK_INBOX` (`memory`, a
//! SQLite path or a Postgres URL; default `webhooks.db`), `WEBHOOK_CONSOLE_TOKEN` (the
//! inbox console at `/console`; a token is generated and printed when unset).

use std::time::Duration;

use actix_web::{App, HttpServer, web};
use clap::Parser;
use example_bamotf_actix::{Checkout, app};
use example_support::{
    Config, ServerArgs, console, init_logging, install_metrics, print_banner, print_console,
    with_sink_and_inbox,
};
use webhook_core::Receiver;

const SECRET_VAR: &str = "WEBHOOK_SECRET";

/// bamotf webhooks in an actix-web app: typed payment intent handlers, a SQLite inbox.
#[derive(Parser)]
struct Args {
    /// The port to listen on.
    #[arg(long, env = "PORT", default_value_t = 3001)]
    port: u16,
    /// The webhook secret bamotf signs with (better in the environment than on the
    /// command line, where `ps` shows it); a demo secret is generated when unset.
    #[arg(long, env = SECRET_VAR, hide_env_values = true)]
    secret: Option<String>,
    #[command(flatten)]
    server: ServerArgs,
}

#[actix_web::main]
async fn main() -> Result<(), String> {
    let args = Args::parse();
    init_logging();
    let metrics = install_metrics()?;
    let config = Config::new(SECRET_VAR, args.secret, args.port, args.server)?;
    // Built once, here: every actix worker shares this receiver's queue and workers.
    let builder = Receiver::builder(Checkout {
        ledger: config.ledger(),
    })
    .secret(config.secret.clone());
    let (builder, inbox) = with_sink_and_inbox(builder, &config).await?;
    let receiver = builder.build();

    let routes = app(receiver.clone());
    // The inbox console, behind its token (see `example_support::console`).
    let console_routes = match inbox {
        Some(inbox) => Some(webhook_actix::console_with(
            console(inbox, &config)?.refused_log(receiver.clone()),
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
    .bind(config.address)
    .map_err(|e| {
        format!(
            "bind {}: {e}; set --port/PORT or --bind/BIND",
            config.address
        )
    })?;
    print_banner(
        &config,
        SECRET_VAR,
        "/webhooks/bamotf",
        "bamotf",
        "payment_intent.succeeded",
    );
    print_console(with_console.then(|| config.url("/console")).as_deref());
    server.run().await.map_err(|e| e.to_string())?;
    // actix stopped taking requests on SIGINT/SIGTERM: now let accepted events finish.
    receiver.shutdown(Duration::from_secs(20)).await;
    Ok(())
}
