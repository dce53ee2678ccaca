//! `Crls::refresh` with the real `HttpFetcher` against a local HTTP server: a good CRL, a CRL
//! signed by the wrong key, a 404, a slow response and an oversized body, each reported per
//! URL; the CRL in use survives every failure; due URLs only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::Duration;

use hermes_pki::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::crl::{CrlOutcome, Crls, FetchError, HttpFetcher, RefreshOptions, UrlOutcome};
use hermes_pki::key::KeySpec;
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::{FixedClock, add_days, from_unix_seconds};
use hermes_pki::trust::{LeafPolicy, Reason, ValidationOptions, Validator};
use hermes_pki_tests::http_server::{HttpServer, Response};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn clock() -> FixedClock {
    FixedClock(from_unix_seconds(NOW))
}

fn root() -> CaSpec {
    CaSpec::new(DistinguishedName::new("Refresh Root")).key(KeySpec::EcP256)
}

fn is_revoked(store: &MemoryStore, cert: &Certificate, at: std::time::SystemTime) -> bool {
    let options = ValidationOptions::new(at, LeafPolicy::SmimeEncryption);
    let v = store
        .read_transaction(|tx| Validator::new(tx).validate(cert, &options))
        .unwrap();
    v.reasons()
        .iter()
        .any(|r| matches!(r, Reason::Revoked { .. }))
}

fn outcome_of<'a>(report: &'a hermes_pki::crl::RefreshReport, url: &str) -> &'a UrlOutcome {
    &report
        .urls
        .iter()
        .find(|u| u.url == url)
        .unwrap_or_else(|| panic!("no report for {url}: {report:?}"))
        .outcome
}

#[test]
fn refresh_reports_each_distribution_point_and_keeps_the_crl_in_use() {
    let server = HttpServer::start();
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca.create(&root(), &clock()).unwrap();
    let paths = [
        "/good.crl",
        "/wrong-key.crl",
        "/missing.crl",
        "/slow.crl",
        "/huge.crl",
    ];
    let urls: Vec<String> = paths.iter().map(|p| server.url(p)).collect();
    let certs: Vec<Certificate> = urls
        .iter()
        .enumerate()
        .map(|(i, url)| {
            ca.issue(
                &IssueSpec::new(format!("user{i}@example.com"), format!("User {i}"))
                    .key(KeySpec::EcP256)
                    .crl_distribution_point(url.clone()),
                &clock(),
            )
            .unwrap()
            .certificate()
            .clone()
        })
        .collect();
    let bob = &certs[0];
    // The good CRL: made by this CA (revoking the first user), then taken out of the store so
    // that only the fetch can bring it back.
    let good = ca
        .create_crl(
            &CrlSpec::new(created.issuing().id).revoke_certificate(bob),
            &clock(),
        )
        .unwrap();
    let crls = Crls::new(&store);
    crls.delete(good.id()).unwrap();
    assert!(!is_revoked(&store, bob, clock().0));
    // The wrong-key CRL: same issuer name, another key.
    let other = MemoryStore::new();
    let other_ca = CertificateAuthority::new(&other);
    let other_root = other_ca.create(&root(), &clock()).unwrap();
    let wrong = other_ca
        .create_crl(&CrlSpec::new(other_root.issuing().id), &clock())
        .unwrap();

    server.route("/good.crl", Response::ok(good.der().to_vec()));
    server.route("/wrong-key.crl", Response::ok(wrong.der().to_vec()));
    server.route("/missing.crl", Response::status(404));
    server.route(
        "/slow.crl",
        Response::ok(good.der().to_vec()).delay_before_body(Duration::from_secs(3)),
    );
    server.route("/huge.crl", Response::ok(vec![0x30; 300_000]));

    assert_eq!(crls.distribution_points_at(&clock()).unwrap(), {
        let mut u = urls.clone();
        u.sort();
        u
    });
    // The test server is on 127.0.0.1: private addresses must be allowed.
    let fetcher = HttpFetcher::new()
        .timeout(Duration::from_millis(700))
        .max_bytes(100_000)
        .allow_private_addresses(true);
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new(), &clock())
        .unwrap();
    assert_eq!(report.urls.len(), 5, "{report:?}");

    match outcome_of(&report, &urls[0]) {
        UrlOutcome::Imported(i) => assert!(i[0].is_stored_valid(), "{i:?}"),
        other => panic!("good: {other:?}"),
    }
    match outcome_of(&report, &urls[1]) {
        UrlOutcome::Imported(i) => match &i[0].outcome {
            CrlOutcome::StoredInvalid { reason, .. } => {
                assert!(reason.contains("does not verify"), "{reason}")
            }
            other => panic!("wrong key: {other:?}"),
        },
        other => panic!("wrong key: {other:?}"),
    }
    assert!(matches!(
        outcome_of(&report, &urls[2]),
        UrlOutcome::FetchFailed(FetchError::Status { status: 404, .. })
    ));
    assert!(matches!(
        outcome_of(&report, &urls[3]),
        UrlOutcome::FetchFailed(FetchError::Timeout { .. })
    ));
    assert!(matches!(
        outcome_of(&report, &urls[4]),
        UrlOutcome::FetchFailed(FetchError::TooLarge { limit: 100_000, .. })
    ));
    assert_eq!(report.failures().count(), 3);
    // The good CRL is in use: the first user is revoked, the others are not.
    assert!(is_revoked(&store, bob, clock().0));
    assert!(!is_revoked(&store, &certs[1], clock().0));
    // Fetch history recorded per URL.
    let state = store
        .read_transaction(|tx| tx.crl_fetch_state(&urls[2]))
        .unwrap()
        .unwrap();
    assert_eq!(state.last_success, None);
    assert!(state.last_error.unwrap().contains("404"));
    let state = store
        .read_transaction(|tx| tx.crl_fetch_state(&urls[1]))
        .unwrap()
        .unwrap();
    assert!(state.last_error.unwrap().contains("not valid"));

    // An hour later nothing is due: no request reaches the server.
    let hits: Vec<usize> = paths.iter().map(|p| server.hits(p)).collect();
    let an_hour = FixedClock(clock().0 + Duration::from_secs(3600));
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new(), &an_hour)
        .unwrap();
    assert!(
        report
            .urls
            .iter()
            .all(|u| matches!(u.outcome, UrlOutcome::NotDue { .. })),
        "{report:?}"
    );
    assert_eq!(
        paths.iter().map(|p| server.hits(p)).collect::<Vec<_>>(),
        hits
    );

    // The good URL now fails; a forced refresh keeps the CRL in use.
    server.route("/good.crl", Response::status(500));
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new().force(true), &an_hour)
        .unwrap();
    assert!(matches!(
        outcome_of(&report, &urls[0]),
        UrlOutcome::FetchFailed(FetchError::Status { status: 500, .. })
    ));
    assert_eq!(server.hits("/good.crl"), hits[0] + 1);
    assert!(is_revoked(&store, bob, an_hour.0));
    // Seven hours later the URLs are due again by the default interval.
    let later = FixedClock(add_days(clock().0, 1));
    server.route("/good.crl", Response::ok(good.der().to_vec()));
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new(), &later)
        .unwrap();
    match outcome_of(&report, &urls[0]) {
        UrlOutcome::Imported(i) => assert!(
            matches!(i[0].outcome, CrlOutcome::AlreadyStored { .. }),
            "{i:?}"
        ),
        other => panic!("{other:?}"),
    }
}
