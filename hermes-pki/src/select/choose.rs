//! Choosing by hand, inside a caller's transaction.

use super::pick::{additional, has_key};
use crate::cert::{Certificate, Thumbprint};
use crate::error::{Error, Result};
use crate::store::{EmailAddress, Transaction};

fn stored(tx: &dyn Transaction, t: &Thumbprint) -> Result<Certificate> {
    tx.certificate(t)?.ok_or_else(|| {
        Error::NotFound(format!(
            "certificate {} is not in the certificate store; import it first",
            t.to_hex()
        ))
    })
}

/// Adds certificates to the encryption certificates chosen by hand for `user` (the user is
/// added to the store if needed). Returns the thumbprints newly chosen (a certificate chosen
/// already is not repeated).
///
/// Errors, with nothing written by this call (the caller's transaction rolls back on `Err`):
/// [`Error::InvalidArgument`] for an empty list, a CA certificate or a certificate whose key
/// usage does not allow encryption; [`Error::NotFound`] for a certificate that is not stored.
/// Validity in time, revocation and the trust list are judged each time the selection is read
/// ([`super::encryption_certificates`]).
pub fn select_encryption(
    tx: &mut dyn Transaction,
    user: &EmailAddress,
    thumbprints: &[Thumbprint],
) -> Result<Vec<Thumbprint>> {
    if thumbprints.is_empty() {
        return Err(Error::InvalidArgument(
            "choose at least one encryption certificate".into(),
        ));
    }
    for t in thumbprints {
        let cert = stored(tx, t)?;
        if cert.is_ca() {
            return Err(Error::InvalidArgument(format!(
                "certificate {} ({}) is a CA certificate; choose an end-user certificate",
                t.to_hex(),
                cert.subject()
            )));
        }
        cert.usable_for_encryption().map_err(|e| {
            Error::InvalidArgument(format!(
                "certificate {} ({}) cannot encrypt: {e}",
                t.to_hex(),
                cert.subject()
            ))
        })?;
    }
    tx.put_user(user)?;
    let mut added = Vec::new();
    for t in thumbprints {
        if tx.put_manual_encryption_certificate(user, t)? && !added.contains(t) {
            added.push(*t);
        }
    }
    Ok(added)
}

/// Removes certificates from the encryption certificates chosen by hand for `user`.
///
/// Only manual choices can be deselected. Errors (nothing is removed, the caller's
/// transaction rolls back): [`Error::InvalidArgument`] for an empty list, for a certificate
/// that is selected automatically (it carries the address: switch `auto-select` off for the
/// user, or blacklist it) or that comes from the `additional-certificates` setting (remove it
/// there); [`Error::NotFound`] for a certificate that is not chosen for the user.
pub fn deselect_encryption(
    tx: &mut dyn Transaction,
    user: &EmailAddress,
    thumbprints: &[Thumbprint],
) -> Result<()> {
    if thumbprints.is_empty() {
        return Err(Error::InvalidArgument(
            "name at least one certificate to deselect".into(),
        ));
    }
    let manual = tx.manual_encryption_certificates(user)?;
    for t in thumbprints {
        if manual.contains(t) {
            continue;
        }
        if let Some(cert) = tx.certificate(t)?
            && cert.has_email(user.as_str())
        {
            return Err(Error::InvalidArgument(format!(
                "certificate {} carries {user} and is selected automatically; it cannot be \
                 deselected: switch auto-select off for {user}, or blacklist the certificate",
                t.to_hex()
            )));
        }
        if let Some((_, source)) = additional(tx, user)?.into_iter().find(|(a, _)| a == t) {
            return Err(Error::InvalidArgument(format!(
                "certificate {} is an additional certificate of the {source} settings; remove \
                 it from additional-certificates there",
                t.to_hex()
            )));
        }
        return Err(Error::NotFound(format!(
            "certificate {} is not chosen for {user}",
            t.to_hex()
        )));
    }
    for t in thumbprints {
        tx.delete_manual_encryption_certificate(user, t)?;
    }
    Ok(())
}

/// Chooses the signing certificate of `user` by hand (the user is added to the store if
/// needed). It is used while it is valid; then selection falls back to automatic.
///
/// Errors (nothing written): [`Error::NotFound`] for a certificate that is not stored;
/// [`Error::InvalidArgument`] for a CA certificate, one whose key usage does not allow
/// signing, or one whose private key is not stored.
pub fn select_signing(
    tx: &mut dyn Transaction,
    user: &EmailAddress,
    thumbprint: &Thumbprint,
) -> Result<()> {
    let cert = stored(tx, thumbprint)?;
    let t = thumbprint.to_hex();
    if cert.is_ca() {
        return Err(Error::InvalidArgument(format!(
            "certificate {t} ({}) is a CA certificate; choose an end-user certificate",
            cert.subject()
        )));
    }
    cert.usable_for_signing().map_err(|e| {
        Error::InvalidArgument(format!(
            "certificate {t} ({}) cannot sign: {e}",
            cert.subject()
        ))
    })?;
    if !has_key(tx, &cert)? {
        return Err(Error::InvalidArgument(format!(
            "the private key of certificate {t} ({}) is not stored; import it with its key \
             (PKCS#12) first",
            cert.subject()
        )));
    }
    tx.put_user(user)?;
    tx.set_manual_signing_certificate(user, Some(thumbprint))?;
    Ok(())
}

/// Back to automatic: forgets the signing certificate chosen by hand for `user`. Returns
/// whether there was one.
pub fn automatic_signing(tx: &mut dyn Transaction, user: &EmailAddress) -> Result<bool> {
    tx.set_manual_signing_certificate(user, None)
}
