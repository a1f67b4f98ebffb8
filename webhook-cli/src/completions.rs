//! `webhook completions <shell>`: the shell completion script, on stdout.

use clap::Args;
use clap_complete::Shell;

use crate::common::Outcome;

/// The arguments of `webhook completions` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

/// Runs `webhook completions`: writes the script for `command` to stdout.
pub(crate) fn run(args: &CompletionsArgs, mut command: clap::Command) -> Outcome {
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, &mut std::io::stdout());
    Ok(())
}
