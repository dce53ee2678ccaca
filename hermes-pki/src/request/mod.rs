//! Certificate requests (REQUIREMENTS.md section 6): a request is issued at once (certificate
//! and key) or left pending until its handler completes it.
//!
//! The handlers:
//!
//! - [`BUILT_IN`]: the default CA (or the options' CA) issues at once, as
//!   [`crate::ca::CertificateAuthority::issue`] does.
//! - [`CSR`] (outward): a key is generated and sealed in the store, and a PKCS#10 request is
//!   made for an external CA ([`Requests::csr`]). The request stays pending; importing the
//!   certificate that CA issued ([`Requests::complete`], or [`Requests::complete_matching`]
//!   after a plain certificate import) completes it, matched by public key.
//! - [`CSR_INWARD`]: a client's PKCS#10 ([`Requests::submit_csr`]): self-signature, key and
//!   names checked ([`CheckedCsr::check`], [`CsrPolicy`]), pending until
//!   [`Requests::approve`], then issued by the internal CA. The key never leaves the client.
//! - any [`RequestHandler`] the caller registers ([`Requests::with_handler`]): it is handed
//!   the request's PKCS#10 (the key is generated and kept here) and answers with the
//!   certificate or "pending"; [`Requests::run_due`] is the driver the caller runs on a
//!   schedule to try pending requests again.
//!
//! Every transition (made, issued, completed, rescheduled, retried, cancelled) is one store
//! transaction. A handler is never called inside a store transaction.
//!
//! Bulk requests from CSV are in [`bulk`]; PKCS#12 delivery in [`Delivery`].
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::request::{RequestOptions, Requests, CSR};
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! CertificateAuthority::new(&store)
//!     .create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let requests = Requests::new(&store);
//!
//! // Built-in: issued at once, with a PKCS#12 for the user.
//! let done = requests.request(
//!     &RequestOptions::new("alice@example.com", "Alice").key(KeySpec::EcP256).deliver_pkcs12(16),
//!     &SystemClock,
//! )?;
//! assert!(done.certificate().is_some());
//! assert_eq!(done.delivery().map(|d| d.password().len()), Some(16));
//!
//! // Outward CSR: pending, with a PKCS#10 for an external CA.
//! let pending = requests.request(
//!     &RequestOptions::new("bob@example.com", "Bob").key(KeySpec::EcP256).handler(CSR),
//!     &SystemClock,
//! )?;
//! assert!(pending.is_pending());
//! let pem = requests.csr_pem(pending.record().id)?;
//! assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
//! # Ok(())
//! # }
//! ```

pub mod bulk;
mod csr;
mod delivery;
mod options;
#[cfg(test)]
mod tests;

pub use csr::{CheckedCsr, CsrPolicy, MAX_CSR_LEN, csr_der, csr_to_pem};
pub use delivery::{Delivery, PASSWORD_SETTING, build_delivery};
pub use options::{BUILT_IN, CSR, CSR_INWARD, RequestOptions};

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use zeroize::Zeroizing;

use crate::cert::{Certificate, load_certificates};
use crate::error::{Error, Result};
use crate::key::{KeyId, PrivateKey};
use crate::pkcs12::{Pkcs12Options, generate_password};
use crate::store::{
    EmailAddress, ReadTransaction, SettingScope, Store, StoreExt, Transaction, unknown_request,
};
use crate::time::Clock;

pub use crate::store::{RequestId, RequestRecord, RequestStatus};

/// A request as a handler sees it.
#[derive(Debug, Clone, Copy)]
pub struct HandlerRequest<'a> {
    /// The request's id in the store.
    pub id: RequestId,
    /// What is asked for.
    pub options: &'a RequestOptions,
    /// The PKCS#10 request (DER) for the key kept in the store.
    pub csr: &'a [u8],
    /// What the handler answered last time (its own reference), if anything.
    pub reference: Option<&'a str>,
    /// How many times the handler was called before.
    pub attempts: u32,
}

/// A handler's answer.
#[derive(Debug, Clone)]
pub enum HandlerOutcome {
    /// The certificate was issued: it must carry the request's public key.
    Issued {
        /// The certificate.
        certificate: Certificate,
        /// Its issuers, nearest first (stored as certificates, not trusted).
        chain: Vec<Certificate>,
    },
    /// Not yet: keep the request pending.
    Pending {
        /// The handler's reference to keep (an order number), if any.
        reference: Option<String>,
        /// When to try again; `None`: after the [`Requests::retry_delay`].
        retry_at: Option<SystemTime>,
    },
}

/// A certificate request handler supplied by the caller (an external CA, a ticketing system).
///
/// It is called outside any store transaction, so it may take its time and talk to the
/// network. The key pair stays in the store; the handler gets the PKCS#10 request.
/// An `Err` from the handler keeps the request pending with the error recorded, to be tried
/// again by [`Requests::run_due`].
pub trait RequestHandler: Send + Sync {
    /// The handler's name, as [`RequestOptions::handler`] names it.
    fn name(&self) -> &str;

    /// A new request.
    fn submit(&self, request: &HandlerRequest<'_>) -> Result<HandlerOutcome>;

    /// A pending request, tried again. By default the same as [`submit`](Self::submit).
    fn poll(&self, request: &HandlerRequest<'_>) -> Result<HandlerOutcome> {
        self.submit(request)
    }
}

/// What a request came to: its record, and the certificate once issued (with the PKCS#12
/// delivery when the options asked for one).
#[derive(Debug)]
pub struct RequestResult {
    record: RequestRecord,
    certificate: Option<Certificate>,
    chain: Vec<Certificate>,
    delivery: Option<Delivery>,
}

impl RequestResult {
    /// The request's record as stored.
    pub fn record(&self) -> &RequestRecord {
        &self.record
    }

    /// Whether the request is still pending.
    pub fn is_pending(&self) -> bool {
        self.record.status == RequestStatus::Pending
    }

    /// The issued certificate.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// The issuing chain, nearest first.
    pub fn chain(&self) -> &[Certificate] {
        &self.chain
    }

    /// The PKCS#12 delivery, when asked for.
    pub fn delivery(&self) -> Option<&Delivery> {
        self.delivery.as_ref()
    }

    /// The delivery, taken out.
    pub fn take_delivery(&mut self) -> Option<Delivery> {
        self.delivery.take()
    }
}

/// The request operations over a store, with the caller's handlers.
pub struct Requests<'s, S: Store + ?Sized> {
    store: &'s S,
    handlers: Vec<Arc<dyn RequestHandler>>,
    retry_delay: Duration,
    pkcs12: Pkcs12Options,
    from: Option<String>,
}

impl<S: Store + ?Sized> std::fmt::Debug for Requests<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Requests")
            .field(
                "handlers",
                &self.handlers.iter().map(|h| h.name()).collect::<Vec<_>>(),
            )
            .field("retry_delay", &self.retry_delay)
            .finish_non_exhaustive()
    }
}

/// A password for a PKCS#12 delivery, generated before the transaction that may store it.
fn delivery_password(options: &RequestOptions) -> Result<Option<Zeroizing<String>>> {
    options.deliver_pkcs12.map(generate_password).transpose()
}

/// The user (and the stored password) of a completed request, inside its transaction.
fn record_user(
    tx: &mut dyn Transaction,
    options: &RequestOptions,
    email: &str,
    password: Option<&str>,
) -> Result<()> {
    let store_password = options.store_password && password.is_some();
    if !options.create_user && !store_password {
        return Ok(());
    }
    let user = EmailAddress::new(email)?;
    tx.put_user(&user)?;
    if let (true, Some(pw)) = (store_password, password) {
        tx.put_setting(&SettingScope::User(user), PASSWORD_SETTING, pw)?;
    }
    Ok(())
}

fn require(tx: &dyn ReadTransaction, id: RequestId) -> Result<RequestRecord> {
    tx.request(id)?.ok_or_else(|| unknown_request(id))
}

fn require_pending(r: &RequestRecord) -> Result<()> {
    if r.status != RequestStatus::Pending {
        return Err(Error::InvalidArgument(format!(
            "request {} is {}, not pending",
            r.id, r.status
        )));
    }
    Ok(())
}

fn new_record(
    handler: &str,
    status: RequestStatus,
    email: &str,
    options: &RequestOptions,
    now: SystemTime,
) -> RequestRecord {
    RequestRecord {
        id: RequestId::placeholder(),
        handler: handler.to_string(),
        status,
        email: email.to_string(),
        options: options.to_text(),
        key_id: None,
        csr: None,
        reference: None,
        certificate: None,
        created: now,
        updated: now,
        next_attempt: now,
        attempts: 0,
        last_error: None,
    }
}

impl<'s, S: Store + ?Sized> Requests<'s, S> {
    /// The request operations on `store`, with no external handler, a retry delay of one
    /// hour, and the default [`Pkcs12Options`] for deliveries.
    pub fn new(store: &'s S) -> Self {
        Requests {
            store,
            handlers: Vec::new(),
            retry_delay: Duration::from_secs(3600),
            pkcs12: Pkcs12Options::new(),
            from: None,
        }
    }

    /// Registers an external handler (by its [`RequestHandler::name`]; the built-in names
    /// cannot be taken).
    pub fn with_handler(mut self, handler: Arc<dyn RequestHandler>) -> Self {
        self.handlers.push(handler);
        self
    }

    /// How long a pending request waits before [`run_due`](Self::run_due) tries it again
    /// when its handler named no time (default one hour).
    pub fn retry_delay(mut self, delay: Duration) -> Self {
        self.retry_delay = delay;
        self
    }

    /// The options of delivered PKCS#12 files.
    pub fn pkcs12_options(mut self, options: Pkcs12Options) -> Self {
        self.pkcs12 = options;
        self
    }

    /// The From address of delivery messages.
    pub fn delivery_from(mut self, from: impl Into<String>) -> Self {
        self.from = Some(from.into());
        self
    }

    fn external(&self, name: &str) -> Result<Arc<dyn RequestHandler>> {
        self.handlers
            .iter()
            .find(|h| h.name() == name)
            .cloned()
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "no request handler named {name:?}; the handlers are {BUILT_IN}, {CSR} and \
                     those registered{}",
                    if self.handlers.is_empty() {
                        " (none)".to_string()
                    } else {
                        format!(
                            " ({})",
                            self.handlers
                                .iter()
                                .map(|h| h.name().to_string())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    }
                ))
            })
    }

    /// Makes a request with its handler: [`BUILT_IN`] issues at once; [`CSR`] and external
    /// handlers generate the key (sealed in the store) and a PKCS#10 request. An external
    /// handler is called at once; its error leaves the request pending with the error
    /// recorded. [`CSR_INWARD`] is [`submit_csr`](Self::submit_csr).
    ///
    /// Errors (nothing stored): the options' checks ([`Error::InvalidArgument`],
    /// [`Error::Weak`]); an unknown handler ([`Error::NotFound`]); for the built-in handler,
    /// those of issuance (no CA, an expired CA).
    pub fn request(&self, options: &RequestOptions, clock: &dyn Clock) -> Result<RequestResult> {
        let email = options.check()?;
        match options.handler.as_str() {
            BUILT_IN => self.built_in(options, &email, clock),
            CSR_INWARD => Err(Error::InvalidArgument(
                "an inward CSR request starts from the client's PKCS#10: use submit_csr".into(),
            )),
            CSR => self.outward(options, &email, None, clock),
            name => {
                let handler = self.external(name)?;
                self.outward(options, &email, Some(handler), clock)
            }
        }
    }

    /// Built-in: one transaction issues, stores certificate and key, records the request.
    fn built_in(
        &self,
        options: &RequestOptions,
        email: &str,
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let key = PrivateKey::generate(options.key)?;
        let prepared = options
            .issue_spec()
            .prepare(&key.public_key_der(), &key.algorithm())?;
        let password = delivery_password(options)?;
        let now = clock.now();
        let (record, certificate, chain) = self.store.transaction(|tx| {
            let (cert, _, chain) = prepared.issue_in(tx, now)?;
            tx.put_key(&key)?;
            let mut record = new_record(BUILT_IN, RequestStatus::Completed, email, options, now);
            record.key_id = Some(key.key_id());
            record.certificate = Some(*cert.thumbprint());
            record.id = tx.insert_request(&record)?;
            record_user(tx, options, email, password.as_ref().map(|p| p.as_str()))?;
            Ok((record, cert, chain))
        })?;
        let delivery = self.deliver(options, &certificate, &key, &chain, password)?;
        Ok(RequestResult {
            record,
            certificate: Some(certificate),
            chain,
            delivery,
        })
    }

    fn deliver(
        &self,
        options: &RequestOptions,
        certificate: &Certificate,
        key: &PrivateKey,
        chain: &[Certificate],
        password: Option<Zeroizing<String>>,
    ) -> Result<Option<Delivery>> {
        let Some(password) = password else {
            return Ok(None);
        };
        let email = certificate
            .emails()
            .first()
            .cloned()
            .unwrap_or_else(|| options.email.clone());
        delivery::build_with_password(
            certificate,
            key,
            chain,
            &email,
            password,
            &self.pkcs12,
            self.from.as_deref(),
        )
        .map(Some)
    }

    /// Outward CSR and external handlers: the key and the request in one transaction; an
    /// external handler is then called and its answer recorded.
    fn outward(
        &self,
        options: &RequestOptions,
        email: &str,
        handler: Option<Arc<dyn RequestHandler>>,
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let key = PrivateKey::generate(options.key)?;
        let csr = csr::build_csr(&key, options, email)?;
        let now = clock.now();
        let name = handler
            .as_ref()
            .map_or(CSR.to_string(), |h| h.name().to_string());
        let record = self.store.transaction(|tx| {
            tx.put_key(&key)?;
            let mut record = new_record(&name, RequestStatus::Pending, email, options, now);
            record.key_id = Some(key.key_id());
            record.csr = Some(csr.clone());
            record.id = tx.insert_request(&record)?;
            Ok(record)
        })?;
        match handler {
            None => Ok(RequestResult {
                record,
                certificate: None,
                chain: Vec::new(),
                delivery: None,
            }),
            Some(h) => self.call(&*h, &record, false, clock),
        }
    }

    /// Calls an external handler for a pending request and records its answer.
    fn call(
        &self,
        handler: &dyn RequestHandler,
        record: &RequestRecord,
        poll: bool,
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let options = RequestOptions::from_text(&record.options)?;
        let csr = record.csr.clone().unwrap_or_default();
        let asked = HandlerRequest {
            id: record.id,
            options: &options,
            csr: &csr,
            reference: record.reference.as_deref(),
            attempts: record.attempts,
        };
        let answer = if poll {
            handler.poll(&asked)
        } else {
            handler.submit(&asked)
        };
        let now = clock.now();
        match answer {
            Ok(HandlerOutcome::Issued { certificate, chain }) => {
                self.complete_with(record.id, &certificate, &chain, clock)
            }
            Ok(HandlerOutcome::Pending {
                reference,
                retry_at,
            }) => {
                let next = retry_at.unwrap_or(now + self.retry_delay);
                let record = self.store.transaction(|tx| {
                    let mut r = require(tx, record.id)?;
                    require_pending(&r)?;
                    r.attempts = r.attempts.saturating_add(1);
                    r.updated = now;
                    r.next_attempt = next;
                    r.last_error = None;
                    if reference.is_some() {
                        r.reference = reference.clone();
                    }
                    tx.update_request(&r)?;
                    Ok(r)
                })?;
                Ok(RequestResult {
                    record,
                    certificate: None,
                    chain: Vec::new(),
                    delivery: None,
                })
            }
            Err(e) => {
                let message = e.to_string();
                let next = now + self.retry_delay;
                let record = self.store.transaction(|tx| {
                    let mut r = require(tx, record.id)?;
                    require_pending(&r)?;
                    r.attempts = r.attempts.saturating_add(1);
                    r.updated = now;
                    r.next_attempt = next;
                    r.last_error = Some(message.clone());
                    tx.update_request(&r)?;
                    Ok(r)
                })?;
                Ok(RequestResult {
                    record,
                    certificate: None,
                    chain: Vec::new(),
                    delivery: None,
                })
            }
        }
    }

    /// Completes pending request `id` (outward CSR or external) with the certificate the CA
    /// issued: it must carry the request's public key ([`Error::KeyMismatch`] otherwise). The
    /// certificate and the chain are stored, the request closed, in one transaction.
    fn complete_with(
        &self,
        id: RequestId,
        certificate: &Certificate,
        chain: &[Certificate],
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let record = self.get(id)?;
        require_pending(&record)?;
        let key_id = record.key_id.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "request {id} has no key in the store ({} requests are approved, not completed)",
                record.handler
            ))
        })?;
        if KeyId::of_public_key_der(certificate.public_key_der()) != key_id {
            return Err(Error::KeyMismatch);
        }
        let options = RequestOptions::from_text(&record.options)?;
        let password = delivery_password(&options)?;
        let now = clock.now();
        let (record, key) = self.store.transaction(|tx| {
            let mut r = require(tx, id)?;
            require_pending(&r)?;
            tx.put_certificate(certificate)?;
            for c in chain {
                tx.put_certificate(c)?;
            }
            r.status = RequestStatus::Completed;
            r.certificate = Some(*certificate.thumbprint());
            r.updated = now;
            r.last_error = None;
            tx.update_request(&r)?;
            record_user(
                tx,
                &options,
                &r.email,
                password.as_ref().map(|p| p.as_str()),
            )?;
            let key = tx.key(&key_id)?;
            Ok((r, key))
        })?;
        let delivery = match &key {
            Some(k) => self.deliver(&options, certificate, k, chain, password)?,
            None => None,
        };
        Ok(RequestResult {
            record,
            certificate: Some(certificate.clone()),
            chain: chain.to_vec(),
            delivery,
        })
    }

    /// Completes pending request `id` with the certificate file the external CA returned (PEM,
    /// DER or PKCS#7; further certificates in it are stored as its chain).
    ///
    /// Errors: [`Error::Malformed`] for a file without a certificate; [`Error::KeyMismatch`]
    /// when no certificate of the file carries the request's public key; a request that is not
    /// pending ([`Error::InvalidArgument`]). Nothing is stored then.
    pub fn complete(
        &self,
        id: RequestId,
        input: &[u8],
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let loaded = load_certificates(input);
        if loaded.certificates.is_empty() {
            return Err(match loaded.problems.into_iter().next() {
                Some(p) => Error::malformed("certificate", format!("{}: {}", p.location, p.error)),
                None => Error::Empty {
                    what: "certificate",
                },
            });
        }
        let record = self.get(id)?;
        require_pending(&record)?;
        let key_id = record.key_id.ok_or_else(|| {
            Error::InvalidArgument(format!(
                "request {id} ({}) waits for an approval, not for a certificate",
                record.handler
            ))
        })?;
        let (mine, chain): (Vec<Certificate>, Vec<Certificate>) = loaded
            .certificates
            .into_iter()
            .partition(|c| KeyId::of_public_key_der(c.public_key_der()) == key_id);
        let cert = mine.into_iter().next().ok_or(Error::KeyMismatch)?;
        self.complete_with(id, &cert, &chain, clock)
    }

    /// Completes every pending request whose key one of `certificates` carries (what a plain
    /// certificate import calls). Returns the completed requests; certificates that match
    /// none are ignored.
    pub fn complete_matching(
        &self,
        certificates: &[Certificate],
        clock: &dyn Clock,
    ) -> Result<Vec<RequestResult>> {
        let mut done = Vec::new();
        for cert in certificates {
            let key_id = KeyId::of_public_key_der(cert.public_key_der());
            let pending: Vec<RequestRecord> = self.store.read_transaction(|tx| {
                Ok(tx
                    .requests_by_key(&key_id)?
                    .into_iter()
                    .filter(|r| r.status == RequestStatus::Pending)
                    .collect())
            })?;
            for r in pending {
                let others: Vec<Certificate> = certificates
                    .iter()
                    .filter(|c| c.thumbprint() != cert.thumbprint())
                    .cloned()
                    .collect();
                done.push(self.complete_with(r.id, cert, &others, clock)?);
            }
        }
        Ok(done)
    }

    /// Accepts a client's PKCS#10 request (PEM or DER), checked by [`CheckedCsr::check`]
    /// under `policy`. With `approve` it is issued at once by the internal CA; otherwise it is
    /// kept pending until [`approve`](Self::approve). Nothing is stored when a check fails.
    pub fn submit_csr(
        &self,
        input: &[u8],
        policy: &CsrPolicy,
        approve: bool,
        clock: &dyn Clock,
    ) -> Result<RequestResult> {
        let checked = CheckedCsr::check(input, policy)?;
        let options = checked.options().clone();
        let email = options.check()?;
        let now = clock.now();
        if approve {
            let prepared = options
                .issue_spec()
                .prepare(checked.public_key_der(), checked.key_algorithm())?;
            let (record, cert, chain) = self.store.transaction(|tx| {
                let (cert, _, chain) = prepared.issue_in(tx, now)?;
                let mut r = new_record(CSR_INWARD, RequestStatus::Completed, &email, &options, now);
                r.csr = Some(checked.der().to_vec());
                r.certificate = Some(*cert.thumbprint());
                r.id = tx.insert_request(&r)?;
                record_user(tx, &options, &email, None)?;
                Ok((r, cert, chain))
            })?;
            return Ok(RequestResult {
                record,
                certificate: Some(cert),
                chain,
                delivery: None,
            });
        }
        let record = self.store.transaction(|tx| {
            let mut r = new_record(CSR_INWARD, RequestStatus::Pending, &email, &options, now);
            r.csr = Some(checked.der().to_vec());
            r.id = tx.insert_request(&r)?;
            Ok(r)
        })?;
        Ok(RequestResult {
            record,
            certificate: None,
            chain: Vec::new(),
            delivery: None,
        })
    }

    /// Approves a pending inward CSR request: the internal CA issues the certificate for the
    /// client's key and the request is closed, in one transaction.
    pub fn approve(&self, id: RequestId, clock: &dyn Clock) -> Result<RequestResult> {
        let record = self.get(id)?;
        require_pending(&record)?;
        if record.handler != CSR_INWARD {
            return Err(Error::InvalidArgument(format!(
                "request {id} is a {} request; only inward CSR requests are approved",
                record.handler
            )));
        }
        let options = RequestOptions::from_text(&record.options)?;
        let csr = record
            .csr
            .clone()
            .ok_or_else(|| Error::Storage(format!("request {id} has lost its PKCS#10")))?;
        // The stored request passed the checks when it came in; its key is read again here.
        let checked = CheckedCsr::check(&csr, &CsrPolicy::new().email(&record.email))?;
        let prepared = options
            .issue_spec()
            .prepare(checked.public_key_der(), checked.key_algorithm())?;
        let now = clock.now();
        let (record, cert, chain) = self.store.transaction(|tx| {
            let mut r = require(tx, id)?;
            require_pending(&r)?;
            let (cert, _, chain) = prepared.issue_in(tx, now)?;
            r.status = RequestStatus::Completed;
            r.certificate = Some(*cert.thumbprint());
            r.updated = now;
            tx.update_request(&r)?;
            record_user(tx, &options, &r.email, None)?;
            Ok((r, cert, chain))
        })?;
        Ok(RequestResult {
            record,
            certificate: Some(cert),
            chain,
            delivery: None,
        })
    }

    /// The requests with this status (all for `None`), in id order.
    pub fn list(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>> {
        self.store.read_transaction(|tx| tx.requests(status))
    }

    /// The request with this id ([`Error::NotFound`] if there is none).
    pub fn get(&self, id: RequestId) -> Result<RequestRecord> {
        self.store.read_transaction(|tx| require(tx, id))
    }

    /// The request's PKCS#10 (DER): what an external CA is sent.
    pub fn csr(&self, id: RequestId) -> Result<Vec<u8>> {
        self.get(id)?
            .csr
            .ok_or_else(|| Error::NotFound(format!("request {id} has no PKCS#10 request")))
    }

    /// The request's PKCS#10 as PEM.
    pub fn csr_pem(&self, id: RequestId) -> Result<String> {
        csr_to_pem(&self.csr(id)?)
    }

    /// Sets when [`run_due`](Self::run_due) tries pending request `id` next.
    pub fn reschedule(
        &self,
        id: RequestId,
        at: SystemTime,
        clock: &dyn Clock,
    ) -> Result<RequestRecord> {
        let now = clock.now();
        self.store.transaction(|tx| {
            let mut r = require(tx, id)?;
            require_pending(&r)?;
            r.next_attempt = at;
            r.updated = now;
            tx.update_request(&r)?;
            Ok(r)
        })
    }

    /// Cancels pending request `id`. Its key (outward CSR, external) is removed with it unless
    /// a stored certificate carries it.
    pub fn cancel(&self, id: RequestId, clock: &dyn Clock) -> Result<RequestRecord> {
        let now = clock.now();
        self.store.transaction(|tx| {
            let mut r = require(tx, id)?;
            require_pending(&r)?;
            if let Some(k) = &r.key_id
                && tx.certificates_by_key(k)?.is_empty()
            {
                tx.delete_key(k)?;
            }
            r.status = RequestStatus::Cancelled;
            r.updated = now;
            tx.update_request(&r)?;
            Ok(r)
        })
    }

    /// Tries pending request `id` again now: its external handler is polled. Outward CSR
    /// requests wait for [`complete`](Self::complete) and inward ones for
    /// [`approve`](Self::approve): [`Error::InvalidArgument`] says so.
    pub fn retry(&self, id: RequestId, clock: &dyn Clock) -> Result<RequestResult> {
        let record = self.get(id)?;
        require_pending(&record)?;
        match record.handler.as_str() {
            CSR => Err(Error::InvalidArgument(format!(
                "request {id} waits for the external CA's certificate: send it the PKCS#10 and \
                 complete the request with the certificate"
            ))),
            CSR_INWARD => Err(Error::InvalidArgument(format!(
                "request {id} waits for an approval"
            ))),
            name => {
                let handler = self.external(name)?;
                self.call(&*handler, &record, true, clock)
            }
        }
    }

    /// The driver: tries every pending request of an external handler whose next attempt is
    /// due. Returns what each came to; a request whose handler is not registered here is
    /// skipped.
    pub fn run_due(&self, clock: &dyn Clock) -> Result<Vec<RequestResult>> {
        let now = clock.now();
        let due = self.store.read_transaction(|tx| {
            Ok(tx
                .requests(Some(RequestStatus::Pending))?
                .into_iter()
                .filter(|r| r.next_attempt <= now && r.handler != CSR && r.handler != CSR_INWARD)
                .collect::<Vec<_>>())
        })?;
        let mut out = Vec::new();
        for r in due {
            if let Ok(handler) = self.external(&r.handler) {
                out.push(self.call(&*handler, &r, true, clock)?);
            }
        }
        Ok(out)
    }
}
