//! Content encryption: the algorithms (AES-CBC and AES-GCM to write; also 3DES, DES and RC2 in
//! CBC mode to read), their parameters, and the encryption itself.
//!
//! Decryption never tells why it failed: a wrong key and bad padding (CBC) or a wrong tag (GCM)
//! end in the same [`super::decryption_failed`] error. The CBC padding is checked without
//! secret-dependent branches, and combined with what the key recovery reported (also in
//! constant time) before the one branch that decides.

use aes_gcm::aead::consts::{U12, U13, U14, U15, U16};
use aes_gcm::{AeadInOut, AesGcm, KeyInit};
use cbc::cipher::block_padding::{NoPadding, Pkcs7};
use cbc::cipher::{
    BlockCipherDecrypt, BlockCipherEncrypt, BlockModeDecrypt, BlockModeEncrypt, BlockSizeUser,
    InnerIvInit,
};
use der::Tag;
use subtle::{
    Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater, ConstantTimeLess,
};
use zeroize::Zeroizing;

use super::ContentCipher;
use super::asn1::{self, AlgId, Elements, malformed};
use crate::error::{Error, Result};
use crate::smime::weakness::LegacyCipher;

/// A block cipher used in CBC mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BlockCipher {
    Aes128,
    Aes192,
    Aes256,
    /// des-ede3-cbc (legacy, read only).
    DesEde3,
    /// des-cbc (legacy, read only).
    Des,
    /// rc2-cbc with this effective key size in bits (legacy, read only).
    Rc2(u16),
}

impl BlockCipher {
    fn block_len(self) -> usize {
        match self {
            BlockCipher::Aes128 | BlockCipher::Aes192 | BlockCipher::Aes256 => 16,
            _ => 8,
        }
    }

    fn key_len(self) -> usize {
        match self {
            BlockCipher::Aes128 => 16,
            BlockCipher::Aes192 => 24,
            BlockCipher::Aes256 => 32,
            BlockCipher::DesEde3 => 24,
            BlockCipher::Des => 8,
            BlockCipher::Rc2(bits) => usize::from(bits / 8),
        }
    }

    fn name(self) -> String {
        match self.legacy() {
            Some(old) => old.to_string(),
            None => format!("AES-{}-CBC", self.key_len() * 8),
        }
    }

    /// The old cipher this is, if it is one (read only, never written).
    fn legacy(self) -> Option<LegacyCipher> {
        match self {
            BlockCipher::Aes128 | BlockCipher::Aes192 | BlockCipher::Aes256 => None,
            BlockCipher::DesEde3 => Some(LegacyCipher::DesEde3Cbc),
            BlockCipher::Des => Some(LegacyCipher::DesCbc),
            BlockCipher::Rc2(bits) => Some(LegacyCipher::Rc2Cbc { bits }),
        }
    }
}

/// A content-encryption algorithm with its parameters, as read from a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ContentAlg {
    /// A block cipher in CBC mode with PKCS#7 padding (EnvelopedData).
    Cbc { cipher: BlockCipher, iv: Vec<u8> },
    /// AES-GCM (AuthEnvelopedData): key length, 12-byte nonce, tag length (12 to 16).
    Gcm {
        key_len: usize,
        nonce: [u8; 12],
        icv_len: usize,
    },
}

/// Reads an IV parameter: an OCTET STRING of `len` bytes.
fn iv_param(alg: &AlgId<'_>, len: usize, name: &str) -> Result<Vec<u8>> {
    match &alg.params {
        Some(p) if p.tag == Tag::OctetString && p.value.len() == len => Ok(p.value.to_vec()),
        _ => Err(malformed(format!(
            "the {name} parameters must be a {len}-byte IV (OCTET STRING)"
        ))),
    }
}

/// The value of a small non-negative INTEGER's contents octets.
fn small_uint(value: &[u8], what: &str) -> Result<u32> {
    let bad = || malformed(format!("{what} is not a small non-negative INTEGER"));
    if value.is_empty() || value.len() > 4 || value[0] & 0x80 != 0 {
        return Err(bad());
    }
    Ok(value.iter().fold(0u32, |acc, b| (acc << 8) | u32::from(*b)))
}

impl ContentAlg {
    /// Parses the content-encryption AlgorithmIdentifier of an EnvelopedData (`aead` false) or
    /// AuthEnvelopedData (`aead` true). Every check on public data happens here, before any key
    /// is used.
    pub(super) fn parse(alg: &AlgId<'_>, aead: bool) -> Result<Self> {
        let cbc = [
            (&asn1::AES128_CBC, BlockCipher::Aes128),
            (&asn1::AES192_CBC, BlockCipher::Aes192),
            (&asn1::AES256_CBC, BlockCipher::Aes256),
            (&asn1::DES_EDE3_CBC, BlockCipher::DesEde3),
            (&asn1::DES_CBC, BlockCipher::Des),
        ];
        let gcm = [
            (&asn1::AES128_GCM, 16),
            (&asn1::AES192_GCM, 24),
            (&asn1::AES256_GCM, 32),
        ];
        if let Some((_, key_len)) = gcm.iter().find(|(oid, _)| alg.is(oid)) {
            if !aead {
                return Err(Error::unsupported(
                    "content encryption",
                    "AES-GCM inside EnvelopedData; RFC 5084 puts it in AuthEnvelopedData",
                ));
            }
            return Self::parse_gcm(alg, *key_len);
        }
        let (cipher, rc2_iv) = if let Some((_, c)) = cbc.iter().find(|(oid, _)| alg.is(oid)) {
            (*c, None)
        } else if alg.is(&asn1::RC2_CBC) {
            let (bits, iv) = rc2_params(alg)?;
            (BlockCipher::Rc2(bits), Some(iv))
        } else if alg.is(&asn1::AES128_CCM) || alg.is(&asn1::AES256_CCM) {
            return Err(Error::unsupported(
                "content encryption",
                "AES-CCM; AES-GCM is supported",
            ));
        } else {
            return Err(Error::unsupported(
                "content encryption",
                format!(
                    "{}; supported are AES-CBC and AES-GCM (and, to read old mail, 3DES, DES and \
                     RC2 in CBC mode)",
                    alg.name()
                ),
            ));
        };
        if aead {
            return Err(Error::unsupported(
                "content encryption",
                format!(
                    "{} in AuthEnvelopedData: only authenticated encryption (AES-GCM) is allowed \
                     there",
                    cipher.name()
                ),
            ));
        }
        let iv = match rc2_iv {
            Some(iv) => iv,
            None => iv_param(alg, cipher.block_len(), &cipher.name())?,
        };
        Ok(ContentAlg::Cbc { cipher, iv })
    }

    /// GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 }.
    fn parse_gcm(alg: &AlgId<'_>, key_len: usize) -> Result<Self> {
        let Some(params) = alg.params.as_ref().filter(|p| p.tag == Tag::Sequence) else {
            return Err(malformed(
                "the AES-GCM parameters (GCMParameters) are missing",
            ));
        };
        let mut r = Elements::new(params.value, "GCMParameters");
        let nonce = r.expect(Tag::OctetString, "nonce")?.value;
        let icv_len = match r.optional(Tag::Integer)? {
            Some(i) => small_uint(i.value, "the AES-GCM tag length")?,
            None => 12,
        };
        r.finish()?;
        let nonce: [u8; 12] = nonce.try_into().map_err(|_| {
            Error::unsupported(
                "AES-GCM parameters",
                format!(
                    "a {}-byte nonce; only 12-byte nonces are accepted (RFC 5084)",
                    nonce.len()
                ),
            )
        })?;
        if !(12..=16).contains(&icv_len) {
            return Err(Error::unsupported(
                "AES-GCM parameters",
                format!("a {icv_len}-byte authentication tag; 12 to 16 bytes are accepted"),
            ));
        }
        Ok(ContentAlg::Gcm {
            key_len,
            nonce,
            icv_len: icv_len as usize,
        })
    }

    /// Length of the content-encryption key in bytes.
    pub(super) fn key_len(&self) -> usize {
        match self {
            ContentAlg::Cbc { cipher, .. } => cipher.key_len(),
            ContentAlg::Gcm { key_len, .. } => *key_len,
        }
    }

    /// A readable name ("AES-256-GCM", "3DES-CBC").
    pub(super) fn name(&self) -> String {
        match self {
            ContentAlg::Cbc { cipher, .. } => cipher.name(),
            ContentAlg::Gcm { key_len, .. } => format!("AES-{}-GCM", key_len * 8),
        }
    }

    /// The old cipher this is, if it is one (only read, never written).
    pub(super) fn legacy(&self) -> Option<LegacyCipher> {
        match self {
            ContentAlg::Cbc { cipher, .. } => cipher.legacy(),
            ContentAlg::Gcm { .. } => None,
        }
    }

    /// Checks the length of the ciphertext (and tag), which are public, before any key is used.
    pub(super) fn check_lengths(&self, ciphertext: &[u8], mac: Option<&[u8]>) -> Result<()> {
        match self {
            ContentAlg::Cbc { cipher, .. } => {
                let bl = cipher.block_len();
                if ciphertext.is_empty() || !ciphertext.len().is_multiple_of(bl) {
                    return Err(malformed(format!(
                        "the encrypted content ({} bytes) is not a whole number of {bl}-byte \
                         {} blocks",
                        ciphertext.len(),
                        cipher.name()
                    )));
                }
                Ok(())
            }
            ContentAlg::Gcm { icv_len, .. } => {
                let Some(mac) = mac else {
                    return Err(malformed("the authentication tag (mac) is missing"));
                };
                if mac.len() != *icv_len {
                    return Err(Error::unsupported(
                        "AES-GCM authentication tag",
                        format!(
                            "the tag has {} bytes but the parameters announce {icv_len}; a tag \
                             of 12 to 16 bytes matching the parameters is required",
                            mac.len()
                        ),
                    ));
                }
                Ok(())
            }
        }
    }

    /// Decrypts `ciphertext` (in place) with `cek`, which has `key_len()` bytes. `key_ok` says
    /// (in constant time) whether the key recovery succeeded; a false `key_ok` fails like a
    /// wrong key, after the same work. `aad` and `mac` are for GCM.
    pub(super) fn decrypt(
        &self,
        cek: &[u8],
        key_ok: Choice,
        ciphertext: Vec<u8>,
        aad: &[u8],
        mac: Option<&[u8]>,
    ) -> Result<Zeroizing<Vec<u8>>> {
        let mut buf = Zeroizing::new(ciphertext);
        match self {
            ContentAlg::Cbc { cipher, iv } => {
                cbc_decrypt_blocks(*cipher, cek, iv, &mut buf)?;
                let (pad_ok, pad_len) = pkcs7_check(&buf, cipher.block_len());
                if !bool::from(key_ok & pad_ok) {
                    return Err(super::decryption_failed());
                }
                let keep = buf.len() - usize::from(pad_len);
                buf.truncate(keep);
                Ok(buf)
            }
            ContentAlg::Gcm {
                key_len,
                nonce,
                icv_len,
            } => {
                let tag = mac.ok_or_else(|| malformed("the authentication tag is missing"))?;
                let verified = gcm_open(*key_len, *icv_len, cek, nonce, aad, &mut buf, tag)?;
                // No plaintext leaves unless the tag verified (aes-gcm only decrypts then).
                if !bool::from(key_ok & Choice::from(u8::from(verified))) {
                    return Err(super::decryption_failed());
                }
                Ok(buf)
            }
        }
    }
}

/// RC2-CBC-Parameter ::= SEQUENCE { rc2ParameterVersion INTEGER, iv OCTET STRING (8) }: the
/// effective key size in bits (RFC 8018 B.2.3) and the IV.
fn rc2_params(alg: &AlgId<'_>) -> Result<(u16, Vec<u8>)> {
    let Some(params) = alg.params.as_ref().filter(|p| p.tag == Tag::Sequence) else {
        return Err(Error::unsupported(
            "RC2 parameters",
            "RC2-CBC without a parameter version (effective key size)",
        ));
    };
    let mut r = Elements::new(params.value, "RC2-CBC parameters");
    let version = small_uint(
        r.expect(Tag::Integer, "version")?.value,
        "the RC2 parameter version",
    )?;
    let iv = r.expect(Tag::OctetString, "IV")?.value;
    r.finish()?;
    if iv.len() != 8 {
        return Err(malformed("the RC2-CBC IV must be 8 bytes"));
    }
    let bits = match version {
        160 => 40,
        120 => 64,
        58 => 128,
        v @ 256..=1024 if v.is_multiple_of(8) => v as u16,
        other => {
            return Err(Error::unsupported(
                "RC2 parameters",
                format!("RC2 parameter version {other}"),
            ));
        }
    };
    Ok((bits, iv.to_vec()))
}

fn cipher_setup(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("cipher setup failed: {e}"))
}

/// CBC-decrypts whole blocks in place, without removing padding.
fn cbc_blocks<C>(cipher: C, iv: &[u8], buf: &mut [u8]) -> Result<()>
where
    C: BlockCipherDecrypt + BlockSizeUser,
{
    let dec = cbc::Decryptor::<C>::inner_iv_slice_init(cipher, iv).map_err(cipher_setup)?;
    dec.decrypt_padded::<NoPadding>(buf)
        .map_err(|_| malformed("the encrypted content is not a whole number of blocks"))?;
    Ok(())
}

fn cbc_decrypt_blocks(cipher: BlockCipher, key: &[u8], iv: &[u8], buf: &mut [u8]) -> Result<()> {
    use cbc::cipher::KeyInit as _;
    match cipher {
        BlockCipher::Aes128 => cbc_blocks(
            aes::Aes128::new_from_slice(key).map_err(cipher_setup)?,
            iv,
            buf,
        ),
        BlockCipher::Aes192 => cbc_blocks(
            aes::Aes192::new_from_slice(key).map_err(cipher_setup)?,
            iv,
            buf,
        ),
        BlockCipher::Aes256 => cbc_blocks(
            aes::Aes256::new_from_slice(key).map_err(cipher_setup)?,
            iv,
            buf,
        ),
        BlockCipher::DesEde3 => cbc_blocks(
            des::TdesEde3::new_from_slice(key).map_err(cipher_setup)?,
            iv,
            buf,
        ),
        BlockCipher::Des => cbc_blocks(
            des::Des::new_from_slice(key).map_err(cipher_setup)?,
            iv,
            buf,
        ),
        BlockCipher::Rc2(bits) => {
            // rc2 panics on keys outside 1..=128 bytes or effective sizes outside 1..=1024
            // bits; `rc2_params` only admits 40..=1024 bits and the key is bits / 8 bytes.
            if key.is_empty() || key.len() > 128 || !(8..=1024).contains(&bits) {
                return Err(cipher_setup("RC2 key size out of range"));
            }
            cbc_blocks(
                rc2::Rc2::new_with_eff_key_len(key, usize::from(bits)),
                iv,
                buf,
            )
        }
    }
}

/// Checks PKCS#7 padding over the last block of `buf` without branching on its bytes: whether
/// it is valid, and how many bytes it covers (0 when invalid).
pub(super) fn pkcs7_check(buf: &[u8], block_len: usize) -> (Choice, u8) {
    let Some(&last) = buf.last() else {
        return (Choice::from(0), 0);
    };
    let block_len = block_len.min(buf.len());
    let bl = block_len as u8;
    let mut ok = !last.ct_eq(&0) & !last.ct_gt(&bl);
    for i in 0..block_len {
        let b = buf[buf.len() - 1 - i];
        let in_padding = (i as u8).ct_lt(&last);
        ok &= !in_padding | b.ct_eq(&last);
    }
    (ok, u8::conditional_select(&0, &last, ok))
}

/// AES-GCM open with a tag of `icv_len` bytes: true (and `buf` decrypted) when the tag
/// verifies; false (and `buf` untouched) otherwise.
fn gcm_open(
    key_len: usize,
    icv_len: usize,
    key: &[u8],
    nonce: &[u8; 12],
    aad: &[u8],
    buf: &mut [u8],
    tag: &[u8],
) -> Result<bool> {
    fn open<A, T>(
        key: &[u8],
        nonce: &[u8; 12],
        aad: &[u8],
        buf: &mut [u8],
        tag: &[u8],
    ) -> Result<bool>
    where
        A: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt + cbc::cipher::KeyInit,
        T: aes_gcm::TagSize,
    {
        let cipher = AesGcm::<A, U12, T>::new_from_slice(key).map_err(cipher_setup)?;
        let tag = aes_gcm::Tag::<T>::try_from(tag)
            .map_err(|_| malformed("the authentication tag has the wrong length"))?;
        let nonce = aes_gcm::Nonce::<U12>::from(*nonce);
        Ok(cipher
            .decrypt_inout_detached(&nonce, aad, buf.into(), &tag)
            .is_ok())
    }
    macro_rules! by_tag {
        ($aes:ty) => {
            match icv_len {
                12 => open::<$aes, U12>(key, nonce, aad, buf, tag),
                13 => open::<$aes, U13>(key, nonce, aad, buf, tag),
                14 => open::<$aes, U14>(key, nonce, aad, buf, tag),
                15 => open::<$aes, U15>(key, nonce, aad, buf, tag),
                16 => open::<$aes, U16>(key, nonce, aad, buf, tag),
                _ => Err(malformed("unsupported AES-GCM tag length")),
            }
        };
    }
    match key_len {
        16 => by_tag!(aes::Aes128),
        24 => by_tag!(aes::Aes192),
        32 => by_tag!(aes::Aes256),
        _ => Err(malformed("unsupported AES-GCM key length")),
    }
}

/// What [`encrypt_in_place`] produces besides the ciphertext.
pub(super) struct Encrypted {
    /// The random content-encryption key.
    pub cek: Zeroizing<Vec<u8>>,
    /// The DER contentEncryptionAlgorithm AlgorithmIdentifier.
    pub algorithm: Vec<u8>,
    /// The GCM tag (AuthEnvelopedData `mac`), for GCM.
    pub tag: Option<Vec<u8>>,
}

fn random(len: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(vec![0u8; len]);
    getrandom::fill(&mut out)
        .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
    Ok(out)
}

/// A random key (or IV) of `len` bytes from the OS RNG.
pub(super) fn random_bytes(len: usize) -> Result<Zeroizing<Vec<u8>>> {
    random(len)
}

/// The length of the ciphertext of `plain_len` bytes under `cipher`: PKCS#7 padding to the
/// next whole block for CBC (a whole block when already aligned), the same length for GCM.
pub(super) fn ciphertext_len(cipher: ContentCipher, plain_len: usize) -> usize {
    if cipher.is_authenticated() {
        plain_len
    } else {
        plain_len - plain_len % 16 + 16
    }
}

/// Encrypts `buf` (the plaintext) in place with a fresh random key under `cipher`: afterwards
/// `buf` holds the ciphertext ([`ciphertext_len`] bytes; CBC padding is appended). The buffer
/// is wiped when dropped, so a failure part way leaves no plaintext behind.
pub(super) fn encrypt_in_place(
    cipher: ContentCipher,
    buf: &mut Zeroizing<Vec<u8>>,
) -> Result<Encrypted> {
    use cbc::cipher::KeyInit as _;
    fn cbc_seal<C: BlockCipherEncrypt + BlockSizeUser>(
        c: C,
        iv: &[u8],
        buf: &mut [u8],
        msg_len: usize,
    ) -> Result<()> {
        let enc = cbc::Encryptor::<C>::inner_iv_slice_init(c, iv).map_err(cipher_setup)?;
        enc.encrypt_padded::<Pkcs7>(buf, msg_len)
            .map_err(|_| Error::Crypto("CBC padding does not fit the buffer".into()))?;
        Ok(())
    }
    fn gcm_seal<A>(key: &[u8], nonce: &[u8; 12], buf: &mut [u8]) -> Result<Vec<u8>>
    where
        A: BlockSizeUser<BlockSize = U16> + BlockCipherEncrypt + cbc::cipher::KeyInit,
    {
        let c = AesGcm::<A, U12, U16>::new_from_slice(key).map_err(cipher_setup)?;
        let nonce = aes_gcm::Nonce::<U12>::from(*nonce);
        let tag = c
            .encrypt_inout_detached(&nonce, &[], buf.into())
            .map_err(|_| Error::InvalidArgument("the content is too large for AES-GCM".into()))?;
        Ok(tag.to_vec())
    }
    let cek = random(cipher.key_len())?;
    match cipher {
        ContentCipher::Aes128Cbc | ContentCipher::Aes256Cbc => {
            let iv = random(16)?;
            let msg_len = buf.len();
            // The padding goes in the buffer's own allocation (wiped with it).
            buf.resize(ciphertext_len(cipher, msg_len), 0);
            let oid = if cipher == ContentCipher::Aes128Cbc {
                let c = aes::Aes128::new_from_slice(&cek).map_err(cipher_setup)?;
                cbc_seal(c, &iv, buf, msg_len)?;
                &asn1::AES128_CBC
            } else {
                let c = aes::Aes256::new_from_slice(&cek).map_err(cipher_setup)?;
                cbc_seal(c, &iv, buf, msg_len)?;
                &asn1::AES256_CBC
            };
            let algorithm = asn1::algorithm(oid, Some(&asn1::octet_string(&iv)));
            Ok(Encrypted {
                cek,
                algorithm,
                tag: None,
            })
        }
        ContentCipher::Aes128Gcm | ContentCipher::Aes256Gcm => {
            let nonce_bytes = random(12)?;
            let mut nonce = [0u8; 12];
            nonce.copy_from_slice(&nonce_bytes);
            let (oid, tag) = if cipher == ContentCipher::Aes128Gcm {
                (
                    &asn1::AES128_GCM,
                    gcm_seal::<aes::Aes128>(&cek, &nonce, buf)?,
                )
            } else {
                (
                    &asn1::AES256_GCM,
                    gcm_seal::<aes::Aes256>(&cek, &nonce, buf)?,
                )
            };
            // GCMParameters { aes-nonce, aes-ICVlen 16 } (the default is 12, so 16 is written).
            let params = asn1::sequence(&[&asn1::octet_string(&nonce), &asn1::small_integer(16)]);
            let algorithm = asn1::algorithm(oid, Some(&params));
            Ok(Encrypted {
                cek,
                algorithm,
                tag: Some(tag),
            })
        }
    }
}
