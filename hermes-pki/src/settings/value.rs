//! Typed setting values and their text forms.

use std::fmt;
use std::str::FromStr;

use crate::cert::Thumbprint;
use crate::error::{Error, Result};
use crate::key::HashAlg;
use crate::revocation::RevocationMode;

/// What happens when a recipient has no usable certificate (the `encrypt` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EncryptPolicy {
    /// Never encrypt.
    Never,
    /// Encrypt to every recipient that has a usable certificate; the others get the message
    /// unencrypted. The default.
    #[default]
    IfPossible,
    /// Encrypt, or refuse the message when a recipient has no usable certificate.
    Required,
}

impl EncryptPolicy {
    /// Every value, in the order help texts list them.
    pub const ALL: [EncryptPolicy; 3] = [
        EncryptPolicy::Never,
        EncryptPolicy::IfPossible,
        EncryptPolicy::Required,
    ];

    /// `never`, `if-possible` or `required`.
    pub fn as_str(self) -> &'static str {
        match self {
            EncryptPolicy::Never => "never",
            EncryptPolicy::IfPossible => "if-possible",
            EncryptPolicy::Required => "required",
        }
    }
}

/// The content encryption of new messages (the `cipher` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CipherPreference {
    /// AES-256-CBC (EnvelopedData): what every S/MIME client reads.
    AesCbc,
    /// AES-256-GCM (AuthEnvelopedData, RFC 5083/5084).
    AesGcm,
    /// From the S/MIME capabilities the recipients announced: AES-GCM when every recipient
    /// announced it, else AES-CBC. The default.
    #[default]
    Auto,
}

impl CipherPreference {
    /// Every value, in the order help texts list them.
    pub const ALL: [CipherPreference; 3] = [
        CipherPreference::AesCbc,
        CipherPreference::AesGcm,
        CipherPreference::Auto,
    ];

    /// `aes-cbc`, `aes-gcm` or `auto`.
    pub fn as_str(self) -> &'static str {
        match self {
            CipherPreference::AesCbc => "aes-cbc",
            CipherPreference::AesGcm => "aes-gcm",
            CipherPreference::Auto => "auto",
        }
    }
}

/// The digest algorithm of new signatures (the `signature-hash` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SignatureHash {
    /// SHA-256: the default, verified by every current client.
    #[default]
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl SignatureHash {
    /// Every value, in the order help texts list them.
    pub const ALL: [SignatureHash; 3] = [
        SignatureHash::Sha256,
        SignatureHash::Sha384,
        SignatureHash::Sha512,
    ];

    /// `sha256`, `sha384` or `sha512`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureHash::Sha256 => "sha256",
            SignatureHash::Sha384 => "sha384",
            SignatureHash::Sha512 => "sha512",
        }
    }

    /// The hash algorithm a [`Signer`](crate::key::Signer) is asked for.
    pub fn hash_alg(self) -> HashAlg {
        match self {
            SignatureHash::Sha256 => HashAlg::Sha256,
            SignatureHash::Sha384 => HashAlg::Sha384,
            SignatureHash::Sha512 => HashAlg::Sha512,
        }
    }
}

/// Implements `Display` and a case-insensitive `FromStr` over `ALL` / `as_str`; the error
/// names the values allowed.
macro_rules! text_enum {
    ($t:ty, $what:literal) => {
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $t {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                let t = s.trim();
                <$t>::ALL
                    .into_iter()
                    .find(|v| v.as_str().eq_ignore_ascii_case(t))
                    .ok_or_else(|| {
                        Error::InvalidArgument(format!(
                            concat!($what, " must be {}, not {:?}"),
                            one_of(&<$t>::ALL.map(|v| v.as_str())),
                            s
                        ))
                    })
            }
        }
    };
}

text_enum!(EncryptPolicy, "encrypt");
text_enum!(CipherPreference, "cipher");
text_enum!(SignatureHash, "signature-hash");

/// `"a"`, `"a or b"`, `"a, b or c"`.
pub(crate) fn one_of(values: &[&str]) -> String {
    match values {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// A typed setting value. Which variant a key takes is [`SettingKey::parse`]'s business
/// ([`SettingKey::accepts`] checks one).
///
/// [`SettingKey::parse`]: super::SettingKey::parse
/// [`SettingKey::accepts`]: super::SettingKey::accepts
///
/// Displays as it is typed and stored: `on`/`off`, the enum's name, or the thumbprints
/// separated by spaces (`none` for an empty list).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SettingValue {
    /// On (`true`) or off.
    Flag(bool),
    /// An [`EncryptPolicy`].
    Encrypt(EncryptPolicy),
    /// A [`CipherPreference`].
    Cipher(CipherPreference),
    /// A [`RevocationMode`].
    Revocation(RevocationMode),
    /// A [`SignatureHash`].
    SignatureHash(SignatureHash),
    /// SHA-512 thumbprints of certificates, without repeats.
    Thumbprints(Vec<Thumbprint>),
}

impl SettingValue {
    /// The flag, for an on/off value.
    pub fn as_flag(&self) -> Option<bool> {
        match self {
            SettingValue::Flag(b) => Some(*b),
            _ => None,
        }
    }

    /// The policy, for an `encrypt` value.
    pub fn as_encrypt(&self) -> Option<EncryptPolicy> {
        match self {
            SettingValue::Encrypt(e) => Some(*e),
            _ => None,
        }
    }

    /// The preference, for a `cipher` value.
    pub fn as_cipher(&self) -> Option<CipherPreference> {
        match self {
            SettingValue::Cipher(c) => Some(*c),
            _ => None,
        }
    }

    /// The mode, for a `revocation` value.
    pub fn as_revocation(&self) -> Option<RevocationMode> {
        match self {
            SettingValue::Revocation(r) => Some(*r),
            _ => None,
        }
    }

    /// The hash, for a `signature-hash` value.
    pub fn as_signature_hash(&self) -> Option<SignatureHash> {
        match self {
            SettingValue::SignatureHash(h) => Some(*h),
            _ => None,
        }
    }

    /// The thumbprints, for a list value.
    pub fn as_thumbprints(&self) -> Option<&[Thumbprint]> {
        match self {
            SettingValue::Thumbprints(t) => Some(t),
            _ => None,
        }
    }

    /// What kind of value this is, for messages ("on/off", "a list of thumbprints", ...).
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            SettingValue::Flag(_) => "on/off value",
            SettingValue::Encrypt(_) => "encrypt policy",
            SettingValue::Cipher(_) => "cipher",
            SettingValue::Revocation(_) => "revocation mode",
            SettingValue::SignatureHash(_) => "signature hash",
            SettingValue::Thumbprints(_) => "list of thumbprints",
        }
    }

    /// The text the store keeps (an empty list is the empty string).
    pub(crate) fn to_stored(&self) -> String {
        match self {
            SettingValue::Flag(true) => "on".into(),
            SettingValue::Flag(false) => "off".into(),
            SettingValue::Encrypt(e) => e.as_str().into(),
            SettingValue::Cipher(c) => c.as_str().into(),
            SettingValue::Revocation(r) => r.as_str().into(),
            SettingValue::SignatureHash(h) => h.as_str().into(),
            SettingValue::Thumbprints(t) => t
                .iter()
                .map(Thumbprint::to_hex)
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

impl fmt::Display for SettingValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingValue::Thumbprints(t) if t.is_empty() => f.write_str("none"),
            other => f.write_str(&other.to_stored()),
        }
    }
}

/// `on`/`off` (also `true`/`false`, `yes`/`no`, `1`/`0`), any case.
pub(crate) fn parse_flag(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Some(true),
        "off" | "false" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// Thumbprints separated by white space or commas, repeats dropped (first kept). `Err` names
/// the first word that is not a SHA-512 thumbprint.
pub(crate) fn parse_thumbprints(s: &str) -> std::result::Result<Vec<Thumbprint>, String> {
    let mut out: Vec<Thumbprint> = Vec::new();
    for word in s.split(|c: char| c.is_whitespace() || c == ',') {
        if word.is_empty() {
            continue;
        }
        let t: Thumbprint = word.parse().map_err(|_| {
            format!(
                "{:?} is not a SHA-512 thumbprint (128 hex digits)",
                word.chars().take(140).collect::<String>()
            )
        })?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}
