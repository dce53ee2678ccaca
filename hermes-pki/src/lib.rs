//! # hermes-pki
//!
//! The certificate and S/MIME engine of an email encryption gateway, as a library: run your own
//! certificate authority, keep a store of certificates, keys and trust decisions, and sign,
//! encrypt, decrypt and verify S/MIME mail.
//!
//! This release provides the foundation layers:
//!
//! - [`cert`]: parsed X.509 certificates with thumbprints, email addresses, usages, and loaders
//!   for PEM, DER and PKCS#7 (`.p7b`) bundles;
//! - [`key`]: private keys (RSA, ECDSA P-256/P-384, Ed25519): generation, PKCS#8 and PKCS#1
//!   import/export, password-protected PKCS#8, and the [`key::Signer`] / [`key::Decryptor`]
//!   traits;
//! - [`store`]: the storage traits with an in-memory and an embedded SQLite backend, private keys
//!   sealed at rest under a master key;
//! - [`settings`]: users, domains and typed settings (sign, encrypt, escrow certificates,
//!   cipher, revocation, ...) looked up user → domain → global, each answer with its source;
//! - [`error`]: the one error type, [`Error`], with a stable [`ErrorKind`];
//! - [`time`]: the [`time::Clock`] that every time-dependent operation takes as a parameter.
//!
//! ```
//! use hermes_pki::cert::load_certificates;
//!
//! let loaded = load_certificates(b"not a certificate");
//! assert!(loaded.certificates.is_empty());
//! assert_eq!(loaded.problems.len(), 1);
//! ```
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

pub mod ber;
pub mod bundle;
pub mod ca;
pub mod cert;
pub mod crl;
pub mod error;
pub mod key;
pub mod pkcs12;
pub mod select;
pub mod settings;
pub mod smime;
pub mod store;
pub mod time;
pub mod trust;

pub use error::{Error, ErrorKind, Result};

/// The version of this library, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
