//! Distinguished names for the certificates the CA makes, with the field checks of an admin
//! console: allowed characters per field, length limits, an ISO 3166 country code.

use der::Encode;
use der::asn1::{Any, Ia5StringRef, ObjectIdentifier, PrintableStringRef, Utf8StringRef};
use x509_cert::attr::AttributeTypeAndValue;
use x509_cert::name::{Name, RdnSequence, RelativeDistinguishedName};

use crate::cert::oid;
use crate::error::{Error, Result};

/// ISO 3166-1 alpha-2 country codes (officially assigned).
const COUNTRIES: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI \
BJ BL BM BN BO BQ BR BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ \
DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ \
GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN \
KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS \
MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT \
PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF \
TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM \
ZW";

/// A distinguished name for a certificate the CA makes, built field by field.
///
/// The fields are checked by [`validate`](Self::validate) (and by everything that builds a
/// certificate from it):
///
/// - common name (required), organisation, organisational unit, locality, state, given name,
///   surname: letters and digits of any script, spaces, and `' - . , & ( ) / + _ @ :`; no
///   leading or trailing space; common name, organisation and unit at most 64 characters,
///   locality and state at most 128 (the X.520 upper bounds);
/// - country: an ISO 3166-1 two-letter code (`de` is accepted as `DE`);
/// - email: an address that [`crate::cert::normalize_email`] accepts, ASCII after
///   normalisation.
///
/// ```
/// use hermes_pki::ca::DistinguishedName;
///
/// let dn = DistinguishedName::new("Example Root CA").organization("Example GmbH").country("de");
/// assert!(dn.validate().is_ok());
/// assert_eq!(dn.to_string(), "CN=Example Root CA, O=Example GmbH, C=DE");
///
/// let bad = DistinguishedName::new("Root <script>");
/// assert!(bad.validate().is_err());
/// assert!(DistinguishedName::new("CA").country("XX").validate().is_err());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DistinguishedName {
    common_name: String,
    organization: Option<String>,
    organizational_unit: Option<String>,
    locality: Option<String>,
    state: Option<String>,
    country: Option<String>,
    given_name: Option<String>,
    surname: Option<String>,
    email: Option<String>,
}

impl DistinguishedName {
    /// A name with this common name.
    pub fn new(common_name: impl Into<String>) -> Self {
        DistinguishedName {
            common_name: common_name.into(),
            ..Self::default()
        }
    }

    /// Sets the organisation (O).
    pub fn organization(mut self, o: impl Into<String>) -> Self {
        self.organization = Some(o.into());
        self
    }

    /// Sets the organisational unit (OU).
    pub fn organizational_unit(mut self, ou: impl Into<String>) -> Self {
        self.organizational_unit = Some(ou.into());
        self
    }

    /// Sets the locality (L).
    pub fn locality(mut self, l: impl Into<String>) -> Self {
        self.locality = Some(l.into());
        self
    }

    /// Sets the state or province (ST).
    pub fn state(mut self, st: impl Into<String>) -> Self {
        self.state = Some(st.into());
        self
    }

    /// Sets the country (C), an ISO 3166-1 two-letter code.
    pub fn country(mut self, c: impl Into<String>) -> Self {
        self.country = Some(c.into().trim().to_ascii_uppercase());
        self
    }

    /// Sets the given name (GN).
    pub fn given_name(mut self, gn: impl Into<String>) -> Self {
        self.given_name = Some(gn.into());
        self
    }

    /// Sets the surname (SN).
    pub fn surname(mut self, sn: impl Into<String>) -> Self {
        self.surname = Some(sn.into());
        self
    }

    /// Sets the emailAddress attribute.
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// The common name.
    pub fn common_name(&self) -> &str {
        &self.common_name
    }

    /// Checks every field; the error names the field and what is allowed.
    pub fn validate(&self) -> Result<()> {
        check_text("common name", &self.common_name, 64)?;
        for (field, value, max) in [
            ("organisation", &self.organization, 64),
            ("organisational unit", &self.organizational_unit, 64),
            ("locality", &self.locality, 128),
            ("state", &self.state, 128),
            ("given name", &self.given_name, 64),
            ("surname", &self.surname, 64),
        ] {
            if let Some(v) = value {
                check_text(field, v, max)?;
            }
        }
        if let Some(c) = &self.country {
            let known = c.len() == 2 && COUNTRIES.split(' ').any(|k| k == c);
            if !known {
                return Err(Error::InvalidArgument(format!(
                    "country {c:?} is not an ISO 3166-1 two-letter code (such as DE, NL, US)"
                )));
            }
        }
        if let Some(e) = &self.email {
            let normalized = crate::cert::normalize_email(e)?;
            if !normalized.is_ascii() {
                return Err(Error::InvalidArgument(format!(
                    "email address {e:?}: the local part must be ASCII in a certificate"
                )));
            }
        }
        Ok(())
    }

    /// The attributes in certificate order (most significant first).
    fn attributes(&self) -> Result<Vec<(ObjectIdentifier, Any)>> {
        let utf8 = |s: &str| -> Result<Any> {
            Any::encode_from(
                &Utf8StringRef::new(s).map_err(|e| Error::InvalidArgument(e.to_string()))?,
            )
            .map_err(|e| Error::InvalidArgument(e.to_string()))
        };
        let mut out = Vec::new();
        if let Some(c) = &self.country {
            let p = PrintableStringRef::new(c)
                .map_err(|_| Error::InvalidArgument(format!("country {c:?} is not printable")))?;
            out.push((
                oid::AT_COUNTRY,
                Any::encode_from(&p).map_err(|e| Error::InvalidArgument(e.to_string()))?,
            ));
        }
        for (oid, v) in [
            (oid::AT_STATE, &self.state),
            (oid::AT_LOCALITY, &self.locality),
            (oid::AT_ORGANIZATION, &self.organization),
            (oid::AT_ORGANIZATIONAL_UNIT, &self.organizational_unit),
        ] {
            if let Some(v) = v {
                out.push((oid, utf8(v)?));
            }
        }
        out.push((oid::AT_COMMON_NAME, utf8(&self.common_name)?));
        for (oid, v) in [
            (oid::AT_GIVEN_NAME, &self.given_name),
            (oid::AT_SURNAME, &self.surname),
        ] {
            if let Some(v) = v {
                out.push((oid, utf8(v)?));
            }
        }
        if let Some(e) = &self.email {
            let e = crate::cert::normalize_email(e)?;
            let ia5 = Ia5StringRef::new(&e)
                .map_err(|_| Error::InvalidArgument(format!("email address {e:?} is not ASCII")))?;
            out.push((
                oid::EMAIL_ADDRESS,
                Any::encode_from(&ia5).map_err(|e| Error::InvalidArgument(e.to_string()))?,
            ));
        }
        Ok(out)
    }

    /// The validated name as an X.509 `Name` (one attribute per RDN).
    pub(crate) fn to_name(&self) -> Result<Name> {
        self.validate()?;
        let mut rdns = RdnSequence::default();
        for (oid, value) in self.attributes()? {
            let atv = AttributeTypeAndValue { oid, value };
            let rdn = RelativeDistinguishedName::try_from(vec![atv])
                .map_err(|e| Error::InvalidArgument(format!("name attribute: {e}")))?;
            rdns.push(rdn);
        }
        let der = rdns
            .to_der()
            .map_err(|e| Error::InvalidArgument(format!("name does not encode: {e}")))?;
        <Name as der::Decode>::from_der(&der)
            .map_err(|e| Error::InvalidArgument(format!("name does not encode: {e}")))
    }

    /// The DER encoding of [`to_name`](Self::to_name).
    pub(crate) fn to_der(&self) -> Result<Vec<u8>> {
        self.to_name()?
            .to_der()
            .map_err(|e| Error::InvalidArgument(format!("name does not encode: {e}")))
    }
}

impl std::fmt::Display for DistinguishedName {
    /// The name as RFC 4514 text, most significant attribute first as an admin reads it
    /// (`CN=..., O=..., C=...`), for messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut parts = vec![format!("CN={}", self.common_name)];
        for (k, v) in [
            ("GN", &self.given_name),
            ("SN", &self.surname),
            ("OU", &self.organizational_unit),
            ("O", &self.organization),
            ("L", &self.locality),
            ("ST", &self.state),
            ("C", &self.country),
            ("E", &self.email),
        ] {
            if let Some(v) = v {
                parts.push(format!("{k}={v}"));
            }
        }
        f.write_str(&parts.join(", "))
    }
}

fn allowed(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(
            c,
            ' ' | '\'' | '-' | '.' | ',' | '&' | '(' | ')' | '/' | '+' | '_' | '@' | ':'
        )
}

fn check_text(field: &str, value: &str, max: usize) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::InvalidArgument(format!("the {field} is empty")));
    }
    if value.trim() != value {
        return Err(Error::InvalidArgument(format!(
            "the {field} {value:?} starts or ends with a space"
        )));
    }
    let n = value.chars().count();
    if n > max {
        return Err(Error::InvalidArgument(format!(
            "the {field} has {n} characters; at most {max} are allowed"
        )));
    }
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        return Err(Error::InvalidArgument(format!(
            "the {field} {value:?} contains {bad:?}; allowed are letters, digits, spaces and \
             ' - . , & ( ) / + _ @ :"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
