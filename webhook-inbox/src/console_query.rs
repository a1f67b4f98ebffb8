//! What an operator console asks of an inbox beyond listing: filtered pages by keyset,
//! counts and replays of everything a filter matches, and the last hour's activity.
//!
//! The types are public (the [`Admin`](crate::Admin) methods take and return them); the
//! SQL is written once here for both backends, which differ in their clock, their
//! parameters and (SQLite) the index hints that keep a page off a sort of the table.

use std::time::SystemTime;

use serde::{Deserialize, Serialize};

use crate::state::State;
use crate::unix_ms::{self, serde_opt_time, serde_time};

/// Which deliveries a console page, count or bulk replay covers. Every part is
/// optional; the parts that are set must all match.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use webhook_inbox::{DeliveryFilter, State};
///
/// let last_hour_dead = DeliveryFilter::new()
///     .state(State::Dead)
///     .provider("modem-pay")
///     .received_from(SystemTime::now() - Duration::from_secs(3600));
/// assert_eq!(last_hour_dead.state_filter(), Some(State::Dead));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[must_use]
pub struct DeliveryFilter {
    provider: Option<String>,
    event_type: Option<String>,
    state: Option<State>,
    dedupe_key: Option<String>,
    #[serde(with = "serde_opt_time", default)]
    received_from: Option<SystemTime>,
    #[serde(with = "serde_opt_time", default)]
    received_before: Option<SystemTime>,
}

impl DeliveryFilter {
    /// Every delivery.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only deliveries from `provider` (e.g. `modem-pay`).
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = Some(provider.into());
        self
    }

    /// Only deliveries of `event_type`.
    pub fn event_type(mut self, event_type: impl Into<String>) -> Self {
        self.event_type = Some(event_type.into());
        self
    }

    /// Only deliveries in `state`.
    pub fn state(mut self, state: State) -> Self {
        self.state = Some(state);
        self
    }

    /// Only the delivery with this dedupe key (the provider's event id, for most
    /// providers).
    pub fn dedupe_key(mut self, dedupe_key: impl Into<String>) -> Self {
        self.dedupe_key = Some(dedupe_key.into());
        self
    }

    /// Only deliveries received at or after `at`.
    pub fn received_from(mut self, at: SystemTime) -> Self {
        self.received_from = Some(at);
        self
    }

    /// Only deliveries received before `at`.
    pub fn received_before(mut self, at: SystemTime) -> Self {
        self.received_before = Some(at);
        self
    }

    /// The provider part, when set.
    pub fn provider_filter(&self) -> Option<&str> {
        self.provider.as_deref()
    }

    /// The event type part, when set.
    pub fn event_type_filter(&self) -> Option<&str> {
        self.event_type.as_deref()
    }

    /// The state part, when set.
    pub fn state_filter(&self) -> Option<State> {
        self.state
    }

    /// The dedupe key part, when set.
    pub fn dedupe_key_filter(&self) -> Option<&str> {
        self.dedupe_key.as_deref()
    }

    /// The lower bound on the receive time, when set.
    pub fn received_from_filter(&self) -> Option<SystemTime> {
        self.received_from
    }

    /// The upper bound (exclusive) on the receive time, when set.
    pub fn received_before_filter(&self) -> Option<SystemTime> {
        self.received_before
    }
}

/// One minute of the inbox's recent activity (what [`Activity`] holds per minute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MinuteActivity {
    /// The start of the minute.
    #[serde(with = "serde_time")]
    pub minute: SystemTime,
    /// Deliveries received in that minute (whatever their state now).
    pub received: u64,
    /// Deliveries that became done in that minute.
    pub done: u64,
    /// Attempts that failed in that minute: retried later, dead-lettered, or lost (the
    /// lease ran out). Counted from the attempts the inbox records since schema
    /// version 2.
    pub failed: u64,
    /// How long the deliveries done in that minute took from receipt to done (queueing,
    /// retries and the handler), as counts per bucket of [`SETTLE_BUCKETS_MS`]:
    /// `settle_histogram[i]` counts those that took at most `SETTLE_BUCKETS_MS[i]`
    /// milliseconds (and more than the bucket before); the last entry counts the rest.
    pub settle_histogram: Vec<u64>,
    /// How long the handler ran in each attempt that ended in that minute (done,
    /// failed or dead; a lost attempt has no duration), as counts per bucket of
    /// [`SETTLE_BUCKETS_MS`], like `settle_histogram`.
    pub handler_histogram: Vec<u64>,
}

/// The upper bounds, in milliseconds, of the buckets of
/// [`MinuteActivity::settle_histogram`] (one more bucket holds everything slower).
pub const SETTLE_BUCKETS_MS: [u64; 30] = [
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 70, 100, 150, 200, 300, 500, 700, 1_000, 1_500, 2_000,
    3_000, 5_000, 7_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
];

/// What the inbox did recently: per-minute counts and times since a moment, the
/// oldest delivery still waiting, and the dead letters by event type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Activity {
    /// The start of the first minute covered.
    #[serde(with = "serde_time")]
    pub since: SystemTime,
    /// One entry per minute from `since`'s minute to now's, oldest first (minutes
    /// without activity included, with zeros).
    pub minutes: Vec<MinuteActivity>,
    /// When the oldest delivery that is not handled yet (pending, running or failed)
    /// was received.
    #[serde(with = "serde_opt_time")]
    pub oldest_unhandled: Option<SystemTime>,
    /// Dead letters per event type, most first (at most 50 types).
    pub dead_by_event_type: Vec<(String, u64)>,
}

impl Activity {
    /// The empty activity of the minutes from `since` to `now`.
    pub(crate) fn empty(since_ms: i64, now_ms: i64) -> Self {
        let first = since_ms.div_euclid(60_000);
        let last = now_ms.div_euclid(60_000).max(first);
        let minutes = (first..=last)
            .map(|minute| MinuteActivity {
                minute: unix_ms::to_time(minute * 60_000),
                received: 0,
                done: 0,
                failed: 0,
                settle_histogram: vec![0; SETTLE_BUCKETS_MS.len() + 1],
                handler_histogram: vec![0; SETTLE_BUCKETS_MS.len() + 1],
            })
            .collect();
        Self {
            since: unix_ms::to_time(first * 60_000),
            minutes,
            oldest_unhandled: None,
            dead_by_event_type: Vec::new(),
        }
    }

    /// Adds `count` to bucket `bucket` of the histogram `of` picks from minute number
    /// `minute`, if both are covered.
    pub(crate) fn count_in(
        &mut self,
        minute: i64,
        of: fn(&mut MinuteActivity) -> &mut Vec<u64>,
        bucket: i64,
        count: u64,
    ) {
        let slot = self.minute_mut(minute).and_then(|entry| {
            usize::try_from(bucket)
                .ok()
                .and_then(|bucket| of(entry).get_mut(bucket))
        });
        if let Some(slot) = slot {
            *slot += count;
        }
    }

    /// The entry of minute number `minute` (since the epoch), if covered.
    pub(crate) fn minute_mut(&mut self, minute: i64) -> Option<&mut MinuteActivity> {
        let first = unix_ms::from_time(self.since).div_euclid(60_000);
        let at = usize::try_from(minute - first).ok()?;
        self.minutes.get_mut(at)
    }
}

/// How long the inbox's console statements may keep a bulk replay's transaction: it
/// replays this many rows per statement.
pub(crate) const REPLAY_CHUNK: i64 = 500;

/// The SQL dialect of a backend, for the statements built at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// SQLite: `?` parameters (bound in order), index hints.
    #[cfg(feature = "sqlite")]
    Sqlite,
    /// Postgres: `$n` parameters.
    #[cfg(feature = "postgres")]
    Postgres,
}

/// A parameter bound to a statement built at run time.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Int(i64),
}

/// A statement built at run time and its parameters, in order.
#[derive(Debug, Default)]
pub(crate) struct Built {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
}

impl Dialect {
    /// The current time in epoch milliseconds, as an SQL expression.
    pub(crate) fn now(self) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => "CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER)",
            #[cfg(feature = "postgres")]
            Self::Postgres => "CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT)",
        }
    }

    /// Appends parameter `param` to `built`, writing its placeholder.
    fn bind(self, built: &mut Built, param: Param) {
        built.params.push(param);
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => built.sql.push('?'),
            #[cfg(feature = "postgres")]
            Self::Postgres => {
                built.sql.push('$');
                built.sql.push_str(&built.params.len().to_string());
            }
        }
    }

    /// `WHERE …` for `filter` (always starts with `WHERE`), with the dedupe key's
    /// providers spelled out when the filter names no provider (`providers`), so that
    /// the search reads the `(provider, dedupe_key)` index instead of every row.
    fn where_clause(self, built: &mut Built, filter: &DeliveryFilter, providers: &[String]) {
        built.sql.push_str(" WHERE 1 = 1");
        if let Some(state) = filter.state {
            // Written out, not bound: SQLite uses a partial index only for a statement
            // whose terms imply the index's own, literally.
            built.sql.push_str(match state {
                State::Pending | State::Running | State::Failed => {
                    " AND state IN ('pending', 'running', 'failed')"
                }
                State::Done | State::Dead => "",
            });
            built.sql.push_str(" AND state = '");
            built.sql.push_str(state.as_str());
            built.sql.push('\'');
        }
        if let Some(provider) = &filter.provider {
            built.sql.push_str(" AND provider = ");
            self.bind(built, Param::Text(provider.clone()));
        } else if filter.dedupe_key.is_some() && !providers.is_empty() {
            built.sql.push_str(" AND provider IN (");
            for (at, provider) in providers.iter().enumerate() {
                if at > 0 {
                    built.sql.push_str(", ");
                }
                self.bind(built, Param::Text(provider.clone()));
            }
            built.sql.push(')');
        }
        if let Some(key) = &filter.dedupe_key {
            built.sql.push_str(" AND dedupe_key = ");
            self.bind(built, Param::Text(key.clone()));
        }
        if let Some(event_type) = &filter.event_type {
            built.sql.push_str(" AND event_type = ");
            self.bind(built, Param::Text(event_type.clone()));
        }
        if let Some(from) = filter.received_from {
            built.sql.push_str(" AND received_at >= ");
            self.bind(built, Param::Int(unix_ms::from_time(from)));
        }
        if let Some(before) = filter.received_before {
            built.sql.push_str(" AND received_at < ");
            self.bind(built, Param::Int(unix_ms::from_time(before)));
        }
    }

    /// How a page reads the table on SQLite: without hints its planner may pick a
    /// partial index for the state and then sort every row it holds by id (all the done
    /// rows, say) to return fifty; walking the table by id, or the outstanding rows'
    /// index (already in id order), stops after the page.
    fn page_source(self, filter: &DeliveryFilter) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => {
                if filter.dedupe_key.is_some() {
                    return "webhook_inbox";
                }
                match filter.state {
                    Some(State::Pending | State::Running | State::Failed) => {
                        "webhook_inbox INDEXED BY webhook_inbox_due"
                    }
                    // Dead letters are few next to the rest: their index, then a sort.
                    Some(State::Dead) => "webhook_inbox INDEXED BY webhook_inbox_dead",
                    Some(State::Done) | None => "webhook_inbox NOT INDEXED",
                }
            }
            // Postgres's planner walks the primary key by itself.
            #[cfg(feature = "postgres")]
            Self::Postgres => {
                let _ = filter;
                "webhook_inbox"
            }
        }
    }

    /// One page of `filter`'s rows, newest first, with ids below `before`.
    pub(crate) fn page(
        self,
        filter: &DeliveryFilter,
        providers: &[String],
        before: Option<i64>,
        limit: u32,
    ) -> Built {
        let mut built = Built::default();
        built
            .sql
            .push_str(concat!("SELECT ", crate::record::row_columns!(), " FROM "));
        built.sql.push_str(self.page_source(filter));
        self.where_clause(&mut built, filter, providers);
        if let Some(before) = before {
            built.sql.push_str(" AND id < ");
            self.bind(&mut built, Param::Int(before));
        }
        built.sql.push_str(" ORDER BY id DESC LIMIT ");
        self.bind(&mut built, Param::Int(i64::from(limit)));
        built
    }

    /// How many rows `filter` matches, and the newest one's id.
    pub(crate) fn count(self, filter: &DeliveryFilter, providers: &[String]) -> Built {
        let mut built = Built::default();
        built
            .sql
            .push_str("SELECT COUNT(*), MAX(id) FROM webhook_inbox");
        self.where_clause(&mut built, filter, providers);
        built
    }

    /// Replays up to [`REPLAY_CHUNK`] of `filter`'s rows that no worker holds, with ids
    /// at most `up_to` and below `below`, newest first; returns their ids.
    pub(crate) fn replay_chunk(
        self,
        filter: &DeliveryFilter,
        providers: &[String],
        up_to: i64,
        below: i64,
    ) -> Built {
        let mut built = Built::default();
        built.sql.push_str(
            "UPDATE webhook_inbox SET state = 'pending', attempts = 0, retry_at = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, \
             finished_at = NULL, updated_at = ",
        );
        built.sql.push_str(self.now());
        built.sql.push_str(" WHERE id IN (SELECT id FROM ");
        built.sql.push_str(self.page_source(filter));
        self.where_clause(&mut built, filter, providers);
        built.sql.push_str(" AND state <> 'running' AND id <= ");
        self.bind(&mut built, Param::Int(up_to));
        built.sql.push_str(" AND id < ");
        self.bind(&mut built, Param::Int(below));
        built.sql.push_str(" ORDER BY id DESC LIMIT ");
        self.bind(&mut built, Param::Int(REPLAY_CHUNK));
        built.sql.push_str(") RETURNING id");
        built
    }

    /// The outstanding rows' term of a statement, with the index hint SQLite needs to
    /// read them through their partial index.
    fn outstanding_source(self) -> &'static str {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => "webhook_inbox INDEXED BY webhook_inbox_due",
            #[cfg(feature = "postgres")]
            Self::Postgres => "webhook_inbox",
        }
    }

    /// Receipts per minute since $1 (epoch ms; bound four times), each part through an
    /// index of its rows: outstanding, done (finished after receipt), dead.
    pub(crate) fn received_per_minute(self) -> String {
        let p = |n: usize| self.placeholder(n);
        format!(
            "SELECT received_at / 60000 AS minute, COUNT(*) FROM (\
               SELECT received_at FROM {outstanding} \
                 WHERE state IN ('pending', 'running', 'failed') AND received_at >= {p1} \
               UNION ALL SELECT received_at FROM webhook_inbox \
                 WHERE state = 'done' AND finished_at >= {p2} AND received_at >= {p3} \
               UNION ALL SELECT received_at FROM webhook_inbox \
                 WHERE state = 'dead' AND received_at >= {p4}\
             ) AS recent GROUP BY received_at / 60000",
            outstanding = self.outstanding_source(),
            p1 = p(1),
            p2 = p(2),
            p3 = p(3),
            p4 = p(4),
        )
    }

    /// Failed attempts per minute since $1 (failed, dead or lost), through the
    /// attempts' index by end time.
    pub(crate) fn failed_per_minute(self) -> String {
        format!(
            "SELECT ended_at / 60000 AS minute, COUNT(*) FROM webhook_inbox_attempt \
               WHERE ended_at >= {p1} AND outcome IN ('failed', 'dead', 'lost') \
             GROUP BY ended_at / 60000",
            p1 = self.placeholder(1),
        )
    }

    /// Done rows per minute since $1 and bucket of [`SETTLE_BUCKETS_MS`] (receipt to
    /// done), through the done rows' index by finish time.
    pub(crate) fn done_per_minute(self) -> String {
        format!(
            "SELECT finished_at / 60000 AS minute, CAST({bucket} AS BIGINT) AS bucket, \
             COUNT(*) FROM webhook_inbox WHERE state = 'done' AND finished_at >= {p1} \
             GROUP BY minute, bucket",
            bucket = bucket_of("finished_at - received_at", 1),
            p1 = self.placeholder(1),
        )
    }

    /// Attempts per minute since $1 (bound twice) and bucket of [`SETTLE_BUCKETS_MS`]
    /// (the handler's run): the done rows' last attempts through their index by finish
    /// time, the other attempts through theirs by end time.
    pub(crate) fn handler_per_minute(self) -> String {
        format!(
            "SELECT at / 60000 AS minute, CAST({bucket} AS BIGINT) AS bucket, COUNT(*) FROM (\
               SELECT finished_at AS at, last_attempt_us AS us FROM webhook_inbox \
                 WHERE state = 'done' AND finished_at >= {p1} AND last_attempt_us IS NOT NULL \
               UNION ALL SELECT ended_at, duration_us FROM webhook_inbox_attempt \
                 WHERE ended_at >= {p2} AND duration_us IS NOT NULL\
             ) AS recent GROUP BY minute, bucket",
            bucket = bucket_of("us", 1000),
            p1 = self.placeholder(1),
            p2 = self.placeholder(2),
        )
    }

    /// When the oldest outstanding row was received.
    pub(crate) fn oldest_unhandled(self) -> String {
        format!(
            "SELECT MIN(received_at) FROM {} WHERE state IN ('pending', 'running', 'failed')",
            self.outstanding_source()
        )
    }

    /// Each provider once, in order (at most 100), by skipping through the
    /// `(provider, dedupe_key)` index from one provider to the next: as many index
    /// look-ups as providers, whatever the rows.
    pub(crate) fn providers(self) -> &'static str {
        "WITH RECURSIVE seen (provider, n) AS (\
           SELECT MIN(provider), 1 FROM webhook_inbox \
           UNION ALL SELECT (SELECT MIN(provider) FROM webhook_inbox \
             WHERE webhook_inbox.provider > seen.provider), n + 1 \
           FROM seen WHERE seen.provider IS NOT NULL AND n < 100\
         ) SELECT provider FROM seen WHERE provider IS NOT NULL"
    }

    /// The `n`th parameter (statements with numbered parameters in order only).
    fn placeholder(self, n: usize) -> String {
        match self {
            #[cfg(feature = "sqlite")]
            Self::Sqlite => {
                let _ = n;
                "?".to_owned()
            }
            #[cfg(feature = "postgres")]
            Self::Postgres => format!("${n}"),
        }
    }
}

/// The bucket of [`SETTLE_BUCKETS_MS`] that `value` falls in, as an SQL `CASE`, for a
/// value in units of `per_ms` to the millisecond.
fn bucket_of(value: &str, per_ms: u64) -> String {
    let mut bucket = String::from("CASE");
    for (at, bound) in SETTLE_BUCKETS_MS.iter().enumerate() {
        bucket.push_str(&format!(" WHEN {value} <= {} THEN {at}", bound * per_ms));
    }
    bucket.push_str(&format!(" ELSE {} END", SETTLE_BUCKETS_MS.len()));
    bucket
}

/// Dead letters per event type, most first: through the dead rows' index.
pub(crate) const DEAD_BY_EVENT_TYPE: &str = "SELECT event_type, COUNT(*) FROM webhook_inbox \
     WHERE state = 'dead' GROUP BY event_type ORDER BY COUNT(*) DESC, event_type LIMIT 50";

/// Done rows finished before $1 (what a purge would delete).
pub(crate) const COUNT_DONE_BEFORE: &str =
    "SELECT COUNT(*) FROM webhook_inbox WHERE state = 'done' AND finished_at < $1";

/// Implements the console's queries as inherent `console_*` methods of a backend's
/// inbox (called by its [`Admin`](crate::Admin) methods), over its pool `$pool` type
/// and `$dialect`; the statement bodies are the [`Dialect`]'s, the Rust around them
/// is this one. `$payload` reads a row's raw body as `body`.
macro_rules! console_queries {
    ($inbox:ty, $dialect:expr, $raw_body:expr) => {
        impl $inbox {
            pub(crate) async fn console_providers(
                &self,
            ) -> Result<Vec<String>, $crate::error::InboxError> {
                Ok(sqlx::query_scalar($dialect.providers())
                    .fetch_all(self.pool())
                    .await?)
            }

            /// The providers a search by dedupe key must look in (none when it names
            /// its provider or searches no key).
            async fn console_search_providers(
                &self,
                filter: &$crate::console_query::DeliveryFilter,
            ) -> Result<Vec<String>, $crate::error::InboxError> {
                if filter.dedupe_key_filter().is_some() && filter.provider_filter().is_none() {
                    self.console_providers().await
                } else {
                    Ok(Vec::new())
                }
            }

            pub(crate) async fn console_deliveries(
                &self,
                filter: $crate::console_query::DeliveryFilter,
                before: Option<i64>,
                limit: u32,
            ) -> Result<Vec<$crate::row::InboxRow>, $crate::error::InboxError> {
                let providers = self.console_search_providers(&filter).await?;
                let built = $dialect.page(&filter, &providers, before, limit);
                let mut query = sqlx::query_as::<_, $crate::record::RowRecord>(&built.sql);
                for param in built.params {
                    query = match param {
                        $crate::console_query::Param::Text(text) => query.bind(text),
                        $crate::console_query::Param::Int(int) => query.bind(int),
                    };
                }
                let records = query.fetch_all(self.pool()).await?;
                records
                    .into_iter()
                    .map($crate::row::InboxRow::try_from)
                    .collect()
            }

            pub(crate) async fn console_count(
                &self,
                filter: $crate::console_query::DeliveryFilter,
            ) -> Result<(u64, Option<i64>), $crate::error::InboxError> {
                let providers = self.console_search_providers(&filter).await?;
                let built = $dialect.count(&filter, &providers);
                let mut query = sqlx::query_as::<_, (i64, Option<i64>)>(&built.sql);
                for param in built.params {
                    query = match param {
                        $crate::console_query::Param::Text(text) => query.bind(text),
                        $crate::console_query::Param::Int(int) => query.bind(int),
                    };
                }
                let (count, newest) = query.fetch_one(self.pool()).await?;
                Ok((u64::try_from(count).unwrap_or(0), newest))
            }

            pub(crate) async fn console_replay_matching(
                &self,
                filter: $crate::console_query::DeliveryFilter,
                up_to: i64,
            ) -> Result<u64, $crate::error::InboxError> {
                let providers = self.console_search_providers(&filter).await?;
                let mut below = i64::MAX;
                let mut replayed = 0_u64;
                loop {
                    let built = $dialect.replay_chunk(&filter, &providers, up_to, below);
                    let mut query = sqlx::query_scalar::<_, i64>(&built.sql);
                    for param in built.params {
                        query = match param {
                            $crate::console_query::Param::Text(text) => query.bind(text),
                            $crate::console_query::Param::Int(int) => query.bind(int),
                        };
                    }
                    let ids = query.fetch_all(self.pool()).await?;
                    let Some(lowest) = ids.iter().min() else {
                        break;
                    };
                    below = *lowest;
                    replayed += ids.len() as u64;
                    crate::store::Store::wakeup(self.engine.store()).notify_waiters();
                }
                Ok(replayed)
            }

            pub(crate) async fn console_activity(
                &self,
                since: std::time::SystemTime,
            ) -> Result<$crate::console_query::Activity, $crate::error::InboxError> {
                let since_ms = $crate::unix_ms::from_time(since).div_euclid(60_000) * 60_000;
                let now_ms = $crate::unix_ms::from_time(std::time::SystemTime::now());
                let mut activity = $crate::console_query::Activity::empty(since_ms, now_ms);
                // Six statements, each through an index of its rows, run side by side.
                let received_sql = $dialect.received_per_minute();
                let failed_sql = $dialect.failed_per_minute();
                let done_sql = $dialect.done_per_minute();
                let handler_sql = $dialect.handler_per_minute();
                let oldest_sql = $dialect.oldest_unhandled();
                let handler = sqlx::query_as::<_, (i64, i64, i64)>(&handler_sql)
                    .bind(since_ms)
                    .bind(since_ms)
                    .fetch_all(self.pool());
                let ((received, failed, done, oldest, dead), handler) =
                    webhook_core::futures::future::try_join(
                        webhook_core::futures::future::try_join5(
                            sqlx::query_as::<_, (i64, i64)>(&received_sql)
                                .bind(since_ms)
                                .bind(since_ms)
                                .bind(since_ms)
                                .bind(since_ms)
                                .fetch_all(self.pool()),
                            sqlx::query_as::<_, (i64, i64)>(&failed_sql)
                                .bind(since_ms)
                                .fetch_all(self.pool()),
                            sqlx::query_as::<_, (i64, i64, i64)>(&done_sql)
                                .bind(since_ms)
                                .fetch_all(self.pool()),
                            sqlx::query_scalar::<_, Option<i64>>(&oldest_sql)
                                .fetch_one(self.pool()),
                            sqlx::query_as::<_, (String, i64)>(
                                $crate::console_query::DEAD_BY_EVENT_TYPE,
                            )
                            .fetch_all(self.pool()),
                        ),
                        handler,
                    )
                    .await?;
                for (minute, count) in received {
                    if let Some(entry) = activity.minute_mut(minute) {
                        entry.received += u64::try_from(count).unwrap_or(0);
                    }
                }
                for (minute, count) in failed {
                    if let Some(entry) = activity.minute_mut(minute) {
                        entry.failed += u64::try_from(count).unwrap_or(0);
                    }
                }
                for (minute, bucket, count) in handler {
                    let count = u64::try_from(count).unwrap_or(0);
                    activity.count_in(minute, |m| &mut m.handler_histogram, bucket, count);
                }
                for (minute, bucket, count) in done {
                    let count = u64::try_from(count).unwrap_or(0);
                    if let Some(entry) = activity.minute_mut(minute) {
                        entry.done += count;
                    }
                    activity.count_in(minute, |m| &mut m.settle_histogram, bucket, count);
                }
                activity.oldest_unhandled = oldest.map($crate::unix_ms::to_time);
                activity.dead_by_event_type = dead
                    .into_iter()
                    .map(|(event_type, count)| (event_type, u64::try_from(count).unwrap_or(0)))
                    .collect();
                Ok(activity)
            }

            pub(crate) async fn console_raw_body(
                &self,
                id: i64,
            ) -> Result<Option<bytes::Bytes>, $crate::error::InboxError> {
                let body: Option<Vec<u8>> = sqlx::query_scalar($raw_body)
                    .bind(id)
                    .fetch_optional(self.pool())
                    .await?;
                Ok(body.map(bytes::Bytes::from))
            }

            pub(crate) async fn console_count_done_before(
                &self,
                before: std::time::SystemTime,
            ) -> Result<u64, $crate::error::InboxError> {
                let count: i64 = sqlx::query_scalar($crate::console_query::COUNT_DONE_BEFORE)
                    .bind($crate::unix_ms::from_time(before))
                    .fetch_one(self.pool())
                    .await?;
                Ok(u64::try_from(count).unwrap_or(0))
            }
        }
    };
}

pub(crate) use console_queries;

/// The [`Admin`](crate::Admin) methods of the console, for inside `impl Admin for …`
/// of a type with the `console_*` methods of [`console_queries`].
macro_rules! admin_console_methods {
    () => {
        fn providers(
            &self,
        ) -> webhook_core::futures::future::BoxFuture<
            '_,
            Result<Vec<String>, $crate::error::InboxError>,
        > {
            Box::pin(self.console_providers())
        }

        fn deliveries(
            &self,
            filter: $crate::console_query::DeliveryFilter,
            before: Option<i64>,
            limit: u32,
        ) -> webhook_core::futures::future::BoxFuture<
            '_,
            Result<Vec<$crate::row::InboxRow>, $crate::error::InboxError>,
        > {
            Box::pin(self.console_deliveries(filter, before, limit))
        }

        fn count(
            &self,
            filter: $crate::console_query::DeliveryFilter,
        ) -> webhook_core::futures::future::BoxFuture<
            '_,
            Result<(u64, Option<i64>), $crate::error::InboxError>,
        > {
            Box::pin(self.console_count(filter))
        }

        fn replay_matching(
            &self,
            filter: $crate::console_query::DeliveryFilter,
            up_to: i64,
        ) -> webhook_core::futures::future::BoxFuture<'_, Result<u64, $crate::error::InboxError>> {
            Box::pin(self.console_replay_matching(filter, up_to))
        }

        fn activity(
            &self,
            since: std::time::SystemTime,
        ) -> webhook_core::futures::future::BoxFuture<
            '_,
            Result<$crate::console_query::Activity, $crate::error::InboxError>,
        > {
            Box::pin(self.console_activity(since))
        }

        fn raw_body(
            &self,
            id: i64,
        ) -> webhook_core::futures::future::BoxFuture<
            '_,
            Result<Option<bytes::Bytes>, $crate::error::InboxError>,
        > {
            Box::pin(self.console_raw_body(id))
        }

        fn count_done_before(
            &self,
            before: std::time::SystemTime,
        ) -> webhook_core::futures::future::BoxFuture<'_, Result<u64, $crate::error::InboxError>> {
            Box::pin(self.console_count_done_before(before))
        }
    };
}

pub(crate) use admin_console_methods;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activity_covers_every_minute_from_since_to_now() {
        let activity = Activity::empty(60_000 * 10 + 5, 60_000 * 12 + 59_999);
        assert_eq!(activity.minutes.len(), 3);
        assert_eq!(activity.since, unix_ms::to_time(600_000));
    }

    #[cfg(feature = "postgres")]
    #[test]
    fn postgres_parameters_are_numbered_in_the_order_they_are_bound() {
        let filter = DeliveryFilter::new()
            .provider("p")
            .dedupe_key("k")
            .state(State::Dead);
        let built = Dialect::Postgres.page(&filter, &[], Some(9), 50);
        assert!(built.sql.contains("provider = $1"), "{}", built.sql);
        assert!(built.sql.contains("dedupe_key = $2"), "{}", built.sql);
        assert!(built.sql.contains("id < $3"), "{}", built.sql);
        assert!(built.sql.ends_with("LIMIT $4"), "{}", built.sql);
        assert_eq!(built.params.len(), 4);
        assert!(built.sql.contains("state = 'dead'"));
    }
}
