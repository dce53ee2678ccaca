//! Signature verification over a SubjectPublicKeyInfo: what certificate, CRL and CMS signature
//! checks share.
//!
//! Supported: `sha1/sha256/sha384/sha512WithRSAEncryption` (PKCS#1 v1.5), RSASSA-PSS with
//! SHA-256/384/512 (MGF1 with the same hash, any salt length), `ecdsa-with-SHA256/384/512` on
//! P-256 and P-384, Ed25519, and DSA (`id-dsa-with-sha1/sha224/sha256`, and a bare `id-dsa` as
//! old CMS signers write it, which means DSA with SHA-1) for verification only: this library
//! never makes DSA signatures.
//!
//! Recognised but refused as weak ([`Error::Weak`]): MD2, MD4 and MD5 with RSA, RSA keys below
//! 1024 bits and DSA keys whose prime `p` is below 1024 bits.

use der::asn1::{AnyRef, ObjectIdentifier, UintRef};
use der::{Decode, Encode, Tag};
use dsa::BoxedUint;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use sha2::Digest;
use signature::Verifier;
use signature::hazmat::PrehashVerifier;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoRef};

use super::oid;
use crate::error::{Error, Result};
use crate::tlv;

/// The hash functions signatures may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hash {
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Hash {
    fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        match *o {
            oid::SHA1 => Some(Hash::Sha1),
            oid::SHA256 => Some(Hash::Sha256),
            oid::SHA384 => Some(Hash::Sha384),
            oid::SHA512 => Some(Hash::Sha512),
            _ => None,
        }
    }

    fn digest(self, message: &[u8]) -> Vec<u8> {
        match self {
            Hash::Sha1 => sha1::Sha1::digest(message).to_vec(),
            Hash::Sha224 => sha2::Sha224::digest(message).to_vec(),
            Hash::Sha256 => sha2::Sha256::digest(message).to_vec(),
            Hash::Sha384 => sha2::Sha384::digest(message).to_vec(),
            Hash::Sha512 => sha2::Sha512::digest(message).to_vec(),
        }
    }

    fn len(self) -> usize {
        match self {
            Hash::Sha1 => 20,
            Hash::Sha224 => 28,
            Hash::Sha256 => 32,
            Hash::Sha384 => 48,
            Hash::Sha512 => 64,
        }
    }
}

/// What the signature algorithm identifier asks for.
enum Scheme {
    Pkcs1v15(Hash),
    Pss { hash: Hash, salt_len: usize },
    Ecdsa(Hash),
    Ed25519,
    Dsa(Hash),
}

/// The smallest RSA modulus and DSA prime `p`, in bits, that is not refused as weak.
const MIN_KEY_BITS: usize = 1024;

fn bad_signature() -> Error {
    Error::Crypto("the signature does not verify".into())
}

fn key_mismatch(alg: &str) -> Error {
    Error::Crypto(format!(
        "the signature algorithm ({alg}) does not fit the signer's public key type"
    ))
}

/// Parameters must be absent or NULL (PKCS#1 v1.5 and the like).
fn params_absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    alg.parameters.as_ref().is_none_or(|p| p.is_null())
}

fn parse_pss_params(alg: &AlgorithmIdentifierOwned) -> Result<Scheme> {
    let unsupported =
        |d: &str| Error::unsupported("signature algorithm", format!("RSASSA-PSS {d}"));
    let params = alg
        .parameters
        .as_ref()
        .ok_or_else(|| unsupported("without parameters (SHA-1 defaults)"))?;
    let encoded = params
        .to_der()
        .map_err(|e| Error::malformed("RSASSA-PSS parameters", e))?;
    let params = rsa::pkcs1::RsaPssParamsOwned::from_der(&encoded)
        .map_err(|e| Error::malformed("RSASSA-PSS parameters", e))?;
    let hash = Hash::from_oid(&params.hash.oid)
        .ok_or_else(|| unsupported(&format!("with hash {}", params.hash.oid)))?;
    if hash == Hash::Sha1 {
        return Err(unsupported("with SHA-1"));
    }
    if params.mask_gen.oid != oid::MGF1 {
        return Err(unsupported(&format!(
            "with mask generation {}",
            params.mask_gen.oid
        )));
    }
    let mgf_hash = params
        .mask_gen
        .parameters
        .as_ref()
        .and_then(|h| Hash::from_oid(&h.oid));
    if mgf_hash != Some(hash) {
        return Err(unsupported(
            "with MGF1 over a different hash than the message hash",
        ));
    }
    if params.trailer_field != rsa::pkcs1::TrailerField::BC {
        return Err(unsupported("with a trailer field other than 0xBC"));
    }
    Ok(Scheme::Pss {
        hash,
        salt_len: usize::from(params.salt_len),
    })
}

/// Whether a certificate or CRL signature algorithm hashes with SHA-1
/// (sha1WithRSAEncryption, id-dsa-with-sha1 or bare id-dsa, ecdsa-with-SHA1). RSASSA-PSS over
/// SHA-1 is refused outright by the verifier.
pub(crate) fn signs_with_sha1(alg: &der::asn1::ObjectIdentifier) -> bool {
    matches!(
        *alg,
        oid::SHA1_WITH_RSA | oid::DSA_SHA1 | oid::DSA | oid::ECDSA_SHA1
    )
}

fn scheme_of(alg: &AlgorithmIdentifierOwned) -> Result<Scheme> {
    let o = alg.oid;
    let broken_hash = match o {
        oid::MD2_WITH_RSA => Some("md2WithRSAEncryption"),
        oid::MD4_WITH_RSA => Some("md4WithRSAEncryption"),
        oid::MD5_WITH_RSA => Some("md5WithRSAEncryption"),
        _ => None,
    };
    if let Some(name) = broken_hash {
        return Err(Error::Weak(format!(
            "{name} signature: the hash is broken (collisions can be made), so the signature \
             proves nothing; not verified"
        )));
    }
    let dsa_hash = match o {
        // RFC 3370 3.1: DSA is used with SHA-1; old CMS signers name the key algorithm.
        oid::DSA | oid::DSA_SHA1 => Some(Hash::Sha1),
        oid::DSA_SHA224 => Some(Hash::Sha224),
        oid::DSA_SHA256 => Some(Hash::Sha256),
        _ => None,
    };
    if let Some(hash) = dsa_hash {
        // RFC 3279 2.2.2 / RFC 5758 3.1: parameters absent; a NULL is tolerated.
        if !params_absent_or_null(alg) {
            return Err(Error::malformed(
                "signature algorithm",
                "DSA signature algorithms take no parameters",
            ));
        }
        return Ok(Scheme::Dsa(hash));
    }
    let rsa_hash = match o {
        oid::SHA1_WITH_RSA => Some(Hash::Sha1),
        oid::SHA256_WITH_RSA => Some(Hash::Sha256),
        oid::SHA384_WITH_RSA => Some(Hash::Sha384),
        oid::SHA512_WITH_RSA => Some(Hash::Sha512),
        _ => None,
    };
    if let Some(hash) = rsa_hash {
        if !params_absent_or_null(alg) {
            return Err(Error::malformed(
                "signature algorithm",
                "PKCS#1 v1.5 parameters must be NULL or absent",
            ));
        }
        return Ok(Scheme::Pkcs1v15(hash));
    }
    let ecdsa_hash = match o {
        oid::ECDSA_SHA256 => Some(Hash::Sha256),
        oid::ECDSA_SHA384 => Some(Hash::Sha384),
        oid::ECDSA_SHA512 => Some(Hash::Sha512),
        _ => None,
    };
    if let Some(hash) = ecdsa_hash {
        if alg.parameters.is_some() {
            return Err(Error::malformed(
                "signature algorithm",
                "ECDSA signature algorithms take no parameters",
            ));
        }
        return Ok(Scheme::Ecdsa(hash));
    }
    match o {
        oid::RSASSA_PSS => parse_pss_params(alg),
        oid::ED25519 => {
            if alg.parameters.is_some() {
                return Err(Error::malformed(
                    "signature algorithm",
                    "Ed25519 takes no parameters",
                ));
            }
            Ok(Scheme::Ed25519)
        }
        other => Err(Error::unsupported(
            "signature algorithm",
            format!(
                "{other}; supported are RSA PKCS#1 v1.5 and RSASSA-PSS with SHA-1/2, \
                 ECDSA on P-256/P-384 with SHA-2, Ed25519, and DSA with SHA-1/224/256"
            ),
        )),
    }
}

/// RFC 4055 1.2 and 3.3: an id-RSASSA-PSS public key verifies only RSASSA-PSS signatures, and
/// when the key carries RSASSA-PSS-params, only with its hash and mask generation function
/// and a salt at least as long as its salt length.
fn check_pss_key(spki: &SubjectPublicKeyInfoRef<'_>, scheme: &Scheme) -> Result<()> {
    let restricted = |d: String| {
        Error::unsupported(
            "signature algorithm",
            format!("{d} with an RSASSA-PSS public key (RFC 4055 1.2, 3.3)"),
        )
    };
    let Scheme::Pss { hash, salt_len } = *scheme else {
        return Err(restricted(
            "a signature other than RSASSA-PSS (the key is for PSS only)".into(),
        ));
    };
    let Some(params) = spki.algorithm.parameters.as_ref() else {
        return Ok(()); // parameters absent: any PSS parameters
    };
    if der::Tagged::tag(params) == der::Tag::Null {
        return Ok(());
    }
    let encoded = params
        .to_der()
        .map_err(|e| Error::malformed("RSASSA-PSS key parameters", e))?;
    let key = rsa::pkcs1::RsaPssParamsOwned::from_der(&encoded)
        .map_err(|e| Error::malformed("RSASSA-PSS key parameters", e))?;
    let key_hash = Hash::from_oid(&key.hash.oid);
    let key_mgf_hash = key
        .mask_gen
        .parameters
        .as_ref()
        .and_then(|h| Hash::from_oid(&h.oid));
    if key_hash != Some(hash) || key.mask_gen.oid != oid::MGF1 || key_mgf_hash != Some(hash) {
        return Err(restricted(format!(
            "a PSS signature over another hash than the key's {}",
            key.hash.oid
        )));
    }
    if salt_len < usize::from(key.salt_len) {
        return Err(restricted(format!(
            "a salt of {salt_len} bytes, shorter than the key's {}",
            key.salt_len
        )));
    }
    Ok(())
}

fn pkcs1v15_padding(hash: Hash) -> rsa::Pkcs1v15Sign {
    match hash {
        Hash::Sha1 => rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
        Hash::Sha224 => rsa::Pkcs1v15Sign::new::<sha2::Sha224>(),
        Hash::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
        Hash::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
        Hash::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
    }
}

fn verify_rsa(
    spki: &SubjectPublicKeyInfoRef<'_>,
    scheme: &Scheme,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::RSA_ENCRYPTION && spki.algorithm.oid != oid::RSASSA_PSS {
        return Err(key_mismatch("RSA"));
    }
    if spki.algorithm.oid == oid::RSASSA_PSS {
        check_pss_key(spki, scheme)?;
    }
    let key_bytes = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::malformed("public key", "RSA key BIT STRING has unused bits"))?;
    // Sized before the RSA crate sees it: that crate refuses moduli below 1024 bits as a
    // parse error, and such a key is an answer (weak), not unreadable input.
    let parsed = rsa::pkcs1::RsaPublicKeyRef::from_der(key_bytes)
        .map_err(|e| Error::malformed("public key", e))?;
    let bits = bit_len(parsed.modulus.as_bytes());
    if bits < MIN_KEY_BITS {
        return Err(Error::Weak(format!(
            "RSA key of {bits} bits; at least {MIN_KEY_BITS} are needed"
        )));
    }
    // 2048-, 3072- and 4096-bit keys: the fixed-width public operation.
    if let Some(fast) = crate::rsa_math::RsaPublic::cached(
        parsed.modulus.as_bytes(),
        parsed.public_exponent.as_bytes(),
    ) {
        let digest = |h: Hash| h.digest(message);
        let verdict = match *scheme {
            Scheme::Pkcs1v15(hash) => {
                let prefix = pkcs1v15_padding(hash).prefix;
                Some(fast.verify_pkcs1v15(&prefix, &digest(hash), signature))
            }
            Scheme::Pss { hash, salt_len } => match hash {
                Hash::Sha256 => {
                    Some(fast.verify_pss::<sha2::Sha256>(&digest(hash), salt_len, signature))
                }
                Hash::Sha384 => {
                    Some(fast.verify_pss::<sha2::Sha384>(&digest(hash), salt_len, signature))
                }
                Hash::Sha512 => {
                    Some(fast.verify_pss::<sha2::Sha512>(&digest(hash), salt_len, signature))
                }
                Hash::Sha1 | Hash::Sha224 => None, // refused below
            },
            _ => None,
        };
        match verdict {
            Some(true) => return Ok(()),
            Some(false) => return Err(bad_signature()),
            None => {}
        }
    }
    let key = rsa::RsaPublicKey::from_pkcs1_der(key_bytes)
        .map_err(|e| Error::unsupported("RSA public key", e))?;
    match *scheme {
        Scheme::Pkcs1v15(hash) => key
            .verify(pkcs1v15_padding(hash), &hash.digest(message), signature)
            .map_err(|_| bad_signature()),
        Scheme::Pss { hash, salt_len } => {
            // RFC 8017 9.1.2 step 3, checked here so odd parameters can never reach arithmetic
            // on lengths inside the RSA crate.
            // emLen = ceil((modBits - 1) / 8).
            let mod_bits = usize::try_from(key.n().bits()).unwrap_or(usize::MAX);
            let em_len = mod_bits.saturating_sub(1).div_ceil(8);
            if em_len < hash.len().saturating_add(salt_len).saturating_add(2) {
                return Err(bad_signature());
            }
            let hashed = hash.digest(message);
            let result = match hash {
                Hash::Sha256 => key.verify(
                    rsa::Pss::<sha2::Sha256>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha384 => key.verify(
                    rsa::Pss::<sha2::Sha384>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha512 => key.verify(
                    rsa::Pss::<sha2::Sha512>::new_with_salt(salt_len),
                    &hashed,
                    signature,
                ),
                Hash::Sha1 | Hash::Sha224 => {
                    return Err(Error::unsupported(
                        "signature algorithm",
                        "RSASSA-PSS with SHA-1 or SHA-224",
                    ));
                }
            };
            result.map_err(|_| bad_signature())
        }
        _ => Err(key_mismatch("RSA")),
    }
}

fn verify_ecdsa(
    spki: &SubjectPublicKeyInfoRef<'_>,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::EC_PUBLIC_KEY {
        return Err(key_mismatch("ECDSA"));
    }
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p: &AnyRef<'_>| p.decode_as::<ObjectIdentifier>().ok())
        .ok_or_else(|| Error::unsupported("EC public key", "only named curves are supported"))?;
    let point = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::malformed("public key", "EC point BIT STRING has unused bits"))?;
    let prehash = hash.digest(message);
    match curve {
        oid::P256 => {
            let key = p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| Error::malformed("public key", "invalid P-256 point"))?;
            let sig = p256::ecdsa::Signature::from_der(signature).map_err(|_| bad_signature())?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| bad_signature())
        }
        oid::P384 => {
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                .map_err(|_| Error::malformed("public key", "invalid P-384 point"))?;
            let sig = p384::ecdsa::Signature::from_der(signature).map_err(|_| bad_signature())?;
            key.verify_prehash(&prehash, &sig)
                .map_err(|_| bad_signature())
        }
        other => Err(Error::unsupported(
            "EC curve",
            format!("{other}; supported are P-256 and P-384"),
        )),
    }
}

fn verify_ed25519(
    spki: &SubjectPublicKeyInfoRef<'_>,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::ED25519 {
        return Err(key_mismatch("Ed25519"));
    }
    let point: &[u8; 32] = spki
        .subject_public_key
        .as_bytes()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| Error::malformed("public key", "an Ed25519 key is 32 bytes"))?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(point)
        .map_err(|_| Error::malformed("public key", "invalid Ed25519 point"))?;
    let sig = ed25519_dalek::Signature::from_slice(signature).map_err(|_| bad_signature())?;
    key.verify(message, &sig).map_err(|_| bad_signature())
}

/// The number of significant bits of a big-endian magnitude.
pub(crate) fn bit_len(bytes: &[u8]) -> usize {
    match bytes.iter().position(|b| *b != 0) {
        Some(i) => {
            let top = bytes.get(i).copied().unwrap_or(0);
            (bytes.len() - i - 1) * 8 + (8 - top.leading_zeros() as usize)
        }
        None => 0,
    }
}

/// DSA domain parameters (RFC 3279 2.3.2 `Dss-Parms`): big-endian magnitudes.
pub(crate) struct DssParms<'a> {
    pub p: &'a [u8],
    pub q: &'a [u8],
    pub g: &'a [u8],
}

/// Reads one non-negative DER INTEGER's magnitude.
fn uint<'a>(t: &tlv::Tlv<'a>, what: &'static str) -> Result<&'a [u8]> {
    if t.tag != Tag::Integer {
        return Err(Error::malformed(what, "expected an INTEGER"));
    }
    Ok(UintRef::from_der(t.raw)
        .map_err(|e| Error::malformed(what, e))?
        .as_bytes())
}

/// Parses the DER of a `Dss-Parms` SEQUENCE { p, q, g }.
pub(crate) fn parse_dss_parms(der: &[u8]) -> Result<DssParms<'_>> {
    const WHAT: &str = "DSA parameters";
    let seq = tlv::single(der).map_err(|e| Error::malformed(WHAT, e))?;
    if seq.tag != Tag::Sequence {
        return Err(Error::malformed(WHAT, "expected a SEQUENCE of p, q, g"));
    }
    match tlv::elements(seq.value)
        .map_err(|e| Error::malformed(WHAT, e))?
        .as_slice()
    {
        [p, q, g] => Ok(DssParms {
            p: uint(p, WHAT)?,
            q: uint(q, WHAT)?,
            g: uint(g, WHAT)?,
        }),
        _ => Err(Error::malformed(WHAT, "expected exactly p, q and g")),
    }
}

/// The DER of the DSA parameters in a DSA SubjectPublicKeyInfo's algorithm, if there are any
/// (absent, or a NULL as some encoders write, means inherited: RFC 3279 2.3.2).
fn own_dsa_params(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Option<Vec<u8>>> {
    match spki.algorithm.parameters.as_ref() {
        Some(p) if !p.is_null() => p
            .to_der()
            .map(Some)
            .map_err(|e| Error::malformed("DSA parameters", e)),
        _ => Ok(None),
    }
}

/// Builds a DSA verifying key, refusing (as weak) a prime `p` below 1024 bits.
fn dsa_key(params: &DssParms<'_>, y: &[u8]) -> Result<dsa::VerifyingKey> {
    let p_bits = bit_len(params.p);
    if p_bits < MIN_KEY_BITS {
        return Err(Error::Weak(format!(
            "DSA key of {p_bits} bits; at least {MIN_KEY_BITS} are needed"
        )));
    }
    let q_bits = bit_len(params.q);
    let unsupported = || {
        Error::unsupported(
            "DSA parameters",
            format!(
                "p of {p_bits} bits and q of {q_bits} bits (supported are the FIPS 186 sizes \
                 1024/160, 2048/224, 2048/256 and 3072/256 with 1 < g < p)"
            ),
        )
    };
    // The DSA crate wants g and y at the precision of p (its Montgomery arithmetic assumes it).
    let p = BoxedUint::from_be_slice_vartime(params.p);
    let precision = p.bits_precision();
    let q = BoxedUint::from_be_slice_vartime(params.q);
    let g = BoxedUint::from_be_slice(params.g, precision).map_err(|_| unsupported())?;
    let y = BoxedUint::from_be_slice(y, precision)
        .map_err(|_| Error::malformed("public key", "the DSA public value is larger than p"))?;
    if y >= p {
        return Err(Error::malformed(
            "public key",
            "the DSA public value is not below p",
        ));
    }
    let components = dsa::Components::from_components(p, q, g).map_err(|_| unsupported())?;
    dsa::VerifyingKey::from_components(components, y).map_err(|_| {
        Error::malformed(
            "public key",
            "the DSA public value is not in the subgroup the parameters define",
        )
    })
}

/// Decodes a `Dss-Sig-Value` (RFC 3279 2.2.2) whose r and s fit the size of `q`; anything else
/// cannot be a valid signature under this key.
fn dsa_signature(signature: &[u8], q: &[u8]) -> Option<dsa::Signature> {
    let seq = tlv::single(signature).ok()?;
    if seq.tag != Tag::Sequence {
        return None;
    }
    let fields = tlv::elements(seq.value).ok()?;
    let [r, s] = fields.as_slice() else {
        return None;
    };
    let q_len = q.iter().position(|b| *b != 0).map_or(0, |i| q.len() - i);
    let precision = u32::try_from(q_len.checked_mul(8)?).ok()?;
    let int = |t: &tlv::Tlv<'_>| -> Option<BoxedUint> {
        let bytes = uint(t, "DSA signature").ok()?;
        BoxedUint::from_be_slice(bytes, precision).ok()
    };
    dsa::Signature::from_components(int(r)?, int(s)?)
}

fn verify_dsa(
    spki: &SubjectPublicKeyInfoRef<'_>,
    inherited_params_der: Option<&[u8]>,
    hash: Hash,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    if spki.algorithm.oid != oid::DSA {
        return Err(key_mismatch("DSA"));
    }
    let own = own_dsa_params(spki)?;
    let params_der = match (own.as_deref(), inherited_params_der) {
        (Some(own), _) => own,
        (None, Some(inherited)) => inherited,
        (None, None) => {
            return Err(Error::InvalidArgument(
                "the signer's DSA public key has no parameters (p, q, g): RFC 3279 says they \
                 are inherited from the certificate that issued it; verify with \
                 verify_signature_with_params and that issuer's parameters"
                    .into(),
            ));
        }
    };
    let params = parse_dss_parms(params_der)?;
    let y_der = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| Error::malformed("public key", "DSA key BIT STRING has unused bits"))?;
    let y = UintRef::from_der(y_der).map_err(|e| Error::malformed("public key", e))?;
    let key = dsa_key(&params, y.as_bytes())?;
    let sig = dsa_signature(signature, params.q).ok_or_else(bad_signature)?;
    key.verify_prehash(&hash.digest(message), &sig)
        .map_err(|_| bad_signature())
}

/// Verifies `signature` over `message` with the public key in `spki_der` (a DER
/// SubjectPublicKeyInfo) under the signature `algorithm` (as found in a certificate, CRL or CMS
/// SignerInfo).
///
/// The same as [`verify_signature_with_params`] without inherited DSA parameters: a DSA key
/// whose SubjectPublicKeyInfo has no parameters gives [`Error::InvalidArgument`].
///
/// Errors:
/// - [`Error::Weak`] for an algorithm or key refused as too weak to mean anything: MD2, MD4 or
///   MD5 with RSA (recognised, never verified), an RSA modulus below 1024 bits, a DSA prime `p`
///   below 1024 bits;
/// - [`Error::Unsupported`] for an algorithm, curve or key this library does not handle;
/// - [`Error::Malformed`] for a key or parameters that do not parse;
/// - [`Error::Crypto`] when the key type does not fit the algorithm or the signature does not
///   verify.
pub fn verify_signature(
    spki_der: &[u8],
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    verify_signature_with_params(spki_der, None, algorithm, message, signature)
}

/// [`verify_signature`] for a signer whose DSA key may inherit its parameters.
///
/// RFC 3279 2.3.2: a DSA SubjectPublicKeyInfo without parameters takes the DSA parameters
/// (`Dss-Parms`, DER) of the certificate that issued it. `inherited_params_der` is that
/// issuer's [`Certificate::dsa_parameters`](super::Certificate::dsa_parameters); it is used
/// only when the key in `spki_der` is DSA and has no parameters of its own (its own always win)
/// and is ignored for other key types.
///
/// Errors: as [`verify_signature`]; a DSA key without parameters when `inherited_params_der`
/// is `None` gives [`Error::InvalidArgument`] (the caller has to find the issuer's parameters).
pub fn verify_signature_with_params(
    spki_der: &[u8],
    inherited_params_der: Option<&[u8]>,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<()> {
    let scheme = scheme_of(algorithm)?;
    let spki = SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| Error::malformed("public key", e))?;
    match scheme {
        Scheme::Pkcs1v15(_) | Scheme::Pss { .. } => verify_rsa(&spki, &scheme, message, signature),
        Scheme::Ecdsa(hash) => verify_ecdsa(&spki, hash, message, signature),
        Scheme::Ed25519 => verify_ed25519(&spki, message, signature),
        Scheme::Dsa(hash) => verify_dsa(&spki, inherited_params_der, hash, message, signature),
    }
}

#[cfg(test)]
mod tests;
