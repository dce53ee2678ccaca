#![no_main]
//! The BER-to-DER converter (`hermes_pki::ber`) that every CMS and PKCS#12 input goes through.
//!
//! Beyond "never panics", each input checks:
//! - `to_der` and `to_der_secret` agree (same bytes, or errors of the same kind);
//! - the output is DER-shaped by an independent checker (below): definite minimal lengths, no
//!   constructed universal string types, one element, and converting it again returns it borrowed;
//! - the input comes back borrowed exactly when the independent checker finds it DER-shaped.
use std::borrow::Cow;

use hermes_pki::ber::{self, BerLimits};
use libfuzzer_sys::fuzz_target;

const WHAT: &str = "fuzz input";

fuzz_target!(|data: &[u8]| {
    let limits = BerLimits::default();
    let result = ber::to_der(data, WHAT, &limits);
    let secret = ber::to_der_secret(data, WHAT, &limits);
    match (&result, &secret) {
        (Ok(a), Ok(b)) => assert_eq!(&a[..], &b[..], "to_der and to_der_secret differ"),
        (Err(a), Err(b)) => {
            assert_eq!(a.kind(), b.kind());
            assert!(a.to_string().contains(WHAT), "{a}");
        }
        _ => panic!("to_der and to_der_secret disagree: {result:?} / {secret:?}"),
    }
    let shaped = der_shaped(data, limits.max_depth);
    assert_eq!(
        matches!(result, Ok(Cow::Borrowed(_))),
        shaped,
        "borrowed output must mean DER-shaped input"
    );
    if let Ok(out) = result {
        if let Cow::Borrowed(b) = &out {
            assert_eq!(b.as_ptr(), data.as_ptr());
        }
        assert!(
            der_shaped(&out, limits.max_depth),
            "the output is not DER-shaped"
        );
        let again = ber::to_der(&out, WHAT, &limits).expect("the output converts again");
        assert!(
            matches!(again, Cow::Borrowed(_)),
            "conversion is not idempotent"
        );
    }
});

/// Whether `data` is exactly one element with definite minimal lengths throughout, no
/// constructed universal string types, well-formed identifiers and nesting within `max_depth`.
/// Written independently of the converter, as simply as possible.
fn der_shaped(data: &[u8], max_depth: usize) -> bool {
    matches!(element(data, 1, max_depth), Some(n) if n == data.len())
}

/// The length of the DER-shaped element at the start of `data`.
fn element(data: &[u8], depth: usize, max_depth: usize) -> Option<usize> {
    if depth > max_depth {
        return None;
    }
    let first = *data.first()?;
    let mut i = 1;
    let mut number: u64 = u64::from(first & 0x1F);
    if number == 0x1F {
        number = 0;
        loop {
            let b = *data.get(i)?;
            if i == 1 && b == 0x80 {
                return None;
            }
            number = (number << 7) | u64::from(b & 0x7F);
            if number > u64::from(u32::MAX) {
                return None;
            }
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
        }
        if number < 0x1F {
            return None;
        }
    }
    let universal = first & 0xC0 == 0;
    let constructed = first & 0x20 != 0;
    if universal && number == 0 {
        return None;
    }
    let string_type = matches!(number, 3 | 4 | 7 | 12 | 18..=28 | 30);
    if universal && constructed && string_type {
        return None;
    }
    let l = *data.get(i)?;
    i += 1;
    let len = if l < 0x80 {
        usize::from(l)
    } else {
        let n = usize::from(l & 0x7F);
        if n == 0 || n > 8 {
            return None; // indefinite, or longer than any input
        }
        let bytes = data.get(i..i + n)?;
        i += n;
        if bytes[0] == 0 {
            return None;
        }
        let len = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        if len < 0x80 {
            return None;
        }
        usize::try_from(len).ok()?
    };
    let contents = data.get(i..i.checked_add(len)?)?;
    if constructed {
        let mut pos = 0;
        while pos < contents.len() {
            pos += element(&contents[pos..], depth + 1, max_depth)?;
        }
    }
    Some(i + len)
}
