//! `StandardWebhooksScheme`: the Standard Webhooks spec (what Svix sends), `v1` signatures.
//!
//! Follows the spec and the `standardwebhooks` library: the key is the base64-decoded secret
//! (an optional `whsec_` prefix stripped), the MAC covers `id "." timestamp "." body`, the
//! signature header is a space-separated list of `v1,<base64>`, and the symmetric window is
//! checked before the signature.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::Hmac;
use http::HeaderMap;
use sha2::Sha256;

use super::{
    Scheme, SignInput, VerifyError, generate_message_id, header_str, hmac, insert_header,
    parse_digits, signatures_match, unix_secs, within,
};
use crate::Secret;

/// The header holding the message id, stable across retries (the dedupe key).
pub const HEADER_WEBHOOK_ID: &str = "webhook-id";
/// The header holding the signing time, in Unix seconds.
pub const HEADER_WEBHOOK_TIMESTAMP: &str = "webhook-timestamp";
/// The header holding the space-separated list of signatures.
pub const HEADER_WEBHOOK_SIGNATURE: &str = "webhook-signature";

/// The library's `WEBHOOK_TOLERANCE_IN_SECONDS`.
const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The prefix the spec puts before the base64 key; it is not part of the key.
const SECRET_PREFIX: &[u8] = b"whsec_";

/// The Standard Webhooks signature scheme (Svix).
///
/// Secrets are `whsec_<base64>` (or bare base64); one that does not decode, or decodes to
/// nothing, is [`VerifyError::InvalidSecret`]. Entries of another version than `v1` (such as
/// `v1a`) are skipped, and any matching `v1` entry accepts, which is how a sender rotates keys.
///
/// ```
/// use std::time::SystemTime;
/// use webhook_core::Secret;
/// use webhook_core::scheme::{Scheme, SignInput, StandardWebhooksScheme};
///
/// let scheme = StandardWebhooksScheme::new();
/// let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let now = SystemTime::now();
/// let headers = scheme.sign_at(&secret, b"{}", SignInput { now, id: Some("msg_1") });
/// assert!(scheme.verify_at(&[secret], &headers, b"{}", now).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StandardWebhooksScheme {
    tolerance: Duration,
}

impl StandardWebhooksScheme {
    /// The scheme with the library's window of ±300 s.
    pub fn new() -> Self {
        Self {
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Accepts timestamps up to `tolerance` away from now on either side;
    /// `Duration::ZERO` turns the time check off.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }

    /// The symmetric, inclusive window around `now`, unless the tolerance is zero.
    fn check_time(&self, now: SystemTime, timestamp: u64) -> Result<(), VerifyError> {
        let signed = Duration::from_secs(timestamp);
        let checks_time = !self.tolerance.is_zero();
        if checks_time && !within(unix_secs(now), signed, self.tolerance, self.tolerance) {
            return Err(VerifyError::TimestampOutsideTolerance);
        }
        Ok(())
    }
}

impl Default for StandardWebhooksScheme {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheme for StandardWebhooksScheme {
    fn verify_at(
        &self,
        secrets: &[Secret],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        let keys = decode_keys(secrets)?;
        let id = header_str(headers, HEADER_WEBHOOK_ID)?;
        let timestamp = header_str(headers, HEADER_WEBHOOK_TIMESTAMP)?;
        let signatures = header_str(headers, HEADER_WEBHOOK_SIGNATURE)?;
        let timestamp = parse_digits(timestamp)
            .ok_or(VerifyError::MalformedHeader(HEADER_WEBHOOK_TIMESTAMP))?;
        self.check_time(now, timestamp)?;
        // The library signs the parsed number, not the header text.
        let content = Content {
            id,
            timestamp: &timestamp.to_string(),
            body,
        };
        let matched = keys.iter().any(|key| {
            let expected = content.signature(key);
            v1_signatures(signatures).any(|c| signatures_match(expected.as_bytes(), c.as_bytes()))
        });
        matched.then_some(()).ok_or(VerifyError::NoSignatureMatched)
    }

    /// Signs with `input.id`, or a generated `msg_…` id.
    ///
    /// A secret that is not valid base64 yields no `webhook-signature` header, and an id that
    /// cannot be a header value (control characters) no `webhook-id`: the delivery then fails
    /// verification as [`VerifyError::MissingHeader`] instead of the signer panicking.
    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap {
        let id = input.id.map_or_else(generate_message_id, str::to_owned);
        let timestamp = unix_secs(input.now).as_secs().to_string();
        let mut headers = HeaderMap::new();
        insert_header(&mut headers, HEADER_WEBHOOK_ID, &id);
        insert_header(&mut headers, HEADER_WEBHOOK_TIMESTAMP, &timestamp);
        if let Ok(key) = decode_key(secret) {
            let content = Content {
                id: &id,
                timestamp: &timestamp,
                body,
            };
            let value = format!("v1,{}", content.signature(&key));
            insert_header(&mut headers, HEADER_WEBHOOK_SIGNATURE, &value);
        }
        headers
    }

    fn tolerance(&self) -> Option<Duration> {
        Some(self.tolerance)
    }
}

/// What a Standard Webhooks signature covers.
struct Content<'a> {
    id: &'a str,
    timestamp: &'a str,
    body: &'a [u8],
}

impl Content<'_> {
    /// Padded standard base64 of HMAC-SHA256(`key`, `id "." timestamp "." body`).
    fn signature(&self, key: &[u8]) -> String {
        let parts = [
            self.id.as_bytes(),
            b".",
            self.timestamp.as_bytes(),
            b".",
            self.body,
        ];
        BASE64.encode(hmac::<Hmac<Sha256>>(key, &parts))
    }
}

/// Every configured key, decoded; one bad secret fails the lot, since it is a configuration error.
fn decode_keys(secrets: &[Secret]) -> Result<Vec<Vec<u8>>, VerifyError> {
    if secrets.is_empty() {
        return Err(VerifyError::NoSecret);
    }
    secrets.iter().map(decode_key).collect()
}

/// The HMAC key of one secret: base64-decode it, minus an optional `whsec_` prefix.
fn decode_key(secret: &Secret) -> Result<Vec<u8>, VerifyError> {
    let bytes = secret.expose_bytes();
    let encoded = bytes.strip_prefix(SECRET_PREFIX).unwrap_or(bytes);
    let key = BASE64
        .decode(encoded)
        .map_err(|_| VerifyError::InvalidSecret)?;
    if key.is_empty() {
        return Err(VerifyError::InvalidSecret);
    }
    Ok(key)
}

/// The `v1` entries of a `webhook-signature` list; other versions and empty entries are skipped.
fn v1_signatures(list: &str) -> impl Iterator<Item = &str> {
    list.split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter_map(|(version, signature)| (version == "v1").then_some(signature))
}
