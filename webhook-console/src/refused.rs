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

/// A receiver's own record of what it refused ([`Receiver::refused`](webhook_core::Receiver::refused)):
/// give the receiver to [`Console::refused_log`](crate::Console::refused_log).
impl RefusedLog for webhook_core::Receiver {
    fn recent(&self) -> Vec<RefusedEntry> {
        self.refused()
            .into_iter()
            .map(|refused| RefusedEntry {
                at: refused.at,
                provider: refused.provider.to_owned(),
                status: refused.status,
                reason: match refused.check {
                    Some(check) => format!("{} ({check})", refused.reason),
                    None => refused.reason.to_owned(),
                },
                size: refused.size,
                source: refused.source,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::RefusedLog;
    use webhook_core::providers::ModemPay;
    use webhook_core::testing::{FakeDelivery, test_secret};
    use webhook_core::{Ack, Context, DispatchError, Handler, Receiver, Verified};

    struct Nothing;

    impl Handler for Nothing {
        type Provider = ModemPay;
        const EVENTS: &'static [&'static str] = &["charge.succeeded"];
        fn route(&self, _: &str) -> Option<Ack> {
            Some(Ack::Immediate)
        }
        fn handle<'a>(
            &'a self,
            _: &'a Verified,
            _: Context,
        ) -> webhook_core::futures::future::BoxFuture<'a, Result<(), DispatchError>> {
            Box::pin(async { Ok(()) })
        }
    }

    #[tokio::test]
    async fn a_receivers_refusals_reach_the_console_with_the_failed_check() {
        let receiver = Receiver::builder(Nothing).secret(test_secret()).build();
        let fake = FakeDelivery::new(
            ModemPay::default(),
            "charge.succeeded",
            serde_json::json!({"id": "ch_1"}),
        );
        assert_eq!(fake.tampered().send(&receiver).await.status(), 401);
        let entries = receiver.recent();
        assert_eq!(entries.len(), 1);
        assert_eq!(
            (entries[0].status, entries[0].provider.as_str()),
            (401, "modem-pay")
        );
        assert!(
            entries[0].reason.starts_with("invalid signature ("),
            "{}",
            entries[0].reason
        );
    }
}
