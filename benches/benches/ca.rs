//! Certificate issuance, hermes-pki beside OpenSSL (the `openssl` crate) in the same run.
//!
//! Groups, each with a `hermes-pki` and an `openssl` function doing the same work:
//! - `ca_issue_pregenerated_key`: issue one end-user S/MIME certificate (subject with email,
//!   SAN, keyUsage, EKU, key identifiers, random serial) for an existing RSA-2048 key, signed
//!   by an RSA-2048 CA with SHA-256. hermes-pki also reads the CA key from the store and
//!   records the issuance, the certificate and the key in a `MemoryStore` transaction; OpenSSL
//!   only builds and signs. The key is handed over as a clone of one `PrivateKey` (a shared
//!   handle, as a caller holding the key would), the CA key comes from the store each time.
//! - `ca_issue_rsa2048_keygen`: the same with a new RSA-2048 key generated each time.
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::Duration;

use common::{openssl_builder, openssl_name};
use criterion::{Criterion, criterion_group, criterion_main};
use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use hermes_pki::key::{KeySpec, PrivateKey};
use hermes_pki::store::MemoryStore;
use hermes_pki::time::SystemClock;
use openssl::bn::{BigNum, MsbOption};
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private};
use openssl::rsa::Rsa;
use openssl::x509::X509;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};

/// An RSA-2048 CA made by OpenSSL: its certificate and key.
fn openssl_ca() -> (X509, PKey<Private>) {
    let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
    let name = openssl_name(&[("CN", "Bench Root CA")]);
    let serial = BigNum::from_u32(1).expect("bn");
    let mut b = openssl_builder(&key, &name, &name, &serial, 1825);
    b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
        .expect("bc");
    let ski = SubjectKeyIdentifier::new()
        .build(&b.x509v3_context(None, None))
        .expect("ski");
    b.append_extension(ski).expect("ski");
    b.sign(&key, MessageDigest::sha256()).expect("sign");
    (b.build(), key)
}

/// What the OpenSSL side does per issuance: subject, random 128-bit serial, validity, the same
/// extensions, SHA-256 signature.
fn openssl_issue(ca: &X509, ca_key: &PKey<Private>, key: &PKey<Private>, n: u64) -> X509 {
    let email = format!("user{n}@example.com");
    let name = openssl_name(&[("CN", "Bench User"), ("emailAddress", &email)]);
    let mut serial = BigNum::new().expect("bn");
    serial
        .rand(127, MsbOption::MAYBE_ZERO, false)
        .expect("rand");
    let mut b = openssl_builder(key, &name, ca.subject_name(), &serial, 365);
    b.append_extension(BasicConstraints::new().critical().build().expect("bc"))
        .expect("bc");
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
    let ctx = b.x509v3_context(Some(ca), None);
    let san = SubjectAlternativeName::new()
        .email(&email)
        .build(&ctx)
        .expect("san");
    let ski = SubjectKeyIdentifier::new().build(&ctx).expect("ski");
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&ctx)
        .expect("aki");
    b.append_extension(san).expect("san");
    b.append_extension(ski).expect("ski");
    b.append_extension(aki).expect("aki");
    b.sign(ca_key, MessageDigest::sha256()).expect("sign");
    b.build()
}

fn hermes_ca(store: &MemoryStore) -> CertificateAuthority<'_, MemoryStore> {
    let ca = CertificateAuthority::new(store);
    ca.create(
        &CaSpec::new(DistinguishedName::new("Bench Root CA")).key(KeySpec::Rsa(2048)),
        &SystemClock,
    )
    .expect("creates a CA");
    ca
}

fn issue_pregenerated_key(c: &mut Criterion) {
    let store = MemoryStore::new();
    let ca = hermes_ca(&store);
    let key = PrivateKey::generate(KeySpec::Rsa(2048)).expect("key");
    let (o_ca, o_ca_key) = openssl_ca();
    let o_key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");

    let mut group = c.benchmark_group("ca_issue_pregenerated_key");
    let mut n = 0u64;
    group.bench_function("hermes-pki", |b| {
        b.iter(|| {
            n += 1;
            let spec = IssueSpec::new(format!("user{n}@example.com"), "Bench User");
            black_box(
                ca.issue_with_key(&spec, key.clone(), &SystemClock)
                    .expect("issues"),
            )
        })
    });
    let mut n = 0u64;
    group.bench_function("openssl", |b| {
        b.iter(|| {
            n += 1;
            black_box(openssl_issue(&o_ca, &o_ca_key, &o_key, n))
        })
    });
    group.finish();
}

fn issue_rsa2048_keygen(c: &mut Criterion) {
    let store = MemoryStore::new();
    let ca = hermes_ca(&store);
    let (o_ca, o_ca_key) = openssl_ca();
    let mut group = c.benchmark_group("ca_issue_rsa2048_keygen");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(20));
    let mut n = 0u64;
    group.bench_function("hermes-pki", |b| {
        b.iter(|| {
            n += 1;
            let spec = IssueSpec::new(format!("user{n}@example.com"), "Bench User");
            black_box(ca.issue(&spec, &SystemClock).expect("issues"))
        })
    });
    let mut n = 0u64;
    group.bench_function("openssl", |b| {
        b.iter(|| {
            n += 1;
            let key = PKey::from_rsa(Rsa::generate(2048).expect("rsa")).expect("pkey");
            black_box(openssl_issue(&o_ca, &o_ca_key, &key, n))
        })
    });
    group.finish();
}

criterion_group!(benches, issue_pregenerated_key, issue_rsa2048_keygen);
criterion_main!(benches);
