//! The stylesheet, the script and the icon, embedded in the binary.

use bytes::Bytes;
use http::StatusCode;

use crate::respond::Reply;

/// The console's stylesheet.
pub(crate) const CSS: &str = include_str!("../assets/console.css");
/// The console's one script: live refresh and small conveniences.
pub(crate) const JS: &str = include_str!("../assets/console.js");
/// The tab icon.
pub(crate) const ICON: &str = include_str!("../assets/icon.svg");

/// The asset `name` (under `/assets/`), or `None`.
pub(crate) fn asset(name: &str) -> Option<Reply> {
    let (content_type, body) = match name {
        "console.css" => ("text/css; charset=utf-8", CSS),
        "console.js" => ("text/javascript; charset=utf-8", JS),
        "icon.svg" => ("image/svg+xml", ICON),
        _ => return None,
    };
    Some(Reply::bytes(
        StatusCode::OK,
        content_type,
        Bytes::from_static(body.as_bytes()),
    ))
}
