//! A certificate with its private key and chain, in and out of a [`Store`] as PKCS#12.
//!
//! - [`import_pkcs12`] reads a `.p12` / `.pfx` file (see [`crate::pkcs12`] for the formats
//!   and limits) and stores, in one transaction, the certificate its key belongs to, the key
//!   (sealed by a persistent store) and every chain certificate (as certificates, not trust
//!   anchors: trust is the caller's decision).
//! - [`export_pkcs12`] writes a stored certificate, its stored key and its chain (found in the
//!   store by issuer name and key identifier, up to a self-signed certificate) as a
//!   password-protected PKCS#12 file, the friendly name set to the certificate's email address.
//!
//! ```
//! use hermes_pki::bundle::{export_pkcs12, import_pkcs12};
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::pkcs12::{Pkcs12Options, generate_password};
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let issued = ca.issue(&IssueSpec::new("alice@example.com", "Alice").key(KeySpec::EcP256), &SystemClock)?;
//!
//! let password = generate_password(16)?;
//! let p12 = export_pkcs12(&store, issued.certificate().thumbprint(), &password,
//!     &Pkcs12Options::new().iterations(2048))?;
//!
//! let elsewhere = MemoryStore::new();
//! let imported = import_pkcs12(&elsewhere, &p12, &password)?;
//! assert_eq!(imported.certificate().thumbprint(), issued.certificate().thumbprint());
//! assert_eq!(imported.chain().len(), 1); // the root came along
//! # Ok(())
//! # }
//! ```

use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::key::KeyId;
use crate::pkcs12::{self, Pkcs12Limits, Pkcs12Options};
use crate::store::{ReadTransaction, Store, StoreExt};

/// Longest chain [`export_pkcs12`] follows above the certificate.
const MAX_CHAIN: usize = 8;

/// What [`import_pkcs12`] stored.
#[derive(Debug, Clone)]
pub struct Pkcs12Imported {
    certificate: Certificate,
    key_id: KeyId,
    chain: Vec<Certificate>,
    newly_stored: usize,
}

impl Pkcs12Imported {
    /// The certificate the key belongs to.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// The id of the stored key.
    pub fn key_id(&self) -> KeyId {
        self.key_id
    }

    /// The other certificates of the file (stored as certificates, not trusted).
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// How many of the file's certificates were not in the store before.
    pub fn newly_stored(&self) -> usize {
        self.newly_stored
    }
}

/// Imports a PKCS#12 file into `store` with the default [`Pkcs12Limits`]: the certificate,
/// its key and the chain, in one transaction. A file without a private key is refused
/// ([`Error::Empty`]): import plain certificates with the certificate loaders instead.
///
/// Errors: those of [`pkcs12::import`] (wrong password, altered file, limits, unsupported
/// algorithms), with nothing stored.
pub fn import_pkcs12(store: &dyn Store, data: &[u8], password: &str) -> Result<Pkcs12Imported> {
    import_pkcs12_with_limits(store, data, password, &Pkcs12Limits::default())
}

/// [`import_pkcs12`] with explicit limits.
pub fn import_pkcs12_with_limits(
    store: &dyn Store,
    data: &[u8],
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<Pkcs12Imported> {
    let contents = pkcs12::import_with_limits(data, password, limits)?;
    let (key, certificate, chain) = contents.into_parts();
    let key = key.ok_or(Error::Empty {
        what: "private key in the PKCS#12 file",
    })?;
    let certificate = certificate.ok_or(Error::KeyMismatch)?;
    key.ensure_matches(&certificate)?;
    let newly_stored = store.transaction(|tx| {
        let mut new = usize::from(tx.put_certificate(&certificate)?);
        for c in &chain {
            new += usize::from(tx.put_certificate(c)?);
        }
        tx.put_key(&key)?;
        Ok(new)
    })?;
    Ok(Pkcs12Imported {
        key_id: key.key_id(),
        certificate,
        chain,
        newly_stored,
    })
}

/// Exports the stored certificate `thumbprint` with its stored key and its chain as a
/// PKCS#12 file protected by `password`. Unless `options` names one, the friendly name is
/// the certificate's first email address (else its subject).
///
/// Errors: [`Error::NotFound`] when the certificate or its key is not stored.
pub fn export_pkcs12(
    store: &dyn Store,
    thumbprint: &Thumbprint,
    password: &str,
    options: &Pkcs12Options,
) -> Result<Vec<u8>> {
    let (certificate, key, chain) = store.read_transaction(|tx| {
        let certificate = tx
            .certificate(thumbprint)?
            .ok_or_else(|| Error::NotFound(format!("no certificate {thumbprint}")))?;
        let key = tx.key_for_certificate(thumbprint)?.ok_or_else(|| {
            Error::NotFound(format!(
                "the private key of {} is not in the store",
                certificate.subject()
            ))
        })?;
        let chain = chain_in_store(tx, &certificate)?;
        Ok((certificate, key, chain))
    })?;
    let options = if options.get_friendly_name().is_some() {
        options.clone()
    } else {
        let name = certificate
            .emails()
            .first()
            .cloned()
            .unwrap_or_else(|| certificate.subject().to_string());
        options.clone().friendly_name(name)
    };
    pkcs12::export(&certificate, &key, &chain, password, &options)
}

/// The issuers of `cert` found in the store (certificates and roots), nearest first: matched by
/// issuer name and, when both carry one, authority / subject key identifier, with a verifying
/// signature. Stops at a self-signed certificate, when no issuer is found, or at
/// [`MAX_CHAIN`].
fn chain_in_store(tx: &dyn ReadTransaction, cert: &Certificate) -> Result<Vec<Certificate>> {
    let mut chain: Vec<Certificate> = Vec::new();
    let mut current = cert.clone();
    while chain.len() < MAX_CHAIN && !current.is_self_signed() {
        let mut candidates = tx.certificates_by_subject(current.issuer_der())?;
        candidates.extend(
            tx.roots()?
                .into_iter()
                .filter(|r| r.subject_der() == current.issuer_der()),
        );
        let issuer = candidates.into_iter().find(|c| {
            let ids_fit = match (current.authority_key_id(), c.subject_key_id()) {
                (Some(aki), Some(ski)) => aki == ski,
                _ => true,
            };
            ids_fit && c.thumbprint() != current.thumbprint() && current.verify_issued_by(c).is_ok()
        });
        match issuer {
            Some(i) if !chain.iter().any(|c| c.thumbprint() == i.thumbprint()) => {
                chain.push(i.clone());
                current = i;
            }
            _ => break,
        }
    }
    Ok(chain)
}

#[cfg(test)]
mod tests;
