//! A hand-written handler whose behaviour each test chooses, and the probe that
//! records what it did.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Deserialize;
use webhook_core::futures::future::BoxFuture;
use webhook_core::providers::ModemPay;
use webhook_core::{Ack, Context, DispatchError, Handler, Verified};

/// What the handler does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Behaviour {
    /// Succeeds.
    Succeed,
    /// Fails its first attempt with an error, then succeeds.
    FailOnce,
    /// Panics on its first attempt, then succeeds.
    PanicOnce,
    /// Never returns on its first attempt, then succeeds.
    HangFirst,
    /// Always fails.
    AlwaysFail,
    /// Sleeps this long, then succeeds.
    Slow(Duration),
    /// Parses the data as a charge with an `amount`, until the probe is fixed.
    Typed,
    /// Waits at the probe's gate on charges whose id starts with `ch_gate` (one
    /// [`Probe::open_gate`] lets one through); succeeds at once on the others.
    Gated,
}

/// What the handler saw and did, shared by every handler built from it.
#[derive(Debug, Default)]
pub(crate) struct Probe {
    started: Mutex<Vec<(String, u32)>>,
    succeeded: Mutex<HashMap<String, u32>>,
    fixed: AtomicBool,
    gate: Gate,
}

/// Where [`Behaviour::Gated`] handlers wait: closed until opened, once per handler.
#[derive(Debug)]
struct Gate(tokio::sync::Semaphore);

impl Default for Gate {
    fn default() -> Self {
        Self(tokio::sync::Semaphore::new(0))
    }
}

impl Probe {
    pub(crate) fn new() -> Arc<Self> {
        Arc::default()
    }

    /// Every attempt started, as `(dedupe key, attempt)`.
    pub(crate) fn started(&self) -> Vec<(String, u32)> {
        self.started.lock().unwrap().clone()
    }

    /// How many attempts succeeded, per dedupe key.
    pub(crate) fn succeeded(&self) -> HashMap<String, u32> {
        self.succeeded.lock().unwrap().clone()
    }

    /// Lets one [`Behaviour::Gated`] handler through its gate.
    pub(crate) fn open_gate(&self) {
        self.gate.0.add_permits(1);
    }

    /// Makes [`Behaviour::Typed`] accept every payload (the "fix" before a replay).
    pub(crate) fn fix(&self) {
        self.fixed.store(true, Ordering::SeqCst);
    }
}

/// The handler under test, for Modem Pay's `charge.succeeded`.
pub(crate) struct TestHandler {
    pub(crate) behaviour: Behaviour,
    pub(crate) probe: Arc<Probe>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Charge {
    id: String,
    amount: u64,
}

impl TestHandler {
    async fn act(&self, delivery: &Verified, attempt: u32) -> Result<(), DispatchError> {
        match self.behaviour {
            Behaviour::Succeed => Ok(()),
            Behaviour::FailOnce if attempt == 1 => {
                Err(DispatchError::failed("first attempt fails"))
            }
            Behaviour::PanicOnce if attempt == 1 => panic!("first attempt panics"),
            Behaviour::HangFirst if attempt == 1 => std::future::pending().await,
            Behaviour::FailOnce | Behaviour::PanicOnce | Behaviour::HangFirst => Ok(()),
            Behaviour::AlwaysFail => Err(DispatchError::failed("always fails")),
            Behaviour::Slow(duration) => {
                tokio::time::sleep(duration).await;
                Ok(())
            }
            Behaviour::Gated
                if delivery
                    .dedupe_key()
                    .starts_with("charge.succeeded:ch_gate") =>
            {
                self.probe
                    .gate
                    .0
                    .acquire()
                    .await
                    .expect("the gate is never closed")
                    .forget();
                Ok(())
            }
            Behaviour::Gated => Ok(()),
            Behaviour::Typed if self.probe.fixed.load(Ordering::SeqCst) => Ok(()),
            Behaviour::Typed => delivery
                .parse::<Charge>()
                .map(drop)
                .map_err(DispatchError::payload),
        }
    }
}

impl Handler for TestHandler {
    type Provider = ModemPay;
    const EVENTS: &'static [&'static str] = &["charge.succeeded"];

    fn route(&self, event_type: &str) -> Option<Ack> {
        Self::EVENTS.contains(&event_type).then_some(Ack::Immediate)
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Box::pin(async move {
            let key = delivery.dedupe_key().to_owned();
            self.probe
                .started
                .lock()
                .unwrap()
                .push((key.clone(), ctx.attempt()));
            self.act(delivery, ctx.attempt()).await?;
            *self.probe.succeeded.lock().unwrap().entry(key).or_default() += 1;
            Ok(())
        })
    }
}
