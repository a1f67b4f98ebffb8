//! Modem Pay's typed payloads.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

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
