//! The master key and the sealing of private keys at rest.
//!
//! A persistent store never writes a private key in the clear: each key's PKCS#8 DER is
//! encrypted with AES-256-GCM under the store's [`MasterKey`], with a fresh random 96-bit nonce
//! and the key's [`KeyId`] as associated data (so a sealed blob copied to another row does not
//! open). The stored form is `version (1 byte) || nonce (12 bytes) || ciphertext || tag`.
//!
//! A master key keeps the keys it unsealed, decoded, in a bounded cache (64 keys, least recently
//! used evicted; `key/cache.rs`): a key is found there only by its id together with
//! the byte-identical sealed blob the store just read, so a store that changed or deleted the
//! key (through any handle or process) is never answered from the cache, and nothing is cached
//! before the blob opened. The cache belongs to this master key (and its clones) and dies with
//! it: another master key cannot find its entries, and closing a store frees and zeroizes them.

use std::fmt;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use aes_gcm::Aes256Gcm;
use aes_gcm::aead::{Aead, KeyInit, Nonce, Payload};
use zeroize::{Zeroize, Zeroizing};

use crate::error::{Error, Result};
use crate::key::cache::KeyCache;
use crate::key::{KeyId, PrivateKey};

/// Length of a master key in bytes.
pub(crate) const MASTER_KEY_LEN: usize = 32;
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;

/// A 256-bit key that seals the private keys of a store. Zeroized on drop; its bytes are never
/// shown by `Debug`.
///
/// It also keeps the private keys it opened with [`open_private_key`](Self::open_private_key)
/// decoded, in a bounded cache shared by its clones (see the module documentation).
#[derive(Clone)]
pub struct MasterKey {
    key: Zeroizing<[u8; MASTER_KEY_LEN]>,
    /// Keys opened under this master key, by id and sealed bytes.
    cache: Arc<KeyCache>,
}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl MasterKey {
    /// A master key from 32 bytes the caller keeps (from a KMS, an HSM, a secret manager).
    pub fn from_bytes(bytes: [u8; MASTER_KEY_LEN]) -> Self {
        MasterKey::new(Zeroizing::new(bytes))
    }

    /// A master key from a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        if bytes.len() != MASTER_KEY_LEN {
            return Err(Error::InvalidArgument(format!(
                "a master key is {MASTER_KEY_LEN} bytes, got {}",
                bytes.len()
            )));
        }
        key.copy_from_slice(bytes);
        Ok(MasterKey::new(key))
    }

    fn new(key: Zeroizing<[u8; MASTER_KEY_LEN]>) -> Self {
        MasterKey {
            key,
            cache: Arc::new(KeyCache::default()),
        }
    }

    /// A new random master key from the operating system's generator.
    pub fn generate() -> Result<Self> {
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        random(&mut key[..])?;
        Ok(MasterKey::new(key))
    }

    /// Derives a master key from a passphrase with scrypt (`log_n`, `r`, `p`) and `salt`.
    pub(crate) fn derive(passphrase: &[u8], salt: &[u8], params: ScryptParams) -> Result<Self> {
        params.check()?;
        let p = scrypt::Params::new(params.log_n, params.r, params.p)
            .map_err(|_| Error::InvalidArgument("invalid scrypt parameters".into()))?;
        let mut key = Zeroizing::new([0u8; MASTER_KEY_LEN]);
        scrypt::scrypt(passphrase, salt, &p, &mut key[..])
            .map_err(|_| Error::Crypto("scrypt key derivation failed".into()))?;
        Ok(MasterKey::new(key))
    }

    fn cipher(&self) -> Result<Aes256Gcm> {
        Aes256Gcm::new_from_slice(&self.key[..])
            .map_err(|_| Error::Crypto("cannot initialise AES-256-GCM".into()))
    }

    /// Encrypts `plaintext` bound to `aad`: `version || nonce || ciphertext || tag`.
    pub fn seal(&self, aad: &[u8], plaintext: &[u8]) -> Result<Vec<u8>> {
        let mut nonce = [0u8; NONCE_LEN];
        random(&mut nonce)?;
        let ct = self
            .cipher()?
            .encrypt(
                &Nonce::<Aes256Gcm>::from(nonce),
                Payload {
                    msg: plaintext,
                    aad,
                },
            )
            .map_err(|_| Error::Crypto("AES-256-GCM sealing failed".into()))?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
        out.push(SEAL_VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ct);
        Ok(out)
    }

    /// Decrypts what [`seal`](Self::seal) produced with the same `aad`. A wrong master key, a
    /// different `aad` or any altered byte is [`Error::BadPassword`].
    pub fn open(&self, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        let Some((&version, rest)) = sealed.split_first() else {
            return Err(Error::Storage("sealed data is empty".into()));
        };
        if version != SEAL_VERSION {
            return Err(Error::Storage(format!(
                "sealed data has version {version}; this library reads version {SEAL_VERSION}"
            )));
        }
        if rest.len() < NONCE_LEN + TAG_LEN {
            return Err(Error::Storage("sealed data is truncated".into()));
        }
        let (nonce, ct) = rest.split_at(NONCE_LEN);
        let mut n = [0u8; NONCE_LEN];
        n.copy_from_slice(nonce);
        self.cipher()?
            .decrypt(&Nonce::<Aes256Gcm>::from(n), Payload { msg: ct, aad })
            .map(Zeroizing::new)
            .map_err(|_| Error::BadPassword)
    }

    /// Seals a private key: returns its id and the sealed PKCS#8 DER (associated data: the id).
    pub fn seal_private_key(&self, key: &PrivateKey) -> Result<(KeyId, Vec<u8>)> {
        let id = key.key_id();
        let der = key.to_pkcs8_der()?;
        let sealed = self.seal(id.as_bytes(), &der)?;
        Ok((id, sealed))
    }

    /// Opens a private key sealed by [`seal_private_key`](Self::seal_private_key) under `id`.
    ///
    /// A key this master key (or a clone) opened before from byte-identical `sealed` under the
    /// same `id` comes from its cache: the same key object, without decrypting and decoding
    /// again (the result would be the same: AES-GCM opening is deterministic). Anything else is
    /// opened and decoded, and cached only when that succeeded; a failure is the same error as
    /// ever ([`Error::BadPassword`] for a wrong master key, id or altered byte).
    pub fn open_private_key(&self, id: &KeyId, sealed: &[u8]) -> Result<PrivateKey> {
        self.cache.get_or_load(id, sealed, || {
            let der = self.open(id.as_bytes(), sealed)?;
            PrivateKey::from_pkcs8_der(&der)
        })
    }

    /// Drops the cached key `id`, if any (the store deleted it, or found it gone).
    pub(crate) fn forget_private_key(&self, id: &KeyId) {
        self.cache.remove(id);
    }

    /// How many decoded keys the cache holds.
    #[cfg(test)]
    pub(crate) fn cached_key_count(&self) -> usize {
        self.cache.len()
    }

    /// A key check value: a known constant sealed under this key, stored beside the data so a
    /// wrong master key is detected when the store opens.
    pub(crate) fn check_value(&self) -> Result<Vec<u8>> {
        self.seal(CHECK_AAD, CHECK_PLAINTEXT)
    }

    /// Whether `check` was made by [`check_value`](Self::check_value) with this key.
    pub(crate) fn verify_check_value(&self, check: &[u8]) -> Result<bool> {
        match self.open(CHECK_AAD, check) {
            Ok(p) => Ok(p.as_slice() == CHECK_PLAINTEXT),
            Err(Error::BadPassword) => Ok(false),
            Err(e) => Err(e),
        }
    }
}

const CHECK_AAD: &[u8] = b"hermes-pki master key check";
const CHECK_PLAINTEXT: &[u8] = b"hermes-pki master key check value v1";

/// scrypt parameters for deriving a master key from a passphrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ScryptParams {
    pub log_n: u8,
    pub r: u32,
    pub p: u32,
}

impl ScryptParams {
    /// N = 2^15 (32 MiB), r = 8, p = 1: derived once per open.
    pub const DEFAULT: ScryptParams = ScryptParams {
        log_n: 15,
        r: 8,
        p: 1,
    };

    /// Refuses parameters (read from a database file) that would make opening too costly or
    /// too weak.
    pub fn check(&self) -> Result<()> {
        if !(10..=20).contains(&self.log_n)
            || !(1..=32).contains(&self.r)
            || !(1..=16).contains(&self.p)
        {
            return Err(Error::LimitExceeded(format!(
                "scrypt parameters log2(N)={} r={} p={} are outside the accepted range \
                 (log2(N) 10..=20, r 1..=32, p 1..=16)",
                self.log_n, self.r, self.p
            )));
        }
        let memory = 128u64 * (1u64 << self.log_n) * u64::from(self.r) * u64::from(self.p);
        if memory > 1024 * 1024 * 1024 {
            return Err(Error::LimitExceeded(
                "scrypt parameters ask for more than 1 GiB of work memory".into(),
            ));
        }
        Ok(())
    }

    /// Encoded for the meta table: `log_n (1) || r (4, BE) || p (4, BE)`.
    pub fn encode(&self) -> Vec<u8> {
        let mut v = vec![self.log_n];
        v.extend_from_slice(&self.r.to_be_bytes());
        v.extend_from_slice(&self.p.to_be_bytes());
        v
    }

    /// Decodes [`encode`](Self::encode).
    pub fn decode(b: &[u8]) -> Result<Self> {
        let bad = || Error::Storage("the stored scrypt parameters are malformed".into());
        if b.len() != 9 {
            return Err(bad());
        }
        let r = u32::from_be_bytes(b[1..5].try_into().map_err(|_| bad())?);
        let p = u32::from_be_bytes(b[5..9].try_into().map_err(|_| bad())?);
        Ok(ScryptParams { log_n: b[0], r, p })
    }
}

/// Where a persistent store gets its master key from.
pub enum MasterKeySource {
    /// A key the caller holds.
    Provided(MasterKey),
    /// A file of exactly 32 random bytes. Created (mode 0600 on Unix) if absent, read if
    /// present. Keep it beside the database and back it up with it: without it the private
    /// keys cannot be opened.
    KeyFile(PathBuf),
    /// A passphrase, stretched with scrypt (memory-hard) once when the store opens; the salt
    /// and the parameters are kept in the database.
    Passphrase(Zeroizing<String>),
}

impl fmt::Debug for MasterKeySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MasterKeySource::Provided(_) => f.write_str("Provided(..)"),
            MasterKeySource::KeyFile(p) => f.debug_tuple("KeyFile").field(p).finish(),
            MasterKeySource::Passphrase(_) => f.write_str("Passphrase(..)"),
        }
    }
}

impl MasterKeySource {
    /// A passphrase source.
    pub fn passphrase(passphrase: impl Into<String>) -> Self {
        MasterKeySource::Passphrase(Zeroizing::new(passphrase.into()))
    }

    /// A key file source.
    pub fn key_file(path: impl Into<PathBuf>) -> Self {
        MasterKeySource::KeyFile(path.into())
    }
}

/// Fills `buf` from the operating system's random number generator.
pub(crate) fn random(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf)
        .map_err(|_| Error::Crypto("the system random number generator failed".into()))
}

/// Reads the master key file at `path`, creating it with a new random key (mode 0600) if it
/// does not exist. Creation is atomic: the key is written to a temporary file that is then
/// hard-linked into place, so a concurrent opener never sees a partial file.
pub(crate) fn load_or_create_key_file(path: &Path) -> Result<MasterKey> {
    match read_key_file(path) {
        Ok(k) => return Ok(k),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    let key = MasterKey::generate()?;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut suffix = [0u8; 8];
    random(&mut suffix)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", hex::encode(suffix)));
    let written = (|| {
        let mut f = create_private_file(&tmp)?;
        f.write_all(&key.key[..])
            .map_err(|e| Error::io("cannot write", &tmp, e))?;
        f.sync_all()
            .map_err(|e| Error::io("cannot write", &tmp, e))?;
        Ok::<(), Error>(())
    })();
    let linked = written.and_then(|()| match std::fs::hard_link(&tmp, path) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(Error::io("cannot create", path, e)),
    });
    let _ = std::fs::remove_file(&tmp);
    if linked? {
        Ok(key)
    } else {
        read_key_file(path)
    }
}

fn read_key_file(path: &Path) -> Result<MasterKey> {
    let f = open_key_file(path)?;
    let mut buf = Zeroizing::new(Vec::with_capacity(MASTER_KEY_LEN + 1));
    f.take(MASTER_KEY_LEN as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("cannot read", path, e))?;
    if buf.len() != MASTER_KEY_LEN {
        let n = buf.len();
        buf.zeroize();
        return Err(Error::Storage(format!(
            "master key file {} must hold exactly {MASTER_KEY_LEN} bytes, it holds {}",
            path.display(),
            if n > MASTER_KEY_LEN {
                format!("more than {MASTER_KEY_LEN}")
            } else {
                n.to_string()
            }
        )));
    }
    MasterKey::from_slice(&buf)
}

/// Opens a master key file for reading, refusing one reached through a symbolic link or that
/// others than its owner may read or write (Unix). The checks are made on the file opened, so
/// a file swapped between check and open is noticed.
#[cfg(unix)]
fn open_key_file(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let link = std::fs::symlink_metadata(path).map_err(|e| Error::io("cannot open", path, e))?;
    if link.file_type().is_symlink() {
        return Err(Error::NotPermitted(format!(
            "the master key file {} is a symbolic link; refusing it (a link can be pointed at \
             another key): give the path of the file itself",
            path.display()
        )));
    }
    let f = std::fs::File::open(path).map_err(|e| Error::io("cannot open", path, e))?;
    let meta = f
        .metadata()
        .map_err(|e| Error::io("cannot read", path, e))?;
    if meta.dev() != link.dev() || meta.ino() != link.ino() || !meta.is_file() {
        return Err(Error::NotPermitted(format!(
            "the master key file {} changed while it was opened, or is not a regular file",
            path.display()
        )));
    }
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::NotPermitted(format!(
            "the master key file {} is accessible to others than its owner (mode {mode:03o}); \
             anyone who reads it can open every private key of the store: run \
             `chmod 600 {}` and check who read it",
            path.display(),
            path.display()
        )));
    }
    Ok(f)
}

#[cfg(not(unix))]
fn open_key_file(path: &Path) -> Result<std::fs::File> {
    std::fs::File::open(path).map_err(|e| Error::io("cannot open", path, e))
}

/// Names of the values a persistent store keeps beside its data to check the master key.
pub(crate) const META_CHECK: &str = "master_key_check";
pub(crate) const META_KDF_SALT: &str = "kdf_salt";
pub(crate) const META_KDF_PARAMS: &str = "kdf_scrypt_params";

/// The small name → bytes table of a persistent store where the master key check value and the
/// passphrase salt are kept (never the key).
pub(crate) trait MetaTable {
    /// The value stored under `name`.
    fn meta(&mut self, name: &str) -> Result<Option<Vec<u8>>>;
    /// Writes `entries` in one transaction unless `guard` is already set (another opener was
    /// first).
    fn init_meta(&mut self, guard: &str, entries: &[(&str, &[u8])]) -> Result<()>;
}

/// Obtains the master key from `source` and checks it against the store's check value,
/// writing the check value (and for a passphrase the salt and parameters) on first use. The
/// same for every persistent backend, so keys are sealed identically everywhere.
pub(crate) fn resolve_master_key(
    meta: &mut dyn MetaTable,
    source: MasterKeySource,
) -> Result<MasterKey> {
    match source {
        MasterKeySource::Provided(key) => check_master_key(meta, key),
        MasterKeySource::KeyFile(path) => {
            // The check value first, then the file: a creator writes the file before the check
            // value, so a check value seen here means the file is there unless it was truly
            // lost (the other order raced with a concurrent creator of a fresh store).
            let has_check = meta.meta(META_CHECK)?.is_some();
            let exists = std::fs::symlink_metadata(&path).is_ok();
            if has_check && !exists {
                return Err(Error::WrongMasterKey(format!(
                    "the master key file {} does not exist, but this store already has a master \
                     key; copy the master key file of the store (from its backup, or from the \
                     node that created it) to that path, mode 0600",
                    path.display()
                )));
            }
            let key = load_or_create_key_file(&path)?;
            check_master_key(meta, key)
        }
        MasterKeySource::Passphrase(pass) => {
            if pass.is_empty() {
                return Err(Error::InvalidArgument(
                    "the store passphrase is empty; give a passphrase".into(),
                ));
            }
            if meta.meta(META_KDF_SALT)?.is_none() {
                if meta.meta(META_CHECK)?.is_some() {
                    return Err(Error::InvalidArgument(
                        "this database is protected by a master key (key file or provided key), \
                         not a passphrase"
                            .into(),
                    ));
                }
                let mut salt = [0u8; 32];
                random(&mut salt)?;
                let params = ScryptParams::DEFAULT;
                let key = MasterKey::derive(pass.as_bytes(), &salt, params)?;
                let check = key.check_value()?;
                meta.init_meta(
                    META_KDF_SALT,
                    &[
                        (META_KDF_SALT, &salt[..]),
                        (META_KDF_PARAMS, &params.encode()),
                        (META_CHECK, &check),
                    ],
                )?;
                if meta.meta(META_KDF_SALT)?.as_deref() == Some(&salt[..]) {
                    return Ok(key);
                }
                // Another process initialised the database first: derive with its salt.
            }
            let salt = meta.meta(META_KDF_SALT)?.ok_or_else(|| {
                Error::Storage("the database lost its key derivation salt".into())
            })?;
            let params = meta.meta(META_KDF_PARAMS)?.ok_or_else(|| {
                Error::Storage("the database has a salt but no key derivation parameters".into())
            })?;
            let params = ScryptParams::decode(&params)?;
            let check = meta.meta(META_CHECK)?.ok_or_else(|| {
                Error::Storage("the database has no master key check value".into())
            })?;
            let key = MasterKey::derive(pass.as_bytes(), &salt, params)?;
            if key.verify_check_value(&check)? {
                Ok(key)
            } else {
                Err(Error::WrongMasterKey(
                    "the passphrase is wrong; use the one the store was created with".into(),
                ))
            }
        }
    }
}

/// Verifies a key against the store's check value, writing the check value on first use.
fn check_master_key(meta: &mut dyn MetaTable, key: MasterKey) -> Result<MasterKey> {
    if meta.meta(META_KDF_SALT)?.is_some() {
        return Err(Error::InvalidArgument(
            "this database is protected by a passphrase: open it with MasterKeySource::Passphrase"
                .into(),
        ));
    }
    if meta.meta(META_CHECK)?.is_none() {
        meta.init_meta(META_CHECK, &[(META_CHECK, &key.check_value()?)])?;
    }
    let check = meta
        .meta(META_CHECK)?
        .ok_or_else(|| Error::Storage("the master key check value was not written".into()))?;
    if key.verify_check_value(&check)? {
        Ok(key)
    } else {
        Err(Error::WrongMasterKey(
            "the key file or provided key was made for another database; use the key file \
             created beside this database (master.key) or the key it was opened with before"
                .into(),
        ))
    }
}

#[cfg(unix)]
fn create_private_file(path: &Path) -> Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| Error::io("cannot create", path, e))
}

#[cfg(not(unix))]
fn create_private_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| Error::io("cannot create", path, e))
}

#[cfg(test)]
mod tests;
