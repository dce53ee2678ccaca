//! Certificate revocation lists, hermes-pki beside OpenSSL (the `openssl` crate) in the same
//! run.
//!
//! Both sides use the same EC P-256 CA (made by hermes-pki, its key exported to OpenSSL) and
//! ECDSA-SHA256 signatures. Serial numbers are 128-bit pseudo-random values (fixed seed).
//! Groups, each with a `hermes-pki` and an `openssl` function:
//! - `crl_build_100k`: build and sign a CRL with 100,000 entries (no entry extensions: the
//!   `openssl` crate cannot add entry extensions). hermes-pki runs
//!   `CertificateAuthority::create_crl` (`only_these`, external serials) on a `MemoryStore`,
//!   which besides encoding and signing sorts the entries, reads the CA and its key, parses
//!   the new CRL back, verifies its signature, stores it with its entries indexed and removes
//!   the CA's previous CRL, in one transaction. OpenSSL builds with `X509CrlBuilder` (entries
//!   from prepared serials, `X509_CRL_sort`, AKI and CRL number extensions), signs and
//!   serialises to DER; it stores nothing.
//! - `crl_parse_1m`: parse a 1,000,000-entry CRL (made once by hermes-pki, one entry in four
//!   with a reason code): `Crl::from_der` (all entries decoded into a `Vec`, SHA-256 of the
//!   CRL) beside `X509Crl::from_der` (`d2i_X509_CRL`: all entries decoded, entry extensions
//!   cached, SHA-1 of the CRL).
//! - `crl_import_1m`: import that CRL. hermes-pki: `Crls::import` into a fresh `SqliteStore`
//!   (on disk in a temporary directory) holding the CA as a root: parse, signature check,
//!   issuer path validation, and the CRL with its 1,000,000 entries written to SQLite and
//!   indexed, committed. OpenSSL: `X509Crl::from_der`, `X509_CRL_verify` with the CA key, and
//!   one `get_by_serial` (which sorts the entries for binary search); nothing is stored.
//! - `crl_lookup_1m_listed` / `crl_lookup_1m_unlisted`: one revocation lookup in that CRL for
//!   a certificate it lists (keyCompromise) / does not list, once the CRL is indexed.
//!   hermes-pki: `CrlChecker::status` in a new read transaction of the `SqliteStore` the CRL
//!   was imported into (find the issuer's applicable CRLs in the store, then a binary search
//!   in the CRL's in-memory serial index); `hermes-pki-open-tx` does the same in one read
//!   transaction kept open (as a validation does: its revocation checks run in its
//!   transaction), a new checker each time; `hermes-pki-memorystore` in a read transaction
//!   of the `MemoryStore` the CRL was made in; `hermes-pki-tx-only` is a new SQLite read
//!   transaction that only reads the issuer's CRL records (what the transaction itself
//!   costs). OpenSSL: `X509Crl::get_by_serial` on the parsed CRL in memory, already sorted
//!   (steady state).
//! - `crl_lookup_1m_first`: the first lookup (listed certificate). hermes-pki: the process's
//!   CRL indexes dropped (`clear_index_cache`, not timed), then `CrlChecker::status` in the
//!   `SqliteStore`, which reads the CRL's million entries from the store and builds its index.
//!   OpenSSL: the CRL parsed (not timed), then its first `get_by_serial`, which sorts the
//!   entries.
#![allow(missing_docs, clippy::expect_used)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{BatchSize, Criterion, SamplingMode, criterion_group, criterion_main};
use hermes_pki::ca::{
    CaConfig, CaSpec, CertificateAuthority, CreatedCa, CrlSpec, DistinguishedName, IssueSpec,
    Revocation,
};
use hermes_pki::cert::{Certificate, Serial};
use hermes_pki::crl::{Crl, CrlChecker, Crls, RevocationReason, clear_index_cache};
use hermes_pki::key::KeySpec;
use hermes_pki::store::{MemoryStore, SqliteStore, Store, StoreExt};
use hermes_pki::time::SystemClock;
use hermes_pki::trust::{RevocationChecker, RevocationStatus};
use openssl::asn1::{Asn1Integer, Asn1Object, Asn1OctetString, Asn1Time};
use openssl::bn::BigNum;
use openssl::hash::MessageDigest;
use openssl::pkey::{PKey, Private, Public};
use openssl::x509::{CrlStatus, X509, X509Crl, X509CrlBuilder, X509Extension, X509RevokedBuilder};

const BUILD_ENTRIES: usize = 100_000;
const BIG_ENTRIES: usize = 1_000_000;

/// `n` distinct positive 128-bit serial numbers (splitmix64 from a fixed seed; the top byte
/// is 0x40..=0x7F so every serial is 16 bytes without a leading zero).
fn serials(n: usize, seed: u64) -> Vec<[u8; 16]> {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    (0..n)
        .map(|_| {
            let mut s = [0u8; 16];
            s[..8].copy_from_slice(&next().to_be_bytes());
            s[8..].copy_from_slice(&next().to_be_bytes());
            s[0] = 0x40 | (s[0] & 0x3F);
            s
        })
        .collect()
}

/// A hermes-pki EC P-256 root CA in `store` whose key may be exported (for the OpenSSL side).
fn hermes_ca(store: &MemoryStore, name: &str) -> (CreatedCa, PKey<Private>) {
    let ca = CertificateAuthority::with_config(store, CaConfig::new().allow_key_export(true));
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new(name)).key(KeySpec::EcP256),
            &SystemClock,
        )
        .expect("creates a CA");
    let key = ca
        .export_key(created.issuing().id)
        .expect("exports the CA key");
    let key = PKey::private_key_from_pkcs8(&key.to_pkcs8_der().expect("pkcs8")).expect("pkey");
    (created, key)
}

/// A DER INTEGER of `n` (minimal, non-negative).
fn der_uint(n: u64) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(7);
    let mut v = bytes[start..].to_vec();
    if v[0] & 0x80 != 0 {
        v.insert(0, 0);
    }
    let mut out = vec![0x02, u8::try_from(v.len()).expect("short")];
    out.extend_from_slice(&v);
    out
}

/// What the OpenSSL side does per CRL: the same fields and extensions as hermes-pki's CRL
/// (issuer, thisUpdate, nextUpdate in 7 days, entries sorted by serial, AKI with the CA's
/// key identifier, CRL number), ECDSA-SHA256, DER out.
fn openssl_crl(
    ca: &X509,
    key: &PKey<Private>,
    serials: &[Asn1Integer],
    date: &Asn1Time,
    number: u64,
) -> Vec<u8> {
    let mut b = X509CrlBuilder::new().expect("builder");
    b.set_issuer_name(ca.subject_name()).expect("issuer");
    b.set_last_update(date).expect("thisUpdate");
    b.set_next_update(&Asn1Time::days_from_now(7).expect("t"))
        .expect("nextUpdate");
    let ski = ca.subject_key_id().expect("the CA has an SKI").as_slice();
    let mut aki = vec![0x30, u8::try_from(ski.len() + 2).expect("short"), 0x80];
    aki.push(u8::try_from(ski.len()).expect("short"));
    aki.extend_from_slice(ski);
    for (oid, value) in [("2.5.29.35", aki), ("2.5.29.20", der_uint(number))] {
        let ext = X509Extension::new_from_der(
            &Asn1Object::from_str(oid).expect("oid"),
            false,
            &Asn1OctetString::new_from_bytes(&value).expect("octets"),
        )
        .expect("extension");
        b.append_extension(ext).expect("append");
    }
    for s in serials {
        let mut r = X509RevokedBuilder::new().expect("revoked");
        r.set_serial_number(s).expect("serial");
        r.set_revocation_date(date).expect("date");
        b.add_revoked(r.build()).expect("add");
    }
    b.sort().expect("sort");
    b.sign(key, MessageDigest::sha256()).expect("sign");
    b.build().expect("build").to_der().expect("der")
}

fn asn1_serial(bytes: &[u8]) -> Asn1Integer {
    BigNum::from_slice(bytes)
        .expect("bn")
        .to_asn1_integer()
        .expect("int")
}

fn build_100k(c: &mut Criterion) {
    let store = MemoryStore::new();
    let (created, key) = hermes_ca(&store, "Bench CRL Build CA");
    let ca = CertificateAuthority::new(&store);
    let o_ca = X509::from_der(created.issuing_certificate().der()).expect("CA for OpenSSL");
    let list = serials(BUILD_ENTRIES, 1);
    let spec = list.iter().fold(
        CrlSpec::new(created.issuing().id).only_these(true),
        |spec, s| spec.revocation(Revocation::new(Serial::from_bytes(s)).external(true)),
    );
    let o_serials: Vec<Asn1Integer> = list.iter().map(|s| asn1_serial(s)).collect();
    let date = Asn1Time::days_from_now(0).expect("t");

    // Each side's CRL reads back on the other side with all its entries.
    let ours = ca.create_crl(&spec, &SystemClock).expect("creates a CRL");
    let theirs = X509Crl::from_der(ours.der()).expect("OpenSSL reads hermes-pki's CRL");
    assert_eq!(theirs.get_revoked().map(|r| r.len()), Some(BUILD_ENTRIES));
    let theirs = openssl_crl(&o_ca, &key, &o_serials, &date, 1);
    let back = Crl::from_der(&theirs).expect("hermes-pki reads OpenSSL's CRL");
    assert_eq!(back.entries().len(), BUILD_ENTRIES);
    assert!(back.problems().is_empty(), "{:?}", back.problems());

    let mut group = c.benchmark_group("crl_build_100k");
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("hermes-pki", |b| {
        b.iter(|| black_box(ca.create_crl(&spec, &SystemClock).expect("creates a CRL")))
    });
    let mut number = 1u64;
    group.bench_function("openssl", |b| {
        b.iter(|| {
            number += 1;
            black_box(openssl_crl(&o_ca, &key, &o_serials, &date, number))
        })
    });
    group.finish();
}

/// The 1,000,000-entry CRL and what the groups on it need.
struct Big {
    /// Holds the CA and the CRL as created.
    memory: MemoryStore,
    ca_cert: Certificate,
    ca_public: PKey<Public>,
    der: Vec<u8>,
    listed: Certificate,
    unlisted: Certificate,
}

fn big() -> Big {
    let memory = MemoryStore::new();
    let (created, key) = hermes_ca(&memory, "Bench CRL CA");
    let ca = CertificateAuthority::new(&memory);
    let issue = |n: u32| {
        ca.issue(
            &IssueSpec::new(format!("user{n}@example.com"), format!("User {n}"))
                .key(KeySpec::EcP256),
            &SystemClock,
        )
        .expect("issues")
        .certificate()
        .clone()
    };
    let listed = issue(1);
    let unlisted = issue(2);
    let mut spec = CrlSpec::new(created.issuing().id)
        .only_these(true)
        .revocation(
            Revocation::new(listed.serial().clone()).reason(RevocationReason::KeyCompromise),
        );
    for (i, s) in serials(BIG_ENTRIES - 1, 2).iter().enumerate() {
        let mut r = Revocation::new(Serial::from_bytes(s)).external(true);
        if i % 4 == 0 {
            r = r.reason(RevocationReason::Superseded);
        }
        spec = spec.revocation(r);
    }
    let crl = ca
        .create_crl(&spec, &SystemClock)
        .expect("creates the 1M CRL");
    assert_eq!(crl.crl().entries().len(), BIG_ENTRIES);
    let ca_public = PKey::public_key_from_der(&key.public_key_to_der().expect("public key der"))
        .expect("public key");
    Big {
        der: crl.der().to_vec(),
        ca_cert: created.issuing_certificate().clone(),
        memory,
        ca_public,
        listed,
        unlisted,
    }
}

/// One revocation lookup: `CrlChecker::status` in a read transaction of `store`.
fn status_in<S: Store>(
    store: &S,
    cert: &Certificate,
    issuer: &Certificate,
    at: SystemTime,
) -> RevocationStatus {
    store
        .read_transaction(|tx| CrlChecker::new(tx).status(cert, issuer, at))
        .expect("status")
}

/// A fresh SQLite store in a temporary directory holding the CA as a root.
fn sqlite_with_ca(ca: &Certificate) -> (tempfile::TempDir, SqliteStore) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = SqliteStore::open_default(dir.path()).expect("store");
    store
        .transaction(|tx| {
            tx.put_root(ca)?;
            tx.put_certificate(ca)?;
            Ok(())
        })
        .expect("CA stored");
    (dir, store)
}

fn slow_group<'a>(
    c: &'a mut Criterion,
    name: &str,
) -> criterion::BenchmarkGroup<'a, criterion::measurement::WallTime> {
    let mut group = c.benchmark_group(name);
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    group.warm_up_time(Duration::from_millis(500));
    group.measurement_time(Duration::from_secs(3));
    group
}

fn crl_1m(c: &mut Criterion) {
    let big = big();
    eprintln!("1,000,000-entry CRL: {} bytes DER", big.der.len());

    let mut group = slow_group(c, "crl_parse_1m");
    group.bench_function("hermes-pki", |b| {
        b.iter(|| black_box(Crl::from_der(black_box(&big.der)).expect("parses")))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| black_box(X509Crl::from_der(black_box(&big.der)).expect("parses")))
    });
    group.finish();

    let probe = asn1_serial(big.unlisted.serial().as_bytes());
    let mut group = slow_group(c, "crl_import_1m");
    group.bench_function("hermes-pki", |b| {
        b.iter_batched_ref(
            || sqlite_with_ca(&big.ca_cert),
            |(_dir, store)| {
                let r = Crls::new(&*store)
                    .import(black_box(&big.der), Some("bench.crl"), &SystemClock)
                    .expect("imports");
                assert!(r[0].is_stored_valid(), "{:?}", r[0].outcome);
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("openssl", |b| {
        b.iter(|| {
            let crl = X509Crl::from_der(black_box(&big.der)).expect("parses");
            assert!(crl.verify(&big.ca_public).expect("verify runs"));
            assert!(matches!(crl.get_by_serial(&probe), CrlStatus::NotRevoked));
            black_box(crl)
        })
    });
    group.finish();

    // Lookups: hermes-pki in the SQLite store the CRL was imported into (and in the
    // MemoryStore it was made in), OpenSSL in its parsed, sorted CRL.
    let (_dir, sqlite) = sqlite_with_ca(&big.ca_cert);
    let r = Crls::new(&sqlite)
        .import(&big.der, Some("bench.crl"), &SystemClock)
        .expect("imports");
    assert!(r[0].is_stored_valid());
    let o_crl = X509Crl::from_der(&big.der).expect("parses");
    let at = SystemTime::now();
    for (name, cert, revoked) in [
        ("crl_lookup_1m_listed", &big.listed, true),
        ("crl_lookup_1m_unlisted", &big.unlisted, false),
    ] {
        let in_sqlite = || status_in(&sqlite, cert, &big.ca_cert, at);
        let in_memory = || status_in(&big.memory, cert, &big.ca_cert, at);
        for status in [in_sqlite(), in_memory()] {
            assert_eq!(
                matches!(status, RevocationStatus::Revoked { .. }),
                revoked,
                "{status:?}"
            );
            if !revoked {
                assert!(
                    matches!(status, RevocationStatus::Good { .. }),
                    "{status:?}"
                );
            }
        }
        let serial = asn1_serial(cert.serial().as_bytes());
        let o_status = |s: &Asn1Integer| match o_crl.get_by_serial(s) {
            CrlStatus::NotRevoked => false,
            CrlStatus::Revoked(_) | CrlStatus::RemoveFromCrl(_) => true,
        };
        // The first lookup sorts OpenSSL's entries; the timed ones are steady state.
        assert_eq!(o_status(&serial), revoked);

        let mut group = c.benchmark_group(name);
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(2));
        group.bench_function("hermes-pki", |b| b.iter(|| black_box(in_sqlite())));
        group.bench_function("hermes-pki-open-tx", |b| {
            sqlite
                .read_transaction(|tx| {
                    b.iter(|| {
                        black_box(
                            CrlChecker::new(tx)
                                .status(cert, &big.ca_cert, at)
                                .expect("status"),
                        )
                    });
                    Ok(())
                })
                .expect("read")
        });
        group.bench_function("hermes-pki-memorystore", |b| {
            b.iter(|| black_box(in_memory()))
        });
        // What a new read transaction costs by itself: it reads only the issuer's CRL
        // records (answered from the connection's cache).
        group.bench_function("hermes-pki-tx-only", |b| {
            b.iter(|| {
                black_box(
                    sqlite
                        .read_transaction(|tx| tx.crls_by_issuer(big.ca_cert.subject_der()))
                        .expect("read"),
                )
            })
        });
        group.bench_function("openssl", |b| {
            b.iter(|| black_box(o_status(black_box(&serial))))
        });
        group.finish();
    }

    // The first lookup: hermes-pki builds the CRL's index from the store's entries, OpenSSL
    // sorts its parsed CRL's entries.
    let serial = asn1_serial(big.listed.serial().as_bytes());
    let mut group = slow_group(c, "crl_lookup_1m_first");
    group.bench_function("hermes-pki", |b| {
        b.iter_batched(
            clear_index_cache,
            |()| {
                let status = status_in(&sqlite, &big.listed, &big.ca_cert, at);
                assert!(matches!(status, RevocationStatus::Revoked { .. }));
            },
            BatchSize::PerIteration,
        )
    });
    group.bench_function("openssl", |b| {
        b.iter_batched(
            || X509Crl::from_der(&big.der).expect("parses"),
            |crl| {
                assert!(!matches!(crl.get_by_serial(&serial), CrlStatus::NotRevoked));
                crl
            },
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, build_100k, crl_1m);
criterion_main!(benches);
