//! Private keys: generation, PKCS#8 / PKCS#1 in and out, password protection, and the
//! [`Signer`] / [`Decryptor`] traits the rest of the library signs and decrypts through.
//!
//! API CONTRACT (skeleton; bodies are filled in by the `key` work).

use zeroize::Zeroizing;

use crate::cert::{Certificate, KeyAlgorithm};
use crate::error::Result;

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
}

/// Key derivation for password-encrypted PKCS#8 (PBES2 with AES-256-CBC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PbeKdf {
    /// scrypt (N=2^15, r=8, p=1): the default.
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
pub struct PrivateKey {
    // filled in by the key work
}

impl std::fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKey").finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Generates a key. RSA sizes other than 2048/3072/4096 are refused ([`crate::Error::Weak`]
    /// below 2048).
    pub fn generate(_spec: KeySpec) -> Result<Self> {
        todo!()
    }
    /// Parses an unencrypted PKCS#8 DER `PrivateKeyInfo` (RSA, EC P-256/P-384, Ed25519).
    pub fn from_pkcs8_der(_der: &[u8]) -> Result<Self> {
        todo!()
    }
    /// Parses an encrypted PKCS#8 DER `EncryptedPrivateKeyInfo` (PBES2) with the default limits.
    pub fn from_encrypted_pkcs8_der(_der: &[u8], _password: &[u8]) -> Result<Self> {
        todo!()
    }
    /// Same, with explicit KDF limits.
    pub fn from_encrypted_pkcs8_der_with_limits(
        _der: &[u8],
        _password: &[u8],
        _limits: KdfLimits,
    ) -> Result<Self> {
        todo!()
    }
    /// Parses a PEM private key: `PRIVATE KEY`, `RSA PRIVATE KEY` (PKCS#1), `EC PRIVATE KEY`
    /// (SEC1), or `ENCRYPTED PRIVATE KEY` (needs `password`).
    pub fn from_pem(_pem: &str, _password: Option<&[u8]>) -> Result<Self> {
        todo!()
    }
    /// Auto-detects PEM or DER (PKCS#8, encrypted PKCS#8, PKCS#1 RSA).
    pub fn from_bytes(_input: &[u8], _password: Option<&[u8]>) -> Result<Self> {
        todo!()
    }
    /// Unencrypted PKCS#8 DER.
    pub fn to_pkcs8_der(&self) -> Result<Zeroizing<Vec<u8>>> {
        todo!()
    }
    /// Unencrypted PKCS#8 PEM.
    pub fn to_pkcs8_pem(&self) -> Result<Zeroizing<String>> {
        todo!()
    }
    /// Encrypted PKCS#8 DER (PBES2, AES-256-CBC, `kdf`).
    pub fn to_encrypted_pkcs8_der(&self, _password: &[u8], _kdf: PbeKdf) -> Result<Vec<u8>> {
        todo!()
    }
    /// Encrypted PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`).
    pub fn to_encrypted_pkcs8_pem(&self, _password: &[u8], _kdf: PbeKdf) -> Result<String> {
        todo!()
    }
    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        todo!()
    }
    /// DER SubjectPublicKeyInfo.
    pub fn public_key_der(&self) -> Vec<u8> {
        todo!()
    }
    /// The key id: SHA-256 over the SubjectPublicKeyInfo DER (what the store indexes keys by).
    pub fn key_id(&self) -> KeyId {
        KeyId::of_public_key_der(&self.public_key_der())
    }
    /// Whether this key is the private half of `cert`'s public key.
    pub fn matches(&self, _cert: &Certificate) -> bool {
        todo!()
    }
    /// [`matches`](Self::matches), or [`crate::Error::KeyMismatch`].
    pub fn ensure_matches(&self, cert: &Certificate) -> Result<()> {
        if self.matches(cert) { Ok(()) } else { Err(crate::Error::KeyMismatch) }
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
