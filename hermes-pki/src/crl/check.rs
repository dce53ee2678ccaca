//! [`CrlChecker`]: revocation status from the store's valid CRLs.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::time::SystemTime;

use super::parse::Crl;
use super::{RevocationReason, Scope, cmp_numbers, intrinsic_problem, is_pending, newer};
use crate::cert::Certificate;
use crate::error::Result;
use crate::key::KeyId;
use crate::store::{CrlId, CrlRecord, ReadTransaction, RevokedEntry};
use crate::trust::{
    LeafPolicy, RevocationChecker, RevocationStatus, ValidationOptions, Validator, names_match,
};

/// The revocation checker over a store's CRL store (RFC 5280 6.3, for CRLs issued by the
/// certificate's issuer):
///
/// - only valid and pending CRLs count. A valid CRL counts only when its signature was
///   verified (at import) with the key of the certificate's issuer (so a renewed CA's CRLs
///   apply, another CA of the same name's do not). A pending CRL (its issuer was unknown at
///   import, [`is_pending`](super::is_pending)) is judged here, when used: its signature must
///   verify with the key of the issuer on the path being validated, whose keyUsage (if any)
///   allows cRLSign, as OpenSSL does;
/// - a CRL signed with another key of the issuer's name (RFC 5280 "separate certificate and
///   CRL keys") counts when a certificate of that key, among the store's and those given with
///   [`certificates`](Self::certificates), may sign CRLs and itself validates to a trust anchor
///   (one level deep: that certificate's own revocation is checked against its issuer's CRLs
///   only);
/// - a CRL applies when its issuingDistributionPoint scope covers the certificate
///   (onlyContainsUserCerts / onlyContainsCACerts); the newest complete CRL of each scope is
///   used; a CRL limited to some reasons can revoke, but alone does not say "good";
/// - a delta CRL applies on top of a complete CRL whose number is at least its BaseCRLNumber
///   and below its own number; its entries revoke, and removeFromCRL lifts a hold;
/// - a certificate revoked after the validation time counts as revoked only for a compromise
///   reason (keyCompromise, cACompromise, aACompromise) or when no reason is given;
/// - issuer names match as RFC 5280 7.1 says (case and white space folded).
///
/// A CRL verified at import is answered from indexed lookups in the store; a pending one is
/// parsed once per checker to check its signature.
pub struct CrlChecker<'a> {
    tx: &'a dyn ReadTransaction,
    extra: &'a [Certificate],
    nested: bool,
    /// Pending or other-key CRLs already judged: (CRL, key of the issuer on the path) → usable.
    judged: RefCell<HashMap<(CrlId, KeyId), bool>>,
}

impl std::fmt::Debug for CrlChecker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlChecker").finish_non_exhaustive()
    }
}

/// One applicable CRL with its parsed scope.
struct Applicable {
    record: CrlRecord,
    scope: Scope,
}

fn earliest(a: Option<SystemTime>, b: Option<SystemTime>) -> Option<SystemTime> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Candidate CRL signers of another key tried per CRL.
const MAX_SEPARATE_SIGNERS: usize = 4;

impl<'a> CrlChecker<'a> {
    /// A checker over the CRLs of the store `tx` reads.
    pub fn new(tx: &'a dyn ReadTransaction) -> Self {
        CrlChecker {
            tx,
            extra: &[],
            nested: false,
            judged: RefCell::new(HashMap::new()),
        }
    }

    /// Certificates besides the store's that may have signed a CRL (those a message
    /// carries); they still have to validate to a trust anchor.
    pub fn certificates(mut self, certs: &'a [Certificate]) -> Self {
        self.extra = certs;
        self
    }

    /// The stored CRLs whose issuer is `cert`'s issuer: looked up by the certificate's issuer
    /// name and by the issuer certificate's subject, matched as RFC 5280 7.1 says.
    fn records(&self, cert: &Certificate, issuer: &Certificate) -> Result<Vec<CrlRecord>> {
        let mut out = self.tx.crls_by_issuer(cert.issuer_der())?;
        if issuer.subject_der() != cert.issuer_der() {
            for r in self.tx.crls_by_issuer(issuer.subject_der())? {
                if !out.iter().any(|o| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        out.retain(|r| names_match(&r.issuer_der, cert.issuer_der()));
        Ok(out)
    }

    /// Whether a CRL not verified with `issuer`'s key at import may be used for `issuer`'s
    /// certificates: a pending CRL signed with `issuer`'s key, or any usable CRL signed by a
    /// trusted certificate of another key of the same name.
    fn usable(&self, record: &CrlRecord, issuer: &Certificate, at: SystemTime) -> Result<bool> {
        let key = KeyId::of_public_key_der(issuer.public_key_der());
        if let Some(known) = self.judged.borrow().get(&(record.id, key)) {
            return Ok(*known);
        }
        let verdict = self.judge(record, issuer, at)?;
        self.judged.borrow_mut().insert((record.id, key), verdict);
        Ok(verdict)
    }

    fn judge(&self, record: &CrlRecord, issuer: &Certificate, at: SystemTime) -> Result<bool> {
        let Some(der) = self.tx.crl_der(record.id)? else {
            return Ok(false);
        };
        let Ok(crl) = Crl::from_der(&der) else {
            return Ok(false);
        };
        if intrinsic_problem(&crl, at).is_some() {
            return Ok(false);
        }
        let may_sign_crls = |c: &Certificate| c.key_usage().is_none_or(|ku| ku.crl_sign);
        if is_pending(record) && crl.verify_signature(issuer.public_key_der()).is_ok() {
            return Ok(may_sign_crls(issuer));
        }
        if self.nested {
            return Ok(false);
        }
        // Separate certificate and CRL keys: another certificate of the issuer's name.
        let mut candidates = self.tx.certificates_by_subject(crl.issuer_der())?;
        candidates.extend(self.tx.roots_by_subject(crl.issuer_der())?);
        candidates.extend(
            self.extra
                .iter()
                .filter(|c| names_match(c.subject_der(), crl.issuer_der()))
                .cloned(),
        );
        let mut tried = 0;
        for signer in candidates {
            if signer.public_key_der() == issuer.public_key_der() || !may_sign_crls(&signer) {
                continue;
            }
            if let Some(k) = record.signer_key
                && k != KeyId::of_public_key_der(signer.public_key_der())
            {
                continue;
            }
            if tried == MAX_SEPARATE_SIGNERS {
                break;
            }
            tried += 1;
            if crl.verify_signature(signer.public_key_der()).is_err() {
                continue;
            }
            let inner = CrlChecker {
                tx: self.tx,
                extra: self.extra,
                nested: true,
                judged: RefCell::new(HashMap::new()),
            };
            let options = ValidationOptions::new(at, LeafPolicy::Any);
            let v = Validator::new(self.tx)
                .intermediates(self.extra.iter().cloned())
                .revocation(&inner)
                .validate(&signer, &options)?;
            if v.is_valid() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The usable CRLs of `cert`'s issuer whose scope covers it: (complete CRLs, delta CRLs).
    fn applicable(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> Result<(Vec<Applicable>, Vec<Applicable>)> {
        let key = KeyId::of_public_key_der(issuer.public_key_der());
        let mut complete = Vec::new();
        let mut delta = Vec::new();
        for record in self.records(cert, issuer)? {
            if !record.status.is_valid() {
                continue;
            }
            // A stored CRL's scope parsed at import; unreadable now means a damaged record,
            // which must not be trusted to say anything.
            let Ok(scope) = Scope::from_der(&record.scope) else {
                continue;
            };
            if !scope.covers(cert.is_ca()) || !dp_matches(&scope, cert) {
                continue;
            }
            if record.signer_key != Some(key) && !self.usable(&record, issuer, at)? {
                continue;
            }
            let a = Applicable { record, scope };
            if a.record.delta_base.is_some() {
                delta.push(a);
            } else {
                complete.push(a);
            }
        }
        Ok((complete, delta))
    }
}

/// A CRL naming a distribution point applies to a certificate that names one of the same
/// URIs, or names none (RFC 5280 6.3.3 (b)(2)(i), leniently for certificates without the
/// extension: applying a CRL can only find a revocation, never hide one).
fn dp_matches(scope: &Scope, cert: &Certificate) -> bool {
    let dps = cert.crl_distribution_points();
    scope.distribution_point.is_empty()
        || dps.is_empty()
        || dps.iter().any(|d| scope.distribution_point.contains(d))
}

/// Whether `entry` makes the certificate revoked at `at`.
fn revoked_at(entry: &RevokedEntry, at: SystemTime) -> bool {
    let reason = entry.reason.and_then(RevocationReason::from_code);
    entry.date <= at || reason.is_none_or(RevocationReason::is_compromise)
}

impl RevocationChecker for CrlChecker<'_> {
    fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> Result<RevocationStatus> {
        let (mut complete, delta) = self.applicable(cert, issuer, at)?;
        if complete.is_empty() {
            return Ok(RevocationStatus::Unknown);
        }
        // Newest first: the newest complete CRL of each scope is the one that counts.
        complete.sort_by(|a, b| newer(&b.record, &a.record));
        let mut used: Vec<&Applicable> = Vec::new();
        for c in &complete {
            // All records share the issuer name (crls_by_issuer): one CRL per scope.
            if !used.iter().any(|u| u.record.scope == c.record.scope) {
                used.push(c);
            }
        }
        let serial = cert.serial();
        let mut covered = false;
        let mut next_update = None;
        for c in used {
            covered |= c.scope.all_reasons();
            next_update = earliest(next_update, c.record.next_update);
            let listed = self.tx.crl_entry(c.record.id, serial)?;
            // The newest delta CRL based on this CRL (or an older base) and newer than it.
            let number = c.record.number.as_deref();
            let base_delta = delta
                .iter()
                .filter(|d| d.record.scope == c.record.scope)
                .filter(|d| {
                    match (
                        number,
                        d.record.delta_base.as_deref(),
                        d.record.number.as_deref(),
                    ) {
                        (Some(n), Some(base), Some(dn)) => {
                            cmp_numbers(base, n) != Ordering::Greater
                                && cmp_numbers(dn, n) == Ordering::Greater
                        }
                        _ => false,
                    }
                })
                .max_by(|a, b| newer(&a.record, &b.record));
            let mut entry = listed;
            if let Some(d) = base_delta {
                next_update = earliest(next_update, d.record.next_update);
                if let Some(e) = self.tx.crl_entry(d.record.id, serial)? {
                    entry = if e.reason == Some(RevocationReason::RemoveFromCrl.code()) {
                        None
                    } else {
                        Some(e)
                    };
                }
            }
            if let Some(e) = entry
                && e.reason != Some(RevocationReason::RemoveFromCrl.code())
                && revoked_at(&e, at)
            {
                return Ok(RevocationStatus::Revoked {
                    reason: e.reason.and_then(RevocationReason::from_code),
                    date: e.date,
                });
            }
        }
        Ok(if covered {
            RevocationStatus::Good { next_update }
        } else {
            RevocationStatus::Unknown
        })
    }
}
