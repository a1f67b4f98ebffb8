//! `webhook sign`: the signature headers a provider would attach to a body.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use http::HeaderMap;
use webhook_core::scheme::SignInput;
use webhook_core::{Secret, VerifyError};

use crate::common::{Failure, Outcome, from_unix_ms, parse_secret, read_body};
use crate::providers::ProviderName;

/// The arguments of `webhook sign` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
pub(crate) struct SignArgs {
    /// The provider whose scheme signs.
    #[arg(long, value_enum)]
    provider: ProviderName,
    /// The signing secret, as the provider shows it (Stripe and Standard Webhooks: `whsec_…`).
    #[arg(long, value_parser = parse_secret)]
    secret: Secret,
    /// The file holding the exact body bytes to sign (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// The signing time in Unix milliseconds [default: now].
    #[arg(long, value_name = "MS")]
    timestamp_ms: Option<u64>,
    /// The message id for schemes that sign one (standard-webhooks `webhook-id`)
    /// [default: a generated `msg_…`].
    #[arg(long)]
    id: Option<String>,
}

/// Runs `webhook sign`.
pub(crate) fn run(args: SignArgs) -> Outcome {
    let body = read_body(&args.body_file)?;
    let now = args.timestamp_ms.map_or_else(SystemTime::now, from_unix_ms);
    let headers = sign(&args, &body, now)?;
    for (name, value) in &headers {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    Ok(())
}

/// Signs `body` at `now` and checks that the headers verify, so a secret the scheme
/// cannot use (Standard Webhooks needs base64) is an error instead of missing headers.
fn sign(args: &SignArgs, body: &[u8], now: SystemTime) -> Result<HeaderMap, Failure> {
    let provider = args.provider.provider();
    let scheme = provider.scheme();
    let input = SignInput {
        now,
        id: args.id.as_deref(),
    };
    let headers = scheme.sign_at(&args.secret, body, input);
    match scheme.verify_at(std::slice::from_ref(&args.secret), &headers, body, now) {
        Ok(()) => Ok(headers),
        Err(VerifyError::InvalidSecret) if args.provider == ProviderName::StandardWebhooks => {
            Err(Failure::usage(
                "the secret is not valid for standard-webhooks: it must be `whsec_` followed by base64",
            ))
        }
        Err(VerifyError::InvalidSecret) => Err(Failure::usage(format_args!(
            "{} cannot sign with a blank secret",
            args.provider
        ))),
        Err(error) => Err(Failure::usage(format_args!("cannot sign: {error}"))),
    }
}
