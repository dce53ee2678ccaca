//! [`Validator`]: chain building and path validation.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::budget::Exhausted;
use super::cache;
use super::names::{
    self, NameConstraints, SubjectNames, matches_dns_name, matches_ip, names_match, subject_names,
};
use super::profile::{self, Position};
use super::{
    Budget, LeafPolicy, NoRevocationInfo, Reason, RevocationChecker, RevocationStatus, Validation,
    ValidationOptions, Warning,
};
use crate::cert::signature::signs_with_sha1;
use crate::cert::{Certificate, Eku, KeyAlgorithm, Thumbprint, oid};
use crate::error::Result;
use crate::revocation::StoreRevocation;
use crate::store::{CtlEntry, CtlStatus, ReadTransaction};

static NO_REVOCATION: NoRevocationInfo = NoRevocationInfo;

/// Extensions path validation processes; any other extension marked critical fails.
const UNDERSTOOD_CRITICAL: &[der::asn1::ObjectIdentifier] = &[
    oid::CE_BASIC_CONSTRAINTS,
    oid::CE_KEY_USAGE,
    oid::CE_EXT_KEY_USAGE,
    oid::CE_SUBJECT_ALT_NAME,
    oid::CE_NAME_CONSTRAINTS,
    oid::CE_CERTIFICATE_POLICIES,
    oid::CE_POLICY_MAPPINGS,
    oid::CE_POLICY_CONSTRAINTS,
    oid::CE_INHIBIT_ANY_POLICY,
];

/// Validates certificates against trust anchors: those of a store's root store and any given
/// with [`anchors`](Self::anchors), through the store's certificates and any intermediates
/// given with [`intermediates`](Self::intermediates) (e.g. those carried in a signed message).
///
/// [`Validator::new`] (a validator over a store, checking the store's CRLs) is defined in
/// [`crate::crl`], which sits above this module: see [`crate::revocation`] for the wiring.
pub struct Validator<'a> {
    tx: Option<&'a dyn ReadTransaction>,
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    revocation: Option<&'a dyn RevocationChecker>,
    /// Makes the store's checker when no checker is given (set with a store).
    store_revocation: Option<StoreRevocation>,
}

impl std::fmt::Debug for Validator<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Validator")
            .field("store", &self.tx.is_some())
            .field("anchors", &self.anchors.len())
            .field("intermediates", &self.intermediates.len())
            .finish_non_exhaustive()
    }
}

/// An issuer candidate.
struct Candidate {
    cert: Certificate,
    anchor: bool,
}

/// Trust list entries read during one validation: each certificate's is read from the store
/// once per validation (it is asked about in path building and again in path validation).
#[derive(Default)]
struct CtlMemo(RefCell<HashMap<Thumbprint, Option<CtlEntry>>>);

/// State of one search.
struct Search<'o> {
    options: &'o ValidationOptions,
    ctl: &'o CtlMemo,
    /// Asked about every certificate below the anchor; one for the whole search, so what it
    /// learns (a pending CRL judged against an issuer) serves every candidate chain.
    revocation: &'o dyn RevocationChecker,
    budget: Budget,
    /// Reasons of the most specific complete chain that failed validation.
    best: Option<Vec<Reason>>,
    /// Links refused on the way (bad signatures), reported when no chain completes.
    links: Vec<Reason>,
    /// Subject of the deepest certificate reached without an issuer.
    dead_end: Option<String>,
    /// A blacklisted issuer met on the way (kills a whitelisted end certificate too).
    blacklisted_issuer: Option<Reason>,
    too_long: bool,
}

/// A valid chain with its warnings, or the reasons it is not valid.
type PathResult = std::result::Result<Vec<Warning>, Vec<Reason>>;

enum Stop {
    Found(Vec<Certificate>, Vec<Warning>),
    Budget(&'static str),
}

impl<'a> Validator<'a> {
    /// A validator over a store whose revocation information `store_revocation` reaches
    /// (unless a checker is given with [`revocation`](Self::revocation)). The public
    /// constructor is [`Validator::new`], with the store's CRLs.
    pub(crate) fn over_store(
        tx: &'a dyn ReadTransaction,
        store_revocation: StoreRevocation,
    ) -> Self {
        Validator {
            tx: Some(tx),
            anchors: Vec::new(),
            intermediates: Vec::new(),
            revocation: None,
            store_revocation: Some(store_revocation),
        }
    }

    /// A validator without a store: only the anchors and intermediates given (no trust list,
    /// no revocation information unless a checker is given).
    pub fn without_store() -> Self {
        Validator {
            tx: None,
            anchors: Vec::new(),
            intermediates: Vec::new(),
            revocation: None,
            store_revocation: None,
        }
    }

    /// Adds trust anchors (besides the store's roots).
    pub fn anchors(mut self, certs: impl IntoIterator<Item = Certificate>) -> Self {
        self.anchors.extend(certs);
        self
    }

    /// Adds intermediates to build chains through (besides the store's certificates).
    pub fn intermediates(mut self, certs: impl IntoIterator<Item = Certificate>) -> Self {
        self.intermediates.extend(certs);
        self
    }

    /// The revocation checker asked about every certificate of a chain below the anchor
    /// (default: the store's CRLs; none without a store). [`NoRevocationInfo`] turns
    /// revocation checking off.
    pub fn revocation(mut self, checker: &'a dyn RevocationChecker) -> Self {
        self.revocation = Some(checker);
        self
    }

    /// Whether revocation is looked up at all (a store, or a checker other than
    /// [`NoRevocationInfo`]); without it a missing CRL is not worth a warning.
    fn checks_revocation(&self) -> bool {
        match self.revocation {
            Some(c) => c.looks_up_revocation(),
            None => self.store_revocation.is_some(),
        }
    }

    /// The checker for this search: the one given, else the store's CRLs (with the
    /// intermediates given, for separate CRL signers, and the SHA-1 option), else none.
    fn store_checker(&self, allow_sha1: bool) -> Option<Box<dyn RevocationChecker + '_>> {
        match (self.revocation, self.tx, self.store_revocation) {
            (None, Some(tx), Some(make)) => Some(make(tx, &self.intermediates, allow_sha1)),
            _ => None,
        }
    }

    /// Validates `leaf` with `options`. `Err` only when the store fails; an invalid
    /// certificate is `Ok(Validation::Invalid { .. })`.
    pub fn validate(&self, leaf: &Certificate, options: &ValidationOptions) -> Result<Validation> {
        let memo = CtlMemo::default();
        let leaf_entry = self.ctl(leaf.thumbprint(), &memo)?;
        if let Some(e) = leaf_entry
            && e.status == CtlStatus::Blacklisted
        {
            return Ok(Validation::Invalid {
                reasons: vec![Reason::Blacklisted {
                    subject: leaf.subject().to_string(),
                    thumbprint: *leaf.thumbprint(),
                    inherited: false,
                }],
            });
        }
        let store_checker = self.store_checker(options.sha1_allowed());
        let revocation: &dyn RevocationChecker = match (self.revocation, &store_checker) {
            (Some(checker), _) => checker,
            (None, Some(checker)) => checker.as_ref(),
            (None, None) => &NO_REVOCATION,
        };
        let mut search = Search {
            options,
            ctl: &memo,
            revocation,
            budget: options.budget,
            best: None,
            links: Vec::new(),
            dead_end: None,
            blacklisted_issuer: None,
            too_long: false,
        };
        let outcome = if self.is_anchor(leaf)? {
            match self.check_path(
                std::slice::from_ref(leaf),
                options,
                revocation,
                &mut search.budget,
                &memo,
            )? {
                Ok(warnings) => Ok(Some((vec![leaf.clone()], warnings))),
                Err(r) => {
                    search.best = Some(r);
                    Ok(None)
                }
            }
        } else {
            let mut path = vec![leaf.clone()];
            let mut seen = HashSet::new();
            seen.insert(identity(leaf));
            match self.extend(&mut path, &mut seen, &mut search)? {
                Some(Stop::Found(chain, warnings)) => Ok(Some((chain, warnings))),
                Some(Stop::Budget(what)) => Err(Reason::BudgetExceeded { what }),
                None => Ok(None),
            }
        };
        let chain = match outcome {
            Ok(Some((chain, warnings))) => return Ok(Validation::Valid { chain, warnings }),
            Ok(None) => None,
            Err(budget) => Some(budget),
        };
        // No valid chain: a whitelisted end-user certificate is valid on its own.
        if let Some(entry) = leaf_entry
            && entry.status == CtlStatus::Whitelisted
            && !leaf.is_ca()
        {
            if let Some(b) = search.blacklisted_issuer.take() {
                return Ok(Validation::Invalid { reasons: vec![b] });
            }
            let mut reasons = Vec::new();
            check_time(leaf, options, entry.allow_expired, &mut reasons);
            check_leaf(leaf, options, &mut reasons);
            if reasons.is_empty() {
                return Ok(Validation::Valid {
                    chain: vec![leaf.clone()],
                    warnings: Vec::new(),
                });
            }
            return Ok(Validation::Invalid { reasons });
        }
        let reasons = match (chain, search.best) {
            (Some(budget), _) => vec![budget],
            (None, Some(best)) => best,
            (None, None) => {
                let mut r = search.links;
                if let Some(b) = search.blacklisted_issuer {
                    r.insert(0, b);
                }
                if search.too_long {
                    r.push(Reason::ChainTooLong {
                        max: options.max_intermediates,
                    });
                }
                if r.is_empty() || search.dead_end.is_some() {
                    r.push(Reason::NoPathToTrustAnchor {
                        last: search
                            .dead_end
                            .unwrap_or_else(|| leaf.subject().to_string()),
                    });
                }
                r
            }
        };
        Ok(Validation::Invalid { reasons })
    }

    /// The issuer of a trust anchor that is not self-issued, if the store has a certificate
    /// whose key signed it (at most a few candidates are tried).
    fn anchor_issuer(&self, anchor: &Certificate) -> Result<Option<Certificate>> {
        let Some(tx) = self.tx else {
            return Ok(None);
        };
        if is_self_issued(anchor) {
            return Ok(None);
        }
        let caches = cache::caches();
        let candidates =
            tx.issuer_candidates(anchor.issuer_der(), &|t, der| caches.parse_stored(t, der))?;
        Ok(candidates
            .into_iter()
            .map(|(c, _)| c)
            .take(4)
            .find(|c| caches.verify_issued_by(anchor, c).is_ok()))
    }

    fn ctl(&self, t: &Thumbprint, memo: &CtlMemo) -> Result<Option<CtlEntry>> {
        let Some(tx) = self.tx else {
            return Ok(None);
        };
        if let Some(known) = memo.0.borrow().get(t) {
            return Ok(*known);
        }
        let entry = tx.ctl_entry(t)?;
        memo.0.borrow_mut().insert(*t, entry);
        Ok(entry)
    }

    fn is_anchor(&self, cert: &Certificate) -> Result<bool> {
        if self
            .anchors
            .iter()
            .any(|a| a.thumbprint() == cert.thumbprint())
        {
            return Ok(true);
        }
        match self.tx {
            Some(tx) => tx.is_root(cert.thumbprint()),
            None => Ok(false),
        }
    }

    /// Issuer candidates of `cert`, best first: anchors, then a key identifier match, then
    /// those valid at the validation time, then the later notAfter.
    fn candidates(
        &self,
        cert: &Certificate,
        options: &ValidationOptions,
    ) -> Result<Vec<Candidate>> {
        let name = cert.issuer_der();
        let mut out: Vec<Candidate> = Vec::new();
        let mut seen = HashSet::new();
        let mut push = |c: Certificate, anchor: bool, out: &mut Vec<Candidate>| {
            if seen.insert(*c.thumbprint()) {
                out.push(Candidate { cert: c, anchor });
            }
        };
        // RFC 5280 7.1: the given anchors and intermediates (a message's certificates) match
        // after name normalisation; the store is looked up by the exact encoding.
        for a in self
            .anchors
            .iter()
            .filter(|a| names_match(a.subject_der(), name))
        {
            push(a.clone(), true, &mut out);
        }
        if let Some(tx) = self.tx {
            let caches = cache::caches();
            for (c, anchor) in tx.issuer_candidates(name, &|t, der| caches.parse_stored(t, der))? {
                push(c, anchor, &mut out);
            }
        }
        for c in self
            .intermediates
            .iter()
            .filter(|c| names_match(c.subject_der(), name))
        {
            push(c.clone(), false, &mut out);
        }
        let aki = cert.authority_key_id();
        let at = options.at;
        out.sort_by_key(|c| {
            let id_match = match (aki, c.cert.subject_key_id()) {
                (Some(a), Some(s)) => a == s,
                (Some(_), None) => false,
                (None, _) => true,
            };
            (
                !c.anchor,
                !id_match,
                !c.cert.is_valid_at(at),
                std::cmp::Reverse(c.cert.not_after()),
            )
        });
        Ok(out)
    }

    /// Depth-first extension of `path` (leaf first) towards an anchor.
    fn extend(
        &self,
        path: &mut Vec<Certificate>,
        seen: &mut HashSet<(Vec<u8>, Vec<u8>)>,
        search: &mut Search<'_>,
    ) -> Result<Option<Stop>> {
        let Some(current) = path.last().cloned() else {
            return Ok(None);
        };
        let candidates = self.candidates(&current, search.options)?;
        if candidates.is_empty() {
            search
                .dead_end
                .get_or_insert_with(|| current.subject().to_string());
            return Ok(None);
        }
        for cand in candidates {
            if let Err(Exhausted(what)) = search.budget.consume_candidate() {
                return Ok(Some(Stop::Budget(what)));
            }
            let id = identity(&cand.cert);
            if seen.contains(&id)
                || path
                    .iter()
                    .any(|p| p.thumbprint() == cand.cert.thumbprint())
            {
                continue; // a loop
            }
            if let Err(Exhausted(what)) = search.budget.consume_signature() {
                return Ok(Some(Stop::Budget(what)));
            }
            // A DSA issuer key that inherits its parameters (RFC 3279 2.3.2) can only be
            // checked once the certificate above it is on the path: `check_path` does it.
            if !inherits_dsa_parameters(&cand.cert)
                && let Err(e) = cache::caches().verify_issued_by(&current, &cand.cert)
            {
                search.links.push(signature_reason(&current, &e));
                continue;
            }
            if let Some(e) = self.ctl(cand.cert.thumbprint(), search.ctl)?
                && e.status == CtlStatus::Blacklisted
            {
                search
                    .blacklisted_issuer
                    .get_or_insert(Reason::Blacklisted {
                        subject: cand.cert.subject().to_string(),
                        thumbprint: *cand.cert.thumbprint(),
                        inherited: true,
                    });
            }
            path.push(cand.cert.clone());
            if cand.anchor {
                match self.check_path(
                    path,
                    search.options,
                    search.revocation,
                    &mut search.budget,
                    search.ctl,
                )? {
                    Ok(warnings) => return Ok(Some(Stop::Found(path.clone(), warnings))),
                    Err(reasons) => {
                        // Of several complete chains that fail, report the one whose reasons
                        // are the most specific (rustls-webpki's `most_specific`).
                        let better = search
                            .best
                            .as_ref()
                            .is_none_or(|b| Reason::rank_of(&reasons) > Reason::rank_of(b));
                        if better {
                            search.best = Some(reasons);
                        }
                    }
                }
            } else if path[1..].iter().filter(|c| !is_self_issued(c)).count()
                > search.options.max_intermediates
            {
                search.too_long = true;
            } else {
                seen.insert(id.clone());
                let found = self.extend(path, seen, search)?;
                seen.remove(&id);
                if found.is_some() {
                    return Ok(found);
                }
            }
            path.pop();
        }
        Ok(None)
    }

    /// Validates one complete chain (leaf first, anchor last). `Ok(Err(reasons))` when invalid.
    fn check_path(
        &self,
        path: &[Certificate],
        options: &ValidationOptions,
        revocation: &dyn RevocationChecker,
        budget: &mut Budget,
        ctl: &CtlMemo,
    ) -> Result<PathResult> {
        let mut reasons = Vec::new();
        let mut warnings = Vec::new();
        let last = path.len() - 1;
        for (i, cert) in path.iter().enumerate() {
            let is_anchor = i == last;
            if !is_anchor || options.check_anchor_validity {
                check_time(cert, options, false, &mut reasons);
            }
            check_key(cert, options, &mut reasons);
            check_critical(cert, &mut reasons);
            let alg = &cert.x509().signature_algorithm().oid;
            if !is_anchor && !options.sha1_allowed() && signs_with_sha1(alg) {
                reasons.push(Reason::WeakAlgorithm {
                    subject: cert.subject().to_string(),
                    detail: format!(
                        "signed with SHA-1 ({alg}): collisions can be made, so the signature \
                         proves little (the allow-sha1 setting accepts it for old mail)"
                    ),
                });
            }
            let position = Position {
                leaf: i == 0,
                anchor: is_anchor,
                smime_leaf: options.leaf.is_smime(),
            };
            for rule in profile::check(cert, position) {
                let subject = cert.subject().to_string();
                if options.strict {
                    reasons.push(Reason::Profile { subject, rule });
                } else {
                    warnings.push(Warning::Profile { subject, rule });
                }
            }
            if is_anchor
                && i > 0
                && is_self_issued(cert)
                && matches!(options.leaf, LeafPolicy::TlsServer(_))
            {
                check_tls_root(cert, &mut reasons);
            }
            if i > 0 {
                check_issuer(path, i, options, &mut reasons);
            }
            // The signature deferred by chain building: the issuer's DSA key takes its
            // parameters from the nearest DSA key above it on this path.
            if let Some(issuer) = path.get(i + 1)
                && inherits_dsa_parameters(issuer)
            {
                let inherited = path[i + 2..].iter().find_map(Certificate::dsa_parameters);
                if let Err(e) = cert.verify_issued_by_with_params(issuer, inherited) {
                    reasons.push(signature_reason(cert, &e));
                }
            }
            if let Some(e) = self.ctl(cert.thumbprint(), ctl)?
                && e.status == CtlStatus::Blacklisted
            {
                reasons.push(Reason::Blacklisted {
                    subject: cert.subject().to_string(),
                    thumbprint: *cert.thumbprint(),
                    inherited: i > 0,
                });
            }
            let issuer = if is_anchor {
                // An anchor that is not self-issued (a store CA's intermediate is a trust
                // anchor too) is still revoked by its issuer's CRL when that issuer is known.
                self.anchor_issuer(cert)?.map(|issuer| (issuer, true))
            } else {
                Some((path[i + 1].clone(), false))
            };
            if let Some((issuer, for_anchor)) = issuer {
                let subject = || cert.subject().to_string();
                match revocation.status(cert, &issuer, options.at)? {
                    RevocationStatus::Revoked { reason, date } => {
                        reasons.push(Reason::Revoked {
                            subject: subject(),
                            reason,
                            date,
                        });
                    }
                    RevocationStatus::Good {
                        next_update: Some(next_update),
                    } if next_update < options.at => {
                        if options.rejects_stale_crls() {
                            reasons.push(Reason::StaleCrl {
                                subject: subject(),
                                next_update,
                            });
                        } else {
                            warnings.push(Warning::StaleCrl {
                                subject: subject(),
                                next_update,
                            });
                        }
                    }
                    RevocationStatus::Good { .. } => {}
                    RevocationStatus::Unknown if !for_anchor => {
                        if options.requires_revocation_info() {
                            reasons.push(Reason::NoRevocationInfo { subject: subject() });
                        } else if self.checks_revocation() {
                            warnings.push(Warning::NoRevocationInfo { subject: subject() });
                        }
                    }
                    RevocationStatus::Unknown => {}
                }
            }
        }
        check_name_constraints(path, budget, &mut reasons);
        let below_anchor: Vec<Certificate> = path[..last].iter().rev().cloned().collect();
        if let Some(Err(e)) = (!below_anchor.is_empty())
            .then(|| super::policy::process_path(&below_anchor, &options.policies))
        {
            reasons.push(Reason::Policy {
                detail: e.to_string(),
            });
        }
        if let Some(leaf) = path.first() {
            check_leaf(leaf, options, &mut reasons);
        }
        Ok(if reasons.is_empty() {
            Ok(warnings)
        } else {
            Err(reasons)
        })
    }
}

/// A DSA public key without domain parameters: they come from the issuer's key.
fn inherits_dsa_parameters(cert: &Certificate) -> bool {
    matches!(cert.key_algorithm(), KeyAlgorithm::Dsa { bits: None })
}

/// The reason a signature on `cert` failed: weak algorithm, or does not verify.
fn signature_reason(cert: &Certificate, e: &crate::Error) -> Reason {
    let subject = cert.subject().to_string();
    if e.kind() == crate::ErrorKind::Weak {
        Reason::WeakAlgorithm {
            subject,
            detail: e.to_string(),
        }
    } else {
        Reason::BadSignature {
            subject,
            detail: e.to_string(),
        }
    }
}

/// Every CA's name constraints (anchors' included) applied to every certificate below it,
/// self-issued intermediates excepted (RFC 5280 6.1.3 (b), (c)).
fn check_name_constraints(path: &[Certificate], budget: &mut Budget, r: &mut Vec<Reason>) {
    let mut names_of: Vec<Option<std::result::Result<SubjectNames, String>>> =
        (0..path.len()).map(|_| None).collect();
    for (i, ca) in path.iter().enumerate().skip(1) {
        let constraints = match NameConstraints::from_certificate(ca) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                r.push(Reason::Malformed {
                    subject: ca.subject().to_string(),
                    detail: e.to_string(),
                });
                continue;
            }
        };
        for (j, cert) in path.iter().enumerate().take(i) {
            if j > 0 && is_self_issued(cert) {
                continue;
            }
            let n =
                names_of[j].get_or_insert_with(|| subject_names(cert).map_err(|e| e.to_string()));
            if let Ok(n) = n
                && let Err(Exhausted(what)) =
                    budget.consume_name_comparisons(names::comparisons(&constraints, n))
            {
                r.push(Reason::BudgetExceeded { what });
                return;
            }
            let result = match n {
                Ok(n) => names::check(&constraints, n).map_err(|v| v.message(ca.subject())),
                Err(e) => Err(e.clone()),
            };
            if let Err(e) = result {
                r.push(Reason::NameConstraints {
                    detail: format!("\"{}\": {e}", cert.subject()),
                });
                return;
            }
        }
    }
}

/// What identifies a CA for loop detection: subject and public key (a re-signed or
/// cross-signed copy of a certificate already on the path is the same CA).
fn identity(cert: &Certificate) -> (Vec<u8>, Vec<u8>) {
    (cert.subject_der().to_vec(), cert.public_key_der().to_vec())
}

fn check_time(cert: &Certificate, o: &ValidationOptions, allow_expired: bool, r: &mut Vec<Reason>) {
    if o.at < cert.not_before() {
        r.push(Reason::NotYetValid {
            subject: cert.subject().to_string(),
            not_before: cert.not_before(),
        });
    }
    if o.at > cert.not_after() && !allow_expired {
        r.push(Reason::Expired {
            subject: cert.subject().to_string(),
            not_after: cert.not_after(),
        });
    }
}

fn check_key(cert: &Certificate, o: &ValidationOptions, r: &mut Vec<Reason>) {
    let weak = |detail: String| Reason::WeakKey {
        subject: cert.subject().to_string(),
        detail,
    };
    match cert.key_algorithm() {
        KeyAlgorithm::Rsa { bits } if bits < o.min_rsa_bits => r.push(weak(format!(
            "RSA {bits} bits, at least {} needed",
            o.min_rsa_bits
        ))),
        KeyAlgorithm::Rsa { bits } if bits % 8 != 0 => r.push(weak(format!(
            "RSA modulus of {bits} bits is not a whole number of bytes"
        ))),
        KeyAlgorithm::Dsa { bits: Some(bits) } if bits < 1024 => {
            r.push(weak(format!("DSA {bits} bits, at least 1024 needed")))
        }
        // CA/Browser Forum Baseline Requirements 6.1.5: RSA and ECDSA keys only for TLS.
        KeyAlgorithm::Dsa { .. } if matches!(o.leaf, LeafPolicy::TlsServer(_)) => r.push(weak(
            "DSA keys are not allowed in TLS server chains (CA/B Forum 6.1.5)".into(),
        )),
        KeyAlgorithm::Other(oid) => r.push(weak(format!("unsupported key algorithm {oid}"))),
        _ => {}
    }
}

fn check_critical(cert: &Certificate, r: &mut Vec<Reason>) {
    let Some(exts) = cert.x509().tbs_certificate().extensions() else {
        return;
    };
    for e in exts.iter().filter(|e| e.critical) {
        if !UNDERSTOOD_CRITICAL.contains(&e.extn_id) {
            r.push(Reason::UnknownCriticalExtension {
                subject: cert.subject().to_string(),
                oid: e.extn_id.to_string(),
            });
        }
    }
}

/// A version 1 certificate (no extensions possible).
pub(crate) fn is_version_1(cert: &Certificate) -> bool {
    cert.x509().tbs_certificate().version() == x509_cert::certificate::Version::V1
}

pub(crate) fn is_self_issued(cert: &Certificate) -> bool {
    cert.subject_der() == cert.issuer_der()
}

/// CA rules for `path[i]`, the issuer of `path[i - 1]`.
fn check_issuer(path: &[Certificate], i: usize, o: &ValidationOptions, r: &mut Vec<Reason>) {
    let ca = &path[i];
    let subject = || ca.subject().to_string();
    // A version 1 trust anchor cannot say it is a CA; trusting it explicitly says so (RFC 5280
    // 6.1: the anchor is a name and a key, its extensions are not path validation's inputs).
    let v1_anchor = i == path.len() - 1 && is_version_1(ca);
    match ca.basic_constraints() {
        _ if v1_anchor => {}
        Some(bc) if bc.ca => {
            if let Some(len) = bc.path_len {
                // Non-self-issued intermediates below this CA (the leaf does not count).
                let below = path[1..i].iter().filter(|c| !is_self_issued(c)).count();
                if below > len as usize {
                    r.push(Reason::PathLengthExceeded {
                        subject: subject(),
                        path_len: len,
                    });
                }
            }
        }
        _ => r.push(Reason::IssuerNotCa { subject: subject() }),
    }
    if let Some(ku) = ca.key_usage()
        && !ku.key_cert_sign
    {
        r.push(Reason::IssuerCannotSignCertificates { subject: subject() });
    }
    if let (Some(required), Some(ekus)) = (&o.required_eku, ca.extended_key_usage())
        && !ekus.iter().any(|e| e == required || *e == Eku::ANY)
    {
        r.push(Reason::ExtendedKeyUsage {
            subject: subject(),
            required: required.to_string(),
        });
    }
}

/// The end certificate's rules: its policy's usage, the required EKU, no CA for a leaf role.
fn check_leaf(leaf: &Certificate, o: &ValidationOptions, r: &mut Vec<Reason>) {
    let subject = || leaf.subject().to_string();
    if let (Some(required), Some(ekus)) = (&o.required_eku, leaf.extended_key_usage())
        && !ekus.iter().any(|e| e == required || *e == Eku::ANY)
    {
        r.push(Reason::ExtendedKeyUsage {
            subject: subject(),
            required: required.to_string(),
        });
    }
    match &o.leaf {
        LeafPolicy::SmimeSigning => {
            if let Err(e) = leaf.usable_for_signing() {
                r.push(Reason::Usage(e));
            }
        }
        LeafPolicy::SmimeEncryption => {
            if let Err(e) = leaf.usable_for_encryption() {
                r.push(Reason::Usage(e));
            }
        }
        LeafPolicy::TlsServer(name) => {
            check_tls_leaf(leaf, r);
            let matched = subject_names(leaf).is_ok_and(|names| match name {
                super::ServerName::Dns(d) => matches_dns_name(&names, d),
                super::ServerName::Ip(ip) => matches_ip(&names, *ip),
            });
            if !matched {
                r.push(Reason::NameMismatch {
                    wanted: name.to_string(),
                });
            }
        }
        LeafPolicy::Any => {}
    }
}

/// The CA/Browser Forum rules a TLS server certificate follows (7.1.2.7): extKeyUsage not
/// critical and without anyExtendedKeyUsage;
/// a subjectAltName not critical when the subject is not empty; a CA certificate in the leaf
/// position has keyCertSign.
fn check_tls_leaf(leaf: &Certificate, r: &mut Vec<Reason>) {
    let subject = || leaf.subject().to_string();
    let tbs = leaf.x509().tbs_certificate();
    let ext = |id: &der::asn1::ObjectIdentifier| {
        tbs.extensions()
            .and_then(|exts| exts.iter().find(|e| e.extn_id == *id))
    };
    if let Some(ekus) = leaf.extended_key_usage()
        && ekus.contains(&Eku::ANY)
    {
        r.push(Reason::Malformed {
            subject: subject(),
            detail: "anyExtendedKeyUsage in a server certificate (CABF 7.1.2.7.10)".into(),
        });
    }
    if ext(&oid::CE_EXT_KEY_USAGE).is_some_and(|e| e.critical) {
        r.push(Reason::Malformed {
            subject: subject(),
            detail: "a critical extKeyUsage in a server certificate (CABF 7.1.2.7.6)".into(),
        });
    }
    if !tbs.subject().is_empty() && ext(&oid::CE_SUBJECT_ALT_NAME).is_some_and(|e| e.critical) {
        r.push(Reason::Malformed {
            subject: subject(),
            detail: "a critical subjectAltName with a non-empty subject (RFC 5280 4.2.1.6)".into(),
        });
    }
    if leaf.is_ca() && leaf.key_usage().is_some_and(|ku| !ku.key_cert_sign) {
        r.push(Reason::LeafIsCa { subject: subject() });
    }
}

/// CA/Browser Forum rules for a root in a TLS chain (7.1.2.1): no extKeyUsage; an
/// authorityKeyIdentifier, if present, with only a keyIdentifier equal to the subject key
/// identifier.
fn check_tls_root(root: &Certificate, r: &mut Vec<Reason>) {
    let mut bad = |detail: &str| {
        r.push(Reason::Malformed {
            subject: root.subject().to_string(),
            detail: detail.to_string(),
        })
    };
    if root.extended_key_usage().is_some() {
        bad("a root with an extKeyUsage extension (CABF 7.1.2.1.2)");
    }
    if let Ok(Some((_, aki))) = root
        .x509()
        .tbs_certificate()
        .get_extension::<x509_cert::ext::pkix::AuthorityKeyIdentifier>()
    {
        if aki.authority_cert_issuer.is_some() || aki.authority_cert_serial_number.is_some() {
            bad("a root authorityKeyIdentifier with issuer or serial fields (CABF 7.1.2.1.3)");
        }
        match (&aki.key_identifier, root.subject_key_id()) {
            (None, _) => {
                bad("a root authorityKeyIdentifier without keyIdentifier (CABF 7.1.2.1.3)")
            }
            (Some(k), Some(ski)) if k.as_bytes() != ski => {
                bad("a root authorityKeyIdentifier that differs from its subjectKeyIdentifier")
            }
            _ => {}
        }
    }
}
