//! SQLite store: several processes on one file, keys sealed at rest, master key sources, schema
//! versions.

use std::path::Path;
use std::process::Command;

use hermes_pki::ErrorKind;
use hermes_pki::key::{KeySpec, PrivateKey};
use hermes_pki::settings::{SettingKey, Settings, Source};
use hermes_pki::store::conformance::fixtures;
use hermes_pki::store::{
    CtlStatus, EmailAddress, MasterKey, MasterKeySource, SettingScope, SqliteStore, StoreExt,
};

fn openssl(args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes `cert{i}.pem` / `key{i}.pem` (self-signed EC P-256, distinct subjects and emails)
/// for `i` in `0..n` into `dir`.
fn make_certificates(dir: &Path, tag: &str, n: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for i in 0..n {
        let cert = dir.join(format!("cert{i}.pem"));
        let key = dir.join(format!("key{i}.pem"));
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "365",
            "-subj",
            &format!("/O=Writer {tag}/CN=cert {i}"),
            "-addext",
            &format!("subjectAltName=email:{tag}{i}@example.org"),
            "-keyout",
            key.to_str().unwrap(),
            "-out",
            cert.to_str().unwrap(),
        ]);
    }
}

fn sqlite3(db: &Path, sql: &str) -> String {
    let out = Command::new("sqlite3")
        .arg(db)
        .arg(sql)
        .output()
        .expect("run sqlite3");
    assert!(
        out.status.success(),
        "sqlite3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn two_processes_writing_one_file_lose_nothing() {
    const N: usize = 50;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("hermes.db");
    let key_file = dir.path().join("master.key");
    make_certificates(&dir.path().join("a"), "a", N);
    make_certificates(&dir.path().join("b"), "b", N);
    // Both writers start at once on a fresh file: creation, migration and the key check value
    // race too.
    let writers: Vec<_> = ["a", "b"]
        .iter()
        .map(|d| {
            Command::new(env!("CARGO_BIN_EXE_store_writer"))
                .arg(&db)
                .arg(&key_file)
                .arg(dir.path().join(d))
                .arg(N.to_string())
                .spawn()
                .expect("spawn store_writer")
        })
        .collect();
    for mut w in writers {
        assert!(w.wait().unwrap().success(), "a writer failed");
    }
    let store = SqliteStore::open(&db, MasterKeySource::key_file(&key_file)).unwrap();
    let certs = store
        .read_transaction(|tx| tx.list_certificates(&Default::default()))
        .unwrap();
    assert_eq!(certs.len(), 2 * N);
    assert_eq!(
        store
            .read_transaction(|tx| tx.count_certificates())
            .unwrap(),
        2 * N as u64
    );
    store
        .read_transaction(|tx| {
            for c in &certs {
                assert!(tx.key_for_certificate(c.thumbprint())?.is_some());
            }
            for tag in ["a", "b"] {
                for i in [0, N - 1] {
                    assert_eq!(
                        tx.certificates_by_email(&format!("{tag}{i}@example.org"))?
                            .len(),
                        1
                    );
                }
            }
            Ok(())
        })
        .unwrap();
    assert_eq!(
        sqlite3(&db, "SELECT COUNT(*) FROM keys").trim(),
        (2 * N).to_string()
    );
}

/// Every 16-byte window of `secret` is absent from `haystack`.
fn no_window_of(secret: &[u8], haystack: &[u8]) -> bool {
    secret
        .windows(16)
        .all(|w| !haystack.windows(16).any(|h| h == w))
}

#[test]
fn private_keys_are_never_in_the_database_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("keys.db");
    let f = fixtures().unwrap();
    let keys = [&f.alice.key, &f.bob.key, &f.ca.key];
    {
        let store =
            SqliteStore::open(&db, MasterKeySource::key_file(dir.path().join("k"))).unwrap();
        store
            .transaction(|tx| {
                for k in keys {
                    tx.put_key(k)?;
                }
                Ok(())
            })
            .unwrap();
        // Looked at while the store is open (data may still be in the WAL file) ...
        check_files(dir.path(), &keys);
    }
    // ... and after closing (checkpointed into the main file).
    check_files(dir.path(), &keys);
    // The sealed blobs as the sqlite3 command sees them.
    let rows = sqlite3(&db, "SELECT hex(key_id), hex(sealed) FROM keys ORDER BY 1");
    let rows: Vec<(&str, &str)> = rows.lines().map(|l| l.split_once('|').unwrap()).collect();
    assert_eq!(rows.len(), 3);
    for k in keys {
        let id = k.key_id().to_string();
        let (_, sealed) = rows
            .iter()
            .find(|(i, _)| *i == id)
            .expect("row for the key");
        let sealed = hex_decode(sealed);
        let der = k.to_pkcs8_der().unwrap();
        assert_eq!(
            sealed.len(),
            1 + 12 + der.len() + 16,
            "version || nonce || ct || tag"
        );
        assert!(no_window_of(&der, &sealed));
    }
}

fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn check_files(dir: &Path, keys: &[&PrivateKey]) {
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap() == "k" {
            continue; // the master key file
        }
        let bytes = std::fs::read(&path).unwrap();
        seen += bytes.len();
        for k in keys {
            let der = k.to_pkcs8_der().unwrap();
            assert!(
                no_window_of(&der, &bytes),
                "key material found in {}",
                path.display()
            );
        }
    }
    assert!(seen > 0);
}

#[cfg(unix)]
#[test]
fn default_layout_creates_a_private_key_file_beside_the_database() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    let f = fixtures().unwrap();
    {
        let store = SqliteStore::open_default(&home).unwrap();
        store.transaction(|tx| tx.put_key(&f.alice.key)).unwrap();
    }
    assert!(home.join("hermes.db").is_file());
    let mode = std::fs::metadata(home.join("master.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read(home.join("master.key")).unwrap().len(), 32);
    // Reopened with the same key file: the key opens.
    let store = SqliteStore::open_default(&home).unwrap();
    assert!(
        store
            .read_transaction(|tx| tx.key(&f.alice.key.key_id()))
            .unwrap()
            .is_some()
    );
    drop(store);
    // Another key file does not belong to this database.
    let err = SqliteStore::open(
        home.join("hermes.db"),
        MasterKeySource::key_file(dir.path().join("other.key")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadPassword);
    // A key file of the wrong length is refused (a private one: others' access is refused
    // before the length is looked at).
    std::fs::write(dir.path().join("short.key"), [1u8; 16]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.path().join("short.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let err = SqliteStore::open(
        home.join("hermes.db"),
        MasterKeySource::key_file(dir.path().join("short.key")),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
}

#[test]
fn wrong_passphrase_is_bad_password() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let f = fixtures().unwrap();
    {
        let store = SqliteStore::open(&db, MasterKeySource::passphrase("correct horse")).unwrap();
        store.transaction(|tx| tx.put_key(&f.bob.key)).unwrap();
    }
    let err = SqliteStore::open(&db, MasterKeySource::passphrase("battery staple")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadPassword);
    let err = SqliteStore::open(
        &db,
        MasterKeySource::Provided(MasterKey::from_bytes([0; 32])),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    let store = SqliteStore::open(&db, MasterKeySource::passphrase("correct horse")).unwrap();
    let k = store
        .read_transaction(|tx| tx.key(&f.bob.key.key_id()))
        .unwrap()
        .expect("key opens with the right passphrase");
    assert_eq!(k.key_id(), f.bob.key.key_id());
}

#[test]
fn passphrase_store_opens_many_keys_after_one_derivation() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("p.db");
    let keys: Vec<PrivateKey> = (0..20)
        .map(|_| PrivateKey::generate(KeySpec::EcP256).unwrap())
        .collect();
    let store = SqliteStore::open(&db, MasterKeySource::passphrase("pass phrase")).unwrap();
    store
        .transaction(|tx| {
            for k in &keys {
                tx.put_key(k)?;
            }
            Ok(())
        })
        .unwrap();
    drop(store);
    let store = SqliteStore::open(&db, MasterKeySource::passphrase("pass phrase")).unwrap();
    store
        .read_transaction(|tx| {
            for k in &keys {
                let back = tx.key(&k.key_id())?.expect("stored key");
                assert_eq!(*back.to_pkcs8_der()?, *k.to_pkcs8_der()?);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_newer_schema_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([9; 32]));
    drop(SqliteStore::open(&db, key()).unwrap());
    assert_eq!(
        sqlite3(&db, "PRAGMA user_version").trim(),
        SqliteStore::schema_version().to_string()
    );
    sqlite3(
        &db,
        &format!(
            "PRAGMA user_version = {}",
            SqliteStore::schema_version() + 1
        ),
    );
    let err = SqliteStore::open(&db, key()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage);
    let msg = err.to_string();
    assert!(msg.contains("newer") && msg.contains("upgrade"), "{msg}");
}

#[test]
fn a_tampered_sealed_key_does_not_open() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([4; 32]));
    let f = fixtures().unwrap();
    {
        let store = SqliteStore::open(&db, key()).unwrap();
        store
            .transaction(|tx| {
                tx.put_key(&f.alice.key)?;
                tx.put_key(&f.bob.key)?;
                Ok(())
            })
            .unwrap();
    }
    // Move Bob's sealed blob onto Alice's row: the key id is the associated data, so it fails.
    sqlite3(
        &db,
        &format!(
            "UPDATE keys SET sealed = (SELECT sealed FROM keys WHERE hex(key_id) = '{}') \
             WHERE hex(key_id) = '{}'",
            f.bob.key.key_id(),
            f.alice.key.key_id()
        ),
    );
    let store = SqliteStore::open(&db, key()).unwrap();
    let err = store
        .read_transaction(|tx| tx.key(&f.alice.key.key_id()))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadPassword);
    assert!(
        store
            .read_transaction(|tx| tx.key(&f.bob.key.key_id()))
            .unwrap()
            .is_some()
    );
}

/// A store written by the release before users, domains and settings (schema version 3; see
/// `tests/data/store-v3/README.md`) opens: it is migrated in place to the current version,
/// keeps everything it held, and takes users, domains and settings, which survive a reopen.
#[test]
fn a_version_3_store_migrates_on_open_and_keeps_its_data() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("store");
    std::fs::create_dir(&home).unwrap();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/store-v3");
    for f in ["hermes.db", "master.key"] {
        std::fs::copy(data.join(f), home.join(f)).unwrap();
    }
    // Git keeps no file modes beyond the executable bit: the key file is made private again.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            home.join("master.key"),
            std::fs::Permissions::from_mode(0o600),
        )
        .unwrap();
    }
    let db = home.join("hermes.db");
    assert_eq!(sqlite3(&db, "PRAGMA user_version").trim(), "3");
    assert!(
        !sqlite3(&db, "SELECT name FROM sqlite_master WHERE type = 'table'").contains("settings")
    );
    assert!(SqliteStore::schema_version() > 3);
    {
        let store = SqliteStore::open_default(&home).unwrap();
        assert_eq!(
            sqlite3(&db, "PRAGMA user_version").trim(),
            SqliteStore::schema_version().to_string()
        );
        store
            .read_transaction(|tx| {
                // What version 3 held is all there, and the key opens with the old key file.
                let cas = tx.cas()?;
                assert_eq!(cas.len(), 1);
                assert_eq!(cas[0].name, "V3 Root");
                assert!(cas[0].is_default);
                assert_eq!(tx.count_certificates()?, 2);
                let alice = tx.certificates_by_email("alice@example.com")?;
                assert_eq!(alice.len(), 1);
                assert!(tx.key_for_certificate(alice[0].thumbprint())?.is_some());
                assert_eq!(tx.issued_by(cas[0].id)?.len(), 1);
                assert_eq!(tx.ca_crl_number(cas[0].id)?, Some(1));
                let crls = tx.crls()?;
                assert_eq!(crls.len(), 1);
                assert!(crls[0].status.is_valid());
                // The CA's own certificate is whitelisted, Alice's was blacklisted.
                assert_eq!(tx.ctl_entries()?.len(), 2);
                let entry = tx.ctl_entry(alice[0].thumbprint())?.expect("Alice's entry");
                assert_eq!(entry.status, CtlStatus::Blacklisted);
                // The new parts start empty.
                assert!(tx.users()?.is_empty());
                assert!(tx.domains()?.is_empty());
                assert!(tx.settings(&SettingScope::Global)?.is_empty());
                Ok(())
            })
            .unwrap();
        let settings = Settings::new(&store);
        assert_eq!(
            settings.revocation_mode().unwrap(),
            hermes_pki::trust::RevocationMode::BestEffort
        );
        settings
            .set_text(&SettingScope::Global, SettingKey::Revocation, "required")
            .unwrap();
        settings
            .set_text(
                &SettingScope::user("alice@example.com").unwrap(),
                SettingKey::Encrypt,
                "required",
            )
            .unwrap();
    }
    // Reopened (no migration left to do): the settings are there.
    let store = SqliteStore::open_default(&home).unwrap();
    let settings = Settings::new(&store);
    assert_eq!(
        settings.revocation_mode().unwrap(),
        hermes_pki::trust::RevocationMode::Required
    );
    assert_eq!(
        settings.users().unwrap(),
        vec![EmailAddress::new("alice@example.com").unwrap()]
    );
    let e = settings
        .effective(
            &SettingScope::user("alice@example.com").unwrap(),
            SettingKey::Encrypt,
        )
        .unwrap();
    assert_eq!(
        (e.value.to_string().as_str(), e.source),
        ("required", Source::User)
    );
}

/// Removing a user removes its settings in SQLite itself (foreign keys with ON DELETE
/// CASCADE as well as the store's own delete), as the sqlite3 command sees the file.
#[test]
fn settings_rows_go_with_their_user_and_domain_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("s.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([6; 32]));
    {
        let store = SqliteStore::open(&db, key()).unwrap();
        let settings = Settings::new(&store);
        for scope in [
            SettingScope::user("alice@example.com").unwrap(),
            SettingScope::domain("example.com").unwrap(),
            SettingScope::Global,
        ] {
            settings.set_text(&scope, SettingKey::Sign, "off").unwrap();
        }
    }
    let count = |table: &str| sqlite3(&db, &format!("SELECT COUNT(*) FROM {table}"));
    assert_eq!(count("user_settings").trim(), "1");
    assert_eq!(count("domain_settings").trim(), "1");
    // The schema itself cascades: a delete by hand takes the rows along (foreign keys on).
    sqlite3(
        &db,
        "PRAGMA foreign_keys = ON; DELETE FROM users WHERE email = 'alice@example.com'",
    );
    assert_eq!(count("user_settings").trim(), "0");
    let store = SqliteStore::open(&db, key()).unwrap();
    let settings = Settings::new(&store);
    assert!(
        settings
            .remove_domain(&hermes_pki::store::DomainName::new("example.com").unwrap())
            .unwrap()
    );
    drop(store);
    assert_eq!(count("domain_settings").trim(), "0");
    assert_eq!(count("global_settings").trim(), "1");
}
