//! Private keys: generation, PKCS#8 / PKCS#1 in and out, password protection, and the
//! [`Signer`] / [`Decryptor`] traits the rest of the library signs and decrypts through.
//!
//! Supported keys: RSA (2048-4096 bits generated; 1024-8192 bits imported), ECDSA/ECDH on
//! P-256 and P-384, and Ed25519. Key material is zeroized when a [`PrivateKey`] is dropped and
//! never appears in `Debug` output or error messages.
//!
//! ```
//! use hermes_pki::key::{KeySpec, PbeKdf, PrivateKey, SignatureScheme, HashAlg, Signer};
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let key = PrivateKey::generate(KeySpec::EcP256)?;
//! let signature = key.sign(SignatureScheme::Ecdsa(HashAlg::Sha256), b"hello")?;
//! assert!(!signature.is_empty());
//!
//! // Round trip through PEM, in the clear and password-protected.
//! let pem = key.to_pkcs8_pem()?;
//! let again = PrivateKey::from_pem(&pem, None)?;
//! assert_eq!(again.public_key_der(), key.public_key_der());
//!
//! let protected = key.to_encrypted_pkcs8_pem(b"correct horse", PbeKdf::Scrypt)?;
//! let again = PrivateKey::from_pem(&protected, Some(b"correct horse"))?;
//! assert_eq!(again.key_id(), key.key_id());
//! # Ok(())
//! # }
//! ```

use std::sync::Arc;

use zeroize::Zeroizing;

use crate::cert::{Certificate, KeyAlgorithm};
use crate::error::{Error, Result};

mod algorithm;
pub(crate) mod cache;
mod encoding;
pub(crate) use algorithm::algorithm_identifier;
pub use encoding::MAX_PEM_BLOCKS;
mod generate;
mod ops;
pub(crate) mod pbes2;
mod rsa_crt;
mod rsa_encrypt;
pub(crate) use rsa_encrypt::RsaRecipient;
mod rsa_pkcs1v15;
#[cfg(test)]
mod tests;

/// The smallest RSA key this library accepts: for keys it generates, CA keys, certificate
/// requests, new signatures, and (by default) on a validated chain or a verified signer; a
/// message encrypted to a shorter RSA key is reported as weak. 2048 bits (112-bit security,
/// NIST SP 800-57 and SP 800-131A).
pub const MIN_RSA_BITS: usize = 2048;

/// What kind of key to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeySpec {
    /// RSA with this modulus size: 2048, 3072 or 4096 (anything else is refused).
    Rsa(usize),
    /// ECDSA/ECDH on P-256.
    EcP256,
    /// ECDSA/ECDH on P-384.
    EcP384,
    /// Ed25519 (signing only).
    Ed25519,
}

/// Hash algorithm for signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum HashAlg {
    /// SHA-1 (verification of old mail only; never for new signatures).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

/// A signature scheme: what a [`Signer`] is asked to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// RSASSA-PKCS1-v1_5 with the hash.
    RsaPkcs1v15(HashAlg),
    /// RSASSA-PSS with the hash, MGF1 with the same hash, salt length = hash length.
    RsaPss(HashAlg),
    /// ECDSA with the hash; signature DER-encoded (`Ecdsa-Sig-Value`).
    Ecdsa(HashAlg),
    /// Ed25519 (pure).
    Ed25519,
}

/// RSA key transport (CMS KeyTransRecipientInfo) padding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyTransport {
    /// RSAES-PKCS1-v1_5. Decrypted in constant time with implicit rejection.
    Pkcs1v15,
    /// RSAES-OAEP with SHA-256 and MGF1-SHA-256.
    OaepSha256,
    /// RSAES-OAEP with SHA-1 and MGF1-SHA-1: RFC 8017's default parameters, what most OAEP
    /// producers other than OpenSSL 3 write. Read, never written by this library.
    OaepSha1,
    /// RSAES-OAEP with SHA-384 and MGF1-SHA-384.
    OaepSha384,
    /// RSAES-OAEP with SHA-512 and MGF1-SHA-512.
    OaepSha512,
}

/// Key derivation for password-encrypted PKCS#8 (PBES2 with AES-256-CBC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PbeKdf {
    /// scrypt (N=2^14, r=8, p=1, 16 MiB): the default.
    ///
    /// N=2^14 rather than 2^15: OpenSSL 3.0 refuses scrypt above 32 MiB including its own
    /// overhead ("memory limit exceeded"), so keys written with N=2^15 could not be read by
    /// `openssl pkey`. 2^14 is what OpenSSL itself writes for `openssl pkcs8 -scrypt`.
    Scrypt,
    /// PBKDF2-HMAC-SHA256 with 600,000 iterations (for tools that lack scrypt).
    Pbkdf2Sha256,
}

/// Work limits applied when reading password-protected keys from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KdfLimits {
    /// Highest PBKDF2 iteration count accepted.
    pub max_pbkdf2_iterations: u32,
    /// Highest scrypt memory (128 * N * r bytes) accepted.
    pub max_scrypt_memory: u64,
}

impl Default for KdfLimits {
    fn default() -> Self {
        KdfLimits {
            max_pbkdf2_iterations: 2_000_000,
            max_scrypt_memory: 256 * 1024 * 1024,
        }
    }
}

/// Something that signs with a private key it may not reveal (a stored key, an HSM).
pub trait Signer: Send + Sync {
    /// The key's algorithm.
    fn algorithm(&self) -> KeyAlgorithm;
    /// DER SubjectPublicKeyInfo of the key.
    fn public_key_der(&self) -> Vec<u8>;
    /// Signs `message` (the hash is computed inside) with `scheme`.
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>>;
}

/// Something that decrypts with a private key it may not reveal.
pub trait Decryptor: Send + Sync {
    /// The key's algorithm.
    fn algorithm(&self) -> KeyAlgorithm;
    /// DER SubjectPublicKeyInfo of the key.
    fn public_key_der(&self) -> Vec<u8>;
    /// RSA key transport: decrypts a wrapped content-encryption key of `expected_len` bytes.
    ///
    /// For [`KeyTransport::Pkcs1v15`] this never reveals whether padding was valid: on any
    /// failure it returns a pseudo-random key of `expected_len` bytes derived from the key and
    /// the ciphertext (implicit rejection), after the same work.
    fn decrypt_key_transport(
        &self,
        scheme: KeyTransport,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>>;
    /// ECDH: the raw shared secret (x-coordinate) with the given SEC1-encoded public point.
    fn ecdh(&self, peer_public_sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>>;
}

/// A private key held in memory; zeroized on drop.
///
/// Build one with [`generate`](Self::generate) or one of the parsers
/// ([`from_bytes`](Self::from_bytes) detects the format). It signs through [`Signer`] and
/// decrypts through [`Decryptor`].
///
/// A `PrivateKey` is a handle: [`clone`](Clone::clone) is cheap and the clones share the
/// decoded key material (and the RSA blinding state) by reference counting; the material is
/// zeroized when the last clone is dropped. This is how a store's cache of decoded keys hands
/// the same key to every caller.
#[derive(Clone)]
pub struct PrivateKey {
    parts: Arc<Parts>,
}

/// What a [`PrivateKey`] shares between its clones.
struct Parts {
    inner: Inner,
    /// DER SubjectPublicKeyInfo, computed once (public data).
    spki: Vec<u8>,
    algorithm: KeyAlgorithm,
    /// The fixed-width CRT private operation for 2048/3072/4096-bit RSA keys (`None`: other
    /// keys, handled by the `rsa` crate).
    rsa_crt: Option<rsa_crt::RsaCrt>,
}

/// The key material. Every variant zeroizes itself on drop (`RsaPrivateKey`,
/// `elliptic_curve::SecretKey` and `ed25519_dalek::SigningKey` implement `ZeroizeOnDrop`).
pub(crate) enum Inner {
    Rsa(Box<RsaKey>),
    P256(p256::SecretKey),
    P384(p384::SecretKey),
    Ed25519(Box<ed25519_dalek::SigningKey>),
}

/// An RSA key with the secret its implicit-rejection KDF is keyed with.
pub(crate) struct RsaKey {
    pub(crate) key: rsa::RsaPrivateKey,
    /// SHA-256 over the private exponent (fixed width): the implicit-rejection key.
    pub(crate) ir_secret: Zeroizing<[u8; 32]>,
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.parts.algorithm)
            .field("key_id", &self.key_id())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a key. RSA sizes other than 2048/3072/4096 are refused ([`crate::Error::Weak`]
    /// below 2048).
    ///
    /// Precisely: a standard size below 2048 bits (a multiple of 256, such as 1024) is
    /// [`crate::Error::Weak`]; any other unsupported size (2000, 8192) is
    /// [`crate::Error::InvalidArgument`].
    pub fn generate(spec: KeySpec) -> Result<Self> {
        generate::generate(spec)
    }
    /// Parses an unencrypted PKCS#8 DER `PrivateKeyInfo` (RSA, EC P-256/P-384, Ed25519).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        encoding::from_pkcs8_der(der)
    }
    /// Parses an encrypted PKCS#8 DER `EncryptedPrivateKeyInfo` (PBES2) with the default limits.
    pub fn from_encrypted_pkcs8_der(der: &[u8], password: &[u8]) -> Result<Self> {
        Self::from_encrypted_pkcs8_der_with_limits(der, password, KdfLimits::default())
    }
    /// Same, with explicit KDF limits.
    ///
    /// The KDF parameters are checked against `limits` before any key is derived
    /// ([`crate::Error::LimitExceeded`]); a wrong password is [`crate::Error::BadPassword`].
    pub fn from_encrypted_pkcs8_der_with_limits(
        der: &[u8],
        password: &[u8],
        limits: KdfLimits,
    ) -> Result<Self> {
        let plain = pbes2::decrypt(der, password, limits)?;
        // A decryption that "worked" with a wrong password yields garbage: treat any failure
        // to read the result as a wrong password.
        encoding::from_pkcs8_der(&plain).map_err(|e| match e {
            Error::Unsupported { .. } | Error::Weak(_) => e,
            _ => Error::BadPassword,
        })
    }
    /// Parses a PEM private key: `PRIVATE KEY`, `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY`
    /// (SEC1), or `ENCRYPTED PRIVATE KEY` (needs `password`).
    pub fn from_pem(pem: &str, password: Option<&[u8]>) -> Result<Self> {
        encoding::from_pem(pem, password, KdfLimits::default())
    }
    /// Auto-detects PEM or DER (PKCS#8, encrypted PKCS#8, PKCS#1 RSA).
    ///
    /// SEC1 `ECPrivateKey` DER is recognised too.
    pub fn from_bytes(input: &[u8], password: Option<&[u8]>) -> Result<Self> {
        encoding::from_bytes(input, password, KdfLimits::default())
    }
    /// [`from_pem`](Self::from_pem) with explicit KDF limits for `ENCRYPTED PRIVATE KEY`.
    pub fn from_pem_with_limits(
        pem: &str,
        password: Option<&[u8]>,
        limits: KdfLimits,
    ) -> Result<Self> {
        encoding::from_pem(pem, password, limits)
    }
    /// [`from_bytes`](Self::from_bytes) with explicit KDF limits for encrypted PKCS#8.
    pub fn from_bytes_with_limits(
        input: &[u8],
        password: Option<&[u8]>,
        limits: KdfLimits,
    ) -> Result<Self> {
        encoding::from_bytes(input, password, limits)
    }
    /// Unencrypted PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        encoding::to_pkcs8_der(&self.parts.inner)
    }
    /// Unencrypted PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        let der = self.to_pkcs8_der()?;
        encoding::pem_encode("PRIVATE KEY", &der).map(Zeroizing::new)
    }
    /// Encrypted PKCS#8 DER (PBES2, AES-256-CBC, `kdf`).
    pub fn to_encrypted_pkcs8_der(&self, password: &[u8], kdf: PbeKdf) -> Result<Vec<u8>> {
        let der = self.to_pkcs8_der()?;
        pbes2::encrypt(&der, password, kdf)
    }
    /// Encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`).
    pub fn to_encrypted_pkcs8_pem(&self, password: &[u8], kdf: PbeKdf) -> Result<String> {
        let der = self.to_encrypted_pkcs8_der(password, kdf)?;
        encoding::pem_encode("ENCRYPTED PRIVATE KEY", &der)
    }
    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.parts.algorithm.clone()
    }
    /// DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        self.parts.spki.clone()
    }
    /// The key id: SHA-256 over the SubjectPublicKeyInfo DER (what the store indexes keys by).
    pub fn key_id(&self) -> KeyId {
        KeyId::of_public_key_der(&self.parts.spki)
    }
    /// Whether this key is the private half of `cert`'s public key.
    ///
    /// The public keys are compared by value (RSA modulus and exponent; EC curve and point,
    /// compressed or not; Ed25519 bytes), not by their encoding.
    pub fn matches(&self, cert: &Certificate) -> bool {
        encoding::spki_matches(&self.parts.inner, cert.public_key_der())
    }
    /// [`matches`](Self::matches), or [`crate::Error::KeyMismatch`].
    pub fn ensure_matches(&self, cert: &Certificate) -> Result<()> {
        if self.matches(cert) {
            Ok(())
        } else {
            Err(crate::Error::KeyMismatch)
        }
    }

    /// Wraps key material, computing the public key and algorithm once.
    pub(crate) fn from_inner(inner: Inner) -> Result<Self> {
        let (spki, algorithm) = encoding::public_info(&inner)?;
        let rsa_crt = match &inner {
            Inner::Rsa(k) => rsa_crt::RsaCrt::new(&k.key),
            _ => None,
        };
        Ok(PrivateKey {
            parts: Arc::new(Parts {
                inner,
                spki,
                algorithm,
                rsa_crt,
            }),
        })
    }

    #[cfg(test)]
    pub(crate) fn inner(&self) -> &Inner {
        &self.parts.inner
    }

    #[cfg(test)]
    pub(crate) fn rsa_crt(&self) -> Option<&rsa_crt::RsaCrt> {
        self.parts.rsa_crt.as_ref()
    }

    /// Whether `self` and `other` are clones of one key object (share its material).
    #[cfg(test)]
    pub(crate) fn same_object(&self, other: &PrivateKey) -> bool {
        Arc::ptr_eq(&self.parts, &other.parts)
    }

    /// A probe that says whether this key object (any clone of it) is still alive.
    #[cfg(test)]
    pub(crate) fn alive_probe(&self) -> impl Fn() -> bool + use<> {
        let weak = Arc::downgrade(&self.parts);
        move || weak.strong_count() > 0
    }
}

impl Signer for PrivateKey {
    fn algorithm(&self) -> KeyAlgorithm {
        PrivateKey::algorithm(self)
    }
    fn public_key_der(&self) -> Vec<u8> {
        PrivateKey::public_key_der(self)
    }
    fn sign(&self, scheme: SignatureScheme, message: &[u8]) -> Result<Vec<u8>> {
        ops::sign(
            &self.parts.inner,
            self.parts.rsa_crt.as_ref(),
            scheme,
            message,
        )
    }
}

impl Decryptor for PrivateKey {
    fn algorithm(&self) -> KeyAlgorithm {
        PrivateKey::algorithm(self)
    }
    fn public_key_der(&self) -> Vec<u8> {
        PrivateKey::public_key_der(self)
    }
    fn decrypt_key_transport(
        &self,
        scheme: KeyTransport,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        ops::decrypt_key_transport(
            &self.parts.inner,
            self.parts.rsa_crt.as_ref(),
            scheme,
            encrypted_key,
            expected_len,
        )
    }
    fn ecdh(&self, peer_public_sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        ops::ecdh(&self.parts.inner, peer_public_sec1)
    }
}

/// Identifies a key pair: SHA-256 over its SubjectPublicKeyInfo DER.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId([u8; 32]);

impl KeyId {
    /// Key id of a DER SubjectPublicKeyInfo.
    pub fn of_public_key_der(spki_der: &[u8]) -> Self {
        use sha2::Digest;
        let mut out = [0u8; 32];
        out.copy_from_slice(&sha2::Sha256::digest(spki_der));
        KeyId(out)
    }
    /// From raw bytes (32).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| crate::Error::InvalidArgument("key id must be 32 bytes".into()))?;
        Ok(KeyId(arr))
    }
    /// Raw bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode_upper(self.0))
    }
}

impl std::fmt::Debug for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeyId({self})")
    }
}
