use std::time::{Duration, SystemTime};

use super::*;
use crate::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec};
use crate::cert::Certificate;
use crate::error::ErrorKind;
use crate::key::{KeyId, KeySpec};
use crate::settings::{self, SettingKey, SettingValue, Source};
use crate::store::{
    CtlEntry, DomainName, MasterKey, MasterKeySource, MemoryStore, SettingScope, SqliteStore,
    Store, StoreExt,
};
use crate::time::FixedClock;
use crate::trust::Reason;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

fn now() -> SystemTime {
    // Whole seconds: certificates carry whole seconds.
    let secs = crate::time::unix_seconds(SystemTime::now());
    crate::time::from_unix_seconds(secs)
}

fn ago(secs: u64) -> SystemTime {
    now() - Duration::from_secs(secs)
}

fn later(secs: u64) -> SystemTime {
    now() + Duration::from_secs(secs)
}

fn email(s: &str) -> EmailAddress {
    EmailAddress::new(s).unwrap()
}

/// A memory store and a SQLite store, each with a CA created 10 days ago.
fn stores() -> (tempfile::TempDir, Vec<Box<dyn Store>>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(
        dir.path().join("s.db"),
        MasterKeySource::Provided(MasterKey::from_bytes([7; 32])),
    )
    .unwrap();
    let stores: Vec<Box<dyn Store>> = vec![Box::new(MemoryStore::new()), Box::new(sqlite)];
    for s in &stores {
        CertificateAuthority::new(s)
            .create(
                &CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256),
                &FixedClock(ago(10 * DAY)),
            )
            .unwrap();
    }
    (dir, stores)
}

/// Issues a certificate for `addr` at `issued` (its notBefore) valid for `days`.
fn issue(store: &dyn Store, addr: &str, issued: SystemTime, days: u32) -> Certificate {
    CertificateAuthority::new(store)
        .issue(
            &IssueSpec::new(addr, "Someone")
                .key(KeySpec::EcP256)
                .days(days),
            &FixedClock(issued),
        )
        .unwrap()
        .certificate()
        .clone()
}

fn enc(store: &dyn Store, addr: &str, at: SystemTime) -> EncryptionSelection {
    store
        .read_transaction(|tx| encryption_certificates(tx, &email(addr), at))
        .unwrap()
}

fn sig(store: &dyn Store, addr: &str, at: SystemTime) -> Option<Selected> {
    store
        .read_transaction(|tx| signing_certificate(tx, &email(addr), at))
        .unwrap()
}

/// (thumbprint, why) of the selected certificates, sorted.
fn picked(s: &EncryptionSelection) -> Vec<(Thumbprint, Why)> {
    let mut v: Vec<_> = s
        .selected
        .iter()
        .map(|x| (*x.certificate.thumbprint(), x.why))
        .collect();
    v.sort_by_key(|(t, _)| *t);
    v
}

fn want(mut v: Vec<(&Certificate, Why)>) -> Vec<(Thumbprint, Why)> {
    v.sort_by_key(|(c, _)| *c.thumbprint());
    v.into_iter().map(|(c, w)| (*c.thumbprint(), w)).collect()
}

fn left_out<'a>(s: &'a EncryptionSelection, c: &Certificate) -> &'a LeftOut {
    s.left_out
        .iter()
        .find(|l| &l.thumbprint == c.thumbprint())
        .unwrap_or_else(|| panic!("{} is not left out: {:?}", c.subject(), s.left_out))
}

fn set(store: &dyn Store, scope: &SettingScope, key: SettingKey, value: SettingValue) {
    store
        .transaction(|tx| settings::set(tx, scope, key, &value))
        .unwrap();
}

#[test]
fn every_valid_certificate_of_the_address_is_selected_automatically_and_the_rest_say_why() {
    let (_dir, stores) = stores();
    for store in &stores {
        let a = issue(&**store, "bob@example.com", ago(2 * DAY), 365);
        let b = issue(&**store, "bob@example.com", ago(DAY), 365);
        let expired = issue(&**store, "bob@example.com", ago(5 * DAY), 1);
        let _other = issue(&**store, "carol@example.com", ago(DAY), 365);
        let s = enc(&**store, "bob@EXAMPLE.com", now());
        assert!(s.auto_select);
        assert!(s.has_own());
        assert_eq!(
            picked(&s),
            want(vec![(&a, Why::Automatic), (&b, Why::Automatic)])
        );
        assert_eq!(s.left_out.len(), 1);
        let l = left_out(&s, &expired);
        assert_eq!(l.why, Why::Automatic);
        assert!(
            matches!(&l.exclusion, Exclusion::Invalid(r) if matches!(r[0], Reason::Expired { .. })),
            "{:?}",
            l.exclusion
        );
        // Nobody's certificates: an empty selection, not an error.
        let none = enc(&**store, "nobody@example.com", now());
        assert!(none.is_empty() && none.left_out.is_empty());
    }
}

#[test]
fn a_revoked_or_blacklisted_certificate_leaves_the_selection_at_once() {
    let (_dir, stores) = stores();
    for store in &stores {
        let a = issue(&**store, "bob@example.com", ago(2 * DAY), 365);
        let b = issue(&**store, "bob@example.com", ago(DAY), 365);
        let c = issue(&**store, "bob@example.com", ago(3 * DAY), 365);
        // b is also chosen by hand: a manual choice does not survive revocation either.
        store
            .transaction(|tx| select_encryption(tx, &email("bob@example.com"), &[*b.thumbprint()]))
            .unwrap();
        store
            .transaction(|tx| select_signing(tx, &email("bob@example.com"), b.thumbprint()))
            .unwrap();
        assert_eq!(enc(&**store, "bob@example.com", now()).selected.len(), 3);
        assert_eq!(
            sig(&**store, "bob@example.com", now()).unwrap().why,
            Why::Manual
        );

        let ca = store
            .read_transaction(|tx| tx.default_ca())
            .unwrap()
            .unwrap();
        CertificateAuthority::new(&**store)
            .create_crl(
                &CrlSpec::new(ca.id).revoke_certificate(&b),
                &FixedClock(ago(HOUR)),
            )
            .unwrap();
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![(&a, Why::Automatic), (&c, Why::Automatic)])
        );
        let l = left_out(&s, &b);
        assert_eq!(l.why, Why::Manual);
        assert!(
            matches!(&l.exclusion, Exclusion::Invalid(r) if r.iter().any(|r| matches!(r, Reason::Revoked { .. }))),
            "{:?}",
            l.exclusion
        );
        // Signing falls back to the latest notBefore among the rest: a.
        let signer = sig(&**store, "bob@example.com", now()).unwrap();
        assert_eq!(
            (signer.certificate.thumbprint(), signer.why),
            (a.thumbprint(), Why::Automatic)
        );

        store
            .transaction(|tx| tx.put_ctl_entry(&CtlEntry::blacklisted(*a.thumbprint())))
            .unwrap();
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(picked(&s), want(vec![(&c, Why::Automatic)]));
        assert!(
            matches!(&left_out(&s, &a).exclusion, Exclusion::Invalid(r) if r.iter().any(|r| matches!(r, Reason::Blacklisted { .. }))),
        );
        let signer = sig(&**store, "bob@example.com", now()).unwrap();
        assert_eq!(signer.certificate.thumbprint(), c.thumbprint());
    }
}

#[test]
fn a_manual_choice_that_expires_falls_back_to_automatic() {
    let (_dir, stores) = stores();
    for store in &stores {
        let long = issue(&**store, "bob@example.com", ago(HOUR), 365);
        let short = issue(&**store, "bob@example.com", ago(2 * HOUR), 2);
        let bob = email("bob@example.com");
        store
            .transaction(|tx| select_signing(tx, &bob, short.thumbprint()))
            .unwrap();
        // Now: the manual choice, although `long` has the later notBefore.
        let s = sig(&**store, "bob@example.com", now()).unwrap();
        assert_eq!(
            (s.certificate.thumbprint(), s.why),
            (short.thumbprint(), Why::Manual)
        );
        // Three days on, it has expired: automatic.
        let s = sig(&**store, "bob@example.com", later(3 * DAY)).unwrap();
        assert_eq!(
            (s.certificate.thumbprint(), s.why),
            (long.thumbprint(), Why::Automatic)
        );
        // The choice is still stored; back to automatic forgets it.
        assert_eq!(
            store
                .read_transaction(|tx| tx.manual_signing_certificate(&bob))
                .unwrap(),
            Some(*short.thumbprint())
        );
        assert!(store.transaction(|tx| automatic_signing(tx, &bob)).unwrap());
        assert!(!store.transaction(|tx| automatic_signing(tx, &bob)).unwrap());
        let s = sig(&**store, "bob@example.com", now()).unwrap();
        assert_eq!(
            (s.certificate.thumbprint(), s.why),
            (long.thumbprint(), Why::Automatic)
        );

        // Encryption, auto-select off: the manual choice while valid, then nothing of Bob's.
        set(
            &**store,
            &SettingScope::User(bob.clone()),
            SettingKey::AutoSelect,
            SettingValue::Flag(false),
        );
        store
            .transaction(|tx| select_encryption(tx, &bob, &[*short.thumbprint()]))
            .unwrap();
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(picked(&s), want(vec![(&short, Why::Manual)]));
        let s = enc(&**store, "bob@example.com", later(3 * DAY));
        assert!(s.is_empty());
        assert!(matches!(
            &left_out(&s, &short).exclusion,
            Exclusion::Invalid(r) if matches!(r[0], Reason::Expired { .. })
        ));
        assert_eq!(left_out(&s, &long).exclusion, Exclusion::AutoSelectOff);
    }
}

#[test]
fn auto_select_off_leaves_only_manual_and_additional_certificates() {
    let (_dir, stores) = stores();
    for store in &stores {
        let a = issue(&**store, "bob@example.com", ago(DAY), 365);
        let b = issue(&**store, "bob@example.com", ago(DAY), 300);
        let escrow = issue(&**store, "escrow@example.com", ago(DAY), 365);
        let bob = email("bob@example.com");
        let user = SettingScope::User(bob.clone());
        store
            .transaction(|tx| {
                tx.put_user(&bob)?;
                settings::set(
                    tx,
                    &user,
                    SettingKey::AutoSelect,
                    &SettingValue::Flag(false),
                )?;
                settings::set(
                    tx,
                    &user,
                    SettingKey::AdditionalCertificates,
                    &SettingValue::Thumbprints(vec![*escrow.thumbprint()]),
                )
            })
            .unwrap();
        let s = enc(&**store, "bob@example.com", now());
        assert!(!s.auto_select);
        assert!(!s.has_own());
        assert_eq!(
            picked(&s),
            want(vec![(
                &escrow,
                Why::Additional {
                    source: Source::User
                }
            )])
        );
        assert_eq!(left_out(&s, &a).exclusion, Exclusion::AutoSelectOff);
        assert_eq!(left_out(&s, &b).exclusion, Exclusion::AutoSelectOff);
        store
            .transaction(|tx| select_encryption(tx, &bob, &[*a.thumbprint()]))
            .unwrap();
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![
                (&a, Why::Manual),
                (
                    &escrow,
                    Why::Additional {
                        source: Source::User
                    }
                )
            ])
        );
        assert_eq!(s.left_out.len(), 1);
        // On again: b joins automatically; a stays manual (listed once).
        set(
            &**store,
            &user,
            SettingKey::AutoSelect,
            SettingValue::Flag(true),
        );
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![
                (&a, Why::Manual),
                (&b, Why::Automatic),
                (
                    &escrow,
                    Why::Additional {
                        source: Source::User
                    }
                )
            ])
        );
        assert!(s.left_out.is_empty());
    }
}

#[test]
fn additional_certificates_of_user_domain_and_global_all_appear() {
    let (_dir, stores) = stores();
    for store in &stores {
        let bobs = issue(&**store, "bob@example.com", ago(DAY), 365);
        let eu = issue(&**store, "escrow-user@corp.example", ago(DAY), 365);
        let ed = issue(&**store, "escrow-domain@corp.example", ago(DAY), 365);
        let eg = issue(&**store, "escrow-global@corp.example", ago(DAY), 365);
        let expired = issue(&**store, "old-escrow@corp.example", ago(5 * DAY), 1);
        let bob = email("bob@example.com");
        let list = |c: &[&Certificate]| {
            SettingValue::Thumbprints(c.iter().map(|c| *c.thumbprint()).collect())
        };
        store
            .transaction(|tx| {
                tx.put_user(&bob)?;
                tx.put_domain(&DomainName::new("example.com")?)?;
                Ok(())
            })
            .unwrap();
        set(
            &**store,
            &SettingScope::User(bob.clone()),
            SettingKey::AdditionalCertificates,
            list(&[&eu]),
        );
        set(
            &**store,
            &SettingScope::Domain(DomainName::new("example.com").unwrap()),
            SettingKey::AdditionalCertificates,
            list(&[&ed, &eu]),
        );
        set(
            &**store,
            &SettingScope::Global,
            SettingKey::AdditionalCertificates,
            list(&[&eg, &expired]),
        );
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![
                (&bobs, Why::Automatic),
                (
                    &eu,
                    Why::Additional {
                        source: Source::User
                    }
                ),
                (
                    &ed,
                    Why::Additional {
                        source: Source::Domain
                    }
                ),
                (
                    &eg,
                    Why::Additional {
                        source: Source::Global
                    }
                ),
            ])
        );
        let l = left_out(&s, &expired);
        assert_eq!(
            l.why,
            Why::Additional {
                source: Source::Global
            }
        );
        assert!(matches!(&l.exclusion, Exclusion::Invalid(_)));
        // Another user of the domain gets the domain's and global ones; of another domain,
        // the global one.
        let s = enc(&**store, "alice@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![
                (
                    &ed,
                    Why::Additional {
                        source: Source::Domain
                    }
                ),
                (
                    &eu,
                    Why::Additional {
                        source: Source::Domain
                    }
                ),
                (
                    &eg,
                    Why::Additional {
                        source: Source::Global
                    }
                ),
            ])
        );
        let s = enc(&**store, "carol@other.example", now());
        assert_eq!(
            picked(&s),
            want(vec![(
                &eg,
                Why::Additional {
                    source: Source::Global
                }
            )])
        );
        // An additional certificate removed from the store is left out as not stored.
        store
            .transaction(|tx| tx.delete_certificate(eg.thumbprint()))
            .unwrap();
        let s = enc(&**store, "carol@other.example", now());
        assert!(s.is_empty());
        assert_eq!(s.left_out[0].exclusion, Exclusion::NotStored);
    }
}

#[test]
fn the_latest_not_before_signs_then_the_later_not_after_and_only_with_a_key() {
    let (_dir, stores) = stores();
    for store in &stores {
        let older = issue(&**store, "alice@example.com", ago(3 * DAY), 3000);
        let newer = issue(&**store, "alice@example.com", ago(DAY), 30);
        let s = sig(&**store, "alice@example.com", now()).unwrap();
        assert_eq!(
            s.certificate.thumbprint(),
            newer.thumbprint(),
            "latest notBefore, not notAfter"
        );
        // Same notBefore: the later notAfter.
        let t = ago(HOUR);
        let short = issue(&**store, "alice@example.com", t, 10);
        let long = issue(&**store, "alice@example.com", t, 20);
        assert_eq!(short.not_before(), long.not_before());
        let s = sig(&**store, "alice@example.com", now()).unwrap();
        assert_eq!(s.certificate.thumbprint(), long.thumbprint());
        // Without its key it cannot sign: the next one.
        store
            .transaction(|tx| tx.delete_key(&KeyId::of_public_key_der(long.public_key_der())))
            .unwrap();
        let s = sig(&**store, "alice@example.com", now()).unwrap();
        assert_eq!(s.certificate.thumbprint(), short.thumbprint());
        // Choosing a certificate without a key is refused, the store unchanged.
        let e = store
            .transaction(|tx| select_signing(tx, &email("alice@example.com"), long.thumbprint()))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(e.to_string().contains("private key"), "{e}");
        assert!(
            !store
                .read_transaction(|tx| tx.has_user(&email("alice@example.com")))
                .unwrap()
        );
        // Nothing valid with a key: None.
        assert!(sig(&**store, "alice@example.com", later(4000 * DAY)).is_none());
        let _ = older;
    }
}

#[test]
fn only_manual_choices_can_be_deselected_and_bad_choices_change_nothing() {
    let (_dir, stores) = stores();
    for store in &stores {
        let own = issue(&**store, "bob@example.com", ago(DAY), 365);
        let other = issue(&**store, "bob.private@example.org", ago(DAY), 365);
        let escrow = issue(&**store, "escrow@example.com", ago(DAY), 365);
        let bob = email("bob@example.com");
        set(
            &**store,
            &SettingScope::Global,
            SettingKey::AdditionalCertificates,
            SettingValue::Thumbprints(vec![*escrow.thumbprint()]),
        );
        // Chosen by hand (the user is created), once.
        let added = store
            .transaction(|tx| {
                select_encryption(tx, &bob, &[*other.thumbprint(), *other.thumbprint()])
            })
            .unwrap();
        assert_eq!(added, vec![*other.thumbprint()]);
        assert!(store.read_transaction(|tx| tx.has_user(&bob)).unwrap());
        let s = enc(&**store, "bob@example.com", now());
        assert_eq!(
            picked(&s),
            want(vec![
                (&other, Why::Manual),
                (&own, Why::Automatic),
                (
                    &escrow,
                    Why::Additional {
                        source: Source::Global
                    }
                )
            ])
        );
        let manual = |store: &dyn Store| {
            store
                .read_transaction(|tx| tx.manual_encryption_certificates(&bob))
                .unwrap()
        };
        // Automatic, additional, not chosen: refused with what to do; nothing removed even
        // when a manual one is named first.
        let e = store
            .transaction(|tx| {
                deselect_encryption(tx, &bob, &[*other.thumbprint(), *own.thumbprint()])
            })
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("selected automatically"), "{e}");
        let e = store
            .transaction(|tx| deselect_encryption(tx, &bob, &[*escrow.thumbprint()]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.to_string().contains("additional-certificates"), "{e}");
        let unknown = Thumbprint::of(b"not a certificate");
        let e = store
            .transaction(|tx| deselect_encryption(tx, &bob, &[unknown]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert_eq!(manual(&**store), vec![*other.thumbprint()]);
        // Bad choices: unknown, a CA, empty.
        let e = store
            .transaction(|tx| select_encryption(tx, &bob, &[*own.thumbprint(), unknown]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        let ca = store
            .read_transaction(|tx| tx.default_ca())
            .unwrap()
            .unwrap();
        let e = store
            .transaction(|tx| select_encryption(tx, &bob, &[ca.certificate]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = store
            .transaction(|tx| select_encryption(tx, &bob, &[]))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = store
            .transaction(|tx| select_signing(tx, &email("new@example.com"), &unknown))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(
            !store
                .read_transaction(|tx| tx.has_user(&email("new@example.com")))
                .unwrap()
        );
        assert_eq!(manual(&**store), vec![*other.thumbprint()]);
        // The manual one goes.
        store
            .transaction(|tx| deselect_encryption(tx, &bob, &[*other.thumbprint()]))
            .unwrap();
        assert!(manual(&**store).is_empty());
        assert_eq!(enc(&**store, "bob@example.com", now()).selected.len(), 2);
    }
}

#[test]
fn the_admin_filters_are_the_stores_certificate_filter() {
    let (_dir, stores) = stores();
    for store in &stores {
        let valid = issue(&**store, "bob@example.com", ago(DAY), 365);
        let expired = issue(&**store, "bob@example.com", ago(5 * DAY), 1);
        store
            .transaction(|tx| tx.delete_key(&KeyId::of_public_key_der(valid.public_key_der())))
            .unwrap();
        let list = |f: CertificateFilter| -> Vec<Thumbprint> {
            store
                .read_transaction(|tx| tx.list_certificates(&f))
                .unwrap()
                .iter()
                .map(|c| *c.thumbprint())
                .collect()
        };
        let bob = || CertificateFilter::new().email("bob@example.com");
        assert_eq!(list(bob()).len(), 2);
        assert_eq!(list(bob().unexpired_at(now())), vec![*valid.thumbprint()]);
        assert_eq!(list(bob().expired_at(now())), vec![*expired.thumbprint()]);
        assert_eq!(list(bob().with_key(true)), vec![*expired.thumbprint()]);
        assert_eq!(list(bob().with_key(false)), vec![*valid.thumbprint()]);
        // No email filter: the CA certificate too.
        assert_eq!(
            list(CertificateFilter::new().expiry(ExpiryFilter::All)).len(),
            3
        );
    }
}
