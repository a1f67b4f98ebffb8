//! Reading a request body for the receiver: up to its limit and no further, each byte
//! reserved in the receiver's budget before it is kept.

use std::error::Error;
use std::pin::pin;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body::Body;
use http_body_util::{BodyExt, LengthLimitError};

use crate::budget::Reservation;
use crate::handler::BoxError;

/// Why a body was not read to its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unread {
    /// It passed the limit (413).
    TooLarge,
    /// The budget of bytes in flight cannot hold it (503).
    OverBudget,
    /// The body failed: the client went away, or the framing was broken (400).
    Failed,
}

/// The body's size as the request declares it: `Content-Length`, else the body's own
/// exact size hint (a body already in memory). `None` when neither tells.
pub(crate) fn declared_size<B: Body>(headers: &HeaderMap, body: &B) -> Option<u64> {
    let content_length = headers
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    content_length.or_else(|| body.size_hint().exact())
}

/// The body's least possible size: the larger of what was declared and the body's
/// own lower bound.
pub(crate) fn least_size<B: Body>(declared: Option<u64>, body: &B) -> u64 {
    declared.unwrap_or(0).max(body.size_hint().lower())
}

/// Reads `body` whole, counting the bytes read in `read` (left as far as it got when
/// the read fails or is cancelled by a timeout).
///
/// Every chunk is checked against `limit` and reserved in `reservation` before it is
/// kept, so the 413 comes with the chunk that passes the limit and no byte is held
/// that the budget did not grant. `capacity` (the declared size) sizes the buffer once.
pub(crate) async fn read<B>(
    body: B,
    limit: usize,
    capacity: usize,
    reservation: &mut Reservation<'_>,
    read: &mut u64,
) -> Result<Bytes, Unread>
where
    B: Body,
    B::Error: Into<BoxError>,
{
    let mut body = pin!(body);
    let mut collected = Collected::Empty;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|error| failure(&*error.into()))?;
        let Ok(data) = frame.into_data() else {
            // Trailers carry nothing the receiver reads.
            continue;
        };
        *read += data.remaining() as u64;
        let total = usize::try_from(*read).unwrap_or(usize::MAX);
        if total > limit {
            return Err(Unread::TooLarge);
        }
        if !reservation.grow_to(total) {
            return Err(Unread::OverBudget);
        }
        collected.push(data, capacity);
    }
    Ok(collected.into_bytes())
}

/// What a body error means: an outer layer's limit (tower-http's `RequestBodyLimit`)
/// is a 413 as ours is; anything else is a body that could not be read.
fn failure(error: &(dyn Error + 'static)) -> Unread {
    let mut next = Some(error);
    while let Some(error) = next {
        if error.is::<LengthLimitError>() {
            return Unread::TooLarge;
        }
        next = error.source();
    }
    Unread::Failed
}

/// The chunks read so far: a single chunk is kept as it came (no copy for a body that
/// arrives whole), more are copied into one buffer.
enum Collected {
    Empty,
    One(Bytes),
    Many(BytesMut),
}

impl Collected {
    fn push(&mut self, mut data: impl Buf, capacity: usize) {
        *self = match std::mem::replace(self, Self::Empty) {
            Self::Empty => Self::One(data.copy_to_bytes(data.remaining())),
            Self::One(first) => {
                let needed = first.len() + data.remaining();
                let mut buffer = BytesMut::with_capacity(capacity.max(needed));
                buffer.extend_from_slice(&first);
                buffer.put(data);
                Self::Many(buffer)
            }
            Self::Many(mut buffer) => {
                buffer.put(data);
                Self::Many(buffer)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Self::Empty => Bytes::new(),
            Self::One(bytes) => bytes,
            Self::Many(buffer) => buffer.freeze(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body_util::{Full, Limited, StreamBody};

    use super::*;
    use crate::budget::Budget;

    fn chunks(parts: &[&'static [u8]]) -> impl Body<Data = Bytes, Error = Infallible> {
        let frames: Vec<Result<http_body::Frame<Bytes>, Infallible>> = parts
            .iter()
            .map(|part| Ok(http_body::Frame::data(Bytes::from_static(part))))
            .collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    async fn read_all<B>(body: B, limit: usize, budget: &Budget) -> (Result<Bytes, Unread>, u64)
    where
        B: Body,
        B::Error: Into<BoxError>,
    {
        let mut reservation = budget.reservation();
        let mut count = 0;
        let result = read(body, limit, 0, &mut reservation, &mut count).await;
        (result, count)
    }

    #[tokio::test]
    async fn chunks_are_joined_in_order() {
        let budget = Budget::new(100);
        let (body, count) = read_all(chunks(&[b"ab", b"", b"cd", b"e"]), 10, &budget).await;
        assert_eq!(body.unwrap(), "abcde");
        assert_eq!(count, 5);
        assert_eq!(budget.used(), 0, "given back with the reservation");
    }

    #[tokio::test]
    async fn a_whole_body_is_kept_without_a_copy() {
        let budget = Budget::new(100);
        let whole = Bytes::from_static(b"{\"id\":1}");
        let (body, _) = read_all(Full::new(whole.clone()), 10, &budget).await;
        assert_eq!(body.unwrap().as_ptr(), whole.as_ptr());
    }

    #[tokio::test]
    async fn the_chunk_passing_the_limit_is_refused_at_once() {
        let budget = Budget::new(100);
        let (body, count) = read_all(chunks(&[b"abcd", b"efgh", b"never"]), 6, &budget).await;
        assert_eq!(body, Err(Unread::TooLarge));
        assert_eq!(count, 8);
    }

    #[tokio::test]
    async fn a_body_the_budget_cannot_hold_is_refused() {
        let budget = Budget::new(5);
        let (body, _) = read_all(chunks(&[b"abcd", b"efgh"]), 100, &budget).await;
        assert_eq!(body, Err(Unread::OverBudget));
    }

    #[tokio::test]
    async fn an_outer_length_limit_is_too_large_and_other_errors_are_failures() {
        let budget = Budget::new(100);
        let limited = Limited::new(chunks(&[b"abcd", b"efgh"]), 5);
        assert_eq!(
            read_all(limited, 100, &budget).await.0,
            Err(Unread::TooLarge)
        );
        let broken = StreamBody::new(futures_util::stream::iter([Err::<
            http_body::Frame<Bytes>,
            _,
        >(
            std::io::Error::other("reset"),
        )]));
        assert_eq!(read_all(broken, 100, &budget).await.0, Err(Unread::Failed));
    }

    #[test]
    fn content_length_is_the_declared_size_before_the_size_hint() {
        let mut headers = HeaderMap::new();
        let body = Full::new(Bytes::from_static(b"abc"));
        assert_eq!(declared_size(&headers, &body), Some(3));
        headers.insert(CONTENT_LENGTH, http::HeaderValue::from_static("10"));
        assert_eq!(declared_size(&headers, &body), Some(10));
        headers.insert(CONTENT_LENGTH, http::HeaderValue::from_static("ten"));
        assert_eq!(declared_size(&headers, &body), Some(3));
        assert_eq!(least_size(None, &body), 3);
    }
}
