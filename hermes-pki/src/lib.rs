//! # hermes-pki
//!
//! The certificate and S/MIME engine of an email encryption gateway, as a library: run your own
//! certificate authority, keep a store of certificates, keys and trust decisions, and sign,
//! encrypt, decrypt and verify S/MIME mail.
//!
//! The modules, in the layers of `DESIGN.md` (each uses only those below it):
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | facade | [`pki`] | [`pki::Pki`]: one object over a store, what the CLI and bindings hold |
//! | operations | [`smime`], [`select`], [`ca`], [`request`], [`bundle`], [`lifecycle`] | S/MIME sign, verify, encrypt, decrypt over a store; which certificates encrypt to a recipient and which one signs for a sender; the internal CA and its CRLs; certificate requests (built-in, PKCS#10 both ways, external handlers, bulk CSV, PKCS#12 delivery); certificate + key + chain as PKCS#12 in and out of a store; deleting certificates and trust anchors, attaching and exporting keys |
//! | trust | [`trust`], [`crl`] | chain building and RFC 5280 path validation with the profile rules as warnings or (strict) reasons, the trust list, the work budget; CRLs imported, kept pending until their issuer is known, checked with distribution points, delta and indirect CRLs, fetched |
//! | storage and keys | [`store`], [`settings`], [`key`], [`pkcs12`] | the storage traits with memory and SQLite backends, keys sealed at rest; users, domains and typed settings looked up user → domain → global; private keys and the [`key::Signer`] / [`key::Decryptor`] traits; PKCS#12 parsing and building |
//! | foundation | [`cert`], [`ber`], [`error`], [`time`] | parsed X.509 certificates (thumbprints, emails, usages, DSA, dates before 1970) and their loaders; the bounded BER-to-DER converter; the one [`Error`] with a stable [`ErrorKind`]; the [`time::Clock`] every time-dependent operation takes |
//!
//! A verdict is an answer, not an error: a certificate that does not validate is
//! [`trust::Validation::Invalid`] with typed [`trust::Reason`]s, a signature that does not
//! verify is a [`smime::SignatureStatus`]; `Err` is for input that cannot be processed at all
//! and for failures of the store.
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
pub mod lifecycle;
pub mod pkcs12;
pub mod pki;
pub mod request;
pub mod select;
pub mod settings;
pub mod smime;
pub mod store;
pub mod time;
pub(crate) mod tlv;
pub mod trust;

pub use error::{Error, ErrorKind, Result};

/// The version of this library, as in `Cargo.toml`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
