//! `Provider`: a signature scheme plus where a sender's envelope keeps the event type,
//! the data and the dedupe key, plus its catalogue of typed events.

use std::fmt;
use std::sync::OnceLock;

use bytes::Bytes;
use http::HeaderMap;

use crate::event::CatalogueEntry;
use crate::payload::PayloadSeed;
use crate::scheme::Scheme;

/// Where one delivery keeps what the receiver needs, read once after verification.
#[derive(Clone)]
pub struct Envelope {
    event_type: String,
    dedupe_key: String,
    data: Data,
}

/// An envelope's data.
#[derive(Clone)]
enum Data {
    /// As given.
    Given(Bytes),
    /// Found in `body` by `locate` when first asked for: a one-pass read deserialized
    /// the data straight into the handler's payload, without keeping its bounds, and
    /// the memory sink's fast path never asks (durable sinks, retries and dead letters
    /// do).
    Deferred {
        body: Bytes,
        locate: fn(&Bytes) -> Bytes,
        found: OnceLock<Bytes>,
    },
}

impl Envelope {
    /// An envelope; `data` is the event's data as JSON bytes (usually a slice of the body).
    pub fn new(event_type: impl Into<String>, dedupe_key: impl Into<String>, data: Bytes) -> Self {
        Self {
            event_type: event_type.into(),
            dedupe_key: dedupe_key.into(),
            data: Data::Given(data),
        }
    }

    /// An envelope whose data is `locate(&body)`, found when first asked for. `locate`
    /// must find what the provider's `envelope` would give as data for this body.
    pub(crate) fn deferred(
        event_type: impl Into<String>,
        dedupe_key: impl Into<String>,
        body: Bytes,
        locate: fn(&Bytes) -> Bytes,
    ) -> Self {
        Self {
            event_type: event_type.into(),
            dedupe_key: dedupe_key.into(),
            data: Data::Deferred {
                body,
                locate,
                found: OnceLock::new(),
            },
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
        match &self.data {
            Data::Given(data) => data,
            Data::Deferred {
                body,
                locate,
                found,
            } => found.get_or_init(|| locate(body)),
        }
    }
}

impl PartialEq for Envelope {
    fn eq(&self, other: &Self) -> bool {
        self.event_type == other.event_type
            && self.dedupe_key == other.dedupe_key
            && self.data() == other.data()
    }
}

impl Eq for Envelope {}

impl fmt::Debug for Envelope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Envelope")
            .field("event_type", &self.event_type)
            .field("dedupe_key", &self.dedupe_key)
            .field("data", self.data())
            .finish()
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

    /// Reads the envelope of a verified delivery and, when `seed` selects its event
    /// type, the data as the seed's payload: the receive-time read of a handler whose
    /// sink runs it in this process (see [`crate::payload`]).
    ///
    /// The envelope is exactly what [`Provider::envelope`] reads, errors included. The
    /// payload is `None` when the seed selects nothing for the event type, or when the
    /// data does not match the seed's type (the handler's own parse then reports it),
    /// or when the body is not read in one pass at all (an envelope sent as an array of
    /// its fields): `None` only means that the handler parses the body itself.
    ///
    /// The default reads the envelope, then parses the data slice: two passes over the
    /// data. Modem Pay and bamotf read both in one pass: the payload is deserialized
    /// straight from the body as soon as the event type is known (their envelopes name
    /// it before the data), and only a body whose data comes first is read to a raw
    /// slice and parsed after.
    fn envelope_with_payload<S: PayloadSeed>(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        seed: &S,
    ) -> Result<(Envelope, Option<S::Value>), EnvelopeError>
    where
        Self: Sized,
    {
        let envelope = self.envelope(headers, body)?;
        let payload = seed
            .select(envelope.event_type())
            .and_then(|selected| crate::payload::from_slice(seed, selected, envelope.data()));
        Ok((envelope, payload))
    }

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
