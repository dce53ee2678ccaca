//! Inbound: [`Pki::open_message`] (DESIGN.md, "The gateway's two operations": open).
//!
//! The name: [`Pki::open`] is the constructor over a store directory, so the inbound
//! operation is `open_message`.
//!
//! A message is peeled one S/MIME layer at a time (at most [`MAX_LAYERS`]): an encrypted
//! layer is decrypted with any key in the store, a signed layer is verified and every signer
//! judged (signature, certificate chain, and whether the certificate carries the sender's
//! address, RFC 8550 3.1). Three answers at the top ([`Opened`]): not S/MIME, S/MIME but
//! unreadable, processed with verdicts.

use std::fmt;
use std::io::{Read, Write};
use std::time::SystemTime;

use mail_parser::MessageParser;
use zeroize::Zeroizing;

use super::Pki;
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::settings::{SettingKey, SettingScope, effective, global_flag};
use crate::smime::DECRYPTION_FAILED;
use crate::smime::mime;
use crate::smime::{
    DecryptOptions, RecipientId, SignatureForm, SignatureStatus, SmimeLayer, VerifyOptions,
    Weakness, smime_layer,
};
use crate::store::StoreExt;
use crate::trust::{Reason, Validation};

/// The largest From or Sender field read for the sender addresses, in bytes (a longer one
/// gives no sender address).
const MAX_ADDRESS_FIELD: usize = 16 * 1024;

/// The most S/MIME layers [`Pki::open_message`] peels (signed, encrypted, signed again, ...);
/// a message with more is [`Unreadable::TooManyLayers`].
pub const MAX_LAYERS: usize = 4;

/// The prefix of the informational header fields [`Pki::open_message`] adds when asked
/// ([`OpenOptions::informational_headers`]); incoming fields with this prefix are removed first.
pub const HEADER_PREFIX: &str = "X-Hermes-";

/// How [`Pki::open_message`] opens: the validation time, whether informational header fields
/// are added, how decryption and verification go. Build with [`OpenOptions::new`] and the
/// setters.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    verify: VerifyOptions,
    decrypt: DecryptOptions,
    headers: bool,
}

impl OpenOptions {
    /// Validation at `at`; no informational header fields; the default decryption and
    /// verification options.
    pub fn new(at: SystemTime) -> Self {
        OpenOptions {
            verify: VerifyOptions::new(at),
            decrypt: DecryptOptions::new(),
            headers: false,
        }
    }

    /// Whether to add informational header fields (`X-Hermes-Encrypted`,
    /// `X-Hermes-Signature`) to the returned message, for the mail client downstream (default
    /// off). When on, every incoming field whose name starts with [`HEADER_PREFIX`] is removed
    /// first, so a sender cannot forge them.
    pub fn informational_headers(mut self, yes: bool) -> Self {
        self.headers = yes;
        self
    }

    /// The verification options (their time replaces the one given to [`OpenOptions::new`]).
    pub fn verify_options(mut self, options: VerifyOptions) -> Self {
        self.verify = options;
        self
    }

    /// The decryption options.
    pub fn decrypt_options(mut self, options: DecryptOptions) -> Self {
        self.decrypt = options;
        self
    }

    /// The validation time.
    pub fn time(&self) -> SystemTime {
        self.verify.time()
    }

    /// Whether informational header fields are added.
    pub fn adds_headers(&self) -> bool {
        self.headers
    }
}

/// What [`Pki::open_message`] answers: three distinct outcomes.
#[derive(Debug, Clone)]
pub enum Opened {
    /// Not S/MIME: the message as it came (with incoming informational header fields removed
    /// when [`OpenOptions::informational_headers`] is on).
    NotSmime(Vec<u8>),
    /// S/MIME, but it cannot be read here (no key, damaged, too deep): the reason, the layers
    /// peeled before, and the message as it came (incoming informational header fields removed
    /// when asked).
    Unreadable {
        /// Why.
        reason: Unreadable,
        /// The layers opened before the one that could not be.
        layers: Vec<Layer>,
        /// The message as it came (see above).
        message: Vec<u8>,
    },
    /// Opened: the inner message and a verdict per layer.
    Processed(OpenedMessage),
}

impl Opened {
    /// The processed message, when it was processed.
    pub fn processed(&self) -> Option<&OpenedMessage> {
        match self {
            Opened::Processed(m) => Some(m),
            _ => None,
        }
    }

    /// `"not-smime"`, `"unreadable"` or `"processed"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Opened::NotSmime(_) => "not-smime",
            Opened::Unreadable { .. } => "unreadable",
            Opened::Processed(_) => "processed",
        }
    }
}

/// Why an S/MIME message could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Unreadable {
    /// Encrypted, and the store holds a key for none of its recipients.
    NoKey(String),
    /// Encrypted to a key here, but decryption failed (wrong key, damaged ciphertext, a tag
    /// that does not verify).
    DecryptionFailed(String),
    /// The S/MIME structure does not parse.
    Malformed(String),
    /// Something this engine does not read (a certificates-only message, an unknown cipher,
    /// a legacy cipher not allowed).
    Unsupported(String),
    /// More than [`MAX_LAYERS`] layers.
    TooManyLayers,
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::NoKey(d) => write!(f, "no key for any recipient: {d}"),
            Unreadable::DecryptionFailed(d) => write!(f, "decryption failed: {d}"),
            Unreadable::Malformed(d) => write!(f, "malformed S/MIME: {d}"),
            Unreadable::Unsupported(d) => write!(f, "unsupported S/MIME: {d}"),
            Unreadable::TooManyLayers => write!(f, "more than {MAX_LAYERS} S/MIME layers"),
        }
    }
}

impl Unreadable {
    /// A short stable name: `no-key`, `decryption-failed`, `malformed`, `unsupported`,
    /// `too-many-layers`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Unreadable::NoKey(_) => "no-key",
            Unreadable::DecryptionFailed(_) => "decryption-failed",
            Unreadable::Malformed(_) => "malformed",
            Unreadable::Unsupported(_) => "unsupported",
            Unreadable::TooManyLayers => "too-many-layers",
        }
    }
}

/// A processed message: what came out of the last layer, and a verdict per layer.
///
/// Only [`entity`](Self::entity) is what a signature covered; the header fields in
/// [`outer_header`](Self::outer_header) (From, To, Subject, ...) came outside every layer and
/// are never signed. [`message`](Self::message) puts them together for delivery.
///
/// Its `Debug` shows lengths, not the message (decrypted mail is private).
#[derive(Clone)]
pub struct OpenedMessage {
    /// The message for delivery: the outer header fields, the informational fields when
    /// asked, and the innermost entity.
    pub message: Vec<u8>,
    /// The innermost entity (Content-* fields and body): what the layers protected.
    pub entity: Vec<u8>,
    /// The outer header fields of the message as it came (CRLF form): unsigned.
    pub outer_header: Vec<u8>,
    /// The sender addresses from the outer From and Sender fields, as written.
    pub senders: Vec<String>,
    /// The layers, outermost first.
    pub layers: Vec<Layer>,
}

impl fmt::Debug for OpenedMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedMessage")
            .field("message_len", &self.message.len())
            .field("entity_len", &self.entity.len())
            .field("outer_header_len", &self.outer_header.len())
            .field("senders", &self.senders)
            .field("layers", &self.layers)
            .finish()
    }
}

impl OpenedMessage {
    /// Every layer valid (an encrypted layer is valid once decrypted; a signed layer when
    /// every signer is). An encrypted, unsigned message is valid but not
    /// [`signed`](Self::is_signed).
    pub fn is_valid(&self) -> bool {
        all_valid(&self.layers)
    }

    /// Whether some layer is signed.
    pub fn is_signed(&self) -> bool {
        any_signed(&self.layers)
    }

    /// Whether some layer is encrypted.
    pub fn is_encrypted(&self) -> bool {
        any_encrypted(&self.layers)
    }

    /// The signers of every signed layer, outermost first.
    pub fn signers(&self) -> impl Iterator<Item = &SignerOutcome> {
        signers_of(&self.layers)
    }
}

fn all_valid(layers: &[Layer]) -> bool {
    layers.iter().all(Layer::is_valid)
}

fn any_signed(layers: &[Layer]) -> bool {
    layers.iter().any(|l| matches!(l, Layer::Signed(_)))
}

fn any_encrypted(layers: &[Layer]) -> bool {
    layers.iter().any(|l| matches!(l, Layer::Encrypted(_)))
}

fn signers_of(layers: &[Layer]) -> impl Iterator<Item = &SignerOutcome> {
    layers.iter().flat_map(|l| match l {
        Layer::Signed(s) => s.signers.as_slice(),
        Layer::Encrypted(_) => &[],
    })
}

/// One S/MIME layer.
#[derive(Debug, Clone)]
pub enum Layer {
    /// An encrypted layer, decrypted.
    Encrypted(EncryptedLayer),
    /// A signed layer, verified.
    Signed(SignedLayer),
}

impl Layer {
    /// Encrypted: decrypted, so valid. Signed: at least one signer, every signer valid.
    pub fn is_valid(&self) -> bool {
        match self {
            Layer::Encrypted(_) => true,
            Layer::Signed(s) => s.is_valid(),
        }
    }
}

/// What decrypting a layer found.
#[derive(Debug, Clone)]
pub struct EncryptedLayer {
    /// The recipient whose key opened it.
    pub recipient: RecipientId,
    /// The recipient's certificate, when the store has it.
    pub recipient_certificate: Option<Certificate>,
    /// The content cipher, readable.
    pub cipher: String,
    /// Whether the content was authenticated (AuthEnvelopedData).
    pub authenticated: bool,
    /// Weak algorithms met.
    pub weak: Vec<Weakness>,
}

/// What verifying a layer found.
#[derive(Debug, Clone)]
pub struct SignedLayer {
    /// The form it was signed in.
    pub form: SignatureForm,
    /// One outcome per SignerInfo, in order.
    pub signers: Vec<SignerOutcome>,
}

impl SignedLayer {
    /// At least one signer, and every signer valid.
    pub fn is_valid(&self) -> bool {
        !self.signers.is_empty() && self.signers.iter().all(SignerOutcome::is_valid)
    }
}

/// One signer of a signed layer.
#[derive(Debug, Clone)]
pub struct SignerOutcome {
    /// The signer certificate, when found.
    pub certificate: Option<Certificate>,
    /// The verdict.
    pub verdict: SignerStatus,
    /// The certificates stored by self-introduction: the signer's and those of its validated
    /// chain that the store held neither as certificates nor as trust anchors; empty when
    /// nothing was stored.
    pub stored: Vec<Thumbprint>,
}

impl SignerOutcome {
    /// Whether the verdict is [`SignerStatus::Valid`].
    pub fn is_valid(&self) -> bool {
        matches!(self.verdict, SignerStatus::Valid)
    }

    /// The signer's email addresses (from its certificate).
    pub fn addresses(&self) -> &[String] {
        self.certificate.as_ref().map_or(&[], |c| c.emails())
    }
}

/// A signer's verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerStatus {
    /// The signature verified, the certificate is valid for S/MIME signing, and it carries the
    /// sender's address.
    Valid,
    /// Not valid, with every reason found.
    NotValid(Vec<NotValidReason>),
}

/// Why a signer is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotValidReason {
    /// The signature itself did not verify (or uses a weak algorithm).
    Signature(SignatureStatus),
    /// The signer certificate is neither in the message nor in the store.
    CertificateNotFound,
    /// The certificate is not valid for S/MIME signing (chain, expiry, revocation...).
    Certificate(Vec<Reason>),
    /// The signature is by someone else: the certificate carries none of the From or Sender
    /// addresses (RFC 8550 3.1).
    SignerIsNotSender {
        /// The certificate's addresses.
        signer: Vec<String>,
        /// The From and Sender addresses.
        senders: Vec<String>,
    },
}

impl NotValidReason {
    /// A short stable name: `signature`, `certificate-not-found`, `certificate`,
    /// `signer-is-not-sender`.
    pub fn as_str(&self) -> &'static str {
        match self {
            NotValidReason::Signature(_) => "signature",
            NotValidReason::CertificateNotFound => "certificate-not-found",
            NotValidReason::Certificate(_) => "certificate",
            NotValidReason::SignerIsNotSender { .. } => "signer-is-not-sender",
        }
    }
}

impl fmt::Display for NotValidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotValidReason::Signature(s) => write!(f, "signature: {s}"),
            NotValidReason::CertificateNotFound => write!(f, "the signer certificate is missing"),
            NotValidReason::Certificate(reasons) => {
                write!(f, "certificate not valid: ")?;
                for (i, r) in reasons.iter().enumerate() {
                    if i > 0 {
                        write!(f, "; ")?;
                    }
                    write!(f, "{r}")?;
                }
                Ok(())
            }
            NotValidReason::SignerIsNotSender { signer, senders } => write!(
                f,
                "signer is not the sender (signer {}, sender {})",
                list_or_none(signer),
                list_or_none(senders)
            ),
        }
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

/// The header block of `message` (up to, not including, the empty line) and the rest (from
/// the empty line on), for any line ends.
fn split_header(message: &[u8]) -> (&[u8], &[u8]) {
    let mut line_start = 0;
    let mut i = 0;
    while i < message.len() {
        let b = message[i];
        if b == b'\n' || b == b'\r' {
            if i == line_start {
                return (&message[..line_start], &message[line_start..]);
            }
            let end = if b == b'\r' && message.get(i + 1) == Some(&b'\n') {
                i + 2
            } else {
                i + 1
            };
            line_start = end;
            i = end;
        } else {
            i += 1;
        }
    }
    (message, &[])
}

/// `text` with every line end (CR, LF, CRLF) as CRLF.
fn to_crlf(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + text.len() / 32);
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'\r' => {
                out.extend_from_slice(b"\r\n");
                if text.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
            }
            b'\n' => out.extend_from_slice(b"\r\n"),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Writes `message` without the header fields (with their continuation lines) whose name
/// starts with [`HEADER_PREFIX`] (case-insensitive).
fn write_without_informational(message: &[u8], out: &mut dyn Write) -> std::io::Result<()> {
    let (head, rest) = split_header(message);
    let mut dropping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            let prefix = HEADER_PREFIX.as_bytes();
            dropping = line
                .get(..prefix.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(prefix));
        }
        if !dropping {
            out.write_all(line)?;
        }
    }
    out.write_all(rest)
}

/// The From and Sender addresses of the header block `head`.
fn sender_addresses(head: &[u8]) -> Vec<String> {
    // Only the From and Sender fields, size-capped, reach the MIME parser.
    let Ok(mut block) = mime::bounded_fields(head, &["From", "Sender"], MAX_ADDRESS_FIELD) else {
        return Vec::new();
    };
    block.extend_from_slice(b"\r\n");
    let Some(parsed) = MessageParser::new().parse_headers(&block) else {
        return Vec::new();
    };
    let mut out: Vec<String> = Vec::new();
    for a in [parsed.from(), parsed.sender()].into_iter().flatten() {
        for addr in a.iter() {
            if let Some(s) = addr.address() {
                let s = s.trim().to_string();
                if !s.is_empty() && !out.contains(&s) {
                    out.push(s);
                }
            }
        }
    }
    out
}

/// Maps an error from decrypting or verifying a layer: what the input causes is an
/// [`Unreadable`] answer, a failure of the machinery stays an error.
fn unreadable(e: Error) -> Result<Unreadable> {
    Ok(match e {
        Error::NotFound(d) => Unreadable::NoKey(d),
        Error::Crypto(d) => Unreadable::DecryptionFailed(d),
        Error::Malformed { .. } | Error::Empty { .. } | Error::LimitExceeded(_) => {
            Unreadable::Malformed(e.to_string())
        }
        Error::Unsupported { .. } | Error::NotPermitted(_) | Error::Weak(_) => {
            Unreadable::Unsupported(e.to_string())
        }
        other => return Err(other),
    })
}

/// Whether an error is a failure of the machinery (storage, I/O), not of the input.
fn is_machinery(e: &Error) -> bool {
    matches!(e, Error::Storage(_) | Error::Io { .. })
}

/// Whether every unauthenticated (CBC) layer has, somewhere inside it, a signed layer whose
/// signers (at least one) all have a signature that verifies.
fn authenticated_throughout(layers: &[Layer]) -> bool {
    layers.iter().enumerate().all(|(i, layer)| match layer {
        Layer::Encrypted(e) if !e.authenticated => layers[i + 1..].iter().any(|inner| {
            matches!(inner, Layer::Signed(s) if !s.signers.is_empty()
                && s.signers.iter().all(|o| !matches!(&o.verdict,
                    SignerStatus::NotValid(r) if r.iter().any(|r| matches!(r,
                        NotValidReason::Signature(_) | NotValidReason::CertificateNotFound)))))
        }),
        _ => true,
    })
}

/// A signer's verdict from what verification found and the sender addresses.
fn judge(
    status: &SignatureStatus,
    certificate: Option<&Certificate>,
    validation: Option<&Validation>,
    senders: &[String],
) -> SignerStatus {
    let mut reasons = Vec::new();
    if !status.is_valid() {
        reasons.push(NotValidReason::Signature(status.clone()));
    }
    match (certificate, validation) {
        (Some(c), Some(v)) => {
            if let Validation::Invalid { reasons: r } = v {
                reasons.push(NotValidReason::Certificate(r.clone()));
            }
            if !senders.iter().any(|s| c.has_email(s)) {
                reasons.push(NotValidReason::SignerIsNotSender {
                    signer: c.emails().to_vec(),
                    senders: senders.to_vec(),
                });
            }
        }
        _ => reasons.push(NotValidReason::CertificateNotFound),
    }
    if reasons.is_empty() {
        SignerStatus::Valid
    } else {
        SignerStatus::NotValid(reasons)
    }
}

/// The informational header fields for `layers`.
fn informational_fields(layers: &[Layer]) -> Vec<u8> {
    let mut out = String::new();
    for layer in layers {
        match layer {
            Layer::Encrypted(e) => {
                out.push_str(&format!(
                    "{HEADER_PREFIX}Encrypted: yes; cipher={}\r\n",
                    header_safe(&e.cipher)
                ));
            }
            Layer::Signed(s) => {
                for signer in &s.signers {
                    let who = header_safe(&list_or_none(signer.addresses()));
                    match &signer.verdict {
                        SignerStatus::Valid => out.push_str(&format!(
                            "{HEADER_PREFIX}Signature: valid; signer={who}\r\n"
                        )),
                        SignerStatus::NotValid(reasons) => {
                            let names: Vec<&str> = reasons.iter().map(|r| r.as_str()).collect();
                            out.push_str(&format!(
                                "{HEADER_PREFIX}Signature: not-valid; reason={}; signer={who}\r\n",
                                names.join(",")
                            ));
                        }
                    }
                }
            }
        }
    }
    out.into_bytes()
}

/// `text` with nothing that could end or fold a header field (certificate addresses are
/// attacker-chosen).
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

/// What the layers of a message came to, before anything is given out.
enum Peeled {
    /// Not S/MIME: the message as it came is the answer.
    NotSmime,
    /// Unreadable: the message as it came is the answer.
    Unreadable {
        reason: Unreadable,
        layers: Vec<Layer>,
    },
    /// Processed: what came out of the last layer (the outer header fields with the innermost
    /// entity, which is its last `entity_len` bytes), and the verdicts.
    Processed {
        current: Zeroizing<Vec<u8>>,
        entity_len: usize,
        outer_header: Vec<u8>,
        senders: Vec<String>,
        layers: Vec<Layer>,
    },
}

/// What [`Pki::open_from`] answers: [`Opened`] without the message bytes, which went to the
/// output.
#[derive(Debug, Clone)]
pub enum OpenReport {
    /// Not S/MIME: the message was written as it came (see [`Opened::NotSmime`]).
    NotSmime {
        /// The number of bytes written.
        written: u64,
    },
    /// S/MIME, but unreadable here: the message was written as it came (see
    /// [`Opened::Unreadable`]).
    Unreadable {
        /// Why.
        reason: Unreadable,
        /// The layers opened before the one that could not be.
        layers: Vec<Layer>,
        /// The number of bytes written.
        written: u64,
    },
    /// Opened: the message for delivery was written ([`OpenedMessage::message`]).
    Processed(OpenedSummary),
}

impl OpenReport {
    /// The processed message's summary, when it was processed.
    pub fn processed(&self) -> Option<&OpenedSummary> {
        match self {
            OpenReport::Processed(m) => Some(m),
            _ => None,
        }
    }

    /// `"not-smime"`, `"unreadable"` or `"processed"`, as [`Opened::kind`].
    pub fn kind(&self) -> &'static str {
        match self {
            OpenReport::NotSmime { .. } => "not-smime",
            OpenReport::Unreadable { .. } => "unreadable",
            OpenReport::Processed(_) => "processed",
        }
    }

    /// The number of bytes written to the output.
    pub fn written(&self) -> u64 {
        match self {
            OpenReport::NotSmime { written } | OpenReport::Unreadable { written, .. } => *written,
            OpenReport::Processed(m) => m.written,
        }
    }
}

/// A processed message opened by [`Pki::open_from`]: [`OpenedMessage`] with the lengths of
/// what was written instead of the bytes.
///
/// Its `Debug` shows the outer header's length, not the header (the mail is private).
#[derive(Clone)]
pub struct OpenedSummary {
    /// The number of bytes written: the message for delivery ([`OpenedMessage::message`]).
    pub written: u64,
    /// The length of the innermost entity, the end of what was written
    /// ([`OpenedMessage::entity`]).
    pub entity_len: usize,
    /// The outer header fields of the message as it came (CRLF form): unsigned.
    pub outer_header: Vec<u8>,
    /// The sender addresses from the outer From and Sender fields, as written.
    pub senders: Vec<String>,
    /// The layers, outermost first.
    pub layers: Vec<Layer>,
}

impl fmt::Debug for OpenedSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OpenedSummary")
            .field("written", &self.written)
            .field("entity_len", &self.entity_len)
            .field("outer_header_len", &self.outer_header.len())
            .field("senders", &self.senders)
            .field("layers", &self.layers)
            .finish()
    }
}

impl OpenedSummary {
    /// As [`OpenedMessage::is_valid`].
    pub fn is_valid(&self) -> bool {
        all_valid(&self.layers)
    }

    /// Whether some layer is signed.
    pub fn is_signed(&self) -> bool {
        any_signed(&self.layers)
    }

    /// Whether some layer is encrypted.
    pub fn is_encrypted(&self) -> bool {
        any_encrypted(&self.layers)
    }

    /// The signers of every signed layer, outermost first.
    pub fn signers(&self) -> impl Iterator<Item = &SignerOutcome> {
        signers_of(&self.layers)
    }
}

/// The message for delivery: the informational fields when asked, then `current` (without
/// incoming informational fields when asked).
fn write_processed(
    current: &[u8],
    layers: &[Layer],
    headers: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if headers {
        out.write_all(&informational_fields(layers))?;
        write_without_informational(current, out)
    } else {
        out.write_all(current)
    }
}

/// The message as it came (without incoming informational fields when asked).
fn write_as_came(message: &[u8], headers: bool, out: &mut dyn Write) -> std::io::Result<()> {
    if headers {
        write_without_informational(message, out)
    } else {
        out.write_all(message)
    }
}

impl Pki {
    /// Opens an inbound message (DESIGN.md, "The gateway's two operations": open). Named
    /// `open_message` because [`Pki::open`] opens a store.
    ///
    /// Peels up to [`MAX_LAYERS`] S/MIME layers: decrypts with any key in the store, verifies
    /// every signed layer, and judges each signer: signature, certificate validity for S/MIME
    /// signing at the options' time, and whether the certificate carries one of the outer
    /// From/Sender addresses (RFC 8550 3.1; a valid signature by someone else is
    /// [`NotValidReason::SignerIsNotSender`]). A valid signer's S/MIME capabilities are
    /// remembered; when the effective `add-signer-certificates` setting of the (first) From
    /// address is on, a signer whose verdict is [`SignerStatus::Valid`] has its certificate
    /// and validated chain stored (self-introduction), once every layer is open: nothing is
    /// stored for a signer that is not valid, nor for a message that turns out unreadable.
    /// (The capabilities of valid signers are remembered as [`Smime::verify_with`] does, layer
    /// by layer.)
    ///
    /// [`Smime::verify_with`]: crate::smime::Smime::verify_with
    ///
    /// Answers: [`Opened::NotSmime`], [`Opened::Unreadable`] (no key, damaged, too deep) and
    /// [`Opened::Processed`] with a verdict per layer and signer. `Err` only for failures of
    /// the machinery (storage) and a message larger than the S/MIME limit.
    ///
    /// [`open_from`](Self::open_from) is the same from a reader to a writer.
    pub fn open_message(&self, message: &[u8], options: &OpenOptions) -> Result<Opened> {
        let as_came = || {
            let mut out = Vec::with_capacity(message.len());
            // Writing to a Vec does not fail.
            let _ = write_as_came(message, options.headers, &mut out);
            out
        };
        Ok(match self.peel(message, options)? {
            Peeled::NotSmime => Opened::NotSmime(as_came()),
            Peeled::Unreadable { reason, layers } => Opened::Unreadable {
                reason,
                layers,
                message: as_came(),
            },
            Peeled::Processed {
                mut current,
                entity_len,
                outer_header,
                senders,
                layers,
            } => {
                let entity = current
                    .get(current.len().saturating_sub(entity_len)..)
                    .unwrap_or_default()
                    .to_vec();
                let message = if options.headers {
                    let mut out = Vec::with_capacity(current.len() + 256);
                    let _ = write_processed(&current, &layers, true, &mut out);
                    out
                } else {
                    std::mem::take(&mut *current)
                };
                Opened::Processed(OpenedMessage {
                    message,
                    entity,
                    outer_header,
                    senders,
                    layers,
                })
            }
        })
    }

    /// [`open_message`](Self::open_message) from a reader to a writer: the same answers and
    /// verdicts, and what `open_message` returns as the message ([`OpenedMessage::message`],
    /// or the message as it came when it is not S/MIME or unreadable) is written to `output`,
    /// once every layer is processed (and the store taught, when it is): nothing is written
    /// before the answer is known.
    ///
    /// Memory: the message is read once (at most the S/MIME size limit) and held as it came
    /// (the answer for a message that turns out unreadable is that message); each layer is
    /// opened into one working buffer with the streaming layer ([`Smime::decrypt_to`]: the
    /// content decrypted in place), so an encrypted message costs about the message as it came
    /// plus two copies of its content at the peak, a signed one about three.
    ///
    /// [`Smime::decrypt_to`]: crate::smime::Smime::decrypt_to
    ///
    /// Errors: those of `open_message`; [`Error::Io`] when reading or writing fails.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use hermes_pki::pki::{OpenOptions, OpenReport, Pki};
    /// use hermes_pki::store::MemoryStore;
    ///
    /// let pki = Pki::new(MemoryStore::new());
    /// let mail: &[u8] = b"From: alice@example.com\r\n\r\nNot S/MIME\r\n";
    /// let mut delivered = Vec::new();
    /// let report = pki.open_from(mail, &OpenOptions::new(SystemTime::now()), &mut delivered)?;
    /// assert!(matches!(report, OpenReport::NotSmime { written } if written == mail.len() as u64));
    /// assert_eq!(delivered, mail);
    /// # Ok::<(), hermes_pki::Error>(())
    /// ```
    pub fn open_from(
        &self,
        input: impl Read,
        options: &OpenOptions,
        mut output: impl Write,
    ) -> Result<OpenReport> {
        let mut message = Vec::new();
        mime::stream::Input::new(input).read_body(&[], false, &mut message)?;
        let mut out = mime::stream::Counting {
            inner: &mut output,
            count: 0,
        };
        let peeled = self.peel(&message, options)?;
        let written = match &peeled {
            Peeled::NotSmime | Peeled::Unreadable { .. } => {
                write_as_came(&message, options.headers, &mut out)
            }
            Peeled::Processed {
                current, layers, ..
            } => write_processed(current, layers, options.headers, &mut out),
        };
        written
            .and_then(|()| out.flush())
            .map_err(mime::stream::write_failed)?;
        let written = out.count;
        Ok(match peeled {
            Peeled::NotSmime => OpenReport::NotSmime { written },
            Peeled::Unreadable { reason, layers } => OpenReport::Unreadable {
                reason,
                layers,
                written,
            },
            Peeled::Processed {
                entity_len,
                outer_header,
                senders,
                layers,
                ..
            } => OpenReport::Processed(OpenedSummary {
                written,
                entity_len,
                outer_header,
                senders,
                layers,
            }),
        })
    }

    /// Peels the layers of `message`: the answer of [`open_message`](Self::open_message) and
    /// [`open_from`](Self::open_from), before the message is given out.
    fn peel(&self, message: &[u8], options: &OpenOptions) -> Result<Peeled> {
        // A message over the MIME limits (header block, header fields, content fields and
        // their parameters) is not read further.
        if let Err(e @ Error::LimitExceeded(_)) = mime::check_limits(message) {
            return Ok(Peeled::Unreadable {
                reason: unreadable(e)?,
                layers: Vec::new(),
            });
        }
        if smime_layer(message).is_none() {
            return Ok(Peeled::NotSmime);
        }
        let (outer_head, _) = split_header(message);
        let outer_header = to_crlf(outer_head);
        let senders = sender_addresses(&outer_header);
        let smime = self.smime();
        // The gateway settings loosen (legacy ciphers) or tighten (authenticated content) the
        // options given.
        let (allow_legacy, require_authenticated) = self.store.read_transaction(|tx| {
            Ok((
                global_flag(tx, SettingKey::AllowLegacyCiphers)?,
                global_flag(tx, SettingKey::RequireAuthenticated)?,
            ))
        })?;
        let require_authenticated =
            require_authenticated || options.decrypt.authenticated_required();
        // CBC content is decrypted here and judged below (with its inner signature).
        let decrypt_options = options
            .decrypt
            .allow_legacy_ciphers(allow_legacy || options.decrypt.legacy_ciphers_allowed())
            .require_authenticated(false);
        // Set once an unauthenticated (CBC) layer is decrypted: what goes wrong inside it is
        // then the same opaque failure as a failed decryption (no padding or format oracle,
        // nothing of the decrypted header echoed).
        let mut unauthenticated = false;
        let mut layers = Vec::new();
        // What the last layer opened into (`None`: the message itself), and the length of its
        // entity (at its end).
        let mut opened: Option<Zeroizing<Vec<u8>>> = None;
        let mut entity_len = 0;
        // Self-introduction waits until every layer is open: (layer, each signer's chain).
        let mut introductions = Vec::new();
        loop {
            let current: &[u8] = opened.as_deref().map_or(message, Vec::as_slice);
            let Some(kind) = smime_layer(current) else {
                break;
            };
            if layers.len() == MAX_LAYERS {
                return Ok(Peeled::Unreadable {
                    reason: Unreadable::TooManyLayers,
                    layers,
                });
            }
            let step = match kind {
                SmimeLayer::Other => Err(Error::unsupported(
                    "S/MIME message",
                    "it is neither signed nor encrypted (certificates only, or not CMS)",
                )),
                SmimeLayer::Encrypted => {
                    // Room for the decrypted message (the content is shorter than its
                    // encoding; the outer header fields may grow by their CRLF form), so that
                    // the buffer, wiped when dropped, is never moved.
                    let room = current.len() + split_header(current).0.len() + 64;
                    let mut next = Zeroizing::new(Vec::with_capacity(room));
                    smime
                        .decrypt_to(current, &mut *next, &decrypt_options)
                        .and_then(|d| {
                            let cert = self
                                .store
                                .read_transaction(|tx| recipient_certificate(tx, &d.recipient))?;
                            Ok((
                                next,
                                d.inner_len,
                                Layer::Encrypted(EncryptedLayer {
                                    recipient: d.recipient,
                                    recipient_certificate: cert,
                                    cipher: d.cipher,
                                    authenticated: d.authenticated,
                                    weak: d.weak,
                                }),
                                Vec::new(),
                            ))
                        })
                }
                SmimeLayer::Signed => {
                    // The layer opens into one buffer (the message as it reads unsigned),
                    // without the copies a `VerifiedMessage` holds.
                    let mut next = Zeroizing::new(Vec::with_capacity(current.len()));
                    smime.verify_into(current, &mut next, &options.verify).map(
                        |(info, verdicts)| {
                            let signers = verdicts
                                .iter()
                                .zip(&info.signers)
                                .map(|(verdict, report)| SignerOutcome {
                                    certificate: verdict.certificate.clone(),
                                    verdict: judge(
                                        &report.status,
                                        verdict.certificate.as_ref(),
                                        verdict.validation.as_ref(),
                                        &senders,
                                    ),
                                    stored: Vec::new(),
                                })
                                .collect::<Vec<_>>();
                            let chains: Vec<Vec<Certificate>> = verdicts
                                .iter()
                                .map(|s| match &s.validation {
                                    Some(Validation::Valid { chain, .. }) => chain.clone(),
                                    _ => Vec::new(),
                                })
                                .collect();
                            (
                                next,
                                info.inner_len,
                                Layer::Signed(SignedLayer {
                                    form: info.form,
                                    signers,
                                }),
                                chains,
                            )
                        },
                    )
                }
            };
            match step {
                Ok((next, inner_len, layer, chains)) => {
                    if chains.iter().any(|c| !c.is_empty()) {
                        introductions.push((layers.len(), chains));
                    }
                    layers.push(layer);
                    opened = Some(next);
                    entity_len = inner_len;
                }
                Err(e) => {
                    let reason = if unauthenticated && !is_machinery(&e) {
                        Unreadable::DecryptionFailed(DECRYPTION_FAILED.into())
                    } else {
                        unreadable(e)?
                    };
                    return Ok(Peeled::Unreadable { reason, layers });
                }
            }
            if let Some(Layer::Encrypted(e)) = layers.last() {
                unauthenticated |= !e.authenticated;
            }
        }
        // Authenticated content required: every CBC layer needs a signed layer inside it
        // whose signatures all verify.
        if require_authenticated && !authenticated_throughout(&layers) {
            return Ok(Peeled::Unreadable {
                reason: Unreadable::Unsupported(
                    "the content is encrypted without authentication (CBC) and carries no \
                     inner signature that verifies; require-authenticated refuses it"
                        .into(),
                ),
                layers,
            });
        }
        // Only a message opened to the end teaches the store.
        for (i, chains) in introductions {
            if let Some(Layer::Signed(layer)) = layers.get_mut(i) {
                let signers = std::mem::take(&mut layer.signers);
                layer.signers = self.introduce(signers, &chains, &senders)?;
            }
        }
        Ok(Peeled::Processed {
            current: opened.unwrap_or_else(|| Zeroizing::new(message.to_vec())),
            entity_len,
            outer_header,
            senders,
            layers,
        })
    }

    /// Self-introduction: when the effective `add-signer-certificates` of the first sender
    /// address is on, stores each valid signer's certificate and its validated chain, in one
    /// transaction, and records what was new in each outcome.
    fn introduce(
        &self,
        mut signers: Vec<SignerOutcome>,
        chains: &[Vec<Certificate>],
        senders: &[String],
    ) -> Result<Vec<SignerOutcome>> {
        let wanted: Vec<(usize, Vec<Certificate>)> = signers
            .iter()
            .zip(chains)
            .enumerate()
            .filter(|(_, (s, chain))| s.is_valid() && !chain.is_empty())
            .map(|(i, (_, chain))| (i, chain.clone()))
            .collect();
        if wanted.is_empty() {
            return Ok(signers);
        }
        let scope = senders
            .first()
            .and_then(|s| SettingScope::user(s).ok())
            .unwrap_or(SettingScope::Global);
        let on = self.store.read_transaction(|tx| {
            Ok(effective(tx, &scope, SettingKey::AddSignerCertificates)?
                .value
                .as_flag()
                .unwrap_or(false))
        })?;
        if !on {
            return Ok(signers);
        }
        // The closure may run more than once: it only writes to the store and returns what
        // it stored; the outcomes are updated from its last run.
        let stored = self.store.transaction(|tx| {
            let mut stored = Vec::new();
            for (i, chain) in &wanted {
                let mut new = Vec::new();
                // The trust anchor is in the root store already.
                for c in chain {
                    if !tx.is_root(c.thumbprint())? && tx.put_certificate(c)? {
                        new.push(*c.thumbprint());
                    }
                }
                stored.push((*i, new));
            }
            Ok(stored)
        })?;
        for (i, new) in stored {
            if let Some(s) = signers.get_mut(i) {
                s.stored = new;
            }
        }
        Ok(signers)
    }
}

/// The certificate of a recipient identifier, when the store has one.
fn recipient_certificate(
    tx: &dyn crate::store::ReadTransaction,
    id: &RecipientId,
) -> Result<Option<Certificate>> {
    Ok(match id {
        RecipientId::IssuerSerial { issuer_der, serial } => {
            tx.certificate_by_issuer_serial(issuer_der, serial)?
        }
        RecipientId::SubjectKeyId(ski) => {
            tx.certificates_by_subject_key_id(ski)?.into_iter().next()
        }
    })
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
