//! A minimal DER TLV walker: splits encodings into (tag, value, raw bytes) without interpreting
//! them, so that the exact bytes of nested structures (tbsCertificate, Names, certificates inside
//! PKCS#7) can be kept as they were in the input.

use der::asn1::AnyRef;
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
}
