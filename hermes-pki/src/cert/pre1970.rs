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
mod tests;
