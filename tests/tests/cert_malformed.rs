//! `cert` on hostile input: never a panic, always a typed error.

use hermes_pki::cert::{Certificate, load_certificates};
use hermes_pki::{Error, ErrorKind};
use hermes_pki_tests::{KeyKind, self_signed};

fn real_cert() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let ca = self_signed(
        dir.path(),
        "c",
        KeyKind::P256,
        "/CN=c",
        "keyUsage = digitalSignature",
    );
    ca.der()
}

fn is_malformed_cert(e: &Error) -> bool {
    matches!(
        e,
        Error::Malformed {
            what: "certificate",
            ..
        }
    )
}

#[test]
fn every_truncation_is_malformed() {
    let der = real_cert();
    for n in 0..der.len() {
        let e = Certificate::from_der(&der[..n]).unwrap_err();
        assert!(is_malformed_cert(&e), "prefix {n}: {e}");
        let r = load_certificates(&der[..n]);
        assert!(r.certificates.is_empty());
        assert_eq!(r.problems.len(), 1);
    }
}

#[test]
fn trailing_bytes_and_bit_flips() {
    let der = real_cert();
    let mut long = der.clone();
    long.push(0);
    assert!(is_malformed_cert(
        &Certificate::from_der(&long).unwrap_err()
    ));
    let good = Certificate::from_der(&der).unwrap();
    assert!(good.is_self_signed());
    // Flip a bit in the last byte of the signature.
    let mut flipped = der.clone();
    *flipped.last_mut().unwrap() ^= 1;
    if let Ok(bad) = Certificate::from_der(&flipped) {
        assert!(!bad.is_self_signed());
        assert!(bad.verify_issued_by(&bad).is_err());
    }
}

#[test]
fn wrong_label_garbage_random_empty() {
    let e = Certificate::from_pem("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
        .unwrap_err();
    assert!(matches!(e, Error::UnexpectedPemLabel { .. }));
    let e = Certificate::from_pem("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    for input in [
        &b""[..],
        b"garbage",
        b"\x30\x80\x00\x00",
        b"-----BEGIN CERTIFICATE-----\n",
    ] {
        let r = load_certificates(input);
        assert!(r.certificates.is_empty());
        assert_eq!(r.problems.len(), 1, "{input:?}");
    }
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    for len in [1usize, 10, 100, 1000, 10_000] {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let r = load_certificates(&bytes);
        assert!(r.certificates.is_empty());
        assert!(!r.problems.is_empty());
        assert!(Certificate::from_der(&bytes).is_err());
    }
}

#[test]
fn fifty_megabytes_of_pem_ish_junk() {
    let mut junk = Vec::with_capacity(50 << 20);
    while junk.len() < 50 << 20 {
        junk.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\njunk ----- text\n");
    }
    let r = load_certificates(&junk);
    assert!(r.certificates.is_empty());
    assert!(!r.problems.is_empty());
    let r = load_certificates(&vec![b'x'; 50 << 20]);
    assert_eq!(r.problems.len(), 1);
}
