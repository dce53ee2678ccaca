//! [`Pki::protect`]: the outbound operation (DESIGN.md, "The gateway's two operations").
//!
//! For the sender: the signing certificate ([`select::signing_certificate`]) when the sender's
//! effective `sign` setting is on. For each recipient: the encryption certificates
//! ([`select::encryption_certificates`]: manual, automatic and additional (escrow) ones), and
//! the recipient's effective `encrypt` setting deciding what happens without a certificate of
//! its own. Recipients that get the same thing form a group, and each group gets one message.
//!
//! [`Pki::protect_to`] is the same from a reader to a writer per group ([`ProtectSink`]);
//! [`Pki::protect`] runs on it, collecting each group's message in a `Vec`.
//!
//! Nothing is written to the store.

use std::collections::BTreeMap;
use std::fmt;
use std::io::{Read, Write};
use std::time::SystemTime;

use super::Pki;
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::select::{self, LeftOut, Why};
use crate::settings::{self, CipherPreference, EncryptPolicy, SettingKey, Source};
use crate::smime::mime::stream::{Input, write_failed};
use crate::smime::{ContentCipher, EncryptOptions, SignOptions, SignatureForm, encrypt_message_to};
use crate::store::{EmailAddress, ReadTransaction, SettingScope, StoreExt};

/// Options of [`Pki::protect`]: the time at which certificates are selected and validated
/// (also the signingTime of the signature), and the signature form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProtectOptions {
    at: SystemTime,
    form: SignatureForm,
}

impl ProtectOptions {
    /// Select, validate and sign at `at`; a detached (`multipart/signed`) signature.
    pub fn new(at: SystemTime) -> Self {
        ProtectOptions {
            at,
            form: SignatureForm::Detached,
        }
    }

    /// The signature form (default [`SignatureForm::Detached`]).
    pub fn form(mut self, form: SignatureForm) -> Self {
        self.form = form;
        self
    }

    /// The selection, validation and signing time.
    pub fn time(&self) -> SystemTime {
        self.at
    }

    /// The signature form.
    pub fn signature_form(&self) -> SignatureForm {
        self.form
    }
}

/// Why the messages are not signed.
#[derive(Debug, Clone)]
pub enum NotSigned {
    /// The sender's effective `sign` setting is off (set at this level).
    SettingOff {
        /// Where the `off` came from.
        source: Source,
    },
    /// `sign` is on, but no certificate of the sender is valid for signing with its key
    /// stored.
    NoCertificate,
}

impl fmt::Display for NotSigned {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotSigned::SettingOff { source } => write!(f, "sign is off ({source})"),
            NotSigned::NoCertificate => f.write_str(
                "sign is on, but the sender has no certificate valid for signing with a stored key",
            ),
        }
    }
}

/// Whether and how the sender signs.
#[derive(Debug, Clone)]
pub enum Signing {
    /// Every message is signed with this certificate.
    Signed {
        /// The signing certificate.
        certificate: Certificate,
        /// Why it was chosen (manual or automatic).
        why: Why,
    },
    /// The messages are not signed.
    NotSigned(NotSigned),
}

impl Signing {
    /// Whether the messages are signed.
    pub fn is_signed(&self) -> bool {
        matches!(self, Signing::Signed { .. })
    }
}

/// Why a recipient gets the message unencrypted.
#[derive(Debug, Clone)]
pub enum NotEncrypted {
    /// The recipient's effective `encrypt` setting is `never` (set at this level).
    SettingNever {
        /// Where the `never` came from.
        source: Source,
    },
    /// `encrypt = if-possible` and no certificate of the recipient's own is selected
    /// ([`RecipientOutcome::left_out`] holds the ones considered and why they were left out).
    NoCertificate,
}

impl fmt::Display for NotEncrypted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotEncrypted::SettingNever { source } => write!(f, "encrypt is never ({source})"),
            NotEncrypted::NoCertificate => f.write_str("no usable certificate"),
        }
    }
}

/// What was done for one recipient, and why.
#[derive(Debug, Clone)]
pub struct RecipientOutcome {
    /// The recipient (normalised).
    pub recipient: EmailAddress,
    /// The recipient's effective `encrypt` setting and where it came from.
    pub policy: (EncryptPolicy, Source),
    /// Whether the recipient's message is encrypted.
    pub encrypted: bool,
    /// The certificates the recipient's message is encrypted to on its account (its own and
    /// its additional ones), with why each was selected; empty when not encrypted.
    pub certificates: Vec<(Thumbprint, Why)>,
    /// The certificates considered for the recipient and left out, with why.
    pub left_out: Vec<LeftOut>,
    /// Why the recipient's message is not encrypted (`None` when it is).
    pub why_not: Option<NotEncrypted>,
    /// The index of the recipient's message in [`Protected::messages`] (for
    /// [`Pki::protect_to`]: of its group in [`ProtectReport::groups`]).
    pub message: usize,
}

/// One protected message and the recipients who get it.
#[derive(Debug, Clone)]
pub struct ProtectedMessage {
    /// The message.
    pub message: Vec<u8>,
    /// Its recipients, in the order they were given.
    pub recipients: Vec<EmailAddress>,
    /// Whether it is signed.
    pub signed: bool,
    /// The content cipher it is encrypted with (`None`: not encrypted).
    pub cipher: Option<ContentCipher>,
    /// The certificates it is encrypted to, each once (empty when not encrypted).
    pub encrypted_to: Vec<Thumbprint>,
}

/// What [`Pki::protect`] made: the messages (one per group of recipients) and, per
/// recipient, what was done and why.
#[derive(Debug, Clone)]
pub struct Protected {
    /// Whether (and with which certificate) the sender signed, or why not.
    pub signing: Signing,
    /// One message per group of recipients: encrypted groups first (by cipher setting:
    /// `aes-cbc`, `aes-gcm`, `auto`), then the unencrypted group.
    pub messages: Vec<ProtectedMessage>,
    /// Per recipient, in the order given (each address once).
    pub recipients: Vec<RecipientOutcome>,
}

/// One recipient's decision, before messages are made.
struct Decision {
    recipient: EmailAddress,
    policy: (EncryptPolicy, Source),
    selected: Vec<(Certificate, Why)>,
    left_out: Vec<LeftOut>,
    /// `Ok(cipher preference)`: encrypt; `Err(why)`: do not.
    encrypt: std::result::Result<CipherPreference, NotEncrypted>,
}

/// What the store says for one call: the signing decision and each recipient's decision.
struct Plan {
    signing: Signing,
    hash: crate::key::HashAlg,
    decisions: Vec<Decision>,
}

fn plan(
    tx: &dyn ReadTransaction,
    sender: &EmailAddress,
    recipients: &[EmailAddress],
    at: SystemTime,
) -> Result<Plan> {
    let sender_scope = SettingScope::User(sender.clone());
    let sign = settings::effective(tx, &sender_scope, SettingKey::Sign)?;
    let signing = if sign.value.as_flag().unwrap_or(true) {
        match select::signing_certificate(tx, sender, at)? {
            Some(s) => Signing::Signed {
                certificate: s.certificate,
                why: s.why,
            },
            None => Signing::NotSigned(NotSigned::NoCertificate),
        }
    } else {
        Signing::NotSigned(NotSigned::SettingOff {
            source: sign.source,
        })
    };
    let hash = settings::effective(tx, &sender_scope, SettingKey::SignatureHash)?
        .value
        .as_signature_hash()
        .unwrap_or_default()
        .hash_alg();

    let mut decisions = Vec::with_capacity(recipients.len());
    for r in recipients {
        let scope = SettingScope::User(r.clone());
        let encrypt = settings::effective(tx, &scope, SettingKey::Encrypt)?;
        let policy = (
            encrypt.value.as_encrypt().unwrap_or_default(),
            encrypt.source,
        );
        let cipher = settings::effective(tx, &scope, SettingKey::Cipher)?
            .value
            .as_cipher()
            .unwrap_or_default();
        let selection = select::encryption_certificates(tx, r, at)?;
        let has_own = selection.has_own();
        let selected: Vec<(Certificate, Why)> = selection
            .selected
            .into_iter()
            .map(|s| (s.certificate, s.why))
            .collect();
        let decision = match policy.0 {
            EncryptPolicy::Never => Err(NotEncrypted::SettingNever { source: policy.1 }),
            _ if has_own => Ok(cipher),
            _ => Err(NotEncrypted::NoCertificate),
        };
        decisions.push(Decision {
            recipient: r.clone(),
            policy,
            selected,
            left_out: selection.left_out,
            encrypt: decision,
        });
    }
    Ok(Plan {
        signing,
        hash,
        decisions,
    })
}

/// The refusal of `encrypt = required` recipients without a certificate of their own.
fn refusal(refused: &[&Decision]) -> Error {
    let parts: Vec<String> = refused
        .iter()
        .map(|d| {
            let why = if d.left_out.is_empty() {
                "no certificate for the address".to_string()
            } else {
                let all: Vec<String> = d
                    .left_out
                    .iter()
                    .map(|l| format!("{} {}", short(&l.thumbprint), l.exclusion))
                    .collect();
                format!("no usable certificate ({})", all.join("; "))
            };
            format!("{} ({}): {why}", d.recipient, d.policy.1)
        })
        .collect();
    Error::NotPermitted(format!(
        "encryption is required but not possible for {}; nothing was sent",
        parts.join(", ")
    ))
}

fn short(t: &Thumbprint) -> String {
    t.to_hex().chars().take(16).collect()
}

fn cipher_order(c: CipherPreference) -> u8 {
    match c {
        CipherPreference::AesCbc => 0,
        CipherPreference::AesGcm => 1,
        CipherPreference::Auto => 2,
    }
}

/// One group of recipients and what their message is: what [`Pki::protect_to`] tells its
/// [`ProtectSink`] before the group's first byte, and what its [`ProtectReport`] lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageGroup {
    /// The group's index: its place in [`ProtectReport::groups`] (and in
    /// [`Protected::messages`]), and [`RecipientOutcome::message`] of its recipients.
    pub index: usize,
    /// Its recipients, in the order they were given.
    pub recipients: Vec<EmailAddress>,
    /// Whether its message is signed.
    pub signed: bool,
    /// The content cipher its message is encrypted with (`None`: not encrypted).
    pub cipher: Option<ContentCipher>,
    /// The certificates its message is encrypted to, each once (empty when not encrypted).
    pub encrypted_to: Vec<Thumbprint>,
}

/// Where [`Pki::protect_to`] writes each group's message: a writer per group, asked for at the
/// group's first byte (so a call that is refused or fails before any output asks for none),
/// and handed back once the group's message is complete.
///
/// Any `FnMut(&MessageGroup) -> Result<W>` with `W: Write` is a sink (its writers are dropped
/// when their message is complete); implement the trait to get each writer back in
/// [`finish`](Self::finish) (to collect buffers, or to sync a file). The sink is taken by
/// value: to keep what it gathers, let it hold a `&mut` to where it goes.
pub trait ProtectSink {
    /// The writer of one group's message.
    type Writer: Write;

    /// The writer for `group`'s message, asked for when its first byte is ready (when its
    /// message is empty: once it is complete). Groups come one at a time, in index order.
    fn start(&mut self, group: &MessageGroup) -> Result<Self::Writer>;

    /// `group`'s message is complete (and `writer` flushed). The default drops the writer.
    fn finish(&mut self, group: &MessageGroup, writer: Self::Writer) -> Result<()> {
        let _ = (group, writer);
        Ok(())
    }
}

impl<W: Write, F: FnMut(&MessageGroup) -> Result<W>> ProtectSink for F {
    type Writer = W;

    fn start(&mut self, group: &MessageGroup) -> Result<W> {
        self(group)
    }
}

/// What [`Pki::protect_to`] did: [`Protected`] without the messages (they went to the sink).
#[derive(Debug, Clone)]
pub struct ProtectReport {
    /// Whether (and with which certificate) the sender signed, or why not.
    pub signing: Signing,
    /// The groups, in the order of [`Protected::messages`]: encrypted groups first (by cipher
    /// setting: `aes-cbc`, `aes-gcm`, `auto`), then the unencrypted group.
    pub groups: Vec<MessageGroup>,
    /// The number of bytes written for each group, in the order of [`groups`](Self::groups).
    pub written: Vec<u64>,
    /// Per recipient, in the order given (each address once).
    pub recipients: Vec<RecipientOutcome>,
}

/// One group of the plan: what is told to the sink, and how its message is made.
struct GroupPlan {
    info: MessageGroup,
    /// The recipients' certificates and the encryption options (cipher chosen); `None`: the
    /// group gets the signed or plain message.
    encrypt: Option<(Vec<Certificate>, EncryptOptions)>,
}

/// A group's output: asks the sink for the writer at the first byte, counts what is written.
/// A failure of the sink is kept (the streaming layer sees an I/O error) and reported as it
/// was.
struct GroupOut<'a, S: ProtectSink> {
    sink: &'a mut S,
    group: &'a MessageGroup,
    writer: Option<S::Writer>,
    written: u64,
    failed: Option<Error>,
}

impl<'a, S: ProtectSink> GroupOut<'a, S> {
    fn new(sink: &'a mut S, group: &'a MessageGroup) -> Self {
        GroupOut {
            sink,
            group,
            writer: None,
            written: 0,
            failed: None,
        }
    }

    /// The sink's own error when it caused `e`, else `e`.
    fn error(&mut self, e: Error) -> Error {
        self.failed.take().unwrap_or(e)
    }

    /// The group's message is complete: the writer (asked for now when nothing was written)
    /// goes back to the sink; the number of bytes written.
    fn finish(mut self) -> Result<u64> {
        let writer = match self.writer.take() {
            Some(w) => w,
            None => self.sink.start(self.group)?,
        };
        self.sink.finish(self.group, writer)?;
        Ok(self.written)
    }
}

impl<S: ProtectSink> Write for GroupOut<'_, S> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let writer = match &mut self.writer {
            Some(w) => w,
            None => match self.sink.start(self.group) {
                Ok(w) => self.writer.insert(w),
                Err(e) => {
                    let text = e.to_string();
                    self.failed = Some(e);
                    return Err(std::io::Error::other(text));
                }
            },
        };
        let n = writer.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.writer.as_mut().map_or(Ok(()), Write::flush)
    }
}

impl Pki {
    /// Signs and/or encrypts `message` (an RFC 5322 message or a MIME entity) from `sender`
    /// to `recipients` as their settings say: one message per group of recipients that get
    /// the same thing, and per recipient what was done and why.
    ///
    /// The rules:
    ///
    /// - **Signing.** `sign = on` and a signing certificate selected: every message is signed
    ///   once (the same signature in every group), with the sender's effective `signature-hash`
    ///   and the [`ProtectOptions`]' form (detached by default). `sign = on` without a usable
    ///   signing certificate is not an error: the messages go unsigned, and
    ///   [`Protected::signing`] says why ([`NotSigned::NoCertificate`]). `sign = off`: unsigned ([`NotSigned::SettingOff`]).
    /// - **Encryption, per recipient.** `encrypt = never`: the recipient gets the message
    ///   unencrypted ([`NotEncrypted::SettingNever`]). Otherwise, when a certificate of the
    ///   recipient's own (manual or automatic) is selected, the recipient gets a message encrypted
    ///   to its certificates plus its additional (escrow) certificates. Without one, `if-possible`
    ///   sends it unencrypted ([`NotEncrypted::NoCertificate`]); escrow certificates alone do not
    ///   make a recipient encrypted. `required` refuses the whole call with
    ///   [`Error::NotPermitted`] naming every such recipient and why; nothing is produced.
    /// - **Groups.** The unencrypted recipients form one group (one signed or plain message). The
    ///   encrypted recipients form one group per effective `cipher` setting (`aes-cbc`: AES-256-CBC;
    ///   `aes-gcm`: AES-256-GCM, an AuthEnvelopedData; `auto`: AES-GCM when every certificate of
    ///   the group announced it, see [`crate::smime::Smime::choose_cipher`]); that group's message
    ///   is encrypted once to the certificates of all its recipients, each once.
    ///
    /// The same as [`protect_to`](Self::protect_to) collecting each group's message in a `Vec`.
    ///
    /// Errors: [`Error::InvalidArgument`] for no recipients or an address that is not one;
    /// [`Error::NotPermitted`] naming every recipient whose `encrypt` is `required` and who
    /// has no usable certificate of its own (nothing is produced); the errors of signing and
    /// encrypting (a malformed message). Nothing is written to the store.
    pub fn protect(
        &self,
        message: &[u8],
        sender: &str,
        recipients: &[&str],
        options: &ProtectOptions,
    ) -> Result<Protected> {
        /// Each group's message in a `Vec`.
        struct Collect<'a>(&'a mut Vec<Vec<u8>>);
        impl ProtectSink for Collect<'_> {
            type Writer = Vec<u8>;
            fn start(&mut self, _: &MessageGroup) -> Result<Vec<u8>> {
                Ok(Vec::new())
            }
            fn finish(&mut self, _: &MessageGroup, writer: Vec<u8>) -> Result<()> {
                self.0.push(writer);
                Ok(())
            }
        }
        let mut collected = Vec::new();
        let report = self.protect_to(
            message,
            sender,
            recipients,
            options,
            Collect(&mut collected),
        )?;
        let messages = report
            .groups
            .into_iter()
            .zip(collected)
            .map(|(g, message)| ProtectedMessage {
                message,
                recipients: g.recipients,
                signed: g.signed,
                cipher: g.cipher,
                encrypted_to: g.encrypted_to,
            })
            .collect();
        Ok(Protected {
            signing: report.signing,
            messages,
            recipients: report.recipients,
        })
    }

    /// [`protect`](Self::protect) from a reader to a writer per group: the same rules, the same
    /// groups and the same report, with each group's message written to the writer `sink` gives
    /// for it ([`ProtectSink::start`], at the group's first byte) instead of returned.
    ///
    /// Memory: the message is read once. With one group it streams as
    /// [`Smime::sign_to`](crate::smime::Smime::sign_to) /
    /// [`encrypt_message_to`](crate::smime::encrypt_message_to) do (about one copy of the
    /// message; a plain unsigned message is copied through in chunks; signed and encrypted:
    /// the signed message, then the working copy it is encrypted in). With several groups the
    /// signed (or plain) message is held once, and each encrypted group's message is made in
    /// its own working copy (encryption is in place), one group at a time: about two copies
    /// at most, whatever the number of groups.
    ///
    /// Nothing is asked of `sink` when the call is refused (`encrypt = required` without a
    /// certificate) or fails before a group's first byte (a malformed message). A failure after
    /// that (a sink or writer that fails) leaves the groups written so far incomplete as a set:
    /// discard them. The errors: those of [`protect`](Self::protect); [`Error::Io`] when reading
    /// the input or writing fails; a sink's own error as it returned it.
    ///
    /// ```
    /// use std::time::SystemTime;
    /// use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec};
    /// use hermes_pki::key::KeySpec;
    /// use hermes_pki::pki::{MessageGroup, Pki, ProtectOptions};
    /// use hermes_pki::store::MemoryStore;
    /// use hermes_pki::time::SystemClock;
    ///
    /// # fn main() -> hermes_pki::Result<()> {
    /// let pki = Pki::new(MemoryStore::new());
    /// pki.ca().create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
    /// for who in ["alice@example.com", "bob@example.com"] {
    ///     pki.ca().issue(&IssueSpec::new(who, who).key(KeySpec::EcP256), &SystemClock)?;
    /// }
    /// let mail: &[u8] = b"From: alice@example.com\r\nTo: bob@example.com, carol@example.org\r\n\r\nHi\r\n";
    ///
    /// // Bob gets a signed and encrypted message, Carol (no certificate) a signed one: two
    /// // groups, each written to its own file (here: a temporary file per group).
    /// let dir = std::env::temp_dir().join(format!("protect-to-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).map_err(|e| hermes_pki::Error::InvalidArgument(e.to_string()))?;
    /// let file_of = |g: &MessageGroup| dir.join(format!("out.{}.eml", g.index));
    /// let report = pki.protect_to(
    ///     mail,
    ///     "alice@example.com",
    ///     &["bob@example.com", "carol@example.org"],
    ///     &ProtectOptions::new(SystemTime::now()),
    ///     |g: &MessageGroup| {
    ///         std::fs::File::create(file_of(g))
    ///             .map_err(|e| hermes_pki::Error::InvalidArgument(e.to_string()))
    ///     },
    /// )?;
    /// assert_eq!(report.groups.len(), 2);
    /// assert!(report.groups[0].cipher.is_some() && report.groups[1].cipher.is_none());
    /// let plain = std::fs::read(file_of(&report.groups[1])).unwrap_or_default();
    /// assert_eq!(plain.len() as u64, report.written[1]);
    /// # let _ = std::fs::remove_dir_all(&dir);
    /// # Ok(())
    /// # }
    /// ```
    pub fn protect_to<S: ProtectSink>(
        &self,
        input: impl Read,
        sender: &str,
        recipients: &[&str],
        options: &ProtectOptions,
        mut sink: S,
    ) -> Result<ProtectReport> {
        let sender = EmailAddress::new(sender)
            .map_err(|e| Error::InvalidArgument(format!("the sender {sender:?}: {e}")))?;
        if recipients.is_empty() {
            return Err(Error::InvalidArgument(
                "protecting a message needs at least one recipient".into(),
            ));
        }
        let mut addrs: Vec<EmailAddress> = Vec::with_capacity(recipients.len());
        for r in recipients {
            let a = EmailAddress::new(r)
                .map_err(|e| Error::InvalidArgument(format!("the recipient {r:?}: {e}")))?;
            if !addrs.contains(&a) {
                addrs.push(a);
            }
        }
        let at = options.time();
        let plan = self
            .store()
            .read_transaction(|tx| plan(tx, &sender, &addrs, at))?;

        let refused: Vec<&Decision> = plan
            .decisions
            .iter()
            .filter(|d| d.policy.0 == EncryptPolicy::Required && d.encrypt.is_err())
            .collect();
        if !refused.is_empty() {
            return Err(refusal(&refused));
        }
        let (groups, group_of) = self.groups(&plan)?;

        // Sign once; every group carries the same signature.
        let smime = self.smime();
        let signer = match &plan.signing {
            Signing::Signed { certificate, .. } => Some((
                certificate,
                SignOptions::new(at).hash(plan.hash),
                options.signature_form(),
            )),
            Signing::NotSigned(_) => None,
        };
        let mut written = Vec::with_capacity(groups.len());
        match (groups.as_slice(), signer) {
            // One group: the message streams from the input to the group's writer.
            ([g], signer) => {
                let mut out = GroupOut::new(&mut sink, &g.info);
                let made = match (&g.encrypt, signer) {
                    (None, Some((cert, sign_options, form))) => smime
                        .sign_to(input, &mut out, cert, form, &sign_options)
                        .map(drop),
                    (None, None) => Input::new(input).copy_to(&mut out),
                    (Some((certs, encrypt_options)), None) => {
                        encrypt_message_to(input, &mut out, certs, encrypt_options).map(drop)
                    }
                    (Some((certs, encrypt_options)), Some((cert, sign_options, form))) => {
                        let mut signed = Vec::new();
                        smime.sign_to(input, &mut signed, cert, form, &sign_options)?;
                        encrypt_message_to(&signed[..], &mut out, certs, encrypt_options).map(drop)
                    }
                };
                if let Err(e) = made {
                    return Err(out.error(e));
                }
                written.push(out.finish()?);
            }
            // Several groups: the signed (or plain) message is held once, and each group's
            // message made from it in turn.
            (groups, signer) => {
                let held = match signer {
                    Some((cert, sign_options, form)) => {
                        let mut signed = Vec::new();
                        smime.sign_to(input, &mut signed, cert, form, &sign_options)?;
                        signed
                    }
                    None => {
                        let mut held = Vec::new();
                        Input::new(input).read_body(&[], false, &mut held)?;
                        held
                    }
                };
                for g in groups {
                    let mut out = GroupOut::new(&mut sink, &g.info);
                    let made = match &g.encrypt {
                        Some((certs, encrypt_options)) => {
                            encrypt_message_to(&held[..], &mut out, certs, encrypt_options)
                                .map(drop)
                        }
                        None => out
                            .write_all(&held)
                            .and_then(|()| out.flush())
                            .map_err(write_failed),
                    };
                    if let Err(e) = made {
                        return Err(out.error(e));
                    }
                    written.push(out.finish()?);
                }
            }
        }

        let recipients = plan
            .decisions
            .into_iter()
            .zip(group_of)
            .map(|(d, message)| {
                let encrypted = d.encrypt.is_ok();
                RecipientOutcome {
                    recipient: d.recipient,
                    policy: d.policy,
                    encrypted,
                    certificates: if encrypted {
                        d.selected
                            .iter()
                            .map(|(c, w)| (*c.thumbprint(), *w))
                            .collect()
                    } else {
                        Vec::new()
                    },
                    left_out: d.left_out,
                    why_not: d.encrypt.err(),
                    message,
                }
            })
            .collect();
        Ok(ProtectReport {
            signing: plan.signing,
            groups: groups.into_iter().map(|g| g.info).collect(),
            written,
            recipients,
        })
    }

    /// The groups of `plan` (encrypted ones by cipher preference, then the unencrypted one),
    /// each encrypted group's certificates and cipher chosen; and each recipient's group.
    fn groups(&self, plan: &Plan) -> Result<(Vec<GroupPlan>, Vec<usize>)> {
        let signed = plan.signing.is_signed();
        let mut encrypted_groups: BTreeMap<u8, (CipherPreference, Vec<usize>)> = BTreeMap::new();
        let mut plain: Vec<usize> = Vec::new();
        for (i, d) in plan.decisions.iter().enumerate() {
            match d.encrypt {
                Ok(c) => encrypted_groups
                    .entry(cipher_order(c))
                    .or_insert_with(|| (c, Vec::new()))
                    .1
                    .push(i),
                Err(_) => plain.push(i),
            }
        }
        let recipients_of = |members: &[usize]| -> Vec<EmailAddress> {
            members
                .iter()
                .filter_map(|&i| plan.decisions.get(i).map(|d| d.recipient.clone()))
                .collect()
        };

        let mut groups = Vec::new();
        let mut group_of = vec![0usize; plan.decisions.len()];
        for (pref, members) in encrypted_groups.values() {
            let mut certs: Vec<Certificate> = Vec::new();
            for d in members.iter().filter_map(|&i| plan.decisions.get(i)) {
                for (c, _) in &d.selected {
                    if !certs.iter().any(|x| x.thumbprint() == c.thumbprint()) {
                        certs.push(c.clone());
                    }
                }
            }
            let base = match pref {
                CipherPreference::AesCbc => EncryptOptions::new().cipher(ContentCipher::Aes256Cbc),
                CipherPreference::AesGcm => EncryptOptions::new().cipher(ContentCipher::Aes256Gcm),
                CipherPreference::Auto => EncryptOptions::new(),
            };
            let encrypt_options = self.smime().choose_cipher(&certs, &base)?;
            for &i in members {
                if let Some(g) = group_of.get_mut(i) {
                    *g = groups.len();
                }
            }
            groups.push(GroupPlan {
                info: MessageGroup {
                    index: groups.len(),
                    recipients: recipients_of(members),
                    signed,
                    cipher: Some(encrypt_options.content_cipher()),
                    encrypted_to: certs.iter().map(|c| *c.thumbprint()).collect(),
                },
                encrypt: Some((certs, encrypt_options)),
            });
        }
        if !plain.is_empty() {
            for &i in &plain {
                if let Some(g) = group_of.get_mut(i) {
                    *g = groups.len();
                }
            }
            groups.push(GroupPlan {
                info: MessageGroup {
                    index: groups.len(),
                    recipients: recipients_of(&plain),
                    signed,
                    cipher: None,
                    encrypted_to: Vec::new(),
                },
                encrypt: None,
            });
        }
        Ok((groups, group_of))
    }
}

#[cfg(test)]
mod stream_tests;
#[cfg(test)]
mod tests;
