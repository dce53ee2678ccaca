//! `cert` against real certificates made by the `openssl` command: every field the library
//! computes is compared with what OpenSSL itself reports.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hermes_pki::cert::{
    BasicConstraints, Certificate, Eku, KeyAlgorithm, KeyUsage, UsageError, load_certificates,
};
use hermes_pki::{Error, ErrorKind};
use hermes_pki_tests::{
    Issued, KeyKind, fingerprint, issue, issue_with_dates, openssl, openssl_text, p7b, self_signed,
    x509_ext, x509_value,
};

fn hex_upper(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

fn load(issued: &Issued) -> Certificate {
    let pem = String::from_utf8(issued.pem()).unwrap();
    let cert = Certificate::from_pem(&pem).unwrap();
    assert_eq!(cert.der(), issued.der().as_slice(), "DER kept exactly");
    cert
}

/// Parses OpenSSL's `-dateopt iso_8601` output, `2026-11-22 20:05:01Z`.
fn iso(s: &str) -> SystemTime {
    hermes_pki::time::parse_rfc3339(s).unwrap()
}

fn openssl_dates(dir: &Path, issued: &Issued) -> (SystemTime, SystemTime) {
    let cert = issued.cert.to_str().unwrap();
    let text = openssl_text(
        &[
            "x509", "-in", cert, "-noout", "-dates", "-dateopt", "iso_8601",
        ],
        dir,
    );
    let mut before = None;
    let mut after = None;
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("notBefore=") {
            before = Some(iso(v));
        }
        if let Some(v) = line.strip_prefix("notAfter=") {
            after = Some(iso(v));
        }
    }
    (before.unwrap(), after.unwrap())
}

/// The subject or issuer as OpenSSL prints it in RFC 2253 form (UTF-8 kept).
fn openssl_name(dir: &Path, issued: &Issued, which: &str) -> String {
    let cert = issued.cert.to_str().unwrap();
    let text = openssl_text(
        &[
            "x509",
            "-in",
            cert,
            "-noout",
            which,
            "-nameopt",
            "RFC2253,-esc_msb",
        ],
        dir,
    );
    text.trim()
        .split_once('=')
        .map(|(_, v)| v.to_string())
        .unwrap()
}

/// The key identifier OpenSSL prints for `-ext subjectKeyIdentifier` / `authorityKeyIdentifier`.
fn openssl_key_id(dir: &Path, issued: &Issued, ext: &str) -> Option<String> {
    let text = x509_ext(dir, &issued.cert, ext);
    let line = text.lines().nth(1)?.trim();
    let line = line.strip_prefix("keyid:").unwrap_or(line);
    Some(line.replace(':', ""))
}

/// The checks every certificate gets: identity fields against OpenSSL.
fn assert_identity(dir: &Path, issued: &Issued, cert: &Certificate) {
    assert_eq!(
        cert.sha256().to_hex(),
        fingerprint(dir, &issued.cert, "sha256")
    );
    assert_eq!(
        cert.thumbprint().to_hex(),
        fingerprint(dir, &issued.cert, "sha512")
    );
    assert_eq!(
        cert.serial().to_string(),
        x509_value(dir, &issued.cert, "-serial")
    );
    assert_eq!(cert.subject(), openssl_name(dir, issued, "-subject"));
    assert_eq!(cert.issuer(), openssl_name(dir, issued, "-issuer"));
    let (before, after) = openssl_dates(dir, issued);
    assert_eq!(cert.not_before(), before);
    assert_eq!(cert.not_after(), after);
    assert!(cert.is_valid_at(before) && cert.is_valid_at(after));
    assert!(!cert.is_valid_at(after + Duration::from_secs(1)));
    assert!(!cert.is_valid_at(before - Duration::from_secs(1)));
    assert_eq!(
        cert.subject_key_id().map(hex_upper),
        openssl_key_id(dir, issued, "subjectKeyIdentifier")
    );
    assert_eq!(
        cert.authority_key_id().map(hex_upper),
        openssl_key_id(dir, issued, "authorityKeyIdentifier")
    );
    // PEM round trip.
    let again = Certificate::from_pem(&cert.to_pem()).unwrap();
    assert_eq!(again.der(), cert.der());
}

const CA_EXT: &str = "basicConstraints = critical, CA:TRUE, pathlen:1\n\
                      keyUsage = critical, keyCertSign, cRLSign\n\
                      subjectKeyIdentifier = hash";

#[test]
fn self_signed_certificates_of_every_key_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cases = [
        (KeyKind::Rsa(2048), KeyAlgorithm::Rsa { bits: 2048 }),
        (KeyKind::P256, KeyAlgorithm::EcP256),
        (KeyKind::P384, KeyAlgorithm::EcP384),
        (KeyKind::Ed25519, KeyAlgorithm::Ed25519),
    ];
    for (i, (kind, alg)) in cases.into_iter().enumerate() {
        let name = format!("ss{i}");
        let issued = self_signed(
            d,
            &name,
            kind,
            &format!("/CN=Self {i}/O=Hermes/C=NL"),
            CA_EXT,
        );
        let cert = load(&issued);
        assert_identity(d, &issued, &cert);
        assert_eq!(cert.key_algorithm(), alg);
        assert_eq!(cert.subject(), format!("C=NL,O=Hermes,CN=Self {i}"));
        assert!(cert.is_self_signed(), "{alg:?}");
        assert!(cert.verify_issued_by(&cert).is_ok());
        assert!(cert.is_ca());
        assert_eq!(
            cert.basic_constraints(),
            Some(BasicConstraints {
                ca: true,
                path_len: Some(1)
            })
        );
        assert_eq!(
            cert.key_usage(),
            Some(KeyUsage {
                key_cert_sign: true,
                crl_sign: true,
                ..KeyUsage::default()
            })
        );
        assert_eq!(cert.subject_der(), cert.issuer_der());
        assert!(cert.emails().is_empty());
        // keyCertSign/cRLSign only: not usable for S/MIME.
        assert!(matches!(
            cert.usable_for_signing(),
            Err(UsageError::KeyUsageMissing { .. })
        ));
        assert!(cert.usable_for_encryption().is_err());
        // The SPKI is what OpenSSL extracts.
        let spki = openssl(
            &[
                "pkey",
                "-in",
                issued.key.to_str().unwrap(),
                "-pubout",
                "-outform",
                "DER",
            ],
            d,
        );
        assert_eq!(cert.public_key_der(), spki.as_slice());
    }
}

#[test]
fn signature_algorithms_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // (key, extra req options) -> self-signed must verify.
    let cases: &[(KeyKind, &[&str])] = &[
        (KeyKind::Rsa(2048), &["-sha1"]),
        (KeyKind::Rsa(2048), &["-sha384"]),
        (KeyKind::Rsa(2048), &["-sha512"]),
        (
            KeyKind::Rsa(2048),
            &[
                "-sha256",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:32",
            ],
        ),
        (
            KeyKind::Rsa(3072),
            &[
                "-sha512",
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:20",
            ],
        ),
        (KeyKind::P256, &["-sha384"]),
        (KeyKind::P256, &["-sha512"]),
        (KeyKind::P384, &["-sha256"]),
        (KeyKind::P384, &["-sha384"]),
    ];
    for (i, (kind, opts)) in cases.iter().enumerate() {
        let name = format!("alg{i}");
        let key = hermes_pki_tests::gen_key(d, &name, *kind);
        std::fs::write(d.join("min.cnf"), "[req]\ndistinguished_name = dn\n[dn]\n").unwrap();
        let out = format!("{name}.pem");
        let mut args = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            key.to_str().unwrap(),
            "-subj",
            "/CN=alg",
            "-days",
            "1",
            "-config",
            "min.cnf",
            "-out",
            &out,
        ];
        args.extend_from_slice(opts);
        openssl(&args, d);
        let issued = Issued {
            cert: d.join(&out),
            key,
        };
        let cert = load(&issued);
        assert!(cert.is_self_signed(), "case {i}: {opts:?}");
        if let KeyKind::Rsa(bits) = kind {
            assert_eq!(
                cert.key_algorithm(),
                KeyAlgorithm::Rsa {
                    bits: *bits as usize
                }
            );
        }
    }
}

#[test]
fn ca_and_leaf_with_every_extension() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = self_signed(
        d,
        "ca",
        KeyKind::Rsa(2048),
        "/CN=Hermes Test CA/O=Hermes/C=NL",
        CA_EXT,
    );
    let ca_cert = load(&ca);
    assert_identity(d, &ca, &ca_cert);

    let leaf_ext = "basicConstraints = CA:FALSE\n\
                    keyUsage = critical, digitalSignature, keyAgreement\n\
                    extendedKeyUsage = emailProtection, clientAuth\n\
                    subjectAltName = email:user@Bücher.example, email:Alice@EXAMPLE.com, email:user@bücher.EXAMPLE\n\
                    subjectKeyIdentifier = hash\n\
                    authorityKeyIdentifier = keyid\n\
                    crlDistributionPoints = URI:http://crl.example.com/hermes.crl";
    let leaf = issue(
        d,
        "alice",
        &ca,
        KeyKind::P256,
        "/CN=Alice Example/O=Example, Inc./emailAddress=alice@Example.ORG",
        Some(leaf_ext),
        365,
    );
    let cert = load(&leaf);
    assert_identity(d, &leaf, &cert);
    assert_eq!(
        cert.subject(),
        "emailAddress=alice@Example.ORG,O=Example\\, Inc.,CN=Alice Example"
    );
    assert_eq!(cert.issuer(), ca_cert.subject());
    assert_eq!(cert.issuer_der(), ca_cert.subject_der());
    assert_eq!(
        cert.emails(),
        [
            "alice@example.org",
            "user@xn--bcher-kva.example",
            "Alice@example.com"
        ]
    );
    assert!(!cert.has_email("ALICE@example.org"));
    assert!(cert.has_email("alice@EXAMPLE.org"));
    assert!(cert.has_email("user@BÜCHER.example"));
    assert_eq!(
        cert.key_usage(),
        Some(KeyUsage {
            digital_signature: true,
            key_agreement: true,
            ..KeyUsage::default()
        })
    );
    assert_eq!(
        cert.extended_key_usage().unwrap(),
        [Eku::EMAIL_PROTECTION, Eku::CLIENT_AUTH]
    );
    assert_eq!(
        cert.basic_constraints(),
        Some(BasicConstraints {
            ca: false,
            path_len: None
        })
    );
    assert!(!cert.is_ca());
    assert_eq!(cert.authority_key_id(), ca_cert.subject_key_id());
    assert!(cert.subject_key_id().is_some());
    assert_eq!(
        cert.crl_distribution_points(),
        ["http://crl.example.com/hermes.crl"]
    );
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::EcP256);
    assert!(!cert.is_self_signed());
    cert.verify_issued_by(&ca_cert).unwrap();
    assert!(cert.verify_issued_by(&cert).is_err());
    assert!(ca_cert.verify_issued_by(&cert).is_err());
    assert_eq!(cert.usable_for_signing(), Ok(()));
    assert_eq!(cert.usable_for_encryption(), Ok(()));

    // RSA leaf: digitalSignature + keyEncipherment is usable both ways.
    let rsa_ok = issue(
        d,
        "rsa-ok",
        &ca,
        KeyKind::Rsa(2048),
        "/CN=RSA ok",
        Some("keyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = emailProtection"),
        30,
    );
    let c = load(&rsa_ok);
    assert_identity(d, &rsa_ok, &c);
    assert_eq!(c.usable_for_signing(), Ok(()));
    assert_eq!(c.usable_for_encryption(), Ok(()));

    // RSA with keyAgreement only: not for encryption (RSA needs keyEncipherment), not signing.
    let c = load(&issue(
        d,
        "rsa-ka",
        &ca,
        KeyKind::Rsa(2048),
        "/CN=RSA ka",
        Some("keyUsage = keyAgreement"),
        30,
    ));
    assert_eq!(
        c.usable_for_encryption(),
        Err(UsageError::KeyUsageMissing {
            needed: "keyEncipherment"
        })
    );
    assert!(matches!(
        c.usable_for_signing(),
        Err(UsageError::KeyUsageMissing { .. })
    ));

    // EC with nonRepudiation only: signing yes, encryption no (needs keyAgreement).
    let c = load(&issue(
        d,
        "ec-nr",
        &ca,
        KeyKind::P384,
        "/CN=EC nr",
        Some("keyUsage = nonRepudiation"),
        30,
    ));
    assert_eq!(c.usable_for_signing(), Ok(()));
    assert_eq!(
        c.usable_for_encryption(),
        Err(UsageError::KeyUsageMissing {
            needed: "keyAgreement"
        })
    );

    // EKU serverAuth only: neither.
    let c = load(&issue(
        d,
        "server",
        &ca,
        KeyKind::Rsa(2048),
        "/CN=server.example",
        Some("keyUsage = digitalSignature, keyEncipherment\nextendedKeyUsage = serverAuth"),
        30,
    ));
    assert_eq!(c.extended_key_usage().unwrap(), [Eku::SERVER_AUTH]);
    assert_eq!(
        c.usable_for_signing(),
        Err(UsageError::ExtendedKeyUsageMissing)
    );
    assert_eq!(
        c.usable_for_encryption(),
        Err(UsageError::ExtendedKeyUsageMissing)
    );

    // anyExtendedKeyUsage: usable.
    let c = load(&issue(
        d,
        "any",
        &ca,
        KeyKind::Rsa(2048),
        "/CN=any",
        Some("extendedKeyUsage = anyExtendedKeyUsage"),
        30,
    ));
    assert_eq!(c.usable_for_signing(), Ok(()));
    assert_eq!(c.usable_for_encryption(), Ok(()));

    // Ed25519: signing, never encryption.
    let c = load(&issue(
        d,
        "ed",
        &ca,
        KeyKind::Ed25519,
        "/CN=ed",
        Some("keyUsage = digitalSignature"),
        30,
    ));
    assert_eq!(c.usable_for_signing(), Ok(()));
    assert!(matches!(
        c.usable_for_encryption(),
        Err(UsageError::KeyAlgorithm(_))
    ));

    // No extensions at all (a version 1 certificate).
    let bare = issue(d, "bare", &ca, KeyKind::Rsa(2048), "/CN=bare", None, 30);
    let c = load(&bare);
    assert_identity(d, &bare, &c);
    assert_eq!(c.x509().tbs_certificate().version() as u8, 0);
    assert!(c.emails().is_empty());
    assert_eq!(c.key_usage(), None);
    assert_eq!(c.extended_key_usage(), None);
    assert_eq!(c.basic_constraints(), None);
    assert_eq!(c.subject_key_id(), None);
    assert_eq!(c.authority_key_id(), None);
    assert!(c.crl_distribution_points().is_empty());
    assert!(!c.is_ca());
    assert_eq!(c.usable_for_signing(), Ok(()));
    assert_eq!(c.usable_for_encryption(), Ok(()));
    c.verify_issued_by(&ca_cert).unwrap();
}

#[test]
fn names_with_escapes_and_utf8_match_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let issued = self_signed(
        d,
        "names",
        KeyKind::P256,
        "/C=DE/ST=Baden-Württemberg/L=Stuttgart/O=Müller \\+ Söhne; \"GmbH\"/OU=R&D <lab>/CN=#Jürgen, Jr./emailAddress=j@example.de",
        "subjectKeyIdentifier = none",
    );
    let cert = load(&issued);
    assert_eq!(cert.subject(), openssl_name(d, &issued, "-subject"));
    assert_eq!(
        cert.subject(),
        "emailAddress=j@example.de,CN=\\#Jürgen\\, Jr.,OU=R&D \\<lab\\>,O=Müller \\+ Söhne\\; \\\"GmbH\\\",L=Stuttgart,ST=Baden-Württemberg,C=DE"
    );
    assert_eq!(cert.emails(), ["j@example.de"]);
    assert_eq!(cert.subject_key_id(), None);
    assert_eq!(cert.x509().tbs_certificate().version() as u8, 2);
}

#[test]
fn expired_certificate_dates() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ca = self_signed(d, "ca", KeyKind::P256, "/CN=Expiry CA", CA_EXT);
    let old = issue_with_dates(
        d,
        "old",
        &ca,
        KeyKind::P256,
        "/CN=Old/emailAddress=old@example.com",
        "keyUsage = digitalSignature\nsubjectAltName = email:old@example.com",
        ("20200101000000Z", "20210101000000Z"),
    );
    let cert = load(&old);
    assert_identity(d, &old, &cert);
    assert_eq!(
        cert.not_before(),
        UNIX_EPOCH + Duration::from_secs(1_577_836_800)
    );
    assert_eq!(
        cert.not_after(),
        UNIX_EPOCH + Duration::from_secs(1_609_459_200)
    );
    assert!(!cert.is_valid_at(SystemTime::now()));
    assert!(cert.is_valid_at(UNIX_EPOCH + Duration::from_secs(1_590_969_600)));
    assert_eq!(cert.emails(), ["old@example.com"]);
    assert_eq!(cert.serial().to_string(), "1000");
    cert.verify_issued_by(&load(&ca)).unwrap();
}

#[test]
fn p7b_in_der_and_pem() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = self_signed(d, "a", KeyKind::P256, "/CN=A", "");
    let b = self_signed(d, "b", KeyKind::Rsa(2048), "/CN=B", "");
    let (ca, cb) = (load(&a), load(&b));
    for pem in [false, true] {
        let bundle = p7b(d, &[&a.cert, &b.cert], pem);
        let report = load_certificates(&bundle);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        let got: Vec<_> = report
            .certificates
            .iter()
            .map(|c| c.der().to_vec())
            .collect();
        assert_eq!(got.len(), 2);
        assert!(got.contains(&ca.der().to_vec()) && got.contains(&cb.der().to_vec()));
        if !pem {
            let certs = hermes_pki::cert::parse_pkcs7(&bundle).unwrap();
            assert_eq!(certs.len(), 2);
        }
    }
    // Duplicates are kept once.
    let bundle = p7b(d, &[&a.cert, &a.cert], false);
    assert_eq!(load_certificates(&bundle).certificates.len(), 1);
}

#[test]
fn pem_bundle_with_junk_and_a_private_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let a = self_signed(d, "a", KeyKind::P256, "/CN=A", "");
    let b = self_signed(d, "b", KeyKind::Ed25519, "/CN=B", "");
    let key = std::fs::read_to_string(&a.key).unwrap();
    assert!(key.contains("BEGIN PRIVATE KEY"));
    let text = format!(
        "Bag Attributes\n    friendlyName: a\nsubject=CN = A\n{}\nsome junk text\n{}\n# comment\r\n{}trailing junk",
        String::from_utf8(a.pem()).unwrap(),
        key,
        String::from_utf8(b.pem()).unwrap().replace('\n', "\r\n"),
    );
    let report = load_certificates(text.as_bytes());
    assert_eq!(report.certificates.len(), 2);
    assert_eq!(report.certificates[0].subject(), "CN=A");
    assert_eq!(report.certificates[1].subject(), "CN=B");
    assert_eq!(report.problems.len(), 1);
    let problem = &report.problems[0];
    assert!(
        problem.location.starts_with("PEM block 2 (line "),
        "{}",
        problem.location
    );
    assert!(
        matches!(&problem.error, Error::UnexpectedPemLabel { label, .. } if label == "PRIVATE KEY")
    );
    // No key material in the message.
    let b64_line = key.lines().nth(1).unwrap();
    assert!(!format!("{:?} {}", problem, problem.error).contains(b64_line));

    // TRUSTED CERTIFICATE and X509 CERTIFICATE labels are read too.
    let trusted = openssl_text(
        &[
            "x509",
            "-in",
            a.cert.to_str().unwrap(),
            "-trustout",
            "-addtrust",
            "emailProtection",
        ],
        d,
    );
    assert!(trusted.contains("BEGIN TRUSTED CERTIFICATE"));
    let report = load_certificates(trusted.as_bytes());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert_eq!(report.certificates[0].der(), a.der().as_slice());
    let x509 = String::from_utf8(a.pem())
        .unwrap()
        .replace("CERTIFICATE", "X509 CERTIFICATE");
    assert_eq!(load_certificates(x509.as_bytes()).certificates.len(), 1);

    // DER certificate.
    let report = load_certificates(&b.der());
    assert_eq!(report.certificates.len(), 1);
    assert!(report.problems.is_empty());

    // from_pem wants exactly one CERTIFICATE block.
    let err = Certificate::from_pem(&key).unwrap_err();
    assert!(matches!(err, Error::UnexpectedPemLabel { .. }));
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(Certificate::from_pem(&text).is_err());
}
