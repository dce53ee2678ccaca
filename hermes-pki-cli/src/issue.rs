//! `hermes-pki issue`: an end-user S/MIME certificate with a new key, from a CA of the store;
//! optionally handed out as a PKCS#12 file. `--csv` issues many.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use hermes_pki::bundle::export_pkcs12;
use hermes_pki::ca::{CertificateAuthority, IssueSpec};
use hermes_pki::cert::normalize_email;
use hermes_pki::pkcs12::{Pkcs12Options, generate_password};
use hermes_pki::store::CaId;
use hermes_pki::time::SystemClock;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::common::{
    CliError, CliResult, Context, Ctx, KeyType, OutputFile, find_ca, key_spec, key_spec_name,
    read_input,
};
use crate::output::{Outcome, cert_json, progress, time};
use crate::password::PasswordArgs;

/// Length of a generated PKCS#12 password when none is asked for.
const DEFAULT_PASSWORD_LEN: usize = 16;

/// `issue` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("who").args(["email", "csv"]).required(true)))]
pub struct IssueArgs {
    /// The email address (SAN rfc822Name and subject emailAddress)
    #[arg(long, value_name = "E", requires = "cn")]
    pub email: Option<String>,
    /// The common name (the person's name)
    #[arg(long, value_name = "NAME", requires = "email")]
    pub cn: Option<String>,
    /// Issue one certificate per line of this file: `email,common name` (a header line
    /// starting with `email`, blank lines and lines starting with # are skipped)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["email", "cn", "p12"])]
    pub csv: Option<String>,
    /// The issuing CA: its id or common name [default: the default CA]
    #[arg(long, value_name = "CA")]
    pub ca: Option<String>,
    /// Validity in days, 1 to 3650 (cut at the CA certificate's end)
    #[arg(long, value_name = "N", default_value_t = 365)]
    pub days: u32,
    /// Key type [default: rsa]
    #[arg(long, value_enum, value_name = "TYPE")]
    pub key_type: Option<KeyType>,
    /// RSA key size: 2048, 3072 or 4096 [default: 2048]
    #[arg(long, value_name = "N")]
    pub key_size: Option<usize>,
    /// A CRL distribution point URL (http:// or https://) to put in the certificate
    #[arg(long, value_name = "URL")]
    pub crl_dp: Option<String>,
    /// Also write the certificate, its key and chain to this PKCS#12 file
    #[arg(long, value_name = "FILE")]
    pub p12: Option<PathBuf>,
    /// The PKCS#12 password (with --p12; none given: one is generated)
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Generate a PKCS#12 password of N characters (8 to 1024) and print it [default when
    /// --p12 is given without --password: 16]
    #[arg(
        long,
        value_name = "N",
        requires = "p12",
        conflicts_with_all = ["password", "password_file", "password_env"]
    )]
    pub generate_password: Option<usize>,
}

/// One certificate to issue.
struct Request {
    email: String,
    cn: String,
}

/// Runs `issue`.
pub fn run(ctx: &Ctx, a: IssueArgs) -> CliResult<Outcome> {
    let key = key_spec(a.key_type, a.key_size, 2048)?;
    let requests = match (&a.csv, &a.email, &a.cn) {
        (Some(csv), _, _) => read_csv(csv)?,
        (None, Some(email), Some(cn)) => vec![Request {
            email: email.clone(),
            cn: cn.clone(),
        }],
        _ => {
            return Err(CliError::new("give --email and --cn, or --csv FILE"));
        }
    };
    // Everything that can be checked before the store changes is checked first.
    let given = a.password.given()?;
    if a.p12.is_none() && given.is_some() {
        return Err(CliError::new("a password is for --p12 only"));
    }
    let password: Option<Zeroizing<String>> = match (&a.p12, given, a.generate_password) {
        (None, _, _) => None,
        (Some(_), Some(pw), _) => Some(pw),
        (Some(_), None, n) => Some(
            generate_password(n.unwrap_or(DEFAULT_PASSWORD_LEN))
                .context("cannot generate the PKCS#12 password")?,
        ),
    };
    let p12_file = match &a.p12 {
        Some(path) => Some(OutputFile::reserve(path, true)?),
        None => None,
    };
    let store = ctx.open()?;
    let ca_id: Option<CaId> = match &a.ca {
        Some(name) => Some(find_ca(&store, name)?.id),
        None => None,
    };
    let authority = CertificateAuthority::new(&store);
    let specs: Vec<IssueSpec> = requests
        .iter()
        .map(|r| {
            let mut spec = IssueSpec::new(&r.email, &r.cn).days(a.days).key(key);
            if let Some(url) = &a.crl_dp {
                spec = spec.crl_distribution_point(url);
            }
            if let Some(id) = ca_id {
                spec = spec.ca(id);
            }
            spec
        })
        .collect();

    let bar = progress(specs.len() as u64, "issuing");
    let mut human = String::new();
    let mut issued_json: Vec<Value> = Vec::new();
    let mut failure = None;
    let mut first = None;
    for (r, spec) in requests.iter().zip(&specs) {
        bar.set_message(r.email.clone());
        match authority.issue(spec, &SystemClock) {
            Ok(issued) => {
                let c = issued.certificate();
                first.get_or_insert(*c.thumbprint());
                let _ = writeln!(
                    human,
                    "issued {} for {} ({}, serial {}, valid until {}) by CA {}",
                    c.thumbprint(),
                    r.email,
                    key_spec_name(key),
                    c.serial(),
                    time(c.not_after()),
                    issued.record().ca
                );
                let mut j = cert_json(c, Some(true));
                j["ca"] = issued.record().ca.get().into();
                issued_json.push(j);
            }
            Err(e) => {
                failure = Some(
                    CliError::from(e)
                        .context(format!("cannot issue a certificate for {}", r.email)),
                );
                break;
            }
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    if let Some(mut e) = failure {
        if !issued_json.is_empty() {
            e.message = format!(
                "{}\n{} certificate(s) were issued before this one and stay in the store:\n{}",
                e.message,
                issued_json.len(),
                human.trim_end()
            );
        }
        return Err(e);
    }

    let mut json = json!({ "issued": issued_json });
    if let (Some(file), Some(pw), Some(path)) = (p12_file, &password, &a.p12) {
        let Some(thumbprint) = first else {
            return Err(CliError::new("internal: nothing was issued"));
        };
        let p12 = export_pkcs12(&store, &thumbprint, pw, &Pkcs12Options::new())
            .context("the certificate was issued, but the PKCS#12 file could not be made")?;
        file.write(&p12, true)?;
        let _ = writeln!(human, "wrote PKCS#12 file {}", path.display());
        json["p12"] = path.display().to_string().into();
        if !a.password.is_given() {
            let _ = writeln!(
                human,
                "PKCS#12 password: {} (give it to the user by another channel than the file)",
                pw.as_str()
            );
            json["password"] = pw.as_str().into();
        }
    }
    Ok(Outcome::new(human, json))
}

/// Reads `email,common name` lines; every line is checked before anything is issued.
fn read_csv(path: &str) -> CliResult<Vec<Request>> {
    let input = read_input(path)?;
    let text = String::from_utf8(input.bytes)
        .map_err(|_| CliError::new(format!("{} is not UTF-8 text", input.name)))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if out.is_empty() && line.to_ascii_lowercase().starts_with("email") {
            continue;
        }
        let bad = |what: &str| {
            CliError::new(format!("{} line {}: {what}", input.name, n + 1)).hint(
                "each line is `email,common name`, for example `alice@example.com,Alice Example`",
            )
        };
        let Some((email, cn)) = line.split_once(',') else {
            return Err(bad("no comma between the email address and the name"));
        };
        let (email, cn) = (email.trim(), cn.trim().trim_matches('"').trim());
        normalize_email(email).map_err(|e| bad(&e.to_string()))?;
        if cn.is_empty() {
            return Err(bad("the common name is empty"));
        }
        out.push(Request {
            email: email.to_string(),
            cn: cn.to_string(),
        });
    }
    if out.is_empty() {
        return Err(CliError::new(format!(
            "{} has no `email,common name` lines",
            input.name
        )));
    }
    Ok(out)
}
