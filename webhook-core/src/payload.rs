//! Payloads read at receive: the handler's side of the one-pass read ([`PayloadSeed`])
//! and the type-erased value that travels with the delivery ([`Parsed`]).
//!
//! A delivery's body is read once. At receive, after the signature check, the provider
//! reads its envelope and, in the same pass over the body, the data as the payload type
//! of the handler method the event type routes to
//! ([`Provider::envelope_with_payload`](crate::Provider::envelope_with_payload), driven
//! by the handler's [`Handler::read`](crate::Handler::read)). The value goes into the
//! [`Verified`](crate::Verified) delivery; an in-memory sink hands that delivery to a
//! worker, whose first attempt takes the value
//! ([`Verified::take_parsed`](crate::Verified::take_parsed)) instead of parsing the body
//! again. Later attempts (retries, replays) parse the body: the first attempt consumed
//! the value, which a handler takes by value.
//!
//! A durable sink stores the raw body and parses after a claim, possibly in another
//! process: the receiver knows it from
//! [`Sink::uses_parsed_payloads`](crate::Sink::uses_parsed_payloads) and then reads the
//! envelope alone, so such a sink never pays for a typed parse it would throw away.
//!
//! Data that does not match the payload type does not fail the read: the envelope
//! decides the answer as always (a valid one is accepted), the delivery carries no
//! value, and the worker's own parse reports the mismatch, which dead-letters the event
//! with its body.

use std::any::Any;
use std::fmt;

use serde::Deserializer;

/// A handler's payload read at receive, type-erased, carried by the delivery to the
/// handler that read it.
///
/// ```
/// use webhook_core::Parsed;
///
/// let parsed = Parsed::new(7_u32);
/// let parsed = parsed.downcast::<String>().unwrap_err();
/// assert_eq!(parsed.downcast::<u32>().unwrap(), 7);
/// ```
pub struct Parsed(Box<dyn Any + Send>);

impl Parsed {
    /// `value`, erased.
    pub fn new<T: Any + Send>(value: T) -> Self {
        Self(Box::new(value))
    }

    /// The value, when it is a `T`; otherwise `self` back.
    pub fn downcast<T: Any>(self) -> Result<T, Self> {
        match self.0.downcast::<T>() {
            Ok(value) => Ok(*value),
            Err(other) => Err(Self(other)),
        }
    }
}

impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Parsed(..)")
    }
}

/// The handler's side of the one-pass read: which event types it reads a typed payload
/// for, and how.
///
/// `#[webhook_handler]` implements it for every handler, with the handler's event enum
/// as [`PayloadSeed::Value`]; a provider's
/// [`envelope_with_payload`](crate::Provider::envelope_with_payload) calls it as soon as
/// it knows the event type, on the deserializer positioned at the data.
///
/// ```
/// use serde::{Deserialize, Deserializer};
/// use webhook_core::providers::ModemPay;
/// use webhook_core::{PayloadSeed, Provider};
///
/// #[derive(Debug, Deserialize)]
/// struct Refund { id: String }
///
/// /// Reads `refund.created` as a `Refund`, nothing else.
/// struct Refunds;
///
/// impl PayloadSeed for Refunds {
///     type Value = Refund;
///
///     fn select(&self, event_type: &str) -> Option<usize> {
///         (event_type == "refund.created").then_some(0)
///     }
///
///     fn deserialize<'de, D: Deserializer<'de>>(&self, _: usize, data: D) -> Result<Refund, D::Error> {
///         Refund::deserialize(data)
///     }
/// }
///
/// let body = br#"{"event":"refund.created","payload":{"id":"rf_1"}}"#;
/// let (envelope, refund) = ModemPay::new()
///     .envelope_with_payload(&Default::default(), &body[..].into(), &Refunds)
///     .unwrap();
/// assert_eq!(envelope.dedupe_key(), "refund.created:rf_1");
/// assert_eq!(refund.unwrap().id, "rf_1");
/// ```
pub trait PayloadSeed {
    /// The payload read (for generated handlers, the event enum).
    type Value: Send + 'static;

    /// The payload the data of `event_type` is read as, an index of the seed's own, or
    /// `None` when the seed reads none for it (not routed, or routed untyped).
    fn select(&self, event_type: &str) -> Option<usize>;

    /// Reads payload `selected` (from [`PayloadSeed::select`]) from `data`, a
    /// deserializer holding the envelope's data.
    fn deserialize<'de, D: Deserializer<'de>>(
        &self,
        selected: usize,
        data: D,
    ) -> Result<Self::Value, D::Error>;
}

/// Reads payload `selected` of `seed` from the JSON `data`, all of it; `None` when it
/// does not match.
pub(crate) fn from_slice<S: PayloadSeed>(
    seed: &S,
    selected: usize,
    data: &[u8],
) -> Option<S::Value> {
    let mut deserializer = serde_json::Deserializer::from_slice(data);
    let value = seed.deserialize(selected, &mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(value)
}

/// [`from_slice`] for JSON text already known to be UTF-8: its strings are not checked
/// again one by one.
pub(crate) fn from_str<S: PayloadSeed>(seed: &S, selected: usize, data: &str) -> Option<S::Value> {
    let mut deserializer = serde_json::Deserializer::from_str(data);
    let value = seed.deserialize(selected, &mut deserializer).ok()?;
    deserializer.end().ok()?;
    Some(value)
}
