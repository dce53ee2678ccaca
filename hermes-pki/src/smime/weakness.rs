//! Weak algorithms and keys met in S/MIME, as one typed list: why a signature is refused as
//! weak ([`SignatureStatus::WeakAlgorithm`](super::SignatureStatus::WeakAlgorithm)), and what a
//! result that was read anyway reports in its `weak` list
//! ([`SignerReport::weak`](super::SignerReport::weak),
//! [`Decrypted::weak`](super::Decrypted::weak),
//! [`DecryptedMessage::weak`](super::DecryptedMessage::weak),
//! [`EncryptedLayer::weak`](crate::pki::EncryptedLayer::weak)).
//!
//! [`Weakness`]'s `Display` is the text shown to people (the CLI, the bindings' strings).

use std::fmt;

#[cfg(test)]
mod tests;

/// Something weak about a signature or an encrypted message.
///
/// A refused signature is [`SignatureStatus::WeakAlgorithm`](super::SignatureStatus::WeakAlgorithm)
/// with [`BrokenHash`](Self::BrokenHash), [`Sha1`](Self::Sha1),
/// [`ShortRsaKey`](Self::ShortRsaKey) or [`Other`](Self::Other). The `weak` lists of results
/// hold [`Sha1Digest`](Self::Sha1Digest), [`Sha1SignatureHash`](Self::Sha1SignatureHash),
/// [`SmallRsaSignerKey`](Self::SmallRsaSignerKey) (signatures),
/// [`LegacyContentCipher`](Self::LegacyContentCipher) and
/// [`SmallRsaKeyTransport`](Self::SmallRsaKeyTransport) (encrypted messages).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Weakness {
    /// A broken hash function (MD2, MD4, MD5) as the digest or in the signature algorithm;
    /// `name` says which.
    BrokenHash {
        /// The hash function's name (`MD5`).
        name: &'static str,
    },
    /// SHA-1, which [`SignerPolicy::allow_sha1`](super::SignerPolicy::allow_sha1) refuses here.
    Sha1,
    /// An RSA signer key shorter than
    /// [`SignerPolicy::min_rsa_bits`](super::SignerPolicy::min_rsa_bits).
    ShortRsaKey {
        /// The key's modulus size.
        bits: usize,
        /// The smallest size accepted.
        minimum: usize,
    },
    /// Another weakness the signature check reported, in its words.
    Other(String),
    /// A signature whose digest algorithm is SHA-1 (accepted by the policy): `SHA-1 digest`.
    Sha1Digest,
    /// A signature algorithm hashing with SHA-1 over a stronger digest (accepted by the
    /// policy): `SHA-1 signature hash`.
    Sha1SignatureHash,
    /// An RSA signer key below 2048 bits, or below the policy's minimum: `RSA-1024 signer key`.
    SmallRsaSignerKey {
        /// The key's modulus size.
        bits: usize,
    },
    /// Content encrypted with an old cipher (read because the options allow it):
    /// `3DES-CBC content encryption`.
    LegacyContentCipher(LegacyCipher),
    /// The content key sent to an RSA key below 2048 bits:
    /// `RSA key transport with a 1024-bit key`.
    SmallRsaKeyTransport {
        /// The key's modulus size.
        bits: usize,
    },
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Weakness::BrokenHash { name } => write!(f, "{name}, a broken hash function"),
            Weakness::Sha1 => f.write_str("SHA-1, which this configuration refuses"),
            Weakness::ShortRsaKey { bits, minimum } => write!(
                f,
                "an RSA-{bits} signer key (at least {minimum} bits are required)"
            ),
            Weakness::Other(why) => f.write_str(why),
            Weakness::Sha1Digest => f.write_str("SHA-1 digest"),
            Weakness::Sha1SignatureHash => f.write_str("SHA-1 signature hash"),
            Weakness::SmallRsaSignerKey { bits } => write!(f, "RSA-{bits} signer key"),
            Weakness::LegacyContentCipher(cipher) => write!(f, "{cipher} content encryption"),
            Weakness::SmallRsaKeyTransport { bits } => {
                write!(f, "RSA key transport with a {bits}-bit key")
            }
        }
    }
}

/// An old content cipher, read (when allowed) but never written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum LegacyCipher {
    /// des-ede3-cbc: `3DES-CBC`.
    DesEde3Cbc,
    /// des-cbc: `DES-CBC`.
    DesCbc,
    /// rc2-cbc with an effective key size: `RC2-CBC (40-bit)`.
    Rc2Cbc {
        /// The effective key size in bits.
        bits: u16,
    },
}

impl fmt::Display for LegacyCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LegacyCipher::DesEde3Cbc => f.write_str("3DES-CBC"),
            LegacyCipher::DesCbc => f.write_str("DES-CBC"),
            LegacyCipher::Rc2Cbc { bits } => write!(f, "RC2-CBC ({bits}-bit)"),
        }
    }
}
