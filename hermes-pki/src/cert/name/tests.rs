use super::*;
use std::str::FromStr;

fn esc(s: &str) -> String {
    let mut out = String::new();
    escape_value(s, &mut out);
    out
}

#[test]
fn escapes_per_rfc4514() {
    assert_eq!(esc("plain"), "plain");
    assert_eq!(esc("Smith, John"), "Smith\\, John");
    assert_eq!(esc("a+b;c<d>e\"f\\g"), "a\\+b\\;c\\<d\\>e\\\"f\\\\g");
    assert_eq!(esc("#hash"), "\\#hash");
    assert_eq!(esc("mid#hash"), "mid#hash");
    assert_eq!(esc(" lead and trail "), "\\ lead and trail\\ ");
    assert_eq!(esc("nul\0"), "nul\\00");
    assert_eq!(esc("Tëst"), "Tëst");
}

#[test]
fn renders_in_reverse_order_with_short_names() {
    let name = Name::from_str("CN=Alice\\, A.,O=Example,C=NL").unwrap();
    assert_eq!(rfc4514(&name), "CN=Alice\\, A.,O=Example,C=NL");
    let name = Name::from_str("CN=x,1.2.3.4=#0c0161").unwrap();
    assert_eq!(rfc4514(&name), "CN=x,1.2.3.4=#0C0161");
}

#[test]
fn decodes_bmp_strings() {
    assert_eq!(
        decode_string(Tag::BmpString, &[0, b'h', 0, b'i']).as_deref(),
        Some("hi")
    );
    assert_eq!(decode_string(Tag::BmpString, &[0]), None);
    assert_eq!(decode_string(Tag::PrintableString, &[0xC3, 0xAB]), None);
}
