//! Bulk certificate requests from a CSV file (REQUIREMENTS.md section 6), read with the `csv`
//! crate.
//!
//! The file:
//!
//! - the first row names the columns, case-insensitively, with aliases: `EMAIL` (`e`),
//!   `COMMONNAME` (`cn`), `ORGANISATION` (`organization`, `org`, `o`), `FIRSTNAME` (`fn`,
//!   `givenname`, `gn`), `LASTNAME` (`ln`, `surname`, `sn`). `EMAIL` and `COMMONNAME` are
//!   required; other columns are ignored (and listed in the preview);
//! - `,` or `;` between values (whichever the header row uses more), values quoted with `"`
//!   may hold the separator, quotes (`""`) and line breaks;
//! - UTF-8 with or without a byte order mark, or UTF-16 (little or big endian) with its byte
//!   order mark, as Excel's "Unicode text" writes it;
//! - at most 10,000 rows and 256 characters per value by default ([`BulkLimits`]); blank rows
//!   are ignored.
//!
//! [`preview`] reads the file and the store and changes nothing: what will be requested, what
//! is skipped (an address that already has a valid signing certificate, when asked), and every
//! row error (a bad address, a missing name, a value too long, an address twice in the file)
//! with its line number. [`run`] requests every planned row, each in its own store transaction,
//! so a failure never leaves a half-issued row: it stops at the first failure and reports
//! which rows were issued and which not.
//!
//! ```
//! use hermes_pki::ca::{CaSpec, CertificateAuthority, DistinguishedName};
//! use hermes_pki::key::KeySpec;
//! use hermes_pki::request::bulk::{self, BulkOptions};
//! use hermes_pki::request::{RequestOptions, Requests};
//! use hermes_pki::store::MemoryStore;
//! use hermes_pki::time::SystemClock;
//!
//! # fn main() -> hermes_pki::Result<()> {
//! let store = MemoryStore::new();
//! CertificateAuthority::new(&store)
//!     .create(&CaSpec::new(DistinguishedName::new("Root")).key(KeySpec::EcP256), &SystemClock)?;
//! let csv = "Email,CN,Org\nalice@example.com,Alice,\"Example, Inc\"\nnot-an-address,Bob,\n";
//! let options = BulkOptions::new(RequestOptions::new("", "").key(KeySpec::EcP256));
//! let plan = bulk::preview(&store, csv.as_bytes(), &options, &SystemClock)?;
//! assert_eq!(plan.rows().len(), 1);
//! assert_eq!(plan.errors()[0].line, 3);
//!
//! // A file with row errors is not run; without the bad row it is.
//! let requests = Requests::new(&store);
//! assert!(bulk::run(&requests, &plan, &SystemClock, &mut |_, _| {}).is_err());
//! let csv = "Email,CN,Org\nalice@example.com,Alice,\"Example, Inc\"\n";
//! let plan = bulk::preview(&store, csv.as_bytes(), &options, &SystemClock)?;
//! let report = bulk::run(&requests, &plan, &SystemClock, &mut |_, _| {})?;
//! assert_eq!(report.issued().len(), 1);
//! # Ok(())
//! # }
//! ```

use std::collections::HashMap;

use crate::cert::normalize_email;
use crate::error::{Error, Result};
use crate::select::signing_certificate;
use crate::store::{EmailAddress, Store, StoreExt};
use crate::time::Clock;

use super::{RequestOptions, RequestResult, Requests};

/// Size limits of a bulk file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkLimits {
    /// Most data rows (the header row not counted).
    pub max_rows: usize,
    /// Most characters in one value.
    pub max_value_chars: usize,
}

impl Default for BulkLimits {
    fn default() -> Self {
        BulkLimits {
            max_rows: 10_000,
            max_value_chars: 256,
        }
    }
}

/// How a bulk file is requested: the options every row shares, the limits, and whether
/// addresses that already have a valid signing certificate are skipped.
#[derive(Debug, Clone)]
pub struct BulkOptions {
    template: RequestOptions,
    limits: BulkLimits,
    skip_existing: bool,
}

impl BulkOptions {
    /// Rows requested with `template` (its email and names are replaced by each row's),
    /// the default limits, addresses with a valid signing certificate skipped.
    pub fn new(template: RequestOptions) -> Self {
        BulkOptions {
            template,
            limits: BulkLimits::default(),
            skip_existing: true,
        }
    }

    /// Other limits.
    pub fn limits(mut self, limits: BulkLimits) -> Self {
        self.limits = limits;
        self
    }

    /// `false`: request a certificate for every row, even for an address that already has a
    /// valid signing certificate.
    pub fn skip_existing(mut self, yes: bool) -> Self {
        self.skip_existing = yes;
        self
    }
}

/// A row that will be requested.
#[derive(Debug, Clone)]
pub struct PlannedRow {
    /// The line the row starts on (1 is the header row).
    pub line: u64,
    /// What is requested for it.
    pub options: RequestOptions,
}

/// A row that is not requested, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowNote {
    /// The line the row starts on.
    pub line: u64,
    /// The row's email address as written (empty if it has none).
    pub email: String,
    /// Why, as an admin reads it.
    pub message: String,
}

/// What [`preview`] found: the rows to request, the rows skipped, the row errors.
#[derive(Debug, Clone)]
pub struct Plan {
    rows: Vec<PlannedRow>,
    skipped: Vec<RowNote>,
    errors: Vec<RowNote>,
    ignored_columns: Vec<String>,
}

impl Plan {
    /// The rows that will be requested, in file order.
    pub fn rows(&self) -> &[PlannedRow] {
        &self.rows
    }

    /// The rows skipped because the address already has a valid signing certificate.
    pub fn skipped(&self) -> &[RowNote] {
        &self.skipped
    }

    /// Every row error, in file order.
    pub fn errors(&self) -> &[RowNote] {
        &self.errors
    }

    /// Header columns that are not used, as written.
    pub fn ignored_columns(&self) -> &[String] {
        &self.ignored_columns
    }
}

/// A row [`run`] issued.
#[derive(Debug)]
pub struct IssuedRow {
    /// The row's line.
    pub line: u64,
    /// What the request came to.
    pub result: RequestResult,
}

/// What [`run`] did.
#[derive(Debug)]
pub struct BulkReport {
    issued: Vec<IssuedRow>,
    failed: Option<RowNote>,
    not_issued: Vec<PlannedRow>,
}

impl BulkReport {
    /// The rows issued (each completely: certificate, key, request record).
    pub fn issued(&self) -> &[IssuedRow] {
        &self.issued
    }

    /// The rows issued, taken out (with their deliveries).
    pub fn into_issued(self) -> Vec<IssuedRow> {
        self.issued
    }

    /// The row whose request failed, with the error; the run stopped there.
    pub fn failed(&self) -> Option<&RowNote> {
        self.failed.as_ref()
    }

    /// The rows not issued: the failed one and those after it.
    pub fn not_issued(&self) -> &[PlannedRow] {
        &self.not_issued
    }

    /// Whether every planned row was issued.
    pub fn is_complete(&self) -> bool {
        self.failed.is_none()
    }
}

/// The columns a bulk file can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Email,
    CommonName,
    Organisation,
    FirstName,
    LastName,
}

impl Column {
    fn of(header: &str) -> Option<Column> {
        let h = header.trim().to_lowercase();
        Some(match h.as_str() {
            "email" | "e" => Column::Email,
            "commonname" | "cn" => Column::CommonName,
            "organisation" | "organization" | "org" | "o" => Column::Organisation,
            "firstname" | "fn" | "givenname" | "gn" => Column::FirstName,
            "lastname" | "ln" | "surname" | "sn" => Column::LastName,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Column::Email => "EMAIL",
            Column::CommonName => "COMMONNAME",
            Column::Organisation => "ORGANISATION",
            Column::FirstName => "FIRSTNAME",
            Column::LastName => "LASTNAME",
        }
    }
}

/// The text of a bulk file: UTF-8 (a BOM is dropped), or UTF-16 with a BOM.
pub fn decode(input: &[u8]) -> Result<String> {
    let utf16 = |bytes: &[u8], le: bool| -> Result<String> {
        if !bytes.len().is_multiple_of(2) {
            return Err(Error::malformed(
                "CSV file",
                "it starts with a UTF-16 byte order mark but has an odd number of bytes",
            ));
        }
        let units = bytes.chunks_exact(2).map(|c| {
            let pair = [c[0], c.get(1).copied().unwrap_or(0)];
            if le {
                u16::from_le_bytes(pair)
            } else {
                u16::from_be_bytes(pair)
            }
        });
        char::decode_utf16(units)
            .collect::<std::result::Result<String, _>>()
            .map_err(|_| Error::malformed("CSV file", "it is not valid UTF-16"))
    };
    if let Some(rest) = input.strip_prefix(b"\xEF\xBB\xBF") {
        String::from_utf8(rest.to_vec())
            .map_err(|_| Error::malformed("CSV file", "it is not valid UTF-8"))
    } else if let Some(rest) = input.strip_prefix(b"\xFF\xFE") {
        utf16(rest, true)
    } else if let Some(rest) = input.strip_prefix(b"\xFE\xFF") {
        utf16(rest, false)
    } else {
        String::from_utf8(input.to_vec()).map_err(|_| {
            Error::malformed(
                "CSV file",
                "it is neither UTF-8 nor UTF-16 with a byte order mark; save it as \"CSV \
                 UTF-8\" or \"Unicode text\"",
            )
        })
    }
}

/// `;` when the header row has more semicolons than commas, else `,`.
fn delimiter(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.chars().filter(|&x| x == c).count();
    if count(';') > count(',') { b';' } else { b',' }
}

/// Reads the file and plans the requests against the store, changing nothing.
///
/// Errors, for the whole file: it does not decode; its header lacks `EMAIL` or `COMMONNAME`,
/// or names a column twice ([`Error::Malformed`]); it has more rows than the limit
/// ([`Error::LimitExceeded`]); the store fails. Everything about one row is a row error in
/// the [`Plan`].
pub fn preview<S: Store + ?Sized>(
    store: &S,
    input: &[u8],
    options: &BulkOptions,
    clock: &dyn Clock,
) -> Result<Plan> {
    // Line ends as LF only: the csv reader counts the lines of CRLF files wrongly (a record
    // after the first is reported one line early), and a line break inside a value is
    // refused by the name checks anyway.
    let text = decode(input)?.replace("\r\n", "\n").replace('\r', "\n");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(&text))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let malformed = |e: csv::Error| Error::malformed("CSV file", e.to_string());
    let mut records = reader.records();
    let header = match records.next() {
        Some(h) => h.map_err(malformed)?,
        None => return Err(Error::Empty { what: "CSV file" }),
    };
    let mut columns: HashMap<Column, usize> = HashMap::new();
    let mut ignored = Vec::new();
    for (i, name) in header.iter().enumerate() {
        match Column::of(name) {
            Some(c) => {
                if columns.insert(c, i).is_some() {
                    return Err(Error::malformed(
                        "CSV file",
                        format!("the header row names the {} column twice", c.name()),
                    ));
                }
            }
            None if name.trim().is_empty() => {}
            None => ignored.push(name.trim().to_string()),
        }
    }
    for required in [Column::Email, Column::CommonName] {
        if !columns.contains_key(&required) {
            return Err(Error::malformed(
                "CSV file",
                format!(
                    "the header row has no {} column (the first row names the columns: EMAIL, \
                     COMMONNAME, and optionally ORGANISATION, FIRSTNAME, LASTNAME)",
                    required.name()
                ),
            ));
        }
    }

    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut count = 0usize;
    for record in records {
        let record = record.map_err(malformed)?;
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        count += 1;
        if count > options.limits.max_rows {
            return Err(Error::LimitExceeded(format!(
                "the CSV file has more than {} rows; split it",
                options.limits.max_rows
            )));
        }
        let get = |c: Column| {
            columns
                .get(&c)
                .and_then(|&i| record.get(i))
                .map(str::trim)
                .unwrap_or("")
        };
        let email = get(Column::Email).to_string();
        let note = |message: String| RowNote {
            line,
            email: email.clone(),
            message,
        };
        if let Some(c) = [
            Column::Email,
            Column::CommonName,
            Column::Organisation,
            Column::FirstName,
            Column::LastName,
        ]
        .into_iter()
        .find(|&c| get(c).chars().count() > options.limits.max_value_chars)
        {
            errors.push(note(format!(
                "the {} value is longer than {} characters",
                c.name(),
                options.limits.max_value_chars
            )));
            continue;
        }
        if email.is_empty() {
            errors.push(note("no email address".into()));
            continue;
        }
        let normalized = match normalize_email(&email) {
            Ok(n) => n,
            Err(e) => {
                errors.push(note(e.to_string()));
                continue;
            }
        };
        if get(Column::CommonName).is_empty() {
            errors.push(note("no common name (COMMONNAME)".into()));
            continue;
        }
        if let Some(first) = seen.get(&normalized) {
            errors.push(note(format!(
                "{normalized} is already requested on line {first}"
            )));
            continue;
        }
        seen.insert(normalized, line);
        let mut o = options.template.clone();
        o.email = email.clone();
        o.common_name = get(Column::CommonName).to_string();
        let optional = |c: Column| Some(get(c).to_string()).filter(|s| !s.is_empty());
        o.organization = optional(Column::Organisation);
        o.given_name = optional(Column::FirstName);
        o.surname = optional(Column::LastName);
        if let Err(e) = o.check() {
            errors.push(note(e.to_string()));
            continue;
        }
        rows.push(PlannedRow { line, options: o });
    }

    let mut skipped = Vec::new();
    if options.skip_existing && !rows.is_empty() {
        let now = clock.now();
        let existing: Vec<bool> = store.read_transaction(|tx| {
            rows.iter()
                .map(|r| {
                    let user = EmailAddress::new(&r.options.email)?;
                    Ok(signing_certificate(tx, &user, now)?.is_some())
                })
                .collect()
        })?;
        let mut keep = Vec::new();
        for (row, has) in rows.into_iter().zip(existing) {
            if has {
                skipped.push(RowNote {
                    line: row.line,
                    email: row.options.email.clone(),
                    message: "already has a valid signing certificate".into(),
                });
            } else {
                keep.push(row);
            }
        }
        rows = keep;
    }
    Ok(Plan {
        rows,
        skipped,
        errors,
        ignored_columns: ignored,
    })
}

/// Requests every row of `plan`, each in its own store transaction, calling `progress(done,
/// total)` after each. Stops at the first failure: the report says which rows were issued and
/// which not (no row is ever half-issued).
///
/// Refused ([`Error::InvalidArgument`], nothing requested) while the plan has row errors: fix
/// the file first.
pub fn run<S: Store + ?Sized>(
    requests: &Requests<'_, S>,
    plan: &Plan,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BulkReport> {
    if let Some(first) = plan.errors.first() {
        return Err(Error::InvalidArgument(format!(
            "the CSV file has {} row error(s), the first on line {}: {}; fix them and try again",
            plan.errors.len(),
            first.line,
            first.message
        )));
    }
    let total = plan.rows.len();
    let mut issued = Vec::with_capacity(total);
    for (i, row) in plan.rows.iter().enumerate() {
        match requests.request(&row.options, clock) {
            Ok(result) => issued.push(IssuedRow {
                line: row.line,
                result,
            }),
            Err(e) => {
                return Ok(BulkReport {
                    issued,
                    failed: Some(RowNote {
                        line: row.line,
                        email: row.options.email.clone(),
                        message: e.to_string(),
                    }),
                    not_issued: plan.rows[i..].to_vec(),
                });
            }
        }
        progress(i + 1, total);
    }
    Ok(BulkReport {
        issued,
        failed: None,
        not_issued: Vec::new(),
    })
}
