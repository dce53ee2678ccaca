//! CMS SignedData (RFC 5652 section 5, RFC 8551 section 2) on content bytes: the content layer
//! under the S/MIME MIME layer.
//!
//! [`sign_data`] makes a `ContentInfo` holding a `SignedData` with one `SignerInfo`, written the
//! way OpenSSL and Outlook write it (issuerAndSerialNumber, signed attributes contentType,
//! signingTime, messageDigest and smimeCapabilities, the signer's chain), either detached (for
//! `multipart/signed`) or with the content encapsulated (for
//! `application/pkcs7-mime; smime-type=signed-data`).
//!
//! [`verify_data`] checks every `SignerInfo` of a `SignedData` (DER, or BER as written by
//! streaming signers) and reports, per signer, what it found. It makes no trust decision: the
//! caller validates each signer certificate with the trust engine.
//!
//! The structure is walked element by element over the exact input bytes (never decoded and
//! re-encoded), so signed attributes are checked over the bytes the signer signed, duplicated or
//! unparseable certificate entries are tolerated, and work is bounded
//! ([`MAX_SIGNERS`], [`MAX_CERTIFICATES`]).

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::time::SystemTime;

use der::asn1::{AnyRef, GeneralizedTime, Null, ObjectIdentifier, UtcTime};
use der::{Decode, Encode, Tag};
use sha2::Digest;
use spki::AlgorithmIdentifierOwned;

use crate::cert::oid::{
    self, AES128_CBC, AES128_GCM, AES192_CBC, AES256_CBC, AES256_GCM, ATTR_CONTENT_TYPE,
    ATTR_MESSAGE_DIGEST, ATTR_SIGNING_TIME, ATTR_SMIME_CAPABILITIES, DES_EDE3_CBC, DSA as ID_DSA,
    DSA_SHA1 as DSA_WITH_SHA1, DSA_SHA224 as DSA_WITH_SHA224, DSA_SHA256 as DSA_WITH_SHA256,
    DSA_SHA384 as DSA_WITH_SHA384, DSA_SHA512 as DSA_WITH_SHA512, ECDSA_SHA1,
    ID_AUTH_ENVELOPED_DATA, ID_DATA, ID_ENVELOPED_DATA, ID_SIGNED_DATA, MD2, MD2_WITH_RSA, MD4,
    MD4_WITH_RSA, MD5, MD5_WITH_RSA, RSAES_OAEP,
};
use crate::cert::{
    Certificate, KeyAlgorithm, Thumbprint, verify_signature, verify_signature_with_params,
};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{HashAlg, SignatureScheme, Signer};
use crate::tlv::{self, Tlv};

use super::weakness::Weakness;

#[cfg(test)]
mod tests;

/// The most `SignerInfo`s [`verify_data`] looks at; a message with more is refused
/// ([`Error::LimitExceeded`]).
pub const MAX_SIGNERS: usize = 16;

/// The most entries the `certificates` field of a message may hold for [`verify_data`]; a
/// message with more is refused ([`Error::LimitExceeded`]).
pub const MAX_CERTIFICATES: usize = 200;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

/// An entry of the S/MIME capabilities signed attribute (RFC 8551 section 2.5.2): an algorithm
/// the signer can decrypt, so that a correspondent encrypting to it picks a strong one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SmimeCapability {
    /// AES-256 in GCM mode (AuthEnvelopedData, RFC 5084).
    Aes256Gcm,
    /// AES-128 in GCM mode (AuthEnvelopedData, RFC 5084).
    Aes128Gcm,
    /// AES-256 in CBC mode.
    Aes256Cbc,
    /// AES-128 in CBC mode.
    Aes128Cbc,
    /// AES-192 in CBC mode.
    Aes192Cbc,
    /// Triple DES (DES-EDE3) in CBC mode (legacy).
    TripleDesCbc,
    /// RSAES-OAEP key transport (written with SHA-256 and MGF1-SHA-256 parameters, RFC 4055).
    RsaesOaep,
    /// Any other capability, by its dotted OID (e.g. RC2 as old clients list it).
    Other(String),
}

impl SmimeCapability {
    /// What this library decrypts, strongest first: AES-256-GCM, AES-128-GCM, AES-256-CBC,
    /// AES-128-CBC, and RSAES-OAEP key transport. The default of
    /// [`SignOptions::capabilities`].
    pub fn defaults() -> Vec<SmimeCapability> {
        vec![
            SmimeCapability::Aes256Gcm,
            SmimeCapability::Aes128Gcm,
            SmimeCapability::Aes256Cbc,
            SmimeCapability::Aes128Cbc,
            SmimeCapability::RsaesOaep,
        ]
    }

    /// The capability's OID, dotted (e.g. `2.16.840.1.101.3.4.1.42` for AES-256-CBC).
    pub fn oid(&self) -> String {
        match self {
            SmimeCapability::Other(oid) => oid.clone(),
            named => named.known_oid().map(|o| o.to_string()).unwrap_or_default(),
        }
    }

    /// The capability's OID (`None` for an [`SmimeCapability::Other`] that is not a valid
    /// dotted OID: one made by the caller, never one read from a signature).
    pub fn object_identifier(&self) -> Option<ObjectIdentifier> {
        match self {
            SmimeCapability::Other(oid) => ObjectIdentifier::new(oid).ok(),
            named => named.known_oid(),
        }
    }

    /// The capability for a dotted OID: a named variant when the OID is one of them,
    /// [`SmimeCapability::Other`] otherwise.
    pub fn from_oid(dotted: &str) -> SmimeCapability {
        let dotted = dotted.trim();
        [
            SmimeCapability::Aes256Gcm,
            SmimeCapability::Aes128Gcm,
            SmimeCapability::Aes256Cbc,
            SmimeCapability::Aes128Cbc,
            SmimeCapability::Aes192Cbc,
            SmimeCapability::TripleDesCbc,
            SmimeCapability::RsaesOaep,
        ]
        .into_iter()
        .find(|c| c.known_oid().is_some_and(|o| o.to_string() == dotted))
        .unwrap_or_else(|| SmimeCapability::Other(dotted.to_string()))
    }

    /// The OID of a named variant (`None` for [`SmimeCapability::Other`]).
    fn known_oid(&self) -> Option<ObjectIdentifier> {
        Some(match self {
            SmimeCapability::Aes256Gcm => AES256_GCM,
            SmimeCapability::Aes128Gcm => AES128_GCM,
            SmimeCapability::Aes256Cbc => AES256_CBC,
            SmimeCapability::Aes128Cbc => AES128_CBC,
            SmimeCapability::Aes192Cbc => AES192_CBC,
            SmimeCapability::TripleDesCbc => DES_EDE3_CBC,
            SmimeCapability::RsaesOaep => RSAES_OAEP,
            SmimeCapability::Other(_) => return None,
        })
    }

    /// `SMIMECapability ::= SEQUENCE { capabilityID OBJECT IDENTIFIER, parameters ANY OPTIONAL }`
    fn encode(&self) -> Result<Vec<u8>> {
        let dotted = self.oid();
        let id = ObjectIdentifier::new(&dotted).map_err(|_| {
            Error::InvalidArgument(format!(
                "S/MIME capability {dotted:?} is not a dotted object identifier"
            ))
        })?;
        let id = encode_value(&id)?;
        if *self == SmimeCapability::RsaesOaep {
            // RFC 4055 section 5: advertise the parameters this library decrypts with.
            let params = encode_value(&rsa::pkcs1::RsaOaepParamsRef::new::<sha2::Sha256>())?;
            return Ok(tlv::sequence(&[&id, &params]));
        }
        Ok(tlv::sequence(&[&id]))
    }
}

impl fmt::Display for SmimeCapability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SmimeCapability::Aes256Gcm => "AES-256-GCM",
            SmimeCapability::Aes128Gcm => "AES-128-GCM",
            SmimeCapability::Aes256Cbc => "AES-256-CBC",
            SmimeCapability::Aes128Cbc => "AES-128-CBC",
            SmimeCapability::Aes192Cbc => "AES-192-CBC",
            SmimeCapability::TripleDesCbc => "3DES-CBC",
            SmimeCapability::RsaesOaep => "RSAES-OAEP",
            SmimeCapability::Other(oid) => oid,
        })
    }
}

/// How [`sign_data`] signs. Build with [`SignOptions::new`] and the setters.
///
/// ```
/// use hermes_pki::key::HashAlg;
/// use hermes_pki::smime::SignOptions;
///
/// let options = SignOptions::new(std::time::SystemTime::UNIX_EPOCH)
///     .hash(HashAlg::Sha384)
///     .rsa_pss(true)
///     .include_chain(false);
/// # let _ = options;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOptions {
    signing_time: SystemTime,
    hash: HashAlg,
    rsa_pss: bool,
    include_chain: bool,
    capabilities: Vec<SmimeCapability>,
}

impl SignOptions {
    /// Options with the signingTime attribute set to `signing_time` (the time is a parameter:
    /// it is never read from the system clock inside), SHA-256, PKCS#1 v1.5 for RSA keys, the
    /// chain included and [`SmimeCapability::defaults`].
    pub fn new(signing_time: SystemTime) -> Self {
        SignOptions {
            signing_time,
            hash: HashAlg::Sha256,
            rsa_pss: false,
            include_chain: true,
            capabilities: SmimeCapability::defaults(),
        }
    }

    /// The digest and signature hash: SHA-256 (default), SHA-384 or SHA-512. SHA-1 makes
    /// [`sign_data`] fail with [`Error::Weak`]. Ed25519 keys always use SHA-512 (RFC 8419).
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.hash = hash;
        self
    }

    /// For RSA keys: RSASSA-PSS (salt length = hash length, MGF1 with the same hash) instead of
    /// PKCS#1 v1.5 (the default, which every client reads). Ignored for other keys.
    pub fn rsa_pss(mut self, pss: bool) -> Self {
        self.rsa_pss = pss;
        self
    }

    /// Whether the chain given to [`sign_data`] is carried in the message besides the signer
    /// certificate (default: yes, so recipients can build the path).
    pub fn include_chain(mut self, include: bool) -> Self {
        self.include_chain = include;
        self
    }

    /// The S/MIME capabilities to announce, strongest first (default
    /// [`SmimeCapability::defaults`]). An empty list leaves the attribute out.
    pub fn capabilities(mut self, capabilities: Vec<SmimeCapability>) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The signingTime the signatures carry.
    pub fn signing_time(&self) -> SystemTime {
        self.signing_time
    }

    /// The digest algorithm [`sign_data`] uses for a key of algorithm `key` (what the MIME
    /// layer announces as `micalg`): SHA-512 for Ed25519, the configured hash otherwise.
    pub fn digest_for(&self, key: &KeyAlgorithm) -> HashAlg {
        match key {
            KeyAlgorithm::Ed25519 => HashAlg::Sha512,
            _ => self.hash,
        }
    }
}

/// What [`verify_data`] found in a signed message. It makes no trust decision: validate each
/// signer certificate with the trust engine.
#[derive(Clone)]
#[non_exhaustive]
pub struct SignedContent {
    /// The signed content: the encapsulated content, or the detached content given.
    pub content: Vec<u8>,
    /// Every parseable certificate the message carries, deduplicated by thumbprint, in message
    /// order.
    pub certificates: Vec<Certificate>,
    /// One report per `SignerInfo`, in message order.
    pub signers: Vec<SignerReport>,
}

/// The content's length, not the content (mail is private).
impl fmt::Debug for SignedContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedContent")
            .field("content_len", &self.content.len())
            .field("certificates", &self.certificates.len())
            .field("signers", &self.signers)
            .finish()
    }
}

impl SignedContent {
    /// Whether there is at least one signer and every signature is [`SignatureStatus::Valid`]
    /// (says nothing about whether the signer certificates are trusted).
    pub fn all_signatures_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(|s| s.status.is_valid())
    }
}

/// The verification result of one `SignerInfo`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignerReport {
    /// The signer certificate, found among the certificates carried or the extra certificates
    /// given, by issuer and serial number or by subject key identifier. `None` when not found.
    pub certificate: Option<Certificate>,
    /// How the SignerInfo names its certificate (to look it up elsewhere when it was not
    /// carried).
    pub identifier: super::envelope::RecipientId,
    /// The signingTime signed attribute, if present and readable.
    pub signing_time: Option<SystemTime>,
    /// The digest algorithm; `None` when it is not one this library supports (the status is
    /// then [`SignatureStatus::Unsupported`]).
    pub digest: Option<HashAlg>,
    /// The signature algorithm, readable (e.g. `sha256WithRSAEncryption`,
    /// `RSASSA-PSS with SHA-384`, `ecdsa-with-SHA256`, `Ed25519`; a dotted OID when unknown).
    pub signature_algorithm: String,
    /// Whether the signature verifies.
    pub status: SignatureStatus,
    /// Weaknesses of a signature that otherwise verifies ([`Weakness::Sha1Digest`],
    /// [`Weakness::Sha1SignatureHash`], [`Weakness::SmallRsaSignerKey`]).
    pub weak: Vec<Weakness>,
    /// The S/MIME capabilities the signer announced (empty when absent), strongest first as
    /// listed, without repeats.
    pub capabilities: Vec<SmimeCapability>,
}

/// Whether one signature verifies, and if not, why.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureStatus {
    /// The signature verifies over the content with the signer certificate's key.
    Valid,
    /// The messageDigest attribute does not match the content: the signed content was changed.
    ContentChanged,
    /// The SignedData of a detached signature (`multipart/signed`) also carries the content
    /// (eContent), and it is not the signed MIME part: what a reader sees is not what the
    /// signature is about.
    ContentMismatch,
    /// The signature uses an algorithm or a key too weak to be relied on (MD5, an RSA key
    /// below [`SignerPolicy::min_rsa_bits`], SHA-1 where the policy refuses it).
    WeakAlgorithm(Weakness),
    /// The signature does not verify, or the signed attributes are not as RFC 5652 requires;
    /// the [`SignatureFailure`] says which.
    BadSignature(SignatureFailure),
    /// No certificate matching the signer identifier was carried or given.
    SignerCertificateNotFound,
    /// The digest or signature algorithm (or the signer's key type) is not supported.
    Unsupported(String),
}

impl SignatureStatus {
    /// Whether this is [`SignatureStatus::Valid`].
    pub fn is_valid(&self) -> bool {
        *self == SignatureStatus::Valid
    }
}

impl fmt::Display for SignatureStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureStatus::Valid => f.write_str("the signature is valid"),
            SignatureStatus::ContentChanged => f.write_str("the signed content was changed"),
            SignatureStatus::ContentMismatch => f.write_str(
                "the content inside the signature is not the signed MIME part (the message was \
                 altered)",
            ),
            SignatureStatus::WeakAlgorithm(w) => {
                write!(f, "the signature is not valid: it uses {w}")
            }
            SignatureStatus::BadSignature(why) => write!(f, "the signature is not valid: {why}"),
            SignatureStatus::SignerCertificateNotFound => f.write_str(
                "the signer certificate is neither in the message nor among the certificates given",
            ),
            SignatureStatus::Unsupported(why) => {
                write!(f, "the signature cannot be checked: {why}")
            }
        }
    }
}

/// Why a signature is [`SignatureStatus::BadSignature`]: the signed attributes are not as
/// RFC 5652 requires, or the signature value does not verify. `Display` gives the text shown
/// after "the signature is not valid: ".
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureFailure {
    /// A signed attribute appears more than once.
    RepeatedAttribute(SignedAttribute),
    /// A signed attribute does not have exactly one value.
    AttributeNotSingleValued(SignedAttribute),
    /// There are signed attributes, but no contentType among them.
    MissingContentType,
    /// The contentType attribute is not the eContentType (id-data).
    ContentTypeMismatch,
    /// There are signed attributes, but no messageDigest among them.
    MissingMessageDigest,
    /// The messageDigest attribute is not an OCTET STRING.
    MessageDigestNotOctetString,
    /// The signature value was checked with the signer's key and failed; the text is the
    /// check's (`cryptographic operation failed: the signature does not verify`, or why the
    /// key or the signature value could not be read).
    Signature(String),
}

impl fmt::Display for SignatureFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignatureFailure::RepeatedAttribute(a) => {
                write!(f, "the signed attributes hold {a} more than once")
            }
            SignatureFailure::AttributeNotSingleValued(a) => {
                write!(f, "the {a} attribute must have exactly one value")
            }
            SignatureFailure::MissingContentType => {
                f.write_str("the signed attributes lack contentType")
            }
            SignatureFailure::ContentTypeMismatch => {
                f.write_str("the contentType attribute does not match the eContentType")
            }
            SignatureFailure::MissingMessageDigest => {
                f.write_str("the signed attributes lack messageDigest")
            }
            SignatureFailure::MessageDigestNotOctetString => {
                f.write_str("the messageDigest attribute is not an OCTET STRING")
            }
            SignatureFailure::Signature(why) => f.write_str(why),
        }
    }
}

/// A signed attribute the verification reads (RFC 5652 section 11, RFC 8551 section 2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignedAttribute {
    /// contentType (1.2.840.113549.1.9.3).
    ContentType,
    /// messageDigest (1.2.840.113549.1.9.4).
    MessageDigest,
    /// signingTime (1.2.840.113549.1.9.5).
    SigningTime,
    /// smimeCapabilities (1.2.840.113549.1.9.15).
    SmimeCapabilities,
}

impl SignedAttribute {
    /// The attribute type.
    fn oid(self) -> ObjectIdentifier {
        match self {
            SignedAttribute::ContentType => ATTR_CONTENT_TYPE,
            SignedAttribute::MessageDigest => ATTR_MESSAGE_DIGEST,
            SignedAttribute::SigningTime => ATTR_SIGNING_TIME,
            SignedAttribute::SmimeCapabilities => ATTR_SMIME_CAPABILITIES,
        }
    }
}

impl fmt::Display for SignedAttribute {
    /// The attribute's ASN.1 name (`contentType`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignedAttribute::ContentType => "contentType",
            SignedAttribute::MessageDigest => "messageDigest",
            SignedAttribute::SigningTime => "signingTime",
            SignedAttribute::SmimeCapabilities => "smimeCapabilities",
        })
    }
}

/// What [`verify_data_with`] accepts from a signer, beyond a signature that verifies. Build
/// with [`SignerPolicy::new`] and the setters.
///
/// ```
/// use hermes_pki::smime::SignerPolicy;
///
/// let strict = SignerPolicy::new().allow_sha1(false).min_rsa_bits(3072);
/// # let _ = strict;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignerPolicy {
    min_rsa_bits: usize,
    allow_sha1: bool,
}

impl Default for SignerPolicy {
    fn default() -> Self {
        Self::new()
    }
}

impl SignerPolicy {
    /// RSA signer keys of 2048 bits or more (the trust engine's default minimum), SHA-1
    /// refused as weak (old mail and NIST PKITS use it: [`allow_sha1`](Self::allow_sha1), or
    /// the gateway setting `allow-sha1`, accepts it, reported in [`SignerReport::weak`]).
    /// MD2, MD4 and MD5 are always weak.
    pub fn new() -> Self {
        SignerPolicy {
            min_rsa_bits: crate::key::MIN_RSA_BITS,
            allow_sha1: false,
        }
    }

    /// The smallest RSA signer key accepted (default 2048); a signature by a shorter key is
    /// [`SignatureStatus::WeakAlgorithm`] with [`Weakness::ShortRsaKey`].
    pub fn min_rsa_bits(mut self, bits: usize) -> Self {
        self.min_rsa_bits = bits;
        self
    }

    /// Whether SHA-1 digests and signature hashes are accepted (default false); when not, such
    /// a signature is [`SignatureStatus::WeakAlgorithm`] with [`Weakness::Sha1`]. With
    /// [`Smime`](crate::smime::Smime), SHA-1 also makes certificates below the trust anchor
    /// weak unless allowed ([`ValidationOptions::allow_sha1`](crate::trust::ValidationOptions::allow_sha1)).
    pub fn allow_sha1(mut self, allow: bool) -> Self {
        self.allow_sha1 = allow;
        self
    }

    /// The smallest RSA signer key accepted.
    pub fn rsa_minimum(&self) -> usize {
        self.min_rsa_bits
    }

    /// Whether SHA-1 is accepted.
    pub fn sha1_allowed(&self) -> bool {
        self.allow_sha1
    }
}

// ---------------------------------------------------------------------------------------------
// DER writing
// ---------------------------------------------------------------------------------------------

fn encoding_failed(e: impl fmt::Display) -> Error {
    Error::Crypto(format!("cannot encode the signed message: {e}"))
}

fn encode_value(value: &impl Encode) -> Result<Vec<u8>> {
    value.to_der().map_err(encoding_failed)
}

/// `Attribute ::= SEQUENCE { attrType OBJECT IDENTIFIER, attrValues SET OF ANY }` with one
/// value.
fn attribute(kind: ObjectIdentifier, value: &[u8]) -> Result<Vec<u8>> {
    let kind = encode_value(&kind)?;
    Ok(tlv::sequence(&[&kind, &tlv::tlv(tlv::SET, &[value])]))
}

/// An AlgorithmIdentifier for a digest: the OID, parameters absent (RFC 5754 section 2).
fn digest_algorithm(hash: HashAlg) -> Result<Vec<u8>> {
    let oid = encode_value(&hash_oid(hash))?;
    Ok(tlv::sequence(&[&oid]))
}

/// signingTime: UTCTime from 1950 to 2049, GeneralizedTime otherwise (RFC 5652 section 11.3).
fn signing_time_value(t: SystemTime) -> Result<Vec<u8>> {
    let dt = der::DateTime::from_system_time(t).map_err(|_| {
        Error::InvalidArgument("the signing time must lie between 1970 and 9999".into())
    })?;
    if (1950..=2049).contains(&dt.year()) {
        encode_value(&UtcTime::from_date_time(dt).map_err(encoding_failed)?)
    } else {
        encode_value(&GeneralizedTime::from_date_time(dt))
    }
}

/// The signed attributes as a DER `SET OF Attribute` (tag 0x31, what is signed; written with
/// `[0]` in the SignerInfo).
fn signed_attributes(content_digest: &[u8], options: &SignOptions) -> Result<Vec<u8>> {
    let mut attrs = vec![
        attribute(ATTR_CONTENT_TYPE, &encode_value(&ID_DATA)?)?,
        attribute(
            ATTR_SIGNING_TIME,
            &signing_time_value(options.signing_time)?,
        )?,
        attribute(ATTR_MESSAGE_DIGEST, &tlv::octet_string(content_digest))?,
    ];
    if !options.capabilities.is_empty() {
        let caps = options
            .capabilities
            .iter()
            .map(SmimeCapability::encode)
            .collect::<Result<Vec<_>>>()?;
        let parts: Vec<&[u8]> = caps.iter().map(Vec::as_slice).collect();
        attrs.push(attribute(ATTR_SMIME_CAPABILITIES, &tlv::sequence(&parts))?);
    }
    Ok(tlv::set_of(attrs))
}

/// `SignerInfo` (version 1, issuerAndSerialNumber). `signed_attrs` is the DER `SET OF` as
/// signed (its tag is rewritten to `[0]`), or `None` for a signature over the content itself.
fn signer_info(
    signer: &Certificate,
    digest_alg: &[u8],
    signed_attrs: Option<&[u8]>,
    signature_alg: &AlgorithmIdentifierOwned,
    signature: &[u8],
) -> Result<Vec<u8>> {
    let version = [0x02, 0x01, 0x01];
    let serial = tlv::tlv(
        tlv::INTEGER,
        &[signer.x509().tbs_certificate().serial_number().as_bytes()],
    );
    let sid = tlv::sequence(&[signer.issuer_der(), &serial]);
    let attrs = signed_attrs.map(|set| {
        let mut field = set.to_vec();
        if let Some(tag) = field.first_mut() {
            *tag = tlv::context_tag(0, true);
        }
        field
    });
    let sig_alg = encode_value(signature_alg)?;
    let sig = tlv::octet_string(signature);
    let mut parts: Vec<&[u8]> = vec![&version, &sid, digest_alg];
    if let Some(a) = &attrs {
        parts.push(a);
    }
    parts.extend([sig_alg.as_slice(), sig.as_slice()]);
    Ok(tlv::sequence(&parts))
}

/// `ContentInfo { id-signedData, SignedData }` around the given parts: digest algorithms,
/// the content (None: detached), the certificates (None: field absent) and the SignerInfos.
#[cfg(test)]
fn signed_data_message(
    digest_algs: Vec<Vec<u8>>,
    econtent: Option<&[u8]>,
    certificates: Option<&[&[u8]]>,
    signer_infos: Vec<Vec<u8>>,
) -> Result<Vec<u8>> {
    let (head, tail) = signed_data_pieces(
        digest_algs,
        econtent.map(<[u8]>::len),
        certificates,
        signer_infos,
    )?;
    let content = econtent.unwrap_or_default();
    let mut out = Vec::with_capacity(head.len() + content.len() + tail.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(content);
    out.extend_from_slice(&tail);
    Ok(out)
}

/// The length of an element whose contents are `len` bytes long (one-octet identifier).
fn element_len(len: usize) -> usize {
    1 + tlv::length_len(len) + len
}

/// An element's identifier and length octets.
fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    tlv::push_length(out, len);
}

/// [`signed_data_message`] in two pieces around the eContent's octets, given their length
/// (`None`: detached): the DER is `head`, the content, `tail`. The content is never copied,
/// so a large message can be written out as it stands.
fn signed_data_pieces(
    digest_algs: Vec<Vec<u8>>,
    econtent_len: Option<usize>,
    certificates: Option<&[&[u8]]>,
    signer_infos: Vec<Vec<u8>>,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let version = [0x02, 0x01, 0x01];
    let digest_algs = tlv::set_of(digest_algs);
    let data = encode_value(&ID_DATA)?;
    // encapContentInfo ::= SEQUENCE { eContentType, [0] EXPLICIT OCTET STRING OPTIONAL }
    let encap_len = data.len() + econtent_len.map_or(0, |n| element_len(element_len(n)));
    let certs = certificates.map(|certs| {
        tlv::set_of_tagged(
            tlv::context_tag(0, true),
            certs.iter().map(|c| c.to_vec()).collect(),
        )
    });
    let signer_infos = tlv::set_of(signer_infos);
    let certs_len = certs.as_ref().map_or(0, Vec::len);
    let signed_data_len =
        version.len() + digest_algs.len() + element_len(encap_len) + certs_len + signer_infos.len();
    let content_type = encode_value(&ID_SIGNED_DATA)?;
    let content_info_len = content_type.len() + element_len(element_len(signed_data_len));
    let mut head = Vec::with_capacity(64 + digest_algs.len());
    push_header(&mut head, tlv::SEQUENCE, content_info_len);
    head.extend_from_slice(&content_type);
    push_header(
        &mut head,
        tlv::context_tag(0, true),
        element_len(signed_data_len),
    );
    push_header(&mut head, tlv::SEQUENCE, signed_data_len);
    head.extend_from_slice(&version);
    head.extend_from_slice(&digest_algs);
    push_header(&mut head, tlv::SEQUENCE, encap_len);
    head.extend_from_slice(&data);
    if let Some(n) = econtent_len {
        push_header(&mut head, tlv::context_tag(0, true), element_len(n));
        push_header(&mut head, tlv::OCTET_STRING, n);
    }
    let mut tail = Vec::with_capacity(certs_len + signer_infos.len());
    if let Some(c) = &certs {
        tail.extend_from_slice(c);
    }
    tail.extend_from_slice(&signer_infos);
    Ok((head, tail))
}

// ---------------------------------------------------------------------------------------------
// Algorithms
// ---------------------------------------------------------------------------------------------

fn hash_oid(hash: HashAlg) -> ObjectIdentifier {
    match hash {
        HashAlg::Sha1 => oid::SHA1,
        HashAlg::Sha256 => oid::SHA256,
        HashAlg::Sha384 => oid::SHA384,
        HashAlg::Sha512 => oid::SHA512,
    }
}

fn hash_name(hash: HashAlg) -> &'static str {
    match hash {
        HashAlg::Sha1 => "SHA-1",
        HashAlg::Sha256 => "SHA-256",
        HashAlg::Sha384 => "SHA-384",
        HashAlg::Sha512 => "SHA-512",
    }
}

/// The hash of a digestAlgorithm OID. The sha*WithRSAEncryption OIDs are accepted too: some old
/// signers wrote them there (OpenSSL reads them the same way).
fn hash_of(o: &ObjectIdentifier) -> Option<HashAlg> {
    match *o {
        oid::SHA1 | oid::SHA1_WITH_RSA => Some(HashAlg::Sha1),
        oid::SHA256 | oid::SHA256_WITH_RSA => Some(HashAlg::Sha256),
        oid::SHA384 | oid::SHA384_WITH_RSA => Some(HashAlg::Sha384),
        oid::SHA512 | oid::SHA512_WITH_RSA => Some(HashAlg::Sha512),
        _ => None,
    }
}

fn digest(hash: HashAlg, data: &[u8]) -> Vec<u8> {
    match hash {
        HashAlg::Sha1 => sha1::Sha1::digest(data).to_vec(),
        HashAlg::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlg::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlg::Sha512 => sha2::Sha512::digest(data).to_vec(),
    }
}

/// sha*WithRSAEncryption with NULL parameters.
fn pkcs1v15_algorithm(hash: HashAlg) -> AlgorithmIdentifierOwned {
    let oid = match hash {
        HashAlg::Sha1 => oid::SHA1_WITH_RSA,
        HashAlg::Sha256 => oid::SHA256_WITH_RSA,
        HashAlg::Sha384 => oid::SHA384_WITH_RSA,
        HashAlg::Sha512 => oid::SHA512_WITH_RSA,
    };
    AlgorithmIdentifierOwned {
        oid,
        parameters: Some(AnyRef::from(Null).into()),
    }
}

/// RSASSA-PSS with the hash, MGF1 with the same hash, salt length = hash length.
fn pss_algorithm(hash: HashAlg) -> Result<AlgorithmIdentifierOwned> {
    use rsa::pkcs1::RsaPssParamsRef;
    let params = match hash {
        HashAlg::Sha256 => encode_value(&RsaPssParamsRef::new::<sha2::Sha256>(32))?,
        HashAlg::Sha384 => encode_value(&RsaPssParamsRef::new::<sha2::Sha384>(48))?,
        HashAlg::Sha512 => encode_value(&RsaPssParamsRef::new::<sha2::Sha512>(64))?,
        HashAlg::Sha1 => return Err(sha1_refused()),
    };
    Ok(AlgorithmIdentifierOwned {
        oid: oid::RSASSA_PSS,
        parameters: Some(der::Any::from_der(&params).map_err(encoding_failed)?),
    })
}

fn sha1_refused() -> Error {
    Error::Weak("SHA-1 is not accepted for new signatures; use SHA-256, SHA-384 or SHA-512".into())
}

/// For a signing key and options: the scheme, the digest algorithm, the signatureAlgorithm to
/// write and the equivalent one [`verify_signature`] checks.
struct SigningPlan {
    scheme: SignatureScheme,
    digest: HashAlg,
    written: AlgorithmIdentifierOwned,
    checked: AlgorithmIdentifierOwned,
}

fn signing_plan(key: &KeyAlgorithm, options: &SignOptions) -> Result<SigningPlan> {
    let hash = options.hash;
    if hash == HashAlg::Sha1 {
        return Err(sha1_refused());
    }
    match key {
        KeyAlgorithm::Rsa { bits } if *bits < crate::key::MIN_RSA_BITS => {
            Err(Error::Weak(format!(
                "an RSA-{bits} key is too weak for new signatures; use {} bits or more",
                crate::key::MIN_RSA_BITS
            )))
        }
        KeyAlgorithm::Rsa { .. } if options.rsa_pss => {
            let alg = pss_algorithm(hash)?;
            Ok(SigningPlan {
                scheme: SignatureScheme::RsaPss(hash),
                digest: hash,
                written: alg.clone(),
                checked: alg,
            })
        }
        KeyAlgorithm::Rsa { .. } => Ok(SigningPlan {
            scheme: SignatureScheme::RsaPkcs1v15(hash),
            digest: hash,
            // rsaEncryption, as OpenSSL, Outlook and Thunderbird write it (RFC 3370 3.2).
            written: AlgorithmIdentifierOwned {
                oid: oid::RSA_ENCRYPTION,
                parameters: Some(AnyRef::from(Null).into()),
            },
            checked: pkcs1v15_algorithm(hash),
        }),
        KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {
            let scheme = SignatureScheme::Ecdsa(hash);
            let alg = crate::key::algorithm_identifier(scheme)?;
            Ok(SigningPlan {
                scheme,
                digest: hash,
                written: alg.clone(),
                checked: alg,
            })
        }
        KeyAlgorithm::Ed25519 => {
            let alg = crate::key::algorithm_identifier(SignatureScheme::Ed25519)?;
            Ok(SigningPlan {
                scheme: SignatureScheme::Ed25519,
                // RFC 8419 section 3.1: SHA-512 with Ed25519 signed attributes.
                digest: HashAlg::Sha512,
                written: alg.clone(),
                checked: alg,
            })
        }
        other => Err(Error::unsupported(
            "signing key",
            format!("{other}; S/MIME signatures are made with RSA, EC P-256/P-384 or Ed25519"),
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

/// Signs `content` as a CMS SignedData in a ContentInfo (DER).
///
/// `content` is the exact bytes to sign (the MIME layer canonicalises them first). With
/// `detached` the eContent is left out (for `multipart/signed`); otherwise the content is
/// encapsulated (for `application/pkcs7-mime; smime-type=signed-data`).
///
/// The SignerInfo identifies the signer by issuerAndSerialNumber (what every client reads) and
/// carries the signed attributes contentType (id-data), signingTime (UTCTime from 1950 to
/// 2049, GeneralizedTime otherwise), messageDigest and, unless the list is empty,
/// smimeCapabilities (RFC 8551 2.5.2). The certificates are the signer's and, with
/// [`SignOptions::include_chain`], `chain` (deduplicated). RSA keys sign with PKCS#1 v1.5
/// (signatureAlgorithm rsaEncryption, as OpenSSL writes it) or RSASSA-PSS; EC keys with ECDSA;
/// Ed25519 keys with Ed25519 over a SHA-512 digest (RFC 8419).
///
/// The signature is checked against `signer`'s public key before the message is returned.
///
/// Errors: SHA-1 or an RSA key below 2048 bits ([`Error::Weak`]); a key type that cannot sign
/// ([`Error::Unsupported`]); a key that does not belong to `signer` ([`Error::KeyMismatch`]);
/// a signing time before 1970 ([`Error::InvalidArgument`]); the signer's own failures.
pub fn sign_data(
    content: &[u8],
    signer: &Certificate,
    chain: &[Certificate],
    key: &dyn Signer,
    detached: bool,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let (head, tail) = sign_data_pieces(content, signer, chain, key, detached, options)?;
    let econtent: &[u8] = if detached { &[] } else { content };
    let mut out = Vec::with_capacity(head.len() + econtent.len() + tail.len());
    out.extend_from_slice(&head);
    out.extend_from_slice(econtent);
    out.extend_from_slice(&tail);
    Ok(out)
}

/// [`sign_data`] in two pieces around the encapsulated content: the DER is `head`, then
/// `content` (unless `detached`), then `tail`. The content is not copied: the message layer
/// writes the three pieces out one after the other.
pub(crate) fn sign_data_pieces(
    content: &[u8],
    signer: &Certificate,
    chain: &[Certificate],
    key: &dyn Signer,
    detached: bool,
    options: &SignOptions,
) -> Result<(Vec<u8>, Vec<u8>)> {
    let plan = signing_plan(&key.algorithm(), options)?;
    let digest_alg = digest_algorithm(plan.digest)?;
    let attrs = signed_attributes(&digest(plan.digest, content), options)?;
    let signature = key.sign(plan.scheme, &attrs)?;
    verify_signature(signer.public_key_der(), &plan.checked, &attrs, &signature).map_err(|e| {
        match e.kind() {
            ErrorKind::Crypto => Error::KeyMismatch,
            _ => e,
        }
    })?;
    let info = signer_info(signer, &digest_alg, Some(&attrs), &plan.written, &signature)?;
    let mut seen: HashSet<&Thumbprint> = HashSet::new();
    let mut certs: Vec<&[u8]> = Vec::new();
    let carried = std::iter::once(signer).chain(if options.include_chain { chain } else { &[] });
    for cert in carried {
        if seen.insert(cert.thumbprint()) {
            certs.push(cert.der());
        }
    }
    signed_data_pieces(
        vec![digest_alg],
        (!detached).then_some(content.len()),
        Some(&certs),
        vec![info],
    )
}

/// A SignedData with one SignerInfo per signer (for the tests of the layers above: two
/// signers over the same content).
#[cfg(test)]
pub(crate) fn sign_data_by_each(
    content: &[u8],
    signers: &[(&Certificate, &dyn Signer)],
    detached: bool,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let mut digest_algs = Vec::new();
    let mut infos = Vec::new();
    for (cert, key) in signers {
        let plan = signing_plan(&key.algorithm(), options)?;
        let digest_alg = digest_algorithm(plan.digest)?;
        let attrs = signed_attributes(&digest(plan.digest, content), options)?;
        let signature = key.sign(plan.scheme, &attrs)?;
        infos.push(signer_info(
            cert,
            &digest_alg,
            Some(&attrs),
            &plan.written,
            &signature,
        )?);
        if !digest_algs.contains(&digest_alg) {
            digest_algs.push(digest_alg);
        }
    }
    let certs: Vec<&[u8]> = signers.iter().map(|(c, _)| c.der()).collect();
    signed_data_message(
        digest_algs,
        (!detached).then_some(content),
        Some(&certs),
        infos,
    )
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

fn malformed(detail: impl fmt::Display) -> Error {
    Error::malformed("CMS message", detail)
}

/// Expects `t` to have tag `tag`.
fn expect_tag(t: &Tlv<'_>, tag: Tag, what: &str) -> Result<()> {
    if t.tag == tag {
        Ok(())
    } else {
        Err(malformed(format!(
            "{what} is a {} instead of a {tag}",
            t.tag
        )))
    }
}

fn elements<'a>(value: &'a [u8], what: &str) -> Result<Vec<Tlv<'a>>> {
    tlv::elements(value).map_err(|e| malformed(format!("{what}: {e}")))
}

fn object_id(t: &Tlv<'_>, what: &str) -> Result<ObjectIdentifier> {
    ObjectIdentifier::from_der(t.raw).map_err(|e| malformed(format!("{what}: {e}")))
}

fn algorithm_id(t: &Tlv<'_>, what: &str) -> Result<AlgorithmIdentifierOwned> {
    AlgorithmIdentifierOwned::from_der(t.raw).map_err(|e| malformed(format!("{what}: {e}")))
}

/// How a SignerInfo names its certificate.
#[derive(Debug, Clone, Copy)]
enum SignerId<'a> {
    /// The issuer Name (DER) and the serial number's INTEGER contents.
    IssuerSerial { issuer: &'a [u8], serial: &'a [u8] },
    /// subjectKeyIdentifier.
    KeyId(&'a [u8]),
}

/// One signed attribute: its type and the values (elements of its SET).
struct Attribute<'a> {
    kind: ObjectIdentifier,
    values: Vec<Tlv<'a>>,
}

/// A SignerInfo as found.
struct ParsedSigner<'a> {
    sid: SignerId<'a>,
    digest_alg: AlgorithmIdentifierOwned,
    /// The signed attributes: the `[0]` element as found, and the attributes in it.
    signed_attrs: Option<(Tlv<'a>, Vec<Attribute<'a>>)>,
    signature_alg: AlgorithmIdentifierOwned,
    signature: &'a [u8],
}

/// A SignedData as found.
struct ParsedMessage<'a> {
    econtent_type: ObjectIdentifier,
    econtent: Option<&'a [u8]>,
    certificates: Vec<Certificate>,
    signers: Vec<ParsedSigner<'a>>,
}

fn parse_message(der: &[u8]) -> Result<ParsedMessage<'_>> {
    let outer = tlv::single(der).map_err(|e| malformed(format!("ContentInfo: {e}")))?;
    expect_tag(&outer, Tag::Sequence, "the ContentInfo")?;
    let fields = elements(outer.value, "ContentInfo")?;
    let [content_type, content] = fields.as_slice() else {
        return Err(malformed("a ContentInfo has two fields"));
    };
    let content_type = object_id(content_type, "contentType")?;
    if content_type != ID_SIGNED_DATA {
        return Err(Error::unsupported(
            "CMS content type",
            match content_type {
                ID_ENVELOPED_DATA | ID_AUTH_ENVELOPED_DATA => {
                    "the message is encrypted, not signed: decrypt it first".to_string()
                }
                other => format!("{other} is not signed data (1.2.840.113549.1.7.2)"),
            },
        ));
    }
    if !tlv::is_context(content.tag, 0, true) {
        return Err(malformed("the ContentInfo content is not [0] EXPLICIT"));
    }
    let sd = tlv::single(content.value).map_err(|e| malformed(format!("SignedData: {e}")))?;
    expect_tag(&sd, Tag::Sequence, "the SignedData")?;
    // version, digestAlgorithms, encapContentInfo, [0] certificates, [1] crls, signerInfos.
    let (fields, more) =
        tlv::elements_at_most(sd.value, 6).map_err(|e| malformed(format!("SignedData: {e}")))?;
    if more {
        return Err(malformed("the SignedData has more than six fields"));
    }
    let mut fields = fields.iter().peekable();
    let mut next = |what: &str, tag: Tag| -> Result<Tlv<'_>> {
        let t = fields
            .next()
            .ok_or_else(|| malformed(format!("the SignedData has no {what}")))?;
        expect_tag(t, tag, what)?;
        Ok(*t)
    };
    next("version", Tag::Integer)?;
    next("digestAlgorithms", Tag::Set)?;
    let encap = next("encapContentInfo", Tag::Sequence)?;
    let (econtent_type, econtent) = parse_encap(&encap)?;
    let mut certificates = Vec::new();
    if let Some(certs) = fields.next_if(|t| tlv::is_context(t.tag, 0, true)) {
        certificates = parse_certificates(certs)?;
    }
    // CRLs are not needed here: revocation is the trust engine's business.
    fields.next_if(|t| tlv::is_context(t.tag, 1, true));
    let infos = fields
        .next()
        .ok_or_else(|| malformed("the SignedData has no signerInfos"))?;
    expect_tag(infos, Tag::Set, "signerInfos")?;
    if fields.next().is_some() {
        return Err(malformed("unexpected fields after signerInfos"));
    }
    // Read one SignerInfo beyond the limit at most, never the whole list first.
    let (infos, more) = tlv::elements_at_most(infos.value, MAX_SIGNERS)
        .map_err(|e| malformed(format!("signerInfos: {e}")))?;
    if more {
        return Err(Error::LimitExceeded(format!(
            "the message has more than {MAX_SIGNERS} signatures; at most {MAX_SIGNERS} are checked"
        )));
    }
    if infos.is_empty() {
        return Err(Error::Empty {
            what: "signature (the message carries certificates only)",
        });
    }
    let signers = infos
        .iter()
        .map(parse_signer_info)
        .collect::<Result<Vec<_>>>()?;
    Ok(ParsedMessage {
        econtent_type,
        econtent,
        certificates,
        signers,
    })
}

fn parse_encap<'a>(encap: &Tlv<'a>) -> Result<(ObjectIdentifier, Option<&'a [u8]>)> {
    let fields = elements(encap.value, "encapContentInfo")?;
    let (kind, rest) = fields
        .split_first()
        .ok_or_else(|| malformed("the encapContentInfo has no eContentType"))?;
    let kind = object_id(kind, "eContentType")?;
    let econtent = match rest {
        [] => None,
        [wrapper] if tlv::is_context(wrapper.tag, 0, true) => {
            let octets =
                tlv::single(wrapper.value).map_err(|e| malformed(format!("eContent: {e}")))?;
            expect_tag(&octets, Tag::OctetString, "the eContent")?;
            Some(octets.value)
        }
        _ => return Err(malformed("the encapContentInfo has unexpected fields")),
    };
    Ok((kind, econtent))
}

/// The certificates field: every parseable certificate, deduplicated; other entries skipped.
fn parse_certificates(field: &Tlv<'_>) -> Result<Vec<Certificate>> {
    // Read one entry beyond the limit at most, never the whole list first.
    let (entries, more) = tlv::elements_at_most(field.value, MAX_CERTIFICATES)
        .map_err(|e| malformed(format!("certificates: {e}")))?;
    if more {
        return Err(Error::LimitExceeded(format!(
            "the message carries more than {MAX_CERTIFICATES} certificates; at most \
             {MAX_CERTIFICATES} are accepted"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for entry in entries.iter().filter(|e| e.tag == Tag::Sequence) {
        // Attribute certificates and other choices ([0]..[3]) are skipped by the filter;
        // a certificate this library cannot read is skipped here.
        if let Ok(cert) = Certificate::from_der(entry.raw)
            && seen.insert(*cert.thumbprint())
        {
            out.push(cert);
        }
    }
    Ok(out)
}

fn parse_signer_info<'a>(info: &Tlv<'a>) -> Result<ParsedSigner<'a>> {
    expect_tag(info, Tag::Sequence, "a SignerInfo")?;
    let fields = elements(info.value, "SignerInfo")?;
    let mut fields = fields.into_iter().peekable();
    fn take<'a>(fields: &mut impl Iterator<Item = Tlv<'a>>, what: &str) -> Result<Tlv<'a>> {
        fields
            .next()
            .ok_or_else(|| malformed(format!("a SignerInfo has no {what}")))
    }
    let version = take(&mut fields, "version")?;
    expect_tag(&version, Tag::Integer, "the SignerInfo version")?;
    let sid = take(&mut fields, "sid")?;
    let sid = if sid.tag == Tag::Sequence {
        let parts = elements(sid.value, "issuerAndSerialNumber")?;
        let [issuer, serial] = parts.as_slice() else {
            return Err(malformed("issuerAndSerialNumber has two fields"));
        };
        expect_tag(issuer, Tag::Sequence, "the signer's issuer")?;
        expect_tag(serial, Tag::Integer, "the signer's serial number")?;
        SignerId::IssuerSerial {
            issuer: issuer.raw,
            serial: serial.value,
        }
    } else if tlv::is_context(sid.tag, 0, false) {
        SignerId::KeyId(sid.value)
    } else {
        return Err(malformed(format!("the signer identifier is a {}", sid.tag)));
    };
    let digest_alg = algorithm_id(&take(&mut fields, "digestAlgorithm")?, "digestAlgorithm")?;
    let signed_attrs = match fields.next_if(|t| tlv::is_context(t.tag, 0, true)) {
        Some(t) => Some((t, parse_attributes(&t)?)),
        None => None,
    };
    let signature_alg = algorithm_id(
        &take(&mut fields, "signatureAlgorithm")?,
        "signatureAlgorithm",
    )?;
    let signature = take(&mut fields, "signature")?;
    expect_tag(&signature, Tag::OctetString, "the signature")?;
    // unsignedAttrs (countersignatures, timestamps) are not interpreted.
    fields.next_if(|t| tlv::is_context(t.tag, 1, true));
    if fields.next().is_some() {
        return Err(malformed("unexpected fields at the end of a SignerInfo"));
    }
    Ok(ParsedSigner {
        sid,
        digest_alg,
        signed_attrs,
        signature_alg,
        signature: signature.value,
    })
}

fn parse_attributes<'a>(field: &Tlv<'a>) -> Result<Vec<Attribute<'a>>> {
    let mut out = Vec::new();
    for attr in elements(field.value, "signedAttrs")? {
        expect_tag(&attr, Tag::Sequence, "a signed attribute")?;
        let parts = elements(attr.value, "signed attribute")?;
        let [kind, values] = parts.as_slice() else {
            return Err(malformed("a signed attribute has two fields"));
        };
        expect_tag(values, Tag::Set, "the signed attribute values")?;
        out.push(Attribute {
            kind: object_id(kind, "signed attribute type")?,
            values: elements(values.value, "signed attribute values")?,
        });
    }
    if out.is_empty() {
        return Err(malformed("signedAttrs is present but empty"));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

/// Digests of the content, computed once per algorithm.
struct ContentDigests<'a> {
    content: &'a [u8],
    done: Vec<(HashAlg, Vec<u8>)>,
}

impl<'a> ContentDigests<'a> {
    fn get(&mut self, hash: HashAlg) -> Vec<u8> {
        if let Some((_, d)) = self.done.iter().find(|(h, _)| *h == hash) {
            return d.clone();
        }
        let d = digest(hash, self.content);
        self.done.push((hash, d.clone()));
        d
    }
}

/// Verifies every SignerInfo of a CMS SignedData under the default [`SignerPolicy`]: see
/// [`verify_data_with`].
pub fn verify_data(
    der: &[u8],
    detached_content: Option<&[u8]>,
    extra_certs: &[Certificate],
) -> Result<SignedContent> {
    verify_data_with(der, detached_content, extra_certs, &SignerPolicy::new())
}

/// Verifies every SignerInfo of a CMS SignedData.
///
/// `der` is a ContentInfo holding a SignedData, in DER or BER (streaming signers write
/// indefinite lengths; BER is converted to DER first). `detached_content` is the signed content
/// of a detached signature (`multipart/signed`). When the SignedData carries its content too
/// (eContent), the signature is checked against `detached_content` (what a reader of the
/// message sees), and every signer whose eContent differs from it is
/// [`SignatureStatus::ContentMismatch`]. `extra_certs` are further certificates to find signers
/// among (e.g. from the store, for messages sent without certificates).
///
/// Per signer: the signer certificate is looked up first, so that every report names the
/// signer whose certificate is at hand, whatever else is wrong. The digest algorithm must be
/// SHA-1, SHA-256, SHA-384 or SHA-512 (SHA-1 is reported in [`SignerReport::weak`], or is
/// [`Weakness::Sha1`] when `policy` refuses it; MD2, MD4 and MD5 are
/// [`Weakness::BrokenHash`]). With signed attributes, contentType must equal the
/// eContentType, messageDigest must match the content, and the signature is checked over the
/// DER of the attributes; without them (old clients), over the content. Signature algorithms:
/// rsaEncryption (PKCS#1 v1.5 with the digest algorithm), sha*WithRSAEncryption, RSASSA-PSS,
/// ecdsa-with-SHA256/384/512, Ed25519, and DSA (id-dsa with the digest algorithm,
/// dsa-with-SHA1/SHA256; a DSA key without parameters inherits them from its issuer among the
/// certificates at hand, RFC 3279 2.3.2) as far as [`verify_signature`] verifies them. An RSA
/// signer key below [`SignerPolicy::min_rsa_bits`] is [`Weakness::ShortRsaKey`]. The outcome
/// of each signer is its [`SignerReport::status`]; no trust decision is made.
///
/// Errors: no content at all for a detached signature ([`Error::InvalidArgument`]); a
/// malformed or truncated message ([`Error::Malformed`]); a message with no SignerInfo
/// ([`Error::Empty`]); another content type than signed data, or an eContentType other than
/// id-data ([`Error::Unsupported`]); more than [`MAX_SIGNERS`] SignerInfos or
/// [`MAX_CERTIFICATES`] certificates ([`Error::LimitExceeded`]).
pub fn verify_data_with(
    der: &[u8],
    detached_content: Option<&[u8]>,
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
) -> Result<SignedContent> {
    let (found, content) =
        verify_data_then(der, detached_content, extra_certs, policy, <[u8]>::to_vec)?;
    Ok(SignedContent {
        content,
        certificates: found.certificates,
        signers: found.signers,
    })
}

/// What [`verify_data_then`] found: [`SignedContent`] without the content.
pub(crate) struct SignedFound {
    /// As [`SignedContent::certificates`].
    pub certificates: Vec<Certificate>,
    /// As [`SignedContent::signers`].
    pub signers: Vec<SignerReport>,
}

/// [`verify_data_with`], handing the content the signatures were checked against to
/// `with_content` instead of copying it (the streaming message layer writes it out or keeps
/// the one buffer it is in).
pub(crate) fn verify_data_then<T>(
    der: &[u8],
    detached_content: Option<&[u8]>,
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
    with_content: impl FnOnce(&[u8]) -> T,
) -> Result<(SignedFound, T)> {
    let der = crate::ber::to_der(der, "CMS message", &crate::ber::BerLimits::default())?;
    let message = parse_message(&der)?;
    if message.econtent_type != ID_DATA {
        return Err(Error::unsupported(
            "signed content type",
            format!(
                "{}; only id-data (1.2.840.113549.1.7.1) is read",
                message.econtent_type
            ),
        ));
    }
    // The content the signatures are checked against, and whether the SignedData carries
    // another one.
    let (content, mismatch) = match (message.econtent, detached_content) {
        (Some(c), None) => (c, false),
        (None, Some(c)) => (c, false),
        (Some(inside), Some(c)) => (c, inside != c),
        (None, None) => {
            return Err(Error::InvalidArgument(
                "the signature is detached: give the signed content to verify it".into(),
            ));
        }
    };
    let mut digests = ContentDigests {
        content,
        done: Vec::new(),
    };
    let signers = message
        .signers
        .iter()
        .map(|s| {
            let mut report = evaluate(s, &message.certificates, extra_certs, &mut digests, policy);
            if mismatch {
                report.status = SignatureStatus::ContentMismatch;
            }
            report
        })
        .collect();
    let kept = with_content(content);
    Ok((
        SignedFound {
            certificates: message.certificates,
            signers,
        },
        kept,
    ))
}

/// The single attribute of `kind`: `Ok(None)` when absent, a [`SignatureFailure`] when
/// repeated or not single-valued.
fn single_attribute<'a, 'b>(
    attrs: &'b [Attribute<'a>],
    kind: SignedAttribute,
) -> std::result::Result<Option<&'b Tlv<'a>>, SignatureFailure> {
    let mut found = attrs.iter().filter(|a| a.kind == kind.oid());
    let Some(first) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(SignatureFailure::RepeatedAttribute(kind));
    }
    match first.values.as_slice() {
        [value] => Ok(Some(value)),
        _ => Err(SignatureFailure::AttributeNotSingleValued(kind)),
    }
}

fn parse_capabilities(value: &Tlv<'_>) -> Vec<SmimeCapability> {
    let mut out: Vec<SmimeCapability> = Vec::new();
    if value.tag != Tag::Sequence {
        return out;
    }
    let Ok(entries) = tlv::elements(value.value) else {
        return out;
    };
    for entry in entries.iter().filter(|e| e.tag == Tag::Sequence) {
        let id: Option<ObjectIdentifier> = tlv::elements(entry.value)
            .ok()
            .and_then(|parts| parts.first().copied())
            .and_then(|id| ObjectIdentifier::from_der(id.raw).ok());
        if let Some(id) = id {
            let cap = SmimeCapability::from_oid(&id.to_string());
            if !out.contains(&cap) {
                out.push(cap);
            }
        }
    }
    out
}

fn hash_suffix(hash: Option<HashAlg>) -> &'static str {
    match hash {
        Some(HashAlg::Sha1) => "SHA1",
        Some(HashAlg::Sha256) => "SHA256",
        Some(HashAlg::Sha384) => "SHA384",
        Some(HashAlg::Sha512) => "SHA512",
        None => "?",
    }
}

/// The signature algorithm, readable; `digest` fills in the hash for rsaEncryption and
/// id-ecPublicKey.
fn readable_algorithm(alg: &AlgorithmIdentifierOwned, digest: Option<HashAlg>) -> String {
    let rsa = |h: Option<HashAlg>| match h {
        Some(h) => format!("{}WithRSAEncryption", hash_suffix(Some(h)).to_lowercase()),
        None => "rsaEncryption".to_string(),
    };
    match alg.oid {
        oid::RSA_ENCRYPTION => rsa(digest),
        oid::SHA1_WITH_RSA => rsa(Some(HashAlg::Sha1)),
        oid::SHA256_WITH_RSA => rsa(Some(HashAlg::Sha256)),
        oid::SHA384_WITH_RSA => rsa(Some(HashAlg::Sha384)),
        oid::SHA512_WITH_RSA => rsa(Some(HashAlg::Sha512)),
        oid::RSASSA_PSS => {
            let hash = alg
                .parameters
                .as_ref()
                .and_then(|p| p.to_der().ok())
                .and_then(|p| rsa::pkcs1::RsaPssParamsOwned::from_der(&p).ok())
                .and_then(|p| hash_of(&p.hash.oid));
            match hash {
                Some(h) => format!("RSASSA-PSS with {}", hash_name(h)),
                None => "RSASSA-PSS".to_string(),
            }
        }
        oid::EC_PUBLIC_KEY => format!("ecdsa-with-{}", hash_suffix(digest)),
        ECDSA_SHA1 => "ecdsa-with-SHA1".to_string(),
        oid::ECDSA_SHA256 => "ecdsa-with-SHA256".to_string(),
        oid::ECDSA_SHA384 => "ecdsa-with-SHA384".to_string(),
        oid::ECDSA_SHA512 => "ecdsa-with-SHA512".to_string(),
        oid::ED25519 => "Ed25519".to_string(),
        ID_DSA => format!("dsa-with-{}", hash_suffix(digest)),
        DSA_WITH_SHA1 => "dsa-with-SHA1".to_string(),
        DSA_WITH_SHA224 => "dsa-with-SHA224".to_string(),
        DSA_WITH_SHA256 => "dsa-with-SHA256".to_string(),
        DSA_WITH_SHA384 => "dsa-with-SHA384".to_string(),
        DSA_WITH_SHA512 => "dsa-with-SHA512".to_string(),
        MD2_WITH_RSA => "md2WithRSAEncryption".to_string(),
        MD4_WITH_RSA => "md4WithRSAEncryption".to_string(),
        MD5_WITH_RSA => "md5WithRSAEncryption".to_string(),
        other => other.to_string(),
    }
}

/// The broken hash function an algorithm OID names (as a digest algorithm or inside a
/// signature algorithm), if any.
fn broken_hash(o: &ObjectIdentifier) -> Option<&'static str> {
    match *o {
        MD2 | MD2_WITH_RSA => Some("MD2"),
        MD4 | MD4_WITH_RSA => Some("MD4"),
        MD5 | MD5_WITH_RSA => Some("MD5"),
        _ => None,
    }
}

/// Whether a (made explicit) signature algorithm hashes with SHA-1.
fn signs_with_sha1(o: &ObjectIdentifier) -> bool {
    matches!(*o, oid::SHA1_WITH_RSA | ECDSA_SHA1 | DSA_WITH_SHA1)
}

/// The algorithm [`verify_signature`] checks: rsaEncryption and id-ecPublicKey as
/// signatureAlgorithm (written by old clients) are made explicit with the digest algorithm.
fn effective_algorithm(
    alg: &AlgorithmIdentifierOwned,
    digest: HashAlg,
) -> std::result::Result<AlgorithmIdentifierOwned, String> {
    match alg.oid {
        oid::RSA_ENCRYPTION => Ok(pkcs1v15_algorithm(digest)),
        oid::EC_PUBLIC_KEY => match digest {
            HashAlg::Sha1 => Err("ECDSA with SHA-1 is not supported".into()),
            h => crate::key::algorithm_identifier(SignatureScheme::Ecdsa(h))
                .map_err(|e| e.to_string()),
        },
        ECDSA_SHA1 => Err("ECDSA with SHA-1 is not supported".into()),
        // id-dsa as signatureAlgorithm (RFC 3370 3.1 allows it): DSA with the digest algorithm.
        ID_DSA => Ok(AlgorithmIdentifierOwned {
            oid: match digest {
                HashAlg::Sha1 => DSA_WITH_SHA1,
                HashAlg::Sha256 => DSA_WITH_SHA256,
                HashAlg::Sha384 => DSA_WITH_SHA384,
                HashAlg::Sha512 => DSA_WITH_SHA512,
            },
            parameters: None,
        }),
        _ => Ok(alg.clone()),
    }
}

/// The most issuers [`inherited_dsa_parameters`] climbs.
const MAX_PARAMETER_INHERITANCE: usize = 8;

/// For a certificate whose DSA public key has no parameters (RFC 3279 2.3.2: they are
/// inherited from the issuer), the DER of the parameters of the nearest issuer above it that
/// has them, following issuer names through `pool`. `None` when the key is not DSA, has its
/// own parameters, or no issuer in `pool` supplies them.
fn inherited_dsa_parameters(cert: &Certificate, pool: &[Certificate]) -> Option<Vec<u8>> {
    let dsa_params = |c: &Certificate| -> Option<Option<Vec<u8>>> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(c.public_key_der()).ok()?;
        if spki.algorithm.oid != ID_DSA {
            return None;
        }
        Some(
            spki.algorithm
                .parameters
                .filter(|p| !p.is_null())
                .and_then(|p| p.to_der().ok()),
        )
    };
    // Only a DSA key without parameters inherits.
    if dsa_params(cert)?.is_some() {
        return None;
    }
    let mut current = cert;
    for _ in 0..MAX_PARAMETER_INHERITANCE {
        let issuer = pool.iter().find(|c| {
            c.subject_der() == current.issuer_der() && c.thumbprint() != current.thumbprint()
        })?;
        match dsa_params(issuer)? {
            Some(params) => return Some(params),
            None => current = issuer,
        }
    }
    None
}

/// Whether `cert` is the one `sid` names.
fn identifies(sid: &SignerId<'_>, cert: &Certificate) -> bool {
    match *sid {
        SignerId::KeyId(ski) => cert.subject_key_id() == Some(ski),
        SignerId::IssuerSerial { issuer, serial } => {
            let cert_serial = cert.x509().tbs_certificate().serial_number().as_bytes();
            let serial_ok = cert_serial == serial
                || (serial.first().is_none_or(|b| b & 0x80 == 0)
                    && crate::cert::Serial::from_bytes(serial) == *cert.serial());
            serial_ok
                && (cert.issuer_der() == issuer
                    // A signer that re-encoded the name (another string type): compare the
                    // names as text.
                    || x509_cert::name::Name::from_der(issuer).is_ok_and(|n| {
                        crate::cert::name::rfc4514(&n).eq_ignore_ascii_case(cert.issuer())
                    }))
        }
    }
}

/// The certificates `sid` names: carried ones first, then the extra ones.
fn candidates(
    sid: &SignerId<'_>,
    carried: &[Certificate],
    extra: &[Certificate],
) -> Vec<Certificate> {
    let mut seen = HashSet::new();
    carried
        .iter()
        .chain(extra)
        .filter(|c| identifies(sid, c) && seen.insert(*c.thumbprint()))
        .cloned()
        .collect()
}

fn evaluate(
    signer: &ParsedSigner<'_>,
    carried: &[Certificate],
    extra: &[Certificate],
    digests: &mut ContentDigests<'_>,
    policy: &SignerPolicy,
) -> SignerReport {
    let digest = hash_of(&signer.digest_alg.oid);
    let attrs = signer.signed_attrs.as_ref().map(|(_, a)| a.as_slice());
    let signing_time = attrs
        .and_then(|a| {
            single_attribute(a, SignedAttribute::SigningTime)
                .ok()
                .flatten()
        })
        .and_then(|t| x509_cert::time::Time::from_der(t.raw).ok())
        .map(|t| t.to_system_time());
    let capabilities = attrs
        .and_then(|a| {
            single_attribute(a, SignedAttribute::SmimeCapabilities)
                .ok()
                .flatten()
        })
        .map(parse_capabilities)
        .unwrap_or_default();
    let identifier = match signer.sid {
        SignerId::IssuerSerial { issuer, serial } => super::envelope::RecipientId::IssuerSerial {
            issuer_der: issuer.to_vec(),
            serial: crate::cert::Serial::from_bytes(serial),
        },
        SignerId::KeyId(id) => super::envelope::RecipientId::SubjectKeyId(id.to_vec()),
    };
    let mut report = SignerReport {
        certificate: None,
        identifier,
        signing_time,
        digest,
        signature_algorithm: readable_algorithm(&signer.signature_alg, digest),
        status: SignatureStatus::Valid,
        weak: Vec::new(),
        capabilities,
    };
    report.status = check(signer, carried, extra, digests, policy, &mut report);
    report
}

/// Decides the status, filling in the certificate and weaknesses of `report` on the way.
fn check(
    signer: &ParsedSigner<'_>,
    carried: &[Certificate],
    extra: &[Certificate],
    digests: &mut ContentDigests<'_>,
    policy: &SignerPolicy,
    report: &mut SignerReport,
) -> SignatureStatus {
    // The signer first: a report names the signer whose certificate is at hand, whatever else
    // is wrong with the signature (nothing here depends on the content or its digest).
    let candidates = candidates(&signer.sid, carried, extra);
    report.certificate = candidates.first().cloned();
    match check_signature(signer, &candidates, carried, extra, digests, policy, report) {
        Ok(status) | Err(status) => status,
    }
}

/// The steps of [`check`], in order; the first that fails decides the status.
fn check_signature(
    signer: &ParsedSigner<'_>,
    candidates: &[Certificate],
    carried: &[Certificate],
    extra: &[Certificate],
    digests: &mut ContentDigests<'_>,
    policy: &SignerPolicy,
    report: &mut SignerReport,
) -> std::result::Result<SignatureStatus, SignatureStatus> {
    refuse_broken_hashes(signer).map_err(SignatureStatus::WeakAlgorithm)?;
    let digest = supported_digest(signer, report.digest, policy, &mut report.weak)?;
    let content_digest = digests.get(digest);
    let message = signed_message(signer, &content_digest, digests.content)?;
    if candidates.is_empty() {
        return Err(SignatureStatus::SignerCertificateNotFound);
    }
    let algorithm =
        effective_algorithm(&signer.signature_alg, digest).map_err(SignatureStatus::Unsupported)?;
    signature_hash(&algorithm, digest, policy, &mut report.weak)
        .map_err(SignatureStatus::WeakAlgorithm)?;
    // DSA keys without parameters take them from their issuer among the certificates at hand.
    let pool: Vec<Certificate> = carried.iter().chain(extra).cloned().collect();
    let (verified_by, first_error) =
        verify_by_candidates(candidates, &pool, &algorithm, &message, signer.signature);
    if verified_by.is_some() {
        report.certificate = verified_by;
    }
    let short_rsa = short_rsa_key(report.certificate.as_ref(), policy, &mut report.weak);
    Ok(verdict(first_error, short_rsa))
}

/// A broken hash function (MD2, MD4, MD5) as the digest or in the signature algorithm.
fn refuse_broken_hashes(signer: &ParsedSigner<'_>) -> std::result::Result<(), Weakness> {
    for o in [&signer.digest_alg.oid, &signer.signature_alg.oid] {
        if let Some(name) = broken_hash(o) {
            return Err(Weakness::BrokenHash { name });
        }
    }
    Ok(())
}

/// The digest algorithm, if supported: SHA-1 is [`Weakness::Sha1`] unless `policy` allows it,
/// and then noted in `weak`.
fn supported_digest(
    signer: &ParsedSigner<'_>,
    digest: Option<HashAlg>,
    policy: &SignerPolicy,
    weak: &mut Vec<Weakness>,
) -> std::result::Result<HashAlg, SignatureStatus> {
    let Some(digest) = digest else {
        return Err(SignatureStatus::Unsupported(format!(
            "digest algorithm {}; supported are SHA-1, SHA-256, SHA-384 and SHA-512",
            signer.digest_alg.oid
        )));
    };
    if digest == HashAlg::Sha1 {
        if !policy.allow_sha1 {
            return Err(SignatureStatus::WeakAlgorithm(Weakness::Sha1));
        }
        weak.push(Weakness::Sha1Digest);
    }
    Ok(digest)
}

/// The bytes the signature is over: with signed attributes, the DER of the attributes once
/// [`check_signed_attributes`] accepts them; without (old clients), the content.
fn signed_message<'c>(
    signer: &ParsedSigner<'_>,
    content_digest: &[u8],
    content: &'c [u8],
) -> std::result::Result<Cow<'c, [u8]>, SignatureStatus> {
    let Some((field, attrs)) = &signer.signed_attrs else {
        return Ok(Cow::Borrowed(content));
    };
    check_signed_attributes(attrs, content_digest)?;
    // RFC 5652 5.4: the signature covers the DER of the SET OF, not the [0] tag.
    Ok(Cow::Owned(
        std::iter::once(0x31)
            .chain(field.raw.iter().skip(1).copied())
            .collect(),
    ))
}

/// RFC 5652 5.3 and 11: contentType is there and is the eContentType (id-data), messageDigest
/// is there and matches the content ([`SignatureStatus::ContentChanged`] when not).
fn check_signed_attributes(
    attrs: &[Attribute<'_>],
    content_digest: &[u8],
) -> std::result::Result<(), SignatureStatus> {
    content_type_attribute(attrs).map_err(SignatureStatus::BadSignature)?;
    let md = message_digest_attribute(attrs).map_err(SignatureStatus::BadSignature)?;
    if md != content_digest {
        return Err(SignatureStatus::ContentChanged);
    }
    Ok(())
}

/// The contentType signed attribute: present once, single-valued, and id-data.
fn content_type_attribute(attrs: &[Attribute<'_>]) -> std::result::Result<(), SignatureFailure> {
    let ct = single_attribute(attrs, SignedAttribute::ContentType)?
        .ok_or(SignatureFailure::MissingContentType)?;
    if ObjectIdentifier::from_der(ct.raw).ok() != Some(ID_DATA) {
        return Err(SignatureFailure::ContentTypeMismatch);
    }
    Ok(())
}

/// The value of the messageDigest signed attribute: present once, single-valued, an OCTET
/// STRING.
fn message_digest_attribute<'a>(
    attrs: &[Attribute<'a>],
) -> std::result::Result<&'a [u8], SignatureFailure> {
    let md = single_attribute(attrs, SignedAttribute::MessageDigest)?
        .ok_or(SignatureFailure::MissingMessageDigest)?;
    if md.tag != Tag::OctetString {
        return Err(SignatureFailure::MessageDigestNotOctetString);
    }
    Ok(md.value)
}

/// A signature algorithm hashing with SHA-1 over a stronger digest: [`Weakness::Sha1`] unless
/// `policy` allows it, and then noted in `weak`.
fn signature_hash(
    algorithm: &AlgorithmIdentifierOwned,
    digest: HashAlg,
    policy: &SignerPolicy,
    weak: &mut Vec<Weakness>,
) -> std::result::Result<(), Weakness> {
    if signs_with_sha1(&algorithm.oid) && digest != HashAlg::Sha1 {
        if !policy.allow_sha1 {
            return Err(Weakness::Sha1);
        }
        weak.push(Weakness::Sha1SignatureHash);
    }
    Ok(())
}

/// Verifies `signature` over `message` with each candidate's key in turn: the first candidate
/// whose key verifies it, or (when none does) the first candidate's error.
fn verify_by_candidates(
    candidates: &[Certificate],
    pool: &[Certificate],
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> (Option<Certificate>, Option<Error>) {
    let mut first_error = None;
    for cert in candidates {
        let inherited = inherited_dsa_parameters(cert, pool);
        match verify_signature_with_params(
            cert.public_key_der(),
            inherited.as_deref(),
            algorithm,
            message,
            signature,
        ) {
            Ok(()) => return (Some(cert.clone()), None),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    (None, first_error)
}

/// An RSA signer key below [`MIN_RSA_BITS`](crate::key::MIN_RSA_BITS) or below the policy's minimum is noted in `weak`; below
/// the minimum it is also the [`Weakness::ShortRsaKey`] returned.
fn short_rsa_key(
    certificate: Option<&Certificate>,
    policy: &SignerPolicy,
    weak: &mut Vec<Weakness>,
) -> Option<Weakness> {
    match certificate.map(Certificate::key_algorithm) {
        Some(KeyAlgorithm::Rsa { bits })
            if bits < crate::key::MIN_RSA_BITS || bits < policy.min_rsa_bits =>
        {
            weak.push(Weakness::SmallRsaSignerKey { bits });
            (bits < policy.min_rsa_bits).then_some(Weakness::ShortRsaKey {
                bits,
                minimum: policy.min_rsa_bits,
            })
        }
        _ => None,
    }
}

/// The status once the signature was checked: `first_error` from verifying it (`None`: it
/// verifies), `short_rsa` from [`short_rsa_key`].
fn verdict(first_error: Option<Error>, short_rsa: Option<Weakness>) -> SignatureStatus {
    match (first_error, short_rsa) {
        (None, None) => SignatureStatus::Valid,
        (None, Some(w)) => SignatureStatus::WeakAlgorithm(w),
        // A key below the minimum that the check refused to use at all (RSA below 1024 bits is
        // refused as weak, or as unsupported by the RSA arithmetic): weak, in this policy's
        // terms. A signature that does not verify stays a bad signature.
        (Some(e), Some(w)) if e.kind() != ErrorKind::Crypto => SignatureStatus::WeakAlgorithm(w),
        // The signature check refused a weak algorithm (MD2, MD5) before verifying.
        (Some(e), _) if e.kind() == ErrorKind::Weak => {
            SignatureStatus::WeakAlgorithm(Weakness::Other(e.to_string()))
        }
        (Some(e), _) if e.kind() == ErrorKind::Unsupported => {
            SignatureStatus::Unsupported(e.to_string())
        }
        (Some(e), _) => SignatureStatus::BadSignature(SignatureFailure::Signature(e.to_string())),
    }
}
