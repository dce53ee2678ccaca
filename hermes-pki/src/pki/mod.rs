//! [`Pki`]: the facade a gateway, a ticketing system, the CLI and the bindings hold — one object
//! over a store, with the gateway's two operations (DESIGN.md, "The gateway's two operations")
//! and pass-throughs to the CA, CRLs, settings, S/MIME and the store itself.
//!
//! ```
//! use hermes_pki::pki::Pki;
//! use hermes_pki::store::MemoryStore;
//!
//! let pki = Pki::new(MemoryStore::new());
//! assert!(pki.ca().list()?.is_empty());
//! # Ok::<(), hermes_pki::Error>(())
//! ```

mod protect;
mod store_ops;
pub use protect::{
    MessageGroup, NotEncrypted, NotSigned, ProtectOptions, ProtectReport, ProtectSink, Protected,
    ProtectedMessage, RecipientOutcome, Signing,
};
mod open;
pub use open::*;

use std::path::Path;

use crate::ca::CertificateAuthority;
use crate::crl::{Crls, HttpFetcher};
use crate::error::Result;
use crate::settings::{SettingKey, Settings, global_flag};
use crate::smime::Smime;
use crate::store::{AnyStore, Create, MasterKeySource, Store, StoreExt, StoreLocation};

/// The facade over one store: what the CLI and the bindings call.
pub struct Pki {
    store: Box<dyn Store>,
}

impl std::fmt::Debug for Pki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pki").finish_non_exhaustive()
    }
}

impl Pki {
    /// Opens (creating if needed) the store at `location`, as the CLI's `--store`:
    ///
    /// - a directory: the embedded SQLite store (`hermes.db` with its `master.key` beside it);
    /// - a `postgres://user:password@host:port/db` URL (cargo feature `postgres`): the
    ///   PostgreSQL store shared by several gateway nodes, with the master key file named by
    ///   the environment variable `HERMES_PKI_MASTER_KEY_FILE` (the same file on every node;
    ///   or use [`open_with`](Self::open_with) to pass the key).
    ///
    /// A PostgreSQL server that cannot be reached, a database that does not exist and refused
    /// credentials are each a clear error (never showing the password).
    pub fn open(location: impl AsRef<Path>) -> Result<Self> {
        let location = StoreLocation::from_path(location.as_ref());
        let key = match &location {
            StoreLocation::Postgres(_) => {
                std::env::var_os("HERMES_PKI_MASTER_KEY_FILE").map(MasterKeySource::key_file)
            }
            StoreLocation::Directory(_) => None,
        };
        Ok(Pki::new(AnyStore::open(&location, key, Create::IfMissing)?))
    }

    /// Opens (creating if needed) the store at `location` (a directory or a `postgres://`
    /// URL) with the master key from `master_key`.
    pub fn open_with(location: impl AsRef<Path>, master_key: MasterKeySource) -> Result<Self> {
        let location = StoreLocation::from_path(location.as_ref());
        Ok(Pki::new(AnyStore::open(
            &location,
            Some(master_key),
            Create::IfMissing,
        )?))
    }

    /// The facade over `store` (any backend).
    pub fn new(store: impl Store + 'static) -> Self {
        Pki {
            store: Box::new(store),
        }
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        &*self.store
    }

    /// The internal CA.
    pub fn ca(&self) -> CertificateAuthority<'_, dyn Store> {
        CertificateAuthority::new(&*self.store)
    }

    /// The CRL store.
    pub fn crls(&self) -> Crls<'_, dyn Store> {
        Crls::new(&*self.store)
    }

    /// The fetcher for [`refresh`](Crls::refresh)ing this store's CRLs: an [`HttpFetcher`]
    /// with the defaults, which may fetch from loopback, private and other non-public
    /// addresses only when the global setting `crl-fetch-allow-private` is on.
    pub fn crl_fetcher(&self) -> Result<HttpFetcher> {
        let allow = (*self.store)
            .read_transaction(|tx| global_flag(tx, SettingKey::CrlFetchAllowPrivate))?;
        Ok(HttpFetcher::new().allow_private_addresses(allow))
    }

    /// Users, domains and settings.
    pub fn settings(&self) -> Settings<'_, dyn Store> {
        Settings::new(&*self.store)
    }

    /// S/MIME over the store.
    pub fn smime(&self) -> Smime<'_, dyn Store> {
        Smime::new(&*self.store)
    }
}

#[cfg(test)]
mod test_io;
#[cfg(test)]
mod tests;
