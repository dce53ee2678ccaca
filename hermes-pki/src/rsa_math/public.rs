//! The RSA public operation `x^e mod n` on fixed-width limbs.
//!
//! The Montgomery constants of a modulus (`R mod n`, `R^2 mod n`, `-n^-1 mod 2^64`) are
//! computed when a key is made ([`Modulus::new_public`]: a few dozen doublings and six
//! squarings, a fraction of one exponentiation), so a key read for one verification costs
//! little more than the exponentiation itself. The exponent is public and steers the square
//! and multiply; the base (a signature, or a padded message holding a content-encryption key)
//! only meets constant-time arithmetic.

use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::mont::{self, Modulus, from_be, to_be};

/// The input is not below the modulus (or is longer than the modulus).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OutOfRange;

/// The largest public exponent taken, as the `rsa` crate (and *ring*): `2^33 - 1`. Larger
/// exponents are a denial-of-service lever on verification.
const MAX_E: u64 = (1 << 33) - 1;

/// An RSA public key of one of the sizes this module handles.
pub(crate) enum RsaPublic {
    /// 2048-bit modulus (256 bytes, 32 limbs).
    R2048(Box<Public<32, 64>>),
    /// 3072-bit modulus (384 bytes, 48 limbs).
    R3072(Box<Public<48, 96>>),
    /// 4096-bit modulus (512 bytes, 64 limbs).
    R4096(Box<Public<64, 128>>),
}

/// `bytes` without its leading zero bytes.
fn strip(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default()
}

impl RsaPublic {
    /// The key with modulus `n` and public exponent `e` (big-endian, leading zero bytes
    /// allowed), or `None` when this module does not handle it and the caller uses the `rsa`
    /// crate: a modulus of other than 256, 384 or 512 bytes, an even modulus, or an exponent
    /// that is even, below 3 or above `2^33 - 1` (so `e < n` always holds here).
    pub(crate) fn new(n: &[u8], e: &[u8]) -> Option<Self> {
        let n = strip(n);
        let e: [u64; 1] = from_be(strip(e))?;
        let e = e[0];
        if e < 3 || e & 1 == 0 || e > MAX_E {
            return None;
        }
        Some(match n.len() {
            256 => RsaPublic::R2048(Box::new(Public::new(n, e)?)),
            384 => RsaPublic::R3072(Box::new(Public::new(n, e)?)),
            512 => RsaPublic::R4096(Box::new(Public::new(n, e)?)),
            _ => return None,
        })
    }

    /// The modulus length `k` in bytes (256, 384 or 512).
    pub(crate) fn size(&self) -> usize {
        match self {
            RsaPublic::R2048(_) => 256,
            RsaPublic::R3072(_) => 384,
            RsaPublic::R4096(_) => 512,
        }
    }

    /// `x^e mod n` as exactly `k` big-endian bytes, for a big-endian `x` of at most `k` bytes
    /// below `n`. Zeroized on drop: the input may be a padded content-encryption key.
    pub(crate) fn public_op(&self, x: &[u8]) -> Result<Zeroizing<Vec<u8>>, OutOfRange> {
        match self {
            RsaPublic::R2048(p) => p.public_op(x),
            RsaPublic::R3072(p) => p.public_op(x),
            RsaPublic::R4096(p) => p.public_op(x),
        }
    }

    /// RSASSA-PKCS1-v1_5 verification (RFC 8017 section 8.2.2): `signature` must have exactly
    /// `k` bytes and be below `n`, and `signature^e mod n` must equal the EMSA-PKCS1-v1_5
    /// encoding `00 01 FF..FF 00 || prefix || hashed` (`prefix` the DER DigestInfo header of
    /// the hash, `hashed` the digest). Encoding the expected value and comparing, rather than
    /// parsing the result, leaves no room for the lax-parsing forgeries (Bleichenbacher 2006).
    pub(crate) fn verify_pkcs1v15(&self, prefix: &[u8], hashed: &[u8], signature: &[u8]) -> bool {
        let k = self.size();
        if signature.len() != k {
            return false;
        }
        let t_len = prefix.len().saturating_add(hashed.len());
        if k < t_len.saturating_add(11) {
            return false;
        }
        let Ok(em) = self.public_op(signature) else {
            return false;
        };
        let mut expected = vec![0xFFu8; k];
        expected[0] = 0;
        expected[1] = 1;
        expected[k - t_len - 1] = 0;
        expected[k - t_len..k - hashed.len()].copy_from_slice(prefix);
        expected[k - hashed.len()..].copy_from_slice(hashed);
        bool::from(em.ct_eq(&expected))
    }
}

/// A public key with `N` limbs (`W = 2 N`).
pub(crate) struct Public<const N: usize, const W: usize> {
    n: Modulus<N>,
    e: u64,
}

impl<const N: usize, const W: usize> Public<N, W> {
    /// `n` is big-endian with no leading zero byte and exactly `8 N` bytes long.
    fn new(n: &[u8], e: u64) -> Option<Self> {
        let n = Modulus::new_public::<W>(from_be(n)?)?;
        Some(Public { n, e })
    }

    fn public_op(&self, x: &[u8]) -> Result<Zeroizing<Vec<u8>>, OutOfRange> {
        if x.len() > 8 * N {
            return Err(OutOfRange);
        }
        let mut x: [u64; N] = from_be(x).ok_or(OutOfRange)?;
        let (_, below) = mont::sub(&x, &self.n.n);
        if below == 0 {
            return Err(OutOfRange);
        }
        let mut y = self.n.pow_e::<W>(&x, self.e);
        let mut out = Zeroizing::new(vec![0u8; 8 * N]);
        to_be(&y, &mut out);
        zeroize::Zeroize::zeroize(&mut x);
        zeroize::Zeroize::zeroize(&mut y);
        Ok(out)
    }
}
