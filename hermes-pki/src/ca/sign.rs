//! Assembling and signing certificates: the TBSCertificate as the ASN.1 says, signed through
//! the [`Signer`] trait (so a CA key may live in an HSM), serial numbers, validity.
//!
//! The published `x509-cert` builder wants a signer implementing the RustCrypto `signature`
//! traits for one concrete key type; the CA signs through [`Signer`] instead, and keeps
//! subject and issuer names as the exact DER it was given (an issuer name is copied byte for
//! byte from the issuing certificate, so chain building by name always matches).

use der::asn1::{AnyRef, BitString, ObjectIdentifier};
use der::{Encode, Sequence};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::certificate::Version;
use x509_cert::ext::{Extension, Extensions};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use std::time::SystemTime;

use crate::cert::{Certificate, KeyAlgorithm, Serial};
use crate::error::{Error, Result};
use crate::key::{HashAlg, SignatureScheme, Signer, algorithm_identifier};

/// TBSCertificate, with names and the public key as raw DER.
#[derive(Sequence)]
struct Tbs<'a> {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    version: Version,
    serial_number: SerialNumber,
    signature: AlgorithmIdentifierOwned,
    issuer: AnyRef<'a>,
    validity: Validity,
    subject: AnyRef<'a>,
    subject_public_key_info: AnyRef<'a>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT")]
    extensions: Extensions,
}

/// Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signatureValue }.
#[derive(Sequence)]
struct Signed<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// Everything a certificate needs besides the signature.
pub(crate) struct TbsParts<'a> {
    pub serial: &'a Serial,
    pub issuer_der: &'a [u8],
    pub subject_der: &'a [u8],
    pub spki_der: &'a [u8],
    pub not_before: SystemTime,
    pub not_after: SystemTime,
    pub extensions: Extensions,
}

fn encoding(e: der::Error) -> Error {
    Error::Crypto(format!("cannot encode the certificate: {e}"))
}

/// The signature scheme the CA uses for a key of `alg` with `hash`. SHA-1 is refused.
pub(crate) fn scheme_for(alg: &KeyAlgorithm, hash: HashAlg) -> Result<SignatureScheme> {
    if hash == HashAlg::Sha1 {
        return Err(Error::Weak(
            "SHA-1 is not accepted for new certificate signatures; use SHA-256, SHA-384 or SHA-512"
                .into(),
        ));
    }
    match alg {
        KeyAlgorithm::Rsa { .. } => Ok(SignatureScheme::RsaPkcs1v15(hash)),
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => Ok(SignatureScheme::Ecdsa(hash)),
        KeyAlgorithm::Ed25519 => Ok(SignatureScheme::Ed25519),
        other => Err(Error::unsupported(
            "CA key",
            format!("{other} cannot sign certificates here"),
        )),
    }
}

fn time(t: SystemTime) -> Result<Time> {
    Time::try_from(t).map_err(|e| Error::InvalidArgument(format!("time out of range: {e}")))
}

/// Encodes the TBSCertificate, signs it with `signer` under `scheme`, and parses the result.
pub(crate) fn sign_certificate(
    parts: TbsParts<'_>,
    signer: &dyn Signer,
    scheme: SignatureScheme,
) -> Result<Certificate> {
    let algorithm = algorithm_identifier(scheme)?;
    sign_tbs(parts, algorithm, |tbs| signer.sign(scheme, tbs))
}

/// Encodes the TBSCertificate with `algorithm` as its signature algorithm, signs it with
/// `sign`, and parses the result (tests make certificates with algorithms the CA refuses).
pub(crate) fn sign_tbs(
    parts: TbsParts<'_>,
    algorithm: AlgorithmIdentifierOwned,
    sign: impl FnOnce(&[u8]) -> Result<Vec<u8>>,
) -> Result<Certificate> {
    let any = |der: &'static str, bytes| {
        AnyRef::try_from(bytes).map_err(|e| Error::malformed(der, format!("{e}")))
    };
    let tbs = Tbs {
        version: Version::V3,
        serial_number: SerialNumber::new(parts.serial.as_bytes()).map_err(encoding)?,
        signature: algorithm.clone(),
        issuer: any("issuer name", parts.issuer_der)?,
        validity: Validity::new(time(parts.not_before)?, time(parts.not_after)?),
        subject: any("subject name", parts.subject_der)?,
        subject_public_key_info: any("public key", parts.spki_der)?,
        extensions: parts.extensions,
    }
    .to_der()
    .map_err(encoding)?;
    let signature = sign(&tbs)?;
    let der = Signed {
        tbs: AnyRef::try_from(tbs.as_slice()).map_err(encoding)?,
        algorithm,
        signature: BitString::from_bytes(&signature).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)?;
    Certificate::from_der(&der)
}

/// A fresh serial number: 16 random bytes, the first in 0x40..=0x7F, so the number is
/// positive, always 16 bytes long (no leading zero to strip) and carries 126 random bits.
pub(crate) fn random_serial() -> Result<Serial> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)
        .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
    bytes[0] = (bytes[0] & 0x3f) | 0x40;
    Ok(Serial::from_bytes(&bytes))
}

/// subjectKeyIdentifier: SHA-256 of the subjectPublicKey bits truncated to 160 bits (RFC 7093
/// section 2 method 1).
pub(crate) fn key_identifier(spki_der: &[u8]) -> Result<Vec<u8>> {
    let spki = spki::SubjectPublicKeyInfoRef::try_from(spki_der)
        .map_err(|e| Error::malformed("public key", e))?;
    let bits = spki.subject_public_key.raw_bytes();
    Ok(Sha256::digest(bits)[..20].to_vec())
}

/// An extension from its OID, criticality and DER value.
pub(crate) fn extension(
    extn_id: ObjectIdentifier,
    critical: bool,
    value: &impl Encode,
) -> Result<Extension> {
    Ok(Extension {
        extn_id,
        critical,
        extn_value: der::asn1::OctetString::new(value.to_der().map_err(encoding)?)
            .map_err(encoding)?,
    })
}

#[cfg(test)]
mod tests;
