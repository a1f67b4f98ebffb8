//! Mount a webhook [`Receiver`](webhook_core::Receiver) into an [actix-web](actix_web) app.
//!
//! [`configure`] turns a receiver into a function for [`App::configure`] or
//! [`Scope::configure`] that answers `POST` on the scope's root (other methods get
//! 405). The adapter only translates: the request becomes an `http::Request` whose body
//! streams actix-web's payload, handed to
//! [`Receiver::respond`](webhook_core::Receiver::respond), and the `http::Response` it
//! answers becomes an actix-web response. The receiver reads the body up to
//! [`Receiver::body_limit`](webhook_core::Receiver::body_limit) (the provider's, 1 MiB
//! for most and 25 MiB for GitHub, or the builder's `.body_limit(n)`), and no further:
//! a larger body is answered 413 as soon as the limit is passed. The headers go to the
//! receiver untouched and its decision comes back as the status, the reason as a
//! `text/plain` body, and `Retry-After` on 503s.
//!
//! [`App::configure`]: actix_web::App::configure
//! [`Scope::configure`]: actix_web::Scope::configure
//!
//! # One receiver for the whole server
//!
//! actix-web runs one single-threaded runtime per worker thread and calls the app factory
//! once per worker. Build the receiver once, in `main`, before the server: its sink's
//! workers start on `main`'s runtime, and every actix worker gets a clone of the same
//! receiver, so all deliveries share one queue and one pool of handler workers (and one
//! dedupe memory), whichever actix worker took them. Under `#[tokio::main]` the handlers
//! get the multi-threaded runtime's threads; under `#[actix_web::main]` they share
//! `main`'s single thread.
//!
//! # Graceful shutdown
//!
//! An accepted event waits in the sink until a worker has run its handler, so the sink
//! must be drained before the process exits, and only after the server stopped taking
//! deliveries. On SIGINT or SIGTERM actix-web stops accepting connections and lets the
//! requests in flight finish (for up to its `shutdown_timeout`, 30 s by default; a request
//! cut off then was never answered 200, so its sender retries it); `server.await` returns
//! once they have. No delivery can
//! arrive after that, and
//! [`Receiver::shutdown`](webhook_core::Receiver::shutdown) then waits, at most the
//! deadline, for the accepted events' handlers.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use actix_web::{App, HttpServer, web};
//! use webhook_core::{Receiver, Secret};
//! # use webhook_core::futures::future::BoxFuture;
//! # use webhook_core::providers::ModemPay;
//! # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
//! # struct Payments;
//! # impl Handler for Payments {
//! #     type Provider = ModemPay;
//! #     const EVENTS: &'static [&'static str] = &[];
//! #     fn route(&self, _: &str) -> Option<Ack> { None }
//! #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
//! #         Box::pin(async { Ok(()) })
//! #     }
//! # }
//!
//! #[tokio::main]
//! async fn main() -> std::io::Result<()> {
//!     let secret = std::env::var("MODEM_PAY_SECRET").expect("MODEM_PAY_SECRET is set");
//!     // Once, on main's runtime: the handler workers run here, shared by every actix worker.
//!     let receiver = Receiver::builder(Payments)
//!         .secret(Secret::new(secret).expect("the secret is not empty"))
//!         .build();
//!
//!     let webhooks = webhook_actix::configure(receiver.clone());
//!     HttpServer::new(move || {
//!         App::new()
//!             .route("/health", web::get().to(|| async { "ok" }))
//!             .service(web::scope("/webhooks/modem-pay").configure(webhooks.clone()))
//!     })
//!     .bind(("0.0.0.0", 8080))?
//!     .run()
//!     .await?;
//!
//!     // The server is gone: drain what it accepted.
//!     receiver.shutdown(Duration::from_secs(30)).await;
//!     Ok(())
//! }
//! ```

mod body;
mod configure;
mod headers;
mod reply;

pub use configure::configure;

#[cfg(feature = "console")]
mod console;
#[cfg(feature = "console")]
pub use console::{console, console_with};
