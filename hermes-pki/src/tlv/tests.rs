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
