//! The fixed-width CRT private operation against the `rsa` crate, Wycheproof OAEP vectors,
//! edge cases, the cached blinding pair, and the public-exponent check under an injected fault.

use std::sync::OnceLock;

use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::{Crt, OpError, RsaCrt, fault};
use crate::key::{
    Decryptor, HashAlg, Inner, KeySpec, KeyTransport, PrivateKey, SignatureScheme, Signer,
};

/// One random key per size, generated once.
fn key(bits: usize) -> &'static PrivateKey {
    static K2048: OnceLock<PrivateKey> = OnceLock::new();
    static K3072: OnceLock<PrivateKey> = OnceLock::new();
    static K4096: OnceLock<PrivateKey> = OnceLock::new();
    let cell = match bits {
        2048 => &K2048,
        3072 => &K3072,
        _ => &K4096,
    };
    cell.get_or_init(|| PrivateKey::generate(KeySpec::Rsa(bits)).expect("generates"))
}

fn rsa_key(k: &PrivateKey) -> &rsa::RsaPrivateKey {
    match k.inner() {
        Inner::Rsa(r) => &r.key,
        _ => panic!("not an RSA key"),
    }
}

fn fast(k: &PrivateKey) -> &RsaCrt {
    k.rsa_crt()
        .expect("2048/3072/4096-bit keys use the CRT path")
}

const SIZES: [usize; 3] = [2048, 3072, 4096];

/// The `rsa` crate's raw `c^d mod n` (no blinding), as `k` bytes.
fn reference_raw(k: &PrivateKey, c: &[u8]) -> Vec<u8> {
    let key = rsa_key(k);
    let c = BoxedUint::from_be_slice(c, key.n_bits_precision()).expect("fits");
    let m = rsa::hazmat::rsa_decrypt_and_check::<getrandom::SysRng>(key, None, &c)
        .expect("rsa crate private op");
    let bytes = m.to_be_bytes();
    bytes[bytes.len() - key.size()..].to_vec()
}

#[test]
fn pkcs1v15_signatures_equal_the_rsa_crate() {
    let message = b"hermes-pki RSA CRT";
    for bits in SIZES {
        let k = key(bits);
        assert_eq!(fast(k).size() * 8, bits);
        for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let ours = k
                .sign(SignatureScheme::RsaPkcs1v15(hash), message)
                .expect("signs");
            let (padding, hashed) = match hash {
                HashAlg::Sha256 => (
                    Pkcs1v15Sign::new::<Sha256>(),
                    Sha256::digest(message).to_vec(),
                ),
                HashAlg::Sha384 => (
                    Pkcs1v15Sign::new::<Sha384>(),
                    Sha384::digest(message).to_vec(),
                ),
                _ => (
                    Pkcs1v15Sign::new::<Sha512>(),
                    Sha512::digest(message).to_vec(),
                ),
            };
            let theirs = rsa_key(k).sign(padding, &hashed).expect("rsa crate signs");
            assert_eq!(ours, theirs, "RSA-{bits} {hash:?}");
        }
    }
}

#[test]
fn pss_signatures_verify_with_the_rsa_crate() {
    let message = b"hermes-pki RSA-PSS";
    for bits in SIZES {
        let k = key(bits);
        let public = RsaPublicKey::from(rsa_key(k));
        for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
            let a = k
                .sign(SignatureScheme::RsaPss(hash), message)
                .expect("signs");
            let b = k
                .sign(SignatureScheme::RsaPss(hash), message)
                .expect("signs");
            assert_eq!(a.len(), bits / 8);
            assert_ne!(a, b, "random salt: two PSS signatures differ");
            for sig in [&a, &b] {
                let r = match hash {
                    HashAlg::Sha256 => {
                        public.verify(Pss::<Sha256>::new(), &Sha256::digest(message), sig)
                    }
                    HashAlg::Sha384 => {
                        public.verify(Pss::<Sha384>::new(), &Sha384::digest(message), sig)
                    }
                    _ => public.verify(Pss::<Sha512>::new(), &Sha512::digest(message), sig),
                };
                r.unwrap_or_else(|e| panic!("RSA-{bits} PSS {hash:?}: {e}"));
            }
            // And not for another message.
            let wrong = public.verify(Pss::<Sha256>::new(), &Sha256::digest(b"other"), &a);
            assert!(wrong.is_err());
        }
    }
}

#[test]
fn oaep_round_trips_through_the_crt_path() {
    let mut rng = crate::key::generate::os_rng().unwrap();
    let secret = [0x5Au8; 32];
    for bits in SIZES {
        let k = key(bits);
        let public = RsaPublicKey::from(rsa_key(k));
        let cases: [(KeyTransport, Vec<u8>); 4] = [
            (
                KeyTransport::OaepSha1,
                public
                    .encrypt(&mut rng, Oaep::<sha1::Sha1>::new(), &secret)
                    .unwrap(),
            ),
            (
                KeyTransport::OaepSha256,
                public
                    .encrypt(&mut rng, Oaep::<Sha256>::new(), &secret)
                    .unwrap(),
            ),
            (
                KeyTransport::OaepSha384,
                public
                    .encrypt(&mut rng, Oaep::<Sha384>::new(), &secret)
                    .unwrap(),
            ),
            (
                KeyTransport::OaepSha512,
                public
                    .encrypt(&mut rng, Oaep::<Sha512>::new(), &secret)
                    .unwrap(),
            ),
        ];
        for (scheme, ct) in &cases {
            let out = k
                .decrypt_key_transport(*scheme, ct, secret.len())
                .expect("decrypts");
            assert_eq!(&out[..], &secret[..], "RSA-{bits} {scheme:?}");
            // The wrong expected length, a flipped bit, or another hash: one error.
            assert!(k.decrypt_key_transport(*scheme, ct, 16).is_err());
            let mut bad = ct.clone();
            bad[bits / 16] ^= 0x01;
            assert!(
                k.decrypt_key_transport(*scheme, &bad, secret.len())
                    .is_err()
            );
        }
        assert!(
            k.decrypt_key_transport(KeyTransport::OaepSha512, &cases[1].1, secret.len())
                .is_err()
        );
    }
}

#[test]
fn pkcs1v15_encryption_blocks_decrypt_with_the_raw_operation() {
    let mut rng = crate::key::generate::os_rng().unwrap();
    let secret = [0xA5u8; 24];
    for bits in SIZES {
        let k = key(bits);
        let public = RsaPublicKey::from(rsa_key(k));
        let ct = public
            .encrypt(&mut rng, Pkcs1v15Encrypt, &secret)
            .expect("encrypts");
        let em = fast(k).private_op(&ct).expect("private op");
        let n = em.len();
        assert_eq!((em[0], em[1]), (0, 2), "RSA-{bits}: EME-PKCS1-v1_5 header");
        assert_eq!(em[n - secret.len() - 1], 0, "separator");
        assert!(
            em[2..n - secret.len() - 1].iter().all(|&b| b != 0),
            "padding"
        );
        assert_eq!(&em[n - secret.len()..], &secret[..]);
        assert_eq!(&em[..], &reference_raw(k, &ct)[..]);
    }
}

#[test]
fn raw_operation_matches_the_rsa_crate_and_handles_edges() {
    for bits in SIZES {
        let k = key(bits);
        let f = fast(k);
        let len = bits / 8;
        let n = rsa_key(k).n_bytes();
        assert_eq!(n.len(), len);
        // Random inputs below n.
        for _ in 0..3 {
            let mut c = vec![0u8; len];
            getrandom::fill(&mut c).unwrap();
            c[0] &= 0x3F; // below n: its top bit is set
            let ours = f.private_op(&c).expect("private op");
            assert_eq!(&ours[..], &reference_raw(k, &c)[..], "RSA-{bits}");
        }
        // 0 -> 0, 1 -> 1, n - 1 -> n - 1 (d is odd).
        let zero = vec![0u8; len];
        assert_eq!(&f.private_op(&zero).unwrap()[..], &zero[..]);
        let mut one = vec![0u8; len];
        one[len - 1] = 1;
        assert_eq!(&f.private_op(&one).unwrap()[..], &one[..]);
        assert_eq!(
            &f.private_op(&[1]).unwrap()[..],
            &one[..],
            "short input is left-padded"
        );
        let mut n_minus_1 = n.to_vec();
        n_minus_1[len - 1] -= 1; // n is odd
        assert_eq!(&f.private_op(&n_minus_1).unwrap()[..], &n_minus_1[..]);
        // c >= n and over-long input are refused.
        assert_eq!(f.private_op(&n).unwrap_err(), OpError::OutOfRange);
        // n + 1, the carry carried (the keys are random: n may end in 0xFF).
        let mut n_plus_1 = n.to_vec();
        for b in n_plus_1.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
        assert_eq!(f.private_op(&n_plus_1).unwrap_err(), OpError::OutOfRange);
        assert_eq!(
            f.private_op(&vec![0xFF; len]).unwrap_err(),
            OpError::OutOfRange
        );
        let mut long = vec![0u8; len + 1];
        long[len] = 5;
        assert_eq!(f.private_op(&long).unwrap_err(), OpError::OutOfRange);
    }
}

/// `(a, b)` is a blinding pair: `a = r^e R`, `b = r^-1 R`, so `a b^e` is one (Montgomery form).
fn assert_pair<const H: usize, const F: usize, const W: usize>(
    crt: &Crt<H, F, W>,
    a: &[u64; F],
    b: &[u64; F],
) {
    let be = crt.n.pow_public(b, crt.e);
    let prod = crt.n.leave_mont(&crt.n.mul(a, &be));
    assert_eq!(prod, super::one::<F>(), "r^e * (r^-1)^e = 1");
    assert_ne!(crt.n.leave_mont(b), super::one::<F>(), "r is not 1");
}

fn blinding_evolves<const H: usize, const F: usize, const W: usize>(
    k: &PrivateKey,
    crt: &Crt<H, F, W>,
) {
    let msg = b"blinding";
    let scheme = SignatureScheme::RsaPkcs1v15(HashAlg::Sha256);
    let expected = k.sign(scheme, msg).unwrap();
    let (a0, b0) = crt.cached_blinding().expect("made on first use");
    assert_pair(crt, &a0, &b0);
    // Each use squares the pair.
    assert_eq!(k.sign(scheme, msg).unwrap(), expected);
    let (a1, b1) = crt.cached_blinding().unwrap();
    assert_eq!(a1, crt.n.mul(&a0, &a0));
    assert_eq!(b1, crt.n.mul(&b0, &b0));
    assert_ne!(a1, a0);
    assert_pair(crt, &a1, &b1);
    // Across threads: every signature right, the pair squared once per use, never reused.
    const THREADS: usize = 4;
    const EACH: usize = 3;
    std::thread::scope(|s| {
        for _ in 0..THREADS {
            s.spawn(|| {
                for _ in 0..EACH {
                    assert_eq!(k.sign(scheme, msg).unwrap(), expected);
                }
            });
        }
    });
    let (mut a, mut b) = (a1, b1);
    for _ in 0..THREADS * EACH {
        a = crt.n.mul(&a, &a);
        b = crt.n.mul(&b, &b);
    }
    let (a2, b2) = crt.cached_blinding().unwrap();
    assert_eq!(
        (a2, b2),
        (a, b),
        "squared once for each of the {} uses",
        THREADS * EACH
    );
    assert_pair(crt, &a2, &b2);
}

#[test]
fn blinding_pair_is_cached_and_squared_across_calls_and_threads() {
    // A key of its own, so that no other test uses its pair concurrently.
    let k = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
    match fast(&k) {
        RsaCrt::R2048(crt) => {
            assert!(crt.cached_blinding().is_none(), "made lazily");
            blinding_evolves(&k, crt);
        }
        _ => panic!("a 2048-bit key takes the 2048-bit path"),
    }
}

#[test]
fn a_fault_is_caught_by_the_public_exponent_check() {
    for bits in SIZES {
        let k = key(bits);
        let msg = b"fault";
        let scheme = SignatureScheme::RsaPkcs1v15(HashAlg::Sha256);
        fault::arm();
        let e = k.sign(scheme, msg).unwrap_err();
        assert!(e.to_string().contains("failed its check"), "{e}");
        // The raw operation reports the fault as such.
        fault::arm();
        assert_eq!(fast(k).private_op(&[7]).unwrap_err(), OpError::Failed);
        // OAEP decryption fails rather than unpadding a wrong block.
        let public = RsaPublicKey::from(rsa_key(k));
        let ct = public
            .encrypt(
                &mut crate::key::generate::os_rng().unwrap(),
                Oaep::<Sha256>::new(),
                &[1u8; 16],
            )
            .unwrap();
        fault::arm();
        assert!(
            k.decrypt_key_transport(KeyTransport::OaepSha256, &ct, 16)
                .is_err()
        );
        // Without a fault, the next signature is the right one.
        let good = k.sign(scheme, msg).unwrap();
        let theirs = rsa_key(k)
            .sign(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(msg))
            .unwrap();
        assert_eq!(good, theirs);
    }
}

#[test]
fn other_key_shapes_fall_back_to_the_rsa_crate() {
    let mut rng = crate::key::generate::os_rng().unwrap();
    // 1024 bits: not a size this module handles.
    let small = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
    assert!(RsaCrt::new(&small).is_none());
    // A 2048-bit key without its CRT parameters.
    let mut bare = rsa_key(key(2048)).clone();
    bare.clear_precomputed();
    assert!(RsaCrt::new(&bare).is_none());
    assert!(RsaCrt::new(rsa_key(key(2048))).is_some());
    // The fallback still signs (through the rsa crate), and the signature verifies.
    let k = PrivateKey::from_inner(Inner::Rsa(Box::new(
        crate::key::RsaKey::new(small.clone()).unwrap(),
    )))
    .unwrap();
    assert!(k.rsa_crt().is_none());
    let sig = k
        .sign(SignatureScheme::RsaPkcs1v15(HashAlg::Sha256), b"m")
        .unwrap();
    assert_eq!(sig.len(), 128);
    RsaPublicKey::from(&small)
        .verify(Pkcs1v15Sign::new::<Sha256>(), &Sha256::digest(b"m"), &sig)
        .unwrap();
}

#[test]
fn wycheproof_oaep_vectors_through_the_crt_path() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    use wycheproof::{HashFunction, Mgf, TestResult};
    let (mut valid, mut invalid, mut labelled) = (0usize, 0usize, 0usize);
    for name in [
        TestName::Rsa2048Sha1Mgf1Sha1,
        TestName::Rsa2048Sha256Mgf1Sha256,
        TestName::Rsa2048Sha384Mgf1Sha384,
        TestName::Rsa2048Sha512Mgf1Sha512,
        TestName::Rsa3072Sha256Mgf1Sha256,
        TestName::Rsa3072Sha512Mgf1Sha512,
        TestName::Rsa4096Sha256Mgf1Sha256,
        TestName::Rsa4096Sha512Mgf1Sha512,
    ] {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            assert_eq!(group.mgf, Mgf::Mgf1);
            assert_eq!(group.hash, group.mgf_hash);
            let scheme = match group.hash {
                HashFunction::Sha1 => KeyTransport::OaepSha1,
                HashFunction::Sha2_256 => KeyTransport::OaepSha256,
                HashFunction::Sha2_384 => KeyTransport::OaepSha384,
                HashFunction::Sha2_512 => KeyTransport::OaepSha512,
                other => panic!("unexpected hash {other:?}"),
            };
            let key = PrivateKey::from_pkcs8_der(&group.pkcs8).unwrap();
            assert!(key.rsa_crt().is_some(), "{name:?}: the CRT path is taken");
            for t in &group.tests {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                let r = key.decrypt_key_transport(scheme, &t.ct, t.pt.len());
                match t.result {
                    // This library never uses a label: labelled ciphertexts must fail.
                    TestResult::Valid if !t.label.is_empty() => {
                        assert!(r.is_err(), "{id}: labelled ciphertext accepted");
                        labelled += 1;
                    }
                    TestResult::Valid => {
                        assert_eq!(&r.expect(&id)[..], &t.pt[..], "{id}");
                        valid += 1;
                    }
                    _ => {
                        assert!(r.is_err(), "{id}: invalid ciphertext accepted");
                        invalid += 1;
                    }
                }
            }
        }
    }
    eprintln!("Wycheproof OAEP (CRT path): {valid} valid, {invalid} invalid, {labelled} labelled");
    assert!(
        valid >= 80 && invalid >= 150 && labelled >= 50,
        "{valid} valid, {invalid} invalid, {labelled} labelled"
    );
}

#[test]
fn raw_decrypt_hook_agrees_on_both_paths() {
    for bits in SIZES {
        let k = key(bits);
        let len = bits / 8;
        let mut c = vec![0u8; len];
        getrandom::fill(&mut c).unwrap();
        c[0] &= 0x3F;
        let via_fast = super::raw_decrypt(Some(fast(k)), rsa_key(k), &c).unwrap();
        let via_crate = super::raw_decrypt(None, rsa_key(k), &c).unwrap();
        assert_eq!(via_fast, via_crate, "RSA-{bits}");
        assert_eq!(&via_fast[..], &reference_raw(k, &c)[..]);
        // Short input, left-padded, on both paths.
        assert_eq!(
            super::raw_decrypt(None, rsa_key(k), &[1]).unwrap(),
            super::raw_decrypt(Some(fast(k)), rsa_key(k), &[1]).unwrap()
        );
        // c >= n: OutOfRange on both paths.
        let n = rsa_key(k).n_bytes();
        for f in [None, Some(fast(k))] {
            assert_eq!(
                super::raw_decrypt(f, rsa_key(k), &n).unwrap_err(),
                OpError::OutOfRange
            );
            assert_eq!(
                super::raw_decrypt(f, rsa_key(k), &vec![1u8; len + 1]).unwrap_err(),
                OpError::OutOfRange
            );
        }
    }
}
