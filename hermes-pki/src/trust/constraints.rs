//! Name constraints (RFC 5280 4.2.1.10) and TLS server-name matching (RFC 6125, as the web PKI
//! applies it), as pure functions over parsed certificates.
//!
//! - [`SubjectNames`] collects what a certificate names: subjectAltName dNSName, iPAddress,
//!   rfc822Name and other forms, the subject's emailAddress attributes (which RFC 5280 says
//!   rfc822Name constraints apply to) and the subject DN. The subject common name is never
//!   taken as a DNS name (as rustls-webpki and current browsers do).
//! - [`NameConstraints::check`] applies one CA's constraints to one certificate below it. The
//!   path validator calls it for every CA with constraints and every certificate below it,
//!   self-issued intermediates excepted (RFC 5280 6.1.3 (b), (c)).
//! - [`matches_dns_name`] / [`matches_ip`] match a wanted server name against the SAN only.

use std::net::IpAddr;

use der::Encode;
use der::asn1::ObjectIdentifier;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{NameConstraints as NcExt, SubjectAltName};

use crate::cert::Certificate;

const EMAIL_ADDRESS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.1");

/// The names a certificate carries, as constraints and name matching see them.
#[derive(Debug, Default)]
pub(crate) struct SubjectNames {
    dns: Vec<String>,
    ips: Vec<Vec<u8>>,
    emails: Vec<String>,
    /// DER of each RDN of the subject, in order.
    rdns: Vec<Vec<u8>>,
    /// subjectAltName forms other than the four above (their names, for messages).
    other_forms: Vec<&'static str>,
}

/// One subtree of a constraint.
#[derive(Debug, Clone)]
enum Subtree {
    Dns(String),
    Email(String),
    /// Address and mask, same length (4 or 16 bytes).
    Ip(Vec<u8>, Vec<u8>),
    /// The RDNs (DER each) the subject must start with.
    Dir(Vec<Vec<u8>>),
    /// A form this engine does not process (name of the form).
    Other(&'static str),
}

/// A CA's name constraints.
#[derive(Debug, Clone)]
pub(crate) struct NameConstraints {
    permitted: Option<Vec<Subtree>>,
    excluded: Vec<Subtree>,
}

fn form_name(g: &GeneralName) -> &'static str {
    match g {
        GeneralName::OtherName(_) => "otherName",
        GeneralName::Rfc822Name(_) => "rfc822Name",
        GeneralName::DnsName(_) => "dNSName",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::EdiPartyName(_) => "ediPartyName",
        GeneralName::UniformResourceIdentifier(_) => "uniformResourceIdentifier",
        GeneralName::IpAddress(_) => "iPAddress",
        GeneralName::RegisteredId(_) => "registeredID",
    }
}

fn rdns_of(name: &x509_cert::name::Name) -> Result<Vec<Vec<u8>>, String> {
    name.iter_rdn()
        .map(|rdn| rdn.to_der().map_err(|e| e.to_string()))
        .collect()
}

/// Whether `mask` is a run of one bits followed by zero bits.
fn contiguous(mask: &[u8]) -> bool {
    let mut seen_zero = false;
    for byte in mask {
        for bit in (0..8).rev() {
            let one = byte & (1 << bit) != 0;
            if one && seen_zero {
                return false;
            }
            seen_zero |= !one;
        }
    }
    true
}

fn subtree(g: &GeneralName) -> Result<Subtree, String> {
    Ok(match g {
        GeneralName::DnsName(d) => {
            let c = d.as_str().to_ascii_lowercase();
            if c.starts_with('.') {
                // RFC 5280 4.2.1.10 allows a leading period in URI constraints, not DNS ones.
                return Err(format!(
                    "a dNSName constraint with a leading period ({c:?})"
                ));
            }
            Subtree::Dns(c)
        }
        GeneralName::Rfc822Name(e) => Subtree::Email(e.as_str().to_string()),
        GeneralName::IpAddress(o) => {
            let b = o.as_bytes();
            if b.len() != 8 && b.len() != 32 {
                return Err(format!(
                    "an iPAddress constraint of {} bytes (8 or 32 expected)",
                    b.len()
                ));
            }
            let (addr, mask) = b.split_at(b.len() / 2);
            if !contiguous(mask) {
                return Err("an iPAddress constraint with a non-contiguous mask".into());
            }
            Subtree::Ip(addr.to_vec(), mask.to_vec())
        }
        GeneralName::DirectoryName(n) => Subtree::Dir(rdns_of(n)?),
        other => Subtree::Other(form_name(other)),
    })
}

impl NameConstraints {
    /// The constraints of `cert`, `Ok(None)` when it has none; `Err` with a message when the
    /// extension is malformed or uses subtree bounds (minimum/maximum) RFC 5280 forbids.
    pub(crate) fn of(cert: &Certificate) -> Result<Option<Self>, String> {
        let ext = cert
            .x509()
            .tbs_certificate()
            .get_extension::<NcExt>()
            .map_err(|e| format!("the name constraints do not parse: {e}"))?;
        let Some((_, nc)) = ext else {
            return Ok(None);
        };
        let convert = |trees: &[x509_cert::ext::pkix::constraints::name::GeneralSubtree]| {
            trees
                .iter()
                .map(|t| {
                    if t.minimum != 0 || t.maximum.is_some() {
                        return Err("a name constraint with minimum/maximum bounds".to_string());
                    }
                    subtree(&t.base)
                })
                .collect::<Result<Vec<_>, String>>()
        };
        if nc.permitted_subtrees.as_ref().is_some_and(|t| t.is_empty())
            || nc.excluded_subtrees.as_ref().is_some_and(|t| t.is_empty())
        {
            return Err("a name constraints extension with an empty list of subtrees".into());
        }
        let permitted = nc.permitted_subtrees.as_deref().map(convert).transpose()?;
        let excluded = nc
            .excluded_subtrees
            .as_deref()
            .map(convert)
            .transpose()?
            .unwrap_or_default();
        if permitted.is_none() && excluded.is_empty() {
            return Err("a name constraints extension without subtrees (RFC 5280 4.2.1.10)".into());
        }
        Ok(Some(NameConstraints {
            permitted,
            excluded,
        }))
    }

    /// Checks `names` (of a certificate below the CA) against these constraints; `budget`
    /// counts name comparisons and stops the check when it runs out. `Err` says which name
    /// broke which rule.
    pub(crate) fn check(&self, names: &SubjectNames, budget: &mut usize) -> Result<(), String> {
        let mut spend = || -> Result<(), String> {
            if *budget == 0 {
                return Err("too many name constraint comparisons".into());
            }
            *budget -= 1;
            Ok(())
        };
        // Excluded: no name may fall in any excluded subtree of its form.
        for t in &self.excluded {
            for n in names_of_form(names, t) {
                spend()?;
                if n.matches(t)? || n.wildcard_reaches(t)? {
                    return Err(format!("{} is excluded", n.describe()));
                }
            }
        }
        // Permitted: where subtrees of a form exist, every name of that form is in one.
        if let Some(permitted) = &self.permitted {
            for n in all_names(names) {
                let same_form: Vec<&Subtree> = permitted.iter().filter(|t| n.form_of(t)).collect();
                if same_form.is_empty() {
                    continue;
                }
                let mut ok = false;
                for t in same_form {
                    spend()?;
                    if n.matches(t)? {
                        ok = true;
                        break;
                    }
                }
                if !ok {
                    return Err(format!("{} is not in the permitted subtrees", n.describe()));
                }
            }
            // A name of a form the constraints name but this engine cannot check fails.
            for t in permitted {
                if let Subtree::Other(form) = t
                    && names.other_forms.contains(form)
                {
                    return Err(format!(
                        "a {form} name under {form} constraints, which are not supported"
                    ));
                }
            }
        }
        for t in &self.excluded {
            if let Subtree::Other(form) = t
                && names.other_forms.contains(form)
            {
                return Err(format!(
                    "a {form} name under {form} constraints, which are not supported"
                ));
            }
        }
        Ok(())
    }
}

/// A name of the certificate, as checked against one subtree.
enum Name<'a> {
    Dns(&'a str),
    Email(&'a str),
    Ip(&'a [u8]),
    Dir(&'a [Vec<u8>]),
}

impl Name<'_> {
    fn describe(&self) -> String {
        match self {
            Name::Dns(d) => format!("DNS name {d:?}"),
            Name::Email(e) => format!("email address {e:?}"),
            Name::Ip(ip) => match ip.len() {
                4 => format!(
                    "IP address {}",
                    std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3])
                ),
                16 => {
                    let mut a = [0u8; 16];
                    a.copy_from_slice(ip);
                    format!("IP address {}", std::net::Ipv6Addr::from(a))
                }
                _ => "an IP address".into(),
            },
            Name::Dir(_) => "the subject name".into(),
        }
    }

    fn form_of(&self, t: &Subtree) -> bool {
        matches!(
            (self, t),
            (Name::Dns(_), Subtree::Dns(_))
                | (Name::Email(_), Subtree::Email(_))
                | (Name::Ip(_), Subtree::Ip(..))
                | (Name::Dir(_), Subtree::Dir(_))
        )
    }

    /// For a wildcard DNS name `*.rest`: whether some name it stands for falls in the excluded
    /// subtree `t` (a constraint one label below `rest`). Checked defensively, because the
    /// wildcard matches peer names the constraint forbids (CVE-2025-61727).
    fn wildcard_reaches(&self, t: &Subtree) -> Result<bool, String> {
        let (Name::Dns(n), Subtree::Dns(c)) = (self, t) else {
            return Ok(false);
        };
        let labels = dns_labels(n)?;
        if labels.first().map(String::as_str) != Some("*") {
            return Ok(false);
        }
        let Ok(c_labels) = dns_labels(c) else {
            return Ok(false);
        };
        Ok(c_labels.len() >= labels.len()
            && c_labels[c_labels.len() - (labels.len() - 1)..] == labels[1..])
    }

    /// Whether this name is inside subtree `t` (of the same form); `Err` for a name that is
    /// malformed where constraints must judge it.
    fn matches(&self, t: &Subtree) -> Result<bool, String> {
        Ok(match (self, t) {
            (Name::Dns(n), Subtree::Dns(c)) => dns_in_subtree(n, c)?,
            (Name::Email(n), Subtree::Email(c)) => email_in_subtree(n, c)?,
            (Name::Ip(n), Subtree::Ip(addr, mask)) => {
                n.len() == addr.len()
                    && n.iter()
                        .zip(addr)
                        .zip(mask)
                        .all(|((a, b), m)| a & m == b & m)
            }
            (Name::Dir(n), Subtree::Dir(c)) => c.len() <= n.len() && n[..c.len()] == c[..],
            _ => false,
        })
    }
}

fn names_of_form<'a>(names: &'a SubjectNames, t: &Subtree) -> Vec<Name<'a>> {
    all_names(names)
        .into_iter()
        .filter(|n| n.form_of(t))
        .collect()
}

fn all_names(names: &SubjectNames) -> Vec<Name<'_>> {
    let mut out: Vec<Name<'_>> = Vec::new();
    out.extend(names.dns.iter().map(|d| Name::Dns(d)));
    out.extend(names.emails.iter().map(|e| Name::Email(e)));
    out.extend(names.ips.iter().map(|i| Name::Ip(i)));
    if !names.rdns.is_empty() {
        out.push(Name::Dir(&names.rdns));
    }
    out
}

/// A DNS name's labels, lower-cased, or `Err` when it is not a host name (wildcard allowed as
/// the whole first label).
fn dns_labels(name: &str) -> Result<Vec<String>, String> {
    let name = name.strip_suffix('.').unwrap_or(name);
    let bad = || format!("DNS name {name:?} is not a valid host name");
    if name.is_empty() || name.len() > 253 {
        return Err(bad());
    }
    let labels: Vec<String> = name.split('.').map(str::to_ascii_lowercase).collect();
    for (i, l) in labels.iter().enumerate() {
        let ok = (i == 0 && l == "*")
            || (!l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        if !ok {
            return Err(bad());
        }
    }
    Ok(labels)
}

fn dns_in_subtree(name: &str, constraint: &str) -> Result<bool, String> {
    let labels = dns_labels(name)?;
    if constraint.is_empty() {
        return Ok(true);
    }
    let (subdomains_only, c) = match constraint.strip_prefix('.') {
        Some(rest) => (true, rest),
        None => (false, constraint),
    };
    let Ok(c_labels) = dns_labels(c) else {
        // A constraint that is not a host name matches nothing.
        return Ok(false);
    };
    if c_labels.len() > labels.len() || (subdomains_only && c_labels.len() == labels.len()) {
        return Ok(false);
    }
    Ok(labels[labels.len() - c_labels.len()..] == c_labels[..])
}

fn email_in_subtree(mailbox: &str, constraint: &str) -> Result<bool, String> {
    let (local, host) = mailbox
        .split_once('@')
        .ok_or_else(|| format!("email address {mailbox:?} has no @"))?;
    if local.is_empty() || host.is_empty() || host.contains('@') {
        return Err(format!("email address {mailbox:?} is malformed"));
    }
    if let Some((c_local, c_host)) = constraint.rsplit_once('@') {
        return Ok(local == c_local && host.eq_ignore_ascii_case(c_host));
    }
    let host = host.to_ascii_lowercase();
    let c = constraint.to_ascii_lowercase();
    Ok(match c.strip_prefix('.') {
        Some(_) => host.ends_with(&c) && host.len() > c.len(),
        None => host == c,
    })
}

/// The names of `cert`.
pub(crate) fn subject_names(cert: &Certificate) -> Result<SubjectNames, String> {
    let tbs = cert.x509().tbs_certificate();
    let mut out = SubjectNames {
        rdns: rdns_of(tbs.subject())?,
        ..SubjectNames::default()
    };
    for atv in tbs.subject().iter() {
        if atv.oid == EMAIL_ADDRESS {
            let v = der::asn1::Ia5StringRef::try_from(&atv.value)
                .map_err(|_| "a subject emailAddress that is not an IA5String".to_string())?;
            out.emails.push(v.as_str().to_string());
        }
    }
    let san = tbs
        .get_extension::<SubjectAltName>()
        .map_err(|e| format!("the subjectAltName does not parse: {e}"))?;
    if let Some((_, san)) = san {
        for g in &san.0 {
            match g {
                GeneralName::DnsName(d) => out.dns.push(d.as_str().to_string()),
                GeneralName::Rfc822Name(e) => out.emails.push(e.as_str().to_string()),
                GeneralName::IpAddress(o) => {
                    let b = o.as_bytes();
                    if b.len() != 4 && b.len() != 16 {
                        return Err(format!("an iPAddress name of {} bytes", b.len()));
                    }
                    out.ips.push(b.to_vec());
                }
                GeneralName::DirectoryName(n) => {
                    // Checked like the subject against directoryName constraints.
                    let _ = n;
                }
                other => out.other_forms.push(form_name(other)),
            }
        }
    }
    Ok(out)
}

/// Whether the certificate's SAN has a dNSName matching `wanted` (case-insensitive; a
/// wildcard only as the whole first label, matching exactly one label, over at least two
/// labels; never the subject common name).
pub(crate) fn matches_dns_name(names: &SubjectNames, wanted: &str) -> bool {
    let Ok(want) = dns_labels(wanted) else {
        return false;
    };
    if want.first().is_some_and(|l| l == "*") {
        return false;
    }
    names.dns.iter().any(|presented| {
        let Ok(p) = dns_labels(presented) else {
            return false;
        };
        if p.len() != want.len() {
            return false;
        }
        match p.first().map(String::as_str) {
            Some("*") => p.len() >= 3 && p[1..] == want[1..],
            _ => p == want,
        }
    })
}

/// Whether the certificate's SAN has this iPAddress.
pub(crate) fn matches_ip(names: &SubjectNames, wanted: IpAddr) -> bool {
    let octets = match wanted {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    };
    names.ips.contains(&octets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_subtrees() {
        assert!(dns_in_subtree("example.com", "example.com").unwrap());
        assert!(dns_in_subtree("a.b.Example.COM", "example.com").unwrap());
        assert!(!dns_in_subtree("badexample.com", "example.com").unwrap());
        assert!(dns_in_subtree("anything.org", "").unwrap());
        assert!(dns_in_subtree("a..b", "b").is_err());
    }

    #[test]
    fn email_subtrees() {
        assert!(email_in_subtree("Alice@Example.com", "Alice@example.COM").unwrap());
        assert!(!email_in_subtree("alice@example.com", "Alice@example.com").unwrap());
        assert!(email_in_subtree("bob@EXAMPLE.com", "example.com").unwrap());
        assert!(!email_in_subtree("bob@mail.example.com", "example.com").unwrap());
        assert!(email_in_subtree("bob@mail.example.com", ".example.com").unwrap());
        assert!(!email_in_subtree("bob@example.com", ".example.com").unwrap());
        assert!(email_in_subtree("a@b@example.com", "example.com").is_err());
    }

    #[test]
    fn masks_must_be_contiguous() {
        assert!(contiguous(&[255, 255, 0, 0]));
        assert!(contiguous(&[255, 240, 0, 0]));
        assert!(!contiguous(&[255, 0, 255, 0]));
        assert!(contiguous(&[0; 16]));
    }

    #[test]
    fn server_names() {
        let names = SubjectNames {
            dns: vec![
                "*.example.com".into(),
                "Exact.Example.org".into(),
                "*.com".into(),
            ],
            ips: vec![vec![10, 0, 0, 1]],
            ..SubjectNames::default()
        };
        assert!(matches_dns_name(&names, "www.example.com"));
        assert!(matches_dns_name(&names, "WWW.EXAMPLE.COM."));
        assert!(!matches_dns_name(&names, "example.com"));
        assert!(!matches_dns_name(&names, "a.b.example.com"));
        assert!(matches_dns_name(&names, "exact.example.org"));
        assert!(
            !matches_dns_name(&names, "foo.com"),
            "no wildcard over one label"
        );
        assert!(matches_ip(&names, "10.0.0.1".parse().unwrap()));
        assert!(!matches_ip(&names, "10.0.0.2".parse().unwrap()));
    }
}
