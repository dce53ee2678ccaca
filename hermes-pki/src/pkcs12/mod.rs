//! PKCS#12 (`.p12` / `.pfx`): import and export of a certificate, its key and chain.
//!
//! **Import** ([`import`], [`import_with_limits`]) reads what OpenSSL 3, OpenSSL 1.x, Windows,
//! macOS and Java write:
//!
//! - encryption: PBES2 (PBKDF2 with HMAC-SHA-1/224/256/384/512, or scrypt; AES-128/192/256-CBC
//!   or DES-EDE3-CBC), and the PKCS#12 PBEs `pbeWithSHAAnd3-KeyTripleDES-CBC`,
//!   `pbeWithSHAAnd2-KeyTripleDES-CBC`, `pbeWithSHAAnd128BitRC2-CBC` and
//!   `pbeWithSHAAnd40BitRC2-CBC` (`openssl pkcs12 -legacy`, older Windows);
//! - integrity: the HMAC with SHA-1 or SHA-2 keyed through the PKCS#12 KDF, or no MAC at all
//!   (`openssl pkcs12 -nomac`; see [`Pkcs12Contents::mac_verified`]);
//! - unencrypted certificate safes and plain `keyBag`s; nested `safeContentsBag`s;
//! - BER with indefinite lengths and constructed OCTET STRINGs, as Windows writes it;
//! - passwords: the BMPString encoding of RFC 7292 for the PKCS#12 KDF, the UTF-8 bytes for
//!   PBES2, and for an empty password both "empty" and "absent" (as OpenSSL tries them).
//!
//! Not supported ([`crate::Error::Unsupported`]): public-key integrity and privacy modes
//! (signedData / envelopedData), RC4 PBEs, PBMAC1 (RFC 9579, OpenSSL 3.4+ `-pbmac1_pbkdf2`).
//!
//! The MAC is verified (constant-time comparison) before anything in the file is decrypted;
//! a wrong password or an altered file is [`crate::Error::BadPassword`]. Every KDF iteration
//! count and scrypt cost is checked against [`Pkcs12Limits`] before any derivation, so a hostile
//! file cannot make an import run for minutes or allocate gigabytes
//! ([`crate::Error::LimitExceeded`]).
//!
//! **Export** ([`export`]) writes the end-entity certificate, its key and the chain. By default
//! as OpenSSL 3 does (PBES2 with PBKDF2-HMAC-SHA256 and AES-256-CBC for both the key and the
//! certificates, HMAC-SHA256 MAC), with [`DEFAULT_ITERATIONS`] iterations; with
//! [`Pkcs12Options::legacy`] as `openssl pkcs12 -legacy` and Windows before 10 do
//! (3DES key, RC2-40 certificates, HMAC-SHA1 MAC).
//!
//! ```
//! use hermes_pki::cert::Certificate;
//! use hermes_pki::key::PrivateKey;
//! use hermes_pki::pkcs12::{self, Pkcs12Options};
//!
//! # fn main() -> hermes_pki::Result<()> {
//! # let (cert_pem, key_pem) = (
//! #     include_str!("testdata/alice.pem"),
//! #     include_str!("testdata/alice.key"),
//! # );
//! let certificate = Certificate::from_pem(cert_pem)?;
//! let key = PrivateKey::from_pem(key_pem, None)?;
//!
//! let password = pkcs12::generate_password(16)?;
//! let options = Pkcs12Options::new()
//!     .friendly_name("alice@example.com")
//!     .iterations(10_000); // the default, 600,000, is slower
//! let p12 = pkcs12::export(&certificate, &key, &[], &password, &options)?;
//!
//! let contents = pkcs12::import(&p12, &password)?;
//! assert_eq!(contents.certificate().map(|c| c.der()), Some(certificate.der()));
//! assert_eq!(contents.key().map(|k| k.key_id()), Some(key.key_id()));
//! assert_eq!(contents.friendly_name(), Some("alice@example.com"));
//! assert!(contents.mac_verified());
//!
//! let wrong = pkcs12::import(&p12, "not the password").unwrap_err();
//! assert_eq!(wrong.kind(), hermes_pki::ErrorKind::BadPassword);
//! # Ok(())
//! # }
//! ```

use zeroize::Zeroizing;

use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::key::{KdfLimits, PrivateKey};

mod asn1;
mod build;
mod crypto;
mod parse;
#[cfg(test)]
mod tests;

/// Object identifiers of PKCS#12 and CMS, by their short names here (declared in
/// `cert::oid`, or by the `pkcs12` crate).
mod oids {
    use der::asn1::ObjectIdentifier as Oid;

    pub(super) use crate::cert::oid::{
        CERT_BAG, FRIENDLY_NAME, ID_DATA as DATA, ID_ENCRYPTED_DATA as ENCRYPTED_DATA,
        ID_ENVELOPED_DATA as ENVELOPED_DATA, ID_SIGNED_DATA as SIGNED_DATA, LOCAL_KEY_ID,
        SAFE_CONTENTS_BAG, X509_CERTIFICATE,
    };
    pub(super) const KEY_BAG: Oid = pkcs12::PKCS_12_KEY_BAG_OID;
    pub(super) const SHROUDED_KEY_BAG: Oid = pkcs12::PKCS_12_PKCS8_KEY_BAG_OID;
}

/// Iteration count [`export`] uses unless told otherwise, for PBKDF2 and for the MAC.
///
/// 600,000 is OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256 (and what
/// [`crate::key::PbeKdf::Pbkdf2Sha256`] uses). The MAC gets the same count: it is keyed with the
/// same password, so a cheaper MAC would be the easier way to guess it. OpenSSL's own default
/// is 2048; [`Pkcs12Options::iterations`] can set that where import speed matters more.
pub const DEFAULT_ITERATIONS: u32 = 600_000;

/// Work and size limits for [`import_with_limits`]; the [`Default`] suits files from users.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pkcs12Limits {
    /// Largest input accepted, in bytes (default 16 MiB).
    pub max_input_len: usize,
    /// KDF limits. `max_pbkdf2_iterations` (default 2,000,000) caps PBKDF2 and the PKCS#12 KDF
    /// (encryption and MAC) alike; `max_scrypt_memory` caps scrypt in PBES2.
    pub kdf: KdfLimits,
    /// Most bags (and AuthenticatedSafe entries) read from one file (default 1024).
    pub max_bags: usize,
    /// Most encrypted items (safes and shrouded keys) decrypted for one file, each one KDF run
    /// (default 32).
    pub max_decryptions: usize,
    /// The key-derivation work of one file, all runs together (the MAC, every decryption,
    /// every password encoding tried): PBKDF2 and PKCS#12 KDF runs cost their iteration count
    /// (the PKCS#12 PBEs twice: key and IV), scrypt N * r * p (default 8,000,000: a file
    /// written with 600,000 iterations costs 3,000,000).
    pub max_kdf_work: u64,
}

impl Default for Pkcs12Limits {
    fn default() -> Self {
        Pkcs12Limits {
            max_input_len: 16 * 1024 * 1024,
            kdf: KdfLimits::default(),
            max_bags: 1024,
            max_decryptions: 32,
            max_kdf_work: 8_000_000,
        }
    }
}

/// What a PKCS#12 file held: the key, the certificate that belongs to it, the other
/// certificates, and the friendly name.
#[derive(Debug)]
pub struct Pkcs12Contents {
    key: Option<PrivateKey>,
    certificate: Option<Certificate>,
    chain: Vec<Certificate>,
    friendly_name: Option<String>,
    mac_verified: bool,
    ignored_keys: usize,
}

impl Pkcs12Contents {
    /// The private key (`None` for a file with certificates only).
    ///
    /// When the file holds several keys, this is the first one that has its certificate in the
    /// file; [`ignored_keys`](Self::ignored_keys) counts the others.
    pub fn key(&self) -> Option<&PrivateKey> {
        self.key.as_ref()
    }

    /// The certificate of [`key`](Self::key) (matched by public key; among several, the one the
    /// file links to the key by `localKeyId`). `None` exactly when there is no key.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// Every other certificate in the file (duplicates removed), in file order.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The friendly name of the key bag, or else of its certificate's bag.
    pub fn friendly_name(&self) -> Option<&str> {
        self.friendly_name.as_deref()
    }

    /// Whether the file had a MAC (which was verified). `false` for files written without one
    /// (`openssl pkcs12 -nomac`): their certificates were not protected against alteration.
    pub fn mac_verified(&self) -> bool {
        self.mac_verified
    }

    /// How many further private keys the file held that are not returned.
    pub fn ignored_keys(&self) -> usize {
        self.ignored_keys
    }

    /// Takes the key, its certificate and the chain out.
    pub fn into_parts(self) -> (Option<PrivateKey>, Option<Certificate>, Vec<Certificate>) {
        (self.key, self.certificate, self.chain)
    }
}

/// Options for [`export`]: algorithms, iteration count, friendly name.
///
/// ```
/// use hermes_pki::pkcs12::Pkcs12Options;
///
/// // For Windows 7/8 and other readers without AES support:
/// let options = Pkcs12Options::new().legacy(true).friendly_name("alice@example.com");
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkcs12Options {
    legacy: bool,
    friendly_name: Option<String>,
    iterations: u32,
}

impl Default for Pkcs12Options {
    fn default() -> Self {
        Pkcs12Options {
            legacy: false,
            friendly_name: None,
            iterations: DEFAULT_ITERATIONS,
        }
    }
}

impl Pkcs12Options {
    /// The defaults: PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC), HMAC-SHA256 MAC,
    /// [`DEFAULT_ITERATIONS`], no friendly name.
    pub fn new() -> Self {
        Self::default()
    }

    /// `true`: the legacy algorithms of `openssl pkcs12 -legacy`, for readers without AES
    /// (Windows before 10 1709, old macOS and Android): the key with
    /// `pbeWithSHAAnd3-KeyTripleDES-CBC`, the certificates with `pbeWithSHAAnd40BitRC2-CBC`,
    /// the MAC with HMAC-SHA1. These are weak; use them only where needed. OpenSSL 3 reads such
    /// files only with `-legacy`.
    pub fn legacy(mut self, legacy: bool) -> Self {
        self.legacy = legacy;
        self
    }

    /// The friendly name set on both the key bag and the certificate bag (what Windows and
    /// macOS show). [`crate::bundle::export_pkcs12`] sets it to the certificate's email address
    /// unless one is given here.
    pub fn friendly_name(mut self, name: impl Into<String>) -> Self {
        self.friendly_name = Some(name.into());
        self
    }

    /// The iteration count for the KDFs and the MAC: 1 to 2,000,000 (the most [`import`]
    /// accepts by default); [`export`] refuses others with [`Error::InvalidArgument`].
    pub fn iterations(mut self, iterations: u32) -> Self {
        self.iterations = iterations;
        self
    }

    /// Whether the legacy algorithms are chosen.
    pub fn is_legacy(&self) -> bool {
        self.legacy
    }

    /// The friendly name, if one was set.
    pub fn get_friendly_name(&self) -> Option<&str> {
        self.friendly_name.as_deref()
    }

    /// The iteration count.
    pub fn get_iterations(&self) -> u32 {
        self.iterations
    }
}

/// Reads a PKCS#12 file with the default [`Pkcs12Limits`].
///
/// Errors: [`Error::BadPassword`] for a wrong password or a file whose MAC does not verify,
/// [`Error::KeyMismatch`] when the file has a key but no certificate for it,
/// [`Error::LimitExceeded`] for files beyond the limits, [`Error::Unsupported`] for algorithms
/// and modes listed in the [module documentation](self), [`Error::Malformed`] otherwise.
pub fn import(data: &[u8], password: &str) -> Result<Pkcs12Contents> {
    import_with_limits(data, password, &Pkcs12Limits::default())
}

/// [`import`] with explicit limits.
pub fn import_with_limits(
    data: &[u8],
    password: &str,
    limits: &Pkcs12Limits,
) -> Result<Pkcs12Contents> {
    parse::import(data, password, limits)
}

/// Writes a password-protected PKCS#12 file (DER) with `certificate`, its `key` and the `chain`
/// (issuer certificates; duplicates and the certificate itself are left out).
///
/// The key and certificate bags carry the same `localKeyId` (the SHA-1 of the certificate, as
/// OpenSSL writes it) and the friendly name of `options`, so that Windows and macOS pair them.
/// Errors: [`Error::KeyMismatch`] if `key` does not belong to `certificate`,
/// [`Error::InvalidArgument`] for an iteration count out of range.
pub fn export(
    certificate: &Certificate,
    key: &PrivateKey,
    chain: &[Certificate],
    password: &str,
    options: &Pkcs12Options,
) -> Result<Vec<u8>> {
    build::export(certificate, key, chain, password, options)
}

/// Characters of [`generate_password`]: letters and digits without the look-alikes 0, O, 1, l
/// and I (57 characters, about 5.8 bits each).
pub const PASSWORD_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/// A random password of `len` characters from [`PASSWORD_ALPHABET`], drawn uniformly
/// (rejection sampling) from the operating system's RNG: for PKCS#12 files handed to users.
///
/// `len` must be 8 to 1024 ([`Error::InvalidArgument`]); 16 characters give about 93 bits.
pub fn generate_password(len: usize) -> Result<Zeroizing<String>> {
    if !(8..=1024).contains(&len) {
        return Err(Error::InvalidArgument(format!(
            "password length {len} is out of range 8..=1024"
        )));
    }
    let n = PASSWORD_ALPHABET.len();
    // The largest multiple of n that fits in a byte: bytes at or above it are rejected, so
    // every character is equally likely.
    let bound = 256 - 256 % n;
    let mut out = Zeroizing::new(String::with_capacity(len));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < len {
        getrandom::fill(buf.as_mut_slice())
            .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
        for &b in buf.iter() {
            if out.len() == len {
                break;
            }
            if usize::from(b) < bound
                && let Some(&c) = PASSWORD_ALPHABET.get(usize::from(b) % n)
            {
                out.push(char::from(c));
            }
        }
    }
    Ok(out)
}
