//! Shared helpers for the integration tests: making real certificates with the `openssl`
//! command at test time.
//!
//! Every helper works inside a directory (usually a `tempfile::TempDir`) and panics with
//! OpenSSL's own error output when a command fails, so a broken fixture shows why.
//!
//! ```no_run
//! use hermes_pki_tests::{KeyKind, issue, self_signed};
//!
//! let dir = tempfile::tempdir().unwrap();
//! let ca = self_signed(dir.path(), "ca", KeyKind::Rsa(2048), "/CN=Test CA",
//!     "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign, cRLSign");
//! let leaf = issue(dir.path(), "alice", &ca, KeyKind::P256, "/CN=Alice",
//!     Some("subjectAltName = email:alice@example.com"), 30);
//! let pem = std::fs::read(&leaf.cert).unwrap();
//! # let _ = pem;
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `openssl args...` in `dir` and returns its standard output. Panics (with OpenSSL's
/// stderr) if it fails.
pub fn openssl(args: &[&str], dir: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot run the openssl command (is OpenSSL installed?)");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// [`openssl`], with the output as text.
pub fn openssl_text(args: &[&str], dir: &Path) -> String {
    String::from_utf8(openssl(args, dir)).expect("openssl printed non-UTF-8 text")
}

/// The key types the helpers can make.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// RSA with this many bits.
    Rsa(u32),
    /// ECDSA on P-256.
    P256,
    /// ECDSA on P-384.
    P384,
    /// Ed25519.
    Ed25519,
}

/// A certificate and its key, as PEM files in the working directory.
#[derive(Debug, Clone)]
pub struct Issued {
    /// The certificate (PEM).
    pub cert: PathBuf,
    /// The private key (PKCS#8 PEM, unencrypted).
    pub key: PathBuf,
}

impl Issued {
    /// The certificate file's PEM bytes.
    pub fn pem(&self) -> Vec<u8> {
        std::fs::read(&self.cert).unwrap()
    }

    /// The certificate as DER.
    pub fn der(&self) -> Vec<u8> {
        let dir = self.cert.parent().unwrap();
        openssl(
            &["x509", "-in", path_str(&self.cert), "-outform", "DER"],
            dir,
        )
    }
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// Generates a private key `name.key` in `dir`.
pub fn gen_key(dir: &Path, name: &str, kind: KeyKind) -> PathBuf {
    let file = format!("{name}.key");
    let bits;
    let args: Vec<&str> = match kind {
        KeyKind::Rsa(b) => {
            bits = format!("rsa_keygen_bits:{b}");
            vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                &bits,
                "-out",
                &file,
            ]
        }
        KeyKind::P256 => vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &file,
        ],
        KeyKind::P384 => vec![
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
            "-out",
            &file,
        ],
        KeyKind::Ed25519 => vec!["genpkey", "-algorithm", "ED25519", "-out", &file],
    };
    openssl(&args, dir);
    dir.join(file)
}

/// Writes `name.cnf`: a minimal `req` configuration with the extension lines in section
/// `[ext]`.
fn write_config(dir: &Path, name: &str, extensions: &str) -> String {
    let file = format!("{name}.cnf");
    let text = format!(
        "[req]\ndistinguished_name = dn\nutf8 = yes\nstring_mask = utf8only\n[dn]\n[ext]\n{extensions}\n"
    );
    std::fs::write(dir.join(&file), text).unwrap();
    file
}

/// A self-signed certificate `name.pem` with a new `kind` key, subject `subject` (OpenSSL
/// `/CN=.../O=...` form, UTF-8) and the extension config lines `extensions` (e.g.
/// `"basicConstraints = critical, CA:TRUE"`; empty for a certificate without extensions
/// other than the subjectKeyIdentifier OpenSSL adds unless told `subjectKeyIdentifier = none`).
/// Valid from now for 30 days.
pub fn self_signed(
    dir: &Path,
    name: &str,
    kind: KeyKind,
    subject: &str,
    extensions: &str,
) -> Issued {
    let key = gen_key(dir, name, kind);
    let cnf = write_config(dir, name, extensions);
    let cert = format!("{name}.pem");
    openssl(
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            path_str(&key),
            "-subj",
            subject,
            "-utf8",
            "-days",
            "30",
            "-config",
            &cnf,
            "-extensions",
            "ext",
            "-out",
            &cert,
        ],
        dir,
    );
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// Makes a CSR `name.csr` for a new `kind` key.
fn request(dir: &Path, name: &str, kind: KeyKind, subject: &str) -> (PathBuf, String) {
    let key = gen_key(dir, name, kind);
    let cnf = write_config(dir, &format!("{name}-req"), "");
    let csr = format!("{name}.csr");
    openssl(
        &[
            "req",
            "-new",
            "-key",
            path_str(&key),
            "-subj",
            subject,
            "-utf8",
            "-config",
            &cnf,
            "-out",
            &csr,
        ],
        dir,
    );
    (key, csr)
}

/// A certificate `name.pem` for a new `kind` key, signed by `ca`, valid from now for `days`.
/// With `extensions` `None`, OpenSSL makes a version 1 certificate without any extensions.
pub fn issue(
    dir: &Path,
    name: &str,
    ca: &Issued,
    kind: KeyKind,
    subject: &str,
    extensions: Option<&str>,
    days: u32,
) -> Issued {
    let (key, csr) = request(dir, name, kind, subject);
    let cert = format!("{name}.pem");
    let days = days.to_string();
    let mut args = vec![
        "x509",
        "-req",
        "-in",
        &csr,
        "-CA",
        path_str(&ca.cert),
        "-CAkey",
        path_str(&ca.key),
        "-days",
        &days,
        "-out",
        &cert,
    ];
    let cnf;
    if let Some(ext) = extensions {
        cnf = write_config(dir, name, ext);
        args.extend(["-extfile", &cnf, "-extensions", "ext"]);
    }
    openssl(&args, dir);
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// Like [`issue`], with explicit validity dates `(not_before, not_after)` (each
/// `YYYYMMDDHHMMSSZ`), through `openssl ca`
/// (which, unlike `openssl x509 -req` in OpenSSL 3.0, can back-date: for expired certificates).
pub fn issue_with_dates(
    dir: &Path,
    name: &str,
    ca: &Issued,
    kind: KeyKind,
    subject: &str,
    extensions: &str,
    (start, end): (&str, &str),
) -> Issued {
    let (key, csr) = request(dir, name, kind, subject);
    let db = dir.join(format!("{name}-ca-db"));
    std::fs::create_dir_all(&db).unwrap();
    std::fs::write(db.join("index.txt"), "").unwrap();
    std::fs::write(db.join("serial"), "1000\n").unwrap();
    let db_s = path_str(&db);
    let cnf = format!("{name}-ca.cnf");
    std::fs::write(
        dir.join(&cnf),
        format!(
            "[ca]\ndefault_ca = myca\n[myca]\ndatabase = {db_s}/index.txt\nnew_certs_dir = {db_s}\n\
             serial = {db_s}/serial\ndefault_md = sha256\npolicy = pol\nunique_subject = no\n\
             [pol]\ncommonName = supplied\nemailAddress = optional\norganizationName = optional\n\
             [ext]\n{extensions}\n"
        ),
    )
    .unwrap();
    let cert = format!("{name}.pem");
    openssl(
        &[
            "ca",
            "-batch",
            "-notext",
            "-preserveDN",
            "-config",
            &cnf,
            "-cert",
            path_str(&ca.cert),
            "-keyfile",
            path_str(&ca.key),
            "-in",
            &csr,
            "-out",
            &cert,
            "-startdate",
            start,
            "-enddate",
            end,
            "-extensions",
            "ext",
        ],
        dir,
    );
    Issued {
        cert: dir.join(cert),
        key,
    }
}

/// `openssl x509 -noout <flag>` of `cert`, the value after the first `=` (e.g. `-serial`
/// gives the hex serial).
pub fn x509_value(dir: &Path, cert: &Path, flag: &str) -> String {
    let text = openssl_text(&["x509", "-in", path_str(cert), "-noout", flag], dir);
    text.split_once('=')
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| panic!("no value in {text:?}"))
}

/// The thumbprint OpenSSL computes (`-fingerprint -sha256` / `-sha512`), upper-case hex without
/// separators.
pub fn fingerprint(dir: &Path, cert: &Path, digest: &str) -> String {
    let text = openssl_text(
        &[
            "x509",
            "-in",
            path_str(cert),
            "-noout",
            "-fingerprint",
            &format!("-{digest}"),
        ],
        dir,
    );
    let (_, v) = text.split_once('=').unwrap();
    v.trim().replace(':', "")
}

/// `openssl x509 -noout -ext <names>` of `cert`: OpenSSL's text for those extensions.
pub fn x509_ext(dir: &Path, cert: &Path, names: &str) -> String {
    openssl_text(
        &["x509", "-in", path_str(cert), "-noout", "-ext", names],
        dir,
    )
}

/// A PKCS#7 certs-only bundle (`openssl crl2pkcs7 -nocrl`) of `certs`, as DER (`pem` false) or
/// PEM.
pub fn p7b(dir: &Path, certs: &[&Path], pem: bool) -> Vec<u8> {
    let mut args = vec!["crl2pkcs7", "-nocrl"];
    for c in certs {
        args.extend(["-certfile", path_str(c)]);
    }
    args.extend(["-outform", if pem { "PEM" } else { "DER" }]);
    openssl(&args, dir)
}

/// `openssl pkcs12 -export` of `issued` (certificate and key) with the extra certificates
/// `chain` (`-certfile`, in one PEM file), password `password` and further options `extra`
/// (e.g. `["-legacy"]`, `["-nomac"]`); returns the DER file.
pub fn pkcs12_export(
    dir: &Path,
    issued: &Issued,
    chain: &[&Path],
    password: &str,
    extra: &[&str],
) -> Vec<u8> {
    let pass = format!("pass:{password}");
    let mut args = vec![
        "pkcs12",
        "-export",
        "-in",
        path_str(&issued.cert),
        "-inkey",
        path_str(&issued.key),
        "-passout",
        &pass,
    ];
    let bundle = dir.join("pkcs12-chain.pem");
    if !chain.is_empty() {
        let mut pem = Vec::new();
        for c in chain {
            pem.extend(std::fs::read(c).unwrap());
        }
        std::fs::write(&bundle, pem).unwrap();
        args.extend(["-certfile", path_str(&bundle)]);
    }
    args.extend(extra);
    openssl(&args, dir)
}

/// A Python interpreter that can `import cryptography`: the workspace's `.venv` (made by
/// `scripts/test.sh`) if it has it, else `python3` from `PATH`. Panics, saying how to get one,
/// if neither has it.
pub fn python_with_cryptography() -> PathBuf {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    for candidate in [venv, PathBuf::from("python3")] {
        let ok = Command::new(&candidate)
            .args(["-c", "import cryptography"])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false);
        if ok {
            return candidate;
        }
    }
    panic!(
        "no Python with the `cryptography` package: run scripts/test.sh (it installs it into \
         .venv) or `python3 -m pip install cryptography`"
    )
}

pub mod cli;
pub mod gpgsm;
pub mod http_server;
pub mod mail;
pub mod nss;
pub mod pg;

/// A store with a CA made here (an RSA-2048 root `"{prefix} Root"`, O=Example, with an issuing
/// intermediate `"{prefix} Mail CA"`) and two S/MIME users it issued, alice@example.com and
/// bob@example.com, whose keys are in the store: what the interop tests hand to a peer.
pub struct HermesWorld {
    /// The store (keys included).
    pub store: hermes_pki::store::MemoryStore,
    /// The root CA certificate.
    pub root: hermes_pki::cert::Certificate,
    /// The issuing intermediate.
    pub intermediate: hermes_pki::cert::Certificate,
    /// Alice's certificate.
    pub alice: hermes_pki::cert::Certificate,
    /// Bob's certificate.
    pub bob: hermes_pki::cert::Certificate,
}

impl HermesWorld {
    /// Makes the CA and the two users (RSA-2048 throughout, as every peer reads it).
    pub fn new(prefix: &str) -> Self {
        use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
        use hermes_pki::key::KeySpec;
        use hermes_pki::time::SystemClock;
        let store = hermes_pki::store::MemoryStore::new();
        let ca = CertificateAuthority::new(&store);
        let created = ca
            .create(
                &CaSpec::new(
                    DistinguishedName::new(format!("{prefix} Root")).organization("Example"),
                )
                .key(KeySpec::Rsa(2048))
                .intermediate(DistinguishedName::new(format!("{prefix} Mail CA"))),
                &SystemClock,
            )
            .unwrap();
        let issue = |email: &str, name: &str| {
            ca.issue(
                &IssueSpec::new(email, name).key(KeySpec::Rsa(2048)),
                &SystemClock,
            )
            .unwrap()
            .certificate()
            .clone()
        };
        let alice = issue("alice@example.com", "Alice");
        let bob = issue("bob@example.com", "Bob");
        HermesWorld {
            root: created.root_certificate().clone(),
            intermediate: created.issuing_certificate().clone(),
            store,
            alice,
            bob,
        }
    }
}
