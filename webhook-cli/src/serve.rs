//! `webhook inbox serve`: the inbox console over HTTP, standalone.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::pin;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use webhook_console::{Console, ConsoleToken};
use webhook_inbox::Inbox;

use crate::common::{Failure, Outcome};

/// The variable holding the console's token.
pub(crate) const TOKEN_VAR: &str = "WEBHOOK_CONSOLE_TOKEN";

/// The most a console form may send.
const FORM_LIMIT: usize = 64 * 1024;

/// The console's settings from the flags and the environment.
pub(crate) struct ServeArgs {
    pub(crate) bind: IpAddr,
    pub(crate) port: u16,
    pub(crate) read_only: bool,
}

/// The console for `inbox`: token-guarded when `WEBHOOK_CONSOLE_TOKEN` is set; without
/// it, open on a loopback address only.
fn console(inbox: Inbox, args: &ServeArgs) -> Result<(Console, bool), Failure> {
    let console = Console::new(inbox).read_only(args.read_only);
    match std::env::var(TOKEN_VAR) {
        Ok(token) if !token.is_empty() => {
            let token = ConsoleToken::new(token)
                .map_err(|e| Failure::usage(format_args!("{TOKEN_VAR}: {e}")))?;
            Ok((console.token(token), true))
        }
        _ if args.bind.is_loopback() => Ok((console.behind_app_auth(), false)),
        _ => Err(Failure::usage(format_args!(
            "the console on {} would be open to the network: set {TOKEN_VAR} (at least 16 characters), or bind 127.0.0.1",
            args.bind
        ))),
    }
}

/// Serves the console until Ctrl-C.
pub(crate) async fn serve(inbox: Inbox, args: ServeArgs) -> Outcome {
    let (console, guarded) = console(inbox, &args)?;
    let address = SocketAddr::new(args.bind, args.port);
    let listener = TcpListener::bind(address)
        .await
        .map_err(|e| Failure::error(format_args!("cannot listen on {address}: {e}")))?;
    let address = listener.local_addr().map_err(Failure::error)?;
    let mut stop = pin!(tokio::signal::ctrl_c());
    tokio::select! {
        biased;
        _ = &mut stop => return Ok(()),
        () = std::future::ready(()) => {}
    }
    println!("console on http://{address}/");
    if guarded {
        println!("access: the token in {TOKEN_VAR} (Authorization: Bearer, or the sign-in form)");
    } else {
        println!("access: no token ({TOKEN_VAR} is not set): anyone who can reach {address}");
    }
    if args.read_only {
        println!("read-only: no replay, no purge");
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(console.clone(), stream));
                }
            }
            _ = &mut stop => return Ok(()),
        }
    }
}

/// Serves one HTTP/1 connection.
async fn connection(console: Console, stream: TcpStream) {
    let service = service_fn(move |request| answer(console.clone(), request));
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Hands one request to the console, its body read up to the form limit.
async fn answer(
    console: Console,
    request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    let Ok(body) = Limited::new(body, FORM_LIMIT).collect().await else {
        let mut refused = http::Response::new(Full::new(Bytes::from_static(b"form too large\n")));
        *refused.status_mut() = StatusCode::PAYLOAD_TOO_LARGE;
        return Ok(refused);
    };
    let request = http::Request::from_parts(parts, body.to_bytes());
    Ok(console.handle(request).await.map(Full::new))
}
