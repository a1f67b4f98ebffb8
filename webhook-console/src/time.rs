//! Times as the console shows and reads them: UTC, to the second.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `at` as `2026-03-01 14:03:07` (UTC).
pub(crate) fn utc(at: SystemTime) -> String {
    let text = webhook_core::rfc3339(at);
    // `2026-03-01T14:03:07.123Z`
    format!("{} {}", &text[..10], &text[11..19])
}

/// `at` as the `datetime` attribute of a `<time>`.
pub(crate) fn machine(at: SystemTime) -> String {
    webhook_core::rfc3339(at)
}

/// `at` as the value of a `datetime-local` input (UTC): `2026-03-01T14:03`.
#[cfg(test)]
pub(crate) fn input_value(at: SystemTime) -> String {
    webhook_core::rfc3339(at)[..16].to_owned()
}

/// `at` as the value of a `date` input (UTC): `2026-03-01`.
pub(crate) fn date_value(at: SystemTime) -> String {
    webhook_core::rfc3339(at)[..10].to_owned()
}

/// How long ago `at` was, from `now`: `42 s`, `3 min`, `5 h 12 min`, `2 d 3 h`.
pub(crate) fn age(at: SystemTime, now: SystemTime) -> String {
    span(now.duration_since(at).unwrap_or_default())
}

/// A span of time in its two largest units.
pub(crate) fn span(duration: Duration) -> String {
    let secs = duration.as_secs();
    match secs {
        0..60 => format!("{secs} s"),
        60..3600 => format!("{} min {} s", secs / 60, secs % 60),
        3600..86_400 => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
        _ => format!("{} d {} h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// A handler's run, readably down to the microsecond: `85 µs`, `12.5 ms`, `1.5 s`.
pub(crate) fn run(duration: Duration) -> String {
    let us = duration.as_micros();
    match us {
        0..1000 => format!("{us} µs"),
        1000..10_000 => format!("{}.{} ms", us / 1000, us % 1000 / 100),
        _ => millis(u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)),
    }
}

/// Milliseconds, readably: `850 ms`, `1.5 s`, `2 min`.
pub(crate) fn millis(ms: u64) -> String {
    match ms {
        0..1000 => format!("{ms} ms"),
        1000..60_000 => {
            let tenths = ms / 100;
            if tenths % 10 == 0 {
                format!("{} s", tenths / 10)
            } else {
                format!("{}.{} s", tenths / 10, tenths % 10)
            }
        }
        _ => span(Duration::from_millis(ms)),
    }
}

/// A `datetime-local` or `date` value (UTC), `2026-03-01T14:03[:07]` or `2026-03-01`.
pub(crate) fn parse(text: &str) -> Option<SystemTime> {
    let text = text.trim();
    let (date, clock) = match text.split_once(['T', ' ']) {
        Some((date, clock)) => (date, clock),
        None => (text, "00:00"),
    };
    let mut parts = date.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let mut clock = clock.trim_end_matches('Z').splitn(3, ':');
    let hour: u64 = clock.next()?.parse().ok()?;
    let minute: u64 = clock.next()?.parse().ok()?;
    let second: f64 = clock.next().map_or(Some(0.0), |s| s.parse().ok())?;
    if hour > 23 || minute > 59 || !(0.0..60.0).contains(&second) {
        return None;
    }
    let days = u64::try_from(days_from_civil(year, month, day)).ok()?;
    let secs = days * 86_400 + hour * 3600 + minute * 60;
    Some(UNIX_EPOCH + Duration::from_secs(secs) + Duration::from_secs_f64(second))
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let yoe = year - era * 400;
    let month = i64::from(month);
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_reads_in_its_own_unit() {
        assert_eq!(run(Duration::from_micros(85)), "85 µs");
        assert_eq!(run(Duration::from_micros(2_540)), "2.5 ms");
        assert_eq!(run(Duration::from_millis(420)), "420 ms");
        assert_eq!(run(Duration::from_millis(1_500)), "1.5 s");
    }

    #[test]
    fn inputs_parse_as_utc_and_format_back() {
        let at = parse("2026-02-27T00:03").unwrap();
        assert_eq!(input_value(at), "2026-02-27T00:03");
        assert_eq!(utc(at), "2026-02-27 00:03:00");
        assert_eq!(date_value(parse("2026-02-27").unwrap()), "2026-02-27");
        assert_eq!(
            parse("2026-02-27T00:03:55.078").map(machine).as_deref(),
            Some("2026-02-27T00:03:55.078Z")
        );
        for bad in ["", "2026-13-01", "2026-02-27T24:00", "yesterday", "2026-02"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn spans_read_in_their_two_largest_units() {
        assert_eq!(span(Duration::from_secs(42)), "42 s");
        assert_eq!(span(Duration::from_secs(185)), "3 min 5 s");
        assert_eq!(span(Duration::from_secs(3 * 86_400 + 7200)), "3 d 2 h");
        assert_eq!(millis(850), "850 ms");
        assert_eq!(millis(1500), "1.5 s");
        assert_eq!(millis(2000), "2 s");
    }
}
