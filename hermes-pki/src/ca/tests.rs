use super::*;
use crate::store::{CtlStatus, MemoryStore};
use crate::time::{FixedClock, from_unix_seconds, unix_seconds};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn clock() -> FixedClock {
    FixedClock(from_unix_seconds(NOW))
}

fn ec_root(name: &str) -> CaSpec {
    CaSpec::new(
        DistinguishedName::new(name)
            .organization("Example")
            .country("DE"),
    )
    .key(KeySpec::EcP256)
}

fn alice() -> IssueSpec {
    IssueSpec::new("Alice@Example.COM", "Alice Example").key(KeySpec::EcP256)
}

/// Everything a refusal must leave as it was.
#[derive(Debug, PartialEq)]
struct Snapshot {
    cas: Vec<CaRecord>,
    certs: u64,
    roots: Vec<crate::cert::Thumbprint>,
    ctl: Vec<CtlEntry>,
    issued: Vec<IssuedRecord>,
}

fn snapshot(store: &MemoryStore) -> Snapshot {
    store
        .read_transaction(|tx| {
            let cas = tx.cas()?;
            let mut issued = Vec::new();
            for c in &cas {
                issued.extend(tx.issued_by(c.id)?);
            }
            Ok(Snapshot {
                certs: tx.count_certificates()?,
                roots: tx.roots()?.iter().map(|c| *c.thumbprint()).collect(),
                ctl: tx.ctl_entries()?,
                cas,
                issued,
            })
        })
        .unwrap()
}

#[test]
fn root_ca_has_the_ca_profile_and_is_trusted() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca.create(&ec_root("Example Root CA"), &clock()).unwrap();
    let root = created.root();
    assert!(created.intermediate().is_none());
    assert_eq!(created.issuing().id, root.id);
    assert!(root.is_default, "the first CA is the default");
    assert!(!root.imported);
    assert_eq!(root.name, "Example Root CA");
    let cert = created.root_certificate();
    assert_eq!(cert.subject(), "CN=Example Root CA,O=Example,C=DE");
    assert!(cert.is_self_signed());
    assert_eq!(
        cert.basic_constraints(),
        Some(crate::cert::BasicConstraints {
            ca: true,
            path_len: Some(0)
        })
    );
    let ku = cert.key_usage().unwrap();
    assert!(ku.key_cert_sign && ku.crl_sign);
    assert!(!ku.digital_signature && !ku.key_encipherment);
    assert_eq!(cert.subject_key_id().unwrap().len(), 20);
    assert_eq!(cert.subject_key_id(), cert.authority_key_id());
    assert_eq!(cert.serial().as_bytes().len(), 16);
    assert_eq!(unix_seconds(cert.not_before()), NOW);
    assert_eq!(
        crate::time::to_rfc3339(cert.not_after()),
        "2031-01-01T00:00:00Z",
        "5 years by default"
    );
    store
        .read_transaction(|tx| {
            assert!(tx.is_root(cert.thumbprint())?);
            assert_eq!(
                tx.ctl_entry(cert.thumbprint())?.map(|e| e.status),
                Some(CtlStatus::Whitelisted)
            );
            assert!(tx.certificate(cert.thumbprint())?.is_some());
            let key = tx.key_for_certificate(cert.thumbprint())?.unwrap();
            assert!(key.matches(cert));
            Ok(())
        })
        .unwrap();
}

#[test]
fn root_with_intermediate_issues_from_the_intermediate() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let spec = ec_root("Root").intermediate(DistinguishedName::new("Mail CA").country("NL"));
    let created = ca.create(&spec, &clock()).unwrap();
    let inter = created.intermediate().unwrap();
    let root_cert = created.root_certificate();
    let inter_cert = created.issuing_certificate();
    assert_eq!(inter.parent, Some(created.root().id));
    assert!(inter.is_default && !ca.get(created.root().id).unwrap().is_default);
    assert_eq!(root_cert.basic_constraints().unwrap().path_len, Some(1));
    assert_eq!(inter_cert.basic_constraints().unwrap().path_len, Some(0));
    assert_eq!(inter_cert.issuer_der(), root_cert.subject_der());
    assert_eq!(inter_cert.authority_key_id(), root_cert.subject_key_id());
    inter_cert.verify_issued_by(root_cert).unwrap();
    assert!(!inter_cert.is_self_signed());
    // The intermediate is recorded as issued by the root, and trusted itself.
    let issued = ca.issued(created.root().id).unwrap();
    assert_eq!(issued.len(), 1);
    assert_eq!(issued[0].serial, *inter_cert.serial());
    assert_eq!(issued[0].email, None);
    assert_eq!(store.read_transaction(|tx| tx.roots()).unwrap().len(), 2);
    assert_eq!(
        ca.chain(inter.id)
            .unwrap()
            .iter()
            .map(|c| *c.thumbprint())
            .collect::<Vec<_>>(),
        vec![*inter_cert.thumbprint(), *root_cert.thumbprint()]
    );
    // End-user certificates come from the intermediate.
    let issued = ca.issue(&alice(), &clock()).unwrap();
    issued.certificate().verify_issued_by(inter_cert).unwrap();
    assert_eq!(issued.record().ca, inter.id);
    assert_eq!(issued.chain().len(), 2);
}

#[test]
fn exactly_one_default() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let a = ca.create(&ec_root("A"), &clock()).unwrap().root().id;
    let b = ca.create(&ec_root("B"), &clock()).unwrap().root().id;
    assert_eq!(
        ca.default_ca().unwrap().unwrap().id,
        a,
        "not asked: unchanged"
    );
    let c = ca
        .create(&ec_root("C").make_default(true), &clock())
        .unwrap()
        .root()
        .id;
    assert_eq!(ca.default_ca().unwrap().unwrap().id, c);
    ca.set_default(b).unwrap();
    let defaults: Vec<CaId> = ca
        .list()
        .unwrap()
        .iter()
        .filter(|r| r.is_default)
        .map(|r| r.id)
        .collect();
    assert_eq!(defaults, vec![b]);
    let before = snapshot(&store);
    let missing = CaId::new(999).unwrap();
    assert_eq!(
        ca.set_default(missing).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(snapshot(&store), before);
    // Deleting the default hands the flag to the lowest remaining id.
    ca.delete(b).unwrap();
    assert_eq!(ca.default_ca().unwrap().unwrap().id, a);
    assert_eq!(ca.find("c").unwrap().id, c);
    assert_eq!(ca.find(&a.to_string()).unwrap().id, a);
    assert_eq!(ca.find("nope").unwrap_err().kind(), ErrorKind::NotFound);
}

#[test]
fn create_refusals_store_nothing() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    ca.create(&ec_root("Taken"), &clock()).unwrap();
    let before = snapshot(&store);
    let cases: Vec<(CaSpec, ErrorKind)> = vec![
        (ec_root("TAKEN"), ErrorKind::Duplicate),
        (
            ec_root("Fresh").intermediate(DistinguishedName::new("taken")),
            ErrorKind::Duplicate,
        ),
        (
            ec_root("Same").intermediate(DistinguishedName::new("same")),
            ErrorKind::InvalidArgument,
        ),
        (ec_root("Bad <name>"), ErrorKind::InvalidArgument),
        (
            CaSpec::new(DistinguishedName::new("X").country("ZZ")).key(KeySpec::EcP256),
            ErrorKind::InvalidArgument,
        ),
        (ec_root("Zero").years(0), ErrorKind::InvalidArgument),
        (ec_root("Six").years(6), ErrorKind::InvalidArgument),
        (ec_root("Weak").key(KeySpec::Rsa(1024)), ErrorKind::Weak),
        (
            ec_root("Odd").key(KeySpec::Rsa(8192)),
            ErrorKind::InvalidArgument,
        ),
        (ec_root("Sha1").hash(HashAlg::Sha1), ErrorKind::Weak),
        (ec_root("Ed").key(KeySpec::Ed25519), ErrorKind::Unsupported),
    ];
    for (spec, kind) in cases {
        let e = ca.create(&spec, &clock()).unwrap_err();
        assert_eq!(e.kind(), kind, "{spec:?}: {e}");
        assert_eq!(snapshot(&store), before, "{spec:?} changed the store");
    }
    let e = ca
        .create(&ec_root("Weak").key(KeySpec::Rsa(1024)), &clock())
        .unwrap_err();
    assert!(e.to_string().contains("1024"), "{e}");
}

#[test]
fn issued_certificate_has_the_smime_profile() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca.create(&ec_root("Root"), &clock()).unwrap();
    let spec = alice()
        .organization("Example")
        .given_name("Alice")
        .surname("Example")
        .days(30)
        .crl_distribution_point("http://crl.example.com/root.crl");
    let issued = ca.issue(&spec, &clock()).unwrap();
    let cert = issued.certificate();
    assert_eq!(cert.emails(), ["Alice@example.com"]);
    assert!(
        cert.subject().contains("CN=Alice Example"),
        "{}",
        cert.subject()
    );
    assert!(cert.subject().contains("O=Example"));
    assert!(!cert.is_ca());
    assert_eq!(cert.basic_constraints().map(|b| b.ca), Some(false));
    let ku = cert.key_usage().unwrap();
    assert!(ku.digital_signature && ku.key_agreement && ku.key_encipherment && !ku.key_cert_sign);
    assert_eq!(
        cert.extended_key_usage().unwrap(),
        [crate::cert::Eku::EMAIL_PROTECTION]
    );
    assert!(cert.usable_for_signing().is_ok());
    assert!(cert.usable_for_encryption().is_ok());
    assert_eq!(
        cert.crl_distribution_points(),
        ["http://crl.example.com/root.crl"]
    );
    assert_eq!(
        cert.authority_key_id(),
        created.root_certificate().subject_key_id()
    );
    assert!(cert.subject_key_id().is_some());
    cert.verify_issued_by(created.root_certificate()).unwrap();
    assert_eq!(unix_seconds(cert.not_after()) - NOW, 30 * 86_400);
    assert!(issued.key().matches(cert));
    // Stored: the certificate, its key, the record.
    let record = issued.record();
    assert_eq!(record.email.as_deref(), Some("Alice@example.com"));
    assert_eq!(record.thumbprint, *cert.thumbprint());
    assert_eq!(record.serial, *cert.serial());
    assert_eq!(unix_seconds(record.issued_at), NOW);
    store
        .read_transaction(|tx| {
            assert_eq!(
                tx.issued(created.root().id, cert.serial())?.as_ref(),
                Some(record)
            );
            assert!(tx.key_for_certificate(cert.thumbprint())?.is_some());
            assert_eq!(tx.certificates_by_email("Alice@EXAMPLE.com")?.len(), 1);
            assert!(
                !tx.is_root(cert.thumbprint())?,
                "an end-user certificate is no anchor"
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn rsa_certificates_use_key_encipherment_and_validity_is_capped_by_the_ca() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let root = ca
        .create(
            &CaSpec::new(DistinguishedName::new("RSA Root"))
                .key(KeySpec::Rsa(2048))
                .years(1)
                .hash(HashAlg::Sha384),
            &clock(),
        )
        .unwrap();
    assert_eq!(
        root.root_certificate().x509().signature_algorithm().oid,
        oid::SHA384_WITH_RSA
    );
    let issued = ca
        .issue(
            &IssueSpec::new("bob@example.org", "Bob").days(3650),
            &clock(),
        )
        .unwrap();
    let cert = issued.certificate();
    let ku = cert.key_usage().unwrap();
    assert!(ku.digital_signature && ku.key_encipherment && !ku.key_agreement);
    assert_eq!(cert.key_algorithm(), KeyAlgorithm::Rsa { bits: 2048 });
    assert_eq!(
        cert.not_after(),
        root.root_certificate().not_after(),
        "cut at the CA's notAfter"
    );
    assert_eq!(cert.x509().signature_algorithm().oid, oid::SHA256_WITH_RSA);
}

#[test]
fn serials_are_unique_and_random() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let id = ca.create(&ec_root("Root"), &clock()).unwrap().root().id;
    let mut serials = std::collections::HashSet::new();
    for i in 0..40 {
        let spec = IssueSpec::new(format!("user{i}@example.com"), format!("User {i}"))
            .key(KeySpec::EcP256);
        let s = ca
            .issue(&spec, &clock())
            .unwrap()
            .certificate()
            .serial()
            .clone();
        assert!(s.as_bytes()[0] & 0x80 == 0, "positive");
        assert!(serials.insert(s));
    }
    assert_eq!(ca.issued(id).unwrap().len(), 40);
}

#[test]
fn issue_refusals_store_nothing() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    assert_eq!(
        ca.issue(&alice(), &clock()).unwrap_err().kind(),
        ErrorKind::NotFound,
        "no CA yet"
    );
    ca.create(&ec_root("Root").years(1), &clock()).unwrap();
    let before = snapshot(&store);
    let cases: Vec<(IssueSpec, ErrorKind)> = vec![
        (
            IssueSpec::new("not-an-address", "X"),
            ErrorKind::InvalidArgument,
        ),
        (IssueSpec::new("a@b@c", "X"), ErrorKind::InvalidArgument),
        (
            IssueSpec::new("a@example.com", ""),
            ErrorKind::InvalidArgument,
        ),
        (
            IssueSpec::new("a@example.com", "X;Y"),
            ErrorKind::InvalidArgument,
        ),
        (alice().days(0), ErrorKind::InvalidArgument),
        (alice().days(3651), ErrorKind::InvalidArgument),
        (alice().key(KeySpec::Rsa(1024)), ErrorKind::Weak),
        (alice().key(KeySpec::Ed25519), ErrorKind::Unsupported),
        (alice().hash(HashAlg::Sha1), ErrorKind::Weak),
        (
            alice().crl_distribution_point("ftp://x/y.crl"),
            ErrorKind::InvalidArgument,
        ),
        (
            alice().crl_distribution_point("http://"),
            ErrorKind::InvalidArgument,
        ),
        (alice().ca(CaId::new(77).unwrap()), ErrorKind::NotFound),
    ];
    for (spec, kind) in cases {
        let e = ca.issue(&spec, &clock()).unwrap_err();
        assert_eq!(e.kind(), kind, "{spec:?}: {e}");
        assert_eq!(snapshot(&store), before);
    }
    // An expired CA does not issue.
    let later = FixedClock(add_years(from_unix_seconds(NOW), 2));
    let e = ca.issue(&alice(), &later).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("renew"), "{e}");
    assert_eq!(snapshot(&store), before);
}

#[test]
fn renewal_keeps_key_subject_and_ski_and_old_certificates_still_chain() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca.create(&ec_root("Root").years(1), &clock()).unwrap();
    let id = created.root().id;
    let old = created.root_certificate().clone();
    let issued = ca.issue(&alice(), &clock()).unwrap();

    let later = FixedClock(add_days(from_unix_seconds(NOW), 100));
    let renewed = ca.renew(id, &later).unwrap();
    assert_eq!(renewed.subject_der(), old.subject_der());
    assert_eq!(renewed.public_key_der(), old.public_key_der());
    assert_eq!(renewed.subject_key_id(), old.subject_key_id());
    assert_ne!(renewed.serial(), old.serial());
    assert!(renewed.is_self_signed());
    assert_eq!(renewed.basic_constraints(), old.basic_constraints());
    // notAfter + 5 years (2032-01-01) is more than 1825 days after "later".
    assert_eq!(renewed.not_after(), add_years(old.not_after(), 5));
    assert_eq!(renewed.not_before(), later.0);
    issued.certificate().verify_issued_by(&renewed).unwrap();
    // Replaced everywhere.
    assert_eq!(ca.get(id).unwrap().certificate, *renewed.thumbprint());
    store
        .read_transaction(|tx| {
            assert!(!tx.is_root(old.thumbprint())?);
            assert!(tx.is_root(renewed.thumbprint())?);
            assert!(tx.ctl_entry(old.thumbprint())?.is_none());
            assert!(tx.ctl_entry(renewed.thumbprint())?.is_some());
            assert!(tx.certificate(old.thumbprint())?.is_none());
            assert!(tx.key_for_certificate(renewed.thumbprint())?.is_some());
            Ok(())
        })
        .unwrap();
    // Renewed long after expiry, the 1825-days-from-now floor applies.
    let much_later = FixedClock(add_years(renewed.not_after(), 3));
    let again = ca.renew(id, &much_later).unwrap();
    assert_eq!(again.not_after(), add_days(much_later.0, 1825));
    assert!(again.not_after() > add_years(renewed.not_after(), 5));
    // It still issues.
    ca.issue(
        &IssueSpec::new("bob@example.org", "Bob").key(KeySpec::EcP256),
        &much_later,
    )
    .unwrap();
}

#[test]
fn intermediate_renewal_is_signed_by_its_root() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &ec_root("Root").intermediate(DistinguishedName::new("Mail CA")),
            &clock(),
        )
        .unwrap();
    let root_id = created.root().id;
    let inter_id = created.issuing().id;
    let issued = ca.issue(&alice(), &clock()).unwrap();
    let renewed = ca.renew(inter_id, &clock()).unwrap();
    renewed
        .verify_issued_by(created.root_certificate())
        .unwrap();
    issued.certificate().verify_issued_by(&renewed).unwrap();
    let records = ca.issued(root_id).unwrap();
    assert_eq!(records.len(), 1, "the old record was replaced");
    assert_eq!(records[0].serial, *renewed.serial());
}

#[test]
fn delete_rules() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &ec_root("Root").intermediate(DistinguishedName::new("Mail CA")),
            &clock(),
        )
        .unwrap();
    let root = created.root().id;
    let inter = created.issuing().id;
    ca.issue(&alice(), &clock()).unwrap();
    let before = snapshot(&store);
    let e = ca.delete(inter).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.to_string().contains("1 issued certificate"), "{e}");
    let e = ca.delete(root).unwrap_err();
    assert!(e.to_string().contains("delete that one first"), "{e}");
    assert_eq!(snapshot(&store), before);

    // A CA without issued certificates goes entirely.
    let other = ca.create(&ec_root("Other"), &clock()).unwrap();
    let cert = other.root_certificate().clone();
    ca.delete(other.root().id).unwrap();
    assert_eq!(snapshot(&store), before);
    store
        .read_transaction(|tx| {
            assert!(tx.key_for_certificate(cert.thumbprint())?.is_none());
            assert!(!tx.has_key(&crate::key::KeyId::of_public_key_der(cert.public_key_der()))?);
            Ok(())
        })
        .unwrap();
    assert_eq!(
        ca.delete(other.root().id).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn import_accepts_a_ca_and_refuses_each_bad_input_with_its_own_kind() {
    // Make the external CA in another store, with key export enabled there.
    let elsewhere = MemoryStore::new();
    let other =
        CertificateAuthority::with_config(&elsewhere, CaConfig::new().allow_key_export(true));
    let made = other.create(&ec_root("External CA"), &clock()).unwrap();
    let ca_pem = made.root_certificate().to_pem();
    let ca_key = other.export_key(made.root().id).unwrap();
    let key_pem = ca_key.to_pkcs8_pem().unwrap();
    let user = other.issue(&alice(), &clock()).unwrap();
    let user_pem = user.certificate().to_pem();
    let user_key = user.key().to_pkcs8_pem().unwrap();
    let wrong_key = PrivateKey::generate(KeySpec::EcP256)
        .unwrap()
        .to_pkcs8_pem()
        .unwrap();

    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    ca.create(&ec_root("Local"), &clock()).unwrap();
    let before = snapshot(&store);
    let cases: Vec<(&[u8], &[u8], ErrorKind)> = vec![
        (b"garbage", key_pem.as_bytes(), ErrorKind::Parse),
        (ca_pem.as_bytes(), b"garbage", ErrorKind::InvalidKey),
        (
            ca_pem.as_bytes(),
            wrong_key.as_bytes(),
            ErrorKind::KeyMismatch,
        ),
        (user_pem.as_bytes(), user_key.as_bytes(), ErrorKind::NotCa),
    ];
    for (cert, key, kind) in cases {
        let e = ca.import(cert, key, None, false, &clock()).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
        assert_eq!(snapshot(&store), before);
    }
    // An encrypted key with the wrong password.
    let encrypted = ca_key
        .to_encrypted_pkcs8_pem(b"secret", crate::key::PbeKdf::Pbkdf2Sha256)
        .unwrap();
    let e = ca
        .import(
            ca_pem.as_bytes(),
            encrypted.as_bytes(),
            Some(b"wrong"),
            false,
            &clock(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadPassword);
    assert_eq!(snapshot(&store), before);

    let record = ca
        .import(
            ca_pem.as_bytes(),
            encrypted.as_bytes(),
            Some(b"secret"),
            true,
            &clock(),
        )
        .unwrap();
    assert!(record.imported && record.is_default);
    assert_eq!(record.name, "External CA");
    assert_eq!(
        ca.list().unwrap().iter().filter(|c| c.is_default).count(),
        1
    );
    store
        .read_transaction(|tx| {
            let t = made.root_certificate().thumbprint();
            assert!(tx.is_root(t)?);
            assert_eq!(
                tx.ctl_entry(t)?.map(|e| e.status),
                Some(CtlStatus::Whitelisted)
            );
            Ok(())
        })
        .unwrap();
    // Issue from it; and importing it again is a duplicate.
    let issued = ca.issue(&alice(), &clock()).unwrap();
    issued
        .certificate()
        .verify_issued_by(made.root_certificate())
        .unwrap();
    let before = snapshot(&store);
    let e = ca
        .import(ca_pem.as_bytes(), key_pem.as_bytes(), None, false, &clock())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Duplicate);
    assert_eq!(snapshot(&store), before);
}

#[test]
fn ca_key_export_is_off_unless_enabled() {
    let store = MemoryStore::new();
    let id = CertificateAuthority::new(&store)
        .create(&ec_root("Root"), &clock())
        .unwrap()
        .root()
        .id;
    let e = CertificateAuthority::new(&store)
        .export_key(id)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted);
    assert!(e.to_string().contains("allow_key_export"), "{e}");
    let ca = CertificateAuthority::with_config(&store, CaConfig::new().allow_key_export(true));
    let key = ca.export_key(id).unwrap();
    assert!(key.matches(&ca.certificate(id).unwrap()));
}
