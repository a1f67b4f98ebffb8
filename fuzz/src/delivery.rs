//! `FuzzDelivery`: fuzz bytes read as the clock, a secret, header values and a body.
//!
//! The format is lines, a NUL, then the body:
//!
//! ```text
//! <now: unix ms, '-' for before the epoch>\n<secret>\n<value 0>\n<value 1>\n…\0<body>
//! ```
//!
//! Value `i` goes to header `names[i % names.len()]` (so a long list repeats headers);
//! a value that cannot be a header value is left out, which exercises "missing". An
//! empty or unreadable clock is [`DEFAULT_NOW_MS`]; an empty secret is the testing kit's.
//! A header value cannot hold a NUL or a newline, so this split loses nothing a real
//! request could carry.

use std::time::{Duration, SystemTime};

use http::{HeaderMap, HeaderName, HeaderValue};
use webhook_core::Secret;
use webhook_core::testing::test_secret;

/// The clock when the input names none: 2026-01-01T00:00:00Z, in Unix milliseconds.
pub const DEFAULT_NOW_MS: u64 = 1_767_225_600_000;

/// One delivery decoded from fuzz bytes.
#[derive(Debug)]
pub struct FuzzDelivery<'a> {
    /// The instant verification runs at.
    pub now: SystemTime,
    /// The secret the receiver is configured with.
    pub secret: Secret,
    /// The headers the sender sent.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: &'a [u8],
}

impl<'a> FuzzDelivery<'a> {
    /// Decodes `data`, giving value `i` to header `names[i % names.len()]`.
    pub fn parse(data: &'a [u8], names: &[&'static str]) -> Self {
        let (head, body) = match data.iter().position(|&b| b == 0) {
            Some(nul) => (&data[..nul], &data[nul + 1..]),
            None => (data, &data[data.len()..]),
        };
        let mut lines = head.split(|&b| b == b'\n');
        let now = lines.next().map_or_else(default_now, clock);
        let secret = lines
            .next()
            .and_then(|line| Secret::new(line).ok())
            .unwrap_or_else(test_secret);
        let headers = headers(names, lines);
        Self {
            now,
            secret,
            headers,
            body,
        }
    }

    /// The bytes [`FuzzDelivery::parse`] reads back as these parts (for seeds).
    pub fn encode(now_ms: u64, secret: &[u8], values: &[&[u8]], body: &[u8]) -> Vec<u8> {
        let mut out = now_ms.to_string().into_bytes();
        out.push(b'\n');
        out.extend_from_slice(secret);
        for value in values {
            out.push(b'\n');
            out.extend_from_slice(value);
        }
        out.push(0);
        out.extend_from_slice(body);
        out
    }
}

/// The values of `names`, in order, out of a signer's header map (for seeds).
pub fn values_of<'h>(headers: &'h HeaderMap, names: &[&'static str]) -> Vec<&'h [u8]> {
    let value = |name: &&str| headers.get(*name).map_or(&b""[..], HeaderValue::as_bytes);
    names.iter().map(value).collect()
}

fn headers<'a>(names: &[&'static str], values: impl Iterator<Item = &'a [u8]>) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if names.is_empty() {
        return headers;
    }
    for (i, value) in values.enumerate() {
        let name = HeaderName::from_static(names[i % names.len()]);
        if let Ok(value) = HeaderValue::from_bytes(value) {
            headers.append(name, value);
        }
    }
    headers
}

fn default_now() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_millis(DEFAULT_NOW_MS)
}

/// `<digits>` milliseconds after the epoch, or `-<digits>` before it; saturating reads
/// fall back to the default clock rather than panic in the harness.
fn clock(line: &[u8]) -> SystemTime {
    let text = std::str::from_utf8(line).unwrap_or("");
    let (before, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let Ok(ms) = digits.parse::<u64>() else {
        return default_now();
    };
    let offset = Duration::from_millis(ms);
    let at = if before {
        SystemTime::UNIX_EPOCH.checked_sub(offset)
    } else {
        SystemTime::UNIX_EPOCH.checked_add(offset)
    };
    at.unwrap_or_else(default_now)
}
