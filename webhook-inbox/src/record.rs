//! How a delivery becomes a row and a row becomes a delivery (or an admin row) again.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue};
use webhook_core::dangerous::restore_verified;
use webhook_core::{Envelope, Verified};

use crate::attempt::{AttemptRecord, timeline};
use crate::error::InboxError;
use crate::lease::row_owner;
use crate::row::{InboxEntry, InboxRow};
use crate::store::Claimed;
use crate::unix_ms;

/// The columns [`RowRecord`] reads.
macro_rules! row_columns {
    () => {
        "id, provider, event_type, dedupe_key, state, attempts, last_error, received_at, \
         updated_at, retry_at, lease_owner, lease_expires_at, finished_at"
    };
}

/// The columns [`DeliveryRecord`] reads.
macro_rules! delivery_columns {
    () => {
        "id, attempts, provider, event_type, dedupe_key, headers, body, data_start, data_end, \
         data, received_at"
    };
}

pub(crate) use {delivery_columns, row_columns};

/// A verified delivery as it is inserted.
#[derive(Debug)]
pub(crate) struct NewRow {
    pub(crate) provider: String,
    pub(crate) dedupe_key: String,
    pub(crate) event_type: String,
    pub(crate) headers: String,
    /// The verified body itself (shared, not copied).
    pub(crate) body: Bytes,
    pub(crate) data_start: Option<i64>,
    pub(crate) data_end: Option<i64>,
    /// The envelope's data, stored only when it is not a slice of the body.
    pub(crate) data: Option<Vec<u8>>,
    pub(crate) received_at: i64,
}

impl NewRow {
    pub(crate) fn of(delivery: &Verified) -> Self {
        let envelope = delivery.envelope();
        let span = span_in(delivery.body(), envelope.data());
        Self {
            provider: delivery.provider().to_owned(),
            dedupe_key: envelope.dedupe_key().to_owned(),
            event_type: envelope.event_type().to_owned(),
            headers: headers_to_json(delivery.headers()),
            body: delivery.body().clone(),
            data_start: span.map(|(start, _)| to_i64(start)),
            data_end: span.map(|(_, end)| to_i64(end)),
            data: span.is_none().then(|| envelope.data().to_vec()),
            received_at: unix_ms::from_time(delivery.received_at()),
        }
    }
}

fn to_i64(offset: usize) -> i64 {
    i64::try_from(offset).unwrap_or(i64::MAX)
}

/// Where `data` lies inside `body`, when it is a slice of it (the usual case: envelopes
/// point into the verified body), so the row stores two offsets instead of a copy.
fn span_in(body: &Bytes, data: &Bytes) -> Option<(usize, usize)> {
    let body_start = body.as_ptr() as usize;
    let data_start = data.as_ptr() as usize;
    let start = data_start.checked_sub(body_start)?;
    let end = start + data.len();
    (end <= body.len()).then_some((start, end))
}

/// Headers as a JSON array of `[name, value]` pairs, in order, repeats kept (a value
/// that is not UTF-8 is stored lossily). Written straight from the map: no copy of a
/// name or value is made on the way.
fn headers_to_json(headers: &HeaderMap) -> String {
    struct Pairs<'a>(&'a HeaderMap);

    impl serde::Serialize for Pairs<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq(
                self.0.iter().map(|(name, value)| {
                    (name.as_str(), String::from_utf8_lossy(value.as_bytes()))
                }),
            )
        }
    }

    // Room for the names, values and the punctuation around each pair.
    let room = headers
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 8)
        .sum::<usize>()
        + 2;
    let mut json = Vec::with_capacity(room);
    serde_json::to_writer(&mut json, &Pairs(headers)).expect("string pairs serialize");
    String::from_utf8(json).expect("serde_json writes UTF-8")
}

fn header_pairs(id: i64, json: &str) -> Result<Vec<(String, String)>, InboxError> {
    serde_json::from_str(json).map_err(|error| InboxError::corrupt(id, format!("headers: {error}")))
}

fn header_map(id: i64, pairs: Vec<(String, String)>) -> Result<HeaderMap, InboxError> {
    let mut headers = HeaderMap::with_capacity(pairs.len());
    for (name, value) in pairs {
        let name = HeaderName::try_from(name).map_err(|error| InboxError::corrupt(id, error))?;
        let value = HeaderValue::try_from(value).map_err(|error| InboxError::corrupt(id, error))?;
        headers.append(name, value);
    }
    Ok(headers)
}

/// A claimed row: what a worker needs to rebuild the delivery.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct DeliveryRecord {
    pub(crate) id: i64,
    pub(crate) attempts: i64,
    provider: String,
    event_type: String,
    dedupe_key: String,
    headers: String,
    body: Vec<u8>,
    data_start: Option<i64>,
    data_end: Option<i64>,
    data: Option<Vec<u8>>,
    received_at: i64,
}

impl DeliveryRecord {
    /// Replaces the headers and body read with the row (the SQLite writer keeps them in
    /// a table of their own).
    #[cfg(feature = "sqlite")]
    pub(crate) fn set_payload(&mut self, headers: String, body: Vec<u8>) {
        self.headers = headers;
        self.body = body;
    }

    /// The row as the claim named `claim` took it (leased to [`row_owner`]`(claim, id)`),
    /// with its delivery rebuilt.
    pub(crate) fn claimed(self, claim: &str) -> Claimed {
        Claimed {
            id: self.id,
            owner: row_owner(claim, self.id),
            attempts: self.attempts,
            delivery: self.restore(),
        }
    }

    /// Reads a row of [`delivery_columns`], in that order (the SQLite writer's claims).
    #[cfg(feature = "sqlite")]
    pub(crate) fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            attempts: row.get(1)?,
            provider: row.get(2)?,
            event_type: row.get(3)?,
            dedupe_key: row.get(4)?,
            headers: row.get(5)?,
            body: row.get(6)?,
            data_start: row.get(7)?,
            data_end: row.get(8)?,
            data: row.get(9)?,
            received_at: row.get(10)?,
        })
    }

    /// The delivery as it was verified before it was stored.
    pub(crate) fn restore(self) -> Result<Verified, InboxError> {
        let headers = header_map(self.id, header_pairs(self.id, &self.headers)?)?;
        let body = Bytes::from(self.body);
        let data = match (self.data, self.data_start, self.data_end) {
            (Some(data), _, _) => Bytes::from(data),
            (None, Some(start), Some(end)) => slice(&body, start, end).ok_or_else(|| {
                InboxError::corrupt(
                    self.id,
                    format!("data span {start}..{end} is outside the body"),
                )
            })?,
            (None, _, _) => {
                return Err(InboxError::corrupt(self.id, "neither data nor a data span"));
            }
        };
        let envelope = Envelope::new(self.event_type, self.dedupe_key, data);
        let received_at = unix_ms::to_time(self.received_at);
        Ok(restore_verified(
            &self.provider,
            headers,
            body,
            envelope,
            received_at,
        ))
    }
}

fn slice(body: &Bytes, start: i64, end: i64) -> Option<Bytes> {
    let start = usize::try_from(start).ok()?;
    let end = usize::try_from(end).ok()?;
    (start <= end && end <= body.len()).then(|| body.slice(start..end))
}

/// A row as `list` reads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct RowRecord {
    id: i64,
    provider: String,
    event_type: String,
    dedupe_key: String,
    state: String,
    attempts: i64,
    last_error: Option<String>,
    received_at: i64,
    updated_at: i64,
    retry_at: Option<i64>,
    lease_owner: Option<String>,
    lease_expires_at: Option<i64>,
    finished_at: Option<i64>,
}

impl TryFrom<RowRecord> for InboxRow {
    type Error = InboxError;

    fn try_from(record: RowRecord) -> Result<Self, Self::Error> {
        let state = record
            .state
            .parse()
            .map_err(|error| InboxError::corrupt(record.id, error))?;
        Ok(InboxRow {
            id: record.id,
            provider: record.provider,
            event_type: record.event_type,
            dedupe_key: record.dedupe_key,
            state,
            attempts: u32::try_from(record.attempts).unwrap_or(0),
            last_error: record.last_error,
            received_at: unix_ms::to_time(record.received_at),
            updated_at: unix_ms::to_time(record.updated_at),
            retry_at: record.retry_at.map(unix_ms::to_time),
            lease_owner: record.lease_owner,
            lease_expires_at: record.lease_expires_at.map(unix_ms::to_time),
            finished_at: record.finished_at.map(unix_ms::to_time),
        })
    }
}

/// A row with its headers and body, as `get` reads it.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct EntryRecord {
    #[sqlx(flatten)]
    row: RowRecord,
    last_attempt_us: Option<i64>,
    headers: String,
    body: Vec<u8>,
}

impl EntryRecord {
    /// The row in full, with `attempts` (its recorded attempts, in order) made into its
    /// timeline.
    pub(crate) fn into_entry(self, attempts: Vec<AttemptRecord>) -> Result<InboxEntry, InboxError> {
        let headers = header_pairs(self.row.id, &self.headers)?;
        let body = String::from_utf8_lossy(&self.body).into_owned();
        let row = InboxRow::try_from(self.row)?;
        let timeline = timeline(&row, attempts, self.last_attempt_us)?;
        Ok(InboxEntry {
            row,
            headers,
            body,
            timeline,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    fn delivery(headers: HeaderMap, body: &'static [u8], data: Bytes) -> Verified {
        let envelope = Envelope::new("charge.succeeded", "key_1", data);
        restore_verified(
            "modem-pay",
            headers,
            Bytes::from_static(body),
            envelope,
            UNIX_EPOCH,
        )
    }

    fn stored(row: NewRow) -> DeliveryRecord {
        DeliveryRecord {
            id: 1,
            attempts: 0,
            provider: row.provider,
            event_type: row.event_type,
            dedupe_key: row.dedupe_key,
            headers: row.headers,
            body: row.body.to_vec(),
            data_start: row.data_start,
            data_end: row.data_end,
            data: row.data,
            received_at: row.received_at,
        }
    }

    #[test]
    fn data_inside_the_body_is_stored_as_a_span() {
        let body: &'static [u8] = br#"{"event":"x","payload":{"id":1}}"#;
        let data = Bytes::from_static(body).slice(23..31);
        let row = NewRow::of(&delivery(HeaderMap::new(), body, data));
        assert_eq!(
            (row.data_start, row.data_end, row.data.is_none()),
            (Some(23), Some(31), true)
        );
        assert_eq!(
            stored(row).restore().unwrap().envelope().data().as_ref(),
            br#"{"id":1}"#
        );
    }

    #[test]
    fn data_outside_the_body_is_stored_as_bytes() {
        let outside = delivery(
            HeaderMap::new(),
            b"{}",
            Bytes::from_static(b"{\"other\":true}"),
        );
        let row = NewRow::of(&outside);
        assert_eq!(
            (row.data_start, row.data.as_deref()),
            (None, Some(&b"{\"other\":true}"[..]))
        );
        assert_eq!(
            stored(row).restore().unwrap().envelope().data().as_ref(),
            b"{\"other\":true}"
        );
    }

    #[test]
    fn headers_round_trip_in_order_with_repeats() {
        let mut headers = HeaderMap::new();
        headers.append("x-b", HeaderValue::from_static("2"));
        headers.append("x-a", HeaderValue::from_static("1"));
        headers.append("x-a", HeaderValue::from_static("3"));
        let restored = stored(NewRow::of(&delivery(headers.clone(), b"{}", Bytes::new())))
            .restore()
            .unwrap();
        assert_eq!(restored.headers(), &headers);
        let values: Vec<_> = restored.headers().get_all("x-a").iter().collect();
        assert_eq!(values, ["1", "3"]);
    }

    #[test]
    fn headers_are_stored_as_json_pairs_quotes_escaped_and_non_utf8_bytes_replaced() {
        let mut headers = HeaderMap::new();
        headers.append("x-quote", HeaderValue::from_static("say \"hi\""));
        headers.append("x-raw", HeaderValue::from_bytes(b"caf\xe9").unwrap());
        let row = NewRow::of(&delivery(headers, b"{}", Bytes::new()));
        assert_eq!(
            row.headers,
            format!(
                r#"[["x-quote","say \"hi\""],["x-raw","caf{}"]]"#,
                '\u{fffd}'
            )
        );
    }

    #[test]
    fn received_at_round_trips_to_the_millisecond() {
        let at = UNIX_EPOCH + Duration::from_millis(1_767_225_600_123);
        let original = restore_verified(
            "p",
            HeaderMap::new(),
            Bytes::from_static(b"{}"),
            Envelope::new("x", "k", Bytes::new()),
            at,
        );
        assert_eq!(
            stored(NewRow::of(&original))
                .restore()
                .unwrap()
                .received_at(),
            at
        );
    }

    #[test]
    fn unreadable_headers_are_reported_with_the_row_id() {
        let mut record = stored(NewRow::of(&delivery(HeaderMap::new(), b"{}", Bytes::new())));
        record.headers = "not json".to_owned();
        let error = record.restore().unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("inbox row 1 is unreadable: headers:"),
            "{error}"
        );
    }
}
