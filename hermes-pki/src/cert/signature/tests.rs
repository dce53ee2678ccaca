use super::*;
use crate::ErrorKind;
use crate::cert::{Certificate, KeyAlgorithm};

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem(pem).unwrap()
}

fn dsa_sha1() -> Certificate {
    cert(include_str!("../testdata/dsa2048_sha1.pem"))
}
fn dsa_sha224() -> Certificate {
    cert(include_str!("../testdata/dsa2048_sha224.pem"))
}
fn dsa_sha256() -> Certificate {
    cert(include_str!("../testdata/dsa2048_sha256.pem"))
}

/// The signature BIT STRING contents of a certificate.
fn sig_of(c: &Certificate) -> Vec<u8> {
    c.x509().signature().as_bytes().unwrap().to_vec()
}

fn alg(o: ObjectIdentifier) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: o,
        parameters: None,
    }
}

/// A DER SEQUENCE (minimal length) of the given contents.
fn seq(content: &[u8]) -> Vec<u8> {
    tlv::sequence(&[content])
}

/// A DSA SubjectPublicKeyInfo with the given parameters (None: omitted) and public value.
fn dsa_spki(params: Option<&[u8]>, y: &[u8]) -> Vec<u8> {
    let alg_id = seq(&[&oid::DSA.to_der().unwrap()[..], params.unwrap_or_default()].concat());
    let y = der::asn1::Uint::new(y).unwrap().to_der().unwrap();
    let bits = der::asn1::BitString::from_bytes(&y)
        .unwrap()
        .to_der()
        .unwrap();
    seq(&[alg_id, bits].concat())
}

#[test]
fn rsassa_pss_keys_verify_only_pss_signatures_with_their_parameters() {
    use crate::key::algorithm_identifier;
    use crate::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme, Signer};
    use rsa::pkcs1::RsaPssParamsRef;
    let key = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
    let pss = |h| {
        let params = match h {
            HashAlg::Sha256 => RsaPssParamsRef::new::<sha2::Sha256>(32).to_der(),
            _ => RsaPssParamsRef::new::<sha2::Sha384>(48).to_der(),
        }
        .unwrap();
        AlgorithmIdentifierOwned {
            oid: oid::RSASSA_PSS,
            parameters: Some(der::Any::from_der(&params).unwrap()),
        }
    };
    let v15 = algorithm_identifier(SignatureScheme::RsaPkcs1v15(HashAlg::Sha256)).unwrap();
    // The same key as id-RSASSA-PSS, with the given algorithm identifier.
    let spki_as = |alg: AlgorithmIdentifierOwned| {
        let mut spki = spki::SubjectPublicKeyInfoOwned::from_der(&key.public_key_der()).unwrap();
        spki.algorithm = alg;
        spki.to_der().unwrap()
    };
    let bare = spki_as(alg(oid::RSASSA_PSS));
    let sha256_key = spki_as(pss(HashAlg::Sha256));
    let sha384_key = spki_as(pss(HashAlg::Sha384));
    let msg = b"message";
    let sig_v15 = key
        .sign(SignatureScheme::RsaPkcs1v15(HashAlg::Sha256), msg)
        .unwrap();
    let sig_pss = key
        .sign(SignatureScheme::RsaPss(HashAlg::Sha256), msg)
        .unwrap();
    // As rsaEncryption: both verify.
    verify_signature(&key.public_key_der(), &v15, msg, &sig_v15).unwrap();
    verify_signature(&key.public_key_der(), &pss(HashAlg::Sha256), msg, &sig_pss).unwrap();
    // As id-RSASSA-PSS: PKCS#1 v1.5 is refused, whatever the key parameters.
    for spki in [&bare, &sha256_key] {
        let err = verify_signature(spki, &v15, msg, &sig_v15).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("RFC 4055"), "{err}");
        verify_signature(spki, &pss(HashAlg::Sha256), msg, &sig_pss).unwrap();
    }
    // Key parameters for SHA-384: a SHA-256 PSS signature is refused.
    let err = verify_signature(&sha384_key, &pss(HashAlg::Sha256), msg, &sig_pss).unwrap_err();
    assert!(
        err.to_string().contains("another hash than the key's"),
        "{err}"
    );
}

#[test]
fn dsa_signatures_made_by_openssl_verify() {
    for (c, bits) in [
        (dsa_sha1(), 2048),
        (dsa_sha224(), 2048),
        (dsa_sha256(), 2048),
    ] {
        assert_eq!(c.key_algorithm(), KeyAlgorithm::Dsa { bits: Some(bits) });
        c.verify_issued_by(&c).unwrap();
        assert!(c.is_self_signed());
        // One bit changed in what was signed: no longer verifies.
        let mut tbs = c.tbs_der().to_vec();
        tbs[10] ^= 1;
        let err = verify_signature(
            c.public_key_der(),
            c.x509().signature_algorithm(),
            &tbs,
            &sig_of(&c),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Crypto, "{err}");
    }
    // The hash named by the algorithm is the one used: SHA-256 over a SHA-224 signature
    // fails.
    let c = dsa_sha224();
    let err = verify_signature(
        c.public_key_der(),
        &alg(oid::DSA_SHA256),
        c.tbs_der(),
        &sig_of(&c),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto);
}

#[test]
fn bare_id_dsa_means_dsa_with_sha1() {
    let c = dsa_sha1();
    verify_signature(c.public_key_der(), &alg(oid::DSA), c.tbs_der(), &sig_of(&c)).unwrap();
    let c = dsa_sha256();
    assert!(
        verify_signature(c.public_key_der(), &alg(oid::DSA), c.tbs_der(), &sig_of(&c)).is_err()
    );
}

#[test]
fn dsa_algorithm_parameters_must_be_absent_or_null() {
    let c = dsa_sha256();
    let mut a = alg(oid::DSA_SHA256);
    a.parameters = Some(der::Any::null());
    verify_signature(c.public_key_der(), &a, c.tbs_der(), &sig_of(&c)).unwrap();
    a.parameters = Some(der::Any::encode_from(&5u8).unwrap());
    let err = verify_signature(c.public_key_der(), &a, c.tbs_der(), &sig_of(&c)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
}

#[test]
fn dsa_parameters_can_be_inherited() {
    let c = dsa_sha256();
    let params = c.dsa_parameters().unwrap();
    assert!(parse_dss_parms(params).is_ok());
    // The same key without its parameters, as an issuer that inherits them would have.
    let spki = SubjectPublicKeyInfoRef::from_der(c.public_key_der()).unwrap();
    let y = UintRef::from_der(spki.subject_public_key.as_bytes().unwrap()).unwrap();
    let bare = dsa_spki(None, y.as_bytes());
    let algorithm = c.x509().signature_algorithm();
    let err = verify_signature(&bare, algorithm, c.tbs_der(), &sig_of(&c)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("inherited"), "{err}");
    verify_signature_with_params(&bare, Some(params), algorithm, c.tbs_der(), &sig_of(&c)).unwrap();
    // A key's own parameters win over inherited ones.
    verify_signature_with_params(
        c.public_key_der(),
        Some(b"\x30\x00"),
        algorithm,
        c.tbs_der(),
        &sig_of(&c),
    )
    .unwrap();
    // Inherited parameters that do not parse are malformed.
    let err = verify_signature_with_params(&bare, Some(b"\x30\x00"), algorithm, c.tbs_der(), &[])
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
}

#[test]
fn broken_dsa_signatures_are_bad_signatures_not_panics() {
    let c = dsa_sha256();
    let spki = c.public_key_der();
    let a = c.x509().signature_algorithm();
    let q = parse_dss_parms(c.dsa_parameters().unwrap())
        .unwrap()
        .q
        .to_vec();
    let int = |b: &[u8]| der::asn1::Uint::new(b).unwrap().to_der().unwrap();
    let sig = |r: &[u8], s: &[u8]| seq(&[int(r), int(s)].concat());
    let huge = vec![0xFF; 600];
    let mut q_plus = q.clone();
    *q_plus.last_mut().unwrap() = q_plus.last().unwrap().wrapping_add(1);
    for bad in [
        sig(&[0], &[0]),
        sig(&[1], &[0]),
        sig(&[0], &[1]),
        sig(&q, &[1]),
        sig(&[1], &q),
        sig(&q_plus, &q_plus),
        sig(&huge, &[1]),
        sig(&[1], &huge),
        sig(&[1], &[1]),
        seq(&[int(&[1]), int(&[1]), int(&[1])].concat()),
        seq(&int(&[1])),
        seq(&[0x02, 0x01, 0xFF, 0x02, 0x01, 0x01]), // negative r
        [sig(&[1], &[1]), vec![0]].concat(),        // trailing byte
        vec![0x04, 0x00],
        vec![],
    ] {
        let err = verify_signature(spki, a, c.tbs_der(), &bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Crypto, "{bad:02x?}: {err}");
    }
}

#[test]
fn small_dsa_keys_are_weak() {
    let params = include_bytes!("../testdata/dsa512-params.der");
    assert_eq!(bit_len(parse_dss_parms(params).unwrap().p), 512);
    let spki = dsa_spki(Some(params), &[0x42; 60]);
    let err = verify_signature(&spki, &alg(oid::DSA_SHA1), b"message", &seq(&[])).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
    // Inherited small parameters are just as weak.
    let bare = dsa_spki(None, &[0x42; 60]);
    let err = verify_signature_with_params(
        &bare,
        Some(params),
        &alg(oid::DSA_SHA1),
        b"message",
        &seq(&[]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
}

#[test]
fn dsa_keys_outside_the_fips_sizes_are_unsupported_or_malformed() {
    let c = dsa_sha256();
    let dss = parse_dss_parms(c.dsa_parameters().unwrap()).unwrap();
    let int = |b: &[u8]| der::asn1::Uint::new(b).unwrap().to_der().unwrap();
    let params = |p: &[u8], q: &[u8], g: &[u8]| seq(&[int(p), int(q), int(g)].concat());
    let a = alg(oid::DSA_SHA256);
    let check = |params: &[u8], y: &[u8], kind: ErrorKind| {
        let spki = dsa_spki(Some(params), y);
        let err = verify_signature(&spki, &a, b"m", &sig_of(&c)).unwrap_err();
        assert_eq!(err.kind(), kind, "{err}");
    };
    // q of 160 bits with a 2048-bit p: not a FIPS 186 size.
    check(
        &params(dss.p, &[0x80; 20], dss.g),
        &[2],
        ErrorKind::Unsupported,
    );
    // g >= p.
    check(&params(dss.p, dss.q, dss.p), &[2], ErrorKind::Unsupported);
    // y >= p, y too long, y not in the subgroup.
    check(&params(dss.p, dss.q, dss.g), dss.p, ErrorKind::Parse);
    check(&params(dss.p, dss.q, dss.g), &[0x7F; 300], ErrorKind::Parse);
    check(&params(dss.p, dss.q, dss.g), &[2], ErrorKind::Parse);
    // Even p.
    let mut even = dss.p.to_vec();
    *even.last_mut().unwrap() &= 0xFE;
    check(&params(&even, dss.q, dss.g), &[2], ErrorKind::Unsupported);
}

#[test]
fn md5_and_md2_with_rsa_are_weak_not_unsupported() {
    let c = cert(include_str!("../testdata/rsa2048_md5.pem"));
    let err = c.verify_issued_by(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
    assert!(err.to_string().contains("md5WithRSAEncryption"), "{err}");
    for o in [oid::MD2_WITH_RSA, oid::MD4_WITH_RSA] {
        let err =
            verify_signature(c.public_key_der(), &alg(o), c.tbs_der(), &sig_of(&c)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
    }
    // An algorithm not handled at all stays unsupported.
    let err = verify_signature(
        c.public_key_der(),
        &alg(ObjectIdentifier::new_unwrap("1.2.3.4")),
        c.tbs_der(),
        &sig_of(&c),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn small_rsa_keys_are_weak() {
    let c = cert(include_str!("../testdata/rsa512.pem"));
    assert_eq!(c.key_algorithm(), KeyAlgorithm::Rsa { bits: 512 });
    let err = c.verify_issued_by(&c).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
    assert!(err.to_string().contains("512"), "{err}");
}

#[test]
fn key_type_must_fit_the_algorithm() {
    let rsa = cert(include_str!("../testdata/rsa2048_md5.pem"));
    let dsa = dsa_sha256();
    let err = verify_signature(
        rsa.public_key_der(),
        &alg(oid::DSA_SHA256),
        dsa.tbs_der(),
        &sig_of(&dsa),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto);
    let mut sha256_rsa = alg(oid::SHA256_WITH_RSA);
    sha256_rsa.parameters = Some(der::Any::null());
    let err = verify_signature(dsa.public_key_der(), &sha256_rsa, b"m", &[1, 2]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto);
}

#[test]
fn bit_lengths() {
    assert_eq!(bit_len(&[]), 0);
    assert_eq!(bit_len(&[0, 0]), 0);
    assert_eq!(bit_len(&[1]), 1);
    assert_eq!(bit_len(&[0, 0x80, 0]), 16);
    assert_eq!(bit_len(&[0x7F, 0xFF]), 15);
}
