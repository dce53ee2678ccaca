//! [`Crls`]: the CRL store of a [`Store`]: importing (with validation), listing, exporting.

use std::time::{Duration, SystemTime};

use super::cmp_numbers;
use super::index::IndexCache;
use super::parse::Crl;
use crate::cert::Certificate;
use crate::cert::load::{decode_body, scan_pem};
use crate::error::{Error, Result};
use crate::key::KeyId;
use crate::revocation::NoRevocationInfo;
use crate::store::{
    CrlEntries, CrlId, CrlRecord, CrlStatus, NewCrl, ReadTransaction, Store, StoreExt, Transaction,
};
use crate::time::{Clock, to_rfc3339};
use crate::tlv;
use crate::trust::{LeafPolicy, ValidationOptions, Validator};

/// How far in the future a thisUpdate may be (clock skew between the CA and this host).
const CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// Invalid CRLs kept per issuer name (the oldest go first).
const MAX_INVALID_PER_ISSUER: usize = 8;

/// Pending CRLs (issuer not known at import) kept per issuer name (the oldest go first).
const MAX_PENDING_PER_ISSUER: usize = 16;

/// Whether a stored CRL is pending: well formed, stored to be used, but its signature not yet
/// checked against a known issuer (no certificate of its issuer was known at import). It is
/// judged each time it is used, against the issuer on the path being validated.
pub fn is_pending(record: &CrlRecord) -> bool {
    record.status.is_valid() && record.signer_key.is_none()
}

/// The most CRLs read from one input.
const MAX_CRLS_PER_INPUT: usize = 1_000;

/// Reads every CRL in `input`: PEM (`X509 CRL` blocks, text between blocks ignored), or DER
/// (one CRL, or several one after the other). One result per CRL found, in order; an input
/// with nothing that looks like a CRL gives one error.
pub fn parse_crls(input: &[u8]) -> Vec<Result<Crl>> {
    if input.windows(11).any(|w| w == b"-----BEGIN ") {
        let (blocks, truncated) = scan_pem(input, MAX_CRLS_PER_INPUT);
        let mut out: Vec<Result<Crl>> = blocks
            .into_iter()
            .filter_map(|b| match b {
                Ok(b) if b.label == "X509 CRL" => {
                    Some(decode_body(b.body).and_then(|der| Crl::from_der(&der)))
                }
                Ok(_) => None,
                Err(p) => Some(Err(p.error)),
            })
            .collect();
        if truncated {
            out.push(Err(Error::LimitExceeded(format!(
                "more than {MAX_CRLS_PER_INPUT} PEM blocks in one input"
            ))));
        }
        if out.is_empty() {
            out.push(Err(Error::malformed(
                "CRL file",
                "no \"-----BEGIN X509 CRL-----\" block",
            )));
        }
        return out;
    }
    // Read one CRL beyond the limit at most, never the whole list first.
    match tlv::elements_at_most(input, MAX_CRLS_PER_INPUT) {
        Ok((elements, more)) if !elements.is_empty() => {
            let mut out: Vec<Result<Crl>> =
                elements.into_iter().map(|e| Crl::from_der(e.raw)).collect();
            if more {
                out.push(Err(Error::LimitExceeded(format!(
                    "more than {MAX_CRLS_PER_INPUT} CRLs in one input"
                ))));
            }
            out
        }
        Ok(_) => vec![Err(Error::malformed("CRL file", "the input is empty"))],
        Err(e) => vec![Err(Error::malformed(
            "CRL file",
            format!("neither PEM nor DER: {e}"),
        ))],
    }
}

/// What importing one CRL did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrlOutcome {
    /// Valid and stored; the older CRLs of the same issuer and scope it replaced were removed.
    Stored {
        /// The new CRL's id.
        id: CrlId,
        /// The CRLs it replaced.
        replaced: Vec<CrlId>,
    },
    /// Well formed, but no certificate of its issuer is known yet (the usual case when the
    /// intermediates arrive inside messages): stored, and judged each time it is used,
    /// against the issuer on the path being validated, as OpenSSL does.
    StoredPending {
        /// The new CRL's id.
        id: CrlId,
    },
    /// Not valid: stored to be shown, never used.
    StoredInvalid {
        /// Its id.
        id: CrlId,
        /// Why it is not valid.
        reason: String,
    },
    /// Valid, but not newer than the stored CRL of the same issuer and scope: not stored.
    NotNewer {
        /// The stored CRL that stays.
        current: CrlId,
    },
    /// The very same CRL is already stored.
    AlreadyStored {
        /// Its id.
        id: CrlId,
    },
    /// Not a readable CRL: nothing stored.
    Unreadable {
        /// Why.
        error: String,
    },
}

/// The result of importing one CRL of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlImport {
    /// The CRL's issuer (RFC 4514); `None` when it could not be read.
    pub issuer: Option<String>,
    /// What happened.
    pub outcome: CrlOutcome,
}

impl CrlImport {
    /// Whether the CRL is now the valid CRL in use for its issuer and scope (stored now).
    pub fn is_stored_valid(&self) -> bool {
        matches!(self.outcome, CrlOutcome::Stored { .. })
    }

    /// Whether the CRL was stored to be used: valid now, or pending (judged when used).
    pub fn is_stored_usable(&self) -> bool {
        matches!(
            self.outcome,
            CrlOutcome::Stored { .. } | CrlOutcome::StoredPending { .. }
        )
    }
}

/// The CRL store of a [`Store`].
///
/// ```
/// use hermes_pki::crl::{CrlOutcome, Crls};
/// use hermes_pki::store::MemoryStore;
/// use hermes_pki::time::SystemClock;
///
/// let store = MemoryStore::new();
/// let crls = Crls::new(&store);
/// // Garbage is reported, and nothing is stored.
/// let err = crls.import(b"not a CRL", Some("junk.crl"), &SystemClock).unwrap_err();
/// assert_eq!(err.kind(), hermes_pki::ErrorKind::Parse);
/// assert!(crls.list()?.is_empty());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
pub struct Crls<'s, S: Store + ?Sized> {
    pub(super) store: &'s S,
}

impl<S: Store + ?Sized> std::fmt::Debug for Crls<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Crls").finish_non_exhaustive()
    }
}

impl<'s, S: Store + ?Sized> Crls<'s, S> {
    /// The CRL store of `store`.
    pub fn new(store: &'s S) -> Self {
        Crls { store }
    }

    /// Imports every CRL in `input` (DER or PEM, one or many), each checked and stored as
    /// [`CrlOutcome`] says, all in one transaction. `source` (a file name or URL) is kept for
    /// display.
    ///
    /// Errors: [`Error::Malformed`] when the input holds no readable CRL at all (nothing is
    /// stored); storage errors (nothing is stored). A readable but unusable CRL is not an
    /// error: it is stored as invalid, with the reason.
    pub fn import(
        &self,
        input: &[u8],
        source: Option<&str>,
        clock: &dyn Clock,
    ) -> Result<Vec<CrlImport>> {
        let parsed = parse_crls(input);
        if parsed.iter().all(|p| p.is_err()) {
            let mut errors = parsed.into_iter().filter_map(|p| p.err());
            return Err(errors
                .next()
                .unwrap_or_else(|| Error::malformed("CRL file", "no CRL found")));
        }
        let at = clock.now();
        let imported: Vec<CrlImport> = self.store.transaction(|tx| {
            parsed
                .iter()
                .map(|p| match p {
                    Ok(crl) => import_one(tx, crl, source, at),
                    Err(e) => Ok(CrlImport {
                        issuer: None,
                        outcome: CrlOutcome::Unreadable {
                            error: e.to_string(),
                        },
                    }),
                })
                .collect()
        })?;
        // The replaced CRLs' serial indexes are of no use any more.
        for i in &imported {
            if let CrlOutcome::Stored { replaced, .. } = &i.outcome {
                for id in replaced {
                    IndexCache::global().forget(*id);
                }
            }
        }
        Ok(imported)
    }

    /// Every stored CRL (valid and invalid), by id.
    pub fn list(&self) -> Result<Vec<CrlRecord>> {
        self.store.read_transaction(|tx| tx.crls())
    }

    /// A stored CRL's record. Unknown id: [`Error::NotFound`].
    pub fn get(&self, id: CrlId) -> Result<CrlRecord> {
        self.store
            .read_transaction(|tx| tx.crl(id))?
            .ok_or_else(|| crate::store::unknown_crl(id))
    }

    /// A stored CRL, DER. Unknown id: [`Error::NotFound`].
    pub fn der(&self, id: CrlId) -> Result<Vec<u8>> {
        self.store
            .read_transaction(|tx| tx.crl_der(id))?
            .ok_or_else(|| crate::store::unknown_crl(id))
    }

    /// The valid CRLs in use for certificates issued by `issuer` (its name and key), newest
    /// first.
    pub fn current_for(&self, issuer: &Certificate) -> Result<Vec<CrlRecord>> {
        self.store.read_transaction(|tx| valid_crls_of(tx, issuer))
    }

    /// Deletes a stored CRL. Unknown id: [`Error::NotFound`].
    pub fn delete(&self, id: CrlId) -> Result<()> {
        self.store.transaction(|tx| {
            if tx.delete_crl(id)? {
                Ok(())
            } else {
                Err(crate::store::unknown_crl(id))
            }
        })?;
        IndexCache::global().forget(id);
        Ok(())
    }
}

/// The valid CRLs issued under `issuer`'s name and key, newest first.
pub(crate) fn valid_crls_of(
    tx: &dyn ReadTransaction,
    issuer: &Certificate,
) -> Result<Vec<CrlRecord>> {
    let key = KeyId::of_public_key_der(issuer.public_key_der());
    let mut v: Vec<CrlRecord> = tx
        .crls_by_issuer(issuer.subject_der())?
        .into_iter()
        .filter(|r| r.status.is_valid() && r.signer_key == Some(key))
        .collect();
    v.sort_by(|a, b| newer(b, a));
    Ok(v)
}

/// Which of two CRLs of one issuer and scope is newer: by CRL number when both have one,
/// else by thisUpdate.
pub(crate) fn newer(a: &CrlRecord, b: &CrlRecord) -> std::cmp::Ordering {
    match (&a.number, &b.number) {
        (Some(x), Some(y)) => cmp_numbers(x, y),
        _ => a.this_update.cmp(&b.this_update),
    }
}

/// What import decides about one CRL.
enum Verdict {
    /// Valid: signed with this key of an issuer that chains to a trust anchor.
    Valid(KeyId),
    /// Well formed, its issuer unknown: judged when used.
    Pending,
    /// Not usable, with the reason.
    Invalid(String),
}

/// What can be known of `crl` without its issuer: `Some(reason)` when it can never be used.
pub(crate) fn intrinsic_problem(crl: &Crl, at: SystemTime) -> Option<String> {
    if !crl.problems().is_empty() {
        return Some(crl.problems().join("; "));
    }
    if let Some(next) = crl.next_update()
        && next < crl.this_update()
    {
        return Some("its nextUpdate is before its thisUpdate".into());
    }
    if crl.this_update() > at + CLOCK_SKEW {
        return Some(format!(
            "its thisUpdate ({}) is in the future",
            to_rfc3339(crl.this_update())
        ));
    }
    None
}

/// Decides whether `crl` is valid at `at`.
fn evaluate(tx: &dyn ReadTransaction, crl: &Crl, at: SystemTime) -> Result<Verdict> {
    if let Some(problem) = intrinsic_problem(crl, at) {
        return Ok(Verdict::Invalid(problem));
    }
    let mut candidates = tx.roots_by_subject(crl.issuer_der())?;
    for c in tx.certificates_by_subject(crl.issuer_der())? {
        if !candidates.iter().any(|x| x.thumbprint() == c.thumbprint()) {
            candidates.push(c);
        }
    }
    if candidates.is_empty() {
        return Ok(Verdict::Pending);
    }
    // Key identifier matches first.
    candidates.sort_by_key(|c| match (crl.authority_key_id(), c.subject_key_id()) {
        (Some(a), Some(s)) => a != s,
        _ => true,
    });
    let mut why = None;
    for c in candidates.iter().take(16) {
        if crl.verify_signature(c.public_key_der()).is_err() {
            continue;
        }
        if c.key_usage().is_some_and(|ku| !ku.crl_sign) {
            why.get_or_insert_with(|| {
                format!(
                    "its issuer's certificate \"{}\" may not sign CRLs (keyUsage lacks cRLSign)",
                    c.subject()
                )
            });
            continue;
        }
        let options = ValidationOptions::new(at, LeafPolicy::Any);
        let v = Validator::new(tx)
            .revocation(&NoRevocationInfo)
            .validate(c, &options)?;
        if v.is_valid() {
            return Ok(Verdict::Valid(KeyId::of_public_key_der(c.public_key_der())));
        }
        let reasons: Vec<String> = v.reasons().iter().map(ToString::to_string).collect();
        why.get_or_insert_with(|| {
            format!(
                "its issuer's certificate \"{}\" is not trusted: {}",
                c.subject(),
                reasons.join("; ")
            )
        });
    }
    Ok(Verdict::Invalid(why.unwrap_or_else(|| {
        format!(
            "its signature does not verify with the key of any known certificate of \"{}\"",
            crl.issuer()
        )
    })))
}

fn record_of(
    crl: &Crl,
    status: CrlStatus,
    signer_key: Option<KeyId>,
    source: Option<&str>,
    at: SystemTime,
) -> NewCrl {
    NewCrl {
        record: CrlRecord {
            id: crate::store::CrlId::placeholder(),
            sha256: *crl.sha256(),
            issuer: crl.issuer().to_string(),
            issuer_der: crl.issuer_der().to_vec(),
            number: crl.number().map(<[u8]>::to_vec),
            delta_base: crl.delta_base().map(<[u8]>::to_vec),
            scope: crl.scope_der().to_vec(),
            this_update: crl.this_update(),
            next_update: crl.next_update(),
            signer_key,
            status,
            entries: u64::try_from(crl.entry_count()).unwrap_or(u64::MAX),
            source: source.map(str::to_string),
            stored_at: at,
        },
        der: crl.der().to_vec(),
    }
}

/// Imports one parsed CRL inside `tx`.
fn import_one(
    tx: &mut dyn Transaction,
    crl: &Crl,
    source: Option<&str>,
    at: SystemTime,
) -> Result<CrlImport> {
    let issuer = Some(crl.issuer().to_string());
    let done = |outcome| {
        Ok(CrlImport {
            issuer: issuer.clone(),
            outcome,
        })
    };
    let mut existing = tx.crls_by_issuer(crl.issuer_der())?;
    let verdict = match existing.iter().find(|r| r.sha256 == *crl.sha256()) {
        Some(same) if same.status.is_valid() && !is_pending(same) => {
            return done(CrlOutcome::AlreadyStored { id: same.id });
        }
        // Stored as invalid or pending before: judged again (its issuer may be known or
        // trusted now, or the clock has caught up with its thisUpdate).
        Some(same) => match evaluate(tx, crl, at)? {
            Verdict::Valid(key) => {
                let id = same.id;
                tx.delete_crl(id)?;
                existing.retain(|r| r.id != id);
                Verdict::Valid(key)
            }
            _ => return done(CrlOutcome::AlreadyStored { id: same.id }),
        },
        None => evaluate(tx, crl, at)?,
    };
    let key = match verdict {
        Verdict::Valid(key) => key,
        Verdict::Pending => {
            // Its entries are stored, to be used once its signature is checked against the
            // issuer on a path. Pending CRLs never replace anything (nobody vouched for
            // them yet), and only the latest few of an issuer name are kept.
            let id = tx.insert_crl(
                &record_of(crl, CrlStatus::Valid, None, source, at),
                crl.entries(),
            )?;
            let mut pending: Vec<CrlId> = existing
                .iter()
                .filter(|r| is_pending(r))
                .map(|r| r.id)
                .collect();
            pending.sort();
            let excess = (pending.len() + 1).saturating_sub(MAX_PENDING_PER_ISSUER);
            for old in pending.into_iter().take(excess) {
                tx.delete_crl(old)?;
            }
            return done(CrlOutcome::StoredPending { id });
        }
        Verdict::Invalid(reason) => {
            let id = tx.insert_crl(
                &record_of(crl, CrlStatus::Invalid(reason.clone()), None, source, at),
                &CrlEntries::default(),
            )?;
            // Keep only the latest few invalid CRLs of an issuer: whoever can feed CRLs in
            // cannot grow the store without bound.
            let mut invalid: Vec<CrlId> = existing
                .iter()
                .filter(|r| !r.status.is_valid())
                .map(|r| r.id)
                .collect();
            invalid.sort();
            let excess = (invalid.len() + 1).saturating_sub(MAX_INVALID_PER_ISSUER);
            for old in invalid.into_iter().take(excess) {
                tx.delete_crl(old)?;
            }
            return done(CrlOutcome::StoredInvalid { id, reason });
        }
    };
    let new = record_of(crl, CrlStatus::Valid, Some(key), source, at);
    let rivals: Vec<&CrlRecord> = existing
        .iter()
        .filter(|r| {
            r.status.is_valid()
                && r.signer_key == Some(key)
                && r.scope == new.record.scope
                && r.delta_base.is_some() == new.record.delta_base.is_some()
        })
        .collect();
    if let Some(current) = rivals
        .iter()
        .find(|r| newer(&new.record, r) != std::cmp::Ordering::Greater)
    {
        return done(CrlOutcome::NotNewer {
            current: current.id,
        });
    }
    let mut replaced = Vec::new();
    for r in rivals {
        tx.delete_crl(r.id)?;
        replaced.push(r.id);
    }
    let id = tx.insert_crl(&new, crl.entries())?;
    done(CrlOutcome::Stored { id, replaced })
}

/// Stores a CRL this library just made for one of the store's CAs (inside the transaction
/// that records its CRL number): it is valid by construction (signed with the CA's key),
/// and replaces the CA's older CRLs of the full scope.
pub(crate) fn store_own_crl(
    tx: &mut dyn Transaction,
    crl: &Crl,
    signer: &Certificate,
    at: SystemTime,
) -> Result<CrlId> {
    crl.verify_signature(signer.public_key_der())?;
    let key = KeyId::of_public_key_der(signer.public_key_der());
    for r in valid_crls_of(tx, signer)? {
        if r.scope.is_empty() && r.delta_base.is_none() {
            tx.delete_crl(r.id)?;
        }
    }
    let record = record_of(crl, CrlStatus::Valid, Some(key), Some("created here"), at);
    tx.insert_crl(&record, crl.entries())
}
