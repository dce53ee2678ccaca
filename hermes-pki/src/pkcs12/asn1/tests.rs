use super::*;

#[test]
fn reader_refuses_ber_and_high_tags() {
    // These are the BER converter's job (crate::ber); the DER reader refuses them.
    for bad in [
        &[0x30, 0x80, 0x00, 0x00][..], // indefinite length
        &[0x1F, 0x01, 0x00],           // high tag number
        &[0x00, 0x00],                 // end-of-contents
        &[0x04, 0x85, 1, 0, 0, 0, 0],  // 5-byte length
        &[0x30, 0x03, 0x02, 0x01],     // truncated
        &[],
    ] {
        let err = Reader::new(bad).next().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Parse, "{bad:02X?}");
        assert!(err.to_string().contains(WHAT), "{err}");
    }
}

#[test]
fn integers_and_lengths() {
    assert_eq!(tlv::integer(0), [0x02, 0x01, 0x00]);
    assert_eq!(tlv::integer(128), [0x02, 0x02, 0x00, 0x80]);
    assert_eq!(tlv::integer(2048), [0x02, 0x02, 0x08, 0x00]);
    assert_eq!(integer_u64(&[0x00, 0x80, 0, 0, 0], "n").unwrap(), 1 << 31);
    assert_eq!(integer_u64(&[0x01; 12], "n").unwrap(), u64::MAX);
    assert!(integer_u64(&[0x80], "n").is_err());
    assert!(integer_u64(&[], "n").is_err());
    let long = tlv::tlv(TAG_OCTET_STRING, &[&[0u8; 300]]);
    assert_eq!(&long[..4], &[0x04, 0x82, 0x01, 0x2C]);
    let mut r = Reader::new(&long);
    assert_eq!(r.next().unwrap().value.len(), 300);
    assert!(r.is_empty());
}
