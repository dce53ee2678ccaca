use super::*;

#[test]
fn scanner_finds_blocks_with_lines_and_tolerates_junk() {
    let input = b"junk\n-----BEGIN A-----\nQUJD\n-----END A-----\nmore junk\r\n  -----BEGIN B-----\r\nQUJD\r\n-----END B-----\r\n-----BEGIN C-----\nxx\n";
    let (items, truncated) = scan_pem(input, 10);
    assert!(!truncated);
    assert_eq!(items.len(), 3);
    let a = items[0].as_ref().unwrap();
    assert_eq!((a.index, a.line, a.label), (1, 2, "A"));
    assert_eq!(decode_body(a.body).unwrap(), b"ABC");
    let b = items[1].as_ref().unwrap();
    assert_eq!((b.index, b.line, b.label), (2, 6, "B"));
    assert_eq!(decode_body(b.body).unwrap(), b"ABC");
    let c = items[2].as_ref().err().unwrap();
    assert_eq!(c.location, "PEM block 3 (line 9)");
}

#[test]
fn mismatched_end_and_limits() {
    let (items, _) = scan_pem(b"-----BEGIN A-----\n-----END B-----\n", 10);
    assert!(items[0].is_err());
    let many = b"-----BEGIN A-----\n".repeat(20);
    let (items, truncated) = scan_pem(&many, 5);
    assert_eq!(items.len(), 5);
    assert!(truncated);
}

#[test]
fn body_decoding() {
    assert!(decode_body(b"Proc-Type: 4,ENCRYPTED\n\nQUJD\n").is_err());
    assert!(decode_body(b"\n\n").is_err());
    assert!(decode_body(b"QUJ").is_err());
    // a 76-column body
    let long = "QUJD".repeat(19);
    assert_eq!(decode_body(long.as_bytes()).unwrap(), b"ABC".repeat(19));
}

#[test]
fn problems_are_capped() {
    let input = b"-----BEGIN X-----\nQUJD\n-----END X-----\n".repeat(MAX_PROBLEMS + 10);
    let report = parse_pem_bundle(&input);
    assert_eq!(report.problems.len(), MAX_PROBLEMS + 1);
    assert_eq!(
        report.problems.last().unwrap().error.kind(),
        crate::ErrorKind::LimitExceeded
    );
}

/// `openssl cms -sign -stream` output: SignedData in BER (indefinite lengths, segmented
/// content) holding the signer's certificate.
const BER_SIGNED: &[u8] = include_bytes!("../../ber_testdata/signed-stream.der");

#[test]
fn ber_pkcs7_is_read() {
    // Not DER: the DER decoder alone refuses it.
    assert!(cms::content_info::ContentInfo::from_der(BER_SIGNED).is_err());
    let certs = parse_pkcs7(BER_SIGNED).unwrap();
    assert_eq!(certs.len(), 1);
    assert_eq!(certs[0].emails(), ["ber@example.com"]);
    let report = load_certificates(BER_SIGNED);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.certificates.len(), 1);
    assert_eq!(report.certificates[0].der(), certs[0].der());
    // The same in a PEM PKCS7 block.
    let pem = der::pem::encode_string("PKCS7", der::pem::LineEnding::LF, BER_SIGNED).unwrap();
    let report = parse_pem_bundle(pem.as_bytes());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.certificates.len(), 1);
    // Broken BER is a PKCS#7 parse problem, not a panic.
    let truncated = &BER_SIGNED[..BER_SIGNED.len() - 1];
    let err = parse_pkcs7(truncated).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Parse);
    assert!(err.to_string().contains("PKCS#7"), "{err}");
    assert_eq!(load_certificates(truncated).problems.len(), 1);
}

/// A DER element with a definite length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    tlv::tlv(tag, &[content])
}

#[test]
fn pkcs7_certificate_lists_stop_one_past_the_limit() {
    let p7 = |count: usize| {
        let certs = der(0xA0, &[0x30, 0x00].repeat(count));
        let data_oid = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
        ];
        let signed_oid = [
            0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
        ];
        let sd = der(
            0x30,
            &[
                &[0x02, 0x01, 0x01][..],
                &[0x31, 0x00],
                &der(0x30, &data_oid),
                &certs,
                &[0x31, 0x00],
            ]
            .concat(),
        );
        der(0x30, &[&signed_oid[..], &der(0xA0, &sd)].concat())
    };
    let err = parse_pkcs7(&p7(100_000)).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded, "{err}");
    assert!(
        err.to_string().contains("more than 10000 certificates"),
        "{err}"
    );
    // At the limit: every entry read (and each refused as no certificate).
    assert_eq!(
        pkcs7_entries(&p7(MAX_PKCS7_CERTIFICATES)).unwrap().len(),
        MAX_PKCS7_CERTIFICATES
    );
}

#[test]
fn junk_and_empty() {
    for input in [&b""[..], b"hello", b"\x30\x03\x02\x01"] {
        let r = load_certificates(input);
        assert!(r.certificates.is_empty());
        assert_eq!(r.problems.len(), 1);
        assert_eq!(r.problems[0].location, "input");
    }
    assert!(contains(b"ab-----BEGIN", b"-----BEGIN"));
    assert!(!contains(b"ab----BEGIN", b"-----BEGIN"));
}
