//! CRL distribution points: listing them and refreshing the CRLs they serve.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

use super::fetch::{CrlFetcher, FetchError};
use super::import::{CrlImport, Crls};
use crate::error::Result;
use crate::store::{CertificateFilter, CrlFetchState, Store, StoreExt};
use crate::time::Clock;

/// Certificates read per page when scanning the store.
const PAGE: u64 = 1_000;

/// How [`Crls::refresh`] decides what to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshOptions {
    interval: Duration,
    force: bool,
}

impl Default for RefreshOptions {
    fn default() -> Self {
        RefreshOptions {
            interval: Duration::from_secs(6 * 3600),
            force: false,
        }
    }
}

impl RefreshOptions {
    /// Every URL at most once per 6 hours.
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

    /// The interval.
    pub fn get_interval(&self) -> Duration {
        self.interval
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
    /// The fetch failed; the stored CRLs are unchanged.
    FetchFailed(FetchError),
    /// The body is not a CRL; the stored CRLs are unchanged.
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

/// What [`Crls::refresh`] did, URL by URL (in URL order).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RefreshReport {
    /// One report per distribution point URL.
    pub urls: Vec<UrlReport>,
}

impl RefreshReport {
    /// The URLs whose fetch failed or whose body was not a CRL.
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

impl<S: Store + ?Sized> Crls<'_, S> {
    /// Every HTTP(S) CRL distribution point URL of the stored certificates (CA and end-user),
    /// sorted, each once.
    pub fn distribution_points(&self) -> Result<Vec<String>> {
        let mut urls = BTreeSet::new();
        let mut offset = 0;
        loop {
            let page = self.store.read_transaction(|tx| {
                tx.list_certificates(&CertificateFilter::new().offset(offset).limit(PAGE))
            })?;
            for c in &page {
                urls.extend(
                    c.crl_distribution_points()
                        .iter()
                        .filter(|u| is_http(u))
                        .cloned(),
                );
            }
            if (page.len() as u64) < PAGE {
                break;
            }
            offset += PAGE;
        }
        Ok(urls.into_iter().collect())
    }

    /// Fetches the CRL of every distribution point that is due (never tried, or last tried at
    /// least [`RefreshOptions::interval`] ago) through `fetcher`, and imports what it gets.
    /// A failed fetch, or a body that is not a valid CRL, keeps the stored CRL. Each URL's
    /// attempt is recorded in the store. Runs on the caller's thread; the caller drives the
    /// schedule (for example: call it every few minutes; only due URLs are fetched).
    ///
    /// Errors: storage errors only; every fetch problem is in the report.
    pub fn refresh(
        &self,
        fetcher: &dyn CrlFetcher,
        options: &RefreshOptions,
        clock: &dyn Clock,
    ) -> Result<RefreshReport> {
        let mut report = RefreshReport::default();
        for url in self.distribution_points()? {
            let now = clock.now();
            let state = self.store.read_transaction(|tx| tx.crl_fetch_state(&url))?;
            if !options.force
                && let Some(s) = &state
            {
                let due = s.last_attempt + options.interval;
                if due > now {
                    report.urls.push(UrlReport {
                        url,
                        outcome: UrlOutcome::NotDue { due },
                    });
                    continue;
                }
            }
            let last_success = state.and_then(|s| s.last_success);
            let (outcome, error) = match fetcher.fetch(&url) {
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
        Ok(report)
    }
}
