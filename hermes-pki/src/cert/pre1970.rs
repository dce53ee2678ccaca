//! Times before 1970 in certificates (and CRLs).
//!
//! RFC 5280 4.1.2.5.1 writes dates from 1950 to 2049 as UTCTime, two-digit years 50–99 being
//! 19YY. The `der` crate's time types start at 1970 (they convert to Unix time), so
//! `x509-cert` refuses a certificate with an earlier time, such as the notBefore of 1950 in
//! NIST PKITS 4.2.3.
//!
//! This module reads X.509 times itself ([`parse_time`]) and masks the times before 1970 in a
//! copy of an encoding ([`mask_pre1970_times`]): each is overwritten in place, at the same
//! length, with the Unix epoch, so lengths and offsets do not change and `x509-cert` decodes
//! the copy. The caller keeps the original bytes for everything that must be exact
//! (signatures, tbsCertificate, stored DER, thumbprints) and reads the real times from them
//! ([`parse_time_der`]; an element has the same offsets in the original and in the copy).

use std::ops::Range;
use std::time::{SystemTime, UNIX_EPOCH};

use der::Tag;

use crate::tlv::{self, Tlv};

/// How deep [`mask_pre1970_times`] looks into nested constructed elements. Certificate
/// validity times are at depth 3 and CRL revocation dates at depth 4.
const MAX_DEPTH: usize = 8;

/// The Unix epoch as a UTCTime value.
const EPOCH_UTC: &[u8; 13] = b"700101000000Z";
/// The Unix epoch as a GeneralizedTime value.
const EPOCH_GENERALIZED: &[u8; 15] = b"19700101000000Z";

fn digits(bytes: &[u8]) -> Option<u32> {
    bytes.iter().try_fold(0u32, |acc, b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

/// Reads an X.509 `Time` element as RFC 5280 4.1.2.5 encodes it: UTCTime `YYMMDDHHMMSSZ`
/// (YY of 50–99 is 19YY, 00–49 is 20YY) or GeneralizedTime `YYYYMMDDHHMMSSZ` (no fractional
/// seconds). Any other form, tag or an impossible date gives `None`.
pub(crate) fn parse_time(t: &Tlv<'_>) -> Option<SystemTime> {
    let (year, rest) = match (t.tag, t.value.len()) {
        (Tag::UtcTime, 13) => {
            let yy = i64::from(digits(t.value.get(..2)?)?);
            (
                if yy >= 50 { 1900 + yy } else { 2000 + yy },
                t.value.get(2..)?,
            )
        }
        (Tag::GeneralizedTime, 15) => (i64::from(digits(t.value.get(..4)?)?), t.value.get(4..)?),
        _ => return None,
    };
    // rest: MMDDHHMMSSZ
    if rest.get(10) != Some(&b'Z') {
        return None;
    }
    let field = |i: usize| rest.get(i..i + 2).and_then(digits);
    let (month, day) = (field(0)?, field(2)?);
    let (hour, minute, second) = (field(4)?, field(6)?, field(8)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = crate::time::days_from_civil(year, month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(crate::time::from_unix_seconds(secs))
}

/// Reads the raw DER of one X.509 `Time` element; see [`parse_time`].
pub(crate) fn parse_time_der(raw: &[u8]) -> Option<SystemTime> {
    parse_time(&tlv::single(raw).ok()?)
}

/// Collects the contents ranges (within `whole`) of the times before 1970 among the elements
/// of `input`, descending into constructed elements.
fn collect(whole: &[u8], input: &[u8], depth: usize, out: &mut Vec<Range<usize>>) {
    let Ok(elements) = tlv::elements(input) else {
        return;
    };
    for el in elements {
        if matches!(el.tag, Tag::UtcTime | Tag::GeneralizedTime) {
            if parse_time(&el).is_some_and(|t| t < UNIX_EPOCH)
                && let Some(start) =
                    (el.value.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)
            {
                out.push(start..start + el.value.len());
            }
        } else if el.tag.is_constructed() && depth < MAX_DEPTH {
            collect(whole, el.value, depth + 1, out);
        }
    }
}

/// A copy of `der` with every UTCTime or GeneralizedTime before 1970 (in constructed elements
/// up to a small depth; not inside OCTET STRINGs such as extension values) replaced by the Unix
/// epoch at the same length; `None` when there is no such time.
///
/// Meant as a second try after `x509-cert` refused an encoding: decode the copy, then read the
/// real values of the masked fields from the original bytes with [`parse_time_der`].
pub(crate) fn mask_pre1970_times(der: &[u8]) -> Option<Vec<u8>> {
    let mut times = Vec::new();
    collect(der, der, 0, &mut times);
    if times.is_empty() {
        return None;
    }
    let mut copy = der.to_vec();
    for range in &times {
        let slot = copy.get_mut(range.clone())?;
        let epoch: &[u8] = if slot.len() == EPOCH_UTC.len() {
            EPOCH_UTC
        } else {
            EPOCH_GENERALIZED
        };
        if slot.len() != epoch.len() {
            return None;
        }
        slot.copy_from_slice(epoch);
    }
    Some(copy)
}

#[cfg(test)]
mod tests {
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
}
