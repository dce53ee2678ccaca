//! Persistence: the storage traits and their backends.
//!
//! The engine never touches SQL or files directly; it talks to a [`Store`]. A store hands out
//! transactions:
//!
//! - [`Store::transact`] runs a closure with a [`Transaction`] (reads and writes). The changes
//!   become visible (and durable, for a persistent backend) only when the closure returns `Ok`;
//!   when it returns `Err` (or panics) **nothing** it wrote is kept.
//! - [`Store::read`] runs a closure with a [`ReadTransaction`]: a consistent view for queries.
//!
//! **A transaction may run more than once.** A backend with optimistic concurrency
//! ([`PostgresStore`]: serializable transactions) rolls back and calls the closure again when a
//! concurrent transaction conflicts with it. So a closure has no effects outside the transaction
//! it is given: it computes what it writes from what it reads through the transaction, keeps
//! no state between calls that changes what the next call does, and leaves results in
//! variables that the next call overwrites. Generate random values (serial numbers, keys)
//! either before the transaction or inside it, never both ways for one value.
//!
//! Both are object safe, so a backend can be chosen at run time (`Box<dyn Store>`,
//! `Arc<dyn Store>`). [`StoreExt`] adds the generic, value-returning forms
//! [`transaction`](StoreExt::transaction) and [`read_transaction`](StoreExt::read_transaction)
//! to every store, including `dyn Store`.
//!
//! Backends:
//!
//! - [`MemoryStore`]: everything in memory; for tests and short-lived tools.
//! - [`SqliteStore`]: the embedded default, one SQLite file shared safely by several processes;
//!   private keys sealed under a [`MasterKey`] (AES-256-GCM) at rest.
//! - `PostgresStore` (cargo feature `postgres`): one PostgreSQL database shared by several
//!   gateway nodes; keys sealed exactly as in SQLite, the master key stays with the nodes.
//! - [`AnyStore`]: one of the above, chosen by a location string ([`StoreLocation`]): a
//!   directory for SQLite or a `postgres://` URL.
//!
//! What is stored:
//!
//! - the **certificate store**: certificates, identified by their SHA-512 [`Thumbprint`] and
//!   indexed by subject, subjectKeyIdentifier, (issuer, serial) and email address;
//! - **private keys**, identified by their [`KeyId`] (SHA-256 of the SubjectPublicKeyInfo DER).
//!   A certificate's key is the key whose id is that of the certificate's public key, so a key
//!   serves every certificate issued for it (a renewed certificate finds the same key);
//! - the **root store**: trust anchors, kept apart from the certificate store;
//! - **certificate authorities** ([`CaRecord`]) and the certificates they issued
//!   ([`IssuedRecord`], unique per CA and serial number);
//! - the **Certificate Trust List** ([`CtlEntry`]), keyed by SHA-512 thumbprint;
//! - the **CRL store**: CRLs ([`CrlRecord`], valid or kept-but-invalid) with their revoked
//!   serials indexed for lookup, each CA's last CRL number, and the fetch history of CRL
//!   distribution points ([`CrlFetchState`]);
//! - **users** ([`EmailAddress`]) and **domains** ([`DomainName`]), and **settings**: text
//!   values under a key, per [`SettingScope`] (global, a domain or a user). Removing a user or a
//!   domain removes its settings. The typed keys and the user → domain → global lookup are in
//!   [`crate::settings`].
//! - **certificate requests** ([`RequestRecord`]): pending, completed or cancelled, with the
//!   PKCS#10 and the key pair of the request (see [`crate::request`]).
//!
//! ```
//! use hermes_pki::store::{MemoryStore, Store, StoreExt};
//!
//! let store: Box<dyn Store> = Box::new(MemoryStore::new());
//! let count = store.read_transaction(|tx| tx.count_certificates())?;
//! assert_eq!(count, 0);
//! # Ok::<(), hermes_pki::Error>(())
//! ```

mod any;
/// The storage conformance suite, for backends' tests: only with the cargo feature
/// `conformance` (the tests crate turns it on), never in a production build.
#[cfg(any(test, feature = "conformance"))]
#[doc(hidden)]
pub mod conformance;
mod copy;
mod crl_entries;
mod memory;
#[cfg(feature = "postgres")]
mod postgres;
mod records;
mod requests;
mod seal;
mod sqlite;

pub use any::{AnyStore, Create, StoreLocation, is_postgres_url, redact_url};
pub use copy::{CopyReport, copy_store, store_is_empty};
pub use crl_entries::CrlEntries;
pub(crate) use crl_entries::search_stored;
pub use memory::MemoryStore;
#[cfg(feature = "postgres")]
pub use postgres::{MAX_ATTEMPTS, PostgresStore};
pub(crate) use records::unknown_crl;
pub use records::{
    CaId, CaRecord, CrlFetchState, CrlId, CrlRecord, CrlStatus, CtlEntry, CtlStatus, DomainName,
    EmailAddress, IssuedRecord, MAX_SETTING_KEY_LEN, MAX_SETTING_VALUE_LEN, NewCa, NewCrl,
    RevokedEntry, SettingScope,
};
pub(crate) use requests::unknown_request;
pub use requests::{RequestId, RequestRecord, RequestStatus};
pub use seal::{MasterKey, MasterKeySource};
pub use sqlite::SqliteStore;

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;

use crate::cert::{Certificate, Serial, Thumbprint};
use crate::error::{Error, Result};
use crate::key::{KeyId, PrivateKey};

/// A storage backend: hands out transactions over the certificate store, the keys and the root
/// store.
///
/// Implementations must be safe to share between threads. A transaction must not start another
/// transaction on the same store from inside its closure (backends may deadlock or refuse).
pub trait Store: Send + Sync {
    /// Runs `f` in a read-write transaction.
    ///
    /// Everything `f` wrote is committed when it returns `Ok(())`. When it returns `Err`, or
    /// panics, everything it wrote is discarded and the error is returned unchanged. An error
    /// while committing is returned as [`Error::Storage`].
    ///
    /// `f` **may be called more than once**: a backend with optimistic concurrency rolls the
    /// transaction back and calls `f` again (a bounded number of times) when a concurrent
    /// transaction conflicts with it. `f` must have no effects outside the transaction: only
    /// the last call's writes are kept, and only its values may be returned.
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()>;

    /// Runs `f` with a consistent read-only view of the store.
    ///
    /// Its error is returned unchanged. Like [`transact`](Self::transact), `f` may be called
    /// more than once and must have no effects outside the view it is given.
    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()>;
}

/// Generic conveniences over any [`Store`] (including `dyn Store`): transactions that return a
/// value.
pub trait StoreExt: Store {
    /// Runs `f` in a read-write transaction and returns its value. Commits only when `f`
    /// returns `Ok`; on `Err` nothing `f` wrote is kept.
    ///
    /// `f` may be called more than once (see [`Store::transact`]): it is an `FnMut` so that a
    /// backend can retry it, and the value of the call whose writes were committed is returned.
    ///
    /// ```
    /// use hermes_pki::store::{MemoryStore, StoreExt};
    ///
    /// let store = MemoryStore::new();
    /// let r: hermes_pki::Result<()> = store.transaction(|_tx| {
    ///     Err(hermes_pki::Error::InvalidArgument("changed my mind".into()))
    /// });
    /// assert!(r.is_err());
    /// ```
    fn transaction<T>(&self, mut f: impl FnMut(&mut dyn Transaction) -> Result<T>) -> Result<T> {
        let mut out = None;
        self.transact(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(not_run)
    }

    /// Runs `f` with a read-only view and returns its value. `f` may be called more than once.
    fn read_transaction<T>(
        &self,
        mut f: impl FnMut(&dyn ReadTransaction) -> Result<T>,
    ) -> Result<T> {
        let mut out = None;
        self.read(&mut |tx| {
            out = Some(f(tx)?);
            Ok(())
        })?;
        out.ok_or_else(not_run)
    }
}

impl<S: Store + ?Sized> StoreExt for S {}

impl<S: Store + ?Sized> Store for std::sync::Arc<S> {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        (**self).transact(f)
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        (**self).read(f)
    }
}

impl<S: Store + ?Sized> Store for Box<S> {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        (**self).transact(f)
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        (**self).read(f)
    }
}

fn not_run() -> Error {
    Error::Storage("the store backend committed without running the transaction closure".into())
}

/// Makes a certificate of a stored row: (its thumbprint as stored, its DER). See
/// [`ReadTransaction::issuer_candidates`].
pub type ParseRow = dyn Fn(&[u8], &[u8]) -> Result<Certificate>;

/// The queries available in every transaction.
///
/// Lists are returned in ascending thumbprint order (byte order of the SHA-512 digest), so every
/// backend returns the same order.
pub trait ReadTransaction {
    // --- certificate store -------------------------------------------------------------------

    /// The certificate with this SHA-512 thumbprint.
    fn certificate(&self, thumbprint: &Thumbprint) -> Result<Option<Certificate>>;

    /// Every certificate whose subject Name has exactly this DER encoding
    /// ([`Certificate::subject_der`]).
    fn certificates_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>>;

    /// Every certificate with this subjectKeyIdentifier.
    fn certificates_by_subject_key_id(&self, ski: &[u8]) -> Result<Vec<Certificate>>;

    /// The certificate with this issuer Name (DER) and serial number, if stored. If several
    /// were stored (a misbehaving CA), the first in thumbprint order.
    fn certificate_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Option<Certificate>>;

    /// Every certificate with this issuer Name (DER) and serial number, in thumbprint order
    /// (more than one only from a misbehaving CA, or a look-alike sent by a stranger). The
    /// default gives what [`certificate_by_issuer_serial`](Self::certificate_by_issuer_serial)
    /// gives; the backends of this crate give them all.
    fn certificates_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Vec<Certificate>> {
        Ok(self
            .certificate_by_issuer_serial(issuer_der, serial)?
            .into_iter()
            .collect())
    }

    /// Every certificate carrying this email address (SAN rfc822Name or subject emailAddress).
    /// The address is normalised with [`crate::cert::normalize_email`] first, so the domain
    /// matches case-insensitively and the local part exactly. An address that does not
    /// normalise is [`Error::InvalidArgument`].
    fn certificates_by_email(&self, email: &str) -> Result<Vec<Certificate>>;

    /// The certificates matching `filter` (see [`CertificateFilter`]).
    fn list_certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>>;

    /// How many certificates the certificate store holds (roots not included).
    fn count_certificates(&self) -> Result<u64>;

    // --- private keys ------------------------------------------------------------------------

    /// The private key with this id, unsealed.
    fn key(&self, id: &KeyId) -> Result<Option<PrivateKey>>;

    /// Whether a private key with this id is stored.
    fn has_key(&self, id: &KeyId) -> Result<bool>;

    /// The id of every stored private key, in ascending byte order (for copying a whole
    /// store; the keys themselves come one at a time through [`key`](Self::key)).
    fn key_ids(&self) -> Result<Vec<KeyId>>;

    /// The private key of the stored certificate with this thumbprint: the key whose id is
    /// `KeyId::of_public_key_der(cert.public_key_der())`. `None` when the certificate or its
    /// key is not stored.
    fn key_for_certificate(&self, thumbprint: &Thumbprint) -> Result<Option<PrivateKey>>;

    // --- root store (trust anchors) ----------------------------------------------------------

    /// Every trust anchor, in thumbprint order.
    fn roots(&self) -> Result<Vec<Certificate>>;

    /// Whether the certificate with this thumbprint is a trust anchor.
    fn is_root(&self, thumbprint: &Thumbprint) -> Result<bool>;

    /// The trust anchors whose subject Name has exactly this DER encoding, in thumbprint
    /// order (what chain building asks for).
    fn roots_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>>;

    /// What chain building asks for an issuer name, in one query where the backend can: the
    /// trust anchors whose subject Name has exactly this DER encoding, then the certificates
    /// with it, each in thumbprint order and with whether it is a trust anchor
    /// ([`is_root`](Self::is_root)). The same as [`roots_by_subject`](Self::roots_by_subject)
    /// followed by [`certificates_by_subject`](Self::certificates_by_subject).
    ///
    /// `parse` makes a certificate of a stored row (its thumbprint as stored, its DER): the
    /// trust engine passes its cache of parsed certificates. A backend that keeps certificates
    /// parsed need not call it; one that calls it must hand it the row's own DER.
    fn issuer_candidates(
        &self,
        subject_der: &[u8],
        parse: &ParseRow,
    ) -> Result<Vec<(Certificate, bool)>> {
        let _ = parse;
        let mut out: Vec<(Certificate, bool)> = self
            .roots_by_subject(subject_der)?
            .into_iter()
            .map(|c| (c, true))
            .collect();
        let roots = out.len();
        for c in self.certificates_by_subject(subject_der)? {
            // A certificate with this subject is a root exactly when it is among the roots
            // with this subject (same thumbprint, same bytes, same subject).
            let root = out[..roots]
                .iter()
                .any(|(r, _)| r.thumbprint() == c.thumbprint());
            out.push((c, root));
        }
        Ok(out)
    }

    // --- certificate authorities -------------------------------------------------------------

    /// The CA with this id.
    fn ca(&self, id: CaId) -> Result<Option<CaRecord>>;

    /// The CA with this name, compared case-insensitively.
    fn ca_by_name(&self, name: &str) -> Result<Option<CaRecord>>;

    /// Every CA, in id order.
    fn cas(&self) -> Result<Vec<CaRecord>>;

    /// The default CA, if one is set.
    fn default_ca(&self) -> Result<Option<CaRecord>>;

    /// The record of the certificate `ca` issued with this serial number.
    fn issued(&self, ca: CaId, serial: &Serial) -> Result<Option<IssuedRecord>>;

    /// Every certificate `ca` issued, in numeric serial number order.
    fn issued_by(&self, ca: CaId) -> Result<Vec<IssuedRecord>>;

    /// How many certificates `ca` issued (records still stored).
    fn count_issued_by(&self, ca: CaId) -> Result<u64>;

    // --- Certificate Trust List --------------------------------------------------------------

    /// The trust list entry for this thumbprint.
    fn ctl_entry(&self, thumbprint: &Thumbprint) -> Result<Option<CtlEntry>>;

    /// Every trust list entry, in thumbprint order.
    fn ctl_entries(&self) -> Result<Vec<CtlEntry>>;

    /// A stored CRL's record.
    fn crl(&self, id: CrlId) -> Result<Option<CrlRecord>>;

    /// A stored CRL's DER.
    fn crl_der(&self, id: CrlId) -> Result<Option<Vec<u8>>>;

    /// Every stored CRL (valid and invalid), by id.
    fn crls(&self) -> Result<Vec<CrlRecord>>;

    /// The stored CRLs whose issuer name is `issuer_der` (exact DER), by id.
    fn crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>>;

    /// The entry for `serial` on CRL `id`, if listed: a search in the stored entries that
    /// reads a few bytes of them, not all (no CRL is parsed).
    fn crl_entry(&self, id: CrlId, serial: &Serial) -> Result<Option<RevokedEntry>>;

    /// Every entry of CRL `id`, packed as stored (empty when there is no such CRL).
    fn crl_entries(&self, id: CrlId) -> Result<CrlEntries>;

    /// The last CRL number CA `ca` used, if it made a CRL.
    fn ca_crl_number(&self, ca: CaId) -> Result<Option<u64>>;

    /// The fetch history of a distribution point URL.
    fn crl_fetch_state(&self, url: &str) -> Result<Option<CrlFetchState>>;

    /// The S/MIME capabilities (strongest first) last announced in a valid signature by the
    /// holder of this certificate, if any.
    fn smime_capabilities(&self, thumbprint: &Thumbprint) -> Result<Option<Vec<ObjectIdentifier>>>;

    // --- users, domains and settings ---------------------------------------------------------

    /// Whether this user is stored.
    fn has_user(&self, user: &EmailAddress) -> Result<bool>;

    /// Every stored user, in ascending order of the normalised address (byte order).
    fn users(&self) -> Result<Vec<EmailAddress>>;

    /// Whether this domain is stored.
    fn has_domain(&self, domain: &DomainName) -> Result<bool>;

    /// Every stored domain, in ascending order of the normalised name (byte order).
    fn domains(&self) -> Result<Vec<DomainName>>;

    /// The value stored under `key` at `scope` (nothing is inherited here: see
    /// [`crate::settings`] for the lookup). `None` when there is none, also for a user or
    /// domain that is not stored.
    fn setting(&self, scope: &SettingScope, key: &str) -> Result<Option<String>>;

    /// Every `(key, value)` stored at `scope`, in ascending key order.
    fn settings(&self, scope: &SettingScope) -> Result<Vec<(String, String)>>;

    // --- manual certificate selections of users ----------------------------------------------

    /// The thumbprints of the encryption certificates chosen by hand for this user, in
    /// thumbprint order (empty for a user that is not stored). Whether they are stored and
    /// valid is for [`crate::select`] to judge.
    fn manual_encryption_certificates(&self, user: &EmailAddress) -> Result<Vec<Thumbprint>>;

    /// The signing certificate chosen by hand for this user; `None`: automatic (also for a
    /// user that is not stored).
    fn manual_signing_certificate(&self, user: &EmailAddress) -> Result<Option<Thumbprint>>;

    // --- certificate requests and key lookups (issue 15) -------------------------------------

    /// Every stored certificate whose public key has this [`KeyId`] (SHA-256 of its
    /// SubjectPublicKeyInfo DER), in thumbprint order: which certificates a key serves.
    fn certificates_by_key(&self, key: &KeyId) -> Result<Vec<Certificate>>;

    /// The certificate request with this id.
    fn request(&self, id: RequestId) -> Result<Option<RequestRecord>>;

    /// The certificate requests with this status (every request for `None`), in id order.
    fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>>;

    /// The certificate requests whose key pair is `key` ([`RequestRecord::key_id`]), in id
    /// order.
    fn requests_by_key(&self, key: &KeyId) -> Result<Vec<RequestRecord>>;
}

/// The changes available in a read-write transaction (in addition to every query of
/// [`ReadTransaction`], which sees the transaction's own changes).
pub trait Transaction: ReadTransaction {
    // --- certificate store -------------------------------------------------------------------

    /// Adds a certificate. Idempotent on its SHA-512 thumbprint: returns `true` when it was
    /// newly inserted, `false` when it was already stored (nothing changes).
    fn put_certificate(&mut self, cert: &Certificate) -> Result<bool>;

    /// Removes a certificate (not its key, which may serve other certificates, nor a root
    /// entry for it). Returns whether it was stored.
    fn delete_certificate(&mut self, thumbprint: &Thumbprint) -> Result<bool>;

    // --- private keys ------------------------------------------------------------------------

    /// Stores a private key (a persistent backend seals it first) and returns its id.
    /// Idempotent: storing a key that is already stored changes nothing.
    fn put_key(&mut self, key: &PrivateKey) -> Result<KeyId>;

    /// Removes a private key. Returns whether it was stored.
    fn delete_key(&mut self, id: &KeyId) -> Result<bool>;

    // --- root store (trust anchors) ----------------------------------------------------------

    /// Makes a certificate a trust anchor. Returns `true` when newly added.
    fn put_root(&mut self, cert: &Certificate) -> Result<bool>;

    /// Removes a trust anchor. Returns whether it was one.
    fn delete_root(&mut self, thumbprint: &Thumbprint) -> Result<bool>;

    // --- certificate authorities -------------------------------------------------------------

    /// Adds a CA (not default) and returns the id the store assigned. Errors:
    /// [`Error::Duplicate`] when a CA of the same name (case-insensitively) exists;
    /// [`Error::NotFound`] when `parent` is not a stored CA.
    fn insert_ca(&mut self, ca: &NewCa) -> Result<CaId>;

    /// Points a CA at a new certificate (after a renewal). [`Error::NotFound`] for an unknown
    /// CA.
    fn set_ca_certificate(&mut self, id: CaId, certificate: &Thumbprint) -> Result<()>;

    /// Makes `id` the default CA and clears the flag on every other CA, in this transaction.
    /// [`Error::NotFound`] for an unknown CA.
    fn set_default_ca(&mut self, id: CaId) -> Result<()>;

    /// Removes a CA record (not its certificate, key or trust entries; the caller removes those
    /// in the same transaction). Errors: [`Error::InvalidArgument`] while issued records of the
    /// CA remain or another CA names it as parent. Returns whether it was stored.
    fn delete_ca(&mut self, id: CaId) -> Result<bool>;

    /// Records an issued certificate. [`Error::Duplicate`] when the CA already has a record
    /// with this serial number (nothing is written); [`Error::NotFound`] for an unknown CA.
    fn insert_issued(&mut self, record: &IssuedRecord) -> Result<()>;

    /// Removes the record of an issued certificate. Returns whether it was stored.
    fn delete_issued(&mut self, ca: CaId, serial: &Serial) -> Result<bool>;

    // --- Certificate Trust List --------------------------------------------------------------

    /// Adds or replaces the trust list entry for `entry.thumbprint`.
    fn put_ctl_entry(&mut self, entry: &CtlEntry) -> Result<()>;

    /// Removes the trust list entry for this thumbprint. Returns whether there was one.
    fn delete_ctl_entry(&mut self, thumbprint: &Thumbprint) -> Result<bool>;

    /// Stores a CRL with its entries ([`CrlEntries::new`] packs them). A CRL with the same
    /// SHA-256 already stored: [`Error::Duplicate`].
    fn insert_crl(&mut self, crl: &NewCrl, entries: &CrlEntries) -> Result<CrlId>;

    /// Deletes a stored CRL and its entries; `false` if there was none.
    fn delete_crl(&mut self, id: CrlId) -> Result<bool>;

    /// Records the last CRL number CA `ca` used. It must be greater than the one recorded
    /// ([`Error::InvalidArgument`] otherwise): CRL numbers only grow. Unknown CA:
    /// [`Error::NotFound`].
    fn set_ca_crl_number(&mut self, ca: CaId, number: u64) -> Result<()>;

    /// Records a distribution point's fetch history (replacing the previous one).
    fn put_crl_fetch_state(&mut self, state: &CrlFetchState) -> Result<()>;

    /// Records the S/MIME capabilities a certificate's holder announced (replacing earlier
    /// ones). The certificate need not be stored.
    fn put_smime_capabilities(
        &mut self,
        thumbprint: &Thumbprint,
        oids: &[ObjectIdentifier],
    ) -> Result<()>;

    // --- users, domains and settings ---------------------------------------------------------

    /// Adds a user. Returns `true` when newly added, `false` when already stored.
    fn put_user(&mut self, user: &EmailAddress) -> Result<bool>;

    /// Removes a user, every setting stored for it and its manual certificate selections.
    /// Returns whether it was stored.
    fn delete_user(&mut self, user: &EmailAddress) -> Result<bool>;

    /// Adds a domain. Returns `true` when newly added, `false` when already stored.
    fn put_domain(&mut self, domain: &DomainName) -> Result<bool>;

    /// Removes a domain and every setting stored for it (not the users whose addresses are in
    /// the domain). Returns whether it was stored.
    fn delete_domain(&mut self, domain: &DomainName) -> Result<bool>;

    /// Stores `value` under `key` at `scope`, replacing the value there. Errors:
    /// [`Error::NotFound`] for a user or domain that is not stored; [`Error::InvalidArgument`]
    /// for a key that is not lower-case letters, digits and `-` (at most
    /// [`MAX_SETTING_KEY_LEN`]), or a value longer than [`MAX_SETTING_VALUE_LEN`] bytes or
    /// with control characters. Values are not interpreted here.
    fn put_setting(&mut self, scope: &SettingScope, key: &str, value: &str) -> Result<()>;

    /// Removes the value under `key` at `scope`. Returns whether there was one.
    fn delete_setting(&mut self, scope: &SettingScope, key: &str) -> Result<bool>;

    // --- manual certificate selections of users ----------------------------------------------

    /// Adds a certificate to the user's manually chosen encryption certificates. Returns
    /// `true` when newly added. [`Error::NotFound`] for a user that is not stored. The
    /// certificate need not be stored (selection judges it each time).
    fn put_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool>;

    /// Removes a certificate from the user's manually chosen encryption certificates. Returns
    /// whether it was chosen.
    fn delete_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool>;

    /// Sets (`Some`) or clears (`None`: back to automatic) the user's manually chosen signing
    /// certificate. Returns whether anything changed. [`Error::NotFound`] when setting one for
    /// a user that is not stored; clearing for an unknown user changes nothing.
    fn set_manual_signing_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: Option<&Thumbprint>,
    ) -> Result<bool>;

    // --- certificate requests (issue 15) ----------------------------------------------------

    /// Stores a new certificate request and returns the id the store assigned (the record's
    /// `id` is ignored). Ids are never reused.
    fn insert_request(&mut self, request: &RequestRecord) -> Result<RequestId>;

    /// Replaces the stored request `request.id` with `request`. [`Error::NotFound`] for an
    /// unknown id.
    fn update_request(&mut self, request: &RequestRecord) -> Result<()>;

    /// Removes a request. Returns whether it was stored.
    fn delete_request(&mut self, id: RequestId) -> Result<bool>;
}

/// Which certificates to list by expiry, relative to a time the caller passes.
///
/// A certificate is *expired* at `t` when its notAfter is before `t`, compared to the second.
/// A certificate that is not yet valid counts as unexpired.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ExpiryFilter {
    /// Expired or not.
    #[default]
    All,
    /// Only certificates not expired at this time.
    Unexpired(SystemTime),
    /// Only certificates expired at this time.
    Expired(SystemTime),
}

impl ExpiryFilter {
    /// Whether a certificate with this notAfter passes the filter.
    pub fn accepts(&self, not_after: SystemTime) -> bool {
        let na = crate::time::unix_seconds(not_after);
        match self {
            ExpiryFilter::All => true,
            ExpiryFilter::Unexpired(t) => na >= crate::time::unix_seconds(*t),
            ExpiryFilter::Expired(t) => na < crate::time::unix_seconds(*t),
        }
    }
}

/// What [`ReadTransaction::list_certificates`] returns: the filters of an admin UI, and paging.
///
/// ```
/// use std::time::SystemTime;
/// use hermes_pki::store::CertificateFilter;
///
/// let filter = CertificateFilter::new()
///     .email("alice@example.com")
///     .unexpired_at(SystemTime::UNIX_EPOCH)
///     .with_key(true)
///     .limit(50);
/// assert_eq!(filter.get_limit(), Some(50));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CertificateFilter {
    email: Option<String>,
    expiry: ExpiryFilter,
    with_key: Option<bool>,
    offset: u64,
    limit: Option<u64>,
}

impl CertificateFilter {
    /// Everything.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only certificates with this email address (normalised when the query runs, as in
    /// [`ReadTransaction::certificates_by_email`]).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The expiry filter.
    pub fn expiry(mut self, expiry: ExpiryFilter) -> Self {
        self.expiry = expiry;
        self
    }

    /// Only certificates not expired at `t`.
    pub fn unexpired_at(self, t: SystemTime) -> Self {
        self.expiry(ExpiryFilter::Unexpired(t))
    }

    /// Only certificates expired at `t`.
    pub fn expired_at(self, t: SystemTime) -> Self {
        self.expiry(ExpiryFilter::Expired(t))
    }

    /// `true`: only certificates whose private key is stored; `false`: only those without.
    pub fn with_key(mut self, with_key: bool) -> Self {
        self.with_key = Some(with_key);
        self
    }

    /// Skips the first `offset` matches (in thumbprint order).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Returns at most `limit` matches.
    pub fn limit(mut self, limit: u64) -> Self {
        self.limit = Some(limit);
        self
    }

    /// The email filter, as given.
    pub fn get_email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The expiry filter.
    pub fn get_expiry(&self) -> ExpiryFilter {
        self.expiry
    }

    /// The private-key filter.
    pub fn get_with_key(&self) -> Option<bool> {
        self.with_key
    }

    /// The number of matches skipped.
    pub fn get_offset(&self) -> u64 {
        self.offset
    }

    /// The maximum number of matches returned.
    pub fn get_limit(&self) -> Option<u64> {
        self.limit
    }

    /// The email filter normalised, or the error for an address that does not normalise.
    pub(crate) fn normalized_email(&self) -> Result<Option<String>> {
        self.email.as_deref().map(normalize_query_email).transpose()
    }
}

/// Normalises an email address given to a query.
/// The stored form of a list of S/MIME capabilities: dotted OIDs separated by spaces (both SQL
/// backends keep it in one TEXT column).
pub(crate) fn capabilities_to_text(oids: &[ObjectIdentifier]) -> String {
    oids.iter()
        .map(ObjectIdentifier::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a list written by [`capabilities_to_text`].
pub(crate) fn capabilities_from_text(text: &str) -> Result<Vec<ObjectIdentifier>> {
    text.split_whitespace()
        .map(|o| {
            ObjectIdentifier::new(o).map_err(|_| {
                Error::Storage(format!("a stored S/MIME capability is not an OID: {o:?}"))
            })
        })
        .collect()
}

pub(crate) fn normalize_query_email(email: &str) -> Result<String> {
    crate::cert::normalize_email(email).map_err(|e| match e {
        Error::InvalidArgument(m) => Error::InvalidArgument(m),
        other => Error::InvalidArgument(format!("not a usable email address: {other}")),
    })
}
