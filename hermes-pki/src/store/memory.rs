//! [`MemoryStore`]: everything in memory, behind one lock.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, PoisonError, RwLock};

use super::records::{
    ca_name_key, check_setting_key, check_setting_value, duplicate_ca_name, duplicate_serial,
    unknown_ca, unknown_scope,
};
use super::{
    CaId, CaRecord, CertificateFilter, CrlEntries, CrlFetchState, CrlId, CrlRecord, CtlEntry,
    DomainName, EmailAddress, IssuedRecord, NewCa, NewCrl, ReadTransaction, RequestId,
    RequestRecord, RequestStatus, RevokedEntry, SettingScope, Store, Transaction,
    normalize_query_email, unknown_request,
};
use der::asn1::ObjectIdentifier;

use crate::cert::{Certificate, Serial, Thumbprint};
use crate::error::{Error, Result};
use crate::key::{KeyId, PrivateKey};

/// A store held in memory: for tests, short-lived tools, and as the reference behaviour of the
/// storage traits.
///
/// Reads run concurrently; a write transaction holds the lock exclusively while its closure
/// runs and keeps an undo log, so a closure that fails (or panics) leaves nothing behind.
/// Private keys are held as [`PrivateKey`] values (zeroized when dropped); nothing is written
/// anywhere.
#[derive(Default)]
pub struct MemoryStore {
    state: RwLock<State>,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").finish_non_exhaustive()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Store for MemoryStore {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut guard = self.state.write().unwrap_or_else(PoisonError::into_inner);
        let mut tx = MemTx {
            state: &mut guard,
            undo: Vec::new(),
        };
        f(&mut tx)?;
        tx.undo.clear(); // commit: nothing to roll back
        Ok(())
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        let guard = self.state.read().unwrap_or_else(PoisonError::into_inner);
        f(&*guard)
    }
}

/// A stored certificate with the facts the indexes use.
struct Entry {
    cert: Certificate,
    key_id: KeyId,
}

type Index<K> = HashMap<K, BTreeSet<Thumbprint>>;

#[derive(Default)]
struct State {
    certs: BTreeMap<Thumbprint, Arc<Entry>>,
    by_subject: Index<Vec<u8>>,
    by_ski: Index<Vec<u8>>,
    by_issuer_serial: Index<(Vec<u8>, Serial)>,
    by_email: Index<String>,
    keys: HashMap<KeyId, Arc<PrivateKey>>,
    roots: BTreeMap<Thumbprint, Arc<Certificate>>,
    cas: BTreeMap<CaId, CaRecord>,
    /// The last CA id handed out (ids are never reused).
    last_ca_id: u64,
    issued: BTreeMap<(CaId, Serial), IssuedRecord>,
    ctl: BTreeMap<Thumbprint, CtlEntry>,
    crls: BTreeMap<CrlId, Arc<MemCrl>>,
    /// The last CRL id handed out (ids are never reused).
    last_crl_id: u64,
    crl_numbers: BTreeMap<CaId, u64>,
    crl_fetches: BTreeMap<String, CrlFetchState>,
    capabilities: BTreeMap<Thumbprint, Vec<ObjectIdentifier>>,
    users: BTreeSet<EmailAddress>,
    domains: BTreeSet<DomainName>,
    settings: BTreeMap<(SettingScope, String), String>,
    manual_encryption: BTreeSet<(EmailAddress, Thumbprint)>,
    manual_signing: BTreeMap<EmailAddress, Thumbprint>,
    // --- certificate requests (issue 15) ---
    requests: BTreeMap<RequestId, RequestRecord>,
    /// The last request id handed out (ids are never reused).
    last_request_id: u64,
}

/// A stored CRL: its record, DER and packed entries.
struct MemCrl {
    record: CrlRecord,
    der: Vec<u8>,
    entries: CrlEntries,
}

fn index_add<K: std::hash::Hash + Eq>(index: &mut Index<K>, key: K, t: Thumbprint) {
    index.entry(key).or_default().insert(t);
}

fn index_remove<K: std::hash::Hash + Eq>(index: &mut Index<K>, key: K, t: &Thumbprint) {
    if let Some(set) = index.get_mut(&key) {
        set.remove(t);
        if set.is_empty() {
            index.remove(&key);
        }
    }
}

/// A copy of a key (through its PKCS#8 encoding; the intermediate DER is zeroized).
/// The stored key handed out (or a key taken in): a clone of the handle, sharing the decoded
/// material (no PKCS#8 round trip, no RSA precomputation; the RSA blinding state is shared).
fn copy_key(key: &PrivateKey) -> Result<PrivateKey> {
    Ok(key.clone())
}

impl State {
    fn insert_cert(&mut self, entry: Arc<Entry>) {
        let c = &entry.cert;
        let t = *c.thumbprint();
        index_add(&mut self.by_subject, c.subject_der().to_vec(), t);
        if let Some(ski) = c.subject_key_id() {
            index_add(&mut self.by_ski, ski.to_vec(), t);
        }
        index_add(
            &mut self.by_issuer_serial,
            (c.issuer_der().to_vec(), c.serial().clone()),
            t,
        );
        for e in c.emails() {
            index_add(&mut self.by_email, e.clone(), t);
        }
        self.certs.insert(t, entry);
    }

    fn remove_cert(&mut self, t: &Thumbprint) -> Option<Arc<Entry>> {
        let entry = self.certs.remove(t)?;
        let c = &entry.cert;
        index_remove(&mut self.by_subject, c.subject_der().to_vec(), t);
        if let Some(ski) = c.subject_key_id() {
            index_remove(&mut self.by_ski, ski.to_vec(), t);
        }
        index_remove(
            &mut self.by_issuer_serial,
            (c.issuer_der().to_vec(), c.serial().clone()),
            t,
        );
        for e in c.emails() {
            index_remove(&mut self.by_email, e.clone(), t);
        }
        Some(entry)
    }

    /// Whether the user or domain of `scope` is stored (global always is).
    fn scope_exists(&self, scope: &SettingScope) -> bool {
        match scope {
            SettingScope::Global => true,
            SettingScope::Domain(d) => self.domains.contains(d),
            SettingScope::User(u) => self.users.contains(u),
        }
    }

    /// The `(key, value)` pairs stored at `scope`, in key order.
    fn scope_settings(&self, scope: &SettingScope) -> Vec<(String, String)> {
        self.settings
            .range((scope.clone(), String::new())..)
            .take_while(|((s, _), _)| s == scope)
            .map(|((_, k), v)| (k.clone(), v.clone()))
            .collect()
    }

    fn collect(&self, set: Option<&BTreeSet<Thumbprint>>) -> Vec<Certificate> {
        set.into_iter()
            .flatten()
            .filter_map(|t| self.certs.get(t))
            .map(|e| e.cert.clone())
            .collect()
    }
}

impl ReadTransaction for State {
    fn certificate(&self, thumbprint: &Thumbprint) -> Result<Option<Certificate>> {
        Ok(self.certs.get(thumbprint).map(|e| e.cert.clone()))
    }

    fn certificates_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        Ok(self.collect(self.by_subject.get(subject_der)))
    }

    fn certificates_by_subject_key_id(&self, ski: &[u8]) -> Result<Vec<Certificate>> {
        Ok(self.collect(self.by_ski.get(ski)))
    }

    fn certificate_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Option<Certificate>> {
        let key = (issuer_der.to_vec(), serial.clone());
        Ok(self
            .collect(self.by_issuer_serial.get(&key))
            .into_iter()
            .next())
    }

    fn certificates_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Vec<Certificate>> {
        let key = (issuer_der.to_vec(), serial.clone());
        Ok(self.collect(self.by_issuer_serial.get(&key)))
    }

    fn certificates_by_email(&self, email: &str) -> Result<Vec<Certificate>> {
        let email = normalize_query_email(email)?;
        Ok(self.collect(self.by_email.get(&email)))
    }

    fn list_certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>> {
        let email = filter.normalized_email()?;
        let candidates: Box<dyn Iterator<Item = &Arc<Entry>>> = match &email {
            Some(e) => Box::new(
                self.by_email
                    .get(e)
                    .into_iter()
                    .flatten()
                    .filter_map(|t| self.certs.get(t)),
            ),
            None => Box::new(self.certs.values()),
        };
        let expiry = filter.get_expiry();
        let with_key = filter.get_with_key();
        let offset = usize::try_from(filter.get_offset()).unwrap_or(usize::MAX);
        let limit = filter
            .get_limit()
            .map_or(usize::MAX, |l| usize::try_from(l).unwrap_or(usize::MAX));
        Ok(candidates
            .filter(|e| expiry.accepts(e.cert.not_after()))
            .filter(|e| with_key.is_none_or(|w| self.keys.contains_key(&e.key_id) == w))
            .skip(offset)
            .take(limit)
            .map(|e| e.cert.clone())
            .collect())
    }

    fn count_certificates(&self) -> Result<u64> {
        Ok(self.certs.len() as u64)
    }

    fn key(&self, id: &KeyId) -> Result<Option<PrivateKey>> {
        self.keys.get(id).map(|k| copy_key(k)).transpose()
    }

    fn has_key(&self, id: &KeyId) -> Result<bool> {
        Ok(self.keys.contains_key(id))
    }

    fn key_ids(&self) -> Result<Vec<KeyId>> {
        let mut ids: Vec<KeyId> = self.keys.keys().copied().collect();
        ids.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        Ok(ids)
    }

    fn key_for_certificate(&self, thumbprint: &Thumbprint) -> Result<Option<PrivateKey>> {
        match self.certs.get(thumbprint) {
            Some(e) => self.key(&e.key_id),
            None => Ok(None),
        }
    }

    fn roots(&self) -> Result<Vec<Certificate>> {
        Ok(self.roots.values().map(|c| Certificate::clone(c)).collect())
    }

    fn is_root(&self, thumbprint: &Thumbprint) -> Result<bool> {
        Ok(self.roots.contains_key(thumbprint))
    }

    fn roots_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        Ok(self
            .roots
            .values()
            .filter(|c| c.subject_der() == subject_der)
            .map(|c| (**c).clone())
            .collect())
    }

    fn ca(&self, id: CaId) -> Result<Option<CaRecord>> {
        Ok(self.cas.get(&id).cloned())
    }

    fn ca_by_name(&self, name: &str) -> Result<Option<CaRecord>> {
        let key = ca_name_key(name);
        Ok(self
            .cas
            .values()
            .find(|c| ca_name_key(&c.name) == key)
            .cloned())
    }

    fn cas(&self) -> Result<Vec<CaRecord>> {
        Ok(self.cas.values().cloned().collect())
    }

    fn default_ca(&self) -> Result<Option<CaRecord>> {
        Ok(self.cas.values().find(|c| c.is_default).cloned())
    }

    fn issued(&self, ca: CaId, serial: &Serial) -> Result<Option<IssuedRecord>> {
        Ok(self.issued.get(&(ca, serial.clone())).cloned())
    }

    fn issued_by(&self, ca: CaId) -> Result<Vec<IssuedRecord>> {
        let mut records: Vec<IssuedRecord> = self
            .issued
            .range((ca, Serial::from_bytes(&[]))..)
            .take_while(|((c, _), _)| *c == ca)
            .map(|(_, r)| r.clone())
            .collect();
        // Numeric order: serials have no leading zero bytes, so shorter is smaller.
        records.sort_by(|x, y| {
            let (x, y) = (x.serial.as_bytes(), y.serial.as_bytes());
            x.len().cmp(&y.len()).then_with(|| x.cmp(y))
        });
        Ok(records)
    }

    fn count_issued_by(&self, ca: CaId) -> Result<u64> {
        Ok(self.issued_by(ca)?.len() as u64)
    }

    fn ctl_entry(&self, thumbprint: &Thumbprint) -> Result<Option<CtlEntry>> {
        Ok(self.ctl.get(thumbprint).copied())
    }

    fn ctl_entries(&self) -> Result<Vec<CtlEntry>> {
        Ok(self.ctl.values().copied().collect())
    }

    fn crl(&self, id: CrlId) -> Result<Option<CrlRecord>> {
        Ok(self.crls.get(&id).map(|c| c.record.clone()))
    }

    fn crl_der(&self, id: CrlId) -> Result<Option<Vec<u8>>> {
        Ok(self.crls.get(&id).map(|c| c.der.clone()))
    }

    fn crls(&self) -> Result<Vec<CrlRecord>> {
        Ok(self.crls.values().map(|c| c.record.clone()).collect())
    }

    fn crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>> {
        Ok(self
            .crls
            .values()
            .filter(|c| c.record.issuer_der == issuer_der)
            .map(|c| c.record.clone())
            .collect())
    }

    fn crl_entry(&self, id: CrlId, serial: &Serial) -> Result<Option<RevokedEntry>> {
        Ok(self.crls.get(&id).and_then(|c| c.entries.get(serial)))
    }

    fn crl_entries(&self, id: CrlId) -> Result<CrlEntries> {
        Ok(self
            .crls
            .get(&id)
            .map(|c| c.entries.clone())
            .unwrap_or_default())
    }

    fn ca_crl_number(&self, ca: CaId) -> Result<Option<u64>> {
        Ok(self.crl_numbers.get(&ca).copied())
    }

    fn crl_fetch_state(&self, url: &str) -> Result<Option<CrlFetchState>> {
        Ok(self.crl_fetches.get(url).cloned())
    }

    fn smime_capabilities(&self, thumbprint: &Thumbprint) -> Result<Option<Vec<ObjectIdentifier>>> {
        Ok(self.capabilities.get(thumbprint).cloned())
    }

    fn has_user(&self, user: &EmailAddress) -> Result<bool> {
        Ok(self.users.contains(user))
    }

    fn users(&self) -> Result<Vec<EmailAddress>> {
        Ok(self.users.iter().cloned().collect())
    }

    fn has_domain(&self, domain: &DomainName) -> Result<bool> {
        Ok(self.domains.contains(domain))
    }

    fn domains(&self) -> Result<Vec<DomainName>> {
        Ok(self.domains.iter().cloned().collect())
    }

    fn setting(&self, scope: &SettingScope, key: &str) -> Result<Option<String>> {
        Ok(self
            .settings
            .get(&(scope.clone(), key.to_string()))
            .cloned())
    }

    fn settings(&self, scope: &SettingScope) -> Result<Vec<(String, String)>> {
        Ok(self.scope_settings(scope))
    }

    fn manual_encryption_certificates(&self, user: &EmailAddress) -> Result<Vec<Thumbprint>> {
        Ok(self
            .manual_encryption
            .iter()
            .filter(|(u, _)| u == user)
            .map(|(_, t)| *t)
            .collect())
    }

    fn manual_signing_certificate(&self, user: &EmailAddress) -> Result<Option<Thumbprint>> {
        Ok(self.manual_signing.get(user).copied())
    }

    // --- certificate requests and key lookups (issue 15) ---

    fn certificates_by_key(&self, key: &KeyId) -> Result<Vec<Certificate>> {
        Ok(self
            .certs
            .values()
            .filter(|e| e.key_id == *key)
            .map(|e| e.cert.clone())
            .collect())
    }

    fn request(&self, id: RequestId) -> Result<Option<RequestRecord>> {
        Ok(self.requests.get(&id).cloned())
    }

    fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>> {
        Ok(self
            .requests
            .values()
            .filter(|r| status.is_none_or(|s| r.status == s))
            .cloned()
            .collect())
    }

    fn requests_by_key(&self, key: &KeyId) -> Result<Vec<RequestRecord>> {
        Ok(self
            .requests
            .values()
            .filter(|r| r.key_id.as_ref() == Some(key))
            .cloned()
            .collect())
    }
}

/// One step to take back when a transaction does not commit.
enum Undo {
    RemoveCert(Thumbprint),
    RestoreCert(Arc<Entry>),
    RemoveKey(KeyId),
    RestoreKey(KeyId, Arc<PrivateKey>),
    RemoveRoot(Thumbprint),
    RestoreRoot(Thumbprint, Arc<Certificate>),
    /// Put back the CA record as it was (`None`: remove it).
    Ca(CaId, Option<CaRecord>),
    LastCaId(u64),
    Issued((CaId, Serial), Option<IssuedRecord>),
    Ctl(Thumbprint, Option<CtlEntry>),
    Crl(CrlId, Option<Arc<MemCrl>>),
    LastCrlId(u64),
    CrlNumber(CaId, Option<u64>),
    CrlFetch(String, Option<CrlFetchState>),
    Capabilities(Thumbprint, Option<Vec<ObjectIdentifier>>),
    /// Put the user back (`true`) or take it out (`false`).
    User(EmailAddress, bool),
    /// Put the domain back (`true`) or take it out (`false`).
    Domain(DomainName, bool),
    Setting((SettingScope, String), Option<String>),
    /// Put the manual encryption choice back (`true`) or take it out (`false`).
    ManualEncryption((EmailAddress, Thumbprint), bool),
    ManualSigning(EmailAddress, Option<Thumbprint>),
    Request(RequestId, Option<RequestRecord>),
    LastRequestId(u64),
}

/// A write transaction: mutates the state in place and logs how to undo each change. Dropped
/// without commit (closure error or panic), it rolls everything back.
struct MemTx<'a> {
    state: &'a mut State,
    undo: Vec<Undo>,
}

impl Drop for MemTx<'_> {
    fn drop(&mut self) {
        while let Some(step) = self.undo.pop() {
            match step {
                Undo::RemoveCert(t) => {
                    self.state.remove_cert(&t);
                }
                Undo::RestoreCert(e) => self.state.insert_cert(e),
                Undo::RemoveKey(id) => {
                    self.state.keys.remove(&id);
                }
                Undo::RestoreKey(id, k) => {
                    self.state.keys.insert(id, k);
                }
                Undo::RemoveRoot(t) => {
                    self.state.roots.remove(&t);
                }
                Undo::RestoreRoot(t, c) => {
                    self.state.roots.insert(t, c);
                }
                Undo::Ca(id, old) => restore(&mut self.state.cas, id, old),
                Undo::LastCaId(n) => self.state.last_ca_id = n,
                Undo::Issued(k, old) => restore(&mut self.state.issued, k, old),
                Undo::Ctl(t, old) => restore(&mut self.state.ctl, t, old),
                Undo::Crl(id, old) => restore(&mut self.state.crls, id, old),
                Undo::LastCrlId(n) => self.state.last_crl_id = n,
                Undo::CrlNumber(ca, old) => restore(&mut self.state.crl_numbers, ca, old),
                Undo::CrlFetch(url, old) => restore(&mut self.state.crl_fetches, url, old),
                Undo::Capabilities(t, old) => restore(&mut self.state.capabilities, t, old),
                Undo::User(u, present) => {
                    if present {
                        self.state.users.insert(u);
                    } else {
                        self.state.users.remove(&u);
                    }
                }
                Undo::Domain(d, present) => {
                    if present {
                        self.state.domains.insert(d);
                    } else {
                        self.state.domains.remove(&d);
                    }
                }
                Undo::Setting(k, old) => restore(&mut self.state.settings, k, old),
                Undo::ManualEncryption(k, present) => {
                    if present {
                        self.state.manual_encryption.insert(k);
                    } else {
                        self.state.manual_encryption.remove(&k);
                    }
                }
                Undo::ManualSigning(u, old) => restore(&mut self.state.manual_signing, u, old),
                Undo::Request(id, old) => restore(&mut self.state.requests, id, old),
                Undo::LastRequestId(n) => self.state.last_request_id = n,
            }
        }
    }
}

fn restore<K: Ord, V>(map: &mut BTreeMap<K, V>, key: K, old: Option<V>) {
    match old {
        Some(v) => {
            map.insert(key, v);
        }
        None => {
            map.remove(&key);
        }
    }
}

impl MemTx<'_> {
    /// Replaces (or removes, with `None`) a CA record, logging the old value.
    fn write_ca(&mut self, id: CaId, new: Option<CaRecord>) {
        let old = match new {
            Some(r) => self.state.cas.insert(id, r),
            None => self.state.cas.remove(&id),
        };
        self.undo.push(Undo::Ca(id, old));
    }

    /// Removes every setting stored at `scope`, logging each.
    fn clear_settings(&mut self, scope: &SettingScope) {
        for (key, _) in self.state.scope_settings(scope) {
            let k = (scope.clone(), key);
            let old = self.state.settings.remove(&k);
            self.undo.push(Undo::Setting(k, old));
        }
    }
}

impl ReadTransaction for MemTx<'_> {
    fn certificate(&self, thumbprint: &Thumbprint) -> Result<Option<Certificate>> {
        self.state.certificate(thumbprint)
    }

    fn certificates_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.state.certificates_by_subject(subject_der)
    }

    fn certificates_by_subject_key_id(&self, ski: &[u8]) -> Result<Vec<Certificate>> {
        self.state.certificates_by_subject_key_id(ski)
    }

    fn certificate_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Option<Certificate>> {
        self.state.certificate_by_issuer_serial(issuer_der, serial)
    }

    fn certificates_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Vec<Certificate>> {
        self.state.certificates_by_issuer_serial(issuer_der, serial)
    }

    fn certificates_by_email(&self, email: &str) -> Result<Vec<Certificate>> {
        self.state.certificates_by_email(email)
    }

    fn list_certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>> {
        self.state.list_certificates(filter)
    }

    fn count_certificates(&self) -> Result<u64> {
        self.state.count_certificates()
    }

    fn key(&self, id: &KeyId) -> Result<Option<PrivateKey>> {
        self.state.key(id)
    }

    fn has_key(&self, id: &KeyId) -> Result<bool> {
        self.state.has_key(id)
    }

    fn key_ids(&self) -> Result<Vec<KeyId>> {
        self.state.key_ids()
    }

    fn key_for_certificate(&self, thumbprint: &Thumbprint) -> Result<Option<PrivateKey>> {
        self.state.key_for_certificate(thumbprint)
    }

    fn roots(&self) -> Result<Vec<Certificate>> {
        ReadTransaction::roots(&*self.state)
    }

    fn is_root(&self, thumbprint: &Thumbprint) -> Result<bool> {
        self.state.is_root(thumbprint)
    }

    fn roots_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.state.roots_by_subject(subject_der)
    }

    fn ca(&self, id: CaId) -> Result<Option<CaRecord>> {
        self.state.ca(id)
    }

    fn ca_by_name(&self, name: &str) -> Result<Option<CaRecord>> {
        self.state.ca_by_name(name)
    }

    fn cas(&self) -> Result<Vec<CaRecord>> {
        self.state.cas()
    }

    fn default_ca(&self) -> Result<Option<CaRecord>> {
        self.state.default_ca()
    }

    fn issued(&self, ca: CaId, serial: &Serial) -> Result<Option<IssuedRecord>> {
        self.state.issued(ca, serial)
    }

    fn issued_by(&self, ca: CaId) -> Result<Vec<IssuedRecord>> {
        self.state.issued_by(ca)
    }

    fn count_issued_by(&self, ca: CaId) -> Result<u64> {
        self.state.count_issued_by(ca)
    }

    fn ctl_entry(&self, thumbprint: &Thumbprint) -> Result<Option<CtlEntry>> {
        self.state.ctl_entry(thumbprint)
    }

    fn ctl_entries(&self) -> Result<Vec<CtlEntry>> {
        self.state.ctl_entries()
    }

    fn crl(&self, id: CrlId) -> Result<Option<CrlRecord>> {
        self.state.crl(id)
    }

    fn crl_der(&self, id: CrlId) -> Result<Option<Vec<u8>>> {
        self.state.crl_der(id)
    }

    fn crls(&self) -> Result<Vec<CrlRecord>> {
        self.state.crls()
    }

    fn crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>> {
        self.state.crls_by_issuer(issuer_der)
    }

    fn crl_entry(&self, id: CrlId, serial: &Serial) -> Result<Option<RevokedEntry>> {
        self.state.crl_entry(id, serial)
    }

    fn crl_entries(&self, id: CrlId) -> Result<CrlEntries> {
        self.state.crl_entries(id)
    }

    fn ca_crl_number(&self, ca: CaId) -> Result<Option<u64>> {
        self.state.ca_crl_number(ca)
    }

    fn crl_fetch_state(&self, url: &str) -> Result<Option<CrlFetchState>> {
        self.state.crl_fetch_state(url)
    }

    fn smime_capabilities(&self, thumbprint: &Thumbprint) -> Result<Option<Vec<ObjectIdentifier>>> {
        self.state.smime_capabilities(thumbprint)
    }

    fn has_user(&self, user: &EmailAddress) -> Result<bool> {
        self.state.has_user(user)
    }

    fn users(&self) -> Result<Vec<EmailAddress>> {
        self.state.users()
    }

    fn has_domain(&self, domain: &DomainName) -> Result<bool> {
        self.state.has_domain(domain)
    }

    fn domains(&self) -> Result<Vec<DomainName>> {
        self.state.domains()
    }

    fn setting(&self, scope: &SettingScope, key: &str) -> Result<Option<String>> {
        self.state.setting(scope, key)
    }

    fn settings(&self, scope: &SettingScope) -> Result<Vec<(String, String)>> {
        self.state.settings(scope)
    }

    fn manual_encryption_certificates(&self, user: &EmailAddress) -> Result<Vec<Thumbprint>> {
        self.state.manual_encryption_certificates(user)
    }

    fn manual_signing_certificate(&self, user: &EmailAddress) -> Result<Option<Thumbprint>> {
        self.state.manual_signing_certificate(user)
    }

    // --- certificate requests and key lookups (issue 15) ---

    fn certificates_by_key(&self, key: &KeyId) -> Result<Vec<Certificate>> {
        self.state.certificates_by_key(key)
    }

    fn request(&self, id: RequestId) -> Result<Option<RequestRecord>> {
        self.state.request(id)
    }

    fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>> {
        self.state.requests(status)
    }

    fn requests_by_key(&self, key: &KeyId) -> Result<Vec<RequestRecord>> {
        self.state.requests_by_key(key)
    }
}

impl Transaction for MemTx<'_> {
    fn put_certificate(&mut self, cert: &Certificate) -> Result<bool> {
        let t = *cert.thumbprint();
        if self.state.certs.contains_key(&t) {
            return Ok(false);
        }
        let entry = Arc::new(Entry {
            cert: cert.clone(),
            key_id: KeyId::of_public_key_der(cert.public_key_der()),
        });
        self.state.insert_cert(entry);
        self.undo.push(Undo::RemoveCert(t));
        Ok(true)
    }

    fn delete_certificate(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        match self.state.remove_cert(thumbprint) {
            Some(e) => {
                self.undo.push(Undo::RestoreCert(e));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn put_key(&mut self, key: &PrivateKey) -> Result<KeyId> {
        let id = key.key_id();
        if let std::collections::hash_map::Entry::Vacant(slot) = self.state.keys.entry(id) {
            slot.insert(Arc::new(copy_key(key)?));
            self.undo.push(Undo::RemoveKey(id));
        }
        Ok(id)
    }

    fn delete_key(&mut self, id: &KeyId) -> Result<bool> {
        match self.state.keys.remove(id) {
            Some(k) => {
                self.undo.push(Undo::RestoreKey(*id, k));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn put_root(&mut self, cert: &Certificate) -> Result<bool> {
        let t = *cert.thumbprint();
        if self.state.roots.contains_key(&t) {
            return Ok(false);
        }
        self.state.roots.insert(t, Arc::new(cert.clone()));
        self.undo.push(Undo::RemoveRoot(t));
        Ok(true)
    }

    fn delete_root(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        match self.state.roots.remove(thumbprint) {
            Some(c) => {
                self.undo.push(Undo::RestoreRoot(*thumbprint, c));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn insert_ca(&mut self, ca: &NewCa) -> Result<CaId> {
        if self.state.ca_by_name(&ca.name)?.is_some() {
            return Err(duplicate_ca_name(&ca.name));
        }
        if let Some(parent) = ca.parent
            && !self.state.cas.contains_key(&parent)
        {
            return Err(unknown_ca(parent));
        }
        let id = CaId::new(self.state.last_ca_id + 1)?;
        self.undo.push(Undo::LastCaId(self.state.last_ca_id));
        self.state.last_ca_id = id.get();
        let record = CaRecord {
            id,
            name: ca.name.clone(),
            certificate: ca.certificate,
            parent: ca.parent,
            is_default: false,
            imported: ca.imported,
            created: ca.created,
        };
        self.write_ca(id, Some(record));
        Ok(id)
    }

    fn set_ca_certificate(&mut self, id: CaId, certificate: &Thumbprint) -> Result<()> {
        let mut record = self.state.ca(id)?.ok_or_else(|| unknown_ca(id))?;
        record.certificate = *certificate;
        self.write_ca(id, Some(record));
        Ok(())
    }

    fn set_default_ca(&mut self, id: CaId) -> Result<()> {
        if !self.state.cas.contains_key(&id) {
            return Err(unknown_ca(id));
        }
        let changes: Vec<CaRecord> = self
            .state
            .cas
            .values()
            .filter(|c| c.is_default != (c.id == id))
            .cloned()
            .collect();
        for mut c in changes {
            c.is_default = c.id == id;
            self.write_ca(c.id, Some(c));
        }
        Ok(())
    }

    fn delete_ca(&mut self, id: CaId) -> Result<bool> {
        if !self.state.cas.contains_key(&id) {
            return Ok(false);
        }
        if self.state.count_issued_by(id)? > 0 {
            return Err(Error::InvalidArgument(format!(
                "CA {id} still has issued certificates on record"
            )));
        }
        if self.state.cas.values().any(|c| c.parent == Some(id)) {
            return Err(Error::InvalidArgument(format!(
                "CA {id} is the parent of another stored CA"
            )));
        }
        self.write_ca(id, None);
        Ok(true)
    }

    fn insert_issued(&mut self, record: &IssuedRecord) -> Result<()> {
        if !self.state.cas.contains_key(&record.ca) {
            return Err(unknown_ca(record.ca));
        }
        let key = (record.ca, record.serial.clone());
        if self.state.issued.contains_key(&key) {
            return Err(duplicate_serial(record.ca, &record.serial));
        }
        self.state.issued.insert(key.clone(), record.clone());
        self.undo.push(Undo::Issued(key, None));
        Ok(())
    }

    fn delete_issued(&mut self, ca: CaId, serial: &Serial) -> Result<bool> {
        let key = (ca, serial.clone());
        match self.state.issued.remove(&key) {
            Some(old) => {
                self.undo.push(Undo::Issued(key, Some(old)));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn put_ctl_entry(&mut self, entry: &CtlEntry) -> Result<()> {
        let old = self.state.ctl.insert(entry.thumbprint, *entry);
        self.undo.push(Undo::Ctl(entry.thumbprint, old));
        Ok(())
    }

    fn delete_ctl_entry(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        match self.state.ctl.remove(thumbprint) {
            Some(old) => {
                self.undo.push(Undo::Ctl(*thumbprint, Some(old)));
                Ok(true)
            }
            None => Ok(false),
        }
    }
    fn insert_crl(&mut self, crl: &NewCrl, entries: &CrlEntries) -> Result<CrlId> {
        if self
            .state
            .crls
            .values()
            .any(|c| c.record.sha256 == crl.record.sha256)
        {
            return Err(super::records::duplicate_crl());
        }
        let id = CrlId::new(self.state.last_crl_id + 1)?;
        self.undo.push(Undo::LastCrlId(self.state.last_crl_id));
        self.state.last_crl_id = id.get();
        let mut record = crl.record.clone();
        record.id = id;
        let old = self.state.crls.insert(
            id,
            Arc::new(MemCrl {
                record,
                der: crl.der.clone(),
                entries: entries.clone(),
            }),
        );
        self.undo.push(Undo::Crl(id, old));
        Ok(id)
    }

    fn delete_crl(&mut self, id: CrlId) -> Result<bool> {
        match self.state.crls.remove(&id) {
            Some(old) => {
                self.undo.push(Undo::Crl(id, Some(old)));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn set_ca_crl_number(&mut self, ca: CaId, number: u64) -> Result<()> {
        if !self.state.cas.contains_key(&ca) {
            return Err(unknown_ca(ca));
        }
        let old = self.state.crl_numbers.get(&ca).copied();
        super::records::check_crl_number(ca, old, number)?;
        self.state.crl_numbers.insert(ca, number);
        self.undo.push(Undo::CrlNumber(ca, old));
        Ok(())
    }

    fn put_crl_fetch_state(&mut self, state: &CrlFetchState) -> Result<()> {
        let old = self
            .state
            .crl_fetches
            .insert(state.url.clone(), state.clone());
        self.undo.push(Undo::CrlFetch(state.url.clone(), old));
        Ok(())
    }

    fn put_smime_capabilities(
        &mut self,
        thumbprint: &Thumbprint,
        oids: &[ObjectIdentifier],
    ) -> Result<()> {
        let old = self.state.capabilities.insert(*thumbprint, oids.to_vec());
        self.undo.push(Undo::Capabilities(*thumbprint, old));
        Ok(())
    }

    fn put_user(&mut self, user: &EmailAddress) -> Result<bool> {
        let added = self.state.users.insert(user.clone());
        if added {
            self.undo.push(Undo::User(user.clone(), false));
        }
        Ok(added)
    }

    fn delete_user(&mut self, user: &EmailAddress) -> Result<bool> {
        if !self.state.users.contains(user) {
            return Ok(false);
        }
        self.clear_settings(&SettingScope::User(user.clone()));
        for t in self.state.manual_encryption_certificates(user)? {
            self.delete_manual_encryption_certificate(user, &t)?;
        }
        self.set_manual_signing_certificate(user, None)?;
        self.state.users.remove(user);
        self.undo.push(Undo::User(user.clone(), true));
        Ok(true)
    }

    fn put_domain(&mut self, domain: &DomainName) -> Result<bool> {
        let added = self.state.domains.insert(domain.clone());
        if added {
            self.undo.push(Undo::Domain(domain.clone(), false));
        }
        Ok(added)
    }

    fn delete_domain(&mut self, domain: &DomainName) -> Result<bool> {
        if !self.state.domains.contains(domain) {
            return Ok(false);
        }
        self.clear_settings(&SettingScope::Domain(domain.clone()));
        self.state.domains.remove(domain);
        self.undo.push(Undo::Domain(domain.clone(), true));
        Ok(true)
    }

    fn put_setting(&mut self, scope: &SettingScope, key: &str, value: &str) -> Result<()> {
        check_setting_key(key)?;
        check_setting_value(key, value)?;
        if !self.state.scope_exists(scope) {
            return Err(unknown_scope(scope));
        }
        let k = (scope.clone(), key.to_string());
        let old = self.state.settings.insert(k.clone(), value.to_string());
        self.undo.push(Undo::Setting(k, old));
        Ok(())
    }

    fn delete_setting(&mut self, scope: &SettingScope, key: &str) -> Result<bool> {
        let k = (scope.clone(), key.to_string());
        match self.state.settings.remove(&k) {
            Some(old) => {
                self.undo.push(Undo::Setting(k, Some(old)));
                Ok(true)
            }
            None => Ok(false),
        }
    }

    fn put_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool> {
        if !self.state.users.contains(user) {
            return Err(unknown_scope(&SettingScope::User(user.clone())));
        }
        let k = (user.clone(), *thumbprint);
        let added = self.state.manual_encryption.insert(k.clone());
        if added {
            self.undo.push(Undo::ManualEncryption(k, false));
        }
        Ok(added)
    }

    fn delete_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool> {
        let k = (user.clone(), *thumbprint);
        let removed = self.state.manual_encryption.remove(&k);
        if removed {
            self.undo.push(Undo::ManualEncryption(k, true));
        }
        Ok(removed)
    }

    fn set_manual_signing_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: Option<&Thumbprint>,
    ) -> Result<bool> {
        let current = self.state.manual_signing.get(user).copied();
        if current.as_ref() == thumbprint {
            return Ok(false);
        }
        let old = match thumbprint {
            Some(t) => {
                if !self.state.users.contains(user) {
                    return Err(unknown_scope(&SettingScope::User(user.clone())));
                }
                self.state.manual_signing.insert(user.clone(), *t)
            }
            None => self.state.manual_signing.remove(user),
        };
        self.undo.push(Undo::ManualSigning(user.clone(), old));
        Ok(true)
    }

    // --- certificate requests (issue 15) ---

    fn insert_request(&mut self, request: &RequestRecord) -> Result<RequestId> {
        let n = self.state.last_request_id + 1;
        let id = RequestId::new(n)?;
        self.undo
            .push(Undo::LastRequestId(self.state.last_request_id));
        self.state.last_request_id = n;
        let mut record = request.clone();
        record.id = id;
        let old = self.state.requests.insert(id, record);
        self.undo.push(Undo::Request(id, old));
        Ok(id)
    }

    fn update_request(&mut self, request: &RequestRecord) -> Result<()> {
        if !self.state.requests.contains_key(&request.id) {
            return Err(unknown_request(request.id));
        }
        let old = self.state.requests.insert(request.id, request.clone());
        self.undo.push(Undo::Request(request.id, old));
        Ok(())
    }

    fn delete_request(&mut self, id: RequestId) -> Result<bool> {
        let old = self.state.requests.remove(&id);
        let was = old.is_some();
        if was {
            self.undo.push(Undo::Request(id, old));
        }
        Ok(was)
    }
}

#[cfg(test)]
mod tests;
