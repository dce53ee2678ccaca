//! Process-wide caches of chain building: certificates parsed from the store, and issuer ->
//! subject signatures already verified.
//!
//! Both hold only pure functions of certificate bytes, so nothing a store holds besides
//! certificates (trust list, root store, CRLs, settings) can make an entry stale, whichever
//! process or store handle changed it: those are read from the store on every validation.
//!
//! - **Parsed certificates**, keyed by SHA-512 thumbprint. A stored certificate read for chain
//!   building is looked up by the thumbprint its row carries and used only when its DER is
//!   byte for byte the row's; otherwise the row is parsed (and kept under the thumbprint of
//!   what was parsed). So a row whose thumbprint column lies cannot bring in another
//!   certificate.
//! - **Verified signature edges**, keyed by (issuer thumbprint, subject thumbprint): that
//!   `subject`'s signature verifies with `issuer`'s public key
//!   ([`Certificate::verify_issued_by`]). Only successes are kept; a signature that fails (bad,
//!   weak algorithm, unsupported key) is checked again each time, with its error.
//!
//! Both are bounded ([`MAX_CERTIFICATES`], [`MAX_EDGES`]; least recently used out first) and
//! emptied by [`clear_caches`]. A cache hit changes no verdict and no budget: path building
//! still counts a signature check for every edge it tries.

use std::hash::Hash;
use std::sync::{LazyLock, Mutex, PoisonError};

use hashlink::LruCache;

use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};

/// Parsed certificates kept per process (about 5 KB each, so about 20 MB when full).
pub const MAX_CERTIFICATES: usize = 4096;

/// Verified signature edges kept per process (two thumbprints each).
pub const MAX_EDGES: usize = 16_384;

/// A bounded least-recently-used map behind a mutex.
struct Lru<K: Hash + Eq, V> {
    map: Mutex<LruCache<K, V>>,
}

impl<K: Hash + Eq, V: Clone> Lru<K, V> {
    fn new(capacity: usize) -> Self {
        Lru {
            map: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// The map; a panic elsewhere while it was held leaves a map that is still consistent
    /// (every operation on it is a single call), so a poisoned lock is taken over.
    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<K, V>> {
        self.map.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn get(&self, k: &K) -> Option<V> {
        self.lock().get(k).cloned()
    }

    fn insert(&self, k: K, v: V) {
        self.lock().insert(k, v);
    }

    fn clear(&self) {
        self.lock().clear();
    }

    fn len(&self) -> usize {
        self.lock().len()
    }
}

/// One set of caches: the process's ([`caches`]), or a test's own.
pub(crate) struct Caches {
    certificates: Lru<Thumbprint, Certificate>,
    edges: Lru<(Thumbprint, Thumbprint), ()>,
}

impl Caches {
    pub(crate) fn new(certificates: usize, edges: usize) -> Self {
        Caches {
            certificates: Lru::new(certificates),
            edges: Lru::new(edges),
        }
    }

    /// A stored certificate row: `thumbprint` as the row has it, `der` the certificate. The
    /// cached parse when there is one of exactly these bytes, else parsed now (and kept).
    pub(crate) fn parse_stored(&self, thumbprint: &[u8], der: &[u8]) -> Result<Certificate> {
        if let Ok(t) = Thumbprint::from_bytes(thumbprint)
            && let Some(c) = self.certificates.get(&t)
            && c.der() == der
        {
            return Ok(c);
        }
        let cert = Certificate::from_der(der)
            .map_err(|e| Error::Storage(format!("a stored certificate no longer parses: {e}")))?;
        self.certificates.insert(*cert.thumbprint(), cert.clone());
        Ok(cert)
    }

    /// [`Certificate::verify_issued_by`], remembered when it succeeds.
    pub(crate) fn verify_issued_by(
        &self,
        subject: &Certificate,
        issuer: &Certificate,
    ) -> Result<()> {
        let key = (*issuer.thumbprint(), *subject.thumbprint());
        if self.edges.get(&key).is_some() {
            return Ok(());
        }
        subject.verify_issued_by(issuer)?;
        self.edges.insert(key, ());
        Ok(())
    }

    /// Whether the edge `issuer` -> `subject` is remembered as verified.
    #[cfg(test)]
    pub(crate) fn has_edge(&self, subject: &Certificate, issuer: &Certificate) -> bool {
        self.edges
            .get(&(*issuer.thumbprint(), *subject.thumbprint()))
            .is_some()
    }

    /// Whether a parse of `cert` is kept.
    #[cfg(test)]
    pub(crate) fn has_certificate(&self, cert: &Certificate) -> bool {
        self.certificates.get(cert.thumbprint()).is_some()
    }

    /// (parsed certificates, verified edges) kept.
    pub(crate) fn sizes(&self) -> (usize, usize) {
        (self.certificates.len(), self.edges.len())
    }

    fn clear(&self) {
        self.certificates.clear();
        self.edges.clear();
    }
}

static CACHES: LazyLock<Caches> = LazyLock::new(|| Caches::new(MAX_CERTIFICATES, MAX_EDGES));

/// The process's caches.
pub(crate) fn caches() -> &'static Caches {
    &CACHES
}

/// Empties the process-wide caches of chain building (parsed certificates, verified signature
/// edges). Never needed for correctness: they hold only what follows from certificate bytes,
/// so a change of the trust list, the root store or the CRLs (by this process or another) is
/// seen by the next validation without it. For measuring validation with cold caches, and to
/// give back their memory (at most [`MAX_CERTIFICATES`] parsed certificates and
/// [`MAX_EDGES`] edges).
///
/// ```
/// hermes_pki::trust::clear_caches();
/// assert_eq!(hermes_pki::trust::cache_sizes(), (0, 0));
/// ```
pub fn clear_caches() {
    CACHES.clear();
}

/// How many (parsed certificates, verified signature edges) the process-wide caches hold now;
/// at most ([`MAX_CERTIFICATES`], [`MAX_EDGES`]).
pub fn cache_sizes() -> (usize, usize) {
    CACHES.sizes()
}
