//! `hermes-pki issue`: an end-user S/MIME certificate with a new key, from a CA of the store;
//! optionally handed out as a PKCS#12 file. `--csv` issues many.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use hermes_pki::bundle::export_pkcs12;
use hermes_pki::ca::{CertificateAuthority, IssueSpec};
use hermes_pki::key::KeySpec;
use hermes_pki::pkcs12::{Pkcs12Options, generate_password};
use hermes_pki::request::bulk::{self, BulkOptions, RowNote};
use hermes_pki::request::{RequestOptions, Requests};
use hermes_pki::store::CaId;
use hermes_pki::time::SystemClock;
use serde_json::{Value, json};
use zeroize::Zeroizing;

use crate::common::{
    CliError, CliResult, Context, Ctx, EXIT_FAILURE, EXIT_OK, KeyType, OutputFile, find_ca,
    key_spec, key_spec_name, read_input,
};
use crate::output::{Outcome, cert_json, progress, time, warn};
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
    /// Issue one certificate per row of this CSV file: a header row naming the columns
    /// (EMAIL or e, COMMONNAME or cn; optional ORGANISATION/org/o, FIRSTNAME/fn/givenname/gn,
    /// LASTNAME/ln/surname/sn), `,` or `;`, UTF-8 or UTF-16 with BOM, at most 10,000 rows.
    /// Every row is checked first; a file with row errors issues nothing
    #[arg(long, value_name = "FILE", conflicts_with_all = ["email", "cn", "p12"])]
    pub csv: Option<String>,
    /// With --csv: list what would be requested and every row error, change nothing
    #[arg(long, requires = "csv")]
    pub preview: bool,
    /// With --csv: skip addresses that already have a valid signing certificate
    #[arg(long, requires = "csv")]
    pub skip_existing: bool,
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
    if let Some(csv) = &a.csv {
        return run_csv(ctx, &a, csv, key);
    }
    let requests = match (&a.email, &a.cn) {
        (Some(email), Some(cn)) => vec![Request {
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

/// `issue --csv`: the bulk file planned by the library (`request::bulk`), previewed or run.
fn run_csv(ctx: &Ctx, a: &IssueArgs, csv: &str, key: KeySpec) -> CliResult<Outcome> {
    let input = read_input(csv)?;
    let store = ctx.open()?;
    let mut template = RequestOptions::new("", "").days(a.days).key(key);
    if let Some(url) = &a.crl_dp {
        template = template.crl_distribution_point(url);
    }
    if let Some(name) = &a.ca {
        template = template.ca(find_ca(&store, name)?.id);
    }
    let options = BulkOptions::new(template).skip_existing(a.skip_existing);
    let plan = bulk::preview(&store, &input.bytes, &options, &SystemClock)
        .context(format!("cannot read {}", input.name))?;
    let mut human = String::new();
    let note_json = |n: &RowNote| json!({ "line": n.line, "email": n.email, "message": n.message });
    for n in plan.errors() {
        let _ = writeln!(human, "line {}: {}: {}", n.line, n.email, n.message);
    }
    for n in plan.skipped() {
        let _ = writeln!(human, "line {}: {} skipped: {}", n.line, n.email, n.message);
    }
    if !plan.ignored_columns().is_empty() {
        warn(format!(
            "{}: columns not used: {}",
            input.name,
            plan.ignored_columns().join(", ")
        ));
    }
    let mut json = json!({
        "file": input.name,
        "errors": plan.errors().iter().map(note_json).collect::<Vec<_>>(),
        "skipped": plan.skipped().iter().map(note_json).collect::<Vec<_>>(),
    });
    if a.preview {
        for r in plan.rows() {
            let _ = writeln!(
                human,
                "line {}: would request {} ({})",
                r.line,
                r.options.get_email(),
                r.options.get_common_name()
            );
        }
        let _ = writeln!(
            human,
            "preview of {}: {} to request, {} skipped, {} row error(s); nothing was changed",
            input.name,
            plan.rows().len(),
            plan.skipped().len(),
            plan.errors().len()
        );
        json["preview"] = plan
            .rows()
            .iter()
            .map(|r| json!({ "line": r.line, "email": r.options.get_email(), "cn": r.options.get_common_name() }))
            .collect::<Vec<_>>()
            .into();
        let code = if plan.errors().is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILURE
        };
        return Ok(Outcome::new(human, json).code(code));
    }
    if !plan.errors().is_empty() {
        return Err(CliError::new(format!(
            "{} has {} row error(s); nothing was issued:\n{}",
            input.name,
            plan.errors().len(),
            human.trim_end()
        ))
        .hint("fix the rows (see `--preview`) and run again"));
    }
    let bar = progress(plan.rows().len() as u64, "issuing");
    let report = bulk::run(
        &Requests::new(&store),
        &plan,
        &SystemClock,
        &mut |done, _| bar.set_position(done as u64),
    );
    bar.finish_and_clear();
    let report = report?;
    let mut issued_json = Vec::new();
    for row in report.issued() {
        if let Some(c) = row.result.certificate() {
            let _ = writeln!(
                human,
                "line {}: issued {} for {} ({}, serial {}, valid until {})",
                row.line,
                c.thumbprint(),
                row.result.record().email,
                key_spec_name(key),
                c.serial(),
                time(c.not_after())
            );
            let mut j = cert_json(c, Some(true));
            j["line"] = row.line.into();
            issued_json.push(j);
        }
    }
    json["issued"] = issued_json.into();
    if let Some(failed) = report.failed() {
        let not: Vec<String> = report
            .not_issued()
            .iter()
            .map(|r| format!("line {} ({})", r.line, r.options.get_email()))
            .collect();
        return Err(CliError::new(format!(
            "{}\nline {}: cannot issue a certificate for {}: {}\n{} row(s) were issued (above, \
             complete and in the store); {} were not: {}",
            human.trim_end(),
            failed.line,
            failed.email,
            failed.message,
            report.issued().len(),
            not.len(),
            not.join(", ")
        ))
        .hint("fix the cause and run the file again with --skip-existing to issue the rest"));
    }
    let _ = writeln!(
        human,
        "issued {} certificate(s) from {} ({} skipped)",
        report.issued().len(),
        input.name,
        plan.skipped().len()
    );
    Ok(Outcome::new(human, json))
}
