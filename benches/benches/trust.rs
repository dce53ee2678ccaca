//! Path validation, hermes-pki beside OpenSSL's `X509_verify_cert` (the `openssl` crate) on
//! the same chain in the same run.
//!
//! The chain: EC P-256 root -> intermediate -> S/MIME end certificate, made with OpenSSL. The
//! hermes-pki side validates it in a `SqliteStore` holding 100,000 other certificates issued by
//! the same intermediate (the root in the root store), for S/MIME signing; the OpenSSL side
//! verifies it with the root in an `X509_STORE` and the intermediate as untrusted, purpose
//! smimesign. Groups:
//! - `trust_validate_3_level`: as above, warm: the process-wide caches of chain building
//!   (parsed certificates, verified signatures) hold what earlier iterations put there;
//! - `trust_validate_3_level_cold`: the same with those caches emptied before each iteration
//!   (`hermes_pki::trust::clear_caches`, outside the measured time): every certificate read
//!   from the store is parsed and every signature verified;
//! - `trust_validate_3_level_ctl_1000`: warm, with 1,000 trust list entries in the store
//!   (OpenSSL has no trust list; its side is unchanged).
#![allow(missing_docs)]

mod common;

use std::hint::black_box;
use std::time::SystemTime;

use common::{openssl_builder, openssl_name};
use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use hermes_pki::cert::{Certificate, Thumbprint};
use hermes_pki::store::{CtlEntry, SqliteStore, StoreExt};
use hermes_pki::trust::{LeafPolicy, ValidationOptions, Validator, clear_caches};
use openssl::bn::BigNum;
use openssl::ec::{EcGroup, EcKey};
use openssl::hash::MessageDigest;
use openssl::nid::Nid;
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::x509::extension::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, SubjectAlternativeName,
    SubjectKeyIdentifier,
};
use openssl::x509::store::{X509Store, X509StoreBuilder};
use openssl::x509::{X509, X509PurposeId, X509StoreContext};

const OTHERS: u32 = 100_000;

fn ec_key() -> PKey<Private> {
    let group = EcGroup::from_curve_name(Nid::X9_62_PRIME256V1).expect("group");
    PKey::from_ec_key(EcKey::generate(&group).expect("ec")).expect("pkey")
}

fn ca_cert(
    key: &PKey<Private>,
    cn: &str,
    issuer: Option<(&X509, &PKey<Private>)>,
    serial: u32,
) -> X509 {
    let name = openssl_name(&[("CN", cn)]);
    let issuer_name = issuer.map_or(name.as_ref(), |(c, _)| c.subject_name());
    let mut b = openssl_builder(
        key,
        &name,
        issuer_name,
        &BigNum::from_u32(serial).expect("bn"),
        3650,
    );
    b.append_extension(BasicConstraints::new().critical().ca().build().expect("bc"))
        .expect("bc");
    b.append_extension(
        KeyUsage::new()
            .critical()
            .key_cert_sign()
            .crl_sign()
            .build()
            .expect("ku"),
    )
    .expect("ku");
    let ctx = b.x509v3_context(issuer.map(|(c, _)| &**c), None);
    let ski = SubjectKeyIdentifier::new().build(&ctx).expect("ski");
    let aki = if issuer.is_some() {
        Some(
            AuthorityKeyIdentifier::new()
                .keyid(true)
                .build(&ctx)
                .expect("aki"),
        )
    } else {
        None
    };
    b.append_extension(ski).expect("ski");
    if let Some(aki) = aki {
        b.append_extension(aki).expect("aki");
    }
    b.sign(issuer.map_or(key, |(_, k)| k), MessageDigest::sha256())
        .expect("sign");
    b.build()
}

fn leaf_cert(key: &PKey<Private>, n: u32, ca: &X509, ca_key: &PKey<Private>) -> X509 {
    let email = format!("user{n}@example.com");
    let name = openssl_name(&[("CN", &format!("User {n}")), ("emailAddress", &email)]);
    let mut b = openssl_builder(
        key,
        &name,
        ca.subject_name(),
        &BigNum::from_u32(n + 10).expect("bn"),
        3650,
    );
    b.append_extension(
        KeyUsage::new()
            .critical()
            .digital_signature()
            .key_agreement()
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
    let aki = AuthorityKeyIdentifier::new()
        .keyid(true)
        .build(&ctx)
        .expect("aki");
    b.append_extension(san).expect("san");
    b.append_extension(aki).expect("aki");
    b.sign(ca_key, MessageDigest::sha256()).expect("sign");
    b.build()
}

fn ours(c: &X509) -> Certificate {
    Certificate::from_der(&c.to_der().expect("der")).expect("hermes parses OpenSSL's certificate")
}

struct Setup {
    _dir: tempfile::TempDir,
    store: SqliteStore,
    leaf: Certificate,
    o_store: X509Store,
    o_chain: Stack<X509>,
    o_leaf: X509,
}

fn setup() -> Setup {
    let root_key = ec_key();
    let root = ca_cert(&root_key, "Bench Root", None, 1);
    let inter_key = ec_key();
    let inter = ca_cert(
        &inter_key,
        "Bench Intermediate",
        Some((&root, &root_key)),
        2,
    );
    let leaf_key = ec_key();
    let leaf = leaf_cert(&leaf_key, 0, &inter, &inter_key);

    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_default(dir.path()).expect("store");
    let others: Vec<Certificate> = (1..=OTHERS)
        .map(|n| ours(&leaf_cert(&leaf_key, n, &inter, &inter_key)))
        .collect();
    store
        .transaction(|tx| {
            tx.put_root(&ours(&root))?;
            tx.put_certificate(&ours(&inter))?;
            tx.put_certificate(&ours(&leaf))?;
            for c in &others {
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .expect("populate");

    let mut b = X509StoreBuilder::new().expect("store");
    b.add_cert(root).expect("root");
    b.set_purpose(X509PurposeId::SMIME_SIGN).expect("purpose");
    let mut o_chain = Stack::new().expect("stack");
    o_chain.push(inter).expect("push");
    Setup {
        _dir: dir,
        store,
        leaf: ours(&leaf),
        o_store: b.build(),
        o_chain,
        o_leaf: leaf,
    }
}

fn run_group(c: &mut Criterion, name: &str, s: &Setup, cold: bool) {
    let options = ValidationOptions::new(SystemTime::now(), LeafPolicy::SmimeSigning);
    let v = s
        .store
        .read_transaction(|tx| Validator::new(tx).validate(&s.leaf, &options))
        .expect("validates");
    assert!(v.is_valid(), "the bench chain is valid: {:?}", v.reasons());
    let mut group = c.benchmark_group(name);
    let validate = || {
        let v = s
            .store
            .read_transaction(|tx| Validator::new(tx).validate(black_box(&s.leaf), &options))
            .expect("validates");
        black_box(v.is_valid())
    };
    group.bench_function("hermes-pki", |b| {
        if cold {
            b.iter_batched(clear_caches, |()| validate(), BatchSize::PerIteration)
        } else {
            b.iter(validate)
        }
    });
    group.bench_function("openssl", |b| {
        b.iter(|| {
            let mut ctx = X509StoreContext::new().expect("ctx");
            let ok = ctx
                .init(&s.o_store, black_box(&s.o_leaf), &s.o_chain, |c| {
                    c.verify_cert()
                })
                .expect("verify runs");
            assert!(ok);
            black_box(ok)
        })
    });
    group.finish();
}

fn trust(c: &mut Criterion) {
    let s = setup();
    run_group(c, "trust_validate_3_level", &s, false);
    run_group(c, "trust_validate_3_level_cold", &s, true);
    s.store
        .transaction(|tx| {
            for i in 0u32..1000 {
                let t = Thumbprint::of(&i.to_be_bytes());
                let e = if i % 2 == 0 {
                    CtlEntry::whitelisted(t)
                } else {
                    CtlEntry::blacklisted(t)
                };
                tx.put_ctl_entry(&e)?;
            }
            Ok(())
        })
        .expect("ctl");
    run_group(c, "trust_validate_3_level_ctl_1000", &s, false);
}

criterion_group!(benches, trust);
criterion_main!(benches);
