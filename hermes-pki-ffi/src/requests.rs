//! The records of certificate requests (`hermes_pki::request`), bulk CSV requests and the
//! lifecycle calls (`hermes_pki::lifecycle`) for the foreign languages: field-by-field
//! conversions; the `Pki` methods that use them are in [`crate::facade`].

use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::request::bulk::{self, BulkReport as CoreReport, Plan, PlannedRow, RowNote};
use hermes_pki::request::{
    CsrPolicy as CoreCsrPolicy, RequestOptions as CoreOptions, RequestRecord,
    RequestResult as CoreResult, RequestStatus as CoreStatus,
};
use hermes_pki::store::CaId;

use crate::facade::KeyType;
use crate::{Certificate, HermesError};

type Result<T> = std::result::Result<T, HermesError>;

/// What a certificate request asks for. `email` and `common_name` are required (a bulk
/// template's are replaced by each row's); `None` fields take the core's defaults.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestOptions {
    /// The email address the certificate is for.
    pub email: String,
    /// The subject common name.
    pub common_name: String,
    /// The handler: `built-in` (default: the store's CA issues at once) or `csr` (a key and
    /// a PKCS#10 request for an external CA; pending until completed).
    pub handler: Option<String>,
    /// organizationName.
    pub organization: Option<String>,
    /// givenName.
    pub given_name: Option<String>,
    /// surname.
    pub surname: Option<String>,
    /// Validity in days (default 365).
    pub days: Option<u32>,
    /// The key (default RSA 2048).
    pub key: Option<KeyType>,
    /// The issuing CA (default: the default CA).
    pub ca_id: Option<u64>,
    /// A CRL distribution point URL to put in the certificate.
    pub crl_distribution_point: Option<String>,
    /// Add the user to the store when the certificate is issued.
    pub create_user: bool,
    /// Deliver a PKCS#12 file with a generated password of this length (8 to 1024).
    pub deliver_pkcs12: Option<u32>,
    /// Store the generated PKCS#12 password as the user's setting.
    pub store_password: bool,
}

impl RequestOptions {
    /// The core's options.
    pub(crate) fn to_core(&self) -> Result<CoreOptions> {
        let mut o = CoreOptions::new(&self.email, &self.common_name)
            .create_user(self.create_user)
            .store_password(self.store_password);
        if let Some(h) = &self.handler {
            o = o.handler(h);
        }
        if let Some(v) = &self.organization {
            o = o.organization(v);
        }
        if let Some(v) = &self.given_name {
            o = o.given_name(v);
        }
        if let Some(v) = &self.surname {
            o = o.surname(v);
        }
        if let Some(d) = self.days {
            o = o.days(d);
        }
        if let Some(k) = self.key {
            o = o.key(k.into());
        }
        if let Some(id) = self.ca_id {
            o = o.ca(CaId::new(id)?);
        }
        if let Some(u) = &self.crl_distribution_point {
            o = o.crl_distribution_point(u);
        }
        if let Some(n) = self.deliver_pkcs12 {
            o = o.deliver_pkcs12(n as usize);
        }
        Ok(o)
    }
}

/// What is checked in a client's PKCS#10 request (`submit_csr`) and what it is issued with.
#[derive(Debug, Clone, uniffi::Record)]
pub struct CsrPolicy {
    /// The only address accepted, if given.
    pub email: Option<String>,
    /// The domains accepted (any when empty).
    pub allowed_domains: Vec<String>,
    /// Copy O, GN and SN from the request's subject into the certificate.
    pub copy_subject_fields: bool,
    /// Validity in days (default 365).
    pub days: Option<u32>,
    /// The issuing CA (default: the default CA).
    pub ca_id: Option<u64>,
    /// A CRL distribution point URL to put in the certificate.
    pub crl_distribution_point: Option<String>,
    /// Add the user to the store when the certificate is issued.
    pub create_user: bool,
}

impl CsrPolicy {
    /// The core's policy.
    pub(crate) fn to_core(&self) -> Result<CoreCsrPolicy> {
        let mut p = CoreCsrPolicy::new()
            .copy_subject_fields(self.copy_subject_fields)
            .create_user(self.create_user);
        if let Some(e) = &self.email {
            p = p.email(e);
        }
        for d in &self.allowed_domains {
            p = p.allowed_domain(d);
        }
        if let Some(d) = self.days {
            p = p.days(d);
        }
        if let Some(id) = self.ca_id {
            p = p.ca(CaId::new(id)?);
        }
        if let Some(u) = &self.crl_distribution_point {
            p = p.crl_distribution_point(u);
        }
        Ok(p)
    }
}

/// Where a certificate request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum RequestStatus {
    /// Waiting (for an external CA's certificate, an approval, or its handler).
    Pending,
    /// Issued.
    Completed,
    /// Cancelled.
    Cancelled,
}

impl From<CoreStatus> for RequestStatus {
    fn from(s: CoreStatus) -> Self {
        match s {
            CoreStatus::Pending => RequestStatus::Pending,
            CoreStatus::Completed => RequestStatus::Completed,
            CoreStatus::Cancelled => RequestStatus::Cancelled,
        }
    }
}

impl From<RequestStatus> for CoreStatus {
    fn from(s: RequestStatus) -> Self {
        match s {
            RequestStatus::Pending => CoreStatus::Pending,
            RequestStatus::Completed => CoreStatus::Completed,
            RequestStatus::Cancelled => CoreStatus::Cancelled,
        }
    }
}

/// A certificate request as stored.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct RequestInfo {
    /// The request's id.
    pub id: u64,
    /// The handler's name (`built-in`, `csr`, `csr-inward`, or an external one).
    pub handler: String,
    /// Where it stands.
    pub status: RequestStatus,
    /// The address.
    pub email: String,
    /// The id (hex) of the key kept in the store for it, if any.
    pub key_id: Option<String>,
    /// The PKCS#10 request (DER), if any.
    pub csr: Option<Vec<u8>>,
    /// The handler's own reference, if any.
    pub reference: Option<String>,
    /// SHA-512 thumbprint of the issued certificate, once issued.
    pub certificate_thumbprint: Option<String>,
    /// When it was made.
    pub created: SystemTime,
    /// When it last changed.
    pub updated: SystemTime,
    /// When `requests_run_due` tries it next.
    pub next_attempt: SystemTime,
    /// How many times its handler was called.
    pub attempts: u32,
    /// The handler's last error, if any.
    pub last_error: Option<String>,
}

impl From<&RequestRecord> for RequestInfo {
    fn from(r: &RequestRecord) -> Self {
        RequestInfo {
            id: r.id.get(),
            handler: r.handler.clone(),
            status: r.status.into(),
            email: r.email.clone(),
            key_id: r.key_id.as_ref().map(|k| k.to_string()),
            csr: r.csr.clone(),
            reference: r.reference.clone(),
            certificate_thumbprint: r.certificate.as_ref().map(|t| t.to_hex()),
            created: r.created,
            updated: r.updated,
            next_attempt: r.next_attempt,
            attempts: r.attempts,
            last_error: r.last_error.clone(),
        }
    }
}

/// A PKCS#12 file for the user, its generated password, and a mail message carrying it.
#[derive(Clone, uniffi::Record)]
pub struct Delivery {
    /// The password (send it by another channel).
    pub password: String,
    /// The PKCS#12 file.
    pub pkcs12: Vec<u8>,
    /// The message (RFC 5322, CRLF line ends) with the file attached.
    pub message: Vec<u8>,
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery").finish_non_exhaustive()
    }
}

/// What a request came to: its record, and the certificate once issued.
#[derive(Debug, Clone, uniffi::Record)]
pub struct RequestResult {
    /// The request as stored.
    pub request: RequestInfo,
    /// Whether it is still pending.
    pub is_pending: bool,
    /// The issued certificate.
    pub certificate: Option<Arc<Certificate>>,
    /// The issuing chain, nearest first.
    pub chain: Vec<Arc<Certificate>>,
    /// The PKCS#12 delivery, when asked for.
    pub delivery: Option<Delivery>,
}

impl From<&CoreResult> for RequestResult {
    fn from(r: &CoreResult) -> Self {
        RequestResult {
            request: r.record().into(),
            is_pending: r.is_pending(),
            certificate: r.certificate().cloned().map(Certificate::wrap),
            chain: r.chain().iter().cloned().map(Certificate::wrap).collect(),
            delivery: r.delivery().map(|d| Delivery {
                password: d.password().to_string(),
                pkcs12: d.pkcs12().to_vec(),
                message: d.message().to_vec(),
            }),
        }
    }
}

/// Size limits of a bulk file (the core's defaults where `None`).
#[derive(Debug, Clone, uniffi::Record)]
pub struct BulkLimits {
    /// Most data rows.
    pub max_rows: Option<u64>,
    /// Most characters in one value.
    pub max_value_chars: Option<u64>,
}

/// The core's bulk options.
pub(crate) fn bulk_options(
    template: &RequestOptions,
    skip_existing: bool,
    limits: Option<BulkLimits>,
) -> Result<bulk::BulkOptions> {
    let mut l = bulk::BulkLimits::default();
    if let Some(x) = limits {
        if let Some(n) = x.max_rows {
            l.max_rows = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(n) = x.max_value_chars {
            l.max_value_chars = usize::try_from(n).unwrap_or(usize::MAX);
        }
    }
    Ok(bulk::BulkOptions::new(template.to_core()?)
        .limits(l)
        .skip_existing(skip_existing))
}

/// A row of a bulk file that is (to be) requested.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BulkRow {
    /// The line it starts on (1 is the header row).
    pub line: u64,
    /// The address.
    pub email: String,
    /// The common name.
    pub common_name: String,
}

impl From<&PlannedRow> for BulkRow {
    fn from(p: &PlannedRow) -> Self {
        BulkRow {
            line: p.line,
            email: p.options.get_email().to_string(),
            common_name: p.options.get_common_name().to_string(),
        }
    }
}

/// A row of a bulk file that is not requested, and why.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct BulkNote {
    /// The line it starts on.
    pub line: u64,
    /// The address as written.
    pub email: String,
    /// Why.
    pub message: String,
}

impl From<&RowNote> for BulkNote {
    fn from(n: &RowNote) -> Self {
        BulkNote {
            line: n.line,
            email: n.email.clone(),
            message: n.message.clone(),
        }
    }
}

/// What `bulk_preview` found; nothing was changed.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BulkPlan {
    /// The rows to request.
    pub rows: Vec<BulkRow>,
    /// Rows whose address already has a valid signing certificate.
    pub skipped: Vec<BulkNote>,
    /// The row errors.
    pub errors: Vec<BulkNote>,
    /// Header columns that are not used.
    pub ignored_columns: Vec<String>,
}

impl From<&Plan> for BulkPlan {
    fn from(p: &Plan) -> Self {
        BulkPlan {
            rows: p.rows().iter().map(Into::into).collect(),
            skipped: p.skipped().iter().map(Into::into).collect(),
            errors: p.errors().iter().map(Into::into).collect(),
            ignored_columns: p.ignored_columns().to_vec(),
        }
    }
}

/// A row `bulk_run` issued.
#[derive(Debug, Clone, uniffi::Record)]
pub struct BulkIssued {
    /// Its line.
    pub line: u64,
    /// What its request came to.
    pub result: RequestResult,
}

/// What `bulk_run` did (it stops at the first failure).
#[derive(Debug, Clone, uniffi::Record)]
pub struct BulkReport {
    /// The rows issued.
    pub issued: Vec<BulkIssued>,
    /// The row that failed, with the error.
    pub failed: Option<BulkNote>,
    /// The failed row and those after it.
    pub not_issued: Vec<BulkRow>,
    /// Whether every planned row was issued.
    pub is_complete: bool,
}

impl From<&CoreReport> for BulkReport {
    fn from(r: &CoreReport) -> Self {
        BulkReport {
            issued: r
                .issued()
                .iter()
                .map(|i| BulkIssued {
                    line: i.line,
                    result: (&i.result).into(),
                })
                .collect(),
            failed: r.failed().map(Into::into),
            not_issued: r.not_issued().iter().map(Into::into).collect(),
            is_complete: r.is_complete(),
        }
    }
}

/// What `import_key` attached.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct KeyImport {
    /// The key's id (hex).
    pub key_id: String,
    /// Thumbprints of the stored certificates it belongs to.
    pub certificates: Vec<String>,
    /// Whether the key was not stored before.
    pub newly_stored: bool,
}

/// How the passphrase of an exported private key is stretched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum KeyDerivation {
    /// scrypt (the default).
    Scrypt,
    /// PBKDF2-HMAC-SHA256, 600,000 iterations.
    Pbkdf2Sha256,
}
