//! Reading a request body up to the receiver's limit, and no further.

use std::error::Error;

use axum::body::{Body, Bytes};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use webhook_core::Answer;

/// The whole body when it is at most `limit` bytes; otherwise the core's 413, decided
/// as soon as the limit is passed rather than after buffering the rest.
pub(crate) async fn read_body(body: Body, limit: usize) -> Result<Bytes, Answer> {
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(error) if over_limit(&*error) => Err(Answer::payload_too_large()),
        Err(_) => Err(Answer::body_unreadable()),
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
