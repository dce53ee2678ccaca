//! PKCS#12 export and import, hermes-pki beside OpenSSL (through the `openssl` crate).
//!
//! Groups, each with a `hermes-pki` and an `openssl` function on identical input (an RSA-2048
//! key and its self-signed certificate, password `"bench password"`):
//! - `pkcs12_export`: write a PKCS#12 file with the default algorithms of each (PBES2 with
//!   PBKDF2-HMAC-SHA256 and AES-256-CBC, HMAC-SHA256 MAC) and 2048 iterations for both
//!   encryption and MAC (OpenSSL's default count, set explicitly on both sides);
//! - `pkcs12_import`: read the same file (written by OpenSSL with those settings) back to key
//!   and certificate, MAC verified.
//!
//! Most of the time is the KDF work (two PBKDF2 runs and one PKCS#12 KDF run per file).
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{openssl_builder, openssl_name};
use criterion::{Criterion, criterion_group, criterion_main};
use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::pkcs12::{self, Pkcs12Options};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkcs12::Pkcs12;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::X509;

const PASSWORD: &str = "bench password";
const ITERATIONS: u32 = 2048;

/// An RSA-2048 key and a self-signed certificate for it, made by OpenSSL.
fn sample() -> (PKey<Private>, X509) {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("openssl generates RSA")).expect("pkey");
    let name = openssl_name(&[
        ("CN", "Alice Example"),
        ("emailAddress", "alice@example.com"),
    ]);
    let serial = BigNum::from_u32(0x1234).expect("bn");
    let mut b = openssl_builder(&key, &name, &name, &serial, 365);
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    (key, b.build())
}

fn openssl_export(key: &PKey<Private>, cert: &X509) -> Vec<u8> {
    Pkcs12::builder()
        .name("alice@example.com")
        .pkey(key)
        .cert(cert)
        .key_iter(ITERATIONS)
        .mac_iter(ITERATIONS)
        .build2(PASSWORD)
        .expect("openssl builds PKCS#12")
        .to_der()
        .expect("der")
}

fn pkcs12_export(c: &mut Criterion) {
    let (ossl_key, ossl_cert) = sample();
    let key = PrivateKey::from_bytes(&ossl_key.private_key_to_pem_pkcs8().expect("pem"), None)
        .expect("hermes reads the key");
    let cert = Certificate::from_der(&ossl_cert.to_der().expect("der")).expect("cert");
    let options = Pkcs12Options::new()
        .iterations(ITERATIONS)
        .friendly_name("alice@example.com");

    let mut group = c.benchmark_group("pkcs12_export");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("hermes-pki", |b| {
        b.iter(|| {
            black_box(
                pkcs12::export(black_box(&cert), &key, &[], PASSWORD, &options).expect("exports"),
            )
        })
    });
    group.bench_function("openssl", |b| {
        b.iter(|| black_box(openssl_export(black_box(&ossl_key), &ossl_cert)))
    });
    group.finish();
}

fn pkcs12_import(c: &mut Criterion) {
    let (ossl_key, ossl_cert) = sample();
    let der = openssl_export(&ossl_key, &ossl_cert);
    // Both sides read the file completely.
    let contents = pkcs12::import(&der, PASSWORD).expect("hermes reads OpenSSL's file");
    assert!(contents.key().is_some() && contents.mac_verified());

    let mut group = c.benchmark_group("pkcs12_import");
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("hermes-pki", |b| {
        b.iter(|| black_box(pkcs12::import(black_box(&der), PASSWORD).expect("imports")))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| {
            let parsed = Pkcs12::from_der(black_box(&der))
                .expect("der")
                .parse2(PASSWORD)
                .expect("parses");
            black_box((parsed.pkey, parsed.cert))
        })
    });
    group.finish();
}

criterion_group!(benches, pkcs12_export, pkcs12_import);
criterion_main!(benches);
