//! Signature verification over a SubjectPublicKeyInfo: what certificate, CRL and CMS signature
//! checks share.
//!
//! Supported: `sha1/sha256/sha384/sha512WithRSAEncryption` (PKCS#1 v1.5), RSASSA-PSS with
//! SHA-256/384/512 (MGF1 with the same hash, any salt length), `ecdsa-with-SHA256/384/512` on
//! P-256 and P-384, and Ed25519.

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Encode};
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use sha2::Digest;
use signature::Verifier;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoRef};

use super::oid;
use crate::error::{Error, Result};

/// The hash functions signatures may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        match *o {
            oid::SHA1 => Some(Hash::Sha1),
            oid::SHA256 => Some(Hash::Sha256),
            oid::SHA384 => Some(Hash::Sha384),
            oid::SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(message).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// What the signature algorithm identifier asks for.
enum Scheme {
    Pkcs1v15(Hash),
    Pss { hash: Hash, salt_len: usize },
    Ecdsa(Hash),
    Ed25519,
}

fn bad_signature() -> Error {
    Error::Crypto("the signature does not verify".into())
}

fn key_mismatch(alg: &str) -> Error {
    Error::Crypto(format!(
        "the signature algorithm ({alg}) does not fit the signer's public key type"
    ))
}

/// Parameters must be absent or NULL (PKCS#1 v1.5 and the like).
fn params_absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    alg.parameters.as_ref().is_none_or(|p| p.is_null())
}

fn parse_pss_params(alg: &AlgorithmIdentifierOwned) -> Result<Scheme> {
    let unsupported =
        |d: &str| Error::unsupported("signature algorithm", format!("RSASSA-PSS {d}"));
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| unsupported("without parameters (SHA-1 defaults)"))?;
    let encoded = params
        .to_der()
        .map_err(|e| Error::malformed("RSASSA-PSS parameters", e))?;
    let params = rsa::pkcs1::RsaPssParamsOwned::from_der(&encoded)
        .map_err(|e| Error::malformed("RSASSA-PSS parameters", e))?;
    let hash = Hash::from_oid(&params.hash.oid)
        .ok_or_else(|| unsupported(&format!("with hash {}", params.hash.oid)))?;
    if hash == Hash::Sha1 {
        return Err(unsupported("with SHA-1"));
    }
    if params.mask_gen.oid != oid::MGF1 {
        return Err(unsupported(&format!(
            "with mask generation {}",
            params.mask_gen.oid
        )));
    }
    let mgf_hash = params
        .mask_gen
        .parameters
        .as_ref()
        .and_then(|h| Hash::from_oid(&h.oid));
    if mgf_hash != Some(hash) {
        return Err(unsupported(
            "with MGF1 over a different hash than the message hash",
        ));
    }
    if params.trailer_field != rsa::pkcs1::TrailerField::BC {
        return Err(unsupported("with a trailer field other than 0xBC"));
    }
    Ok(Scheme::Pss {
        hash,
        salt_len: usize::from(params.salt_len),
    })
}

fn scheme_of(alg: &AlgorithmIdentifierOwned) -> Result<Scheme> {
    let o = alg.oid;
    let rsa_hash = match o {
        oid::SHA1_WITH_RSA => Some(Hash::Sha1),
        oid::SHA256_WITH_RSA => Some(Hash::Sha256),
        oid::SHA384_WITH_RSA => Some(Hash::Sha384),
        oid::SHA512_WITH_RSA => Some(Hash::Sha512),
        _ => None,
    };
    if let Some(hash) = rsa_hash {
        if !params_absent_or_null(alg) {
            return Err(Error::malformed(
                "signature algorithm",
                "PKCS#1 v1.5 parameters must be NULL or absent",
            ));
        }
        return Ok(Scheme::Pkcs1v15(hash));
    }
    let ecdsa_hash = match o {
        oid::ECDSA_SHA256 => Some(Hash::Sha256),
        oid::ECDSA_SHA384 => Some(Hash::Sha384),
        oid::ECDSA_SHA512 => Some(Hash::Sha512),
        _ => None,
    };
    if let Some(hash) = ecdsa_hash {
        if alg.parameters.is_some() {
            return Err(Error::malformed(
                "signature algorithm",
                "ECDSA signature algorithms take no parameters",
            ));
        }
        return Ok(Scheme::Ecdsa(hash));
    }
    match o {
        oid::RSASSA_PSS => parse_pss_params(alg),
        oid::ED25519 => {
            if alg.parameters.is_some() {
                return Err(Error::malformed(
                    "signature algorithm",
                    "Ed25519 takes no parameters",
                ));
            }
            Ok(Scheme::Ed25519)
        }
        other => Err(Error::unsupported(
            "signature algorithm",
            format!(
                "{other}; supported are RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-1/2, \
                 ECDSA on P-256/P-384 with SHA-2, and Ed25519"
            ),
        )),
    }
}

fn verify_rsa(
    spki: &SubjectPublicKeyInfoRef<'_>,
    scheme: &Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION && spki.algorithm.oid != oid::RSASSA_PSS {
        return Err(key_mismatch("RSA"));
    }
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::malformed("public key", "RSA key BIT STRING has unused bits"))?;
    let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes)
        .map_err(|e| Error::unsupported("RSA public key", e))?;
    match *scheme {
        Scheme::Pkcs1v15(hash) => {
            let padding = match hash {
                Hash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
                Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            key.verify(padding, &hash.digest(message), signature)
                .map_err(|_| bad_signature())
        }
        Scheme::Pss { hash, salt_len } => {
            // RFC 8017 9.1.2 step 3, checked here so odd parameters can never reach arithmetic
            // on lengths inside the RSA crate.
            // emLen = ceil((modBits - 1) / 8).
            let mod_bits = usize::try_from(key.n().bits()).unwrap_or(usize::MAX);
            let em_len = mod_bits.saturating_sub(1).div_ceil(8);
            if em_len < hash.len().saturating_add(salt_len).saturating_add(2) {
                return Err(bad_signature());
            }
            let hashed = hash.digest(message);
            let result = match hash {
                Hash::Sha256 => key.verify(
                    rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha384 => key.verify(
                    rsa::Pss::<sha2::Sha384>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha512 => key.verify(
                    rsa::Pss::<sha2::Sha512>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha1 => {
                    return Err(Error::unsupported(
                        "signature algorithm",
                        "RSASSA-PSS with SHA-1",
                    ));
                }
            };
            result.map_err(|_| bad_signature())
        }
        _ => Err(key_mismatch("RSA")),
    }
}

fn verify_ecdsa(
    spki: &SubjectPublicKeyInfoRef<'_>,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
        return Err(key_mismatch("ECDSA"));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p: &AnyRef<'_>| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| Error::unsupported("EC public key", "only named curves are supported"))?;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::malformed("public key", "EC point BIT STRING has unused bits"))?;
    let prehash = hash.digest(message);
    match curve {
        oid::P256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| Error::malformed("public key", "invalid P-256 point"))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad_signature())?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| bad_signature())
        }
        oid::P384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| Error::malformed("public key", "invalid P-384 point"))?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad_signature())?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| bad_signature())
        }
        other => Err(Error::unsupported(
            "EC curve",
            format!("{other}; supported are P-256 and P-384"),
        )),
    }
}

fn verify_ed25519(
    spki: &SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::ED25519 {
        return Err(key_mismatch("Ed25519"));
    }
    let point: &[u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::malformed("public key", "an Ed25519 key is 32 bytes"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(point)
        .map_err(|_| Error::malformed("public key", "invalid Ed25519 point"))?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad_signature())?;
    key.verify(message, &sig).map_err(|_| bad_signature())
}

/// Verifies `signature` over `message` with the public key in `spki_der` (a DER
/// SubjectPublicKeyInfo) under the signature `algorithm` (as found in a certificate, CRL or CMS
/// SignerInfo).
///
/// Errors: [`Error::Unsupported`] for an algorithm, curve or key this library does not handle;
/// [`Error::Malformed`] for a key or parameters that do not parse; [`Error::Crypto`] when the
/// key type does not fit the algorithm or the signature does not verify.
pub fn verify_signature(
    spki_der: &[u8],
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let scheme = scheme_of(algorithm)?;
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| Error::malformed("public key", e))?;
    match scheme {
        Scheme::Pkcs1v15(_) | Scheme::Pss { .. } => verify_rsa(&spki, &scheme, message, signature),
        Scheme::Ecdsa(hash) => verify_ecdsa(&spki, hash, message, signature),
        Scheme::Ed25519 => verify_ed25519(&spki, message, signature),
    }
}
