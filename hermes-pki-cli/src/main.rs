//! `hermes-pki`: the command-line tool of the hermes-pki library. It runs certificate
//! authorities, keeps a store of certificates, private keys, trust anchors, a trust list and
//! CRLs (SQLite in a store directory, or PostgreSQL for several nodes), and answers whether a certificate is valid.
//!
//! Every command prints a short summary, or one JSON document with `--json`. Errors go to
//! stderr with what to do; the exit code is 0 on success, 1 on failure, 2 for a usage error
//! and 3 when a validation's answer is "not valid".
#![forbid(unsafe_code)]
#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]

mod ca;
mod cert;
mod common;
mod crl;
mod ctl;
mod demo;
mod demo_gateway;
mod gateway_io;
mod issue;
mod key;
mod open_cmd;
mod output;
mod password;
mod protect_cmd;
mod request;
mod root;
mod settings;
mod smime_cmd;
mod store_cmd;
mod user;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use common::{CliResult, Ctx, EXIT_FAILURE};
use output::Outcome;

/// The store directory used when neither --store nor HERMES_PKI_STORE is given.
const DEFAULT_STORE: &str = "./hermes-data";

/// Run a certificate authority, keep certificates, keys, trust anchors, a trust list and CRLs,
/// and check certificates, from the terminal.
#[derive(Debug, Parser)]
#[command(
    name = "hermes-pki",
    version,
    about,
    after_help = "\
Exit codes: 0 success, 1 failure (the message on stderr says what to do), 2 usage error,
3 not valid (cert validate, smime verify, cms verify, smime open); smime open: 4 not
S/MIME, 5 S/MIME but unreadable here.

Start with `hermes-pki demo`: it walks the whole job in a temporary store."
)]
pub struct Cli {
    /// The store: a directory (SQLite database hermes.db and its master.key; created by the
    /// commands that add something) or a PostgreSQL URL postgres://USER:PASSWORD@HOST/DB
    /// (several gateway nodes on one database; needs --master-key-file) [default:
    /// ./hermes-data]
    #[arg(
        long,
        global = true,
        env = "HERMES_PKI_STORE",
        value_name = "DIR|URL",
        help_heading = "Global options"
    )]
    pub store: Option<PathBuf>,

    /// The master key file that seals the store's private keys (32 bytes, mode 0600): required
    /// for a PostgreSQL store (the same file on every node; it never goes into the database);
    /// for a directory it replaces DIR/master.key
    #[arg(
        long,
        global = true,
        env = "HERMES_PKI_MASTER_KEY_FILE",
        value_name = "FILE",
        help_heading = "Global options"
    )]
    pub master_key_file: Option<PathBuf>,

    /// Print one JSON document on stdout instead of the human summary
    #[arg(long, global = true, help_heading = "Global options")]
    pub json: bool,

    /// What to do
    #[command(subcommand)]
    pub command: Command,
}

/// The command groups.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Certificate authorities: create, import, list, renew, delete, set-default, export,
    /// export-key
    #[command(subcommand)]
    Ca(ca::CaCmd),
    /// Issue an S/MIME certificate (with a new key) from a CA of the store; --csv issues many
    Issue(issue::IssueArgs),
    /// Certificate requests: new, sign (a client's PKCS#10), list, show, approve, cancel,
    /// retry, complete
    #[command(subcommand)]
    Request(request::RequestCmd),
    /// Private keys: import (onto the stored certificate it belongs to), export
    #[command(subcommand)]
    Key(key::KeyCmd),
    /// The certificate store: import, list, show, export, delete, validate
    #[command(subcommand)]
    Cert(cert::CertCmd),
    /// Trust anchors (root certificates): import, list, remove
    #[command(subcommand)]
    Root(root::RootCmd),
    /// The Certificate Trust List (white- and blacklist): add, remove, list
    #[command(subcommand)]
    Ctl(ctl::CtlCmd),
    /// Certificate revocation lists: create, export, import, list, refresh
    #[command(subcommand)]
    Crl(crl::CrlCmd),
    /// S/MIME messages: sign, encrypt, decrypt, verify, sign-encrypt, decrypt-verify
    #[command(subcommand)]
    Smime(smime_cmd::SmimeCmd),
    /// Raw CMS (DER or PEM in, DER out): sign, verify, encrypt, decrypt
    #[command(subcommand)]
    Cms(smime_cmd::CmsCmd),
    /// Settings for everyone, a domain or a user (sign, encrypt, revocation, ...): set, unset,
    /// show
    #[command(subcommand)]
    Settings(settings::SettingsCmd),
    /// Users: add, list, show (settings and selected certificates), remove, select
    #[command(subcommand)]
    User(user::UserCmd),
    /// Domains: add, list, show, remove
    #[command(subcommand)]
    Domain(user::DomainCmd),
    /// The store itself: copy a whole store (SQLite directory or PostgreSQL URL) into a new one
    #[command(subcommand)]
    Store(store_cmd::StoreCmd),
    /// Walk the whole job in a fresh store: create a CA, issue certificates for two users,
    /// validate them, revoke one with a CRL and show that its validation now fails
    Demo(demo::DemoArgs),
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version are "errors" that print to stdout and exit 0.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let ctx = Ctx {
        store_given: cli.store.is_some(),
        store_dir: cli.store.unwrap_or_else(|| PathBuf::from(DEFAULT_STORE)),
        master_key_file: cli.master_key_file,
        json: cli.json,
    };
    let cleanup = common::NewStoreGuard::before(&ctx, &cli.command);
    let result = run(&ctx, cli.command);
    if result.is_err() {
        // A command that failed leaves no store behind where there was none.
        cleanup.remove_if_empty(&ctx);
    }
    match result {
        Ok(outcome) => match output::emit(&outcome, ctx.json) {
            Ok(()) => ExitCode::from(outcome.code),
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::from(outcome.code),
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "error: cannot write the output: {e}");
                ExitCode::from(EXIT_FAILURE)
            }
        },
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "error: {e}");
            ExitCode::from(e.code)
        }
    }
}

/// Runs one command.
fn run(ctx: &Ctx, command: Command) -> CliResult<Outcome> {
    match command {
        Command::Ca(cmd) => ca::run(ctx, cmd),
        Command::Issue(args) => issue::run(ctx, args),
        Command::Request(cmd) => request::run(ctx, cmd),
        Command::Key(cmd) => key::run(ctx, cmd),
        Command::Cert(cmd) => cert::run(ctx, cmd),
        Command::Root(cmd) => root::run(ctx, cmd),
        Command::Ctl(cmd) => ctl::run(ctx, cmd),
        Command::Crl(cmd) => crl::run(ctx, cmd),
        Command::Smime(cmd) => smime_cmd::run_smime(ctx, cmd),
        Command::Cms(cmd) => smime_cmd::run_cms(ctx, cmd),
        Command::Settings(cmd) => settings::run(ctx, cmd),
        Command::User(cmd) => user::run_user(ctx, cmd),
        Command::Domain(cmd) => user::run_domain(ctx, cmd),
        Command::Store(cmd) => store_cmd::run(ctx, cmd),
        Command::Demo(args) => demo::run(ctx, args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
