//! Which distribution points a refresh fetches, its caps, its deadline, its concurrency bound
//! and the cap on invalid CRLs from the network.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::sleep;

use std::str::FromStr;

use der::Encode;
use der::asn1::Ia5String;
use x509_cert::ext::pkix::CrlDistributionPoints;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::name::Name;

use super::*;
use crate::ca::profile::smime_extensions;
use crate::ca::sign::{TbsParts, extension, key_identifier, random_serial, sign_certificate};
use crate::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec};
use crate::cert::oid;
use crate::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme};
use crate::store::{MemoryStore, Transaction};
use crate::time::{FixedClock, add_days, from_unix_seconds};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn clock() -> FixedClock {
    FixedClock(from_unix_seconds(NOW))
}

/// A store with a CA (root and mail CA).
fn store() -> MemoryStore {
    let store = MemoryStore::new();
    CertificateAuthority::new(&store)
        .create(
            &CaSpec::new(DistinguishedName::new("Refresh Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Refresh Mail CA")),
            &clock(),
        )
        .unwrap();
    store
}

/// The issuing certificate of the store's CA (the certificate its users are issued by) and
/// its key.
fn issuing(store: &MemoryStore) -> (Certificate, PrivateKey) {
    let user = CertificateAuthority::new(store)
        .issue(
            &IssueSpec::new("probe@example.com", "Probe").key(KeySpec::EcP256),
            &clock(),
        )
        .unwrap()
        .certificate()
        .clone();
    let cert = store
        .read_transaction(|tx| tx.certificates_by_subject(user.issuer_der()))
        .unwrap()
        .remove(0);
    let key = store
        .read_transaction(|tx| tx.key_for_certificate(cert.thumbprint()))
        .unwrap()
        .unwrap();
    (cert, key)
}

/// Issues a certificate for `email` from the store's default CA with one distribution point.
fn issue(store: &MemoryStore, email: &str, url: &str) -> Certificate {
    CertificateAuthority::new(store)
        .issue(
            &IssueSpec::new(email, email)
                .key(KeySpec::EcP256)
                .crl_distribution_point(url),
            &clock(),
        )
        .unwrap()
        .certificate()
        .clone()
}

/// An end certificate with the distribution points `urls` (one distribution point each), by
/// `issuer` with `issuer_key` (self-signed when `None`).
fn with_urls(urls: &[String], issuer: Option<(&Certificate, &PrivateKey)>) -> Certificate {
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let spki = key.public_key_der();
    let ski = key_identifier(&spki).unwrap();
    let subject = Name::from_str("CN=Many URLs").unwrap().to_der().unwrap();
    let (issuer_der, issuer_ski) = match issuer {
        Some((cert, _)) => (
            cert.subject_der().to_vec(),
            cert.subject_key_id().unwrap().to_vec(),
        ),
        None => (subject.clone(), ski.clone()),
    };
    let mut extensions = smime_extensions(
        &key.algorithm(),
        "many@example.com",
        &ski,
        &issuer_ski,
        None,
    )
    .unwrap();
    let points = urls
        .iter()
        .map(|u| DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(Ia5String::new(u).unwrap()),
            ])),
            reasons: None,
            crl_issuer: None,
        })
        .collect();
    extensions.push(
        extension(
            oid::CE_CRL_DISTRIBUTION_POINTS,
            false,
            &CrlDistributionPoints(points),
        )
        .unwrap(),
    );
    sign_certificate(
        TbsParts {
            serial: &random_serial().unwrap(),
            issuer_der: &issuer_der,
            subject_der: &subject,
            spki_der: &spki,
            not_before: add_days(clock().0, -1),
            not_after: add_days(clock().0, 365),
            extensions,
        },
        issuer.map_or(&key, |(_, k)| k),
        SignatureScheme::Ecdsa(HashAlg::Sha256),
    )
    .unwrap()
}

fn put(store: &MemoryStore, cert: &Certificate) {
    store
        .transaction(|tx: &mut dyn Transaction| tx.put_certificate(cert))
        .unwrap();
}

/// A fetcher that answers every URL with 404 (or a fixed body), after `delay`, and counts
/// calls and the most calls at once.
#[derive(Default)]
struct Counting {
    delay: Duration,
    bodies: HashMap<String, Vec<u8>>,
    calls: Mutex<Vec<String>>,
    active: AtomicUsize,
    most: AtomicUsize,
}

impl CrlFetcher for Counting {
    fn fetch(&self, url: &str) -> std::result::Result<Vec<u8>, FetchError> {
        self.calls.lock().unwrap().push(url.to_owned());
        let now = self.active.fetch_add(1, Ordering::SeqCst) + 1;
        self.most.fetch_max(now, Ordering::SeqCst);
        sleep(self.delay);
        self.active.fetch_sub(1, Ordering::SeqCst);
        self.bodies
            .get(url)
            .cloned()
            .ok_or_else(|| FetchError::Status {
                url: url.to_owned(),
                status: 404,
            })
    }
}

#[test]
fn a_certificate_that_does_not_chain_to_a_trust_anchor_contributes_no_url() {
    let store = store();
    let good = "http://crl.example.com/mail.crl";
    issue(&store, "alice@example.com", good);
    // A stranger's self-signed certificate, and one it issued: stored, but not trusted.
    let stranger = with_urls(&["http://stranger.example/a.crl".to_owned()], None);
    put(&store, &stranger);
    // A certificate claiming the store's CA as issuer but signed by another key.
    let (ca_cert, _) = issuing(&store);
    let forger = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let forged = with_urls(
        &["http://169.254.169.254/latest/meta-data".to_owned()],
        Some((&ca_cert, &forger)),
    );
    put(&store, &forged);

    let crls = Crls::new(&store);
    assert_eq!(crls.distribution_points_at(&clock()).unwrap(), [good]);
    let fetcher = Counting::default();
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new(), &clock())
        .unwrap();
    assert_eq!(*fetcher.calls.lock().unwrap(), [good]);
    assert_eq!(report.urls.len(), 1);
    assert!(report.limits.is_empty(), "{report:?}");
    // An expired certificate does not validate either.
    let in_two_years = FixedClock(add_days(clock().0, 800));
    assert!(
        crls.distribution_points_at(&in_two_years)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn urls_per_certificate_are_capped_and_the_cut_reported() {
    let store = store();
    let (ca_cert, ca_key) = issuing(&store);
    let mut urls: Vec<String> = (0..8)
        .map(|i| format!("http://crl{i}.example.com/ca.crl"))
        .collect();
    urls.push("ldap://ldap.example.com/cn=ca".to_owned());
    urls.push("http://crl0.example.com/ca.crl".to_owned()); // a repeat counts once
    let many = with_urls(&urls, Some((&ca_cert, &ca_key)));
    put(&store, &many);

    let crls = Crls::new(&store);
    assert_eq!(crls.distribution_points_at(&clock()).unwrap(), urls[..5]);
    let fetcher = Counting::default();
    let options = RefreshOptions::new().max_urls_per_certificate(3);
    let report = crls.refresh(&fetcher, &options, &clock()).unwrap();
    assert_eq!(fetcher.calls.lock().unwrap().len(), 3);
    assert_eq!(report.urls.len(), 3);
    match &report.limits[..] {
        [
            RefreshLimit::UrlsPerCertificate {
                subject,
                thumbprint,
                found: 8,
                kept: 3,
            },
        ] => {
            assert_eq!(subject, many.subject());
            assert_eq!(thumbprint, &many.thumbprint().to_string());
        }
        other => panic!("{other:?}"),
    }
    assert!(
        report.limits[0]
            .to_string()
            .contains("names 8 CRL distribution points")
    );
}

#[test]
fn urls_per_refresh_are_capped_and_the_cut_reported() {
    let store = store();
    for i in 0..4 {
        issue(
            &store,
            &format!("user{i}@example.com"),
            &format!("http://crl.example.com/{i}.crl"),
        );
    }
    let crls = Crls::new(&store);
    let fetcher = Counting::default();
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new().max_urls(2), &clock())
        .unwrap();
    // Fetched on several threads: the order of the calls is not fixed, the set is.
    let mut calls = fetcher.calls.lock().unwrap().clone();
    calls.sort();
    assert_eq!(
        calls,
        [
            "http://crl.example.com/0.crl",
            "http://crl.example.com/1.crl"
        ]
    );
    assert_eq!(
        report.limits,
        [RefreshLimit::UrlsPerRefresh { found: 4, kept: 2 }]
    );
    assert_eq!(RefreshOptions::new(), RefreshOptions::default());
    assert_eq!(crls.distribution_points_at(&clock()).unwrap().len(), 4);
}

#[test]
fn downloads_run_at_most_concurrency_at_once() {
    let store = store();
    for i in 0..8 {
        issue(
            &store,
            &format!("user{i}@example.com"),
            &format!("http://crl.example.com/{i}.crl"),
        );
    }
    let fetcher = Counting {
        delay: Duration::from_millis(150),
        ..Counting::default()
    };
    let report = Crls::new(&store)
        .refresh(&fetcher, &RefreshOptions::new().concurrency(3), &clock())
        .unwrap();
    assert_eq!(report.urls.len(), 8);
    assert_eq!(fetcher.calls.lock().unwrap().len(), 8);
    let most = fetcher.most.load(Ordering::SeqCst);
    assert!((2..=3).contains(&most), "{most} at once");
    // In URL order, whatever order the downloads finished in.
    let urls: Vec<&str> = report.urls.iter().map(|u| u.url.as_str()).collect();
    let mut sorted = urls.clone();
    sorted.sort_unstable();
    assert_eq!(urls, sorted);
}

#[test]
fn urls_not_started_by_the_deadline_are_skipped_and_reported() {
    let store = store();
    for i in 0..3 {
        issue(
            &store,
            &format!("user{i}@example.com"),
            &format!("http://crl.example.com/{i}.crl"),
        );
    }
    // A fetcher that ignores the deadline: the download under way finishes, the others
    // are not started.
    let fetcher = Counting {
        delay: Duration::from_millis(400),
        ..Counting::default()
    };
    let options = RefreshOptions::new()
        .concurrency(1)
        .deadline(Duration::from_millis(200));
    let report = Crls::new(&store)
        .refresh(&fetcher, &options, &clock())
        .unwrap();
    assert_eq!(fetcher.calls.lock().unwrap().len(), 1);
    assert!(matches!(
        report.urls[0].outcome,
        UrlOutcome::FetchFailed(FetchError::Status { status: 404, .. })
    ));
    for u in &report.urls[1..] {
        match &u.outcome {
            UrlOutcome::FetchFailed(e @ FetchError::Skipped { url, reason }) => {
                assert_eq!(url, &u.url);
                assert!(reason.contains("deadline"), "{reason}");
                assert!(e.to_string().contains("skipped"), "{e}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(report.failures().count(), 3);
    assert_eq!(
        report.limits,
        [RefreshLimit::Deadline {
            deadline: Duration::from_millis(200),
            skipped: 2
        }]
    );
    // The skipped URLs' attempts are recorded: they are due again after the interval.
    let state = store
        .read_transaction(|tx| tx.crl_fetch_state("http://crl.example.com/2.crl"))
        .unwrap()
        .unwrap();
    assert!(state.last_error.unwrap().contains("skipped"));
}

#[test]
fn invalid_crls_from_the_network_are_kept_up_to_a_global_cap() {
    let store = store();
    // CRLs under the name of the store's mail CA, signed by another CA of the same names.
    let other = MemoryStore::new();
    let other_ca = CertificateAuthority::new(&other);
    let other_pair = other_ca
        .create(
            &CaSpec::new(DistinguishedName::new("Refresh Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Refresh Mail CA")),
            &clock(),
        )
        .unwrap();
    let mut fetcher = Counting::default();
    for i in 0..4 {
        let url = format!("http://crl.example.com/{i}.crl");
        issue(&store, &format!("user{i}@example.com"), &url);
        let crl = other_ca
            .create_crl(&CrlSpec::new(other_pair.issuing().id), &clock())
            .unwrap();
        fetcher.bodies.insert(url, crl.der().to_vec());
    }
    let crls = Crls::new(&store);
    // An invalid CRL from a file is not the network's: it stays.
    let from_file = other_ca
        .create_crl(&CrlSpec::new(other_pair.issuing().id), &clock())
        .unwrap();
    crls.import(from_file.der(), Some("mail.crl"), &clock())
        .unwrap();

    let report = crls
        .refresh(
            &fetcher,
            &RefreshOptions::new().max_invalid_crls(2),
            &clock(),
        )
        .unwrap();
    for u in &report.urls {
        assert!(
            matches!(&u.outcome, UrlOutcome::Imported(i)
                if matches!(i[..], [CrlImport { outcome: super::super::CrlOutcome::StoredInvalid { .. }, .. }])),
            "{u:?}"
        );
    }
    assert_eq!(
        report.limits,
        [RefreshLimit::InvalidCrlsRemoved { max: 2, removed: 2 }]
    );
    let left = crls.list().unwrap();
    let sources: Vec<&str> = left.iter().filter_map(|r| r.source.as_deref()).collect();
    // The newest two from the network, and the file's.
    assert_eq!(
        sources,
        [
            "mail.crl",
            "http://crl.example.com/2.crl",
            "http://crl.example.com/3.crl"
        ]
    );
    // Within the cap, nothing is removed or reported.
    let report = crls
        .refresh(
            &fetcher,
            &RefreshOptions::new().force(true).max_invalid_crls(10),
            &clock(),
        )
        .unwrap();
    assert!(report.limits.is_empty(), "{:?}", report.limits);
    assert_eq!(crls.list().unwrap().len(), 5);
    // A body that is not a CRL is never stored.
    let mut junk = Counting::default();
    junk.bodies.insert(
        "http://crl.example.com/0.crl".to_owned(),
        b"<html>".to_vec(),
    );
    let report = crls
        .refresh(&junk, &RefreshOptions::new().force(true), &clock())
        .unwrap();
    assert!(matches!(report.urls[0].outcome, UrlOutcome::Unreadable(_)));
    assert_eq!(crls.list().unwrap().len(), 5);
}
