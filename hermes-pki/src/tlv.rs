//! The crate's one small DER toolkit, below every other module (it uses only the `der` crate).
//!
//! Reading: a minimal TLV walker that splits encodings into (tag, value, raw bytes) without
//! interpreting them, so that the exact bytes of nested structures (tbsCertificate, Names,
//! certificates inside PKCS#7, signed attributes) can be kept as they were in the input.
//!
//! Writing: minimal-length DER elements built from already encoded parts ([`tlv`],
//! [`sequence`], [`set_of`], [`octet_string`], [`context`], ...), for the structures the `der`
//! crate's types do not write as the callers need them (CMS, PKCS#12, the BER converter).

use der::asn1::{AnyRef, ObjectIdentifier};
use der::{Decode, Reader, SliceReader, Tag, Tagged};

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The tag.
    pub tag: Tag,
    /// The contents octets.
    pub value: &'a [u8],
    /// The whole element: identifier, length and contents octets.
    pub raw: &'a [u8],
}

/// Reads the next element of `reader`, returning it with its raw bytes within `input` (the
/// buffer `reader` was made from).
fn next<'a>(reader: &mut SliceReader<'a>, input: &'a [u8]) -> der::Result<Tlv<'a>> {
    let start = usize::try_from(reader.position())?;
    let any = AnyRef::decode(reader)?;
    let end = usize::try_from(reader.position())?;
    let raw = input
        .get(start..end)
        .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
    Ok(Tlv {
        tag: any.tag(),
        value: any.value(),
        raw,
    })
}

/// Splits `input` into its consecutive DER elements (all of it must be consumed).
pub(crate) fn elements(input: &[u8]) -> der::Result<Vec<Tlv<'_>>> {
    let mut reader = SliceReader::new(input)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        out.push(next(&mut reader, input)?);
    }
    Ok(out)
}

/// The consecutive DER elements of `input`, reading no more than `max + 1` of them: the
/// elements and whether there are more than `max` (then `max` elements come back and the rest
/// of the input is not read). Hostile input with millions of tiny elements costs at most
/// `max + 1` element reads, not a list the size of the input.
pub(crate) fn elements_at_most(input: &[u8], max: usize) -> der::Result<(Vec<Tlv<'_>>, bool)> {
    let mut reader = SliceReader::new(input)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let tlv = next(&mut reader, input)?;
        if out.len() == max {
            return Ok((out, true));
        }
        out.push(tlv);
    }
    Ok((out, false))
}

/// Reads exactly one DER element spanning all of `input`.
pub(crate) fn single(input: &[u8]) -> der::Result<Tlv<'_>> {
    let mut reader = SliceReader::new(input)?;
    let tlv = next(&mut reader, input)?;
    reader.finish()?;
    Ok(tlv)
}

/// Reads the first DER element of `input`, ignoring whatever follows it.
pub(crate) fn leading(input: &[u8]) -> der::Result<Tlv<'_>> {
    let mut reader = SliceReader::new(input)?;
    next(&mut reader, input)
}

/// Is `tag` the context-specific tag `[number]` (primitive or constructed as given)?
pub(crate) fn is_context(tag: Tag, number: u32, constructed: bool) -> bool {
    matches!(tag, Tag::ContextSpecific { constructed: c, number: n } if c == constructed && n.value() == number)
}

// ---------------------------------------------------------------------------------------------
// Writing

/// Identifier octet of a universal INTEGER.
pub(crate) const INTEGER: u8 = 0x02;
/// Identifier octet of a universal OCTET STRING.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// Identifier octet of a universal OBJECT IDENTIFIER.
pub(crate) const OID: u8 = 0x06;
/// Identifier octet of a universal (constructed) SEQUENCE.
pub(crate) const SEQUENCE: u8 = 0x30;
/// Identifier octet of a universal (constructed) SET.
pub(crate) const SET: u8 = 0x31;

/// The number of length octets DER uses for a contents length of `len`.
pub(crate) fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else {
        1 + (usize::BITS - len.leading_zeros()).div_ceil(8) as usize
    }
}

/// Appends the DER (minimal) length octets of `len`: the short form below 128, else `0x80 | n`
/// followed by the `n` significant big-endian octets.
pub(crate) fn push_length(out: &mut Vec<u8>, len: usize) {
    if let Ok(short) = u8::try_from(len)
        && short < 0x80
    {
        out.push(short);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count();
    let significant = bytes.get(skip..).unwrap_or_default();
    // At most size_of::<usize>() octets: the count fits in the low seven bits.
    out.push(0x80 | (significant.len() as u8 & 0x7F));
    out.extend_from_slice(significant);
}

/// One element with the one-octet identifier `tag` whose contents are `parts` concatenated.
/// The vector is allocated once at its final size (callers wrap secrets in `Zeroizing`).
pub(crate) fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(1 + length_len(len) + len);
    out.push(tag);
    push_length(&mut out, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// `SEQUENCE { parts }`.
pub(crate) fn sequence(parts: &[&[u8]]) -> Vec<u8> {
    tlv(SEQUENCE, parts)
}

/// `SET OF` with its elements in DER order (sorted by their encodings).
pub(crate) fn set_of(elements: Vec<Vec<u8>>) -> Vec<u8> {
    set_of_tagged(SET, elements)
}

/// A `SET OF` under the identifier `tag` (e.g. `[0] IMPLICIT SET OF`): the elements sorted by
/// their encodings, as DER orders them.
pub(crate) fn set_of_tagged(tag: u8, mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    let parts: Vec<&[u8]> = elements.iter().map(Vec::as_slice).collect();
    tlv(tag, &parts)
}

/// An OCTET STRING.
pub(crate) fn octet_string(bytes: &[u8]) -> Vec<u8> {
    tlv(OCTET_STRING, &[bytes])
}

/// An OBJECT IDENTIFIER.
pub(crate) fn oid(oid: &ObjectIdentifier) -> Vec<u8> {
    tlv(OID, &[oid.as_bytes()])
}

/// A non-negative INTEGER in its minimal encoding.
pub(crate) fn integer(n: u32) -> Vec<u8> {
    let bytes = n.to_be_bytes();
    let skip = bytes.iter().take_while(|b| **b == 0).count().min(3);
    let digits = bytes.get(skip..).unwrap_or_default();
    if digits.first().is_some_and(|b| b & 0x80 != 0) {
        tlv(INTEGER, &[&[0], digits])
    } else {
        tlv(INTEGER, &[digits])
    }
}

/// The identifier octet of the context-specific tag `[number]` (`number` < 31), constructed
/// (EXPLICIT tagging, or an IMPLICIT constructed type) or primitive.
pub(crate) const fn context_tag(number: u8, constructed: bool) -> u8 {
    0x80 | (if constructed { 0x20 } else { 0 }) | (number & 0x1F)
}

/// `[number]` constructed, around `parts` (EXPLICIT tagging).
pub(crate) fn context(number: u8, parts: &[&[u8]]) -> Vec<u8> {
    tlv(context_tag(number, true), parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_and_keeps_raw_bytes() {
        let input = [0x02, 0x01, 0x05, 0x04, 0x02, 0xAA, 0xBB];
        let els = elements(&input).unwrap();
        assert_eq!(els.len(), 2);
        assert_eq!(els[0].tag, Tag::Integer);
        assert_eq!(els[0].raw, &[0x02, 0x01, 0x05]);
        assert_eq!(els[1].value, &[0xAA, 0xBB]);
        assert!(single(&input).is_err());
        assert_eq!(leading(&input).unwrap().raw, &[0x02, 0x01, 0x05]);
        assert!(elements(&[0x30, 0x05, 0x00]).is_err());
    }

    #[test]
    fn elements_at_most_stops_after_one_element_too_many() {
        // 1000 NULLs then garbage: the garbage is never reached with a limit of 10.
        let mut input = [0x05, 0x00].repeat(1000);
        input.extend_from_slice(&[0x30, 0x05]);
        let (els, more) = elements_at_most(&input, 10).unwrap();
        assert_eq!((els.len(), more), (10, true));
        assert!(elements(&input).is_err());
        let (els, more) = elements_at_most(&input[..20], 10).unwrap();
        assert_eq!((els.len(), more), (10, false));
        assert!(elements_at_most(&input, 1000).is_err());
    }

    #[test]
    fn lengths_are_minimal() {
        for (len, octets) in [
            (0usize, &[0x00][..]),
            (127, &[0x7F]),
            (128, &[0x81, 0x80]),
            (255, &[0x81, 0xFF]),
            (256, &[0x82, 0x01, 0x00]),
            (65_535, &[0x82, 0xFF, 0xFF]),
            (65_536, &[0x83, 0x01, 0x00, 0x00]),
            (0x12_3456, &[0x83, 0x12, 0x34, 0x56]),
            (0xFF_FFFF, &[0x83, 0xFF, 0xFF, 0xFF]),
        ] {
            let mut out = Vec::new();
            push_length(&mut out, len);
            assert_eq!(out, octets, "{len:#x}");
            assert_eq!(length_len(len), octets.len(), "{len:#x}");
            let content = vec![0u8; len];
            let element = octet_string(&content);
            assert_eq!(element.len(), 1 + octets.len() + len);
            assert_eq!(element.capacity(), element.len());
            // The reader (the der crate) reads it back.
            let read = single(&element).unwrap();
            assert_eq!((read.tag, read.value.len()), (Tag::OctetString, len));
        }
        for len in [0x100_0000, usize::MAX] {
            let mut out = Vec::new();
            push_length(&mut out, len);
            assert_eq!(out.len(), length_len(len), "{len:#x}");
        }
    }

    #[test]
    fn builders() {
        assert_eq!(
            tlv(0x30, &[&[0x05, 0x00], &[0x02, 0x01, 0x07]]),
            [0x30, 0x05, 0x05, 0x00, 0x02, 0x01, 0x07]
        );
        assert_eq!(sequence(&[]), [0x30, 0x00]);
        // SET OF sorts by encoding; the tag of `set_of_tagged` is the caller's.
        let set = set_of(vec![vec![0x02, 0x01, 0x09], vec![0x02, 0x01, 0x03]]);
        assert_eq!(set, [0x31, 0x06, 0x02, 0x01, 0x03, 0x02, 0x01, 0x09]);
        assert_eq!(
            set_of_tagged(0xA0, vec![vec![0x05, 0x00]]),
            [0xA0, 0x02, 0x05, 0x00]
        );
        assert_eq!(context(0, &[&[0x05, 0x00]]), [0xA0, 0x02, 0x05, 0x00]);
        assert_eq!(context_tag(1, false), 0x81);
        assert_eq!(context_tag(3, true), 0xA3);
        let id_data = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.1");
        assert_eq!(oid(&id_data), der::Encode::to_der(&id_data).unwrap());
        for n in [0u32, 1, 127, 128, 255, 256, 2048, 0x7FFF_FFFF, u32::MAX] {
            assert_eq!(integer(n), der::Encode::to_der(&n).unwrap(), "{n}");
        }
        assert_eq!(integer(0), [0x02, 0x01, 0x00]);
        assert_eq!(integer(128), [0x02, 0x02, 0x00, 0x80]);
    }

    #[test]
    fn length_helpers_agree() {
        for len in [
            0, 1, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x1_0000, 0xFF_FFFF, 0x100_0000,
        ] {
            let mut out = Vec::new();
            push_length(&mut out, len);
            assert_eq!(out.len(), length_len(len), "{len:#x}");
        }
    }
}
