//! Known answers and one test per failure reason for every signature scheme, through the public API.
//!
//! Vectors other than GitHub's documented one were computed independently with Python's
//! `hmac` module; each test gives the one-liner.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderMap, HeaderValue};
use webhook_core::Secret;
use webhook_core::scheme::{
    Algorithm, BamotfScheme, Encoding, HmacConfigError, HmacScheme, Scheme, SignInput,
    SignedContent, StandardWebhooksScheme, StripeScheme, TimestampUnit, VerifyError,
};

fn secret(key: &str) -> Secret {
    Secret::new(key).unwrap()
}

fn at_secs(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn at_millis(millis: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(millis)
}

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

fn with_header(mut map: HeaderMap, name: &'static str, value: &str) -> HeaderMap {
    map.insert(name, HeaderValue::from_str(value).unwrap());
    map
}

fn sign(scheme: &dyn Scheme, key: &Secret, body: &[u8], now: SystemTime) -> HeaderMap {
    scheme.sign_at(key, body, SignInput { now, id: None })
}

/// The same JSON, parsed and written back by `serde_json`: compact, keys reordered.
fn reserialized(body: &[u8]) -> Vec<u8> {
    let value: serde_json::Value = serde_json::from_slice(body).unwrap();
    let out = serde_json::to_vec(&value).unwrap();
    assert_ne!(out, body, "the test body must change when re-serialized");
    out
}

const PRETTY_BODY: &[u8] = b"{\n  \"type\": \"charge.succeeded\",\n  \"id\": \"evt_1\"\n}";

// ---------------------------------------------------------------- GitHub

const GITHUB_SECRET: &str = "It's a Secret to Everybody";
const GITHUB_SIGNATURE: &str =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

#[test]
fn github_matches_documented_test_vector() {
    let scheme = HmacScheme::github();
    let delivery = headers(&[("x-hub-signature-256", GITHUB_SIGNATURE)]);
    let signed = sign(
        &scheme,
        &secret(GITHUB_SECRET),
        b"Hello, World!",
        at_secs(0),
    );
    assert_eq!(signed["x-hub-signature-256"], GITHUB_SIGNATURE);
    let verified = scheme.verify_at(
        &[secret(GITHUB_SECRET)],
        &delivery,
        b"Hello, World!",
        at_secs(0),
    );
    assert_eq!(verified, Ok(()));
}

#[test]
fn github_rejects_uppercase_hex() {
    let upper = format!(
        "sha256={}",
        GITHUB_SIGNATURE["sha256=".len()..].to_uppercase()
    );
    let delivery = headers(&[("x-hub-signature-256", &upper)]);
    let result = HmacScheme::github().verify_at(
        &[secret(GITHUB_SECRET)],
        &delivery,
        b"Hello, World!",
        at_secs(0),
    );
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn github_reports_missing_signature_header() {
    let result = HmacScheme::github().verify_at(
        &[secret(GITHUB_SECRET)],
        &HeaderMap::new(),
        b"x",
        at_secs(0),
    );
    assert_eq!(
        result,
        Err(VerifyError::MissingHeader("x-hub-signature-256"))
    );
}

#[test]
fn github_reports_value_without_sha256_prefix_as_malformed() {
    let bare = &GITHUB_SIGNATURE["sha256=".len()..];
    for value in [bare, "SHA256=757107ea", "sha1=abc"] {
        let delivery = headers(&[("x-hub-signature-256", value)]);
        let result = HmacScheme::github().verify_at(
            &[secret(GITHUB_SECRET)],
            &delivery,
            b"Hello, World!",
            at_secs(0),
        );
        assert_eq!(
            result,
            Err(VerifyError::MalformedHeader("x-hub-signature-256")),
            "{value}"
        );
    }
}

#[test]
fn github_reports_non_utf8_header_as_malformed() {
    let mut delivery = HeaderMap::new();
    delivery.insert(
        "x-hub-signature-256",
        HeaderValue::from_bytes(b"sha256=\xff\xfe").unwrap(),
    );
    let result =
        HmacScheme::github().verify_at(&[secret(GITHUB_SECRET)], &delivery, b"x", at_secs(0));
    assert_eq!(
        result,
        Err(VerifyError::MalformedHeader("x-hub-signature-256"))
    );
}

#[test]
fn github_accepts_second_of_several_secrets() {
    let delivery = headers(&[("x-hub-signature-256", GITHUB_SIGNATURE)]);
    let secrets = [secret("old secret"), secret(GITHUB_SECRET)];
    let result = HmacScheme::github().verify_at(&secrets, &delivery, b"Hello, World!", at_secs(0));
    assert_eq!(result, Ok(()));
}

#[test]
fn github_rejects_wrong_secret() {
    let delivery = headers(&[("x-hub-signature-256", GITHUB_SIGNATURE)]);
    let result = HmacScheme::github().verify_at(
        &[secret("not it")],
        &delivery,
        b"Hello, World!",
        at_secs(0),
    );
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn github_rejects_body_reserialized_by_serde_json() {
    let (scheme, key) = (HmacScheme::github(), secret(GITHUB_SECRET));
    let delivery = sign(&scheme, &key, PRETTY_BODY, at_secs(0));
    let result = scheme.verify_at(&[key], &delivery, &reserialized(PRETTY_BODY), at_secs(0));
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn github_signs_no_time_so_has_no_tolerance() {
    assert_eq!(HmacScheme::github().tolerance(), None);
    assert_eq!(HmacScheme::modem_pay().tolerance(), None);
}

#[test]
fn every_scheme_reports_no_secret_when_none_configured() {
    let schemes: [Box<dyn Scheme>; 5] = [
        Box::new(HmacScheme::github()),
        Box::new(HmacScheme::modem_pay()),
        Box::new(BamotfScheme::new()),
        Box::new(StandardWebhooksScheme::new()),
        Box::new(StripeScheme::new()),
    ];
    for scheme in schemes {
        let delivery = sign(
            scheme.as_ref(),
            &secret("whsec_c2VjcmV0"),
            b"{}",
            at_secs(1),
        );
        assert_eq!(
            scheme.verify_at(&[], &delivery, b"{}", at_secs(1)),
            Err(VerifyError::NoSecret)
        );
    }
}

// ---------------------------------------------------------------- Modem Pay

const MODEM_SECRET: &str = "modem_test_secret";
const MODEM_BODY: &[u8] = br#"{"event":"charge.succeeded","payload":{"id":"ch_1"}}"#;
// python3 -c 'import hmac,hashlib; print(hmac.new(b"modem_test_secret", b"{\"event\":\"charge.succeeded\",\"payload\":{\"id\":\"ch_1\"}}", hashlib.sha512).hexdigest())'
const MODEM_SIGNATURE: &str = "8c50c0584a0d8979a8d56ef94c2ffc739d08512b8103a10f2f3145de509ff623b9ccf842fc7e350e798f06fb508fb5f1f8bffea551d099abdfae10f6059da11f";

#[test]
fn modem_pay_matches_independent_sha512_vector() {
    let scheme = HmacScheme::modem_pay();
    let signed = sign(&scheme, &secret(MODEM_SECRET), MODEM_BODY, at_secs(0));
    assert_eq!(signed["x-modem-signature"], MODEM_SIGNATURE);
    let delivery = headers(&[("x-modem-signature", MODEM_SIGNATURE)]);
    assert_eq!(
        scheme.verify_at(&[secret(MODEM_SECRET)], &delivery, MODEM_BODY, at_secs(0)),
        Ok(())
    );
}

#[test]
fn modem_pay_rejects_uppercase_hex() {
    let delivery = headers(&[("x-modem-signature", &MODEM_SIGNATURE.to_uppercase())]);
    let result = HmacScheme::modem_pay().verify_at(
        &[secret(MODEM_SECRET)],
        &delivery,
        MODEM_BODY,
        at_secs(0),
    );
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn modem_pay_reports_missing_signature_header() {
    let result = HmacScheme::modem_pay().verify_at(
        &[secret(MODEM_SECRET)],
        &HeaderMap::new(),
        MODEM_BODY,
        at_secs(0),
    );
    assert_eq!(result, Err(VerifyError::MissingHeader("x-modem-signature")));
}

#[test]
fn modem_pay_accepts_second_of_several_secrets() {
    let delivery = headers(&[("x-modem-signature", MODEM_SIGNATURE)]);
    let secrets = [secret("retired"), secret(MODEM_SECRET)];
    assert_eq!(
        HmacScheme::modem_pay().verify_at(&secrets, &delivery, MODEM_BODY, at_secs(0)),
        Ok(())
    );
}

#[test]
fn modem_pay_sign_then_verify_round_trips() {
    let (scheme, key) = (HmacScheme::modem_pay(), secret("any string at all"));
    let delivery = sign(&scheme, &key, b"{\"event\":\"x\"}", at_secs(5));
    assert_eq!(
        scheme.verify_at(&[key], &delivery, b"{\"event\":\"x\"}", at_secs(999_999)),
        Ok(())
    );
}

#[test]
fn modem_pay_rejects_body_reserialized_by_serde_json() {
    let (scheme, key) = (HmacScheme::modem_pay(), secret(MODEM_SECRET));
    let delivery = sign(&scheme, &key, PRETTY_BODY, at_secs(0));
    let result = scheme.verify_at(&[key], &delivery, &reserialized(PRETTY_BODY), at_secs(0));
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

// ---------------------------------------------------------------- custom HmacScheme

/// Base64 HMAC-SHA512 over `id:timestamp:body`, with the timestamp in milliseconds.
fn custom_scheme() -> HmacScheme {
    HmacScheme::builder("x-sig")
        .algorithm(Algorithm::Sha512)
        .encoding(Encoding::Base64)
        .prefix("v1=")
        .signed_content("{id}:{timestamp}:{body}".parse().unwrap())
        .timestamp_header("x-ts", TimestampUnit::Millis)
        .tolerance(Duration::from_secs(60))
        .id_header("x-id")
        .build()
        .unwrap()
}

// python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(b"custom_secret", b"evt_9:1700000000000:{}", hashlib.sha512).digest()).decode())'
const CUSTOM_SIGNATURE: &str =
    "E6t8bgBovDokf7HUV71aFb5tdKfHQJRMe8tDQpsayDPfqW58DIm9Ce+8PMFwb5A0NMKRyIitTenxkLdsRY5GAQ==";

#[test]
fn custom_scheme_matches_independent_vector_with_literal_separators() {
    let delivery = headers(&[
        ("x-sig", &format!("v1={CUSTOM_SIGNATURE}")),
        ("x-ts", "1700000000000"),
        ("x-id", "evt_9"),
    ]);
    let now = at_millis(1_700_000_000_000);
    assert_eq!(
        custom_scheme().verify_at(&[secret("custom_secret")], &delivery, b"{}", now),
        Ok(())
    );
    let signed = custom_scheme().sign_at(
        &secret("custom_secret"),
        b"{}",
        SignInput {
            now,
            id: Some("evt_9"),
        },
    );
    assert_eq!(signed, delivery);
}

#[test]
fn custom_scheme_tolerance_is_symmetric_and_inclusive() {
    let (scheme, key) = (custom_scheme(), secret("k"));
    let delivery = sign(&scheme, &key, b"{}", at_millis(1_000_000));
    for (now, ok) in [
        (940_000, true),
        (1_060_000, true),
        (939_999, false),
        (1_060_001, false),
    ] {
        let result = scheme.verify_at(std::slice::from_ref(&key), &delivery, b"{}", at_millis(now));
        let expected = if ok {
            Ok(())
        } else {
            Err(VerifyError::TimestampOutsideTolerance)
        };
        assert_eq!(result, expected, "now = {now} ms");
    }
    assert_eq!(scheme.tolerance(), Some(Duration::from_secs(60)));
}

#[test]
fn custom_scheme_reports_missing_timestamp_and_id_headers() {
    let (scheme, key) = (custom_scheme(), secret("k"));
    let delivery = sign(&scheme, &key, b"{}", at_millis(1_000));
    for name in ["x-ts", "x-id"] {
        let mut partial = delivery.clone();
        partial.remove(name);
        let result = scheme.verify_at(
            std::slice::from_ref(&key),
            &partial,
            b"{}",
            at_millis(1_000),
        );
        assert_eq!(result, Err(VerifyError::MissingHeader(name)));
    }
}

#[test]
fn custom_scheme_reports_non_numeric_timestamp_as_malformed() {
    let (scheme, key) = (custom_scheme(), secret("k"));
    let delivery = with_header(
        sign(&scheme, &key, b"{}", at_millis(1_000)),
        "x-ts",
        "1000ms",
    );
    let result = scheme.verify_at(&[key], &delivery, b"{}", at_millis(1_000));
    assert_eq!(result, Err(VerifyError::MalformedHeader("x-ts")));
}

#[test]
fn custom_scheme_signs_body_then_timestamp_without_separator() {
    let scheme = HmacScheme::builder("x-signature")
        .signed_content(SignedContent::parse("{body}{timestamp}").unwrap())
        .timestamp_header("x-timestamp", TimestampUnit::Seconds)
        .build()
        .unwrap();
    // python3 -c 'import hmac,hashlib; print(hmac.new(b"k", b"{}1700000000", hashlib.sha256).hexdigest())'
    let delivery = headers(&[
        (
            "x-signature",
            "d07ff774ed595d7656738285e82d8cf26091294caf1f4487e8c58a0cee3fc7b3",
        ),
        ("x-timestamp", "1700000000"),
    ]);
    let signed = sign(&scheme, &secret("k"), b"{}", at_secs(1_700_000_000));
    assert_eq!(signed, delivery);
}

#[test]
fn custom_scheme_tolerance_zero_disables_time_check() {
    let scheme = HmacScheme::builder("x-signature")
        .signed_content("{timestamp}.{body}".parse().unwrap())
        .timestamp_header("x-timestamp", TimestampUnit::Seconds)
        .tolerance(Duration::ZERO)
        .build()
        .unwrap();
    let key = secret("k");
    let delivery = sign(&scheme, &key, b"{}", at_secs(1));
    assert_eq!(
        scheme.verify_at(&[key], &delivery, b"{}", at_secs(2_000_000_000)),
        Ok(())
    );
}

#[test]
fn signed_content_rejects_unknown_placeholder_naming_it() {
    let error = SignedContent::parse("{timestamp}.{payload}").unwrap_err();
    assert_eq!(
        error,
        HmacConfigError::UnknownPlaceholder("payload".to_owned())
    );
    assert!(error.to_string().contains("`{payload}`"), "{error}");
}

#[test]
fn signed_content_rejects_unclosed_placeholder_and_missing_body() {
    assert_eq!(
        SignedContent::parse("{timestamp.{body}"),
        Err(HmacConfigError::UnknownPlaceholder(
            "timestamp.{body".to_owned()
        ))
    );
    assert_eq!(
        SignedContent::parse("{body}.{id"),
        Err(HmacConfigError::UnclosedPlaceholder)
    );
    assert_eq!(
        SignedContent::parse("{timestamp}."),
        Err(HmacConfigError::MissingBody)
    );
}

#[test]
fn builder_rejects_headers_that_are_not_signed_or_placeholders_without_headers() {
    let timestamped: SignedContent = "{timestamp}.{body}".parse().unwrap();
    let with_id: SignedContent = "{id}.{body}".parse().unwrap();
    let cases = [
        (
            HmacScheme::builder("x-s").signed_content(timestamped),
            HmacConfigError::TimestampHeaderMissing,
        ),
        (
            HmacScheme::builder("x-s").timestamp_header("x-t", TimestampUnit::Seconds),
            HmacConfigError::TimestampNotSigned,
        ),
        (
            HmacScheme::builder("x-s").signed_content(with_id),
            HmacConfigError::IdHeaderMissing,
        ),
        (
            HmacScheme::builder("x-s").id_header("x-id"),
            HmacConfigError::IdNotSigned,
        ),
    ];
    for (builder, error) in cases {
        assert_eq!(builder.build(), Err(error));
    }
}

#[test]
fn builder_rejects_uppercase_or_invalid_header_names() {
    for name in ["X-Signature", "x signature", ""] {
        let result = HmacScheme::builder(name).build();
        assert_eq!(result, Err(HmacConfigError::InvalidHeaderName(name)));
    }
}

// ---------------------------------------------------------------- bamotf

const BAMOTF_SECRET: &str = "bamotf_secret";
const BAMOTF_BODY: &[u8] = br#"{"event":"payment_intent.succeeded"}"#;
const BAMOTF_MILLIS: u64 = 1_700_000_000_000;
// python3 -c 'import hmac,hashlib; print(hmac.new(b"bamotf_secret", b"{\"event\":\"payment_intent.succeeded\"}1700000000000", hashlib.sha256).hexdigest())'
const BAMOTF_DIGEST: &str = "f6ba1ab17b1f45a56d40948ab95aa28781808b0e3fdaded0f0ea8cd64b103772";

fn bamotf_header(value: &str) -> HeaderMap {
    headers(&[("x-webhook-signature", value)])
}

fn bamotf_verify(delivery: &HeaderMap, now_millis: u64) -> Result<(), VerifyError> {
    BamotfScheme::new().verify_at(
        &[secret(BAMOTF_SECRET)],
        delivery,
        BAMOTF_BODY,
        at_millis(now_millis),
    )
}

#[test]
fn bamotf_matches_independent_vector() {
    let value = format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}");
    assert_eq!(bamotf_verify(&bamotf_header(&value), BAMOTF_MILLIS), Ok(()));
    let signed = sign(
        &BamotfScheme::new(),
        &secret(BAMOTF_SECRET),
        BAMOTF_BODY,
        at_millis(BAMOTF_MILLIS),
    );
    assert_eq!(signed["x-webhook-signature"], value.as_str());
}

#[test]
fn bamotf_signs_over_re_stringified_timestamp() {
    // python3 -c 'import hmac,hashlib; print(hmac.new(b"bamotf_secret", b"{}42", hashlib.sha256).hexdigest())'
    let delivery =
        bamotf_header("v=0042,d=a69e631c44c9c2ff7ce51ec8da23f1f721679b15cdc843e79b9183bed952b64a");
    let scheme = BamotfScheme::new();
    assert_eq!(
        scheme.verify_at(&[secret(BAMOTF_SECRET)], &delivery, b"{}", at_millis(42)),
        Ok(())
    );
}

#[test]
fn bamotf_accepts_exactly_300_000_ms_either_side() {
    let delivery = bamotf_header(&format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}"));
    assert_eq!(bamotf_verify(&delivery, BAMOTF_MILLIS + 300_000), Ok(()));
    assert_eq!(bamotf_verify(&delivery, BAMOTF_MILLIS - 300_000), Ok(()));
}

#[test]
fn bamotf_rejects_one_ms_beyond_tolerance_past_and_future() {
    let delivery = bamotf_header(&format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}"));
    let outside = Err(VerifyError::TimestampOutsideTolerance);
    assert_eq!(bamotf_verify(&delivery, BAMOTF_MILLIS + 300_001), outside);
    assert_eq!(bamotf_verify(&delivery, BAMOTF_MILLIS - 300_001), outside);
}

#[test]
fn bamotf_rejects_timestamp_in_seconds() {
    let delivery = bamotf_header(&format!("v={},d={BAMOTF_DIGEST}", BAMOTF_MILLIS / 1000));
    assert_eq!(
        bamotf_verify(&delivery, BAMOTF_MILLIS),
        Err(VerifyError::TimestampOutsideTolerance)
    );
}

#[test]
fn bamotf_checks_time_before_signature() {
    let delivery = bamotf_header(&format!("v={BAMOTF_MILLIS},d={}", "0".repeat(64)));
    assert_eq!(
        bamotf_verify(&delivery, BAMOTF_MILLIS + 300_001),
        Err(VerifyError::TimestampOutsideTolerance)
    );
}

#[test]
fn bamotf_tolerance_zero_disables_time_check() {
    let delivery = bamotf_header(&format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}"));
    let scheme = BamotfScheme::new().tolerance(Duration::ZERO);
    assert_eq!(
        scheme.verify_at(
            &[secret(BAMOTF_SECRET)],
            &delivery,
            BAMOTF_BODY,
            at_millis(0)
        ),
        Ok(())
    );
    assert_eq!(
        Scheme::tolerance(&BamotfScheme::new()),
        Some(Duration::from_millis(300_000))
    );
}

#[test]
fn bamotf_reports_junk_around_the_value_as_malformed() {
    let good = format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}");
    let junk = [
        format!("x{good}"),
        format!("{good} "),
        format!("{good},v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}"),
        format!("v=,d={BAMOTF_DIGEST}"),
        format!("v=+{BAMOTF_MILLIS},d={BAMOTF_DIGEST}"),
        format!("v={BAMOTF_MILLIS},d="),
        format!("v={BAMOTF_MILLIS};d={BAMOTF_DIGEST}"),
        "v=99999999999999999999999,d=ab".to_owned(),
    ];
    for value in &junk {
        let result = bamotf_verify(&bamotf_header(value), BAMOTF_MILLIS);
        assert_eq!(
            result,
            Err(VerifyError::MalformedHeader("x-webhook-signature")),
            "{value}"
        );
    }
}

#[test]
fn bamotf_reports_missing_header() {
    assert_eq!(
        bamotf_verify(&HeaderMap::new(), BAMOTF_MILLIS),
        Err(VerifyError::MissingHeader("x-webhook-signature"))
    );
}

#[test]
fn bamotf_rejects_uppercase_hex() {
    let delivery = bamotf_header(&format!(
        "v={BAMOTF_MILLIS},d={}",
        BAMOTF_DIGEST.to_uppercase()
    ));
    assert_eq!(
        bamotf_verify(&delivery, BAMOTF_MILLIS),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn bamotf_accepts_second_of_several_secrets() {
    let delivery = bamotf_header(&format!("v={BAMOTF_MILLIS},d={BAMOTF_DIGEST}"));
    let secrets = [secret("previous"), secret(BAMOTF_SECRET)];
    let result =
        BamotfScheme::new().verify_at(&secrets, &delivery, BAMOTF_BODY, at_millis(BAMOTF_MILLIS));
    assert_eq!(result, Ok(()));
}

#[test]
fn bamotf_sign_then_verify_round_trips() {
    let (scheme, key) = (BamotfScheme::new(), secret("Ab3dEf9hIj"));
    let now = at_millis(1_234_567_890_123);
    let delivery = sign(&scheme, &key, b"{\"x\":1}", now);
    assert_eq!(
        scheme.verify_at(&[key], &delivery, b"{\"x\":1}", now),
        Ok(())
    );
}

#[test]
fn bamotf_rejects_body_reserialized_by_serde_json() {
    let (scheme, key) = (BamotfScheme::new(), secret(BAMOTF_SECRET));
    let delivery = sign(&scheme, &key, PRETTY_BODY, at_secs(10));
    let result = scheme.verify_at(&[key], &delivery, &reserialized(PRETTY_BODY), at_secs(10));
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

// ---------------------------------------------------------------- Standard Webhooks

// The example from the Standard Webhooks / Svix documentation.
const STANDARD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STANDARD_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const STANDARD_TIMESTAMP: u64 = 1_614_265_330;
const STANDARD_BODY: &[u8] = br#"{"test": 2432232314}"#;
// python3 -c 'import hmac,hashlib,base64; print(base64.b64encode(hmac.new(base64.b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"), b"msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{\"test\": 2432232314}", hashlib.sha256).digest()).decode())'
const STANDARD_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn standard_delivery(signature: &str) -> HeaderMap {
    headers(&[
        ("webhook-id", STANDARD_ID),
        ("webhook-timestamp", "1614265330"),
        ("webhook-signature", signature),
    ])
}

fn standard_verify(delivery: &HeaderMap, now_secs: u64) -> Result<(), VerifyError> {
    StandardWebhooksScheme::new().verify_at(
        &[secret(STANDARD_SECRET)],
        delivery,
        STANDARD_BODY,
        at_secs(now_secs),
    )
}

#[test]
fn standard_matches_documented_test_vector() {
    assert_eq!(
        standard_verify(&standard_delivery(STANDARD_SIGNATURE), STANDARD_TIMESTAMP),
        Ok(())
    );
    let input = SignInput {
        now: at_secs(STANDARD_TIMESTAMP),
        id: Some(STANDARD_ID),
    };
    let signed =
        StandardWebhooksScheme::new().sign_at(&secret(STANDARD_SECRET), STANDARD_BODY, input);
    assert_eq!(signed, standard_delivery(STANDARD_SIGNATURE));
}

#[test]
fn standard_accepts_any_of_several_v1_signatures() {
    let list = format!("v1,bm90IHRoaXMgb25l v1a,ed25519sig== {STANDARD_SIGNATURE} v1,YWxzbyBub3Q=");
    assert_eq!(
        standard_verify(&standard_delivery(&list), STANDARD_TIMESTAMP),
        Ok(())
    );
}

#[test]
fn standard_skips_entries_of_other_versions() {
    let other_version = STANDARD_SIGNATURE.replacen("v1,", "v2,", 1);
    let result = standard_verify(&standard_delivery(&other_version), STANDARD_TIMESTAMP);
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn standard_rejects_unpadded_base64() {
    let unpadded = STANDARD_SIGNATURE.trim_end_matches('=');
    let result = standard_verify(&standard_delivery(unpadded), STANDARD_TIMESTAMP);
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

#[test]
fn standard_reports_each_missing_header() {
    for name in ["webhook-id", "webhook-timestamp", "webhook-signature"] {
        let mut delivery = standard_delivery(STANDARD_SIGNATURE);
        delivery.remove(name);
        let result = standard_verify(&delivery, STANDARD_TIMESTAMP);
        assert_eq!(result, Err(VerifyError::MissingHeader(name)));
    }
}

#[test]
fn standard_reports_non_numeric_timestamp_as_malformed() {
    for value in ["1614265330abc", "-1", "", "1.5"] {
        let delivery = with_header(
            standard_delivery(STANDARD_SIGNATURE),
            "webhook-timestamp",
            value,
        );
        let result = standard_verify(&delivery, STANDARD_TIMESTAMP);
        assert_eq!(
            result,
            Err(VerifyError::MalformedHeader("webhook-timestamp")),
            "{value:?}"
        );
    }
}

#[test]
fn standard_accepts_exactly_300_s_either_side() {
    let delivery = standard_delivery(STANDARD_SIGNATURE);
    assert_eq!(standard_verify(&delivery, STANDARD_TIMESTAMP + 300), Ok(()));
    assert_eq!(standard_verify(&delivery, STANDARD_TIMESTAMP - 300), Ok(()));
}

#[test]
fn standard_rejects_timestamp_301_s_old() {
    let result = standard_verify(
        &standard_delivery(STANDARD_SIGNATURE),
        STANDARD_TIMESTAMP + 301,
    );
    assert_eq!(result, Err(VerifyError::TimestampOutsideTolerance));
}

#[test]
fn standard_rejects_future_timestamp_beyond_tolerance() {
    let result = standard_verify(
        &standard_delivery(STANDARD_SIGNATURE),
        STANDARD_TIMESTAMP - 301,
    );
    assert_eq!(result, Err(VerifyError::TimestampOutsideTolerance));
}

#[test]
fn standard_checks_timestamp_before_signature() {
    let result = standard_verify(&standard_delivery("v1,AAAA"), STANDARD_TIMESTAMP + 301);
    assert_eq!(result, Err(VerifyError::TimestampOutsideTolerance));
}

#[test]
fn standard_tolerance_zero_disables_time_check() {
    let scheme = StandardWebhooksScheme::new().tolerance(Duration::ZERO);
    let delivery = standard_delivery(STANDARD_SIGNATURE);
    assert_eq!(
        scheme.verify_at(
            &[secret(STANDARD_SECRET)],
            &delivery,
            STANDARD_BODY,
            at_secs(0)
        ),
        Ok(())
    );
}

#[test]
fn standard_reports_undecodable_secrets_as_invalid() {
    for bad in [
        "whsec_not base64!",
        "whsec_",
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS",
        "whsec_whsec_MfKQ",
    ] {
        let scheme = StandardWebhooksScheme::new();
        let delivery = standard_delivery(STANDARD_SIGNATURE);
        let result = scheme.verify_at(
            &[secret(bad)],
            &delivery,
            STANDARD_BODY,
            at_secs(STANDARD_TIMESTAMP),
        );
        assert_eq!(result, Err(VerifyError::InvalidSecret), "{bad}");
    }
}

#[test]
fn standard_accepts_secret_without_whsec_prefix() {
    let bare = secret(&STANDARD_SECRET["whsec_".len()..]);
    let delivery = standard_delivery(STANDARD_SIGNATURE);
    let result = StandardWebhooksScheme::new().verify_at(
        &[bare],
        &delivery,
        STANDARD_BODY,
        at_secs(STANDARD_TIMESTAMP),
    );
    assert_eq!(result, Ok(()));
}

#[test]
fn standard_accepts_second_of_several_secrets() {
    let secrets = [secret("whsec_b2xkIGtleQ=="), secret(STANDARD_SECRET)];
    let delivery = standard_delivery(STANDARD_SIGNATURE);
    let result = StandardWebhooksScheme::new().verify_at(
        &secrets,
        &delivery,
        STANDARD_BODY,
        at_secs(STANDARD_TIMESTAMP),
    );
    assert_eq!(result, Ok(()));
}

#[test]
fn standard_signer_generates_msg_id_when_none_given() {
    let (scheme, key) = (StandardWebhooksScheme::new(), secret(STANDARD_SECRET));
    let delivery = sign(&scheme, &key, b"{}", at_secs(100));
    let id = delivery["webhook-id"].to_str().unwrap();
    assert!(id.starts_with("msg_") && id.len() > "msg_".len(), "{id}");
    assert_eq!(delivery["webhook-timestamp"], "100");
    assert_eq!(
        scheme.verify_at(&[key], &delivery, b"{}", at_secs(100)),
        Ok(())
    );
}

#[test]
fn standard_signer_sends_no_signature_for_undecodable_secret() {
    let (scheme, key) = (StandardWebhooksScheme::new(), secret("whsec_not base64!"));
    let delivery = sign(&scheme, &key, b"{}", at_secs(100));
    assert!(delivery.get("webhook-signature").is_none());
    assert!(delivery.get("webhook-id").is_some() && delivery.get("webhook-timestamp").is_some());
}

#[test]
fn standard_sign_then_verify_round_trips_with_given_id() {
    let (scheme, key) = (
        StandardWebhooksScheme::new(),
        secret("whsec_c2VjcmV0IGtleSBieXRlcw=="),
    );
    let now = at_secs(1_700_000_000);
    let delivery = scheme.sign_at(
        &key,
        b"{\"type\":\"a.b\"}",
        SignInput {
            now,
            id: Some("msg_42"),
        },
    );
    assert_eq!(delivery["webhook-id"], "msg_42");
    assert_eq!(
        scheme.verify_at(&[key], &delivery, b"{\"type\":\"a.b\"}", now),
        Ok(())
    );
}

#[test]
fn standard_rejects_body_reserialized_by_serde_json() {
    let (scheme, key) = (StandardWebhooksScheme::new(), secret(STANDARD_SECRET));
    let delivery = sign(&scheme, &key, PRETTY_BODY, at_secs(10));
    let result = scheme.verify_at(&[key], &delivery, &reserialized(PRETTY_BODY), at_secs(10));
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}

// ---------------------------------------------------------------- Stripe

const STRIPE_SECRET: &str = "whsec_test_secret";
const STRIPE_BODY: &[u8] = br#"{"id":"evt_1","type":"charge.succeeded"}"#;
const STRIPE_TIMESTAMP: u64 = 1_700_000_000;
// The key is the whole string, `whsec_` included:
// python3 -c 'import hmac,hashlib; print(hmac.new(b"whsec_test_secret", b"1700000000.{\"id\":\"evt_1\",\"type\":\"charge.succeeded\"}", hashlib.sha256).hexdigest())'
const STRIPE_V1: &str = "c0475716eb2200f1fe97fcf35a3c05d1fd4f8ba9a07a596730c8d18bb87c0672";

fn stripe_header(value: &str) -> HeaderMap {
    headers(&[("stripe-signature", value)])
}

fn stripe_verify(delivery: &HeaderMap, now_secs: u64) -> Result<(), VerifyError> {
    StripeScheme::new().verify_at(
        &[secret(STRIPE_SECRET)],
        delivery,
        STRIPE_BODY,
        at_secs(now_secs),
    )
}

#[test]
fn stripe_matches_independent_vector_keyed_with_whole_whsec_secret() {
    let value = format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}");
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Ok(())
    );
    let signed = sign(
        &StripeScheme::new(),
        &secret(STRIPE_SECRET),
        STRIPE_BODY,
        at_secs(STRIPE_TIMESTAMP),
    );
    assert_eq!(signed["stripe-signature"], value.as_str());
}

#[test]
fn stripe_accepts_any_of_several_v1_signatures() {
    let value = format!(
        "t={STRIPE_TIMESTAMP},v1={},v1={STRIPE_V1},v1=abcd",
        "0".repeat(64)
    );
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Ok(())
    );
}

#[test]
fn stripe_ignores_v0_and_unknown_entries() {
    let value = format!("t={STRIPE_TIMESTAMP},v0={STRIPE_V1},v1={STRIPE_V1},x=1,noequals");
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Ok(())
    );
    let only_v0 = format!("t={STRIPE_TIMESTAMP},v0={STRIPE_V1}");
    assert_eq!(
        stripe_verify(&stripe_header(&only_v0), STRIPE_TIMESTAMP),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn stripe_uses_the_last_t_when_repeated() {
    let value = format!("t=1,v1={STRIPE_V1},t={STRIPE_TIMESTAMP}");
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Ok(())
    );
}

#[test]
fn stripe_does_not_trim_keys_after_commas() {
    let value = format!("t={STRIPE_TIMESTAMP}, v1={STRIPE_V1}");
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn stripe_empty_v1_does_not_match() {
    let value = format!("t={STRIPE_TIMESTAMP},v1=");
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn stripe_reports_header_without_numeric_t_as_malformed() {
    for value in [
        format!("v1={STRIPE_V1}"),
        format!("t=17e8,v1={STRIPE_V1}"),
        String::new(),
    ] {
        let result = stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP);
        assert_eq!(
            result,
            Err(VerifyError::MalformedHeader("stripe-signature")),
            "{value:?}"
        );
    }
}

#[test]
fn stripe_reports_missing_header() {
    assert_eq!(
        stripe_verify(&HeaderMap::new(), STRIPE_TIMESTAMP),
        Err(VerifyError::MissingHeader("stripe-signature"))
    );
}

#[test]
fn stripe_rejects_uppercase_hex() {
    let value = format!("t={STRIPE_TIMESTAMP},v1={}", STRIPE_V1.to_uppercase());
    assert_eq!(
        stripe_verify(&stripe_header(&value), STRIPE_TIMESTAMP),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn stripe_accepts_exactly_300_s_old_and_rejects_301() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}"));
    assert_eq!(stripe_verify(&delivery, STRIPE_TIMESTAMP + 300), Ok(()));
    assert_eq!(
        stripe_verify(&delivery, STRIPE_TIMESTAMP + 301),
        Err(VerifyError::TimestampOutsideTolerance)
    );
}

#[test]
fn stripe_accepts_future_timestamp() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}"));
    assert_eq!(stripe_verify(&delivery, STRIPE_TIMESTAMP - 86_400), Ok(()));
}

#[test]
fn stripe_checks_signature_before_timestamp() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={}", "0".repeat(64)));
    assert_eq!(
        stripe_verify(&delivery, STRIPE_TIMESTAMP + 10_000),
        Err(VerifyError::NoSignatureMatched)
    );
}

#[test]
fn stripe_tolerance_zero_disables_time_check() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}"));
    let scheme = StripeScheme::new().tolerance(Duration::ZERO);
    let result = scheme.verify_at(
        &[secret(STRIPE_SECRET)],
        &delivery,
        STRIPE_BODY,
        at_secs(u64::MAX / 4),
    );
    assert_eq!(result, Ok(()));
    assert_eq!(
        Scheme::tolerance(&StripeScheme::new()),
        Some(Duration::from_secs(300))
    );
}

#[test]
fn stripe_reports_blank_secret_as_invalid() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}"));
    let result = StripeScheme::new().verify_at(
        &[secret(" \t ")],
        &delivery,
        STRIPE_BODY,
        at_secs(STRIPE_TIMESTAMP),
    );
    assert_eq!(result, Err(VerifyError::InvalidSecret));
}

#[test]
fn stripe_accepts_second_of_several_secrets() {
    let delivery = stripe_header(&format!("t={STRIPE_TIMESTAMP},v1={STRIPE_V1}"));
    let secrets = [secret("whsec_rolled"), secret(STRIPE_SECRET)];
    let result =
        StripeScheme::new().verify_at(&secrets, &delivery, STRIPE_BODY, at_secs(STRIPE_TIMESTAMP));
    assert_eq!(result, Ok(()));
}

#[test]
fn stripe_sign_then_verify_round_trips() {
    let (scheme, key) = (StripeScheme::new(), secret("whsec_abc123"));
    let now = at_secs(1_650_000_000);
    let delivery = sign(&scheme, &key, STRIPE_BODY, now);
    assert_eq!(
        scheme.verify_at(&[key], &delivery, STRIPE_BODY, now),
        Ok(())
    );
}

#[test]
fn stripe_rejects_body_reserialized_by_serde_json() {
    let (scheme, key) = (StripeScheme::new(), secret(STRIPE_SECRET));
    let delivery = sign(&scheme, &key, PRETTY_BODY, at_secs(10));
    let result = scheme.verify_at(&[key], &delivery, &reserialized(PRETTY_BODY), at_secs(10));
    assert_eq!(result, Err(VerifyError::NoSignatureMatched));
}
