//! `Receiver`: the path of one delivery (verify, envelope, route, dedupe, store, answer),
//! deciding every status so that every adapter answers alike.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use http::StatusCode;
use tracing::Instrument;

use crate::answer::Answer;
use crate::clock::Clock;
use crate::delivery::{Rejection, Request, Verified};
use crate::dispatch::Dispatcher;
use crate::handler::{Ack, Handler};
use crate::metrics::EventLabel;
use crate::provider::Provider;
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::sink::{MemorySink, Sink, SinkError, Submitted};

/// Takes deliveries for one handler: verifies, routes, dedupes, stores, answers.
///
/// Cheap to clone; clones share everything. Built with [`Receiver::builder`] inside a
/// tokio runtime (the sink's workers start on it).
///
/// ```
/// # use webhook_core::futures::future::BoxFuture;
/// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
/// use webhook_core::providers::ModemPay;
/// use webhook_core::{MemorySink, Receiver, Secret};
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
/// let receiver = Receiver::builder(Payments)
///     .secret(Secret::new("my-modem-pay-secret").unwrap())
///     .sink(MemorySink::new().workers(8))
///     .build();
/// # let _ = receiver; }
/// ```
#[derive(Clone)]
pub struct Receiver {
    inner: Arc<Inner>,
}

struct Inner {
    provider: Arc<dyn Provider>,
    secrets: Vec<Secret>,
    dispatcher: Dispatcher,
    sink: Arc<dyn Sink>,
    clock: Clock,
    body_limit: usize,
    body_read_timeout: Duration,
    retry_after_secs: u32,
    closed: AtomicBool,
    stats: Counters,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("provider", &self.inner.provider.name())
            .field("secrets", &self.inner.secrets.len())
            .field("body_limit", &self.inner.body_limit)
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Starts configuring a receiver for `handler`.
    pub fn builder<H: Handler>(handler: H) -> ReceiverBuilder<H> {
        ReceiverBuilder::new(handler)
    }

    /// Takes one delivery and decides the answer. With the default acknowledgement the
    /// handler has not run yet when this returns: it runs in the sink's workers.
    pub async fn receive(&self, request: Request) -> Answer {
        let span = tracing::info_span!(
            "webhook.delivery",
            provider = self.inner.provider.name(),
            event_type = tracing::field::Empty,
            dedupe_key = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let mut event_type = EventLabel::unknown();
        let answer = self
            .decide(request, &span, &mut event_type)
            .instrument(span.clone())
            .await;
        span.record("outcome", answer.reason());
        self.inner
            .dispatcher
            .metrics()
            .delivery(&event_type, answer.reason());
        answer
    }

    /// Steps 1 to 6 of the delivery; `event_type` is set for the metrics once known.
    async fn decide(
        &self,
        request: Request,
        span: &tracing::Span,
        event_type: &mut EventLabel,
    ) -> Answer {
        let inner = &*self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Answer::unavailable("shutting down", inner.retry_after_secs);
        }
        if request.body().len() > inner.body_limit {
            return Answer::payload_too_large();
        }
        let delivery = match self.verify(request) {
            Ok(delivery) => delivery,
            Err(answer) => return answer,
        };
        *event_type = inner.dispatcher.metrics().label(delivery.event_type());
        span.record("event_type", delivery.event_type());
        span.record("dedupe_key", delivery.dedupe_key());
        match inner.dispatcher.route(delivery.event_type()) {
            None => {
                inner.stats.ignored.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("no handler routes this event type: acknowledged and ignored");
                Answer::new(StatusCode::OK, "ignored")
            }
            Some(Ack::AfterHandler) => self.handle_now(&delivery).await,
            Some(Ack::Immediate) => self.store(delivery).await,
        }
    }

    fn verify(&self, request: Request) -> Result<Verified, Answer> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        Verified::check(&*inner.provider, &inner.secrets, request, now).map_err(|rejection| {
            match rejection {
                Rejection::Signature(error) => {
                    inner.stats.bad_signature.fetch_add(1, Ordering::Relaxed);
                    inner
                        .dispatcher
                        .metrics()
                        .verification_failure(error.check());
                    tracing::warn!(check = error.check(), %error, "signature rejected");
                    Answer::new(StatusCode::UNAUTHORIZED, "invalid signature")
                }
                Rejection::Envelope(error) => {
                    inner.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(%error, "verified body is not a valid envelope");
                    Answer::new(StatusCode::BAD_REQUEST, "malformed body")
                }
            }
        })
    }

    async fn handle_now(&self, delivery: &Verified) -> Answer {
        match self.inner.dispatcher.attempt(delivery, 1).await {
            Ok(()) => {
                self.inner.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Answer::new(StatusCode::OK, "handled")
            }
            Err(error) => {
                tracing::warn!(%error, "handler failed; the sender will retry");
                Answer::new(StatusCode::INTERNAL_SERVER_ERROR, "handler failed")
            }
        }
    }

    async fn store(&self, delivery: Verified) -> Answer {
        let inner = &*self.inner;
        match inner.sink.submit(delivery).await {
            Ok(Submitted::Accepted) => {
                inner.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Answer::new(StatusCode::OK, "accepted")
            }
            Ok(Submitted::Duplicate) => {
                inner.stats.duplicates.fetch_add(1, Ordering::Relaxed);
                tracing::debug!("duplicate delivery: no new work");
                Answer::new(StatusCode::OK, "duplicate")
            }
            Err(error) => {
                inner.stats.unavailable.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(%error, "sink refused the delivery; the sender will retry");
                Answer::unavailable(unavailable_reason(&error), inner.retry_after_secs)
            }
        }
    }

    /// The largest body accepted, in bytes; adapters enforce it while reading.
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// Reads a body through the adapter's `read`, giving up after the receiver's body
    /// read timeout (408): a client dripping its body cannot hold a worker forever.
    pub async fn read_body<F>(&self, read: F) -> Result<bytes::Bytes, Answer>
    where
        F: std::future::Future<Output = Result<bytes::Bytes, Answer>>,
    {
        match crate::timeout::within(self.inner.body_read_timeout, read).await {
            Ok(read) => read,
            Err(_) => Err(Answer::body_timed_out()),
        }
    }

    /// The provider.
    pub fn provider(&self) -> &dyn Provider {
        &*self.inner.provider
    }

    /// Counts of what the receiver answered so far.
    pub fn stats(&self) -> ReceiverStats {
        self.inner.stats.snapshot()
    }

    /// Resolves once every accepted event has been handled or dead-lettered.
    pub async fn idle(&self) {
        self.inner.sink.idle().await;
    }

    /// Stops intake (new deliveries get 503 and are retried by the sender) and drains
    /// the sink, waiting at most `deadline`.
    pub async fn shutdown(&self, deadline: Duration) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.sink.shutdown(deadline).await;
    }
}

/// A `'static` copy of `name` for metrics labels, leaked once per distinct name however
/// many receivers are built.
fn interned(name: &str) -> &'static str {
    static NAMES: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    let mut names = NAMES
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(known) = names.iter().find(|known| **known == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(leaked);
    leaked
}

fn unavailable_reason(error: &SinkError) -> &'static str {
    match error {
        SinkError::Full => "overloaded",
        SinkError::Closed => "shutting down",
        SinkError::Storage(_) => "storage unavailable",
    }
}

/// What a receiver answered so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceiverStats {
    /// Stored for a handler (or handled, for `ack = "after_handler"`).
    pub accepted: u64,
    /// Recognised as redeliveries.
    pub duplicates: u64,
    /// Verified, but no handler routes the event type.
    pub ignored: u64,
    /// Refused with 401.
    pub bad_signature: u64,
    /// Refused with 400.
    pub malformed: u64,
    /// Refused with 503.
    pub unavailable: u64,
}

#[derive(Default)]
struct Counters {
    accepted: AtomicU64,
    duplicates: AtomicU64,
    ignored: AtomicU64,
    bad_signature: AtomicU64,
    malformed: AtomicU64,
    unavailable: AtomicU64,
}

impl Counters {
    fn snapshot(&self) -> ReceiverStats {
        let read = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        ReceiverStats {
            accepted: read(&self.accepted),
            duplicates: read(&self.duplicates),
            ignored: read(&self.ignored),
            bad_signature: read(&self.bad_signature),
            malformed: read(&self.malformed),
            unavailable: read(&self.unavailable),
        }
    }
}

/// Configures a [`Receiver`]; by-value setters, finished with [`ReceiverBuilder::build`].
#[must_use]
pub struct ReceiverBuilder<H> {
    handler: H,
    provider: Option<Arc<dyn Provider>>,
    secrets: Vec<Secret>,
    sink: Option<Arc<dyn Sink>>,
    clock: Clock,
    body_limit: usize,
    body_read_timeout: Duration,
    handler_timeout: Duration,
    retry: RetryPolicy,
    retry_after_secs: u32,
}

impl<H: Handler> ReceiverBuilder<H> {
    fn new(handler: H) -> Self {
        Self {
            handler,
            provider: None,
            secrets: Vec::new(),
            sink: None,
            clock: Clock::system(),
            body_limit: 1024 * 1024,
            body_read_timeout: Duration::from_secs(10),
            handler_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            retry_after_secs: 5,
        }
    }

    /// A secret that signatures are checked against. Call again to add more: any of
    /// them verifies (rotation).
    pub fn secret(mut self, secret: Secret) -> Self {
        self.secrets.push(secret);
        self
    }

    /// Several secrets at once (rotation).
    pub fn secrets(mut self, secrets: impl IntoIterator<Item = Secret>) -> Self {
        self.secrets.extend(secrets);
        self
    }

    /// Replaces the handler's default provider value, e.g. to change a tolerance.
    pub fn provider(mut self, provider: H::Provider) -> Self {
        self.provider = Some(Arc::new(provider));
        self
    }

    /// Where accepted events wait: a [`MemorySink`] (the default) or a durable inbox.
    pub fn sink(mut self, sink: impl Sink) -> Self {
        self.sink = Some(Arc::new(sink));
        self
    }

    /// The clock signatures are checked against (tests freeze it).
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The largest body accepted, in bytes (default 1 MiB); larger ones get 413.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// How long reading one body may take (default 10 s); slower ones get 408.
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }

    /// How long one handler attempt may run (default 30 s) before it counts as failed.
    pub fn handler_timeout(mut self, timeout: Duration) -> Self {
        self.handler_timeout = timeout;
        self
    }

    /// How failed attempts are retried.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// The `Retry-After` seconds sent with 503 answers (default 5).
    pub fn retry_after_secs(mut self, secs: u32) -> Self {
        self.retry_after_secs = secs;
        self
    }

    /// Builds the receiver and starts the sink's workers on the current tokio runtime.
    ///
    /// # Panics
    ///
    /// Without a secret (every delivery would be refused), or outside a tokio runtime.
    pub fn build(self) -> Receiver {
        assert!(
            !self.secrets.is_empty(),
            "webhook receiver has no secret: call `.secret(Secret::new(..)?)` with the secret the sender shows"
        );
        let provider = self
            .provider
            .unwrap_or_else(|| Arc::new(H::Provider::default()));
        let catalogue = provider
            .catalogue()
            .iter()
            .map(|entry| entry.name)
            .collect();
        let dispatcher = Dispatcher::new(
            Arc::new(self.handler),
            interned(provider.name()),
            catalogue,
            self.handler_timeout,
            self.retry,
        );
        let sink = self.sink.unwrap_or_else(|| Arc::new(MemorySink::new()));
        sink.start(dispatcher.clone());
        let inner = Inner {
            provider,
            secrets: self.secrets,
            dispatcher,
            sink,
            clock: self.clock,
            body_limit: self.body_limit,
            body_read_timeout: self.body_read_timeout,
            retry_after_secs: self.retry_after_secs,
            closed: AtomicBool::new(false),
            stats: Counters::default(),
        };
        Receiver {
            inner: Arc::new(inner),
        }
    }
}
