//! The requests a receiver refused, as the console lists them.

use std::net::SocketAddr;
use std::time::SystemTime;

/// One request the receiver refused: when, for which provider, with which status and
/// why, how large, from where. Never its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedEntry {
    /// When it was refused.
    pub at: SystemTime,
    /// The provider whose endpoint it reached, e.g. `modem-pay`.
    pub provider: String,
    /// The status it was answered: 401 (signature), 400 (not the provider's envelope),
    /// 413 (too large), 503 (overloaded or shutting down).
    pub status: u16,
    /// Why, as the receiver said it.
    pub reason: String,
    /// The body's size in bytes, when known.
    pub size: Option<u64>,
    /// Where it came from, when known.
    pub source: Option<SocketAddr>,
}

/// A bounded record of the requests a receiver refused recently, for the console's
/// Refused page.
///
/// ```
/// use std::sync::Mutex;
/// use std::time::SystemTime;
/// use webhook_console::{RefusedEntry, RefusedLog};
///
/// #[derive(Default)]
/// struct Recent(Mutex<Vec<RefusedEntry>>);
///
/// impl RefusedLog for Recent {
///     fn recent(&self) -> Vec<RefusedEntry> {
///         self.0.lock().unwrap().clone()
///     }
/// }
///
/// let log = Recent::default();
/// log.0.lock().unwrap().push(RefusedEntry {
///     at: SystemTime::now(),
///     provider: "modem-pay".into(),
///     status: 401,
///     reason: "signature mismatch".into(),
///     size: Some(512),
///     source: Some("203.0.113.9:40112".parse().unwrap()),
/// });
/// assert_eq!(log.recent().len(), 1);
/// ```
pub trait RefusedLog: Send + Sync {
    /// The entries kept, in any order (the console shows the newest first).
    fn recent(&self) -> Vec<RefusedEntry>;
}

impl<T: RefusedLog + ?Sized> RefusedLog for std::sync::Arc<T> {
    fn recent(&self) -> Vec<RefusedEntry> {
        (**self).recent()
    }
}
