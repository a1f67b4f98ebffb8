//! Standard Webhooks (the spec behind Svix): the provider for any sender that follows it.
//!
//! The spec recommends `{"type", "timestamp", "data"}` bodies and allows `data` to be
//! flattened into the top level, so the data is `data` when present and the whole body
//! otherwise. The dedupe key is the `webhook-id` header, which stays the same across
//! retries. Payloads are the sender's own, so there is no typed catalogue.

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{Content, StrField, Tagged, header_str, parse_wire, slice_of, to_json};
use crate::payload::PayloadSeed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{Scheme, StandardWebhooksScheme};

/// The header holding the message id, the dedupe key.
const WEBHOOK_ID: &str = "webhook-id";

/// The Standard Webhooks provider: `webhook-id`/`-timestamp`/`-signature` headers.
///
/// Signatures are `v1` (HMAC-SHA256: configure the `whsec_` secret) or `v1a` (ed25519:
/// configure the sender's `whpk_` public key); see [`StandardWebhooksScheme`] for both.
#[derive(Debug, Clone, Default)]
pub struct StandardWebhooks {
    scheme: StandardWebhooksScheme,
}

impl StandardWebhooks {
    /// The provider with the spec's scheme (±300 s tolerance).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the scheme, e.g. one with another tolerance.
    #[must_use]
    pub fn with_scheme(mut self, scheme: StandardWebhooksScheme) -> Self {
        self.scheme = scheme;
        self
    }
}

/// The body as sent, borrowed.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(rename = "type", borrow, default)]
    kind: StrField<'a>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The body as the spec recommends it, field order included.
#[derive(Serialize)]
struct Outgoing<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    timestamp: &'a str,
    data: &'a Value,
}

impl Provider for StandardWebhooks {
    fn name(&self) -> &str {
        "standard-webhooks"
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        let wire: Wire<'_> = parse_wire(body, "type")?;
        let kind = wire.kind.required("type")?;
        let id = header_str(headers, WEBHOOK_ID).ok_or(EnvelopeError::Missing(WEBHOOK_ID))?;
        let data = wire
            .data
            .map_or_else(|| body.clone(), |raw| slice_of(body, raw));
        Ok(Envelope::new(kind, id, data))
    }

    /// One pass when the body is `{"type": .., "data": ..}` in that order, as the spec
    /// writes it: the data is deserialized straight from the body, its bounds found
    /// only if asked for. A body whose data comes first is read to a raw slice, then
    /// parsed; a body without `data` (the data flattened into it) is parsed whole.
    fn envelope_with_payload<S: PayloadSeed>(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        seed: &S,
    ) -> Result<(Envelope, Option<S::Value>), EnvelopeError> {
        let tagged = Tagged::<S, false> {
            tag: "type",
            content: "data",
            alternate: None,
            member: None,
            seed,
        };
        let read = header_str(headers, WEBHOOK_ID).and_then(|id| Some((id, tagged.read(body)?)));
        let Some((id, mut read)) = read else {
            return Ok((self.envelope(headers, body)?, None));
        };
        let Some(kind) = read.event_type() else {
            return Ok((self.envelope(headers, body)?, None));
        };
        Ok(match read.data() {
            Some(Content::Typed(payload, _)) => {
                let envelope = Envelope::deferred(kind, id, body.clone(), data_of);
                (envelope, Some(payload))
            }
            Some(Content::Raw(data)) => {
                let payload = tagged.payload(&kind, data);
                (Envelope::new(kind, id, slice_of(body, data)), payload)
            }
            None => {
                let payload = seed
                    .select(&kind)
                    .and_then(|selected| crate::payload::from_slice(seed, selected, body));
                (Envelope::new(kind, id, body.clone()), payload)
            }
        })
    }

    /// `id` becomes the `webhook-id` header (left out if it is not a valid header value).
    fn compose(&self, event_type: &str, data: &Value, id: &str) -> (Vec<u8>, HeaderMap) {
        let timestamp = crate::clock::rfc3339(SystemTime::now());
        let body = to_json(&Outgoing {
            kind: event_type,
            timestamp: &timestamp,
            data,
        });
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Ok(value) = HeaderValue::from_str(id) {
            headers.insert(WEBHOOK_ID, value);
        }
        (body, headers)
    }

    /// The spec sets no cap (it recommends payloads under 20 kB): the default 1 MiB.
    fn body_limit(&self) -> usize {
        crate::provider::DEFAULT_BODY_LIMIT
    }
}

/// The data of a body the one-pass read accepted, as `envelope` gives it.
fn data_of(body: &Bytes) -> Bytes {
    let wire = parse_wire::<Wire<'_>>(body, "type").ok();
    wire.and_then(|wire| wire.data)
        .map_or_else(|| body.clone(), |data| slice_of(body, data))
}
