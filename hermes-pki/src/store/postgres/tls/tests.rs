use super::*;

#[test]
fn an_sslrootcert_without_a_certificate_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("empty.pem");
    std::fs::write(&file, "not PEM\n").unwrap();
    let err = MakeRustls::new(Verify::Full, Some(&file))
        .err()
        .expect("refused");
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("holds no certificate"), "{err}");
    let err = MakeRustls::new(Verify::Full, Some(&dir.path().join("missing.pem")))
        .err()
        .expect("refused");
    assert_eq!(err.kind(), crate::ErrorKind::Io, "{err}");
    assert!(MakeRustls::new(Verify::Full, None).is_ok());
    assert!(MakeRustls::new(Verify::Nothing, None).is_ok());
}
