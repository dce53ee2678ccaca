//! # hermes-pki
//!
//! The certificate and S/MIME engine of an email encryption gateway, as a library, in pure
//! Rust: run your own certificate authority (issue, renew, revoke, publish CRLs), keep a store
//! of certificates, private keys, CRLs, settings and trust decisions (in memory, in one SQLite
//! file, or in PostgreSQL shared by several gateway nodes), decide which certificates are valid
//! for whom (RFC 5280 path validation with the trust list and CRLs), handle certificate
//! requests, and sign, encrypt, decrypt and verify S/MIME mail. [`pki::Pki`] puts it all behind
//! one object with the gateway's two operations, `protect` (outbound) and `open` (inbound).
//!
//! ## Modules, in layers
//!
//! Each module uses only the modules of the layers below it (and, inside one layer, never two
//! modules each other); `scripts/check-layers.py` checks it in CI. From the top:
//!
//! | layer | modules | what they own |
//! |---|---|---|
//! | facade | [`pki`] | [`pki::Pki`]: one object over a store, what the CLI and the bindings hold; `protect` and `open`, and pass-throughs to the CA, CRLs, settings, S/MIME and the store |
//! | messages and requests | [`smime`], [`request`] | S/MIME sign, verify, encrypt and decrypt (CMS on bytes, MIME messages, over a store); certificate requests: built-in, PKCS#10 both ways, external handlers, bulk CSV, PKCS#12 delivery |
//! | issuance and selection | [`ca`], [`select`] | the internal CAs: create, import, renew, delete, issue, revoke and sign CRLs; which certificates encrypt to a recipient and which one signs for a sender |
//! | CRLs | [`crl`] | CRLs parsed, imported (kept pending until their issuer is known), stored and checked with distribution points, delta and indirect CRLs ([`crl::CrlChecker`]), fetched and refreshed; [`trust::Validator::new`], the validator over a store whose default checker is the store's CRLs |
//! | trust | [`trust`] | chain building and RFC 5280 path validation ([`trust::Validator`]), the profile rules as warnings or (strict) reasons, name constraints, certificate policies, the trust list, the work budget; revocation through a [`revocation::RevocationChecker`] |
//! | store operations | [`settings`], [`bundle`], [`lifecycle`] | typed settings looked up user → domain → global; certificate + key + chain as PKCS#12 in and out of a store; deleting certificates and trust anchors, attaching and exporting keys |
//! | revocation status | [`revocation`] | what trust and CRLs share: [`revocation::RevocationStatus`], [`revocation::RevocationReason`], [`revocation::RevocationMode`] (the `revocation` setting) and the [`revocation::RevocationChecker`] trait |
//! | storage | [`store`] | the storage traits and their backends (memory, SQLite, PostgreSQL with the `postgres` feature), keys sealed at rest, one conformance suite |
//! | formats | [`pkcs12`] | PKCS#12 parsing (OpenSSL, Windows, macOS, Java; legacy PBEs) and building |
//! | keys | [`key`] | private keys (generate, PKCS#8 / PKCS#1, password protection), the [`key::Signer`] / [`key::Decryptor`] traits, signature algorithm identifiers, [`key::MIN_RSA_BITS`] |
//! | certificates | [`cert`] | parsed X.509 certificates (thumbprints, emails, usages, DSA, dates before 1970) and their loaders (PEM, DER, PKCS#7) |
//! | foundation | [`error`], [`time`], [`ber`], `tlv`, `rsa_math` | the one [`Error`] with a stable [`ErrorKind`]; the [`time::Clock`] every time-dependent operation takes; the bounded BER-to-DER converter; the one small DER reader and writer (`tlv`, crate-private); fixed-width RSA arithmetic (`rsa_math`, crate-private: Montgomery multiplication, the public operation with its padding checks, used by `cert` to verify and by `key` to sign, decrypt and encrypt) |
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
pub mod revocation;
pub(crate) mod rsa_math;
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
