use super::*;
use crate::ErrorKind;

#[test]
fn fields_are_checked() {
    assert!(
        DistinguishedName::new("Müller & Söhne (Root) CA")
            .validate()
            .is_ok()
    );
    for bad in [
        "",
        " CA",
        "CA ",
        "a\"b",
        "x=y",
        "semi;colon",
        "new\nline",
        "back\\slash",
    ] {
        let e = DistinguishedName::new(bad).validate().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
    let long = "x".repeat(65);
    assert!(DistinguishedName::new(long).validate().is_err());
    assert!(
        DistinguishedName::new("CA")
            .locality("y".repeat(128))
            .validate()
            .is_ok()
    );
    assert!(
        DistinguishedName::new("CA")
            .organization("O<")
            .validate()
            .is_err()
    );
    assert!(
        DistinguishedName::new("CA")
            .country("nl")
            .validate()
            .is_ok()
    );
    for c in ["XX", "D", "DEU", "1A", ""] {
        assert!(
            DistinguishedName::new("CA").country(c).validate().is_err(),
            "{c}"
        );
    }
    assert!(
        DistinguishedName::new("CA")
            .email("a@b@c")
            .validate()
            .is_err()
    );
    assert!(
        DistinguishedName::new("CA")
            .email("jörg@example.com")
            .validate()
            .is_err()
    );
    assert!(
        DistinguishedName::new("CA")
            .email("a@Bücher.example")
            .validate()
            .is_ok()
    );
}

#[test]
fn name_encodes_and_parses_back() {
    let dn = DistinguishedName::new("Alice Example")
        .organization("Example")
        .country("DE")
        .given_name("Alice")
        .surname("Example")
        .email("Alice@EXAMPLE.com");
    let der = dn.to_der().unwrap();
    let name = <Name as der::Decode>::from_der(&der).unwrap();
    assert_eq!(name.len(), 6);
    assert_eq!(
        String::from(name.common_name().unwrap().unwrap()),
        "Alice Example"
    );
    assert_eq!(
        name.email_address().unwrap().unwrap().as_str(),
        "Alice@example.com"
    );
    assert_eq!(name.country().unwrap().unwrap().as_str(), "DE");
}
