//! `webhook`: sign, verify, trigger and receive webhook deliveries from the command line,
//! and inspect a durable inbox.
//!
//! Exit codes: 0 success (a `valid` delivery), 1 a negative answer or a failure (an
//! `invalid` delivery, a non-2xx response), 2 a usage error.
//!
//! Every secret can come from `--secret`, the `WEBHOOK_SECRET` environment variable or
//! `--secret-file PATH`; the inbox from `--db`, `WEBHOOK_INBOX` or `DATABASE_URL`.

mod common;
mod completions;
mod diagnose;
mod edit;
mod events;
mod http;
mod inbox;
mod listen;
mod providers;
mod secrets;
mod serve;
mod sign;
mod trigger;
mod verify;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

/// Sign, verify, send and receive webhooks as Modem Pay, bamotf, Standard Webhooks,
/// Stripe and GitHub do.
///
/// Secrets: --secret, the WEBHOOK_SECRET environment variable, or --secret-file PATH (one
/// trailing newline is not part of the secret). The command line wins over the environment.
#[derive(Debug, Parser)]
#[command(name = "webhook", version, about)]
struct Cli {
    /// What to do.
    #[command(subcommand)]
    command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
enum Command {
    /// Print the signature headers a provider would send with a body.
    ///
    /// Prints only the signature headers, one `name: value` a line (for standard-webhooks
    /// also `webhook-id` and `webhook-timestamp`, which its signature covers). Headers that
    /// are not part of the signature, such as GitHub's `x-github-event` and
    /// `x-github-delivery`, are not printed: send them yourself.
    Sign(sign::SignArgs),
    /// Judge a delivery as the receiver would: prints `valid` or `invalid: <reason>`.
    ///
    /// Checks the signature over the raw bytes of the body file, then that the body is the
    /// provider's envelope (a correctly signed body that is empty or not JSON is invalid).
    /// When the signature fails, a second line `hint: …` names the likely cause when one
    /// fits (a re-serialized body, the `whsec_` prefix, seconds for milliseconds, clock
    /// skew, another provider's delivery). Exit codes: 0 valid, 1 invalid, 2 usage error.
    Verify(verify::VerifyArgs),
    /// Send a provider's sample event (or any payload) to a URL, signed as it signs.
    ///
    /// The payload is the catalogue sample of the event (`webhook events` lists them),
    /// edited with --set; --raw sends any event name. Each delivery gets a fresh id, so
    /// the receiver does not take it for a duplicate, unless --id is given. Prints the
    /// status and latency of each delivery, and with --count a summary (statuses, p50 and
    /// p99 latency). Exit codes: 0 every answer was 2xx, 1 otherwise, 2 usage error.
    Trigger(trigger::TriggerArgs),
    /// Receive deliveries locally, verify and print each, optionally forward them re-signed.
    ///
    /// Listens on http://127.0.0.1:PORT (any path, POST) and prints
    /// `listening on http://127.0.0.1:PORT` first. Each delivery is judged as the receiver
    /// would and printed on one line (time, event type, dedupe key, verdict, body size);
    /// the answer is 200 (valid), 401 (bad signature) or 400 (not the provider's envelope).
    /// Without a secret (--secret, --secret-file or WEBHOOK_SECRET) a test secret (`whsec_` +
    /// base64, valid for every provider) is generated and printed. Ctrl-C stops it (exit 0).
    Listen(listen::ListenArgs),
    /// Inspect, migrate and repair a durable inbox: status, migrate, stats, list, show,
    /// replay, purge, and serve its web console.
    ///
    /// --db is a SQLite file (it must exist) or a postgres:// URL; without it the
    /// WEBHOOK_INBOX environment variable is read, then DATABASE_URL. Every action takes
    /// --json for machine-readable output. `stats` prints one `state count` line per
    /// state; `replay --dead` shows a progress bar. Exit codes: 0 success, 1 a failure
    /// (no such row, a database error), 2 usage error.
    Inbox(inbox::InboxArgs),
    /// List the event types a provider's catalogue can `trigger`, one a line.
    Events(events::EventsArgs),
    /// Print the shell completion script for bash, zsh, fish, elvish or powershell.
    ///
    /// For example `webhook completions bash > ~/.local/share/bash-completion/completions/webhook`,
    /// or `webhook completions zsh > "${fpath[1]}/_webhook"`.
    Completions(completions::CompletionsArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Sign(args) => sign::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Trigger(args) => trigger::run(args),
        Command::Listen(args) => listen::run(args),
        Command::Inbox(args) => inbox::run(args),
        Command::Events(args) => events::run(&args),
        Command::Completions(args) => completions::run(&args, Cli::command()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => failure.report(),
    }
}
