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
                conn.execute_batch(step).unwrap();
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
