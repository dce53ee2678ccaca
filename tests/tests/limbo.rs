//! The x509-limbo path-validation suite (`tests/data/limbo/limbo.json.gz`, a copy of
//! `../shared/limbo/limbo.json.gz`) run against the trust engine.
//!
//! Every testcase is built into a [`Validator`] without a store (its trusted certificates as
//! anchors, its untrusted intermediates as the pool), validated at the case's time for a TLS
//! server (SERVER cases: the expected DNS / IP name, EKU serverAuth unless the case names
//! another) or for any use with the case's EKU (CLIENT cases), and compared with the expected
//! result. Cases needing a feature this engine does not implement are skipped, each skip
//! counted by reason. The test prints pass / fail / skip counts and every failure with why,
//! writes `target/limbo-results.json` (LimboResult format, for comparison with the baselines
//! in `../shared/limbo/baseline-results/`), and fails when the pass count drops below the
//! figure in `tests/limbo-pass-count.txt`.
//!
//! `LIMBO=path/to/limbo.json.gz` points at another copy; `LIMBO_ONLY=substring` runs only the
//! cases whose id contains it and prints each result.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::SystemTime;

use hermes_pki::cert::{Certificate, Eku};
use hermes_pki::crl::Crls;
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::FixedClock;
use hermes_pki::trust::{LeafPolicy, ServerName, Validation, ValidationOptions, Validator};
use serde::Deserialize;

#[derive(Deserialize)]
struct Suite {
    version: u32,
    testcases: Vec<Testcase>,
}

#[derive(Deserialize)]
struct Testcase {
    id: String,
    features: Vec<String>,
    description: String,
    validation_kind: String,
    trusted_certs: Vec<String>,
    untrusted_intermediates: Vec<String>,
    peer_certificate: String,
    validation_time: Option<String>,
    signature_algorithms: Vec<String>,
    key_usage: Vec<String>,
    extended_key_usage: Vec<String>,
    expected_result: String,
    expected_peer_name: Option<PeerName>,
    expected_peer_names: Vec<PeerName>,
    max_chain_depth: Option<usize>,
    #[serde(default)]
    crls: Vec<String>,
}

#[derive(Deserialize)]
struct PeerName {
    kind: String,
    value: String,
}

/// The suite: `$LIMBO` if set, else the copy kept in the repository
/// (`tests/data/limbo/limbo.json.gz`, the same bytes as `../shared/limbo/limbo.json.gz`,
/// Apache-2.0, so that CI on a clean checkout needs nothing beside it).
fn suite_path() -> PathBuf {
    match std::env::var_os("LIMBO") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/limbo/limbo.json.gz"),
    }
}

/// RFC 3339 as limbo writes it (`2024-01-01T00:00:00+00:00`, with or without a fraction).
fn parse_time(s: &str) -> Option<SystemTime> {
    hermes_pki::time::parse_rfc3339(s).ok()
}

fn eku_oid(name: &str) -> Option<&'static str> {
    Some(match name {
        "serverAuth" => "1.3.6.1.5.5.7.3.1",
        "clientAuth" => "1.3.6.1.5.5.7.3.2",
        "codeSigning" => "1.3.6.1.5.5.7.3.3",
        "emailProtection" => "1.3.6.1.5.5.7.3.4",
        "timeStamping" => "1.3.6.1.5.5.7.3.8",
        "OCSPSigning" => "1.3.6.1.5.5.7.3.9",
        "anyExtendedKeyUsage" => "2.5.29.37.0",
        _ => return None,
    })
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

fn parse_all(pems: &[String]) -> Vec<Certificate> {
    // A certificate that does not parse cannot be used (it is not an anchor or issuer).
    pems.iter()
        .filter_map(|p| Certificate::from_pem(p).ok())
        .collect()
}

fn run_case(case: &Testcase) -> Outcome {
    for f in &case.features {
        if f == "pedantic-public-suffix-wildcard" {
            return Outcome::Skip("public suffix list (not implemented)".into());
        }
    }
    if !case.signature_algorithms.is_empty() {
        return Outcome::Skip("signature algorithm constraints".into());
    }
    if !case.key_usage.is_empty() {
        return Outcome::Skip("required key usage bits".into());
    }
    let mut ekus = case.extended_key_usage.iter().map(|e| eku_oid(e));
    let required = match ekus.next() {
        None => None,
        Some(None) => return Outcome::Skip("unknown EKU name".into()),
        Some(Some(oid)) => Some(oid),
    };
    if ekus.next().is_some() {
        return Outcome::Skip("several required EKUs".into());
    }
    let at = match &case.validation_time {
        Some(t) => match parse_time(t) {
            Some(t) => t,
            None => return Outcome::Skip(format!("unparsable validation time {t}")),
        },
        None => SystemTime::now(),
    };
    let policy = match case.validation_kind.as_str() {
        "SERVER" => match &case.expected_peer_name {
            Some(n) if n.kind == "DNS" => LeafPolicy::TlsServer(ServerName::Dns(n.value.clone())),
            Some(n) if n.kind == "IP" => match n.value.parse::<IpAddr>() {
                Ok(ip) => LeafPolicy::TlsServer(ServerName::Ip(ip)),
                Err(_) => return Outcome::Skip("unparsable IP peer name".into()),
            },
            Some(_) => return Outcome::Skip("SERVER case with a non-DNS/IP name".into()),
            None => LeafPolicy::Any,
        },
        "CLIENT" => LeafPolicy::Any,
        other => return Outcome::Skip(format!("validation kind {other}")),
    };
    let default_eku = match case.validation_kind.as_str() {
        "SERVER" => Some("1.3.6.1.5.5.7.3.1"),
        _ => None,
    };
    // x509-limbo judges RFC 5280 and CA/B Forum conformance: every case runs under the strict
    // RFC 5280 profile (the library's default for mail turns those rules into warnings).
    let mut options = ValidationOptions::new(at, policy)
        .required_eku(
            required
                .or(default_eku)
                .map(|oid| oid.parse::<Eku>().expect("a dotted OID")),
        )
        .rfc5280_strict(true);
    if let Some(depth) = case.max_chain_depth {
        options = options.max_intermediates(depth);
    }
    let actual = match Certificate::from_pem(&case.peer_certificate) {
        Err(e) => Err(format!("peer certificate does not parse: {e}")),
        Ok(peer) => {
            let result = if case.crls.is_empty() {
                Validator::without_store()
                    .anchors(parse_all(&case.trusted_certs))
                    .intermediates(parse_all(&case.untrusted_intermediates))
                    .validate(&peer, &options)
            } else {
                validate_with_crls(case, &peer, at, options)
            };
            match result {
                Err(e) => Err(format!("error: {e}")),
                Ok(Validation::Invalid { reasons }) => Err(reasons
                    .iter()
                    .map(|r| r.to_string())
                    .collect::<Vec<_>>()
                    .join("; ")),
                Ok(Validation::Valid { .. }) => {
                    // CLIENT cases name the peer by email address.
                    let emails_ok = case
                        .expected_peer_names
                        .iter()
                        .filter(|n| n.kind == "RFC822")
                        .all(|n| peer.has_email(&n.value));
                    if emails_ok {
                        Ok(())
                    } else {
                        Err("the peer does not carry the expected email address".into())
                    }
                }
            }
        }
    };
    match (case.expected_result.as_str(), actual) {
        ("SUCCESS", Ok(())) | ("FAILURE", Err(_)) => Outcome::Pass,
        ("SUCCESS", Err(why)) => Outcome::Fail(format!("expected SUCCESS, got FAILURE: {why}")),
        ("FAILURE", Ok(())) => Outcome::Fail("expected FAILURE, got SUCCESS".into()),
        (other, _) => Outcome::Skip(format!("expected result {other}")),
    }
}

/// A case with CRLs: its certificates in a store (trusted ones as roots), its CRLs imported
/// there as of the validation time (an unusable CRL is kept as invalid and not used), and the
/// store's validator asked with revocation information required, since the case gives CRLs to
/// be used.
fn validate_with_crls(
    case: &Testcase,
    peer: &Certificate,
    at: SystemTime,
    options: ValidationOptions,
) -> hermes_pki::Result<Validation> {
    let store = MemoryStore::new();
    store.transaction(|tx| {
        for c in parse_all(&case.trusted_certs) {
            tx.put_root(&c)?;
            tx.put_certificate(&c)?;
        }
        for c in parse_all(&case.untrusted_intermediates) {
            tx.put_certificate(&c)?;
        }
        Ok(())
    })?;
    let crls = Crls::new(&store);
    for pem in &case.crls {
        // An unreadable CRL is reported by import and stored nowhere: nothing to use.
        let _ = crls.import(pem.as_bytes(), Some(&case.id), &FixedClock(at));
    }
    let options = options.require_revocation_info(true);
    store.read_transaction(|tx| Validator::new(tx).validate(peer, &options))
}

#[test]
fn x509_limbo() {
    let path = suite_path();
    let mut gz = Vec::new();
    std::fs::File::open(&path)
        .unwrap_or_else(|e| panic!("cannot open the limbo suite at {}: {e}", path.display()))
        .read_to_end(&mut gz)
        .unwrap();
    let mut json = String::new();
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_string(&mut json)
        .unwrap();
    let suite: Suite = serde_json::from_str(&json).unwrap();
    assert_eq!(suite.version, 1);
    let only = std::env::var("LIMBO_ONLY").ok();

    let (mut pass, mut fail, mut skip) = (0usize, 0usize, 0usize);
    let mut skips: BTreeMap<String, usize> = BTreeMap::new();
    let mut failures: Vec<(String, String, String)> = Vec::new();
    let mut results = Vec::new();
    for case in &suite.testcases {
        if let Some(o) = &only
            && !case.id.contains(o.as_str())
        {
            continue;
        }
        let outcome = run_case(case);
        let (actual, context) = match &outcome {
            Outcome::Pass => (case.expected_result.clone(), String::new()),
            Outcome::Fail(why) => (
                if case.expected_result == "SUCCESS" {
                    "FAILURE".to_string()
                } else {
                    "SUCCESS".to_string()
                },
                why.clone(),
            ),
            Outcome::Skip(why) => ("SKIPPED".to_string(), why.clone()),
        };
        if only.is_some() {
            println!(
                "{}: {actual} (expected {}) {context}",
                case.id, case.expected_result
            );
        }
        results
            .push(serde_json::json!({"id": case.id, "actual_result": actual, "context": context}));
        match outcome {
            Outcome::Pass => pass += 1,
            Outcome::Fail(why) => {
                fail += 1;
                let summary = case.description.lines().next().unwrap_or("").to_string();
                failures.push((case.id.clone(), why, summary));
            }
            Outcome::Skip(why) => {
                skip += 1;
                *skips.entry(why).or_default() += 1;
            }
        }
    }

    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/limbo-results.json");
    let doc = serde_json::json!({"version": 1, "harness": "hermes-pki", "results": results});
    let _ = std::fs::write(&out, serde_json::to_vec_pretty(&doc).unwrap());

    println!(
        "x509-limbo: {pass} pass, {fail} fail, {skip} skip ({} cases)",
        pass + fail + skip
    );
    for (why, n) in &skips {
        println!("  skipped {n:5}: {why}");
    }
    for (id, why, summary) in &failures {
        println!("  FAIL {id}: {why}\n       ({summary})");
    }
    if only.is_none() {
        let recorded: usize = std::fs::read_to_string(
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("limbo-pass-count.txt"),
        )
        .expect("tests/limbo-pass-count.txt")
        .trim()
        .parse()
        .expect("a number");
        assert!(
            pass >= recorded,
            "x509-limbo pass count fell from {recorded} to {pass}"
        );
    }
}
