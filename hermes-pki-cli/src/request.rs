//! `hermes-pki request ...`: certificate requests (built-in, PKCS#10 outward and inward),
//! pending until approved or completed.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Subcommand;
use hermes_pki::request::{
    CSR, CsrPolicy, RequestOptions, RequestRecord, RequestResult, RequestStatus, Requests,
};
use hermes_pki::store::RequestId;
use hermes_pki::time::SystemClock;
use serde_json::{Value, json};

use crate::common::{
    CliError, CliResult, Context, Ctx, KeyType, OutputFile, find_ca, key_spec, read_input,
    write_file,
};
use crate::output::{Outcome, cert_json, time};

/// `request` subcommands.
#[derive(Debug, Subcommand)]
pub enum RequestCmd {
    /// Request a certificate: issued at once by the default CA (built-in), or a new key and a
    /// PKCS#10 request for an external CA (csr), pending until `request complete`
    New {
        /// The email address
        #[arg(long, value_name = "E")]
        email: String,
        /// The common name (the person's name)
        #[arg(long, value_name = "NAME")]
        cn: String,
        /// The organisation
        #[arg(long, value_name = "O")]
        org: Option<String>,
        /// The handler: built-in (the default CA) or csr (an external CA)
        #[arg(long, value_name = "HANDLER", default_value = "built-in")]
        handler: String,
        /// csr: write the PKCS#10 request (PEM) to this file
        #[arg(long, value_name = "FILE")]
        csr_out: Option<PathBuf>,
        /// Validity in days, 1 to 3650
        #[arg(long, value_name = "N", default_value_t = 365)]
        days: u32,
        /// Key type [default: rsa]
        #[arg(long, value_enum, value_name = "TYPE")]
        key_type: Option<KeyType>,
        /// RSA key size: 2048, 3072 or 4096 [default: 2048]
        #[arg(long, value_name = "N")]
        key_size: Option<usize>,
        /// The issuing CA (built-in): its id or common name [default: the default CA]
        #[arg(long, value_name = "CA")]
        ca: Option<String>,
        /// A CRL distribution point URL for the certificate (built-in)
        #[arg(long, value_name = "URL")]
        crl_dp: Option<String>,
        /// Add the user to the store
        #[arg(long)]
        create_user: bool,
        /// Deliver a PKCS#12 with a generated password: write it to this file (the password is
        /// printed)
        #[arg(long, value_name = "FILE")]
        p12: Option<PathBuf>,
        /// Write the ready mail to the user, with the PKCS#12 attached, to this file
        #[arg(long, value_name = "FILE", requires = "p12")]
        mail_out: Option<PathBuf>,
        /// Keep the generated PKCS#12 password in the user's settings
        #[arg(long, requires = "p12")]
        store_password: bool,
    },
    /// Accept a client's PKCS#10 request (PEM or DER): pending until `request approve`, or
    /// issued at once with --approve. The client keeps its key
    Sign {
        /// The request file (`-` for stdin)
        #[arg(value_name = "CSRFILE")]
        csr: String,
        /// Issue at once
        #[arg(long)]
        approve: bool,
        /// Accept only addresses of this domain (repeatable)
        #[arg(long, value_name = "DOMAIN")]
        domain: Vec<String>,
        /// Copy O, GN and SN from the request's subject
        #[arg(long)]
        copy_subject: bool,
        /// Validity in days, 1 to 3650
        #[arg(long, value_name = "N", default_value_t = 365)]
        days: u32,
        /// With --approve: write the certificate and its chain (PEM) to this file
        #[arg(long, value_name = "FILE", requires = "approve")]
        out: Option<PathBuf>,
    },
    /// List the requests
    List {
        /// Only pending requests
        #[arg(long)]
        pending: bool,
    },
    /// Show a request; with --csr-out, write its PKCS#10 request (PEM)
    Show {
        /// The request id
        #[arg(value_name = "ID")]
        id: String,
        /// Write the PKCS#10 request (PEM) to this file
        #[arg(long, value_name = "FILE")]
        csr_out: Option<PathBuf>,
    },
    /// Approve a pending inward (client) request: the default CA issues it
    Approve {
        /// The request id
        #[arg(value_name = "ID")]
        id: String,
        /// Write the certificate and its chain (PEM) to this file
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Cancel a pending request (its unused key is removed)
    Cancel {
        /// The request id
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Try a pending request of an external handler again
    Retry {
        /// The request id
        #[arg(value_name = "ID")]
        id: String,
    },
    /// Complete a pending csr request with the certificate the external CA issued (PEM, DER
    /// or p7b; `cert import` of that certificate completes it too)
    Complete {
        /// The request id
        #[arg(value_name = "ID")]
        id: String,
        /// The certificate file (`-` for stdin)
        #[arg(value_name = "CERTFILE")]
        cert: String,
    },
}

/// Runs a `request` subcommand.
pub fn run(ctx: &Ctx, cmd: RequestCmd) -> CliResult<Outcome> {
    match cmd {
        RequestCmd::New {
            email,
            cn,
            org,
            handler,
            csr_out,
            days,
            key_type,
            key_size,
            ca,
            crl_dp,
            create_user,
            p12,
            mail_out,
            store_password,
        } => {
            let mut o = RequestOptions::new(email, cn)
                .days(days)
                .key(key_spec(key_type, key_size, 2048)?)
                .handler(handler)
                .create_user(create_user)
                .store_password(store_password);
            if let Some(v) = org {
                o = o.organization(v);
            }
            if let Some(v) = crl_dp {
                o = o.crl_distribution_point(v);
            }
            if p12.is_some() {
                o = o.deliver_pkcs12(16);
            }
            new(ctx, o, ca.as_deref(), csr_out, p12, mail_out)
        }
        RequestCmd::Sign {
            csr,
            approve,
            domain,
            copy_subject,
            days,
            out,
        } => {
            let mut policy = CsrPolicy::new()
                .copy_subject_fields(copy_subject)
                .days(days);
            for d in domain {
                policy = policy.allowed_domain(d);
            }
            sign(ctx, &csr, &policy, approve, out)
        }
        RequestCmd::List { pending } => list(ctx, pending),
        RequestCmd::Show { id, csr_out } => show(ctx, &id, csr_out),
        RequestCmd::Approve { id, out } => {
            let store = ctx.open()?;
            let r = Requests::new(&store)
                .approve(parse_id(&id)?, &SystemClock)
                .context(format!("cannot approve request {id}"))?;
            result(&r, out, "approved and issued")
        }
        RequestCmd::Cancel { id } => {
            let store = ctx.open()?;
            let r = Requests::new(&store)
                .cancel(parse_id(&id)?, &SystemClock)
                .context(format!("cannot cancel request {id}"))?;
            Ok(Outcome::new(
                format!("cancelled request {} for {}\n", r.id, r.email),
                record_json(&r),
            ))
        }
        RequestCmd::Retry { id } => {
            let store = ctx.open()?;
            let r = Requests::new(&store)
                .retry(parse_id(&id)?, &SystemClock)
                .context(format!("cannot retry request {id}"))?;
            result(&r, None, "retried")
        }
        RequestCmd::Complete { id, cert } => {
            let input = read_input(&cert)?;
            let store = ctx.open()?;
            let r = Requests::new(&store)
                .complete(parse_id(&id)?, &input.bytes, &SystemClock)
                .map_err(|e| match e.kind() {
                    hermes_pki::ErrorKind::KeyMismatch => CliError::from(e).hint(format!(
                        "{} holds no certificate for this request's key; is it the answer to \
                         another request?",
                        input.name
                    )),
                    _ => CliError::from(e),
                })
                .context(format!("cannot complete request {id}"))?;
            result(&r, None, "completed")
        }
    }
}

fn parse_id(id: &str) -> CliResult<RequestId> {
    id.parse::<RequestId>()
        .map_err(|e| CliError::from(e).hint("run `hermes-pki request list` to see the ids"))
}

/// The JSON of a request record.
pub fn record_json(r: &RequestRecord) -> Value {
    json!({
        "id": r.id.get(),
        "handler": r.handler,
        "status": r.status.as_str(),
        "email": r.email,
        "certificate": r.certificate.map(|t| t.to_string()),
        "created": time(r.created),
        "updated": time(r.updated),
        "next_attempt": time(r.next_attempt),
        "attempts": r.attempts,
        "reference": r.reference,
        "last_error": r.last_error,
        "has_csr": r.csr.is_some(),
    })
}

fn record_line(r: &RequestRecord) -> String {
    format!(
        "{:>5}  {:<9}  {:<10}  {}  created {}{}",
        r.id.get(),
        r.status.as_str(),
        r.handler,
        r.email,
        time(r.created),
        r.last_error
            .as_deref()
            .map(|e| format!("  last error: {e}"))
            .unwrap_or_default()
    )
}

/// Prints what a request came to, writing the certificate and chain to `out` when issued.
fn result(r: &RequestResult, out: Option<PathBuf>, verb: &str) -> CliResult<Outcome> {
    let rec = r.record();
    let mut human = String::new();
    let mut j = record_json(rec);
    match r.certificate() {
        Some(c) => {
            let _ = writeln!(
                human,
                "request {} for {} {verb}: certificate {} (serial {}, valid until {})",
                rec.id,
                rec.email,
                c.thumbprint(),
                c.serial(),
                time(c.not_after())
            );
            j["issued"] = cert_json(c, None);
            if let Some(path) = out {
                let mut pem = c.to_pem();
                for x in r.chain() {
                    pem.push_str(&x.to_pem());
                }
                write_file(&path, pem.as_bytes(), false)?;
                let _ = writeln!(human, "wrote {}", path.display());
            }
        }
        None => {
            let _ = writeln!(
                human,
                "request {} for {} is pending ({}){}",
                rec.id,
                rec.email,
                rec.handler,
                rec.last_error
                    .as_deref()
                    .map(|e| format!("; last error: {e}"))
                    .unwrap_or_default()
            );
        }
    }
    Ok(Outcome::new(human, j))
}

fn new(
    ctx: &Ctx,
    mut options: RequestOptions,
    ca: Option<&str>,
    csr_out: Option<PathBuf>,
    p12: Option<PathBuf>,
    mail_out: Option<PathBuf>,
) -> CliResult<Outcome> {
    if csr_out.is_some() && options.get_handler() != CSR {
        return Err(CliError::new("--csr-out is for --handler csr"));
    }
    let p12_file = match &p12 {
        Some(path) => Some(OutputFile::reserve(path, true)?),
        None => None,
    };
    let csr_file = match &csr_out {
        Some(path) => Some(OutputFile::reserve(path, false)?),
        None => None,
    };
    let store = ctx.create()?;
    if let Some(name) = ca {
        options = options.ca(find_ca(&store, name)?.id);
    }
    let requests = Requests::new(&store);
    let mut r = requests.request(&options, &SystemClock).context(format!(
        "cannot request a certificate for {}",
        options.get_email()
    ))?;
    let mut outcome = result(&r, None, "issued")?;
    if let (Some(file), Some(path)) = (csr_file, &csr_out) {
        let pem = requests.csr_pem(r.record().id)?;
        file.write(pem.as_bytes(), false)?;
        let _ = writeln!(
            outcome.human,
            "wrote the PKCS#10 request {}: send it to the CA, then `hermes-pki request complete \
             {} CERTFILE`",
            path.display(),
            r.record().id
        );
        outcome.json["csr"] = path.display().to_string().into();
    }
    if let Some(delivery) = r.take_delivery() {
        if let (Some(file), Some(path)) = (p12_file, &p12) {
            file.write(delivery.pkcs12(), true)?;
            let _ = writeln!(outcome.human, "wrote PKCS#12 file {}", path.display());
            let _ = writeln!(
                outcome.human,
                "PKCS#12 password: {} (give it to the user by another channel than the file)",
                delivery.password()
            );
            outcome.json["p12"] = path.display().to_string().into();
            outcome.json["password"] = delivery.password().into();
        }
        if let Some(path) = &mail_out {
            write_file(path, delivery.message(), true)?;
            let _ = writeln!(
                outcome.human,
                "wrote the mail to the user {}",
                path.display()
            );
            outcome.json["mail"] = path.display().to_string().into();
        }
    }
    Ok(outcome)
}

fn sign(
    ctx: &Ctx,
    csr: &str,
    policy: &CsrPolicy,
    approve: bool,
    out: Option<PathBuf>,
) -> CliResult<Outcome> {
    let input = read_input(csr)?;
    let store = ctx.create()?;
    let r = Requests::new(&store)
        .submit_csr(&input.bytes, policy, approve, &SystemClock)
        .context(format!("cannot accept the request {}", input.name))?;
    let mut outcome = result(&r, out, "issued")?;
    if r.is_pending() {
        let _ = writeln!(
            outcome.human,
            "approve it with `hermes-pki request approve {}`",
            r.record().id
        );
    }
    Ok(outcome)
}

fn list(ctx: &Ctx, pending: bool) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let status = pending.then_some(RequestStatus::Pending);
    let records = Requests::new(&store).list(status)?;
    let mut human = String::new();
    for r in &records {
        let _ = writeln!(human, "{}", record_line(r));
    }
    let _ = writeln!(human, "{} request(s)", records.len());
    Ok(Outcome::new(
        human,
        json!({ "requests": records.iter().map(record_json).collect::<Vec<_>>() }),
    ))
}

fn show(ctx: &Ctx, id: &str, csr_out: Option<PathBuf>) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let requests = Requests::new(&store);
    let r = requests.get(parse_id(id)?)?;
    let options = RequestOptions::from_text(&r.options)?;
    let mut human = format!(
        "request {}\n  status:       {}\n  handler:      {}\n  email:        {}\n  common name:  {}\n  \
         created:      {}\n  updated:      {}\n  next attempt: {}\n  attempts:     {}\n",
        r.id,
        r.status,
        r.handler,
        r.email,
        options.get_common_name(),
        time(r.created),
        time(r.updated),
        time(r.next_attempt),
        r.attempts
    );
    if let Some(t) = &r.certificate {
        let _ = writeln!(human, "  certificate:  {t}");
    }
    if let Some(e) = &r.last_error {
        let _ = writeln!(human, "  last error:   {e}");
    }
    let mut j = record_json(&r);
    if let Some(path) = csr_out {
        let pem = requests.csr_pem(r.id)?;
        write_file(&path, pem.as_bytes(), false)?;
        let _ = writeln!(human, "wrote the PKCS#10 request {}", path.display());
        j["csr"] = path.display().to_string().into();
    }
    Ok(Outcome::new(human, j))
}
