//! [`CrlChecker`]: revocation status from the store's valid CRLs.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::SystemTime;

use super::dp::{CertDp, ReasonMask, distribution_points};
use super::index::IndexCache;
use super::parse::Crl;
use super::{RevocationReason, Scope, cmp_numbers, intrinsic_problem, is_pending, newer};
use crate::cert::Certificate;
use crate::cert::signature::signs_with_sha1;
use crate::error::Result;
use crate::key::KeyId;
use crate::revocation::{RevocationChecker, RevocationStatus};
use crate::store::{CrlId, CrlRecord, ReadTransaction, RevokedEntry};
use crate::trust::{LeafPolicy, ValidationOptions, Validator, names_match};

/// The revocation checker over a store's CRL store (RFC 5280 6.3):
///
/// - only valid and pending CRLs count. A valid CRL of the certificate's issuer counts only
///   when its signature was verified (at import) with the key of the certificate's issuer (so
///   a renewed CA's CRLs apply, another CA of the same name's do not). A pending CRL (its
///   issuer was unknown at import, [`is_pending`](super::is_pending)) is judged here, when
///   used: its signature must verify with the key of the issuer on the path being validated,
///   whose keyUsage (if any) allows cRLSign, as OpenSSL does;
/// - a CRL signed with another key of the issuer's name (RFC 5280 "separate certificate and
///   CRL keys"), or issued by another entity for an indirect CRL, counts when a certificate of
///   its signer, among the store's and those given with [`certificates`](Self::certificates),
///   may sign CRLs and itself validates to a trust anchor (one level deep: that certificate's
///   own revocation is checked with CRLs signed by its issuer only);
/// - distribution points (6.3.3 (b)): a CRL serves a certificate's distribution point when
///   its issuer is the certificate's issuer, or the point's cRLIssuer for an indirect CRL,
///   and its issuingDistributionPoint names no distribution point or one of the point's
///   names (full names of any form, or a name relative to the CRL issuer). CRLs not named in
///   a distribution point serve the one RFC 5280 assumes: the certificate's issuer's name, so
///   a certificate without cRLDistributionPoints is served only by CRLs of its issuer naming
///   no distribution point (or that name);
/// - a CRL applies when its issuingDistributionPoint scope covers the certificate
///   (onlyContainsUserCerts / onlyContainsCACerts); the newest complete CRL of each issuer and
///   scope is used. Reasons accumulate over the CRLs used (6.3.3 (d), (l)): each covers the
///   reasons of its onlySomeReasons and of the distribution point it serves; the status is
///   "good" once they cover every reason, and any CRL used that lists the certificate revokes
///   it;
/// - an indirect CRL's entries belong to the certificate issuer its certificateIssuer entry
///   extensions name (the first ones to the CRL's issuer);
/// - a delta CRL applies on top of a complete CRL whose number is at least its BaseCRLNumber
///   and below its own number; its entries revoke, and removeFromCRL lifts a hold;
/// - a certificate revoked after the validation time counts as revoked only for a compromise
///   reason (keyCompromise, cACompromise, aACompromise) or when no reason is given;
/// - issuer names match as RFC 5280 7.1 says (case and white space folded).
///
/// A CRL of the certificate's issuer is answered from an in-memory index of its serials,
/// built from the store's entries (its entries for its own certificates, stored at import) on
/// first use and kept in a process-wide cache (see [`crate::crl`]); a pending one, or one
/// issued by another entity, is parsed once per checker.
pub struct CrlChecker<'a> {
    tx: &'a dyn ReadTransaction,
    /// Where the CRLs' serial indexes are kept.
    indexes: &'a IndexCache,
    extra: &'a [Certificate],
    nested: bool,
    /// CRLs already judged.
    judged: RefCell<Judged>,
    /// Whether CRLs signed with SHA-1 are used.
    allow_sha1: bool,
}

/// Judged CRLs: (CRL, key of the issuer on the path, if the CRL is that issuer's) → verdict.
type Judged = HashMap<(CrlId, Option<KeyId>), Judgement>;

/// Whether a CRL may be used.
#[derive(Clone)]
enum Judgement {
    /// No.
    Unusable,
    /// Yes, for the certificates of the issuer on the path (its entries are in the store and
    /// the index).
    Usable,
    /// Yes, for certificates of another issuer: the CRL parsed, to look their entries up.
    UsableParsed(Arc<Crl>),
}

impl std::fmt::Debug for CrlChecker<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CrlChecker").finish_non_exhaustive()
    }
}

/// Where a CRL's entry for the certificate is looked up.
enum Lookup {
    /// The CRL's serial index, or the store when the CRL is not indexed (a CRL of the
    /// certificate's issuer).
    Store,
    /// The parsed CRL (an indirect CRL of another entity).
    Parsed(Arc<Crl>),
}

/// One applicable CRL with its parsed scope and the reasons it covers for the certificate.
struct Applicable {
    record: CrlRecord,
    reasons: ReasonMask,
    lookup: Lookup,
}

impl Applicable {
    /// Whether two CRLs are of the same issuer and scope (one is the other's successor).
    fn same_source(&self, other: &Applicable) -> bool {
        self.record.scope == other.record.scope
            && names_match(&self.record.issuer_der, &other.record.issuer_der)
    }
}

fn earliest(a: Option<SystemTime>, b: Option<SystemTime>) -> Option<SystemTime> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, None) => x,
        (None, y) => y,
    }
}

/// Keys whose ids [`key_id_of`] remembers, per thread.
const RECENT_KEY_IDS: usize = 8;

/// The key id of `cert`'s public key (SHA-256 of its SubjectPublicKeyInfo), remembered for
/// the last few keys this thread asked for: the issuers of a gateway's correspondents are few,
/// and hashing the issuer's key was a sixth of a revocation lookup.
fn key_id_of(cert: &Certificate) -> KeyId {
    thread_local! {
        static RECENT: RefCell<Vec<(Vec<u8>, KeyId)>> = const { RefCell::new(Vec::new()) };
    }
    let spki = cert.public_key_der();
    RECENT.with(|recent| {
        let mut recent = recent.borrow_mut();
        if let Some((_, id)) = recent.iter().find(|(k, _)| k.as_slice() == spki) {
            return *id;
        }
        let id = KeyId::of_public_key_der(spki);
        if recent.len() >= RECENT_KEY_IDS {
            recent.remove(0);
        }
        recent.push((spki.to_vec(), id));
        id
    })
}

/// Candidate CRL signers of another key tried per CRL.
const MAX_SEPARATE_SIGNERS: usize = 4;

/// cRLIssuer names looked up per certificate.
const MAX_CRL_ISSUERS: usize = 8;

impl<'a> CrlChecker<'a> {
    /// A checker over the CRLs of the store `tx` reads.
    pub fn new(tx: &'a dyn ReadTransaction) -> Self {
        CrlChecker {
            tx,
            indexes: IndexCache::global(),
            extra: &[],
            nested: false,
            judged: RefCell::new(HashMap::new()),
            allow_sha1: false,
        }
    }

    /// Whether CRLs signed with SHA-1 are used (default `false`: such a CRL is not used, as
    /// if absent). [`Validator::validate`] sets it from
    /// [`ValidationOptions::allow_sha1`](crate::trust::ValidationOptions::allow_sha1).
    pub fn allow_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }

    /// Uses `cache` for the CRLs' serial indexes instead of the process's.
    #[cfg(test)]
    pub(crate) fn index_cache(mut self, cache: &'a IndexCache) -> Self {
        self.indexes = cache;
        self
    }

    /// Certificates besides the store's that may have signed a CRL (those a message
    /// carries); they still have to validate to a trust anchor.
    pub fn certificates(mut self, certs: &'a [Certificate]) -> Self {
        self.extra = certs;
        self
    }

    /// The stored CRLs that may serve `cert`: those whose issuer is `cert`'s issuer (looked
    /// up by the certificate's issuer name and by the issuer certificate's subject), and those
    /// of the cRLIssuer names of its distribution points; matched as RFC 5280 7.1 says.
    fn records(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        dps: &[CertDp],
    ) -> Result<Vec<CrlRecord>> {
        let mut out = self.tx.crls_by_issuer(cert.issuer_der())?;
        if issuer.subject_der() != cert.issuer_der() {
            for r in self.tx.crls_by_issuer(issuer.subject_der())? {
                if !out.iter().any(|o| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        out.retain(|r| names_match(&r.issuer_der, cert.issuer_der()));
        let mut names: Vec<&[u8]> = Vec::new();
        for name in dps.iter().flat_map(CertDp::crl_issuer_names) {
            if !names.contains(&name) && names.len() < MAX_CRL_ISSUERS {
                names.push(name);
            }
        }
        for name in names {
            for r in self.tx.crls_by_issuer(name)? {
                if names_match(&r.issuer_der, name) && !out.iter().any(|o| o.id == r.id) {
                    out.push(r);
                }
            }
        }
        Ok(out)
    }

    /// Whether a CRL may be used: for the certificates of `issuer` (the issuer on the path)
    /// when `issuer` is given, else (an indirect CRL of another entity) when a certificate of
    /// its signer validates, with the CRL parsed. Judged once per checker.
    fn usable(
        &self,
        record: &CrlRecord,
        issuer: Option<&Certificate>,
        at: SystemTime,
    ) -> Result<Judgement> {
        let key = issuer.map(key_id_of);
        if let Some(known) = self.judged.borrow().get(&(record.id, key)) {
            return Ok(known.clone());
        }
        let verdict = match (self.judge(record, issuer, at)?, issuer) {
            (None, _) => Judgement::Unusable,
            // The issuer's own entries are indexed: the parsed CRL is not kept.
            (Some(_), Some(_)) => Judgement::Usable,
            (Some(crl), None) => Judgement::UsableParsed(Arc::new(crl)),
        };
        self.judged
            .borrow_mut()
            .insert((record.id, key), verdict.clone());
        Ok(verdict)
    }

    /// For an issuer whose DSA key inherits its domain parameters (RFC 3279 2.3.2): the
    /// parameters of a certificate (the store's or given) whose key signed that issuer.
    fn inherited_dsa_parameters(&self, issuer: &Certificate) -> Result<Option<Vec<u8>>> {
        if !matches!(
            issuer.key_algorithm(),
            crate::cert::KeyAlgorithm::Dsa { bits: None }
        ) {
            return Ok(None);
        }
        let mut above = self.tx.certificates_by_subject(issuer.issuer_der())?;
        above.extend(self.tx.roots_by_subject(issuer.issuer_der())?);
        above.extend(
            self.extra
                .iter()
                .filter(|c| names_match(c.subject_der(), issuer.issuer_der()))
                .cloned(),
        );
        Ok(above
            .iter()
            .take(MAX_SEPARATE_SIGNERS)
            .filter(|c| issuer.verify_issued_by(c).is_ok())
            .find_map(|c| c.dsa_parameters().map(<[u8]>::to_vec)))
    }

    fn judge(
        &self,
        record: &CrlRecord,
        issuer: Option<&Certificate>,
        at: SystemTime,
    ) -> Result<Option<Crl>> {
        let Some(der) = self.tx.crl_der(record.id)? else {
            return Ok(None);
        };
        let Ok(crl) = Crl::from_der(&der) else {
            return Ok(None);
        };
        if intrinsic_problem(&crl, at).is_some() {
            return Ok(None);
        }
        if !self.allow_sha1 && signs_with_sha1(&crl.signature_algorithm().oid) {
            return Ok(None);
        }
        let may_sign_crls = |c: &Certificate| c.key_usage().is_none_or(|ku| ku.crl_sign);
        if let Some(issuer) = issuer
            && is_pending(record)
            && crl
                .verify_signature_with_params(
                    issuer.public_key_der(),
                    self.inherited_dsa_parameters(issuer)?.as_deref(),
                )
                .is_ok()
        {
            return Ok(may_sign_crls(issuer).then_some(crl));
        }
        if self.nested {
            return Ok(None);
        }
        // Separate certificate and CRL keys, or another entity's indirect CRL: a certificate
        // of the CRL issuer's name.
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
            if issuer.is_some_and(|i| signer.public_key_der() == i.public_key_der())
                || !may_sign_crls(&signer)
            {
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
                indexes: self.indexes,
                extra: self.extra,
                nested: true,
                judged: RefCell::new(HashMap::new()),
                allow_sha1: self.allow_sha1,
            };
            let options = ValidationOptions::new(at, LeafPolicy::Any).allow_sha1(self.allow_sha1);
            let v = Validator::new(self.tx)
                .intermediates(self.extra.iter().cloned())
                .revocation(&inner)
                .validate(&signer, &options)?;
            if v.is_valid() {
                return Ok(Some(crl));
            }
        }
        Ok(None)
    }

    /// The usable CRLs that serve one of `dps` (the certificate's distribution points and the
    /// one RFC 5280 assumes for its issuer) and whose scope covers `cert`: (complete CRLs,
    /// delta CRLs), each with the reasons it covers.
    fn applicable(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        dps: &[CertDp],
        at: SystemTime,
    ) -> Result<(Vec<Applicable>, Vec<Applicable>)> {
        let key = key_id_of(issuer);
        let mut complete = Vec::new();
        let mut delta = Vec::new();
        for record in self.records(cert, issuer, dps)? {
            if !record.status.is_valid() {
                continue;
            }
            // A stored CRL's scope parsed at import; unreadable now means a damaged record,
            // which must not be trusted to say anything.
            let Ok(scope) = Scope::from_der(&record.scope) else {
                continue;
            };
            if !scope.covers(cert.is_ca()) {
                continue;
            }
            let reasons = reasons_served(&scope, &record.issuer_der, cert, dps);
            if reasons.is_empty() {
                continue;
            }
            let lookup = if names_match(&record.issuer_der, cert.issuer_der()) {
                if record.signer_key != Some(key)
                    && matches!(self.usable(&record, Some(issuer), at)?, Judgement::Unusable)
                {
                    continue;
                }
                Lookup::Store
            } else {
                match self.usable(&record, None, at)? {
                    Judgement::UsableParsed(crl) => Lookup::Parsed(crl),
                    Judgement::Unusable | Judgement::Usable => continue,
                }
            };
            let a = Applicable {
                record,
                reasons,
                lookup,
            };
            if a.record.delta_base.is_some() {
                delta.push(a);
            } else {
                complete.push(a);
            }
        }
        Ok((complete, delta))
    }

    /// The entry for `cert` on an applicable CRL, if listed.
    fn entry(&self, a: &Applicable, cert: &Certificate) -> Result<Option<RevokedEntry>> {
        match &a.lookup {
            Lookup::Store => match self.indexes.index(self.tx, &a.record)? {
                Some(index) => Ok(index.get(cert.serial())),
                None => self.tx.crl_entry(a.record.id, cert.serial()),
            },
            Lookup::Parsed(crl) => Ok(crl.entry_of(cert.issuer_der(), cert.serial())),
        }
    }
}

/// The reasons a CRL of `crl_issuer` with `scope` covers for `cert` (RFC 5280 6.3.3 (b), (d)):
/// over the distribution points it serves, its onlySomeReasons (every reason if absent)
/// intersected with the point's reasons (every reason if absent). Empty when it serves none.
fn reasons_served(
    scope: &Scope,
    crl_issuer: &[u8],
    cert: &Certificate,
    dps: &[CertDp],
) -> ReasonMask {
    let own = ReasonMask::of_optional(scope.only_some_reasons.as_deref());
    dps.iter()
        .filter(|dp| dp.served_by_issuer(crl_issuer, scope.indirect, cert.issuer_der()))
        .filter(|dp| {
            dp.named_by(
                scope.distribution_point.as_ref(),
                crl_issuer,
                cert.issuer_der(),
            )
        })
        .fold(ReasonMask::NONE, |m, dp| {
            m.union(own.intersection(dp.reasons.unwrap_or(ReasonMask::ALL)))
        })
}

/// Whether `entry` makes the certificate revoked at `at`.
fn revoked_at(entry: &RevokedEntry, at: SystemTime) -> bool {
    let reason = entry.reason.and_then(RevocationReason::from_code);
    entry.date <= at || reason.is_none_or(RevocationReason::is_compromise)
}

/// The [`StoreRevocation`](crate::revocation::StoreRevocation) of a [`Validator`] over a
/// store: the store's [`CrlChecker`], with the validator's intermediates as extra CRL signers.
fn store_crls<'t>(
    tx: &'t dyn ReadTransaction,
    certificates: &'t [Certificate],
    allow_sha1: bool,
) -> Box<dyn RevocationChecker + 't> {
    Box::new(
        CrlChecker::new(tx)
            .certificates(certificates)
            .allow_sha1(allow_sha1),
    )
}

// The trust engine's store constructor lives here, above `trust`, because its default
// checker is the store's CRLs (see `crate::revocation`).
impl<'a> Validator<'a> {
    /// A validator over a store: its root store gives the anchors, its certificate store the
    /// intermediates, its trust list the white- and blacklist, its CRL store the revocation
    /// status ([`CrlChecker`]; another checker given with
    /// [`revocation`](Validator::revocation) replaces it).
    pub fn new(tx: &'a dyn ReadTransaction) -> Self {
        Validator::over_store(tx, store_crls)
    }
}

impl RevocationChecker for CrlChecker<'_> {
    fn status(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> Result<RevocationStatus> {
        let mut dps = distribution_points(cert);
        dps.push(CertDp::of_issuer(cert));
        let (mut complete, delta) = self.applicable(cert, issuer, &dps, at)?;
        if complete.is_empty() {
            return Ok(RevocationStatus::Unknown);
        }
        // Newest first: the newest complete CRL of each issuer and scope is the one that
        // counts.
        complete.sort_by(|a, b| newer(&b.record, &a.record));
        let mut used: Vec<&Applicable> = Vec::new();
        for c in &complete {
            if !used.iter().any(|u| u.same_source(c)) {
                used.push(c);
            }
        }
        let mut reasons = ReasonMask::NONE;
        let mut next_update = None;
        for c in used {
            reasons = reasons.union(c.reasons);
            next_update = earliest(next_update, c.record.next_update);
            let listed = self.entry(c, cert)?;
            // The newest delta CRL based on this CRL (or an older base) and newer than it.
            let number = c.record.number.as_deref();
            let base_delta = delta
                .iter()
                .filter(|d| d.same_source(c))
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
                if let Some(e) = self.entry(d, cert)? {
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
        Ok(if reasons.is_all() {
            RevocationStatus::Good { next_update }
        } else {
            RevocationStatus::Unknown
        })
    }
}
