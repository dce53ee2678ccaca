//! [`Pki::protect`]: the outbound operation (DESIGN.md, "The gateway's two operations").
//!
//! For the sender: the signing certificate ([`select::signing_certificate`]) when the sender's
//! effective `sign` setting is on. For each recipient: the encryption certificates
//! ([`select::encryption_certificates`]: manual, automatic and additional (escrow) ones), and
//! the recipient's effective `encrypt` setting deciding what happens without a certificate of
//! its own. Recipients that get the same thing form a group, and each group gets one message.
//!
//! Nothing is written to the store.

use std::collections::BTreeMap;
use std::fmt;
use std::time::SystemTime;

use super::Pki;
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::select::{self, LeftOut, Why};
use crate::settings::{self, CipherPreference, EncryptPolicy, SettingKey, Source};
use crate::smime::{ContentCipher, EncryptOptions, SignOptions, SignatureForm};
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
    /// The index of the recipient's message in [`Protected::messages`].
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

        // Sign once; every group carries the same signature.
        let signed = match &plan.signing {
            Signing::Signed { certificate, .. } => {
                let sign_options = SignOptions::new(at).hash(plan.hash);
                Some(self.smime().sign(
                    message,
                    certificate,
                    options.signature_form(),
                    &sign_options,
                )?)
            }
            Signing::NotSigned(_) => None,
        };
        let inner: &[u8] = signed.as_deref().unwrap_or(message);

        // Encrypted groups by cipher preference, then the unencrypted group.
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

        let mut messages = Vec::new();
        let mut group_of = vec![0usize; plan.decisions.len()];
        for (pref, members) in encrypted_groups.values() {
            let mut certs: Vec<Certificate> = Vec::new();
            for &i in members {
                for (c, _) in &plan.decisions[i].selected {
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
            let smime = self.smime();
            let encrypt_options = smime.choose_cipher(&certs, &base)?;
            let out = crate::smime::encrypt_message(inner, &certs, &encrypt_options)?;
            for &i in members {
                group_of[i] = messages.len();
            }
            messages.push(ProtectedMessage {
                message: out,
                recipients: members
                    .iter()
                    .map(|&i| plan.decisions[i].recipient.clone())
                    .collect(),
                signed: signed.is_some(),
                cipher: Some(encrypt_options.content_cipher()),
                encrypted_to: certs.iter().map(|c| *c.thumbprint()).collect(),
            });
        }
        if !plain.is_empty() {
            for &i in &plain {
                group_of[i] = messages.len();
            }
            messages.push(ProtectedMessage {
                message: inner.to_vec(),
                recipients: plain
                    .iter()
                    .map(|&i| plan.decisions[i].recipient.clone())
                    .collect(),
                signed: signed.is_some(),
                cipher: None,
                encrypted_to: Vec::new(),
            });
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
        Ok(Protected {
            signing: plan.signing,
            messages,
            recipients,
        })
    }
}

#[cfg(test)]
mod tests;
