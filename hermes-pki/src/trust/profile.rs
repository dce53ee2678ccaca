//! The certificate-profile rules of RFC 5280 section 4 that path validation (section 6) does
//! not require: what a conforming CA writes, checked certificate by certificate.
//!
//! Real CAs break some of them (NSS's and many corporate CAs issue certificates without key
//! identifiers, with a non-critical basicConstraints, ...), and OpenSSL, NSS and BouncyCastle
//! accept such chains for mail. So by default each broken rule is a [`Warning::Profile`] on a
//! valid result; with [`ValidationOptions::rfc5280_strict`] it is a [`Reason::Profile`]. One
//! rule, one [`ProfileRule`] variant, one place: to add a rule, add a variant and its check in
//! [`check`].
//!
//! [`Warning::Profile`]: super::Warning::Profile
//! [`Reason::Profile`]: super::Reason::Profile
//! [`ValidationOptions::rfc5280_strict`]: super::ValidationOptions::rfc5280_strict

use std::fmt;

use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::name::GeneralName;

use super::names::is_preferred_name_syntax;
use super::verify::is_self_issued;
use crate::cert::{Certificate, oid};

/// One RFC 5280 section 4 profile rule a certificate breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ProfileRule {
    /// The serial number is zero (4.1.2.2).
    SerialZero,
    /// The serial number is negative (4.1.2.2).
    SerialNegative,
    /// The serial number is longer than 20 octets (4.1.2.2).
    SerialTooLong,
    /// No authorityKeyIdentifier on a certificate that is not self-issued (4.2.1.1).
    MissingAuthorityKeyId,
    /// A CA certificate without subjectKeyIdentifier (4.2.1.2).
    CaMissingSubjectKeyId,
    /// A CA certificate with an empty subject (4.1.2.6).
    CaEmptySubject,
    /// A CA certificate whose basicConstraints is not critical (4.2.1.9).
    BasicConstraintsNotCritical,
    /// keyCertSign without basicConstraints cA (4.2.1.3).
    KeyCertSignWithoutCa,
    /// An empty subject with a non-critical subjectAltName (4.2.1.6).
    EmptySubjectWithNonCriticalSan,
    /// nameConstraints not marked critical (4.2.1.10).
    NameConstraintsNotCritical,
    /// nameConstraints in a certificate that is not a CA (4.2.1.10).
    NameConstraintsOnNonCa,
    /// policyConstraints not marked critical (4.2.1.11).
    PolicyConstraintsNotCritical,
    /// The authorityInfoAccess extension does not parse (4.2.2.1).
    MalformedAuthorityInfoAccess,
    /// A subjectAltName dNSName that is not a host name in preferred name syntax (4.2.1.6).
    InvalidSanDnsName(String),
    /// An S/MIME end-entity certificate that is also a CA certificate (RFC 8550 4.4.2: a
    /// certificate used for mail is an end-entity certificate).
    EndEntityIsCa,
}

impl ProfileRule {
    /// The section of the RFC the rule comes from.
    pub fn section(&self) -> &'static str {
        match self {
            ProfileRule::SerialZero | ProfileRule::SerialNegative | ProfileRule::SerialTooLong => {
                "RFC 5280 4.1.2.2"
            }
            ProfileRule::MissingAuthorityKeyId => "RFC 5280 4.2.1.1",
            ProfileRule::CaMissingSubjectKeyId => "RFC 5280 4.2.1.2",
            ProfileRule::CaEmptySubject => "RFC 5280 4.1.2.6",
            ProfileRule::BasicConstraintsNotCritical => "RFC 5280 4.2.1.9",
            ProfileRule::KeyCertSignWithoutCa => "RFC 5280 4.2.1.3",
            ProfileRule::EmptySubjectWithNonCriticalSan | ProfileRule::InvalidSanDnsName(_) => {
                "RFC 5280 4.2.1.6"
            }
            ProfileRule::NameConstraintsNotCritical | ProfileRule::NameConstraintsOnNonCa => {
                "RFC 5280 4.2.1.10"
            }
            ProfileRule::PolicyConstraintsNotCritical => "RFC 5280 4.2.1.11",
            ProfileRule::MalformedAuthorityInfoAccess => "RFC 5280 4.2.2.1",
            ProfileRule::EndEntityIsCa => "RFC 8550 4.4.2",
        }
    }
}

impl fmt::Display for ProfileRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileRule::SerialZero => f.write_str("the serial number is zero"),
            ProfileRule::SerialNegative => f.write_str("the serial number is negative"),
            ProfileRule::SerialTooLong => f.write_str("the serial number is longer than 20 octets"),
            ProfileRule::MissingAuthorityKeyId => {
                f.write_str("no authority key identifier (required unless self-signed)")
            }
            ProfileRule::CaMissingSubjectKeyId => {
                f.write_str("a CA certificate without a subject key identifier")
            }
            ProfileRule::CaEmptySubject => f.write_str("a CA certificate with an empty subject"),
            ProfileRule::BasicConstraintsNotCritical => {
                f.write_str("a CA certificate whose basicConstraints is not critical")
            }
            ProfileRule::KeyCertSignWithoutCa => {
                f.write_str("keyCertSign without basicConstraints cA")
            }
            ProfileRule::EmptySubjectWithNonCriticalSan => {
                f.write_str("an empty subject with a non-critical subjectAltName")
            }
            ProfileRule::NameConstraintsNotCritical => {
                f.write_str("nameConstraints is not critical")
            }
            ProfileRule::NameConstraintsOnNonCa => {
                f.write_str("nameConstraints in a certificate that is not a CA")
            }
            ProfileRule::PolicyConstraintsNotCritical => {
                f.write_str("policyConstraints is not critical")
            }
            ProfileRule::MalformedAuthorityInfoAccess => {
                f.write_str("the authorityInfoAccess extension does not parse")
            }
            ProfileRule::InvalidSanDnsName(name) => {
                write!(
                    f,
                    "subjectAltName dNSName {name:?} is not a valid host name"
                )
            }
            ProfileRule::EndEntityIsCa => {
                f.write_str("an end-entity (mail) certificate that is also a CA certificate")
            }
        }?;
        write!(f, " ({})", self.section())
    }
}

/// Where a certificate sits on the chain being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Position {
    /// The end certificate (first on the chain).
    pub leaf: bool,
    /// The trust anchor (last on the chain).
    pub anchor: bool,
    /// The end certificate is for S/MIME (an end-entity role).
    pub smime_leaf: bool,
}

/// Every profile rule `cert`, at `pos` on its chain, breaks.
pub(crate) fn check(cert: &Certificate, pos: Position) -> Vec<ProfileRule> {
    let mut out = Vec::new();
    let tbs = cert.x509().tbs_certificate();
    let serial = tbs.serial_number().as_bytes();
    if pos.anchor {
        // Trust anchors are trusted as configured (real roots have serial 0).
    } else if serial.iter().all(|b| *b == 0) {
        out.push(ProfileRule::SerialZero);
    } else if serial.first().is_some_and(|b| b & 0x80 != 0) {
        out.push(ProfileRule::SerialNegative);
    } else if serial.len() > 20 {
        out.push(ProfileRule::SerialTooLong);
    }
    let ext = |id: &ObjectIdentifier| {
        tbs.extensions()
            .and_then(|exts| exts.iter().find(|e| e.extn_id == *id))
    };
    let ca_position = !pos.leaf;
    if !pos.anchor && !is_self_issued(cert) && cert.authority_key_id().is_none() {
        out.push(ProfileRule::MissingAuthorityKeyId);
    }
    if ca_position && cert.subject_key_id().is_none() {
        out.push(ProfileRule::CaMissingSubjectKeyId);
    }
    if ca_position && tbs.subject().is_empty() {
        out.push(ProfileRule::CaEmptySubject);
    }
    if ca_position && ext(&oid::CE_BASIC_CONSTRAINTS).is_some_and(|bc| !bc.critical) {
        out.push(ProfileRule::BasicConstraintsNotCritical);
    }
    if cert.key_usage().is_some_and(|ku| ku.key_cert_sign) && !cert.is_ca() {
        out.push(ProfileRule::KeyCertSignWithoutCa);
    }
    if ext(&oid::CE_SUBJECT_ALT_NAME).is_some_and(|san| !san.critical) && tbs.subject().is_empty() {
        out.push(ProfileRule::EmptySubjectWithNonCriticalSan);
    }
    if let Some(nc) = ext(&oid::CE_NAME_CONSTRAINTS) {
        if !nc.critical {
            out.push(ProfileRule::NameConstraintsNotCritical);
        }
        if !cert.is_ca() {
            out.push(ProfileRule::NameConstraintsOnNonCa);
        }
    }
    if ext(&oid::CE_POLICY_CONSTRAINTS).is_some_and(|pc| !pc.critical) {
        out.push(ProfileRule::PolicyConstraintsNotCritical);
    }
    if ext(&oid::PE_AUTHORITY_INFO_ACCESS).is_some()
        && tbs
            .get_extension::<x509_cert::ext::pkix::AuthorityInfoAccessSyntax>()
            .is_err()
    {
        out.push(ProfileRule::MalformedAuthorityInfoAccess);
    }
    if let Ok(Some((_, san))) = tbs.get_extension::<x509_cert::ext::pkix::SubjectAltName>() {
        for name in &san.0 {
            if let GeneralName::DnsName(d) = name
                && !is_preferred_name_syntax(d.as_str())
            {
                out.push(ProfileRule::InvalidSanDnsName(d.as_str().to_string()));
            }
        }
    }
    if pos.leaf && pos.smime_leaf && cert.is_ca() {
        out.push(ProfileRule::EndEntityIsCa);
    }
    out
}
