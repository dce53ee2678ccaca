//! `hermes-pki store copy FROM TO`: a whole store copied into a new one (SQLite directory →
//! PostgreSQL database, and back), so that a gateway moves to several nodes without losing a
//! serial number.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use hermes_pki::store::{Create, StoreLocation, copy_store};
use serde_json::json;

use crate::common::{CliResult, Ctx, open_store};
use crate::output::Outcome;

/// `store` subcommands.
#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Copy everything a store holds (certificates, keys, trust anchors, CAs, issued records,
    /// CRLs, trust list, users, domains, settings) into a new, empty store, in one transaction.
    /// FROM and TO are store directories or postgres:// URLs; the keys are sealed again under
    /// TO's master key.
    Copy(CopyArgs),
    /// Create an empty store at --store (a directory, or the schema in a PostgreSQL database),
    /// or check that the one there opens
    Init,
}

/// `store copy` arguments.
#[derive(Debug, Args)]
pub struct CopyArgs {
    /// The store to copy: a directory or a postgres:// URL
    #[arg(value_name = "FROM")]
    pub from: PathBuf,
    /// The new store: a directory (created) or a postgres:// URL of an empty database
    #[arg(value_name = "TO")]
    pub to: PathBuf,
    /// FROM's master key file [default: FROM/master.key for a directory, --master-key-file for
    /// a URL]
    #[arg(long, value_name = "FILE")]
    pub from_master_key_file: Option<PathBuf>,
    /// TO's master key file [default: --master-key-file for a URL, else FROM's master key file
    /// when FROM is a directory (the nodes keep the key they had); for a directory TO/master.key]
    #[arg(long, value_name = "FILE")]
    pub to_master_key_file: Option<PathBuf>,
}

/// Runs a `store` subcommand.
pub fn run(ctx: &Ctx, cmd: StoreCmd) -> CliResult<Outcome> {
    match cmd {
        StoreCmd::Copy(a) => copy(ctx, a),
        StoreCmd::Init => {
            let location = ctx.location();
            drop(ctx.create()?);
            Ok(Outcome::new(
                format!("store ready: {}\n", location.describe()),
                json!({ "store": location.describe() }),
            ))
        }
    }
}

fn copy(ctx: &Ctx, a: CopyArgs) -> CliResult<Outcome> {
    let from = StoreLocation::from_path(&a.from);
    let to = StoreLocation::from_path(&a.to);
    let from_key = a.from_master_key_file.clone().or_else(|| match from {
        StoreLocation::Postgres(_) => ctx.master_key_file.clone(),
        StoreLocation::Directory(_) => None,
    });
    let to_key = a.to_master_key_file.clone().or_else(|| match (&to, &from) {
        (StoreLocation::Postgres(_), _) if ctx.master_key_file.is_some() => {
            ctx.master_key_file.clone()
        }
        (StoreLocation::Postgres(_), StoreLocation::Directory(dir)) => Some(
            from_key
                .clone()
                .unwrap_or_else(|| dir.join(hermes_pki::store::SqliteStore::KEY_FILE)),
        ),
        _ => None,
    });
    let source = open_store(&from, from_key.as_deref(), Create::Never)?;
    let target = open_store(&to, to_key.as_deref(), Create::IfMissing)?;
    let report = copy_store(&source, &target).map_err(|e| {
        crate::common::CliError::from(e).context(format!(
            "cannot copy {} to {}",
            from.describe(),
            to.describe()
        ))
    })?;
    let mut human = format!(
        "copied {} to {}: {} certificate(s), {} key(s), {} trust anchor(s), {} CA(s), {} issued \
         record(s), {} CRL(s), {} trust list entr(y/ies), {} user(s), {} domain(s), {} \
         setting(s), {} request(s)\n",
        from.describe(),
        to.describe(),
        report.certificates,
        report.keys,
        report.roots,
        report.cas,
        report.issued,
        report.crls,
        report.ctl_entries,
        report.users,
        report.domains,
        report.settings,
        report.requests,
    );
    for (old, new) in &report.renumbered_cas {
        human.push_str(&format!("CA {old} is CA {new} in the new store\n"));
    }
    Ok(Outcome::new(
        human,
        json!({
            "from": from.describe(),
            "to": to.describe(),
            "certificates": report.certificates,
            "keys": report.keys,
            "roots": report.roots,
            "cas": report.cas,
            "issued": report.issued,
            "crls": report.crls,
            "ctl_entries": report.ctl_entries,
            "users": report.users,
            "domains": report.domains,
            "settings": report.settings,
            "requests": report.requests,
            "renumbered_cas": report.renumbered_cas.iter()
                .map(|(o, n)| json!({"from": o.get(), "to": n.get()}))
                .collect::<Vec<_>>(),
        }),
    ))
}
