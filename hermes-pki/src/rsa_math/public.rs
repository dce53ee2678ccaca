//! The RSA public operation `x^e mod n` on fixed-width limbs.
//!
//! The Montgomery constants of a modulus (`R mod n`, `R^2 mod n`, `-n^-1 mod 2^64`) are
//! computed when a key is made ([`Modulus::new_public`]: a few dozen doublings and six
//! squarings, a fraction of one exponentiation), so a key read for one verification costs
//! little more than the exponentiation itself. The exponent is public and steers the square
//! and multiply; the base (a signature, or a padded message holding a content-encryption key)
//! only meets constant-time arithmetic.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use sha2::Digest;
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

    /// [`RsaPublic::new`] through a process-wide cache of the last [`CACHE_SIZE`] keys, so a
    /// key that verifies or receives again (an issuing CA, a frequent signer or recipient)
    /// does not pay for its Montgomery constants again. Keys are public: nothing to wipe.
    pub(crate) fn cached(n: &[u8], e: &[u8]) -> Option<Arc<Self>> {
        static RECENT: Cache = Cache::new();
        RECENT.get(n, e)
    }

    /// The modulus length `k` in bytes (256, 384 or 512).
    pub(crate) fn size(&self) -> usize {
        match self {
            RsaPublic::R2048(_) => 256,
            RsaPublic::R3072(_) => 384,
            RsaPublic::R4096(_) => 512,
        }
    }

    /// The bit length of the modulus.
    pub(crate) fn bits(&self) -> usize {
        match self {
            RsaPublic::R2048(p) => p.n.bits(),
            RsaPublic::R3072(p) => p.n.bits(),
            RsaPublic::R4096(p) => p.n.bits(),
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

    /// RSASSA-PSS verification (RFC 8017 section 8.1.2 with EMSA-PSS-VERIFY, section 9.1.2):
    /// MGF1 with the hash `D`, a salt of exactly `salt_len` bytes, trailer `BC`. `m_hash` is
    /// the digest of the message. Every inconsistency is `false`.
    pub(crate) fn verify_pss<D: Digest>(
        &self,
        m_hash: &[u8],
        salt_len: usize,
        signature: &[u8],
    ) -> bool {
        let k = self.size();
        if signature.len() != k || m_hash.len() != <D as Digest>::output_size() {
            return false;
        }
        let Ok(em) = self.public_op(signature) else {
            return false;
        };
        // emBits = modBits - 1; EM is the last emLen bytes, any byte before them must be zero.
        let em_bits = self.bits() - 1;
        let em_len = em_bits.div_ceil(8);
        let (lead, em) = em.split_at(k - em_len);
        if lead.iter().any(|&b| b != 0) {
            return false;
        }
        emsa_pss_verify::<D>(em, em_bits, m_hash, salt_len)
    }
}

/// EMSA-PSS-VERIFY (RFC 8017 section 9.1.2) of the `emLen`-byte `em` for a hash `m_hash` and a
/// salt of `s_len` bytes. The inputs are public (a signature and a message digest), so early
/// returns are fine.
fn emsa_pss_verify<D: Digest>(em: &[u8], em_bits: usize, m_hash: &[u8], s_len: usize) -> bool {
    let h_len = <D as Digest>::output_size();
    let em_len = em.len();
    // Step 3.
    if em_len < h_len.saturating_add(s_len).saturating_add(2) {
        return false;
    }
    // Step 4: the trailer.
    if em.last() != Some(&0xBC) {
        return false;
    }
    // Step 5: maskedDB || H.
    let db_len = em_len - h_len - 1;
    let (masked_db, rest) = em.split_at(db_len);
    let h = &rest[..h_len];
    // Step 6: the bits above emBits must be zero.
    let top = 0xFFu8 >> (8 * em_len - em_bits);
    if masked_db[0] & !top != 0 {
        return false;
    }
    // Steps 7-9: DB = maskedDB xor MGF1(H), its top bits cleared.
    let mut db = masked_db.to_vec();
    mgf1_xor::<D>(&mut db, h);
    db[0] &= top;
    // Step 10: PS (zeros) || 01 || salt.
    let ps_len = db_len - s_len - 1;
    if db[..ps_len].iter().any(|&b| b != 0) || db[ps_len] != 0x01 {
        return false;
    }
    // Steps 11-14: H' = Hash(00 x 8 || mHash || salt) must equal H.
    let mut hasher = D::new();
    hasher.update([0u8; 8]);
    hasher.update(m_hash);
    hasher.update(&db[ps_len + 1..]);
    hasher.finalize().as_slice() == h
}

/// `out ^= MGF1(seed, out.len())` with the hash `D` (RFC 8017 appendix B.2.1).
pub(crate) fn mgf1_xor<D: Digest>(out: &mut [u8], seed: &[u8]) {
    for (counter, chunk) in out.chunks_mut(<D as Digest>::output_size()).enumerate() {
        let mut h = D::new();
        h.update(seed);
        h.update((counter as u32).to_be_bytes());
        let mask = Zeroizing::new(h.finalize().to_vec());
        for (o, m) in chunk.iter_mut().zip(mask.iter()) {
            *o ^= m;
        }
    }
}

/// How many keys [`RsaPublic::cached`] keeps.
pub(crate) const CACHE_SIZE: usize = 32;

/// Recently used keys, most recent first, at most [`CACHE_SIZE`].
pub(crate) struct Cache(Mutex<VecDeque<CacheEntry>>);

struct CacheEntry {
    n: Box<[u8]>,
    e: Box<[u8]>,
    key: Arc<RsaPublic>,
}

impl Cache {
    pub(crate) const fn new() -> Self {
        Cache(Mutex::new(VecDeque::new()))
    }

    /// The key for `(n, e)`, from the cache or made and added (the oldest dropped beyond
    /// [`CACHE_SIZE`]); `None` when [`RsaPublic::new`] does not take it.
    pub(crate) fn get(&self, n: &[u8], e: &[u8]) -> Option<Arc<RsaPublic>> {
        let (n, e) = (strip(n), strip(e));
        let find = |list: &VecDeque<CacheEntry>| {
            list.iter()
                .position(|entry| *entry.n == *n && *entry.e == *e)
        };
        {
            // The entries are immutable once made: a panic elsewhere cannot leave one half
            // written, so a poisoned lock is still usable.
            let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(entry) = find(&list).and_then(|i| list.remove(i)) {
                let key = Arc::clone(&entry.key);
                list.push_front(entry);
                return Some(key);
            }
        }
        // Made outside the lock; another thread may have added it meanwhile.
        let key = Arc::new(RsaPublic::new(n, e)?);
        let mut list = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if find(&list).is_none() {
            list.push_front(CacheEntry {
                n: n.into(),
                e: e.into(),
                key: Arc::clone(&key),
            });
            list.truncate(CACHE_SIZE);
        }
        Some(key)
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
