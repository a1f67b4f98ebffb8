//! The typed payloads under fuzz, and the check: parsing any JSON into any event type
//! never panics, and what parses survives a serialize/parse round trip unchanged (a
//! handler that stores and reloads an event must get the same event back).
//!
//! The first input byte picks the event type; the rest is the JSON.

use std::fmt::Debug;

use serde::Serialize;
use serde::de::DeserializeOwned;
use webhook_core::providers::{bamotf, modem_pay};

/// Parses `json` as `E`; if it parses, its JSON parses back to an equal value.
pub fn round_trip<E>(json: &[u8])
where
    E: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let Ok(event) = serde_json::from_slice::<E>(json) else {
        return;
    };
    let written = serde_json::to_vec(&event).expect("a parsed event serializes");
    let again: E = serde_json::from_slice(&written).unwrap_or_else(|e| {
        panic!(
            "{event:?} wrote JSON it cannot read back: {e}: {}",
            String::from_utf8_lossy(&written)
        )
    });
    assert_eq!(event, again, "round trip changed the event");
}

/// One parse check per Modem Pay event type, in catalogue order.
pub const MODEM_PAY: &[fn(&[u8])] = &[
    round_trip::<modem_pay::CustomerCreated>,
    round_trip::<modem_pay::CustomerUpdated>,
    round_trip::<modem_pay::CustomerDeleted>,
    round_trip::<modem_pay::PaymentIntentCreated>,
    round_trip::<modem_pay::PaymentIntentCancelled>,
    round_trip::<modem_pay::PaymentIntentExpired>,
    round_trip::<modem_pay::ChargeCreated>,
    round_trip::<modem_pay::ChargeUpdated>,
    round_trip::<modem_pay::ChargeSucceeded>,
    round_trip::<modem_pay::ChargeFailed>,
    round_trip::<modem_pay::ChargeCancelled>,
    round_trip::<modem_pay::ChargeExpired>,
    round_trip::<modem_pay::TransferSucceeded>,
    round_trip::<modem_pay::TransferFailed>,
    round_trip::<modem_pay::TransferReversed>,
    round_trip::<modem_pay::TransferCancelled>,
    round_trip::<modem_pay::TransferFlagged>,
    round_trip::<modem_pay::InvoiceCreated>,
    round_trip::<modem_pay::InvoiceUpdated>,
    round_trip::<modem_pay::InvoiceDeleted>,
    round_trip::<modem_pay::PaymentRequestSuccess>,
];

/// One parse check per bamotf event type, in catalogue order.
pub const BAMOTF: &[fn(&[u8])] = &[
    round_trip::<bamotf::PaymentIntentCreated>,
    round_trip::<bamotf::PaymentIntentPending>,
    round_trip::<bamotf::PaymentIntentProcessing>,
    round_trip::<bamotf::PaymentIntentSucceeded>,
    round_trip::<bamotf::PaymentIntentCanceled>,
];

/// Runs the check the first byte of `data` picks on the rest.
pub fn check(checks: &[fn(&[u8])], data: &[u8]) {
    if let Some((&pick, json)) = data.split_first() {
        checks[usize::from(pick) % checks.len()](json);
    }
}
