//! Where the binary takes secrets from: `--secret`, `WEBHOOK_SECRET`, `--secret-file`.

mod common;

use common::*;
use webhook_core::providers::ModemPay;

/// A value that appears nowhere else, to look for in output.
const ENV_ONLY: &str = "whsec_ZW52LW9ubHktc2VjcmV0LTdmM2E5Yw==";

fn signed(provider: &str) -> (tempfile::NamedTempFile, Vec<String>) {
    let body = file(ENVELOPE.as_bytes());
    let mut headers = sign(provider, SECRET, &body, &[]);
    headers.extend(envelope_headers(provider));
    (body, headers)
}

/// `webhook verify` of `headers` and `body` with only `args` for secrets.
fn verify_with(
    provider: &str,
    headers: &[String],
    body: &tempfile::NamedTempFile,
    env: Option<&str>,
    args: &[&str],
) -> assert_cmd::assert::Assert {
    let mut command = webhook();
    command
        .args(["verify", "--provider", provider, "--body-file"])
        .arg(path(body))
        .args(args);
    for header in headers {
        command.args(["--header", header]);
    }
    if let Some(value) = env {
        command.env("WEBHOOK_SECRET", value);
    }
    command.assert()
}

/// `webhook sign` of `body` as `provider` with only `args` for the secret: the header lines.
fn sign_with(
    provider: &str,
    body: &tempfile::NamedTempFile,
    env: Option<&str>,
    args: &[&str],
) -> Vec<String> {
    let mut command = webhook();
    command
        .args(["sign", "--provider", provider, "--body-file"])
        .arg(path(body))
        .args(args);
    if let Some(value) = env {
        command.env("WEBHOOK_SECRET", value);
    }
    let assert = command.assert().code(0);
    stdout(&assert).lines().map(str::to_owned).collect()
}

#[test]
fn secret_given_only_through_the_environment_verifies() {
    for provider in PROVIDERS {
        let (body, headers) = signed(provider);
        let assert = verify_with(provider, &headers, &body, Some(SECRET), &[]).code(0);
        assert_eq!(stdout(&assert), "valid\n", "{provider}");
    }
    // And signs: the headers verify with the secret given on the command line.
    let body = file(ENVELOPE.as_bytes());
    let headers = sign_with("stripe", &body, Some(SECRET), &[]);
    verify("stripe", SECRET, &headers, &body, &[]).code(0);
}

#[test]
fn wrong_secret_in_the_environment_is_invalid() {
    let (body, headers) = signed("stripe");
    let assert = verify_with("stripe", &headers, &body, Some(ENV_ONLY), &[]).code(1);
    assert!(stdout(&assert).starts_with("invalid: no signature matched"));
}

#[test]
fn secret_file_with_a_trailing_newline_verifies() {
    for ending in ["\n", "\r\n", ""] {
        let secret_file = file(format!("{SECRET}{ending}").as_bytes());
        let secret_path = path(&secret_file);
        let secret_arg = secret_path.to_str().unwrap();
        let (body, headers) = signed("standard-webhooks");
        let assert = verify_with(
            "standard-webhooks",
            &headers,
            &body,
            None,
            &["--secret-file", secret_arg],
        )
        .code(0);
        assert_eq!(stdout(&assert), "valid\n", "{ending:?}");
        // Signing from the file signs with the same secret.
        let headers = sign_with("stripe", &body, None, &["--secret-file", secret_arg]);
        verify("stripe", SECRET, &headers, &body, &[]).code(0);
    }
}

#[test]
fn only_one_trailing_newline_is_dropped_from_a_secret_file() {
    let secret_file = file(format!("{SECRET}\n\n").as_bytes());
    let (body, headers) = signed("stripe");
    let assert = verify_with(
        "stripe",
        &headers,
        &body,
        None,
        &["--secret-file", path(&secret_file).to_str().unwrap()],
    )
    .code(1);
    assert!(stdout(&assert).starts_with("invalid: no signature matched"));
}

#[test]
fn secret_file_wins_over_the_environment() {
    let secret_file = file(format!("{SECRET}\n").as_bytes());
    let secret_path = path(&secret_file);
    let (body, headers) = signed("stripe");
    let args = ["--secret-file", secret_path.to_str().unwrap()];
    let assert = verify_with("stripe", &headers, &body, Some(ENV_ONLY), &args).code(0);
    assert_eq!(stdout(&assert), "valid\n");
    // Signing too: no conflict with the environment, and the file's secret signs.
    let headers = sign_with("stripe", &body, Some(ENV_ONLY), &args);
    verify("stripe", SECRET, &headers, &body, &[]).code(0);
}

#[test]
fn command_line_secret_wins_over_the_environment() {
    let (body, headers) = signed("stripe");
    let assert = verify_with(
        "stripe",
        &headers,
        &body,
        Some(ENV_ONLY),
        &["--secret", SECRET],
    );
    assert_eq!(stdout(&assert.code(0)), "valid\n");
}

#[test]
fn verify_tries_secrets_from_both_flags_and_signing_refuses_both() {
    let secret_file = file(b"whsec_other\n");
    let secret_path = path(&secret_file);
    let file_arg = secret_path.to_str().unwrap();
    let (body, headers) = signed("stripe");
    let args = ["--secret", SECRET, "--secret-file", file_arg];
    verify_with("stripe", &headers, &body, None, &args).code(0);
    let args = ["--secret", "whsec_other", "--secret-file", file_arg];
    verify_with("stripe", &headers, &body, None, &args).code(1);

    let refused = webhook()
        .args(["sign", "--provider", "stripe", "--body-file"])
        .arg(path(&body))
        .args(["--secret", SECRET, "--secret-file", file_arg])
        .assert()
        .code(2);
    assert!(
        stderr(&refused).contains("--secret and --secret-file"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn missing_empty_or_absent_secret_is_a_usage_error_that_shows_no_secret() {
    let body = file(ENVELOPE.as_bytes());
    let empty = file(b"\n");
    let empty_path = path(&empty);
    for args in [
        vec!["--secret-file", "/nonexistent/secret"],
        vec!["--secret-file", empty_path.to_str().unwrap()],
        vec![],
    ] {
        for command in ["sign", "verify"] {
            let assert = webhook()
                .args([command, "--provider", "stripe", "--body-file"])
                .arg(path(&body))
                .args(&args)
                .assert()
                .code(2);
            assert!(!stderr(&assert).is_empty(), "{command} {args:?}");
        }
    }
    let assert = webhook()
        .args(["sign", "--provider", "stripe", "--body-file"])
        .arg(path(&body))
        .args(["--secret-file", empty_path.to_str().unwrap()])
        .assert()
        .code(2);
    assert!(stderr(&assert).contains("is empty"), "{}", stderr(&assert));
}

#[test]
fn help_does_not_show_the_environment_values() {
    for command in ["sign", "verify", "trigger", "listen"] {
        let assert = webhook()
            .args([command, "--help"])
            .env("WEBHOOK_SECRET", ENV_ONLY)
            .assert()
            .code(0);
        let help = stdout(&assert);
        assert!(help.contains("[env: WEBHOOK_SECRET]"), "{command}: {help}");
        assert!(help.contains("--secret-file <PATH>"), "{command}: {help}");
        assert!(!help.contains(ENV_ONLY), "{command}: {help}");
    }
    let url = "postgres://inbox:hunter2@db.invalid/webhooks";
    let assert = webhook()
        .args(["inbox", "--help"])
        .env("WEBHOOK_INBOX", url)
        .env("DATABASE_URL", url)
        .assert()
        .code(0);
    let help = stdout(&assert);
    assert!(help.contains("[env: WEBHOOK_INBOX]"), "{help}");
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(!help.contains("hunter2"), "{help}");
}

#[test]
fn trigger_signs_with_the_secret_from_the_environment() {
    let server = Server::start(200);
    webhook()
        .args(["trigger", "charge.succeeded", "--provider", "modem-pay"])
        .args(["--url", &server.url("/")])
        .env("WEBHOOK_SECRET", ENV_ONLY)
        .assert()
        .code(0);
    let received = server.received();
    assert_eq!(received.len(), 1);
    check(&ModemPay::default(), ENV_ONLY, &received[0]).expect("signed with the env secret");
}

#[test]
fn trigger_signs_with_the_secret_from_a_file() {
    let server = Server::start(200);
    let secret_file = file(format!("{ENV_ONLY}\r\n").as_bytes());
    webhook()
        .args(["trigger", "charge.succeeded", "--provider", "modem-pay"])
        .args(["--url", &server.url("/"), "--secret-file"])
        .arg(path(&secret_file))
        .assert()
        .code(0);
    let received = server.received();
    assert_eq!(received.len(), 1);
    check(&ModemPay::default(), ENV_ONLY, &received[0]).expect("signed with the file's secret");
}
