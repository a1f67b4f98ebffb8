//! Translating actix-web's header map (on `http` 0.2) into the `http` 1 map the core takes.

use actix_web::http::header::HeaderMap as ActixHeaders;
use http::{HeaderMap, HeaderName, HeaderValue};

/// Every header, every value, in order. Both `http` versions accept exactly the same
/// names and values, so the conversions cannot fail on a map actix-web built.
pub(crate) fn headers(actix: &ActixHeaders) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(actix.len());
    for (name, value) in actix {
        let name = HeaderName::from_bytes(name.as_str().as_bytes());
        let value = HeaderValue::from_bytes(value.as_bytes());
        if let (Ok(name), Ok(value)) = (name, value) {
            headers.append(name, value);
        }
    }
    headers
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::{HeaderName as ActixName, HeaderValue as ActixValue};

    use super::*;

    #[test]
    fn every_value_of_every_header_crosses_in_order() {
        let mut actix = ActixHeaders::new();
        let name = ActixName::from_static("x-modem-signature");
        actix.append(name.clone(), ActixValue::from_static("first"));
        actix.append(name, ActixValue::from_static("second"));
        actix.insert(
            ActixName::from_static("content-type"),
            ActixValue::from_static("text/plain"),
        );

        let headers = headers(&actix);
        let signatures: Vec<_> = headers.get_all("x-modem-signature").iter().collect();
        assert_eq!(signatures, ["first", "second"]);
        assert_eq!(headers["content-type"], "text/plain");
        assert_eq!(headers.len(), 3);
    }
}
