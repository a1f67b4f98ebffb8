//! `BamotfScheme`: bamotf's `x-webhook-signature: v=<unix ms>,d=<hex>` (via `secure-webhooks`).
//!
//! The MAC is HMAC-SHA256 keyed with the secret's bytes over the body with the decimal
//! millisecond timestamp appended (no separator). The window is symmetric and inclusive.

use std::time::{Duration, SystemTime};

use hmac::Hmac;
use http::HeaderMap;
use sha2::Sha256;

use super::{
    Scheme, SignInput, VerifyError, header_str, hmac, insert_header, parse_digits,
    signatures_match, unix_millis, within,
};
use crate::Secret;

/// The header bamotf puts its signature in.
pub const HEADER_BAMOTF_SIGNATURE: &str = "x-webhook-signature";

/// bamotf's default window: `secure-webhooks` `verify({timeout = 300000})`.
const DEFAULT_TOLERANCE: Duration = Duration::from_millis(300_000);

/// bamotf's signature scheme: `x-webhook-signature: v=<unix ms>,d=<lowercase hex>`.
///
/// Stricter than `secure-webhooks`, knowingly: the value must be exactly
/// `v=<digits>,d=<hex>` (its regex is unanchored and takes everything after `d=`), and the
/// digest is compared in constant time (it uses `===`). Like it, the timestamp is checked
/// before the signature, and the MAC covers the re-stringified number, so `v=0042` is
/// verified over `…42`.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use webhook_core::Secret;
/// use webhook_core::scheme::{BamotfScheme, Scheme, SignInput};
///
/// let scheme = BamotfScheme::new().tolerance(Duration::from_secs(60));
/// let secret = Secret::new("s3cret").unwrap();
/// let now = SystemTime::now();
/// let headers = scheme.sign_at(&secret, b"{}", SignInput { now, id: None });
/// assert!(scheme.verify_at(&[secret], &headers, b"{}", now).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BamotfScheme {
    tolerance: Duration,
}

impl BamotfScheme {
    /// The scheme with bamotf's window of ±300 000 ms.
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
}

impl Default for BamotfScheme {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheme for BamotfScheme {
    fn verify_at(
        &self,
        secrets: &[Secret],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        if secrets.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        let value = header_str(headers, HEADER_BAMOTF_SIGNATURE)?;
        let (millis, digest) =
            parse_value(value).ok_or(VerifyError::MalformedHeader(HEADER_BAMOTF_SIGNATURE))?;
        let signed = Duration::from_millis(millis);
        let checks_time = !self.tolerance.is_zero();
        if checks_time && !within(unix_millis(now), signed, self.tolerance, self.tolerance) {
            return Err(VerifyError::TimestampOutsideTolerance);
        }
        // bamotf signs the number re-stringified, so `v=0042` covers `…42`.
        let stamp = millis.to_string();
        let matched = secrets.iter().any(|secret| {
            signatures_match(expected(secret, body, &stamp).as_bytes(), digest.as_bytes())
        });
        matched.then_some(()).ok_or(VerifyError::NoSignatureMatched)
    }

    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap {
        let stamp = unix_millis(input.now).as_millis().to_string();
        let value = format!("v={stamp},d={}", expected(secret, body, &stamp));
        let mut headers = HeaderMap::new();
        insert_header(&mut headers, HEADER_BAMOTF_SIGNATURE, &value);
        headers
    }

    fn tolerance(&self) -> Option<Duration> {
        Some(self.tolerance)
    }
}

/// Splits `v=<digits>,d=<hex>` into the timestamp and the digest text, or `None`.
fn parse_value(value: &str) -> Option<(u64, &str)> {
    let (millis, digest) = value.strip_prefix("v=")?.split_once(",d=")?;
    let hex = !digest.is_empty() && digest.bytes().all(|b| b.is_ascii_hexdigit());
    Some((parse_digits(millis)?, digest)).filter(|_| hex)
}

/// Lowercase hex HMAC-SHA256 of `body ‖ stamp`.
fn expected(secret: &Secret, body: &[u8], stamp: &str) -> String {
    hex::encode(hmac::<Hmac<Sha256>>(
        secret.expose_bytes(),
        &[body, stamp.as_bytes()],
    ))
}
