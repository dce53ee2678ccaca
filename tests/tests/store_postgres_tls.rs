//! PostgreSQL store over TLS (feature `postgres-tls`): libpq's `sslmode` and `sslrootcert`
//! against the test cluster of `scripts/pg-test-cluster.sh`, which has TLS on over TCP with a
//! server certificate for `localhost` (only) issued by a test CA kept beside it (`ca.crt`), and
//! no TLS on its Unix socket. Needs a server: see `hermes_pki_tests::pg` for the rule
//! (`HERMES_PKI_TEST_PG_URL`).

use std::path::PathBuf;

use hermes_pki::ErrorKind;
use hermes_pki::store::conformance::{self, fixtures};
use hermes_pki::store::{
    AnyStore, Create, MasterKey, MasterKeySource, PostgresStore, StoreLocation,
};
use hermes_pki_tests::pg::{TestDb, admin_url};
use postgres::{Client, NoTls};

fn key(b: u8) -> MasterKeySource {
    MasterKeySource::Provided(MasterKey::from_bytes([b; 32]))
}

/// The test CA's certificate file: `ca.crt` beside the server's certificate. Panics when the
/// server has no TLS (a cluster not started by this repository's script).
fn test_ca(admin: &str) -> PathBuf {
    let mut c = Client::connect(admin, NoTls).expect("connect to the test server");
    let ssl: String = c.query_one("SHOW ssl", &[]).unwrap().get(0);
    assert_eq!(
        ssl, "on",
        "the test server has no TLS: start it with scripts/pg-test-cluster.sh"
    );
    let cert: String = c.query_one("SHOW ssl_cert_file", &[]).unwrap().get(0);
    let ca = PathBuf::from(cert).with_file_name("ca.crt");
    assert!(ca.is_file(), "no test CA at {}", ca.display());
    ca
}

/// The URL's password (to check that no message shows it).
fn password(url: &str) -> String {
    url.split("://")
        .nth(1)
        .and_then(|r| r.split('@').next())
        .and_then(|u| u.split(':').nth(1))
        .expect("the test URL has a password")
        .to_string()
}

/// `url` with its host (`127.0.0.1`, as the script prints it) replaced by `host`.
fn with_host(url: &str, host: &str) -> String {
    assert!(url.contains("@127.0.0.1:"), "unexpected test URL form");
    url.replacen("@127.0.0.1:", &format!("@{host}:"), 1)
}

/// A query parameter value, percent-encoded.
fn encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"/-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// How many of the database's connections with application name `app` use TLS, and how many
/// do not.
fn tls_connections(admin: &str, db: &str, app: &str) -> (i64, i64) {
    let mut c = Client::connect(admin, NoTls).expect("connect to the test server");
    let row = c
        .query_one(
            "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) \
             FROM pg_stat_ssl s JOIN pg_stat_activity a ON a.pid = s.pid \
             WHERE a.datname = $1 AND a.application_name = $2",
            &[&db, &app],
        )
        .unwrap();
    (row.get(0), row.get(1))
}

/// verify-full with the test CA as sslrootcert: the store opens over TLS (every connection of
/// the database is encrypted) and the conformance basics pass; the CLI's path (AnyStore) too.
#[test]
fn verify_full_with_the_test_ca_works_over_tls() {
    let Some(admin) = admin_url("tls_verify_full") else {
        return;
    };
    let ca = test_ca(&admin);
    let params = format!(
        "?sslmode=verify-full&sslrootcert={}",
        encode(ca.to_str().unwrap())
    );
    let checks: [(&str, conformance::Check); 3] = [
        (
            "certificates_round_trip",
            conformance::certificates_round_trip,
        ),
        ("keys", conformance::keys),
        (
            "transactions_see_their_own_writes",
            conformance::transactions_see_their_own_writes,
        ),
    ];
    for (name, check) in checks {
        let db = TestDb::new(&format!("tls_full_{name}")).unwrap();
        let url = format!("{}{params}", with_host(&db.url, "localhost"));
        let store = PostgresStore::open(&url, key(3)).unwrap();
        check(&store).unwrap_or_else(|e| panic!("{name} over TLS: {e}"));
        let (tls, plain) = tls_connections(&admin, db.name(), "hermes-pki");
        assert!(tls >= 1, "{name}: the store's connection uses TLS");
        assert_eq!(plain, 0, "{name}: no connection without TLS");
        drop(store);
        let any = AnyStore::open(&StoreLocation::parse(&url), Some(key(3)), Create::Never);
        assert!(any.is_ok(), "{name}: AnyStore over TLS: {:?}", any.err());
    }
}

/// verify-full refuses the certificate for a host name it does not hold (127.0.0.1: the
/// certificate names only localhost); verify-ca checks only the chain and connects.
#[test]
fn a_name_mismatch_is_refused_by_verify_full_only() {
    let Some(db) = TestDb::new("tls_name") else {
        return;
    };
    let ca = encode(test_ca(&db.url).to_str().unwrap());
    let secret = password(&db.url);
    let url = format!("{}?sslmode=verify-full&sslrootcert={ca}", db.url);
    let err = PostgresStore::open(&url, key(4)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(
        err.to_string().contains("is not valid for the host name"),
        "{err}"
    );
    assert!(err.to_string().contains("verify-ca"), "{err}");
    assert!(!err.to_string().contains(&secret), "{err}");
    let url = format!("{}?sslmode=verify-ca&sslrootcert={ca}", db.url);
    let store = PostgresStore::open(&url, key(4)).unwrap();
    assert!(tls_connections(&db.url, db.name(), "hermes-pki").0 >= 1);
    drop(store);
}

/// A certificate no CA of sslrootcert issued is refused, and so is one the Mozilla roots do not
/// lead to (verify-full without sslrootcert); a bad sslrootcert file is refused before any
/// connection.
#[test]
fn an_untrusted_server_certificate_is_refused() {
    let Some(db) = TestDb::new("tls_untrusted") else {
        return;
    };
    let secret = password(&db.url);
    let dir = tempfile::tempdir().unwrap();
    let other = dir.path().join("other-ca.pem");
    std::fs::write(&other, fixtures().unwrap().ca.cert.to_pem()).unwrap();
    let local = with_host(&db.url, "localhost");
    for url in [
        format!(
            "{local}?sslmode=verify-full&sslrootcert={}",
            encode(other.to_str().unwrap())
        ),
        format!(
            "{local}?sslmode=verify-ca&sslrootcert={}",
            encode(other.to_str().unwrap())
        ),
        format!("{local}?sslmode=verify-full"),
    ] {
        let err = PostgresStore::open(&url, key(5)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
        assert!(err.to_string().contains("is not trusted"), "{err}");
        assert!(err.to_string().contains("sslrootcert=FILE"), "{err}");
        assert!(!err.to_string().contains(&secret), "{err}");
    }
    let missing = dir.path().join("missing.pem");
    let url = format!(
        "{local}?sslmode=verify-full&sslrootcert={}",
        encode(missing.to_str().unwrap())
    );
    let err = PostgresStore::open(&url, key(5)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("sslrootcert"), "{err}");
    let err =
        PostgresStore::open(&format!("{local}?sslmode=verify-everything"), key(5)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    assert!(err.to_string().contains("verify-full"), "{err}");
    assert_eq!(
        tls_connections(&db.url, db.name(), "hermes-pki"),
        (0, 0),
        "nothing connected"
    );
}

/// sslmode=require encrypts without checking the certificate (the server's test CA is not
/// given), with SCRAM channel binding; so does the default, prefer; against the server's Unix socket, where the server has no TLS, it is refused with a
/// message that says so, while sslmode=disable connects there. sslmode=disable over TCP does
/// not use TLS.
#[test]
fn require_encrypts_and_is_refused_by_a_server_without_tls() {
    let Some(db) = TestDb::new("tls_require") else {
        return;
    };
    let secret = password(&db.url);
    let url = format!("{}?sslmode=require&application_name=tls-require", db.url);
    let store = PostgresStore::open(&url, key(6)).unwrap();
    assert_eq!(tls_connections(&db.url, db.name(), "tls-require"), (1, 0));
    drop(store);
    // The default, prefer, uses TLS when the server offers it.
    let url = format!("{}?application_name=tls-prefer", db.url);
    let store = PostgresStore::open(&url, key(6)).unwrap();
    assert_eq!(tls_connections(&db.url, db.name(), "tls-prefer"), (1, 0));
    drop(store);
    // SCRAM channel binding (tls-server-end-point) required: the server's hash of its
    // certificate matches ours.
    let url = format!("{}?sslmode=require&channel_binding=require", db.url);
    drop(PostgresStore::open(&url, key(6)).unwrap());
    let url = format!("{}?sslmode=disable&application_name=tls-disable", db.url);
    let store = PostgresStore::open(&url, key(6)).unwrap();
    assert_eq!(tls_connections(&db.url, db.name(), "tls-disable"), (0, 1));
    drop(store);

    // The Unix socket: the same server, without TLS.
    let mut c = db.client();
    let socket_dir: String = c
        .query_one("SHOW unix_socket_directories", &[])
        .unwrap()
        .get(0);
    let socket_dir = socket_dir.split(',').next().unwrap().trim().to_string();
    let port = db
        .url
        .rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap();
    let unix = format!(
        "postgres://hermes:{secret}@{}:{port}/{}",
        encode(&socket_dir).replace('/', "%2F"),
        db.name()
    );
    let err = PostgresStore::open(&format!("{unix}?sslmode=require"), key(6)).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Storage, "{err}");
    assert!(err.to_string().contains("does not offer TLS"), "{err}");
    assert!(!err.to_string().contains(&secret), "{err}");
    let ca = encode(test_ca(&db.url).to_str().unwrap());
    let err = PostgresStore::open(
        &format!("{unix}?sslmode=verify-full&sslrootcert={ca}"),
        key(6),
    )
    .unwrap_err();
    assert!(err.to_string().contains("does not offer TLS"), "{err}");
    drop(PostgresStore::open(&format!("{unix}?sslmode=disable"), key(6)).unwrap());
    // prefer (the default) there: no TLS, no error.
    drop(PostgresStore::open(&unix, key(6)).unwrap());
}
