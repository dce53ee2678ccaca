//! hermes-pki measured beside OpenSSL (through the `openssl` crate) in the same run.
//!
//! Groups, each with a `hermes-pki` and an `openssl` function on identical input:
//! - `cert_parse_thumbprint`: parse one PEM certificate and compute its SHA-512 thumbprint;
//! - `rsa2048_keygen`: generate an RSA-2048 key pair;
//! - `rsa{2048,3072,4096}_sign`: one RSASSA-PKCS1-v1_5 SHA-256 signature over 32 bytes with the
//!   same key on every side (the private operation dominates): hermes-pki's `Signer::sign`
//!   (its fixed-width CRT operation, blinded, result checked), the `rsa` crate's
//!   `sign_with_rng` (blinded, CRT, checked; function `rsa-crate`) and `openssl::sign::Signer`;
//! - `rsa{2048,3072,4096}_public`: verification of that signature (hash 32 bytes, `s^e mod n`,
//!   check the encoding) with the same key on every side: hermes-pki's `cert::verify_signature`
//!   from the SubjectPublicKeyInfo DER (its fixed-width public operation; the key's Montgomery
//!   constants come from its cache of recent keys after the first call, the DER is parsed every
//!   time) against `openssl::sign::Verifier` on a key parsed once (its Montgomery constants
//!   cached in the key). For reference, not in the table: the `rsa` crate from the DER
//!   (`RsaPublicKey::from_public_key_der` and `verify`, function `rsa-crate`: what hermes-pki
//!   did before) and OpenSSL from the DER (`PKey::public_key_from_der` every time, function
//!   `openssl-from-der`: its decoder dominates).
//!
//! `scripts/bench-report.py` turns criterion's estimates into the ratios quoted in the README.
//!
//! With `HERMES_PKI_RSA_MIN=1` in the environment, the RSA groups first also print the minimum
//! time of each side over calls alternating one at a time (hermes-pki, OpenSSL, hermes-pki, ...)
//! and the ratio of the minima: on a loaded shared machine criterion's means swing by tens of
//! percent, while the minimum of alternating calls stays within 1-2% from run to run.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{openssl_builder, openssl_name};
use criterion::{Criterion, criterion_group, criterion_main};
use hermes_pki::cert::Certificate;
use hermes_pki::key::{KeySpec, PrivateKey};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::PKey;
use openssl::rsa::Rsa;
use openssl::x509::X509;
use openssl::x509::extension::{ExtendedKeyUsage, KeyUsage, SubjectAlternativeName};

/// A realistic S/MIME end-user certificate (RSA-2048, SAN email, key usages), made by OpenSSL.
fn sample_certificate_pem() -> String {
    let rsa = Rsa::generate(2048).expect("openssl generates RSA");
    let key = PKey::from_rsa(rsa).expect("pkey");
    let name = openssl_name(&[
        ("C", "NL"),
        ("O", "Example Mail"),
        ("CN", "Alice Example"),
        ("emailAddress", "alice@example.com"),
    ]);
    let serial = BigNum::from_u32(0x1234_5678).expect("bn");
    let mut b = openssl_builder(&key, &name, &name, &serial, 365);
    let ctx = b.x509v3_context(None, None);
    let san = SubjectAlternativeName::new()
        .email("alice@example.com")
        .build(&ctx)
        .expect("san");
    b.append_extension(san).expect("san");
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_encipherment()
            .build()
            .expect("ku"),
    )
    .expect("ku");
    b.append_extension(
        ExtendedKeyUsage::new()
            .email_protection()
            .build()
            .expect("eku"),
    )
    .expect("eku");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    String::from_utf8(b.build().to_pem().expect("pem")).expect("utf8")
}

fn cert_parse_thumbprint(c: &mut Criterion) {
    let pem = sample_certificate_pem();
    let mut group = c.benchmark_group("cert_parse_thumbprint");
    group.bench_function("hermes-pki", |b| {
        b.iter(|| {
            let cert = Certificate::from_pem(black_box(&pem)).expect("parses");
            black_box(*cert.thumbprint())
        })
    });
    group.bench_function("openssl", |b| {
        b.iter(|| {
            let cert = X509::from_pem(black_box(pem.as_bytes())).expect("parses");
            black_box(cert.digest(MessageDigest::sha512()).expect("digest"))
        })
    });
    group.finish();
}

fn rsa2048_keygen(c: &mut Criterion) {
    let mut group = c.benchmark_group("rsa2048_keygen");
    // Key generation takes tens to hundreds of milliseconds and varies with the primes found.
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("hermes-pki", |b| {
        b.iter(|| black_box(PrivateKey::generate(KeySpec::Rsa(2048)).expect("generates")))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| black_box(Rsa::generate(2048).expect("generates")))
    });
    group.finish();
}

/// With `HERMES_PKI_RSA_MIN` set: `reps` calls of `ours` and `theirs` alternating one at a time,
/// and the minimum of each side and their ratio printed.
fn alternating_min(name: &str, reps: usize, mut ours: impl FnMut(), mut theirs: impl FnMut()) {
    if std::env::var_os("HERMES_PKI_RSA_MIN").is_none() {
        return;
    }
    let (mut a, mut b) = (Duration::MAX, Duration::MAX);
    for _ in 0..reps {
        let t = std::time::Instant::now();
        ours();
        a = a.min(t.elapsed());
        let t = std::time::Instant::now();
        theirs();
        b = b.min(t.elapsed());
    }
    println!(
        "{name}: minimum of {reps} alternating calls: hermes-pki {a:?}, openssl {b:?}, ratio {:.3}",
        a.as_secs_f64() / b.as_secs_f64()
    );
}

/// One PKCS#1 v1.5 SHA-256 signature with the same `bits`-bit key through hermes-pki, the `rsa`
/// crate and OpenSSL; the three signatures are checked equal first (v1.5 is deterministic).
fn rsa_sign(c: &mut Criterion, bits: usize) {
    use hermes_pki::key::{HashAlg, SignatureScheme, Signer};
    use rsa::pkcs8::DecodePrivateKey;
    use sha2::Digest;

    let ours = PrivateKey::generate(KeySpec::Rsa(bits)).expect("generates");
    let der = ours.to_pkcs8_der().expect("pkcs8");
    let theirs = PKey::private_key_from_pkcs8(&der).expect("openssl reads it");
    let crate_key = rsa::RsaPrivateKey::from_pkcs8_der(&der).expect("rsa crate reads it");
    let data = [0x42u8; 32];
    let scheme = SignatureScheme::RsaPkcs1v15(HashAlg::Sha256);
    let openssl_sign = |data: &[u8]| {
        let mut s = openssl::sign::Signer::new(MessageDigest::sha256(), &theirs).expect("signer");
        s.update(data).expect("update");
        s.sign_to_vec().expect("signs")
    };
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    let crate_sign = |rng: &mut getrandom::rand_core::UnwrapErr<getrandom::SysRng>, data: &[u8]| {
        crate_key
            .sign_with_rng(
                rng,
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(data),
            )
            .expect("signs")
    };
    let sig = Signer::sign(&ours, scheme, &data).expect("signs");
    assert!(sig == openssl_sign(&data), "same signature as OpenSSL");
    assert!(
        sig == crate_sign(&mut rng, &data),
        "same signature as the rsa crate"
    );

    alternating_min(
        &format!("rsa{bits}_sign"),
        400 * 2048 * 2048 / (bits * bits),
        || {
            black_box(Signer::sign(&ours, scheme, black_box(&data)).expect("signs"));
        },
        || {
            black_box(openssl_sign(black_box(&data)));
        },
    );
    let mut group = c.benchmark_group(format!("rsa{bits}_sign"));
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(6));
    group.bench_function("hermes-pki", |b| {
        b.iter(|| Signer::sign(&ours, scheme, black_box(&data)).expect("signs"))
    });
    group.bench_function("rsa-crate", |b| {
        b.iter(|| crate_sign(&mut rng, black_box(&data)))
    });
    group.bench_function("openssl", |b| b.iter(|| openssl_sign(black_box(&data))));
    group.finish();
}

/// Verification of one PKCS#1 v1.5 SHA-256 signature over 32 bytes with the same `bits`-bit
/// key through hermes-pki, the `rsa` crate and OpenSSL; every side is checked to accept the
/// signature and refuse a tampered one first.
fn rsa_public(c: &mut Criterion, bits: usize) {
    use hermes_pki::key::{HashAlg, SignatureScheme, Signer};
    use rsa::pkcs8::DecodePublicKey;
    use rsa::pkcs8::spki::AlgorithmIdentifierOwned;
    use sha2::Digest;

    let ours = PrivateKey::generate(KeySpec::Rsa(bits)).expect("generates");
    let spki = ours.public_key_der();
    let data = [0x42u8; 32];
    let sig =
        Signer::sign(&ours, SignatureScheme::RsaPkcs1v15(HashAlg::Sha256), &data).expect("signs");
    let mut bad = sig.clone();
    bad[bits / 16] ^= 1;
    let alg = AlgorithmIdentifierOwned {
        oid: rsa::pkcs8::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11"),
        parameters: Some(rsa::pkcs8::der::Any::null()),
    };
    let ours_verify =
        |sig: &[u8]| hermes_pki::cert::verify_signature(black_box(&spki), &alg, &data, sig).is_ok();
    let crate_verify = |sig: &[u8]| {
        let key = rsa::RsaPublicKey::from_public_key_der(black_box(&spki)).expect("parses");
        key.verify(
            rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
            &sha2::Sha256::digest(data),
            sig,
        )
        .is_ok()
    };
    let openssl_verify_with = |key: &PKey<openssl::pkey::Public>, sig: &[u8]| {
        let mut v = openssl::sign::Verifier::new(MessageDigest::sha256(), key).expect("verifier");
        v.verify_oneshot(sig, &data).expect("verifies or not")
    };
    let openssl_verify = |sig: &[u8]| {
        let key = PKey::public_key_from_der(black_box(&spki)).expect("openssl reads it");
        openssl_verify_with(&key, sig)
    };
    let parsed = PKey::public_key_from_der(&spki).expect("openssl reads it");
    let openssl_parsed = |sig: &[u8]| openssl_verify_with(&parsed, sig);
    for (name, f) in [
        ("hermes-pki", &ours_verify as &dyn Fn(&[u8]) -> bool),
        ("rsa-crate", &crate_verify),
        ("openssl", &openssl_parsed),
        ("openssl-from-der", &openssl_verify),
    ] {
        assert!(f(&sig), "{name} accepts the signature");
        assert!(!f(&bad), "{name} refuses a tampered signature");
    }

    alternating_min(
        &format!("rsa{bits}_public"),
        4000 * 2048 * 2048 / (bits * bits),
        || assert!(ours_verify(black_box(&sig))),
        || assert!(openssl_parsed(black_box(&sig))),
    );
    let mut group = c.benchmark_group(format!("rsa{bits}_public"));
    group.measurement_time(Duration::from_secs(4));
    group.bench_function("hermes-pki", |b| b.iter(|| ours_verify(black_box(&sig))));
    group.bench_function("rsa-crate", |b| b.iter(|| crate_verify(black_box(&sig))));
    group.bench_function("openssl", |b| b.iter(|| openssl_parsed(black_box(&sig))));
    group.bench_function("openssl-from-der", |b| {
        b.iter(|| openssl_verify(black_box(&sig)))
    });
    group.finish();
}

fn rsa2048_public(c: &mut Criterion) {
    rsa_public(c, 2048);
}

fn rsa3072_public(c: &mut Criterion) {
    rsa_public(c, 3072);
}

fn rsa4096_public(c: &mut Criterion) {
    rsa_public(c, 4096);
}

fn rsa2048_sign(c: &mut Criterion) {
    rsa_sign(c, 2048);
}

fn rsa3072_sign(c: &mut Criterion) {
    rsa_sign(c, 3072);
}

fn rsa4096_sign(c: &mut Criterion) {
    rsa_sign(c, 4096);
}

criterion_group!(
    benches,
    cert_parse_thumbprint,
    rsa2048_keygen,
    rsa2048_sign,
    rsa3072_sign,
    rsa4096_sign,
    rsa2048_public,
    rsa3072_public,
    rsa4096_public
);
criterion_main!(benches);
