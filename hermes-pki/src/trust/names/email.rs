//! rfc822Name names: presented mailboxes and rfc822Name constraints.

use std::fmt;

use super::dns::{is_subdomain, is_valid_dns_name};

/// A mailbox: the local part exactly as written, the host in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mailbox {
    /// The local part, compared exactly (RFC 5280 4.2.1.10).
    pub(super) local: String,
    /// The host, a valid DNS name in lower case.
    pub(super) host: String,
}

/// RFC 5322 atext, plus any non-ASCII character (RFC 6531 internationalised local parts, which
/// OpenSSL writes into rfc822Name and subject emailAddress as UTF-8).
pub(super) fn is_atext(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c) || !c.is_ascii()
}

impl Mailbox {
    /// Parses `local@host`, where the local part is a dot-atom or a quoted string and the host
    /// a DNS name (address literals such as `[192.0.2.1]` are not accepted). `None` when
    /// malformed, for instance with two `@` outside quotes.
    pub(super) fn parse(s: &str) -> Option<Self> {
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
pub(super) enum EmailConstraint {
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
    pub(super) fn parse(s: &str) -> Option<Self> {
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
    pub(super) fn matches(&self, m: &Mailbox) -> bool {
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
