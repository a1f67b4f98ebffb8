//! The built-in providers: envelopes of composed and hand-written bodies, envelope
//! errors, catalogues and typed payloads.

use std::collections::HashSet;
use std::fmt::Debug;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use webhook_core::providers::custom::{CustomProvider, EnvelopeSpec, FieldSource};
use webhook_core::providers::{
    Bamotf, GitHub, ModemPay, StandardWebhooks, Stripe, bamotf, modem_pay,
};
use webhook_core::scheme::HmacScheme;
use webhook_core::{Envelope, EnvelopeError, Event, Provider};

fn envelope_of(
    provider: &dyn Provider,
    headers: &HeaderMap,
    body: &str,
) -> Result<Envelope, EnvelopeError> {
    provider.envelope(headers, &Bytes::copy_from_slice(body.as_bytes()))
}

fn composed(
    provider: &dyn Provider,
    event_type: &str,
    data: &Value,
    id: &str,
) -> (Bytes, HeaderMap, Envelope) {
    let (body, headers) = provider.compose(event_type, data, id);
    let body = Bytes::from(body);
    let envelope = provider
        .envelope(&headers, &body)
        .expect("a composed body has an envelope");
    (body, headers, envelope)
}

fn json_of(bytes: &[u8]) -> Value {
    serde_json::from_slice(bytes).expect("valid JSON")
}

fn content_type(headers: &HeaderMap) -> &str {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn sha256_key(body: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(body)))
}

/// Serialize → deserialize through the event type gives the same value, and the
/// catalogue entry's sample is that same JSON.
fn round_trips<E: Event + PartialEq + Debug>(catalogue: &[webhook_core::CatalogueEntry]) {
    let sample = E::sample();
    let json = serde_json::to_value(&sample).unwrap();
    let back: E = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, sample, "{} round-trips", E::NAME);
    let text = serde_json::to_string(&sample).unwrap();
    assert_eq!(
        serde_json::from_str::<E>(&text).unwrap(),
        sample,
        "{} round-trips as text",
        E::NAME
    );
    let entry = catalogue
        .iter()
        .find(|e| e.name == E::NAME)
        .expect("in the catalogue");
    assert_eq!((entry.sample)(), json, "{} catalogue sample", E::NAME);
}

// ---------------------------------------------------------------------------------
// Modem Pay

/// The docs' virtual-terminal `charge.succeeded` body, as sent (`data`, nulls, extras).
const DOCS_CHARGE_SUCCEEDED: &str = r#"{
  "event": "charge.succeeded",
  "data": {
    "id": "88e26728-9e9c-4f18-802f-9d0d7659f795",
    "type": "payment",
    "notes": null,
    "amount": 10,
    "coupon": null,
    "edited": false,
    "source": "online",
    "status": "completed",
    "currency": "GMD",
    "customer": null,
    "discount": null,
    "metadata": {
      "qr_code_url": "https://checkout.modempay.com/pos/9211661",
      "terminal_id": "9211661",
      "terminal_name": "COUNTER 1"
    },
    "auth_mode": "confirm",
    "createdAt": "2026-02-27T00:03:55.078Z",
    "paid_date": null,
    "reference": "cos-238mandcg8wfc",
    "sub_total": null,
    "test_mode": false,
    "updatedAt": "2026-02-27T00:04:07.957Z",
    "account_id": "638c0d3b-9c90-4f20-8d3d-df2a6c6a40a6",
    "risk_score": {},
    "auth_length": 0,
    "business_id": "120c298f-b736-49c1-8220-8a8c84a5d8f3",
    "terminal_id": "f2b29a71-1928-4da2-98f4-3b851ad02b43",
    "customer_name": null,
    "requires_auth": false,
    "customer_email": null,
    "customer_phone": null,
    "failure_reason": null,
    "payment_method": "wave",
    "payment_account": ".... 4725",
    "payment_link_id": null,
    "transaction_fee": 0,
    "payment_intent_id": "cc8122d1-6f00-4773-a6f2-7cfa4797c869",
    "payment_method_id": "d8ec7405-0485-47aa-b58e-ab6d173ba4ef",
    "custom_fields_values": {},
    "transaction_fee_type": "customer",
    "transaction_reference": "MP-20260227-000355-85556EB0",
    "maintain_original_return_url": false,
    "settlement_batch": "2026-02-27"
  }
}"#;

#[test]
fn modem_pay_envelope_of_a_composed_sample() {
    let provider = ModemPay::default();
    assert_eq!(provider.name(), "modem-pay");
    let data = serde_json::to_value(modem_pay::ChargeSucceeded::sample()).unwrap();
    let (body, headers, envelope) = composed(&provider, "charge.succeeded", &data, "ignored");

    assert!(body.starts_with(br#"{"event":"charge.succeeded","payload":{"#));
    assert_eq!(content_type(&headers), "application/json");
    assert_eq!(envelope.event_type(), "charge.succeeded");
    assert_eq!(
        envelope.dedupe_key(),
        "charge.succeeded:88e26728-9e9c-4f18-802f-9d0d7659f795"
    );
    assert_eq!(json_of(envelope.data()), data);
    let typed: modem_pay::ChargeSucceeded = serde_json::from_slice(envelope.data()).unwrap();
    assert_eq!(typed, modem_pay::ChargeSucceeded::sample());
}

#[test]
fn modem_pay_data_is_a_slice_of_the_body() {
    let body = Bytes::from_static(
        br#"{"event":"customer.created","payload":{"id":"c1","name":"A","email":"a@b"}}"#,
    );
    let envelope = ModemPay::default()
        .envelope(&HeaderMap::new(), &body)
        .unwrap();
    assert_eq!(
        &envelope.data()[..],
        br#"{"id":"c1","name":"A","email":"a@b"}"#
    );
    let start = envelope.data().as_ptr() as usize - body.as_ptr() as usize;
    assert_eq!(start, r#"{"event":"customer.created","payload":"#.len());
}

#[test]
fn modem_pay_falls_back_to_data_when_payload_is_absent() {
    let provider = ModemPay::default();
    let envelope = envelope_of(&provider, &HeaderMap::new(), DOCS_CHARGE_SUCCEEDED).unwrap();
    assert_eq!(envelope.event_type(), "charge.succeeded");
    assert_eq!(
        envelope.dedupe_key(),
        "charge.succeeded:88e26728-9e9c-4f18-802f-9d0d7659f795"
    );
    assert_eq!(json_of(envelope.data())["reference"], "cos-238mandcg8wfc");

    let both =
        r#"{"event":"customer.updated","data":{"id":"from-data"},"payload":{"id":"from-payload"}}"#;
    let envelope = envelope_of(&provider, &HeaderMap::new(), both).unwrap();
    assert_eq!(envelope.dedupe_key(), "customer.updated:from-payload");

    let null_payload = r#"{"event":"customer.updated","payload":null,"data":{"id":"d"}}"#;
    let envelope = envelope_of(&provider, &HeaderMap::new(), null_payload).unwrap();
    assert_eq!(envelope.dedupe_key(), "customer.updated:d");
}

#[test]
fn modem_pay_dedupes_on_the_body_hash_without_a_string_id() {
    let provider = ModemPay::default();
    for body in [
        r#"{"event":"invoice.created","payload":{"type":"simple"}}"#,
        r#"{"event":"invoice.created","payload":{"id":42}}"#,
        r#"{"event":"invoice.created","payload":{"id":""}}"#,
        r#"{"event":"invoice.created","payload":[1,2]}"#,
    ] {
        let envelope = envelope_of(&provider, &HeaderMap::new(), body).unwrap();
        assert_eq!(envelope.dedupe_key(), sha256_key(body.as_bytes()), "{body}");
    }
}

#[test]
fn modem_pay_id_is_found_after_other_fields_and_through_escapes() {
    let provider = ModemPay::default();
    let body = r#"{"payload":{"amount":5,"nested":{"id":"inner"},"i\u0064":"outer"},"event":"charge.created"}"#;
    let envelope = envelope_of(&provider, &HeaderMap::new(), body).unwrap();
    assert_eq!(envelope.dedupe_key(), "charge.created:outer");
}

#[test]
fn modem_pay_malformed_envelopes_name_what_is_wrong() {
    let provider = ModemPay::default();
    let h = HeaderMap::new();
    assert_eq!(envelope_of(&provider, &h, ""), Err(EnvelopeError::Empty));
    assert_eq!(envelope_of(&provider, &h, " \n"), Err(EnvelopeError::Empty));
    assert!(matches!(
        envelope_of(&provider, &h, "event=charge"),
        Err(EnvelopeError::NotJson(_))
    ));
    assert!(matches!(
        envelope_of(&provider, &h, r#"{"event":"x","payload":{"#),
        Err(EnvelopeError::NotJson(_))
    ));
    assert_eq!(
        envelope_of(&provider, &h, r#"{"payload":{}}"#),
        Err(EnvelopeError::Missing("event"))
    );
    assert_eq!(
        envelope_of(&provider, &h, r#"{"event":5,"payload":{}}"#),
        Err(EnvelopeError::Missing("event"))
    );
    assert_eq!(
        envelope_of(&provider, &h, r#"{"event":"","payload":{}}"#),
        Err(EnvelopeError::Missing("event"))
    );
    assert_eq!(
        envelope_of(&provider, &h, r#"{"event":"x"}"#),
        Err(EnvelopeError::Missing("payload"))
    );
    assert_eq!(
        envelope_of(&provider, &h, r#"{"event":"x","payload":null}"#),
        Err(EnvelopeError::Missing("payload"))
    );
    assert_eq!(
        envelope_of(&provider, &h, "[1]"),
        Err(EnvelopeError::Missing("event"))
    );
}

#[test]
fn modem_pay_catalogue_has_all_21_events_with_distinct_sample_ids() {
    let provider = ModemPay::default();
    let catalogue = provider.catalogue();
    assert_eq!(catalogue.len(), 21);
    let names: HashSet<_> = catalogue.iter().map(|e| e.name).collect();
    assert_eq!(names.len(), 21);
    for name in [
        "customer.created",
        "customer.updated",
        "customer.deleted",
        "payment_intent.created",
        "payment_intent.cancelled",
        "payment_intent.expired",
        "charge.created",
        "charge.updated",
        "charge.succeeded",
        "charge.failed",
        "charge.cancelled",
        "charge.expired",
        "transfer.succeeded",
        "transfer.failed",
        "transfer.reversed",
        "transfer.cancelled",
        "transfer.flagged",
        "invoice.created",
        "invoice.update",
        "invoice.deleted",
        "paymentrequest.success",
    ] {
        assert!(names.contains(name), "{name} is in the catalogue");
    }
    let ids: HashSet<String> = catalogue
        .iter()
        .map(|e| {
            (e.sample)()["id"]
                .as_str()
                .expect("every sample has an id")
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 21, "sample ids are distinct");
}

#[test]
fn modem_pay_samples_round_trip_through_their_event_types() {
    let provider = ModemPay::default();
    let catalogue = provider.catalogue();
    round_trips::<modem_pay::CustomerCreated>(catalogue);
    round_trips::<modem_pay::CustomerUpdated>(catalogue);
    round_trips::<modem_pay::CustomerDeleted>(catalogue);
    round_trips::<modem_pay::PaymentIntentCreated>(catalogue);
    round_trips::<modem_pay::PaymentIntentCancelled>(catalogue);
    round_trips::<modem_pay::PaymentIntentExpired>(catalogue);
    round_trips::<modem_pay::ChargeCreated>(catalogue);
    round_trips::<modem_pay::ChargeUpdated>(catalogue);
    round_trips::<modem_pay::ChargeSucceeded>(catalogue);
    round_trips::<modem_pay::ChargeFailed>(catalogue);
    round_trips::<modem_pay::ChargeCancelled>(catalogue);
    round_trips::<modem_pay::ChargeExpired>(catalogue);
    round_trips::<modem_pay::TransferSucceeded>(catalogue);
    round_trips::<modem_pay::TransferFailed>(catalogue);
    round_trips::<modem_pay::TransferReversed>(catalogue);
    round_trips::<modem_pay::TransferCancelled>(catalogue);
    round_trips::<modem_pay::TransferFlagged>(catalogue);
    round_trips::<modem_pay::InvoiceCreated>(catalogue);
    round_trips::<modem_pay::InvoiceUpdated>(catalogue);
    round_trips::<modem_pay::InvoiceDeleted>(catalogue);
    round_trips::<modem_pay::PaymentRequestSuccess>(catalogue);
    assert_eq!(modem_pay::InvoiceUpdated::NAME, "invoice.update");
}

#[test]
fn modem_pay_docs_charge_succeeded_parses_into_the_typed_event() {
    let envelope = envelope_of(
        &ModemPay::default(),
        &HeaderMap::new(),
        DOCS_CHARGE_SUCCEEDED,
    )
    .unwrap();
    let ev: modem_pay::ChargeSucceeded = serde_json::from_slice(envelope.data()).unwrap();

    assert_eq!(ev.id, "88e26728-9e9c-4f18-802f-9d0d7659f795");
    assert_eq!(ev.amount, 10.0);
    assert_eq!(ev.currency, "GMD");
    assert_eq!(ev.status, modem_pay::TransactionStatus::Completed);
    assert_eq!(ev.kind, modem_pay::TransactionType::Payment);
    assert_eq!(ev.customer_name, None);
    assert_eq!(ev.customer, None);
    assert_eq!(ev.payment_gateway, None);
    assert_eq!(ev.payment_method.as_deref(), Some("wave"));
    assert_eq!(ev.auth_length, Some(0));
    assert_eq!(ev.metadata["terminal_name"], "COUNTER 1");
    assert_eq!(ev.extra["settlement_batch"], "2026-02-27");
    assert_eq!(ev.created_at, "2026-02-27T00:03:55.078Z");

    let charge: modem_pay::Charge = ev.into_payload();
    assert_eq!(charge.transaction_reference, "MP-20260227-000355-85556EB0");
}

#[test]
fn modem_pay_unknown_fields_and_enum_values_survive() {
    let mut data = serde_json::to_value(modem_pay::ChargeSucceeded::sample()).unwrap();
    data["status"] = json!("on_hold");
    data["type"] = json!("marketplace");
    data["loyalty_points"] = json!(12);
    let ev: modem_pay::ChargeSucceeded = serde_json::from_value(data).unwrap();
    assert_eq!(
        ev.status,
        modem_pay::TransactionStatus::Unknown("on_hold".to_owned())
    );
    assert_eq!(ev.status.as_str(), "on_hold");
    assert_eq!(
        ev.kind,
        modem_pay::TransactionType::Unknown("marketplace".to_owned())
    );
    assert_eq!(ev.extra["loyalty_points"], 12);

    let again = serde_json::to_value(&ev).unwrap();
    assert_eq!(again["status"], "on_hold");
    assert_eq!(again["type"], "marketplace");
    assert_eq!(again["loyalty_points"], 12);

    let transfer: modem_pay::Transfer = serde_json::from_value(json!({
        "id": "t1", "business_id": "b", "account_id": "a", "amount": 1, "fee": 0, "currency": "GMD",
        "type": "crypto", "status": "on_hold", "balance_before": 1, "balance_after": 0,
        "transfer_reference": "TRF-1"
    }))
    .unwrap();
    assert_eq!(
        transfer.kind,
        modem_pay::TransferType::Unknown("crypto".to_owned())
    );
    assert_eq!(
        transfer.status,
        modem_pay::TransferStatus::Unknown("on_hold".to_owned())
    );
    assert_eq!(
        modem_pay::TransferType::from("self"),
        modem_pay::TransferType::OwnAccount
    );
}

/// `extra` keeps what this version does not model, as sent, without serde's `flatten`:
/// read from bytes (borrowed and escaped keys), at every level of nesting, and written
/// back unchanged.
#[test]
fn unknown_fields_round_trip_at_every_level() {
    let mut data = serde_json::to_value(modem_pay::ChargeSucceeded::sample()).unwrap();
    data["loyalty"] = json!({"points": 12, "tier": ["gold", null, 1.5]});
    data["note\u{e9}"] = json!("caf\u{e9} \"quoted\"");
    data["PaymentGateway"] = json!({
        "tag": "wave", "group": "wallet", "logo": "l", "id": "g1", "region": "GM"
    });
    data["Customer"] = json!({"id": "c1", "name": "Awa", "email": "a@e", "vip": true});
    // Written by hand so that one key is escaped on the wire and one unknown key repeats.
    let text = serde_json::to_string(&data).unwrap();
    let text = format!(r#"{{"x\u002dtrace":"t-1","dup":1,"dup":2,{}"#, &text[1..]);
    let ev: modem_pay::ChargeSucceeded = serde_json::from_slice(text.as_bytes()).unwrap();

    assert_eq!(
        ev.extra["loyalty"],
        json!({"points": 12, "tier": ["gold", null, 1.5]})
    );
    assert_eq!(ev.extra["note\u{e9}"], "caf\u{e9} \"quoted\"");
    assert_eq!(ev.extra["x-trace"], "t-1");
    assert_eq!(ev.extra["dup"], 2, "the later member wins, as with flatten");
    assert_eq!(ev.extra.len(), 4, "{:?}", ev.extra);
    assert!(!ev.extra.contains_key("id") && !ev.extra.contains_key("PaymentGateway"));
    let gateway = ev.payment_gateway.as_ref().unwrap();
    assert_eq!(
        gateway.extra,
        json!({"region": "GM"}).as_object().unwrap().clone()
    );
    assert_eq!(ev.customer_details.as_ref().unwrap().extra["vip"], true);

    // Written back, every member is there with its value; read again, the value is equal.
    let mut expected = data.clone();
    expected["x-trace"] = json!("t-1");
    expected["dup"] = json!(2);
    assert_eq!(serde_json::to_value(&ev).unwrap(), expected);
    let again: modem_pay::ChargeSucceeded =
        serde_json::from_slice(&serde_json::to_vec(&ev).unwrap()).unwrap();
    assert_eq!(again, ev);
    // From a `Value` (owned keys and strings) it reads the same.
    let from_value: modem_pay::ChargeSucceeded = serde_json::from_value(expected).unwrap();
    assert_eq!(from_value, ev);

    // bamotf: the data's own extra, the intent's, and a transaction's.
    let mut data = serde_json::to_value(bamotf::PaymentIntentSucceeded::sample()).unwrap();
    data["livemode"] = json!(false);
    data["paymentIntent"]["feeRate"] = json!(3);
    data["paymentIntent"]["transactions"][0]["blockHeight"] = json!(820_000);
    let ev: bamotf::PaymentIntentSucceeded =
        serde_json::from_slice(&serde_json::to_vec(&data).unwrap()).unwrap();
    assert_eq!(ev.extra["livemode"], false);
    assert_eq!(ev.payment_intent.extra["feeRate"], 3);
    assert_eq!(
        ev.payment_intent.transactions[0].extra["blockHeight"],
        820_000
    );
    assert_eq!(serde_json::to_value(&ev).unwrap(), data);
}

/// The typed parse reports what is wrong as it did with `flatten`: the missing or
/// mistyped field, by name.
#[test]
fn typed_payload_errors_name_the_field() {
    let mut data = serde_json::to_value(modem_pay::ChargeSucceeded::sample()).unwrap();
    data.as_object_mut().unwrap().remove("currency");
    let error = serde_json::from_value::<modem_pay::Charge>(data.clone()).unwrap_err();
    assert!(
        error.to_string().contains("missing field `currency`"),
        "{error}"
    );

    data["currency"] = json!(5);
    let error = serde_json::from_slice::<modem_pay::Charge>(&serde_json::to_vec(&data).unwrap())
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("invalid type: integer `5`, expected a string"),
        "{error}"
    );

    // An array is not a payload (a struct with `extra` is read from an object only).
    let error = serde_json::from_str::<modem_pay::Charge>("[]").unwrap_err();
    assert!(
        error
            .to_string()
            .contains("invalid type: sequence, expected struct Charge"),
        "{error}"
    );
}

#[test]
fn modem_pay_invoice_numbers_are_strings_or_numbers() {
    let mut data = serde_json::to_value(modem_pay::InvoiceCreated::sample()).unwrap();
    data["invoice_number"] = json!(1042);
    let ev: modem_pay::InvoiceCreated = serde_json::from_value(data).unwrap();
    assert!(
        matches!(ev.invoice_number, Some(modem_pay::InvoiceNumber::Number(ref n)) if n.as_u64() == Some(1042))
    );
    assert_eq!(serde_json::to_value(&ev).unwrap()["invoice_number"], 1042);
    assert!(matches!(
        modem_pay::InvoiceCreated::sample().invoice_number,
        Some(modem_pay::InvoiceNumber::Text(_))
    ));
}

// ---------------------------------------------------------------------------------
// bamotf

#[test]
fn bamotf_envelope_of_a_composed_sample_dedupes_on_the_idempotence_key() {
    let provider = Bamotf::default();
    assert_eq!(provider.name(), "bamotf");
    let data = serde_json::to_value(bamotf::PaymentIntentSucceeded::sample()).unwrap();
    let (body, headers, envelope) =
        composed(&provider, "payment_intent.succeeded", &data, "job-17");

    assert_eq!(content_type(&headers), "text/plain;charset=UTF-8");
    let sent = json_of(&body);
    assert_eq!(sent["idempotenceKey"], "job-17");
    assert_ne!(sent["id"], "job-17");
    assert_eq!(sent["id"].as_str().unwrap().len(), 36);
    let created = sent["created"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    let text = std::str::from_utf8(&body).unwrap();
    let order = [
        "{\"id\":",
        ",\"idempotenceKey\":",
        ",\"created\":",
        ",\"event\":",
        ",\"data\":",
    ];
    let positions: Vec<usize> = order.iter().map(|key| text.find(key).unwrap()).collect();
    assert!(positions.is_sorted(), "fields in bamotf's order: {text}");

    assert_eq!(envelope.event_type(), "payment_intent.succeeded");
    assert_eq!(envelope.dedupe_key(), "job-17");
    assert_eq!(json_of(envelope.data()), data);
    let ev: bamotf::PaymentIntentSucceeded = serde_json::from_slice(envelope.data()).unwrap();
    assert_eq!(
        ev.payment_intent.status,
        bamotf::PaymentIntentStatus::Succeeded
    );
    assert_eq!(ev.payment_intent.transactions[0].confirmations, 1);
}

#[test]
fn bamotf_uses_idempotence_key_not_id() {
    let provider = Bamotf::default();
    let h = HeaderMap::new();
    let body = r#"{"id":"0b8c0f0e-attempt-2","idempotenceKey":"42","created":"2023-12-13T14:31:52.090Z","event":"payment_intent.processing","data":{"paymentIntent":{}}}"#;
    assert_eq!(envelope_of(&provider, &h, body).unwrap().dedupe_key(), "42");

    let without_key =
        r#"{"id":"0b8c0f0e","event":"payment_intent.processing","data":{"paymentIntent":{}}}"#;
    assert_eq!(
        envelope_of(&provider, &h, without_key),
        Err(EnvelopeError::Missing("idempotenceKey"))
    );
    let without_event = r#"{"idempotenceKey":"42","data":{}}"#;
    assert_eq!(
        envelope_of(&provider, &h, without_event),
        Err(EnvelopeError::Missing("event"))
    );
    let without_data = r#"{"idempotenceKey":"42","event":"payment_intent.processing"}"#;
    assert_eq!(
        envelope_of(&provider, &h, without_data),
        Err(EnvelopeError::Missing("data"))
    );
    assert_eq!(envelope_of(&provider, &h, ""), Err(EnvelopeError::Empty));
    assert!(matches!(
        envelope_of(&provider, &h, "v=1,d=2"),
        Err(EnvelopeError::NotJson(_))
    ));
}

#[test]
fn bamotf_catalogue_samples_round_trip() {
    let provider = Bamotf::default();
    let catalogue = provider.catalogue();
    assert_eq!(catalogue.len(), 5);
    round_trips::<bamotf::PaymentIntentCreated>(catalogue);
    round_trips::<bamotf::PaymentIntentPending>(catalogue);
    round_trips::<bamotf::PaymentIntentProcessing>(catalogue);
    round_trips::<bamotf::PaymentIntentSucceeded>(catalogue);
    round_trips::<bamotf::PaymentIntentCanceled>(catalogue);
    let ids: HashSet<String> = catalogue
        .iter()
        .map(|e| {
            (e.sample)()["paymentIntent"]["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 5);
}

#[test]
fn bamotf_payment_intent_reads_the_wire_shape() {
    let data = json!({
        "paymentIntent": {
            "id": "6f1c", "mode": "staging", "address": "bc1q", "amount": "2100000000000000",
            "status": "expired", "confirmations": 3, "tolerance": 0.0125, "currency": "BTC",
            "canceledAt": null, "cancellationReason": null, "description": null, "metadata": null,
            "accountId": "clq3", "createdAt": "2023-12-13T14:02:11.417Z", "updatedAt": "2023-12-13T14:02:11.417Z",
            "transactions": [{"id": "f418", "amount": "5000", "confirmations": 0, "paymentIntentId": "6f1c",
                              "createdAt": "2023-12-13T14:02:11.417Z", "updatedAt": "2023-12-13T14:02:11.417Z"}],
            "network": "signet"
        }
    });
    let ev: bamotf::PaymentIntentCreated = serde_json::from_value(data).unwrap();
    let pi = &ev.payment_intent;
    assert_eq!(pi.mode, bamotf::Mode::Unknown("staging".to_owned()));
    assert_eq!(
        pi.status,
        bamotf::PaymentIntentStatus::Unknown("expired".to_owned())
    );
    assert_eq!(pi.amount, "2100000000000000");
    assert_eq!(pi.canceled_at, None);
    assert_eq!(pi.transactions[0].original_amount, None);
    assert_eq!(pi.extra["network"], "signet");
    let again = serde_json::to_value(&ev).unwrap();
    assert!(
        again["paymentIntent"]["transactions"][0]
            .get("originalAmount")
            .is_none()
    );
    assert_eq!(again["paymentIntent"]["network"], "signet");
}

// ---------------------------------------------------------------------------------
// Standard Webhooks

#[test]
fn standard_webhooks_envelope_of_a_composed_body() {
    let provider = StandardWebhooks::default();
    assert_eq!(provider.name(), "standard-webhooks");
    let data = json!({"id": "inv_1", "amount": 100});
    let (body, headers, envelope) = composed(
        &provider,
        "invoice.paid",
        &data,
        "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W",
    );

    assert!(body.starts_with(br#"{"type":"invoice.paid","timestamp":""#));
    assert_eq!(headers["webhook-id"], "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    assert_eq!(content_type(&headers), "application/json");
    assert_eq!(envelope.event_type(), "invoice.paid");
    assert_eq!(envelope.dedupe_key(), "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W");
    assert_eq!(json_of(envelope.data()), data);
}

#[test]
fn standard_webhooks_flattened_data_is_the_whole_body() {
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
    let body = r#"{"type":"user.created","id":"u1","email":"a@b"}"#;
    let envelope = envelope_of(&StandardWebhooks::default(), &headers, body).unwrap();
    assert_eq!(&envelope.data()[..], body.as_bytes());
}

#[test]
fn standard_webhooks_missing_fields() {
    let provider = StandardWebhooks::default();
    let mut headers = HeaderMap::new();
    assert_eq!(
        envelope_of(&provider, &headers, r#"{"type":"a.b","data":{}}"#),
        Err(EnvelopeError::Missing("webhook-id"))
    );
    headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
    assert_eq!(
        envelope_of(&provider, &headers, r#"{"data":{}}"#),
        Err(EnvelopeError::Missing("type"))
    );
    assert_eq!(
        envelope_of(&provider, &headers, ""),
        Err(EnvelopeError::Empty)
    );
    assert!(matches!(
        envelope_of(&provider, &headers, "{"),
        Err(EnvelopeError::NotJson(_))
    ));
}

// ---------------------------------------------------------------------------------
// Stripe

#[test]
fn stripe_envelope_of_a_composed_event() {
    let provider = Stripe::default();
    assert_eq!(provider.name(), "stripe");
    let data =
        json!({"id": "pi_3MtwBwLkdIwHu7ix28a3tqPa", "object": "payment_intent", "amount": 2000});
    let (body, headers, envelope) = composed(
        &provider,
        "payment_intent.succeeded",
        &data,
        "1NFGxxLkdIwHu7ix",
    );

    assert!(body.starts_with(br#"{"id":"evt_1NFGxxLkdIwHu7ix","object":"event","api_version":"#));
    let sent = json_of(&body);
    assert_eq!(sent["livemode"], false);
    assert_eq!(sent["pending_webhooks"], 1);
    assert_eq!(
        sent["request"],
        json!({"id": null, "idempotency_key": null})
    );
    assert!(sent["created"].as_u64().unwrap() > 1_700_000_000);
    assert!(content_type(&headers).starts_with("application/json"));

    assert_eq!(envelope.event_type(), "payment_intent.succeeded");
    assert_eq!(envelope.dedupe_key(), "evt_1NFGxxLkdIwHu7ix");
    assert_eq!(json_of(envelope.data()), data);

    let (_, _, envelope) = composed(&provider, "charge.refunded", &data, "evt_given");
    assert_eq!(envelope.dedupe_key(), "evt_given");
}

#[test]
fn stripe_missing_fields() {
    let provider = Stripe::default();
    let h = HeaderMap::new();
    let no_id = r#"{"type":"a","data":{"object":{}}}"#;
    assert_eq!(
        envelope_of(&provider, &h, no_id),
        Err(EnvelopeError::Missing("id"))
    );
    let no_type = r#"{"id":"evt_1","data":{"object":{}}}"#;
    assert_eq!(
        envelope_of(&provider, &h, no_type),
        Err(EnvelopeError::Missing("type"))
    );
    let no_object = r#"{"id":"evt_1","type":"a","data":{"previous_attributes":{}}}"#;
    assert_eq!(
        envelope_of(&provider, &h, no_object),
        Err(EnvelopeError::Missing("data.object"))
    );
    let no_data = r#"{"id":"evt_1","type":"a"}"#;
    assert_eq!(
        envelope_of(&provider, &h, no_data),
        Err(EnvelopeError::Missing("data.object"))
    );
}

// ---------------------------------------------------------------------------------
// GitHub

fn github_headers(event: &str, delivery: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("x-github-event", HeaderValue::from_str(event).unwrap());
    headers.insert(
        "x-github-delivery",
        HeaderValue::from_str(delivery).unwrap(),
    );
    headers
}

#[test]
fn github_envelope_of_a_composed_delivery() {
    let provider = GitHub::default();
    assert_eq!(provider.name(), "github");
    let data =
        json!({"issue": {"number": 1347}, "repository": {"full_name": "octocat/Hello-World"}});
    let (body, headers, envelope) = composed(
        &provider,
        "issues.opened",
        &data,
        "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    );

    assert!(body.starts_with(br#"{"action":"opened","#));
    assert_eq!(headers["x-github-event"], "issues");
    assert_eq!(
        headers["x-github-delivery"],
        "72d3162e-cc78-11e3-81ab-4c9367dc0958"
    );
    assert!(
        headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("GitHub-Hookshot/")
    );
    assert_eq!(content_type(&headers), "application/json");
    let hook = headers["x-github-hook-id"].to_str().unwrap();

    assert_eq!(envelope.event_type(), "issues.opened");
    assert_eq!(
        envelope.dedupe_key(),
        format!("{hook}:72d3162e-cc78-11e3-81ab-4c9367dc0958")
    );
    assert_eq!(&envelope.data()[..], &body[..]);
}

#[test]
fn github_push_has_no_action_and_dedupes_on_the_delivery_alone() {
    let provider = GitHub::default();
    let (body, headers) = provider.compose("push", &json!({"ref": "refs/heads/main"}), "d-1");
    assert_eq!(body, br#"{"ref":"refs/heads/main"}"#);
    assert_eq!(headers["x-github-event"], "push");

    let envelope = envelope_of(
        &provider,
        &github_headers("push", "d-1"),
        r#"{"ref":"refs/heads/main"}"#,
    )
    .unwrap();
    assert_eq!(envelope.event_type(), "push");
    assert_eq!(envelope.dedupe_key(), "d-1");
}

#[test]
fn github_form_encoded_body_yields_the_payload_json() {
    let json = r#"{"action":"created","comment":{"body":"a & b = c?"}}"#;
    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", json)
        .finish();
    assert!(form.starts_with("payload=%7B"));
    let envelope = envelope_of(
        &GitHub::default(),
        &github_headers("issue_comment", "d-2"),
        &form,
    )
    .unwrap();
    assert_eq!(envelope.event_type(), "issue_comment.created");
    assert_eq!(&envelope.data()[..], json.as_bytes());
}

#[test]
fn github_missing_headers_and_bad_bodies() {
    let provider = GitHub::default();
    let mut headers = HeaderMap::new();
    assert_eq!(
        envelope_of(&provider, &headers, "{}"),
        Err(EnvelopeError::Missing("x-github-event"))
    );
    headers.insert("x-github-event", HeaderValue::from_static("ping"));
    assert_eq!(
        envelope_of(&provider, &headers, "{}"),
        Err(EnvelopeError::Missing("x-github-delivery"))
    );
    let headers = github_headers("ping", "d-3");
    assert_eq!(
        envelope_of(&provider, &headers, ""),
        Err(EnvelopeError::Empty)
    );
    assert!(matches!(
        envelope_of(&provider, &headers, "zen"),
        Err(EnvelopeError::NotJson(_))
    ));
    assert!(matches!(
        envelope_of(&provider, &headers, "payload="),
        Err(EnvelopeError::NotJson(_))
    ));
    let ping = envelope_of(
        &provider,
        &headers,
        r#"{"zen":"Keep it logically awesome.","hook_id":1}"#,
    )
    .unwrap();
    assert_eq!(ping.event_type(), "ping");
}

// ---------------------------------------------------------------------------------
// Custom

#[test]
fn custom_default_spec_reads_type_and_data_and_hashes_the_body() {
    let provider = CustomProvider::new("acme", HmacScheme::github());
    assert_eq!(provider.name(), "acme");
    assert_eq!(provider.envelope_spec(), &EnvelopeSpec::default());
    let data = json!({"order": 7});
    let (body, _headers, envelope) = composed(&provider, "order.paid", &data, "ignored");
    assert_eq!(
        json_of(&body),
        json!({"type": "order.paid", "data": {"order": 7}})
    );
    assert_eq!(envelope.event_type(), "order.paid");
    assert_eq!(envelope.dedupe_key(), sha256_key(&body));
    assert_eq!(json_of(envelope.data()), data);
}

#[test]
fn custom_nested_pointers_headers_and_numbers() {
    let provider = CustomProvider::new("acme", HmacScheme::github())
        .event_type_from(FieldSource::header("X-Acme-Event"))
        .data_from(FieldSource::pointer("/event/data"))
        .dedupe_key_from(FieldSource::pointer("/event/id"));
    let data = json!({"a": [1, 2]});
    let (body, headers, envelope) = composed(&provider, "thing.done", &data, "e-9");
    assert_eq!(
        json_of(&body),
        json!({"event": {"data": {"a": [1, 2]}, "id": "e-9"}})
    );
    assert_eq!(headers["x-acme-event"], "thing.done");
    assert_eq!(envelope.event_type(), "thing.done");
    assert_eq!(envelope.dedupe_key(), "e-9");
    assert_eq!(json_of(envelope.data()), data);

    let numeric = r#"{"event":{"id":12345,"data":{"list":["x","y"]}}}"#;
    let envelope = envelope_of(&provider, &headers, numeric).unwrap();
    assert_eq!(envelope.dedupe_key(), "12345");

    let by_index = provider.data_from(FieldSource::pointer("/event/data/list/1"));
    let envelope = envelope_of(&by_index, &headers, numeric).unwrap();
    assert_eq!(&envelope.data()[..], br#""y""#);
}

#[test]
fn custom_missing_sources_name_the_part() {
    let provider = CustomProvider::new("acme", HmacScheme::github()).with_envelope(EnvelopeSpec {
        event_type: FieldSource::pointer("/kind"),
        data: FieldSource::WholeBody,
        dedupe_key: FieldSource::header("x-acme-id"),
    });
    let h = HeaderMap::new();
    assert_eq!(
        envelope_of(&provider, &h, r#"{"k":1}"#),
        Err(EnvelopeError::Missing("event type"))
    );
    assert_eq!(
        envelope_of(&provider, &h, r#"{"kind":"a"}"#),
        Err(EnvelopeError::Missing("dedupe key"))
    );
    assert_eq!(envelope_of(&provider, &h, ""), Err(EnvelopeError::Empty));
    assert!(matches!(
        envelope_of(&provider, &h, "kind=a"),
        Err(EnvelopeError::NotJson(_))
    ));

    let mut headers = HeaderMap::new();
    headers.insert("x-acme-id", HeaderValue::from_static("id-1"));
    let body = r#"{"kind":"a","x":1}"#;
    let envelope = envelope_of(&provider, &headers, body).unwrap();
    assert_eq!(envelope.dedupe_key(), "id-1");
    assert_eq!(&envelope.data()[..], body.as_bytes());
}

// ---------------------------------------------------------------------------------
// All

#[test]
fn providers_without_typed_events_have_empty_catalogues() {
    assert!(StandardWebhooks::default().catalogue().is_empty());
    assert!(Stripe::default().catalogue().is_empty());
    assert!(GitHub::default().catalogue().is_empty());
    assert!(
        CustomProvider::new("acme", HmacScheme::github())
            .catalogue()
            .is_empty()
    );
}

#[test]
fn every_catalogue_sample_composes_into_an_envelope_of_its_own_type() {
    let providers: [&dyn Provider; 2] = [&ModemPay::default(), &Bamotf::default()];
    for provider in providers {
        for entry in provider.catalogue() {
            let data = (entry.sample)();
            let (_, _, envelope) = composed(provider, entry.name, &data, "id-1");
            assert_eq!(envelope.event_type(), entry.name);
            assert_eq!(json_of(envelope.data()), data);
        }
    }
}
