//! Charts as SVG drawn on the server: no script, no inline style (the page's
//! Content-Security-Policy allows neither), colours from the stylesheet's classes.

use maud::{Markup, html};
use webhook_inbox::{MinuteActivity, SETTLE_BUCKETS_MS};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 150.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 8.0;
const TOP: f64 = 10.0;
const BOTTOM: f64 = 24.0;

/// A value at least `max` with one significant digit of 1, 2 or 5 (the top gridline).
fn nice_ceiling(max: u64) -> u64 {
    let mut step = 1;
    loop {
        for factor in [1, 2, 5] {
            if step * factor >= max {
                return step * factor;
            }
        }
        step *= 10;
    }
}

/// The x axis under a plot of `n` minutes ending now.
fn minute_axis(n: usize) -> Markup {
    let plot = WIDTH - LEFT - RIGHT;
    let y = HEIGHT - BOTTOM + 16.0;
    let minutes = n.saturating_sub(1);
    html! {
        text x=(fmt(LEFT)) y=(fmt(y)) class="axis" { "−" (minutes) " min" }
        text x=(fmt(LEFT + plot / 2.0)) y=(fmt(y)) class="axis" text-anchor="middle" { "−" (minutes / 2) " min" }
        text x=(fmt(WIDTH - RIGHT)) y=(fmt(y)) class="axis" text-anchor="end" { "now" }
    }
}

fn fmt(value: f64) -> String {
    format!("{value:.1}")
}

/// Deliveries received per minute (bars) with the failures of each minute in front.
pub(crate) fn per_minute(minutes: &[MinuteActivity], id: &str) -> Markup {
    let received: Vec<u64> = minutes.iter().map(|m| m.received).collect();
    let failed: Vec<u64> = minutes.iter().map(|m| m.failed).collect();
    let done: Vec<u64> = minutes.iter().map(|m| m.done).collect();
    let top = nice_ceiling(
        received
            .iter()
            .chain(&failed)
            .chain(&done)
            .copied()
            .max()
            .unwrap_or(0)
            .max(1),
    );
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / received.len().max(1) as f64;
    let y_of = |value: u64| TOP + plot_h - plot_h * value as f64 / top as f64;
    let total = |series: &[u64]| series.iter().sum::<u64>();
    let summary = format!(
        "Per minute over the last {} minutes: {} received, {} done, {} failed; the busiest minute received {}.",
        minutes.len().saturating_sub(1),
        total(&received),
        total(&done),
        total(&failed),
        received.iter().max().unwrap_or(&0)
    );
    let done_path = line_path(
        done.iter()
            .enumerate()
            .map(|(at, value)| Some((LEFT + slot * (at as f64 + 0.5), y_of(*value)))),
    );
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{id}-title")) {
            title id=(format!("{id}-title")) { (summary) }
            @for (value, label) in [(top, top), (top / 2, top / 2), (0, 0)] {
                line class="grid" x1=(fmt(LEFT)) x2=(fmt(WIDTH - RIGHT)) y1=(fmt(y_of(value))) y2=(fmt(y_of(value))) {}
                text class="axis" x=(fmt(LEFT - 6.0)) y=(fmt(y_of(value) + 4.0)) text-anchor="end" { (label) }
            }
            @for (at, value) in received.iter().enumerate() {
                @if *value > 0 {
                    rect class="bar received" x=(fmt(LEFT + slot * at as f64 + 1.0)) y=(fmt(y_of(*value)))
                        width=(fmt((slot - 2.0).max(1.0))) height=(fmt(TOP + plot_h - y_of(*value))) {}
                }
            }
            @for (at, value) in failed.iter().enumerate() {
                @if *value > 0 {
                    rect class="bar failed" x=(fmt(LEFT + slot * at as f64 + slot * 0.25)) y=(fmt(y_of(*value)))
                        width=(fmt((slot * 0.5).max(1.0))) height=(fmt(TOP + plot_h - y_of(*value))) {}
                }
            }
            path class="line done" d=(done_path) {}
            (minute_axis(minutes.len()))
        }
    }
}

/// An SVG path through `points`, broken where a point is `None`.
fn line_path(points: impl Iterator<Item = Option<(f64, f64)>>) -> String {
    let mut path = String::new();
    let mut pen_down = false;
    for point in points {
        match point {
            Some((x, y)) => {
                path.push_str(if pen_down { " L" } else { " M" });
                path.push_str(&format!("{} {}", fmt(x), fmt(y)));
                pen_down = true;
            }
            None => pen_down = false,
        }
    }
    if path.is_empty() {
        path.push_str("M0 0");
    }
    path.trim_start().to_owned()
}

/// The upper bound of the histogram's bucket holding quantile `q` (0..1), in ms, or
/// `None` for an empty histogram.
pub(crate) fn quantile(histogram: &[u64], q: f64) -> Option<u64> {
    let total: u64 = histogram.iter().sum();
    if total == 0 {
        return None;
    }
    let rank = ((total as f64) * q).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (at, count) in histogram.iter().enumerate() {
        seen += count;
        if seen >= rank {
            return Some(
                SETTLE_BUCKETS_MS
                    .get(at)
                    .copied()
                    .unwrap_or(SETTLE_BUCKETS_MS[SETTLE_BUCKETS_MS.len() - 1] * 2),
            );
        }
    }
    None
}

/// The quantiles drawn and summarised: (label, q, class).
pub(crate) const QUANTILES: [(&str, f64, &str); 3] = [
    ("p50", 0.5, "p50"),
    ("p90", 0.9, "p90"),
    ("p99", 0.99, "p99"),
];

/// Receipt-to-done time per minute (see [`quantile_lines`]).
pub(crate) fn settle_times(minutes: &[MinuteActivity], id: &str) -> Markup {
    quantile_lines(
        minutes,
        |minute| &minute.settle_histogram,
        id,
        "Time from receipt to done per minute, p50, p90 and p99, on a logarithmic scale",
    )
}

/// The handler's run per attempt, per minute (see [`quantile_lines`]).
pub(crate) fn handler_times(minutes: &[MinuteActivity], id: &str) -> Markup {
    quantile_lines(
        minutes,
        |minute| &minute.handler_histogram,
        id,
        "Handler duration per attempt per minute, p50, p90 and p99, on a logarithmic scale",
    )
}

/// A time per minute, read from each minute's `histogram`: p50, p90 and p99 as lines
/// on a log scale.
fn quantile_lines(
    minutes: &[MinuteActivity],
    histogram: fn(&MinuteActivity) -> &[u64],
    id: &str,
    title: &str,
) -> Markup {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let slot = plot_w / minutes.len().max(1) as f64;
    let highest = minutes
        .iter()
        .filter_map(|m| quantile(histogram(m), 0.99))
        .max()
        .unwrap_or(1000)
        .max(10);
    let decades = (highest as f64).log10().ceil().max(1.0);
    let y_of = |ms: u64| TOP + plot_h - plot_h * (ms.max(1) as f64).log10() / decades;
    let ticks: Vec<u64> = (0..=decades as u32).map(|d| 10_u64.pow(d)).collect();
    html! {
        svg class="chart" viewBox=(format!("0 0 {WIDTH} {HEIGHT}")) role="img" aria-labelledby=(format!("{id}-title")) {
            title id=(format!("{id}-title")) { (title) }
            @for tick in &ticks {
                line class="grid" x1=(fmt(LEFT)) x2=(fmt(WIDTH - RIGHT)) y1=(fmt(y_of(*tick))) y2=(fmt(y_of(*tick))) {}
                text class="axis" x=(fmt(LEFT - 6.0)) y=(fmt(y_of(*tick) + 4.0)) text-anchor="end" { (crate::time::millis(*tick)) }
            }
            @for (_, q, class) in QUANTILES {
                @let points: Vec<Option<(f64, f64)>> = minutes.iter().enumerate().map(|(at, m)| {
                    quantile(histogram(m), q).map(|ms| (LEFT + slot * (at as f64 + 0.5), y_of(ms)))
                }).collect();
                path class=(format!("line {class}")) d=(line_path(points.iter().copied())) {}
                @for (x, y) in points.iter().flatten() {
                    circle class=(format!("point {class}")) cx=(fmt(*x)) cy=(fmt(*y)) r="2.2" {}
                }
            }
            (minute_axis(minutes.len()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ceilings_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(11), 20);
        assert_eq!(nice_ceiling(500), 500);
        assert_eq!(nice_ceiling(501), 1000);
    }

    #[test]
    fn quantiles_are_the_upper_bounds_of_their_buckets() {
        let mut histogram = vec![0; SETTLE_BUCKETS_MS.len() + 1];
        histogram[5] = 90; // <= 10 ms
        histogram[11] = 9; // <= 100 ms
        histogram[SETTLE_BUCKETS_MS.len()] = 1; // slower than the last bound
        assert_eq!(quantile(&histogram, 0.5), Some(10));
        assert_eq!(quantile(&histogram, 0.9), Some(10));
        assert_eq!(quantile(&histogram, 0.95), Some(100));
        assert_eq!(quantile(&histogram, 1.0), Some(1_200_000));
        assert_eq!(quantile(&[0, 0], 0.5), None);
    }

    #[test]
    fn lines_break_where_values_are_missing() {
        let path =
            line_path([Some((1.0, 2.0)), Some((3.0, 4.0)), None, Some((5.0, 6.0))].into_iter());
        assert_eq!(path, "M1.0 2.0 L3.0 4.0 M5.0 6.0");
    }
}
