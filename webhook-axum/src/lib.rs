//! Mount a webhook [`Receiver`](webhook_core::Receiver) into an [axum] app, or verify
//! deliveries in your own handlers.
//!
//! Three ways, from the most to the least the library does for you:
//!
//! - [`router`] turns a receiver (a `#[webhook_handler]` type with its sink) into a
//!   [`Router`](axum::Router) that answers `POST` on its root (other methods get 405).
//!   `nest` it under the path the provider posts to, or `merge` it, next to your own
//!   routes and state. Deliveries are verified, deduped, stored and answered 200 at
//!   once; the handler runs in the sink's workers, with retries.
//! - The receiver is itself a [`tower::Service`](tower_service::Service), so
//!   `Router::route_service("/webhooks/x", receiver)` mounts it as a route too (for any
//!   method: [`router`] adds the 405s, and the client address from `ConnectInfo`).
//! - [`Webhook<P, T>`](Webhook) is an extractor for an ordinary handler: it verifies the
//!   delivery with the [`WebhookSecrets<P>`](WebhookSecrets) of the app state and parses
//!   its payload, nothing more (no immediate 200, dedupe, retries or durability).
//!
//! The receiver reads the raw body up to
//! [`Receiver::body_limit`](webhook_core::Receiver::body_limit) (the provider's, 1 MiB
//! for most and 25 MiB for GitHub, or the builder's `.body_limit(n)`) and stops reading
//! as soon as the body is larger (413); it takes the headers untouched and its answer is
//! the status, the reason as a `text/plain` body, and `Retry-After` on 503s.
//!
//! ```
//! use axum::Router;
//! use axum::extract::State;
//! use axum::routing::get;
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
//! #[derive(Clone)]
//! struct AppState {
//!     greeting: &'static str,
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! // Built inside the runtime: the receiver's workers start on it.
//! let receiver = Receiver::builder(Payments)
//!     .secret(Secret::new("my-modem-pay-secret").unwrap())
//!     .body_limit(256 * 1024)
//!     .build();
//!
//! let app: Router = Router::new()
//!     .route("/", get(|State(app): State<AppState>| async move { app.greeting }))
//!     .nest("/webhooks/modem-pay", webhook_axum::router(receiver))
//!     .with_state(AppState { greeting: "hello" });
//! # let _ = app; }
//! ```
//!
//! # A receiver as a route
//!
//! `route_service` mounts the receiver's own service on a path, without the router
//! [`router`] builds around it:
//!
//! ```
//! use axum::Router;
//! use webhook_core::{Receiver, Secret};
//! # use webhook_core::futures::future::BoxFuture;
//! # use webhook_core::providers::GitHub;
//! # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
//! # struct Repo;
//! # impl Handler for Repo {
//! #     type Provider = GitHub;
//! #     const EVENTS: &'static [&'static str] = &[];
//! #     fn route(&self, _: &str) -> Option<Ack> { None }
//! #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
//! #         Box::pin(async { Ok(()) })
//! #     }
//! # }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let receiver = Receiver::builder(Repo)
//!     .secret(Secret::new("my-github-secret").unwrap())
//!     .build();
//! let app: Router = Router::new().route_service("/webhooks/github", receiver);
//! # let _ = app; }
//! ```
//!
//! # Graceful shutdown
//!
//! An accepted event waits in the receiver's sink until a worker has run its handler, so
//! a server must drain the sink before it exits, and must stop taking deliveries before
//! it drains: an event accepted during the drain could be left behind. The order that
//! guarantees both is the server's own graceful shutdown first, then
//! [`Receiver::shutdown`](webhook_core::Receiver::shutdown):
//!
//! 1. on ctrl-c or SIGTERM the graceful-shutdown future resolves: axum stops accepting
//!    connections and lets the requests in flight finish, so every delivery it answered
//!    200 is already in the sink;
//! 2. `serve` returns once the last connection is closed: no delivery can arrive now;
//! 3. `receiver.shutdown(deadline)` closes the receiver (a delivery that still reached it
//!    would get 503 and be retried by the sender) and waits, at most `deadline`, for the
//!    sink's workers to finish the accepted events.
//!
//! ```no_run
//! use std::time::Duration;
//!
//! use axum::Router;
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
//!     let receiver = Receiver::builder(Payments)
//!         .secret(Secret::new(secret).expect("the secret is not empty"))
//!         .build();
//!     let app = Router::new().nest("/webhooks/modem-pay", webhook_axum::router(receiver.clone()));
//!
//!     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
//!     axum::serve(listener, app)
//!         .with_graceful_shutdown(stop_requested())
//!         .await?;
//!     // The server is gone: drain what it accepted.
//!     receiver.shutdown(Duration::from_secs(30)).await;
//!     Ok(())
//! }
//!
//! /// Resolves on ctrl-c or, on Unix, SIGTERM (what orchestrators send).
//! async fn stop_requested() {
//!     let ctrl_c = async { tokio::signal::ctrl_c().await.expect("ctrl-c handler installs") };
//!     #[cfg(unix)]
//!     let terminate = async {
//!         use tokio::signal::unix::{SignalKind, signal};
//!         signal(SignalKind::terminate()).expect("SIGTERM handler installs").recv().await;
//!     };
//!     #[cfg(not(unix))]
//!     let terminate = std::future::pending::<()>();
//!     tokio::select! {
//!         () = ctrl_c => {}
//!         () = terminate => {}
//!     }
//! }
//! ```

mod extract;
mod read;
mod router;

pub use extract::{Webhook, WebhookRejection, WebhookSecrets};
pub use router::router;

#[cfg(feature = "console")]
mod console;
#[cfg(feature = "console")]
pub use console::{console, console_with};
