//! Reading a CRL (RFC 5280 section 5): the fields revocation checking needs, every entry
//! (attributed to its certificate issuer in an indirect CRL), and the problems that make a CRL
//! unusable (unknown critical extensions, a serial listed twice).
//!
//! The revoked-certificate list is walked entry by entry without building an intermediate
//! tree, so a CRL of a million entries costs one pass and one compact entry each.

use std::time::SystemTime;

use der::asn1::ObjectIdentifier;
use der::{Decode, Reader, SliceReader, Tag, Tagged};
use sha2::{Digest, Sha256};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::time::Time;

use super::RevocationReason;
use super::dp::{DistributionPointName, names_include};
use crate::cert::{Serial, name, oid};
use crate::error::{Error, Result};
use crate::store::{CrlEntries, RevokedEntry};
use crate::time::unix_seconds;
use crate::tlv::{self, Tlv};
use crate::trust::names_match;

/// The most entries a CRL may list (a bound on memory for hostile input).
pub const MAX_ENTRIES: usize = 10_000_000;

/// A parsed CRL.
#[derive(Debug, Clone)]
pub struct Crl {
    der: Vec<u8>,
    sha256: [u8; 32],
    tbs: std::ops::Range<usize>,
    tbs_algorithm: AlgorithmIdentifierOwned,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: Vec<u8>,
    issuer: String,
    issuer_der: Vec<u8>,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    number: Option<Vec<u8>>,
    delta_base: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    scope_der: Vec<u8>,
    scope: Scope,
    entries: CrlEntries,
    other_issuers: Vec<IssuerEntries>,
    problems: Vec<String>,
}

/// The entries of an indirect CRL that belong to one certificate issuer other than the CRL's
/// (RFC 5280 5.3.3 certificateIssuer: it names the issuer of its entry and of the entries
/// after it, up to the next certificateIssuer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerEntries {
    names: Vec<Vec<u8>>,
    entries: CrlEntries,
}

impl IssuerEntries {
    /// The certificateIssuer GeneralNames, each the DER of one GeneralName.
    pub fn names(&self) -> &[Vec<u8>] {
        &self.names
    }

    /// The issuer's name (RFC 4514) when certificateIssuer holds a directoryName.
    pub fn issuer(&self) -> Option<String> {
        self.names
            .iter()
            .filter_map(|n| super::dp::as_directory_name(n))
            .find_map(|n| Name::from_der(n).ok())
            .map(|n| name::rfc4514(&n))
    }

    /// The revoked certificates of this issuer, sorted by serial number.
    pub fn entries(&self) -> &CrlEntries {
        &self.entries
    }
}

/// The entries of a CRL as they are read, before they are sorted and packed: every serial's
/// bytes in one buffer (no allocation per entry), the entries in the order listed, for the
/// CRL's issuer and for each certificateIssuer named.
#[derive(Default)]
struct Listed {
    serials: Vec<u8>,
    own: Vec<Pending>,
    /// certificateIssuer GeneralNames (DER each) and their entries, in order of appearance.
    groups: Vec<(Vec<Vec<u8>>, Vec<Pending>)>,
}

/// One entry as read: where its serial is in [`Listed::serials`], its date in Unix seconds,
/// its reason code.
#[derive(Clone, Copy)]
struct Pending {
    at: usize,
    len: usize,
    date: i64,
    reason: Option<u8>,
}

impl Pending {
    /// Its serial's bytes in `serials` (the [`Listed::serials`] it was read into).
    fn serial<'a>(&self, serials: &'a [u8]) -> &'a [u8] {
        serials.get(self.at..self.at + self.len).unwrap_or_default()
    }
}

/// Sorts `entries` (serials in `serials`) by serial, drops repeats and packs them. Returns a
/// serial listed twice.
fn pack(serials: &[u8], mut entries: Vec<Pending>) -> Result<(CrlEntries, Option<Serial>)> {
    let by_serial = |a: &Pending, b: &Pending| a.serial(serials).cmp(b.serial(serials));
    if !entries.is_sorted_by(|a, b| by_serial(a, b).is_lt()) {
        entries.sort_unstable_by(by_serial);
    }
    let twice = entries
        .windows(2)
        .find(|w| by_serial(&w[0], &w[1]).is_eq())
        .map(|w| Serial::from_bytes(w[0].serial(serials)));
    if twice.is_some() {
        entries.dedup_by(|a, b| by_serial(a, b).is_eq());
    }
    let packed = CrlEntries::from_sorted(
        entries
            .iter()
            .map(|e| (e.serial(serials), e.date, e.reason)),
    )
    .map_err(|e| Error::LimitExceeded(format!("CRL entries: {e}")))?;
    Ok((packed, twice))
}

/// What a CRL covers, from its issuingDistributionPoint extension (RFC 5280 5.2.5). The
/// default (no extension) covers every certificate of the issuer for every reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scope {
    /// The distribution point name, if the extension names one.
    pub distribution_point: Option<DistributionPointName>,
    /// Only end-entity certificates.
    pub only_user_certs: bool,
    /// Only CA certificates.
    pub only_ca_certs: bool,
    /// Only attribute certificates (so no public-key certificate at all).
    pub only_attribute_certs: bool,
    /// Only these reasons (a partitioned CRL); `None`: every reason.
    pub only_some_reasons: Option<Vec<RevocationReason>>,
    /// An indirect CRL: it may list certificates of issuers other than its own (each entry's
    /// certificateIssuer says whose), and may serve distribution points naming its issuer in
    /// cRLIssuer.
    pub indirect: bool,
}

impl Scope {
    /// Parses the issuingDistributionPoint extension value; empty input is the full scope.
    pub fn from_der(value: &[u8]) -> Result<Scope> {
        if value.is_empty() {
            return Ok(Scope::default());
        }
        parse_idp(value).map_err(|e| Error::malformed("issuingDistributionPoint", e))
    }

    /// Whether a certificate (a CA certificate or not) is in this scope.
    pub fn covers(&self, is_ca: bool) -> bool {
        let excluded = if is_ca {
            self.only_user_certs
        } else {
            self.only_ca_certs
        };
        !self.only_attribute_certs && !excluded
    }

    /// Whether the CRL lists revocations for every reason (not a partition by reason).
    pub fn all_reasons(&self) -> bool {
        super::dp::ReasonMask::of_optional(self.only_some_reasons.as_deref()).is_all()
    }
}

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::malformed("CRL", detail)
}

/// The fields of a revoked-certificate entry (userCertificate, revocationDate,
/// crlEntryExtensions), read without a list per entry (a CRL may hold millions): `None`
/// unless there are 2 or 3.
fn entry_fields(value: &[u8]) -> der::Result<Option<(Tlv<'_>, Tlv<'_>, Option<Tlv<'_>>)>> {
    let mut rest = value;
    let mut fields: [Option<Tlv<'_>>; 3] = [None; 3];
    for slot in &mut fields {
        if rest.is_empty() {
            break;
        }
        let t = tlv::leading(rest)?;
        rest = rest.get(t.raw.len()..).unwrap_or_default();
        *slot = Some(t);
    }
    Ok(match fields {
        [Some(s), Some(d), e] if rest.is_empty() => Some((s, d, e)),
        _ => None,
    })
}

fn time_of(raw: &[u8], what: &str) -> Result<SystemTime> {
    Time::from_der(raw)
        .map(|t| t.to_system_time())
        .map_err(|e| malformed(format!("{what}: {e}")))
}

/// A revocation date in Unix seconds, read from its digits by the crate's own X.509 time
/// reader ([`crate::cert::pre1970::parse_time`]): decoding an x509 `Time` through the `der`
/// crate and converting it to a `SystemTime` took a fifth of reading a CRL of a million
/// entries. That reader also knows 1950 to 1969, which `der` (and so [`time_of`]) refuses:
/// those, and whatever it does not read, are left to [`time_of`], which decodes or refuses
/// them as before. Equal to [`time_of`] wherever it answers.
fn entry_seconds(t: &Tlv<'_>) -> Option<i64> {
    crate::cert::pre1970::parse_time(t)
        .filter(|t| *t >= SystemTime::UNIX_EPOCH)
        .map(unix_seconds)
}

fn is_time(tag: Tag) -> bool {
    matches!(tag, Tag::UtcTime | Tag::GeneralizedTime)
}

/// The magnitude of a non-negative INTEGER (contents octets).
fn integer_magnitude(value: &[u8], what: &str) -> Result<Vec<u8>> {
    match value.first() {
        None => Err(malformed(format!("{what} is an empty INTEGER"))),
        Some(b) if b & 0x80 != 0 => Err(malformed(format!("{what} is negative"))),
        Some(_) => Ok(Serial::from_bytes(value).as_bytes().to_vec()),
    }
}

fn integer_ext(value: &[u8], what: &str) -> Result<Vec<u8>> {
    let t = tlv::single(value).map_err(|e| malformed(format!("{what}: {e}")))?;
    if t.tag != Tag::Integer {
        return Err(malformed(format!("{what} is not an INTEGER")));
    }
    if t.value.len() > 20 {
        return Err(malformed(format!("{what} is longer than 20 octets")));
    }
    integer_magnitude(t.value, what)
}

impl Crl {
    /// Parses one CRL from DER.
    pub fn from_der(der: &[u8]) -> Result<Crl> {
        let outer = tlv::single(der).map_err(malformed)?;
        if outer.tag != Tag::Sequence {
            return Err(malformed("not a SEQUENCE"));
        }
        let parts = tlv::elements(outer.value).map_err(malformed)?;
        let [tbs, alg, sig] = parts.as_slice() else {
            return Err(malformed("a CertificateList has three fields"));
        };
        if tbs.tag != Tag::Sequence || sig.tag != Tag::BitString {
            return Err(malformed("the CertificateList fields have the wrong types"));
        }
        let signature_algorithm = AlgorithmIdentifierOwned::from_der(alg.raw)
            .map_err(|e| malformed(format!("signatureAlgorithm: {e}")))?;
        let bits = der::asn1::BitString::from_der(sig.raw)
            .map_err(|e| malformed(format!("signatureValue: {e}")))?;
        // A signature with unused bits cannot verify: the CRL is read (and kept, shown as
        // unusable), not refused as unreadable.
        let signature_has_unused_bits = bits.as_bytes().is_none();
        let signature = bits.raw_bytes().to_vec();
        let tbs_start = tbs.raw.as_ptr() as usize - der.as_ptr() as usize;
        let mut crl = Crl {
            der: der.to_vec(),
            sha256: Sha256::digest(der).into(),
            tbs: tbs_start..tbs_start + tbs.raw.len(),
            tbs_algorithm: signature_algorithm.clone(),
            signature_algorithm,
            signature,
            issuer: String::new(),
            issuer_der: Vec::new(),
            this_update: SystemTime::UNIX_EPOCH,
            next_update: None,
            number: None,
            delta_base: None,
            authority_key_id: None,
            scope_der: Vec::new(),
            scope: Scope::default(),
            entries: CrlEntries::default(),
            other_issuers: Vec::new(),
            problems: Vec::new(),
        };
        crl.read_tbs(tbs.value)?;
        if signature_has_unused_bits {
            crl.problem("its signature value has unused bits, so it cannot verify");
        }
        Ok(crl)
    }

    fn read_tbs(&mut self, tbs: &[u8]) -> Result<()> {
        let fields = tlv::elements(tbs).map_err(malformed)?;
        let mut fields = fields.into_iter();
        let mut field = fields.next();
        let mut version = 0u8;
        if let Some(t) = field
            && t.tag == Tag::Integer
        {
            version = u8::from_der(t.raw).map_err(|e| malformed(format!("version: {e}")))?;
            if version != 1 {
                return Err(malformed(format!(
                    "version {} (only v1, without the field, and v2 exist)",
                    u32::from(version) + 1
                )));
            }
            field = fields.next();
        }
        let alg = field.ok_or_else(|| malformed("no signature algorithm"))?;
        self.tbs_algorithm = AlgorithmIdentifierOwned::from_der(alg.raw)
            .map_err(|e| malformed(format!("signature: {e}")))?;
        let issuer = fields.next().ok_or_else(|| malformed("no issuer"))?;
        let name = Name::from_der(issuer.raw).map_err(|e| malformed(format!("issuer: {e}")))?;
        self.issuer = name::rfc4514(&name);
        self.issuer_der = issuer.raw.to_vec();
        let this = fields.next().ok_or_else(|| malformed("no thisUpdate"))?;
        if !is_time(this.tag) {
            return Err(malformed("thisUpdate is not a time"));
        }
        self.this_update = time_of(this.raw, "thisUpdate")?;
        let mut field = fields.next();
        if let Some(t) = field
            && is_time(t.tag)
        {
            self.next_update = Some(time_of(t.raw, "nextUpdate")?);
            field = fields.next();
        }
        let mut listed = Listed::default();
        if let Some(t) = field
            && t.tag == Tag::Sequence
        {
            listed = self.read_entries(t.value, version)?;
            field = fields.next();
        }
        if let Some(t) = field
            && tlv::is_context(t.tag, 0, true)
        {
            if version != 1 {
                return Err(malformed("a v1 CRL has extensions"));
            }
            self.read_extensions(t.value)?;
            field = fields.next();
        }
        if field.is_some() {
            return Err(malformed("unexpected data after the CRL extensions"));
        }
        if version == 1 && self.number.is_none() {
            self.problem("it has no cRLNumber (RFC 5280 5.2.3: a v2 CRL must carry one)");
        }
        self.settle_entries(listed)
    }

    /// Once the issuingDistributionPoint is known: entries attributed to the CRL's own issuer
    /// join [`entries`](Self::entries); every list is sorted by serial and packed, and a serial
    /// listed twice for one issuer makes the CRL unusable (which entry holds?).
    fn settle_entries(&mut self, listed: Listed) -> Result<()> {
        if !listed.groups.is_empty() && !self.scope.indirect {
            self.problem(
                "an entry names a certificate issuer (certificateIssuer), but the CRL is not \
                 indirect (RFC 5280 5.3.3)",
            );
        }
        let Listed {
            serials,
            mut own,
            groups,
        } = listed;
        let mut others = Vec::new();
        for (names, entries) in groups {
            if names_include(&names, &self.issuer_der) {
                own.extend(entries);
            } else {
                others.push((names, entries));
            }
        }
        let (entries, mut twice) = pack(&serials, own)?;
        self.entries = entries;
        for (names, entries) in others {
            let (entries, again) = pack(&serials, entries)?;
            twice = twice.or(again);
            self.other_issuers.push(IssuerEntries { names, entries });
        }
        if let Some(serial) = twice {
            self.problem(format!("serial number {serial} is listed more than once"));
        }
        Ok(())
    }

    fn read_entries(&mut self, list: &[u8], version: u8) -> Result<Listed> {
        let mut reader = SliceReader::new(list).map_err(malformed)?;
        // Room for as many entries as the list could hold at 40 bytes each (a typical entry
        // with a 16-byte serial and no extensions takes 37), so that a big list is seldom
        // moved while it grows.
        let room = (list.len() / 40).min(MAX_ENTRIES);
        let mut listed = Listed {
            serials: Vec::with_capacity(room * 16),
            own: Vec::with_capacity(room),
            groups: Vec::new(),
        };
        let mut count = 0usize;
        // Where entries go: `None` for the CRL's issuer (until a certificateIssuer names
        // another), else an index into `listed.groups`.
        let mut current: Option<usize> = None;
        while !reader.is_finished() {
            if count >= MAX_ENTRIES {
                return Err(Error::LimitExceeded(format!(
                    "the CRL lists more than {MAX_ENTRIES} certificates"
                )));
            }
            let entry = der::asn1::AnyRef::decode(&mut reader).map_err(malformed)?;
            if entry.tag() != Tag::Sequence {
                return Err(malformed("a revoked-certificate entry is not a SEQUENCE"));
            }
            let Some((serial, date, exts)) = entry_fields(entry.value()).map_err(malformed)? else {
                return Err(malformed("a revoked-certificate entry has 2 or 3 fields"));
            };
            if serial.tag != Tag::Integer || !is_time(date.tag) {
                return Err(malformed("a revoked-certificate entry has the wrong types"));
            }
            if serial.value.is_empty() {
                return Err(malformed("a serial number is an empty INTEGER"));
            }
            // Negative serials (not allowed, found in old CAs, PKITS 4.4.15) are matched as
            // certificates' are: by magnitude. The bytes kept are those of `Serial`.
            let at = listed.serials.len();
            if serial.value.first().is_some_and(|b| b & 0x80 != 0) {
                let magnitude = crate::cert::integer_magnitude(serial.value);
                listed
                    .serials
                    .extend_from_slice(Serial::minimal(&magnitude));
            } else {
                // Non-negative: the magnitude is the bytes (no allocation per entry).
                listed
                    .serials
                    .extend_from_slice(Serial::minimal(serial.value));
            }
            let mut out = Pending {
                at,
                len: listed.serials.len() - at,
                date: match entry_seconds(&date) {
                    Some(s) => s,
                    None => unix_seconds(time_of(date.raw, "revocationDate")?),
                },
                reason: None,
            };
            if let Some(e) = exts {
                if version != 1 {
                    return Err(malformed("a v1 CRL has entry extensions"));
                }
                if let Some(names) = self.read_entry_extensions(&e, &mut out.reason)? {
                    current = Some(match listed.groups.iter().position(|g| g.0 == names) {
                        Some(i) => i,
                        None => {
                            listed.groups.push((names, Vec::new()));
                            listed.groups.len() - 1
                        }
                    });
                }
            }
            match current.and_then(|i| listed.groups.get_mut(i)) {
                Some(g) => g.1.push(out),
                None => listed.own.push(out),
            }
            count += 1;
        }
        Ok(listed)
    }

    /// Reads an entry's extensions (its reason code into `reason`); returns its
    /// certificateIssuer (GeneralName DER each), if it has one.
    fn read_entry_extensions(
        &mut self,
        exts: &Tlv<'_>,
        reason: &mut Option<u8>,
    ) -> Result<Option<Vec<Vec<u8>>>> {
        let mut issuer = None;
        if exts.tag != Tag::Sequence {
            return Err(malformed("crlEntryExtensions is not a SEQUENCE"));
        }
        let exts = x509_cert::ext::Extensions::from_der(exts.raw)
            .map_err(|e| malformed(format!("crlEntryExtensions: {e}")))?;
        for ext in &exts {
            let value = ext.extn_value.as_bytes();
            if ext.extn_id == oid::CE_CRL_REASON {
                let t = tlv::single(value).map_err(malformed)?;
                let code = match (t.tag, t.value) {
                    (Tag::Enumerated, [c]) => *c,
                    _ => return Err(malformed("a reasonCode is not a one-octet ENUMERATED")),
                };
                let code = RevocationReason::from_code(code)
                    .ok_or_else(|| malformed(format!("reasonCode {code} is not defined")))?;
                *reason = Some(code.code());
            } else if ext.extn_id == oid::CE_CERTIFICATE_ISSUER {
                let bad = || malformed("a certificateIssuer is not GeneralNames");
                let seq = tlv::single(value).map_err(|_| bad())?;
                if seq.tag != Tag::Sequence {
                    return Err(bad());
                }
                let names: Vec<Vec<u8>> = tlv::elements(seq.value)
                    .map_err(|_| bad())?
                    .into_iter()
                    .map(|n| n.raw.to_vec())
                    .collect();
                if names.is_empty() {
                    return Err(bad());
                }
                issuer = Some(names);
            } else if ext.extn_id == oid::CE_INVALIDITY_DATE {
                // Informational.
            } else if ext.critical {
                self.problem(format!(
                    "an entry has the unknown critical extension {}",
                    ext.extn_id
                ));
            }
        }
        Ok(issuer)
    }

    fn read_extensions(&mut self, value: &[u8]) -> Result<()> {
        let exts = x509_cert::ext::Extensions::from_der(value)
            .map_err(|e| malformed(format!("crlExtensions: {e}")))?;
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in &exts {
            if seen.contains(&ext.extn_id) {
                return Err(malformed(format!(
                    "extension {} appears twice",
                    ext.extn_id
                )));
            }
            seen.push(ext.extn_id);
            self.read_extension(ext)?;
        }
        Ok(())
    }

    fn read_extension(&mut self, ext: &Extension) -> Result<()> {
        let value = ext.extn_value.as_bytes();
        let id = ext.extn_id;
        if id == oid::CE_CRL_NUMBER {
            if ext.critical {
                self.problem("its cRLNumber is critical (RFC 5280 5.2.3: it must not be)");
            }
            self.number = Some(integer_ext(value, "cRLNumber")?);
        } else if id == oid::CE_DELTA_CRL_INDICATOR {
            if !ext.critical {
                self.problem("deltaCRLIndicator is not critical");
            }
            self.delta_base = Some(integer_ext(value, "BaseCRLNumber")?);
        } else if id == oid::CE_AUTHORITY_KEY_ID {
            self.authority_key_id = crate::cert::parse_aki(value)
                .map_err(|e| malformed(format!("authorityKeyIdentifier: {e}")))?;
        } else if id == oid::CE_ISSUING_DISTRIBUTION_POINT {
            self.scope = Scope::from_der(value)?;
            self.scope_der = value.to_vec();
            if [
                self.scope.only_user_certs,
                self.scope.only_ca_certs,
                self.scope.only_attribute_certs,
            ]
            .iter()
            .filter(|b| **b)
            .count()
                > 1
            {
                self.problem("issuingDistributionPoint sets more than one onlyContains flag");
            }
        } else if id == oid::CE_FRESHEST_CRL || id == oid::PE_AUTHORITY_INFO_ACCESS {
            // Where to find delta CRLs / the issuer's certificate: informational.
        } else if ext.critical {
            self.problem(format!("it has the unknown critical extension {id}"));
        }
        Ok(())
    }

    fn problem(&mut self, p: impl Into<String>) {
        let p = p.into();
        if !self.problems.contains(&p) {
            self.problems.push(p);
        }
    }

    /// The DER, as read.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 of the DER.
    pub fn sha256(&self) -> &[u8; 32] {
        &self.sha256
    }

    /// The DER of the tbsCertList (what the signature covers).
    pub fn tbs_der(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or_default()
    }

    /// The signature algorithm (outer field).
    pub fn signature_algorithm(&self) -> &AlgorithmIdentifierOwned {
        &self.signature_algorithm
    }

    /// The signature value.
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks that the key in `spki_der` signed this CRL.
    ///
    /// Errors: [`Error::Crypto`] when the signature does not verify or the two algorithm fields
    /// differ; [`Error::Unsupported`] for algorithms this library does not handle.
    pub fn verify_signature(&self, spki_der: &[u8]) -> Result<()> {
        self.verify_signature_with_params(spki_der, None)
    }

    /// [`verify_signature`](Self::verify_signature) with a DSA key that inherits its domain
    /// parameters (RFC 3279 2.3.2): `inherited` is the DER of the Dss-Parms of the issuer's
    /// issuer.
    pub fn verify_signature_with_params(
        &self,
        spki_der: &[u8],
        inherited: Option<&[u8]>,
    ) -> Result<()> {
        if self.tbs_algorithm != self.signature_algorithm {
            return Err(Error::Crypto(
                "the CRL's two signature algorithm fields differ".into(),
            ));
        }
        crate::cert::verify_signature_with_params(
            spki_der,
            inherited,
            &self.signature_algorithm,
            self.tbs_der(),
            &self.signature,
        )
    }

    /// The issuer, RFC 4514.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The issuer name, DER.
    pub fn issuer_der(&self) -> &[u8] {
        &self.issuer_der
    }

    /// thisUpdate.
    pub fn this_update(&self) -> SystemTime {
        self.this_update
    }

    /// nextUpdate, if present.
    pub fn next_update(&self) -> Option<SystemTime> {
        self.next_update
    }

    /// cRLNumber (big-endian magnitude), if present.
    pub fn number(&self) -> Option<&[u8]> {
        self.number.as_deref()
    }

    /// For a delta CRL, the BaseCRLNumber.
    pub fn delta_base(&self) -> Option<&[u8]> {
        self.delta_base.as_deref()
    }

    /// The authorityKeyIdentifier keyIdentifier, if present.
    pub fn authority_key_id(&self) -> Option<&[u8]> {
        self.authority_key_id.as_deref()
    }

    /// The issuingDistributionPoint extension value (DER); empty when absent.
    pub fn scope_der(&self) -> &[u8] {
        &self.scope_der
    }

    /// What the CRL covers.
    pub fn scope(&self) -> &Scope {
        &self.scope
    }

    /// The revoked certificates of the CRL's issuer, sorted by serial number. An indirect
    /// CRL's entries for other certificate issuers are in
    /// [`other_issuers`](Self::other_issuers).
    pub fn entries(&self) -> &CrlEntries {
        &self.entries
    }

    /// An indirect CRL's entries for certificate issuers other than its own, by issuer (in
    /// the order they first appear).
    pub fn other_issuers(&self) -> &[IssuerEntries] {
        &self.other_issuers
    }

    /// Every entry, whoever the certificate issuer.
    pub fn entry_count(&self) -> usize {
        self.entries.len()
            + self
                .other_issuers
                .iter()
                .map(|g| g.entries.len())
                .sum::<usize>()
    }

    /// The entry for the certificate with issuer `cert_issuer_der` (a Name, DER) and serial
    /// `serial`, if the CRL lists it: among the CRL issuer's own entries when the names match
    /// (RFC 5280 7.1), else among the entries an indirect CRL attributes to that issuer.
    pub fn entry_of(&self, cert_issuer_der: &[u8], serial: &Serial) -> Option<RevokedEntry> {
        if names_match(cert_issuer_der, &self.issuer_der) {
            return self.entries.get(serial);
        }
        self.other_issuers
            .iter()
            .filter(|g| names_include(&g.names, cert_issuer_der))
            .find_map(|g| g.entries.get(serial))
    }

    /// Why the CRL cannot be used, though it parses (unknown critical extensions, a serial
    /// listed twice for one issuer): empty for a usable CRL.
    pub fn problems(&self) -> &[String] {
        &self.problems
    }
}

/// Compares two CRL numbers (big-endian magnitudes).
pub(crate) fn cmp_numbers(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let a = Serial::from_bytes(a);
    let b = Serial::from_bytes(b);
    a.as_bytes()
        .len()
        .cmp(&b.as_bytes().len())
        .then_with(|| a.as_bytes().cmp(b.as_bytes()))
}

fn parse_idp(value: &[u8]) -> der::Result<Scope> {
    let seq = tlv::single(value)?;
    if seq.tag != Tag::Sequence {
        return Err(seq.tag.unexpected_error(Some(Tag::Sequence)).into());
    }
    let mut scope = Scope::default();
    let flag = |t: &Tlv<'_>| -> der::Result<bool> {
        match t.value {
            [0] => Ok(false),
            [0xff] => Ok(true),
            _ => Err(der::ErrorKind::Failed.into()),
        }
    };
    for field in tlv::elements(seq.value)? {
        match field.tag {
            Tag::ContextSpecific {
                constructed: true,
                number,
            } if number.value() == 0 => {
                scope.distribution_point =
                    Some(DistributionPointName::from_tlv(&tlv::single(field.value)?)?);
            }
            t if tlv::is_context(t, 1, false) => scope.only_user_certs = flag(&field)?,
            t if tlv::is_context(t, 2, false) => scope.only_ca_certs = flag(&field)?,
            t if tlv::is_context(t, 3, false) => {
                scope.only_some_reasons = Some(reason_flags(field.value)?);
            }
            t if tlv::is_context(t, 4, false) => scope.indirect = flag(&field)?,
            t if tlv::is_context(t, 5, false) => scope.only_attribute_certs = flag(&field)?,
            _ => return Err(der::ErrorKind::Failed.into()),
        }
    }
    Ok(scope)
}

/// ReasonFlags BIT STRING contents (first octet: unused bits) to reasons.
pub(crate) fn reason_flags(value: &[u8]) -> der::Result<Vec<RevocationReason>> {
    let Some((unused, bits)) = value.split_first() else {
        return Err(der::ErrorKind::Failed.into());
    };
    if *unused > 7 {
        return Err(der::ErrorKind::Failed.into());
    }
    let mut out = Vec::new();
    // Bit 0 is "unused"; bits 1..=8 are the reasons with those codes (bit 7 is code 8, as
    // code 7 is not used).
    for bit in 1..=8u8 {
        let byte = bits.get(usize::from(bit / 8)).copied().unwrap_or(0);
        if byte & (0x80 >> (bit % 8)) != 0
            && let Some(r) = RevocationReason::from_flag_bit(bit)
        {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod entry_tests {
    use super::*;

    #[test]
    fn dates_read_directly_are_those_der_decodes() {
        let mut values: Vec<(u8, String)> = Vec::new();
        for (year, utc) in [
            ("50", true),
            ("69", true),
            ("70", true),
            ("99", true),
            ("00", true),
            ("24", true),
            ("49", true),
            ("1969", false),
            ("1970", false),
            ("2000", false),
            ("2024", false),
            ("2100", false),
            ("9999", false),
            ("0000", false),
        ] {
            let tag = if utc { 0x17 } else { 0x18 };
            for month in ["00", "01", "02", "12", "13", "1a"] {
                for day in ["00", "01", "28", "29", "30", "31", "32"] {
                    for hms in ["000000", "235959", "240000", "236000", "235960", "12 000"] {
                        values.push((tag, format!("{year}{month}{day}{hms}Z")));
                    }
                }
            }
            values.push((tag, format!("{year}0101000000")));
            values.push((tag, format!("{year}0101000000z")));
            values.push((tag, format!("{year}0101000000+0000")));
            values.push((tag, format!("{year}010100000Z")));
            values.push((tag, format!("{year}0101000000.5Z")));
        }
        let mut direct = 0;
        for (tag, v) in &values {
            let raw = tlv::tlv(*tag, &[v.as_bytes()]);
            let t = tlv::single(&raw).unwrap();
            let decoded = time_of(&raw, "t").ok().map(unix_seconds);
            match entry_seconds(&t) {
                Some(s) => {
                    assert_eq!(Some(s), decoded, "{v}");
                    direct += 1;
                }
                // Anything read directly is what der decodes, and what der decodes in these
                // forms is read directly.
                None => assert!(decoded.is_none() || v.len() > 15, "{v}: {decoded:?}"),
            }
        }
        assert!(direct > 200, "{direct}");
    }

    #[test]
    fn an_entry_has_two_or_three_fields_and_negative_serials_are_magnitudes() {
        let serial = tlv::tlv(0x02, &[&[0x01, 0x02]]);
        let date = tlv::tlv(0x17, &[b"260101000000Z"]);
        let exts = tlv::sequence(&[]);
        let fields = |parts: &[&[u8]]| {
            let value: Vec<u8> = parts.concat();
            entry_fields(&value).map(|f| {
                f.map(|(s, d, e)| (s.raw.to_vec(), d.raw.to_vec(), e.map(|e| e.raw.to_vec())))
            })
        };
        assert_eq!(
            fields(&[&serial, &date]).unwrap(),
            Some((serial.clone(), date.clone(), None))
        );
        assert_eq!(
            fields(&[&serial, &date, &exts]).unwrap(),
            Some((serial.clone(), date.clone(), Some(exts.clone())))
        );
        assert_eq!(fields(&[]).unwrap(), None);
        assert_eq!(fields(&[&serial]).unwrap(), None);
        assert_eq!(fields(&[&serial, &date, &exts, &exts]).unwrap(), None);
        // A truncated field is a DER error.
        assert!(fields(&[&serial, &date[..date.len() - 1]]).is_err());

        // The same through a whole entry list: a 4-field entry is refused, and a negative
        // serial (-2, 0xFE) is read as its magnitude, a positive one as it is.
        let entry = |parts: &[&[u8]]| tlv::sequence(parts);
        let list = |entries: &[Vec<u8>]| entries.concat();
        let read = |list: &[u8]| {
            let algorithm = AlgorithmIdentifierOwned {
                oid: oid::ECDSA_SHA256,
                parameters: None,
            };
            let mut crl = Crl {
                der: Vec::new(),
                sha256: [0; 32],
                tbs: 0..0,
                tbs_algorithm: algorithm.clone(),
                signature_algorithm: algorithm,
                signature: Vec::new(),
                issuer: String::new(),
                issuer_der: Vec::new(),
                this_update: SystemTime::UNIX_EPOCH,
                next_update: None,
                number: None,
                delta_base: None,
                authority_key_id: None,
                scope_der: Vec::new(),
                scope: Scope::default(),
                entries: CrlEntries::default(),
                other_issuers: Vec::new(),
                problems: Vec::new(),
            };
            let listed = crl.read_entries(list, 1)?;
            let got: Vec<Vec<u8>> = listed
                .own
                .iter()
                .map(|e| e.serial(&listed.serials).to_vec())
                .collect();
            Ok::<_, Error>(got)
        };
        let negative = tlv::tlv(0x02, &[&[0xfe]]);
        let zero_led = tlv::tlv(0x02, &[&[0x00, 0x80]]);
        let got = read(&list(&[
            entry(&[&serial, &date]),
            entry(&[&negative, &date]),
            entry(&[&zero_led, &date]),
        ]))
        .unwrap();
        assert_eq!(got, vec![vec![1u8, 2], vec![2], vec![0x80]]);
        assert!(read(&list(&[entry(&[&serial, &date, &exts, &exts])])).is_err());
        assert!(read(&list(&[entry(&[&serial])])).is_err());
    }
}
