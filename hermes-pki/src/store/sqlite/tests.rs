use super::*;

#[test]
fn newer_schema_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([1; 32]));
    drop(SqliteStore::open(&path, key()).unwrap());
    let conn = Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    let err = SqliteStore::open(&path, key()).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Storage);
    assert!(err.to_string().contains("newer"), "{err}");
}

#[test]
fn every_older_schema_migrates_to_the_latest_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([1; 32]));
    for version in 0..migrations::MIGRATIONS.len() {
        let path = dir.path().join(format!("v{version}.db"));
        {
            // A database as the library of that version left it.
            let conn = Connection::open(&path).unwrap();
            for step in &migrations::MIGRATIONS[..version] {
                step.apply(&conn).unwrap();
            }
            conn.pragma_update(None, "user_version", version as i64)
                .unwrap();
        }
        let store = SqliteStore::open(&path, key()).unwrap();
        let user = super::super::EmailAddress::new("a@example.com").unwrap();
        let scope = SettingScope::User(user.clone());
        store
            .transact(&mut |tx| {
                tx.put_user(&user)?;
                tx.put_setting(&scope, "sign", "off")?;
                tx.put_ctl_entry(&CtlEntry::blacklisted(Thumbprint::of(b"x")))
            })
            .unwrap();
        drop(store);
        let conn = Connection::open(&path).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, migrations::latest_version(), "from version {version}");
        drop(conn);
        let store = SqliteStore::open(&path, key()).unwrap();
        let mut got = None;
        store
            .read(&mut |tx| {
                got = tx.setting(&scope, "sign")?;
                Ok(())
            })
            .unwrap();
        assert_eq!(got.as_deref(), Some("off"), "from version {version}");
    }
}

/// A store of schema version 6 kept a CRL's entries a row each: the migration packs them,
/// and every way of reading them gives what the rows held.
#[test]
fn crl_entry_rows_are_packed_by_the_migration() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v6.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([1; 32]));
    {
        let conn = Connection::open(&path).unwrap();
        for step in &migrations::MIGRATIONS[..6] {
            step.apply(&conn).unwrap();
        }
        conn.pragma_update(None, "user_version", 6).unwrap();
        for (id, sha) in [(1, [1u8; 32]), (2, [2u8; 32])] {
            conn.execute(
                "INSERT INTO crls (id, sha256, issuer, issuer_der, scope, this_update, \
                 problem, entries, stored_at) VALUES (?1, ?2, 'CN=X', X'30', X'', 0, NULL, ?3, 0)",
                params![id, sha.as_slice(), if id == 1 { 3 } else { 0 }],
            )
            .unwrap();
            conn.execute("INSERT INTO crl_der (crl, der) VALUES (?1, X'30')", [id])
                .unwrap();
        }
        // Inserted out of order; one reason code that is no CRLReason.
        for (serial, at, reason) in [
            (&[0x7fu8, 2][..], 1_700_000_000i64, Some(1i64)),
            (&[1][..], -5, None),
            (&[1, 0][..], 7, Some(255)),
        ] {
            conn.execute(
                "INSERT INTO crl_entries (crl, serial, revoked_at, reason) VALUES (1, ?1, ?2, ?3)",
                params![serial, at, reason],
            )
            .unwrap();
        }
    }
    let store = SqliteStore::open(&path, key()).unwrap();
    let one = CrlId::new(1).unwrap();
    let two = CrlId::new(2).unwrap();
    store
        .read(&mut |tx| {
            let entries = tx.crl_entries(one)?.to_vec();
            let got: Vec<(Vec<u8>, i64, Option<u8>)> = entries
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
            for e in &entries {
                assert_eq!(tx.crl_entry(one, &e.serial)?.as_ref(), Some(e));
            }
            assert_eq!(tx.crl_entry(one, &Serial::from_bytes(&[2]))?, None);
            assert!(tx.crl_entries(two)?.is_empty());
            assert_eq!(tx.crl_entry(two, &Serial::from_bytes(&[1]))?, None);
            Ok(())
        })
        .unwrap();
    drop(store);
    let conn = Connection::open(&path).unwrap();
    let tables: i64 = conn
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'crl_entries'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 0, "the row table is gone");
}

/// A stored packed value that is not one is a storage error, also for a single lookup.
#[test]
fn a_corrupt_packed_value_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let key = || MasterKeySource::Provided(MasterKey::from_bytes([1; 32]));
    drop(SqliteStore::open(&path, key()).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.execute(
            "INSERT INTO crls (id, sha256, issuer, issuer_der, scope, this_update, problem, \
             entries, stored_at) VALUES (1, X'01', 'CN=X', X'30', X'', 0, NULL, 1, 0)",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO crl_entries_packed (crl, packed) VALUES (1, X'0101000000')",
            [],
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path, key()).unwrap();
    let id = CrlId::new(1).unwrap();
    for lookup in [false, true] {
        let err = store
            .read(&mut |tx| {
                if lookup {
                    tx.crl_entry(id, &Serial::from_bytes(&[1])).map(drop)
                } else {
                    tx.crl_entries(id).map(drop)
                }
            })
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Storage, "{err}");
        assert!(err.to_string().contains("corrupt"), "{err}");
    }
}

#[test]
fn wrong_master_key_and_wrong_source_kind_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    drop(
        SqliteStore::open(
            &path,
            MasterKeySource::Provided(MasterKey::from_bytes([1; 32])),
        )
        .unwrap(),
    );
    let err = SqliteStore::open(
        &path,
        MasterKeySource::Provided(MasterKey::from_bytes([2; 32])),
    )
    .unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::BadPassword);
    assert!(
        matches!(err, Error::WrongMasterKey(_)),
        "a wrong key says so: {err}"
    );
    assert!(err.to_string().contains("does not belong to this store"));
    let err = SqliteStore::open(&path, MasterKeySource::passphrase("pw")).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    let other = dir.path().join("p.db");
    let err = SqliteStore::open(&other, MasterKeySource::passphrase("")).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    assert!(
        SqliteStore::open(
            &path,
            MasterKeySource::Provided(MasterKey::from_bytes([1; 32]))
        )
        .is_ok()
    );
}

#[test]
fn not_a_database_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    std::fs::write(&path, vec![0x42u8; 4096]).unwrap();
    let err = SqliteStore::open(
        &path,
        MasterKeySource::Provided(MasterKey::from_bytes([1; 32])),
    )
    .unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::Storage);
}

#[test]
fn sqlite_store_passes_the_conformance_suite() {
    let dir = tempfile::tempdir().unwrap();
    let mut n = 0;
    super::super::conformance::run_all(&mut || {
        n += 1;
        let path = dir.path().join(format!("c{n}.db"));
        Ok(Box::new(SqliteStore::open(
            path,
            MasterKeySource::Provided(MasterKey::from_bytes([3; 32])),
        )?))
    })
    .unwrap();
    let path = dir.path().join("reopen.db");
    super::super::conformance::survives_reopen(&mut || {
        Ok(Box::new(SqliteStore::open(
            &path,
            MasterKeySource::Provided(MasterKey::from_bytes([3; 32])),
        )?))
    })
    .unwrap();
}

// --- the cache of decoded keys -------------------------------------------------------------

fn key_store(path: &Path, master: [u8; 32]) -> SqliteStore {
    SqliteStore::open(
        path,
        MasterKeySource::Provided(MasterKey::from_bytes(master)),
    )
    .unwrap()
}

fn read_key(store: &SqliteStore, id: &KeyId) -> Option<PrivateKey> {
    let mut got = None;
    store
        .read(&mut |tx| {
            got = tx.key(id)?;
            Ok(())
        })
        .unwrap();
    got
}

fn write(store: &SqliteStore, f: impl Fn(&mut dyn Transaction) -> Result<()>) {
    store.transact(&mut |tx| f(tx)).unwrap();
}

#[test]
fn a_key_read_twice_is_decoded_once_and_shared() {
    let dir = tempfile::tempdir().unwrap();
    let store = key_store(&dir.path().join("h.db"), [7; 32]);
    let key = PrivateKey::generate(crate::key::KeySpec::EcP256).unwrap();
    let id = key.key_id();
    write(&store, |tx| tx.put_key(&key).map(drop));
    let first = read_key(&store, &id).unwrap();
    let second = read_key(&store, &id).unwrap();
    assert!(first.same_object(&second), "the second read is a cache hit");
    assert!(
        !first.same_object(&key),
        "the cache holds what was unsealed, not what was put"
    );
    assert_eq!(first.public_key_der(), key.public_key_der());
}

#[test]
fn a_key_deleted_or_stored_again_through_another_handle_is_not_served_stale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let a = key_store(&path, [7; 32]);
    let b = key_store(&path, [7; 32]);
    let key = PrivateKey::generate(crate::key::KeySpec::EcP256).unwrap();
    let id = key.key_id();
    write(&a, |tx| tx.put_key(&key).map(drop));
    let cached = read_key(&a, &id).unwrap();
    assert!(a.master.cached_key_count() == 1);

    // Deleted through the other handle: gone for this one at once, and its entry dropped.
    write(&b, |tx| tx.delete_key(&id).map(drop));
    assert!(read_key(&a, &id).is_none());
    assert_eq!(a.master.cached_key_count(), 0);

    // Stored again (sealed anew) and deleted again through the other handle before this
    // handle looks: this handle's earlier entry is not used.
    write(&a, |tx| tx.put_key(&key).map(drop));
    let again = read_key(&a, &id).unwrap();
    assert!(!again.same_object(&cached));
    write(&b, |tx| {
        tx.delete_key(&id)?;
        tx.put_key(&key).map(drop)
    });
    let third = read_key(&a, &id).unwrap();
    assert!(!third.same_object(&again), "new sealed bytes: decoded anew");
    assert_eq!(third.public_key_der(), key.public_key_der());
    write(&b, |tx| tx.delete_key(&id).map(drop));
    assert!(read_key(&a, &id).is_none());
}

#[test]
fn a_sealed_blob_replaced_behind_the_store_is_read_as_it_now_is() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = key_store(&path, [7; 32]);
    let key = PrivateKey::generate(crate::key::KeySpec::EcP256).unwrap();
    let other = PrivateKey::generate(crate::key::KeySpec::EcP256).unwrap();
    let id = key.key_id();
    write(&store, |tx| tx.put_key(&key).map(drop));
    assert_eq!(read_key(&store, &id).unwrap().key_id(), id);

    // Another process overwrites the row (with the other key, sealed under this row's id): an
    // uncached read would return the other key, so the cached one must not be served.
    let forged = MasterKey::from_bytes([7; 32])
        .seal(id.as_bytes(), &other.to_pkcs8_der().unwrap())
        .unwrap();
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE keys SET sealed = ?1 WHERE key_id = ?2",
        params![forged, id.as_bytes().as_slice()],
    )
    .unwrap();
    drop(conn);
    assert_eq!(read_key(&store, &id).unwrap().key_id(), other.key_id());

    // A damaged blob fails, every time (a failure is not cached, nor is the old key served).
    let mut damaged = forged.clone();
    let last = damaged.len() - 1;
    damaged[last] ^= 1;
    let conn = Connection::open(&path).unwrap();
    conn.execute(
        "UPDATE keys SET sealed = ?1 WHERE key_id = ?2",
        params![damaged, id.as_bytes().as_slice()],
    )
    .unwrap();
    drop(conn);
    for _ in 0..2 {
        let err = store.read(&mut |tx| tx.key(&id).map(drop)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::BadPassword, "{err}");
    }
}

#[test]
fn another_master_key_never_opens_a_blob_this_one_has_cached() {
    let right = MasterKey::from_bytes([7; 32]);
    let key = PrivateKey::generate(crate::key::KeySpec::EcP256).unwrap();
    let (id, sealed) = right.seal_private_key(&key).unwrap();
    let opened = right.open_private_key(&id, &sealed).unwrap();
    assert!(
        right
            .open_private_key(&id, &sealed)
            .unwrap()
            .same_object(&opened)
    );
    // A clone shares the cache (same master key), another key with other bytes does not.
    assert!(
        right
            .clone()
            .open_private_key(&id, &sealed)
            .unwrap()
            .same_object(&opened)
    );
    let wrong = MasterKey::from_bytes([8; 32]);
    let err = wrong.open_private_key(&id, &sealed).unwrap_err();
    assert!(matches!(err, Error::BadPassword), "{err:?}");
    // The same bytes under the same master key but another id (the associated data) fail too.
    let other_id = PrivateKey::generate(crate::key::KeySpec::EcP256)
        .unwrap()
        .key_id();
    let err = right.open_private_key(&other_id, &sealed).unwrap_err();
    assert!(matches!(err, Error::BadPassword), "{err:?}");

    // And a store opened with the wrong master key is refused before any key is read.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.db");
    let store = key_store(&path, [7; 32]);
    write(&store, |tx| tx.put_key(&key).map(drop));
    assert!(read_key(&store, &key.key_id()).is_some());
    let err = SqliteStore::open(
        &path,
        MasterKeySource::Provided(MasterKey::from_bytes([8; 32])),
    )
    .unwrap_err();
    assert!(matches!(err, Error::WrongMasterKey(_)), "{err:?}");
}
