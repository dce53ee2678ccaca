//! Reading the selection: encryption certificates of a recipient, the signing certificate of
//! a sender.

use std::time::SystemTime;

use super::{EncryptionSelection, Exclusion, LeftOut, Selected, Why};
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::key::KeyId;
use crate::settings::{self, SettingKey};
use crate::store::{EmailAddress, ReadTransaction, SettingScope};
use crate::trust::{LeafPolicy, Validation, ValidationOptions, Validator};

/// Validates `cert` for `leaf` at `at` with the store's revocation setting.
fn judge(
    tx: &dyn ReadTransaction,
    cert: &Certificate,
    options: &ValidationOptions,
) -> Result<Option<Exclusion>> {
    Ok(match Validator::new(tx).validate(cert, options)? {
        Validation::Valid { .. } => None,
        Validation::Invalid { reasons } => Some(Exclusion::Invalid(reasons)),
    })
}

fn options(
    tx: &dyn ReadTransaction,
    at: SystemTime,
    leaf: LeafPolicy,
) -> Result<ValidationOptions> {
    Ok(ValidationOptions::new(at, leaf).revocation(settings::revocation_mode(tx)?))
}

/// The effective `auto-select` of a user.
pub(super) fn auto_select(tx: &dyn ReadTransaction, user: &EmailAddress) -> Result<bool> {
    settings::effective(
        tx,
        &SettingScope::User(user.clone()),
        SettingKey::AutoSelect,
    )?
    .value
    .as_flag()
    .ok_or_else(|| Error::Storage("the auto-select setting did not come back as on/off".into()))
}

/// The effective `additional-certificates` of a user, each with the most specific level
/// that names it, in the setting's order.
pub(super) fn additional(
    tx: &dyn ReadTransaction,
    user: &EmailAddress,
) -> Result<Vec<(Thumbprint, settings::Source)>> {
    let e = settings::effective(
        tx,
        &SettingScope::User(user.clone()),
        SettingKey::AdditionalCertificates,
    )?;
    let mut out: Vec<(Thumbprint, settings::Source)> = Vec::new();
    for (source, value) in &e.levels {
        for t in value.as_thumbprints().unwrap_or_default() {
            if !out.iter().any(|(o, _)| o == t) {
                out.push((*t, *source));
            }
        }
    }
    Ok(out)
}

/// Collects the selection, each thumbprint once (the first way it was considered wins).
struct Collector {
    selected: Vec<Selected>,
    left_out: Vec<LeftOut>,
}

impl Collector {
    fn seen(&self, t: &Thumbprint) -> bool {
        self.selected
            .iter()
            .any(|s| s.certificate.thumbprint() == t)
            || self.left_out.iter().any(|l| &l.thumbprint == t)
    }

    fn leave_out(&mut self, t: Thumbprint, cert: Option<Certificate>, why: Why, ex: Exclusion) {
        self.left_out.push(LeftOut {
            thumbprint: t,
            certificate: cert,
            why,
            exclusion: ex,
        });
    }

    /// Considers a stored certificate: selected when valid, else left out with the reasons.
    fn consider(
        &mut self,
        tx: &dyn ReadTransaction,
        cert: Certificate,
        why: Why,
        options: &ValidationOptions,
    ) -> Result<()> {
        let t = *cert.thumbprint();
        if self.seen(&t) {
            return Ok(());
        }
        match judge(tx, &cert, options)? {
            None => self.selected.push(Selected {
                certificate: cert,
                why,
            }),
            Some(ex) => self.leave_out(t, Some(cert), why, ex),
        }
        Ok(())
    }

    /// Considers a certificate named by thumbprint.
    fn consider_named(
        &mut self,
        tx: &dyn ReadTransaction,
        t: Thumbprint,
        why: Why,
        options: &ValidationOptions,
    ) -> Result<()> {
        if self.seen(&t) {
            return Ok(());
        }
        match tx.certificate(&t)? {
            Some(cert) => self.consider(tx, cert, why, options),
            None => {
                self.leave_out(t, None, why, Exclusion::NotStored);
                Ok(())
            }
        }
    }
}

/// The certificates to encrypt to for `recipient` at time `at`: the manual choices valid for
/// S/MIME encryption, every valid certificate carrying the address when the effective
/// `auto-select` is on, and the effective `additional-certificates` (user, domain and global
/// lists added up), each validated with the store's revocation setting. Each certificate
/// appears once, with the first reason (manual, automatic, additional); the ones considered
/// and not selected are in [`EncryptionSelection::left_out`] with why. The recipient need not
/// be a stored user.
pub fn encryption_certificates(
    tx: &dyn ReadTransaction,
    recipient: &EmailAddress,
    at: SystemTime,
) -> Result<EncryptionSelection> {
    let options = options(tx, at, LeafPolicy::SmimeEncryption)?;
    let auto = auto_select(tx, recipient)?;
    let mut c = Collector {
        selected: Vec::new(),
        left_out: Vec::new(),
    };
    for t in tx.manual_encryption_certificates(recipient)? {
        c.consider_named(tx, t, Why::Manual, &options)?;
    }
    let own = tx.certificates_by_email(recipient.as_str())?;
    for cert in own {
        if auto {
            c.consider(tx, cert, Why::Automatic, &options)?;
        } else if !c.seen(cert.thumbprint()) {
            c.leave_out(
                *cert.thumbprint(),
                Some(cert),
                Why::Automatic,
                Exclusion::AutoSelectOff,
            );
        }
    }
    for (t, source) in additional(tx, recipient)? {
        // An additional certificate that auto-select-off left out is still selected.
        if let Some(i) = c
            .left_out
            .iter()
            .position(|l| l.thumbprint == t && l.exclusion == Exclusion::AutoSelectOff)
        {
            c.left_out.remove(i);
        }
        c.consider_named(tx, t, Why::Additional { source }, &options)?;
    }
    Ok(EncryptionSelection {
        recipient: recipient.clone(),
        auto_select: auto,
        selected: c.selected,
        left_out: c.left_out,
    })
}

/// Whether the private key of `cert` is stored.
pub(super) fn has_key(tx: &dyn ReadTransaction, cert: &Certificate) -> Result<bool> {
    tx.has_key(&KeyId::of_public_key_der(cert.public_key_der()))
}

/// The certificate that signs for `sender` at time `at`: the manual choice while it is
/// stored, valid for S/MIME signing (with the store's revocation setting) and its private key
/// is stored ([`Why::Manual`]); else, among the stored certificates carrying the address that
/// are valid for signing and whose key is stored, the one with the latest notBefore (ties:
/// the later notAfter, then the lower thumbprint) ([`Why::Automatic`]). `None` when no
/// certificate qualifies.
pub fn signing_certificate(
    tx: &dyn ReadTransaction,
    sender: &EmailAddress,
    at: SystemTime,
) -> Result<Option<Selected>> {
    let options = options(tx, at, LeafPolicy::SmimeSigning)?;
    if let Some(t) = tx.manual_signing_certificate(sender)?
        && let Some(cert) = tx.certificate(&t)?
        && has_key(tx, &cert)?
        && judge(tx, &cert, &options)?.is_none()
    {
        return Ok(Some(Selected {
            certificate: cert,
            why: Why::Manual,
        }));
    }
    let mut best: Option<Certificate> = None;
    for cert in tx.certificates_by_email(sender.as_str())? {
        if !has_key(tx, &cert)? || judge(tx, &cert, &options)?.is_some() {
            continue;
        }
        let better = match &best {
            None => true,
            Some(b) => {
                (
                    cert.not_before(),
                    cert.not_after(),
                    std::cmp::Reverse(cert.thumbprint()),
                ) > (
                    b.not_before(),
                    b.not_after(),
                    std::cmp::Reverse(b.thumbprint()),
                )
            }
        };
        if better {
            best = Some(cert);
        }
    }
    Ok(best.map(|certificate| Selected {
        certificate,
        why: Why::Automatic,
    }))
}
