//! `webhook listen`: a local endpoint that verifies every delivery as the receiver
//! would, prints one line for each and can forward them, re-signed, to your app.

use std::convert::Infallible;
use std::pin::pin;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use clap::Args;
use http::{HeaderMap, Method, StatusCode, Uri};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use webhook_core::scheme::SignInput;
use webhook_core::{Provider, Rejection, Request, Secret, Verified};

use crate::common::{Failure, Outcome, block_on, generate_secret, rfc3339};
use crate::http::{Client, client, millis, parse_url, post, reply};
use crate::providers::ProviderName;
use crate::secrets::{SecretArgs, Sourced, check_signing_key, check_verifying_key};
use crate::verify::reason;

/// The largest body taken, as the receiver's default limit.
const BODY_LIMIT: usize = 1024 * 1024;

/// Headers that belong to one hop and are not forwarded.
const HOP_BY_HOP: [&str; 8] = [
    "host",
    "content-length",
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
];

/// The arguments of `webhook listen` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
#[command(mut_arg("secret", |arg| arg.help(
    "The secret deliveries are signed with (standard-webhooks: `whsec_…`, or the sender's \
     `whpk_…` public key for `v1a`, its `whsk_…` key to re-sign forwarded ones) [default: a \
     generated test secret]"
)))]
pub(crate) struct ListenArgs {
    /// The provider whose deliveries to expect.
    #[arg(long, value_enum)]
    provider: ProviderName,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, default_value_t = 8787)]
    port: u16,
    /// The secret deliveries are signed with.
    #[command(flatten)]
    secret: Sourced<SecretArgs>,
    /// Forward every valid delivery here (http:// only), re-signed with the same secret
    /// and a fresh timestamp, with the same body and non-signature headers.
    #[arg(long, value_name = "URL")]
    forward_url: Option<String>,
}

/// What every connection shares.
struct Listener {
    provider: Box<dyn Provider>,
    secret: Secret,
    forward: Option<(Client, Uri)>,
}

/// Runs `webhook listen`.
pub(crate) fn run(args: ListenArgs) -> Outcome {
    let forward = args.forward_url.as_deref().map(parse_url).transpose()?;
    let (secret, generated) = match args.secret.resolve()? {
        Some(secret) => {
            check_verifying_key(args.provider, &secret)?;
            if forward.is_some() {
                // Forwarded deliveries are re-signed: a `whpk_` key can verify but not sign.
                check_signing_key(args.provider, &secret)?;
            }
            (secret, None)
        }
        None => {
            let text = generate_secret();
            (Secret::new(&text).map_err(Failure::error)?, Some(text))
        }
    };
    let state = Listener {
        provider: args.provider.provider(),
        secret,
        forward: None,
    };
    block_on(async move {
        let state = Arc::new(Listener {
            forward: forward.map(|uri| (client(), uri)),
            ..state
        });
        serve(state, args.port, generated).await
    })
}

/// Binds, announces the address (and a generated secret), then serves until Ctrl-C.
async fn serve(state: Arc<Listener>, port: u16, generated: Option<String>) -> Outcome {
    let listener = TcpListener::bind(("127.0.0.1", port))
        .await
        .map_err(|e| Failure::error(format_args!("cannot listen on 127.0.0.1:{port}: {e}")))?;
    let address = listener.local_addr().map_err(Failure::error)?;
    let mut stop = pin!(tokio::signal::ctrl_c());
    // Poll once so the Ctrl-C handler is installed before anyone can see the address.
    tokio::select! {
        biased;
        _ = &mut stop => return Ok(()),
        () = std::future::ready(()) => {}
    }
    println!("listening on http://{address}");
    if let Some(secret) = generated {
        println!("secret: {secret} (generated for this session; sign deliveries with it)");
    }
    if let Some((_, uri)) = &state.forward {
        println!("forwarding valid deliveries to {uri}");
    }
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                if let Ok((stream, _)) = accepted {
                    tokio::spawn(connection(Arc::clone(&state), stream));
                }
            }
            _ = &mut stop => return Ok(()),
        }
    }
}

/// Serves one HTTP/1 connection.
async fn connection(state: Arc<Listener>, stream: TcpStream) {
    let service = service_fn(move |request| handle(Arc::clone(&state), request));
    let _ = http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}

/// Judges one request, prints its line, forwards it when valid, answers.
async fn handle(
    state: Arc<Listener>,
    request: http::Request<Incoming>,
) -> Result<http::Response<Full<Bytes>>, Infallible> {
    if request.method() != Method::POST {
        return Ok(reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "POST deliveries here\n",
        ));
    }
    let (parts, body) = request.into_parts();
    let body = match Limited::new(body, BODY_LIMIT).collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(error) if error.is::<LengthLimitError>() => {
            println!(
                "{}  -  -  refused: body over {BODY_LIMIT} bytes",
                rfc3339(SystemTime::now())
            );
            return Ok(reply(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n"));
        }
        Err(_) => return Ok(reply(StatusCode::BAD_REQUEST, "body could not be read\n")),
    };
    let now = SystemTime::now();
    let request = Request::new(parts.headers.clone(), body.clone());
    let verdict = Verified::check(
        &*state.provider,
        std::slice::from_ref(&state.secret),
        request,
        now,
    );
    println!("{}", line(&state, &parts.headers, &body, now, &verdict));
    let (status, text) = answer(&verdict);
    if verdict.is_ok() {
        forward(&state, parts.headers, body).await;
    }
    Ok(reply(status, text))
}

/// `time  event  dedupe-key  verdict  size`, event and key `-` when unreadable.
fn line(
    state: &Listener,
    headers: &HeaderMap,
    body: &Bytes,
    now: SystemTime,
    verdict: &Result<Verified, Rejection>,
) -> String {
    // For display only: an unverified envelope is read to name the event.
    let envelope = state.provider.envelope(headers, body).ok();
    let (event, key) = match verdict {
        Ok(delivery) => (delivery.event_type(), delivery.dedupe_key()),
        Err(_) => envelope
            .as_ref()
            .map_or(("-", "-"), |e| (e.event_type(), e.dedupe_key())),
    };
    let verdict = match verdict {
        Ok(_) => "valid".to_owned(),
        Err(rejection) => format!("invalid: {}", reason(rejection)),
    };
    format!(
        "{}  {event}  {key}  {verdict}  {} bytes",
        rfc3339(now),
        body.len()
    )
}

/// The status and text the receiver would answer.
fn answer(verdict: &Result<Verified, Rejection>) -> (StatusCode, &'static str) {
    match verdict {
        Ok(_) => (StatusCode::OK, "valid\n"),
        Err(Rejection::Signature(_)) => (StatusCode::UNAUTHORIZED, "invalid signature\n"),
        Err(_) => (StatusCode::BAD_REQUEST, "malformed body\n"),
    }
}

/// Re-signs a valid delivery with a fresh timestamp and forwards it, printing the answer.
async fn forward(state: &Listener, mut headers: HeaderMap, body: Bytes) {
    let Some((client, uri)) = &state.forward else {
        return;
    };
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let input = SignInput {
        now: SystemTime::now(),
        id: id.as_deref(),
    };
    let signed = state.provider.scheme().sign_at(&state.secret, &body, input);
    for name in signed.keys().map(|n| n.as_str()).chain(HOP_BY_HOP) {
        headers.remove(name);
    }
    headers.extend(signed);
    match post(client, uri, headers, body).await {
        Ok(answered) => println!(
            "  -> {uri} {} ({})",
            answered.status,
            millis(answered.latency)
        ),
        Err(error) => println!("  -> {uri} failed: {error}"),
    }
}
