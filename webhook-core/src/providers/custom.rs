//! Custom providers described as data: a name, an [`HmacScheme`] and an
//! [`EnvelopeSpec`] saying where the event type, the data and the dedupe key live.
//!
//! ```
//! use webhook_core::providers::custom::{CustomProvider, FieldSource};
//! use webhook_core::scheme::HmacScheme;
//! use webhook_core::Provider;
//!
//! let provider = CustomProvider::new("acme", HmacScheme::github())
//!     .event_type_from(FieldSource::pointer("/kind"))
//!     .data_from(FieldSource::pointer("/payload"))
//!     .dedupe_key_from(FieldSource::header("x-acme-delivery"));
//!
//! let (body, headers) = provider.compose("order.paid", &serde_json::json!({"id": 7}), "d-1");
//! let envelope = provider.envelope(&headers, &body.into()).unwrap();
//! assert_eq!(envelope.event_type(), "order.paid");
//! assert_eq!(envelope.dedupe_key(), "d-1");
//! assert_eq!(&envelope.data()[..], br#"{"id":7}"#);
//! ```

use std::borrow::Cow;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue};
use serde::de::IgnoredAny;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{header_str, is_blank, member, sha256_key, slice_of, to_json};
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{HmacScheme, Scheme};

/// Where one part of the envelope comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldSource {
    /// A value in the JSON body, by JSON pointer (RFC 6901), e.g. `"/type"` or
    /// `"/data/object"`; `""` is the whole body. For the event type and dedupe key the
    /// value must be a non-empty string or a number.
    BodyPointer(String),
    /// A request header. As data, its value becomes a JSON string.
    Header(String),
    /// The whole body. As event type or dedupe key, the body's text.
    WholeBody,
    /// `sha256:<hex>` of the body, e.g. as a dedupe key when the sender has no id.
    BodySha256,
}

impl FieldSource {
    /// A value in the JSON body, by JSON pointer.
    pub fn pointer(pointer: impl Into<String>) -> Self {
        Self::BodyPointer(pointer.into())
    }

    /// A request header.
    pub fn header(name: impl Into<String>) -> Self {
        Self::Header(name.into())
    }
}

/// Where a custom provider's envelope keeps the event type, the data and the dedupe key.
///
/// The default is the Standard Webhooks body shape: `/type`, `/data`, and the body's
/// SHA-256 as dedupe key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvelopeSpec {
    /// Where the event type is.
    pub event_type: FieldSource,
    /// Where the data is.
    pub data: FieldSource,
    /// Where the dedupe key is.
    pub dedupe_key: FieldSource,
}

impl Default for EnvelopeSpec {
    fn default() -> Self {
        Self {
            event_type: FieldSource::pointer("/type"),
            data: FieldSource::pointer("/data"),
            dedupe_key: FieldSource::BodySha256,
        }
    }
}

/// A provider described as data: a name, an HMAC scheme and an [`EnvelopeSpec`].
#[derive(Debug, Clone)]
pub struct CustomProvider {
    name: String,
    scheme: HmacScheme,
    spec: EnvelopeSpec,
}

impl CustomProvider {
    /// A provider named `name` (used in logs, metrics and storage) with the default
    /// [`EnvelopeSpec`].
    pub fn new(name: impl Into<String>, scheme: HmacScheme) -> Self {
        Self {
            name: name.into(),
            scheme,
            spec: EnvelopeSpec::default(),
        }
    }

    /// Reads the event type from `source`.
    #[must_use]
    pub fn event_type_from(mut self, source: FieldSource) -> Self {
        self.spec.event_type = source;
        self
    }

    /// Reads the data from `source`.
    #[must_use]
    pub fn data_from(mut self, source: FieldSource) -> Self {
        self.spec.data = source;
        self
    }

    /// Reads the dedupe key from `source`.
    #[must_use]
    pub fn dedupe_key_from(mut self, source: FieldSource) -> Self {
        self.spec.dedupe_key = source;
        self
    }

    /// Replaces the whole envelope spec.
    #[must_use]
    pub fn with_envelope(mut self, spec: EnvelopeSpec) -> Self {
        self.spec = spec;
        self
    }

    /// The envelope spec.
    pub fn envelope_spec(&self) -> &EnvelopeSpec {
        &self.spec
    }
}

impl Provider for CustomProvider {
    fn name(&self) -> &str {
        &self.name
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        if is_blank(body) {
            return Err(EnvelopeError::Empty);
        }
        super::utf8(body)?;
        let event_type = text(&self.spec.event_type, "event type", headers, body)?;
        let dedupe_key = text(&self.spec.dedupe_key, "dedupe key", headers, body)?;
        let data = data(&self.spec.data, headers, body)?;
        Ok(Envelope::new(event_type, dedupe_key, data))
    }

    /// Places `data`, `event_type` and `id` where the spec reads them: at their body
    /// pointers (creating objects on the way) or in their headers.
    fn compose(&self, event_type: &str, data: &Value, id: &str) -> (Vec<u8>, HeaderMap) {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        let mut body = match &self.spec.data {
            FieldSource::WholeBody => data.clone(),
            _ => Value::Object(Map::new()),
        };
        place(&mut body, &mut headers, &self.spec.data, data);
        place(
            &mut body,
            &mut headers,
            &self.spec.event_type,
            &Value::from(event_type),
        );
        place(
            &mut body,
            &mut headers,
            &self.spec.dedupe_key,
            &Value::from(id),
        );
        (to_json(&body), headers)
    }
}

/// The event type or dedupe key from `source`; `label` names it when it is missing.
fn text(
    source: &FieldSource,
    label: &'static str,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<String, EnvelopeError> {
    let missing = EnvelopeError::Missing(label);
    match source {
        FieldSource::BodyPointer(pointer) => {
            lookup(body, pointer)?.and_then(scalar_text).ok_or(missing)
        }
        FieldSource::Header(name) => header_str(headers, name).map(str::to_owned).ok_or(missing),
        FieldSource::WholeBody => std::str::from_utf8(body)
            .map(str::to_owned)
            .map_err(|_| missing),
        FieldSource::BodySha256 => Ok(sha256_key(body)),
    }
}

/// The data from `source`, a slice of the body where the source is in the body.
fn data(source: &FieldSource, headers: &HeaderMap, body: &Bytes) -> Result<Bytes, EnvelopeError> {
    let missing = EnvelopeError::Missing("data");
    match source {
        FieldSource::BodyPointer(pointer) => {
            Ok(slice_of(body, lookup(body, pointer)?.ok_or(missing)?))
        }
        FieldSource::Header(name) => Ok(to_json(&header_str(headers, name).ok_or(missing)?).into()),
        FieldSource::WholeBody => {
            serde_json::from_slice::<IgnoredAny>(body)
                .map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
            Ok(body.clone())
        }
        FieldSource::BodySha256 => Ok(to_json(&sha256_key(body)).into()),
    }
}

/// A non-empty string's value or a number's text.
fn scalar_text(raw: &RawValue) -> Option<String> {
    if raw.get().starts_with(['{', '[']) {
        return None;
    }
    match serde_json::from_str(raw.get()).ok()? {
        Value::String(s) if !s.is_empty() => Some(s),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The value at a JSON pointer, found by walking only the members on the path.
fn lookup<'a>(json: &'a [u8], pointer: &str) -> Result<Option<&'a RawValue>, EnvelopeError> {
    let not_json = |e: serde_json::Error| EnvelopeError::NotJson(e.to_string());
    if pointer.is_empty() {
        return serde_json::from_slice(json).map(Some).map_err(not_json);
    }
    let Some(path) = pointer.strip_prefix('/') else {
        return Ok(None);
    };
    let mut current = json;
    let mut found = None;
    for token in path.split('/').map(unescape) {
        let next = if current.trim_ascii_start().starts_with(b"[") {
            element(current, &token).map_err(not_json)?
        } else {
            member::<&RawValue>(current, &token).map_err(not_json)?
        };
        let Some(raw) = next else { return Ok(None) };
        current = raw.get().as_bytes();
        found = Some(raw);
    }
    Ok(found)
}

/// The array element at index `token`.
fn element<'a>(json: &'a [u8], token: &str) -> Result<Option<&'a RawValue>, serde_json::Error> {
    let items: Vec<&'a RawValue> = serde_json::from_slice(json)?;
    Ok(token
        .parse::<usize>()
        .ok()
        .and_then(|i| items.get(i).copied()))
}

/// A pointer token with `~1` and `~0` decoded (RFC 6901 §4).
fn unescape(token: &str) -> Cow<'_, str> {
    if token.contains('~') {
        Cow::Owned(token.replace("~1", "/").replace("~0", "~"))
    } else {
        Cow::Borrowed(token)
    }
}

/// Puts `value` where `source` reads it: at a body pointer or in a header.
fn place(body: &mut Value, headers: &mut HeaderMap, source: &FieldSource, value: &Value) {
    match source {
        FieldSource::BodyPointer(pointer) => insert(body, pointer, value.clone()),
        FieldSource::Header(name) => {
            let text = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_owned);
            if let (Ok(name), Ok(text)) = (
                HeaderName::try_from(name.as_str()),
                HeaderValue::from_str(&text),
            ) {
                headers.insert(name, text);
            }
        }
        FieldSource::WholeBody | FieldSource::BodySha256 => {}
    }
}

/// Sets the member at `pointer`, creating objects on the way; does nothing where the
/// path runs through a non-object.
fn insert(target: &mut Value, pointer: &str, value: Value) {
    if pointer.is_empty() {
        *target = value;
        return;
    }
    let Some(path) = pointer.strip_prefix('/') else {
        return;
    };
    let tokens: Vec<Cow<'_, str>> = path.split('/').map(unescape).collect();
    let Some((last, parents)) = tokens.split_last() else {
        return;
    };
    let mut node = target;
    for token in parents {
        let Value::Object(map) = node else { return };
        node = map
            .entry(token.as_ref())
            .or_insert_with(|| Value::Object(Map::new()));
    }
    if let Value::Object(map) = node {
        map.insert(last.to_string(), value);
    }
}
