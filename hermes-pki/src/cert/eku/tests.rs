use super::*;

#[test]
fn constants_display_as_dotted_oids_and_parse_back() {
    for (eku, text) in [
        (Eku::SERVER_AUTH, "1.3.6.1.5.5.7.3.1"),
        (Eku::CLIENT_AUTH, "1.3.6.1.5.5.7.3.2"),
        (Eku::CODE_SIGNING, "1.3.6.1.5.5.7.3.3"),
        (Eku::EMAIL_PROTECTION, "1.3.6.1.5.5.7.3.4"),
        (Eku::ANY, "2.5.29.37.0"),
    ] {
        assert_eq!(eku.to_string(), text);
        assert_eq!(text.parse::<Eku>().unwrap(), eku);
        assert_eq!(Eku::from(eku.oid()), eku);
    }
    assert!("not an oid".parse::<Eku>().is_err());
}
