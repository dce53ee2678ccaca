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
//! - [`CrlChecker`]: the [`RevocationChecker`](crate::trust::RevocationChecker) over the store's
//!   valid CRLs, with distribution points, issuingDistributionPoint scopes, CRLs partitioned
//!   by reason, indirect CRLs and delta CRLs as RFC 5280 section 6.3 says. A
//!   [`Validator`](crate::trust::Validator) over a store uses it unless told otherwise.
//! - Distribution points: [`Crls::distribution_points`] lists every HTTP(S) CRL distribution
//!   point of the stored certificates; [`Crls::refresh`] fetches those that are due through a
//!   [`CrlFetcher`] ([`HttpFetcher`] by default) and imports what is valid. The caller drives the
//!   schedule; nothing here spawns a thread.
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
mod parse;
mod refresh;

pub use check::CrlChecker;
pub use dp::DistributionPointName;
pub use fetch::{CrlFetcher, FetchError, HttpFetcher};
pub use import::{CrlImport, CrlOutcome, Crls, is_pending, parse_crls};
pub use parse::{Crl, IssuerEntries, MAX_ENTRIES, Scope};
pub use refresh::{RefreshLimit, RefreshOptions, RefreshReport, UrlOutcome, UrlReport};

pub(crate) use import::store_own_crl;
pub(crate) use import::{intrinsic_problem, newer, valid_crls_of};
pub(crate) use parse::cmp_numbers;

use std::fmt;

#[cfg(test)]
mod tests;

/// Why a certificate was revoked: the CRLReason of RFC 5280 5.3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum RevocationReason {
    /// 0: unspecified.
    Unspecified,
    /// 1: the certificate's private key was compromised.
    KeyCompromise,
    /// 2: the CA's key was compromised.
    CaCompromise,
    /// 3: the subject's name or other information changed.
    AffiliationChanged,
    /// 4: replaced by another certificate.
    Superseded,
    /// 5: no longer needed.
    CessationOfOperation,
    /// 6: on hold (may be released by a delta CRL's removeFromCRL).
    CertificateHold,
    /// 8: (delta CRLs only) the certificate is no longer revoked.
    RemoveFromCrl,
    /// 9: a privilege was withdrawn.
    PrivilegeWithdrawn,
    /// 10: the attribute authority was compromised.
    AaCompromise,
}

impl RevocationReason {
    /// The reasons a partitioned CRL's onlySomeReasons can name (all but unspecified and
    /// removeFromCRL).
    pub const PARTITION: [RevocationReason; 8] = [
        RevocationReason::KeyCompromise,
        RevocationReason::CaCompromise,
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::CertificateHold,
        RevocationReason::PrivilegeWithdrawn,
        RevocationReason::AaCompromise,
    ];

    /// The code on the wire.
    pub fn code(self) -> u8 {
        match self {
            RevocationReason::Unspecified => 0,
            RevocationReason::KeyCompromise => 1,
            RevocationReason::CaCompromise => 2,
            RevocationReason::AffiliationChanged => 3,
            RevocationReason::Superseded => 4,
            RevocationReason::CessationOfOperation => 5,
            RevocationReason::CertificateHold => 6,
            RevocationReason::RemoveFromCrl => 8,
            RevocationReason::PrivilegeWithdrawn => 9,
            RevocationReason::AaCompromise => 10,
        }
    }

    /// The reason with this code (7 and codes above 10 are not defined).
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            0 => RevocationReason::Unspecified,
            1 => RevocationReason::KeyCompromise,
            2 => RevocationReason::CaCompromise,
            3 => RevocationReason::AffiliationChanged,
            4 => RevocationReason::Superseded,
            5 => RevocationReason::CessationOfOperation,
            6 => RevocationReason::CertificateHold,
            8 => RevocationReason::RemoveFromCrl,
            9 => RevocationReason::PrivilegeWithdrawn,
            10 => RevocationReason::AaCompromise,
            _ => return None,
        })
    }

    /// The reason of bit `bit` of a ReasonFlags BIT STRING (RFC 5280 4.2.1.13).
    fn from_flag_bit(bit: u8) -> Option<Self> {
        Some(match bit {
            1 => RevocationReason::KeyCompromise,
            2 => RevocationReason::CaCompromise,
            3 => RevocationReason::AffiliationChanged,
            4 => RevocationReason::Superseded,
            5 => RevocationReason::CessationOfOperation,
            6 => RevocationReason::CertificateHold,
            7 => RevocationReason::PrivilegeWithdrawn,
            8 => RevocationReason::AaCompromise,
            _ => return None,
        })
    }

    /// The RFC 5280 name (`keyCompromise`), as `openssl crl -text` shows it in words.
    pub fn name(self) -> &'static str {
        match self {
            RevocationReason::Unspecified => "unspecified",
            RevocationReason::KeyCompromise => "keyCompromise",
            RevocationReason::CaCompromise => "cACompromise",
            RevocationReason::AffiliationChanged => "affiliationChanged",
            RevocationReason::Superseded => "superseded",
            RevocationReason::CessationOfOperation => "cessationOfOperation",
            RevocationReason::CertificateHold => "certificateHold",
            RevocationReason::RemoveFromCrl => "removeFromCRL",
            RevocationReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            RevocationReason::AaCompromise => "aACompromise",
        }
    }

    /// Whether a revocation for this reason taints the certificate from before its revocation
    /// date (a compromised key may have been misused earlier).
    pub fn is_compromise(self) -> bool {
        matches!(
            self,
            RevocationReason::KeyCompromise
                | RevocationReason::CaCompromise
                | RevocationReason::AaCompromise
        )
    }
}

impl fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for RevocationReason {
    type Err = crate::Error;

    /// Parses an RFC 5280 name, case-insensitively, with or without separators
    /// (`keyCompromise`, `key-compromise`), or a code (`1`).
    fn from_str(s: &str) -> crate::Result<Self> {
        let key: String = s
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if let Ok(code) = key.parse::<u8>() {
            return RevocationReason::from_code(code).ok_or_else(|| {
                crate::Error::InvalidArgument(format!("{code} is not a CRL reason code"))
            });
        }
        (0..=10u8)
            .filter_map(RevocationReason::from_code)
            .find(|r| r.name().to_ascii_lowercase() == key)
            .ok_or_else(|| {
                crate::Error::InvalidArgument(format!(
                    "{s:?} is not a CRL reason (keyCompromise, cACompromise, affiliationChanged, \
                     superseded, cessationOfOperation, certificateHold, privilegeWithdrawn, \
                     aACompromise, unspecified)"
                ))
            })
    }
}
