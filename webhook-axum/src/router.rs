//! `router`: a receiver as an axum `Router` answering `POST` on its root.

use axum::Router;
use axum::extract::{Request, State};
use axum::response::Response;
use axum::routing::post;
use webhook_core::Receiver;

use crate::read::read_body;
use crate::reply::reply;

/// A [`Router`] that hands every `POST` on its root to `receiver` and answers with its
/// decision; other methods on the root get 405.
///
/// It fits any app state `S`: `nest` it under the path the provider posts to, or `merge`
/// it. The body is read up to [`Receiver::body_limit`], and no further: a larger one is
/// answered 413 (`payload too large`) as soon as the limit is passed.
///
/// ```
/// use axum::Router;
/// use webhook_core::{Receiver, Secret};
/// # use webhook_core::futures::future::BoxFuture;
/// # use webhook_core::providers::ModemPay;
/// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
/// # struct Payments;
/// # impl Handler for Payments {
/// #     type Provider = ModemPay;
/// #     const EVENTS: &'static [&'static str] = &[];
/// #     fn route(&self, _: &str) -> Option<Ack> { None }
/// #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let receiver = Receiver::builder(Payments)
///     .secret(Secret::new("my-modem-pay-secret").unwrap())
///     .build();
///
/// // POST /webhooks/modem-pay
/// let app: Router = Router::new().nest("/webhooks/modem-pay", webhook_axum::router(receiver));
/// # let _ = app; }
/// ```
pub fn router<S>(receiver: Receiver) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new().route("/", post(deliver)).with_state(receiver)
}

/// Reads the delivery and lets the receiver decide; nothing here picks a status.
async fn deliver(State(receiver): State<Receiver>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let answer = match receiver
        .read_body(read_body(body, receiver.body_limit()))
        .await
    {
        Ok(body) => {
            let delivery = webhook_core::Request::new(parts.headers, body);
            receiver.receive(delivery).await
        }
        Err(refused) => refused,
    };
    reply(answer)
}
