//! The versioned schema of [`SqliteStore`](super::SqliteStore).
//!
//! The schema version is SQLite's `PRAGMA user_version`. [`MIGRATIONS`] is the ordered list of
//! steps: step `i` (0-based) moves a database from version `i` to version `i + 1`. Pending steps
//! are applied together in one `BEGIN IMMEDIATE` transaction, so concurrent openers never see a
//! half-migrated schema. A database whose version is newer than this library knows is refused
//! with a clear [`Error::Storage`] instead of being misread. Never edit a released step; append a
//! new one.

use rusqlite::{Connection, TransactionBehavior};

use crate::cert::Serial;
use crate::error::{Error, Result};
use crate::store::{CrlEntries, RevokedEntry};
use crate::time::from_unix_seconds;

/// `PRAGMA application_id` of a hermes-pki database ("HPKI").
pub(super) const APPLICATION_ID: i64 = 0x4850_4B49;

/// One migration step.
pub(super) enum Step {
    /// Schema changes only.
    Sql(&'static str),
    /// `before`, then `convert` rewriting the data in Rust, then `after`.
    Convert {
        before: &'static str,
        convert: fn(&Connection) -> Result<()>,
        after: &'static str,
    },
}

impl Step {
    /// Applies the step on `conn` (inside the migration's transaction).
    pub(super) fn apply(&self, conn: &Connection) -> Result<()> {
        match self {
            Step::Sql(sql) => conn.execute_batch(sql)?,
            Step::Convert {
                before,
                convert,
                after,
            } => {
                conn.execute_batch(before)?;
                convert(conn)?;
                conn.execute_batch(after)?;
            }
        }
        Ok(())
    }
}

/// The migration steps, oldest first.
pub(super) const MIGRATIONS: &[Step] = &[
    // 1: certificate store, email index, sealed keys, root store, meta.
    Step::Sql(
        "
    CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value BLOB NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE certificates (
        thumbprint  BLOB PRIMARY KEY,      -- SHA-512 of der
        der         BLOB NOT NULL,
        subject     TEXT NOT NULL,         -- RFC 4514, for display and search
        subject_der BLOB NOT NULL,
        issuer_der  BLOB NOT NULL,
        serial      BLOB NOT NULL,         -- big-endian magnitude
        ski         BLOB,                  -- subjectKeyIdentifier
        key_id      BLOB NOT NULL,         -- SHA-256 of the SubjectPublicKeyInfo DER
        not_before  INTEGER NOT NULL,      -- Unix seconds
        not_after   INTEGER NOT NULL,      -- Unix seconds
        is_ca       INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX certificates_subject ON certificates (subject_der);
    CREATE INDEX certificates_ski ON certificates (ski);
    CREATE INDEX certificates_issuer_serial ON certificates (issuer_der, serial);
    CREATE INDEX certificates_key_id ON certificates (key_id);
    CREATE INDEX certificates_not_after ON certificates (not_after);

    CREATE TABLE cert_emails (
        email      TEXT NOT NULL,          -- normalised (cert::normalize_email)
        thumbprint BLOB NOT NULL REFERENCES certificates (thumbprint) ON DELETE CASCADE,
        PRIMARY KEY (email, thumbprint)
    ) WITHOUT ROWID;
    CREATE INDEX cert_emails_thumbprint ON cert_emails (thumbprint);

    CREATE TABLE keys (
        key_id BLOB PRIMARY KEY,           -- SHA-256 of the SubjectPublicKeyInfo DER
        sealed BLOB NOT NULL               -- AES-256-GCM sealed PKCS#8 (store::seal)
    ) WITHOUT ROWID;

    CREATE TABLE roots (
        thumbprint  BLOB PRIMARY KEY,
        der         BLOB NOT NULL,
        subject_der BLOB NOT NULL,
        ski         BLOB
    ) WITHOUT ROWID;
    CREATE INDEX roots_subject ON roots (subject_der);
    CREATE INDEX roots_ski ON roots (ski);
    ",
    ),
    // 2: certificate authorities, issued certificates, Certificate Trust List.
    Step::Sql(
        "
    CREATE TABLE cas (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
        name        TEXT NOT NULL,
        name_key    TEXT NOT NULL UNIQUE,               -- lower-cased name: unique CA names
        certificate BLOB NOT NULL,                      -- SHA-512 thumbprint of the current cert
        parent      INTEGER REFERENCES cas (id),
        is_default  INTEGER NOT NULL DEFAULT 0,
        imported    INTEGER NOT NULL,
        created     INTEGER NOT NULL                    -- Unix seconds
    );
    -- At most one default CA.
    CREATE UNIQUE INDEX cas_one_default ON cas (is_default) WHERE is_default = 1;

    CREATE TABLE issued (
        ca          INTEGER NOT NULL REFERENCES cas (id),
        serial      BLOB NOT NULL,                      -- big-endian magnitude
        subject     TEXT NOT NULL,
        email       TEXT,
        thumbprint  BLOB NOT NULL,
        not_before  INTEGER NOT NULL,
        not_after   INTEGER NOT NULL,
        issued_at   INTEGER NOT NULL,
        PRIMARY KEY (ca, serial)                        -- serials unique per issuer
    ) WITHOUT ROWID;
    CREATE INDEX issued_email ON issued (email);
    CREATE INDEX issued_thumbprint ON issued (thumbprint);

    CREATE TABLE ctl (
        thumbprint    BLOB PRIMARY KEY,                 -- SHA-512 of the certificate
        status        TEXT NOT NULL CHECK (status IN ('whitelisted', 'blacklisted')),
        allow_expired INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    ),
    // 3: CRL store with indexed entries, CA CRL numbers, distribution point fetch history,
    // S/MIME capabilities announced by correspondents.
    Step::Sql(
        "
    ALTER TABLE cas ADD COLUMN crl_number INTEGER;      -- last CRL number the CA used

    CREATE TABLE crls (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
        sha256      BLOB NOT NULL UNIQUE,               -- SHA-256 of the DER (in crl_der)
        issuer      TEXT NOT NULL,                      -- RFC 4514
        issuer_der  BLOB NOT NULL,
        number      BLOB,                               -- cRLNumber, big-endian magnitude
        delta_base  BLOB,                               -- deltaCRLIndicator BaseCRLNumber
        scope       BLOB NOT NULL,                      -- issuingDistributionPoint DER or empty
        this_update INTEGER NOT NULL,                   -- Unix seconds
        next_update INTEGER,
        signer_key  BLOB,                               -- SHA-256 of the verifying SPKI
        problem     TEXT,                               -- NULL: valid; else why invalid
        entries     INTEGER NOT NULL,
        source      TEXT,
        stored_at   INTEGER NOT NULL
    );
    CREATE INDEX crls_issuer ON crls (issuer_der);

    -- The DER apart: a CRL of a million entries is tens of MB, and SQLite would walk its
    -- overflow pages to reach any column stored after it on every lookup.
    CREATE TABLE crl_der (
        crl INTEGER PRIMARY KEY,                        -- crls.id
        der BLOB NOT NULL
    );

    CREATE TABLE crl_entries (
        crl        INTEGER NOT NULL,                    -- crls.id (deleted with it)
        serial     BLOB NOT NULL,                       -- big-endian magnitude
        revoked_at INTEGER NOT NULL,
        reason     INTEGER,                             -- CRLReason code
        PRIMARY KEY (crl, serial)
    ) WITHOUT ROWID;

    CREATE TABLE smime_capabilities (
        thumbprint BLOB PRIMARY KEY,                    -- SHA-512 of the certificate
        oids       TEXT NOT NULL                        -- dotted OIDs, space-separated
    ) WITHOUT ROWID;

    CREATE TABLE crl_fetches (
        url          TEXT PRIMARY KEY,
        last_attempt INTEGER NOT NULL,
        last_success INTEGER,
        last_error   TEXT
    ) WITHOUT ROWID;
    ",
    ),
    // 4: users, domains, and settings per scope (global, domain, user). A user's or domain's
    // settings go with it.
    Step::Sql(
        "
    CREATE TABLE users (
        email TEXT PRIMARY KEY                          -- normalised (store::EmailAddress)
    ) WITHOUT ROWID;

    CREATE TABLE domains (
        name TEXT PRIMARY KEY                           -- normalised (store::DomainName)
    ) WITHOUT ROWID;

    CREATE TABLE global_settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE domain_settings (
        domain TEXT NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
        key    TEXT NOT NULL,
        value  TEXT NOT NULL,
        PRIMARY KEY (domain, key)
    ) WITHOUT ROWID;

    CREATE TABLE user_settings (
        email TEXT NOT NULL REFERENCES users (email) ON DELETE CASCADE,
        key   TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (email, key)
    ) WITHOUT ROWID;
    ",
    ),
    // 5: manual certificate selections per user: encryption certificates chosen by hand, and
    // the signing certificate chosen by hand (no row: automatic). They go with the user.
    Step::Sql(
        "
    CREATE TABLE user_encryption_certificates (
        email      TEXT NOT NULL REFERENCES users (email) ON DELETE CASCADE,
        thumbprint BLOB NOT NULL,                       -- SHA-512 of the certificate
        PRIMARY KEY (email, thumbprint)
    ) WITHOUT ROWID;

    CREATE TABLE user_signing_certificate (
        email      TEXT PRIMARY KEY REFERENCES users (email) ON DELETE CASCADE,
        thumbprint BLOB NOT NULL                        -- SHA-512 of the certificate
    ) WITHOUT ROWID;
    ",
    ),
    // 6: certificate requests (issue 15): pending until completed or cancelled. The key pair
    // of an outward CSR is in `keys` under key_id; `options` is the request module's text form.
    Step::Sql(
        "
    CREATE TABLE requests (
        id           INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused
        handler      TEXT NOT NULL,
        status       TEXT NOT NULL,                      -- pending, completed, cancelled
        email        TEXT NOT NULL,                      -- normalised
        options      TEXT NOT NULL,
        key_id       BLOB,                               -- SHA-256 of the SubjectPublicKeyInfo
        csr          BLOB,                               -- PKCS#10, DER
        reference    TEXT,
        certificate  BLOB,                               -- SHA-512 thumbprint once completed
        created      INTEGER NOT NULL,                   -- Unix seconds
        updated      INTEGER NOT NULL,
        next_attempt INTEGER NOT NULL,
        attempts     INTEGER NOT NULL,
        last_error   TEXT
    );
    CREATE INDEX requests_status ON requests (status);
    CREATE INDEX requests_key_id ON requests (key_id);
    ",
    ),
    // 7: a CRL's entries as one packed value (store::CrlEntries) instead of a row each: a
    // million entries are written and read at once, and searched in place.
    Step::Convert {
        before: "
    CREATE TABLE crl_entries_packed (
        crl    INTEGER PRIMARY KEY,                     -- crls.id (deleted with it)
        packed BLOB NOT NULL                            -- store::CrlEntries, sorted by serial
    );
    ",
        convert: pack_crl_entries,
        after: "
    DROP TABLE crl_entries;
    ",
    },
];

/// The schema version this library writes and understands.
pub(super) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |r| r.get(0))?)
}

fn check_version(v: i64) -> Result<()> {
    let known = latest_version();
    if v > known {
        return Err(Error::Storage(format!(
            "the database has schema version {v}, newer than this library supports \
             (version {known}); it was written by a newer hermes-pki: upgrade hermes-pki to open it"
        )));
    }
    if v < 0 {
        return Err(Error::Storage(format!(
            "the database has an invalid schema version {v}; it is not a hermes-pki database"
        )));
    }
    Ok(())
}

fn check_application_id(conn: &Connection) -> Result<()> {
    let id: i64 = conn.pragma_query_value(None, "application_id", |r| r.get(0))?;
    if id != 0 && id != APPLICATION_ID {
        return Err(Error::Storage(format!(
            "the database file belongs to another application (application_id {id:#x}); \
             it is not a hermes-pki database"
        )));
    }
    Ok(())
}

/// Brings the schema up to [`latest_version`], or refuses a database that is newer.
pub(super) fn migrate(conn: &mut Connection) -> Result<()> {
    check_application_id(conn)?;
    let v = user_version(conn)?;
    check_version(v)?;
    if v == latest_version() {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    // Another process may have migrated while this one waited for the lock.
    let v = user_version(&tx)?;
    check_version(v)?;
    let from = usize::try_from(v).unwrap_or(usize::MAX);
    for step in MIGRATIONS.iter().skip(from) {
        step.apply(&tx)?;
    }
    tx.pragma_update(None, "user_version", latest_version())?;
    tx.pragma_update(None, "application_id", APPLICATION_ID)?;
    tx.commit()?;
    Ok(())
}

/// Step 7's conversion: packs each stored CRL's rows of `crl_entries` into
/// `crl_entries_packed` (every CRL gets a value, empty when it had no rows).
fn pack_crl_entries(conn: &Connection) -> Result<()> {
    let ids: Vec<i64> = conn
        .prepare("SELECT id FROM crls ORDER BY id")?
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = conn.prepare(
        "SELECT serial, revoked_at, reason FROM crl_entries WHERE crl = ?1 ORDER BY serial",
    )?;
    let mut insert =
        conn.prepare("INSERT INTO crl_entries_packed (crl, packed) VALUES (?1, ?2)")?;
    for id in ids {
        let entries = rows
            .query_map([id], |r| {
                Ok(RevokedEntry {
                    serial: Serial::from_bytes(&r.get::<_, Vec<u8>>(0)?),
                    date: from_unix_seconds(r.get(1)?),
                    // As the rows were read before: a code that is no CRLReason (only a
                    // caller of insert_crl could have stored one) reads as none.
                    reason: r
                        .get::<_, Option<i64>>(2)?
                        .and_then(|r| u8::try_from(r).ok())
                        .filter(|&r| r != u8::MAX),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        insert.execute(rusqlite::params![id, CrlEntries::new(&entries)?.as_bytes()])?;
    }
    Ok(())
}
