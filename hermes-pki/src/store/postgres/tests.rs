use super::*;

#[test]
fn tls_parameters_are_taken_out_of_the_url() {
    let (rest, mode, root) = take_tls_params(
        "postgres://u:p@db/x?connect_timeout=5&sslmode=verify-full&sslrootcert=%2Fetc%2Fca%20b.pem",
    )
    .unwrap();
    assert_eq!(rest, "postgres://u:p@db/x?connect_timeout=5");
    assert_eq!(mode, Some(SslMode::VerifyFull));
    assert_eq!(root, Some(PathBuf::from("/etc/ca b.pem")));
    let (rest, mode, root) = take_tls_params("postgres://u@db/x?sslmode=verify-ca").unwrap();
    assert_eq!(
        (rest.as_str(), mode, root),
        ("postgres://u@db/x", Some(SslMode::VerifyCa), None)
    );
    let (rest, mode, _) = take_tls_params("host=db sslmode=require").unwrap();
    assert_eq!((rest.as_str(), mode), ("host=db sslmode=require", None));
    let err = take_tls_params("postgres://db/x?sslmode=allow").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
    let err = take_tls_params("postgres://db/x?sslrootcert=%zz").unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::InvalidArgument);
}

/// Plain connections for disable (and prefer without a TLS client); with one, every other
/// mode gets TLS; without one, TLS asked for is refused.
#[test]
fn tls_is_used_or_refused_by_mode() {
    let target = "postgres://db/x";
    assert!(matches!(
        make_tls(SslMode::Disable, None, target).unwrap(),
        Tls::None
    ));
    let prefer = make_tls(SslMode::Prefer, None, target).unwrap();
    assert_eq!(matches!(prefer, Tls::None), !cfg!(feature = "postgres-tls"));
    for mode in [SslMode::Require, SslMode::VerifyCa, SslMode::VerifyFull] {
        let asked = make_tls(mode, None, target);
        if cfg!(feature = "postgres-tls") {
            assert!(!matches!(asked.unwrap(), Tls::None), "{mode:?}");
        } else {
            let err = asked.err().unwrap();
            assert_eq!(err.kind(), crate::ErrorKind::Unsupported, "{err}");
            assert!(err.to_string().contains("postgres-tls"), "{err}");
        }
    }
}
