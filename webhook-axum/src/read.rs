//! Reading a request body for the [`Webhook`](crate::Webhook) extractor: up to the
//! limit, and no further.

use std::error::Error;

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::extract::WebhookRejection;

/// The whole body when it is at most `limit` bytes; otherwise 413, up front when the
/// `Content-Length` says so, else as soon as the limit is passed rather than after
/// buffering the rest.
pub(crate) async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, WebhookRejection> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if declared.is_some_and(|declared| declared > limit as u64) {
        return Err(WebhookRejection::PayloadTooLarge);
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if over_limit(&*error) => Err(WebhookRejection::PayloadTooLarge),
        Err(error) => Err(WebhookRejection::BodyUnreadable(error)),
    }
}

/// True when `error`, or an error it wraps, is a body limit being passed: ours, or one
/// an outer layer (tower-http's `RequestBodyLimit`) put on the body before us.
fn over_limit(error: &(dyn Error + 'static)) -> bool {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<LengthLimitError>() {
            return true;
        }
        next = error.source();
    }
    false
}
