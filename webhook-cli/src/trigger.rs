//! `webhook trigger`: sends a provider's sample event, signed as the provider signs it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use clap::Args;
use futures_util::StreamExt;
use futures_util::stream;
use http::Uri;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;
use webhook_core::scheme::SignInput;
use webhook_core::testing::TEST_SECRET;
use webhook_core::{Provider, Secret};

use crate::common::{Failure, Outcome, block_on, fresh_id, read_body};
use crate::edit::{Edit, parse_edit};
use crate::http::{Answered, Client, client, millis, parse_url, post};
use crate::providers::ProviderName;
use crate::secrets::{SecretArgs, Sourced, check_signing_key};

/// The arguments of `webhook trigger` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
#[command(mut_arg("secret", |arg| arg.help(
    "The signing secret (standard-webhooks: `whsec_…`, or an ed25519 `whsk_…` key to sign \
     `v1a`) [default: the test secret of `webhook_core::testing`]"
)))]
pub(crate) struct TriggerArgs {
    /// The event type, e.g. `charge.succeeded` (`webhook events --provider P` lists them).
    event: String,
    /// The provider to send as.
    #[arg(long, value_enum)]
    provider: ProviderName,
    /// Where to POST the deliveries (http:// only).
    #[arg(long)]
    url: String,
    /// The signing secret.
    #[command(flatten)]
    secret: Sourced<SecretArgs>,
    /// Edit the payload: a dot path into it and a value (JSON if it parses, else a
    /// string), e.g. `--set amount=500 --set customer.email=a@b.c`. Repeatable.
    #[arg(long = "set", value_name = "PATH=VALUE", value_parser = parse_edit)]
    sets: Vec<Edit>,
    /// Send this JSON file as the payload instead of the catalogue sample.
    #[arg(long, value_name = "FILE")]
    payload_file: Option<PathBuf>,
    /// How many deliveries to send.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
    /// How many deliveries may be in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    concurrency: u32,
    /// Send an event name the catalogue does not know (payload `{}` or --payload-file).
    #[arg(long)]
    raw: bool,
    /// Use this delivery id for every delivery instead of a fresh one each.
    #[arg(long)]
    id: Option<String>,
}

/// Everything one delivery needs.
struct Plan {
    provider: Box<dyn Provider>,
    event: String,
    payload: Value,
    /// The provider dedupes on the payload's `id`, so each delivery's id goes there.
    id_in_payload: bool,
    secret: Secret,
    id: Option<String>,
    uri: Uri,
    client: Client,
}

/// What became of one delivery.
struct Sent {
    id: String,
    result: Result<Answered, String>,
}

/// Runs `webhook trigger`.
pub(crate) fn run(mut args: TriggerArgs) -> Outcome {
    let uri = parse_url(&args.url)?;
    let provider = args.provider.provider();
    let payload = payload(&args, &*provider)?;
    let given = std::mem::take(&mut args.secret).resolve()?;
    let secret = given.map_or_else(test_secret, Ok)?;
    check_signing_key(args.provider, &secret)?;
    let (count, concurrency) = (args.count, args.concurrency);
    let id_in_payload = id_in_payload(&args, &payload);
    block_on(async move {
        let client = client();
        let (event, id) = (args.event, args.id);
        let plan = Plan {
            provider,
            event,
            payload,
            id_in_payload,
            secret,
            id,
            uri,
            client,
        };
        send_all(&plan, count, concurrency).await
    })
}

/// Modem Pay dedupes on `<event>:<payload id>`: unless `--set id=…` fixes it, each
/// delivery's id replaces the sample's `id` so that deliveries are not duplicates.
fn id_in_payload(args: &TriggerArgs, payload: &Value) -> bool {
    let fixed = args.sets.iter().any(|edit| edit.sets_field("id"));
    args.provider == ProviderName::ModemPay && payload.get("id").is_some() && !fixed
}

/// The test secret, announced on stderr.
fn test_secret() -> Result<Secret, Failure> {
    eprintln!("no --secret given: signing with the test secret {TEST_SECRET}");
    Secret::new(TEST_SECRET).map_err(Failure::error)
}

/// The payload to send: the file, the catalogue sample or `{}`, with the edits applied.
fn payload(args: &TriggerArgs, provider: &dyn Provider) -> Result<Value, Failure> {
    let sample = provider
        .catalogue()
        .iter()
        .find(|entry| entry.name == args.event);
    let mut payload = match (&args.payload_file, sample) {
        (_, None) if !args.raw => return Err(unknown_event(args, provider)),
        (Some(file), _) => read_json(file)?,
        (None, Some(entry)) => (entry.sample)(),
        (None, None) => Value::Object(serde_json::Map::new()),
    };
    for edit in &args.sets {
        edit.apply(&mut payload).map_err(Failure::usage)?;
    }
    Ok(payload)
}

/// A JSON payload file.
fn read_json(file: &std::path::Path) -> Result<Value, Failure> {
    let bytes = read_body(file)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| Failure::usage(format_args!("`{}` is not JSON: {e}", file.display())))
}

/// The error for an event name the catalogue does not have, listing the ones it has.
fn unknown_event(args: &TriggerArgs, provider: &dyn Provider) -> Failure {
    let known: Vec<&str> = provider
        .catalogue()
        .iter()
        .map(|entry| entry.name)
        .collect();
    if known.is_empty() {
        return Failure::usage(format_args!(
            "{} has no catalogue of typed events: pass --raw to send `{}` (payload `{{}}` or --payload-file)",
            args.provider, args.event
        ));
    }
    Failure::usage(format_args!(
        "unknown event `{}` for {}; known events: {} (or pass --raw to send any name)",
        args.event,
        args.provider,
        known.join(", ")
    ))
}

/// Sends `count` deliveries, `concurrency` at a time, then prints the summary.
async fn send_all(plan: &Plan, count: u32, concurrency: u32) -> Outcome {
    let bar = progress_bar(count);
    let started = Instant::now();
    let mut results = Vec::with_capacity(count as usize);
    let mut sends = stream::iter(1..=count)
        .map(|n| async move { (n, deliver(plan).await) })
        .buffer_unordered(concurrency as usize);
    while let Some((n, sent)) = sends.next().await {
        bar.suspend(|| print_sent(n, plan, &sent));
        bar.inc(1);
        results.push(sent.result);
    }
    bar.finish_and_clear();
    if count > 1 {
        summary(&results, started.elapsed());
    }
    let all_ok = results
        .iter()
        .all(|r| matches!(r, Ok(a) if a.status.is_success()));
    all_ok.then_some(()).ok_or(Failure::Negative)
}

/// A progress bar for several deliveries (hidden for one, or when stderr is not a terminal).
fn progress_bar(count: u32) -> ProgressBar {
    if count < 2 {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(u64::from(count)).with_style(style)
}

/// Composes, signs and sends one delivery.
async fn deliver(plan: &Plan) -> Sent {
    let id = plan.id.clone().unwrap_or_else(fresh_id);
    let payload = if plan.id_in_payload {
        Cow::Owned(with_id(&plan.payload, &id))
    } else {
        Cow::Borrowed(&plan.payload)
    };
    let (body, mut headers) = plan.provider.compose(&plan.event, &payload, &id);
    let input = SignInput {
        now: SystemTime::now(),
        id: Some(&id),
    };
    headers.extend(plan.provider.scheme().sign_at(&plan.secret, &body, input));
    let result = post(&plan.client, &plan.uri, headers, Bytes::from(body)).await;
    Sent { id, result }
}

/// `payload` with its `id` set to `id`.
fn with_id(payload: &Value, id: &str) -> Value {
    let mut payload = payload.clone();
    payload["id"] = Value::String(id.to_owned());
    payload
}

/// One line per delivery: number, status, latency, event and id.
fn print_sent(n: u32, plan: &Plan, sent: &Sent) {
    match &sent.result {
        Ok(answered) => println!(
            "#{n} {} {} {} id={}",
            answered.status,
            millis(answered.latency),
            plan.event,
            sent.id
        ),
        Err(error) => println!("#{n} failed {} id={}: {error}", plan.event, sent.id),
    }
}

/// The totals: how many were sent, per status, and the latency percentiles.
fn summary(results: &[Result<Answered, String>], elapsed: Duration) {
    let mut statuses = BTreeMap::<String, usize>::new();
    let mut latencies: Vec<Duration> = Vec::new();
    for result in results {
        let key = match result {
            Ok(answered) => {
                latencies.push(answered.latency);
                answered.status.as_u16().to_string()
            }
            Err(_) => "failed".to_owned(),
        };
        *statuses.entry(key).or_default() += 1;
    }
    latencies.sort_unstable();
    let counts: Vec<String> = statuses.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    println!("sent {} in {}", results.len(), millis(elapsed));
    println!("statuses: {}", counts.join(", "));
    if !latencies.is_empty() {
        let (p50, p99) = (percentile(&latencies, 50), percentile(&latencies, 99));
        println!("latency: p50 {}, p99 {}", millis(p50), millis(p99));
    }
}

/// The `p`th percentile of sorted, non-empty `values` (nearest rank).
fn percentile(values: &[Duration], p: usize) -> Duration {
    let rank = (values.len() * p).div_ceil(100).max(1);
    values[rank.min(values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let values: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&values, 50), Duration::from_millis(50));
        assert_eq!(percentile(&values, 99), Duration::from_millis(99));
        assert_eq!(percentile(&values[..1], 99), Duration::from_millis(1));
    }
}
