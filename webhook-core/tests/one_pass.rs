//! The one-pass read (`Provider::envelope_with_payload`) gives what the two passes give:
//! the envelope `Provider::envelope` reads (event type, dedupe key, data, errors), and
//! the payload a typed parse of that data gives, on any body, in any member order.

use std::fmt::Debug;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use proptest::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use webhook_core::providers::modem_pay::ChargeSucceeded;
use webhook_core::providers::{Bamotf, ModemPay, StandardWebhooks};
use webhook_core::{Event, PayloadSeed, Provider};

/// Reads every event type it lists as a `T`.
struct Seed<T> {
    events: &'static [&'static str],
    payload: std::marker::PhantomData<T>,
}

impl<T: DeserializeOwned + Send + 'static> PayloadSeed for Seed<T> {
    type Value = T;

    fn select(&self, event_type: &str) -> Option<usize> {
        self.events.iter().position(|name| *name == event_type)
    }

    fn deserialize<'de, D: Deserializer<'de>>(&self, _: usize, data: D) -> Result<T, D::Error> {
        T::deserialize(data)
    }
}

fn seed<T>(events: &'static [&'static str]) -> Seed<T> {
    Seed {
        events,
        payload: std::marker::PhantomData,
    }
}

const EVENTS: &[&str] = &["charge.succeeded", "order.paid", "payment_intent.succeeded"];

/// A payload that reads its `id` as a number: the watch cannot see it as a string.
#[derive(Debug, PartialEq, Deserialize)]
struct NumericId {
    id: u64,
}

/// A payload that reads only `id` and refuses anything else.
#[derive(Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
struct OnlyId {
    id: String,
}

/// An optional payload: `null` data would read as `None` here, but no data is no payload.
#[derive(Debug, PartialEq, Deserialize)]
struct Loose {
    #[serde(default)]
    id: Option<Value>,
}

/// Checks the one-pass read of `body` against the two passes, for `seed`.
fn agrees<T, P>(provider: &P, headers: &HeaderMap, body: &[u8], seed: &Seed<T>)
where
    T: DeserializeOwned + Send + PartialEq + Debug + 'static,
    P: Provider,
{
    let body = Bytes::copy_from_slice(body);
    let text = String::from_utf8_lossy(&body);
    let plain = provider.envelope(headers, &body);
    let one = provider.envelope_with_payload(headers, &body, seed);
    let (envelope, payload) = match (one, &plain) {
        (Ok(one), Ok(_)) => one,
        (Err(error), Err(expected)) => {
            assert_eq!(&error, expected, "{text}");
            return;
        }
        (one, plain) => panic!("{text}: one pass {one:?}, two passes {plain:?}"),
    };
    let plain = plain.unwrap();
    assert_eq!(envelope.event_type(), plain.event_type(), "{text}");
    assert_eq!(envelope.dedupe_key(), plain.dedupe_key(), "{text}");
    assert_eq!(envelope.data(), plain.data(), "{text}");
    assert_eq!(envelope, plain, "{text}");
    let expected = seed
        .select(plain.event_type())
        .and_then(|_| serde_json::from_slice::<T>(plain.data()).ok());
    if payload.is_none() && !text.trim_start().starts_with('{') {
        // The envelopes' derived structs also read an array of their fields in order;
        // the one pass reads objects only and leaves such a payload to the handler.
        return;
    }
    assert_eq!(payload, expected, "{text}");
}

fn every_seed<P: Provider>(provider: &P, headers: &HeaderMap, body: &[u8]) {
    agrees(provider, headers, body, &seed::<Value>(EVENTS));
    agrees(provider, headers, body, &seed::<ChargeSucceeded>(EVENTS));
    agrees(provider, headers, body, &seed::<NumericId>(EVENTS));
    agrees(provider, headers, body, &seed::<OnlyId>(EVENTS));
    agrees(provider, headers, body, &seed::<Loose>(EVENTS));
    agrees(provider, headers, body, &seed::<Value>(&[]));
}

fn every_provider(body: &[u8]) {
    every_seed(&ModemPay::default(), &HeaderMap::new(), body);
    every_seed(&Bamotf::default(), &HeaderMap::new(), body);
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", HeaderValue::from_static("msg_1"));
    every_seed(&StandardWebhooks::default(), &headers, body);
    every_seed(&StandardWebhooks::default(), &HeaderMap::new(), body);
}

fn charge() -> Value {
    serde_json::to_value(ChargeSucceeded::sample()).unwrap()
}

#[test]
fn bodies_as_senders_write_them() {
    let charge = charge();
    for body in [
        json!({"event": "charge.succeeded", "payload": charge}),
        json!({"event": "charge.succeeded", "data": charge}),
        json!({"event": "customer.created", "payload": {"id": "cus_1"}}),
        json!({"id": "u", "idempotenceKey": "k1", "created": "t", "event": "payment_intent.succeeded", "data": {"paymentIntent": {"id": "pi"}}}),
        json!({"type": "order.paid", "timestamp": "t", "data": {"id": "o1"}}),
        json!({"type": "order.paid", "id": "o2"}),
    ] {
        every_provider(&serde_json::to_vec(&body).unwrap());
    }
}

#[test]
fn bodies_off_the_usual_path() {
    let charge = serde_json::to_string(&charge()).unwrap();
    let bodies = [
        // The data before the event type: read raw, then parsed.
        format!(r#"{{"payload":{charge},"event":"charge.succeeded"}}"#),
        r#"{"data":{"id":"o3"},"type":"order.paid"}"#.to_owned(),
        r#"{"data":{"paymentIntent":{}},"event":"order.paid","idempotenceKey":"k"}"#.to_owned(),
        // `payload` null or both present.
        r#"{"event":"order.paid","payload":null,"data":{"id":"d"}}"#.to_owned(),
        r#"{"event":"order.paid","data":{"id":"d"},"payload":{"id":"p"}}"#.to_owned(),
        r#"{"event":"order.paid","payload":null}"#.to_owned(),
        r#"{"type":"order.paid","data":null,"id":"flat"}"#.to_owned(),
        // Repeated keys: envelope ones are refused, payload ones fail the typed parse.
        r#"{"event":"order.paid","event":"order.paid","payload":{"id":"a"}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":"a"},"payload":{"id":"b"}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":"a","id":"b"}}"#.to_owned(),
        r#"{"event":"order.paid","idempotenceKey":"a","idempotenceKey":"b","data":{}}"#.to_owned(),
        // Ids: escaped, empty, not a string, a number read as one, after other members.
        r#"{"event":"order.paid","payload":{"i\u0064":"esc\u0061ped"}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":""}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":7}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":null}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":{"nested":"x"}}}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"x":[{"id":"inner"}],"id":"outer"}}"#.to_owned(),
        r#"{"event":"order.paid","payload":[{"id":"in an array"}]}"#.to_owned(),
        r#"{"event":"order.paid","payload":"text"}"#.to_owned(),
        // Escaped envelope keys, empty and non-string event types.
        r#"{"ev\u0065nt":"order.paid","p\u0061yload":{"id":"k"}}"#.to_owned(),
        r#"{"event":"","payload":{"id":"a"}}"#.to_owned(),
        r#"{"event":5,"payload":{"id":"a"}}"#.to_owned(),
        r#"{"payload":{"id":"a"}}"#.to_owned(),
        // Not envelopes at all.
        String::new(),
        " ".to_owned(),
        "[]".to_owned(),
        r#"["order.paid",{"id":"a"}]"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":"a"}} trailing"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":"a"}"#.to_owned(),
        r#"{"event":"order.paid","payload":{"id":1e400}}"#.to_owned(),
        format!(
            r#"{{"event":"order.paid","payload":{{"id":"a","deep":{}1{}}}}}"#,
            "[".repeat(200),
            "]".repeat(200)
        ),
    ];
    for body in &bodies {
        every_provider(body.as_bytes());
    }
    // Invalid UTF-8 in a member the envelope skips.
    every_provider(b"{\"event\":\"order.paid\",\"note\":\"\xff\",\"payload\":{\"id\":\"a\"}}");
}

fn member() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("event"),
        Just("payload"),
        Just("data"),
        Just("type"),
        Just("idempotenceKey"),
        Just("id"),
        Just("other"),
        Just("ev\\u0065nt"),
    ];
    let value = prop_oneof![
        Just(r#""order.paid""#.to_owned()),
        Just(r#""charge.succeeded""#.to_owned()),
        Just(r#""""#.to_owned()),
        Just("null".to_owned()),
        Just("12".to_owned()),
        Just(r#"{"id":"a1"}"#.to_owned()),
        Just(r#"{"id":7,"x":"y"}"#.to_owned()),
        Just(r#"{"x":{"id":"no"},"id":"late"}"#.to_owned()),
        Just(r#"{"i\u0064":"e\u0073c"}"#.to_owned()),
        Just(r#"{"id":"a","id":"b"}"#.to_owned()),
        Just(r#"[1,{"id":"z"}]"#.to_owned()),
        Just(serde_json::to_string(&charge()).unwrap()),
    ];
    (key, value).prop_map(|(key, value)| format!(r#""{key}":{value}"#))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_object_reads_the_same_in_one_pass(members in proptest::collection::vec(member(), 0..6)) {
        every_provider(format!("{{{}}}", members.join(",")).as_bytes());
    }
}
