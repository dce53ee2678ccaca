//! hermes-pki measured beside OpenSSL (through the `openssl` crate) in the same run.
//!
//! Groups, each with a `hermes-pki` and an `openssl` function on identical input:
//! - `cert_parse_thumbprint`: parse one PEM certificate and compute its SHA-512 thumbprint;
//! - `rsa2048_keygen`: generate an RSA-2048 key pair;
//! - `rsa{2048,3072,4096}_sign`: one RSASSA-PKCS1-v1_5 SHA-256 signature over 32 bytes with the
//!   same key on every side (the private operation dominates): hermes-pki's `Signer::sign`
//!   (its fixed-width CRT operation, blinded, result checked), the `rsa` crate's
//!   `sign_with_rng` (blinded, CRT, checked; function `rsa-crate`) and `openssl::sign::Signer`.
//!
//! `scripts/bench-report.py` turns criterion's estimates into the ratios quoted in the README.
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
    rsa4096_sign
);
criterion_main!(benches);
