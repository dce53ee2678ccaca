//! The little ASN.1 PKCS#12 needs: a BER-to-DER normaliser (Windows writes PKCS#12 with
//! indefinite lengths and constructed OCTET STRINGs), a DER element reader and a DER writer.
//!
//! Only low tag numbers (< 31) occur in PKCS#12; anything else is refused as malformed.

use der::asn1::ObjectIdentifier;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// How deeply constructed elements may nest (PKCS#12 needs about 8 per level it is decoded at).
const MAX_DEPTH: usize = 32;

pub(super) const TAG_INTEGER: u8 = 0x02;
pub(super) const TAG_OCTET_STRING: u8 = 0x04;
pub(super) const TAG_OID: u8 = 0x06;
pub(super) const TAG_BMP_STRING: u8 = 0x1E;
pub(super) const TAG_UTF8_STRING: u8 = 0x0C;
pub(super) const TAG_SEQUENCE: u8 = 0x30;
pub(super) const TAG_SET: u8 = 0x31;
/// `[0]` constructed (EXPLICIT tagging).
pub(super) const TAG_CONTEXT_0: u8 = 0xA0;
/// `[0]` primitive (IMPLICIT OCTET STRING).
pub(super) const TAG_CONTEXT_0_PRIMITIVE: u8 = 0x80;
const TAG_OCTET_STRING_CONSTRUCTED: u8 = 0x24;

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

struct Header {
    tag: u8,
    /// `None`: indefinite length.
    len: Option<usize>,
    header_len: usize,
}

fn parse_header(data: &[u8]) -> Result<Header> {
    let tag = *data.first().ok_or_else(|| malformed("truncated element"))?;
    if tag & 0x1F == 0x1F {
        return Err(malformed(
            "element with a high tag number (not used by PKCS#12)",
        ));
    }
    if tag == 0 {
        return Err(malformed("unexpected end-of-contents marker"));
    }
    let first = *data.get(1).ok_or_else(|| malformed("truncated length"))?;
    let (len, header_len) = if first < 0x80 {
        (Some(usize::from(first)), 2)
    } else if first == 0x80 {
        (None, 2)
    } else {
        let n = usize::from(first & 0x7F);
        if n > 4 {
            return Err(malformed("element length does not fit in 32 bits"));
        }
        let bytes = data
            .get(2..2 + n)
            .ok_or_else(|| malformed("truncated length"))?;
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (Some(len), 2 + n)
    };
    if let Some(len) = len
        && data.len() - header_len < len
    {
        return Err(malformed("element runs past the end of its container"));
    }
    Ok(Header {
        tag,
        len,
        header_len,
    })
}

/// Re-encodes one BER element spanning all of `input` as DER-shaped bytes: definite minimal
/// lengths, constructed OCTET STRINGs joined into one primitive OCTET STRING. The contents of
/// primitive elements (certificates inside OCTET STRINGs included) are kept as they are.
///
/// Works in one buffer no larger than the input (plus a few bytes per nesting level), which is
/// wiped when dropped: decrypted safes may hold plain key bags.
pub(super) fn to_der(input: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let mut out = Zeroizing::new(Vec::with_capacity(
        input.len() + HEADER_ROOM * (MAX_DEPTH + 2),
    ));
    let used = normalize(input, 0, &mut out)?;
    if used != input.len() {
        return Err(malformed("trailing data after the structure"));
    }
    Ok(out)
}

/// Room left for a length while the contents of a constructed element are written.
const HEADER_ROOM: usize = 5;

/// The minimal DER encoding of a length.
fn length_bytes(len: usize) -> Vec<u8> {
    if len < 0x80 {
        return vec![len as u8];
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    let mut out = vec![0x80 | significant.len() as u8];
    out.extend_from_slice(significant);
    out
}

/// Normalises the element at the start of `input`, appending it to `out`; returns the bytes
/// of `input` consumed.
fn normalize(input: &[u8], depth: usize, out: &mut Vec<u8>) -> Result<usize> {
    if depth > MAX_DEPTH {
        return Err(malformed("structures nested too deeply"));
    }
    let h = parse_header(input)?;
    let constructed = h.tag & 0x20 != 0;
    if !constructed {
        let len = h
            .len
            .ok_or_else(|| malformed("indefinite length on a primitive element"))?;
        let value = input
            .get(h.header_len..h.header_len + len)
            .ok_or_else(|| malformed("truncated element"))?;
        write_tlv(out, h.tag, value);
        return Ok(h.header_len + len);
    }
    // The children are normalised straight into `out` after room for the length, which is
    // filled in (and the contents moved up to it) at the end.
    let tag_pos = out.len();
    out.push(h.tag);
    out.extend_from_slice(&[0; HEADER_ROOM]);
    let content_start = out.len();
    let mut pos = h.header_len;
    let end = match h.len {
        Some(len) => h.header_len + len,
        None => input.len(),
    };
    loop {
        match h.len {
            Some(_) if pos == end => break,
            None if input.get(pos..pos + 2) == Some(&[0, 0]) => {
                pos += 2;
                break;
            }
            _ => {}
        }
        let rest = input
            .get(pos..end)
            .filter(|r| !r.is_empty())
            .ok_or_else(|| malformed("missing end-of-contents marker"))?;
        pos += normalize(rest, depth + 1, out)?;
    }
    if h.tag == TAG_OCTET_STRING_CONSTRUCTED {
        // Join the segments in place: each one's contents moves left over the headers.
        let mut read = content_start;
        let mut write = content_start;
        while read < out.len() {
            let segment = out.get(read..).unwrap_or_default();
            let sh = parse_header(segment)?;
            let len = sh.len.unwrap_or_default();
            if sh.tag != TAG_OCTET_STRING {
                return Err(malformed(
                    "constructed OCTET STRING with a segment that is not an OCTET STRING",
                ));
            }
            let from = read + sh.header_len;
            out.copy_within(from..from + len, write);
            write += len;
            read = from + len;
        }
        out.truncate(write);
        if let Some(t) = out.get_mut(tag_pos) {
            *t = TAG_OCTET_STRING;
        }
    }
    let content_len = out.len() - content_start;
    let header = length_bytes(content_len);
    let header_end = tag_pos + 1 + header.len();
    if let Some(room) = out.get_mut(tag_pos + 1..header_end) {
        room.copy_from_slice(&header);
    }
    out.copy_within(content_start.., header_end);
    out.truncate(header_end + content_len);
    Ok(pos)
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

    /// The next element.
    pub(super) fn next(&mut self) -> Result<Tlv<'a>> {
        let h = parse_header(self.data)?;
        let len = h
            .len
            .ok_or_else(|| malformed("indefinite length where DER was expected"))?;
        let value = self
            .data
            .get(h.header_len..h.header_len + len)
            .ok_or_else(|| malformed("truncated element"))?;
        self.data = self.data.get(h.header_len + len..).unwrap_or_default();
        Ok(Tlv { tag: h.tag, value })
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

/// Appends a DER element to `out`.
pub(super) fn write_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&length_bytes(value.len()));
    out.extend_from_slice(value);
}

/// A DER element as a new vector.
pub(super) fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    write_tlv(&mut out, tag, value);
    out
}

/// The encoding of a small non-negative INTEGER.
pub(super) fn integer(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    let mut value = bytes.get(skip..).unwrap_or_default().to_vec();
    if value.first().is_some_and(|b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    tlv(TAG_INTEGER, &value)
}

/// The encoding of an OBJECT IDENTIFIER.
pub(super) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(TAG_OID, oid.as_bytes())
}

/// A SEQUENCE of the given encoded elements.
pub(super) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &parts.concat())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_indefinite_and_constructed_strings_become_der() {
        // SEQUENCE (indefinite) { OCTET STRING constructed (indefinite) { "ab", "c" }, INTEGER 5 }
        let ber = [
            0x30, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00, 0x02,
            0x01, 0x05, 0x00, 0x00,
        ];
        let der = to_der(&ber).unwrap();
        assert_eq!(
            *der,
            [0x30, 0x08, 0x04, 0x03, b'a', b'b', b'c', 0x02, 0x01, 0x05]
        );
        // Already DER: unchanged.
        assert_eq!(to_der(&der).unwrap(), der);
        // Non-minimal long-form length is made minimal.
        assert_eq!(
            *to_der(&[0x04, 0x81, 0x01, 0xAA]).unwrap(),
            [0x04, 0x01, 0xAA]
        );
    }

    #[test]
    fn long_elements_get_long_form_lengths() {
        // SEQUENCE (indefinite) { OCTET STRING constructed { 200 bytes, 100 bytes } }
        let mut ber = vec![0x30, 0x80, 0x24, 0x80];
        write_tlv(&mut ber, TAG_OCTET_STRING, &[7u8; 200]);
        write_tlv(&mut ber, TAG_OCTET_STRING, &[8u8; 100]);
        ber.extend([0, 0, 0, 0]);
        let der = to_der(&ber).unwrap();
        let mut inner = tlv(
            TAG_OCTET_STRING,
            &[[7u8; 200].as_slice(), &[8u8; 100]].concat(),
        );
        assert_eq!(&inner[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let want = tlv(TAG_SEQUENCE, &inner);
        assert_eq!(*der, want);
        assert!(der.len() <= ber.len());
        inner.clear();
    }

    #[test]
    fn broken_ber_is_refused() {
        for bad in [
            &[0x30, 0x80][..],               // no end-of-contents
            &[0x30, 0x80, 0x00],             // half an end-of-contents
            &[0x04, 0x80, 0x00, 0x00],       // indefinite primitive
            &[0x30, 0x03, 0x02, 0x01],       // truncated
            &[0x30, 0x02, 0x02, 0x05],       // child longer than parent
            &[0x1F, 0x01, 0x00],             // high tag number
            &[0x04, 0x85, 1, 0, 0, 0, 0],    // 5-byte length
            &[0x02, 0x01, 0x05, 0x00],       // trailing data
            &[0x24, 0x03, 0x02, 0x01, 0x05], // constructed string with a non-string
            &[],
        ] {
            assert!(to_der(bad).is_err(), "{bad:02X?}");
        }
        // Deep nesting is refused, not a stack overflow.
        let mut deep = [0x30, 0x80].repeat(10_000);
        deep.extend([0u8, 0].repeat(10_000));
        assert!(to_der(&deep).is_err());
    }

    #[test]
    fn integers_and_lengths() {
        assert_eq!(integer(0), [0x02, 0x01, 0x00]);
        assert_eq!(integer(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(integer(2048), [0x02, 0x02, 0x08, 0x00]);
        assert_eq!(integer_u64(&[0x00, 0x80, 0, 0, 0], "n").unwrap(), 1 << 31);
        assert_eq!(integer_u64(&[0x01; 12], "n").unwrap(), u64::MAX);
        assert!(integer_u64(&[0x80], "n").is_err());
        assert!(integer_u64(&[], "n").is_err());
        let long = tlv(TAG_OCTET_STRING, &[0u8; 300]);
        assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
        let mut r = Reader::new(&long);
        assert_eq!(r.next().unwrap().value.len(), 300);
        assert!(r.is_empty());
    }
}
