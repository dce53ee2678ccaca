//! Recipient infos: KeyTransRecipientInfo (RSA, PKCS#1 v1.5 or OAEP) and KeyAgreeRecipientInfo
//! (ephemeral-static ECDH, RFC 5753), written for a certificate and read back to recover the
//! content-encryption key.
//!
//! Key recovery never fails for a secret reason: when the key transport or the key unwrap does
//! not give a usable key, a random key of the right length takes its place (RFC 3218 section
//! 2.3) and the caller learns only a [`Choice`] to fold into the final, single decision.

use der::Encode;
use der::Tag;
use p256::elliptic_curve::Generate;
use p256::elliptic_curve::sec1::ToSec1Point;
use rsa::pkcs8::DecodePublicKey;
use subtle::Choice;
use zeroize::Zeroizing;

use super::asn1::{self, AlgId, Elements, algorithm, malformed, sequence, tlv};
use super::content::random_bytes;
use super::{DecryptOptions, RecipientId};
use crate::cert::{Certificate, KeyAlgorithm, Serial};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{Decryptor, KeyTransport};
use crate::smime::weakness::Weakness;
use crate::tlv::{Tlv, is_context};

// ---------------------------------------------------------------------------------------------
// Writing

/// `IssuerAndSerialNumber` of `cert`, with the issuer name and serial exactly as in the
/// certificate.
fn issuer_and_serial(cert: &Certificate) -> Result<Vec<u8>> {
    let serial = cert
        .x509()
        .tbs_certificate()
        .serial_number()
        .to_der()
        .map_err(|e| Error::Crypto(format!("cannot encode the certificate serial: {e}")))?;
    Ok(sequence(&[cert.issuer_der(), &serial]))
}

fn rng_error(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("the operating system RNG failed: {e}"))
}

fn cannot_receive(cert: &Certificate, why: &str) -> Error {
    Error::unsupported(
        "recipient key",
        format!(
            "this certificate's key cannot receive encrypted mail ({}): {why}",
            cert.subject()
        ),
    )
}

/// The AlgorithmIdentifier of RSAES-OAEP with `hash` and MGF1 with the same hash, as OpenSSL
/// writes it (RFC 4055 section 4.1: the hash parameters absent, the label empty and so
/// omitted).
fn oaep_algorithm(hash: &der::asn1::ObjectIdentifier) -> Vec<u8> {
    let hash = algorithm(hash, None);
    let mgf1 = algorithm(&asn1::MGF1, Some(&hash));
    let params = sequence(&[&tlv(0xA0, &[&hash]), &tlv(0xA1, &[&mgf1])]);
    algorithm(&asn1::RSAES_OAEP, Some(&params))
}

/// A KeyTransRecipientInfo (version 0, issuerAndSerialNumber) for an RSA certificate.
pub(super) fn key_trans(cert: &Certificate, cek: &[u8], scheme: KeyTransport) -> Result<Vec<u8>> {
    let public = crate::key::RsaRecipient::from_spki_der(cert.public_key_der())
        .ok_or_else(|| cannot_receive(cert, "it is not an rsaEncryption RSA key"))?;
    let (alg, encrypted) = match scheme {
        KeyTransport::Pkcs1v15 => (
            algorithm(&asn1::RSA_ENCRYPTION, Some(&[0x05, 0x00])),
            public.encrypt(scheme, cek),
        ),
        KeyTransport::OaepSha256 => (oaep_algorithm(&asn1::SHA256), public.encrypt(scheme, cek)),
        KeyTransport::OaepSha384 => (oaep_algorithm(&asn1::SHA384), public.encrypt(scheme, cek)),
        KeyTransport::OaepSha512 => (oaep_algorithm(&asn1::SHA512), public.encrypt(scheme, cek)),
        // Read for old mail, never written.
        KeyTransport::OaepSha1 => {
            return Err(Error::Weak(
                "RSAES-OAEP with SHA-1 is read but not written; use OaepSha256".into(),
            ));
        }
    };
    let encrypted = encrypted.map_err(|e| Error::Crypto(format!("RSA encryption failed: {e}")))?;
    Ok(sequence(&[
        &asn1::small_integer(0),
        &issuer_and_serial(cert)?,
        &alg,
        &asn1::octet_string(&encrypted),
    ]))
}

/// The hash of the X9.63 KDF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KdfHash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// The X9.63 KDF (RFC 5753 section 7.2) into `out`.
fn x963(hash: KdfHash, z: &[u8], shared_info: &[u8], out: &mut [u8]) -> Result<()> {
    use ansi_x963_kdf::derive_key_into;
    let r = match hash {
        KdfHash::Sha1 => derive_key_into::<sha1::Sha1>(z, shared_info, out),
        KdfHash::Sha224 => derive_key_into::<sha2::Sha224>(z, shared_info, out),
        KdfHash::Sha256 => derive_key_into::<sha2::Sha256>(z, shared_info, out),
        KdfHash::Sha384 => derive_key_into::<sha2::Sha384>(z, shared_info, out),
        KdfHash::Sha512 => derive_key_into::<sha2::Sha512>(z, shared_info, out),
    };
    r.map_err(|e| Error::Crypto(format!("key derivation failed: {e:?}")))
}

/// ECC-CMS-SharedInfo ::= SEQUENCE { keyInfo AlgorithmIdentifier, entityUInfo [0] EXPLICIT
/// OCTET STRING OPTIONAL, suppPubInfo [2] EXPLICIT OCTET STRING } (RFC 5753 section 7.2).
fn shared_info(wrap_alg: &[u8], ukm: Option<&[u8]>, kek_len: usize) -> Vec<u8> {
    let bits = ((kek_len * 8) as u32).to_be_bytes();
    let supp = tlv(0xA2, &[&asn1::octet_string(&bits)]);
    match ukm {
        Some(u) => sequence(&[wrap_alg, &tlv(0xA0, &[&asn1::octet_string(u)]), &supp]),
        None => sequence(&[wrap_alg, &supp]),
    }
}

/// AES key wrap (RFC 3394) of `cek` under `kek` (16, 24 or 32 bytes).
fn wrap(kek: &[u8], cek: &[u8]) -> Result<Vec<u8>> {
    use aes_kw::KeyInit;
    let mut out = vec![0u8; cek.len() + aes_kw::IV_LEN];
    let failed = |e: aes_kw::Error| Error::Crypto(format!("AES key wrap failed: {e}"));
    let setup = |_| Error::Crypto("AES key wrap: bad key length".into());
    match kek.len() {
        16 => aes_kw::KwAes128::new_from_slice(kek)
            .map_err(setup)?
            .wrap_key(cek, &mut out)
            .map_err(failed)?,
        24 => aes_kw::KwAes192::new_from_slice(kek)
            .map_err(setup)?
            .wrap_key(cek, &mut out)
            .map_err(failed)?,
        _ => aes_kw::KwAes256::new_from_slice(kek)
            .map_err(setup)?
            .wrap_key(cek, &mut out)
            .map_err(failed)?,
    };
    Ok(out)
}

/// AES key unwrap; `None` when the integrity check fails or the sizes are wrong.
fn unwrap(kek: &[u8], wrapped: &[u8], cek_len: usize) -> Option<Zeroizing<Vec<u8>>> {
    use aes_kw::KeyInit;
    if wrapped.len() != cek_len + aes_kw::IV_LEN {
        return None;
    }
    let mut out = Zeroizing::new(vec![0u8; cek_len]);
    let ok = match kek.len() {
        16 => aes_kw::KwAes128::new_from_slice(kek)
            .ok()?
            .unwrap_key(wrapped, &mut out)
            .is_ok(),
        24 => aes_kw::KwAes192::new_from_slice(kek)
            .ok()?
            .unwrap_key(wrapped, &mut out)
            .is_ok(),
        32 => aes_kw::KwAes256::new_from_slice(kek)
            .ok()?
            .unwrap_key(wrapped, &mut out)
            .is_ok(),
        _ => false,
    };
    ok.then_some(out)
}

/// A KeyAgreeRecipientInfo for an EC certificate: ephemeral-static ECDH with the curve's
/// matching hash in the KDF (SHA-256 for P-256, SHA-384 for P-384), AES key wrap with the
/// content key's size.
pub(super) fn key_agree(cert: &Certificate, cek: &[u8]) -> Result<Vec<u8>> {
    let (curve, kdf, z, ephemeral) = match cert.key_algorithm() {
        KeyAlgorithm::EcP256 => {
            let peer = p256::PublicKey::from_public_key_der(cert.public_key_der())
                .map_err(|_| cannot_receive(cert, "its P-256 public key cannot be read"))?;
            let sk = p256::SecretKey::try_generate_from_rng(&mut getrandom::SysRng)
                .map_err(rng_error)?;
            let shared = p256::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
            let z = Zeroizing::new(shared.raw_secret_bytes().to_vec());
            let point = sk.public_key().to_sec1_point(false).as_bytes().to_vec();
            (&asn1::P256, &asn1::ECDH_STD_SHA256, z, point)
        }
        KeyAlgorithm::EcP384 => {
            let peer = p384::PublicKey::from_public_key_der(cert.public_key_der())
                .map_err(|_| cannot_receive(cert, "its P-384 public key cannot be read"))?;
            let sk = p384::SecretKey::try_generate_from_rng(&mut getrandom::SysRng)
                .map_err(rng_error)?;
            let shared = p384::ecdh::diffie_hellman(sk.to_nonzero_scalar(), peer.as_affine());
            let z = Zeroizing::new(shared.raw_secret_bytes().to_vec());
            let point = sk.public_key().to_sec1_point(false).as_bytes().to_vec();
            (&asn1::P384, &asn1::ECDH_STD_SHA384, z, point)
        }
        _ => return Err(cannot_receive(cert, "only RSA, P-256 and P-384 keys can")),
    };
    let hash = if *kdf == asn1::ECDH_STD_SHA256 {
        KdfHash::Sha256
    } else {
        KdfHash::Sha384
    };
    let wrap_oid = match cek.len() {
        16 => &asn1::AES128_WRAP,
        24 => &asn1::AES192_WRAP,
        _ => &asn1::AES256_WRAP,
    };
    // RFC 3565 section 2.3.2: the AES key wrap parameters are absent.
    let wrap_alg = algorithm(wrap_oid, None);
    let kek_len = cek.len();
    let mut kek = Zeroizing::new(vec![0u8; kek_len]);
    x963(hash, &z, &shared_info(&wrap_alg, None, kek_len), &mut kek)?;
    let wrapped = wrap(&kek, cek)?;

    // originator [0] EXPLICIT OriginatorIdentifierOrKey: originatorKey [1] IMPLICIT
    // OriginatorPublicKey { id-ecPublicKey with the named curve, the ephemeral point }.
    let mut bits = Vec::with_capacity(ephemeral.len() + 1);
    bits.push(0);
    bits.extend_from_slice(&ephemeral);
    let originator_key = tlv(
        0xA1,
        &[
            &algorithm(&asn1::EC_PUBLIC_KEY, Some(&asn1::oid(curve))),
            &tlv(0x03, &[&bits]),
        ],
    );
    let recipient_encrypted_key =
        sequence(&[&issuer_and_serial(cert)?, &asn1::octet_string(&wrapped)]);
    Ok(tlv(
        0xA1,
        &[
            &asn1::small_integer(3),
            &tlv(0xA0, &[&originator_key]),
            &algorithm(kdf, Some(&wrap_alg)),
            &sequence(&[&recipient_encrypted_key]),
        ],
    ))
}

// ---------------------------------------------------------------------------------------------
// Reading

/// One way to the content-encryption key, as read from a recipient info.
pub(super) enum Entry<'a> {
    /// KeyTransRecipientInfo.
    KeyTrans {
        alg: AlgId<'a>,
        encrypted_key: &'a [u8],
    },
    /// One RecipientEncryptedKey of a KeyAgreeRecipientInfo.
    KeyAgree {
        /// The contents of `originator [0]`.
        originator: &'a [u8],
        ukm: Option<&'a [u8]>,
        alg: AlgId<'a>,
        encrypted_key: &'a [u8],
    },
}

/// `IssuerAndSerialNumber` contents → [`RecipientId`].
fn parse_issuer_serial(value: &[u8]) -> Result<RecipientId> {
    let mut r = Elements::new(value, "IssuerAndSerialNumber");
    let issuer = r.expect(Tag::Sequence, "issuer")?;
    let serial = r.expect(Tag::Integer, "serial number")?;
    r.finish()?;
    Ok(RecipientId::IssuerSerial {
        issuer_der: issuer.raw.to_vec(),
        serial: Serial::from_bytes(serial.value),
    })
}

/// Reads one RecipientInfo element into `(RecipientId, Entry)` pairs, appended to `out`; at
/// most `room` pairs are taken (more is a [`Error::LimitExceeded`]). Recipient info types that
/// this library does not decrypt (KEK, password, other) give nothing.
pub(super) fn parse_recipient_info<'a>(
    el: Tlv<'a>,
    out: &mut Vec<(RecipientId, Entry<'a>)>,
    room: usize,
    limit: usize,
) -> Result<()> {
    let too_many = || {
        Error::LimitExceeded(format!(
            "the message has more than {limit} recipients; at most {limit} are examined"
        ))
    };
    if el.tag == Tag::Sequence {
        // ktri: { version, rid, keyEncryptionAlgorithm, encryptedKey }
        let mut r = Elements::new(el.value, "KeyTransRecipientInfo");
        r.expect(Tag::Integer, "version")?;
        let rid = match r.next_element()? {
            Some(t) if t.tag == Tag::Sequence => parse_issuer_serial(t.value)?,
            Some(t) if is_context(t.tag, 0, false) => RecipientId::SubjectKeyId(t.value.to_vec()),
            _ => return Err(malformed("KeyTransRecipientInfo: bad recipient identifier")),
        };
        let alg = asn1::algorithm_id(
            r.expect(Tag::Sequence, "key encryption algorithm")?,
            "key encryption algorithm",
        )?;
        let encrypted_key = r.expect(Tag::OctetString, "encrypted key")?.value;
        r.finish()?;
        if room == 0 {
            return Err(too_many());
        }
        out.push((rid, Entry::KeyTrans { alg, encrypted_key }));
        return Ok(());
    }
    if !is_context(el.tag, 1, true) {
        // kekri [2], pwri [3], ori [4]: not for a key this library holds.
        return Ok(());
    }
    // kari: { version, originator [0], ukm [1] OPTIONAL, keyEncryptionAlgorithm,
    //         recipientEncryptedKeys }
    let mut r = Elements::new(el.value, "KeyAgreeRecipientInfo");
    r.expect(Tag::Integer, "version")?;
    let originator = r
        .optional_context(0, true)?
        .ok_or_else(|| malformed("KeyAgreeRecipientInfo: the originator is missing"))?
        .value;
    let ukm = match r.optional_context(1, true)? {
        Some(u) => Some(asn1::single(u.value, Tag::OctetString, "user keying material")?.value),
        None => None,
    };
    let alg_el = r.expect(Tag::Sequence, "key encryption algorithm")?;
    let keys = r.expect(Tag::Sequence, "recipient encrypted keys")?;
    r.finish()?;
    let mut keys = Elements::new(keys.value, "RecipientEncryptedKeys");
    let mut taken = 0usize;
    while let Some(rek) = keys.next_element()? {
        if rek.tag != Tag::Sequence {
            return Err(malformed("RecipientEncryptedKey is not a SEQUENCE"));
        }
        let mut k = Elements::new(rek.value, "RecipientEncryptedKey");
        let rid = match k.next_element()? {
            Some(t) if t.tag == Tag::Sequence => parse_issuer_serial(t.value)?,
            Some(t) if is_context(t.tag, 0, true) => {
                // RecipientKeyIdentifier { subjectKeyIdentifier, date OPTIONAL, other OPTIONAL }
                let mut rk = Elements::new(t.value, "RecipientKeyIdentifier");
                let ski = rk.expect(Tag::OctetString, "subject key identifier")?;
                RecipientId::SubjectKeyId(ski.value.to_vec())
            }
            _ => return Err(malformed("RecipientEncryptedKey: bad recipient identifier")),
        };
        let encrypted_key = k.expect(Tag::OctetString, "encrypted key")?.value;
        k.finish()?;
        if taken >= room {
            return Err(too_many());
        }
        taken += 1;
        out.push((
            rid,
            Entry::KeyAgree {
                originator,
                ukm,
                alg: asn1::algorithm_id(alg_el, "key encryption algorithm")?,
                encrypted_key,
            },
        ));
    }
    Ok(())
}

/// The content-encryption key recovered for one entry.
pub(super) struct Recovered {
    /// The key: the real one, or a random stand-in of the same length.
    pub cek: Zeroizing<Vec<u8>>,
    /// Whether `cek` is the real one, as far as the recovery can tell.
    pub ok: Choice,
    /// Weaknesses seen on the way (a short RSA key).
    pub weak: Vec<Weakness>,
}

/// The hash of an OAEP hash or MGF1 hash AlgorithmIdentifier (parameters absent or NULL).
fn oaep_hash(alg: &AlgId<'_>) -> Option<KeyTransport> {
    if !alg.params_absent_or_null() {
        return None;
    }
    [
        (&asn1::SHA1, KeyTransport::OaepSha1),
        (&asn1::SHA256, KeyTransport::OaepSha256),
        (&asn1::SHA384, KeyTransport::OaepSha384),
        (&asn1::SHA512, KeyTransport::OaepSha512),
    ]
    .into_iter()
    .find(|(oid, _)| alg.is(oid))
    .map(|(_, scheme)| scheme)
}

/// The RSA key transport scheme named by a KeyTransRecipientInfo algorithm.
///
/// RSAES-OAEP parameters (RFC 8017 A.2.1, RFC 4055 section 4.1): absent, or a SEQUENCE whose
/// fields default to SHA-1, MGF1-SHA-1 and the empty label. Read are SHA-1, SHA-256, SHA-384
/// and SHA-512, each with MGF1 over the same hash, and the empty label (explicit or default).
fn key_transport_scheme(alg: &AlgId<'_>) -> Result<KeyTransport> {
    if alg.is(&asn1::RSA_ENCRYPTION) {
        if !alg.params_absent_or_null() {
            return Err(malformed(
                "rsaEncryption key transport parameters must be NULL",
            ));
        }
        return Ok(KeyTransport::Pkcs1v15);
    }
    if !alg.is(&asn1::RSAES_OAEP) {
        return Err(Error::unsupported(
            "key transport",
            format!(
                "{}; supported are RSA PKCS#1 v1.5 and RSAES-OAEP with SHA-1/256/384/512",
                alg.name()
            ),
        ));
    }
    // No parameters at all: every default (a NULL is read the same way, as some writers put
    // one there).
    let Some(params) = alg.params.as_ref().filter(|p| p.tag != Tag::Null) else {
        return Ok(KeyTransport::OaepSha1);
    };
    if params.tag != Tag::Sequence {
        return Err(malformed("RSAES-OAEP parameters are not a SEQUENCE"));
    }
    let mut r = Elements::new(params.value, "RSAES-OAEP parameters");
    let hash = match r.optional_context(0, true)? {
        Some(h) => Some(asn1::algorithm_id(
            asn1::single(h.value, Tag::Sequence, "OAEP hash")?,
            "OAEP hash",
        )?),
        None => None,
    };
    let mgf = match r.optional_context(1, true)? {
        Some(m) => Some(asn1::algorithm_id(
            asn1::single(m.value, Tag::Sequence, "OAEP mask generation")?,
            "OAEP mask generation",
        )?),
        None => None,
    };
    let label = match r.optional_context(2, true)? {
        Some(p) => Some(asn1::algorithm_id(
            asn1::single(p.value, Tag::Sequence, "OAEP label source")?,
            "OAEP label source",
        )?),
        None => None,
    };
    r.finish()?;
    let refused = |what: String| {
        Error::unsupported(
            "key transport",
            format!(
                "RSAES-OAEP with {what}; supported are SHA-1, SHA-256, SHA-384 and SHA-512, each \
                 with MGF1 over the same hash, and no label"
            ),
        )
    };
    let scheme = match &hash {
        None => KeyTransport::OaepSha1,
        Some(h) => oaep_hash(h).ok_or_else(|| refused(format!("hash {}", h.name())))?,
    };
    let mgf_scheme = match &mgf {
        None => KeyTransport::OaepSha1,
        Some(m) if m.is(&asn1::MGF1) => {
            let mgf_hash = match &m.params {
                Some(p) => asn1::algorithm_id(*p, "MGF1 hash")?,
                None => return Err(malformed("MGF1 without its hash algorithm")),
            };
            oaep_hash(&mgf_hash).ok_or_else(|| refused(format!("MGF1 over {}", mgf_hash.name())))?
        }
        Some(m) => return Err(refused(format!("mask generation function {}", m.name()))),
    };
    if mgf_scheme != scheme {
        return Err(refused(
            "MGF1 over another hash than the OAEP hash".to_string(),
        ));
    }
    let label_ok = match &label {
        None => true,
        Some(l) => {
            l.is(&asn1::P_SPECIFIED)
                && matches!(&l.params, Some(p) if p.tag == Tag::OctetString && p.value.is_empty())
        }
    };
    if !label_ok {
        return Err(refused("a label".to_string()));
    }
    Ok(scheme)
}

/// The KDF hash and key wrap of a KeyAgreeRecipientInfo algorithm: (hash, KEK length, the
/// raw key wrap AlgorithmIdentifier).
fn key_agreement_scheme<'a>(alg: &AlgId<'a>) -> Result<(KdfHash, usize, &'a [u8])> {
    let schemes = [
        (&asn1::ECDH_STD_SHA1, KdfHash::Sha1),
        (&asn1::ECDH_STD_SHA224, KdfHash::Sha224),
        (&asn1::ECDH_STD_SHA256, KdfHash::Sha256),
        (&asn1::ECDH_STD_SHA384, KdfHash::Sha384),
        (&asn1::ECDH_STD_SHA512, KdfHash::Sha512),
        // For P-256 and P-384 (cofactor 1) cofactor ECDH is the same computation.
        (&asn1::ECDH_COFACTOR_SHA1, KdfHash::Sha1),
        (&asn1::ECDH_COFACTOR_SHA224, KdfHash::Sha224),
        (&asn1::ECDH_COFACTOR_SHA256, KdfHash::Sha256),
        (&asn1::ECDH_COFACTOR_SHA384, KdfHash::Sha384),
        (&asn1::ECDH_COFACTOR_SHA512, KdfHash::Sha512),
    ];
    let Some((_, hash)) = schemes.iter().find(|(oid, _)| alg.is(oid)) else {
        return Err(Error::unsupported(
            "key agreement",
            format!(
                "{}; supported is ephemeral-static ECDH (dhSinglePass-stdDH/cofactorDH with an \
                 X9.63 KDF)",
                alg.name()
            ),
        ));
    };
    let Some(wrap_el) = alg.params else {
        return Err(malformed(
            "the key agreement algorithm names no key wrap algorithm",
        ));
    };
    let wrap = asn1::algorithm_id(wrap_el, "key wrap algorithm")?;
    let kek_len = if wrap.is(&asn1::AES128_WRAP) {
        16
    } else if wrap.is(&asn1::AES192_WRAP) {
        24
    } else if wrap.is(&asn1::AES256_WRAP) {
        32
    } else {
        return Err(Error::unsupported(
            "key wrap",
            format!("{}; supported is AES key wrap (RFC 3394)", wrap.name()),
        ));
    };
    Ok((*hash, kek_len, wrap_el.raw))
}

/// The ephemeral public point of `originator [0]`, checked against the recipient's curve.
fn originator_point<'a>(
    originator: &'a [u8],
    curve: &der::asn1::ObjectIdentifier,
) -> Result<&'a [u8]> {
    let el = crate::tlv::single(originator)
        .map_err(|e| malformed(format!("KeyAgreeRecipientInfo originator: {e}")))?;
    if !is_context(el.tag, 1, true) {
        return Err(Error::unsupported(
            "key agreement",
            "an originator identified by certificate (static-static ECDH); only an ephemeral \
             originator key is supported",
        ));
    }
    let mut r = Elements::new(el.value, "OriginatorPublicKey");
    let alg = asn1::algorithm_id(
        r.expect(Tag::Sequence, "algorithm")?,
        "originator key algorithm",
    )?;
    let bits = r.expect(Tag::BitString, "public key")?.value;
    r.finish()?;
    if !alg.is(&asn1::EC_PUBLIC_KEY) {
        return Err(Error::unsupported(
            "key agreement",
            format!("an originator key of type {}", alg.name()),
        ));
    }
    if let Some(p) = &alg.params
        && p.tag == Tag::ObjectIdentifier
        && p.value != curve.as_bytes()
    {
        return Err(malformed(
            "the originator key is on a different curve than the recipient's key",
        ));
    }
    match bits.split_first() {
        Some((0, point)) if !point.is_empty() => Ok(point),
        _ => Err(malformed(
            "the originator public key is not a valid BIT STRING",
        )),
    }
}

/// Recovers the content-encryption key (`cek_len` bytes) of `entry` with `key`.
///
/// Errors only for public reasons (an unsupported or malformed algorithm, a key of the wrong
/// type, a refused scheme); a wrong key or altered encrypted key yields a random `cek` and a
/// false `ok`.
pub(super) fn recover(
    entry: &Entry<'_>,
    key: &dyn Decryptor,
    cek_len: usize,
    options: &DecryptOptions,
) -> Result<Recovered> {
    let stand_in = random_bytes(cek_len)?;
    match entry {
        Entry::KeyTrans { alg, encrypted_key } => {
            let scheme = key_transport_scheme(alg)?;
            if scheme == KeyTransport::Pkcs1v15 && !options.allow_pkcs1v15 {
                return Err(Error::NotPermitted(
                    "the message uses RSA PKCS#1 v1.5 key transport, which this configuration \
                     refuses; allow it with DecryptOptions::allow_pkcs1v15(true)"
                        .into(),
                ));
            }
            let mut weak = Vec::new();
            match key.algorithm() {
                KeyAlgorithm::Rsa { bits } => {
                    if bits < crate::key::MIN_RSA_BITS {
                        weak.push(Weakness::SmallRsaKeyTransport { bits });
                    }
                }
                other => {
                    return Err(Error::unsupported(
                        "key transport",
                        format!("the recipient's key is {other}, but RSA key transport needs RSA"),
                    ));
                }
            }
            let (cek, ok) = match key.decrypt_key_transport(scheme, encrypted_key, cek_len) {
                Ok(k) if k.len() == cek_len => (k, Choice::from(1)),
                Ok(_) => (stand_in, Choice::from(0)),
                // Crypto: the decryption failed (OAEP, a ciphertext out of range). Anything else
                // (an HSM that is unreachable, a bad argument) is not about the message.
                Err(e) if e.kind() == ErrorKind::Crypto => (stand_in, Choice::from(0)),
                Err(e) => return Err(e),
            };
            Ok(Recovered { cek, ok, weak })
        }
        Entry::KeyAgree {
            originator,
            ukm,
            alg,
            encrypted_key,
        } => {
            let (hash, kek_len, wrap_alg) = key_agreement_scheme(alg)?;
            let curve = match key.algorithm() {
                KeyAlgorithm::EcP256 => asn1::P256,
                KeyAlgorithm::EcP384 => asn1::P384,
                other => {
                    return Err(Error::unsupported(
                        "key agreement",
                        format!("the recipient's key is {other}, but ECDH needs P-256 or P-384"),
                    ));
                }
            };
            let point = originator_point(originator, &curve)?;
            let z = key.ecdh(point)?;
            let mut kek = Zeroizing::new(vec![0u8; kek_len]);
            x963(hash, &z, &shared_info(wrap_alg, *ukm, kek_len), &mut kek)?;
            let (cek, ok) = match unwrap(&kek, encrypted_key, cek_len) {
                Some(k) => (k, Choice::from(1)),
                None => (stand_in, Choice::from(0)),
            };
            Ok(Recovered {
                cek,
                ok,
                weak: Vec::new(),
            })
        }
    }
}

#[cfg(test)]
pub(super) fn test_shared_info(wrap_alg: &[u8], ukm: Option<&[u8]>, kek_len: usize) -> Vec<u8> {
    shared_info(wrap_alg, ukm, kek_len)
}

#[cfg(test)]
pub(super) fn test_key_transport_scheme(alg_der: &[u8]) -> Result<KeyTransport> {
    let el = asn1::single(alg_der, Tag::Sequence, "key transport algorithm")?;
    key_transport_scheme(&asn1::algorithm_id(el, "key transport algorithm")?)
}
