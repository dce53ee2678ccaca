//! Encodings around the raw private operation: EMSA-PKCS1-v1_5 and EMSA-PSS for signing
//! (RFC 8017 sections 9.2 and 9.1.1) and EME-OAEP decoding (section 7.1.2) in constant time.
//!
//! The `rsa` crate keeps its padding functions private and offers no hook for the raw
//! operation, so they are written here; its `Pkcs1v15Sign` supplies the DigestInfo prefixes.

use sha2::Digest;
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroizing;

pub(crate) use crate::rsa_math::mgf1_xor;

/// Why an encoding or decoding failed. Decoding failures carry no detail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PadError {
    /// The key is too short for the hash (public).
    KeyTooShort,
    /// OAEP decoding failed (invalid padding or a message of the wrong length).
    Decryption,
}

/// EMSA-PKCS1-v1_5: `00 01 FF..FF 00 || prefix || hashed`, `k` bytes.
pub(crate) fn pkcs1v15_sign_encode(
    prefix: &[u8],
    hashed: &[u8],
    k: usize,
) -> Result<Vec<u8>, PadError> {
    let t_len = prefix.len() + hashed.len();
    if k < t_len + 11 {
        return Err(PadError::KeyTooShort);
    }
    let mut em = vec![0xFFu8; k];
    em[0] = 0;
    em[1] = 1;
    em[k - t_len - 1] = 0;
    em[k - t_len..k - hashed.len()].copy_from_slice(prefix);
    em[k - hashed.len()..].copy_from_slice(hashed);
    Ok(em)
}

/// EMSA-PSS with MGF1 over `D` and the given salt, for a modulus of `mod_bits` bits; returned
/// left-padded to `k` bytes (the input of the private operation).
pub(crate) fn pss_encode<D: Digest>(
    m_hash: &[u8],
    salt: &[u8],
    mod_bits: usize,
    k: usize,
) -> Result<Vec<u8>, PadError> {
    let h_len = <D as Digest>::output_size();
    let em_bits = mod_bits - 1;
    let em_len = em_bits.div_ceil(8);
    if m_hash.len() != h_len || em_len < h_len + salt.len() + 2 || em_len > k {
        return Err(PadError::KeyTooShort);
    }
    let mut out = vec![0u8; k];
    let em = &mut out[k - em_len..];
    // H = Hash(00 x 8 || mHash || salt)
    let mut h = D::new();
    h.update([0u8; 8]);
    h.update(m_hash);
    h.update(salt);
    let hash = h.finalize();
    let db_len = em_len - h_len - 1;
    let (db, rest) = em.split_at_mut(db_len);
    // DB = PS (zeros) || 01 || salt
    db[db_len - salt.len() - 1] = 0x01;
    db[db_len - salt.len()..].copy_from_slice(salt);
    mgf1_xor::<D>(db, &hash);
    db[0] &= 0xFF >> (8 * em_len - em_bits);
    rest[..h_len].copy_from_slice(&hash);
    rest[h_len] = 0xBC;
    Ok(out)
}

/// EME-OAEP decoding (empty label, MGF1 with `D`) of the `k`-byte `em`, accepting only a
/// message of exactly `expected_len` bytes. Every check runs in constant time and every
/// failure is the same [`PadError::Decryption`].
pub(crate) fn oaep_decode<D: Digest>(
    em: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>, PadError> {
    let h_len = <D as Digest>::output_size();
    let k = em.len();
    if k < 2 * h_len + 2 {
        return Err(PadError::KeyTooShort);
    }
    let mut buf = Zeroizing::new(em.to_vec());
    let (y, rest) = buf.split_at_mut(1);
    let (seed, db) = rest.split_at_mut(h_len);
    mgf1_xor::<D>(seed, db);
    mgf1_xor::<D>(db, seed);
    let l_hash = D::digest([]);
    let mut good = y[0].ct_eq(&0) & db[..h_len].ct_eq(&l_hash[..]);
    // After lHash: zeros, then 01, then the message.
    let mut looking = Choice::from(1);
    let mut invalid = Choice::from(0);
    let mut index: u32 = 0;
    for (i, b) in db.iter().enumerate().skip(h_len) {
        let is0 = b.ct_eq(&0);
        let is1 = b.ct_eq(&1);
        index.conditional_assign(&(i as u32), looking & is1);
        invalid |= looking & !is0 & !is1;
        looking &= is0;
    }
    good &= !looking & !invalid;
    // The message starts at index + 1; its length must be the expected one.
    let want = db.len().checked_sub(expected_len + 1).unwrap_or(usize::MAX) as u64;
    good &= u64::from(index).ct_eq(&want);
    if !bool::from(good) {
        return Err(PadError::Decryption);
    }
    Ok(Zeroizing::new(db[db.len() - expected_len..].to_vec()))
}
