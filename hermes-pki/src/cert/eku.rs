//! [`Eku`]: one extended key usage purpose (RFC 5280 section 4.2.1.12), a newtype over its
//! object identifier.

use std::fmt;
use std::str::FromStr;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{
    ANY_EXTENDED_KEY_USAGE, ID_KP_CLIENT_AUTH, ID_KP_CODE_SIGNING, ID_KP_EMAIL_PROTECTION,
    ID_KP_SERVER_AUTH,
};

use crate::error::{Error, Result};

/// An extended key usage purpose (a `KeyPurposeId` of RFC 5280 section 4.2.1.12): what a
/// certificate's extendedKeyUsage lists, and what validation may require of the end
/// certificate.
///
/// Any OID is an `Eku`; the ones the crate uses by name are constants. [`Display`](fmt::Display)
/// writes the dotted OID (`1.3.6.1.5.5.7.3.4`), the form the CLI and the bindings show;
/// [`FromStr`] reads it back.
///
/// ```
/// use hermes_pki::cert::Eku;
///
/// assert_eq!(Eku::EMAIL_PROTECTION.to_string(), "1.3.6.1.5.5.7.3.4");
/// assert_eq!("1.3.6.1.5.5.7.3.1".parse::<Eku>().unwrap(), Eku::SERVER_AUTH);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Eku(ObjectIdentifier);

impl Eku {
    /// id-kp-serverAuth (1.3.6.1.5.5.7.3.1): TLS server authentication.
    pub const SERVER_AUTH: Eku = Eku(ID_KP_SERVER_AUTH);
    /// id-kp-clientAuth (1.3.6.1.5.5.7.3.2): TLS client authentication.
    pub const CLIENT_AUTH: Eku = Eku(ID_KP_CLIENT_AUTH);
    /// id-kp-codeSigning (1.3.6.1.5.5.7.3.3): signing of downloadable executable code.
    pub const CODE_SIGNING: Eku = Eku(ID_KP_CODE_SIGNING);
    /// id-kp-emailProtection (1.3.6.1.5.5.7.3.4): S/MIME, what mail certificates carry.
    pub const EMAIL_PROTECTION: Eku = Eku(ID_KP_EMAIL_PROTECTION);
    /// anyExtendedKeyUsage (2.5.29.37.0): any purpose.
    pub const ANY: Eku = Eku(ANY_EXTENDED_KEY_USAGE);

    /// The purpose with this OID.
    pub const fn new(oid: ObjectIdentifier) -> Self {
        Eku(oid)
    }

    /// The purpose's OID.
    pub const fn oid(&self) -> ObjectIdentifier {
        self.0
    }
}

impl From<ObjectIdentifier> for Eku {
    fn from(oid: ObjectIdentifier) -> Self {
        Eku(oid)
    }
}

impl From<Eku> for ObjectIdentifier {
    fn from(eku: Eku) -> Self {
        eku.0
    }
}

impl fmt::Display for Eku {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Eku {
    type Err = Error;

    /// Parses a dotted OID (`1.3.6.1.5.5.7.3.4`).
    ///
    /// Errors with [`Error::Malformed`] when `s` is not one.
    fn from_str(s: &str) -> Result<Self> {
        ObjectIdentifier::new(s)
            .map(Eku)
            .map_err(|e| Error::malformed("extended key usage OID", e))
    }
}

#[cfg(test)]
mod tests;
