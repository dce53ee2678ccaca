//! S/MIME on whole messages: the MIME layer (canonical form, outer headers kept, the
//! `multipart/signed` and `application/pkcs7-mime` forms) over CMS.

use std::borrow::Cow;
use std::io::{Read, Write};
use std::ops::Range;
use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

use super::envelope::{
    ContentCipher, DecryptOptions, Decrypted, EncryptOptions, RecipientId, RecipientKeys,
    decrypt_der, range_within, seal,
};
use super::mime::{
    self, CmsKind, EntityType, cms_kind, decoded_body, entity_type, is_multipart_signed,
    is_pkcs7_mime, join, micalg, multipart_parts, split_message, stream,
};
use super::signed::{
    SignOptions, SignedContent, SignedFound, SignerPolicy, SignerReport, SmimeCapability,
    sign_data, sign_data_pieces, verify_data_then, verify_data_with,
};
use super::weakness::Weakness;
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::key::{Decryptor, Signer};
use crate::settings::{SettingKey, global_flag};
use crate::store::{ReadTransaction, Store, StoreExt};
use crate::trust::{LeafPolicy, RevocationMode, Validation, ValidationOptions, Validator};

/// How a message is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignatureForm {
    /// `multipart/signed` with an `application/pkcs7-signature` part: readable by clients
    /// without S/MIME (the default).
    #[default]
    Detached,
    /// `application/pkcs7-mime; smime-type=signed-data`: the content inside the CMS.
    Opaque,
}

/// Signs `message` (an RFC 5322 message or a bare MIME entity): its outer header fields
/// (From, To, Subject, ...) stay outside; the MIME entity is canonicalised (CRLF line ends,
/// 8-bit parts re-encoded as base64) and signed in the given form.
///
/// The same as [`sign_message_to`] writing to a `Vec`.
pub fn sign_message(
    message: &[u8],
    signer: &Certificate,
    chain: &[Certificate],
    key: &dyn Signer,
    form: SignatureForm,
    options: &SignOptions,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 16 + 8 * 1024);
    sign_message_to(message, &mut out, signer, chain, key, form, options)?;
    Ok(out)
}

/// [`sign_message`] from a reader to a writer; returns the number of bytes written.
///
/// The message is read once, in chunks, and held once (in canonical form: the bytes that are
/// hashed); the signed message is written out piece by piece, never assembled: for the opaque
/// form, the SignedData's DER before the content, the content from that one buffer, then the
/// rest of the DER. Memory: about one copy of the message in either form (for a moment two
/// when a part has to be re-encoded as base64: the entity is dropped once its canonical form
/// is made). Nothing is written before the signature is made, so an error leaves `output`
/// untouched (a failed write aside).
///
/// Errors: those of [`sign_message`]; [`Error::Io`] when reading or writing fails;
/// [`Error::LimitExceeded`] for a message over the limits of the in-memory form.
pub fn sign_message_to(
    input: impl Read,
    mut output: impl Write,
    signer: &Certificate,
    chain: &[Certificate],
    key: &dyn Signer,
    form: SignatureForm,
    options: &SignOptions,
) -> Result<u64> {
    let mut input = stream::Input::new(input);
    let (head, pending) = input.read_head()?;
    let mut entity = head.entity_head;
    input.read_body(&pending, !head.binary, &mut entity)?;
    let mut out = stream::Counting {
        inner: &mut output,
        count: 0,
    };
    // The canonical form: the entity itself when it already is (no copy); otherwise the
    // copy made, and the entity dropped.
    let changed = match mime::canonicalize(&entity)? {
        Cow::Owned(c) => Some(c),
        Cow::Borrowed(_) => None,
    };
    let canonical = changed.unwrap_or(entity);
    match form {
        SignatureForm::Detached => {
            let der = sign_data(&canonical, signer, chain, key, true, options)?;
            let b = mime::boundary()?;
            let micalg = micalg(options.digest_for(&key.algorithm()));
            write_outer(&mut out, &head.outer)
                .and_then(|()| mime::write_multipart_signed(&mut out, &b, &canonical, &der, micalg))
                .map_err(stream::write_failed)?;
        }
        SignatureForm::Opaque => {
            // The SignedData is written around the content as it stands: its DER before the
            // content (its lengths known once the content is read), the content, then the
            // certificates and SignerInfos; base64 made as it goes.
            let (der_head, der_tail) =
                sign_data_pieces(&canonical, signer, chain, key, false, options)?;
            write_outer(&mut out, &head.outer)
                .and_then(|()| {
                    mime::write_pkcs7_mime(
                        &mut out,
                        &[&der_head, &canonical, &der_tail],
                        "signed-data",
                    )
                })
                .map_err(stream::write_failed)?;
        }
    }
    out.flush().map_err(stream::write_failed)?;
    Ok(out.count)
}

/// The outer header fields and `MIME-Version: 1.0` (the start of [`mime::join`]).
fn write_outer(out: &mut dyn Write, outer: &[u8]) -> std::io::Result<()> {
    out.write_all(outer)?;
    out.write_all(MIME_VERSION)
}

/// A verified signed message (signatures checked; no trust decision). Its `Debug` shows
/// lengths, not the message. It holds the content three times: for a large message,
/// [`verify_message_to`] writes it out instead.
#[derive(Clone)]
pub struct VerifiedMessage {
    /// The signed entity exactly as it was signed.
    pub inner: Vec<u8>,
    /// The outer header fields with the signed entity: the message as it reads unsigned.
    pub message: Vec<u8>,
    /// The form it was signed in.
    pub form: SignatureForm,
    /// What CMS verification found: each signer, the certificates carried.
    pub signed: SignedContent,
}

impl std::fmt::Debug for VerifiedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedMessage")
            .field("inner_len", &self.inner.len())
            .field("message_len", &self.message.len())
            .field("form", &self.form)
            .field("signed", &self.signed)
            .finish()
    }
}

/// An entity that carries CMS as its body: `application/pkcs7-mime` (or `x-pkcs7-mime`), or
/// `application/octet-stream` named `*.p7m` / `*.p7c` (RFC 8551 3.2.2). The body decoded, and
/// what its ContentInfo holds. The `smime-type` parameter is not consulted: the CMS content
/// type decides (clients get it wrong or leave it out).
fn cms_body(entity: &[u8], t: &EntityType) -> Result<Option<(Vec<u8>, CmsKind)>> {
    if !is_pkcs7_mime(t) && !t.is_named_smime(&["p7m", "p7c"]) {
        return Ok(None);
    }
    let der = decoded_body(entity)?;
    let kind = cms_kind(&der);
    Ok(Some((der, kind)))
}

/// Whether an entity is a signed S/MIME entity (either form), judged by its CMS content.
fn is_signed_entity(entity: &[u8]) -> bool {
    let Ok(t) = entity_type(entity) else {
        return false;
    };
    if is_multipart_signed(&t) {
        return true;
    }
    matches!(cms_body(entity, &t), Ok(Some((_, CmsKind::Signed))))
}

/// [`verify_message_with`] on a message read from `input` (read once, at most the message
/// size limit of the in-memory form).
///
/// The message is read into one buffer (the signed entity, line ends made CRLF as it is read,
/// for `multipart/signed`; the CMS, its base64 decoded as it is read, for the opaque form) and
/// verified there; the [`VerifiedMessage`] is then made from that buffer. The result holds the
/// signed content three times ([`VerifiedMessage::message`], [`VerifiedMessage::inner`] and
/// the content of [`VerifiedMessage::signed`]): for a large message, [`verify_message_to`]
/// holds about one copy.
///
/// Errors: those of [`verify_message_with`]; [`Error::Io`] when reading fails.
pub fn verify_message_from(
    input: impl Read,
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
) -> Result<VerifiedMessage> {
    let read = read_and_verify(input, extra_certs, policy)?;
    let form = read.form;
    let ReadSigned {
        outer,
        mut buf,
        inner,
        found,
        ..
    } = read;
    // The message (outer fields, MIME-Version, the signed entity) made in the buffer itself.
    let prefix_len = outer.len() + MIME_VERSION.len();
    let inner_len = inner.len();
    if let Some(start) = inner.start.checked_sub(prefix_len) {
        buf.truncate(inner.end);
        buf.drain(..start);
        if let Some(prefix) = buf.get_mut(..prefix_len) {
            let (o, m) = prefix.split_at_mut(outer.len());
            o.copy_from_slice(&outer);
            m.copy_from_slice(MIME_VERSION);
        }
    } else {
        buf.truncate(inner.end);
        buf.drain(..inner.start);
        buf.splice(0..0, outer.iter().chain(MIME_VERSION).copied());
    }
    buf.shrink_to_fit();
    let content = buf.get(prefix_len..).unwrap_or_default().to_vec();
    debug_assert_eq!(content.len(), inner_len);
    Ok(VerifiedMessage {
        inner: content.clone(),
        message: buf,
        form,
        signed: SignedContent {
            content,
            certificates: found.certificates,
            signers: found.signers,
        },
    })
}

/// What [`verify_message_to`] found besides the message it wrote: [`VerifiedMessage`] without
/// the message.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedInfo {
    /// The length of the signed entity ([`VerifiedMessage::inner`]).
    pub inner_len: usize,
    /// The number of bytes written: the outer header fields with the signed entity.
    pub written: u64,
    /// The form it was signed in.
    pub form: SignatureForm,
    /// Every parseable certificate the message carries (as [`SignedContent::certificates`]).
    pub certificates: Vec<Certificate>,
    /// One report per `SignerInfo`, in message order (as [`SignedContent::signers`]).
    pub signers: Vec<SignerReport>,
}

impl VerifiedInfo {
    /// Whether there is at least one signer and every signature is valid (as
    /// [`SignedContent::all_signatures_valid`]; no trust decision).
    pub fn all_signatures_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(|s| s.status.is_valid())
    }
}

/// [`verify_message_with`] from a reader to a writer: the message as it reads unsigned (the
/// outer header fields with the signed entity, [`VerifiedMessage::message`]) is written to
/// `output`, and the signers' reports are returned.
///
/// **The content is written whatever the verdict**: a signature that does not verify is not
/// an error but a signer's [`SignatureStatus`](super::SignatureStatus), so the caller must look at
/// [`VerifiedInfo::signers`] (e.g. [`VerifiedInfo::all_signatures_valid`]) before trusting
/// what was written. On an error (a message that is not signed or does not parse, a failed
/// read) nothing has been written (a failed write aside): the content is written only after
/// every signature has been checked.
///
/// Memory: about one copy of the message. For `multipart/signed` the signed part is held
/// once, in canonical form, and hashed when the signature part (which follows it) has told
/// which digest algorithms to use; for the opaque form, the CMS is held once (its base64
/// decoded as it is read) and the content written from inside it. BER input (indefinite
/// lengths, as streaming signers write it) is converted to DER first, which holds a second
/// copy for a moment.
///
/// Errors: those of [`verify_message_with`]; [`Error::Io`] when reading or writing fails;
/// [`Error::LimitExceeded`] for a message over the limits of the in-memory form.
///
/// ```
/// use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
/// use hermes_pki::key::KeySpec;
/// use hermes_pki::smime::{
///     SignOptions, SignatureForm, SignerPolicy, sign_message_to, verify_message_to,
/// };
/// use hermes_pki::store::MemoryStore;
/// use hermes_pki::time::SystemClock;
///
/// # fn main() -> hermes_pki::Result<()> {
/// let store = MemoryStore::new();
/// let ca = CertificateAuthority::new(&store);
/// ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
/// let alice = ca.issue(&IssueSpec::new("alice@example.com", "Alice").key(KeySpec::EcP256), &SystemClock)?;
///
/// let mail: &[u8] = b"From: alice@example.com\r\nSubject: hi\r\n\r\nHello Bob\r\n";
/// let mut signed = Vec::new();
/// let options = SignOptions::new(std::time::SystemTime::now());
/// sign_message_to(mail, &mut signed, alice.certificate(), &[], alice.key(),
///     SignatureForm::Opaque, &options)?;
///
/// let mut shown = Vec::new();
/// let info = verify_message_to(&signed[..], &mut shown, &[], &SignerPolicy::new())?;
/// // Written whatever the verdict: look at it before trusting what was written.
/// assert!(info.all_signatures_valid());
/// assert!(shown.ends_with(b"Hello Bob\r\n"));
/// # Ok(())
/// # }
/// ```
pub fn verify_message_to(
    input: impl Read,
    mut output: impl Write,
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
) -> Result<VerifiedInfo> {
    let read = read_and_verify(input, extra_certs, policy)?;
    let inner = read.buf.get(read.inner.clone()).unwrap_or_default();
    let mut out = stream::Counting {
        inner: &mut output,
        count: 0,
    };
    write_outer(&mut out, &read.outer)
        .and_then(|()| out.write_all(inner))
        .and_then(|()| out.flush())
        .map_err(stream::write_failed)?;
    Ok(VerifiedInfo {
        inner_len: inner.len(),
        written: out.count,
        form: read.form,
        certificates: read.found.certificates,
        signers: read.found.signers,
    })
}

/// The field [`write_outer`] adds after the outer fields.
const MIME_VERSION: &[u8] = b"MIME-Version: 1.0\r\n";

/// A signed message read and verified: the outer header fields, the one buffer the message
/// was read into, where the signed entity lies in it, and what verification found.
struct ReadSigned {
    outer: Vec<u8>,
    buf: Vec<u8>,
    inner: Range<usize>,
    form: SignatureForm,
    found: SignedFound,
}

/// Reads a signed message from `input` and verifies it, as [`verify_message_with`] does on
/// the same bytes (the same checks in the same order, so the same verdicts and errors).
fn read_and_verify(
    input: impl Read,
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
) -> Result<ReadSigned> {
    let mut input = stream::Input::new(input);
    let (head, pending) = input.read_head()?;
    let t = entity_type(&head.entity_head)?;
    if is_multipart_signed(&t) {
        // The entity as split_message makes it: its header, the body in CRLF form unless
        // binary. The signed part is hashed in place once the signature part, after it,
        // names the digest algorithms.
        let mut entity = head.entity_head;
        input.read_body(&pending, !head.binary, &mut entity)?;
        let boundary = t.boundary.as_deref().ok_or_else(|| {
            Error::malformed("S/MIME message", "multipart/signed without a boundary")
        })?;
        let (found, inner) = {
            let parts = multipart_parts(&entity, boundary)?;
            let [content, signature] = parts.as_slice() else {
                return Err(Error::malformed(
                    "S/MIME message",
                    format!("multipart/signed has {} parts instead of 2", parts.len()),
                ));
            };
            let sig_type = entity_type(signature)?;
            if !sig_type.mime_type.ends_with("pkcs7-signature")
                && !sig_type.is_named_smime(&["p7s", "p7m"])
            {
                return Err(Error::malformed(
                    "S/MIME message",
                    format!(
                        "the signature part is {} (expected application/pkcs7-signature)",
                        sig_type.mime_type
                    ),
                ));
            }
            let der = decoded_body(signature)?;
            let inner = range_within(&entity, content).ok_or_else(|| {
                Error::malformed("S/MIME message", "the signed part lies outside the entity")
            })?;
            let (found, ()) = verify_data_then(&der, Some(content), extra_certs, policy, |_| ())?;
            (found, inner)
        };
        return Ok(ReadSigned {
            outer: head.outer,
            buf: entity,
            inner,
            form: SignatureForm::Detached,
            found,
        });
    }
    if !is_pkcs7_mime(&t) && !t.is_named_smime(&["p7m", "p7c"]) {
        // Read to the end as the in-memory form does (a message over the limit says so).
        input.skip_rest()?;
        return Err(Error::malformed(
            "S/MIME message",
            format!("it is not signed (its type is {})", t.mime_type),
        ));
    }
    let body = read_cms_body(&mut input, &head, &pending, &t)?;
    if matches!(cms_kind(&body), CmsKind::Enveloped | CmsKind::AuthEnveloped) {
        return Err(Error::malformed(
            "S/MIME message",
            format!(
                "it is not signed (its type is {}, and it is encrypted: decrypt it first)",
                t.mime_type
            ),
        ));
    }
    // BER (indefinite lengths) made DER once, here, and the BER dropped: the content is then
    // verified and kept inside the one DER buffer. (The CMS layer converts with the same
    // limits, so the errors are the ones it gives.)
    let converted =
        match crate::ber::to_der(&body, "CMS message", &crate::ber::BerLimits::default())? {
            Cow::Owned(der) => Some(der),
            Cow::Borrowed(_) => None,
        };
    let der = converted.unwrap_or(body);
    let (found, located) = verify_data_then(&der, None, extra_certs, policy, |c| {
        range_within(&der, c).ok_or_else(|| c.to_vec())
    })?;
    let (buf, inner) = match located {
        Ok(inner) => (der, inner),
        Err(copy) => {
            let n = copy.len();
            (copy, 0..n)
        }
    };
    Ok(ReadSigned {
        outer: head.outer,
        buf,
        inner,
        form: SignatureForm::Opaque,
        found,
    })
}

/// Reads the rest of an `application/pkcs7-mime` (or `*.p7m`) body after `pending`: base64
/// decoded as it is read, the DER itself for 7bit/8bit/binary (line ends made CRLF unless
/// binary, as the in-memory layer reads it), another transfer encoding read whole and decoded
/// as [`decoded_body`] does.
fn read_cms_body<R: Read>(
    input: &mut stream::Input<R>,
    head: &mime::HeadBlock,
    pending: &[u8],
    t: &EntityType,
) -> Result<Vec<u8>> {
    let mut der = Vec::new();
    match t.encoding.as_deref() {
        Some("base64") => input.read_base64(pending, &mut der)?,
        None | Some("7bit" | "8bit" | "binary") => {
            input.read_body(pending, !head.binary, &mut der)?;
        }
        Some(_) => {
            let mut entity = head.entity_head.clone();
            input.read_body(pending, !head.binary, &mut entity)?;
            der = decoded_body(&entity)?;
        }
    }
    Ok(der)
}

/// Verifies a signed message of either form. `extra_certs` are searched for signer
/// certificates that the message does not carry.
///
/// Recognised: `multipart/signed` (its signature part `application/pkcs7-signature`, or
/// `application/octet-stream` named `*.p7s`), and an entity whose body is a CMS SignedData:
/// `application/pkcs7-mime`, or `application/octet-stream` named `*.p7m` (RFC 8551 3.2.2, as
/// KMail and older Outlook send it). The CMS content type decides, not the `smime-type`
/// parameter. A `multipart/signed` whose SignedData also carries the content is verified
/// against the MIME part (see [`verify_data_with`]).
///
/// Errors: [`Error::Malformed`] when the message is not a signed S/MIME message or its parts
/// do not parse. A signature that does not verify is not an error: it is the signer's status.
pub fn verify_message(message: &[u8], extra_certs: &[Certificate]) -> Result<VerifiedMessage> {
    verify_message_with(message, extra_certs, &SignerPolicy::new())
}

/// [`verify_message`] with a [`SignerPolicy`] other than the default.
///
/// The same as [`verify_message_from`] reading the slice.
pub fn verify_message_with(
    message: &[u8],
    extra_certs: &[Certificate],
    policy: &SignerPolicy,
) -> Result<VerifiedMessage> {
    verify_message_from(message, extra_certs, policy)
}

/// Encrypts `message` to exactly `recipients`: the outer header fields stay, the MIME entity
/// (in CRLF form) is encrypted into `application/pkcs7-mime; smime-type=enveloped-data`
/// (`authEnveloped-data` for AES-GCM, RFC 8551 3.4).
///
/// The same as [`encrypt_message_to`] writing to a `Vec`.
pub fn encrypt_message(
    message: &[u8],
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(message.len() / 3 * 4 + message.len() / 28 + 8 * 1024);
    encrypt_message_to(message, &mut out, recipients, options)?;
    Ok(out)
}

/// [`encrypt_message`] from a reader to a writer; returns the number of bytes written.
///
/// The message is read once, in chunks, into one buffer that is then encrypted in place
/// (AES-CBC or AES-GCM); the DER (with definite lengths, as
/// [`encrypt_data`](super::encrypt_data) writes it) and its base64 are written out as they
/// are produced. Memory: about one copy of the message. Nothing is written before the content
/// is encrypted, so an error leaves `output` untouched (a failed write aside). The plaintext
/// buffer is wiped when dropped.
///
/// Errors: those of [`encrypt_message`]; [`Error::Io`] when reading or writing fails;
/// [`Error::LimitExceeded`] for a message over the limits of the in-memory form.
///
/// ```
/// use std::sync::Arc;
/// use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
/// use hermes_pki::key::KeySpec;
/// use hermes_pki::smime::{
///     DecryptOptions, EncryptOptions, KeyList, decrypt_message_to, encrypt_message_to,
/// };
/// use hermes_pki::store::MemoryStore;
/// use hermes_pki::time::SystemClock;
///
/// # fn main() -> hermes_pki::Result<()> {
/// let store = MemoryStore::new();
/// let ca = CertificateAuthority::new(&store);
/// ca.create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
/// let bob = ca.issue(&IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256), &SystemClock)?;
/// let (cert, key, _, _) = bob.into_parts();
///
/// // Any reader in (a file, a socket, stdin), any writer out: the message is read once and
/// // never held more than once.
/// let mail: &[u8] = b"From: alice@example.com\r\nTo: bob@example.com\r\n\r\nHello Bob\r\n";
/// let mut sealed = Vec::new();
/// encrypt_message_to(mail, &mut sealed, &[cert.clone()], &EncryptOptions::new())?;
///
/// let keys = KeyList::new().with(cert, Arc::new(key))?;
/// let mut opened = Vec::new();
/// let info = decrypt_message_to(&sealed[..], &mut opened, &keys, &DecryptOptions::new())?;
/// assert!(opened.ends_with(b"Hello Bob\r\n"));
/// assert_eq!(info.cipher, "AES-256-CBC");
/// # Ok(())
/// # }
/// ```
pub fn encrypt_message_to(
    input: impl Read,
    mut output: impl Write,
    recipients: &[Certificate],
    options: &EncryptOptions,
) -> Result<u64> {
    if recipients.is_empty() {
        return Err(Error::InvalidArgument(
            "encrypting needs at least one recipient certificate".into(),
        ));
    }
    let mut input = stream::Input::new(input);
    let (head, pending) = input.read_head()?;
    let mut entity = Zeroizing::new(head.entity_head);
    input.read_body(&pending, !head.binary, &mut entity)?;
    // The spare room of the growth is given back (the buffer is wiped over its capacity),
    // but for the CBC padding, which goes in place.
    let room = entity.len() + 16;
    entity.shrink_to(room);
    let sealed = seal(entity, recipients, options)?;
    let smime_type = if options.content_cipher().is_authenticated() {
        "authEnveloped-data"
    } else {
        "enveloped-data"
    };
    let mut out = stream::Counting {
        inner: &mut output,
        count: 0,
    };
    write_outer(&mut out, &head.outer)
        .and_then(|()| {
            mime::write_pkcs7_mime(
                &mut out,
                &[&sealed.head, &sealed.ciphertext, &sealed.tail],
                smime_type,
            )
        })
        .and_then(|()| out.flush())
        .map_err(stream::write_failed)?;
    Ok(out.count)
}

/// A decrypted message.
pub struct DecryptedMessage {
    /// The decrypted entity (wiped when dropped).
    pub inner: Zeroizing<Vec<u8>>,
    /// The outer header fields with the decrypted entity (wiped when dropped).
    pub message: Zeroizing<Vec<u8>>,
    /// Which recipient's key opened it.
    pub recipient: RecipientId,
    /// The content cipher, readable.
    pub cipher: String,
    /// Whether the content was authenticated (AuthEnvelopedData).
    pub authenticated: bool,
    /// Weak algorithms met (read, but reported).
    pub weak: Vec<Weakness>,
}

impl std::fmt::Debug for DecryptedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecryptedMessage")
            .field("inner_len", &self.inner.len())
            .field("message_len", &self.message.len())
            .field("recipient", &self.recipient)
            .field("cipher", &self.cipher)
            .field("authenticated", &self.authenticated)
            .field("weak", &self.weak)
            .finish()
    }
}

/// Decrypts an encrypted message with the key `keys` has for one of its recipients.
pub fn decrypt_message(
    message: &[u8],
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<DecryptedMessage> {
    let (outer, decrypted) = decrypt_entity(message, keys, options)?;
    let Decrypted {
        content,
        recipient,
        cipher,
        authenticated,
        weak,
    } = decrypted;
    // The entity as it was encrypted (a binary entity keeps its bytes).
    let message = Zeroizing::new(join(&outer, &content));
    Ok(DecryptedMessage {
        inner: content,
        message,
        recipient,
        cipher,
        authenticated,
        weak,
    })
}

/// What [`decrypt_message_to`] found besides the message it wrote.
#[derive(Debug, Clone)]
pub struct DecryptedInfo {
    /// The length of the decrypted entity.
    pub inner_len: usize,
    /// The number of bytes written: the outer header fields with the decrypted entity.
    pub written: u64,
    /// Which recipient's key opened it.
    pub recipient: RecipientId,
    /// The content cipher, readable.
    pub cipher: String,
    /// Whether the content was authenticated (AuthEnvelopedData).
    pub authenticated: bool,
    /// Weak algorithms met (read, but reported).
    pub weak: Vec<Weakness>,
}

/// [`decrypt_message`] from a reader to a writer: the decrypted message (the outer header
/// fields with the decrypted entity, [`DecryptedMessage::message`]) is written to `output`.
///
/// The message is read once, in chunks, its base64 decoded as it arrives into one buffer
/// holding the DER, and the encrypted content is decrypted in place in that buffer, so memory
/// is about one copy of the message. The plaintext is written only once it decrypted correctly
/// (the padding checked, for GCM the tag verified): on an error nothing has been written (a
/// failed write aside). The buffer is wiped when dropped.
///
/// Errors: those of [`decrypt_message`]; [`Error::Io`] when reading or writing fails.
pub fn decrypt_message_to(
    input: impl Read,
    mut output: impl Write,
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<DecryptedInfo> {
    let (outer, d) = decrypt_entity(input, keys, options)?;
    let mut out = stream::Counting {
        inner: &mut output,
        count: 0,
    };
    write_outer(&mut out, &outer)
        .and_then(|()| out.write_all(&d.content))
        .and_then(|()| out.flush())
        .map_err(stream::write_failed)?;
    Ok(DecryptedInfo {
        inner_len: d.content.len(),
        written: out.count,
        recipient: d.recipient,
        cipher: d.cipher,
        authenticated: d.authenticated,
        weak: d.weak,
    })
}

/// Reads an encrypted message and decrypts its entity: (the outer header fields, what the
/// CMS layer decrypted).
fn decrypt_entity(
    input: impl Read,
    keys: &dyn RecipientKeys,
    options: &DecryptOptions,
) -> Result<(Vec<u8>, Decrypted)> {
    let mut input = stream::Input::new(input);
    let (head, pending) = input.read_head()?;
    let t = entity_type(&head.entity_head)?;
    if !is_pkcs7_mime(&t) && !t.is_named_smime(&["p7m", "p7c"]) {
        return Err(Error::malformed(
            "S/MIME message",
            format!("it is not encrypted (its type is {})", t.mime_type),
        ));
    }
    // The body decoded as it is read (base64, or the DER itself); another transfer encoding
    // is read whole and decoded as the in-memory layer does.
    let mut der = read_cms_body(&mut input, &head, &pending, &t)?;
    // The CMS content type decides, not the smime-type parameter; what is not CMS at all is
    // left to the CMS layer to describe.
    if cms_kind(&der) == CmsKind::Signed {
        return Err(Error::malformed(
            "S/MIME message",
            format!(
                "it is not encrypted (its type is {}, and it holds signed data)",
                t.mime_type
            ),
        ));
    }
    // The spare room of the growth is given back: the buffer is wiped over its capacity.
    der.shrink_to_fit();
    let decrypted = decrypt_der(Cow::Owned(der), keys, options)?;
    Ok((head.outer, decrypted))
}

/// The keys of a store's certificates, found by issuer and serial or subject key identifier.
pub struct StoreKeys<'t> {
    tx: &'t dyn ReadTransaction,
}

impl<'t> StoreKeys<'t> {
    /// The keys in the store `tx` reads.
    pub fn new(tx: &'t dyn ReadTransaction) -> Self {
        StoreKeys { tx }
    }
}

impl RecipientKeys for StoreKeys<'_> {
    fn key_for(&self, id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>> {
        let certs = match id {
            // Every certificate of that issuer and serial: a look-alike (sent by a stranger,
            // self-introduced) must not hide the one whose key is here.
            RecipientId::IssuerSerial { issuer_der, serial } => {
                self.tx.certificates_by_issuer_serial(issuer_der, serial)?
            }
            RecipientId::SubjectKeyId(ski) => self.tx.certificates_by_subject_key_id(ski)?,
        };
        for c in certs {
            if let Some(k) = self.tx.key_for_certificate(c.thumbprint())? {
                return Ok(Some(Box::new(k)));
            }
        }
        Ok(None)
    }
}

/// A signer of a verified message with the trust engine's verdict on its certificate.
#[derive(Debug, Clone)]
pub struct SignerVerdict {
    /// The signer certificate, when the message, the certificates given or the store have it.
    pub certificate: Option<Certificate>,
    /// Whether the signature itself verified.
    pub signature_valid: bool,
    /// The trust engine's result for the S/MIME signing policy at the validation time;
    /// `None` when there is no certificate to validate.
    pub validation: Option<Validation>,
}

impl SignerVerdict {
    /// Signature valid and certificate valid.
    pub fn is_valid(&self) -> bool {
        self.signature_valid && self.validation.as_ref().is_some_and(Validation::is_valid)
    }
}

/// A verified message with a trust verdict per signer.
#[derive(Debug, Clone)]
pub struct Verification {
    /// What was verified.
    pub message: VerifiedMessage,
    /// One verdict per SignerInfo, in order.
    pub signers: Vec<SignerVerdict>,
}

impl Verification {
    /// At least one signer, and every signer valid.
    pub fn is_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerVerdict::is_valid)
    }
}

/// A verified CMS SignedData (no MIME layer) with a trust verdict per signer: what
/// [`Smime::verify_cms`] returns.
#[derive(Debug, Clone)]
pub struct CmsVerification {
    /// What CMS verification found: the content, each signer's report, the certificates.
    pub signed: SignedContent,
    /// One verdict per SignerInfo, in the order of [`SignedContent::signers`].
    pub signers: Vec<SignerVerdict>,
}

impl CmsVerification {
    /// At least one signer, and every signer valid.
    pub fn is_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerVerdict::is_valid)
    }
}

/// How [`Smime::verify_with`] and [`Smime::verify_cms`] verify: the validation time, extra
/// certificates, the revocation mode and the [`SignerPolicy`]. Build with
/// [`VerifyOptions::new`] and the setters.
///
/// ```
/// use hermes_pki::smime::VerifyOptions;
/// use hermes_pki::trust::RevocationMode;
///
/// let options = VerifyOptions::new(std::time::SystemTime::now())
///     .certificates(Vec::new())
///     .revocation(RevocationMode::Required);
/// assert_eq!(options.revocation_mode(), Some(RevocationMode::Required));
/// ```
#[derive(Debug, Clone)]
pub struct VerifyOptions {
    at: SystemTime,
    certificates: Vec<Certificate>,
    revocation: Option<RevocationMode>,
    policy: SignerPolicy,
    strict: bool,
}

impl VerifyOptions {
    /// Validation at `at`, no extra certificates, the store's revocation setting, the default
    /// [`SignerPolicy`].
    pub fn new(at: SystemTime) -> Self {
        VerifyOptions {
            at,
            certificates: Vec::new(),
            revocation: None,
            policy: SignerPolicy::new(),
            strict: false,
        }
    }

    /// Further certificates (e.g. a correspondent's chain from a file): searched for signer
    /// certificates the message does not carry, and offered to chain building.
    pub fn certificates(mut self, certificates: Vec<Certificate>) -> Self {
        self.certificates = certificates;
        self
    }

    /// The revocation mode, instead of the store's `revocation` setting.
    pub fn revocation(mut self, mode: RevocationMode) -> Self {
        self.revocation = Some(mode);
        self
    }

    /// What is accepted from a signer beyond a signature that verifies (default
    /// [`SignerPolicy::new`]).
    pub fn signer_policy(mut self, policy: SignerPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Whether signer chains must follow the RFC 5280 section 4 profile rules (see
    /// [`ValidationOptions::rfc5280_strict`]; default `false`: broken rules are warnings).
    pub fn rfc5280_strict(mut self, yes: bool) -> Self {
        self.strict = yes;
        self
    }

    /// The validation time.
    pub fn time(&self) -> SystemTime {
        self.at
    }

    /// The extra certificates.
    pub fn extra_certificates(&self) -> &[Certificate] {
        &self.certificates
    }

    /// The revocation mode chosen; `None`: the store's setting.
    pub fn revocation_mode(&self) -> Option<RevocationMode> {
        self.revocation
    }

    /// The signer policy.
    pub fn policy(&self) -> &SignerPolicy {
        &self.policy
    }
}

/// The store's `revocation` setting (`hermes-pki settings set revocation
/// required|best-effort`): what [`VerifyOptions`] without an explicit
/// [`revocation`](VerifyOptions::revocation) resolves to.
fn store_revocation_setting(tx: &dyn ReadTransaction) -> Result<RevocationMode> {
    crate::settings::revocation_mode(tx)
}

/// S/MIME over a store: signing keys and decryption keys come from the store, signer
/// certificates are validated by the trust engine over the store (trust anchors, trust list,
/// CRLs), and the certificates a signed message carries are offered to chain building.
pub struct Smime<'s, S: Store + ?Sized> {
    store: &'s S,
}

impl<S: Store + ?Sized> std::fmt::Debug for Smime<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Smime").finish_non_exhaustive()
    }
}

impl<'s, S: Store + ?Sized> Smime<'s, S> {
    /// S/MIME over `store`.
    pub fn new(store: &'s S) -> Self {
        Smime { store }
    }

    /// The signing key of `signer` from the store, and the chain every SignedData made here
    /// carries: the certificates above the signer up to, not including, the trust anchor, as
    /// the trust engine finds them at `at` (a self-signed root is left out; a store CA's
    /// intermediate, itself an anchor here but not at the recipient's, is included).
    fn key_and_chain(
        &self,
        signer: &Certificate,
        at: SystemTime,
    ) -> Result<(crate::key::PrivateKey, Vec<Certificate>)> {
        self.store.read_transaction(|tx| {
            let key = tx
                .key_for_certificate(signer.thumbprint())?
                .ok_or_else(|| {
                    Error::NotFound(format!(
                        "the store has no private key for \"{}\"",
                        signer.subject()
                    ))
                })?;
            let opts = ValidationOptions::new(at, LeafPolicy::SmimeSigning);
            let chain = match Validator::new(tx).validate(signer, &opts)? {
                Validation::Valid { chain, .. } => chain
                    .into_iter()
                    .skip(1)
                    .filter(|c| !c.is_self_signed())
                    .collect(),
                Validation::Invalid { .. } => Vec::new(),
            };
            Ok((key, chain))
        })
    }

    /// Signs with `signer`'s key from the store; the chain (without a self-signed root) is
    /// included when the trust engine finds one at the signing time.
    ///
    /// Errors: [`Error::NotFound`] when the store has no key for `signer`.
    pub fn sign(
        &self,
        message: &[u8],
        signer: &Certificate,
        form: SignatureForm,
        options: &SignOptions,
    ) -> Result<Vec<u8>> {
        let (key, chain) = self.key_and_chain(signer, options.signing_time())?;
        sign_message(message, signer, &chain, &key, form, options)
    }

    /// [`sign`](Self::sign) from a reader to a writer (see [`sign_message_to`]); returns the
    /// number of bytes written.
    ///
    /// Errors: those of [`sign`](Self::sign) and [`sign_message_to`].
    pub fn sign_to(
        &self,
        input: impl Read,
        output: impl Write,
        signer: &Certificate,
        form: SignatureForm,
        options: &SignOptions,
    ) -> Result<u64> {
        let (key, chain) = self.key_and_chain(signer, options.signing_time())?;
        sign_message_to(input, output, signer, &chain, &key, form, options)
    }

    /// Signs `content` as a CMS SignedData (no MIME layer; see [`sign_data`]) with `signer`'s
    /// key from the store, carrying the same chain as [`sign`](Self::sign): up to, not
    /// including, the trust anchor.
    ///
    /// Errors: [`Error::NotFound`] when the store has no key for `signer`; those of
    /// [`sign_data`].
    pub fn sign_cms(
        &self,
        content: &[u8],
        signer: &Certificate,
        detached: bool,
        options: &SignOptions,
    ) -> Result<Vec<u8>> {
        let (key, chain) = self.key_and_chain(signer, options.signing_time())?;
        sign_data(content, signer, &chain, &key, detached, options)
    }

    /// Verifies a signed message and validates each signer certificate for S/MIME signing at
    /// `at` (the certificates in the message help build chains): [`verify_with`](Self::verify_with)
    /// with [`VerifyOptions::new`]`(at)`.
    pub fn verify(&self, message: &[u8], at: SystemTime) -> Result<Verification> {
        self.verify_with(message, &VerifyOptions::new(at))
    }

    /// Verifies a signed message (see [`verify_message`]) and validates each signer
    /// certificate for S/MIME signing with the trust engine over the store: at the options'
    /// time, with the certificates the message carries and the options' extra certificates
    /// offered to chain building, and the options' revocation mode (the store's setting unless
    /// chosen). Signer certificates found neither in the message nor among the extra
    /// certificates are looked up in the store.
    pub fn verify_with(&self, message: &[u8], options: &VerifyOptions) -> Result<Verification> {
        let (verified, signers) = self.verify_over_store(
            options,
            |extra, policy| verify_message_with(message, extra, policy),
            |v: &VerifiedMessage| (&v.signed.signers[..], &v.signed.certificates[..]),
        )?;
        Ok(Verification {
            message: verified,
            signers,
        })
    }

    /// Verifies a CMS SignedData (DER, BER or the bytes of a `.p7s`/`.p7m` file; see
    /// [`verify_data_with`]) and validates each signer certificate exactly as
    /// [`verify_with`](Self::verify_with) does. `detached_content` is the signed content of a
    /// detached signature.
    pub fn verify_cms(
        &self,
        der: &[u8],
        detached_content: Option<&[u8]>,
        options: &VerifyOptions,
    ) -> Result<CmsVerification> {
        let (signed, signers) = self.verify_over_store(
            options,
            |extra, policy| verify_data_with(der, detached_content, extra, policy),
            |s: &SignedContent| (&s.signers[..], &s.certificates[..]),
        )?;
        Ok(CmsVerification { signed, signers })
    }

    /// [`verify_with`](Self::verify_with) of a message in memory into `output` (cleared
    /// first): the message as it reads unsigned, as [`verify_message_to`] writes it, and what
    /// it found, without the copies of the content a [`VerifiedMessage`] holds. For the
    /// gateway's open, which keeps one buffer per layer.
    pub(crate) fn verify_into(
        &self,
        message: &[u8],
        output: &mut Vec<u8>,
        options: &VerifyOptions,
    ) -> Result<(VerifiedInfo, Vec<SignerVerdict>)> {
        self.verify_over_store(
            options,
            |extra, policy| {
                // Run again with the store's candidates: the output starts over.
                output.clear();
                verify_message_to(message, &mut *output, extra, policy)
            },
            |v: &VerifiedInfo| (&v.signers[..], &v.certificates[..]),
        )
    }

    /// Runs `verify` with the options' extra certificates, again with the store's candidates
    /// for signers it did not find, then judges every signer with the trust engine and
    /// records what valid signers announced they can decrypt. `signed_of` gives the signer
    /// reports and the certificates carried of what `verify` returned.
    fn verify_over_store<T>(
        &self,
        options: &VerifyOptions,
        mut verify: impl FnMut(&[Certificate], &SignerPolicy) -> Result<T>,
        signed_of: impl Fn(&T) -> (&[SignerReport], &[Certificate]),
    ) -> Result<(T, Vec<SignerVerdict>)> {
        let (verified, mode, policy) = self.store.read_transaction(|tx| {
            let mode = match options.revocation {
                Some(mode) => mode,
                None => store_revocation_setting(tx)?,
            };
            // The gateway setting allow-sha1 accepts SHA-1 as the policy would.
            let policy = if global_flag(tx, SettingKey::AllowSha1)? {
                options.policy.allow_sha1(true)
            } else {
                options.policy
            };
            let first = verify(&options.certificates, &policy)?;
            let (reports, _) = signed_of(&first);
            if reports.iter().all(|s| s.certificate.is_some()) {
                return Ok((first, mode, policy));
            }
            // Signer certificates neither carried nor given are looked up in the store.
            let mut extra = options.certificates.clone();
            for s in reports {
                if s.certificate.is_none() {
                    extra.extend(signer_candidates(tx, s)?);
                }
            }
            Ok((verify(&extra, &policy)?, mode, policy))
        })?;
        let (reports, carried) = signed_of(&verified);
        // The signer policy's RSA minimum holds for the chain too.
        let validation_options = ValidationOptions::new(options.at, LeafPolicy::SmimeSigning)
            .revocation(mode)
            .rfc5280_strict(options.strict)
            .min_rsa_bits(policy.rsa_minimum())
            .allow_sha1(policy.sha1_allowed());
        let signers = self.store.read_transaction(|tx| {
            reports
                .iter()
                .map(|s| {
                    let validation = match &s.certificate {
                        Some(c) => Some(
                            Validator::new(tx)
                                .intermediates(carried.iter().cloned())
                                .intermediates(options.certificates.iter().cloned())
                                .validate(c, &validation_options)?,
                        ),
                        None => None,
                    };
                    Ok(SignerVerdict {
                        certificate: s.certificate.clone(),
                        signature_valid: s.status.is_valid(),
                        validation,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        self.record_capabilities(&signers, reports)?;
        Ok((verified, signers))
    }

    /// Remembers what each valid signer can decrypt, for choosing the cipher of mail to them
    /// later.
    fn record_capabilities(
        &self,
        signers: &[SignerVerdict],
        reports: &[SignerReport],
    ) -> Result<()> {
        let announced: Vec<(Certificate, Vec<ObjectIdentifier>)> = signers
            .iter()
            .zip(reports)
            .filter(|(v, r)| v.is_valid() && !r.capabilities.is_empty())
            .filter_map(|(v, r)| {
                v.certificate.clone().map(|c| {
                    let oids = r
                        .capabilities
                        .iter()
                        .filter_map(SmimeCapability::object_identifier)
                        .collect();
                    (c, oids)
                })
            })
            .collect();
        if announced.is_empty() {
            return Ok(());
        }
        // Most mail comes from correspondents whose capabilities are already known: a read
        // tells, and no write transaction (the writer's lock, a commit) is taken for them.
        let changed = self.store.read_transaction(|tx| {
            let mut changed = Vec::new();
            for (c, oids) in &announced {
                if tx.smime_capabilities(c.thumbprint())?.as_ref() != Some(oids) {
                    changed.push((c, oids));
                }
            }
            Ok(changed)
        })?;
        if changed.is_empty() {
            return Ok(());
        }
        self.store.transaction(|tx| {
            for (c, oids) in &changed {
                tx.put_smime_capabilities(c.thumbprint(), oids)?;
            }
            Ok(())
        })
    }

    /// Encrypts to `recipients` (see [`encrypt_message`]). Unless the options name a cipher,
    /// AES-GCM (AuthEnvelopedData) is used when every recipient's known S/MIME capabilities
    /// (recorded by [`verify`](Self::verify) from their valid signed mail) list it, and
    /// AES-256-CBC otherwise (Outlook and older Thunderbird cannot read AuthEnvelopedData).
    pub fn encrypt(
        &self,
        message: &[u8],
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<Vec<u8>> {
        let options = self.choose_cipher(recipients, options)?;
        encrypt_message(message, recipients, &options)
    }

    /// [`encrypt`](Self::encrypt) from a reader to a writer (see [`encrypt_message_to`]);
    /// returns the number of bytes written.
    pub fn encrypt_to(
        &self,
        input: impl Read,
        output: impl Write,
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<u64> {
        let options = self.choose_cipher(recipients, options)?;
        encrypt_message_to(input, output, recipients, &options)
    }

    /// The options with the cipher every recipient is known to read, when the caller did not
    /// choose one.
    pub fn choose_cipher(
        &self,
        recipients: &[Certificate],
        options: &EncryptOptions,
    ) -> Result<EncryptOptions> {
        if options.cipher_chosen() || recipients.is_empty() {
            return Ok(*options);
        }
        let known = self.store.read_transaction(|tx| {
            recipients
                .iter()
                .map(|c| tx.smime_capabilities(c.thumbprint()))
                .collect::<Result<Vec<_>>>()
        })?;
        let all_list = |cap: SmimeCapability| {
            cap.object_identifier().is_some_and(|oid| {
                known
                    .iter()
                    .all(|k| k.as_ref().is_some_and(|list| list.contains(&oid)))
            })
        };
        Ok(if all_list(SmimeCapability::Aes256Gcm) {
            options.cipher(ContentCipher::Aes256Gcm)
        } else if all_list(SmimeCapability::Aes128Gcm) {
            options.cipher(ContentCipher::Aes128Gcm)
        } else {
            *options
        })
    }

    /// Decrypts with a key from the store.
    pub fn decrypt(&self, message: &[u8], options: &DecryptOptions) -> Result<DecryptedMessage> {
        self.store
            .read_transaction(|tx| decrypt_message(message, &StoreKeys::new(tx), options))
    }

    /// [`decrypt`](Self::decrypt) from a reader to a writer (see [`decrypt_message_to`]): the
    /// decrypted message is written to `output`.
    ///
    /// Errors: those of [`decrypt_message_to`]; [`Error::Storage`] when the store asks to run
    /// the read again after the input was consumed (it cannot be read twice).
    pub fn decrypt_to(
        &self,
        input: impl Read,
        output: impl Write,
        options: &DecryptOptions,
    ) -> Result<DecryptedInfo> {
        let mut io = Some((input, output));
        self.store.read_transaction(|tx| {
            let (input, output) = io.take().ok_or_else(|| {
                Error::Storage(
                    "the store repeated a read after the message input was consumed".into(),
                )
            })?;
            decrypt_message_to(input, output, &StoreKeys::new(tx), options)
        })
    }

    /// Signs, then encrypts the signed message.
    pub fn sign_encrypt(
        &self,
        message: &[u8],
        signer: &Certificate,
        recipients: &[Certificate],
        form: SignatureForm,
        sign_options: &SignOptions,
        encrypt_options: &EncryptOptions,
    ) -> Result<Vec<u8>> {
        let signed = self.sign(message, signer, form, sign_options)?;
        self.encrypt(&signed, recipients, encrypt_options)
    }

    /// Decrypts, then verifies the decrypted message when it is signed (`None` when it is
    /// not): [`decrypt_verify_with`](Self::decrypt_verify_with) with
    /// [`VerifyOptions::new`]`(at)`.
    pub fn decrypt_verify(
        &self,
        message: &[u8],
        at: SystemTime,
        options: &DecryptOptions,
    ) -> Result<(DecryptedMessage, Option<Verification>)> {
        self.decrypt_verify_with(message, &VerifyOptions::new(at), options)
    }

    /// Decrypts, then verifies the decrypted message with `verify_options` when it is signed
    /// (either form, judged by its CMS content type; `None` when it is not signed).
    ///
    /// Unauthenticated (CBC) content that turns out malformed inside fails with the same
    /// [`Error::Crypto`] as a failed decryption (no format oracle, nothing decrypted echoed).
    /// With [`DecryptOptions::require_authenticated`], CBC content is accepted only when it is
    /// signed and every signature verifies ([`Error::NotPermitted`] otherwise).
    pub fn decrypt_verify_with(
        &self,
        message: &[u8],
        verify_options: &VerifyOptions,
        options: &DecryptOptions,
    ) -> Result<(DecryptedMessage, Option<Verification>)> {
        let required = options.authenticated_required();
        let decrypted = self.decrypt(message, &options.require_authenticated(false))?;
        let verification = if is_signed_entity(&decrypted.inner) {
            match self.verify_with(&decrypted.message, verify_options) {
                Ok(v) => Some(v),
                Err(e @ (Error::Storage(_) | Error::Io { .. })) => return Err(e),
                Err(_) if !decrypted.authenticated => {
                    return Err(Error::Crypto(super::DECRYPTION_FAILED.into()));
                }
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        let signatures_verify = verification
            .as_ref()
            .is_some_and(|v| !v.signers.is_empty() && v.signers.iter().all(|s| s.signature_valid));
        if required && !decrypted.authenticated && !signatures_verify {
            return Err(Error::NotPermitted(
                "the content is encrypted without authentication (CBC) and carries no inner \
                 signature that verifies; authenticated content is required"
                    .into(),
            ));
        }
        Ok((decrypted, verification))
    }
}

/// What the outermost S/MIME layer of a message is, judged as [`verify_message`] and
/// [`decrypt_message`] judge it (the CMS content type decides, not the `smime-type`
/// parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmimeLayer {
    /// Signed: `multipart/signed`, or a CMS SignedData body.
    Signed,
    /// Encrypted: a CMS EnvelopedData or AuthEnvelopedData body.
    Encrypted,
    /// An S/MIME body (`application/pkcs7-mime`, or a `*.p7m`/`*.p7c` attachment as the whole
    /// message) that holds neither: certificates only, another CMS type, or bytes that do not
    /// decode.
    Other,
}

/// The outermost S/MIME layer of `message`; `None` when the message is not S/MIME (or cannot
/// be read as a message at all). Never fails: whatever does not parse is not S/MIME or is
/// [`SmimeLayer::Other`].
pub fn smime_layer(message: &[u8]) -> Option<SmimeLayer> {
    let split = split_message(message).ok()?;
    let t = entity_type(&split.entity).ok()?;
    if is_multipart_signed(&t) {
        return Some(SmimeLayer::Signed);
    }
    if !is_pkcs7_mime(&t) && !t.is_named_smime(&["p7m", "p7c"]) {
        return None;
    }
    Some(match cms_body(&split.entity, &t) {
        Ok(Some((_, CmsKind::Signed))) => SmimeLayer::Signed,
        Ok(Some((_, CmsKind::Enveloped | CmsKind::AuthEnveloped))) => SmimeLayer::Encrypted,
        _ => SmimeLayer::Other,
    })
}

fn signer_candidates(tx: &dyn ReadTransaction, s: &SignerReport) -> Result<Vec<Certificate>> {
    Ok(match &s.identifier {
        RecipientId::IssuerSerial { issuer_der, serial } => {
            tx.certificates_by_issuer_serial(issuer_der, serial)?
        }
        RecipientId::SubjectKeyId(ski) => tx.certificates_by_subject_key_id(ski)?,
    })
}

#[cfg(test)]
mod tests;
