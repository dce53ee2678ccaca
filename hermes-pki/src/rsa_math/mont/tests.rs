use super::*;

fn to_big(x: &[u64]) -> rsa::BoxedUint {
    rsa::BoxedUint::from_words(x.iter().copied())
}

#[test]
fn window_bits_reads_across_limbs() {
    let x = [0xF000_0000_0000_0000u64, 0b101];
    assert_eq!(window_bits(&x, 60, 5), 0b1_1111);
    assert_eq!(window_bits(&x, 62, 5), 0b1_0111);
    assert_eq!(window_bits(&x, 125, 5), 0);
    assert_eq!(window_bits(&x, 64, 3), 0b101);
}

#[test]
fn lookup_returns_the_indexed_entry() {
    let mut table = [[0u64; 2]; 32];
    for (i, e) in table.iter_mut().enumerate() {
        *e = [i as u64 * 3 + 1, !(i as u64)];
    }
    for i in 0..32u32 {
        assert_eq!(lookup(&table, i), table[i as usize]);
    }
}

/// Reference `base^exp mod n` by square and multiply with crypto-bigint's `mul_mod`.
fn ref_pow(base: &[u64; 4], exp: &[u64; 4], n: &[u64; 4]) -> rsa::BoxedUint {
    let nz = to_big(n).to_nz().expect("nonzero");
    let b = to_big(base);
    let mut acc = to_big(&[1, 0, 0, 0]);
    for bit in (0..256).rev() {
        acc = acc.mul_mod(&acc, &nz);
        if (exp[bit / 64] >> (bit % 64)) & 1 == 1 {
            acc = acc.mul_mod(&b, &nz);
        }
    }
    acc
}

#[test]
fn montgomery_ops_match_crypto_bigint() {
    // A 256-bit odd modulus with the top bit set, and operands at and near its edges.
    let n = [
        0xFFFF_FFFF_0000_0001u64,
        0x1234_5678_9ABC_DEF0,
        0x0FED_CBA9_8765_4321,
        0xC000_0000_0000_0007,
    ];
    let m = Modulus::new(n).expect("odd modulus");
    let nz = to_big(&n).to_nz().expect("nonzero");
    // R mod n = 2^256 - n, since n > 2^255.
    let (r_mod, _) = sub(&[0u64; 4], &n);
    assert_eq!(m.one, r_mod);
    assert_eq!(to_big(&m.r2), to_big(&r_mod).mul_mod(&to_big(&r_mod), &nz));
    let (nm1, _) = sub(&n, &[1, 0, 0, 0]);
    let samples = [
        [0u64; 4],
        [1, 0, 0, 0],
        nm1,
        [
            0x0123_4567_89AB_CDEF,
            0xDEAD_BEEF_0BAD_F00D,
            0x5555_5555_AAAA_AAAA,
            0x7FFF_FFFF_FFFF_FFFF,
        ],
        [u64::MAX, u64::MAX, 3, 0xBFFF_FFFF_FFFF_FFFF],
    ];
    for a in &samples {
        for b in &samples {
            // mul(a, b) R == a b (mod n)
            let got = to_big(&m.mul(a, b));
            assert_eq!(
                got.mul_mod(&to_big(&r_mod), &nz),
                to_big(a).mul_mod(&to_big(b), &nz),
                "mul {a:x?} {b:x?}"
            );
            assert_eq!(
                to_big(&m.add(a, b)),
                to_big(a).add_mod(&to_big(b), &nz),
                "add {a:x?} {b:x?}"
            );
            assert_eq!(
                to_big(&m.sub(a, b)),
                to_big(a).sub_mod(&to_big(b), &nz),
                "sub {a:x?} {b:x?}"
            );
        }
        assert_eq!(m.sqr::<8>(a), m.mul(a, a), "sqr {a:x?}");
        assert_eq!(m.leave_mont(&m.enter_mont(a)), *a);
    }
    // Exponentiation: the secret-exponent window and the public square-and-multiply agree
    // with the reference, for small and full-width exponents.
    let exps = [
        [0u64; 4],
        [1, 0, 0, 0],
        [0x1_0001, 0, 0, 0],
        [u64::MAX, 0x8000_0000_0000_0001, 0x1234, u64::MAX],
        nm1,
    ];
    for base in &samples[1..] {
        for exp in &exps {
            let got = m.leave_mont(&m.pow_secret::<8>(&m.enter_mont(base), exp));
            assert_eq!(
                to_big(&got),
                ref_pow(base, exp, &n),
                "pow {base:x?}^{exp:x?}"
            );
        }
        let public = m.leave_mont(&m.pow_public(&m.enter_mont(base), 0x1_0001));
        assert_eq!(to_big(&public), ref_pow(base, &exps[2], &n));
    }
}

#[test]
fn modulus_refuses_even_and_trivial_values() {
    assert!(Modulus::new([4u64, 1]).is_none());
    assert!(Modulus::new([1u64, 0]).is_none());
    assert!(Modulus::new([3u64, 0]).is_some());
}

#[test]
fn wide_product_and_byte_conversions() {
    let a = [u64::MAX, u64::MAX];
    let w: [u64; 4] = mul_wide(&a, &a);
    // (2^128 - 1)^2 = 2^256 - 2^129 + 1
    assert_eq!(w, [1, 0, u64::MAX - 1, u64::MAX]);
    let bytes = [0u8, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    let x: [u64; 2] = from_be(&bytes).expect("fits");
    assert_eq!(x, [0x0203_0405_0607_0809, 0x01]);
    let mut out = [0u8; 11];
    to_be(&x, &mut out);
    assert_eq!(out, bytes);
    assert!(from_be::<1>(&[1, 0, 0, 0, 0, 0, 0, 0, 0]).is_none());
}

/// Deterministic pseudo-random limbs (xorshift), for moduli and operands.
fn limbs<const N: usize>(seed: &mut u64) -> [u64; N] {
    let mut out = [0u64; N];
    for w in out.iter_mut() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        *w = *seed;
    }
    out
}

#[test]
fn public_constants_equal_the_constant_time_ones() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    // Top limbs from full width down to one bit, so `R mod n` needs many doublings too.
    for top in [u64::MAX, 1u64 << 63, 0x8000_0000_0000_0001, 0xFFFF, 2, 1] {
        for _ in 0..4 {
            let mut n: [u64; 4] = limbs(&mut seed);
            n[0] |= 1;
            n[3] = top;
            let slow = Modulus::new(n).expect("odd");
            let fast = Modulus::new_public::<8>(n).expect("odd, top limb set");
            assert_eq!(fast.n0, slow.n0, "{n:x?}");
            assert_eq!(fast.one, slow.one, "{n:x?}");
            assert_eq!(fast.r2, slow.r2, "{n:x?}");
            // And against crypto-bigint: R^2 mod n.
            let nz = to_big(&n).to_nz().expect("nonzero");
            let r = to_big(&fast.one);
            assert_eq!(to_big(&fast.r2), r.mul_mod(&r, &nz));
        }
    }
    // Refused: even, top limb zero.
    assert!(Modulus::<4>::new_public::<8>([4, 0, 0, 1]).is_none());
    assert!(Modulus::<4>::new_public::<8>([5, 1, 1, 0]).is_none());
}

#[test]
fn pow_e_matches_the_reference() {
    let mut seed = 0x0123_4567_89AB_CDEFu64;
    let mut n: [u64; 4] = limbs(&mut seed);
    n[0] |= 1;
    n[3] |= 1 << 63;
    let m = Modulus::new_public::<8>(n).expect("odd");
    let (nm1, _) = sub(&n, &[1, 0, 0, 0]);
    let mut bases = vec![[0u64; 4], [1, 0, 0, 0], [2, 0, 0, 0], nm1];
    for _ in 0..6 {
        let mut b: [u64; 4] = limbs(&mut seed);
        b[3] >>= 1; // below n
        bases.push(b);
    }
    // Odd and even, one-bit and long exponents: every branch of the square and multiply.
    for e in [
        1u64,
        2,
        3,
        4,
        5,
        17,
        0x1_0001,
        0x1_0000,
        (1 << 33) - 1,
        u64::MAX,
    ] {
        for b in &bases {
            assert_eq!(
                to_big(&m.pow_e::<8>(b, e)),
                ref_pow(b, &[e, 0, 0, 0], &n),
                "{b:x?}^{e}"
            );
        }
    }
    assert_eq!(m.pow_e::<8>(&nm1, 0), [1, 0, 0, 0]);
}

/// Textbook `a b R^-1 mod n` (`R = 2^(64 N)`) with crypto-bigint, for any width.
fn ref_mont_mul<const N: usize>(a: &[u64; N], b: &[u64; N], n: &[u64; N]) -> rsa::BoxedUint {
    let nz = to_big(n).to_nz().expect("nonzero");
    // R - n (wrapping), reduced: R mod n.
    let (r_minus_n, _) = sub(&[0u64; N], n);
    let r_mod = to_big(&r_minus_n).rem(&nz);
    let r_inv = r_mod.invert_mod(&nz).expect("R is invertible mod an odd n");
    to_big(a).mul_mod(&to_big(b), &nz).mul_mod(&r_inv, &nz)
}

/// The two multiplications (CIOS and FIPS) and the squaring agree with each other and with
/// the textbook definition at the RSA widths (16, 24, 32 limbs per prime; 32, 48, 64 per
/// public modulus), on random operands and on 0, 1, n - 1 and `R mod n`, for moduli with the
/// top bit set and with it clear; and `pow_secret` agrees with the public square and multiply.
fn mul_variants_agree<const N: usize, const W: usize>(seed: &mut u64) {
    for round in 0..3 {
        let mut n: [u64; N] = limbs(seed);
        n[0] |= 1;
        if round == 0 {
            n[N - 1] |= 1 << 63;
        } else if round == 1 {
            n[N - 1] >>= 3;
        }
        let m = Modulus::new_public::<W>(n).expect("odd, top limb set");
        let (nm1, _) = sub(&n, &one_limbs::<N>());
        let mut samples = vec![[0u64; N], one_limbs::<N>(), nm1, m.one];
        for _ in 0..4 {
            let mut x: [u64; N] = limbs(seed);
            x[N - 1] %= n[N - 1];
            samples.push(x);
        }
        for a in &samples {
            for b in &samples {
                let cios = m.mul_cios(a, b);
                assert_eq!(cios, m.mul_fips(a, b), "N={N} {a:x?} {b:x?}");
                assert_eq!(cios, m.mul(a, b));
                assert_eq!(to_big(&cios), ref_mont_mul(a, b, &n), "N={N} {a:x?} {b:x?}");
            }
            assert_eq!(m.sqr::<W>(a), m.mul_cios(a, a), "N={N} sqr {a:x?}");
        }
        // a < R but not below n: the multiplication's first operand may be a plain value.
        let all_ones = [u64::MAX; N];
        for b in &samples {
            assert_eq!(m.mul_fips(&all_ones, b), m.mul_cios(&all_ones, b), "N={N}");
        }
        let base = m.enter_mont(&samples[4]);
        let mut e = [0u64; N];
        e[0] = 0x1_0001;
        let by_window = m.leave_mont(&m.pow_secret::<W>(&base, &e));
        assert_eq!(by_window, m.leave_mont(&m.pow_public(&base, 0x1_0001)));
        assert_eq!(by_window, m.pow_e::<W>(&samples[4], 0x1_0001));
    }
}

fn one_limbs<const N: usize>() -> [u64; N] {
    let mut x = [0u64; N];
    x[0] = 1;
    x
}

#[test]
fn multiplications_agree_at_rsa_widths() {
    let mut seed = 0xD1B5_4A32_D192_ED03u64;
    mul_variants_agree::<16, 32>(&mut seed);
    mul_variants_agree::<24, 48>(&mut seed);
    mul_variants_agree::<32, 64>(&mut seed);
    mul_variants_agree::<48, 96>(&mut seed);
    mul_variants_agree::<64, 128>(&mut seed);
}
