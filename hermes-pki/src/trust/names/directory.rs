//! directoryName names: distinguished names prepared for comparison (RFC 5280 7.1), used for
//! directoryName constraints and for name chaining ([`names_match`]).

use const_oid::ObjectIdentifier;
use der::{Decode, Encode, Tag, Tagged};
use x509_cert::name::Name;

/// An attribute value prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum AttrValue {
    /// A directory string (UTF8String, PrintableString, IA5String, BMPString) after RFC 5280
    /// 7.1-style preparation: surrounding white space removed, inner runs of white space
    /// collapsed to one space, lower case. So `PrintableString "Example  Corp"` equals
    /// `UTF8String "example corp"`.
    Text(String),
    /// Anything else: the whole DER encoding, compared exactly.
    Der(Vec<u8>),
}

/// One attribute of an RDN, prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Attr {
    /// The attribute type.
    pub(super) oid: ObjectIdentifier,
    /// The prepared value.
    pub(super) value: AttrValue,
}

/// A distinguished name prepared for comparison: its RDNs in order, each RDN's attributes
/// sorted (an RDN is a set), with the RFC 4514 form for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct DirName {
    /// The RDNs, attributes sorted within each.
    pub(super) rdns: Vec<Vec<Attr>>,
    /// RFC 4514 string, for messages.
    pub(super) text: String,
}

/// Decodes a directory string value to text, or `None` for another type or a bad encoding.
pub(super) fn directory_string(tag: Tag, value: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            std::str::from_utf8(value).ok().map(str::to_owned)
        }
        Tag::BmpString => {
            if !value.len().is_multiple_of(2) {
                return None;
            }
            let units = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<std::result::Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// Surrounding white space removed, inner runs collapsed to one space, lower case.
pub(super) fn prepare_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl DirName {
    /// Prepares a parsed Name for comparison.
    pub(super) fn from_name(name: &Name) -> Self {
        let rdns = name
            .iter_rdn()
            .map(|rdn| {
                let mut attrs: Vec<Attr> = rdn
                    .iter()
                    .map(|atv| {
                        let tag = atv.value.tag();
                        let value = match directory_string(tag, atv.value.value()) {
                            Some(text) => AttrValue::Text(prepare_text(&text)),
                            None => AttrValue::Der(atv.value.to_der().unwrap_or_else(|_| {
                                // Cannot happen for a decoded value; stay distinct anyway.
                                atv.value.value().to_vec()
                            })),
                        };
                        Attr {
                            oid: atv.oid,
                            value,
                        }
                    })
                    .collect();
                attrs.sort();
                attrs
            })
            .collect();
        DirName {
            rdns,
            text: name.to_string(),
        }
    }

    /// Is `self` (a constraint) a prefix of `name`, RDN by RDN? The empty name is a prefix of
    /// every name.
    pub(super) fn is_prefix_of(&self, name: &DirName) -> bool {
        self.rdns.len() <= name.rdns.len() && self.rdns.iter().zip(&name.rdns).all(|(a, b)| a == b)
    }
}

/// Whether two DER Names are the same name for chaining (RFC 5280 7.1): equal bytes, or the
/// same RDNs in the same order whose attributes match after case folding and white-space
/// normalisation, across PrintableString, UTF8String and BMPString. Names that do not parse
/// match only byte for byte.
pub(crate) fn names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (Name::from_der(a), Name::from_der(b)) {
        (Ok(x), Ok(y)) => DirName::from_name(&x).rdns == DirName::from_name(&y).rdns,
        _ => false,
    }
}
