//! What several commands share: exit codes, argument parsers, body files, time.

use std::fmt;
use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::{HeaderMap, HeaderName, HeaderValue};
use webhook_core::Secret;

/// Why a command did not succeed; decides the exit code.
#[derive(Debug)]
pub(crate) enum Failure {
    /// The command was used wrongly (unreadable file, bad value): exit 2.
    Usage(String),
    /// The command ran and failed (a port in use, a database error): exit 1.
    Error(String),
    /// The command ran and its answer is no, already printed (an invalid delivery): exit 1.
    Negative,
}

impl Failure {
    /// Reports the failure on stderr and gives the exit code.
    pub(crate) fn report(self) -> ExitCode {
        match self {
            Self::Usage(message) => {
                eprintln!("error: {message}");
                ExitCode::from(2)
            }
            Self::Error(message) => {
                eprintln!("error: {message}");
                ExitCode::from(1)
            }
            Self::Negative => ExitCode::from(1),
        }
    }

    /// A usage failure from anything displayable.
    pub(crate) fn usage(message: impl fmt::Display) -> Self {
        Self::Usage(message.to_string())
    }

    /// A run-time failure from anything displayable.
    pub(crate) fn error(message: impl fmt::Display) -> Self {
        Self::Error(message.to_string())
    }
}

/// What a command returns.
pub(crate) type Outcome = Result<(), Failure>;

/// Parses `--secret` (or `WEBHOOK_SECRET`): any non-empty string (clap reports an empty one,
/// exit 2, and the message names the variable, since an empty one exported is easy to miss).
pub(crate) fn parse_secret(text: &str) -> Result<Secret, String> {
    Secret::new(text).map_err(|_| {
        "the secret is empty (if WEBHOOK_SECRET is set but empty, unset it)".to_owned()
    })
}

/// Parses `--header 'name: value'`; the name is case-insensitive, the value trimmed.
pub(crate) fn parse_header(text: &str) -> Result<(HeaderName, HeaderValue), String> {
    let (name, value) = text
        .split_once(':')
        .ok_or_else(|| format!("`{text}` is not `name: value` (no `:`)"))?;
    let name = HeaderName::from_bytes(name.trim().as_bytes())
        .map_err(|_| format!("`{}` is not a valid header name", name.trim()))?;
    let value = HeaderValue::from_bytes(value.trim().as_bytes())
        .map_err(|_| format!("the value of `{name}` is not a valid header value"))?;
    Ok((name, value))
}

/// The parsed `--header` flags as a map; a repeated name keeps every value.
pub(crate) fn header_map(pairs: Vec<(HeaderName, HeaderValue)>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(name, value);
    }
    headers
}

/// Reads a body file exactly as stored (`-` reads stdin); unreadable is a usage error.
pub(crate) fn read_body(path: &Path) -> Result<Vec<u8>, Failure> {
    if path == Path::new("-") {
        let mut body = Vec::new();
        std::io::stdin()
            .read_to_end(&mut body)
            .map_err(|e| Failure::usage(format_args!("cannot read the body from stdin: {e}")))?;
        return Ok(body);
    }
    std::fs::read(path).map_err(|e| {
        Failure::usage(format_args!(
            "cannot read body file `{}`: {e}",
            path.display()
        ))
    })
}

/// The instant `ms` milliseconds after the Unix epoch.
pub(crate) fn from_unix_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(ms)
}

/// `at` as UTC RFC 3339 with milliseconds: `2025-05-01T12:00:00.000Z`.
pub(crate) use webhook_core::rfc3339;

/// `N` bytes from the operating system's random source.
fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides randomness");
    bytes
}

/// A fresh delivery id: a random version-4 UUID.
pub(crate) fn fresh_id() -> String {
    let mut b = random_bytes::<16>();
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// A test secret valid for every provider: `whsec_` and the base64 of 24 random bytes.
pub(crate) fn generate_secret() -> String {
    format!("whsec_{}", BASE64.encode(random_bytes::<24>()))
}

/// Runs `future` to completion on a single-threaded tokio runtime.
pub(crate) fn block_on<F: Future<Output = Outcome>>(future: F) -> Outcome {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::error(format_args!("cannot start the async runtime: {e}")))?;
    runtime.block_on(future)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_is_utc_with_millis() {
        assert_eq!(rfc3339(from_unix_ms(0)), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            rfc3339(from_unix_ms(1_772_150_635_078)),
            "2026-02-27T00:03:55.078Z"
        );
    }

    #[test]
    fn headers_parse_case_insensitively() {
        let (name, value) = parse_header("X-Hub-Signature-256:  sha256=ab ").unwrap();
        assert_eq!(name.as_str(), "x-hub-signature-256");
        assert_eq!(value, "sha256=ab");
        assert!(parse_header("no colon").is_err());
    }

    #[test]
    fn generated_secrets_and_ids_have_their_shapes() {
        let secret = generate_secret();
        assert!(secret.starts_with("whsec_"));
        assert_eq!(BASE64.decode(&secret[6..]).unwrap().len(), 24);
        assert_eq!(fresh_id().len(), 36);
    }
}
