//! The providers whose envelope parsers are fuzzed, the headers each reads, and the
//! check: `envelope` never panics, and what it returns is usable.
//!
//! The first input byte picks the provider; the rest is a [`FuzzDelivery`].

use serde::de::IgnoredAny;
use webhook_core::Provider;
use webhook_core::providers::{
    Bamotf, CustomProvider, FieldSource, GitHub, ModemPay, StandardWebhooks, Stripe,
};

use crate::delivery::FuzzDelivery;
use crate::schemes;

/// A provider and the envelope headers it reads, in the order a fuzz input lists them.
pub struct EnvelopeTarget {
    /// A short name, for seeds.
    pub name: &'static str,
    /// Builds the provider.
    pub provider: fn() -> Box<dyn Provider>,
    /// The headers its envelope reads (at least one, so values have somewhere to go).
    pub headers: &'static [&'static str],
    /// Whether the data is always valid JSON. GitHub's is the body (or its form field)
    /// as sent: only the `action` member is read, so the rest is not checked.
    pub data_is_json: bool,
}

/// Every provider, indexed by the first input byte (modulo their count).
pub const PROVIDERS: &[EnvelopeTarget] = &[
    EnvelopeTarget {
        name: "modem_pay",
        provider: || Box::new(ModemPay::default()),
        headers: &["content-type"],
        data_is_json: true,
    },
    EnvelopeTarget {
        name: "bamotf",
        provider: || Box::new(Bamotf::default()),
        headers: &["content-type"],
        data_is_json: true,
    },
    EnvelopeTarget {
        name: "standard_webhooks",
        provider: || Box::new(StandardWebhooks::default()),
        headers: &["webhook-id"],
        data_is_json: true,
    },
    EnvelopeTarget {
        name: "stripe",
        provider: || Box::new(Stripe::default()),
        headers: &["content-type"],
        data_is_json: true,
    },
    EnvelopeTarget {
        name: "github",
        provider: || Box::new(GitHub::default()),
        headers: &["x-github-event", "x-github-delivery", "x-github-hook-id"],
        data_is_json: false,
    },
    EnvelopeTarget {
        name: "custom_pointers",
        provider: || Box::new(custom_pointers()),
        headers: &["x-acme-delivery"],
        data_is_json: true,
    },
    EnvelopeTarget {
        name: "custom_whole_body",
        provider: || Box::new(custom_whole_body()),
        headers: &["x-acme-event"],
        data_is_json: true,
    },
];

/// A custom provider reading through escaped pointer tokens and an array index.
pub fn custom_pointers() -> CustomProvider {
    CustomProvider::new("acme", schemes::custom())
        .event_type_from(FieldSource::pointer("/meta/a~1b/kind"))
        .data_from(FieldSource::pointer("/items/0"))
        .dedupe_key_from(FieldSource::header("x-acme-delivery"))
}

/// A custom provider using the sources that are not pointers.
pub fn custom_whole_body() -> CustomProvider {
    CustomProvider::new("acme-raw", schemes::custom())
        .event_type_from(FieldSource::header("x-acme-event"))
        .data_from(FieldSource::WholeBody)
        .dedupe_key_from(FieldSource::BodySha256)
}

/// Reads the envelope of the fuzz delivery in `data` (must not panic); an envelope it
/// returns names a type and a key, and its data is JSON where the provider promises it.
pub fn check(providers: &[(Box<dyn Provider>, &EnvelopeTarget)], data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let (provider, target) = &providers[usize::from(pick) % providers.len()];
    let delivery = FuzzDelivery::parse(rest, target.headers);
    let body = bytes::Bytes::copy_from_slice(delivery.body);
    let Ok(envelope) = provider.envelope(&delivery.headers, &body) else {
        return;
    };
    assert!(
        !envelope.event_type().is_empty(),
        "{}: empty event type",
        target.name
    );
    assert!(
        !envelope.dedupe_key().is_empty(),
        "{}: empty dedupe key",
        target.name
    );
    if target.data_is_json {
        let parsed = serde_json::from_slice::<IgnoredAny>(envelope.data());
        assert!(
            parsed.is_ok(),
            "{}: data is not JSON: {parsed:?}",
            target.name
        );
    }
}

/// Every provider, built once.
pub fn build_all() -> Vec<(Box<dyn Provider>, &'static EnvelopeTarget)> {
    PROVIDERS.iter().map(|t| ((t.provider)(), t)).collect()
}
