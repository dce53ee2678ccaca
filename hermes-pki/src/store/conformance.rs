//! The storage conformance suite: one set of checks that every [`Store`] backend must pass.
//!
//! Not part of the stable API (hidden from the documentation). Backends call it from their
//! tests: [`run_all`] with a factory of empty stores, and [`survives_reopen`] with a function
//! that opens the same persistent store again. The checks panic (like `assert!`) on a
//! difference and return `Err` when the store itself fails.
//!
//! The fixtures are fixed EC P-256 certificates and keys made with the `openssl` command
//! (`testdata/gen.sh`): a CA and its renewal (same subject and key), Alice (two email
//! addresses, mixed-case domains), an expired Alice with the same subject, Bob and Carol.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{CertificateFilter, ExpiryFilter, Store, StoreExt};
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{KeyId, PrivateKey};

/// A certificate fixture with its private key.
pub struct Fixture {
    /// The certificate.
    pub cert: Certificate,
    /// Its private key.
    pub key: PrivateKey,
}

/// The fixed test certificates and keys.
pub struct Fixtures {
    /// Self-signed CA, 2020-2040, serial 1001.
    pub ca: Fixture,
    /// The CA renewed: same subject and key (so same SKI), 2024-2049, serial 1002.
    pub ca_renewed: Certificate,
    /// Alice: `alice@Example.COM`, `Alice.Smith@MAIL.example.net` in the SAN and
    /// `alice@example.COM` in the subject; 2024-2034; serial 2001.
    pub alice: Fixture,
    /// Alice's earlier certificate (same subject, other key), 2015-2020; serial 2002.
    pub alice_expired: Fixture,
    /// Bob: `bob@example.org`, 2024-2034; serial 2003.
    pub bob: Fixture,
    /// Carol: `carol@example.org`, 2024-2034; serial 2004.
    pub carol: Fixture,
}

fn pem_key(pem: &str) -> Result<PrivateKey> {
    let (_, der) =
        der::pem::decode_vec(pem.as_bytes()).map_err(|e| Error::malformed("test key PEM", e))?;
    let der = zeroize::Zeroizing::new(der);
    PrivateKey::from_pkcs8_der(&der)
}

fn fixture(cert: &str, key: &str) -> Result<Fixture> {
    Ok(Fixture {
        cert: Certificate::from_pem(cert)?,
        key: pem_key(key)?,
    })
}

/// Loads the fixtures.
pub fn fixtures() -> Result<Fixtures> {
    Ok(Fixtures {
        ca: fixture(
            include_str!("testdata/ca.pem"),
            include_str!("testdata/ca.key"),
        )?,
        ca_renewed: Certificate::from_pem(include_str!("testdata/ca-renewed.pem"))?,
        alice: fixture(
            include_str!("testdata/alice.pem"),
            include_str!("testdata/alice.key"),
        )?,
        alice_expired: fixture(
            include_str!("testdata/alice-expired.pem"),
            include_str!("testdata/alice-expired.key"),
        )?,
        bob: fixture(
            include_str!("testdata/bob.pem"),
            include_str!("testdata/bob.key"),
        )?,
        carol: fixture(
            include_str!("testdata/carol.pem"),
            include_str!("testdata/carol.key"),
        )?,
    })
}

fn at(unix: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(unix)
}

const Y2019: u64 = 1_546_300_800;
const Y2025: u64 = 1_735_689_600;
const Y2034: u64 = 2_019_686_400;
const Y2035: u64 = 2_051_222_400;

/// The thumbprints of `certs`, in the order given.
fn tps(certs: &[Certificate]) -> Vec<Thumbprint> {
    certs.iter().map(|c| *c.thumbprint()).collect()
}

/// The thumbprints of `certs`, sorted (the order every list query returns).
fn sorted(certs: &[&Certificate]) -> Vec<Thumbprint> {
    let mut v: Vec<Thumbprint> = certs.iter().map(|c| *c.thumbprint()).collect();
    v.sort();
    v
}

fn same_key(a: &PrivateKey, b: &PrivateKey) -> bool {
    a.key_id() == b.key_id() && *a.to_pkcs8_der().unwrap() == *b.to_pkcs8_der().unwrap()
}

/// Puts every fixture certificate; keys for Alice, Bob and the CA (not Carol, not old Alice).
fn populate(store: &dyn Store, f: &Fixtures) -> Result<()> {
    store.transaction(|tx| {
        for c in [
            &f.ca.cert,
            &f.ca_renewed,
            &f.alice.cert,
            &f.alice_expired.cert,
            &f.bob.cert,
        ] {
            assert!(tx.put_certificate(c)?);
        }
        assert!(tx.put_certificate(&f.carol.cert)?);
        for k in [&f.ca.key, &f.alice.key, &f.bob.key] {
            tx.put_key(k)?;
        }
        Ok(())
    })
}

/// One check of the suite, run on an empty store.
pub type Check = fn(&dyn Store) -> Result<()>;

/// Runs every check of the suite, each on a fresh empty store from `make`.
pub fn run_all(make: &mut dyn FnMut() -> Result<Box<dyn Store>>) -> Result<()> {
    let checks: &[(&str, Check)] = &[
        ("certificates_round_trip", certificates_round_trip),
        ("index_lookups", index_lookups),
        ("email_lookups", email_lookups),
        (
            "delete_certificate_clears_indexes",
            delete_certificate_clears_indexes,
        ),
        ("list_filters", list_filters),
        ("keys", keys),
        ("roots", roots),
        (
            "failed_transaction_writes_nothing",
            failed_transaction_writes_nothing,
        ),
        (
            "panicking_transaction_writes_nothing",
            panicking_transaction_writes_nothing,
        ),
        (
            "transactions_see_their_own_writes",
            transactions_see_their_own_writes,
        ),
    ];
    for (name, check) in checks {
        let store = make()?;
        check(&*store).map_err(|e| Error::Storage(format!("conformance check {name}: {e}")))?;
    }
    Ok(())
}

/// put / get / idempotent put / count.
pub fn certificates_round_trip(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    assert_eq!(store.read_transaction(|tx| tx.count_certificates())?, 0);
    let t = *f.alice.cert.thumbprint();
    assert!(store.read_transaction(|tx| tx.certificate(&t))?.is_none());
    assert!(store.transaction(|tx| tx.put_certificate(&f.alice.cert))?);
    assert!(
        !store.transaction(|tx| tx.put_certificate(&f.alice.cert))?,
        "second put is a no-op"
    );
    let back = store
        .read_transaction(|tx| tx.certificate(&t))?
        .expect("stored certificate");
    assert_eq!(back.der(), f.alice.cert.der());
    assert_eq!(back.thumbprint(), &t);
    assert_eq!(store.read_transaction(|tx| tx.count_certificates())?, 1);
    populate_rest(store, &f)?;
    assert_eq!(store.read_transaction(|tx| tx.count_certificates())?, 6);
    // Putting everything again changes nothing.
    store.transaction(|tx| {
        for c in all_certs(&f) {
            assert!(!tx.put_certificate(c)?);
        }
        Ok(())
    })?;
    assert_eq!(store.read_transaction(|tx| tx.count_certificates())?, 6);
    Ok(())
}

fn all_certs(f: &Fixtures) -> [&Certificate; 6] {
    [
        &f.ca.cert,
        &f.ca_renewed,
        &f.alice.cert,
        &f.alice_expired.cert,
        &f.bob.cert,
        &f.carol.cert,
    ]
}

fn populate_rest(store: &dyn Store, f: &Fixtures) -> Result<()> {
    store.transaction(|tx| {
        for c in all_certs(f) {
            tx.put_certificate(c)?;
        }
        Ok(())
    })
}

/// Subject, SKI, and (issuer, serial) lookups.
pub fn index_lookups(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    populate(store, &f)?;
    store.read_transaction(|tx| {
        let by_subject = tx.certificates_by_subject(f.alice.cert.subject_der())?;
        assert_eq!(
            tps(&by_subject),
            sorted(&[&f.alice.cert, &f.alice_expired.cert])
        );
        let by_subject = tx.certificates_by_subject(f.ca.cert.subject_der())?;
        assert_eq!(tps(&by_subject), sorted(&[&f.ca.cert, &f.ca_renewed]));
        assert_eq!(
            tps(&tx.certificates_by_subject(f.bob.cert.subject_der())?),
            sorted(&[&f.bob.cert])
        );
        assert!(tx.certificates_by_subject(b"\x30\x00")?.is_empty());

        let ski = f.ca.cert.subject_key_id().expect("CA fixture has an SKI");
        assert_eq!(f.ca_renewed.subject_key_id(), Some(ski));
        assert_eq!(
            tps(&tx.certificates_by_subject_key_id(ski)?),
            sorted(&[&f.ca.cert, &f.ca_renewed])
        );
        let ski = f.bob.cert.subject_key_id().expect("Bob fixture has an SKI");
        assert_eq!(
            tps(&tx.certificates_by_subject_key_id(ski)?),
            sorted(&[&f.bob.cert])
        );
        assert!(tx.certificates_by_subject_key_id(&[0; 20])?.is_empty());

        for c in all_certs(&f) {
            let found = tx
                .certificate_by_issuer_serial(c.issuer_der(), c.serial())?
                .expect("lookup by issuer and serial");
            assert_eq!(found.thumbprint(), c.thumbprint());
        }
        let other_serial = crate::cert::Serial::from_hex("2FFF")?;
        assert!(
            tx.certificate_by_issuer_serial(f.alice.cert.issuer_der(), &other_serial)?
                .is_none()
        );
        // The serial of Alice's certificate under another issuer name: nothing.
        assert!(
            tx.certificate_by_issuer_serial(f.alice.cert.subject_der(), f.alice.cert.serial())?
                .is_none()
        );
        Ok(())
    })
}

/// Email lookups: domains case-insensitive, local parts exact.
pub fn email_lookups(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    populate(store, &f)?;
    store.read_transaction(|tx| {
        let both_alices = sorted(&[&f.alice.cert, &f.alice_expired.cert]);
        for q in [
            "alice@example.com",
            "alice@EXAMPLE.com",
            "alice@Example.COM",
            " alice@example.com ",
        ] {
            assert_eq!(
                tps(&tx.certificates_by_email(q)?),
                both_alices,
                "query {q:?}"
            );
        }
        assert_eq!(
            tps(&tx.certificates_by_email("Alice.Smith@mail.EXAMPLE.net")?),
            both_alices
        );
        // The local part is exact.
        assert!(tx.certificates_by_email("ALICE@example.com")?.is_empty());
        assert!(
            tx.certificates_by_email("alice.smith@mail.example.net")?
                .is_empty()
        );
        assert_eq!(
            tps(&tx.certificates_by_email("bob@Example.ORG")?),
            sorted(&[&f.bob.cert])
        );
        assert!(tx.certificates_by_email("nobody@example.org")?.is_empty());
        let err = tx.certificates_by_email("not an address").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument);
        Ok(())
    })
}

/// Deleting a certificate removes it from every index; its key stays.
pub fn delete_certificate_clears_indexes(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    populate(store, &f)?;
    let t = *f.alice.cert.thumbprint();
    assert!(store.transaction(|tx| tx.delete_certificate(&t))?);
    assert!(!store.transaction(|tx| tx.delete_certificate(&t))?);
    store.read_transaction(|tx| {
        assert!(tx.certificate(&t)?.is_none());
        assert_eq!(tx.count_certificates()?, 5);
        let c = &f.alice.cert;
        assert_eq!(
            tps(&tx.certificates_by_subject(c.subject_der())?),
            sorted(&[&f.alice_expired.cert])
        );
        assert!(
            tx.certificates_by_subject_key_id(c.subject_key_id().unwrap())?
                .is_empty()
        );
        assert!(
            tx.certificate_by_issuer_serial(c.issuer_der(), c.serial())?
                .is_none()
        );
        assert_eq!(
            tps(&tx.certificates_by_email("alice@example.com")?),
            sorted(&[&f.alice_expired.cert])
        );
        assert!(
            tx.has_key(&f.alice.key.key_id())?,
            "deleting a certificate keeps its key"
        );
        assert!(tx.key_for_certificate(&t)?.is_none());
        Ok(())
    })?;
    // Put back: found again everywhere.
    assert!(store.transaction(|tx| tx.put_certificate(&f.alice.cert))?);
    store.read_transaction(|tx| {
        assert_eq!(
            tps(&tx.certificates_by_email("alice@example.com")?).len(),
            2
        );
        assert!(tx.key_for_certificate(&t)?.is_some());
        Ok(())
    })
}

/// `list_certificates`: email, expiry at a given time, with/without key, paging.
pub fn list_filters(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    populate(store, &f)?;
    let all: Vec<&Certificate> = all_certs(&f).to_vec();
    let list =
        |filter: CertificateFilter| store.read_transaction(|tx| tx.list_certificates(&filter));

    assert_eq!(tps(&list(CertificateFilter::new())?), sorted(&all));
    // Expiry.
    assert_eq!(
        tps(&list(CertificateFilter::new().expired_at(at(Y2019)))?),
        vec![]
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().unexpired_at(at(Y2019)))?),
        sorted(&all)
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().expired_at(at(Y2025)))?),
        sorted(&[&f.alice_expired.cert])
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().unexpired_at(at(Y2025)))?),
        sorted(&[
            &f.ca.cert,
            &f.ca_renewed,
            &f.alice.cert,
            &f.bob.cert,
            &f.carol.cert
        ])
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().unexpired_at(at(Y2035)))?),
        sorted(&[&f.ca.cert, &f.ca_renewed])
    );
    // notAfter itself is not expired; one second later is.
    let alice_email = || CertificateFilter::new().email("alice@example.com");
    assert_eq!(
        tps(&list(alice_email().unexpired_at(at(Y2034)))?),
        sorted(&[&f.alice.cert])
    );
    assert!(list(alice_email().unexpired_at(at(Y2034 + 1)))?.is_empty());
    assert_eq!(
        tps(&list(alice_email().expiry(ExpiryFilter::All))?),
        sorted(&[&f.alice.cert, &f.alice_expired.cert])
    );
    // Email, case-insensitive domain.
    assert_eq!(
        tps(&list(
            CertificateFilter::new()
                .email("alice@EXAMPLE.COM")
                .expired_at(at(Y2025))
        )?),
        sorted(&[&f.alice_expired.cert])
    );
    assert!(list(CertificateFilter::new().email("ALICE@example.com"))?.is_empty());
    assert_eq!(
        list(CertificateFilter::new().email("not an address"))
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    // With / without key (CA key serves both CA certificates).
    assert_eq!(
        tps(&list(CertificateFilter::new().with_key(true))?),
        sorted(&[&f.ca.cert, &f.ca_renewed, &f.alice.cert, &f.bob.cert])
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().with_key(false))?),
        sorted(&[&f.alice_expired.cert, &f.carol.cert])
    );
    assert_eq!(
        tps(&list(alice_email().with_key(true).unexpired_at(at(Y2025)))?),
        sorted(&[&f.alice.cert])
    );
    assert!(list(alice_email().with_key(true).expired_at(at(Y2025)))?.is_empty());
    // Adding Carol's key moves her to "with key".
    store.transaction(|tx| tx.put_key(&f.carol.key))?;
    assert_eq!(
        tps(&list(CertificateFilter::new().with_key(false))?),
        sorted(&[&f.alice_expired.cert])
    );
    // Paging, in thumbprint order.
    let everything = sorted(&all);
    assert_eq!(
        tps(&list(CertificateFilter::new().limit(2))?),
        everything[..2].to_vec()
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().offset(2).limit(3))?),
        everything[2..5].to_vec()
    );
    assert_eq!(
        tps(&list(CertificateFilter::new().offset(4))?),
        everything[4..].to_vec()
    );
    assert!(list(CertificateFilter::new().offset(6))?.is_empty());
    assert!(list(CertificateFilter::new().limit(0))?.is_empty());
    Ok(())
}

/// put_key / key / has_key / delete_key / key_for_certificate.
pub fn keys(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let id = f.alice.key.key_id();
    assert_eq!(id, KeyId::of_public_key_der(f.alice.cert.public_key_der()));
    store.read_transaction(|tx| {
        assert!(!tx.has_key(&id)?);
        assert!(tx.key(&id)?.is_none());
        Ok(())
    })?;
    assert_eq!(store.transaction(|tx| tx.put_key(&f.alice.key))?, id);
    assert_eq!(
        store.transaction(|tx| tx.put_key(&f.alice.key))?,
        id,
        "idempotent"
    );
    store.read_transaction(|tx| {
        assert!(tx.has_key(&id)?);
        let back = tx.key(&id)?.expect("stored key");
        assert!(same_key(&back, &f.alice.key));
        // Certificate not stored yet: no key for it.
        assert!(tx.key_for_certificate(f.alice.cert.thumbprint())?.is_none());
        Ok(())
    })?;
    populate(store, &f)?;
    store.read_transaction(|tx| {
        let k = tx
            .key_for_certificate(f.alice.cert.thumbprint())?
            .expect("Alice's key");
        assert!(same_key(&k, &f.alice.key));
        let k = tx
            .key_for_certificate(f.ca_renewed.thumbprint())?
            .expect("CA key for the renewal");
        assert!(same_key(&k, &f.ca.key));
        assert!(tx.key_for_certificate(f.carol.cert.thumbprint())?.is_none());
        assert!(
            tx.key_for_certificate(f.alice_expired.cert.thumbprint())?
                .is_none()
        );
        let b = tx.key(&f.bob.key.key_id())?.expect("Bob's key");
        assert!(same_key(&b, &f.bob.key));
        assert!(!same_key(&b, &f.alice.key));
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_key(&id))?);
    assert!(!store.transaction(|tx| tx.delete_key(&id))?);
    store.read_transaction(|tx| {
        assert!(!tx.has_key(&id)?);
        assert!(tx.key(&id)?.is_none());
        assert!(tx.key_for_certificate(f.alice.cert.thumbprint())?.is_none());
        assert!(
            tx.certificate(f.alice.cert.thumbprint())?.is_some(),
            "the certificate stays"
        );
        Ok(())
    })
}

/// The root store, apart from the certificate store.
pub fn roots(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let t = *f.ca.cert.thumbprint();
    assert!(store.read_transaction(|tx| tx.roots())?.is_empty());
    assert!(store.transaction(|tx| tx.put_root(&f.ca.cert))?);
    assert!(!store.transaction(|tx| tx.put_root(&f.ca.cert))?);
    assert!(store.transaction(|tx| tx.put_root(&f.ca_renewed))?);
    store.read_transaction(|tx| {
        assert_eq!(tps(&tx.roots()?), sorted(&[&f.ca.cert, &f.ca_renewed]));
        assert!(tx.is_root(&t)?);
        assert!(!tx.is_root(f.alice.cert.thumbprint())?);
        assert_eq!(
            tx.count_certificates()?,
            0,
            "roots are not in the certificate store"
        );
        assert!(tx.certificate(&t)?.is_none());
        let back = tx.roots()?;
        assert!(back.iter().any(|c| c.der() == f.ca.cert.der()));
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_root(&t))?);
    assert!(!store.transaction(|tx| tx.delete_root(&t))?);
    store.read_transaction(|tx| {
        assert!(!tx.is_root(&t)?);
        assert_eq!(tps(&tx.roots()?), sorted(&[&f.ca_renewed]));
        Ok(())
    })
}

/// The state [`failed_transaction_writes_nothing`] starts from and must end in.
fn base_state(store: &dyn Store, f: &Fixtures) -> Result<()> {
    store.transaction(|tx| {
        tx.put_certificate(&f.alice.cert)?;
        tx.put_key(&f.alice.key)?;
        tx.put_root(&f.ca.cert)?;
        Ok(())
    })
}

fn assert_base_state(store: &dyn Store, f: &Fixtures) -> Result<()> {
    store.read_transaction(|tx| {
        assert_eq!(tx.count_certificates()?, 1);
        assert!(tx.certificate(f.alice.cert.thumbprint())?.is_some());
        assert!(tx.certificate(f.bob.cert.thumbprint())?.is_none());
        assert_eq!(
            tps(&tx.certificates_by_email("alice@example.com")?),
            sorted(&[&f.alice.cert])
        );
        assert!(tx.certificates_by_email("bob@example.org")?.is_empty());
        assert!(
            tx.certificates_by_subject(f.bob.cert.subject_der())?
                .is_empty()
        );
        assert!(
            tx.certificates_by_subject_key_id(f.bob.cert.subject_key_id().unwrap())?
                .is_empty()
        );
        assert!(
            tx.certificate_by_issuer_serial(f.bob.cert.issuer_der(), f.bob.cert.serial())?
                .is_none()
        );
        assert!(tx.has_key(&f.alice.key.key_id())?);
        assert!(!tx.has_key(&f.bob.key.key_id())?);
        assert!(tx.key_for_certificate(f.alice.cert.thumbprint())?.is_some());
        assert_eq!(tps(&tx.roots()?), sorted(&[&f.ca.cert]));
        assert_eq!(
            tx.list_certificates(&CertificateFilter::new().with_key(true))?
                .len(),
            1
        );
        Ok(())
    })
}

/// A closure that returns `Err` after several writes leaves nothing written, and its error is
/// returned unchanged.
pub fn failed_transaction_writes_nothing(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    base_state(store, &f)?;
    let err = store
        .transaction(|tx| {
            assert!(tx.put_certificate(&f.bob.cert)?);
            tx.put_key(&f.bob.key)?;
            assert!(tx.put_root(&f.ca_renewed)?);
            assert!(tx.delete_certificate(f.alice.cert.thumbprint())?);
            assert!(tx.delete_key(&f.alice.key.key_id())?);
            assert!(tx.delete_root(f.ca.cert.thumbprint())?);
            // Delete and put again, then delete again: undo must replay in order.
            assert!(tx.put_certificate(&f.alice.cert)?);
            assert!(tx.delete_certificate(f.alice.cert.thumbprint())?);
            // The transaction sees its own writes.
            assert_eq!(tx.count_certificates()?, 1);
            assert!(tx.certificate(f.bob.cert.thumbprint())?.is_some());
            Err::<(), _>(Error::InvalidArgument("changed my mind".into()))
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("changed my mind"));
    assert_base_state(store, &f)?;
    // An error from a store operation inside the closure also rolls back.
    let err = store
        .transaction(|tx| {
            tx.put_certificate(&f.carol.cert)?;
            tx.certificates_by_email("no address")?;
            Ok(())
        })
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_base_state(store, &f)?;
    // Through the object-safe method, too.
    let r = store.transact(&mut |tx| {
        tx.put_certificate(&f.carol.cert)?;
        Err(Error::NotFound("x".into()))
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::NotFound);
    assert_base_state(store, &f)
}

/// A closure that panics after writes leaves nothing written, and the store stays usable.
pub fn panicking_transaction_writes_nothing(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    base_state(store, &f)?;
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let _ = store.transaction(|tx| {
            tx.put_certificate(&f.bob.cert)?;
            tx.delete_certificate(f.alice.cert.thumbprint())?;
            tx.delete_root(f.ca.cert.thumbprint())?;
            if tx.count_certificates()? == 1 {
                panic!("closure panics on purpose (conformance test)");
            }
            Ok(())
        });
    }));
    assert!(r.is_err());
    assert_base_state(store, &f)?;
    assert!(store.transaction(|tx| tx.put_certificate(&f.carol.cert))?);
    Ok(())
}

/// Reads inside a write transaction see its writes; values come back; commits are visible.
pub fn transactions_see_their_own_writes(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let (n, found) = store.transaction(|tx| {
        tx.put_certificate(&f.bob.cert)?;
        tx.put_key(&f.bob.key)?;
        let n = tx.count_certificates()?;
        let found = tx.key_for_certificate(f.bob.cert.thumbprint())?.is_some();
        Ok((n, found))
    })?;
    assert_eq!((n, found), (1, true));
    let emails =
        store.read_transaction(|tx| Ok(tx.certificates_by_email("bob@example.org")?.len()))?;
    assert_eq!(emails, 1);
    // The object-safe read method.
    let mut seen = 0;
    store.read(&mut |tx| {
        seen = tx.count_certificates()?;
        Ok(())
    })?;
    assert_eq!(seen, 1);
    Ok(())
}

/// Data written through one opening is there after closing and opening again.
pub fn survives_reopen(open: &mut dyn FnMut() -> Result<Box<dyn Store>>) -> Result<()> {
    let f = fixtures()?;
    {
        let store = open()?;
        populate(&*store, &f)?;
        store.transaction(|tx| tx.put_root(&f.ca.cert))?;
        // A failed transaction before closing must not surface after reopening.
        let _ = store.transaction(|tx| {
            tx.delete_certificate(f.bob.cert.thumbprint())?;
            Err::<(), _>(Error::InvalidArgument("no".into()))
        });
    }
    let store = open()?;
    store.read_transaction(|tx| {
        assert_eq!(tx.count_certificates()?, 6);
        for c in all_certs(&f) {
            let back = tx
                .certificate(c.thumbprint())?
                .expect("certificate survives reopen");
            assert_eq!(back.der(), c.der());
        }
        let k = tx
            .key_for_certificate(f.alice.cert.thumbprint())?
            .expect("key survives reopen");
        assert!(same_key(&k, &f.alice.key));
        assert_eq!(
            tps(&tx.certificates_by_email("bob@example.org")?),
            sorted(&[&f.bob.cert])
        );
        assert_eq!(tps(&tx.roots()?), sorted(&[&f.ca.cert]));
        Ok(())
    })
}
