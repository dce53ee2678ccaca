//! uniformResourceIdentifier names: the host of a presented URI and URI constraints.

use std::fmt;
use std::net::IpAddr;

use super::dns::{is_subdomain, is_valid_dns_name};

/// The host of a well-formed uniformResourceIdentifier, the part that URI name constraints
/// apply to (RFC 5280 4.2.1.10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum UriHost {
    /// A registered name that is a valid DNS name, in lower case.
    Dns(String),
    /// An IP address: a bracketed IPv6 literal or a dotted-quad IPv4 address.
    Ip(IpAddr),
    /// No host: no authority (`urn:...`, `mailto:...`) or an empty one (`file:///...`).
    Absent,
}

/// May this byte appear in the userinfo of an authority (RFC 3986 3.2.1: unreserved,
/// pct-encoded, sub-delims and `:`)? `@`, `/`, `\`, `[` and the like may not.
pub(super) fn is_userinfo_byte(b: u8) -> bool {
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
    pub(super) fn parse(uri: &str) -> Option<Self> {
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
pub(super) enum UriConstraint {
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
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    pub(super) fn matches(&self, host: &UriHost) -> bool {
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
