//! Inputs the fuzz targets in `fuzz/` once failed on, kept as tests so the fixes stay.
//!
//! Each test names its target and the artifact (`fuzz/artifacts/<target>/crash-<sha1>`)
//! and holds the input itself, minimised where that keeps the failure.

use webhook_core::Event;
use webhook_core::providers::modem_pay::{ChargeSucceeded, InvoiceCreated};

/// `payload_modem_pay`, `crash-6307a886fe70cff4d5628aceff2d82562e2a716f`: an invoice line
/// whose `total_price` has 49 digits parsed 1 ULP away from the nearest `f64`, so the
/// event changed when written and read back (`…224e48` became `…227e48`).
#[test]
fn invoice_with_a_long_amount_round_trips_unchanged() {
    let json = r#"{"account_id":"638c0d3b-9c90-4f20-8d3d-df2a6c6a40a6","amount":2250.0,"business_id":"120c298f-b736-49c1-8220-8a8c84a5d8f3","createdAt":"2026-02-27T00:03:55.078Z","currency":"GMD","customer":"2e8c71e5-1932-4483-adac-3T00:00:00.000Z","id":"3e15056b-2340-4fa2-9638-56bab5cab650","invoice_number":"INV-0042","line_items":[{"item":"8e9b31a8-c0d0-4c3d-b866-9212e3b0e9e5","name":"Tie-dye fabric (2 m)","price":500.0,"quantity":5.0,"total_price":2222222222222222222222222222222222222222222222500.0,"unit_price":500.0,"variant_combination":{"colour":"indigo"}}],"merchant_name":"Banjul Crafts","notes":"Thank you for your business","payment_link":"https://checkout.modempay.com/invoice/INV-0042","reference":"PO-7781","reminder_count":0,"sent\u007fdate":"2026-02-27T00:03:55.078Z","status":"not-paid","stb_total":2500.0,"test_mode":false,"total":2250.0,"type":"professional","updatedAt":"2026-02-27T00:04:07.957Z"}"#;
    let event: InvoiceCreated = serde_json::from_str(json).unwrap();
    let again: InvoiceCreated =
        serde_json::from_slice(&serde_json::to_vec(&event).unwrap()).unwrap();
    assert_eq!(event, again);
}

/// The same failure on its own: an amount is parsed to the `f64` nearest its decimal text,
/// as Rust's own parser does, whatever its number of digits.
#[test]
fn amounts_parse_to_the_nearest_f64() {
    let amounts = [
        "2222222222222222222222222222222222222222222222500.0",
        "2.2222222222222224e48",
        "0.30000000000000004",
        "123456789.12345678901234567890",
        "9007199254740993",
    ];
    for amount in amounts {
        let json = charge_with_amount(amount);
        let charge: ChargeSucceeded = serde_json::from_str(&json).unwrap();
        let nearest: f64 = amount.parse().unwrap();
        assert_eq!(
            charge.amount.to_bits(),
            nearest.to_bits(),
            "amount {amount}"
        );
    }
}

/// The catalogue's `charge.succeeded` sample with `amount` written as the given text.
fn charge_with_amount(amount: &str) -> String {
    let mut sample = ChargeSucceeded::sample();
    sample.amount = 0.125;
    let json = serde_json::to_string(&sample).unwrap();
    assert!(json.contains(r#""amount":0.125"#));
    json.replace(r#""amount":0.125"#, &format!(r#""amount":{amount}"#))
}
