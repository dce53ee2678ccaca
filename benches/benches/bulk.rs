//! Bulk certificate requests (issue 15): `ROWS` CSV rows issued by hermes-pki
//! (`request::bulk`: preview, then one store transaction per row into a SQLite store, with
//! the key sealed and the request recorded), side by side with the same work done by a loop of
//! `openssl req -new -newkey` + `openssl x509 -req` (a new key, a PKCS#10 and a certificate
//! signed by a CA per row, written to files). EC P-256 keys on both sides, to keep the run
//! within minutes.
//!
//! Not a criterion benchmark: each side runs once (10,000 rows take minutes), so the numbers
//! are as noisy as the machine. `HERMES_BULK_ROWS` changes the number of rows (default 10,000);
//! `HERMES_BULK_OPENSSL=0` skips the OpenSSL side. Run with `cargo bench --bench bulk`.
//! The peak memory is the benchmark process's high-water mark (`VmHWM` of
//! `/proc/self/status`) after the hermes-pki side, which runs first.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::process::Command;
use std::time::Instant;

use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName};
use hermes_pki::key::KeySpec;
use hermes_pki::request::bulk::{self, BulkOptions};
use hermes_pki::request::{RequestOptions, Requests};
use hermes_pki::store::SqliteStore;
use hermes_pki::time::SystemClock;

fn rows() -> usize {
    std::env::var("HERMES_BULK_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000)
}

fn peak_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

fn openssl(dir: &std::path::Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command");
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn main() {
    let n = rows();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // hermes-pki: a CSV file of n rows, previewed and issued into a SQLite store.
    let mut csv = String::from("EMAIL,COMMONNAME,ORGANISATION\n");
    for i in 0..n {
        let _ = writeln!(csv, "user{i}@example.com,User {i},Example Org");
    }
    let store = SqliteStore::open_default(d.join("store")).unwrap();
    CertificateAuthority::new(&store)
        .create(
            &CaSpec::new(DistinguishedName::new("Bulk Bench CA")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
    let options = BulkOptions::new(RequestOptions::new("", "").key(KeySpec::EcP256));
    let started = Instant::now();
    let plan = bulk::preview(&store, csv.as_bytes(), &options, &SystemClock).unwrap();
    let planned = started.elapsed();
    assert_eq!(plan.rows().len(), n);
    let report = bulk::run(&Requests::new(&store), &plan, &SystemClock, &mut |_, _| {}).unwrap();
    let ours = started.elapsed();
    assert_eq!(report.issued().len(), n);
    drop(report);
    let peak = peak_kib();
    println!(
        "hermes-pki: {n} rows in {:.1} s (preview {:.2} s): {:.0} certificates/s; peak memory {:.1} MiB",
        ours.as_secs_f64(),
        planned.as_secs_f64(),
        n as f64 / ours.as_secs_f64(),
        peak as f64 / 1024.0
    );

    if std::env::var("HERMES_BULK_OPENSSL").as_deref() == Ok("0") {
        return;
    }
    // OpenSSL: the same work, one row at a time.
    let od = d.join("openssl");
    std::fs::create_dir(&od).unwrap();
    openssl(
        &od,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=Bulk Bench CA",
            "-days",
            "365",
        ],
    );
    let started = Instant::now();
    for i in 0..n {
        let subject = format!("/CN=User {i}/O=Example Org/emailAddress=user{i}@example.com");
        let san = format!("subjectAltName=email:user{i}@example.com");
        let (key, req, cert) = (format!("{i}.key"), format!("{i}.csr"), format!("{i}.pem"));
        openssl(
            &od,
            &[
                "req",
                "-new",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                &key,
                "-out",
                &req,
                "-subj",
                &subject,
                "-addext",
                &san,
            ],
        );
        openssl(
            &od,
            &[
                "x509",
                "-req",
                "-in",
                &req,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-days",
                "365",
                "-copy_extensions",
                "copy",
                "-set_serial",
                &(1000 + i).to_string(),
                "-out",
                &cert,
            ],
        );
    }
    let theirs = started.elapsed();
    println!(
        "openssl req + x509 -req loop: {n} rows in {:.1} s: {:.0} certificates/s",
        theirs.as_secs_f64(),
        n as f64 / theirs.as_secs_f64()
    );
    println!(
        "ratio: hermes-pki is {:.1}x the throughput of the openssl loop",
        theirs.as_secs_f64() / ours.as_secs_f64()
    );
}
