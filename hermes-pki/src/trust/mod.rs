//! The trust engine: chain building to a trust anchor, RFC 5280 path validation for S/MIME
//! (and TLS server certificates), and the Certificate Trust List (REQUIREMENTS.md section 3).
//!
//! One entry point, [`Validator::validate`], in the manner of rustls-webpki's `verify_cert`:
//! it builds candidate chains from the certificate up to a trust anchor (depth-first, issuers
//! in a sensible order, loops refused, the work bounded by a [`Budget`]) and validates each
//! complete chain until one passes. The result is [`Validation::Valid`] with the chain, or
//! [`Validation::Invalid`] with typed [`Reason`]s whose `Display` is the message an admin reads.
//!
//! Trust list semantics: a blacklisted certificate is never valid, and blacklisting a CA
//! certificate invalidates everything issued under it; a whitelisted end-user certificate is
//! valid without a chain (and after expiry if its entry allows it); a whitelisted CA certificate
//! makes nothing below it valid (only trust anchors do).
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::store::{MemoryStore, StoreExt};
//! use hermes_pki::time::SystemClock;
//! use hermes_pki::trust::{LeafPolicy, Validation, ValidationOptions, Validator};
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let alice = ca.issue(&IssueSpec::new("alice@example.com", "Alice").key(KeySpec::EcP256), &SystemClock)?;
//!
//! let options = ValidationOptions::new(std::time::SystemTime::now(), LeafPolicy::SmimeEncryption);
//! let result = store.read_transaction(|tx| Validator::new(tx).validate(alice.certificate(), &options))?;
//! match result {
//!     Validation::Valid { chain, .. } => assert_eq!(chain.len(), 2),
//!     Validation::Invalid { reasons } => panic!("{reasons:?}"),
//! }
//! # Ok(())
//! # }
//! ```

mod budget;
mod cache;
mod names;
mod policy;
mod profile;
mod reason;
mod verify;

pub use budget::Budget;
pub use cache::{MAX_CERTIFICATES, MAX_EDGES, cache_sizes, clear_caches};
pub use policy::PolicyInputs;
pub use profile::ProfileRule;
pub use reason::Reason;
pub use verify::Validator;

// The revocation types validation uses, at their former paths.
pub use crate::revocation::{
    NoRevocationInfo, RevocationChecker, RevocationMode, RevocationStatus,
};

pub(crate) use names::names_match;

use std::net::IpAddr;
use std::time::SystemTime;

use crate::cert::{Certificate, Eku};

/// What the end certificate must be good for.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LeafPolicy {
    /// S/MIME signing (REQUIREMENTS.md section 1 usage rules; EKU emailProtection).
    SmimeSigning,
    /// S/MIME encryption (REQUIREMENTS.md section 1 usage rules; EKU emailProtection).
    SmimeEncryption,
    /// A TLS server certificate for this name (SAN dNSName / iPAddress; EKU serverAuth).
    TlsServer(ServerName),
    /// Any use: the chain is checked, the end certificate's usages are not (no EKU required).
    Any,
}

/// A server name to match against a TLS server certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerName {
    /// A DNS name (`mail.example.com`).
    Dns(String),
    /// An IP address.
    Ip(IpAddr),
}

impl std::fmt::Display for ServerName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerName::Dns(d) => f.write_str(d),
            ServerName::Ip(ip) => write!(f, "{ip}"),
        }
    }
}

impl LeafPolicy {
    /// Whether the end certificate is for S/MIME (signing or encryption).
    pub fn is_smime(&self) -> bool {
        matches!(self, LeafPolicy::SmimeSigning | LeafPolicy::SmimeEncryption)
    }

    /// The EKU this policy requires by default.
    pub fn default_eku(&self) -> Option<Eku> {
        match self {
            LeafPolicy::SmimeSigning | LeafPolicy::SmimeEncryption => Some(Eku::EMAIL_PROTECTION),
            LeafPolicy::TlsServer(_) => Some(Eku::SERVER_AUTH),
            LeafPolicy::Any => None,
        }
    }
}

/// Whether `cert` can serve as a trust anchor: a CA certificate (basicConstraints cA), or a
/// version 1 self-signed certificate (which cannot carry basicConstraints; old roots and many
/// test CAs are such, and OpenSSL and NSS accept them as roots when trusted explicitly).
pub fn can_be_anchor(cert: &Certificate) -> bool {
    cert.is_ca() || (verify::is_version_1(cert) && cert.is_self_signed())
}

/// Something a valid result should still tell the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// A certificate breaks an RFC 5280 section 4 profile rule that path validation does not
    /// need (a CA without subjectKeyIdentifier, a non-critical basicConstraints, ...): valid
    /// anyway, as OpenSSL and NSS judge it; refused under
    /// [`ValidationOptions::rfc5280_strict`].
    Profile {
        /// The certificate's subject.
        subject: String,
        /// The rule.
        rule: ProfileRule,
    },
    /// No usable CRL covers a certificate on the chain (valid anyway under
    /// [`RevocationMode::BestEffort`]).
    NoRevocationInfo {
        /// The certificate's subject.
        subject: String,
    },
    /// A certificate's revocation status came from a CRL past its nextUpdate (used, because
    /// [`ValidationOptions::reject_stale_crls`] is off).
    StaleCrl {
        /// The certificate's subject.
        subject: String,
        /// The CRL's nextUpdate.
        next_update: SystemTime,
    },
}

impl std::fmt::Display for Warning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Warning::Profile { subject, rule } => write!(f, "\"{subject}\": {rule}"),
            Warning::NoRevocationInfo { subject } => write!(
                f,
                "no usable CRL covers {subject}; its revocation status is unknown (import or \
                 refresh its issuer's CRL)"
            ),
            Warning::StaleCrl {
                subject,
                next_update,
            } => write!(
                f,
                "the revocation status of {subject} comes from a CRL that is stale (its next \
                 update was due {}); refresh the issuer's CRL",
                crate::time::to_rfc3339(*next_update)
            ),
        }
    }
}

/// How to validate.
#[derive(Debug, Clone)]
pub struct ValidationOptions {
    at: SystemTime,
    leaf: LeafPolicy,
    required_eku: Option<Eku>,
    max_intermediates: usize,
    budget: Budget,
    check_anchor_validity: bool,
    min_rsa_bits: usize,
    pub(crate) strict: bool,
    pub(crate) policies: PolicyInputs,
    reject_stale_crls: bool,
    require_revocation_info: bool,
    allow_sha1: bool,
}

impl ValidationOptions {
    /// Validation at time `at` for `leaf`, with the EKU the policy requires, at most 8
    /// intermediates, the default [`Budget`], anchors' validity checked, RSA keys of 2048 bits
    /// or more.
    pub fn new(at: SystemTime, leaf: LeafPolicy) -> Self {
        let required_eku = leaf.default_eku();
        ValidationOptions {
            at,
            leaf,
            required_eku,
            max_intermediates: 8,
            budget: Budget::default(),
            check_anchor_validity: true,
            min_rsa_bits: crate::key::MIN_RSA_BITS,
            strict: false,
            policies: PolicyInputs::default(),
            reject_stale_crls: false,
            require_revocation_info: false,
            allow_sha1: false,
        }
    }

    /// Whether SHA-1 signatures on certificates below the trust anchor, and on CRLs, are
    /// accepted (default `false`: a certificate signed with SHA-1 makes the chain
    /// [`Reason::WeakAlgorithm`], and a CRL signed with SHA-1 is not used). MD2, MD4 and MD5
    /// are always weak. The gateway setting `allow-sha1` turns it on for old mail; NIST PKITS
    /// (all SHA-1) runs with it.
    pub fn allow_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }

    /// Whether SHA-1 signatures are accepted.
    pub fn sha1_allowed(&self) -> bool {
        self.allow_sha1
    }

    /// The certificate policy inputs of RFC 5280 6.1.1 (initial policy set, explicit policy,
    /// mapping and anyPolicy inhibition). The default accepts any policy.
    pub fn policies(mut self, inputs: PolicyInputs) -> Self {
        self.policies = inputs;
        self
    }

    /// Whether the RFC 5280 section 4 profile rules that conforming CAs follow refuse a chain
    /// (default `false`: each broken rule is a [`Warning::Profile`] on a valid result, as
    /// OpenSSL, NSS and BouncyCastle accept such chains for mail). The rules
    /// ([`ProfileRule`]): serial numbers positive and at most 20 octets; authority key
    /// identifier on every certificate that is not self-issued (anchors exempt); subject key
    /// identifier, a non-empty subject and a critical basicConstraints on CA certificates;
    /// keyCertSign only with cA; a critical subjectAltName with an empty subject;
    /// nameConstraints and policyConstraints critical; subjectAltName DNS names in preferred
    /// name syntax; an S/MIME end certificate that is not a CA. Turn on for conformance
    /// testing (x509-limbo runs with it) or a closed PKI.
    pub fn rfc5280_strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// Requires this extended key usage instead of the policy's default; `None` requires none.
    pub fn required_eku(mut self, eku: Option<Eku>) -> Self {
        self.required_eku = eku;
        self
    }

    /// The most intermediate certificates allowed between the end certificate and the anchor.
    pub fn max_intermediates(mut self, n: usize) -> Self {
        self.max_intermediates = n;
        self
    }

    /// The work budget.
    pub fn budget(mut self, budget: Budget) -> Self {
        self.budget = budget;
        self
    }

    /// Whether a trust anchor must itself be within its validity (default `true`: a renewed
    /// CA replaces the old anchor so the new validity is what is enforced).
    pub fn check_anchor_validity(mut self, yes: bool) -> Self {
        self.check_anchor_validity = yes;
        self
    }

    /// The smallest RSA key accepted anywhere on the chain (default 2048).
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits;
        self
    }

    /// What a missing or unusable CRL means ([`RevocationMode`]; default best effort).
    /// [`RevocationMode::Required`] turns on both [`reject_stale_crls`](Self::reject_stale_crls)
    /// and [`require_revocation_info`](Self::require_revocation_info).
    pub fn revocation(mut self, mode: RevocationMode) -> Self {
        let required = mode == RevocationMode::Required;
        self.reject_stale_crls = required;
        self.require_revocation_info = required;
        self
    }

    /// Whether a certificate whose revocation status comes from a CRL past its nextUpdate is
    /// invalid ([`Reason::StaleCrl`]). Default `false`: the stale CRL is still used, and the
    /// valid result carries a [`Warning::StaleCrl`]. A certificate listed as revoked is
    /// revoked either way.
    pub fn reject_stale_crls(mut self, yes: bool) -> Self {
        self.reject_stale_crls = yes;
        self
    }

    /// Whether every certificate below the anchor must have revocation information (a usable
    /// CRL of its issuer); without it the certificate is invalid
    /// ([`Reason::NoRevocationInfo`]). Default `false`.
    pub fn require_revocation_info(mut self, yes: bool) -> Self {
        self.require_revocation_info = yes;
        self
    }

    pub(crate) fn rejects_stale_crls(&self) -> bool {
        self.reject_stale_crls
    }

    pub(crate) fn requires_revocation_info(&self) -> bool {
        self.require_revocation_info
    }

    /// The validation time.
    pub fn time(&self) -> SystemTime {
        self.at
    }

    /// The leaf policy.
    pub fn leaf_policy(&self) -> &LeafPolicy {
        &self.leaf
    }
}

/// The outcome of a validation.
#[derive(Debug, Clone)]
pub enum Validation {
    /// Valid: the chain from the certificate (first) to the trust anchor (last); just the
    /// certificate when it is valid by being whitelisted.
    Valid {
        /// The chain.
        chain: Vec<Certificate>,
        /// What the caller should still know (a stale CRL was used); usually empty.
        warnings: Vec<Warning>,
    },
    /// Not valid, with every reason found on the best candidate chain.
    Invalid {
        /// Why (at least one).
        reasons: Vec<Reason>,
    },
}

impl Validation {
    /// Whether the result is [`Validation::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self, Validation::Valid { .. })
    }

    /// The warnings of a valid result (empty when invalid).
    pub fn warnings(&self) -> &[Warning] {
        match self {
            Validation::Valid { warnings, .. } => warnings,
            Validation::Invalid { .. } => &[],
        }
    }

    /// The reasons (empty when valid).
    pub fn reasons(&self) -> &[Reason] {
        match self {
            Validation::Valid { .. } => &[],
            Validation::Invalid { reasons } => reasons,
        }
    }
}

#[cfg(test)]
mod tests;
