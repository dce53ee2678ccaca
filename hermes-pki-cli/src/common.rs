//! What every command group shares: the error type and exit codes, the store, reading and
//! writing files (with `-` for stdin/stdout), finding certificates and CAs by what an operator
//! types, key choices, and RFC 3339 times.

use std::fmt;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clap::ValueEnum;
use hermes_pki::ca::CertificateAuthority;
use hermes_pki::cert::{Certificate, Thumbprint};
use hermes_pki::key::{KeyId, KeySpec};
use hermes_pki::store::{
    AnyStore, CaRecord, CertificateFilter, Create, MasterKeySource, ReadTransaction, StoreExt,
    StoreLocation,
};
use hermes_pki::{Error, ErrorKind};

/// Exit code of a command that did what it was asked.
pub const EXIT_OK: u8 = 0;
/// Exit code of a command that failed (the message is on stderr).
pub const EXIT_FAILURE: u8 = 1;
/// Exit code of a validation or verification whose answer is "not valid" (reasons printed).
pub const EXIT_INVALID: u8 = 3;

/// The largest input file read (a PKCS#12 file or a bundle of certificates is far smaller).
const MAX_INPUT: u64 = 256 * 1024 * 1024;

/// A command's failure: what went wrong and what to do, for stderr, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// The message (one or more lines; the first says what failed).
    pub message: String,
    /// What the operator can do about it, if there is more to say than the message.
    pub hint: Option<String>,
    /// The exit code (normally [`EXIT_FAILURE`]).
    pub code: u8,
}

impl CliError {
    /// A failure with this message and exit code 1.
    pub fn new(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            hint: None,
            code: EXIT_FAILURE,
        }
    }

    /// Adds a hint ("run `hermes-pki ca list` to see the CAs").
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// Puts `context` in front of the message ("cannot import alice.pem: ...").
    pub fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = format!("{context}: {}", self.message);
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\nhint: {h}")?;
        }
        Ok(())
    }
}

impl From<Error> for CliError {
    fn from(e: Error) -> Self {
        let hint = match e.kind() {
            ErrorKind::BadPassword if !matches!(e, Error::WrongMasterKey(_)) => {
                Some("check the password given (--password-file, --password-env or --password)")
            }
            ErrorKind::Storage => Some(
                "check that --store (or HERMES_PKI_STORE) names a hermes-pki store directory \
                 and that it is readable and writable",
            ),
            _ => None,
        };
        CliError {
            message: e.to_string(),
            hint: hint.map(str::to_string),
            code: EXIT_FAILURE,
        }
    }
}

/// `Result` with a [`CliError`].
pub type CliResult<T> = Result<T, CliError>;

/// Adds context to the errors of a library call.
pub trait Context<T> {
    /// Puts `what` in front of the error message.
    fn context(self, what: impl fmt::Display) -> CliResult<T>;
}

impl<T, E: Into<CliError>> Context<T> for Result<T, E> {
    fn context(self, what: impl fmt::Display) -> CliResult<T> {
        self.map_err(|e| e.into().context(what))
    }
}

/// What every command knows: the store, the master key file and the output mode.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The store directory or PostgreSQL URL (`--store`, `HERMES_PKI_STORE`, or
    /// `./hermes-data`).
    pub store_dir: PathBuf,
    /// Whether the store directory was chosen (flag or environment) rather than defaulted.
    pub store_given: bool,
    /// `--master-key-file` / `HERMES_PKI_MASTER_KEY_FILE`.
    pub master_key_file: Option<PathBuf>,
    /// `--json`: one JSON document on stdout instead of the human summary.
    pub json: bool,
}

impl Ctx {
    /// Where the store is.
    pub fn location(&self) -> StoreLocation {
        StoreLocation::from_path(&self.store_dir)
    }

    /// Opens the store, which must exist: for commands that only read or change what is
    /// there. Where there is no store, says so (nothing is created).
    pub fn open(&self) -> CliResult<AnyStore> {
        open_store(
            &self.location(),
            self.master_key_file.as_deref(),
            Create::Never,
        )
    }

    /// Opens the store, creating it when there is none: for commands that add something
    /// (`ca create`, `cert import`, `root import`, ...).
    pub fn create(&self) -> CliResult<AnyStore> {
        open_store(
            &self.location(),
            self.master_key_file.as_deref(),
            Create::IfMissing,
        )
    }
}

/// The files of a directory store that did not exist before a command ran: removed again when
/// the command failed and left the new store empty (a failed command leaves no store behind).
#[derive(Debug, Default)]
pub struct NewStoreGuard {
    dir: Option<PathBuf>,
    dir_existed: bool,
    new_files: Vec<PathBuf>,
}

impl NewStoreGuard {
    /// Notes what is missing before `command` runs (nothing for `demo`, which keeps or removes
    /// its own store, and for `store`, whose targets are its arguments).
    pub fn before(ctx: &Ctx, command: &crate::Command) -> Self {
        if matches!(command, crate::Command::Demo(_) | crate::Command::Store(_)) {
            return Self::default();
        }
        let StoreLocation::Directory(dir) = ctx.location() else {
            return Self::default();
        };
        let db = dir.join(hermes_pki::store::SqliteStore::DATABASE_FILE);
        if db.exists() {
            return Self::default();
        }
        let mut new_files: Vec<PathBuf> = ["", "-wal", "-shm", "-journal"]
            .iter()
            .map(|s| PathBuf::from(format!("{}{s}", db.display())))
            .collect();
        let key = ctx
            .master_key_file
            .clone()
            .unwrap_or_else(|| dir.join(hermes_pki::store::SqliteStore::KEY_FILE));
        new_files.push(key);
        new_files.retain(|p| !p.exists());
        NewStoreGuard {
            dir_existed: dir.exists(),
            dir: Some(dir),
            new_files,
        }
    }

    /// Removes the store the failed command created, if it holds nothing.
    pub fn remove_if_empty(&self, ctx: &Ctx) {
        let Some(dir) = &self.dir else { return };
        if !dir
            .join(hermes_pki::store::SqliteStore::DATABASE_FILE)
            .exists()
        {
            return;
        }
        let empty = match open_store(
            &ctx.location(),
            ctx.master_key_file.as_deref(),
            Create::Never,
        ) {
            Ok(store) => hermes_pki::store::store_is_empty(&store).unwrap_or(false),
            Err(_) => false,
        };
        if !empty {
            return;
        }
        for f in &self.new_files {
            let _ = std::fs::remove_file(f);
        }
        if !self.dir_existed {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Opens the store at `location` with the master key file (if given), with messages that say
/// what to do (and never a password).
pub fn open_store(
    location: &StoreLocation,
    master_key_file: Option<&Path>,
    create: Create,
) -> CliResult<AnyStore> {
    let source = master_key_file.map(MasterKeySource::key_file);
    let shown = location.describe();
    AnyStore::open(location, source, create).map_err(|e| {
        let no_store = e.kind() == ErrorKind::NotFound && create == Create::Never;
        let hint = match (&e, location) {
            _ if no_store => Some(
                "create a store with `hermes-pki ca create` (or `ca import`, `cert import`, \
                 `root import`), or point --store (HERMES_PKI_STORE) at an existing store"
                    .to_string(),
            ),
            (Error::NotPermitted(m), _) if m.contains("master key file") => Some(
                "make the key file private with chmod 600 (and give its real path, not a \
                 symbolic link)"
                    .to_string(),
            ),
            (_, StoreLocation::Postgres(_)) if e.kind() == ErrorKind::Storage => Some(
                "check the URL (host, port, database), that the PostgreSQL server runs, and \
                 that this machine may connect to it"
                    .to_string(),
            ),
            _ => None,
        };
        let mut err = CliError::from(e).context(format!("cannot open the store {shown}"));
        if hint.is_some() {
            err.hint = hint;
        }
        err
    })
}

/// An input read whole: its name for messages, and its bytes.
#[derive(Debug)]
pub struct Input {
    /// The file name as given, or `stdin`.
    pub name: String,
    /// The contents.
    pub bytes: Vec<u8>,
}

/// Reads a file, or stdin for `-` (at most 256 MiB).
pub fn read_input(path: &str) -> CliResult<Input> {
    let mut bytes = Vec::new();
    let name = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::new(format!("cannot read stdin: {e}")))?;
        "stdin".to_string()
    } else {
        let file = std::fs::File::open(path).map_err(|e| {
            CliError::new(format!("cannot read {path}: {e}")).hint("check the file name and path")
        })?;
        file.take(MAX_INPUT + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| CliError::new(format!("cannot read {path}: {e}")))?;
        path.to_string()
    };
    if bytes.len() as u64 > MAX_INPUT {
        return Err(CliError::new(format!(
            "{name} is larger than {} MiB; that is not a certificate, key or CRL file",
            MAX_INPUT / (1024 * 1024)
        )));
    }
    Ok(Input { name, bytes })
}

/// Where a command writes its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dest {
    /// Standard output.
    Stdout,
    /// A file.
    File(PathBuf),
}

impl Dest {
    /// `None` or `-` is stdout; anything else a file.
    pub fn from_arg(arg: Option<&str>) -> Self {
        match arg {
            None | Some("-") => Dest::Stdout,
            Some(p) => Dest::File(PathBuf::from(p)),
        }
    }

    /// Refuses to put binary data (DER, PKCS#12) on a terminal.
    pub fn check_binary(&self, what: &str, json: bool) -> CliResult<()> {
        if *self == Dest::Stdout && !json && std::io::stdout().is_terminal() {
            return Err(CliError::new(format!(
                "{what} is binary and stdout is a terminal; not writing it there"
            ))
            .hint("give --out FILE, or redirect stdout to a file"));
        }
        Ok(())
    }
}

/// Writes `bytes` to the file `path`, replacing it. A `secret` file (a private key, a PKCS#12
/// file) is created readable by its owner only (on Unix).
pub fn write_file(path: &Path, bytes: &[u8], secret: bool) -> CliResult<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let mut file = options.open(path).map_err(|e| {
        CliError::new(format!("cannot write {}: {e}", path.display()))
            .hint("check that the directory exists and is writable")
    })?;
    #[cfg(unix)]
    if secret {
        // An existing file keeps its mode on open: narrow it before the secret goes in.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(|e| CliError::new(format!("cannot protect {}: {e}", path.display())))?;
    }
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::new(format!("cannot write {}: {e}", path.display())))
}

/// Checks, before any change to the store, that `path` can be written: creates it (empty) and
/// returns a guard that removes it again unless [`OutputFile::keep`] is called.
#[derive(Debug)]
pub struct OutputFile {
    path: PathBuf,
    existed: bool,
    keep: bool,
}

impl OutputFile {
    /// Creates (or opens for writing) `path` now, so that a bad path fails before the store
    /// changes.
    pub fn reserve(path: &Path, secret: bool) -> CliResult<Self> {
        let existed = path.exists();
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        if secret {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = secret;
        options.open(path).map_err(|e| {
            CliError::new(format!("cannot write {}: {e}", path.display()))
                .hint("check that the directory exists and is writable")
        })?;
        Ok(OutputFile {
            path: path.to_path_buf(),
            existed,
            keep: false,
        })
    }

    /// Writes the contents and keeps the file.
    pub fn write(mut self, bytes: &[u8], secret: bool) -> CliResult<()> {
        write_file(&self.path, bytes, secret)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if !self.keep && !self.existed {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The key types an operator can choose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// RSA (size with --key-size: 2048, 3072 or 4096).
    Rsa,
    /// ECDSA/ECDH on NIST P-256 (fast).
    EcP256,
    /// ECDSA/ECDH on NIST P-384.
    EcP384,
}

/// The key to generate from `--key-type` and `--key-size`; RSA of `default_rsa_bits` when
/// neither is given (the library's default for the operation).
pub fn key_spec(
    key_type: Option<KeyType>,
    key_size: Option<usize>,
    default_rsa_bits: usize,
) -> CliResult<KeySpec> {
    match (key_type, key_size) {
        (None | Some(KeyType::Rsa), bits) => Ok(KeySpec::Rsa(bits.unwrap_or(default_rsa_bits))),
        (Some(KeyType::EcP256), None) => Ok(KeySpec::EcP256),
        (Some(KeyType::EcP384), None) => Ok(KeySpec::EcP384),
        (Some(_), Some(_)) => Err(CliError::new(
            "--key-size is the size of an RSA key; an EC key's size comes with its curve",
        )
        .hint("drop --key-size, or use --key-type rsa")),
    }
}

/// A short human name of a key choice ("RSA-2048", "EC P-256").
pub fn key_spec_name(spec: KeySpec) -> String {
    match spec {
        KeySpec::Rsa(bits) => format!("RSA-{bits}"),
        KeySpec::EcP256 => "EC P-256".into(),
        KeySpec::EcP384 => "EC P-384".into(),
        other => format!("{other:?}"),
    }
}

/// The CA named by an id or a common name, with the hint to list them when there is none.
pub fn find_ca(store: &AnyStore, id_or_name: &str) -> CliResult<CaRecord> {
    CertificateAuthority::new(store)
        .find(id_or_name)
        .map_err(|e| match e.kind() {
            ErrorKind::NotFound => CliError::from(e).hint(
                "a CA is named by its id or its common name; run `hermes-pki ca list` to see them",
            ),
            _ => e.into(),
        })
}

/// Whether the private key of `cert` is in the store.
pub fn has_key(tx: &dyn ReadTransaction, cert: &Certificate) -> hermes_pki::Result<bool> {
    tx.has_key(&KeyId::of_public_key_der(cert.public_key_der()))
}

/// The stored certificate (or trust anchor) an operator means by `id`: a SHA-512 thumbprint
/// (hex, `:` and spaces allowed), an unambiguous prefix of one (at least 8 hex digits), or an
/// email address that exactly one stored certificate carries.
pub fn resolve_certificate(store: &AnyStore, id: &str) -> CliResult<Certificate> {
    let hint = "name a certificate by its SHA-512 thumbprint, the first 8 or more hex digits \
                of it, or its email address; run `hermes-pki cert list` to see them";
    let found = store.read_transaction(|tx| {
        if let Ok(t) = id.parse::<Thumbprint>() {
            if let Some(c) = tx.certificate(&t)? {
                return Ok(Some(vec![c]));
            }
            return Ok(Some(
                tx.roots()?
                    .into_iter()
                    .filter(|r| r.thumbprint() == &t)
                    .collect(),
            ));
        }
        if id.contains('@') {
            return tx.certificates_by_email(id).map(Some);
        }
        let prefix: String = id
            .chars()
            .filter(|c| !matches!(c, ':' | ' '))
            .collect::<String>()
            .to_ascii_uppercase();
        if prefix.len() < 8 || !prefix.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let mut matches: Vec<Certificate> = Vec::new();
        let candidates = tx
            .list_certificates(&CertificateFilter::new())?
            .into_iter()
            .chain(tx.roots()?);
        for c in candidates {
            if c.thumbprint().to_hex().starts_with(&prefix)
                && !matches.iter().any(|m| m.thumbprint() == c.thumbprint())
            {
                matches.push(c);
            }
        }
        Ok(Some(matches))
    });
    let Some(found) = found.map_err(|e| CliError::from(e).hint(hint))? else {
        return Err(CliError::new(format!("{id:?} is not a certificate id")).hint(hint));
    };
    match found.len() {
        0 => Err(CliError::new(format!("no stored certificate matches {id:?}")).hint(hint)),
        1 => found
            .into_iter()
            .next()
            .ok_or_else(|| CliError::new("internal: lost the matching certificate")),
        n => {
            let list: Vec<String> = found
                .iter()
                .map(|c| format!("  {}  {}", short(c.thumbprint()), c.subject()))
                .collect();
            Err(CliError::new(format!(
                "{n} stored certificates match {id:?}:\n{}",
                list.join("\n")
            ))
            .hint("give more digits of the thumbprint"))
        }
    }
}

/// The first 16 hex digits of a thumbprint, as listings show it.
pub fn short(t: &Thumbprint) -> String {
    t.to_hex().chars().take(16).collect()
}

/// Parses an RFC 3339 time or a plain date ([`hermes_pki::time::parse_rfc3339`]), with a hint
/// on the accepted forms when it is neither.
pub fn parse_rfc3339(s: &str) -> CliResult<SystemTime> {
    hermes_pki::time::parse_rfc3339(s).map_err(|e| {
        CliError::from(e)
            .hint("write it like 2026-01-31T12:00:00Z, 2026-01-31T13:00:00+01:00 or 2026-01-31")
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use hermes_pki::time::{to_rfc3339, unix_seconds};

    /// The forms themselves are tested with `hermes_pki::time::parse_rfc3339`; here, that the
    /// CLI's wrapper passes a time through and adds its hint to a refusal.
    #[test]
    fn rfc3339_times_parse() {
        let t = parse_rfc3339("2026-01-31T13:00:00.250+01:00").unwrap();
        assert_eq!(to_rfc3339(t), "2026-01-31T12:00:00Z");
        assert_eq!(unix_seconds(parse_rfc3339("1970-01-01").unwrap()), 0);
        let e = parse_rfc3339("2025-02-29").unwrap_err().to_string();
        assert!(e.contains("\"2025-02-29\" is not an RFC 3339 time"), "{e}");
        assert!(
            e.contains("hint: write it like 2026-01-31T12:00:00Z"),
            "{e}"
        );
    }

    #[test]
    fn key_choices() {
        assert_eq!(key_spec(None, None, 2048).unwrap(), KeySpec::Rsa(2048));
        assert_eq!(
            key_spec(None, Some(3072), 2048).unwrap(),
            KeySpec::Rsa(3072)
        );
        assert_eq!(
            key_spec(Some(KeyType::EcP384), None, 2048).unwrap(),
            KeySpec::EcP384
        );
        assert!(key_spec(Some(KeyType::EcP256), Some(256), 2048).is_err());
    }
}
