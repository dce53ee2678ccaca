//! `hermes-pki root ...`: the trust anchors (root certificates) validation chains end at.

use std::fmt::Write as _;

use clap::Subcommand;
use hermes_pki::cert::{Certificate, load_certificates};
use hermes_pki::store::StoreExt;
use serde_json::{Value, json};

use crate::common::{CliError, CliResult, Ctx, read_input, short};
use crate::output::{Outcome, cert_json, progress, time, warn};

/// `root` subcommands.
#[derive(Debug, Subcommand)]
pub enum RootCmd {
    /// Make CA certificates trust anchors (PEM, DER or p7b files). All files or none are stored
    Import {
        /// The files (`-` for stdin)
        #[arg(value_name = "FILE", required = true)]
        files: Vec<String>,
    },
    /// List the trust anchors
    List,
    /// Remove a trust anchor (refused for the certificate of a CA of the store: delete the CA)
    Remove {
        /// The trust anchor: SHA-512 thumbprint, or 8+ hex digits of it
        #[arg(value_name = "ID")]
        id: String,
    },
}

/// Runs a `root` subcommand.
pub fn run(ctx: &Ctx, cmd: RootCmd) -> CliResult<Outcome> {
    match cmd {
        RootCmd::Import { files } => import(ctx, &files),
        RootCmd::List => list(ctx),
        RootCmd::Remove { id } => remove(ctx, &id),
    }
}

fn import(ctx: &Ctx, files: &[String]) -> CliResult<Outcome> {
    let bar = progress(files.len() as u64, "reading");
    let mut certs: Vec<Certificate> = Vec::new();
    for f in files {
        bar.set_message(f.clone());
        let input = match read_input(f) {
            Ok(i) => i,
            Err(e) => {
                bar.finish_and_clear();
                return Err(e);
            }
        };
        let report = load_certificates(&input.bytes);
        if report.certificates.is_empty() {
            bar.finish_and_clear();
            let why = report
                .problems
                .first()
                .map(|p| format!(": {}: {}", p.location, p.error))
                .unwrap_or_default();
            return Err(CliError::new(format!(
                "cannot import {}: no certificate found{why}",
                input.name
            ))
            .hint("root certificate files are PEM, DER or PKCS#7 (.p7b)"));
        }
        for p in &report.problems {
            warn(format!(
                "{}: skipped {}: {}",
                input.name, p.location, p.error
            ));
        }
        for c in report.certificates {
            if !hermes_pki::trust::can_be_anchor(&c) {
                bar.finish_and_clear();
                return Err(CliError::new(format!(
                    "cannot import {}: \"{}\" is not a CA certificate (no basicConstraints cA, \
                     and not a version 1 self-signed root), so it cannot be a trust anchor; \
                     nothing was imported",
                    input.name,
                    c.subject()
                ))
                .hint(
                    "to trust this one certificate itself, whitelist it: `hermes-pki ctl add FILE --white`",
                ));
            }
            if !c.is_self_signed() {
                warn(format!(
                    "{}: \"{}\" is not self-signed; it becomes a trust anchor all the same",
                    input.name,
                    c.subject()
                ));
            }
            certs.push(c);
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    let store = ctx.create()?;
    let added = store.transaction(|tx| {
        let mut added = Vec::with_capacity(certs.len());
        for c in &certs {
            added.push(tx.put_root(c)?);
        }
        Ok(added)
    })?;
    let mut human = String::new();
    let mut items = Vec::new();
    for (c, new) in certs.iter().zip(&added) {
        let _ = writeln!(
            human,
            "{}  {}  {}",
            if *new { "added  " } else { "present" },
            short(c.thumbprint()),
            c.subject()
        );
        let mut j = cert_json(c, None);
        j["new"] = (*new).into();
        items.push(j);
    }
    let new = added.iter().filter(|n| **n).count();
    let _ = writeln!(
        human,
        "{} trust anchor(s): {new} new, {} already trusted",
        certs.len(),
        certs.len() - new
    );
    Ok(Outcome::new(human, json!({ "roots": items, "new": new })))
}

fn list(ctx: &Ctx) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let roots = store.read_transaction(|tx| tx.roots())?;
    let mut human = String::new();
    for r in &roots {
        let _ = writeln!(
            human,
            "{}  {}  until {}",
            short(r.thumbprint()),
            r.subject(),
            time(r.not_after())
        );
    }
    let _ = writeln!(human, "{} trust anchor(s)", roots.len());
    let items: Vec<Value> = roots.iter().map(|r| cert_json(r, None)).collect();
    Ok(Outcome::new(human, json!({ "roots": items })))
}

fn remove(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let cert = crate::common::resolve_certificate(&store, id)?;
    hermes_pki::lifecycle::remove_trust_anchor(&store, cert.thumbprint()).map_err(|e| {
        CliError::from(e).context(format!("cannot remove the trust anchor {}", cert.subject()))
    })?;
    Ok(Outcome::new(
        format!(
            "removed the trust anchor {} ({})\n",
            cert.thumbprint(),
            cert.subject()
        ),
        json!({ "removed": cert.thumbprint().to_string() }),
    ))
}
