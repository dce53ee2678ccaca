//! Certificate selection (REQUIREMENTS.md section 5, DESIGN.md "The gateway's two
//! operations"): which certificates encrypt to a recipient and which one signs for a sender.
//!
//! Selection is computed each time it is asked for, at the time the caller passes, so a
//! certificate that expires, is revoked or is blacklisted leaves the selection at once.
//!
//! - [`encryption_certificates`]: the manual choices for the recipient that are valid now
//!   ([`Why::Manual`]); when the effective `auto-select` setting is on, every stored
//!   certificate carrying the address that is valid for S/MIME encryption
//!   ([`Why::Automatic`]); and the effective `additional-certificates` of the user, the domain
//!   and global, added up ([`Why::Additional`], each validated too). Every certificate once,
//!   with the first reason in that order. The certificates considered but left out come with
//!   why ([`LeftOut`]), so that a caller can explain "no certificate".
//! - [`signing_certificate`]: the manual choice while it is valid for S/MIME signing and its
//!   key is stored; else, among the certificates carrying the address that are valid and have
//!   a key, the latest notBefore (ties: the later notAfter, then the lower thumbprint).
//! - Choosing by hand, inside a caller's transaction: [`select_encryption`],
//!   [`deselect_encryption`] (only manual choices can be deselected), [`select_signing`] and
//!   [`automatic_signing`]. The user is added to the store when first chosen for.
//! - The admin filters of REQUIREMENTS section 5 (by email or none; expired all / unexpired
//!   only / expired only; with or without a private key) are the store's
//!   [`CertificateFilter`] with [`ReadTransaction::list_certificates`](crate::store::ReadTransaction::list_certificates), re-exported here.
//!
//! Validation is [`crate::trust`]'s, with the store's `revocation` setting
//! ([`crate::settings::revocation_mode`]).
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::select::{self, Why};
//! use hermes_pki::store::{EmailAddress, MemoryStore, StoreExt};
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let bob = ca.issue(&IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256), &SystemClock)?;
//!
//! let addr = EmailAddress::new("bob@example.com")?;
//! let now = std::time::SystemTime::now();
//! let selection = store.read_transaction(|tx| select::encryption_certificates(tx, &addr, now))?;
//! assert_eq!(selection.selected.len(), 1);
//! assert_eq!(selection.selected[0].why, Why::Automatic);
//!
//! let signer = store.read_transaction(|tx| select::signing_certificate(tx, &addr, now))?;
//! assert_eq!(signer.map(|s| *s.certificate.thumbprint()), Some(*bob.certificate().thumbprint()));
//! # Ok(())
//! # }
//! ```

mod choose;
mod pick;

pub use choose::{automatic_signing, deselect_encryption, select_encryption, select_signing};
pub use pick::{encryption_certificates, signing_certificate};

pub use crate::store::{CertificateFilter, ExpiryFilter};

use std::fmt;

use crate::cert::{Certificate, Thumbprint};
use crate::settings::Source;
use crate::store::EmailAddress;
use crate::trust::Reason;

/// Why a certificate is (or would have been) selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Why {
    /// Chosen by hand for the user.
    Manual,
    /// It carries the address, and the user's `auto-select` is on.
    Automatic,
    /// Named by the `additional-certificates` setting (escrow) at this level.
    Additional {
        /// The most specific level whose list names it.
        source: Source,
    },
}

impl Why {
    /// `manual`, `automatic` or `additional`.
    pub fn as_str(self) -> &'static str {
        match self {
            Why::Manual => "manual",
            Why::Automatic => "automatic",
            Why::Additional { .. } => "additional",
        }
    }
}

impl fmt::Display for Why {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Why::Additional { source } => write!(f, "additional ({source})"),
            other => f.write_str(other.as_str()),
        }
    }
}

/// A selected certificate and why it is there.
#[derive(Debug, Clone)]
pub struct Selected {
    /// The certificate.
    pub certificate: Certificate,
    /// Why it is selected.
    pub why: Why,
}

/// Why a certificate that was considered is left out.
#[derive(Debug, Clone, PartialEq)]
pub enum Exclusion {
    /// A manual choice or an additional certificate names a thumbprint that is not in the
    /// certificate store (anymore).
    NotStored,
    /// Not valid for the purpose at the time asked: expired, revoked, blacklisted, not for
    /// encryption, no path to a trust anchor... (the validation's reasons, at least one).
    Invalid(Vec<Reason>),
    /// It carries the address, but the user's `auto-select` is off.
    AutoSelectOff,
    /// Valid, but its private key is not stored (signing only).
    NoKey,
}

impl fmt::Display for Exclusion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exclusion::NotStored => f.write_str("not in the certificate store"),
            Exclusion::Invalid(reasons) => {
                let all: Vec<String> = reasons.iter().map(ToString::to_string).collect();
                write!(f, "not valid: {}", all.join("; "))
            }
            Exclusion::AutoSelectOff => f.write_str("auto-select is off"),
            Exclusion::NoKey => f.write_str("its private key is not stored"),
        }
    }
}

/// A certificate that was considered and left out.
#[derive(Debug, Clone)]
pub struct LeftOut {
    /// Its thumbprint.
    pub thumbprint: Thumbprint,
    /// The certificate, when stored.
    pub certificate: Option<Certificate>,
    /// How it came to be considered.
    pub why: Why,
    /// Why it is left out.
    pub exclusion: Exclusion,
}

/// The encryption certificates of a recipient ([`encryption_certificates`]).
#[derive(Debug, Clone)]
pub struct EncryptionSelection {
    /// The recipient.
    pub recipient: EmailAddress,
    /// The effective `auto-select` for the recipient.
    pub auto_select: bool,
    /// The selected certificates, each once: manual choices, then automatic ones, then
    /// additional ones, each group in thumbprint order (additional: in the setting's order).
    pub selected: Vec<Selected>,
    /// The certificates considered and left out, each once.
    pub left_out: Vec<LeftOut>,
}

impl EncryptionSelection {
    /// The selected certificates.
    pub fn certificates(&self) -> Vec<Certificate> {
        self.selected
            .iter()
            .map(|s| s.certificate.clone())
            .collect()
    }

    /// Whether a certificate of the recipient's own is selected (manual or automatic; not only
    /// additional certificates).
    pub fn has_own(&self) -> bool {
        self.selected
            .iter()
            .any(|s| matches!(s.why, Why::Manual | Why::Automatic))
    }

    /// Whether nothing is selected.
    pub fn is_empty(&self) -> bool {
        self.selected.is_empty()
    }
}

#[cfg(test)]
mod tests;
