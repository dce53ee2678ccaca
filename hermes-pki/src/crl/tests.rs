use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

use der::asn1::OctetString;
use x509_cert::ext::Extension;

use super::*;
use crate::ca::crl::{CrlExtras, sign_crl};
use crate::ca::{
    CaSpec, CertificateAuthority, CreatedCa, CrlSpec, DistinguishedName, IssueSpec, Issued,
    Revocation,
};
use crate::cert::{Certificate, Serial, oid};
use crate::error::Error;
use crate::key::{HashAlg, KeySpec};
use crate::store::{
    CrlStatus, MemoryStore, ReadTransaction, RevokedEntry, Store, StoreExt, Transaction,
};
use crate::time::{FixedClock, add_days, from_unix_seconds};
use crate::trust::{
    LeafPolicy, Reason, RevocationChecker, RevocationStatus, Validation, ValidationOptions,
    Validator, Warning,
};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn now() -> SystemTime {
    from_unix_seconds(NOW)
}

fn clock() -> FixedClock {
    FixedClock(now())
}

fn later(days: i64) -> FixedClock {
    FixedClock(add_days(now(), days))
}

struct World {
    store: MemoryStore,
    pair: CreatedCa,
    alice: Issued,
    bob: Issued,
}

fn world() -> World {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let pair = ca
        .create(
            &CaSpec::new(DistinguishedName::new("CRL Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("CRL Mail CA")),
            &clock(),
        )
        .unwrap();
    let issue = |email: &str| {
        ca.issue(
            &IssueSpec::new(email, email)
                .key(KeySpec::EcP256)
                .crl_distribution_point("http://crl.example.com/mail.crl"),
            &clock(),
        )
        .unwrap()
    };
    let alice = issue("alice@example.com");
    let bob = issue("bob@example.com");
    World {
        store,
        pair,
        alice,
        bob,
    }
}

impl World {
    fn ca(&self) -> CertificateAuthority<'_, MemoryStore> {
        CertificateAuthority::new(&self.store)
    }

    fn mail_ca(&self) -> crate::store::CaId {
        self.pair.issuing().id
    }

    fn root_ca(&self) -> crate::store::CaId {
        self.pair.root().id
    }

    fn validate_at(&self, cert: &Certificate, at: SystemTime) -> Validation {
        self.validate_with(
            cert,
            ValidationOptions::new(at, LeafPolicy::SmimeEncryption),
        )
    }

    fn validate_with(&self, cert: &Certificate, options: ValidationOptions) -> Validation {
        self.store
            .read_transaction(|tx| Validator::new(tx).validate(cert, &options))
            .unwrap()
    }

    fn status(&self, cert: &Certificate, at: SystemTime) -> RevocationStatus {
        let issuer = self.pair.issuing_certificate().clone();
        self.store
            .read_transaction(|tx| CrlChecker::new(tx).status(cert, &issuer, at))
            .unwrap()
    }

    /// A CRL signed with the mail CA's key, as the tests want it.
    fn custom_crl(
        &self,
        number: u64,
        this_update: SystemTime,
        next_update: SystemTime,
        entries: &[RevokedEntry],
        extras: &CrlExtras,
    ) -> Crl {
        let cert = self.pair.issuing_certificate().clone();
        let key = self
            .store
            .read_transaction(|tx| tx.key_for_certificate(cert.thumbprint()))
            .unwrap()
            .unwrap();
        sign_crl(
            &cert,
            &key,
            HashAlg::Sha256,
            number,
            this_update,
            next_update,
            entries,
            extras,
        )
        .unwrap()
    }

    fn import(&self, der: &[u8]) -> Vec<CrlImport> {
        Crls::new(&self.store)
            .import(der, Some("test"), &clock())
            .unwrap()
    }
}

fn entry(cert: &Certificate, reason: Option<RevocationReason>) -> RevokedEntry {
    RevokedEntry {
        serial: cert.serial().clone(),
        date: now(),
        reason: reason.map(RevocationReason::code),
    }
}

fn revoked_reason(v: &Validation) -> Option<&Reason> {
    v.reasons()
        .iter()
        .find(|r| matches!(r, Reason::Revoked { .. }))
}

fn ext(id: der::asn1::ObjectIdentifier, critical: bool, value: &[u8]) -> Extension {
    Extension {
        extn_id: id,
        critical,
        extn_value: OctetString::new(value.to_vec()).unwrap(),
    }
}

fn single_outcome(imports: Vec<CrlImport>) -> CrlOutcome {
    assert_eq!(imports.len(), 1, "{imports:?}");
    imports.into_iter().next().unwrap().outcome
}

fn invalid_reason(outcome: &CrlOutcome) -> &str {
    match outcome {
        CrlOutcome::StoredInvalid { reason, .. } => reason,
        other => panic!("expected an invalid CRL, got {other:?}"),
    }
}

// ---------------------------------------------------------------- creating CRLs

#[test]
fn a_revoked_certificate_fails_validation_at_once() {
    let w = world();
    assert!(w.validate_at(w.alice.certificate(), now()).is_valid());
    let created = w
        .ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revocation(
                Revocation::new(w.alice.certificate().serial().clone())
                    .reason(RevocationReason::KeyCompromise),
            ),
            &clock(),
        )
        .unwrap();
    assert_eq!(created.number(), 1);
    let v = w.validate_at(w.alice.certificate(), now());
    match revoked_reason(&v) {
        Some(Reason::Revoked { reason, date, .. }) => {
            assert_eq!(*reason, Some(RevocationReason::KeyCompromise));
            assert_eq!(*date, now());
        }
        other => panic!("{other:?} in {v:?}"),
    }
    assert!(v.reasons()[0].to_string().contains("keyCompromise"));
    // Bob is not on it: valid, and the CRL's status is "good" with its next update.
    let v = w.validate_at(w.bob.certificate(), now());
    assert!(v.is_valid(), "{v:?}");
    assert!(v.warnings().is_empty());
    assert_eq!(
        w.status(w.bob.certificate(), now()),
        RevocationStatus::Good {
            next_update: Some(add_days(now(), 7))
        }
    );
}

#[test]
fn the_crl_has_the_required_fields() {
    let w = world();
    let created = w
        .ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca())
                .revoke_certificate(w.bob.certificate())
                .next_update_days(3)
                .hash(HashAlg::Sha384),
            &clock(),
        )
        .unwrap();
    let crl = created.crl();
    let ca_cert = w.pair.issuing_certificate();
    assert_eq!(crl.issuer_der(), ca_cert.subject_der());
    assert_eq!(crl.this_update(), now());
    assert_eq!(crl.next_update(), Some(add_days(now(), 3)));
    assert_eq!(crl.number(), Some(&[1u8][..]));
    // The AKI is the intermediate's own SKI, not the intermediate certificate's AKI.
    assert_eq!(crl.authority_key_id(), ca_cert.subject_key_id());
    assert_ne!(crl.authority_key_id(), ca_cert.authority_key_id());
    assert_eq!(crl.signature_algorithm().oid, oid::ECDSA_SHA384);
    crl.verify_signature(ca_cert.public_key_der()).unwrap();
    assert_eq!(crl.entries().len(), 1);
    assert_eq!(
        crl.entries().to_vec()[0].serial,
        *w.bob.certificate().serial()
    );
    assert!(crl.problems().is_empty());
    // In the CRL store, valid, with its key.
    let list = Crls::new(&w.store).list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].status, CrlStatus::Valid);
    assert_eq!(list[0].id, created.id());
    assert_eq!(
        Crls::new(&w.store).der(created.id()).unwrap(),
        created.der()
    );
    assert!(
        created
            .to_pem()
            .unwrap()
            .starts_with("-----BEGIN X509 CRL-----\n")
    );
    // SHA-1 is refused, and nothing changes.
    let e = w
        .ca()
        .create_crl(&CrlSpec::new(w.mail_ca()).hash(HashAlg::Sha1), &clock())
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Weak);
    assert_eq!(Crls::new(&w.store).list().unwrap().len(), 1);
}

#[test]
fn crl_numbers_grow_and_update_existing_carries_serials_forward() {
    let w = world();
    let ca = w.ca();
    let first = ca
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revoke_certificate(w.alice.certificate()),
            &clock(),
        )
        .unwrap();
    let second = ca
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revoke_certificate(w.bob.certificate()),
            &later(1),
        )
        .unwrap();
    assert_eq!((first.number(), second.number()), (1, 2));
    let serials: Vec<Serial> = second.crl().entries().iter().map(|e| e.serial).collect();
    assert!(serials.contains(w.alice.certificate().serial()));
    assert!(serials.contains(w.bob.certificate().serial()));
    // Alice's entry keeps its original date.
    let a = second
        .crl()
        .entries()
        .iter()
        .find(|e| e.serial == *w.alice.certificate().serial())
        .unwrap();
    assert_eq!(a.date, now());
    // The new CRL replaced the old one in the store.
    let list = Crls::new(&w.store).list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, second.id());
    // "New with only these": only Bob; Alice is valid again (her serial is not listed).
    let third = ca
        .create_crl(
            &CrlSpec::new(w.mail_ca())
                .revoke_certificate(w.bob.certificate())
                .only_these(true),
            &later(2),
        )
        .unwrap();
    assert_eq!(third.number(), 3);
    assert_eq!(third.crl().entries().len(), 1);
    assert!(
        w.validate_at(w.alice.certificate(), add_days(now(), 2))
            .is_valid()
    );
    // Each CA counts on its own.
    let root_crl = ca.create_crl(&CrlSpec::new(w.root_ca()), &clock()).unwrap();
    assert_eq!(root_crl.number(), 1);
    assert_eq!(
        w.store
            .read_transaction(|tx| tx.ca_crl_number(w.mail_ca()))
            .unwrap(),
        Some(3)
    );
}

#[test]
fn unknown_serials_are_refused_unless_external_and_nothing_changes() {
    let w = world();
    let stranger = Serial::from_hex("01:02:03").unwrap();
    let e = w
        .ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revoke(stranger.clone()),
            &clock(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    assert!(e.to_string().contains("010203"), "{e}");
    assert!(e.to_string().contains("external"), "{e}");
    assert!(Crls::new(&w.store).list().unwrap().is_empty());
    assert_eq!(
        w.store
            .read_transaction(|tx| tx.ca_crl_number(w.mail_ca()))
            .unwrap(),
        None
    );
    // Bob's serial belongs to the mail CA, not the root.
    let e = w
        .ca()
        .create_crl(
            &CrlSpec::new(w.root_ca()).revoke_certificate(w.bob.certificate()),
            &clock(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    let created = w
        .ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revocation(Revocation::new(stranger.clone()).external(true)),
            &clock(),
        )
        .unwrap();
    assert_eq!(created.crl().entries().to_vec()[0].serial, stranger);
    // Bad arguments.
    for spec in [
        CrlSpec::new(w.mail_ca()).next_update_days(0),
        CrlSpec::new(w.mail_ca()).next_update_days(3651),
        CrlSpec::new(w.mail_ca()).revocation(
            Revocation::new(w.bob.certificate().serial().clone())
                .reason(RevocationReason::RemoveFromCrl),
        ),
    ] {
        let e = w.ca().create_crl(&spec, &clock()).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument, "{e}");
    }
    let e = w
        .ca()
        .create_crl(
            &CrlSpec::new(crate::store::CaId::new(99).unwrap()),
            &clock(),
        )
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    assert_eq!(Crls::new(&w.store).list().unwrap().len(), 1);
}

#[test]
fn a_revoked_intermediate_revokes_everything_under_it() {
    let w = world();
    w.ca()
        .create_crl(
            &CrlSpec::new(w.root_ca()).revocation(
                Revocation::new(w.pair.issuing_certificate().serial().clone())
                    .reason(RevocationReason::CaCompromise),
            ),
            &clock(),
        )
        .unwrap();
    for cert in [w.alice.certificate(), w.bob.certificate()] {
        let v = w.validate_at(cert, now());
        match revoked_reason(&v) {
            Some(Reason::Revoked {
                subject, reason, ..
            }) => {
                assert_eq!(subject, w.pair.issuing_certificate().subject());
                assert_eq!(*reason, Some(RevocationReason::CaCompromise));
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn revocation_dates_after_the_validation_time_count_only_for_compromise() {
    let w = world();
    let in_a_week = add_days(now(), 7);
    w.ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca())
                .revocation(
                    Revocation::new(w.alice.certificate().serial().clone())
                        .reason(RevocationReason::Superseded)
                        .date(in_a_week),
                )
                .revocation(
                    Revocation::new(w.bob.certificate().serial().clone())
                        .reason(RevocationReason::KeyCompromise)
                        .date(in_a_week),
                ),
            &clock(),
        )
        .unwrap();
    // Alice was superseded next week: valid today, revoked after.
    assert!(w.validate_at(w.alice.certificate(), now()).is_valid());
    assert!(revoked_reason(&w.validate_at(w.alice.certificate(), add_days(now(), 8))).is_some());
    // Bob's key was compromised: revoked whatever the time.
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), now())).is_some());
}

#[test]
fn stale_crls_are_used_with_a_warning_or_rejected_by_policy() {
    let w = world();
    w.ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca())
                .revoke_certificate(w.bob.certificate())
                .next_update_days(1),
            &clock(),
        )
        .unwrap();
    let at = add_days(now(), 3);
    let v = w.validate_at(w.alice.certificate(), at);
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(
        v.warnings(),
        [Warning::StaleCrl {
            subject: w.alice.certificate().subject().to_string(),
            next_update: add_days(now(), 1),
        }]
    );
    let strict = ValidationOptions::new(at, LeafPolicy::SmimeEncryption).reject_stale_crls(true);
    let v = w.validate_with(w.alice.certificate(), strict.clone());
    assert!(matches!(v.reasons(), [Reason::StaleCrl { .. }]), "{v:?}");
    // Revoked is revoked, stale or not.
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), at)).is_some());
}

#[test]
fn missing_revocation_information_fails_only_when_required() {
    let w = world();
    let opts = ValidationOptions::new(now(), LeafPolicy::SmimeEncryption);
    assert!(
        w.validate_with(w.alice.certificate(), opts.clone())
            .is_valid()
    );
    let v = w.validate_with(
        w.alice.certificate(),
        opts.clone().require_revocation_info(true),
    );
    // The leaf's issuer has no CRL. (The mail CA is itself a trust anchor: its own status is
    // checked when its issuer has a CRL, but not required.)
    assert_eq!(
        v.reasons(),
        [Reason::NoRevocationInfo {
            subject: w.alice.certificate().subject().to_string()
        }]
    );
    w.ca()
        .create_crl(&CrlSpec::new(w.mail_ca()), &clock())
        .unwrap();
    assert!(
        w.validate_with(w.alice.certificate(), opts.require_revocation_info(true))
            .is_valid()
    );
}

#[test]
fn a_checker_without_crls_says_unknown_and_can_be_turned_off() {
    let w = world();
    assert_eq!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Unknown
    );
    w.ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revoke_certificate(w.alice.certificate()),
            &clock(),
        )
        .unwrap();
    let opts = ValidationOptions::new(now(), LeafPolicy::SmimeEncryption);
    let v = w
        .store
        .read_transaction(|tx| {
            Validator::new(tx)
                .revocation(&crate::trust::NoRevocationInfo)
                .validate(w.alice.certificate(), &opts)
        })
        .unwrap();
    assert!(v.is_valid(), "revocation checking was turned off: {v:?}");
}

// ---------------------------------------------------------------- importing CRLs

#[test]
fn import_checks_the_issuer_and_keeps_invalid_crls_flagged() {
    let w = world();
    // A CRL from another world's CA of the same name: signature by another key.
    let other = world();
    let foreign = other
        .ca()
        .create_crl(
            &CrlSpec::new(other.mail_ca()).revoke_certificate(other.alice.certificate()),
            &clock(),
        )
        .unwrap();
    let outcome = single_outcome(w.import(foreign.der()));
    assert!(
        invalid_reason(&outcome).contains("does not verify"),
        "{outcome:?}"
    );
    // Never used: Alice (whose serial differs anyway) and Bob stay valid; and a CRL from a
    // store that does not know the issuer at all is kept pending, to be judged against the
    // issuer on a path when it is used.
    assert!(w.validate_at(w.bob.certificate(), now()).is_valid());
    let empty = MemoryStore::new();
    let outcome = single_outcome(
        Crls::new(&empty)
            .import(foreign.der(), None, &clock())
            .unwrap(),
    );
    assert!(
        matches!(outcome, CrlOutcome::StoredPending { .. }),
        "{outcome:?}"
    );
    let list = Crls::new(&empty).list().unwrap();
    assert!(crate::crl::is_pending(&list[0]), "{:?}", list[0]);
    assert_eq!(list[0].signer_key, None);
    // Imported again once the issuer is trusted there, the same bytes are judged again: now
    // valid, in use, and the invalid record is gone.
    empty
        .transaction(|tx| {
            for c in [
                other.pair.root_certificate(),
                other.pair.issuing_certificate(),
            ] {
                tx.put_root(c)?;
                tx.put_certificate(c)?;
            }
            Ok(())
        })
        .unwrap();
    let again = single_outcome(
        Crls::new(&empty)
            .import(foreign.der(), None, &clock())
            .unwrap(),
    );
    assert!(matches!(again, CrlOutcome::Stored { .. }), "{again:?}");
    let list = Crls::new(&empty).list().unwrap();
    assert_eq!(list.len(), 1);
    assert!(list[0].status.is_valid());
    let revoked = empty
        .read_transaction(|tx| {
            Validator::new(tx).validate(
                other.alice.certificate(),
                &ValidationOptions::new(now(), LeafPolicy::SmimeEncryption),
            )
        })
        .unwrap();
    assert!(revoked_reason(&revoked).is_some(), "{revoked:?}");
    // The same bytes again: already stored.
    let again = single_outcome(w.import(foreign.der()));
    assert!(
        matches!(again, CrlOutcome::AlreadyStored { .. }),
        "{again:?}"
    );
}

#[test]
fn a_valid_crl_made_elsewhere_with_the_ca_key_imports_and_revokes() {
    let w = world();
    let crl = w.custom_crl(
        10,
        now(),
        add_days(now(), 7),
        &[entry(
            w.bob.certificate(),
            Some(RevocationReason::Superseded),
        )],
        &CrlExtras::default(),
    );
    let imports = w.import(crl.der());
    assert!(imports[0].is_stored_valid(), "{imports:?}");
    assert_eq!(
        imports[0].issuer.as_deref(),
        Some(w.pair.issuing_certificate().subject())
    );
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), now())).is_some());
    // The next CRL this store makes is numbered above it.
    let created = w
        .ca()
        .create_crl(&CrlSpec::new(w.mail_ca()), &later(1))
        .unwrap();
    assert_eq!(created.number(), 11);
    // ... and carried Bob forward.
    assert_eq!(created.crl().entries().len(), 1);
}

#[test]
fn only_a_newer_crl_replaces_the_stored_one() {
    let w = world();
    let mk = |n: u64, day: i64, who: &Certificate| {
        w.custom_crl(
            n,
            add_days(now(), day),
            add_days(now(), day + 7),
            &[entry(who, None)],
            &CrlExtras::default(),
        )
    };
    let v5 = mk(5, 0, w.alice.certificate());
    let v6 = mk(6, 1, w.bob.certificate());
    let v4 = mk(4, 2, w.alice.certificate());
    let import = |crl: &Crl| {
        single_outcome(
            Crls::new(&w.store)
                .import(crl.der(), None, &later(3))
                .unwrap(),
        )
    };
    let first = import(&v5);
    let CrlOutcome::Stored { id: id5, .. } = first else {
        panic!("{first:?}")
    };
    let second = import(&v6);
    let CrlOutcome::Stored { id: id6, replaced } = second else {
        panic!("{second:?}")
    };
    assert_eq!(replaced, vec![id5]);
    // An older number never replaces a newer one, even with a later thisUpdate.
    let third = import(&v4);
    assert_eq!(third, CrlOutcome::NotNewer { current: id6 });
    let list = Crls::new(&w.store).list().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id6);
    // Bob is revoked (v6), Alice is not (v5 is gone).
    let at = add_days(now(), 2);
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), at)).is_some());
    assert!(w.validate_at(w.alice.certificate(), at).is_valid());
}

#[test]
fn der_inputs_of_many_tiny_elements_stop_one_past_the_crl_limit() {
    // 1,000,000 empty SEQUENCEs, then bytes that are no DER: the limit answers first.
    let mut input = [0x30, 0x00].repeat(1_000_000);
    input.extend_from_slice(&[0x30, 0x7f]);
    let parsed = parse_crls(&input);
    assert_eq!(parsed.len(), 1_001);
    match parsed.last().unwrap() {
        Err(Error::LimitExceeded(m)) => assert!(m.contains("more than 1000 CRLs"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pem_files_with_several_crls_and_garbage_are_read_as_such() {
    let w = world();
    let a = w
        .ca()
        .create_crl(&CrlSpec::new(w.root_ca()), &clock())
        .unwrap();
    let b = w.custom_crl(3, now(), add_days(now(), 7), &[], &CrlExtras::default());
    let pem = format!(
        "junk before\n{}{}",
        a.to_pem().unwrap(),
        der::pem::encode_string("X509 CRL", der::pem::LineEnding::CRLF, b.der()).unwrap()
    );
    let parsed = parse_crls(pem.as_bytes());
    assert_eq!(parsed.len(), 2);
    assert_eq!(parsed[0].as_ref().unwrap().sha256(), a.crl().sha256());
    assert_eq!(parsed[1].as_ref().unwrap().sha256(), b.sha256());
    // Two DER CRLs one after the other.
    let mut both = a.der().to_vec();
    both.extend_from_slice(b.der());
    assert_eq!(parse_crls(&both).len(), 2);
    let imports = w.import(&both);
    assert!(matches!(
        imports[0].outcome,
        CrlOutcome::AlreadyStored { .. }
    ));
    assert!(imports[1].is_stored_valid(), "{imports:?}");
    // Garbage: a parse error, nothing stored.
    let before = Crls::new(&w.store).list().unwrap();
    for junk in [
        &b""[..],
        b"not a crl",
        b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        &a.der()[..a.der().len() - 1],
    ] {
        let e = Crls::new(&w.store)
            .import(junk, None, &clock())
            .unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Parse, "{e}");
    }
    // A file with one good CRL and one broken block: the good one is imported.
    let mixed = format!(
        "{}-----BEGIN X509 CRL-----\nMAA=\n-----END X509 CRL-----\n",
        a.to_pem().unwrap()
    );
    let imports = Crls::new(&w.store)
        .import(mixed.as_bytes(), None, &clock())
        .unwrap();
    assert!(matches!(imports[1].outcome, CrlOutcome::Unreadable { .. }));
    assert_eq!(Crls::new(&w.store).list().unwrap(), before);
}

#[test]
fn unknown_critical_extensions_and_bad_dates_make_a_crl_invalid() {
    let w = world();
    let unknown = der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.55555.1");
    let cases: Vec<(Crl, &str)> = vec![
        (
            w.custom_crl(
                1,
                now(),
                add_days(now(), 7),
                &[entry(w.bob.certificate(), None)],
                &CrlExtras {
                    crl_extensions: vec![ext(unknown, true, &[0x05, 0x00])],
                    ..CrlExtras::default()
                },
            ),
            "unknown critical extension",
        ),
        (
            w.custom_crl(
                2,
                now(),
                add_days(now(), 7),
                &[entry(w.bob.certificate(), None)],
                &CrlExtras {
                    entry_extensions: vec![ext(unknown, true, &[0x05, 0x00])],
                    ..CrlExtras::default()
                },
            ),
            "an entry has the unknown critical extension",
        ),
        (
            w.custom_crl(
                3,
                add_days(now(), 2),
                add_days(now(), 9),
                &[entry(w.bob.certificate(), None)],
                &CrlExtras::default(),
            ),
            "in the future",
        ),
        (
            w.custom_crl(
                4,
                now(),
                add_days(now(), -1),
                &[entry(w.bob.certificate(), None)],
                &CrlExtras::default(),
            ),
            "before its thisUpdate",
        ),
    ];
    for (crl, why) in cases {
        let outcome = single_outcome(w.import(crl.der()));
        assert!(
            invalid_reason(&outcome).contains(why),
            "{outcome:?} / {why}"
        );
    }
    // None of them is used: Bob is valid.
    assert!(w.validate_at(w.bob.certificate(), now()).is_valid());
    // A non-critical unknown extension is fine.
    let ok = w.custom_crl(
        5,
        now(),
        add_days(now(), 7),
        &[entry(w.bob.certificate(), None)],
        &CrlExtras {
            crl_extensions: vec![ext(unknown, false, &[0x05, 0x00])],
            ..CrlExtras::default()
        },
    );
    assert!(w.import(ok.der())[0].is_stored_valid());
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), now())).is_some());
}

#[test]
fn an_issuer_that_is_not_trusted_makes_the_crl_invalid() {
    // The issuer's certificate is known but does not chain to a trust anchor here.
    let w = world();
    let other = world();
    w.store
        .transaction(|tx| {
            tx.put_certificate(other.pair.issuing_certificate())
                .map(|_| ())
        })
        .unwrap();
    let foreign = other.custom_crl(1, now(), add_days(now(), 7), &[], &CrlExtras::default());
    let outcome = single_outcome(w.import(foreign.der()));
    assert!(
        invalid_reason(&outcome).contains("is not trusted"),
        "{outcome:?}"
    );
    let crl = w.custom_crl(1, now(), add_days(now(), 7), &[], &CrlExtras::default());
    // Blacklist the mail CA: its CRLs are no longer trusted.
    w.store
        .transaction(|tx| {
            tx.put_ctl_entry(&crate::store::CtlEntry::blacklisted(
                *w.pair.issuing_certificate().thumbprint(),
            ))
        })
        .unwrap();
    let outcome = single_outcome(w.import(crl.der()));
    assert!(
        invalid_reason(&outcome).contains("not trusted"),
        "{outcome:?}"
    );
}

/// DER of an issuingDistributionPoint with the given [n] BOOLEAN TRUE flag.
fn idp_flag(n: u8) -> Vec<u8> {
    vec![0x30, 0x03, 0x80 | n, 0x01, 0xff]
}

#[test]
fn issuing_distribution_point_scopes_are_honoured() {
    let w = world();
    // A CA-certificates-only CRL listing Alice's (end-entity) serial does not revoke her.
    let ca_only = w.custom_crl(
        1,
        now(),
        add_days(now(), 7),
        &[entry(w.alice.certificate(), None)],
        &CrlExtras {
            crl_extensions: vec![ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &idp_flag(2))],
            ..CrlExtras::default()
        },
    );
    assert!(w.import(ca_only.der())[0].is_stored_valid());
    assert_eq!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Unknown
    );
    // A user-certificates-only CRL does.
    let users = w.custom_crl(
        2,
        now(),
        add_days(now(), 7),
        &[entry(w.alice.certificate(), None)],
        &CrlExtras {
            crl_extensions: vec![ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &idp_flag(1))],
            ..CrlExtras::default()
        },
    );
    assert!(w.import(users.der())[0].is_stored_valid());
    assert!(matches!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Revoked { .. }
    ));
    // Both scopes are kept side by side (neither replaced the other).
    assert_eq!(Crls::new(&w.store).list().unwrap().len(), 2);
    // A CRL for another distribution point does not apply to certificates naming theirs.
    let mut other_dp = vec![0x30, 0x00, 0xa0, 0x00, 0xa0, 0x00, 0x86];
    let uri = b"http://crl.example.com/other.crl";
    other_dp.push(uri.len() as u8);
    other_dp.extend_from_slice(uri);
    other_dp[5] = (other_dp.len() - 6) as u8;
    other_dp[3] = (other_dp.len() - 4) as u8;
    other_dp[1] = (other_dp.len() - 2) as u8;
    let scope = Scope::from_der(&other_dp).unwrap();
    assert_eq!(
        scope.distribution_point.map(|d| d.uris()),
        Some(vec!["http://crl.example.com/other.crl".to_string()])
    );
    let elsewhere = w.custom_crl(
        3,
        now(),
        add_days(now(), 7),
        &[entry(w.bob.certificate(), None)],
        &CrlExtras {
            crl_extensions: vec![ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &other_dp)],
            ..CrlExtras::default()
        },
    );
    assert!(w.import(elsewhere.der())[0].is_stored_valid());
    assert!(!matches!(
        w.status(w.bob.certificate(), now()),
        RevocationStatus::Revoked { .. }
    ));
    // An indirect CRL is read and stored like any other (its entries for other issuers are
    // looked up when used).
    let indirect = w.custom_crl(
        4,
        now(),
        add_days(now(), 7),
        &[],
        &CrlExtras {
            crl_extensions: vec![ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &idp_flag(4))],
            ..CrlExtras::default()
        },
    );
    assert!(indirect.scope().indirect);
    assert!(w.import(indirect.der())[0].is_stored_valid());
}

#[test]
fn only_some_reasons_can_revoke_but_does_not_vouch() {
    let w = world();
    // onlySomeReasons [3] ReasonFlags: keyCompromise (bit 1) only.
    let idp = [0x30, 0x04, 0x83, 0x02, 0x06, 0x40];
    let crl = w.custom_crl(
        1,
        now(),
        add_days(now(), 7),
        &[entry(
            w.bob.certificate(),
            Some(RevocationReason::KeyCompromise),
        )],
        &CrlExtras {
            crl_extensions: vec![ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &idp)],
            ..CrlExtras::default()
        },
    );
    assert_eq!(
        crl.scope().only_some_reasons,
        Some(vec![RevocationReason::KeyCompromise])
    );
    assert!(w.import(crl.der())[0].is_stored_valid());
    assert!(matches!(
        w.status(w.bob.certificate(), now()),
        RevocationStatus::Revoked { .. }
    ));
    assert_eq!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Unknown
    );
}

fn delta_extras(base: u8) -> CrlExtras {
    CrlExtras {
        crl_extensions: vec![ext(oid::CE_DELTA_CRL_INDICATOR, true, &[0x02, 0x01, base])],
        ..CrlExtras::default()
    }
}

#[test]
fn delta_crls_add_revocations_and_remove_from_crl_lifts_a_hold() {
    let w = world();
    let base = w.custom_crl(
        1,
        now(),
        add_days(now(), 7),
        &[entry(
            w.alice.certificate(),
            Some(RevocationReason::CertificateHold),
        )],
        &CrlExtras::default(),
    );
    assert!(w.import(base.der())[0].is_stored_valid());
    assert!(matches!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Revoked {
            reason: Some(RevocationReason::CertificateHold),
            ..
        }
    ));
    let delta = w.custom_crl(
        2,
        now(),
        add_days(now(), 1),
        &[
            entry(w.alice.certificate(), Some(RevocationReason::RemoveFromCrl)),
            entry(w.bob.certificate(), Some(RevocationReason::KeyCompromise)),
        ],
        &delta_extras(1),
    );
    assert_eq!(delta.delta_base(), Some(&[1u8][..]));
    let imports = w.import(delta.der());
    assert!(imports[0].is_stored_valid(), "{imports:?}");
    // The delta does not replace the base: both are stored.
    assert_eq!(Crls::new(&w.store).list().unwrap().len(), 2);
    assert_eq!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Good {
            next_update: Some(add_days(now(), 1))
        }
    );
    assert!(matches!(
        w.status(w.bob.certificate(), now()),
        RevocationStatus::Revoked {
            reason: Some(RevocationReason::KeyCompromise),
            ..
        }
    ));
    // A delta whose base is newer than the complete CRL in store does not apply.
    let w2 = world();
    let base = w2.custom_crl(1, now(), add_days(now(), 7), &[], &CrlExtras::default());
    w2.import(base.der());
    let ahead = w2.custom_crl(
        6,
        now(),
        add_days(now(), 1),
        &[entry(w2.bob.certificate(), None)],
        &delta_extras(5),
    );
    assert!(w2.import(ahead.der())[0].is_stored_valid());
    assert!(matches!(
        w2.status(w2.bob.certificate(), now()),
        RevocationStatus::Good { .. }
    ));
    // A non-critical deltaCRLIndicator is a broken CRL.
    let mut extras = delta_extras(1);
    extras.crl_extensions[0].critical = false;
    let broken = w2.custom_crl(7, now(), add_days(now(), 1), &[], &extras);
    let outcome = single_outcome(w2.import(broken.der()));
    assert!(
        invalid_reason(&outcome).contains("not critical"),
        "{outcome:?}"
    );
}

#[test]
fn a_renewed_ca_keeps_its_crls_and_another_key_of_the_same_name_does_not_apply() {
    let w = world();
    w.ca()
        .create_crl(
            &CrlSpec::new(w.mail_ca()).revoke_certificate(w.bob.certificate()),
            &clock(),
        )
        .unwrap();
    // Renewal keeps the key: the CRL still applies.
    w.ca().renew(w.mail_ca(), &later(1)).unwrap();
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), add_days(now(), 1))).is_some());
    // Asked with an issuer of the same name but another key, the checker has nothing.
    let other = world();
    let status = w
        .store
        .read_transaction(|tx| {
            CrlChecker::new(tx).status(w.bob.certificate(), other.pair.issuing_certificate(), now())
        })
        .unwrap();
    assert_eq!(status, RevocationStatus::Unknown);
}

#[test]
fn parser_limits_and_reason_names() {
    assert!(Crl::from_der(&[0x30, 0x00]).is_err());
    assert!(Crl::from_der(&[0x04, 0x00]).is_err());
    for r in (0..=10).filter_map(RevocationReason::from_code) {
        assert_eq!(r.name().parse::<RevocationReason>().unwrap(), r);
        assert_eq!(r.code().to_string().parse::<RevocationReason>().unwrap(), r);
    }
    assert_eq!(
        "key-compromise".parse::<RevocationReason>().unwrap(),
        RevocationReason::KeyCompromise
    );
    assert!("7".parse::<RevocationReason>().is_err());
    assert!("nonsense".parse::<RevocationReason>().is_err());
    assert_eq!(
        cmp_numbers(&[0x01, 0x00], &[0xff]),
        std::cmp::Ordering::Greater
    );
    assert_eq!(
        cmp_numbers(&[0x00, 0x05], &[0x05]),
        std::cmp::Ordering::Equal
    );
}

// ---------------------------------------------------------------- distribution points

/// A fetcher that serves fixed bodies and counts requests.
#[derive(Default)]
struct FakeFetcher {
    bodies: HashMap<String, Result<Vec<u8>, FetchError>>,
    calls: Mutex<Vec<String>>,
}

impl CrlFetcher for FakeFetcher {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.calls.lock().unwrap().push(url.to_string());
        self.bodies
            .get(url)
            .cloned()
            .unwrap_or(Err(FetchError::Status {
                url: url.to_string(),
                status: 404,
            }))
    }
}

#[test]
fn distribution_points_are_listed_and_refreshed_when_due() {
    let w = world();
    let crls = Crls::new(&w.store);
    assert_eq!(
        crls.distribution_points_at(&clock()).unwrap(),
        ["http://crl.example.com/mail.crl"]
    );
    let url = "http://crl.example.com/mail.crl".to_string();
    let good = w.custom_crl(
        1,
        now(),
        add_days(now(), 7),
        &[entry(w.bob.certificate(), None)],
        &CrlExtras::default(),
    );
    let mut fetcher = FakeFetcher::default();
    fetcher.bodies.insert(url.clone(), Ok(good.der().to_vec()));
    let report = crls
        .refresh(&fetcher, &RefreshOptions::new(), &clock())
        .unwrap();
    assert_eq!(report.urls.len(), 1);
    assert!(
        matches!(&report.urls[0].outcome, UrlOutcome::Imported(i) if i[0].is_stored_valid()),
        "{report:?}"
    );
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), now())).is_some());
    let state = w
        .store
        .read_transaction(|tx| tx.crl_fetch_state(&url))
        .unwrap()
        .unwrap();
    assert_eq!(state.last_success, Some(now()));
    assert_eq!(state.last_error, None);
    // Not due again for 6 hours.
    let report = crls
        .refresh(
            &fetcher,
            &RefreshOptions::new(),
            &FixedClock(now() + Duration::from_secs(3600)),
        )
        .unwrap();
    assert!(matches!(report.urls[0].outcome, UrlOutcome::NotDue { .. }));
    assert_eq!(fetcher.calls.lock().unwrap().len(), 1);
    // Due after the interval; a failing fetch keeps the CRL in use.
    let mut failing = FakeFetcher::default();
    failing
        .bodies
        .insert(url.clone(), Err(FetchError::Timeout { url: url.clone() }));
    let at = now() + Duration::from_secs(7 * 3600);
    let report = crls
        .refresh(&failing, &RefreshOptions::new(), &FixedClock(at))
        .unwrap();
    assert!(matches!(report.urls[0].outcome, UrlOutcome::FetchFailed(_)));
    assert_eq!(report.failures().count(), 1);
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), at)).is_some());
    let state = w
        .store
        .read_transaction(|tx| tx.crl_fetch_state(&url))
        .unwrap()
        .unwrap();
    assert_eq!(state.last_attempt, at);
    assert_eq!(state.last_success, Some(now()));
    assert!(state.last_error.unwrap().contains("timed out"));
    // A body that is not a CRL, forced, with a short interval: the CRL in use stays too.
    let mut junk = FakeFetcher::default();
    junk.bodies.insert(url.clone(), Ok(b"<html>".to_vec()));
    let report = crls
        .refresh(
            &junk,
            &RefreshOptions::new()
                .force(true)
                .interval(Duration::from_secs(60)),
            &FixedClock(at),
        )
        .unwrap();
    assert!(matches!(report.urls[0].outcome, UrlOutcome::Unreadable(_)));
    assert!(revoked_reason(&w.validate_at(w.bob.certificate(), at)).is_some());
    assert_eq!(crls.list().unwrap().len(), 1);
}

// ---------------------------------------------------------------- scale

#[test]
fn a_crl_with_many_entries_is_indexed_not_reparsed() {
    let w = world();
    let entries: Vec<RevokedEntry> = (1u32..=20_000)
        .map(|i| RevokedEntry {
            serial: Serial::from_bytes(&i.to_be_bytes()),
            date: now(),
            reason: None,
        })
        .collect();
    let mut with_bob = entries.clone();
    with_bob.push(entry(w.bob.certificate(), None));
    let crl = w.custom_crl(
        1,
        now(),
        add_days(now(), 7),
        &with_bob,
        &CrlExtras::default(),
    );
    assert_eq!(crl.entries().len(), 20_001);
    assert!(w.import(crl.der())[0].is_stored_valid());
    let record = &Crls::new(&w.store).list().unwrap()[0];
    assert_eq!(record.entries, 20_001);
    assert!(matches!(
        w.status(w.bob.certificate(), now()),
        RevocationStatus::Revoked { .. }
    ));
    assert!(matches!(
        w.status(w.alice.certificate(), now()),
        RevocationStatus::Good { .. }
    ));
    let listed = w
        .store
        .read_transaction(|tx| tx.crl_entry(record.id, &Serial::from_bytes(&[0x4e, 0x20])))
        .unwrap();
    assert!(listed.is_some());
}

#[test]
fn the_sqlite_store_keeps_crls_across_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let bob_serial;
    {
        let store = crate::store::SqliteStore::open_default(dir.path()).unwrap();
        let ca = CertificateAuthority::new(&store);
        let pair = ca
            .create(
                &CaSpec::new(DistinguishedName::new("SQLite CRL Root")).key(KeySpec::EcP256),
                &clock(),
            )
            .unwrap();
        let bob = ca
            .issue(
                &IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256),
                &clock(),
            )
            .unwrap();
        bob_serial = bob.certificate().serial().clone();
        ca.create_crl(
            &CrlSpec::new(pair.issuing().id).revoke(bob_serial.clone()),
            &clock(),
        )
        .unwrap();
        let second = ca
            .create_crl(&CrlSpec::new(pair.issuing().id), &later(1))
            .unwrap();
        assert_eq!(second.number(), 2);
    }
    let store = crate::store::SqliteStore::open_default(dir.path()).unwrap();
    let crls = Crls::new(&store).list().unwrap();
    assert_eq!(crls.len(), 1);
    assert_eq!(crls[0].number.as_deref(), Some(&[2u8][..]));
    let bob = store
        .read_transaction(|tx| {
            tx.list_certificates(&crate::store::CertificateFilter::new().email("bob@example.com"))
        })
        .unwrap()
        .remove(0);
    assert_eq!(*bob.serial(), bob_serial);
    let v = store
        .read_transaction(|tx| {
            Validator::new(tx).validate(
                &bob,
                &ValidationOptions::new(add_days(now(), 1), LeafPolicy::SmimeSigning),
            )
        })
        .unwrap();
    assert!(revoked_reason(&v).is_some(), "{v:?}");
    let third = CertificateAuthority::new(&store)
        .create_crl(
            &CrlSpec::new(store.read_transaction(|tx| tx.cas()).unwrap()[0].id),
            &later(2),
        )
        .unwrap();
    assert_eq!(third.number(), 3);
}

#[allow(dead_code)]
fn assert_store_traits(_: &dyn Store, _: &dyn ReadTransaction, _: &mut dyn Transaction) {}

// ------------------------------------- distribution points, reasons and indirect CRLs (6.3.3)

mod rfc5280_6_3_3 {
    use std::str::FromStr;

    use der::asn1::{BitString, Ia5String};
    use der::{Decode, Encode};
    use x509_cert::crl::{CertificateList, RevokedCert, TbsCertList};
    use x509_cert::ext::pkix::CrlDistributionPoints;
    use x509_cert::ext::pkix::crl::IssuingDistributionPoint;
    use x509_cert::ext::pkix::crl::dp::{DistributionPoint, Reasons};
    use x509_cert::ext::pkix::name::{DistributionPointName as X509DpName, GeneralName};
    use x509_cert::name::{Name, RelativeDistinguishedName};
    use x509_cert::serial_number::SerialNumber;
    use x509_cert::time::Time;

    use super::super::dp::{CertDp, ReasonMask, distribution_points, parse_crl_dps};
    use super::*;
    use crate::ca::profile::{ca_extensions, smime_extensions};
    use crate::ca::sign::{TbsParts, extension, key_identifier, random_serial, sign_certificate};
    use crate::key::{PrivateKey, SignatureScheme, algorithm_identifier};

    const ROOT: &str = "CN=Root,O=Example";
    const MAIL_CA: &str = "CN=Mail CA,O=Example";
    const CRL_ISSUER: &str = "CN=CRL Issuer,O=Example";

    fn name(rfc4514: &str) -> Name {
        Name::from_str(rfc4514).unwrap()
    }

    fn name_der(rfc4514: &str) -> Vec<u8> {
        name(rfc4514).to_der().unwrap()
    }

    fn dir(rfc4514: &str) -> GeneralName {
        GeneralName::DirectoryName(name(rfc4514))
    }

    fn uri(s: &str) -> GeneralName {
        GeneralName::UniformResourceIdentifier(Ia5String::new(s).unwrap())
    }

    fn full(names: Vec<GeneralName>) -> Option<X509DpName> {
        Some(X509DpName::FullName(names))
    }

    fn relative(rdn: &str) -> Option<X509DpName> {
        Some(X509DpName::NameRelativeToCRLIssuer(
            RelativeDistinguishedName::from_str(rdn).unwrap(),
        ))
    }

    fn point(
        name: Option<X509DpName>,
        reasons: Option<der::flagset::FlagSet<Reasons>>,
        crl_issuer: Option<Vec<GeneralName>>,
    ) -> DistributionPoint {
        DistributionPoint {
            distribution_point: name,
            reasons,
            crl_issuer,
        }
    }

    /// The certificate side, as the checker reads it from the extension.
    fn cert_dp(p: DistributionPoint) -> CertDp {
        let der = CrlDistributionPoints(vec![p]).to_der().unwrap();
        let mut dps = parse_crl_dps(&der).unwrap();
        assert_eq!(dps.len(), 1);
        dps.remove(0)
    }

    fn idp_der(i: &IssuingDistributionPoint) -> Vec<u8> {
        i.to_der().unwrap()
    }

    fn idp(name: Option<X509DpName>) -> IssuingDistributionPoint {
        IssuingDistributionPoint {
            distribution_point: name,
            only_contains_user_certs: false,
            only_contains_ca_certs: false,
            only_some_reasons: None,
            indirect_crl: false,
            only_contains_attribute_certs: false,
        }
    }

    /// The CRL side: the IDP's distribution point name, as the checker reads it.
    fn idp_name(name: Option<X509DpName>) -> Option<DistributionPointName> {
        Scope::from_der(&idp_der(&idp(name)))
            .unwrap()
            .distribution_point
    }

    /// A key and its certificate.
    struct Node {
        key: PrivateKey,
        cert: Certificate,
    }

    /// A certificate for `subject` (RFC 4514) by `issuer` (self-signed when `None`): a CA
    /// (keyCertSign, cRLSign) or an S/MIME end entity, with `extra` extensions.
    fn node(subject: &str, issuer: Option<&Node>, ca: bool, extra: Vec<Extension>) -> Node {
        let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
        let spki = key.public_key_der();
        let ski = key_identifier(&spki).unwrap();
        let subject_der = name_der(subject);
        let (issuer_der, issuer_ski) = match issuer {
            Some(i) => (
                i.cert.subject_der().to_vec(),
                i.cert.subject_key_id().unwrap().to_vec(),
            ),
            None => (subject_der.clone(), ski.clone()),
        };
        let mut extensions = if ca {
            ca_extensions(&ski, &issuer_ski, None).unwrap()
        } else {
            smime_extensions(&key.algorithm(), "x@example.com", &ski, &issuer_ski, None).unwrap()
        };
        extensions.extend(extra);
        let cert = sign_certificate(
            TbsParts {
                serial: &random_serial().unwrap(),
                issuer_der: &issuer_der,
                subject_der: &subject_der,
                spki_der: &spki,
                not_before: add_days(now(), -30),
                not_after: add_days(now(), 365),
                extensions,
            },
            issuer.map_or(&key, |i| &i.key),
            SignatureScheme::Ecdsa(HashAlg::Sha256),
        )
        .unwrap();
        Node { key, cert }
    }

    fn crldp_ext(points: Vec<DistributionPoint>) -> Extension {
        extension(
            oid::CE_CRL_DISTRIBUTION_POINTS,
            false,
            &CrlDistributionPoints(points),
        )
        .unwrap()
    }

    fn idp_ext(i: &IssuingDistributionPoint) -> Extension {
        ext(oid::CE_ISSUING_DISTRIBUTION_POINT, true, &idp_der(i))
    }

    /// A CRL signed by `signer` under its name, numbered `number`: `entries` are (serial,
    /// certificateIssuer entry extension if any), in order.
    fn signed_crl(
        signer: &Node,
        number: u32,
        entries: &[(&Serial, Option<&str>)],
        extensions: Vec<Extension>,
    ) -> Crl {
        let scheme = SignatureScheme::Ecdsa(HashAlg::Sha256);
        let algorithm = algorithm_identifier(scheme).unwrap();
        let revoked: Vec<RevokedCert> = entries
            .iter()
            .map(|(serial, issuer)| RevokedCert {
                serial_number: SerialNumber::new(serial.as_bytes()).unwrap(),
                revocation_date: Time::try_from(add_days(now(), -1)).unwrap(),
                crl_entry_extensions: issuer.map(|i| {
                    vec![extension(oid::CE_CERTIFICATE_ISSUER, true, &vec![dir(i)]).unwrap()]
                }),
            })
            .collect();
        let mut crl_extensions = vec![extension(oid::CE_CRL_NUMBER, false, &number).unwrap()];
        crl_extensions.extend(extensions);
        let tbs = TbsCertList {
            version: x509_cert::Version::V2,
            signature: algorithm.clone(),
            issuer: Name::from_der(signer.cert.subject_der()).unwrap(),
            this_update: Time::try_from(add_days(now(), -1)).unwrap(),
            next_update: Some(Time::try_from(add_days(now(), 7)).unwrap()),
            revoked_certificates: (!revoked.is_empty()).then_some(revoked),
            crl_extensions: Some(crl_extensions),
        };
        let signature =
            crate::key::Signer::sign(&signer.key, scheme, &tbs.to_der().unwrap()).unwrap();
        let der = CertificateList {
            tbs_cert_list: tbs,
            signature_algorithm: algorithm,
            signature: BitString::from_bytes(&signature).unwrap(),
        }
        .to_der()
        .unwrap();
        Crl::from_der(&der).unwrap()
    }

    /// Root (the only trust anchor) → Mail CA, and Root → CRL Issuer; both CAs stored.
    struct Pki {
        store: MemoryStore,
        root: Node,
        ca: Node,
        crl_issuer: Node,
    }

    fn pki() -> Pki {
        let root = node(ROOT, None, true, vec![]);
        let ca = node(MAIL_CA, Some(&root), true, vec![]);
        let crl_issuer = node(CRL_ISSUER, Some(&root), true, vec![]);
        let store = MemoryStore::new();
        store
            .transaction(|tx| {
                tx.put_root(&root.cert)?;
                tx.put_certificate(&ca.cert)?;
                tx.put_certificate(&crl_issuer.cert)
            })
            .unwrap();
        Pki {
            store,
            root,
            ca,
            crl_issuer,
        }
    }

    impl Pki {
        fn ee(&self, points: Vec<DistributionPoint>) -> Certificate {
            let extra = if points.is_empty() {
                vec![]
            } else {
                vec![crldp_ext(points)]
            };
            node("CN=Alice,O=Example", Some(&self.ca), false, extra).cert
        }

        fn import(&self, crl: &Crl) {
            let outcome = Crls::new(&self.store)
                .import(crl.der(), Some("test"), &clock())
                .unwrap();
            assert!(outcome[0].is_stored_valid(), "{outcome:?}");
        }

        fn status(&self, cert: &Certificate) -> RevocationStatus {
            self.store
                .read_transaction(|tx| CrlChecker::new(tx).status(cert, &self.ca.cert, now()))
                .unwrap()
        }
    }

    fn is_good(s: &RevocationStatus) -> bool {
        matches!(s, RevocationStatus::Good { .. })
    }

    fn is_revoked(s: &RevocationStatus) -> bool {
        matches!(s, RevocationStatus::Revoked { .. })
    }

    // ------------------------------------------------------------ distribution point names

    #[test]
    fn distribution_point_names_match_as_rfc_5280_says() {
        let issuer = name_der(MAIL_CA);
        let crl1 = "CN=CRL1,CN=Mail CA,O=Example";
        let dp_full = cert_dp(point(full(vec![dir(crl1)]), None, None));
        // An IDP without a distribution point name serves every distribution point.
        assert!(dp_full.named_by(None, &issuer, &issuer));
        assert!(dp_full.named_by(idp_name(None).as_ref(), &issuer, &issuer));
        // fullName against fullName: directory names compared as names (case folded).
        let same = idp_name(full(vec![dir("CN=crl1,CN=MAIL  CA,O=example")]));
        assert!(dp_full.named_by(same.as_ref(), &issuer, &issuer));
        let other = idp_name(full(vec![dir("CN=CRLx,CN=Mail CA,O=Example")]));
        assert!(!dp_full.named_by(other.as_ref(), &issuer, &issuer));
        // URIs, among other names: one common name is enough.
        let dp_uri = cert_dp(point(
            full(vec![dir(crl1), uri("http://crl.example.com/a.crl")]),
            None,
            None,
        ));
        let by_uri = idp_name(full(vec![uri("http://crl.example.com/a.crl")]));
        assert!(dp_uri.named_by(by_uri.as_ref(), &issuer, &issuer));
        let other_uri = idp_name(full(vec![uri("http://crl.example.com/b.crl")]));
        assert!(!dp_uri.named_by(other_uri.as_ref(), &issuer, &issuer));
        // The IDP's nameRelativeToCRLIssuer is appended to the CRL issuer's name.
        let idp_relative = idp_name(relative("CN=CRL1"));
        assert!(dp_full.named_by(idp_relative.as_ref(), &issuer, &issuer));
        assert!(!dp_full.named_by(idp_relative.as_ref(), &name_der(ROOT), &issuer));
        // The certificate's nameRelativeToCRLIssuer is appended to its issuer's name...
        let dp_relative = cert_dp(point(relative("CN=CRL1"), None, None));
        assert!(dp_relative.named_by(same.as_ref(), &issuer, &issuer));
        assert!(dp_relative.named_by(idp_relative.as_ref(), &issuer, &issuer));
        assert!(!dp_relative.named_by(other.as_ref(), &issuer, &issuer));
        let dp_relative2 = cert_dp(point(relative("CN=CRL2"), None, None));
        assert!(!dp_relative2.named_by(idp_relative.as_ref(), &issuer, &issuer));
        // ... or to its cRLIssuer's, when it names one.
        let crl_issuer = name_der(CRL_ISSUER);
        let dp_relative_issuer = cert_dp(point(
            relative("CN=CRL1"),
            None,
            Some(vec![dir(CRL_ISSUER)]),
        ));
        let under_issuer = idp_name(full(vec![dir("CN=CRL1,CN=CRL Issuer,O=Example")]));
        assert!(dp_relative_issuer.named_by(under_issuer.as_ref(), &crl_issuer, &issuer));
        assert!(!dp_relative_issuer.named_by(same.as_ref(), &crl_issuer, &issuer));
        // A distribution point without a name is matched by its cRLIssuer.
        let dp_issuer_only = cert_dp(point(None, None, Some(vec![dir(CRL_ISSUER)])));
        let naming_issuer = idp_name(full(vec![dir(CRL_ISSUER)]));
        assert!(dp_issuer_only.named_by(naming_issuer.as_ref(), &crl_issuer, &issuer));
        assert!(!dp_issuer_only.named_by(under_issuer.as_ref(), &crl_issuer, &issuer));
        assert!(dp_issuer_only.named_by(None, &crl_issuer, &issuer));
    }

    #[test]
    fn a_certificate_without_distribution_points_is_served_by_its_issuers_name_only() {
        let p = pki();
        let ee = p.ee(vec![]);
        assert!(distribution_points(&ee).is_empty());
        let assumed = CertDp::of_issuer(&ee);
        let issuer = name_der(MAIL_CA);
        assert!(assumed.named_by(None, &issuer, &issuer));
        let naming_issuer = idp_name(full(vec![dir(MAIL_CA)]));
        assert!(assumed.named_by(naming_issuer.as_ref(), &issuer, &issuer));
        let naming_other = idp_name(relative("CN=CRL1"));
        assert!(!assumed.named_by(naming_other.as_ref(), &issuer, &issuer));
    }

    #[test]
    fn the_crl_issuer_is_the_certificate_issuer_or_its_crl_issuer_for_an_indirect_crl() {
        let issuer = name_der(MAIL_CA);
        let crl_issuer = name_der(CRL_ISSUER);
        let plain = cert_dp(point(full(vec![uri("http://x/a.crl")]), None, None));
        assert!(plain.served_by_issuer(&issuer, false, &issuer));
        assert!(plain.served_by_issuer(&issuer, true, &issuer));
        assert!(!plain.served_by_issuer(&crl_issuer, true, &issuer));
        let delegated = cert_dp(point(None, None, Some(vec![dir(CRL_ISSUER)])));
        assert!(delegated.served_by_issuer(&crl_issuer, true, &issuer));
        // The cRLIssuer's CRL must say it is indirect; the certificate's issuer's own CRL
        // does not serve a distribution point delegated to another.
        assert!(!delegated.served_by_issuer(&crl_issuer, false, &issuer));
        assert!(!delegated.served_by_issuer(&issuer, false, &issuer));
        assert!(!delegated.served_by_issuer(&name_der(ROOT), true, &issuer));
    }

    #[test]
    fn a_crl_for_another_distribution_point_does_not_cover_the_certificate() {
        let p = pki();
        let dp = |cn: &str| point(full(vec![dir(&format!("CN={cn},{MAIL_CA}"))]), None, None);
        let named = p.ee(vec![dp("CRL1")]);
        let elsewhere = p.ee(vec![dp("CRLx")]);
        let none = p.ee(vec![]);
        // The CRL names its distribution point relative to its issuer: CN=CRL1,<Mail CA>.
        let crl = signed_crl(
            &p.ca,
            1,
            &[
                (named.serial(), None),
                (elsewhere.serial(), None),
                (none.serial(), None),
            ],
            vec![idp_ext(&idp(relative("CN=CRL1")))],
        );
        p.import(&crl);
        assert!(is_revoked(&p.status(&named)));
        assert_eq!(p.status(&elsewhere), RevocationStatus::Unknown);
        assert_eq!(p.status(&none), RevocationStatus::Unknown);
        // A CRL of the issuer naming no distribution point covers them all.
        p.import(&signed_crl(&p.ca, 2, &[], vec![]));
        assert!(is_revoked(&p.status(&named)));
        assert!(is_good(&p.status(&elsewhere)));
        assert!(is_good(&p.status(&none)));
    }

    // ------------------------------------------------------------------------ reasons

    #[test]
    fn reason_masks_unite_and_intersect() {
        use RevocationReason as R;
        let compromise = ReasonMask::of(&[R::KeyCompromise, R::CaCompromise]);
        let others = ReasonMask::of(&[
            R::AffiliationChanged,
            R::Superseded,
            R::CessationOfOperation,
            R::CertificateHold,
            R::PrivilegeWithdrawn,
            R::AaCompromise,
        ]);
        assert!(!compromise.is_all() && !others.is_all());
        assert!(compromise.union(others).is_all());
        assert!(compromise.intersection(others).is_empty());
        assert_eq!(ReasonMask::of(&R::PARTITION), ReasonMask::ALL);
        assert_eq!(ReasonMask::of_optional(None), ReasonMask::ALL);
        // Neither unspecified nor removeFromCRL is a reason a CRL is partitioned by.
        assert!(ReasonMask::of(&[R::Unspecified, R::RemoveFromCrl]).is_empty());
        let gap = ReasonMask::of(&[R::AffiliationChanged, R::Superseded]);
        assert!(!compromise.union(gap).is_all());
        assert_eq!(compromise.union(gap).intersection(gap), gap);
    }

    fn partitioned(
        p: &Pki,
        number: u32,
        name: Option<X509DpName>,
        reasons: der::flagset::FlagSet<Reasons>,
        entries: &[(&Serial, Option<&str>)],
    ) -> Crl {
        let mut i = idp(name);
        i.only_some_reasons = Some(reasons);
        signed_crl(&p.ca, number, entries, vec![idp_ext(&i)])
    }

    fn compromise() -> der::flagset::FlagSet<Reasons> {
        Reasons::KeyCompromise | Reasons::CaCompromise
    }

    fn other_reasons() -> der::flagset::FlagSet<Reasons> {
        Reasons::Unused
            | Reasons::AffiliationChanged
            | Reasons::Superseded
            | Reasons::CessationOfOperation
            | Reasons::CertificateHold
            | Reasons::PrivilegeWithdrawn
            | Reasons::AaCompromise
    }

    #[test]
    fn reasons_accumulate_over_the_crls_used_until_they_cover_all() {
        let p = pki();
        let alice = p.ee(vec![]);
        let bob = p.ee(vec![]);
        // One CRL for the compromise reasons alone does not say "good".
        p.import(&partitioned(&p, 1, None, compromise(), &[]));
        assert_eq!(p.status(&alice), RevocationStatus::Unknown);
        // A second one for reasons that leave a gap does not either (PKITS 4.14.17).
        p.import(&partitioned(
            &p,
            2,
            None,
            Reasons::AffiliationChanged | Reasons::Superseded,
            &[],
        ));
        assert_eq!(p.status(&alice), RevocationStatus::Unknown);
        // With the other reasons covered, the union is every reason (PKITS 4.14.18); an
        // entry on any of them revokes (PKITS 4.14.16).
        p.import(&partitioned(
            &p,
            3,
            None,
            other_reasons(),
            &[(bob.serial(), None)],
        ));
        assert!(is_good(&p.status(&alice)));
        assert!(is_revoked(&p.status(&bob)));
    }

    #[test]
    fn a_distribution_points_reasons_narrow_what_its_crl_covers() {
        let p = pki();
        let dp = |cn: &str, reasons| {
            point(
                full(vec![dir(&format!("CN={cn},{MAIL_CA}"))]),
                Some(reasons),
                None,
            )
        };
        // PKITS 4.14.19: DP1 (CRL1) for the compromise reasons, DP2 (CRL2) for the others.
        let alice = p.ee(vec![dp("CRL1", compromise()), dp("CRL2", other_reasons())]);
        // CRL1 covers every reason, but serves DP1 only: the compromise reasons.
        p.import(&signed_crl(
            &p.ca,
            1,
            &[],
            vec![idp_ext(&idp(relative("CN=CRL1")))],
        ));
        assert_eq!(p.status(&alice), RevocationStatus::Unknown);
        // CRL2 for the compromise reasons only serves nothing DP2 asks for.
        p.import(&partitioned(&p, 2, relative("CN=CRL2"), compromise(), &[]));
        assert_eq!(p.status(&alice), RevocationStatus::Unknown);
        // CRL2 for the other reasons completes the set.
        p.import(&partitioned(
            &p,
            3,
            relative("CN=CRL2"),
            other_reasons(),
            &[],
        ));
        assert!(is_good(&p.status(&alice)));
    }

    // ------------------------------------------------------------------- indirect CRLs

    fn indirect_idp(name: Option<X509DpName>) -> Extension {
        let mut i = idp(name);
        i.indirect_crl = true;
        idp_ext(&i)
    }

    #[test]
    fn indirect_crl_entries_belong_to_the_certificate_issuer_named_before_them() {
        let p = pki();
        let serial = |n: u8| Serial::from_bytes(&[n]);
        let (s1, s2, s3, s4, s5) = (serial(1), serial(2), serial(3), serial(4), serial(5));
        let other = "CN=Other CA,O=Example";
        let crl = signed_crl(
            &p.crl_issuer,
            1,
            &[
                (&s1, None),
                (&s2, Some(other)),
                (&s3, None),
                (&s4, Some("CN=crl issuer,O=EXAMPLE")),
                (&s5, None),
            ],
            vec![indirect_idp(None)],
        );
        assert!(crl.problems().is_empty(), "{:?}", crl.problems());
        // The first entries and those after a certificateIssuer naming the CRL issuer itself
        // (as names match) are the CRL issuer's; those in between are Other CA's.
        let serials = |e: &[RevokedEntry]| e.iter().map(|e| e.serial.clone()).collect::<Vec<_>>();
        let packed = |e: &crate::store::CrlEntries| e.iter().map(|e| e.serial).collect::<Vec<_>>();
        assert_eq!(packed(crl.entries()), [s1.clone(), s4.clone(), s5.clone()]);
        assert_eq!(crl.other_issuers().len(), 1);
        let others = &crl.other_issuers()[0];
        assert_eq!(packed(others.entries()), [s2.clone(), s3.clone()]);
        assert_eq!(others.issuer().as_deref(), Some(other));
        assert_eq!(crl.entry_count(), 5);
        let other_der = name_der(other);
        let own_der = name_der(CRL_ISSUER);
        assert!(crl.entry_of(&other_der, &s3).is_some());
        assert!(crl.entry_of(&other_der, &s1).is_none());
        assert!(crl.entry_of(&own_der, &s5).is_some());
        assert!(crl.entry_of(&own_der, &s2).is_none());
        assert!(crl.entry_of(&name_der(MAIL_CA), &s1).is_none());
        // Another issuer's entries are not Other CA's, nor the reverse.
        assert!(crl.entry_of(&name_der(MAIL_CA), &s2).is_none());
        // Only the CRL issuer's entries are indexed in the store.
        p.import(&crl);
        let stored = p
            .store
            .read_transaction(|tx| {
                let id = tx.crls()?[0].id;
                tx.crl_entries(id)
            })
            .unwrap();
        assert_eq!(
            serials(&stored.to_vec()),
            [s1.clone(), s4.clone(), s5.clone()]
        );
        // A certificateIssuer on a CRL that is not indirect makes it unusable.
        let not_indirect = signed_crl(&p.crl_issuer, 2, &[(&s1, None), (&s2, Some(other))], vec![]);
        assert!(
            not_indirect
                .problems()
                .iter()
                .any(|e| e.contains("not indirect")),
            "{:?}",
            not_indirect.problems()
        );
    }

    #[test]
    fn the_indirect_crl_of_the_crl_issuer_a_certificate_names_applies_to_it() {
        let p = pki();
        let delegated = || point(None, None, Some(vec![dir(CRL_ISSUER)]));
        let revoked = p.ee(vec![delegated()]);
        let good = p.ee(vec![delegated()]);
        let not_delegated = p.ee(vec![]);
        // The CRL issuer lists `good`'s serial for itself and for Other CA, `revoked` and
        // `not_delegated` for Mail CA.
        let crl = signed_crl(
            &p.crl_issuer,
            1,
            &[
                (good.serial(), None),
                (revoked.serial(), Some(MAIL_CA)),
                (not_delegated.serial(), None),
                (good.serial(), Some("CN=Other CA,O=Example")),
            ],
            vec![indirect_idp(None)],
        );
        p.import(&crl);
        assert!(is_revoked(&p.status(&revoked)));
        assert!(is_good(&p.status(&good)));
        // A certificate that does not name the CRL issuer is not covered by its CRL.
        assert_eq!(p.status(&not_delegated), RevocationStatus::Unknown);
        // Nor is one naming it when its CRL is not indirect (PKITS 4.14.27).
        let q = pki();
        let named = q.ee(vec![delegated()]);
        q.import(&signed_crl(&q.crl_issuer, 1, &[], vec![]));
        assert_eq!(q.status(&named), RevocationStatus::Unknown);
        // Through validation: the path's issuer has no CRL of its own here, so only the
        // delegated certificates are covered.
        let v = |c: &Certificate| {
            let options = ValidationOptions::new(now(), LeafPolicy::SmimeEncryption)
                .revocation(crate::trust::RevocationMode::Required);
            p.store
                .read_transaction(|tx| {
                    Validator::new(tx)
                        .intermediates([p.ca.cert.clone()])
                        .validate(c, &options)
                })
                .unwrap()
        };
        // Mail CA itself has no CRL of Root: give Root one.
        let root_crl = signed_crl(&p.root, 1, &[], vec![]);
        p.import(&root_crl);
        assert!(v(&good).is_valid(), "{:?}", v(&good).reasons());
        assert!(revoked_reason(&v(&revoked)).is_some());
        assert!(!v(&not_delegated).is_valid());
    }

    #[test]
    fn a_crl_whose_separate_signer_is_revoked_is_not_used() {
        // PKITS 4.4.19-21: the CRLs of an issuer signed with another key of its name, whose
        // certificate the trust anchor revokes (or not).
        for signer_revoked in [false, true] {
            let p = pki();
            let crl_key = node(MAIL_CA, Some(&p.root), true, vec![]);
            let alice = p.ee(vec![]);
            let crl = signed_crl(&crl_key, 1, &[(alice.serial(), None)], vec![]);
            let root_entries: Vec<(&Serial, Option<&str>)> = if signer_revoked {
                vec![(crl_key.cert.serial(), None)]
            } else {
                vec![]
            };
            p.import(&signed_crl(&p.root, 1, &root_entries, vec![]));
            p.store
                .transaction(|tx| tx.put_certificate(&crl_key.cert))
                .unwrap();
            // Imported with its signer known: verified with the separate key.
            p.import(&crl);
            let status = p.status(&alice);
            if signer_revoked {
                assert_eq!(status, RevocationStatus::Unknown);
            } else {
                assert!(is_revoked(&status), "{status:?}");
            }
        }
    }

    #[test]
    fn an_indirect_crl_whose_signer_is_revoked_is_not_used() {
        let p = pki();
        let alice = p.ee(vec![point(None, None, Some(vec![dir(CRL_ISSUER)]))]);
        p.import(&signed_crl(
            &p.crl_issuer,
            1,
            &[(alice.serial(), Some(MAIL_CA))],
            vec![indirect_idp(None)],
        ));
        assert!(is_revoked(&p.status(&alice)));
        p.import(&signed_crl(
            &p.root,
            1,
            &[(p.crl_issuer.cert.serial(), None)],
            vec![],
        ));
        assert_eq!(p.status(&alice), RevocationStatus::Unknown);
    }
}
