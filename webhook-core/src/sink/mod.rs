//! Sinks: where a verified delivery waits for its handler. The in-memory queue lives
//! here; durable inboxes (SQLite, Postgres) live in `webhook-inbox`.

use std::time::Duration;

use futures_util::future::BoxFuture;

use crate::delivery::Verified;
use crate::dispatch::Dispatcher;

mod dedupe;
mod memory;

pub use memory::{DeadLetter, MemorySink};

/// What became of a submitted delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    /// Stored; a worker will run its handler.
    Accepted,
    /// Already stored, running or done: no new work.
    Duplicate,
}

/// Why a sink could not take a delivery: the sender is answered 503 and retries.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// At capacity.
    #[error("sink is full")]
    Full,
    /// Shutting down: no new work is taken.
    #[error("sink is shutting down")]
    Closed,
    /// The storage failed; the message is for logs.
    #[error("storage error: {0}")]
    Storage(String),
}

/// Where deliveries wait for their handlers, and the workers that run them.
///
/// A sink must have kept the delivery (or recognised it as a duplicate) before
/// `submit` returns `Ok`: the sender is answered 200 on the strength of it.
pub trait Sink: Send + Sync + 'static {
    /// Starts the workers, which run every job through `dispatcher`. Called once, by
    /// [`crate::ReceiverBuilder::build`], inside a tokio runtime.
    fn start(&self, dispatcher: Dispatcher);

    /// Keeps `delivery` for its handler, or recognises it as a duplicate.
    fn submit(&self, delivery: Verified) -> BoxFuture<'_, Result<Submitted, SinkError>>;

    /// Resolves once no accepted work is waiting or running (for tests and drains).
    fn idle(&self) -> BoxFuture<'_, ()>;

    /// Stops taking work and lets running work finish, waiting at most `deadline`.
    fn shutdown(&self, deadline: Duration) -> BoxFuture<'_, ()>;

    /// True when the sink hands the very [`Verified`] it is given to the handler, in
    /// this process: the receiver then reads the handler's payload at receive, in the
    /// same pass as the envelope, and the delivery carries it to the first attempt
    /// (see [`crate::payload`]).
    ///
    /// False (the default) for a sink that stores the raw body and parses after a claim
    /// (a durable inbox): the receiver reads the envelope alone, so the sink does not
    /// pay for a typed parse it would throw away.
    fn uses_parsed_payloads(&self) -> bool {
        false
    }
}
