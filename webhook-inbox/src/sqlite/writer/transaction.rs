//! The transaction that runs a round: one `BEGIN IMMEDIATE`, then one function per kind
//! of job in the round's order (settles, extensions, claims, deliveries), then the
//! `COMMIT`. Any database error rolls the whole round back, so nobody is answered `Ok`
//! for a change that is not committed.

use std::collections::HashSet;

use rusqlite::{Connection, ToSql, TransactionBehavior};

use super::hand_out::{HandedLease, Room, hand_out};
use super::queue::{ClaimJob, ExtendJob, SettleJob, SubmitJob};
use super::round::{Replies, Round};
use super::statements::{self, BODY_OF_ROW, DONE_CHUNK, DONE_SIZES};
use super::storing::store_all;
use crate::backlog::Backlog;
use crate::group_commit::SubmitResult;
use crate::lease::{Claim, Outcome, Settle};
use crate::record::DeliveryRecord;
use crate::sqlite::sql;
use crate::store::Claimed;
use crate::unix_ms;

/// Runs `round` in one transaction, with the backlog as `backlog` knows it (counted
/// first when its count is due) against `capacity`; the backlog as the round leaves it
/// once committed.
pub(super) fn commit(
    connection: &mut Connection,
    round: &mut Round,
    backlog: &mut Backlog,
    capacity: u64,
) -> rusqlite::Result<Replies> {
    let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let incoming = u64::try_from(round.submits.len()).unwrap_or(u64::MAX);
    if incoming > 0 && backlog.count_due(incoming, capacity) {
        // Counted before this round changes anything.
        backlog.counted(count_outstanding(&tx)?);
    }
    let mut after = backlog.clone();
    let settled = settle_all(&tx, &round.settles, &mut after)?;
    let extended = round
        .extends
        .iter()
        .map(|job| extend(&tx, job))
        .collect::<rusqlite::Result<_>>()?;
    let (mut claimed, mut rooms) = claim_all(&tx, &round.claims)?;
    let leases = hand_out(&mut rooms, round.submits.len());
    let stored = store_all(&tx, &round.submits, &leases, &mut after, capacity)?;
    let stored = hand_over(&mut round.submits, stored, leases, &mut claimed);
    tx.commit()?;
    *backlog = after;
    Ok(Replies {
        settled,
        extended,
        claimed,
        stored,
    })
}

fn count_outstanding(connection: &Connection) -> rusqlite::Result<u64> {
    let count: i64 = connection
        .prepare_cached(sql::OUTSTANDING)?
        .query_row([], |row| row.get(0))?;
    Ok(u64::try_from(count).unwrap_or(0))
}

/// Records the round's settles: the `done` ones together, the others one by one. A row
/// settled done or dead leaves the backlog.
fn settle_all(
    connection: &Connection,
    jobs: &[SettleJob],
    backlog: &mut Backlog,
) -> rusqlite::Result<Vec<bool>> {
    let done: Vec<&Settle> = jobs
        .iter()
        .map(|job| &job.settle)
        .filter(|settle| settle.is_done())
        .collect();
    let done_changed = done_all(connection, &done)?;
    backlog.remove(done_changed.iter().filter(|changed| **changed).count() as u64);
    let mut done_changed = done_changed.into_iter();
    let mut settled = Vec::with_capacity(jobs.len());
    for job in jobs {
        settled.push(match job.settle.outcome {
            Outcome::Done => done_changed.next().unwrap_or(false),
            Outcome::Retry { .. } => settle(connection, &job.settle)?,
            Outcome::Dead(_) => {
                let changed = settle(connection, &job.settle)?;
                backlog.remove(u64::from(changed));
                changed
            }
        });
    }
    Ok(settled)
}

/// Records one settle; false when its owner no longer holds the row.
fn settle(connection: &Connection, settle: &Settle) -> rusqlite::Result<bool> {
    let (id, owner): (&dyn ToSql, &dyn ToSql) = (&settle.id, &settle.owner);
    let took = settle.took_us();
    let changed = match &settle.outcome {
        Outcome::Done => connection.prepare_cached(sql::DONE)?.execute(&[
            ("$1", id),
            ("$2", owner),
            ("$3", &took),
        ])?,
        Outcome::Retry { after, error } => connection.prepare_cached(sql::RETRY)?.execute(&[
            ("$1", id),
            ("$2", owner),
            ("$3", &unix_ms::from_duration(*after)),
            ("$4", error),
            ("$5", &took),
        ])?,
        Outcome::Dead(error) => connection.prepare_cached(sql::DEAD)?.execute(&[
            ("$1", id),
            ("$2", owner),
            ("$3", error),
            ("$4", &took),
        ])?,
    };
    Ok(changed == 1)
}

/// Marks claimed rows done, a few statements for the lot; each answer says whether
/// that claim still held its row. Two settles of one row (one of them fenced out) are
/// told apart only one at a time, so such a round records each on its own.
fn done_all(connection: &Connection, settles: &[&Settle]) -> rusqlite::Result<Vec<bool>> {
    let distinct: HashSet<i64> = settles.iter().map(|settle| settle.id).collect();
    if distinct.len() < settles.len() {
        return settles
            .iter()
            .map(|done| settle(connection, done))
            .collect();
    }
    let mut changed = HashSet::with_capacity(settles.len());
    for chunk in settles.chunks(DONE_CHUNK) {
        let size = DONE_SIZES
            .into_iter()
            .find(|size| *size >= chunk.len())
            .unwrap_or(DONE_CHUNK);
        let padded = || {
            chunk
                .iter()
                .chain(std::iter::repeat(&chunk[chunk.len() - 1]))
                .take(size)
        };
        let mut done = connection.prepare_cached(statements::done(size))?;
        // `(id, duration)` pairs, then the ids, then as many owners, in order
        // (anonymous parameters; see `statements::done`).
        for (at, settle) in padded().enumerate() {
            done.raw_bind_parameter(2 * at + 1, settle.id)?;
            done.raw_bind_parameter(2 * at + 2, settle.took_us())?;
            done.raw_bind_parameter(2 * size + at + 1, settle.id)?;
            done.raw_bind_parameter(3 * size + at + 1, &settle.owner)?;
        }
        let mut rows = done.raw_query();
        while let Some(row) = rows.next()? {
            changed.insert(row.get::<_, i64>(0)?);
        }
    }
    Ok(settles
        .iter()
        .map(|settle| changed.contains(&settle.id))
        .collect())
}

/// Extends a lease; false when its owner no longer holds the row.
fn extend(connection: &Connection, job: &ExtendJob) -> rusqlite::Result<bool> {
    let changed = connection.prepare_cached(sql::EXTEND)?.execute(&[
        ("$1", &job.id as &dyn ToSql),
        ("$2", &job.owner),
        ("$3", &unix_ms::from_duration(job.lease)),
    ])?;
    Ok(changed == 1)
}

/// Runs each claim statement: the rows each claim took, oldest due first, and the room
/// of every claim that could take more.
fn claim_all(
    connection: &Connection,
    jobs: &[ClaimJob],
) -> rusqlite::Result<(Vec<Vec<Claimed>>, Vec<Room>)> {
    let mut claimed = Vec::with_capacity(jobs.len());
    let mut rooms = Vec::new();
    for (at, job) in jobs.iter().enumerate() {
        let rows = claim(connection, &job.claim)?;
        if rows.len() < job.claim.limit {
            rooms.push(Room {
                claim_at: at,
                left: job.claim.limit - rows.len(),
                claim: job.claim.clone(),
                handed: 0,
            });
        }
        claimed.push(rows);
    }
    Ok((claimed, rooms))
}

/// The rows the claim statement took for `claim`, each with its delivery rebuilt.
fn claim(connection: &Connection, claim: &Claim) -> rusqlite::Result<Vec<Claimed>> {
    let mut statement = connection.prepare_cached(sql::CLAIM)?;
    let records: Vec<DeliveryRecord> = statement
        .query_map(
            &[
                ("$1", &claim.name as &dyn ToSql),
                ("$2", &unix_ms::from_duration(claim.lease)),
                ("$3", &i64::try_from(claim.limit).unwrap_or(i64::MAX)),
            ],
            DeliveryRecord::from_sqlite,
        )?
        .collect::<rusqlite::Result<_>>()?;
    records
        .into_iter()
        .map(|record| Ok(with_body(connection, record)?.claimed(&claim.name)))
        .collect()
}

/// Reads the stored headers and body of a row the claim statement took (rows stored
/// before `webhook_inbox_body` existed have theirs inline, and keep them).
fn with_body(
    connection: &Connection,
    mut record: DeliveryRecord,
) -> rusqlite::Result<DeliveryRecord> {
    let mut read = connection.prepare_cached(BODY_OF_ROW)?;
    let mut found = read.query([record.id])?;
    if let Some(stored) = found.next()? {
        record.set_payload(stored.get(0)?, stored.get(1)?);
    }
    Ok(record)
}

/// Hands each new row stored under a lease to its claim, with the delivery itself;
/// the answer to each submit.
fn hand_over(
    submits: &mut [SubmitJob],
    stored: Vec<(SubmitResult, Option<i64>)>,
    leases: Vec<Option<HandedLease>>,
    claimed: &mut [Vec<Claimed>],
) -> Vec<SubmitResult> {
    let mut answers = Vec::with_capacity(stored.len());
    for ((job, (answer, id)), lease) in submits.iter_mut().zip(stored).zip(leases) {
        // A lease the submit did not use (a duplicate's) is left unused.
        if let (Some(id), Some(lease)) = (id, lease) {
            if let Some(delivery) = job.delivery.take() {
                claimed[lease.claim_at].push(Claimed {
                    id,
                    owner: lease.owner,
                    attempts: 1,
                    delivery: Ok(delivery),
                });
            }
        }
        answers.push(answer);
    }
    answers
}

#[cfg(test)]
mod tests {
    use std::time::SystemTime;

    use webhook_core::Submitted;

    use super::super::round::Round;
    use super::super::test_jobs::{claim, submit, writer_on_new_file};
    use super::commit;
    use crate::backlog::Backlog;
    use crate::sqlite::writer::COUNT_RULE;
    use crate::unix_ms;

    /// A row as the test reads it back: key, state, attempts, lease owner, lease end.
    type StoredRow = (String, String, i64, Option<String>, Option<i64>);

    const CAPACITY: u64 = 1_000;

    /// A round's claims take the oldest due rows first; the room they have left takes
    /// the round's new rows as they are stored (running, leased to the claim, handed
    /// over with the delivery itself); the rest are stored pending. A duplicate in the
    /// same round is answered as one and handed to nobody.
    #[test]
    fn a_claim_takes_older_due_rows_first_then_the_rounds_new_rows_as_they_are_stored() {
        let (_dir, mut connection) = writer_on_new_file();
        let mut backlog = Backlog::new(COUNT_RULE);
        let mut first = Round::of([submit("ch_old")]);
        commit(&mut connection, &mut first, &mut backlog, CAPACITY).expect("round 1 commits");

        let mut round = Round::of([
            claim("inst/7", 4),
            submit("ch_new1"),
            submit("ch_new1"),
            submit("ch_new2"),
            submit("ch_new3"),
        ]);
        let replies =
            commit(&mut connection, &mut round, &mut backlog, CAPACITY).expect("round 2 commits");
        let claimed = &replies.claimed[0];
        let taken: Vec<(String, String, i64)> = claimed
            .iter()
            .map(|row| {
                let delivery = row.delivery.as_ref().expect("the delivery is there");
                (
                    delivery.envelope().dedupe_key().to_owned(),
                    row.owner.clone(),
                    row.attempts,
                )
            })
            .collect();
        let old_id = claimed[0].id;
        let old_body = claimed[0]
            .delivery
            .as_ref()
            .map(|delivery| delivery.body().clone());
        assert_eq!(
            old_body.ok().as_deref(),
            Some(&br#"{"event":"charge.succeeded","payload":{"id":"ch_old"}}"#[..]),
            "a row claimed from the table gets its body back from webhook_inbox_body"
        );
        assert_eq!(
            taken,
            [
                ("ch_old".to_owned(), format!("inst/7/{old_id}"), 1),
                ("ch_new1".to_owned(), "inst/7/new1".to_owned(), 1),
                ("ch_new2".to_owned(), "inst/7/new3".to_owned(), 1),
            ],
            "the duplicate took the room of a lease it did not use (new2); ch_new3 found none"
        );
        let answers: Vec<Option<Submitted>> = replies
            .stored
            .iter()
            .map(|answer| answer.as_ref().ok().copied())
            .collect();
        assert_eq!(
            answers,
            [
                Some(Submitted::Accepted),
                Some(Submitted::Duplicate),
                Some(Submitted::Accepted),
                Some(Submitted::Accepted)
            ]
        );

        let stored: Vec<StoredRow> = connection
            .prepare(
                "SELECT dedupe_key, state, attempts, lease_owner, lease_expires_at \
                 FROM webhook_inbox ORDER BY id",
            )
            .unwrap()
            .query_map([], |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let now = unix_ms::from_time(SystemTime::now());
        let leased = |at: usize| stored[at].4.is_some_and(|end| end > now + 20_000);
        assert!(leased(0) && leased(1) && leased(2), "{stored:?}");
        let states: Vec<(&str, &str, i64, Option<&str>)> = stored
            .iter()
            .map(|(key, state, attempts, owner, _)| {
                (key.as_str(), state.as_str(), *attempts, owner.as_deref())
            })
            .collect();
        assert_eq!(
            states,
            [
                (
                    "ch_old",
                    "running",
                    1,
                    Some(format!("inst/7/{old_id}").as_str())
                ),
                ("ch_new1", "running", 1, Some("inst/7/new1")),
                ("ch_new2", "running", 1, Some("inst/7/new3")),
                ("ch_new3", "pending", 0, None),
            ]
        );
        assert_eq!(
            backlog.rows(),
            4,
            "the backlog counts handed rows as outstanding"
        );
    }

    /// Bodies live in `webhook_inbox_body`, written once; a row stored before that table
    /// existed (its body inline) is still claimed with its body; deleting a row deletes
    /// its body.
    #[test]
    fn bodies_are_stored_apart_and_inline_bodies_of_older_rows_still_restore() {
        let (_dir, mut connection) = writer_on_new_file();
        let mut backlog = Backlog::new(COUNT_RULE);
        let mut first = Round::of([submit("ch_new")]);
        commit(&mut connection, &mut first, &mut backlog, CAPACITY).expect("a round commits");
        let (inline, apart): (Vec<u8>, Vec<u8>) = connection
            .query_row(
                "SELECT webhook_inbox.body, webhook_inbox_body.body FROM webhook_inbox \
                 JOIN webhook_inbox_body USING (id) WHERE dedupe_key = 'ch_new'",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("the row and its body");
        assert_eq!(
            (inline.len(), apart.as_slice()),
            (
                0,
                &br#"{"event":"charge.succeeded","payload":{"id":"ch_new"}}"#[..]
            )
        );

        let older = br#"{"event":"charge.succeeded","payload":{"id":"ch_older"}}"#;
        connection
            .execute(
                "INSERT INTO webhook_inbox (provider, dedupe_key, event_type, headers, body, \
                   data_start, data_end, received_at, updated_at) \
                 VALUES ('modem-pay', 'ch_older', 'charge.succeeded', '[[\"x-a\",\"1\"]]', ?1, \
                   41, 56, 0, 0)",
                [&older[..]],
            )
            .expect("a row in the old layout");
        let mut round = Round::of([claim("inst/8", 2)]);
        let replies =
            commit(&mut connection, &mut round, &mut backlog, CAPACITY).expect("the claim commits");
        let bodies: Vec<(String, Vec<u8>, usize)> = replies.claimed[0]
            .iter()
            .map(|row| {
                let delivery = row.delivery.as_ref().expect("the delivery is rebuilt");
                (
                    delivery.envelope().dedupe_key().to_owned(),
                    delivery.body().to_vec(),
                    delivery.headers().len(),
                )
            })
            .collect();
        assert_eq!(
            bodies,
            [
                (
                    "ch_new".to_owned(),
                    br#"{"event":"charge.succeeded","payload":{"id":"ch_new"}}"#.to_vec(),
                    0
                ),
                ("ch_older".to_owned(), older.to_vec(), 1),
            ]
        );

        connection
            .execute("DELETE FROM webhook_inbox", [])
            .expect("rows are deleted");
        let left: i64 = connection
            .query_row("SELECT COUNT(*) FROM webhook_inbox_body", [], |row| {
                row.get(0)
            })
            .expect("bodies are counted");
        assert_eq!(left, 0, "a deleted row's body goes with it");
    }
}
