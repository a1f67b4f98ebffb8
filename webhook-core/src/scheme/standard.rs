//! `StandardWebhooksScheme`: the Standard Webhooks spec (what Svix sends), `v1` (HMAC-SHA256)
//! and `v1a` (ed25519) signatures.
//!
//! Follows the spec and the `standardwebhooks` libraries: the signature covers
//! `id "." timestamp "." body`, the signature header is a space-separated list of
//! `v1,<base64>` and `v1a,<base64>` entries, and the symmetric window is checked before the
//! signature. Keys are read by prefix ([`StandardKey`]): `whsec_` (or bare base64) for `v1`,
//! `whsk_` and `whpk_` for `v1a`.

use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use ed25519_dalek::{SIGNATURE_LENGTH, Signature, Signer, SigningKey, VerifyingKey};
use hmac::Hmac;
use http::HeaderMap;
use sha2::Sha256;

use super::standard_key::{KeyMaterial, StandardKey};
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

/// The most well-formed `v1a` entries of one list that are checked.
///
/// Each costs an ed25519 verification per configured ed25519 key, so an unauthenticated
/// header of thousands of entries would otherwise buy that many; a sender sends one per
/// key it signs with (two during a rotation).
pub const MAX_V1A_SIGNATURES: usize = 16;

/// The Standard Webhooks signature scheme (Svix): `v1` (HMAC-SHA256) and `v1a` (ed25519).
///
/// Each secret is a [`Secret`] whose prefix says what it is ([`StandardKey`]):
///
/// - `whsec_<base64>` (or bare base64): the shared HMAC secret; signs and verifies `v1`.
/// - `whsk_<base64>`: the sender's ed25519 secret key; signs `v1a`, and verifies it.
/// - `whpk_<base64>`: the sender's ed25519 public key; verifies `v1a`. What a receiver of
///   asymmetric signatures configures: it never holds a key that can sign.
///
/// Verification accepts the delivery when any entry of the `webhook-signature` list matches
/// any secret of its version: `v1` entries against the `whsec_` secrets (compared in constant
/// time), `v1a` entries against the ed25519 keys (strict verification: non-canonical and
/// small-order forms are refused). So one list may mix both, and a sender rotating keys, or
/// moving from `v1` to `v1a`, sends an entry for each. Entries of other versions are skipped,
/// and only the first [`MAX_V1A_SIGNATURES`] well-formed `v1a` entries are checked. A secret
/// that cannot be read (bad base64, a `whpk_` key of the wrong length...) is
/// [`VerifyError::InvalidSecret`]; [`StandardKey::for_verifying`] says what is wrong with it.
///
/// ```
/// use std::time::SystemTime;
/// use webhook_core::Secret;
/// use webhook_core::scheme::{Scheme, SignInput, StandardKey, StandardWebhooksScheme};
///
/// let scheme = StandardWebhooksScheme::new();
/// let now = SystemTime::now();
/// let input = SignInput { now, id: Some("msg_1") };
///
/// // Symmetric: both sides hold the `whsec_` secret.
/// let secret = Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
/// let headers = scheme.sign_at(&secret, b"{}", input);
/// assert!(headers["webhook-signature"].to_str().unwrap().starts_with("v1,"));
/// assert!(scheme.verify_at(&[secret.clone()], &headers, b"{}", now).is_ok());
///
/// // Asymmetric: the sender signs with `whsk_`, the receiver verifies with `whpk_`.
/// let key = StandardKey::generate();
/// let headers = scheme.sign_at(&key.to_secret(), b"{}", input);
/// assert!(headers["webhook-signature"].to_str().unwrap().starts_with("v1a,"));
/// let public = Secret::new(key.public_key().unwrap()).unwrap();
/// assert!(scheme.verify_at(&[secret, public], &headers, b"{}", now).is_ok());
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
        let keys = Keys::decode(secrets)?;
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
        let matched = keys.match_v1(&content, signatures) || keys.match_v1a(&content, signatures);
        matched.then_some(()).ok_or(VerifyError::NoSignatureMatched)
    }

    /// Signs with `input.id`, or a generated `msg_…` id: a `v1` entry for a `whsec_` secret,
    /// a `v1a` entry for a `whsk_` key.
    ///
    /// A secret that cannot sign (not valid base64, or a `whpk_` public key) yields no
    /// `webhook-signature` header, and an id that cannot be a header value (control
    /// characters) no `webhook-id`: the delivery then fails verification as
    /// [`VerifyError::MissingHeader`] instead of the signer panicking. Check a key first with
    /// [`StandardKey::for_signing`].
    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap {
        let id = input.id.map_or_else(generate_message_id, str::to_owned);
        let timestamp = unix_secs(input.now).as_secs().to_string();
        let mut headers = HeaderMap::new();
        insert_header(&mut headers, HEADER_WEBHOOK_ID, &id);
        insert_header(&mut headers, HEADER_WEBHOOK_TIMESTAMP, &timestamp);
        let content = Content {
            id: &id,
            timestamp: &timestamp,
            body,
        };
        let entry = match StandardKey::for_signing(secret)
            .as_ref()
            .map(StandardKey::material)
        {
            Ok(KeyMaterial::Hmac(key)) => Some(format!("v1,{}", content.signature(key))),
            Ok(KeyMaterial::Signing(key)) => Some(format!("v1a,{}", content.ed25519(key))),
            Ok(KeyMaterial::Public(_)) | Err(_) => None,
        };
        if let Some(value) = entry {
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
    /// `id "." timestamp "." body`, as separate parts.
    fn parts(&self) -> [&[u8]; 5] {
        [
            self.id.as_bytes(),
            b".",
            self.timestamp.as_bytes(),
            b".",
            self.body,
        ]
    }

    /// `id "." timestamp "." body` in one buffer, as ed25519 signs it.
    fn message(&self) -> Vec<u8> {
        self.parts().concat()
    }

    /// Padded standard base64 of HMAC-SHA256(`key`, `id "." timestamp "." body`): a `v1` entry.
    fn signature(&self, key: &[u8]) -> String {
        BASE64.encode(hmac::<Hmac<Sha256>>(key, &self.parts()))
    }

    /// Padded standard base64 of the ed25519 signature of the content: a `v1a` entry.
    fn ed25519(&self, key: &SigningKey) -> String {
        BASE64.encode(key.sign(&self.message()).to_bytes())
    }
}

/// The configured keys, decoded and sorted by the version they verify.
struct Keys {
    /// The `whsec_` keys, for `v1` entries.
    hmac: Vec<Vec<u8>>,
    /// The public keys of the `whsk_` and `whpk_` keys, for `v1a` entries.
    ed25519: Vec<VerifyingKey>,
}

impl Keys {
    /// Every configured key; one bad secret fails the lot, since it is a configuration error.
    fn decode(secrets: &[Secret]) -> Result<Self, VerifyError> {
        if secrets.is_empty() {
            return Err(VerifyError::NoSecret);
        }
        let mut keys = Self {
            hmac: Vec::new(),
            ed25519: Vec::new(),
        };
        for secret in secrets {
            let key = StandardKey::for_verifying(secret).map_err(|_| VerifyError::InvalidSecret)?;
            match key.material() {
                KeyMaterial::Hmac(bytes) => keys.hmac.push(bytes.clone()),
                KeyMaterial::Signing(signing) => keys.ed25519.push(signing.verifying_key()),
                KeyMaterial::Public(public) => keys.ed25519.push(*public),
            }
        }
        Ok(keys)
    }

    /// True when a `v1` entry of `list` is the HMAC of the content under a `whsec_` key.
    fn match_v1(&self, content: &Content<'_>, list: &str) -> bool {
        self.hmac.iter().any(|key| {
            let expected = content.signature(key);
            entries(list, "v1").any(|c| signatures_match(expected.as_bytes(), c.as_bytes()))
        })
    }

    /// True when one of the first [`MAX_V1A_SIGNATURES`] well-formed `v1a` entries of `list`
    /// is an ed25519 signature of the content by one of the keys.
    fn match_v1a(&self, content: &Content<'_>, list: &str) -> bool {
        if self.ed25519.is_empty() {
            return false;
        }
        let mut signatures = entries(list, "v1a")
            .filter_map(decode_signature)
            .take(MAX_V1A_SIGNATURES)
            .peekable();
        if signatures.peek().is_none() {
            return false;
        }
        let message = content.message();
        signatures.any(|signature| {
            self.ed25519
                .iter()
                .any(|key| key.verify_strict(&message, &signature).is_ok())
        })
    }
}

/// A `v1a` entry as a signature: padded standard base64 of exactly 64 bytes, or `None`.
fn decode_signature(entry: &str) -> Option<Signature> {
    // The base64 of 64 bytes is 88 characters: anything else is skipped before decoding.
    if entry.len() != SIGNATURE_LENGTH.div_ceil(3) * 4 {
        return None;
    }
    let bytes: [u8; SIGNATURE_LENGTH] = BASE64.decode(entry).ok()?.try_into().ok()?;
    Some(Signature::from_bytes(&bytes))
}

/// The entries of version `version` in a `webhook-signature` list; other versions and empty
/// entries are skipped.
fn entries<'a>(list: &'a str, version: &'a str) -> impl Iterator<Item = &'a str> {
    list.split(' ')
        .filter_map(|entry| entry.split_once(','))
        .filter_map(move |(v, signature)| (v == version).then_some(signature))
}
