//! Time as a parameter.
//!
//! Nothing in the library reads the system clock deep inside its logic: operations that depend
//! on "now" take a [`Clock`] (or an explicit validation time), so tests and callers can pin it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A source of the current time.
pub trait Clock: Send + Sync {
    /// The current time.
    fn now(&self) -> SystemTime;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// A clock stopped at one instant, for tests and for validating "as of" a given time.
#[derive(Debug, Clone, Copy)]
pub struct FixedClock(pub SystemTime);

impl FixedClock {
    /// A clock fixed at `secs` seconds after the Unix epoch.
    pub fn from_unix(secs: u64) -> Self {
        FixedClock(UNIX_EPOCH + Duration::from_secs(secs))
    }
}

impl Clock for FixedClock {
    fn now(&self) -> SystemTime {
        self.0
    }
}

/// Seconds since the Unix epoch (negative before 1970).
pub fn unix_seconds(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => i64::try_from(e.duration().as_secs()).map_or(i64::MIN, |s| -s),
    }
}

/// The instant `secs` seconds after (or, if negative, before) the Unix epoch.
pub fn from_unix_seconds(secs: i64) -> SystemTime {
    if secs >= 0 {
        UNIX_EPOCH + Duration::from_secs(secs.unsigned_abs())
    } else {
        UNIX_EPOCH - Duration::from_secs(secs.unsigned_abs())
    }
}

/// Formats a time as RFC 3339 in UTC (`2026-11-22T19:08:05Z`), whole seconds.
pub fn to_rfc3339(t: SystemTime) -> String {
    let secs = unix_seconds(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

/// Parses an RFC 3339 time (`2026-01-31T12:00:00Z`, `2026-01-31T13:00:00+01:00`, fractions of
/// a second ignored, a leap second read as :59) or a plain date (`2026-01-31`, midnight UTC).
/// The separator between date and time may be `T`, `t` or a space; the offset is required
/// after a time.
///
/// ```
/// use hermes_pki::time::{parse_rfc3339, to_rfc3339};
///
/// let t = parse_rfc3339("2026-01-31T13:00:00.250+01:00")?;
/// assert_eq!(to_rfc3339(t), "2026-01-31T12:00:00Z");
/// assert_eq!(to_rfc3339(parse_rfc3339("2024-02-29")?), "2024-02-29T00:00:00Z");
/// assert!(parse_rfc3339("2025-02-29").is_err());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::InvalidArgument`](crate::Error::InvalidArgument) naming the text when it is not
/// such a time.
pub fn parse_rfc3339(text: &str) -> crate::Result<SystemTime> {
    let bad = || crate::Error::InvalidArgument(format!("{text:?} is not an RFC 3339 time"));
    let num = |part: Option<&str>, len: usize| -> crate::Result<i64> {
        match part {
            Some(p) if p.len() == len && p.bytes().all(|b| b.is_ascii_digit()) => {
                p.parse::<i64>().map_err(|_| bad())
            }
            _ => Err(bad()),
        }
    };
    let s = text.trim();
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (s.get(..i).unwrap_or(""), s.get(i + 1..)),
        None => (s, None),
    };
    let mut d = date.split('-');
    let (y, m, day) = (num(d.next(), 4)?, num(d.next(), 2)?, num(d.next(), 2)?);
    // The checks above bound month and day to two digits, so the casts below are exact.
    if d.next().is_some() || !(1..=12).contains(&m) || !(1..=days_in_month(y, m)).contains(&day) {
        return Err(bad());
    }
    let mut secs = days_from_civil(y, m as u32, day as u32) * 86_400;
    if let Some(time) = time {
        let (clock, offset) = if let Some(t) = time.strip_suffix(['Z', 'z']) {
            (t, 0)
        } else if let Some(i) = time.rfind(['+', '-']) {
            let (t, o) = time.split_at(i);
            let sign = if o.starts_with('-') { -1 } else { 1 };
            let mut hm = o.get(1..).unwrap_or("").split(':');
            let (oh, om) = (num(hm.next(), 2)?, num(hm.next(), 2)?);
            if hm.next().is_some() || oh > 23 || om > 59 {
                return Err(bad());
            }
            (t, sign * (oh * 3600 + om * 60))
        } else {
            return Err(bad());
        };
        let clock = match clock.split_once('.') {
            Some((c, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => c,
            Some(_) => return Err(bad()),
            None => clock,
        };
        let mut hms = clock.split(':');
        let (h, mi, se) = (
            num(hms.next(), 2)?,
            num(hms.next(), 2)?,
            num(hms.next(), 2)?,
        );
        if hms.next().is_some() || h > 23 || mi > 59 || se > 60 {
            return Err(bad());
        }
        secs += h * 3600 + mi * 60 + se.min(59) - offset;
    }
    Ok(from_unix_seconds(secs))
}

/// The number of days in month `m` (1 to 12) of year `y`.
fn days_in_month(y: i64, m: i64) -> i64 {
    match m {
        2 if is_leap(y) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `t` moved by `years` calendar years (same month, day and time of day; 29 February becomes
/// 28 February in a year that has none).
///
/// ```
/// use hermes_pki::time::{add_years, from_unix_seconds, to_rfc3339};
///
/// let leap_day = from_unix_seconds(951_782_400); // 2000-02-29T00:00:00Z
/// assert_eq!(to_rfc3339(add_years(leap_day, 1)), "2001-02-28T00:00:00Z");
/// assert_eq!(to_rfc3339(add_years(leap_day, 4)), "2004-02-29T00:00:00Z");
/// ```
pub fn add_years(t: SystemTime, years: i64) -> SystemTime {
    let secs = unix_seconds(t);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let y = y.saturating_add(years);
    let d = if m == 2 && d == 29 && !is_leap(y) {
        28
    } else {
        d
    };
    from_unix_seconds(
        days_from_civil(y, m, d)
            .saturating_mul(86_400)
            .saturating_add(rem),
    )
}

/// `t` moved by `days` days of 86,400 seconds.
pub fn add_days(t: SystemTime, days: i64) -> SystemTime {
    from_unix_seconds(unix_seconds(t).saturating_add(days.saturating_mul(86_400)))
}

fn is_leap(y: i64) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

/// A proleptic Gregorian date to days since 1970-01-01 (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian (year, month, day) (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests;
