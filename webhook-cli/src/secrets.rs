//! Where secrets come from: `--secret`, the `WEBHOOK_SECRET` environment variable, or
//! `--secret-file`.
//!
//! The command line wins over the environment: `--secret-file` replaces a secret that came
//! from `WEBHOOK_SECRET`, while `--secret` and `--secret-file` on one command line are
//! either both tried (`verify`, which takes several) or a usage error (the commands that
//! sign with one). clap cannot tell these apart by itself (an environment value counts as
//! given for its conflict rules), so [`Sourced`] records where `--secret` came from.

use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, Command, FromArgMatches};
use webhook_core::Secret;
use webhook_core::scheme::StandardKey;

use crate::common::{Failure, parse_secret};
use crate::providers::ProviderName;

/// The environment variable every command reads its secret from.
pub(crate) const SECRET_ENV: &str = "WEBHOOK_SECRET";

/// The id of the `--secret` argument in both argument structs.
const SECRET_ID: &str = "secret";

/// `--secret` (or `WEBHOOK_SECRET`) and `--secret-file`, for a command that uses one secret.
#[derive(Debug, Default, Args)]
pub(crate) struct SecretArgs {
    /// The secret, as the provider shows it (Stripe and Standard Webhooks: `whsec_…`;
    /// standard-webhooks also takes ed25519 keys: `whsk_…` signs `v1a`, `whpk_…` verifies it).
    #[arg(long, env = SECRET_ENV, hide_env_values = true, value_parser = parse_secret)]
    secret: Option<Secret>,
    /// Read the secret from this file instead; one trailing newline (`\n` or `\r\n`) is not
    /// part of it.
    #[arg(long, value_name = "PATH")]
    secret_file: Option<PathBuf>,
}

/// `--secret` (or `WEBHOOK_SECRET`) and `--secret-file`, each repeatable, for `verify`.
#[derive(Debug, Args)]
pub(crate) struct SecretsArgs {
    /// A secret to try; repeat for several (rotation). Standard-webhooks also takes `whpk_…`
    /// ed25519 public keys (and `whsk_…` secret keys), which verify `v1a` signatures.
    #[arg(
        id = SECRET_ID,
        long = "secret",
        value_name = "SECRET",
        env = SECRET_ENV,
        hide_env_values = true,
        required_unless_present = "secret_files",
        value_parser = parse_secret,
    )]
    secrets: Vec<Secret>,
    /// A file holding a secret to try; repeatable. One trailing newline (`\n` or `\r\n`) is
    /// not part of the secret.
    #[arg(long = "secret-file", value_name = "PATH")]
    secret_files: Vec<PathBuf>,
}

/// Arguments, and whether `--secret` among them came from the environment.
#[derive(Debug, Default)]
pub(crate) struct Sourced<T> {
    /// The arguments as parsed.
    args: T,
    /// True when the `--secret` value is `WEBHOOK_SECRET`'s, not the command line's.
    from_env: bool,
}

impl<T: FromArgMatches> FromArgMatches for Sourced<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(Self {
            args: T::from_arg_matches(matches)?,
            from_env: from_env(matches),
        })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.args.update_from_arg_matches(matches)?;
        self.from_env = from_env(matches);
        Ok(())
    }
}

impl<T: Args> Args for Sourced<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        T::augment_args(cmd)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        T::augment_args_for_update(cmd)
    }
}

/// True when the `--secret` value came from `WEBHOOK_SECRET`.
fn from_env(matches: &ArgMatches) -> bool {
    matches.value_source(SECRET_ID) == Some(ValueSource::EnvVariable)
}

impl Sourced<SecretArgs> {
    /// The secret, if any was given: a `--secret-file` wins over `WEBHOOK_SECRET`, and one
    /// beside `--secret` is a usage error.
    pub(crate) fn resolve(self) -> Result<Option<Secret>, Failure> {
        let SecretArgs {
            secret,
            secret_file,
        } = self.args;
        match (secret, secret_file) {
            (Some(_), Some(_)) if !self.from_env => Err(Failure::usage(
                "--secret and --secret-file both give the secret: pass one of them",
            )),
            (_, Some(path)) => read_secret_file(&path).map(Some),
            (secret, None) => Ok(secret),
        }
    }

    /// The secret, which the command cannot do without.
    pub(crate) fn require(self) -> Result<Secret, Failure> {
        self.resolve()?.ok_or_else(|| {
            Failure::usage(format_args!(
                "no secret given: pass --secret or --secret-file, or set {SECRET_ENV}"
            ))
        })
    }
}

impl Sourced<SecretsArgs> {
    /// Every secret to try: those of `--secret` and `--secret-file`, in that order; a value
    /// of `WEBHOOK_SECRET` only when no `--secret-file` is given.
    pub(crate) fn resolve(self) -> Result<Vec<Secret>, Failure> {
        let SecretsArgs {
            mut secrets,
            secret_files,
        } = self.args;
        if self.from_env && !secret_files.is_empty() {
            secrets.clear();
        }
        for path in &secret_files {
            secrets.push(read_secret_file(path)?);
        }
        Ok(secrets)
    }
}

/// The secret in the file at `path`, without one trailing `\n` or `\r\n`.
///
/// Unreadable or empty is a usage error; the message names the file, never its content.
pub(crate) fn read_secret_file(path: &Path) -> Result<Secret, Failure> {
    let bytes = std::fs::read(path).map_err(|e| {
        Failure::usage(format_args!(
            "cannot read secret file `{}`: {e}",
            path.display()
        ))
    })?;
    let secret = without_trailing_newline(&bytes);
    Secret::new(secret).map_err(|_| {
        Failure::usage(format_args!(
            "secret file `{}` is empty: write the secret in it",
            path.display()
        ))
    })
}

/// `bytes` without one trailing `\r\n` or `\n`.
fn without_trailing_newline(bytes: &[u8]) -> &[u8] {
    bytes
        .strip_suffix(b"\r\n")
        .or_else(|| bytes.strip_suffix(b"\n"))
        .unwrap_or(bytes)
}

/// Refuses, as a usage error, a standard-webhooks key that cannot sign: the message says what
/// is wrong with it and what to write. Other providers take any non-empty secret.
pub(crate) fn check_signing_key(provider: ProviderName, secret: &Secret) -> Result<(), Failure> {
    if provider != ProviderName::StandardWebhooks {
        return Ok(());
    }
    StandardKey::for_signing(secret)
        .map(drop)
        .map_err(Failure::usage)
}

/// Refuses, as a usage error, a standard-webhooks key that cannot verify.
pub(crate) fn check_verifying_key(provider: ProviderName, secret: &Secret) -> Result<(), Failure> {
    if provider != ProviderName::StandardWebhooks {
        return Ok(());
    }
    StandardKey::for_verifying(secret)
        .map(drop)
        .map_err(Failure::usage)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_trailing_newline_is_dropped_and_nothing_else() {
        assert_eq!(without_trailing_newline(b"s\n"), b"s");
        assert_eq!(without_trailing_newline(b"s\r\n"), b"s");
        assert_eq!(without_trailing_newline(b"s\n\n"), b"s\n");
        assert_eq!(without_trailing_newline(b"s\r"), b"s\r");
        assert_eq!(without_trailing_newline(b" s "), b" s ");
    }
}
