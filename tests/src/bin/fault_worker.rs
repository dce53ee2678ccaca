//! Helper for `tests/store_faults.rs`: one OS process of the fault test, on a store given by
//! location (a directory or a `postgres://` URL) and master key file.
//!
//! - `fault_worker issue STORE KEYFILE CA WORKER COUNT LOG`: issues EC P-256 certificates from
//!   CA (id) for `w{WORKER}-{i}@example.org` until WORKER has COUNT issued records in the store
//!   (so a restarted worker goes on where its committed work ends), appending
//!   `serial-hex thumbprint-hex` to LOG after each commit.
//! - `fault_worker crl STORE KEYFILE CA COUNT LOG`: creates COUNT CRLs for CA, appending each
//!   committed CRL number to LOG.
//!
//! It may be killed (`kill -9`) at any moment; the test then checks the store.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use hermes_pki::ca::{CertificateAuthority, CrlSpec, IssueSpec};
use hermes_pki::key::KeySpec;
use hermes_pki::store::{AnyStore, CaId, Create, MasterKeySource, StoreExt, StoreLocation};
use hermes_pki::time::SystemClock;

fn append(log: &PathBuf, line: &str) -> Result<(), String> {
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .map_err(|e| format!("log: {e}"))?;
    f.write_all(format!("{line}\n").as_bytes())
        .map_err(|e| format!("log: {e}"))
}

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: fault_worker issue STORE KEYFILE CA WORKER COUNT LOG | \
                 crl STORE KEYFILE CA COUNT LOG";
    let (mode, rest) = args.split_first().ok_or(usage)?;
    let open = |loc: &str, key: &str| {
        AnyStore::open(
            &StoreLocation::parse(loc),
            Some(MasterKeySource::key_file(key)),
            Create::Never,
        )
        .map_err(|e| format!("open: {e}"))
    };
    let ca_id = |s: &str| s.parse::<CaId>().map_err(|e| format!("CA: {e}"));
    let number = |s: &str| s.parse::<usize>().map_err(|e| format!("count: {e}"));
    match (mode.as_str(), rest) {
        ("issue", [loc, key, ca, worker, count, log]) => {
            let store = open(loc, key)?;
            let ca = ca_id(ca)?;
            let count = number(count)?;
            let log = PathBuf::from(log);
            let prefix = format!("w{worker}-");
            let done = store
                .read_transaction(|tx| {
                    Ok(tx
                        .issued_by(ca)?
                        .iter()
                        .filter(|r| r.email.as_deref().is_some_and(|e| e.starts_with(&prefix)))
                        .count())
                })
                .map_err(|e| format!("count: {e}"))?;
            let authority = CertificateAuthority::new(&store);
            for i in done..count {
                let spec = IssueSpec::new(format!("{prefix}{i}@example.org"), format!("W {i}"))
                    .key(KeySpec::EcP256)
                    .ca(ca);
                let issued = authority
                    .issue(&spec, &SystemClock)
                    .map_err(|e| format!("issue {i}: {e}"))?;
                append(
                    &log,
                    &format!(
                        "{} {}",
                        issued.record().serial,
                        issued.certificate().thumbprint().to_hex()
                    ),
                )?;
            }
            Ok(())
        }
        ("crl", [loc, key, ca, count, log]) => {
            let store = open(loc, key)?;
            let ca = ca_id(ca)?;
            let log = PathBuf::from(log);
            let authority = CertificateAuthority::new(&store);
            for i in 0..number(count)? {
                let made = authority
                    .create_crl(&CrlSpec::new(ca), &SystemClock)
                    .map_err(|e| format!("CRL {i}: {e}"))?;
                append(&log, &made.number().to_string())?;
            }
            Ok(())
        }
        _ => Err(usage.into()),
    }
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fault_worker: {e}");
            ExitCode::FAILURE
        }
    }
}
