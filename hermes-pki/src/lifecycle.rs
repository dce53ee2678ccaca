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
mod tests;
