//! `HmacScheme`: an HMAC signature scheme described as data, and the Modem Pay and GitHub presets.
//!
//! A scheme is the hash, the encoding, the header and its prefix, what is signed (a template
//! such as `{timestamp}.{body}`), and optionally a timestamp header with its unit and window
//! and an id header. It is built once, validated, then used like any other [`Scheme`].

use std::str::FromStr;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::digest::KeyInit;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderName};
use sha2::{Sha256, Sha512};
use subtle::ConstantTimeEq;

use super::{
    Scheme, SignInput, VerifyError, generate_message_id, header_str, insert_header, parse_digits,
    signatures_match, unix_millis, unix_secs, within,
};
use crate::Secret;

/// The header Modem Pay puts its signature in.
pub const HEADER_MODEM_SIGNATURE: &str = "x-modem-signature";
/// The header GitHub puts its SHA-256 signature in.
pub const HEADER_GITHUB_SIGNATURE_256: &str = "x-hub-signature-256";

/// The window a timestamped custom scheme accepts unless told otherwise.
const DEFAULT_TOLERANCE: Duration = Duration::from_secs(300);

/// The hash under the HMAC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC-SHA256.
    Sha256,
    /// HMAC-SHA512.
    Sha512,
}

impl Algorithm {
    /// The HMAC state keyed with `key`, before any message.
    fn keyed(self, key: &[u8]) -> Keyed {
        // HMAC hashes over-long keys and pads short ones, so every key length is accepted.
        const ANY_LENGTH: &str = "HMAC accepts keys of any length";
        match self {
            Self::Sha256 => {
                Keyed::Sha256(<Hmac<Sha256> as KeyInit>::new_from_slice(key).expect(ANY_LENGTH))
            }
            Self::Sha512 => {
                Keyed::Sha512(<Hmac<Sha512> as KeyInit>::new_from_slice(key).expect(ANY_LENGTH))
            }
        }
    }
}

/// The largest MAC any [`Algorithm`] produces (SHA-512), in bytes.
const MAX_MAC_LEN: usize = 64;

/// An HMAC state keyed with one secret, ready to be cloned for each message.
#[derive(Clone)]
enum Keyed {
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

impl Keyed {
    fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The MAC of the concatenation of `parts`, written into `out`; returns its length.
    fn mac_into(self, parts: impl Iterator<Item = impl AsRef<[u8]>>, out: &mut [u8]) -> usize {
        fn run<M: Mac>(
            mut mac: M,
            parts: impl Iterator<Item = impl AsRef<[u8]>>,
            out: &mut [u8],
        ) -> usize {
            for part in parts {
                mac.update(part.as_ref());
            }
            let bytes = mac.finalize().into_bytes();
            out[..bytes.len()].copy_from_slice(&bytes);
            bytes.len()
        }
        match self {
            Self::Sha256(mac) => run(mac, parts, out),
            Self::Sha512(mac) => run(mac, parts, out),
        }
    }
}

/// How many secrets' keyed HMAC states a scheme remembers (rotation rarely needs more
/// than two at once); further secrets are keyed on every use.
const KEY_CACHE_SLOTS: usize = 4;

/// Keyed HMAC states of the secrets a scheme has verified with, so that the key schedule
/// (two compressions, about a microsecond for SHA-512) runs once per secret rather than
/// once per delivery. Entries are never shown: `Debug` prints only their count. A clone
/// starts empty, and caches never make two schemes unequal.
#[derive(Default)]
struct KeyCache {
    entries: Mutex<Vec<(Box<[u8]>, Keyed)>>,
}

impl KeyCache {
    fn entries(&self) -> MutexGuard<'_, Vec<(Box<[u8]>, Keyed)>> {
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The state for `key` under `algorithm`, from the cache when it holds it.
    fn keyed(&self, algorithm: Algorithm, key: &[u8]) -> Keyed {
        {
            let entries = self.entries();
            let hit = entries
                .iter()
                .find(|(cached, keyed)| keyed.algorithm() == algorithm && **cached == *key);
            if let Some((_, keyed)) = hit {
                return keyed.clone();
            }
        }
        let keyed = algorithm.keyed(key);
        let mut entries = self.entries();
        if entries.len() < KEY_CACHE_SLOTS {
            entries.push((key.into(), keyed.clone()));
        }
        keyed
    }
}

impl Clone for KeyCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl PartialEq for KeyCache {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for KeyCache {}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyCache({} keyed)", self.entries().len())
    }
}

/// Decodes `text` as lowercase hex into `out`; `None` unless it is exactly `out.len()`
/// bytes of lowercase hex (uppercase is refused, as the senders' libraries never write it).
fn decode_lower_hex(text: &[u8], out: &mut [u8]) -> Option<()> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    if text.len() != out.len() * 2 {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(text.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Some(())
}

/// How the MAC is written in the header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Encoding {
    /// Lowercase hex; uppercase does not match.
    Hex,
    /// Standard base64 with padding; unpadded or URL-safe does not match.
    Base64,
}

impl Encoding {
    fn encode(self, mac: &[u8]) -> String {
        match self {
            Self::Hex => hex::encode(mac),
            Self::Base64 => BASE64.encode(mac),
        }
    }
}

/// What the number in a timestamp header counts since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampUnit {
    /// Whole seconds.
    Seconds,
    /// Whole milliseconds.
    Millis,
}

impl TimestampUnit {
    /// `now` in this unit, rounded down as the sender's clock would be.
    fn now(self, now: SystemTime) -> Duration {
        match self {
            Self::Seconds => unix_secs(now),
            Self::Millis => unix_millis(now),
        }
    }

    /// A header's count as a duration since the epoch.
    fn since_epoch(self, count: u64) -> Duration {
        match self {
            Self::Seconds => Duration::from_secs(count),
            Self::Millis => Duration::from_millis(count),
        }
    }

    /// The count a signer writes for `now`.
    fn count(self, now: SystemTime) -> String {
        match self {
            Self::Seconds => self.now(now).as_secs().to_string(),
            Self::Millis => self.now(now).as_millis().to_string(),
        }
    }
}

/// What a signature covers: a template of literal text and the placeholders `{body}`,
/// `{timestamp}` and `{id}`, parsed once.
///
/// `{timestamp}` and `{id}` stand for the text of the scheme's timestamp and id headers as
/// received.
///
/// ```
/// use webhook_core::scheme::SignedContent;
///
/// let content: SignedContent = "{id}.{timestamp}.{body}".parse().unwrap();
/// assert_ne!(content, SignedContent::body());
/// assert!(SignedContent::parse("{timestamp}.{payload}").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedContent {
    parts: Vec<Part>,
}

/// One piece of a [`SignedContent`] template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Body,
    Timestamp,
    Id,
}

impl Part {
    fn placeholder(name: &str) -> Result<Self, HmacConfigError> {
        match name {
            "body" => Ok(Self::Body),
            "timestamp" => Ok(Self::Timestamp),
            "id" => Ok(Self::Id),
            _ => Err(HmacConfigError::UnknownPlaceholder(name.to_owned())),
        }
    }
}

impl SignedContent {
    /// The raw body alone, as Modem Pay and GitHub sign.
    pub fn body() -> Self {
        Self {
            parts: vec![Part::Body],
        }
    }

    /// Parses a template such as `{timestamp}.{body}`; every `{` opens a placeholder.
    ///
    /// Fails on an unknown or unclosed placeholder and on a template without `{body}`.
    pub fn parse(template: &str) -> Result<Self, HmacConfigError> {
        let mut parts = Vec::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            push_literal(&mut parts, &rest[..open]);
            let inside = &rest[open + 1..];
            let close = inside
                .find('}')
                .ok_or(HmacConfigError::UnclosedPlaceholder)?;
            parts.push(Part::placeholder(&inside[..close])?);
            rest = &inside[close + 1..];
        }
        push_literal(&mut parts, rest);
        if !parts.contains(&Part::Body) {
            return Err(HmacConfigError::MissingBody);
        }
        Ok(Self { parts })
    }

    fn includes(&self, part: &Part) -> bool {
        self.parts.contains(part)
    }

    /// The byte slices to feed the MAC, in order.
    fn resolve<'a>(
        &'a self,
        body: &'a [u8],
        timestamp: &'a str,
        id: &'a str,
    ) -> impl Iterator<Item = &'a [u8]> {
        self.parts.iter().map(move |part| match part {
            Part::Literal(text) => text.as_bytes(),
            Part::Body => body,
            Part::Timestamp => timestamp.as_bytes(),
            Part::Id => id.as_bytes(),
        })
    }
}

fn push_literal(parts: &mut Vec<Part>, text: &str) {
    if !text.is_empty() {
        parts.push(Part::Literal(text.to_owned()));
    }
}

impl Default for SignedContent {
    fn default() -> Self {
        Self::body()
    }
}

impl FromStr for SignedContent {
    type Err = HmacConfigError;
    fn from_str(template: &str) -> Result<Self, Self::Err> {
        Self::parse(template)
    }
}

/// Why an [`HmacScheme`] description was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HmacConfigError {
    /// The template names a placeholder other than `{body}`, `{timestamp}` or `{id}`.
    #[error(
        "unknown placeholder `{{{0}}}` in signed content: expected `{{body}}`, `{{timestamp}}` or `{{id}}`"
    )]
    UnknownPlaceholder(String),
    /// The template opens a `{` it never closes.
    #[error("unclosed `{{` in signed content: close it, as in `{{timestamp}}.{{body}}`")]
    UnclosedPlaceholder,
    /// The template does not sign the body.
    #[error("signed content has no `{{body}}`: add it, as in `{{timestamp}}.{{body}}`")]
    MissingBody,
    /// A header name is empty, has characters a header name cannot have, or is not lowercase.
    #[error("invalid header name `{0}`: write a lowercase name such as `x-signature`")]
    InvalidHeaderName(&'static str),
    /// The template signs `{timestamp}` but the scheme reads no timestamp header.
    #[error(
        "signed content has `{{timestamp}}` but no timestamp header is set: call `.timestamp_header(name, unit)`"
    )]
    TimestampHeaderMissing,
    /// A timestamp header is set but not signed, so it would protect nothing.
    #[error("a timestamp header is set but not signed: add `{{timestamp}}` to the signed content")]
    TimestampNotSigned,
    /// The template signs `{id}` but the scheme reads no id header.
    #[error("signed content has `{{id}}` but no id header is set: call `.id_header(name)`")]
    IdHeaderMissing,
    /// An id header is set but not signed, so it would play no part in verification.
    #[error("an id header is set but not signed: add `{{id}}` to the signed content")]
    IdNotSigned,
}

/// A header carrying a timestamp, and its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TimestampHeader {
    name: &'static str,
    unit: TimestampUnit,
}

/// A declarative HMAC signature scheme.
///
/// Build one with [`HmacScheme::builder`], or take a preset: [`HmacScheme::modem_pay`],
/// [`HmacScheme::github`]. One signature per delivery; rotation is several secrets. The
/// timestamp, when there is one, is checked before the signature, in a symmetric, inclusive
/// window.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use webhook_core::Secret;
/// use webhook_core::scheme::{Encoding, HmacScheme, Scheme, SignInput, TimestampUnit};
///
/// let scheme = HmacScheme::builder("x-signature")
///     .encoding(Encoding::Base64)
///     .signed_content("{timestamp}.{body}".parse().unwrap())
///     .timestamp_header("x-timestamp", TimestampUnit::Seconds)
///     .tolerance(Duration::from_secs(60))
///     .build()
///     .unwrap();
/// let secret = Secret::new("s3cret").unwrap();
/// let now = SystemTime::now();
/// let headers = scheme.sign_at(&secret, b"{}", SignInput { now, id: None });
/// assert!(scheme.verify_at(&[secret], &headers, b"{}", now).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HmacScheme {
    algorithm: Algorithm,
    encoding: Encoding,
    signature_header: &'static str,
    prefix: String,
    content: SignedContent,
    timestamp: Option<TimestampHeader>,
    tolerance: Duration,
    id_header: Option<&'static str>,
    keys: KeyCache,
}

impl HmacScheme {
    /// Starts describing a scheme that reads its signature from `signature_header`.
    ///
    /// Defaults: HMAC-SHA256, lowercase hex, no prefix, signs the body, no timestamp, no id.
    pub fn builder(signature_header: &'static str) -> HmacSchemeBuilder {
        HmacSchemeBuilder {
            scheme: Self {
                algorithm: Algorithm::Sha256,
                encoding: Encoding::Hex,
                signature_header,
                prefix: String::new(),
                content: SignedContent::body(),
                timestamp: None,
                tolerance: DEFAULT_TOLERANCE,
                id_header: None,
                keys: KeyCache::default(),
            },
        }
    }

    /// Modem Pay: `x-modem-signature: <lowercase hex HMAC-SHA512 of the body>`, no timestamp.
    pub fn modem_pay() -> Self {
        Self::builder(HEADER_MODEM_SIGNATURE)
            .algorithm(Algorithm::Sha512)
            .scheme
    }

    /// GitHub: `x-hub-signature-256: sha256=<lowercase hex HMAC-SHA256 of the body>`.
    pub fn github() -> Self {
        Self::builder(HEADER_GITHUB_SIGNATURE_256)
            .prefix("sha256=")
            .scheme
    }

    /// The MAC of what `secret` signs, written into `out`; returns its length.
    fn mac_into(
        &self,
        secret: &Secret,
        body: &[u8],
        timestamp: &str,
        id: &str,
        out: &mut [u8; MAX_MAC_LEN],
    ) -> usize {
        let keyed = self.keys.keyed(self.algorithm, secret.expose_bytes());
        keyed.mac_into(self.content.resolve(body, timestamp, id), out)
    }

    /// The signature with `prefix`, and the text of the timestamp and id headers it covers.
    fn signature(&self, secret: &Secret, body: &[u8], timestamp: &str, id: &str) -> String {
        let mut mac = [0u8; MAX_MAC_LEN];
        let len = self.mac_into(secret, body, timestamp, id, &mut mac);
        format!("{}{}", self.prefix, self.encoding.encode(&mac[..len]))
    }

    /// True when `encoded` (the header after the prefix) is the encoding of a MAC one of
    /// `secrets` produced, compared in time independent of the MAC's contents.
    fn matches(
        &self,
        secrets: &[Secret],
        encoded: &str,
        body: &[u8],
        timestamp: &str,
        id: &str,
    ) -> bool {
        let mut claimed = [0u8; MAX_MAC_LEN];
        let mut expected = [0u8; MAX_MAC_LEN];
        match self.encoding {
            Encoding::Hex => {
                let len = match self.algorithm {
                    Algorithm::Sha256 => 32,
                    Algorithm::Sha512 => 64,
                };
                // Lowercase hex decodes one-to-one, so comparing the decoded bytes is
                // comparing the text; anything else is no MAC we could have produced.
                if decode_lower_hex(encoded.as_bytes(), &mut claimed[..len]).is_none() {
                    return false;
                }
                secrets.iter().any(|secret| {
                    let n = self.mac_into(secret, body, timestamp, id, &mut expected);
                    bool::from(expected[..n].ct_eq(&claimed[..len]))
                })
            }
            Encoding::Base64 => secrets.iter().any(|secret| {
                let n = self.mac_into(secret, body, timestamp, id, &mut expected);
                let text = self.encoding.encode(&expected[..n]);
                signatures_match(text.as_bytes(), encoded.as_bytes())
            }),
        }
    }

    /// The timestamp header's text, after checking it lies within the window.
    fn checked_timestamp<'h>(
        &self,
        headers: &'h HeaderMap,
        now: SystemTime,
    ) -> Result<&'h str, VerifyError> {
        let Some(TimestampHeader { name, unit }) = self.timestamp else {
            return Ok("");
        };
        let text = header_str(headers, name)?;
        let count = parse_digits(text).ok_or(VerifyError::MalformedHeader(name))?;
        let (tolerance, signed) = (self.tolerance, unit.since_epoch(count));
        if !tolerance.is_zero() && !within(unit.now(now), signed, tolerance, tolerance) {
            return Err(VerifyError::TimestampOutsideTolerance);
        }
        Ok(text)
    }

    fn id<'h>(&self, headers: &'h HeaderMap) -> Result<&'h str, VerifyError> {
        self.id_header
            .map_or(Ok(""), |name| header_str(headers, name))
    }
}

impl Scheme for HmacScheme {
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
        let candidate = header_str(headers, self.signature_header)?;
        if !candidate.starts_with(self.prefix.as_str()) {
            return Err(VerifyError::MalformedHeader(self.signature_header));
        }
        let timestamp = self.checked_timestamp(headers, now)?;
        let id = self.id(headers)?;
        let encoded = &candidate[self.prefix.len()..];
        let matched = self.matches(secrets, encoded, body, timestamp, id);
        matched.then_some(()).ok_or(VerifyError::NoSignatureMatched)
    }

    /// Signs with `input.id`, or a generated `msg_…` id, when the scheme signs an id.
    fn sign_at(&self, secret: &Secret, body: &[u8], input: SignInput<'_>) -> HeaderMap {
        let timestamp = self
            .timestamp
            .map(|t| t.unit.count(input.now))
            .unwrap_or_default();
        let id = match self.id_header {
            Some(_) => input.id.map_or_else(generate_message_id, str::to_owned),
            None => String::new(),
        };
        let mut headers = HeaderMap::new();
        let signature = self.signature(secret, body, &timestamp, &id);
        insert_header(&mut headers, self.signature_header, &signature);
        if let Some(TimestampHeader { name, .. }) = self.timestamp {
            insert_header(&mut headers, name, &timestamp);
        }
        if let Some(name) = self.id_header {
            insert_header(&mut headers, name, &id);
        }
        headers
    }

    /// The window, or `None` when the scheme reads no timestamp header.
    fn tolerance(&self) -> Option<Duration> {
        self.timestamp.map(|_| self.tolerance)
    }
}

/// Describes an [`HmacScheme`]; [`HmacSchemeBuilder::build`] checks the description.
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `.build()` is called"]
pub struct HmacSchemeBuilder {
    scheme: HmacScheme,
}

impl HmacSchemeBuilder {
    /// The hash under the HMAC (default SHA-256).
    pub fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.scheme.algorithm = algorithm;
        self
    }

    /// How the MAC is written (default lowercase hex).
    pub fn encoding(mut self, encoding: Encoding) -> Self {
        self.scheme.encoding = encoding;
        self
    }

    /// Text the header value starts with before the MAC, such as `sha256=` (default none).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.scheme.prefix = prefix.into();
        self
    }

    /// What the MAC covers (default the body alone).
    pub fn signed_content(mut self, content: SignedContent) -> Self {
        self.scheme.content = content;
        self
    }

    /// Reads the signing time from header `name`, a count of `unit`s since the Unix epoch.
    pub fn timestamp_header(mut self, name: &'static str, unit: TimestampUnit) -> Self {
        self.scheme.timestamp = Some(TimestampHeader { name, unit });
        self
    }

    /// Accepts timestamps up to `tolerance` away from now on either side (default 300 s);
    /// `Duration::ZERO` turns the time check off.
    pub fn tolerance(mut self, tolerance: Duration) -> Self {
        self.scheme.tolerance = tolerance;
        self
    }

    /// Reads the message id that `{id}` stands for from header `name`.
    pub fn id_header(mut self, name: &'static str) -> Self {
        self.scheme.id_header = Some(name);
        self
    }

    /// The scheme, once its header names are valid and every header it reads is signed.
    pub fn build(self) -> Result<HmacScheme, HmacConfigError> {
        use HmacConfigError::{
            IdHeaderMissing, IdNotSigned, TimestampHeaderMissing, TimestampNotSigned,
        };
        let scheme = self.scheme;
        let timestamp = scheme.timestamp.map(|t| t.name);
        let names = [Some(scheme.signature_header), timestamp, scheme.id_header];
        names
            .into_iter()
            .flatten()
            .try_for_each(check_header_name)?;
        let signs = |part| scheme.content.includes(&part);
        let has_timestamp = timestamp.is_some();
        check_signed(
            has_timestamp,
            signs(Part::Timestamp),
            TimestampNotSigned,
            TimestampHeaderMissing,
        )?;
        check_signed(
            scheme.id_header.is_some(),
            signs(Part::Id),
            IdNotSigned,
            IdHeaderMissing,
        )?;
        Ok(scheme)
    }
}

/// A header the scheme reads must be signed, and a signed placeholder needs its header.
fn check_signed(
    header_set: bool,
    signed: bool,
    unsigned: HmacConfigError,
    headerless: HmacConfigError,
) -> Result<(), HmacConfigError> {
    match (header_set, signed) {
        (true, false) => Err(unsigned),
        (false, true) => Err(headerless),
        _ => Ok(()),
    }
}

/// Accepts a name only if it is a valid header name already in lowercase.
fn check_header_name(name: &'static str) -> Result<(), HmacConfigError> {
    // `from_bytes` lowercases, so equality means the name was lowercase to begin with.
    let valid = HeaderName::from_bytes(name.as_bytes()).is_ok_and(|parsed| parsed.as_str() == name);
    valid
        .then_some(())
        .ok_or(HmacConfigError::InvalidHeaderName(name))
}
