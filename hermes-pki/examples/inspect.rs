//! The main job of this release: read certificate and key files, print what is in them, and
//! keep them in the embedded SQLite store (private keys sealed under the store's master key).
//!
//! ```text
//! cargo run -p hermes-pki --example inspect -- [--store DIR] [FILE...]
//! ```
//!
//! Files may be PEM (any number of blocks), DER, or PKCS#7 `.p7b` bundles of certificates, or a
//! private key (PKCS#8 / PKCS#1 / SEC1, PEM or DER, unencrypted). Without files it inspects the
//! sample certificates and key shipped with the sources. The store directory defaults to
//! `./hermes-data` (`hermes.db` and `master.key` inside). Exit code 1 when a file cannot be
//! read or holds nothing usable.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use hermes_pki::cert::{Certificate, load_certificates};
use hermes_pki::key::PrivateKey;
use hermes_pki::store::{CertificateFilter, SqliteStore, StoreExt};
use hermes_pki::time::to_rfc3339;

/// The samples used when no file is given (made by `src/store/testdata/gen.sh` with openssl).
const SAMPLES: &[(&str, &[u8])] = &[
    (
        "sample: ca.pem",
        include_bytes!("../src/store/testdata/ca.pem"),
    ),
    (
        "sample: alice.pem",
        include_bytes!("../src/store/testdata/alice.pem"),
    ),
    (
        "sample: alice.key",
        include_bytes!("../src/store/testdata/alice.key"),
    ),
    (
        "sample: bob.pem",
        include_bytes!("../src/store/testdata/bob.pem"),
    ),
];

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(1)
        }
    }
}

/// Returns `Ok(false)` when some file could not be used (the others are still processed).
fn run() -> hermes_pki::Result<bool> {
    let mut store_dir = PathBuf::from("hermes-data");
    let mut files = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--store" => match args.next() {
                Some(dir) => store_dir = PathBuf::from(dir),
                None => {
                    return Err(hermes_pki::Error::InvalidArgument(
                        "--store needs a directory".into(),
                    ));
                }
            },
            "-h" | "--help" => {
                println!("usage: inspect [--store DIR] [FILE...]");
                return Ok(true);
            }
            _ => files.push(PathBuf::from(arg)),
        }
    }

    let mut inputs: Vec<(String, Vec<u8>)> = Vec::new();
    let mut ok = true;
    if files.is_empty() {
        println!("no files given: inspecting the bundled samples\n");
        inputs.extend(SAMPLES.iter().map(|(n, b)| (n.to_string(), b.to_vec())));
    }
    for f in &files {
        match std::fs::read(f) {
            Ok(bytes) => inputs.push((f.display().to_string(), bytes)),
            Err(e) => {
                eprintln!("{}: cannot read: {e}", f.display());
                ok = false;
            }
        }
    }

    let now = SystemTime::now();
    let mut certs = Vec::new();
    let mut keys = Vec::new();
    for (name, bytes) in &inputs {
        let report = load_certificates(bytes);
        if report.certificates.is_empty() {
            // Not a certificate file: perhaps a private key.
            match PrivateKey::from_bytes(bytes, None) {
                Ok(key) => {
                    println!("{name}: private key, {}", key.algorithm());
                    keys.push(key);
                }
                Err(e) => {
                    eprintln!("{name}: no certificate or key found");
                    for p in &report.problems {
                        eprintln!("  {}: {}", p.location, p.error);
                    }
                    eprintln!("  as a private key: {e}");
                    ok = false;
                }
            }
            continue;
        }
        for cert in report.certificates {
            println!("{name}:");
            print_certificate(&cert, now);
            certs.push(cert);
        }
        for p in &report.problems {
            println!("  skipped {}: {}", p.location, p.error);
        }
    }

    let store = SqliteStore::open_default(&store_dir)?;
    // One transaction: either everything read is stored, or nothing.
    let (new_certs, new_keys) = store.transaction(|tx| {
        let mut new_certs = 0;
        for c in &certs {
            if tx.put_certificate(c)? {
                new_certs += 1;
            }
        }
        let mut new_keys = 0;
        for k in &keys {
            if !tx.has_key(&k.key_id())? {
                tx.put_key(k)?;
                new_keys += 1;
            }
        }
        Ok((new_certs, new_keys))
    })?;
    let (total, with_key) = store.read_transaction(|tx| {
        Ok((
            tx.count_certificates()?,
            tx.list_certificates(&CertificateFilter::new().with_key(true))?,
        ))
    })?;
    println!(
        "store {}: {new_certs} new certificate(s), {} new key(s) sealed; it now holds {total} \
         certificate(s), {} with their private key:",
        store.path().display(),
        new_keys,
        with_key.len()
    );
    for c in &with_key {
        println!("  {}  {}", c.subject(), c.thumbprint());
    }
    Ok(ok)
}

fn print_certificate(cert: &Certificate, now: SystemTime) {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    println!("  subject      {}", cert.subject());
    println!("  issuer       {}", cert.issuer());
    println!("  serial       {}", cert.serial());
    println!(
        "  validity     {} .. {}{}",
        to_rfc3339(cert.not_before()),
        to_rfc3339(cert.not_after()),
        if cert.is_valid_at(now) {
            ""
        } else {
            "  (not valid now)"
        }
    );
    println!("  key          {}", cert.key_algorithm());
    if cert.emails().is_empty() {
        println!("  emails       (none)");
    } else {
        println!("  emails       {}", cert.emails().join(", "));
    }
    println!(
        "  CA           {}   self-signed {}",
        yes_no(cert.is_ca()),
        yes_no(cert.is_self_signed())
    );
    let usage = |r: Result<(), hermes_pki::cert::UsageError>| match r {
        Ok(()) => "yes".to_string(),
        Err(e) => format!("no ({e})"),
    };
    println!("  S/MIME sign  {}", usage(cert.usable_for_signing()));
    println!("  S/MIME enc.  {}", usage(cert.usable_for_encryption()));
    for dp in cert.crl_distribution_points() {
        println!("  CRL DP       {dp}");
    }
    println!("  SHA-256      {}", cert.sha256());
    println!("  SHA-512      {}", cert.thumbprint());
}
