use super::*;

#[test]
fn sha256_of_abc_matches_fips_vector() {
    let t = Sha256Thumbprint::of(b"abc");
    assert_eq!(
        t.to_string(),
        "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"
    );
}

#[test]
fn sha512_round_trips_through_hex_with_separators() {
    let t = Sha512Thumbprint::of(b"abc");
    assert!(t.to_string().starts_with("DDAF35A193617ABA"));
    let lower_colons = t
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(":");
    assert_eq!(lower_colons.parse::<Sha512Thumbprint>().unwrap(), t);
}

#[test]
fn bad_thumbprints_are_rejected() {
    assert!("zz".parse::<Sha256Thumbprint>().is_err());
    assert!("ABCD".parse::<Sha256Thumbprint>().is_err());
    assert!(Sha512Thumbprint::from_bytes(&[0; 32]).is_err());
}
