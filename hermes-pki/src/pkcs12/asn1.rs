//! The little ASN.1 PKCS#12 needs: a cursor over DER elements with PKCS#12's error messages, on
//! top of the crate's one DER reader and writer ([`crate::tlv`]). BER input (Windows
//! writes PKCS#12 with indefinite lengths and constructed OCTET STRINGs) is first converted with
//! [`crate::ber::to_der_secret`].
//!
//! Only low tag numbers (< 31) occur in PKCS#12; anything else is refused as malformed.

use der::asn1::ObjectIdentifier;

use crate::error::{Error, Result};
use crate::tlv;

pub(super) const TAG_INTEGER: u8 = tlv::INTEGER;
pub(super) const TAG_OCTET_STRING: u8 = tlv::OCTET_STRING;
pub(super) const TAG_OID: u8 = tlv::OID;
pub(super) const TAG_BMP_STRING: u8 = 0x1E;
pub(super) const TAG_UTF8_STRING: u8 = 0x0C;
pub(super) const TAG_SEQUENCE: u8 = tlv::SEQUENCE;
pub(super) const TAG_SET: u8 = tlv::SET;
/// `[0]` constructed (EXPLICIT tagging).
pub(super) const TAG_CONTEXT_0: u8 = tlv::context_tag(0, true);
/// `[0]` primitive (IMPLICIT OCTET STRING).
pub(super) const TAG_CONTEXT_0_PRIMITIVE: u8 = tlv::context_tag(0, false);

/// What errors of this module are about.
pub(super) const WHAT: &str = "PKCS#12 file";

/// [`Error::Malformed`] about the PKCS#12 file.
pub(super) fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed(WHAT, detail)
}

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub(super) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
}

/// Reads DER elements one after the other.
pub(super) struct Reader<'a> {
    data: &'a [u8],
}

impl<'a> Reader<'a> {
    /// A reader over the concatenated elements in `data`.
    pub(super) fn new(data: &'a [u8]) -> Self {
        Reader { data }
    }

    /// Whether every element has been read.
    pub(super) fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The next element, read with the crate's one DER reader ([`crate::tlv`]); high tag
    /// numbers and end-of-contents markers are refused here, BER forms by [`crate::tlv`].
    pub(super) fn next(&mut self) -> Result<Tlv<'a>> {
        match self.data.first() {
            None => return Err(malformed("truncated element")),
            Some(0) => return Err(malformed("unexpected end-of-contents marker")),
            Some(t) if t & 0x1F == 0x1F => {
                return Err(malformed(
                    "element with a high tag number (not used by PKCS#12)",
                ));
            }
            Some(_) => {}
        }
        let element = tlv::leading(self.data).map_err(malformed)?;
        let tag = element.raw.first().copied().unwrap_or_default();
        self.data = self.data.get(element.raw.len()..).unwrap_or_default();
        Ok(Tlv {
            tag,
            value: element.value,
        })
    }

    /// The next element, which must have tag `tag`.
    pub(super) fn expect(&mut self, tag: u8, what: &str) -> Result<Tlv<'a>> {
        let tlv = self.next()?;
        if tlv.tag != tag {
            return Err(malformed(format!(
                "{what}: expected tag 0x{tag:02X}, found 0x{:02X}",
                tlv.tag
            )));
        }
        Ok(tlv)
    }

    /// The next element if it has tag `tag`.
    pub(super) fn optional(&mut self, tag: u8) -> Result<Option<Tlv<'a>>> {
        if self.data.first() == Some(&tag) {
            self.next().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Fails unless every element has been read.
    pub(super) fn finish(&self, what: &str) -> Result<()> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!("unexpected data at the end of {what}")))
        }
    }
}

/// The single element spanning all of `data`, with tag `tag`.
pub(super) fn single<'a>(data: &'a [u8], tag: u8, what: &str) -> Result<Tlv<'a>> {
    let mut r = Reader::new(data);
    let tlv = r.expect(tag, what)?;
    r.finish(what)?;
    Ok(tlv)
}

/// Reads an OBJECT IDENTIFIER element.
pub(super) fn read_oid(r: &mut Reader<'_>, what: &str) -> Result<ObjectIdentifier> {
    let tlv = r.expect(TAG_OID, what)?;
    ObjectIdentifier::from_bytes(tlv.value).map_err(|e| malformed(format!("{what}: {e}")))
}

/// The value of a non-negative INTEGER, saturated at `u64::MAX`.
pub(super) fn integer_u64(value: &[u8], what: &str) -> Result<u64> {
    match value.first() {
        None => Err(malformed(format!("{what}: empty INTEGER"))),
        Some(b) if b & 0x80 != 0 => Err(malformed(format!("{what} is negative"))),
        Some(_) => {
            let start = value.iter().position(|b| *b != 0).unwrap_or(value.len());
            let digits = value.get(start..).unwrap_or_default();
            if digits.len() > 8 {
                return Ok(u64::MAX);
            }
            Ok(digits
                .iter()
                .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
        }
    }
}

#[cfg(test)]
mod tests;
