//! `webhook sign`: the signature headers a provider would attach to a body.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use http::HeaderMap;
use webhook_core::scheme::SignInput;
use webhook_core::{Secret, VerifyError};

use crate::common::{Failure, Outcome, from_unix_ms, read_body};
use crate::providers::ProviderName;
use crate::secrets::{SecretArgs, Sourced, check_signing_key};

/// The arguments of `webhook sign` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
#[command(mut_arg("secret", |arg| arg.help(
    "The signing secret, as the provider shows it (Stripe and Standard Webhooks: `whsec_…`; \
     standard-webhooks also an ed25519 `whsk_…` secret key, which signs `v1a`)"
)))]
pub(crate) struct SignArgs {
    /// The provider whose scheme signs.
    #[arg(long, value_enum)]
    provider: ProviderName,
    /// The signing secret.
    #[command(flatten)]
    secret: Sourced<SecretArgs>,
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
    let secret = args.secret.require()?;
    check_signing_key(args.provider, &secret)?;
    let input = SignInput {
        now,
        id: args.id.as_deref(),
    };
    let headers = sign(args.provider, &secret, &body, input)?;
    for (name, value) in &headers {
        println!("{name}: {}", String::from_utf8_lossy(value.as_bytes()));
    }
    Ok(())
}

/// Signs `body` and checks that the headers verify, so a secret the scheme cannot use is an
/// error instead of missing headers (standard-webhooks keys were checked before, with a
/// message that says what is wrong with them).
fn sign(
    name: ProviderName,
    secret: &Secret,
    body: &[u8],
    input: SignInput<'_>,
) -> Result<HeaderMap, Failure> {
    let provider = name.provider();
    let scheme = provider.scheme();
    let headers = scheme.sign_at(secret, body, input);
    match scheme.verify_at(std::slice::from_ref(secret), &headers, body, input.now) {
        Ok(()) => Ok(headers),
        Err(VerifyError::InvalidSecret) => Err(Failure::usage(format_args!(
            "{name} cannot sign with a blank secret"
        ))),
        Err(error) => Err(Failure::usage(format_args!("cannot sign: {error}"))),
    }
}
