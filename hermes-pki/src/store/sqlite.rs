//! [`SqliteStore`]: the embedded default backend, one SQLite file.

mod migrations;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rusqlite::config::DbConfig;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params, params_from_iter};

use super::records::{
    ca_name_key, check_crl_number, check_setting_key, check_setting_value, duplicate_ca_name,
    duplicate_crl, duplicate_serial, unknown_ca, unknown_scope,
};
use super::seal::{MasterKey, MasterKeySource, MetaTable, resolve_master_key};
use super::{
    CaId, CaRecord, CertificateFilter, CrlEntries, CrlFetchState, CrlId, CrlRecord, CrlStatus,
    CtlEntry, CtlStatus, DomainName, EmailAddress, ExpiryFilter, IssuedRecord, NewCa, NewCrl,
    ReadTransaction, RequestId, RequestRecord, RequestStatus, RevokedEntry, SettingScope, Store,
    Transaction, normalize_query_email, search_stored, unknown_request,
};
use der::asn1::ObjectIdentifier;

use crate::cert::{Certificate, Serial, Thumbprint};
use crate::error::{Error, Result};
use crate::key::{KeyId, PrivateKey};
use crate::time::{from_unix_seconds, unix_seconds};

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        // rusqlite messages name the SQLite failure (and at most the SQL text); never values.
        Error::Storage(format!("SQLite: {e}"))
    }
}

/// How long a connection waits for another connection (or process) to release a lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Idle read connections kept for reuse.
const MAX_IDLE_READERS: usize = 8;
/// Issuer names whose CRL records one read connection keeps (all are dropped when full).
const MAX_CACHED_CRL_ISSUERS: usize = 256;

/// A store in one SQLite file (the embedded default backend).
///
/// - The file is in WAL mode with a busy timeout, and every write transaction starts with
///   `BEGIN IMMEDIATE`, so several threads and several processes can share one file: writers
///   wait for each other instead of failing or losing updates, readers are not blocked.
/// - The schema is versioned (`PRAGMA user_version`) and migrated on open; a file written by a
///   newer library is refused with [`Error::Storage`].
/// - Private keys are sealed with AES-256-GCM under the [`MasterKey`] from the
///   [`MasterKeySource`] given to [`open`](Self::open); the database never holds a key in the
///   clear. A wrong master key is detected when the store opens ([`Error::WrongMasterKey`]).
///
/// Within a process, write transactions are serialised on one connection; read transactions
/// use a small pool of further connections and run concurrently.
pub struct SqliteStore {
    path: PathBuf,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Reader>>,
    master: MasterKey,
}

/// A read connection (`query_only`: it never writes) and what it remembers of the CRL store.
struct Reader {
    conn: Connection,
    crls: RefCell<CrlCache>,
}

/// The CRL records of the issuer names looked up on one read connection, as of one
/// `PRAGMA data_version` of that connection.
///
/// SQLite changes a connection's data_version when, between two of its read transactions,
/// another connection (of this process or another) committed a change to the file; a
/// connection's own commits do not change it, but a read connection never writes. So while
/// the value read in a read transaction (in WAL mode, the one of the snapshot that
/// transaction sees) equals the one these records were read under, the crls table holds what
/// it held then: the records are answered from here, without a query. Any other value drops
/// them all.
#[derive(Default)]
struct CrlCache {
    /// The data_version the records were read under.
    version: Option<i64>,
    by_issuer: HashMap<Vec<u8>, Vec<CrlRecord>>,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl SqliteStore {
    /// File name of the database in [`open_default`](Self::open_default)'s directory.
    pub const DATABASE_FILE: &'static str = "hermes.db";
    /// File name of the master key file in [`open_default`](Self::open_default)'s directory.
    pub const KEY_FILE: &'static str = "master.key";

    /// Opens (creating if needed) the database at `path`, migrating its schema, and obtains the
    /// master key from `source`.
    ///
    /// Errors: [`Error::Storage`] for a file that is not a hermes-pki database or has a newer
    /// schema; [`Error::WrongMasterKey`] for a passphrase or key file that does not belong to this
    /// database; [`Error::InvalidArgument`] when the database is protected by a passphrase and
    /// a key was given, or the other way round; [`Error::Io`] for an unreadable key file.
    ///
    /// A new database file is created readable and writable by its owner only (mode 0600 on
    /// Unix; SQLite gives its `-wal` and `-shm` files the same mode).
    pub fn open(path: impl AsRef<Path>, source: MasterKeySource) -> Result<Self> {
        if path.as_ref().to_str().is_some_and(|p| p.starts_with(':')) {
            return Err(Error::InvalidArgument(
                "a SQLite store is a file; SQLite's special names such as :memory: are not \
                 stores (use MemoryStore)"
                    .into(),
            ));
        }
        create_private_file(path.as_ref())?;
        let mut conn = open_connection(path.as_ref())?;
        // Read connections are opened later by path: pin it against changes of the working
        // directory. (This also refuses SQLite's special names such as `:memory:`.)
        let path = std::fs::canonicalize(path.as_ref())
            .map_err(|e| Error::io("cannot resolve", path.as_ref(), e))?;
        set_wal(&conn)?;
        migrations::migrate(&mut conn)?;
        let master = resolve_master_key(&mut SqliteMeta(&mut conn), source)?;
        Ok(SqliteStore {
            path,
            writer: Mutex::new(conn),
            readers: Mutex::new(Vec::new()),
            master,
        })
    }

    /// Opens the store in directory `dir` (created if needed, mode 0700 on Unix): the database
    /// `dir/hermes.db` with the master key file `dir/master.key` beside it (both created, mode
    /// 0600, on first use).
    pub fn open_default(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        create_private_dir(dir)?;
        Self::open(
            dir.join(Self::DATABASE_FILE),
            MasterKeySource::KeyFile(dir.join(Self::KEY_FILE)),
        )
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version this library writes (`PRAGMA user_version` of its databases).
    pub fn schema_version() -> u32 {
        u32::try_from(migrations::latest_version()).unwrap_or(u32::MAX)
    }

    fn take_reader(&self) -> Result<Reader> {
        let idle = self
            .readers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        match idle {
            Some(r) => Ok(r),
            None => {
                let conn = open_connection(&self.path)?;
                conn.pragma_update(None, "query_only", true)?;
                Ok(Reader {
                    conn,
                    crls: RefCell::new(CrlCache::default()),
                })
            }
        }
    }

    fn return_reader(&self, reader: Reader) {
        let mut idle = self.readers.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE_READERS {
            idle.push(reader);
        }
    }
}

/// Creates a store directory (and its missing parents) readable by its owner only (mode 0700 on
/// Unix). An existing directory is left as it is.
pub(super) fn create_private_dir(dir: &Path) -> Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder
        .create(dir)
        .map_err(|e| Error::io("cannot create", dir, e))
}

/// Creates an empty database file with mode 0600 when there is none (SQLite would create it
/// with the process umask, usually 0644). An existing file is left as it is.
fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(Error::io("cannot create", path, e)),
    }
}

fn open_connection(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // The bundled SQLite is built with STAT4, under which a statement whose parameter is
    // compared with an indexed column is compiled again on every new binding (most lookups
    // here: by subject, issuer, key id). The query planner stability guarantee keeps the plan
    // of the first compilation; without ANALYZE statistics it is the same plan anyway.
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    Ok(conn)
}

/// Puts the database in WAL mode (a persistent property of the file).
///
/// Switching needs an exclusive lock, and SQLite reports a conflict with a concurrent opener as
/// "database is locked" without waiting on the busy handler, so the switch is retried here for
/// up to [`BUSY_TIMEOUT`].
fn set_wal(conn: &Connection) -> Result<()> {
    let started = std::time::Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let attempt = conn
            .pragma_query_value(None, "journal_mode", |r| r.get::<_, String>(0))
            .and_then(|mode| {
                if mode.eq_ignore_ascii_case("wal") {
                    Ok(mode)
                } else {
                    conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))
                }
            });
        match attempt {
            Ok(mode) if mode.eq_ignore_ascii_case("wal") => return Ok(()),
            Ok(mode) => {
                return Err(Error::Storage(format!(
                    "cannot switch the database to WAL journal mode (it is in {mode} mode)"
                )));
            }
            Err(rusqlite::Error::SqliteFailure(e, _))
                if matches!(
                    e.code,
                    rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                ) && started.elapsed() < BUSY_TIMEOUT =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_millis(100));
            }
            Err(e) => return Err(e.into()),
        }
    }
}

fn meta(conn: &Connection, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(conn
        .prepare_cached("SELECT value FROM meta WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?)
}

/// The `meta` table of a SQLite database, for [`resolve_master_key`].
struct SqliteMeta<'a>(&'a mut Connection);

impl MetaTable for SqliteMeta<'_> {
    fn meta(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        meta(self.0, name)
    }

    fn init_meta(&mut self, guard: &str, entries: &[(&str, &[u8])]) -> Result<()> {
        let tx = self
            .0
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        if meta(&tx, guard)?.is_none() {
            for (name, value) in entries {
                tx.execute(
                    "INSERT INTO meta (name, value) VALUES (?1, ?2)",
                    params![name, value],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Store for SqliteStore {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut conn = self.writer.lock().unwrap_or_else(PoisonError::into_inner);
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        f(&mut SqlTx {
            conn: &tx,
            master: &self.master,
            crls: None,
        })?;
        tx.commit()?;
        Ok(())
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        let reader = self.take_reader()?;
        let result = (|| {
            // BEGIN and ROLLBACK as kept statements (`unchecked_transaction` compiles both
            // again each time). If `f` panics, the connection is dropped, not pooled, and
            // closing it ends the transaction.
            reader.conn.prepare_cached("BEGIN")?.execute([])?;
            let r = f(&SqlTx {
                conn: &reader.conn,
                master: &self.master,
                crls: Some(ReaderCrls {
                    cache: &reader.crls,
                    checked: Cell::new(false),
                }),
            });
            reader.conn.prepare_cached("ROLLBACK")?.execute([])?;
            r
        })();
        // A connection left inside a transaction (its ROLLBACK failed) is not reused.
        if reader.conn.is_autocommit() {
            self.return_reader(reader);
        }
        result
    }
}

/// A transaction on one connection (read-write, or read-only when handed out as
/// `&dyn ReadTransaction`).
struct SqlTx<'a> {
    conn: &'a Connection,
    master: &'a MasterKey,
    /// In a read transaction, the read connection's CRL records; `None` in a write
    /// transaction (which sees its own uncommitted writes, and whose connection's own commits
    /// leave its data_version as it was).
    crls: Option<ReaderCrls<'a>>,
}

/// A read transaction's use of its connection's [`CrlCache`].
struct ReaderCrls<'a> {
    cache: &'a RefCell<CrlCache>,
    /// Whether the cache was checked against this transaction's data_version.
    checked: Cell<bool>,
}

fn parse_stored(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der)
        .map_err(|e| Error::Storage(format!("a stored certificate no longer parses: {e}")))
}

/// The columns of a request row, in the order [`SqlTx::request_rows`] reads them.
const REQUEST_SELECT: &str = "SELECT id, handler, status, email, options, key_id, csr, reference, \
     certificate, created, updated, next_attempt, attempts, last_error FROM requests";

/// The raw columns of a request row.
type RequestRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<String>,
    Option<Vec<u8>>,
    i64,
    i64,
    i64,
    i64,
    Option<String>,
);

impl SqlTx<'_> {
    // --- certificate requests (issue 15) ---

    fn request_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<RequestRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                    r.get(9)?,
                    r.get(10)?,
                    r.get(11)?,
                    r.get(12)?,
                    r.get(13)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<RequestRow>>>()?;
        rows.into_iter()
            .map(|row| {
                let (id, handler, status, email, options, key_id, csr, reference) =
                    (row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7);
                let (certificate, created, updated, next_attempt, attempts, last_error) =
                    (row.8, row.9, row.10, row.11, row.12, row.13);
                Ok(RequestRecord {
                    id: u64::try_from(id)
                        .ok()
                        .and_then(|n| RequestId::new(n).ok())
                        .ok_or_else(|| {
                            Error::Storage("a stored request id is not positive".into())
                        })?,
                    handler,
                    status: RequestStatus::parse(&status).map_err(|_| {
                        Error::Storage(format!("a stored request has the status {status:?}"))
                    })?,
                    email,
                    options,
                    key_id: key_id
                        .map(|k| {
                            KeyId::from_bytes(&k).map_err(|_| {
                                Error::Storage("a stored request key id is not 32 bytes".into())
                            })
                        })
                        .transpose()?,
                    csr,
                    reference,
                    certificate: certificate.map(|t| stored_thumbprint(&t)).transpose()?,
                    created: from_unix_seconds(created),
                    updated: from_unix_seconds(updated),
                    next_attempt: from_unix_seconds(next_attempt),
                    attempts: u32::try_from(attempts).unwrap_or(u32::MAX),
                    last_error,
                })
            })
            .collect()
    }

    fn certs(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<Certificate>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let ders = stmt
            .query_map(params, |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        ders.iter().map(|d| parse_stored(d)).collect()
    }

    fn cert(&self, sql: &str, params: impl rusqlite::Params) -> Result<Option<Certificate>> {
        let der: Option<Vec<u8>> = self
            .conn
            .prepare_cached(sql)?
            .query_row(params, |r| r.get(0))
            .optional()?;
        der.map(|d| parse_stored(&d)).transpose()
    }

    fn open_key(&self, id_bytes: &[u8], sealed: &[u8]) -> Result<PrivateKey> {
        let id = KeyId::from_bytes(id_bytes)
            .map_err(|_| Error::Storage("a stored key id is not 32 bytes".into()))?;
        self.master.open_private_key(&id, sealed)
    }

    fn ca_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<CaRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, bool>(4)?,
                    r.get::<_, bool>(5)?,
                    r.get::<_, i64>(6)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(id, name, cert, parent, is_default, imported, created)| {
                Ok(CaRecord {
                    id: stored_ca_id(id)?,
                    name,
                    certificate: stored_thumbprint(&cert)?,
                    parent: parent.map(stored_ca_id).transpose()?,
                    is_default,
                    imported,
                    created: from_unix_seconds(created),
                })
            })
            .collect()
    }

    fn issued_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<IssuedRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<String>>(3)?,
                    r.get::<_, Vec<u8>>(4)?,
                    r.get::<_, i64>(5)?,
                    r.get::<_, i64>(6)?,
                    r.get::<_, i64>(7)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(ca, serial, subject, email, t, nb, na, at)| {
                Ok(IssuedRecord {
                    ca: stored_ca_id(ca)?,
                    serial: Serial::from_bytes(&serial),
                    subject,
                    email,
                    thumbprint: stored_thumbprint(&t)?,
                    not_before: from_unix_seconds(nb),
                    not_after: from_unix_seconds(na),
                    issued_at: from_unix_seconds(at),
                })
            })
            .collect()
    }

    fn ctl_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<CtlEntry>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, bool>(2)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(|(t, status, allow_expired)| {
                Ok(CtlEntry {
                    thumbprint: stored_thumbprint(&t)?,
                    status: CtlStatus::parse(&status).map_err(|_| {
                        Error::Storage("a stored trust list status is invalid".into())
                    })?,
                    allow_expired,
                })
            })
            .collect()
    }
}

const CRL_COLUMNS: &str = "SELECT id, sha256, issuer, issuer_der, number, delta_base, scope, \
     this_update, next_update, signer_key, problem, entries, source, stored_at FROM crls";

impl SqlTx<'_> {
    fn query_crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>> {
        // Sorted here: with `ORDER BY id` SQLite recompiled the statement at every step
        // (tens of microseconds a revocation check).
        let mut rows = self.crl_rows(
            &format!("{CRL_COLUMNS} WHERE issuer_der = ?1"),
            [issuer_der],
        )?;
        rows.sort_by_key(|r| r.id);
        Ok(rows)
    }

    fn crl_rows(&self, sql: &str, params: impl rusqlite::Params) -> Result<Vec<CrlRecord>> {
        let mut stmt = self.conn.prepare_cached(sql)?;
        let rows = stmt
            .query_map(params, |r| {
                Ok((
                    (
                        r.get::<_, i64>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, Option<Vec<u8>>>(4)?,
                        r.get::<_, Option<Vec<u8>>>(5)?,
                        r.get::<_, Vec<u8>>(6)?,
                    ),
                    (
                        r.get::<_, i64>(7)?,
                        r.get::<_, Option<i64>>(8)?,
                        r.get::<_, Option<Vec<u8>>>(9)?,
                        r.get::<_, Option<String>>(10)?,
                        r.get::<_, i64>(11)?,
                        r.get::<_, Option<String>>(12)?,
                        r.get::<_, i64>(13)?,
                    ),
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter()
            .map(
                |(
                    (id, sha, issuer, issuer_der, number, delta_base, scope),
                    (this_update, next_update, signer_key, problem, entries, source, stored_at),
                )| {
                    let bad = || Error::Storage("a stored CRL record is invalid".into());
                    Ok(CrlRecord {
                        id: u64::try_from(id)
                            .ok()
                            .and_then(|n| CrlId::new(n).ok())
                            .ok_or_else(bad)?,
                        sha256: sha.try_into().map_err(|_| bad())?,
                        issuer,
                        issuer_der,
                        number,
                        delta_base,
                        scope,
                        this_update: from_unix_seconds(this_update),
                        next_update: next_update.map(from_unix_seconds),
                        signer_key: signer_key
                            .map(|k| KeyId::from_bytes(&k))
                            .transpose()
                            .map_err(|_| bad())?,
                        status: match problem {
                            None => CrlStatus::Valid,
                            Some(p) => CrlStatus::Invalid(p),
                        },
                        entries: u64::try_from(entries).map_err(|_| bad())?,
                        source,
                        stored_at: from_unix_seconds(stored_at),
                    })
                },
            )
            .collect()
    }
}

fn sql_crl_id(id: CrlId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

fn stored_ca_id(id: i64) -> Result<CaId> {
    u64::try_from(id)
        .ok()
        .and_then(|n| CaId::new(n).ok())
        .ok_or_else(|| Error::Storage(format!("a stored CA id is invalid ({id})")))
}

fn stored_thumbprint(bytes: &[u8]) -> Result<Thumbprint> {
    Thumbprint::from_bytes(bytes)
        .map_err(|_| Error::Storage("a stored thumbprint is not 64 bytes".into()))
}

fn sql_ca_id(id: CaId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

/// The table of the settings at `scope`, with its owner column and the owner (`None` for
/// global).
fn settings_table(scope: &SettingScope) -> (&'static str, Option<(&'static str, &str)>) {
    match scope {
        SettingScope::Global => ("global_settings", None),
        SettingScope::Domain(d) => ("domain_settings", Some(("domain", d.as_str()))),
        SettingScope::User(u) => ("user_settings", Some(("email", u.as_str()))),
    }
}

fn stored_email(s: String) -> Result<EmailAddress> {
    EmailAddress::new(&s)
        .ok()
        .filter(|e| e.as_str() == s)
        .ok_or_else(|| Error::Storage("a stored user address is not normalised".into()))
}

fn stored_domain(s: String) -> Result<DomainName> {
    DomainName::new(&s)
        .ok()
        .filter(|d| d.as_str() == s)
        .ok_or_else(|| Error::Storage("a stored domain name is not normalised".into()))
}

const CA_COLUMNS: &str =
    "SELECT id, name, certificate, parent, is_default, imported, created FROM cas";
const ISSUED_COLUMNS: &str =
    "SELECT ca, serial, subject, email, thumbprint, not_before, not_after, issued_at FROM issued";

impl ReadTransaction for SqlTx<'_> {
    fn certificate(&self, thumbprint: &Thumbprint) -> Result<Option<Certificate>> {
        self.cert(
            "SELECT der FROM certificates WHERE thumbprint = ?1",
            [thumbprint.as_bytes().as_slice()],
        )
    }

    fn certificates_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE subject_der = ?1 ORDER BY thumbprint",
            [subject_der],
        )
    }

    fn certificates_by_subject_key_id(&self, ski: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE ski = ?1 ORDER BY thumbprint",
            [ski],
        )
    }

    fn certificate_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Option<Certificate>> {
        self.cert(
            "SELECT der FROM certificates WHERE issuer_der = ?1 AND serial = ?2 \
             ORDER BY thumbprint LIMIT 1",
            [issuer_der, serial.as_bytes()],
        )
    }

    fn certificates_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE issuer_der = ?1 AND serial = ?2 \
             ORDER BY thumbprint",
            [issuer_der, serial.as_bytes()],
        )
    }

    fn certificates_by_email(&self, email: &str) -> Result<Vec<Certificate>> {
        let email = normalize_query_email(email)?;
        self.certs(
            "SELECT c.der FROM cert_emails e JOIN certificates c ON c.thumbprint = e.thumbprint \
             WHERE e.email = ?1 ORDER BY c.thumbprint",
            [email],
        )
    }

    fn list_certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>> {
        let mut sql = String::from("SELECT c.der FROM certificates c");
        let mut args: Vec<Value> = Vec::new();
        if let Some(email) = filter.normalized_email()? {
            sql.push_str(" JOIN cert_emails e ON e.thumbprint = c.thumbprint AND e.email = ?");
            args.push(Value::Text(email));
        }
        sql.push_str(" WHERE 1");
        match filter.get_expiry() {
            ExpiryFilter::All => {}
            ExpiryFilter::Unexpired(t) => {
                sql.push_str(" AND c.not_after >= ?");
                args.push(Value::Integer(unix_seconds(t)));
            }
            ExpiryFilter::Expired(t) => {
                sql.push_str(" AND c.not_after < ?");
                args.push(Value::Integer(unix_seconds(t)));
            }
        }
        match filter.get_with_key() {
            None => {}
            Some(true) => {
                sql.push_str(" AND EXISTS (SELECT 1 FROM keys k WHERE k.key_id = c.key_id)")
            }
            Some(false) => {
                sql.push_str(" AND NOT EXISTS (SELECT 1 FROM keys k WHERE k.key_id = c.key_id)")
            }
        }
        sql.push_str(" ORDER BY c.thumbprint LIMIT ? OFFSET ?");
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        args.push(Value::Integer(filter.get_limit().map_or(-1, to_i64)));
        args.push(Value::Integer(to_i64(filter.get_offset())));
        self.certs(&sql, params_from_iter(args))
    }

    fn count_certificates(&self) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM certificates")?
            .query_row([], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn key(&self, id: &KeyId) -> Result<Option<PrivateKey>> {
        let sealed: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT sealed FROM keys WHERE key_id = ?1")?
            .query_row([id.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        match sealed {
            Some(s) => self.master.open_private_key(id, &s).map(Some),
            None => {
                // Deleted (perhaps by another process): drop a decoded copy at once.
                self.master.forget_private_key(id);
                Ok(None)
            }
        }
    }

    fn has_key(&self, id: &KeyId) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM keys WHERE key_id = ?1")?
            .exists([id.as_bytes().as_slice()])?)
    }

    fn key_ids(&self) -> Result<Vec<KeyId>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT key_id FROM keys ORDER BY key_id")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.iter()
            .map(|b| {
                KeyId::from_bytes(b)
                    .map_err(|_| Error::Storage("a stored key id is not 32 bytes".into()))
            })
            .collect()
    }

    fn key_for_certificate(&self, thumbprint: &Thumbprint) -> Result<Option<PrivateKey>> {
        let row: Option<(Vec<u8>, Vec<u8>)> = self
            .conn
            .prepare_cached(
                "SELECT k.key_id, k.sealed FROM certificates c JOIN keys k ON k.key_id = c.key_id \
                 WHERE c.thumbprint = ?1",
            )?
            .query_row([thumbprint.as_bytes().as_slice()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        row.map(|(id, sealed)| self.open_key(&id, &sealed))
            .transpose()
    }

    fn roots(&self) -> Result<Vec<Certificate>> {
        self.certs("SELECT der FROM roots ORDER BY thumbprint", [])
    }

    fn is_root(&self, thumbprint: &Thumbprint) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM roots WHERE thumbprint = ?1")?
            .exists([thumbprint.as_bytes().as_slice()])?)
    }

    fn roots_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM roots WHERE subject_der = ?1 ORDER BY thumbprint",
            [subject_der],
        )
    }

    fn issuer_candidates(
        &self,
        subject_der: &[u8],
        parse: &super::ParseRow,
    ) -> Result<Vec<(Certificate, bool)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT 0, thumbprint, der, 1 FROM roots WHERE subject_der = ?1 \
             UNION ALL \
             SELECT 1, c.thumbprint, c.der, \
                    EXISTS (SELECT 1 FROM roots r WHERE r.thumbprint = c.thumbprint) \
             FROM certificates c WHERE c.subject_der = ?1 \
             ORDER BY 1, 2",
        )?;
        let mut rows = stmt.query([subject_der])?;
        let mut out = Vec::new();
        while let Some(row) = rows.next()? {
            let thumbprint = row.get_ref(1)?.as_blob().map_err(rusqlite::Error::from)?;
            let der = row.get_ref(2)?.as_blob().map_err(rusqlite::Error::from)?;
            let root: bool = row.get(3)?;
            out.push((parse(thumbprint, der)?, root));
        }
        Ok(out)
    }

    fn ca(&self, id: CaId) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(&format!("{CA_COLUMNS} WHERE id = ?1"), [sql_ca_id(id)])?
            .pop())
    }

    fn ca_by_name(&self, name: &str) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(
                &format!("{CA_COLUMNS} WHERE name_key = ?1"),
                [ca_name_key(name)],
            )?
            .pop())
    }

    fn cas(&self) -> Result<Vec<CaRecord>> {
        self.ca_rows(&format!("{CA_COLUMNS} ORDER BY id"), [])
    }

    fn default_ca(&self) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(&format!("{CA_COLUMNS} WHERE is_default = 1"), [])?
            .pop())
    }

    fn issued(&self, ca: CaId, serial: &Serial) -> Result<Option<IssuedRecord>> {
        Ok(self
            .issued_rows(
                &format!("{ISSUED_COLUMNS} WHERE ca = ?1 AND serial = ?2"),
                params![sql_ca_id(ca), serial.as_bytes()],
            )?
            .pop())
    }

    fn issued_by(&self, ca: CaId) -> Result<Vec<IssuedRecord>> {
        self.issued_rows(
            &format!("{ISSUED_COLUMNS} WHERE ca = ?1 ORDER BY length(serial), serial"),
            [sql_ca_id(ca)],
        )
    }

    fn count_issued_by(&self, ca: CaId) -> Result<u64> {
        let n: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM issued WHERE ca = ?1")?
            .query_row([sql_ca_id(ca)], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn ctl_entry(&self, thumbprint: &Thumbprint) -> Result<Option<CtlEntry>> {
        Ok(self
            .ctl_rows(
                "SELECT thumbprint, status, allow_expired FROM ctl WHERE thumbprint = ?1",
                [thumbprint.as_bytes().as_slice()],
            )?
            .pop())
    }

    fn ctl_entries(&self) -> Result<Vec<CtlEntry>> {
        self.ctl_rows(
            "SELECT thumbprint, status, allow_expired FROM ctl ORDER BY thumbprint",
            [],
        )
    }
    fn crl(&self, id: CrlId) -> Result<Option<CrlRecord>> {
        Ok(self
            .crl_rows(&format!("{CRL_COLUMNS} WHERE id = ?1"), [sql_crl_id(id)])?
            .pop())
    }

    fn crl_der(&self, id: CrlId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT der FROM crl_der WHERE crl = ?1")?
            .query_row([sql_crl_id(id)], |r| r.get(0))
            .optional()?)
    }

    fn crls(&self) -> Result<Vec<CrlRecord>> {
        self.crl_rows(&format!("{CRL_COLUMNS} ORDER BY id"), [])
    }

    fn crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>> {
        let Some(crls) = &self.crls else {
            return self.query_crls_by_issuer(issuer_der);
        };
        if !crls.checked.get() {
            // Read inside the transaction: the value of the snapshot it reads.
            let version: i64 = self
                .conn
                .prepare_cached("PRAGMA data_version")?
                .query_row([], |r| r.get(0))?;
            let mut cache = crls.cache.borrow_mut();
            if cache.version != Some(version) {
                cache.by_issuer.clear();
                cache.version = Some(version);
            }
            crls.checked.set(true);
        }
        if let Some(rows) = crls.cache.borrow().by_issuer.get(issuer_der) {
            return Ok(rows.clone());
        }
        let rows = self.query_crls_by_issuer(issuer_der)?;
        let mut cache = crls.cache.borrow_mut();
        if cache.by_issuer.len() >= MAX_CACHED_CRL_ISSUERS {
            cache.by_issuer.clear();
        }
        cache.by_issuer.insert(issuer_der.to_vec(), rows.clone());
        Ok(rows)
    }

    fn crl_entry(&self, id: CrlId, serial: &Serial) -> Result<Option<RevokedEntry>> {
        // The packed entries are searched in place (SQLite's incremental blob reads): a few
        // bytes a step, never the whole value.
        let row = sql_crl_id(id);
        let len: Option<i64> = self
            .conn
            .prepare_cached("SELECT length(packed) FROM crl_entries_packed WHERE crl = ?1")?
            .query_row([row], |r| r.get(0))
            .optional()?;
        let Some(len) = len else {
            return Ok(None);
        };
        let len = usize::try_from(len)
            .map_err(|_| Error::Storage("a stored CRL's entries have a negative length".into()))?;
        let blob = self.conn.blob_open(
            rusqlite::MAIN_DB,
            c"crl_entries_packed",
            c"packed",
            row,
            true,
        )?;
        search_stored(len, serial, &mut |at, buf| Ok(blob.read_at_exact(buf, at)?))
    }

    fn crl_entries(&self, id: CrlId) -> Result<CrlEntries> {
        let packed: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT packed FROM crl_entries_packed WHERE crl = ?1")?
            .query_row([sql_crl_id(id)], |r| r.get(0))
            .optional()?;
        packed.map_or_else(|| Ok(CrlEntries::default()), CrlEntries::from_bytes)
    }

    fn ca_crl_number(&self, ca: CaId) -> Result<Option<u64>> {
        let n: Option<Option<i64>> = self
            .conn
            .prepare_cached("SELECT crl_number FROM cas WHERE id = ?1")?
            .query_row([sql_ca_id(ca)], |r| r.get(0))
            .optional()?;
        Ok(n.flatten().and_then(|n| u64::try_from(n).ok()))
    }

    fn smime_capabilities(&self, thumbprint: &Thumbprint) -> Result<Option<Vec<ObjectIdentifier>>> {
        let oids: Option<String> = self
            .conn
            .prepare_cached("SELECT oids FROM smime_capabilities WHERE thumbprint = ?1")?
            .query_row([thumbprint.as_bytes().as_slice()], |r| r.get(0))
            .optional()?;
        oids.as_deref()
            .map(super::capabilities_from_text)
            .transpose()
    }

    fn has_user(&self, user: &EmailAddress) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM users WHERE email = ?1")?
            .exists([user.as_str()])?)
    }

    fn users(&self) -> Result<Vec<EmailAddress>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT email FROM users ORDER BY email")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(stored_email).collect()
    }

    fn has_domain(&self, domain: &DomainName) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM domains WHERE name = ?1")?
            .exists([domain.as_str()])?)
    }

    fn domains(&self) -> Result<Vec<DomainName>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT name FROM domains ORDER BY name")?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.into_iter().map(stored_domain).collect()
    }

    fn setting(&self, scope: &SettingScope, key: &str) -> Result<Option<String>> {
        let value = match settings_table(scope) {
            (table, None) => self
                .conn
                .prepare_cached(&format!("SELECT value FROM {table} WHERE key = ?1"))?
                .query_row([key], |r| r.get(0))
                .optional()?,
            (table, Some((col, owner))) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT value FROM {table} WHERE {col} = ?1 AND key = ?2"
                ))?
                .query_row([owner, key], |r| r.get(0))
                .optional()?,
        };
        Ok(value)
    }

    fn settings(&self, scope: &SettingScope) -> Result<Vec<(String, String)>> {
        let pair = |r: &rusqlite::Row<'_>| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?));
        let rows = match settings_table(scope) {
            (table, None) => self
                .conn
                .prepare_cached(&format!("SELECT key, value FROM {table} ORDER BY key"))?
                .query_map([], pair)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
            (table, Some((col, owner))) => self
                .conn
                .prepare_cached(&format!(
                    "SELECT key, value FROM {table} WHERE {col} = ?1 ORDER BY key"
                ))?
                .query_map([owner], pair)?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        };
        Ok(rows)
    }

    fn manual_encryption_certificates(&self, user: &EmailAddress) -> Result<Vec<Thumbprint>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT thumbprint FROM user_encryption_certificates WHERE email = ?1 \
             ORDER BY thumbprint",
        )?;
        let rows = stmt
            .query_map([user.as_str()], |r| r.get::<_, Vec<u8>>(0))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        rows.iter().map(|b| stored_thumbprint(b)).collect()
    }

    fn manual_signing_certificate(&self, user: &EmailAddress) -> Result<Option<Thumbprint>> {
        let t: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT thumbprint FROM user_signing_certificate WHERE email = ?1")?
            .query_row([user.as_str()], |r| r.get(0))
            .optional()?;
        t.map(|b| stored_thumbprint(&b)).transpose()
    }

    // --- certificate requests and key lookups (issue 15) ---

    fn certificates_by_key(&self, key: &KeyId) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE key_id = ?1 ORDER BY thumbprint",
            [key.as_bytes().as_slice()],
        )
    }

    fn request(&self, id: RequestId) -> Result<Option<RequestRecord>> {
        let n = i64::try_from(id.get()).map_err(|_| unknown_request(id))?;
        Ok(self
            .request_rows(&format!("{REQUEST_SELECT} WHERE id = ?1"), [n])?
            .into_iter()
            .next())
    }

    fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>> {
        match status {
            None => self.request_rows(&format!("{REQUEST_SELECT} ORDER BY id"), []),
            Some(s) => self.request_rows(
                &format!("{REQUEST_SELECT} WHERE status = ?1 ORDER BY id"),
                [s.as_str()],
            ),
        }
    }

    fn requests_by_key(&self, key: &KeyId) -> Result<Vec<RequestRecord>> {
        self.request_rows(
            &format!("{REQUEST_SELECT} WHERE key_id = ?1 ORDER BY id"),
            [key.as_bytes().as_slice()],
        )
    }

    fn crl_fetch_state(&self, url: &str) -> Result<Option<CrlFetchState>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT last_attempt, last_success, last_error FROM crl_fetches WHERE url = ?1",
            )?
            .query_row([url], |r| {
                Ok(CrlFetchState {
                    url: url.to_string(),
                    last_attempt: from_unix_seconds(r.get(0)?),
                    last_success: r.get::<_, Option<i64>>(1)?.map(from_unix_seconds),
                    last_error: r.get(2)?,
                })
            })
            .optional()?)
    }
}

impl Transaction for SqlTx<'_> {
    fn put_certificate(&mut self, cert: &Certificate) -> Result<bool> {
        let t = cert.thumbprint().as_bytes().as_slice();
        let key_id = KeyId::of_public_key_der(cert.public_key_der());
        let inserted = self
            .conn
            .prepare_cached(
                "INSERT INTO certificates (thumbprint, der, subject, subject_der, issuer_der, \
                 serial, ski, key_id, not_before, not_after, is_ca) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
                 ON CONFLICT (thumbprint) DO NOTHING",
            )?
            .execute(params![
                t,
                cert.der(),
                cert.subject(),
                cert.subject_der(),
                cert.issuer_der(),
                cert.serial().as_bytes(),
                cert.subject_key_id(),
                key_id.as_bytes().as_slice(),
                unix_seconds(cert.not_before()),
                unix_seconds(cert.not_after()),
                cert.is_ca(),
            ])?;
        if inserted == 0 {
            return Ok(false);
        }
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO cert_emails (email, thumbprint) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for email in cert.emails() {
            stmt.execute(params![email, t])?;
        }
        Ok(true)
    }

    fn delete_certificate(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        let t = thumbprint.as_bytes().as_slice();
        self.conn
            .prepare_cached("DELETE FROM cert_emails WHERE thumbprint = ?1")?
            .execute([t])?;
        let n = self
            .conn
            .prepare_cached("DELETE FROM certificates WHERE thumbprint = ?1")?
            .execute([t])?;
        Ok(n > 0)
    }

    fn put_key(&mut self, key: &PrivateKey) -> Result<KeyId> {
        let id = key.key_id();
        if self.has_key(&id)? {
            return Ok(id);
        }
        let (id, sealed) = self.master.seal_private_key(key)?;
        self.conn
            .prepare_cached("INSERT INTO keys (key_id, sealed) VALUES (?1, ?2)")?
            .execute(params![id.as_bytes().as_slice(), sealed])?;
        Ok(id)
    }

    fn delete_key(&mut self, id: &KeyId) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM keys WHERE key_id = ?1")?
            .execute([id.as_bytes().as_slice()])?;
        self.master.forget_private_key(id);
        Ok(n > 0)
    }

    fn put_root(&mut self, cert: &Certificate) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO roots (thumbprint, der, subject_der, ski) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (thumbprint) DO NOTHING",
            )?
            .execute(params![
                cert.thumbprint().as_bytes().as_slice(),
                cert.der(),
                cert.subject_der(),
                cert.subject_key_id(),
            ])?;
        Ok(n > 0)
    }

    fn delete_root(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM roots WHERE thumbprint = ?1")?
            .execute([thumbprint.as_bytes().as_slice()])?;
        Ok(n > 0)
    }

    fn insert_ca(&mut self, ca: &NewCa) -> Result<CaId> {
        if self.ca_by_name(&ca.name)?.is_some() {
            return Err(duplicate_ca_name(&ca.name));
        }
        if let Some(parent) = ca.parent
            && self.ca(parent)?.is_none()
        {
            return Err(unknown_ca(parent));
        }
        self.conn
            .prepare_cached(
                "INSERT INTO cas (name, name_key, certificate, parent, is_default, imported, \
                 created) VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6)",
            )?
            .execute(params![
                ca.name,
                ca_name_key(&ca.name),
                ca.certificate.as_bytes().as_slice(),
                ca.parent.map(sql_ca_id),
                ca.imported,
                unix_seconds(ca.created),
            ])?;
        stored_ca_id(self.conn.last_insert_rowid())
    }

    fn set_ca_certificate(&mut self, id: CaId, certificate: &Thumbprint) -> Result<()> {
        let n = self
            .conn
            .prepare_cached("UPDATE cas SET certificate = ?2 WHERE id = ?1")?
            .execute(params![sql_ca_id(id), certificate.as_bytes().as_slice()])?;
        if n == 0 {
            return Err(unknown_ca(id));
        }
        Ok(())
    }

    fn set_default_ca(&mut self, id: CaId) -> Result<()> {
        if self.ca(id)?.is_none() {
            return Err(unknown_ca(id));
        }
        self.conn
            .prepare_cached("UPDATE cas SET is_default = 0 WHERE is_default = 1 AND id != ?1")?
            .execute([sql_ca_id(id)])?;
        self.conn
            .prepare_cached("UPDATE cas SET is_default = 1 WHERE id = ?1")?
            .execute([sql_ca_id(id)])?;
        Ok(())
    }

    fn delete_ca(&mut self, id: CaId) -> Result<bool> {
        if self.ca(id)?.is_none() {
            return Ok(false);
        }
        if self.count_issued_by(id)? > 0 {
            return Err(Error::InvalidArgument(format!(
                "CA {id} still has issued certificates on record"
            )));
        }
        let children = self
            .conn
            .prepare_cached("SELECT 1 FROM cas WHERE parent = ?1")?
            .exists([sql_ca_id(id)])?;
        if children {
            return Err(Error::InvalidArgument(format!(
                "CA {id} is the parent of another stored CA"
            )));
        }
        let n = self
            .conn
            .prepare_cached("DELETE FROM cas WHERE id = ?1")?
            .execute([sql_ca_id(id)])?;
        Ok(n > 0)
    }

    fn insert_issued(&mut self, record: &IssuedRecord) -> Result<()> {
        if self.ca(record.ca)?.is_none() {
            return Err(unknown_ca(record.ca));
        }
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO issued (ca, serial, subject, email, thumbprint, not_before, \
                 not_after, issued_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (ca, serial) DO NOTHING",
            )?
            .execute(params![
                sql_ca_id(record.ca),
                record.serial.as_bytes(),
                record.subject,
                record.email,
                record.thumbprint.as_bytes().as_slice(),
                unix_seconds(record.not_before),
                unix_seconds(record.not_after),
                unix_seconds(record.issued_at),
            ])?;
        if n == 0 {
            return Err(duplicate_serial(record.ca, &record.serial));
        }
        Ok(())
    }

    fn delete_issued(&mut self, ca: CaId, serial: &Serial) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM issued WHERE ca = ?1 AND serial = ?2")?
            .execute(params![sql_ca_id(ca), serial.as_bytes()])?;
        Ok(n > 0)
    }

    fn put_ctl_entry(&mut self, entry: &CtlEntry) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO ctl (thumbprint, status, allow_expired) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (thumbprint) DO UPDATE SET status = excluded.status, \
                 allow_expired = excluded.allow_expired",
            )?
            .execute(params![
                entry.thumbprint.as_bytes().as_slice(),
                entry.status.as_str(),
                entry.allow_expired,
            ])?;
        Ok(())
    }

    fn delete_ctl_entry(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("DELETE FROM ctl WHERE thumbprint = ?1")?
            .execute([thumbprint.as_bytes().as_slice()])?;
        Ok(n > 0)
    }
    fn insert_crl(&mut self, crl: &NewCrl, entries: &CrlEntries) -> Result<CrlId> {
        let r = &crl.record;
        let exists = self
            .conn
            .prepare_cached("SELECT 1 FROM crls WHERE sha256 = ?1")?
            .exists([r.sha256.as_slice()])?;
        if exists {
            return Err(duplicate_crl());
        }
        let problem = match &r.status {
            CrlStatus::Valid => None,
            CrlStatus::Invalid(p) => Some(p.as_str()),
        };
        self.conn
            .prepare_cached(
                "INSERT INTO crls (sha256, issuer, issuer_der, number, delta_base, scope, \
                 this_update, next_update, signer_key, problem, entries, source, stored_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                r.sha256.as_slice(),
                r.issuer,
                r.issuer_der,
                r.number,
                r.delta_base,
                r.scope,
                unix_seconds(r.this_update),
                r.next_update.map(unix_seconds),
                r.signer_key.as_ref().map(|k| k.as_bytes().to_vec()),
                problem,
                i64::try_from(entries.len()).unwrap_or(i64::MAX),
                r.source,
                unix_seconds(r.stored_at),
            ])?;
        let id = self.conn.last_insert_rowid();
        self.conn
            .prepare_cached("INSERT INTO crl_der (crl, der) VALUES (?1, ?2)")?
            .execute(params![id, crl.der])?;
        self.conn
            .prepare_cached("INSERT INTO crl_entries_packed (crl, packed) VALUES (?1, ?2)")?
            .execute(params![id, entries.as_bytes()])?;
        u64::try_from(id)
            .ok()
            .and_then(|n| CrlId::new(n).ok())
            .ok_or_else(|| Error::Storage(format!("SQLite assigned an invalid CRL id ({id})")))
    }

    fn delete_crl(&mut self, id: CrlId) -> Result<bool> {
        self.conn
            .prepare_cached("DELETE FROM crl_entries_packed WHERE crl = ?1")?
            .execute([sql_crl_id(id)])?;
        self.conn
            .prepare_cached("DELETE FROM crl_der WHERE crl = ?1")?
            .execute([sql_crl_id(id)])?;
        let n = self
            .conn
            .prepare_cached("DELETE FROM crls WHERE id = ?1")?
            .execute([sql_crl_id(id)])?;
        Ok(n > 0)
    }

    fn set_ca_crl_number(&mut self, ca: CaId, number: u64) -> Result<()> {
        if self.ca(ca)?.is_none() {
            return Err(unknown_ca(ca));
        }
        check_crl_number(ca, self.ca_crl_number(ca)?, number)?;
        let n = i64::try_from(number).map_err(|_| {
            Error::InvalidArgument(format!("CRL number {number} is too large to record"))
        })?;
        self.conn
            .prepare_cached("UPDATE cas SET crl_number = ?2 WHERE id = ?1")?
            .execute(params![sql_ca_id(ca), n])?;
        Ok(())
    }

    fn put_smime_capabilities(
        &mut self,
        thumbprint: &Thumbprint,
        oids: &[ObjectIdentifier],
    ) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO smime_capabilities (thumbprint, oids) VALUES (?1, ?2) \
                 ON CONFLICT (thumbprint) DO UPDATE SET oids = excluded.oids",
            )?
            .execute(params![
                thumbprint.as_bytes().as_slice(),
                super::capabilities_to_text(oids)
            ])?;
        Ok(())
    }

    fn put_user(&mut self, user: &EmailAddress) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("INSERT INTO users (email) VALUES (?1) ON CONFLICT DO NOTHING")?
            .execute([user.as_str()])?;
        Ok(n > 0)
    }

    fn delete_user(&mut self, user: &EmailAddress) -> Result<bool> {
        for sql in [
            "DELETE FROM user_settings WHERE email = ?1",
            "DELETE FROM user_encryption_certificates WHERE email = ?1",
            "DELETE FROM user_signing_certificate WHERE email = ?1",
        ] {
            self.conn.prepare_cached(sql)?.execute([user.as_str()])?;
        }
        let n = self
            .conn
            .prepare_cached("DELETE FROM users WHERE email = ?1")?
            .execute([user.as_str()])?;
        Ok(n > 0)
    }

    fn put_domain(&mut self, domain: &DomainName) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached("INSERT INTO domains (name) VALUES (?1) ON CONFLICT DO NOTHING")?
            .execute([domain.as_str()])?;
        Ok(n > 0)
    }

    fn delete_domain(&mut self, domain: &DomainName) -> Result<bool> {
        self.conn
            .prepare_cached("DELETE FROM domain_settings WHERE domain = ?1")?
            .execute([domain.as_str()])?;
        let n = self
            .conn
            .prepare_cached("DELETE FROM domains WHERE name = ?1")?
            .execute([domain.as_str()])?;
        Ok(n > 0)
    }

    fn put_setting(&mut self, scope: &SettingScope, key: &str, value: &str) -> Result<()> {
        check_setting_key(key)?;
        check_setting_value(key, value)?;
        let exists = match scope {
            SettingScope::Global => true,
            SettingScope::Domain(d) => self.has_domain(d)?,
            SettingScope::User(u) => self.has_user(u)?,
        };
        if !exists {
            return Err(unknown_scope(scope));
        }
        match settings_table(scope) {
            (table, None) => self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO {table} (key, value) VALUES (?1, ?2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ))?
                .execute([key, value])?,
            (table, Some((col, owner))) => self
                .conn
                .prepare_cached(&format!(
                    "INSERT INTO {table} ({col}, key, value) VALUES (?1, ?2, ?3) \
                         ON CONFLICT ({col}, key) DO UPDATE SET value = excluded.value"
                ))?
                .execute([owner, key, value])?,
        };
        Ok(())
    }

    fn delete_setting(&mut self, scope: &SettingScope, key: &str) -> Result<bool> {
        let n = match settings_table(scope) {
            (table, None) => self
                .conn
                .prepare_cached(&format!("DELETE FROM {table} WHERE key = ?1"))?
                .execute([key])?,
            (table, Some((col, owner))) => self
                .conn
                .prepare_cached(&format!(
                    "DELETE FROM {table} WHERE {col} = ?1 AND key = ?2"
                ))?
                .execute([owner, key])?,
        };
        Ok(n > 0)
    }

    fn put_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool> {
        if !self.has_user(user)? {
            return Err(unknown_scope(&SettingScope::User(user.clone())));
        }
        let n = self
            .conn
            .prepare_cached(
                "INSERT INTO user_encryption_certificates (email, thumbprint) VALUES (?1, ?2) \
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![user.as_str(), thumbprint.as_bytes().as_slice()])?;
        Ok(n > 0)
    }

    fn delete_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool> {
        let n = self
            .conn
            .prepare_cached(
                "DELETE FROM user_encryption_certificates WHERE email = ?1 AND thumbprint = ?2",
            )?
            .execute(params![user.as_str(), thumbprint.as_bytes().as_slice()])?;
        Ok(n > 0)
    }

    fn set_manual_signing_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: Option<&Thumbprint>,
    ) -> Result<bool> {
        let Some(t) = thumbprint else {
            let n = self
                .conn
                .prepare_cached("DELETE FROM user_signing_certificate WHERE email = ?1")?
                .execute([user.as_str()])?;
            return Ok(n > 0);
        };
        if !self.has_user(user)? {
            return Err(unknown_scope(&SettingScope::User(user.clone())));
        }
        if self.manual_signing_certificate(user)?.as_ref() == Some(t) {
            return Ok(false);
        }
        self.conn
            .prepare_cached(
                "INSERT INTO user_signing_certificate (email, thumbprint) VALUES (?1, ?2) \
                 ON CONFLICT (email) DO UPDATE SET thumbprint = excluded.thumbprint",
            )?
            .execute(params![user.as_str(), t.as_bytes().as_slice()])?;
        Ok(true)
    }

    fn put_crl_fetch_state(&mut self, state: &CrlFetchState) -> Result<()> {
        self.conn
            .prepare_cached(
                "INSERT INTO crl_fetches (url, last_attempt, last_success, last_error) \
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (url) DO UPDATE SET \
                 last_attempt = excluded.last_attempt, last_success = excluded.last_success, \
                 last_error = excluded.last_error",
            )?
            .execute(params![
                state.url,
                unix_seconds(state.last_attempt),
                state.last_success.map(unix_seconds),
                state.last_error,
            ])?;
        Ok(())
    }

    // --- certificate requests (issue 15) ---

    fn insert_request(&mut self, request: &RequestRecord) -> Result<RequestId> {
        self.conn
            .prepare_cached(
                "INSERT INTO requests (handler, status, email, options, key_id, csr, reference, \
                 certificate, created, updated, next_attempt, attempts, last_error) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                request.handler,
                request.status.as_str(),
                request.email,
                request.options,
                request.key_id.as_ref().map(|k| k.as_bytes().to_vec()),
                request.csr,
                request.reference,
                request.certificate.as_ref().map(|t| t.as_bytes().to_vec()),
                unix_seconds(request.created),
                unix_seconds(request.updated),
                unix_seconds(request.next_attempt),
                i64::from(request.attempts),
                request.last_error,
            ])?;
        let id = self.conn.last_insert_rowid();
        u64::try_from(id)
            .ok()
            .and_then(|n| RequestId::new(n).ok())
            .ok_or_else(|| {
                Error::Storage("SQLite assigned a request id that is not positive".into())
            })
    }

    fn update_request(&mut self, request: &RequestRecord) -> Result<()> {
        let id = i64::try_from(request.id.get()).map_err(|_| unknown_request(request.id))?;
        let n = self
            .conn
            .prepare_cached(
                "UPDATE requests SET handler = ?2, status = ?3, email = ?4, options = ?5, \
                 key_id = ?6, csr = ?7, reference = ?8, certificate = ?9, created = ?10, \
                 updated = ?11, next_attempt = ?12, attempts = ?13, last_error = ?14 \
                 WHERE id = ?1",
            )?
            .execute(params![
                id,
                request.handler,
                request.status.as_str(),
                request.email,
                request.options,
                request.key_id.as_ref().map(|k| k.as_bytes().to_vec()),
                request.csr,
                request.reference,
                request.certificate.as_ref().map(|t| t.as_bytes().to_vec()),
                unix_seconds(request.created),
                unix_seconds(request.updated),
                unix_seconds(request.next_attempt),
                i64::from(request.attempts),
                request.last_error,
            ])?;
        if n == 0 {
            return Err(unknown_request(request.id));
        }
        Ok(())
    }

    fn delete_request(&mut self, id: RequestId) -> Result<bool> {
        let Ok(n) = i64::try_from(id.get()) else {
            return Ok(false);
        };
        let n = self
            .conn
            .prepare_cached("DELETE FROM requests WHERE id = ?1")?
            .execute([n])?;
        Ok(n > 0)
    }
}

#[cfg(test)]
mod tests;
