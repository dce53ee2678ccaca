//! `hermes-pki key ...`: private keys held as files, attached to the stored certificate they
//! belong to, and exported again under a passphrase.

use std::path::PathBuf;

use clap::Subcommand;
use hermes_pki::key::PbeKdf;
use serde_json::json;
use zeroize::Zeroizing;

use crate::common::{
    CliError, CliResult, Context, Ctx, OutputFile, read_input, resolve_certificate,
};
use crate::output::Outcome;

/// `key` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeyCmd {
    /// Attach a private key (PEM or DER: PKCS#8, encrypted PKCS#8, PKCS#1, SEC1) to the stored
    /// certificate(s) it belongs to; a key that belongs to no stored certificate is refused
    Import {
        /// The key file (`-` for stdin)
        #[arg(value_name = "FILE")]
        file: String,
        /// A file whose first line is the key's passphrase
        #[arg(long, value_name = "F")]
        password_file: Option<PathBuf>,
    },
    /// Export the private key of a stored certificate as encrypted PKCS#8 PEM
    Export {
        /// The certificate: SHA-512 thumbprint, 8+ hex digits of it, or its email address
        #[arg(value_name = "ID")]
        id: String,
        /// A file whose first line is the passphrase to protect the key with
        #[arg(long, value_name = "F")]
        password_file: PathBuf,
        /// The file to write (mode 0600)
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The first line of a password file, wiped after use.
fn read_password(path: &PathBuf) -> CliResult<Zeroizing<Vec<u8>>> {
    let bytes = Zeroizing::new(
        std::fs::read(path)
            .map_err(|e| CliError::new(format!("cannot read {}: {e}", path.display())))?,
    );
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let line = first.strip_suffix(b"\r").unwrap_or(first);
    Ok(Zeroizing::new(line.to_vec()))
}

/// Runs a `key` subcommand.
pub fn run(ctx: &Ctx, cmd: KeyCmd) -> CliResult<Outcome> {
    match cmd {
        KeyCmd::Import {
            file,
            password_file,
        } => {
            let input = read_input(&file)?;
            let password = password_file.as_ref().map(read_password).transpose()?;
            let store = ctx.open()?;
            let done = hermes_pki::lifecycle::import_key(
                &store,
                &input.bytes,
                password.as_ref().map(|p| p.as_slice()),
            )
            .map_err(|e| match e.kind() {
                hermes_pki::ErrorKind::KeyMismatch => CliError::from(e).hint(
                    "import the key's certificate first (`hermes-pki cert import`), then the key",
                ),
                hermes_pki::ErrorKind::InvalidArgument if password.is_none() => {
                    CliError::from(e).hint("give its passphrase with --password-file F")
                }
                _ => CliError::from(e),
            })
            .context(format!("cannot import the key {}", input.name))?;
            let list: Vec<String> = done.certificates.iter().map(|t| t.to_string()).collect();
            Ok(Outcome::new(
                format!(
                    "{} private key {} for {} certificate(s):\n  {}\n",
                    if done.newly_stored {
                        "stored (sealed) the"
                    } else {
                        "already had the"
                    },
                    done.key_id,
                    list.len(),
                    list.join("\n  ")
                ),
                json!({
                    "key_id": done.key_id.to_string(),
                    "new": done.newly_stored,
                    "certificates": list,
                }),
            ))
        }
        KeyCmd::Export {
            id,
            password_file,
            out,
        } => {
            let password = read_password(&password_file)?;
            let file = OutputFile::reserve(&out, true)?;
            let store = ctx.open()?;
            let cert = resolve_certificate(&store, &id)?;
            let pem = Zeroizing::new(
                hermes_pki::lifecycle::export_key(
                    &store,
                    cert.thumbprint(),
                    &password,
                    PbeKdf::Scrypt,
                )
                .context(format!("cannot export the key of {}", cert.subject()))?,
            );
            file.write(pem.as_bytes(), true)?;
            Ok(Outcome::new(
                format!(
                    "wrote the private key of {} to {} (encrypted PKCS#8)\n",
                    cert.subject(),
                    out.display()
                ),
                json!({ "certificate": cert.thumbprint().to_string(), "out": out.display().to_string() }),
            ))
        }
    }
}
