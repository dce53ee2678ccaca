//! The internal CA judged by the real `openssl` command: CAs and certificates made here verify
//! for S/MIME signing and encryption; external CAs made by `openssl req -x509` import; two
//! processes issuing at once on one SQLite store lose nothing and never repeat a serial.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;

use hermes_pki::ErrorKind;
use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::KeySpec;
use hermes_pki::store::{SqliteStore, Store, StoreExt};
use hermes_pki::time::{FixedClock, SystemClock, add_days};
use hermes_pki_tests::{KeyKind, issue, openssl, self_signed};

fn write(dir: &Path, name: &str, cert: &Certificate) -> String {
    std::fs::write(dir.join(name), cert.to_pem()).unwrap();
    name.to_string()
}

/// Runs `openssl verify` and returns (success, combined output).
fn verify(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .arg("verify")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_verifies(dir: &Path, root: &str, untrusted: Option<&str>, leaf: &str) {
    for purpose in ["smimesign", "smimeencrypt"] {
        let mut args = vec!["-purpose", purpose, "-x509_strict", "-CAfile", root];
        if let Some(u) = untrusted {
            args.extend(["-untrusted", u]);
        }
        args.push(leaf);
        let (ok, text) = verify(dir, &args);
        assert!(
            ok && text.contains(": OK"),
            "openssl verify {purpose}: {text}"
        );
    }
}

#[test]
fn root_and_intermediate_made_here_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = SqliteStore::open_default(d.join("store")).unwrap();
    let ca = CertificateAuthority::new(&store);
    let spec = CaSpec::new(
        DistinguishedName::new("Interop Root CA")
            .organization("Example GmbH")
            .country("DE"),
    )
    .key(KeySpec::Rsa(2048))
    .intermediate(DistinguishedName::new("Interop Mail CA").organization("Example GmbH"));
    let created = ca.create(&spec, &SystemClock).unwrap();
    let root = write(d, "root.pem", created.root_certificate());
    let inter = write(d, "inter.pem", created.issuing_certificate());

    // The CA certificates are what openssl calls CAs, with the extensions as specified.
    let (ok, text) = verify(d, &["-x509_strict", "-CAfile", &root, &inter]);
    assert!(ok, "{text}");
    let text = String::from_utf8(openssl(&["x509", "-in", &root, "-noout", "-text"], d)).unwrap();
    assert!(
        text.contains("X509v3 Basic Constraints: critical") && text.contains("CA:TRUE, pathlen:1"),
        "{text}"
    );
    assert!(
        text.contains("X509v3 Key Usage: critical") && text.contains("Certificate Sign, CRL Sign")
    );
    assert!(text.contains("sha256WithRSAEncryption"));

    for (i, key) in [KeySpec::Rsa(2048), KeySpec::EcP256, KeySpec::EcP384]
        .into_iter()
        .enumerate()
    {
        let issued = ca
            .issue(
                &IssueSpec::new(format!("user{i}@example.com"), format!("User {i}"))
                    .key(key)
                    .crl_distribution_point("http://crl.example.com/mail.crl"),
                &SystemClock,
            )
            .unwrap();
        let leaf = write(d, &format!("user{i}.pem"), issued.certificate());
        assert_verifies(d, &root, Some(&inter), &leaf);
        let text =
            String::from_utf8(openssl(&["x509", "-in", &leaf, "-noout", "-text"], d)).unwrap();
        assert!(
            text.contains(&format!("email:user{i}@example.com")),
            "{text}"
        );
        assert!(text.contains("E-mail Protection"), "{text}");
        assert!(
            text.contains("URI:http://crl.example.com/mail.crl"),
            "{text}"
        );
        // The key openssl sees in the certificate is the one we hand out.
        std::fs::write(
            d.join(format!("user{i}.key")),
            issued.key().to_pkcs8_pem().unwrap().as_bytes(),
        )
        .unwrap();
        let from_cert = openssl(&["x509", "-in", &leaf, "-noout", "-pubkey"], d);
        let from_key = openssl(&["pkey", "-in", &format!("user{i}.key"), "-pubout"], d);
        assert_eq!(from_cert, from_key);
    }
}

#[test]
fn renewed_root_still_verifies_earlier_certificates_and_the_old_one_no_longer_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = SqliteStore::open_default(d.join("store")).unwrap();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Renewed Root")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let old = write(d, "old.pem", created.root_certificate());
    let issued = ca
        .issue(&IssueSpec::new("alice@example.com", "Alice"), &SystemClock)
        .unwrap();
    let leaf = write(d, "alice.pem", issued.certificate());
    let renewed = ca.renew(created.root().id, &SystemClock).unwrap();
    let new = write(d, "new.pem", &renewed);
    assert_verifies(d, &new, None, &leaf);
    assert_verifies(d, &old, None, &leaf);
    // The renewed certificate is valid 5 years past the old notAfter (openssl's view).
    let end = String::from_utf8(openssl(&["x509", "-in", &new, "-noout", "-enddate"], d)).unwrap();
    let old_end =
        String::from_utf8(openssl(&["x509", "-in", &old, "-noout", "-enddate"], d)).unwrap();
    let year = |s: &str| -> i32 {
        s.split_whitespace()
            .find_map(|w| w.parse::<i32>().ok().filter(|y| *y > 2000))
            .unwrap()
    };
    assert_eq!(year(&end), year(&old_end) + 5, "{old_end} -> {end}");
    // Only the renewed certificate is a trust anchor now.
    let roots = store.read_transaction(|tx| tx.roots()).unwrap();
    assert_eq!(roots.len(), 1);
    assert_eq!(roots[0].der(), renewed.der());
}

#[test]
fn external_ca_made_by_openssl_imports_and_issues() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ext = "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\n\
               subjectKeyIdentifier = hash";
    let rsa = self_signed(
        d,
        "extrsa",
        KeyKind::Rsa(2048),
        "/CN=OpenSSL RSA CA/O=Elsewhere",
        ext,
    );
    let ec = self_signed(d, "extec", KeyKind::P256, "/CN=OpenSSL EC CA", ext);
    // A PKCS#1 ("traditional") copy of the RSA key, and the certificate as DER.
    openssl(
        &[
            "rsa",
            "-in",
            "extrsa.key",
            "-traditional",
            "-out",
            "extrsa.pkcs1.pem",
        ],
        d,
    );
    openssl(
        &[
            "x509",
            "-in",
            "extrsa.pem",
            "-outform",
            "DER",
            "-out",
            "extrsa.der",
        ],
        d,
    );
    let leaf = issue(
        d,
        "leaf",
        &ec,
        KeyKind::P256,
        "/CN=Not A CA",
        Some("basicConstraints = CA:FALSE"),
        30,
    );
    let read = |name: &str| std::fs::read(d.join(name)).unwrap();

    let store = SqliteStore::open_default(d.join("store")).unwrap();
    let ca = CertificateAuthority::new(&store);
    let count = |s: &SqliteStore| {
        s.read_transaction(|tx| Ok((tx.count_certificates()?, tx.cas()?.len(), tx.roots()?.len())))
            .unwrap()
    };
    let empty = count(&store);

    // Refusals: mismatched key, not a CA, garbage certificate, garbage key.
    let cases: [(Vec<u8>, Vec<u8>, ErrorKind); 4] = [
        (rsa.pem(), read("extec.key"), ErrorKind::KeyMismatch),
        (
            leaf.pem(),
            std::fs::read(&leaf.key).unwrap(),
            ErrorKind::NotCa,
        ),
        (
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
            read("extrsa.key"),
            ErrorKind::Parse,
        ),
        (rsa.pem(), b"not a key".to_vec(), ErrorKind::InvalidKey),
    ];
    for (cert, key, kind) in cases {
        let e = ca
            .import(&cert, &key, None, false, &SystemClock)
            .unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert_eq!(count(&store), empty, "a refusal stored something");
    }

    // DER certificate with a PKCS#1 key; PEM certificate with a PKCS#8 key.
    let a = ca
        .import(
            &read("extrsa.der"),
            &read("extrsa.pkcs1.pem"),
            None,
            false,
            &SystemClock,
        )
        .unwrap();
    let b = ca
        .import(&ec.pem(), &read("extec.key"), None, true, &SystemClock)
        .unwrap();
    assert!(a.imported && b.is_default && !ca.get(a.id).unwrap().is_default);
    assert_eq!(a.name, "OpenSSL RSA CA");
    for (id, root) in [(a.id, "extrsa.pem"), (b.id, "extec.pem")] {
        let issued = ca
            .issue(
                &IssueSpec::new("bob@example.org", "Bob")
                    .ca(id)
                    .key(KeySpec::EcP256),
                &SystemClock,
            )
            .unwrap();
        let leaf = write(d, "bob.pem", issued.certificate());
        assert_verifies(d, root, None, &leaf);
    }
}

#[test]
fn two_processes_issuing_at_once_lose_nothing_and_repeat_no_serial() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("store");
    let ca_id = {
        let store = SqliteStore::open_default(&store_dir).unwrap();
        let ca = CertificateAuthority::new(&store);
        // Valid from yesterday, so the issuers' system clocks are well inside it.
        let yesterday = FixedClock(add_days(std::time::SystemTime::now(), -1));
        ca.create(
            &CaSpec::new(DistinguishedName::new("Busy CA")).key(KeySpec::EcP256),
            &yesterday,
        )
        .unwrap()
        .root()
        .id
    };
    const PER_PROCESS: usize = 150;
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|prefix| {
            Command::new(env!("CARGO_BIN_EXE_ca_issuer"))
                .args([
                    store_dir.to_str().unwrap(),
                    prefix,
                    &PER_PROCESS.to_string(),
                ])
                .spawn()
                .expect("spawn ca_issuer")
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "an issuer process failed");
    }
    let store = SqliteStore::open_default(&store_dir).unwrap();
    let records = store.read_transaction(|tx| tx.issued_by(ca_id)).unwrap();
    assert_eq!(
        records.len(),
        2 * PER_PROCESS,
        "every issuance was recorded"
    );
    let serials: HashSet<_> = records.iter().map(|r| r.serial.clone()).collect();
    assert_eq!(serials.len(), 2 * PER_PROCESS, "no serial repeated");
    let emails: HashSet<_> = records.iter().filter_map(|r| r.email.clone()).collect();
    assert_eq!(emails.len(), 2 * PER_PROCESS);
    store
        .read_transaction(|tx| {
            assert_eq!(tx.count_certificates()?, 2 * PER_PROCESS as u64 + 1);
            for r in &records {
                let cert = tx.certificate(&r.thumbprint)?.expect("certificate stored");
                assert_eq!(cert.serial(), &r.serial);
                assert!(
                    tx.key_for_certificate(&r.thumbprint)?.is_some(),
                    "key stored"
                );
            }
            Ok(())
        })
        .unwrap();
    let _: &dyn Store = &store;
}
