//! GitHub: the provider for repository, organization and app webhooks.
//!
//! The event name is the `X-GitHub-Event` header; when the body has an `action`, the
//! type is `<event>.<action>` (`issues.opened`; `push` stays `push`). The data is the
//! whole JSON body, also for hooks configured as `application/x-www-form-urlencoded`,
//! whose body is `payload=<urlencoded JSON>` (the signature covers that form body). The
//! dedupe key is `X-GitHub-Delivery`, prefixed with `X-GitHub-Hook-ID:` when present,
//! since one endpoint can serve several hooks. Payload types are GitHub's own (hundreds
//! of them), so there is no typed catalogue.

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderName, HeaderValue, USER_AGENT};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value};

use super::{header_str, is_blank, joined, string_member, to_json};
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{HmacScheme, Scheme};

/// The header naming the event, e.g. `issues`.
const EVENT: &str = "x-github-event";
/// The header holding the delivery GUID.
const DELIVERY: &str = "x-github-delivery";
/// The header holding the hook id.
const HOOK_ID: &str = "x-github-hook-id";

/// The hook id `compose` sends.
const COMPOSED_HOOK_ID: &str = "541823602";

/// The GitHub provider: `X-Hub-Signature-256: sha256=<hex>`, type from `X-GitHub-Event`.
#[derive(Debug, Clone)]
pub struct GitHub {
    scheme: HmacScheme,
}

impl GitHub {
    /// The provider with GitHub's scheme ([`HmacScheme::github`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the scheme.
    #[must_use]
    pub fn with_scheme(mut self, scheme: HmacScheme) -> Self {
        self.scheme = scheme;
        self
    }
}

impl Default for GitHub {
    fn default() -> Self {
        Self {
            scheme: HmacScheme::github(),
        }
    }
}

/// The JSON of a delivery: the body itself, or the `payload` field of a form body.
fn json_of(body: &Bytes) -> Result<Bytes, EnvelopeError> {
    if !body.starts_with(b"payload=") {
        return Ok(body.clone());
    }
    form_urlencoded::parse(body)
        .find(|(name, _)| name == "payload")
        .map(|(_, json)| Bytes::from(json.into_owned()))
        .ok_or_else(|| EnvelopeError::NotJson("form body has no `payload`".to_owned()))
}

/// A body with `action` first, as GitHub writes it, then the data's other fields.
struct WithAction<'a> {
    action: &'a str,
    rest: &'a Map<String, Value>,
}

impl Serialize for WithAction<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("action", self.action)?;
        for (name, value) in self.rest.iter().filter(|(name, _)| *name != "action") {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

impl Provider for GitHub {
    fn name(&self) -> &str {
        "github"
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        if is_blank(body) {
            return Err(EnvelopeError::Empty);
        }
        let event = header_str(headers, EVENT).ok_or(EnvelopeError::Missing(EVENT))?;
        let delivery = header_str(headers, DELIVERY).ok_or(EnvelopeError::Missing(DELIVERY))?;
        let json = json_of(body)?;
        super::utf8(&json)?;
        let action =
            string_member(&json, "action").map_err(|e| EnvelopeError::NotJson(e.to_string()))?;
        let event_type = match action {
            Some(action) => format!("{event}.{action}"),
            None => event.to_owned(),
        };
        let dedupe_key = match header_str(headers, HOOK_ID) {
            Some(hook) => joined(hook, delivery),
            None => delivery.to_owned(),
        };
        Ok(Envelope::new(event_type, dedupe_key, json))
    }

    /// `issues.opened` is sent as event `issues` with `"action": "opened"` first in the
    /// body; `id` becomes `X-GitHub-Delivery` (left out if not a valid header value).
    fn compose(&self, event_type: &str, data: &Value, id: &str) -> (Vec<u8>, HeaderMap) {
        let (event, action) = match event_type.split_once('.') {
            Some((event, action)) => (event, Some(action)),
            None => (event_type, None),
        };
        let body = match (action, data) {
            (Some(action), Value::Object(rest)) => to_json(&WithAction { action, rest }),
            _ => to_json(data),
        };
        let mut headers = HeaderMap::new();
        let mut put = |name: &'static str, value: &str| {
            if let Ok(value) = HeaderValue::from_str(value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        };
        put(EVENT, event);
        put(DELIVERY, id);
        put(HOOK_ID, COMPOSED_HOOK_ID);
        put("x-github-hook-installation-target-type", "repository");
        put("x-github-hook-installation-target-id", "35129377");
        headers.insert(
            USER_AGENT,
            HeaderValue::from_static("GitHub-Hookshot/7c4d4a3"),
        );
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        (body, headers)
    }

    /// GitHub docs: "Payloads are capped at 25 MB"; 25 MiB holds that whichever MB is meant.
    fn body_limit(&self) -> usize {
        25 * 1024 * 1024
    }
}
