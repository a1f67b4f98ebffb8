//! `StripeScheme`: Stripe's `stripe-signature: t=<unix s>,v1=<hex>[,v1=<hex>…]`.
//!
//! Follows `stripe-node`'s `Webhooks.js`: the key is the whole `whsec_…` string (not
//! decoded), the MAC covers `t "." body`, any `v1` may match, and the tolerance only bounds
//! the past.

use std::time::{Duration, SystemTime};

use hmac::Hmac;
use http::HeaderMap;
use sha2::Sha256;

use super::{
    Scheme, SignInput, VerifyError, header_str, hmac, insert_header, parse_digits,
    signatures_match, unix_secs, within,
};
use crate::Secret;

/// The header Stripe puts its signatures in.
pub const HEADER_STRIPE_SIGNATURE: &str = "stripe-signature";

/// `stripe-node`'s `DEFAULT_TOLERANCE`.
const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// Stripe's signature scheme.
///
/// The header is split on `,` and each item on its first `=`; keys are compared exactly
/// (`" v1"` is not `v1`), the last `t` wins and every `v1` is a candidate (during a secret
/// roll Stripe signs with both). The signature is checked before the timestamp, and a
/// timestamp in the future is accepted, as in `stripe-node`.
///
/// ```
/// use std::time::SystemTime;
/// use webhook_core::Secret;
/// use webhook_core::scheme::{Scheme, SignInput, StripeScheme};
///
/// let scheme = StripeScheme::new();
/// let secret = Secret::new("whsec_test").unwrap();
/// let now = SystemTime::now();
/// let headers = scheme.sign_at(&secret, b"{}", SignInput { now, id: None });
/// assert!(scheme.verify_at(&[secret], &headers, b"{}", now).is_ok());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StripeScheme {
    tolerance: Duration,
}

impl StripeScheme {
    /// The scheme with Stripe's default tolerance of 300 s into the past.
    pub fn new() -> Self {
        Self {
            tolerance: DEFAULT_TOLERANCE,
        }
    }

    /// Accepts timestamps up to `tolerance` old (any future one is accepted, as Stripe does);
    /// `Duration::ZERO` turns the time check off.
    #[must_use]
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.tolerance = tolerance;
        self
    }
}

impl Default for StripeScheme {
    fn default() -> Self {
        Self::new()
    }
}

impl Scheme for StripeScheme {
    fn verify_at(
        &self,
        secrets: &[Secret],
        headers: &HeaderMap,
        body: &[u8],
        now: SystemTime,
    ) -> Result<(), VerifyError> {
        check_secrets(secrets)?;
        let value = header_str(headers, HEADER_STRIPE_SIGNATURE)?;
        let (timestamp, candidates) = parse_value(value)?;
        let stamp = timestamp.to_string();
        let matched = secrets.iter().any(|secret| {
            let expected = expected(secret, body, &stamp);
            candidates
                .iter()
                .any(|c| signatures_match(expected.as_bytes(), c.as_bytes()))
        });
        if !matched {
            return Err(VerifyError::NoSignatureMatched);
        }
        let signed = Duration::from_secs(timestamp);
        let checks_time = !self.tolerance.is_zero();
        if checks_time && !within(unix_secs(now), signed, self.tolerance, Duration::MAX) {
            return Err(VerifyError::TimestampOutsideTolerance);
        }
        Ok(())
    }

    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap {
        let stamp = unix_secs(input.now).as_secs().to_string();
        let value = format!("t={stamp},v1={}", expected(secret, body, &stamp));
        let mut headers = HeaderMap::new();
        insert_header(&mut headers, HEADER_STRIPE_SIGNATURE, &value);
        headers
    }

    fn tolerance(&self) -> Option<Duration> {
        Some(self.tolerance)
    }
}

/// Refuses an empty list and, as `stripe-node` does, a blank secret.
fn check_secrets(secrets: &[Secret]) -> Result<(), VerifyError> {
    if secrets.is_empty() {
        return Err(VerifyError::NoSecret);
    }
    let blank = |s: &Secret| s.expose_bytes().iter().all(u8::is_ascii_whitespace);
    if secrets.iter().any(blank) {
        return Err(VerifyError::InvalidSecret);
    }
    Ok(())
}

/// The last `t` and every `v1` of the header; no `t`, or a `t` that is not digits, is malformed.
fn parse_value(value: &str) -> Result<(u64, Vec<&str>), VerifyError> {
    let malformed = VerifyError::MalformedHeader(HEADER_STRIPE_SIGNATURE);
    let mut timestamp = None;
    let mut candidates = Vec::new();
    for (key, item) in value.split(',').filter_map(|item| item.split_once('=')) {
        match key {
            "t" => timestamp = Some(item),
            "v1" => candidates.push(item),
            _ => {}
        }
    }
    let timestamp = timestamp.and_then(parse_digits).ok_or(malformed)?;
    Ok((timestamp, candidates))
}

/// Lowercase hex HMAC-SHA256 of `stamp "." body`, keyed with the whole secret.
fn expected(secret: &Secret, body: &[u8], stamp: &str) -> String {
    hex::encode(hmac::<Hmac<Sha256>>(
        secret.expose_bytes(),
        &[stamp.as_bytes(), b".", body],
    ))
}
