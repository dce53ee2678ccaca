//! The one error type of the library.
//!
//! Every fallible operation returns [`Result<T>`]. Each [`Error`] has a [`kind`](Error::kind) that
//! callers (and the Python / FFI bindings) match on, and a message that says what was wrong and,
//! where it helps, what to do. Messages never contain secret material (keys, passwords,
//! plaintext).

use std::fmt;

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Broad category of an [`Error`], stable across releases; bindings map each to an exception
/// class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// Input could not be parsed (malformed DER/PEM, wrong PEM label, truncated data).
    Parse,
    /// The input is well-formed but uses an algorithm or feature this library does not support.
    Unsupported,
    /// A key or algorithm is too weak to be accepted (RSA below 2048 bits, SHA-1 for new
    /// signatures).
    Weak,
    /// A private key does not belong to the certificate it was given with.
    KeyMismatch,
    /// A password or passphrase is wrong, or the protected data was altered.
    BadPassword,
    /// Input asks for more work or memory than the configured limits allow.
    LimitExceeded,
    /// A cryptographic operation failed (signing, key generation, decryption of sealed data).
    Crypto,
    /// The requested object does not exist.
    NotFound,
    /// The object already exists where it must be unique.
    Duplicate,
    /// The storage backend failed (database error, corrupt store, schema newer than this
    /// library).
    Storage,
    /// Reading or writing a file failed.
    Io,
    /// An argument is out of its allowed range.
    InvalidArgument,
    /// A private key could not be read (not a key, or a format this library does not read).
    InvalidKey,
    /// A certificate that must be a CA (basicConstraints cA TRUE) is not one.
    NotCa,
    /// The operation is disabled by the caller's configuration.
    NotPermitted,
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = match self {
            ErrorKind::Parse => "parse",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::Weak => "weak",
            ErrorKind::KeyMismatch => "key-mismatch",
            ErrorKind::BadPassword => "bad-password",
            ErrorKind::LimitExceeded => "limit-exceeded",
            ErrorKind::Crypto => "crypto",
            ErrorKind::NotFound => "not-found",
            ErrorKind::Duplicate => "duplicate",
            ErrorKind::Storage => "storage",
            ErrorKind::Io => "io",
            ErrorKind::InvalidArgument => "invalid-argument",
            ErrorKind::InvalidKey => "invalid-key",
            ErrorKind::NotCa => "not-ca",
            ErrorKind::NotPermitted => "not-permitted",
        };
        f.write_str(s)
    }
}

/// The error type of every fallible operation in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Input is not well-formed `what` (a certificate, a key, a PEM block, ...).
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// What was wrong with it (never contains secret material).
        detail: String,
    },
    /// A PEM block had a label other than the one(s) expected.
    #[error("unexpected PEM block \"{label}\": expected {expected}")]
    UnexpectedPemLabel {
        /// The label found, e.g. `PRIVATE KEY`.
        label: String,
        /// What was expected, e.g. `CERTIFICATE`.
        expected: &'static str,
    },
    /// The input held nothing of the kind asked for.
    #[error("no {what} found in the input")]
    Empty {
        /// What was looked for.
        what: &'static str,
    },
    /// An algorithm or feature is not supported.
    #[error("unsupported {what}: {detail}")]
    Unsupported {
        /// The kind of thing (algorithm, key type, extension, ...).
        what: &'static str,
        /// Which one, and what is supported instead.
        detail: String,
    },
    /// A key size or algorithm is too weak to be accepted.
    #[error("too weak: {0}")]
    Weak(String),
    /// The private key does not match the certificate's public key.
    #[error("the private key does not match the certificate (their public keys differ)")]
    KeyMismatch,
    /// Wrong password or passphrase, or tampered protected data.
    #[error("wrong password, or the protected data has been altered")]
    BadPassword,
    /// The master key given to open a store (provided key, key file or passphrase) is not the
    /// one the store was created with.
    #[error("the master key does not belong to this store: {0}")]
    WrongMasterKey(String),
    /// A resource limit was hit (KDF work, input size, item count).
    #[error("limit exceeded: {0}")]
    LimitExceeded(String),
    /// A cryptographic operation failed.
    #[error("cryptographic operation failed: {0}")]
    Crypto(String),
    /// The object asked for does not exist.
    #[error("not found: {0}")]
    NotFound(String),
    /// The object already exists.
    #[error("already exists: {0}")]
    Duplicate(String),
    /// The storage backend failed.
    #[error("storage error: {0}")]
    Storage(String),
    /// A file operation failed.
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done ("cannot read", "cannot create", ...).
        action: &'static str,
        /// The path concerned.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// An argument is out of range.
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// A private key given to the library could not be read.
    #[error("the private key could not be read: {0}")]
    InvalidKey(String),
    /// A certificate given as a CA is not a CA.
    #[error("not a CA certificate: {0}")]
    NotCa(String),
    /// The operation is disabled by configuration; the message says how to enable it.
    #[error("not permitted: {0}")]
    NotPermitted(String),
}

impl Error {
    /// The broad category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Malformed { .. } | Error::UnexpectedPemLabel { .. } | Error::Empty { .. } => {
                ErrorKind::Parse
            }
            Error::Unsupported { .. } => ErrorKind::Unsupported,
            Error::Weak(_) => ErrorKind::Weak,
            Error::KeyMismatch => ErrorKind::KeyMismatch,
            Error::BadPassword | Error::WrongMasterKey(_) => ErrorKind::BadPassword,
            Error::LimitExceeded(_) => ErrorKind::LimitExceeded,
            Error::Crypto(_) => ErrorKind::Crypto,
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::Duplicate(_) => ErrorKind::Duplicate,
            Error::Storage(_) => ErrorKind::Storage,
            Error::Io { .. } => ErrorKind::Io,
            Error::InvalidArgument(_) => ErrorKind::InvalidArgument,
            Error::InvalidKey(_) => ErrorKind::InvalidKey,
            Error::NotCa(_) => ErrorKind::NotCa,
            Error::NotPermitted(_) => ErrorKind::NotPermitted,
        }
    }

    /// Shorthand for [`Error::Malformed`].
    pub(crate) fn malformed(what: &'static str, detail: impl fmt::Display) -> Self {
        Error::Malformed {
            what,
            detail: detail.to_string(),
        }
    }

    /// Shorthand for [`Error::Unsupported`].
    pub(crate) fn unsupported(what: &'static str, detail: impl fmt::Display) -> Self {
        Error::Unsupported {
            what,
            detail: detail.to_string(),
        }
    }

    /// Shorthand for [`Error::Io`].
    pub(crate) fn io(action: &'static str, path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Io {
            action,
            path: path.display().to_string(),
            source,
        }
    }
}

#[cfg(test)]
mod tests;
