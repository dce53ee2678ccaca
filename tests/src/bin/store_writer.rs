//! Helper for `tests/store_sqlite.rs`: inserts certificates and their keys into a SQLite store,
//! one transaction each, so that two processes run at once write the same file concurrently.
//!
//! Usage: `store_writer <database> <master key file> <dir> <count>`; `<dir>` holds
//! `cert{i}.pem` and `key{i}.pem` for `i` in `0..count`.

use std::path::PathBuf;
use std::process::ExitCode;

use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::store::{MasterKeySource, SqliteStore, StoreExt};

fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [db, key_file, dir, count] = args.as_slice() else {
        return Err("usage: store_writer <database> <master key file> <dir> <count>".into());
    };
    let dir = PathBuf::from(dir);
    let count: usize = count.parse().map_err(|e| format!("count: {e}"))?;
    let store = SqliteStore::open(db, MasterKeySource::key_file(key_file))
        .map_err(|e| format!("open: {e}"))?;
    for i in 0..count {
        let read = |name: String| {
            std::fs::read_to_string(dir.join(&name)).map_err(|e| format!("{name}: {e}"))
        };
        let cert = Certificate::from_pem(&read(format!("cert{i}.pem"))?)
            .map_err(|e| format!("cert{i}: {e}"))?;
        let key = PrivateKey::from_pem(&read(format!("key{i}.pem"))?, None)
            .map_err(|e| format!("key{i}: {e}"))?;
        store
            .transaction(|tx| {
                // Read before writing, as real multi-step changes do: the transaction must hold
                // the write lock from its start, or a concurrent commit invalidates the read.
                let before = tx.count_certificates()?;
                if !tx.put_certificate(&cert)? {
                    return Err(hermes_pki::Error::Duplicate(format!("cert{i}")));
                }
                if tx.count_certificates()? != before + 1 {
                    return Err(hermes_pki::Error::Storage(
                        "count did not grow by one".into(),
                    ));
                }
                tx.put_key(&key)?;
                Ok(())
            })
            .map_err(|e| format!("insert {i}: {e}"))?;
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("store_writer: {e}");
            ExitCode::FAILURE
        }
    }
}
