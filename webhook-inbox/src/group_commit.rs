//! Group commit, as both backends run it: concurrent submits wait in a queue, one task
//! takes whatever is queued as a round, stores it in one transaction of a few multi-row
//! statements, and answers each submit after the `COMMIT`. Shared here: the sizes of a
//! round, of a statement's chunk and of the queue, and how the rows a round's upserts
//! stored answer its submits ([`Stored`]).

use std::collections::HashMap;

use webhook_core::{SinkError, Submitted};

use crate::record::NewRow;

/// What one submit became: stored, a duplicate, or refused.
pub(crate) type SubmitResult = Result<Submitted, SinkError>;

/// The most deliveries a round stores. (A SQLite round takes twice as many requests:
/// its writer also runs the workers' settles, claims and lease extensions.)
pub(crate) const ROUND: usize = 256;

/// Rows per multi-row statement: 32 rows of 13 parameters stay under the 999 parameters
/// a statement may have in SQLite's oldest supported builds.
pub(crate) const CHUNK: usize = 32;

/// Requests a queue holds; beyond this, senders wait for room.
pub(crate) const QUEUE: usize = 16 * ROUND;

/// What a round's multi-row upserts stored, matched to its submits (in order): the
/// first submit of a key that an upsert stored (new, or dead and revived) is the one
/// that stored it, answered with the row's id; every other submit found its event
/// live, a duplicate. Keys are borrowed from the rows, so matching copies nothing.
pub(crate) struct Stored<'a> {
    /// Each key's first submit.
    first: HashMap<(&'a str, &'a str), usize>,
    /// The stored row's id, at the submit that stored it.
    ids: Vec<Option<i64>>,
}

impl<'a> Stored<'a> {
    /// Nothing stored yet for the submits `rows`.
    pub(crate) fn new(rows: impl ExactSizeIterator<Item = &'a NewRow>) -> Self {
        let mut first = HashMap::with_capacity(rows.len());
        let mut ids = Vec::with_capacity(rows.len());
        for (at, row) in rows.enumerate() {
            first
                .entry((row.provider.as_str(), row.dedupe_key.as_str()))
                .or_insert(at);
            ids.push(None);
        }
        Self { first, ids }
    }

    /// An upsert stored row `id` for `(provider, dedupe_key)`.
    pub(crate) fn record(&mut self, provider: &str, dedupe_key: &str, id: i64) {
        if let Some(at) = self.first.get(&(provider, dedupe_key)) {
            self.ids[*at] = Some(id);
        }
    }

    /// The answer to each submit, in order, with the id of the row it stored.
    pub(crate) fn answers(self) -> Vec<(SubmitResult, Option<i64>)> {
        self.ids
            .into_iter()
            .map(|id| match id {
                Some(id) => (Ok(Submitted::Accepted), Some(id)),
                None => (Ok(Submitted::Duplicate), None),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;
    use http::HeaderMap;
    use webhook_core::Envelope;
    use webhook_core::dangerous::restore_verified;

    use super::*;

    fn row(key: &str) -> NewRow {
        let delivery = restore_verified(
            "modem-pay",
            HeaderMap::new(),
            Bytes::from_static(b"{}"),
            Envelope::new("charge.succeeded", key, Bytes::new()),
            std::time::UNIX_EPOCH,
        );
        NewRow::of(&delivery)
    }

    #[test]
    fn the_first_submit_of_a_stored_key_is_accepted_and_the_others_are_duplicates() {
        // `a` twice in the round, `b` stored, `c` already live (not returned).
        let rows = [row("a"), row("b"), row("a"), row("c")];
        let mut stored = Stored::new(rows.iter());
        stored.record("modem-pay", "b", 11);
        stored.record("modem-pay", "a", 10);
        // A key of another provider is not one of these submits.
        stored.record("bamotf", "c", 12);
        let answers: Vec<_> = stored
            .answers()
            .into_iter()
            .map(|(answer, id)| (answer.unwrap(), id))
            .collect();
        assert_eq!(
            answers,
            [
                (Submitted::Accepted, Some(10)),
                (Submitted::Accepted, Some(11)),
                (Submitted::Duplicate, None),
                (Submitted::Duplicate, None),
            ]
        );
    }
}
