use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use crate::cert::Certificate;
use crate::key::KeySpec;
use crate::request::{CSR, RequestOptions, Requests};
use crate::store::MemoryStore;
use crate::time::SystemClock;

fn setup() -> (MemoryStore, Certificate, Certificate) {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let issued = ca
        .issue(
            &IssueSpec::new("a@example.com", "A").key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    (
        store,
        created.root_certificate().clone(),
        issued.certificate().clone(),
    )
}

fn has_key(store: &MemoryStore, cert: &Certificate) -> bool {
    store
        .read_transaction(|tx| tx.has_key(&KeyId::of_public_key_der(cert.public_key_der())))
        .unwrap()
}

#[test]
fn deleting_a_certificate_takes_its_key_unless_something_else_uses_it() {
    let (store, root, cert) = setup();
    let t = *cert.thumbprint();
    let ca_id = store
        .read_transaction(|tx| tx.default_ca())
        .unwrap()
        .unwrap()
        .id;
    // A second certificate on the same key (a renewal, say): the key stays.
    let key = store
        .read_transaction(|tx| tx.key_for_certificate(&t))
        .unwrap()
        .unwrap();
    let again = CertificateAuthority::new(&store)
        .issue_with_key(
            &IssueSpec::new("a@example.com", "A").key(KeySpec::EcP256),
            key,
            &SystemClock,
        )
        .unwrap();
    let d = delete_certificate(&store, &t).unwrap();
    assert!(!d.key_removed);
    assert!(has_key(&store, &cert));
    // The issued record stays for revocation.
    assert!(
        store
            .read_transaction(|tx| tx.issued(ca_id, cert.serial()))
            .unwrap()
            .is_some()
    );
    let d = delete_certificate(&store, again.certificate().thumbprint()).unwrap();
    assert!(d.key_removed);
    assert!(!has_key(&store, &cert));
    assert_eq!(
        delete_certificate(&store, &t).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // The CA's certificate is still referenced.
    let e = delete_certificate(&store, root.thumbprint()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted);
    assert!(
        store
            .read_transaction(|tx| tx.certificate(root.thumbprint()))
            .unwrap()
            .is_some()
    );
}

#[test]
fn a_key_of_a_pending_request_is_kept() {
    let (store, _, _) = setup();
    let r = Requests::new(&store)
        .request(
            &RequestOptions::new("p@example.com", "P")
                .key(KeySpec::EcP256)
                .handler(CSR),
            &SystemClock,
        )
        .unwrap();
    let key_id = r.record().key_id.unwrap();
    // An old certificate on the request's key (made elsewhere) is deleted: the key stays.
    let key = store
        .read_transaction(|tx| tx.key(&key_id))
        .unwrap()
        .unwrap();
    let other = MemoryStore::new();
    let ca = CertificateAuthority::new(&other);
    ca.create(
        &CaSpec::new(DistinguishedName::new("Other")).key(KeySpec::EcP256),
        &SystemClock,
    )
    .unwrap();
    let old = ca
        .issue_with_key(
            &IssueSpec::new("p@example.com", "P").key(KeySpec::EcP256),
            key,
            &SystemClock,
        )
        .unwrap();
    store
        .transaction(|tx| tx.put_certificate(old.certificate()).map(|_| ()))
        .unwrap();
    let d = delete_certificate(&store, old.certificate().thumbprint()).unwrap();
    assert!(!d.key_removed);
    assert!(store.read_transaction(|tx| tx.has_key(&key_id)).unwrap());
}

#[test]
fn trust_anchors_are_removed_unless_a_ca_uses_them() {
    let (store, root, _) = setup();
    let other = MemoryStore::new();
    let created = CertificateAuthority::new(&other)
        .create(
            &CaSpec::new(DistinguishedName::new("Foreign")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let foreign = created.root_certificate();
    store
        .transaction(|tx| tx.put_root(foreign).map(|_| ()))
        .unwrap();
    remove_trust_anchor(&store, foreign.thumbprint()).unwrap();
    assert!(
        !store
            .read_transaction(|tx| tx.is_root(foreign.thumbprint()))
            .unwrap()
    );
    assert_eq!(
        remove_trust_anchor(&store, foreign.thumbprint())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
    let e = remove_trust_anchor(&store, root.thumbprint()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted);
    assert!(
        store
            .read_transaction(|tx| tx.is_root(root.thumbprint()))
            .unwrap()
    );
}

#[test]
fn keys_are_attached_to_their_certificate_and_exported_under_a_passphrase() {
    let (store, root, cert) = setup();
    let t = *cert.thumbprint();
    let key = store
        .read_transaction(|tx| tx.key_for_certificate(&t))
        .unwrap()
        .unwrap();
    let pem = export_key(&store, &t, b"pass phrase", PbeKdf::Pbkdf2Sha256).unwrap();
    assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
    assert!(
        PrivateKey::from_pem(&pem, Some(b"pass phrase"))
            .unwrap()
            .matches(&cert)
    );
    assert_eq!(
        export_key(&store, &t, b"", PbeKdf::Scrypt)
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        export_key(&store, root.thumbprint(), b"x", PbeKdf::Scrypt)
            .unwrap_err()
            .kind(),
        ErrorKind::NotPermitted
    );
    store
        .transaction(|tx| tx.delete_key(&key.key_id()).map(|_| ()))
        .unwrap();
    assert_eq!(
        export_key(&store, &t, b"x", PbeKdf::Scrypt)
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );

    // Wrong password, no password, garbage: refused, nothing stored.
    for (input, pw, kind) in [
        (
            pem.as_bytes().to_vec(),
            Some(&b"wrong"[..]),
            ErrorKind::BadPassword,
        ),
        (pem.as_bytes().to_vec(), None, ErrorKind::InvalidArgument),
        (b"garbage".to_vec(), None, ErrorKind::InvalidKey),
    ] {
        let e = import_key(&store, &input, pw).unwrap_err();
        assert_eq!(e.kind(), kind, "{e}");
    }
    // A key that matches nothing is refused.
    let stranger = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let e = import_key(&store, stranger.to_pkcs8_pem().unwrap().as_bytes(), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::KeyMismatch);
    assert!(!has_key(&store, &cert));

    // Encrypted PKCS#8 PEM and plain PKCS#8 DER both attach.
    let got = import_key(&store, pem.as_bytes(), Some(b"pass phrase")).unwrap();
    assert_eq!(got.certificates, vec![t]);
    assert!(got.newly_stored);
    assert!(has_key(&store, &cert));
    let der = key.to_pkcs8_der().unwrap();
    let again = import_key(&store, &der, None).unwrap();
    assert!(!again.newly_stored);
}
