//! Password-encrypted PKCS#8 (`EncryptedPrivateKeyInfo`, PBES2).
//!
//! Reading accepts PBKDF2 (HMAC-SHA-1/224/256/384/512) or scrypt with AES-128/192/256-CBC or
//! (legacy) DES-EDE3-CBC, after checking the KDF's work against [`KdfLimits`]. Writing uses
//! AES-256-CBC with scrypt or PBKDF2-HMAC-SHA256 and a fresh random salt and IV.

use der::asn1::{AnyRef, ObjectIdentifier as Oid, OctetStringRef};
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use pkcs5::pbes2::{self, Kdf};
use pkcs8::EncryptedPrivateKeyInfo;
use spki::AlgorithmIdentifierRef;
use zeroize::Zeroizing;

use super::encoding::oid_name;
use super::generate::random_bytes;
use super::{KdfLimits, PbeKdf};
use crate::error::{Error, Result};

/// scrypt cost written by this library: N = 2^14, r = 8, p = 1 (16 MiB).
///
/// OpenSSL 3.0 refuses scrypt parameters above 32 MiB of memory including its own overhead,
/// so N = 2^15, r = 8 (exactly 32 MiB) cannot be read by `openssl pkey`; 2^14 is OpenSSL's own
/// default and what keeps the exported keys readable there.
pub(crate) const SCRYPT_LOG_N: u8 = 14;
/// scrypt block size `r` written by this library.
pub(crate) const SCRYPT_R: u32 = 8;
/// scrypt parallelism `p` written by this library.
pub(crate) const SCRYPT_P: u32 = 1;
/// PBKDF2-HMAC-SHA256 iterations written by this library.
pub(crate) const PBKDF2_ITERATIONS: u32 = 600_000;
/// Highest scrypt parallelism accepted when reading.
pub(crate) const MAX_SCRYPT_P: u64 = 16;

const WHAT: &str = "private key";

const PBES2: Oid = pbes2::PBES2_OID;
const PBES1_PREFIX: &str = "1.2.840.113549.1.5.";
const PKCS12_PBE_PREFIX: &str = "1.2.840.113549.1.12.1.";

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed(WHAT, detail)
}

/// Parses `EncryptedPrivateKeyInfo` into its algorithm identifier and encrypted bytes.
fn split(der: &[u8]) -> Result<(AlgorithmIdentifierRef<'_>, &[u8])> {
    let outer = AnyRef::from_der(der).map_err(malformed)?;
    if outer.tag() != Tag::Sequence {
        return Err(malformed("EncryptedPrivateKeyInfo is not a SEQUENCE"));
    }
    let mut r = SliceReader::new(outer.value()).map_err(malformed)?;
    let alg = AlgorithmIdentifierRef::decode(&mut r).map_err(malformed)?;
    let data = <&OctetStringRef>::decode(&mut r).map_err(malformed)?;
    r.finish().map_err(malformed)?;
    Ok((alg, data.as_bytes()))
}

/// Checks the scheme's algorithms by OID, for a precise "unsupported" message.
fn check_algorithms(params: &AnyRef<'_>) -> Result<()> {
    let mut r = SliceReader::new(params.value()).map_err(malformed)?;
    let kdf = AlgorithmIdentifierRef::decode(&mut r).map_err(malformed)?;
    let enc = AlgorithmIdentifierRef::decode(&mut r).map_err(malformed)?;
    if kdf.oid != pbes2::PBKDF2_OID && kdf.oid != pbes2::SCRYPT_OID {
        return Err(Error::unsupported(
            "key derivation function",
            format!("{}; supported are PBKDF2 and scrypt", oid_name(&kdf.oid)),
        ));
    }
    let supported_ciphers = [
        pbes2::AES_128_CBC_OID,
        pbes2::AES_192_CBC_OID,
        pbes2::AES_256_CBC_OID,
        pbes2::DES_EDE3_CBC_OID,
    ];
    if !supported_ciphers.contains(&enc.oid) {
        return Err(Error::unsupported(
            "key encryption cipher",
            format!(
                "{}; supported are AES-128/192/256-CBC and DES-EDE3-CBC",
                oid_name(&enc.oid)
            ),
        ));
    }
    Ok(())
}

/// A budget of key-derivation work shared by every derivation of one input (a PKCS#12 file):
/// PBKDF2 and PKCS#12 KDF runs cost their iteration count, scrypt runs N * r * p.
#[derive(Debug)]
pub(crate) struct KdfBudget {
    remaining: std::cell::Cell<u64>,
    total: u64,
}

impl KdfBudget {
    /// A budget of `total` units.
    pub(crate) fn new(total: u64) -> Self {
        KdfBudget {
            remaining: std::cell::Cell::new(total),
            total,
        }
    }

    /// Charges `cost` units before a derivation runs; [`Error::LimitExceeded`] when the
    /// budget does not cover it.
    pub(crate) fn charge(&self, cost: u64) -> Result<()> {
        let left = self.remaining.get();
        if cost > left {
            return Err(Error::LimitExceeded(format!(
                "the key derivations of this input would cost more than its budget of {} \
                 (iterations, and N * r * p for scrypt)",
                self.total
            )));
        }
        self.remaining.set(left - cost);
        Ok(())
    }
}

/// What one derivation with `kdf` costs against a [`KdfBudget`].
fn kdf_cost(kdf: &Kdf) -> u64 {
    match kdf {
        Kdf::Pbkdf2(p) => u64::from(p.iteration_count),
        Kdf::Scrypt(s) => s
            .cost_parameter
            .saturating_mul(u64::from(s.block_size))
            .saturating_mul(u64::from(s.parallelization)),
        _ => 0,
    }
}

/// Refuses KDF parameters whose work is above `limits`, before any derivation.
pub(crate) fn check_limits(kdf: &Kdf, limits: KdfLimits) -> Result<()> {
    match kdf {
        Kdf::Pbkdf2(p) => {
            if p.iteration_count == 0 {
                return Err(malformed("PBKDF2 iteration count is 0"));
            }
            if p.iteration_count > limits.max_pbkdf2_iterations {
                return Err(Error::LimitExceeded(format!(
                    "PBKDF2 iteration count {} is above the limit of {}",
                    p.iteration_count, limits.max_pbkdf2_iterations
                )));
            }
        }
        Kdf::Scrypt(s) => {
            let n = s.cost_parameter;
            let r = u64::from(s.block_size);
            let p = u64::from(s.parallelization);
            if n < 2 || !n.is_power_of_two() {
                return Err(malformed(format!(
                    "scrypt cost parameter N = {n} is not a power of two above 1"
                )));
            }
            if r == 0 || p == 0 {
                return Err(malformed("scrypt r and p must be at least 1"));
            }
            let memory = 128u128 * u128::from(n) * u128::from(r);
            if memory > u128::from(limits.max_scrypt_memory) {
                return Err(Error::LimitExceeded(format!(
                    "scrypt memory 128 * N * r = {memory} bytes (N = {n}, r = {r}) is above the \
                     limit of {} bytes",
                    limits.max_scrypt_memory
                )));
            }
            if p > MAX_SCRYPT_P {
                return Err(Error::LimitExceeded(format!(
                    "scrypt parallelization p = {p} is above the limit of {MAX_SCRYPT_P}"
                )));
            }
        }
        _ => {
            return Err(Error::unsupported(
                "key derivation function",
                format!("{}; supported are PBKDF2 and scrypt", oid_name(&kdf.oid())),
            ));
        }
    }
    Ok(())
}

/// Decrypts an `EncryptedPrivateKeyInfo` to the PKCS#8 `PrivateKeyInfo` DER inside.
pub(crate) fn decrypt(
    der: &[u8],
    password: &[u8],
    limits: KdfLimits,
) -> Result<Zeroizing<Vec<u8>>> {
    let (alg, data) = split(der)?;
    decrypt_parts(alg, data, password, limits, None)
}

/// Decrypts `data` encrypted with the PBES2 scheme `alg` (also used for PKCS#12 bags and
/// `EncryptedData`), after checking the KDF's work against `limits`.
pub(crate) fn decrypt_parts(
    alg: AlgorithmIdentifierRef<'_>,
    data: &[u8],
    password: &[u8],
    limits: KdfLimits,
    budget: Option<&KdfBudget>,
) -> Result<Zeroizing<Vec<u8>>> {
    if alg.oid != PBES2 {
        let dotted = alg.oid.to_string();
        if dotted.starts_with(PBES1_PREFIX) || dotted.starts_with(PKCS12_PBE_PREFIX) {
            return Err(Error::unsupported(
                "key encryption",
                format!(
                    "{} (PBES1 / PKCS#12 PBE); re-encrypt with `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                    oid_name(&alg.oid)
                ),
            ));
        }
        return Err(Error::unsupported(
            "key encryption",
            format!("{}; supported is PBES2", oid_name(&alg.oid)),
        ));
    }
    let params_any = alg
        .parameters
        .ok_or_else(|| malformed("PBES2 without parameters"))?;
    if params_any.tag() != Tag::Sequence {
        return Err(malformed("PBES2 parameters are not a SEQUENCE"));
    }
    check_algorithms(&params_any)?;
    let params = pbes2::Parameters::try_from(params_any).map_err(|e| {
        Error::malformed(
            WHAT,
            format!("PBES2 parameters cannot be read (unsupported PRF?): {e}"),
        )
    })?;
    check_limits(&params.kdf, limits)?;
    if let Some(b) = budget {
        b.charge(kdf_cost(&params.kdf))?;
    }
    match params.decrypt(password, data) {
        Ok(plain) => Ok(Zeroizing::new(plain)),
        Err(pkcs5::Error::DecryptFailed) => Err(Error::BadPassword),
        Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
            Err(Error::unsupported("key encryption", oid_name(&oid)))
        }
        Err(pkcs5::Error::AlgorithmParametersInvalid { oid }) => Err(malformed(format!(
            "invalid parameters for {}",
            oid_name(&oid)
        ))),
        Err(_) => Err(Error::BadPassword),
    }
}

/// Encrypts PKCS#8 DER into an `EncryptedPrivateKeyInfo` (PBES2 with AES-256-CBC).
pub(crate) fn encrypt(pkcs8_der: &[u8], password: &[u8], kdf: PbeKdf) -> Result<Vec<u8>> {
    let mut salt = [0u8; 16];
    let mut iv = [0u8; 16];
    random_bytes(&mut salt)?;
    random_bytes(&mut iv)?;
    let failed = |e: pkcs5::Error| Error::Crypto(format!("cannot encrypt the private key: {e}"));
    let params = match kdf {
        PbeKdf::Scrypt => {
            let sp = scrypt_params()?;
            pbes2::Parameters::generate_scrypt_aes256cbc(sp, &salt, iv).map_err(failed)?
        }
        PbeKdf::Pbkdf2Sha256 => {
            pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(PBKDF2_ITERATIONS, &salt, iv)
                .map_err(failed)?
        }
    };
    let ciphertext = params.encrypt(password, pkcs8_der).map_err(failed)?;
    let data = OctetStringRef::new(&ciphertext)
        .map_err(|e| Error::Crypto(format!("cannot encode the encrypted key: {e}")))?;
    EncryptedPrivateKeyInfo {
        encryption_algorithm: pkcs5::EncryptionScheme::Pbes2(params),
        encrypted_data: data,
    }
    .to_der()
    .map_err(|e| Error::Crypto(format!("cannot encode the encrypted key: {e}")))
}

fn scrypt_params() -> Result<pkcs5::scrypt::Params> {
    pkcs5::scrypt::Params::new(SCRYPT_LOG_N, SCRYPT_R, SCRYPT_P)
        .map_err(|e| Error::Crypto(format!("scrypt parameters: {e}")))
}
