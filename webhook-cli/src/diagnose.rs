//! The diagnosis of `webhook verify`: when a signature fails, tries the usual mistakes
//! (a re-serialized body, the `whsec_` prefix, seconds for milliseconds, clock skew,
//! another provider) and names the first one that makes it verify.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::HeaderMap;
use webhook_core::scheme::StandardKey;
use webhook_core::{Secret, VerifyError};

use crate::providers::ProviderName;

/// How far from now a timestamp in the wrong unit may be and still count as one.
const UNIT_WINDOW_MS: u128 = 24 * 3600 * 1000;

/// The prefix Stripe and Standard Webhooks put before their secrets.
const WHSEC: &str = "whsec_";

/// A rejected delivery and what it was judged with.
#[derive(Debug)]
pub(crate) struct Case<'a> {
    /// The provider named on the command line.
    pub(crate) provider: ProviderName,
    /// The tolerance it was judged with (`None`: the scheme signs no time).
    pub(crate) tolerance: Option<Duration>,
    /// The secrets tried.
    pub(crate) secrets: &'a [Secret],
    /// The delivery's headers.
    pub(crate) headers: &'a HeaderMap,
    /// The delivery's body.
    pub(crate) body: &'a [u8],
    /// The instant it was judged at.
    pub(crate) now: SystemTime,
}

impl Case<'_> {
    /// True when `provider`'s scheme, time check off, accepts `body` under `secrets`.
    fn verifies(&self, provider: ProviderName, secrets: &[Secret], body: &[u8]) -> bool {
        let lenient = provider.with_tolerance(Some(Duration::ZERO));
        let scheme = lenient.scheme();
        scheme
            .verify_at(secrets, self.headers, body, self.now)
            .is_ok()
    }

    /// Milliseconds since the Unix epoch of the judging instant.
    fn now_ms(&self) -> u128 {
        self.now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis()
    }
}

/// The likely cause of signature failure `error`, when one is found.
pub(crate) fn signature(case: &Case<'_>, error: &VerifyError) -> Option<String> {
    match error {
        VerifyError::InvalidSecret => Some(secret_format(case)),
        VerifyError::NoSecret => None,
        _ => time(case)
            .or_else(|| body(case))
            .or_else(|| secret(case))
            .or_else(|| other_provider(case)),
    }
}

/// Why the scheme cannot use a secret at all: for standard-webhooks, what is wrong with the
/// first unusable key and what to write instead.
fn secret_format(case: &Case<'_>) -> String {
    match case.provider {
        ProviderName::StandardWebhooks => case
            .secrets
            .iter()
            .find_map(|secret| StandardKey::for_verifying(secret).err())
            .map_or_else(
                || "standard-webhooks cannot use one of the secrets".to_owned(),
                |error| error.to_string(),
            ),
        other => format!("{other} cannot use a blank secret"),
    }
}

/// The signature holds with the time check off: the timestamp is the problem.
fn time(case: &Case<'_>) -> Option<String> {
    if !case.verifies(case.provider, case.secrets, case.body) {
        return None;
    }
    let stamp = signed_stamp(case.provider, case.headers)?;
    Some(units(case, stamp).unwrap_or_else(|| skew(case, stamp)))
}

/// The signed timestamp as written in the header, and how many ms one unit of it is.
fn signed_stamp(provider: ProviderName, headers: &HeaderMap) -> Option<(u64, u64)> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match provider {
        ProviderName::Bamotf => {
            let value = header(provider.signature_header())?;
            let (ms, _) = value.strip_prefix("v=")?.split_once(',')?;
            Some((ms.parse().ok()?, 1))
        }
        ProviderName::Stripe => {
            let value = header(provider.signature_header())?;
            let t = value
                .split(',')
                .filter_map(|item| item.strip_prefix("t="))
                .next_back()?;
            Some((t.parse().ok()?, 1000))
        }
        ProviderName::StandardWebhooks => Some((header("webhook-timestamp")?.parse().ok()?, 1000)),
        ProviderName::ModemPay | ProviderName::Github => None,
    }
}

/// The timestamp is in the other unit (seconds for milliseconds or the reverse).
fn units(case: &Case<'_>, (stamp, unit_ms): (u64, u64)) -> Option<String> {
    let near = |ms: u128| ms.abs_diff(case.now_ms()) <= UNIT_WINDOW_MS;
    let provider = case.provider;
    if unit_ms == 1 && near(u128::from(stamp) * 1000) {
        return Some(format!(
            "the timestamp {stamp} is in seconds, but {provider} signs Unix milliseconds"
        ));
    }
    let as_ms = u128::from(stamp);
    (unit_ms == 1000 && near(as_ms)).then(|| {
        format!("the timestamp {stamp} is in milliseconds, but {provider} signs Unix seconds")
    })
}

/// The timestamp is right in kind but too far from now.
fn skew(case: &Case<'_>, (stamp, unit_ms): (u64, u64)) -> String {
    let signed = u128::from(stamp) * u128::from(unit_ms);
    let now = case.now_ms();
    let secs = signed.abs_diff(now) / 1000;
    let side = if signed < now {
        "in the past"
    } else {
        "in the future"
    };
    let tolerance = case.tolerance.unwrap_or_default().as_secs();
    format!(
        "timestamp is {secs} s away from now, beyond the tolerance of {tolerance} s (it is \
         {side}): check the sender's clock, or judge a recorded delivery with --now-ms"
    )
}

/// The signature holds over another form of the body.
fn body(case: &Case<'_>) -> Option<String> {
    let trimmed = case.body.trim_ascii_end();
    if trimmed.len() != case.body.len() && case.verifies(case.provider, case.secrets, trimmed) {
        return Some(
            "the body file ends with whitespace (a trailing newline?) the sender did not sign: \
             verify the exact bytes received"
                .to_owned(),
        );
    }
    let mut reserialized = reserializations(case.body)
        .into_iter()
        .filter(|b| b != case.body);
    reserialized
        .any(|variant| case.verifies(case.provider, case.secrets, &variant))
        .then(|| "the body was re-serialized JSON: verify the raw bytes".to_owned())
}

/// Compact forms of a JSON body: whitespace dropped in place, and serde_json's output.
fn reserializations(body: &[u8]) -> Vec<Vec<u8>> {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut variants = vec![minify(body)];
    variants.extend(serde_json::to_vec(&value).ok());
    variants
}

/// `json` without the whitespace between its tokens, keys left in their order.
fn minify(json: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(json.len());
    let (mut in_string, mut escaped) = (false, false);
    for &byte in json {
        if in_string {
            let was_escaped = escaped;
            escaped = !was_escaped && byte == b'\\';
            in_string = was_escaped || byte != b'"';
        } else if byte.is_ascii_whitespace() {
            continue;
        } else {
            in_string = byte == b'"';
        }
        out.push(byte);
    }
    out
}

/// The signature holds under a variant of a secret.
fn secret(case: &Case<'_>) -> Option<String> {
    case.secrets.iter().find_map(|secret| {
        secret_variants(case.provider, secret)
            .into_iter()
            .find(|(variant, _)| {
                case.verifies(case.provider, std::slice::from_ref(variant), case.body)
            })
            .map(|(_, hint)| hint)
    })
}

/// Variants of `secret`, each with the hint it stands for.
fn secret_variants(provider: ProviderName, secret: &Secret) -> Vec<(Secret, String)> {
    let Ok(text) = std::str::from_utf8(secret.expose_bytes()) else {
        return Vec::new();
    };
    let mut variants = Vec::new();
    let mut push =
        |key: String, hint: String| variants.extend(Secret::new(key).ok().map(|s| (s, hint)));
    if text.trim() != text {
        push(
            text.trim().to_owned(),
            "the secret has surrounding whitespace: trim it".to_owned(),
        );
    }
    match text.strip_prefix(WHSEC) {
        Some(bare) => push(
            bare.to_owned(),
            format!(
                "the signature matches the secret without its `{WHSEC}` prefix: drop the prefix"
            ),
        ),
        None => push(
            format!("{WHSEC}{text}"),
            format!(
                "the signature matches the secret with `{WHSEC}` in front: {provider} keys the \
                 MAC with the whole secret, prefix included"
            ),
        ),
    }
    variants
}

/// The delivery verifies, or at least looks like, another provider's.
fn other_provider(case: &Case<'_>) -> Option<String> {
    let others = || {
        ProviderName::ALL
            .into_iter()
            .filter(|p| *p != case.provider)
    };
    let verified = others().find(|p| case.verifies(*p, case.secrets, case.body));
    if let Some(other) = verified {
        return Some(format!(
            "this looks like a {other} delivery: it verifies with --provider {other}"
        ));
    }
    let provider = case.provider;
    if case.headers.contains_key(provider.signature_header()) {
        return None;
    }
    others()
        .find(|p| case.headers.contains_key(p.signature_header()))
        .map(|other| {
            format!(
                "this looks like a {other} delivery (it has `{}`): try --provider {other}",
                other.signature_header()
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minify_keeps_strings_and_order() {
        let pretty = b"{\n  \"b\": \"a b\\\" c\",\n  \"a\": [1, 2]\n}\n";
        assert_eq!(minify(pretty), br#"{"b":"a b\" c","a":[1,2]}"#.to_vec());
    }
}
