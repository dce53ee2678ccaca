//! Hostile inputs (issue 20): each answered with a clear error (or, for the CRL, a bounded
//! parse), in time linear in its size, with the peak memory of the process that handled it.
//!
//! Not timed in tests: measured here and reported in the README ("Security"). Every case runs
//! at two sizes, each in its own child process (this binary re-runs itself) so that the peak
//! resident set size (`VmHWM` of `/proc/self/status`) is that case's alone. The time is the
//! best of three means (each over as many runs as fill 100 ms); "x2 size" is the time ratio of
//! the full size to half of it (about 2 for linear work).
//!
//! Run: `cargo bench -p hermes-pki-benches --bench hostile`.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::process::Command;
use std::time::{Duration, Instant};

use hermes_pki::cert::Certificate;
use hermes_pki::crl::Crl;
use hermes_pki::key::PrivateKey;
use hermes_pki::smime::{verify_data, verify_message};

/// A DER element with a definite length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

const OID_SIGNED_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];
const OID_DATA: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
];
const ECDSA_SHA256: &[u8] = &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];

fn name(cn: &str) -> Vec<u8> {
    let atv = der(
        0x30,
        &[
            &[0x06, 0x03, 0x55, 0x04, 0x03][..],
            &der(0x0c, cn.as_bytes()),
        ]
        .concat(),
    );
    der(0x30, &der(0x31, &atv))
}

/// The inputs, by case and size (`full` = the size the issue names; half of it otherwise).
fn input(case: &str, full: bool) -> Vec<u8> {
    let scale = |n: usize| if full { n } else { n / 2 };
    match case {
        // A 10 MB multipart/signed body of '-' with the longest boundary allowed (70 '-'; a
        // longer one is refused at once).
        "boundary" => {
            let b = "-".repeat(70);
            let mut m = format!(
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=\"{b}\"\r\n\r\n"
            )
            .into_bytes();
            m.extend(std::iter::repeat_n(b'-', scale(10_000_000)));
            m
        }
        // Numbered RFC 2231 parameters in Content-Type (mail-parser merges continuations in
        // quadratic time): 100,000 of them, and 20,000 (within the header-block limit, so that
        // the parameter limit answers).
        "rfc2231" | "rfc2231-in-block" => {
            let n = if case == "rfc2231" {
                scale(100_000)
            } else {
                scale(20_000)
            };
            let params: String = (0..n).map(|i| format!("; a{i}*1=x")).collect();
            format!("From: a@example.com\r\nContent-Type: multipart/signed{params}; boundary=b\r\n\r\n--b--\r\n")
                .into_bytes()
        }
        // A multipart/signed with 10,000 parts.
        "parts" => {
            let mut m = String::from(
                "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n",
            );
            for _ in 0..scale(10_000) {
                m.push_str("--b\r\nContent-Type: text/plain\r\n\r\nx\r\n");
            }
            m.push_str("--b--\r\n");
            m.into_bytes()
        }
        // A SignedData with 100,000 empty certificates.
        "signeddata-certs" => {
            let certs = der(0xA0, &[0x30, 0x00].repeat(scale(100_000)));
            let sd = der(
                0x30,
                &[
                    &[0x02, 0x01, 0x01][..],
                    &[0x31, 0x00],
                    &der(0x30, OID_DATA),
                    &certs,
                    &[0x31, 0x00],
                ]
                .concat(),
            );
            der(0x30, &[OID_SIGNED_DATA, &der(0xA0, &sd)].concat())
        }
        // A certificate with 100,000 subjectAltName entries.
        "san" => {
            let names: Vec<u8> = (0..scale(100_000))
                .flat_map(|i| der(0x81, format!("u{i}@example.com").as_bytes()))
                .collect();
            let san = der(
                0x30,
                &[
                    &[0x06, 0x03, 0x55, 0x1d, 0x11][..],
                    &der(0x04, &der(0x30, &names)),
                ]
                .concat(),
            );
            let mut point = vec![0x04];
            point.extend_from_slice(&[1u8; 64]);
            let spki = der(
                0x30,
                &[
                    &der(
                        0x30,
                        &[
                            &[0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01][..],
                            &[0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07],
                        ]
                        .concat(),
                    )[..],
                    &der(0x03, &[&[0u8][..], &point].concat()),
                ]
                .concat(),
            );
            let validity = der(
                0x30,
                &[der(0x17, b"260101000000Z"), der(0x17, b"270101000000Z")].concat(),
            );
            let tbs = der(
                0x30,
                &[
                    der(0xA0, &[0x02, 0x01, 0x02]),
                    vec![0x02, 0x01, 0x01],
                    der(0x30, ECDSA_SHA256),
                    name("Hostile CA"),
                    validity,
                    name("Hostile"),
                    spki,
                    der(0xA3, &der(0x30, &san)),
                ]
                .concat(),
            );
            der(
                0x30,
                &[
                    tbs,
                    der(0x30, ECDSA_SHA256),
                    der(0x03, &[0, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
                ]
                .concat(),
            )
        }
        // A CRL whose body is 64 MiB of tiny entries (distinct 4-byte serials).
        "crl" => {
            let target = scale(64 * 1024 * 1024);
            let mut entries = Vec::with_capacity(target + 64);
            let date = der(0x17, b"260101000000Z");
            let mut i: u32 = 0x0100_0000;
            while entries.len() < target {
                let serial = der(0x02, &i.to_be_bytes());
                entries.extend_from_slice(&der(0x30, &[&serial[..], &date].concat()));
                i += 1;
            }
            let tbs = der(
                0x30,
                &[
                    vec![0x02, 0x01, 0x01],
                    der(0x30, ECDSA_SHA256),
                    name("Hostile CA"),
                    der(0x17, b"260101000000Z"),
                    der(0x17, b"270101000000Z"),
                    der(0x30, &entries),
                ]
                .concat(),
            );
            der(
                0x30,
                &[
                    tbs,
                    der(0x30, ECDSA_SHA256),
                    der(0x03, &[0, 0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]),
                ]
                .concat(),
            )
        }
        // 1 MB of PEM-looking junk for the key scanner: BEGIN lines without END, labels cut by
        // line ends, and 100,000 empty blocks.
        "pem" => {
            let mut t = String::new();
            for i in 0..scale(100_000) {
                match i % 3 {
                    0 => t.push_str("-----BEGIN \n"),
                    1 => t.push_str("-----BEGIN AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
                    _ => t.push_str("-----BEGIN X-----\n-----END X-----\n"),
                }
            }
            t.into_bytes()
        }
        other => panic!("unknown case {other}"),
    }
}

/// Runs a case once: the answer, short.
fn run(case: &str, data: &[u8]) -> String {
    let answer = match case {
        "boundary" | "rfc2231" | "rfc2231-in-block" | "parts" => {
            verify_message(black_box(data), &[]).map(|_| "verified".to_string())
        }
        "signeddata-certs" => verify_data(black_box(data), None, &[]).map(|_| "verified".into()),
        "san" => Certificate::from_der(black_box(data)).map(|_| "parsed".into()),
        "crl" => {
            Crl::from_der(black_box(data)).map(|c| format!("parsed, {} entries", c.entries().len()))
        }
        "pem" => std::str::from_utf8(data)
            .map_err(|_| unreachable!())
            .and_then(|t| PrivateKey::from_pem(black_box(t), None))
            .map(|_| "a key".into()),
        other => panic!("unknown case {other}"),
    };
    match answer {
        Ok(s) => s,
        Err(e) => format!("error: {e}"),
    }
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("Linux /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmHWM")
}

/// In the child: one case at one size; prints `seconds<TAB>peak KiB<TAB>input bytes<TAB>answer`.
fn child(case: &str, full: bool) {
    let data = input(case, full);
    // Best of three; each a mean over as many runs as fill 100 ms (sub-millisecond cases
    // would otherwise be timer noise).
    let mut best = Duration::MAX;
    let mut answer = String::new();
    for _ in 0..3 {
        let start = Instant::now();
        let mut runs = 0u32;
        while runs == 0 || start.elapsed() < Duration::from_millis(100) {
            answer = run(case, &data);
            runs += 1;
        }
        best = best.min(start.elapsed() / runs);
    }
    println!(
        "{:.4}\t{}\t{}\t{}",
        best.as_secs_f64(),
        peak_rss_kib(),
        data.len(),
        answer.chars().take(100).collect::<String>()
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args[i + 2] == "full");
        return;
    }
    let cases = [
        "boundary",
        "rfc2231",
        "rfc2231-in-block",
        "parts",
        "signeddata-certs",
        "san",
        "crl",
        "pem",
    ];
    let me = std::env::current_exe().expect("own path");
    println!("| case | input | time | x2 size | peak RSS | answer |");
    println!("|---|---:|---:|---:|---:|---|");
    for case in cases {
        let measure = |size: &str| {
            let out = Command::new(&me)
                .args(["--child", case, size])
                .output()
                .expect("child runs");
            assert!(out.status.success(), "{case} {size}: {out:?}");
            let text = String::from_utf8(out.stdout).unwrap();
            let f: Vec<String> = text.trim().splitn(4, '\t').map(str::to_string).collect();
            (
                f[0].parse::<f64>().unwrap(),
                f[1].parse::<u64>().unwrap(),
                f[2].parse::<usize>().unwrap(),
                f[3].clone(),
            )
        };
        let (half, _, _, _) = measure("half");
        let (t, peak, len, answer) = measure("full");
        println!(
            "| {case} | {:.1} MB | {:.1} ms | {:.2} | {:.0} MiB | {answer} |",
            len as f64 / 1e6,
            t * 1e3,
            t / half.max(1e-9),
            peak as f64 / 1024.0
        );
    }
}
