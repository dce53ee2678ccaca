//! Private-key operations behind [`Signer`](super::Signer) and [`Decryptor`](super::Decryptor).

use rsa::{Oaep, Pkcs1v15Sign, Pss};
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashSigner;
use zeroize::Zeroizing;

use super::generate::os_rng;
use super::rsa_crt::{OpError, RsaCrt, padding};
use super::{HashAlg, Inner, KeyTransport, SignatureScheme, rsa_pkcs1v15};
use crate::error::{Error, Result};

fn key_name(inner: &Inner) -> &'static str {
    match inner {
        Inner::Rsa(_) => "an RSA",
        Inner::P256(_) => "a P-256",
        Inner::P384(_) => "a P-384",
        Inner::Ed25519(_) => "an Ed25519",
    }
}

fn mismatch(inner: &Inner, scheme: SignatureScheme) -> Error {
    Error::InvalidArgument(format!(
        "signature scheme {scheme:?} cannot be used with {} key",
        key_name(inner)
    ))
}

/// The hash for a new signature: SHA-1 is refused.
fn signing_hash(hash: HashAlg) -> Result<HashAlg> {
    match hash {
        HashAlg::Sha1 => Err(Error::Weak(
            "SHA-1 is not accepted for new signatures; use SHA-256, SHA-384 or SHA-512".into(),
        )),
        other => Ok(other),
    }
}

fn digest(hash: HashAlg, message: &[u8]) -> Result<Vec<u8>> {
    Ok(match signing_hash(hash)? {
        HashAlg::Sha256 => Sha256::digest(message).to_vec(),
        HashAlg::Sha384 => Sha384::digest(message).to_vec(),
        HashAlg::Sha512 => Sha512::digest(message).to_vec(),
        HashAlg::Sha1 => return Err(Error::Weak("SHA-1".into())),
    })
}

fn sign_failed(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("signing failed: {e}"))
}

/// The fixed-width private operation on an encoded message (a signature: public output).
fn fast_sign(
    fast: &RsaCrt,
    em: std::result::Result<Vec<u8>, padding::PadError>,
) -> Result<Vec<u8>> {
    let em = em.map_err(|_| sign_failed("the RSA key is too short for this hash"))?;
    match fast.private_op(&em) {
        Ok(sig) => Ok(sig.to_vec()),
        Err(OpError::OutOfRange) => Err(sign_failed("encoded message out of range")),
        Err(OpError::Failed) => Err(sign_failed("RSA private key operation failed its check")),
    }
}

/// EMSA-PSS (salt length = hash length, random salt) then the fixed-width private operation.
fn fast_pss<D: Digest>(fast: &RsaCrt, k: &super::RsaKey, hashed: &[u8]) -> Result<Vec<u8>> {
    use rsa::traits::PublicKeyParts;
    let mut salt = Zeroizing::new(vec![0u8; <D as Digest>::output_size()]);
    getrandom::fill(&mut salt).map_err(sign_failed)?;
    let mod_bits = k.key.n().as_ref().bits_vartime() as usize;
    fast_sign(
        fast,
        padding::pss_encode::<D>(hashed, &salt, mod_bits, fast.size()),
    )
}

pub(crate) fn sign(
    inner: &Inner,
    fast: Option<&RsaCrt>,
    scheme: SignatureScheme,
    message: &[u8],
) -> Result<Vec<u8>> {
    match (inner, scheme) {
        (Inner::Rsa(k), SignatureScheme::RsaPkcs1v15(hash)) => {
            let hashed = digest(hash, message)?;
            let padding = match hash {
                HashAlg::Sha256 => Pkcs1v15Sign::new::<Sha256>(),
                HashAlg::Sha384 => Pkcs1v15Sign::new::<Sha384>(),
                _ => Pkcs1v15Sign::new::<Sha512>(),
            };
            if let Some(fast) = fast {
                let em = padding::pkcs1v15_sign_encode(&padding.prefix, &hashed, fast.size());
                return fast_sign(fast, em);
            }
            k.key
                .sign_with_rng(&mut os_rng()?, padding, &hashed)
                .map_err(sign_failed)
        }
        (Inner::Rsa(k), SignatureScheme::RsaPss(hash)) => {
            let hashed = digest(hash, message)?;
            if let Some(fast) = fast {
                return match hash {
                    HashAlg::Sha256 => fast_pss::<Sha256>(fast, k, &hashed),
                    HashAlg::Sha384 => fast_pss::<Sha384>(fast, k, &hashed),
                    _ => fast_pss::<Sha512>(fast, k, &hashed),
                };
            }
            let mut rng = os_rng()?;
            let sig = match hash {
                HashAlg::Sha256 => k.key.sign_with_rng(&mut rng, Pss::<Sha256>::new(), &hashed),
                HashAlg::Sha384 => k.key.sign_with_rng(&mut rng, Pss::<Sha384>::new(), &hashed),
                _ => k.key.sign_with_rng(&mut rng, Pss::<Sha512>::new(), &hashed),
            };
            sig.map_err(sign_failed)
        }
        (Inner::P256(sk), SignatureScheme::Ecdsa(hash)) => {
            let hashed = digest(hash, message)?;
            let signing = p256::ecdsa::SigningKey::from(sk);
            let sig: p256::ecdsa::DerSignature =
                signing.sign_prehash(&hashed).map_err(sign_failed)?;
            Ok(sig.as_bytes().to_vec())
        }
        (Inner::P384(sk), SignatureScheme::Ecdsa(hash)) => {
            let hashed = digest(hash, message)?;
            let signing = p384::ecdsa::SigningKey::from(sk);
            let sig: p384::ecdsa::DerSignature =
                signing.sign_prehash(&hashed).map_err(sign_failed)?;
            Ok(sig.as_bytes().to_vec())
        }
        (Inner::Ed25519(sk), SignatureScheme::Ed25519) => {
            let sig = signature::Signer::<ed25519_dalek::Signature>::try_sign(sk.as_ref(), message)
                .map_err(sign_failed)?;
            Ok(sig.to_bytes().to_vec())
        }
        (inner, scheme) => {
            // Still refuse SHA-1 as Weak whatever the key, so the reason is the real one.
            match scheme {
                SignatureScheme::RsaPkcs1v15(h)
                | SignatureScheme::RsaPss(h)
                | SignatureScheme::Ecdsa(h) => {
                    signing_hash(h)?;
                }
                _ => {}
            }
            Err(mismatch(inner, scheme))
        }
    }
}

fn decryption_failed() -> Error {
    Error::Crypto("decryption failed".into())
}

pub(crate) fn decrypt_key_transport(
    inner: &Inner,
    fast: Option<&RsaCrt>,
    scheme: KeyTransport,
    encrypted_key: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let Inner::Rsa(k) = inner else {
        return Err(Error::unsupported(
            "key transport",
            format!(
                "{} key cannot decrypt RSA key transport; it needs an RSA key",
                key_name(inner)
            ),
        ));
    };
    if let (Some(fast), Some(oaep)) = (fast, scheme.oaep_hash()) {
        return fast_oaep(fast, oaep, encrypted_key, expected_len);
    }
    match scheme {
        KeyTransport::Pkcs1v15 => rsa_pkcs1v15::decrypt(k, fast, encrypted_key, expected_len),
        KeyTransport::OaepSha1 => {
            oaep_decrypt(k, Oaep::<sha1::Sha1>::new(), encrypted_key, expected_len)
        }
        KeyTransport::OaepSha256 => {
            oaep_decrypt(k, Oaep::<Sha256>::new(), encrypted_key, expected_len)
        }
        KeyTransport::OaepSha384 => {
            oaep_decrypt(k, Oaep::<Sha384>::new(), encrypted_key, expected_len)
        }
        KeyTransport::OaepSha512 => {
            oaep_decrypt(k, Oaep::<Sha512>::new(), encrypted_key, expected_len)
        }
    }
}

impl KeyTransport {
    /// The OAEP hash, `None` for PKCS#1 v1.5.
    fn oaep_hash(self) -> Option<HashAlg> {
        match self {
            KeyTransport::Pkcs1v15 => None,
            KeyTransport::OaepSha1 => Some(HashAlg::Sha1),
            KeyTransport::OaepSha256 => Some(HashAlg::Sha256),
            KeyTransport::OaepSha384 => Some(HashAlg::Sha384),
            KeyTransport::OaepSha512 => Some(HashAlg::Sha512),
        }
    }
}

/// RSAES-OAEP decryption with the fixed-width private operation: every failure (ciphertext
/// out of range, bad padding, wrong length, a fault) is the same [`Error::Crypto`].
fn fast_oaep(
    fast: &RsaCrt,
    hash: HashAlg,
    encrypted_key: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let em = fast
        .private_op(encrypted_key)
        .map_err(|_| decryption_failed())?;
    let plain = match hash {
        HashAlg::Sha1 => padding::oaep_decode::<sha1::Sha1>(&em, expected_len),
        HashAlg::Sha256 => padding::oaep_decode::<Sha256>(&em, expected_len),
        HashAlg::Sha384 => padding::oaep_decode::<Sha384>(&em, expected_len),
        HashAlg::Sha512 => padding::oaep_decode::<Sha512>(&em, expected_len),
    };
    plain.map_err(|_| decryption_failed())
}

/// RSAES-OAEP decryption (blinded) of a key of `expected_len` bytes; every failure is the same
/// [`Error::Crypto`].
fn oaep_decrypt(
    k: &super::RsaKey,
    padding: impl rsa::traits::PaddingScheme,
    encrypted_key: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let plain = k
        .key
        .decrypt_blinded(&mut os_rng()?, padding, encrypted_key)
        .map(Zeroizing::new)
        .map_err(|_| decryption_failed())?;
    if plain.len() != expected_len {
        return Err(decryption_failed());
    }
    Ok(plain)
}

pub(crate) fn ecdh(inner: &Inner, peer_public_sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let bad_point = |curve: &str| {
        Error::malformed(
            "EC public key",
            format!("not a valid SEC1-encoded {curve} point"),
        )
    };
    match inner {
        Inner::P256(sk) => {
            let peer = p256::PublicKey::from_sec1_bytes(peer_public_sec1)
                .map_err(|_| bad_point("P-256"))?;
            let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
            Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
        }
        Inner::P384(sk) => {
            let peer = p384::PublicKey::from_sec1_bytes(peer_public_sec1)
                .map_err(|_| bad_point("P-384"))?;
            let shared = p384::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
            Ok(Zeroizing::new(shared.raw_secret_bytes().to_vec()))
        }
        other => Err(Error::unsupported(
            "key agreement",
            format!(
                "ECDH needs a P-256 or P-384 key, not {} key",
                key_name(other)
            ),
        )),
    }
}
