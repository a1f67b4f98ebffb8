//! `router`: a receiver as an axum `Router` answering `POST` on its root.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::routing::post_service;
use http_body_util::Full;
use tower_service::Service;
use webhook_core::futures::future::BoxFuture;
use webhook_core::{PeerAddr, Receiver};

/// A [`Router`] that hands every `POST` on its root to `receiver` and answers with its
/// decision; other methods on the root get 405.
///
/// It fits any app state `S`: `nest` it under the path the provider posts to, or `merge`
/// it. The route is the receiver's own [`tower::Service`](Service), which reads the body
/// up to [`Receiver::body_limit`], and no further: a larger one is answered 413
/// (`payload too large`) as soon as the limit is passed. When the app is served with
/// `into_make_service_with_connect_info::<SocketAddr>()`, the client's address
/// (`ConnectInfo`) goes to the receiver as a [`PeerAddr`], the source of each
/// [refused request](Receiver::refused).
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
    Router::new().route("/", post_service(WithPeer(receiver)))
}

/// The receiver's service, told the client's address from axum's `ConnectInfo`.
#[derive(Clone)]
struct WithPeer(Receiver);

impl Service<Request> for WithPeer {
    type Response = axum::http::Response<Full<axum::body::Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<Request<Body>>::poll_ready(&mut self.0, cx)
    }

    fn call(&mut self, mut request: Request) -> Self::Future {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>();
        if let Some(&ConnectInfo(peer)) = peer {
            request.extensions_mut().insert(PeerAddr(peer));
        }
        self.0.call(request)
    }
}
