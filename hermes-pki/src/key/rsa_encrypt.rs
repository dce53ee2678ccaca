//! RSA encryption of a content-encryption key to a recipient's public key (CMS key transport):
//! RSAES-PKCS1-v1_5 and RSAES-OAEP (RFC 8017 sections 7.2.1 and 7.1.1, empty label, MGF1 with
//! the OAEP hash), on the fixed-width public operation ([`RsaPublic`]) for 2048-, 3072- and
//! 4096-bit keys and through the `rsa` crate for other keys.

use std::sync::Arc;

use der::Decode;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256, Sha384, Sha512};
use spki::SubjectPublicKeyInfoRef;
use zeroize::Zeroizing;

use super::KeyTransport;
use super::rsa_crt::padding::mgf1_xor;
use crate::cert::oid;
use crate::rsa_math::RsaPublic;

/// An RSA public key to encrypt to.
pub(crate) enum RsaRecipient {
    /// 2048, 3072 or 4096 bits: the fixed-width public operation.
    Fast(Arc<RsaPublic>),
    /// Any other key the `rsa` crate takes.
    Crate(Box<rsa::RsaPublicKey>),
}

impl RsaRecipient {
    /// The key of a DER SubjectPublicKeyInfo, with the `rsa` crate's rules: `rsaEncryption`
    /// with NULL parameters (or `id-RSASSA-PSS` without parameters), a modulus and exponent
    /// the crate accepts. `None` when it is not such a key.
    pub(crate) fn from_spki_der(der: &[u8]) -> Option<Self> {
        if let Some(fast) = fast_key(der) {
            return Some(RsaRecipient::Fast(fast));
        }
        rsa::RsaPublicKey::from_public_key_der(der)
            .ok()
            .map(|k| RsaRecipient::Crate(Box::new(k)))
    }

    /// `cek` encrypted with `scheme`; the `rsa` crate's errors (message too long for the key,
    /// RNG failure). OAEP with SHA-1 is encrypted as asked: refusing to write it is the
    /// caller's rule.
    pub(crate) fn encrypt(&self, scheme: KeyTransport, cek: &[u8]) -> rsa::Result<Vec<u8>> {
        match self {
            RsaRecipient::Fast(key) => {
                let k = key.size();
                let em = match scheme {
                    KeyTransport::Pkcs1v15 => pkcs1v15_pad(cek, k)?,
                    KeyTransport::OaepSha1 => oaep_encode::<sha1::Sha1>(cek, k)?,
                    KeyTransport::OaepSha256 => oaep_encode::<Sha256>(cek, k)?,
                    KeyTransport::OaepSha384 => oaep_encode::<Sha384>(cek, k)?,
                    KeyTransport::OaepSha512 => oaep_encode::<Sha512>(cek, k)?,
                };
                // em starts with 00, so it is below n.
                let c = key.public_op(&em).map_err(|_| rsa::Error::MessageTooLong)?;
                Ok(c.to_vec())
            }
            RsaRecipient::Crate(key) => {
                let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
                // Probe the RNG first so that the adapter above does not meet a failure.
                getrandom::fill(&mut [0u8; 1]).map_err(|_| rsa::Error::Rng)?;
                match scheme {
                    KeyTransport::Pkcs1v15 => key.encrypt(&mut rng, rsa::Pkcs1v15Encrypt, cek),
                    KeyTransport::OaepSha1 => {
                        key.encrypt(&mut rng, rsa::Oaep::<sha1::Sha1>::new(), cek)
                    }
                    KeyTransport::OaepSha256 => {
                        key.encrypt(&mut rng, rsa::Oaep::<Sha256>::new(), cek)
                    }
                    KeyTransport::OaepSha384 => {
                        key.encrypt(&mut rng, rsa::Oaep::<Sha384>::new(), cek)
                    }
                    KeyTransport::OaepSha512 => {
                        key.encrypt(&mut rng, rsa::Oaep::<Sha512>::new(), cek)
                    }
                }
            }
        }
    }
}

/// The fixed-width form of an SPKI the `rsa` crate would take, when its size is one of ours.
fn fast_key(der: &[u8]) -> Option<Arc<RsaPublic>> {
    let spki = SubjectPublicKeyInfoRef::from_der(der).ok()?;
    let params_ok = match spki.algorithm.oid {
        oid::RSA_ENCRYPTION => spki
            .algorithm
            .parameters
            .as_ref()
            .is_some_and(|p| der::Tagged::tag(p) == der::Tag::Null && p.value().is_empty()),
        oid::RSASSA_PSS => spki.algorithm.parameters.is_none(),
        _ => false,
    };
    if !params_ok {
        return None;
    }
    let bits = spki.subject_public_key.as_bytes()?;
    let key = rsa::pkcs1::RsaPublicKeyRef::from_der(bits).ok()?;
    RsaPublic::cached(key.modulus.as_bytes(), key.public_exponent.as_bytes())
}

/// `len` random bytes from the OS.
fn random(len: usize) -> rsa::Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut out).map_err(|_| rsa::Error::Rng)?;
    Ok(out)
}

/// EME-PKCS1-v1_5: `00 02 || PS || 00 || M`, PS at least 8 random non-zero bytes.
fn pkcs1v15_pad(msg: &[u8], k: usize) -> rsa::Result<Zeroizing<Vec<u8>>> {
    if msg.len().saturating_add(11) > k {
        return Err(rsa::Error::MessageTooLong);
    }
    let mut em = Zeroizing::new(vec![0u8; k]);
    em[1] = 2;
    let ps_end = k - msg.len() - 1;
    // Fill PS from random bytes, skipping zeros (a zero byte comes 1 time in 256).
    let mut filled = 2;
    while filled < ps_end {
        let pool = random(ps_end - filled + 16)?;
        for &b in pool.iter().filter(|&&b| b != 0) {
            if filled == ps_end {
                break;
            }
            em[filled] = b;
            filled += 1;
        }
    }
    em[k - msg.len()..].copy_from_slice(msg);
    Ok(em)
}

/// EME-OAEP with an empty label and MGF1 over `D`:
/// `00 || maskedSeed || maskedDB`, `DB = lHash || PS || 01 || M`.
fn oaep_encode<D: Digest>(msg: &[u8], k: usize) -> rsa::Result<Zeroizing<Vec<u8>>> {
    let h_len = <D as Digest>::output_size();
    if msg.len().saturating_add(2 * h_len + 2) > k {
        return Err(rsa::Error::MessageTooLong);
    }
    let mut em = Zeroizing::new(vec![0u8; k]);
    let (_, rest) = em.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(h_len);
    seed.copy_from_slice(&random(h_len)?);
    let db_len = db.len();
    db[..h_len].copy_from_slice(&D::digest([]));
    db[db_len - msg.len() - 1] = 1;
    db[db_len - msg.len()..].copy_from_slice(msg);
    mgf1_xor::<D>(db, seed);
    mgf1_xor::<D>(seed, db);
    Ok(em)
}

#[cfg(test)]
mod tests;
