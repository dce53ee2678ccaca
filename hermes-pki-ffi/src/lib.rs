//! UniFFI bindings of hermes-pki: Swift, Kotlin, Python and a C header, generated from this
//! library by `uniffi-bindgen` (see the `uniffi-bindgen` binary of this crate).
//!
//! This crate is thin on purpose: it converts types and maps errors. Every operation is the core
//! crate's; nothing here re-implements PKI logic.
//!
//! Exposed: the library [`version`], certificate parsing ([`Certificate`]) and loading of
//! certificate files and bundles ([`load_certificates`]), and the core's facade [`Pki`] over a
//! store: CAs, issuing, certificates, validation with the typed verdict ([`Validation`]), trust
//! anchors and the trust list, CRLs, users, domains, settings, selection, PKCS#12, and the
//! gateway's two operations, [`Pki::protect`] and [`Pki::open_message`] with their per-recipient
//! and per-signer results.

use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::cert;

uniffi::setup_scaffolding!();

mod facade;
mod requests;
mod verdicts;

pub use facade::*;
pub use requests::*;
pub use verdicts::*;

/// The version of the hermes-pki library.
#[uniffi::export]
pub fn version() -> String {
    hermes_pki::VERSION.to_owned()
}

/// The broad category of an error, as `hermes_pki::ErrorKind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ErrorKind {
    /// Input could not be parsed (malformed DER/PEM, wrong PEM label, truncated data).
    Parse,
    /// Well-formed input that uses an algorithm or feature that is not supported.
    Unsupported,
    /// A key or algorithm too weak to be accepted.
    Weak,
    /// A private key does not belong to the certificate it was given with.
    KeyMismatch,
    /// Wrong password or passphrase, or the protected data was altered.
    BadPassword,
    /// The input asks for more work or memory than the limits allow.
    LimitExceeded,
    /// A cryptographic operation failed.
    Crypto,
    /// The requested object does not exist.
    NotFound,
    /// The object already exists where it must be unique.
    Duplicate,
    /// The storage backend failed.
    Storage,
    /// Reading or writing a file failed.
    Io,
    /// An argument is out of its allowed range.
    InvalidArgument,
    /// A private key that cannot be used (unreadable, wrong type).
    InvalidKey,
    /// A certificate that must be a CA is not one.
    NotCa,
    /// The operation is not permitted (for example: encryption required but impossible).
    NotPermitted,
    /// A kind this version of the bindings does not know yet.
    Other,
}

impl From<hermes_pki::ErrorKind> for ErrorKind {
    fn from(kind: hermes_pki::ErrorKind) -> Self {
        use hermes_pki::ErrorKind as K;
        match kind {
            K::Parse => ErrorKind::Parse,
            K::Unsupported => ErrorKind::Unsupported,
            K::Weak => ErrorKind::Weak,
            K::KeyMismatch => ErrorKind::KeyMismatch,
            K::BadPassword => ErrorKind::BadPassword,
            K::LimitExceeded => ErrorKind::LimitExceeded,
            K::Crypto => ErrorKind::Crypto,
            K::NotFound => ErrorKind::NotFound,
            K::Duplicate => ErrorKind::Duplicate,
            K::Storage => ErrorKind::Storage,
            K::Io => ErrorKind::Io,
            K::InvalidArgument => ErrorKind::InvalidArgument,
            K::InvalidKey => ErrorKind::InvalidKey,
            K::NotCa => ErrorKind::NotCa,
            K::NotPermitted => ErrorKind::NotPermitted,
            #[allow(unreachable_patterns)]
            _ => ErrorKind::Other,
        }
    }
}

/// The error of every fallible call: one variant per [`ErrorKind`], each with the library's
/// message (what was wrong and, where it helps, what to do).
///
/// Flat on the foreign side: each variant is an exception class whose message is the library's
/// message (a field named `message` would clash with Kotlin's `Throwable.message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
#[uniffi(flat_error)]
pub enum HermesError {
    /// Input could not be parsed.
    #[error("{message}")]
    Parse {
        /// The library's message.
        message: String,
    },
    /// An algorithm or feature is not supported.
    #[error("{message}")]
    Unsupported {
        /// The library's message.
        message: String,
    },
    /// A key or algorithm is too weak.
    #[error("{message}")]
    Weak {
        /// The library's message.
        message: String,
    },
    /// A private key does not match its certificate.
    #[error("{message}")]
    KeyMismatch {
        /// The library's message.
        message: String,
    },
    /// Wrong password, or tampered protected data.
    #[error("{message}")]
    BadPassword {
        /// The library's message.
        message: String,
    },
    /// A resource limit was hit.
    #[error("{message}")]
    LimitExceeded {
        /// The library's message.
        message: String,
    },
    /// A cryptographic operation failed.
    #[error("{message}")]
    Crypto {
        /// The library's message.
        message: String,
    },
    /// The object does not exist.
    #[error("{message}")]
    NotFound {
        /// The library's message.
        message: String,
    },
    /// The object already exists.
    #[error("{message}")]
    Duplicate {
        /// The library's message.
        message: String,
    },
    /// The storage backend failed.
    #[error("{message}")]
    Storage {
        /// The library's message.
        message: String,
    },
    /// A file operation failed.
    #[error("{message}")]
    Io {
        /// The library's message.
        message: String,
    },
    /// An argument is out of range.
    #[error("{message}")]
    InvalidArgument {
        /// The library's message.
        message: String,
    },
    /// An unusable private key.
    #[error("{message}")]
    InvalidKey {
        /// The library's message.
        message: String,
    },
    /// Not a CA certificate.
    #[error("{message}")]
    NotCa {
        /// The library's message.
        message: String,
    },
    /// Not permitted.
    #[error("{message}")]
    NotPermitted {
        /// The library's message.
        message: String,
    },
    /// An error of a kind this version of the bindings does not know yet.
    #[error("{message}")]
    Other {
        /// The library's message.
        message: String,
    },
}

impl HermesError {
    /// The category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HermesError::Parse { .. } => ErrorKind::Parse,
            HermesError::Unsupported { .. } => ErrorKind::Unsupported,
            HermesError::Weak { .. } => ErrorKind::Weak,
            HermesError::KeyMismatch { .. } => ErrorKind::KeyMismatch,
            HermesError::BadPassword { .. } => ErrorKind::BadPassword,
            HermesError::LimitExceeded { .. } => ErrorKind::LimitExceeded,
            HermesError::Crypto { .. } => ErrorKind::Crypto,
            HermesError::NotFound { .. } => ErrorKind::NotFound,
            HermesError::Duplicate { .. } => ErrorKind::Duplicate,
            HermesError::Storage { .. } => ErrorKind::Storage,
            HermesError::Io { .. } => ErrorKind::Io,
            HermesError::InvalidArgument { .. } => ErrorKind::InvalidArgument,
            HermesError::InvalidKey { .. } => ErrorKind::InvalidKey,
            HermesError::NotCa { .. } => ErrorKind::NotCa,
            HermesError::NotPermitted { .. } => ErrorKind::NotPermitted,
            HermesError::Other { .. } => ErrorKind::Other,
        }
    }
}

impl From<hermes_pki::Error> for HermesError {
    fn from(err: hermes_pki::Error) -> Self {
        let message = err.to_string();
        match ErrorKind::from(err.kind()) {
            ErrorKind::Parse => HermesError::Parse { message },
            ErrorKind::Unsupported => HermesError::Unsupported { message },
            ErrorKind::Weak => HermesError::Weak { message },
            ErrorKind::KeyMismatch => HermesError::KeyMismatch { message },
            ErrorKind::BadPassword => HermesError::BadPassword { message },
            ErrorKind::LimitExceeded => HermesError::LimitExceeded { message },
            ErrorKind::Crypto => HermesError::Crypto { message },
            ErrorKind::NotFound => HermesError::NotFound { message },
            ErrorKind::Duplicate => HermesError::Duplicate { message },
            ErrorKind::Storage => HermesError::Storage { message },
            ErrorKind::Io => HermesError::Io { message },
            ErrorKind::InvalidArgument => HermesError::InvalidArgument { message },
            ErrorKind::InvalidKey => HermesError::InvalidKey { message },
            ErrorKind::NotCa => HermesError::NotCa { message },
            ErrorKind::NotPermitted => HermesError::NotPermitted { message },
            ErrorKind::Other => HermesError::Other { message },
        }
    }
}

/// A parsed X.509 certificate.
///
/// Equality and hashing are by SHA-512 thumbprint (that is, by the exact DER encoding).
#[derive(Debug, uniffi::Object)]
#[uniffi::export(Debug, Display, Eq, Hash)]
pub struct Certificate {
    inner: cert::Certificate,
}

impl Certificate {
    pub(crate) fn wrap(inner: cert::Certificate) -> Arc<Self> {
        Arc::new(Certificate { inner })
    }

    /// The core crate's certificate.
    pub fn inner(&self) -> &cert::Certificate {
        &self.inner
    }
}

impl std::fmt::Display for Certificate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Certificate(subject={:?}, serial={}, sha256={})",
            self.inner.subject(),
            self.inner.serial(),
            self.inner.sha256()
        )
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.inner.thumbprint() == other.inner.thumbprint()
    }
}

impl Eq for Certificate {}

impl std::hash::Hash for Certificate {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.inner.thumbprint().hash(state);
    }
}

#[uniffi::export]
impl Certificate {
    /// Parses exactly one PEM `CERTIFICATE` block.
    #[uniffi::constructor]
    pub fn from_pem(pem: String) -> Result<Arc<Self>, HermesError> {
        Ok(Self::wrap(cert::Certificate::from_pem(&pem)?))
    }

    /// Parses one DER-encoded certificate (trailing bytes are an error).
    #[uniffi::constructor]
    pub fn from_der(der: Vec<u8>) -> Result<Arc<Self>, HermesError> {
        Ok(Self::wrap(cert::Certificate::from_der(&der)?))
    }

    /// The DER encoding, exactly as parsed.
    pub fn der(&self) -> Vec<u8> {
        self.inner.der().to_vec()
    }

    /// The PEM encoding (`-----BEGIN CERTIFICATE-----`, 64-column base64, LF line ends).
    pub fn to_pem(&self) -> String {
        self.inner.to_pem()
    }

    /// SHA-256 over the DER, upper-case hex without separators.
    pub fn sha256(&self) -> String {
        self.inner.sha256().to_hex()
    }

    /// SHA-512 over the DER, upper-case hex without separators: the certificate's identity in
    /// the store and the trust list.
    pub fn sha512(&self) -> String {
        self.inner.thumbprint().to_hex()
    }

    /// The thumbprint that identifies the certificate (SHA-512, upper-case hex).
    pub fn thumbprint(&self) -> String {
        self.inner.thumbprint().to_hex()
    }

    /// Subject as an RFC 4514 string (`CN=Alice,O=Example,C=NL`).
    pub fn subject(&self) -> String {
        self.inner.subject().to_owned()
    }

    /// Issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.inner.issuer().to_owned()
    }

    /// The serial number, upper-case hex without leading zero bytes.
    pub fn serial(&self) -> String {
        self.inner.serial().to_string()
    }

    /// notBefore.
    pub fn not_before(&self) -> SystemTime {
        self.inner.not_before()
    }

    /// notAfter.
    pub fn not_after(&self) -> SystemTime {
        self.inner.not_after()
    }

    /// notBefore in seconds since the Unix epoch (negative before 1970).
    pub fn not_before_unix(&self) -> i64 {
        hermes_pki::time::unix_seconds(self.inner.not_before())
    }

    /// notAfter in seconds since the Unix epoch.
    pub fn not_after_unix(&self) -> i64 {
        hermes_pki::time::unix_seconds(self.inner.not_after())
    }

    /// notBefore <= `at` <= notAfter.
    pub fn is_valid_at(&self, at: SystemTime) -> bool {
        self.inner.is_valid_at(at)
    }

    /// Email addresses (SAN rfc822Name and subject emailAddress), normalised, de-duplicated.
    pub fn emails(&self) -> Vec<String> {
        self.inner.emails().to_vec()
    }

    /// extendedKeyUsage OIDs (dotted), or `None` when the extension is absent.
    pub fn extended_key_usage(&self) -> Option<Vec<String>> {
        self.inner
            .extended_key_usage()
            .map(|ekus| ekus.iter().map(ToString::to_string).collect())
    }

    /// basicConstraints cA is true.
    pub fn is_ca(&self) -> bool {
        self.inner.is_ca()
    }

    /// Subject equals issuer and the signature verifies with the certificate's own key.
    pub fn is_self_signed(&self) -> bool {
        self.inner.is_self_signed()
    }
}

/// One entry of the input to [`load_certificates`] that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct LoadProblem {
    /// Where it was: "PEM block 3 (line 41)", "PKCS#7 certificate 2", "input".
    pub location: String,
    /// What kind of error it was.
    pub kind: ErrorKind,
    /// What was wrong.
    pub message: String,
}

/// What [`load_certificates`] found: the good certificates and every problem.
#[derive(Debug, uniffi::Record)]
pub struct LoadResult {
    /// Certificates that parsed, in input order (duplicates kept once).
    pub certificates: Vec<Arc<Certificate>>,
    /// Entries that did not.
    pub problems: Vec<LoadProblem>,
}

/// Loads every certificate from PEM (one or many blocks), DER, or PKCS#7 certs-only input.
/// Never fails as a whole: what could not be loaded is listed in `problems`.
#[uniffi::export]
pub fn load_certificates(input: Vec<u8>) -> LoadResult {
    cert::load_certificates(&input).into()
}

impl From<cert::LoadReport> for LoadResult {
    fn from(report: cert::LoadReport) -> Self {
        LoadResult {
            certificates: report
                .certificates
                .into_iter()
                .map(Certificate::wrap)
                .collect(),
            problems: report
                .problems
                .into_iter()
                .map(|p| LoadProblem {
                    location: p.location,
                    kind: p.error.kind().into(),
                    message: p.error.to_string(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_is_the_core_version() {
        assert_eq!(version(), hermes_pki::VERSION);
    }

    #[test]
    fn errors_keep_kind_and_message() {
        let core = hermes_pki::Error::KeyMismatch;
        let message = core.to_string();
        let err = HermesError::from(core);
        assert_eq!(err.kind(), ErrorKind::KeyMismatch);
        assert_eq!(err.to_string(), message);
    }

    #[test]
    fn garbage_is_a_parse_error_and_a_load_problem() {
        let err = Certificate::from_der(b"not a certificate".to_vec()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        let loaded = load_certificates(b"not a certificate".to_vec());
        assert!(loaded.certificates.is_empty());
        assert_eq!(loaded.problems.len(), 1);
        assert_eq!(loaded.problems[0].kind, ErrorKind::Parse);
    }
}
