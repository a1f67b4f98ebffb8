//! `configure`: a receiver as an actix-web service configuration answering `POST` on
//! the scope's root.

use actix_web::guard::{self, GuardContext};
use actix_web::web::{self, Payload, ServiceConfig};
use actix_web::{HttpRequest, HttpResponse};
use webhook_core::{PeerAddr, Receiver};

use crate::body::PayloadBody;
use crate::headers::headers;
use crate::reply::reply;

/// A function for [`App::configure`](actix_web::App::configure) or
/// [`Scope::configure`](actix_web::Scope::configure) that hands every `POST` on the
/// scope's root to `receiver` and answers with its decision; other methods get 405.
///
/// It is `Fn + Clone + Send`, so it can be made once in `main` and cloned into the app
/// factory that `HttpServer::new` calls per worker; every worker then shares the one
/// receiver (see the [crate docs](crate#one-receiver-for-the-whole-server)). The
/// receiver reads the body up to [`Receiver::body_limit`], and no further: a larger one
/// is answered 413 (`payload too large`) as soon as the limit is passed. The client's
/// address (`HttpRequest::peer_addr`) goes to the receiver as a [`PeerAddr`], the
/// source of each [refused request](Receiver::refused).
///
/// ```
/// use actix_web::{App, web};
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
/// # #[actix_web::main] async fn main() {
/// let receiver = Receiver::builder(Payments)
///     .secret(Secret::new("my-modem-pay-secret").unwrap())
///     .build();
///
/// // POST /webhooks/modem-pay
/// let app = App::new().service(web::scope("/webhooks/modem-pay").configure(webhook_actix::configure(receiver)));
/// # let _ = app; }
/// ```
pub fn configure(
    receiver: Receiver,
) -> impl Fn(&mut ServiceConfig) + Clone + Send + Sync + 'static {
    move |config: &mut ServiceConfig| {
        let receiver = receiver.clone();
        let deliver = move |request: HttpRequest, payload: Payload| {
            deliver(receiver.clone(), request, payload)
        };
        // `""` is a scope's own path. On the app's root that path is `/`, which `""` never
        // matches; elsewhere `/` would be the trailing-slash form, which the guard leaves
        // unanswered (404), as the axum adapter does. Other methods get 405.
        config.service(web::resource("").route(web::post().to(deliver.clone())));
        config.service(
            web::resource("/")
                .guard(guard::fn_guard(is_app_root))
                .route(web::post().to(deliver)),
        );
    }
}

fn is_app_root(request: &GuardContext<'_>) -> bool {
    request.head().uri.path() == "/"
}

/// Hands the request to the receiver as an `http::Request` and its answer back as an
/// actix-web response; nothing here reads, checks or picks a status.
async fn deliver(receiver: Receiver, request: HttpRequest, payload: Payload) -> HttpResponse {
    let mut delivery = http::Request::new(PayloadBody(payload));
    // Both `http` versions accept the same methods and URIs: the conversions hold.
    if let Ok(method) = http::Method::from_bytes(request.method().as_str().as_bytes()) {
        *delivery.method_mut() = method;
    }
    if let Ok(uri) = http::Uri::try_from(request.uri().to_string()) {
        *delivery.uri_mut() = uri;
    }
    *delivery.headers_mut() = headers(request.headers());
    if let Some(peer) = request.peer_addr() {
        delivery.extensions_mut().insert(PeerAddr(peer));
    }
    reply(receiver.respond(delivery).await).await
}
