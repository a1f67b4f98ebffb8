//! `Answer`: the framework-neutral reply the receiver decides and adapters send.

use http::StatusCode;

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

    /// 413: the body is over the receiver's limit. Adapters answer this while reading.
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
}
