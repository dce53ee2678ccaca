//! The cryptography of PKCS#12: password encodings, the PKCS#12 KDF (RFC 7292 appendix B), the
//! MAC, the legacy PKCS#12 PBE ciphers (3DES, RC2) and PBES2 (through `key::pbes2`).

use crate::key::pbes2::KdfBudget;
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt};
use cbc::cipher::{InnerIvInit, KeyInit};
use der::asn1::ObjectIdentifier as Oid;
use hmac::Mac;
use pkcs12::kdf::Pkcs12KeyType;
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use super::asn1::{self, Reader, TAG_INTEGER, TAG_OCTET_STRING, TAG_SEQUENCE, malformed};
use crate::cert::oid;
use crate::error::{Error, Result};
use crate::key::KdfLimits;
use crate::tlv;

pub(super) const PBE_SHA1_3DES: Oid = pkcs12::PKCS_12_PBE_WITH_SHAAND3_KEY_TRIPLE_DES_CBC;
pub(super) const PBE_SHA1_2DES: Oid = pkcs12::PKCS_12_PBE_WITH_SHAAND2_KEY_TRIPLE_DES_CBC;
pub(super) const PBE_SHA1_RC2_128: Oid = pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC2_CBC;
pub(super) const PBE_SHA1_RC2_40: Oid = pkcs12::PKCS_12_PBEWITH_SHAAND40_BIT_RC2_CBC;
pub(super) const PBE_SHA1_RC4_128: Oid = pkcs12::PKCS_12_PBE_WITH_SHAAND128_BIT_RC4;
pub(super) const PBE_SHA1_RC4_40: Oid = pkcs12::PKCS_12_PBE_WITH_SHAAND40_BIT_RC4;
pub(super) const PBES2: Oid = pkcs5::pbes2::PBES2_OID;
use crate::cert::oid::PBMAC1;

/// The hash of a PKCS#12 MAC (HMAC keyed through the PKCS#12 KDF).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MacHash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl MacHash {
    /// The hash named by a DigestInfo algorithm OID.
    pub(super) fn from_oid(oid: &Oid) -> Option<Self> {
        [
            MacHash::Sha1,
            MacHash::Sha224,
            MacHash::Sha256,
            MacHash::Sha384,
            MacHash::Sha512,
        ]
        .into_iter()
        .find(|h| h.oid() == *oid)
    }

    /// The DigestInfo algorithm OID.
    pub(super) fn oid(self) -> Oid {
        match self {
            MacHash::Sha1 => oid::SHA1,
            MacHash::Sha224 => oid::SHA224,
            MacHash::Sha256 => oid::SHA256,
            MacHash::Sha384 => oid::SHA384,
            MacHash::Sha512 => oid::SHA512,
        }
    }

    /// Output length in bytes (also the MAC key length).
    pub(super) fn len(self) -> usize {
        match self {
            MacHash::Sha1 => 20,
            MacHash::Sha224 => 28,
            MacHash::Sha256 => 32,
            MacHash::Sha384 => 48,
            MacHash::Sha512 => 64,
        }
    }

    /// HMAC of `data` under `key`.
    fn hmac(self, key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
        fn run<M: Mac + hmac::KeyInit>(key: &[u8], data: &[u8]) -> Result<Vec<u8>> {
            let mut mac = <M as hmac::KeyInit>::new_from_slice(key)
                .map_err(|e| Error::Crypto(format!("HMAC key: {e}")))?;
            mac.update(data);
            Ok(mac.finalize().into_bytes().to_vec())
        }
        match self {
            MacHash::Sha1 => run::<hmac::Hmac<sha1::Sha1>>(key, data),
            MacHash::Sha224 => run::<hmac::Hmac<sha2::Sha224>>(key, data),
            MacHash::Sha256 => run::<hmac::Hmac<sha2::Sha256>>(key, data),
            MacHash::Sha384 => run::<hmac::Hmac<sha2::Sha384>>(key, data),
            MacHash::Sha512 => run::<hmac::Hmac<sha2::Sha512>>(key, data),
        }
    }

    /// The PKCS#12 KDF with this hash.
    fn derive(
        self,
        password: &[u8],
        salt: &[u8],
        id: Pkcs12KeyType,
        iterations: i32,
        len: usize,
    ) -> Zeroizing<Vec<u8>> {
        use pkcs12::kdf::derive_key;
        Zeroizing::new(match self {
            MacHash::Sha1 => derive_key::<sha1::Sha1>(password, salt, id, iterations, len),
            MacHash::Sha224 => derive_key::<sha2::Sha224>(password, salt, id, iterations, len),
            MacHash::Sha256 => derive_key::<sha2::Sha256>(password, salt, id, iterations, len),
            MacHash::Sha384 => derive_key::<sha2::Sha384>(password, salt, id, iterations, len),
            MacHash::Sha512 => derive_key::<sha2::Sha512>(password, salt, id, iterations, len),
        })
    }
}

/// The password as the PKCS#12 KDF takes it: a BMPString (UTF-16BE, as OpenSSL encodes
/// characters outside the BMP) with a trailing NUL character.
pub(super) fn bmp_password(password: &str) -> Zeroizing<Vec<u8>> {
    let mut out = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
    for unit in password.encode_utf16() {
        out.extend_from_slice(&unit.to_be_bytes());
    }
    out.extend_from_slice(&[0, 0]);
    out
}

/// The encodings of `password` the PKCS#12 KDF may have been given by the writer of a file, in
/// the order they are tried (as OpenSSL tries them):
///
/// - the BMPString with its trailing NUL (RFC 7292);
/// - for an empty password, also no bytes at all (OpenSSL's "no password", `NULL`);
/// - for a non-ASCII password, also each UTF-8 byte widened to 16 bits (files written by
///   OpenSSL before 1.1.0, which did not convert from UTF-8).
pub(super) fn password_candidates(password: &str) -> Vec<Zeroizing<Vec<u8>>> {
    let mut out = vec![bmp_password(password)];
    if password.is_empty() {
        out.push(Zeroizing::new(Vec::new()));
    } else if !password.is_ascii() {
        let mut widened = Zeroizing::new(Vec::with_capacity(password.len() * 2 + 2));
        for b in password.bytes() {
            widened.extend_from_slice(&[0, b]);
        }
        widened.extend_from_slice(&[0, 0]);
        out.push(widened);
    }
    out
}

/// Checks a KDF iteration count read from a file against the limits, before any work.
pub(super) fn check_iterations(iterations: u64, limits: &KdfLimits, what: &str) -> Result<i32> {
    if iterations == 0 {
        return Err(malformed(format!("{what} iteration count is 0")));
    }
    if iterations > u64::from(limits.max_pbkdf2_iterations) {
        return Err(Error::LimitExceeded(format!(
            "{what} iteration count {iterations} is above the limit of {}",
            limits.max_pbkdf2_iterations
        )));
    }
    i32::try_from(iterations).map_err(|_| {
        Error::LimitExceeded(format!(
            "{what} iteration count {iterations} is above the PKCS#12 maximum of {}",
            i32::MAX
        ))
    })
}

/// The MAC of a PKCS#12 file, parsed and checked against the limits.
pub(super) struct MacData {
    pub hash: MacHash,
    pub digest: Vec<u8>,
    pub salt: Vec<u8>,
    pub iterations: i32,
}

impl MacData {
    /// Parses the contents of `MacData ::= SEQUENCE { mac DigestInfo, macSalt OCTET STRING,
    /// iterations INTEGER DEFAULT 1 }` and checks its cost before anything is derived.
    pub(super) fn parse(value: &[u8], limits: &KdfLimits) -> Result<Self> {
        let mut r = Reader::new(value);
        let digest_info = r.expect(TAG_SEQUENCE, "MAC DigestInfo")?;
        let salt = r.expect(TAG_OCTET_STRING, "MAC salt")?.value.to_vec();
        let iterations = match r.optional(TAG_INTEGER)? {
            Some(t) => asn1::integer_u64(t.value, "MAC iteration count")?,
            None => 1,
        };
        r.finish("MacData")?;

        let mut d = Reader::new(digest_info.value);
        let alg = d.expect(TAG_SEQUENCE, "MAC algorithm")?;
        let digest = d.expect(TAG_OCTET_STRING, "MAC value")?.value.to_vec();
        d.finish("DigestInfo")?;
        let mut a = Reader::new(alg.value);
        let oid = asn1::read_oid(&mut a, "MAC algorithm")?;
        // Parameters: absent or NULL.
        if let Some(params) = a.optional(0x05)?
            && !params.value.is_empty()
        {
            return Err(malformed("MAC algorithm parameters are not NULL"));
        }
        a.finish("MAC algorithm (parameters must be absent or NULL)")?;
        let hash = match MacHash::from_oid(&oid) {
            Some(h) => h,
            None if oid == PBMAC1 => {
                return Err(Error::unsupported(
                    "PKCS#12 MAC",
                    "PBMAC1 (RFC 9579); export the file with a classic HMAC MAC \
                     (OpenSSL: without -pbmac1_pbkdf2)",
                ));
            }
            None => {
                return Err(Error::unsupported(
                    "PKCS#12 MAC",
                    format!(
                        "digest {oid}; supported are HMAC with SHA-1, SHA-224, SHA-256, SHA-384 and SHA-512"
                    ),
                ));
            }
        };
        if digest.len() != hash.len() {
            return Err(malformed(format!(
                "the MAC is {} bytes long, {:?} gives {}",
                digest.len(),
                hash,
                hash.len()
            )));
        }
        let iterations = check_iterations(iterations, limits, "MAC")?;
        Ok(MacData {
            hash,
            digest,
            salt,
            iterations,
        })
    }

    /// Whether the MAC over `data` verifies with the KDF-encoded password `password`
    /// (constant-time comparison).
    pub(super) fn verify(&self, password: &[u8], data: &[u8]) -> Result<bool> {
        let key = self.hash.derive(
            password,
            &self.salt,
            Pkcs12KeyType::Mac,
            self.iterations,
            self.hash.len(),
        );
        let mac = Zeroizing::new(self.hash.hmac(&key, data)?);
        Ok(bool::from(mac.as_slice().ct_eq(&self.digest)))
    }
}

/// Computes the MAC of `data` for a new file: returns the DER `MacData`.
pub(super) fn make_mac_data(
    hash: MacHash,
    password: &[u8],
    salt: &[u8],
    iterations: u32,
    data: &[u8],
) -> Result<Vec<u8>> {
    let rounds = i32::try_from(iterations)
        .map_err(|_| Error::InvalidArgument("iteration count too large".into()))?;
    let key = hash.derive(password, salt, Pkcs12KeyType::Mac, rounds, hash.len());
    let mac = hash.hmac(&key, data)?;
    let alg = tlv::sequence(&[&tlv::oid(&hash.oid()), &[0x05, 0x00]]);
    let digest_info = tlv::sequence(&[&alg, &tlv::octet_string(&mac)]);
    Ok(tlv::sequence(&[
        &digest_info,
        &tlv::octet_string(salt),
        &tlv::integer(iterations),
    ]))
}

/// A legacy PKCS#12 PBE cipher (RFC 7292 appendix C), keyed through the PKCS#12 KDF with SHA-1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegacyCipher {
    /// pbeWithSHAAnd3-KeyTripleDES-CBC.
    TripleDes3Key,
    /// pbeWithSHAAnd2-KeyTripleDES-CBC.
    TripleDes2Key,
    /// pbeWithSHAAnd128BitRC2-CBC.
    Rc2_128,
    /// pbeWithSHAAnd40BitRC2-CBC.
    Rc2_40,
}

impl LegacyCipher {
    pub(super) fn from_oid(oid: &Oid) -> Option<Self> {
        match *oid {
            PBE_SHA1_3DES => Some(LegacyCipher::TripleDes3Key),
            PBE_SHA1_2DES => Some(LegacyCipher::TripleDes2Key),
            PBE_SHA1_RC2_128 => Some(LegacyCipher::Rc2_128),
            PBE_SHA1_RC2_40 => Some(LegacyCipher::Rc2_40),
            _ => None,
        }
    }

    pub(super) fn oid(self) -> Oid {
        match self {
            LegacyCipher::TripleDes3Key => PBE_SHA1_3DES,
            LegacyCipher::TripleDes2Key => PBE_SHA1_2DES,
            LegacyCipher::Rc2_128 => PBE_SHA1_RC2_128,
            LegacyCipher::Rc2_40 => PBE_SHA1_RC2_40,
        }
    }

    fn key_len(self) -> usize {
        match self {
            LegacyCipher::TripleDes3Key => 24,
            LegacyCipher::TripleDes2Key | LegacyCipher::Rc2_128 => 16,
            LegacyCipher::Rc2_40 => 5,
        }
    }

    /// Key and IV from the password (KDF-encoded) and parameters.
    fn key_iv(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: i32,
    ) -> (Zeroizing<Vec<u8>>, Zeroizing<Vec<u8>>) {
        let key = MacHash::Sha1.derive(
            password,
            salt,
            Pkcs12KeyType::EncryptionKey,
            iterations,
            self.key_len(),
        );
        let iv = MacHash::Sha1.derive(password, salt, Pkcs12KeyType::Iv, iterations, 8);
        (key, iv)
    }

    /// Decrypts and unpads; `None` when the padding is wrong (a wrong password, usually).
    fn decrypt(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: i32,
        data: &[u8],
    ) -> Result<Option<Zeroizing<Vec<u8>>>> {
        let (key, iv) = self.key_iv(password, salt, iterations);
        let mut buf = Zeroizing::new(data.to_vec());
        let len = match self {
            LegacyCipher::TripleDes3Key => {
                let c = des::TdesEde3::new_from_slice(&key).map_err(cipher_error)?;
                cbc_decrypt(c, &iv, &mut buf)?
            }
            LegacyCipher::TripleDes2Key => {
                let c = des::TdesEde2::new_from_slice(&key).map_err(cipher_error)?;
                cbc_decrypt(c, &iv, &mut buf)?
            }
            LegacyCipher::Rc2_128 => {
                cbc_decrypt(rc2::Rc2::new_with_eff_key_len(&key, 128), &iv, &mut buf)?
            }
            LegacyCipher::Rc2_40 => {
                cbc_decrypt(rc2::Rc2::new_with_eff_key_len(&key, 40), &iv, &mut buf)?
            }
        };
        Ok(len.map(|len| {
            buf.truncate(len);
            buf
        }))
    }

    /// Pads and encrypts.
    pub(super) fn encrypt(
        self,
        password: &[u8],
        salt: &[u8],
        iterations: u32,
        plain: &[u8],
    ) -> Result<Vec<u8>> {
        let rounds = i32::try_from(iterations)
            .map_err(|_| Error::InvalidArgument("iteration count too large".into()))?;
        let (key, iv) = self.key_iv(password, salt, rounds);
        match self {
            LegacyCipher::TripleDes3Key => {
                let c = des::TdesEde3::new_from_slice(&key).map_err(cipher_error)?;
                cbc_encrypt(c, &iv, plain)
            }
            LegacyCipher::TripleDes2Key => {
                let c = des::TdesEde2::new_from_slice(&key).map_err(cipher_error)?;
                cbc_encrypt(c, &iv, plain)
            }
            LegacyCipher::Rc2_128 => {
                cbc_encrypt(rc2::Rc2::new_with_eff_key_len(&key, 128), &iv, plain)
            }
            LegacyCipher::Rc2_40 => {
                cbc_encrypt(rc2::Rc2::new_with_eff_key_len(&key, 40), &iv, plain)
            }
        }
    }

    /// The DER AlgorithmIdentifier with `pkcs-12PbeParams`.
    pub(super) fn algorithm_identifier(self, salt: &[u8], iterations: u32) -> Vec<u8> {
        let params = tlv::sequence(&[&tlv::octet_string(salt), &tlv::integer(iterations)]);
        tlv::sequence(&[&tlv::oid(&self.oid()), &params])
    }
}

fn cipher_error(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("cipher setup failed: {e}"))
}

/// CBC-decrypts `buf` in place; the plaintext length, or `None` for bad padding.
fn cbc_decrypt<C>(cipher: C, iv: &[u8], buf: &mut [u8]) -> Result<Option<usize>>
where
    C: BlockCipherDecrypt,
{
    let dec = cbc::Decryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(cipher_error)?;
    Ok(dec.decrypt_padded::<Pkcs7>(buf).ok().map(<[u8]>::len))
}

fn cbc_encrypt<C>(cipher: C, iv: &[u8], plain: &[u8]) -> Result<Vec<u8>>
where
    C: BlockCipherEncrypt,
{
    let enc = cbc::Encryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(cipher_error)?;
    Ok(enc.encrypt_padded_vec::<Pkcs7>(plain))
}

/// Decrypts `data` encrypted with the algorithm whose DER AlgorithmIdentifier contents are
/// `alg_value`, trying each KDF encoding of the password in `candidates` for the PKCS#12 PBE
/// schemes (PBES2 takes the UTF-8 bytes). The cost is checked against `limits` first.
///
/// A wrong password gives [`Error::BadPassword`].
pub(super) fn decrypt(
    alg_der: &[u8],
    data: &[u8],
    password: &str,
    candidates: &[Zeroizing<Vec<u8>>],
    limits: &KdfLimits,
    budget: &KdfBudget,
) -> Result<Zeroizing<Vec<u8>>> {
    let alg_tlv = asn1::single(alg_der, TAG_SEQUENCE, "encryption algorithm")?;
    let mut r = Reader::new(alg_tlv.value);
    let oid = asn1::read_oid(&mut r, "encryption algorithm")?;
    if oid == PBES2 {
        let alg = <spki::AlgorithmIdentifierRef<'_> as der::Decode>::from_der(alg_der)
            .map_err(|e| malformed(format!("PBES2 algorithm identifier: {e}")))?;
        return crate::key::pbes2::decrypt_parts(
            alg,
            data,
            password.as_bytes(),
            *limits,
            Some(budget),
        )
        .map_err(|e| match e {
            Error::Malformed { detail, .. } => malformed(detail),
            other => other,
        });
    }
    let Some(cipher) = LegacyCipher::from_oid(&oid) else {
        let detail = if oid == PBE_SHA1_RC4_128 || oid == PBE_SHA1_RC4_40 {
            format!("RC4 ({oid})")
        } else {
            oid.to_string()
        };
        return Err(Error::unsupported(
            "PKCS#12 encryption",
            format!("{detail}; supported are PBES2 (AES) and the PKCS#12 PBEs with 3DES and RC2"),
        ));
    };
    let params = r.expect(TAG_SEQUENCE, "PKCS#12 PBE parameters")?;
    r.finish("encryption algorithm")?;
    let mut p = Reader::new(params.value);
    let salt = p.expect(TAG_OCTET_STRING, "PBE salt")?.value;
    let iterations = asn1::integer_u64(
        p.expect(TAG_INTEGER, "PBE iteration count")?.value,
        "PBE iteration count",
    )?;
    p.finish("PKCS#12 PBE parameters")?;
    let iterations = check_iterations(iterations, limits, "PKCS#12 PBE")?;
    if data.is_empty() || !data.len().is_multiple_of(8) {
        return Err(malformed(
            "encrypted data is not a whole number of cipher blocks",
        ));
    }
    for pw in candidates {
        // Each try is a derivation (the key and the IV): charged against the file's budget.
        budget.charge(2 * iterations as u64)?;
        if let Some(plain) = cipher.decrypt(pw, salt, iterations, data)? {
            return Ok(plain);
        }
    }
    Err(Error::BadPassword)
}

#[cfg(test)]
mod tests;
