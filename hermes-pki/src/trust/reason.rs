//! Why a certificate is not valid: one typed value per rule, each with the message an admin
//! reads (the "info" of the result).

use std::fmt;
use std::time::SystemTime;

use super::ProfileRule;
use crate::cert::{Thumbprint, UsageError};
use crate::revocation::RevocationReason;
use crate::time::to_rfc3339;

/// One reason a certificate failed validation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Reason {
    /// No chain from the certificate to a trust anchor could be built.
    NoPathToTrustAnchor {
        /// Subject of the last certificate reached (whose issuer was not found or not usable).
        last: String,
    },
    /// The chain-building work budget ran out (too many candidates or signature checks).
    BudgetExceeded {
        /// What ran out.
        what: &'static str,
    },
    /// The chain is longer than allowed.
    ChainTooLong {
        /// The maximum number of certificates below the trust anchor.
        max: usize,
    },
    /// A certificate is not valid yet at the validation time.
    NotYetValid {
        /// Its subject.
        subject: String,
        /// Its notBefore.
        not_before: SystemTime,
    },
    /// A certificate has expired at the validation time.
    Expired {
        /// Its subject.
        subject: String,
        /// Its notAfter.
        not_after: SystemTime,
    },
    /// A signature on the chain does not verify (or uses an algorithm not accepted).
    BadSignature {
        /// Subject of the signed certificate.
        subject: String,
        /// Why.
        detail: String,
    },
    /// An issuer is not a CA (basicConstraints cA missing or false).
    IssuerNotCa {
        /// The issuer's subject.
        subject: String,
    },
    /// An issuer's keyUsage lacks keyCertSign.
    IssuerCannotSignCertificates {
        /// The issuer's subject.
        subject: String,
    },
    /// A CA's pathLenConstraint is exceeded.
    PathLengthExceeded {
        /// The CA's subject.
        subject: String,
        /// Its pathLenConstraint.
        path_len: u32,
    },
    /// A critical extension this library does not process.
    UnknownCriticalExtension {
        /// The certificate's subject.
        subject: String,
        /// The extension's OID.
        oid: String,
    },
    /// A certificate's contents break a structural rule (RFC 5280) or cannot be processed.
    Malformed {
        /// The certificate's subject.
        subject: String,
        /// What is wrong.
        detail: String,
    },
    /// A certificate breaks an RFC 5280 section 4 profile rule, and
    /// [`ValidationOptions::rfc5280_strict`](super::ValidationOptions::rfc5280_strict) is on
    /// (otherwise it is a [`Warning::Profile`](super::Warning::Profile)).
    Profile {
        /// The certificate's subject.
        subject: String,
        /// The rule.
        rule: ProfileRule,
    },
    /// A certificate on the chain is signed with an algorithm too weak to trust (MD2, MD5, or
    /// a key below the minimum size): a verdict, like a bad signature, not an error.
    WeakAlgorithm {
        /// Subject of the signed certificate.
        subject: String,
        /// What is weak.
        detail: String,
    },
    /// A key on the chain is too weak or of an unsupported kind.
    WeakKey {
        /// The certificate's subject.
        subject: String,
        /// What is wrong with the key.
        detail: String,
    },
    /// A name is outside a CA's name constraints.
    NameConstraints {
        /// What violated which constraint.
        detail: String,
    },
    /// Certificate policy processing failed (RFC 5280 section 6.1).
    Policy {
        /// Why.
        detail: String,
    },
    /// A certificate on the chain is revoked.
    Revoked {
        /// Its subject.
        subject: String,
        /// The CRL reason, if given.
        reason: Option<RevocationReason>,
        /// The revocation date.
        date: SystemTime,
    },
    /// A certificate's revocation status comes from a CRL past its nextUpdate, and
    /// [`ValidationOptions::reject_stale_crls`](super::ValidationOptions::reject_stale_crls) is
    /// on.
    StaleCrl {
        /// The certificate's subject.
        subject: String,
        /// The CRL's nextUpdate.
        next_update: SystemTime,
    },
    /// No revocation information for a certificate, and
    /// [`ValidationOptions::require_revocation_info`](super::ValidationOptions::require_revocation_info)
    /// is on.
    NoRevocationInfo {
        /// The certificate's subject.
        subject: String,
    },
    /// A certificate on the chain is blacklisted on the trust list.
    Blacklisted {
        /// Subject of the blacklisted certificate.
        subject: String,
        /// Its SHA-512 thumbprint.
        thumbprint: Thumbprint,
        /// `true` when it is an issuer above the certificate validated (inherited blacklisting).
        inherited: bool,
    },
    /// The end certificate may not be used for the purpose asked.
    Usage(UsageError),
    /// The end certificate (or an issuer's extendedKeyUsage) lacks the required EKU.
    ExtendedKeyUsage {
        /// The certificate's subject.
        subject: String,
        /// The required EKU (dotted OID).
        required: String,
    },
    /// The end certificate is a CA certificate where an end-entity certificate is required.
    LeafIsCa {
        /// Its subject.
        subject: String,
    },
    /// The end certificate does not carry the server name asked for.
    NameMismatch {
        /// The name asked for.
        wanted: String,
    },
}

impl Reason {
    /// How specific the reason is, higher first (the model is rustls-webpki's
    /// `Error::rank`): a finding about a certificate on a complete chain (revoked,
    /// blacklisted, outside name constraints, expired) says more than one about the search
    /// (no path, the budget ran out). When several candidate chains fail, the result reports
    /// the chain whose most specific reason ranks highest.
    pub fn rank(&self) -> u8 {
        match self {
            Reason::Revoked { .. } => 100,
            Reason::Blacklisted { .. } => 95,
            Reason::NameConstraints { .. } | Reason::Policy { .. } => 85,
            Reason::Expired { .. } | Reason::NotYetValid { .. } => 80,
            Reason::IssuerNotCa { .. }
            | Reason::IssuerCannotSignCertificates { .. }
            | Reason::PathLengthExceeded { .. } => 75,
            Reason::Usage(_)
            | Reason::ExtendedKeyUsage { .. }
            | Reason::LeafIsCa { .. }
            | Reason::NameMismatch { .. } => 70,
            Reason::WeakKey { .. } | Reason::WeakAlgorithm { .. } => 65,
            Reason::UnknownCriticalExtension { .. }
            | Reason::Malformed { .. }
            | Reason::Profile { .. } => 60,
            Reason::BadSignature { .. } => 50,
            Reason::StaleCrl { .. } | Reason::NoRevocationInfo { .. } => 40,
            Reason::ChainTooLong { .. } => 20,
            Reason::NoPathToTrustAnchor { .. } => 10,
            Reason::BudgetExceeded { .. } => 5,
        }
    }

    /// The highest [`rank`](Self::rank) among `reasons` (0 for none).
    pub fn rank_of(reasons: &[Reason]) -> u8 {
        reasons.iter().map(Reason::rank).max().unwrap_or(0)
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::NoPathToTrustAnchor { last } => write!(
                f,
                "no chain to a trusted root: the issuer of \"{last}\" is not in the store or not trusted"
            ),
            Reason::BudgetExceeded { what } => write!(
                f,
                "chain building gave up: too many {what} (the input looks built to make validation slow)"
            ),
            Reason::ChainTooLong { max } => {
                write!(
                    f,
                    "the chain is longer than {max} certificates below the root"
                )
            }
            Reason::NotYetValid {
                subject,
                not_before,
            } => write!(
                f,
                "\"{subject}\" is not valid before {}",
                to_rfc3339(*not_before)
            ),
            Reason::Expired { subject, not_after } => {
                write!(f, "\"{subject}\" expired on {}", to_rfc3339(*not_after))
            }
            Reason::BadSignature { subject, detail } => {
                write!(
                    f,
                    "the signature on \"{subject}\" does not verify: {detail}"
                )
            }
            Reason::IssuerNotCa { subject } => {
                write!(f, "\"{subject}\" issued a certificate but is not a CA")
            }
            Reason::IssuerCannotSignCertificates { subject } => write!(
                f,
                "\"{subject}\" issued a certificate but its key usage lacks keyCertSign"
            ),
            Reason::PathLengthExceeded { subject, path_len } => write!(
                f,
                "\"{subject}\" allows {path_len} CA certificate(s) below it, the chain has more"
            ),
            Reason::UnknownCriticalExtension { subject, oid } => write!(
                f,
                "\"{subject}\" has a critical extension this validator does not process ({oid})"
            ),
            Reason::Malformed { subject, detail } => write!(f, "\"{subject}\": {detail}"),
            Reason::Profile { subject, rule } => write!(f, "\"{subject}\": {rule}"),
            Reason::WeakAlgorithm { subject, detail } => write!(
                f,
                "the signature on \"{subject}\" uses an algorithm too weak to trust: {detail}"
            ),
            Reason::WeakKey { subject, detail } => {
                write!(f, "the key of \"{subject}\" is not accepted: {detail}")
            }
            Reason::NameConstraints { detail } => write!(f, "name constraints: {detail}"),
            Reason::Policy { detail } => write!(f, "certificate policies: {detail}"),
            Reason::Revoked {
                subject,
                reason,
                date,
            } => {
                write!(f, "\"{subject}\" is revoked since {}", to_rfc3339(*date))?;
                if let Some(r) = reason {
                    write!(f, " ({r})")?;
                }
                Ok(())
            }
            Reason::StaleCrl {
                subject,
                next_update,
            } => write!(
                f,
                "the CRL for \"{subject}\" is stale (its next update was due {}); refresh it",
                to_rfc3339(*next_update)
            ),
            Reason::NoRevocationInfo { subject } => write!(
                f,
                "no revocation information for \"{subject}\" (no usable CRL of its issuer)"
            ),
            Reason::Blacklisted {
                subject, inherited, ..
            } => {
                if *inherited {
                    write!(
                        f,
                        "issuer \"{subject}\" is blacklisted, and with it everything it issued"
                    )
                } else {
                    write!(f, "\"{subject}\" is blacklisted")
                }
            }
            Reason::Usage(e) => write!(f, "not usable for this purpose: {e}"),
            Reason::ExtendedKeyUsage { subject, required } => write!(
                f,
                "\"{subject}\" does not allow the extended key usage {required}"
            ),
            Reason::LeafIsCa { subject } => write!(
                f,
                "\"{subject}\" is a CA certificate, not an end-entity certificate"
            ),
            Reason::NameMismatch { wanted } => {
                write!(f, "the certificate is not valid for the name {wanted}")
            }
        }
    }
}
