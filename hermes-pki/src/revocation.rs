//! Revocation, as both the trust engine and the CRL store see it: the status of one
//! certificate ([`RevocationStatus`]), the CRL reason ([`RevocationReason`]), what a missing
//! CRL means ([`RevocationMode`], the store's `revocation` setting), and the question path
//! validation asks about every certificate below the trust anchor ([`RevocationChecker`]).
//!
//! This module sits in its own layer, below `settings`, `trust` and `crl`, so that none of
//! them needs another for these types. The arrows then point one way:
//!
//! - `trust` asks a [`RevocationChecker`] and knows nothing of CRLs;
//! - `crl` sits above `trust`: it validates CRL signers with a
//!   [`Validator`](crate::trust::Validator), and its
//!   [`CrlChecker`](crate::crl::CrlChecker) is a [`RevocationChecker`];
//! - the default "a validator over a store checks the store's CRLs" is wired by the layer that
//!   knows both: [`Validator::new`](crate::trust::Validator::new) is defined in `crl` (an
//!   inherent `impl` of the trust engine's type, so it keeps its path and its behaviour) and
//!   hands the validator a `StoreRevocation` (crate-internal): the function that makes the
//!   store's [`CrlChecker`](crate::crl::CrlChecker) for each validation, with the validator's
//!   intermediates (separate CRL signers) and its SHA-1 option.
//!   [`Validator::without_store`](crate::trust::Validator::without_store) has none, and a
//!   checker given with [`Validator::revocation`](crate::trust::Validator::revocation) (such
//!   as [`NoRevocationInfo`]) replaces it.
//!
//! The types are re-exported from their former paths: `crl::RevocationReason`,
//! `trust::{RevocationStatus, RevocationChecker, NoRevocationInfo, RevocationMode}` and
//! `settings::RevocationMode`.
//!
//! ```
//! use hermes_pki::revocation::{RevocationMode, RevocationReason};
//!
//! assert_eq!("required".parse::<RevocationMode>().unwrap(), RevocationMode::Required);
//! let reason: RevocationReason = "key-compromise".parse().unwrap();
//! assert_eq!(reason, RevocationReason::KeyCompromise);
//! assert_eq!(RevocationReason::KeyCompromise.code(), 1);
//! ```

use std::fmt;
use std::time::SystemTime;

use crate::cert::Certificate;
use crate::store::ReadTransaction;

/// Revocation status of one certificate, as a [`RevocationChecker`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Known not to be revoked.
    Good {
        /// nextUpdate of the revocation information used (a CRL); past it, the information is
        /// stale (see [`ValidationOptions::reject_stale_crls`]).
        ///
        /// [`ValidationOptions::reject_stale_crls`]: crate::trust::ValidationOptions::reject_stale_crls
        next_update: Option<SystemTime>,
    },
    /// Revoked.
    Revoked {
        /// The CRL reason, if given.
        reason: Option<RevocationReason>,
        /// The revocation date.
        date: SystemTime,
    },
    /// No revocation information (no usable CRL for the issuer).
    Unknown,
}

/// Asked by validation about every certificate on a chain (except the trust anchor).
///
/// A [`Validator`](crate::trust::Validator) over a store uses the store's CRLs
/// ([`CrlChecker`](crate::crl::CrlChecker)) unless another checker is given.
pub trait RevocationChecker {
    /// The status of `cert`, issued by `issuer`, at `at`. `Err` only when the checker itself
    /// fails (a store error); validation then fails with that error.
    fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> crate::Result<RevocationStatus>;

    /// Whether this checker consults revocation information at all (default `true`). A
    /// checker that does not ([`NoRevocationInfo`]) turns revocation checking off: an
    /// [`Unknown`](RevocationStatus::Unknown) status from it earns no warning.
    fn looks_up_revocation(&self) -> bool {
        true
    }
}

/// A checker that knows nothing: every status is [`RevocationStatus::Unknown`].
#[derive(Debug, Clone, Copy, Default)]
pub struct NoRevocationInfo;

impl RevocationChecker for NoRevocationInfo {
    fn status(
        &self,
        _: &Certificate,
        _: &Certificate,
        _: SystemTime,
    ) -> crate::Result<RevocationStatus> {
        Ok(RevocationStatus::Unknown)
    }

    fn looks_up_revocation(&self) -> bool {
        false
    }
}

/// What validation does when revocation information is missing or unusable: the store's
/// `revocation` setting (`hermes-pki settings set revocation required|best-effort`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationMode {
    /// No usable CRL for a certificate: it is valid, with
    /// [`Warning::NoRevocationInfo`](crate::trust::Warning::NoRevocationInfo); a stale CRL is
    /// used, with [`Warning::StaleCrl`](crate::trust::Warning::StaleCrl). The default: mail
    /// keeps flowing when a CA's CRL cannot be fetched.
    #[default]
    BestEffort,
    /// Every certificate below the trust anchor needs a valid, current CRL of its issuer that
    /// covers it; without one it is not valid
    /// ([`Reason::NoRevocationInfo`](crate::trust::Reason::NoRevocationInfo),
    /// [`Reason::StaleCrl`](crate::trust::Reason::StaleCrl)). RFC 5280 6.3 and NIST PKITS
    /// semantics.
    Required,
}

impl RevocationMode {
    /// The setting's value as stored and typed: `best-effort` or `required`.
    pub fn as_str(self) -> &'static str {
        match self {
            RevocationMode::BestEffort => "best-effort",
            RevocationMode::Required => "required",
        }
    }
}

impl std::str::FromStr for RevocationMode {
    type Err = crate::Error;
    fn from_str(s: &str) -> crate::Result<Self> {
        match s {
            "best-effort" => Ok(RevocationMode::BestEffort),
            "required" => Ok(RevocationMode::Required),
            other => Err(crate::Error::InvalidArgument(format!(
                "revocation must be \"best-effort\" or \"required\", not {other:?}"
            ))),
        }
    }
}

impl std::fmt::Display for RevocationMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

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
    pub(crate) fn from_flag_bit(bit: u8) -> Option<Self> {
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

/// How a validator over a store reaches the store's revocation information: called once per
/// validation with the store's read transaction, the validator's extra intermediates (for
/// CRL signers that are not in the store) and whether SHA-1 signatures are accepted (on
/// CRLs too), it returns the checker asked about every certificate below the anchor.
///
/// `crl` provides the one in use (the store's CRLs); `trust` only calls it.
pub(crate) type StoreRevocation =
    for<'t> fn(&'t dyn ReadTransaction, &'t [Certificate], bool) -> Box<dyn RevocationChecker + 't>;
