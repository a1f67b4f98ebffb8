//! Storing a round's deliveries, each as `pending` or, with a lease from the hand-out,
//! `running`: as a few multi-row upserts when they all fit under the capacity, one by
//! one (each checked) near it; and their headers and bodies in `webhook_inbox_body`.

use rusqlite::{Connection, ToSql};

use super::hand_out::HandedLease;
use super::queue::SubmitJob;
use super::statements::{self, bind_row};
use crate::backlog::{Backlog, at_capacity};
use crate::group_commit::{CHUNK, Stored, SubmitResult};
use crate::record::NewRow;
use crate::sql::UPSERT_PARAMS;
use crate::sqlite::sql;

/// Stores `submits` (the `n`th under the `n`th of `leases`, if any) against `capacity`,
/// keeping `backlog` current: the answer to each, and the id of each row it stored.
pub(super) fn store_all(
    connection: &Connection,
    submits: &[SubmitJob],
    leases: &[Option<HandedLease>],
    backlog: &mut Backlog,
    capacity: u64,
) -> rusqlite::Result<Vec<(SubmitResult, Option<i64>)>> {
    let incoming = u64::try_from(submits.len()).unwrap_or(u64::MAX);
    if !backlog.has_room_for(incoming, capacity) {
        return submits
            .iter()
            .zip(leases)
            .map(|(job, lease)| store_one(connection, &job.row, lease.as_ref(), backlog, capacity))
            .collect();
    }
    let mut answers = Vec::with_capacity(submits.len());
    for (chunk, leases) in submits.chunks(CHUNK).zip(leases.chunks(CHUNK)) {
        answers.extend(store_chunk(connection, chunk, leases, backlog)?);
    }
    Ok(answers)
}

/// Stores up to a [`CHUNK`] of deliveries with one upsert. A key of an earlier chunk is
/// live by now, so answering chunk by chunk answers as the whole round would.
fn store_chunk(
    connection: &Connection,
    chunk: &[SubmitJob],
    leases: &[Option<HandedLease>],
    backlog: &mut Backlog,
) -> rusqlite::Result<Vec<(SubmitResult, Option<i64>)>> {
    let mut upsert = connection.prepare_cached(statements::upsert(chunk.len()))?;
    for (at, (job, lease)) in chunk.iter().zip(leases).enumerate() {
        bind_row(&mut upsert, at * UPSERT_PARAMS, &job.row, lease.as_ref())?;
    }
    // The rows this upsert stored (new, or dead and revived).
    let mut stored = Stored::new(chunk.iter().map(|job| &job.row));
    let mut rows = upsert.raw_query();
    while let Some(row) = rows.next()? {
        stored.record(
            row.get_ref(1)?.as_str()?,
            row.get_ref(2)?.as_str()?,
            row.get(0)?,
        );
    }
    drop(rows);
    let answers = stored.answers();
    // Each stored row's body is that of the submit that stored it.
    let bodies: Vec<(i64, &NewRow)> = answers
        .iter()
        .zip(chunk)
        .filter_map(|((_, id), job)| id.map(|id| (id, &job.row)))
        .collect();
    store_bodies(connection, &bodies)?;
    backlog.add(bodies.len() as u64);
    Ok(answers)
}

/// Stores one delivery unless it is a live duplicate or the inbox is full; with the id
/// of the row it stored.
fn store_one(
    connection: &Connection,
    row: &NewRow,
    lease: Option<&HandedLease>,
    backlog: &mut Backlog,
    capacity: u64,
) -> rusqlite::Result<(SubmitResult, Option<i64>)> {
    if backlog.is_full(capacity) {
        let mut state_of = connection.prepare_cached(sql::STATE_OF_EVENT)?;
        let mut states =
            state_of.query(&[("$1", &row.provider as &dyn ToSql), ("$2", &row.dedupe_key)])?;
        let state: Option<String> = match states.next()? {
            Some(found) => Some(found.get(0)?),
            None => None,
        };
        return Ok((at_capacity(state.as_deref()), None));
    }
    let mut upsert = connection.prepare_cached(statements::upsert(1))?;
    bind_row(&mut upsert, 0, row, lease)?;
    // The upsert returns the id only when it stored the row (new, or a dead one
    // revived); a live duplicate leaves the row as it is.
    let stored: Option<i64> = match upsert.raw_query().next()? {
        Some(found) => Some(found.get(0)?),
        None => None,
    };
    Ok(match stored {
        Some(id) => {
            store_bodies(connection, &[(id, row)])?;
            backlog.add(1);
            (Ok(webhook_core::Submitted::Accepted), Some(id))
        }
        None => (Ok(webhook_core::Submitted::Duplicate), None),
    })
}

/// Writes the headers and body of each row `(id, row)` just stored.
fn store_bodies(connection: &Connection, rows: &[(i64, &NewRow)]) -> rusqlite::Result<()> {
    for chunk in rows.chunks(CHUNK) {
        let mut insert = connection.prepare_cached(statements::bodies(chunk.len()))?;
        for (at, (id, row)) in chunk.iter().enumerate() {
            insert.raw_bind_parameter(at * 3 + 1, id)?;
            insert.raw_bind_parameter(at * 3 + 2, &row.headers)?;
            insert.raw_bind_parameter(at * 3 + 3, &row.body[..])?;
        }
        insert.raw_execute()?;
    }
    Ok(())
}
