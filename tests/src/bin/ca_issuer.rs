//! Helper for `tests/ca_openssl.rs`: issues certificates from the default CA of a SQLite store,
//! so that two processes issuing at once on one file can be checked for lost records and
//! duplicate serials.
//!
//! Usage: `ca_issuer <store dir> <prefix> <count>`; issues EC P-256 certificates for
//! `<prefix><i>@example.com`, `i` in `0..count`, each in its own transaction.

use std::process::ExitCode;

use hermes_pki::ca::{CertificateAuthority, IssueSpec};
use hermes_pki::key::KeySpec;
use hermes_pki::store::SqliteStore;
use hermes_pki::time::SystemClock;

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, prefix, count] = args.as_slice() else {
        return Err("usage: ca_issuer <store dir> <prefix> <count>".into());
    };
    let count: usize = count.parse().map_err(|e| format!("count: {e}"))?;
    let store = SqliteStore::open_default(dir).map_err(|e| format!("open: {e}"))?;
    let ca = CertificateAuthority::new(&store);
    for i in 0..count {
        let spec = IssueSpec::new(
            format!("{prefix}{i}@example.com"),
            format!("User {prefix}{i}"),
        )
        .key(KeySpec::EcP256)
        .days(30);
        ca.issue(&spec, &SystemClock)
            .map_err(|e| format!("issue {i}: {e}"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ca_issuer: {e}");
            ExitCode::FAILURE
        }
    }
}
