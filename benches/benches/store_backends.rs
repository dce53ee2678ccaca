//! The stores side by side: SQLite (one file) and PostgreSQL (several gateway nodes).
//!
//! Groups:
//! - `store_issue/{sqlite,postgres}`: issue one EC P-256 S/MIME certificate (new key, serial
//!   drawn and checked, certificate + key + issued record in one transaction).
//! - `store_validate/{sqlite,postgres}`: validate a stored certificate over the store (chain
//!   building, trust list, revocation setting) in one read transaction.
//! - `store_open/{sqlite,postgres}`: open an existing store (schema check, master key check).
//! - `postgres_issue_processes/{1,2,4}`: issuance throughput of 1, 2 and 4 client processes on
//!   one PostgreSQL store (this bench executable run again as a worker); time per certificate.
//!
//! PostgreSQL needs a server: `HERMES_PKI_BENCH_PG_URL` (or `HERMES_PKI_TEST_PG_URL`), the URL of
//! a role that may create databases (`scripts/pg-test-cluster.sh start DIR` prints one). Without
//! it the PostgreSQL groups are left out with a notice.
#![allow(missing_docs)]

use std::hint::black_box;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

use criterion::{Criterion, Throughput};
use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::KeySpec;
use hermes_pki::pki::Pki;
use hermes_pki::store::{AnyStore, CaId, Create, MasterKey, MasterKeySource, Store, StoreLocation};
use hermes_pki::time::SystemClock;
use hermes_pki::trust::LeafPolicy;

const WORKER_ENV: &str = "HERMES_PKI_BENCH_WORKER";

fn pg_admin_url() -> Option<String> {
    std::env::var("HERMES_PKI_BENCH_PG_URL")
        .or_else(|_| std::env::var("HERMES_PKI_TEST_PG_URL"))
        .ok()
        .filter(|u| !u.trim().is_empty())
}

/// A fresh database on the bench server; its URL.
fn fresh_database(admin: &str, name: &str) -> String {
    let mut c = postgres::Client::connect(admin, postgres::NoTls).expect("connect");
    c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .expect("drop");
    c.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create");
    let start = admin.find("://").map_or(0, |i| i + 3);
    let (head, rest) = admin.split_at(start);
    let query = rest.find('?').map_or("", |q| &rest[q..]);
    let authority = &rest[..rest.find(['/', '?']).unwrap_or(rest.len())];
    format!("{head}{authority}/{name}{query}")
}

fn key() -> MasterKeySource {
    MasterKeySource::Provided(MasterKey::from_bytes([0x77; 32]))
}

fn open(location: &str) -> AnyStore {
    AnyStore::open(
        &StoreLocation::parse(location),
        Some(key()),
        Create::IfMissing,
    )
    .expect("open")
}

/// A store with a CA (EC P-256) and one issued certificate; the CA's id and the certificate.
fn prepare(store: &dyn Store) -> (CaId, Certificate) {
    let ca = CertificateAuthority::new(store);
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Bench Store CA"))
                .key(KeySpec::EcP256)
                .make_default(true),
            &SystemClock,
        )
        .expect("CA");
    let issued = ca
        .issue(
            &IssueSpec::new("bench@example.com", "Bench").key(KeySpec::EcP256),
            &SystemClock,
        )
        .expect("issue");
    (created.issuing().id, issued.certificate().clone())
}

fn issue_one(store: &dyn Store, ca: CaId, n: u64) {
    CertificateAuthority::new(store)
        .issue(
            &IssueSpec::new(format!("u{n}@example.com"), "User")
                .key(KeySpec::EcP256)
                .ca(ca),
            &SystemClock,
        )
        .expect("issue");
}

fn backends(dir: &Path) -> Vec<(&'static str, String)> {
    let mut v = vec![("sqlite", dir.join("sqlite").display().to_string())];
    match pg_admin_url() {
        Some(admin) => v.push(("postgres", fresh_database(&admin, "hpki_bench_store"))),
        None => eprintln!(
            "NOTICE: no HERMES_PKI_BENCH_PG_URL / HERMES_PKI_TEST_PG_URL: PostgreSQL benches left out"
        ),
    }
    v
}

fn store_benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let backends = backends(dir.path());
    let prepared: Vec<_> = backends
        .iter()
        .map(|(name, loc)| {
            let store = open(loc);
            let (ca, cert) = prepare(&store);
            (*name, loc.clone(), store, ca, cert)
        })
        .collect();

    let mut g = c.benchmark_group("store_issue");
    g.measurement_time(Duration::from_secs(5));
    for (name, _, store, ca, _) in &prepared {
        let mut n = 0;
        g.bench_function(*name, |b| {
            b.iter(|| {
                n += 1;
                issue_one(store, *ca, n);
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("store_validate");
    g.measurement_time(Duration::from_secs(5));
    for (name, loc, _, _, cert) in &prepared {
        let pki = Pki::new(open(loc));
        let v = pki
            .validate(cert, LeafPolicy::SmimeSigning, SystemTime::now(), &[])
            .expect("validate");
        assert!(v.is_valid(), "{:?}", v.reasons());
        g.bench_function(*name, |b| {
            b.iter(|| {
                black_box(
                    pki.validate(cert, LeafPolicy::SmimeSigning, SystemTime::now(), &[])
                        .expect("validate"),
                )
            })
        });
    }
    g.finish();

    let mut g = c.benchmark_group("store_open");
    g.measurement_time(Duration::from_secs(5));
    for (name, loc, _, _, _) in &prepared {
        g.bench_function(*name, |b| b.iter(|| black_box(open(loc))));
    }
    g.finish();
}

fn process_benches(c: &mut Criterion) {
    let Some(admin) = pg_admin_url() else {
        return;
    };
    let url = fresh_database(&admin, "hpki_bench_processes");
    let ca = prepare(&open(&url)).0;
    let exe = std::env::current_exe().expect("exe");
    let mut g = c.benchmark_group("postgres_issue_processes");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(15));
    g.throughput(Throughput::Elements(1));
    for processes in [1u64, 2, 4] {
        g.bench_function(processes.to_string(), |b| {
            b.iter_custom(|iters| {
                let each = iters.div_ceil(processes).max(1);
                let started = Instant::now();
                let children: Vec<_> = (0..processes)
                    .map(|p| {
                        Command::new(&exe)
                            .env(WORKER_ENV, format!("{url} {ca} {each} {p}"))
                            .spawn()
                            .expect("spawn worker")
                    })
                    .collect();
                for mut child in children {
                    assert!(child.wait().expect("wait").success(), "worker failed");
                }
                // Time per certificate, over all processes.
                started
                    .elapsed()
                    .mul_f64(iters as f64 / (each * processes) as f64)
            })
        });
    }
    g.finish();
}

/// Worker mode: `URL CA COUNT TAG` issues COUNT certificates and exits.
fn worker(spec: &str) {
    let parts: Vec<&str> = spec.split(' ').collect();
    let [url, ca, count, tag] = parts.as_slice() else {
        panic!("worker spec: {spec}");
    };
    let store = open(url);
    let ca: CaId = ca.parse().expect("CA id");
    let count: u64 = count.parse().expect("count");
    let base = std::process::id() as u64 * 1_000_000 + tag.parse::<u64>().expect("tag");
    for n in 0..count {
        issue_one(&store, ca, base + n * 10);
    }
}

fn main() {
    if let Ok(spec) = std::env::var(WORKER_ENV) {
        worker(&spec);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    store_benches(&mut c);
    process_benches(&mut c);
    c.final_summary();
}
