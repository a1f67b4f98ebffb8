//! Signed deliveries for the load generator, each one distinct.
//!
//! A benchmark that sent the same delivery over and over would measure the dedupe path
//! (every request after the first is a duplicate), so every delivery carries its own
//! dedupe key: Modem Pay's is `<event>:<payload.id>`, bamotf's is `idempotenceKey`.
//!
//! The body is the provider's catalogue sample as [`FakeDelivery`] writes it, serialized
//! once into a template; each delivery writes a fresh fixed-width id into the template and
//! is signed with the provider's own scheme ([`Scheme::sign_at`](webhook_core::Scheme::sign_at)) at the moment it is
//! made, so time-stamped schemes (bamotf's ±5 min) see a current timestamp. Building one
//! costs a copy of the ~1 KiB body and one HMAC, not a serde round trip.

use std::str::FromStr;
use std::sync::Arc;
use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;
use webhook_core::providers::bamotf::{Bamotf, PaymentIntentSucceeded};
use webhook_core::providers::modem_pay::{ChargeSucceeded, ModemPay};
use webhook_core::scheme::SignInput;
use webhook_core::testing::FakeDelivery;
use webhook_core::{Event, Provider, Secret};

/// Which sender the generator imitates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    /// Modem Pay `charge.succeeded`, HMAC-SHA512 in `x-modem-signature`.
    ModemPay,
    /// bamotf `payment_intent.succeeded`, `x-webhook-signature: v=<ms>,d=<hex>`.
    Bamotf,
}

impl FromStr for Sender {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "modem-pay" => Ok(Self::ModemPay),
            "bamotf" => Ok(Self::Bamotf),
            other => Err(format!(
                "unknown provider `{other}` (expected `modem-pay` or `bamotf`)"
            )),
        }
    }
}

impl Sender {
    /// The provider, as webhook-core models it.
    pub fn provider(self) -> Arc<dyn Provider> {
        match self {
            Self::ModemPay => Arc::new(ModemPay::default()),
            Self::Bamotf => Arc::new(Bamotf::default()),
        }
    }

    /// The event type every delivery carries.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::ModemPay => ChargeSucceeded::NAME,
            Self::Bamotf => PaymentIntentSucceeded::NAME,
        }
    }
}

/// Stands for the id in the template; as long as every real id (36 bytes, uuid-shaped).
const PLACEHOLDER: &str = "ffffffff-ffff-4fff-bfff-ffffffffffff";

/// Makes distinct signed deliveries for one stream (one connection, say).
///
/// ```
/// use webhook_bench::deliveries::{Deliveries, Sender};
/// use webhook_core::testing::test_secret;
///
/// let mut deliveries = Deliveries::new(Sender::ModemPay, test_secret(), 0x1234_5678, 7);
/// let (first, second) = (deliveries.next_delivery(), deliveries.next_delivery());
/// assert!(first.headers.contains_key("x-modem-signature"));
/// assert_ne!(first.body, second.body);
/// assert_ne!(first.id, second.id);
/// ```
#[derive(Debug, Clone)]
pub struct Deliveries {
    sender: Sender,
    provider: Arc<dyn Provider>,
    secret: Secret,
    template: Vec<u8>,
    id_at: usize,
    base_headers: HeaderMap,
    run: u32,
    stream: u16,
    counter: u64,
}

/// One signed delivery.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The id written into the body (Modem Pay `payload.id`, bamotf `idempotenceKey`).
    pub id: String,
    /// Content type and signature headers.
    pub headers: HeaderMap,
    /// The raw body.
    pub body: Bytes,
}

impl Deliveries {
    /// Deliveries from `sender` signed with `secret`. `run` tells benchmark runs apart
    /// (a durable inbox keeps keys across runs), `stream` tells apart the streams of one run.
    pub fn new(sender: Sender, secret: Secret, run: u32, stream: u16) -> Self {
        let (base_headers, body) = match sender {
            Sender::ModemPay => FakeDelivery::<ChargeSucceeded>::of(ModemPay::default())
                .secret(secret.clone())
                .with(|charge| charge.id = PLACEHOLDER.to_owned())
                .to_parts(),
            Sender::Bamotf => FakeDelivery::<PaymentIntentSucceeded>::of(Bamotf::default())
                .secret(secret.clone())
                .id(PLACEHOLDER)
                .to_parts(),
        };
        let template = body.to_vec();
        let id_at = find(&template, PLACEHOLDER.as_bytes())
            .expect("the sample body holds the placeholder id");
        assert!(
            find(&template[id_at + 1..], PLACEHOLDER.as_bytes()).is_none(),
            "the placeholder id occurs once in the sample body"
        );
        let provider = sender.provider();
        let mut base_headers = base_headers;
        // Keep the sender's other headers (content type); signatures are made per delivery.
        let signed = provider.scheme().sign_at(
            &secret,
            b"",
            SignInput {
                now: SystemTime::now(),
                id: None,
            },
        );
        for name in signed.keys() {
            base_headers.remove(name);
        }
        Self {
            sender,
            provider,
            secret,
            template,
            id_at,
            base_headers,
            run,
            stream,
            counter: 0,
        }
    }

    /// The sender these deliveries imitate.
    pub fn sender(&self) -> Sender {
        self.sender
    }

    /// The next delivery, with an id never used before in this run and stream, signed now.
    pub fn next_delivery(&mut self) -> Delivery {
        let id = format!(
            "{:08x}-{:04x}-4000-8000-{:012x}",
            self.run,
            self.stream,
            self.counter & 0xffff_ffff_ffff
        );
        self.counter += 1;
        let mut body = self.template.clone();
        body[self.id_at..self.id_at + id.len()].copy_from_slice(id.as_bytes());
        let signed = self.provider.scheme().sign_at(
            &self.secret,
            &body,
            SignInput {
                now: SystemTime::now(),
                id: Some(&id),
            },
        );
        let mut headers = self.base_headers.clone();
        headers.extend(signed);
        Delivery {
            id,
            headers,
            body: Bytes::from(body),
        }
    }

    /// The dedupe key the receiver will derive from the delivery with `id`.
    pub fn dedupe_key(&self, id: &str) -> String {
        match self.sender {
            Sender::ModemPay => format!("{}:{id}", self.sender.event_type()),
            Sender::Bamotf => id.to_owned(),
        }
    }

    /// Checks one fresh delivery the way a receiver would (webhook-core's verification
    /// and envelope), so a run never measures 401s because of a signing mistake here.
    pub fn self_check(&self) -> Result<(), String> {
        let mut probe = self.clone();
        let delivery = probe.next_delivery();
        let request = webhook_core::Request::new(delivery.headers, delivery.body);
        let verified = webhook_core::Verified::check(
            &*self.provider,
            std::slice::from_ref(&self.secret),
            request,
            SystemTime::now(),
        )
        .map_err(|rejection| format!("a generated delivery is refused: {rejection}"))?;
        let expected = self.dedupe_key(&delivery.id);
        if verified.dedupe_key() != expected || verified.event_type() != self.sender.event_type() {
            return Err(format!(
                "a generated delivery has dedupe key `{}` and event `{}`, expected `{expected}` and `{}`",
                verified.dedupe_key(),
                verified.event_type(),
                self.sender.event_type()
            ));
        }
        Ok(())
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use webhook_core::providers::modem_pay::Charge;
    use webhook_core::testing::test_secret;

    use super::*;

    #[test]
    fn every_sender_passes_its_own_check() {
        for sender in [Sender::ModemPay, Sender::Bamotf] {
            Deliveries::new(sender, test_secret(), 1, 2)
                .self_check()
                .unwrap();
        }
    }

    #[test]
    fn dedupe_keys_are_distinct_across_streams_and_deliveries() {
        let mut keys = HashSet::new();
        for sender in [Sender::ModemPay, Sender::Bamotf] {
            let provider = sender.provider();
            for stream in 0..3 {
                let mut deliveries = Deliveries::new(sender, test_secret(), 9, stream);
                for _ in 0..50 {
                    let delivery = deliveries.next_delivery();
                    let request = webhook_core::Request::new(delivery.headers, delivery.body);
                    let verified = webhook_core::Verified::check(
                        &*provider,
                        &[test_secret()],
                        request,
                        SystemTime::now(),
                    )
                    .unwrap();
                    assert!(keys.insert(verified.dedupe_key().to_owned()));
                }
            }
        }
        assert_eq!(keys.len(), 2 * 3 * 50);
    }

    #[test]
    fn modem_pay_bodies_are_the_charge_sample_of_about_a_kibibyte() {
        let delivery = Deliveries::new(Sender::ModemPay, test_secret(), 1, 1).next_delivery();
        assert!(
            (700..2048).contains(&delivery.body.len()),
            "{} bytes",
            delivery.body.len()
        );
        #[derive(serde::Deserialize)]
        struct Envelope {
            event: String,
            payload: Charge,
        }
        let envelope: Envelope = serde_json::from_slice(&delivery.body).unwrap();
        assert_eq!(envelope.event, "charge.succeeded");
        assert_eq!(envelope.payload.id, delivery.id);
    }
}
