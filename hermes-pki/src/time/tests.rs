use super::*;

#[test]
fn rfc3339_times_parse() {
    let t = parse_rfc3339("2026-01-31T12:00:00Z").unwrap();
    assert_eq!(to_rfc3339(t), "2026-01-31T12:00:00Z");
    let t = parse_rfc3339("2026-01-31T13:00:00.250+01:00").unwrap();
    assert_eq!(to_rfc3339(t), "2026-01-31T12:00:00Z");
    let t = parse_rfc3339("2026-01-31T11:30:00-00:30").unwrap();
    assert_eq!(to_rfc3339(t), "2026-01-31T12:00:00Z");
    assert_eq!(unix_seconds(parse_rfc3339("1970-01-01").unwrap()), 0);
    assert_eq!(
        to_rfc3339(parse_rfc3339("2024-02-29").unwrap()),
        "2024-02-29T00:00:00Z"
    );
    for bad in [
        "",
        "2026",
        "2025-02-29",
        "2026-13-01",
        "2026-01-31T25:00:00Z",
        "2026-01-31T12:00:00",
        "2026-01-31T12:00Z",
        "tomorrow",
        "2026-01-31T12:00:00+1:00",
        "2026-01-31T12:00:00.Z",
        "\u{ff12}\u{ff10}\u{ff12}\u{ff16}-01-31",
    ] {
        let e = parse_rfc3339(bad).unwrap_err();
        assert!(
            matches!(e, crate::Error::InvalidArgument(_)),
            "{bad:?}: {e:?}"
        );
    }
}

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
