//! The Postgres side's own statements: the multi-row upserts of each size (numbered
//! parameters), the update that marks many rows done, and how a row's upsert
//! parameters are bound.

use std::sync::LazyLock;

use super::sql;
use crate::group_commit::CHUNK;
use crate::multi_row::{BySize, Parameters};

/// Binds a stored row's upsert parameters (see [`crate::sql::UPSERT_PARAMS`], in that
/// order; the SQLite writer binds the same order in its `bind_row`) to `query`: stored
/// pending, for any worker.
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
            // State, attempts, lease owner, lease end.
            .bind("pending")
            .bind(0_i64)
            .bind(None::<&str>)
            .bind(None::<i64>)
    };
}

pub(super) use bind_upsert;

/// The upserts of 1 to [`CHUNK`] rows (see [`crate::sql::statements!`]).
static UPSERTS: BySize = BySize::new(CHUNK, upsert_of);

fn upsert_of(rows: usize) -> String {
    sql::upsert(Parameters::Numbered, rows)
}

/// The upsert of `rows` rows (1 to [`CHUNK`]), returning the id and identity of each row
/// it stored.
pub(super) fn upsert(rows: usize) -> &'static str {
    UPSERTS.get(rows)
}

/// Marks claimed rows done: $1 their ids, $2 their owners and $3 their attempts'
/// durations (µs), as arrays, so that the rows are found through the primary key
/// (`id = ANY`). Owners are unique per row (see [`crate::lease`]), so the two arrays
/// match exactly the pairs asked for. Returns the ids it marked.
pub(super) static DONE_ALL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "{}, last_attempt_us = ($3::BIGINT[])[array_position($1::BIGINT[], id)] \
         WHERE state = 'running' AND id = ANY($1) AND lease_owner = ANY($2) RETURNING id",
        sql::DONE_SET
    )
});
