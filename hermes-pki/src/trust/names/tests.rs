//! Unit tests of `trust::names`: parsing of constraints and presented names, checking, server
//! names, the work bound.

use super::directory::*;
use super::dns::*;
use super::ip::*;
use super::subject::*;
use super::uri::*;
use super::*;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
use der::Encode;
use der::asn1::{Ia5String, OctetString};
use x509_cert::ext::pkix::NameConstraints as X509NameConstraints;
use x509_cert::ext::pkix::constraints::name::GeneralSubtree;
use x509_cert::name::Name;

use crate::error::ErrorKind;

// --- helpers ------------------------------------------------------------------------------

fn dns(s: &str) -> GeneralName {
    GeneralName::DnsName(Ia5String::new(s).unwrap())
}
fn email(s: &str) -> GeneralName {
    GeneralName::Rfc822Name(Ia5String::new(s).unwrap())
}
fn uri(s: &str) -> GeneralName {
    GeneralName::UniformResourceIdentifier(Ia5String::new(s).unwrap())
}
fn ip(octets: &[u8]) -> GeneralName {
    GeneralName::IpAddress(OctetString::new(octets.to_vec()).unwrap())
}
fn ip_v4(addr: [u8; 4], mask: [u8; 4]) -> GeneralName {
    ip(&[addr, mask].concat())
}
fn ip_v6(addr: Ipv6Addr, prefix: u32) -> GeneralName {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    ip(&[addr.octets(), mask.to_be_bytes()].concat())
}
fn dir(s: &str) -> GeneralName {
    GeneralName::DirectoryName(Name::from_str(s).unwrap())
}

fn subtrees(names: Vec<GeneralName>) -> Option<Vec<GeneralSubtree>> {
    (!names.is_empty()).then(|| {
        names
            .into_iter()
            .map(|base| GeneralSubtree {
                base,
                minimum: 0,
                maximum: None,
            })
            .collect()
    })
}

/// The DER of a NameConstraints value, encoded by x509-cert.
fn nc_der(permitted: Vec<GeneralName>, excluded: Vec<GeneralName>) -> Vec<u8> {
    X509NameConstraints {
        permitted_subtrees: subtrees(permitted),
        excluded_subtrees: subtrees(excluded),
    }
    .to_der()
    .unwrap()
}

fn nc(permitted: Vec<GeneralName>, excluded: Vec<GeneralName>) -> NameConstraints {
    NameConstraints::from_der(&nc_der(permitted, excluded)).unwrap()
}

fn nc_err(permitted: Vec<GeneralName>, excluded: Vec<GeneralName>) -> ErrorKind {
    NameConstraints::from_der(&nc_der(permitted, excluded))
        .unwrap_err()
        .kind()
}

fn with_dns(list: &[&str]) -> SubjectNames {
    let mut n = SubjectNames::default();
    for d in list {
        n.push_dns((*d).to_owned());
    }
    n
}
fn with_emails(list: &[&str]) -> SubjectNames {
    let mut n = SubjectNames::default();
    for e in list {
        n.push_email((*e).to_owned());
    }
    n
}
fn with_ips(list: &[IpAddr]) -> SubjectNames {
    let mut n = SubjectNames::default();
    for a in list {
        match a {
            IpAddr::V4(v4) => n.push_ip(&v4.octets()),
            IpAddr::V6(v6) => n.push_ip(&v6.octets()),
        }
    }
    n
}
fn with_dir(der: &[u8]) -> SubjectNames {
    let name = Name::from_der(der).unwrap();
    let d = DirName::from_name(&name);
    SubjectNames {
        directory: vec![Presented {
            text: d.text.clone(),
            parsed: Some(d),
        }],
        ..SubjectNames::default()
    }
}

fn not_permitted(form: NameForm, name: &str) -> std::result::Result<(), NameConstraintViolation> {
    Err(NameConstraintViolation::NotPermitted {
        form,
        name: name.to_owned(),
    })
}
fn excluded(
    form: NameForm,
    name: &str,
    subtree: &str,
) -> std::result::Result<(), NameConstraintViolation> {
    Err(NameConstraintViolation::Excluded {
        form,
        name: name.to_owned(),
        subtree: subtree.to_owned(),
    })
}
fn malformed(form: NameForm, name: &str) -> std::result::Result<(), NameConstraintViolation> {
    Err(NameConstraintViolation::MalformedName {
        form,
        name: name.to_owned(),
    })
}

/// A minimal DER TLV (short or long form length) for hand-made encodings.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}

/// A one-RDN-per-attribute Name in DER from (OID DER value bytes, string tag, text).
fn name_der(attrs: &[(&[u8], u8, &str)]) -> Vec<u8> {
    let rdns: Vec<u8> = attrs
        .iter()
        .flat_map(|(oid, tag, text)| {
            let atv = tlv(0x30, &[tlv(0x06, oid), tlv(*tag, text.as_bytes())].concat());
            tlv(0x31, &atv)
        })
        .collect();
    tlv(0x30, &rdns)
}
const OID_C: &[u8] = &[0x55, 0x04, 0x06];
const OID_O: &[u8] = &[0x55, 0x04, 0x0a];
const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const PRINTABLE: u8 = 0x13;
const UTF8: u8 = 0x0c;

// --- dNSName ------------------------------------------------------------------------------

#[test]
fn dns_constraint_matches_the_name_and_its_subdomains_on_label_boundaries() {
    let c = nc(vec![dns("Example.COM")], vec![]);
    for ok in [
        "example.com",
        "a.example.com",
        "A.B.EXAMPLE.com",
        "x_y.example.com",
    ] {
        assert_eq!(check(&c, &with_dns(&[ok])), Ok(()), "{ok}");
    }
    for bad in [
        "badexample.com",
        "example.org",
        "com",
        "example.com.evil.org",
    ] {
        assert_eq!(
            check(&c, &with_dns(&[bad])),
            not_permitted(NameForm::DnsName, bad),
            "{bad}"
        );
    }
    // Every name must be permitted, not just one.
    assert_eq!(
        check(&c, &with_dns(&["a.example.com", "b.example.net"])),
        not_permitted(NameForm::DnsName, "b.example.net")
    );
    // Several permitted subtrees: any one suffices.
    let two = nc(vec![dns("example.com"), dns("example.net")], vec![]);
    assert_eq!(
        check(&two, &with_dns(&["a.example.com", "b.example.net"])),
        Ok(())
    );
}

#[test]
fn dns_constraint_with_a_leading_period_matches_only_subdomains() {
    let c = nc(vec![dns(".example.com")], vec![]);
    assert_eq!(check(&c, &with_dns(&["x.example.com"])), Ok(()));
    assert_eq!(check(&c, &with_dns(&["y.x.example.com"])), Ok(()));
    assert_eq!(
        check(&c, &with_dns(&["example.com"])),
        not_permitted(NameForm::DnsName, "example.com")
    );
    assert_eq!(
        check(&c, &with_dns(&["xexample.com"])),
        not_permitted(NameForm::DnsName, "xexample.com")
    );
    let ex = nc(vec![], vec![dns(".example.com")]);
    assert_eq!(check(&ex, &with_dns(&["example.com"])), Ok(()));
    assert_eq!(
        check(&ex, &with_dns(&["a.example.com"])),
        excluded(NameForm::DnsName, "a.example.com", ".example.com")
    );
}

#[test]
fn empty_dns_constraint_matches_every_name() {
    let permit_all = nc(vec![dns("")], vec![]);
    assert_eq!(check(&permit_all, &with_dns(&["anything.example"])), Ok(()));
    let exclude_all = nc(vec![], vec![dns("")]);
    assert_eq!(
        check(&exclude_all, &with_dns(&["anything.example"])),
        excluded(NameForm::DnsName, "anything.example", "")
    );
    // No DNS names: unaffected.
    assert_eq!(check(&exclude_all, &SubjectNames::default()), Ok(()));
}

#[test]
fn excluded_wins_over_permitted() {
    let c = nc(vec![dns("example.com")], vec![dns("bad.example.com")]);
    assert_eq!(check(&c, &with_dns(&["good.example.com"])), Ok(()));
    assert_eq!(
        check(&c, &with_dns(&["x.bad.example.com"])),
        excluded(NameForm::DnsName, "x.bad.example.com", "bad.example.com")
    );
    assert_eq!(
        check(&c, &with_dns(&["BAD.example.com"])),
        excluded(NameForm::DnsName, "BAD.example.com", "bad.example.com")
    );
}

#[test]
fn malformed_dns_names_fail_closed_only_under_dns_constraints() {
    let c = nc(vec![dns("example.com")], vec![]);
    for bad in [
        "a..example.com",
        ".example.com",
        "example.com.",
        "ex ample.example.com",
        "-a.example.com",
        "f*o.example.com",
        "foo.*.example.com",
        "*",
        "1.2.3.4",
        "b\u{fffd}.example.com",
        "",
    ] {
        assert_eq!(
            check(&c, &with_dns(&[bad])),
            malformed(NameForm::DnsName, bad),
            "{bad:?}"
        );
    }
    // Constraints of another form only: a malformed DNS name is not looked at.
    let ip_only = nc(vec![ip_v4([10, 0, 0, 0], [255, 0, 0, 0])], vec![]);
    assert_eq!(check(&ip_only, &with_dns(&["a..example.com"])), Ok(()));
}

#[test]
fn malformed_dns_constraints_are_rejected() {
    for bad in [
        "*.example.com",
        "a..b",
        "exa mple.com",
        "example.com.",
        ".",
        "-x.com",
    ] {
        assert_eq!(nc_err(vec![dns(bad)], vec![]), ErrorKind::Parse, "{bad:?}");
        assert_eq!(nc_err(vec![], vec![dns(bad)]), ErrorKind::Parse, "{bad:?}");
    }
}

#[test]
fn wildcard_names_are_checked_for_every_name_they_stand_for() {
    // Permitted: every expansion must be inside.
    let c = nc(vec![dns("foo.com")], vec![]);
    assert_eq!(check(&c, &with_dns(&["*.foo.com"])), Ok(()));
    assert_eq!(check(&c, &with_dns(&["*.a.foo.com"])), Ok(()));
    let c = nc(vec![dns("foo.example.com")], vec![]);
    assert_eq!(
        check(&c, &with_dns(&["*.example.com"])),
        not_permitted(NameForm::DnsName, "*.example.com")
    );
    let c = nc(vec![dns(".example.com")], vec![]);
    assert_eq!(check(&c, &with_dns(&["*.example.com"])), Ok(()));

    // Excluded: one expansion inside is enough (CVE-2025-61727).
    let c = nc(vec![], vec![dns("bar.example.com")]);
    assert_eq!(
        check(&c, &with_dns(&["*.example.com"])),
        excluded(NameForm::DnsName, "*.example.com", "bar.example.com")
    );
    assert_eq!(check(&c, &with_dns(&["*.other.example.com"])), Ok(()));
    // `*.example.com` cannot stand for `x.bar.example.com`.
    let c = nc(vec![], vec![dns(".bar.example.com")]);
    assert_eq!(check(&c, &with_dns(&["*.example.com"])), Ok(()));
    let c = nc(vec![], vec![dns("y.x.example.com")]);
    assert_eq!(check(&c, &with_dns(&["*.example.com"])), Ok(()));
    let c = nc(vec![], vec![dns("example.com")]);
    assert_eq!(
        check(&c, &with_dns(&["*.example.com"])),
        excluded(NameForm::DnsName, "*.example.com", "example.com")
    );
}

// --- rfc822Name ---------------------------------------------------------------------------

#[test]
fn email_constraint_forms_mailbox_host_and_domain() {
    let c = nc(
        vec![
            email("Alice@Mail.Example.com"),
            email("example.net"),
            email(".corp.example"),
        ],
        vec![],
    );
    for ok in [
        "Alice@mail.example.com",
        "Alice@MAIL.EXAMPLE.COM",
        "bob@example.net",
        "Bob@EXAMPLE.net",
        "x@a.corp.example",
        "x@b.a.corp.example",
        "\"quoted@local\"@example.net",
    ] {
        assert_eq!(check(&c, &with_emails(&[ok])), Ok(()), "{ok}");
    }
    for bad in [
        // The local part is compared exactly.
        "alice@mail.example.com",
        "bob@mail.example.com",
        // A host constraint is that host only.
        "bob@sub.example.net",
        // A .domain constraint is subdomains only.
        "x@corp.example",
        "x@xcorp.example",
    ] {
        assert_eq!(
            check(&c, &with_emails(&[bad])),
            not_permitted(NameForm::Rfc822Name, bad),
            "{bad}"
        );
    }
}

#[test]
fn email_constraints_treat_asterisks_literally() {
    let c = nc(vec![email("*@example.com")], vec![]);
    assert_eq!(check(&c, &with_emails(&["*@example.com"])), Ok(()));
    assert_eq!(
        check(&c, &with_emails(&["user@example.com"])),
        not_permitted(NameForm::Rfc822Name, "user@example.com")
    );
    assert_eq!(
        check(&c, &with_emails(&["*@sub.example.com"])),
        not_permitted(NameForm::Rfc822Name, "*@sub.example.com")
    );
}

#[test]
fn excluded_email_constraints() {
    let c = nc(
        vec![email("example.com")],
        vec![email("bad@example.com"), email(".evil.example")],
    );
    assert_eq!(check(&c, &with_emails(&["good@example.com"])), Ok(()));
    assert_eq!(
        check(&c, &with_emails(&["bad@EXAMPLE.com"])),
        excluded(NameForm::Rfc822Name, "bad@EXAMPLE.com", "bad@example.com")
    );
    let ex = nc(vec![], vec![email(".evil.example")]);
    assert_eq!(
        check(&ex, &with_emails(&["a@x.evil.example"])),
        excluded(NameForm::Rfc822Name, "a@x.evil.example", ".evil.example")
    );
    assert_eq!(check(&ex, &with_emails(&["a@evil.example"])), Ok(()));
}

#[test]
fn malformed_email_addresses_and_constraints() {
    let c = nc(vec![email("example.com")], vec![]);
    for bad in [
        "invalid@address@example.com",
        "noat.example.com",
        "@example.com",
        "a..b@example.com",
        "a@",
        "a@[192.0.2.1]",
        "\"unterminated@example.com",
    ] {
        assert_eq!(
            check(&c, &with_emails(&[bad])),
            malformed(NameForm::Rfc822Name, bad),
            "{bad}"
        );
    }
    for bad in [
        "invalid@invalid@example.com",
        "a@b..c",
        "..example.com",
        "@example.com",
    ] {
        assert_eq!(nc_err(vec![email(bad)], vec![]), ErrorKind::Parse, "{bad}");
    }
}

// --- iPAddress ----------------------------------------------------------------------------

#[test]
fn ipv4_constraints() {
    let c = nc(
        vec![ip_v4([10, 0, 0, 0], [255, 0, 0, 0])],
        vec![ip_v4([10, 66, 0, 0], [255, 255, 0, 0])],
    );
    let v4 = |a, b, c, d| IpAddr::V4(Ipv4Addr::new(a, b, c, d));
    assert_eq!(check(&c, &with_ips(&[v4(10, 1, 2, 3)])), Ok(()));
    assert_eq!(
        check(&c, &with_ips(&[v4(11, 0, 0, 1)])),
        not_permitted(NameForm::IpAddress, "11.0.0.1")
    );
    assert_eq!(
        check(&c, &with_ips(&[v4(10, 66, 1, 1)])),
        excluded(NameForm::IpAddress, "10.66.1.1", "10.66.0.0/16")
    );
    // An IPv4 subtree never covers an IPv6 address, not even an IPv4-mapped one.
    let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
    assert_eq!(
        check(&c, &with_ips(&[mapped])),
        not_permitted(NameForm::IpAddress, "::ffff:10.1.2.3")
    );
    // 0.0.0.0/0 excludes every IPv4 address and no IPv6 address.
    let all_v4 = nc(vec![], vec![ip_v4([0; 4], [0; 4])]);
    assert_eq!(
        check(&all_v4, &with_ips(&[v4(192, 0, 2, 1)])),
        excluded(NameForm::IpAddress, "192.0.2.1", "0.0.0.0/0")
    );
    assert_eq!(
        check(&all_v4, &with_ips(&[Ipv6Addr::LOCALHOST.into()])),
        Ok(())
    );
    // A /32 is one address; host bits in the constraint's address are ignored.
    let one = nc(vec![ip_v4([192, 0, 2, 7], [255; 4])], vec![]);
    assert_eq!(check(&one, &with_ips(&[v4(192, 0, 2, 7)])), Ok(()));
    assert!(check(&one, &with_ips(&[v4(192, 0, 2, 8)])).is_err());
    let host_bits = nc(vec![ip_v4([192, 0, 2, 7], [255, 255, 255, 0])], vec![]);
    assert_eq!(check(&host_bits, &with_ips(&[v4(192, 0, 2, 200)])), Ok(()));
}

#[test]
fn ipv6_constraints_with_masks() {
    let net: Ipv6Addr = "2001:db8::".parse().unwrap();
    let c = nc(
        vec![ip_v6(net, 32)],
        vec![
            ip_v6("2001:db8:bad::".parse().unwrap(), 48),
            ip_v6(Ipv6Addr::LOCALHOST, 128),
        ],
    );
    let v6 = |s: &str| -> IpAddr { s.parse().unwrap() };
    assert_eq!(check(&c, &with_ips(&[v6("2001:db8:1::1")])), Ok(()));
    assert_eq!(check(&c, &with_ips(&[v6("2001:db8:ffff:ffff::")])), Ok(()));
    assert_eq!(
        check(&c, &with_ips(&[v6("2001:db9::1")])),
        not_permitted(NameForm::IpAddress, "2001:db9::1")
    );
    assert_eq!(
        check(&c, &with_ips(&[v6("2001:db8:bad:1::1")])),
        excluded(
            NameForm::IpAddress,
            "2001:db8:bad:1::1",
            "2001:db8:bad::/48"
        )
    );
    // An IPv6 subtree never covers an IPv4 address.
    assert_eq!(
        check(&c, &with_ips(&[v6("32.1.13.184")])),
        not_permitted(NameForm::IpAddress, "32.1.13.184")
    );
    // Odd prefix lengths.
    let odd = nc(vec![ip_v6("2001:db8:8000::".parse().unwrap(), 33)], vec![]);
    assert_eq!(check(&odd, &with_ips(&[v6("2001:db8:ffff::1")])), Ok(()));
    assert!(check(&odd, &with_ips(&[v6("2001:db8:7fff::1")])).is_err());
}

#[test]
fn ip_constraint_masks_must_be_contiguous_and_of_the_right_length() {
    assert_eq!(
        nc_err(vec![ip_v4([10, 0, 0, 0], [255, 0, 255, 0])], vec![]),
        ErrorKind::Parse
    );
    assert_eq!(
        nc_err(vec![ip_v4([10, 0, 0, 0], [0, 255, 255, 255])], vec![]),
        ErrorKind::Parse
    );
    let mut v6 = [0u8; 32];
    v6[16] = 0xff;
    v6[18] = 0xff;
    assert_eq!(nc_err(vec![], vec![ip(&v6)]), ErrorKind::Parse);
    for len in [0, 4, 5, 16, 33] {
        assert_eq!(
            nc_err(vec![ip(&vec![0; len])], vec![]),
            ErrorKind::Parse,
            "{len}"
        );
    }
    let parsed = IpConstraint::parse(&[10, 1, 2, 3, 255, 255, 0xf0, 0]).unwrap();
    assert_eq!(parsed.to_string(), "10.1.0.0/20");
}

#[test]
fn malformed_ip_addresses_fail_closed() {
    let c = nc(vec![ip_v4([192, 0, 2, 0], [255, 255, 255, 0])], vec![]);
    let mut names = SubjectNames::default();
    names.push_ip(&[192, 0, 2, 0, 255, 255, 255, 0]);
    assert_eq!(
        check(&c, &names),
        malformed(NameForm::IpAddress, "c0000200ffffff00")
    );
}

// --- uniformResourceIdentifier ------------------------------------------------------------

fn with_uris(list: &[&str]) -> SubjectNames {
    let mut n = SubjectNames::default();
    for u in list {
        n.push_uri((*u).to_owned());
    }
    n
}

#[test]
fn uri_host_extraction() {
    let dns = |h: &str| Some(UriHost::Dns(h.to_owned()));
    let ip = |a: &str| Some(UriHost::Ip(a.parse().unwrap()));
    for (uri, want) in [
        ("http://host.example.com", dns("host.example.com")),
        ("http://host.example.com/", dns("host.example.com")),
        (
            "HTTPS://Host.EXAMPLE.com/Path?Q=1#F",
            dns("host.example.com"),
        ),
        ("http://host.example.com:8080/x", dns("host.example.com")),
        ("http://host.example.com:/x", dns("host.example.com")),
        ("ftp://host.example.com?q", dns("host.example.com")),
        ("ldap://host.example.com#f", dns("host.example.com")),
        ("http://user@host.example.com/", dns("host.example.com")),
        (
            "http://user:pa%20ss@host.example.com:443/",
            dns("host.example.com"),
        ),
        // The userinfo is not the host.
        ("http://good.example.com@evil.example/", dns("evil.example")),
        // A path that looks like an authority is not one.
        ("http://evil.example/@good.example.com", dns("evil.example")),
        ("git+ssh://h.example.org/repo", dns("h.example.org")),
        ("http://192.0.2.1/", ip("192.0.2.1")),
        ("http://192.0.2.1:80/", ip("192.0.2.1")),
        ("http://[2001:db8::1]/", ip("2001:db8::1")),
        ("http://user@[2001:DB8::1]:8443/x", ip("2001:db8::1")),
        ("urn:isbn:0451450523", Some(UriHost::Absent)),
        ("mailto:alice@host.example.com", Some(UriHost::Absent)),
        ("http:host.example.com", Some(UriHost::Absent)),
        ("file:///etc/passwd", Some(UriHost::Absent)),
        // Malformed.
        ("", None),
        ("host.example.com", None),
        ("://host.example.com/", None),
        ("1http://host.example.com/", None),
        ("ht tp://host.example.com/", None),
        ("http://host.example.com/a b", None),
        ("http://host.ex\u{e4}mple.com/", None),
        ("http://a@b@evil.example/", None),
        ("http://evil.example\\@good.example.com/", None),
        ("http://host.example.com:http/", None),
        ("http://host.example.com:65536/", None),
        ("http://host.example.com:+80/", None),
        ("http://host.example.com:80:80/", None),
        ("http://host..example.com/", None),
        ("http://host.example.com./", None),
        ("http://h%6fst.example.com/", None),
        ("http://*.example.com/", None),
        ("http://1.2.3.4.5/", None),
        ("http://[2001:db8::1/", None),
        ("http://[2001:db8::1]x/", None),
        ("http://[192.0.2.1]/", None),
        ("http://[v1.fe]/", None),
        ("http://[fe80::1%25eth0]/", None),
    ] {
        assert_eq!(UriHost::parse(uri), want, "{uri:?}");
    }
}

#[test]
fn uri_constraint_host_matches_exactly_that_host() {
    let c = nc(vec![uri("Host.Example.com")], vec![]);
    for ok in [
        "http://host.example.com/",
        "HTTPS://HOST.EXAMPLE.COM:8443/index.html",
        "ftp://anonymous@host.example.com/pub",
        "ldap://host.example.com",
    ] {
        assert_eq!(check(&c, &with_uris(&[ok])), Ok(()), "{ok}");
    }
    for bad in [
        "http://example.com/",
        "http://sub.host.example.com/",
        "http://xhost.example.com/",
        "http://host.example.com.evil.example/",
        "http://host.example.com@evil.example/",
    ] {
        assert_eq!(
            check(&c, &with_uris(&[bad])),
            not_permitted(NameForm::Uri, bad),
            "{bad}"
        );
    }
    // Every URI must be permitted.
    assert_eq!(
        check(
            &c,
            &with_uris(&["http://host.example.com/", "http://other.example/"])
        ),
        not_permitted(NameForm::Uri, "http://other.example/")
    );
}

#[test]
fn uri_constraint_with_a_leading_period_matches_only_subdomains() {
    let c = nc(vec![uri(".Example.com")], vec![]);
    for ok in [
        "http://host.example.com/",
        "http://my.host.EXAMPLE.com:80/",
        "https://user@a.b.c.example.com/",
    ] {
        assert_eq!(check(&c, &with_uris(&[ok])), Ok(()), "{ok}");
    }
    for bad in [
        "http://example.com/",
        "http://badexample.com/",
        "http://example.com.evil.example/",
    ] {
        assert_eq!(
            check(&c, &with_uris(&[bad])),
            not_permitted(NameForm::Uri, bad),
            "{bad}"
        );
    }
    let ex = nc(vec![], vec![uri(".example.com")]);
    assert_eq!(check(&ex, &with_uris(&["http://example.com/"])), Ok(()));
    assert_eq!(
        check(&ex, &with_uris(&["http://Evil.Example.com:1/"])),
        excluded(NameForm::Uri, "http://Evil.Example.com:1/", ".example.com")
    );
    let ex = nc(vec![uri(".example.com")], vec![uri("bad.example.com")]);
    assert_eq!(check(&ex, &with_uris(&["http://ok.example.com/"])), Ok(()));
    assert_eq!(
        check(&ex, &with_uris(&["http://bad.example.com/"])),
        excluded(NameForm::Uri, "http://bad.example.com/", "bad.example.com")
    );
    // A host constraint excludes only that host.
    assert_eq!(
        check(&ex, &with_uris(&["http://x.bad.example.com/"])),
        Ok(())
    );
}

#[test]
fn uris_with_an_ip_host_or_no_host_fail_permitted_and_escape_excluded_subtrees() {
    let names = [
        "http://192.0.2.1/",
        "http://[2001:db8::1]:443/",
        "urn:example:host.example.com",
        "mailto:a@host.example.com",
        "file:///host.example.com",
    ];
    let permitted = nc(vec![uri(".example.com"), uri("host.example.com")], vec![]);
    let excluded_only = nc(vec![], vec![uri(".example.com"), uri("host.example.com")]);
    for name in names {
        assert_eq!(
            check(&permitted, &with_uris(&[name])),
            not_permitted(NameForm::Uri, name),
            "{name}"
        );
        assert_eq!(check(&excluded_only, &with_uris(&[name])), Ok(()), "{name}");
    }
    // The empty constraint covers every URI, with a host or not.
    let all = nc(vec![], vec![uri("")]);
    for name in names.into_iter().chain(["http://host.example.com/"]) {
        assert_eq!(
            check(&all, &with_uris(&[name])),
            excluded(NameForm::Uri, name, ""),
            "{name}"
        );
    }
    let permit_all = nc(vec![uri("")], vec![]);
    assert_eq!(check(&permit_all, &with_uris(&names)), Ok(()));
    // A URI with an IP host is not checked against iPAddress constraints.
    let ip_only = nc(vec![ip_v4([10, 0, 0, 0], [255, 0, 0, 0])], vec![]);
    assert_eq!(check(&ip_only, &with_uris(&["http://192.0.2.1/"])), Ok(()));
}

#[test]
fn malformed_uris_fail_closed_only_under_uri_constraints() {
    let permitted = nc(vec![uri(".example.com")], vec![]);
    let excluded_only = nc(vec![], vec![uri(".evil.example")]);
    for bad in [
        "http://a@b@host.example.com/",
        "http://host.example.com:99999/",
        "http://h%6fst.example.com/",
        "host.example.com",
        "http://host.example.com/\u{fffd}",
    ] {
        assert_eq!(
            check(&permitted, &with_uris(&[bad])),
            malformed(NameForm::Uri, bad),
            "{bad:?}"
        );
        assert_eq!(
            check(&excluded_only, &with_uris(&[bad])),
            malformed(NameForm::Uri, bad),
            "{bad:?}"
        );
    }
    // Constraints of another form only: a malformed URI is not looked at.
    let dns_only = nc(vec![dns("example.com")], vec![]);
    assert_eq!(check(&dns_only, &with_uris(&["http://a@b@x/"])), Ok(()));
    let err = check(&permitted, &with_uris(&["http://a@b@x/"])).unwrap_err();
    assert_eq!(
        err.message("CN=Sub CA"),
        "URI \"http://a@b@x/\" is malformed, so it cannot be checked against the name \
         constraints of \"CN=Sub CA\""
    );
}

#[test]
fn malformed_uri_constraints_are_rejected() {
    for bad in [
        "http://example.com/",
        "example.com/path",
        "*.example.com",
        "..example.com",
        "example.com.",
        ".",
        "192.0.2.1",
        "[2001:db8::1]",
        "example.com:80",
        "user@example.com",
    ] {
        assert_eq!(nc_err(vec![uri(bad)], vec![]), ErrorKind::Parse, "{bad:?}");
        assert_eq!(nc_err(vec![], vec![uri(bad)]), ErrorKind::Parse, "{bad:?}");
    }
    let parsed = nc(
        vec![uri("Host.Example.COM"), uri(".Example.org"), uri("")],
        vec![],
    );
    assert_eq!(
        parsed.permitted,
        vec![
            Subtree::Uri(UriConstraint::Host("host.example.com".into())),
            Subtree::Uri(UriConstraint::Domain("example.org".into())),
            Subtree::Uri(UriConstraint::All),
        ]
    );
    let shown: Vec<String> = parsed.permitted.iter().map(ToString::to_string).collect();
    assert_eq!(shown, ["host.example.com", ".example.org", ""]);
}

#[test]
fn uri_comparisons_count_against_the_budget() {
    let constraints: Vec<GeneralName> = (0..500).map(|i| uri(&format!(".c{i}.test"))).collect();
    let c = nc(constraints, vec![]);
    let names: Vec<String> = (0..600).map(|i| format!("http://n{i}.c0.test/")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        check(&c, &with_uris(&refs)),
        Err(NameConstraintViolation::TooComplex {
            comparisons: 300_000
        })
    );
    assert_eq!(check(&c, &with_uris(&refs[..400])), Ok(()));
}

#[test]
fn subject_names_reads_san_uris_and_keeps_a_constructed_one_as_malformed() {
    use crate::ca::DistinguishedName;
    use crate::ca::sign::{TbsParts, extension, random_serial, sign_certificate};
    use crate::key::{HashAlg, KeySpec, PrivateKey, SignatureScheme};

    // SAN: a URI, then a [6] with the constructed bit (not a valid URI encoding).
    let san = tlv(
        0x30,
        &[
            tlv(0x86, b"HTTP://Host.Example.com:8/x"),
            tlv(0xa6, &tlv(0x04, &[])),
        ]
        .concat(),
    );
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let subject = DistinguishedName::new("uri test").to_der().unwrap();
    let now = std::time::SystemTime::now();
    let cert = sign_certificate(
        TbsParts {
            serial: &random_serial().unwrap(),
            issuer_der: &subject,
            subject_der: &subject,
            spki_der: &key.public_key_der(),
            not_before: now,
            not_after: now,
            extensions: vec![
                extension(
                    ID_CE_SUBJECT_ALT_NAME,
                    false,
                    &der::Any::from_der(&san).unwrap(),
                )
                .unwrap(),
            ],
        },
        &key,
        SignatureScheme::Ecdsa(HashAlg::Sha256),
    )
    .unwrap();
    let names = subject_names(&cert).unwrap();
    assert_eq!(
        names.uris,
        vec![
            Presented {
                text: "HTTP://Host.Example.com:8/x".into(),
                parsed: Some(UriHost::Dns("host.example.com".into())),
            },
            Presented {
                text: "a6020400".into(),
                parsed: None,
            },
        ]
    );
    assert!(names.other.is_empty());
    let c = nc(vec![uri("host.example.com")], vec![]);
    assert_eq!(check(&c, &names), malformed(NameForm::Uri, "a6020400"));
    // Constraints of another form only: neither URI matters.
    let dns_only = nc(vec![dns("example.com")], vec![]);
    assert_eq!(check(&dns_only, &names), Ok(()));
}

// --- directoryName ------------------------------------------------------------------------

#[test]
fn directory_name_constraints_are_rdn_prefixes() {
    let subject = name_der(&[
        (OID_C, PRINTABLE, "DE"),
        (OID_O, UTF8, "Example Corp"),
        (OID_CN, UTF8, "alice"),
    ]);
    // RFC 4514 strings list the last RDN first.
    let c = nc(vec![dir("O=Example Corp,C=DE")], vec![]);
    assert_eq!(check(&c, &with_dir(&subject)), Ok(()));
    let c = nc(vec![dir("CN=alice,O=Example Corp,C=DE")], vec![]);
    assert_eq!(check(&c, &with_dir(&subject)), Ok(()));
    let c = nc(vec![dir("O=Other,C=DE")], vec![]);
    assert_eq!(
        check(&c, &with_dir(&subject)),
        not_permitted(NameForm::DirectoryName, "CN=alice,O=Example Corp,C=DE")
    );
    // Not a prefix: the constraint is longer than the name, or matches only a later RDN.
    let c = nc(vec![dir("OU=x,CN=alice,O=Example Corp,C=DE")], vec![]);
    assert!(check(&c, &with_dir(&subject)).is_err());
    let c = nc(vec![dir("O=Example Corp")], vec![]);
    assert!(check(&c, &with_dir(&subject)).is_err());

    let ex = nc(vec![], vec![dir("O=Example Corp,C=DE")]);
    assert_eq!(
        check(&ex, &with_dir(&subject)),
        excluded(
            NameForm::DirectoryName,
            "CN=alice,O=Example Corp,C=DE",
            "O=Example Corp,C=DE"
        )
    );
}

#[test]
fn directory_names_compare_case_and_white_space_insensitively_across_string_types() {
    let constraint = name_der(&[(OID_C, PRINTABLE, "DE"), (OID_O, UTF8, "example corp")]);
    let subject = name_der(&[
        (OID_C, PRINTABLE, "de"),
        (OID_O, PRINTABLE, "  Example   CORP "),
    ]);
    let c = NameConstraints {
        permitted: vec![Subtree::Directory(DirName::from_name(
            &Name::from_der(&constraint).unwrap(),
        ))],
        excluded: vec![],
    };
    assert_eq!(check(&c, &with_dir(&subject)), Ok(()));
    let other = name_der(&[(OID_C, PRINTABLE, "DE"), (OID_O, UTF8, "example corp2")]);
    assert!(check(&c, &with_dir(&other)).is_err());
    // A different attribute type with the same value is different.
    let cn = name_der(&[(OID_C, PRINTABLE, "DE"), (OID_CN, UTF8, "example corp")]);
    assert!(check(&c, &with_dir(&cn)).is_err());
}

// --- unsupported forms, structure, budget -------------------------------------------------

#[test]
fn unsupported_forms_fail_only_certificates_that_have_such_names() {
    let rid = GeneralName::RegisteredId(ObjectIdentifier::new_unwrap("1.2.3.4"));
    let c = nc(vec![dns("example.com")], vec![rid]);
    assert_eq!(
        c.excluded,
        vec![Subtree::Unsupported(NameForm::RegisteredId)]
    );
    let mut names = with_dns(&["a.example.com"]);
    assert_eq!(check(&c, &names), Ok(()));
    names
        .other
        .push((NameForm::RegisteredId, "1.2.3.4".to_owned()));
    let err = check(&c, &names).unwrap_err();
    assert_eq!(
        err,
        NameConstraintViolation::UnsupportedForm {
            form: NameForm::RegisteredId,
            name: "1.2.3.4".to_owned()
        }
    );
    assert_eq!(
        err.message("CN=Sub CA"),
        "registeredID \"1.2.3.4\" cannot be checked: the name constraints of \
         \"CN=Sub CA\" restrict registeredIDs, which are not supported"
    );
    // An otherName is not affected by a registeredID subtree.
    let mut names = SubjectNames::default();
    names.other.push((NameForm::OtherName, "1.2.3".to_owned()));
    assert_eq!(check(&c, &names), Ok(()));
}

#[test]
fn subtree_minimum_and_maximum_are_unsupported() {
    let base = tlv(0x82, b"example.com");
    let parse = |subtree: Vec<u8>| {
        let der = tlv(0x30, &tlv(0xa0, &tlv(0x30, &subtree)));
        NameConstraints::from_der(&der)
    };
    assert!(parse(base.clone()).is_ok());
    // An explicit minimum of 0 is tolerated.
    assert!(parse([base.clone(), tlv(0x80, &[0])].concat()).is_ok());
    let e = parse([base.clone(), tlv(0x80, &[1])].concat()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = parse([base.clone(), tlv(0x81, &[5])].concat()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    let e = parse([base.clone(), tlv(0x80, &[0]), tlv(0x81, &[5])].concat()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported);
    // Anything else after the base is malformed.
    let e = parse([base.clone(), tlv(0x04, &[0])].concat()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse);
    // x400Address (which x509-cert does not decode) is kept as an unsupported form.
    let x400 = parse(tlv(0xa3, &tlv(0x30, &[]))).unwrap();
    assert_eq!(x400.excluded, vec![]);
    assert_eq!(
        x400.permitted,
        vec![Subtree::Unsupported(NameForm::X400Address)]
    );
}

#[test]
fn malformed_extension_structures_are_rejected() {
    for der in [
        tlv(0x30, &[]),                                        // neither subtree list
        tlv(0x30, &tlv(0xa0, &[])),                            // empty permitted list
        tlv(0x30, &[tlv(0x05, &[]), tlv(0x05, &[])].concat()), // NULLs
        tlv(
            0x30,
            &[
                tlv(0xa1, &tlv(0x30, &tlv(0x82, b"a.com"))),
                tlv(0xa0, &tlv(0x30, &tlv(0x82, b"b.com"))),
            ]
            .concat(),
        ), // wrong order
        tlv(0x30, &tlv(0xa0, &tlv(0x04, &[]))),                // subtree not a SEQUENCE
        tlv(0x30, &tlv(0xa0, &tlv(0x30, &[]))),                // subtree without base
        tlv(0x30, &tlv(0xa0, &tlv(0x30, &tlv(0x89, &[1])))),   // [9] is no GeneralName
        vec![0x30, 0x05, 0xa0],                                // truncated
        [nc_der(vec![dns("a.com")], vec![]), vec![0]].concat(), // trailing byte
    ] {
        let e = NameConstraints::from_der(&der).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Parse, "{der:02x?}: {e}");
    }
    // An rfc822Name that is not IA5 text.
    let der = tlv(
        0x30,
        &tlv(0xa0, &tlv(0x30, &tlv(0x81, "ä@x.com".as_bytes()))),
    );
    assert_eq!(
        NameConstraints::from_der(&der).unwrap_err().kind(),
        ErrorKind::Parse
    );
}

#[test]
fn work_is_bounded() {
    let constraints: Vec<GeneralName> = (0..500).map(|i| dns(&format!("c{i}.test"))).collect();
    let c = nc(constraints, vec![]);
    let names: Vec<String> = (0..600).map(|i| format!("n{i}.c0.test")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let err = check(&c, &with_dns(&refs)).unwrap_err();
    assert_eq!(
        err,
        NameConstraintViolation::TooComplex {
            comparisons: 300_000
        }
    );
    assert!(err.to_string().contains("more than the limit of 250000"));
    // Within the budget, the same shape is checked normally.
    assert_eq!(check(&c, &with_dns(&refs[..400])), Ok(()));
}

#[test]
fn messages_name_the_name_the_rule_and_the_ca() {
    let c = nc(vec![email("example.com")], vec![dns("bad.example.com")]);
    let err = check(&c, &with_emails(&["a@evil.example"])).unwrap_err();
    assert_eq!(
        err.message("CN=Sub CA"),
        "email address \"a@evil.example\" is not permitted by the name constraints of \
         \"CN=Sub CA\""
    );
    assert_eq!(
        err.to_string(),
        "email address \"a@evil.example\" is not permitted by the name constraints"
    );
    let err = check(&c, &with_dns(&["x.bad.example.com"])).unwrap_err();
    assert_eq!(
        err.message("CN=Sub CA"),
        "DNS name \"x.bad.example.com\" is excluded by the name constraints of \"CN=Sub CA\" \
         (excluded subtree \"bad.example.com\")"
    );
    let err = check(&c, &with_dns(&["a..b"])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "DNS name \"a..b\" is malformed, so it cannot be checked against the name constraints"
    );
}

// --- TLS server names ---------------------------------------------------------------------

#[test]
fn dns_server_name_matching() {
    let names = with_dns(&[
        "Mail.Example.com",
        "*.wild.example.org",
        "*.com",
        "*",
        "f*o.example.net",
    ]);
    assert!(matches_dns_name(&names, "mail.example.com"));
    assert!(matches_dns_name(&names, "MAIL.EXAMPLE.COM"));
    assert!(matches_dns_name(&names, "mail.example.com."));
    assert!(!matches_dns_name(&names, "mail.example.com.."));
    assert!(!matches_dns_name(&names, "example.com"));
    assert!(!matches_dns_name(&names, "x.mail.example.com"));
    // Wildcards: exactly one whole left-most label.
    assert!(matches_dns_name(&names, "a.wild.example.org"));
    assert!(matches_dns_name(&names, "A.WILD.example.org."));
    assert!(!matches_dns_name(&names, "wild.example.org"));
    assert!(!matches_dns_name(&names, "a.b.wild.example.org"));
    // No wildcard over a single label, no bare `*`, no partial wildcard.
    assert!(!matches_dns_name(&names, "example.com"));
    assert!(!matches_dns_name(&names, "com"));
    assert!(!matches_dns_name(&names, "foo.example.net"));
    assert!(!matches_dns_name(&names, "f*o.example.net"));
    // Not a valid reference name.
    assert!(!matches_dns_name(&names, ""));
    assert!(!matches_dns_name(&names, "*.wild.example.org"));
    assert!(!matches_dns_name(&with_dns(&["1.2.3.4"]), "1.2.3.4"));
    assert!(!matches_dns_name(
        &with_dns(&["a.example.com"]),
        ".a.example.com"
    ));
}

#[test]
fn ip_server_name_matching() {
    let names = with_ips(&["192.0.2.1".parse().unwrap(), "2001:db8::1".parse().unwrap()]);
    assert!(matches_ip(&names, "192.0.2.1".parse().unwrap()));
    assert!(matches_ip(&names, "2001:db8:0::1".parse().unwrap()));
    assert!(!matches_ip(&names, "192.0.2.2".parse().unwrap()));
    assert!(!matches_ip(&names, "::ffff:192.0.2.1".parse().unwrap()));
    // DNS names never match an IP address and vice versa.
    assert!(!matches_dns_name(&names, "192.0.2.1"));
    assert!(!matches_ip(
        &with_dns(&["192.0.2.1"]),
        "192.0.2.1".parse().unwrap()
    ));
}

// --- NIST PKITS ---------------------------------------------------------------------------

/// A PKITS certificate from `tests/data/pkits/certs/`.
fn pkits(name: &str) -> Certificate {
    let path = format!(
        "{}/../tests/data/pkits/certs/{name}.crt",
        env!("CARGO_MANIFEST_DIR")
    );
    let der = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Certificate::from_der(&der).unwrap()
}

/// PKITS 4.13.34 to 4.13.38: URI name constraints (34 to 37) and, as PKITS numbers it,
/// 4.13.38 "Invalid DNS nameConstraints Test38" (a DNS name outside a permitted dNSName
/// subtree), each validated through the whole path engine.
#[test]
fn pkits_4_13_34_to_38_uri_name_constraints() {
    use crate::trust::{LeafPolicy, Reason, ValidationOptions, Validator};

    // 2020-06-01T00:00:00Z, inside every PKITS certificate's validity.
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_590_969_600);
    let options = ValidationOptions::new(at, LeafPolicy::Any).required_eku(None);
    let anchor = pkits("TrustAnchorRootCertificate");
    // The expected failure: None for a valid path, else part of the name-constraints reason.
    for (case, ca, ee, failure) in [
        (
            "4.13.34",
            "nameConstraintsURI1CACert",
            "ValidURInameConstraintsTest34EE",
            None,
        ),
        (
            "4.13.35",
            "nameConstraintsURI1CACert",
            "InvalidURInameConstraintsTest35EE",
            Some("URI \"http://testcertificates.gov/invalid.html\" is not permitted"),
        ),
        (
            "4.13.36",
            "nameConstraintsURI2CACert",
            "ValidURInameConstraintsTest36EE",
            None,
        ),
        (
            "4.13.37",
            "nameConstraintsURI2CACert",
            "InvalidURInameConstraintsTest37EE",
            Some(
                "URI \"ftp://invalidcertificates.gov:21/test37/\" is excluded by the name \
                 constraints",
            ),
        ),
        (
            "4.13.38",
            "nameConstraintsDNS1CACert",
            "InvalidDNSnameConstraintsTest38EE",
            Some("DNS name \"mytestcertificates.gov\" is not permitted"),
        ),
    ] {
        let validator = Validator::without_store()
            .anchors([anchor.clone()])
            .intermediates([pkits(ca)]);
        let result = validator.validate(&pkits(ee), &options).unwrap();
        match failure {
            None => assert!(result.is_valid(), "{case}: {:?}", result.reasons()),
            Some(why) => {
                assert!(!result.is_valid(), "{case} must not be valid");
                let reasons = result.reasons();
                assert!(
                    matches!(
                        reasons,
                        [Reason::NameConstraints { detail }] if detail.contains(why)
                    ),
                    "{case}: {reasons:?}"
                );
            }
        }
    }
}
