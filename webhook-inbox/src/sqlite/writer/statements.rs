//! The writer's own statements: the multi-row upserts, done updates and body inserts of
//! each size, written from their parts with anonymous parameters (see
//! [`Parameters::Anonymous`]), a row's body read back, and how a row's upsert
//! parameters are bound.

use rusqlite::CachedStatement;

use super::hand_out::HandedLease;
use crate::group_commit::CHUNK;
use crate::multi_row::{BySize, Parameters, SqlText};
use crate::record::NewRow;
use crate::sqlite::sql;

/// The upserts of 1 to [`CHUNK`] rows (see [`crate::sql::statements!`]).
static UPSERTS: BySize = BySize::new(CHUNK, upsert_of);

fn upsert_of(rows: usize) -> String {
    sql::upsert(Parameters::Anonymous, rows)
}

/// The upsert of `rows` rows (1 to [`CHUNK`]), returning the id and identity of each row
/// it stored.
pub(super) fn upsert(rows: usize) -> &'static str {
    UPSERTS.get(rows)
}

/// The sizes a batch of done settles is padded to (by repeating its last pair, harmless
/// in an `IN` list), so that a few prepared statements serve every round; the largest
/// is a chunk.
pub(super) const DONE_SIZES: [usize; 4] = [1, 8, 32, 128];

/// The most done settles one statement records.
pub(super) const DONE_CHUNK: usize = DONE_SIZES[DONE_SIZES.len() - 1];

/// The done updates of 1 to [`DONE_CHUNK`] rows; only [`DONE_SIZES`] are run.
static DONES: BySize = BySize::new(DONE_CHUNK, done_of);

/// Marks the rows of `rows` `(id, owner, duration)` triples done: `(id, duration in
/// µs)` pairs, then the ids, then as many owners. Owners are unique per row (see
/// [`crate::lease`]), so `id IN (..) AND lease_owner IN (..)` matches exactly the pairs
/// asked for. Returns the ids it marked.
fn done_of(rows: usize) -> String {
    SqlText::new(Parameters::Anonymous)
        .push(sql::DONE_SET)
        .push(", last_attempt_us = CASE id")
        .cases(rows)
        .push(" END WHERE state = 'running' AND id IN (")
        .parameters(rows)
        .push(") AND lease_owner IN (")
        .parameters(rows)
        .push(") RETURNING id")
        .finish()
}

/// The done update for `rows` pairs, one of [`DONE_SIZES`].
pub(super) fn done(rows: usize) -> &'static str {
    DONES.get(rows)
}

/// The body inserts of 1 to [`CHUNK`] rows.
static BODIES: BySize = BySize::new(CHUNK, bodies_of);

/// Writes the headers and body of rows just stored (new, or a dead row revived: its old
/// body is replaced): `(id, headers, body)` per row.
fn bodies_of(rows: usize) -> String {
    SqlText::new(Parameters::Anonymous)
        .push("INSERT OR REPLACE INTO webhook_inbox_body (id, headers, body) VALUES ")
        .rows(rows, 3, "")
        .finish()
}

/// The body insert of `rows` rows (1 to [`CHUNK`]).
pub(super) fn bodies(rows: usize) -> &'static str {
    BODIES.get(rows)
}

/// The headers and body of a row the claim statement took: ?1 id.
pub(super) const BODY_OF_ROW: &str = "SELECT headers, body FROM webhook_inbox_body WHERE id = ?1";

/// Binds `row`'s upsert parameters (see [`crate::sql::UPSERT_PARAMS`], in that order;
/// Postgres binds the same order in its `bind_upsert!`) to the parameters after the
/// first `before`: pending, or running under `lease`; with empty headers and body,
/// which go to `webhook_inbox_body` ([`bodies`]).
pub(super) fn bind_row(
    statement: &mut CachedStatement<'_>,
    before: usize,
    row: &NewRow,
    lease: Option<&HandedLease>,
) -> rusqlite::Result<()> {
    statement.raw_bind_parameter(before + 1, &row.provider)?;
    statement.raw_bind_parameter(before + 2, &row.dedupe_key)?;
    statement.raw_bind_parameter(before + 3, &row.event_type)?;
    statement.raw_bind_parameter(before + 4, "")?;
    statement.raw_bind_parameter(before + 5, &b""[..])?;
    statement.raw_bind_parameter(before + 6, row.data_start)?;
    statement.raw_bind_parameter(before + 7, row.data_end)?;
    statement.raw_bind_parameter(before + 8, &row.data)?;
    statement.raw_bind_parameter(before + 9, row.received_at)?;
    let (state, attempts) = match lease {
        Some(_) => ("running", 1_i64),
        None => ("pending", 0_i64),
    };
    statement.raw_bind_parameter(before + 10, state)?;
    statement.raw_bind_parameter(before + 11, attempts)?;
    statement.raw_bind_parameter(before + 12, lease.map(|lease| lease.owner.as_str()))?;
    statement.raw_bind_parameter(before + 13, lease.map(|lease| lease.expires_at))
}
