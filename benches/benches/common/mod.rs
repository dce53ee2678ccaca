//! Shared helpers of the benchmarks (included with `mod common;`): the OpenSSL side's certificate
//! scaffolding, and the text messages the gateway benchmarks protect and open.
#![allow(clippy::expect_used, dead_code)]

use openssl::asn1::Asn1Time;
use openssl::bn::BigNum;
use openssl::pkey::{PKey, Private};
use openssl::x509::{X509Builder, X509Name, X509NameBuilder, X509NameRef};

/// An X.509 name from `(field, value)` pairs in OpenSSL's short names (`CN`, `O`,
/// `emailAddress`, ...).
pub fn openssl_name(entries: &[(&str, &str)]) -> X509Name {
    let mut name = X509NameBuilder::new().expect("name");
    for (field, value) in entries {
        name.append_entry_by_text(field, value).expect("name entry");
    }
    name.build()
}

/// A version 3 certificate builder with serial, subject, issuer, public key and a validity of
/// `days` from now: what every OpenSSL-side certificate of the benchmarks starts from. The
/// caller adds extensions and signs.
pub fn openssl_builder(
    key: &PKey<Private>,
    subject: &X509NameRef,
    issuer: &X509NameRef,
    serial: &BigNum,
    days: u32,
) -> X509Builder {
    let mut b = X509Builder::new().expect("builder");
    b.set_version(2).expect("version");
    b.set_serial_number(&serial.to_asn1_integer().expect("int"))
        .expect("serial");
    b.set_subject_name(subject).expect("subject");
    b.set_issuer_name(issuer).expect("issuer");
    b.set_pubkey(key).expect("pubkey");
    b.set_not_before(&Asn1Time::days_from_now(0).expect("t"))
        .expect("not before");
    b.set_not_after(&Asn1Time::days_from_now(days).expect("t"))
        .expect("not after");
    b
}

/// `head` (header fields and the blank line after them) followed by numbered CRLF text lines:
/// exactly `size` bytes, the last two a CRLF. The messages of the memory and throughput
/// benchmarks (the S/MIME benchmark's entity ends mid-line, so that its detached content
/// comes back byte for byte).
pub fn text_message(head: &[u8], size: usize) -> Vec<u8> {
    let mut m = head.to_vec();
    let mut i = 0u64;
    while m.len() < size {
        m.extend_from_slice(
            format!("Line {i:08}: the quick brown fox jumps over the lazy dog.\r\n").as_bytes(),
        );
        i += 1;
    }
    m.truncate(size.saturating_sub(2));
    m.extend_from_slice(b"\r\n");
    m
}
