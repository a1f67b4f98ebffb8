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

use std::collections::BTreeMap;

use bytes::Bytes;
use http::HeaderMap;
use http::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Number, Value};

use super::{
    Content, StrField, Tagged, joined, parse_wire, sha256_key, slice_of, text, to_json,
    valid_string_member,
};
use crate::event::CatalogueEntry;
use crate::payload::PayloadSeed;
use crate::provider::{Envelope, EnvelopeError, Provider};
use crate::scheme::{HmacScheme, Scheme};

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
// Payloads

keeps_unknown! {
    /// A customer (`customers.d.ts`), the payload of `customer.*`.
    pub struct Customer {
        /// The customer id.
        pub id: String,
        /// Full name.
        pub name: String,
        /// Email address.
        pub email: String,
        /// Phone number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub phone: Option<String>,
        /// Wallet balance.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub balance: Option<f64>,
    }
}

keeps_unknown! {
    /// A payment gateway offered to the payer (`index.d.ts` `PaymentGateway`).
    pub struct PaymentGateway {
        /// The gateway tag, e.g. `wave`.
        pub tag: String,
        /// The group it belongs to, e.g. `wallet`.
        pub group: String,
        /// A logo URL.
        pub logo: String,
        /// The gateway id.
        pub id: String,
    }
}

wire_enum! {
    /// The status of a payment intent.
    pub enum PaymentIntentStatus {
        /// `initialized`
        Initialized = "initialized",
        /// `processing`
        Processing = "processing",
        /// `requires_payment_method`
        RequiresPaymentMethod = "requires_payment_method",
        /// `successful`
        Successful = "successful",
        /// `failed`
        Failed = "failed",
        /// `cancelled`
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// A family of payment methods a payment intent accepts.
    pub enum PaymentMethodKind {
        /// `card`
        Card = "card",
        /// `bank`
        Bank = "bank",
        /// `wallet` (mobile money)
        Wallet = "wallet",
    }
}

keeps_unknown! {
    /// A payment intent (`payments.d.ts`), the payload of `payment_intent.*`.
    pub struct PaymentIntent {
        /// The payment intent id.
        pub id: String,
        /// The amount to collect, in `currency`.
        pub amount: f64,
        /// The gateways offered to the payer.
        #[serde(default)]
        pub payment_method_options: Vec<PaymentGateway>,
        /// The client secret of the intent.
        pub intent_secret: String,
        /// The status.
        pub status: PaymentIntentStatus,
        /// The hosted checkout link.
        pub link: String,
        /// Values of the merchant's custom checkout fields.
        #[serde(default)]
        pub custom_fields_values: Map<String, Value>,
        /// Whether the intent is a checkout session.
        #[serde(default)]
        pub is_session: bool,
        /// The customer, when expanded (wire key `Customer`).
        #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
        pub customer_details: Option<Customer>,
        /// ISO currency code, e.g. `GMD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub currency: Option<String>,
        /// The payment method families accepted.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_methods: Option<Vec<PaymentMethodKind>>,
        /// Checkout title.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub title: Option<String>,
        /// Checkout description.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub description: Option<String>,
        /// The customer id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer: Option<String>,
        /// The customer's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_name: Option<String>,
        /// The customer's email.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_email: Option<String>,
        /// The customer's phone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_phone: Option<String>,
        /// The merchant's metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<Map<String, Value>>,
        /// Where the payer returns after paying.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub return_url: Option<String>,
        /// Where the payer returns after cancelling.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub cancel_url: Option<String>,
        /// The payment method chosen.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_method: Option<String>,
        /// A coupon code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub coupon: Option<String>,
        /// The per-intent webhook URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub callback_url: Option<String>,
        /// The mobile network.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network: Option<String>,
        /// The payer's account number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub account_number: Option<String>,
        /// The sub-account credited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sub_account: Option<String>,
        /// Whether URL validation was skipped.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub skip_url_validation: Option<bool>,
    }
}

wire_enum! {
    /// The status of a charge (`Transaction.status`).
    pub enum TransactionStatus {
        /// `pending`
        Pending = "pending",
        /// `completed`
        Completed = "completed",
        /// `failed`
        Failed = "failed",
        /// `refunded`
        Refunded = "refunded",
        /// `cancelled`
        Cancelled = "cancelled",
    }
}

wire_enum! {
    /// What a charge paid for (`Transaction.type`).
    pub enum TransactionType {
        /// `payment`
        Payment = "payment",
        /// `subscription`
        Subscription = "subscription",
        /// `invoice`
        Invoice = "invoice",
    }
}

keeps_unknown! {
    /// A charge, the payload of `charge.*`.
    ///
    /// The SDK has no `Charge` type: this is its `Transaction` (`index.d.ts`) plus the
    /// extra fields of the docs' `charge.succeeded` sample. The docs send `customer_*` as
    /// `null` and no `PaymentGateway`, so those are optional here.
    pub struct Charge {
        /// The charge id.
        pub id: String,
        /// The payment intent this charge pays.
        pub payment_intent_id: String,
        /// The amount, in `currency`.
        pub amount: f64,
        /// ISO currency code, e.g. `GMD`.
        pub currency: String,
        /// The status.
        pub status: TransactionStatus,
        /// What the charge paid for (wire key `type`).
        #[serde(rename = "type")]
        pub kind: TransactionType,
        /// Modem Pay's reference, e.g. `MP-20260227-000355-85556EB0`.
        pub transaction_reference: String,
        /// The merchant account.
        pub account_id: String,
        /// The business.
        pub business_id: String,
        /// When the charge was created (ISO-8601, wire key `createdAt`).
        #[serde(rename = "createdAt")]
        pub created_at: String,
        /// When the charge last changed (ISO-8601, wire key `updatedAt`).
        #[serde(rename = "updatedAt")]
        pub updated_at: String,
        /// The payer's account, masked, e.g. `.... 4725`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_account: Option<String>,
        /// The payment method used, e.g. `wave`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_method: Option<String>,
        /// The customer id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer: Option<String>,
        /// The customer's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_name: Option<String>,
        /// The customer's phone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_phone: Option<String>,
        /// The customer's email.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_email: Option<String>,
        /// Values of the merchant's custom checkout fields.
        #[serde(default)]
        pub custom_fields_values: Map<String, Value>,
        /// The merchant's metadata.
        #[serde(default)]
        pub metadata: Map<String, Value>,
        /// The gateway used (wire key `PaymentGateway`).
        #[serde(
            rename = "PaymentGateway",
            default,
            skip_serializing_if = "Option::is_none"
        )]
        pub payment_gateway: Option<PaymentGateway>,
        /// The customer, when expanded (wire key `Customer`).
        #[serde(rename = "Customer", default, skip_serializing_if = "Option::is_none")]
        pub customer_details: Option<Customer>,
        /// The merchant's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reference: Option<String>,
        /// Where the charge came from, e.g. `online`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub source: Option<String>,
        /// Notes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub notes: Option<String>,
        /// The coupon applied (shape undocumented).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub coupon: Option<Value>,
        /// The discount applied (shape undocumented).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub discount: Option<Value>,
        /// The amount before discounts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sub_total: Option<f64>,
        /// Whether the charge was edited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub edited: Option<bool>,
        /// How the charge is authorised, e.g. `confirm`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub auth_mode: Option<String>,
        /// Risk assessment (shape undocumented).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub risk_score: Option<Value>,
        /// When the charge was paid (ISO-8601).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub paid_date: Option<String>,
        /// The POS terminal.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub terminal_id: Option<String>,
        /// Whether the payer must authorise.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub requires_auth: Option<bool>,
        /// Length of the authorisation code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub auth_length: Option<u32>,
        /// Why the charge failed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub failure_reason: Option<String>,
        /// The payment link paid through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_link_id: Option<String>,
        /// The payment method record.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_method_id: Option<String>,
        /// The fee charged.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub transaction_fee: Option<f64>,
        /// Who bears the fee, e.g. `customer`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub transaction_fee_type: Option<String>,
        /// Whether the intent's return URL is kept.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub maintain_original_return_url: Option<bool>,
        /// Whether this is a test-mode charge.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub test_mode: Option<bool>,
    }
}

wire_enum! {
    /// Where a transfer goes.
    pub enum TransferType {
        /// `self`: to the merchant's own account.
        OwnAccount = "self",
        /// `modem-pay`: to another Modem Pay business.
        ModemPay = "modem-pay",
        /// `mobile-money`
        MobileMoney = "mobile-money",
        /// `bank`
        Bank = "bank",
    }
}

wire_enum! {
    /// The status of a transfer.
    pub enum TransferStatus {
        /// `pending`
        Pending = "pending",
        /// `completed`
        Completed = "completed",
        /// `failed`
        Failed = "failed",
        /// `cancelled`
        Cancelled = "cancelled",
    }
}

keeps_unknown! {
    /// A transfer (payout) (`transfers.d.ts`), the payload of `transfer.*`.
    pub struct Transfer {
        /// The transfer id.
        pub id: String,
        /// The business sending.
        pub business_id: String,
        /// The account debited.
        pub account_id: String,
        /// The merchant.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub merchant_id: Option<String>,
        /// The receiving business, for `modem-pay` transfers.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub recipient_business_id: Option<String>,
        /// The amount sent, in `currency`.
        pub amount: f64,
        /// The fee.
        pub fee: f64,
        /// ISO currency code, e.g. `GMD`.
        pub currency: String,
        /// Where the transfer goes (wire key `type`).
        #[serde(rename = "type")]
        pub kind: TransferType,
        /// The status.
        pub status: TransferStatus,
        /// The balance before the transfer.
        pub balance_before: f64,
        /// The balance after the transfer.
        pub balance_after: f64,
        /// The recipient's account name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub account_name: Option<String>,
        /// The mobile network.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub network: Option<String>,
        /// The bank.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub bank: Option<String>,
        /// The amount the recipient received.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub amount_received: Option<f64>,
        /// The recipient's mobile number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub mobile_number: Option<String>,
        /// The recipient's account number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub account_number: Option<String>,
        /// Modem Pay's reference.
        pub transfer_reference: String,
        /// Whether this is a test-mode transfer.
        #[serde(default)]
        pub test_mode: bool,
        /// The transfer's event history (shape undocumented).
        #[serde(default)]
        pub events: Map<String, Value>,
        /// A note to the recipient.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub note: Option<String>,
        /// The one-time password, when one was required.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub otp: Option<String>,
        /// The merchant's metadata.
        #[serde(default)]
        pub metadata: Map<String, Value>,
    }
}

wire_enum! {
    /// The layout of an invoice.
    pub enum InvoiceType {
        /// `simple`
        Simple = "simple",
        /// `professional`
        Professional = "professional",
    }
}

wire_enum! {
    /// The status of an invoice.
    pub enum InvoiceStatus {
        /// `not-paid`
        NotPaid = "not-paid",
        /// `paid`
        Paid = "paid",
        /// `overdue`
        Overdue = "overdue",
    }
}

wire_enum! {
    /// How a discount is expressed.
    pub enum DiscountType {
        /// `fixed`: an amount.
        Fixed = "fixed",
        /// `percentage`
        Percentage = "percentage",
    }
}

keeps_unknown! {
    /// A discount on an invoice.
    pub struct Discount {
        /// How `amount` reads (wire key `type`).
        #[serde(rename = "type")]
        pub kind: DiscountType,
        /// The amount or the percentage.
        pub amount: f64,
    }
}

keeps_unknown! {
    /// One line of an invoice.
    pub struct LineItem {
        /// The quantity.
        pub quantity: f64,
        /// The item id.
        pub item: String,
        /// The item's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub name: Option<String>,
        /// The price.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub price: Option<f64>,
        /// The unit price.
        pub unit_price: f64,
        /// `quantity × unit_price`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub total_price: Option<f64>,
        /// The chosen variant, option name to value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub variant_combination: Option<BTreeMap<String, String>>,
        /// Image URLs (wire key `imageUrls`).
        #[serde(rename = "imageUrls", default, skip_serializing_if = "Option::is_none")]
        pub image_urls: Option<Vec<String>>,
    }
}

/// An invoice number, which the SDK types as `string | number`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InvoiceNumber {
    /// A textual number, e.g. `INV-0042`.
    Text(String),
    /// A plain number, kept exactly as sent.
    Number(Number),
}

keeps_unknown! {
    /// An invoice (`invoices.d.ts`), the payload of `invoice.*`.
    pub struct Invoice {
        /// The invoice id. The SDK's type has none; kept when the delivery carries one
        /// (the dedupe key uses it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The layout (wire key `type`).
        #[serde(rename = "type")]
        pub kind: InvoiceType,
        /// The status.
        pub status: InvoiceStatus,
        /// The customer id.
        pub customer: String,
        /// The customer's email.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_email: Option<String>,
        /// The customer's name.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_name: Option<String>,
        /// The customer's phone.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub customer_phone: Option<String>,
        /// ISO currency code, e.g. `GMD`.
        pub currency: String,
        /// The business.
        pub business_id: String,
        /// The merchant's display name.
        pub merchant_name: String,
        /// The merchant account.
        pub account_id: String,
        /// The amount due.
        pub amount: f64,
        /// The discount.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub discount: Option<Discount>,
        /// The amount before discount.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sub_total: Option<f64>,
        /// The total.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub total: Option<f64>,
        /// Notes.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub notes: Option<String>,
        /// The lines.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub line_items: Option<Vec<LineItem>>,
        /// The due date (ISO-8601).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub due_date: Option<String>,
        /// The merchant's reference.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub reference: Option<String>,
        /// The merchant's metadata.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub metadata: Option<Map<String, Value>>,
        /// The invoice number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub invoice_number: Option<InvoiceNumber>,
        /// When the invoice was sent (ISO-8601).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sent_date: Option<String>,
        /// When the invoice was paid (ISO-8601).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub paid_date: Option<String>,
        /// The payment link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub payment_link: Option<String>,
        /// When the invoice was created (ISO-8601, wire key `createdAt`).
        #[serde(rename = "createdAt")]
        pub created_at: String,
        /// When the invoice last changed (ISO-8601, wire key `updatedAt`).
        #[serde(rename = "updatedAt")]
        pub updated_at: String,
        /// Whether this is a test-mode invoice.
        #[serde(default)]
        pub test_mode: bool,
        /// How many reminders were sent.
        #[serde(default)]
        pub reminder_count: u32,
        /// The per-invoice webhook URL.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub callback_url: Option<String>,
        /// The sub-account credited.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub sub_account: Option<String>,
    }
}

keeps_unknown! {
    /// A paid payment request, the payload of `paymentrequest.success`.
    ///
    /// Neither SDK types this payload, so it is a loose struct: the `id` (which the dedupe
    /// key uses), the amount and currency when present, and every other field in `extra`.
    pub struct PaymentRequest {
        /// The payment request id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub id: Option<String>,
        /// The amount paid.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub amount: Option<f64>,
        /// ISO currency code, e.g. `GMD`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub currency: Option<String>,
    }
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

// ---------------------------------------------------------------------------------
// Samples, shaped like the docs' payloads

const BUSINESS_ID: &str = "120c298f-b736-49c1-8220-8a8c84a5d8f3";
const ACCOUNT_ID: &str = "638c0d3b-9c90-4f20-8d3d-df2a6c6a40a6";
const CREATED_AT: &str = "2026-02-27T00:03:55.078Z";
const UPDATED_AT: &str = "2026-02-27T00:04:07.957Z";

fn some(s: &str) -> Option<String> {
    Some(s.to_owned())
}

fn object<const N: usize>(fields: [(&str, Value); N]) -> Map<String, Value> {
    fields.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

fn customer(id: &str) -> Customer {
    Customer {
        id: id.to_owned(),
        name: "Awa Jallow".to_owned(),
        email: "awa.jallow@example.gm".to_owned(),
        phone: some("+2207012345"),
        balance: Some(0.0),
        extra: object([
            ("createdAt", CREATED_AT.into()),
            ("updatedAt", UPDATED_AT.into()),
        ]),
    }
}

fn wave_gateway() -> PaymentGateway {
    PaymentGateway {
        tag: "wave".to_owned(),
        group: "wallet".to_owned(),
        logo: "https://assets.modempay.com/gateways/wave.png".to_owned(),
        id: "d8ec7405-0485-47aa-b58e-ab6d173ba4ef".to_owned(),
        extra: Map::new(),
    }
}

fn payment_intent(id: &str, status: PaymentIntentStatus) -> PaymentIntent {
    PaymentIntent {
        id: id.to_owned(),
        amount: 450.0,
        payment_method_options: vec![wave_gateway()],
        intent_secret: format!("pi_secret_{}", &id[..8]),
        status,
        link: format!("https://checkout.modempay.com/pay/{id}"),
        custom_fields_values: Map::new(),
        is_session: false,
        customer_details: None,
        currency: some("GMD"),
        payment_methods: Some(vec![PaymentMethodKind::Wallet, PaymentMethodKind::Card]),
        title: some("Order #1042"),
        description: some("2 x Attaya set"),
        customer: some("2e8c71e5-1932-4483-adac-0c82c4e813fc"),
        customer_name: some("Awa Jallow"),
        customer_email: some("awa.jallow@example.gm"),
        customer_phone: some("+2207012345"),
        metadata: Some(object([("order_id", "1042".into())])),
        return_url: some("https://shop.example.gm/orders/1042/thanks"),
        cancel_url: some("https://shop.example.gm/cart"),
        payment_method: None,
        coupon: None,
        callback_url: None,
        network: None,
        account_number: None,
        sub_account: None,
        skip_url_validation: None,
        extra: object([
            ("createdAt", CREATED_AT.into()),
            ("updatedAt", UPDATED_AT.into()),
        ]),
    }
}

/// The docs' virtual-terminal `charge.succeeded` sample, with `id` and `status` varied.
fn charge(id: &str, status: TransactionStatus) -> Charge {
    let failed = status == TransactionStatus::Failed;
    let completed = status == TransactionStatus::Completed;
    Charge {
        id: id.to_owned(),
        payment_intent_id: "cc8122d1-6f00-4773-a6f2-7cfa4797c869".to_owned(),
        amount: 10.0,
        currency: "GMD".to_owned(),
        status,
        kind: TransactionType::Payment,
        transaction_reference: format!("MP-20260227-000355-{}", id[..8].to_uppercase()),
        account_id: ACCOUNT_ID.to_owned(),
        business_id: BUSINESS_ID.to_owned(),
        created_at: CREATED_AT.to_owned(),
        updated_at: UPDATED_AT.to_owned(),
        payment_account: some(".... 4725"),
        payment_method: some("wave"),
        customer: None,
        customer_name: None,
        customer_phone: None,
        customer_email: None,
        custom_fields_values: Map::new(),
        metadata: object([
            (
                "qr_code_url",
                "https://checkout.modempay.com/pos/9211661".into(),
            ),
            ("terminal_id", "9211661".into()),
            ("terminal_name", "COUNTER 1".into()),
        ]),
        payment_gateway: None,
        customer_details: None,
        reference: some("cos-238mandcg8wfc"),
        source: some("online"),
        notes: None,
        coupon: None,
        discount: None,
        sub_total: None,
        edited: Some(false),
        auth_mode: some("confirm"),
        risk_score: Some(Value::Object(Map::new())),
        paid_date: completed.then(|| UPDATED_AT.to_owned()),
        terminal_id: some("f2b29a71-1928-4da2-98f4-3b851ad02b43"),
        requires_auth: Some(false),
        auth_length: Some(0),
        failure_reason: failed.then(|| "Insufficient balance".to_owned()),
        payment_link_id: None,
        payment_method_id: some("d8ec7405-0485-47aa-b58e-ab6d173ba4ef"),
        transaction_fee: Some(0.0),
        transaction_fee_type: some("customer"),
        maintain_original_return_url: Some(false),
        test_mode: Some(false),
        extra: Map::new(),
    }
}

fn transfer(id: &str, status: TransferStatus) -> Transfer {
    Transfer {
        id: id.to_owned(),
        business_id: BUSINESS_ID.to_owned(),
        account_id: ACCOUNT_ID.to_owned(),
        merchant_id: None,
        recipient_business_id: None,
        amount: 1500.0,
        fee: 15.0,
        currency: "GMD".to_owned(),
        kind: TransferType::MobileMoney,
        status,
        balance_before: 10_000.0,
        balance_after: 8485.0,
        account_name: some("Lamin Ceesay"),
        network: some("wave"),
        bank: None,
        amount_received: Some(1500.0),
        mobile_number: some("+2203456789"),
        account_number: None,
        transfer_reference: format!("TRF-{}", id[..8].to_uppercase()),
        test_mode: false,
        events: Map::new(),
        note: some("March payout"),
        otp: None,
        metadata: Map::new(),
        extra: object([
            ("createdAt", CREATED_AT.into()),
            ("updatedAt", UPDATED_AT.into()),
        ]),
    }
}

fn invoice(id: &str, status: InvoiceStatus) -> Invoice {
    let paid = status == InvoiceStatus::Paid;
    Invoice {
        id: some(id),
        kind: InvoiceType::Professional,
        status,
        customer: "2e8c71e5-1932-4483-adac-0c82c4e813fc".to_owned(),
        customer_email: some("awa.jallow@example.gm"),
        customer_name: some("Awa Jallow"),
        customer_phone: some("+2207012345"),
        currency: "GMD".to_owned(),
        business_id: BUSINESS_ID.to_owned(),
        merchant_name: "Banjul Crafts".to_owned(),
        account_id: ACCOUNT_ID.to_owned(),
        amount: 2250.0,
        discount: Some(Discount {
            kind: DiscountType::Fixed,
            amount: 250.0,
            extra: Map::new(),
        }),
        sub_total: Some(2500.0),
        total: Some(2250.0),
        notes: some("Thank you for your business"),
        line_items: Some(vec![LineItem {
            quantity: 5.0,
            item: "8e9b31a8-c0d0-4c3d-b866-9212e3b0e9e5".to_owned(),
            name: some("Tie-dye fabric (2 m)"),
            price: Some(500.0),
            unit_price: 500.0,
            total_price: Some(2500.0),
            variant_combination: Some(BTreeMap::from([("colour".to_owned(), "indigo".to_owned())])),
            image_urls: None,
            extra: Map::new(),
        }]),
        due_date: some("2026-03-13T00:00:00.000Z"),
        reference: some("PO-7781"),
        metadata: None,
        invoice_number: Some(InvoiceNumber::Text("INV-0042".to_owned())),
        sent_date: some(CREATED_AT),
        paid_date: paid.then(|| UPDATED_AT.to_owned()),
        payment_link: some("https://checkout.modempay.com/invoice/INV-0042"),
        created_at: CREATED_AT.to_owned(),
        updated_at: UPDATED_AT.to_owned(),
        test_mode: false,
        reminder_count: 0,
        callback_url: None,
        sub_account: None,
        extra: Map::new(),
    }
}

fn payment_request(id: &str) -> PaymentRequest {
    PaymentRequest {
        id: some(id),
        amount: Some(750.0),
        currency: some("GMD"),
        extra: object([
            ("status", "paid".into()),
            ("reference", "PR-20260227-0007".into()),
            ("payment_method", "wave".into()),
            ("business_id", BUSINESS_ID.into()),
            ("createdAt", CREATED_AT.into()),
            ("updatedAt", UPDATED_AT.into()),
        ]),
    }
}
