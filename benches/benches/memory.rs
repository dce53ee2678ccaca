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
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::process::Command;

use hermes_pki::cert::Certificate;
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
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
}
