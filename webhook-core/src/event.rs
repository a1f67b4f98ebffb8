//! Typed events: the `Event` trait every catalogue event implements, and `Sample`.

use serde::Serialize;
use serde::de::DeserializeOwned;

/// One event type of a provider's catalogue, as a zero-cost newtype over its payload.
///
/// The `#[webhook_handler]` macro routes a handler to `Self::NAME` when the handler's
/// payload type implements `Event`, so `async fn on_charge(&self, ev: ChargeSucceeded)`
/// needs no `#[event("charge.succeeded")]`.
///
/// Event types deref to their payload, so handlers read fields directly (`ev.amount`).
pub trait Event: Serialize + DeserializeOwned + Send + 'static {
    /// The event type on the wire, e.g. `"charge.succeeded"`.
    const NAME: &'static str;
    /// The data the event carries.
    type Payload;
    /// A realistic sample, shaped like the provider's documented payloads.
    fn sample() -> Self;
    /// The payload, by value.
    fn into_payload(self) -> Self::Payload;
}

/// A realistic sample value for a user's own payload type, used by generated fakes.
///
/// Types without a `Sample` impl fall back to their `Default`.
pub trait Sample {
    /// The sample.
    fn sample() -> Self;
}

/// One entry of a provider's catalogue, for tools that work by event name (the CLI's
/// `trigger`, generated fakes).
#[derive(Debug, Clone, Copy)]
pub struct CatalogueEntry {
    /// The event type on the wire.
    pub name: &'static str,
    /// Builds the sample payload (the envelope's data) as JSON.
    pub sample: fn() -> serde_json::Value,
}

impl CatalogueEntry {
    /// The entry for the typed event `E`.
    pub fn of<E: Event>() -> Self {
        Self {
            name: E::NAME,
            sample: || {
                serde_json::to_value(E::sample()).expect("catalogue samples serialize to JSON")
            },
        }
    }
}
