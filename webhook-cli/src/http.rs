//! The lean HTTP/1 plumbing `trigger` and `listen` share: a plain-http client (no TLS,
//! these are local and test URLs) and small response helpers.

use std::error::Error as _;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{HeaderMap, StatusCode, Uri};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client as LegacyClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::common::Failure;

/// How long one request may take before it counts as failed.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// The HTTP/1 client: pooled connections, plain http only.
pub(crate) type Client = LegacyClient<HttpConnector, Full<Bytes>>;

/// A new client.
pub(crate) fn client() -> Client {
    LegacyClient::builder(TokioExecutor::new()).build_http()
}

/// Parses a target URL; only `http://` is supported.
pub(crate) fn parse_url(url: &str) -> Result<Uri, Failure> {
    let uri: Uri = url
        .parse()
        .map_err(|e| Failure::usage(format_args!("`{url}` is not a URL: {e}")))?;
    match (uri.scheme_str(), uri.authority()) {
        (Some("http"), Some(_)) => Ok(uri),
        (Some("https"), _) => Err(Failure::usage(format_args!(
            "`{url}`: only http:// is supported (this is for local testing, without TLS)"
        ))),
        _ => Err(Failure::usage(format_args!(
            "`{url}` is not an http:// URL with a host, e.g. http://127.0.0.1:3000/webhooks"
        ))),
    }
}

/// What a target answered, and how long it took.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Answered {
    /// The response status.
    pub(crate) status: StatusCode,
    /// From sending the request to the end of the response body.
    pub(crate) latency: Duration,
}

/// POSTs `body` with `headers` to `uri` and reads the whole response.
pub(crate) async fn post(
    client: &Client,
    uri: &Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answered, String> {
    let mut request = http::Request::post(uri.clone())
        .body(Full::new(body))
        .map_err(|e| e.to_string())?;
    *request.headers_mut() = headers;
    let started = Instant::now();
    let exchange = async {
        let response = client.request(request).await.map_err(|e| chain(&e))?;
        let status = response.status();
        let _ = response.into_body().collect().await;
        Ok::<_, String>(status)
    };
    let status = tokio::time::timeout(REQUEST_TIMEOUT, exchange)
        .await
        .map_err(|_| format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()))??;
    Ok(Answered {
        status,
        latency: started.elapsed(),
    })
}

/// An error with its causes, `outer: inner: …`.
fn chain(error: &hyper_util::client::legacy::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

/// A plain-text response.
pub(crate) fn reply(status: StatusCode, text: &'static str) -> http::Response<Full<Bytes>> {
    let mut response = http::Response::new(Full::new(Bytes::from_static(text.as_bytes())));
    *response.status_mut() = status;
    response
}

/// A latency in milliseconds with one decimal, e.g. `3.2 ms`.
pub(crate) fn millis(latency: Duration) -> String {
    format!("{:.1} ms", latency.as_secs_f64() * 1000.0)
}
