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
//! Work is bounded twice. The validator charges [`comparisons`] to the path's
//! [`Budget`](super::Budget) before each [`check`], so one budget covers the whole search (as
//! rustls-webpki's); and one [`check`] call on its own does at most [`MAX_COMPARISONS`]
//! name-against-subtree comparisons and fails closed ([`NameConstraintViolation::TooComplex`])
//! beyond that (the pathological "many names times many constraints" certificates of
//! x509-limbo).
//!
//! The code is laid out by name form, as rustls-webpki's `subject_name/`: `dns` (the one
//! DNS-name syntax check, dNSName constraints, server-name matching), `email` (rfc822Name),
//! `uri`, `ip`, `directory` (directoryName and [`names_match`]), `subject` (the names a
//! certificate presents); this file holds the constraints, [`check`] and the budget.

mod directory;
mod dns;
mod email;
mod ip;
mod subject;
#[cfg(test)]
mod tests;
mod uri;

pub(crate) use directory::names_match;
pub(crate) use dns::{is_preferred_name_syntax, matches_dns_name};
pub(crate) use ip::matches_ip;
pub(crate) use subject::{SubjectNames, subject_names};

use std::fmt;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ID_CE_NAME_CONSTRAINTS;
use der::{Decode, Tag};
use x509_cert::ext::pkix::name::GeneralName;

use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::tlv::{self, Tlv, elements};
use directory::DirName;
use dns::DnsConstraint;
use email::EmailConstraint;
use ip::IpConstraint;
use subject::Presented;
use uri::UriConstraint;

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

/// Reads exactly one DER element spanning all of `input`, which must have tag `tag`.
fn single_of(input: &[u8], tag: Tag) -> der::Result<Tlv<'_>> {
    let tlv = tlv::single(input)?;
    if tlv.tag == tag {
        Ok(tlv)
    } else {
        Err(tlv.tag.unexpected_error(Some(tag)).into())
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
        let seq = single_of(der, Tag::Sequence).map_err(|e| Error::malformed(WHAT, e))?;
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
