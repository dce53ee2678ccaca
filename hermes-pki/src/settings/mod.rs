//! Settings (REQUIREMENTS.md section 5, DESIGN.md "The gateway's two operations"): typed keys
//! stored per scope (global, a domain, a user) and looked up user → domain → global → default,
//! each key on its own, with the answer saying where the value came from.
//!
//! - [`SettingKey`]: the keys, each with a default, a one-line description and the values it
//!   takes; [`SettingKey::parse`] reads a value from text with an error naming the key and the
//!   values allowed. [`SettingValue`] is a typed value ([`EncryptPolicy`],
//!   [`CipherPreference`], [`SignatureHash`], [`RevocationMode`], on/off, thumbprints).
//! - Lookup: [`effective`] answers one key for a [`SettingScope`] with its [`Source`]
//!   ([`Effective`]); [`show`] answers every key. A list key (`additional-certificates`) adds
//!   up the lists of every level instead. A user's domain is the domain part of the address.
//!   [`revocation_mode`] is the global `revocation` setting that validation applies.
//! - Changes: [`set`] and [`unset`] inside a caller's transaction; a user or domain is added to
//!   the store when a setting is first set for it. Removing a user or domain
//!   ([`Transaction::delete_user`](crate::store::Transaction::delete_user),
//!   [`delete_domain`](crate::store::Transaction::delete_domain)) removes its settings.
//! - [`Settings`]: the same over a [`Store`](crate::store::Store), one transaction per call,
//!   plus users and domains: add, list, remove.
//!
//! | key | values | default | levels |
//! |---|---|---|---|
//! | `sign` | `on`, `off` | `on` | user, domain, global |
//! | `encrypt` | `never`, `if-possible`, `required` | `if-possible` | user, domain, global |
//! | `auto-select` | `on`, `off` | `on` | user, domain, global |
//! | `additional-certificates` | SHA-512 thumbprints | none | all levels, added up |
//! | `add-signer-certificates` | `on`, `off` | `on` | user, domain, global |
//! | `cipher` | `aes-cbc`, `aes-gcm`, `auto` | `auto` | user, domain, global |
//! | `revocation` | `best-effort`, `required` | `best-effort` | global |
//! | `signature-hash` | `sha256`, `sha384`, `sha512` | `sha256` | user, domain, global |
//!
//! ```
//! use hermes_pki::settings::{SettingKey, SettingValue, Settings, Source};
//! use hermes_pki::store::{MemoryStore, SettingScope};
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! let settings = Settings::new(&store);
//! let bob = SettingScope::user("bob@Example.com")?;
//!
//! // Global: never encrypt; example.com: encrypt if possible; Bob: encryption required.
//! settings.set_text(&SettingScope::Global, SettingKey::Encrypt, "never")?;
//! settings.set_text(&SettingScope::domain("example.com")?, SettingKey::Encrypt, "if-possible")?;
//! settings.set_text(&SettingScope::domain("example.com")?, SettingKey::Sign, "off")?;
//! settings.set_text(&bob, SettingKey::Encrypt, "required")?;
//!
//! // Each key on its own: Bob's encrypt is his own, his sign his domain's, his cipher the
//! // default.
//! let encrypt = settings.effective(&bob, SettingKey::Encrypt)?;
//! assert_eq!((encrypt.value.to_string(), encrypt.source), ("required".to_string(), Source::User));
//! let sign = settings.effective(&bob, SettingKey::Sign)?;
//! assert_eq!((sign.value, sign.source), (SettingValue::Flag(false), Source::Domain));
//! assert_eq!(settings.effective(&bob, SettingKey::Cipher)?.source, Source::Default);
//!
//! // Another user of another domain gets the global value.
//! let carol = SettingScope::user("carol@example.org")?;
//! assert_eq!(settings.effective(&carol, SettingKey::Encrypt)?.source, Source::Global);
//!
//! // A bad value is refused with the values allowed, and nothing changes.
//! let err = settings.set_text(&bob, SettingKey::Encrypt, "always").unwrap_err();
//! assert!(err.to_string().contains("never, if-possible or required"));
//! assert_eq!(settings.effective(&bob, SettingKey::Encrypt)?.value.to_string(), "required");
//! # Ok(())
//! # }
//! ```

mod change;
mod facade;
mod key;
mod lookup;
mod value;

pub use change::{set, unset};
pub use facade::Settings;
pub use key::SettingKey;
pub use lookup::{Effective, Source, effective, global_flag, revocation_mode, show, stored};
pub use value::{CipherPreference, EncryptPolicy, SettingValue, SignatureHash};

pub use crate::revocation::RevocationMode;
pub use crate::store::{DomainName, EmailAddress, SettingScope};

#[cfg(test)]
mod tests;
