//! The storage conformance suite (`hermes_pki::store::conformance`) against every backend.

use std::path::Path;

use hermes_pki::Result;
use hermes_pki::store::conformance::{self, Check};
use hermes_pki::store::{
    MasterKey, MasterKeySource, MemoryStore, PostgresStore, ReadTransaction, SqliteStore, Store,
    Transaction,
};
use hermes_pki_tests::pg::TestDb;

fn memory(_dir: &Path) -> Result<Option<Box<dyn Store>>> {
    Ok(Some(Box::new(MemoryStore::new())))
}

fn sqlite(dir: &Path) -> Result<Option<Box<dyn Store>>> {
    Ok(Some(Box::new(SqliteStore::open(
        dir.join("store.db"),
        MasterKeySource::Provided(MasterKey::from_bytes([0x5a; 32])),
    )?)))
}

fn sqlite_key_file(dir: &Path) -> Result<Option<Box<dyn Store>>> {
    Ok(Some(Box::new(SqliteStore::open_default(dir)?)))
}

/// A PostgreSQL store in a database of its own, dropped with it.
struct PgStore {
    store: PostgresStore,
    _db: TestDb,
}

impl Store for PgStore {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        self.store.transact(f)
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        self.store.read(f)
    }
}

fn postgres(_dir: &Path) -> Result<Option<Box<dyn Store>>> {
    let Some(db) = TestDb::new("conformance") else {
        return Ok(None);
    };
    let store = PostgresStore::open(
        &db.url,
        MasterKeySource::Provided(MasterKey::from_bytes([0x5a; 32])),
    )?;
    Ok(Some(Box::new(PgStore { store, _db: db })))
}

/// Makes a store for one check (`None`: the backend's tests are skipped on this machine).
type Make = fn(&Path) -> Result<Option<Box<dyn Store>>>;

fn run(check: Check, make: Make) {
    let dir = tempfile::tempdir().unwrap();
    // None: the PostgreSQL tests are skipped on this machine (notice printed).
    if let Some(store) = make(dir.path()).unwrap() {
        check(&*store).unwrap();
    }
}

macro_rules! suite {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;

            #[test]
            fn certificates_round_trip() {
                run(conformance::certificates_round_trip, $make);
            }
            // --- certificate requests (issue 15) ---
            #[test]
            fn requests_round_trip() {
                run(conformance::requests_round_trip, $make);
            }
            #[test]
            fn certificates_by_key() {
                run(conformance::certificates_by_key, $make);
            }
            #[test]
            fn index_lookups() {
                run(conformance::index_lookups, $make);
            }
            #[test]
            fn email_lookups() {
                run(conformance::email_lookups, $make);
            }
            #[test]
            fn delete_certificate_clears_indexes() {
                run(conformance::delete_certificate_clears_indexes, $make);
            }
            #[test]
            fn list_filters() {
                run(conformance::list_filters, $make);
            }
            #[test]
            fn keys() {
                run(conformance::keys, $make);
            }
            #[test]
            fn certificate_authorities() {
                run(conformance::certificate_authorities, $make);
            }
            #[test]
            fn issued_records() {
                run(conformance::issued_records, $make);
            }
            #[test]
            fn trust_list() {
                run(conformance::trust_list, $make);
            }
            #[test]
            fn roots() {
                run(conformance::roots, $make);
            }
            #[test]
            fn failed_transaction_writes_nothing() {
                run(conformance::failed_transaction_writes_nothing, $make);
            }
            #[test]
            fn panicking_transaction_writes_nothing() {
                run(conformance::panicking_transaction_writes_nothing, $make);
            }
            #[test]
            fn transactions_see_their_own_writes() {
                run(conformance::transactions_see_their_own_writes, $make);
            }
            #[test]
            fn crl_store() {
                run(conformance::crl_store, $make);
            }
            #[test]
            fn users_and_domains() {
                run(conformance::users_and_domains, $make);
            }
            #[test]
            fn settings_per_scope() {
                run(conformance::settings_per_scope, $make);
            }
            #[test]
            fn removal_takes_settings_along() {
                run(conformance::removal_takes_settings_along, $make);
            }
            #[test]
            fn manual_selections() {
                run(conformance::manual_selections, $make);
            }
            #[test]
            fn concurrent_transactions_lose_no_update() {
                run(conformance::concurrent_transactions_lose_no_update, $make);
            }
        }
    };
}

suite!(memory_store, memory);
suite!(sqlite_store, sqlite);
suite!(sqlite_store_default, sqlite_key_file);
suite!(postgres_store, postgres);

#[test]
fn postgres_data_survives_close_and_reopen() {
    let Some(db) = TestDb::new("reopen") else {
        return;
    };
    conformance::survives_reopen(&mut || {
        Ok(Box::new(PostgresStore::open(
            &db.url,
            MasterKeySource::Provided(MasterKey::from_bytes([0x5a; 32])),
        )?))
    })
    .unwrap();
}

#[test]
fn sqlite_data_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    conformance::survives_reopen(&mut || Ok(sqlite(dir.path())?.unwrap())).unwrap();
}

#[test]
fn sqlite_default_store_survives_close_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    conformance::survives_reopen(&mut || Ok(sqlite_key_file(dir.path())?.unwrap())).unwrap();
}

#[test]
fn stores_work_as_shared_trait_objects() {
    use hermes_pki::store::StoreExt;
    let dir = tempfile::tempdir().unwrap();
    let stores: Vec<std::sync::Arc<dyn Store>> = vec![
        memory(dir.path()).unwrap().unwrap().into(),
        sqlite(dir.path()).unwrap().unwrap().into(),
    ];
    for store in stores {
        let f = conformance::fixtures().unwrap();
        let threads: Vec<_> = [
            f.alice.cert.clone(),
            f.bob.cert.clone(),
            f.carol.cert.clone(),
        ]
        .into_iter()
        .map(|c| {
            let store = store.clone();
            std::thread::spawn(move || store.transaction(|tx| tx.put_certificate(&c)).unwrap())
        })
        .collect();
        for t in threads {
            assert!(t.join().unwrap());
        }
        assert_eq!(
            store
                .read_transaction(|tx| tx.count_certificates())
                .unwrap(),
            3
        );
    }
}
