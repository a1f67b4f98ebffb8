//! What the end-to-end tests share: signed Modem Pay deliveries as raw HTTP/1.1
//! requests, a minimal client that sends one request per connection to loopback, and
//! the example server as a child process ([`example`]).

pub(crate) mod example;

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use webhook_core::Event;
use webhook_core::Secret;
use webhook_core::providers::ModemPay;
use webhook_core::providers::modem_pay::ChargeSucceeded;
use webhook_core::testing::FakeDelivery;

/// The webhook secret the servers under test verify with.
pub(crate) const SECRET: &str = "whsec_ZTJlLXJlbGlhYmlsaXR5LXRlc3RzLXNlY3JldA==";

/// The secret as the receiver takes it.
pub(crate) fn secret() -> Secret {
    Secret::new(SECRET).expect("the test secret is not empty")
}

/// A signed `charge.succeeded` whose charge id is `id` (its dedupe key is then
/// `charge.succeeded:<id>`), as the bytes of an HTTP/1.1 `POST path` that asks the
/// server to close the connection after answering.
pub(crate) fn signed_charge(id: &str, path: &str) -> Vec<u8> {
    let mut charge = ChargeSucceeded::sample();
    charge.id = id.to_owned();
    let (headers, body) = FakeDelivery::new(ModemPay::default(), "charge.succeeded", charge)
        .secret(secret())
        .to_parts();
    let mut request = format!("POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\nconnection: close\r\n");
    for (name, value) in &headers {
        let value = value.to_str().expect("signed headers are ASCII");
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    if !headers.contains_key(http::header::CONTENT_TYPE) {
        request.push_str("content-type: application/json\r\n");
    }
    request.push_str(&format!("content-length: {}\r\n\r\n", body.len()));
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(&body);
    bytes
}

/// What the server answered.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The `Retry-After` header, if any.
    pub(crate) retry_after: Option<String>,
    /// The body as text (the receiver's reason: `accepted`, `duplicate`, `overloaded`…).
    pub(crate) body: String,
}

/// Sends `request` (from [`signed_charge`]) to `addr` on a new connection and reads
/// the whole answer. Any failure (refused, reset, timed out, an incomplete answer) is
/// an error: the delivery was not acknowledged.
pub(crate) async fn post(
    addr: SocketAddr,
    request: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    assert!(
        addr.ip().is_loopback(),
        "end-to-end tests only talk to loopback"
    );
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        stream.write_all(request).await?;
        let mut answer = Vec::with_capacity(512);
        stream.read_to_end(&mut answer).await?;
        parse(&answer)
    };
    tokio::time::timeout(timeout, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "no answer in time",
            ))
        })
}

fn parse(answer: &[u8]) -> std::io::Result<Response> {
    let invalid = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_owned());
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| invalid("incomplete answer"))?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .strip_prefix("HTTP/1.1 ")
        .and_then(|rest| rest.get(..3))
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let mut retry_after = None;
    let mut content_length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("retry-after") {
            retry_after = Some(value.trim().to_owned());
        } else if name.eq_ignore_ascii_case("content-length") {
            content_length = value.trim().parse::<usize>().ok();
        }
    }
    if content_length.is_some_and(|length| body.len() < length) {
        return Err(invalid("answer cut short"));
    }
    Ok(Response {
        status,
        retry_after,
        body: body.to_owned(),
    })
}
