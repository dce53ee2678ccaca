//! [`CrlChecker`]: revocation status from the store's valid CRLs.

use std::cmp::Ordering;
use std::time::SystemTime;

use super::{RevocationReason, Scope, cmp_numbers, newer};
use crate::cert::Certificate;
use crate::error::Result;
use crate::key::KeyId;
use crate::store::{CrlRecord, ReadTransaction, RevokedEntry};
use crate::trust::{RevocationChecker, RevocationStatus};

/// The revocation checker over a store's CRL store (RFC 5280 6.3, for CRLs issued by the
/// certificate's issuer):
///
/// - only valid CRLs count, and only those whose signature was verified with the key of the
///   certificate's issuer (so a renewed CA's CRLs apply, another CA of the same name's do not);
/// - a CRL applies when its issuingDistributionPoint scope covers the certificate
///   (onlyContainsUserCerts / onlyContainsCACerts); the newest complete CRL of each scope is
///   used; a CRL limited to some reasons can revoke, but alone does not say "good";
/// - a delta CRL applies on top of a complete CRL whose number is at least its BaseCRLNumber
///   and below its own number; its entries revoke, and removeFromCRL lifts a hold;
/// - a certificate revoked after the validation time counts as revoked only for a compromise
///   reason (keyCompromise, cACompromise, aACompromise) or when no reason is given.
///
/// Each check is indexed lookups in the store: no CRL is parsed.
pub struct CrlChecker<'a> {
    tx: &'a dyn ReadTransaction,
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

impl<'a> CrlChecker<'a> {
    /// A checker over the CRLs of the store `tx` reads.
    pub fn new(tx: &'a dyn ReadTransaction) -> Self {
        CrlChecker { tx }
    }

    /// The valid CRLs of `cert`'s issuer (signed with `issuer`'s key) whose scope covers it:
    /// (complete CRLs, delta CRLs).
    fn applicable(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
    ) -> Result<(Vec<Applicable>, Vec<Applicable>)> {
        let key = KeyId::of_public_key_der(issuer.public_key_der());
        let mut complete = Vec::new();
        let mut delta = Vec::new();
        for record in self.tx.crls_by_issuer(cert.issuer_der())? {
            if !record.status.is_valid() || record.signer_key != Some(key) {
                continue;
            }
            // A stored valid CRL's scope parsed at import; unreadable now means a damaged
            // record, which must not be trusted to say anything.
            let Ok(scope) = Scope::from_der(&record.scope) else {
                continue;
            };
            if !scope.covers(cert.is_ca()) || !dp_matches(&scope, cert) {
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
        let (mut complete, delta) = self.applicable(cert, issuer)?;
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
