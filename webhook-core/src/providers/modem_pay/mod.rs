//! Modem Pay: the provider, its typed payloads (`Customer`, `PaymentIntent`, `Charge`,
//! `Transfer`, `Invoice`, `PaymentRequest`) and one event type per documented event.
//!
//! Deliveries are `{"event": "...", "payload": {...}}`, signed with HMAC-SHA512 (hex) in
//! `x-modem-signature`. The virtual-terminal docs show `data` instead of `payload`, so
//! the envelope falls back to `data`. Modem Pay documents no idempotency key: the dedupe
//! key is `<event>:<payload id>`, or `sha256:<hex>` of the body when the payload has no
//! string `id`.
//!
//! The events are the SDK's 17 (`dist/types/events.d.ts`, including `invoice.update`,
//! sic) plus the four only the docs list (`payment_intent.expired`, `charge.expired`,
//! `transfer.cancelled`, `transfer.flagged`).
//!
//! ```
//! use webhook_core::providers::modem_pay::{ChargeSucceeded, TransactionStatus};
//! use webhook_core::Event;
//!
//! let ev: ChargeSucceeded = serde_json::from_str(r#"{
//!     "id": "88e26728-9e9c-4f18-802f-9d0d7659f795", "payment_intent_id": "cc81",
//!     "amount": 10, "currency": "GMD", "status": "completed", "type": "payment",
//!     "transaction_reference": "MP-1", "account_id": "638c", "business_id": "120c",
//!     "createdAt": "2026-02-27T00:03:55.078Z", "updatedAt": "2026-02-27T00:04:07.957Z",
//!     "customer_name": null, "terminal_name": "COUNTER 1"
//! }"#).unwrap();
//! assert_eq!(ev.status, TransactionStatus::Completed);
//! assert_eq!(ev.extra["terminal_name"], "COUNTER 1");
//! assert_eq!(ChargeSucceeded::NAME, "charge.succeeded");
//! ```

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

use super::{
    Content, StrField, Tagged, joined, parse_wire, sha256_key, slice_of, text, to_json,
    valid_string_member,
};
use crate::event::CatalogueEntry;
use crate::payload::PayloadSeed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{HmacScheme, Scheme};

mod payloads;
mod samples;

pub use payloads::*;
use samples::{charge, customer, invoice, payment_intent, payment_request, transfer};

/// The Modem Pay provider: HMAC-SHA512 over the body, `{event, payload}` envelope.
#[derive(Debug, Clone)]
pub struct ModemPay {
    scheme: HmacScheme,
}

impl ModemPay {
    /// The provider with Modem Pay's scheme ([`HmacScheme::modem_pay`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the scheme, e.g. to read the signature from another header.
    #[must_use]
    pub fn with_scheme(mut self, scheme: HmacScheme) -> Self {
        self.scheme = scheme;
        self
    }
}

impl Default for ModemPay {
    fn default() -> Self {
        Self {
            scheme: HmacScheme::modem_pay(),
        }
    }
}

/// The envelope as sent, borrowed from the body.
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    event: StrField<'a>,
    #[serde(borrow)]
    payload: Option<&'a RawValue>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The envelope as Modem Pay writes it, field order included.
#[derive(Serialize)]
struct Outgoing<'a> {
    event: &'a str,
    payload: &'a Value,
}

impl Provider for ModemPay {
    fn name(&self) -> &str {
        "modem-pay"
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, _headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        let wire: Wire<'_> = parse_wire(body, "event")?;
        let event = wire.event.required("event")?;
        let data = wire
            .payload
            .or(wire.data)
            .ok_or(EnvelopeError::Missing("payload"))?;
        let dedupe_key = dedupe_key(&event, data.get(), body);
        Ok(Envelope::new(event, dedupe_key, slice_of(body, data)))
    }

    /// One pass: `{"event": .., "payload": ..}` names the event type first, so the
    /// payload is deserialized straight from the body, its `id` (the dedupe key's)
    /// watched on the way; the data's bounds are found only if asked for. A body
    /// whose data comes first is read to a raw slice, then parsed.
    fn envelope_with_payload<S: PayloadSeed>(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        seed: &S,
    ) -> Result<(Envelope, Option<S::Value>), EnvelopeError> {
        let tagged = Tagged::<S, true> {
            tag: "event",
            content: "payload",
            alternate: Some("data"),
            member: None,
            seed,
        };
        let Some(mut read) = tagged.read(body) else {
            return Ok((self.envelope(headers, body)?, None));
        };
        let (Some(event), Some(data)) = (read.event_type(), read.data()) else {
            return Ok((self.envelope(headers, body)?, None));
        };
        Ok(match data {
            Content::Typed(payload, watch) => {
                let dedupe_key = match watch.string_id() {
                    Some(Some(id)) => joined(&event, &id),
                    Some(None) => sha256_key(body),
                    // The payload type read its `id` some other way: ask the data.
                    None => dedupe_key(&event, text(&data_of(body)), body),
                };
                let envelope = Envelope::deferred(event, dedupe_key, body.clone(), data_of);
                (envelope, Some(payload))
            }
            Content::Raw(data) => {
                let payload = tagged.payload(&event, data);
                let dedupe_key = dedupe_key(&event, data.get(), body);
                (
                    Envelope::new(event, dedupe_key, slice_of(body, data)),
                    payload,
                )
            }
        })
    }

    fn compose(&self, event_type: &str, data: &Value, _id: &str) -> (Vec<u8>, HeaderMap) {
        let body = to_json(&Outgoing {
            event: event_type,
            payload: data,
        });
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        (body, headers)
    }

    fn catalogue(&self) -> &[CatalogueEntry] {
        &CATALOGUE
    }

    /// Modem Pay documents no cap on a delivery's size: the default 1 MiB.
    fn body_limit(&self) -> usize {
        crate::provider::DEFAULT_BODY_LIMIT
    }
}

/// `<event>:<id>` when the data has a non-empty string `id`, else the body's hash.
fn dedupe_key(event: &str, data: &str, body: &[u8]) -> String {
    match valid_string_member(data, "id") {
        Ok(Some(id)) => joined(event, &id),
        Ok(None) | Err(_) => sha256_key(body),
    }
}

/// The data of a body the one-pass read accepted, as `envelope` gives it.
fn data_of(body: &Bytes) -> Bytes {
    let wire = parse_wire::<Wire<'_>>(body, "event").ok();
    wire.and_then(|wire| wire.payload.or(wire.data))
        .map_or_else(Bytes::new, |data| slice_of(body, data))
}

// ---------------------------------------------------------------------------------
// Events

events! {
    /// `customer.created`
    CustomerCreated(Customer) = "customer.created",
        sample: customer("2e8c71e5-1932-4483-adac-0c82c4e813fc");
    /// `customer.updated`
    CustomerUpdated(Customer) = "customer.updated",
        sample: customer("c8434684-ef0a-4c86-a878-af3d332ba643");
    /// `customer.deleted`
    CustomerDeleted(Customer) = "customer.deleted",
        sample: customer("e8ab32fb-dc81-4b67-8d35-dc92395e8b1a");
    /// `payment_intent.created`
    PaymentIntentCreated(PaymentIntent) = "payment_intent.created",
        sample: payment_intent("c086b021-8bf4-4c5b-926b-440539d4fcc7", PaymentIntentStatus::Initialized);
    /// `payment_intent.cancelled`
    PaymentIntentCancelled(PaymentIntent) = "payment_intent.cancelled",
        sample: payment_intent("3f34fe92-7d8c-43cf-b8c2-981fa451d0bd", PaymentIntentStatus::Cancelled);
    /// `payment_intent.expired` (listed by the docs, not the SDK)
    PaymentIntentExpired(PaymentIntent) = "payment_intent.expired",
        sample: payment_intent("488c66c7-3705-43b5-9a00-a7b1630e66ba", PaymentIntentStatus::Cancelled);
    /// `charge.created`
    ChargeCreated(Charge) = "charge.created",
        sample: charge("cd19de12-225d-4775-a9dd-b9870283d037", TransactionStatus::Pending);
    /// `charge.updated`
    ChargeUpdated(Charge) = "charge.updated",
        sample: charge("ce8eee2c-667d-4008-8967-5790b78655af", TransactionStatus::Pending);
    /// `charge.succeeded`
    ChargeSucceeded(Charge) = "charge.succeeded",
        sample: charge("88e26728-9e9c-4f18-802f-9d0d7659f795", TransactionStatus::Completed);
    /// `charge.failed`
    ChargeFailed(Charge) = "charge.failed",
        sample: charge("be5e0c24-600d-41b0-a81b-9152a288b45f", TransactionStatus::Failed);
    /// `charge.cancelled`
    ChargeCancelled(Charge) = "charge.cancelled",
        sample: charge("1a0eb0fd-b663-4151-abe8-6e35c109e422", TransactionStatus::Cancelled);
    /// `charge.expired` (listed by the docs, not the SDK)
    ChargeExpired(Charge) = "charge.expired",
        sample: charge("5ef8f9c7-3be8-40b6-8d76-39371a4203d0", TransactionStatus::Cancelled);
    /// `transfer.succeeded`
    TransferSucceeded(Transfer) = "transfer.succeeded",
        sample: transfer("cfc02310-c7ad-45b5-94e2-ad9f7b3cdbed", TransferStatus::Completed);
    /// `transfer.failed`
    TransferFailed(Transfer) = "transfer.failed",
        sample: transfer("4d9d6218-706f-4649-866a-281e5b1a7b41", TransferStatus::Failed);
    /// `transfer.reversed`
    TransferReversed(Transfer) = "transfer.reversed",
        sample: transfer("559aa22b-e072-4810-b508-790fcbc0ddc5", TransferStatus::Failed);
    /// `transfer.cancelled` (listed by the docs, not the SDK)
    TransferCancelled(Transfer) = "transfer.cancelled",
        sample: transfer("666dedc6-760c-4c5e-ad7a-9c722bfc9a47", TransferStatus::Cancelled);
    /// `transfer.flagged` (listed by the docs, not the SDK)
    TransferFlagged(Transfer) = "transfer.flagged",
        sample: transfer("794cb70b-9166-4f9c-9a35-d8cf8de4ebbd", TransferStatus::Pending);
    /// `invoice.created`
    InvoiceCreated(Invoice) = "invoice.created",
        sample: invoice("3e15056b-2340-4fa2-9638-56bab5cab650", InvoiceStatus::NotPaid);
    /// `invoice.update` (sic: the SDK's name, not `invoice.updated`)
    InvoiceUpdated(Invoice) = "invoice.update",
        sample: invoice("f9ca3058-a0a6-43e3-8905-6ff94fece399", InvoiceStatus::Paid);
    /// `invoice.deleted`
    InvoiceDeleted(Invoice) = "invoice.deleted",
        sample: invoice("d3eae580-54b2-4fe0-abab-58434dcc36f0", InvoiceStatus::NotPaid);
    /// `paymentrequest.success`
    PaymentRequestSuccess(PaymentRequest) = "paymentrequest.success",
        sample: payment_request("d2748fc7-5635-40d7-9a62-12b9ecf4e5b4");
}
