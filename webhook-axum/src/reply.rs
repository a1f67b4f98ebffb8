//! Turning the receiver's [`Answer`] into an axum response.

use axum::http::HeaderValue;
use axum::http::header::RETRY_AFTER;
use axum::response::{IntoResponse, Response};
use webhook_core::Answer;

/// The answer's status, its reason as a `text/plain` body, and `Retry-After` when the
/// answer asks the sender to come back later.
pub(crate) fn reply(answer: Answer) -> Response {
    // A `&'static str` body is sent as `text/plain; charset=utf-8`.
    let mut response = (answer.status(), answer.reason()).into_response();
    if let Some(secs) = answer.retry_after_secs() {
        response
            .headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}
