//! The extensions of the certificates the CA makes (REQUIREMENTS.md section 2).
//!
//! - CA certificate: basicConstraints (critical, cA, pathLenConstraint), keyUsage (critical,
//!   keyCertSign + cRLSign), subjectKeyIdentifier, authorityKeyIdentifier.
//! - End-user S/MIME certificate: basicConstraints (critical, not a CA), keyUsage (critical,
//!   digitalSignature + keyEncipherment for RSA, digitalSignature + keyAgreement +
//!   keyEncipherment for EC (see below), digitalSignature for Ed25519), extendedKeyUsage emailProtection, subjectAltName
//!   rfc822Name, subjectKeyIdentifier, authorityKeyIdentifier, optional CRL distribution point.

use der::asn1::{Ia5String, OctetString};
use der::flagset::FlagSet;
use x509_cert::ext::Extensions;
use x509_cert::ext::pkix::crl::dp::DistributionPoint;
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, CrlDistributionPoints, ExtendedKeyUsage, KeyUsage,
    KeyUsages, SubjectAltName, SubjectKeyIdentifier,
};

use super::sign::extension;
use crate::cert::{KeyAlgorithm, oid};
use crate::error::{Error, Result};

fn ski_ext(ski: &[u8]) -> Result<x509_cert::ext::Extension> {
    let v = SubjectKeyIdentifier(
        OctetString::new(ski).map_err(|e| Error::Crypto(format!("key identifier: {e}")))?,
    );
    extension(oid::CE_SUBJECT_KEY_ID, false, &v)
}

fn aki_ext(issuer_ski: &[u8]) -> Result<x509_cert::ext::Extension> {
    let v = AuthorityKeyIdentifier {
        key_identifier: Some(
            OctetString::new(issuer_ski)
                .map_err(|e| Error::Crypto(format!("key identifier: {e}")))?,
        ),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    };
    extension(oid::CE_AUTHORITY_KEY_ID, false, &v)
}

/// The extensions of a CA certificate. `path_len`: how many CA certificates may follow it.
pub(crate) fn ca_extensions(
    ski: &[u8],
    issuer_ski: &[u8],
    path_len: Option<u8>,
) -> Result<Extensions> {
    let bc = BasicConstraints {
        ca: true,
        path_len_constraint: path_len,
    };
    let ku = KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign);
    Ok(vec![
        extension(oid::CE_BASIC_CONSTRAINTS, true, &bc)?,
        extension(oid::CE_KEY_USAGE, true, &ku)?,
        ski_ext(ski)?,
        aki_ext(issuer_ski)?,
    ])
}

/// The extensions of an end-user S/MIME certificate.
pub(crate) fn smime_extensions(
    key: &KeyAlgorithm,
    email: &str,
    ski: &[u8],
    issuer_ski: &[u8],
    crl_dp: Option<&str>,
) -> Result<Extensions> {
    let bc = BasicConstraints {
        ca: false,
        path_len_constraint: None,
    };
    let bits: FlagSet<KeyUsages> = match key {
        KeyAlgorithm::Rsa { .. } => KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment,
        // keyAgreement is what ECDH needs (RFC 8551, and what NSS checks); keyEncipherment too,
        // because OpenSSL's S/MIME encryption purpose check demands that bit for every key
        // type (`openssl verify -purpose smimeencrypt` fails an EC certificate without it).
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {
            KeyUsages::DigitalSignature | KeyUsages::KeyEncipherment | KeyUsages::KeyAgreement
        }
        KeyAlgorithm::Ed25519 => KeyUsages::DigitalSignature.into(),
        other => {
            return Err(Error::unsupported(
                "key for an S/MIME certificate",
                other.to_string(),
            ));
        }
    };
    let ia5 = |s: &str, what: &str| {
        Ia5String::new(s).map_err(|_| Error::InvalidArgument(format!("{what} {s:?} is not ASCII")))
    };
    let san = SubjectAltName(vec![GeneralName::Rfc822Name(ia5(email, "email address")?)]);
    let mut exts = vec![
        extension(oid::CE_BASIC_CONSTRAINTS, true, &bc)?,
        extension(oid::CE_KEY_USAGE, true, &KeyUsage(bits))?,
        extension(
            oid::CE_EXT_KEY_USAGE,
            false,
            &ExtendedKeyUsage(vec![crate::cert::Eku::EMAIL_PROTECTION.oid()]),
        )?,
        extension(oid::CE_SUBJECT_ALT_NAME, false, &san)?,
        ski_ext(ski)?,
        aki_ext(issuer_ski)?,
    ];
    if let Some(url) = crl_dp {
        let dp = DistributionPoint {
            distribution_point: Some(DistributionPointName::FullName(vec![
                GeneralName::UniformResourceIdentifier(ia5(url, "CRL distribution point")?),
            ])),
            reasons: None,
            crl_issuer: None,
        };
        exts.push(extension(
            oid::CE_CRL_DISTRIBUTION_POINTS,
            false,
            &CrlDistributionPoints(vec![dp]),
        )?);
    }
    Ok(exts)
}

/// Checks a CRL distribution point URL: http or https, ASCII, no spaces.
pub(crate) fn check_crl_url(url: &str) -> Result<()> {
    let lower = url.to_ascii_lowercase();
    let scheme_ok = lower.starts_with("http://") || lower.starts_with("https://");
    let host_ok = url
        .split("://")
        .nth(1)
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !scheme_ok
        || !host_ok
        || !url.is_ascii()
        || url
            .chars()
            .any(|c| c.is_ascii_whitespace() || c.is_ascii_control())
    {
        return Err(Error::InvalidArgument(format!(
            "CRL distribution point {url:?} is not an http:// or https:// URL"
        )));
    }
    Ok(())
}
