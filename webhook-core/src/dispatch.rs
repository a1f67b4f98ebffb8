//! `Dispatcher`: runs one attempt of a handler with a timeout and panic capture, and
//! decides what happens next. Every sink runs handlers through it.

use std::any::Any;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use tracing::Instrument;

use crate::delivery::Verified;
use crate::handler::{Ack, Context, DispatchError, Handler};
use crate::metrics::Metrics;
use crate::retry::RetryPolicy;

/// What a sink does with a delivery after one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The handler succeeded.
    Done,
    /// The attempt failed; try again after the delay.
    Retry {
        /// How long to wait.
        after: Duration,
        /// Why the attempt failed.
        error: DispatchError,
    },
    /// No more attempts: keep the delivery as a dead letter.
    Dead(DispatchError),
}

/// The handler side of a receiver, shared by every sink's workers.
#[derive(Clone)]
pub struct Dispatcher {
    handler: Arc<dyn ErasedHandler>,
    /// The receiver's metrics.
    metrics: Arc<Metrics>,
    timeout: Duration,
    retry: RetryPolicy,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dispatcher")
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .finish()
    }
}

impl Dispatcher {
    pub(crate) fn new<H: Handler>(
        handler: Arc<H>,
        provider_label: &'static str,
        catalogue: Vec<&'static str>,
        timeout: Duration,
        retry: RetryPolicy,
    ) -> Self {
        let metrics = Arc::new(Metrics::new(provider_label, H::EVENTS, catalogue));
        Self {
            handler,
            metrics,
            timeout,
            retry,
        }
    }

    /// How `event_type` is acknowledged, or `None` when nothing routes it.
    pub fn route(&self, event_type: &str) -> Option<Ack> {
        self.handler.route(event_type)
    }

    /// The receiver's metrics.
    pub(crate) fn metrics(&self) -> &Metrics {
        &self.metrics
    }

    /// The retry policy.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.retry
    }

    /// The handler timeout (a durable sink's lease must outlast it).
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// Runs attempt `attempt` (1-based) and decides what happens next.
    pub async fn run(&self, delivery: &Verified, attempt: u32) -> Verdict {
        // At `debug`, as the delivery's span: the retry and dead-letter events carry
        // their own fields at `warn` and `error`.
        let span = tracing::debug_span!(
            "webhook.handle",
            provider = delivery.provider(),
            event_type = delivery.event_type(),
            dedupe_key = delivery.dedupe_key(),
            attempt,
        );
        let started = std::time::Instant::now();
        let result = self
            .attempt(delivery, attempt)
            .instrument(span.clone())
            .await;
        let verdict = self.verdict(result, attempt);
        span.in_scope(|| log_verdict(&verdict, delivery, attempt));
        let outcome = match verdict {
            Verdict::Done => "done",
            Verdict::Retry { .. } => "retry",
            Verdict::Dead(_) => "dead",
        };
        self.metrics.handler_finished(
            &self.metrics.label(delivery.event_type()),
            outcome,
            started.elapsed(),
        );
        verdict
    }

    /// One attempt with timeout and panic capture, without a retry decision.
    pub async fn attempt(&self, delivery: &Verified, attempt: u32) -> Result<(), DispatchError> {
        let ctx = Context::new(delivery, attempt);
        let call = AssertUnwindSafe(self.handler.handle(delivery, ctx)).catch_unwind();
        match crate::timeout::within(self.timeout, call).await {
            Err(_) => Err(DispatchError::TimedOut(self.timeout)),
            Ok(Err(panic)) => Err(DispatchError::Panicked(panic_message(&*panic))),
            Ok(Ok(result)) => result,
        }
    }

    fn verdict(&self, result: Result<(), DispatchError>, attempt: u32) -> Verdict {
        let error = match result {
            Ok(()) => return Verdict::Done,
            Err(error) => error,
        };
        match self.retry.delay_after(attempt) {
            Some(after) if !error.is_permanent() => Verdict::Retry { after, error },
            _ => Verdict::Dead(error),
        }
    }
}

/// One event per attempt: `debug` when it succeeded, `warn` for a retry, `error` for a
/// dead letter, each naming the delivery (the span holding it is at `debug`).
fn log_verdict(verdict: &Verdict, delivery: &Verified, attempt: u32) {
    let (provider, event_type, dedupe_key) = (
        delivery.provider(),
        delivery.event_type(),
        delivery.dedupe_key(),
    );
    match verdict {
        Verdict::Done => tracing::debug!(outcome = "done", "handler succeeded"),
        Verdict::Retry { after, error } => tracing::warn!(
            provider,
            event_type,
            dedupe_key,
            attempt,
            outcome = "retry",
            retry_in_ms = after.as_millis() as u64,
            %error,
            "handler failed"
        ),
        Verdict::Dead(error) => tracing::error!(
            provider,
            event_type,
            dedupe_key,
            attempt,
            outcome = "dead",
            %error,
            "event dead-lettered"
        ),
    }
}

fn panic_message(panic: &(dyn Any + Send)) -> String {
    if let Some(message) = panic.downcast_ref::<&str>() {
        (*message).to_owned()
    } else if let Some(message) = panic.downcast_ref::<String>() {
        message.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// `Handler` without its associated items, so a receiver can hold any handler.
trait ErasedHandler: Send + Sync + 'static {
    fn route(&self, event_type: &str) -> Option<Ack>;
    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>>;
}

impl<H: Handler> ErasedHandler for H {
    fn route(&self, event_type: &str) -> Option<Ack> {
        Handler::route(self, event_type)
    }

    fn handle<'a>(
        &'a self,
        delivery: &'a Verified,
        ctx: Context,
    ) -> BoxFuture<'a, Result<(), DispatchError>> {
        Handler::handle(self, delivery, ctx)
    }
}
