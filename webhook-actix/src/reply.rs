//! Translating the core's `http::Response` back into an actix-web response.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::web::Bytes;
use http_body_util::{BodyExt, Full};

/// The same status, every header and the body. Both `http` versions accept exactly
/// the same statuses, names and values, so the conversions cannot fail on a response
/// the core built.
pub(crate) async fn reply(response: http::Response<Full<Bytes>>) -> HttpResponse {
    let (parts, body) = response.into_parts();
    let status = StatusCode::from_u16(parts.status.as_u16())
        .expect("`http` 0.2 and 1 accept the same status codes");
    let mut reply = HttpResponse::build(status);
    for (name, value) in &parts.headers {
        let name = HeaderName::from_bytes(name.as_str().as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            reply.append_header((name, value));
        }
    }
    // One frame already in memory: ready at once, and `Full` cannot fail.
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(never) => match never {},
    };
    reply.body(body)
}
