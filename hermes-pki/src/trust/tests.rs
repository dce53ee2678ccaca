//! Trust engine tests: every failure reason and every trust list rule, on chains made here.

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use x509_cert::ext::Extensions;

use super::*;
use crate::ca::DistinguishedName;
use crate::ca::profile::{ca_extensions, smime_extensions};
use crate::ca::sign::{TbsParts, extension, key_identifier, random_serial, sign_certificate};
use crate::cert::{Certificate, Eku, UsageError};
use crate::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme};
use crate::store::{CtlEntry, CtlStatus, MemoryStore, StoreExt};
use crate::time::{add_days, from_unix_seconds};
use crate::trust::{ProfileRule, Warning};

/// 2026-01-01T00:00:00Z
fn now() -> SystemTime {
    from_unix_seconds(1_767_225_600)
}

/// A key and its certificate.
struct Node {
    key: PrivateKey,
    cert: Certificate,
}

/// Signs a certificate for `key` named `cn`, by `issuer` (self-signed when `None`), valid
/// from `start` for `days`, with `exts` (built from the subject's and issuer's key ids).
fn make(
    cn: &str,
    issuer: Option<&Node>,
    key: PrivateKey,
    exts: impl FnOnce(&[u8], &[u8]) -> Extensions,
    (start, days): (SystemTime, i64),
) -> Node {
    let subject = DistinguishedName::new(cn).to_der().unwrap();
    let spki = key.public_key_der();
    let ski = key_identifier(&spki).unwrap();
    let (issuer_der, issuer_ski, signer) = match issuer {
        Some(i) => (
            i.cert.subject_der().to_vec(),
            i.cert.subject_key_id().unwrap().to_vec(),
            &i.key,
        ),
        None => (subject.clone(), ski.clone(), &key),
    };
    let cert = sign_certificate(
        TbsParts {
            serial: &random_serial().unwrap(),
            issuer_der: &issuer_der,
            subject_der: &subject,
            spki_der: &spki,
            not_before: start,
            not_after: add_days(start, days),
            extensions: exts(&ski, &issuer_ski),
        },
        signer,
        SignatureScheme::Ecdsa(HashAlg::Sha256),
    )
    .unwrap();
    Node { key, cert }
}

fn ec() -> PrivateKey {
    PrivateKey::generate(KeySpec::EcP256).unwrap()
}

fn valid_for_a_year() -> (SystemTime, i64) {
    (add_days(now(), -1), 365)
}

fn ca(cn: &str, issuer: Option<&Node>, path_len: Option<u8>) -> Node {
    make(
        cn,
        issuer,
        ec(),
        |s, i| ca_extensions(s, i, path_len).unwrap(),
        valid_for_a_year(),
    )
}

fn leaf(email: &str, issuer: &Node) -> Node {
    let key = ec();
    let alg = key.algorithm();
    make(
        "Leaf",
        Some(issuer),
        key,
        |s, i| smime_extensions(&alg, email, s, i, None).unwrap(),
        valid_for_a_year(),
    )
}

/// root -> intermediate -> leaf, the root in the root store and the intermediate stored.
struct World {
    store: MemoryStore,
    root: Node,
    inter: Node,
    leaf: Node,
}

fn world() -> World {
    let root = ca("Root", None, Some(1));
    let inter = ca("Intermediate", Some(&root), Some(0));
    let leaf = leaf("alice@example.com", &inter);
    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(&root.cert)?;
            tx.put_certificate(&inter.cert)?;
            tx.put_certificate(&leaf.cert)?;
            Ok(())
        })
        .unwrap();
    World {
        store,
        root,
        inter,
        leaf,
    }
}

fn opts() -> ValidationOptions {
    ValidationOptions::new(now(), LeafPolicy::SmimeEncryption)
}

fn validate(store: &MemoryStore, cert: &Certificate, o: &ValidationOptions) -> Validation {
    store
        .read_transaction(|tx| Validator::new(tx).validate(cert, o))
        .unwrap()
}

fn ctl(store: &MemoryStore, entry: CtlEntry) {
    store.transaction(|tx| tx.put_ctl_entry(&entry)).unwrap();
}

#[track_caller]
fn assert_invalid(v: &Validation, pred: impl Fn(&Reason) -> bool) {
    match v {
        Validation::Valid { .. } => panic!("expected invalid, got valid"),
        Validation::Invalid { reasons } => {
            assert!(reasons.iter().any(pred), "unexpected reasons: {reasons:?}");
            for r in reasons {
                assert!(!r.to_string().is_empty());
            }
        }
    }
}

#[test]
fn a_good_chain_is_valid_for_both_smime_uses() {
    let w = world();
    for policy in [
        LeafPolicy::SmimeSigning,
        LeafPolicy::SmimeEncryption,
        LeafPolicy::Any,
    ] {
        let v = validate(
            &w.store,
            &w.leaf.cert,
            &ValidationOptions::new(now(), policy),
        );
        let Validation::Valid { chain, .. } = v else {
            panic!("{v:?}")
        };
        let tps: Vec<_> = chain.iter().map(|c| *c.thumbprint()).collect();
        assert_eq!(
            tps,
            vec![
                *w.leaf.cert.thumbprint(),
                *w.inter.cert.thumbprint(),
                *w.root.cert.thumbprint()
            ]
        );
    }
}

#[test]
fn intermediates_passed_by_the_caller_are_used() {
    let w = world();
    let store = MemoryStore::new();
    store
        .transaction(|tx| tx.put_root(&w.root.cert).map(|_| ()))
        .unwrap();
    assert_invalid(&validate(&store, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::NoPathToTrustAnchor { .. })
    });
    let v = store
        .read_transaction(|tx| {
            Validator::new(tx)
                .intermediates([w.inter.cert.clone()])
                .validate(&w.leaf.cert, &opts())
        })
        .unwrap();
    assert!(v.is_valid(), "{v:?}");
}

#[test]
fn time_reasons() {
    let w = world();
    let later = ValidationOptions::new(add_days(now(), 400), LeafPolicy::SmimeEncryption);
    assert_invalid(&validate(&w.store, &w.leaf.cert, &later), |r| {
        matches!(r, Reason::Expired { .. })
    });
    let earlier = ValidationOptions::new(add_days(now(), -30), LeafPolicy::SmimeEncryption);
    assert_invalid(&validate(&w.store, &w.leaf.cert, &earlier), |r| {
        matches!(r, Reason::NotYetValid { .. })
    });
}

#[test]
fn untrusted_root_and_wrong_key_give_no_path() {
    let w = world();
    let store = MemoryStore::new();
    store
        .transaction(|tx| tx.put_certificate(&w.inter.cert).map(|_| ()))
        .unwrap();
    assert_invalid(&validate(&store, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::NoPathToTrustAnchor { .. })
    });
    // A root with the same name and another key does not verify the intermediate.
    let impostor = ca("Root", None, Some(1));
    store
        .transaction(|tx| tx.put_root(&impostor.cert).map(|_| ()))
        .unwrap();
    assert_invalid(&validate(&store, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::BadSignature { .. })
    });
}

fn store_with(root: &Node, certs: &[&Certificate]) -> MemoryStore {
    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(&root.cert)?;
            for c in certs {
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

#[test]
fn ca_constraint_reasons() {
    let root = ca("Root", None, Some(0));
    // pathLen 0 on the root, yet an intermediate below it.
    let inter = ca("Intermediate", Some(&root), None);
    let l = leaf("a@example.com", &inter);
    let store = store_with(&root, &[&inter.cert]);
    assert_invalid(&validate(&store, &l.cert, &opts()), |r| {
        matches!(r, Reason::PathLengthExceeded { path_len: 0, .. })
    });

    // An "issuer" that is not a CA.
    let root = ca("Root", None, None);
    let not_ca = leaf("x@example.com", &root);
    let below = leaf("b@example.com", &not_ca);
    let store = store_with(&root, &[&not_ca.cert]);
    assert_invalid(&validate(&store, &below.cert, &opts()), |r| {
        matches!(r, Reason::IssuerNotCa { .. })
    });

    // A CA whose keyUsage lacks keyCertSign.
    let no_sign = make(
        "No Sign CA",
        Some(&root),
        ec(),
        |s, i| {
            let mut e = ca_extensions(s, i, None).unwrap();
            e[1] = extension(
                crate::cert::oid::CE_KEY_USAGE,
                true,
                &x509_cert::ext::pkix::KeyUsage(
                    x509_cert::ext::pkix::KeyUsages::DigitalSignature.into(),
                ),
            )
            .unwrap();
            e
        },
        valid_for_a_year(),
    );
    let below = leaf("c@example.com", &no_sign);
    let store = store_with(&root, &[&no_sign.cert]);
    assert_invalid(&validate(&store, &below.cert, &opts()), |r| {
        matches!(r, Reason::IssuerCannotSignCertificates { .. })
    });
}

#[test]
fn unknown_critical_extension_fails() {
    let root = ca("Root", None, None);
    let key = ec();
    let alg = key.algorithm();
    let odd = make(
        "Odd",
        Some(&root),
        key,
        |s, i| {
            let mut e = smime_extensions(&alg, "o@example.com", s, i, None).unwrap();
            e.push(
                extension(
                    ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
                    true,
                    &der::asn1::Null,
                )
                .unwrap(),
            );
            e
        },
        valid_for_a_year(),
    );
    let store = store_with(&root, &[]);
    assert_invalid(
        &validate(&store, &odd.cert, &opts()),
        |r| matches!(r, Reason::UnknownCriticalExtension { oid, .. } if oid == "1.3.6.1.4.1.99999.1"),
    );
}

#[test]
fn leaf_usage_eku_and_ca_reasons() {
    let root = ca("Root", None, None);
    let store = store_with(&root, &[]);
    // A server certificate: wrong EKU for S/MIME.
    let key = ec();
    let server = make(
        "Server",
        Some(&root),
        key,
        |s, i| {
            vec![
                extension(
                    crate::cert::oid::CE_EXT_KEY_USAGE,
                    false,
                    &x509_cert::ext::pkix::ExtendedKeyUsage(vec![Eku::SERVER_AUTH.oid()]),
                )
                .unwrap(),
                ca_extensions(s, i, None).unwrap().remove(3),
                ca_extensions(s, i, None).unwrap().remove(2),
            ]
        },
        valid_for_a_year(),
    );
    assert_invalid(&validate(&store, &server.cert, &opts()), |r| {
        matches!(r, Reason::ExtendedKeyUsage { .. })
    });
    // Signing-only keyUsage: fine to sign, not to encrypt.
    let signer = make(
        "Signer",
        Some(&root),
        ec(),
        |s, i| {
            let mut e = ca_extensions(s, i, None).unwrap();
            e[0] = extension(
                crate::cert::oid::CE_BASIC_CONSTRAINTS,
                true,
                &x509_cert::ext::pkix::BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
            )
            .unwrap();
            e[1] = extension(
                crate::cert::oid::CE_KEY_USAGE,
                true,
                &x509_cert::ext::pkix::KeyUsage(
                    x509_cert::ext::pkix::KeyUsages::DigitalSignature.into(),
                ),
            )
            .unwrap();
            e
        },
        valid_for_a_year(),
    );
    let sign = ValidationOptions::new(now(), LeafPolicy::SmimeSigning);
    assert!(validate(&store, &signer.cert, &sign).is_valid());
    assert_invalid(&validate(&store, &signer.cert, &opts()), |r| {
        matches!(r, Reason::Usage(UsageError::KeyUsageMissing { .. }))
    });
    // A CA certificate is no S/MIME end certificate: a profile warning by default (RFC 5280
    // allows it; PKITS 4.6.8), a reason under the strict profile.
    let sub = ca("Sub CA", Some(&root), None);
    // (Its keyUsage does not allow mail, which is a reason either way.)
    let loose = validate(&store, &sub.cert, &opts());
    assert!(
        !loose.reasons().is_empty()
            && loose
                .reasons()
                .iter()
                .all(|r| matches!(r, Reason::Usage(_))),
        "{loose:?}"
    );
    assert_invalid(
        &validate(&store, &sub.cert, &opts().rfc5280_strict(true)),
        |r| {
            matches!(
                r,
                Reason::Profile {
                    rule: ProfileRule::EndEntityIsCa,
                    ..
                }
            )
        },
    );
    let any = ValidationOptions::new(now(), LeafPolicy::Any);
    assert!(validate(&store, &sub.cert, &any).is_valid());
}

struct RevokeOne(crate::cert::Thumbprint);

impl RevocationChecker for RevokeOne {
    fn status(
        &self,
        cert: &Certificate,
        _: &Certificate,
        _: SystemTime,
    ) -> crate::Result<RevocationStatus> {
        Ok(if *cert.thumbprint() == self.0 {
            RevocationStatus::Revoked {
                reason: Some(crate::crl::RevocationReason::KeyCompromise),
                date: now(),
            }
        } else {
            RevocationStatus::Good { next_update: None }
        })
    }
}

#[test]
fn revocation_is_asked_for_every_certificate_below_the_anchor() {
    let w = world();
    for revoked in [&w.leaf.cert, &w.inter.cert] {
        let checker = RevokeOne(*revoked.thumbprint());
        let v = w
            .store
            .read_transaction(|tx| {
                Validator::new(tx)
                    .revocation(&checker)
                    .validate(&w.leaf.cert, &opts())
            })
            .unwrap();
        assert_invalid(&v, |r| {
            matches!(
                r,
                Reason::Revoked {
                    reason: Some(crate::crl::RevocationReason::KeyCompromise),
                    ..
                }
            )
        });
    }
    let checker = RevokeOne(*w.root.cert.thumbprint());
    let v = w
        .store
        .read_transaction(|tx| {
            Validator::new(tx)
                .revocation(&checker)
                .validate(&w.leaf.cert, &opts())
        })
        .unwrap();
    assert!(v.is_valid(), "the anchor itself is not checked");
}

#[test]
fn blacklisting_is_inherited_down_the_chain() {
    let w = world();
    ctl(&w.store, CtlEntry::blacklisted(*w.leaf.cert.thumbprint()));
    assert_invalid(&validate(&w.store, &w.leaf.cert, &opts()), |r| {
        matches!(
            r,
            Reason::Blacklisted {
                inherited: false,
                ..
            }
        )
    });

    for ca in [&w.inter.cert, &w.root.cert] {
        let w2 = world();
        let target = if ca.thumbprint() == w.inter.cert.thumbprint() {
            *w2.inter.cert.thumbprint()
        } else {
            *w2.root.cert.thumbprint()
        };
        ctl(&w2.store, CtlEntry::blacklisted(target));
        assert_invalid(&validate(&w2.store, &w2.leaf.cert, &opts()), |r| {
            matches!(
                r,
                Reason::Blacklisted {
                    inherited: true,
                    ..
                }
            )
        });
        // Whitelisting the leaf does not save it from a blacklisted issuer.
        ctl(&w2.store, CtlEntry::whitelisted(*w2.leaf.cert.thumbprint()));
        assert_invalid(&validate(&w2.store, &w2.leaf.cert, &opts()), |r| {
            matches!(
                r,
                Reason::Blacklisted {
                    inherited: true,
                    ..
                }
            )
        });
    }
}

#[test]
fn a_blacklisted_and_whitelisted_leaf_is_not_valid() {
    let w = world();
    // The blacklist wins over everything: a store holds one entry per thumbprint, so the
    // blacklist entry replaces a whitelist entry.
    ctl(&w.store, CtlEntry::whitelisted(*w.leaf.cert.thumbprint()));
    ctl(&w.store, CtlEntry::blacklisted(*w.leaf.cert.thumbprint()));
    assert!(!validate(&w.store, &w.leaf.cert, &opts()).is_valid());
}

#[test]
fn a_whitelisted_end_certificate_is_valid_without_a_chain_and_after_expiry_if_allowed() {
    let root = ca("Unknown Root", None, None);
    let l = leaf("w@example.com", &root);
    let store = MemoryStore::new();
    assert!(!validate(&store, &l.cert, &opts()).is_valid());
    ctl(&store, CtlEntry::whitelisted(*l.cert.thumbprint()));
    let Validation::Valid { chain, .. } = validate(&store, &l.cert, &opts()) else {
        panic!("whitelisted")
    };
    assert_eq!(chain.len(), 1);
    // Usage rules still hold for a whitelisted certificate.
    let server_only = ValidationOptions::new(now(), LeafPolicy::SmimeSigning)
        .required_eku(Some(Eku::SERVER_AUTH));
    assert!(!validate(&store, &l.cert, &server_only).is_valid());

    let later = ValidationOptions::new(add_days(now(), 400), LeafPolicy::SmimeEncryption);
    assert_invalid(&validate(&store, &l.cert, &later), |r| {
        matches!(r, Reason::Expired { .. })
    });
    ctl(
        &store,
        CtlEntry {
            thumbprint: *l.cert.thumbprint(),
            status: CtlStatus::Whitelisted,
            allow_expired: true,
        },
    );
    assert!(validate(&store, &l.cert, &later).is_valid());
}

#[test]
fn a_whitelisted_intermediate_makes_nothing_below_it_valid() {
    let w = world();
    let store = MemoryStore::new();
    store
        .transaction(|tx| tx.put_certificate(&w.inter.cert).map(|_| ()))
        .unwrap();
    ctl(&store, CtlEntry::whitelisted(*w.inter.cert.thumbprint()));
    assert_invalid(&validate(&store, &w.leaf.cert, &opts()), |r| {
        matches!(r, Reason::NoPathToTrustAnchor { .. })
    });
    // Nor is a whitelisted CA certificate valid by itself.
    let any = ValidationOptions::new(now(), LeafPolicy::Any);
    assert!(!validate(&store, &w.inter.cert, &any).is_valid());
}

#[test]
fn a_renewed_root_still_validates_what_the_old_one_issued() {
    let store = MemoryStore::new();
    let authority = crate::ca::CertificateAuthority::new(&store);
    let clock = crate::time::FixedClock(add_days(now(), -1));
    let created = authority
        .create(
            &crate::ca::CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256),
            &clock,
        )
        .unwrap();
    let issued = authority
        .issue(
            &crate::ca::IssueSpec::new("r@example.com", "R").key(KeySpec::EcP256),
            &clock,
        )
        .unwrap();
    authority.renew(created.root().id, &clock).unwrap();
    let Validation::Valid { chain, .. } = validate(&store, issued.certificate(), &opts()) else {
        panic!("renewed")
    };
    assert_ne!(
        chain[1].thumbprint(),
        created.root_certificate().thumbprint(),
        "the chain ends at the renewed root"
    );
}

#[test]
fn stress_decoys_loops_and_depth_end_with_a_clear_error_within_the_budget() {
    let root = ca("Root", None, None);
    let inter = ca("Intermediate", Some(&root), None);
    let l = leaf("d@example.com", &inter);

    // 100 decoy intermediates with the same name and other keys, plus the real one.
    let decoys: Vec<Certificate> = (0..100)
        .map(|_| ca("Intermediate", Some(&root), None).cert)
        .collect();
    let store = store_with(&root, &decoys.iter().collect::<Vec<_>>());
    let started = std::time::Instant::now();
    let v = validate(&store, &l.cert, &opts());
    assert_invalid(&v, |r| {
        matches!(
            r,
            Reason::BudgetExceeded { .. } | Reason::BadSignature { .. }
        )
    });
    // With the real intermediate among them, it is found (AKI/SKI ordering puts it first).
    store
        .transaction(|tx| tx.put_certificate(&inter.cert).map(|_| ()))
        .unwrap();
    assert!(validate(&store, &l.cert, &opts()).is_valid());
    assert!(started.elapsed() < std::time::Duration::from_secs(30));

    // A loop: A and B cross-sign each other, neither leads to a trusted root.
    let a = ca("Loop A", None, None);
    let b = ca("Loop B", Some(&a), None);
    let a_by_b = make(
        "Loop A",
        Some(&b),
        a.key,
        |s, i| ca_extensions(s, i, None).unwrap(),
        valid_for_a_year(),
    );
    let below = leaf("l@example.com", &a_by_b);
    let store = store_with(&root, &[&b.cert, &a_by_b.cert, &a.cert]);
    assert_invalid(&validate(&store, &below.cert, &opts()), |r| {
        matches!(r, Reason::NoPathToTrustAnchor { .. })
    });

    // 50 intermediates deep: beyond the depth limit.
    let mut chain = vec![ca("Depth 0", Some(&root), None)];
    for d in 1..50 {
        let next = ca(&format!("Depth {d}"), chain.last(), None);
        chain.push(next);
    }
    let deep = leaf("deep@example.com", chain.last().unwrap());
    let store = store_with(&root, &chain.iter().map(|n| &n.cert).collect::<Vec<_>>());
    assert_invalid(&validate(&store, &deep.cert, &opts()), |r| {
        matches!(
            r,
            Reason::ChainTooLong { max: 8 } | Reason::BudgetExceeded { .. }
        )
    });
    // A budget too small for the chain is its own error.
    let tiny = opts().budget(Budget::default().signatures(1).candidates(100));
    assert_invalid(&validate(&w_store(&root, &inter), &l.cert, &tiny), |r| {
        matches!(
            r,
            Reason::BudgetExceeded {
                what: "signature checks"
            }
        )
    });
}

fn w_store(root: &Node, inter: &Node) -> MemoryStore {
    store_with(root, &[&inter.cert])
}

fn constrained_ca(
    root: &Node,
    permitted: Vec<x509_cert::ext::pkix::name::GeneralName>,
    excluded: Vec<x509_cert::ext::pkix::name::GeneralName>,
) -> Node {
    use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
    let subtrees = |names: Vec<x509_cert::ext::pkix::name::GeneralName>| {
        (!names.is_empty()).then(|| {
            names
                .into_iter()
                .map(|base| GeneralSubtree {
                    base,
                    minimum: 0,
                    maximum: None,
                })
                .collect::<Vec<_>>()
        })
    };
    let nc = x509_cert::ext::pkix::NameConstraints {
        permitted_subtrees: subtrees(permitted),
        excluded_subtrees: subtrees(excluded),
    };
    make(
        "Constrained CA",
        Some(root),
        ec(),
        |s, i| {
            let mut e = ca_extensions(s, i, None).unwrap();
            e.push(extension(crate::cert::oid::CE_NAME_CONSTRAINTS, true, &nc).unwrap());
            e
        },
        valid_for_a_year(),
    )
}

fn email_name(s: &str) -> x509_cert::ext::pkix::name::GeneralName {
    x509_cert::ext::pkix::name::GeneralName::Rfc822Name(der::asn1::Ia5String::new(s).unwrap())
}

#[test]
fn name_constraints_bind_email_addresses_below_the_ca() {
    let root = ca("Root", None, None);
    let nc = constrained_ca(
        &root,
        vec![email_name("example.com")],
        vec![email_name("ceo@example.com")],
    );
    let store = store_with(&root, &[&nc.cert]);
    let ok = leaf("alice@example.com", &nc);
    assert!(validate(&store, &ok.cert, &opts()).is_valid());
    for bad in [
        "mallory@evil.example",
        "ceo@example.com",
        "x@sub.example.com",
    ] {
        let l = leaf(bad, &nc);
        assert_invalid(
            &validate(&store, &l.cert, &opts()),
            |r| matches!(r, Reason::NameConstraints { detail } if detail.contains(bad)),
        );
    }
}

#[test]
fn name_constraint_comparisons_count_against_the_path_budget() {
    let root = ca("Root", None, None);
    let nc = constrained_ca(&root, vec![email_name("example.com")], vec![]);
    let store = store_with(&root, &[&nc.cert]);
    let ok = leaf("alice@example.com", &nc);
    assert!(validate(&store, &ok.cert, &opts()).is_valid());
    // The same path with no comparisons left in the budget ends with a budget reason, not a
    // verdict on the name.
    let starved = opts().budget(Budget::default().name_comparisons(0));
    assert_invalid(&validate(&store, &ok.cert, &starved), |r| {
        matches!(
            r,
            Reason::BudgetExceeded {
                what: "name constraint comparisons"
            }
        )
    });
}

#[test]
fn tls_server_names_match_the_san_only() {
    let root = ca("Root", None, None);
    let store = store_with(&root, &[]);
    let server = make(
        "www.example.com",
        Some(&root),
        ec(),
        |s, i| {
            let san = x509_cert::ext::pkix::SubjectAltName(vec![
                x509_cert::ext::pkix::name::GeneralName::DnsName(
                    der::asn1::Ia5String::new("*.example.com").unwrap(),
                ),
            ]);
            let mut e = ca_extensions(s, i, None).unwrap();
            e[0] = extension(
                crate::cert::oid::CE_BASIC_CONSTRAINTS,
                true,
                &x509_cert::ext::pkix::BasicConstraints {
                    ca: false,
                    path_len_constraint: None,
                },
            )
            .unwrap();
            e[1] = extension(crate::cert::oid::CE_SUBJECT_ALT_NAME, false, &san).unwrap();
            e
        },
        valid_for_a_year(),
    );
    let tls = |name: &str| {
        ValidationOptions::new(
            now(),
            LeafPolicy::TlsServer(ServerName::Dns(name.to_string())),
        )
    };
    assert!(validate(&store, &server.cert, &tls("mail.example.com")).is_valid());
    for wrong in ["example.com", "a.b.example.com", "www.example.org"] {
        assert_invalid(&validate(&store, &server.cert, &tls(wrong)), |r| {
            matches!(r, Reason::NameMismatch { .. })
        });
    }
    let ip = ValidationOptions::new(
        now(),
        LeafPolicy::TlsServer(ServerName::Ip("192.0.2.1".parse().unwrap())),
    );
    assert_invalid(&validate(&store, &server.cert, &ip), |r| {
        matches!(r, Reason::NameMismatch { .. })
    });
}

#[test]
fn weak_keys_and_profile_violations_are_reasons() {
    let w = world();
    let strict = opts().min_rsa_bits(4096);
    // EC keys are not affected by the RSA minimum...
    assert!(validate(&w.store, &w.leaf.cert, &strict).is_valid());
    // ...an RSA key below it is.
    let store = MemoryStore::new();
    let authority = crate::ca::CertificateAuthority::new(&store);
    let clock = crate::time::FixedClock(add_days(now(), -1));
    authority
        .create(
            &crate::ca::CaSpec::new(DistinguishedName::new("RSA Root")).key(KeySpec::Rsa(2048)),
            &clock,
        )
        .unwrap();
    let issued = authority
        .issue(
            &crate::ca::IssueSpec::new("rsa@example.com", "R").key(KeySpec::EcP256),
            &clock,
        )
        .unwrap();
    assert!(validate(&store, issued.certificate(), &opts()).is_valid());
    assert_invalid(&validate(&store, issued.certificate(), &strict), |r| {
        matches!(r, Reason::WeakKey { .. })
    });
    // A leaf without an authority key identifier breaks the RFC 5280 profile: refused under
    // the strict profile, valid with a warning by default.
    let root = ca("Root", None, None);
    let key = ec();
    let alg = key.algorithm();
    let no_aki = make(
        "No AKI",
        Some(&root),
        key,
        |s, i| {
            let mut e = smime_extensions(&alg, "n@example.com", s, i, None).unwrap();
            e.retain(|x| x.extn_id != crate::cert::oid::CE_AUTHORITY_KEY_ID);
            e
        },
        valid_for_a_year(),
    );
    let store = store_with(&root, &[]);
    assert_invalid(
        &validate(&store, &no_aki.cert, &opts().rfc5280_strict(true)),
        |r| {
            matches!(
                r,
                Reason::Profile {
                    rule: ProfileRule::MissingAuthorityKeyId,
                    ..
                }
            )
        },
    );
    let loose = validate(&store, &no_aki.cert, &opts());
    assert!(loose.is_valid(), "{loose:?}");
    assert!(
        loose.warnings().contains(&Warning::Profile {
            subject: no_aki.cert.subject().to_string(),
            rule: ProfileRule::MissingAuthorityKeyId
        }),
        "{loose:?}"
    );
}

fn oid(s: &str) -> ObjectIdentifier {
    ObjectIdentifier::new_unwrap(s)
}

fn policies_ext(ids: &[&str]) -> x509_cert::ext::Extension {
    let cp = x509_cert::ext::pkix::CertificatePolicies(
        ids.iter()
            .map(|i| x509_cert::ext::pkix::certpolicy::PolicyInformation {
                policy_identifier: oid(i),
                policy_qualifiers: None,
            })
            .collect(),
    );
    extension(crate::cert::oid::CE_CERTIFICATE_POLICIES, false, &cp).unwrap()
}

fn mappings_ext(pairs: &[(&str, &str)]) -> x509_cert::ext::Extension {
    let pm = x509_cert::ext::pkix::PolicyMappings(
        pairs
            .iter()
            .map(|(a, b)| x509_cert::ext::pkix::PolicyMapping {
                issuer_domain_policy: oid(a),
                subject_domain_policy: oid(b),
            })
            .collect(),
    );
    extension(crate::cert::oid::CE_POLICY_MAPPINGS, true, &pm).unwrap()
}

const P1: &str = "1.3.6.1.4.1.99999.10.1";
const P2: &str = "1.3.6.1.4.1.99999.10.2";
const ANY: &str = "2.5.29.32.0";

/// root -> intermediate (extra extensions) -> leaf (policies), the store holding the root.
fn policy_chain(
    inter_exts: Vec<x509_cert::ext::Extension>,
    leaf_policies: &[&str],
) -> (MemoryStore, Node) {
    let root = ca("Root", None, None);
    let inter = make(
        "Intermediate",
        Some(&root),
        ec(),
        |s, i| {
            let mut e = ca_extensions(s, i, None).unwrap();
            e.extend(inter_exts);
            e
        },
        valid_for_a_year(),
    );
    let key = ec();
    let alg = key.algorithm();
    let leaf_policies: Vec<String> = leaf_policies.iter().map(|s| s.to_string()).collect();
    let l = make(
        "Leaf",
        Some(&inter),
        key,
        |s, i| {
            let mut e = smime_extensions(&alg, "p@example.com", s, i, None).unwrap();
            if !leaf_policies.is_empty() {
                let ids: Vec<&str> = leaf_policies.iter().map(String::as_str).collect();
                e.push(policies_ext(&ids));
            }
            e
        },
        valid_for_a_year(),
    );
    (store_with(&root, &[&inter.cert]), l)
}

fn with_policies(inputs: PolicyInputs) -> ValidationOptions {
    opts().policies(inputs)
}

fn explicit(set: &[&str]) -> PolicyInputs {
    PolicyInputs {
        initial_policy_set: set.iter().map(|s| oid(s)).collect(),
        initial_explicit_policy: true,
        ..PolicyInputs::default()
    }
}

#[track_caller]
fn assert_policy_failure(v: &Validation) {
    assert_invalid(v, |r| matches!(r, Reason::Policy { .. }));
}

#[test]
fn policies_default_accept_anything_explicit_requires_one() {
    let (store, l) = policy_chain(vec![], &[]);
    assert!(validate(&store, &l.cert, &opts()).is_valid());
    assert_policy_failure(&validate(&store, &l.cert, &with_policies(explicit(&[]))));

    let (store, l) = policy_chain(vec![policies_ext(&[P1])], &[P1]);
    assert!(validate(&store, &l.cert, &with_policies(explicit(&[]))).is_valid());
    assert!(validate(&store, &l.cert, &with_policies(explicit(&[P1]))).is_valid());
    assert_policy_failure(&validate(&store, &l.cert, &with_policies(explicit(&[P2]))));
}

#[test]
fn any_policy_in_an_intermediate_and_its_inhibition() {
    let (store, l) = policy_chain(vec![policies_ext(&[ANY])], &[P1]);
    assert!(validate(&store, &l.cert, &with_policies(explicit(&[P1]))).is_valid());
    let inhibited = PolicyInputs {
        initial_any_policy_inhibit: true,
        ..explicit(&[P1])
    };
    assert_policy_failure(&validate(&store, &l.cert, &with_policies(inhibited)));
}

#[test]
fn policy_mappings_and_their_inhibition() {
    let (store, l) = policy_chain(vec![policies_ext(&[P1]), mappings_ext(&[(P1, P2)])], &[P2]);
    assert!(validate(&store, &l.cert, &with_policies(explicit(&[P1]))).is_valid());
    let inhibited = PolicyInputs {
        initial_policy_mapping_inhibit: true,
        ..explicit(&[P1])
    };
    assert_policy_failure(&validate(&store, &l.cert, &with_policies(inhibited)));
    // A mapping to anyPolicy is refused whatever the inputs.
    let (store, l) = policy_chain(vec![policies_ext(&[P1]), mappings_ext(&[(P1, ANY)])], &[P1]);
    assert_policy_failure(&validate(&store, &l.cert, &opts()));
}

#[test]
fn require_explicit_policy_in_a_ca_applies_below_it() {
    let pc = x509_cert::ext::pkix::PolicyConstraints {
        require_explicit_policy: Some(0),
        inhibit_policy_mapping: None,
    };
    let pc = extension(crate::cert::oid::CE_POLICY_CONSTRAINTS, true, &pc).unwrap();
    let (store, l) = policy_chain(vec![pc.clone()], &[]);
    assert_policy_failure(&validate(&store, &l.cert, &opts()));
    let (store, l) = policy_chain(vec![pc, policies_ext(&[P1])], &[P1]);
    assert!(validate(&store, &l.cert, &opts()).is_valid());
}

/// A chain of `depth` intermediates that each assert `width` policies and map each of them to
/// all of them, and a leaf asserting the first; validated for the fourth.
fn mapping_storm(width: usize, depth: usize) -> Validation {
    let ids: Vec<String> = (0..width)
        .map(|k| format!("1.3.6.1.4.1.99999.20.{k}"))
        .collect();
    let refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let pairs: Vec<(&str, &str)> = refs
        .iter()
        .flat_map(|a| refs.iter().map(move |b| (*a, *b)))
        .collect();
    let root = ca("Root", None, None);
    let mut chain: Vec<Node> = vec![];
    for d in 0..depth {
        let node = make(
            &format!("Mapper {d}"),
            Some(chain.last().unwrap_or(&root)),
            ec(),
            |s, i| {
                let mut e = ca_extensions(s, i, None).unwrap();
                e.push(policies_ext(&refs));
                e.push(mappings_ext(&pairs));
                e
            },
            valid_for_a_year(),
        );
        chain.push(node);
    }
    let key = ec();
    let alg = key.algorithm();
    let l = make(
        "Leaf",
        chain.last(),
        key,
        |s, i| {
            let mut e = smime_extensions(&alg, "m@example.com", s, i, None).unwrap();
            e.push(policies_ext(&refs[..1]));
            e
        },
        valid_for_a_year(),
    );
    let store = store_with(&root, &chain.iter().map(|n| &n.cert).collect::<Vec<_>>());
    validate(&store, &l.cert, &with_policies(explicit(&[refs[3]])))
}

#[test]
fn many_policy_mappings_finish_quickly() {
    // The RFC's tree would grow as 30^depth; the level graph stays small.
    let started = std::time::Instant::now();
    let v = mapping_storm(30, 6);
    assert!(v.is_valid(), "{:?}", v.reasons());
    // Past the per-certificate cap (1,000 mappings) it is a policy failure, at once.
    assert_invalid(
        &mapping_storm(40, 2),
        |r| matches!(r, Reason::Policy { detail } if detail.contains("too complex")),
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
}

#[test]
fn sha1_signatures_below_the_anchor_are_weak_unless_allowed() {
    use crate::ca::sign::sign_tbs;
    use sha1::Digest as _;
    let root_key = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
    let (start, days) = valid_for_a_year();
    let root_subject = DistinguishedName::new("SHA-1 Root").to_der().unwrap();
    let root_spki = root_key.public_key_der();
    let root_ski = key_identifier(&root_spki).unwrap();
    let root_cert = sign_certificate(
        TbsParts {
            serial: &random_serial().unwrap(),
            issuer_der: &root_subject,
            subject_der: &root_subject,
            spki_der: &root_spki,
            not_before: start,
            not_after: add_days(start, days),
            extensions: ca_extensions(&root_ski, &root_ski, Some(1)).unwrap(),
        },
        &root_key,
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
    )
    .unwrap();
    let root = Node {
        key: root_key,
        cert: root_cert,
    };
    let crate::key::Inner::Rsa(rsa_root) = root.key.inner() else {
        unreachable!()
    };
    // An intermediate signed by the root with sha1WithRSAEncryption.
    let inter_key = ec();
    let subject = DistinguishedName::new("SHA-1 Intermediate")
        .to_der()
        .unwrap();
    let spki = inter_key.public_key_der();
    let ski = key_identifier(&spki).unwrap();
    let inter_cert = sign_tbs(
        TbsParts {
            serial: &random_serial().unwrap(),
            issuer_der: root.cert.subject_der(),
            subject_der: &subject,
            spki_der: &spki,
            not_before: start,
            not_after: add_days(start, days),
            extensions: ca_extensions(&ski, root.cert.subject_key_id().unwrap(), Some(0)).unwrap(),
        },
        spki::AlgorithmIdentifierOwned {
            oid: crate::cert::oid::SHA1_WITH_RSA,
            parameters: Some(der::asn1::Null.into()),
        },
        |tbs| {
            let digest = sha1::Sha1::digest(tbs);
            Ok(rsa_root
                .key
                .sign(rsa::Pkcs1v15Sign::new::<sha1::Sha1>(), &digest)
                .unwrap())
        },
    )
    .unwrap();
    let inter = Node {
        key: inter_key,
        cert: inter_cert,
    };
    let leaf = leaf("alice@example.com", &inter);
    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(&root.cert)?;
            tx.put_certificate(&inter.cert)?;
            Ok(())
        })
        .unwrap();
    // Refused by default: a weak-algorithm verdict naming the intermediate.
    let v = validate(&store, &leaf.cert, &opts());
    assert_invalid(&v, |r| {
        matches!(r, Reason::WeakAlgorithm { subject, detail }
            if subject.contains("SHA-1 Intermediate") && detail.contains("SHA-1"))
    });
    // Allowed for old mail: valid.
    let v = validate(&store, &leaf.cert, &opts().allow_sha1(true));
    assert!(v.is_valid(), "{v:?}");
}

mod cache_tests;
