//! The one way around verification, for durable sinks restoring what they stored.
//!
//! A durable inbox commits a delivery only after [`crate::Verified::check`] accepted it;
//! when a worker later claims the row, re-verifying would fail for schemes with a
//! timestamp. These functions rebuild the [`Verified`] from the stored parts. Nothing
//! else should call them.

use std::time::SystemTime;

use bytes::Bytes;
use http::HeaderMap;

use crate::delivery::Verified;
use crate::provider::Envelope;

/// Rebuilds a delivery that was verified before it was stored.
///
/// Only call this with parts that came out of a [`Verified`] (see [`Verified::headers`],
/// [`Verified::body`], [`Verified::envelope`]) and were stored by your own sink.
pub fn restore_verified(
    provider: &str,
    headers: HeaderMap,
    body: Bytes,
    envelope: Envelope,
    received_at: SystemTime,
) -> Verified {
    Verified::assemble(provider, headers, body, envelope, received_at)
}
