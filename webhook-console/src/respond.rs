//! Responses, each with the console's security headers.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use maud::Markup;

/// The policy of every page: the console's own script and stylesheet, nothing inline,
/// no plugin, no frame, forms posting to the console only.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; \
     frame-ancestors 'none'; base-uri 'none'";

/// A response under construction: status, body, content type and cookies to set.
pub(crate) struct Reply {
    status: StatusCode,
    body: Bytes,
    content_type: &'static str,
    headers: Vec<(header::HeaderName, String)>,
}

impl Reply {
    /// An HTML page.
    pub(crate) fn html(status: StatusCode, markup: Markup) -> Self {
        Self {
            status,
            body: Bytes::from(markup.into_string()),
            content_type: "text/html; charset=utf-8",
            headers: Vec::new(),
        }
    }

    /// Plain text (answers to scripts).
    pub(crate) fn text(status: StatusCode, text: impl Into<String>) -> Self {
        Self {
            status,
            body: Bytes::from(text.into()),
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
        }
    }

    /// Bytes of `content_type`.
    pub(crate) fn bytes(status: StatusCode, content_type: &'static str, body: Bytes) -> Self {
        Self {
            status,
            body,
            content_type,
            headers: Vec::new(),
        }
    }

    /// 303 See Other to `location` (after a `POST`).
    pub(crate) fn see_other(location: String) -> Self {
        Self::text(StatusCode::SEE_OTHER, "").header(header::LOCATION, location)
    }

    /// Adds a header (values that are not valid header text are dropped).
    pub(crate) fn header(mut self, name: header::HeaderName, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// The response, with the security headers.
    pub(crate) fn finish(self, cache: &'static str) -> Response<Bytes> {
        let mut response = Response::new(self.body);
        *response.status_mut() = self.status;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(self.content_type),
        );
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
        headers.insert(
            "cross-origin-opener-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(
            "cross-origin-resource-policy",
            HeaderValue::from_static("same-origin"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        for (name, value) in self.headers {
            if let Ok(value) = HeaderValue::try_from(value) {
                headers.append(name, value);
            }
        }
        response
    }
}

/// A `Set-Cookie` value: `HttpOnly`, `SameSite=Strict`, for the console's path,
/// `Secure` when the request came over HTTPS; `max_age` 0 deletes it.
pub(crate) fn cookie(name: &str, value: &str, path: &str, secure: bool, max_age: u64) -> String {
    let path = if path.is_empty() { "/" } else { path };
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path={path}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
}
