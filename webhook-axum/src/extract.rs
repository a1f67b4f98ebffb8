//! `Webhook<P, T>`: an extractor that verifies a delivery and parses its payload in an
//! ordinary axum handler, with the secrets from the app state (`WebhookSecrets<P>`).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use http_body_util::Full;
use serde::de::DeserializeOwned;
use webhook_core::{Answer, BoxError, Clock, Provider, Rejection, Secret, Verified, VerifyError};

use crate::read::read_body;

/// What [`Webhook`] verifies with: the provider, its secrets (several for rotation), the
/// body limit and the clock. Put it in the app state, directly or as a field the state
/// gives out through [`FromRef`].
///
/// ```
/// use axum::extract::FromRef;
/// use webhook_axum::WebhookSecrets;
/// use webhook_core::providers::{GitHub, Stripe};
/// use webhook_core::Secret;
///
/// #[derive(Clone)]
/// struct AppState {
///     stripe: WebhookSecrets<Stripe>,
///     github: WebhookSecrets<GitHub>,
/// }
///
/// impl FromRef<AppState> for WebhookSecrets<Stripe> {
///     fn from_ref(state: &AppState) -> Self {
///         state.stripe.clone()
///     }
/// }
///
/// impl FromRef<AppState> for WebhookSecrets<GitHub> {
///     fn from_ref(state: &AppState) -> Self {
///         state.github.clone()
///     }
/// }
///
/// let state = AppState {
///     stripe: WebhookSecrets::new(Stripe::default(), [Secret::new("whsec_stripe").unwrap()]),
///     github: WebhookSecrets::new(GitHub::default(), [Secret::new("gh-secret").unwrap()])
///         .body_limit(5 * 1024 * 1024),
/// };
/// # let _ = state;
/// ```
pub struct WebhookSecrets<P> {
    provider: Arc<P>,
    secrets: Arc<[Secret]>,
    clock: Clock,
    body_limit: usize,
}

impl<P: Provider> WebhookSecrets<P> {
    /// `provider` checked against `secrets` (any of them verifies), with the provider's
    /// body limit ([`Provider::body_limit`]) and the system clock.
    ///
    /// # Panics
    ///
    /// Without a secret: every delivery would be refused.
    pub fn new(provider: P, secrets: impl IntoIterator<Item = Secret>) -> Self {
        let secrets: Arc<[Secret]> = secrets.into_iter().collect();
        assert!(
            !secrets.is_empty(),
            "webhook secrets are empty: pass the secret the sender shows, e.g. `[Secret::new(..)?]`"
        );
        Self {
            body_limit: provider.body_limit(),
            provider: Arc::new(provider),
            secrets,
            clock: Clock::system(),
        }
    }

    /// The largest body accepted, in bytes; larger ones are refused with 413.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The clock signatures are checked against (tests freeze it).
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }
}

impl<P> Clone for WebhookSecrets<P> {
    fn clone(&self) -> Self {
        Self {
            provider: Arc::clone(&self.provider),
            secrets: Arc::clone(&self.secrets),
            clock: self.clock.clone(),
            body_limit: self.body_limit,
        }
    }
}

impl<P: Provider> fmt::Debug for WebhookSecrets<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebhookSecrets")
            .field("provider", &self.provider.name())
            .field("secrets", &self.secrets.len())
            .field("body_limit", &self.body_limit)
            .finish_non_exhaustive()
    }
}

/// A delivery from provider `P`, verified with the [`WebhookSecrets<P>`] of the app
/// state, with its payload parsed as `T`: the envelope's data (Stripe's `data.object`,
/// Modem Pay's `payload`, a GitHub body...).
///
/// This is verify-and-parse only, for a handler that does the rest itself. The handler
/// runs inside the request, so the sender waits for it and sees its failure; nothing
/// dedupes redeliveries, retries a failed handler or keeps the event if the process
/// dies. For an immediate 200, dedupe, retries with backoff and a durable inbox, write
/// the handler with `#[webhook_handler]` and mount its receiver with [`router`](crate::router).
///
/// Refusals answer as the receiver does (see [`WebhookRejection`]): 401 for a bad
/// signature, 400 for a malformed body or payload, 413 for a body over the limit.
///
/// ```
/// use axum::Router;
/// use axum::routing::post;
/// use serde::Deserialize;
/// use webhook_axum::{Webhook, WebhookSecrets};
/// use webhook_core::providers::Stripe;
/// use webhook_core::Secret;
///
/// #[derive(Deserialize)]
/// struct Charge {
///     id: String,
///     amount: u64,
/// }
///
/// async fn charge(webhook: Webhook<Stripe, Charge>) -> &'static str {
///     let Webhook { payload, delivery, .. } = webhook;
///     println!("{} {}: {}", delivery.event_type(), payload.id, payload.amount);
///     "ok"
/// }
///
/// let secrets = WebhookSecrets::new(Stripe::default(), [Secret::new("whsec_test").unwrap()]);
/// let app: Router = Router::new()
///     .route("/webhooks/stripe", post(charge))
///     .with_state(secrets);
/// # let _ = app;
/// ```
#[derive(Debug)]
pub struct Webhook<P, T> {
    /// The envelope's data, parsed.
    pub payload: T,
    /// The verified delivery: event type, dedupe key, headers and raw body.
    pub delivery: Verified,
    provider: PhantomData<fn() -> P>,
}

impl<S, P, T> FromRequest<S> for Webhook<P, T>
where
    S: Send + Sync,
    P: Provider,
    T: DeserializeOwned,
    WebhookSecrets<P>: FromRef<S>,
{
    type Rejection = WebhookRejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let secrets = WebhookSecrets::<P>::from_ref(state);
        let (parts, body) = request.into_parts();
        let body = read_body(&parts.headers, body, secrets.body_limit).await?;
        let request = webhook_core::Request::new(parts.headers, body);
        let now = secrets.clock.now();
        let delivery = Verified::check(&*secrets.provider, &secrets.secrets, request, now)
            .map_err(WebhookRejection::from)?;
        let payload = delivery
            .parse()
            .map_err(|error| WebhookRejection::MalformedBody(Box::new(error)))?;
        Ok(Self {
            payload,
            delivery,
            provider: PhantomData,
        })
    }
}

/// Why [`Webhook`] refused a request: one variant per failure, each answered with the
/// status and short `text/plain` reason the receiver gives for it (the details go to
/// the logs, never to the sender).
///
/// ```
/// use axum::http::StatusCode;
/// use webhook_axum::WebhookRejection;
/// use webhook_core::VerifyError;
///
/// let rejection = WebhookRejection::InvalidSignature(VerifyError::NoSignatureMatched);
/// assert_eq!(rejection.status(), StatusCode::UNAUTHORIZED);
/// assert_eq!(rejection.body_text(), "invalid signature");
/// assert_eq!(WebhookRejection::PayloadTooLarge.status(), StatusCode::PAYLOAD_TOO_LARGE);
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookRejection {
    /// The signature check failed: 401.
    #[error("invalid signature: {0}")]
    InvalidSignature(VerifyError),
    /// The signature held but the body is not the provider's envelope, or its data is
    /// not a `T`: 400.
    #[error("malformed body: {0}")]
    MalformedBody(BoxError),
    /// The body is over the limit: 413.
    #[error("payload too large")]
    PayloadTooLarge,
    /// The body could not be read (the client went away): 400.
    #[error("body could not be read: {0}")]
    BodyUnreadable(BoxError),
}

impl WebhookRejection {
    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.answer().status()
    }

    /// The short reason it answers with, e.g. `invalid signature`.
    pub fn body_text(&self) -> &'static str {
        self.answer().reason()
    }

    fn answer(&self) -> Answer {
        match self {
            Self::InvalidSignature(_) => Answer::invalid_signature(),
            Self::MalformedBody(_) => Answer::malformed_body(),
            Self::PayloadTooLarge => Answer::payload_too_large(),
            Self::BodyUnreadable(_) => Answer::body_unreadable(),
        }
    }
}

impl From<Rejection> for WebhookRejection {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Signature(error) => Self::InvalidSignature(error),
            Rejection::Envelope(error) => Self::MalformedBody(Box::new(error)),
            // A refusal this version does not know: the body was not accepted.
            other => Self::MalformedBody(Box::new(other)),
        }
    }
}

impl IntoResponse for WebhookRejection {
    fn into_response(self) -> Response {
        tracing::warn!(error = %self, "webhook refused");
        axum::http::Response::<Full<Bytes>>::from(self.answer()).into_response()
    }
}
