//! bamotf (self-hosted Bitcoin payments): the provider, its typed payload
//! (`PaymentIntentData`, `PaymentIntent`, `Transaction`) and one event type per event.
//!
//! Deliveries are `{"id", "idempotenceKey", "created", "event", "data": {"paymentIntent"}}`
//! signed in `x-webhook-signature: v=<ms>,d=<hex>`. The body `id` is a fresh uuid on
//! every attempt, so the dedupe key is `idempotenceKey` (the queue job id, stable across
//! retries). bamotf sets no `Content-Type`, so deliveries arrive as
//! `text/plain;charset=UTF-8`.
//!
//! ```
//! use webhook_core::providers::bamotf::{PaymentIntentStatus, PaymentIntentSucceeded};
//! use webhook_core::Event;
//!
//! let ev = PaymentIntentSucceeded::sample();
//! assert_eq!(ev.payment_intent.status, PaymentIntentStatus::Succeeded);
//! assert_eq!(ev.payment_intent.currency, "BTC");
//! ```

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::{Content, StrField, Tagged, parse_wire, slice_of, to_json, uuid_v4};
use crate::event::CatalogueEntry;
use crate::payload::PayloadSeed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{BamotfScheme, Scheme};

/// The bamotf provider: `v=<ms>,d=<hex>` signatures, dedupe on `idempotenceKey`.
#[derive(Debug, Clone, Default)]
pub struct Bamotf {
    scheme: BamotfScheme,
}

impl Bamotf {
    /// The provider with bamotf's scheme (±300 000 ms tolerance).
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the scheme, e.g. one with another tolerance.
    #[must_use]
    pub fn with_scheme(mut self, scheme: BamotfScheme) -> Self {
        self.scheme = scheme;
        self
    }
}

/// The envelope as sent, borrowed from the body (`id` and `created` are not needed).
#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow, default)]
    event: StrField<'a>,
    #[serde(rename = "idempotenceKey", borrow, default)]
    idempotence_key: StrField<'a>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

/// The envelope as bamotf writes it, field order included.
#[derive(Serialize)]
struct Outgoing<'a> {
    id: &'a str,
    #[serde(rename = "idempotenceKey")]
    idempotence_key: &'a str,
    created: &'a str,
    event: &'a str,
    data: &'a Value,
}

impl Provider for Bamotf {
    fn name(&self) -> &str {
        "bamotf"
    }

    fn scheme(&self) -> &dyn Scheme {
        &self.scheme
    }

    fn envelope(&self, _headers: &HeaderMap, body: &Bytes) -> Result<Envelope, EnvelopeError> {
        let wire: Wire<'_> = parse_wire(body, "event")?;
        let event = wire.event.required("event")?;
        let key = wire.idempotence_key.required("idempotenceKey")?;
        let data = wire.data.ok_or(EnvelopeError::Missing("data"))?;
        Ok(Envelope::new(event, key, slice_of(body, data)))
    }

    /// One pass: bamotf writes `event` before `data`, so the data is deserialized
    /// straight from the body; its bounds are found only if asked for. A body whose
    /// data comes first is read to a raw slice, then parsed.
    fn envelope_with_payload<S: PayloadSeed>(
        &self,
        headers: &HeaderMap,
        body: &Bytes,
        seed: &S,
    ) -> Result<(Envelope, Option<S::Value>), EnvelopeError> {
        let tagged = Tagged::<S, false> {
            tag: "event",
            content: "data",
            alternate: None,
            member: Some("idempotenceKey"),
            seed,
        };
        let Some(mut read) = tagged.read(body) else {
            return Ok((self.envelope(headers, body)?, None));
        };
        let key = read.member.take().and_then(StrField::non_empty);
        let (Some(event), Some(key), Some(data)) = (read.event_type(), key, read.data()) else {
            return Ok((self.envelope(headers, body)?, None));
        };
        Ok(match data {
            Content::Typed(payload, _) => {
                let envelope = Envelope::deferred(event, key, body.clone(), data_of);
                (envelope, Some(payload))
            }
            Content::Raw(data) => {
                let payload = tagged.payload(&event, data);
                (Envelope::new(event, key, slice_of(body, data)), payload)
            }
        })
    }

    /// `id` becomes the `idempotenceKey`; the body `id` is a fresh uuid, as on every
    /// bamotf attempt.
    fn compose(&self, event_type: &str, data: &Value, id: &str) -> (Vec<u8>, HeaderMap) {
        let attempt_id = uuid_v4();
        let created = crate::clock::rfc3339(SystemTime::now());
        let body = to_json(&Outgoing {
            id: &attempt_id,
            idempotence_key: id,
            created: &created,
            event: event_type,
            data,
        });
        let mut headers = HeaderMap::new();
        headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain;charset=UTF-8"),
        );
        (body, headers)
    }

    fn catalogue(&self) -> &[CatalogueEntry] {
        &CATALOGUE
    }

    /// bamotf documents no cap on a delivery's size: the default 1 MiB.
    fn body_limit(&self) -> usize {
        crate::provider::DEFAULT_BODY_LIMIT
    }
}

/// The data of a body the one-pass read accepted, as `envelope` gives it.
fn data_of(body: &Bytes) -> Bytes {
    let wire = parse_wire::<Wire<'_>>(body, "event").ok();
    wire.and_then(|wire| wire.data)
        .map_or_else(Bytes::new, |data| slice_of(body, data))
}

// ---------------------------------------------------------------------------------
// Payloads

keeps_unknown! {
    /// The `data` of every bamotf event: `{"paymentIntent": {...}}`.
    pub struct PaymentIntentData {
        /// The payment intent (wire key `paymentIntent`).
        #[serde(rename = "paymentIntent")]
        pub payment_intent: PaymentIntent,
    }
}

wire_enum! {
    /// The environment a payment intent belongs to.
    pub enum Mode {
        /// `prod`
        Prod = "prod",
        /// `test`
        Test = "test",
        /// `dev`
        Dev = "dev",
    }
}

wire_enum! {
    /// The status of a payment intent; events are `payment_intent.<status>`.
    pub enum PaymentIntentStatus {
        /// `pending`: waiting for a payment to the address.
        Pending = "pending",
        /// `processing`: paid, waiting for confirmations.
        Processing = "processing",
        /// `succeeded`: paid and confirmed.
        Succeeded = "succeeded",
        /// `canceled`
        Canceled = "canceled",
    }
}

keeps_unknown! {
    /// A payment intent as bamotf's server sends it (`schema.prisma`, camelCase on the wire).
    ///
    /// Amounts are decimal strings in the smallest unit of `currency` (sats for BTC),
    /// because the database holds them as `BigInt`.
    pub struct PaymentIntent {
        /// The payment intent id (uuid).
        pub id: String,
        /// The environment.
        pub mode: Mode,
        /// The Bitcoin address to pay, unique per intent.
        pub address: String,
        /// The amount, a decimal string in the smallest unit (sats for BTC).
        pub amount: String,
        /// The status.
        pub status: PaymentIntentStatus,
        /// Confirmations required.
        pub confirmations: i32,
        /// The accepted shortfall, as a fraction (default `0.02`).
        pub tolerance: f64,
        /// Currency code, default `BTC`.
        pub currency: String,
        /// When the intent was canceled (ISO-8601).
        #[serde(rename = "canceledAt", default, skip_serializing_if = "Option::is_none")]
        pub canceled_at: Option<String>,
        /// Why the intent was canceled.
        #[serde(rename = "cancellationReason", default, skip_serializing_if = "Option::is_none")]
        pub cancellation_reason: Option<String>,
        /// The merchant's description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// The merchant's metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<Value>,
        /// The account (cuid).
        #[serde(rename = "accountId")]
        pub account_id: String,
        /// When the intent was created (ISO-8601).
        #[serde(rename = "createdAt")]
        pub created_at: String,
        /// When the intent last changed (ISO-8601).
        #[serde(rename = "updatedAt")]
        pub updated_at: String,
        /// The transactions paying this intent.
        #[serde(default)]
        pub transactions: Vec<Transaction>,
    }
}

keeps_unknown! {
    /// A Bitcoin transaction paying a payment intent (camelCase on the wire).
    pub struct Transaction {
        /// The Bitcoin txid.
        pub id: String,
        /// The amount received, a decimal string in sats.
        pub amount: String,
        /// The amount before conversion, when there was one (the key is omitted otherwise).
        #[serde(rename = "originalAmount", default, skip_serializing_if = "Option::is_none")]
        pub original_amount: Option<String>,
        /// Confirmations so far.
        pub confirmations: i32,
        /// The payment intent it pays.
        #[serde(rename = "paymentIntentId")]
        pub payment_intent_id: String,
        /// When bamotf saw it (ISO-8601).
        #[serde(rename = "createdAt")]
        pub created_at: String,
        /// When it last changed (ISO-8601).
        #[serde(rename = "updatedAt")]
        pub updated_at: String,
    }
}

// ---------------------------------------------------------------------------------
// Events

events! {
    /// `payment_intent.created` (seen in bamotf's seed data, outside its event type)
    PaymentIntentCreated(PaymentIntentData) = "payment_intent.created",
        sample: data("5d125261-d485-4028-94fe-74be85cbc11d", PaymentIntentStatus::Pending, 0);
    /// `payment_intent.pending`
    PaymentIntentPending(PaymentIntentData) = "payment_intent.pending",
        sample: data("327f7775-3dc3-425a-9978-367a5d358e1d", PaymentIntentStatus::Pending, 0);
    /// `payment_intent.processing`: paid, waiting for confirmations.
    PaymentIntentProcessing(PaymentIntentData) = "payment_intent.processing",
        sample: data("02ee6710-bc53-4465-8bba-fe26491d77fe", PaymentIntentStatus::Processing, 0);
    /// `payment_intent.succeeded`: paid and confirmed.
    PaymentIntentSucceeded(PaymentIntentData) = "payment_intent.succeeded",
        sample: data("99258770-0bf4-476f-be1f-14ada8fc99ef", PaymentIntentStatus::Succeeded, 1);
    /// `payment_intent.canceled`
    PaymentIntentCanceled(PaymentIntentData) = "payment_intent.canceled",
        sample: data("5856d33e-3d58-4684-992b-e6672b26bef0", PaymentIntentStatus::Canceled, 0);
}

// ---------------------------------------------------------------------------------
// Samples, shaped like what bamotf's server sends

const CREATED_AT: &str = "2023-12-13T14:02:11.417Z";
const UPDATED_AT: &str = "2023-12-13T14:31:52.090Z";

/// A 100 000-sat intent; `processing` and later carry the paying transaction with
/// `confirmations` confirmations.
fn data(id: &str, status: PaymentIntentStatus, confirmations: i32) -> PaymentIntentData {
    let paid = matches!(
        status,
        PaymentIntentStatus::Processing | PaymentIntentStatus::Succeeded
    );
    let canceled = status == PaymentIntentStatus::Canceled;
    let transactions = if paid {
        vec![Transaction {
            id: "f4184fc596403b9d638783cf57adfe4c75c605f6356fbc91338530e9831e9e16".to_owned(),
            amount: "100000".to_owned(),
            original_amount: None,
            confirmations,
            payment_intent_id: id.to_owned(),
            created_at: UPDATED_AT.to_owned(),
            updated_at: UPDATED_AT.to_owned(),
            extra: Map::new(),
        }]
    } else {
        Vec::new()
    };
    let payment_intent = PaymentIntent {
        id: id.to_owned(),
        mode: Mode::Prod,
        address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq".to_owned(),
        amount: "100000".to_owned(),
        status,
        confirmations: 1,
        tolerance: 0.02,
        currency: "BTC".to_owned(),
        canceled_at: canceled.then(|| UPDATED_AT.to_owned()),
        cancellation_reason: canceled.then(|| "requested_by_customer".to_owned()),
        description: Some("Order #88".to_owned()),
        metadata: Some(Value::Object(Map::from_iter([(
            "orderId".to_owned(),
            Value::from("88"),
        )]))),
        account_id: "clq3v9x0a0000lh08b7k2d1m4".to_owned(),
        created_at: CREATED_AT.to_owned(),
        updated_at: UPDATED_AT.to_owned(),
        transactions,
        extra: Map::new(),
    };
    PaymentIntentData {
        payment_intent,
        extra: Map::new(),
    }
}
