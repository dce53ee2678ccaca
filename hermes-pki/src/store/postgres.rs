//! [`PostgresStore`]: one PostgreSQL database shared by several gateway nodes.
//!
//! Layout of this file, so that a table is simple to add: the schema is in
//! `postgres/migrations.rs` (append one step); the queries are methods of `PgTx`, grouped by
//! table in `impl ReadTransaction for PgTx` / `impl Transaction for PgTx` exactly as in
//! `sqlite.rs`; `PgTx::rows`, `PgTx::row`, `PgTx::exec`, `PgTx::exists` and `PgTx::count` run
//! a statement (prepared once per connection and cached) and record serialization conflicts for
//! the retry loop of [`Store::transact`].

mod migrations;
#[cfg(feature = "postgres-tls")]
mod tls;

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use postgres::error::SqlState;
use postgres::types::{FromSql, ToSql};
use postgres::{Client, Config, IsolationLevel, Row, Statement};

use super::records::{
    ca_name_key, check_crl_number, check_setting_key, check_setting_value, duplicate_ca_name,
    duplicate_crl, duplicate_serial, unknown_ca, unknown_scope,
};
use super::requests::unknown_request;
use super::seal::{MasterKey, MasterKeySource, MetaTable, resolve_master_key};
use super::{
    CaId, CaRecord, CertificateFilter, CrlEntries, CrlFetchState, CrlId, CrlRecord, CrlStatus,
    CtlEntry, CtlStatus, DomainName, EmailAddress, ExpiryFilter, IssuedRecord, NewCa, NewCrl,
    ReadTransaction, RequestId, RequestRecord, RequestStatus, RevokedEntry, SettingScope, Store,
    Transaction, normalize_query_email, search_stored,
};
use der::asn1::ObjectIdentifier;

use crate::cert::{Certificate, Serial, Thumbprint};
use crate::error::{Error, Result};
use crate::key::{KeyId, PrivateKey};
use crate::time::{from_unix_seconds, unix_seconds};

impl From<postgres::Error> for Error {
    fn from(e: postgres::Error) -> Self {
        // The client's messages name the server's error (and for a constraint the key columns);
        // the connection string, and so a password, is never part of them.
        Error::Storage(format!("PostgreSQL: {e}"))
    }
}

/// How many times a transaction is run before a serialization conflict is given up on.
pub const MAX_ATTEMPTS: u32 = 30;
/// Idle connections kept for reuse.
const MAX_IDLE: usize = 8;
/// How long opening a connection may take when the URL does not say (`connect_timeout`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in a PostgreSQL database: several gateway nodes (processes on several machines)
/// share one store.
///
/// - **Transactions** are `SERIALIZABLE`: every invariant of the store (serials unique per CA,
///   CRL numbers only grow, one default CA) holds across nodes as if they ran one at a time. A
///   transaction that conflicts with a concurrent one is rolled back and its closure run again,
///   up to [`MAX_ATTEMPTS`] times with a growing, randomised pause (see the storage contract in
///   [`Store::transact`]). Read transactions run `REPEATABLE READ, READ ONLY`: a consistent
///   snapshot that never conflicts.
/// - **Schema**: the same tables as [`SqliteStore`](super::SqliteStore), versioned and migrated
///   on open under an advisory lock; a database written by a newer library is refused.
/// - **Keys** are sealed with AES-256-GCM under the [`MasterKey`] exactly as in SQLite (same
///   code, same format: a store can be copied between the two). The master key stays with the
///   nodes: the database holds only a check value (and, for a passphrase, the scrypt salt).
/// - **Connections** are pooled: idle connections are kept (up to 8) and reused; a broken one
///   is dropped.
/// - **TLS** (feature `postgres-tls`): libpq's URL parameters `sslmode=disable|prefer|require|
///   verify-ca|verify-full` (default `prefer`) and `sslrootcert=FILE` (PEM CA certificates;
///   default for `verify-full` and `verify-ca`: the Mozilla roots). `verify-full` checks the
///   chain and the host name; `verify-ca` the chain only; `prefer` and `require` encrypt without
///   checking the certificate, unless `sslrootcert` is given, when they check the chain as
///   libpq does. Without the feature, a URL that asks for TLS is refused
///   ([`Error::Unsupported`]). Errors never show the URL's password.
pub struct PostgresStore {
    config: Config,
    tls: Tls,
    target: String,
    idle: Mutex<Vec<Conn>>,
    master: MasterKey,
    retries: AtomicU64,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// How connections reach the server.
#[derive(Clone)]
enum Tls {
    /// Without TLS (`sslmode=disable`, or `prefer` in a build without TLS).
    None,
    /// Through rustls.
    #[cfg(feature = "postgres-tls")]
    Rustls(tls::MakeRustls),
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SslMode {
    Disable,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self> {
        Ok(match value {
            "disable" => SslMode::Disable,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            _ => {
                return Err(Error::InvalidArgument(
                    "sslmode in the PostgreSQL URL must be disable, prefer, require, verify-ca \
                     or verify-full"
                        .into(),
                ));
            }
        })
    }

    #[cfg(not(feature = "postgres-tls"))]
    fn as_str(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Takes `sslmode` and `sslrootcert` out of the query of a `postgres://` URL (rust-postgres
/// knows neither `verify-ca` / `verify-full` nor `sslrootcert`); a `key=value` connection
/// string is left as it is (its `sslmode` is rust-postgres': disable, prefer or require).
fn take_tls_params(url: &str) -> Result<(String, Option<SslMode>, Option<PathBuf>)> {
    let (head, query) = match url.split_once('?') {
        Some(split) if super::any::is_postgres_url(url) => split,
        _ => return Ok((url.to_string(), None, None)),
    };
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(SslMode::parse(&percent_decode(value)?)?),
            "sslrootcert" => root = Some(PathBuf::from(percent_decode(value)?)),
            _ => kept.push(pair),
        }
    }
    let rest = if kept.is_empty() {
        head.to_string()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    Ok((rest, mode, root))
}

/// A URL query value, `%XX` escapes decoded.
fn percent_decode(value: &str) -> Result<String> {
    let bad = || {
        Error::InvalidArgument(
            "a parameter of the PostgreSQL URL has a bad %-escape or is not UTF-8".into(),
        )
    };
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = value.get(i + 1..i + 3).ok_or_else(bad)?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| bad())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| bad())
}

/// The TLS side of the connections for `mode` and `root` (`sslrootcert`).
#[cfg(feature = "postgres-tls")]
fn make_tls(mode: SslMode, root: Option<PathBuf>, _target: &str) -> Result<Tls> {
    use tls::Verify;
    let verify = match (mode, root.is_some()) {
        (SslMode::Disable, _) => return Ok(Tls::None),
        (SslMode::VerifyFull, _) => Verify::Full,
        // As libpq: a root certificate file makes prefer and require check the chain.
        (SslMode::VerifyCa, _) | (_, true) => Verify::Chain,
        (SslMode::Prefer | SslMode::Require, false) => Verify::Nothing,
    };
    Ok(Tls::Rustls(tls::MakeRustls::new(verify, root.as_deref())?))
}

/// Without the `postgres-tls` feature: plain connections, TLS asked for refused.
#[cfg(not(feature = "postgres-tls"))]
fn make_tls(mode: SslMode, root: Option<PathBuf>, target: &str) -> Result<Tls> {
    if matches!(mode, SslMode::Disable | SslMode::Prefer) && root.is_none() {
        return Ok(Tls::None);
    }
    Err(Error::Unsupported {
        what: "TLS to PostgreSQL",
        detail: format!(
            "the URL for {target} asks for TLS (sslmode={}{}), and this build of hermes-pki has \
             no TLS client (cargo feature `postgres-tls`); connect over a trusted network, a \
             Unix socket or an SSH/stunnel tunnel",
            mode.as_str(),
            if root.is_some() { ", sslrootcert" } else { "" }
        ),
    })
}

/// A connection with its prepared statements.
struct Conn {
    client: Client,
    statements: RefCell<HashMap<String, Statement>>,
}

impl PostgresStore {
    /// Opens the store in the database at `url` (`postgres://user:password@host:port/db`,
    /// libpq's URL syntax with its query parameters such as `sslmode`, `connect_timeout`,
    /// `options`), creating or migrating its schema, and obtains the master key from `source`.
    ///
    /// Errors ([`Error::Storage`] unless said otherwise), each saying what to do, without the
    /// password: the URL does not parse ([`Error::InvalidArgument`]); the server cannot be
    /// reached; the database does not exist; the credentials are refused
    /// ([`Error::NotPermitted`]); the schema is newer than this library;
    /// [`Error::WrongMasterKey`] for a master key of another store.
    pub fn open(url: &str, source: MasterKeySource) -> Result<Self> {
        Self::open_with(url, source, true)
    }

    /// Like [`open`](Self::open), but refuses ([`Error::NotFound`]) a database that has no
    /// hermes-pki store yet instead of creating one: for commands that only read.
    pub fn open_existing(url: &str, source: MasterKeySource) -> Result<Self> {
        Self::open_with(url, source, false)
    }

    fn open_with(url: &str, source: MasterKeySource, create: bool) -> Result<Self> {
        let (url, mode, root) = take_tls_params(url.trim())?;
        let mut config: Config = url.parse().map_err(|_| {
            Error::InvalidArgument(
                "the PostgreSQL URL does not parse; write it as \
                 postgres://USER:PASSWORD@HOST:PORT/DATABASE (percent-encode special characters)"
                    .into(),
            )
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("hermes-pki");
        }
        let mode = mode.unwrap_or(match config.get_ssl_mode() {
            postgres::config::SslMode::Disable => SslMode::Disable,
            postgres::config::SslMode::Require => SslMode::Require,
            _ => SslMode::Prefer,
        });
        config.ssl_mode(match mode {
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        let target = describe(&config);
        let tls = make_tls(mode, root, &target)?;
        let mut conn = connect(&config, &tls, &target)?;
        migrations::migrate(&mut conn.client, create)?;
        let master = resolve_master_key(&mut PgMeta(&mut conn.client), source)?;
        let store = PostgresStore {
            config,
            tls,
            target,
            idle: Mutex::new(Vec::new()),
            master,
            retries: AtomicU64::new(0),
        };
        store.give_back(conn);
        Ok(store)
    }

    /// The database, as `postgres://user@host:port/db` (never with the password).
    pub fn target(&self) -> &str {
        &self.target
    }

    /// The schema version this library writes.
    pub fn schema_version() -> u32 {
        u32::try_from(migrations::latest_version()).unwrap_or(u32::MAX)
    }

    /// How many times transactions of this store were run again after a serialization
    /// conflict (since it was opened).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    fn take(&self) -> Result<Conn> {
        loop {
            let idle = self
                .idle
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .pop();
            match idle {
                Some(c) if c.client.is_closed() => continue,
                Some(c) => return Ok(c),
                None => return connect(&self.config, &self.tls, &self.target),
            }
        }
    }

    fn give_back(&self, conn: Conn) {
        if conn.client.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }
}

/// `postgres://user@host:port/db`, for messages.
fn describe(config: &Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".into());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config
        .get_user()
        .map(|u| format!("{u}@"))
        .unwrap_or_default();
    let db = config.get_dbname().or(config.get_user()).unwrap_or("");
    format!("postgres://{user}{host}:{port}/{db}")
}

fn connect_client(config: &Config, tls: &Tls) -> std::result::Result<Client, postgres::Error> {
    match tls {
        Tls::None => config.connect(postgres::NoTls),
        #[cfg(feature = "postgres-tls")]
        Tls::Rustls(make) => config.connect(make.clone()),
    }
}

/// Opens one connection, turning the client's errors into messages that say what to do.
fn connect(config: &Config, tls: &Tls, target: &str) -> Result<Conn> {
    let client = connect_client(config, tls).map_err(|e| connect_error(&e, target))?;
    Ok(Conn {
        client,
        statements: RefCell::new(HashMap::new()),
    })
}

fn connect_error(e: &postgres::Error, target: &str) -> Error {
    if let Some(db) = e.as_db_error() {
        let code = db.code();
        if *code == SqlState::INVALID_CATALOG_NAME {
            return Error::NotFound(format!(
                "the database of {target} does not exist on the server; create it \
                 (createdb, or CREATE DATABASE) or fix the database name in the URL"
            ));
        }
        if *code == SqlState::INVALID_PASSWORD
            || *code == SqlState::INVALID_AUTHORIZATION_SPECIFICATION
        {
            return Error::NotPermitted(format!(
                "the PostgreSQL server refused the credentials for {target} ({}); check the \
                 user name and password in the URL and the server's pg_hba.conf",
                db.message()
            ));
        }
        return Error::Storage(format!(
            "the PostgreSQL server refused the connection to {target}: {}",
            db.message()
        ));
    }
    #[cfg(feature = "postgres-tls")]
    if let Some(tls_error) = tls::rustls_error(e) {
        return tls::handshake_error(tls_error, target);
    }
    let text = e.to_string();
    let cause = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or(text);
    if cause.contains("server does not support TLS") {
        return Error::Storage(format!(
            "the PostgreSQL server of {target} does not offer TLS, and the URL asks for it \
             (sslmode=require, verify-ca or verify-full); turn TLS on in the server (ssl = on, \
             with its certificate and key, in postgresql.conf), or connect without TLS \
             (sslmode=disable) only over a trusted network"
        ));
    }
    if cause.contains("password missing") {
        return Error::NotPermitted(format!(
            "the PostgreSQL server asks for a password for {target} and the URL has none; \
             put it in the URL (postgres://USER:PASSWORD@HOST/DB)"
        ));
    }
    Error::Storage(format!(
        "cannot reach the PostgreSQL server of {target}: {cause}; check that the server runs \
         and that the host and port in the URL are right"
    ))
}

/// Whether an error is one on which a transaction is run again: a serialization failure or a
/// deadlock (both roll the transaction back).
fn is_conflict(e: &postgres::Error) -> bool {
    e.code().is_some_and(|c| {
        *c == SqlState::T_R_SERIALIZATION_FAILURE || *c == SqlState::T_R_DEADLOCK_DETECTED
    })
}

/// A pause before the next attempt: 2 ms doubling up to 256 ms, times a random factor in
/// [0.5, 1.5) so that conflicting nodes do not retry in lockstep.
fn backoff(attempt: u32) -> Duration {
    let base = 2u64 << attempt.min(7);
    let mut r = [0u8; 1];
    let jitter = if super::seal::random(&mut r).is_ok() {
        u64::from(r[0])
    } else {
        128
    };
    Duration::from_micros(base * 1000 * (128 + jitter) / 256)
}

/// The `meta` table, for [`resolve_master_key`].
struct PgMeta<'a>(&'a mut Client);

impl MetaTable for PgMeta<'_> {
    fn meta(&mut self, name: &str) -> Result<Option<Vec<u8>>> {
        let row = self
            .0
            .query_opt("SELECT value FROM meta WHERE name = $1", &[&name])?;
        row.map(|r| Ok(r.try_get::<_, Vec<u8>>(0)?)).transpose()
    }

    fn init_meta(&mut self, guard: &str, entries: &[(&str, &[u8])]) -> Result<()> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let r = (|| {
                let mut tx = self
                    .0
                    .build_transaction()
                    .isolation_level(IsolationLevel::Serializable)
                    .start()?;
                if tx
                    .query_opt("SELECT 1 FROM meta WHERE name = $1", &[&guard])?
                    .is_none()
                {
                    for (name, value) in entries {
                        tx.execute(
                            "INSERT INTO meta (name, value) VALUES ($1, $2)",
                            &[name, value],
                        )?;
                    }
                }
                tx.commit()
            })();
            match r {
                Ok(()) => return Ok(()),
                Err(e) if is_conflict(&e) && attempt < MAX_ATTEMPTS => {
                    std::thread::sleep(backoff(attempt));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
}

fn too_many_conflicts() -> Error {
    Error::Storage(format!(
        "the transaction conflicted with concurrent transactions {MAX_ATTEMPTS} times in a row \
         and was given up (nothing was written); try again"
    ))
}

impl Store for PostgresStore {
    fn transact(&self, f: &mut dyn FnMut(&mut dyn Transaction) -> Result<()>) -> Result<()> {
        let mut conn = self.take()?;
        let mut attempt = 0;
        let result = loop {
            attempt += 1;
            let Conn { client, statements } = &mut conn;
            let tx = match client
                .build_transaction()
                .isolation_level(IsolationLevel::Serializable)
                .start()
            {
                Ok(tx) => tx,
                Err(e) => break Err(e.into()),
            };
            let mut pg = PgTx {
                tx: RefCell::new(tx),
                statements,
                master: &self.master,
                conflict: Cell::new(false),
            };
            let r = f(&mut pg);
            let conflict = pg.conflict.get();
            let tx = pg.tx.into_inner();
            let retry = match r {
                Ok(()) => match tx.commit() {
                    Ok(()) => break Ok(()),
                    Err(e) if is_conflict(&e) => true,
                    Err(e) => break Err(e.into()),
                },
                Err(e) => {
                    drop(tx); // rolls back
                    if !conflict {
                        break Err(e);
                    }
                    true
                }
            };
            debug_assert!(retry);
            if attempt >= MAX_ATTEMPTS {
                break Err(too_many_conflicts());
            }
            self.retries.fetch_add(1, Ordering::Relaxed);
            std::thread::sleep(backoff(attempt));
        };
        self.give_back(conn);
        result
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        let mut conn = self.take()?;
        let result = (|| {
            let Conn { client, statements } = &mut conn;
            let tx = client
                .build_transaction()
                .isolation_level(IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let pg = PgTx {
                tx: RefCell::new(tx),
                statements,
                master: &self.master,
                conflict: Cell::new(false),
            };
            let r = f(&pg);
            let tx = pg.tx.into_inner();
            tx.rollback()?;
            r
        })();
        self.give_back(conn);
        result
    }
}

/// A transaction on one connection (read-write, or read-only when handed out as
/// `&dyn ReadTransaction`).
struct PgTx<'a, 'c> {
    tx: RefCell<postgres::Transaction<'c>>,
    statements: &'a RefCell<HashMap<String, Statement>>,
    master: &'a MasterKey,
    /// Set when a statement failed on a serialization conflict: the transaction is run again
    /// whatever the closure made of the error.
    conflict: Cell<bool>,
}

type Params<'p> = [&'p (dyn ToSql + Sync)];

fn parse_stored(der: &[u8]) -> Result<Certificate> {
    Certificate::from_der(der)
        .map_err(|e| Error::Storage(format!("a stored certificate no longer parses: {e}")))
}

/// Column `i` of a row (a type mismatch is a storage error, never a panic).
fn col<'r, T: FromSql<'r>>(row: &'r Row, i: usize) -> Result<T> {
    Ok(row.try_get(i)?)
}

impl PgTx<'_, '_> {
    fn fail(&self, e: postgres::Error) -> Error {
        if is_conflict(&e) {
            self.conflict.set(true);
        }
        e.into()
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(s) = self.statements.borrow().get(sql) {
            return Ok(s.clone());
        }
        let s = self
            .tx
            .borrow_mut()
            .prepare(sql)
            .map_err(|e| self.fail(e))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_string(), s.clone());
        Ok(s)
    }

    fn rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<Row>> {
        let s = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .query(&s, params)
            .map_err(|e| self.fail(e))
    }

    fn row(&self, sql: &str, params: &Params<'_>) -> Result<Option<Row>> {
        let s = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .query_opt(&s, params)
            .map_err(|e| self.fail(e))
    }

    fn exec(&self, sql: &str, params: &Params<'_>) -> Result<u64> {
        let s = self.statement(sql)?;
        self.tx
            .borrow_mut()
            .execute(&s, params)
            .map_err(|e| self.fail(e))
    }

    fn exists(&self, sql: &str, params: &Params<'_>) -> Result<bool> {
        Ok(self.row(sql, params)?.is_some())
    }

    fn count(&self, sql: &str, params: &Params<'_>) -> Result<u64> {
        let n: i64 = match self.row(sql, params)? {
            Some(r) => col(&r, 0)?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn certs(&self, sql: &str, params: &Params<'_>) -> Result<Vec<Certificate>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| parse_stored(&col::<Vec<u8>>(r, 0)?))
            .collect()
    }

    // --- certificate requests (issue 15) ---

    fn request_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<RequestRecord>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| {
                let id: i64 = col(r, 0)?;
                let status: String = col(r, 2)?;
                Ok(RequestRecord {
                    id: u64::try_from(id)
                        .ok()
                        .and_then(|n| RequestId::new(n).ok())
                        .ok_or_else(|| {
                            Error::Storage("a stored request id is not positive".into())
                        })?,
                    handler: col(r, 1)?,
                    status: RequestStatus::parse(&status).map_err(|_| {
                        Error::Storage(format!("a stored request has the status {status:?}"))
                    })?,
                    email: col(r, 3)?,
                    options: col(r, 4)?,
                    key_id: col::<Option<Vec<u8>>>(r, 5)?
                        .map(|k| {
                            KeyId::from_bytes(&k).map_err(|_| {
                                Error::Storage("a stored request key id is not 32 bytes".into())
                            })
                        })
                        .transpose()?,
                    csr: col(r, 6)?,
                    reference: col(r, 7)?,
                    certificate: col::<Option<Vec<u8>>>(r, 8)?
                        .map(|t| stored_thumbprint(&t))
                        .transpose()?,
                    created: from_unix_seconds(col(r, 9)?),
                    updated: from_unix_seconds(col(r, 10)?),
                    next_attempt: from_unix_seconds(col(r, 11)?),
                    attempts: u32::try_from(col::<i64>(r, 12)?).unwrap_or(u32::MAX),
                    last_error: col(r, 13)?,
                })
            })
            .collect()
    }

    fn cert(&self, sql: &str, params: &Params<'_>) -> Result<Option<Certificate>> {
        self.row(sql, params)?
            .map(|r| parse_stored(&col::<Vec<u8>>(&r, 0)?))
            .transpose()
    }

    fn ca_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<CaRecord>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| {
                Ok(CaRecord {
                    id: stored_ca_id(col(r, 0)?)?,
                    name: col(r, 1)?,
                    certificate: stored_thumbprint(&col::<Vec<u8>>(r, 2)?)?,
                    parent: col::<Option<i64>>(r, 3)?.map(stored_ca_id).transpose()?,
                    is_default: col(r, 4)?,
                    imported: col(r, 5)?,
                    created: from_unix_seconds(col(r, 6)?),
                })
            })
            .collect()
    }

    fn issued_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<IssuedRecord>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| {
                Ok(IssuedRecord {
                    ca: stored_ca_id(col(r, 0)?)?,
                    serial: Serial::from_bytes(&col::<Vec<u8>>(r, 1)?),
                    subject: col(r, 2)?,
                    email: col(r, 3)?,
                    thumbprint: stored_thumbprint(&col::<Vec<u8>>(r, 4)?)?,
                    not_before: from_unix_seconds(col(r, 5)?),
                    not_after: from_unix_seconds(col(r, 6)?),
                    issued_at: from_unix_seconds(col(r, 7)?),
                })
            })
            .collect()
    }

    fn ctl_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<CtlEntry>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| {
                Ok(CtlEntry {
                    thumbprint: stored_thumbprint(&col::<Vec<u8>>(r, 0)?)?,
                    status: CtlStatus::parse(&col::<String>(r, 1)?).map_err(|_| {
                        Error::Storage("a stored trust list status is invalid".into())
                    })?,
                    allow_expired: col(r, 2)?,
                })
            })
            .collect()
    }

    fn crl_rows(&self, sql: &str, params: &Params<'_>) -> Result<Vec<CrlRecord>> {
        self.rows(sql, params)?
            .iter()
            .map(|r| {
                let bad = || Error::Storage("a stored CRL record is invalid".into());
                Ok(CrlRecord {
                    id: u64::try_from(col::<i64>(r, 0)?)
                        .ok()
                        .and_then(|n| CrlId::new(n).ok())
                        .ok_or_else(bad)?,
                    sha256: col::<Vec<u8>>(r, 1)?.try_into().map_err(|_| bad())?,
                    issuer: col(r, 2)?,
                    issuer_der: col(r, 3)?,
                    number: col(r, 4)?,
                    delta_base: col(r, 5)?,
                    scope: col(r, 6)?,
                    this_update: from_unix_seconds(col(r, 7)?),
                    next_update: col::<Option<i64>>(r, 8)?.map(from_unix_seconds),
                    signer_key: col::<Option<Vec<u8>>>(r, 9)?
                        .map(|k| KeyId::from_bytes(&k))
                        .transpose()
                        .map_err(|_| bad())?,
                    status: match col::<Option<String>>(r, 10)? {
                        None => CrlStatus::Valid,
                        Some(p) => CrlStatus::Invalid(p),
                    },
                    entries: u64::try_from(col::<i64>(r, 11)?).map_err(|_| bad())?,
                    source: col(r, 12)?,
                    stored_at: from_unix_seconds(col(r, 13)?),
                })
            })
            .collect()
    }

    fn open_key(&self, id_bytes: &[u8], sealed: &[u8]) -> Result<PrivateKey> {
        let id = KeyId::from_bytes(id_bytes)
            .map_err(|_| Error::Storage("a stored key id is not 32 bytes".into()))?;
        self.master.open_private_key(&id, sealed)
    }
}

fn sql_crl_id(id: CrlId) -> i64 {
    i64::try_from(id.get()).unwrap_or(i64::MAX)
}

fn sql_ca_id(id: CaId) -> i64 {
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

/// The table of the settings at `scope`, with its owner column and the owner (`None` for
/// global).
fn settings_table(scope: &SettingScope) -> (&'static str, Option<(&'static str, &str)>) {
    match scope {
        SettingScope::Global => ("global_settings", None),
        SettingScope::Domain(d) => ("domain_settings", Some(("domain", d.as_str()))),
        SettingScope::User(u) => ("user_settings", Some(("email", u.as_str()))),
    }
}

fn unix(t: std::time::SystemTime) -> i64 {
    unix_seconds(t)
}

/// The columns of a request row that are not stored as the record holds them.
struct RequestColumns {
    status: &'static str,
    key_id: Option<Vec<u8>>,
    certificate: Option<Vec<u8>>,
    created: i64,
    updated: i64,
    next_attempt: i64,
    attempts: i64,
}

impl RequestColumns {
    fn of(r: &RequestRecord) -> Self {
        RequestColumns {
            status: r.status.as_str(),
            key_id: r.key_id.as_ref().map(|k| k.as_bytes().to_vec()),
            certificate: r.certificate.as_ref().map(|t| t.as_bytes().to_vec()),
            created: unix(r.created),
            updated: unix(r.updated),
            next_attempt: unix(r.next_attempt),
            attempts: i64::from(r.attempts),
        }
    }

    /// `$1..$13` of the requests table in column order (handler ... last_error).
    fn params<'a>(&'a self, r: &'a RequestRecord) -> Vec<&'a (dyn ToSql + Sync)> {
        vec![
            &r.handler,
            &self.status,
            &r.email,
            &r.options,
            &self.key_id,
            &r.csr,
            &r.reference,
            &self.certificate,
            &self.created,
            &self.updated,
            &self.next_attempt,
            &self.attempts,
            &r.last_error,
        ]
    }
}

const REQUEST_SELECT: &str = "SELECT id, handler, status, email, options, key_id, csr, reference, \
     certificate, created, updated, next_attempt, attempts, last_error FROM requests";

const CA_COLUMNS: &str =
    "SELECT id, name, certificate, parent, is_default, imported, created FROM cas";
const ISSUED_COLUMNS: &str =
    "SELECT ca, serial, subject, email, thumbprint, not_before, not_after, issued_at FROM issued";
const CRL_COLUMNS: &str = "SELECT id, sha256, issuer, issuer_der, number, delta_base, scope, \
     this_update, next_update, signer_key, problem, entries, source, stored_at FROM crls";

impl ReadTransaction for PgTx<'_, '_> {
    // --- certificate requests and key lookups (issue 15) ---

    fn certificates_by_key(&self, key: &KeyId) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE key_id = $1 ORDER BY thumbprint",
            &[&key.as_bytes().as_slice()],
        )
    }

    fn request(&self, id: RequestId) -> Result<Option<RequestRecord>> {
        let n = i64::try_from(id.get()).map_err(|_| unknown_request(id))?;
        Ok(self
            .request_rows(&format!("{REQUEST_SELECT} WHERE id = $1"), &[&n])?
            .into_iter()
            .next())
    }

    fn requests(&self, status: Option<RequestStatus>) -> Result<Vec<RequestRecord>> {
        match status {
            None => self.request_rows(&format!("{REQUEST_SELECT} ORDER BY id"), &[]),
            Some(s) => self.request_rows(
                &format!("{REQUEST_SELECT} WHERE status = $1 ORDER BY id"),
                &[&s.as_str()],
            ),
        }
    }

    fn requests_by_key(&self, key: &KeyId) -> Result<Vec<RequestRecord>> {
        self.request_rows(
            &format!("{REQUEST_SELECT} WHERE key_id = $1 ORDER BY id"),
            &[&key.as_bytes().as_slice()],
        )
    }

    fn certificate(&self, thumbprint: &Thumbprint) -> Result<Option<Certificate>> {
        self.cert(
            "SELECT der FROM certificates WHERE thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )
    }

    fn certificates_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE subject_der = $1 ORDER BY thumbprint",
            &[&subject_der],
        )
    }

    fn certificates_by_subject_key_id(&self, ski: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE ski = $1 ORDER BY thumbprint",
            &[&ski],
        )
    }

    fn certificate_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Option<Certificate>> {
        self.cert(
            "SELECT der FROM certificates WHERE issuer_der = $1 AND serial = $2 \
             ORDER BY thumbprint LIMIT 1",
            &[&issuer_der, &serial.as_bytes()],
        )
    }

    fn certificates_by_issuer_serial(
        &self,
        issuer_der: &[u8],
        serial: &Serial,
    ) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM certificates WHERE issuer_der = $1 AND serial = $2 \
             ORDER BY thumbprint",
            &[&issuer_der, &serial.as_bytes()],
        )
    }

    fn certificates_by_email(&self, email: &str) -> Result<Vec<Certificate>> {
        let email = normalize_query_email(email)?;
        self.certs(
            "SELECT c.der FROM cert_emails e JOIN certificates c ON c.thumbprint = e.thumbprint \
             WHERE e.email = $1 ORDER BY c.thumbprint",
            &[&email],
        )
    }

    fn list_certificates(&self, filter: &CertificateFilter) -> Result<Vec<Certificate>> {
        let email = filter.normalized_email()?;
        let mut sql = String::from("SELECT c.der FROM certificates c");
        let mut args: Vec<&(dyn ToSql + Sync)> = Vec::new();
        if let Some(email) = &email {
            args.push(email);
            sql.push_str(&format!(
                " JOIN cert_emails e ON e.thumbprint = c.thumbprint AND e.email = ${}",
                args.len()
            ));
        }
        sql.push_str(" WHERE TRUE");
        let at = match filter.get_expiry() {
            ExpiryFilter::All => None,
            ExpiryFilter::Unexpired(t) => Some((">=", unix(t))),
            ExpiryFilter::Expired(t) => Some(("<", unix(t))),
        };
        if let Some((op, t)) = &at {
            args.push(t);
            sql.push_str(&format!(" AND c.not_after {op} ${}", args.len()));
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
        let to_i64 = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
        let limit: Option<i64> = filter.get_limit().map(to_i64);
        let offset: i64 = to_i64(filter.get_offset());
        args.push(&limit);
        args.push(&offset);
        sql.push_str(&format!(
            " ORDER BY c.thumbprint LIMIT ${} OFFSET ${}",
            args.len() - 1,
            args.len()
        ));
        self.certs(&sql, &args)
    }

    fn count_certificates(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM certificates", &[])
    }

    fn key(&self, id: &KeyId) -> Result<Option<PrivateKey>> {
        let row = self.row(
            "SELECT sealed FROM keys WHERE key_id = $1",
            &[&id.as_bytes().as_slice()],
        )?;
        match row {
            Some(r) => self
                .master
                .open_private_key(id, &col::<Vec<u8>>(&r, 0)?)
                .map(Some),
            None => {
                // Deleted (perhaps by another node): drop a decoded copy at once.
                self.master.forget_private_key(id);
                Ok(None)
            }
        }
    }

    fn has_key(&self, id: &KeyId) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM keys WHERE key_id = $1",
            &[&id.as_bytes().as_slice()],
        )
    }

    fn key_ids(&self) -> Result<Vec<KeyId>> {
        self.rows("SELECT key_id FROM keys ORDER BY key_id", &[])?
            .iter()
            .map(|r| {
                KeyId::from_bytes(&col::<Vec<u8>>(r, 0)?)
                    .map_err(|_| Error::Storage("a stored key id is not 32 bytes".into()))
            })
            .collect()
    }

    fn key_for_certificate(&self, thumbprint: &Thumbprint) -> Result<Option<PrivateKey>> {
        let row = self.row(
            "SELECT k.key_id, k.sealed FROM certificates c JOIN keys k ON k.key_id = c.key_id \
             WHERE c.thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )?;
        row.map(|r| self.open_key(&col::<Vec<u8>>(&r, 0)?, &col::<Vec<u8>>(&r, 1)?))
            .transpose()
    }

    fn roots(&self) -> Result<Vec<Certificate>> {
        self.certs("SELECT der FROM roots ORDER BY thumbprint", &[])
    }

    fn is_root(&self, thumbprint: &Thumbprint) -> Result<bool> {
        self.exists(
            "SELECT 1 FROM roots WHERE thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )
    }

    fn roots_by_subject(&self, subject_der: &[u8]) -> Result<Vec<Certificate>> {
        self.certs(
            "SELECT der FROM roots WHERE subject_der = $1 ORDER BY thumbprint",
            &[&subject_der],
        )
    }

    fn issuer_candidates(
        &self,
        subject_der: &[u8],
        parse: &super::ParseRow,
    ) -> Result<Vec<(Certificate, bool)>> {
        // One round trip: the roots, then the certificates with their root flag, as the
        // SQLite backend does.
        self.rows(
            "SELECT 0 AS part, thumbprint, der, TRUE FROM roots WHERE subject_der = $1 \
             UNION ALL \
             SELECT 1, c.thumbprint, c.der, \
                    EXISTS (SELECT 1 FROM roots r WHERE r.thumbprint = c.thumbprint) \
             FROM certificates c WHERE c.subject_der = $1 \
             ORDER BY 1, 2",
            &[&subject_der],
        )?
        .iter()
        .map(|r| {
            let thumbprint: Vec<u8> = col(r, 1)?;
            let der: Vec<u8> = col(r, 2)?;
            Ok((parse(&thumbprint, &der)?, col::<bool>(r, 3)?))
        })
        .collect()
    }

    fn ca(&self, id: CaId) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(&format!("{CA_COLUMNS} WHERE id = $1"), &[&sql_ca_id(id)])?
            .pop())
    }

    fn ca_by_name(&self, name: &str) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(
                &format!("{CA_COLUMNS} WHERE name_key = $1"),
                &[&ca_name_key(name)],
            )?
            .pop())
    }

    fn cas(&self) -> Result<Vec<CaRecord>> {
        self.ca_rows(&format!("{CA_COLUMNS} ORDER BY id"), &[])
    }

    fn default_ca(&self) -> Result<Option<CaRecord>> {
        Ok(self
            .ca_rows(&format!("{CA_COLUMNS} WHERE is_default"), &[])?
            .pop())
    }

    fn issued(&self, ca: CaId, serial: &Serial) -> Result<Option<IssuedRecord>> {
        Ok(self
            .issued_rows(
                &format!("{ISSUED_COLUMNS} WHERE ca = $1 AND serial = $2"),
                &[&sql_ca_id(ca), &serial.as_bytes()],
            )?
            .pop())
    }

    fn issued_by(&self, ca: CaId) -> Result<Vec<IssuedRecord>> {
        self.issued_rows(
            &format!("{ISSUED_COLUMNS} WHERE ca = $1 ORDER BY length(serial), serial"),
            &[&sql_ca_id(ca)],
        )
    }

    fn count_issued_by(&self, ca: CaId) -> Result<u64> {
        self.count(
            "SELECT COUNT(*) FROM issued WHERE ca = $1",
            &[&sql_ca_id(ca)],
        )
    }

    fn ctl_entry(&self, thumbprint: &Thumbprint) -> Result<Option<CtlEntry>> {
        Ok(self
            .ctl_rows(
                "SELECT thumbprint, status, allow_expired FROM ctl WHERE thumbprint = $1",
                &[&thumbprint.as_bytes().as_slice()],
            )?
            .pop())
    }

    fn ctl_entries(&self) -> Result<Vec<CtlEntry>> {
        self.ctl_rows(
            "SELECT thumbprint, status, allow_expired FROM ctl ORDER BY thumbprint",
            &[],
        )
    }

    fn crl(&self, id: CrlId) -> Result<Option<CrlRecord>> {
        Ok(self
            .crl_rows(&format!("{CRL_COLUMNS} WHERE id = $1"), &[&sql_crl_id(id)])?
            .pop())
    }

    fn crl_der(&self, id: CrlId) -> Result<Option<Vec<u8>>> {
        self.row("SELECT der FROM crl_der WHERE crl = $1", &[&sql_crl_id(id)])?
            .map(|r| col(&r, 0))
            .transpose()
    }

    fn crls(&self) -> Result<Vec<CrlRecord>> {
        self.crl_rows(&format!("{CRL_COLUMNS} ORDER BY id"), &[])
    }

    fn crls_by_issuer(&self, issuer_der: &[u8]) -> Result<Vec<CrlRecord>> {
        self.crl_rows(
            &format!("{CRL_COLUMNS} WHERE issuer_der = $1 ORDER BY id"),
            &[&issuer_der],
        )
    }

    fn crl_entry(&self, id: CrlId, serial: &Serial) -> Result<Option<RevokedEntry>> {
        // The packed entries are searched in place: each step reads a few bytes with
        // substring() (the value is stored uncompressed, so PostgreSQL fetches only the
        // chunks holding them), never the whole value.
        let id = sql_crl_id(id);
        let len = self.row(
            "SELECT length(packed) FROM crl_entries_packed WHERE crl = $1",
            &[&id],
        )?;
        let Some(len) = len else {
            return Ok(None);
        };
        let len = usize::try_from(col::<i32>(&len, 0)?)
            .map_err(|_| Error::Storage("a stored CRL's entries have a negative length".into()))?;
        search_stored(len, serial, &mut |at, buf| {
            let (Ok(from), Ok(count)) = (i32::try_from(at + 1), i32::try_from(buf.len())) else {
                return Err(Error::Storage("a read past PostgreSQL's value size".into()));
            };
            let row = self.row(
                "SELECT substring(packed FROM $2 FOR $3) FROM crl_entries_packed WHERE crl = $1",
                &[&id, &from, &count],
            )?;
            let got: Vec<u8> = match row {
                Some(r) => col(&r, 0)?,
                None => Vec::new(),
            };
            if got.len() != buf.len() {
                return Err(Error::Storage(
                    "a stored CRL's entries changed during a lookup".into(),
                ));
            }
            buf.copy_from_slice(&got);
            Ok(())
        })
    }

    fn crl_entries(&self, id: CrlId) -> Result<CrlEntries> {
        match self.row(
            "SELECT packed FROM crl_entries_packed WHERE crl = $1",
            &[&sql_crl_id(id)],
        )? {
            Some(r) => CrlEntries::from_bytes(col(&r, 0)?),
            None => Ok(CrlEntries::default()),
        }
    }

    fn ca_crl_number(&self, ca: CaId) -> Result<Option<u64>> {
        let row = self.row(
            "SELECT crl_number FROM cas WHERE id = $1",
            &[&sql_ca_id(ca)],
        )?;
        Ok(match row {
            Some(r) => col::<Option<i64>>(&r, 0)?.and_then(|n| u64::try_from(n).ok()),
            None => None,
        })
    }

    fn crl_fetch_state(&self, url: &str) -> Result<Option<CrlFetchState>> {
        let row = self.row(
            "SELECT last_attempt, last_success, last_error FROM crl_fetches WHERE url = $1",
            &[&url],
        )?;
        row.map(|r| {
            Ok(CrlFetchState {
                url: url.to_string(),
                last_attempt: from_unix_seconds(col(&r, 0)?),
                last_success: col::<Option<i64>>(&r, 1)?.map(from_unix_seconds),
                last_error: col(&r, 2)?,
            })
        })
        .transpose()
    }

    fn smime_capabilities(&self, thumbprint: &Thumbprint) -> Result<Option<Vec<ObjectIdentifier>>> {
        let row = self.row(
            "SELECT oids FROM smime_capabilities WHERE thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )?;
        row.map(|r| super::capabilities_from_text(&col::<String>(&r, 0)?))
            .transpose()
    }

    fn has_user(&self, user: &EmailAddress) -> Result<bool> {
        self.exists("SELECT 1 FROM users WHERE email = $1", &[&user.as_str()])
    }

    fn users(&self) -> Result<Vec<EmailAddress>> {
        self.rows("SELECT email FROM users ORDER BY email", &[])?
            .iter()
            .map(|r| stored_email(col(r, 0)?))
            .collect()
    }

    fn has_domain(&self, domain: &DomainName) -> Result<bool> {
        self.exists("SELECT 1 FROM domains WHERE name = $1", &[&domain.as_str()])
    }

    fn domains(&self) -> Result<Vec<DomainName>> {
        self.rows("SELECT name FROM domains ORDER BY name", &[])?
            .iter()
            .map(|r| stored_domain(col(r, 0)?))
            .collect()
    }

    fn setting(&self, scope: &SettingScope, key: &str) -> Result<Option<String>> {
        let row = match settings_table(scope) {
            (table, None) => self.row(
                &format!("SELECT value FROM {table} WHERE key = $1"),
                &[&key],
            )?,
            (table, Some((column, owner))) => self.row(
                &format!("SELECT value FROM {table} WHERE {column} = $1 AND key = $2"),
                &[&owner, &key],
            )?,
        };
        row.map(|r| col(&r, 0)).transpose()
    }

    fn settings(&self, scope: &SettingScope) -> Result<Vec<(String, String)>> {
        let rows = match settings_table(scope) {
            (table, None) => {
                self.rows(&format!("SELECT key, value FROM {table} ORDER BY key"), &[])?
            }
            (table, Some((column, owner))) => self.rows(
                &format!("SELECT key, value FROM {table} WHERE {column} = $1 ORDER BY key"),
                &[&owner],
            )?,
        };
        rows.iter().map(|r| Ok((col(r, 0)?, col(r, 1)?))).collect()
    }

    fn manual_encryption_certificates(&self, user: &EmailAddress) -> Result<Vec<Thumbprint>> {
        self.rows(
            "SELECT thumbprint FROM user_encryption_certificates WHERE email = $1 \
             ORDER BY thumbprint",
            &[&user.as_str()],
        )?
        .iter()
        .map(|r| stored_thumbprint(&col::<Vec<u8>>(r, 0)?))
        .collect()
    }

    fn manual_signing_certificate(&self, user: &EmailAddress) -> Result<Option<Thumbprint>> {
        self.row(
            "SELECT thumbprint FROM user_signing_certificate WHERE email = $1",
            &[&user.as_str()],
        )?
        .map(|r| stored_thumbprint(&col::<Vec<u8>>(&r, 0)?))
        .transpose()
    }
}

impl Transaction for PgTx<'_, '_> {
    // --- certificate requests (issue 15) ---

    fn insert_request(&mut self, request: &RequestRecord) -> Result<RequestId> {
        let columns = RequestColumns::of(request);
        let row = self.row(
            "INSERT INTO requests (handler, status, email, options, key_id, csr, reference, \
             certificate, created, updated, next_attempt, attempts, last_error) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            &columns.params(request),
        )?;
        let row = row.ok_or_else(|| Error::Storage("INSERT returned no request id".into()))?;
        let id: i64 = col(&row, 0)?;
        u64::try_from(id)
            .ok()
            .and_then(|n| RequestId::new(n).ok())
            .ok_or_else(|| {
                Error::Storage("PostgreSQL assigned a request id that is not positive".into())
            })
    }

    fn update_request(&mut self, request: &RequestRecord) -> Result<()> {
        let id = i64::try_from(request.id.get()).map_err(|_| unknown_request(request.id))?;
        let columns = RequestColumns::of(request);
        let mut params = columns.params(request);
        params.push(&id);
        let n = self.exec(
            "UPDATE requests SET handler = $1, status = $2, email = $3, options = $4, \
             key_id = $5, csr = $6, reference = $7, certificate = $8, created = $9, \
             updated = $10, next_attempt = $11, attempts = $12, last_error = $13 \
             WHERE id = $14",
            &params,
        )?;
        if n == 0 {
            return Err(unknown_request(request.id));
        }
        Ok(())
    }

    fn delete_request(&mut self, id: RequestId) -> Result<bool> {
        let Ok(n) = i64::try_from(id.get()) else {
            return Ok(false);
        };
        Ok(self.exec("DELETE FROM requests WHERE id = $1", &[&n])? > 0)
    }

    fn put_certificate(&mut self, cert: &Certificate) -> Result<bool> {
        let t = cert.thumbprint().as_bytes().as_slice();
        let key_id = KeyId::of_public_key_der(cert.public_key_der());
        let inserted = self.exec(
            "INSERT INTO certificates (thumbprint, der, subject, subject_der, issuer_der, \
             serial, ski, key_id, not_before, not_after, is_ca) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (thumbprint) DO NOTHING",
            &[
                &t,
                &cert.der(),
                &cert.subject(),
                &cert.subject_der(),
                &cert.issuer_der(),
                &cert.serial().as_bytes(),
                &cert.subject_key_id(),
                &key_id.as_bytes().as_slice(),
                &unix(cert.not_before()),
                &unix(cert.not_after()),
                &cert.is_ca(),
            ],
        )?;
        if inserted == 0 {
            return Ok(false);
        }
        for email in cert.emails() {
            self.exec(
                "INSERT INTO cert_emails (email, thumbprint) VALUES ($1, $2) \
                 ON CONFLICT DO NOTHING",
                &[&email, &t],
            )?;
        }
        Ok(true)
    }

    fn delete_certificate(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        let t = thumbprint.as_bytes().as_slice();
        self.exec("DELETE FROM cert_emails WHERE thumbprint = $1", &[&t])?;
        Ok(self.exec("DELETE FROM certificates WHERE thumbprint = $1", &[&t])? > 0)
    }

    fn put_key(&mut self, key: &PrivateKey) -> Result<KeyId> {
        let id = key.key_id();
        if self.has_key(&id)? {
            return Ok(id);
        }
        let (id, sealed) = self.master.seal_private_key(key)?;
        self.exec(
            "INSERT INTO keys (key_id, sealed) VALUES ($1, $2)",
            &[&id.as_bytes().as_slice(), &sealed],
        )?;
        Ok(id)
    }

    fn delete_key(&mut self, id: &KeyId) -> Result<bool> {
        let n = self.exec(
            "DELETE FROM keys WHERE key_id = $1",
            &[&id.as_bytes().as_slice()],
        )?;
        self.master.forget_private_key(id);
        Ok(n > 0)
    }

    fn put_root(&mut self, cert: &Certificate) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO roots (thumbprint, der, subject_der, ski) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (thumbprint) DO NOTHING",
            &[
                &cert.thumbprint().as_bytes().as_slice(),
                &cert.der(),
                &cert.subject_der(),
                &cert.subject_key_id(),
            ],
        )? > 0)
    }

    fn delete_root(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM roots WHERE thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )? > 0)
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
        let row = self.row(
            "INSERT INTO cas (name, name_key, certificate, parent, is_default, imported, \
             created) VALUES ($1, $2, $3, $4, FALSE, $5, $6) RETURNING id",
            &[
                &ca.name,
                &ca_name_key(&ca.name),
                &ca.certificate.as_bytes().as_slice(),
                &ca.parent.map(sql_ca_id),
                &ca.imported,
                &unix(ca.created),
            ],
        )?;
        let row = row.ok_or_else(|| Error::Storage("INSERT returned no CA id".into()))?;
        stored_ca_id(col(&row, 0)?)
    }

    fn set_ca_certificate(&mut self, id: CaId, certificate: &Thumbprint) -> Result<()> {
        let n = self.exec(
            "UPDATE cas SET certificate = $2 WHERE id = $1",
            &[&sql_ca_id(id), &certificate.as_bytes().as_slice()],
        )?;
        if n == 0 {
            return Err(unknown_ca(id));
        }
        Ok(())
    }

    fn set_default_ca(&mut self, id: CaId) -> Result<()> {
        if self.ca(id)?.is_none() {
            return Err(unknown_ca(id));
        }
        self.exec(
            "UPDATE cas SET is_default = FALSE WHERE is_default AND id <> $1",
            &[&sql_ca_id(id)],
        )?;
        self.exec(
            "UPDATE cas SET is_default = TRUE WHERE id = $1",
            &[&sql_ca_id(id)],
        )?;
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
        if self.exists("SELECT 1 FROM cas WHERE parent = $1", &[&sql_ca_id(id)])? {
            return Err(Error::InvalidArgument(format!(
                "CA {id} is the parent of another stored CA"
            )));
        }
        Ok(self.exec("DELETE FROM cas WHERE id = $1", &[&sql_ca_id(id)])? > 0)
    }

    fn insert_issued(&mut self, record: &IssuedRecord) -> Result<()> {
        if self.ca(record.ca)?.is_none() {
            return Err(unknown_ca(record.ca));
        }
        let n = self.exec(
            "INSERT INTO issued (ca, serial, subject, email, thumbprint, not_before, \
             not_after, issued_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (ca, serial) DO NOTHING",
            &[
                &sql_ca_id(record.ca),
                &record.serial.as_bytes(),
                &record.subject,
                &record.email,
                &record.thumbprint.as_bytes().as_slice(),
                &unix(record.not_before),
                &unix(record.not_after),
                &unix(record.issued_at),
            ],
        )?;
        if n == 0 {
            return Err(duplicate_serial(record.ca, &record.serial));
        }
        Ok(())
    }

    fn delete_issued(&mut self, ca: CaId, serial: &Serial) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM issued WHERE ca = $1 AND serial = $2",
            &[&sql_ca_id(ca), &serial.as_bytes()],
        )? > 0)
    }

    fn put_ctl_entry(&mut self, entry: &CtlEntry) -> Result<()> {
        self.exec(
            "INSERT INTO ctl (thumbprint, status, allow_expired) VALUES ($1, $2, $3) \
             ON CONFLICT (thumbprint) DO UPDATE SET status = excluded.status, \
             allow_expired = excluded.allow_expired",
            &[
                &entry.thumbprint.as_bytes().as_slice(),
                &entry.status.as_str(),
                &entry.allow_expired,
            ],
        )?;
        Ok(())
    }

    fn delete_ctl_entry(&mut self, thumbprint: &Thumbprint) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM ctl WHERE thumbprint = $1",
            &[&thumbprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn insert_crl(&mut self, crl: &NewCrl, entries: &CrlEntries) -> Result<CrlId> {
        let r = &crl.record;
        if self.exists(
            "SELECT 1 FROM crls WHERE sha256 = $1",
            &[&r.sha256.as_slice()],
        )? {
            return Err(duplicate_crl());
        }
        let problem = match &r.status {
            CrlStatus::Valid => None,
            CrlStatus::Invalid(p) => Some(p.as_str()),
        };
        let row = self.row(
            "INSERT INTO crls (sha256, issuer, issuer_der, number, delta_base, scope, \
             this_update, next_update, signer_key, problem, entries, source, stored_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
            &[
                &r.sha256.as_slice(),
                &r.issuer,
                &r.issuer_der,
                &r.number,
                &r.delta_base,
                &r.scope,
                &unix(r.this_update),
                &r.next_update.map(unix),
                &r.signer_key.as_ref().map(|k| k.as_bytes().to_vec()),
                &problem,
                &i64::try_from(entries.len()).unwrap_or(i64::MAX),
                &r.source,
                &unix(r.stored_at),
            ],
        )?;
        let row = row.ok_or_else(|| Error::Storage("INSERT returned no CRL id".into()))?;
        let id: i64 = col(&row, 0)?;
        self.exec(
            "INSERT INTO crl_der (crl, der) VALUES ($1, $2)",
            &[&id, &crl.der],
        )?;
        self.exec(
            "INSERT INTO crl_entries_packed (crl, packed) VALUES ($1, $2)",
            &[&id, &entries.as_bytes()],
        )?;
        u64::try_from(id)
            .ok()
            .and_then(|n| CrlId::new(n).ok())
            .ok_or_else(|| Error::Storage(format!("PostgreSQL assigned an invalid CRL id ({id})")))
    }

    fn delete_crl(&mut self, id: CrlId) -> Result<bool> {
        self.exec(
            "DELETE FROM crl_entries_packed WHERE crl = $1",
            &[&sql_crl_id(id)],
        )?;
        self.exec("DELETE FROM crl_der WHERE crl = $1", &[&sql_crl_id(id)])?;
        Ok(self.exec("DELETE FROM crls WHERE id = $1", &[&sql_crl_id(id)])? > 0)
    }

    fn set_ca_crl_number(&mut self, ca: CaId, number: u64) -> Result<()> {
        if self.ca(ca)?.is_none() {
            return Err(unknown_ca(ca));
        }
        check_crl_number(ca, self.ca_crl_number(ca)?, number)?;
        let n = i64::try_from(number).map_err(|_| {
            Error::InvalidArgument(format!("CRL number {number} is too large to record"))
        })?;
        self.exec(
            "UPDATE cas SET crl_number = $2 WHERE id = $1",
            &[&sql_ca_id(ca), &n],
        )?;
        Ok(())
    }

    fn put_crl_fetch_state(&mut self, state: &CrlFetchState) -> Result<()> {
        self.exec(
            "INSERT INTO crl_fetches (url, last_attempt, last_success, last_error) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (url) DO UPDATE SET \
             last_attempt = excluded.last_attempt, last_success = excluded.last_success, \
             last_error = excluded.last_error",
            &[
                &state.url,
                &unix(state.last_attempt),
                &state.last_success.map(unix),
                &state.last_error,
            ],
        )?;
        Ok(())
    }

    fn put_smime_capabilities(
        &mut self,
        thumbprint: &Thumbprint,
        oids: &[ObjectIdentifier],
    ) -> Result<()> {
        self.exec(
            "INSERT INTO smime_capabilities (thumbprint, oids) VALUES ($1, $2) \
             ON CONFLICT (thumbprint) DO UPDATE SET oids = excluded.oids",
            &[
                &thumbprint.as_bytes().as_slice(),
                &super::capabilities_to_text(oids),
            ],
        )?;
        Ok(())
    }

    fn put_user(&mut self, user: &EmailAddress) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO users (email) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&user.as_str()],
        )? > 0)
    }

    fn delete_user(&mut self, user: &EmailAddress) -> Result<bool> {
        for sql in [
            "DELETE FROM user_settings WHERE email = $1",
            "DELETE FROM user_encryption_certificates WHERE email = $1",
            "DELETE FROM user_signing_certificate WHERE email = $1",
        ] {
            self.exec(sql, &[&user.as_str()])?;
        }
        Ok(self.exec("DELETE FROM users WHERE email = $1", &[&user.as_str()])? > 0)
    }

    fn put_domain(&mut self, domain: &DomainName) -> Result<bool> {
        Ok(self.exec(
            "INSERT INTO domains (name) VALUES ($1) ON CONFLICT DO NOTHING",
            &[&domain.as_str()],
        )? > 0)
    }

    fn delete_domain(&mut self, domain: &DomainName) -> Result<bool> {
        self.exec(
            "DELETE FROM domain_settings WHERE domain = $1",
            &[&domain.as_str()],
        )?;
        Ok(self.exec("DELETE FROM domains WHERE name = $1", &[&domain.as_str()])? > 0)
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
            (table, None) => self.exec(
                &format!(
                    "INSERT INTO {table} (key, value) VALUES ($1, $2) \
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value"
                ),
                &[&key, &value],
            )?,
            (table, Some((column, owner))) => self.exec(
                &format!(
                    "INSERT INTO {table} ({column}, key, value) VALUES ($1, $2, $3) \
                     ON CONFLICT ({column}, key) DO UPDATE SET value = excluded.value"
                ),
                &[&owner, &key, &value],
            )?,
        };
        Ok(())
    }

    fn delete_setting(&mut self, scope: &SettingScope, key: &str) -> Result<bool> {
        let n = match settings_table(scope) {
            (table, None) => self.exec(&format!("DELETE FROM {table} WHERE key = $1"), &[&key])?,
            (table, Some((column, owner))) => self.exec(
                &format!("DELETE FROM {table} WHERE {column} = $1 AND key = $2"),
                &[&owner, &key],
            )?,
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
        Ok(self.exec(
            "INSERT INTO user_encryption_certificates (email, thumbprint) VALUES ($1, $2) \
             ON CONFLICT DO NOTHING",
            &[&user.as_str(), &thumbprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn delete_manual_encryption_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: &Thumbprint,
    ) -> Result<bool> {
        Ok(self.exec(
            "DELETE FROM user_encryption_certificates WHERE email = $1 AND thumbprint = $2",
            &[&user.as_str(), &thumbprint.as_bytes().as_slice()],
        )? > 0)
    }

    fn set_manual_signing_certificate(
        &mut self,
        user: &EmailAddress,
        thumbprint: Option<&Thumbprint>,
    ) -> Result<bool> {
        let Some(t) = thumbprint else {
            return Ok(self.exec(
                "DELETE FROM user_signing_certificate WHERE email = $1",
                &[&user.as_str()],
            )? > 0);
        };
        if !self.has_user(user)? {
            return Err(unknown_scope(&SettingScope::User(user.clone())));
        }
        if self.manual_signing_certificate(user)?.as_ref() == Some(t) {
            return Ok(false);
        }
        self.exec(
            "INSERT INTO user_signing_certificate (email, thumbprint) VALUES ($1, $2) \
             ON CONFLICT (email) DO UPDATE SET thumbprint = excluded.thumbprint",
            &[&user.as_str(), &t.as_bytes().as_slice()],
        )?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests;
