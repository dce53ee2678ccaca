//! The typed results of the facade as UniFFI records and enums: validation verdicts, what
//! `protect` did per recipient, what `open_message` found per layer and per signer, selection,
//! settings, CAs and CRLs. Conversions only; every decision is the core crate's.

use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::pki as core_pki;
use hermes_pki::select as core_select;
use hermes_pki::smime::SignatureStatus;
use hermes_pki::trust::{Reason, Validation as CoreValidation};

use crate::Certificate;

fn wrap(c: &hermes_pki::cert::Certificate) -> Arc<Certificate> {
    Certificate::wrap(c.clone())
}

/// The rule a certificate broke: one kind per `hermes_pki::trust::Reason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum ReasonKind {
    /// No chain to a trust anchor.
    NoPathToTrustAnchor,
    /// Chain building gave up (work budget).
    BudgetExceeded,
    /// The chain is longer than allowed.
    ChainTooLong,
    /// A certificate is not yet valid.
    NotYetValid,
    /// A certificate has expired.
    Expired,
    /// A signature on the chain does not verify.
    BadSignature,
    /// An issuer is not a CA.
    IssuerNotCa,
    /// An issuer may not sign certificates (keyUsage).
    IssuerCannotSignCertificates,
    /// pathLenConstraint exceeded.
    PathLengthExceeded,
    /// An unknown critical extension.
    UnknownCriticalExtension,
    /// A certificate on the chain is malformed.
    Malformed,
    /// An RFC 5280 profile rule (strict mode).
    Profile,
    /// A weak signature algorithm.
    WeakAlgorithm,
    /// A weak key.
    WeakKey,
    /// Name constraints violated.
    NameConstraints,
    /// Certificate policies not satisfied.
    Policy,
    /// A certificate is revoked.
    Revoked,
    /// The only CRL is past its nextUpdate.
    StaleCrl,
    /// No CRL covers a certificate (revocation required).
    NoRevocationInfo,
    /// A certificate is blacklisted on the trust list.
    Blacklisted,
    /// keyUsage does not allow the use.
    Usage,
    /// extendedKeyUsage does not allow the use.
    ExtendedKeyUsage,
    /// The end certificate is a CA.
    LeafIsCa,
    /// The name asked for is not in the certificate.
    NameMismatch,
    /// A reason this version of the bindings does not know yet.
    Other,
}

/// One reason a certificate is not valid: its kind, the certificate it is about, and the
/// message an admin reads.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct ValidationReason {
    /// The rule.
    pub kind: ReasonKind,
    /// The subject of the certificate it is about, when it is about one.
    pub subject: Option<String>,
    /// For `Revoked`: the CRL reason name, when the entry has one.
    pub revocation_reason: Option<String>,
    /// For `Revoked`: the revocation date; `Expired`: notAfter; `NotYetValid`: notBefore;
    /// `StaleCrl`: the CRL's nextUpdate.
    pub time: Option<SystemTime>,
    /// The full message.
    pub message: String,
}

impl From<&Reason> for ValidationReason {
    fn from(r: &Reason) -> Self {
        use ReasonKind as K;
        let mut subject = None;
        let mut revocation_reason = None;
        let mut time = None;
        let kind = match r {
            Reason::NoPathToTrustAnchor { .. } => K::NoPathToTrustAnchor,
            Reason::BudgetExceeded { .. } => K::BudgetExceeded,
            Reason::ChainTooLong { .. } => K::ChainTooLong,
            Reason::NotYetValid {
                subject: s,
                not_before,
            } => {
                subject = Some(s.clone());
                time = Some(*not_before);
                K::NotYetValid
            }
            Reason::Expired {
                subject: s,
                not_after,
            } => {
                subject = Some(s.clone());
                time = Some(*not_after);
                K::Expired
            }
            Reason::BadSignature { subject: s, .. } => {
                subject = Some(s.clone());
                K::BadSignature
            }
            Reason::IssuerNotCa { subject: s } => {
                subject = Some(s.clone());
                K::IssuerNotCa
            }
            Reason::IssuerCannotSignCertificates { subject: s } => {
                subject = Some(s.clone());
                K::IssuerCannotSignCertificates
            }
            Reason::PathLengthExceeded { subject: s, .. } => {
                subject = Some(s.clone());
                K::PathLengthExceeded
            }
            Reason::UnknownCriticalExtension { subject: s, .. } => {
                subject = Some(s.clone());
                K::UnknownCriticalExtension
            }
            Reason::Malformed { subject: s, .. } => {
                subject = Some(s.clone());
                K::Malformed
            }
            Reason::Profile { subject: s, .. } => {
                subject = Some(s.clone());
                K::Profile
            }
            Reason::WeakAlgorithm { subject: s, .. } => {
                subject = Some(s.clone());
                K::WeakAlgorithm
            }
            Reason::WeakKey { subject: s, .. } => {
                subject = Some(s.clone());
                K::WeakKey
            }
            Reason::NameConstraints { .. } => K::NameConstraints,
            Reason::Policy { .. } => K::Policy,
            Reason::Revoked {
                subject: s,
                reason,
                date,
            } => {
                subject = Some(s.clone());
                revocation_reason = reason.map(|r| r.name().to_owned());
                time = Some(*date);
                K::Revoked
            }
            Reason::StaleCrl {
                subject: s,
                next_update,
            } => {
                subject = Some(s.clone());
                time = Some(*next_update);
                K::StaleCrl
            }
            Reason::NoRevocationInfo { subject: s } => {
                subject = Some(s.clone());
                K::NoRevocationInfo
            }
            Reason::Blacklisted { subject: s, .. } => {
                subject = Some(s.clone());
                K::Blacklisted
            }
            Reason::Usage(_) => K::Usage,
            Reason::ExtendedKeyUsage { subject: s, .. } => {
                subject = Some(s.clone());
                K::ExtendedKeyUsage
            }
            Reason::LeafIsCa { subject: s } => {
                subject = Some(s.clone());
                K::LeafIsCa
            }
            Reason::NameMismatch { .. } => K::NameMismatch,
            _ => K::Other,
        };
        ValidationReason {
            kind,
            subject,
            revocation_reason,
            time,
            message: r.to_string(),
        }
    }
}

fn reasons(rs: &[Reason]) -> Vec<ValidationReason> {
    rs.iter().map(ValidationReason::from).collect()
}

/// The verdict of validating a certificate: valid with its chain, or not valid with every
/// reason. A certificate that is not valid is this record, never an error.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Validation {
    /// Whether the certificate is valid.
    pub valid: bool,
    /// When valid: the chain from the certificate (first) to the trust anchor (last).
    pub chain: Vec<Arc<Certificate>>,
    /// When valid: what the caller should still know (a stale CRL was used); usually empty.
    pub warnings: Vec<String>,
    /// When not valid: why (at least one).
    pub reasons: Vec<ValidationReason>,
}

impl From<&CoreValidation> for Validation {
    fn from(v: &CoreValidation) -> Self {
        match v {
            CoreValidation::Valid { chain, warnings } => Validation {
                valid: true,
                chain: chain.iter().map(wrap).collect(),
                warnings: warnings.iter().map(ToString::to_string).collect(),
                reasons: Vec::new(),
            },
            CoreValidation::Invalid { reasons: r } => Validation {
                valid: false,
                chain: Vec::new(),
                warnings: Vec::new(),
                reasons: reasons(r),
            },
        }
    }
}

/// What the end certificate must be good for.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Usage {
    /// S/MIME signing.
    SmimeSigning,
    /// S/MIME encryption.
    SmimeEncryption,
    /// A TLS server certificate for this DNS name or IP address.
    TlsServer {
        /// The name.
        name: String,
    },
    /// Any use: the chain is checked, the end certificate's usages are not.
    Any,
}

impl From<Usage> for hermes_pki::trust::LeafPolicy {
    fn from(u: Usage) -> Self {
        use hermes_pki::trust::{LeafPolicy, ServerName};
        match u {
            Usage::SmimeSigning => LeafPolicy::SmimeSigning,
            Usage::SmimeEncryption => LeafPolicy::SmimeEncryption,
            Usage::TlsServer { name } => LeafPolicy::TlsServer(match name.parse() {
                Ok(ip) => ServerName::Ip(ip),
                Err(_) => ServerName::Dns(name),
            }),
            Usage::Any => LeafPolicy::Any,
        }
    }
}

/// Why a certificate is selected: `manual`, `automatic` or `additional` (escrow, with the
/// level of the setting that adds it).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SelectionReason {
    /// `manual`, `automatic` or `additional`.
    pub kind: String,
    /// For `additional`: the level the setting came from (`user`, `domain`, `global`).
    pub source: Option<String>,
}

impl From<core_select::Why> for SelectionReason {
    fn from(w: core_select::Why) -> Self {
        SelectionReason {
            kind: w.as_str().to_owned(),
            source: match w {
                core_select::Why::Additional { source } => Some(source.as_str().to_owned()),
                _ => None,
            },
        }
    }
}

/// A certificate selected for a recipient or a sender, and why.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SelectedCertificate {
    /// The certificate.
    pub certificate: Arc<Certificate>,
    /// Why it was selected.
    pub why: SelectionReason,
}

/// A certificate considered and left out, and why.
#[derive(Debug, Clone, uniffi::Record)]
pub struct LeftOutCertificate {
    /// Its SHA-512 thumbprint (upper-case hex).
    pub thumbprint: String,
    /// The certificate, when stored.
    pub certificate: Option<Arc<Certificate>>,
    /// Why it was considered.
    pub why: SelectionReason,
    /// `not-stored`, `invalid`, `auto-select-off` or `no-key`.
    pub exclusion: String,
    /// For `invalid`: why it is not valid.
    pub reasons: Vec<ValidationReason>,
    /// The exclusion as an admin reads it.
    pub message: String,
}

impl From<&core_select::LeftOut> for LeftOutCertificate {
    fn from(l: &core_select::LeftOut) -> Self {
        use core_select::Exclusion;
        let (exclusion, rs) = match &l.exclusion {
            Exclusion::NotStored => ("not-stored", Vec::new()),
            Exclusion::Invalid(r) => ("invalid", reasons(r)),
            Exclusion::AutoSelectOff => ("auto-select-off", Vec::new()),
            Exclusion::NoKey => ("no-key", Vec::new()),
        };
        LeftOutCertificate {
            thumbprint: l.thumbprint.to_hex(),
            certificate: l.certificate.as_ref().map(wrap),
            why: l.why.into(),
            exclusion: exclusion.to_owned(),
            reasons: rs,
            message: l.exclusion.to_string(),
        }
    }
}

/// The encryption certificates of a recipient: selected and left out.
#[derive(Debug, Clone, uniffi::Record)]
pub struct EncryptionSelection {
    /// The recipient (normalised).
    pub recipient: String,
    /// The recipient's effective `auto-select` setting.
    pub auto_select: bool,
    /// The certificates a message to the recipient is encrypted to.
    pub selected: Vec<SelectedCertificate>,
    /// The certificates considered and left out.
    pub left_out: Vec<LeftOutCertificate>,
}

impl From<core_select::EncryptionSelection> for EncryptionSelection {
    fn from(s: core_select::EncryptionSelection) -> Self {
        EncryptionSelection {
            recipient: s.recipient.as_str().to_owned(),
            auto_select: s.auto_select,
            selected: s.selected.iter().map(selected).collect(),
            left_out: s.left_out.iter().map(LeftOutCertificate::from).collect(),
        }
    }
}

pub(crate) fn selected(s: &core_select::Selected) -> SelectedCertificate {
    SelectedCertificate {
        certificate: wrap(&s.certificate),
        why: s.why.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// protect

/// Whether and how the sender signed.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SigningOutcome {
    /// Whether every message is signed.
    pub signed: bool,
    /// The signing certificate, when signed.
    pub certificate: Option<Arc<Certificate>>,
    /// Why it was chosen, when signed.
    pub why: Option<SelectionReason>,
    /// Why not, when not signed: `setting-off` or `no-certificate`.
    pub why_not: Option<String>,
    /// Why not, as an admin reads it.
    pub why_not_message: Option<String>,
}

/// One protected message and the recipients who get it.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProtectedMessage {
    /// The message.
    pub message: Vec<u8>,
    /// Its recipients.
    pub recipients: Vec<String>,
    /// Whether it is signed.
    pub signed: bool,
    /// The content cipher (`None`: not encrypted).
    pub cipher: Option<String>,
    /// The SHA-512 thumbprints of the certificates it is encrypted to.
    pub encrypted_to: Vec<String>,
}

/// What was done for one recipient, and why.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RecipientOutcome {
    /// The recipient (normalised).
    pub recipient: String,
    /// The effective `encrypt` setting: `never`, `if-possible` or `required`.
    pub policy: String,
    /// Where that setting came from: `user`, `domain`, `global` or `default`.
    pub policy_source: String,
    /// Whether the recipient's message is encrypted.
    pub encrypted: bool,
    /// The certificates the message is encrypted to on the recipient's account, with why.
    pub certificates: Vec<RecipientCertificate>,
    /// The certificates considered and left out, with why.
    pub left_out: Vec<LeftOutCertificate>,
    /// Why not encrypted: `setting-never` or `no-certificate`.
    pub why_not: Option<String>,
    /// Why not, as an admin reads it.
    pub why_not_message: Option<String>,
    /// The index of the recipient's message in `ProtectResult.messages`.
    pub message_index: u32,
}

/// A certificate a recipient's message is encrypted to.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RecipientCertificate {
    /// SHA-512 thumbprint, upper-case hex.
    pub thumbprint: String,
    /// Why it was selected.
    pub why: SelectionReason,
}

/// What `protect` made: one message per group of recipients, and per recipient what was done.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProtectResult {
    /// Signing.
    pub signing: SigningOutcome,
    /// The messages.
    pub messages: Vec<ProtectedMessage>,
    /// Per recipient, in the order given.
    pub recipients: Vec<RecipientOutcome>,
}

fn cipher_name(c: hermes_pki::smime::ContentCipher) -> String {
    use hermes_pki::smime::ContentCipher as C;
    match c {
        C::Aes128Cbc => "aes-128-cbc",
        C::Aes256Cbc => "aes-256-cbc",
        C::Aes128Gcm => "aes-128-gcm",
        C::Aes256Gcm => "aes-256-gcm",
        _ => "other",
    }
    .to_owned()
}

impl From<core_pki::Protected> for ProtectResult {
    fn from(p: core_pki::Protected) -> Self {
        let signing = match &p.signing {
            core_pki::Signing::Signed { certificate, why } => SigningOutcome {
                signed: true,
                certificate: Some(wrap(certificate)),
                why: Some((*why).into()),
                why_not: None,
                why_not_message: None,
            },
            core_pki::Signing::NotSigned(n) => SigningOutcome {
                signed: false,
                certificate: None,
                why: None,
                why_not: Some(
                    match n {
                        core_pki::NotSigned::SettingOff { .. } => "setting-off",
                        core_pki::NotSigned::NoCertificate => "no-certificate",
                    }
                    .to_owned(),
                ),
                why_not_message: Some(n.to_string()),
            },
        };
        let messages = p
            .messages
            .into_iter()
            .map(|m| ProtectedMessage {
                message: m.message,
                recipients: m.recipients.iter().map(|r| r.as_str().to_owned()).collect(),
                signed: m.signed,
                cipher: m.cipher.map(cipher_name),
                encrypted_to: m.encrypted_to.iter().map(|t| t.to_hex()).collect(),
            })
            .collect();
        let recipients = p
            .recipients
            .iter()
            .map(|r| RecipientOutcome {
                recipient: r.recipient.as_str().to_owned(),
                policy: r.policy.0.as_str().to_owned(),
                policy_source: r.policy.1.as_str().to_owned(),
                encrypted: r.encrypted,
                certificates: r
                    .certificates
                    .iter()
                    .map(|(t, w)| RecipientCertificate {
                        thumbprint: t.to_hex(),
                        why: (*w).into(),
                    })
                    .collect(),
                left_out: r.left_out.iter().map(LeftOutCertificate::from).collect(),
                why_not: r.why_not.as_ref().map(|w| {
                    match w {
                        core_pki::NotEncrypted::SettingNever { .. } => "setting-never",
                        core_pki::NotEncrypted::NoCertificate => "no-certificate",
                    }
                    .to_owned()
                }),
                why_not_message: r.why_not.as_ref().map(ToString::to_string),
                message_index: u32::try_from(r.message).unwrap_or(u32::MAX),
            })
            .collect();
        ProtectResult {
            signing,
            messages,
            recipients,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// open

/// What a signature itself verified to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SignatureStatusKind {
    /// The signature verifies.
    Valid,
    /// The content was changed after signing.
    ContentChanged,
    /// The signed content does not match the message.
    ContentMismatch,
    /// A weak algorithm.
    WeakAlgorithm,
    /// The signature does not verify.
    BadSignature,
    /// The signer certificate was not found.
    SignerCertificateNotFound,
    /// Something not supported.
    Unsupported,
    /// A status this version of the bindings does not know yet.
    Other,
}

fn status_kind(s: &SignatureStatus) -> SignatureStatusKind {
    use SignatureStatusKind as K;
    match s {
        SignatureStatus::Valid => K::Valid,
        SignatureStatus::ContentChanged => K::ContentChanged,
        SignatureStatus::ContentMismatch => K::ContentMismatch,
        SignatureStatus::WeakAlgorithm(_) => K::WeakAlgorithm,
        SignatureStatus::BadSignature(_) => K::BadSignature,
        SignatureStatus::SignerCertificateNotFound => K::SignerCertificateNotFound,
        SignatureStatus::Unsupported(_) => K::Unsupported,
        #[allow(unreachable_patterns)]
        _ => K::Other,
    }
}

/// Why a signer is not valid.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum NotValidReason {
    /// The signature itself did not verify (or uses a weak algorithm).
    Signature {
        /// What it verified to.
        status: SignatureStatusKind,
        /// As an admin reads it.
        message: String,
    },
    /// The signer certificate is neither in the message nor in the store.
    CertificateNotFound,
    /// The signer certificate is not valid for S/MIME signing.
    Certificate {
        /// Why.
        reasons: Vec<ValidationReason>,
    },
    /// The certificate carries none of the From or Sender addresses.
    SignerIsNotSender {
        /// The certificate's addresses.
        signer: Vec<String>,
        /// The From and Sender addresses.
        senders: Vec<String>,
    },
    /// A reason this version of the bindings does not know yet.
    Other {
        /// As an admin reads it.
        message: String,
    },
}

/// One signer of a signed layer, and its verdict.
#[derive(Debug, Clone, uniffi::Record)]
pub struct SignerOutcome {
    /// Whether the signer is valid: signature, certificate, and sender all good.
    pub valid: bool,
    /// The signer certificate, when found.
    pub certificate: Option<Arc<Certificate>>,
    /// The signer's email addresses (from its certificate).
    pub addresses: Vec<String>,
    /// Every reason it is not valid (empty when valid).
    pub reasons: Vec<NotValidReason>,
    /// The reasons as an admin reads them.
    pub messages: Vec<String>,
    /// SHA-512 thumbprints of the certificates stored by self-introduction.
    pub stored: Vec<String>,
}

impl From<&core_pki::SignerOutcome> for SignerOutcome {
    fn from(s: &core_pki::SignerOutcome) -> Self {
        let (rs, messages) = match &s.verdict {
            core_pki::SignerStatus::Valid => (Vec::new(), Vec::new()),
            core_pki::SignerStatus::NotValid(list) => (
                list.iter()
                    .map(|r| match r {
                        core_pki::NotValidReason::Signature(st) => NotValidReason::Signature {
                            status: status_kind(st),
                            message: st.to_string(),
                        },
                        core_pki::NotValidReason::CertificateNotFound => {
                            NotValidReason::CertificateNotFound
                        }
                        core_pki::NotValidReason::Certificate(r) => NotValidReason::Certificate {
                            reasons: reasons(r),
                        },
                        core_pki::NotValidReason::SignerIsNotSender { signer, senders } => {
                            NotValidReason::SignerIsNotSender {
                                signer: signer.clone(),
                                senders: senders.clone(),
                            }
                        }
                        other => NotValidReason::Other {
                            message: other.to_string(),
                        },
                    })
                    .collect(),
                list.iter().map(ToString::to_string).collect(),
            ),
        };
        SignerOutcome {
            valid: s.is_valid(),
            certificate: s.certificate.as_ref().map(wrap),
            addresses: s.addresses().to_vec(),
            reasons: rs,
            messages,
            stored: s.stored.iter().map(|t| t.to_hex()).collect(),
        }
    }
}

/// One S/MIME layer, outermost first.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum Layer {
    /// An encrypted layer, decrypted.
    Encrypted {
        /// The recipient whose key opened it.
        recipient: String,
        /// The recipient's certificate, when stored.
        recipient_certificate: Option<Arc<Certificate>>,
        /// The content cipher.
        cipher: String,
        /// Whether the content was authenticated (AuthEnvelopedData).
        authenticated: bool,
        /// Weak algorithms met.
        weak: Vec<String>,
    },
    /// A signed layer, verified.
    Signed {
        /// `detached` or `opaque`.
        form: String,
        /// Whether the layer is valid: at least one signer, every signer valid.
        valid: bool,
        /// One outcome per signer.
        signers: Vec<SignerOutcome>,
    },
}

fn layers(ls: &[core_pki::Layer]) -> Vec<Layer> {
    ls.iter()
        .map(|l| match l {
            core_pki::Layer::Encrypted(e) => Layer::Encrypted {
                recipient: e.recipient.to_string(),
                recipient_certificate: e.recipient_certificate.as_ref().map(wrap),
                cipher: e.cipher.clone(),
                authenticated: e.authenticated,
                weak: e.weak.iter().map(ToString::to_string).collect(),
            },
            core_pki::Layer::Signed(s) => Layer::Signed {
                form: match s.form {
                    hermes_pki::smime::SignatureForm::Detached => "detached",
                    hermes_pki::smime::SignatureForm::Opaque => "opaque",
                }
                .to_owned(),
                valid: s.is_valid(),
                signers: s.signers.iter().map(SignerOutcome::from).collect(),
            },
        })
        .collect()
}

/// Why an S/MIME message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum UnreadableReason {
    /// Encrypted, and the store holds a key for none of its recipients.
    NoKey,
    /// Decryption failed.
    DecryptionFailed,
    /// The S/MIME structure does not parse.
    Malformed,
    /// Something this engine does not read.
    Unsupported,
    /// More S/MIME layers than allowed.
    TooManyLayers,
    /// A reason this version of the bindings does not know yet.
    Other,
}

/// An opened message: the inner message and a verdict per layer.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OpenedMessage {
    /// The message for delivery: outer header fields and the innermost entity.
    pub message: Vec<u8>,
    /// The innermost entity: what the layers protected.
    pub entity: Vec<u8>,
    /// The outer header fields (never signed).
    pub outer_header: Vec<u8>,
    /// The From and Sender addresses, as written.
    pub senders: Vec<String>,
    /// Every layer valid.
    pub valid: bool,
    /// Some layer is signed.
    pub signed: bool,
    /// Some layer is encrypted.
    pub encrypted: bool,
    /// The layers, outermost first.
    pub layers: Vec<Layer>,
    /// Every signer of every signed layer, outermost first.
    pub signers: Vec<SignerOutcome>,
}

/// What `open_message` answers: three distinct outcomes.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum Opened {
    /// Not S/MIME: the message as it came.
    NotSmime {
        /// The message.
        message: Vec<u8>,
    },
    /// S/MIME that cannot be read here.
    Unreadable {
        /// Why.
        reason: UnreadableReason,
        /// Why, as an admin reads it.
        detail: String,
        /// The layers opened before.
        layers: Vec<Layer>,
        /// The message as it came.
        message: Vec<u8>,
    },
    /// Opened.
    Processed {
        /// The opened message with its verdicts.
        opened: OpenedMessage,
    },
}

impl From<core_pki::Opened> for Opened {
    fn from(o: core_pki::Opened) -> Self {
        match o {
            core_pki::Opened::NotSmime(message) => Opened::NotSmime { message },
            core_pki::Opened::Unreadable {
                reason,
                layers: ls,
                message,
            } => Opened::Unreadable {
                reason: match &reason {
                    core_pki::Unreadable::NoKey(_) => UnreadableReason::NoKey,
                    core_pki::Unreadable::DecryptionFailed(_) => UnreadableReason::DecryptionFailed,
                    core_pki::Unreadable::Malformed(_) => UnreadableReason::Malformed,
                    core_pki::Unreadable::Unsupported(_) => UnreadableReason::Unsupported,
                    core_pki::Unreadable::TooManyLayers => UnreadableReason::TooManyLayers,
                    _ => UnreadableReason::Other,
                },
                detail: reason.to_string(),
                layers: layers(&ls),
                message,
            },
            core_pki::Opened::Processed(m) => Opened::Processed {
                opened: OpenedMessage {
                    valid: m.is_valid(),
                    signed: m.is_signed(),
                    encrypted: m.is_encrypted(),
                    signers: m.signers().map(SignerOutcome::from).collect(),
                    layers: layers(&m.layers),
                    message: m.message,
                    entity: m.entity,
                    outer_header: m.outer_header,
                    senders: m.senders,
                },
            },
        }
    }
}
