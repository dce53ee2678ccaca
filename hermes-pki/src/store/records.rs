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
