//! The two baselines the examples are measured against, as axum apps.
//!
//! - [`bare_app`]: a route that reads the body and answers 200, nothing else: the HTTP
//!   ceiling of axum on this machine.
//! - [`hand_app`]: the best minimal Modem Pay receiver a user could write by hand on bare
//!   axum: HMAC-SHA512 of the body checked against `x-modem-signature` in constant time,
//!   a typed parse of the body into a struct of the fields such a handler reads
//!   ([`UserCharge`]: not the framework's catalogue type, which models every field), and
//!   the (no-op) handler spawned, the answer not waiting for it. No dedupe, no queue
//!   bound, no retries, no durability.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::{Map, Value};
use sha2::Sha512;

/// The path both baselines answer on, the same as the modem-pay-axum example's.
pub const WEBHOOK_PATH: &str = "/webhooks/modem-pay";

/// Reads the body, answers 200: the ceiling (`POST /webhooks/modem-pay`, `GET /healthz`).
pub fn bare_app() -> Router {
    Router::new()
        .route(
            WEBHOOK_PATH,
            post(|body: Bytes| async move {
                (StatusCode::OK, if body.is_empty() { "empty" } else { "ok" })
            }),
        )
        .route("/healthz", get(|| async { "ok\n" }))
}

/// A hand-written Modem Pay receiver keyed with `secret` (`POST /webhooks/modem-pay`,
/// `GET /healthz`). Answers 401 on a bad signature, 400 on a body that is not a
/// `charge.*` envelope, and 200 once the handler is spawned.
pub fn hand_app(secret: &[u8]) -> Router {
    let mac = Hmac::<Sha512>::new_from_slice(secret).expect("HMAC takes keys of any length");
    Router::new()
        .route(WEBHOOK_PATH, post(receive))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(Arc::new(mac))
}

/// Modem Pay's envelope with the payload typed.
#[derive(Debug, Deserialize)]
struct Envelope {
    event: String,
    payload: UserCharge,
}

/// The fields of a Modem Pay charge a payments handler reads, as a user writes them by
/// hand (the SDK's names, `createdAt` camelCase as sent); every other field is
/// ignored without being kept.
#[derive(Debug, Deserialize)]
#[allow(dead_code)] // read by a real handler; the benchmark's handler only holds them
pub struct UserCharge {
    id: String,
    payment_intent_id: String,
    amount: f64,
    currency: String,
    status: String,
    #[serde(rename = "type")]
    kind: String,
    transaction_reference: String,
    #[serde(default)]
    customer_email: Option<String>,
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(rename = "createdAt")]
    created_at: String,
}

async fn receive(
    State(keyed): State<Arc<Hmac<Sha512>>>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let mut claimed = [0u8; 64];
    let signature = headers
        .get("x-modem-signature")
        .map(|value| hex::decode_to_slice(value.as_bytes(), &mut claimed));
    if !matches!(signature, Some(Ok(()))) {
        return (StatusCode::UNAUTHORIZED, "invalid signature");
    }
    // The key schedule is done once; each request clones the keyed state.
    let mut mac = (*keyed).clone();
    mac.update(&body);
    // `verify_slice` compares in constant time.
    if mac.verify_slice(&claimed).is_err() {
        return (StatusCode::UNAUTHORIZED, "invalid signature");
    }
    let envelope: Envelope = match serde_json::from_slice(&body) {
        Ok(envelope) => envelope,
        Err(_) => return (StatusCode::BAD_REQUEST, "malformed body"),
    };
    if !envelope.event.starts_with("charge.") {
        return (StatusCode::OK, "ignored");
    }
    tokio::spawn(handle(envelope.payload));
    (StatusCode::OK, "accepted")
}

/// The no-op handler.
async fn handle(charge: UserCharge) {
    std::hint::black_box(charge);
}

/// Serves `app` on `listener` until ctrl-c or SIGTERM, then lets open requests finish.
pub async fn serve(listener: tokio::net::TcpListener, app: Router) -> std::io::Result<()> {
    axum::serve(listener, app)
        .with_graceful_shutdown(stop_requested())
        .await
}

async fn stop_requested() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}

/// Binds `127.0.0.1:$PORT` (`default_port` when unset).
pub async fn bind_from_env(default_port: u16) -> Result<tokio::net::TcpListener, String> {
    let port = match std::env::var("PORT") {
        Ok(port) => port
            .parse::<u16>()
            .map_err(|_| format!("PORT must be a port number, not `{port}`"))?,
        Err(_) => default_port,
    };
    let address = format!("127.0.0.1:{port}");
    tokio::net::TcpListener::bind(&address)
        .await
        .map_err(|e| format!("bind {address}: {e}"))
}
