//! [`Settings`]: settings, users and domains of a store, one transaction per call.

use super::change;
use super::key::SettingKey;
use super::lookup::{self, Effective};
use super::value::SettingValue;
use crate::error::Result;
use crate::revocation::RevocationMode;
use crate::store::{DomainName, EmailAddress, SettingScope, Store, StoreExt};

/// The settings, users and domains of a [`Store`]. Each method is one transaction: a change
/// that fails leaves the store as it was.
///
/// Inside a transaction of your own, use the functions [`set`](super::set),
/// [`unset`](super::unset), [`effective`](super::effective), [`show`](super::show) and
/// [`revocation_mode`](super::revocation_mode) directly.
///
/// ```
/// use hermes_pki::settings::{SettingKey, Settings, Source};
/// use hermes_pki::store::{MemoryStore, SettingScope};
///
/// let store = MemoryStore::new();
/// let settings = Settings::new(&store);
/// let alice = SettingScope::user("alice@example.com")?;
/// settings.set_text(&alice, SettingKey::Encrypt, "required")?;
/// // The user was created on first use.
/// assert_eq!(settings.users()?.len(), 1);
/// let e = settings.effective(&alice, SettingKey::Encrypt)?;
/// assert_eq!((e.value.to_string().as_str(), e.source), ("required", Source::User));
/// // A bad value is refused and changes nothing.
/// assert!(settings.set_text(&alice, SettingKey::Sign, "sometimes").is_err());
/// assert_eq!(settings.effective(&alice, SettingKey::Sign)?.source, Source::Default);
/// # Ok::<(), hermes_pki::Error>(())
/// ```
pub struct Settings<'s, S: Store + ?Sized> {
    store: &'s S,
}

impl<S: Store + ?Sized> std::fmt::Debug for Settings<'_, S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").finish_non_exhaustive()
    }
}

impl<'s, S: Store + ?Sized> Settings<'s, S> {
    /// The settings of `store`.
    pub fn new(store: &'s S) -> Self {
        Settings { store }
    }

    /// Sets `key` to `value` at `scope`, adding the user or domain when it is new. See
    /// [`set`](super::set) for the errors.
    pub fn set(&self, scope: &SettingScope, key: SettingKey, value: &SettingValue) -> Result<()> {
        self.store
            .transaction(|tx| change::set(tx, scope, key, value))
    }

    /// Parses `text` as a value of `key` ([`SettingKey::parse`]) and sets it; returns the value
    /// set.
    pub fn set_text(
        &self,
        scope: &SettingScope,
        key: SettingKey,
        text: &str,
    ) -> Result<SettingValue> {
        let value = key.parse(text)?;
        self.set(scope, key, &value)?;
        Ok(value)
    }

    /// Removes the value of `key` at `scope`; returns whether there was one.
    pub fn unset(&self, scope: &SettingScope, key: SettingKey) -> Result<bool> {
        self.store.transaction(|tx| change::unset(tx, scope, key))
    }

    /// The effective value of `key` for `scope` and where it came from (see
    /// [`effective`](super::effective)).
    pub fn effective(&self, scope: &SettingScope, key: SettingKey) -> Result<Effective> {
        self.store
            .read_transaction(|tx| lookup::effective(tx, scope, key))
    }

    /// The effective value of every key for `scope`, in [`SettingKey::ALL`] order.
    pub fn show(&self, scope: &SettingScope) -> Result<Vec<Effective>> {
        self.store.read_transaction(|tx| lookup::show(tx, scope))
    }

    /// The values stored at `scope` itself (nothing inherited), in [`SettingKey::ALL`] order.
    pub fn stored(&self, scope: &SettingScope) -> Result<Vec<(SettingKey, SettingValue)>> {
        self.store.read_transaction(|tx| {
            let mut out = Vec::new();
            for key in SettingKey::ALL {
                if let Some(v) = lookup::stored(tx, scope, key)? {
                    out.push((key, v));
                }
            }
            Ok(out)
        })
    }

    /// The store's revocation mode (see [`revocation_mode`](super::revocation_mode)).
    pub fn revocation_mode(&self) -> Result<RevocationMode> {
        self.store
            .read_transaction(|tx| lookup::revocation_mode(tx))
    }

    /// Adds a user; `false` when it was already stored.
    pub fn add_user(&self, user: &EmailAddress) -> Result<bool> {
        self.store.transaction(|tx| tx.put_user(user))
    }

    /// Every user, in address order.
    pub fn users(&self) -> Result<Vec<EmailAddress>> {
        self.store.read_transaction(|tx| tx.users())
    }

    /// Removes a user with its settings; `false` when it was not stored.
    pub fn remove_user(&self, user: &EmailAddress) -> Result<bool> {
        self.store.transaction(|tx| tx.delete_user(user))
    }

    /// Adds a domain; `false` when it was already stored.
    pub fn add_domain(&self, domain: &DomainName) -> Result<bool> {
        self.store.transaction(|tx| tx.put_domain(domain))
    }

    /// Every domain, in name order.
    pub fn domains(&self) -> Result<Vec<DomainName>> {
        self.store.read_transaction(|tx| tx.domains())
    }

    /// Removes a domain with its settings (not its users); `false` when it was not stored.
    pub fn remove_domain(&self, domain: &DomainName) -> Result<bool> {
        self.store.transaction(|tx| tx.delete_domain(domain))
    }
}
