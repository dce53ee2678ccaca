//! The records a store keeps beside certificates and keys: certificate authorities, the
//! certificates they issued, and the Certificate Trust List.

use std::fmt;
use std::time::SystemTime;

use crate::cert::{Serial, Thumbprint};
use crate::error::{Error, Result};

/// The identifier of a certificate authority in a store: a positive number assigned by the
/// store when the CA is inserted, never reused by that store.
///
/// ```
/// use hermes_pki::store::CaId;
///
/// let id: CaId = "7".parse()?;
/// assert_eq!(id.get(), 7);
/// assert_eq!(id.to_string(), "7");
/// assert!("ca-7".parse::<CaId>().is_err());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaId(u64);

impl CaId {
    /// A CA id from its number (must be at least 1).
    pub fn new(n: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidArgument("a CA id is a number from 1".into()));
        }
        Ok(CaId(n))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for CaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for CaId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let n: u64 = s
            .trim()
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("{s:?} is not a CA id (a number)")))?;
        CaId::new(n)
    }
}

/// A certificate authority known to the store.
///
/// The CA's certificate is in the certificate store (and in the root store) under
/// [`certificate`](Self::certificate); its private key is the stored key of that certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaRecord {
    /// The id the store assigned.
    pub id: CaId,
    /// The CA's name: the common name of its certificate. Unique among the store's CAs,
    /// compared case-insensitively.
    pub name: String,
    /// SHA-512 thumbprint of the CA's current certificate (it changes when the CA is renewed).
    pub certificate: Thumbprint,
    /// The CA that issued this CA's certificate, when that CA is in the store too (the root of
    /// a root + intermediate pair). `None` for a root and for an imported CA.
    pub parent: Option<CaId>,
    /// Whether this is the default CA (at most one per store).
    pub is_default: bool,
    /// Whether the CA was imported (its key came from outside) rather than created here.
    pub imported: bool,
    /// When the CA was created or imported.
    pub created: SystemTime,
}

/// What [`Transaction::insert_ca`](super::Transaction::insert_ca) takes: a [`CaRecord`]
/// without the id (the store assigns it) and not default (see
/// [`set_default_ca`](super::Transaction::set_default_ca)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCa {
    /// See [`CaRecord::name`].
    pub name: String,
    /// See [`CaRecord::certificate`].
    pub certificate: Thumbprint,
    /// See [`CaRecord::parent`].
    pub parent: Option<CaId>,
    /// See [`CaRecord::imported`].
    pub imported: bool,
    /// See [`CaRecord::created`].
    pub created: SystemTime,
}

/// A certificate issued by one of the store's CAs. Unique per (CA, serial).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedRecord {
    /// The issuing CA.
    pub ca: CaId,
    /// The serial number.
    pub serial: Serial,
    /// The subject, RFC 4514.
    pub subject: String,
    /// The email address the certificate was issued for (normalised); `None` for a CA
    /// certificate.
    pub email: Option<String>,
    /// SHA-512 thumbprint of the issued certificate.
    pub thumbprint: Thumbprint,
    /// notBefore.
    pub not_before: SystemTime,
    /// notAfter.
    pub not_after: SystemTime,
    /// When it was issued.
    pub issued_at: SystemTime,
}

/// A trust decision on the Certificate Trust List.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CtlStatus {
    /// Trusted explicitly.
    Whitelisted,
    /// Never trusted, whatever else holds.
    Blacklisted,
}

impl CtlStatus {
    /// `"whitelisted"` or `"blacklisted"`.
    pub fn as_str(self) -> &'static str {
        match self {
            CtlStatus::Whitelisted => "whitelisted",
            CtlStatus::Blacklisted => "blacklisted",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "whitelisted" => Ok(CtlStatus::Whitelisted),
            "blacklisted" => Ok(CtlStatus::Blacklisted),
            other => Err(Error::InvalidArgument(format!(
                "{other:?} is not a trust list status (whitelisted or blacklisted)"
            ))),
        }
    }
}

/// An entry of the Certificate Trust List, keyed by the certificate's SHA-512 thumbprint (the
/// certificate itself need not be stored).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CtlEntry {
    /// SHA-512 thumbprint of the certificate.
    pub thumbprint: Thumbprint,
    /// Whitelisted or blacklisted.
    pub status: CtlStatus,
    /// For a whitelisted certificate: still trusted after it expired.
    pub allow_expired: bool,
}

impl CtlEntry {
    /// A whitelist entry (not allowing expiry).
    pub fn whitelisted(thumbprint: Thumbprint) -> Self {
        CtlEntry {
            thumbprint,
            status: CtlStatus::Whitelisted,
            allow_expired: false,
        }
    }

    /// A blacklist entry.
    pub fn blacklisted(thumbprint: Thumbprint) -> Self {
        CtlEntry {
            thumbprint,
            status: CtlStatus::Blacklisted,
            allow_expired: false,
        }
    }
}

/// The key under which CA names are compared for uniqueness.
pub(crate) fn ca_name_key(name: &str) -> String {
    name.trim().to_lowercase()
}

/// The error for a CA name that is already taken.
pub(crate) fn duplicate_ca_name(name: &str) -> Error {
    Error::Duplicate(format!(
        "a CA named {name:?} already exists; CA names (common names) must be unique"
    ))
}

/// The error for an issued serial that is already recorded for the CA.
pub(crate) fn duplicate_serial(ca: CaId, serial: &Serial) -> Error {
    Error::Duplicate(format!("CA {ca} already issued serial number {serial}"))
}

/// The error for a CA id the store does not know.
pub(crate) fn unknown_ca(id: CaId) -> Error {
    Error::NotFound(format!("no CA with id {id}"))
}

/// The identifier of a stored CRL: a positive number assigned by the store, never reused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CrlId(u64);

impl CrlId {
    /// A CRL id from its number (must be at least 1).
    pub fn new(n: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidArgument("a CRL id is a number from 1".into()));
        }
        Ok(CrlId(n))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id put in a [`NewCrl`]'s record, which the store replaces.
    pub(crate) fn placeholder() -> Self {
        CrlId(u64::MAX)
    }
}

impl fmt::Display for CrlId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for CrlId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let n: u64 = s
            .trim()
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("{s:?} is not a CRL id (a number)")))?;
        CrlId::new(n)
    }
}

/// What a stored CRL is good for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CrlStatus {
    /// Signed by its issuer, whose certificate chains to a trust anchor and may sign CRLs; used
    /// for revocation checking.
    Valid,
    /// Kept to be shown, never used: the reason, as an admin reads it.
    Invalid(String),
}

impl CrlStatus {
    /// Whether the CRL is used for revocation checking.
    pub fn is_valid(&self) -> bool {
        matches!(self, CrlStatus::Valid)
    }
}

/// A CRL in the store: what was read from it and what import decided. The DER itself is read
/// with [`ReadTransaction::crl_der`](super::ReadTransaction::crl_der), the revoked serials with
/// [`ReadTransaction::crl_entry`](super::ReadTransaction::crl_entry).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlRecord {
    /// The id the store assigned.
    pub id: CrlId,
    /// SHA-256 of the DER: the same CRL is stored once.
    pub sha256: [u8; 32],
    /// The issuer name, RFC 4514.
    pub issuer: String,
    /// The issuer name, DER (compared with certificates' issuer names).
    pub issuer_der: Vec<u8>,
    /// cRLNumber (big-endian magnitude), if present.
    pub number: Option<Vec<u8>>,
    /// For a delta CRL, the BaseCRLNumber of its deltaCRLIndicator.
    pub delta_base: Option<Vec<u8>>,
    /// DER of the issuingDistributionPoint extension value; empty when absent (full scope).
    pub scope: Vec<u8>,
    /// thisUpdate.
    pub this_update: SystemTime,
    /// nextUpdate, if present.
    pub next_update: Option<SystemTime>,
    /// For a valid CRL: the key that verified its signature (SHA-256 of the issuer's
    /// SubjectPublicKeyInfo). A CRL applies only to certificates issued under that key.
    pub signer_key: Option<crate::key::KeyId>,
    /// Valid or invalid (with the reason).
    pub status: CrlStatus,
    /// Number of revoked-certificate entries.
    pub entries: u64,
    /// Where it came from (a file name or URL), for display.
    pub source: Option<String>,
    /// When it was stored.
    pub stored_at: SystemTime,
}

/// What [`Transaction::insert_crl`](super::Transaction::insert_crl) takes: a [`CrlRecord`]
/// without the id, and the DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCrl {
    /// The record (its `id` is ignored; the store assigns one).
    pub record: CrlRecord,
    /// The CRL, DER.
    pub der: Vec<u8>,
}

/// One revoked certificate on a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedEntry {
    /// Its serial number.
    pub serial: Serial,
    /// revocationDate.
    pub date: SystemTime,
    /// The CRLReason code (RFC 5280 5.3.1), if the entry has one.
    pub reason: Option<u8>,
}

/// The fetch history of one CRL distribution point URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlFetchState {
    /// The URL.
    pub url: String,
    /// When it was last tried.
    pub last_attempt: SystemTime,
    /// When a fetch last produced a valid CRL.
    pub last_success: Option<SystemTime>,
    /// Why the last attempt failed; `None` when it succeeded.
    pub last_error: Option<String>,
}

/// The error for a CRL id the store does not know.
pub(crate) fn unknown_crl(id: CrlId) -> Error {
    Error::NotFound(format!("no CRL with id {id}"))
}

/// The error for a CRL that is already stored.
pub(crate) fn duplicate_crl() -> Error {
    Error::Duplicate("this CRL is already stored".into())
}

/// The error for a serial listed twice on one CRL.
pub(crate) fn duplicate_crl_entry(serial: &Serial) -> Error {
    Error::InvalidArgument(format!("serial number {serial} is listed twice on the CRL"))
}

/// CRL numbers only grow.
pub(crate) fn check_crl_number(ca: CaId, old: Option<u64>, new: u64) -> Result<()> {
    match old {
        Some(o) if new <= o => Err(Error::InvalidArgument(format!(
            "CRL number {new} for CA {ca} is not greater than its last CRL number {o}"
        ))),
        _ => Ok(()),
    }
}
