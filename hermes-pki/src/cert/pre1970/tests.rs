use super::*;
use crate::time::to_rfc3339;

/// One DER element (definite, minimal length).
fn wrap(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut v = vec![tag];
    match len {
        0..=0x7F => v.push(len as u8),
        0x80..=0xFF => v.extend([0x81, len as u8]),
        _ => v.extend([0x82, (len >> 8) as u8, len as u8]),
    }
    v.extend_from_slice(content);
    v
}

fn time(tag: u8, s: &str) -> Vec<u8> {
    wrap(tag, s.as_bytes())
}

#[test]
fn parses_utc_and_generalized_times() {
    let t = |tag, s| parse_time_der(&time(tag, s)).map(to_rfc3339);
    assert_eq!(t(0x17, "500101120100Z").unwrap(), "1950-01-01T12:01:00Z");
    assert_eq!(t(0x17, "691231235959Z").unwrap(), "1969-12-31T23:59:59Z");
    assert_eq!(t(0x17, "700101000000Z").unwrap(), "1970-01-01T00:00:00Z");
    assert_eq!(t(0x17, "491231235959Z").unwrap(), "2049-12-31T23:59:59Z");
    assert_eq!(t(0x17, "000229000000Z").unwrap(), "2000-02-29T00:00:00Z");
    assert_eq!(t(0x18, "19450508120000Z").unwrap(), "1945-05-08T12:00:00Z");
    assert_eq!(t(0x18, "20500101000000Z").unwrap(), "2050-01-01T00:00:00Z");
    for bad in [
        (0x17, "500101120100"),  // no Z
        (0x17, "5001011201Z"),   // no seconds
        (0x17, "501301120100Z"), // month 13
        (0x17, "500230120100Z"), // 30 February
        (0x17, "010229000000Z"), // 29 February 2001
        (0x17, "500101240000Z"), // hour 24
        (0x17, "5001011201+0Z"), // not digits
        (0x17, "500101120100+0100"),
        (0x18, "19450508120000.5Z"),
        (0x18, "1945050812000Z"),
        (0x04, "500101120100Z"), // not a time
    ] {
        assert_eq!(t(bad.0, bad.1), None, "{bad:?}");
    }
    assert_eq!(parse_time_der(&[]), None);
    assert_eq!(parse_time_der(&[0x17, 0x20]), None);
}

#[test]
fn masks_only_times_before_1970() {
    // SEQUENCE { SEQUENCE { UTCTime 1950, UTCTime 2030 }, GeneralizedTime 1901, OCTET
    // STRING { UTCTime 1950 } }
    let early = time(0x17, "500101120100Z");
    let late = time(0x17, "301231083000Z");
    let general = time(0x18, "19010101000000Z");
    let inner = wrap(0x30, &[early.clone(), late.clone()].concat());
    let octets = wrap(0x04, &early);
    let der = wrap(0x30, &[inner, general, octets.clone()].concat());

    let masked = mask_pre1970_times(&der).unwrap();
    let expected = wrap(
        0x30,
        &[
            wrap(0x30, &[time(0x17, "700101000000Z"), late.clone()].concat()),
            time(0x18, "19700101000000Z"),
            // The time inside the OCTET STRING is left alone.
            octets,
        ]
        .concat(),
    );
    assert_eq!(masked, expected);

    // Nothing before 1970, nothing masked; garbage is not an error.
    let only_late = wrap(0x30, &late);
    assert!(mask_pre1970_times(&only_late).is_none());
    assert!(mask_pre1970_times(&[0x30, 0x05, 0x17]).is_none());
    assert!(mask_pre1970_times(&[]).is_none());
}

#[test]
fn deep_nesting_is_bounded() {
    // 2,000 nested SEQUENCEs around an early time: no stack exhaustion, and the time is
    // below the depth looked at; at depth 3 it is found.
    let mut der = time(0x17, "500101120100Z");
    for level in 1..=2000 {
        der = wrap(0x30, &der);
        if level == 3 {
            assert!(mask_pre1970_times(&der).is_some());
        }
    }
    assert!(mask_pre1970_times(&der).is_none());
}
