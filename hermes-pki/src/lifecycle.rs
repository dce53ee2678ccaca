//! The certificate store's lifecycle operations an admin needs besides import and issuance:
//! delete a certificate, remove a trust anchor, attach a private key held as a file to the
//! stored certificate it belongs to, and export a stored key again under a passphrase.
//!
//! Each is one store transaction; a refusal changes nothing.
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::{KeySpec, PbeKdf};
//! use hermes_pki::lifecycle;
//! use hermes_pki::store::{MemoryStore, StoreExt};
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let issued = ca.issue(&IssueSpec::new("a@example.com", "A").key(KeySpec::EcP256), &SystemClock)?;
//! let t = *issued.certificate().thumbprint();
//!
//! // Export the key under a passphrase, delete the certificate (its key goes with it), put
//! // the certificate back and attach the key again from the file.
//! let pem = lifecycle::export_key(&store, &t, b"secret", PbeKdf::Scrypt)?;
//! let deleted = lifecycle::delete_certificate(&store, &t)?;
//! assert!(deleted.key_removed);
//! store.transaction(|tx| tx.put_certificate(issued.certificate()).map(|_| ()))?;
//! let attached = lifecycle::import_key(&store, pem.as_bytes(), Some(b"secret"))?;
//! assert_eq!(attached.certificates, vec![t]);
//! # Ok(())
//! # }
//! ```

use crate::cert::Thumbprint;
use crate::error::{Error, Result};
use crate::key::{KeyId, PbeKdf, PrivateKey};
use crate::store::{ReadTransaction, RequestStatus, Store, StoreExt};

/// What [`delete_certificate`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeletedCertificate {
    /// Whether the certificate's private key went with it (no other stored certificate and no
    /// pending request uses it).
    pub key_removed: bool,
}

/// What [`import_key`] attached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyImported {
    /// The key's id.
    pub key_id: KeyId,
    /// The stored certificates it belongs to, in thumbprint order.
    pub certificates: Vec<Thumbprint>,
    /// Whether the key was not stored before.
    pub newly_stored: bool,
}

/// The CA record whose current certificate is `t`, if any.
fn ca_of(tx: &dyn ReadTransaction, t: &Thumbprint) -> Result<Option<crate::store::CaRecord>> {
    Ok(tx.cas()?.into_iter().find(|c| c.certificate == *t))
}

/// Deletes a stored certificate. Its private key is deleted too unless another stored
/// certificate or a pending request uses it. The issued record of a certificate the store's CA
/// issued stays (the serial can still be revoked); a trust anchor entry for it is not touched
/// (see [`remove_trust_anchor`]).
///
/// Errors: [`Error::NotFound`] for a certificate that is not stored; [`Error::NotPermitted`]
/// for the certificate of a CA of the store (delete the CA instead).
pub fn delete_certificate<S: Store + ?Sized>(
    store: &S,
    thumbprint: &Thumbprint,
) -> Result<DeletedCertificate> {
    store.transaction(|tx| {
        let cert = tx
            .certificate(thumbprint)?
            .ok_or_else(|| Error::NotFound(format!("no certificate {thumbprint} in the store")))?;
        if let Some(ca) = ca_of(tx, thumbprint)? {
            return Err(Error::NotPermitted(format!(
                "{} is the certificate of CA {} ({}); it is still referenced: delete the CA \
                 instead",
                cert.subject(),
                ca.id,
                ca.name
            )));
        }
        tx.delete_certificate(thumbprint)?;
        let key_id = KeyId::of_public_key_der(cert.public_key_der());
        let used = !tx.certificates_by_key(&key_id)?.is_empty()
            || tx
                .requests_by_key(&key_id)?
                .iter()
                .any(|r| r.status == RequestStatus::Pending);
        let key_removed = !used && tx.delete_key(&key_id)?;
        Ok(DeletedCertificate { key_removed })
    })
}

/// Removes a trust anchor (the certificate itself stays in the certificate store if it is
/// there).
///
/// Errors: [`Error::NotFound`] when it is not a trust anchor; [`Error::NotPermitted`] for the
/// certificate of a CA of the store (delete the CA instead).
pub fn remove_trust_anchor<S: Store + ?Sized>(store: &S, thumbprint: &Thumbprint) -> Result<()> {
    store.transaction(|tx| {
        if !tx.is_root(thumbprint)? {
            return Err(Error::NotFound(format!(
                "{thumbprint} is not a trust anchor of the store"
            )));
        }
        if let Some(ca) = ca_of(tx, thumbprint)? {
            return Err(Error::NotPermitted(format!(
                "this trust anchor is the certificate of CA {} ({}); it is still referenced: \
                 delete the CA instead",
                ca.id, ca.name
            )));
        }
        tx.delete_root(thumbprint)?;
        Ok(())
    })
}

/// Attaches a private key (PEM or DER: PKCS#8, encrypted PKCS#8 with `password`, PKCS#1 RSA,
/// SEC1 EC) to the stored certificates it belongs to.
///
/// Errors (nothing stored): the key does not parse ([`Error::InvalidKey`]); a wrong password
/// ([`Error::BadPassword`]); an encrypted key without a password ([`Error::InvalidArgument`]);
/// it belongs to no stored certificate ([`Error::KeyMismatch`]).
pub fn import_key<S: Store + ?Sized>(
    store: &S,
    input: &[u8],
    password: Option<&[u8]>,
) -> Result<KeyImported> {
    let key = PrivateKey::from_bytes(input, password).map_err(|e| match e {
        Error::BadPassword | Error::LimitExceeded(_) | Error::Unsupported { .. } => e,
        Error::InvalidArgument(ref m) if m.contains("password") => e,
        other => Error::InvalidKey(other.to_string()),
    })?;
    let key_id = key.key_id();
    store.transaction(|tx| {
        let certs: Vec<Thumbprint> = tx
            .certificates_by_key(&key_id)?
            .into_iter()
            .filter(|c| key.matches(c))
            .map(|c| *c.thumbprint())
            .collect();
        if certs.is_empty() {
            return Err(Error::KeyMismatch);
        }
        let newly_stored = !tx.has_key(&key_id)?;
        tx.put_key(&key)?;
        Ok(KeyImported {
            key_id,
            certificates: certs,
            newly_stored,
        })
    })
}

/// The private key of stored certificate `thumbprint` as encrypted PKCS#8 PEM (PBES2,
/// AES-256-CBC, `kdf`) under `passphrase`: a key imported with a passphrase leaves the store
/// protected by a passphrase again.
///
/// Errors: [`Error::NotFound`] when the certificate or its key is not stored;
/// [`Error::InvalidArgument`] for an empty passphrase.
pub fn export_key<S: Store + ?Sized>(
    store: &S,
    thumbprint: &Thumbprint,
    passphrase: &[u8],
    kdf: PbeKdf,
) -> Result<String> {
    if passphrase.is_empty() {
        return Err(Error::InvalidArgument(
            "a private key is exported under a passphrase; give one".into(),
        ));
    }
    let key = store.read_transaction(|tx| {
        if let Some(ca) = ca_of(tx, thumbprint)? {
            return Err(Error::NotPermitted(format!(
                "this is the key of CA {} ({}); export it with the CA's export-key, which the \
                 configuration must allow",
                ca.id, ca.name
            )));
        }
        tx.key_for_certificate(thumbprint)?.ok_or_else(|| {
            Error::NotFound(format!(
                "the private key of certificate {thumbprint} is not in the store"
            ))
        })
    })?;
    key.to_encrypted_pkcs8_pem(passphrase, kdf)
}

#[cfg(test)]
mod tests {
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
}
