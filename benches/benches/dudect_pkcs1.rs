//! A constant-time check of PKCS#1 v1.5 key-transport decryption in the style of dudect
//! (Reparaz, Balasch, Verbauwhede 2017): ciphertexts with valid padding (class 0) against
//! ciphertexts with invalid padding (class 1), interleaved at random, each decryption timed;
//! Welch's t-test between the two classes, on all measurements and on measurements cropped at
//! several percentiles of the pooled distribution (as dudect does, to remove the long tail of
//! interrupts). |t| above 4.5 means a timing difference is detectable.
//!
//! Not in CI (it takes minutes to hours). Run before a release:
//!
//! ```text
//! cargo bench -p hermes-pki-benches --bench dudect_pkcs1 -- 1000000
//! ```
//!
//! The argument is the number of measurements (default 1,000,000).
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::time::Instant;

use hermes_pki::key::{Decryptor, KeySpec, KeyTransport, PrivateKey};

/// A small xorshift generator: the class sequence and the choice of ciphertext (no secret).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Welch's t statistic of two samples given as (count, mean, M2) accumulators.
#[derive(Default, Clone, Copy)]
struct Acc {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Acc {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let d = x - self.mean;
        self.mean += d / self.n;
        self.m2 += d * (x - self.mean);
    }
    fn var(&self) -> f64 {
        if self.n > 1.0 {
            self.m2 / (self.n - 1.0)
        } else {
            0.0
        }
    }
}

fn welch(a: &Acc, b: &Acc) -> f64 {
    let se = (a.var() / a.n + b.var() / b.n).sqrt();
    if se == 0.0 {
        0.0
    } else {
        (a.mean - b.mean) / se
    }
}

fn main() {
    let measurements: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let key = PrivateKey::generate(KeySpec::Rsa(2048)).expect("RSA key");
    let spki = key.public_key_der();
    let public = openssl::pkey::PKey::public_key_from_der(&spki).expect("public key");
    let rsa = public.rsa().expect("RSA");
    let k = rsa.size() as usize;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Class 0: valid PKCS#1 v1.5 padding around a 32-byte key. Class 1: invalid padding (no
    // separator after the padding string), encrypted raw.
    let pool = 256;
    let valid: Vec<Vec<u8>> = (0..pool)
        .map(|_| {
            let cek: Vec<u8> = (0..32).map(|_| rng.next() as u8).collect();
            let mut out = vec![0u8; k];
            let n = rsa
                .public_encrypt(&cek, &mut out, openssl::rsa::Padding::PKCS1)
                .unwrap();
            out.truncate(n);
            out
        })
        .collect();
    let invalid: Vec<Vec<u8>> = (0..pool)
        .map(|_| {
            let mut em: Vec<u8> = (0..k).map(|_| (rng.next() as u8) | 1).collect();
            em[0] = 0;
            em[1] = 2;
            let mut out = vec![0u8; k];
            let n = rsa
                .public_encrypt(&em, &mut out, openssl::rsa::Padding::NONE)
                .unwrap();
            out.truncate(n);
            out
        })
        .collect();
    // Warm up.
    for c in valid.iter().chain(&invalid).take(64) {
        black_box(
            key.decrypt_key_transport(KeyTransport::Pkcs1v15, c, 32)
                .unwrap(),
        );
    }
    let mut times: Vec<(u8, u64)> = Vec::with_capacity(measurements);
    let started = Instant::now();
    for i in 0..measurements {
        let r = rng.next();
        let class = (r & 1) as u8;
        let c = if class == 0 {
            &valid[(r >> 8) as usize % pool]
        } else {
            &invalid[(r >> 8) as usize % pool]
        };
        let t0 = Instant::now();
        let out = key.decrypt_key_transport(KeyTransport::Pkcs1v15, black_box(c), 32);
        let dt = t0.elapsed().as_nanos() as u64;
        black_box(out.unwrap());
        times.push((class, dt));
        if (i + 1) % 100_000 == 0 {
            eprintln!(
                "{} measurements, {:.0} s",
                i + 1,
                started.elapsed().as_secs_f64()
            );
        }
    }
    let mut sorted: Vec<u64> = times.iter().map(|(_, t)| *t).collect();
    sorted.sort_unstable();
    let pct = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    println!(
        "PKCS#1 v1.5 decryption (RSA-2048, 32-byte key, implicit rejection): {} measurements in \
         {:.0} s; median {:.1} us",
        times.len(),
        started.elapsed().as_secs_f64(),
        pct(0.5) as f64 / 1000.0
    );
    println!("| measurements kept | valid: n, mean | invalid: n, mean | t |");
    println!("|---|---|---|---:|");
    let mut worst: f64 = 0.0;
    for (label, limit) in [
        ("all", u64::MAX),
        ("below p99", pct(0.99)),
        ("below p90", pct(0.90)),
        ("below p50", pct(0.50)),
    ] {
        let mut acc = [Acc::default(); 2];
        for &(class, t) in &times {
            if t < limit || limit == u64::MAX {
                acc[class as usize].push(t as f64);
            }
        }
        let t = welch(&acc[0], &acc[1]);
        worst = worst.max(t.abs());
        println!(
            "| {label} | {:.0}, {:.1} us | {:.0}, {:.1} us | {t:.2} |",
            acc[0].n,
            acc[0].mean / 1000.0,
            acc[1].n,
            acc[1].mean / 1000.0
        );
    }
    println!(
        "max |t| = {worst:.2}: {}",
        if worst < 4.5 {
            "below 4.5, no timing difference detected"
        } else {
            "ABOVE 4.5: a timing difference is detectable"
        }
    );
}
