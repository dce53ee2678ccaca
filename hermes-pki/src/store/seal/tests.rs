use super::*;

#[test]
fn seal_round_trips_and_binds_aad() {
    let k = MasterKey::generate().unwrap();
    let sealed = k.seal(b"id-1", b"secret").unwrap();
    assert_eq!(sealed.len(), 1 + 12 + 6 + 16);
    assert_eq!(k.open(b"id-1", &sealed).unwrap().as_slice(), b"secret");
    assert_eq!(
        k.open(b"id-2", &sealed).unwrap_err().kind(),
        crate::ErrorKind::BadPassword
    );
    let mut t = sealed.clone();
    t[20] ^= 1;
    assert!(k.open(b"id-1", &t).is_err());
    let other = MasterKey::generate().unwrap();
    assert!(other.open(b"id-1", &sealed).is_err());
    assert!(k.open(b"id-1", &sealed[..10]).is_err());
    assert!(k.open(b"id-1", &[]).is_err());
    assert_ne!(k.seal(b"a", b"x").unwrap(), k.seal(b"a", b"x").unwrap());
}

#[test]
fn check_value_detects_wrong_key() {
    let k = MasterKey::from_bytes([7; 32]);
    let c = k.check_value().unwrap();
    assert!(k.verify_check_value(&c).unwrap());
    assert!(
        !MasterKey::from_bytes([8; 32])
            .verify_check_value(&c)
            .unwrap()
    );
    assert_eq!(format!("{k:?}"), "MasterKey(..)");
}

#[test]
fn scrypt_params_round_trip_and_bounds() {
    let p = ScryptParams::DEFAULT;
    assert_eq!(ScryptParams::decode(&p.encode()).unwrap(), p);
    assert!(
        ScryptParams {
            log_n: 30,
            r: 8,
            p: 1
        }
        .check()
        .is_err()
    );
    assert!(ScryptParams::decode(&[1, 2]).is_err());
    let a = MasterKey::derive(
        b"pw",
        b"salt",
        ScryptParams {
            log_n: 10,
            r: 8,
            p: 1,
        },
    )
    .unwrap();
    let b = MasterKey::derive(
        b"pw",
        b"salt",
        ScryptParams {
            log_n: 10,
            r: 8,
            p: 1,
        },
    )
    .unwrap();
    assert_eq!(a.key[..], b.key[..]);
}

#[test]
fn key_file_is_created_private_and_reread() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    let a = load_or_create_key_file(&path).unwrap();
    let b = load_or_create_key_file(&path).unwrap();
    assert_eq!(a.key[..], b.key[..]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    std::fs::write(&path, [0u8; 31]).unwrap();
    assert_eq!(
        load_or_create_key_file(&path).unwrap_err().kind(),
        crate::ErrorKind::Storage
    );
}
