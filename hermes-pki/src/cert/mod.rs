//! Certificates: parsed once, DER kept, with the facts the rest of the library asks for.
//!
//! API CONTRACT (skeleton; bodies are filled in by the `cert` work). Other modules (store, key,
//! bindings) program against these signatures.

mod load;
mod thumbprint;

pub use load::{LoadProblem, LoadReport, load_certificates, parse_der, parse_pem_bundle, parse_pkcs7};
pub use thumbprint::{Sha256Thumbprint, Sha512Thumbprint, Thumbprint};

use std::time::SystemTime;

use crate::error::Result;

/// A certificate serial number: the big-endian bytes of the (positive) INTEGER, without a
/// leading zero, shown as upper-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// From the big-endian magnitude bytes; leading zero bytes are stripped.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len().saturating_sub(1));
        Serial(bytes[start..].to_vec())
    }
    /// Parses hex as an admin types it (`01:A2 ff`, `0x1a2f`); separators and case ignored.
    pub fn from_hex(s: &str) -> Result<Self> {
        let s = s.trim();
        let s = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")).unwrap_or(s);
        let mut digits: String = s.chars().filter(|c| !matches!(c, ':' | ' ' | '-')).collect();
        if digits.is_empty() {
            return Err(crate::Error::InvalidArgument("serial number is empty".into()));
        }
        if digits.len() % 2 == 1 {
            digits.insert(0, '0');
        }
        let bytes = hex::decode(&digits).map_err(|_| {
            crate::Error::InvalidArgument(format!("serial number {s:?} is not hexadecimal"))
        })?;
        Ok(Self::from_bytes(&bytes))
    }
    /// The big-endian magnitude bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Display for Serial {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode_upper(&self.0))
    }
}

/// The public-key algorithm of a certificate or key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyAlgorithm {
    /// RSA with the modulus size in bits.
    Rsa {
        /// Modulus size in bits.
        bits: usize,
    },
    /// ECDSA / ECDH on NIST P-256.
    EcP256,
    /// ECDSA / ECDH on NIST P-384.
    EcP384,
    /// Ed25519 (signing only).
    Ed25519,
    /// Anything else, by OID (dotted).
    Other(String),
}

/// The keyUsage bits (RFC 5280 4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct KeyUsage {
    /// digitalSignature
    pub digital_signature: bool,
    /// nonRepudiation / contentCommitment
    pub non_repudiation: bool,
    /// keyEncipherment
    pub key_encipherment: bool,
    /// dataEncipherment
    pub data_encipherment: bool,
    /// keyAgreement
    pub key_agreement: bool,
    /// keyCertSign
    pub key_cert_sign: bool,
    /// cRLSign
    pub crl_sign: bool,
    /// encipherOnly
    pub encipher_only: bool,
    /// decipherOnly
    pub decipher_only: bool,
}

/// basicConstraints (RFC 5280 4.2.1.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicConstraints {
    /// cA
    pub ca: bool,
    /// pathLenConstraint
    pub path_len: Option<u32>,
}

/// Why a certificate cannot be used for an S/MIME purpose (REQUIREMENTS.md section 1).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UsageError {
    /// keyUsage is present and lacks every bit the purpose needs.
    #[error("keyUsage is present but has none of: {needed}")]
    KeyUsageMissing {
        /// The bits that would have allowed the purpose.
        needed: &'static str,
    },
    /// extendedKeyUsage is present without emailProtection or anyExtendedKeyUsage.
    #[error("extendedKeyUsage is present but has neither emailProtection nor anyExtendedKeyUsage")]
    ExtendedKeyUsageMissing,
    /// The key algorithm cannot do this (e.g. Ed25519 for encryption).
    #[error("a {0} key cannot be used for this purpose")]
    KeyAlgorithm(String),
}

/// A parsed X.509 certificate. Cheap to clone is not a goal; it owns its DER.
#[derive(Debug, Clone)]
pub struct Certificate {
    // filled in by the cert work
}

impl Certificate {
    /// Parses one DER-encoded certificate. Trailing bytes are an error.
    pub fn from_der(_der: &[u8]) -> Result<Self> {
        todo!()
    }
    /// Parses exactly one PEM `CERTIFICATE` block.
    pub fn from_pem(_pem: &str) -> Result<Self> {
        todo!()
    }
    /// The DER encoding, exactly as parsed.
    pub fn der(&self) -> &[u8] {
        todo!()
    }
    /// PEM encoding (`-----BEGIN CERTIFICATE-----`, 64-column base64, LF line ends).
    pub fn to_pem(&self) -> String {
        todo!()
    }
    /// The parsed `x509-cert` structure.
    pub fn x509(&self) -> &x509_cert::Certificate {
        todo!()
    }
    /// SHA-256 over the DER.
    pub fn sha256(&self) -> &Sha256Thumbprint {
        todo!()
    }
    /// SHA-512 over the DER: the certificate's identity in the store and the trust list.
    pub fn thumbprint(&self) -> &Thumbprint {
        todo!()
    }
    /// Subject as an RFC 4514 string (`CN=Alice,O=Example,C=NL`).
    pub fn subject(&self) -> &str {
        todo!()
    }
    /// Issuer as an RFC 4514 string.
    pub fn issuer(&self) -> &str {
        todo!()
    }
    /// DER of the subject Name (for index lookups: compare names by their encoding).
    pub fn subject_der(&self) -> &[u8] {
        todo!()
    }
    /// DER of the issuer Name.
    pub fn issuer_der(&self) -> &[u8] {
        todo!()
    }
    /// The serial number.
    pub fn serial(&self) -> &Serial {
        todo!()
    }
    /// notBefore.
    pub fn not_before(&self) -> SystemTime {
        todo!()
    }
    /// notAfter.
    pub fn not_after(&self) -> SystemTime {
        todo!()
    }
    /// notBefore <= t <= notAfter.
    pub fn is_valid_at(&self, _t: SystemTime) -> bool {
        todo!()
    }
    /// Email addresses from SAN rfc822Name and subject emailAddress, normalised
    /// (see [`normalize_email`]), de-duplicated, in certificate order.
    pub fn emails(&self) -> &[String] {
        todo!()
    }
    /// keyUsage, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        todo!()
    }
    /// extendedKeyUsage OIDs (dotted strings), if present.
    pub fn extended_key_usage(&self) -> Option<&[String]> {
        todo!()
    }
    /// basicConstraints, if present.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        todo!()
    }
    /// subjectKeyIdentifier bytes, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        todo!()
    }
    /// authorityKeyIdentifier keyIdentifier bytes, if present.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        todo!()
    }
    /// URIs of the CRL distribution points (fullName uniformResourceIdentifier).
    pub fn crl_distribution_points(&self) -> &[String] {
        todo!()
    }
    /// basicConstraints cA is true.
    pub fn is_ca(&self) -> bool {
        todo!()
    }
    /// Subject equals issuer and the signature verifies with the certificate's own key.
    pub fn is_self_signed(&self) -> bool {
        todo!()
    }
    /// The public key algorithm.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        todo!()
    }
    /// DER of the SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        todo!()
    }
    /// S/MIME signing usage (REQUIREMENTS.md section 1).
    pub fn usable_for_signing(&self) -> Result<(), UsageError> {
        todo!()
    }
    /// S/MIME encryption usage (REQUIREMENTS.md section 1).
    pub fn usable_for_encryption(&self) -> Result<(), UsageError> {
        todo!()
    }
}

/// Normalises an email address: trims, keeps the local part exactly, lower-cases the domain and
/// converts an IDN domain to its A-label (punycode) form. Errors on an address without exactly
/// one `@` or with an invalid domain.
pub fn normalize_email(_addr: &str) -> Result<String> {
    todo!()
}
