//! [`copy_store`]: a whole store copied into another, empty one (SQLite → PostgreSQL and back).

use std::collections::BTreeMap;

use super::{
    CaId, CaRecord, CrlEntries, CrlRecord, CtlEntry, DomainName, EmailAddress, IssuedRecord, NewCa,
    NewCrl, ReadTransaction, RequestRecord, SettingScope, Store, StoreExt, Transaction,
};
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::key::PrivateKey;

/// What [`copy_store`] copied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CopyReport {
    /// Certificates (the certificate store).
    pub certificates: u64,
    /// Private keys (unsealed from the source, sealed again under the target's master key).
    pub keys: u64,
    /// Trust anchors.
    pub roots: u64,
    /// Certificate authorities.
    pub cas: u64,
    /// Records of issued certificates.
    pub issued: u64,
    /// CRLs, with their entries.
    pub crls: u64,
    /// Trust list entries.
    pub ctl_entries: u64,
    /// Users.
    pub users: u64,
    /// Domains.
    pub domains: u64,
    /// Settings, at every scope.
    pub settings: u64,
    /// Certificate requests (pending, completed and cancelled).
    pub requests: u64,
    /// CAs whose id differs in the target (the source had gaps in its ids): `(source, target)`.
    pub renumbered_cas: Vec<(CaId, CaId)>,
}

/// One user with what is stored for it.
struct User {
    email: EmailAddress,
    settings: Vec<(String, String)>,
    encryption: Vec<Thumbprint>,
    signing: Option<Thumbprint>,
}

/// Everything a store holds that is copied, read in one consistent view.
struct Snapshot {
    certificates: Vec<Certificate>,
    keys: Vec<PrivateKey>,
    roots: Vec<Certificate>,
    cas: Vec<(CaRecord, Option<u64>)>,
    issued: Vec<IssuedRecord>,
    crls: Vec<(CrlRecord, Vec<u8>, CrlEntries)>,
    ctl: Vec<CtlEntry>,
    global: Vec<(String, String)>,
    domains: Vec<(DomainName, Vec<(String, String)>)>,
    users: Vec<User>,
    requests: Vec<RequestRecord>,
}

fn snapshot(tx: &dyn ReadTransaction) -> Result<Snapshot> {
    let certificates = tx.list_certificates(&super::CertificateFilter::new())?;
    let mut keys = Vec::new();
    for id in tx.key_ids()? {
        keys.push(
            tx.key(&id)?
                .ok_or_else(|| Error::Storage(format!("key {id} vanished while copying")))?,
        );
    }
    let mut cas = Vec::new();
    let mut issued = Vec::new();
    for ca in tx.cas()? {
        issued.extend(tx.issued_by(ca.id)?);
        let number = tx.ca_crl_number(ca.id)?;
        cas.push((ca, number));
    }
    let mut crls = Vec::new();
    for crl in tx.crls()? {
        let der = tx
            .crl_der(crl.id)?
            .ok_or_else(|| Error::Storage(format!("CRL {} has no DER", crl.id)))?;
        let entries = tx.crl_entries(crl.id)?;
        crls.push((crl, der, entries));
    }
    let mut domains = Vec::new();
    for d in tx.domains()? {
        let s = tx.settings(&SettingScope::Domain(d.clone()))?;
        domains.push((d, s));
    }
    let mut users = Vec::new();
    for u in tx.users()? {
        users.push(User {
            settings: tx.settings(&SettingScope::User(u.clone()))?,
            encryption: tx.manual_encryption_certificates(&u)?,
            signing: tx.manual_signing_certificate(&u)?,
            email: u,
        });
    }
    Ok(Snapshot {
        certificates,
        keys,
        roots: tx.roots()?,
        cas,
        issued,
        crls,
        ctl: tx.ctl_entries()?,
        global: tx.settings(&SettingScope::Global)?,
        domains,
        users,
        requests: tx.requests(None)?,
    })
}

/// Whether a store holds nothing at all (no certificate, key, trust anchor, CA, CRL, trust
/// list entry, user, domain or global setting).
pub fn store_is_empty(store: &dyn Store) -> Result<bool> {
    store.read_transaction(is_empty)
}

fn is_empty(tx: &dyn ReadTransaction) -> Result<bool> {
    Ok(tx.count_certificates()? == 0
        && tx.key_ids()?.is_empty()
        && tx.roots()?.is_empty()
        && tx.cas()?.is_empty()
        && tx.crls()?.is_empty()
        && tx.ctl_entries()?.is_empty()
        && tx.users()?.is_empty()
        && tx.domains()?.is_empty()
        && tx.settings(&SettingScope::Global)?.is_empty()
        && tx.requests(None)?.is_empty())
}

fn write(tx: &mut dyn Transaction, s: &Snapshot) -> Result<CopyReport> {
    if !is_empty(tx)? {
        return Err(Error::InvalidArgument(
            "the target store is not empty; copy into a new, empty store (nothing was written)"
                .into(),
        ));
    }
    let mut report = CopyReport::default();
    for c in &s.certificates {
        tx.put_certificate(c)?;
        report.certificates += 1;
    }
    for k in &s.keys {
        tx.put_key(k)?;
        report.keys += 1;
    }
    for r in &s.roots {
        tx.put_root(r)?;
        report.roots += 1;
    }
    // CAs in id order: a parent always has a smaller id than its child.
    let mut ids: BTreeMap<CaId, CaId> = BTreeMap::new();
    let mut default = None;
    for (ca, number) in &s.cas {
        let parent = match ca.parent {
            Some(p) => Some(*ids.get(&p).ok_or_else(|| {
                Error::Storage(format!(
                    "CA {} names a parent CA {p} that is not stored",
                    ca.id
                ))
            })?),
            None => None,
        };
        let id = tx.insert_ca(&NewCa {
            name: ca.name.clone(),
            certificate: ca.certificate,
            parent,
            imported: ca.imported,
            created: ca.created,
        })?;
        if let Some(n) = number {
            tx.set_ca_crl_number(id, *n)?;
        }
        if ca.is_default {
            default = Some(id);
        }
        if id != ca.id {
            report.renumbered_cas.push((ca.id, id));
        }
        ids.insert(ca.id, id);
        report.cas += 1;
    }
    if let Some(id) = default {
        tx.set_default_ca(id)?;
    }
    for r in &s.issued {
        let ca = *ids
            .get(&r.ca)
            .ok_or_else(|| Error::Storage(format!("an issued record names CA {}", r.ca)))?;
        tx.insert_issued(&IssuedRecord { ca, ..r.clone() })?;
        report.issued += 1;
    }
    for (record, der, entries) in &s.crls {
        tx.insert_crl(
            &NewCrl {
                record: record.clone(),
                der: der.clone(),
            },
            entries,
        )?;
        report.crls += 1;
    }
    for e in &s.ctl {
        tx.put_ctl_entry(e)?;
        report.ctl_entries += 1;
    }
    for (key, value) in &s.global {
        tx.put_setting(&SettingScope::Global, key, value)?;
        report.settings += 1;
    }
    for (d, settings) in &s.domains {
        tx.put_domain(d)?;
        report.domains += 1;
        for (key, value) in settings {
            tx.put_setting(&SettingScope::Domain(d.clone()), key, value)?;
            report.settings += 1;
        }
    }
    for u in &s.users {
        tx.put_user(&u.email)?;
        report.users += 1;
        for (key, value) in &u.settings {
            tx.put_setting(&SettingScope::User(u.email.clone()), key, value)?;
            report.settings += 1;
        }
        for t in &u.encryption {
            tx.put_manual_encryption_certificate(&u.email, t)?;
        }
        if let Some(t) = &u.signing {
            tx.set_manual_signing_certificate(&u.email, Some(t))?;
        }
    }
    // Requests in id order: the target numbers them afresh (ids are never reused, so a source
    // with gaps gets other ids).
    for r in &s.requests {
        tx.insert_request(r)?;
        report.requests += 1;
    }
    Ok(report)
}

/// Copies everything `from` holds into `to`, which must be empty, in one transaction of `to`:
/// either everything is copied or nothing is written.
///
/// Copied: certificates, private keys (unsealed with the source's master key and sealed again
/// under the target's), trust anchors, CAs (with their default flag and last CRL number),
/// issued records (serial numbers unchanged), CRLs with their entries, the trust list, users
/// with their settings and manual certificate selections, domains with their settings, and
/// global settings, and certificate requests (numbered afresh). Not copied: the CRL distribution point fetch history and the S/MIME
/// capabilities announced by correspondents (both are caches, rebuilt as mail flows). CA ids
/// are kept when the source has no gaps in them; otherwise [`CopyReport::renumbered_cas`] says
/// which changed.
///
/// Errors: [`Error::InvalidArgument`] when the target is not empty; any error of either store.
pub fn copy_store(from: &dyn Store, to: &dyn Store) -> Result<CopyReport> {
    let snapshot = from.read_transaction(snapshot)?;
    to.transaction(|tx| write(tx, &snapshot))
}
