//! Samples of each payload, shaped like the docs' payloads: what fakes send.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::payloads::*;

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

pub(super) fn customer(id: &str) -> Customer {
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

pub(super) fn payment_intent(id: &str, status: PaymentIntentStatus) -> PaymentIntent {
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
pub(super) fn charge(id: &str, status: TransactionStatus) -> Charge {
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

pub(super) fn transfer(id: &str, status: TransferStatus) -> Transfer {
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

pub(super) fn invoice(id: &str, status: InvoiceStatus) -> Invoice {
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

pub(super) fn payment_request(id: &str) -> PaymentRequest {
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
