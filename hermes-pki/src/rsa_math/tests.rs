//! The public operation against the `rsa` crate (random inputs, several exponents, all three
//! sizes), its edge inputs and refusals, PKCS#1 v1.5 verification of signatures made by the
//! `rsa` crate (tampered ones refused), and the Wycheproof RSASSA-PKCS1-v1_5 vectors through
//! `cert::verify_signature`. Signatures of every size and SHA-2 digest made by `openssl cms`
//! are verified in the tests crate (`cms_signed_openssl.rs`).

use std::sync::OnceLock;

use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, Pkcs1v15Sign, RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};

use super::public::OutOfRange;
use super::{CACHE_SIZE, Cache, RsaPublic};

const SIZES: [usize; 3] = [2048, 3072, 4096];

/// One `rsa` crate key per size, generated once.
fn key(bits: usize) -> &'static RsaPrivateKey {
    static K: [OnceLock<RsaPrivateKey>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = SIZES
        .iter()
        .position(|&b| b == bits)
        .expect("a tested size");
    K[i].get_or_init(|| {
        let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
        RsaPrivateKey::new(&mut rng, bits).expect("generates")
    })
}

fn ours(public: &RsaPublicKey) -> RsaPublic {
    RsaPublic::new(&public.n().to_be_bytes(), &public.e().to_be_bytes()).expect("handled size")
}

/// The `rsa` crate's raw `x^e mod n`, as `k` bytes.
fn reference(public: &RsaPublicKey, x: &[u8]) -> Vec<u8> {
    let x = BoxedUint::from_be_slice(x, public.n_bits_precision()).expect("fits");
    let y = rsa::hazmat::rsa_encrypt(public, &x).expect("below n");
    let bytes = y.to_be_bytes();
    bytes[bytes.len() - public.size()..].to_vec()
}

fn random_below(n: &[u8]) -> Vec<u8> {
    let mut x = vec![0u8; n.len()];
    getrandom::fill(&mut x).unwrap();
    x[0] %= n[0]; // below n: the top byte is smaller
    x
}

#[test]
fn public_op_equals_the_rsa_crate() {
    for bits in SIZES {
        let public = key(bits).to_public_key();
        let n = public.n().to_be_bytes();
        // Exponents: 65537 (the key's), 3, 17 and the largest taken, so every bit pattern of
        // the square and multiply runs.
        for e in [0x1_0001u64, 3, 17, (1 << 33) - 1] {
            let with_e = RsaPublicKey::new(public.n().as_ref().clone(), BoxedUint::from(e))
                .expect("valid key");
            let fast = ours(&with_e);
            assert_eq!(fast.size() * 8, bits);
            for _ in 0..8 {
                let x = random_below(&n);
                assert_eq!(
                    fast.public_op(&x).unwrap().to_vec(),
                    reference(&with_e, &x),
                    "RSA-{bits} e={e}"
                );
            }
            // Shorter inputs are left-padded.
            let x = [0x12u8, 0x34, 0x56];
            let mut padded = vec![0u8; n.len()];
            padded[n.len() - 3..].copy_from_slice(&x);
            assert_eq!(
                fast.public_op(&x).unwrap().to_vec(),
                reference(&with_e, &padded)
            );
        }
    }
}

#[test]
fn edge_inputs() {
    for bits in SIZES {
        let public = key(bits).to_public_key();
        let fast = ours(&public);
        let k = fast.size();
        let n = public.n().to_be_bytes().to_vec();
        assert_eq!(n.len(), k);
        let mut zero = vec![0u8; k];
        assert_eq!(fast.public_op(&zero).unwrap().to_vec(), zero);
        let mut one = vec![0u8; k];
        one[k - 1] = 1;
        assert_eq!(fast.public_op(&one).unwrap().to_vec(), one);
        // (n - 1)^e = -1 = n - 1 for odd e.
        let mut nm1 = n.clone();
        nm1[k - 1] -= 1; // n is odd: no borrow
        assert_eq!(fast.public_op(&nm1).unwrap().to_vec(), nm1);
        assert_eq!(
            fast.public_op(&nm1).unwrap().to_vec(),
            reference(&public, &nm1)
        );
        // n, n + 1, all ones, longer than k: refused.
        assert_eq!(fast.public_op(&n).unwrap_err(), OutOfRange);
        // n + 1, the carry carried (the keys are random: n may end in 0xFF).
        let mut np1 = n.clone();
        for b in np1.iter_mut().rev() {
            let (sum, carry) = b.overflowing_add(1);
            *b = sum;
            if !carry {
                break;
            }
        }
        assert_eq!(fast.public_op(&np1).unwrap_err(), OutOfRange);
        assert_eq!(fast.public_op(&vec![0xFF; k]).unwrap_err(), OutOfRange);
        zero.push(0);
        assert_eq!(fast.public_op(&zero).unwrap_err(), OutOfRange);
    }
}

#[test]
fn keys_outside_the_fast_sizes_are_left_to_the_rsa_crate() {
    let public = key(2048).to_public_key();
    let n = public.n().to_be_bytes().to_vec();
    let e = [0x01, 0x00, 0x01];
    assert!(RsaPublic::new(&n, &e).is_some());
    // Leading zero bytes do not change the size.
    assert!(RsaPublic::new(&[&[0u8, 0][..], &n].concat(), &[0, 0, 1, 0, 1]).is_some());
    // 255 or 257 bytes, an even modulus.
    assert!(RsaPublic::new(&n[1..], &e).is_none());
    assert!(RsaPublic::new(&[&[1u8][..], &n].concat(), &e).is_none());
    let mut even = n.clone();
    even[255] &= 0xFE;
    assert!(RsaPublic::new(&even, &e).is_none());
    // Exponents: 1, even, above 2^33 - 1, longer than 64 bits.
    for bad in [
        &[1u8][..],
        &[2],
        &[0x01, 0x00, 0x00],
        &[2, 0, 0, 0, 1],
        &[1, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ] {
        assert!(RsaPublic::new(&n, bad).is_none(), "e = {bad:x?}");
    }
    assert!(
        RsaPublic::new(&n, &[1, 0xFF, 0xFF, 0xFF, 0xFF]).is_some(),
        "e = 2^33 - 1"
    );
}

/// `(prefix, digest)` of `message` for SHA-256/384/512.
fn digest_info(hash: usize, message: &[u8]) -> (Pkcs1v15Sign, Vec<u8>) {
    match hash {
        256 => (
            Pkcs1v15Sign::new::<Sha256>(),
            Sha256::digest(message).to_vec(),
        ),
        384 => (
            Pkcs1v15Sign::new::<Sha384>(),
            Sha384::digest(message).to_vec(),
        ),
        _ => (
            Pkcs1v15Sign::new::<Sha512>(),
            Sha512::digest(message).to_vec(),
        ),
    }
}

#[test]
fn pkcs1v15_verification_of_rsa_crate_signatures() {
    let message = b"verified by the fixed-width public operation";
    for bits in SIZES {
        let private = key(bits);
        let fast = ours(&private.to_public_key());
        for hash in [256, 384, 512] {
            let (padding, hashed) = digest_info(hash, message);
            let prefix = padding.prefix.clone();
            let sig = private.sign(padding, &hashed).expect("signs");
            assert!(
                fast.verify_pkcs1v15(&prefix, &hashed, &sig),
                "RSA-{bits} SHA-{hash}"
            );
            // Any flipped bit of the signature, the digest or the prefix: refused.
            for i in [0, 1, sig.len() / 2, sig.len() - 1] {
                let mut bad = sig.clone();
                bad[i] ^= 0x01;
                assert!(
                    !fast.verify_pkcs1v15(&prefix, &hashed, &bad),
                    "sig byte {i}"
                );
            }
            let mut bad_hash = hashed.clone();
            bad_hash[0] ^= 0x80;
            assert!(!fast.verify_pkcs1v15(&prefix, &bad_hash, &sig));
            let mut bad_prefix = prefix.to_vec();
            let last = bad_prefix.len() - 1;
            bad_prefix[last] ^= 0x01;
            assert!(!fast.verify_pkcs1v15(&bad_prefix, &hashed, &sig));
            // Wrong length (a leading zero added or the first byte cut), the modulus itself.
            assert!(!fast.verify_pkcs1v15(&prefix, &hashed, &[&[0u8][..], &sig].concat()));
            assert!(!fast.verify_pkcs1v15(&prefix, &hashed, &sig[1..]));
            let n = private.n().to_be_bytes();
            assert!(!fast.verify_pkcs1v15(&prefix, &hashed, &n));
        }
        // A prefix and digest too long for the key: refused, no panic.
        let huge = vec![0u8; fast.size()];
        assert!(!fast.verify_pkcs1v15(&huge, &[1], &vec![1u8; fast.size()]));
    }
}

#[test]
fn wycheproof_pkcs1v15_signature_vectors() {
    use crate::cert::oid;
    use wycheproof::TestResult;
    use wycheproof::rsa_pkcs1_verify::{TestName, TestSet};
    let (mut valid, mut invalid) = (0usize, 0usize);
    for (name, alg) in [
        (TestName::Rsa2048Sha256, oid::SHA256_WITH_RSA),
        (TestName::Rsa2048Sha384, oid::SHA384_WITH_RSA),
        (TestName::Rsa2048Sha512, oid::SHA512_WITH_RSA),
        (TestName::Rsa3072Sha256, oid::SHA256_WITH_RSA),
        (TestName::Rsa3072Sha384, oid::SHA384_WITH_RSA),
        (TestName::Rsa3072Sha512, oid::SHA512_WITH_RSA),
        (TestName::Rsa4096Sha256, oid::SHA256_WITH_RSA),
        (TestName::Rsa4096Sha384, oid::SHA384_WITH_RSA),
        (TestName::Rsa4096Sha512, oid::SHA512_WITH_RSA),
    ] {
        let set = TestSet::load(name).unwrap();
        let alg = spki::AlgorithmIdentifierOwned {
            oid: alg,
            parameters: Some(der::Any::null()),
        };
        for group in &set.test_groups {
            let fast = RsaPublic::new(&group.key.n, &group.key.e);
            assert!(fast.is_some(), "{name:?}: the fast path is taken");
            for t in &group.tests {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                let ok = crate::cert::verify_signature(&group.der, &alg, &t.msg, &t.sig).is_ok();
                match t.result {
                    TestResult::Valid => {
                        assert!(ok, "{id}: valid signature refused");
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!ok, "{id}: invalid signature accepted");
                        invalid += 1;
                    }
                    TestResult::Acceptable => {}
                }
            }
        }
    }
    assert!(
        valid > 20 && invalid > 200,
        "{valid} valid, {invalid} invalid vectors"
    );
}

#[test]
fn pss_verification_of_rsa_crate_signatures() {
    use rsa::Pss;
    let message = b"PSS through the fixed-width public operation";
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    for bits in SIZES {
        let private = key(bits);
        let fast = ours(&private.to_public_key());
        for salt_len in [0usize, 20, 32, 64] {
            let hashed = Sha256::digest(message).to_vec();
            let sig = private
                .sign_with_rng(&mut rng, Pss::<Sha256>::new_with_salt(salt_len), &hashed)
                .expect("signs");
            assert!(
                fast.verify_pss::<Sha256>(&hashed, salt_len, &sig),
                "RSA-{bits} salt {salt_len}"
            );
            // Another salt length, hash, digest or a flipped bit: refused.
            assert!(!fast.verify_pss::<Sha256>(&hashed, salt_len + 1, &sig));
            assert!(!fast.verify_pss::<Sha384>(&Sha384::digest(message), salt_len, &sig));
            let mut bad_hash = hashed.clone();
            bad_hash[31] ^= 1;
            assert!(!fast.verify_pss::<Sha256>(&bad_hash, salt_len, &sig));
            let mut bad = sig.clone();
            bad[bits / 16] ^= 0x10;
            assert!(!fast.verify_pss::<Sha256>(&hashed, salt_len, &bad));
            assert!(!fast.verify_pss::<Sha256>(&hashed, salt_len, &sig[1..]));
        }
        // SHA-512 with a 64-byte salt, as some CAs sign.
        let hashed = Sha512::digest(message).to_vec();
        let sig = private
            .sign_with_rng(&mut rng, Pss::<Sha512>::new_with_salt(64), &hashed)
            .expect("signs");
        assert!(fast.verify_pss::<Sha512>(&hashed, 64, &sig));
        // A salt too long for the key: refused, no panic.
        assert!(!fast.verify_pss::<Sha512>(&hashed, fast.size(), &sig));
        assert!(!fast.verify_pss::<Sha512>(&hashed, usize::MAX, &sig));
    }
}

#[test]
fn wycheproof_pss_signature_vectors() {
    use wycheproof::rsa_pss_verify::{TestName, TestSet};
    use wycheproof::{HashFunction, TestResult};
    let (mut valid, mut invalid) = (0usize, 0usize);
    for name in [
        TestName::RsaPss2048Sha256Mgf1SaltLen0,
        TestName::RsaPss2048Sha256Mgf1SaltLen32,
        TestName::RsaPss2048Sha384Mgf1SaltLen48,
        TestName::RsaPss3072Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha256Mgf1SaltLen32,
        TestName::RsaPss4096Sha384Mgf1SaltLen48,
        TestName::RsaPss4096Sha512Mgf1SaltLen32,
        TestName::RsaPss4096Sha512Mgf1SaltLen64,
        TestName::RsaPssmisc,
    ] {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            if group.mgf_hash != Some(group.hash) {
                continue; // MGF1 with another hash than the message's: not taken here
            }
            let Some(fast) = RsaPublic::new(&group.key.n, &group.key.e) else {
                continue; // a size the rsa crate handles
            };
            let s = group.salt_size;
            for t in &group.tests {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                let ok = match group.hash {
                    HashFunction::Sha2_256 => {
                        fast.verify_pss::<Sha256>(&Sha256::digest(&t.msg), s, &t.sig)
                    }
                    HashFunction::Sha2_384 => {
                        fast.verify_pss::<Sha384>(&Sha384::digest(&t.msg), s, &t.sig)
                    }
                    HashFunction::Sha2_512 => {
                        fast.verify_pss::<Sha512>(&Sha512::digest(&t.msg), s, &t.sig)
                    }
                    _ => continue,
                };
                match t.result {
                    TestResult::Valid => {
                        assert!(ok, "{id}: valid signature refused");
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        assert!(!ok, "{id}: invalid signature accepted");
                        invalid += 1;
                    }
                    TestResult::Acceptable => {}
                }
            }
        }
    }
    assert!(
        valid > 20 && invalid > 100,
        "{valid} valid, {invalid} invalid vectors"
    );
}

#[test]
fn the_cache_keeps_recent_keys_and_drops_the_oldest() {
    let cache = Cache::new();
    let public = key(2048).to_public_key();
    let n = public.n().to_be_bytes().to_vec();
    let e = [1u8, 0, 1];
    let first = cache.get(&n, &e).expect("taken");
    // The same key (leading zeros or not): the same constants, not made again.
    assert!(std::sync::Arc::ptr_eq(
        &first,
        &cache.get(&[&[0u8][..], &n].concat(), &e).unwrap()
    ));
    // Another exponent is another key, computing the same as a fresh one.
    let e3 = cache.get(&n, &[3]).expect("taken");
    assert!(!std::sync::Arc::ptr_eq(&first, &e3));
    let x = random_below(&n);
    let fresh = RsaPublic::new(&n, &[3]).unwrap();
    assert_eq!(e3.public_op(&x).unwrap(), fresh.public_op(&x).unwrap());
    // Keys it does not take are not kept.
    assert!(cache.get(&n[1..], &e).is_none());
    // CACHE_SIZE other moduli (odd 2048-bit values are enough to make constants) push the
    // first key out; the most recent ones stay.
    let mut others = Vec::new();
    for i in 0..CACHE_SIZE {
        let mut m = random_below(&n);
        m[0] |= 0x80;
        m[255] |= 1;
        m[1] = i as u8;
        others.push(cache.get(&m, &e).expect("taken"));
        assert!(std::sync::Arc::ptr_eq(
            others.last().unwrap(),
            &cache.get(&m, &e).unwrap()
        ));
    }
    assert!(
        !std::sync::Arc::ptr_eq(&first, &cache.get(&n, &e).unwrap()),
        "evicted"
    );
}
