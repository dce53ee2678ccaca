//! The setting keys: name, meaning, values allowed, default, levels.

use std::fmt;
use std::str::FromStr;

use super::value::{
    CipherPreference, EncryptPolicy, SettingValue, SignatureHash, one_of, parse_flag,
    parse_thumbprints,
};
use crate::error::{Error, Result};
use crate::revocation::RevocationMode;

/// A setting. Each has a default, a text form (`sign`, `encrypt`, ...) and the values it takes;
/// [`Settings`](super::Settings) stores them per scope and looks them up user → domain →
/// global, each key on its own.
///
/// ```
/// use hermes_pki::settings::{SettingKey, SettingValue};
///
/// let key: SettingKey = "encrypt".parse()?;
/// assert_eq!(key.parse("required")?.to_string(), "required");
/// let err = key.parse("always").unwrap_err();
/// assert!(err.to_string().contains("never, if-possible or required"));
/// assert_eq!(SettingKey::Sign.default_value(), SettingValue::Flag(true));
/// # Ok::<(), hermes_pki::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum SettingKey {
    /// `sign` (on/off, default on): sign outgoing mail when the sender has a valid signing
    /// certificate with its private key.
    Sign,
    /// `encrypt` ([`EncryptPolicy`], default `if-possible`): what happens when a recipient has
    /// no usable certificate.
    Encrypt,
    /// `auto-select` (on/off, default on): encrypt to every valid certificate carrying the
    /// recipient's address, besides the certificates chosen by hand.
    AutoSelect,
    /// `additional-certificates` (SHA-512 thumbprints, default none): escrow certificates every
    /// encrypted message is also encrypted to. The lists of the user, the domain and global add
    /// up.
    AdditionalCertificates,
    /// `add-signer-certificates` (on/off, default on): store the certificates (and chains) of
    /// the valid signers of incoming mail (self-introduction).
    AddSignerCertificates,
    /// `cipher` ([`CipherPreference`], default `auto`): the content encryption of new
    /// messages.
    Cipher,
    /// `revocation` ([`RevocationMode`], default `best-effort`; global only): what a missing or
    /// unusable CRL means for validation.
    Revocation,
    /// `signature-hash` ([`SignatureHash`], default `sha256`): the digest of new signatures.
    SignatureHash,

    // --- Hardening of inbound mail (issue 20); all global only --------------------------------
    /// `allow-legacy-ciphers` (on/off, default off; global only): decrypt incoming mail in
    /// 3DES, DES or RC2 (reported as weak). Off: such mail is unreadable (not permitted).
    AllowLegacyCiphers,
    /// `require-authenticated` (on/off, default off; global only): decrypted content must be
    /// authenticated: AES-GCM, or CBC only when an inner signature verifies. Off: CBC content
    /// is accepted unsigned.
    RequireAuthenticated,
    /// `allow-sha1` (on/off, default off; global only): SHA-1 in CMS signatures, and in
    /// certificate and CRL signatures below the trust anchor, is accepted (reported as weak)
    /// for old mail. Off: such a signature is "not valid (weak)".
    AllowSha1,
    /// `crl-fetch-allow-private` (on/off, default off; global only): CRL distribution points
    /// whose host resolves to a loopback, private, link-local or other non-public address may
    /// be fetched (a CRL server on the internal network). Off: such a URL is refused
    /// ([`FetchError::ForbiddenAddress`](crate::crl::FetchError::ForbiddenAddress)).
    CrlFetchAllowPrivate,
}

impl SettingKey {
    /// Every key, in the order listings show them.
    pub const ALL: [SettingKey; 12] = [
        SettingKey::Sign,
        SettingKey::Encrypt,
        SettingKey::AutoSelect,
        SettingKey::AdditionalCertificates,
        SettingKey::AddSignerCertificates,
        SettingKey::Cipher,
        SettingKey::Revocation,
        SettingKey::SignatureHash,
        SettingKey::AllowLegacyCiphers,
        SettingKey::RequireAuthenticated,
        SettingKey::AllowSha1,
        SettingKey::CrlFetchAllowPrivate,
    ];

    /// The key as typed and stored (`sign`, `auto-select`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            SettingKey::Sign => "sign",
            SettingKey::Encrypt => "encrypt",
            SettingKey::AutoSelect => "auto-select",
            SettingKey::AdditionalCertificates => "additional-certificates",
            SettingKey::AddSignerCertificates => "add-signer-certificates",
            SettingKey::Cipher => "cipher",
            SettingKey::Revocation => "revocation",
            SettingKey::SignatureHash => "signature-hash",
            SettingKey::AllowLegacyCiphers => "allow-legacy-ciphers",
            SettingKey::RequireAuthenticated => "require-authenticated",
            SettingKey::AllowSha1 => "allow-sha1",
            SettingKey::CrlFetchAllowPrivate => "crl-fetch-allow-private",
        }
    }

    /// What the setting does, in one line.
    pub fn description(self) -> &'static str {
        match self {
            SettingKey::Sign => {
                "sign outgoing mail when the sender has a valid signing certificate with its key"
            }
            SettingKey::Encrypt => {
                "when a recipient has no usable certificate: never encrypt, encrypt to those who \
                 have one (if-possible), or refuse the message (required)"
            }
            SettingKey::AutoSelect => {
                "encrypt to every valid certificate carrying the recipient's address, besides \
                 those chosen by hand"
            }
            SettingKey::AdditionalCertificates => {
                "escrow certificates every encrypted message is also encrypted to; the user's, \
                 the domain's and the global lists add up"
            }
            SettingKey::AddSignerCertificates => {
                "store the certificates of valid signers of incoming mail (self-introduction)"
            }
            SettingKey::Cipher => {
                "content encryption of new messages; auto: from the recipients' announced \
                 capabilities"
            }
            SettingKey::Revocation => {
                "no usable CRL for a certificate: valid with a warning (best-effort) or not \
                 valid (required)"
            }
            SettingKey::SignatureHash => "the digest algorithm of new signatures",
            SettingKey::AllowLegacyCiphers => {
                "decrypt incoming mail encrypted with 3DES, DES or RC2 (reported as weak)"
            }
            SettingKey::RequireAuthenticated => {
                "accept decrypted content only when authenticated: AES-GCM, or CBC with an \
                 inner signature that verifies"
            }
            SettingKey::AllowSha1 => {
                "accept SHA-1 in mail signatures and in certificate and CRL signatures below the \
                 trust anchor (reported as weak), for old mail"
            }
            SettingKey::CrlFetchAllowPrivate => {
                "fetch CRLs from hosts with loopback, private, link-local or other non-public \
                 addresses (a CRL server on the internal network)"
            }
        }
    }

    /// The values the key takes, as help texts and error messages say them.
    pub fn allowed(self) -> String {
        match self {
            SettingKey::Sign
            | SettingKey::AutoSelect
            | SettingKey::AddSignerCertificates
            | SettingKey::AllowLegacyCiphers
            | SettingKey::RequireAuthenticated
            | SettingKey::AllowSha1
            | SettingKey::CrlFetchAllowPrivate => "on or off".into(),
            SettingKey::Encrypt => one_of(&EncryptPolicy::ALL.map(EncryptPolicy::as_str)),
            SettingKey::Cipher => one_of(&CipherPreference::ALL.map(CipherPreference::as_str)),
            SettingKey::Revocation => one_of(&[
                RevocationMode::BestEffort.as_str(),
                RevocationMode::Required.as_str(),
            ]),
            SettingKey::SignatureHash => one_of(&SignatureHash::ALL.map(SignatureHash::as_str)),
            SettingKey::AdditionalCertificates => {
                "one or more SHA-512 thumbprints of stored certificates".into()
            }
        }
    }

    /// The value when no level sets one.
    pub fn default_value(self) -> SettingValue {
        match self {
            SettingKey::Sign | SettingKey::AutoSelect | SettingKey::AddSignerCertificates => {
                SettingValue::Flag(true)
            }
            SettingKey::AllowLegacyCiphers
            | SettingKey::RequireAuthenticated
            | SettingKey::AllowSha1
            | SettingKey::CrlFetchAllowPrivate => SettingValue::Flag(false),
            SettingKey::Encrypt => SettingValue::Encrypt(EncryptPolicy::default()),
            SettingKey::Cipher => SettingValue::Cipher(CipherPreference::default()),
            SettingKey::Revocation => SettingValue::Revocation(RevocationMode::default()),
            SettingKey::SignatureHash => SettingValue::SignatureHash(SignatureHash::default()),
            SettingKey::AdditionalCertificates => SettingValue::Thumbprints(Vec::new()),
        }
    }

    /// Whether the key is set only globally (not per domain or user): `revocation`.
    pub fn is_global_only(self) -> bool {
        matches!(
            self,
            SettingKey::Revocation
                | SettingKey::AllowLegacyCiphers
                | SettingKey::RequireAuthenticated
                | SettingKey::AllowSha1
                | SettingKey::CrlFetchAllowPrivate
        )
    }

    /// Whether the key holds a list whose values at every level add up
    /// (`additional-certificates`), rather than the most specific level winning.
    pub fn is_list(self) -> bool {
        matches!(self, SettingKey::AdditionalCertificates)
    }

    /// Whether `value` is of the kind this key takes.
    pub fn accepts(self, value: &SettingValue) -> bool {
        matches!(
            (self, value),
            (
                SettingKey::Sign
                    | SettingKey::AutoSelect
                    | SettingKey::AddSignerCertificates
                    | SettingKey::AllowLegacyCiphers
                    | SettingKey::RequireAuthenticated
                    | SettingKey::AllowSha1
                    | SettingKey::CrlFetchAllowPrivate,
                SettingValue::Flag(_)
            ) | (SettingKey::Encrypt, SettingValue::Encrypt(_))
                | (SettingKey::Cipher, SettingValue::Cipher(_))
                | (SettingKey::Revocation, SettingValue::Revocation(_))
                | (SettingKey::SignatureHash, SettingValue::SignatureHash(_))
                | (
                    SettingKey::AdditionalCertificates,
                    SettingValue::Thumbprints(_)
                )
        )
    }

    /// Parses a value of this key from text: `on`/`off` (also `true`/`false`, `yes`/`no`),
    /// the names of the enum values (any case), or thumbprints separated by spaces or commas.
    /// [`Error::InvalidArgument`] names the key and the values it takes. An empty list is
    /// refused (unset the key instead).
    pub fn parse(self, text: &str) -> Result<SettingValue> {
        let bad = |detail: String| {
            Error::InvalidArgument(format!("{self} must be {}: {detail}", self.allowed()))
        };
        let not = || {
            bad(format!(
                "not {:?}",
                text.chars().take(140).collect::<String>()
            ))
        };
        match self {
            SettingKey::Sign
            | SettingKey::AutoSelect
            | SettingKey::AddSignerCertificates
            | SettingKey::AllowLegacyCiphers
            | SettingKey::RequireAuthenticated
            | SettingKey::AllowSha1
            | SettingKey::CrlFetchAllowPrivate => {
                parse_flag(text).map(SettingValue::Flag).ok_or_else(not)
            }
            SettingKey::Encrypt => text.parse().map(SettingValue::Encrypt).map_err(|_| not()),
            SettingKey::Cipher => text.parse().map(SettingValue::Cipher).map_err(|_| not()),
            SettingKey::Revocation => text
                .trim()
                .to_ascii_lowercase()
                .parse()
                .map(SettingValue::Revocation)
                .map_err(|_| not()),
            SettingKey::SignatureHash => text
                .parse()
                .map(SettingValue::SignatureHash)
                .map_err(|_| not()),
            SettingKey::AdditionalCertificates => {
                let list = parse_thumbprints(text).map_err(bad)?;
                if list.is_empty() {
                    return Err(bad(
                        "the list is empty; to clear it, unset the key instead".into()
                    ));
                }
                Ok(SettingValue::Thumbprints(list))
            }
        }
    }
}

impl fmt::Display for SettingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SettingKey {
    type Err = Error;

    /// A key from its text form, any case. [`Error::InvalidArgument`] lists the keys.
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim();
        SettingKey::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(t))
            .ok_or_else(|| {
                Error::InvalidArgument(format!(
                    "{:?} is not a setting; the settings are {}",
                    s.chars().take(80).collect::<String>(),
                    one_of(&SettingKey::ALL.map(SettingKey::as_str))
                ))
            })
    }
}
