//! Signature schemes: how each provider signs the raw body, and how we check it.
//!
//! Every scheme verifies over the exact bytes received, compares MACs in constant time,
//! accepts several secrets (rotation), takes the clock as an argument
//! ([`Scheme::verify_at`]) and can sign, for fakes, the CLI and senders.

use std::fmt;
use std::time::{Duration, SystemTime};

use hmac::Mac;
use hmac::digest::KeyInit;
use http::{HeaderMap, HeaderName, HeaderValue};
use subtle::ConstantTimeEq;

use crate::Secret;

mod bamotf;
mod custom;
mod standard;
mod standard_key;
mod stripe;

pub use bamotf::{BamotfScheme, HEADER_BAMOTF_SIGNATURE};
pub use custom::{
    Algorithm, Encoding, HEADER_GITHUB_SIGNATURE_256, HEADER_MODEM_SIGNATURE, HmacConfigError,
    HmacScheme, HmacSchemeBuilder, SignedContent, TimestampUnit,
};
pub use standard::{
    HEADER_WEBHOOK_ID, HEADER_WEBHOOK_SIGNATURE, HEADER_WEBHOOK_TIMESTAMP, MAX_V1A_SIGNATURES,
    StandardWebhooksScheme,
};
pub use standard_key::{StandardKey, StandardKeyError, StandardKeyKind};
pub use stripe::{HEADER_STRIPE_SIGNATURE, StripeScheme};

/// Why a delivery failed verification. Names the check that failed, never the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// A header the scheme needs was absent.
    #[error("missing header `{0}`")]
    MissingHeader(&'static str),
    /// A header was present but not in the scheme's format.
    #[error("malformed header `{0}`")]
    MalformedHeader(&'static str),
    /// The signed timestamp is further from now than the tolerance allows.
    #[error("timestamp outside tolerance")]
    TimestampOutsideTolerance,
    /// No signature in the delivery matched any configured secret.
    #[error("no signature matched")]
    NoSignatureMatched,
    /// A configured secret cannot be used by this scheme (e.g. bad base64 after `whsec_`, or
    /// a `whpk_` key of the wrong length; [`StandardKey::for_verifying`] says which).
    #[error("configured secret is not valid for this scheme")]
    InvalidSecret,
    /// No secret was configured at all.
    #[error("no secret configured")]
    NoSecret,
}

impl VerifyError {
    /// A short, stable name for the failed check, for logs and metrics labels.
    pub fn check(&self) -> &'static str {
        match self {
            Self::MissingHeader(_) => "missing_header",
            Self::MalformedHeader(_) => "malformed_header",
            Self::TimestampOutsideTolerance => "timestamp_outside_tolerance",
            Self::NoSignatureMatched => "no_signature_matched",
            Self::InvalidSecret => "invalid_secret",
            Self::NoSecret => "no_secret",
        }
    }
}

/// What a signer needs besides the body and the secret.
#[derive(Debug, Clone, Copy)]
pub struct SignInput<'a> {
    /// The instant the sender signs at.
    pub now: SystemTime,
    /// The message id, for schemes that sign one (Standard Webhooks `webhook-id`).
    pub id: Option<&'a str>,
}

/// A webhook signature scheme.
///
/// Implemented by the built-in schemes; a custom HMAC scheme is described as data with
/// [`HmacScheme`].
pub trait Scheme: fmt::Debug + Send + Sync + 'static {
    /// Checks `body` against the signature in `headers`, as of `now`.
    ///
    /// Succeeds if any of `secrets` produced one of the signatures.
    fn verify_at(
        &self,
        secrets: &[Secret],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError>;

    /// [`Scheme::verify_at`] with the system clock.
    fn verify(
        &self,
        secrets: &[Secret],
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<(), VerifyError> {
        self.verify_at(secrets, headers, body, SystemTime::now())
    }

    /// The headers a sender would attach to `body`.
    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap;

    /// The tolerance of the timestamp check, or `None` when the scheme signs no time.
    fn tolerance(&self) -> Option<Duration>;
}

/// Seconds or milliseconds since the Unix epoch, saturating at zero for instants before it.
pub(crate) fn unix(now: SystemTime) -> Duration {
    now.duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
}

/// True when `signed` lies within `tolerance` of `now` on either side (inclusive).
pub(crate) fn within(now: Duration, signed: Duration, past: Duration, future: Duration) -> bool {
    let too_old = now.saturating_sub(signed) > past;
    let too_new = signed.saturating_sub(now) > future;
    !(too_old || too_new)
}

/// Whole seconds since the Unix epoch, as the senders' clocks count them (`floor`).
pub(crate) fn unix_secs(now: SystemTime) -> Duration {
    Duration::from_secs(unix(now).as_secs())
}

/// Whole milliseconds since the Unix epoch, saturating far beyond any real clock.
pub(crate) fn unix_millis(now: SystemTime) -> Duration {
    Duration::from_millis(u64::try_from(unix(now).as_millis()).unwrap_or(u64::MAX))
}

/// The value of header `name` as text.
///
/// Absent is [`VerifyError::MissingHeader`]; non-visible-ASCII is [`VerifyError::MalformedHeader`].
pub(crate) fn header_str<'h>(
    headers: &'h HeaderMap,
    name: &'static str,
) -> Result<&'h str, VerifyError> {
    let value = headers.get(name).ok_or(VerifyError::MissingHeader(name))?;
    value
        .to_str()
        .map_err(|_| VerifyError::MalformedHeader(name))
}

/// A non-empty run of ASCII digits as a number; signs, spaces and overflow are refused.
///
/// Stricter than the senders' `parseInt` on purpose: a header with trailing junk was not
/// produced by any sender, so accepting it would only widen what an attacker may send.
pub(crate) fn parse_digits(text: &str) -> Option<u64> {
    let digits = !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit());
    digits.then(|| text.parse().ok()).flatten()
}

/// The MAC of the concatenation of `parts` under `key`.
pub(crate) fn hmac<M: Mac + KeyInit>(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    // HMAC hashes over-long keys and pads short ones, so every key length is accepted.
    let mut mac = <M as KeyInit>::new_from_slice(key).expect("HMAC accepts keys of any length");
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().to_vec()
}

/// Compares an expected signature with a candidate in time independent of their contents.
///
/// Both sides are compared in their encoded form (hex, base64), as the senders' libraries do,
/// so an uppercase-hex or unpadded-base64 candidate does not match.
pub(crate) fn signatures_match(expected: &[u8], candidate: &[u8]) -> bool {
    expected.ct_eq(candidate).into()
}

/// Adds a header a signer produced.
///
/// Names are validated when a scheme is built and values are ASCII, so this never skips in
/// practice; if it did, the missing header makes verification fail loudly instead of the
/// signer panicking.
pub(crate) fn insert_header(headers: &mut HeaderMap, name: &'static str, value: &str) {
    let name = HeaderName::from_bytes(name.as_bytes());
    if let (Ok(name), Ok(value)) = (name, HeaderValue::from_str(value)) {
        headers.insert(name, value);
    }
}

/// A message id in the Svix style (`msg_` and 27 alphanumerics), for signers given none.
pub(crate) fn generate_message_id() -> String {
    let random: String = std::iter::repeat_with(fastrand::alphanumeric)
        .take(27)
        .collect();
    format!("msg_{random}")
}
