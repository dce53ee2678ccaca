//! The RSA private operation `m = c^d mod n` for 2048-, 3072- and 4096-bit two-prime keys:
//! CRT over fixed-width 64-bit limbs (16, 24 or 32 per prime), Montgomery multiplication with a
//! dedicated squaring, a fixed 5-bit window with constant-time table lookups, base blinding
//! with a cached pair `(r^e, r^-1)` squared after each use, and the result checked with the
//! public exponent before it is returned (a computation fault gives an error, never a wrong
//! signature or plaintext).
//!
//! Scalar code only: there is no AVX-512 IFMA path (the development machine has no IFMA, and
//! untested code is not shipped). Keys of other sizes, with more than two primes, without CRT
//! parameters, or with a public exponent above 64 bits are left to the `rsa` crate
//! ([`RsaCrt::new`] returns `None`).
//!
//! Secrets (the primes and their Montgomery constants, `dP`, `dQ`, `qInv`, the blinding pair,
//! intermediate values) are zeroized when dropped.

use std::sync::Mutex;

use rsa::traits::{PrivateKeyParts, PublicKeyParts};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, Zeroizing};

pub(crate) mod padding;
#[cfg(test)]
mod tests;

use crate::rsa_math::mont::{self, Modulus, from_be, mul_wide, to_be};

/// Why the private operation produced nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OpError {
    /// The input is not below the modulus (or longer than the modulus): public.
    OutOfRange,
    /// The result failed the public-exponent check (a fault), or no randomness for blinding.
    Failed,
}

/// The fast private operation for one key, or the reason to use the `rsa` crate instead.
pub(crate) enum RsaCrt {
    /// 2048-bit modulus, 16 limbs per prime.
    R2048(Box<Crt<16, 32, 64>>),
    /// 3072-bit modulus, 24 limbs per prime.
    R3072(Box<Crt<24, 48, 96>>),
    /// 4096-bit modulus, 32 limbs per prime.
    R4096(Box<Crt<32, 64, 128>>),
}

impl RsaCrt {
    /// The precomputed CRT form of `key`, or `None` when the key is not one this module handles
    /// (the caller then uses the `rsa` crate). Only public facts decide: the modulus size, the
    /// number of primes, the width of the primes, and the size of `e`.
    pub(crate) fn new(key: &rsa::RsaPrivateKey) -> Option<Self> {
        Some(match key.size() {
            256 => RsaCrt::R2048(Box::new(Crt::new(key)?)),
            384 => RsaCrt::R3072(Box::new(Crt::new(key)?)),
            512 => RsaCrt::R4096(Box::new(Crt::new(key)?)),
            _ => return None,
        })
    }

    /// `input^d mod n` as exactly `k` big-endian bytes (`k` the modulus length), for a
    /// big-endian `input` of at most `k` bytes below `n`.
    pub(crate) fn private_op(&self, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpError> {
        match self {
            RsaCrt::R2048(c) => c.private_op(input),
            RsaCrt::R3072(c) => c.private_op(input),
            RsaCrt::R4096(c) => c.private_op(input),
        }
    }

    /// The modulus length in bytes.
    pub(crate) fn size(&self) -> usize {
        match self {
            RsaCrt::R2048(_) => 256,
            RsaCrt::R3072(_) => 384,
            RsaCrt::R4096(_) => 512,
        }
    }
}

/// The raw RSA private operation `c^d mod n` (blinded, checked) for a big-endian ciphertext of
/// at most `k` bytes, as exactly `k` bytes: through `fast` when the key has it, else through
/// the `rsa` crate (`rsa::hazmat::rsa_decrypt_and_check`, blinded with the OS RNG).
///
/// This is the hook for the PKCS#1 v1.5 key-transport path (`rsa_pkcs1v15::decrypt`), which
/// unpads the result in constant time: [`OpError::OutOfRange`] means `c >= n` (public), any
/// other failure is [`OpError::Failed`].
pub(crate) fn raw_decrypt(
    fast: Option<&RsaCrt>,
    key: &rsa::RsaPrivateKey,
    c: &[u8],
) -> Result<Zeroizing<Vec<u8>>, OpError> {
    if let Some(fast) = fast {
        return fast.private_op(c);
    }
    let k = key.size();
    if c.len() > k {
        return Err(OpError::OutOfRange);
    }
    let mut padded = Zeroizing::new(vec![0u8; k]);
    padded[k - c.len()..].copy_from_slice(c);
    let c = rsa::BoxedUint::from_be_slice(&padded, key.n_bits_precision())
        .map_err(|_| OpError::OutOfRange)?;
    let mut rng = getrandom::SysRng;
    let m = match rsa::hazmat::rsa_decrypt_and_check(key, Some(&mut rng), &c) {
        Ok(m) => Zeroizing::new(m),
        Err(rsa::Error::Decryption) => return Err(OpError::OutOfRange),
        Err(_) => return Err(OpError::Failed),
    };
    let bytes = Zeroizing::new(m.to_be_bytes());
    let take = bytes.len().min(k);
    let mut out = Zeroizing::new(vec![0u8; k]);
    out[k - take..].copy_from_slice(&bytes[bytes.len() - take..]);
    Ok(out)
}

/// The blinding pair in Montgomery form modulo `n`: `a = r^e R`, `b = r^-1 R`.
#[derive(Clone)]
struct Blinding<const F: usize> {
    a: [u64; F],
    b: [u64; F],
}

impl<const F: usize> Drop for Blinding<F> {
    fn drop(&mut self) {
        self.a.zeroize();
        self.b.zeroize();
    }
}

/// A two-prime key with `H` limbs per prime, `F = 2 H` limbs for the modulus and `W = 2 F`
/// for a square modulo `n`.
pub(crate) struct Crt<const H: usize, const F: usize, const W: usize> {
    p: Modulus<H>,
    q: Modulus<H>,
    /// `R^3 mod p` and `R^3 mod q` (`R = 2^(64 H)`): reduce an `F`-limb input in one step.
    p_r3: [u64; H],
    q_r3: [u64; H],
    dp: [u64; H],
    dq: [u64; H],
    /// `q^-1 mod p`.
    qinv: [u64; H],
    /// The public modulus.
    n: Modulus<F>,
    /// The public exponent.
    e: u64,
    /// Cached blinding pair, made on first use.
    blinding: Mutex<Option<Blinding<F>>>,
}

impl<const H: usize, const F: usize, const W: usize> Drop for Crt<H, F, W> {
    fn drop(&mut self) {
        self.p_r3.zeroize();
        self.q_r3.zeroize();
        self.dp.zeroize();
        self.dq.zeroize();
        self.qinv.zeroize();
        // The blinding pair zeroizes itself; a poisoned lock still gives the value back.
        let _ = self
            .blinding
            .get_mut()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .take();
    }
}

/// The fixed-width limbs of a key part, its big-endian bytes zeroized after.
fn limbs<const N: usize>(x: &rsa::BoxedUint) -> Option<[u64; N]> {
    let bytes = Zeroizing::new(x.to_be_bytes());
    from_be(&bytes)
}

impl<const H: usize, const F: usize, const W: usize> Crt<H, F, W> {
    fn new(key: &rsa::RsaPrivateKey) -> Option<Self> {
        const { assert!(F == 2 * H) };
        const { assert!(W == 2 * F) };
        let primes = key.primes();
        if primes.len() != 2 {
            return None;
        }
        let e_bytes = key.e().to_be_bytes();
        let e: [u64; 1] = from_be(&e_bytes)?;
        let e = e[0];
        if e < 3 {
            return None;
        }
        let n = Modulus::new_public::<W>(limbs::<F>(key.n().as_ref())?)?;
        let p = Modulus::new(limbs::<H>(primes[0].as_ref())?)?;
        let q = Modulus::new(limbs::<H>(primes[1].as_ref())?)?;
        let dp = limbs::<H>(key.dp()?)?;
        let dq = limbs::<H>(key.dq()?)?;
        let qinv_big = Zeroizing::new(key.qinv()?.retrieve());
        let qinv = limbs::<H>(&qinv_big)?;
        let p_r3 = p.mul(&p.r2, &p.r2);
        let q_r3 = q.mul(&q.r2, &q.r2);
        Some(Crt {
            p,
            q,
            p_r3,
            q_r3,
            dp,
            dq,
            qinv,
            n,
            e,
            blinding: Mutex::new(None),
        })
    }

    /// `x^ep mod p` and `x^eq mod q` recombined by Garner: `x^d mod n` when `(ep, eq)` are
    /// `(dP, dQ)`. `x < n`.
    fn crt_pow(&self, x: &[u64; F], ep: &[u64; H], eq: &[u64; H]) -> [u64; F] {
        let mut lo = [0u64; H];
        let mut hi = [0u64; H];
        lo.copy_from_slice(&x[..H]);
        hi.copy_from_slice(&x[H..]);
        // x R mod p = lo R + hi R^2 (mod p), and the same mod q.
        let mut xp = self
            .p
            .add(&self.p.mul(&lo, &self.p.r2), &self.p.mul(&hi, &self.p_r3));
        let mut xq = self
            .q
            .add(&self.q.mul(&lo, &self.q.r2), &self.q.mul(&hi, &self.q_r3));
        lo.zeroize();
        hi.zeroize();
        let mut mp = self.p.pow_secret::<F>(&xp, ep); // Montgomery form mod p
        let mut mq = self.q.leave_mont(&self.q.pow_secret::<F>(&xq, eq));
        // h = qInv (mp - mq) mod p; mq < q < R, so mq R mod p is its Montgomery form mod p.
        let mut mq_p = self.p.mul(&mq, &self.p.r2);
        let mut diff = self.p.sub(&mp, &mq_p);
        let mut h = self.p.mul(&diff, &self.qinv);
        // m = mq + h q < n.
        let mut hq: [u64; F] = mul_wide(&h, &self.q.n);
        let mut mq_wide = [0u64; F];
        mq_wide[..H].copy_from_slice(&mq);
        let (m, _) = mont::add(&hq, &mq_wide);
        for v in [
            &mut xp, &mut xq, &mut mp, &mut mq, &mut mq_p, &mut diff, &mut h,
        ] {
            v.zeroize();
        }
        hq.zeroize();
        mq_wide.zeroize();
        m
    }

    /// A fresh blinding pair: `r` random below `n`, `r^-1` by Fermat modulo each prime.
    fn new_blinding(&self) -> Result<Blinding<F>, OpError> {
        let top_bits = 64 - self.n.n[F - 1].leading_zeros();
        for _ in 0..64 {
            let mut bytes = Zeroizing::new([0u8; 8 * 64]);
            getrandom::fill(&mut bytes[..8 * F]).map_err(|_| OpError::Failed)?;
            let mut r: [u64; F] = from_be(&bytes[..8 * F]).ok_or(OpError::Failed)?;
            r[F - 1] &= if top_bits == 64 {
                u64::MAX
            } else {
                (1u64 << top_bits) - 1
            };
            // Rejection on r >= n or r = 0 looks only at the fresh random value.
            let (_, below) = mont::sub(&r, &self.n.n);
            if below == 0 || r.iter().all(|&w| w == 0) {
                r.zeroize();
                continue;
            }
            let (mut pm2, _) = mont::sub(&self.p.n, &two::<H>());
            let (mut qm2, _) = mont::sub(&self.q.n, &two::<H>());
            let mut r_inv = self.crt_pow(&r, &pm2, &qm2);
            pm2.zeroize();
            qm2.zeroize();
            let mut r_mont = self.n.enter_mont(&r);
            let b = self.n.enter_mont(&r_inv);
            let a = self.n.pow_public(&r_mont, self.e);
            // r r^-1 = 1, else r shares a factor with n (never in practice): draw again.
            let check = self.n.leave_mont(&self.n.mul(&r_mont, &b));
            let ok = bool::from(check.ct_eq(&one::<F>()));
            r.zeroize();
            r_inv.zeroize();
            r_mont.zeroize();
            let pair = Blinding { a, b };
            if ok {
                return Ok(pair);
            }
        }
        Err(OpError::Failed)
    }

    /// The current blinding pair; the cached one is squared for the next call.
    fn take_blinding(&self) -> Result<Blinding<F>, OpError> {
        let mut guard = match self.blinding.lock() {
            Ok(guard) => guard,
            Err(poisoned) => {
                // A panic while holding the lock: do not trust the pair, draw a new one.
                let mut guard = poisoned.into_inner();
                *guard = None;
                guard
            }
        };
        if guard.is_none() {
            *guard = Some(self.new_blinding()?);
        }
        let cached = guard.as_mut().ok_or(OpError::Failed)?;
        let current = cached.clone();
        cached.a = self.n.sqr::<W>(&cached.a);
        cached.b = self.n.sqr::<W>(&cached.b);
        Ok(current)
    }

    fn private_op(&self, input: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpError> {
        let k = 8 * F;
        if input.len() > k {
            return Err(OpError::OutOfRange);
        }
        let c: [u64; F] = from_be(input).ok_or(OpError::OutOfRange)?;
        let (_, below) = mont::sub(&c, &self.n.n);
        if below == 0 {
            return Err(OpError::OutOfRange);
        }
        let pair = self.take_blinding()?;
        // c r^e, raised to d: m r; times r^-1: m.
        let mut blinded = self.n.mul(&c, &pair.a);
        let mut mr = self.crt_pow(&blinded, &self.dp, &self.dq);
        let mut m = self.n.mul(&mr, &pair.b);
        blinded.zeroize();
        mr.zeroize();
        fault::inject(&mut m);
        // m^e must give c back.
        let back = self.n.pow_e::<W>(&m, self.e);
        if !bool::from(back.ct_eq(&c)) {
            m.zeroize();
            return Err(OpError::Failed);
        }
        let mut out = Zeroizing::new(vec![0u8; k]);
        to_be(&m, &mut out);
        m.zeroize();
        Ok(out)
    }

    /// The blinding pair as it stands (tests).
    #[cfg(test)]
    fn cached_blinding(&self) -> Option<([u64; F], [u64; F])> {
        let guard = self.blinding.lock().ok()?;
        guard.as_ref().map(|p| (p.a, p.b))
    }
}

fn one<const N: usize>() -> [u64; N] {
    let mut x = [0u64; N];
    x[0] = 1;
    x
}

fn two<const N: usize>() -> [u64; N] {
    let mut x = [0u64; N];
    x[0] = 2;
    x
}

/// Fault injection for the public-exponent check (tests only): flips one bit of the result of
/// the next private operation on this thread.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        static NEXT: Cell<bool> = const { Cell::new(false) };
    }

    /// Arms a fault for the next private operation on this thread.
    pub(crate) fn arm() {
        NEXT.with(|c| c.set(true));
    }

    pub(super) fn inject<const F: usize>(m: &mut [u64; F]) {
        if NEXT.with(|c| c.replace(false)) {
            m[F / 2] ^= 1 << 17;
        }
    }
}

#[cfg(not(test))]
mod fault {
    #[inline(always)]
    pub(super) fn inject<const F: usize>(_: &mut [u64; F]) {}
}
