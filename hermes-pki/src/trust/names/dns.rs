//! DNS names: the one DNS-name syntax check of the crate, presented dNSNames (exact or
//! wildcard), dNSName constraints, and TLS server-name matching.

use std::fmt;
use std::net::IpAddr;

use super::subject::SubjectNames;

/// Whether a label may contain `_`: the one difference between the two readings of DNS-name
/// syntax the crate needs (see [`is_valid_dns_name`] and [`is_preferred_name_syntax`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Underscore {
    /// `_` is a label character, as in the names real certificates carry (`_dmarc.example.com`,
    /// service names): rustls-webpki and browsers accept it.
    Allowed,
    /// `_` is refused: RFC 1034 section 3.5 preferred name syntax has only letters, digits and
    /// hyphens.
    Refused,
}

/// The DNS-name syntax check, the one implementation behind [`is_valid_dns_name`] and
/// [`is_preferred_name_syntax`]: labels of 1 to 63 letters, digits, hyphens (and underscores
/// when `underscore` allows them), not starting or ending with a hyphen, at most 253 octets, no
/// empty label (so no leading or trailing dot), and a last label that is not all digits (so an
/// IPv4 address is not a DNS name). No wildcard: `*` is not a label character.
fn dns_name_syntax(s: &str, underscore: Underscore) -> bool {
    if s.is_empty() || s.len() > 253 {
        return false;
    }
    let allow_underscore = underscore == Underscore::Allowed;
    let mut last_all_numeric = false;
    for label in s.split('.') {
        let b = label.as_bytes();
        if b.is_empty() || b.len() > 63 {
            return false;
        }
        if !b
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || (allow_underscore && *c == b'_'))
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

/// Is `s` a DNS name as path validation reads one, as rustls-webpki accepts it: the syntax of
/// [`dns_name_syntax`] with underscores allowed, no trailing dot, no wildcard. Used for
/// presented dNSNames (after a `*.` prefix is taken off), dNSName, URI-host and mailbox-host
/// constraints, and the server name a caller asks for ([`matches_dns_name`], after one
/// trailing dot is taken off). Underscores are allowed because certificates that real CAs
/// issue carry them and the validators the crate follows accept them; refusing them here would
/// refuse valid paths (and change the x509-limbo results).
pub(super) fn is_valid_dns_name(s: &str) -> bool {
    dns_name_syntax(s, Underscore::Allowed)
}

/// Is `name` a subjectAltName dNSName in RFC 5280 section 4.2.1.6 preferred name syntax, the
/// certificate-profile rule ([`ProfileRule::InvalidSanDnsName`](crate::trust::ProfileRule)):
/// the syntax of [`dns_name_syntax`] with underscores refused, optionally with one trailing
/// dot and with `*` as the whole first label of a name of two or more labels. Stricter than
/// [`is_valid_dns_name`] on purpose: the profile reports what RFC 5280 asks of an issuer (a
/// warning, or a refusal under the strict option), not what validation can still match.
pub(crate) fn is_preferred_name_syntax(name: &str) -> bool {
    let name = name.strip_suffix('.').unwrap_or(name);
    if name.len() > 253 {
        return false;
    }
    let base = name.strip_prefix("*.").unwrap_or(name);
    dns_name_syntax(base, Underscore::Refused)
}

/// Is `name` a proper subdomain of `parent` (both lower case, valid)? `a.example.com` is a
/// subdomain of `example.com`; `badexample.com` and `example.com` itself are not.
pub(super) fn is_subdomain(name: &str, parent: &str) -> bool {
    name.strip_suffix(parent)
        .and_then(|prefix| prefix.strip_suffix('.'))
        .is_some_and(|label| !label.is_empty())
}

/// `name` equal to `parent` or one of its subdomains.
pub(super) fn is_within(name: &str, parent: &str) -> bool {
    name == parent || is_subdomain(name, parent)
}

/// A dNSName as a certificate presents it, parsed (lower case).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum DnsPattern {
    /// An exact name: `mail.example.com`.
    Exact(String),
    /// A wildcard as the whole left-most label: `*.example.com`, stored as `example.com`.
    Wildcard(String),
}

impl DnsPattern {
    /// Parses a presented dNSName; `None` when it is not a valid name or a wildcard pattern of
    /// the one allowed shape (`*.` followed by a valid name).
    pub(super) fn parse(s: &str) -> Option<Self> {
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
pub(super) enum DnsConstraint {
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
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    pub(super) fn matches(&self, name: &DnsPattern, every: bool) -> bool {
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
