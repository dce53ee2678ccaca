//! Certificates: parsed once, DER kept, with the facts the rest of the library asks for.
//!
//! A [`Certificate`] keeps the DER exactly as given and the parsed `x509-cert` structure, and
//! computes once, at parse time, what the rest of the library asks for: thumbprints, names,
//! serial, validity, email addresses, key usages, key identifiers, CRL distribution points and
//! the key algorithm. Cloning is cheap (the parsed data is shared).
//!
//! Loaders for files as users have them (PEM bundles, DER, PKCS#7 certs-only) are in
//! [`load_certificates`] and friends.

mod eku;
pub(crate) mod load;
pub(crate) mod name;
pub(crate) mod oid;
pub(crate) mod pre1970;
pub(crate) mod signature;
mod thumbprint;

pub use eku::Eku;
pub use load::{
    LoadProblem, LoadReport, load_certificates, parse_der, parse_pem_bundle, parse_pkcs7,
};
pub use signature::{verify_signature, verify_signature_with_params};
pub use thumbprint::{Sha256Thumbprint, Sha512Thumbprint, Thumbprint};

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use der::asn1::{BitStringRef, ObjectIdentifier, OctetStringRef};
use der::{Decode, Tag, Tagged};

use crate::error::{Error, Result};
use crate::tlv;

/// A certificate serial number: the big-endian bytes of the (positive) INTEGER, without a
/// leading zero, shown as upper-case hex.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial(Vec<u8>);

impl Serial {
    /// From the big-endian magnitude bytes; leading zero bytes are stripped.
    pub fn from_bytes(bytes: &[u8]) -> Self {
        Serial(Serial::minimal(bytes).to_vec())
    }

    /// The bytes a [`Serial`] of this big-endian magnitude holds: without leading zero bytes,
    /// one kept for zero itself.
    pub(crate) fn minimal(bytes: &[u8]) -> &[u8] {
        let start = bytes
            .iter()
            .position(|b| *b != 0)
            .unwrap_or(bytes.len().saturating_sub(1));
        bytes.get(start..).unwrap_or_default()
    }
    /// Parses hex as an admin types it (`01:A2 ff`, `0x1a2f`); separators and case ignored.
    pub fn from_hex(s: &str) -> Result<Self> {
        let s = s.trim();
        let s = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        let mut digits: String = s
            .chars()
            .filter(|c| !matches!(c, ':' | ' ' | '-'))
            .collect();
        if digits.is_empty() {
            return Err(crate::Error::InvalidArgument(
                "serial number is empty".into(),
            ));
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
    /// DSA (RFC 3279 2.3.2), read and verified only: this library never makes DSA keys or
    /// signatures. Below 1024 bits it is weak.
    Dsa {
        /// Size of the prime `p` in bits; `None` when the key has no parameters of its own and
        /// inherits them from its issuer (RFC 3279 2.3.2), so the size is the issuer's.
        bits: Option<usize>,
    },
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

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::Rsa { bits } => write!(f, "RSA-{bits}"),
            KeyAlgorithm::EcP256 => f.write_str("EC P-256"),
            KeyAlgorithm::EcP384 => f.write_str("EC P-384"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Dsa { bits: Some(bits) } => write!(f, "DSA-{bits}"),
            KeyAlgorithm::Dsa { bits: None } => f.write_str("DSA (parameters inherited)"),
            KeyAlgorithm::Other(oid) => write!(f, "unsupported ({oid})"),
        }
    }
}

/// A parsed X.509 certificate: the DER exactly as given, the parsed structure and the facts
/// computed from it at parse time. Cloning is cheap: the parsed data is shared.
#[derive(Debug, Clone)]
pub struct Certificate {
    inner: Arc<Inner>,
}

struct Inner {
    der: Vec<u8>,
    x509: x509_cert::Certificate,
    /// Byte ranges within `der`.
    tbs: std::ops::Range<usize>,
    subject_der: std::ops::Range<usize>,
    issuer_der: std::ops::Range<usize>,
    spki: std::ops::Range<usize>,
    dsa_params: Option<std::ops::Range<usize>>,
    sha256: Sha256Thumbprint,
    sha512: Thumbprint,
    subject: String,
    issuer: String,
    serial: Serial,
    not_before: SystemTime,
    not_after: SystemTime,
    emails: Vec<String>,
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<Vec<Eku>>,
    basic_constraints: Option<BasicConstraints>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    crl_distribution_points: Vec<String>,
    key_algorithm: KeyAlgorithm,
    self_signed: OnceLock<bool>,
}

impl fmt::Debug for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("serial", &self.serial.to_string())
            .field("sha256", &self.sha256)
            .finish_non_exhaustive()
    }
}

fn malformed(detail: impl fmt::Display) -> Error {
    Error::malformed("certificate", detail)
}

/// The position of `part` (a sub-slice of `whole`) within `whole`.
fn range_of(whole: &[u8], part: &[u8]) -> Result<std::ops::Range<usize>> {
    let start = (part.as_ptr() as usize)
        .checked_sub(whole.as_ptr() as usize)
        .ok_or_else(|| malformed("internal offset error"))?;
    let end = start
        .checked_add(part.len())
        .filter(|end| *end <= whole.len())
        .ok_or_else(|| malformed("internal offset error"))?;
    Ok(start..end)
}

/// The raw element ranges of a certificate: tbsCertificate, issuer, validity, subject, SPKI,
/// and the DSA parameters inside the SPKI.
struct RawParts {
    tbs: std::ops::Range<usize>,
    issuer: std::ops::Range<usize>,
    validity: std::ops::Range<usize>,
    subject: std::ops::Range<usize>,
    spki: std::ops::Range<usize>,
    dsa_params: Option<std::ops::Range<usize>>,
}

/// The parameters of an `id-dsa` SubjectPublicKeyInfo (absent or NULL: none).
fn dsa_params_of(spki: &[u8]) -> Result<Option<&[u8]>> {
    let spki = tlv::single(spki).map_err(malformed)?;
    let fields = tlv::elements(spki.value).map_err(malformed)?;
    let Some(alg) = fields.first() else {
        return Ok(None);
    };
    let alg = tlv::elements(alg.value).map_err(malformed)?;
    match alg.as_slice() {
        [o, params]
            if ObjectIdentifier::from_der(o.raw).is_ok_and(|o| o == oid::DSA)
                && params.tag != Tag::Null =>
        {
            Ok(Some(params.raw))
        }
        _ => Ok(None),
    }
}

fn raw_parts(der: &[u8]) -> Result<RawParts> {
    let outer = tlv::single(der).map_err(malformed)?;
    let parts = tlv::elements(outer.value).map_err(malformed)?;
    let tbs = parts
        .first()
        .ok_or_else(|| malformed("empty certificate"))?;
    let fields = tlv::elements(tbs.value).map_err(malformed)?;
    // [0] version is optional; then serial, signature, issuer, validity, subject, spki.
    let skip = usize::from(
        fields
            .first()
            .is_some_and(|f| tlv::is_context(f.tag, 0, true)),
    );
    let field = |i: usize| {
        fields
            .get(skip + i)
            .ok_or_else(|| malformed("tbsCertificate is missing fields"))
    };
    let spki = field(5)?.raw;
    Ok(RawParts {
        tbs: range_of(der, tbs.raw)?,
        issuer: range_of(der, field(2)?.raw)?,
        validity: range_of(der, field(3)?.raw)?,
        subject: range_of(der, field(4)?.raw)?,
        spki: range_of(der, spki)?,
        dsa_params: dsa_params_of(spki)?.map(|p| range_of(der, p)).transpose()?,
    })
}

/// The magnitude of a DER INTEGER's two's-complement bytes.
pub(crate) fn integer_magnitude(bytes: &[u8]) -> Vec<u8> {
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        // Negative (not allowed by RFC 5280, found in old certificates): negate.
        let mut out: Vec<u8> = bytes.iter().map(|b| !b).collect();
        for b in out.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        out
    } else {
        bytes.to_vec()
    }
}

pub(crate) fn key_algorithm_of(spki: &x509_cert::spki::SubjectPublicKeyInfoOwned) -> KeyAlgorithm {
    let alg = &spki.algorithm;
    match alg.oid {
        oid::RSA_ENCRYPTION | oid::RSASSA_PSS => {
            let bits = spki
                .subject_public_key
                .as_bytes()
                .and_then(|b| rsa::pkcs1::RsaPublicKeyRef::from_der(b).ok())
                .map(|k| {
                    let n = k.modulus.as_bytes();
                    n.first()
                        .map(|top| (n.len() - 1) * 8 + (8 - top.leading_zeros() as usize))
                        .unwrap_or(0)
                });
            match bits {
                Some(bits) => KeyAlgorithm::Rsa { bits },
                None => KeyAlgorithm::Other(alg.oid.to_string()),
            }
        }
        oid::EC_PUBLIC_KEY => {
            let curve = alg
                .parameters
                .as_ref()
                .and_then(|p| p.decode_as::<ObjectIdentifier>().ok());
            match curve {
                Some(oid::P256) => KeyAlgorithm::EcP256,
                Some(oid::P384) => KeyAlgorithm::EcP384,
                Some(other) => KeyAlgorithm::Other(other.to_string()),
                None => KeyAlgorithm::Other(alg.oid.to_string()),
            }
        }
        oid::ED25519 => KeyAlgorithm::Ed25519,
        oid::DSA => match alg.parameters.as_ref().filter(|p| !p.is_null()) {
            None => KeyAlgorithm::Dsa { bits: None },
            Some(params) => der::Encode::to_der(params)
                .ok()
                .and_then(|der| {
                    signature::parse_dss_parms(&der)
                        .ok()
                        .map(|dss| signature::bit_len(dss.p))
                })
                .map_or_else(
                    || KeyAlgorithm::Other(alg.oid.to_string()),
                    |bits| KeyAlgorithm::Dsa { bits: Some(bits) },
                ),
        },
        other => KeyAlgorithm::Other(other.to_string()),
    }
}

/// Extensions, parsed.
#[derive(Default)]
struct Extensions {
    key_usage: Option<KeyUsage>,
    extended_key_usage: Option<Vec<Eku>>,
    basic_constraints: Option<BasicConstraints>,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    crl_distribution_points: Vec<String>,
    san_emails: Vec<String>,
}

fn parse_key_usage(value: &[u8]) -> der::Result<KeyUsage> {
    let bits = BitStringRef::from_der(value)?;
    let bit = |n: usize| {
        bits.raw_bytes()
            .get(n / 8)
            .is_some_and(|byte| byte & (0x80 >> (n % 8)) != 0)
    };
    Ok(KeyUsage {
        digital_signature: bit(0),
        non_repudiation: bit(1),
        key_encipherment: bit(2),
        data_encipherment: bit(3),
        key_agreement: bit(4),
        key_cert_sign: bit(5),
        crl_sign: bit(6),
        encipher_only: bit(7),
        decipher_only: bit(8),
    })
}

fn expect_sequence<'a>(value: &'a [u8]) -> der::Result<Vec<tlv::Tlv<'a>>> {
    let seq = tlv::single(value)?;
    if seq.tag != Tag::Sequence {
        return Err(seq.tag.unexpected_error(Some(Tag::Sequence)).into());
    }
    tlv::elements(seq.value)
}

fn parse_basic_constraints(value: &[u8]) -> der::Result<BasicConstraints> {
    let fields = expect_sequence(value)?;
    let mut ca = false;
    let mut path_len = None;
    let mut rest = fields.as_slice();
    if let Some((first, tail)) = rest.split_first()
        && first.tag == Tag::Boolean
    {
        ca = bool::from_der(first.raw)?;
        rest = tail;
    }
    if let Some((first, tail)) = rest.split_first() {
        path_len = Some(u32::from_der(first.raw)?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(der::ErrorKind::Failed.into());
    }
    Ok(BasicConstraints { ca, path_len })
}

fn parse_eku(value: &[u8]) -> der::Result<Vec<Eku>> {
    expect_sequence(value)?
        .iter()
        .map(|t| ObjectIdentifier::from_der(t.raw).map(Eku::new))
        .collect()
}

pub(crate) fn parse_aki(value: &[u8]) -> der::Result<Option<Vec<u8>>> {
    Ok(expect_sequence(value)?
        .iter()
        .find(|t| tlv::is_context(t.tag, 0, false))
        .map(|t| t.value.to_vec()))
}

/// GeneralNames: returns the contents of every element with the given primitive context tag.
pub(crate) fn general_names(value: &[u8], number: u32) -> der::Result<Vec<&[u8]>> {
    Ok(tlv::elements(value)?
        .into_iter()
        .filter(|t| tlv::is_context(t.tag, number, false))
        .map(|t| t.value)
        .collect())
}

/// The most names a certificate's subjectAltName may hold; a certificate with more does not
/// load ([`Error::LimitExceeded`]).
pub const MAX_SAN_ENTRIES: usize = 10_000;

/// The most distribution points (and the most URIs in all of them) a certificate's
/// cRLDistributionPoints may hold; a certificate with more does not load
/// ([`Error::LimitExceeded`]).
pub const MAX_DISTRIBUTION_POINTS: usize = 64;

/// Counts the elements of the SEQUENCE in `value`, reading at most `max + 1`: whether there
/// are more than `max`. Errors are left to the full parse.
fn more_than(value: &[u8], max: usize) -> bool {
    tlv::single(value)
        .and_then(|seq| tlv::elements_at_most(seq.value, max))
        .is_ok_and(|(_, more)| more)
}

fn parse_san_emails(value: &[u8]) -> der::Result<Vec<String>> {
    let seq = tlv::single(value)?;
    if seq.tag != Tag::Sequence {
        return Err(seq.tag.unexpected_error(Some(Tag::Sequence)).into());
    }
    // rfc822Name is an IA5String, but UTF-8 is found there (OpenSSL writes it): accepted.
    Ok(general_names(seq.value, 1)?
        .into_iter()
        .filter_map(|b| std::str::from_utf8(b).ok().map(str::to_owned))
        .collect())
}

fn parse_crl_dps(value: &[u8]) -> der::Result<Vec<String>> {
    let mut uris = Vec::new();
    for dp in expect_sequence(value)? {
        if dp.tag != Tag::Sequence {
            return Err(dp.tag.unexpected_error(Some(Tag::Sequence)).into());
        }
        for field in tlv::elements(dp.value)? {
            if !tlv::is_context(field.tag, 0, true) {
                continue;
            }
            for dp_name in tlv::elements(field.value)? {
                // fullName [0] GeneralNames; nameRelativeToCRLIssuer [1] has no URI.
                if tlv::is_context(dp_name.tag, 0, true) {
                    for uri in general_names(dp_name.value, 6)? {
                        if let Ok(s) = std::str::from_utf8(uri) {
                            // More URIs than points allowed: the rest are not fetched.
                            if uris.len() < MAX_DISTRIBUTION_POINTS {
                                uris.push(s.to_owned());
                            }
                        }
                    }
                }
            }
        }
    }
    Ok(uris)
}

fn parse_extensions(cert: &x509_cert::Certificate) -> Result<Extensions> {
    let mut out = Extensions::default();
    let Some(exts) = cert.tbs_certificate().extensions() else {
        return Ok(out);
    };
    let mut seen = HashSet::new();
    for ext in exts {
        if !seen.insert(ext.extn_id) {
            return Err(malformed(format!(
                "extension {} appears more than once",
                ext.extn_id
            )));
        }
        let value = ext.extn_value.as_bytes();
        let bad = |name: &str, e: der::Error| malformed(format!("{name} extension: {e}"));
        match ext.extn_id {
            oid::CE_KEY_USAGE => {
                out.key_usage = Some(parse_key_usage(value).map_err(|e| bad("keyUsage", e))?)
            }
            oid::CE_EXT_KEY_USAGE => {
                out.extended_key_usage =
                    Some(parse_eku(value).map_err(|e| bad("extendedKeyUsage", e))?)
            }
            oid::CE_BASIC_CONSTRAINTS => {
                out.basic_constraints =
                    Some(parse_basic_constraints(value).map_err(|e| bad("basicConstraints", e))?)
            }
            oid::CE_SUBJECT_KEY_ID => {
                let ski = <&OctetStringRef>::from_der(value)
                    .map_err(|e| bad("subjectKeyIdentifier", e))?;
                out.subject_key_id = Some(ski.as_bytes().to_vec());
            }
            oid::CE_AUTHORITY_KEY_ID => {
                out.authority_key_id =
                    parse_aki(value).map_err(|e| bad("authorityKeyIdentifier", e))?
            }
            oid::CE_SUBJECT_ALT_NAME if more_than(value, MAX_SAN_ENTRIES) => {
                return Err(Error::LimitExceeded(format!(
                    "the certificate's subjectAltName has more than {MAX_SAN_ENTRIES} names"
                )));
            }
            oid::CE_CRL_DISTRIBUTION_POINTS if more_than(value, MAX_DISTRIBUTION_POINTS) => {
                return Err(Error::LimitExceeded(format!(
                    "the certificate has more than {MAX_DISTRIBUTION_POINTS} CRL distribution \
                     points"
                )));
            }
            oid::CE_SUBJECT_ALT_NAME => {
                out.san_emails = parse_san_emails(value).map_err(|e| bad("subjectAltName", e))?
            }
            oid::CE_CRL_DISTRIBUTION_POINTS => {
                out.crl_distribution_points =
                    parse_crl_dps(value).map_err(|e| bad("cRLDistributionPoints", e))?
            }
            _ => {}
        }
    }
    Ok(out)
}

/// notBefore and notAfter read from the raw Validity SEQUENCE (for times `x509-cert` cannot
/// hold).
fn validity_by_hand(validity: &[u8]) -> Result<(SystemTime, SystemTime)> {
    let bad = || malformed("validity times do not parse");
    let seq = tlv::single(validity).map_err(|_| bad())?;
    match tlv::elements(seq.value).map_err(|_| bad())?.as_slice() {
        [nb, na] => Ok((
            pre1970::parse_time_der(nb.raw).ok_or_else(bad)?,
            pre1970::parse_time_der(na.raw).ok_or_else(bad)?,
        )),
        _ => Err(bad()),
    }
}

fn subject_emails(name: &x509_cert::name::Name) -> Vec<String> {
    name.iter()
        .filter(|atv| atv.oid == oid::EMAIL_ADDRESS)
        .filter(|atv| matches!(atv.value.tag(), Tag::Ia5String | Tag::Utf8String))
        .filter_map(|atv| {
            std::str::from_utf8(atv.value.value())
                .ok()
                .map(str::to_owned)
        })
        .collect()
}

impl Certificate {
    /// Parses one DER-encoded certificate. Trailing bytes are an error.
    ///
    /// Validity times before 1970 (UTCTime years 50–69, RFC 5280 4.1.2.5.1) are read: see
    /// [`not_before`](Self::not_before). The `x509-cert` structure ([`x509`](Self::x509)) cannot
    /// hold them and has the Unix epoch in their place.
    ///
    /// Errors with [`Error::Malformed`] (`what` = `"certificate"`) for anything that does not
    /// parse, including extension values that do not parse and duplicate extensions.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let (x509, masked) = match x509_cert::Certificate::from_der(der) {
            Ok(x509) => (x509, false),
            // x509-cert cannot represent times before 1970: decode a copy with those masked.
            Err(e) => match pre1970::mask_pre1970_times(der) {
                Some(copy) => match x509_cert::Certificate::from_der(&copy) {
                    Ok(x509) => (x509, true),
                    Err(_) => return Err(malformed(e)),
                },
                None => return Err(malformed(e)),
            },
        };
        let parts = raw_parts(der)?;
        let (not_before, not_after) = if masked {
            validity_by_hand(der.get(parts.validity.clone()).unwrap_or_default())?
        } else {
            let validity = x509.tbs_certificate().validity();
            (
                validity.not_before.to_system_time(),
                validity.not_after.to_system_time(),
            )
        };
        let ext = parse_extensions(&x509)?;
        let tbs = x509.tbs_certificate();

        let mut emails = Vec::new();
        let mut seen = HashSet::new();
        for raw in subject_emails(tbs.subject())
            .into_iter()
            .chain(ext.san_emails)
        {
            if let Ok(email) = normalize_email(&raw)
                && seen.insert(email.clone())
            {
                emails.push(email);
            }
        }

        let inner = Inner {
            sha256: Sha256Thumbprint::of(der),
            sha512: Thumbprint::of(der),
            subject: name::rfc4514(tbs.subject()),
            issuer: name::rfc4514(tbs.issuer()),
            serial: Serial::from_bytes(&integer_magnitude(tbs.serial_number().as_bytes())),
            not_before,
            not_after,
            emails,
            key_usage: ext.key_usage,
            extended_key_usage: ext.extended_key_usage,
            basic_constraints: ext.basic_constraints,
            subject_key_id: ext.subject_key_id,
            authority_key_id: ext.authority_key_id,
            crl_distribution_points: ext.crl_distribution_points,
            key_algorithm: key_algorithm_of(tbs.subject_public_key_info()),
            tbs: parts.tbs,
            subject_der: parts.subject,
            issuer_der: parts.issuer,
            spki: parts.spki,
            dsa_params: parts.dsa_params,
            der: der.to_vec(),
            x509,
            self_signed: OnceLock::new(),
        };
        Ok(Certificate {
            inner: Arc::new(inner),
        })
    }

    /// Parses exactly one PEM `CERTIFICATE` block.
    ///
    /// Another label gives [`Error::UnexpectedPemLabel`]; no block, several blocks or broken
    /// base64 give [`Error::Malformed`].
    ///
    /// ```
    /// use hermes_pki::cert::Certificate;
    ///
    /// let err = Certificate::from_pem("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
    ///     .unwrap_err();
    /// assert_eq!(err.kind(), hermes_pki::ErrorKind::Parse);
    /// assert!(Certificate::from_pem("not PEM").is_err());
    /// ```
    pub fn from_pem(pem: &str) -> Result<Self> {
        let (items, _) = load::scan_pem(pem.as_bytes(), 2);
        let mut items = items.into_iter();
        match (items.next(), items.next()) {
            (None, _) => Err(Error::malformed("PEM certificate", "no PEM block found")),
            (Some(item), None) => {
                let block = item.map_err(|problem| problem.error)?;
                if block.label != "CERTIFICATE" {
                    return Err(Error::UnexpectedPemLabel {
                        label: load::printable_label(block.label),
                        expected: "CERTIFICATE",
                    });
                }
                let der = load::decode_body(block.body)?;
                Certificate::from_der(&der)
            }
            _ => Err(Error::malformed(
                "PEM certificate",
                "more than one PEM block; use load_certificates for bundles",
            )),
        }
    }

    /// The DER encoding, exactly as parsed.
    pub fn der(&self) -> &[u8] {
        &self.inner.der
    }

    /// PEM encoding (`-----BEGIN CERTIFICATE-----`, 64-column base64, LF line ends).
    pub fn to_pem(&self) -> String {
        der::pem::encode_string("CERTIFICATE", der::pem::LineEnding::LF, &self.inner.der)
            .unwrap_or_default()
    }

    /// The parsed `x509-cert` structure.
    ///
    /// `x509-cert` cannot hold times before 1970: for such a validity time its structure has
    /// the Unix epoch instead. [`not_before`](Self::not_before) and
    /// [`not_after`](Self::not_after) have the real times; [`der`](Self::der) and
    /// [`tbs_der`](Self::tbs_der) the original bytes.
    pub fn x509(&self) -> &x509_cert::Certificate {
        &self.inner.x509
    }

    /// The DER of the tbsCertificate, exactly as in the input (what the signature covers).
    pub fn tbs_der(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.tbs.clone())
            .unwrap_or_default()
    }

    /// SHA-256 over the DER.
    pub fn sha256(&self) -> &Sha256Thumbprint {
        &self.inner.sha256
    }

    /// SHA-512 over the DER: the certificate's identity in the store and the trust list.
    pub fn thumbprint(&self) -> &Thumbprint {
        &self.inner.sha512
    }

    /// Subject as an RFC 4514 string (`CN=Alice,O=Example,C=NL`).
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// Issuer as an RFC 4514 string.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// DER of the subject Name (for index lookups: compare names by their encoding).
    pub fn subject_der(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.subject_der.clone())
            .unwrap_or_default()
    }

    /// DER of the issuer Name.
    pub fn issuer_der(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.issuer_der.clone())
            .unwrap_or_default()
    }

    /// The serial number.
    ///
    /// A negative serial (forbidden by RFC 5280, seen in old certificates) is given by its
    /// magnitude.
    pub fn serial(&self) -> &Serial {
        &self.inner.serial
    }

    /// notBefore. A time before 1970 is `UNIX_EPOCH - d`.
    pub fn not_before(&self) -> SystemTime {
        self.inner.not_before
    }

    /// notAfter. A time before 1970 is `UNIX_EPOCH - d`.
    pub fn not_after(&self) -> SystemTime {
        self.inner.not_after
    }

    /// notBefore <= t <= notAfter.
    pub fn is_valid_at(&self, t: SystemTime) -> bool {
        self.inner.not_before <= t && t <= self.inner.not_after
    }

    /// Email addresses from SAN rfc822Name and subject emailAddress, normalised
    /// (see [`normalize_email`]), de-duplicated, in certificate order.
    ///
    /// Certificate order: the subject's emailAddress attributes (the subject comes first in the
    /// certificate), then the SAN rfc822Name entries. Addresses that fail normalisation are
    /// left out.
    pub fn emails(&self) -> &[String] {
        &self.inner.emails
    }

    /// Does the certificate carry `addr` (compared after [`normalize_email`]: exact local part,
    /// case-insensitive and IDN-aware domain)?
    pub fn has_email(&self, addr: &str) -> bool {
        normalize_email(addr).is_ok_and(|a| self.inner.emails.contains(&a))
    }

    /// keyUsage, if present.
    pub fn key_usage(&self) -> Option<KeyUsage> {
        self.inner.key_usage
    }

    /// extendedKeyUsage purposes, in the certificate's order, if present.
    pub fn extended_key_usage(&self) -> Option<&[Eku]> {
        self.inner.extended_key_usage.as_deref()
    }

    /// basicConstraints, if present.
    pub fn basic_constraints(&self) -> Option<BasicConstraints> {
        self.inner.basic_constraints
    }

    /// subjectKeyIdentifier bytes, if present.
    pub fn subject_key_id(&self) -> Option<&[u8]> {
        self.inner.subject_key_id.as_deref()
    }

    /// authorityKeyIdentifier keyIdentifier bytes, if present.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.inner.authority_key_id.as_deref()
    }

    /// URIs of the CRL distribution points (fullName uniformResourceIdentifier).
    pub fn crl_distribution_points(&self) -> &[String] {
        &self.inner.crl_distribution_points
    }

    /// basicConstraints cA is true.
    pub fn is_ca(&self) -> bool {
        self.inner.basic_constraints.is_some_and(|bc| bc.ca)
    }

    /// Subject equals issuer and the signature verifies with the certificate's own key.
    ///
    /// Computed on first use and remembered.
    pub fn is_self_signed(&self) -> bool {
        *self.inner.self_signed.get_or_init(|| {
            self.subject_der() == self.issuer_der() && self.verify_issued_by(self).is_ok()
        })
    }

    /// Checks that `issuer`'s key signed this certificate: the signature over the
    /// tbsCertificate verifies under `issuer`'s public key (names, validity and constraints are
    /// not looked at; that is path validation's job).
    ///
    /// Errors: [`Error::Crypto`] when it does not verify or the signature algorithm inside the
    /// tbsCertificate differs from the outer one; [`Error::Unsupported`] for algorithms this
    /// library does not handle.
    ///
    /// An `issuer` with a DSA key that inherits its parameters (RFC 3279 2.3.2) needs
    /// [`verify_issued_by_with_params`](Self::verify_issued_by_with_params); here it gives
    /// [`Error::InvalidArgument`]. Weak algorithms and keys give [`Error::Weak`] (see
    /// [`verify_signature`]).
    pub fn verify_issued_by(&self, issuer: &Certificate) -> Result<()> {
        self.verify_issued_by_with_params(issuer, None)
    }

    /// [`verify_issued_by`](Self::verify_issued_by) with the DSA parameters `issuer`'s key
    /// inherits: when `issuer`'s DSA SubjectPublicKeyInfo has no parameters, RFC 3279 2.3.2 takes
    /// those of the certificate that issued `issuer`; pass that certificate's
    /// [`dsa_parameters`](Self::dsa_parameters) as `inherited`. `inherited` is ignored when
    /// `issuer`'s key has parameters of its own or is not DSA.
    pub fn verify_issued_by_with_params(
        &self,
        issuer: &Certificate,
        inherited: Option<&[u8]>,
    ) -> Result<()> {
        let x509 = &self.inner.x509;
        if x509.signature_algorithm() != x509.tbs_certificate().signature() {
            return Err(Error::Crypto(
                "the certificate's two signature algorithm fields differ".into(),
            ));
        }
        let signature = x509
            .signature()
            .as_bytes()
            // Not a signature value any algorithm writes (PKITS 4.1.6 has one): does not verify.
            .ok_or_else(|| {
                Error::Crypto(
                    "the signature does not verify: its BIT STRING has unused bits".into(),
                )
            })?;
        verify_signature_with_params(
            issuer.public_key_der(),
            inherited,
            x509.signature_algorithm(),
            self.tbs_der(),
            signature,
        )
    }

    /// The DER of the DSA parameters (`Dss-Parms`: p, q, g; RFC 3279 2.3.2) in this
    /// certificate's SubjectPublicKeyInfo, when its key is DSA and carries them. A DSA key
    /// without them inherits these from its issuer; see
    /// [`verify_issued_by_with_params`](Self::verify_issued_by_with_params).
    pub fn dsa_parameters(&self) -> Option<&[u8]> {
        self.inner
            .dsa_params
            .clone()
            .and_then(|r| self.inner.der.get(r))
    }

    /// The public key algorithm.
    pub fn key_algorithm(&self) -> KeyAlgorithm {
        self.inner.key_algorithm.clone()
    }

    /// DER of the SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> &[u8] {
        self.inner
            .der
            .get(self.inner.spki.clone())
            .unwrap_or_default()
    }

    fn check_eku(&self) -> Result<(), UsageError> {
        match &self.inner.extended_key_usage {
            Some(ekus)
                if !ekus
                    .iter()
                    .any(|o| *o == Eku::EMAIL_PROTECTION || *o == Eku::ANY) =>
            {
                Err(UsageError::ExtendedKeyUsageMissing)
            }
            _ => Ok(()),
        }
    }

    /// S/MIME signing usage (REQUIREMENTS.md section 1): keyUsage, if present, has
    /// digitalSignature or nonRepudiation; extendedKeyUsage, if present, has emailProtection or
    /// anyExtendedKeyUsage; the key is RSA, P-256, P-384, Ed25519 or DSA (DSA signatures are
    /// verified, never made).
    pub fn usable_for_signing(&self) -> Result<(), UsageError> {
        if let KeyAlgorithm::Other(_) = self.inner.key_algorithm {
            return Err(UsageError::KeyAlgorithm(
                self.inner.key_algorithm.to_string(),
            ));
        }
        if let Some(ku) = self.inner.key_usage
            && !(ku.digital_signature || ku.non_repudiation)
        {
            return Err(UsageError::KeyUsageMissing {
                needed: "digitalSignature, nonRepudiation",
            });
        }
        self.check_eku()
    }

    /// S/MIME encryption usage (REQUIREMENTS.md section 1): the key can encrypt (RSA, P-256,
    /// P-384; not Ed25519); keyUsage, if present, has keyEncipherment (RSA) or keyAgreement
    /// (EC); extendedKeyUsage, if present, has emailProtection or anyExtendedKeyUsage.
    pub fn usable_for_encryption(&self) -> Result<(), UsageError> {
        let needed = match self.inner.key_algorithm {
            KeyAlgorithm::Rsa { .. } => "keyEncipherment",
            KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => "keyAgreement",
            _ => {
                return Err(UsageError::KeyAlgorithm(
                    self.inner.key_algorithm.to_string(),
                ));
            }
        };
        if let Some(ku) = self.inner.key_usage {
            let ok = match self.inner.key_algorithm {
                KeyAlgorithm::Rsa { .. } => ku.key_encipherment,
                _ => ku.key_agreement,
            };
            if !ok {
                return Err(UsageError::KeyUsageMissing { needed });
            }
        }
        self.check_eku()
    }
}

/// Normalises an email address: trims, keeps the local part exactly, lower-cases the domain and
/// converts an IDN domain to its A-label (punycode) form. Errors on an address without exactly
/// one `@` or with an invalid domain.
///
/// ```
/// use hermes_pki::cert::normalize_email;
///
/// assert_eq!(normalize_email(" Alice@EXAMPLE.com ").unwrap(), "Alice@example.com");
/// assert_eq!(normalize_email("user@Bücher.example").unwrap(), "user@xn--bcher-kva.example");
/// assert!(normalize_email("a@b@c").is_err());
/// ```
pub fn normalize_email(addr: &str) -> Result<String> {
    let invalid = |why: &str| Error::InvalidArgument(format!("email address {addr:?}: {why}"));
    let addr_trimmed = addr.trim();
    let mut parts = addr_trimmed.split('@');
    let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid("must contain exactly one @"));
    };
    if local.is_empty() {
        return Err(invalid("the local part is empty"));
    }
    if local.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(invalid(
            "the local part contains white space or control characters",
        ));
    }
    if domain.is_empty() {
        return Err(invalid("the domain is empty"));
    }
    let domain = if domain.starts_with('[') && domain.ends_with(']') && domain.is_ascii() {
        // An address literal ([192.0.2.1], [IPv6:...]).
        domain.to_ascii_lowercase()
    } else {
        let ascii = idna::domain_to_ascii(domain)
            .map_err(|_| invalid("the domain is not a valid domain name"))?;
        let labels_ok = !ascii.is_empty()
            && ascii.trim_end_matches('.').split('.').all(|l| {
                !l.is_empty()
                    && l.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            });
        if !labels_ok {
            return Err(invalid("the domain is not a valid domain name"));
        }
        ascii
    };
    Ok(format!("{local}@{domain}"))
}

#[cfg(test)]
mod tests;
