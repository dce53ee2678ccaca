//! The certificate request records a store keeps (see [`crate::request`]): one row per
//! request, pending until its handler completes it or it is cancelled.

use std::fmt;
use std::time::SystemTime;

use crate::cert::Thumbprint;
use crate::error::{Error, Result};
use crate::key::KeyId;

/// The identifier of a certificate request in a store: a positive number assigned by the store
/// when the request is inserted, never reused by that store.
///
/// ```
/// use hermes_pki::store::RequestId;
///
/// let id: RequestId = "12".parse()?;
/// assert_eq!(id.get(), 12);
/// assert!("0".parse::<RequestId>().is_err());
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// A request id from its number (must be at least 1).
    pub fn new(n: u64) -> Result<Self> {
        if n == 0 {
            return Err(Error::InvalidArgument(
                "a request id is a number from 1".into(),
            ));
        }
        Ok(RequestId(n))
    }

    /// The number.
    pub fn get(self) -> u64 {
        self.0
    }

    /// The id put in a record given to
    /// [`insert_request`](super::Transaction::insert_request), which the store replaces.
    pub fn placeholder() -> Self {
        RequestId(u64::MAX)
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl std::str::FromStr for RequestId {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let n: u64 = s
            .trim()
            .parse()
            .map_err(|_| Error::InvalidArgument(format!("{s:?} is not a request id (a number)")))?;
        RequestId::new(n)
    }
}

/// Where a request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestStatus {
    /// Waiting: for an external CA's certificate, for an approval, or for the handler's next
    /// attempt.
    Pending,
    /// The certificate was issued and stored ([`RequestRecord::certificate`]).
    Completed,
    /// Cancelled; nothing more happens to it.
    Cancelled,
}

impl RequestStatus {
    /// `"pending"`, `"completed"` or `"cancelled"`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Pending => "pending",
            RequestStatus::Completed => "completed",
            RequestStatus::Cancelled => "cancelled",
        }
    }

    /// The inverse of [`as_str`](Self::as_str).
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "pending" => Ok(RequestStatus::Pending),
            "completed" => Ok(RequestStatus::Completed),
            "cancelled" => Ok(RequestStatus::Cancelled),
            other => Err(Error::InvalidArgument(format!(
                "{other:?} is not a request status (pending, completed or cancelled)"
            ))),
        }
    }
}

impl fmt::Display for RequestStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A certificate request as the store keeps it. The store does not interpret `handler`,
/// `options` or `reference`; [`crate::request`] does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// The id the store assigned (ignored by
    /// [`insert_request`](super::Transaction::insert_request)).
    pub id: RequestId,
    /// The handler's name (`built-in`, `csr`, `csr-inward`, or an external handler's).
    pub handler: String,
    /// Pending, completed or cancelled.
    pub status: RequestStatus,
    /// The email address the certificate is for (normalised).
    pub email: String,
    /// The request options in their text form ([`crate::request::RequestOptions`]).
    pub options: String,
    /// The key pair of the request, when its private key is in the store (an outward CSR).
    pub key_id: Option<KeyId>,
    /// The PKCS#10 request (DER): made here (outward) or received from a client (inward).
    pub csr: Option<Vec<u8>>,
    /// The handler's own reference (an external CA's order number, ...).
    pub reference: Option<String>,
    /// SHA-512 thumbprint of the certificate, once completed.
    pub certificate: Option<Thumbprint>,
    /// When the request was made.
    pub created: SystemTime,
    /// When it last changed.
    pub updated: SystemTime,
    /// When a driver should try the handler again (pending requests).
    pub next_attempt: SystemTime,
    /// How many times the handler was tried.
    pub attempts: u32,
    /// Why the last attempt did not complete it, if it failed.
    pub last_error: Option<String>,
}

/// The error for a request id the store does not know.
pub(crate) fn unknown_request(id: RequestId) -> Error {
    Error::NotFound(format!("no certificate request with id {id}"))
}
