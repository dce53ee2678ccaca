//! Changing settings inside a transaction: checks, and users and domains created on first use.

use super::key::SettingKey;
use super::value::SettingValue;
use crate::cert::Thumbprint;
use crate::error::{Error, Result};
use crate::store::{SettingScope, Transaction};

/// Refuses a global-only key at a domain or user.
fn check_level(scope: &SettingScope, key: SettingKey) -> Result<()> {
    if key.is_global_only() && *scope != SettingScope::Global {
        return Err(Error::InvalidArgument(format!(
            "{key} is a global setting; it cannot be set for a {}",
            scope.level()
        )));
    }
    Ok(())
}

/// Stores `value` for `key` at `scope` in `tx`, replacing the value stored there (a list
/// replaces that level's list). The user or domain is added when it is not stored yet.
///
/// Errors ([`Error::InvalidArgument`] unless said otherwise), with nothing written:
/// a value of the wrong kind for the key; a global-only key at a domain or user; an empty
/// list; a thumbprint of a certificate that is not in the certificate store
/// ([`Error::NotFound`]).
pub fn set(
    tx: &mut dyn Transaction,
    scope: &SettingScope,
    key: SettingKey,
    value: &SettingValue,
) -> Result<()> {
    if !key.accepts(value) {
        return Err(Error::InvalidArgument(format!(
            "{key} takes {}, not a {}",
            key.allowed(),
            value.kind()
        )));
    }
    check_level(scope, key)?;
    if let Some(list) = value.as_thumbprints() {
        check_thumbprints(tx, key, list)?;
    }
    match scope {
        SettingScope::Global => {}
        SettingScope::Domain(d) => {
            tx.put_domain(d)?;
        }
        SettingScope::User(u) => {
            tx.put_user(u)?;
        }
    }
    tx.put_setting(scope, key.as_str(), &value.to_stored())
}

/// The thumbprints of a list: at least one, each of a stored certificate.
fn check_thumbprints(tx: &dyn Transaction, key: SettingKey, list: &[Thumbprint]) -> Result<()> {
    if list.is_empty() {
        return Err(Error::InvalidArgument(format!(
            "{key}: the list is empty; to clear it, unset the key instead"
        )));
    }
    let mut missing = Vec::new();
    for t in list {
        if tx.certificate(t)?.is_none() {
            missing.push(t.to_hex());
        }
    }
    if !missing.is_empty() {
        return Err(Error::NotFound(format!(
            "{key}: no certificate with SHA-512 thumbprint {} in the certificate store; \
             import the certificate first",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Removes the value of `key` stored at `scope`. Returns whether there was one. A global-only
/// key at a domain or user is [`Error::InvalidArgument`].
pub fn unset(tx: &mut dyn Transaction, scope: &SettingScope, key: SettingKey) -> Result<bool> {
    check_level(scope, key)?;
    tx.delete_setting(scope, key.as_str())
}
