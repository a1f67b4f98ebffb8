//! The statements both backends run, written once: SQLite and Postgres share the table,
//! the states and `$n` parameters, and differ only in their clock expression and in
//! how a claim locks its row.

/// Binds a stored row's thirteen upsert parameters ($1..$13 of `UPSERT`, in that order) to
/// `query`: the one place the column order is written for sqlx (Postgres; the SQLite
/// writer binds the same order in `bind_row`).
#[cfg(feature = "postgres")]
macro_rules! bind_upsert {
    ($query:expr, $row:expr) => {
        $query
            .bind(&$row.provider)
            .bind(&$row.dedupe_key)
            .bind(&$row.event_type)
            .bind(&$row.headers)
            .bind(&$row.body[..])
            .bind($row.data_start)
            .bind($row.data_end)
            .bind(&$row.data)
            .bind($row.received_at)
            // Stored pending, for any worker: state, attempts, lease owner, lease end.
            .bind("pending")
            .bind(0_i64)
            .bind(None::<&str>)
            .bind(None::<i64>)
    };
}

#[cfg(feature = "postgres")]
pub(crate) use bind_upsert;

/// The parameters an upsert binds per row (`bind_upsert`).
pub(crate) const UPSERT_PARAMS: usize = 13;

/// The statement for `rows` rows (1..=`most`) from `built`, where each size is built by
/// `build` the first time any is asked for: the multi-row statements are written once
/// per size and process, so that their text stays the same and they stay prepared.
pub(crate) fn for_rows(
    built: &'static std::sync::OnceLock<Vec<String>>,
    rows: usize,
    most: usize,
    build: impl Fn(usize) -> String,
) -> &'static str {
    &built.get_or_init(|| (1..=most).map(build).collect())[rows - 1]
}

/// `single` (a backend's `UPSERT`) for `rows` rows, returning the id and identity of each
/// row it stored (`id, provider, dedupe_key`). Row `r`'s `$n` is spelled
/// `parameter(r * UPSERT_PARAMS + n)`:
/// `$N` on Postgres; on SQLite an anonymous `?` (bound in order), since SQLite looks a
/// numbered parameter's name up by a linear search, which sqlx does for every parameter
/// of every execution, so hundreds of `?NNN` would cost quadratic time.
pub(crate) fn upsert_many(
    single: &str,
    rows: usize,
    parameter: impl Fn(usize) -> String,
) -> String {
    let values_at = single
        .find("VALUES (")
        .expect("the upsert has a VALUES list")
        + "VALUES ".len();
    let conflict_at = single
        .find(" ON CONFLICT")
        .expect("the upsert has ON CONFLICT");
    let returning_at = single
        .find("RETURNING id")
        .expect("the upsert returns the id");
    let tuple = &single[values_at..conflict_at];
    let mut statement = String::with_capacity(single.len() + rows * (tuple.len() + 16));
    statement.push_str(&single[..values_at]);
    for row in 0..rows {
        if row > 0 {
            statement.push_str(", ");
        }
        // `$1`..`$13` appear in order, once each, so anonymous parameters bind alike.
        let mut rest = tuple;
        let mut expected = 1;
        while let Some(at) = rest.find('$') {
            statement.push_str(&rest[..at]);
            let digits = rest[at + 1..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(rest.len() - at - 1, |end| end);
            let number: usize = rest[at + 1..at + 1 + digits]
                .parse()
                .expect("a numbered parameter");
            assert_eq!(number, expected, "the upsert's parameters appear in order");
            expected += 1;
            statement.push_str(&parameter(row * UPSERT_PARAMS + number));
            rest = &rest[at + 1 + digits..];
        }
        statement.push_str(rest);
    }
    statement.push_str(&single[conflict_at..returning_at]);
    statement.push_str("RETURNING id, provider, dedupe_key");
    statement
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
        /// owner per row, see [`crate::worker::row_owner`]): $1 claim owner, $2 lease
        /// (ms), $3 most rows. The rows come back in no particular order.
        pub(super) const CLAIM: &str = concat!(
            "UPDATE webhook_inbox SET state = 'running', attempts = attempts + 1, \
             lease_owner = $1 || '/' || CAST(id AS TEXT), \
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

        /// Marks a claimed row done: $1 id, $2 owner.
        pub(super) const DONE: &str = concat!(
            "UPDATE webhook_inbox SET state = 'done', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = NULL, last_error = NULL, finished_at = ", $now, ", updated_at = ", $now, " \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Schedules a claimed row's retry: $1 id, $2 owner, $3 delay (ms), $4 error.
        pub(super) const RETRY: &str = concat!(
            "UPDATE webhook_inbox SET state = 'failed', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = ", $now, " + $3, last_error = $4, updated_at = ", $now, " \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Dead-letters a claimed row: $1 id, $2 owner, $3 error.
        pub(super) const DEAD: &str = concat!(
            "UPDATE webhook_inbox SET state = 'dead', lease_owner = NULL, lease_expires_at = NULL, \
             retry_at = NULL, last_error = $3, finished_at = ", $now, ", updated_at = ", $now, " \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'"
        );

        /// Gives an instance's running rows back, uncounting the abandoned attempt:
        /// $1 owner pattern (`<instance>/%`).
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

        /// Stores a delivery, or revives its dead row; returns the id only then:
        /// $1 provider, $2 dedupe key, $3 event type, $4 headers, $5 body,
        /// $6 data start, $7 data end, $8 data, $9 received at (ms), and how it is
        /// stored: $10 state (`pending`, or `running` for a row handed straight to a
        /// claim), $11 attempts (0, or 1 when running), $12 lease owner and $13 lease
        /// end (ms; both NULL when pending).
        pub(super) const UPSERT: &str = concat!(
            "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, data_start, \
               data_end, data, received_at, state, attempts, lease_owner, lease_expires_at, \
               updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, ", $now, ") \
             ON CONFLICT (provider, dedupe_key) DO UPDATE SET state = excluded.state, \
               attempts = excluded.attempts, event_type = excluded.event_type, \
               headers = excluded.headers, body = excluded.body, \
               data_start = excluded.data_start, data_end = excluded.data_end, data = excluded.data, \
               received_at = excluded.received_at, retry_at = NULL, \
               lease_owner = excluded.lease_owner, lease_expires_at = excluded.lease_expires_at, \
               last_error = NULL, finished_at = NULL, updated_at = excluded.updated_at \
             WHERE webhook_inbox.state = 'dead' \
             RETURNING id"
        );

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
            "SELECT ", $crate::record::row_columns!(), ", ", $payload, " FROM webhook_inbox WHERE id = $1"
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
