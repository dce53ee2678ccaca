//! `hermes-pki ctl ...`: the Certificate Trust List. A blacklisted certificate is never valid
//! (nor is anything a blacklisted CA issued); a whitelisted end-user certificate is valid
//! without a chain.

use std::fmt::Write as _;
use std::path::Path;

use clap::{ArgGroup, Subcommand};
use hermes_pki::cert::{Thumbprint, load_certificates};
use hermes_pki::store::{AnyStore, CtlEntry, CtlStatus, StoreExt};
use serde_json::{Value, json};

use crate::common::{CliError, CliResult, Ctx, read_input, resolve_certificate, short};
use crate::output::Outcome;

/// `ctl` subcommands.
#[derive(Debug, Subcommand)]
pub enum CtlCmd {
    /// Whitelist or blacklist certificates
    #[command(group(ArgGroup::new("status").args(["white", "black"]).required(true)))]
    Add {
        /// A SHA-512 thumbprint (the certificate need not be stored), a certificate file
        /// (every certificate in it), or a stored certificate's 8+ hex digits or email
        #[arg(value_name = "THUMBPRINT|FILE", required = true)]
        targets: Vec<String>,
        /// Whitelist: trusted explicitly
        #[arg(long)]
        white: bool,
        /// Blacklist: never trusted
        #[arg(long)]
        black: bool,
        /// A whitelisted certificate stays trusted after it expires
        #[arg(long, conflicts_with = "black")]
        allow_expired: bool,
    },
    /// Remove trust list entries (all of them, or none when one has no entry)
    Remove {
        /// As for `ctl add`
        #[arg(value_name = "THUMBPRINT|FILE", required = true)]
        targets: Vec<String>,
    },
    /// List the trust list entries
    List,
}

/// Runs a `ctl` subcommand.
pub fn run(ctx: &Ctx, cmd: CtlCmd) -> CliResult<Outcome> {
    match cmd {
        CtlCmd::Add {
            targets,
            white,
            black: _,
            allow_expired,
        } => add(ctx, &targets, white, allow_expired),
        CtlCmd::Remove { targets } => remove(ctx, &targets),
        CtlCmd::List => list(ctx),
    }
}

/// The thumbprints (with a subject when known) an operator means.
fn resolve(store: &AnyStore, target: &str) -> CliResult<Vec<(Thumbprint, Option<String>)>> {
    if target == "-" || Path::new(target).is_file() {
        let input = read_input(target)?;
        let report = load_certificates(&input.bytes);
        if report.certificates.is_empty() {
            let why = report
                .problems
                .first()
                .map(|p| format!(": {}: {}", p.location, p.error))
                .unwrap_or_default();
            return Err(
                CliError::new(format!("{}: no certificate found{why}", input.name))
                    .hint("give a certificate file (PEM, DER or p7b) or a SHA-512 thumbprint"),
            );
        }
        return Ok(report
            .certificates
            .iter()
            .map(|c| (*c.thumbprint(), Some(c.subject().to_string())))
            .collect());
    }
    if let Ok(t) = target.parse::<Thumbprint>() {
        return Ok(vec![(t, None)]);
    }
    let cert = resolve_certificate(store, target).map_err(|mut e| {
        e.message = format!("no file {target:?}, and {}", e.message);
        e
    })?;
    Ok(vec![(*cert.thumbprint(), Some(cert.subject().to_string()))])
}

fn entry_json(e: &CtlEntry, subject: Option<&str>) -> Value {
    json!({
        "thumbprint": e.thumbprint.to_hex(),
        "status": e.status.as_str(),
        "allow_expired": e.allow_expired,
        "subject": subject,
    })
}

fn add(ctx: &Ctx, targets: &[String], white: bool, allow_expired: bool) -> CliResult<Outcome> {
    let store = ctx.create()?;
    let mut wanted = Vec::new();
    for t in targets {
        wanted.extend(resolve(&store, t)?);
    }
    let entries: Vec<(CtlEntry, Option<String>)> = wanted
        .into_iter()
        .map(|(t, s)| {
            let mut e = if white {
                CtlEntry::whitelisted(t)
            } else {
                CtlEntry::blacklisted(t)
            };
            e.allow_expired = allow_expired;
            (e, s)
        })
        .collect();
    store.transaction(|tx| {
        for (e, _) in &entries {
            tx.put_ctl_entry(e)?;
        }
        Ok(())
    })?;
    let mut human = String::new();
    for (e, s) in &entries {
        let _ = writeln!(
            human,
            "{} {}{}{}",
            e.status.as_str(),
            short(&e.thumbprint),
            s.as_deref().map(|s| format!("  {s}")).unwrap_or_default(),
            if e.allow_expired {
                "  (also after expiry)"
            } else {
                ""
            }
        );
    }
    let items: Vec<Value> = entries
        .iter()
        .map(|(e, s)| entry_json(e, s.as_deref()))
        .collect();
    Ok(Outcome::new(human, json!({ "entries": items })))
}

fn remove(ctx: &Ctx, targets: &[String]) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let mut wanted = Vec::new();
    for t in targets {
        wanted.extend(resolve(&store, t)?);
    }
    let missing: Vec<String> = store.read_transaction(|tx| {
        let mut missing = Vec::new();
        for (t, _) in &wanted {
            if tx.ctl_entry(t)?.is_none() {
                missing.push(short(t));
            }
        }
        Ok(missing)
    })?;
    if !missing.is_empty() {
        return Err(CliError::new(format!(
            "not on the trust list: {}; nothing was removed",
            missing.join(", ")
        ))
        .hint("`hermes-pki ctl list` shows the entries"));
    }
    store.transaction(|tx| {
        for (t, _) in &wanted {
            tx.delete_ctl_entry(t)?;
        }
        Ok(())
    })?;
    let mut human = String::new();
    for (t, s) in &wanted {
        let _ = writeln!(
            human,
            "removed {}{}",
            short(t),
            s.as_deref().map(|s| format!("  {s}")).unwrap_or_default()
        );
    }
    let items: Vec<Value> = wanted
        .iter()
        .map(|(t, _)| Value::String(t.to_hex()))
        .collect();
    Ok(Outcome::new(human, json!({ "removed": items })))
}

fn list(ctx: &Ctx) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let rows = store.read_transaction(|tx| {
        let roots = tx.roots()?;
        let mut rows = Vec::new();
        for e in tx.ctl_entries()? {
            let subject = match tx.certificate(&e.thumbprint)? {
                Some(c) => Some(c.subject().to_string()),
                None => roots
                    .iter()
                    .find(|r| *r.thumbprint() == e.thumbprint)
                    .map(|r| r.subject().to_string()),
            };
            rows.push((e, subject));
        }
        Ok(rows)
    })?;
    let mut human = String::new();
    for (e, s) in &rows {
        let _ = writeln!(
            human,
            "{}  {:<11}  {}{}",
            short(&e.thumbprint),
            e.status.as_str(),
            s.as_deref().unwrap_or("(certificate not stored)"),
            if e.allow_expired && e.status == CtlStatus::Whitelisted {
                "  (also after expiry)"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        human,
        "{} trust list entr{}",
        rows.len(),
        if rows.len() == 1 { "y" } else { "ies" }
    );
    let items: Vec<Value> = rows
        .iter()
        .map(|(e, s)| entry_json(e, s.as_deref()))
        .collect();
    Ok(Outcome::new(human, json!({ "entries": items })))
}
