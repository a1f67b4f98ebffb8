//! Times as stored: milliseconds since the Unix epoch, in the database and in JSON.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `at` in milliseconds since the epoch (negative before it), saturating.
pub(crate) fn from_time(at: SystemTime) -> i64 {
    match at.duration_since(UNIX_EPOCH) {
        Ok(after) => from_duration(after),
        Err(before) => -from_duration(before.duration()),
    }
}

/// The time `ms` milliseconds after the epoch.
pub(crate) fn to_time(ms: i64) -> SystemTime {
    let magnitude = Duration::from_millis(ms.unsigned_abs());
    if ms >= 0 {
        UNIX_EPOCH + magnitude
    } else {
        UNIX_EPOCH - magnitude
    }
}

/// `duration` in whole milliseconds, saturating at `i64::MAX`.
pub(crate) fn from_duration(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// Serde for a `SystemTime` field as epoch milliseconds.
pub(crate) mod serde_time {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        at: &SystemTime,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_i64(super::from_time(*at))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<SystemTime, D::Error> {
        i64::deserialize(deserializer).map(super::to_time)
    }
}

/// Serde for an `Option<SystemTime>` field as epoch milliseconds or `null`.
pub(crate) mod serde_opt_time {
    use std::time::SystemTime;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        at: &Option<SystemTime>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => serializer.serialize_some(&super::from_time(*at)),
            None => serializer.serialize_none(),
        }
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<SystemTime>, D::Error> {
        Option::<i64>::deserialize(deserializer).map(|ms| ms.map(super::to_time))
    }
}
