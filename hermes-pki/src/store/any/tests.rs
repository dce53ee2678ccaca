use super::*;

#[test]
fn locations_parse_and_never_show_a_password() {
    assert_eq!(
        StoreLocation::parse("./hermes-data"),
        StoreLocation::Directory(PathBuf::from("./hermes-data"))
    );
    let l = StoreLocation::parse("postgres://gw:s3cret@db.example:5433/pki?sslmode=disable");
    assert!(matches!(l, StoreLocation::Postgres(_)));
    let shown = format!("{} {l:?}", l.describe());
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(
        shown.contains("postgres://gw:***@db.example:5433/pki"),
        "{shown}"
    );
    assert!(matches!(
        StoreLocation::parse("PostgreSQL://h/db"),
        StoreLocation::Postgres(_)
    ));
    assert_eq!(
        redact_url("postgres://h/db?user=a&password=x1&sslmode=disable"),
        "postgres://h/db?user=a&password=***&sslmode=disable"
    );
    assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    assert_eq!(
        StoreLocation::from_path(Path::new("postgres://u@h/db")),
        StoreLocation::Postgres("postgres://u@h/db".into())
    );
}

#[test]
fn a_read_only_open_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("none");
    let err =
        AnyStore::open(&StoreLocation::Directory(home.clone()), None, Create::Never).unwrap_err();
    assert_eq!(err.kind(), crate::ErrorKind::NotFound);
    assert!(err.to_string().contains("there is no store"), "{err}");
    assert!(!home.exists());
    let store = AnyStore::open(
        &StoreLocation::Directory(home.clone()),
        None,
        Create::IfMissing,
    )
    .unwrap();
    drop(store);
    assert!(home.join("hermes.db").exists());
    assert!(AnyStore::open(&StoreLocation::Directory(home), None, Create::Never).is_ok());
}
