//! [`Pki`]: the core's `hermes_pki::pki::Pki` facade over one store, for the foreign languages.
//! Every method converts its arguments, calls the core, and converts the answer.

use std::str::FromStr;
use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::bundle;
use hermes_pki::ca::{CaSpec, CrlSpec, DistinguishedName, IssueSpec, Revocation};
use hermes_pki::cert::{Serial, Thumbprint};
use hermes_pki::crl::{CrlOutcome, RefreshOptions, RevocationReason, UrlOutcome};
use hermes_pki::key::{KeySpec, PbeKdf};
use hermes_pki::lifecycle;
use hermes_pki::pkcs12::Pkcs12Options;
use hermes_pki::pki as core_pki;
use hermes_pki::request::bulk;
use hermes_pki::request::{RequestId, Requests};
use hermes_pki::select;
use hermes_pki::settings::SettingKey;
use hermes_pki::store::{
    CaId, CaRecord, CertificateFilter, CrlRecord, CtlEntry, CtlStatus, DomainName, EmailAddress,
    MasterKeySource, MemoryStore, SettingScope, Store, StoreExt,
};
use hermes_pki::time::SystemClock;

use crate::requests::{
    BulkLimits, BulkPlan, BulkReport, CsrPolicy, KeyDerivation, KeyImport, RequestInfo,
    RequestOptions, RequestResult, RequestStatus, bulk_options,
};
use crate::verdicts::{
    EncryptionSelection, Opened, ProtectResult, SelectedCertificate, Usage, Validation, selected,
};
use crate::{Certificate, HermesError, LoadResult};

type Result<T> = std::result::Result<T, HermesError>;

fn thumbprint(hex: &str) -> Result<Thumbprint> {
    Ok(Thumbprint::from_str(hex.trim())?)
}

fn email(addr: &str) -> Result<EmailAddress> {
    Ok(EmailAddress::new(addr)?)
}

fn request_id(id: u64) -> Result<RequestId> {
    Ok(RequestId::new(id)?)
}

fn ca_id(id: u64) -> Result<CaId> {
    Ok(CaId::new(id)?)
}

fn certs(list: &[hermes_pki::cert::Certificate]) -> Vec<Arc<Certificate>> {
    list.iter().cloned().map(Certificate::wrap).collect()
}

/// The key of a new CA or certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyType {
    /// RSA 2048.
    Rsa2048,
    /// RSA 3072.
    Rsa3072,
    /// RSA 4096.
    Rsa4096,
    /// ECDSA/ECDH P-256.
    EcP256,
    /// ECDSA/ECDH P-384.
    EcP384,
    /// Ed25519 (signing only).
    Ed25519,
}

impl From<KeyType> for KeySpec {
    fn from(k: KeyType) -> Self {
        match k {
            KeyType::Rsa2048 => KeySpec::Rsa(2048),
            KeyType::Rsa3072 => KeySpec::Rsa(3072),
            KeyType::Rsa4096 => KeySpec::Rsa(4096),
            KeyType::EcP256 => KeySpec::EcP256,
            KeyType::EcP384 => KeySpec::EcP384,
            KeyType::Ed25519 => KeySpec::Ed25519,
        }
    }
}

/// A certificate authority of the store.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CaInfo {
    /// The store's id of the CA.
    pub id: u64,
    /// Its name (the common name of its certificate).
    pub name: String,
    /// SHA-512 thumbprint of its current certificate.
    pub thumbprint: String,
    /// The CA that issued its certificate, when that CA is in the store too.
    pub parent: Option<u64>,
    /// Whether it is the default CA.
    pub is_default: bool,
    /// Whether it was imported rather than created here.
    pub imported: bool,
    /// When it was created or imported.
    pub created: SystemTime,
}

impl From<&CaRecord> for CaInfo {
    fn from(r: &CaRecord) -> Self {
        CaInfo {
            id: r.id.get(),
            name: r.name.clone(),
            thumbprint: r.certificate.to_hex(),
            parent: r.parent.map(CaId::get),
            is_default: r.is_default,
            imported: r.imported,
            created: r.created,
        }
    }
}

/// What `ca_create` takes. Only `common_name` is required.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CaRequest {
    /// The CA's common name (its name in the store).
    pub common_name: String,
    /// organizationName.
    pub organization: Option<String>,
    /// countryName (two letters).
    pub country: Option<String>,
    /// The key (default: the core's default).
    pub key: Option<KeyType>,
    /// Validity in years (default: the core's default).
    pub years: Option<u32>,
    /// Also create an intermediate CA with this common name under the root; it issues.
    pub intermediate: Option<String>,
    /// Make it the default CA.
    pub make_default: bool,
}

/// What `ca_create` made.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedCa {
    /// The root CA.
    pub root: CaInfo,
    /// The root's certificate.
    pub root_certificate: Arc<Certificate>,
    /// The intermediate CA, when asked for.
    pub intermediate: Option<CaInfo>,
    /// The certificate of the CA that issues (the intermediate if any, else the root).
    pub issuing_certificate: Arc<Certificate>,
}

/// What `issue` takes: the address and common name; the rest have defaults.
#[derive(Debug, Clone, uniffi::Record)]
pub struct IssueRequest {
    /// The email address the certificate is for.
    pub email: String,
    /// The subject common name.
    pub common_name: String,
    /// organizationName.
    pub organization: Option<String>,
    /// Validity in days (default: the core's default).
    pub days: Option<u32>,
    /// The key (default: the core's default).
    pub key: Option<KeyType>,
    /// The issuing CA (default: the default CA).
    pub ca_id: Option<u64>,
    /// A CRL distribution point URL to put in the certificate.
    pub crl_distribution_point: Option<String>,
}

/// An issued certificate. Its private key is in the store.
#[derive(Debug, Clone, uniffi::Record)]
pub struct IssuedCertificate {
    /// The certificate.
    pub certificate: Arc<Certificate>,
    /// The chain above it, up to the root.
    pub chain: Vec<Arc<Certificate>>,
    /// The issuing CA.
    pub ca_id: u64,
    /// The serial number, upper-case hex.
    pub serial: String,
}

/// A revocation for `crl_create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RevocationRequest {
    /// The serial number, hex.
    pub serial: String,
    /// The CRL reason (`keyCompromise`, `superseded`, ...), if any.
    pub reason: Option<String>,
}

/// A CRL made by `crl_create`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CreatedCrl {
    /// The store's id of the CRL.
    pub id: u64,
    /// Its cRLNumber.
    pub number: u64,
    /// The CRL, DER.
    pub der: Vec<u8>,
}

/// A stored CRL.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CrlInfo {
    /// The store's id.
    pub id: u64,
    /// The issuer, RFC 4514.
    pub issuer: String,
    /// thisUpdate.
    pub this_update: SystemTime,
    /// nextUpdate.
    pub next_update: Option<SystemTime>,
    /// Whether it is used for revocation checking.
    pub valid: bool,
    /// When not valid: why.
    pub invalid_reason: Option<String>,
    /// The number of revoked-certificate entries.
    pub entries: u64,
    /// Where it came from.
    pub source: Option<String>,
}

impl From<&CrlRecord> for CrlInfo {
    fn from(r: &CrlRecord) -> Self {
        CrlInfo {
            id: r.id.get(),
            issuer: r.issuer.clone(),
            this_update: r.this_update,
            next_update: r.next_update,
            valid: r.status.is_valid(),
            invalid_reason: match &r.status {
                hermes_pki::store::CrlStatus::Invalid(why) => Some(why.clone()),
                _ => None,
            },
            entries: r.entries,
            source: r.source.clone(),
        }
    }
}

/// What importing one CRL did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CrlImportOutcome {
    /// The CRL's issuer, when it could be read.
    pub issuer: Option<String>,
    /// `stored`, `stored-pending`, `stored-invalid`, `not-newer`, `already-stored` or
    /// `unreadable`.
    pub outcome: String,
    /// The id it is stored under (or the current one, for `not-newer`).
    pub id: Option<u64>,
    /// For `stored-invalid` and `unreadable`: why.
    pub detail: Option<String>,
}

fn crl_outcome(i: &hermes_pki::crl::CrlImport) -> CrlImportOutcome {
    let (outcome, id, detail) = match &i.outcome {
        CrlOutcome::Stored { id, .. } => ("stored", Some(id.get()), None),
        CrlOutcome::StoredPending { id } => ("stored-pending", Some(id.get()), None),
        CrlOutcome::StoredInvalid { id, reason } => {
            ("stored-invalid", Some(id.get()), Some(reason.clone()))
        }
        CrlOutcome::NotNewer { current } => ("not-newer", Some(current.get()), None),
        CrlOutcome::AlreadyStored { id } => ("already-stored", Some(id.get()), None),
        CrlOutcome::Unreadable { error } => ("unreadable", None, Some(error.clone())),
    };
    CrlImportOutcome {
        issuer: i.issuer.clone(),
        outcome: outcome.to_owned(),
        id,
        detail,
    }
}

/// What refreshing one distribution point URL did.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CrlRefreshOutcome {
    /// The URL.
    pub url: String,
    /// `not-due`, `imported`, `fetch-failed` or `unreadable`.
    pub outcome: String,
    /// For `imported`: what each CRL did.
    pub imported: Vec<CrlImportOutcome>,
    /// For `fetch-failed` and `unreadable`: why; for `not-due`: when it is due (RFC 3339).
    pub detail: Option<String>,
}

/// A trust-list decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TrustStatus {
    /// Trusted explicitly.
    Whitelisted,
    /// Never trusted.
    Blacklisted,
}

/// An entry of the trust list.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct TrustListEntry {
    /// SHA-512 thumbprint, upper-case hex.
    pub thumbprint: String,
    /// The decision.
    pub status: TrustStatus,
    /// For a whitelisted certificate: still trusted after it expired.
    pub allow_expired: bool,
}

/// Where a setting is set: the whole store, a domain, or a user.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum Scope {
    /// Every user.
    Global,
    /// The users of a domain.
    Domain {
        /// The domain name.
        name: String,
    },
    /// One user.
    User {
        /// The user's address.
        email: String,
    },
}

impl TryFrom<Scope> for SettingScope {
    type Error = HermesError;
    fn try_from(s: Scope) -> Result<Self> {
        Ok(match s {
            Scope::Global => SettingScope::Global,
            Scope::Domain { name } => SettingScope::domain(&name)?,
            Scope::User { email } => SettingScope::user(&email)?,
        })
    }
}

/// A setting's effective value at a scope, where it came from, and the value at each level.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct EffectiveSetting {
    /// The setting's name (`sign`, `encrypt`, `cipher`, ...).
    pub key: String,
    /// The effective value, as text.
    pub value: String,
    /// `user`, `domain`, `global` or `default`.
    pub source: String,
    /// Each level that sets it: (`user`/`domain`/`global`, value).
    pub levels: Vec<SettingLevel>,
}

/// A level that sets a setting.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SettingLevel {
    /// `user`, `domain` or `global`.
    pub source: String,
    /// The value there.
    pub value: String,
}

impl From<hermes_pki::settings::Effective> for EffectiveSetting {
    fn from(e: hermes_pki::settings::Effective) -> Self {
        EffectiveSetting {
            key: e.key.as_str().to_owned(),
            value: e.value.to_string(),
            source: e.source.as_str().to_owned(),
            levels: e
                .levels
                .iter()
                .map(|(s, v)| SettingLevel {
                    source: s.as_str().to_owned(),
                    value: v.to_string(),
                })
                .collect(),
        }
    }
}

/// What `import_pkcs12` stored.
#[derive(Debug, Clone, uniffi::Record)]
pub struct Pkcs12Import {
    /// The certificate of the key.
    pub certificate: Arc<Certificate>,
    /// The other certificates of the file.
    pub chain: Vec<Arc<Certificate>>,
    /// How many certificates were new to the store.
    pub newly_stored: u64,
}

/// Options of `protect`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ProtectOptions {
    /// Selection, validation and signing time (default: now).
    pub at: Option<SystemTime>,
    /// An opaque (`application/pkcs7-mime`) signature instead of a detached one.
    pub opaque_signature: bool,
}

/// Options of `open_message`.
#[derive(Debug, Clone, uniffi::Record)]
pub struct OpenOptions {
    /// Validation time (default: now).
    pub at: Option<SystemTime>,
    /// Add `X-Hermes-Encrypted` / `X-Hermes-Signature` fields (incoming ones are removed).
    pub informational_headers: bool,
}

/// The facade over one store: CAs, certificates, trust, CRLs, users, domains, settings,
/// selection, PKCS#12, and the gateway's two operations, `protect` and `open_message`.
#[derive(uniffi::Object)]
pub struct Pki {
    inner: core_pki::Pki,
}

impl Pki {
    /// The request operations over the store (no external handler).
    fn requests(&self, from: Option<&str>) -> Requests<'_, dyn Store + '_> {
        let r = Requests::new(self.inner.store());
        match from {
            Some(f) => r.delivery_from(f),
            None => r,
        }
    }
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

#[uniffi::export]
impl Pki {
    /// Opens (creating if needed) the store at `dir`: a directory (the SQLite store) or a
    /// `postgres://user:password@host:port/db` URL (the PostgreSQL store, with the master key
    /// file named by the environment variable `HERMES_PKI_MASTER_KEY_FILE`).
    #[uniffi::constructor]
    pub fn open(dir: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Pki {
            inner: core_pki::Pki::open(dir)?,
        }))
    }

    /// Opens (creating if needed) the store at `location` (a directory or a `postgres://`
    /// URL) with the master key file `master_key_file` (created when missing; the same file
    /// on every node of a PostgreSQL store).
    #[uniffi::constructor]
    pub fn open_with_key_file(location: String, master_key_file: String) -> Result<Arc<Self>> {
        Ok(Arc::new(Pki {
            inner: core_pki::Pki::open_with(location, MasterKeySource::key_file(master_key_file))?,
        }))
    }

    /// A store in memory, gone when the object is.
    #[uniffi::constructor]
    pub fn in_memory() -> Arc<Self> {
        Arc::new(Pki {
            inner: core_pki::Pki::new(MemoryStore::new()),
        })
    }

    // --- CAs ---------------------------------------------------------------------------------

    /// Creates a CA (and optionally an intermediate under it) with its key in the store.
    pub fn ca_create(&self, request: CaRequest) -> Result<CreatedCa> {
        let mut dn = DistinguishedName::new(request.common_name);
        if let Some(o) = request.organization {
            dn = dn.organization(o);
        }
        if let Some(c) = request.country {
            dn = dn.country(c);
        }
        let mut spec = CaSpec::new(dn).make_default(request.make_default);
        if let Some(k) = request.key {
            spec = spec.key(k.into());
        }
        if let Some(y) = request.years {
            spec = spec.years(y);
        }
        if let Some(i) = request.intermediate {
            spec = spec.intermediate(DistinguishedName::new(i));
        }
        let created = self.inner.ca().create(&spec, &SystemClock)?;
        Ok(CreatedCa {
            root: created.root().into(),
            root_certificate: Certificate::wrap(created.root_certificate().clone()),
            intermediate: created.intermediate().map(CaInfo::from),
            issuing_certificate: Certificate::wrap(created.issuing_certificate().clone()),
        })
    }

    /// Imports a CA: its certificate (PEM or DER; other certificates of the file are stored
    /// too) and its private key (PEM or DER, PKCS#8 or PKCS#1; encrypted with `password`).
    pub fn ca_import(
        &self,
        certificate: Vec<u8>,
        key: Vec<u8>,
        password: Option<String>,
        make_default: bool,
    ) -> Result<CaInfo> {
        let record = self.inner.ca().import(
            &certificate,
            &key,
            password.as_deref().map(str::as_bytes),
            make_default,
            &SystemClock,
        )?;
        Ok((&record).into())
    }

    /// Every CA, in id order.
    pub fn ca_list(&self) -> Result<Vec<CaInfo>> {
        Ok(self.inner.ca().list()?.iter().map(CaInfo::from).collect())
    }

    /// The CA with this id or name.
    pub fn ca_find(&self, id_or_name: String) -> Result<CaInfo> {
        Ok((&self.inner.ca().find(&id_or_name)?).into())
    }

    /// The default CA, if any.
    pub fn ca_default(&self) -> Result<Option<CaInfo>> {
        Ok(self.inner.ca().default_ca()?.as_ref().map(CaInfo::from))
    }

    /// Makes the CA the default one.
    pub fn ca_set_default(&self, id: u64) -> Result<()> {
        Ok(self.inner.ca().set_default(ca_id(id)?)?)
    }

    /// Renews the CA's certificate (same key, new validity); returns the new certificate.
    pub fn ca_renew(&self, id: u64) -> Result<Arc<Certificate>> {
        Ok(Certificate::wrap(
            self.inner.ca().renew(ca_id(id)?, &SystemClock)?,
        ))
    }

    /// The CA's certificate and the chain above it (the export of a CA).
    pub fn ca_export(&self, id: u64) -> Result<Vec<Arc<Certificate>>> {
        Ok(certs(&self.inner.ca().chain(ca_id(id)?)?))
    }

    /// Issues an S/MIME certificate; its key is stored.
    pub fn issue(&self, request: IssueRequest) -> Result<IssuedCertificate> {
        let mut spec = IssueSpec::new(request.email, request.common_name);
        if let Some(o) = request.organization {
            spec = spec.organization(o);
        }
        if let Some(d) = request.days {
            spec = spec.days(d);
        }
        if let Some(k) = request.key {
            spec = spec.key(k.into());
        }
        if let Some(id) = request.ca_id {
            spec = spec.ca(ca_id(id)?);
        }
        if let Some(url) = request.crl_distribution_point {
            spec = spec.crl_distribution_point(url);
        }
        let issued = self.inner.ca().issue(&spec, &SystemClock)?;
        Ok(IssuedCertificate {
            certificate: Certificate::wrap(issued.certificate().clone()),
            chain: certs(issued.chain()),
            ca_id: issued.record().ca.get(),
            serial: issued.record().serial.to_string(),
        })
    }

    /// Makes a new CRL of a CA (default: the default CA), revoking `revoke` (entries of the
    /// previous CRL are carried forward).
    pub fn crl_create(
        &self,
        ca: Option<u64>,
        revoke: Vec<RevocationRequest>,
        next_update_days: Option<u32>,
    ) -> Result<CreatedCrl> {
        let authority = self.inner.ca();
        let id = match ca {
            Some(id) => ca_id(id)?,
            None => {
                authority
                    .default_ca()?
                    .ok_or_else(|| HermesError::NotFound {
                        message: "there is no CA in this store to make a CRL for".into(),
                    })?
                    .id
            }
        };
        let mut spec = CrlSpec::new(id);
        if let Some(d) = next_update_days {
            spec = spec.next_update_days(d);
        }
        for r in revoke {
            let mut entry = Revocation::new(Serial::from_hex(&r.serial)?);
            if let Some(reason) = r.reason {
                entry = entry.reason(RevocationReason::from_str(&reason)?);
            }
            spec = spec.revocation(entry);
        }
        let created = authority.create_crl(&spec, &SystemClock)?;
        Ok(CreatedCrl {
            id: created.id().get(),
            number: created.number(),
            der: created.der().to_vec(),
        })
    }

    // --- certificates, trust ----------------------------------------------------------------

    /// Imports every certificate in `input` (PEM, DER, PKCS#7; several at once). What could
    /// not be read is in `problems`; an error only for the store.
    pub fn import_certificates(&self, input: Vec<u8>) -> Result<LoadResult> {
        Ok(LoadResult::from(self.inner.import_certificates(&input)?))
    }

    /// The stored certificates, all or those for one address.
    pub fn certificates(&self, email: Option<String>) -> Result<Vec<Arc<Certificate>>> {
        let filter = match email {
            Some(e) => CertificateFilter::new().email(e),
            None => CertificateFilter::new(),
        };
        Ok(certs(
            &self
                .inner
                .store()
                .read_transaction(|tx| tx.list_certificates(&filter))?,
        ))
    }

    /// The stored certificate with this SHA-512 thumbprint (hex), if any.
    pub fn certificate(&self, thumbprint_hex: String) -> Result<Option<Arc<Certificate>>> {
        let t = thumbprint(&thumbprint_hex)?;
        Ok(self
            .inner
            .store()
            .read_transaction(|tx| tx.certificate(&t))?
            .map(Certificate::wrap))
    }

    /// Validates `certificate` for `usage` at `at` (default now) over the store. A certificate
    /// that is not valid is a `Validation` with `valid == false` and its reasons.
    pub fn validate(
        &self,
        certificate: Arc<Certificate>,
        usage: Usage,
        at: Option<SystemTime>,
        intermediates: Vec<Arc<Certificate>>,
    ) -> Result<Validation> {
        let intermediates: Vec<_> = intermediates.iter().map(|c| c.inner().clone()).collect();
        let v = self.inner.validate(
            certificate.inner(),
            usage.into(),
            at.unwrap_or_else(SystemTime::now),
            &intermediates,
        )?;
        Ok((&v).into())
    }

    /// Makes a CA certificate (or a version 1 self-signed root) a trust anchor.
    pub fn add_trust_anchor(&self, certificate: Arc<Certificate>) -> Result<()> {
        Ok(self.inner.add_trust_anchor(certificate.inner())?)
    }

    /// The trust anchors.
    pub fn trust_anchors(&self) -> Result<Vec<Arc<Certificate>>> {
        Ok(certs(
            &self.inner.store().read_transaction(|tx| tx.roots())?,
        ))
    }

    /// Puts a certificate on the trust list (replacing its entry).
    pub fn trust_list_set(
        &self,
        thumbprint_hex: String,
        status: TrustStatus,
        allow_expired: bool,
    ) -> Result<()> {
        let entry = CtlEntry {
            thumbprint: thumbprint(&thumbprint_hex)?,
            status: match status {
                TrustStatus::Whitelisted => CtlStatus::Whitelisted,
                TrustStatus::Blacklisted => CtlStatus::Blacklisted,
            },
            allow_expired,
        };
        Ok(self.inner.set_trust_list_entry(&entry)?)
    }

    /// Removes a certificate's trust-list entry; `false` when it had none.
    pub fn trust_list_remove(&self, thumbprint_hex: String) -> Result<bool> {
        Ok(self
            .inner
            .remove_trust_list_entry(&thumbprint(&thumbprint_hex)?)?)
    }

    /// The trust list.
    pub fn trust_list(&self) -> Result<Vec<TrustListEntry>> {
        Ok(self
            .inner
            .trust_list()?
            .iter()
            .map(|e| TrustListEntry {
                thumbprint: e.thumbprint.to_hex(),
                status: match e.status {
                    CtlStatus::Whitelisted => TrustStatus::Whitelisted,
                    CtlStatus::Blacklisted => TrustStatus::Blacklisted,
                },
                allow_expired: e.allow_expired,
            })
            .collect())
    }

    // --- CRLs --------------------------------------------------------------------------------

    /// Imports every CRL in `input` (DER or PEM); `source` is kept for display.
    pub fn crl_import(
        &self,
        input: Vec<u8>,
        source: Option<String>,
    ) -> Result<Vec<CrlImportOutcome>> {
        Ok(self
            .inner
            .crls()
            .import(&input, source.as_deref(), &SystemClock)?
            .iter()
            .map(crl_outcome)
            .collect())
    }

    /// The stored CRLs.
    pub fn crl_list(&self) -> Result<Vec<CrlInfo>> {
        Ok(self
            .inner
            .crls()
            .list()?
            .iter()
            .map(CrlInfo::from)
            .collect())
    }

    /// Fetches (HTTP) the CRL of every distribution point of the stored certificates that is
    /// due (or all, with `force`), and imports them. Fetch problems are in the answer.
    pub fn crl_refresh(&self, force: bool) -> Result<Vec<CrlRefreshOutcome>> {
        let report = self.inner.crls().refresh(
            &self.inner.crl_fetcher()?,
            &RefreshOptions::new().force(force),
            &SystemClock,
        )?;
        Ok(report
            .urls
            .iter()
            .map(|u| {
                let (outcome, imported, detail) = match &u.outcome {
                    UrlOutcome::NotDue { due } => (
                        "not-due",
                        Vec::new(),
                        Some(hermes_pki::time::to_rfc3339(*due)),
                    ),
                    UrlOutcome::Imported(list) => {
                        ("imported", list.iter().map(crl_outcome).collect(), None)
                    }
                    UrlOutcome::FetchFailed(e) => ("fetch-failed", Vec::new(), Some(e.to_string())),
                    UrlOutcome::Unreadable(e) => ("unreadable", Vec::new(), Some(e.clone())),
                };
                CrlRefreshOutcome {
                    url: u.url.clone(),
                    outcome: outcome.to_owned(),
                    imported,
                    detail,
                }
            })
            .collect())
    }

    // --- users, domains, settings, selection -----------------------------------------------

    /// Adds a user; `false` when it was there.
    pub fn add_user(&self, email_address: String) -> Result<bool> {
        Ok(self.inner.settings().add_user(&email(&email_address)?)?)
    }

    /// The users.
    pub fn users(&self) -> Result<Vec<String>> {
        Ok(self
            .inner
            .settings()
            .users()?
            .iter()
            .map(|u| u.as_str().to_owned())
            .collect())
    }

    /// Removes a user; `false` when it was not there.
    pub fn remove_user(&self, email_address: String) -> Result<bool> {
        Ok(self.inner.settings().remove_user(&email(&email_address)?)?)
    }

    /// Adds a domain; `false` when it was there.
    pub fn add_domain(&self, name: String) -> Result<bool> {
        Ok(self.inner.settings().add_domain(&DomainName::new(&name)?)?)
    }

    /// The domains.
    pub fn domains(&self) -> Result<Vec<String>> {
        Ok(self
            .inner
            .settings()
            .domains()?
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect())
    }

    /// Removes a domain; `false` when it was not there.
    pub fn remove_domain(&self, name: String) -> Result<bool> {
        Ok(self
            .inner
            .settings()
            .remove_domain(&DomainName::new(&name)?)?)
    }

    /// Sets a setting (`sign`, `encrypt`, `cipher`, ...) from its text form; returns the value
    /// as stored.
    pub fn setting_set(&self, scope: Scope, key: String, value: String) -> Result<String> {
        let key = SettingKey::from_str(&key)?;
        Ok(self
            .inner
            .settings()
            .set_text(&scope.try_into()?, key, &value)?
            .to_string())
    }

    /// Removes a setting at a scope; `false` when it was not set there.
    pub fn setting_unset(&self, scope: Scope, key: String) -> Result<bool> {
        let key = SettingKey::from_str(&key)?;
        Ok(self.inner.settings().unset(&scope.try_into()?, key)?)
    }

    /// A setting's effective value at a scope.
    pub fn setting(&self, scope: Scope, key: String) -> Result<EffectiveSetting> {
        let key = SettingKey::from_str(&key)?;
        Ok(self
            .inner
            .settings()
            .effective(&scope.try_into()?, key)?
            .into())
    }

    /// Every setting's effective value at a scope.
    pub fn settings(&self, scope: Scope) -> Result<Vec<EffectiveSetting>> {
        Ok(self
            .inner
            .settings()
            .show(&scope.try_into()?)?
            .into_iter()
            .map(EffectiveSetting::from)
            .collect())
    }

    /// The certificates a message to `recipient` is encrypted to at `at` (default now), and
    /// those left out with why.
    pub fn encryption_certificates(
        &self,
        recipient: String,
        at: Option<SystemTime>,
    ) -> Result<EncryptionSelection> {
        let r = email(&recipient)?;
        let at = at.unwrap_or_else(SystemTime::now);
        Ok(self
            .inner
            .store()
            .read_transaction(|tx| select::encryption_certificates(tx, &r, at))?
            .into())
    }

    /// The certificate `sender` signs with at `at` (default now), if any.
    pub fn signing_certificate(
        &self,
        sender: String,
        at: Option<SystemTime>,
    ) -> Result<Option<SelectedCertificate>> {
        let s = email(&sender)?;
        let at = at.unwrap_or_else(SystemTime::now);
        Ok(self
            .inner
            .store()
            .read_transaction(|tx| select::signing_certificate(tx, &s, at))?
            .as_ref()
            .map(selected))
    }

    /// Chooses encryption certificates for `user` by hand; returns those newly chosen.
    pub fn select_encryption(&self, user: String, thumbprints: Vec<String>) -> Result<Vec<String>> {
        let u = email(&user)?;
        let ts = thumbprints
            .iter()
            .map(|t| thumbprint(t))
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .inner
            .store()
            .transaction(|tx| select::select_encryption(tx, &u, &ts))?
            .iter()
            .map(Thumbprint::to_hex)
            .collect())
    }

    /// Removes encryption certificates chosen by hand for `user`.
    pub fn deselect_encryption(&self, user: String, thumbprints: Vec<String>) -> Result<()> {
        let u = email(&user)?;
        let ts = thumbprints
            .iter()
            .map(|t| thumbprint(t))
            .collect::<Result<Vec<_>>>()?;
        Ok(self
            .inner
            .store()
            .transaction(|tx| select::deselect_encryption(tx, &u, &ts))?)
    }

    /// Chooses the signing certificate of `user` by hand.
    pub fn select_signing(&self, user: String, thumbprint_hex: String) -> Result<()> {
        let u = email(&user)?;
        let t = thumbprint(&thumbprint_hex)?;
        Ok(self
            .inner
            .store()
            .transaction(|tx| select::select_signing(tx, &u, &t))?)
    }

    /// Back to automatic signing-certificate selection; `false` when none was chosen.
    pub fn automatic_signing(&self, user: String) -> Result<bool> {
        let u = email(&user)?;
        Ok(self
            .inner
            .store()
            .transaction(|tx| select::automatic_signing(tx, &u))?)
    }

    // --- PKCS#12 -------------------------------------------------------------------------------

    /// Imports a PKCS#12 file: its key, its certificate and the chain.
    pub fn import_pkcs12(&self, data: Vec<u8>, password: String) -> Result<Pkcs12Import> {
        let imported = bundle::import_pkcs12(self.inner.store(), &data, &password)?;
        Ok(Pkcs12Import {
            certificate: Certificate::wrap(imported.certificate().clone()),
            chain: certs(imported.chain()),
            newly_stored: imported.newly_stored() as u64,
        })
    }

    /// Exports a stored certificate with its key and chain as PKCS#12 under `password`.
    pub fn export_pkcs12(&self, thumbprint_hex: String, password: String) -> Result<Vec<u8>> {
        Ok(bundle::export_pkcs12(
            self.inner.store(),
            &thumbprint(&thumbprint_hex)?,
            &password,
            &Pkcs12Options::new(),
        )?)
    }

    // --- certificate requests ------------------------------------------------------------

    /// Requests a certificate: the built-in handler issues at once (with a PKCS#12 delivery
    /// when `deliver_pkcs12` is set); `csr` keeps a key and a PKCS#10 request for an external
    /// CA, pending until `request_complete`. `delivery_from`: the From of delivery messages.
    pub fn request(
        &self,
        options: RequestOptions,
        delivery_from: Option<String>,
    ) -> Result<RequestResult> {
        let o = options.to_core()?;
        Ok((&self
            .requests(delivery_from.as_deref())
            .request(&o, &SystemClock)?)
            .into())
    }

    /// Accepts a client's PKCS#10 request (PEM or DER), checked under `policy`; issued at
    /// once with `approve`, else pending until `request_approve`.
    pub fn submit_csr(
        &self,
        csr: Vec<u8>,
        policy: CsrPolicy,
        approve: bool,
    ) -> Result<RequestResult> {
        let p = policy.to_core()?;
        Ok((&self
            .requests(None)
            .submit_csr(&csr, &p, approve, &SystemClock)?)
            .into())
    }

    /// Approves a pending inward CSR request: the internal CA issues its certificate.
    pub fn request_approve(&self, id: u64) -> Result<RequestResult> {
        Ok((&self.requests(None).approve(request_id(id)?, &SystemClock)?).into())
    }

    /// Completes a pending outward CSR request with the external CA's certificate file
    /// (PEM, DER or PKCS#7; further certificates are stored as its chain).
    pub fn request_complete(
        &self,
        id: u64,
        certificate: Vec<u8>,
        delivery_from: Option<String>,
    ) -> Result<RequestResult> {
        Ok((&self.requests(delivery_from.as_deref()).complete(
            request_id(id)?,
            &certificate,
            &SystemClock,
        )?)
            .into())
    }

    /// Completes every pending request whose key one of `certificates` carries.
    pub fn request_complete_matching(
        &self,
        certificates: Vec<Arc<Certificate>>,
    ) -> Result<Vec<RequestResult>> {
        let cs: Vec<_> = certificates.iter().map(|c| c.inner().clone()).collect();
        let done = self.requests(None).complete_matching(&cs, &SystemClock)?;
        Ok(done.iter().map(Into::into).collect())
    }

    /// The requests with this status (all for `None`), in id order.
    pub fn requests_list(&self, status: Option<RequestStatus>) -> Result<Vec<RequestInfo>> {
        let all = self.requests(None).list(status.map(Into::into))?;
        Ok(all.iter().map(Into::into).collect())
    }

    /// The request with this id (`NotFound` when there is none).
    pub fn request_get(&self, id: u64) -> Result<RequestInfo> {
        Ok((&self.requests(None).get(request_id(id)?)?).into())
    }

    /// The request's PKCS#10 (DER).
    pub fn request_csr(&self, id: u64) -> Result<Vec<u8>> {
        Ok(self.requests(None).csr(request_id(id)?)?)
    }

    /// The request's PKCS#10 as PEM.
    pub fn request_csr_pem(&self, id: u64) -> Result<String> {
        Ok(self.requests(None).csr_pem(request_id(id)?)?)
    }

    /// Sets when `requests_run_due` tries pending request `id` next.
    pub fn request_reschedule(&self, id: u64, at: SystemTime) -> Result<RequestInfo> {
        Ok((&self
            .requests(None)
            .reschedule(request_id(id)?, at, &SystemClock)?)
            .into())
    }

    /// Cancels pending request `id` (with its key unless a stored certificate carries it).
    pub fn request_cancel(&self, id: u64) -> Result<RequestInfo> {
        Ok((&self.requests(None).cancel(request_id(id)?, &SystemClock)?).into())
    }

    /// Tries pending request `id` again with its external handler (none is registered
    /// through these bindings: outward and inward CSR requests are `InvalidArgument`).
    pub fn request_retry(&self, id: u64) -> Result<RequestResult> {
        Ok((&self.requests(None).retry(request_id(id)?, &SystemClock)?).into())
    }

    /// Tries every due pending request of an external handler (none is registered through
    /// these bindings, so the list is empty).
    pub fn requests_run_due(&self) -> Result<Vec<RequestResult>> {
        let done = self.requests(None).run_due(&SystemClock)?;
        Ok(done.iter().map(Into::into).collect())
    }

    /// Reads a bulk CSV file and plans its requests with `template` (its email and common
    /// name are replaced by each row's), changing nothing.
    pub fn bulk_preview(
        &self,
        csv: Vec<u8>,
        template: RequestOptions,
        skip_existing: bool,
        limits: Option<BulkLimits>,
    ) -> Result<BulkPlan> {
        let options = bulk_options(&template, skip_existing, limits)?;
        Ok((&bulk::preview(self.inner.store(), &csv, &options, &SystemClock)?).into())
    }

    /// Requests every row of a bulk CSV file as `bulk_preview` plans it, each in its own
    /// transaction, stopping at the first failure; `InvalidArgument` while it has row errors.
    pub fn bulk_run(
        &self,
        csv: Vec<u8>,
        template: RequestOptions,
        skip_existing: bool,
        limits: Option<BulkLimits>,
        delivery_from: Option<String>,
    ) -> Result<BulkReport> {
        let options = bulk_options(&template, skip_existing, limits)?;
        let plan = bulk::preview(self.inner.store(), &csv, &options, &SystemClock)?;
        let report = bulk::run(
            &self.requests(delivery_from.as_deref()),
            &plan,
            &SystemClock,
            &mut |_, _| {},
        )?;
        Ok((&report).into())
    }

    // --- lifecycle -----------------------------------------------------------------------

    /// Deletes a stored certificate; returns whether its private key went too (it stays
    /// while another certificate or a pending request uses it). `NotPermitted` for a CA's
    /// certificate.
    pub fn delete_certificate(&self, thumbprint_hex: String) -> Result<bool> {
        let t = thumbprint(&thumbprint_hex)?;
        Ok(lifecycle::delete_certificate(self.inner.store(), &t)?.key_removed)
    }

    /// Removes a trust anchor (the certificate stays stored).
    pub fn remove_trust_anchor(&self, thumbprint_hex: String) -> Result<()> {
        let t = thumbprint(&thumbprint_hex)?;
        Ok(lifecycle::remove_trust_anchor(self.inner.store(), &t)?)
    }

    /// Attaches a private key (PEM or DER; `password` for an encrypted one) to the stored
    /// certificates it belongs to (`KeyMismatch` when none).
    pub fn import_key(&self, key: Vec<u8>, password: Option<Vec<u8>>) -> Result<KeyImport> {
        let k = lifecycle::import_key(self.inner.store(), &key, password.as_deref())?;
        Ok(KeyImport {
            key_id: k.key_id.to_string(),
            certificates: k.certificates.iter().map(|t| t.to_hex()).collect(),
            newly_stored: k.newly_stored,
        })
    }

    /// The private key of a stored certificate as encrypted PKCS#8 PEM under `passphrase`.
    pub fn export_key(
        &self,
        thumbprint_hex: String,
        passphrase: Vec<u8>,
        kdf: Option<KeyDerivation>,
    ) -> Result<String> {
        let t = thumbprint(&thumbprint_hex)?;
        let kdf = match kdf {
            Some(KeyDerivation::Pbkdf2Sha256) => PbeKdf::Pbkdf2Sha256,
            Some(KeyDerivation::Scrypt) | None => PbeKdf::Scrypt,
        };
        Ok(lifecycle::export_key(
            self.inner.store(),
            &t,
            &passphrase,
            kdf,
        )?)
    }

    // --- the gateway's two operations -----------------------------------------------------

    /// Signs and/or encrypts `message` from `sender` to `recipients` as their settings say.
    /// `encrypt = required` without a certificate is a `NotPermitted` error naming them.
    pub fn protect(
        &self,
        message: Vec<u8>,
        sender: String,
        recipients: Vec<String>,
        options: Option<ProtectOptions>,
    ) -> Result<ProtectResult> {
        let options = options.unwrap_or(ProtectOptions {
            at: None,
            opaque_signature: false,
        });
        let mut core_options =
            core_pki::ProtectOptions::new(options.at.unwrap_or_else(SystemTime::now));
        if options.opaque_signature {
            core_options = core_options.form(hermes_pki::smime::SignatureForm::Opaque);
        }
        let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
        Ok(self
            .inner
            .protect(&message, &sender, &recipients, &core_options)?
            .into())
    }

    /// Opens an inbound message: decrypts and verifies every S/MIME layer, with a verdict per
    /// layer and per signer. Not S/MIME and unreadable S/MIME are answers, not errors.
    pub fn open_message(&self, message: Vec<u8>, options: Option<OpenOptions>) -> Result<Opened> {
        let options = options.unwrap_or(OpenOptions {
            at: None,
            informational_headers: false,
        });
        let core_options = core_pki::OpenOptions::new(options.at.unwrap_or_else(SystemTime::now))
            .informational_headers(options.informational_headers);
        Ok(self.inner.open_message(&message, &core_options)?.into())
    }
}
