//! Property tests: for every scheme, changing any byte of what was signed breaks verification.
//!
//! A delivery is signed, checked to verify, then one byte of the body, of a header the signer
//! produced (signature, timestamp, id) or of the secret is XORed with a non-zero mask.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use proptest::sample::Index;
use webhook_core::Secret;
use webhook_core::scheme::{
    BamotfScheme, HmacScheme, Scheme, SignInput, StandardWebhooksScheme, StripeScheme,
    TimestampUnit,
};

/// A custom scheme that signs every kind of part: id, timestamp, literals and body.
fn custom_scheme() -> HmacScheme {
    HmacScheme::builder("x-signature")
        .signed_content("{id}:{timestamp}:{body}".parse().unwrap())
        .timestamp_header("x-timestamp", TimestampUnit::Millis)
        .id_header("x-id")
        .build()
        .unwrap()
}

/// Every scheme, each with a secret it accepts made from the alphanumeric `key`.
fn schemes(key: &str) -> Vec<(Box<dyn Scheme>, Secret)> {
    let plain = || Secret::new(key).unwrap();
    let standard = Secret::new(format!("whsec_{}", BASE64.encode(key))).unwrap();
    vec![
        (Box::new(HmacScheme::modem_pay()), plain()),
        (Box::new(HmacScheme::github()), plain()),
        (Box::new(custom_scheme()), plain()),
        (Box::new(BamotfScheme::new()), plain()),
        (Box::new(StandardWebhooksScheme::new()), standard),
        (Box::new(StripeScheme::new()), plain()),
    ]
}

/// The signed delivery, asserting first that it verifies untouched.
fn signed(scheme: &dyn Scheme, secret: &Secret, body: &[u8], now: SystemTime) -> HeaderMap {
    let headers = scheme.sign_at(secret, body, SignInput { now, id: None });
    let untouched = scheme.verify_at(std::slice::from_ref(secret), &headers, body, now);
    assert_eq!(untouched, Ok(()), "{scheme:?}");
    headers
}

/// True when two Standard Webhooks secrets decode to the same HMAC key. HMAC pads a
/// key shorter than its block (64 bytes for SHA-256) with zero bytes, so keys that
/// differ only by trailing zeros are one key: flipping the `=` padding of the base64
/// into `A` appends a zero byte, and no verifier anywhere can tell.
fn same_hmac_key(secret: &[u8], other: &[u8]) -> bool {
    let decode = |secret: &[u8]| {
        let encoded = secret.strip_prefix(b"whsec_")?;
        BASE64.decode(encoded).ok()
    };
    let (Some(key), Some(other)) = (decode(secret), decode(other)) else {
        return false;
    };
    let unpadded = |key: &[u8]| {
        let end = key
            .iter()
            .rposition(|byte| *byte != 0)
            .map_or(0, |at| at + 1);
        key[..end].to_vec()
    };
    key.len() <= 64 && other.len() <= 64 && unpadded(&key) == unpadded(&other)
}

fn flip(bytes: &mut [u8], index: &Index, mask: u8) {
    let at = index.index(bytes.len());
    bytes[at] ^= mask;
}

/// The delivery with one byte of one header value flipped, or `None` when the flipped byte
/// cannot travel in a header at all (a control character).
fn flip_header(headers: &HeaderMap, which: &Index, index: &Index, mask: u8) -> Option<HeaderMap> {
    let names: Vec<_> = headers.keys().cloned().collect();
    let name = &names[which.index(names.len())];
    let mut value = headers[name].as_bytes().to_vec();
    flip(&mut value, index, mask);
    let mut flipped = headers.clone();
    flipped.insert(name, HeaderValue::from_bytes(&value).ok()?);
    Some(flipped)
}

fn instant() -> impl Strategy<Value = SystemTime> {
    (1_000_000_000_000u64..4_000_000_000_000).prop_map(|ms| UNIX_EPOCH + Duration::from_millis(ms))
}

proptest! {
    #[test]
    fn flipping_any_body_byte_fails_every_scheme(
        key in "[a-zA-Z0-9]{1,40}",
        body in prop::collection::vec(any::<u8>(), 1..256),
        now in instant(),
        index in any::<Index>(),
        mask in 1u8..,
    ) {
        for (scheme, secret) in schemes(&key) {
            let headers = signed(scheme.as_ref(), &secret, &body, now);
            let mut tampered = body.clone();
            flip(&mut tampered, &index, mask);
            let result = scheme.verify_at(&[secret], &headers, &tampered, now);
            prop_assert!(result.is_err(), "{scheme:?} accepted a changed body");
        }
    }

    /// Covers the signature, the timestamp (its own header or inside the signature header)
    /// and the id, whichever headers the scheme sends.
    #[test]
    fn flipping_any_signature_timestamp_or_id_byte_fails_every_scheme(
        key in "[a-zA-Z0-9]{1,40}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in instant(),
        which in any::<Index>(),
        index in any::<Index>(),
        mask in 1u8..,
    ) {
        for (scheme, secret) in schemes(&key) {
            let headers = signed(scheme.as_ref(), &secret, &body, now);
            let Some(tampered) = flip_header(&headers, &which, &index, mask) else { continue };
            let result = scheme.verify_at(&[secret], &tampered, &body, now);
            prop_assert!(result.is_err(), "{scheme:?} accepted {tampered:?}");
        }
    }

    #[test]
    fn flipping_any_secret_byte_fails_every_scheme(
        key in "[a-zA-Z0-9]{1,40}",
        body in prop::collection::vec(any::<u8>(), 0..64),
        now in instant(),
        index in any::<Index>(),
        mask in 1u8..,
    ) {
        for (scheme, secret) in schemes(&key) {
            let headers = signed(scheme.as_ref(), &secret, &body, now);
            let mut other = secret.expose_bytes().to_vec();
            flip(&mut other, &index, mask);
            if same_hmac_key(secret.expose_bytes(), &other) {
                continue;
            }
            let result = scheme.verify_at(&[Secret::new(other).unwrap()], &headers, &body, now);
            prop_assert!(result.is_err(), "{scheme:?} accepted another secret");
        }
    }
}

/// The one flip of a secret that must verify: it names the same HMAC key.
#[test]
fn a_standard_secret_whose_padding_became_a_zero_byte_is_the_same_key() {
    let secret = Secret::new(format!(
        "whsec_{}",
        BASE64.encode("aAAA000aaaA0AA0aa0aaAaAAaAaAa")
    ))
    .unwrap();
    let padded = secret.expose_bytes().to_vec();
    assert_eq!(padded.last(), Some(&b'='));
    let mut zero_byte = padded.clone();
    *zero_byte.last_mut().unwrap() = b'A';
    assert!(same_hmac_key(&padded, &zero_byte));

    let scheme = StandardWebhooksScheme::new();
    let now = UNIX_EPOCH + Duration::from_secs(1_000_000_000);
    let headers = signed(&scheme, &secret, b"{}", now);
    let other = Secret::new(zero_byte).unwrap();
    assert_eq!(scheme.verify_at(&[other], &headers, b"{}", now), Ok(()));
}
