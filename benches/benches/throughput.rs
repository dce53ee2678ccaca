//! Throughput of the gateway's two operations from several threads, hermes-pki beside OpenSSL
//! (the `openssl` crate) in the same run.
//!
//! One "message" is the whole round trip a gateway does for a 4 KiB mail between two of its
//! users: sign and encrypt it on the way out, decrypt and verify it on the way in.
//!
//! - hermes-pki: one `Pki` over a `SqliteStore` in a temporary directory, shared by all threads
//!   (`&Pki`), holding an RSA-2048 CA and two users alice@example.com and bob@example.com with
//!   RSA-2048 keys and certificates issued by it. Per message: `Pki::protect` from Alice to Bob
//!   (selection of Alice's signing and Bob's encryption certificate, Alice's key read from the
//!   store, a detached signature, AES-256-CBC to Bob, MIME) and `Pki::open_message` on the
//!   result (Bob's key read from the store, decryption, the signature verified and Alice's
//!   certificate validated against the CA in the store, with its CRL settings); the opened
//!   message is checked to be valid.
//! - OpenSSL: the same keys and certificates as OpenSSL objects, shared by all threads. Per
//!   message: `CmsContentInfo::sign` (detached, Alice's certificate included) and `encrypt`
//!   (AES-256-CBC, RSA key transport to Bob) of the signed DER, then `decrypt` with Bob's key and
//!   `verify` against an `X509Store` holding the CA certificate (chain validation included).
//!   No MIME and no store: OpenSSL does less than the gateway does, never more.
//!
//! Groups `throughput_1_thread` and `throughput_2_threads`, each with a `hermes-pki` and an
//! `openssl` function. One iteration is one message; with two threads the iterations of a
//! sample are split between the threads, so criterion's time per iteration is the wall time
//! per message of both threads together and its `elem/s` is messages per second.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod common;

use std::hint::black_box;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec};
use hermes_pki::key::KeySpec;
use hermes_pki::pki::{OpenOptions, Opened, Pki, ProtectOptions};
use hermes_pki::store::SqliteStore;
use hermes_pki::time::SystemClock;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::X509;
use openssl::x509::store::{X509Store, X509StoreBuilder};

const SIZE: usize = 4 * 1024;

/// An RFC 5322 message from Alice to Bob with a `text/plain` body, `SIZE` bytes in all.
fn message() -> Vec<u8> {
    common::text_message(
        b"From: Alice <alice@example.com>\r\nTo: Bob <bob@example.com>\r\n\
        Subject: Benchmark\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=us-ascii\r\n\r\n",
        SIZE,
    )
}

/// The OpenSSL side's objects: the same keys and certificates.
struct OpenSslSide {
    alice_cert: X509,
    alice_key: PKey<Private>,
    bob_cert: X509,
    bob_key: PKey<Private>,
    bob_stack: Stack<X509>,
    store: X509Store,
}

/// A `Pki` over a fresh SQLite store in `dir` with the CA and the two users, and the same
/// keys and certificates for OpenSSL.
fn setup(dir: &std::path::Path) -> (Pki, OpenSslSide) {
    let pki = Pki::new(SqliteStore::open_default(dir).expect("opens the SQLite store"));
    let created = pki
        .ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Bench Gateway CA")).key(KeySpec::Rsa(2048)),
            &SystemClock,
        )
        .expect("creates a CA");
    let root = X509::from_der(created.root_certificate().der()).expect("OpenSSL reads the CA");
    let mut users = ["alice@example.com", "bob@example.com"].map(|email| {
        let issued = pki
            .ca()
            .issue(
                &IssueSpec::new(email, email).key(KeySpec::Rsa(2048)),
                &SystemClock,
            )
            .expect("issues");
        let cert = X509::from_der(issued.certificate().der()).expect("OpenSSL reads it");
        let key = PKey::private_key_from_pkcs8(&issued.key().to_pkcs8_der().expect("PKCS#8"))
            .expect("OpenSSL reads the key");
        Some((cert, key))
    });
    let (alice_cert, alice_key) = users[0].take().expect("alice");
    let (bob_cert, bob_key) = users[1].take().expect("bob");
    let mut bob_stack = Stack::new().expect("stack");
    bob_stack.push(bob_cert.clone()).expect("push");
    let mut store = X509StoreBuilder::new().expect("store");
    store.add_cert(root).expect("adds the CA");
    let side = OpenSslSide {
        alice_cert,
        alice_key,
        bob_cert,
        bob_key,
        bob_stack,
        store: store.build(),
    };
    (pki, side)
}

/// One message through hermes-pki: protect, then open; the opened message must be valid and
/// carry the body.
fn hermes_round_trip(pki: &Pki, message: &[u8]) {
    let now = SystemTime::now();
    let protected = pki
        .protect(
            message,
            "alice@example.com",
            &["bob@example.com"],
            &ProtectOptions::new(now),
        )
        .expect("protects");
    let sent = &protected.messages[0];
    assert!(sent.signed && sent.cipher.is_some(), "signed and encrypted");
    match pki
        .open_message(&sent.message, &OpenOptions::new(now))
        .expect("opens")
    {
        Opened::Processed(opened) => {
            assert!(opened.is_valid() && opened.is_signed(), "{opened:?}");
            black_box(opened.entity);
        }
        other => panic!("not opened: {}", other.kind()),
    }
}

/// One message through OpenSSL: sign, encrypt the signed DER, decrypt, verify with chain
/// validation.
fn openssl_round_trip(o: &OpenSslSide, content: &[u8]) {
    let signed = CmsContentInfo::sign(
        Some(&o.alice_cert),
        Some(&o.alice_key),
        None,
        Some(content),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .expect("signs")
    .to_der()
    .expect("DER");
    let encrypted = CmsContentInfo::encrypt(
        &o.bob_stack,
        &signed,
        Cipher::aes_256_cbc(),
        CMSOptions::BINARY,
    )
    .expect("encrypts")
    .to_der()
    .expect("DER");
    let decrypted = CmsContentInfo::from_der(&encrypted)
        .expect("parses")
        .decrypt(&o.bob_key, &o.bob_cert)
        .expect("decrypts");
    let mut cms = CmsContentInfo::from_der(&decrypted).expect("parses the signed layer");
    let mut out = Vec::new();
    cms.verify(
        None,
        Some(&o.store),
        Some(content),
        Some(&mut out),
        CMSOptions::BINARY,
    )
    .expect("verifies");
    black_box(out);
}

/// `iters` calls of `work` spread over `threads` threads; the wall time of all of them.
fn spread(threads: u64, iters: u64, work: &(dyn Fn() + Sync)) -> Duration {
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let n = iters / threads + u64::from(t < iters % threads);
            s.spawn(move || {
                for _ in 0..n {
                    work();
                }
            });
        }
    });
    start.elapsed()
}

fn throughput(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (pki, o) = setup(dir.path());
    let message = message();
    // The same work on both sides, checked once before anything is timed.
    hermes_round_trip(&pki, &message);
    openssl_round_trip(&o, &message);

    for threads in [1u64, 2] {
        let name = if threads == 1 {
            "throughput_1_thread".to_string()
        } else {
            format!("throughput_{threads}_threads")
        };
        let mut group = c.benchmark_group(name);
        group.throughput(Throughput::Elements(1));
        group.sample_size(20);
        group.bench_function("hermes-pki", |b| {
            b.iter_custom(|iters| spread(threads, iters, &|| hermes_round_trip(&pki, &message)))
        });
        group.bench_function("openssl", |b| {
            b.iter_custom(|iters| spread(threads, iters, &|| openssl_round_trip(&o, &message)))
        });
        group.finish();
    }
}

criterion_group!(benches, throughput);
criterion_main!(benches);
