//! `pkcs12` against real peers: files written by the `openssl` command (OpenSSL 3: default,
//! `-legacy`, `-nomac`, empty password, chains, RSA and EC keys) and by Python `cryptography`
//! import here; files exported here open in `openssl pkcs12` and in Python `cryptography` with
//! the same key and certificates; hostile iteration counts are refused before any work.

use std::path::Path;
use std::process::Command;

use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::pkcs12::{self, Pkcs12Contents, Pkcs12Options};
use hermes_pki::{Error, ErrorKind};
use hermes_pki_tests::{
    Issued, KeyKind, issue, pkcs12_export, python_with_cryptography, self_signed,
};

/// A CA, an intermediate and an end-entity certificate with a key of `kind`.
struct Fixture {
    dir: tempfile::TempDir,
    root: Issued,
    sub: Issued,
    leaf: Issued,
}

fn fixture(kind: KeyKind) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let ca_ext = "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign, cRLSign";
    let root = self_signed(dir.path(), "root", KeyKind::P256, "/CN=P12 Root", ca_ext);
    let sub = issue(
        dir.path(),
        "sub",
        &root,
        KeyKind::P256,
        "/CN=P12 Sub CA",
        Some(ca_ext),
        30,
    );
    let leaf = issue(
        dir.path(),
        "leaf",
        &sub,
        kind,
        "/CN=Alice/emailAddress=alice@example.com",
        Some("subjectAltName = email:alice@example.com"),
        30,
    );
    Fixture {
        dir,
        root,
        sub,
        leaf,
    }
}

impl Fixture {
    fn path(&self) -> &Path {
        self.dir.path()
    }
    fn cert(&self, i: &Issued) -> Certificate {
        Certificate::from_pem(&String::from_utf8(i.pem()).unwrap()).unwrap()
    }
    fn key(&self, i: &Issued) -> PrivateKey {
        PrivateKey::from_pem(&std::fs::read_to_string(&i.key).unwrap(), None).unwrap()
    }
    /// Checks that `contents` holds the leaf, its key and exactly the `chain` certificates.
    fn assert_contents(&self, contents: &Pkcs12Contents, chain: &[&Issued]) {
        assert_eq!(
            contents.certificate().expect("a certificate").der(),
            self.cert(&self.leaf).der()
        );
        assert_eq!(
            contents.key().expect("a key").key_id(),
            self.key(&self.leaf).key_id()
        );
        let mut got: Vec<Vec<u8>> = contents.chain().iter().map(|c| c.der().to_vec()).collect();
        let mut want: Vec<Vec<u8>> = chain.iter().map(|i| self.cert(i).der().to_vec()).collect();
        got.sort();
        want.sort();
        assert_eq!(got, want, "chain");
    }
    fn write(&self, name: &str, data: &[u8]) -> String {
        std::fs::write(self.path().join(name), data).unwrap();
        name.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// OpenSSL writes, hermes-pki reads

#[test]
fn openssl_files_import_with_key_certificate_and_chain() {
    for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
        let f = fixture(kind);
        let chain = [f.sub.cert.as_path(), f.root.cert.as_path()];
        let cases: &[(&str, &[&str], bool)] = &[
            ("default", &["-name", "Alice"], true),
            ("legacy", &["-legacy", "-name", "Alice"], true),
            ("nomac", &["-nomac", "-name", "Alice"], false),
            ("3des certs", &["-descert", "-name", "Alice"], true),
            (
                "aes-128 + sha512 mac",
                &[
                    "-keypbe",
                    "AES-128-CBC",
                    "-certpbe",
                    "AES-128-CBC",
                    "-macalg",
                    "sha512",
                    "-name",
                    "Alice",
                ],
                true,
            ),
            (
                "unencrypted",
                &["-keypbe", "NONE", "-certpbe", "NONE", "-name", "Alice"],
                true,
            ),
        ];
        for (what, extra, mac) in cases {
            let p12 = pkcs12_export(f.path(), &f.leaf, &chain, "s3cret pässword", extra);
            let contents = pkcs12::import(&p12, "s3cret pässword")
                .unwrap_or_else(|e| panic!("{kind:?} {what}: {e}"));
            f.assert_contents(&contents, &[&f.sub, &f.root]);
            assert_eq!(contents.friendly_name(), Some("Alice"), "{what}");
            assert_eq!(contents.mac_verified(), *mac, "{what}");
            let err = pkcs12::import(&p12, "s3cret password").unwrap_err();
            if *what != "unencrypted" || *mac {
                assert_eq!(err.kind(), ErrorKind::BadPassword, "{kind:?} {what}: {err}");
            }
        }
        // Without a chain, and without a friendly name.
        let p12 = pkcs12_export(f.path(), &f.leaf, &[], "pw", &[]);
        let contents = pkcs12::import(&p12, "pw").unwrap();
        f.assert_contents(&contents, &[]);
        assert_eq!(contents.friendly_name(), None);
    }
}

#[test]
fn openssl_empty_password_files_import() {
    let f = fixture(KeyKind::P256);
    for extra in [&[][..], &["-legacy"], &["-nomac"]] {
        let p12 = pkcs12_export(f.path(), &f.leaf, &[f.root.cert.as_path()], "", extra);
        let contents =
            pkcs12::import(&p12, "").unwrap_or_else(|e| panic!("empty password {extra:?}: {e}"));
        f.assert_contents(&contents, &[&f.root]);
        assert_eq!(
            pkcs12::import(&p12, "x").unwrap_err().kind(),
            ErrorKind::BadPassword
        );
    }
}

/// `p12` (DER) with its MAC iteration count replaced by the INTEGER contents `iterations`.
fn with_mac_iterations(p12: &[u8], iterations: &[u8]) -> Vec<u8> {
    fn split(data: &[u8]) -> (u8, &[u8], &[u8]) {
        let tag = data[0];
        let (len, hl) = if data[1] < 0x80 {
            (data[1] as usize, 2)
        } else {
            let n = (data[1] & 0x7F) as usize;
            let len = data[2..2 + n]
                .iter()
                .fold(0usize, |a, b| (a << 8) | *b as usize);
            (len, 2 + n)
        };
        (tag, &data[hl..hl + len], &data[hl + len..])
    }
    fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        if value.len() < 0x80 {
            out.push(value.len() as u8);
        } else {
            out.extend([0x82, (value.len() >> 8) as u8, value.len() as u8]);
        }
        out.extend(value);
        out
    }
    let (_, pfx, _) = split(p12);
    let (_, _, rest) = split(pfx); // version
    let (_, _, rest) = split(rest); // authSafe
    let head = &pfx[..pfx.len() - rest.len()];
    let (_, mac, _) = split(rest);
    let (_, _, after_digest) = split(mac);
    let (_, _, after_salt) = split(after_digest);
    let kept = &mac[..mac.len() - after_salt.len()];
    let mut new_mac = kept.to_vec();
    new_mac.extend(tlv(0x02, iterations));
    let mut body = head.to_vec();
    body.extend(tlv(0x30, &new_mac));
    tlv(0x30, &body)
}

#[test]
fn hostile_iteration_counts_are_refused_without_running_the_kdf() {
    let f = fixture(KeyKind::P256);
    let p12 = pkcs12_export(f.path(), &f.leaf, &[], "pw", &[]);
    // Sanity: the surgery keeps a valid file when the count is unchanged (2048).
    assert!(pkcs12::import(&with_mac_iterations(&p12, &[0x08, 0x00]), "pw").is_ok());
    // 2^31 MAC iterations (and the largest INTEGER OpenSSL would write, 2^31 - 1).
    for iterations in [&[0x00, 0x80, 0, 0, 0][..], &[0x7F, 0xFF, 0xFF, 0xFF]] {
        let hostile = with_mac_iterations(&p12, iterations);
        let err = pkcs12::import(&hostile, "pw").unwrap_err();
        assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    }
    // PBKDF2 above the limit in a file without MAC (OpenSSL: -iter 2000001 -nomac).
    let p12 = pkcs12_export(
        f.path(),
        &f.leaf,
        &[],
        "pw",
        &["-nomac", "-iter", "2000001"],
    );
    let err = pkcs12::import(&p12, "pw").unwrap_err();
    assert!(matches!(err, Error::LimitExceeded(_)), "{err}");
    assert!(err.to_string().contains("2000001"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// hermes-pki writes, OpenSSL reads

/// `openssl pkcs12 -info -nodes` of `file`: the text OpenSSL prints (bag attributes, PEM
/// certificates and key) and its algorithm summary on stderr.
fn openssl_info(dir: &Path, file: &str, password: &str, legacy: bool) -> (String, String) {
    let pass = format!("pass:{password}");
    let mut args = vec!["pkcs12", "-in", file, "-info", "-nodes", "-passin", &pass];
    if legacy {
        args.push("-legacy");
    }
    let out = Command::new("openssl")
        .args(&args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// The PEM blocks with `label` in `text`, in order.
fn pem_blocks(text: &str, label: &str) -> Vec<String> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(&begin) {
        let stop = rest[start..].find(&end).unwrap() + start + end.len();
        out.push(format!("{}\n", &rest[start..stop]));
        rest = &rest[stop..];
    }
    out
}

#[test]
fn exported_files_open_in_openssl_with_the_same_key_and_certificates() {
    for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
        let f = fixture(kind);
        let cert = f.cert(&f.leaf);
        let key = f.key(&f.leaf);
        let chain = [f.cert(&f.sub), f.cert(&f.root)];
        for legacy in [false, true] {
            let options = Pkcs12Options::new()
                .legacy(legacy)
                .iterations(4096)
                .friendly_name("alice@example.com");
            let p12 = pkcs12::export(&cert, &key, &chain, "pa55 wörd", &options).unwrap();
            let file = f.write("ours.p12", &p12);
            let (text, summary) = openssl_info(f.path(), &file, "pa55 wörd", legacy);

            // Algorithms as OpenSSL reports them.
            if legacy {
                assert!(summary.contains("MAC: sha1, Iteration 4096"), "{summary}");
                assert!(
                    summary.contains(
                        "PKCS7 Encrypted data: pbeWithSHA1And40BitRC2-CBC, Iteration 4096"
                    ),
                    "{summary}"
                );
                assert!(
                    summary.contains(
                        "Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 4096"
                    ),
                    "{summary}"
                );
            } else {
                assert!(summary.contains("MAC: sha256, Iteration 4096"), "{summary}");
                let pbes2 = "PBES2, PBKDF2, AES-256-CBC, Iteration 4096, PRF hmacWithSHA256";
                assert!(
                    summary.contains(&format!("PKCS7 Encrypted data: {pbes2}")),
                    "{summary}"
                );
                assert!(
                    summary.contains(&format!("Shrouded Keybag: {pbes2}")),
                    "{summary}"
                );
            }

            // The certificates, leaf first, and the key.
            let certs = pem_blocks(&text, "CERTIFICATE");
            let want: Vec<String> = [&cert, &chain[0], &chain[1]]
                .iter()
                .map(|c| c.to_pem())
                .collect();
            assert_eq!(certs, want, "{kind:?} legacy={legacy}");
            let keys = pem_blocks(&text, "PRIVATE KEY");
            assert_eq!(keys.len(), 1);
            let theirs = PrivateKey::from_pem(&keys[0], None).unwrap();
            assert_eq!(theirs.key_id(), key.key_id());

            // friendlyName and the same localKeyID on the key bag and the leaf's bag.
            assert_eq!(
                text.matches("friendlyName: alice@example.com").count(),
                2,
                "{text}"
            );
            let ids: Vec<&str> = text
                .lines()
                .filter(|l| l.trim_start().starts_with("localKeyID:"))
                .collect();
            assert_eq!(ids.len(), 2, "{text}");
            assert_eq!(ids[0].trim(), ids[1].trim());

            // A wrong password fails there too.
            let out = Command::new("openssl")
                .args(["pkcs12", "-in", &file, "-nodes", "-passin", "pass:wrong"])
                .args(if legacy { &["-legacy"][..] } else { &[] })
                .current_dir(f.path())
                .output()
                .unwrap();
            assert!(!out.status.success());
        }
    }
}

#[test]
fn exported_files_with_an_empty_password_open_in_openssl() {
    let f = fixture(KeyKind::P256);
    for legacy in [false, true] {
        let options = Pkcs12Options::new().legacy(legacy).iterations(2048);
        let p12 = pkcs12::export(&f.cert(&f.leaf), &f.key(&f.leaf), &[], "", &options).unwrap();
        let file = f.write("empty.p12", &p12);
        let (text, _) = openssl_info(f.path(), &file, "", legacy);
        assert_eq!(pem_blocks(&text, "CERTIFICATE").len(), 1);
        assert_eq!(pem_blocks(&text, "PRIVATE KEY").len(), 1);
    }
}

#[test]
fn the_default_export_opens_in_openssl() {
    // The default iteration count (600,000) as written, once.
    let f = fixture(KeyKind::P256);
    let p12 = pkcs12::export(
        &f.cert(&f.leaf),
        &f.key(&f.leaf),
        &[],
        "pw",
        &Pkcs12Options::new(),
    )
    .unwrap();
    let file = f.write("default.p12", &p12);
    let out = Command::new("openssl")
        .args([
            "pkcs12", "-in", &file, "-info", "-noout", "-passin", "pass:pw",
        ])
        .current_dir(f.path())
        .output()
        .unwrap();
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(
        summary.contains("MAC: sha256, Iteration 600000"),
        "{summary}"
    );
    assert!(
        summary.contains("Iteration 600000, PRF hmacWithSHA256"),
        "{summary}"
    );
    assert!(out.status.success(), "{summary}");
}

// ---------------------------------------------------------------------------------------------
// Python `cryptography`

fn python(script: &str, args: &[&str], dir: &Path) -> String {
    let py = python_with_cryptography();
    let out = Command::new(&py)
        .arg("-c")
        .arg(script)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "python failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Prints: the certificate DER, the key's SubjectPublicKeyInfo DER, each additional
/// certificate DER (hex, one a line), and the friendly name.
const PY_LOAD: &str = r#"
import sys
from cryptography.hazmat.primitives.serialization import pkcs12, Encoding, PublicFormat
data = open(sys.argv[1], "rb").read()
key, cert, extra = pkcs12.load_key_and_certificates(data, sys.argv[2].encode())
print("cert", cert.public_bytes(Encoding.DER).hex())
print("spki", key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo).hex())
for c in extra:
    print("extra", c.public_bytes(Encoding.DER).hex())
p = pkcs12.load_pkcs12(data, sys.argv[2].encode())
print("name", (p.cert.friendly_name or b"").decode())
"#;

#[test]
fn exported_files_open_in_python_cryptography() {
    for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
        let f = fixture(kind);
        let cert = f.cert(&f.leaf);
        let key = f.key(&f.leaf);
        let chain = [f.cert(&f.sub), f.cert(&f.root)];
        for legacy in [false, true] {
            let options = Pkcs12Options::new()
                .legacy(legacy)
                .iterations(2048)
                .friendly_name("alice@example.com");
            let p12 = pkcs12::export(&cert, &key, &chain, "pw", &options).unwrap();
            let file = f.write("py.p12", &p12);
            let out = python(PY_LOAD, &[&file, "pw"], f.path());
            let field = |name: &str| -> Vec<String> {
                out.lines()
                    .filter_map(|l| l.strip_prefix(&format!("{name} ")))
                    .map(str::to_string)
                    .collect()
            };
            assert_eq!(field("cert"), vec![hex(cert.der())]);
            assert_eq!(field("spki"), vec![hex(&key.public_key_der())]);
            assert_eq!(
                field("extra"),
                vec![hex(chain[0].der()), hex(chain[1].der())]
            );
            assert_eq!(field("name"), vec!["alice@example.com".to_string()]);
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `out.p12` from `leaf.key`, `leaf.pem` and `sub.pem` with cryptography's modern
/// default encryption (`BestAvailableEncryption`), or its legacy 3DES/SHA-1 profile.
const PY_WRITE: &str = r#"
import sys
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.serialization import (
    pkcs12, load_pem_private_key, BestAvailableEncryption, PrivateFormat)
key = load_pem_private_key(open("leaf.key", "rb").read(), None)
cert = x509.load_pem_x509_certificate(open("leaf.pem", "rb").read())
sub = x509.load_pem_x509_certificate(open("sub.pem", "rb").read())
pw = sys.argv[1].encode()
if sys.argv[2] == "legacy":
    enc = (PrivateFormat.PKCS12.encryption_builder().kdf_rounds(2048)
           .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
           .hmac_hash(hashes.SHA1()).build(pw))
else:
    enc = BestAvailableEncryption(pw)
open("out.p12", "wb").write(pkcs12.serialize_key_and_certificates(b"Alice", key, cert, [sub], enc))
"#;

#[test]
fn python_cryptography_files_import() {
    for kind in [KeyKind::Rsa(2048), KeyKind::P256] {
        let f = fixture(kind);
        for profile in ["default", "legacy"] {
            python(PY_WRITE, &["pw", profile], f.path());
            let p12 = std::fs::read(f.path().join("out.p12")).unwrap();
            let contents =
                pkcs12::import(&p12, "pw").unwrap_or_else(|e| panic!("{kind:?} {profile}: {e}"));
            f.assert_contents(&contents, &[&f.sub]);
            assert_eq!(contents.friendly_name(), Some("Alice"));
            assert!(contents.mac_verified());
        }
    }
}
