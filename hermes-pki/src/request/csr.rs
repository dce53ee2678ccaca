//! PKCS#10 certificate requests (RFC 2986), both ways, on the RustCrypto `x509-cert` request
//! types:
//!
//! - outward: [`build_csr`] makes and signs a request for a key this store holds (subject CN,
//!   O, GN, SN and emailAddress; an extensionRequest with the SAN rfc822Name);
//! - inward: [`CheckedCsr::check`] reads a client's request, verifies its self-signature,
//!   checks the key, and takes the subject and email only as the [`CsrPolicy`] allows.

use der::asn1::{AnyRef, BitString, Ia5String, SetOfVec};
use der::{Decode, Encode, Sequence};
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::SubjectAltName;
use x509_cert::ext::pkix::name::{DirectoryString, GeneralName};
use x509_cert::name::Name;
use x509_cert::request::{CertReq, CertReqInfo, ExtensionReq, Version};

use crate::ca::sign::{extension, scheme_for};
use crate::cert::{KeyAlgorithm, key_algorithm_of, normalize_email, oid, verify_signature};
use crate::error::{Error, Result};
use crate::key::{HashAlg, MIN_RSA_BITS, PrivateKey, Signer, algorithm_identifier};

use super::options::RequestOptions;

/// The largest PKCS#10 request read (a request is a few KB).
pub const MAX_CSR_LEN: usize = 64 * 1024;

fn encoding(e: der::Error) -> Error {
    Error::Crypto(format!("cannot encode the certificate request: {e}"))
}

/// Makes a PKCS#10 request for `key` with the subject of `options` (CN, O, GN, SN and the
/// emailAddress `email`) and an extensionRequest carrying the SAN rfc822Name, signed by `key`
/// with the options' hash. Returns the DER.
pub(crate) fn build_csr(
    key: &PrivateKey,
    options: &RequestOptions,
    email: &str,
) -> Result<Vec<u8>> {
    let subject_der = options.issue_spec().subject(email).to_der()?;
    let subject = Name::from_der(&subject_der).map_err(encoding)?;
    sign_csr(key, subject, email, options.hash)
}

/// Makes a PKCS#10 request for `key` with this `subject` and the SAN rfc822Name `email`,
/// signed with `hash`.
pub(crate) fn sign_csr(
    key: &PrivateKey,
    subject: Name,
    email: &str,
    hash: HashAlg,
) -> Result<Vec<u8>> {
    let public_key =
        SubjectPublicKeyInfoOwned::from_der(&key.public_key_der()).map_err(encoding)?;
    let mailbox = Ia5String::new(email)
        .map_err(|_| Error::InvalidArgument(format!("email address {email:?} is not ASCII")))?;
    let san = SubjectAltName(vec![GeneralName::Rfc822Name(mailbox)]);
    let request: Attribute = ExtensionReq(vec![extension(oid::CE_SUBJECT_ALT_NAME, false, &san)?])
        .try_into()
        .map_err(encoding)?;
    let mut attributes = SetOfVec::new();
    attributes.insert(request).map_err(encoding)?;
    let info = CertReqInfo {
        version: Version::V1,
        subject,
        public_key,
        attributes,
    };
    let tbs = info.to_der().map_err(encoding)?;
    let scheme = scheme_for(&key.algorithm(), hash)?;
    let signature = key.sign(scheme, &tbs)?;
    CertReq {
        info,
        algorithm: algorithm_identifier(scheme)?,
        signature: BitString::from_bytes(&signature).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)
}

/// A request as signed: the CertificationRequestInfo kept as the exact bytes the signature
/// covers.
#[derive(Sequence)]
struct RawCertReq<'a> {
    info: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

/// The PEM of a PKCS#10 request (`CERTIFICATE REQUEST`).
pub fn csr_to_pem(der: &[u8]) -> Result<String> {
    der::pem::encode_string("CERTIFICATE REQUEST", der::pem::LineEnding::LF, der)
        .map_err(|e| Error::Crypto(format!("cannot write the request as PEM: {e}")))
}

/// The DER of a PKCS#10 request given as PEM (`CERTIFICATE REQUEST` or `NEW CERTIFICATE
/// REQUEST`) or DER. Larger than [`MAX_CSR_LEN`]: [`Error::LimitExceeded`].
pub fn csr_der(input: &[u8]) -> Result<Vec<u8>> {
    if input.len() > MAX_CSR_LEN {
        return Err(Error::LimitExceeded(format!(
            "a certificate request of {} bytes; at most {MAX_CSR_LEN} are read",
            input.len()
        )));
    }
    let trimmed = input.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let (label, der) = der::pem::decode_vec(trimmed)
            .map_err(|e| Error::malformed("PKCS#10 certificate request (PEM)", e))?;
        if label != "CERTIFICATE REQUEST" && label != "NEW CERTIFICATE REQUEST" {
            return Err(Error::malformed(
                "PKCS#10 certificate request (PEM)",
                format!("the PEM label is {label:?}, not CERTIFICATE REQUEST"),
            ));
        }
        Ok(der)
    } else {
        Ok(input.to_vec())
    }
}

/// What an inward request may carry, and what the certificate issued for it gets.
///
/// By default: the email address (SAN rfc822Name, or the subject emailAddress) and the common
/// name are taken from the request; any email domain is accepted; the other subject fields
/// (O, GN, SN) are not copied; the certificate is valid 365 days, signed with SHA-256 by the
/// default CA.
///
/// ```
/// use hermes_pki::request::CsrPolicy;
///
/// let policy = CsrPolicy::new()
///     .allowed_domain("example.com")
///     .copy_subject_fields(true)
///     .days(730);
/// # let _ = policy;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsrPolicy {
    pub(crate) email: Option<String>,
    pub(crate) domains: Vec<String>,
    pub(crate) copy_subject_fields: bool,
    pub(crate) template: RequestOptions,
}

impl Default for CsrPolicy {
    fn default() -> Self {
        CsrPolicy {
            email: None,
            domains: Vec::new(),
            copy_subject_fields: false,
            template: RequestOptions::new("", "").handler(super::options::CSR_INWARD),
        }
    }
}

impl CsrPolicy {
    /// The defaults above.
    pub fn new() -> Self {
        Self::default()
    }

    /// The request must be for exactly this address (a request for another one is refused).
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Accept addresses of this domain (repeat for several; none given: any domain).
    pub fn allowed_domain(mut self, domain: impl Into<String>) -> Self {
        self.domains.push(domain.into().trim().to_ascii_lowercase());
        self
    }

    /// Copy O, GN and SN from the request's subject into the certificate.
    pub fn copy_subject_fields(mut self, yes: bool) -> Self {
        self.copy_subject_fields = yes;
        self
    }

    /// Validity in days of the certificate, 1 to 3650.
    pub fn days(mut self, days: u32) -> Self {
        self.template = self.template.days(days);
        self
    }

    /// The signature hash of the certificate.
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.template = self.template.hash(hash);
        self
    }

    /// Issue from this CA instead of the default one.
    pub fn ca(mut self, ca: crate::store::CaId) -> Self {
        self.template = self.template.ca(ca);
        self
    }

    /// A CRL distribution point URL for the certificate.
    pub fn crl_distribution_point(mut self, url: impl Into<String>) -> Self {
        self.template = self.template.crl_distribution_point(url);
        self
    }

    /// Add the user to the store when the certificate is issued.
    pub fn create_user(mut self, yes: bool) -> Self {
        self.template = self.template.create_user(yes);
        self
    }
}

/// A client's PKCS#10 request that passed the checks of [`CheckedCsr::check`].
#[derive(Debug, Clone)]
pub struct CheckedCsr {
    der: Vec<u8>,
    spki: Vec<u8>,
    key_algorithm: KeyAlgorithm,
    options: RequestOptions,
}

impl CheckedCsr {
    /// Reads and checks a client's request (PEM or DER):
    ///
    /// - it parses ([`Error::Malformed`]) and its self-signature verifies with its own public
    ///   key ([`Error::Crypto`]; a signature algorithm refused as weak, such as MD5:
    ///   [`Error::Weak`]);
    /// - the key: RSA of 2048 to 8192 bits or EC P-256/P-384 ([`Error::Weak`] for a smaller RSA
    ///   key; [`Error::Unsupported`] for Ed25519, which cannot decrypt mail, DSA and others);
    /// - the names: one email address (the SAN rfc822Name and the subject emailAddress, which
    ///   must agree), of an allowed domain and the policy's address if it names one; no other
    ///   kind of subject alternative name (DNS, URI, IP); a common name. A forbidden name is
    ///   [`Error::NotPermitted`], a missing one [`Error::InvalidArgument`]. The common name
    ///   (and O, GN, SN when the policy copies them) must pass the CA's field checks
    ///   ([`crate::ca::DistinguishedName::validate`]); other subject fields are not copied.
    pub fn check(input: &[u8], policy: &CsrPolicy) -> Result<Self> {
        let der = csr_der(input)?;
        let malformed = |e: der::Error| Error::malformed("PKCS#10 certificate request", e);
        let raw = RawCertReq::from_der(&der).map_err(malformed)?;
        let req = CertReq::from_der(&der).map_err(malformed)?;
        let info_der = raw.info.to_der().map_err(malformed)?;
        let spki = req.info.public_key.to_der().map_err(malformed)?;
        let signature = raw.signature.as_bytes().ok_or_else(|| {
            Error::malformed(
                "PKCS#10 certificate request",
                "the signature has unused bits",
            )
        })?;
        verify_signature(&spki, &raw.algorithm, &info_der, signature).map_err(|e| match e {
            Error::Weak(m) => Error::Weak(format!("the request's self-signature: {m}")),
            Error::Unsupported { .. } => e,
            other => Error::Crypto(format!(
                "the request's self-signature does not verify with its public key ({other}); \
                 it was altered or not signed by the key it carries"
            )),
        })?;

        let key_algorithm = key_algorithm_of(&req.info.public_key);
        match &key_algorithm {
            KeyAlgorithm::Rsa { bits } if *bits < MIN_RSA_BITS => {
                return Err(Error::Weak(format!(
                    "the request's key is RSA with {bits} bits; at least {MIN_RSA_BITS} are needed"
                )));
            }
            KeyAlgorithm::Rsa { bits } if *bits > 8192 => {
                return Err(Error::unsupported(
                    "key in a certificate request",
                    format!("RSA with {bits} bits; at most 8192"),
                ));
            }
            KeyAlgorithm::Rsa { .. } | KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => {}
            KeyAlgorithm::Ed25519 => {
                return Err(Error::unsupported(
                    "key in a certificate request",
                    "Ed25519 cannot decrypt mail; use RSA (2048 bits or more) or EC P-256/P-384",
                ));
            }
            other => {
                return Err(Error::unsupported(
                    "key in a certificate request",
                    format!("{other}; use RSA (2048 bits or more) or EC P-256/P-384"),
                ));
            }
        }

        let subject = &req.info.subject;
        let text = |r: der::Result<Option<DirectoryString>>| -> Result<Option<String>> {
            r.map(|o| o.map(String::from))
                .map_err(|e| Error::malformed("subject of the certificate request", e))
        };
        let cn = text(subject.common_name())?
            .filter(|s| !s.trim().is_empty())
            .ok_or_else(|| {
                Error::InvalidArgument(
                    "the certificate request has no common name (CN) in its subject".into(),
                )
            })?;
        let mut emails: Vec<String> = Vec::new();
        if let Some(e) = subject
            .email_address()
            .map_err(|e| Error::malformed("subject of the certificate request", e))?
        {
            emails.push(e.to_string());
        }
        for name in requested_names(&req)? {
            match name {
                GeneralName::Rfc822Name(m) => emails.push(m.to_string()),
                other => {
                    return Err(Error::NotPermitted(format!(
                        "the certificate request asks for a subject alternative name of kind \
                         {}; only an email address is issued here",
                        general_name_kind(&other)
                    )));
                }
            }
        }
        let mut normalized = Vec::new();
        for e in &emails {
            let n = normalize_email(e).map_err(|err| {
                Error::InvalidArgument(format!(
                    "the certificate request's email address {e:?}: {err}"
                ))
            })?;
            if !normalized.contains(&n) {
                normalized.push(n);
            }
        }
        let email = match normalized.as_slice() {
            [] => {
                return Err(Error::InvalidArgument(
                    "the certificate request carries no email address (SAN rfc822Name or \
                     subject emailAddress)"
                        .into(),
                ));
            }
            [one] => one.clone(),
            _ => {
                return Err(Error::NotPermitted(format!(
                    "the certificate request asks for several email addresses ({}); one \
                     certificate is issued per address",
                    normalized.join(", ")
                )));
            }
        };
        if let Some(want) = &policy.email {
            let want = normalize_email(want)?;
            if want != email {
                return Err(Error::NotPermitted(format!(
                    "the certificate request is for {email}, not for {want}"
                )));
            }
        }
        let domain = email.rsplit_once('@').map_or("", |(_, d)| d);
        if !policy.domains.is_empty() && !policy.domains.iter().any(|d| d == domain) {
            return Err(Error::NotPermitted(format!(
                "the certificate request is for {email}; addresses of {domain} are not issued \
                 here (allowed: {})",
                policy.domains.join(", ")
            )));
        }

        let mut options = policy.template.clone();
        options.email = email;
        options.common_name = cn;
        if policy.copy_subject_fields {
            options.organization = text(subject.organization())?;
            options.given_name = text(subject.by_oid::<DirectoryString>(oid::AT_GIVEN_NAME))?;
            options.surname = text(subject.by_oid::<DirectoryString>(oid::AT_SURNAME))?;
        }
        // The name fields, days, hash and URL; the key spec of the template is not used.
        options.check()?;
        Ok(CheckedCsr {
            der,
            spki,
            key_algorithm,
            options,
        })
    }

    /// The request, DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The request's public key (SubjectPublicKeyInfo DER).
    pub fn public_key_der(&self) -> &[u8] {
        &self.spki
    }

    /// The request's key algorithm.
    pub fn key_algorithm(&self) -> &KeyAlgorithm {
        &self.key_algorithm
    }

    /// What will be issued: the email, common name and the fields the policy copied.
    pub fn options(&self) -> &RequestOptions {
        &self.options
    }
}

/// The subject alternative names of the request's extensionRequest attribute.
fn requested_names(req: &CertReq) -> Result<Vec<GeneralName>> {
    let malformed = |e: der::Error| Error::malformed("extensionRequest of the request", e);
    let mut out = Vec::new();
    for attr in req.info.attributes.iter() {
        if attr.oid != oid::EXTENSION_REQUEST {
            continue;
        }
        for value in attr.values.iter() {
            let exts: Vec<x509_cert::ext::Extension> = value.decode_as().map_err(malformed)?;
            for ext in exts {
                if ext.extn_id == oid::CE_SUBJECT_ALT_NAME {
                    let san =
                        SubjectAltName::from_der(ext.extn_value.as_bytes()).map_err(malformed)?;
                    out.extend(san.0);
                }
            }
        }
    }
    Ok(out)
}

fn general_name_kind(n: &GeneralName) -> &'static str {
    match n {
        GeneralName::DnsName(_) => "dNSName",
        GeneralName::UniformResourceIdentifier(_) => "URI",
        GeneralName::IpAddress(_) => "iPAddress",
        GeneralName::DirectoryName(_) => "directoryName",
        GeneralName::OtherName(_) => "otherName",
        GeneralName::RegisteredId(_) => "registeredID",
        GeneralName::EdiPartyName(_) => "ediPartyName",
        GeneralName::Rfc822Name(_) => "rfc822Name",
    }
}
