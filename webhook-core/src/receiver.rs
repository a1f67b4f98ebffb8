//! `Receiver`: the path of one delivery (verify, envelope, route, dedupe, store, answer),
//! deciding every status so that every adapter answers alike.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, StatusCode};
use tracing::Instrument;

use crate::answer::Answer;
use crate::budget::{Budget, DEFAULT_BYTES_IN_FLIGHT};
use crate::clock::Clock;
use crate::delivery::{Rejection, Request, Verified};
use crate::dispatch::Dispatcher;
use crate::handler::{Ack, Handler};
use crate::metrics::EventLabel;
use crate::payload::Parsed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::refused::{DEFAULT_REFUSED_KEPT, Refused, RefusedLog};
use crate::retry::RetryPolicy;
use crate::secret::Secret;
use crate::sink::{MemorySink, Sink, SinkError, Submitted};

/// Takes deliveries for one handler: reads, verifies, routes, dedupes, stores, answers.
///
/// Cheap to clone; clones share everything. Built with [`Receiver::builder`] inside a
/// tokio runtime (the sink's workers start on it). Servers hand it `http::Request`s: it
/// is a [`tower::Service`](tower_service::Service) (a route of its own in axum, or
/// served by bare hyper) and [`Receiver::respond`] takes any body; `webhook-axum` and
/// `webhook-actix` mount it through the same service.
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
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    provider: Arc<dyn Provider>,
    /// The provider's name, interned once for refusal records.
    provider_name: &'static str,
    /// Reads a verified body: the envelope, and the handler's payload when the sink
    /// runs the handler in this process.
    read: Box<dyn ReadBody>,
    secrets: Vec<Secret>,
    dispatcher: Dispatcher,
    sink: Arc<dyn Sink>,
    clock: Clock,
    pub(crate) body_limit: usize,
    pub(crate) body_read_timeout: Duration,
    pub(crate) retry_after_secs: u32,
    /// Body bytes held by the requests being read and decided.
    pub(crate) budget: Budget,
    refused: RefusedLog,
    pub(crate) closed: AtomicBool,
    stats: Counters,
}

impl std::fmt::Debug for Receiver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Receiver")
            .field("provider", &self.inner.provider.name())
            .field("secrets", &self.inner.secrets.len())
            .field("body_limit", &self.inner.body_limit)
            .field("bytes_in_flight", &self.inner.budget.total())
            .finish_non_exhaustive()
    }
}

impl Receiver {
    /// Starts configuring a receiver for `handler`.
    pub fn builder<H: Handler>(handler: H) -> ReceiverBuilder<H> {
        ReceiverBuilder::new(handler)
    }

    /// Takes one delivery whose body is already read and decides the answer. With the
    /// default acknowledgement the handler has not run yet when this returns: it runs in
    /// the sink's workers.
    ///
    /// A server hands the receiver an `http::Request` instead, through its
    /// [`tower::Service`](tower_service::Service) or [`Receiver::respond`], which read the
    /// body within the limits first; this is for bodies already in memory (tests, queues).
    pub async fn receive(&self, request: Request) -> Answer {
        let size = request.body().len() as u64;
        let source = request.peer();
        // At `debug`: a span per delivery costs a formatted field set in every log
        // subscriber; at `info` the events below carry the fields they need.
        let span = tracing::debug_span!(
            "webhook.delivery",
            provider = self.inner.provider.name(),
            event_type = tracing::field::Empty,
            dedupe_key = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let mut facts = Facts {
            event_type: EventLabel::unknown(),
            check: None,
        };
        let answer = self
            .decide(request, &span, &mut facts)
            .instrument(span.clone())
            .await;
        span.record("outcome", answer.reason());
        self.inner
            .dispatcher
            .metrics()
            .delivery(&facts.event_type, answer.reason());
        if answer.is_refusal() {
            self.remember_refused(answer, facts.check, Some(size), source);
        }
        answer
    }

    /// Answers a request refused before its body was read whole (413, 408, 400, 503):
    /// counted in the metrics and remembered as [`Receiver::receive`]'s refusals are.
    pub(crate) fn refuse_unread(
        &self,
        answer: Answer,
        size: Option<u64>,
        source: Option<SocketAddr>,
    ) -> Answer {
        tracing::warn!(
            provider = self.inner.provider_name,
            outcome = answer.reason(),
            size,
            "delivery refused before its body was read"
        );
        if answer.status() == StatusCode::SERVICE_UNAVAILABLE {
            self.inner.stats.unavailable.fetch_add(1, Ordering::Relaxed);
        }
        self.inner
            .dispatcher
            .metrics()
            .delivery(&EventLabel::unknown(), answer.reason());
        self.remember_refused(answer, None, size, source);
        answer
    }

    /// Keeps a refusal in the bounded ring; only refusals take its lock.
    fn remember_refused(
        &self,
        answer: Answer,
        check: Option<&'static str>,
        size: Option<u64>,
        source: Option<SocketAddr>,
    ) {
        self.inner.refused.record(Refused {
            at: self.inner.clock.now(),
            provider: self.inner.provider_name,
            status: answer.status().as_u16(),
            reason: answer.reason(),
            check,
            size,
            source,
        });
    }

    /// Steps 1 to 6 of the delivery; `facts` gets the event type (for the metrics) and
    /// the failed check (for the refusal record) once known.
    async fn decide(&self, request: Request, span: &tracing::Span, facts: &mut Facts) -> Answer {
        let inner = &*self.inner;
        if inner.closed.load(Ordering::Acquire) {
            return Answer::unavailable("shutting down", inner.retry_after_secs);
        }
        if request.body().len() > inner.body_limit {
            return Answer::payload_too_large();
        }
        let delivery = match self.verify(request, &mut facts.check) {
            Ok(delivery) => delivery,
            Err(answer) => return answer,
        };
        facts.event_type = inner.dispatcher.metrics().label(delivery.event_type());
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

    fn verify(
        &self,
        request: Request,
        check: &mut Option<&'static str>,
    ) -> Result<Verified, Answer> {
        let inner = &*self.inner;
        let now = inner.clock.now();
        let read = |headers: &HeaderMap, body: &Bytes| inner.read.read(headers, body);
        Verified::check_with(&*inner.provider, &inner.secrets, request, now, read).map_err(
            |rejection| match rejection {
                Rejection::Signature(error) => {
                    inner.stats.bad_signature.fetch_add(1, Ordering::Relaxed);
                    inner
                        .dispatcher
                        .metrics()
                        .verification_failure(error.check());
                    tracing::warn!(
                        provider = inner.provider_name,
                        check = error.check(),
                        %error,
                        "signature rejected"
                    );
                    *check = Some(error.check());
                    Answer::invalid_signature()
                }
                Rejection::Envelope(error) => {
                    inner.stats.malformed.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(
                        provider = inner.provider_name,
                        %error,
                        "verified body is not a valid envelope"
                    );
                    Answer::malformed_body()
                }
            },
        )
    }

    async fn handle_now(&self, delivery: &Verified) -> Answer {
        match self.inner.dispatcher.attempt(delivery, 1).await {
            Ok(()) => {
                self.inner.stats.accepted.fetch_add(1, Ordering::Relaxed);
                Answer::new(StatusCode::OK, "handled")
            }
            Err(error) => {
                tracing::warn!(
                    provider = delivery.provider(),
                    event_type = delivery.event_type(),
                    dedupe_key = delivery.dedupe_key(),
                    %error,
                    "handler failed; the sender will retry"
                );
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
                tracing::warn!(
                    provider = inner.provider_name,
                    %error,
                    "sink refused the delivery; the sender will retry"
                );
                Answer::unavailable(unavailable_reason(&error), inner.retry_after_secs)
            }
        }
    }

    /// The largest body accepted, in bytes: the builder's
    /// [`body_limit`](ReceiverBuilder::body_limit), else the provider's
    /// ([`Provider::body_limit`]).
    pub fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    /// The body bytes held right now by requests being read and decided, never more
    /// than the builder's [`bytes_in_flight`](ReceiverBuilder::bytes_in_flight).
    pub fn bytes_in_flight(&self) -> usize {
        self.inner.budget.used()
    }

    /// The requests refused lately (401, 400, 413, 408, 503), newest first: at most the
    /// builder's [`refused_capacity`](ReceiverBuilder::refused_capacity) (default 1000).
    /// See [`Refused`] for what each holds, and an example.
    pub fn refused(&self) -> Vec<Refused> {
        self.inner.refused.newest_first()
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

/// How a receiver reads a verified body (step 2 of a delivery).
trait ReadBody: Send + Sync + 'static {
    fn read(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<(Envelope, Option<Parsed>), EnvelopeError>;
}

/// The envelope alone, for a sink that parses after a claim.
struct EnvelopeOnly(Arc<dyn Provider>);

impl ReadBody for EnvelopeOnly {
    fn read(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<(Envelope, Option<Parsed>), EnvelopeError> {
        Ok((self.0.envelope(headers, body)?, None))
    }
}

/// The handler's read: the envelope and its payload in one pass, for a sink that runs
/// the handler on the delivery it is given.
struct WithPayload<H: Handler> {
    handler: Arc<H>,
    provider: Arc<H::Provider>,
}

impl<H: Handler> ReadBody for WithPayload<H> {
    fn read(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
    ) -> Result<(Envelope, Option<Parsed>), EnvelopeError> {
        self.handler.read(&self.provider, headers, body)
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

/// What [`Receiver::receive`] learns of a delivery on its way to the answer.
struct Facts {
    event_type: EventLabel,
    check: Option<&'static str>,
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
pub struct ReceiverBuilder<H: Handler> {
    handler: H,
    provider: Option<H::Provider>,
    secrets: Vec<Secret>,
    sink: Option<Arc<dyn Sink>>,
    clock: Clock,
    body_limit: Option<usize>,
    bytes_in_flight: usize,
    refused_capacity: usize,
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
            body_limit: None,
            bytes_in_flight: DEFAULT_BYTES_IN_FLIGHT,
            refused_capacity: DEFAULT_REFUSED_KEPT,
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
        self.provider = Some(provider);
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

    /// The largest body accepted, in bytes; larger ones get 413, as soon as the limit
    /// is passed or up front from a larger `Content-Length`. By default the provider's
    /// own ([`Provider::body_limit`]: 25 MiB for GitHub, 1 MiB for the others).
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = Some(bytes);
        self
    }

    /// The most body bytes the receiver holds at once for requests being read and
    /// decided, all requests together (default 64 MiB). It keeps memory bounded when
    /// many large bodies arrive at once: a request whose declared `Content-Length`, or
    /// whose next chunk, does not fit in what is left is answered 503 with
    /// `Retry-After` at once, and the sender retries it later. A request gives its bytes
    /// back when it is answered; what an accepted event holds afterwards is bounded by
    /// the sink (a [`MemorySink`]'s capacity).
    ///
    /// Raised to the body limit when lower, so one delivery at the limit always fits.
    ///
    /// ```
    /// # use webhook_core::futures::future::BoxFuture;
    /// # use webhook_core::{Ack, Context, DispatchError, Handler, Verified};
    /// use webhook_core::providers::GitHub;
    /// use webhook_core::{Receiver, Secret};
    /// # struct Repo;
    /// # impl Handler for Repo {
    /// #     type Provider = GitHub;
    /// #     const EVENTS: &'static [&'static str] = &[];
    /// #     fn route(&self, _: &str) -> Option<Ack> { None }
    /// #     fn handle<'a>(&'a self, _: &'a Verified, _: Context) -> BoxFuture<'a, Result<(), DispatchError>> {
    /// #         Box::pin(async { Ok(()) })
    /// #     }
    /// # }
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// // At most four 25 MiB pushes (GitHub's limit) read at once.
    /// let receiver = Receiver::builder(Repo)
    ///     .secret(Secret::new("my-github-secret").unwrap())
    ///     .bytes_in_flight(100 * 1024 * 1024)
    ///     .build();
    /// assert_eq!(receiver.body_limit(), 25 * 1024 * 1024);
    /// # }
    /// ```
    pub fn bytes_in_flight(mut self, bytes: usize) -> Self {
        self.bytes_in_flight = bytes;
        self
    }

    /// How many refused requests [`Receiver::refused`] remembers (default 1000); the
    /// oldest is forgotten first. 0 remembers none.
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
    /// let receiver = Receiver::builder(Payments).secret(test_secret()).refused_capacity(2).build();
    /// let unsigned = FakeDelivery::new(ModemPay::default(), "charge.succeeded", serde_json::json!({ "id": "ch_1" }))
    ///     .unsigned();
    /// for _ in 0..3 {
    ///     unsigned.clone().send(&receiver).await;
    /// }
    /// assert_eq!(receiver.refused().len(), 2);
    /// assert_eq!(receiver.refused()[0].check, Some("missing_header"));
    /// # }
    /// ```
    pub fn refused_capacity(mut self, entries: usize) -> Self {
        self.refused_capacity = entries;
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
        let provider = Arc::new(self.provider.unwrap_or_default());
        let handler = Arc::new(self.handler);
        let catalogue = provider
            .catalogue()
            .iter()
            .map(|entry| entry.name)
            .collect();
        let provider_name = interned(provider.name());
        let body_limit = self.body_limit.unwrap_or_else(|| provider.body_limit());
        let dispatcher = Dispatcher::new(
            Arc::clone(&handler),
            provider_name,
            catalogue,
            self.handler_timeout,
            self.retry,
        );
        let sink = self.sink.unwrap_or_else(|| Arc::new(MemorySink::new()));
        sink.start(dispatcher.clone());
        let read: Box<dyn ReadBody> = if sink.uses_parsed_payloads() {
            Box::new(WithPayload {
                handler,
                provider: Arc::clone(&provider),
            })
        } else {
            Box::new(EnvelopeOnly(provider.clone()))
        };
        let inner = Inner {
            provider,
            provider_name,
            read,
            secrets: self.secrets,
            dispatcher,
            sink,
            clock: self.clock,
            body_limit,
            body_read_timeout: self.body_read_timeout,
            retry_after_secs: self.retry_after_secs,
            budget: Budget::new(self.bytes_in_flight.max(body_limit)),
            refused: RefusedLog::new(self.refused_capacity),
            closed: AtomicBool::new(false),
            stats: Counters::default(),
        };
        Receiver {
            inner: Arc::new(inner),
        }
    }
}
