//! hermes-pki measured beside OpenSSL (through the `openssl` crate) in the same run.
//!
//! Groups, each with a `hermes-pki` and an `openssl` function on identical input:
//! - `cert_parse_thumbprint`: parse one PEM certificate and compute its SHA-512 thumbprint;
//! - `rsa2048_keygen`: generate an RSA-2048 key pair.
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

criterion_group!(benches, cert_parse_thumbprint, rsa2048_keygen);
criterion_main!(benches);
