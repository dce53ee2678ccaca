//! Memory kept per parsed certificate, hermes-pki beside OpenSSL, in the same process.
//!
//! Each side parses the same PEM certificate `COUNT` times and keeps every parsed object alive
//! (as a gateway's in-memory certificate cache would); the growth of the process's resident
//! set size (Linux `/proc/self/statm`) divided by `COUNT` is the cost per certificate. OpenSSL
//! allocates through `malloc`, not Rust's allocator, so the resident set is the one measure
//! that counts both alike. The two sides run in separate child processes (this binary re-runs
//! itself) so neither inherits the other's freed-but-cached heap.
//!
//! Results go to stdout and to `target/criterion/memory/results.json`, which
//! `scripts/bench-report.py` reads.
//!
//! Second part, peak memory of the S/MIME message layer on a 25 MiB message (a `text/plain`
//! entity of CRLF lines under From/To/Subject/Date): sign (detached, RSA-2048, SHA-256),
//! encrypt (AES-256-CBC to one RSA-2048 recipient) and decrypt, each in a fresh child process:
//! the child prepares its input in memory, resets the kernel's high-water mark of its resident
//! set (`echo 5 > /proc/self/clear_refs`), reads `VmRSS`, runs the operation once and reads
//! `VmHWM`. `VmHWM - VmRSS` is the most memory the operation added at any moment (the input,
//! already in memory, not counted; the output counted when it is a `Vec`). Three ways:
//! - `hermes-pki/<op>`: the in-memory functions (`sign_message`, `encrypt_message`,
//!   `decrypt_message`: a slice in, a `Vec` out);
//! - `hermes-pki/stream-<op>`: the streaming ones (`sign_message_to`, `encrypt_message_to`,
//!   `decrypt_message_to`) reading the slice and writing to a temporary file (the page cache
//!   is not the process's memory);
//! - `openssl/<op>`: OpenSSL's S/MIME functions on the same input (`Pkcs7::sign` /
//!   `Pkcs7::encrypt` in text mode and `to_smime`; `Pkcs7::from_smime` and `decrypt`), what
//!   `openssl smime` does.
//!
//! Then verification (a message signed here, detached and opaque: `verify_message_with`,
//! `verify_message_to` to a temporary file, OpenSSL's `from_smime` and `verify`) and opaque
//! signing (`sign_message`, `sign_message_to`, OpenSSL's `Pkcs7::sign` without `DETACHED`),
//! measured the same way (`VERIFY_SIGN_OPS`), and the gateway:
//!
//! - `hermes-pki/protect` (`Pki::protect`, slice in, `Vec`s out),
//!   `hermes-pki/protect_to` (`Pki::protect_to` to a temporary file; `-2groups`: a second
//!   recipient without a certificate gets the signed message in a second file), signed by an
//!   RSA-2048 sender and encrypted (AES-256-CBC) to an RSA-2048 recipient;
//!   `hermes-pki/open_message` / `hermes-pki/open_from` (to a temporary file) opening what
//!   `protect` made; `openssl/sign-encrypt` and `openssl/decrypt-verify`: `Pkcs7` signing then
//!   encrypting, decrypting then verifying (no chain validation), as `openssl smime` would.
//!
//! The resident set counts Rust's and OpenSSL's `malloc` alike; it also counts buffers freed
//! during the operation but kept by `malloc` for reuse, so these are upper bounds. The results
//! go to `target/criterion/memory/message.json`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::process::Command;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::SystemTime;

use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::{KeySpec, PrivateKey};
use hermes_pki::pki::{MessageGroup, OpenOptions, Opened, Pki, ProtectOptions};
use hermes_pki::settings::{SettingKey, SettingScope};
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, KeyList, SignOptions, SignatureForm,
    SignerPolicy, decrypt_message, decrypt_message_to, encrypt_message, encrypt_message_to,
    sign_message, sign_message_to, verify_message_to, verify_message_with,
};
use hermes_pki::store::MemoryStore;
use hermes_pki::time::SystemClock;
use openssl::pkcs7::{Pkcs7, Pkcs7Flags};
use openssl::pkey::{PKey, Private};
use openssl::stack::Stack;
use openssl::symm::Cipher;
use openssl::x509::X509;

const COUNT: usize = 20_000;

/// An end-user S/MIME certificate made by OpenSSL (EC P-256; subject with emailAddress, SAN with
/// two addresses, key usages, extended key usage, SKI/AKI).
const SAMPLE: &str = include_str!("../../hermes-pki/src/store/testdata/alice.pem");

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("Linux /proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("statm has a resident field");
    // 4 KiB pages on every platform this runs on (x86_64 / aarch64 Linux defaults).
    pages * 4096
}

fn measure(side: &str) -> f64 {
    let pem = SAMPLE.to_string();
    let before = rss_bytes();
    match side {
        "hermes-pki" => {
            let kept: Vec<Certificate> = (0..COUNT)
                .map(|_| Certificate::from_pem(black_box(&pem)).expect("parses"))
                .collect();
            let grown = rss_bytes().saturating_sub(before);
            black_box(&kept);
            grown as f64 / COUNT as f64
        }
        "openssl" => {
            let kept: Vec<X509> = (0..COUNT)
                .map(|_| X509::from_pem(black_box(pem.as_bytes())).expect("parses"))
                .collect();
            let grown = rss_bytes().saturating_sub(before);
            black_box(&kept);
            grown as f64 / COUNT as f64
        }
        other => panic!("unknown side {other}"),
    }
}

/// The size of the message-level measurements.
const MESSAGE_SIZE: usize = 25 * 1024 * 1024;

/// The message-level operations measured.
const MESSAGE_OPS: [&str; 16] = [
    "hermes-pki/sign",
    "hermes-pki/stream-sign",
    "openssl/sign",
    "hermes-pki/encrypt",
    "hermes-pki/stream-encrypt",
    "openssl/encrypt",
    "hermes-pki/decrypt",
    "hermes-pki/stream-decrypt",
    "openssl/decrypt",
    "hermes-pki/protect",
    "hermes-pki/protect_to",
    "hermes-pki/protect_to-2groups",
    "openssl/sign-encrypt",
    "hermes-pki/open_message",
    "hermes-pki/open_from",
    "openssl/decrypt-verify",
];

/// A 25 MiB RFC 5322 message: outer header fields, then a `text/plain` entity of CRLF lines.
fn mail() -> Vec<u8> {
    common::text_message(
        b"From: Alice <user0@example.com>\r\nTo: Bob <user1@example.com>\r\n\
        Subject: Benchmark\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
        Content-Type: text/plain; charset=us-ascii\r\n\r\n",
        MESSAGE_SIZE,
    )
}

/// Rust's allocations counted: the bytes live now, their peak since [`reset_peaks`], and the
/// live bytes then. The resident set size also counts what `malloc` keeps of freed buffers
/// (a `Vec` that grew by doubling leaves its smaller predecessors behind in the heap), so the
/// live peak is the measure of what one operation holds; OpenSSL's allocations go through
/// `malloc` directly and are seen only in the resident set.
struct CountingAlloc;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static BASE: AtomicUsize = AtomicUsize::new(0);

fn grew(n: usize) {
    let now = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: every call is passed to `System` unchanged; only counters are updated around it.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract for `alloc` holds for `System.alloc`.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            grew(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator (from `System`) with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from this allocator (from `System`) with `layout`.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                grew(new_size - layout.size());
            } else {
                LIVE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: CountingAlloc = CountingAlloc;

/// Starts a measurement: resets the kernel's peak resident set size and the live-bytes peak;
/// returns the resident set size now.
fn reset_peaks() -> u64 {
    std::fs::write("/proc/self/clear_refs", "5").expect("resets the peak resident set size");
    let live = LIVE.load(Ordering::Relaxed);
    BASE.store(live, Ordering::Relaxed);
    PEAK.store(live, Ordering::Relaxed);
    status_bytes("VmRSS:")
}

/// The peak of Rust's live bytes since [`reset_peaks`], above what was live then.
fn live_peak() -> u64 {
    (PEAK.load(Ordering::Relaxed) - BASE.load(Ordering::Relaxed)) as u64
}

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

/// An RSA-2048 user made by a hermes-pki CA, and the same as OpenSSL objects.
fn party() -> (Certificate, Arc<PrivateKey>, X509, PKey<Private>) {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    ca.create(
        &CaSpec::new(DistinguishedName::new("Bench S/MIME CA")).key(KeySpec::EcP256),
        &SystemClock,
    )
    .expect("creates a CA");
    let issued = ca
        .issue(
            &IssueSpec::new("user0@example.com", "User 0").key(KeySpec::Rsa(2048)),
            &SystemClock,
        )
        .expect("issues");
    let (cert, key, _, _) = issued.into_parts();
    let o_cert = X509::from_der(cert.der()).expect("OpenSSL reads the certificate");
    let o_key = PKey::private_key_from_pkcs8(&key.to_pkcs8_der().expect("PKCS#8"))
        .expect("OpenSSL reads the key");
    (cert, Arc::new(key), o_cert, o_key)
}

/// A gateway (`Pki` over a memory store) where user0 (sender) and user1 (recipient) have
/// RSA-2048 certificates from its CA, `cipher = aes-cbc` for user1, and the same two as OpenSSL
/// objects (sender, recipient).
struct Gateway {
    pki: Pki,
    sender: (X509, PKey<Private>),
    recipient: (X509, PKey<Private>),
}

fn gateway() -> Gateway {
    let pki = Pki::new(MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Bench Gateway CA")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .expect("creates a CA");
    let mut parties = Vec::new();
    for who in ["user0@example.com", "user1@example.com"] {
        let issued = pki
            .ca()
            .issue(
                &IssueSpec::new(who, who).key(KeySpec::Rsa(2048)),
                &SystemClock,
            )
            .expect("issues");
        let (cert, key, _, _) = issued.into_parts();
        parties.push((
            X509::from_der(cert.der()).expect("OpenSSL reads the certificate"),
            PKey::private_key_from_pkcs8(&key.to_pkcs8_der().expect("PKCS#8"))
                .expect("OpenSSL reads the key"),
        ));
    }
    pki.settings()
        .set_text(
            &SettingScope::user("user1@example.com").expect("an address"),
            SettingKey::Cipher,
            "aes-cbc",
        )
        .expect("sets the cipher");
    let recipient = parties.pop().expect("two parties");
    let sender = parties.pop().expect("two parties");
    Gateway {
        pki,
        sender,
        recipient,
    }
}

/// The gateway operations: `protect` / `protect_to` (signed by user0, encrypted to user1;
/// `-2groups` also to user2, who has no certificate and gets the signed message) and
/// `open_message` / `open_from` on what `protect` made for user1; OpenSSL signing then
/// encrypting (and decrypting then verifying) the same message as `openssl smime` would.
/// Returns the number of bytes produced.
fn measure_gateway(op: &str, g: &Gateway, mail: &[u8], sealed: &[u8]) -> u64 {
    let options = ProtectOptions::new(SystemTime::now());
    let to_file = |_: &MessageGroup| Ok(tempfile::tempfile().expect("a temporary file"));
    match op {
        "hermes-pki/protect" => g
            .pki
            .protect(mail, "user0@example.com", &["user1@example.com"], &options)
            .expect("protects")
            .messages
            .iter()
            .map(|m| m.message.len() as u64)
            .sum(),
        "hermes-pki/protect_to" => g
            .pki
            .protect_to(
                mail,
                "user0@example.com",
                &["user1@example.com"],
                &options,
                to_file,
            )
            .expect("protects")
            .written
            .iter()
            .sum(),
        "hermes-pki/protect_to-2groups" => g
            .pki
            .protect_to(
                mail,
                "user0@example.com",
                &["user1@example.com", "user2@example.com"],
                &options,
                to_file,
            )
            .expect("protects")
            .written
            .iter()
            .sum(),
        "openssl/sign-encrypt" => {
            let none = Stack::new().expect("stack");
            let p7 = Pkcs7::sign(&g.sender.0, &g.sender.1, &none, mail, Pkcs7Flags::DETACHED)
                .expect("signs");
            let signed = p7.to_smime(mail, Pkcs7Flags::DETACHED).expect("S/MIME");
            let mut to = Stack::new().expect("stack");
            to.push(g.recipient.0.clone()).expect("push");
            let p7 = Pkcs7::encrypt(&to, &signed, Cipher::aes_256_cbc(), Pkcs7Flags::BINARY)
                .expect("encrypts");
            p7.to_smime(&signed, Pkcs7Flags::BINARY)
                .expect("S/MIME")
                .len() as u64
        }
        "hermes-pki/open_message" => {
            match g
                .pki
                .open_message(sealed, &OpenOptions::new(SystemTime::now()))
                .expect("opens")
            {
                Opened::Processed(m) => m.message.len() as u64,
                other => panic!("not processed: {}", other.kind()),
            }
        }
        "hermes-pki/open_from" => {
            let report = g
                .pki
                .open_from(
                    sealed,
                    &OpenOptions::new(SystemTime::now()),
                    tempfile::tempfile().expect("a temporary file"),
                )
                .expect("opens");
            assert_eq!(report.kind(), "processed");
            report.written()
        }
        "openssl/decrypt-verify" => {
            let (p7, _) = Pkcs7::from_smime(sealed).expect("OpenSSL reads the message");
            let signed = p7
                .decrypt(&g.recipient.1, &g.recipient.0, Pkcs7Flags::empty())
                .expect("decrypts");
            let (p7, content) = Pkcs7::from_smime(&signed).expect("OpenSSL reads the signed part");
            let mut out = Vec::new();
            let none = Stack::new().expect("stack");
            let store = openssl::x509::store::X509StoreBuilder::new()
                .expect("store")
                .build();
            p7.verify(
                &none,
                &store,
                content.as_deref(),
                Some(&mut out),
                Pkcs7Flags::NOVERIFY,
            )
            .expect("verifies");
            out.len() as u64
        }
        other => panic!("unknown operation {other}"),
    }
}

/// In a child process: prepares the input of `op`, runs it once, returns the peak resident
/// memory it added (bytes).
fn measure_message(op: &str) -> u64 {
    // "/open", not "open": every OpenSSL operation's name starts with "openssl".
    if op.contains("protect")
        || op.contains("/open")
        || op.ends_with("sign-encrypt")
        || op.ends_with("decrypt-verify")
    {
        let g = gateway();
        let mail = mail();
        let sealed = if op.contains("/open") || op.ends_with("decrypt-verify") {
            let p = g
                .pki
                .protect(
                    &mail,
                    "user0@example.com",
                    &["user1@example.com"],
                    &ProtectOptions::new(SystemTime::now()),
                )
                .expect("protects");
            p.messages.into_iter().next().expect("one message").message
        } else {
            Vec::new()
        };
        let before = reset_peaks();
        let out_len = measure_gateway(op, &g, &mail, &sealed);
        let peak = status_bytes("VmHWM:");
        assert!(
            out_len > MESSAGE_SIZE as u64 / 2,
            "{op} produced {out_len} bytes"
        );
        return peak.saturating_sub(before);
    }
    let (cert, key, o_cert, o_key) = party();
    let certs = [cert.clone()];
    let keys = KeyList::new()
        .with(cert.clone(), Arc::clone(&key))
        .expect("key list");
    let cbc = EncryptOptions::new().cipher(ContentCipher::Aes256Cbc);
    let sign_options = SignOptions::new(SystemTime::now());
    let mut o_certs = Stack::new().expect("stack");
    o_certs.push(o_cert.clone()).expect("push");
    let mail = mail();
    let sealed = if op.ends_with("decrypt") {
        encrypt_message(&mail, &certs, &cbc).expect("encrypts")
    } else {
        Vec::new()
    };
    let mut file = tempfile::tempfile().expect("a temporary file");
    let before = reset_peaks();
    // Each arm drops its output before VmHWM is read: the high-water mark has seen it.
    let out_len = match op {
        "hermes-pki/sign" => sign_message(
            &mail,
            &cert,
            &[],
            &*key,
            SignatureForm::Detached,
            &sign_options,
        )
        .expect("signs")
        .len() as u64,
        "hermes-pki/stream-sign" => sign_message_to(
            &mail[..],
            &mut file,
            &cert,
            &[],
            &*key,
            SignatureForm::Detached,
            &sign_options,
        )
        .expect("signs"),
        "openssl/sign" => {
            let none = Stack::new().expect("stack");
            let p7 =
                Pkcs7::sign(&o_cert, &o_key, &none, &mail, Pkcs7Flags::DETACHED).expect("signs");
            p7.to_smime(&mail, Pkcs7Flags::DETACHED)
                .expect("S/MIME")
                .len() as u64
        }
        "hermes-pki/encrypt" => encrypt_message(&mail, &certs, &cbc)
            .expect("encrypts")
            .len() as u64,
        "hermes-pki/stream-encrypt" => {
            encrypt_message_to(&mail[..], &mut file, &certs, &cbc).expect("encrypts")
        }
        "openssl/encrypt" => {
            let p7 = Pkcs7::encrypt(&o_certs, &mail, Cipher::aes_256_cbc(), Pkcs7Flags::empty())
                .expect("encrypts");
            p7.to_smime(&mail, Pkcs7Flags::empty())
                .expect("S/MIME")
                .len() as u64
        }
        "hermes-pki/decrypt" => decrypt_message(&sealed, &keys, &DecryptOptions::new())
            .expect("decrypts")
            .message
            .len() as u64,
        "hermes-pki/stream-decrypt" => {
            decrypt_message_to(&sealed[..], &mut file, &keys, &DecryptOptions::new())
                .expect("decrypts")
                .written
        }
        "openssl/decrypt" => {
            let (p7, _) = Pkcs7::from_smime(&sealed).expect("OpenSSL reads the message");
            p7.decrypt(&o_key, &o_cert, Pkcs7Flags::empty())
                .expect("decrypts")
                .len() as u64
        }
        other => panic!("unknown operation {other}"),
    };
    let peak = status_bytes("VmHWM:");
    assert!(
        out_len > MESSAGE_SIZE as u64 / 2,
        "{op} produced {out_len} bytes"
    );
    peak.saturating_sub(before)
}

/// The message-level verification and opaque signing operations measured (the same way as
/// [`MESSAGE_OPS`]): `verify-*` verifies a message signed here (RSA-2048, SHA-256) in that
/// form; in memory `verify_message_with` (a slice in, a `VerifiedMessage` out), streaming
/// `verify_message_to` (a slice in, the verified message written to a temporary file), OpenSSL
/// `Pkcs7::from_smime` and `verify` (no chain check, the content to a `Vec`). `sign-opaque`:
/// `sign_message` / `sign_message_to` in the opaque form, OpenSSL `Pkcs7::sign` without
/// `DETACHED` and `to_smime`.
const VERIFY_SIGN_OPS: [&str; 9] = [
    "hermes-pki/verify-detached",
    "hermes-pki/stream-verify-detached",
    "openssl/verify-detached",
    "hermes-pki/verify-opaque",
    "hermes-pki/stream-verify-opaque",
    "openssl/verify-opaque",
    "hermes-pki/sign-opaque",
    "hermes-pki/stream-sign-opaque",
    "openssl/sign-opaque",
];

/// In a child process: prepares the input of one of [`VERIFY_SIGN_OPS`], runs it once, returns
/// the peak resident memory it added (bytes), as [`measure_message`] does.
fn measure_verify_sign(op: &str) -> u64 {
    let (cert, key, o_cert, o_key) = party();
    let sign_options = SignOptions::new(SystemTime::now());
    let mail = mail();
    let form = if op.ends_with("opaque") {
        SignatureForm::Opaque
    } else {
        SignatureForm::Detached
    };
    let signed = if op.contains("verify") {
        sign_message(&mail, &cert, &[], &*key, form, &sign_options).expect("signs")
    } else {
        Vec::new()
    };
    let mut o_certs = Stack::new().expect("stack");
    o_certs.push(o_cert.clone()).expect("push");
    let o_store = openssl::x509::store::X509StoreBuilder::new()
        .expect("store")
        .build();
    let mut file = tempfile::tempfile().expect("a temporary file");
    let before = reset_peaks();
    // Each arm drops its output before VmHWM is read: the high-water mark has seen it.
    let out_len = match op {
        "hermes-pki/verify-detached" | "hermes-pki/verify-opaque" => {
            let v = verify_message_with(&signed, &[], &SignerPolicy::new()).expect("verifies");
            assert!(v.signed.all_signatures_valid());
            v.message.len() as u64
        }
        "hermes-pki/stream-verify-detached" | "hermes-pki/stream-verify-opaque" => {
            let info = verify_message_to(&signed[..], &mut file, &[], &SignerPolicy::new())
                .expect("verifies");
            assert!(info.all_signatures_valid());
            info.written
        }
        "openssl/verify-detached" | "openssl/verify-opaque" => {
            let (p7, content) = Pkcs7::from_smime(&signed).expect("OpenSSL reads the message");
            let mut out = Vec::new();
            p7.verify(
                &o_certs,
                &o_store,
                content.as_deref(),
                Some(&mut out),
                Pkcs7Flags::NOVERIFY,
            )
            .expect("verifies");
            out.len() as u64
        }
        "hermes-pki/sign-opaque" => sign_message(&mail, &cert, &[], &*key, form, &sign_options)
            .expect("signs")
            .len() as u64,
        "hermes-pki/stream-sign-opaque" => {
            sign_message_to(&mail[..], &mut file, &cert, &[], &*key, form, &sign_options)
                .expect("signs")
        }
        "openssl/sign-opaque" => {
            let none = Stack::new().expect("stack");
            let p7 =
                Pkcs7::sign(&o_cert, &o_key, &none, &mail, Pkcs7Flags::empty()).expect("signs");
            p7.to_smime(&mail, Pkcs7Flags::empty())
                .expect("S/MIME")
                .len() as u64
        }
        other => panic!("unknown operation {other}"),
    };
    let peak = status_bytes("VmHWM:");
    assert!(
        out_len > MESSAGE_SIZE as u64 / 2,
        "{op} produced {out_len} bytes"
    );
    peak.saturating_sub(before)
}

/// Runs every message-level measurement in a child process and reports them.
fn message_report(exe: &std::path::Path) {
    println!("peak memory added by one operation on a 25 MiB message (VmHWM - VmRSS before):");
    let mut json = Vec::new();
    for op in MESSAGE_OPS.iter().chain(&VERIFY_SIGN_OPS) {
        let out = Command::new(exe)
            .args(["--message-memory", op])
            .output()
            .expect("re-runs itself");
        assert!(
            out.status.success(),
            "{op} measurement failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let mut numbers = text
            .split_whitespace()
            .map(|n| n.parse::<u64>().expect("a number of bytes"));
        let (bytes, live) = (numbers.next().expect("rss"), numbers.next().expect("live"));
        let copies = |b: u64| b as f64 / MESSAGE_SIZE as f64;
        // OpenSSL allocates with malloc: only the resident set sees it.
        let live_text = if op.starts_with("openssl/") {
            "-".to_string()
        } else {
            format!("{:.2}", copies(live))
        };
        println!(
            "  memory/message/{op:30} {:8.1} MiB  ({:.2} copies of the message; live: {live_text})",
            bytes as f64 / 1048576.0,
            copies(bytes)
        );
        json.push(format!("\"{op}/live\": {live}"));
        json.push(format!("\"{op}\": {bytes}"));
    }
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion/memory");
    std::fs::create_dir_all(&dir).expect("create result dir");
    std::fs::write(
        dir.join("message.json"),
        format!(
            "{{\"message_bytes\": {MESSAGE_SIZE}, {}}}\n",
            json.join(", ")
        ),
    )
    .expect("write results");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(pos) = args.iter().position(|a| a == "--message-memory") {
        let op = &args[pos + 1];
        let rss = if VERIFY_SIGN_OPS.contains(&op.as_str()) {
            measure_verify_sign(op)
        } else {
            measure_message(op)
        };
        println!("{rss} {}", live_peak());
        return;
    }
    if args.iter().any(|a| a == "message") {
        // `cargo bench --bench memory -- message`: the message-level part only.
        message_report(&std::env::current_exe().expect("own path"));
        return;
    }
    if let Some(pos) = args.iter().position(|a| a == "--side") {
        let side = &args[pos + 1];
        println!("{}", measure(side));
        return;
    }
    // `cargo bench` passes `--bench` (and a filter, if any); run each side in a child.
    let exe = std::env::current_exe().expect("own path");
    let run = |side: &str| -> f64 {
        let out = Command::new(&exe)
            .args(["--side", side])
            .output()
            .expect("re-run self");
        assert!(out.status.success(), "{side} measurement failed");
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a number")
    };
    let ours = run("hermes-pki");
    let theirs = run("openssl");
    println!(
        "memory/parsed_certificate: hermes-pki {ours:.0} B, openssl {theirs:.0} B, ratio {:.2} \
         ({COUNT} certificates kept)",
        ours / theirs
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion/memory");
    std::fs::create_dir_all(&dir).expect("create result dir");
    std::fs::write(
        dir.join("results.json"),
        format!(
            "{{\"parsed_certificate\": {{\"hermes-pki\": {ours}, \"openssl\": {theirs}, \"count\": {COUNT}}}}}\n"
        ),
    )
    .expect("write results");
    message_report(&exe);
}
