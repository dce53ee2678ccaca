//! CMS EnvelopedData and AuthEnvelopedData on content bytes (RFC 5652 section 6, RFC 5083,
//! RFC 5084, RFC 5753, RFC 8017 / RFC 4055): the encryption layer under S/MIME
//! `application/pkcs7-mime; smime-type=enveloped-data` (and `authEnveloped-data`).
//!
//! - [`encrypt_data`] encrypts to a list of certificates: AES-CBC in EnvelopedData or AES-GCM in
//!   AuthEnvelopedData, RSA recipients by key transport (PKCS#1 v1.5 or RSAES-OAEP with
//!   SHA-256), EC P-256/P-384 recipients by ephemeral-static ECDH with the X9.63 KDF and AES
//!   key wrap.
//! - [`decrypt_data`] decrypts with the first recipient whose key [`RecipientKeys`] can find,
//!   DER or BER (streamed) input. Old mail in 3DES, DES or RC2 is read when
//!   [`DecryptOptions::allow_legacy_ciphers`] allows it, and reported in [`Decrypted::weak`].
//!
//! A wrong key, a tampered encrypted key, bad PKCS#1 v1.5 padding, bad CBC padding and a failed
//! GCM tag all end in the same [`Error::Crypto`] with the same message, after the same work:
//! PKCS#1 v1.5 is decrypted with implicit rejection
//! ([`Decryptor::decrypt_key_transport`](crate::key::Decryptor::decrypt_key_transport)), and
//! any key that cannot be recovered is replaced by a random one (RFC 3218), so the content
//! decryption fails the same way a wrong key would make it fail.
//!
//! ```
//! use std::sync::Arc;
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::smime::{decrypt_data, encrypt_data, ContentCipher, DecryptOptions,
//!     EncryptOptions, KeyList};
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//! ca.create(&CaSpec::new(DistinguishedName::new("Example CA")).key(KeySpec::EcP256), &SystemClock)?;
//! let alice = ca.issue(&IssueSpec::new("alice@example.com", "Alice").key(KeySpec::EcP256), &SystemClock)?;
//! let (cert, key, _, _) = alice.into_parts();
//!
//! let options = EncryptOptions::new().cipher(ContentCipher::Aes256Gcm);
//! let message = encrypt_data(b"hello", std::slice::from_ref(&cert), &options)?;
//!
//! let keys = KeyList::new().with(cert, Arc::new(key))?;
//! let decrypted = decrypt_data(&message, &keys, &DecryptOptions::new())?;
//! assert_eq!(&decrypted.content[..], b"hello");
//! assert!(decrypted.authenticated);
//! # Ok(())
//! # }
//! ```

use std::borrow::Cow;
use std::sync::Arc;

use der::Tag;
use zeroize::Zeroizing;

use crate::cert::{Certificate, KeyAlgorithm, Serial};
use crate::error::{Error, Result};
use crate::key::{Decryptor, KeyTransport, PrivateKey};
use crate::tlv::{Tlv, is_context};

use super::weakness::Weakness;

mod asn1;
mod content;
mod recipient;
#[cfg(test)]
mod tests;

use asn1::{Elements, malformed};

/// At most this many recipient infos (recipient identifiers, counting each key of a
/// KeyAgreeRecipientInfo) are read from a message.
pub const MAX_RECIPIENT_INFOS: usize = 100;

/// The one error of a decryption that fails for a secret reason.
pub(crate) const DECRYPTION_FAILED: &str =
    "the message cannot be decrypted with this key (or it was altered)";

/// The one error every secret-dependent decryption failure ends in.
fn decryption_failed() -> Error {
    Error::Crypto(DECRYPTION_FAILED.into())
}

/// The content-encryption algorithm of a new message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ContentCipher {
    /// AES-128 in CBC mode (EnvelopedData).
    Aes128Cbc,
    /// AES-256 in CBC mode (EnvelopedData): the default, read by every S/MIME client.
    #[default]
    Aes256Cbc,
    /// AES-128-GCM (AuthEnvelopedData, RFC 5083/5084): 12-byte nonce, 16-byte tag.
    Aes128Gcm,
    /// AES-256-GCM (AuthEnvelopedData, RFC 5083/5084): 12-byte nonce, 16-byte tag.
    Aes256Gcm,
}

impl ContentCipher {
    /// Whether this cipher makes an AuthEnvelopedData (S/MIME `smime-type=authEnveloped-data`)
    /// rather than an EnvelopedData (`enveloped-data`).
    pub fn is_authenticated(self) -> bool {
        matches!(self, ContentCipher::Aes128Gcm | ContentCipher::Aes256Gcm)
    }

    /// Length of the content-encryption key in bytes.
    fn key_len(self) -> usize {
        match self {
            ContentCipher::Aes128Cbc | ContentCipher::Aes128Gcm => 16,
            ContentCipher::Aes256Cbc | ContentCipher::Aes256Gcm => 32,
        }
    }
}

/// Options of [`encrypt_data`]; build with [`EncryptOptions::new`] and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncryptOptions {
    cipher: ContentCipher,
    key_transport: KeyTransport,
    cipher_chosen: bool,
}

impl Default for EncryptOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl EncryptOptions {
    /// AES-256-CBC, RSA recipients by PKCS#1 v1.5 key transport (what every client reads).
    pub fn new() -> Self {
        EncryptOptions {
            cipher: ContentCipher::Aes256Cbc,
            key_transport: KeyTransport::Pkcs1v15,
            cipher_chosen: false,
        }
    }

    /// The content-encryption algorithm (GCM makes an AuthEnvelopedData).
    pub fn cipher(mut self, cipher: ContentCipher) -> Self {
        self.cipher = cipher;
        self.cipher_chosen = true;
        self
    }

    /// How the content key is encrypted to RSA recipients: [`KeyTransport::Pkcs1v15`] (the
    /// default) or [`KeyTransport::OaepSha256`] (RSAES-OAEP with SHA-256 and MGF1-SHA-256,
    /// with explicit parameters as RFC 4055 and OpenSSL write them). EC recipients always use
    /// key agreement.
    pub fn key_transport(mut self, scheme: KeyTransport) -> Self {
        self.key_transport = scheme;
        self
    }

    /// The content-encryption algorithm chosen.
    pub fn content_cipher(&self) -> ContentCipher {
        self.cipher
    }

    /// Whether the cipher was set with [`cipher`](Self::cipher) (the store facade picks
    /// AES-GCM on its own only when it was not).
    pub fn cipher_chosen(&self) -> bool {
        self.cipher_chosen
    }

    /// The RSA key transport chosen.
    pub fn key_transport_scheme(&self) -> KeyTransport {
        self.key_transport
    }
}

/// Identifies a recipient inside a message.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecipientId {
    /// The certificate's issuer name (DER, exactly as in the message) and serial number.
    IssuerSerial {
        /// DER of the issuer `Name`.
        issuer_der: Vec<u8>,
        /// The serial number.
        serial: Serial,
    },
    /// The certificate's subjectKeyIdentifier.
    SubjectKeyId(Vec<u8>),
}

impl RecipientId {
    /// The issuer-and-serial identifier of `cert` (what [`encrypt_data`] writes).
    pub fn of_certificate(cert: &Certificate) -> Self {
        RecipientId::IssuerSerial {
            issuer_der: cert.issuer_der().to_vec(),
            serial: cert.serial().clone(),
        }
    }

    /// Whether this identifier names `cert`: same issuer name (byte for byte) and serial, or
    /// the same subjectKeyIdentifier.
    pub fn matches(&self, cert: &Certificate) -> bool {
        match self {
            RecipientId::IssuerSerial { issuer_der, serial } => {
                issuer_der.as_slice() == cert.issuer_der() && serial == cert.serial()
            }
            RecipientId::SubjectKeyId(ski) => cert.subject_key_id() == Some(ski.as_slice()),
        }
    }
}

impl std::fmt::Display for RecipientId {
    /// `issuer CN=..., serial 0A1B` or `subject key identifier 0a1b...`: how a signer or
    /// recipient whose certificate is not at hand is named.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use der::Decode;
        match self {
            RecipientId::IssuerSerial { issuer_der, serial } => {
                match x509_cert::name::Name::from_der(issuer_der) {
                    Ok(name) => write!(
                        f,
                        "issuer {}, serial {serial}",
                        crate::cert::name::rfc4514(&name)
                    ),
                    Err(_) => write!(f, "an unreadable issuer name, serial {serial}"),
                }
            }
            RecipientId::SubjectKeyId(ski) => {
                write!(f, "subject key identifier {}", hex::encode(ski))
            }
        }
    }
}

/// Finds the decryption key for a recipient (the store implements it; an HSM could).
pub trait RecipientKeys {
    /// The key of the recipient `id`, or `None` when there is none here.
    fn key_for(&self, id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>>;
}

/// A [`Decryptor`] shared through an [`Arc`].
struct SharedKey(Arc<PrivateKey>);

impl Decryptor for SharedKey {
    fn algorithm(&self) -> KeyAlgorithm {
        self.0.algorithm()
    }
    fn public_key_der(&self) -> Vec<u8> {
        self.0.public_key_der()
    }
    fn decrypt_key_transport(
        &self,
        scheme: KeyTransport,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.0
            .decrypt_key_transport(scheme, encrypted_key, expected_len)
    }
    fn ecdh(&self, peer_public_sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.0.ecdh(peer_public_sec1)
    }
}

/// A fixed list of certificates with their private keys: the simplest [`RecipientKeys`] (a
/// command-line `--recipient cert --key key`, tests).
#[derive(Default)]
pub struct KeyList {
    entries: Vec<(Certificate, Arc<PrivateKey>)>,
}

impl std::fmt::Debug for KeyList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(c, _)| c.subject()))
            .finish()
    }
}

impl KeyList {
    /// An empty list.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `cert` with its private key; [`Error::KeyMismatch`] if they do not belong together.
    pub fn with(mut self, cert: Certificate, key: Arc<PrivateKey>) -> Result<Self> {
        key.ensure_matches(&cert)?;
        self.entries.push((cert, key));
        Ok(self)
    }
}

impl RecipientKeys for KeyList {
    fn key_for(&self, id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>> {
        Ok(self
            .entries
            .iter()
            .find(|(cert, _)| id.matches(cert))
            .map(|(_, key)| Box::new(SharedKey(Arc::clone(key))) as Box<dyn Decryptor>))
    }
}

/// Options of [`decrypt_data`]; build with [`DecryptOptions::new`] and the setters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecryptOptions {
    allow_pkcs1v15: bool,
    allow_legacy_ciphers: bool,
    require_authenticated: bool,
}

impl Default for DecryptOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl DecryptOptions {
    /// PKCS#1 v1.5 key transport allowed (decrypted with implicit rejection), legacy ciphers
    /// (3DES, DES, RC2) refused, unauthenticated (CBC) content accepted.
    pub fn new() -> Self {
        DecryptOptions {
            allow_pkcs1v15: true,
            allow_legacy_ciphers: false,
            require_authenticated: false,
        }
    }

    /// Whether decrypted content must be authenticated (default false). When true,
    /// [`decrypt_data`] refuses content that is not AES-GCM (AuthEnvelopedData) with
    /// [`Error::NotPermitted`] after decrypting it, releasing nothing; the message-level
    /// operations that verify the inner signature
    /// ([`Smime::decrypt_verify_with`](crate::smime::Smime::decrypt_verify_with),
    /// [`Pki::open_message`](crate::pki::Pki::open_message)) accept CBC content when an inner
    /// signature verifies.
    pub fn require_authenticated(mut self, require: bool) -> Self {
        self.require_authenticated = require;
        self
    }

    /// Whether decrypted content must be authenticated.
    pub fn authenticated_required(&self) -> bool {
        self.require_authenticated
    }

    /// Whether legacy ciphers are decrypted.
    pub fn legacy_ciphers_allowed(&self) -> bool {
        self.allow_legacy_ciphers
    }

    /// Whether RSA PKCS#1 v1.5 key transport is accepted (default true). When false, a message
    /// whose recipient info for our key uses it is refused with [`Error::NotPermitted`] before
    /// any private-key operation.
    pub fn allow_pkcs1v15(mut self, allow: bool) -> Self {
        self.allow_pkcs1v15 = allow;
        self
    }

    /// Whether old content ciphers (3DES-CBC, DES-CBC, RC2-CBC) are decrypted (default false:
    /// refused with [`Error::NotPermitted`]; the gateway setting `allow-legacy-ciphers` turns
    /// it on for [`Pki::open_message`](crate::pki::Pki::open_message)); when allowed they are
    /// reported in [`Decrypted::weak`].
    pub fn allow_legacy_ciphers(mut self, allow: bool) -> Self {
        self.allow_legacy_ciphers = allow;
        self
    }
}

/// The result of [`decrypt_data`].
pub struct Decrypted {
    /// The decrypted content (zeroized when dropped).
    pub content: Zeroizing<Vec<u8>>,
    /// The recipient whose key decrypted it.
    pub recipient: RecipientId,
    /// The content-encryption algorithm, readable ("AES-256-GCM", "3DES-CBC").
    pub cipher: String,
    /// Whether the content was authenticated (AuthEnvelopedData with a verified tag).
    pub authenticated: bool,
    /// Weak algorithms the message used (empty for a modern message).
    pub weak: Vec<Weakness>,
}

impl std::fmt::Debug for Decrypted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Decrypted")
            .field("content_len", &self.content.len())
            .field("recipient", &self.recipient)
            .field("cipher", &self.cipher)
            .field("authenticated", &self.authenticated)
            .field("weak", &self.weak)
            .finish()
    }
}

/// A DER length header: `tag` and the length octets for `len` content bytes.
fn header(tag: u8, len: usize) -> Vec<u8> {
    let mut h = vec![tag];
    h.extend_from_slice(&asn1::length(len));
    h
}

/// Encrypts `content` to every certificate in `recipients` (exactly those) and returns a DER
/// ContentInfo.
///
/// - [`ContentCipher`] AES-CBC gives an EnvelopedData, AES-GCM an AuthEnvelopedData (12-byte
///   nonce, 16-byte tag).
/// - RSA recipients get a KeyTransRecipientInfo (issuerAndSerialNumber) with
///   [`EncryptOptions::key_transport`].
/// - EC P-256/P-384 recipients get a KeyAgreeRecipientInfo: ephemeral-static ECDH
///   (dhSinglePass-stdDH-sha256kdf-scheme on P-256, sha384kdf on P-384), the X9.63 KDF with
///   ECC-CMS-SharedInfo, AES key wrap of the content key's size, the ephemeral key as
///   originatorKey, the recipient by issuerAndSerialNumber.
/// - Any other key (Ed25519, ...) is [`Error::Unsupported`]; no recipients is
///   [`Error::InvalidArgument`].
///
/// The content key, IV and nonce come from the OS RNG; the content key is zeroized.
pub fn encrypt_data(
    content: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Vec<u8>> {
    // Room for the CBC padding, so that it goes in place without moving the plaintext.
    let mut plain = Zeroizing::new(Vec::with_capacity(content.len() + 16));
    plain.extend_from_slice(content);
    let sealed = seal(plain, recipients, options)?;
    let mut out = Vec::with_capacity(sealed.len());
    out.extend_from_slice(&sealed.head);
    out.extend_from_slice(&sealed.ciphertext);
    out.extend_from_slice(&sealed.tail);
    Ok(out)
}

/// A DER ContentInfo made by [`seal`], in three pieces so that the ciphertext is never
/// copied: the DER before the encrypted content, the encrypted content, the DER after it.
pub(crate) struct Sealed {
    /// Everything up to and including the encrypted content's header.
    pub head: Vec<u8>,
    /// The encrypted content (in the allocation that held the plaintext; not wiped when
    /// dropped, as it holds only ciphertext).
    pub ciphertext: Vec<u8>,
    /// The `mac` of an AuthEnvelopedData; empty for an EnvelopedData.
    pub tail: Vec<u8>,
}

impl Sealed {
    /// The length of the whole ContentInfo.
    pub fn len(&self) -> usize {
        self.head.len() + self.ciphertext.len() + self.tail.len()
    }
}

/// [`encrypt_data`] on a plaintext buffer it takes over and encrypts in place: the same DER
/// (see [`Sealed`]), with no second copy of the content.
pub(crate) fn seal(
    mut content: Zeroizing<Vec<u8>>,
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Sealed> {
    if recipients.is_empty() {
        return Err(Error::InvalidArgument(
            "a message needs at least one recipient certificate".into(),
        ));
    }
    // Refuse unusable recipients before any work.
    for cert in recipients {
        // RFC 4055 1.2: an id-RSASSA-PSS key is for PSS signatures only.
        if cert
            .x509()
            .tbs_certificate()
            .subject_public_key_info()
            .algorithm
            .oid
            == crate::cert::oid::RSASSA_PSS
        {
            return Err(Error::unsupported(
                "recipient key",
                format!(
                    "this certificate's key cannot receive encrypted mail ({}): an RSASSA-PSS \
                     key is for signatures only (RFC 4055 1.2)",
                    cert.subject()
                ),
            ));
        }
        match cert.key_algorithm() {
            KeyAlgorithm::Rsa { .. } | KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {}
            other => {
                return Err(Error::unsupported(
                    "recipient key",
                    format!(
                        "this certificate's key cannot receive encrypted mail ({}): a {other} \
                         key; only RSA, P-256 and P-384 keys can",
                        cert.subject()
                    ),
                ));
            }
        }
    }
    let encrypted = content::encrypt_in_place(options.cipher, &mut content)?;
    // The buffer now holds only ciphertext: taken out of its `Zeroizing`, so that nothing
    // spends time wiping it (25 MB of volatile writes cost as much as the encryption).
    let content: Vec<u8> = std::mem::take(&mut *content);
    let mut infos = Vec::with_capacity(recipients.len());
    let mut all_v0 = true;
    for cert in recipients {
        if let KeyAlgorithm::Rsa { .. } = cert.key_algorithm() {
            infos.push(recipient::key_trans(
                cert,
                &encrypted.cek,
                options.key_transport,
            )?);
        } else {
            infos.push(recipient::key_agree(cert, &encrypted.cek)?);
            all_v0 = false;
        }
    }
    let authenticated = options.cipher.is_authenticated();
    // RFC 5652 6.1: version 0 when every recipient info is version 0 (and no originatorInfo
    // or unprotectedAttrs), else 2. RFC 5083: AuthEnvelopedData is always version 0.
    let version = if authenticated || all_v0 { 0 } else { 2 };
    let recipient_infos = asn1::set_of(infos);

    let ciphertext_len = content.len();
    let content_header = header(0x80, ciphertext_len);
    let eci_head = [
        asn1::oid(&asn1::ID_DATA),
        encrypted.algorithm.clone(),
        content_header,
    ]
    .concat();
    let eci_len = eci_head.len() + ciphertext_len;
    let eci_header = header(0x30, eci_len);
    let version = asn1::small_integer(version);
    let mac = match &encrypted.tag {
        Some(tag) => asn1::octet_string(tag),
        None => Vec::new(),
    };
    let body_len = version.len() + recipient_infos.len() + eci_header.len() + eci_len + mac.len();
    let body_header = header(0x30, body_len);
    let explicit_header = header(0xA0, body_header.len() + body_len);
    let content_type = asn1::oid(if authenticated {
        &asn1::ID_AUTH_ENVELOPED_DATA
    } else {
        &asn1::ID_ENVELOPED_DATA
    });
    let ci_len = content_type.len() + explicit_header.len() + body_header.len() + body_len;
    let head = [
        header(0x30, ci_len),
        content_type,
        explicit_header,
        body_header,
        version,
        recipient_infos,
        eci_header,
        eci_head,
    ]
    .concat();
    Ok(Sealed {
        head,
        ciphertext: content,
        tail: mac,
    })
}

/// The input as DER: BER (indefinite lengths, constructed strings) is normalised first.
fn normalise(input: &[u8]) -> Result<Cow<'_, [u8]>> {
    crate::ber::to_der(input, asn1::WHAT, &crate::ber::BerLimits::default())
}

/// Decrypts a ContentInfo (DER or BER) holding an EnvelopedData or AuthEnvelopedData with the
/// first recipient info whose [`RecipientId`] has a key in `keys`.
///
/// Every check on public data comes first: structure ([`crate::ErrorKind::Parse`]), algorithms
/// ([`Error::Unsupported`]: AuthEnvelopedData only with AES-GCM, a 12-byte nonce and a tag of
/// 12 to 16 bytes matching its parameters), at most [`MAX_RECIPIENT_INFOS`] recipients
/// ([`Error::LimitExceeded`]), then options ([`Error::NotPermitted`]). No recipient with a key
/// here is [`Error::NotFound`].
///
/// Then, whatever goes wrong with the key or the ciphertext (a wrong key, a damaged encrypted
/// key, bad padding, a tag that does not verify) gives one [`Error::Crypto`] with one message.
/// No plaintext is released unless it decrypted correctly (for GCM: unless the tag verified;
/// the authenticated attributes, when present, are covered as RFC 5083 says).
pub fn decrypt_data(
    der: &[u8],
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<Decrypted> {
    decrypt_der(Cow::Borrowed(der), keys, options)
}

/// Where the encrypted content of a parsed message is: a range of the DER (a primitive
/// encoding), or the segments of a constructed one, joined.
enum CiphertextAt {
    Range(std::ops::Range<usize>),
    Joined(Vec<u8>),
}

/// The range of `part`, a subslice of `whole`, within `whole`.
pub(super) fn range_within(whole: &[u8], part: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

/// [`decrypt_data`] on a buffer it may take over: an owned DER message is decrypted in its
/// own allocation (the encrypted content moved to its front and decrypted in place, the
/// whole buffer wiped with the plaintext), so decrypting holds one copy of the message, not
/// two. BER is converted to DER first (a copy, as in [`decrypt_data`]).
pub(crate) fn decrypt_der(
    der: Cow<'_, [u8]>,
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<Decrypted> {
    let converted = match normalise(&der)? {
        Cow::Owned(v) => Some(v),
        Cow::Borrowed(_) => None,
    };
    let der = match converted {
        Some(v) => Cow::Owned(v),
        None => der,
    };
    let (kind, rid, alg, recovered, aad, mac, at) = {
        let envelope = ParsedEnvelope::parse(&der)?;
        envelope.check_options(options)?;
        let (rid, entry, key) = recipient_with_key(&envelope.recipients, keys)?;
        let alg = envelope.content.alg.clone();
        let recovered = recipient::recover(entry, key.as_ref(), alg.key_len(), options)?;
        let at = match envelope.content.ciphertext {
            Cow::Borrowed(c) => match range_within(&der, c) {
                Some(r) => CiphertextAt::Range(r),
                None => CiphertextAt::Joined(c.to_vec()),
            },
            Cow::Owned(v) => CiphertextAt::Joined(v),
        };
        (
            envelope.kind,
            rid.clone(),
            alg,
            recovered,
            envelope.content.aad,
            envelope.content.mac.map(<[u8]>::to_vec),
            at,
        )
    };
    let ciphertext = match (at, der) {
        (CiphertextAt::Joined(v), _) => v,
        (CiphertextAt::Range(r), Cow::Owned(mut v)) => {
            // In place: what follows is cut off, what precedes is shifted out.
            v.truncate(r.end);
            v.drain(..r.start);
            v
        }
        (CiphertextAt::Range(r), Cow::Borrowed(b)) => b.get(r).unwrap_or_default().to_vec(),
    };
    let (cipher, legacy) = (alg.name(), alg.legacy());
    let content = alg.decrypt(
        &recovered.cek,
        recovered.ok,
        ciphertext,
        &aad,
        mac.as_deref(),
    )?;
    let authenticated = kind.is_authenticated();
    if options.require_authenticated && !authenticated {
        // Decrypted, so a wrong key or bad padding failed above the same way as always; the
        // content is dropped (and wiped) unread.
        return Err(Error::NotPermitted(format!(
            "the content is encrypted with {cipher} without authentication, and this \
             configuration requires authenticated content (AES-GCM, or CBC with an inner \
             signature that verifies: see Pki::open_message)"
        )));
    }
    let mut weak = recovered.weak;
    weak.extend(legacy.map(Weakness::LegacyContentCipher));
    Ok(Decrypted {
        content,
        recipient: rid,
        cipher,
        authenticated,
        weak,
    })
}

/// The CMS structure an encrypted message is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EnvelopeKind {
    /// EnvelopedData (RFC 5652 section 6): CBC content, not authenticated.
    Enveloped,
    /// AuthEnvelopedData (RFC 5083): AES-GCM content, authenticated.
    AuthEnveloped,
}

impl EnvelopeKind {
    /// The kind a ContentInfo's contentType (the OID's contents octets) names; another content
    /// type is [`Error::Unsupported`].
    fn from_content_type(content_type: &[u8]) -> Result<Self> {
        if content_type == asn1::ID_ENVELOPED_DATA.as_bytes() {
            Ok(EnvelopeKind::Enveloped)
        } else if content_type == asn1::ID_AUTH_ENVELOPED_DATA.as_bytes() {
            Ok(EnvelopeKind::AuthEnveloped)
        } else if content_type == asn1::ID_SIGNED_DATA.as_bytes() {
            Err(Error::unsupported(
                "CMS content type",
                "this is a signed message (SignedData), not an encrypted one",
            ))
        } else {
            Err(Error::unsupported(
                "CMS content type",
                format!(
                    "{}; an encrypted message is EnvelopedData or AuthEnvelopedData",
                    asn1::oid_name_bytes(content_type)
                ),
            ))
        }
    }

    /// Whether the content is authenticated (AuthEnvelopedData).
    fn is_authenticated(self) -> bool {
        self == EnvelopeKind::AuthEnveloped
    }

    /// The ASN.1 type name, for error messages.
    fn name(self) -> &'static str {
        match self {
            EnvelopeKind::Enveloped => "EnvelopedData",
            EnvelopeKind::AuthEnveloped => "AuthEnvelopedData",
        }
    }
}

/// An EnvelopedData or AuthEnvelopedData as read from a message, with every check on public
/// data done (structure, algorithms, lengths, the recipient limit) and no key used yet.
struct ParsedEnvelope<'a> {
    /// EnvelopedData or AuthEnvelopedData.
    kind: EnvelopeKind,
    /// The recipient infos this library can decrypt, each key of a KeyAgreeRecipientInfo on
    /// its own (at most [`MAX_RECIPIENT_INFOS`]).
    recipients: Vec<(RecipientId, recipient::Entry<'a>)>,
    /// The encrypted content.
    content: EncryptedContent<'a>,
}

/// The encrypted content of a [`ParsedEnvelope`], with what decrypting it takes besides the key.
struct EncryptedContent<'a> {
    /// The content-encryption algorithm with its parameters.
    alg: content::ContentAlg,
    /// The encrypted content, of a length the algorithm accepts: borrowed from the message
    /// when it is one primitive OCTET STRING.
    ciphertext: Cow<'a, [u8]>,
    /// The additional authenticated data: the authAttrs of an AuthEnvelopedData as a SET OF
    /// (RFC 5083 section 2.1), empty otherwise.
    aad: Vec<u8>,
    /// The authentication tag of an AuthEnvelopedData, of the length its parameters announce.
    mac: Option<&'a [u8]>,
}

impl<'a> ParsedEnvelope<'a> {
    /// Reads a ContentInfo (DER) holding an EnvelopedData or AuthEnvelopedData:
    ///
    /// ```text
    /// EnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL, recipientInfos,
    ///     encryptedContentInfo, unprotectedAttrs [1] OPTIONAL }
    /// AuthEnvelopedData ::= SEQUENCE { version, originatorInfo [0] OPTIONAL, recipientInfos,
    ///     authEncryptedContentInfo, authAttrs [1] OPTIONAL, mac, unauthAttrs [2] OPTIONAL }
    /// ```
    fn parse(der: &'a [u8]) -> Result<Self> {
        let ci = asn1::single(der, Tag::Sequence, "ContentInfo")?;
        let mut r = Elements::new(ci.value, "ContentInfo");
        let content_type = r.expect(Tag::ObjectIdentifier, "content type")?.value;
        let wrapped = r
            .optional_context(0, true)?
            .ok_or_else(|| malformed("ContentInfo: the content is missing"))?;
        r.finish()?;
        let kind = EnvelopeKind::from_content_type(content_type)?;
        let aead = kind.is_authenticated();
        let name = kind.name();
        let body = asn1::single(wrapped.value, Tag::Sequence, name)?;
        let mut r = Elements::new(body.value, name);
        r.expect(Tag::Integer, "version")?;
        r.optional_context(0, true)?; // originatorInfo: certificates, not needed to decrypt
        let recipient_infos = r.expect(Tag::Set, "recipient infos")?;
        let eci = r.expect(Tag::Sequence, "encrypted content info")?;
        let attrs = r.optional_context(1, true)?; // unprotectedAttrs, or authAttrs (AAD)
        let mac = if aead {
            let mac = r.expect(Tag::OctetString, "mac")?.value;
            r.optional_context(2, true)?; // unauthAttrs
            Some(mac)
        } else {
            None
        };
        r.finish()?;

        let (alg, ciphertext) = parse_encrypted_content(eci, aead)?;
        alg.check_lengths(&ciphertext, mac)?;
        let aad = match attrs {
            Some(a) if aead => authenticated_attributes(a),
            _ => Vec::new(),
        };
        let recipients = parse_recipient_infos(recipient_infos, name)?;
        Ok(ParsedEnvelope {
            kind,
            recipients,
            content: EncryptedContent {
                alg,
                ciphertext,
                aad,
                mac,
            },
        })
    }

    /// What `options` refuse before any key is looked up: a legacy content cipher unless
    /// allowed ([`Error::NotPermitted`]).
    fn check_options(&self, options: &DecryptOptions) -> Result<()> {
        if let Some(cipher) = self.content.alg.legacy()
            && !options.allow_legacy_ciphers
        {
            return Err(Error::NotPermitted(format!(
                "the message is encrypted with {cipher}, a legacy cipher this configuration \
                 refuses; allow it with DecryptOptions::allow_legacy_ciphers(true)"
            )));
        }
        Ok(())
    }
}

/// The first of `recipients` that `keys` has a key for ([`Error::NotFound`] when none).
#[allow(clippy::type_complexity)]
fn recipient_with_key<'r, 'a>(
    recipients: &'r [(RecipientId, recipient::Entry<'a>)],
    keys: &dyn RecipientKeys,
) -> Result<(
    &'r RecipientId,
    &'r recipient::Entry<'a>,
    Box<dyn Decryptor>,
)> {
    for (rid, entry) in recipients {
        if let Some(key) = keys.key_for(rid)? {
            return Ok((rid, entry, key));
        }
    }
    Err(Error::NotFound(format!(
        "no private key here for any of the message's {} recipient(s)",
        recipients.len()
    )))
}

/// EncryptedContentInfo ::= SEQUENCE { contentType, contentEncryptionAlgorithm,
/// encryptedContent [0] IMPLICIT OCTET STRING OPTIONAL }: the algorithm (checked for the
/// structure, `aead` for AuthEnvelopedData) and the encrypted content, which must be there.
fn parse_encrypted_content(
    eci: Tlv<'_>,
    aead: bool,
) -> Result<(content::ContentAlg, Cow<'_, [u8]>)> {
    let mut e = Elements::new(eci.value, "EncryptedContentInfo");
    e.expect(Tag::ObjectIdentifier, "content type")?;
    let alg = asn1::algorithm_id(
        e.expect(Tag::Sequence, "content encryption algorithm")?,
        "content encryption algorithm",
    )?;
    let ciphertext = match e.next_element()? {
        Some(t) if is_context(t.tag, 0, false) || is_context(t.tag, 0, true) => {
            asn1::octets_maybe_constructed(&t, "encrypted content")?
        }
        Some(t) => {
            return Err(malformed(format!(
                "EncryptedContentInfo: unexpected {} where the encrypted content belongs",
                t.tag
            )));
        }
        None => {
            return Err(Error::unsupported(
                "encrypted content",
                "the encrypted content is detached (not in the message)",
            ));
        }
    };
    e.finish()?;
    Ok((content::ContentAlg::parse(&alg, aead)?, ciphertext))
}

/// RFC 5083 section 2.1: the authenticated attributes, DER with a SET OF tag, are the AAD.
fn authenticated_attributes(attrs: Tlv<'_>) -> Vec<u8> {
    let mut aad = attrs.raw.to_vec();
    if let Some(tag) = aad.first_mut() {
        *tag = 0x31; // [1] IMPLICIT -> SET OF
    }
    aad
}

/// The recipient infos of `structure` (an EnvelopedData or AuthEnvelopedData), read one at a
/// time: at most [`MAX_RECIPIENT_INFOS`] ([`Error::LimitExceeded`]), at least one.
fn parse_recipient_infos<'a>(
    recipient_infos: Tlv<'a>,
    structure: &str,
) -> Result<Vec<(RecipientId, recipient::Entry<'a>)>> {
    let mut entries = Vec::new();
    let mut infos = Elements::new(recipient_infos.value, "RecipientInfos");
    let mut count = 0usize;
    while let Some(el) = infos.next_element()? {
        count += 1;
        if count > MAX_RECIPIENT_INFOS {
            return Err(Error::LimitExceeded(format!(
                "the message has more than {MAX_RECIPIENT_INFOS} recipient infos; at most \
                 {MAX_RECIPIENT_INFOS} are examined"
            )));
        }
        let room = MAX_RECIPIENT_INFOS - entries.len();
        recipient::parse_recipient_info(el, &mut entries, room, MAX_RECIPIENT_INFOS)?;
    }
    if count == 0 {
        return Err(malformed(format!(
            "{structure}: there are no recipient infos"
        )));
    }
    Ok(entries)
}
