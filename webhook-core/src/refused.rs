//! `Refused`: what the receiver remembers of each request it refused, in a bounded ring
//! read newest first (for an admin console, or a look after an incident).

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::time::SystemTime;

/// How many refused requests a receiver remembers by default.
pub(crate) const DEFAULT_REFUSED_KEPT: usize = 1000;

/// One request the receiver refused (401, 400, 413, 408 or 503): when, for which
/// provider, the answer, and what is known of the request without its contents.
///
/// It holds no body, no header value and no secret: only the status and short reason
/// the sender saw, the verification check that failed, the body's size and where the
/// request came from. Read them with [`Receiver::refused`](crate::Receiver::refused).
///
/// ```
/// # use webhook_core::futures::future::BoxFuture;
/// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
/// use webhook_core::providers::ModemPay;
/// use webhook_core::testing::{FakeDelivery, test_secret};
/// use webhook_core::Receiver;
/// # struct Payments;
/// # impl Handler for Payments {
/// #     type Provider = ModemPay;
/// #     const EVENTS: &'static [&'static str] = &[];
/// #     fn route(&self, _: &str) -> Option<Ack> { None }
/// #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
/// #         Box::pin(async { Ok(()) })
/// #     }
/// # }
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let receiver = Receiver::builder(Payments).secret(test_secret()).build();
/// let tampered = FakeDelivery::new(ModemPay::default(), "charge.succeeded", serde_json::json!({ "id": "ch_1" }))
///     .tampered();
/// tampered.send(&receiver).await;
///
/// let refused = receiver.refused();
/// assert_eq!(refused[0].status, 401);
/// assert_eq!(refused[0].reason, "invalid signature");
/// assert_eq!(refused[0].check, Some("no_signature_matched"));
/// assert_eq!(refused[0].provider, "modem-pay");
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// When the receiver answered, by its clock.
    pub at: SystemTime,
    /// The provider's name, e.g. `github`.
    pub provider: &'static str,
    /// The HTTP status sent: 400, 401, 408, 413 or 503.
    pub status: u16,
    /// The short reason the sender saw, e.g. `invalid signature`.
    pub reason: &'static str,
    /// Which verification check failed (a [`VerifyError::check`](crate::VerifyError::check)
    /// name such as `no_signature_matched`), on 401s.
    pub check: Option<&'static str>,
    /// The body's size in bytes: as read, or as declared by `Content-Length` when the
    /// request was refused before its body was read.
    pub size: Option<u64>,
    /// The address the request came from, when the server told
    /// ([`PeerAddr`](crate::PeerAddr)).
    pub source: Option<SocketAddr>,
}

/// The last `capacity` refused requests; recording one takes a lock, reading copies.
#[derive(Debug)]
pub(crate) struct RefusedLog {
    capacity: usize,
    entries: Mutex<VecDeque<Refused>>,
}

impl RefusedLog {
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            entries: Mutex::new(VecDeque::new()),
        }
    }

    /// Keeps `refused`, forgetting the oldest one when full.
    pub(crate) fn record(&self, refused: Refused) {
        if self.capacity == 0 {
            return;
        }
        let mut entries = self.lock();
        if entries.len() == self.capacity {
            entries.pop_front();
        }
        entries.push_back(refused);
    }

    /// Every kept entry, newest first.
    pub(crate) fn newest_first(&self) -> Vec<Refused> {
        self.lock().iter().rev().cloned().collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Refused>> {
        // A panic while holding the lock leaves whole entries: the ring is still valid.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(status: u16) -> Refused {
        Refused {
            at: SystemTime::UNIX_EPOCH,
            provider: "test",
            status,
            reason: "test",
            check: None,
            size: None,
            source: None,
        }
    }

    #[test]
    fn the_ring_keeps_the_newest_and_reads_them_newest_first() {
        let log = RefusedLog::new(2);
        for status in [400, 401, 413] {
            log.record(refused(status));
        }
        let statuses: Vec<u16> = log.newest_first().iter().map(|r| r.status).collect();
        assert_eq!(statuses, [413, 401]);
    }

    #[test]
    fn a_ring_of_zero_keeps_nothing() {
        let log = RefusedLog::new(0);
        log.record(refused(400));
        assert!(log.newest_first().is_empty());
    }
}
