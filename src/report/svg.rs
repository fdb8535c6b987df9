//! Small inline SVG charts: lines or scatter points for a few series, with
//! axes, "nice" ticks (1, 2 or 5 times a power of ten), a legend and a
//! title. No script, no external resources: the markup is meant to sit
//! inside an HTML page.
//!
//! Must not: compute statistics (series arrive as points), or print a
//! number in a way that depends on the platform (coordinates are fixed to
//! two decimals).

use std::fmt::Write as _;

/// How series are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Points joined by lines (sorted by x).
    Line,
    /// Points only.
    Scatter,
}

/// One named series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Points `(x, y)`; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// A chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Title above the plot.
    pub title: String,
    /// Label of the x axis.
    pub x_label: String,
    /// Label of the y axis.
    pub y_label: String,
    /// Lines or points.
    pub kind: Kind,
    /// The series.
    pub series: Vec<Series>,
}

/// Colours of the series, in order (then repeated).
/// Dash patterns, so that lines lying on top of each other stay visible.
const DASHES: [&str; 4] = ["", "8 4", "3 3", "10 3 2 3"];

const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

const W: f64 = 640.0;
const H: f64 = 360.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 36.0;
const BOTTOM: f64 = 50.0;

/// Escapes text for XML.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Tick positions covering `[lo, hi]`: about `n` steps of 1, 2 or 5 times
/// a power of ten.
pub fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    if !(lo.is_finite() && hi.is_finite()) || n == 0 {
        return Vec::new();
    }
    let span = (hi - lo).abs().max(1e-300);
    let raw = span / n as f64;
    // The power of ten at or below `raw`, by exact steps (no libm call,
    // so every platform draws the same ticks).
    let mut mag = 1.0f64;
    while mag * 10.0 <= raw && mag < 1e300 {
        mag *= 10.0;
    }
    while mag > raw && mag > 1e-300 {
        mag /= 10.0;
    }
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last.min(first + 100))
        .map(|k| k as f64 * step)
        .collect()
}

/// A tick label: short, without float noise.
pub fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        return "0".into();
    }
    let s = if a >= 1e9 {
        format!("{:.3}G", v / 1e9)
    } else if a >= 1e6 {
        format!("{:.3}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.3}k", v / 1e3)
    } else if a >= 1.0 {
        format!("{v:.3}")
    } else {
        format!("{v:.6}")
    };
    trim_zeros(&s)
}

fn trim_zeros(s: &str) -> String {
    let (num, suffix) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    };
    let num = if num.contains('.') {
        num.trim_end_matches('0').trim_end_matches('.')
    } else {
        num
    };
    format!("{num}{suffix}")
}

/// Height of one legend row, below the plot.
const LEGEND_ROW: f64 = 16.0;
/// Above this many points a line is drawn without point markers.
const MARKERS_UP_TO: usize = 40;

/// The chart as an `<svg>` element: the plot, then the legend below it,
/// one row per series.
pub fn render(chart: &Chart) -> String {
    render_with_points(chart, &[])
}

/// The chart with more series drawn as points only over it (events on a
/// price path, say), whatever the chart's kind; the axes cover both, and
/// the legend lists them after the chart's own series.
pub fn render_with_points(chart: &Chart, points: &[Series]) -> String {
    let mut out = String::new();
    let all: Vec<(&Series, Kind)> = chart
        .series
        .iter()
        .map(|s| (s, chart.kind))
        .chain(points.iter().map(|s| (s, Kind::Scatter)))
        .collect();
    let total_h = H + LEGEND_ROW * all.len() as f64;
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {total_h}\" width=\"{W}\" height=\"{total_h}\" role=\"img\" aria-label=\"{}\">",
        escape(&chart.title)
    );
    let _ = write!(
        out,
        "<text x=\"{:.2}\" y=\"20\" text-anchor=\"middle\" font-size=\"14\" font-weight=\"bold\">{}</text>",
        W / 2.0,
        escape(&chart.title)
    );
    let pts: Vec<(f64, f64)> = all
        .iter()
        .flat_map(|(s, _)| s.points.iter().copied())
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pts.is_empty() {
        let _ = write!(
            out,
            "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\" fill=\"#888\">no data</text></svg>",
            W / 2.0,
            H / 2.0
        );
        return out;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for &(x, y) in &pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    y0 = y0.min(0.0);
    if x1 - x0 <= 0.0 {
        x0 -= 0.5 * x0.abs().max(1.0);
        x1 += 0.5 * x1.abs().max(1.0);
    }
    if y1 - y0 <= 0.0 {
        y1 = y0 + y0.abs().max(1.0);
    }
    let xt = nice_ticks(x0, x1, 6);
    let yt = nice_ticks(y0, y1, 5);
    let (x0, x1) = (
        xt.first().copied().unwrap_or(x0).min(x0),
        xt.last().copied().unwrap_or(x1).max(x1),
    );
    let (y0, y1) = (
        yt.first().copied().unwrap_or(y0).min(y0),
        yt.last().copied().unwrap_or(y1).max(y1),
    );
    let pw = W - LEFT - RIGHT;
    let ph = H - TOP - BOTTOM;
    let sx = |x: f64| LEFT + (x - x0) / (x1 - x0) * pw;
    let sy = |y: f64| TOP + ph - (y - y0) / (y1 - y0) * ph;
    // Grid and ticks.
    for &t in &yt {
        let y = sy(t);
        let _ = write!(
            out,
            "<line x1=\"{LEFT:.2}\" y1=\"{y:.2}\" x2=\"{:.2}\" y2=\"{y:.2}\" stroke=\"#eee\"/><text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            LEFT + pw,
            LEFT - 6.0,
            y + 4.0,
            escape(&tick_label(t))
        );
    }
    for &t in &xt {
        let x = sx(t);
        let _ = write!(
            out,
            "<line x1=\"{x:.2}\" y1=\"{TOP:.2}\" x2=\"{x:.2}\" y2=\"{:.2}\" stroke=\"#eee\"/><text x=\"{x:.2}\" y=\"{:.2}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            TOP + ph,
            TOP + ph + 16.0,
            escape(&tick_label(t))
        );
    }
    let _ = write!(
        out,
        "<rect x=\"{LEFT:.2}\" y=\"{TOP:.2}\" width=\"{pw:.2}\" height=\"{ph:.2}\" fill=\"none\" stroke=\"#444\"/>"
    );
    let _ = write!(
        out,
        "<text x=\"{:.2}\" y=\"{:.2}\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
        LEFT + pw / 2.0,
        H - 10.0,
        escape(&chart.x_label)
    );
    let _ = write!(
        out,
        "<text transform=\"translate(16 {:.2}) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">{}</text>",
        TOP + ph / 2.0,
        escape(&chart.y_label)
    );
    for (i, &(s, kind)) in all.iter().enumerate() {
        let colour = PALETTE[i % PALETTE.len()];
        let mut p: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        if kind == Kind::Line {
            p.sort_by(|a, b| a.0.total_cmp(&b.0));
            if p.len() > 1 {
                let path: Vec<String> = p
                    .iter()
                    .map(|&(x, y)| format!("{:.2},{:.2}", sx(x), sy(y)))
                    .collect();
                let dash = DASHES[(i / PALETTE.len() + i) % DASHES.len()];
                let dash = if dash.is_empty() {
                    String::new()
                } else {
                    format!(" stroke-dasharray=\"{dash}\"")
                };
                let _ = write!(
                    out,
                    "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
                    path.join(" ")
                );
            }
        }
        let markers = kind == Kind::Scatter || p.len() <= MARKERS_UP_TO;
        for &(x, y) in p.iter().filter(|_| markers) {
            let _ = write!(
                out,
                "<circle cx=\"{:.2}\" cy=\"{:.2}\" r=\"3\" fill=\"{colour}\"><title>{}: ({}, {})</title></circle>",
                sx(x),
                sy(y),
                escape(&s.name),
                escape(&tick_label(x)),
                escape(&tick_label(y))
            );
        }
        // Legend, below the plot.
        let ly = H + 4.0 + LEGEND_ROW * i as f64;
        let _ = write!(
            out,
            "<rect x=\"{:.2}\" y=\"{:.2}\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{:.2}\" y=\"{:.2}\" font-size=\"11\">{}</text>",
            LEFT,
            ly - 9.0,
            LEFT + 14.0,
            ly,
            escape(&s.name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_numbers_covering_the_range() {
        assert_eq!(
            nice_ticks(0.0, 1.0, 5),
            [0.0, 0.2, 0.4, 0.6000000000000001, 0.8, 1.0]
        );
        let t = nice_ticks(13.0, 87.0, 4);
        assert_eq!((t[0], *t.last().unwrap()), (0.0, 100.0));
        assert_eq!(tick_label(1_500_000.0), "1.5M");
        assert_eq!(tick_label(0.05), "0.05");
        assert_eq!(tick_label(-2.0), "-2");
    }

    #[test]
    fn renders_escaped_self_contained_markup() {
        let c = Chart {
            title: "a < b".into(),
            x_label: "x".into(),
            y_label: "y".into(),
            kind: Kind::Line,
            series: vec![Series {
                name: "s&t".into(),
                points: vec![(0.0, 1.0), (1.0, 2.0), (f64::NAN, 3.0)],
            }],
        };
        let svg = render(&c);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("a &lt; b") && svg.contains("s&amp;t"));
        assert!(svg.contains("<polyline"));
        assert!(!svg.contains("NaN"));
        assert_eq!(svg, render(&c), "deterministic");
        let empty = Chart {
            series: vec![],
            ..c.clone()
        };
        assert!(render(&empty).contains("no data"));
        let marked = render_with_points(
            &c,
            &[Series {
                name: "events".into(),
                points: vec![(0.5, 5.0)],
            }],
        );
        assert!(marked.contains("<polyline") && marked.contains("events"));
        assert_eq!(
            marked.matches("<circle").count(),
            3,
            "2 line markers + 1 event"
        );
    }
}
