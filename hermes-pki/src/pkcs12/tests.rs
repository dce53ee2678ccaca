use std::collections::HashSet;

use super::asn1::{self, Reader, TAG_CONTEXT_0, TAG_OCTET_STRING, TAG_SEQUENCE};
use super::*;
use crate::ErrorKind;
use crate::tlv;

const ALICE_PEM: &str = include_str!("testdata/alice.pem");
const ALICE_KEY: &str = include_str!("testdata/alice.key");
const BOB_PEM: &str = include_str!("testdata/bob.pem");
const BOB_KEY: &str = include_str!("testdata/bob.key");
const CA_PEM: &str = include_str!("testdata/ca.pem");
const OPENSSL_DEFAULT: &[u8] = include_bytes!("testdata/openssl-default.p12");
const OPENSSL_LEGACY: &[u8] = include_bytes!("testdata/openssl-legacy.p12");
const OPENSSL_NOMAC: &[u8] = include_bytes!("testdata/openssl-nomac.p12");
const OPENSSL_EMPTY: &[u8] = include_bytes!("testdata/openssl-empty-password.p12");

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem(pem).unwrap()
}

fn key(pem: &str) -> PrivateKey {
    PrivateKey::from_pem(pem, None).unwrap()
}

/// Fast options for tests (the default iteration count is tested once).
fn fast() -> Pkcs12Options {
    Pkcs12Options::new().iterations(2048)
}

fn assert_alice(contents: &Pkcs12Contents) {
    let alice = cert(ALICE_PEM);
    assert_eq!(contents.certificate().unwrap().der(), alice.der());
    assert_eq!(
        contents.key().unwrap().key_id(),
        key(ALICE_KEY).key_id(),
        "the key is Alice's"
    );
    let chain: Vec<&[u8]> = contents.chain().iter().map(Certificate::der).collect();
    assert_eq!(chain, vec![cert(CA_PEM).der()]);
}

#[test]
fn round_trip_default_algorithms() {
    let p12 = export(
        &cert(ALICE_PEM),
        &key(ALICE_KEY),
        &[cert(CA_PEM)],
        "secret",
        &fast().friendly_name("alice@example.com"),
    )
    .unwrap();
    let contents = import(&p12, "secret").unwrap();
    assert_alice(&contents);
    assert_eq!(contents.friendly_name(), Some("alice@example.com"));
    assert!(contents.mac_verified());
    assert_eq!(contents.ignored_keys(), 0);
    // The structure: PBES2 (AES-256-CBC, PBKDF2-HMAC-SHA256) and an HMAC-SHA256 MAC.
    let hex = hex::encode(&p12);
    assert!(hex.contains("06092a864886f70d01050d"), "PBES2 OID");
    assert!(hex.contains("0609608648016503040201"), "SHA-256 MAC OID");
    assert!(hex.contains("060960864801650304012a"), "AES-256-CBC OID");
}

#[test]
fn round_trip_with_default_iteration_count() {
    assert_eq!(
        Pkcs12Options::new(),
        Pkcs12Options::new().iterations(600_000)
    );
    let p12 = export(
        &cert(BOB_PEM),
        &key(BOB_KEY),
        &[],
        "pw",
        &Pkcs12Options::new(),
    )
    .unwrap();
    let (k, c, chain) = import(&p12, "pw").unwrap().into_parts();
    assert_eq!(c.unwrap().der(), cert(BOB_PEM).der());
    assert_eq!(k.unwrap().key_id(), key(BOB_KEY).key_id());
    assert!(chain.is_empty());
    // The iteration count is in the file (600000 = 0x0927C0), for the MAC and PBKDF2.
    assert!(hex::encode(&p12).contains("02030927c0"));
}

#[test]
fn round_trip_legacy_algorithms() {
    let options = fast().legacy(true).friendly_name("Bob");
    let p12 = export(
        &cert(BOB_PEM),
        &key(BOB_KEY),
        &[cert(CA_PEM)],
        "pässwörd",
        &options,
    )
    .unwrap();
    let hex = hex::encode(&p12);
    assert!(hex.contains("060a2a864886f70d010c0103"), "3DES PBE OID");
    assert!(hex.contains("060a2a864886f70d010c0106"), "RC2-40 PBE OID");
    assert!(hex.contains("06052b0e03021a"), "SHA-1 MAC OID");
    assert!(!hex.contains("06092a864886f70d01050d"), "no PBES2");
    let contents = import(&p12, "pässwörd").unwrap();
    assert_eq!(contents.certificate().unwrap().der(), cert(BOB_PEM).der());
    assert_eq!(contents.friendly_name(), Some("Bob"));
    assert_eq!(contents.chain().len(), 1);
    assert_eq!(
        import(&p12, "passwort").unwrap_err().kind(),
        ErrorKind::BadPassword
    );
}

#[test]
fn wrong_password_is_bad_password() {
    for legacy in [false, true] {
        let p12 = export(
            &cert(ALICE_PEM),
            &key(ALICE_KEY),
            &[],
            "right",
            &fast().legacy(legacy),
        )
        .unwrap();
        for wrong in ["wrong", "", "Right", "right "] {
            let err = import(&p12, wrong).unwrap_err();
            assert!(
                matches!(err, Error::BadPassword),
                "{legacy} {wrong:?}: {err}"
            );
        }
    }
}

#[test]
fn every_tampered_byte_is_refused() {
    let p12 = export(&cert(ALICE_PEM), &key(ALICE_KEY), &[], "pw", &fast()).unwrap();
    let mut kinds = HashSet::new();
    for i in 0..p12.len() {
        let mut t = p12.clone();
        t[i] ^= 0x01;
        match import(&t, "pw") {
            Ok(_) => panic!(
                "altered byte {i} of {} was accepted: {:02x?}",
                p12.len(),
                &p12[i.saturating_sub(20)..(i + 10).min(p12.len())]
            ),
            Err(e) => {
                assert!(
                    matches!(
                        e.kind(),
                        ErrorKind::BadPassword
                            | ErrorKind::Parse
                            | ErrorKind::Unsupported
                            | ErrorKind::LimitExceeded
                    ),
                    "byte {i}: {e}"
                );
                kinds.insert(e.kind());
            }
        }
    }
    assert!(kinds.contains(&ErrorKind::BadPassword));
    assert!(kinds.contains(&ErrorKind::Parse));
}

/// The DER elements of the PFX: (version, authSafe, macData).
fn pfx_parts(p12: &[u8]) -> (Vec<u8>, Vec<u8>, Vec<u8>) {
    let pfx = asn1::single(p12, TAG_SEQUENCE, "pfx").unwrap();
    let mut r = Reader::new(pfx.value);
    let v = r.next().unwrap();
    let a = r.next().unwrap();
    let m = r.next().unwrap();
    (
        tlv::tlv(v.tag, &[v.value]),
        tlv::tlv(a.tag, &[a.value]),
        tlv::tlv(m.tag, &[m.value]),
    )
}

/// `p12` with the MAC's iteration count replaced by the INTEGER contents `iterations`.
fn with_mac_iterations(p12: &[u8], iterations: &[u8]) -> Vec<u8> {
    let (v, a, m) = pfx_parts(p12);
    let mac = asn1::single(&m, TAG_SEQUENCE, "mac").unwrap();
    let mut r = Reader::new(mac.value);
    let di = r.next().unwrap();
    let salt = r.next().unwrap();
    let new_mac = tlv::sequence(&[
        &tlv::tlv(di.tag, &[di.value]),
        &tlv::tlv(salt.tag, &[salt.value]),
        &tlv::tlv(tlv::INTEGER, &[iterations]),
    ]);
    tlv::sequence(&[&v, &a, &new_mac])
}

#[test]
fn iteration_counts_above_the_limit_are_refused_before_any_work() {
    let p12 = export(&cert(ALICE_PEM), &key(ALICE_KEY), &[], "pw", &fast()).unwrap();
    // 2^31 and 2^40 MAC iterations: refused at once (running them would take hours).
    for iterations in [
        &[0x00, 0x80, 0, 0, 0][..],
        &[0x01, 0, 0, 0, 0, 0],
        &[0x7F, 0xFF, 0xFF, 0xFF],
    ] {
        let hostile = with_mac_iterations(&p12, iterations);
        let err = import(&hostile, "pw").unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
        assert!(err.to_string().contains("MAC iteration count"), "{err}");
    }
    // Zero or negative: malformed.
    for iterations in [&[0x00][..], &[0xFF]] {
        let err = import(&with_mac_iterations(&p12, iterations), "pw").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse, "{err}");
    }
    // Lower limits apply to the MAC and to PBKDF2 / the PKCS#12 PBEs alike.
    let mut limits = Pkcs12Limits::default();
    limits.kdf.max_pbkdf2_iterations = 1000;
    for file in [&p12[..], OPENSSL_NOMAC, OPENSSL_LEGACY] {
        let err = import_with_limits(file, "test", &limits).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    }
}

#[test]
fn other_limits() {
    let limits = Pkcs12Limits {
        max_input_len: 100,
        ..Default::default()
    };
    let err = import_with_limits(OPENSSL_DEFAULT, "test", &limits).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    let limits = Pkcs12Limits {
        max_bags: 3,
        ..Default::default()
    };
    let err = import_with_limits(OPENSSL_DEFAULT, "test", &limits).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    let limits = Pkcs12Limits {
        max_decryptions: 1,
        ..Default::default()
    };
    let err = import_with_limits(OPENSSL_DEFAULT, "test", &limits).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    assert!(import_with_limits(OPENSSL_DEFAULT, "test", &Pkcs12Limits::default()).is_ok());
}

#[test]
fn every_key_derivation_of_a_file_is_charged_against_one_budget() {
    // OpenSSL's default file: the MAC, the certificate safe and the shrouded key each derive
    // with 2048 iterations; each run alone is far below the per-run limit.
    let budget = |work: u64| Pkcs12Limits {
        max_kdf_work: work,
        ..Default::default()
    };
    for work in [2048, 4096, 6143] {
        let err = import_with_limits(OPENSSL_DEFAULT, "test", &budget(work)).unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{work}: {err}");
        assert!(
            err.to_string().contains(&format!("budget of {work}")),
            "{err}"
        );
    }
    assert!(import_with_limits(OPENSSL_DEFAULT, "test", &budget(6144)).is_ok());
}

#[test]
fn files_from_openssl() {
    for (file, password, mac) in [
        (OPENSSL_DEFAULT, "test", true),
        (OPENSSL_LEGACY, "test", true),
        (OPENSSL_NOMAC, "test", false),
        (OPENSSL_EMPTY, "", true),
    ] {
        let contents = import(file, password).unwrap();
        assert_alice(&contents);
        assert_eq!(contents.friendly_name(), Some("Alice"));
        assert_eq!(contents.mac_verified(), mac);
        assert_eq!(
            import(file, "wrong").unwrap_err().kind(),
            ErrorKind::BadPassword
        );
    }
}

#[test]
fn empty_password_round_trip() {
    for legacy in [false, true] {
        let p12 = export(
            &cert(ALICE_PEM),
            &key(ALICE_KEY),
            &[],
            "",
            &fast().legacy(legacy),
        )
        .unwrap();
        let contents = import(&p12, "").unwrap();
        assert!(contents.key().is_some());
        assert_eq!(
            import(&p12, "x").unwrap_err().kind(),
            ErrorKind::BadPassword
        );
    }
}

/// Re-encodes DER as BER the way Windows writes it: indefinite lengths on every constructed
/// element, OCTET STRINGs (that are not themselves parsed) split into constructed segments.
fn to_ber(der: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut r = Reader::new(der);
    while !r.is_empty() {
        let t = r.next().unwrap();
        if t.tag & 0x20 != 0 {
            out.extend([t.tag, 0x80]);
            out.extend(to_ber(t.value));
            out.extend([0, 0]);
        } else if t.tag == TAG_OCTET_STRING && t.value.len() > 10 {
            out.extend([0x24, 0x80]);
            for chunk in t.value.chunks(7) {
                out.extend(tlv::tlv(TAG_OCTET_STRING, &[chunk]));
            }
            out.extend([0, 0]);
        } else {
            out.extend(tlv::tlv(t.tag, &[t.value]));
        }
    }
    out
}

#[test]
fn ber_with_indefinite_lengths_is_read() {
    let ber = to_ber(OPENSSL_DEFAULT);
    assert_ne!(ber, OPENSSL_DEFAULT);
    assert_eq!(ber[..2], [0x30, 0x80]);
    assert_alice(&import(&ber, "test").unwrap());
    // Inner levels in BER too (no MAC, so they may be re-encoded): the AuthenticatedSafe
    // inside the authSafe OCTET STRING.
    let (_, auth_safe, _) = pfx_parts(OPENSSL_DEFAULT);
    let ci = asn1::single(&auth_safe, TAG_SEQUENCE, "authSafe").unwrap();
    let mut r = Reader::new(ci.value);
    r.next().unwrap(); // contentType data
    let content = r.expect(TAG_CONTEXT_0, "content").unwrap();
    let octets = asn1::single(content.value, TAG_OCTET_STRING, "octets").unwrap();
    let rebuilt = to_ber(&tlv::sequence(&[
        &tlv::integer(3),
        &build::data_content_info(&to_ber(octets.value)),
    ]));
    let contents = import(&rebuilt, "test").unwrap();
    assert_alice(&contents);
    assert!(!contents.mac_verified());
}

/// A PFX without MAC whose single data safe holds `bags` (SafeBag encodings).
fn unprotected_pfx(bags: &[Vec<u8>]) -> Vec<u8> {
    let safe = tlv::sequence(&bags.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let auth = tlv::sequence(&[&build::data_content_info(&safe)]);
    tlv::sequence(&[&tlv::integer(3), &build::data_content_info(&auth)])
}

fn key_bag(k: &PrivateKey) -> Vec<u8> {
    build::safe_bag(&oids::KEY_BAG, &k.to_pkcs8_der().unwrap(), &[])
}

#[test]
fn plain_key_bags_duplicates_and_several_keys() {
    let alice = cert(ALICE_PEM);
    let ca = cert(CA_PEM);
    // A key without certificate first, duplicated certificates, plain (unencrypted) bags.
    let file = unprotected_pfx(&[
        key_bag(&key(BOB_KEY)),
        build::cert_bag(&ca, &[]),
        key_bag(&key(ALICE_KEY)),
        build::cert_bag(&alice, &[]),
        build::cert_bag(&ca, &[]),
        build::cert_bag(&alice, &[]),
    ]);
    let contents = import(&file, "anything").unwrap();
    assert_alice(&contents);
    assert_eq!(contents.ignored_keys(), 1);
    assert!(!contents.mac_verified());
    assert_eq!(contents.friendly_name(), None);

    // Certificates only.
    let file = unprotected_pfx(&[build::cert_bag(&ca, &[]), build::cert_bag(&alice, &[])]);
    let contents = import(&file, "").unwrap();
    assert!(contents.key().is_none() && contents.certificate().is_none());
    assert_eq!(contents.chain().len(), 2);

    // A key whose certificate is missing.
    let file = unprotected_pfx(&[key_bag(&key(BOB_KEY)), build::cert_bag(&alice, &[])]);
    assert!(matches!(import(&file, ""), Err(Error::KeyMismatch)));
    let file = unprotected_pfx(&[key_bag(&key(BOB_KEY))]);
    assert!(matches!(import(&file, ""), Err(Error::KeyMismatch)));
}

#[test]
fn export_checks_its_arguments() {
    let err = export(&cert(ALICE_PEM), &key(BOB_KEY), &[], "pw", &fast()).unwrap_err();
    assert!(matches!(err, Error::KeyMismatch));
    for n in [0, 2_000_001] {
        let err = export(
            &cert(ALICE_PEM),
            &key(ALICE_KEY),
            &[],
            "pw",
            &Pkcs12Options::new().iterations(n),
        )
        .unwrap_err();
        assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
    }
    // The certificate itself and duplicates in the chain are written once.
    let p12 = export(
        &cert(ALICE_PEM),
        &key(ALICE_KEY),
        &[cert(CA_PEM), cert(ALICE_PEM), cert(CA_PEM)],
        "pw",
        &fast(),
    )
    .unwrap();
    assert_alice(&import(&p12, "pw").unwrap());
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(matches!(import(b"", "x"), Err(Error::Empty { .. })));
    for input in [
        &b"not a pkcs12 file"[..],
        &[0x30, 0x03, 0x02, 0x01, 0x03],
        &[0x30, 0x80],
        &OPENSSL_DEFAULT[..OPENSSL_DEFAULT.len() - 1],
        &OPENSSL_DEFAULT[..100],
    ] {
        let err = import(input, "test").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse, "{err}");
    }
    let mut v2 = OPENSSL_DEFAULT.to_vec();
    // The version INTEGER right after the outer SEQUENCE header (30 82 LL LL 02 01 03).
    assert_eq!(v2[4..7], [0x02, 0x01, 0x03]);
    v2[6] = 2;
    assert_eq!(
        import(&v2, "test").unwrap_err().kind(),
        ErrorKind::Unsupported
    );
}

#[test]
fn generated_passwords() {
    for bad in [0, 7, 1025] {
        assert!(matches!(
            generate_password(bad),
            Err(Error::InvalidArgument(_))
        ));
    }
    let alphabet: HashSet<char> = PASSWORD_ALPHABET.iter().map(|b| char::from(*b)).collect();
    assert_eq!(alphabet.len(), 57);
    for c in "0O1lI".chars() {
        assert!(!alphabet.contains(&c));
    }
    let mut seen = HashSet::new();
    let mut used = HashSet::new();
    for len in [8, 16, 1024] {
        for _ in 0..20 {
            let p = generate_password(len).unwrap();
            assert_eq!(p.chars().count(), len);
            assert!(p.chars().all(|c| alphabet.contains(&c)), "{}", *p);
            used.extend(p.chars());
            assert!(seen.insert(p.to_string()), "repeated password");
        }
    }
    // 20 passwords of 1024 characters use every character of the alphabet.
    assert_eq!(used, alphabet);
}
