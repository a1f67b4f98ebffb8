//! The pages, as maud templates: every value is escaped by the template engine, and
//! nothing here writes markup from a string.

use std::time::{Duration, SystemTime};

use maud::{DOCTYPE, Markup, html};
use webhook_inbox::{Activity, AttemptOutcome, InboxEntry, InboxRow, MinuteActivity, State, Stats};

use crate::chart;
use crate::form::{Filter, SINCE};
use crate::refused::RefusedEntry;
use crate::time;

/// What every page needs to know about the request it answers.
pub(crate) struct Ctx {
    /// Where the console is mounted (`/console`; empty at the root).
    pub(crate) base: String,
    /// The CSRF token for this browser's forms.
    pub(crate) csrf: String,
    /// No actions.
    pub(crate) read_only: bool,
    /// Signed in with the session cookie (a sign-out button is shown).
    pub(crate) signed_in: bool,
    /// Now.
    pub(crate) now: SystemTime,
    /// The live refresh interval, in milliseconds.
    pub(crate) refresh_ms: u128,
    /// Only the live region's content is asked for.
    pub(crate) fragment: bool,
}

impl Ctx {
    /// The absolute path of console path `path` (which starts with `/`).
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    fn csrf_field(&self) -> Markup {
        html! { input type="hidden" name=(crate::auth::CSRF_FIELD) value=(self.csrf); }
    }
}

/// The page sections of the top navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    Overview,
    Deliveries,
    Refused,
    Purge,
    None,
}

/// The whole page around `content`, or (for a live refresh) just the live region's.
pub(crate) fn layout(
    ctx: &Ctx,
    title: &str,
    nav: Nav,
    head: Markup,
    live: Option<(String, Markup)>,
) -> Markup {
    if ctx.fragment {
        return live.map(|(_, content)| content).unwrap_or(head);
    }
    let link = |to: Nav, path: &str, label: &str| {
        html! {
            @if nav == to {
                a href=(ctx.url(path)) aria-current="page" { (label) }
            } @else {
                a href=(ctx.url(path)) { (label) }
            }
        }
    };
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " · Webhook inbox" }
                link rel="icon" href=(ctx.url("/assets/icon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(ctx.url("/assets/console.css"));
                script src=(ctx.url("/assets/console.js")) defer {}
            }
            body {
                a.skip href="#main" { "Skip to content" }
                header.top {
                    a.brand href=(ctx.url("/")) { "Webhook inbox" }
                    nav aria-label="Console" {
                        (link(Nav::Overview, "/", "Overview"))
                        (link(Nav::Deliveries, "/deliveries", "Deliveries"))
                        (link(Nav::Refused, "/refused", "Refused"))
                        @if !ctx.read_only {
                            (link(Nav::Purge, "/purge", "Purge"))
                        }
                    }
                    div.session {
                        @if ctx.read_only {
                            span.mode title="This console shows no action" { "Read-only" }
                        }
                        @if ctx.signed_in {
                            form method="post" action=(ctx.url("/logout")) {
                                (ctx.csrf_field())
                                button.link type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main #main tabindex="-1" {
                    (head)
                    @if let Some((url, content)) = live {
                        div.live-bar {
                            label {
                                input #live-toggle type="checkbox" checked;
                                " Live"
                            }
                            span #live-status aria-live="polite" {
                                "Refreshes every " (ctx.refresh_ms / 1000) " s"
                            }
                        }
                        div #live data-live=(url) data-every=(ctx.refresh_ms) { (content) }
                    }
                }
            }
        }
    }
}

/// A state as a coloured badge (the colour repeats the word, never replaces it).
fn badge(state: State) -> Markup {
    html! { span class=(format!("badge {}", state.as_str())) { (state.as_str()) } }
}

/// A time as `<time>` with its age, UTC in the tooltip.
fn when(ctx: &Ctx, at: SystemTime) -> Markup {
    html! {
        time datetime=(time::machine(at)) title=(format!("{} UTC", time::utc(at))) {
            (time::age(at, ctx.now)) " ago"
        }
    }
}

/// A time in full: UTC and age.
fn when_full(ctx: &Ctx, at: Option<SystemTime>) -> Markup {
    html! {
        @match at {
            Some(at) => {
                time datetime=(time::machine(at)) { (time::utc(at)) " UTC" }
                " " span.muted { "(" (time::age(at, ctx.now)) " ago)" }
            }
            None => span.muted { "—" }
        }
    }
}

/// A notice after an action (`role=status`, so screen readers announce it).
pub(crate) fn notice(text: Option<String>) -> Markup {
    html! {
        @if let Some(text) = text {
            p.notice role="status" { (text) }
        }
    }
}

/// The overview: counts, charts, oldest unhandled, dead letters by type.
pub(crate) fn overview(
    ctx: &Ctx,
    stats: &Stats,
    activity: &Activity,
    refused_last_hour: Option<usize>,
) -> Markup {
    let head = html! { h1 { "Overview" } };
    let hour = |histogram: fn(&MinuteActivity) -> &[u64]| {
        let mut hour = vec![0_u64; webhook_inbox::SETTLE_BUCKETS_MS.len() + 1];
        for minute in &activity.minutes {
            for (total, count) in hour.iter_mut().zip(histogram(minute)) {
                *total += count;
            }
        }
        hour
    };
    let settle_hour = hour(|minute| &minute.settle_histogram);
    let handler_hour = hour(|minute| &minute.handler_histogram);
    let max_dead = activity
        .dead_by_event_type
        .iter()
        .map(|(_, count)| *count)
        .max()
        .unwrap_or(1);
    let content = html! {
        section aria-labelledby="counts-h" {
            h2 #counts-h .sr-only { "Deliveries by state" }
            ul.cards {
                @for state in [State::Pending, State::Running, State::Failed, State::Dead, State::Done] {
                    li class=(format!("card {}{}", state.as_str(), if stats.get(state) > 0 { " nonzero" } else { "" })) {
                        a href=(ctx.url(&format!("/deliveries?state={state}"))) {
                            span.count data-state=(state.as_str()) { (stats.get(state)) }
                            span.label { (state.as_str()) }
                        }
                    }
                }
                li.card.total {
                    a href=(ctx.url("/deliveries")) {
                        span.count data-state="total" { (stats.total()) }
                        span.label { "total" }
                    }
                }
                li.card.oldest {
                    div {
                        span.count {
                            @match activity.oldest_unhandled {
                                Some(at) => (time::age(at, ctx.now)),
                                None => "—",
                            }
                        }
                        span.label { "oldest unhandled" }
                    }
                }
            }
        }
        div.grid.charts {
            section.panel aria-labelledby="rate-h" {
                h2 #rate-h { "Deliveries per minute" }
                p.legend {
                    span.key.received { "received" } " "
                    span.key.done { "done" } " "
                    span.key.failed { "failed attempts" }
                }
                (chart::per_minute(&activity.minutes, "rate"))
            }
            section.panel aria-labelledby="settle-h" {
                h2 #settle-h { "Time to done" }
                (quantile_legend(&settle_hour))
                (chart::settle_times(&activity.minutes, "settle"))
                p.hint { "From receipt to done: queueing, retries and the handler together." }
            }
            section.panel aria-labelledby="handler-h" {
                h2 #handler-h { "Handler duration" }
                (quantile_legend(&handler_hour))
                (chart::handler_times(&activity.minutes, "handler"))
                p.hint { "Each attempt's run of the handler, whatever its outcome, over the last hour." }
            }
        }
        div.grid {
            section.panel aria-labelledby="dead-h" {
                h2 #dead-h { "Dead letters by event type" }
                @if activity.dead_by_event_type.is_empty() {
                    p.muted { "No dead letters." }
                } @else {
                    table.dense {
                        thead { tr { th scope="col" { "Event type" } th scope="col" .num { "Dead" } th scope="col" { span.sr-only { "Share" } } @if !ctx.read_only { th scope="col" { span.sr-only { "Action" } } } } }
                        tbody {
                            @for (event_type, count) in &activity.dead_by_event_type {
                                tr {
                                    td { a href=(ctx.url(&format!("/deliveries?{}", Filter { state: Some(State::Dead), event: event_type.clone(), ..Filter::default() }.query(&[])))) { code { (event_type) } } }
                                    td.num { (count) }
                                    td {
                                        svg.share viewBox="0 0 100 8" role="img" aria-label=(format!("{count} of the largest type's {max_dead}")) {
                                            rect.track x="0" y="0" width="100" height="8" rx="2" {}
                                            rect.fill x="0" y="0" width=(format!("{:.1}", 100.0 * *count as f64 / max_dead.max(1) as f64)) height="8" rx="2" {}
                                        }
                                    }
                                    @if !ctx.read_only {
                                        td { a href=(ctx.url(&format!("/replay?{}", Filter { state: Some(State::Dead), event: event_type.clone(), ..Filter::default() }.query(&[])))) { "Replay…" } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.panel aria-labelledby="refused-h" {
                h2 #refused-h { "Refused requests" }
                @match refused_last_hour {
                    Some(count) => p { strong { (count) } " refused in the last hour. " a href=(ctx.url("/refused")) { "See them" } },
                    None => p.muted { "No refused-request log is connected to this console." },
                }
            }
        }
    };
    layout(
        ctx,
        "Overview",
        Nav::Overview,
        head,
        Some((ctx.url("/"), content)),
    )
}

/// The filter form of the deliveries page.
fn filter_form(ctx: &Ctx, filter: &Filter, providers: &[String]) -> Markup {
    html! {
        form.filters method="get" action=(ctx.url("/deliveries")) role="search" aria-label="Filter deliveries" {
            div.field {
                label for="f-state" { "State" }
                select #f-state name="state" {
                    option value="" selected[filter.state.is_none()] { "any" }
                    @for state in State::ALL {
                        option value=(state.as_str()) selected[filter.state == Some(state)] { (state.as_str()) }
                    }
                }
            }
            div.field {
                label for="f-provider" { "Provider" }
                select #f-provider name="provider" {
                    option value="" selected[filter.provider.is_empty()] { "any" }
                    @for provider in providers {
                        option value=(provider) selected[filter.provider == *provider] { (provider) }
                    }
                    @if !filter.provider.is_empty() && !providers.contains(&filter.provider) {
                        option value=(filter.provider) selected { (filter.provider) }
                    }
                }
            }
            div.field {
                label for="f-event" { "Event type" }
                input #f-event type="text" name="event" value=(filter.event) placeholder="charge.succeeded" autocomplete="off";
            }
            div.field {
                label for="f-since" { "Received" }
                select #f-since name="since" {
                    option value="" selected[filter.since.is_empty()] { "any time / range" }
                    @for (value, label, _) in SINCE {
                        option value=(value) selected[filter.since == value] { (label) }
                    }
                }
            }
            div.field {
                label for="f-from" { "From (UTC)" }
                input #f-from type="datetime-local" name="from" value=(filter.from);
            }
            div.field {
                label for="f-to" { "Before (UTC)" }
                input #f-to type="datetime-local" name="to" value=(filter.to);
            }
            div.field.wide {
                label for="f-q" { "Dedupe key / event id" }
                input #f-q type="search" name="q" value=(filter.q) placeholder="evt_…" autocomplete="off";
            }
            div.buttons {
                button type="submit" { "Apply" }
                a.button.secondary href=(ctx.url("/deliveries")) { "Clear" }
            }
        }
    }
}

/// The deliveries page: filters, a table, keyset pagination.
pub(crate) fn deliveries(
    ctx: &Ctx,
    filter: &Filter,
    providers: &[String],
    rows: &[InboxRow],
    before: Option<i64>,
    more: bool,
    notice_text: Option<String>,
) -> Markup {
    let head = html! {
        div.title-row {
            h1 { "Deliveries" }
            @if !ctx.read_only {
                a.button.secondary href=(ctx.url(&format!("/replay?{}", filter.query(&[])))) { "Replay all matching…" }
            }
        }
        (notice(notice_text))
        (filter_form(ctx, filter, providers))
    };
    let table = html! {
        @if rows.is_empty() {
            p.empty { "No deliveries match." }
        } @else {
            table.dense.deliveries {
                caption.sr-only { "Deliveries, newest first" }
                thead {
                    tr {
                        th scope="col" .num { "ID" }
                        th scope="col" { "State" }
                        th scope="col" { "Provider" }
                        th scope="col" { "Event type" }
                        th scope="col" { "Dedupe key" }
                        th scope="col" .num { "Attempts" }
                        th scope="col" { "Received" }
                        th scope="col" { "Last error" }
                    }
                }
                tbody {
                    @for row in rows {
                        tr data-id=(row.id) {
                            td.num { a href=(ctx.url(&format!("/deliveries/{}", row.id))) aria-label=(format!("Delivery {}", row.id)) { (row.id) } }
                            td { (badge(row.state)) }
                            td { (row.provider) }
                            td { code { (row.event_type) } }
                            td.dedupe { code { (row.dedupe_key) } }
                            td.num { (row.attempts) }
                            td { (when(ctx, row.received_at)) }
                            td.error { @if let Some(error) = &row.last_error { span title=(error) { (truncate(error, 90)) } } }
                        }
                    }
                }
            }
        }
        nav.pager aria-label="Pages" {
            @if before.is_some() {
                a href=(ctx.url(&format!("/deliveries?{}", filter.query(&[])))) { "← Newest" }
            }
            @if more {
                @if let Some(last) = rows.last() {
                    a rel="next" href=(ctx.url(&format!("/deliveries?{}", filter.query(&[("before", last.id.to_string())])))) { "Older →" }
                }
            }
        }
    };
    // Only the first page refreshes itself: an older page stays where the reader is.
    let live_url = ctx.url(&format!("/deliveries?{}", filter.query(&[])));
    if before.is_none() {
        layout(
            ctx,
            "Deliveries",
            Nav::Deliveries,
            head,
            Some((live_url, table)),
        )
    } else {
        layout(
            ctx,
            "Deliveries",
            Nav::Deliveries,
            html! { (head) (table) },
            None,
        )
    }
}

fn truncate(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(chars).collect();
    cut.push('…');
    cut
}

/// Whether a header's value is a credential or signature, shown masked.
pub(crate) fn is_sensitive(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [
        "signature",
        "token",
        "secret",
        "api-key",
        "apikey",
        "password",
    ]
    .iter()
    .any(|word| name.contains(word))
        || matches!(
            name.as_str(),
            "authorization" | "proxy-authorization" | "cookie" | "set-cookie" | "x-hub-signature"
        )
}

/// The body as shown: pretty-printed when it is JSON, else as text; at most 256 KiB.
fn pretty_body(body: &str) -> (String, bool) {
    const SHOWN: usize = 256 * 1024;
    let pretty = serde_json::from_str::<serde_json::Value>(body)
        .ok()
        .and_then(|value| serde_json::to_string_pretty(&value).ok());
    let is_json = pretty.is_some();
    let mut text = pretty.unwrap_or_else(|| body.to_owned());
    if text.len() > SHOWN {
        let mut end = SHOWN;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("\n… (cut: download the raw body for the rest)");
    }
    (text, is_json)
}

/// The p50, p90 and p99 of an hour's histogram (see [`chart::quantile`]), as a chart's
/// legend.
fn quantile_legend(hour: &[u64]) -> Markup {
    html! {
        p.legend {
            @for (label, q, class) in chart::QUANTILES {
                span class=(format!("key {class}")) {
                    (label) " "
                    strong data-quantile=(label) { @match chart::quantile(hour, q) { Some(ms) => { "≤ " (time::millis(ms)) }, None => "—" } }
                }
                " "
            }
        }
    }
}

/// A delivery's timeline: its receipt, each attempt with its outcome, error and the
/// handler's run, where it stands now.
fn timeline(ctx: &Ctx, entry: &InboxEntry) -> Markup {
    let row = &entry.row;
    let running = u32::from(row.state == State::Running);
    html! {
        ol.timeline {
            li { span.dot.received {} "Received and stored " (when_full(ctx, Some(row.received_at))) }
            @for (at, attempt) in entry.timeline.iter().enumerate() {
                @if at > 0 && attempt.attempt <= entry.timeline[at - 1].attempt {
                    li { span.dot.received {} "Replayed, or received again after it died" }
                }
                li.attempt data-outcome=(attempt.outcome.as_str()) {
                    span class=(format!("dot {}", outcome_class(attempt.outcome))) {}
                    "Attempt " (attempt.attempt) " " (outcome_words(attempt.outcome)) " "
                    (when_full(ctx, Some(attempt.ended_at)))
                    @if let Some(took) = attempt.duration {
                        " — ran " span.took { (time::run(took)) }
                    }
                    @if let Some(error) = &attempt.error { pre.error { (error) } }
                }
            }
            @match row.state {
                State::Pending => li { span.dot.pending {} "Waiting for a worker" },
                State::Running => li { span.dot.running {} "Attempt " (row.attempts) " running now, leased until " (when_full(ctx, row.lease_expires_at)) },
                State::Failed => li { span.dot.failed {} "Next attempt " (when_full(ctx, row.retry_at)) },
                State::Dead => li { span.dot.dead {} "Dead-lettered: replay it once the fix is out" },
                State::Done => li {
                    span.dot.done {} "Done"
                    @if let Some(finished) = row.finished_at {
                        " — " (time::millis(finished.duration_since(row.received_at).unwrap_or_default().as_millis() as u64)) " from receipt, queueing and retries included"
                    }
                },
            }
        }
        @if entry.timeline.is_empty() && row.attempts > running {
            p.hint { "This delivery's attempts were made before the inbox kept a timeline (schema version 2): only its last outcome is known." }
            @if let Some(error) = &row.last_error { pre.error { (error) } }
        }
    }
}

/// What an attempt's outcome reads as on the timeline.
fn outcome_words(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Done => "succeeded",
        AttemptOutcome::Failed => "failed",
        AttemptOutcome::Dead => "failed for good",
        AttemptOutcome::Lost => "lost",
    }
}

/// The dot's colour class of an attempt's outcome (a lost attempt shows as failed).
fn outcome_class(outcome: AttemptOutcome) -> &'static str {
    match outcome {
        AttemptOutcome::Done => "done",
        AttemptOutcome::Failed | AttemptOutcome::Lost => "failed",
        AttemptOutcome::Dead => "dead",
    }
}

/// One delivery: facts, timeline, actions, headers, body.
pub(crate) fn delivery(
    ctx: &Ctx,
    entry: &InboxEntry,
    body_len: Option<usize>,
    notice_text: Option<String>,
) -> Markup {
    let row = &entry.row;
    let (body, is_json) = pretty_body(&entry.body);
    let head = html! {
        p.crumbs { a href=(ctx.url("/deliveries")) { "Deliveries" } " / " (row.id) }
        div.title-row {
            h1 { "Delivery " (row.id) " " (badge(row.state)) }
            @if !ctx.read_only {
                @if row.state == State::Running {
                    p.muted { "Running now: replay it once it ends." }
                } @else {
                    form method="post" action=(ctx.url(&format!("/deliveries/{}/replay", row.id))) {
                        (ctx.csrf_field())
                        button #replay type="submit" { "Replay" }
                    }
                }
            }
        }
        (notice(notice_text))
    };
    let content = html! {
        div.grid {
            section.panel aria-labelledby="facts-h" {
                h2 #facts-h { "Facts" }
                dl.facts {
                    dt { "Provider" } dd { (row.provider) }
                    dt { "Event type" } dd { code { (row.event_type) } }
                    dt { "Dedupe key" } dd { code #dedupe-key { (row.dedupe_key) } }
                    dt { "State" } dd { (badge(row.state)) }
                    dt { "Attempts" } dd { (row.attempts) }
                    dt { "Received" } dd { (when_full(ctx, Some(row.received_at))) }
                    dt { "Last change" } dd { (when_full(ctx, Some(row.updated_at))) }
                    dt { "Retry at" } dd { (when_full(ctx, row.retry_at)) }
                    dt { "Finished" } dd { (when_full(ctx, row.finished_at)) }
                    dt { "Lease" } dd {
                        @match &row.lease_owner {
                            Some(owner) => { code { (owner) } " until " (when_full(ctx, row.lease_expires_at)) },
                            None => span.muted { "none" },
                        }
                    }
                }
            }
            section.panel aria-labelledby="timeline-h" {
                h2 #timeline-h { "Timeline" }
                (timeline(ctx, entry))
            }
        }
        section.panel aria-labelledby="headers-h" {
            h2 #headers-h { "Headers" }
            table.dense.headers {
                thead { tr { th scope="col" { "Name" } th scope="col" { "Value" } } }
                tbody {
                    @for (name, value) in &entry.headers {
                        tr {
                            th scope="row" { code { (name) } }
                            td {
                                @if is_sensitive(name) {
                                    span.masked { "•••••• masked (" (value.chars().count()) " characters)" }
                                } @else {
                                    code { (value) }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.panel aria-labelledby="body-h" {
            div.title-row {
                h2 #body-h { "Body" @if is_json { " " span.muted { "(JSON, pretty-printed)" } } }
                a.button.secondary href=(ctx.url(&format!("/deliveries/{}/body", row.id))) download=(format!("delivery-{}.body", row.id)) {
                    "Download raw body"
                    @if let Some(len) = body_len { " (" (len) " bytes)" }
                }
            }
            pre.body tabindex="0" { code { (body) } }
        }
    };
    layout(
        ctx,
        &format!("Delivery {}", row.id),
        Nav::Deliveries,
        html! { (head) (content) },
        None,
    )
}

/// The confirmation of a bulk replay: how many, of which filter.
pub(crate) fn replay_confirm(
    ctx: &Ctx,
    filter: &Filter,
    count: u64,
    newest: Option<i64>,
) -> Markup {
    let described = filter.describe();
    let head = html! {
        p.crumbs { a href=(ctx.url(&format!("/deliveries?{}", filter.query(&[])))) { "Deliveries" } " / Replay" }
        h1 { "Replay everything matching" }
        p {
            @if described.is_empty() { "Filter: " strong { "every delivery" } }
            @else { "Filter: " strong { (described.join(", ")) } }
        }
        @if count == 0 {
            p.empty { "No delivery matches: nothing to replay." }
        } @else {
            p.count-line { strong #match-count { (count) } " deliver" @if count == 1 { "y matches" } @else { "ies match" } "." }
            p { "Replaying puts them back to pending with their attempts reset; the handlers run them again. Deliveries a worker is running now are skipped, and deliveries that arrive after this page are left alone." }
            form method="post" action=(ctx.url("/replay")) {
                (ctx.csrf_field())
                @for (name, value) in filter.pairs() {
                    input type="hidden" name=(name) value=(value);
                }
                input type="hidden" name="up_to" value=(newest.unwrap_or(0));
                div.buttons {
                    button.danger #confirm-replay type="submit" { "Replay " (count) " deliver" @if count == 1 { "y" } @else { "ies" } }
                    a.button.secondary href=(ctx.url(&format!("/deliveries?{}", filter.query(&[])))) { "Cancel" }
                }
            }
        }
    };
    layout(ctx, "Replay", Nav::Deliveries, head, None)
}

/// The purge form, and once a date is chosen, how many rows it would delete.
pub(crate) fn purge(
    ctx: &Ctx,
    before: Option<SystemTime>,
    count: Option<u64>,
    notice_text: Option<String>,
) -> Markup {
    let default = ctx.now - Duration::from_secs(30 * 86_400);
    let value = time::date_value(before.unwrap_or(default));
    let head = html! {
        h1 { "Purge done deliveries" }
        (notice(notice_text))
        p { "Deletes done deliveries that finished before a date (UTC). A redelivery of a purged event is then handled again, so keep at least the providers' retry window." }
        form.filters method="get" action=(ctx.url("/purge")) {
            div.field {
                label for="p-before" { "Finished before (UTC)" }
                input #p-before type="date" name="before" value=(value) required;
            }
            div.buttons { button.secondary type="submit" { "Count" } }
        }
        @if let (Some(before), Some(count)) = (before, count) {
            @if count == 0 {
                p.empty { "No done delivery finished before " (time::date_value(before)) "." }
            } @else {
                form method="post" action=(ctx.url("/purge")) {
                    (ctx.csrf_field())
                    input type="hidden" name="before" value=(time::date_value(before));
                    p.count-line { strong { (count) } " done deliveries finished before " (time::date_value(before)) "." }
                    button.danger type="submit" { "Delete " (count) " done deliveries" }
                }
            }
        }
    };
    layout(ctx, "Purge", Nav::Purge, head, None)
}

/// The requests the receiver refused.
pub(crate) fn refused(ctx: &Ctx, entries: Option<&[RefusedEntry]>) -> Markup {
    let head = html! { h1 { "Refused requests" } };
    let content = html! {
        @match entries {
            None => p.empty { "No refused-request log is connected to this console: the receiver's record of what it refused is shown here when the app passes it to the console." },
            Some([]) => p.empty { "Nothing refused recently." },
            Some(entries) => {
                p.muted { "The receiver's recent record of what it refused (bodies are never kept), newest first." }
                table.dense {
                    thead { tr {
                        th scope="col" { "When" } th scope="col" { "Provider" } th scope="col" .num { "Status" }
                        th scope="col" { "Reason" } th scope="col" .num { "Size" } th scope="col" { "Source" }
                    } }
                    tbody {
                        @for entry in entries {
                            tr {
                                td { (when(ctx, entry.at)) }
                                td { (entry.provider) }
                                td.num { span class=(format!("status s{}", entry.status / 100)) { (entry.status) } }
                                td { (entry.reason) }
                                td.num { @match entry.size { Some(size) => (size), None => span.muted { "—" } } }
                                td { @match entry.source { Some(source) => code { (source) }, None => span.muted { "—" } } }
                            }
                        }
                    }
                }
            }
        }
    };
    layout(
        ctx,
        "Refused",
        Nav::Refused,
        head,
        Some((ctx.url("/refused"), content)),
    )
}

/// The sign-in form (answered with 401 to a browser that is not signed in).
pub(crate) fn sign_in(ctx: &Ctx, next: &str, wrong: bool) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "Sign in · Webhook inbox" }
                link rel="icon" href=(ctx.url("/assets/icon.svg")) type="image/svg+xml";
                link rel="stylesheet" href=(ctx.url("/assets/console.css"));
            }
            body.signin {
                main #main {
                    form.signin method="post" action=(ctx.url("/login")) {
                        h1 { "Webhook inbox" }
                        @if wrong {
                            p.notice.bad role="alert" { "That token is not right." }
                        }
                        (ctx.csrf_field())
                        input type="hidden" name="next" value=(next);
                        label for="token" { "Access token" }
                        input #token type="password" name="token" autocomplete="current-password" required autofocus;
                        button type="submit" { "Sign in" }
                        p.hint { "The token the console was started with (WEBHOOK_CONSOLE_TOKEN)." }
                    }
                }
            }
        }
    }
}

/// A page for an error (not found, refused, failed).
pub(crate) fn error(ctx: &Ctx, title: &str, detail: &str) -> Markup {
    let head = html! {
        h1 { (title) }
        p { (detail) }
        p { a href=(ctx.url("/")) { "Back to the overview" } }
    };
    let fragment = Ctx {
        fragment: false,
        base: ctx.base.clone(),
        csrf: ctx.csrf.clone(),
        read_only: ctx.read_only,
        signed_in: ctx.signed_in,
        now: ctx.now,
        refresh_ms: ctx.refresh_ms,
    };
    layout(
        if ctx.fragment { &fragment } else { ctx },
        title,
        Nav::None,
        head,
        None,
    )
}

/// The page of a console that nobody may use yet.
pub(crate) fn closed(ctx: &Ctx) -> Markup {
    error(
        ctx,
        "No access configured",
        "This console has neither a token nor the app's own authentication in front of it, so it lets nobody in. Configure a token (Console::token, or WEBHOOK_CONSOLE_TOKEN for the examples and `webhook inbox serve`) or mount it behind the app's authentication (Console::behind_app_auth).",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_and_credential_headers_are_sensitive() {
        for name in [
            "x-modem-signature",
            "Stripe-Signature",
            "webhook-signature",
            "x-hub-signature-256",
            "x-webhook-signature",
            "authorization",
            "cookie",
            "x-api-key",
            "x-shopify-access-token",
        ] {
            assert!(is_sensitive(name), "{name}");
        }
        for name in ["content-type", "webhook-id", "x-github-event", "user-agent"] {
            assert!(!is_sensitive(name), "{name}");
        }
    }

    #[test]
    fn bodies_are_pretty_printed_when_json_and_cut_when_huge() {
        let (text, json) = pretty_body(r#"{"a":[1,2]}"#);
        assert!(json);
        assert!(text.contains("\n  \"a\": ["), "{text}");
        let (text, json) = pretty_body("not json");
        assert!(!json);
        assert_eq!(text, "not json");
        let (text, _) = pretty_body(&"é".repeat(200_000));
        assert!(text.ends_with("download the raw body for the rest)"));
    }
}
