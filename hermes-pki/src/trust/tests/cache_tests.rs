//! The process-wide caches of chain building (`trust/cache.rs`): a cache hit gives the verdict
//! a cold validation gives, a signature that fails is never remembered, a change of the trust
//! list, the root store or the CRLs made through another store handle is seen by the next
//! validation, and the caches stay within their bounds.

use std::sync::{Mutex, MutexGuard, PoisonError};

use super::*;
use crate::ca::crl::{CrlExtras, sign_crl};
use crate::cert::Thumbprint;
use crate::crl::{CrlOutcome, Crls};
use crate::store::{RevokedEntry, SqliteStore, Store};
use crate::time::FixedClock;
use crate::trust::cache::{Caches, caches};

/// Tests that empty the process's caches, or look into them, run one at a time (other tests
/// only add to them).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything a verdict says: valid or not, the chain, the warnings and the reasons.
fn summary(v: &Validation) -> (bool, Vec<Thumbprint>, Vec<String>, Vec<String>) {
    let chain = match v {
        Validation::Valid { chain, .. } => chain.iter().map(|c| *c.thumbprint()).collect(),
        Validation::Invalid { .. } => Vec::new(),
    };
    (
        v.is_valid(),
        chain,
        v.warnings().iter().map(ToString::to_string).collect(),
        v.reasons().iter().map(ToString::to_string).collect(),
    )
}

/// A SQLite store with `root` in the root store and `certs` stored.
fn sqlite_store(dir: &std::path::Path, root: &Node, certs: &[&Certificate]) -> SqliteStore {
    let store = SqliteStore::open_default(dir).unwrap();
    store
        .transaction(|tx| {
            tx.put_root(&root.cert)?;
            for c in certs {
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn validate_in(store: &SqliteStore, cert: &Certificate, o: &ValidationOptions) -> Validation {
    store
        .read_transaction(|tx| Validator::new(tx).validate(cert, o))
        .unwrap()
}

/// The leaf's DER with the last byte of its signature changed: the same certificate body, a
/// signature that does not verify, another thumbprint.
fn tampered(cert: &Certificate) -> Certificate {
    let mut der = cert.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    Certificate::from_der(&der).unwrap()
}

#[test]
fn a_cache_hit_gives_the_verdict_of_a_cold_validation() {
    let _serial = serial();
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    let store = sqlite_store(dir.path(), &w.root, &[&w.inter.cert, &w.leaf.cert]);
    let tls = ValidationOptions::new(
        now(),
        LeafPolicy::TlsServer(ServerName::Dns("mail.example.com".into())),
    );
    let expired = ValidationOptions::new(add_days(now(), 400), LeafPolicy::SmimeEncryption);
    for options in [opts(), tls, expired] {
        clear_caches();
        let cold = validate_in(&store, &w.leaf.cert, &options);
        // The chain's certificates were parsed once and its two signatures remembered.
        assert!(caches().has_certificate(&w.inter.cert));
        assert!(caches().has_edge(&w.leaf.cert, &w.inter.cert));
        assert!(caches().has_edge(&w.inter.cert, &w.root.cert));
        let warm = validate_in(&store, &w.leaf.cert, &options);
        assert_eq!(summary(&cold), summary(&warm));
    }
    // The three cases are what they claim: one valid, two invalid for their own reasons.
    clear_caches();
    assert!(validate_in(&store, &w.leaf.cert, &opts()).is_valid());
    let tls = ValidationOptions::new(
        now(),
        LeafPolicy::TlsServer(ServerName::Dns("mail.example.com".into())),
    );
    assert_invalid(&validate_in(&store, &w.leaf.cert, &tls), |r| {
        matches!(r, Reason::NameMismatch { .. })
    });
    let expired = ValidationOptions::new(add_days(now(), 400), LeafPolicy::SmimeEncryption);
    assert_invalid(&validate_in(&store, &w.leaf.cert, &expired), |r| {
        matches!(r, Reason::Expired { .. })
    });
}

#[test]
fn a_signature_that_fails_is_never_remembered() {
    let w = world();
    // A private cache: no other test touches it.
    let c = Caches::new(16, 16);
    let impostor = ca("Intermediate", Some(&w.root), Some(0));
    for _ in 0..2 {
        assert!(c.verify_issued_by(&w.leaf.cert, &impostor.cert).is_err());
        assert!(!c.has_edge(&w.leaf.cert, &impostor.cert));
    }
    let bad = tampered(&w.leaf.cert);
    for _ in 0..2 {
        assert!(c.verify_issued_by(&bad, &w.inter.cert).is_err());
        assert!(!c.has_edge(&bad, &w.inter.cert));
    }
    c.verify_issued_by(&w.leaf.cert, &w.inter.cert).unwrap();
    assert!(c.has_edge(&w.leaf.cert, &w.inter.cert));
    // The remembered edge is the one that verified, not its tampered twin.
    assert!(c.verify_issued_by(&bad, &w.inter.cert).is_err());

    // Through validation: an impostor intermediate with the same name is tried and fails,
    // again on the warm run, and never becomes an edge; the tampered leaf stays bad.
    let _serial = serial();
    let store = store_with(&w.root, &[&impostor.cert, &w.inter.cert]);
    let first = validate(&store, &w.leaf.cert, &opts());
    assert!(first.is_valid());
    let second = validate(&store, &w.leaf.cert, &opts());
    assert_eq!(summary(&first), summary(&second));
    assert!(!caches().has_edge(&w.leaf.cert, &impostor.cert));
    let only_impostor = store_with(&w.root, &[&impostor.cert]);
    for _ in 0..2 {
        assert_invalid(&validate(&only_impostor, &w.leaf.cert, &opts()), |r| {
            matches!(r, Reason::BadSignature { .. })
        });
    }
    for _ in 0..2 {
        assert_invalid(&validate(&store, &bad, &opts()), |r| {
            matches!(r, Reason::BadSignature { .. })
        });
        assert!(!caches().has_edge(&bad, &w.inter.cert));
    }
}

#[test]
fn a_change_through_another_store_handle_is_seen_by_the_next_validation() {
    let _serial = serial();
    let w = world();
    let dir = tempfile::tempdir().unwrap();
    // Two handles on one file, as two gateway processes have: `a` validates, `b` changes.
    let b = sqlite_store(dir.path(), &w.root, &[&w.inter.cert, &w.leaf.cert]);
    let a = SqliteStore::open_default(dir.path()).unwrap();
    assert!(validate_in(&a, &w.leaf.cert, &opts()).is_valid());
    assert!(validate_in(&a, &w.leaf.cert, &opts()).is_valid());
    assert!(caches().has_edge(&w.leaf.cert, &w.inter.cert));

    // The trust list: a blacklisted intermediate, then the entry removed.
    b.transaction(|tx| tx.put_ctl_entry(&CtlEntry::blacklisted(*w.inter.cert.thumbprint())))
        .unwrap();
    assert_invalid(&validate_in(&a, &w.leaf.cert, &opts()), |r| {
        matches!(
            r,
            Reason::Blacklisted {
                inherited: true,
                ..
            }
        )
    });
    b.transaction(|tx| tx.delete_ctl_entry(w.inter.cert.thumbprint()))
        .unwrap();
    assert!(validate_in(&a, &w.leaf.cert, &opts()).is_valid());

    // The root store: the anchor removed (now nothing is trusted), a whitelisted end
    // certificate valid on its own, then the anchor back.
    b.transaction(|tx| tx.delete_root(w.root.cert.thumbprint()))
        .unwrap();
    assert_invalid(&validate_in(&a, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::NoPathToTrustAnchor { .. })
    });
    b.transaction(|tx| tx.put_ctl_entry(&CtlEntry::whitelisted(*w.leaf.cert.thumbprint())))
        .unwrap();
    match validate_in(&a, &w.leaf.cert, &opts()) {
        Validation::Valid { chain, .. } => assert_eq!(chain.len(), 1),
        v => panic!("whitelisted, yet {v:?}"),
    }
    b.transaction(|tx| {
        tx.delete_ctl_entry(w.leaf.cert.thumbprint())?;
        tx.put_root(&w.root.cert)
    })
    .unwrap();
    match validate_in(&a, &w.leaf.cert, &opts()) {
        Validation::Valid { chain, .. } => assert_eq!(chain.len(), 3),
        v => panic!("anchored again, yet {v:?}"),
    }

    // The CRLs: the intermediate's CRL revoking the leaf.
    let crl = sign_crl(
        &w.inter.cert,
        &w.inter.key,
        crate::key::HashAlg::Sha256,
        1,
        add_days(now(), -1),
        add_days(now(), 7),
        &[RevokedEntry {
            serial: w.leaf.cert.serial().clone(),
            date: add_days(now(), -1),
            reason: None,
        }],
        &CrlExtras::default(),
    )
    .unwrap();
    let imported = Crls::new(&b)
        .import(crl.der(), Some("test"), &FixedClock(now()))
        .unwrap();
    assert!(
        matches!(imported[0].outcome, CrlOutcome::Stored { .. }),
        "{imported:?}"
    );
    assert_invalid(&validate_in(&a, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::Revoked { .. })
    });
}

#[test]
fn a_stored_row_is_used_only_as_its_own_bytes() {
    let w = world();
    let c = Caches::new(16, 16);
    let inter = c
        .parse_stored(w.inter.cert.thumbprint().as_bytes(), w.inter.cert.der())
        .unwrap();
    assert_eq!(inter.thumbprint(), w.inter.cert.thumbprint());
    assert!(c.has_certificate(&w.inter.cert));
    // A row whose thumbprint column names the cached intermediate but holds the leaf: the
    // leaf, parsed from its bytes.
    let leaf = c
        .parse_stored(w.inter.cert.thumbprint().as_bytes(), w.leaf.cert.der())
        .unwrap();
    assert_eq!(leaf.thumbprint(), w.leaf.cert.thumbprint());
    assert!(c.has_certificate(&w.leaf.cert));
    // A thumbprint of the wrong length is no key: parsed.
    let again = c.parse_stored(b"short", w.root.cert.der()).unwrap();
    assert_eq!(again.thumbprint(), w.root.cert.thumbprint());
    // Bytes that do not parse: a storage error, nothing kept.
    let before = c.sizes();
    let err = c
        .parse_stored(&[0; 64], b"\x30\x03\x02\x01\x00")
        .unwrap_err();
    assert!(matches!(err, crate::Error::Storage(_)), "{err:?}");
    assert_eq!(c.sizes(), before);
}

#[test]
fn the_caches_stay_within_their_bounds() {
    let w = world();
    let leaf2 = leaf("bob@example.com", &w.inter);
    let leaf3 = leaf("carol@example.com", &w.inter);
    let c = Caches::new(2, 3);
    let certs = [&w.root.cert, &w.inter.cert, &w.leaf.cert, &leaf2.cert];
    for (n, cert) in certs.iter().enumerate() {
        c.parse_stored(cert.thumbprint().as_bytes(), cert.der())
            .unwrap();
        assert_eq!(c.sizes().0, (n + 1).min(2));
    }
    // The least recently used went first.
    assert!(!c.has_certificate(&w.root.cert));
    assert!(!c.has_certificate(&w.inter.cert));
    assert!(c.has_certificate(&w.leaf.cert));
    assert!(c.has_certificate(&leaf2.cert));

    let edges = [
        (&w.inter.cert, &w.root.cert),
        (&w.leaf.cert, &w.inter.cert),
        (&leaf2.cert, &w.inter.cert),
        (&leaf3.cert, &w.inter.cert),
    ];
    for (n, (subject, issuer)) in edges.iter().enumerate() {
        c.verify_issued_by(subject, issuer).unwrap();
        assert_eq!(c.sizes().1, (n + 1).min(3));
    }
    assert!(!c.has_edge(&w.inter.cert, &w.root.cert));
    assert!(c.has_edge(&leaf3.cert, &w.inter.cert));
    // An evicted edge is verified again (and verifies).
    c.verify_issued_by(&w.inter.cert, &w.root.cert).unwrap();
    assert!(c.has_edge(&w.inter.cert, &w.root.cert));
    assert_eq!(c.sizes().1, 3);

    // The process's caches have the documented bounds.
    let (certs, edges) = cache_sizes();
    assert!(certs <= MAX_CERTIFICATES && edges <= MAX_EDGES);
}

#[test]
fn sqlite_issuer_candidates_are_the_roots_then_the_certificates_of_the_name() {
    let w = world();
    // Another intermediate of the same name (another key), and the intermediate both a
    // stored certificate and a root.
    let twin = ca("Intermediate", Some(&w.root), Some(0));
    let certs = [&w.inter.cert, &twin.cert, &w.root.cert, &w.leaf.cert];
    let dir = tempfile::tempdir().unwrap();
    let sqlite = sqlite_store(dir.path(), &w.root, &certs);
    let memory = store_with(&w.root, &certs);
    for s in [&sqlite as &dyn Store, &memory as &dyn Store] {
        s.transaction(|tx| tx.put_root(&w.inter.cert).map(|_| ()))
            .unwrap();
    }
    let parse = |_: &[u8], der: &[u8]| Certificate::from_der(der);
    for name in [
        w.inter.cert.subject_der(),
        w.root.cert.subject_der(),
        w.leaf.cert.subject_der(),
        b"\x30\x00".as_slice(),
    ] {
        let want = memory
            .read_transaction(|tx| {
                let mut out: Vec<(Thumbprint, bool)> = tx
                    .roots_by_subject(name)?
                    .iter()
                    .map(|c| (*c.thumbprint(), true))
                    .collect();
                for c in tx.certificates_by_subject(name)? {
                    out.push((*c.thumbprint(), tx.is_root(c.thumbprint())?));
                }
                Ok(out)
            })
            .unwrap();
        for s in [&sqlite as &dyn Store, &memory as &dyn Store] {
            let got: Vec<(Thumbprint, bool)> = s
                .read_transaction(|tx| tx.issuer_candidates(name, &parse))
                .unwrap()
                .iter()
                .map(|(c, root)| (*c.thumbprint(), *root))
                .collect();
            assert_eq!(got, want);
        }
    }
    // The intermediate's name: both roots-table and certificates-table rows, the twin not a
    // root.
    let inter_rows = memory
        .read_transaction(|tx| tx.issuer_candidates(w.inter.cert.subject_der(), &parse))
        .unwrap();
    assert_eq!(inter_rows.len(), 3);
    assert!(
        inter_rows
            .iter()
            .any(|(c, root)| c.thumbprint() == twin.cert.thumbprint() && !root)
    );
}
