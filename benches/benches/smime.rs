//! S/MIME, hermes-pki beside OpenSSL's CMS (the `openssl` crate) in the same run.
//!
//! The content is a MIME entity of 4 KiB, 1 MiB and 25 MiB (a `text/plain` header and CRLF
//! text lines). The signer is an RSA-2048 key made by hermes-pki's CA and exported to OpenSSL as
//! PKCS#8 DER, so both sides sign with the same key and certificate; the recipients are ten
//! RSA-2048 certificates from the same CA. Every message is checked on the other side before
//! anything is timed (OpenSSL verifies and decrypts hermes-pki's messages and the reverse).
//!
//! Groups `smime_<operation>_<size>`, each with a `hermes-pki` and an `openssl` function:
//! - `sign`: a detached SignedData (SHA-256, RSA PKCS#1 v1.5, signed attributes contentType,
//!   signingTime, messageDigest and smimeCapabilities, the signer certificate included), DER
//!   out. hermes-pki: `sign_data`; OpenSSL: `CmsContentInfo::sign` (`DETACHED | BINARY`) and
//!   `to_der`.
//! - `verify`: the detached signature made by hermes-pki, with the content. hermes-pki:
//!   `verify_data` (parse, messageDigest, signature; no path validation); OpenSSL:
//!   `CmsContentInfo::from_der` and `verify` (`BINARY | NO_SIGNER_CERT_VERIFY`: no path
//!   validation either).
//! - `encrypt1` / `encrypt10`: EnvelopedData with AES-256-CBC to 1 / 10 recipients, RSA
//!   PKCS#1 v1.5 key transport, DER out. hermes-pki: `encrypt_data`; OpenSSL:
//!   `CmsContentInfo::encrypt` (`BINARY`) and `to_der`.
//! - `decrypt`: the one-recipient message made by hermes-pki. hermes-pki: `decrypt_data`
//!   (constant-time PKCS#1 v1.5 with implicit rejection); OpenSSL: `CmsContentInfo::from_der`
//!   and `decrypt`.
//! - `smime_rsa2048_private_op`: the RSA-2048 private-key operation alone (a PKCS#1 v1.5
//!   SHA-256 signature over 32 bytes): hermes-pki's `Signer::sign` (its own fixed-width CRT
//!   operation, blinded, result checked) beside `openssl::sign::Signer`. It is the fixed cost
//!   of every `sign` and `decrypt`.
//! - `smime_message_sign_1MB` / `smime_message_encrypt_1MB`: the same at the MIME level, an RFC
//!   5322 message in, an S/MIME message out. hermes-pki: `sign_message` (detached:
//!   `multipart/signed`) / `encrypt_message` (split off the outer header, canonical form,
//!   CMS, base64); OpenSSL: `Pkcs7::sign` / `Pkcs7::encrypt` in text mode (CRLF
//!   canonicalisation) and `to_smime`, what `openssl smime -sign` / `-encrypt` do.
//!
//! Peak memory (not timed by criterion): with `cargo bench`, before the timed groups, this
//! binary re-runs itself once per side and operation on the 25 MiB content (each in a fresh
//! process, so neither side inherits the other's heap). The child prepares its inputs, resets
//! the kernel's high-water mark of its resident set (`echo 5 > /proc/self/clear_refs`), reads
//! `VmRSS` from `/proc/self/status`, runs the operation once and reads `VmHWM` (the
//! high-water mark has seen the output, which is dropped by then). `VmHWM - VmRSS` is the most
//! memory the operation added at any moment (input not counted, output counted). The resident
//! set counts Rust's and OpenSSL's `malloc` alike; it also counts buffers freed during the
//! operation but kept by `malloc` for reuse, so "copies held" read from it is an upper bound.
//! The results go to stdout and `target/criterion/smime-memory/results.json`.
#![allow(missing_docs, clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::hint::black_box;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, SamplingMode, Throughput, criterion_group};
use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme, Signer};
use hermes_pki::smime::{
    DecryptOptions, Decrypted, EncryptOptions, KeyList, SignOptions, SignatureForm, decrypt_data,
    decrypt_message, encrypt_data, encrypt_message, sign_data, sign_message, verify_data,
};
use hermes_pki::store::MemoryStore;
use hermes_pki::time::SystemClock;
use openssl::cms::{CMSOptions, CmsContentInfo};
use openssl::hash::MessageDigest;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::X509;
use openssl::x509::store::X509StoreBuilder;

const SIZES: [(&str, usize); 3] = [
    ("4KB", 4 * 1024),
    ("1MB", 1024 * 1024),
    ("25MB", 25 * 1024 * 1024),
];

/// A `text/plain` MIME entity of exactly `size` bytes, CRLF lines.
fn entity(size: usize) -> Vec<u8> {
    let mut e = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n".to_vec();
    let mut i = 0u64;
    while e.len() < size {
        e.extend_from_slice(
            format!("Line {i:08}: the quick brown fox jumps over the lazy dog.\r\n").as_bytes(),
        );
        i += 1;
    }
    e.truncate(size);
    e
}

/// `entity` as a whole RFC 5322 message (outer header fields, then the entity), CRLF.
fn message(entity: &[u8]) -> Vec<u8> {
    let mut m = b"From: Alice <user0@example.com>\r\nTo: Bob <user1@example.com>\r\n\
        Subject: Benchmark\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        .to_vec();
    m.extend_from_slice(entity);
    m
}

/// One party on both sides: hermes-pki's certificate and key, and the same as OpenSSL objects.
struct Party {
    cert: Certificate,
    key: Arc<PrivateKey>,
    o_cert: X509,
    o_key: PKey<Private>,
}

/// `count` RSA-2048 users issued by a hermes-pki CA (an EC P-256 root).
fn parties(count: usize) -> Vec<Party> {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    ca.create(
        &CaSpec::new(DistinguishedName::new("Bench S/MIME CA")).key(KeySpec::EcP256),
        &SystemClock,
    )
    .expect("creates a CA");
    (0..count)
        .map(|i| {
            let issued = ca
                .issue(
                    &IssueSpec::new(format!("user{i}@example.com"), format!("User {i}"))
                        .key(KeySpec::Rsa(2048)),
                    &SystemClock,
                )
                .expect("issues");
            let (cert, key, _, _) = issued.into_parts();
            let o_cert = X509::from_der(cert.der()).expect("OpenSSL reads the certificate");
            let o_key = PKey::private_key_from_pkcs8(&key.to_pkcs8_der().expect("PKCS#8"))
                .expect("OpenSSL reads the PKCS#8 key");
            Party {
                cert,
                key: Arc::new(key),
                o_cert,
                o_key,
            }
        })
        .collect()
}

fn x509_stack(parties: &[Party]) -> Stack<X509> {
    let mut s = Stack::new().expect("stack");
    for p in parties {
        s.push(p.o_cert.clone()).expect("push");
    }
    s
}

// --- one operation per side, as timed ----------------------------------------------------------

fn hermes_sign(content: &[u8], signer: &Party) -> Vec<u8> {
    sign_data(
        content,
        &signer.cert,
        &[],
        &*signer.key,
        true,
        &SignOptions::new(SystemTime::now()),
    )
    .expect("signs")
}

fn openssl_sign(content: &[u8], signer: &Party) -> Vec<u8> {
    CmsContentInfo::sign(
        Some(&signer.o_cert),
        Some(&signer.o_key),
        None,
        Some(content),
        CMSOptions::DETACHED | CMSOptions::BINARY,
    )
    .expect("signs")
    .to_der()
    .expect("DER")
}

fn hermes_verify(der: &[u8], content: &[u8]) -> bool {
    verify_data(der, Some(content), &[])
        .expect("parses")
        .all_signatures_valid()
}

fn openssl_verify(der: &[u8], content: &[u8]) -> bool {
    let mut cms = CmsContentInfo::from_der(der).expect("parses");
    cms.verify(
        None,
        None,
        Some(content),
        None,
        CMSOptions::BINARY | CMSOptions::NO_SIGNER_CERT_VERIFY,
    )
    .is_ok()
}

fn aes256_cbc() -> EncryptOptions {
    EncryptOptions::new().cipher(hermes_pki::smime::ContentCipher::Aes256Cbc)
}

fn hermes_encrypt(content: &[u8], to: &[Certificate]) -> Vec<u8> {
    encrypt_data(content, to, &aes256_cbc()).expect("encrypts")
}

fn openssl_encrypt(content: &[u8], to: &Stack<X509>) -> Vec<u8> {
    CmsContentInfo::encrypt(to, content, Cipher::aes_256_cbc(), CMSOptions::BINARY)
        .expect("encrypts")
        .to_der()
        .expect("DER")
}

fn hermes_decrypt(der: &[u8], keys: &KeyList) -> Decrypted {
    decrypt_data(der, keys, &DecryptOptions::new()).expect("decrypts")
}

fn openssl_decrypt(der: &[u8], me: &Party) -> Vec<u8> {
    CmsContentInfo::from_der(der)
        .expect("parses")
        .decrypt(&me.o_key, &me.o_cert)
        .expect("decrypts")
}

fn hermes_sign_message(message: &[u8], signer: &Party) -> Vec<u8> {
    sign_message(
        message,
        &signer.cert,
        &[],
        &*signer.key,
        SignatureForm::Detached,
        &SignOptions::new(SystemTime::now()),
    )
    .expect("signs")
}

fn openssl_sign_message(entity: &[u8], signer: &Party) -> Vec<u8> {
    let none = Stack::new().expect("stack");
    let p7 = Pkcs7::sign(
        &signer.o_cert,
        &signer.o_key,
        &none,
        entity,
        Pkcs7Flags::DETACHED,
    )
    .expect("signs");
    p7.to_smime(entity, Pkcs7Flags::DETACHED).expect("S/MIME")
}

fn hermes_encrypt_message(message: &[u8], to: &[Certificate]) -> Vec<u8> {
    encrypt_message(message, to, &aes256_cbc()).expect("encrypts")
}

fn openssl_encrypt_message(entity: &[u8], to: &Stack<X509>) -> Vec<u8> {
    let p7 =
        Pkcs7::encrypt(to, entity, Cipher::aes_256_cbc(), Pkcs7Flags::empty()).expect("encrypts");
    p7.to_smime(entity, Pkcs7Flags::empty()).expect("S/MIME")
}

// --- the timed groups --------------------------------------------------------------------------

fn group_settings(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    size: usize,
) {
    group.throughput(Throughput::Bytes(size as u64));
    group.sample_size(10);
    group.sampling_mode(SamplingMode::Flat);
    if size > 4 * 1024 * 1024 {
        group.warm_up_time(Duration::from_millis(500));
        group.measurement_time(Duration::from_secs(4));
    } else {
        group.warm_up_time(Duration::from_millis(300));
        group.measurement_time(Duration::from_secs(2));
    }
}

fn smime(c: &mut Criterion) {
    let parties = parties(10);
    let signer = &parties[0];
    let all_certs: Vec<Certificate> = parties.iter().map(|p| p.cert.clone()).collect();
    let o_all = x509_stack(&parties);
    let o_one = x509_stack(&parties[..1]);
    let keys = KeyList::new()
        .with(signer.cert.clone(), Arc::clone(&signer.key))
        .expect("key list");

    for (name, size) in SIZES {
        let content = entity(size);

        // Each side reads the other's messages before anything is timed.
        let ours = hermes_sign(&content, signer);
        let theirs = openssl_sign(&content, signer);
        assert!(
            openssl_verify(&ours, &content),
            "OpenSSL verifies hermes-pki's signature"
        );
        assert!(
            hermes_verify(&theirs, &content),
            "hermes-pki verifies OpenSSL's signature"
        );
        let sealed = hermes_encrypt(&content, &all_certs[..1]);
        let o_sealed = openssl_encrypt(&content, &o_one);
        assert!(
            openssl_decrypt(&sealed, signer) == content,
            "OpenSSL decrypts hermes-pki's"
        );
        assert!(
            *hermes_decrypt(&o_sealed, &keys).content == content,
            "hermes-pki decrypts OpenSSL's"
        );
        let sealed10 = hermes_encrypt(&content, &all_certs);
        assert!(openssl_decrypt(&sealed10, &parties[9]) == content);

        let mut group = c.benchmark_group(format!("smime_sign_{name}"));
        group_settings(&mut group, size);
        group.bench_function("hermes-pki", |b| {
            b.iter(|| hermes_sign(black_box(&content), signer))
        });
        group.bench_function("openssl", |b| {
            b.iter(|| openssl_sign(black_box(&content), signer))
        });
        group.finish();

        let mut group = c.benchmark_group(format!("smime_verify_{name}"));
        group_settings(&mut group, size);
        group.bench_function("hermes-pki", |b| {
            b.iter(|| assert!(hermes_verify(black_box(&ours), &content)))
        });
        group.bench_function("openssl", |b| {
            b.iter(|| assert!(openssl_verify(black_box(&ours), &content)))
        });
        group.finish();

        for (label, to, o_to) in [
            ("encrypt1", &all_certs[..1], &o_one),
            ("encrypt10", &all_certs[..], &o_all),
        ] {
            let mut group = c.benchmark_group(format!("smime_{label}_{name}"));
            group_settings(&mut group, size);
            group.bench_function("hermes-pki", |b| {
                b.iter(|| hermes_encrypt(black_box(&content), to))
            });
            group.bench_function("openssl", |b| {
                b.iter(|| openssl_encrypt(black_box(&content), o_to))
            });
            group.finish();
        }

        let mut group = c.benchmark_group(format!("smime_decrypt_{name}"));
        group_settings(&mut group, size);
        group.bench_function("hermes-pki", |b| {
            b.iter(|| hermes_decrypt(black_box(&sealed), &keys))
        });
        group.bench_function("openssl", |b| {
            b.iter(|| openssl_decrypt(black_box(&sealed), signer))
        });
        group.finish();
    }

    // The MIME level, 1 MiB.
    let (name, size) = SIZES[1];
    let content = entity(size);
    let mail = message(&content);
    let signed = hermes_sign_message(&mail, signer);
    let o_signed = openssl_sign_message(&content, signer);
    let (p7, detached) = Pkcs7::from_smime(&signed).expect("OpenSSL reads hermes-pki's message");
    assert!(detached.as_deref() == Some(content.as_slice()));
    let no_anchors = X509StoreBuilder::new().expect("store").build();
    p7.verify(
        &Stack::new().expect("stack"),
        &no_anchors,
        detached.as_deref(),
        None,
        Pkcs7Flags::NOVERIFY,
    )
    .expect("OpenSSL verifies hermes-pki's message");
    assert!(
        hermes_pki::smime::verify_message(&o_signed, &[])
            .expect("hermes-pki reads OpenSSL's message")
            .signed
            .all_signatures_valid()
    );
    let sealed = hermes_encrypt_message(&mail, &all_certs[..1]);
    let opened = decrypt_message(&sealed, &keys, &DecryptOptions::new()).expect("decrypts");
    assert!(*opened.inner == content);

    let mut group = c.benchmark_group(format!("smime_message_sign_{name}"));
    group_settings(&mut group, size);
    group.bench_function("hermes-pki", |b| {
        b.iter(|| hermes_sign_message(black_box(&mail), signer))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| openssl_sign_message(black_box(&content), signer))
    });
    group.finish();

    let mut group = c.benchmark_group(format!("smime_message_encrypt_{name}"));
    group_settings(&mut group, size);
    group.bench_function("hermes-pki", |b| {
        b.iter(|| hermes_encrypt_message(black_box(&mail), &all_certs[..1]))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| openssl_encrypt_message(black_box(&content), &o_one))
    });
    group.finish();
}

/// The RSA-2048 private-key operation alone (PKCS#1 v1.5 signature over SHA-256 of 32 bytes),
/// the fixed cost in every `sign` and `decrypt` above.
fn rsa_private_op(c: &mut Criterion) {
    let parties = parties(1);
    let me = &parties[0];
    let data = [7u8; 32];
    let scheme = SignatureScheme::RsaPkcs1v15(HashAlg::Sha256);
    let ours = Signer::sign(&*me.key, scheme, &data).expect("signs");
    let mut theirs =
        openssl::sign::Signer::new(MessageDigest::sha256(), &me.o_key).expect("signer");
    theirs.update(&data).expect("update");
    // PKCS#1 v1.5 is deterministic: the same key gives the same signature on both sides.
    assert!(theirs.sign_to_vec().expect("signs") == ours);

    let mut group = c.benchmark_group("smime_rsa2048_private_op");
    group_settings(&mut group, data.len());
    group.bench_function("hermes-pki", |b| {
        b.iter(|| Signer::sign(&*me.key, scheme, black_box(&data)).expect("signs"))
    });
    group.bench_function("openssl", |b| {
        b.iter(|| {
            let mut s =
                openssl::sign::Signer::new(MessageDigest::sha256(), &me.o_key).expect("signer");
            s.update(black_box(&data)).expect("update");
            s.sign_to_vec().expect("signs")
        })
    });
    group.finish();
}

criterion_group!(benches, smime, rsa_private_op);

// --- peak memory -------------------------------------------------------------------------------

/// The operations whose peak memory is measured, on the 25 MiB content.
const MEMORY_OPS: [&str; 9] = [
    "hermes-pki/sign",
    "openssl/sign",
    "hermes-pki/encrypt",
    "openssl/encrypt",
    "hermes-pki/decrypt",
    "openssl/decrypt",
    "hermes-pki/message-sign",
    "hermes-pki/message-encrypt",
    "hermes-pki/message-decrypt",
];

/// A `kB` field of `/proc/self/status`, in bytes.
fn status_bytes(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no {field} in /proc/self/status"))
        * 1024
}

/// In a child process: prepares the inputs of `op`, then runs it once and returns the peak
/// resident memory it added (bytes).
fn measure(op: &str) -> u64 {
    let parties = parties(1);
    let me = &parties[0];
    let certs = [me.cert.clone()];
    let o_certs = x509_stack(&parties);
    let keys = KeyList::new()
        .with(me.cert.clone(), Arc::clone(&me.key))
        .expect("key list");
    let content = entity(SIZES[2].1);
    let mail = message(&content);
    let sealed = match op {
        "hermes-pki/decrypt" | "openssl/decrypt" => hermes_encrypt(&content, &certs),
        "hermes-pki/message-decrypt" => hermes_encrypt_message(&mail, &certs),
        _ => Vec::new(),
    };
    std::fs::write("/proc/self/clear_refs", "5").expect("resets the peak resident set size");
    let before = status_bytes("VmRSS:");
    // Each arm drops its output before VmHWM is read: the high-water mark has seen it.
    let out_len = match op {
        "hermes-pki/sign" => hermes_sign(&content, me).len(),
        "openssl/sign" => openssl_sign(&content, me).len(),
        "hermes-pki/encrypt" => hermes_encrypt(&content, &certs).len(),
        "openssl/encrypt" => openssl_encrypt(&content, &o_certs).len(),
        "hermes-pki/decrypt" => hermes_decrypt(&sealed, &keys).content.len(),
        "openssl/decrypt" => openssl_decrypt(&sealed, me).len(),
        "hermes-pki/message-sign" => hermes_sign_message(&mail, me).len(),
        "hermes-pki/message-encrypt" => hermes_encrypt_message(&mail, &certs).len(),
        "hermes-pki/message-decrypt" => decrypt_message(&sealed, &keys, &DecryptOptions::new())
            .expect("decrypts")
            .message
            .len(),
        other => panic!("unknown operation {other}"),
    };
    let peak = status_bytes("VmHWM:");
    black_box(out_len);
    peak.saturating_sub(before)
}

/// Runs every measurement in a child process and reports them.
fn memory_report() {
    let exe = std::env::current_exe().expect("own path");
    let size = SIZES[2].1 as f64;
    let mut json = Vec::new();
    println!("peak memory added by one operation on a 25 MiB message (VmHWM - VmRSS before):");
    for op in MEMORY_OPS {
        let out = Command::new(&exe)
            .args(["--smime-memory", op])
            .output()
            .expect("re-runs itself");
        assert!(
            out.status.success(),
            "{op} measurement failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bytes: u64 = String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a number of bytes");
        println!(
            "  {op:28} {:8.1} MiB  ({:.2} x the message)",
            bytes as f64 / 1048576.0,
            bytes as f64 / size
        );
        json.push(format!("\"{op}\": {bytes}"));
    }
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion/smime-memory");
    std::fs::create_dir_all(&dir).expect("creates the result directory");
    std::fs::write(
        dir.join("results.json"),
        format!(
            "{{\"message_bytes\": {}, {}}}\n",
            SIZES[2].1,
            json.join(", ")
        ),
    )
    .expect("writes the results");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--smime-memory") {
        println!("{}", measure(&args[i + 1]));
        return;
    }
    // `cargo bench` passes `--bench`; `cargo test --benches` does not (then only a quick run).
    // The memory report is skipped when profiling or when a filter leaves it out.
    let filters: Vec<&String> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wanted = filters.is_empty() || filters.iter().any(|f| "smime-memory".contains(f.as_str()));
    if args.iter().any(|a| a == "--bench") && !args.iter().any(|a| a == "--profile-time") && wanted
    {
        memory_report();
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
