//! Calendar arithmetic for the replay: UTC ISO 8601 times out (every
//! output), in (tardis-machine's `timestamp` strings), and day numbers of
//! civil dates (LOBSTER's trading day), proleptic Gregorian, no time zone
//! database.
//!
//! Owns: the conversions between ns since the Unix epoch and civil time.
//! Must not: read a clock.

/// ns in a day.
const DAY_NS: i64 = 86_400_000_000_000;

/// Civil date of a day number (days since 1970-01-01).
pub fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// Day number (days since 1970-01-01) of a civil date.
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// ns since the Unix epoch as UTC ISO 8601, fraction to the ms at least
/// and to the ns where it has digits there.
pub fn iso_time(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let frac = ns.rem_euclid(1_000_000_000);
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    let mut f = format!("{frac:09}");
    while f.len() > 3 && f.ends_with('0') {
        f.pop();
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{f}Z",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    )
}

fn digits(b: &[u8]) -> Option<i64> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    b.iter().try_fold(0i64, |a, &c| {
        a.checked_mul(10)?.checked_add((c - b'0') as i64)
    })
}

/// Parses a UTC ISO 8601 time `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (up to 9
/// fraction digits; `Z` or `+00:00`) into ns since the Unix epoch.
pub fn parse_iso_utc(b: &[u8]) -> Option<i64> {
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b'T'
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let (y, mo, d) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (h, mi, s) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut frac = 0i64;
    if rest.first() == Some(&b'.') {
        let n = rest[1..].iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return None;
        }
        frac = digits(&rest[1..=n])? * 10i64.pow(9 - n as u32);
        rest = &rest[1 + n..];
    }
    if rest != b"Z" && rest != b"+00:00" {
        return None;
    }
    let days = days_from_civil(y, mo as u32, d as u32);
    days.checked_mul(DAY_NS)?
        .checked_add((h * 3600 + mi * 60 + s) * 1_000_000_000 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_print_in_utc() {
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            iso_time(1_723_161_256_299_000_000),
            "2024-08-08T23:54:16.299Z"
        );
        assert_eq!(
            iso_time(951_782_400_000_000_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(iso_time(-1_000_000), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn days_round_trip_and_iso_parses_back() {
        for days in [-800_000, -1, 0, 1, 11_016, 15_512, 19_578, 2_932_896] {
            let (y, m, d) = civil(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        for ns in [0, 1_723_161_256_299_000_000, 1_585_699_200_245_123_456] {
            assert_eq!(parse_iso_utc(iso_time(ns).as_bytes()), Some(ns));
        }
        assert_eq!(
            parse_iso_utc(b"2019-10-23T10:32:49.669Z"),
            Some(1_571_826_769_669_000_000)
        );
        assert_eq!(
            parse_iso_utc(b"2019-10-23T10:32:49Z"),
            Some(1_571_826_769_000_000_000)
        );
        for bad in [
            &b"2019-10-23 10:32:49Z"[..],
            b"2019-13-23T10:32:49Z",
            b"2019-10-23T10:32:49.Z",
            b"x",
        ] {
            assert_eq!(parse_iso_utc(bad), None);
        }
    }
}
