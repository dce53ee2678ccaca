//! Chains as real CAs make them, judged by the default validation profile (RFC 5280 section 6
//! path validation, profile rules as warnings) and by the strict one: certificates made by the
//! `openssl` command without key identifiers, with a non-critical basicConstraints, without any
//! extension, under a version 1 root, and signed with MD5.

use std::path::Path;
use std::time::SystemTime;

use hermes_pki::cert::Certificate;
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::trust::{
    LeafPolicy, ProfileRule, Reason, Validation, ValidationOptions, Validator, Warning,
    can_be_anchor,
};
use hermes_pki_tests::{KeyKind, issue, openssl, openssl_text, self_signed};

fn load(path: &Path) -> Certificate {
    Certificate::from_pem(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn store_with_root(root: &Certificate, intermediates: &[&Certificate]) -> MemoryStore {
    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(root)?;
            tx.put_certificate(root)?;
            for c in intermediates {
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

fn validate(store: &MemoryStore, cert: &Certificate, strict: bool) -> Validation {
    let options =
        ValidationOptions::new(SystemTime::now(), LeafPolicy::SmimeSigning).rfc5280_strict(strict);
    store
        .read_transaction(|tx| Validator::new(tx).validate(cert, &options))
        .unwrap()
}

fn profile_warnings(v: &Validation) -> Vec<ProfileRule> {
    v.warnings()
        .iter()
        .filter_map(|w| match w {
            Warning::Profile { rule, .. } => Some(rule.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_ca_without_key_identifiers_and_a_non_critical_basic_constraints_is_valid_with_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(
        d,
        "root",
        KeyKind::Rsa(2048),
        "/CN=Sloppy Root",
        "basicConstraints = CA:TRUE\nkeyUsage = keyCertSign, cRLSign\nsubjectKeyIdentifier = none",
    );
    let ca = issue(
        d,
        "ca",
        &root,
        KeyKind::Rsa(2048),
        "/CN=Sloppy Mail CA",
        Some(
            "basicConstraints = CA:TRUE\nkeyUsage = keyCertSign, cRLSign\n\
             subjectKeyIdentifier = none\nauthorityKeyIdentifier = none",
        ),
        30,
    );
    let alice = issue(
        d,
        "alice",
        &ca,
        KeyKind::Rsa(2048),
        "/CN=Alice",
        Some(
            "subjectAltName = email:alice@example.com\nsubjectKeyIdentifier = none\n\
             authorityKeyIdentifier = none",
        ),
        30,
    );
    // A leaf without any extension at all (version 1), under the same CA.
    let bare = issue(d, "bare", &ca, KeyKind::Rsa(2048), "/CN=Bare", None, 30);
    let text = openssl_text(&["x509", "-in", "bare.pem", "-noout", "-text"], d);
    assert!(text.contains("Version: 1"), "{text}");
    // openssl itself accepts both chains.
    for leaf in ["alice.pem", "bare.pem"] {
        openssl(
            &[
                "verify",
                "-CAfile",
                "root.pem",
                "-untrusted",
                "ca.pem",
                leaf,
            ],
            d,
        );
    }
    let (root, ca) = (load(&root.cert), load(&ca.cert));
    let store = store_with_root(&root, &[&ca]);
    for (leaf, expected) in [
        (
            load(&alice.cert),
            vec![
                // Alice and the CA lack an AKI; the CA and the root (whose own rules count
                // too) a SKI and a critical basicConstraints.
                ProfileRule::MissingAuthorityKeyId,
                ProfileRule::MissingAuthorityKeyId,
                ProfileRule::CaMissingSubjectKeyId,
                ProfileRule::CaMissingSubjectKeyId,
                ProfileRule::BasicConstraintsNotCritical,
                ProfileRule::BasicConstraintsNotCritical,
            ],
        ),
        (
            load(&bare.cert),
            vec![
                // Alice and the CA lack an AKI; the CA and the root (whose own rules count
                // too) a SKI and a critical basicConstraints.
                ProfileRule::MissingAuthorityKeyId,
                ProfileRule::MissingAuthorityKeyId,
                ProfileRule::CaMissingSubjectKeyId,
                ProfileRule::CaMissingSubjectKeyId,
                ProfileRule::BasicConstraintsNotCritical,
                ProfileRule::BasicConstraintsNotCritical,
            ],
        ),
    ] {
        let v = validate(&store, &leaf, false);
        assert!(v.is_valid(), "{}: {v:?}", leaf.subject());
        let mut got = profile_warnings(&v);
        got.sort_by_key(|r| format!("{r:?}"));
        let mut want = expected;
        want.sort_by_key(|r| format!("{r:?}"));
        assert_eq!(got, want, "{}", leaf.subject());
        // The same rules refuse under the strict profile.
        let strict = validate(&store, &leaf, true);
        assert!(
            !strict.is_valid()
                && strict
                    .reasons()
                    .iter()
                    .all(|r| matches!(r, Reason::Profile { .. })),
            "{strict:?}"
        );
    }
}

#[test]
fn a_version_1_self_signed_root_is_a_trust_anchor_when_imported() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // openssl x509 -req -signkey without extensions: a version 1 self-signed certificate.
    openssl(
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "v1.key",
        ],
        d,
    );
    openssl(
        &[
            "req",
            "-new",
            "-key",
            "v1.key",
            "-subj",
            "/CN=Old V1 Root",
            "-out",
            "v1.csr",
        ],
        d,
    );
    openssl(
        &[
            "x509", "-req", "-in", "v1.csr", "-signkey", "v1.key", "-days", "30", "-out", "v1.pem",
        ],
        d,
    );
    let text = openssl_text(&["x509", "-in", "v1.pem", "-noout", "-text"], d);
    assert!(text.contains("Version: 1"), "{text}");
    let root_issued = hermes_pki_tests::Issued {
        cert: d.join("v1.pem"),
        key: d.join("v1.key"),
    };
    let alice = issue(
        d,
        "alice",
        &root_issued,
        KeyKind::P256,
        "/CN=Alice",
        Some("subjectAltName = email:alice@example.com"),
        30,
    );
    openssl(&["verify", "-CAfile", "v1.pem", "alice.pem"], d);
    let root = load(&root_issued.cert);
    assert!(can_be_anchor(&root));
    let store = store_with_root(&root, &[]);
    let v = validate(&store, &load(&alice.cert), false);
    assert!(v.is_valid(), "{v:?}");
    // As an intermediate (not trusted itself), a version 1 certificate is no CA.
    let other_root = self_signed(
        d,
        "other",
        KeyKind::P256,
        "/CN=Other Root",
        "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign",
    );
    let store = store_with_root(&load(&other_root.cert), &[&root]);
    let v = validate(&store, &load(&alice.cert), false);
    assert!(!v.is_valid(), "{v:?}");
}

#[test]
fn a_certificate_signed_with_md5_is_a_weak_algorithm_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(
        d,
        "root",
        KeyKind::Rsa(2048),
        "/CN=Root",
        "basicConstraints = critical, CA:TRUE\nkeyUsage = keyCertSign",
    );
    let alice = issue(
        d,
        "alice",
        &root,
        KeyKind::Rsa(2048),
        "/CN=Alice",
        Some("subjectAltName = email:alice@example.com"),
        30,
    );
    // The same request signed with MD5.
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "alice.csr",
            "-CA",
            "root.pem",
            "-CAkey",
            "root.key",
            "-md5",
            "-days",
            "30",
            "-out",
            "alice-md5.pem",
        ],
        d,
    );
    let text = openssl_text(&["x509", "-in", "alice-md5.pem", "-noout", "-text"], d);
    assert!(text.contains("md5WithRSAEncryption"), "{text}");
    let store = store_with_root(&load(&root.cert), &[]);
    assert!(validate(&store, &load(&alice.cert), false).is_valid());
    let v = validate(&store, &load(&d.join("alice-md5.pem")), false);
    assert!(
        v.reasons()
            .iter()
            .any(|r| matches!(r, Reason::WeakAlgorithm { .. })),
        "{v:?}"
    );
}
