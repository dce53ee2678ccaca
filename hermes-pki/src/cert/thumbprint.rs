//! Thumbprints: SHA-256 and SHA-512 digests over a certificate's DER encoding.

use std::fmt;
use std::str::FromStr;

use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, Result};

macro_rules! thumbprint_type {
    ($name:ident, $len:expr, $hash:ty, $label:literal) => {
        #[doc = concat!("A ", $label, " thumbprint: the digest over a certificate's DER encoding.")]
        ///
        /// Displays as upper-case hex without separators; parses hex in either case, with or
        /// without `:` / space separators.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name([u8; $len]);

        impl $name {
            /// Digest of `der`.
            pub fn of(der: &[u8]) -> Self {
                let digest = <$hash>::digest(der);
                let mut out = [0u8; $len];
                out.copy_from_slice(&digest);
                $name(out)
            }

            /// From raw digest bytes (exactly the digest length).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
                let arr: [u8; $len] = bytes.try_into().map_err(|_| {
                    Error::InvalidArgument(format!(
                        concat!($label, " thumbprint must be {} bytes, got {}"),
                        $len,
                        bytes.len()
                    ))
                })?;
                Ok($name(arr))
            }

            /// The raw digest bytes.
            pub fn as_bytes(&self) -> &[u8; $len] {
                &self.0
            }

            /// Upper-case hex.
            pub fn to_hex(&self) -> String {
                hex::encode_upper(self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.to_hex())
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                let cleaned: String = s
                    .trim()
                    .chars()
                    .filter(|c| !matches!(c, ':' | ' '))
                    .collect();
                let bytes = hex::decode(&cleaned).map_err(|_| {
                    Error::InvalidArgument(concat!($label, " thumbprint is not hexadecimal").into())
                })?;
                Self::from_bytes(&bytes)
            }
        }
    };
}

thumbprint_type!(Sha256Thumbprint, 32, Sha256, "SHA-256");
thumbprint_type!(Sha512Thumbprint, 64, Sha512, "SHA-512");

/// The thumbprint that identifies a certificate in the store and the trust list: SHA-512.
pub type Thumbprint = Sha512Thumbprint;

#[cfg(test)]
mod tests;
