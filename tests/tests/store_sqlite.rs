//! SQLite store: several processes on one file, keys sealed at rest, master key sources, schema
//! versions.

use std::path::Path;
use std::process::Command;

use hermes_pki::ErrorKind;
use hermes_pki::key::{KeySpec, PrivateKey};
use hermes_pki::store::conformance::fixtures;
use hermes_pki::store::{MasterKey, MasterKeySource, SqliteStore, StoreExt};

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
    // A key file of the wrong length is refused.
    std::fs::write(dir.path().join("short.key"), [1u8; 16]).unwrap();
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
