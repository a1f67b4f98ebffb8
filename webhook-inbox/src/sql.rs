//! The statements both backends run, written once: SQLite and Postgres share the table,
//! the states and `$n` parameters, and differ only in their clock expression, in how a
//! claim reads and locks its rows, and in where a row's headers and body are. A
//! statement for many rows is written here in its parts (the text before its rows, what
//! each row's values end with, the text after) and put together by
//! [`crate::multi_row`].

use crate::multi_row::{Parameters, SqlText};

/// The parameters an upsert binds per row: provider, dedupe key, event type, headers,
/// body, data start, data end, data, received at (ms), and how the row is stored: state
/// (`pending`, or `running` for a row handed straight to a claim), attempts (0, or 1
/// when running), lease owner and lease end (ms; both NULL when pending).
pub(crate) const UPSERT_PARAMS: usize = 13;

/// The update that marks a claimed row done, up to its `WHERE`, for a backend whose
/// clock is `$now`: [`statements!`]'s `DONE` and the backends' statements that mark
/// many rows done at once share it.
macro_rules! done_set {
    ($now:literal) => {
        concat!(
            "UPDATE webhook_inbox SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = NULL, last_error = NULL, finished_at = ",
            $now,
            ", updated_at = ",
            $now
        )
    };
}

pub(crate) use done_set;

/// The upsert of `rows` rows from a backend's parts (see [`statements!`]), with its
/// parameters written as `parameters` says; it returns the id and identity of each row
/// it stored (`id, provider, dedupe_key`).
pub(crate) fn upsert(
    parameters: Parameters,
    rows: usize,
    into: &str,
    row_end: &str,
    on_conflict: &str,
) -> String {
    SqlText::new(parameters)
        .push(into)
        .rows(rows, UPSERT_PARAMS, row_end)
        .push(on_conflict)
        .finish()
}

/// Defines every statement as a `const` for a backend whose current time in epoch
/// milliseconds is the SQL expression `$now`, whose claim subquery reads the table as
/// `$claim_from` (SQLite: through the outstanding rows' index, which its planner would
/// otherwise pass over for the state index and then sort the whole backlog on every
/// claim) and ends with `$lock` (Postgres: `FOR UPDATE SKIP LOCKED`), and which reads a
/// row's headers and body as the columns `$payload` (named `headers` and `body`; SQLite
/// keeps them in a table of their own, see its schema).
macro_rules! statements {
    ($now:literal, $claim_from:literal, $lock:literal, $payload:literal) => {
        /// Claims up to $3 of the oldest due rows, each leased to `<$1>/<its id>` (an
        /// owner per row, see [`crate::lease`]): $1 claim name, $2 lease (ms), $3 most
        /// rows. The rows come back in no particular order.
        pub(super) const CLAIM: &str = concat!(
            "UPDATE webhook_inbox SET state = 'running', attempts = attempts + 1, \
             lease_owner = ", $crate::lease::row_owner_sql!("$1"), ", \
             lease_expires_at = ", $now, " + $2, updated_at = ", $now, " \
             WHERE id IN (SELECT id FROM ", $claim_from, " \
               WHERE state IN ('pending', 'running', 'failed') \
                 AND (state = 'pending' \
                   OR (state = 'failed' AND retry_at <= ", $now, ") \
                   OR (state = 'running' AND lease_expires_at < ", $now, ")) \
               ORDER BY id LIMIT $3", $lock, ") \
             RETURNING ", $crate::record::delivery_columns!()
        );

        /// Extends a lease: $1 id, $2 owner, $3 lease (ms).
        pub(super) const EXTEND: &str = concat!(
            "UPDATE webhook_inbox SET lease_expires_at = ", $now, " + $3, updated_at = ", $now, " \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Marks claimed rows done, up to the `WHERE` that picks them (see
        /// [`crate::sql::done_set`]).
        pub(super) const DONE_SET: &str = $crate::sql::done_set!($now);

        /// Marks a claimed row done: $1 id, $2 owner, $3 the attempt's duration (µs).
        pub(super) const DONE: &str = concat!(
            $crate::sql::done_set!($now),
            ", last_attempt_us = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Schedules a claimed row's retry: $1 id, $2 owner, $3 delay (ms), $4 error,
        /// $5 the attempt's duration (µs). (The schema's trigger adds the attempt to
        /// `webhook_inbox_attempt`.)
        pub(super) const RETRY: &str = concat!(
            "UPDATE webhook_inbox SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = ", $now, " + $3, last_error = $4, last_attempt_us = $5, updated_at = ", $now, " \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Dead-letters a claimed row: $1 id, $2 owner, $3 error, $4 the attempt's
        /// duration (µs). (The schema's trigger adds the attempt to
        /// `webhook_inbox_attempt`.)
        pub(super) const DEAD: &str = concat!(
            "UPDATE webhook_inbox SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = NULL, last_error = $3, last_attempt_us = $4, finished_at = ", $now, ", \
             updated_at = ", $now, " WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Gives an instance's running rows back, uncounting the abandoned attempt:
        /// $1 owner pattern (see [`crate::lease::Instance::released`]).
        pub(super) const RELEASE: &str = concat!(
            "UPDATE webhook_inbox SET state = 'pending', lease_owner = NULL, lease_expires_at = NULL, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, updated_at = ", $now, " \
             WHERE state = 'running' AND lease_owner LIKE $1"
        );

        /// Deletes done rows past the retention: $1 retention (ms).
        pub(super) const PRUNE: &str = concat!(
            "DELETE FROM webhook_inbox WHERE state = 'done' AND finished_at < ", $now, " - $1"
        );

        /// Counts the rows still to be handled.
        pub(super) const OUTSTANDING: &str =
            "SELECT COUNT(*) FROM webhook_inbox WHERE state IN ('pending', 'running', 'failed')";

        /// The state of an event: $1 provider, $2 dedupe key.
        pub(super) const STATE_OF_EVENT: &str =
            "SELECT state FROM webhook_inbox WHERE provider = $1 AND dedupe_key = $2";

        /// The upsert, up to its rows' values: it stores deliveries, or revives their
        /// dead rows (the values of each row are its [`crate::sql::UPSERT_PARAMS`]
        /// parameters, then [`UPSERT_ROW_END`]).
        pub(super) const UPSERT_INTO: &str =
            "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, \
               data_start, data_end, data, received_at, state, attempts, lease_owner, \
               lease_expires_at, updated_at) \
             VALUES ";

        /// What each row's values end with: the time it is stored.
        pub(super) const UPSERT_ROW_END: &str = concat!(", ", $now);

        /// The upsert after its rows: an event already stored is left as it is unless it
        /// is dead, which revives it; each row stored (new or revived) is returned.
        pub(super) const UPSERT_ON_CONFLICT: &str =
            " ON CONFLICT (provider, dedupe_key) DO UPDATE SET state = excluded.state, \
               attempts = excluded.attempts, event_type = excluded.event_type, \
               headers = excluded.headers, body = excluded.body, \
               data_start = excluded.data_start, data_end = excluded.data_end, data = excluded.data, \
               received_at = excluded.received_at, retry_at = NULL, \
               lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at, \
               last_error = NULL, finished_at = NULL, updated_at = excluded.updated_at \
             WHERE webhook_inbox.state = 'dead' \
             RETURNING id, provider, dedupe_key";

        /// The upsert of `rows` rows, its parameters written as `parameters` says.
        pub(super) fn upsert(parameters: $crate::multi_row::Parameters, rows: usize) -> String {
            $crate::sql::upsert(parameters, rows, UPSERT_INTO, UPSERT_ROW_END, UPSERT_ON_CONFLICT)
        }

        /// Counts rows by state, each part through an index that holds just its rows
        /// (SQLite keeps no index over every row's state, see its schema).
        pub(super) const STATS: &str = "\
            SELECT state, COUNT(*) FROM webhook_inbox \
              WHERE state IN ('pending', 'running', 'failed') GROUP BY state \
            UNION ALL SELECT 'done', COUNT(*) FROM webhook_inbox WHERE state = 'done' \
            UNION ALL SELECT 'dead', COUNT(*) FROM webhook_inbox WHERE state = 'dead'";

        /// Lists rows newest first: $1 state or NULL, $2 event type or NULL, $3 limit.
        pub(super) const LIST: &str = concat!(
            "SELECT ", $crate::record::row_columns!(), " FROM webhook_inbox \
             WHERE (CAST($1 AS TEXT) IS NULL OR state = $1) \
               AND (CAST($2 AS TEXT) IS NULL OR event_type = $2) \
             ORDER BY id DESC LIMIT $3"
        );

        /// One row in full: $1 id.
        pub(super) const GET: &str = concat!(
            "SELECT ", $crate::record::row_columns!(), ", last_attempt_us, ", $payload,
            " FROM webhook_inbox WHERE id = $1"
        );

        /// The state of a row: $1 id.
        pub(super) const STATE_OF_ROW: &str = "SELECT state FROM webhook_inbox WHERE id = $1";

        /// Replays a row that no worker holds: $1 id.
        pub(super) const REPLAY: &str = concat!(
            "UPDATE webhook_inbox SET state = 'pending', attempts = 0, retry_at = NULL, \
             lease_owner = NULL, lease_expires_at = NULL, last_error = NULL, finished_at = NULL, \
             updated_at = ", $now, " WHERE id = $1 AND state <> 'running'"
        );

        /// Replays dead rows: $1 event type or NULL.
        pub(super) const REPLAY_DEAD: &str = concat!(
            "UPDATE webhook_inbox SET state = 'pending', attempts = 0, retry_at = NULL, \
             last_error = NULL, finished_at = NULL, updated_at = ", $now, " \
             WHERE state = 'dead' AND (CAST($1 AS TEXT) IS NULL OR event_type = $1)"
        );

        /// Deletes done rows finished before a time: $1 time (ms).
        pub(super) const PURGE_DONE: &str =
            "DELETE FROM webhook_inbox WHERE state = 'done' AND finished_at < $1";
    };
}

pub(crate) use statements;

#[cfg(all(test, feature = "postgres"))]
mod tests {
    use super::*;

    #[test]
    fn a_multi_row_upsert_has_a_list_of_values_per_row_between_its_parts() {
        let upsert = upsert(
            Parameters::Numbered,
            2,
            "INSERT INTO t VALUES ",
            ", now()",
            " ON CONFLICT DO NOTHING",
        );
        let first: Vec<String> = (1..=13).map(|n| format!("${n}")).collect();
        let second: Vec<String> = (14..=26).map(|n| format!("${n}")).collect();
        assert_eq!(
            upsert,
            format!(
                "INSERT INTO t VALUES ({}, now()), ({}, now()) ON CONFLICT DO NOTHING",
                first.join(", "),
                second.join(", ")
            )
        );
    }
}
