//! The DER of EnvelopedData / AuthEnvelopedData: object identifiers, the writers of
//! [`crate::tlv`] with the few EnvelopedData needs on top, and a reader that keeps the exact
//! bytes of what it walks (issuer names, key wrap algorithm identifiers and authenticated
//! attributes are used as they were in the message).

use der::Tag;
use der::asn1::ObjectIdentifier as Oid;

use crate::error::{Error, Result};
use crate::tlv::{self, Tlv};
pub(super) use crate::tlv::{octet_string, oid, sequence, set_of, tlv};

// The OIDs EnvelopedData and AuthEnvelopedData use (declared once, in `cert::oid`).
pub(super) use crate::cert::oid::{
    AES128_CBC, AES128_CCM, AES128_GCM, AES128_WRAP, AES192_CBC, AES192_GCM, AES192_WRAP,
    AES256_CBC, AES256_CCM, AES256_GCM, AES256_WRAP, DES_CBC, DES_EDE3_CBC, EC_PUBLIC_KEY,
    ECDH_COFACTOR_SHA1, ECDH_COFACTOR_SHA224, ECDH_COFACTOR_SHA256, ECDH_COFACTOR_SHA384,
    ECDH_COFACTOR_SHA512, ECDH_STD_SHA1, ECDH_STD_SHA224, ECDH_STD_SHA256, ECDH_STD_SHA384,
    ECDH_STD_SHA512, ID_AUTH_ENVELOPED_DATA, ID_DATA, ID_ENVELOPED_DATA, ID_SIGNED_DATA, MGF1,
    P_SPECIFIED, P256, P384, RC2_CBC, RSA_ENCRYPTION, RSAES_OAEP, SHA1, SHA256, SHA384, SHA512,
};

/// What the parse errors of this module call the input.
pub(super) const WHAT: &str = "CMS message";

/// [`Error::Malformed`] for the CMS message.
pub(super) fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed(WHAT, detail)
}

/// A readable name for an OID given as its DER contents octets: the registered name when known,
/// with the dotted form.
pub(super) fn oid_name_bytes(value: &[u8]) -> String {
    match Oid::from_bytes(value) {
        Ok(oid) => oid_name(&oid),
        Err(_) => format!("an invalid object identifier ({})", hex::encode(value)),
    }
}

pub(super) use crate::cert::oid::oid_name;

// ---------------------------------------------------------------------------------------------
// Writing

/// The DER length octets of `len` (as [`crate::tlv::push_length`] writes them).
pub(super) fn length(len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(tlv::length_len(len));
    tlv::push_length(&mut out, len);
    out
}

/// A small non-negative INTEGER (0..=127).
pub(super) fn small_integer(value: u8) -> Vec<u8> {
    tlv::integer(u32::from(value & 0x7F))
}

/// `AlgorithmIdentifier { oid, parameters }` (`params` is a whole element, or absent).
pub(super) fn algorithm(id: &Oid, params: Option<&[u8]>) -> Vec<u8> {
    match params {
        Some(p) => sequence(&[&oid(id), p]),
        None => sequence(&[&oid(id)]),
    }
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Consecutive elements of some contents octets, read one at a time (so a count limit stops the
/// work, not only the result).
pub(super) struct Elements<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Elements<'a> {
    /// The elements of `value`, reported as parts of `what`.
    pub(super) fn new(value: &'a [u8], what: &'static str) -> Self {
        Elements { rest: value, what }
    }

    /// The next element, if any.
    pub(super) fn next_element(&mut self) -> Result<Option<Tlv<'a>>> {
        if self.rest.is_empty() {
            return Ok(None);
        }
        let el = tlv::leading(self.rest).map_err(|e| malformed(format!("{}: {e}", self.what)))?;
        self.rest = self.rest.get(el.raw.len()..).unwrap_or_default();
        Ok(Some(el))
    }

    /// The next element, which must exist and carry `tag`; `name` says what it is.
    pub(super) fn expect(&mut self, tag: Tag, name: &str) -> Result<Tlv<'a>> {
        match self.next_element()? {
            Some(el) if el.tag == tag => Ok(el),
            Some(el) => Err(malformed(format!(
                "{}: expected {name} ({tag}), found {}",
                self.what, el.tag
            ))),
            None => Err(malformed(format!("{}: {name} is missing", self.what))),
        }
    }

    /// The next element if it is the context-specific `[number]` (constructed as given).
    pub(super) fn optional_context(
        &mut self,
        number: u32,
        constructed: bool,
    ) -> Result<Option<Tlv<'a>>> {
        match tlv::leading(self.rest) {
            Ok(el) if tlv::is_context(el.tag, number, constructed) => self.next_element(),
            _ => Ok(None),
        }
    }

    /// The next element if it carries `tag`.
    pub(super) fn optional(&mut self, tag: Tag) -> Result<Option<Tlv<'a>>> {
        match tlv::leading(self.rest) {
            Ok(el) if el.tag == tag => self.next_element(),
            _ => Ok(None),
        }
    }

    /// Fails unless everything has been read.
    pub(super) fn finish(&self) -> Result<()> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(malformed(format!(
                "{}: unexpected data after the last field",
                self.what
            )))
        }
    }
}

/// Exactly one element spanning `input`, with tag `tag`.
pub(super) fn single<'a>(input: &'a [u8], tag: Tag, what: &'static str) -> Result<Tlv<'a>> {
    let el = tlv::single(input).map_err(|e| malformed(format!("{what}: {e}")))?;
    if el.tag != tag {
        return Err(malformed(format!(
            "{what}: expected {tag}, found {}",
            el.tag
        )));
    }
    Ok(el)
}

/// An AlgorithmIdentifier: the OID's contents octets and the raw parameters element, if any.
pub(super) struct AlgId<'a> {
    /// The OID (contents octets).
    pub oid: &'a [u8],
    /// The parameters element (whole TLV), if present.
    pub params: Option<Tlv<'a>>,
}

impl AlgId<'_> {
    /// Whether the OID is `oid`.
    pub(super) fn is(&self, oid: &Oid) -> bool {
        self.oid == oid.as_bytes()
    }

    /// A readable name for the OID.
    pub(super) fn name(&self) -> String {
        oid_name_bytes(self.oid)
    }

    /// Whether the parameters are absent or NULL.
    pub(super) fn params_absent_or_null(&self) -> bool {
        match &self.params {
            None => true,
            Some(p) => p.tag == Tag::Null && p.value.is_empty(),
        }
    }
}

/// Parses an AlgorithmIdentifier element.
pub(super) fn algorithm_id<'a>(el: Tlv<'a>, what: &'static str) -> Result<AlgId<'a>> {
    if el.tag != Tag::Sequence {
        return Err(malformed(format!("{what}: not an AlgorithmIdentifier")));
    }
    let mut r = Elements::new(el.value, what);
    let oid = r.expect(Tag::ObjectIdentifier, "algorithm")?.value;
    let params = r.next_element()?;
    r.finish()?;
    Ok(AlgId { oid, params })
}

/// The contents of an OCTET STRING that may, after BER to DER normalisation of a streamed
/// message, still be constructed: an implicitly tagged `[n]` whose contents are OCTET STRING
/// segments (RFC 5652 allows the encrypted content to be sent in pieces). Segments are
/// concatenated; nesting is followed to a small depth.
pub(super) fn octets_maybe_constructed<'a>(
    el: &Tlv<'a>,
    what: &'static str,
) -> Result<std::borrow::Cow<'a, [u8]>> {
    fn collect(value: &[u8], out: &mut Vec<u8>, depth: u8, what: &'static str) -> Result<()> {
        if depth > 4 {
            return Err(malformed(format!("{what}: octet string nested too deeply")));
        }
        let mut r = Elements::new(value, what);
        while let Some(seg) = r.next_element()? {
            match seg.tag {
                Tag::OctetString => out.extend_from_slice(seg.value),
                _ if is_constructed_octets(seg.tag) => collect(seg.value, out, depth + 1, what)?,
                other => {
                    return Err(malformed(format!(
                        "{what}: a segment of the content is {other}, not an OCTET STRING"
                    )));
                }
            }
        }
        Ok(())
    }
    if el.tag.is_constructed() {
        let mut out = Vec::new();
        collect(el.value, &mut out, 0, what)?;
        Ok(std::borrow::Cow::Owned(out))
    } else {
        Ok(std::borrow::Cow::Borrowed(el.value))
    }
}

fn is_constructed_octets(tag: Tag) -> bool {
    // A universal constructed OCTET STRING is not representable as a `der::Tag`; the
    // implicitly tagged form is.
    matches!(
        tag,
        Tag::ContextSpecific {
            constructed: true,
            ..
        }
    )
}
