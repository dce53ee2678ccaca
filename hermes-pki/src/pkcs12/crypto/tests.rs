use super::*;

#[test]
fn bmp_password_encoding() {
    assert_eq!(*bmp_password(""), vec![0, 0]);
    assert_eq!(*bmp_password("ab"), vec![0, b'a', 0, b'b', 0, 0]);
    // Outside the BMP: a UTF-16 surrogate pair, as OpenSSL writes it.
    assert_eq!(
        *bmp_password("\u{1F600}"),
        vec![0xD8, 0x3D, 0xDE, 0x00, 0, 0]
    );
    assert_eq!(password_candidates("").len(), 2);
    assert_eq!(password_candidates("abc").len(), 1);
    assert_eq!(*password_candidates("é")[1], vec![0, 0xC3, 0, 0xA9, 0, 0]);
}

#[test]
fn pkcs12_kdf_known_answer() {
    // Verified against OpenSSL's PKCS12_key_gen_utf8 (vector of the pkcs12 crate's tests):
    // checks the BMPString encoding of a non-ASCII password too.
    let key = MacHash::Sha256.derive(
        &bmp_password("ge@\u{e4}heim"),
        &[1, 2, 3, 4, 5, 6, 7, 8],
        Pkcs12KeyType::Mac,
        100,
        32,
    );
    assert_eq!(
        hex::encode(&*key),
        "136355ed9434516682534f46d63956db5ff06b844702c2c1f3b46321e2524a4d"
    );
}

#[test]
fn legacy_ciphers_round_trip() {
    let pw = bmp_password("pw");
    for c in [
        LegacyCipher::TripleDes3Key,
        LegacyCipher::TripleDes2Key,
        LegacyCipher::Rc2_128,
        LegacyCipher::Rc2_40,
    ] {
        let ct = c.encrypt(&pw, b"saltsalt", 3, b"hello world").unwrap();
        assert_eq!(ct.len(), 16);
        let pt = c.decrypt(&pw, b"saltsalt", 3, &ct).unwrap().unwrap();
        assert_eq!(&*pt, b"hello world");
        let wrong = c.decrypt(&bmp_password("px"), b"saltsalt", 3, &ct).unwrap();
        assert!(wrong.is_none_or(|p| &*p != b"hello world"));
    }
}

#[test]
fn iteration_limits() {
    let limits = KdfLimits::default();
    assert!(check_iterations(2048, &limits, "x").is_ok());
    assert!(matches!(
        check_iterations(1 << 31, &limits, "x"),
        Err(Error::LimitExceeded(_))
    ));
    assert!(matches!(
        check_iterations(0, &limits, "x"),
        Err(Error::Malformed { .. })
    ));
    let generous = KdfLimits {
        max_pbkdf2_iterations: u32::MAX,
        max_scrypt_memory: 0,
    };
    assert!(matches!(
        check_iterations(1 << 31, &generous, "x"),
        Err(Error::LimitExceeded(_))
    ));
}
