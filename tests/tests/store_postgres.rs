//! PostgreSQL store: retried transactions, connection errors, schema versions, sealed keys,
//! opening by URL, and `copy_store` SQLite → PostgreSQL → SQLite. Needs a server: see
//! `hermes_pki_tests::pg` for the rule (`HERMES_PKI_TEST_PG_URL`).

use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};

use hermes_pki::ErrorKind;
use hermes_pki::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec};
use hermes_pki::cert::Serial;
use hermes_pki::key::KeySpec;
use hermes_pki::pki::Pki;
use hermes_pki::store::conformance::fixtures;
use hermes_pki::store::{
    AnyStore, Create, CrlId, CtlEntry, DomainName, EmailAddress, MasterKey, MasterKeySource,
    PostgresStore, RequestId, RequestRecord, RequestStatus, SettingScope, SqliteStore, Store,
    StoreExt, StoreLocation, copy_store,
};
use hermes_pki::time::{SystemClock, unix_seconds};
use hermes_pki_tests::pg::{TestDb, admin_url, with_database};

fn key(b: u8) -> MasterKeySource {
    MasterKeySource::Provided(MasterKey::from_bytes([b; 32]))
}

/// A transaction whose first run is overtaken by a concurrent commit on the same row fails on a
/// serialization conflict and is run again: the closure runs twice, the second run sees the
/// other commit, and only its write is kept.
#[test]
fn a_conflicting_transaction_is_run_again_and_loses_nothing() {
    let Some(db) = TestDb::new("retry") else {
        return;
    };
    let a = PostgresStore::open(&db.url, key(1)).unwrap();
    let b = PostgresStore::open(&db.url, key(1)).unwrap();
    let g = SettingScope::Global;
    a.transaction(|tx| tx.put_setting(&g, "counter", "10"))
        .unwrap();
    let read_done = Barrier::new(2);
    let other_committed = Barrier::new(2);
    let calls = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let first = s.spawn(|| {
            a.transaction(|tx| {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                let v: u64 = tx.setting(&g, "counter")?.unwrap().parse().unwrap();
                if n == 0 {
                    read_done.wait();
                    other_committed.wait();
                }
                tx.put_setting(&g, "counter", &(v + 1).to_string())?;
                Ok(v)
            })
        });
        read_done.wait();
        b.transaction(|tx| tx.put_setting(&g, "counter", "100"))
            .unwrap();
        other_committed.wait();
        let seen = first.join().unwrap().unwrap();
        assert_eq!(
            seen, 100,
            "the committed run read the other transaction's value"
        );
    });
    assert_eq!(calls.load(Ordering::SeqCst), 2, "the closure ran twice");
    assert!(a.retries() >= 1);
    let v = a.read_transaction(|tx| tx.setting(&g, "counter")).unwrap();
    assert_eq!(v.as_deref(), Some("101"));
}

#[test]
fn connection_errors_say_what_is_wrong_and_never_show_the_password() {
    let Some(admin) = admin_url("connection_errors") else {
        return;
    };
    let password = admin
        .split("://")
        .nth(1)
        .and_then(|r| r.split('@').next())
        .and_then(|u| u.split(':').nth(1))
        .expect("the test URL has a password")
        .to_string();
    // The database does not exist.
    let url = with_database(&admin, "hpki_no_such_database");
    let err = PostgresStore::open(&url, key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(err.to_string().contains("does not exist"), "{err}");
    assert!(!err.to_string().contains(&password));
    // Wrong credentials.
    let wrong = admin.replacen(&format!(":{password}@"), ":not-the-password@", 1);
    let err = PostgresStore::open(&wrong, key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted, "{err}");
    assert!(err.to_string().contains("refused the credentials"), "{err}");
    assert!(!err.to_string().contains("not-the-password"), "{err}");
    // No password at all.
    let none = admin.replacen(&format!(":{password}@"), "@", 1);
    let err = PostgresStore::open(&none, key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted, "{err}");
    // Nobody listens on the port.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("postgres://hermes:{password}@127.0.0.1:{port}/postgres");
    let err = PostgresStore::open(&url, key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("cannot reach"), "{err}");
    assert!(!err.to_string().contains(&password), "{err}");
    // A URL that does not parse.
    let err = PostgresStore::open("postgres://h:notaport/db", key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    // An sslmode libpq does not know (TLS itself: tests/store_postgres_tls.rs).
    let err = PostgresStore::open(&format!("{admin}?sslmode=always"), key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(!err.to_string().contains(&password), "{err}");
    // Through the CLI's path (AnyStore) and Pki::open, the same.
    let err = AnyStore::open(
        &StoreLocation::parse(&with_database(&admin, "hpki_no_such_database")),
        Some(key(1)),
        Create::IfMissing,
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = Pki::open_with(with_database(&admin, "hpki_no_such_database"), key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[test]
fn schema_is_created_once_by_concurrent_openers_and_a_newer_one_is_refused() {
    let Some(db) = TestDb::new("schema") else {
        return;
    };
    std::thread::scope(|s| {
        let openers: Vec<_> = (0..4)
            .map(|_| s.spawn(|| PostgresStore::open(&db.url, key(7)).map(drop)))
            .collect();
        for o in openers {
            o.join().unwrap().unwrap();
        }
    });
    let mut c = db.client();
    let v: i32 = c
        .query_one("SELECT version FROM hermes_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(v as u32, PostgresStore::schema_version());
    assert_eq!(
        PostgresStore::schema_version(),
        SqliteStore::schema_version()
    );
    c.execute("UPDATE hermes_schema SET version = 99", &[])
        .unwrap();
    let err = PostgresStore::open(&db.url, key(7)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    assert!(err.to_string().contains("newer"), "{err}");
}

/// A database of schema version 6 kept a CRL's entries a row each (`crl_entries`): opening it
/// packs them into one value per CRL and drops the row table; every lookup answers as the
/// rows did.
#[test]
fn crl_entry_rows_of_version_6_are_packed_on_open() {
    let Some(db) = TestDb::new("crlpack") else {
        return;
    };
    drop(PostgresStore::open(&db.url, key(7)).unwrap());
    let mut c = db.client();
    // Back to version 6: the row table as that version made it, two CRLs, one with rows.
    c.batch_execute(
        "DROP TABLE crl_entries_packed;
         CREATE TABLE crl_entries (
             crl BIGINT NOT NULL, serial BYTEA NOT NULL, revoked_at BIGINT NOT NULL,
             reason INTEGER, PRIMARY KEY (crl, serial));
         UPDATE hermes_schema SET version = 6;
         INSERT INTO crls (id, sha256, issuer, issuer_der, scope, this_update, entries, stored_at)
             VALUES (1, '\\x01', 'CN=X', '\\x30', '\\x', 0, 3, 0),
                    (2, '\\x02', 'CN=X', '\\x30', '\\x', 0, 0, 0);
         INSERT INTO crl_der (crl, der) VALUES (1, '\\x30'), (2, '\\x30');
         INSERT INTO crl_entries (crl, serial, revoked_at, reason) VALUES
             (1, '\\x7f02', 1700000000, 1), (1, '\\x01', -5, NULL), (1, '\\x0100', 7, 255);",
    )
    .unwrap();
    let store = PostgresStore::open(&db.url, key(7)).unwrap();
    let one = CrlId::new(1).unwrap();
    let two = CrlId::new(2).unwrap();
    store
        .read_transaction(|tx| {
            let got: Vec<(Vec<u8>, i64, Option<u8>)> = tx
                .crl_entries(one)?
                .iter()
                .map(|e| (e.serial.as_bytes().to_vec(), unix_seconds(e.date), e.reason))
                .collect();
            assert_eq!(
                got,
                vec![
                    (vec![1], -5, None),
                    (vec![1, 0], 7, None),
                    (vec![0x7f, 2], 1_700_000_000, Some(1)),
                ]
            );
            for e in tx.crl_entries(one)?.iter() {
                assert_eq!(tx.crl_entry(one, &e.serial)?.as_ref(), Some(&e));
            }
            assert_eq!(tx.crl_entry(one, &Serial::from_bytes(&[2]))?, None);
            assert!(tx.crl_entries(two)?.is_empty());
            Ok(())
        })
        .unwrap();
    let v: i32 = c
        .query_one("SELECT version FROM hermes_schema", &[])
        .unwrap()
        .get(0);
    assert_eq!(v as u32, PostgresStore::schema_version());
    let rows = c
        .query(
            "SELECT 1 FROM pg_tables WHERE tablename = 'crl_entries'",
            &[],
        )
        .unwrap();
    assert!(rows.is_empty(), "the row table is gone");
}

#[test]
fn a_read_only_open_does_not_create_a_schema() {
    let Some(db) = TestDb::new("readonly") else {
        return;
    };
    let err = PostgresStore::open_existing(&db.url, key(1)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert!(err.to_string().contains("no hermes-pki store"), "{err}");
    let mut c = db.client();
    let tables: i64 = c
        .query_one(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(tables, 0, "nothing was created");
    drop(PostgresStore::open(&db.url, key(1)).unwrap());
    assert!(PostgresStore::open_existing(&db.url, key(1)).is_ok());
}

/// Keys are sealed under the master key (never in the clear), the master key is nowhere in the
/// database, and a wrong master key or a lost key file is refused.
#[test]
fn keys_are_sealed_and_the_master_key_stays_out_of_the_database() {
    let Some(db) = TestDb::new("sealed") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("node.key");
    let f = fixtures().unwrap();
    let store = PostgresStore::open(&db.url, MasterKeySource::key_file(&key_file)).unwrap();
    store
        .transaction(|tx| {
            tx.put_certificate(&f.bob.cert)?;
            tx.put_key(&f.bob.key)
        })
        .unwrap();
    drop(store);
    let master = std::fs::read(&key_file).unwrap();
    assert_eq!(master.len(), 32);
    let pkcs8 = f.bob.key.to_pkcs8_der().unwrap();
    let mut c = db.client();
    // Every bytea and text value of every table, none holding the key or the master key.
    let columns = c
        .query(
            "SELECT table_name::text, column_name::text FROM information_schema.columns \
             WHERE table_schema = 'public' AND data_type IN ('bytea', 'text')",
            &[],
        )
        .unwrap();
    assert!(columns.len() > 20);
    let contains = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
    for col in &columns {
        let (table, column): (String, String) = (col.get(0), col.get(1));
        let rows = c
            .query(
                &format!("SELECT convert_to({column}::text, 'UTF8') FROM {table}"),
                &[],
            )
            .unwrap();
        for r in rows {
            let v: Option<Vec<u8>> = r.get(0);
            let v = v.unwrap_or_default();
            assert!(
                !contains(&v, &pkcs8[..16]),
                "{table}.{column} holds the key"
            );
            assert!(
                !contains(&v, &master[..16]),
                "{table}.{column} holds the master key"
            );
            let hex = hex_of(&master[..16]);
            assert!(
                !contains(&v, hex.as_bytes()),
                "{table}.{column} holds the master key"
            );
        }
    }
    let sealed: Vec<u8> = c.query_one("SELECT sealed FROM keys", &[]).unwrap().get(0);
    assert_eq!(sealed[0], 1, "sealed format version 1, as in SQLite");
    assert_eq!(sealed.len(), 1 + 12 + pkcs8.len() + 16);
    // The same key file opens the store and the key; another key or a missing file is refused.
    let store = PostgresStore::open(&db.url, MasterKeySource::key_file(&key_file)).unwrap();
    let back = store
        .read_transaction(|tx| tx.key_for_certificate(f.bob.cert.thumbprint()))
        .unwrap()
        .unwrap();
    assert_eq!(*back.to_pkcs8_der().unwrap(), *pkcs8);
    let err = PostgresStore::open(&db.url, key(9)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadPassword);
    let err = PostgresStore::open(
        &db.url,
        MasterKeySource::key_file(dir.path().join("missing.key")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadPassword);
    assert!(
        err.to_string().contains("copy the master key file"),
        "{err}"
    );
    assert!(
        !dir.path().join("missing.key").exists(),
        "no new key file was made"
    );
}

fn hex_of(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn pki_opens_a_postgres_url_and_refuses_one_without_a_master_key() {
    let Some(db) = TestDb::new("pki_open") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let key_file = dir.path().join("k");
    let pki = Pki::open_with(&db.url, MasterKeySource::key_file(&key_file)).unwrap();
    assert!(pki.ca().list().unwrap().is_empty());
    drop(pki);
    // Without a key file, opening a PostgreSQL store by URL is refused with what to do.
    let err = AnyStore::open(&StoreLocation::parse(&db.url), None, Create::IfMissing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("--master-key-file"), "{err}");
}

/// Everything a store holds, read for comparison (CA ids may be renumbered only where the
/// source had gaps; here it has none).
#[derive(Debug, PartialEq)]
struct Everything {
    certificates: Vec<Vec<u8>>,
    keys: Vec<Vec<u8>>,
    roots: Vec<Vec<u8>>,
    cas: Vec<String>,
    issued: Vec<String>,
    crls: Vec<String>,
    crl_ders: Vec<Vec<u8>>,
    crl_entries: Vec<String>,
    crl_numbers: Vec<Option<u64>>,
    ctl: Vec<String>,
    users: Vec<String>,
    domains: Vec<String>,
    settings: Vec<String>,
    selections: Vec<String>,
    requests: Vec<String>,
}

fn everything(store: &dyn Store) -> Everything {
    store
        .read_transaction(|tx| {
            let certs = tx.list_certificates(&Default::default())?;
            let mut keys = Vec::new();
            for id in tx.key_ids()? {
                keys.push(tx.key(&id)?.unwrap().to_pkcs8_der()?.to_vec());
            }
            let cas = tx.cas()?;
            let mut issued = Vec::new();
            let mut crl_numbers = Vec::new();
            for ca in &cas {
                issued.extend(tx.issued_by(ca.id)?.iter().map(|r| format!("{r:?}")));
                crl_numbers.push(tx.ca_crl_number(ca.id)?);
            }
            let crls = tx.crls()?;
            let mut crl_ders = Vec::new();
            let mut crl_entries = Vec::new();
            for c in &crls {
                crl_ders.push(tx.crl_der(c.id)?.unwrap());
                crl_entries.push(format!("{:?}", tx.crl_entries(c.id)?));
            }
            let users = tx.users()?;
            let domains = tx.domains()?;
            let mut settings = vec![format!("{:?}", tx.settings(&SettingScope::Global)?)];
            let mut selections = Vec::new();
            for u in &users {
                settings.push(format!(
                    "{:?}",
                    tx.settings(&SettingScope::User(u.clone()))?
                ));
                selections.push(format!(
                    "{:?} {:?}",
                    tx.manual_encryption_certificates(u)?,
                    tx.manual_signing_certificate(u)?
                ));
            }
            for d in &domains {
                settings.push(format!(
                    "{:?}",
                    tx.settings(&SettingScope::Domain(d.clone()))?
                ));
            }
            Ok(Everything {
                certificates: certs.iter().map(|c| c.der().to_vec()).collect(),
                keys,
                roots: tx.roots()?.iter().map(|c| c.der().to_vec()).collect(),
                cas: cas.iter().map(|c| format!("{c:?}")).collect(),
                issued,
                // The record's id and storage time aside, everything else must match.
                crls: crls
                    .iter()
                    .map(|c| {
                        format!(
                            "{:?} {:?} {:?} {:?} {:?} {:?}",
                            c.id, c.sha256, c.issuer, c.number, c.status, c.entries
                        )
                    })
                    .collect(),
                crl_ders,
                crl_entries,
                crl_numbers,
                ctl: tx.ctl_entries()?.iter().map(|e| format!("{e:?}")).collect(),
                users: users.iter().map(|u| u.as_str().to_string()).collect(),
                domains: domains.iter().map(|d| d.as_str().to_string()).collect(),
                settings,
                selections,
                requests: tx
                    .requests(None)?
                    .iter()
                    .map(|r| format!("{r:?}"))
                    .collect(),
            })
        })
        .unwrap()
}

/// A store with at least one of everything: two CAs (one default), issued certificates, a CRL
/// revoking one, a trust list entry, users, domains, settings at every scope, selections.
fn populate(store: &dyn Store) {
    let clock = SystemClock;
    let ca = CertificateAuthority::new(store);
    let root = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Copy Root"))
                .key(KeySpec::EcP256)
                .make_default(true),
            &clock,
        )
        .unwrap();
    ca.create(
        &CaSpec::new(DistinguishedName::new("Copy Other")).key(KeySpec::EcP256),
        &clock,
    )
    .unwrap();
    let mut issued = Vec::new();
    for i in 0..3 {
        issued.push(
            ca.issue(
                &IssueSpec::new(format!("user{i}@example.org"), format!("User {i}"))
                    .key(KeySpec::EcP256),
                &clock,
            )
            .unwrap(),
        );
    }
    ca.create_crl(
        &CrlSpec::new(root.issuing().id).revoke_certificate(issued[0].certificate()),
        &clock,
    )
    .unwrap();
    let f = fixtures().unwrap();
    let alice = EmailAddress::new("alice@example.com").unwrap();
    let domain = DomainName::new("example.com").unwrap();
    store
        .transaction(|tx| {
            tx.put_certificate(&f.carol.cert)?; // a certificate without its key
            tx.put_key(&f.alice_expired.key)?; // a key without its certificate
            tx.put_ctl_entry(&CtlEntry::blacklisted(*f.carol.cert.thumbprint()))?;
            tx.put_user(&alice)?;
            tx.put_domain(&domain)?;
            tx.put_setting(&SettingScope::Global, "revocation", "required")?;
            tx.put_setting(&SettingScope::Domain(domain.clone()), "sign", "on")?;
            tx.put_setting(&SettingScope::User(alice.clone()), "encrypt", "off")?;
            tx.put_manual_encryption_certificate(&alice, f.carol.cert.thumbprint())?;
            tx.set_manual_signing_certificate(&alice, Some(issued[1].certificate().thumbprint()))?;
            // Requests: one pending (a CSR out, its key stored), one completed, one cancelled.
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
            let pending = RequestRecord {
                id: RequestId::new(1)?,
                handler: "csr".into(),
                status: RequestStatus::Pending,
                email: "alice@example.com".into(),
                options: "cn=Alice".into(),
                key_id: Some(f.alice_expired.key.key_id()),
                csr: Some(vec![0x30, 0x03, 0x02, 0x01, 0x00]),
                reference: Some("order 17".into()),
                certificate: None,
                created: at,
                updated: at,
                next_attempt: at,
                attempts: 2,
                last_error: Some("the CA is closed on Sundays".into()),
            };
            tx.insert_request(&pending)?;
            tx.insert_request(&RequestRecord {
                status: RequestStatus::Completed,
                certificate: Some(*issued[1].certificate().thumbprint()),
                key_id: None,
                csr: None,
                ..pending.clone()
            })?;
            tx.insert_request(&RequestRecord {
                status: RequestStatus::Cancelled,
                ..pending
            })?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn store_copy_sqlite_to_postgres_to_sqlite_keeps_every_object() {
    let Some(db) = TestDb::new("copy") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let first = SqliteStore::open_default(dir.path().join("first")).unwrap();
    populate(&first);
    let before = everything(&first);
    assert_eq!(before.cas.len(), 2);
    assert_eq!(before.crls.len(), 1);
    assert!(before.keys.len() >= 6);
    assert_eq!(before.requests.len(), 3);
    // Into PostgreSQL under another master key.
    let pg = PostgresStore::open(&db.url, key(0x42)).unwrap();
    let report = copy_store(&first, &pg).unwrap();
    assert_eq!(report.cas, 2);
    assert!(report.renumbered_cas.is_empty());
    assert_eq!(report.certificates as usize, before.certificates.len());
    assert_eq!(everything(&pg), before);
    // A second copy into the same, now non-empty store is refused and writes nothing.
    let err = copy_store(&first, &pg).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(everything(&pg), before);
    // And back into a new SQLite store.
    let back = SqliteStore::open_default(dir.path().join("back")).unwrap();
    copy_store(&pg, &back).unwrap();
    assert_eq!(everything(&back), before);
    // The copies still issue: the CA keys opened under the new master keys, serials stay
    // unique.
    let ca = CertificateAuthority::new(&back);
    let more = ca
        .issue(
            &IssueSpec::new("late@example.org", "Late").key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let records = back
        .read_transaction(|tx| tx.issued_by(more.record().ca))
        .unwrap();
    let mut serials: Vec<_> = records.iter().map(|r| r.serial.clone()).collect();
    serials.sort();
    serials.dedup();
    assert_eq!(serials.len(), records.len());
}
