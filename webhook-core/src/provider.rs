//! `Provider`: a signature scheme plus where a sender's envelope keeps the event type,
//! the data and the dedupe key, plus its catalogue of typed events.

use std::fmt;

use bytes::Bytes;
use http::HeaderMap;

use crate::event::CatalogueEntry;
use crate::scheme::Scheme;

/// Where one delivery keeps what the receiver needs, read once after verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    event_type: String,
    dedupe_key: String,
    data: Bytes,
}

impl Envelope {
    /// An envelope; `data` is the event's data as JSON bytes (usually a slice of the body).
    pub fn new(event_type: impl Into<String>, dedupe_key: impl Into<String>, data: Bytes) -> Self {
        Self {
            event_type: event_type.into(),
            dedupe_key: dedupe_key.into(),
            data,
        }
    }

    /// The event type, e.g. `charge.succeeded`.
    pub fn event_type(&self) -> &str {
        &self.event_type
    }

    /// The key that identifies this event across redeliveries.
    pub fn dedupe_key(&self) -> &str {
        &self.dedupe_key
    }

    /// The event's data as JSON bytes, what a handler's payload is parsed from.
    pub fn data(&self) -> &Bytes {
        &self.data
    }
}

/// Why a verified body is not a usable envelope (answered with 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EnvelopeError {
    /// The body is empty.
    #[error("body is empty")]
    Empty,
    /// The body is not JSON (or the form body holds no JSON `payload`).
    #[error("body is not valid JSON: {0}")]
    NotJson(String),
    /// A field the provider always sends is missing or has the wrong type.
    #[error("envelope has no `{0}`")]
    Missing(&'static str),
}

/// A webhook sender: its scheme, its envelope and its catalogue of typed events.
///
/// The built-in providers live in [`crate::providers`]; a custom provider implements
/// this trait (often with [`crate::providers::custom::CustomProvider`]).
pub trait Provider: fmt::Debug + Send + Sync + 'static {
    /// A short stable name, e.g. `"modem-pay"`, used in logs, metrics and storage.
    fn name(&self) -> &str;

    /// The signature scheme.
    fn scheme(&self) -> &dyn Scheme;

    /// Reads the envelope of a verified delivery.
    fn envelope(&self, headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError>;

    /// Builds a delivery body and the non-signature headers for `event_type` with
    /// `data`, as the sender would (used by fakes and the CLI's `trigger`). `id` is a
    /// fresh unique id for the delivery.
    fn compose(&self, event_type: &str, data: &serde_json::Value, id: &str)
    -> (Vec<u8>, HeaderMap);

    /// The typed events this provider documents, with samples.
    fn catalogue(&self) -> &[CatalogueEntry] {
        &[]
    }

    /// The largest delivery body this sender makes, in bytes: the receiver's default
    /// body limit (a builder's [`body_limit`](crate::ReceiverBuilder::body_limit)
    /// overrides it). [`DEFAULT_BODY_LIMIT`] (1 MiB) unless the sender documents a cap.
    ///
    /// Of the built-in providers only GitHub documents one ("Payloads are capped at 25
    /// MB"): [`GitHub`](crate::providers::GitHub) says 25 MiB, which holds 25 MB
    /// whichever megabyte GitHub means. Stripe, Modem Pay and bamotf document no cap,
    /// and the Standard Webhooks spec says there is none while recommending payloads
    /// under 20 kB: those keep 1 MiB.
    ///
    /// ```
    /// use webhook_core::Provider;
    /// use webhook_core::provider::DEFAULT_BODY_LIMIT;
    /// use webhook_core::providers::{GitHub, Stripe};
    ///
    /// assert_eq!(GitHub::default().body_limit(), 25 * 1024 * 1024);
    /// assert_eq!(Stripe::default().body_limit(), DEFAULT_BODY_LIMIT);
    /// ```
    fn body_limit(&self) -> usize {
        DEFAULT_BODY_LIMIT
    }
}

/// The body limit of a provider that documents no cap on its deliveries: 1 MiB.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
