//! `hermes-pki cert ...`: the certificate store.

use std::fmt::Write as _;
use std::path::Path;
use std::time::SystemTime;

use clap::{Subcommand, ValueEnum};
use hermes_pki::bundle::export_pkcs12;
use hermes_pki::cert::{Certificate, load_certificates};
use hermes_pki::key::PrivateKey;
use hermes_pki::pkcs12::{self, Pkcs12Options};
use hermes_pki::request::Requests;
use hermes_pki::store::{CertificateFilter, StoreExt};
use hermes_pki::time::SystemClock;
use hermes_pki::trust::{LeafPolicy, Validation, ValidationOptions, Validator};
use serde_json::{Value, json};

use crate::common::{
    CliError, CliResult, Context, Ctx, Dest, EXIT_INVALID, Input, OutputFile, has_key,
    parse_rfc3339, read_input, resolve_certificate, short, write_file,
};
use crate::output::{Outcome, cert_details, cert_json, cert_line, progress, time, warn};
use crate::password::PasswordArgs;

/// At most this many certificates are listed one by one in the summary of an import.
const LIST_LIMIT: usize = 50;

/// `cert` subcommands.
#[derive(Debug, Subcommand)]
pub enum CertCmd {
    /// Import certificates: PEM (any number), DER, PKCS#7 (.p7b); .p12/.pfx files with their
    /// private key (give --password). All files or none are stored
    Import {
        /// The files (`-` for stdin)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<String>,
        /// The password of the PKCS#12 (.p12/.pfx) files
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// List the stored certificates
    List {
        /// Only certificates for this email address
        #[arg(long, value_name = "E")]
        email: Option<String>,
        /// Which certificates by expiry, now
        #[arg(long, value_enum, value_name = "WHICH", default_value_t = Expiry::All)]
        expired: Expiry,
        /// Only certificates whose private key is in the store
        #[arg(long)]
        with_key: bool,
    },
    /// Show one certificate in full
    Show {
        /// The certificate: SHA-512 thumbprint, 8+ hex digits of it, or its email address
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Export a certificate (PEM; DER with --der), or with --p12 the certificate, its private
    /// key and chain as a PKCS#12 file
    Export {
        /// The certificate: SHA-512 thumbprint, 8+ hex digits of it, or its email address
        #[arg(value_name = "ID")]
        id: String,
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE", conflicts_with = "p12")]
        out: Option<String>,
        /// DER instead of PEM
        #[arg(long, conflicts_with = "p12")]
        der: bool,
        /// Write a PKCS#12 file with the private key and chain (needs a password: the
        /// password options, else a terminal is asked)
        #[arg(long, value_name = "FILE")]
        p12: Option<String>,
        /// The PKCS#12 password
        #[command(flatten)]
        password: PasswordArgs,
    },
    /// Delete a stored certificate; its private key goes with it unless another certificate
    /// or a pending request uses it. The issued record stays (it can still be revoked)
    Delete {
        /// The certificate: SHA-512 thumbprint, 8+ hex digits of it, or its email address
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Validate a certificate (a file, or a stored one) against the store's trust anchors,
    /// trust list and CRLs. Exit code 0: valid; 3: not valid (the reasons are printed)
    Validate {
        /// A certificate file (PEM/DER/p7b; further certificates in it help build the chain;
        /// `-` for stdin), or a stored certificate's thumbprint, 8+ hex digits of it, or email
        #[arg(value_name = "FILE|ID")]
        target: String,
        /// What the certificate must be good for
        #[arg(long, value_enum, value_name = "USAGE", default_value_t = Usage::Any)]
        usage: Usage,
        /// Validate as of this time (RFC 3339, such as 2026-01-31T12:00:00Z) [default: now]
        #[arg(long, value_name = "RFC3339")]
        at: Option<String>,
        /// Refuse a chain that breaks an RFC 5280 section 4 profile rule (a CA without
        /// subjectKeyIdentifier, a non-critical basicConstraints, ...) instead of warning
        #[arg(long)]
        strict: bool,
    },
}

/// The expiry filter of `cert list`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Expiry {
    /// Every certificate
    All,
    /// Only those not expired now
    Unexpired,
    /// Only those expired now
    Expired,
}

/// What a validated certificate must be good for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Usage {
    /// S/MIME signing
    Sign,
    /// S/MIME encryption
    Encrypt,
    /// Any use: the chain is checked, the certificate's usages are not
    Any,
}

impl Usage {
    /// The library's policy.
    pub fn policy(self) -> LeafPolicy {
        match self {
            Usage::Sign => LeafPolicy::SmimeSigning,
            Usage::Encrypt => LeafPolicy::SmimeEncryption,
            Usage::Any => LeafPolicy::Any,
        }
    }

    /// How a person says it.
    pub fn describe(self) -> &'static str {
        match self {
            Usage::Sign => "S/MIME signing",
            Usage::Encrypt => "S/MIME encryption",
            Usage::Any => "any use",
        }
    }

    /// The name on the command line and in JSON.
    pub fn name(self) -> &'static str {
        match self {
            Usage::Sign => "sign",
            Usage::Encrypt => "encrypt",
            Usage::Any => "any",
        }
    }
}

/// Runs a `cert` subcommand.
pub fn run(ctx: &Ctx, cmd: CertCmd) -> CliResult<Outcome> {
    match cmd {
        CertCmd::Import { files, password } => {
            // A terminal is asked only when a PKCS#12 file is among the files.
            let pw = if files.iter().any(|f| is_pkcs12_name(f)) {
                password.given_or_prompt("PKCS#12 password")?
            } else {
                password.given()?
            };
            import(ctx, &files, pw.as_deref().map(String::as_str))
        }
        CertCmd::List {
            email,
            expired,
            with_key,
        } => list(ctx, email.as_deref(), expired, with_key),
        CertCmd::Show { id } => show(ctx, &id),
        CertCmd::Export {
            id,
            out,
            der,
            p12,
            password,
        } => {
            let pw = match &p12 {
                Some(_) => Some(password.given_or_prompt("PKCS#12 password")?.ok_or_else(
                    || {
                        CliError::new("--p12 needs a password")
                            .hint("give it with --password-file FILE or --password-env VAR")
                    },
                )?),
                None if password.is_given() => {
                    return Err(CliError::new("a password is for --p12 only"));
                }
                None => None,
            };
            export(
                ctx,
                &id,
                out.as_deref(),
                der,
                p12.as_deref(),
                pw.as_deref().map(String::as_str),
            )
        }
        CertCmd::Delete { id } => delete(ctx, &id),
        CertCmd::Validate {
            target,
            usage,
            at,
            strict,
        } => validate(ctx, &target, usage, at.as_deref(), strict),
    }
}

/// What one input file held.
struct Loaded {
    name: String,
    certificates: Vec<Certificate>,
    key: Option<PrivateKey>,
}

fn is_pkcs12_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".p12") || lower.ends_with(".pfx")
}

/// Reads the certificates (and, from PKCS#12, the key) of one file; a file with nothing
/// usable is an error.
fn load_file(input: Input, password: Option<&str>) -> CliResult<Loaded> {
    let from_pkcs12 = |input: &Input, pw: &str| -> CliResult<Loaded> {
        let contents =
            pkcs12::import(&input.bytes, pw).context(format!("cannot import {}", input.name))?;
        let (key, certificate, chain) = contents.into_parts();
        let mut certificates: Vec<Certificate> = certificate.into_iter().collect();
        if let (Some(k), Some(c)) = (&key, certificates.first()) {
            k.ensure_matches(c)
                .context(format!("cannot import {}", input.name))?;
        }
        certificates.extend(chain);
        if certificates.is_empty() {
            return Err(CliError::new(format!(
                "cannot import {}: the PKCS#12 file holds no certificate",
                input.name
            )));
        }
        Ok(Loaded {
            name: input.name.clone(),
            certificates,
            key,
        })
    };
    if is_pkcs12_name(&input.name) {
        let Some(pw) = password else {
            return Err(CliError::new(format!(
                "{} is a PKCS#12 file; its password is needed",
                input.name
            ))
            .hint("give it with --password-file FILE or --password-env VAR"));
        };
        return from_pkcs12(&input, pw);
    }
    let report = load_certificates(&input.bytes);
    if report.certificates.is_empty() {
        if let Some(pw) = password
            && input.bytes.first() == Some(&0x30)
            && let Ok(loaded) = from_pkcs12(&input, pw)
        {
            return Ok(loaded);
        }
        let problems: Vec<String> = report
            .problems
            .iter()
            .take(5)
            .map(|p| format!("  {}: {}", p.location, p.error))
            .collect();
        return Err(CliError::new(format!(
            "cannot import {}: no certificate found\n{}",
            input.name,
            problems.join("\n")
        ))
        .hint(
            "certificate files are PEM, DER or PKCS#7 (.p7b); a .p12/.pfx file needs --password",
        ));
    }
    for p in &report.problems {
        warn(format!(
            "{}: skipped {}: {}",
            input.name, p.location, p.error
        ));
    }
    Ok(Loaded {
        name: input.name,
        certificates: report.certificates,
        key: None,
    })
}

fn import(ctx: &Ctx, files: &[String], password: Option<&str>) -> CliResult<Outcome> {
    let bar = progress(files.len() as u64, "reading");
    let mut loaded = Vec::with_capacity(files.len());
    for f in files {
        bar.set_message(f.clone());
        let result = read_input(f).and_then(|input| load_file(input, password));
        match result {
            Ok(l) => loaded.push(l),
            Err(e) => {
                bar.finish_and_clear();
                return Err(if files.len() > 1 {
                    e.hint("nothing was imported: fix or leave out this file and run again")
                } else {
                    e
                });
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let store = ctx.create()?;
    // One transaction: every file's certificates and keys, or nothing.
    let results = store.transaction(|tx| {
        let mut out = Vec::with_capacity(loaded.len());
        for l in &loaded {
            let mut certs = Vec::with_capacity(l.certificates.len());
            for c in &l.certificates {
                certs.push((c, tx.put_certificate(c)?));
            }
            let key_new = match &l.key {
                Some(k) => {
                    let new = !tx.has_key(&k.key_id())?;
                    tx.put_key(k)?;
                    Some(new)
                }
                None => None,
            };
            out.push((l, certs, key_new));
        }
        Ok(out)
    })?;
    let total: usize = results.iter().map(|(_, c, _)| c.len()).sum();
    let new: usize = results
        .iter()
        .map(|(_, c, _)| c.iter().filter(|(_, n)| *n).count())
        .sum();
    let keys = results.iter().filter(|(_, _, k)| k.is_some()).count();
    // A certificate that an external CA issued for a pending CSR request completes it.
    let all: Vec<Certificate> = loaded
        .iter()
        .flat_map(|l| l.certificates.iter().cloned())
        .collect();
    let completed = Requests::new(&store)
        .complete_matching(&all, &SystemClock)
        .context("the certificates were imported, but completing the pending requests failed")?;
    let mut human = String::new();
    for r in &completed {
        let _ = writeln!(
            human,
            "completed request {} for {}",
            r.record().id,
            r.record().email
        );
    }
    let now = SystemTime::now();
    let mut files_json = Vec::new();
    for (l, certs, key_new) in &results {
        let mut items = Vec::new();
        for (c, is_new) in certs {
            if total <= LIST_LIMIT {
                let _ = writeln!(
                    human,
                    "{}  {}",
                    if *is_new { "added  " } else { "present" },
                    cert_line(c, l.key.as_ref().is_some_and(|k| k.matches(c)), now)
                );
            }
            let mut j = cert_json(c, None);
            j["new"] = (*is_new).into();
            items.push(j);
        }
        files_json.push(json!({
            "file": l.name,
            "certificates": items,
            "private_key": key_new.map(|n| json!({ "new": n })),
        }));
    }
    let _ = writeln!(
        human,
        "imported {total} certificate(s) from {} file(s): {new} new, {} already stored{}",
        results.len(),
        total - new,
        if keys > 0 {
            format!("; {keys} private key(s) stored (sealed)")
        } else {
            String::new()
        }
    );
    Ok(Outcome::new(
        human,
        json!({
            "files": files_json,
            "certificates": total,
            "new": new,
            "private_keys": keys,
            "completed_requests": completed.iter().map(|r| r.record().id.get()).collect::<Vec<_>>(),
        }),
    ))
}

fn list(ctx: &Ctx, email: Option<&str>, expired: Expiry, with_key: bool) -> CliResult<Outcome> {
    let now = SystemTime::now();
    let mut filter = CertificateFilter::new();
    if let Some(e) = email {
        filter = filter.email(e);
    }
    filter = match expired {
        Expiry::All => filter,
        Expiry::Unexpired => filter.unexpired_at(now),
        Expiry::Expired => filter.expired_at(now),
    };
    if with_key {
        filter = filter.with_key(true);
    }
    let store = ctx.open()?;
    let rows = store.read_transaction(|tx| {
        let mut rows = Vec::new();
        for c in tx.list_certificates(&filter)? {
            let k = has_key(tx, &c)?;
            rows.push((c, k));
        }
        Ok(rows)
    })?;
    let mut human = String::new();
    for (c, k) in &rows {
        let _ = writeln!(human, "{}", cert_line(c, *k, now));
    }
    let _ = writeln!(human, "{} certificate(s)", rows.len());
    let items: Vec<Value> = rows.iter().map(|(c, k)| cert_json(c, Some(*k))).collect();
    Ok(Outcome::new(human, json!({ "certificates": items })))
}

fn show(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let cert = resolve_certificate(&store, id)?;
    let (k, root) =
        store.read_transaction(|tx| Ok((has_key(tx, &cert)?, tx.is_root(cert.thumbprint())?)))?;
    let mut human = cert_details(&cert, Some(k), SystemTime::now());
    if root {
        human.push_str("trust anchor yes\n");
    }
    let mut j = cert_json(&cert, Some(k));
    j["trust_anchor"] = root.into();
    j["pem"] = cert.to_pem().into();
    Ok(Outcome::new(human, json!({ "certificate": j })))
}

fn export(
    ctx: &Ctx,
    id: &str,
    out: Option<&str>,
    der: bool,
    p12: Option<&str>,
    password: Option<&str>,
) -> CliResult<Outcome> {
    if let (Some(path), Some(pw)) = (p12, password) {
        let file = OutputFile::reserve(Path::new(path), true)?;
        let store = ctx.open()?;
        let cert = resolve_certificate(&store, id)?;
        let bytes = export_pkcs12(&store, cert.thumbprint(), pw, &Pkcs12Options::new())
            .context(format!("cannot export {} as PKCS#12", short(cert.thumbprint())))
            .map_err(|e| {
                e.hint("only a certificate whose private key is in the store can go in a PKCS#12 file; `hermes-pki cert list --with-key` lists them")
            })?;
        file.write(&bytes, true)?;
        return Ok(Outcome::new(
            format!(
                "wrote {} with its private key and chain to {path}\n",
                cert.subject()
            ),
            json!({ "certificate": cert.thumbprint().to_hex(), "p12": path }),
        ));
    }
    let dest = Dest::from_arg(out);
    if der {
        dest.check_binary("a DER certificate", ctx.json)?;
    }
    let store = ctx.open()?;
    let cert = resolve_certificate(&store, id)?;
    let pem = cert.to_pem();
    let bytes = if der {
        cert.der().to_vec()
    } else {
        pem.clone().into_bytes()
    };
    match dest {
        Dest::File(path) => {
            write_file(&path, &bytes, false)?;
            Ok(Outcome::new(
                format!("wrote {} to {}\n", cert.subject(), path.display()),
                json!({
                    "certificate": cert.thumbprint().to_hex(),
                    "written": path.display().to_string(),
                }),
            ))
        }
        Dest::Stdout => Ok(Outcome::new(
            String::new(),
            json!({ "certificate": cert.thumbprint().to_hex(), "pem": pem }),
        )
        .raw(bytes)),
    }
}

fn validate(
    ctx: &Ctx,
    target: &str,
    usage: Usage,
    at: Option<&str>,
    strict: bool,
) -> CliResult<Outcome> {
    let at = match at {
        Some(s) => parse_rfc3339(s)?,
        None => SystemTime::now(),
    };
    let from_file = target == "-" || Path::new(target).is_file();
    let input = if from_file {
        Some(read_input(target)?)
    } else {
        None
    };
    let store = ctx.open()?;
    let (leaf, extra) = match input {
        Some(input) => {
            let report = load_certificates(&input.bytes);
            let mut certs = report.certificates.into_iter();
            let Some(leaf) = certs.next() else {
                let why = report
                    .problems
                    .first()
                    .map(|p| format!(": {}: {}", p.location, p.error))
                    .unwrap_or_default();
                return Err(CliError::new(format!(
                    "cannot validate {}: no certificate found{why}",
                    input.name
                ))
                .hint("give a certificate file (PEM, DER or p7b) or a stored certificate's id"));
            };
            (leaf, certs.collect::<Vec<_>>())
        }
        None => (
            resolve_certificate(&store, target).map_err(|mut e| {
                e.message = format!("no file {target:?}, and {}", e.message);
                e
            })?,
            Vec::new(),
        ),
    };
    let result = store.read_transaction(|tx| {
        let options = ValidationOptions::new(at, usage.policy())
            .rfc5280_strict(strict)
            .revocation(hermes_pki::settings::revocation_mode(tx)?);
        Validator::new(tx)
            .intermediates(extra.iter().cloned())
            .validate(&leaf, &options)
    })?;
    let mut human = String::new();
    let mut json = json!({
        "valid": result.is_valid(),
        "usage": usage.name(),
        "at": time(at),
        "certificate": cert_json(&leaf, None),
        "chain": [],
        "reasons": [],
        "warnings": [],
    });
    let code = match &result {
        Validation::Valid { chain, warnings } => {
            let _ = writeln!(
                human,
                "VALID for {} at {}: {}",
                usage.describe(),
                time(at),
                leaf.subject()
            );
            let _ = writeln!(human, "chain:");
            for c in chain {
                let _ = writeln!(human, "  {}  {}", short(c.thumbprint()), c.subject());
            }
            for w in warnings {
                let _ = writeln!(human, "warning: {w}");
            }
            json["chain"] = chain
                .iter()
                .map(|c| json!({ "thumbprint": c.thumbprint().to_hex(), "subject": c.subject() }))
                .collect::<Vec<_>>()
                .into();
            json["warnings"] = warnings
                .iter()
                .map(|w| Value::String(w.to_string()))
                .collect::<Vec<_>>()
                .into();
            crate::common::EXIT_OK
        }
        Validation::Invalid { reasons } => {
            let _ = writeln!(
                human,
                "NOT VALID for {} at {}: {}",
                usage.describe(),
                time(at),
                leaf.subject()
            );
            for r in reasons {
                let _ = writeln!(human, "  - {r}");
            }
            json["reasons"] = reasons
                .iter()
                .map(|r| Value::String(r.to_string()))
                .collect::<Vec<_>>()
                .into();
            EXIT_INVALID
        }
    };
    Ok(Outcome::new(human, json).code(code))
}

fn delete(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let cert = resolve_certificate(&store, id)?;
    let done = hermes_pki::lifecycle::delete_certificate(&store, cert.thumbprint())
        .context(format!("cannot delete {}", cert.subject()))?;
    Ok(Outcome::new(
        format!(
            "deleted {} ({}){}\n",
            cert.thumbprint(),
            cert.subject(),
            if done.key_removed {
                "; its private key was removed too"
            } else {
                ""
            }
        ),
        json!({
            "deleted": cert.thumbprint().to_string(),
            "key_removed": done.key_removed,
        }),
    ))
}
