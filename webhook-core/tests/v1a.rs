//! Standard Webhooks `v1a` (ed25519) through the public API: known answers, mixed `v1`/`v1a`
//! lists, the key formats and what their errors say, and `v1a` fakes.
//!
//! Where the vectors come from:
//!
//! - The reference libraries (standard-webhooks/standard-webhooks, `libraries/`): only the Go
//!   library tests `v1a`. `libraries/go/webhook_asymmetric_test.go`, `TestAsymmetricWebhookSign`,
//!   gives a seed, a message and the expected `v1a` signature; its `TestAsymmetricWebhook`
//!   gives the invalid entries and the second key used here. The JavaScript
//!   (`libraries/javascript/src/webhook.test.ts`), Python (`libraries/python/tests/test_webhooks.py`)
//!   and Rust (`libraries/rust/src/lib.rs`) libraries test `v1` only. The Go tests name no
//!   public key, so the `whpk_` keys were derived from their seeds independently:
//!   `python3 -c 'import base64; from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey as K; from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat; print(base64.b64encode(K.from_private_bytes(base64.b64decode(SEED)).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)).decode())'`
//!   (the `cryptography` package, OpenSSL's ed25519), which also reproduces Go's signature.
//! - The spec (`spec/standard-webhooks.md`, "Signature scheme") signs
//!   `{msg_id}.{timestamp}.{payload}` and shows a minified example message, but gives no key
//!   pair for its `v1a` example header. That example message is signed here with the key of
//!   RFC 8032 section 7.1, TEST 1, the signature computed with the same `cryptography` call
//!   (`K.from_private_bytes(seed).sign(message)`); the RFC's own TEST 1 public key checks the
//!   key derivation.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::json;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::StandardWebhooks;
use webhook_core::scheme::{
    MAX_V1A_SIGNATURES, Scheme, SignInput, StandardKey, StandardKeyError, StandardKeyKind,
    StandardWebhooksScheme, VerifyError,
};
use webhook_core::testing::{
    FakeDelivery, TEST_PUBLIC_KEY, TEST_SIGNING_KEY, test_public_key, test_secret, test_signing_key,
};
use webhook_core::{
    Ack, Context, DispatchError, Handler, Receiver, Rejection, Request, Secret, Verified,
};

// ---------------------------------------------------------------- vectors

// libraries/go/webhook_asymmetric_test.go, TestAsymmetricWebhookSign. The message is the same
// as the `v1` vectors' of the JavaScript and Python tests ("sign function works").
const REF_SEED: &str = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
const REF_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const REF_TIMESTAMP: u64 = 1_614_265_330;
const REF_BODY: &[u8] = br#"{"test": 2432232314}"#;
const REF_V1A: &str =
    "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";
// The public key of REF_SEED, derived with `cryptography` (see the top of this file).
const REF_PUBLIC: &str = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";
// libraries/javascript/src/webhook.test.ts and libraries/python/tests/test_webhooks.py,
// "sign function works" / test_sign_function: the `v1` signature of the same message.
const REF_WHSEC: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const REF_V1: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// libraries/go/webhook_asymmetric_test.go, defaultAsymmetricPrivate: another key, whose
// public key (derived with `cryptography`) must not accept REF_V1A.
const OTHER_PUBLIC: &str = "whpk_4rQZjjkCnn4m/ciYBaRPSZTA+Y/UwqgD6hgxOllF28g=";

// RFC 8032 section 7.1, TEST 1: the secret key (seed) and its public key, in base64.
// 9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
const RFC_SEED: &str = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=";
// d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
const RFC_PUBLIC: &str = "whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
// The same key in libsodium's 64-byte form: the seed, then the public key.
const RFC_KEYPAIR: &str =
    "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2DXWpgBgrEKt9VL/tPJZAc6DuFy89qmIyWvAhpo9wdRGg==";

// spec/standard-webhooks.md, "Signature scheme": the minified example, signed with RFC_SEED.
const SPEC_ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
const SPEC_TIMESTAMP: u64 = 1_674_087_231;
const SPEC_BODY: &[u8] = br#"{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485"}}"#;
const SPEC_V1A: &str =
    "v1a,pbpYBMlty2hExn4zt0UTGb6BaP2Vq5AfyzjB9GGV3x/wCJKd8UjOCf8Qhaji6TKY9C5eNMnlF0GG4udaO6B7Ag==";

fn secret(key: &str) -> Secret {
    Secret::new(key).unwrap()
}

fn at_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn delivery(id: &str, timestamp: u64, signature: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_str(id).unwrap());
    headers.insert("webhook-timestamp", HeaderValue::from(timestamp));
    headers.insert(
        "webhook-signature",
        HeaderValue::from_str(signature).unwrap(),
    );
    headers
}

fn reference(signature: &str) -> HeaderMap {
    delivery(REF_ID, REF_TIMESTAMP, signature)
}

/// Verifies a delivery of the reference message, as of its own timestamp.
fn verify_reference(keys: &[&str], signature: &str) -> Result<(), VerifyError> {
    let secrets: Vec<Secret> = keys.iter().map(|k| secret(k)).collect();
    StandardWebhooksScheme::new().verify_at(
        &secrets,
        &reference(signature),
        REF_BODY,
        at_secs(REF_TIMESTAMP),
    )
}

fn key_error(key: &str) -> StandardKeyError {
    StandardKey::for_verifying(&secret(key)).unwrap_err()
}

// ---------------------------------------------------------------- known answers

#[test]
fn v1a_signature_from_the_reference_vectors_verifies() {
    assert_eq!(verify_reference(&[REF_PUBLIC], REF_V1A), Ok(()));
    // The sender's own `whsk_` key verifies through its public key.
    assert_eq!(verify_reference(&[REF_SEED], REF_V1A), Ok(()));
}

#[test]
fn signing_with_the_reference_key_reproduces_the_reference_signature() {
    let input = SignInput {
        now: at_secs(REF_TIMESTAMP),
        id: Some(REF_ID),
    };
    let signed = StandardWebhooksScheme::new().sign_at(&secret(REF_SEED), REF_BODY, input);
    assert_eq!(signed, reference(REF_V1A));
}

#[test]
fn reference_seed_has_the_derived_public_key() {
    let key = StandardKey::for_signing(&secret(REF_SEED)).unwrap();
    assert_eq!(key.kind(), StandardKeyKind::Ed25519Secret);
    assert_eq!(key.public_key().as_deref(), Some(REF_PUBLIC));
}

#[test]
fn rfc_8032_test_1_seed_has_the_rfc_public_key_in_either_secret_key_form() {
    for form in [RFC_SEED, RFC_KEYPAIR] {
        let key = StandardKey::for_signing(&secret(form)).unwrap();
        assert_eq!(key.public_key().as_deref(), Some(RFC_PUBLIC), "{form}");
        // Written back, a key is the 32-byte seed.
        assert_eq!(key.to_secret(), secret(RFC_SEED));
    }
}

#[test]
fn spec_example_signed_with_the_rfc_8032_key_verifies_and_signs_the_same() {
    let headers = delivery(SPEC_ID, SPEC_TIMESTAMP, SPEC_V1A);
    let scheme = StandardWebhooksScheme::new();
    let now = at_secs(SPEC_TIMESTAMP);
    assert_eq!(
        scheme.verify_at(&[secret(RFC_PUBLIC)], &headers, SPEC_BODY, now),
        Ok(())
    );
    let input = SignInput {
        now,
        id: Some(SPEC_ID),
    };
    // ed25519 is deterministic: the same key and message give the same signature.
    for form in [RFC_SEED, RFC_KEYPAIR] {
        assert_eq!(scheme.sign_at(&secret(form), SPEC_BODY, input), headers);
    }
}

// ---------------------------------------------------------------- lists and rotation

#[test]
fn mixed_v1_and_v1a_list_accepts_either() {
    let both = format!("{REF_V1} {REF_V1A}");
    let reversed = format!("{REF_V1A} {REF_V1}");
    for list in [&both, &reversed] {
        assert_eq!(verify_reference(&[REF_WHSEC], list), Ok(()), "{list}");
        assert_eq!(verify_reference(&[REF_PUBLIC], list), Ok(()), "{list}");
        assert_eq!(verify_reference(&[REF_WHSEC, REF_PUBLIC], list), Ok(()));
    }
    // A wrong entry of one version does not spoil a right entry of the other.
    let bad_v1 = format!("v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {REF_V1A}");
    assert_eq!(verify_reference(&[REF_WHSEC, REF_PUBLIC], &bad_v1), Ok(()));
    let bad_v1a = format!("{} {REF_V1}", SPEC_V1A);
    assert_eq!(verify_reference(&[REF_WHSEC, REF_PUBLIC], &bad_v1a), Ok(()));
}

#[test]
fn any_of_several_v1a_keys_accepts_as_in_a_rotation() {
    assert_eq!(
        verify_reference(&[OTHER_PUBLIC, RFC_PUBLIC, REF_PUBLIC], REF_V1A),
        Ok(())
    );
    let rotation = format!("{SPEC_V1A} {REF_V1A}");
    assert_eq!(verify_reference(&[REF_PUBLIC], &rotation), Ok(()));
}

#[test]
fn reference_multi_signature_list_with_a_v1a_entry_is_valid() {
    // libraries/go/webhook_asymmetric_test.go, "valid multi sig is valid".
    let list = format!(
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {REF_V1A} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    );
    assert_eq!(verify_reference(&[REF_PUBLIC], &list), Ok(()));
}

#[test]
fn v1a_entry_does_not_match_a_whsec_secret_nor_v1_a_whpk_key() {
    assert_eq!(
        verify_reference(&[REF_WHSEC], REF_V1A),
        Err(VerifyError::NoSignatureMatched)
    );
    assert_eq!(
        verify_reference(&[REF_PUBLIC], REF_V1),
        Err(VerifyError::NoSignatureMatched)
    );
    // The signature under another version tag is not taken either.
    let as_v1 = REF_V1A.replacen("v1a,", "v1,", 1);
    let as_v2 = REF_V1A.replacen("v1a,", "v2a,", 1);
    for list in [as_v1, as_v2] {
        assert_eq!(
            verify_reference(&[REF_PUBLIC, REF_WHSEC], &list),
            Err(VerifyError::NoSignatureMatched)
        );
    }
}

#[test]
fn only_the_first_well_formed_v1a_entries_are_checked() {
    let decoy = SPEC_V1A;
    let list = |decoys: usize| {
        let mut entries = vec![decoy; decoys];
        entries.push("v1a,not-base64 v1a,");
        entries.push(REF_V1A);
        entries.join(" ")
    };
    // Malformed entries are skipped without counting.
    let within = list(MAX_V1A_SIGNATURES - 1);
    assert_eq!(verify_reference(&[REF_PUBLIC], &within), Ok(()));
    let beyond = list(MAX_V1A_SIGNATURES);
    assert_eq!(
        verify_reference(&[REF_PUBLIC], &beyond),
        Err(VerifyError::NoSignatureMatched)
    );
}

// ---------------------------------------------------------------- refusals

#[test]
fn tampered_v1a_body_is_refused() {
    let scheme = StandardWebhooksScheme::new();
    let tampered = br#"{"test": 2432232315}"#;
    let result = scheme.verify_at(
        &[secret(REF_PUBLIC)],
        &reference(REF_V1A),
        tampered,
        at_secs(REF_TIMESTAMP),
    );
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn tampered_v1a_id_or_timestamp_is_refused() {
    let scheme = StandardWebhooksScheme::new();
    let now = at_secs(REF_TIMESTAMP);
    for headers in [
        delivery("msg_p5jXN8AQM9LWM0D4loKWxJeK", REF_TIMESTAMP, REF_V1A),
        delivery(REF_ID, REF_TIMESTAMP + 1, REF_V1A),
    ] {
        let result = scheme.verify_at(&[secret(REF_PUBLIC)], &headers, REF_BODY, now);
        assert_eq!(result, Err(VerifyError::NoSignatureMatched));
    }
}

#[test]
fn v1a_signature_of_another_key_is_refused() {
    assert_eq!(
        verify_reference(&[OTHER_PUBLIC], REF_V1A),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn reference_invalid_and_partial_v1a_entries_are_refused() {
    // libraries/go/webhook_asymmetric_test.go, "invalid signature is invalid" and
    // "partial signature is invalid".
    for list in ["v1a,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v1a,"] {
        assert_eq!(
            verify_reference(&[REF_PUBLIC], list),
            Err(VerifyError::NoSignatureMatched),
            "{list}"
        );
    }
}

#[test]
fn unpadded_truncated_or_malleated_v1a_signatures_are_refused() {
    let unpadded = REF_V1A.trim_end_matches('=');
    let truncated = &REF_V1A[..REF_V1A.len() - 4];
    // S + L, where L is the order of the group: the same signature to a lax verifier,
    // refused by a strict one (RFC 8032 section 5.1.7 requires S < L).
    let malleated = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwMhbjZw0prMgVyxsr2LZADzYGb7KaaBRdM5WqyeFiL8Eg==";
    for list in [unpadded, truncated, malleated] {
        assert_eq!(
            verify_reference(&[REF_PUBLIC], list),
            Err(VerifyError::NoSignatureMatched),
            "{list}"
        );
    }
}

#[test]
fn v1a_timestamp_outside_tolerance_is_refused_before_the_signature() {
    let scheme = StandardWebhooksScheme::new();
    let key = [secret(REF_PUBLIC)];
    let at = |secs| scheme.verify_at(&key, &reference(REF_V1A), REF_BODY, at_secs(secs));
    assert_eq!(at(REF_TIMESTAMP + 300), Ok(()));
    assert_eq!(at(REF_TIMESTAMP - 300), Ok(()));
    assert_eq!(
        at(REF_TIMESTAMP + 301),
        Err(VerifyError::TimestampOutsideTolerance)
    );
    assert_eq!(
        at(REF_TIMESTAMP - 301),
        Err(VerifyError::TimestampOutsideTolerance)
    );
    let forged = scheme.verify_at(
        &key,
        &reference("v1a,"),
        REF_BODY,
        at_secs(REF_TIMESTAMP + 301),
    );
    assert_eq!(forged, Err(VerifyError::TimestampOutsideTolerance));
}

#[test]
fn v1a_delivery_missing_a_header_names_it() {
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut headers = reference(REF_V1A);
        headers.remove(name);
        let result = StandardWebhooksScheme::new().verify_at(
            &[secret(REF_PUBLIC)],
            &headers,
            REF_BODY,
            at_secs(REF_TIMESTAMP),
        );
        assert_eq!(result, Err(VerifyError::MissingHeader(name)));
    }
}

#[test]
fn unusable_key_among_the_secrets_is_invalid_secret() {
    for bad in ["whpk_AAAA", "whsk_not base64", "whpub_AAAA"] {
        assert_eq!(
            verify_reference(&[REF_PUBLIC, bad], REF_V1A),
            Err(VerifyError::InvalidSecret),
            "{bad}"
        );
    }
}

// ---------------------------------------------------------------- signing and keys

#[test]
fn whpk_key_cannot_sign() {
    let public = secret(REF_PUBLIC);
    let error = StandardKey::for_signing(&public).unwrap_err();
    assert_eq!(error, StandardKeyError::PublicKeyCannotSign);
    assert_eq!(
        error.to_string(),
        "a `whpk_` public key verifies `v1a` signatures but cannot make them: sign with the \
         `whsk_` secret key it belongs to"
    );
    let input = SignInput {
        now: at_secs(REF_TIMESTAMP),
        id: Some(REF_ID),
    };
    let headers = StandardWebhooksScheme::new().sign_at(&public, REF_BODY, input);
    assert!(headers.get("webhook-signature").is_none());
    assert!(headers.get("webhook-id").is_some());
}

#[test]
fn generated_keys_sign_what_their_public_keys_verify_and_differ_each_time() {
    let (first, second) = (StandardKey::generate(), StandardKey::generate());
    assert_ne!(first.to_secret(), second.to_secret());
    assert_eq!(first.kind(), StandardKeyKind::Ed25519Secret);
    let scheme = StandardWebhooksScheme::new();
    let now = at_secs(1_700_000_000);
    let input = SignInput {
        now,
        id: Some("msg_1"),
    };
    let headers = scheme.sign_at(&first.to_secret(), b"{}", input);
    let public = secret(&first.public_key().unwrap());
    assert_eq!(scheme.verify_at(&[public], &headers, b"{}", now), Ok(()));
    let other = secret(&second.public_key().unwrap());
    assert_eq!(
        scheme.verify_at(&[other], &headers, b"{}", now),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn key_kinds_follow_the_prefix() {
    let kind = |key: &str| StandardKey::for_verifying(&secret(key)).unwrap().kind();
    assert_eq!(kind(REF_WHSEC), StandardKeyKind::Symmetric);
    assert_eq!(
        kind("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
        StandardKeyKind::Symmetric
    );
    assert_eq!(kind(REF_SEED), StandardKeyKind::Ed25519Secret);
    assert_eq!(kind(REF_PUBLIC), StandardKeyKind::Ed25519Public);
    assert_eq!(StandardKeyKind::Ed25519Public.prefix(), "whpk_");
    assert_eq!(StandardKeyKind::Ed25519Secret.signature_version(), "v1a");
    assert_eq!(StandardKeyKind::Symmetric.signature_version(), "v1");
    let symmetric = StandardKey::for_verifying(&secret(REF_WHSEC)).unwrap();
    assert_eq!(symmetric.public_key(), None);
}

#[test]
fn whpk_key_of_wrong_length_says_so() {
    // 31 and 33 bytes.
    for (key, length) in [
        ("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248cw==", 31),
        ("whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/gA", 33),
    ] {
        let error = key_error(key);
        assert_eq!(
            error,
            StandardKeyError::Length {
                kind: StandardKeyKind::Ed25519Public,
                length
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the `whpk_` key is {length} bytes long, and an ed25519 public key is 32: write \
                 `whpk_` followed by the standard, padded base64 of the 32-byte ed25519 public key"
            )
        );
    }
}

#[test]
fn whsk_key_of_wrong_length_says_so() {
    let error = key_error("whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTg==");
    assert_eq!(
        error.to_string(),
        "the `whsk_` key is 31 bytes long, and an ed25519 secret key is 32 (the seed) or 64 (the \
         seed, then the public key): write `whsk_` followed by the standard, padded base64 of \
         the 32-byte ed25519 seed"
    );
}

#[test]
fn key_in_bad_base64_says_so_for_each_prefix() {
    let cases = [
        (
            "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g",
            "the `whpk_` key is not valid base64: write `whpk_` followed by the standard, padded \
             base64 of the 32-byte ed25519 public key",
        ),
        (
            "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk-",
            "the `whsk_` key is not valid base64: write `whsk_` followed by the standard, padded \
             base64 of the 32-byte ed25519 seed",
        ),
        (
            "whsec_not base64!",
            "the `whsec_` secret is not valid base64: write `whsec_` followed by the standard, \
             padded base64 of the secret, as the sender shows it",
        ),
    ];
    for (key, message) in cases {
        assert_eq!(key_error(key).to_string(), message, "{key}");
    }
}

#[test]
fn unknown_prefix_says_which_prefixes_exist() {
    for (key, prefix) in [
        (
            "whpub_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=",
            "whpub_",
        ),
        ("WHPK_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=", "WHPK_"),
        ("sk_live_abc", "sk_"),
    ] {
        let error = key_error(key);
        assert_eq!(
            error,
            StandardKeyError::UnknownPrefix {
                prefix: prefix.to_owned()
            }
        );
        assert_eq!(
            error.to_string(),
            format!(
                "the key starts with `{prefix}`, which is not a standard webhooks prefix: write \
                 `whsec_` for a shared secret, `whsk_` for an ed25519 secret key or `whpk_` for \
                 an ed25519 public key, followed by standard, padded base64"
            )
        );
    }
}

#[test]
fn whsec_secret_that_decodes_to_nothing_says_so() {
    assert_eq!(
        key_error("whsec_").to_string(),
        "the `whsec_` secret decodes to no bytes: write `whsec_` followed by the standard, \
         padded base64 of the secret, as the sender shows it"
    );
}

#[test]
fn whpk_key_off_the_curve_or_of_small_order_is_refused() {
    // y = 2 has no x on the curve; y = 1 is the identity, a point of small order.
    for key in [
        "whpk_AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "whpk_AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ] {
        let error = key_error(key);
        assert_eq!(error, StandardKeyError::InvalidPublicKey, "{key}");
        assert!(
            error
                .to_string()
                .starts_with("the `whpk_` key is not a usable ed25519 public key")
        );
    }
}

#[test]
fn whsk_key_pair_whose_halves_disagree_is_refused() {
    // RFC 8032 TEST 1's seed followed by the reference key's public key.
    let mismatched = "whsk_nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2BmU3h6Dt1JKqLSahf2FBSTeius6i4rdBVBKUlrbjxz+A==";
    let error = key_error(mismatched);
    assert_eq!(error, StandardKeyError::MismatchedKeyPair);
    assert!(error.to_string().contains("write `whsk_` followed by"));
}

#[test]
fn key_errors_are_lowercase_say_what_to_write_and_never_show_the_key() {
    let keys = [
        "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248cw==",
        "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTg==",
        "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g",
        "whpub_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=",
        "whpk_AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "whsec_",
    ];
    for key in keys {
        let message = key_error(key).to_string();
        assert!(message.starts_with(char::is_lowercase), "{message}");
        assert!(message.contains(": write "), "{message}");
        assert!(message.contains('`'), "{message}");
        let body = key.split_once('_').unwrap().1;
        assert!(body.is_empty() || !message.contains(body), "{message}");
        assert!(!format!("{:?}", key_error(key)).contains(body) || body.is_empty());
    }
}

#[test]
fn standard_key_debug_shows_only_the_kind() {
    let key = StandardKey::for_signing(&secret(REF_SEED)).unwrap();
    assert_eq!(format!("{key:?}"), "StandardKey(whsk_..)");
    let public = StandardKey::for_verifying(&secret(REF_PUBLIC)).unwrap();
    assert_eq!(format!("{public:?}"), "StandardKey(whpk_..)");
}

// ---------------------------------------------------------------- fakes

struct Users;

impl Handler for Users {
    type Provider = StandardWebhooks;
    const EVENTS: &'static [&'static str] = &["user.created"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        (event_type == "user.created").then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        _: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async { Ok(()) })
    }
}

fn fake() -> FakeDelivery<serde_json::Value> {
    FakeDelivery::new(
        StandardWebhooks::new(),
        "user.created",
        json!({"id": "u_1"}),
    )
}

fn check(parts: (HeaderMap, Bytes), key: Secret) -> Result<Verified, Rejection> {
    let request = Request::new(parts.0, parts.1);
    Verified::check(&StandardWebhooks::new(), &[key], request, SystemTime::now())
}

#[test]
fn v1a_fake_carries_an_ed25519_signature_the_public_key_accepts() {
    let (headers, body) = fake().v1a().to_parts();
    let list = headers["webhook-signature"].to_str().unwrap();
    assert!(list.starts_with("v1a,") && !list.contains(' '), "{list}");
    assert!(check((headers.clone(), body.clone()), test_public_key()).is_ok());
    // The `whsec_` test secret has no say over a `v1a` signature.
    assert!(check((headers, body), test_secret()).is_err());
    let derived = StandardKey::for_signing(&test_signing_key()).unwrap();
    assert_eq!(derived.public_key().as_deref(), Some(TEST_PUBLIC_KEY));
    assert!(TEST_SIGNING_KEY.starts_with("whsk_"));
}

#[test]
fn v1a_fakes_fail_as_their_v1_counterparts_do() {
    for fake in [
        fake().v1a().tampered(),
        fake().v1a().wrong_secret(),
        fake().v1a().expired(),
        fake().v1a().unsigned(),
    ] {
        let parts = fake.to_parts();
        let signature = parts.0.get("webhook-signature").cloned();
        assert!(
            signature
                .as_ref()
                .is_none_or(|s| s.to_str().unwrap().starts_with("v1a,")),
            "{signature:?}"
        );
        assert!(matches!(
            check(parts, test_public_key()),
            Err(Rejection::Signature(_))
        ));
    }
}

#[tokio::test]
async fn v1a_fake_runs_into_a_handler_and_a_receiver_with_the_public_key_accepts_it() {
    assert_eq!(fake().v1a().run(&Users).await, Ok(()));
    let receiver = Receiver::builder(Users).secret(test_public_key()).build();
    let answer = fake().v1a().send(&receiver).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let refused = fake().v1a().wrong_secret().send(&receiver).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
}
