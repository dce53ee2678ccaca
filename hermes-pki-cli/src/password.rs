//! Where a password comes from: `--password-file FILE` (its first line), `--password-env VAR`,
//! a prompt on the terminal (nothing echoed), or `--password PW`, which other users of a
//! shared machine can read in the process list (kept for scripts on single-user machines).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use clap::Args;
use zeroize::Zeroizing;

use crate::common::{CliError, CliResult};

/// The password options, one of them at most.
#[derive(Debug, Clone, Default, Args)]
pub struct PasswordArgs {
    /// The password. Unsafe on shared machines (other users see it in the process list):
    /// prefer --password-file or --password-env; without any, a terminal is asked
    #[arg(long, value_name = "PW", conflicts_with_all = ["password_file", "password_env"])]
    pub password: Option<String>,
    /// Read the password from the first line of this file
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub password_file: Option<PathBuf>,
    /// Read the password from this environment variable
    #[arg(long, value_name = "VAR")]
    pub password_env: Option<String>,
}

impl PasswordArgs {
    /// Whether a password option was given.
    pub fn is_given(&self) -> bool {
        self.password.is_some() || self.password_file.is_some() || self.password_env.is_some()
    }

    /// The password from the option given; `None` when none was given.
    pub fn given(&self) -> CliResult<Option<Zeroizing<String>>> {
        if let Some(p) = &self.password {
            return Ok(Some(Zeroizing::new(p.clone())));
        }
        if let Some(path) = &self.password_file {
            let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
                CliError::new(format!(
                    "cannot read the password file {}: {e}",
                    path.display()
                ))
            })?);
            let line = text.lines().next().unwrap_or("");
            return Ok(Some(Zeroizing::new(line.to_string())));
        }
        if let Some(var) = &self.password_env {
            let value = std::env::var(var).map_err(|_| {
                CliError::new(format!(
                    "the environment variable {var} (--password-env) is not set or not UTF-8"
                ))
            })?;
            return Ok(Some(Zeroizing::new(value)));
        }
        Ok(None)
    }

    /// The password from the option given, else asked on the terminal (`what` says what for);
    /// `None` when no option was given and there is no terminal to ask.
    pub fn given_or_prompt(&self, what: &str) -> CliResult<Option<Zeroizing<String>>> {
        if let Some(p) = self.given()? {
            return Ok(Some(p));
        }
        if !std::io::stdin().is_terminal() || !std::io::stderr().is_terminal() {
            return Ok(None);
        }
        prompt(what).map(Some)
    }
}

/// Asks for a password on the terminal with echo off (`stty -echo`, restored after).
fn prompt(what: &str) -> CliResult<Zeroizing<String>> {
    let stty = |arg: &str| {
        std::process::Command::new("stty")
            .arg(arg)
            .stdin(std::process::Stdio::inherit())
            .status()
            .is_ok_and(|s| s.success())
    };
    eprint!("{what}: ");
    let _ = std::io::stderr().flush();
    let silenced = stty("-echo");
    let mut line = Zeroizing::new(String::new());
    let read = std::io::stdin().lock().read_line(&mut line);
    if silenced {
        stty("echo");
    }
    eprintln!();
    read.map_err(|e| CliError::new(format!("cannot read the password: {e}")))?;
    let trimmed = line.trim_end_matches(['\r', '\n']).to_string();
    Ok(Zeroizing::new(trimmed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_comes_from_a_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "s3cret\nignored\n").unwrap();
        let args = PasswordArgs {
            password_file: Some(file),
            ..PasswordArgs::default()
        };
        assert_eq!(args.given().unwrap().unwrap().as_str(), "s3cret");
        let args = PasswordArgs {
            password_env: Some("HERMES_PKI_TEST_PASSWORD_UNSET_VARIABLE".into()),
            ..PasswordArgs::default()
        };
        assert!(args.given().is_err());
        let args = PasswordArgs {
            password_env: Some("PATH".into()),
            ..PasswordArgs::default()
        };
        assert_eq!(
            args.given().unwrap().unwrap().as_str(),
            std::env::var("PATH").unwrap()
        );
        assert!(PasswordArgs::default().given().unwrap().is_none());
        assert!(!PasswordArgs::default().is_given());
    }
}
