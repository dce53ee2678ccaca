//! Reading and writing private keys: PKCS#8, PKCS#1, SEC1, PEM; public key encodings.

use const_oid::ObjectIdentifier;
use der::asn1::{AnyRef, ObjectIdentifier as Oid};
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use rsa::pkcs1::DecodeRsaPrivateKey as _;
use rsa::pkcs8::{EncodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use zeroize::Zeroizing;

use super::{Inner, KdfLimits, PrivateKey, RsaKey};
use crate::cert::KeyAlgorithm;
use crate::cert::oid::{EC_PUBLIC_KEY, ED25519, P256, P384, RSA_ENCRYPTION, RSASSA_PSS};
use crate::error::{Error, Result};

const WHAT: &str = "private key";

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed(WHAT, detail)
}

pub(crate) use crate::cert::oid::oid_name;

fn unsupported_algorithm(oid: &ObjectIdentifier) -> Error {
    Error::unsupported(
        "key algorithm",
        format!(
            "{}; supported are RSA, EC P-256, EC P-384 and Ed25519",
            oid_name(oid)
        ),
    )
}

fn unsupported_curve(oid: &ObjectIdentifier) -> Error {
    Error::unsupported(
        "elliptic curve",
        format!("{}; supported are P-256 and P-384", oid_name(oid)),
    )
}

// ---------------------------------------------------------------------------------------------
// Parsing

pub(crate) fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey> {
    let pki = pkcs8::PrivateKeyInfoRef::from_der(der).map_err(malformed)?;
    let alg = &pki.algorithm;
    let inner = match alg.oid {
        RSA_ENCRYPTION => rsa_from_pkcs1(pki.private_key.as_bytes())?,
        RSASSA_PSS => {
            return Err(Error::unsupported(
                "key algorithm",
                "RSASSA-PSS-restricted keys (id-RSASSA-PSS); export the key as plain RSA \
                 (rsaEncryption)",
            ));
        }
        EC_PUBLIC_KEY => {
            let curve = match alg.parameters.as_ref() {
                Some(p) => Some(curve_of_params(p)?),
                // RFC 5915 requires the curve here; fall back to the SEC1 structure.
                None => sec1_curve(pki.private_key.as_bytes())?,
            };
            ec_from_sec1(pki.private_key.as_bytes(), curve)?
        }
        ED25519 => {
            use ed25519_dalek::pkcs8::DecodePrivateKey;
            let sk = ed25519_dalek::SigningKey::from_pkcs8_der(der).map_err(malformed)?;
            Inner::Ed25519(Box::new(sk))
        }
        other => return Err(unsupported_algorithm(&other)),
    };
    PrivateKey::from_inner(inner)
}

/// The named curve in an AlgorithmIdentifier's parameters.
fn curve_of_params(params: &AnyRef<'_>) -> Result<Oid> {
    match params.tag() {
        Tag::ObjectIdentifier => params.decode_as::<Oid>().map_err(malformed),
        Tag::Sequence => Err(Error::unsupported(
            "elliptic curve",
            "explicit curve parameters; use a named curve (P-256 or P-384)",
        )),
        Tag::Null => Err(Error::unsupported(
            "elliptic curve",
            "implicitly-known curve parameters; use a named curve (P-256 or P-384)",
        )),
        other => Err(malformed(format!(
            "EC parameters have unexpected tag {other}"
        ))),
    }
}

/// The named curve inside a SEC1 `ECPrivateKey`, if the optional `parameters [0]` is present.
fn sec1_curve(der: &[u8]) -> Result<Option<Oid>> {
    let outer = AnyRef::from_der(der).map_err(malformed)?;
    if outer.tag() != Tag::Sequence {
        return Err(malformed("EC private key is not a SEQUENCE"));
    }
    let mut r = SliceReader::new(outer.value()).map_err(malformed)?;
    let version = AnyRef::decode(&mut r).map_err(malformed)?;
    if version.tag() != Tag::Integer || version.value() != [1] {
        return Err(malformed("EC private key version is not 1"));
    }
    let key = AnyRef::decode(&mut r).map_err(malformed)?;
    if key.tag() != Tag::OctetString {
        return Err(malformed("EC private key is not an OCTET STRING"));
    }
    while !r.is_finished() {
        let field = AnyRef::decode(&mut r).map_err(malformed)?;
        let tag = field.tag();
        if tag.is_context_specific() && tag.number().value() == 0 {
            let params = AnyRef::from_der(field.value()).map_err(malformed)?;
            return curve_of_params(&params).map(Some);
        }
    }
    Ok(None)
}

fn ec_from_sec1(sec1_der: &[u8], curve: Option<Oid>) -> Result<Inner> {
    let curve = curve.ok_or_else(|| malformed("EC private key does not name its curve"))?;
    match curve {
        P256 => p256::SecretKey::from_sec1_der(sec1_der)
            .map(Inner::P256)
            .map_err(|_| malformed("invalid P-256 private key")),
        P384 => p384::SecretKey::from_sec1_der(sec1_der)
            .map(Inner::P384)
            .map_err(|_| malformed("invalid P-384 private key")),
        other => Err(unsupported_curve(&other)),
    }
}

/// Parses a SEC1 `ECPrivateKey` (the `EC PRIVATE KEY` PEM body).
pub(crate) fn from_sec1_der(der: &[u8]) -> Result<PrivateKey> {
    let curve = sec1_curve(der)?;
    PrivateKey::from_inner(ec_from_sec1(der, curve)?)
}

/// Parses a PKCS#1 `RSAPrivateKey`.
pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<PrivateKey> {
    PrivateKey::from_inner(rsa_from_pkcs1(der)?)
}

fn rsa_from_pkcs1(der: &[u8]) -> Result<Inner> {
    let parsed = rsa::pkcs1::RsaPrivateKeyRef::from_der(der).map_err(malformed)?;
    if parsed.version() != rsa::pkcs1::Version::TwoPrime {
        return Err(Error::unsupported(
            "key algorithm",
            "multi-prime RSA keys; use a two-prime RSA key",
        ));
    }
    let bits = uint_bits(parsed.modulus.as_bytes());
    if bits < rsa::RsaPublicKey::MIN_SIZE {
        return Err(Error::Weak(format!(
            "RSA-{bits} keys are too small to import; the minimum is 1024 bits"
        )));
    }
    if bits > rsa::RsaPublicKey::MAX_SIZE {
        return Err(Error::unsupported(
            "RSA key size",
            format!("RSA-{bits}; the largest supported is 8192 bits"),
        ));
    }
    let key = rsa::RsaPrivateKey::from_pkcs1_der(der)
        .map_err(|_| malformed("the RSA key parameters are inconsistent"))?;
    key.validate()
        .map_err(|_| malformed("the RSA key parameters are inconsistent"))?;
    Ok(Inner::Rsa(Box::new(RsaKey::new(key)?)))
}

/// Bit length of a big-endian unsigned integer (leading zero bytes ignored).
fn uint_bits(bytes: &[u8]) -> usize {
    let bytes = strip_zeros(bytes);
    match bytes.first() {
        Some(top) => (bytes.len() - 1) * 8 + (8 - top.leading_zeros() as usize),
        None => 0,
    }
}

fn strip_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

/// What a DER private key is, from the shape of its first two fields.
enum DerKind {
    Pkcs8,
    EncryptedPkcs8,
    Pkcs1,
    Sec1,
}

fn classify_der(der: &[u8]) -> Result<DerKind> {
    let outer = AnyRef::from_der(der).map_err(malformed)?;
    if outer.tag() != Tag::Sequence {
        return Err(malformed("not a DER SEQUENCE"));
    }
    let mut r = SliceReader::new(outer.value()).map_err(malformed)?;
    let first = AnyRef::decode(&mut r).map_err(malformed)?;
    let second = AnyRef::decode(&mut r).map_err(malformed)?;
    match (first.tag(), second.tag()) {
        (Tag::Sequence, Tag::OctetString) => Ok(DerKind::EncryptedPkcs8),
        (Tag::Integer, Tag::Sequence) => Ok(DerKind::Pkcs8),
        (Tag::Integer, Tag::Integer) => {
            // PKCS#1 RSAPrivateKey has 9 or more INTEGERs; OpenSSL's traditional DSA key
            // (`openssl pkey -outform DER` of a DSA key) has exactly 6.
            let mut count = 2;
            while !r.is_finished() {
                AnyRef::decode(&mut r).map_err(malformed)?;
                count += 1;
            }
            if count == 6 {
                Err(Error::unsupported(
                    "key algorithm",
                    "DSA; supported are RSA, EC P-256, EC P-384 and Ed25519",
                ))
            } else {
                Ok(DerKind::Pkcs1)
            }
        }
        (Tag::Integer, Tag::OctetString) => Ok(DerKind::Sec1),
        _ => Err(malformed(
            "not a PKCS#8, encrypted PKCS#8, PKCS#1 or SEC1 private key",
        )),
    }
}

fn password_required() -> Error {
    Error::InvalidArgument("this key is encrypted: a password is required".into())
}

fn from_encrypted(der: &[u8], password: Option<&[u8]>, limits: KdfLimits) -> Result<PrivateKey> {
    let password = password.ok_or_else(password_required)?;
    PrivateKey::from_encrypted_pkcs8_der_with_limits(der, password, limits)
}

pub(crate) fn from_der(
    der: &[u8],
    password: Option<&[u8]>,
    limits: KdfLimits,
) -> Result<PrivateKey> {
    match classify_der(der)? {
        DerKind::Pkcs8 => from_pkcs8_der(der),
        DerKind::EncryptedPkcs8 => from_encrypted(der, password, limits),
        DerKind::Pkcs1 => from_pkcs1_der(der),
        DerKind::Sec1 => from_sec1_der(der),
    }
}

pub(crate) fn from_bytes(
    input: &[u8],
    password: Option<&[u8]>,
    limits: KdfLimits,
) -> Result<PrivateKey> {
    let trimmed = input.trim_ascii_start();
    if trimmed.is_empty() {
        return Err(Error::Empty { what: WHAT });
    }
    if trimmed.first() == Some(&0x30) {
        return from_der(trimmed, password, limits);
    }
    match std::str::from_utf8(input) {
        Ok(text) if text.contains("-----BEGIN ") => from_pem_with_limits(text, password, limits),
        _ => Err(malformed("neither PEM nor DER")),
    }
}

/// Labels of PEM blocks that hold private keys, supported or not.
const KEY_LABELS: &[&str] = &[
    "PRIVATE KEY",
    "ENCRYPTED PRIVATE KEY",
    "RSA PRIVATE KEY",
    "EC PRIVATE KEY",
    "DSA PRIVATE KEY",
    "OPENSSH PRIVATE KEY",
    "ANY PRIVATE KEY",
];

/// The most PEM blocks read from one input by the key scanner.
pub const MAX_PEM_BLOCKS: usize = 64;

/// The longest PEM label read (RFC 7468 labels are a few words).
const MAX_PEM_LABEL: usize = 64;

/// The PEM blocks of `text`: (label, the block's text from BEGIN to the end of the END line).
///
/// One pass with linear substring searches: every search starts where the previous block
/// ended, a label is at most [`MAX_PEM_LABEL`] bytes on one line, and more than
/// [`MAX_PEM_BLOCKS`] blocks is [`Error::LimitExceeded`], so the work is linear in the input
/// whatever it holds.
fn pem_blocks(text: &str) -> Result<Vec<(&str, &str)>> {
    const BEGIN: &[u8] = b"-----BEGIN ";
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut offset = 0;
    while let Some(pos) = memchr::memmem::find(&bytes[offset..], BEGIN) {
        let begin = offset + pos;
        let label_start = begin + BEGIN.len();
        // The label: up to the next "-----" on the same line, at most MAX_PEM_LABEL bytes.
        let window_end = (label_start + MAX_PEM_LABEL + 5).min(bytes.len());
        let window = &bytes[label_start..window_end];
        let label_end = memchr::memmem::find(window, b"-----")
            .filter(|&e| !window[..e].contains(&b'\n') && !window[..e].contains(&b'\r'));
        let Some(label_end) = label_end else {
            offset = begin + 1;
            continue;
        };
        if out.len() == MAX_PEM_BLOCKS {
            return Err(Error::LimitExceeded(format!(
                "the input has more than {MAX_PEM_BLOCKS} PEM blocks"
            )));
        }
        let label = &text[label_start..label_start + label_end];
        let end_marker = format!("-----END {label}-----");
        match memchr::memmem::find(&bytes[begin..], end_marker.as_bytes()) {
            Some(end_rel) => {
                let end = begin + end_rel + end_marker.len();
                out.push((label, &text[begin..end]));
                offset = end;
            }
            None => {
                // An unterminated block: keep it so the decoder reports the problem.
                out.push((label, &text[begin..]));
                break;
            }
        }
    }
    Ok(out)
}

pub(crate) fn from_pem(
    pem: &str,
    password: Option<&[u8]>,
    limits: KdfLimits,
) -> Result<PrivateKey> {
    from_pem_with_limits(pem, password, limits)
}

fn from_pem_with_limits(
    pem: &str,
    password: Option<&[u8]>,
    limits: KdfLimits,
) -> Result<PrivateKey> {
    let blocks = pem_blocks(pem)?;
    let Some((label, block)) = blocks
        .iter()
        .find(|(label, _)| KEY_LABELS.contains(label))
        .or_else(|| blocks.iter().find(|(label, _)| *label != "EC PARAMETERS"))
        .copied()
    else {
        return Err(if blocks.is_empty() {
            Error::Empty {
                what: "PEM private key",
            }
        } else {
            Error::UnexpectedPemLabel {
                label: "EC PARAMETERS".into(),
                expected: "PRIVATE KEY",
            }
        });
    };
    if !KEY_LABELS.contains(&label) {
        return Err(Error::UnexpectedPemLabel {
            label: label.to_string(),
            expected: "PRIVATE KEY, ENCRYPTED PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY",
        });
    }
    if block.contains("Proc-Type:") || block.contains("DEK-Info:") {
        return Err(Error::unsupported(
            "key encryption",
            "legacy OpenSSL PEM encryption (Proc-Type/DEK-Info); convert the key with \
             `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
        ));
    }
    match label {
        "DSA PRIVATE KEY" => {
            return Err(Error::unsupported(
                "key algorithm",
                "DSA; supported are RSA, EC P-256, EC P-384 and Ed25519",
            ));
        }
        "OPENSSH PRIVATE KEY" => {
            return Err(Error::unsupported(
                "key format",
                "OpenSSH private keys; convert with `ssh-keygen -p -m PKCS8`",
            ));
        }
        _ => {}
    }
    let (_, der) = der::pem::decode_vec(block.as_bytes()).map_err(malformed)?;
    let der = Zeroizing::new(der);
    match label {
        "PRIVATE KEY" => from_pkcs8_der(&der),
        "ENCRYPTED PRIVATE KEY" => from_encrypted(&der, password, limits),
        "RSA PRIVATE KEY" => from_pkcs1_der(&der),
        "EC PRIVATE KEY" => from_sec1_der(&der),
        _ => from_der(&der, password, limits),
    }
}

// ---------------------------------------------------------------------------------------------
// Writing

pub(crate) fn to_pkcs8_der(inner: &Inner) -> Result<Zeroizing<Vec<u8>>> {
    let failed = |e: pkcs8::Error| Error::Crypto(format!("cannot encode the private key: {e}"));
    let doc = match inner {
        Inner::Rsa(k) => k.key.to_pkcs8_der().map_err(failed)?,
        Inner::P256(sk) => sk.to_pkcs8_der().map_err(failed)?,
        Inner::P384(sk) => sk.to_pkcs8_der().map_err(failed)?,
        // PKCS#8 v1 without the optional public key: OpenSSL 3.0 cannot read the v2
        // (OneAsymmetricKey) form that ed25519-dalek writes by default.
        Inner::Ed25519(sk) => ed25519_dalek::pkcs8::KeypairBytes {
            secret_key: sk.to_bytes(),
            public_key: None,
        }
        .to_pkcs8_der()
        .map_err(failed)?,
    };
    Ok(doc.to_bytes())
}

pub(crate) fn pem_encode(label: &'static str, der: &[u8]) -> Result<String> {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .map_err(|e| Error::Crypto(format!("cannot encode PEM: {e}")))
}

/// The SubjectPublicKeyInfo DER and algorithm of a key.
pub(crate) fn public_info(inner: &Inner) -> Result<(Vec<u8>, KeyAlgorithm)> {
    let failed = |e: spki::Error| Error::Crypto(format!("cannot encode the public key: {e}"));
    Ok(match inner {
        Inner::Rsa(k) => {
            let public = k.key.to_public_key();
            let der = public.to_public_key_der().map_err(failed)?;
            let bits = uint_bits(&public.n().to_be_bytes());
            (der.into_vec(), KeyAlgorithm::Rsa { bits })
        }
        Inner::P256(sk) => (
            sk.public_key()
                .to_public_key_der()
                .map_err(failed)?
                .into_vec(),
            KeyAlgorithm::EcP256,
        ),
        Inner::P384(sk) => (
            sk.public_key()
                .to_public_key_der()
                .map_err(failed)?
                .into_vec(),
            KeyAlgorithm::EcP384,
        ),
        Inner::Ed25519(sk) => (
            sk.verifying_key()
                .to_public_key_der()
                .map_err(failed)?
                .into_vec(),
            KeyAlgorithm::Ed25519,
        ),
    })
}

/// Whether `spki_der` holds the public half of `inner`, compared by value.
pub(crate) fn spki_matches(inner: &Inner, spki_der: &[u8]) -> bool {
    let Ok(spki) = spki::SubjectPublicKeyInfoRef::from_der(spki_der) else {
        return false;
    };
    let Some(key_bits) = spki.subject_public_key.as_bytes() else {
        return false;
    };
    let alg = &spki.algorithm;
    match inner {
        Inner::Rsa(k) => {
            if alg.oid != RSA_ENCRYPTION && alg.oid != RSASSA_PSS {
                return false;
            }
            let Ok(public) = rsa::pkcs1::RsaPublicKeyRef::from_der(key_bits) else {
                return false;
            };
            let n = k.key.n().to_be_bytes();
            let e = k.key.e().to_be_bytes();
            strip_zeros(public.modulus.as_bytes()) == strip_zeros(&n)
                && strip_zeros(public.public_exponent.as_bytes()) == strip_zeros(&e)
        }
        Inner::P256(sk) => {
            alg.oid == EC_PUBLIC_KEY
                && alg.parameters_oid().ok() == Some(P256)
                && p256::PublicKey::from_sec1_bytes(key_bits).ok() == Some(sk.public_key())
        }
        Inner::P384(sk) => {
            alg.oid == EC_PUBLIC_KEY
                && alg.parameters_oid().ok() == Some(P384)
                && p384::PublicKey::from_sec1_bytes(key_bits).ok() == Some(sk.public_key())
        }
        Inner::Ed25519(sk) => alg.oid == ED25519 && key_bits == sk.verifying_key().as_bytes(),
    }
}
