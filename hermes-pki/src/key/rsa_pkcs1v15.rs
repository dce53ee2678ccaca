//! RSAES-PKCS1-v1_5 decryption of a CMS content-encryption key, in constant time with implicit
//! rejection.
//!
//! The `rsa` crate's `Pkcs1v15Encrypt` decryption is deliberately not used (RUSTSEC-2023-0071,
//! the Marvin attack): this module runs the raw, blinded RSA private operation from
//! `rsa::hazmat`, then checks the padding without secret-dependent branches or memory accesses.
//!
//! Implicit rejection (after draft-irtf-cfrg-rsa-guidance, section 7, adapted to key
//! transport where the caller knows the key length): whatever the ciphertext, the same work is
//! done and `expected_len` bytes come back. When the padding is valid *and* the message has
//! exactly `expected_len` bytes, they are the message; otherwise they are a synthetic key
//!
//! ```text
//! secret    = SHA-256("hermes-pki/rsa-implicit-rejection/v1" || I2OSP(d, k))
//! KDK       = HMAC-SHA256(secret, C left-padded with zeros to the modulus length k)
//! synthetic = first expected_len bytes of
//!             HMAC-SHA256(KDK, I2OSP(i, 2) || "CMS key transport" || I2OSP(8 * expected_len, 2))
//!             for i = 0, 1, ...
//! ```
//!
//! so the answer for a given key and ciphertext is always the same, and an attacker learns
//! nothing about the padding from it: the content decryption that follows simply fails.

use super::rsa_crt::OpError;
use hmac::{KeyInit, Mac};
use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use sha2::{Digest, Sha256};
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
use zeroize::{Zeroize, Zeroizing};

use super::RsaKey;
use crate::error::{Error, Result};

type HmacSha256 = hmac::Hmac<Sha256>;

const SECRET_LABEL: &[u8] = b"hermes-pki/rsa-implicit-rejection/v1";
const SYNTHETIC_LABEL: &[u8] = b"CMS key transport";

impl RsaKey {
    /// Wraps an RSA key, deriving its implicit-rejection secret.
    pub(crate) fn new(key: rsa::RsaPrivateKey) -> Result<Self> {
        let k = key.size();
        let d = Zeroizing::new(key.d().to_be_bytes());
        // d < n, so its value fits in k bytes: use exactly the last k (fixed width, so the
        // hash input does not depend on how the key was loaded).
        let mut fixed = Zeroizing::new(vec![0u8; k]);
        let take = d.len().min(k);
        let (src_start, dst_start) = (d.len() - take, k - take);
        fixed[dst_start..].copy_from_slice(&d[src_start..]);
        let mut h = Sha256::new();
        h.update(SECRET_LABEL);
        h.update(&fixed[..]);
        let mut digest = h.finalize();
        let mut secret = Zeroizing::new([0u8; 32]);
        secret.copy_from_slice(&digest);
        digest.zeroize();
        Ok(RsaKey {
            key,
            ir_secret: secret,
        })
    }
}

fn hmac(key: &[u8]) -> Result<HmacSha256> {
    <HmacSha256 as KeyInit>::new_from_slice(key)
        .map_err(|_| Error::Crypto("HMAC key setup failed".into()))
}

/// The synthetic key for `ciphertext`: deterministic per key and ciphertext.
fn synthetic_key(
    secret: &[u8; 32],
    ciphertext: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let mut mac = hmac(secret)?;
    mac.update(ciphertext);
    let kdk = Zeroizing::new(mac.finalize().into_bytes().to_vec());
    let bits = u16::try_from(expected_len * 8)
        .map_err(|_| Error::InvalidArgument("expected key length is too large".into()))?;
    let mut out = Zeroizing::new(Vec::with_capacity(expected_len + 32));
    let mut counter: u16 = 0;
    while out.len() < expected_len {
        let mut mac = hmac(&kdk)?;
        mac.update(&counter.to_be_bytes());
        mac.update(SYNTHETIC_LABEL);
        mac.update(&bits.to_be_bytes());
        let block = Zeroizing::new(mac.finalize().into_bytes().to_vec());
        out.extend_from_slice(&block);
        counter = counter.wrapping_add(1);
    }
    out.truncate(expected_len);
    Ok(out)
}

/// Decrypts a PKCS#1 v1.5 key-transport blob to exactly `expected_len` bytes, with implicit
/// rejection. Errors only for public reasons (a bad `expected_len`, an RNG or fault failure).
pub(crate) fn decrypt(
    rsa_key: &RsaKey,
    fast: Option<&super::rsa_crt::RsaCrt>,
    ciphertext: &[u8],
    expected_len: usize,
) -> Result<Zeroizing<Vec<u8>>> {
    let key = &rsa_key.key;
    let k = key.size();
    if expected_len == 0 || k < 11 || expected_len > k - 11 {
        return Err(Error::InvalidArgument(format!(
            "a PKCS#1 v1.5 key transport with this {}-byte RSA key carries 1 to {} bytes, not {expected_len}",
            k,
            k.saturating_sub(11)
        )));
    }

    // The synthetic key is always computed: same work on every path. Its key-derivation key
    // is taken over the ciphertext left-padded with zeros to the modulus length (as OpenSSL
    // does), so C and C without its leading zero bytes, which decrypt alike, also reject alike.
    let synthetic = if ciphertext.len() < k {
        let mut padded = vec![0u8; k];
        padded[k - ciphertext.len()..].copy_from_slice(ciphertext);
        synthetic_key(&rsa_key.ir_secret, &padded, expected_len)?
    } else {
        synthetic_key(&rsa_key.ir_secret, ciphertext, expected_len)?
    };

    // Ciphertext length and range are public: out-of-range input gets the synthetic key.
    let mut em = Zeroizing::new(vec![0u8; k]);
    let mut in_range = Choice::from(0);
    // The fixed-width CRT operation of `rsa_crt` for 2048/3072/4096-bit keys (cached
    // blinding, result checked with e), the `rsa` crate's for other keys.
    match super::rsa_crt::raw_decrypt(fast, key, ciphertext) {
        Ok(m) => {
            // m < n fits in k bytes.
            let take = m.len().min(k);
            em[k - take..].copy_from_slice(&m[m.len() - take..]);
            in_range = Choice::from(1);
        }
        // c >= n, or longer than the modulus (public): no plaintext; the synthetic key.
        Err(OpError::OutOfRange) => {}
        Err(OpError::Failed) => {
            return Err(Error::Crypto("RSA private key operation failed".into()));
        }
    }

    // EM = 0x00 || 0x02 || PS (>= 8 nonzero bytes) || 0x00 || M, with |M| == expected_len.
    let mut valid = in_range & em[0].ct_eq(&0) & em[1].ct_eq(&2);
    let mut found = Choice::from(0);
    let mut sep: u32 = 0;
    for (i, b) in em.iter().enumerate().skip(2) {
        let is_zero = b.ct_eq(&0);
        let first = is_zero & !found;
        sep.conditional_assign(&(i as u32), first);
        found |= is_zero;
    }
    valid &= found;
    valid &= sep.ct_gt(&9); // at least 8 bytes of padding string
    valid &= sep.ct_eq(&((k - 1 - expected_len) as u32));

    let start = k - expected_len;
    let mut out = Zeroizing::new(vec![0u8; expected_len]);
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::conditional_select(&synthetic[i], &em[start + i], valid);
    }
    Ok(out)
}
