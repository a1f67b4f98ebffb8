//! Turning the receiver's [`Answer`] into an actix-web response.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::RETRY_AFTER;
use webhook_core::Answer;

/// The answer's status, its reason as a `text/plain` body, and `Retry-After` when the
/// answer asks the sender to come back later.
pub(crate) fn reply(answer: Answer) -> HttpResponse {
    let status = StatusCode::from_u16(answer.status().as_u16())
        .expect("`http` 0.2 and 1 accept the same status codes");
    let mut response = HttpResponse::build(status);
    response.content_type("text/plain; charset=utf-8");
    if let Some(secs) = answer.retry_after_secs() {
        response.insert_header((RETRY_AFTER, secs));
    }
    response.body(answer.reason())
}
