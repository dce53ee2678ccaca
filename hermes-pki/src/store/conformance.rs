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

use super::{
    CaId, CertificateFilter, CtlEntry, CtlStatus, DomainName, EmailAddress, ExpiryFilter,
    IssuedRecord, MAX_SETTING_VALUE_LEN, NewCa, SettingScope, Store, StoreExt,
};
use super::{CrlEntries, CrlFetchState, CrlId, CrlRecord, CrlStatus, NewCrl, RevokedEntry};
use crate::cert::{Certificate, Serial, Thumbprint};
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
        ("certificate_authorities", certificate_authorities),
        ("issued_records", issued_records),
        ("trust_list", trust_list),
        ("crl_store", crl_store),
        ("users_and_domains", users_and_domains),
        ("settings_per_scope", settings_per_scope),
        ("removal_takes_settings_along", removal_takes_settings_along),
        ("manual_selections", manual_selections),
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
        (
            "concurrent_transactions_lose_no_update",
            concurrent_transactions_lose_no_update,
        ),
        // --- certificate requests (issue 15) ---
        ("requests_round_trip", requests_round_trip),
        ("certificates_by_key", certificates_by_key),
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
            tps(&tx.roots_by_subject(f.ca.cert.subject_der())?),
            sorted(&[&f.ca.cert, &f.ca_renewed]),
            "the renewal has the same subject"
        );
        assert!(tx.roots_by_subject(f.alice.cert.subject_der())?.is_empty());
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
    })?;

    // Issuer candidates: the roots of the name, then the stored certificates of the name in
    // thumbprint order, each flagged whether it is also a root.
    store.transaction(|tx| {
        for c in [&f.ca.cert, &f.ca_renewed, &f.alice.cert] {
            tx.put_certificate(c)?;
        }
        Ok(())
    })?;
    let parse = |_: &[u8], der: &[u8]| Certificate::from_der(der);
    let candidates = |name: &[u8]| -> Result<Vec<(Thumbprint, bool)>> {
        Ok(store
            .read_transaction(|tx| tx.issuer_candidates(name, &parse))?
            .iter()
            .map(|(c, root)| (*c.thumbprint(), *root))
            .collect())
    };
    let renewed = *f.ca_renewed.thumbprint();
    let mut want = vec![(renewed, true)];
    want.extend(
        sorted(&[&f.ca.cert, &f.ca_renewed])
            .into_iter()
            .map(|tp| (tp, tp == renewed)),
    );
    assert_eq!(candidates(f.ca.cert.subject_der())?, want);
    assert_eq!(
        candidates(f.alice.cert.subject_der())?,
        vec![(*f.alice.cert.thumbprint(), false)]
    );
    assert!(candidates(b"\x30\x00")?.is_empty());
    Ok(())
}

fn new_ca(name: &str, cert: &Certificate, parent: Option<CaId>) -> NewCa {
    NewCa {
        name: name.into(),
        certificate: *cert.thumbprint(),
        parent,
        imported: false,
        created: at(Y2025),
    }
}

fn issued_record(ca: CaId, serial: &[u8], cert: &Certificate) -> IssuedRecord {
    IssuedRecord {
        ca,
        serial: Serial::from_bytes(serial),
        subject: cert.subject().to_string(),
        email: cert.emails().first().cloned(),
        thumbprint: *cert.thumbprint(),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        issued_at: at(Y2025),
    }
}

/// CA records: ids, unique names, parent, at most one default, renewal, delete rules.
pub fn certificate_authorities(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    assert!(store.read_transaction(|tx| tx.cas())?.is_empty());
    assert!(store.read_transaction(|tx| tx.default_ca())?.is_none());
    let root = store.transaction(|tx| tx.insert_ca(&new_ca("Root CA", &f.ca.cert, None)))?;
    let sub =
        store.transaction(|tx| tx.insert_ca(&new_ca("Issuing CA", &f.ca_renewed, Some(root))))?;
    assert!(sub > root, "ids grow");
    store.read_transaction(|tx| {
        let r = tx.ca(root)?.expect("stored");
        assert_eq!(r.name, "Root CA");
        assert_eq!(r.certificate, *f.ca.cert.thumbprint());
        assert_eq!(r.parent, None);
        assert!(!r.is_default && !r.imported);
        assert_eq!(r.created, at(Y2025));
        assert_eq!(tx.ca(sub)?.expect("stored").parent, Some(root));
        assert_eq!(tx.ca_by_name("root ca")?.map(|c| c.id), Some(root));
        assert_eq!(tx.ca_by_name("ISSUING CA")?.map(|c| c.id), Some(sub));
        assert!(tx.ca_by_name("Other")?.is_none());
        let ids: Vec<CaId> = tx.cas()?.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![root, sub]);
        Ok(())
    })?;
    // Names are unique, case-insensitively; unknown parents are refused.
    let e = store
        .transaction(|tx| tx.insert_ca(&new_ca("ROOT ca", &f.bob.cert, None)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate, "{e}");
    let missing = CaId::new(root.get() + 1000)?;
    let e = store
        .transaction(|tx| tx.insert_ca(&new_ca("Orphan", &f.bob.cert, Some(missing))))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    // Exactly the one set is the default.
    store.transaction(|tx| tx.set_default_ca(root))?;
    store.transaction(|tx| tx.set_default_ca(sub))?;
    store.read_transaction(|tx| {
        assert_eq!(tx.default_ca()?.map(|c| c.id), Some(sub));
        assert_eq!(tx.cas()?.iter().filter(|c| c.is_default).count(), 1);
        Ok(())
    })?;
    let e = store
        .transaction(|tx| tx.set_default_ca(missing))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_eq!(
        store.read_transaction(|tx| tx.default_ca())?.map(|c| c.id),
        Some(sub)
    );
    // Renewal points the record at the new certificate.
    store.transaction(|tx| tx.set_ca_certificate(root, f.ca_renewed.thumbprint()))?;
    assert_eq!(
        store
            .read_transaction(|tx| tx.ca(root))?
            .map(|c| c.certificate),
        Some(*f.ca_renewed.thumbprint())
    );
    // A parent cannot go before its child; a CA with issued records cannot go.
    let e = store.transaction(|tx| tx.delete_ca(root)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    store.transaction(|tx| tx.insert_issued(&issued_record(sub, &[7], &f.alice.cert)))?;
    let e = store.transaction(|tx| tx.delete_ca(sub)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    store.transaction(|tx| {
        assert!(tx.delete_issued(sub, &Serial::from_bytes(&[7]))?);
        assert!(tx.delete_ca(sub)?);
        assert!(!tx.delete_ca(sub)?);
        assert!(tx.delete_ca(root)?);
        Ok(())
    })?;
    assert!(store.read_transaction(|tx| tx.cas())?.is_empty());
    // Ids are not reused, and a name is free again once its CA is gone.
    let again = store.transaction(|tx| tx.insert_ca(&new_ca("Root CA", &f.ca.cert, None)))?;
    assert!(again > sub);
    Ok(())
}

/// Issued records: unique per (CA, serial), listed per CA, a failed insert changes nothing.
pub fn issued_records(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let (a, b) = store.transaction(|tx| {
        Ok((
            tx.insert_ca(&new_ca("A", &f.ca.cert, None))?,
            tx.insert_ca(&new_ca("B", &f.ca_renewed, None))?,
        ))
    })?;
    let alice = issued_record(a, &[0x01, 0x02], &f.alice.cert);
    let bob = issued_record(a, &[0x01, 0x01], &f.bob.cert);
    store.transaction(|tx| {
        tx.insert_issued(&alice)?;
        tx.insert_issued(&bob)
    })?;
    // The same serial from another CA is fine.
    store.transaction(|tx| tx.insert_issued(&issued_record(b, &[0x01, 0x02], &f.carol.cert)))?;
    // The same serial from the same CA is refused, and the transaction keeps nothing.
    let e = store
        .transaction(|tx| {
            tx.insert_issued(&issued_record(a, &[0x7f], &f.carol.cert))?;
            tx.insert_issued(&issued_record(a, &[0x01, 0x02], &f.carol.cert))
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate, "{e}");
    // A duplicate can be caught and retried inside one transaction (issuance does this).
    store.transaction(|tx| {
        let dup = tx.insert_issued(&issued_record(a, &[0x01, 0x01], &f.carol.cert));
        assert_eq!(dup.unwrap_err().kind(), ErrorKind::Duplicate);
        tx.insert_issued(&issued_record(a, &[0x05], &f.carol.cert))
    })?;
    let e = store
        .transaction(|tx| tx.insert_issued(&issued_record(CaId::new(999)?, &[1], &f.carol.cert)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    store.read_transaction(|tx| {
        assert_eq!(
            tx.issued(a, &Serial::from_bytes(&[1, 2]))?,
            Some(alice.clone())
        );
        assert!(tx.issued(a, &Serial::from_bytes(&[0x7f]))?.is_none());
        let serials: Vec<String> = tx
            .issued_by(a)?
            .iter()
            .map(|r| r.serial.to_string())
            .collect();
        assert_eq!(serials, ["05", "0101", "0102"], "in numeric serial order");
        assert_eq!(tx.count_issued_by(a)?, 3);
        assert_eq!(tx.count_issued_by(b)?, 1);
        let rec = tx.issued(b, &Serial::from_bytes(&[1, 2]))?.expect("stored");
        assert_eq!(rec.thumbprint, *f.carol.cert.thumbprint());
        assert_eq!(rec.email.as_deref(), Some("carol@example.org"));
        assert_eq!(rec.not_after, f.carol.cert.not_after());
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_issued(a, &Serial::from_bytes(&[5])))?);
    assert!(!store.transaction(|tx| tx.delete_issued(a, &Serial::from_bytes(&[5])))?);
    assert_eq!(store.read_transaction(|tx| tx.count_issued_by(a))?, 2);
    Ok(())
}

/// The Certificate Trust List: put replaces, delete, list order.
pub fn trust_list(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let a = *f.alice.cert.thumbprint();
    let b = *f.bob.cert.thumbprint();
    assert!(store.read_transaction(|tx| tx.ctl_entries())?.is_empty());
    store.transaction(|tx| {
        tx.put_ctl_entry(&CtlEntry::whitelisted(a))?;
        tx.put_ctl_entry(&CtlEntry::blacklisted(b))
    })?;
    store.read_transaction(|tx| {
        assert_eq!(tx.ctl_entry(&a)?, Some(CtlEntry::whitelisted(a)));
        assert_eq!(
            tx.ctl_entry(&b)?.map(|e| e.status),
            Some(CtlStatus::Blacklisted)
        );
        assert!(tx.ctl_entry(f.carol.cert.thumbprint())?.is_none());
        let mut want = vec![a, b];
        want.sort();
        let got: Vec<Thumbprint> = tx.ctl_entries()?.iter().map(|e| e.thumbprint).collect();
        assert_eq!(got, want);
        Ok(())
    })?;
    let changed = CtlEntry {
        thumbprint: a,
        status: CtlStatus::Whitelisted,
        allow_expired: true,
    };
    store.transaction(|tx| tx.put_ctl_entry(&changed))?;
    assert_eq!(
        store.read_transaction(|tx| tx.ctl_entry(&a))?,
        Some(changed)
    );
    assert_eq!(store.read_transaction(|tx| tx.ctl_entries())?.len(), 2);
    // A failed transaction keeps the old entries.
    let _ = store.transaction(|tx| {
        tx.delete_ctl_entry(&a)?;
        tx.put_ctl_entry(&CtlEntry::whitelisted(b))?;
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    assert_eq!(
        store.read_transaction(|tx| tx.ctl_entry(&a))?,
        Some(changed)
    );
    assert_eq!(
        store
            .read_transaction(|tx| tx.ctl_entry(&b))?
            .map(|e| e.status),
        Some(CtlStatus::Blacklisted)
    );
    assert!(store.transaction(|tx| tx.delete_ctl_entry(&a))?);
    assert!(!store.transaction(|tx| tx.delete_ctl_entry(&a))?);
    assert!(store.read_transaction(|tx| tx.ctl_entry(&a))?.is_none());
    Ok(())
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

/// A transaction may run more than once (the storage contract): concurrent read-modify-write
/// transactions on one value, from several threads, lose no update, and each returns the
/// value of its run that was committed. A backend with optimistic concurrency (PostgreSQL)
/// runs some of these closures again; the others run each once.
pub fn concurrent_transactions_lose_no_update(store: &dyn Store) -> Result<()> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    const THREADS: u64 = 4;
    const EACH: u64 = 8;
    const KEY: &str = "conformance-counter";
    let global = SettingScope::Global;
    store.transaction(|tx| tx.put_setting(&global, KEY, "0"))?;
    let calls = AtomicUsize::new(0);
    let mut seen: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|_| {
                s.spawn(|| {
                    let mut got = Vec::new();
                    for _ in 0..EACH {
                        got.push(store.transaction(|tx| {
                            calls.fetch_add(1, Ordering::Relaxed);
                            let v: u64 = tx
                                .setting(&SettingScope::Global, KEY)?
                                .expect("the counter is stored")
                                .parse()
                                .expect("the counter is a number");
                            tx.put_setting(&SettingScope::Global, KEY, &(v + 1).to_string())?;
                            Ok(v)
                        })?);
                    }
                    Ok::<_, Error>(got)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect::<Result<Vec<_>>>()
    })?
    .concat();
    seen.sort_unstable();
    assert_eq!(
        seen,
        (0..THREADS * EACH).collect::<Vec<_>>(),
        "each committed run saw the value the one before it wrote"
    );
    let last = store.read_transaction(|tx| tx.setting(&global, KEY))?;
    assert_eq!(last, Some((THREADS * EACH).to_string()), "no update lost");
    assert!(calls.load(Ordering::Relaxed) >= (THREADS * EACH) as usize);
    Ok(())
}

/// Data written through one opening is there after closing and opening again.
pub fn survives_reopen(open: &mut dyn FnMut() -> Result<Box<dyn Store>>) -> Result<()> {
    let f = fixtures()?;
    {
        let store = open()?;
        populate(&*store, &f)?;
        store.transaction(|tx| tx.put_root(&f.ca.cert))?;
        store.transaction(|tx| {
            let bob = email("bob@example.org");
            tx.put_user(&bob)?;
            tx.put_domain(&bob.domain())?;
            tx.put_setting(&SettingScope::User(bob.clone()), "sign", "on")?;
            tx.put_setting(&SettingScope::Global, "revocation", "required")?;
            tx.put_manual_encryption_certificate(&bob, f.bob.cert.thumbprint())?;
            tx.put_manual_encryption_certificate(&bob, f.carol.cert.thumbprint())?;
            tx.set_manual_signing_certificate(&bob, Some(f.bob.cert.thumbprint()))?;
            Ok(())
        })?;
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
        assert_eq!(tx.users()?, vec![email("bob@example.org")]);
        assert_eq!(tx.domains()?, vec![domain("example.org")]);
        assert_eq!(
            tx.setting(&SettingScope::User(email("bob@example.org")), "sign")?,
            Some("on".into())
        );
        assert_eq!(
            tx.settings(&SettingScope::Global)?,
            vec![("revocation".to_string(), "required".to_string())]
        );
        let bob = email("bob@example.org");
        assert_eq!(
            tx.manual_encryption_certificates(&bob)?,
            sorted(&[&f.bob.cert, &f.carol.cert])
        );
        assert_eq!(
            tx.manual_signing_certificate(&bob)?,
            Some(*f.bob.cert.thumbprint())
        );
        Ok(())
    })
}

fn crl_record(sha: u8, issuer: &Certificate, number: Option<u8>, valid: bool) -> NewCrl {
    NewCrl {
        record: CrlRecord {
            id: CrlId::placeholder(),
            sha256: [sha; 32],
            issuer: issuer.subject().to_string(),
            issuer_der: issuer.subject_der().to_vec(),
            number: number.map(|n| vec![n]),
            delta_base: None,
            scope: Vec::new(),
            this_update: at(Y2025),
            next_update: Some(at(Y2025) + Duration::from_secs(86_400)),
            signer_key: valid.then(|| KeyId::of_public_key_der(issuer.public_key_der())),
            status: if valid {
                CrlStatus::Valid
            } else {
                CrlStatus::Invalid("its signature does not verify".into())
            },
            entries: 0,
            source: Some("http://crl.example.com/ca.crl".into()),
            stored_at: at(Y2025),
        },
        der: vec![0x30, 0x03, 0x02, 0x01, sha],
    }
}

fn revoked(serial: &[u8], reason: Option<u8>) -> RevokedEntry {
    RevokedEntry {
        serial: Serial::from_bytes(serial),
        date: at(Y2025),
        reason,
    }
}

/// CRLs with indexed entries, CA CRL numbers that only grow, fetch history, S/MIME
/// capabilities; all transactional.
pub fn crl_store(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let issuer = &f.alice.cert;
    let entries = [revoked(&[1], Some(1)), revoked(&[0x7f, 2], None)];
    let mut valid = crl_record(1, issuer, Some(5), true);
    valid.record.entries = 2;
    let packed = CrlEntries::new(&entries)?;
    let id = store.transaction(|tx| tx.insert_crl(&valid, &packed))?;
    let invalid = crl_record(2, issuer, None, false);
    let bad = store.transaction(|tx| tx.insert_crl(&invalid, &CrlEntries::default()))?;
    assert_ne!(id, bad);
    store.read_transaction(|tx| {
        let got = tx.crl(id)?.expect("stored CRL");
        let mut want = valid.record.clone();
        want.id = id;
        assert_eq!(got, want);
        assert_eq!(tx.crl_der(id)?, Some(valid.der.clone()));
        assert_eq!(
            tx.crl_entry(id, &Serial::from_bytes(&[1]))?,
            Some(entries[0].clone())
        );
        assert_eq!(
            tx.crl_entry(id, &Serial::from_bytes(&[0x7f, 2]))?,
            Some(entries[1].clone())
        );
        assert_eq!(tx.crl_entry(id, &Serial::from_bytes(&[3]))?, None);
        assert_eq!(tx.crl_entry(bad, &Serial::from_bytes(&[1]))?, None);
        assert_eq!(tx.crl_entries(id)?.to_vec(), entries.to_vec());
        assert!(tx.crl_entries(bad)?.is_empty());
        let all: Vec<CrlId> = tx.crls()?.iter().map(|r| r.id).collect();
        assert_eq!(all, vec![id, bad]);
        assert_eq!(
            tx.crl(bad)?.map(|r| r.status),
            Some(CrlStatus::Invalid("its signature does not verify".into()))
        );
        assert_eq!(tx.crls_by_issuer(issuer.subject_der())?.len(), 2);
        assert!(tx.crls_by_issuer(f.bob.cert.subject_der())?.is_empty());
        Ok(())
    })?;
    // The same CRL twice, or a serial twice (refused when packed): nothing written.
    let e = store
        .transaction(|tx| tx.insert_crl(&valid, &CrlEntries::default()))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    let e = store
        .transaction(|tx| {
            tx.insert_crl(
                &crl_record(3, issuer, Some(6), true),
                &CrlEntries::new(&[revoked(&[9], None), revoked(&[9], Some(4))])?,
            )
        })
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert_eq!(store.read_transaction(|tx| tx.crls())?.len(), 2);
    // Delete takes the entries along; a rolled-back delete keeps everything.
    let _ = store.transaction(|tx| {
        assert!(tx.delete_crl(id)?);
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    assert!(store.read_transaction(|tx| tx.crl(id))?.is_some());
    assert!(store.transaction(|tx| tx.delete_crl(id))?);
    assert!(!store.transaction(|tx| tx.delete_crl(id))?);
    store.read_transaction(|tx| {
        assert!(tx.crl(id)?.is_none());
        assert!(tx.crl_der(id)?.is_none());
        assert!(tx.crl_entry(id, &Serial::from_bytes(&[1]))?.is_none());
        assert!(tx.crl_entries(id)?.is_empty());
        Ok(())
    })?;
    // Ids are not reused.
    let again = store.transaction(|tx| tx.insert_crl(&valid, &packed))?;
    assert!(again.get() > bad.get());
    // A CRL of some thousands of entries: every lookup, searched in the stored value, finds
    // what was stored, and nothing else.
    let serial = |n: u32| Serial::from_bytes(&n.to_be_bytes());
    let mut many: Vec<RevokedEntry> = (1u32..=3000)
        .map(|i| revoked(&(i * 3).to_be_bytes(), u8::try_from(i % 11).ok()))
        .collect();
    let mut big = crl_record(4, issuer, Some(9), true);
    big.record.entries = 3000;
    let big_id = store.transaction(|tx| tx.insert_crl(&big, &CrlEntries::new(&many)?))?;
    store.read_transaction(|tx| {
        for i in (1u32..=3000).step_by(97) {
            let e = &many[usize::try_from(i - 1).unwrap_or(0)];
            assert_eq!(tx.crl_entry(big_id, &serial(i * 3))?.as_ref(), Some(e));
            assert_eq!(tx.crl_entry(big_id, &serial(i * 3 + 1))?, None);
        }
        assert_eq!(tx.crl_entry(big_id, &serial(0))?, None);
        assert_eq!(tx.crl_entry(big_id, &serial(9001))?, None);
        many.sort_by(|a, b| a.serial.cmp(&b.serial));
        assert_eq!(tx.crl_entries(big_id)?.to_vec(), many);
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_crl(big_id))?);
    // CRL numbers per CA only grow.
    let ca = store.transaction(|tx| tx.insert_ca(&new_ca("CRL CA", issuer, None)))?;
    assert_eq!(store.read_transaction(|tx| tx.ca_crl_number(ca))?, None);
    store.transaction(|tx| tx.set_ca_crl_number(ca, 1))?;
    store.transaction(|tx| tx.set_ca_crl_number(ca, 7))?;
    for n in [7, 3] {
        let e = store
            .transaction(|tx| tx.set_ca_crl_number(ca, n))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
    let _ = store.transaction(|tx| {
        tx.set_ca_crl_number(ca, 8)?;
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    assert_eq!(store.read_transaction(|tx| tx.ca_crl_number(ca))?, Some(7));
    let unknown = CaId::new(ca.get() + 100)?;
    let e = store
        .transaction(|tx| tx.set_ca_crl_number(unknown, 1))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // Fetch history: put replaces.
    let url = "http://crl.example.com/ca.crl";
    assert!(
        store
            .read_transaction(|tx| tx.crl_fetch_state(url))?
            .is_none()
    );
    let first = CrlFetchState {
        url: url.into(),
        last_attempt: at(Y2025),
        last_success: None,
        last_error: Some("HTTP 404".into()),
    };
    store.transaction(|tx| tx.put_crl_fetch_state(&first))?;
    let second = CrlFetchState {
        last_attempt: at(Y2025) + Duration::from_secs(60),
        last_success: Some(at(Y2025) + Duration::from_secs(60)),
        last_error: None,
        ..first.clone()
    };
    store.transaction(|tx| tx.put_crl_fetch_state(&second))?;
    assert_eq!(
        store.read_transaction(|tx| tx.crl_fetch_state(url))?,
        Some(second)
    );
    // S/MIME capabilities: put replaces; a failed transaction keeps the old list.
    let t = *f.bob.cert.thumbprint();
    assert_eq!(
        store.read_transaction(|tx| tx.smime_capabilities(&t))?,
        None
    );
    let caps = vec![
        der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.46"),
        der::asn1::ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.1.42"),
    ];
    store.transaction(|tx| tx.put_smime_capabilities(&t, &caps))?;
    let _ = store.transaction(|tx| {
        tx.put_smime_capabilities(&t, &[])?;
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    assert_eq!(
        store.read_transaction(|tx| tx.smime_capabilities(&t))?,
        Some(caps)
    );
    store.transaction(|tx| tx.put_smime_capabilities(&t, &[]))?;
    assert_eq!(
        store.read_transaction(|tx| tx.smime_capabilities(&t))?,
        Some(vec![])
    );
    Ok(())
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::new(s).unwrap()
}

fn domain(s: &str) -> DomainName {
    DomainName::new(s).unwrap()
}

fn kv(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Users and domains: normalised, added once, listed in byte order whatever the insertion
/// order, removed; all transactional.
pub fn users_and_domains(store: &dyn Store) -> Result<()> {
    // Normalisation is that of the certificate store's email index.
    assert_eq!(email(" Alice@EXAMPLE.com ").as_str(), "Alice@example.com");
    assert_eq!(
        email("user@Bücher.example").as_str(),
        "user@xn--bcher-kva.example"
    );
    assert_eq!(domain("Bücher.Example.").as_str(), "xn--bcher-kva.example");
    assert_eq!(
        email("user@Bücher.example").domain(),
        domain("xn--bcher-kva.example")
    );
    assert!(EmailAddress::new("no address").is_err());
    assert!(DomainName::new("bob@example.org").is_err());
    assert!(DomainName::new("").is_err());
    assert!(DomainName::new("bad domain!").is_err());

    let users = [
        "zed@example.org",
        "Alice@example.com",
        "alice@example.com",
        "bob@b.example",
    ];
    store.transaction(|tx| {
        for u in users {
            assert!(tx.put_user(&email(u))?, "{u} is new");
        }
        // The same user again, in another spelling of the domain: not new.
        assert!(!tx.put_user(&email("zed@EXAMPLE.org"))?);
        for d in ["example.org", "B.example", "bücher.example"] {
            assert!(tx.put_domain(&domain(d))?);
        }
        assert!(!tx.put_domain(&domain("EXAMPLE.ORG."))?);
        Ok(())
    })?;
    let want_users: Vec<EmailAddress> = [
        "Alice@example.com",
        "alice@example.com",
        "bob@b.example",
        "zed@example.org",
    ]
    .iter()
    .map(|u| email(u))
    .collect();
    let want_domains: Vec<DomainName> = ["b.example", "example.org", "xn--bcher-kva.example"]
        .iter()
        .map(|d| domain(d))
        .collect();
    store.read_transaction(|tx| {
        assert_eq!(tx.users()?, want_users);
        assert_eq!(tx.domains()?, want_domains);
        assert!(tx.has_user(&email("Alice@EXAMPLE.com"))?);
        assert!(!tx.has_user(&email("carol@example.com"))?);
        assert!(tx.has_domain(&domain("Example.Org"))?);
        assert!(!tx.has_domain(&domain("example.com"))?);
        Ok(())
    })?;
    // A rolled-back removal keeps them; a committed one removes exactly them.
    let _ = store.transaction(|tx| {
        assert!(tx.delete_user(&email("bob@b.example"))?);
        assert!(tx.delete_domain(&domain("b.example"))?);
        assert!(!tx.has_user(&email("bob@b.example"))?);
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    store.read_transaction(|tx| {
        assert_eq!(tx.users()?, want_users);
        assert_eq!(tx.domains()?, want_domains);
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_user(&email("bob@b.example")))?);
    assert!(!store.transaction(|tx| tx.delete_user(&email("bob@b.example")))?);
    assert!(store.transaction(|tx| tx.delete_domain(&domain("b.example")))?);
    assert!(!store.transaction(|tx| tx.delete_domain(&domain("b.example")))?);
    store.read_transaction(|tx| {
        assert_eq!(tx.users()?.len(), 3);
        assert!(!tx.has_user(&email("bob@b.example"))?);
        assert_eq!(tx.domains()?.len(), 2);
        assert!(!tx.has_domain(&domain("b.example"))?);
        Ok(())
    })?;
    // A rolled-back addition leaves nothing.
    let _ = store.transaction(|tx| {
        tx.put_user(&email("ghost@example.org"))?;
        tx.put_domain(&domain("ghost.example"))?;
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    store.read_transaction(|tx| {
        assert!(!tx.has_user(&email("ghost@example.org"))?);
        assert!(!tx.has_domain(&domain("ghost.example"))?);
        Ok(())
    })
}

/// Settings: one value per scope and key, set / overwrite / unset, listed in key order, scopes
/// kept apart, bad keys and values refused, unknown users and domains refused; all
/// transactional.
pub fn settings_per_scope(store: &dyn Store) -> Result<()> {
    let global = SettingScope::Global;
    let dom = SettingScope::Domain(domain("example.com"));
    let alice = SettingScope::User(email("alice@example.com"));
    let bob = SettingScope::User(email("bob@example.com"));
    // No user or domain yet: reads are empty, writes refused.
    store.read_transaction(|tx| {
        assert_eq!(tx.setting(&alice, "sign")?, None);
        assert!(tx.settings(&alice)?.is_empty());
        assert!(tx.settings(&global)?.is_empty());
        Ok(())
    })?;
    for scope in [&dom, &alice] {
        let e = store
            .transaction(|tx| tx.put_setting(scope, "sign", "on"))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    }
    store.transaction(|tx| {
        tx.put_domain(&domain("example.com"))?;
        tx.put_user(&email("alice@example.com"))?;
        tx.put_user(&email("bob@example.com"))?;
        // Out of key order, the same key at every level.
        tx.put_setting(&global, "sign", "off")?;
        tx.put_setting(&global, "encrypt", "if-possible")?;
        tx.put_setting(&dom, "sign", "on")?;
        tx.put_setting(&alice, "sign", "off")?;
        tx.put_setting(&alice, "cipher", "aes-gcm")?;
        tx.put_setting(&alice, "additional-certificates", "AB CD")?;
        Ok(())
    })?;
    store.read_transaction(|tx| {
        assert_eq!(tx.setting(&global, "sign")?, Some("off".into()));
        assert_eq!(tx.setting(&dom, "sign")?, Some("on".into()));
        assert_eq!(tx.setting(&alice, "sign")?, Some("off".into()));
        assert_eq!(tx.setting(&bob, "sign")?, None, "nothing is inherited here");
        assert_eq!(tx.setting(&dom, "encrypt")?, None);
        assert_eq!(
            tx.settings(&global)?,
            kv(&[("encrypt", "if-possible"), ("sign", "off")])
        );
        assert_eq!(tx.settings(&dom)?, kv(&[("sign", "on")]));
        assert_eq!(
            tx.settings(&alice)?,
            kv(&[
                ("additional-certificates", "AB CD"),
                ("cipher", "aes-gcm"),
                ("sign", "off"),
            ])
        );
        assert!(tx.settings(&bob)?.is_empty());
        Ok(())
    })?;
    // Overwrite replaces; a rolled-back overwrite or unset keeps the old value.
    store.transaction(|tx| tx.put_setting(&alice, "cipher", "aes-cbc"))?;
    let _ = store.transaction(|tx| {
        tx.put_setting(&alice, "cipher", "auto")?;
        assert!(tx.delete_setting(&global, "sign")?);
        assert_eq!(tx.setting(&alice, "cipher")?, Some("auto".into()));
        assert_eq!(tx.setting(&global, "sign")?, None);
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    store.read_transaction(|tx| {
        assert_eq!(tx.setting(&alice, "cipher")?, Some("aes-cbc".into()));
        assert_eq!(tx.setting(&global, "sign")?, Some("off".into()));
        Ok(())
    })?;
    // Unset removes one value, once.
    assert!(store.transaction(|tx| tx.delete_setting(&global, "sign"))?);
    assert!(!store.transaction(|tx| tx.delete_setting(&global, "sign"))?);
    assert!(!store.transaction(|tx| tx.delete_setting(&bob, "sign"))?);
    store.read_transaction(|tx| {
        assert_eq!(tx.settings(&global)?, kv(&[("encrypt", "if-possible")]));
        assert_eq!(tx.setting(&dom, "sign")?, Some("on".into()));
        assert_eq!(tx.setting(&alice, "sign")?, Some("off".into()));
        Ok(())
    })?;
    // Bad keys and values: refused, nothing written (also not what came before in the
    // transaction).
    let too_long = "x".repeat(MAX_SETTING_VALUE_LEN + 1);
    let bad: [(&str, &str); 6] = [
        ("", "on"),
        ("Sign", "on"),
        ("1sign", "on"),
        ("sign key", "on"),
        ("sign", "on\noff"),
        ("sign", &too_long),
    ];
    for (key, value) in bad {
        let e = store
            .transaction(|tx| {
                tx.put_setting(&global, "signature-hash", "sha512")?;
                tx.put_setting(&global, key, value)
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{key:?}: {e}");
    }
    let e = store
        .transaction(|tx| tx.put_setting(&global, &"k".repeat(65), "on"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    store.read_transaction(|tx| {
        assert_eq!(tx.settings(&global)?, kv(&[("encrypt", "if-possible")]));
        Ok(())
    })?;
    // Values are kept exactly (spaces, non-ASCII).
    store.transaction(|tx| tx.put_setting(&global, "note", " grüße  an alle "))?;
    assert_eq!(
        store.read_transaction(|tx| tx.setting(&global, "note"))?,
        Some(" grüße  an alle ".into())
    );
    Ok(())
}

/// Removing a user or a domain removes its settings, in the same transaction, and nothing
/// else: not another user's, not the domain's when a user of the domain goes, not the users'
/// when their domain goes. Added again, it starts with no settings.
pub fn removal_takes_settings_along(store: &dyn Store) -> Result<()> {
    let global = SettingScope::Global;
    let dom = SettingScope::Domain(domain("example.com"));
    let alice = SettingScope::User(email("alice@example.com"));
    let bob = SettingScope::User(email("bob@example.com"));
    store.transaction(|tx| {
        tx.put_domain(&domain("example.com"))?;
        tx.put_user(&email("alice@example.com"))?;
        tx.put_user(&email("bob@example.com"))?;
        for scope in [&global, &dom, &alice, &bob] {
            tx.put_setting(scope, "sign", "on")?;
            tx.put_setting(scope, "encrypt", "required")?;
        }
        Ok(())
    })?;
    // Rolled back: everything stays.
    let _ = store.transaction(|tx| {
        assert!(tx.delete_user(&email("alice@example.com"))?);
        assert!(tx.delete_domain(&domain("example.com"))?);
        assert!(tx.settings(&alice)?.is_empty());
        assert!(tx.settings(&dom)?.is_empty());
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    store.read_transaction(|tx| {
        for scope in [&global, &dom, &alice, &bob] {
            assert_eq!(tx.settings(scope)?.len(), 2, "{scope}");
        }
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_user(&email("alice@example.com")))?);
    store.read_transaction(|tx| {
        assert!(tx.settings(&alice)?.is_empty());
        assert_eq!(tx.setting(&alice, "sign")?, None);
        for scope in [&global, &dom, &bob] {
            assert_eq!(tx.settings(scope)?.len(), 2, "{scope}");
        }
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_domain(&domain("example.com")))?);
    store.read_transaction(|tx| {
        assert!(tx.settings(&dom)?.is_empty());
        assert!(tx.has_user(&email("bob@example.com"))?);
        for scope in [&global, &bob] {
            assert_eq!(tx.settings(scope)?.len(), 2, "{scope}");
        }
        Ok(())
    })?;
    // Added again: a clean slate, and settings can be set again.
    store.transaction(|tx| {
        assert!(tx.put_user(&email("alice@example.com"))?);
        assert!(tx.put_domain(&domain("example.com"))?);
        Ok(())
    })?;
    store.read_transaction(|tx| {
        assert!(tx.settings(&alice)?.is_empty());
        assert!(tx.settings(&dom)?.is_empty());
        Ok(())
    })?;
    store.transaction(|tx| tx.put_setting(&alice, "sign", "off"))?;
    assert_eq!(
        store.read_transaction(|tx| tx.settings(&alice))?,
        kv(&[("sign", "off")])
    );
    Ok(())
}

/// Manual selections of a user: encryption certificates (a set, in thumbprint order) and one
/// signing certificate (or none: automatic); set, cleared, refused for an unknown user, kept
/// apart per user, removed with the user; all transactional.
pub fn manual_selections(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    let alice = email("alice@example.com");
    let bob = email("bob@example.com");
    let (ta, tb, tc) = (
        *f.alice.cert.thumbprint(),
        *f.bob.cert.thumbprint(),
        *f.carol.cert.thumbprint(),
    );
    // Unknown user: reads are empty, writes refused (clearing is a no-op).
    store.read_transaction(|tx| {
        assert!(tx.manual_encryption_certificates(&alice)?.is_empty());
        assert_eq!(tx.manual_signing_certificate(&alice)?, None);
        Ok(())
    })?;
    let e = store
        .transaction(|tx| tx.put_manual_encryption_certificate(&alice, &ta))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    let e = store
        .transaction(|tx| tx.set_manual_signing_certificate(&alice, Some(&ta)))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(!store.transaction(|tx| tx.set_manual_signing_certificate(&alice, None))?);
    assert!(!store.read_transaction(|tx| tx.has_user(&alice))?);

    store.transaction(|tx| {
        tx.put_user(&alice)?;
        tx.put_user(&bob)?;
        // Out of thumbprint order; a repeat is not new.
        assert!(tx.put_manual_encryption_certificate(&alice, &tc)?);
        assert!(tx.put_manual_encryption_certificate(&alice, &ta)?);
        assert!(!tx.put_manual_encryption_certificate(&alice, &tc)?);
        assert!(tx.put_manual_encryption_certificate(&bob, &tb)?);
        assert!(tx.set_manual_signing_certificate(&alice, Some(&ta))?);
        assert!(!tx.set_manual_signing_certificate(&alice, Some(&ta))?);
        // The transaction sees its own writes.
        assert_eq!(tx.manual_signing_certificate(&alice)?, Some(ta));
        Ok(())
    })?;
    store.read_transaction(|tx| {
        assert_eq!(
            tx.manual_encryption_certificates(&alice)?,
            sorted(&[&f.alice.cert, &f.carol.cert])
        );
        assert_eq!(tx.manual_encryption_certificates(&bob)?, vec![tb]);
        assert_eq!(tx.manual_signing_certificate(&alice)?, Some(ta));
        assert_eq!(tx.manual_signing_certificate(&bob)?, None);
        // Another spelling of the same user.
        assert_eq!(
            tx.manual_signing_certificate(&email("alice@EXAMPLE.com"))?,
            Some(ta)
        );
        Ok(())
    })?;
    // Rolled back: nothing changes.
    let _ = store.transaction(|tx| {
        assert!(tx.delete_manual_encryption_certificate(&alice, &tc)?);
        assert!(tx.set_manual_signing_certificate(&alice, Some(&tc))?);
        assert!(tx.set_manual_signing_certificate(&bob, Some(&tb))?);
        assert!(tx.delete_user(&bob)?);
        Err::<(), _>(Error::InvalidArgument("roll back".into()))
    });
    store.read_transaction(|tx| {
        assert_eq!(
            tx.manual_encryption_certificates(&alice)?,
            sorted(&[&f.alice.cert, &f.carol.cert])
        );
        assert_eq!(tx.manual_encryption_certificates(&bob)?, vec![tb]);
        assert_eq!(tx.manual_signing_certificate(&alice)?, Some(ta));
        assert_eq!(tx.manual_signing_certificate(&bob)?, None);
        Ok(())
    })?;
    // Replace, clear, remove one.
    assert!(store.transaction(|tx| tx.set_manual_signing_certificate(&alice, Some(&tc)))?);
    assert_eq!(
        store.read_transaction(|tx| tx.manual_signing_certificate(&alice))?,
        Some(tc)
    );
    assert!(store.transaction(|tx| tx.set_manual_signing_certificate(&alice, None))?);
    assert!(!store.transaction(|tx| tx.set_manual_signing_certificate(&alice, None))?);
    assert!(store.transaction(|tx| tx.delete_manual_encryption_certificate(&alice, &tc))?);
    assert!(!store.transaction(|tx| tx.delete_manual_encryption_certificate(&alice, &tc))?);
    store.read_transaction(|tx| {
        assert_eq!(tx.manual_signing_certificate(&alice)?, None);
        assert_eq!(tx.manual_encryption_certificates(&alice)?, vec![ta]);
        Ok(())
    })?;
    // Removing a user removes its selections and nobody else's; added again, it starts clean.
    store.transaction(|tx| {
        tx.set_manual_signing_certificate(&alice, Some(&ta))?;
        tx.set_manual_signing_certificate(&bob, Some(&tb))?;
        Ok(())
    })?;
    assert!(store.transaction(|tx| tx.delete_user(&alice))?);
    store.read_transaction(|tx| {
        assert!(tx.manual_encryption_certificates(&alice)?.is_empty());
        assert_eq!(tx.manual_signing_certificate(&alice)?, None);
        assert_eq!(tx.manual_encryption_certificates(&bob)?, vec![tb]);
        assert_eq!(tx.manual_signing_certificate(&bob)?, Some(tb));
        Ok(())
    })?;
    store.transaction(|tx| tx.put_user(&alice))?;
    store.read_transaction(|tx| {
        assert!(tx.manual_encryption_certificates(&alice)?.is_empty());
        assert_eq!(tx.manual_signing_certificate(&alice)?, None);
        Ok(())
    })
}

// --- certificate requests and key lookups (issue 15) -----------------------------------------

fn request_record(email: &str, key: Option<KeyId>) -> super::RequestRecord {
    super::RequestRecord {
        id: super::RequestId::placeholder(),
        handler: "csr".into(),
        status: super::RequestStatus::Pending,
        email: email.into(),
        options: "days=365\ncn=Alice".into(),
        key_id: key,
        csr: Some(vec![0x30, 0x03, 0x02, 0x01, 0x05]),
        reference: None,
        certificate: None,
        created: at(Y2025),
        updated: at(Y2025),
        next_attempt: at(Y2025 + 60),
        attempts: 0,
        last_error: None,
    }
}

/// insert (ids assigned, never reused) / get / list by status and by key / update / delete;
/// a failed transaction keeps nothing.
pub fn requests_round_trip(store: &dyn Store) -> Result<()> {
    use super::{RequestId, RequestStatus};
    let f = fixtures()?;
    let alice_key = f.alice.key.key_id();
    let (a, b) = store.transaction(|tx| {
        let a = tx.insert_request(&request_record("alice@example.com", Some(alice_key)))?;
        let b = tx.insert_request(&request_record("bob@example.org", None))?;
        Ok((a, b))
    })?;
    assert_ne!(a, b);
    assert!(a < b, "ids grow");
    store.read_transaction(|tx| {
        let got = tx.request(a)?.expect("request stored");
        let mut want = request_record("alice@example.com", Some(alice_key));
        want.id = a;
        assert_eq!(got, want);
        assert_eq!(tx.requests(None)?.len(), 2);
        assert_eq!(tx.requests(Some(RequestStatus::Pending))?.len(), 2);
        assert!(tx.requests(Some(RequestStatus::Completed))?.is_empty());
        let by_key = tx.requests_by_key(&alice_key)?;
        assert_eq!(by_key.iter().map(|r| r.id).collect::<Vec<_>>(), vec![a]);
        assert!(tx.requests_by_key(&f.bob.key.key_id())?.is_empty());
        assert!(tx.request(RequestId::new(999)?)?.is_none());
        Ok(())
    })?;
    // Update: completed with a certificate, an error text and an attempt count.
    store.transaction(|tx| {
        let mut r = tx.request(a)?.expect("stored");
        r.status = RequestStatus::Completed;
        r.certificate = Some(*f.alice.cert.thumbprint());
        r.attempts = 3;
        r.last_error = Some("CA busy".into());
        r.reference = Some("order-17".into());
        r.updated = at(Y2025 + 3600);
        tx.update_request(&r)
    })?;
    store.read_transaction(|tx| {
        let r = tx.request(a)?.expect("stored");
        assert_eq!(r.status, RequestStatus::Completed);
        assert_eq!(r.certificate, Some(*f.alice.cert.thumbprint()));
        assert_eq!(r.attempts, 3);
        assert_eq!(r.last_error.as_deref(), Some("CA busy"));
        assert_eq!(r.reference.as_deref(), Some("order-17"));
        assert_eq!(r.updated, at(Y2025 + 3600));
        assert_eq!(
            tx.requests(Some(RequestStatus::Pending))?
                .iter()
                .map(|r| r.id)
                .collect::<Vec<_>>(),
            vec![b]
        );
        Ok(())
    })?;
    // Updating an unknown request is NotFound.
    let mut ghost = request_record("x@example.com", None);
    ghost.id = RequestId::new(999)?;
    let e = store
        .transaction(|tx| tx.update_request(&ghost))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    // A failed transaction keeps neither an insert nor a delete.
    let _ = store.transaction(|tx| {
        tx.insert_request(&request_record("carol@example.org", None))?;
        tx.delete_request(b)?;
        Err::<(), _>(Error::InvalidArgument("no".into()))
    });
    assert_eq!(store.read_transaction(|tx| tx.requests(None))?.len(), 2);
    // Delete; ids are not reused.
    assert!(store.transaction(|tx| tx.delete_request(b))?);
    assert!(!store.transaction(|tx| tx.delete_request(b))?);
    let c = store.transaction(|tx| tx.insert_request(&request_record("c@example.org", None)))?;
    assert!(c > b, "a deleted request's id is not handed out again");
    Ok(())
}

/// Certificates found by the id of their public key.
pub fn certificates_by_key(store: &dyn Store) -> Result<()> {
    let f = fixtures()?;
    populate(store, &f)?;
    populate_rest(store, &f)?;
    store.read_transaction(|tx| {
        // The CA and its renewal share a key.
        let ca_key = KeyId::of_public_key_der(f.ca.cert.public_key_der());
        assert_eq!(
            tps(&tx.certificates_by_key(&ca_key)?),
            sorted(&[&f.ca.cert, &f.ca_renewed])
        );
        assert_eq!(
            tps(&tx.certificates_by_key(&f.bob.key.key_id())?),
            sorted(&[&f.bob.cert])
        );
        assert!(
            tx.certificates_by_key(&KeyId::of_public_key_der(b"nothing"))?
                .is_empty()
        );
        Ok(())
    })?;
    store.transaction(|tx| tx.delete_certificate(f.bob.cert.thumbprint()).map(|_| ()))?;
    assert!(
        store
            .read_transaction(|tx| tx.certificates_by_key(&f.bob.key.key_id()))?
            .is_empty()
    );
    Ok(())
}
