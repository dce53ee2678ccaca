//! CRL distribution points: listing them and refreshing the CRLs they serve.
//!
//! Which URLs: the HTTP(S) distribution points of the trust anchors, and of the stored
//! certificates (CA and end-user) that validate (chain to a trust anchor; revocation is not
//! asked, so that a revoked certificate keeps its CRL fresh). A certificate that anyone can
//! send, that does not chain to a trust anchor, makes the gateway fetch nothing. At most
//! [`RefreshOptions::max_urls_per_certificate`] URLs of each certificate and
//! [`RefreshOptions::max_urls`] in all are fetched; a cap that cuts is in the
//! [`RefreshReport`].

use std::collections::BTreeSet;
use std::fmt;
use std::time::{Duration, Instant, SystemTime};

use super::fetch::{CrlFetcher, FetchError, shown_url};
use super::import::{CrlImport, Crls};
use crate::cert::Certificate;
use crate::error::Result;
use crate::store::{CertificateFilter, CrlFetchState, CrlId, ReadTransaction, Store, StoreExt};
use crate::time::{Clock, SystemClock};
use crate::trust::{LeafPolicy, NoRevocationInfo, ValidationOptions, Validator};

/// Certificates read per page when scanning the store.
const PAGE: u64 = 1_000;

/// Default of [`RefreshOptions::max_urls_per_certificate`].
const DEFAULT_MAX_URLS_PER_CERTIFICATE: usize = 5;
/// Default of [`RefreshOptions::max_urls`].
const DEFAULT_MAX_URLS: usize = 1_000;
/// Default of [`RefreshOptions::concurrency`].
const DEFAULT_CONCURRENCY: usize = 4;
/// Default of [`RefreshOptions::deadline`]: 120 seconds.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);
/// Default of [`RefreshOptions::max_invalid_crls`].
const DEFAULT_MAX_INVALID_CRLS: usize = 100;

/// How [`Crls::refresh`] decides what to fetch, and its limits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshOptions {
    interval: Duration,
    force: bool,
    deadline: Duration,
    concurrency: usize,
    max_urls: usize,
    max_urls_per_certificate: usize,
    max_invalid_crls: usize,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            interval: Duration::from_secs(6 * 3600),
            force: false,
            deadline: DEFAULT_DEADLINE,
            concurrency: DEFAULT_CONCURRENCY,
            max_urls: DEFAULT_MAX_URLS,
            max_urls_per_certificate: DEFAULT_MAX_URLS_PER_CERTIFICATE,
            max_invalid_crls: DEFAULT_MAX_INVALID_CRLS,
        }
    }
}

impl RefreshOptions {
    /// Every URL at most once per 6 hours; 4 downloads at a time; 120 s for the whole
    /// refresh; at most 5 URLs per certificate and 1,000 per refresh; at most 100 invalid
    /// CRLs from the network kept.
    pub fn new() -> Self {
        Self::default()
    }

    /// How long after an attempt a URL is due again (default 6 hours).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Fetch every URL now, due or not.
    pub fn force(mut self, yes: bool) -> Self {
        self.force = yes;
        self
    }

    /// The time the whole refresh may take (default 120 s). A URL not started by then is
    /// skipped ([`FetchError::Skipped`]); a download under way is told to stop by then
    /// ([`CrlFetcher::fetch_until`]).
    pub fn deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }

    /// How many downloads run at once (default 4; 0 counts as 1).
    pub fn concurrency(mut self, threads: usize) -> Self {
        self.concurrency = threads;
        self
    }

    /// The most distribution point URLs fetched in one refresh (default 1,000): the first
    /// ones in URL order; the rest are left out and the cut is reported
    /// ([`RefreshLimit::UrlsPerRefresh`]).
    pub fn max_urls(mut self, n: usize) -> Self {
        self.max_urls = n;
        self
    }

    /// The most HTTP(S) distribution point URLs taken from one certificate (default 5): the
    /// first ones in the certificate; the cut is reported
    /// ([`RefreshLimit::UrlsPerCertificate`]).
    pub fn max_urls_per_certificate(mut self, n: usize) -> Self {
        self.max_urls_per_certificate = n;
        self
    }

    /// The most invalid CRLs fetched from the network kept in the store for diagnosis (default
    /// 100; the oldest go first; reported as [`RefreshLimit::InvalidCrlsRemoved`]). Invalid
    /// CRLs imported from files are not counted. A body that is not a CRL at all is never
    /// stored.
    pub fn max_invalid_crls(mut self, n: usize) -> Self {
        self.max_invalid_crls = n;
        self
    }

    /// The interval.
    pub fn get_interval(&self) -> Duration {
        self.interval
    }

    /// The deadline of the whole refresh.
    pub fn get_deadline(&self) -> Duration {
        self.deadline
    }

    /// The number of downloads at once.
    pub fn get_concurrency(&self) -> usize {
        self.concurrency.max(1)
    }
}

/// What refreshing one URL did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UrlOutcome {
    /// Fetched recently: not due until then.
    NotDue {
        /// When it is due.
        due: SystemTime,
    },
    /// Fetched, and imported as each [`CrlImport`] says (a CRL that fails its checks is kept
    /// as invalid and not used; the CRL in use stays).
    Imported(Vec<CrlImport>),
    /// The fetch failed, or was skipped ([`FetchError::Skipped`]: the refresh's deadline
    /// passed first); the stored CRLs are unchanged.
    FetchFailed(FetchError),
    /// The body is not a CRL; the stored CRLs are unchanged, and the body is not kept.
    Unreadable(String),
}

/// The report for one distribution point URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlReport {
    /// The URL.
    pub url: String,
    /// What happened.
    pub outcome: UrlOutcome,
}

/// A limit of [`Crls::refresh`] that cut something, as the [`RefreshReport`] says it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshLimit {
    /// A certificate names more HTTP(S) distribution points than
    /// [`RefreshOptions::max_urls_per_certificate`]: only the first ones are fetched.
    UrlsPerCertificate {
        /// The certificate's subject.
        subject: String,
        /// The certificate's SHA-512 thumbprint (hex).
        thumbprint: String,
        /// The HTTP(S) URLs it names.
        found: usize,
        /// The URLs taken.
        kept: usize,
    },
    /// More distribution point URLs than [`RefreshOptions::max_urls`]: only the first ones
    /// (in URL order) are fetched.
    UrlsPerRefresh {
        /// The URLs found.
        found: usize,
        /// The URLs taken.
        kept: usize,
    },
    /// The deadline ([`RefreshOptions::deadline`]) passed before these URLs were started;
    /// each is reported as [`FetchError::Skipped`].
    Deadline {
        /// The deadline.
        deadline: Duration,
        /// How many URLs were skipped.
        skipped: usize,
    },
    /// More invalid CRLs from the network than [`RefreshOptions::max_invalid_crls`] were
    /// stored: the oldest were removed.
    InvalidCrlsRemoved {
        /// The cap.
        max: usize,
        /// How many were removed.
        removed: usize,
    },
}

impl fmt::Display for RefreshLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RefreshLimit::UrlsPerCertificate {
                subject,
                thumbprint,
                found,
                kept,
            } => write!(
                f,
                "the certificate \"{subject}\" ({}…) names {found} CRL distribution points; only \
                 the first {kept} are fetched",
                thumbprint.get(..16).unwrap_or(thumbprint)
            ),
            RefreshLimit::UrlsPerRefresh { found, kept } => write!(
                f,
                "{found} CRL distribution points found; only the first {kept} are fetched per \
                 refresh"
            ),
            RefreshLimit::Deadline { deadline, skipped } => write!(
                f,
                "the refresh deadline of {} s passed: {skipped} distribution point(s) skipped",
                deadline.as_secs_f64()
            ),
            RefreshLimit::InvalidCrlsRemoved { max, removed } => write!(
                f,
                "{removed} old invalid CRL(s) from the network removed (at most {max} are kept)"
            ),
        }
    }
}

/// What [`Crls::refresh`] did, URL by URL (in URL order), and the limits that cut.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefreshReport {
    /// One report per distribution point URL.
    pub urls: Vec<UrlReport>,
    /// The limits that were reached (nothing is cut silently).
    pub limits: Vec<RefreshLimit>,
}

impl RefreshReport {
    /// The URLs whose fetch failed (or was skipped) or whose body was not a CRL.
    pub fn failures(&self) -> impl Iterator<Item = &UrlReport> {
        self.urls.iter().filter(|u| {
            matches!(
                u.outcome,
                UrlOutcome::FetchFailed(_) | UrlOutcome::Unreadable(_)
            )
        })
    }
}

fn is_http(url: &str) -> bool {
    let lower = url
        .get(..8)
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The URLs to fetch and the caps that cut them.
struct Collected {
    urls: Vec<String>,
    limits: Vec<RefreshLimit>,
}

/// Adds the first HTTP(S) distribution points of `cert` (at most `max`) to `urls`, noting the
/// cut in `limits`.
fn add_urls(
    cert: &Certificate,
    max: usize,
    urls: &mut BTreeSet<String>,
    limits: &mut Vec<RefreshLimit>,
) {
    let mut own: Vec<&String> = Vec::new();
    for u in cert.crl_distribution_points().iter().filter(|u| is_http(u)) {
        if !own.contains(&u) {
            own.push(u);
        }
    }
    if own.len() > max {
        limits.push(RefreshLimit::UrlsPerCertificate {
            subject: cert.subject().to_string(),
            thumbprint: cert.thumbprint().to_string(),
            found: own.len(),
            kept: max,
        });
    }
    urls.extend(own.into_iter().take(max).cloned());
}

/// Whether `cert` chains to a trust anchor at `at` (revocation not asked).
fn validates(tx: &dyn ReadTransaction, cert: &Certificate, at: SystemTime) -> Result<bool> {
    let options = ValidationOptions::new(at, LeafPolicy::Any);
    Ok(Validator::new(tx)
        .revocation(&NoRevocationInfo)
        .validate(cert, &options)?
        .is_valid())
}

impl<S: Store + ?Sized> Crls<'_, S> {
    /// The HTTP(S) CRL distribution point URLs [`refresh`](Self::refresh) fetches with the
    /// default options, validating at the system clock's time: see
    /// [`distribution_points_at`](Self::distribution_points_at).
    pub fn distribution_points(&self) -> Result<Vec<String>> {
        self.distribution_points_at(&SystemClock)
    }

    /// The HTTP(S) CRL distribution point URLs [`refresh`](Self::refresh) fetches with the
    /// default options, sorted, each once: those of the trust anchors, and of the stored
    /// certificates (CA and end-user) that chain to a trust anchor at `clock`'s time
    /// (revocation not asked). At most 5 URLs per certificate and 1,000 in all (the first in
    /// URL order); [`refresh`](Self::refresh) reports those cuts.
    pub fn distribution_points_at(&self, clock: &dyn Clock) -> Result<Vec<String>> {
        Ok(self.collect(&RefreshOptions::new(), clock.now())?.urls)
    }

    /// The URLs to fetch under `options` at `at`, with the caps that cut.
    fn collect(&self, options: &RefreshOptions, at: SystemTime) -> Result<Collected> {
        let per_certificate = options.max_urls_per_certificate;
        let mut urls = BTreeSet::new();
        let mut limits = Vec::new();
        let anchors = self.store.read_transaction(|tx| tx.roots())?;
        for a in &anchors {
            add_urls(a, per_certificate, &mut urls, &mut limits);
        }
        let mut offset = 0;
        loop {
            let page = self.store.read_transaction(|tx| {
                let page =
                    tx.list_certificates(&CertificateFilter::new().offset(offset).limit(PAGE))?;
                let mut valid = Vec::new();
                for c in page.iter() {
                    // Only a certificate with something to fetch is worth validating.
                    let has_url = c.crl_distribution_points().iter().any(|u| is_http(u));
                    let is_anchor = anchors.iter().any(|a| a.thumbprint() == c.thumbprint());
                    if has_url && !is_anchor && validates(tx, c, at)? {
                        valid.push(c.clone());
                    }
                }
                Ok((page.len(), valid))
            })?;
            for c in &page.1 {
                add_urls(c, per_certificate, &mut urls, &mut limits);
            }
            if (page.0 as u64) < PAGE {
                break;
            }
            offset += PAGE;
        }
        if urls.len() > options.max_urls {
            limits.push(RefreshLimit::UrlsPerRefresh {
                found: urls.len(),
                kept: options.max_urls,
            });
        }
        Ok(Collected {
            urls: urls.into_iter().take(options.max_urls).collect(),
            limits,
        })
    }

    /// Fetches the CRL of every distribution point that is due (never tried, or last tried at
    /// least [`RefreshOptions::interval`] ago) through `fetcher`, and imports what it gets.
    /// Which distribution points: see [`distribution_points_at`](Self::distribution_points_at)
    /// (with the caps of `options`).
    ///
    /// A failed fetch, or a body that is not a valid CRL, keeps the stored CRL. Each URL's
    /// attempt is recorded in the store. Downloads run on up to
    /// [`RefreshOptions::concurrency`] threads at once, within [`RefreshOptions::deadline`]
    /// for the whole refresh: a URL not started by then is reported as skipped. Imports and
    /// every store write happen on the caller's thread, after the downloads. A CRL that fails
    /// its checks is stored as invalid for diagnosis, but at most
    /// [`RefreshOptions::max_invalid_crls`] of those from the network are kept (the oldest go
    /// first). The caller drives the schedule (for example: call it every few minutes; only
    /// due URLs are fetched).
    ///
    /// Errors: storage errors only; every fetch problem is in the report.
    pub fn refresh(
        &self,
        fetcher: &dyn CrlFetcher,
        options: &RefreshOptions,
        clock: &dyn Clock,
    ) -> Result<RefreshReport> {
        let started = Instant::now();
        let deadline = started + options.deadline;
        let collected = self.collect(options, clock.now())?;
        let mut report = RefreshReport {
            urls: Vec::new(),
            limits: collected.limits,
        };
        // Which URLs are due, in URL order; `None` where the outcome is known already.
        let mut due: Vec<(String, Option<UrlOutcome>, Option<SystemTime>)> = Vec::new();
        for url in collected.urls {
            let now = clock.now();
            let state = self.store.read_transaction(|tx| tx.crl_fetch_state(&url))?;
            if !options.force
                && let Some(s) = &state
            {
                let next = s.last_attempt + options.interval;
                if next > now {
                    due.push((url, Some(UrlOutcome::NotDue { due: next }), None));
                    continue;
                }
            }
            due.push((url, None, state.and_then(|s| s.last_success)));
        }
        let todo: Vec<&str> = due
            .iter()
            .filter(|(_, known, _)| known.is_none())
            .map(|(url, _, _)| url.as_str())
            .collect();
        let mut fetched = fetch_all(
            fetcher,
            &todo,
            options.get_concurrency(),
            options.deadline,
            deadline,
        )
        .into_iter();
        let mut skipped = 0;
        for (url, known, last_success) in due {
            if let Some(outcome) = known {
                report.urls.push(UrlReport { url, outcome });
                continue;
            }
            let result = fetched
                .next()
                .unwrap_or_else(|| Err(skipped_error(&url, "it was not fetched")));
            if matches!(result, Err(FetchError::Skipped { .. })) {
                skipped += 1;
            }
            let now = clock.now();
            let (outcome, error) = match result {
                Err(e) => {
                    let msg = e.to_string();
                    (UrlOutcome::FetchFailed(e), Some(msg))
                }
                Ok(body) => match self.import(&body, Some(&url), clock) {
                    Ok(imports) => {
                        let error = imports.iter().find_map(|i| match &i.outcome {
                            super::CrlOutcome::StoredInvalid { reason, .. } => {
                                Some(format!("the CRL is not valid: {reason}"))
                            }
                            _ => None,
                        });
                        (UrlOutcome::Imported(imports), error)
                    }
                    Err(e) if e.kind() == crate::ErrorKind::Storage => return Err(e),
                    Err(e) => {
                        let msg = e.to_string();
                        (UrlOutcome::Unreadable(msg.clone()), Some(msg))
                    }
                },
            };
            let fetch_state = CrlFetchState {
                url: url.clone(),
                last_attempt: now,
                last_success: if error.is_none() {
                    Some(now)
                } else {
                    last_success
                },
                last_error: error,
            };
            self.store
                .transaction(|tx| tx.put_crl_fetch_state(&fetch_state))?;
            report.urls.push(UrlReport { url, outcome });
        }
        if skipped > 0 {
            report.limits.push(RefreshLimit::Deadline {
                deadline: options.deadline,
                skipped,
            });
        }
        let removed = self.drop_old_invalid(options.max_invalid_crls)?;
        if removed > 0 {
            report.limits.push(RefreshLimit::InvalidCrlsRemoved {
                max: options.max_invalid_crls,
                removed,
            });
        }
        Ok(report)
    }

    /// Removes the oldest invalid CRLs fetched from the network (their source is an HTTP(S)
    /// URL) beyond `max`; how many.
    fn drop_old_invalid(&self, max: usize) -> Result<usize> {
        self.store.transaction(|tx| {
            let mut invalid: Vec<CrlId> = tx
                .crls()?
                .into_iter()
                .filter(|r| !r.status.is_valid() && r.source.as_deref().is_some_and(is_http))
                .map(|r| r.id)
                .collect();
            invalid.sort();
            let excess = invalid.len().saturating_sub(max);
            for id in invalid.into_iter().take(excess) {
                tx.delete_crl(id)?;
            }
            Ok(excess)
        })
    }
}

/// [`FetchError::Skipped`] for `url`.
fn skipped_error(url: &str, reason: &str) -> FetchError {
    FetchError::Skipped {
        url: shown_url(url),
        reason: reason.to_owned(),
    }
}

/// Fetches `urls` on up to `threads` threads, each URL started only before `deadline` (`budget`
/// after the start; else [`FetchError::Skipped`]); one result per URL, in order.
fn fetch_all(
    fetcher: &dyn CrlFetcher,
    urls: &[&str],
    threads: usize,
    budget: Duration,
    deadline: Instant,
) -> Vec<std::result::Result<Vec<u8>, FetchError>> {
    let late = format!(
        "the refresh deadline ({} s) passed before its turn",
        budget.as_secs_f64()
    );
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(url) = urls.get(i) else {
                break;
            };
            let result = if Instant::now() >= deadline {
                Err(skipped_error(url, &late))
            } else {
                fetcher.fetch_until(url, deadline)
            };
            done.push((i, result));
        }
        done
    };
    let mut results: Vec<Option<std::result::Result<Vec<u8>, FetchError>>> =
        urls.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads.min(urls.len()))
            .map(|_| scope.spawn(work))
            .collect();
        for handle in handles {
            match handle.join() {
                Ok(done) => {
                    for (i, result) in done {
                        if let Some(slot) = results.get_mut(i) {
                            *slot = Some(result);
                        }
                    }
                }
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
    });
    urls.iter()
        .zip(results)
        .map(|(url, r)| r.unwrap_or_else(|| Err(skipped_error(url, "it was not fetched"))))
        .collect()
}

#[cfg(test)]
mod tests;
