//! CRLs judged by the real `openssl` command, both directions:
//!
//! - CRLs made here (by a root CA alone, and by a root and an intermediate; RSA-2048 and
//!   P-256 CA keys) verify with `openssl crl -verify`, show what `openssl crl -text` should see
//!   (CRL number, AKI = the issuer's SKI, the revoked serial and its reason), and make
//!   `openssl verify -crl_check` / `-crl_check_all` reject the revoked certificate (or, with a
//!   revoked intermediate, everything under it) and accept the others.
//! - CRLs made by `openssl ca -gencrl` import here (PEM and DER) and revoke; a newer one
//!   replaces an older one and never the reverse; one signed with another key under the same
//!   issuer name, or by a CA without cRLSign, is kept as invalid and revokes nothing.
//!
//! A missing `openssl` command fails these tests (with a message saying so); it never skips
//! them.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use hermes_pki::ca::{
    CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Revocation,
};
use hermes_pki::cert::{Certificate, Serial};
use hermes_pki::crl::{CrlImport, CrlOutcome, Crls, RevocationReason};
use hermes_pki::key::KeySpec;
use hermes_pki::store::{CrlStatus, MemoryStore, StoreExt};
use hermes_pki::time::SystemClock;
use hermes_pki::trust::{
    LeafPolicy, Reason, RevocationMode, Validation, ValidationOptions, Validator,
};
use hermes_pki_tests::{
    Issued, KeyKind, gen_key, openssl, openssl_text, self_signed, x509_ext, x509_value,
};

// ---------------------------------------------------------------- helpers

/// Runs `openssl args...` in `dir` and returns (exit status success, stdout + stderr). For
/// commands whose failure is the point (`verify` of a revoked certificate), and for
/// `openssl crl -verify`, which prints its verdict on stderr.
fn run(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot run the openssl command (is OpenSSL installed? CI installs it)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `openssl crl -in crl -CAfile ca -noout -verify`: whether openssl says "verify OK". (OpenSSL
/// 3.0 exits 0 even on "verify failure", so the text is what counts.)
fn crl_verifies(dir: &Path, crl: &str, ca: &str) -> bool {
    let (ok, text) = run(
        dir,
        &["crl", "-in", crl, "-CAfile", ca, "-noout", "-verify"],
    );
    let verified = text.contains("verify OK");
    assert!(
        verified || text.contains("verify failure"),
        "openssl crl -verify said neither OK nor failure (exit ok: {ok}):\n{text}"
    );
    verified
}

/// `openssl verify -x509_strict <check> -CAfile root [-untrusted inter] -CRLfile crls cert`.
fn verify_with_crls(
    dir: &Path,
    check: &str,
    root: &str,
    untrusted: Option<&str>,
    crls: Option<&str>,
    cert: &str,
) -> (bool, String) {
    let mut args = vec!["verify", "-x509_strict", check, "-CAfile", root];
    if let Some(u) = untrusted {
        args.extend(["-untrusted", u]);
    }
    if let Some(c) = crls {
        args.extend(["-CRLfile", c]);
    }
    args.push(cert);
    run(dir, &args)
}

fn assert_openssl_accepts(result: (bool, String), what: &str) {
    let (ok, text) = result;
    assert!(
        ok && text.contains(": OK"),
        "openssl verify {what}:\n{text}"
    );
}

/// Asserts `openssl verify` failed because a certificate `depth` levels up is revoked.
fn assert_openssl_revoked(result: (bool, String), depth: u32, what: &str) {
    let (ok, text) = result;
    assert!(!ok, "openssl verify accepted {what}:\n{text}");
    assert!(
        text.contains(&format!("at {depth} depth lookup: certificate revoked")),
        "openssl verify {what}: expected \"certificate revoked\" at depth {depth}:\n{text}"
    );
}

/// What `openssl crl -noout -text` shows of a CRL.
#[derive(Debug, Default)]
struct CrlText {
    signature_algorithm: String,
    issuer: String,
    number: Option<String>,
    /// Upper-case hex without separators.
    authority_key_id: Option<String>,
    has_next_update: bool,
    /// (serial as openssl prints it, reason as openssl prints it).
    entries: Vec<(String, Option<String>)>,
}

impl CrlText {
    /// The reason openssl shows for `serial` (compared case-insensitively), `None` when the
    /// serial is not on the CRL, `Some(None)` when it is but without a reason.
    fn reason_of(&self, serial_hex: &str) -> Option<Option<&str>> {
        self.entries
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(serial_hex))
            .map(|(_, r)| r.as_deref())
    }
}

/// Upper-case hex of openssl's `AB:CD:...` (and `keyid:AB:...`) text.
fn colon_hex(s: &str) -> String {
    let s = s.trim();
    s.strip_prefix("keyid:")
        .unwrap_or(s)
        .replace(':', "")
        .to_ascii_uppercase()
}

fn crl_text(dir: &Path, crl: &str) -> CrlText {
    let text = String::from_utf8(openssl(&["crl", "-in", crl, "-noout", "-text"], dir)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let next = |i: usize| lines.get(i + 1).map(|l| l.trim().to_string());
    let mut out = CrlText::default();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("Signature Algorithm:")
            && out.signature_algorithm.is_empty()
        {
            out.signature_algorithm = v.trim().to_string();
        } else if let Some(v) = line.strip_prefix("Issuer:") {
            out.issuer = v.trim().to_string();
        } else if line.starts_with("Next Update:") {
            out.has_next_update = !line.contains("NONE");
        } else if line.starts_with("X509v3 CRL Number:") {
            out.number = next(i);
        } else if line.starts_with("X509v3 Authority Key Identifier:") {
            out.authority_key_id = next(i).map(|v| colon_hex(&v));
        } else if let Some(v) = line.strip_prefix("Serial Number:") {
            out.entries.push((v.trim().to_string(), None));
        } else if line.starts_with("X509v3 CRL Reason Code:") {
            let entry = out
                .entries
                .last_mut()
                .unwrap_or_else(|| panic!("a reason code outside an entry:\n{text}"));
            entry.1 = next(i);
        }
    }
    out
}

/// The subjectKeyIdentifier openssl sees in `cert`, upper-case hex.
fn openssl_ski(dir: &Path, cert: &str) -> String {
    let text = x509_ext(dir, &dir.join(cert), "subjectKeyIdentifier");
    let value = text
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty() && !l.starts_with("X509v3"))
        .unwrap_or_else(|| panic!("no subjectKeyIdentifier in {cert}:\n{text}"));
    colon_hex(value)
}

/// The serial openssl sees in `cert` (`x509 -serial`), as openssl prints it.
fn openssl_serial(dir: &Path, cert: &str) -> String {
    x509_value(dir, &dir.join(cert), "-serial")
}

fn write_pem(dir: &Path, name: &str, cert: &Certificate) -> String {
    std::fs::write(dir.join(name), cert.to_pem()).unwrap();
    name.to_string()
}

/// Writes the concatenation of PEM `files` to `name` (one -CRLfile with several CRLs).
fn concat(dir: &Path, name: &str, files: &[&str]) -> String {
    let mut all = Vec::new();
    for f in files {
        all.extend(std::fs::read(dir.join(f)).unwrap());
    }
    std::fs::write(dir.join(name), all).unwrap();
    name.to_string()
}

fn load(path: &Path) -> Certificate {
    Certificate::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Validates `cert` for S/MIME signing now, over `store` (its roots, certificates and CRLs).
fn validate(store: &MemoryStore, cert: &Certificate) -> Validation {
    let options = ValidationOptions::new(SystemTime::now(), LeafPolicy::SmimeSigning);
    store
        .read_transaction(|tx| Validator::new(tx).validate(cert, &options))
        .unwrap()
}

/// Asserts `cert` is valid (for S/MIME signing) over `store`.
fn assert_valid(store: &MemoryStore, cert: &Certificate, what: &str) {
    let v = validate(store, cert);
    assert!(v.is_valid(), "{what} should be valid: {v:?}");
}

/// Asserts the only thing wrong with `cert` is that `subject` (it, or a CA above it) is
/// revoked for `reason`.
fn assert_revoked(
    store: &MemoryStore,
    cert: &Certificate,
    subject: &str,
    reason: RevocationReason,
) {
    let v = validate(store, cert);
    match v.reasons() {
        [
            Reason::Revoked {
                subject: s,
                reason: r,
                ..
            },
        ] => {
            assert_eq!(s, subject, "{v:?}");
            assert_eq!(*r, Some(reason), "{v:?}");
        }
        _ => panic!("expected exactly \"{subject} revoked ({reason})\", got {v:?}"),
    }
}

fn import(store: &MemoryStore, bytes: &[u8], source: &str) -> CrlImport {
    let mut imports = Crls::new(store)
        .import(bytes, Some(source), &SystemClock)
        .unwrap();
    assert_eq!(imports.len(), 1, "{source}: {imports:?}");
    imports.remove(0)
}

/// Makes `cert` a trust anchor of `store` (and a stored certificate).
fn trust(store: &MemoryStore, cert: &Certificate) {
    store
        .transaction(|tx| {
            tx.put_certificate(cert)?;
            tx.put_root(cert)?;
            Ok(())
        })
        .unwrap();
}

// ---------------------------------------------------------------- CRLs made here

/// A CA made here (root alone, or root and intermediate, with `key`) revokes one of two
/// certificates; openssl checks the CRL and validates with it.
fn crl_made_here(key: KeySpec, with_intermediate: bool, tag: &str) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let mut spec = CaSpec::new(DistinguishedName::new(format!("{tag} Root CA"))).key(key);
    if with_intermediate {
        spec = spec.intermediate(DistinguishedName::new(format!("{tag} Mail CA")));
    }
    let created = ca.create(&spec, &SystemClock).unwrap();
    let issuing = created.issuing().id;
    let root = write_pem(d, "root.pem", created.root_certificate());
    let issuer = if with_intermediate {
        write_pem(d, "inter.pem", created.issuing_certificate())
    } else {
        root.clone()
    };
    let untrusted = with_intermediate.then_some("inter.pem");
    let issue = |name: &str| {
        ca.issue(
            &IssueSpec::new(format!("{name}@example.com"), format!("{name} user"))
                .key(KeySpec::EcP256)
                .ca(issuing),
            &SystemClock,
        )
        .unwrap()
        .certificate()
        .clone()
    };
    let revoked = issue("revoked");
    let good = issue("good");
    let revoked_pem = write_pem(d, "revoked.pem", &revoked);
    let good_pem = write_pem(d, "good.pem", &good);

    let crl = ca
        .create_crl(
            &CrlSpec::new(issuing).revocation(
                Revocation::new(revoked.serial().clone()).reason(RevocationReason::KeyCompromise),
            ),
            &SystemClock,
        )
        .unwrap();
    assert_eq!(crl.number(), 1);
    std::fs::write(d.join("crl.pem"), crl.to_pem().unwrap()).unwrap();
    std::fs::write(d.join("crl.der"), crl.der()).unwrap();

    // openssl reads the PEM and the DER as the same CRL, and re-encodes it byte for byte.
    let from_pem = openssl(&["crl", "-in", "crl.pem", "-outform", "DER"], d);
    let from_der = openssl(
        &["crl", "-inform", "DER", "-in", "crl.der", "-outform", "DER"],
        d,
    );
    assert_eq!(from_pem, crl.der());
    assert_eq!(from_der, crl.der());

    // The signature verifies with the issuer's certificate; a CRL with one signature byte
    // changed does not (so "verify OK" means something).
    assert!(crl_verifies(d, "crl.pem", &issuer), "CRL signature");
    let mut tampered = crl.der().to_vec();
    *tampered.last_mut().unwrap() ^= 0x01;
    std::fs::write(d.join("tampered.der"), &tampered).unwrap();
    openssl(
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "tampered.der",
            "-out",
            "tampered.pem",
        ],
        d,
    );
    assert!(!crl_verifies(d, "tampered.pem", &issuer), "tampered CRL");

    // What openssl sees in it.
    let text = crl_text(d, "crl.pem");
    let expected_alg = match key {
        KeySpec::Rsa(_) => "sha256WithRSAEncryption",
        _ => "ecdsa-with-SHA256",
    };
    assert_eq!(text.signature_algorithm, expected_alg, "{text:?}");
    assert!(
        text.issuer.contains(&format!("CN = {tag} ")),
        "issuer {:?}",
        text.issuer
    );
    assert!(text.has_next_update, "{text:?}");
    assert_eq!(text.number.as_deref(), Some("1"), "{text:?}");
    let ski = openssl_ski(d, &issuer);
    assert_eq!(
        text.authority_key_id.as_deref(),
        Some(ski.as_str()),
        "{text:?}"
    );
    assert_eq!(text.entries.len(), 1, "{text:?}");
    assert_eq!(
        &Serial::from_hex(&text.entries[0].0).unwrap(),
        revoked.serial(),
        "{text:?}"
    );
    let revoked_serial = openssl_serial(d, &revoked_pem);
    assert!(
        revoked_serial.eq_ignore_ascii_case(&revoked.serial().to_string()),
        "openssl {revoked_serial} vs here {}",
        revoked.serial()
    );
    assert_eq!(
        text.reason_of(&revoked_serial),
        Some(Some("Key Compromise")),
        "{text:?}"
    );
    assert_eq!(
        text.reason_of(&openssl_serial(d, &good_pem)),
        None,
        "{text:?}"
    );

    // openssl verify -crl_check: the revoked certificate is rejected, the other accepted; and
    // without the CRL, -crl_check accepts nothing (so the CRL is what it used).
    let leaf_check = |cert: &str, crls: Option<&str>| {
        verify_with_crls(d, "-crl_check", &root, untrusted, crls, cert)
    };
    assert_openssl_revoked(leaf_check(&revoked_pem, Some("crl.pem")), 0, "revoked");
    assert_openssl_accepts(leaf_check(&good_pem, Some("crl.pem")), "good, -crl_check");
    let (ok, out) = leaf_check(&good_pem, None);
    assert!(
        !ok && out.contains("unable to get certificate CRL"),
        "-crl_check without a CRL:\n{out}"
    );
    // Validation here agrees.
    assert_revoked(
        &store,
        &revoked,
        revoked.subject(),
        RevocationReason::KeyCompromise,
    );
    assert_valid(&store, &good, "the unrevoked certificate");

    if !with_intermediate {
        return;
    }
    // -crl_check_all needs the root's CRL too; an empty one will do.
    let root_id = created.root().id;
    let root_crl = ca.create_crl(&CrlSpec::new(root_id), &SystemClock).unwrap();
    assert_eq!(root_crl.number(), 1);
    std::fs::write(d.join("root-crl.pem"), root_crl.to_pem().unwrap()).unwrap();
    assert!(crl_verifies(d, "root-crl.pem", &root), "root CRL signature");
    let text = crl_text(d, "root-crl.pem");
    assert_eq!(text.number.as_deref(), Some("1"), "{text:?}");
    assert_eq!(
        text.authority_key_id.as_deref(),
        Some(openssl_ski(d, &root).as_str()),
        "{text:?}"
    );
    assert!(text.entries.is_empty(), "{text:?}");
    let all_check = |cert: &str, crls: &str| {
        verify_with_crls(d, "-crl_check_all", &root, untrusted, Some(crls), cert)
    };
    let both = concat(d, "both.pem", &["root-crl.pem", "crl.pem"]);
    assert_openssl_revoked(all_check(&revoked_pem, &both), 0, "revoked, -crl_check_all");
    assert_openssl_accepts(all_check(&good_pem, &both), "good, -crl_check_all");
    let (ok, out) = all_check(&good_pem, "crl.pem");
    assert!(
        !ok && out.contains("at 1 depth lookup: unable to get certificate CRL"),
        "-crl_check_all without the root's CRL:\n{out}"
    );

    // The root revokes the intermediate: now even the good certificate is rejected, at the
    // intermediate (depth 1).
    let inter_cert = created.issuing_certificate();
    let root_crl = ca
        .create_crl(
            &CrlSpec::new(root_id).revocation(
                Revocation::new(inter_cert.serial().clone()).reason(RevocationReason::CaCompromise),
            ),
            &SystemClock,
        )
        .unwrap();
    assert_eq!(root_crl.number(), 2);
    std::fs::write(d.join("root-crl2.pem"), root_crl.to_pem().unwrap()).unwrap();
    assert!(crl_verifies(d, "root-crl2.pem", &root), "second root CRL");
    let text = crl_text(d, "root-crl2.pem");
    assert_eq!(text.number.as_deref(), Some("2"), "{text:?}");
    assert_eq!(
        text.reason_of(&openssl_serial(d, &issuer)),
        Some(Some("CA Compromise")),
        "{text:?}"
    );
    let both = concat(d, "both2.pem", &["root-crl2.pem", "crl.pem"]);
    assert_openssl_revoked(
        all_check(&good_pem, &both),
        1,
        "good, under a revoked intermediate",
    );
    assert_revoked(
        &store,
        &good,
        inter_cert.subject(),
        RevocationReason::CaCompromise,
    );
}

#[test]
fn crl_of_an_ec_root_ca_made_here_satisfies_openssl() {
    crl_made_here(KeySpec::EcP256, false, "EC Only");
}

#[test]
fn crl_of_an_rsa_root_ca_made_here_satisfies_openssl() {
    crl_made_here(KeySpec::Rsa(2048), false, "RSA Only");
}

#[test]
fn crls_of_an_ec_root_and_intermediate_made_here_satisfy_openssl() {
    crl_made_here(KeySpec::EcP256, true, "EC Pair");
}

#[test]
fn crls_of_an_rsa_root_and_intermediate_made_here_satisfy_openssl() {
    crl_made_here(KeySpec::Rsa(2048), true, "RSA Pair");
}

// ---------------------------------------------------------------- CRLs made by openssl

/// A CA run by `openssl ca`: a self-signed P-256 root with `keyUsage = critical, <usage>`,
/// and its database (index.txt, serial, crlnumber starting at 1) in `<name>-db`.
struct OpensslCa {
    dir: PathBuf,
    cert: Issued,
    cnf: String,
}

impl OpensslCa {
    fn new(dir: &Path, name: &str, subject: &str, key_usage: &str) -> Self {
        let cert = self_signed(
            dir,
            name,
            KeyKind::P256,
            subject,
            &format!(
                "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, {key_usage}\n\
                 subjectKeyIdentifier = hash"
            ),
        );
        let db = format!("{name}-db");
        std::fs::create_dir_all(dir.join(&db)).unwrap();
        std::fs::write(dir.join(&db).join("index.txt"), "").unwrap();
        std::fs::write(dir.join(&db).join("serial"), "1000\n").unwrap();
        std::fs::write(dir.join(&db).join("crlnumber"), "01\n").unwrap();
        let cnf = format!("{name}-ca.cnf");
        std::fs::write(
            dir.join(&cnf),
            format!(
                "[ca]\ndefault_ca = theca\n\
                 [theca]\ndatabase = {db}/index.txt\nnew_certs_dir = {db}\nserial = {db}/serial\n\
                 crlnumber = {db}/crlnumber\ncertificate = {name}.pem\nprivate_key = {name}.key\n\
                 default_md = sha256\ndefault_days = 30\ndefault_crl_days = 7\npolicy = pol\n\
                 unique_subject = no\n\
                 [pol]\ncommonName = supplied\n\
                 [crl_ext]\nauthorityKeyIdentifier = keyid:always\n\
                 [req]\ndistinguished_name = dn\n[dn]\n"
            ),
        )
        .unwrap();
        OpensslCa {
            dir: dir.to_path_buf(),
            cert,
            cnf,
        }
    }

    fn certificate(&self) -> Certificate {
        load(&self.cert.cert)
    }

    /// Issues an S/MIME certificate (P-256, digitalSignature + keyAgreement, emailProtection,
    /// SAN email) `name.pem` through `openssl ca`.
    fn issue(&self, name: &str, email: &str) -> Issued {
        let d = &self.dir;
        let key = gen_key(d, name, KeyKind::P256);
        let csr = format!("{name}.csr");
        openssl(
            &[
                "req",
                "-new",
                "-key",
                key.to_str().unwrap(),
                "-subj",
                &format!("/CN={name}"),
                "-config",
                &self.cnf,
                "-out",
                &csr,
            ],
            d,
        );
        let ext = format!("{name}-ext.cnf");
        std::fs::write(
            d.join(&ext),
            format!(
                "[ext]\nbasicConstraints = critical, CA:FALSE\n\
                 keyUsage = critical, digitalSignature, keyAgreement\n\
                 extendedKeyUsage = emailProtection\nsubjectAltName = email:{email}\n\
                 subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n"
            ),
        )
        .unwrap();
        let cert = format!("{name}.pem");
        openssl(
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                &self.cnf,
                "-in",
                &csr,
                "-out",
                &cert,
                "-extfile",
                &ext,
                "-extensions",
                "ext",
            ],
            d,
        );
        Issued {
            cert: d.join(cert),
            key,
        }
    }

    /// `openssl ca -revoke cert -crl_reason reason` (the certificate need not be this CA's:
    /// openssl adds its serial to the database).
    fn revoke(&self, cert: &Issued, reason: &str) {
        openssl(
            &[
                "ca",
                "-config",
                &self.cnf,
                "-revoke",
                cert.cert.to_str().unwrap(),
                "-crl_reason",
                reason,
            ],
            &self.dir,
        );
    }

    /// `openssl ca -gencrl` into `name.pem`, and its DER form `name.der`: (PEM, DER).
    fn gencrl(&self, name: &str) -> (Vec<u8>, Vec<u8>) {
        let d = &self.dir;
        let pem = format!("{name}.pem");
        let der = format!("{name}.der");
        openssl(
            &[
                "ca", "-config", &self.cnf, "-gencrl", "-crlexts", "crl_ext", "-out", &pem,
            ],
            d,
        );
        openssl(&["crl", "-in", &pem, "-outform", "DER", "-out", &der], d);
        (
            std::fs::read(d.join(pem)).unwrap(),
            std::fs::read(d.join(der)).unwrap(),
        )
    }
}

impl OpensslCa {
    /// `openssl ca -gencrl` without CRL extensions or a CRL number: a version 1 CRL, as some
    /// CAs still publish. (PEM, DER.)
    fn gencrl_v1(&self, name: &str) -> (Vec<u8>, Vec<u8>) {
        let d = &self.dir;
        let cnf: String = std::fs::read_to_string(d.join(&self.cnf))
            .unwrap()
            .lines()
            .filter(|l| !l.starts_with("crlnumber"))
            .map(|l| format!("{l}\n"))
            .collect();
        let v1_cnf = format!("{name}-v1.cnf");
        std::fs::write(d.join(&v1_cnf), cnf).unwrap();
        let pem = format!("{name}.pem");
        let der = format!("{name}.der");
        openssl(&["ca", "-config", &v1_cnf, "-gencrl", "-out", &pem], d);
        openssl(&["crl", "-in", &pem, "-outform", "DER", "-out", &der], d);
        (
            std::fs::read(d.join(pem)).unwrap(),
            std::fs::read(d.join(der)).unwrap(),
        )
    }
}

#[test]
fn a_version_1_crl_without_a_number_is_usable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let oca = OpensslCa::new(d, "v1ca", "/CN=V1 CRL CA", "keyCertSign, cRLSign");
    let alice_files = oca.issue("alice", "alice@example.org");
    let bob_files = oca.issue("bob", "bob@example.org");
    let (alice, bob) = (load(&alice_files.cert), load(&bob_files.cert));
    // Without a reason (an entry extension would make it version 2).
    openssl(
        &[
            "ca",
            "-config",
            &oca.cnf,
            "-revoke",
            alice_files.cert.to_str().unwrap(),
        ],
        d,
    );
    let (_, der) = oca.gencrl_v1("crl-v1");
    let text = openssl_text(&["crl", "-in", "crl-v1.pem", "-noout", "-text"], d);
    assert!(
        text.contains("Version 1") && !text.contains("CRL Number"),
        "{text}"
    );

    let store = MemoryStore::new();
    trust(&store, &oca.certificate());
    let imported = import(&store, &der, "crl-v1.der");
    assert!(imported.is_stored_valid(), "{imported:?}");
    // Imported before the issuer is known, it is kept pending, and used all the same.
    let early = MemoryStore::new();
    assert!(matches!(
        import(&early, &der, "crl-v1.der").outcome,
        CrlOutcome::StoredPending { .. }
    ));
    trust(&early, &oca.certificate());
    for s in [&store, &early] {
        let v = validate(s, &alice);
        assert!(
            matches!(v.reasons(), [Reason::Revoked { .. }]),
            "alice is revoked by the v1 CRL: {v:?}"
        );
        assert_valid(s, &bob, "bob, not listed");
        let required = ValidationOptions::new(SystemTime::now(), LeafPolicy::SmimeSigning)
            .revocation(RevocationMode::Required);
        let v = s
            .read_transaction(|tx| Validator::new(tx).validate(&bob, &required))
            .unwrap();
        assert!(v.is_valid(), "the v1 CRL covers bob under required: {v:?}");
    }
}

#[test]
fn crls_made_by_openssl_import_and_revoke() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let oca = OpensslCa::new(
        d,
        "ossl",
        "/CN=OpenSSL Mail CA/O=Elsewhere",
        "keyCertSign, cRLSign",
    );
    let alice_files = oca.issue("alice", "alice@example.org");
    let bob_files = oca.issue("bob", "bob@example.org");
    let (alice, bob) = (load(&alice_files.cert), load(&bob_files.cert));

    // The openssl CA imported here: a trust anchor (and a CA that can make CRLs itself).
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let imported = ca
        .import(
            &oca.cert.pem(),
            &std::fs::read(&oca.cert.key).unwrap(),
            None,
            false,
            &SystemClock,
        )
        .unwrap();
    // Before any CRL both certificates are valid: what fails later fails by revocation only.
    assert_valid(&store, &alice, "alice before any CRL");
    assert_valid(&store, &bob, "bob before any CRL");

    oca.revoke(&alice_files, "keyCompromise");
    let (pem1, der1) = oca.gencrl("crl1");
    let text = crl_text(d, "crl1.pem");
    assert_eq!(text.number.as_deref(), Some("1"), "{text:?}");
    assert_eq!(
        text.reason_of(&alice.serial().to_string()),
        Some(Some("Key Compromise")),
        "{text:?}"
    );
    assert_eq!(text.entries.len(), 1, "{text:?}");

    // DER: valid, stored, alice revoked for keyCompromise, bob still valid.
    let crls = Crls::new(&store);
    let first = import(&store, &der1, "crl1.der");
    assert_eq!(first.issuer.as_deref(), Some(oca.certificate().subject()));
    let id1 = match first.outcome {
        CrlOutcome::Stored { id, replaced } => {
            assert!(replaced.is_empty(), "{replaced:?}");
            id
        }
        other => panic!("openssl's CRL (DER) was not stored as valid: {other:?}"),
    };
    let record = crls.get(id1).unwrap();
    assert_eq!(record.status, CrlStatus::Valid);
    assert_eq!(record.number.as_deref(), Some(&[1u8][..]));
    assert_eq!(record.entries, 1);
    assert_eq!(crls.der(id1).unwrap(), der1);
    assert_revoked(
        &store,
        &alice,
        alice.subject(),
        RevocationReason::KeyCompromise,
    );
    assert_valid(&store, &bob, "bob (not on the CRL)");
    // The PEM is the same CRL.
    assert_eq!(
        import(&store, &pem1, "crl1.pem").outcome,
        CrlOutcome::AlreadyStored { id: id1 }
    );

    // The PEM alone, in another store that trusts the openssl CA: the same verdicts.
    let other = MemoryStore::new();
    trust(&other, &oca.certificate());
    let from_pem = import(&other, &pem1, "crl1.pem");
    assert!(from_pem.is_stored_valid(), "{from_pem:?}");
    assert_revoked(
        &other,
        &alice,
        alice.subject(),
        RevocationReason::KeyCompromise,
    );
    assert_valid(&other, &bob, "bob (not on the PEM CRL)");

    // A second CRL (number 2) also revokes bob: it replaces the first.
    oca.revoke(&bob_files, "superseded");
    let (pem2, _der2) = oca.gencrl("crl2");
    assert_eq!(crl_text(d, "crl2.pem").number.as_deref(), Some("2"));
    let id2 = match import(&store, &pem2, "crl2.pem").outcome {
        CrlOutcome::Stored { id, replaced } => {
            assert_eq!(replaced, vec![id1]);
            id
        }
        other => panic!("the second CRL was not stored as valid: {other:?}"),
    };
    let ids: Vec<_> = crls.list().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![id2]);
    assert_revoked(&store, &bob, bob.subject(), RevocationReason::Superseded);
    assert_revoked(
        &store,
        &alice,
        alice.subject(),
        RevocationReason::KeyCompromise,
    );
    // The first CRL again: older, so not stored, and bob stays revoked.
    assert_eq!(
        import(&store, &der1, "crl1.der").outcome,
        CrlOutcome::NotNewer { current: id2 }
    );
    let ids: Vec<_> = crls.list().unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![id2]);
    assert_revoked(&store, &bob, bob.subject(), RevocationReason::Superseded);

    // The imported CA makes its own next CRL here: numbered after openssl's, carrying both
    // revocations forward, and openssl takes it.
    let ours = ca
        .create_crl(&CrlSpec::new(imported.id), &SystemClock)
        .unwrap();
    assert_eq!(ours.number(), 3);
    std::fs::write(d.join("crl3.pem"), ours.to_pem().unwrap()).unwrap();
    assert!(
        crl_verifies(d, "crl3.pem", "ossl.pem"),
        "our CRL for the openssl CA"
    );
    let text = crl_text(d, "crl3.pem");
    assert_eq!(text.number.as_deref(), Some("3"), "{text:?}");
    assert_eq!(
        text.reason_of(&alice.serial().to_string()),
        Some(Some("Key Compromise")),
        "{text:?}"
    );
    assert_eq!(
        text.reason_of(&bob.serial().to_string()),
        Some(Some("Superseded")),
        "{text:?}"
    );
    assert_openssl_revoked(
        verify_with_crls(
            d,
            "-crl_check",
            "ossl.pem",
            None,
            Some("crl3.pem"),
            "alice.pem",
        ),
        0,
        "alice with our CRL for the openssl CA",
    );
}

#[test]
fn an_openssl_crl_signed_with_another_key_under_the_same_name_revokes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let real = OpensslCa::new(d, "real", "/CN=Same Name CA", "keyCertSign, cRLSign");
    let alice_files = real.issue("alice", "alice@example.org");
    let alice = load(&alice_files.cert);
    let impostor = OpensslCa::new(d, "impostor", "/CN=Same Name CA", "keyCertSign, cRLSign");
    assert_eq!(
        real.certificate().subject_der(),
        impostor.certificate().subject_der()
    );
    impostor.revoke(&alice_files, "keyCompromise");
    let (pem, der) = impostor.gencrl("impostor-crl");
    // It does revoke alice's serial, and openssl refuses it for the real CA.
    assert_eq!(
        crl_text(d, "impostor-crl.pem").reason_of(&alice.serial().to_string()),
        Some(Some("Key Compromise"))
    );
    assert!(!crl_verifies(d, "impostor-crl.pem", "real.pem"));
    assert!(crl_verifies(d, "impostor-crl.pem", "impostor.pem"));

    let store = MemoryStore::new();
    trust(&store, &real.certificate());
    assert_valid(&store, &alice, "alice before the CRL");
    let imported = import(&store, &der, "impostor-crl.der");
    let id = match &imported.outcome {
        CrlOutcome::StoredInvalid { id, reason } => {
            assert!(reason.contains("signature"), "{reason}");
            *id
        }
        other => panic!("a CRL signed with another key was accepted: {other:?}"),
    };
    assert!(matches!(
        Crls::new(&store).get(id).unwrap().status,
        CrlStatus::Invalid(_)
    ));
    assert_eq!(
        import(&store, &pem, "impostor-crl.pem").outcome,
        CrlOutcome::AlreadyStored { id }
    );
    assert_valid(&store, &alice, "alice after the impostor's CRL");

    // Even with the impostor's certificate stored (not trusted; say it came with a message),
    // its next CRL does not count.
    store
        .transaction(|tx| tx.put_certificate(&impostor.certificate()))
        .unwrap();
    let (_, der2) = impostor.gencrl("impostor-crl2");
    let second = import(&store, &der2, "impostor-crl2.der");
    assert!(
        matches!(second.outcome, CrlOutcome::StoredInvalid { .. }),
        "{second:?}"
    );
    assert_valid(&store, &alice, "alice after the impostor's second CRL");
}

#[test]
fn an_openssl_crl_of_a_ca_without_crl_sign_revokes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let oca = OpensslCa::new(d, "nocrlsign", "/CN=No CRL Sign CA", "keyCertSign");
    let alice_files = oca.issue("alice", "alice@example.org");
    let alice = load(&alice_files.cert);
    oca.revoke(&alice_files, "keyCompromise");
    let (_, der) = oca.gencrl("crl");
    // The signature is the CA's; openssl refuses the CRL for the keyUsage alone.
    assert!(crl_verifies(d, "crl.pem", "nocrlsign.pem"));
    let (ok, out) = verify_with_crls(
        d,
        "-crl_check",
        "nocrlsign.pem",
        None,
        Some("crl.pem"),
        "alice.pem",
    );
    assert!(
        !ok && out.contains("key usage does not include CRL signing"),
        "{out}"
    );

    let store = MemoryStore::new();
    trust(&store, &oca.certificate());
    // The chain itself is fine (keyCertSign is there).
    assert_valid(&store, &alice, "alice before the CRL");
    match import(&store, &der, "crl.der").outcome {
        CrlOutcome::StoredInvalid { reason, .. } => {
            assert!(reason.contains("cRLSign"), "{reason}")
        }
        other => panic!("a CRL of a CA without cRLSign was accepted: {other:?}"),
    }
    assert_valid(
        &store,
        &alice,
        "alice after the CRL of a CA without cRLSign",
    );
}
