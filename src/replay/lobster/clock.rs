//! LOBSTER times are seconds after midnight in New York, with the date
//! only in the file name (`AAPL_2012-06-21_34200000_57600000_message_10.csv`).
//! This turns a file name into the instrument's symbol and the UTC time of
//! that day's midnight plus the day's offset, so that events carry true
//! UTC.
//!
//! Owns: the file-name convention and New York's daylight-saving rules
//! (US federal rules: since 2007 from the second Sunday of March to the
//! first Sunday of November; 1987-2006 from the first Sunday of April to
//! the last Sunday of October; earlier dates are refused).
//! Must not: read files.
//!
//! The offset is that of the trading day (from 02:00 local on): a LOBSTER
//! time before 02:00 on the two changeover days would be an hour off; no
//! NASDAQ session is open then.

use crate::replay::time::days_from_civil;

/// ns in an hour.
const HOUR_NS: i64 = 3_600_000_000_000;

/// What a LOBSTER file name says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LobsterName {
    /// The ticker (the name up to the first `_`).
    pub symbol: String,
    /// The trading day, (year, month, day), where the name has one.
    pub date: Option<(i64, u32, u32)>,
}

/// Reads a LOBSTER file name (any folders before it are ignored).
pub fn parse_name(path: &str) -> LobsterName {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let mut parts = file.split('_');
    let symbol = parts.next().unwrap_or("").to_string();
    let date = parts.next().and_then(parse_date);
    LobsterName { symbol, date }
}

fn parse_date(s: &str) -> Option<(i64, u32, u32)> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    let d: u32 = it.next()?.parse().ok()?;
    if it.next().is_some() || !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return None;
    }
    Some((y, m, d))
}

fn leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        2 if leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Day of the week, 0 = Sunday.
fn weekday(days: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (days + 4).rem_euclid(7)
}

/// The day number of the `n`th (1-based) Sunday of a month, or with `n`
/// 0 the last one.
fn sunday(y: i64, m: u32, n: u32) -> i64 {
    if n == 0 {
        let last = days_from_civil(y, m, days_in_month(y, m));
        return last - weekday(last);
    }
    let first = days_from_civil(y, m, 1);
    first + (7 - weekday(first)) % 7 + 7 * (n as i64 - 1)
}

/// True when New York keeps daylight-saving time on that day (from 02:00
/// on); `None` before 1987, whose rules are not kept here.
pub fn new_york_dst(y: i64, m: u32, d: u32) -> Option<bool> {
    let day = days_from_civil(y, m, d);
    let (start, end) = if y >= 2007 {
        (sunday(y, 3, 2), sunday(y, 11, 1))
    } else if y >= 1987 {
        (sunday(y, 4, 1), sunday(y, 10, 0))
    } else {
        return None;
    };
    Some(day >= start && day < end)
}

/// UTC ns of New York's midnight on that day, shifted by the day's offset
/// (so that adding LOBSTER's seconds after midnight gives UTC).
pub fn day_start_utc_ns(y: i64, m: u32, d: u32) -> Option<i64> {
    let offset_h = if new_york_dst(y, m, d)? { 4 } else { 5 };
    days_from_civil(y, m, d)
        .checked_mul(24 * HOUR_NS)?
        .checked_add(offset_h * HOUR_NS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::replay::time::iso_time;

    #[test]
    fn the_sample_opens_at_13_30_utc() {
        let n =
            parse_name("../shared/data/lobster/AAPL_2012-06-21_34200000_57600000_message_10.csv");
        assert_eq!(n.symbol, "AAPL");
        assert_eq!(n.date, Some((2012, 6, 21)));
        let start = day_start_utc_ns(2012, 6, 21).unwrap();
        assert_eq!(
            iso_time(start + 34_200_004_241_176),
            "2012-06-21T13:30:00.004241176Z"
        );
    }

    #[test]
    fn winter_is_five_hours_and_the_changeovers_follow_the_rules() {
        let t = |y, m, d| iso_time(day_start_utc_ns(y, m, d).unwrap() + 9 * HOUR_NS + HOUR_NS / 2);
        assert_eq!(t(2012, 1, 3), "2012-01-03T14:30:00.000Z");
        // 2012: DST from Sunday 11 March to Sunday 4 November.
        assert_eq!(t(2012, 3, 9), "2012-03-09T14:30:00.000Z");
        assert_eq!(t(2012, 3, 12), "2012-03-12T13:30:00.000Z");
        assert_eq!(t(2012, 11, 2), "2012-11-02T13:30:00.000Z");
        assert_eq!(t(2012, 11, 5), "2012-11-05T14:30:00.000Z");
        // 2006: first Sunday of April (2nd) to last Sunday of October (29th).
        assert_eq!(new_york_dst(2006, 4, 1), Some(false));
        assert_eq!(new_york_dst(2006, 4, 3), Some(true));
        assert_eq!(new_york_dst(2006, 10, 27), Some(true));
        assert_eq!(new_york_dst(2006, 10, 30), Some(false));
        assert_eq!(new_york_dst(1980, 6, 1), None);
    }

    #[test]
    fn names_without_a_date_have_none() {
        assert_eq!(parse_name("msgs.csv").date, None);
        assert_eq!(parse_name("AAPL_2012-02-30_x").date, None);
        assert_eq!(parse_name("-").symbol, "-");
    }
}
