//! Filters in the URL, and form bodies.

use std::collections::HashMap;
use std::time::{Duration, SystemTime};

use webhook_inbox::{DeliveryFilter, State};

use crate::time;

/// The parameters of a query string or a form body (the last value of a repeated
/// name wins).
pub(crate) fn params(encoded: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(encoded).into_owned().collect()
}

/// The quick ranges of the receive-time filter: (value, label, span).
pub(crate) const SINCE: [(&str, &str, u64); 4] = [
    ("15m", "last 15 minutes", 15 * 60),
    ("1h", "last hour", 3600),
    ("24h", "last 24 hours", 86_400),
    ("7d", "last 7 days", 7 * 86_400),
];

/// The delivery filter as the URL spells it: `provider`, `event`, `state`, `q` (dedupe
/// key), `since` (a quick range) or `from` / `to` (UTC).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Filter {
    pub(crate) provider: String,
    pub(crate) event: String,
    pub(crate) state: Option<State>,
    pub(crate) q: String,
    pub(crate) since: String,
    pub(crate) from: String,
    pub(crate) to: String,
}

impl Filter {
    /// The filter of `params`; unknown values (a state that is none, a bad date) are
    /// dropped.
    pub(crate) fn of(params: &HashMap<String, String>) -> Self {
        let text = |name: &str| {
            params
                .get(name)
                .map(|value| value.trim().to_owned())
                .unwrap_or_default()
        };
        let since = text("since");
        let since = if SINCE.iter().any(|(value, ..)| *value == since) {
            since
        } else {
            String::new()
        };
        let date = |name: &str| {
            let value = text(name);
            time::parse(&value).map(|_| value).unwrap_or_default()
        };
        Self {
            provider: text("provider"),
            event: text("event"),
            state: text("state").parse().ok(),
            q: text("q"),
            since,
            from: date("from"),
            to: date("to"),
        }
    }

    /// The inbox filter, with `now` for a quick range.
    pub(crate) fn to_inbox(&self, now: SystemTime) -> DeliveryFilter {
        let mut filter = DeliveryFilter::new();
        if !self.provider.is_empty() {
            filter = filter.provider(&self.provider);
        }
        if !self.event.is_empty() {
            filter = filter.event_type(&self.event);
        }
        if let Some(state) = self.state {
            filter = filter.state(state);
        }
        if !self.q.is_empty() {
            filter = filter.dedupe_key(&self.q);
        }
        if let Some((.., secs)) = SINCE.iter().find(|(value, ..)| *value == self.since) {
            let from = now
                .checked_sub(Duration::from_secs(*secs))
                .unwrap_or(SystemTime::UNIX_EPOCH);
            filter = filter.received_from(from);
        } else if let Some(from) = time::parse(&self.from) {
            filter = filter.received_from(from);
        }
        if self.since.is_empty() {
            if let Some(to) = time::parse(&self.to) {
                filter = filter.received_before(to);
            }
        }
        filter
    }

    /// The filter's parameters, in a fixed order, without the empty ones.
    pub(crate) fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = vec![
            ("provider", self.provider.clone()),
            ("event", self.event.clone()),
            (
                "state",
                self.state
                    .map(|s| s.as_str().to_owned())
                    .unwrap_or_default(),
            ),
            ("q", self.q.clone()),
            ("since", self.since.clone()),
        ];
        if self.since.is_empty() {
            pairs.push(("from", self.from.clone()));
            pairs.push(("to", self.to.clone()));
        }
        pairs.retain(|(_, value)| !value.is_empty());
        pairs
    }

    /// The filter as a query string (no `?`), with `extra` pairs after it.
    pub(crate) fn query(&self, extra: &[(&str, String)]) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.pairs() {
            query.append_pair(name, &value);
        }
        for (name, value) in extra {
            query.append_pair(name, value);
        }
        query.finish()
    }

    /// Whether nothing is filtered.
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }

    /// The filter in words, for the bulk replay's confirmation.
    pub(crate) fn describe(&self) -> Vec<String> {
        let mut words = Vec::new();
        if let Some(state) = self.state {
            words.push(format!("state {state}"));
        }
        if !self.provider.is_empty() {
            words.push(format!("provider {}", self.provider));
        }
        if !self.event.is_empty() {
            words.push(format!("event type {}", self.event));
        }
        if !self.q.is_empty() {
            words.push(format!("dedupe key {}", self.q));
        }
        if let Some((_, label, _)) = SINCE.iter().find(|(value, ..)| *value == self.since) {
            words.push(format!("received in the {label}"));
        }
        if !self.from.is_empty() && self.since.is_empty() {
            words.push(format!("received from {} UTC", self.from));
        }
        if !self.to.is_empty() && self.since.is_empty() {
            words.push(format!("received before {} UTC", self.to));
        }
        words
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_round_trip_through_the_query_string() {
        let filter = Filter::of(&params(
            b"state=dead&provider=modem-pay&event=charge.succeeded&q=evt%201&from=2026-01-02T03:04&junk=1",
        ));
        assert_eq!(filter.state, Some(State::Dead));
        assert_eq!(filter.q, "evt 1");
        let again = Filter::of(&params(filter.query(&[]).as_bytes()));
        assert_eq!(again, filter);
    }

    #[test]
    fn unknown_values_are_dropped_and_quick_ranges_win_over_dates() {
        let filter = Filter::of(&params(b"state=gone&since=3y&from=yesterday"));
        assert!(filter.is_empty());
        let filter = Filter::of(&params(b"since=1h&from=2026-01-02"));
        assert_eq!(filter.query(&[]), "since=1h");
        let now = SystemTime::now();
        assert_eq!(
            filter.to_inbox(now).received_from_filter(),
            Some(now - Duration::from_secs(3600))
        );
    }
}
