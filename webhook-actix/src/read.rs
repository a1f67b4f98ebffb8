//! Reading a request payload up to the receiver's limit, and no further.

use actix_web::web::{Bytes, Payload};
use webhook_core::Answer;

/// The whole payload when it is at most `limit` bytes; otherwise the core's 413,
/// decided as soon as the limit is passed rather than after buffering the rest.
pub(crate) async fn read_body(payload: Payload, limit: usize) -> Result<Bytes, Answer> {
    match payload.to_bytes_limited(limit).await {
        Ok(Ok(body)) => Ok(body),
        Ok(Err(_unreadable)) => Err(Answer::body_unreadable()),
        Err(_over_limit) => Err(Answer::payload_too_large()),
    }
}
