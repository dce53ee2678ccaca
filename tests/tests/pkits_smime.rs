//! NIST PKITS as S/MIME: every `SignedValid*` / `SignedInvalid*` message (and
//! `SignedMissingCRLTest1`) of
//! `tests/data/pkits/smime/` (from the `cryptography-vectors` package) verified through the
//! library, as a gateway receives them.
//!
//! The store holds the PKITS trust anchor as its only root and every PKITS CRL, imported
//! *before* any other certificate is known (the usual order at a gateway: intermediates arrive
//! inside messages, so a CRL is judged when it is used, against the issuer on the path). Each
//! message is then verified with [`Smime::verify_with`] at a fixed time inside the suite's
//! validity (2020-06-01), with the certificates the message carries offered to chain building.
//!
//! - With `revocation required` (PKITS semantics: no valid CRL covering a certificate means
//!   "not valid"), every verdict must match the file's name.
//! - With `best-effort` (the default), every `SignedValid*` must be valid, and every
//!   `SignedInvalid*` that does not depend on a missing or unusable CRL must be not valid.
//!
//! `PKITS_ONLY=substring` runs only the messages whose name contains it and prints each
//! verdict with its reasons.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use hermes_pki::cert::Certificate;
use hermes_pki::crl::Crls;
use hermes_pki::smime::{SignerPolicy, Smime, VerifyOptions};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::FixedClock;
use hermes_pki::trust::RevocationMode;

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data/pkits")
}

/// 2020-06-01T00:00:00Z: inside every PKITS certificate's validity that is meant to be valid.
fn at() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_590_969_600)
}

/// A store with the PKITS trust anchor as its only root and every PKITS CRL imported.
fn store() -> MemoryStore {
    let store = MemoryStore::new();
    let anchor = Certificate::from_der(
        &std::fs::read(data().join("certs/TrustAnchorRootCertificate.crt")).unwrap(),
    )
    .unwrap();
    store
        .transaction(|tx| {
            tx.put_certificate(&anchor)?;
            tx.put_root(&anchor)
        })
        .unwrap();
    let crls = Crls::new(&store);
    let mut files: Vec<PathBuf> = std::fs::read_dir(data().join("crls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 150, "the PKITS CRLs are missing");
    for f in files {
        let der = std::fs::read(&f).unwrap();
        // Every PKITS CRL is readable; whether it is usable is decided when it is used.
        crls.import(
            &der,
            f.file_name().and_then(|n| n.to_str()),
            &FixedClock(at()),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
    }
    store
}

/// The messages whose expected result the name gives (`SignedValid*`, `SignedInvalid*`), and
/// `SignedMissingCRLTest1` (PKITS 4.4.1: invalid when revocation is required).
fn messages() -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(data().join("smime"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter_map(|p| {
            let name = p.file_name()?.to_str()?.to_string();
            (name.starts_with("SignedValid")
                || name.starts_with("SignedInvalid")
                || name == "SignedMissingCRLTest1.eml")
                .then(|| (name, std::fs::read(&p).unwrap()))
        })
        .filter(|(name, _)| std::env::var("PKITS_ONLY").map_or(true, |o| name.contains(&o)))
        .collect();
    out.sort();
    out
}

/// The verdict on one message: `Ok(true)` valid, `Ok(false)` not valid (with why), `Err` when
/// the library could not process it at all.
fn verdict(
    store: &MemoryStore,
    message: &[u8],
    mode: RevocationMode,
) -> Result<(bool, String), String> {
    // PKITS signs its DSA tests (certificates, CRLs and messages) with SHA-1 and expects them
    // valid: the suite's own expectations need SHA-1 allowed (refused by default).
    let options = VerifyOptions::new(at())
        .revocation(mode)
        .signer_policy(SignerPolicy::new().allow_sha1(true));
    let v = Smime::new(store)
        .verify_with(message, &options)
        .map_err(|e| e.to_string())?;
    let mut why = Vec::new();
    for (verdict, report) in v.signers.iter().zip(&v.message.signed.signers) {
        if !report.status.is_valid() {
            why.push(format!("signature: {}", report.status));
        }
        match &verdict.validation {
            None => why.push("no signer certificate".into()),
            Some(val) => {
                why.extend(val.reasons().iter().map(|r| r.to_string()));
                why.extend(val.warnings().iter().map(|w| format!("warning: {w}")));
            }
        }
    }
    Ok((v.is_valid(), why.join(" | ")))
}

/// PKITS tests whose "Invalid" verdict comes only from revocation information that is missing
/// or unusable (no CRL, a badly signed one, one from the wrong issuer or for another scope or
/// distribution point, a stale one, one with an unknown critical extension, one whose signer
/// cannot be trusted, a delta CRL without its base, a distribution point naming a cRLIssuer of
/// which no indirect CRL is at hand): under best effort they are valid, with a warning. Every
/// other `SignedInvalid*` must stay not valid under best effort, among them those whose
/// certificate is listed on a usable CRL: SeparateCertificateandCRLKeysTest20 (on the CRL
/// signed with the CA's separate, unrevoked CRL key), IDPwithindirectCRLTest23 (on its
/// issuer's indirect CRL), cRLIssuerTest31/32 (attributed by certificateIssuer to their issuer
/// on the indirect CRL their cRLIssuer names) and cRLIssuerTest34 (on its issuer's indirect
/// CRL, under a certificateIssuer naming the CRL issuer itself).
const DEPENDS_ON_UNUSABLE_CRL: &[&str] = &[
    "SignedMissingCRLTest1",
    "SignedInvalidBadCRLSignatureTest4",
    "SignedInvalidBadCRLIssuerNameTest5",
    "SignedInvalidWrongCRLTest6",
    "SignedInvalidUnknownCRLEntryExtensionTest8",
    "SignedInvalidUnknownCRLExtensionTest9",
    "SignedInvalidUnknownCRLExtensionTest10",
    "SignedInvalidOldCRLnextUpdateTest11",
    "SignedInvalidpre2000CRLnextUpdateTest12",
    "SignedInvalidSeparateCertificateandCRLKeysTest21",
    "SignedInvalidkeyUsageCriticalcRLSignFalseTest4",
    "SignedInvalidkeyUsageNotCriticalcRLSignFalseTest5",
    "SignedInvaliddistributionPointTest3",
    "SignedInvaliddistributionPointTest8",
    "SignedInvaliddistributionPointTest9",
    "SignedInvalidonlyContainsUserCertsCRLTest11",
    "SignedInvalidonlyContainsCACertsCRLTest12",
    "SignedInvalidonlyContainsAttributeCertsTest14",
    "SignedInvalidonlySomeReasonsTest17",
    "SignedInvalidIDPwithindirectCRLTest26",
    "SignedInvalidcRLIssuerTest27",
    "SignedInvalidcRLIssuerTest35",
    "SignedInvaliddeltaCRLIndicatorNoBaseTest1",
    "SignedInvaliddeltaCRLTest10",
];

fn run(mode: RevocationMode) -> (usize, Vec<String>) {
    let store = store();
    let only = std::env::var("PKITS_ONLY").is_ok();
    let mut right = 0;
    let mut wrong = Vec::new();
    let all = messages();
    assert!(
        only || all.len() == 203,
        "expected 203 PKITS messages, found {}",
        all.len()
    );
    for (name, message) in &all {
        let stem = name.trim_end_matches(".eml");
        let expect_valid = stem.starts_with("SignedValid")
            || (mode == RevocationMode::BestEffort && DEPENDS_ON_UNUSABLE_CRL.contains(&stem));
        let got = verdict(&store, message, mode);
        if only {
            println!("{stem}: {got:?}");
        }
        match got {
            Ok((valid, _)) if valid == expect_valid => right += 1,
            Ok((valid, why)) => wrong.push(format!(
                "{stem}: expected {}, got {} ({why})",
                if expect_valid { "valid" } else { "not valid" },
                if valid { "valid" } else { "not valid" }
            )),
            Err(e) => wrong.push(format!("{stem}: error: {e}")),
        }
    }
    println!(
        "PKITS S/MIME ({mode}): {right} of {} verdicts right",
        right + wrong.len()
    );
    for w in &wrong {
        println!("  {w}");
    }
    (right, wrong)
}

#[test]
fn pkits_smime_revocation_required_every_verdict_matches() {
    let (_, wrong) = run(RevocationMode::Required);
    assert!(
        wrong.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn pkits_smime_best_effort_valid_stay_valid_and_invalid_stay_invalid() {
    let (_, wrong) = run(RevocationMode::BestEffort);
    assert!(
        wrong.is_empty(),
        "{} wrong verdicts:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
