use super::*;
use crate::ErrorKind;

const WHAT: &str = "test input";

fn conv(input: &[u8]) -> Result<Vec<u8>> {
    to_der(input, WHAT, &BerLimits::default()).map(Cow::into_owned)
}

/// A DER element.
fn tlv(tag: &[u8], value: &[u8]) -> Vec<u8> {
    let mut out = tag.to_vec();
    push_length(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

#[test]
fn indefinite_nested_sequences() {
    // SEQUENCE { SEQUENCE { SET { INTEGER 5 } }, NULL }, every length indefinite.
    let ber = [
        0x30, 0x80, 0x30, 0x80, 0x31, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00,
        0x00, 0x00,
    ];
    let der = [
        0x30, 0x09, 0x30, 0x05, 0x31, 0x03, 0x02, 0x01, 0x05, 0x05, 0x00,
    ];
    let out = to_der(&ber, WHAT, &BerLimits::default()).unwrap();
    assert!(matches!(out, Cow::Owned(_)));
    assert_eq!(*out, der);
    // Empty indefinite SEQUENCE.
    assert_eq!(conv(&[0x30, 0x80, 0, 0]).unwrap(), [0x30, 0x00]);
}

#[test]
fn constructed_octet_strings_are_joined() {
    // OCTET STRING, constructed, indefinite { "ab", constructed definite { "c", "" }, "d" }
    let ber = [
        0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24, 0x05, 0x04, 0x01, b'c', 0x04, 0x00, 0x04, 0x01,
        b'd', 0x00, 0x00,
    ];
    assert_eq!(conv(&ber).unwrap(), [0x04, 0x04, b'a', b'b', b'c', b'd']);
    // No segments at all.
    assert_eq!(conv(&[0x24, 0x00]).unwrap(), [0x04, 0x00]);
    // Inside a SEQUENCE, with a result long enough for a long-form length.
    let mut ber = vec![0x30, 0x80, 0x24, 0x80];
    ber.extend(tlv(&[0x04], &[7; 200]));
    ber.extend(tlv(&[0x04], &[8; 100]));
    ber.extend([0, 0, 0, 0]);
    let inner = tlv(&[0x04], &[[7u8; 200].as_slice(), &[8; 100]].concat());
    assert_eq!(&inner[..4], &[0x04, 0x82, 0x01, 0x2C]);
    assert_eq!(conv(&ber).unwrap(), tlv(&[0x30], &inner));
    // Other string types are joined the same way.
    let utf8 = [
        0x2C, 0x80, 0x0C, 0x02, 0xC3, 0xA9, 0x0C, 0x01, b'!', 0x00, 0x00,
    ];
    assert_eq!(conv(&utf8).unwrap(), [0x0C, 0x03, 0xC3, 0xA9, b'!']);
    let bmp = [0x3E, 0x06, 0x1E, 0x02, 0x00, b'h', 0x1E, 0x00];
    assert_eq!(conv(&bmp).unwrap(), [0x1E, 0x02, 0x00, b'h']);
}

#[test]
fn constructed_bit_strings_keep_the_last_unused_bits() {
    // BIT STRING { (0 unused) AA BB, (0 unused) empty, (4 unused) C0 }
    let ber = [
        0x23, 0x80, 0x03, 0x03, 0x00, 0xAA, 0xBB, 0x03, 0x01, 0x00, 0x03, 0x02, 0x04, 0xC0, 0x00,
        0x00,
    ];
    assert_eq!(conv(&ber).unwrap(), [0x03, 0x04, 0x04, 0xAA, 0xBB, 0xC0]);
    // Nested constructed segment, and an empty constructed BIT STRING.
    let ber = [
        0x23, 0x09, 0x23, 0x04, 0x03, 0x02, 0x00, 0x01, 0x03, 0x01, 0x00,
    ];
    assert_eq!(conv(&ber).unwrap(), [0x03, 0x02, 0x00, 0x01]);
    assert_eq!(conv(&[0x23, 0x80, 0, 0]).unwrap(), [0x03, 0x01, 0x00]);
    for bad in [
        &[0x23, 0x02, 0x03, 0x00][..],         // no unused-bits octet
        &[0x23, 0x04, 0x03, 0x02, 0x08, 0xFF], // 8 unused bits
        &[0x23, 0x03, 0x03, 0x01, 0x01],       // empty with unused bits
        &[0x23, 0x08, 0x03, 0x02, 0x01, 0xFE, 0x03, 0x02, 0x00, 0xFF], // unused not last
    ] {
        let err = conv(bad).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse, "{bad:02X?}");
        assert!(err.to_string().contains("BIT STRING"), "{err}");
    }
}

#[test]
fn context_and_application_tags_stay_constructed() {
    // [0] constructed (an IMPLICIT OCTET STRING, perhaps: not knowable) with two segments.
    let ber = [0xA0, 0x80, 0x04, 0x01, b'a', 0x04, 0x01, b'b', 0x00, 0x00];
    assert_eq!(
        conv(&ber).unwrap(),
        [0xA0, 0x06, 0x04, 0x01, b'a', 0x04, 0x01, b'b']
    );
    // A constructed string inside [0] is joined; [0] stays.
    let ber = [
        0xA0, 0x80, 0x24, 0x80, 0x04, 0x01, b'a', 0x00, 0x00, 0x00, 0x00,
    ];
    assert_eq!(conv(&ber).unwrap(), [0xA0, 0x03, 0x04, 0x01, b'a']);
}

#[test]
fn high_tag_numbers() {
    // [APPLICATION 300] constructed, indefinite { [PRIVATE 31] primitive "x",
    //   [CONTEXT 16383] constructed (long length) { } }
    let ber = [
        0x7F, 0x82, 0x2C, 0x80, 0xDF, 0x1F, 0x01, b'x', 0xBF, 0xFF, 0x7F, 0x81, 0x00, 0x00, 0x00,
    ];
    let der = [
        0x7F, 0x82, 0x2C, 0x08, 0xDF, 0x1F, 0x01, b'x', 0xBF, 0xFF, 0x7F, 0x00,
    ];
    assert_eq!(conv(&ber).unwrap(), der);
    assert!(matches!(
        to_der(&der, WHAT, &BerLimits::default()).unwrap(),
        Cow::Borrowed(_)
    ));
    // Largest tag number that fits in 32 bits; one more bit is refused.
    let big = [0x9F, 0x8F, 0xFF, 0xFF, 0xFF, 0x7F, 0x00];
    assert_eq!(conv(&big).unwrap(), big);
    let too_big = [0x9F, 0x90, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00];
    assert_eq!(conv(&too_big).unwrap_err().kind(), ErrorKind::Parse);
    // Non-minimal tag forms are not BER.
    for bad in [&[0x9F, 0x80, 0x20, 0x00][..], &[0x9F, 0x1E, 0x00]] {
        let err = conv(bad).unwrap_err();
        assert!(err.to_string().contains("tag number"), "{err}");
    }
}

#[test]
fn non_minimal_lengths_become_minimal() {
    assert_eq!(conv(&[0x04, 0x81, 0x01, 0xAA]).unwrap(), [0x04, 0x01, 0xAA]);
    assert_eq!(
        conv(&[0x04, 0x82, 0x00, 0x02, 0xAA, 0xBB]).unwrap(),
        [0x04, 0x02, 0xAA, 0xBB]
    );
    assert_eq!(
        conv(&[0x30, 0x84, 0, 0, 0, 4, 0x02, 0x81, 0x01, 0x05]).unwrap(),
        [0x30, 0x03, 0x02, 0x01, 0x05]
    );
    // 200 bytes with a 2-byte length (DER: 0x81 0xC8).
    let mut ber = vec![0x04, 0x82, 0x00, 0xC8];
    ber.extend([9; 200]);
    assert_eq!(conv(&ber).unwrap(), tlv(&[0x04], &[9; 200]));
    // Many leading zero octets are fine as long as the value fits.
    let mut ber = vec![0x04, 0x8A];
    ber.extend([0; 9]);
    ber.extend([0x01, 0xAA]);
    assert_eq!(conv(&ber).unwrap(), [0x04, 0x01, 0xAA]);
}

#[test]
fn der_input_is_borrowed() {
    let der = [
        0x30, 0x0C, 0x02, 0x01, 0x05, 0x04, 0x02, b'a', b'b', 0xA0, 0x03, 0x01, 0x01, 0xFF,
    ];
    let out = to_der(&der, WHAT, &BerLimits::default()).unwrap();
    assert!(matches!(out, Cow::Borrowed(_)));
    assert_eq!(*out, der);
    let big = tlv(&[0x30], &tlv(&[0x04], &[1; 70_000]));
    assert!(matches!(
        to_der(&big, WHAT, &BerLimits::default()).unwrap(),
        Cow::Borrowed(_)
    ));
    // The secret variant always copies, with the same bytes.
    assert_eq!(
        *to_der_secret(&der, WHAT, &BerLimits::default()).unwrap(),
        der
    );
}

#[test]
fn secret_output_is_allocated_once() {
    let ber = [0x30, 0x80, 0x24, 0x80, 0x04, 0x01, b'k', 0, 0, 0, 0];
    let out = to_der_secret(&ber, WHAT, &BerLimits::default()).unwrap();
    assert_eq!(*out, [0x30, 0x03, 0x04, 0x01, b'k']);
    assert_eq!(out.capacity(), out.len());
}

fn assert_parse_error(input: &[u8], needle: &str) {
    let err = conv(input).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse, "{input:02X?}: {err}");
    let msg = err.to_string();
    assert!(msg.contains(WHAT), "{msg}");
    assert!(msg.contains(needle), "{input:02X?}: {msg}");
}

#[test]
fn broken_ber_is_refused() {
    // Indefinite length on a primitive element.
    assert_parse_error(
        &[0x04, 0x80, 0x00, 0x00],
        "indefinite length on a primitive",
    );
    // End-of-contents where an element was expected: at the top, in a definite element.
    assert_parse_error(&[0x00, 0x00], "end-of-contents marker where");
    assert_parse_error(&[0x30, 0x02, 0x00, 0x00], "end-of-contents marker where");
    assert_parse_error(
        &[0x30, 0x80, 0x00, 0x01, 0x00],
        "end-of-contents marker where",
    );
    // Missing end-of-contents: at the end of the input, or of the enclosing element.
    assert_parse_error(&[0x30, 0x80], "missing end-of-contents");
    assert_parse_error(&[0x30, 0x80, 0x00], "missing end-of-contents");
    assert_parse_error(&[0x30, 0x80, 0x05, 0x00], "missing end-of-contents");
    assert_parse_error(
        &[0x30, 0x03, 0x30, 0x80, 0x00, 0x00, 0x00],
        "missing end-of-contents",
    );
    // Truncated data.
    assert_parse_error(&[], "truncated");
    assert_parse_error(&[0x30], "truncated length");
    assert_parse_error(&[0x1F], "truncated tag");
    assert_parse_error(&[0x1F, 0x81], "truncated tag");
    assert_parse_error(&[0x04, 0x82, 0x01], "truncated length");
    // Lengths beyond the input or the enclosing element.
    assert_parse_error(&[0x30, 0x03, 0x02, 0x01], "past the end of the input");
    assert_parse_error(
        &[0x30, 0x02, 0x02, 0x05],
        "past the end of the enclosing element",
    );
    assert_parse_error(&[0x04, 0x85, 1, 0, 0, 0, 0], "past the end of the input");
    assert_parse_error(
        &[0x04, 0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
        "past the end of the input",
    );
    assert_parse_error(&[0x04, 0xFF], "reserved length octet");
    // Trailing data.
    assert_parse_error(&[0x02, 0x01, 0x05, 0x00], "trailing data");
    assert_parse_error(&[0x30, 0x80, 0x00, 0x00, 0x00, 0x00], "trailing data");
    // A segment with another tag than its string's.
    assert_parse_error(&[0x24, 0x03, 0x02, 0x01, 0x05], "different tag");
    assert_parse_error(&[0x24, 0x80, 0x0C, 0x01, b'a', 0x00, 0x00], "different tag");
    assert_parse_error(&[0x2C, 0x03, 0x04, 0x01, b'a'], "different tag");
    assert_parse_error(&[0x24, 0x04, 0x30, 0x02, 0x05, 0x00], "different tag");
    assert_parse_error(&[0x24, 0x03, 0x84, 0x01, b'a'], "different tag");
}

fn assert_limit(input: &[u8], limits: &BerLimits) {
    let err = to_der(input, WHAT, limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains(WHAT), "{err}");
    let err = to_der_secret(input, WHAT, limits).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
}

#[test]
fn limits_are_enforced() {
    // Depth: 3 nested elements pass with max_depth 3, not with 2.
    let nested = [0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];
    let mut limits = BerLimits {
        max_depth: 3,
        ..BerLimits::default()
    };
    assert!(to_der(&nested, WHAT, &limits).is_ok());
    limits.max_depth = 2;
    assert_limit(&nested, &limits);
    // Segments of constructed strings count as levels.
    let segmented = [0x24, 0x80, 0x24, 0x80, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00];
    assert_limit(&segmented, &limits);
    // Deep nesting is refused without overflowing the stack.
    let mut deep = [0x30, 0x80].repeat(100_000);
    deep.extend([0u8, 0].repeat(100_000));
    assert_limit(&deep, &BerLimits::default());
    // Even with a limit that lets it through, no recursion: it converts.
    let unlimited = BerLimits {
        max_depth: usize::MAX,
        ..BerLimits::default()
    };
    let out = to_der(&deep, WHAT, &unlimited).unwrap();
    assert_eq!(out.first(), Some(&0x30));
    // Output size: also when the input is DER already.
    let limits = BerLimits {
        max_output: 10,
        ..BerLimits::default()
    };
    assert_eq!(
        conv(&[0x04, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0])
            .unwrap()
            .len(),
        11
    );
    assert_limit(&[0x04, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0], &limits);
    assert!(to_der(&[0x04, 0x08, 0, 0, 0, 0, 0, 0, 0, 0], WHAT, &limits).is_ok());
    let mut ber = vec![0x24, 0x80];
    for _ in 0..5 {
        ber.extend([0x04, 0x02, 1, 2]);
    }
    ber.extend([0, 0]);
    assert_limit(&ber, &limits);
}

#[test]
fn large_segmented_input_converts() {
    // 8 MiB of content in 1000-byte segments, inside indefinite-length elements.
    let chunk = [0x5Au8; 1000];
    let mut ber = vec![0x30, 0x80, 0xA0, 0x80, 0x24, 0x80];
    for _ in 0..8 * 1024 {
        ber.extend(tlv(&[0x04], &chunk));
    }
    ber.extend([0; 6]);
    let out = conv(&ber).unwrap();
    let content = 8 * 1024 * 1000;
    // Three headers of 5 bytes: tag, 0x83 and a 3-byte length.
    assert_eq!(out.len(), 5 + 5 + 5 + content);
    assert_eq!(&out[..5], &[0x30, 0x83, 0x7D, 0x00, 0x0A]);
    assert!(out[15..].iter().all(|b| *b == 0x5A));
    assert!(matches!(
        to_der(&out, WHAT, &BerLimits::default()).unwrap(),
        Cow::Borrowed(_)
    ));
}

/// Deterministic xorshift64 for the round-trip test.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// A random ASN.1 value.
enum Node {
    /// A primitive element with these identifier octets.
    Primitive(Vec<u8>, Vec<u8>),
    /// A universal string type (tag number < 31) that BER may split; for a BIT STRING the
    /// contents start with the unused-bits octet.
    Str(u8, Vec<u8>),
    /// A constructed element with these identifier octets.
    Constructed(Vec<u8>, Vec<Node>),
}

fn random_node(rng: &mut Rng, depth: usize) -> Node {
    let leaf_only = depth >= 6;
    match rng.below(if leaf_only { 5 } else { 9 }) {
        0 => {
            let n = 1 + rng.below(9);
            let mut v = rng.bytes(n);
            if v.len() > 1 && v[0] == 0 && v[1] & 0x80 == 0 {
                v[0] = 1;
            }
            Node::Primitive(vec![0x02], v)
        }
        1 => {
            let len = [0, 3, 100, 127, 128, 300, 1000][rng.below(7)];
            Node::Str(0x04, rng.bytes(len))
        }
        2 => {
            let len = rng.below(300);
            let mut v = rng.bytes(len + 1);
            v[0] = if len == 0 { 0 } else { rng.below(8) as u8 };
            Node::Str(0x03, v)
        }
        3 => Node::Str(0x0C, "héllo wörld ".repeat(rng.below(20)).into_bytes()),
        4 => {
            // High-tag primitive: [PRIVATE 31], [APPLICATION 200], [CONTEXT 70000].
            let id = match rng.below(3) {
                0 => vec![0xDF, 0x1F],
                1 => vec![0x5F, 0x81, 0x48],
                _ => vec![0x9F, 0x84, 0xA2, 0x70],
            };
            let n = rng.below(140);
            Node::Primitive(id, rng.bytes(n))
        }
        kind => {
            let id = match kind {
                5 => vec![0x30],
                6 => vec![0x31],
                7 => vec![0xA0 | rng.below(3) as u8],
                _ => vec![0x7F, 0x82, 0x2C],
            };
            let n = rng.below(5);
            Node::Constructed(id, (0..n).map(|_| random_node(rng, depth + 1)).collect())
        }
    }
}

fn encode_der(node: &Node) -> Vec<u8> {
    match node {
        Node::Primitive(id, v) => tlv(id, v),
        Node::Str(tag, v) => tlv(&[*tag], v),
        Node::Constructed(id, children) => {
            let inner: Vec<u8> = children.iter().flat_map(encode_der).collect();
            tlv(id, &inner)
        }
    }
}

/// Identifier, BER length (minimal, padded long form, or indefinite) and contents.
fn ber_tlv(rng: &mut Rng, id: &[u8], value: &[u8], may_be_indefinite: bool) -> Vec<u8> {
    let mut out = id.to_vec();
    match rng.below(if may_be_indefinite { 4 } else { 3 }) {
        0 => push_length(&mut out, value.len()),
        1 | 2 => {
            let pad = 1 + rng.below(3);
            let bytes = (value.len() as u64).to_be_bytes();
            let skip = bytes.iter().take_while(|b| **b == 0).count();
            let n = 8 - skip + pad;
            out.push(0x80 | n as u8);
            out.extend(std::iter::repeat_n(0, pad));
            out.extend(&bytes[skip..]);
        }
        _ => {
            out.push(0x80);
            out.extend(value);
            out.extend([0, 0]);
            return out;
        }
    }
    out.extend(value);
    out
}

/// Splits `data` into segments of the string type `tag`, possibly nesting constructed
/// segments. `unused` is the BIT STRING unused-bits count, put on the last segment only.
fn ber_segments(rng: &mut Rng, tag: u8, data: &[u8], unused: Option<u8>, depth: usize) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = data;
    loop {
        let take = if rest.is_empty() {
            0
        } else {
            rng.below(rest.len() + 1)
        };
        let take = if rng.below(4) == 0 { rest.len() } else { take };
        let (chunk, after) = rest.split_at(take);
        // A BIT STRING's last segment must not be empty when it has unused bits.
        let last = after.is_empty() && (!chunk.is_empty() || unused.unwrap_or(0) == 0);
        if depth < 3 && rng.below(5) == 0 {
            let inner = ber_segments(
                rng,
                tag,
                chunk,
                if last { unused } else { unused.map(|_| 0) },
                depth + 1,
            );
            out.extend(ber_tlv(rng, &[tag | 0x20], &inner, true));
        } else {
            let mut value = Vec::new();
            if let Some(u) = unused {
                value.push(if last { u } else { 0 });
            }
            value.extend(chunk);
            out.extend(ber_tlv(rng, &[tag], &value, false));
        }
        rest = after;
        if last {
            return out;
        }
    }
}

fn encode_ber(rng: &mut Rng, node: &Node) -> Vec<u8> {
    match node {
        Node::Primitive(id, v) => ber_tlv(rng, id, v, false),
        Node::Str(tag, v) => {
            if rng.below(2) == 0 {
                return ber_tlv(rng, &[*tag], v, false);
            }
            let (unused, data) = if *tag == 0x03 {
                (Some(v[0]), &v[1..])
            } else {
                (None, &v[..])
            };
            let inner = ber_segments(rng, *tag, data, unused, 0);
            ber_tlv(rng, &[tag | 0x20], &inner, true)
        }
        Node::Constructed(id, children) => {
            let inner: Vec<u8> = children.iter().flat_map(|c| encode_ber(rng, c)).collect();
            ber_tlv(rng, id, &inner, true)
        }
    }
}

#[test]
fn random_ber_round_trips_to_the_original_der() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut owned = 0;
    for i in 0..400 {
        let node = random_node(&mut rng, 0);
        let der = encode_der(&node);
        let cow = to_der(&der, WHAT, &BerLimits::default()).unwrap();
        assert!(matches!(cow, Cow::Borrowed(_)), "case {i}: DER was copied");
        let ber = encode_ber(&mut rng, &node);
        let out = to_der(&ber, WHAT, &BerLimits::default())
            .unwrap_or_else(|e| panic!("case {i}: {e}\nBER {}", hex::encode(&ber)));
        assert_eq!(
            *out,
            der,
            "case {i}: BER {} converted wrongly",
            hex::encode(&ber)
        );
        assert_eq!(
            *to_der_secret(&ber, WHAT, &BerLimits::default()).unwrap(),
            der
        );
        if ber != der {
            owned += 1;
            assert!(matches!(out, Cow::Owned(_)));
        }
    }
    // The generator does produce BER most of the time.
    assert!(owned > 300, "{owned}");
}

#[test]
fn openssl_streamed_cms_converts_to_what_openssl_re_encodes() {
    use der::{Decode, Tagged};

    let ber = include_bytes!("../ber_testdata/signed-stream.der");
    let expected = include_bytes!("../ber_testdata/signed-stream.openssl-der.der");
    // The fixture is BER: indefinite lengths from the start.
    assert_eq!(&ber[..2], &[0x30, 0x80]);
    assert!(cms::content_info::ContentInfo::from_der(ber).is_err());
    let out = to_der(ber, "CMS message", &BerLimits::default()).unwrap();
    assert!(matches!(out, Cow::Owned(_)));
    assert_ne!(&*out, &ber[..]);
    assert_eq!(&*out, &expected[..]);
    let ci = cms::content_info::ContentInfo::from_der(&out).unwrap();
    assert_eq!(ci.content_type, crate::cert::oid::ID_SIGNED_DATA);
    let sd: cms::signed_data::SignedData = ci.content.decode_as().unwrap();
    // The three segments of the content are one OCTET STRING now.
    let content = sd.encap_content_info.econtent.unwrap();
    assert_eq!(content.tag(), der::Tag::OctetString);
    assert_eq!(content.value().len(), 8840);
    assert!(content.value().starts_with(b"line 0000 of a streamed"));
}
