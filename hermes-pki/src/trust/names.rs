//! RFC 5280 name constraints (section 4.2.1.10) and TLS server-name matching, as pure functions
//! for the trust engine's path validation.
//!
//! - [`NameConstraints::from_certificate`] reads a CA certificate's nameConstraints extension.
//! - [`subject_names`] collects the names a certificate presents: subjectAltName dNSName,
//!   iPAddress, rfc822Name, uniformResourceIdentifier and directoryName, the subject
//!   emailAddress attributes (which RFC 5280 says must be checked against rfc822Name
//!   constraints), the subject itself as a directory name (when it is not empty), and the forms
//!   this module does not interpret (otherName, registeredID, ...).
//! - [`check`] decides whether those names satisfy one set of constraints.
//! - [`matches_dns_name`] and [`matches_ip`] match a TLS server name against the subjectAltName.
//!
//! Path validation (RFC 5280 section 6.1.4 (g)/(h)) accumulates constraints down the chain; here
//! that is done by the caller, who calls [`check`] once for every CA certificate's constraints
//! against every certificate below that CA in the path. Checking each set separately is
//! equivalent to intersecting the permitted subtrees and uniting the excluded ones. Self-issued
//! intermediate certificates are exempt (RFC 5280 section 6.1.3 (b)): the caller does not call
//! [`check`] for them; the end certificate is always checked.
//!
//! As rustls-webpki does, the subject commonName is never treated as a DNS name: neither for
//! name constraints nor for server-name matching. Only subjectAltName dNSName entries count.
//!
//! Work is bounded: one [`check`] call does at most [`MAX_COMPARISONS`] name-against-subtree
//! comparisons and fails closed ([`NameConstraintViolation::TooComplex`]) beyond that (the
//! pathological "many names times many constraints" certificates of x509-limbo).

use std::fmt;
use std::net::IpAddr;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::{ID_CE_NAME_CONSTRAINTS, ID_CE_SUBJECT_ALT_NAME};
use der::asn1::AnyRef;
use der::{Decode, Encode, Reader, SliceReader, Tag, Tagged};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::name::Name;

use crate::cert::Certificate;
use crate::error::{Error, Result};

/// PKCS #9 emailAddress, the subject attribute that RFC 5280 checks against rfc822Name
/// constraints.
const EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// The most name-against-subtree comparisons one [`check`] call does before it gives up and
/// fails closed. The same budget rustls-webpki uses for a whole path.
pub(crate) const MAX_COMPARISONS: usize = 250_000;

/// The `what` of the errors this module returns.
const WHAT: &str = "name constraints";

/// The forms of a GeneralName (RFC 5280 section 4.2.1.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum NameForm {
    /// otherName `[0]`.
    OtherName,
    /// rfc822Name `[1]`: an email address.
    Rfc822Name,
    /// dNSName `[2]`.
    DnsName,
    /// x400Address `[3]`.
    X400Address,
    /// directoryName `[4]`.
    DirectoryName,
    /// ediPartyName `[5]`.
    EdiPartyName,
    /// uniformResourceIdentifier `[6]`.
    Uri,
    /// iPAddress `[7]`.
    IpAddress,
    /// registeredID `[8]`.
    RegisteredId,
}

impl NameForm {
    /// The form for a GeneralName context tag number, if it is one.
    fn from_tag_number(number: u32) -> Option<Self> {
        Some(match number {
            0 => NameForm::OtherName,
            1 => NameForm::Rfc822Name,
            2 => NameForm::DnsName,
            3 => NameForm::X400Address,
            4 => NameForm::DirectoryName,
            5 => NameForm::EdiPartyName,
            6 => NameForm::Uri,
            7 => NameForm::IpAddress,
            8 => NameForm::RegisteredId,
            _ => return None,
        })
    }

    /// How a name of this form is called in a message ("DNS name", "email address").
    pub(crate) fn noun(self) -> &'static str {
        match self {
            NameForm::OtherName => "otherName",
            NameForm::Rfc822Name => "email address",
            NameForm::DnsName => "DNS name",
            NameForm::X400Address => "x400Address",
            NameForm::DirectoryName => "directory name",
            NameForm::EdiPartyName => "ediPartyName",
            NameForm::Uri => "URI",
            NameForm::IpAddress => "IP address",
            NameForm::RegisteredId => "registeredID",
        }
    }

    /// The plural, for "the name constraints restrict URIs".
    fn plural(self) -> &'static str {
        match self {
            NameForm::OtherName => "otherNames",
            NameForm::Rfc822Name => "email addresses",
            NameForm::DnsName => "DNS names",
            NameForm::X400Address => "x400Addresses",
            NameForm::DirectoryName => "directory names",
            NameForm::EdiPartyName => "ediPartyNames",
            NameForm::Uri => "URIs",
            NameForm::IpAddress => "IP addresses",
            NameForm::RegisteredId => "registeredIDs",
        }
    }
}

impl fmt::Display for NameForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.noun())
    }
}

// ---------------------------------------------------------------------------------------------
// DER walking
// ---------------------------------------------------------------------------------------------

/// One DER element: its tag, contents octets and whole encoding.
#[derive(Debug, Clone, Copy)]
struct Tlv<'a> {
    /// The tag.
    tag: Tag,
    /// The contents octets.
    value: &'a [u8],
    /// Identifier, length and contents octets.
    raw: &'a [u8],
}

/// Splits `input` into its consecutive DER elements (all of it must be consumed).
fn elements(input: &[u8]) -> der::Result<Vec<Tlv<'_>>> {
    let mut reader = SliceReader::new(input)?;
    let mut out = Vec::new();
    while !reader.is_finished() {
        let start = usize::try_from(reader.position())?;
        let any = AnyRef::decode(&mut reader)?;
        let end = usize::try_from(reader.position())?;
        let raw = input
            .get(start..end)
            .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
        out.push(Tlv {
            tag: any.tag(),
            value: any.value(),
            raw,
        });
    }
    Ok(out)
}

/// Reads exactly one DER element spanning all of `input`, which must have tag `tag`.
fn single(input: &[u8], tag: Tag) -> der::Result<Tlv<'_>> {
    let mut els = elements(input)?.into_iter();
    match (els.next(), els.next()) {
        (Some(tlv), None) if tlv.tag == tag => Ok(tlv),
        (Some(tlv), None) => Err(tlv.tag.unexpected_error(Some(tag)).into()),
        _ => Err(der::ErrorKind::Failed.into()),
    }
}

/// The number of a context-specific tag and whether it is constructed.
fn context_tag(tag: Tag) -> Option<(u32, bool)> {
    match tag {
        Tag::ContextSpecific {
            constructed,
            number,
        } => Some((number.value(), constructed)),
        _ => None,
    }
}

/// The extension value (the contents of extnValue) with this OID, if the certificate has it.
fn extension_value(cert: &Certificate, oid: ObjectIdentifier) -> Option<&[u8]> {
    cert.x509()
        .tbs_certificate()
        .extensions()?
        .iter()
        .find(|ext| ext.extn_id == oid)
        .map(|ext| ext.extn_value.as_bytes())
}

// ---------------------------------------------------------------------------------------------
// DNS names
// ---------------------------------------------------------------------------------------------

/// Is `s` a DNS name in preferred name syntax (RFC 1034 / RFC 5280 4.2.1.6), as rustls-webpki
/// accepts it: labels of 1 to 63 letters, digits, hyphens and underscores, not starting or
/// ending with a hyphen, at most 253 octets, no empty label (so no leading or trailing dot), and
/// a last label that is not all digits (so an IPv4 address is not a DNS name).
fn is_valid_dns_name(s: &str) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let mut last_all_numeric = false;
    for label in s.split('.') {
        let b = label.as_bytes();
        if b.is_empty() || b.len() > 63 {
            return false;
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'_')
        {
            return false;
        }
        if b.first() == Some(&b'-') || b.last() == Some(&b'-') {
            return false;
        }
        last_all_numeric = b.iter().all(u8::is_ascii_digit);
    }
    !last_all_numeric
}

/// Is `name` a proper subdomain of `parent` (both lower case, valid)? `a.example.com` is a
/// subdomain of `example.com`; `badexample.com` and `example.com` itself are not.
fn is_subdomain(name: &str, parent: &str) -> bool {
    name.strip_suffix(parent)
        .and_then(|prefix| prefix.strip_suffix('.'))
        .is_some_and(|label| !label.is_empty())
}

/// `name` equal to `parent` or one of its subdomains.
fn is_within(name: &str, parent: &str) -> bool {
    name == parent || is_subdomain(name, parent)
}

/// A dNSName as a certificate presents it, parsed (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
enum DnsPattern {
    /// An exact name: `mail.example.com`.
    Exact(String),
    /// A wildcard as the whole left-most label: `*.example.com`, stored as `example.com`.
    Wildcard(String),
}

impl DnsPattern {
    /// Parses a presented dNSName; `None` when it is not a valid name or a wildcard pattern of
    /// the one allowed shape (`*.` followed by a valid name).
    fn parse(s: &str) -> Option<Self> {
        let lower = s.to_ascii_lowercase();
        if let Some(base) = lower.strip_prefix("*.") {
            is_valid_dns_name(base).then(|| DnsPattern::Wildcard(base.to_owned()))
        } else {
            is_valid_dns_name(&lower).then_some(DnsPattern::Exact(lower))
        }
    }
}

/// A dNSName constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DnsConstraint {
    /// The empty constraint: every DNS name.
    All,
    /// `example.com`: the name itself and every subdomain.
    HostAndSubdomains(String),
    /// `.example.com`: only the subdomains (the OpenSSL / rustls-webpki reading; RFC 5280 only
    /// defines the leading period for URI constraints).
    SubdomainsOnly(String),
}

impl DnsConstraint {
    /// Parses a dNSName constraint; `None` when malformed (a wildcard, an empty label, ...).
    fn parse(s: &str) -> Option<Self> {
        if s.is_empty() {
            return Some(DnsConstraint::All);
        }
        let lower = s.to_ascii_lowercase();
        match lower.strip_prefix('.') {
            Some(rest) => {
                is_valid_dns_name(rest).then(|| DnsConstraint::SubdomainsOnly(rest.into()))
            }
            None => is_valid_dns_name(&lower).then_some(DnsConstraint::HostAndSubdomains(lower)),
        }
    }

    /// Does the presented name fall in this subtree? For a wildcard, `every` asks whether every
    /// name the wildcard could stand for falls in it (the permitted-subtree question), otherwise
    /// whether at least one could (the excluded-subtree question: `*.example.com` must be
    /// refused under an excluded `bar.example.com`, CVE-2025-61727).
    fn matches(&self, name: &DnsPattern, every: bool) -> bool {
        match (self, name) {
            (DnsConstraint::All, _) => true,
            (DnsConstraint::HostAndSubdomains(c), DnsPattern::Exact(n)) => is_within(n, c),
            (DnsConstraint::SubdomainsOnly(c), DnsPattern::Exact(n)) => is_subdomain(n, c),
            // `*.base` stands for `x.base`, for any one label x.
            (DnsConstraint::HostAndSubdomains(c), DnsPattern::Wildcard(base)) => {
                is_within(base, c)
                    || (!every && c.split_once('.').is_some_and(|(_, parent)| parent == base))
            }
            (DnsConstraint::SubdomainsOnly(c), DnsPattern::Wildcard(base)) => is_within(base, c),
        }
    }
}

impl fmt::Display for DnsConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DnsConstraint::All => f.write_str(""),
            DnsConstraint::HostAndSubdomains(c) => f.write_str(c),
            DnsConstraint::SubdomainsOnly(c) => write!(f, ".{c}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// URIs
// ---------------------------------------------------------------------------------------------

/// The host of a well-formed uniformResourceIdentifier, the part that URI name constraints
/// apply to (RFC 5280 4.2.1.10).
#[derive(Debug, Clone, PartialEq, Eq)]
enum UriHost {
    /// A registered name that is a valid DNS name, in lower case.
    Dns(String),
    /// An IP address: a bracketed IPv6 literal or a dotted-quad IPv4 address.
    Ip(IpAddr),
    /// No host: no authority (`urn:...`, `mailto:...`) or an empty one (`file:///...`).
    Absent,
}

/// May this byte appear in the userinfo of an authority (RFC 3986 3.2.1: unreserved,
/// pct-encoded, sub-delims and `:`)? `@`, `/`, `\`, `[` and the like may not.
fn is_userinfo_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~%!$&'()*+,;=:".contains(&b)
}

impl UriHost {
    /// Extracts the host of a URI written `scheme:[//[userinfo@]host[:port]][/path][?q][#f]`
    /// (RFC 3986 section 3). The scheme and host are case-insensitive; the host is returned in
    /// lower case, without userinfo or port.
    ///
    /// `None` (malformed: the name fails closed under any URI constraint) when the URI is not
    /// printable ASCII without spaces, has no valid scheme, has a userinfo with a character
    /// RFC 3986 does not allow there (so `http://a@b@evil.example/` and
    /// `http://evil.example\@good.example/` are malformed, not read one way or the other), a
    /// port that is not a number up to 65535, an IP literal that is not an IPv6 address
    /// (IPvFuture, zone identifiers), or a registered name that is not a valid DNS name (a
    /// percent-encoded, trailing-dot or otherwise odd host is not decoded or normalised).
    fn parse(uri: &str) -> Option<Self> {
        if !uri.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        let (scheme, rest) = uri.split_once(':')?;
        let mut scheme = scheme.bytes();
        if !scheme.next().is_some_and(|b| b.is_ascii_alphabetic())
            || !scheme.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        {
            return None;
        }
        let Some(after) = rest.strip_prefix("//") else {
            return Some(UriHost::Absent);
        };
        let authority = match after.find(['/', '?', '#']) {
            Some(end) => after.get(..end)?,
            None => after,
        };
        let host_port = match authority.split_once('@') {
            Some((userinfo, host_port)) => {
                if !userinfo.bytes().all(is_userinfo_byte) {
                    return None;
                }
                host_port
            }
            None => authority,
        };
        let (host, port) = if let Some(literal) = host_port.strip_prefix('[') {
            let (inside, after) = literal.split_once(']')?;
            let ip = inside.parse::<std::net::Ipv6Addr>().ok()?;
            let port = match after {
                "" => None,
                _ => Some(after.strip_prefix(':')?),
            };
            (UriHost::Ip(IpAddr::V6(ip)), port)
        } else {
            let (name, port) = match host_port.split_once(':') {
                Some((name, port)) => (name, Some(port)),
                None => (host_port, None),
            };
            let name = name.to_ascii_lowercase();
            let host = if name.is_empty() {
                UriHost::Absent
            } else if let Ok(v4) = name.parse::<std::net::Ipv4Addr>() {
                UriHost::Ip(IpAddr::V4(v4))
            } else if is_valid_dns_name(&name) {
                UriHost::Dns(name)
            } else {
                return None;
            };
            (host, port)
        };
        // RFC 3986 allows an empty port; a non-empty one must be a number that fits.
        if let Some(port) = port
            && !port.is_empty()
            && !(port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok())
        {
            return None;
        }
        Some(host)
    }
}

/// A uniformResourceIdentifier constraint (RFC 5280 4.2.1.10): it applies to the host of the
/// URI only (scheme, userinfo, port and path are not looked at).
#[derive(Debug, Clone, PartialEq, Eq)]
enum UriConstraint {
    /// The empty constraint: every URI, whatever its host or lack of one (read as for dNSName;
    /// RFC 5280 does not say).
    All,
    /// `host.example.com`: URIs whose host is exactly that name.
    Host(String),
    /// `.example.com`: URIs whose host is a subdomain of that name (stored without the
    /// period), any number of labels deep, but not the name itself.
    Domain(String),
}

impl UriConstraint {
    /// Parses a URI constraint: empty, a fully qualified domain name, or one with a leading
    /// period. `None` when malformed (a whole URI, a wildcard, an IP address, an empty label).
    fn parse(s: &str) -> Option<Self> {
        if s.is_empty() {
            return Some(UriConstraint::All);
        }
        let lower = s.to_ascii_lowercase();
        match lower.strip_prefix('.') {
            Some(rest) => is_valid_dns_name(rest).then(|| UriConstraint::Domain(rest.into())),
            None => is_valid_dns_name(&lower).then_some(UriConstraint::Host(lower)),
        }
    }

    /// Does a URI with this host fall in this subtree? A host that is an IP address, and a URI
    /// without a host, fall in no subtree but the empty one: a permitted URI subtree does not
    /// admit them (fail closed, as pyca/cryptography and rustls-webpki do for names they cannot
    /// parse), and an excluded one does not exclude them, having no DNS host to be inside it.
    /// (Go's crypto/x509 refuses them under any URI constraint, excluded ones included.) A URI
    /// that does not parse at all never gets here: it fails under any URI constraint.
    fn matches(&self, host: &UriHost) -> bool {
        match (self, host) {
            (UriConstraint::All, _) => true,
            (UriConstraint::Host(c), UriHost::Dns(h)) => h == c,
            (UriConstraint::Domain(c), UriHost::Dns(h)) => is_subdomain(h, c),
            (
                UriConstraint::Host(_) | UriConstraint::Domain(_),
                UriHost::Ip(_) | UriHost::Absent,
            ) => false,
        }
    }
}

impl fmt::Display for UriConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UriConstraint::All => f.write_str(""),
            UriConstraint::Host(h) => f.write_str(h),
            UriConstraint::Domain(d) => write!(f, ".{d}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Email addresses
// ---------------------------------------------------------------------------------------------

/// A mailbox: the local part exactly as written, the host in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Mailbox {
    /// The local part, compared exactly (RFC 5280 4.2.1.10).
    local: String,
    /// The host, a valid DNS name in lower case.
    host: String,
}

/// RFC 5322 atext, plus any non-ASCII character (RFC 6531 internationalised local parts, which
/// OpenSSL writes into rfc822Name and subject emailAddress as UTF-8).
fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

impl Mailbox {
    /// Parses `local@host`, where the local part is a dot-atom or a quoted string and the host
    /// a DNS name (address literals such as `[192.0.2.1]` are not accepted). `None` when
    /// malformed, for instance with two `@` outside quotes.
    fn parse(s: &str) -> Option<Self> {
        let (local, host) = if s.starts_with('"') {
            let bytes = s.as_bytes();
            let mut i = 1;
            loop {
                match *bytes.get(i)? {
                    b'\\' => {
                        if !(0x20..=0x7e).contains(bytes.get(i + 1)?) {
                            return None;
                        }
                        i += 2;
                    }
                    b'"' => break,
                    0x20..=0x7e => i += 1,
                    _ => return None,
                }
            }
            (s.get(..=i)?, s.get(i + 1..)?.strip_prefix('@')?)
        } else {
            let (local, host) = s.split_once('@')?;
            let dot_atom = local
                .split('.')
                .all(|atom| !atom.is_empty() && atom.chars().all(is_atext));
            if !dot_atom {
                return None;
            }
            (local, host)
        };
        is_valid_dns_name(host).then(|| Mailbox {
            local: local.to_owned(),
            host: host.to_ascii_lowercase(),
        })
    }
}

/// An rfc822Name constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
enum EmailConstraint {
    /// The empty constraint: every address (read as for dNSName; RFC 5280 does not say).
    All,
    /// `user@host`: exactly that mailbox.
    Mailbox(Mailbox),
    /// `host`: every mailbox at exactly that host.
    Host(String),
    /// `.host`: every mailbox at a subdomain of host (stored without the period).
    Domain(String),
}

impl EmailConstraint {
    /// Parses an rfc822Name constraint; `None` when malformed.
    fn parse(s: &str) -> Option<Self> {
        if s.is_empty() {
            Some(EmailConstraint::All)
        } else if s.contains('@') {
            Mailbox::parse(s).map(EmailConstraint::Mailbox)
        } else if let Some(domain) = s.strip_prefix('.') {
            is_valid_dns_name(domain).then(|| EmailConstraint::Domain(domain.to_ascii_lowercase()))
        } else {
            is_valid_dns_name(s).then(|| EmailConstraint::Host(s.to_ascii_lowercase()))
        }
    }

    /// Does the mailbox fall in this subtree?
    fn matches(&self, m: &Mailbox) -> bool {
        match self {
            EmailConstraint::All => true,
            EmailConstraint::Mailbox(c) => c.local == m.local && c.host == m.host,
            EmailConstraint::Host(h) => &m.host == h,
            EmailConstraint::Domain(d) => is_subdomain(&m.host, d),
        }
    }
}

impl fmt::Display for EmailConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmailConstraint::All => f.write_str(""),
            EmailConstraint::Mailbox(m) => write!(f, "{}@{}", m.local, m.host),
            EmailConstraint::Host(h) => f.write_str(h),
            EmailConstraint::Domain(d) => write!(f, ".{d}"),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// IP addresses
// ---------------------------------------------------------------------------------------------

/// An iPAddress constraint: an address and a contiguous mask of the same family.
#[derive(Debug, Clone, PartialEq, Eq)]
struct IpConstraint {
    /// The address, already masked (4 or 16 octets).
    network: Vec<u8>,
    /// The mask (as long as `network`).
    mask: Vec<u8>,
}

impl IpConstraint {
    /// Parses the 8 (IPv4) or 32 (IPv6) octets of an iPAddress constraint: address then mask.
    /// The mask must be contiguous (ones, then zeros).
    fn parse(octets: &[u8]) -> std::result::Result<Self, String> {
        let half = match octets.len() {
            8 => 4,
            32 => 16,
            n => {
                return Err(format!(
                    "an iPAddress constraint has {n} octets; it must have 8 (IPv4 address and \
                     mask) or 32 (IPv6 address and mask)"
                ));
            }
        };
        let (addr, mask) = octets.split_at(half);
        let mask_value = mask
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        let bits = u32::try_from(half * 8).unwrap_or(128);
        // Left-align within u128 so leading_ones counts from the mask's first bit.
        let aligned = mask_value << (128 - bits);
        let ones = aligned.leading_ones();
        if ones < bits && (aligned << ones) != 0 {
            return Err(format!(
                "the iPAddress constraint mask {} is not contiguous",
                hex::encode(mask)
            ));
        }
        Ok(IpConstraint {
            network: addr.iter().zip(mask).map(|(a, m)| a & m).collect(),
            mask: mask.to_vec(),
        })
    }

    /// The prefix length of the mask.
    fn prefix_len(&self) -> u32 {
        self.mask.iter().map(|b| b.count_ones()).sum()
    }

    /// Does the address fall in this subtree (same family, same network bits)?
    fn matches(&self, ip: &IpAddr) -> bool {
        let octets: Vec<u8> = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        octets.len() == self.network.len()
            && octets
                .iter()
                .zip(&self.mask)
                .zip(&self.network)
                .all(|((a, m), n)| a & m == *n)
    }
}

impl fmt::Display for IpConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = match (
            <[u8; 4]>::try_from(self.network.as_slice()),
            <[u8; 16]>::try_from(self.network.as_slice()),
        ) {
            (Ok(v4), _) => IpAddr::from(v4),
            (_, Ok(v6)) => IpAddr::from(v6),
            _ => return f.write_str("?"),
        };
        write!(f, "{addr}/{}", self.prefix_len())
    }
}

/// The address in a subjectAltName iPAddress (4 or 16 octets), or `None`.
fn ip_from_octets(octets: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Some(IpAddr::from(v4))
    } else {
        <[u8; 16]>::try_from(octets).ok().map(IpAddr::from)
    }
}

// ---------------------------------------------------------------------------------------------
// Directory names
// ---------------------------------------------------------------------------------------------

/// An attribute value prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum AttrValue {
    /// A directory string (UTF8String, PrintableString, IA5String, BMPString) after RFC 5280
    /// 7.1-style preparation: surrounding white space removed, inner runs of white space
    /// collapsed to one space, lower case. So `PrintableString "Example  Corp"` equals
    /// `UTF8String "example corp"`.
    Text(String),
    /// Anything else: the whole DER encoding, compared exactly.
    Der(Vec<u8>),
}

/// One attribute of an RDN, prepared for comparison.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Attr {
    /// The attribute type.
    oid: ObjectIdentifier,
    /// The prepared value.
    value: AttrValue,
}

/// A distinguished name prepared for comparison: its RDNs in order, each RDN's attributes
/// sorted (an RDN is a set), with the RFC 4514 form for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
struct DirName {
    /// The RDNs, attributes sorted within each.
    rdns: Vec<Vec<Attr>>,
    /// RFC 4514 string, for messages.
    text: String,
}

/// Decodes a directory string value to text, or `None` for another type or a bad encoding.
fn directory_string(tag: Tag, value: &[u8]) -> Option<String> {
    match tag {
        Tag::Utf8String | Tag::PrintableString | Tag::Ia5String => {
            std::str::from_utf8(value).ok().map(str::to_owned)
        }
        Tag::BmpString => {
            if !value.len().is_multiple_of(2) {
                return None;
            }
            let units = value
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<std::result::Result<String, _>>()
                .ok()
        }
        _ => None,
    }
}

/// Surrounding white space removed, inner runs collapsed to one space, lower case.
fn prepare_text(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl DirName {
    /// Prepares a parsed Name for comparison.
    fn from_name(name: &Name) -> Self {
        let rdns = name
            .iter_rdn()
            .map(|rdn| {
                let mut attrs: Vec<Attr> = rdn
                    .iter()
                    .map(|atv| {
                        let tag = atv.value.tag();
                        let value = match directory_string(tag, atv.value.value()) {
                            Some(text) => AttrValue::Text(prepare_text(&text)),
                            None => AttrValue::Der(atv.value.to_der().unwrap_or_else(|_| {
                                // Cannot happen for a decoded value; stay distinct anyway.
                                atv.value.value().to_vec()
                            })),
                        };
                        Attr {
                            oid: atv.oid,
                            value,
                        }
                    })
                    .collect();
                attrs.sort();
                attrs
            })
            .collect();
        DirName {
            rdns,
            text: name.to_string(),
        }
    }

    /// Is `self` (a constraint) a prefix of `name`, RDN by RDN? The empty name is a prefix of
    /// every name.
    fn is_prefix_of(&self, name: &DirName) -> bool {
        self.rdns.len() <= name.rdns.len() && self.rdns.iter().zip(&name.rdns).all(|(a, b)| a == b)
    }
}

/// Whether two DER Names are the same name for chaining (RFC 5280 7.1): equal bytes, or the
/// same RDNs in the same order whose attributes match after case folding and white-space
/// normalisation, across PrintableString, UTF8String and BMPString. Names that do not parse
/// match only byte for byte.
pub(crate) fn names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (Name::from_der(a), Name::from_der(b)) {
        (Ok(x), Ok(y)) => DirName::from_name(&x).rdns == DirName::from_name(&y).rdns,
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------------
// Name constraints
// ---------------------------------------------------------------------------------------------

/// One subtree of a nameConstraints extension, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subtree {
    /// rfc822Name.
    Email(EmailConstraint),
    /// dNSName.
    Dns(DnsConstraint),
    /// iPAddress with mask.
    Ip(IpConstraint),
    /// uniformResourceIdentifier (its host).
    Uri(UriConstraint),
    /// directoryName.
    Directory(DirName),
    /// A form this module does not interpret; a certificate with a name of this form fails.
    Unsupported(NameForm),
}

impl Subtree {
    /// The name form this subtree constrains.
    fn form(&self) -> NameForm {
        match self {
            Subtree::Email(_) => NameForm::Rfc822Name,
            Subtree::Dns(_) => NameForm::DnsName,
            Subtree::Ip(_) => NameForm::IpAddress,
            Subtree::Uri(_) => NameForm::Uri,
            Subtree::Directory(_) => NameForm::DirectoryName,
            Subtree::Unsupported(form) => *form,
        }
    }

    /// Parses a GeneralSubtree (its contents: base, then minimum and maximum if present).
    fn parse(contents: &[u8]) -> Result<Self> {
        let fields = elements(contents).map_err(|e| Error::malformed(WHAT, e))?;
        let mut fields = fields.into_iter();
        let base = fields
            .next()
            .ok_or_else(|| Error::malformed(WHAT, "a GeneralSubtree has no base name"))?;
        let mut seen_min = false;
        for field in fields {
            match context_tag(field.tag) {
                Some((0, false)) if !seen_min => {
                    seen_min = true;
                    // BaseDistance DEFAULT 0: DER leaves it out; an explicit 0 is tolerated.
                    if field.value.is_empty() {
                        return Err(Error::malformed(WHAT, "a subtree minimum is empty"));
                    }
                    if field.value != [0] {
                        return Err(Error::unsupported(
                            WHAT,
                            "a subtree has a minimum other than 0, which RFC 5280 does not \
                             allow for any name form",
                        ));
                    }
                }
                Some((1, false)) => {
                    return Err(Error::unsupported(
                        WHAT,
                        "a subtree has a maximum, which RFC 5280 does not allow for any name form",
                    ));
                }
                _ => {
                    return Err(Error::malformed(
                        WHAT,
                        "a GeneralSubtree has an unexpected field after its base name",
                    ));
                }
            }
        }
        Self::from_base(base)
    }

    /// Interprets the base GeneralName of a subtree.
    fn from_base(base: Tlv<'_>) -> Result<Self> {
        // x509-cert does not decode x400Address: recognise it by its tag.
        if let Some((3, _)) = context_tag(base.tag) {
            return Ok(Subtree::Unsupported(NameForm::X400Address));
        }
        let name = GeneralName::from_der(base.raw)
            .map_err(|e| Error::malformed(WHAT, format!("a subtree's base name: {e}")))?;
        Ok(match name {
            GeneralName::Rfc822Name(s) => {
                let text = s.as_str();
                Subtree::Email(EmailConstraint::parse(text).ok_or_else(|| {
                    Error::malformed(
                        WHAT,
                        format!(
                            "the rfc822Name constraint {text:?} is not a mailbox, host or .domain"
                        ),
                    )
                })?)
            }
            GeneralName::DnsName(s) => {
                let text = s.as_str();
                Subtree::Dns(DnsConstraint::parse(text).ok_or_else(|| {
                    Error::malformed(
                        WHAT,
                        format!("the dNSName constraint {text:?} is not a valid DNS name"),
                    )
                })?)
            }
            GeneralName::IpAddress(octets) => Subtree::Ip(
                IpConstraint::parse(octets.as_bytes()).map_err(|e| Error::malformed(WHAT, e))?,
            ),
            GeneralName::DirectoryName(name) => Subtree::Directory(DirName::from_name(&name)),
            GeneralName::OtherName(_) => Subtree::Unsupported(NameForm::OtherName),
            GeneralName::EdiPartyName(_) => Subtree::Unsupported(NameForm::EdiPartyName),
            GeneralName::UniformResourceIdentifier(s) => {
                let text = s.as_str();
                Subtree::Uri(UriConstraint::parse(text).ok_or_else(|| {
                    Error::malformed(
                        WHAT,
                        format!(
                            "the uniformResourceIdentifier constraint {text:?} is not a host or \
                             .domain name"
                        ),
                    )
                })?)
            }
            GeneralName::RegisteredId(_) => Subtree::Unsupported(NameForm::RegisteredId),
        })
    }
}

impl fmt::Display for Subtree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subtree::Email(c) => write!(f, "{c}"),
            Subtree::Dns(c) => write!(f, "{c}"),
            Subtree::Ip(c) => write!(f, "{c}"),
            Subtree::Uri(c) => write!(f, "{c}"),
            Subtree::Directory(d) => f.write_str(&d.text),
            Subtree::Unsupported(form) => write!(f, "{} subtree", form.noun()),
        }
    }
}

/// A CA certificate's nameConstraints extension (RFC 5280 section 4.2.1.10), parsed: the
/// permitted and the excluded subtrees.
///
/// Interpreted forms: rfc822Name (mailbox, host, `.domain`), dNSName (name and its subdomains,
/// or with a leading period only the subdomains; empty for everything), iPAddress (IPv4 and
/// IPv6 with contiguous masks), uniformResourceIdentifier (the URI's host: exactly `host`, or
/// with a leading period only the subdomains; see [`UriConstraint`]) and directoryName (RDN
/// prefix). Subtrees of any other form are kept as "unsupported": a certificate that has a name
/// of such a form is refused, one that has none is unaffected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameConstraints {
    /// permittedSubtrees (empty when absent).
    permitted: Vec<Subtree>,
    /// excludedSubtrees (empty when absent).
    excluded: Vec<Subtree>,
}

impl NameConstraints {
    /// Reads the nameConstraints extension of `cert`: `Ok(None)` when it has none.
    ///
    /// Errors: [`Error::Malformed`] when the extension does not parse, has neither permitted
    /// nor excluded subtrees, has an empty list of subtrees, or has a subtree that is not a valid
    /// constraint of its form (a dNSName with a wildcard or an empty label, an rfc822Name with
    /// two `@`, an iPAddress of the wrong length or with a non-contiguous mask, a
    /// uniformResourceIdentifier that is not a host or `.domain` name);
    /// [`Error::Unsupported`] for a subtree with a minimum other than 0 or with a maximum.
    pub(crate) fn from_certificate(cert: &Certificate) -> Result<Option<NameConstraints>> {
        extension_value(cert, ID_CE_NAME_CONSTRAINTS)
            .map(Self::from_der)
            .transpose()
    }

    /// Parses the DER of a NameConstraints value.
    fn from_der(der: &[u8]) -> Result<NameConstraints> {
        let seq = single(der, Tag::Sequence).map_err(|e| Error::malformed(WHAT, e))?;
        let fields = elements(seq.value).map_err(|e| Error::malformed(WHAT, e))?;
        let mut permitted = None;
        let mut excluded = None;
        for field in fields {
            match context_tag(field.tag) {
                Some((0, true)) if permitted.is_none() && excluded.is_none() => {
                    permitted = Some(Self::subtrees(field.value)?);
                }
                Some((1, true)) if excluded.is_none() => {
                    excluded = Some(Self::subtrees(field.value)?);
                }
                _ => {
                    return Err(Error::malformed(
                        WHAT,
                        "expected permittedSubtrees [0] and/or excludedSubtrees [1]",
                    ));
                }
            }
        }
        if permitted.is_none() && excluded.is_none() {
            return Err(Error::malformed(
                WHAT,
                "the extension has neither permitted nor excluded subtrees",
            ));
        }
        Ok(NameConstraints {
            permitted: permitted.unwrap_or_default(),
            excluded: excluded.unwrap_or_default(),
        })
    }

    /// Parses GeneralSubtrees (the contents of the `[0]` or `[1]`): one or more subtrees.
    fn subtrees(contents: &[u8]) -> Result<Vec<Subtree>> {
        let items = elements(contents).map_err(|e| Error::malformed(WHAT, e))?;
        if items.is_empty() {
            return Err(Error::malformed(WHAT, "a list of subtrees is empty"));
        }
        items
            .into_iter()
            .map(|item| {
                if item.tag != Tag::Sequence {
                    return Err(Error::malformed(WHAT, "a GeneralSubtree is not a SEQUENCE"));
                }
                Subtree::parse(item.value)
            })
            .collect()
    }

    /// How many subtrees (permitted plus excluded) constrain this form, and their total weight
    /// for the work budget (directory names weigh their number of RDNs).
    fn weight(&self, form: NameForm) -> usize {
        self.permitted
            .iter()
            .chain(&self.excluded)
            .filter(|s| s.form() == form)
            .map(|s| match s {
                Subtree::Directory(d) => d.rdns.len().max(1),
                _ => 1,
            })
            .sum()
    }

    /// Do any subtrees (permitted or excluded) constrain this form?
    fn constrains(&self, form: NameForm) -> bool {
        self.permitted
            .iter()
            .chain(&self.excluded)
            .any(|s| s.form() == form)
    }
}

// ---------------------------------------------------------------------------------------------
// Subject names
// ---------------------------------------------------------------------------------------------

/// A name as presented in a certificate: its text for messages and, when it is well formed, the
/// parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Presented<T> {
    /// The name as written (lossily decoded if it was not text), for messages.
    text: String,
    /// The parsed name; `None` when malformed (fails closed under constraints of its form).
    parsed: Option<T>,
}

/// The names a certificate presents, as name constraints see them (RFC 5280 4.2.1.10):
///
/// - DNS names: subjectAltName dNSName only (never the subject commonName, as rustls-webpki);
/// - IP addresses: subjectAltName iPAddress;
/// - email addresses: subjectAltName rfc822Name and the subject emailAddress attributes;
/// - URIs: subjectAltName uniformResourceIdentifier, with their hosts;
/// - directory names: the subject, when it is not empty, and subjectAltName directoryName;
/// - other forms (otherName, registeredID, x400Address, ediPartyName) by form only.
///
/// Malformed names are kept (as malformed): they fail closed when constraints of their form
/// apply.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SubjectNames {
    /// subjectAltName dNSName.
    dns: Vec<Presented<DnsPattern>>,
    /// subjectAltName iPAddress.
    ips: Vec<Presented<IpAddr>>,
    /// subjectAltName rfc822Name and subject emailAddress.
    emails: Vec<Presented<Mailbox>>,
    /// subjectAltName uniformResourceIdentifier.
    uris: Vec<Presented<UriHost>>,
    /// The subject (if not empty) and subjectAltName directoryName.
    directory: Vec<Presented<DirName>>,
    /// Names of the forms this module does not interpret.
    other: Vec<(NameForm, String)>,
}

impl SubjectNames {
    /// The well-formed dNSName entries of the subjectAltName, lower case (`*.` kept).
    #[cfg(test)]
    pub(crate) fn dns_names(&self) -> impl Iterator<Item = String> + '_ {
        self.dns.iter().filter_map(|p| match &p.parsed {
            Some(DnsPattern::Exact(n)) => Some(n.clone()),
            Some(DnsPattern::Wildcard(base)) => Some(format!("*.{base}")),
            None => None,
        })
    }

    /// The iPAddress entries of the subjectAltName (those of 4 or 16 octets).
    pub(crate) fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ips.iter().filter_map(|p| p.parsed)
    }

    /// Does the subjectAltName have any dNSName or iPAddress entry (well formed or not)?
    #[cfg(test)]
    pub(crate) fn has_server_names(&self) -> bool {
        !self.dns.is_empty() || !self.ips.is_empty()
    }

    /// Adds a dNSName.
    fn push_dns(&mut self, text: String) {
        let parsed = DnsPattern::parse(&text);
        self.dns.push(Presented { text, parsed });
    }

    /// Adds an rfc822Name or emailAddress.
    fn push_email(&mut self, text: String) {
        let parsed = Mailbox::parse(&text);
        self.emails.push(Presented { text, parsed });
    }

    /// Adds a uniformResourceIdentifier.
    fn push_uri(&mut self, text: String) {
        let parsed = UriHost::parse(&text);
        self.uris.push(Presented { text, parsed });
    }

    /// Adds an iPAddress from its octets.
    fn push_ip(&mut self, octets: &[u8]) {
        let parsed = ip_from_octets(octets);
        let text = match parsed {
            Some(ip) => ip.to_string(),
            None => hex::encode(octets),
        };
        self.ips.push(Presented { text, parsed });
    }
}

/// Text from bytes that should be IA5String: lossy, so a bad byte shows as U+FFFD and makes the
/// name malformed.
fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Collects the names `cert` presents (see [`SubjectNames`]).
///
/// Errors with [`Error::Malformed`] when the subjectAltName extension is not a SEQUENCE of
/// GeneralNames. A single entry that is not well formed (a dNSName with an empty label, an
/// iPAddress of 8 octets, a directoryName that does not parse, ...) is not an error here: it is
/// recorded as malformed and fails [`check`] under constraints of its form.
pub(crate) fn subject_names(cert: &Certificate) -> Result<SubjectNames> {
    let mut names = SubjectNames::default();
    let subject = cert.x509().tbs_certificate().subject();

    if !subject.is_empty() {
        names.directory.push(Presented {
            text: cert.subject().to_owned(),
            parsed: Some(DirName::from_name(subject)),
        });
    }
    for atv in subject.iter().filter(|atv| atv.oid == EMAIL_ADDRESS) {
        let value = atv.value.value();
        let text = directory_string(atv.value.tag(), value).unwrap_or_else(|| lossy(value));
        names.push_email(text);
    }

    if let Some(san) = extension_value(cert, ID_CE_SUBJECT_ALT_NAME) {
        let bad = |e: der::Error| Error::malformed("subjectAltName", e);
        let seq = single(san, Tag::Sequence).map_err(bad)?;
        for gn in elements(seq.value).map_err(bad)? {
            let Some((number, constructed)) = context_tag(gn.tag) else {
                return Err(Error::malformed(
                    "subjectAltName",
                    format!(
                        "an entry has the tag {}, which is not a GeneralName",
                        gn.tag
                    ),
                ));
            };
            let form = NameForm::from_tag_number(number).ok_or_else(|| {
                Error::malformed(
                    "subjectAltName",
                    format!("an entry has the tag [{number}], which is not a GeneralName"),
                )
            })?;
            match (form, constructed) {
                (NameForm::DnsName, false) => names.push_dns(lossy(gn.value)),
                (NameForm::Rfc822Name, false) => names.push_email(lossy(gn.value)),
                (NameForm::IpAddress, false) => names.push_ip(gn.value),
                (NameForm::DirectoryName, true) => {
                    let parsed = Name::from_der(gn.value)
                        .ok()
                        .map(|n| DirName::from_name(&n));
                    let text = match &parsed {
                        Some(d) => d.text.clone(),
                        None => hex::encode(gn.value),
                    };
                    names.directory.push(Presented { text, parsed });
                }
                (NameForm::Uri, false) => names.push_uri(lossy(gn.value)),
                (NameForm::RegisteredId, false) => {
                    let text = ObjectIdentifier::from_bytes(gn.value)
                        .map(|oid| oid.to_string())
                        .unwrap_or_else(|_| hex::encode(gn.value));
                    names.other.push((form, text));
                }
                (NameForm::OtherName, true) => {
                    // Show the type-id: the first element of the OtherName.
                    let text = elements(gn.value)
                        .ok()
                        .and_then(|els| els.first().copied())
                        .filter(|t| t.tag == Tag::ObjectIdentifier)
                        .and_then(|t| ObjectIdentifier::from_bytes(t.value).ok())
                        .map(|oid| oid.to_string())
                        .unwrap_or_else(|| "?".to_owned());
                    names.other.push((form, text));
                }
                (NameForm::X400Address | NameForm::EdiPartyName, true) => {
                    names.other.push((form, hex::encode(gn.raw)));
                }
                // A well-known form with the wrong primitive/constructed bit: keep it as a
                // malformed name of that form so it fails closed under constraints.
                (NameForm::DnsName, true) => names.dns.push(Presented {
                    text: hex::encode(gn.raw),
                    parsed: None,
                }),
                (NameForm::Rfc822Name, true) => names.emails.push(Presented {
                    text: hex::encode(gn.raw),
                    parsed: None,
                }),
                (NameForm::IpAddress, true) => names.ips.push(Presented {
                    text: hex::encode(gn.raw),
                    parsed: None,
                }),
                (NameForm::Uri, true) => names.uris.push(Presented {
                    text: hex::encode(gn.raw),
                    parsed: None,
                }),
                (NameForm::DirectoryName, false) => names.directory.push(Presented {
                    text: hex::encode(gn.raw),
                    parsed: None,
                }),
                (_, _) => names.other.push((form, hex::encode(gn.raw))),
            }
        }
    }
    Ok(names)
}

// ---------------------------------------------------------------------------------------------
// Checking
// ---------------------------------------------------------------------------------------------

/// Why a certificate's names do not satisfy a CA's name constraints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NameConstraintViolation {
    /// A name falls within an excluded subtree.
    Excluded {
        /// The form of the name.
        form: NameForm,
        /// The name.
        name: String,
        /// The excluded subtree it falls in.
        subtree: String,
    },
    /// Permitted subtrees exist for the name's form and the name is in none of them.
    NotPermitted {
        /// The form of the name.
        form: NameForm,
        /// The name.
        name: String,
    },
    /// The constraints restrict a form this module does not interpret and the certificate has
    /// a name of that form (RFC 5280: process the constraint or reject the certificate).
    UnsupportedForm {
        /// The form of the name.
        form: NameForm,
        /// The name (as far as it can be shown).
        name: String,
    },
    /// A name of a constrained form is malformed, so it cannot be placed in or out of a subtree.
    MalformedName {
        /// The form of the name.
        form: NameForm,
        /// The name as written.
        name: String,
    },
    /// More than [`MAX_COMPARISONS`] comparisons would be needed.
    TooComplex {
        /// The comparisons the check would need.
        comparisons: usize,
    },
}

impl NameConstraintViolation {
    /// The message for an admin, naming the CA whose constraints were violated:
    /// `email address "a@evil.example" is not permitted by the name constraints of "CN=Sub CA"`.
    pub(crate) fn message(&self, ca_subject: &str) -> String {
        self.render(&format!(" of {ca_subject:?}"))
    }

    /// The message with `owner` (" of \"CN=...\"" or "") after "the name constraints".
    fn render(&self, owner: &str) -> String {
        match self {
            NameConstraintViolation::Excluded {
                form,
                name,
                subtree,
            } => format!(
                "{} {name:?} is excluded by the name constraints{owner} (excluded subtree \
                 {subtree:?})",
                form.noun()
            ),
            NameConstraintViolation::NotPermitted { form, name } => format!(
                "{} {name:?} is not permitted by the name constraints{owner}",
                form.noun()
            ),
            NameConstraintViolation::UnsupportedForm { form, name } => format!(
                "{} {name:?} cannot be checked: the name constraints{owner} restrict {}, which \
                 are not supported",
                form.noun(),
                form.plural()
            ),
            NameConstraintViolation::MalformedName { form, name } => format!(
                "{} {name:?} is malformed, so it cannot be checked against the name \
                 constraints{owner}",
                form.noun()
            ),
            NameConstraintViolation::TooComplex { comparisons } => format!(
                "checking the names against the name constraints{owner} would take \
                 {comparisons} comparisons, more than the limit of {MAX_COMPARISONS}"
            ),
        }
    }
}

impl fmt::Display for NameConstraintViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.render(""))
    }
}

/// Checks the names of one certificate against one CA's name constraints (RFC 5280 4.2.1.10).
///
/// - Excluded: no name may fall in an excluded subtree of its form.
/// - Permitted: for each form with permitted subtrees, every name of that form must fall in at
///   least one of them. A certificate with no name of a form is unaffected by constraints of
///   that form.
/// - A malformed name of a constrained form fails (it cannot be shown to be inside).
/// - A name of a form this module does not interpret fails when any subtree of that form is
///   present; otherwise it is ignored.
/// - A wildcard dNSName (`*.example.com`) is permitted only if every name it stands for is, and
///   excluded if any name it stands for is.
/// - A URI is judged by its host ([`UriConstraint::matches`]): one whose host is an IP address
///   or that has no host is outside every non-empty URI subtree, so it fails permitted URI
///   subtrees and is not excluded by excluded ones.
///
/// For a whole path the caller calls this once per CA certificate with constraints, for every
/// certificate below that CA (skipping self-issued intermediates). The first violation found is
/// returned. Work is bounded by [`MAX_COMPARISONS`] per call; the validator also charges
/// [`comparisons`] to the path's [`Budget`](super::Budget).
pub(crate) fn check(
    constraints: &NameConstraints,
    names: &SubjectNames,
) -> std::result::Result<(), NameConstraintViolation> {
    let comparisons = comparisons(constraints, names);
    if comparisons > MAX_COMPARISONS {
        return Err(NameConstraintViolation::TooComplex { comparisons });
    }
    check_form(
        constraints,
        NameForm::DnsName,
        &names.dns,
        |s, n, every| match s {
            Subtree::Dns(c) => c.matches(n, every),
            _ => false,
        },
    )?;
    check_form(
        constraints,
        NameForm::Rfc822Name,
        &names.emails,
        |s, m, _| match s {
            Subtree::Email(c) => c.matches(m),
            _ => false,
        },
    )?;
    check_form(
        constraints,
        NameForm::IpAddress,
        &names.ips,
        |s, ip, _| match s {
            Subtree::Ip(c) => c.matches(ip),
            _ => false,
        },
    )?;
    check_form(
        constraints,
        NameForm::Uri,
        &names.uris,
        |s, host, _| match s {
            Subtree::Uri(c) => c.matches(host),
            _ => false,
        },
    )?;
    check_form(
        constraints,
        NameForm::DirectoryName,
        &names.directory,
        |s, d, _| match s {
            Subtree::Directory(c) => c.is_prefix_of(d),
            _ => false,
        },
    )?;
    for (form, name) in &names.other {
        if constraints.constrains(*form) {
            return Err(NameConstraintViolation::UnsupportedForm {
                form: *form,
                name: name.clone(),
            });
        }
    }
    Ok(())
}

/// The name-against-subtree comparisons checking `names` against `constraints` takes (the
/// unit of the work budget; directory names weigh their number of RDNs).
pub(crate) fn comparisons(constraints: &NameConstraints, names: &SubjectNames) -> usize {
    names
        .dns
        .len()
        .saturating_mul(constraints.weight(NameForm::DnsName))
        .saturating_add(
            names
                .emails
                .len()
                .saturating_mul(constraints.weight(NameForm::Rfc822Name)),
        )
        .saturating_add(
            names
                .ips
                .len()
                .saturating_mul(constraints.weight(NameForm::IpAddress)),
        )
        .saturating_add(
            names
                .uris
                .len()
                .saturating_mul(constraints.weight(NameForm::Uri)),
        )
        .saturating_add(
            names
                .directory
                .len()
                .saturating_mul(constraints.weight(NameForm::DirectoryName)),
        )
        .saturating_add(
            names.other.len().saturating_mul(
                constraints
                    .permitted
                    .len()
                    .saturating_add(constraints.excluded.len()),
            ),
        )
}

/// Checks the names of one form. `matches(subtree, name, every)` says whether the name falls
/// in the subtree; `every` is true for the permitted question (see [`DnsConstraint::matches`]).
fn check_form<T>(
    constraints: &NameConstraints,
    form: NameForm,
    names: &[Presented<T>],
    matches: impl Fn(&Subtree, &T, bool) -> bool,
) -> std::result::Result<(), NameConstraintViolation> {
    if names.is_empty() || !constraints.constrains(form) {
        return Ok(());
    }
    let permitted: Vec<&Subtree> = constraints
        .permitted
        .iter()
        .filter(|s| s.form() == form)
        .collect();
    let excluded: Vec<&Subtree> = constraints
        .excluded
        .iter()
        .filter(|s| s.form() == form)
        .collect();
    for name in names {
        let Some(parsed) = &name.parsed else {
            return Err(NameConstraintViolation::MalformedName {
                form,
                name: name.text.clone(),
            });
        };
        if let Some(subtree) = excluded.iter().find(|s| matches(s, parsed, false)) {
            return Err(NameConstraintViolation::Excluded {
                form,
                name: name.text.clone(),
                subtree: subtree.to_string(),
            });
        }
        if !permitted.is_empty() && !permitted.iter().any(|s| matches(s, parsed, true)) {
            return Err(NameConstraintViolation::NotPermitted {
                form,
                name: name.text.clone(),
            });
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// TLS server names
// ---------------------------------------------------------------------------------------------

/// Does the certificate's subjectAltName carry the DNS name `wanted` (RFC 6125 / RFC 9525, as
/// rustls-webpki)?
///
/// - Only subjectAltName dNSName entries count, never the subject commonName.
/// - Comparison is ASCII case-insensitive; one trailing dot in `wanted` is ignored. `wanted`
///   must be an A-label (ASCII) DNS name; an IP address literal never matches (use
///   [`matches_ip`]).
/// - A wildcard only as the whole left-most label (`*.example.com`), standing for exactly one
///   label: it matches `a.example.com`, not `example.com` nor `a.b.example.com`. Partial
///   wildcards (`f*o.example.com`, `xn--*.example.com`) and wildcards elsewhere never match.
/// - A wildcard whose remaining part has fewer than two labels (`*.com`, `*`) never matches (a
///   cheap stand-in for the public-suffix rule).
pub(crate) fn matches_dns_name(cert_names: &SubjectNames, wanted: &str) -> bool {
    let wanted = wanted.strip_suffix('.').unwrap_or(wanted);
    if wanted.parse::<IpAddr>().is_ok() || !is_valid_dns_name(wanted) {
        return false;
    }
    let wanted = wanted.to_ascii_lowercase();
    cert_names.dns.iter().any(|p| match &p.parsed {
        Some(DnsPattern::Exact(n)) => *n == wanted,
        Some(DnsPattern::Wildcard(base)) => {
            base.split('.').count() >= 2
                && wanted
                    .split_once('.')
                    .is_some_and(|(label, rest)| !label.is_empty() && rest == base)
        }
        None => false,
    })
}

/// Does the certificate's subjectAltName carry the IP address `wanted` (iPAddress entries
/// only, same address family: an IPv4 address never matches an IPv4-mapped IPv6 entry)?
pub(crate) fn matches_ip(cert_names: &SubjectNames, wanted: IpAddr) -> bool {
    cert_names.ip_addresses().any(|ip| ip == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::path::Path;
    use std::process::Command;
    use std::str::FromStr;

    use der::asn1::{Ia5String, OctetString};
    use x509_cert::ext::pkix::NameConstraints as X509NameConstraints;
    use x509_cert::ext::pkix::constraints::name::GeneralSubtree;

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

    fn not_permitted(
        form: NameForm,
        name: &str,
    ) -> std::result::Result<(), NameConstraintViolation> {
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

    // --- whole certificates made by OpenSSL ---------------------------------------------------

    const CA_CONFIG: &str = "\
[req]
distinguished_name = dn
[dn]
[ca_ext]
basicConstraints = critical,CA:TRUE
nameConstraints = critical,@nc
[nc]
permitted;DNS.0 = example.com
permitted;DNS.1 = .sub.example.org
permitted;email.0 = Alice@mail.example.com
permitted;email.1 = example.net
permitted;email.2 = .corp.example
permitted;IP.0 = 10.0.0.0/255.0.0.0
permitted;IP.1 = 2001:db8::/ffff:ffff::
permitted;dirName.0 = dir_sect
excluded;DNS.0 = bad.example.com
excluded;IP.0 = 10.66.0.0/255.255.0.0
excluded;URI.0 = .example.com
[dir_sect]
C = DE
O = Example Corp
[leaf_ext]
basicConstraints = critical,CA:FALSE
subjectAltName = @san
[san]
DNS.0 = a.example.com
DNS.1 = *.x.example.com
DNS.2 = Deep.Sub.Example.org
IP.0 = 10.1.2.3
IP.1 = 2001:db8::5
email.0 = Alice@MAIL.example.com
email.1 = bob@example.net
email.2 = carol@dept.corp.example
dirName.0 = san_dir
[san_dir]
C = DE
O = Example Corp
OU = Mail
[other_ext]
subjectAltName = otherName:1.3.6.1.4.1.99999.1;UTF8:hello, URI:https://www.example.com/, RID:1.2.3.4
[bad_mask_ext]
basicConstraints = critical,CA:TRUE
nameConstraints = critical,permitted;IP:10.0.0.0/255.0.255.0
";

    /// Makes a self-signed certificate with `openssl req` and the extensions section `ext`.
    fn openssl_cert(dir: &Path, subject: &str, ext: &str) -> Certificate {
        let config = dir.join("openssl.cnf");
        std::fs::write(&config, CA_CONFIG).unwrap();
        let out = dir.join(format!("{ext}.pem"));
        let status = Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
            ])
            .args(["-nodes", "-keyout"])
            .arg(dir.join("key.pem"))
            .args(["-days", "1", "-subj", subject, "-config"])
            .arg(&config)
            .args(["-extensions", ext, "-out"])
            .arg(&out)
            .output()
            .expect("run openssl");
        assert!(
            status.status.success(),
            "openssl: {}",
            String::from_utf8_lossy(&status.stderr)
        );
        Certificate::from_pem(&std::fs::read_to_string(&out).unwrap()).unwrap()
    }

    #[test]
    fn openssl_certificates_end_to_end() {
        let tmp = tempfile::tempdir().unwrap();
        let ca = openssl_cert(tmp.path(), "/CN=Sub CA", "ca_ext");
        // The subject's O differs in case and spacing from the constraint (and the emailAddress
        // is checked against the rfc822Name constraints); the CN is no DNS name.
        let leaf = openssl_cert(
            tmp.path(),
            "/C=DE/O=example  corp/CN=not-a-permitted-name.example.net/emailAddress=Alice@mail.example.com",
            "leaf_ext",
        );
        let other = openssl_cert(
            tmp.path(),
            "/C=DE/O=Example Corp/CN=evil.example.org/emailAddress=evil@bad.example",
            "other_ext",
        );
        let bad_mask = openssl_cert(tmp.path(), "/CN=Bad", "bad_mask_ext");

        let c = NameConstraints::from_certificate(&ca).unwrap().unwrap();
        assert_eq!(c.permitted.len(), 8);
        assert_eq!(c.excluded.len(), 3);
        assert_eq!(
            c.excluded,
            vec![
                Subtree::Dns(DnsConstraint::HostAndSubdomains("bad.example.com".into())),
                Subtree::Ip(IpConstraint::parse(&[10, 66, 0, 0, 255, 255, 0, 0]).unwrap()),
                Subtree::Uri(UriConstraint::Domain("example.com".into())),
            ]
        );
        assert_eq!(c.permitted[6].to_string(), "2001:db8::/32");
        assert_eq!(c.permitted[7].to_string(), "O=Example Corp,C=DE");

        // No extension: None.
        assert_eq!(NameConstraints::from_certificate(&leaf).unwrap(), None);
        // A non-contiguous mask (which OpenSSL writes) is malformed.
        let err = NameConstraints::from_certificate(&bad_mask).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Parse);
        assert!(err.to_string().contains("not contiguous"), "{err}");

        let names = subject_names(&leaf).unwrap();
        assert_eq!(
            names.dns_names().collect::<Vec<_>>(),
            ["a.example.com", "*.x.example.com", "deep.sub.example.org"]
        );
        assert_eq!(
            names.ip_addresses().collect::<Vec<_>>(),
            [
                IpAddr::from([10, 1, 2, 3]),
                "2001:db8::5".parse::<IpAddr>().unwrap()
            ]
        );
        let emails: Vec<&str> = names.emails.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            emails,
            [
                "Alice@mail.example.com",
                "Alice@MAIL.example.com",
                "bob@example.net",
                "carol@dept.corp.example"
            ]
        );
        assert_eq!(names.directory.len(), 2);
        assert_eq!(names.directory[1].text, "OU=Mail,O=Example Corp,C=DE");
        assert!(names.other.is_empty());
        assert!(names.has_server_names());
        assert_eq!(check(&c, &names), Ok(()));

        // TLS matching on the same certificate; the CN is never a DNS name.
        assert!(matches_dns_name(&names, "a.example.com"));
        assert!(matches_dns_name(&names, "w.x.example.com"));
        assert!(matches_dns_name(&names, "deep.sub.example.org"));
        assert!(!matches_dns_name(
            &names,
            "not-a-permitted-name.example.net"
        ));
        assert!(matches_ip(&names, "2001:db8::5".parse().unwrap()));

        // Adding one offending name of each kind makes it fail, with the right reason.
        let mut n = names.clone();
        n.push_dns("x.bad.example.com".into());
        assert_eq!(
            check(&c, &n),
            excluded(NameForm::DnsName, "x.bad.example.com", "bad.example.com")
        );
        let mut n = names.clone();
        n.push_dns("sub.example.org".into());
        assert_eq!(
            check(&c, &n),
            not_permitted(NameForm::DnsName, "sub.example.org")
        );
        let mut n = names.clone();
        n.push_ip(&[10, 66, 0, 1]);
        assert_eq!(
            check(&c, &n),
            excluded(NameForm::IpAddress, "10.66.0.1", "10.66.0.0/16")
        );
        let mut n = names.clone();
        n.push_ip(&Ipv6Addr::LOCALHOST.octets());
        assert_eq!(check(&c, &n), not_permitted(NameForm::IpAddress, "::1"));

        // The second certificate: its subject emailAddress is outside the rfc822Name subtrees
        // (its CN, not being a DNS name, is not checked), and the host of its URI is in the
        // excluded URI subtree.
        let names = subject_names(&other).unwrap();
        assert_eq!(names.dns_names().count(), 0);
        assert!(!names.has_server_names());
        assert!(!matches_dns_name(&names, "evil.example.org"));
        assert_eq!(
            names.other,
            vec![
                (NameForm::OtherName, "1.3.6.1.4.1.99999.1".to_owned()),
                (NameForm::RegisteredId, "1.2.3.4".to_owned()),
            ]
        );
        assert_eq!(
            names.uris,
            vec![Presented {
                text: "https://www.example.com/".to_owned(),
                parsed: Some(UriHost::Dns("www.example.com".into())),
            }]
        );
        let err = check(&c, &names).unwrap_err();
        assert_eq!(
            err,
            not_permitted(NameForm::Rfc822Name, "evil@bad.example").unwrap_err()
        );
        assert_eq!(
            err.message(other.subject()),
            format!(
                "email address \"evil@bad.example\" is not permitted by the name constraints of \
                 {:?}",
                other.subject()
            )
        );
        let only_uri = NameConstraints {
            permitted: vec![],
            excluded: c.excluded.clone(),
        };
        assert_eq!(
            check(&only_uri, &names),
            excluded(NameForm::Uri, "https://www.example.com/", ".example.com")
        );
        // The leaf has no URI: unaffected.
        assert_eq!(check(&only_uri, &subject_names(&leaf).unwrap()), Ok(()));
        // An excluded otherName subtree refuses the otherName.
        let on = nc(
            vec![],
            vec![GeneralName::OtherName(
                x509_cert::ext::pkix::name::OtherName {
                    type_id: ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1"),
                    value: der::Any::new(Tag::Utf8String, b"x".to_vec()).unwrap(),
                },
            )],
        );
        assert!(matches!(
            check(&on, &names),
            Err(NameConstraintViolation::UnsupportedForm {
                form: NameForm::OtherName,
                ..
            })
        ));
        // The leaf has no otherName: unaffected.
        assert_eq!(check(&on, &subject_names(&leaf).unwrap()), Ok(()));
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
}
