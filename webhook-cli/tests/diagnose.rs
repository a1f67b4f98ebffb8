//! `webhook verify`'s `hint:` line: the likely cause of a failed signature.

mod common;

use common::*;

/// Runs verify and returns its two lines.
fn lines(
    provider: &str,
    secret: &str,
    headers: &[String],
    body: &[u8],
    extra: &[&str],
) -> (String, String) {
    let body = file(body);
    let assert = verify(provider, secret, headers, &body, extra).code(1);
    let out = stdout(&assert);
    let mut lines = out.lines().map(str::to_owned);
    (
        lines.next().unwrap_or_default(),
        lines.next().unwrap_or_default(),
    )
}

#[test]
fn re_serialized_body_is_diagnosed() {
    // Sent compact, keys in serde_json's order; received pretty-printed.
    let sent = r#"{"event":"charge.succeeded","payload":{"amount":500,"id":"ch_1"}}"#;
    let body = file(sent.as_bytes());
    let headers = sign("modem-pay", "s3cret", &body, &[]);
    let value: serde_json::Value = serde_json::from_str(sent).unwrap();
    let pretty = serde_json::to_vec_pretty(&value).unwrap();
    let (first, hint) = lines("modem-pay", "s3cret", &headers, &pretty, &[]);
    assert_eq!(first, "invalid: no signature matched");
    assert_eq!(
        hint,
        "hint: the body was re-serialized JSON: verify the raw bytes"
    );
}

#[test]
fn trailing_newline_is_diagnosed() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("github", "s3cret", &body, &[]);
    let with_newline = format!("{ENVELOPE}\n");
    let (_, hint) = lines("github", "s3cret", &headers, with_newline.as_bytes(), &[]);
    assert!(
        hint.starts_with("hint: the body file ends with whitespace"),
        "{hint}"
    );
}

#[test]
fn whsec_prefix_is_diagnosed_both_ways() {
    let body = file(ENVELOPE.as_bytes());
    // Stripe keys with the whole secret: the receiver dropped the prefix.
    let headers = sign("stripe", "whsec_abc123", &body, &[]);
    let (first, hint) = lines("stripe", "abc123", &headers, ENVELOPE.as_bytes(), &[]);
    assert_eq!(first, "invalid: no signature matched");
    assert!(
        hint.starts_with("hint: the signature matches the secret with `whsec_` in front"),
        "{hint}"
    );
    // The sender signed with the bare key: the receiver added the prefix.
    let headers = sign("github", "abc123", &body, &[]);
    let (_, hint) = lines("github", "whsec_abc123", &headers, ENVELOPE.as_bytes(), &[]);
    assert!(
        hint.starts_with("hint: the signature matches the secret without its `whsec_` prefix"),
        "{hint}"
    );
}

#[test]
fn seconds_for_milliseconds_is_diagnosed_for_bamotf() {
    let body = file(ENVELOPE.as_bytes());
    // The sender wrote Unix seconds where bamotf wants milliseconds.
    let seconds = (now_ms() / 1000).to_string();
    let headers = sign("bamotf", "s3cret", &body, &["--timestamp-ms", &seconds]);
    let (first, hint) = lines("bamotf", "s3cret", &headers, ENVELOPE.as_bytes(), &[]);
    assert_eq!(first, "invalid: timestamp outside tolerance");
    assert_eq!(
        hint,
        format!("hint: the timestamp {seconds} is in seconds, but bamotf signs Unix milliseconds")
    );
}

#[test]
fn milliseconds_for_seconds_is_diagnosed_for_standard_webhooks() {
    let body = file(ENVELOPE.as_bytes());
    // A timestamp in ms where the spec wants seconds: sign "ms" that are 1000x now.
    let ms = now_ms();
    let headers = sign(
        "standard-webhooks",
        SECRET,
        &body,
        &["--timestamp-ms", &(ms * 1000).to_string()],
    );
    let (first, hint) = lines(
        "standard-webhooks",
        SECRET,
        &headers,
        ENVELOPE.as_bytes(),
        &[],
    );
    assert_eq!(first, "invalid: timestamp outside tolerance");
    assert_eq!(
        hint,
        format!(
            "hint: the timestamp {ms} is in milliseconds, but standard-webhooks signs Unix seconds"
        )
    );
}

#[test]
fn clock_skew_is_diagnosed() {
    let body = file(ENVELOPE.as_bytes());
    let signed_at = now_ms();
    let headers = sign(
        "standard-webhooks",
        SECRET,
        &body,
        &["--timestamp-ms", &(signed_at + 600_000).to_string()],
    );
    let (_, hint) = lines(
        "standard-webhooks",
        SECRET,
        &headers,
        ENVELOPE.as_bytes(),
        &[],
    );
    // The distance is 600 s less the time the two commands took (a second or more
    // on a loaded machine), rounded down.
    let took_s = (now_ms() - signed_at).div_ceil(1000);
    let away: u64 = hint
        .strip_prefix("hint: timestamp is ")
        .and_then(|rest| rest.split(' ').next())
        .and_then(|secs| secs.parse().ok())
        .unwrap_or_else(|| panic!("no distance in {hint}"));
    assert!(
        (600 - took_s..=600).contains(&away),
        "{away} s away after {took_s} s: {hint}"
    );
    assert!(
        hint.contains(" s away from now, beyond the tolerance of 300 s (it is in the future)"),
        "{hint}"
    );
}

#[test]
fn another_providers_delivery_is_diagnosed() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("github", "s3cret", &body, &[]);
    let (first, hint) = lines("modem-pay", "s3cret", &headers, ENVELOPE.as_bytes(), &[]);
    assert_eq!(first, "invalid: missing header `x-modem-signature`");
    assert_eq!(
        hint,
        "hint: this looks like a github delivery: it verifies with --provider github"
    );
}

#[test]
fn no_hint_when_nothing_fits() {
    let body = file(ENVELOPE.as_bytes());
    let headers = sign("modem-pay", "s3cret", &body, &[]);
    let assert = verify("modem-pay", "another", &headers, &body, &[]).code(1);
    assert_eq!(stdout(&assert), "invalid: no signature matched\n");
}
