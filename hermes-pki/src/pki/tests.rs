//! The facade's pass-throughs: certificates, anchors, trust list, validation with the store's
//! settings.

use std::time::SystemTime;

use super::Pki;
use crate::ErrorKind;
use crate::ca::{CaSpec, DistinguishedName, IssueSpec};
use crate::key::KeySpec;
use crate::store::{CtlEntry, CtlStatus, MemoryStore, StoreExt};
use crate::time::SystemClock;
use crate::trust::{LeafPolicy, Reason};

#[test]
fn certificates_anchors_trust_list_and_validation_pass_through() {
    // A CA in one store; a gateway (another store) that knows nothing yet.
    let issuer = Pki::new(MemoryStore::new());
    let created = issuer
        .ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Partner Root")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let root = created.root_certificate().clone();
    let dave = issuer
        .ca()
        .issue(
            &IssueSpec::new("dave@partner.example", "Dave").key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap()
        .certificate()
        .clone();
    let gateway = Pki::new(MemoryStore::new());
    let now = SystemTime::now();

    // Not trusted yet; a certificate that is no CA cannot become an anchor.
    let v = gateway
        .validate(&dave, LeafPolicy::SmimeEncryption, now, &[])
        .unwrap();
    assert!(
        matches!(v.reasons(), [Reason::NoPathToTrustAnchor { .. }]),
        "{v:?}"
    );
    let err = gateway.add_trust_anchor(&dave).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotCa);
    assert!(gateway.trust_list().unwrap().is_empty());

    // Import (one garbage entry among good ones is reported, the good ones are kept).
    let mut input = root.to_pem().into_bytes();
    input.extend_from_slice(b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    input.extend_from_slice(dave.to_pem().as_bytes());
    let report = gateway.import_certificates(&input).unwrap();
    assert_eq!(report.certificates.len(), 2);
    assert_eq!(report.problems.len(), 1);
    let stored = gateway
        .store()
        .read_transaction(|tx| tx.certificate(dave.thumbprint()))
        .unwrap();
    assert!(stored.is_some());

    gateway.add_trust_anchor(&root).unwrap();
    let v = gateway
        .validate(&dave, LeafPolicy::SmimeEncryption, now, &[])
        .unwrap();
    assert!(v.is_valid(), "{v:?}");

    // Blacklisting on the trust list is honoured by validation at once; removing it undoes it.
    gateway
        .set_trust_list_entry(&CtlEntry {
            thumbprint: *dave.thumbprint(),
            status: CtlStatus::Blacklisted,
            allow_expired: false,
        })
        .unwrap();
    assert_eq!(gateway.trust_list().unwrap().len(), 1);
    let v = gateway
        .validate(&dave, LeafPolicy::SmimeEncryption, now, &[])
        .unwrap();
    assert!(matches!(v.reasons(), [Reason::Blacklisted { .. }]), "{v:?}");
    assert!(gateway.remove_trust_list_entry(dave.thumbprint()).unwrap());
    assert!(!gateway.remove_trust_list_entry(dave.thumbprint()).unwrap());
    assert!(
        gateway
            .validate(&dave, LeafPolicy::SmimeEncryption, now, &[])
            .unwrap()
            .is_valid()
    );
}

/// The facade is shared between threads as it is (`&Pki` from several threads, or in an
/// `Arc`): a gateway serves messages on every core through one `Pki`. A compile-time check.
#[test]
fn pki_is_send_and_sync() {
    fn shareable<T: Send + Sync>() {}
    shareable::<Pki>();
    shareable::<crate::key::PrivateKey>();
}
