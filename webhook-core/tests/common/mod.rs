//! What several test binaries share: a handler whose outcome its event type decides, and
//! a writer that keeps what a `tracing` subscriber writes.
#![allow(dead_code)] // each binary uses its own part

use std::io::Write;
use std::sync::{Arc, Mutex};

use tracing_subscriber::fmt::MakeWriter;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::{Ack, Context, DispatchError, Handler, Verified};

/// Routes `charge.succeeded` (immediate) and `charge.failed` (fails every attempt).
pub(crate) struct Charges;

impl Handler for Charges {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded", "charge.failed"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        Self::EVENTS.contains(&event_type).then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        _: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            match delivery.event_type() {
                "charge.failed" => Err(DispatchError::failed("always fails")),
                _ => Ok(()),
            }
        })
    }
}

/// Everything a subscriber given it as its writer wrote.
#[derive(Clone, Default)]
pub(crate) struct Captured(Arc<Mutex<Vec<u8>>>);

impl Captured {
    /// What was written so far.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }

    /// What was written since the last `take`, forgetting it.
    pub(crate) fn take(&self) -> String {
        let mut bytes = self.0.lock().unwrap();
        String::from_utf8_lossy(&std::mem::take(&mut *bytes)).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Self;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}
