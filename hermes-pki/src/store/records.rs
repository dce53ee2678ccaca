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

/// A user's email address, normalised as the certificate store normalises addresses
/// ([`crate::cert::normalize_email`]): the local part exactly as given, the domain lower-case
/// with an IDN domain in its A-label (punycode) form. Users are keyed by it.
///
/// ```
/// use hermes_pki::store::EmailAddress;
///
/// let a: EmailAddress = " Alice@Bücher.EXAMPLE ".parse()?;
/// assert_eq!(a.as_str(), "Alice@xn--bcher-kva.example");
/// assert_eq!(a.domain().as_str(), "xn--bcher-kva.example");
/// assert!("not an address".parse::<EmailAddress>().is_err());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// Normalises `addr`. [`Error::InvalidArgument`] for an address without exactly one `@`,
    /// with an empty or spaced local part, or with an invalid domain.
    pub fn new(addr: &str) -> Result<Self> {
        let normalized = super::normalize_query_email(addr)?;
        if normalized.len() > MAX_NAME_LEN {
            return Err(Error::InvalidArgument(format!(
                "email address {addr:?} is longer than {MAX_NAME_LEN} bytes"
            )));
        }
        Ok(EmailAddress(normalized))
    }

    /// The normalised address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part: the user's domain, whose settings the user inherits.
    pub fn domain(&self) -> DomainName {
        let domain = self.0.rsplit_once('@').map_or("", |(_, d)| d);
        DomainName(strip_root_dot(domain).to_string())
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for EmailAddress {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        EmailAddress::new(s)
    }
}

/// A mail domain name, normalised as the domain part of an [`EmailAddress`]: lower-case, an IDN
/// in its A-label (punycode) form, without a trailing root dot. Domains are keyed by it.
///
/// ```
/// use hermes_pki::store::DomainName;
///
/// let d: DomainName = "Bücher.Example.".parse()?;
/// assert_eq!(d.as_str(), "xn--bcher-kva.example");
/// assert!("alice@example.com".parse::<DomainName>().is_err());
/// assert!("not a domain!".parse::<DomainName>().is_err());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DomainName(String);

impl DomainName {
    /// Normalises `name`. [`Error::InvalidArgument`] for an empty name, a name with `@` (an
    /// email address), or one that is not a valid domain name.
    pub fn new(name: &str) -> Result<Self> {
        let trimmed = name.trim();
        let invalid = |why: &str| Error::InvalidArgument(format!("domain name {name:?}: {why}"));
        if trimmed.is_empty() {
            return Err(invalid("it is empty"));
        }
        if trimmed.contains('@') {
            return Err(invalid(
                "it contains @; give the domain alone, such as example.com",
            ));
        }
        // The domain is normalised exactly as the domain part of an email address.
        let normalized = crate::cert::normalize_email(&format!("postmaster@{trimmed}"))
            .map_err(|_| invalid("it is not a valid domain name"))?;
        let domain = normalized.rsplit_once('@').map_or("", |(_, d)| d);
        let domain = strip_root_dot(domain);
        if domain.is_empty() || domain.len() > MAX_NAME_LEN {
            return Err(invalid("it is not a valid domain name"));
        }
        Ok(DomainName(domain.to_string()))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for DomainName {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        DomainName::new(s)
    }
}

/// The longest email address or domain name kept (RFC 5321 allows 254 bytes for a path).
const MAX_NAME_LEN: usize = 320;

/// `example.com.` is `example.com`.
fn strip_root_dot(domain: &str) -> &str {
    domain.strip_suffix('.').unwrap_or(domain)
}

/// Where a setting is stored: for everyone, for a domain, or for one user. A lookup goes from
/// the user to the user's domain to global (see [`crate::settings`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SettingScope {
    /// The store-wide settings.
    Global,
    /// The settings of a domain.
    Domain(DomainName),
    /// The settings of a user.
    User(EmailAddress),
}

impl SettingScope {
    /// The scope of a user, from an address as typed (normalised; see [`EmailAddress::new`]).
    pub fn user(email: &str) -> Result<Self> {
        Ok(SettingScope::User(EmailAddress::new(email)?))
    }

    /// The scope of a domain, from a name as typed (normalised; see [`DomainName::new`]).
    pub fn domain(name: &str) -> Result<Self> {
        Ok(SettingScope::Domain(DomainName::new(name)?))
    }

    /// `"global"`, `"domain"` or `"user"`.
    pub fn level(&self) -> &'static str {
        match self {
            SettingScope::Global => "global",
            SettingScope::Domain(_) => "domain",
            SettingScope::User(_) => "user",
        }
    }

    /// The domain name or email address; `None` for global.
    pub fn name(&self) -> Option<&str> {
        match self {
            SettingScope::Global => None,
            SettingScope::Domain(d) => Some(d.as_str()),
            SettingScope::User(u) => Some(u.as_str()),
        }
    }
}

impl fmt::Display for SettingScope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingScope::Global => f.write_str("global"),
            SettingScope::Domain(d) => write!(f, "domain {d}"),
            SettingScope::User(u) => write!(f, "user {u}"),
        }
    }
}

/// The longest setting key the store keeps.
pub const MAX_SETTING_KEY_LEN: usize = 64;
/// The longest setting value the store keeps, in bytes (a list of hundreds of thumbprints).
pub const MAX_SETTING_VALUE_LEN: usize = 64 * 1024;

/// A setting key as the store keeps it: 1 to [`MAX_SETTING_KEY_LEN`] characters `a-z`, `0-9`
/// and `-`, starting with a letter.
pub(crate) fn check_setting_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= MAX_SETTING_KEY_LEN
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "{key:?} is not a setting key: lower-case letters, digits and '-', starting with a \
             letter, at most {MAX_SETTING_KEY_LEN} characters"
        )))
    }
}

/// A setting value as the store keeps it: at most [`MAX_SETTING_VALUE_LEN`] bytes, no control
/// characters.
pub(crate) fn check_setting_value(key: &str, value: &str) -> Result<()> {
    if value.len() > MAX_SETTING_VALUE_LEN {
        return Err(Error::InvalidArgument(format!(
            "the value of setting {key} is longer than {MAX_SETTING_VALUE_LEN} bytes"
        )));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::InvalidArgument(format!(
            "the value of setting {key} contains control characters"
        )));
    }
    Ok(())
}

/// The error for a setting on a user or domain the store does not know.
pub(crate) fn unknown_scope(scope: &SettingScope) -> Error {
    Error::NotFound(format!("no {scope} in the store; add it first"))
}
