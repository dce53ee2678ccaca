use super::*;

#[test]
fn serials_are_positive_sixteen_bytes_and_differ() {
    let a = random_serial().unwrap();
    let b = random_serial().unwrap();
    assert_ne!(a, b);
    for s in [&a, &b] {
        assert_eq!(s.as_bytes().len(), 16);
        assert!((0x40..=0x7f).contains(&s.as_bytes()[0]));
    }
}

#[test]
fn sha1_is_refused_for_new_signatures() {
    let e = scheme_for(&KeyAlgorithm::Rsa { bits: 2048 }, HashAlg::Sha1).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Weak);
    assert!(e.to_string().contains("SHA-1"));
}
