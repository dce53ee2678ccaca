//! Distribution points (RFC 5280 4.2.1.13, 5.2.5, 6.3.3 (b) and (d)): the names a
//! certificate's cRLDistributionPoints and a CRL's issuingDistributionPoint give, whether a
//! CRL serves one of a certificate's distribution points, and the reasons it covers there.

use der::Tag;
use der::asn1::ObjectIdentifier;

use super::RevocationReason;
use super::parse::reason_flags;
use crate::cert::{Certificate, oid};
use crate::tlv::{self, Tlv};
use crate::trust::names_match;

/// A distribution point name (RFC 5280 4.2.1.13), as a CRL's issuingDistributionPoint or a
/// certificate's cRLDistributionPoints gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DistributionPointName {
    /// fullName: GeneralNames, each the DER of one GeneralName (tag included).
    FullName(Vec<Vec<u8>>),
    /// nameRelativeToCRLIssuer: the DER of a RelativeDistinguishedName (a SET), which names
    /// the distribution point once appended to the CRL issuer's name.
    RelativeToCrlIssuer(Vec<u8>),
}

impl DistributionPointName {
    /// Reads the DistributionPointName CHOICE: `[0]` fullName or `[1]`
    /// nameRelativeToCRLIssuer.
    pub(crate) fn from_tlv(t: &Tlv<'_>) -> der::Result<Self> {
        if tlv::is_context(t.tag, 0, true) {
            let names: Vec<Vec<u8>> = tlv::elements(t.value)?
                .into_iter()
                .map(|n| n.raw.to_vec())
                .collect();
            if names.is_empty() {
                return Err(der::ErrorKind::Failed.into());
            }
            Ok(DistributionPointName::FullName(names))
        } else if tlv::is_context(t.tag, 1, true) {
            Ok(DistributionPointName::RelativeToCrlIssuer(tlv::tlv(
                0x31,
                &[t.value],
            )))
        } else {
            Err(der::ErrorKind::Failed.into())
        }
    }

    /// The URIs among the full names (a relative name has none).
    pub fn uris(&self) -> Vec<String> {
        match self {
            DistributionPointName::FullName(names) => names
                .iter()
                .filter_map(|n| tlv::single(n).ok())
                .filter(|t| tlv::is_context(t.tag, 6, false))
                .map(|t| String::from_utf8_lossy(t.value).into_owned())
                .collect(),
            DistributionPointName::RelativeToCrlIssuer(_) => Vec::new(),
        }
    }

    /// The names this stands for, each a GeneralName's DER: the full names as they are; a
    /// relative name appended to each of `crl_issuers` (Name DERs) as a directoryName.
    pub(crate) fn resolve(&self, crl_issuers: &[&[u8]]) -> Vec<Vec<u8>> {
        match self {
            DistributionPointName::FullName(names) => names.clone(),
            DistributionPointName::RelativeToCrlIssuer(rdn) => crl_issuers
                .iter()
                .filter_map(|issuer| {
                    let name = tlv::single(issuer).ok()?;
                    if name.tag != Tag::Sequence {
                        return None;
                    }
                    let mut rdns = name.value.to_vec();
                    rdns.extend_from_slice(rdn);
                    Some(directory_name(&tlv::sequence(&[&rdns])))
                })
                .collect(),
        }
    }
}

/// The GeneralName directoryName `[4]` holding the Name `name_der`.
pub(crate) fn directory_name(name_der: &[u8]) -> Vec<u8> {
    tlv::tlv(0xa4, &[name_der])
}

/// The Name DER inside a directoryName GeneralName, if `general_name` is one.
pub(crate) fn as_directory_name(general_name: &[u8]) -> Option<&[u8]> {
    let t = tlv::single(general_name).ok()?;
    tlv::is_context(t.tag, 4, true).then_some(t.value)
}

/// Whether two GeneralNames (DER) name the same thing: directory names as RFC 5280 7.1 says
/// (case and white space folded), any other form octet for octet.
pub(crate) fn general_names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    match (as_directory_name(a), as_directory_name(b)) {
        (Some(x), Some(y)) => names_match(x, y),
        _ => false,
    }
}

/// Whether GeneralNames (DER each) include a directoryName matching the Name `name_der`.
pub(crate) fn names_include(names: &[Vec<u8>], name_der: &[u8]) -> bool {
    names
        .iter()
        .filter_map(|n| as_directory_name(n))
        .any(|n| names_match(n, name_der))
}

/// A set of revocation reasons (RFC 5280 6.3.2 reasons_mask): the partition reasons, that is
/// every reason but unspecified and removeFromCRL (and the "unused" bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct ReasonMask(u16);

impl ReasonMask {
    /// No reason.
    pub const NONE: ReasonMask = ReasonMask(0);

    /// Every reason (all-reasons).
    pub const ALL: ReasonMask = ReasonMask(0xff);

    fn bit(reason: RevocationReason) -> u16 {
        RevocationReason::PARTITION
            .iter()
            .position(|r| *r == reason)
            .map_or(0, |i| 1 << i)
    }

    /// The mask of these reasons.
    pub fn of(reasons: &[RevocationReason]) -> Self {
        ReasonMask(reasons.iter().fold(0, |m, r| m | Self::bit(*r)))
    }

    /// The mask of an optional reasons list: `None` is every reason.
    pub fn of_optional(reasons: Option<&[RevocationReason]>) -> Self {
        reasons.map_or(Self::ALL, Self::of)
    }

    /// Reasons in either.
    pub fn union(self, other: Self) -> Self {
        ReasonMask(self.0 | other.0)
    }

    /// Reasons in both.
    pub fn intersection(self, other: Self) -> Self {
        ReasonMask(self.0 & other.0)
    }

    /// Whether every reason is in.
    pub fn is_all(self) -> bool {
        self.0 & Self::ALL.0 == Self::ALL.0
    }

    /// Whether no reason is in.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// One distribution point of a certificate (RFC 5280 4.2.1.13).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertDp {
    /// distributionPoint, if given.
    pub name: Option<DistributionPointName>,
    /// reasons: `None` for every reason.
    pub reasons: Option<ReasonMask>,
    /// cRLIssuer: GeneralNames DER each; empty when the certificate's issuer issues the CRLs.
    pub crl_issuer: Vec<Vec<u8>>,
}

impl CertDp {
    /// The distribution point RFC 5280 6.3.3 assumes for CRLs not named in one: the
    /// certificate's issuer (its name and issuerAltName), every reason, no cRLIssuer.
    pub fn of_issuer(cert: &Certificate) -> CertDp {
        let mut names = vec![directory_name(cert.issuer_der())];
        names.extend(issuer_alt_names(cert));
        CertDp {
            name: Some(DistributionPointName::FullName(names)),
            reasons: None,
            crl_issuer: Vec::new(),
        }
    }

    /// RFC 5280 6.3.3 (b)(1): whether a CRL issued by `crl_issuer` (indirect or not) may
    /// serve this distribution point of a certificate issued by `cert_issuer`. With a
    /// cRLIssuer, the CRL must come from it and be indirect; without, from the certificate's
    /// issuer.
    pub fn served_by_issuer(&self, crl_issuer: &[u8], indirect: bool, cert_issuer: &[u8]) -> bool {
        if self.crl_issuer.is_empty() {
            names_match(crl_issuer, cert_issuer)
        } else {
            indirect && names_include(&self.crl_issuer, crl_issuer)
        }
    }

    /// RFC 5280 6.3.3 (b)(2)(i): whether a CRL of `crl_issuer` whose issuingDistributionPoint
    /// names `idp` (or no distribution point) serves this distribution point of a certificate
    /// issued by `cert_issuer`. A relative name is appended to the CRL issuer's name: the
    /// CRL's own issuer for the CRL's, the cRLIssuer (else the certificate's issuer) for the
    /// certificate's. A distribution point without a name is matched by its cRLIssuer.
    pub fn named_by(
        &self,
        idp: Option<&DistributionPointName>,
        crl_issuer: &[u8],
        cert_issuer: &[u8],
    ) -> bool {
        let Some(idp) = idp else {
            return true;
        };
        let crl_names = idp.resolve(&[crl_issuer]);
        let dp_names = match &self.name {
            Some(name) => {
                let bases: Vec<&[u8]> = if self.crl_issuer.is_empty() {
                    vec![cert_issuer]
                } else {
                    self.crl_issuer
                        .iter()
                        .filter_map(|n| as_directory_name(n))
                        .collect()
                };
                name.resolve(&bases)
            }
            None => self.crl_issuer.clone(),
        };
        crl_names
            .iter()
            .any(|a| dp_names.iter().any(|b| general_names_match(a, b)))
    }

    /// The directory names of cRLIssuer (Name DER each).
    pub fn crl_issuer_names(&self) -> impl Iterator<Item = &[u8]> {
        self.crl_issuer.iter().filter_map(|n| as_directory_name(n))
    }
}

/// The certificate's cRLDistributionPoints, read from its extension. A certificate without
/// the extension, or with one that does not read, has none.
pub(crate) fn distribution_points(cert: &Certificate) -> Vec<CertDp> {
    extension_value(cert, &oid::CE_CRL_DISTRIBUTION_POINTS)
        .and_then(|v| parse_crl_dps(v).ok())
        .unwrap_or_default()
}

fn extension_value<'c>(cert: &'c Certificate, id: &ObjectIdentifier) -> Option<&'c [u8]> {
    cert.x509()
        .tbs_certificate()
        .extensions()?
        .iter()
        .find(|e| e.extn_id == *id)
        .map(|e| e.extn_value.as_bytes())
}

/// The issuer's alternative names (GeneralName DER each), if the certificate carries them.
fn issuer_alt_names(cert: &Certificate) -> Vec<Vec<u8>> {
    extension_value(cert, &crate::cert::oid::CE_ISSUER_ALT_NAME)
        .and_then(|v| tlv::single(v).ok())
        .filter(|t| t.tag == Tag::Sequence)
        .and_then(|t| tlv::elements(t.value).ok())
        .map(|names| names.into_iter().map(|n| n.raw.to_vec()).collect())
        .unwrap_or_default()
}

/// CRLDistributionPoints ::= SEQUENCE OF DistributionPoint; DistributionPoint ::= SEQUENCE {
/// distributionPoint [0] DistributionPointName OPTIONAL, reasons [1] ReasonFlags OPTIONAL,
/// cRLIssuer [2] GeneralNames OPTIONAL }.
pub(crate) fn parse_crl_dps(value: &[u8]) -> der::Result<Vec<CertDp>> {
    let seq = tlv::single(value)?;
    if seq.tag != Tag::Sequence {
        return Err(seq.tag.unexpected_error(Some(Tag::Sequence)).into());
    }
    let mut out = Vec::new();
    for dp in tlv::elements(seq.value)? {
        if dp.tag != Tag::Sequence {
            return Err(dp.tag.unexpected_error(Some(Tag::Sequence)).into());
        }
        let mut point = CertDp {
            name: None,
            reasons: None,
            crl_issuer: Vec::new(),
        };
        for field in tlv::elements(dp.value)? {
            if tlv::is_context(field.tag, 0, true) {
                point.name = Some(DistributionPointName::from_tlv(&tlv::single(field.value)?)?);
            } else if tlv::is_context(field.tag, 1, false) {
                point.reasons = Some(ReasonMask::of(&reason_flags(field.value)?));
            } else if tlv::is_context(field.tag, 2, true) {
                point.crl_issuer = tlv::elements(field.value)?
                    .into_iter()
                    .map(|n| n.raw.to_vec())
                    .collect();
            } else {
                return Err(der::ErrorKind::Failed.into());
            }
        }
        out.push(point);
    }
    Ok(out)
}
