use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use crate::key::KeySpec;
use crate::store::MemoryStore;
use crate::time::SystemClock;

fn fast() -> Pkcs12Options {
    Pkcs12Options::new().iterations(1000)
}

#[test]
fn issued_certificate_round_trips_with_its_chain_and_email_friendly_name() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Mail CA")),
            &SystemClock,
        )
        .unwrap();
    let issued = ca
        .issue(
            &IssueSpec::new("bob@example.org", "Bob").key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let t = issued.certificate().thumbprint();
    for options in [fast(), fast().legacy(true)] {
        let p12 = export_pkcs12(&store, t, "pw", &options).unwrap();
        let contents = pkcs12::import(&p12, "pw").unwrap();
        assert_eq!(contents.friendly_name(), Some("bob@example.org"));
        let chain: Vec<_> = contents.chain().iter().map(|c| *c.thumbprint()).collect();
        assert_eq!(
            chain.len(),
            2,
            "intermediate and root travel with the certificate"
        );
        assert!(chain.contains(created.issuing_certificate().thumbprint()));
        assert!(chain.contains(created.root_certificate().thumbprint()));

        let other = MemoryStore::new();
        let imported = import_pkcs12(&other, &p12, "pw").unwrap();
        assert_eq!(imported.certificate().thumbprint(), t);
        assert_eq!(imported.newly_stored(), 3);
        other
            .read_transaction(|tx| {
                let key = tx.key_for_certificate(t)?.unwrap();
                assert!(key.matches(issued.certificate()));
                assert_eq!(tx.count_certificates()?, 3);
                assert!(tx.roots()?.is_empty(), "import does not decide trust");
                Ok(())
            })
            .unwrap();
        // Importing again adds nothing.
        assert_eq!(import_pkcs12(&other, &p12, "pw").unwrap().newly_stored(), 0);
    }
    let named = export_pkcs12(&store, t, "pw", &fast().friendly_name("Bob's key")).unwrap();
    assert_eq!(
        pkcs12::import(&named, "pw").unwrap().friendly_name(),
        Some("Bob's key")
    );
}

#[test]
fn refusals_store_nothing() {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    ca.create(
        &CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256),
        &SystemClock,
    )
    .unwrap();
    let issued = ca
        .issue(
            &IssueSpec::new("bob@example.org", "Bob").key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let p12 = export_pkcs12(&store, issued.certificate().thumbprint(), "pw", &fast()).unwrap();
    let other = MemoryStore::new();
    let e = import_pkcs12(&other, &p12, "wrong").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadPassword);
    let e = import_pkcs12(&other, b"garbage", "pw").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    assert_eq!(
        other
            .read_transaction(|tx| tx.count_certificates())
            .unwrap(),
        0
    );
    // A certificate without a stored key cannot be exported.
    other
        .transaction(|tx| tx.put_certificate(issued.certificate()).map(|_| ()))
        .unwrap();
    let e = export_pkcs12(&other, issued.certificate().thumbprint(), "pw", &fast()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
    let missing = crate::cert::Thumbprint::of(b"nothing");
    let e = export_pkcs12(&store, &missing, "pw", &fast()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound);
}
