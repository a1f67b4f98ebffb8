//! The provider names the command line takes, and the providers they stand for.

use std::fmt;
use std::time::Duration;

use clap::ValueEnum;
use webhook_core::Provider;
use webhook_core::providers::{Bamotf, GitHub, ModemPay, StandardWebhooks, Stripe};
use webhook_core::scheme::{
    BamotfScheme, HEADER_BAMOTF_SIGNATURE, HEADER_GITHUB_SIGNATURE_256, HEADER_MODEM_SIGNATURE,
    HEADER_STRIPE_SIGNATURE, HEADER_WEBHOOK_SIGNATURE, StandardWebhooksScheme, StripeScheme,
};

/// A built-in provider, as named on the command line (`--provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ProviderName {
    /// Modem Pay: `x-modem-signature`, HMAC-SHA512 of the body, no timestamp.
    ModemPay,
    /// bamotf: `x-webhook-signature: v=<unix ms>,d=<hex>`.
    Bamotf,
    /// Standard Webhooks (Svix): `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    StandardWebhooks,
    /// Stripe: `stripe-signature: t=<unix s>,v1=<hex>`.
    Stripe,
    /// GitHub: `x-hub-signature-256: sha256=<hex>`, event name in `x-github-event`.
    Github,
}

impl ProviderName {
    /// Every provider, in the order `--help` lists them.
    pub(crate) const ALL: [Self; 5] = [
        Self::ModemPay,
        Self::Bamotf,
        Self::StandardWebhooks,
        Self::Stripe,
        Self::Github,
    ];

    /// The provider with its default tolerance.
    pub(crate) fn provider(self) -> Box<dyn Provider> {
        self.with_tolerance(None)
    }

    /// The provider; `tolerance` replaces the default window of the schemes that sign a
    /// time (`Duration::ZERO` turns the time check off) and is ignored by the others.
    pub(crate) fn with_tolerance(self, tolerance: Option<Duration>) -> Box<dyn Provider> {
        match (self, tolerance) {
            (Self::ModemPay, _) => Box::new(ModemPay::default()),
            (Self::Github, _) => Box::new(GitHub::default()),
            (Self::Bamotf, None) => Box::new(Bamotf::default()),
            (Self::Bamotf, Some(t)) => {
                Box::new(Bamotf::new().with_scheme(BamotfScheme::new().tolerance(t)))
            }
            (Self::StandardWebhooks, None) => Box::new(StandardWebhooks::default()),
            (Self::StandardWebhooks, Some(t)) => Box::new(
                StandardWebhooks::new().with_scheme(StandardWebhooksScheme::new().tolerance(t)),
            ),
            (Self::Stripe, None) => Box::new(Stripe::default()),
            (Self::Stripe, Some(t)) => {
                Box::new(Stripe::new().with_scheme(StripeScheme::new().tolerance(t)))
            }
        }
    }

    /// The header that carries the signature.
    pub(crate) fn signature_header(self) -> &'static str {
        match self {
            Self::ModemPay => HEADER_MODEM_SIGNATURE,
            Self::Bamotf => HEADER_BAMOTF_SIGNATURE,
            Self::StandardWebhooks => HEADER_WEBHOOK_SIGNATURE,
            Self::Stripe => HEADER_STRIPE_SIGNATURE,
            Self::Github => HEADER_GITHUB_SIGNATURE_256,
        }
    }

    /// The name as typed on the command line, e.g. `modem-pay`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::ModemPay => "modem-pay",
            Self::Bamotf => "bamotf",
            Self::StandardWebhooks => "standard-webhooks",
            Self::Stripe => "stripe",
            Self::Github => "github",
        }
    }
}

impl fmt::Display for ProviderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
