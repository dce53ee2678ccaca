//! `hermes_pki.Pki`: the facade over one store. Each method converts its arguments, runs the
//! core's call with the GIL released, and converts the answer.

use std::path::PathBuf;
use std::time::Duration;

use hermes_pki::bundle;
use hermes_pki::ca::{
    CaConfig, CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Revocation,
};
use hermes_pki::cert::Certificate as CoreCert;
use hermes_pki::crl::{RefreshOptions, RevocationReason, UrlOutcome};
use hermes_pki::key::{HashAlg, KeyId, KeySpec, PbeKdf};
use hermes_pki::lifecycle;
use hermes_pki::pkcs12::Pkcs12Options;
use hermes_pki::pki::{OpenOptions, ProtectOptions};
use hermes_pki::request::bulk::{self, BulkLimits, BulkOptions};
use hermes_pki::request::{CsrPolicy, RequestId, RequestOptions, RequestStatus, Requests};
use hermes_pki::select;
use hermes_pki::settings::SettingKey;
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, SignOptions, SignatureForm,
};
use hermes_pki::store::{
    CaId, CertificateFilter, CrlId, CtlEntry, CtlStatus, DomainName, EmailAddress, MasterKeySource,
    MemoryStore, SettingScope, Store, StoreExt,
};
use hermes_pki::trust::{LeafPolicy, ServerName};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyType};

use crate::cert::{Certificate, problems};
use crate::convert::{
    OrRaise, at_or_now, bytes, cert, certs, clock, enum_value, invalid, record, serial, thumbprint,
    thumbprints,
};
use crate::results;

type Obj<'py> = Bound<'py, PyAny>;

/// The facade over one store: CAs, certificates, trust, CRLs, users, domains, settings,
/// selection, PKCS#12, and the gateway's two operations (`protect`, `open_message`).
///
/// Every call releases the GIL while the core works, so other Python threads run meanwhile.
#[pyclass(frozen, module = "hermes_pki", name = "Pki")]
pub struct Pki {
    inner: hermes_pki::pki::Pki,
    config: CaConfig,
}

fn key_spec(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<KeySpec> {
    Ok(match enum_value(obj, "KeyType")?.as_str() {
        "rsa-2048" => KeySpec::Rsa(2048),
        "rsa-3072" => KeySpec::Rsa(3072),
        "rsa-4096" => KeySpec::Rsa(4096),
        "ec-p256" => KeySpec::EcP256,
        "ec-p384" => KeySpec::EcP384,
        "ed25519" => KeySpec::Ed25519,
        other => return Err(invalid(py, format!("unknown key type {other:?}"))),
    })
}

fn hash_alg(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<HashAlg> {
    Ok(match enum_value(obj, "HashAlgorithm")?.as_str() {
        "sha1" => HashAlg::Sha1,
        "sha256" => HashAlg::Sha256,
        "sha384" => HashAlg::Sha384,
        "sha512" => HashAlg::Sha512,
        other => return Err(invalid(py, format!("unknown hash {other:?}"))),
    })
}

fn signature_form(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<SignatureForm> {
    Ok(match enum_value(obj, "SignatureForm")?.as_str() {
        "detached" => SignatureForm::Detached,
        "opaque" => SignatureForm::Opaque,
        other => return Err(invalid(py, format!("unknown signature form {other:?}"))),
    })
}

fn content_cipher(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<ContentCipher> {
    Ok(match enum_value(obj, "ContentCipher")?.as_str() {
        "aes128-cbc" => ContentCipher::Aes128Cbc,
        "aes256-cbc" => ContentCipher::Aes256Cbc,
        "aes128-gcm" => ContentCipher::Aes128Gcm,
        "aes256-gcm" => ContentCipher::Aes256Gcm,
        other => return Err(invalid(py, format!("unknown cipher {other:?}"))),
    })
}

fn revocation_reason(py: Python<'_>, obj: &Bound<'_, PyAny>) -> PyResult<RevocationReason> {
    let name = enum_value(obj, "RevocationReason")?;
    (0..=10)
        .filter_map(RevocationReason::from_code)
        .find(|r| r.name() == name)
        .ok_or_else(|| invalid(py, format!("unknown revocation reason {name:?}")))
}

fn leaf_policy(
    py: Python<'_>,
    usage: &Bound<'_, PyAny>,
    server_name: Option<&str>,
) -> PyResult<LeafPolicy> {
    let usage = enum_value(usage, "Usage")?;
    if usage != "tls-server" && server_name.is_some() {
        return Err(invalid(py, "server_name is only for Usage.TLS_SERVER"));
    }
    Ok(match usage.as_str() {
        "smime-signing" => LeafPolicy::SmimeSigning,
        "smime-encryption" => LeafPolicy::SmimeEncryption,
        "any" => LeafPolicy::Any,
        "tls-server" => {
            let name =
                server_name.ok_or_else(|| invalid(py, "Usage.TLS_SERVER needs a server_name"))?;
            LeafPolicy::TlsServer(match name.parse() {
                Ok(ip) => ServerName::Ip(ip),
                Err(_) => ServerName::Dns(name.to_string()),
            })
        }
        other => return Err(invalid(py, format!("unknown usage {other:?}"))),
    })
}

fn email(py: Python<'_>, addr: &str) -> PyResult<EmailAddress> {
    EmailAddress::new(addr).or_raise(py)
}

fn domain(py: Python<'_>, name: &str) -> PyResult<DomainName> {
    DomainName::new(name).or_raise(py)
}

/// The scope of a setting: a user, a domain, or (neither given) global.
fn scope(py: Python<'_>, user: Option<&str>, domain: Option<&str>) -> PyResult<SettingScope> {
    match (user, domain) {
        (None, None) => Ok(SettingScope::Global),
        (Some(u), None) => SettingScope::user(u).or_raise(py),
        (None, Some(d)) => SettingScope::domain(d).or_raise(py),
        (Some(_), Some(_)) => Err(invalid(py, "give user or domain, not both")),
    }
}

fn setting_key(py: Python<'_>, key: &str) -> PyResult<SettingKey> {
    key.parse::<SettingKey>().or_raise(py)
}

fn core_certs(list: &[Bound<'_, Certificate>]) -> Vec<CoreCert> {
    list.iter().map(|c| c.get().inner.clone()).collect()
}

/// A request id from a Python `int` (`InvalidArgumentError` for 0).
fn request_id(py: Python<'_>, id: u64) -> PyResult<RequestId> {
    RequestId::new(id).or_raise(py)
}

/// A request handler's name: a `RequestHandler` or a `str`.
fn handler_name(obj: &Bound<'_, PyAny>) -> PyResult<String> {
    match obj.extract::<String>() {
        Ok(s) => Ok(s),
        Err(_) => enum_value(obj, "RequestHandler"),
    }
}

/// The bulk options: `template` for every row, the limits (the core's defaults where not
/// given), and whether addresses with a valid signing certificate are skipped.
fn bulk_options(
    template: RequestOptions,
    skip_existing: bool,
    max_rows: Option<usize>,
    max_value_chars: Option<usize>,
) -> BulkOptions {
    let mut limits = BulkLimits::default();
    if let Some(n) = max_rows {
        limits.max_rows = n;
    }
    if let Some(n) = max_value_chars {
        limits.max_value_chars = n;
    }
    BulkOptions::new(template)
        .limits(limits)
        .skip_existing(skip_existing)
}

impl Pki {
    fn ca(&self) -> CertificateAuthority<'_, dyn Store + '_> {
        CertificateAuthority::with_config(self.inner.store(), self.config)
    }

    fn store(&self) -> &dyn Store {
        self.inner.store()
    }

    /// The id of the CA named by `ca`: its id (`int`) or its name (`str`, case-insensitive).
    fn ca_id(&self, ca: &Bound<'_, PyAny>) -> PyResult<CaId> {
        let py = ca.py();
        let key: String = if let Ok(n) = ca.extract::<u64>() {
            n.to_string()
        } else if let Ok(s) = ca.extract::<String>() {
            s
        } else {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "a CA is named by its id (int) or its name (str)",
            ));
        };
        let found = py.detach(|| self.ca().find(&key));
        Ok(found.or_raise(py)?.id)
    }

    /// The request operations over the store (no external handler), with the From address
    /// of delivery messages.
    fn requests(&self, from: Option<&str>) -> Requests<'_, dyn Store + '_> {
        let r = Requests::new(self.inner.store());
        match from {
            Some(f) => r.delivery_from(f),
            None => r,
        }
    }

    /// `base` with the request options given as keyword arguments.
    #[allow(clippy::too_many_arguments)]
    fn request_options(
        &self,
        base: RequestOptions,
        handler: Option<&Bound<'_, PyAny>>,
        organization: Option<String>,
        days: u32,
        key: Option<&Bound<'_, PyAny>>,
        hash: Option<&Bound<'_, PyAny>>,
        crl_distribution_point: Option<String>,
        ca: Option<&Bound<'_, PyAny>>,
        create_user: bool,
        deliver_pkcs12: Option<usize>,
        store_password: bool,
    ) -> PyResult<RequestOptions> {
        let mut o = base
            .days(days)
            .create_user(create_user)
            .store_password(store_password);
        if let Some(h) = handler {
            o = o.handler(handler_name(h)?);
        }
        if let Some(v) = organization {
            o = o.organization(v);
        }
        if let Some(k) = key {
            o = o.key(key_spec(k.py(), k)?);
        }
        if let Some(h) = hash {
            o = o.hash(hash_alg(h.py(), h)?);
        }
        if let Some(u) = crl_distribution_point {
            o = o.crl_distribution_point(u);
        }
        if let Some(c) = ca {
            o = o.ca(self.ca_id(c)?);
        }
        if let Some(n) = deliver_pkcs12 {
            o = o.deliver_pkcs12(n);
        }
        Ok(o)
    }
}

#[pymethods]
impl Pki {
    /// Opens (creating if needed) the SQLite store in the directory `path` (`hermes.db` and
    /// its `master.key`). `allow_ca_key_export` enables `export_ca_key` (off: a CA key that
    /// leaves the store can mint certificates every correspondent trusts).
    ///
    /// `path` may instead be a `postgres://user:password@host:port/db` URL: the PostgreSQL
    /// store shared by several gateway nodes. Its master key file is `master_key_file`, or
    /// else the file named by the environment variable `HERMES_PKI_MASTER_KEY_FILE` (the same
    /// file on every node; created when missing). `master_key_file` also replaces the
    /// `master.key` of a directory store.
    #[classmethod]
    #[pyo3(signature = (path, *, master_key_file = None, allow_ca_key_export = false))]
    fn open(
        _cls: &Bound<'_, PyType>,
        py: Python<'_>,
        path: PathBuf,
        master_key_file: Option<PathBuf>,
        allow_ca_key_export: bool,
    ) -> PyResult<Self> {
        let inner = py
            .detach(|| match master_key_file {
                Some(f) => hermes_pki::pki::Pki::open_with(&path, MasterKeySource::key_file(f)),
                None => hermes_pki::pki::Pki::open(&path),
            })
            .or_raise(py)?;
        Ok(Pki {
            inner,
            config: CaConfig::new().allow_key_export(allow_ca_key_export),
        })
    }

    /// A store in memory only (for tests and short-lived tools): gone when the object is.
    #[classmethod]
    #[pyo3(signature = (*, allow_ca_key_export = false))]
    fn in_memory(_cls: &Bound<'_, PyType>, allow_ca_key_export: bool) -> Self {
        Pki {
            inner: hermes_pki::pki::Pki::new(MemoryStore::new()),
            config: CaConfig::new().allow_key_export(allow_ca_key_export),
        }
    }

    // --- certificate authorities -------------------------------------------------------

    /// Creates a root CA, and an issuing intermediate under it when `intermediate` (its common
    /// name) is given.
    #[pyo3(signature = (common_name, *, organization = None, organizational_unit = None,
        locality = None, state = None, country = None, email = None, key = None, years = 5,
        hash = None, intermediate = None, make_default = false, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_ca<'py>(
        &self,
        py: Python<'py>,
        common_name: String,
        organization: Option<String>,
        organizational_unit: Option<String>,
        locality: Option<String>,
        state: Option<String>,
        country: Option<String>,
        email: Option<String>,
        key: Option<Bound<'py, PyAny>>,
        years: u32,
        hash: Option<Bound<'py, PyAny>>,
        intermediate: Option<String>,
        make_default: bool,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let mut name = DistinguishedName::new(common_name);
        if let Some(v) = organization {
            name = name.organization(v);
        }
        if let Some(v) = organizational_unit {
            name = name.organizational_unit(v);
        }
        if let Some(v) = locality {
            name = name.locality(v);
        }
        if let Some(v) = state {
            name = name.state(v);
        }
        if let Some(v) = country {
            name = name.country(v);
        }
        if let Some(v) = email {
            name = name.email(v);
        }
        let mut spec = CaSpec::new(name).years(years).make_default(make_default);
        if let Some(k) = &key {
            spec = spec.key(key_spec(py, k)?);
        }
        if let Some(h) = &hash {
            spec = spec.hash(hash_alg(py, h)?);
        }
        if let Some(i) = intermediate {
            spec = spec.intermediate(DistinguishedName::new(i));
        }
        let clock = clock(at.as_ref())?;
        let created = py.detach(|| self.ca().create(&spec, &clock)).or_raise(py)?;
        let intermediate_cert = match created.intermediate() {
            Some(_) => Some(cert(py, created.issuing_certificate())?),
            None => None,
        };
        record!(py, "CreatedCa" {
            root: results::ca_info(py, created.root())?,
            root_certificate: cert(py, created.root_certificate())?,
            intermediate: created.intermediate().map(|r| results::ca_info(py, r)).transpose()?,
            intermediate_certificate: intermediate_cert,
            issuing: results::ca_info(py, created.issuing())?,
        })
    }

    /// Imports a CA: its certificate (PEM/DER/PKCS#7, the CA among them) and private key
    /// (PEM or DER, PKCS#8 or PKCS#1; `password` for an encrypted one).
    #[pyo3(signature = (certificate, key, *, password = None, make_default = false, at = None))]
    fn import_ca<'py>(
        &self,
        py: Python<'py>,
        certificate: &[u8],
        key: &[u8],
        password: Option<&[u8]>,
        make_default: bool,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| {
                self.ca()
                    .import(certificate, key, password, make_default, &clock)
            })
            .or_raise(py)?;
        results::ca_info(py, &r)
    }

    /// Every CA, in id order.
    fn list_cas<'py>(&self, py: Python<'py>) -> PyResult<Vec<Obj<'py>>> {
        let all = py.detach(|| self.ca().list()).or_raise(py)?;
        all.iter().map(|r| results::ca_info(py, r)).collect()
    }

    /// The CA with this id (`int`) or name (`str`); `NotFoundError` when there is none.
    fn get_ca<'py>(&self, py: Python<'py>, ca: &Bound<'py, PyAny>) -> PyResult<Obj<'py>> {
        let id = self.ca_id(ca)?;
        let r = py.detach(|| self.ca().get(id)).or_raise(py)?;
        results::ca_info(py, &r)
    }

    /// The default CA, or None when the store has no CA.
    fn default_ca<'py>(&self, py: Python<'py>) -> PyResult<Option<Obj<'py>>> {
        let r = py.detach(|| self.ca().default_ca()).or_raise(py)?;
        r.map(|r| results::ca_info(py, &r)).transpose()
    }

    /// Makes the CA the default one.
    fn set_default_ca(&self, py: Python<'_>, ca: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = self.ca_id(ca)?;
        py.detach(|| self.ca().set_default(id)).or_raise(py)
    }

    /// Renews a CA in place (same key and subject, new validity); returns its new certificate.
    #[pyo3(signature = (ca, *, at = None))]
    fn renew_ca<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, Certificate>> {
        let id = self.ca_id(ca)?;
        let clock = clock(at.as_ref())?;
        let c = py.detach(|| self.ca().renew(id, &clock)).or_raise(py)?;
        cert(py, &c)
    }

    /// Deletes a CA with its key and trust entries (refused while it has issued certificates
    /// on record or a CA under it).
    fn delete_ca(&self, py: Python<'_>, ca: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = self.ca_id(ca)?;
        py.detach(|| self.ca().delete(id)).or_raise(py)
    }

    /// The CA's current certificate (export it with `.der` or `.to_pem()`).
    fn ca_certificate<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Certificate>> {
        let id = self.ca_id(ca)?;
        let c = py.detach(|| self.ca().certificate(id)).or_raise(py)?;
        cert(py, &c)
    }

    /// The CA's certificate followed by those of the CAs above it in this store.
    fn ca_chain<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Bound<'py, Certificate>>> {
        let id = self.ca_id(ca)?;
        let chain = py.detach(|| self.ca().chain(id)).or_raise(py)?;
        certs(py, &chain)
    }

    /// The CA's private key as PKCS#8 PEM (encrypted with scrypt when `password` is given).
    /// `NotPermittedError` unless the store was opened with `allow_ca_key_export=True`.
    #[pyo3(signature = (ca, *, password = None))]
    fn export_ca_key<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
        password: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let id = self.ca_id(ca)?;
        let pem = py
            .detach(|| {
                let key = self.ca().export_key(id)?;
                match password {
                    Some(p) => key.to_encrypted_pkcs8_pem(p, PbeKdf::Scrypt),
                    None => key.to_pkcs8_pem().map(|s| s.to_string()),
                }
            })
            .or_raise(py)?;
        Ok(bytes(py, pem.as_bytes()))
    }

    /// The records of the certificates the CA issued.
    fn issued_certificates<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let id = self.ca_id(ca)?;
        let all = py.detach(|| self.ca().issued(id)).or_raise(py)?;
        all.iter().map(|r| results::issued_info(py, r)).collect()
    }

    /// Issues an S/MIME certificate for `email` with a new key (stored, sealed), from `ca` or
    /// the default CA.
    #[pyo3(signature = (email, common_name, *, organization = None, given_name = None,
        surname = None, days = 365, key = None, hash = None, crl_distribution_point = None,
        ca = None, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn issue<'py>(
        &self,
        py: Python<'py>,
        email: String,
        common_name: String,
        organization: Option<String>,
        given_name: Option<String>,
        surname: Option<String>,
        days: u32,
        key: Option<Bound<'py, PyAny>>,
        hash: Option<Bound<'py, PyAny>>,
        crl_distribution_point: Option<String>,
        ca: Option<Bound<'py, PyAny>>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let mut spec = IssueSpec::new(email, common_name).days(days);
        if let Some(v) = organization {
            spec = spec.organization(v);
        }
        if let Some(v) = given_name {
            spec = spec.given_name(v);
        }
        if let Some(v) = surname {
            spec = spec.surname(v);
        }
        if let Some(k) = &key {
            spec = spec.key(key_spec(py, k)?);
        }
        if let Some(h) = &hash {
            spec = spec.hash(hash_alg(py, h)?);
        }
        if let Some(u) = crl_distribution_point {
            spec = spec.crl_distribution_point(u);
        }
        if let Some(c) = &ca {
            spec = spec.ca(self.ca_id(c)?);
        }
        let clock = clock(at.as_ref())?;
        let issued = py.detach(|| self.ca().issue(&spec, &clock)).or_raise(py)?;
        record!(py, "Issued" {
            certificate: cert(py, issued.certificate())?,
            chain: certs(py, issued.chain())?,
            record: results::issued_info(py, issued.record())?,
        })
    }

    // --- certificates --------------------------------------------------------------------

    /// Imports every certificate in `data` (PEM, DER, PKCS#7; several at once) in one
    /// transaction; what could not be read is in the report's `problems`.
    fn import_certificates<'py>(&self, py: Python<'py>, data: &[u8]) -> PyResult<Obj<'py>> {
        let report = py
            .detach(|| self.inner.import_certificates(data))
            .or_raise(py)?;
        record!(py, "ImportReport" {
            certificates: certs(py, &report.certificates)?,
            problems: problems(&report.problems),
        })
    }

    /// The stored certificates, with the filters of an admin screen: an email address,
    /// expired or unexpired at a time, with or without their private key, and paging
    /// (thumbprint order).
    #[pyo3(signature = (*, email = None, expired_at = None, unexpired_at = None,
        with_key = None, offset = 0, limit = None))]
    #[allow(clippy::too_many_arguments)]
    fn list_certificates<'py>(
        &self,
        py: Python<'py>,
        email: Option<String>,
        expired_at: Option<Bound<'py, PyAny>>,
        unexpired_at: Option<Bound<'py, PyAny>>,
        with_key: Option<bool>,
        offset: u64,
        limit: Option<u64>,
    ) -> PyResult<Vec<Bound<'py, Certificate>>> {
        let mut filter = CertificateFilter::new().offset(offset);
        if let Some(e) = email {
            filter = filter.email(e);
        }
        match (&expired_at, &unexpired_at) {
            (Some(_), Some(_)) => {
                return Err(invalid(py, "give expired_at or unexpired_at, not both"));
            }
            (Some(t), None) => filter = filter.expired_at(crate::convert::system_time(t)?),
            (None, Some(t)) => filter = filter.unexpired_at(crate::convert::system_time(t)?),
            (None, None) => {}
        }
        if let Some(k) = with_key {
            filter = filter.with_key(k);
        }
        if let Some(l) = limit {
            filter = filter.limit(l);
        }
        let found = py
            .detach(|| {
                self.store()
                    .read_transaction(|tx| tx.list_certificates(&filter))
            })
            .or_raise(py)?;
        certs(py, &found)
    }

    /// The stored certificate with this SHA-512 thumbprint; `NotFoundError` when not stored.
    fn get_certificate<'py>(
        &self,
        py: Python<'py>,
        thumbprint: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, Certificate>> {
        let t = crate::convert::thumbprint(thumbprint)?;
        let found = py
            .detach(|| {
                self.store().read_transaction(|tx| {
                    tx.certificate(&t)?.ok_or_else(|| {
                        hermes_pki::Error::NotFound(format!("no certificate {}", t.to_hex()))
                    })
                })
            })
            .or_raise(py)?;
        cert(py, &found)
    }

    /// A stored certificate with what the store knows about it (its key, trust anchor, trust
    /// list entry); `NotFoundError` when not stored.
    fn show_certificate<'py>(
        &self,
        py: Python<'py>,
        thumbprint: &Bound<'py, PyAny>,
    ) -> PyResult<Obj<'py>> {
        let t = crate::convert::thumbprint(thumbprint)?;
        let (c, has_key, is_root, entry) = py
            .detach(|| {
                self.store().read_transaction(|tx| {
                    let c = tx.certificate(&t)?.ok_or_else(|| {
                        hermes_pki::Error::NotFound(format!("no certificate {}", t.to_hex()))
                    })?;
                    let has_key = tx.has_key(&KeyId::of_public_key_der(c.public_key_der()))?;
                    Ok((c, has_key, tx.is_root(&t)?, tx.ctl_entry(&t)?))
                })
            })
            .or_raise(py)?;
        record!(py, "CertificateDetails" {
            certificate: cert(py, &c)?,
            has_private_key: has_key,
            is_trust_anchor: is_root,
            trust_list_entry: entry.map(|e| results::ctl_entry(py, &e)).transpose()?,
        })
    }

    /// Validates `certificate` for `usage` at `at` (now) over the store: trust anchors, the
    /// trust list, CRLs and the `revocation` setting; `intermediates` help build the chain.
    /// A certificate that is not valid is a `Validation` with `is_valid` False and its
    /// reasons, not an exception.
    #[pyo3(signature = (certificate, *, usage = None, at = None, intermediates = Vec::new(),
        server_name = None))]
    fn validate<'py>(
        &self,
        py: Python<'py>,
        certificate: Bound<'py, Certificate>,
        usage: Option<Bound<'py, PyAny>>,
        at: Option<Bound<'py, PyAny>>,
        intermediates: Vec<Bound<'py, Certificate>>,
        server_name: Option<&str>,
    ) -> PyResult<Obj<'py>> {
        let leaf = match &usage {
            Some(u) => leaf_policy(py, u, server_name)?,
            None if server_name.is_some() => {
                return Err(invalid(py, "server_name is only for Usage.TLS_SERVER"));
            }
            None => LeafPolicy::SmimeSigning,
        };
        let when = at_or_now(at.as_ref())?;
        let extra = core_certs(&intermediates);
        let c = &certificate.get().inner;
        let v = py
            .detach(|| self.inner.validate(c, leaf, when, &extra))
            .or_raise(py)?;
        results::validation(py, &v)
    }

    // --- trust ---------------------------------------------------------------------------

    /// Makes a CA certificate (or a version 1 self-signed root) a trust anchor; `NotCaError`
    /// for any other certificate.
    fn add_trust_anchor(
        &self,
        py: Python<'_>,
        certificate: Bound<'_, Certificate>,
    ) -> PyResult<()> {
        let c = &certificate.get().inner;
        py.detach(|| self.inner.add_trust_anchor(c)).or_raise(py)
    }

    /// Every trust anchor, in thumbprint order.
    fn trust_anchors<'py>(&self, py: Python<'py>) -> PyResult<Vec<Bound<'py, Certificate>>> {
        let roots = py
            .detach(|| self.store().read_transaction(|tx| tx.roots()))
            .or_raise(py)?;
        certs(py, &roots)
    }

    /// Puts a certificate (a `Certificate` or its SHA-512 thumbprint) on the trust list,
    /// replacing its entry.
    #[pyo3(signature = (certificate, status, *, allow_expired = false))]
    fn set_trust_list_entry(
        &self,
        py: Python<'_>,
        certificate: &Bound<'_, PyAny>,
        status: &Bound<'_, PyAny>,
        allow_expired: bool,
    ) -> PyResult<()> {
        let t = thumbprint(certificate)?;
        let status = match enum_value(status, "TrustStatus")?.as_str() {
            "whitelisted" => CtlStatus::Whitelisted,
            "blacklisted" => CtlStatus::Blacklisted,
            other => return Err(invalid(py, format!("unknown trust status {other:?}"))),
        };
        if allow_expired && status == CtlStatus::Blacklisted {
            return Err(invalid(py, "allow_expired is for whitelisted certificates"));
        }
        let entry = CtlEntry {
            thumbprint: t,
            status,
            allow_expired,
        };
        py.detach(|| self.inner.set_trust_list_entry(&entry))
            .or_raise(py)
    }

    /// Removes a certificate's trust list entry; False when it had none.
    fn remove_trust_list_entry(
        &self,
        py: Python<'_>,
        certificate: &Bound<'_, PyAny>,
    ) -> PyResult<bool> {
        let t = thumbprint(certificate)?;
        py.detach(|| self.inner.remove_trust_list_entry(&t))
            .or_raise(py)
    }

    /// The trust list, in thumbprint order.
    fn trust_list<'py>(&self, py: Python<'py>) -> PyResult<Vec<Obj<'py>>> {
        let all = py.detach(|| self.inner.trust_list()).or_raise(py)?;
        all.iter().map(|e| results::ctl_entry(py, e)).collect()
    }

    // --- CRLs ----------------------------------------------------------------------------

    /// Makes, signs and stores the next CRL of a CA of the store. `revoke`: serial numbers
    /// (`int`) or certificates the CA issued, all with `reason`. By default everything the
    /// CA's current CRL revokes is carried forward (`only_these=True`: only these).
    #[pyo3(signature = (ca, *, revoke = Vec::new(), reason = None, next_update_days = 7,
        hash = None, only_these = false, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_crl<'py>(
        &self,
        py: Python<'py>,
        ca: &Bound<'py, PyAny>,
        revoke: Vec<Bound<'py, PyAny>>,
        reason: Option<Bound<'py, PyAny>>,
        next_update_days: u32,
        hash: Option<Bound<'py, PyAny>>,
        only_these: bool,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = self.ca_id(ca)?;
        let reason = reason.map(|r| revocation_reason(py, &r)).transpose()?;
        let mut spec = CrlSpec::new(id)
            .next_update_days(next_update_days)
            .only_these(only_these);
        for r in &revoke {
            let mut entry = Revocation::new(serial(r)?);
            if let Some(why) = reason {
                entry = entry.reason(why);
            }
            spec = spec.revocation(entry);
        }
        if let Some(h) = &hash {
            spec = spec.hash(hash_alg(py, h)?);
        }
        let clock = clock(at.as_ref())?;
        let (crl_id, number, der, pem) = py
            .detach(|| {
                let c = self.ca().create_crl(&spec, &clock)?;
                Ok::<_, hermes_pki::Error>((
                    c.id().get(),
                    c.number(),
                    c.der().to_vec(),
                    c.to_pem()?,
                ))
            })
            .or_raise(py)?;
        record!(py, "CreatedCrl" {
            id: crl_id,
            number: number,
            der: bytes(py, &der),
            pem: pem,
        })
    }

    /// Imports every CRL in `data` (DER or PEM, one or many); each is checked and stored as
    /// its `CrlImport` says. `ParseError` when no CRL can be read at all (nothing stored).
    #[pyo3(signature = (data, *, source = None, at = None))]
    fn import_crls<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        source: Option<&str>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let clock = clock(at.as_ref())?;
        let all = py
            .detach(|| self.inner.crls().import(data, source, &clock))
            .or_raise(py)?;
        all.iter().map(|i| results::crl_import(py, i)).collect()
    }

    /// Every stored CRL (valid and invalid), by id.
    fn list_crls<'py>(&self, py: Python<'py>) -> PyResult<Vec<Obj<'py>>> {
        let all = py.detach(|| self.inner.crls().list()).or_raise(py)?;
        all.iter().map(|r| results::crl_info(py, r)).collect()
    }

    /// A stored CRL, DER.
    fn crl_der<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyBytes>> {
        let id = CrlId::new(id).or_raise(py)?;
        let der = py.detach(|| self.inner.crls().der(id)).or_raise(py)?;
        Ok(bytes(py, &der))
    }

    /// Deletes a stored CRL.
    fn delete_crl(&self, py: Python<'_>, id: u64) -> PyResult<()> {
        let id = CrlId::new(id).or_raise(py)?;
        py.detach(|| self.inner.crls().delete(id)).or_raise(py)
    }

    /// Every HTTP(S) CRL distribution point of the stored certificates, sorted.
    fn crl_distribution_points(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        py.detach(|| self.inner.crls().distribution_points())
            .or_raise(py)
    }

    /// Fetches the CRL of every distribution point that is due (or all with `force`) over
    /// HTTP and imports it; a failed fetch keeps the stored CRL and is in the report.
    #[pyo3(signature = (*, force = false, interval = None, timeout = None, at = None))]
    fn refresh_crls<'py>(
        &self,
        py: Python<'py>,
        force: bool,
        interval: Option<Duration>,
        timeout: Option<Duration>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let mut options = RefreshOptions::new().force(force);
        if let Some(i) = interval {
            options = options.interval(i);
        }
        // Private addresses only when the gateway setting crl-fetch-allow-private is on.
        let mut fetcher = self.inner.crl_fetcher().or_raise(py)?;
        if let Some(t) = timeout {
            fetcher = fetcher.timeout(t).connect_timeout(t);
        }
        let clock = clock(at.as_ref())?;
        let report = py
            .detach(|| self.inner.crls().refresh(&fetcher, &options, &clock))
            .or_raise(py)?;
        report
            .urls
            .iter()
            .map(|u| {
                let (outcome, due, imports, err) = match &u.outcome {
                    UrlOutcome::NotDue { due } => ("not-due", Some(*due), Vec::new(), None),
                    UrlOutcome::Imported(all) => (
                        "imported",
                        None,
                        all.iter()
                            .map(|i| results::crl_import(py, i))
                            .collect::<PyResult<Vec<_>>>()?,
                        None,
                    ),
                    UrlOutcome::FetchFailed(e) => {
                        ("fetch-failed", None, Vec::new(), Some(e.to_string()))
                    }
                    UrlOutcome::Unreadable(e) => ("unreadable", None, Vec::new(), Some(e.clone())),
                };
                record!(py, "CrlRefresh" {
                    url: &u.url,
                    outcome: crate::convert::member(py, "RefreshOutcome", outcome)?,
                    due: crate::convert::opt_datetime(py, due)?,
                    imports: imports,
                    error: err,
                })
            })
            .collect()
    }

    // --- users, domains, settings ------------------------------------------------------

    /// Adds a user; False when it was already stored.
    fn add_user(&self, py: Python<'_>, email: &str) -> PyResult<bool> {
        let u = crate::pki::email(py, email)?;
        py.detach(|| self.inner.settings().add_user(&u))
            .or_raise(py)
    }

    /// Removes a user with its settings and selections; False when it was not stored.
    fn remove_user(&self, py: Python<'_>, email: &str) -> PyResult<bool> {
        let u = crate::pki::email(py, email)?;
        py.detach(|| self.inner.settings().remove_user(&u))
            .or_raise(py)
    }

    /// Every user (normalised addresses, sorted).
    fn users(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let all = py.detach(|| self.inner.settings().users()).or_raise(py)?;
        Ok(all.iter().map(|u| u.as_str().to_string()).collect())
    }

    /// Adds a domain; False when it was already stored.
    fn add_domain(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        let d = domain(py, name)?;
        py.detach(|| self.inner.settings().add_domain(&d))
            .or_raise(py)
    }

    /// Removes a domain with its settings (not its users); False when it was not stored.
    fn remove_domain(&self, py: Python<'_>, name: &str) -> PyResult<bool> {
        let d = domain(py, name)?;
        py.detach(|| self.inner.settings().remove_domain(&d))
            .or_raise(py)
    }

    /// Every domain, sorted.
    fn domains(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        let all = py.detach(|| self.inner.settings().domains()).or_raise(py)?;
        Ok(all.iter().map(|d| d.as_str().to_string()).collect())
    }

    /// Sets a setting (`sign`, `encrypt`, `cipher`, ...) from its text form, for a user, a
    /// domain or (neither) globally; the user or domain is added when new.
    #[pyo3(signature = (key, value, *, user = None, domain = None))]
    fn set_setting(
        &self,
        py: Python<'_>,
        key: &str,
        value: &str,
        user: Option<&str>,
        domain: Option<&str>,
    ) -> PyResult<()> {
        let scope = scope(py, user, domain)?;
        let key = setting_key(py, key)?;
        py.detach(|| self.inner.settings().set_text(&scope, key, value))
            .or_raise(py)?;
        Ok(())
    }

    /// Removes a setting's value at a scope; False when there was none.
    #[pyo3(signature = (key, *, user = None, domain = None))]
    fn unset_setting(
        &self,
        py: Python<'_>,
        key: &str,
        user: Option<&str>,
        domain: Option<&str>,
    ) -> PyResult<bool> {
        let scope = scope(py, user, domain)?;
        let key = setting_key(py, key)?;
        py.detach(|| self.inner.settings().unset(&scope, key))
            .or_raise(py)
    }

    /// The effective value of a setting for a user, a domain or globally, and where it came
    /// from (user → domain → global → default).
    #[pyo3(signature = (key, *, user = None, domain = None))]
    fn get_setting<'py>(
        &self,
        py: Python<'py>,
        key: &str,
        user: Option<&str>,
        domain: Option<&str>,
    ) -> PyResult<Obj<'py>> {
        let scope = scope(py, user, domain)?;
        let key = setting_key(py, key)?;
        let e = py
            .detach(|| self.inner.settings().effective(&scope, key))
            .or_raise(py)?;
        results::effective(py, &e)
    }

    /// The effective value of every setting for a scope.
    #[pyo3(signature = (*, user = None, domain = None))]
    fn settings<'py>(
        &self,
        py: Python<'py>,
        user: Option<&str>,
        domain: Option<&str>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let scope = scope(py, user, domain)?;
        let all = py
            .detach(|| self.inner.settings().show(&scope))
            .or_raise(py)?;
        all.iter().map(|e| results::effective(py, e)).collect()
    }

    // --- selection -----------------------------------------------------------------------

    /// Chooses encryption certificates for a user by hand (added to the store's user if
    /// needed); returns the thumbprints newly chosen.
    fn select_encryption_certificates(
        &self,
        py: Python<'_>,
        user: &str,
        certificates: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<Vec<String>> {
        let u = crate::pki::email(py, user)?;
        let ts = thumbprints(&certificates)?;
        let added = py
            .detach(|| {
                self.store()
                    .transaction(|tx| select::select_encryption(tx, &u, &ts))
            })
            .or_raise(py)?;
        Ok(added.iter().map(|t| t.to_hex()).collect())
    }

    /// Removes certificates from a user's manually chosen encryption certificates.
    fn deselect_encryption_certificates(
        &self,
        py: Python<'_>,
        user: &str,
        certificates: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let u = crate::pki::email(py, user)?;
        let ts = thumbprints(&certificates)?;
        py.detach(|| {
            self.store()
                .transaction(|tx| select::deselect_encryption(tx, &u, &ts))
        })
        .or_raise(py)
    }

    /// Chooses a user's signing certificate by hand (its key must be stored).
    fn select_signing_certificate(
        &self,
        py: Python<'_>,
        user: &str,
        certificate: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let u = crate::pki::email(py, user)?;
        let t = thumbprint(certificate)?;
        py.detach(|| {
            self.store()
                .transaction(|tx| select::select_signing(tx, &u, &t))
        })
        .or_raise(py)
    }

    /// Back to automatic signing-certificate selection for a user; False when none was chosen.
    fn automatic_signing_certificate(&self, py: Python<'_>, user: &str) -> PyResult<bool> {
        let u = crate::pki::email(py, user)?;
        py.detach(|| {
            self.store()
                .transaction(|tx| select::automatic_signing(tx, &u))
        })
        .or_raise(py)
    }

    /// The certificates a message to `recipient` is encrypted to at `at` (now), and those
    /// considered and left out, with why.
    #[pyo3(signature = (recipient, *, at = None))]
    fn encryption_certificates<'py>(
        &self,
        py: Python<'py>,
        recipient: &str,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let r = crate::pki::email(py, recipient)?;
        let when = at_or_now(at.as_ref())?;
        let s = py
            .detach(|| {
                self.store()
                    .read_transaction(|tx| select::encryption_certificates(tx, &r, when))
            })
            .or_raise(py)?;
        let selected = s
            .selected
            .iter()
            .map(|x| results::selected(py, &x.certificate, x.why))
            .collect::<PyResult<Vec<_>>>()?;
        record!(py, "EncryptionSelection" {
            recipient: s.recipient.as_str(),
            auto_select: s.auto_select,
            selected: selected,
            left_out: results::left_outs(py, &s.left_out)?,
        })
    }

    /// The certificate that signs for `sender` at `at` (now), or None.
    #[pyo3(signature = (sender, *, at = None))]
    fn signing_certificate<'py>(
        &self,
        py: Python<'py>,
        sender: &str,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Option<Obj<'py>>> {
        let s = crate::pki::email(py, sender)?;
        let when = at_or_now(at.as_ref())?;
        let found = py
            .detach(|| {
                self.store()
                    .read_transaction(|tx| select::signing_certificate(tx, &s, when))
            })
            .or_raise(py)?;
        found
            .map(|x| results::selected(py, &x.certificate, x.why))
            .transpose()
    }

    // --- PKCS#12 -------------------------------------------------------------------------

    /// Imports a PKCS#12 file: the certificate, its key (sealed) and the chain (stored, not
    /// trusted), in one transaction.
    fn import_pkcs12<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        password: &str,
    ) -> PyResult<Obj<'py>> {
        let imported = py
            .detach(|| bundle::import_pkcs12(self.store(), data, password))
            .or_raise(py)?;
        record!(py, "Pkcs12Import" {
            certificate: cert(py, imported.certificate())?,
            chain: certs(py, imported.chain())?,
            newly_stored: imported.newly_stored(),
        })
    }

    /// Exports a stored certificate with its stored key and chain as a PKCS#12 file.
    #[pyo3(signature = (certificate, password, *, friendly_name = None, iterations = None,
        legacy = false))]
    fn export_pkcs12<'py>(
        &self,
        py: Python<'py>,
        certificate: &Bound<'py, PyAny>,
        password: &str,
        friendly_name: Option<String>,
        iterations: Option<u32>,
        legacy: bool,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let t = thumbprint(certificate)?;
        let mut options = Pkcs12Options::new().legacy(legacy);
        if let Some(n) = friendly_name {
            options = options.friendly_name(n);
        }
        if let Some(i) = iterations {
            options = options.iterations(i);
        }
        let p12 = py
            .detach(|| bundle::export_pkcs12(self.store(), &t, password, &options))
            .or_raise(py)?;
        Ok(bytes(py, &p12))
    }

    // --- messages ------------------------------------------------------------------------

    /// Signs and/or encrypts `message` from `sender` to `recipients` as their settings say:
    /// one message per group of recipients, and per recipient what was done and why.
    #[pyo3(signature = (message, sender, recipients, *, at = None, form = None))]
    fn protect<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        sender: &str,
        recipients: Vec<String>,
        at: Option<Bound<'py, PyAny>>,
        form: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let mut options = ProtectOptions::new(at_or_now(at.as_ref())?);
        if let Some(f) = &form {
            options = options.form(signature_form(py, f)?);
        }
        let to: Vec<&str> = recipients.iter().map(String::as_str).collect();
        let p = py
            .detach(|| self.inner.protect(message, sender, &to, &options))
            .or_raise(py)?;
        results::protected(py, &p)
    }

    /// Opens an incoming message: decrypts and verifies every S/MIME layer, judging each
    /// signer. Not S/MIME, unreadable and processed are answers (`Opened.kind`), not
    /// exceptions.
    #[pyo3(signature = (message, *, at = None, informational_headers = false))]
    fn open_message<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        at: Option<Bound<'py, PyAny>>,
        informational_headers: bool,
    ) -> PyResult<Obj<'py>> {
        let options =
            OpenOptions::new(at_or_now(at.as_ref())?).informational_headers(informational_headers);
        let o = py
            .detach(|| self.inner.open_message(message, &options))
            .or_raise(py)?;
        results::opened(py, &o)
    }

    /// Signs `message` with `signer`'s stored key (S/MIME; detached by default).
    #[pyo3(signature = (message, signer, *, form = None, hash = None, at = None))]
    fn sign<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        signer: Bound<'py, Certificate>,
        form: Option<Bound<'py, PyAny>>,
        hash: Option<Bound<'py, PyAny>>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let form = match &form {
            Some(f) => signature_form(py, f)?,
            None => SignatureForm::Detached,
        };
        let mut options = SignOptions::new(at_or_now(at.as_ref())?);
        if let Some(h) = &hash {
            options = options.hash(hash_alg(py, h)?);
        }
        let c = &signer.get().inner;
        let signed = py
            .detach(|| self.inner.smime().sign(message, c, form, &options))
            .or_raise(py)?;
        Ok(bytes(py, &signed))
    }

    /// Verifies a signed message and validates each signer for S/MIME signing at `at` (now).
    /// A bad signature or an invalid signer is in the result, not an exception.
    #[pyo3(signature = (message, *, at = None))]
    fn verify<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let when = at_or_now(at.as_ref())?;
        let v = py
            .detach(|| self.inner.smime().verify(message, when))
            .or_raise(py)?;
        results::verification(py, &v)
    }

    /// Encrypts `message` to `recipients` (AES-256-CBC unless every recipient announced GCM,
    /// or `cipher` chooses).
    #[pyo3(signature = (message, recipients, *, cipher = None))]
    fn encrypt<'py>(
        &self,
        py: Python<'py>,
        message: &[u8],
        recipients: Vec<Bound<'py, Certificate>>,
        cipher: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut options = EncryptOptions::new();
        if let Some(c) = &cipher {
            options = options.cipher(content_cipher(py, c)?);
        }
        let to = core_certs(&recipients);
        let out = py
            .detach(|| self.inner.smime().encrypt(message, &to, &options))
            .or_raise(py)?;
        Ok(bytes(py, &out))
    }

    /// Decrypts `message` with a key from the store; returns the decrypted message (outer
    /// header fields with the decrypted entity).
    fn decrypt<'py>(&self, py: Python<'py>, message: &[u8]) -> PyResult<Bound<'py, PyBytes>> {
        let out = py
            .detach(|| {
                self.inner
                    .smime()
                    .decrypt(message, &DecryptOptions::new())
                    .map(|d| d.message.to_vec())
            })
            .or_raise(py)?;
        Ok(bytes(py, &out))
    }

    // --- certificate requests ------------------------------------------------------------

    /// Requests a certificate for `email`. With the built-in handler (the default) the CA
    /// (`ca` or the default one) issues at once: the result has the certificate, and with
    /// `deliver_pkcs12` (a password length, 8 to 1024) a PKCS#12 delivery. With
    /// `RequestHandler.CSR` a key is generated and sealed in the store and the request stays
    /// pending: send `request_csr(id)` to the external CA, then `complete_request`.
    #[pyo3(signature = (email, common_name, *, handler = None, organization = None,
        given_name = None, surname = None, days = 365, key = None, hash = None,
        crl_distribution_point = None, ca = None, create_user = false, deliver_pkcs12 = None,
        store_password = false, delivery_from = None, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn request<'py>(
        &self,
        py: Python<'py>,
        email: String,
        common_name: String,
        handler: Option<Bound<'py, PyAny>>,
        organization: Option<String>,
        given_name: Option<String>,
        surname: Option<String>,
        days: u32,
        key: Option<Bound<'py, PyAny>>,
        hash: Option<Bound<'py, PyAny>>,
        crl_distribution_point: Option<String>,
        ca: Option<Bound<'py, PyAny>>,
        create_user: bool,
        deliver_pkcs12: Option<usize>,
        store_password: bool,
        delivery_from: Option<String>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let mut options = RequestOptions::new(email, common_name);
        if let Some(v) = given_name {
            options = options.given_name(v);
        }
        if let Some(v) = surname {
            options = options.surname(v);
        }
        let options = self.request_options(
            options,
            handler.as_ref(),
            organization,
            days,
            key.as_ref(),
            hash.as_ref(),
            crl_distribution_point,
            ca.as_ref(),
            create_user,
            deliver_pkcs12,
            store_password,
        )?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| {
                self.requests(delivery_from.as_deref())
                    .request(&options, &clock)
            })
            .or_raise(py)?;
        results::request_result(py, &r)
    }

    /// Accepts a client's PKCS#10 request (`csr`, PEM or DER): its self-signature, key and
    /// names are checked (`email`: the only address accepted; `allowed_domains`: the domains
    /// accepted, any when empty). With `approve` the internal CA issues at once; otherwise
    /// the request is pending until `approve_request`. Nothing is stored when a check fails.
    #[pyo3(signature = (csr, *, email = None, allowed_domains = Vec::new(),
        copy_subject_fields = false, days = 365, hash = None, ca = None,
        crl_distribution_point = None, create_user = false, approve = false, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn submit_csr<'py>(
        &self,
        py: Python<'py>,
        csr: &[u8],
        email: Option<String>,
        allowed_domains: Vec<String>,
        copy_subject_fields: bool,
        days: u32,
        hash: Option<Bound<'py, PyAny>>,
        ca: Option<Bound<'py, PyAny>>,
        crl_distribution_point: Option<String>,
        create_user: bool,
        approve: bool,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let mut policy = CsrPolicy::new()
            .copy_subject_fields(copy_subject_fields)
            .days(days)
            .create_user(create_user);
        if let Some(e) = email {
            policy = policy.email(e);
        }
        for d in allowed_domains {
            policy = policy.allowed_domain(d);
        }
        if let Some(h) = &hash {
            policy = policy.hash(hash_alg(py, h)?);
        }
        if let Some(c) = &ca {
            policy = policy.ca(self.ca_id(c)?);
        }
        if let Some(u) = crl_distribution_point {
            policy = policy.crl_distribution_point(u);
        }
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| {
                self.requests(None)
                    .submit_csr(csr, &policy, approve, &clock)
            })
            .or_raise(py)?;
        results::request_result(py, &r)
    }

    /// Approves a pending inward CSR request: the internal CA issues its certificate.
    #[pyo3(signature = (id, *, at = None))]
    fn approve_request<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| self.requests(None).approve(id, &clock))
            .or_raise(py)?;
        results::request_result(py, &r)
    }

    /// Completes a pending outward CSR request with the certificate file the external CA
    /// returned (PEM, DER or PKCS#7; further certificates in it are stored as its chain).
    /// `KeyMismatchError` when no certificate of the file carries the request's key.
    #[pyo3(signature = (id, certificate, *, delivery_from = None, at = None))]
    fn complete_request<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        certificate: &[u8],
        delivery_from: Option<String>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| {
                self.requests(delivery_from.as_deref())
                    .complete(id, certificate, &clock)
            })
            .or_raise(py)?;
        results::request_result(py, &r)
    }

    /// Completes every pending request whose key one of `certificates` carries (call it after
    /// `import_certificates`); returns the completed requests.
    #[pyo3(signature = (certificates, *, delivery_from = None, at = None))]
    fn complete_matching_requests<'py>(
        &self,
        py: Python<'py>,
        certificates: Vec<Bound<'py, Certificate>>,
        delivery_from: Option<String>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let cs = core_certs(&certificates);
        let clock = clock(at.as_ref())?;
        let rs = py
            .detach(|| {
                self.requests(delivery_from.as_deref())
                    .complete_matching(&cs, &clock)
            })
            .or_raise(py)?;
        results::request_results(py, &rs)
    }

    /// The requests with this status (every one when None), in id order.
    #[pyo3(signature = (*, status = None))]
    fn list_requests<'py>(
        &self,
        py: Python<'py>,
        status: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let status = status
            .map(|s| RequestStatus::parse(&enum_value(&s, "RequestStatus")?).or_raise(py))
            .transpose()?;
        let all = py
            .detach(|| self.requests(None).list(status))
            .or_raise(py)?;
        all.iter().map(|r| results::request_info(py, r)).collect()
    }

    /// The request with this id; `NotFoundError` when there is none.
    fn get_request<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let r = py.detach(|| self.requests(None).get(id)).or_raise(py)?;
        results::request_info(py, &r)
    }

    /// The request's PKCS#10 (DER): what the external CA is sent.
    fn request_csr<'py>(&self, py: Python<'py>, id: u64) -> PyResult<Bound<'py, PyBytes>> {
        let id = request_id(py, id)?;
        let der = py.detach(|| self.requests(None).csr(id)).or_raise(py)?;
        Ok(bytes(py, &der))
    }

    /// The request's PKCS#10 as PEM.
    fn request_csr_pem(&self, py: Python<'_>, id: u64) -> PyResult<String> {
        let id = request_id(py, id)?;
        py.detach(|| self.requests(None).csr_pem(id)).or_raise(py)
    }

    /// Sets when `run_due_requests` tries pending request `id` next.
    #[pyo3(signature = (id, when, *, at = None))]
    fn reschedule_request<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        when: Bound<'py, PyAny>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let when = crate::convert::system_time(&when)?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| self.requests(None).reschedule(id, when, &clock))
            .or_raise(py)?;
        results::request_info(py, &r)
    }

    /// Cancels pending request `id` (its key goes with it unless a stored certificate
    /// carries it).
    #[pyo3(signature = (id, *, at = None))]
    fn cancel_request<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| self.requests(None).cancel(id, &clock))
            .or_raise(py)?;
        results::request_info(py, &r)
    }

    /// Tries pending request `id` again with its external handler. Outward CSR requests
    /// wait for `complete_request` and inward ones for `approve_request`
    /// (`InvalidArgumentError`); no external handler is registered from Python, so a request
    /// of another handler is `NotFoundError`.
    #[pyo3(signature = (id, *, at = None))]
    fn retry_request<'py>(
        &self,
        py: Python<'py>,
        id: u64,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let id = request_id(py, id)?;
        let clock = clock(at.as_ref())?;
        let r = py
            .detach(|| self.requests(None).retry(id, &clock))
            .or_raise(py)?;
        results::request_result(py, &r)
    }

    /// The driver: tries every due pending request of an external handler. No external
    /// handler is registered from Python, so those requests are skipped (the list is empty).
    #[pyo3(signature = (*, at = None))]
    fn run_due_requests<'py>(
        &self,
        py: Python<'py>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Vec<Obj<'py>>> {
        let clock = clock(at.as_ref())?;
        let rs = py
            .detach(|| self.requests(None).run_due(&clock))
            .or_raise(py)?;
        results::request_results(py, &rs)
    }

    /// Reads a bulk CSV file (columns `EMAIL`, `COMMONNAME`, and optionally `ORGANIZATION`,
    /// `GIVENNAME`, `SURNAME`, ...) and plans its requests with the options given, changing
    /// nothing: the rows to request, those skipped (the address already has a valid signing
    /// certificate, unless `skip_existing=False`) and the row errors.
    #[pyo3(signature = (data, *, handler = None, organization = None, days = 365, key = None,
        hash = None, crl_distribution_point = None, ca = None, create_user = false,
        deliver_pkcs12 = None, store_password = false, skip_existing = true, max_rows = None,
        max_value_chars = None, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn bulk_preview<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        handler: Option<Bound<'py, PyAny>>,
        organization: Option<String>,
        days: u32,
        key: Option<Bound<'py, PyAny>>,
        hash: Option<Bound<'py, PyAny>>,
        crl_distribution_point: Option<String>,
        ca: Option<Bound<'py, PyAny>>,
        create_user: bool,
        deliver_pkcs12: Option<usize>,
        store_password: bool,
        skip_existing: bool,
        max_rows: Option<usize>,
        max_value_chars: Option<usize>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let template = self.request_options(
            RequestOptions::new("", ""),
            handler.as_ref(),
            organization,
            days,
            key.as_ref(),
            hash.as_ref(),
            crl_distribution_point,
            ca.as_ref(),
            create_user,
            deliver_pkcs12,
            store_password,
        )?;
        let options = bulk_options(template, skip_existing, max_rows, max_value_chars);
        let clock = clock(at.as_ref())?;
        let plan = py
            .detach(|| bulk::preview(self.store(), data, &options, &clock))
            .or_raise(py)?;
        results::bulk_plan(py, &plan)
    }

    /// Requests every row of a bulk CSV file (as `bulk_preview` plans it), each row in its
    /// own transaction, stopping at the first failure (the report says which rows were
    /// issued and which not). `InvalidArgumentError`, nothing requested, while the file has
    /// row errors.
    #[pyo3(signature = (data, *, handler = None, organization = None, days = 365, key = None,
        hash = None, crl_distribution_point = None, ca = None, create_user = false,
        deliver_pkcs12 = None, store_password = false, skip_existing = true, max_rows = None,
        max_value_chars = None, delivery_from = None, at = None))]
    #[allow(clippy::too_many_arguments)]
    fn bulk_run<'py>(
        &self,
        py: Python<'py>,
        data: &[u8],
        handler: Option<Bound<'py, PyAny>>,
        organization: Option<String>,
        days: u32,
        key: Option<Bound<'py, PyAny>>,
        hash: Option<Bound<'py, PyAny>>,
        crl_distribution_point: Option<String>,
        ca: Option<Bound<'py, PyAny>>,
        create_user: bool,
        deliver_pkcs12: Option<usize>,
        store_password: bool,
        skip_existing: bool,
        max_rows: Option<usize>,
        max_value_chars: Option<usize>,
        delivery_from: Option<String>,
        at: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Obj<'py>> {
        let template = self.request_options(
            RequestOptions::new("", ""),
            handler.as_ref(),
            organization,
            days,
            key.as_ref(),
            hash.as_ref(),
            crl_distribution_point,
            ca.as_ref(),
            create_user,
            deliver_pkcs12,
            store_password,
        )?;
        let options = bulk_options(template, skip_existing, max_rows, max_value_chars);
        let clock = clock(at.as_ref())?;
        let report = py
            .detach(|| {
                let plan = bulk::preview(self.store(), data, &options, &clock)?;
                bulk::run(
                    &self.requests(delivery_from.as_deref()),
                    &plan,
                    &clock,
                    &mut |_, _| {},
                )
            })
            .or_raise(py)?;
        results::bulk_report(py, &report)
    }

    // --- lifecycle -----------------------------------------------------------------------

    /// Deletes a stored certificate, with its private key unless another stored certificate
    /// or a pending request uses it. `NotFoundError` when not stored; `NotPermittedError`
    /// for the certificate of a CA of the store (delete the CA instead).
    fn delete_certificate<'py>(
        &self,
        py: Python<'py>,
        certificate: &Bound<'py, PyAny>,
    ) -> PyResult<Obj<'py>> {
        let t = thumbprint(certificate)?;
        let d = py
            .detach(|| lifecycle::delete_certificate(self.store(), &t))
            .or_raise(py)?;
        results::deleted_certificate(py, &d)
    }

    /// Removes a trust anchor (the certificate stays stored). `NotFoundError` when it is not
    /// one; `NotPermittedError` for the certificate of a CA of the store.
    fn remove_trust_anchor(&self, py: Python<'_>, certificate: &Bound<'_, PyAny>) -> PyResult<()> {
        let t = thumbprint(certificate)?;
        py.detach(|| lifecycle::remove_trust_anchor(self.store(), &t))
            .or_raise(py)
    }

    /// Attaches a private key (PEM or DER: PKCS#8, encrypted PKCS#8 with `password`, PKCS#1,
    /// SEC1) to the stored certificates it belongs to; `KeyMismatchError` when it belongs to
    /// none.
    #[pyo3(signature = (key, *, password = None))]
    fn import_key<'py>(
        &self,
        py: Python<'py>,
        key: &[u8],
        password: Option<&[u8]>,
    ) -> PyResult<Obj<'py>> {
        let k = py
            .detach(|| lifecycle::import_key(self.store(), key, password))
            .or_raise(py)?;
        results::key_import(py, &k)
    }

    /// The private key of a stored certificate as encrypted PKCS#8 PEM under `passphrase`
    /// (scrypt unless `kdf` says otherwise). `NotFoundError` when its key is not stored;
    /// `NotPermittedError` for a CA's key (see `export_ca_key`).
    #[pyo3(signature = (certificate, passphrase, *, kdf = None))]
    fn export_key<'py>(
        &self,
        py: Python<'py>,
        certificate: &Bound<'py, PyAny>,
        passphrase: &[u8],
        kdf: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let t = thumbprint(certificate)?;
        let kdf = match &kdf {
            Some(k) => match enum_value(k, "KeyDerivation")?.as_str() {
                "scrypt" => PbeKdf::Scrypt,
                "pbkdf2-sha256" => PbeKdf::Pbkdf2Sha256,
                other => return Err(invalid(py, format!("unknown key derivation {other:?}"))),
            },
            None => PbeKdf::Scrypt,
        };
        let pem = py
            .detach(|| lifecycle::export_key(self.store(), &t, passphrase, kdf))
            .or_raise(py)?;
        Ok(bytes(py, pem.as_bytes()))
    }

    fn __repr__(&self) -> String {
        "<hermes_pki.Pki>".into()
    }
}
