//! `webhook inbox`: inspect and repair a durable inbox (SQLite file or Postgres URL).

use std::path::Path;
use std::time::{Duration, SystemTime};

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use webhook_inbox::{
    Admin, Inbox, InboxConfig, InboxEntry, InboxRow, ListFilter, Replay, SchemaStatus, State,
};

use crate::common::{Failure, Outcome, block_on, rfc3339};

/// The environment variable `--db` is read from when not given.
pub(crate) const INBOX_ENV: &str = "WEBHOOK_INBOX";

/// Where `--db` is read from when neither it nor `WEBHOOK_INBOX` is given: the name most
/// tools (sqlx, Heroku, Railway...) use for a database URL.
pub(crate) const DATABASE_URL_ENV: &str = "DATABASE_URL";

/// The most rows `list` and bulk replay read at once.
const ALL_ROWS: u32 = u32::MAX;

/// The arguments of `webhook inbox` (its help is on the subcommand in `main.rs`).
#[derive(Debug, Args)]
pub(crate) struct InboxArgs {
    /// The inbox: a SQLite file path (`sqlite:` prefix allowed) or a `postgres://` URL,
    /// before or after the action (`webhook inbox serve --db URL`)
    /// [default: `WEBHOOK_INBOX`, else `DATABASE_URL`].
    #[arg(long, global = true, env = INBOX_ENV, hide_env_values = true)]
    db: Option<String>,
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// What to do with it.
    #[command(subcommand)]
    action: Action,
}

/// The inbox actions.
#[derive(Debug, Subcommand)]
enum Action {
    /// How many rows are in each state, one `state count` a line.
    Stats,
    /// The schema's version and pending migrations, then the rows in each state.
    Status,
    /// Apply the pending schema migrations (for deployments that turn automatic
    /// migration off: `InboxConfig::auto_migrate(false)`).
    Migrate,
    /// The rows, newest first.
    List {
        /// Only rows in this state (pending, running, done, failed, dead).
        #[arg(long)]
        state: Option<State>,
        /// Only rows of this event type.
        #[arg(long)]
        event: Option<String>,
        /// At most this many rows.
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// One row in full: its state, headers and body.
    Show {
        /// The row's id.
        id: i64,
    },
    /// Put a row, or every dead row, back to pending with its attempts reset.
    Replay {
        /// The row's id.
        #[arg(required_unless_present = "dead", conflicts_with = "dead")]
        id: Option<i64>,
        /// Replay every dead row (of --event, when given).
        #[arg(long)]
        dead: bool,
        /// With --dead: only dead rows of this event type.
        #[arg(long, requires = "dead")]
        event: Option<String>,
    },
    /// Serve the inbox console (overview, deliveries, replays) on http://BIND:PORT/.
    ///
    /// Access: with WEBHOOK_CONSOLE_TOKEN set, the token (as `Authorization: Bearer`, or
    /// typed into the sign-in form); without it, anyone who reaches the address, so it
    /// binds a loopback address only (another --bind without a token is refused).
    /// Ctrl-C stops it.
    Serve {
        /// The port (0: any free one, printed at start).
        #[arg(long, default_value_t = 8080)]
        port: u16,
        /// The address to bind; anything but loopback needs WEBHOOK_CONSOLE_TOKEN.
        #[arg(long, default_value = "127.0.0.1")]
        bind: std::net::IpAddr,
        /// Show no action: no replay, no purge.
        #[arg(long)]
        read_only: bool,
    },
    /// Delete done rows that finished more than DURATION ago.
    Purge {
        /// How old a done row must be, e.g. `30d`, `12h`, `90m`, `45s`.
        #[arg(long, value_name = "DURATION", value_parser = parse_age)]
        done_before: Duration,
    },
}

/// Runs `webhook inbox`.
pub(crate) fn run(args: InboxArgs) -> Outcome {
    let db = database(args.db)?;
    block_on(async move {
        let (db, as_json) = (db.as_str(), args.json);
        check_exists(db)?;
        match args.action {
            Action::Status => status(db, as_json).await,
            Action::Migrate => migrate(db, as_json).await,
            Action::Stats => stats(&open(db).await?, as_json).await,
            Action::List {
                state,
                event,
                limit,
            } => list(&open(db).await?, filter(state, event, limit), as_json).await,
            Action::Show { id } => show(&open(db).await?, id, as_json).await,
            Action::Replay { id: Some(id), .. } => replay(&open(db).await?, id, as_json).await,
            Action::Replay { event, .. } => {
                replay_dead(&open(db).await?, event.as_deref(), as_json).await
            }
            Action::Purge { done_before } => purge(&open(db).await?, done_before, as_json).await,
            Action::Serve {
                port,
                bind,
                read_only,
            } => {
                let args = crate::serve::ServeArgs {
                    bind,
                    port,
                    read_only,
                };
                crate::serve::serve(open(db).await?, args).await
            }
        }
    })
}

/// `--db`, or `WEBHOOK_INBOX` (both through clap), else `DATABASE_URL`.
///
/// clap takes one environment variable per argument, so the fallback is read here; an
/// empty value counts as unset.
fn database(given: Option<String>) -> Result<String, Failure> {
    let fallback = || {
        std::env::var(DATABASE_URL_ENV)
            .ok()
            .filter(|url| !url.is_empty())
    };
    let given = given.filter(|db| !db.is_empty());
    given.or_else(fallback).ok_or_else(|| {
        Failure::usage(format_args!(
            "no inbox given: pass --db, or set {INBOX_ENV} or {DATABASE_URL_ENV}"
        ))
    })
}

/// Opens the inbox without migrating it: only `migrate` changes the schema.
async fn open(db: &str) -> Result<Inbox, Failure> {
    let config = InboxConfig::new().auto_migrate(false);
    Inbox::open_with(db, config).await.map_err(Failure::error)
}

/// A SQLite file must already exist (a typo should not create one).
fn check_exists(db: &str) -> Outcome {
    let postgres = db.starts_with("postgres://") || db.starts_with("postgresql://");
    let path = db
        .strip_prefix("sqlite://")
        .or_else(|| db.strip_prefix("sqlite:"))
        .unwrap_or(db);
    if !postgres && !Path::new(path).exists() {
        return Err(Failure::error(format_args!(
            "no inbox at `{path}`: the file does not exist"
        )));
    }
    Ok(())
}

/// `status`: the schema's version and pending migrations, then (when the schema is
/// current, so the rows can be read) `stats`.
async fn status(db: &str, as_json: bool) -> Outcome {
    let schema = Inbox::schema_status(db).await.map_err(Failure::error)?;
    let stats = match schema.is_current() {
        true => Some(open(db).await?.stats().await.map_err(Failure::error)?),
        false => None,
    };
    if as_json {
        return print_json(&json!({ "schema": schema, "rows": stats }));
    }
    print_schema(&schema);
    match stats {
        Some(stats) => State::ALL
            .iter()
            .for_each(|&state| println!("{state} {}", stats.get(state))),
        // The database URL may hold a password: it is not echoed.
        None => println!("run `webhook inbox migrate` with the same --db to apply them"),
    }
    Ok(())
}

/// `migrate`: applies the pending migrations, one line for each.
async fn migrate(db: &str, as_json: bool) -> Outcome {
    let before = Inbox::schema_status(db).await.map_err(Failure::error)?;
    let after = Inbox::migrate(db).await.map_err(Failure::error)?;
    if as_json {
        return print_json(&json!({ "applied": before.pending, "schema": after }));
    }
    for migration in &before.pending {
        println!("applied {} {}", migration.version, migration.name);
    }
    print_schema(&after);
    Ok(())
}

/// `schema N of M`, and the pending migrations.
fn print_schema(schema: &SchemaStatus) {
    println!("schema {} of {}", schema.version, schema.latest);
    for migration in &schema.pending {
        println!("pending {} {}", migration.version, migration.name);
    }
}

/// The list filter of the flags.
fn filter(state: Option<State>, event: Option<String>, limit: u32) -> ListFilter {
    let filter = ListFilter::new().limit(limit);
    let filter = match state {
        Some(state) => filter.state(state),
        None => filter,
    };
    match event {
        Some(event) => filter.event_type(event),
        None => filter,
    }
}

/// `stats`: `pending 3`, one line per state.
async fn stats(inbox: &Inbox, as_json: bool) -> Outcome {
    let stats = inbox.stats().await.map_err(Failure::error)?;
    if as_json {
        return print_json(&stats);
    }
    for state in State::ALL {
        println!("{state} {}", stats.get(state));
    }
    Ok(())
}

/// `list`: an aligned table, newest first.
async fn list(inbox: &Inbox, filter: ListFilter, as_json: bool) -> Outcome {
    let rows = inbox.list(filter).await.map_err(Failure::error)?;
    if as_json {
        return print_json(&rows);
    }
    let header = [
        "ID",
        "STATE",
        "ATTEMPTS",
        "EVENT",
        "DEDUPE KEY",
        "RECEIVED",
        "LAST ERROR",
    ];
    let mut table = vec![header.map(str::to_owned).to_vec()];
    table.extend(rows.iter().map(columns));
    print_table(&table);
    Ok(())
}

/// The table cells of one row.
fn columns(row: &InboxRow) -> Vec<String> {
    vec![
        row.id.to_string(),
        row.state.to_string(),
        row.attempts.to_string(),
        row.event_type.clone(),
        row.dedupe_key.clone(),
        rfc3339(row.received_at),
        row.last_error.clone().unwrap_or_else(|| "-".to_owned()),
    ]
}

/// Prints rows of cells, each column as wide as its widest cell.
fn print_table(table: &[Vec<String>]) {
    let columns = table.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            table
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in table {
        let cells: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", cells.join("  ").trim_end());
    }
}

/// `show`: one row with its headers and body; a missing row is an error.
async fn show(inbox: &Inbox, id: i64, as_json: bool) -> Outcome {
    let entry = inbox.get(id).await.map_err(Failure::error)?;
    let entry = entry.ok_or_else(|| Failure::error(format_args!("no row {id} in the inbox")))?;
    if as_json {
        return print_json(&entry);
    }
    print_entry(&entry);
    Ok(())
}

/// A row as `field: value` lines, its headers, a blank line, its body.
fn print_entry(entry: &InboxEntry) {
    let row = &entry.row;
    let time = |at: Option<SystemTime>| at.map_or_else(|| "-".to_owned(), rfc3339);
    println!("id: {}", row.id);
    println!("provider: {}", row.provider);
    println!("event: {}", row.event_type);
    println!("dedupe key: {}", row.dedupe_key);
    println!("state: {}", row.state);
    println!("attempts: {}", row.attempts);
    println!("last error: {}", row.last_error.as_deref().unwrap_or("-"));
    println!("received: {}", rfc3339(row.received_at));
    println!("updated: {}", rfc3339(row.updated_at));
    println!("retry at: {}", time(row.retry_at));
    println!("finished: {}", time(row.finished_at));
    println!("timeline:");
    for attempt in &entry.timeline {
        let took = attempt
            .duration
            .map_or_else(|| "-".to_owned(), |took| format!("{took:.1?}"));
        let error = attempt
            .error
            .as_deref()
            .map(|error| format!(": {error}"))
            .unwrap_or_default();
        println!(
            "  attempt {} {} at {} after {took}{error}",
            attempt.attempt,
            attempt.outcome.as_str(),
            rfc3339(attempt.ended_at)
        );
    }
    println!("headers:");
    for (name, value) in &entry.headers {
        println!("  {name}: {value}");
    }
    println!();
    println!("{}", entry.body);
}

/// `replay ID`: pending again, unless it does not exist or is running.
async fn replay(inbox: &Inbox, id: i64, as_json: bool) -> Outcome {
    let result = inbox.replay(id).await.map_err(Failure::error)?;
    if as_json {
        print_json(&json!({ "id": id, "result": result }))?;
    } else if result == Replay::Replayed {
        println!("replayed {id}: pending again");
    }
    match result {
        Replay::Replayed => Ok(()),
        Replay::NotFound => Err(Failure::error(format_args!("no row {id} in the inbox"))),
        Replay::Running => Err(Failure::error(format_args!(
            "row {id} is running now: replay it after it ends"
        ))),
    }
}

/// `replay --dead`: every dead row (of `event`), one by one under a progress bar.
async fn replay_dead(inbox: &Inbox, event: Option<&str>, as_json: bool) -> Outcome {
    let dead = filter(Some(State::Dead), event.map(str::to_owned), ALL_ROWS);
    let rows = inbox.list(dead).await.map_err(Failure::error)?;
    let bar = progress_bar(rows.len(), as_json);
    let mut replayed = 0u64;
    for row in &rows {
        let result = inbox.replay(row.id).await.map_err(Failure::error)?;
        replayed += u64::from(result == Replay::Replayed);
        bar.inc(1);
    }
    bar.finish_and_clear();
    // Rows that died while the loop ran.
    replayed += inbox.replay_dead(event).await.map_err(Failure::error)?;
    if as_json {
        return print_json(&json!({ "replayed": replayed }));
    }
    println!("replayed {replayed} dead rows: pending again");
    Ok(())
}

/// A progress bar over `len` rows; hidden for JSON output or when stderr is no terminal.
fn progress_bar(len: usize, as_json: bool) -> ProgressBar {
    if as_json || len == 0 {
        return ProgressBar::hidden();
    }
    let style = ProgressStyle::with_template("replaying {bar:40} {pos}/{len} eta {eta}")
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    ProgressBar::new(len as u64).with_style(style)
}

/// `purge --done-before AGE`: deletes done rows finished before now minus `age`.
async fn purge(inbox: &Inbox, age: Duration, as_json: bool) -> Outcome {
    let before = SystemTime::now()
        .checked_sub(age)
        .unwrap_or(SystemTime::UNIX_EPOCH);
    let purged = inbox
        .purge_done_before(before)
        .await
        .map_err(Failure::error)?;
    if as_json {
        let before_ms = before
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis();
        return print_json(&json!({ "purged": purged, "before_ms": before_ms }));
    }
    println!(
        "purged {purged} done rows finished before {}",
        rfc3339(before)
    );
    Ok(())
}

/// Prints `value` as one line of JSON.
fn print_json(value: &impl serde::Serialize) -> Outcome {
    let text = serde_json::to_string(value).map_err(Failure::error)?;
    println!("{text}");
    Ok(())
}

/// Parses an age such as `30d`, `12h`, `90m` or `45s`.
pub(crate) fn parse_age(text: &str) -> Result<Duration, String> {
    let split = text.len().saturating_sub(1);
    let (digits, unit) = text.split_at(split);
    let count: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30d, 12h, 90m or 45s"))?;
    let seconds = match unit {
        "d" => 86_400,
        "h" => 3600,
        "m" => 60,
        "s" => 1,
        _ => {
            return Err(format!(
                "`{text}`: the unit must be d, h, m or s (e.g. 30d)"
            ));
        }
    };
    count
        .checked_mul(seconds)
        .map(Duration::from_secs)
        .ok_or_else(|| format!("`{text}` is too long"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_parse_with_their_units() {
        assert_eq!(parse_age("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_age("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_age("90m"), Ok(Duration::from_secs(90 * 60)));
        assert_eq!(parse_age("45s"), Ok(Duration::from_secs(45)));
        for bad in ["", "d", "30", "30w", "-1d", "1.5h"] {
            assert!(parse_age(bad).is_err(), "{bad}");
        }
    }
}
