//! Making CRLs for the store's CAs: [`CertificateAuthority::create_crl`].

use std::collections::BTreeMap;
use std::time::SystemTime;

use der::asn1::{AnyRef, BitString, OctetString};
use der::{Encode, Sequence};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::{Extension, Extensions};
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::Time;

use super::sign::{extension, scheme_for};
use super::{CertificateAuthority, hash_of, require_ca, stored_certificate, stored_key};
use crate::cert::{Certificate, Serial, oid};
use crate::crl::{Crl, RevocationReason, store_own_crl};
use crate::error::{Error, Result};
use crate::key::{HashAlg, Signer, algorithm_identifier};
use crate::store::{CaId, CrlId, CrlRecord, ReadTransaction, RevokedEntry, Store, StoreExt};
use crate::time::{Clock, add_days, from_unix_seconds, unix_seconds};

/// One certificate to put on a CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    serial: Serial,
    reason: Option<RevocationReason>,
    date: Option<SystemTime>,
    external: bool,
}

impl Revocation {
    /// Revokes `serial` now, without a reason code. The CA must have issued it.
    pub fn new(serial: Serial) -> Self {
        Revocation {
            serial,
            reason: None,
            date: None,
            external: false,
        }
    }

    /// The CRL reason (not removeFromCRL, which only delta CRLs carry).
    pub fn reason(mut self, reason: RevocationReason) -> Self {
        self.reason = Some(reason);
        self
    }

    /// The revocation date (default: the CRL's thisUpdate).
    pub fn date(mut self, date: SystemTime) -> Self {
        self.date = Some(date);
        self
    }

    /// The serial was not issued through this store (issued before the CA was imported, or by
    /// another tool with the same CA key): revoke it without checking the CA's records.
    pub fn external(mut self, yes: bool) -> Self {
        self.external = yes;
        self
    }
}

/// What [`CertificateAuthority::create_crl`] makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrlSpec {
    ca: CaId,
    revoke: Vec<Revocation>,
    next_update_days: u32,
    hash: Option<HashAlg>,
    only_these: bool,
}

impl CrlSpec {
    /// A CRL for CA `ca`: carries forward everything the CA's current CRL revokes, next update
    /// in 7 days, the hash of the CA's own certificate signature.
    pub fn new(ca: CaId) -> Self {
        CrlSpec {
            ca,
            revoke: Vec::new(),
            next_update_days: 7,
            hash: None,
            only_these: false,
        }
    }

    /// Revokes `serial` (as typed by an admin: [`Serial::from_hex`]).
    pub fn revoke(mut self, serial: Serial) -> Self {
        self.revoke.push(Revocation::new(serial));
        self
    }

    /// Revokes a certificate.
    pub fn revoke_certificate(self, cert: &Certificate) -> Self {
        self.revoke(cert.serial().clone())
    }

    /// Adds an entry with its reason, date or external flag.
    pub fn revocation(mut self, entry: Revocation) -> Self {
        self.revoke.push(entry);
        self
    }

    /// Next update in this many days from now (1 to 3650; default 7).
    pub fn next_update_days(mut self, days: u32) -> Self {
        self.next_update_days = days;
        self
    }

    /// The signature hash (SHA-1 is refused).
    pub fn hash(mut self, hash: HashAlg) -> Self {
        self.hash = Some(hash);
        self
    }

    /// `true`: a new CRL with only the serials given here ("new with only these"); `false`
    /// (the default, "update existing"): the CA's current CRL's entries are carried forward
    /// so a revoked certificate stays revoked.
    pub fn only_these(mut self, yes: bool) -> Self {
        self.only_these = yes;
        self
    }
}

/// A CRL made by [`CertificateAuthority::create_crl`], already in the CRL store.
#[derive(Debug, Clone)]
pub struct CreatedCrl {
    id: CrlId,
    number: u64,
    crl: Crl,
}

impl CreatedCrl {
    /// Its id in the CRL store.
    pub fn id(&self) -> CrlId {
        self.id
    }

    /// Its CRL number.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The CRL.
    pub fn crl(&self) -> &Crl {
        &self.crl
    }

    /// DER.
    pub fn der(&self) -> &[u8] {
        self.crl.der()
    }

    /// PEM (`X509 CRL`).
    pub fn to_pem(&self) -> Result<String> {
        der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, self.crl.der())
            .map_err(|e| Error::Crypto(format!("cannot encode the CRL as PEM: {e}")))
    }
}

#[derive(Sequence)]
struct EntryDer {
    serial: SerialNumber,
    date: Time,
    #[asn1(optional = "true")]
    extensions: Option<Extensions>,
}

#[derive(Sequence)]
struct TbsCrlDer<'a> {
    version: u8,
    signature: AlgorithmIdentifierOwned,
    issuer: AnyRef<'a>,
    this_update: Time,
    next_update: Time,
    #[asn1(optional = "true")]
    revoked: Option<Vec<EntryDer>>,
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT")]
    extensions: Extensions,
}

#[derive(Sequence)]
struct SignedDer<'a> {
    tbs: AnyRef<'a>,
    algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
}

fn encoding(e: der::Error) -> Error {
    Error::Crypto(format!("cannot encode the CRL: {e}"))
}

fn time(t: SystemTime) -> Result<Time> {
    Time::try_from(t).map_err(|e| Error::InvalidArgument(format!("time out of range: {e}")))
}

/// The CRL number as a DER INTEGER value.
fn crl_number(n: u64) -> Result<der::asn1::Uint> {
    der::asn1::Uint::new(&n.to_be_bytes()).map_err(encoding)
}

/// Extensions added to a CRL besides the AKI and CRL number (tests make delta CRLs, scoped
/// CRLs and CRLs with unknown critical extensions with it).
#[derive(Debug, Default, Clone)]
pub(crate) struct CrlExtras {
    /// More crlExtensions.
    pub crl_extensions: Vec<Extension>,
    /// crlEntryExtensions added to every entry.
    pub entry_extensions: Vec<Extension>,
}

/// Encodes and signs a CRL.
#[allow(clippy::too_many_arguments)]
pub(crate) fn sign_crl(
    ca_cert: &Certificate,
    signer: &dyn Signer,
    hash: HashAlg,
    number: u64,
    this_update: SystemTime,
    next_update: SystemTime,
    entries: &[RevokedEntry],
    extras: &CrlExtras,
) -> Result<Crl> {
    let scheme = scheme_for(&signer.algorithm(), hash)?;
    let algorithm = algorithm_identifier(scheme)?;
    let ski = ca_cert.subject_key_id().ok_or_else(|| {
        Error::InvalidArgument(format!(
            "the CA certificate \"{}\" has no subjectKeyIdentifier to name in the CRL",
            ca_cert.subject()
        ))
    })?;
    // AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0] IMPLICIT OCTET STRING }: the
    // issuing CA's own SKI (not its certificate's AKI, which names the CA above).
    let mut aki = vec![0x30, 0x00, 0x80];
    let ski_len = u8::try_from(ski.len())
        .map_err(|_| Error::InvalidArgument("the CA's subjectKeyIdentifier is too long".into()))?;
    aki.push(ski_len);
    aki.extend_from_slice(ski);
    aki[1] = u8::try_from(aki.len() - 2)
        .map_err(|_| Error::InvalidArgument("the CA's subjectKeyIdentifier is too long".into()))?;
    let mut extensions = vec![
        Extension {
            extn_id: oid::CE_AUTHORITY_KEY_ID,
            critical: false,
            extn_value: OctetString::new(aki).map_err(encoding)?,
        },
        extension(oid::CE_CRL_NUMBER, false, &crl_number(number)?)?,
    ];
    extensions.extend(extras.crl_extensions.iter().cloned());
    let mut revoked = Vec::with_capacity(entries.len());
    for e in entries {
        let mut exts = extras.entry_extensions.clone();
        if let Some(r) = e.reason.and_then(RevocationReason::from_code) {
            exts.push(extension(
                oid::CE_CRL_REASON,
                false,
                &der::asn1::AnyRef::new(der::Tag::Enumerated, &[r.code()]).map_err(encoding)?,
            )?);
        }
        let extensions = (!exts.is_empty()).then_some(exts);
        revoked.push(EntryDer {
            serial: SerialNumber::new(e.serial.as_bytes()).map_err(encoding)?,
            date: time(e.date)?,
            extensions,
        });
    }
    let tbs = TbsCrlDer {
        version: 1,
        signature: algorithm.clone(),
        issuer: AnyRef::try_from(ca_cert.subject_der()).map_err(encoding)?,
        this_update: time(this_update)?,
        next_update: time(next_update)?,
        revoked: (!revoked.is_empty()).then_some(revoked),
        extensions,
    }
    .to_der()
    .map_err(encoding)?;
    let signature = signer.sign(scheme, &tbs)?;
    let der = SignedDer {
        tbs: AnyRef::try_from(tbs.as_slice()).map_err(encoding)?,
        algorithm,
        signature: BitString::from_bytes(&signature).map_err(encoding)?,
    }
    .to_der()
    .map_err(encoding)?;
    Crl::from_der(&der)
}

/// The valid full-scope complete CRLs signed with `ca_cert`'s key, newest first.
fn own_crls(tx: &dyn ReadTransaction, ca_cert: &Certificate) -> Result<Vec<CrlRecord>> {
    Ok(crate::crl::valid_crls_of(tx, ca_cert)?
        .into_iter()
        .filter(|r| r.scope.is_empty() && r.delta_base.is_none())
        .collect())
}

/// Whole seconds (what a CRL can hold).
fn whole_seconds(t: SystemTime) -> SystemTime {
    from_unix_seconds(unix_seconds(t))
}

impl<S: Store + ?Sized> CertificateAuthority<'_, S> {
    /// Makes, signs and stores a CRL for CA `spec`'s CA: the next CRL number (strictly
    /// greater than any the CA used), thisUpdate from `clock`, nextUpdate that many days
    /// later, an authorityKeyIdentifier equal to the CA's own subjectKeyIdentifier. By default
    /// every serial the CA's current CRL revokes is carried forward. The CRL, the CA's new CRL
    /// number and the replacement of its previous CRL are one transaction.
    ///
    /// Errors: [`Error::NotFound`] for an unknown CA, or a serial the CA never issued (unless
    /// the entry is [`Revocation::external`]); [`Error::InvalidArgument`] for a next update
    /// outside 1..=3650 days or a removeFromCRL reason; [`Error::Weak`] for SHA-1.
    pub fn create_crl(&self, spec: &CrlSpec, clock: &dyn Clock) -> Result<CreatedCrl> {
        if !(1..=3650).contains(&spec.next_update_days) {
            return Err(Error::InvalidArgument(format!(
                "next update in {} days: use 1 to 3650 days",
                spec.next_update_days
            )));
        }
        if spec
            .revoke
            .iter()
            .any(|r| r.reason == Some(RevocationReason::RemoveFromCrl))
        {
            return Err(Error::InvalidArgument(
                "removeFromCRL is for delta CRLs only; leave the serial off the new CRL instead"
                    .into(),
            ));
        }
        let now = whole_seconds(clock.now());
        let next_update = add_days(now, i64::from(spec.next_update_days));
        self.store.transaction(|tx| {
            let ca = require_ca(tx, spec.ca)?;
            let ca_cert = stored_certificate(tx, &ca)?;
            let ca_key = stored_key(tx, &ca)?;
            let hash = spec.hash.unwrap_or_else(|| hash_of(&ca_cert));
            let mut entries: BTreeMap<Serial, RevokedEntry> = BTreeMap::new();
            let current = own_crls(tx, &ca_cert)?;
            if !spec.only_these
                && let Some(newest) = current.first()
            {
                for e in tx.crl_entries(newest.id)?.iter() {
                    entries.insert(e.serial.clone(), e);
                }
            }
            for r in &spec.revoke {
                if !r.external && tx.issued(ca.id, &r.serial)?.is_none() {
                    return Err(Error::NotFound(format!(
                        "CA {} ({}) never issued serial number {}; to revoke a certificate \
                         issued elsewhere with this CA's key, mark the entry external",
                        ca.id, ca.name, r.serial
                    )));
                }
                entries
                    .entry(r.serial.clone())
                    .or_insert_with(|| RevokedEntry {
                        serial: r.serial.clone(),
                        date: whole_seconds(r.date.unwrap_or(now)),
                        reason: r.reason.map(RevocationReason::code),
                    });
            }
            // Above the CA's counter and above any CRL of its key already stored (an imported
            // CA may come with CRLs made elsewhere).
            let stored_max = current
                .iter()
                .filter_map(|r| r.number.as_deref())
                .filter_map(|n| {
                    let n = Serial::from_bytes(n);
                    let b = n.as_bytes();
                    (b.len() <= 8).then(|| {
                        let mut buf = [0u8; 8];
                        buf[8 - b.len()..].copy_from_slice(b);
                        u64::from_be_bytes(buf)
                    })
                })
                .max()
                .unwrap_or(0);
            let number = tx
                .ca_crl_number(ca.id)?
                .unwrap_or(0)
                .max(stored_max)
                .checked_add(1)
                .ok_or_else(|| Error::InvalidArgument("the CRL number is exhausted".into()))?;
            let list: Vec<RevokedEntry> = entries.into_values().collect();
            let crl = sign_crl(
                &ca_cert,
                &ca_key,
                hash,
                number,
                now,
                next_update,
                &list,
                &CrlExtras::default(),
            )?;
            tx.set_ca_crl_number(ca.id, number)?;
            let id = store_own_crl(tx, &crl, &ca_cert, now)?;
            Ok(CreatedCrl { id, number, crl })
        })
    }
}
