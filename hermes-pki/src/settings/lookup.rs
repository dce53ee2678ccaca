//! The effective value of a setting: user → domain → global → default, each key on its own;
//! list keys add up over the levels.

use std::fmt;

use super::key::SettingKey;
use super::value::SettingValue;
use crate::error::{Error, Result};
use crate::revocation::RevocationMode;
use crate::store::{ReadTransaction, SettingScope};

/// Where an effective value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// Set for the user.
    User,
    /// Set for the user's domain (or the domain asked about).
    Domain,
    /// Set globally.
    Global,
    /// Set nowhere: the key's default.
    Default,
}

impl Source {
    /// `user`, `domain`, `global` or `default`.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::User => "user",
            Source::Domain => "domain",
            Source::Global => "global",
            Source::Default => "default",
        }
    }

    /// The level a value stored at `scope` comes from.
    pub fn of(scope: &SettingScope) -> Source {
        match scope {
            SettingScope::Global => Source::Global,
            SettingScope::Domain(_) => Source::Domain,
            SettingScope::User(_) => Source::User,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value a setting has for a scope, and where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effective {
    /// The setting.
    pub key: SettingKey,
    /// Its value: the most specific level's, or for a list key
    /// ([`SettingKey::is_list`]) every level's together (most specific first, without repeats).
    pub value: SettingValue,
    /// Where the value came from: the most specific level that has one ([`Source::Default`]
    /// when none has).
    pub source: Source,
    /// Every level that has a value for the key, most specific first, with that level's own
    /// value. For a single-valued key the first one is in effect and the others are
    /// overridden; for a list key they all add up.
    pub levels: Vec<(Source, SettingValue)>,
}

/// The scopes a lookup for `scope` visits, most specific first.
pub(crate) fn chain(scope: &SettingScope, key: SettingKey) -> Vec<SettingScope> {
    if key.is_global_only() {
        return vec![SettingScope::Global];
    }
    match scope {
        SettingScope::Global => vec![SettingScope::Global],
        SettingScope::Domain(d) => vec![SettingScope::Domain(d.clone()), SettingScope::Global],
        SettingScope::User(u) => vec![
            SettingScope::User(u.clone()),
            SettingScope::Domain(u.domain()),
            SettingScope::Global,
        ],
    }
}

/// The value stored for `key` at `scope` (nothing inherited), typed. A stored text that does
/// not parse is [`Error::Storage`].
pub fn stored(
    tx: &dyn ReadTransaction,
    scope: &SettingScope,
    key: SettingKey,
) -> Result<Option<SettingValue>> {
    let Some(text) = tx.setting(scope, key.as_str())? else {
        return Ok(None);
    };
    key.parse(&text).map(Some).map_err(|e| {
        Error::Storage(format!(
            "the stored value of setting {key} for {scope} is invalid ({e}); set or unset it \
             again"
        ))
    })
}

/// The effective value of `key` for `scope`: for a user, the user's value, else the domain's
/// (the domain part of the address), else the global one, else the default; for a domain,
/// the domain's, else global, else default; for global, global else default. Each key is
/// looked up on its own. A list key ([`SettingKey::is_list`]) adds up every level's list.
/// A global-only key ([`SettingKey::is_global_only`]) is read from global for every scope.
///
/// The user and domain need not be stored: an address nobody configured gets its domain's
/// and the global settings.
pub fn effective(
    tx: &dyn ReadTransaction,
    scope: &SettingScope,
    key: SettingKey,
) -> Result<Effective> {
    let mut levels = Vec::new();
    for s in chain(scope, key) {
        if let Some(v) = stored(tx, &s, key)? {
            levels.push((Source::of(&s), v));
        }
    }
    let (value, source) = match levels.first() {
        None => (key.default_value(), Source::Default),
        Some((source, first)) if !key.is_list() => (first.clone(), *source),
        Some((source, _)) => {
            let mut all = Vec::new();
            for (_, v) in &levels {
                for t in v.as_thumbprints().unwrap_or_default() {
                    if !all.contains(t) {
                        all.push(*t);
                    }
                }
            }
            (SettingValue::Thumbprints(all), *source)
        }
    };
    Ok(Effective {
        key,
        value,
        source,
        levels,
    })
}

/// The effective value of every key for `scope`, in [`SettingKey::ALL`] order.
pub fn show(tx: &dyn ReadTransaction, scope: &SettingScope) -> Result<Vec<Effective>> {
    SettingKey::ALL
        .into_iter()
        .map(|k| effective(tx, scope, k))
        .collect()
}

/// The store's revocation mode: the global `revocation` setting, [`RevocationMode::BestEffort`]
/// when it is not set. What validation (`cert validate`, `smime verify`, [`crate::smime`])
/// applies.
///
/// ```
/// use hermes_pki::settings::{SettingKey, SettingValue, Settings, revocation_mode};
/// use hermes_pki::store::{MemoryStore, SettingScope, StoreExt};
/// use hermes_pki::trust::RevocationMode;
///
/// let store = MemoryStore::new();
/// assert_eq!(store.read_transaction(|tx| revocation_mode(tx))?, RevocationMode::BestEffort);
/// Settings::new(&store).set(
///     &SettingScope::Global,
///     SettingKey::Revocation,
///     &SettingValue::Revocation(RevocationMode::Required),
/// )?;
/// assert_eq!(store.read_transaction(|tx| revocation_mode(tx))?, RevocationMode::Required);
/// # Ok::<(), hermes_pki::Error>(())
/// ```
pub fn revocation_mode(tx: &dyn ReadTransaction) -> Result<RevocationMode> {
    let e = effective(tx, &SettingScope::Global, SettingKey::Revocation)?;
    e.value.as_revocation().ok_or_else(|| {
        Error::Storage("the revocation setting did not come back as a revocation mode".into())
    })
}

/// The global value of an on/off setting (the hardening keys `allow-legacy-ciphers`,
/// `require-authenticated`, `allow-sha1` are global only). A key that is not on/off reads as
/// off.
pub fn global_flag(tx: &dyn ReadTransaction, key: SettingKey) -> Result<bool> {
    let e = effective(tx, &SettingScope::Global, key)?;
    Ok(e.value.as_flag().unwrap_or(false))
}
