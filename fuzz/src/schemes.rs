//! The signature schemes under fuzz, the headers each reads, and the check every
//! scheme target runs: `verify_at` never panics, and a signature the scheme made for
//! any body at any instant verifies at that instant.

use std::time::Duration;

use webhook_core::VerifyError;
use webhook_core::scheme::{
    Algorithm, BamotfScheme, Encoding, HEADER_BAMOTF_SIGNATURE, HEADER_GITHUB_SIGNATURE_256,
    HEADER_MODEM_SIGNATURE, HEADER_STRIPE_SIGNATURE, HEADER_WEBHOOK_ID, HEADER_WEBHOOK_SIGNATURE,
    HEADER_WEBHOOK_TIMESTAMP, HmacScheme, Scheme, SignInput, StandardWebhooksScheme, StripeScheme,
    TimestampUnit,
};

use crate::delivery::FuzzDelivery;

/// A scheme and the headers it reads, in the order a fuzz input lists their values.
pub struct SchemeTarget {
    /// The target's name, as under `fuzz_targets/` and `seeds/`.
    pub name: &'static str,
    /// Builds the scheme.
    pub scheme: fn() -> Box<dyn Scheme>,
    /// The headers the scheme reads.
    pub headers: &'static [&'static str],
}

/// The custom scheme's signature header.
pub const HEADER_ACME_SIGNATURE: &str = "x-acme-signature";
/// The custom scheme's timestamp header (Unix milliseconds).
pub const HEADER_ACME_TIMESTAMP: &str = "x-acme-timestamp";
/// The custom scheme's id header.
pub const HEADER_ACME_ID: &str = "x-acme-id";

/// Every scheme target.
pub const TARGETS: &[SchemeTarget] = &[
    SchemeTarget {
        name: "verify_modem_pay",
        scheme: || Box::new(HmacScheme::modem_pay()),
        headers: &[HEADER_MODEM_SIGNATURE],
    },
    SchemeTarget {
        name: "verify_github",
        scheme: || Box::new(HmacScheme::github()),
        headers: &[HEADER_GITHUB_SIGNATURE_256],
    },
    SchemeTarget {
        name: "verify_custom",
        scheme: || Box::new(custom()),
        headers: &[HEADER_ACME_SIGNATURE, HEADER_ACME_TIMESTAMP, HEADER_ACME_ID],
    },
    SchemeTarget {
        name: "verify_bamotf",
        scheme: || Box::new(BamotfScheme::new()),
        headers: &[HEADER_BAMOTF_SIGNATURE],
    },
    SchemeTarget {
        name: "verify_standard_webhooks",
        scheme: || Box::new(StandardWebhooksScheme::new()),
        headers: &[
            HEADER_WEBHOOK_ID,
            HEADER_WEBHOOK_TIMESTAMP,
            HEADER_WEBHOOK_SIGNATURE,
        ],
    },
    SchemeTarget {
        name: "verify_stripe",
        scheme: || Box::new(StripeScheme::new()),
        headers: &[HEADER_STRIPE_SIGNATURE],
    },
];

/// The target named `name`.
///
/// # Panics
///
/// When there is none: a fuzz target names a scheme that is not in [`TARGETS`].
pub fn target(name: &str) -> &'static SchemeTarget {
    TARGETS
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no scheme target `{name}`"))
}

/// A custom scheme that uses every option the builder has: SHA-512, base64, a prefix,
/// a millisecond timestamp and an id, all signed.
pub fn custom() -> HmacScheme {
    HmacScheme::builder(HEADER_ACME_SIGNATURE)
        .algorithm(Algorithm::Sha512)
        .encoding(Encoding::Base64)
        .prefix("v1=")
        .signed_content("{id}.{timestamp}.{body}".parse().expect("a valid template"))
        .timestamp_header(HEADER_ACME_TIMESTAMP, TimestampUnit::Millis)
        .id_header(HEADER_ACME_ID)
        .tolerance(Duration::from_secs(300))
        .build()
        .expect("a valid custom scheme")
}

/// Verifies the fuzz delivery in `data` (must not panic), then checks that the scheme
/// accepts its own signature over the same body at the same instant.
pub fn check(scheme: &dyn Scheme, headers: &[&'static str], data: &[u8]) {
    let delivery = FuzzDelivery::parse(data, headers);
    let secrets = [delivery.secret];
    let _ = scheme.verify_at(&secrets, &delivery.headers, delivery.body, delivery.now);

    let input = SignInput {
        now: delivery.now,
        id: Some("msg_fuzz"),
    };
    let signed = scheme.sign_at(&secrets[0], delivery.body, input);
    match scheme.verify_at(&secrets, &signed, delivery.body, delivery.now) {
        // A secret the scheme cannot use (not base64 for Standard Webhooks, blank for
        // Stripe) is refused as such, not as a forgery.
        Ok(()) | Err(VerifyError::InvalidSecret) => {}
        Err(error) => panic!("{scheme:?} refused its own signature: {error:?}"),
    }
}
