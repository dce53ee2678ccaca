use super::*;

/// A DER element with a definite length.
fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    tlv::tlv(tag, &[content])
}

/// A self-signed certificate with one extension of this raw value.
fn with_extension(id: ObjectIdentifier, value: Vec<u8>) -> Result<Certificate> {
    use crate::ca::sign::{TbsParts, random_serial, sign_certificate};
    use crate::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme};
    let key = PrivateKey::generate(KeySpec::EcP256)?;
    let subject = crate::ca::DistinguishedName::new("caps").to_der()?;
    let now = SystemTime::now();
    sign_certificate(
        TbsParts {
            serial: &random_serial()?,
            issuer_der: &subject,
            subject_der: &subject,
            spki_der: &key.public_key_der(),
            not_before: now,
            not_after: crate::time::add_days(now, 1),
            extensions: vec![x509_cert::ext::Extension {
                extn_id: id,
                critical: false,
                extn_value: der::asn1::OctetString::new(value).unwrap(),
            }],
        },
        &key,
        SignatureScheme::Ecdsa(HashAlg::Sha256),
    )
}

#[test]
fn san_entries_and_distribution_points_are_capped() {
    let san = |n: usize| {
        let names: Vec<u8> = (0..n)
            .flat_map(|i| der_tlv(0x81, format!("u{i}@example.com").as_bytes()))
            .collect();
        der_tlv(0x30, &names)
    };
    let err = with_extension(oid::CE_SUBJECT_ALT_NAME, san(100_000)).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("more than 10000 names"), "{err}");
    let ok = with_extension(oid::CE_SUBJECT_ALT_NAME, san(MAX_SAN_ENTRIES)).unwrap();
    assert_eq!(ok.emails().len(), MAX_SAN_ENTRIES);

    let dps = |n: usize| {
        let uri = der_tlv(0x86, b"http://crl.example/c.crl");
        let point = der_tlv(0x30, &der_tlv(0xA0, &der_tlv(0xA0, &uri)));
        der_tlv(0x30, &point.repeat(n))
    };
    let err = with_extension(oid::CE_CRL_DISTRIBUTION_POINTS, dps(1_000)).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::LimitExceeded, "{err}");
    assert!(
        err.to_string()
            .contains("more than 64 CRL distribution points"),
        "{err}"
    );
    let ok = with_extension(oid::CE_CRL_DISTRIBUTION_POINTS, dps(64)).unwrap();
    assert_eq!(ok.crl_distribution_points().len(), 64);
}

#[test]
fn normalises_emails() {
    assert_eq!(
        normalize_email("user@Bücher.example").unwrap(),
        "user@xn--bcher-kva.example"
    );
    assert_eq!(
        normalize_email("Alice@EXAMPLE.com").unwrap(),
        "Alice@example.com"
    );
    assert_eq!(
        normalize_email("  bob@example.org\n").unwrap(),
        "bob@example.org"
    );
    assert_eq!(normalize_email("x@[192.0.2.1]").unwrap(), "x@[192.0.2.1]");
    assert_eq!(
        normalize_email("user@xn--bcher-kva.example").unwrap(),
        "user@xn--bcher-kva.example"
    );
    for bad in [
        "a@b@c",
        "nodomain",
        "",
        "@example.com",
        "user@",
        "us er@example.com",
        "a@exa mple.com",
        "a@ex..com",
    ] {
        let err = normalize_email(bad).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument, "{bad:?}");
    }
}

#[test]
fn serial_hex_parsing() {
    assert_eq!(
        Serial::from_hex("01:A2 ff").unwrap().as_bytes(),
        &[0x01, 0xA2, 0xFF]
    );
    assert_eq!(Serial::from_hex("0x1a2f").unwrap().to_string(), "1A2F");
    assert_eq!(Serial::from_hex("abc").unwrap().as_bytes(), &[0x0A, 0xBC]);
    assert_eq!(Serial::from_hex("00 00 05").unwrap().as_bytes(), &[5]);
    assert_eq!(Serial::from_hex("0").unwrap().as_bytes(), &[0]);
    assert!(Serial::from_hex("").is_err());
    assert!(Serial::from_hex("xyz").is_err());
    assert_eq!(Serial::from_bytes(&[]).as_bytes(), &[] as &[u8]);
}

#[test]
fn integer_magnitudes() {
    assert_eq!(integer_magnitude(&[0x00, 0x80]), vec![0x00, 0x80]);
    assert_eq!(integer_magnitude(&[0xFF]), vec![0x01]);
    assert_eq!(integer_magnitude(&[0xFF, 0x00]), vec![0x01, 0x00]);
}

#[test]
fn key_usage_bits() {
    // digitalSignature + keyEncipherment: BIT STRING 05 A0
    let ku = parse_key_usage(&[0x03, 0x02, 0x05, 0xA0]).unwrap();
    assert!(ku.digital_signature && ku.key_encipherment && !ku.non_repudiation);
    // decipherOnly: bit 8
    let ku = parse_key_usage(&[0x03, 0x03, 0x07, 0x00, 0x80]).unwrap();
    assert!(ku.decipher_only && !ku.digital_signature);
    assert!(parse_key_usage(&[0x04, 0x00]).is_err());
}

#[test]
fn basic_constraints_forms() {
    assert_eq!(
        parse_basic_constraints(&[0x30, 0x00]).unwrap(),
        BasicConstraints {
            ca: false,
            path_len: None
        }
    );
    assert_eq!(
        parse_basic_constraints(&[0x30, 0x06, 0x01, 0x01, 0xFF, 0x02, 0x01, 0x03]).unwrap(),
        BasicConstraints {
            ca: true,
            path_len: Some(3)
        }
    );
    assert!(parse_basic_constraints(&[0x30, 0x03, 0x02, 0x01, 0xFF]).is_err());
    assert!(parse_basic_constraints(&[0x04, 0x00]).is_err());
}
