//! Typed, verified, durable webhook receiving.
//!
//! `webhook-core` holds the signature schemes, the providers, the [`Receiver`] that
//! decides every answer, the in-memory sink and the testing kit. Frameworks mount a
//! receiver through `webhook-axum` or `webhook-actix`; durable storage comes from
//! `webhook-inbox`.

#[doc(hidden)]
pub mod __private;
mod answer;
mod body;
mod budget;
mod clock;
pub mod dangerous;
mod de;
mod delivery;
mod dispatch;
pub mod event;
mod handler;
pub mod metrics;
pub mod payload;
pub mod provider;
pub mod providers;
mod receiver;
mod refused;
mod retry;
pub mod scheme;
mod secret;
mod service;
pub mod sink;
pub mod testing;
mod timeout;

pub use answer::Answer;
pub use clock::{Clock, rfc3339};
pub use delivery::{PeerAddr, Rejection, Request, Verified};
pub use dispatch::{Dispatcher, Verdict};
pub use event::{CatalogueEntry, Event, Sample};
pub use handler::{
    Ack, BoxError, Context, DispatchError, Handler, HandlerResult, IntoHandlerResult, UnknownEvent,
};
pub use payload::{Parsed, PayloadSeed};
pub use provider::{Envelope, EnvelopeError, Provider};
pub use receiver::{Receiver, ReceiverBuilder, ReceiverStats};
pub use refused::Refused;
pub use retry::RetryPolicy;
pub use scheme::{Scheme, VerifyError};
pub use secret::{EmptySecret, Secret};
pub use sink::{MemorySink, Sink, SinkError, Submitted};

/// The futures utilities handlers written by hand need (`BoxFuture`).
pub use futures_util as futures;

/// Turns an `impl` block of async event handlers into a [`Handler`]; see `webhook-macros`.
pub use webhook_macros::webhook_handler;
