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
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formats_known_instants() {
        assert_eq!(to_rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00Z");
        assert_eq!(
            to_rfc3339(from_unix_seconds(951_782_400)),
            "2000-02-29T00:00:00Z"
        );
        assert_eq!(to_rfc3339(from_unix_seconds(-1)), "1969-12-31T23:59:59Z");
        // PKITS 4.2.3's notBefore, and the earliest UTCTime (RFC 5280 4.1.2.5.1).
        assert_eq!(
            to_rfc3339(UNIX_EPOCH - Duration::from_secs(631_108_740)),
            "1950-01-01T12:01:00Z"
        );
        assert_eq!(
            to_rfc3339(from_unix_seconds(-631_152_000)),
            "1950-01-01T00:00:00Z"
        );
        assert_eq!(
            to_rfc3339(from_unix_seconds(4_102_444_799)),
            "2099-12-31T23:59:59Z"
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000_i64, -1, 0, 1, 11_016, 20_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        let t = from_unix_seconds(1_763_900_000); // 2025-11-23T12:13:20Z
        assert_eq!(to_rfc3339(add_years(t, 5)), "2030-11-23T12:13:20Z");
        assert_eq!(to_rfc3339(add_days(t, 1825)), "2030-11-22T12:13:20Z");
    }

    #[test]
    fn unix_round_trip_and_fixed_clock() {
        for s in [-86_400_i64, 0, 1, 1_700_000_000] {
            assert_eq!(unix_seconds(from_unix_seconds(s)), s);
        }
        assert_eq!(unix_seconds(FixedClock::from_unix(42).now()), 42);
    }
}
