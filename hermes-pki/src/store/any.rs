//! [`AnyStore`]: a store chosen at run time by its location ([`StoreLocation`]): a directory for
//! the embedded SQLite store, a `postgres://` URL for PostgreSQL.

use std::path::{Path, PathBuf};

use super::{MasterKeySource, MemoryStore, ReadTransaction, SqliteStore, Store, Transaction};
use crate::error::{Error, Result};

/// Whether a location names a PostgreSQL database (`postgres://` or `postgresql://`, any case).
pub fn is_postgres_url(location: &str) -> bool {
    let l = location.trim_start();
    ["postgres://", "postgresql://"].iter().any(|p| {
        l.get(..p.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(p))
    })
}

/// Where a store is.
#[derive(Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A store directory: the SQLite database `hermes.db` with its `master.key` beside it.
    Directory(PathBuf),
    /// A PostgreSQL database, by URL (`postgres://user:password@host:port/db`).
    Postgres(String),
}

impl std::fmt::Debug for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password of a URL.
        f.write_str(&self.describe())
    }
}

impl StoreLocation {
    /// A `postgres://` or `postgresql://` URL is PostgreSQL; anything else a directory.
    pub fn parse(location: &str) -> Self {
        if is_postgres_url(location) {
            StoreLocation::Postgres(location.trim().to_string())
        } else {
            StoreLocation::Directory(PathBuf::from(location))
        }
    }

    /// [`parse`](Self::parse) for a path (a URL given where a path is expected, as
    /// `Pki::open` and the CLI's `--store` take).
    pub fn from_path(path: &Path) -> Self {
        match path.to_str() {
            Some(s) if is_postgres_url(s) => Self::parse(s),
            _ => StoreLocation::Directory(path.to_path_buf()),
        }
    }

    /// The location for messages: the directory, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            StoreLocation::Directory(d) => d.display().to_string(),
            StoreLocation::Postgres(url) => redact_url(url),
        }
    }
}

/// A URL with the password of its user-info part replaced by `***` (and every `password=`
/// query parameter too).
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(i) => (&url[..i + 3], &url[i + 3..]),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rfind('@') {
        Some(at) => {
            let (user_info, host) = authority.split_at(at);
            match user_info.find(':') {
                Some(colon) => format!("{}:***{host}", &user_info[..colon]),
                None => authority.to_string(),
            }
        }
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| {
                    if kv.to_ascii_lowercase().starts_with("password=") {
                        "password=***".to_string()
                    } else {
                        kv.to_string()
                    }
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    format!("{scheme}{authority}{tail}")
}

/// One of the backends, chosen at run time (what the CLI and [`crate::pki::Pki::open`] open).
// One value per open store: the size of the variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum AnyStore {
    /// The in-memory store.
    Memory(MemoryStore),
    /// The embedded SQLite store.
    Sqlite(SqliteStore),
    /// A PostgreSQL store (boxed: its connection settings are large).
    #[cfg(feature = "postgres")]
    Postgres(Box<super::PostgresStore>),
}

impl std::fmt::Debug for AnyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AnyStore::Memory(s) => s.fmt(f),
            AnyStore::Sqlite(s) => s.fmt(f),
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) => s.fmt(f),
        }
    }
}

/// Whether opening a store may create it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Create {
    /// Create the store (directory, database file, schema) when there is none.
    IfMissing,
    /// Refuse ([`Error::NotFound`]) when there is no store: for commands that only read.
    Never,
}

impl AnyStore {
    /// Opens the store at `location`.
    ///
    /// The master key: for a directory, `master_key` or else the key file `master.key` in it;
    /// for PostgreSQL, `master_key` is required (the same key file on every node: the key
    /// never goes into the database). With [`Create::Never`], a directory without a database
    /// or a PostgreSQL database without a hermes-pki schema is [`Error::NotFound`], and nothing
    /// is created.
    pub fn open(
        location: &StoreLocation,
        master_key: Option<MasterKeySource>,
        create: Create,
    ) -> Result<Self> {
        match location {
            StoreLocation::Directory(dir) => {
                let db = dir.join(SqliteStore::DATABASE_FILE);
                if create == Create::Never && !db.exists() {
                    return Err(Error::NotFound(format!(
                        "there is no store in {} (no {} there)",
                        dir.display(),
                        SqliteStore::DATABASE_FILE
                    )));
                }
                if create == Create::IfMissing {
                    super::sqlite::create_private_dir(dir)?;
                }
                let source = master_key
                    .unwrap_or_else(|| MasterKeySource::KeyFile(dir.join(SqliteStore::KEY_FILE)));
                Ok(AnyStore::Sqlite(SqliteStore::open(db, source)?))
            }
            #[cfg(feature = "postgres")]
            StoreLocation::Postgres(url) => {
                let source = master_key.ok_or_else(no_master_key)?;
                let store = match create {
                    Create::IfMissing => super::PostgresStore::open(url, source)?,
                    Create::Never => super::PostgresStore::open_existing(url, source)?,
                };
                Ok(AnyStore::Postgres(Box::new(store)))
            }
            #[cfg(not(feature = "postgres"))]
            StoreLocation::Postgres(_) => {
                let _ = (master_key, create);
                Err(Error::Unsupported {
                    what: "store",
                    detail: "this build of hermes-pki has no PostgreSQL support (cargo feature \
                             `postgres`)"
                        .into(),
                })
            }
        }
    }

    /// The store as a trait object.
    pub fn as_store(&self) -> &dyn Store {
        match self {
            AnyStore::Memory(s) => s,
            AnyStore::Sqlite(s) => s,
            #[cfg(feature = "postgres")]
            AnyStore::Postgres(s) => &**s,
        }
    }
}

#[cfg(feature = "postgres")]
fn no_master_key() -> Error {
    Error::InvalidArgument(
        "a PostgreSQL store needs its master key: give the master key file (CLI: \
         --master-key-file FILE or HERMES_PKI_MASTER_KEY_FILE), the same 32-byte file on every \
         node; it never goes into the database"
            .into(),
    )
}

impl Store for AnyStore {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        self.as_store().transact(f)
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        self.as_store().read(f)
    }
}

#[cfg(test)]
mod tests;
