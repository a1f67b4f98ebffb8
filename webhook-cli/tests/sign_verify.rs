//! `webhook sign` and `webhook verify` through the real binary.

mod common;

use common::*;

#[test]
fn sign_then_verify_round_trips_for_every_provider() {
    let body = file(ENVELOPE.as_bytes());
    for provider in PROVIDERS {
        let mut headers = sign(provider, SECRET, &body, &[]);
        headers.extend(envelope_headers(provider));
        let assert = verify(provider, SECRET, &headers, &body, &[]).code(0);
        assert_eq!(stdout(&assert), "valid\n", "{provider}");
    }
}

#[test]
fn header_names_are_case_insensitive_and_any_secret_of_several_matches() {
    let body = file(ENVELOPE.as_bytes());
    let headers: Vec<String> = sign("stripe", SECRET, &body, &[])
        .into_iter()
        .map(|line| line.replacen("stripe-signature", "Stripe-Signature", 1))
        .collect();
    let assert = verify(
        "stripe",
        "whsec_old",
        &headers,
        &body,
        &["--secret", SECRET],
    )
    .code(0);
    assert_eq!(stdout(&assert), "valid\n");
}

#[test]
fn github_documented_vector() {
    let body = file(b"Hello, World!");
    let headers = sign("github", "It's a Secret to Everybody", &body, &[]);
    assert_eq!(
        headers,
        [
            "x-hub-signature-256: sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        ]
    );
    // Correctly signed, but not JSON: the receiver answers 400, so verify says invalid.
    let mut all = headers.clone();
    all.extend(envelope_headers("github"));
    let assert = verify("github", "It's a Secret to Everybody", &all, &body, &[]).code(1);
    assert!(
        stdout(&assert).starts_with("invalid: body is not valid JSON"),
        "{}",
        stdout(&assert)
    );
}

#[test]
fn sign_uses_the_given_timestamp_and_id() {
    let body = file(b"{}");
    let headers = sign(
        "standard-webhooks",
        SECRET,
        &body,
        &["--timestamp-ms", "1700000000123", "--id", "msg_fixed"],
    );
    assert_eq!(headers[0], "webhook-id: msg_fixed");
    assert_eq!(headers[1], "webhook-timestamp: 1700000000");
    assert!(headers[2].starts_with("webhook-signature: v1,"));
    assert_eq!(headers.len(), 3);
    let bamotf = sign(
        "bamotf",
        "s3cret",
        &body,
        &["--timestamp-ms", "1700000000123"],
    );
    assert!(
        bamotf[0].starts_with("x-webhook-signature: v=1700000000123,d="),
        "{bamotf:?}"
    );
}

#[test]
fn tampered_body_has_no_matching_signature() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("modem-pay", "s3cret", &body, &[]);
    let tampered = file(ENVELOPE.replace("500", "501").as_bytes());
    let assert = verify("modem-pay", "s3cret", &headers, &tampered, &[]).code(1);
    assert_eq!(stdout(&assert), "invalid: no signature matched\n");
}

#[test]
fn wrong_secret_is_invalid_and_the_output_never_shows_secrets() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("stripe", "whsec_sender-secret", &body, &[]);
    let assert = verify("stripe", "whsec_receiver-secret", &headers, &body, &[]).code(1);
    let out = stdout(&assert);
    assert!(out.starts_with("invalid: no signature matched"), "{out}");
    assert!(
        !out.contains("sender-secret") && !out.contains("receiver-secret"),
        "{out}"
    );
}

#[test]
fn missing_signature_header_is_named() {
    let body = file(ENVELOPE.as_bytes());
    let assert = verify("bamotf", "s3cret", &[], &body, &[]).code(1);
    assert_eq!(
        stdout(&assert),
        "invalid: missing header `x-webhook-signature`\n"
    );
}

#[test]
fn malformed_signature_header_is_named() {
    let body = file(ENVELOPE.as_bytes());
    let headers = ["x-webhook-signature: nonsense".to_owned()];
    let assert = verify("bamotf", "s3cret", &headers, &body, &[]).code(1);
    assert_eq!(
        stdout(&assert),
        "invalid: malformed header `x-webhook-signature`\n"
    );
}

#[test]
fn expired_delivery_is_outside_tolerance_as_of_now_ms() {
    let body = file(ENVELOPE.as_bytes());
    let signed_at = 1_700_000_000_000u64;
    let headers = sign(
        "stripe",
        SECRET,
        &body,
        &["--timestamp-ms", &signed_at.to_string()],
    );
    let at = |ms: u64| ms.to_string();
    verify(
        "stripe",
        SECRET,
        &headers,
        &body,
        &["--now-ms", &at(signed_at + 299_000)],
    )
    .code(0);
    let assert = verify(
        "stripe",
        SECRET,
        &headers,
        &body,
        &["--now-ms", &at(signed_at + 3_600_000)],
    )
    .code(1);
    let out = stdout(&assert);
    assert!(
        out.starts_with("invalid: timestamp outside tolerance\n"),
        "{out}"
    );
    assert!(
        out.contains("hint: timestamp is 3600 s away from now, beyond the tolerance"),
        "{out}"
    );
    // A wider tolerance accepts it; 0 turns the time check off.
    verify(
        "stripe",
        SECRET,
        &headers,
        &body,
        &[
            "--now-ms",
            &at(signed_at + 3_600_000),
            "--tolerance-secs",
            "4000",
        ],
    )
    .code(0);
    verify(
        "stripe",
        SECRET,
        &headers,
        &body,
        &["--tolerance-secs", "0"],
    )
    .code(0);
}

#[test]
fn tolerance_zero_turns_the_time_check_off_for_every_timed_scheme() {
    let body = file(ENVELOPE.as_bytes());
    for provider in ["bamotf", "standard-webhooks", "stripe"] {
        let headers = sign(
            provider,
            SECRET,
            &body,
            &["--timestamp-ms", "1000000000000"],
        );
        verify(provider, SECRET, &headers, &body, &[]).code(1);
        let assert = verify(
            provider,
            SECRET,
            &headers,
            &body,
            &["--tolerance-secs", "0"],
        )
        .code(0);
        assert_eq!(stdout(&assert), "valid\n", "{provider}");
    }
}

#[test]
fn empty_body_correctly_signed_is_invalid() {
    let body = file(b"");
    for provider in PROVIDERS {
        let mut headers = sign(provider, SECRET, &body, &[]);
        headers.extend(envelope_headers(provider));
        let assert = verify(provider, SECRET, &headers, &body, &[]).code(1);
        assert_eq!(stdout(&assert), "invalid: body is empty\n", "{provider}");
    }
}

#[test]
fn signed_body_without_the_envelope_field_is_invalid() {
    let body = file(br#"{"payload":{}}"#);
    let headers = sign("modem-pay", "s3cret", &body, &[]);
    let assert = verify("modem-pay", "s3cret", &headers, &body, &[]).code(1);
    assert_eq!(stdout(&assert), "invalid: envelope has no `event`\n");
}

#[test]
fn github_without_its_event_header_is_invalid_with_a_hint() {
    let body = file(br#"{"zen":"hi"}"#);
    let headers = sign("github", "s3cret", &body, &[]);
    let assert = verify("github", "s3cret", &headers, &body, &[]).code(1);
    let out = stdout(&assert);
    assert!(
        out.starts_with("invalid: envelope has no `x-github-event`\nhint: "),
        "{out}"
    );
}

#[test]
fn usage_errors_exit_2() {
    let body = file(ENVELOPE.as_bytes());
    let verify_with = |extra: &[&str]| {
        let mut command = webhook();
        command
            .args(["verify", "--provider", "modem-pay"])
            .args(extra);
        command.assert()
    };
    let body_path = path(&body);
    let body_arg = body_path.to_str().unwrap();
    // No secret, an empty secret, a header without ':', an unknown provider, a missing file.
    verify_with(&["--body-file", body_arg]).code(2);
    verify_with(&["--secret", "", "--body-file", body_arg]).code(2);
    verify_with(&[
        "--secret",
        "s",
        "--header",
        "no colon",
        "--body-file",
        body_arg,
    ])
    .code(2);
    verify_with(&["--secret", "s", "--body-file", "/nonexistent/body.json"]).code(2);
    webhook()
        .args([
            "verify",
            "--provider",
            "paypal",
            "--secret",
            "s",
            "--body-file",
            body_arg,
        ])
        .assert()
        .code(2);
    webhook()
        .args([
            "sign",
            "--provider",
            "stripe",
            "--secret",
            "",
            "--body-file",
            body_arg,
        ])
        .assert()
        .code(2);
    webhook()
        .args([
            "sign",
            "--provider",
            "stripe",
            "--secret",
            "s",
            "--body-file",
            "/nonexistent",
        ])
        .assert()
        .code(2);
    webhook().args(["frobnicate"]).assert().code(2);
}

#[test]
fn standard_webhooks_refuses_to_sign_with_a_secret_that_is_not_base64() {
    let body = file(b"{}");
    let assert = webhook()
        .args([
            "sign",
            "--provider",
            "standard-webhooks",
            "--secret",
            "not base64!",
            "--body-file",
        ])
        .arg(path(&body))
        .assert()
        .code(2);
    let err = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(err.contains("whsec_"), "{err}");
}

#[test]
fn sign_help_says_only_signature_headers_are_printed() {
    let assert = webhook().args(["sign", "--help"]).assert().code(0);
    assert!(stdout(&assert).contains("x-github-event"));
}

// ---------------------------------------------------------------- Standard Webhooks v1a

/// libraries/go/webhook_asymmetric_test.go (standard-webhooks/standard-webhooks),
/// `TestAsymmetricWebhookSign`: the seed, message and signature; the public key is derived
/// from the seed (see webhook-core/tests/v1a.rs).
const REF_SEED: &str = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk=";
const REF_PUBLIC: &str = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248c/g=";
const REF_V1A: &str =
    "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag==";

#[test]
fn sign_with_a_whsk_key_reproduces_the_reference_v1a_signature() {
    let body = file(br#"{"test": 2432232314}"#);
    let headers = sign(
        "standard-webhooks",
        REF_SEED,
        &body,
        &[
            "--timestamp-ms",
            "1614265330000",
            "--id",
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
        ],
    );
    assert_eq!(headers[2], format!("webhook-signature: {REF_V1A}"));
    // The signature holds; the body is not an envelope (no `type`), which verify says.
    let assert = verify(
        "standard-webhooks",
        REF_PUBLIC,
        &headers,
        &body,
        &["--now-ms", "1614265330000"],
    )
    .code(1);
    assert_eq!(stdout(&assert), "invalid: envelope has no `type`\n");
}

#[test]
fn whsk_signed_delivery_verifies_with_the_whpk_key() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("standard-webhooks", REF_SEED, &body, &[]);
    assert!(
        headers[2].starts_with("webhook-signature: v1a,"),
        "{headers:?}"
    );
    let assert = verify("standard-webhooks", REF_PUBLIC, &headers, &body, &[]).code(0);
    assert_eq!(stdout(&assert), "valid\n");
}

#[test]
fn verify_accepts_a_mixed_v1_and_v1a_list_with_either_key() {
    let body = file(ENVELOPE.as_bytes());
    let args = ["--timestamp-ms", &now_ms().to_string(), "--id", "msg_mixed"].map(str::to_owned);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let v1 = sign("standard-webhooks", SECRET, &body, &args);
    let v1a = sign("standard-webhooks", REF_SEED, &body, &args);
    let value = |line: &str| line.split_once(": ").unwrap().1.to_owned();
    let list = format!("webhook-signature: {} {}", value(&v1[2]), value(&v1a[2]));
    let headers = [v1[0].clone(), v1[1].clone(), list];
    for secret in [SECRET, REF_PUBLIC] {
        let assert = verify("standard-webhooks", secret, &headers, &body, &[]).code(0);
        assert_eq!(stdout(&assert), "valid\n", "{secret}");
    }
}

#[test]
fn signing_with_a_whpk_key_says_to_sign_with_the_whsk_key() {
    let body = file(ENVELOPE.as_bytes());
    let assert = webhook()
        .args([
            "sign",
            "--provider",
            "standard-webhooks",
            "--secret",
            REF_PUBLIC,
        ])
        .arg("--body-file")
        .arg(path(&body))
        .assert()
        .code(2);
    let err = stderr(&assert);
    assert!(
        err.starts_with(
            "error: a `whpk_` public key verifies `v1a` signatures but cannot make them"
        ),
        "{err}"
    );
    let trigger = webhook()
        .args([
            "trigger",
            "any.event",
            "--raw",
            "--provider",
            "standard-webhooks",
        ])
        .args(["--url", "http://127.0.0.1:9/", "--secret", REF_PUBLIC])
        .assert()
        .code(2);
    assert!(stderr(&trigger).contains("`whsk_`"), "{}", stderr(&trigger));
}

#[test]
fn whpk_key_of_wrong_length_is_named_in_sign_errors_and_verify_hints() {
    let body = file(ENVELOPE.as_bytes());
    let short = "whpk_ZlN4eg7dSSqi0moX9hQUk3orrOouK3QVQSlJa248cw==";
    let headers = sign("standard-webhooks", REF_SEED, &body, &[]);
    let assert = verify("standard-webhooks", short, &headers, &body, &[]).code(1);
    assert_eq!(
        stdout(&assert),
        "invalid: configured secret is not valid for this scheme\n\
         hint: the `whpk_` key is 31 bytes long, and an ed25519 public key is 32: write `whpk_` \
         followed by the standard, padded base64 of the 32-byte ed25519 public key\n"
    );
    let short_seed = "whsk_VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTg==";
    let signed = webhook()
        .args([
            "sign",
            "--provider",
            "standard-webhooks",
            "--secret",
            short_seed,
        ])
        .arg("--body-file")
        .arg(path(&body))
        .assert()
        .code(2);
    assert!(
        stderr(&signed).contains("the `whsk_` key is 31 bytes long"),
        "{}",
        stderr(&signed)
    );
}
