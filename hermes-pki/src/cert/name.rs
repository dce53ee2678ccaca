//! Distinguished names as RFC 4514 strings.

use der::asn1::ObjectIdentifier;
use der::{Tag, Tagged};
use x509_cert::name::Name;

/// Short names for the attribute types found in certificate subjects. RFC 4514 section 3 names
/// (CN, L, ST, O, OU, C, STREET, DC, UID) first; the others as OpenSSL spells them.
fn short_name(oid: &ObjectIdentifier) -> Option<&'static str> {
    use super::oid::*;
    Some(match *oid {
        AT_COMMON_NAME => "CN",
        AT_LOCALITY => "L",
        AT_STATE => "ST",
        AT_ORGANIZATION => "O",
        AT_ORGANIZATIONAL_UNIT => "OU",
        AT_COUNTRY => "C",
        AT_STREET => "STREET",
        AT_DOMAIN_COMPONENT => "DC",
        AT_USER_ID => "UID",
        EMAIL_ADDRESS => "emailAddress",
        AT_SURNAME => "SN",
        AT_GIVEN_NAME => "GN",
        AT_SERIAL_NUMBER => "serialNumber",
        AT_TITLE => "title",
        AT_INITIALS => "initials",
        AT_GENERATION_QUALIFIER => "generationQualifier",
        AT_DN_QUALIFIER => "dnQualifier",
        AT_PSEUDONYM => "pseudonym",
        AT_POSTAL_CODE => "postalCode",
        AT_BUSINESS_CATEGORY => "businessCategory",
        AT_NAME => "name",
        AT_DESCRIPTION => "description",
        AT_ORGANIZATION_IDENTIFIER => "organizationIdentifier",
        AT_JURISDICTION_LOCALITY => "jurisdictionL",
        AT_JURISDICTION_STATE => "jurisdictionST",
        AT_JURISDICTION_COUNTRY => "jurisdictionC",
        _ => return None,
    })
}

/// Decodes a directory string value to text, if it is one of the string types.
pub(crate) fn decode_string(tag: Tag, value: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String => std::str::from_utf8(value).ok().map(str::to_owned),
        Tag::PrintableString | Tag::Ia5String | Tag::NumericString | Tag::VisibleString => {
            if value.is_ascii() {
                std::str::from_utf8(value).ok().map(str::to_owned)
            } else {
                None
            }
        }
        // T.61 in theory; in practice Latin-1 is what is found there.
        Tag::TeletexString => Some(value.iter().map(|b| char::from(*b)).collect()),
        Tag::BmpString => {
            if !value.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        _ => None,
    }
}

/// Escapes an attribute value per RFC 4514 section 2.4. Control characters are written as
/// `\XX` hex pairs too, so the string stays on one line.
pub(crate) fn escape_value(value: &str, out: &mut String) {
    let count = value.chars().count();
    for (i, c) in value.chars().enumerate() {
        match c {
            '"' | '+' | ',' | ';' | '<' | '>' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '#' if i == 0 => out.push_str("\\#"),
            ' ' if i == 0 || i + 1 == count => out.push_str("\\ "),
            '\0'..='\x1f' | '\x7f' => out.push_str(&format!("\\{:02X}", c as u32)),
            _ => out.push(c),
        }
    }
}

/// Renders a Name as an RFC 4514 string: RDNs in reverse order separated by `,`, multi-valued
/// RDNs joined by `+`, values escaped; unknown attribute types and non-string values as
/// `oid=#hex` of the value's DER.
pub(crate) fn rfc4514(name: &Name) -> String {
    let mut out = String::new();
    let rdns: Vec<_> = name.iter_rdn().collect();
    for (i, rdn) in rdns.iter().rev().enumerate() {
        if i > 0 {
            out.push(',');
        }
        for (j, atv) in rdn.iter().enumerate() {
            if j > 0 {
                out.push('+');
            }
            let text = short_name(&atv.oid)
                .and_then(|n| decode_string(atv.value.tag(), atv.value.value()).map(|v| (n, v)));
            match text {
                Some((n, v)) => {
                    out.push_str(n);
                    out.push('=');
                    escape_value(&v, &mut out);
                }
                None => {
                    out.push_str(&atv.oid.to_string());
                    out.push_str("=#");
                    let der = der::Encode::to_der(&atv.value).unwrap_or_default();
                    out.push_str(&hex::encode_upper(der));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
