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
mod tests;
