//! The internal certificate authority: create, import, renew and delete CAs, choose the
//! default one, and issue end-user S/MIME certificates (REQUIREMENTS.md section 2).
//!
//! A [`CertificateAuthority`] works on a [`Store`]; every change is one store transaction, so
//! a failure (or a refusal) leaves the store as it was. Time comes from the [`Clock`] passed
//! to each operation.
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let ca = CertificateAuthority::new(&store);
//!
//! // A root with an issuing intermediate (the recommended setup). EC keys keep the example
//! // fast; RSA 2048/3072/4096 is the default.
//! let spec = CaSpec::new(DistinguishedName::new("Example Root CA").country("DE"))
//!     .key(KeySpec::EcP256)
//!     .intermediate(DistinguishedName::new("Example Mail CA"));
//! let created = ca.create(&spec, &SystemClock)?;
//! assert!(created.issuing().is_default); // the first CA is the default
//!
//! let issued = ca.issue(
//!     &IssueSpec::new("alice@example.com", "Alice Example").key(KeySpec::EcP256),
//!     &SystemClock,
//! )?;
//! assert_eq!(issued.certificate().emails(), ["alice@example.com"]);
//! issued.certificate().verify_issued_by(&ca.certificate(created.issuing().id)?)?;
//! assert!(issued.certificate().usable_for_signing().is_ok());
//! # Ok(())
//! # }
//! ```

pub(crate) mod crl;
mod dn;
pub(crate) mod profile;
pub(crate) mod sign;

pub use crl::{CreatedCrl, CrlSpec, Revocation};
pub use dn::DistinguishedName;

use std::time::SystemTime;

use crate::cert::{Certificate, KeyAlgorithm, Serial, load_certificates, normalize_email, oid};
use crate::error::{Error, ErrorKind, Result};
use crate::key::{HashAlg, KeySpec, MIN_RSA_BITS, PrivateKey, Signer};
use crate::store::{
    CaId, CaRecord, CtlEntry, IssuedRecord, NewCa, ReadTransaction, Store, StoreExt, Transaction,
};
use crate::time::{Clock, add_days, add_years};

use sign::{TbsParts, key_identifier, random_serial, scheme_for, sign_certificate};

/// How often issuance draws a new serial number when the drawn one is taken (with 126 random
/// bits a collision is practically impossible; the store enforces uniqueness regardless).
const SERIAL_ATTEMPTS: usize = 8;

/// Settings of the CA that the caller's configuration decides.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaConfig {
    allow_key_export: bool,
}

impl CaConfig {
    /// The defaults: CA private keys cannot be exported.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows (or forbids) [`CertificateAuthority::export_key`]. Off by default: a CA private
    /// key that leaves the store can mint certificates every correspondent trusts.
    pub fn allow_key_export(mut self, allow: bool) -> Self {
        self.allow_key_export = allow;
        self
    }
}

/// What [`CertificateAuthority::create`] makes.
#[derive(Debug, Clone)]
pub struct CaSpec {
    name: DistinguishedName,
    key: KeySpec,
    years: u32,
    hash: HashAlg,
    intermediate: Option<DistinguishedName>,
    make_default: bool,
}

impl CaSpec {
    /// A root CA with this name; RSA 4096, 5 years, SHA-256, no intermediate.
    pub fn new(name: DistinguishedName) -> Self {
        CaSpec {
            name,
            key: KeySpec::Rsa(4096),
            years: 5,
            hash: HashAlg::Sha256,
            intermediate: None,
            make_default: false,
        }
    }

    /// The key: RSA 2048, 3072 or 4096 (1024 is refused as too weak), or EC P-256 / P-384.
    pub fn key(mut self, key: KeySpec) -> Self {
        self.key = key;
        self
    }

    /// Validity in years, 1 to 5 (5 recommended).
    pub fn years(mut self, years: u32) -> Self {
        self.years = years;
        self
    }

    /// The signature hash: SHA-256 (default), SHA-384 or SHA-512; SHA-1 is refused.
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.hash = hash;
        self
    }

    /// Also create an intermediate CA under the root that does the issuing (the recommended
    /// setup). It gets the same key type, validity and hash; its own name must be unique too.
    pub fn intermediate(mut self, name: DistinguishedName) -> Self {
        self.intermediate = Some(name);
        self
    }

    /// Make the new CA the default. The first CA of a store is the default whatever this says.
    pub fn make_default(mut self, yes: bool) -> Self {
        self.make_default = yes;
        self
    }
}

/// The CA(s) [`CertificateAuthority::create`] made.
#[derive(Debug, Clone)]
pub struct CreatedCa {
    root: CaRecord,
    root_certificate: Certificate,
    intermediate: Option<(CaRecord, Certificate)>,
}

impl CreatedCa {
    /// The root CA.
    pub fn root(&self) -> &CaRecord {
        &self.root
    }

    /// The root CA's certificate.
    pub fn root_certificate(&self) -> &Certificate {
        &self.root_certificate
    }

    /// The intermediate CA, if one was made.
    pub fn intermediate(&self) -> Option<&CaRecord> {
        self.intermediate.as_ref().map(|(r, _)| r)
    }

    /// The CA that issues: the intermediate if one was made, else the root.
    pub fn issuing(&self) -> &CaRecord {
        self.intermediate().unwrap_or(&self.root)
    }

    /// The issuing CA's certificate.
    pub fn issuing_certificate(&self) -> &Certificate {
        self.intermediate
            .as_ref()
            .map_or(&self.root_certificate, |(_, c)| c)
    }
}

/// An end-user S/MIME certificate to issue (REQUIREMENTS.md section 2).
#[derive(Debug, Clone)]
pub struct IssueSpec {
    email: String,
    /// The subject without the email address (added at issuance, normalised).
    name: DistinguishedName,
    days: u32,
    key: KeySpec,
    hash: HashAlg,
    crl_distribution_point: Option<String>,
    ca: Option<CaId>,
}

impl IssueSpec {
    /// A certificate for `email` with this common name: 365 days, RSA 2048, SHA-256, from
    /// the default CA.
    pub fn new(email: impl Into<String>, common_name: impl Into<String>) -> Self {
        IssueSpec {
            email: email.into(),
            name: DistinguishedName::new(common_name),
            days: 365,
            key: KeySpec::Rsa(2048),
            hash: HashAlg::Sha256,
            crl_distribution_point: None,
            ca: None,
        }
    }

    /// The organisation (O).
    pub fn organization(mut self, o: impl Into<String>) -> Self {
        self.name = self.name.organization(o);
        self
    }

    /// The given name (GN).
    pub fn given_name(mut self, gn: impl Into<String>) -> Self {
        self.name = self.name.given_name(gn);
        self
    }

    /// The surname (SN).
    pub fn surname(mut self, sn: impl Into<String>) -> Self {
        self.name = self.name.surname(sn);
        self
    }

    /// Validity in days, 1 to 3650. It never extends past the CA certificate's notAfter (it
    /// is cut there).
    pub fn days(mut self, days: u32) -> Self {
        self.days = days;
        self
    }

    /// The key to generate: RSA 2048/3072/4096 (default 2048) or EC P-256/P-384. Ed25519 is
    /// refused: it cannot decrypt mail.
    pub fn key(mut self, key: KeySpec) -> Self {
        self.key = key;
        self
    }

    /// The signature hash: SHA-256 (default), SHA-384 or SHA-512; SHA-1 is refused.
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.hash = hash;
        self
    }

    /// A CRL distribution point URL (http or https) to put in the certificate.
    pub fn crl_distribution_point(mut self, url: impl Into<String>) -> Self {
        self.crl_distribution_point = Some(url.into());
        self
    }

    /// Issue from this CA instead of the default one.
    pub fn ca(mut self, ca: CaId) -> Self {
        self.ca = Some(ca);
        self
    }

    pub(crate) fn subject(&self, email: &str) -> DistinguishedName {
        self.name.clone().email(email)
    }

    /// Every check that needs no store: name fields, email, days, key, hash, URL. Returns the
    /// normalised email address.
    pub(crate) fn validate(&self) -> Result<String> {
        let email = normalize_email(&self.email)?;
        self.subject(&email).validate()?;
        if !(1..=3650).contains(&self.days) {
            return Err(Error::InvalidArgument(format!(
                "validity of {} days: give 1 to 3650 days",
                self.days
            )));
        }
        if self.key == KeySpec::Ed25519 {
            return Err(Error::unsupported(
                "key for an S/MIME certificate",
                "Ed25519 keys cannot decrypt mail; use RSA (2048 or more) or EC P-256/P-384",
            ));
        }
        check_rsa_size(self.key)?;
        scheme_for(&KeyAlgorithm::Rsa { bits: MIN_RSA_BITS }, self.hash)?;
        if let Some(url) = &self.crl_distribution_point {
            profile::check_crl_url(url)?;
        }
        Ok(email)
    }
}

/// An [`IssueSpec`] checked against a public key, ready to be issued inside a store
/// transaction ([`Prepared::issue_in`]): what the request handlers use to issue and record a
/// request in one transaction.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    ca: Option<CaId>,
    email: String,
    subject: Vec<u8>,
    spki: Vec<u8>,
    ski: Vec<u8>,
    key_algorithm: KeyAlgorithm,
    days: u32,
    hash: HashAlg,
    crl_distribution_point: Option<String>,
}

impl IssueSpec {
    /// Checks the spec and the public key (`spki` DER, of algorithm `alg`): RSA below 2048
    /// bits is [`Error::Weak`]; RSA above 8192 bits, DSA and unknown keys are
    /// [`Error::Unsupported`].
    pub(crate) fn prepare(&self, spki: &[u8], alg: &KeyAlgorithm) -> Result<Prepared> {
        let email = self.validate()?;
        match alg {
            KeyAlgorithm::Rsa { bits } if *bits < MIN_RSA_BITS => {
                return Err(Error::Weak(format!(
                    "a {bits}-bit RSA key is too weak; use {MIN_RSA_BITS} bits or more"
                )));
            }
            KeyAlgorithm::Rsa { bits } if *bits > 8192 => {
                return Err(Error::unsupported(
                    "key for an S/MIME certificate",
                    format!("RSA with {bits} bits; at most 8192"),
                ));
            }
            KeyAlgorithm::Rsa { .. }
            | KeyAlgorithm::EcP256
            | KeyAlgorithm::EcP384
            | KeyAlgorithm::Ed25519 => {}
            other => {
                return Err(Error::unsupported(
                    "key for an S/MIME certificate",
                    format!("{other}; use RSA (2048 bits or more) or EC P-256/P-384"),
                ));
            }
        }
        Ok(Prepared {
            ca: self.ca,
            subject: self.subject(&email).to_der()?,
            email,
            spki: spki.to_vec(),
            ski: key_identifier(spki)?,
            key_algorithm: alg.clone(),
            days: self.days,
            hash: self.hash,
            crl_distribution_point: self.crl_distribution_point.clone(),
        })
    }
}

impl Prepared {
    /// Issues inside `tx`: signs with the CA (the spec's or the default), records the serial
    /// and stores the certificate (not any private key). Returns the certificate, its record
    /// and the CA chain. Runs again safely when the transaction is retried (a new serial is
    /// drawn each time).
    pub(crate) fn issue_in(
        &self,
        tx: &mut dyn Transaction,
        now: SystemTime,
    ) -> Result<(Certificate, IssuedRecord, Vec<Certificate>)> {
        let ca = match self.ca {
            Some(id) => require_ca(tx, id)?,
            None => tx.default_ca()?.ok_or_else(|| {
                Error::NotFound("there is no CA to issue from: create or import one".into())
            })?,
        };
        let ca_cert = stored_certificate(tx, &ca)?;
        if ca_cert.not_after() <= now {
            return Err(Error::InvalidArgument(format!(
                "CA {} ({}) expired on {}; renew it before issuing",
                ca.id,
                ca.name,
                crate::time::to_rfc3339(ca_cert.not_after())
            )));
        }
        let ca_key = stored_key(tx, &ca)?;
        let scheme = scheme_for(&ca_key.algorithm(), self.hash)?;
        let not_after = add_days(now, i64::from(self.days)).min(ca_cert.not_after());
        let extensions = profile::smime_extensions(
            &self.key_algorithm,
            &self.email,
            &self.ski,
            &ski_of(&ca_cert)?,
            self.crl_distribution_point.as_deref(),
        )?;
        let mut last = None;
        for _ in 0..SERIAL_ATTEMPTS {
            let serial = random_serial()?;
            if tx.issued(ca.id, &serial)?.is_some() {
                continue;
            }
            let cert = sign_certificate(
                TbsParts {
                    serial: &serial,
                    issuer_der: ca_cert.subject_der(),
                    subject_der: &self.subject,
                    spki_der: &self.spki,
                    not_before: now,
                    not_after,
                    extensions: extensions.clone(),
                },
                &ca_key,
                scheme,
            )?;
            let record = record_for(ca.id, &cert, Some(self.email.clone()), now);
            match tx.insert_issued(&record) {
                Ok(()) => {
                    tx.put_certificate(&cert)?;
                    return Ok((cert, record, chain_of(tx, ca.id)?));
                }
                Err(e) if e.kind() == ErrorKind::Duplicate => last = Some(e),
                Err(e) => return Err(e),
            }
        }
        Err(last.unwrap_or_else(|| Error::Crypto("could not draw an unused serial number".into())))
    }
}

/// An issued end-user certificate with its private key.
#[derive(Debug)]
pub struct Issued {
    certificate: Certificate,
    key: PrivateKey,
    record: IssuedRecord,
    chain: Vec<Certificate>,
}

impl Issued {
    /// The certificate.
    pub fn certificate(&self) -> &Certificate {
        &self.certificate
    }

    /// Its private key (also stored, sealed, in the store).
    pub fn key(&self) -> &PrivateKey {
        &self.key
    }

    /// The issued record kept in the store.
    pub fn record(&self) -> &IssuedRecord {
        &self.record
    }

    /// The issuing CA's certificate and those above it, issuer first (for a PKCS#12 export).
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The parts: certificate, key, record, chain.
    pub fn into_parts(self) -> (Certificate, PrivateKey, IssuedRecord, Vec<Certificate>) {
        (self.certificate, self.key, self.record, self.chain)
    }
}

/// The certificate authority operations over a store.
#[derive(Debug)]
pub struct CertificateAuthority<'s, S: Store + ?Sized> {
    store: &'s S,
    config: CaConfig,
}

fn check_rsa_size(key: KeySpec) -> Result<()> {
    match key {
        KeySpec::Rsa(2048 | 3072 | 4096) | KeySpec::EcP256 | KeySpec::EcP384 => Ok(()),
        KeySpec::Rsa(bits) if bits < MIN_RSA_BITS => Err(Error::Weak(format!(
            "a {bits}-bit RSA key is too weak; use 2048, 3072 or 4096 bits"
        ))),
        KeySpec::Rsa(bits) => Err(Error::InvalidArgument(format!(
            "RSA key size {bits}: use 2048, 3072 or 4096 bits"
        ))),
        other => Err(Error::unsupported(
            "CA key",
            format!("{other:?}; use RSA 2048/3072/4096 or EC P-256/P-384"),
        )),
    }
}

fn ski_of(cert: &Certificate) -> Result<Vec<u8>> {
    match cert.subject_key_id() {
        Some(ski) => Ok(ski.to_vec()),
        None => key_identifier(cert.public_key_der()),
    }
}

/// The common name of a certificate's subject, or the whole subject if it has none.
fn name_of(cert: &Certificate) -> String {
    cert.x509()
        .tbs_certificate()
        .subject()
        .common_name()
        .ok()
        .flatten()
        .map(String::from)
        .filter(|cn| !cn.trim().is_empty())
        .unwrap_or_else(|| cert.subject().to_string())
}

fn hash_of(cert: &Certificate) -> HashAlg {
    let alg = &cert.x509().signature_algorithm().oid;
    if *alg == oid::SHA384_WITH_RSA || *alg == oid::ECDSA_SHA384 {
        HashAlg::Sha384
    } else if *alg == oid::SHA512_WITH_RSA || *alg == oid::ECDSA_SHA512 {
        HashAlg::Sha512
    } else {
        HashAlg::Sha256
    }
}

fn stored_certificate(tx: &dyn ReadTransaction, ca: &CaRecord) -> Result<Certificate> {
    tx.certificate(&ca.certificate)?.ok_or_else(|| {
        Error::Storage(format!(
            "the certificate of CA {} ({}) is missing from the store",
            ca.id, ca.name
        ))
    })
}

fn stored_key(tx: &dyn ReadTransaction, ca: &CaRecord) -> Result<PrivateKey> {
    tx.key_for_certificate(&ca.certificate)?.ok_or_else(|| {
        Error::NotFound(format!(
            "the private key of CA {} ({}) is not in the store",
            ca.id, ca.name
        ))
    })
}

fn require_ca(tx: &dyn ReadTransaction, id: CaId) -> Result<CaRecord> {
    tx.ca(id)?
        .ok_or_else(|| Error::NotFound(format!("no CA with id {id}")))
}

/// Stores a CA certificate as certificate, trust anchor and whitelisted trust list entry.
fn store_ca_certificate(tx: &mut dyn Transaction, cert: &Certificate) -> Result<()> {
    tx.put_certificate(cert)?;
    tx.put_root(cert)?;
    tx.put_ctl_entry(&CtlEntry::whitelisted(*cert.thumbprint()))
}

/// Removes a CA certificate from the certificate store, the roots and the trust list.
fn remove_ca_certificate(tx: &mut dyn Transaction, cert: &Certificate) -> Result<()> {
    let t = cert.thumbprint();
    tx.delete_certificate(t)?;
    tx.delete_root(t)?;
    tx.delete_ctl_entry(t)?;
    Ok(())
}

fn record_for(
    ca: CaId,
    cert: &Certificate,
    email: Option<String>,
    issued_at: SystemTime,
) -> IssuedRecord {
    IssuedRecord {
        ca,
        serial: cert.serial().clone(),
        subject: cert.subject().to_string(),
        email,
        thumbprint: *cert.thumbprint(),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        issued_at,
    }
}

/// After CAs were added: the first CA is forced default; otherwise `wanted` becomes default
/// when asked.
fn settle_default(tx: &mut dyn Transaction, wanted: CaId, asked: bool) -> Result<()> {
    if asked || tx.default_ca()?.is_none() {
        tx.set_default_ca(wanted)?;
    }
    Ok(())
}

impl<'s, S: Store + ?Sized> CertificateAuthority<'s, S> {
    /// The CA operations on `store`, with the default [`CaConfig`].
    pub fn new(store: &'s S) -> Self {
        Self::with_config(store, CaConfig::default())
    }

    /// The CA operations on `store` with `config`.
    pub fn with_config(store: &'s S, config: CaConfig) -> Self {
        CertificateAuthority { store, config }
    }

    /// Creates a root CA, and an intermediate under it when the spec asks for one.
    ///
    /// Checks first (nothing is generated or stored when one fails): the name fields
    /// ([`DistinguishedName::validate`]), names not taken by another CA
    /// ([`Error::Duplicate`]), key ([`Error::Weak`] below 2048 bits), validity of 1 to 5 years,
    /// hash ([`Error::Weak`] for SHA-1). The CA certificates carry basicConstraints (critical,
    /// cA; pathLenConstraint 0 for the issuing CA, 1 for a root above an intermediate),
    /// keyUsage keyCertSign + cRLSign (critical), subject and authority key identifiers.
    /// Each becomes a trust anchor and is whitelisted; the intermediate is recorded as issued
    /// by the root. All in one transaction.
    pub fn create(&self, spec: &CaSpec, clock: &dyn Clock) -> Result<CreatedCa> {
        spec.name.validate()?;
        if let Some(i) = &spec.intermediate {
            i.validate()?;
            if i.common_name().trim().to_lowercase()
                == spec.name.common_name().trim().to_lowercase()
            {
                return Err(Error::InvalidArgument(
                    "the root and the intermediate CA need different common names".into(),
                ));
            }
        }
        check_rsa_size(spec.key)?;
        if !(1..=5).contains(&spec.years) {
            return Err(Error::InvalidArgument(format!(
                "CA validity of {} years: give 1 to 5 years (5 recommended)",
                spec.years
            )));
        }
        let names: Vec<&str> = std::iter::once(spec.name.common_name())
            .chain(spec.intermediate.as_ref().map(|i| i.common_name()))
            .collect();
        self.store.read_transaction(|tx| {
            for n in &names {
                if tx.ca_by_name(n)?.is_some() {
                    return Err(Error::Duplicate(format!(
                        "a CA named {n:?} already exists; CA names (common names) must be unique"
                    )));
                }
            }
            Ok(())
        })?;

        let now = clock.now();
        let not_after = add_years(now, i64::from(spec.years));
        let root_key = PrivateKey::generate(spec.key)?;
        let scheme = scheme_for(&root_key.algorithm(), spec.hash)?;
        let root_spki = root_key.public_key_der();
        let root_ski = key_identifier(&root_spki)?;
        let root_subject = spec.name.to_der()?;
        let path_len = if spec.intermediate.is_some() { 1 } else { 0 };
        let root_cert = sign_certificate(
            TbsParts {
                serial: &random_serial()?,
                issuer_der: &root_subject,
                subject_der: &root_subject,
                spki_der: &root_spki,
                not_before: now,
                not_after,
                extensions: profile::ca_extensions(&root_ski, &root_ski, Some(path_len))?,
            },
            &root_key,
            scheme,
        )?;
        let intermediate = match &spec.intermediate {
            None => None,
            Some(name) => {
                let key = PrivateKey::generate(spec.key)?;
                let spki = key.public_key_der();
                let ski = key_identifier(&spki)?;
                let cert = sign_certificate(
                    TbsParts {
                        serial: &random_serial()?,
                        issuer_der: &root_subject,
                        subject_der: &name.to_der()?,
                        spki_der: &spki,
                        not_before: now,
                        not_after,
                        extensions: profile::ca_extensions(&ski, &root_ski, Some(0))?,
                    },
                    &root_key,
                    scheme,
                )?;
                Some((name.common_name().to_string(), cert, key))
            }
        };

        self.store.transaction(|tx| {
            let root_id = tx.insert_ca(&NewCa {
                name: spec.name.common_name().to_string(),
                certificate: *root_cert.thumbprint(),
                parent: None,
                imported: false,
                created: now,
            })?;
            store_ca_certificate(tx, &root_cert)?;
            tx.put_key(&root_key)?;
            let mut issuing = root_id;
            let mut inter = None;
            if let Some((name, cert, key)) = &intermediate {
                let id = tx.insert_ca(&NewCa {
                    name: name.clone(),
                    certificate: *cert.thumbprint(),
                    parent: Some(root_id),
                    imported: false,
                    created: now,
                })?;
                store_ca_certificate(tx, cert)?;
                tx.put_key(key)?;
                tx.insert_issued(&record_for(root_id, cert, None, now))?;
                issuing = id;
                inter = Some((id, cert.clone()));
            }
            settle_default(tx, issuing, spec.make_default)?;
            let root = require_ca(tx, root_id)?;
            let intermediate = match inter {
                Some((id, cert)) => Some((require_ca(tx, id)?, cert)),
                None => None,
            };
            Ok(CreatedCa {
                root,
                root_certificate: root_cert.clone(),
                intermediate,
            })
        })
    }

    /// Imports an external CA from its certificate (PEM, DER or PKCS#7; the file may hold its
    /// chain too) and private key (PKCS#8 or PKCS#1, PEM or DER, encrypted PKCS#8 with
    /// `password`).
    ///
    /// Refusals, each its own error kind, with nothing stored:
    ///
    /// - the certificate does not parse: [`ErrorKind::Parse`];
    /// - the key does not parse: [`ErrorKind::InvalidKey`] ([`ErrorKind::BadPassword`] for a
    ///   wrong password);
    /// - the key matches none of the certificates: [`ErrorKind::KeyMismatch`];
    /// - the certificate is not a CA (basicConstraints cA TRUE): [`ErrorKind::NotCa`].
    ///
    /// Also refused: a key below 2048 bits ([`ErrorKind::Weak`]), a CA whose name or
    /// certificate is already a CA here ([`ErrorKind::Duplicate`]). The CA becomes a trust
    /// anchor and is whitelisted; the other certificates of the file are stored as
    /// certificates (not trusted).
    pub fn import(
        &self,
        certificate: &[u8],
        key: &[u8],
        password: Option<&[u8]>,
        make_default: bool,
        clock: &dyn Clock,
    ) -> Result<CaRecord> {
        let loaded = load_certificates(certificate);
        if loaded.certificates.is_empty() {
            return Err(match loaded.problems.into_iter().next() {
                Some(p) => {
                    Error::malformed("CA certificate", format!("{}: {}", p.location, p.error))
                }
                None => Error::Empty {
                    what: "CA certificate",
                },
            });
        }
        let key = PrivateKey::from_bytes(key, password).map_err(|e| match e.kind() {
            ErrorKind::BadPassword | ErrorKind::LimitExceeded => e,
            _ => Error::InvalidKey(e.to_string()),
        })?;
        let cert = loaded
            .certificates
            .iter()
            .find(|c| key.matches(c))
            .cloned()
            .ok_or(Error::KeyMismatch)?;
        if !cert.is_ca() {
            return Err(Error::NotCa(format!(
                "{} has no basicConstraints cA TRUE; it cannot issue certificates",
                cert.subject()
            )));
        }
        if let KeyAlgorithm::Rsa { bits } = key.algorithm()
            && bits < MIN_RSA_BITS
        {
            return Err(Error::Weak(format!(
                "the CA key has {bits} bits; at least {MIN_RSA_BITS} are needed"
            )));
        }
        scheme_for(&key.algorithm(), HashAlg::Sha256)?;
        let name = name_of(&cert);
        let now = clock.now();
        self.store.transaction(|tx| {
            if tx
                .cas()?
                .iter()
                .any(|c| c.certificate == *cert.thumbprint())
            {
                return Err(Error::Duplicate(format!(
                    "the CA certificate {} is already a CA here",
                    cert.subject()
                )));
            }
            let id = tx.insert_ca(&NewCa {
                name: name.clone(),
                certificate: *cert.thumbprint(),
                parent: None,
                imported: true,
                created: now,
            })?;
            store_ca_certificate(tx, &cert)?;
            tx.put_key(&key)?;
            for other in &loaded.certificates {
                tx.put_certificate(other)?;
            }
            settle_default(tx, id, make_default)?;
            require_ca(tx, id)
        })
    }

    /// Every CA, in id order.
    pub fn list(&self) -> Result<Vec<CaRecord>> {
        self.store.read_transaction(|tx| tx.cas())
    }

    /// The CA with this id ([`Error::NotFound`] if there is none).
    pub fn get(&self, id: CaId) -> Result<CaRecord> {
        self.store.read_transaction(|tx| require_ca(tx, id))
    }

    /// The CA named by `id_or_name`: its id (a number) or its name (case-insensitive).
    pub fn find(&self, id_or_name: &str) -> Result<CaRecord> {
        self.store.read_transaction(|tx| {
            if let Ok(id) = id_or_name.parse::<CaId>()
                && let Some(ca) = tx.ca(id)?
            {
                return Ok(ca);
            }
            tx.ca_by_name(id_or_name)?
                .ok_or_else(|| Error::NotFound(format!("no CA with id or name {id_or_name:?}")))
        })
    }

    /// The default CA, if any CA exists.
    pub fn default_ca(&self) -> Result<Option<CaRecord>> {
        self.store.read_transaction(|tx| tx.default_ca())
    }

    /// The CA's current certificate (free to export).
    pub fn certificate(&self, id: CaId) -> Result<Certificate> {
        self.store.read_transaction(|tx| {
            let ca = require_ca(tx, id)?;
            stored_certificate(tx, &ca)
        })
    }

    /// The CA's certificate followed by those of the CAs above it in this store.
    pub fn chain(&self, id: CaId) -> Result<Vec<Certificate>> {
        self.store.read_transaction(|tx| chain_of(tx, id))
    }

    /// Makes `id` the default CA; the previous default is cleared in the same transaction.
    pub fn set_default(&self, id: CaId) -> Result<()> {
        self.store.transaction(|tx| {
            require_ca(tx, id)?;
            tx.set_default_ca(id)
        })
    }

    /// Renews a CA in place: same key, same subject and extensions (so the same subject key
    /// identifier), a new serial number, notBefore now and notAfter 5 years after the current
    /// one, at least 1825 days from now. The old certificate is replaced in the certificate
    /// store, the trust anchors and the trust list; certificates issued before still chain to
    /// the renewed CA. A root signs its renewal itself; an intermediate is re-signed by its
    /// parent CA in this store. Returns the new certificate.
    ///
    /// An imported CA that was issued by a CA outside this store cannot be renewed here
    /// ([`Error::Unsupported`]): renew it at its issuer and import the result.
    pub fn renew(&self, id: CaId, clock: &dyn Clock) -> Result<Certificate> {
        let now = clock.now();
        self.store.transaction(|tx| {
            let ca = require_ca(tx, id)?;
            let old = stored_certificate(tx, &ca)?;
            let key = stored_key(tx, &ca)?;
            let (issuer_der, signer, parent) = match ca.parent {
                Some(parent_id) => {
                    let parent = require_ca(tx, parent_id)?;
                    let parent_cert = stored_certificate(tx, &parent)?;
                    let parent_key = stored_key(tx, &parent)?;
                    (
                        parent_cert.subject_der().to_vec(),
                        parent_key,
                        Some(parent_id),
                    )
                }
                None if old.is_self_signed() => (old.subject_der().to_vec(), key, None),
                None => {
                    return Err(Error::unsupported(
                        "CA renewal",
                        format!(
                            "{} was issued by {}, whose key is not in this store; renew it at \
                             its issuer and import the renewed certificate",
                            ca.name,
                            old.issuer()
                        ),
                    ));
                }
            };
            let not_after = add_years(old.not_after(), 5).max(add_days(now, 1825));
            let extensions = old
                .x509()
                .tbs_certificate()
                .extensions()
                .cloned()
                .unwrap_or_default();
            let scheme = scheme_for(&signer.algorithm(), hash_of(&old))?;
            let renewed = sign_certificate(
                TbsParts {
                    serial: &random_serial()?,
                    issuer_der: &issuer_der,
                    subject_der: old.subject_der(),
                    spki_der: old.public_key_der(),
                    not_before: now,
                    not_after,
                    extensions,
                },
                &signer as &dyn Signer,
                scheme,
            )?;
            remove_ca_certificate(tx, &old)?;
            store_ca_certificate(tx, &renewed)?;
            tx.set_ca_certificate(id, renewed.thumbprint())?;
            if let Some(p) = parent {
                tx.delete_issued(p, old.serial())?;
                tx.insert_issued(&record_for(p, &renewed, None, now))?;
            }
            Ok(renewed)
        })
    }

    /// Deletes a CA: its record, certificate, trust anchor, trust list entry and private key,
    /// in one transaction. Refused ([`Error::InvalidArgument`]) while certificates it issued
    /// are on record or another CA of the store sits under it. When the default CA goes and
    /// others remain, the one with the lowest id becomes the default.
    pub fn delete(&self, id: CaId) -> Result<()> {
        self.store.transaction(|tx| {
            let ca = require_ca(tx, id)?;
            if let Some(child) = tx.cas()?.into_iter().find(|c| c.parent == Some(id)) {
                return Err(Error::InvalidArgument(format!(
                    "CA {} ({}) issued CA {} ({}); delete that one first",
                    ca.id, ca.name, child.id, child.name
                )));
            }
            let issued = tx.count_issued_by(id)?;
            if issued > 0 {
                return Err(Error::InvalidArgument(format!(
                    "CA {} ({}) has {issued} issued certificate(s) on record; it can only be \
                     deleted once none remain",
                    ca.id, ca.name
                )));
            }
            if let Some(cert) = tx.certificate(&ca.certificate)? {
                let key_id = crate::key::KeyId::of_public_key_der(cert.public_key_der());
                remove_ca_certificate(tx, &cert)?;
                tx.delete_key(&key_id)?;
                if let Some(p) = ca.parent {
                    tx.delete_issued(p, cert.serial())?;
                }
            }
            tx.delete_ca(id)?;
            if ca.is_default
                && let Some(next) = tx.cas()?.first()
            {
                tx.set_default_ca(next.id)?;
            }
            Ok(())
        })
    }

    /// Issues an end-user S/MIME certificate with a newly generated key (generated before the
    /// store transaction, so a slow RSA key generation does not hold the store's write lock).
    ///
    /// The certificate: subject CN (and O, GN, SN when given) plus emailAddress; keyUsage
    /// digitalSignature + keyEncipherment (RSA; EC also gets keyAgreement, which ECDH needs,
    /// keyEncipherment being what OpenSSL's S/MIME purpose check demands), critical; EKU
    /// emailProtection; SAN rfc822Name; key identifiers; the CRL distribution point when
    /// given. The serial number is random (126 bits), positive, and unique per CA (the store
    /// refuses a duplicate; a new one is drawn). The certificate, its key (sealed) and the
    /// issued record are stored in one transaction.
    ///
    /// Errors: the spec's checks ([`Error::InvalidArgument`], [`Error::Weak`]); no CA or no
    /// default CA ([`Error::NotFound`]); a CA that has expired ([`Error::InvalidArgument`]:
    /// renew it first).
    pub fn issue(&self, spec: &IssueSpec, clock: &dyn Clock) -> Result<Issued> {
        spec.validate()?;
        let key = PrivateKey::generate(spec.key)?;
        self.issue_with_key(spec, key, clock)
    }

    /// [`issue`](Self::issue) for a key the caller already has (generated ahead, or from a
    /// request). The key is stored with the certificate.
    pub fn issue_with_key(
        &self,
        spec: &IssueSpec,
        key: PrivateKey,
        clock: &dyn Clock,
    ) -> Result<Issued> {
        let prepared = spec.prepare(&key.public_key_der(), &key.algorithm())?;
        let now = clock.now();
        self.store
            .transaction(|tx| {
                let (cert, record, chain) = prepared.issue_in(tx, now)?;
                tx.put_key(&key)?;
                Ok((cert, record, chain))
            })
            .map(|(certificate, record, chain)| Issued {
                certificate,
                key,
                record,
                chain,
            })
    }

    /// The CA's private key, when the configuration allows it
    /// ([`CaConfig::allow_key_export`]); otherwise [`Error::NotPermitted`].
    pub fn export_key(&self, id: CaId) -> Result<PrivateKey> {
        if !self.config.allow_key_export {
            return Err(Error::NotPermitted(
                "exporting a CA private key is disabled; enable it in the configuration \
                 (CaConfig::allow_key_export(true)) if you really need the key outside the store"
                    .into(),
            ));
        }
        self.store.read_transaction(|tx| {
            let ca = require_ca(tx, id)?;
            stored_key(tx, &ca)
        })
    }

    /// Every certificate `id` issued that is still on record.
    pub fn issued(&self, id: CaId) -> Result<Vec<IssuedRecord>> {
        self.store.read_transaction(|tx| {
            require_ca(tx, id)?;
            tx.issued_by(id)
        })
    }

    /// The issued record of `serial` from CA `id`, if any.
    pub fn issued_serial(&self, id: CaId, serial: &Serial) -> Result<Option<IssuedRecord>> {
        self.store.read_transaction(|tx| tx.issued(id, serial))
    }
}

/// The certificate of CA `id` followed by its parents' (bounded: a parent loop in a damaged
/// store cannot make this run forever).
fn chain_of(tx: &dyn ReadTransaction, id: CaId) -> Result<Vec<Certificate>> {
    let mut out = Vec::new();
    let mut next = Some(id);
    while let Some(id) = next {
        if out.len() >= 16 {
            return Err(Error::Storage(
                "the CA parent chain is longer than 16".into(),
            ));
        }
        let ca = require_ca(tx, id)?;
        out.push(stored_certificate(tx, &ca)?);
        next = ca.parent;
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
