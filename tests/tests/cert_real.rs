//! The certificate layer on real-world input (issue #13): every NIST PKITS certificate parses,
//! DSA signatures (RFC 3279, with parameter inheritance) verify, a notBefore of 1950 is read,
//! and MD5 signatures and small RSA keys are refused as weak, as a typed answer. OpenSSL, which
//! made or checks the fixtures, is the judge.

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use hermes_pki::ErrorKind;
use hermes_pki::cert::{Certificate, KeyAlgorithm, verify_signature_with_params};
use hermes_pki::crl::Crl;
use hermes_pki::time::{from_unix_seconds, to_rfc3339};
use hermes_pki_tests::{openssl, openssl_text};

fn pkits_dir(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/pkits")
        .join(sub)
}

fn pkits(name: &str) -> Certificate {
    let path = pkits_dir("certs").join(format!("{name}.crt"));
    let der = std::fs::read(&path).unwrap();
    Certificate::from_der(&der).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// notBefore and notAfter as OpenSSL prints them (`-dateopt iso_8601`: `1950-01-01 12:01:00Z`),
/// turned into RFC 3339.
fn openssl_dates(path: &Path) -> (String, String) {
    let dir = path.parent().unwrap();
    let text = openssl_text(
        &[
            "x509",
            "-inform",
            "DER",
            "-in",
            path.to_str().unwrap(),
            "-noout",
            "-dates",
            "-dateopt",
            "iso_8601",
        ],
        dir,
    );
    let rfc3339 = |v: &str| v.trim().replacen(' ', "T", 1);
    let mut dates = (String::new(), String::new());
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("notBefore=") {
            dates.0 = rfc3339(v);
        }
        if let Some(v) = line.strip_prefix("notAfter=") {
            dates.1 = rfc3339(v);
        }
    }
    dates
}

#[test]
fn every_pkits_certificate_parses() {
    let mut names: Vec<PathBuf> = std::fs::read_dir(pkits_dir("certs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "crt"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 405, "the PKITS certificate set is complete");
    let mut failures = Vec::new();
    for path in &names {
        let der = std::fs::read(path).unwrap();
        match Certificate::from_der(&der) {
            Ok(cert) => assert_eq!(cert.der(), der.as_slice(), "{path:?}: DER kept"),
            Err(e) => failures.push(format!("{}: {e}", path.display())),
        }
    }
    assert!(failures.is_empty(), "not parsed:\n{}", failures.join("\n"));
}

#[test]
fn pkits_validity_dates_match_openssl() {
    // The pre-1970 one, and a sample of others (UTCTime and GeneralizedTime, 1997-2030).
    for name in [
        "Validpre2000UTCnotBeforeDateTest3EE",
        "Invalidpre2000UTCEEnotAfterDateTest7EE",
        "ValidGeneralizedTimenotBeforeDateTest4EE",
        "ValidGeneralizedTimenotAfterDateTest8EE",
        "TrustAnchorRootCertificate",
        "DSACACert",
    ] {
        let path = pkits_dir("certs").join(format!("{name}.crt"));
        let cert = pkits(name);
        let (before, after) = openssl_dates(&path);
        assert_eq!(to_rfc3339(cert.not_before()), before, "{name} notBefore");
        assert_eq!(to_rfc3339(cert.not_after()), after, "{name} notAfter");
    }
}

/// PKITS 4.2.3: a notBefore of 1950 (UTCTime "500101120100Z") is read as 1950, not refused and
/// not taken as 2050.
#[test]
fn pkits_pre_1970_not_before_is_read() {
    let cert = pkits("Validpre2000UTCnotBeforeDateTest3EE");
    let expected = UNIX_EPOCH - Duration::from_secs(631_108_740);
    assert_eq!(cert.not_before(), expected);
    assert_eq!(cert.not_before(), from_unix_seconds(-631_108_740));
    assert_eq!(to_rfc3339(cert.not_before()), "1950-01-01T12:01:00Z");
    assert_eq!(to_rfc3339(cert.not_after()), "2030-12-31T08:30:00Z");
    assert!(cert.is_valid_at(from_unix_seconds(1_262_304_000))); // 2010
    assert!(cert.is_valid_at(from_unix_seconds(-631_108_740)));
    assert!(!cert.is_valid_at(from_unix_seconds(-631_108_741)));
    // The signature covers the original bytes (with the 1950 date), and still verifies.
    cert.verify_issued_by(&pkits("GoodCACert")).unwrap();
    assert_eq!(
        cert.subject(),
        "CN=Valid pre2000 UTC notBefore Date EE Certificate Test3,O=Test Certificates 2011,C=US"
    );
    // Reloaded through PEM, the same.
    let again = Certificate::from_pem(&cert.to_pem()).unwrap();
    assert_eq!(again.not_before(), expected);
    assert_eq!(again.thumbprint(), cert.thumbprint());
}

/// PKITS 4.1.4 and 4.1.6: DSA signatures (dsaWithSHA1, 1024-bit key) verify; a bad one does not.
#[test]
fn pkits_dsa_signatures() {
    let anchor = pkits("TrustAnchorRootCertificate");
    let dsa_ca = pkits("DSACACert");
    assert_eq!(
        dsa_ca.key_algorithm(),
        KeyAlgorithm::Dsa { bits: Some(1024) }
    );
    assert!(dsa_ca.dsa_parameters().is_some());
    dsa_ca.verify_issued_by(&anchor).unwrap(); // RSA over a DSA key

    let ee = pkits("ValidDSASignaturesTest4EE");
    assert_eq!(ee.key_algorithm(), KeyAlgorithm::Dsa { bits: Some(1024) });
    ee.verify_issued_by(&dsa_ca).unwrap();
    assert_eq!(
        ee.verify_issued_by(&anchor).unwrap_err().kind(),
        ErrorKind::Crypto,
        "an RSA key cannot check a DSA signature"
    );

    let bad = pkits("InvalidDSASignatureTest6EE");
    let err = bad.verify_issued_by(&dsa_ca).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto, "{err}");
    let err = bad
        .verify_issued_by_with_params(&dsa_ca, dsa_ca.dsa_parameters())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Crypto, "{err}");
}

/// PKITS 4.1.5: the intermediate's DSA key has no parameters; they are inherited from its
/// issuer (RFC 3279 2.3.2).
#[test]
fn pkits_dsa_parameter_inheritance() {
    let dsa_ca = pkits("DSACACert");
    let inheriting = pkits("DSAParametersInheritedCACert");
    assert_eq!(inheriting.key_algorithm(), KeyAlgorithm::Dsa { bits: None });
    assert_eq!(inheriting.dsa_parameters(), None);
    // Signed by DSACACert's key, which has its own parameters.
    inheriting.verify_issued_by(&dsa_ca).unwrap();

    let ee = pkits("ValidDSAParameterInheritanceTest5EE");
    let err = ee.verify_issued_by(&inheriting).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    ee.verify_issued_by_with_params(&inheriting, dsa_ca.dsa_parameters())
        .unwrap();
    // Parameters of another DSA group (a fresh OpenSSL one) do not make it verify.
    let dir = tempfile::tempdir().unwrap();
    openssl(
        &["dsaparam", "-outform", "DER", "-out", "other.der", "1024"],
        dir.path(),
    );
    let other = std::fs::read(dir.path().join("other.der")).unwrap();
    assert!(
        ee.verify_issued_by_with_params(&inheriting, Some(&other))
            .is_err()
    );
    // An RSA key has no DSA parameters.
    assert_eq!(pkits("TrustAnchorRootCertificate").dsa_parameters(), None);
}

/// The DSA CRLs of PKITS verify under their issuer's key (CRLs share `verify_signature`).
#[test]
fn pkits_dsa_crl_signature() {
    let dsa_ca = pkits("DSACACert");
    let der = std::fs::read(pkits_dir("crls").join("DSACACRL.crl")).unwrap();
    let crl = Crl::from_der(&der).unwrap();
    crl.verify_signature(dsa_ca.public_key_der()).unwrap();
    let anchor = pkits("TrustAnchorRootCertificate");
    assert!(crl.verify_signature(anchor.public_key_der()).is_err());

    // The inheriting CA's CRL needs the inherited parameters: through verify_signature_with_params.
    let inheriting = pkits("DSAParametersInheritedCACert");
    let der = std::fs::read(pkits_dir("crls").join("DSAParametersInheritedCACRL.crl")).unwrap();
    let crl = Crl::from_der(&der).unwrap();
    let err = crl
        .verify_signature(inheriting.public_key_der())
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    verify_signature_with_params(
        inheriting.public_key_der(),
        dsa_ca.dsa_parameters(),
        crl.signature_algorithm(),
        crl.tbs_der(),
        crl.signature(),
    )
    .unwrap();
}

fn run_openssl_req(dir: &Path, args: &[&str]) -> Certificate {
    openssl(args, dir);
    let pem = std::fs::read_to_string(dir.join("cert.pem")).unwrap();
    Certificate::from_pem(&pem).unwrap()
}

/// DSA keys and signatures as OpenSSL makes them today: 2048-bit p, 256-bit q, with SHA-1,
/// SHA-224 and SHA-256; every fresh signature (r and s of varying lengths) verifies, and
/// changing what was signed breaks it.
#[test]
fn openssl_dsa_signatures_verify() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl(
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:2048",
            "-pkeyopt",
            "dsa_paramgen_q_bits:256",
            "-out",
            "params.pem",
        ],
        d,
    );
    openssl(
        &["genpkey", "-paramfile", "params.pem", "-out", "key.pem"],
        d,
    );
    for (i, digest) in [
        "-sha1", "-sha224", "-sha256", "-sha256", "-sha256", "-sha224",
    ]
    .iter()
    .enumerate()
    {
        let subject = format!("/CN=DSA {i}");
        let cert = run_openssl_req(
            d,
            &[
                "req", "-x509", "-new", "-key", "key.pem", digest, "-subj", &subject, "-days",
                "30", "-out", "cert.pem",
            ],
        );
        assert_eq!(cert.key_algorithm(), KeyAlgorithm::Dsa { bits: Some(2048) });
        cert.verify_issued_by(&cert)
            .unwrap_or_else(|e| panic!("{digest}: {e}"));
        assert!(cert.is_self_signed());
        let verified = openssl_text(&["verify", "-CAfile", "cert.pem", "cert.pem"], d);
        assert!(verified.contains("OK"), "OpenSSL agrees: {verified}");
    }
}

/// md5WithRSAEncryption (as `openssl req -x509 -md5` makes it) is a weak-algorithm answer, not
/// "unsupported" and not a parse error; so is a 512-bit RSA key.
#[test]
fn md5_signature_and_small_rsa_key_are_weak() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let md5 = run_openssl_req(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "md5.key",
            "-md5",
            "-subj",
            "/CN=MD5 signed",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    );
    let err = md5.verify_issued_by(&md5).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
    assert!(!md5.is_self_signed());

    let small = run_openssl_req(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:512",
            "-nodes",
            "-keyout",
            "small.key",
            "-sha256",
            "-subj",
            "/CN=RSA 512",
            "-days",
            "30",
            "-out",
            "cert.pem",
        ],
    );
    assert_eq!(small.key_algorithm(), KeyAlgorithm::Rsa { bits: 512 });
    let err = small.verify_issued_by(&small).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Weak, "{err}");
}

/// Both validity times before 1970, and broken variants: the times are read exactly; what is
/// wrong elsewhere is still an error.
#[test]
fn pre_1970_validity_variants() {
    let path = pkits_dir("certs").join("Validpre2000UTCnotBeforeDateTest3EE.crt");
    let der = std::fs::read(path).unwrap();
    let find = |needle: &[u8]| {
        der.windows(needle.len())
            .position(|w| w == needle)
            .unwrap_or_else(|| panic!("{:?} not in the certificate", std::str::from_utf8(needle)))
    };
    let not_after = find(b"301231083000Z");
    let not_before = find(b"500101120100Z");

    // notAfter in 1960: expired before 1970.
    let mut early = der.clone();
    early[not_after..not_after + 2].copy_from_slice(b"60");
    let cert = Certificate::from_der(&early).unwrap();
    assert_eq!(to_rfc3339(cert.not_before()), "1950-01-01T12:01:00Z");
    assert_eq!(to_rfc3339(cert.not_after()), "1960-12-31T08:30:00Z");
    assert!(!cert.is_valid_at(UNIX_EPOCH));
    assert!(cert.is_valid_at(from_unix_seconds(-315_619_200))); // 1960-01-01
    // The DER is kept as given: the changed date breaks the signature.
    assert_eq!(cert.der(), early.as_slice());
    assert_eq!(
        cert.verify_issued_by(&pkits("GoodCACert"))
            .unwrap_err()
            .kind(),
        ErrorKind::Crypto
    );

    // An impossible pre-1970 date (month 13) is malformed, not masked.
    let mut bad = der.clone();
    bad[not_before + 2..not_before + 4].copy_from_slice(b"13");
    let err = Certificate::from_der(&bad).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse, "{err}");

    // A pre-1970 certificate with something else broken (trailing byte, cut short) is still
    // refused.
    let mut trailing = der.clone();
    trailing.push(0);
    assert_eq!(
        Certificate::from_der(&trailing).unwrap_err().kind(),
        ErrorKind::Parse
    );
    for cut in [10, der.len() / 2, der.len() - 1] {
        assert!(Certificate::from_der(&der[..cut]).is_err(), "cut at {cut}");
    }
}
