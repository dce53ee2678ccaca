//! Fixed-width Montgomery arithmetic on little-endian 64-bit limbs.
//!
//! Everything here is constant time in the values: no branch and no memory index depends on
//! an operand or an exponent (loop bounds and window positions depend only on the width `N`).
//! Conditional subtractions and table lookups are done with masks.

use subtle::ConstantTimeEq;
use zeroize::Zeroize;

/// `a + b * c + carry` as (low, high).
#[inline(always)]
fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(a) + u128::from(b) * u128::from(c) + u128::from(carry);
    (t as u64, (t >> 64) as u64)
}

/// `(acc, top) + a * b` for a three-limb accumulator (`acc` the low two limbs).
#[inline(always)]
fn acc_mac(acc: u128, top: u64, a: u64, b: u64) -> (u128, u64) {
    let (s, c) = acc.overflowing_add(u128::from(a) * u128::from(b));
    (s, top + u64::from(c))
}

/// `a + b + carry` as (sum, carry out).
#[inline(always)]
fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = u128::from(a) + u128::from(b) + u128::from(carry);
    (t as u64, (t >> 64) as u64)
}

/// `a - b - borrow` as (difference, borrow out: 0 or 1).
#[inline(always)]
fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = u128::from(a)
        .wrapping_sub(u128::from(b))
        .wrapping_sub(u128::from(borrow));
    (t as u64, ((t >> 64) as u64) & 1)
}

/// `a - b` and the borrow out (1 when `a < b`).
#[inline(always)]
pub(crate) fn sub<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut borrow = 0;
    for i in 0..N {
        (out[i], borrow) = sbb(a[i], b[i], borrow);
    }
    (out, borrow)
}

/// `a + b` and the carry out.
#[inline(always)]
pub(crate) fn add<const N: usize>(a: &[u64; N], b: &[u64; N]) -> ([u64; N], u64) {
    let mut out = [0u64; N];
    let mut carry = 0;
    for i in 0..N {
        (out[i], carry) = adc(a[i], b[i], carry);
    }
    (out, carry)
}

/// `mask` all ones selects `a`, zero selects `b`.
#[inline(always)]
fn select<const N: usize>(mask: u64, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
    let mut out = [0u64; N];
    for i in 0..N {
        out[i] = (a[i] & mask) | (b[i] & !mask);
    }
    out
}

/// All ones when `bit` is 1, zero when it is 0.
#[inline(always)]
fn mask_of(bit: u64) -> u64 {
    0u64.wrapping_sub(bit & 1)
}

/// Full product `a * b` (`W` = `2 * N` limbs).
pub(crate) fn mul_wide<const N: usize, const W: usize>(a: &[u64; N], b: &[u64; N]) -> [u64; W] {
    const { assert!(W == 2 * N) };
    let mut w = [0u64; W];
    for i in 0..N {
        let mut carry = 0;
        for j in 0..N {
            (w[i + j], carry) = mac(w[i + j], a[i], b[j], carry);
        }
        w[i + N] = carry;
    }
    w
}

/// An odd modulus with its Montgomery constants (`R = 2^(64 N)`). Zeroized on drop: the
/// modulus may be a secret prime.
pub(crate) struct Modulus<const N: usize> {
    /// The modulus.
    pub(crate) n: [u64; N],
    /// `-n^-1 mod 2^64`.
    n0: u64,
    /// `R mod n`: one in Montgomery form.
    pub(crate) one: [u64; N],
    /// `R^2 mod n`.
    pub(crate) r2: [u64; N],
}

impl<const N: usize> Drop for Modulus<N> {
    fn drop(&mut self) {
        self.n.zeroize();
        self.n0.zeroize();
        self.one.zeroize();
        self.r2.zeroize();
    }
}

impl<const N: usize> Modulus<N> {
    /// The constants for `n`; `None` unless `n` is odd and greater than 1 (public facts).
    pub(crate) fn new(n: [u64; N]) -> Option<Self> {
        let gt_one = n[1..].iter().any(|&w| w != 0) || n[0] > 1;
        if n[0] & 1 == 0 || !gt_one {
            return None;
        }
        let mut m = Modulus {
            n,
            n0: Self::neg_inv(n[0]),
            one: [0; N],
            r2: [0; N],
        };
        // R mod n and R^2 mod n by doubling 1 modulo n, in constant time.
        let mut x = [0u64; N];
        x[0] = 1;
        for i in 0..(128 * N) {
            x = m.double(&x);
            if i + 1 == 64 * N {
                m.one = x;
            }
        }
        m.r2 = x;
        x.zeroize();
        Some(m)
    }

    /// The constants for a public modulus `n` of `64 N` bits or a few less (its top limb not
    /// zero); `None` unless `n` is odd and its top limb is not zero. Faster than [`Self::new`]:
    /// `R mod n` by doubling `2^(bits - 1)` up to `R`, then `R^2 mod n` from `2^N R` by six
    /// Montgomery squarings (`(2^N)^(2^6) = 2^(64 N) = R`), about 2 N doublings and 6 squarings
    /// in place of `128 N` doublings. Loop counts depend on the bit length of `n` (public).
    pub(crate) fn new_public<const W: usize>(n: [u64; N]) -> Option<Self> {
        const { assert!(W == 2 * N) };
        if n[0] & 1 == 0 || n[N - 1] == 0 || (N == 1 && n[0] == 1) {
            return None;
        }
        let inv = Self::neg_inv(n[0]);
        let mut m = Modulus {
            n,
            n0: inv,
            one: [0; N],
            r2: [0; N],
        };
        let bits = 64 * N - n[N - 1].leading_zeros() as usize;
        // 2^(bits - 1) < n (n is odd and has `bits` bits).
        let mut x = [0u64; N];
        x[(bits - 1) / 64] = 1u64 << ((bits - 1) % 64);
        for _ in 0..(64 * N - bits + 1) {
            x = m.double(&x);
        }
        m.one = x;
        for _ in 0..N {
            x = m.double(&x);
        }
        for _ in 0..6 {
            x = m.sqr::<W>(&x);
        }
        m.r2 = x;
        Some(m)
    }

    /// `-n0^-1 mod 2^64` for odd `n0`: Newton iteration, 3 correct bits doubled five times.
    fn neg_inv(n0: u64) -> u64 {
        let mut inv = n0;
        for _ in 0..5 {
            inv = inv.wrapping_mul(2u64.wrapping_sub(n0.wrapping_mul(inv)));
        }
        inv.wrapping_neg()
    }

    /// The bit length of the modulus (public).
    pub(crate) fn bits(&self) -> usize {
        let top = self.n.iter().rposition(|&w| w != 0).unwrap_or(0);
        64 * top + (64 - self.n[top].leading_zeros() as usize)
    }

    /// `2 x mod n` for `x < n`.
    fn double(&self, x: &[u64; N]) -> [u64; N] {
        let (d, carry) = add(x, x);
        let (s, borrow) = sub(&d, &self.n);
        select(mask_of(carry | (borrow ^ 1)), &s, &d)
    }

    /// `t - n` if `hi` is set or `t >= n`, else `t` (for `hi * R + t < 2 n`).
    #[inline(always)]
    fn reduce_once(&self, t: &[u64; N], hi: u64) -> [u64; N] {
        let (s, borrow) = sub(t, &self.n);
        select(mask_of(hi | (borrow ^ 1)), &s, t)
    }

    /// `a + b mod n` for `a, b < n`.
    pub(crate) fn add(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (s, carry) = add(a, b);
        self.reduce_once(&s, carry)
    }

    /// `a - b mod n` for `a, b < n`.
    pub(crate) fn sub(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let (d, borrow) = sub(a, b);
        let (s, _) = add(&d, &self.n);
        select(mask_of(borrow), &s, &d)
    }

    /// Montgomery product `a b R^-1 mod n`, for `a < R` and `b < n`: operand scanning (CIOS)
    /// for 16 limbs and fewer, product scanning (FIPS) from 24 limbs, whichever measured faster
    /// at that width on x86-64 (`N` is a constant: the choice costs nothing at run time).
    #[inline(never)]
    pub(crate) fn mul(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        if N >= 24 {
            self.mul_fips(a, b)
        } else {
            self.mul_cios(a, b)
        }
    }

    /// [`Self::mul`] by operand scanning with the reduction interleaved (CIOS): the inner
    /// loops have the fixed length `N`, which LLVM unrolls into one carry chain per row.
    #[inline]
    pub(crate) fn mul_cios(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let n = &self.n;
        let mut t = [0u64; N];
        let mut hi = 0u64;
        for bi in b.iter() {
            let mut carry = 0;
            for j in 0..N {
                (t[j], carry) = mac(t[j], a[j], *bi, carry);
            }
            let (s, hi2) = adc(hi, carry, 0);
            let m = t[0].wrapping_mul(self.n0);
            let (_, mut carry) = mac(t[0], m, n[0], 0);
            for j in 1..N {
                (t[j - 1], carry) = mac(t[j], m, n[j], carry);
            }
            let (s, c) = adc(s, carry, 0);
            t[N - 1] = s;
            hi = hi2 + c;
        }
        self.reduce_once(&t, hi)
    }

    /// [`Self::mul`] by product scanning with the reduction interleaved (FIPS): column `k`
    /// sums `a[i] b[k-i]` and `m[i] n[k-i]` into a three-limb accumulator, whose low limb
    /// gives `m[k]` (first `N` columns) or result limb `k - N` (the others). A column holds at
    /// most `2 N` products below `2^128`, so the accumulator never overflows 192 bits.
    #[inline]
    pub(crate) fn mul_fips(&self, a: &[u64; N], b: &[u64; N]) -> [u64; N] {
        let n = &self.n;
        let mut m = [0u64; N];
        let mut t = [0u64; N];
        // The accumulator: `acc` (two limbs) and `top`.
        let mut acc: u128 = 0;
        let mut top: u64 = 0;
        for k in 0..N {
            for i in 0..k {
                (acc, top) = acc_mac(acc, top, a[i], b[k - i]);
                (acc, top) = acc_mac(acc, top, m[i], n[k - i]);
            }
            (acc, top) = acc_mac(acc, top, a[k], b[0]);
            let mk = (acc as u64).wrapping_mul(self.n0);
            m[k] = mk;
            // Makes the low limb zero.
            (acc, top) = acc_mac(acc, top, mk, n[0]);
            acc = (acc >> 64) | (u128::from(top) << 64);
            top = 0;
        }
        for k in N..(2 * N - 1) {
            for i in (k + 1 - N)..N {
                (acc, top) = acc_mac(acc, top, a[i], b[k - i]);
                (acc, top) = acc_mac(acc, top, m[i], n[k - i]);
            }
            t[k - N] = acc as u64;
            acc = (acc >> 64) | (u128::from(top) << 64);
            top = 0;
        }
        t[N - 1] = acc as u64;
        let out = self.reduce_once(&t, (acc >> 64) as u64);
        m.zeroize();
        t.zeroize();
        acc.zeroize();
        out
    }

    /// Montgomery square `a^2 R^-1 mod n` for `a < n`: the half product, doubled, plus the
    /// diagonal, then a Montgomery reduction that shifts a window of `N` limbs down one limb
    /// per step (fixed indices, so its inner loop unrolls as in [`Self::mul_cios`]).
    /// `W` must be `2 * N`.
    #[inline(never)]
    pub(crate) fn sqr<const W: usize>(&self, a: &[u64; N]) -> [u64; N] {
        const { assert!(W == 2 * N) };
        if N <= 16 {
            return self.mul_cios(a, a);
        }
        let mut w = [0u64; W];
        // Off-diagonal products a[i] a[j], i < j.
        for i in 0..N {
            let mut carry = 0;
            for j in (i + 1)..N {
                (w[i + j], carry) = mac(w[i + j], a[i], a[j], carry);
            }
            w[i + N] = carry;
        }
        // Doubled.
        let mut top = 0;
        for x in w.iter_mut() {
            let v = *x;
            *x = (v << 1) | top;
            top = v >> 63;
        }
        // Plus the squares on the diagonal.
        let mut carry = 0;
        for i in 0..N {
            let sq = u128::from(a[i]) * u128::from(a[i]);
            let (lo, c) = adc(w[2 * i], sq as u64, carry);
            let (hi, c) = adc(w[2 * i + 1], (sq >> 64) as u64, c);
            w[2 * i] = lo;
            w[2 * i + 1] = hi;
            carry = c;
        }
        // Montgomery reduction of the 2N-limb square: t holds limbs i .. i + N of the running
        // value divided by 2^(64 i); limb N + i of the square enters at the top each step.
        let n = &self.n;
        let mut t = [0u64; N];
        t.copy_from_slice(&w[..N]);
        let mut hi = 0u64;
        for i in 0..N {
            let m = t[0].wrapping_mul(self.n0);
            let (_, mut carry) = mac(t[0], m, n[0], 0);
            for j in 1..N {
                (t[j - 1], carry) = mac(t[j], m, n[j], carry);
            }
            let (s, c1) = adc(w[N + i], carry, 0);
            let (s, c2) = adc(s, hi, 0);
            t[N - 1] = s;
            hi = c1 + c2;
        }
        let out = self.reduce_once(&t, hi);
        w.zeroize();
        t.zeroize();
        out
    }

    /// `a R mod n` (into Montgomery form) for `a < R`.
    pub(crate) fn enter_mont(&self, a: &[u64; N]) -> [u64; N] {
        self.mul(a, &self.r2)
    }

    /// `a R^-1 mod n` (out of Montgomery form).
    pub(crate) fn leave_mont(&self, a: &[u64; N]) -> [u64; N] {
        let mut one = [0u64; N];
        one[0] = 1;
        self.mul(a, &one)
    }

    /// `base^exp` in Montgomery form, `base` in Montgomery form, with a secret exponent:
    /// a fixed 5-bit window over all `64 N` bits of `exp`, every table entry read on each
    /// lookup. `W` must be `2 * N`.
    pub(crate) fn pow_secret<const W: usize>(&self, base: &[u64; N], exp: &[u64; N]) -> [u64; N] {
        const WINDOW: usize = 5;
        let mut table = [[0u64; N]; 1 << WINDOW];
        table[0] = self.one;
        table[1] = *base;
        for i in 2..(1 << WINDOW) {
            table[i] = if i % 2 == 0 {
                self.sqr::<W>(&table[i / 2])
            } else {
                self.mul(&table[i - 1], base)
            };
        }
        let bits = 64 * N;
        let windows = bits.div_ceil(WINDOW);
        // The top window is the accumulator's start (no multiplication by one).
        let mut idx = window_bits(exp, (windows - 1) * WINDOW, WINDOW);
        let mut acc = lookup(&table, idx);
        for win in (0..windows - 1).rev() {
            for _ in 0..WINDOW {
                acc = self.sqr::<W>(&acc);
            }
            idx = window_bits(exp, win * WINDOW, WINDOW);
            let mut entry = lookup(&table, idx);
            acc = self.mul(&acc, &entry);
            entry.zeroize();
        }
        idx.zeroize();
        table.zeroize();
        acc
    }

    /// `base^e` in Montgomery form for a public exponent `e` (square and multiply; `e` is
    /// public, so its bits may steer branches).
    pub(crate) fn pow_public(&self, base: &[u64; N], e: u64) -> [u64; N] {
        let mut acc = self.one;
        for bit in (0..(64 - e.leading_zeros())).rev() {
            acc = self.mul(&acc, &acc);
            if (e >> bit) & 1 == 1 {
                acc = self.mul(&acc, base);
            }
        }
        acc
    }

    /// `x^e mod n` for `x < n` and a public exponent `e >= 1` (square and multiply, `e` public),
    /// in and out of Montgomery form: one multiplication by `R^2` in, dedicated squarings, and
    /// when `e` is odd the last multiplication by the plain `x` takes the result out of
    /// Montgomery form at no cost. Constant time in `x`.
    pub(crate) fn pow_e<const W: usize>(&self, x: &[u64; N], e: u64) -> [u64; N] {
        if e == 0 {
            return self.leave_mont(&self.one);
        }
        let xm = self.enter_mont(x);
        let top = 63 - e.leading_zeros();
        let mut acc = xm;
        // Bits top-1 .. 1 in Montgomery form; bit 0 below.
        for bit in (1..top).rev() {
            acc = self.sqr::<W>(&acc);
            if (e >> bit) & 1 == 1 {
                acc = self.mul(&acc, &xm);
            }
        }
        if top == 0 {
            // e = 1.
            return self.leave_mont(&acc);
        }
        acc = self.sqr::<W>(&acc);
        if e & 1 == 1 {
            // acc = x^(e-1) R; times plain x, divided by R: x^e, plain.
            self.mul(&acc, x)
        } else {
            self.leave_mont(&acc)
        }
    }
}

/// Bits `start .. start + len` (len <= 63) of `x`; bits past the top are zero. The positions are
/// public; the value read is not, and only shifts and masks touch it.
#[inline(always)]
fn window_bits<const N: usize>(x: &[u64; N], start: usize, len: usize) -> u32 {
    let word = start / 64;
    let shift = start % 64;
    let mut v = x[word] >> shift;
    if shift + len > 64 && word + 1 < N {
        v |= x[word + 1] << (64 - shift);
    }
    (v & ((1u64 << len) - 1)) as u32
}

/// `table[idx]`, reading every entry and keeping the one whose index matches by mask.
#[inline(always)]
fn lookup<const N: usize, const T: usize>(table: &[[u64; N]; T], idx: u32) -> [u64; N] {
    let mut out = [0u64; N];
    for (i, entry) in table.iter().enumerate() {
        let mask = mask_of(u64::from((i as u32).ct_eq(&idx).unwrap_u8()));
        for j in 0..N {
            out[j] |= entry[j] & mask;
        }
    }
    out
}

/// Big-endian bytes (at most `8 N` significant: leading bytes beyond must be zero) into limbs;
/// `None` when the value does not fit (a public fact: the width of a key part).
pub(crate) fn from_be<const N: usize>(bytes: &[u8]) -> Option<[u64; N]> {
    let width = 8 * N;
    let (extra, body) = bytes.split_at(bytes.len().saturating_sub(width));
    if extra.iter().fold(0u8, |acc, b| acc | b) != 0 {
        return None;
    }
    let mut out = [0u64; N];
    for (i, b) in body.iter().rev().enumerate() {
        out[i / 8] |= u64::from(*b) << (8 * (i % 8));
    }
    Some(out)
}

/// Limbs into exactly `len` big-endian bytes (the caller knows the value fits).
pub(crate) fn to_be<const N: usize>(x: &[u64; N], out: &mut [u8]) {
    for (i, o) in out.iter_mut().rev().enumerate() {
        *o = if i < 8 * N {
            (x[i / 8] >> (8 * (i % 8))) as u8
        } else {
            0
        };
    }
}

#[cfg(test)]
mod tests;
