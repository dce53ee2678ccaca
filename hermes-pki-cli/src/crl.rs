//! `hermes-pki crl ...`: CRLs of the store's CAs, CRLs from elsewhere, and fetching CRLs from
//! the distribution points of the stored certificates.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use clap::Subcommand;
use hermes_pki::ca::{CertificateAuthority, CrlSpec, Revocation};
use hermes_pki::cert::Serial;
use hermes_pki::crl::{
    CrlFetcher, CrlImport, CrlOutcome, Crls, FetchError, HttpFetcher, RefreshOptions,
    RevocationReason, UrlOutcome, parse_crls,
};
use hermes_pki::settings::{SettingKey, global_flag};
use hermes_pki::store::StoreExt;
use hermes_pki::time::SystemClock;
use indicatif::ProgressBar;
use serde_json::{Value, json};

use crate::common::{
    CliError, CliResult, Context, Ctx, Dest, EXIT_FAILURE, Input, find_ca, read_input, write_file,
};
use crate::output::{Outcome, crl_json, crl_line, progress, report_error, time, warn};

/// `crl` subcommands.
#[derive(Debug, Subcommand)]
pub enum CrlCmd {
    /// Make, sign and store a new CRL for a CA of the store
    Create {
        /// The CA: its id or common name [default: the default CA]
        #[arg(long, value_name = "CA")]
        ca: Option<String>,
        /// Revoke the certificate with this serial number (hex, as `cert show` prints it);
        /// repeat for more
        #[arg(long, value_name = "SERIAL")]
        revoke: Vec<String>,
        /// The reason for the certificates revoked now (keyCompromise, superseded,
        /// cessationOfOperation, affiliationChanged, ...)
        #[arg(long, value_name = "REASON", requires = "revoke")]
        reason: Option<String>,
        /// The next update, in days from now (1 to 3650)
        #[arg(long, value_name = "N", default_value_t = 7)]
        next_update_days: u32,
        /// A new CRL with only the serials given now (by default the CA's current CRL's
        /// entries are carried forward, so revoked certificates stay revoked)
        #[arg(long)]
        new: bool,
    },
    /// Export a CA's current CRL (DER; PEM with --pem)
    Export {
        /// The CA: its id or common name
        #[arg(value_name = "CA")]
        ca: String,
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        /// PEM instead of DER
        #[arg(long)]
        pem: bool,
    },
    /// Import CRLs (DER or PEM, one or many per file). Each is checked: a CRL that fails the
    /// checks is kept to be shown, never used
    Import {
        /// The files (`-` for stdin)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<String>,
    },
    /// List the stored CRLs
    List,
    /// Fetch the CRLs of the stored certificates' distribution points that are due (every 6
    /// hours) and import them
    Refresh {
        /// Fetch every distribution point now, due or not
        #[arg(long)]
        force: bool,
        /// Timeout of one download, in seconds
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
    },
}

/// Runs a `crl` subcommand.
pub fn run(ctx: &Ctx, cmd: CrlCmd) -> CliResult<Outcome> {
    match cmd {
        CrlCmd::Create {
            ca,
            revoke,
            reason,
            next_update_days,
            new,
        } => create(
            ctx,
            ca.as_deref(),
            &revoke,
            reason.as_deref(),
            next_update_days,
            new,
        ),
        CrlCmd::Export { ca, out, pem } => export(ctx, &ca, out.as_deref(), pem),
        CrlCmd::Import { files } => import(ctx, &files),
        CrlCmd::List => list(ctx),
        CrlCmd::Refresh { force, timeout } => refresh(ctx, force, timeout),
    }
}

fn create(
    ctx: &Ctx,
    ca: Option<&str>,
    revoke: &[String],
    reason: Option<&str>,
    next_update_days: u32,
    only_these: bool,
) -> CliResult<Outcome> {
    let reason: Option<RevocationReason> = match reason {
        Some(r) => Some(r.parse().map_err(CliError::from)?),
        None => None,
    };
    let mut serials = Vec::with_capacity(revoke.len());
    for s in revoke {
        serials.push(Serial::from_hex(s).map_err(|e| {
            CliError::from(e)
                .hint("give the serial number in hex, as `hermes-pki cert show` prints it")
        })?);
    }
    let store = ctx.open()?;
    let authority = CertificateAuthority::new(&store);
    let record = match ca {
        Some(name) => find_ca(&store, name)?,
        None => authority.default_ca()?.ok_or_else(|| {
            CliError::new("there is no CA in this store to make a CRL for")
                .hint("create one with `hermes-pki ca create --cn NAME`")
        })?,
    };
    let mut spec = CrlSpec::new(record.id)
        .next_update_days(next_update_days)
        .only_these(only_these);
    for s in &serials {
        let mut r = Revocation::new(s.clone());
        if let Some(reason) = reason {
            r = r.reason(reason);
        }
        spec = spec.revocation(r);
    }
    let created = authority.create_crl(&spec, &SystemClock).context(format!(
        "cannot make a CRL for CA {} \"{}\"",
        record.id, record.name
    ))?;
    let crl = created.crl();
    let mut human = format!(
        "CRL {} of CA {} \"{}\": number {}, {} revoked certificate(s), next update {}\n",
        created.id(),
        record.id,
        record.name,
        created.number(),
        crl.entries().len(),
        crl.next_update().map(time).unwrap_or_else(|| "-".into())
    );
    for e in crl.entries().iter() {
        let _ = writeln!(
            human,
            "  revoked {} since {}{}",
            e.serial,
            time(e.date),
            e.reason
                .and_then(RevocationReason::from_code)
                .map(|r| format!(" ({r})"))
                .unwrap_or_default()
        );
    }
    let entries: Vec<Value> = crl
        .entries()
        .iter()
        .map(|e| {
            json!({
                "serial": e.serial.to_string(),
                "date": time(e.date),
                "reason": e.reason.and_then(RevocationReason::from_code).map(|r| r.name()),
            })
        })
        .collect();
    Ok(Outcome::new(
        human,
        json!({
            "id": created.id().get(),
            "ca": record.id.get(),
            "number": created.number(),
            "this_update": time(crl.this_update()),
            "next_update": crl.next_update().map(time),
            "entries": entries,
        }),
    ))
}

fn export(ctx: &Ctx, ca: &str, out: Option<&str>, pem: bool) -> CliResult<Outcome> {
    let dest = Dest::from_arg(out);
    if !pem {
        dest.check_binary("a DER CRL", ctx.json)?;
    }
    let store = ctx.open()?;
    let record = find_ca(&store, ca)?;
    let cert = CertificateAuthority::new(&store).certificate(record.id)?;
    let crls = Crls::new(&store);
    let Some(current) = crls.current_for(&cert)?.into_iter().next() else {
        return Err(CliError::new(format!(
            "CA {} \"{}\" has no CRL yet",
            record.id, record.name
        ))
        .hint(format!(
            "make one with `hermes-pki crl create --ca {}`",
            record.id
        )));
    };
    let der = crls.der(current.id)?;
    let pem_text = pem_crl(&der)?;
    let bytes = if pem {
        pem_text.clone().into_bytes()
    } else {
        der
    };
    let mut json = crl_json(&current);
    match dest {
        Dest::File(path) => {
            write_file(&path, &bytes, false)?;
            json["written"] = path.display().to_string().into();
            Ok(Outcome::new(
                format!(
                    "wrote CRL {} (number {}) of CA {} \"{}\" to {}\n",
                    current.id,
                    crate::output::crl_number(current.number.as_deref())
                        .unwrap_or_else(|| "-".into()),
                    record.id,
                    record.name,
                    path.display()
                ),
                json,
            ))
        }
        Dest::Stdout => {
            json["pem"] = pem_text.into();
            Ok(Outcome::new(String::new(), json).raw(bytes))
        }
    }
}

/// PEM (`X509 CRL`) of a DER CRL.
fn pem_crl(der: &[u8]) -> CliResult<String> {
    der::pem::encode_string("X509 CRL", der::pem::LineEnding::LF, der)
        .map_err(|e| CliError::new(format!("cannot encode the CRL as PEM: {e}")))
}

/// The text (without the source) and JSON of one import result.
fn import_result(source: &str, i: &CrlImport) -> (String, Value, bool) {
    let issuer = i.issuer.as_deref().unwrap_or("(unreadable)");
    let (line, status, ok) = match &i.outcome {
        CrlOutcome::Stored { id, replaced } => (
            format!(
                "stored CRL {id} of {issuer}{}",
                if replaced.is_empty() {
                    String::new()
                } else {
                    format!(
                        " (replaces {})",
                        replaced
                            .iter()
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            ),
            json!({ "outcome": "stored", "id": id.get(), "replaced": replaced.iter().map(|r| r.get()).collect::<Vec<_>>() }),
            true,
        ),
        CrlOutcome::StoredPending { id } => (
            format!(
                "stored CRL {id} of {issuer} as pending: its issuer's certificate is not known \
                 yet, so it is checked against the issuer when it is used"
            ),
            json!({ "outcome": "stored-pending", "id": id.get() }),
            true,
        ),
        CrlOutcome::StoredInvalid { id, reason } => (
            format!("kept CRL {id} of {issuer} as INVALID (it is not used): {reason}"),
            json!({ "outcome": "stored-invalid", "id": id.get(), "reason": reason }),
            false,
        ),
        CrlOutcome::NotNewer { current } => (
            format!("not stored: the CRL of {issuer} is not newer than CRL {current}, which stays"),
            json!({ "outcome": "not-newer", "current": current.get() }),
            true,
        ),
        CrlOutcome::AlreadyStored { id } => (
            format!("already stored as CRL {id}: {issuer}"),
            json!({ "outcome": "already-stored", "id": id.get() }),
            true,
        ),
        CrlOutcome::Unreadable { error } => (
            format!("skipped an unreadable CRL: {error}"),
            json!({ "outcome": "unreadable", "error": error }),
            false,
        ),
    };
    let mut j = status;
    j["source"] = source.into();
    j["issuer"] = i.issuer.clone().into();
    (line, j, ok)
}

fn import(ctx: &Ctx, files: &[String]) -> CliResult<Outcome> {
    // Every file is read and checked for a readable CRL before anything is stored.
    let mut inputs: Vec<Input> = Vec::with_capacity(files.len());
    for f in files {
        let input = read_input(f)?;
        let parsed = parse_crls(&input.bytes);
        if parsed.iter().all(|p| p.is_err()) {
            let why = parsed
                .into_iter()
                .find_map(|p| p.err())
                .map(|e| e.to_string())
                .unwrap_or_else(|| "no CRL found".into());
            return Err(
                CliError::new(format!("cannot import {}: {why}", input.name)).hint(
                    "CRL files are DER or PEM (-----BEGIN X509 CRL-----); nothing was imported",
                ),
            );
        }
        inputs.push(input);
    }
    let store = ctx.create()?;
    let crls = Crls::new(&store);
    let bar = progress(inputs.len() as u64, "importing");
    let mut human = String::new();
    let mut items = Vec::new();
    for input in &inputs {
        bar.set_message(input.name.clone());
        let results = match crls.import(&input.bytes, Some(&input.name), &SystemClock) {
            Ok(r) => r,
            Err(e) => {
                bar.finish_and_clear();
                return Err(CliError::from(e).context(format!("cannot import {}", input.name)));
            }
        };
        for r in &results {
            let (line, j, ok) = import_result(&input.name, r);
            let line = format!("{}: {line}", input.name);
            if !ok {
                warn(&line);
            }
            let _ = writeln!(human, "{line}");
            items.push(j);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(Outcome::new(human, json!({ "imported": items })))
}

fn list(ctx: &Ctx) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let records = Crls::new(&store).list()?;
    let mut human = String::new();
    for r in &records {
        let _ = writeln!(human, "{}", crl_line(r));
    }
    let _ = writeln!(human, "{} CRL(s)", records.len());
    let items: Vec<Value> = records.iter().map(crl_json).collect();
    Ok(Outcome::new(human, json!({ "crls": items })))
}

/// A fetcher that moves a progress bar on every download.
struct ProgressFetcher<'a> {
    inner: HttpFetcher,
    bar: &'a ProgressBar,
}

impl CrlFetcher for ProgressFetcher<'_> {
    fn fetch(&self, url: &str) -> Result<Vec<u8>, FetchError> {
        self.bar.set_message(url.to_string());
        let r = self.inner.fetch(url);
        self.bar.inc(1);
        r
    }

    fn fetch_until(&self, url: &str, deadline: Instant) -> Result<Vec<u8>, FetchError> {
        self.bar.set_message(url.to_string());
        let r = self.inner.fetch_until(url, deadline);
        self.bar.inc(1);
        r
    }
}

fn refresh(ctx: &Ctx, force: bool, timeout: u64) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let crls = Crls::new(&store);
    let urls = crls.distribution_points()?;
    let bar = progress(urls.len() as u64, "fetching");
    // Private addresses only when the gateway setting says so.
    let allow_private =
        store.read_transaction(|tx| global_flag(tx, SettingKey::CrlFetchAllowPrivate))?;
    let fetcher = ProgressFetcher {
        inner: HttpFetcher::new()
            .timeout(Duration::from_secs(timeout.max(1)))
            .allow_private_addresses(allow_private),
        bar: &bar,
    };
    let report = crls.refresh(&fetcher, &RefreshOptions::new().force(force), &SystemClock);
    bar.finish_and_clear();
    let report = report?;
    let mut human = String::new();
    let mut items = Vec::new();
    for u in &report.urls {
        let (line, mut j) = match &u.outcome {
            UrlOutcome::NotDue { due } => (
                format!("not due until {}", time(*due)),
                json!({ "outcome": "not-due", "due": time(*due) }),
            ),
            UrlOutcome::Imported(imports) => {
                let mut lines = Vec::new();
                let mut js = Vec::new();
                for i in imports {
                    let (l, j, _) = import_result(&u.url, i);
                    lines.push(l);
                    js.push(j);
                }
                (
                    format!("fetched\n    {}", lines.join("\n    ")),
                    json!({ "outcome": "fetched", "imports": js }),
                )
            }
            UrlOutcome::FetchFailed(e) => (
                format!("FAILED: {e}"),
                json!({ "outcome": "fetch-failed", "error": e.to_string() }),
            ),
            UrlOutcome::Unreadable(e) => (
                format!("FAILED: not a CRL: {e}"),
                json!({ "outcome": "unreadable", "error": e }),
            ),
        };
        j["url"] = u.url.clone().into();
        let _ = writeln!(human, "{}: {line}", u.url);
        items.push(j);
    }
    let mut limits = Vec::new();
    for limit in &report.limits {
        let _ = writeln!(human, "limit: {limit}");
        warn(format!("limit reached: {limit}"));
        limits.push(Value::from(limit.to_string()));
    }
    let failures = report.failures().count();
    let _ = writeln!(
        human,
        "{} distribution point(s), {failures} failed",
        report.urls.len()
    );
    let outcome = Outcome::new(
        human,
        json!({ "urls": items, "failures": failures, "limits": limits }),
    );
    if failures > 0 {
        report_error(&format!(
            "{failures} of {} CRL distribution point(s) could not be refreshed; the CRLs stored \
             for them stay in use\nhint: check the network and the URLs listed; run again with \
             --force to retry now",
            report.urls.len()
        ));
        return Ok(outcome.code(EXIT_FAILURE));
    }
    Ok(outcome)
}
