//! Certificate revocation lists (REQUIREMENTS.md section 4): import and validate CRLs, keep them
//! in the store's CRL store with their serials indexed, answer revocation questions for the
//! trust engine, and fetch CRLs from distribution points.
//!
//! - [`Crl`]: a parsed CRL (DER or PEM; [`parse_crls`] reads many from one file).
//! - [`Crls`]: the CRL store of a [`Store`](crate::store::Store): [`import`](Crls::import)
//!   checks each CRL (signature by its issuer, the issuer chains to a trust anchor and may sign
//!   CRLs, sane dates, no unknown critical extension) and stores it; an invalid CRL is kept
//!   with the reason and never used; a CRL replaces a stored one of the same issuer and scope
//!   only when it is newer (CRL number, else thisUpdate).
//! - [`CrlChecker`]: the [`RevocationChecker`](crate::revocation::RevocationChecker) over the
//!   store's valid CRLs, with distribution points, issuingDistributionPoint scopes, CRLs
//!   partitioned by reason, indirect CRLs and delta CRLs as RFC 5280 section 6.3 says. A
//!   [`Validator`](crate::trust::Validator) over a store uses it unless told otherwise:
//!   [`Validator::new`](crate::trust::Validator::new) is defined here, since this module sits
//!   above `trust` (it validates CRL signers with a `Validator`) and `trust` does not know
//!   CRLs (see [`crate::revocation`]).
//! - Distribution points: [`Crls::distribution_points`] lists every HTTP(S) CRL distribution
//!   point of the stored certificates; [`Crls::refresh`] fetches those that are due through a
//!   [`CrlFetcher`] ([`HttpFetcher`] by default) and imports what is valid. The caller drives the
//!   schedule; nothing here spawns a thread.
//! - Lookups: the checker looks a certificate's serial up in an in-memory index of the CRL's
//!   revoked serials, built from the store's entries on first use and kept in a process-wide
//!   bounded cache keyed by the CRL's id and SHA-256, so a newer CRL (imported by this process
//!   or another sharing the store) is a new index, never a stale one ([`INDEX_CACHE_CRLS`],
//!   [`INDEX_CACHE_BYTES`], [`clear_index_cache`]).
//!
//! CRLs of the store's own CAs are made by
//! [`CertificateAuthority::create_crl`](crate::ca::CertificateAuthority::create_crl).
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::store::{MemoryStore, StoreExt};
//! use hermes_pki::time::SystemClock;
//! use hermes_pki::trust::{LeafPolicy, Reason, ValidationOptions, Validator};
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! let root = ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let bob = ca.issue(&IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256), &SystemClock)?;
//!
//! // Revoke Bob's certificate: the CRL is signed, numbered and stored in one transaction.
//! let crl = ca.create_crl(&CrlSpec::new(root.issuing().id).revoke(bob.certificate().serial().clone()), &SystemClock)?;
//! assert_eq!(crl.number(), 1);
//!
//! // Validation over the store now says why Bob's certificate is not valid.
//! let options = ValidationOptions::new(std::time::SystemTime::now(), LeafPolicy::SmimeEncryption);
//! let result = store.read_transaction(|tx| Validator::new(tx).validate(bob.certificate(), &options))?;
//! assert!(matches!(result.reasons(), [Reason::Revoked { .. }]));
//! # Ok(())
//! # }
//! ```

mod check;
mod dp;
mod fetch;
mod import;
mod index;
mod parse;
mod refresh;

pub use check::CrlChecker;
pub use dp::DistributionPointName;
pub use fetch::{CrlFetcher, FetchError, HttpFetcher};
pub use import::{CrlImport, CrlOutcome, Crls, is_pending, parse_crls};
pub use index::{INDEX_CACHE_BYTES, INDEX_CACHE_CRLS, clear_index_cache};
pub use parse::{Crl, IssuerEntries, MAX_ENTRIES, Scope};
pub use refresh::{RefreshLimit, RefreshOptions, RefreshReport, UrlOutcome, UrlReport};

pub(crate) use import::store_own_crl;
pub(crate) use import::{intrinsic_problem, newer, valid_crls_of};
pub(crate) use parse::cmp_numbers;

// The CRL reason, at its former path (it lives in `revocation`, below `trust` and `crl`).
pub use crate::revocation::RevocationReason;

#[cfg(test)]
mod tests;
