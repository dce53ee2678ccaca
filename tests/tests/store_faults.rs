//! The fault test of the shared store: several OS processes issue certificates into one store
//! while this test sends `kill -9` to random issuers at random moments and restarts them, and
//! two processes create CRLs for the same CA at the same time. At the end every serial is
//! unique per CA, every committed issuance has its certificate, key and issued record, nothing
//! half-written exists, and CRL numbers strictly increase.
//!
//! PostgreSQL: four issuers of 500 certificates each (needs the test server, see
//! `hermes_pki_tests::pg`). SQLite: two issuers of 500 each on one file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName};
use hermes_pki::cert::Serial;
use hermes_pki::key::{KeyId, KeySpec};
use hermes_pki::store::{AnyStore, CaId, Create, MasterKeySource, StoreExt, StoreLocation};
use hermes_pki::time::SystemClock;
use hermes_pki_tests::pg::TestDb;

const CRLS_EACH: usize = 15;
/// At most this many kills in one run (the workers must finish).
const MAX_KILLS: usize = 12;
/// The whole run must finish in this time, or the test fails.
const DEADLINE: Duration = Duration::from_secs(600);

fn worker_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_fault_worker"))
}

/// A small xorshift generator, seeded from the clock: which worker dies when.
struct Rng(u64);

impl Rng {
    fn new() -> Rng {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        eprintln!("fault test seed: {seed}");
        Rng(seed | 1)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

struct Worker {
    args: Vec<String>,
    child: Child,
    stderr: PathBuf,
    done: bool,
}

impl Worker {
    fn spawn(args: Vec<String>, stderr: PathBuf) -> Worker {
        let child = spawn(&args, &stderr);
        Worker {
            args,
            child,
            stderr,
            done: false,
        }
    }

    /// Whether it has finished; panics (failing the test) when it failed by itself.
    fn finished(&mut self) -> bool {
        if self.done {
            return true;
        }
        match self.child.try_wait().unwrap() {
            None => false,
            Some(status) => {
                assert!(
                    status.success(),
                    "worker {:?} failed: {}",
                    self.args,
                    std::fs::read_to_string(&self.stderr).unwrap_or_default()
                );
                self.done = true;
                true
            }
        }
    }

    fn kill_and_restart(&mut self) {
        self.child.kill().unwrap(); // SIGKILL
        self.child.wait().unwrap();
        self.child = spawn(&self.args, &self.stderr);
    }
}

fn spawn(args: &[String], stderr: &Path) -> Child {
    Command::new(worker_binary())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(stderr).unwrap())
        .spawn()
        .unwrap()
}

fn open(location: &str, key_file: &Path, create: Create) -> AnyStore {
    AnyStore::open(
        &StoreLocation::parse(location),
        Some(MasterKeySource::key_file(key_file)),
        create,
    )
    .unwrap()
}

fn fault_test(location: &str, dir: &Path, issuers: usize, each: usize) {
    let started = Instant::now();
    let key_file = dir.join("master.key");
    let ca = {
        let store = open(location, &key_file, Create::IfMissing);
        CertificateAuthority::new(&store)
            .create(
                &CaSpec::new(DistinguishedName::new("Fault Test CA")).key(KeySpec::EcP256),
                &SystemClock,
            )
            .unwrap()
            .issuing()
            .id
    };
    let key = key_file.to_str().unwrap().to_string();
    let mut issuer_workers: Vec<Worker> = (0..issuers)
        .map(|w| {
            Worker::spawn(
                vec![
                    "issue".into(),
                    location.into(),
                    key.clone(),
                    ca.to_string(),
                    w.to_string(),
                    each.to_string(),
                    dir.join(format!("issue{w}.log")).display().to_string(),
                ],
                dir.join(format!("issue{w}.err")),
            )
        })
        .collect();
    let mut crl_workers: Vec<Worker> = (0..2)
        .map(|w| {
            Worker::spawn(
                vec![
                    "crl".into(),
                    location.into(),
                    key.clone(),
                    ca.to_string(),
                    CRLS_EACH.to_string(),
                    dir.join(format!("crl{w}.log")).display().to_string(),
                ],
                dir.join(format!("crl{w}.err")),
            )
        })
        .collect();
    let mut rng = Rng::new();
    let mut kills = 0;
    loop {
        assert!(
            started.elapsed() < DEADLINE,
            "the fault test did not finish in {DEADLINE:?}"
        );
        let running: Vec<usize> = (0..issuer_workers.len())
            .filter(|&i| !issuer_workers[i].finished())
            .collect();
        let crls_running = crl_workers.iter_mut().any(|w| !w.finished());
        if running.is_empty() && !crls_running {
            break;
        }
        std::thread::sleep(Duration::from_millis(100 + rng.below(900)));
        if kills < MAX_KILLS && !running.is_empty() {
            let victim = running[rng.below(running.len() as u64) as usize];
            if !issuer_workers[victim].finished() {
                issuer_workers[victim].kill_and_restart();
                kills += 1;
            }
        }
    }
    eprintln!(
        "fault test on {}: {issuers} issuers x {each}, {kills} kills, {:?}",
        StoreLocation::parse(location).describe(),
        started.elapsed()
    );
    assert!(kills > 0, "the run was too short to kill any issuer");
    check(location, &key_file, dir, ca, issuers, each);
}

fn check(location: &str, key_file: &Path, dir: &Path, ca: CaId, issuers: usize, each: usize) {
    let store = open(location, key_file, Create::Never);
    let (ca_record, records, certs, crls, crl_number) = store
        .read_transaction(|tx| {
            let ca_record = tx.ca(ca)?.unwrap();
            let ca_cert = tx.certificate(&ca_record.certificate)?.unwrap();
            let certs: Vec<_> = tx
                .list_certificates(&Default::default())?
                .into_iter()
                .filter(|c| c.issuer_der() == ca_cert.subject_der() && !c.is_ca())
                .map(|c| {
                    let has_key = tx.has_key(&KeyId::of_public_key_der(c.public_key_der()))?;
                    Ok((c, has_key))
                })
                .collect::<hermes_pki::Result<_>>()?;
            let crls: Vec<_> = tx
                .crls_by_issuer(ca_cert.subject_der())?
                .into_iter()
                .map(|r| (r.id, r.number))
                .collect();
            Ok((
                ca_record,
                tx.issued_by(ca)?,
                certs,
                crls,
                tx.ca_crl_number(ca)?,
            ))
        })
        .unwrap();
    let _ = ca_record;
    // Every worker committed exactly its share (a restarted worker resumes from the store).
    let mut per_worker: BTreeMap<String, usize> = BTreeMap::new();
    for r in &records {
        let email = r.email.clone().unwrap();
        let w = email.split('-').next().unwrap().to_string();
        *per_worker.entry(w).or_default() += 1;
    }
    assert_eq!(per_worker.len(), issuers, "{per_worker:?}");
    assert!(per_worker.values().all(|&n| n == each), "{per_worker:?}");
    // Serials unique per CA, in the records and in the certificates.
    let serials: BTreeSet<Serial> = records.iter().map(|r| r.serial.clone()).collect();
    assert_eq!(
        serials.len(),
        records.len(),
        "duplicate serial in the records"
    );
    let cert_serials: BTreeSet<Serial> = certs.iter().map(|(c, _)| c.serial().clone()).collect();
    assert_eq!(
        cert_serials.len(),
        certs.len(),
        "duplicate serial in the certificates"
    );
    // Nothing half-written: each record has its certificate and key, each certificate of the
    // CA has its record and key.
    assert_eq!(
        certs.len(),
        records.len(),
        "certificates without records, or the reverse"
    );
    let by_thumbprint: BTreeMap<_, _> = certs.iter().map(|(c, k)| (*c.thumbprint(), *k)).collect();
    for r in &records {
        assert_eq!(
            by_thumbprint.get(&r.thumbprint),
            Some(&true),
            "record {} without its certificate or key",
            r.serial
        );
    }
    for (c, _) in &certs {
        assert!(serials.contains(c.serial()));
    }
    // Every issuance a worker saw committed is there.
    let committed: BTreeSet<(String, String)> = records
        .iter()
        .map(|r| (r.serial.to_string(), r.thumbprint.to_hex()))
        .collect();
    let mut logged = 0;
    for w in 0..issuers {
        let log = std::fs::read_to_string(dir.join(format!("issue{w}.log"))).unwrap_or_default();
        for line in log.lines() {
            let (s, t) = line.split_once(' ').unwrap();
            assert!(
                committed.contains(&(s.to_string(), t.to_string())),
                "a committed issuance is missing: {line}"
            );
            logged += 1;
        }
    }
    assert!(
        logged + MAX_KILLS >= issuers * each,
        "too few issuances logged"
    );
    // CRL numbers: each process saw its numbers grow, both together used 1..=N exactly once,
    // the CA's counter is N, and the stored CRLs' numbers grow with their ids.
    let mut all = Vec::new();
    for w in 0..2 {
        let log = std::fs::read_to_string(dir.join(format!("crl{w}.log"))).unwrap();
        let numbers: Vec<u64> = log.lines().map(|l| l.parse().unwrap()).collect();
        assert_eq!(numbers.len(), CRLS_EACH);
        assert!(numbers.windows(2).all(|p| p[0] < p[1]), "{numbers:?}");
        all.extend(numbers);
    }
    all.sort_unstable();
    let n = (2 * CRLS_EACH) as u64;
    assert_eq!(all, (1..=n).collect::<Vec<_>>());
    assert_eq!(crl_number, Some(n));
    let mut crls = crls;
    crls.sort_by_key(|(id, _)| *id);
    let numbers: Vec<Serial> = crls
        .iter()
        .map(|(_, n)| Serial::from_bytes(n.as_deref().unwrap()))
        .collect();
    assert!(!numbers.is_empty());
    assert!(numbers.windows(2).all(|p| p[0] < p[1]), "{numbers:?}");
}

#[test]
fn postgres_four_issuers_killed_at_random_lose_nothing() {
    let Some(db) = TestDb::new("faults") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    fault_test(&db.url, dir.path(), 4, 500);
}

#[test]
fn sqlite_two_issuers_killed_at_random_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    fault_test(store.to_str().unwrap(), dir.path(), 2, 500);
}
