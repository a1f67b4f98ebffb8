//! `webhook events`: the event types of a provider's catalogue.

use clap::Args;

use crate::common::Outcome;
use crate::providers::ProviderName;

/// The arguments of `webhook events` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
pub(crate) struct EventsArgs {
    /// The provider whose catalogue to list.
    #[arg(long, value_enum)]
    provider: ProviderName,
}

/// Runs `webhook events`.
pub(crate) fn run(args: &EventsArgs) -> Outcome {
    let provider = args.provider.provider();
    let catalogue = provider.catalogue();
    if catalogue.is_empty() {
        eprintln!(
            "{} has no catalogue of typed events: trigger any name with --raw",
            args.provider
        );
    }
    for entry in catalogue {
        println!("{}", entry.name);
    }
    Ok(())
}
