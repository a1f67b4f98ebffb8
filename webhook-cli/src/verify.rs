//! `webhook verify`: judges a delivery as the receiver would, with a diagnosis.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use http::{HeaderName, HeaderValue};
use webhook_core::provider::EnvelopeError;
use webhook_core::{Rejection, Request, Verified};

use crate::common::{Failure, Outcome, from_unix_ms, header_map, parse_header, read_body};
use crate::diagnose::{self, Case};
use crate::providers::ProviderName;
use crate::secrets::{SecretsArgs, Sourced};

/// The arguments of `webhook verify` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The provider that sent the delivery.
    #[arg(long, value_enum)]
    provider: ProviderName,
    /// The secrets to try.
    #[command(flatten)]
    secrets: Sourced<SecretsArgs>,
    /// A header of the delivery, `'name: value'` (name case-insensitive); repeat for each.
    #[arg(long = "header", value_name = "NAME: VALUE", value_parser = parse_header)]
    headers: Vec<(HeaderName, HeaderValue)>,
    /// The file holding the exact body bytes as received (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    body_file: PathBuf,
    /// Judge as of this instant, in Unix milliseconds [default: now].
    #[arg(long, value_name = "MS")]
    now_ms: Option<u64>,
    /// The timestamp tolerance in seconds; `0` turns the time check off
    /// [default: the provider's].
    #[arg(long, value_name = "N")]
    tolerance_secs: Option<u64>,
}

/// Runs `webhook verify`.
pub(crate) fn run(args: VerifyArgs) -> Outcome {
    let body = read_body(&args.body_file)?;
    let secrets = args.secrets.resolve()?;
    let tolerance = args.tolerance_secs.map(Duration::from_secs);
    let provider = args.provider.with_tolerance(tolerance);
    let now = args.now_ms.map_or_else(SystemTime::now, from_unix_ms);
    let headers = header_map(args.headers);
    let request = Request::new(headers.clone(), body.clone());
    let Err(rejection) = Verified::check(&*provider, &secrets, request, now) else {
        println!("valid");
        return Ok(());
    };
    println!("invalid: {}", reason(&rejection));
    let case = Case {
        provider: args.provider,
        tolerance: provider.scheme().tolerance(),
        secrets: &secrets,
        headers: &headers,
        body: &body,
        now,
    };
    if let Some(hint) = hint(&case, &rejection) {
        println!("hint: {hint}");
    }
    Err(Failure::Negative)
}

/// The failed check in words, without the `invalid signature:` prefix.
pub(crate) fn reason(rejection: &Rejection) -> String {
    match rejection {
        Rejection::Signature(error) => error.to_string(),
        Rejection::Envelope(error) => error.to_string(),
        other => other.to_string(),
    }
}

/// The likely cause of a rejection, when one fits.
fn hint(case: &Case<'_>, rejection: &Rejection) -> Option<String> {
    match rejection {
        Rejection::Signature(error) => diagnose::signature(case, error),
        Rejection::Envelope(error) => envelope_hint(error),
        _ => None,
    }
}

/// Hints for a signed body that is not the provider's envelope.
fn envelope_hint(error: &EnvelopeError) -> Option<String> {
    match error {
        EnvelopeError::Missing(name) if name.starts_with("x-github-") => Some(format!(
            "GitHub sends `{name}` as a header: pass it with --header '{name}: …'"
        )),
        EnvelopeError::Missing("webhook-id") => {
            Some("pass the `webhook-id` header with --header 'webhook-id: …'".to_owned())
        }
        _ => None,
    }
}
