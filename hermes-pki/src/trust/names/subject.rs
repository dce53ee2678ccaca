//! The names a certificate presents, as name constraints see them ([`SubjectNames`]).

use std::net::IpAddr;

use const_oid::ObjectIdentifier;
use const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME;
use der::{Decode, Tag, Tagged};
use x509_cert::name::Name;

use super::directory::{DirName, directory_string};
use super::dns::DnsPattern;
use super::email::Mailbox;
use super::ip::ip_from_octets;
use super::uri::UriHost;
use super::{NameForm, context_tag, extension_value, single_of};
use crate::cert::Certificate;
use crate::cert::oid::EMAIL_ADDRESS;
use crate::error::{Error, Result};
use crate::tlv::elements;

/// A name as presented in a certificate: its text for messages and, when it is well formed, the
/// parsed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Presented<T> {
    /// The name as written (lossily decoded if it was not text), for messages.
    pub(super) text: String,
    /// The parsed name; `None` when malformed (fails closed under constraints of its form).
    pub(super) parsed: Option<T>,
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
    pub(super) dns: Vec<Presented<DnsPattern>>,
    /// subjectAltName iPAddress.
    pub(super) ips: Vec<Presented<IpAddr>>,
    /// subjectAltName rfc822Name and subject emailAddress.
    pub(super) emails: Vec<Presented<Mailbox>>,
    /// subjectAltName uniformResourceIdentifier.
    pub(super) uris: Vec<Presented<UriHost>>,
    /// The subject (if not empty) and subjectAltName directoryName.
    pub(super) directory: Vec<Presented<DirName>>,
    /// Names of the forms this module does not interpret.
    pub(super) other: Vec<(NameForm, String)>,
}

impl SubjectNames {
    /// The iPAddress entries of the subjectAltName (those of 4 or 16 octets).
    pub(crate) fn ip_addresses(&self) -> impl Iterator<Item = IpAddr> + '_ {
        self.ips.iter().filter_map(|p| p.parsed)
    }

    /// Adds a dNSName.
    pub(super) fn push_dns(&mut self, text: String) {
        let parsed = DnsPattern::parse(&text);
        self.dns.push(Presented { text, parsed });
    }

    /// Adds an rfc822Name or emailAddress.
    pub(super) fn push_email(&mut self, text: String) {
        let parsed = Mailbox::parse(&text);
        self.emails.push(Presented { text, parsed });
    }

    /// Adds a uniformResourceIdentifier.
    pub(super) fn push_uri(&mut self, text: String) {
        let parsed = UriHost::parse(&text);
        self.uris.push(Presented { text, parsed });
    }

    /// Adds an iPAddress from its octets.
    pub(super) fn push_ip(&mut self, octets: &[u8]) {
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
pub(super) fn lossy(bytes: &[u8]) -> String {
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
        let seq = single_of(san, Tag::Sequence).map_err(bad)?;
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
