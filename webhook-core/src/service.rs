//! The receiver as an HTTP service: `Receiver::respond` and `tower::Service`, the one
//! entry point every server goes through (the axum and actix adapters too).
//!
//! It reads the body (limit, budget of bytes in flight, read timeout), then hands the
//! delivery to [`Receiver::receive`] and turns its [`Answer`] into an `http::Response`.

use std::convert::Infallible;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http_body::Body;
use http_body_util::Full;

use crate::answer::Answer;
use crate::body::{self, Unread};
use crate::delivery::{PeerAddr, Request};
use crate::handler::BoxError;
use crate::receiver::Receiver;
use crate::timeout::within;

impl Receiver {
    /// Takes one delivery as the server received it and answers it: the same as the
    /// receiver's [`tower::Service`](tower_service::Service), for a body that is not
    /// `Send` (actix-web's payload) or a caller that would rather await than call.
    ///
    /// In order, each step answering at once when it fails:
    ///
    /// 1. `503` while [shutting down](Receiver::shutdown);
    /// 2. `413` when the `Content-Length` (or the body's own size) is over
    ///    [`Receiver::body_limit`], before a byte is read;
    /// 3. `503` with `Retry-After` when the declared size does not fit in the receiver's
    ///    budget of [bytes in flight](crate::ReceiverBuilder::bytes_in_flight);
    /// 4. the body is read chunk by chunk: `413` with the chunk that passes the limit,
    ///    `503` with the chunk the budget cannot hold, `400` when the body fails, `408`
    ///    when it is not all there within the
    ///    [read timeout](crate::ReceiverBuilder::body_read_timeout);
    /// 5. [`Receiver::receive`] decides the rest (`401`, `400`, `200`, `503`, `500`).
    ///
    /// A [`PeerAddr`] in the request's extensions is kept as the source of a refusal.
    ///
    /// ```
    /// # use webhook_core::futures::future::BoxFuture;
    /// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
    /// use http_body_util::Full;
    /// use webhook_core::providers::ModemPay;
    /// use webhook_core::testing::{FakeDelivery, test_secret};
    /// use webhook_core::Receiver;
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
    /// let receiver = Receiver::builder(Payments).secret(test_secret()).build();
    /// let request = FakeDelivery::new(ModemPay::default(), "customer.created", serde_json::json!({ "id": "cus_1" }))
    ///     .into_request()
    ///     .map(Full::new);
    /// let response = receiver.respond(request).await;
    /// assert_eq!(response.status(), 200);
    /// # }
    /// ```
    pub async fn respond<B>(&self, request: http::Request<B>) -> http::Response<Full<Bytes>>
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        self.take(request).await.into()
    }

    async fn take<B>(&self, request: http::Request<B>) -> Answer
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = request.into_parts();
        let source = parts.extensions.get::<PeerAddr>().map(|peer| peer.0);
        let inner = &*self.inner;
        let declared = body::declared_size(&parts.headers, &body);
        if inner.closed.load(Ordering::Acquire) {
            let answer = Answer::unavailable("shutting down", inner.retry_after_secs);
            return self.refuse_unread(answer, declared, source);
        }
        let least = body::least_size(declared, &body);
        if least > inner.body_limit as u64 {
            return self.refuse_unread(Answer::payload_too_large(), Some(least), source);
        }
        // At most the limit now: a declared size fits in usize.
        let expected = usize::try_from(least).unwrap_or(inner.body_limit);
        let mut reservation = inner.budget.reservation();
        if !reservation.grow_to(expected) {
            return self.refuse_unread(self.over_budget(), Some(least), source);
        }
        let mut read = 0;
        let reading = body::read(
            body,
            inner.body_limit,
            expected,
            &mut reservation,
            &mut read,
        );
        let bytes = match within(inner.body_read_timeout, reading).await {
            Ok(Ok(bytes)) => bytes,
            Ok(Err(unread)) => {
                let answer = match unread {
                    Unread::TooLarge => Answer::payload_too_large(),
                    Unread::OverBudget => self.over_budget(),
                    Unread::Failed => Answer::body_unreadable(),
                };
                return self.refuse_unread(answer, Some(read), source);
            }
            Err(_elapsed) => {
                return self.refuse_unread(Answer::body_timed_out(), Some(read), source);
            }
        };
        let mut delivery = Request::new(parts.headers, bytes);
        if let Some(source) = source {
            delivery = delivery.with_peer(PeerAddr(source));
        }
        // The reservation is held until the answer: the body lives until then.
        let answer = self.receive(delivery).await;
        drop(reservation);
        answer
    }

    /// 503: the bytes in flight are at the budget; the sender retries later.
    fn over_budget(&self) -> Answer {
        Answer::unavailable("too many bytes in flight", self.inner.retry_after_secs)
    }
}

/// The receiver as a [`tower::Service`](tower_service::Service) of `http::Request`s of
/// any body, answering with an `http::Response`: mount it as a route
/// (`axum::Router::route_service`) or serve it with hyper. See [`Receiver::respond`] for
/// what it answers.
///
/// The response body is [`http_body_util::Full<Bytes>`]: the answer's short reason, one
/// frame of static bytes with a known length, whose error type is [`Infallible`], which
/// every server takes as it is. The service never fails (`Error = Infallible`) and is
/// always ready: refusing under load is an answer (503), not back-pressure on the
/// server. Its future is boxed and `Send`, so the body must be `Send` too;
/// [`Receiver::respond`] takes any body.
///
/// Mounted on an axum router:
///
/// ```
/// # use webhook_core::futures::future::BoxFuture;
/// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
/// use http_body_util::Full;
/// use tower::ServiceExt;
/// use webhook_core::providers::ModemPay;
/// use webhook_core::testing::{FakeDelivery, test_secret};
/// use webhook_core::Receiver;
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
/// let receiver = Receiver::builder(Payments).secret(test_secret()).build();
/// let tampered = FakeDelivery::new(ModemPay::default(), "charge.succeeded", serde_json::json!({ "id": "ch_1" }))
///     .tampered()
///     .into_request()
///     .map(Full::new);
/// let response = receiver.oneshot(tampered).await.unwrap();
/// assert_eq!(response.status(), 401);
/// # }
/// ```
///
/// Served by a bare hyper 1 server, one connection per task; the [`PeerAddr`] put in
/// each request's extensions goes into the record of refused requests:
///
/// ```no_run
/// # use webhook_core::futures::future::BoxFuture;
/// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
/// use hyper::server::conn::http1;
/// use hyper::service::service_fn;
/// use hyper_util::rt::TokioIo;
/// use tower::ServiceExt;
/// use webhook_core::providers::ModemPay;
/// use webhook_core::{PeerAddr, Receiver, Secret};
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
/// #[tokio::main]
/// async fn main() -> std::io::Result<()> {
///     let receiver = Receiver::builder(Payments)
///         .secret(Secret::new("my-modem-pay-secret").unwrap())
///         .build();
///     let listener = tokio::net::TcpListener::bind("0.0.0.0:3000").await?;
///     loop {
///         let (stream, peer) = listener.accept().await?;
///         let receiver = receiver.clone();
///         let service = service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
///             request.extensions_mut().insert(PeerAddr(peer));
///             receiver.clone().oneshot(request)
///         });
///         tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
///     }
/// }
/// ```
impl<B> tower_service::Service<http::Request<B>> for Receiver
where
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = http::Response<Full<Bytes>>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let receiver = self.clone();
        Box::pin(async move { Ok(receiver.respond(request).await) })
    }
}
