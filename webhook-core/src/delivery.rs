//! `Request`, what an adapter hands the receiver, and `Verified`, a delivery whose
//! signature was checked over its exact bytes.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::payload::Parsed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::VerifyError;
use crate::secret::Secret;

/// An incoming delivery as the framework received it: headers, the raw body, and the
/// address it came from when the server knows it.
#[derive(Debug, Clone, Default)]
pub struct Request {
    headers: HeaderMap,
    body: Bytes,
    peer: Option<SocketAddr>,
}

impl Request {
    /// A request from headers and the raw, unmodified body bytes.
    pub fn new(headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        Self {
            headers,
            body: body.into(),
            peer: None,
        }
    }

    /// The same request, sent from `peer` (recorded if the receiver refuses it).
    ///
    /// ```
    /// use std::net::SocketAddr;
    /// use webhook_core::{PeerAddr, Request};
    ///
    /// let peer: SocketAddr = "203.0.113.7:443".parse().unwrap();
    /// let request = Request::new(Default::default(), "{}").with_peer(PeerAddr(peer));
    /// assert_eq!(request.peer(), Some(peer));
    /// ```
    #[must_use]
    pub fn with_peer(mut self, peer: PeerAddr) -> Self {
        self.peer = Some(peer.0);
        self
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The raw body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// The address the request came from, when the server told.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }
}

/// Takes the headers, the body and, from the extensions, the [`PeerAddr`] if present.
impl<B: Into<Bytes>> From<http::Request<B>> for Request {
    fn from(request: http::Request<B>) -> Self {
        let (parts, body) = request.into_parts();
        let peer = parts.extensions.get::<PeerAddr>().map(|peer| peer.0);
        Self {
            headers: parts.headers,
            body: body.into(),
            peer,
        }
    }
}

/// The address a request came from, as an `http::Request` extension: the receiver
/// reads it, when present, into the record of the requests it refused
/// ([`Receiver::refused`](crate::Receiver::refused)).
///
/// `webhook-axum` fills it from axum's `ConnectInfo<SocketAddr>` and `webhook-actix`
/// from `HttpRequest::peer_addr`; a bare hyper server inserts it itself, from the
/// address its listener accepted.
///
/// ```
/// use std::net::SocketAddr;
/// use webhook_core::{PeerAddr, Request};
///
/// let peer: SocketAddr = "198.51.100.4:51234".parse().unwrap();
/// let mut request = http::Request::post("/webhooks/github").body(Vec::new()).unwrap();
/// request.extensions_mut().insert(PeerAddr(peer));
/// assert_eq!(Request::from(request).peer(), Some(peer));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PeerAddr(pub SocketAddr);

/// Why a delivery was refused before any handler saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Rejection {
    /// The signature check failed (answered 401).
    #[error("invalid signature: {0}")]
    Signature(#[from] VerifyError),
    /// The signature held but the body is not the provider's envelope (answered 400).
    #[error("malformed body: {0}")]
    Envelope(#[from] EnvelopeError),
}

/// A delivery whose signature was verified over these exact bytes, with its envelope.
///
/// Only [`Verified::check`] (or, for durable sinks restoring what they stored after
/// checking it, [`crate::dangerous::restore_verified`]) makes one, so no handler can
/// see a body that was not checked.
#[derive(Debug, Clone)]
pub struct Verified {
    inner: Arc<Parts>,
}

#[derive(Debug)]
struct Parts {
    provider: String,
    headers: HeaderMap,
    body: Bytes,
    envelope: Envelope,
    received_at: SystemTime,
    /// The handler's payload read at receive, until the first attempt takes it.
    parsed: Mutex<Option<Parsed>>,
}

impl Verified {
    /// Verifies `request` with `provider`'s scheme against `secrets` as of `now`, then
    /// reads its envelope: the first two steps of every delivery.
    pub fn check(
        provider: &dyn Provider,
        secrets: &[Secret],
        request: Request,
        now: SystemTime,
    ) -> Result<Self, Rejection> {
        Self::check_with(provider, secrets, request, now, |headers, body| {
            Ok((provider.envelope(headers, body)?, None))
        })
    }

    /// [`Verified::check`] with the envelope (and, for a sink that runs the handler in
    /// this process, the handler's payload) read by `read`.
    pub(crate) fn check_with(
        provider: &dyn Provider,
        secrets: &[Secret],
        request: Request,
        now: SystemTime,
        read: impl FnOnce(&HeaderMap, &Bytes) -> Result<(Envelope, Option<Parsed>), EnvelopeError>,
    ) -> Result<Self, Rejection> {
        provider
            .scheme()
            .verify_at(secrets, &request.headers, &request.body, now)?;
        let (envelope, parsed) = read(&request.headers, &request.body)?;
        let parts = Parts {
            provider: provider.name().to_owned(),
            headers: request.headers,
            body: request.body,
            envelope,
            received_at: now,
            parsed: Mutex::new(parsed),
        };
        Ok(Self {
            inner: Arc::new(parts),
        })
    }

    pub(crate) fn assemble(
        provider: &str,
        headers: HeaderMap,
        body: Bytes,
        envelope: Envelope,
        received_at: SystemTime,
    ) -> Self {
        let provider = provider.to_owned();
        let parts = Parts {
            provider,
            headers,
            body,
            envelope,
            received_at,
            parsed: Mutex::new(None),
        };
        Self {
            inner: Arc::new(parts),
        }
    }

    /// The provider's name, e.g. `modem-pay`.
    pub fn provider(&self) -> &str {
        &self.inner.provider
    }

    /// The headers as received.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// The raw body as received and verified.
    pub fn body(&self) -> &Bytes {
        &self.inner.body
    }

    /// The envelope: event type, dedupe key, data.
    pub fn envelope(&self) -> &Envelope {
        &self.inner.envelope
    }

    /// The event type, e.g. `charge.succeeded`.
    pub fn event_type(&self) -> &str {
        self.inner.envelope.event_type()
    }

    /// The key that identifies this event across redeliveries.
    pub fn dedupe_key(&self) -> &str {
        self.inner.envelope.dedupe_key()
    }

    /// When the receiver accepted the delivery.
    pub fn received_at(&self) -> SystemTime {
        self.inner.received_at
    }

    /// Parses the envelope's data as `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(self.inner.envelope.data())
    }

    /// Takes the payload the handler read at receive, in the same pass as the envelope
    /// (see [`crate::payload`]): `Some` once, for the first attempt of a delivery whose
    /// sink runs the handler in this process; `None` after, and for any other delivery,
    /// whose handler parses the body ([`Verified::parse`]).
    pub fn take_parsed(&self) -> Option<Parsed> {
        self.inner
            .parsed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
    }
}
