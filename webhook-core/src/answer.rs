//! `Answer`: the framework-neutral reply the receiver decides and adapters send.

use bytes::Bytes;
use http::StatusCode;
use http::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use http_body_util::Full;

/// The status and short reason the sender sees. Never carries secrets or internals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    status: StatusCode,
    reason: &'static str,
    retry_after_secs: Option<u32>,
}

impl Answer {
    pub(crate) const fn new(status: StatusCode, reason: &'static str) -> Self {
        Self {
            status,
            reason,
            retry_after_secs: None,
        }
    }

    pub(crate) const fn unavailable(reason: &'static str, retry_after_secs: u32) -> Self {
        Self {
            status: StatusCode::SERVICE_UNAVAILABLE,
            reason,
            retry_after_secs: Some(retry_after_secs),
        }
    }

    /// 401: the signature check failed (missing, malformed, stale or wrong).
    pub const fn invalid_signature() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "invalid signature")
    }

    /// 400: the signature held but the body is not the provider's envelope.
    pub const fn malformed_body() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed body")
    }

    /// 413: the body is over the receiver's limit, answered as soon as the limit is
    /// passed (or up front, from a larger `Content-Length`).
    pub const fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload too large")
    }

    /// 400: the body could not be read (the client went away, or sent it too slowly).
    pub const fn body_unreadable() -> Self {
        Self::new(StatusCode::BAD_REQUEST, "body could not be read")
    }

    /// 408: the body did not arrive within the receiver's read timeout (a slow-drip
    /// client holding a connection open).
    pub const fn body_timed_out() -> Self {
        Self::new(StatusCode::REQUEST_TIMEOUT, "body read timed out")
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// A short reason for the response body, e.g. `invalid signature`.
    pub fn reason(&self) -> &'static str {
        self.reason
    }

    /// Seconds for a `Retry-After` header, on 503 answers.
    pub fn retry_after_secs(&self) -> Option<u32> {
        self.retry_after_secs
    }

    /// True for the answers recorded as refused: 400, 401, 408, 413 and 503.
    pub(crate) fn is_refusal(&self) -> bool {
        matches!(
            self.status,
            StatusCode::BAD_REQUEST
                | StatusCode::UNAUTHORIZED
                | StatusCode::REQUEST_TIMEOUT
                | StatusCode::PAYLOAD_TOO_LARGE
                | StatusCode::SERVICE_UNAVAILABLE
        )
    }
}

/// The answer as every adapter sends it: the status, the reason as a `text/plain`
/// body, and `Retry-After` on answers that ask the sender to come back later.
///
/// The body is a [`Full`] of the reason's static bytes: one frame, its length known up
/// front (servers send it with `Content-Length`), no allocation and no error type.
///
/// ```
/// use http_body_util::Full;
/// use webhook_core::Answer;
///
/// let response = http::Response::<Full<bytes::Bytes>>::from(Answer::payload_too_large());
/// assert_eq!(response.status(), 413);
/// assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
/// ```
impl From<Answer> for http::Response<Full<Bytes>> {
    fn from(answer: Answer) -> Self {
        let mut response =
            http::Response::new(Full::new(Bytes::from_static(answer.reason.as_bytes())));
        *response.status_mut() = answer.status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(TEXT_PLAIN));
        if let Some(secs) = answer.retry_after_secs {
            headers.insert(RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// The content type of every answer's body.
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
