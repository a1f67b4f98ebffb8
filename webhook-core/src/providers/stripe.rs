//! Stripe: the provider for Stripe's (v1, snapshot) Event deliveries.
//!
//! The type is the body's `type`, the data is `data.object` (the resource the event is
//! about) and the dedupe key is the event's `id` (`evt_…`). Stripe documents hundreds of
//! event types over its whole API, so handlers bring their own payload types.

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue, USER_AGENT};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{StrField, parse_wire, slice_of, to_json};
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{Scheme, StripeScheme, unix};

/// The API version `compose` writes into events.
const API_VERSION: &str = "2025-10-29.clover";

/// The Stripe provider: `Stripe-Signature: t=..,v1=..`, dedupe on the event `id`.
#[derive(Debug, Clone, Default)]
pub struct Stripe {
    scheme: StripeScheme,
}

impl Stripe {
    /// The provider with Stripe's scheme (300 s tolerance, past only).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the scheme, e.g. one with another tolerance.
    #[must_use]
    pub fn with_scheme(mut self, scheme: StripeScheme) -> Self {
        self.scheme = scheme;
        self
    }
}

/// The event as sent, borrowed from the body.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    id: StrField<'a>,
    #[serde(rename = "type", borrow, default)]
    kind: StrField<'a>,
    #[serde(borrow)]
    data: Option<WireData<'a>>,
}

#[derive(Deserialize)]
struct WireData<'a> {
    #[serde(borrow)]
    object: Option<&'a RawValue>,
}

/// An Event object as Stripe writes it, field order included.
#[derive(Serialize)]
struct Outgoing<'a> {
    id: &'a str,
    object: &'static str,
    api_version: &'static str,
    created: u64,
    data: OutgoingData<'a>,
    livemode: bool,
    pending_webhooks: u32,
    request: OutgoingRequest,
    #[serde(rename = "type")]
    kind: &'a str,
}

#[derive(Serialize)]
struct OutgoingData<'a> {
    object: &'a Value,
}

#[derive(Serialize)]
struct OutgoingRequest {
    id: Option<String>,
    idempotency_key: Option<String>,
}

impl Provider for Stripe {
    fn name(&self) -> &str {
        "stripe"
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, _headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        let wire: Wire<'_> = parse_wire(body, "data")?;
        let id = wire.id.required("id")?;
        let kind = wire.kind.required("type")?;
        let object = wire
            .data
            .and_then(|d| d.object)
            .ok_or(EnvelopeError::Missing("data.object"))?;
        Ok(Envelope::new(kind, id, slice_of(body, object)))
    }

    /// A full test-mode Event object; `id` is used as the event id, with `evt_`
    /// prepended when it lacks it.
    fn compose(&self, event_type: &str, data: &Value, id: &str) -> (Vec<u8>, HeaderMap) {
        let id = if id.starts_with("evt_") {
            id.to_owned()
        } else {
            format!("evt_{id}")
        };
        let body = to_json(&Outgoing {
            id: &id,
            object: "event",
            api_version: API_VERSION,
            created: unix(SystemTime::now()).as_secs(),
            data: OutgoingData { object: data },
            livemode: false,
            pending_webhooks: 1,
            request: OutgoingRequest {
                id: None,
                idempotency_key: None,
            },
            kind: event_type,
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static("Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        );
        (body, headers)
    }

    /// Stripe documents no cap on an event's size: the default 1 MiB.
    fn body_limit(&self) -> usize {
        crate::provider::DEFAULT_BODY_LIMIT
    }
}
