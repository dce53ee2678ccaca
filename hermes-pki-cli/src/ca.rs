//! `hermes-pki ca ...`: the store's certificate authorities.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use hermes_pki::ca::{CaConfig, CaSpec, CertificateAuthority, DistinguishedName};
use hermes_pki::key::PbeKdf;
use hermes_pki::store::StoreExt;
use hermes_pki::time::SystemClock;
use serde_json::json;
use zeroize::Zeroizing;

use crate::common::{
    CliError, CliResult, Context, Ctx, Dest, KeyType, find_ca, key_spec, key_spec_name, read_input,
    write_file,
};
use crate::output::{Outcome, ca_json, ca_line, time};
use crate::password::PasswordArgs;

/// The environment variable that enables `ca export-key`.
pub const ALLOW_KEY_EXPORT_ENV: &str = "HERMES_PKI_ALLOW_KEY_EXPORT";

/// `ca` subcommands.
#[derive(Debug, Subcommand)]
pub enum CaCmd {
    /// Create a root CA (and, with --intermediate-cn, an issuing intermediate under it)
    Create(CreateArgs),
    /// Import an existing CA from its certificate and private key
    Import(ImportArgs),
    /// List the CAs
    List,
    /// Renew a CA: same key and name, a new certificate valid 5 more years
    Renew {
        /// The CA: its id or its common name
        #[arg(value_name = "CA")]
        ca: String,
    },
    /// Delete a CA with its key (refused while certificates it issued are on record)
    Delete {
        /// The CA: its id or its common name
        #[arg(value_name = "CA")]
        ca: String,
    },
    /// Make a CA the default one (the one `issue` uses without --ca)
    SetDefault {
        /// The CA: its id or its common name
        #[arg(value_name = "CA")]
        ca: String,
    },
    /// Export a CA's certificate (PEM; DER with --der)
    Export {
        /// The CA: its id or its common name
        #[arg(value_name = "CA")]
        ca: String,
        /// Write to this file instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        /// Also export the certificates of the CAs above it (PEM)
        #[arg(long, conflicts_with = "der")]
        chain: bool,
        /// DER instead of PEM
        #[arg(long)]
        der: bool,
    },
    /// Export a CA's private key (PEM PKCS#8). Disabled unless the environment variable
    /// HERMES_PKI_ALLOW_KEY_EXPORT=1 is set
    ExportKey {
        /// The CA: its id or its common name
        #[arg(value_name = "CA")]
        ca: String,
        /// Write to this file (created readable by its owner only) instead of stdout
        #[arg(long, value_name = "FILE")]
        out: Option<String>,
        /// Encrypt the key with this password (PKCS#8, scrypt + AES-256-CBC)
        #[command(flatten)]
        password: PasswordArgs,
    },
}

/// `ca create` arguments.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The CA's common name (unique among the store's CAs)
    #[arg(long, value_name = "NAME")]
    pub cn: String,
    /// Organisation (O)
    #[arg(long, value_name = "O")]
    pub org: Option<String>,
    /// Country (C), ISO 3166-1 two letters
    #[arg(long, value_name = "CC")]
    pub country: Option<String>,
    /// Email address (emailAddress) in the root CA's subject
    #[arg(long, value_name = "E")]
    pub email: Option<String>,
    /// Key type [default: rsa]
    #[arg(long, value_enum, value_name = "TYPE")]
    pub key_type: Option<KeyType>,
    /// RSA key size: 2048, 3072 or 4096 [default: 4096]
    #[arg(long, value_name = "N")]
    pub key_size: Option<usize>,
    /// Validity in years, 1 to 5
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub years: u32,
    /// Also create an intermediate CA with this common name under the root; it does the
    /// issuing (the recommended setup)
    #[arg(long, value_name = "NAME")]
    pub intermediate_cn: Option<String>,
    /// Make the new CA the default (the first CA of a store always is)
    #[arg(long)]
    pub default: bool,
}

/// `ca import` arguments.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The CA certificate (PEM, DER or p7b; may hold its chain too)
    #[arg(long, value_name = "FILE")]
    pub cert: String,
    /// Its private key (PKCS#8 or PKCS#1, PEM or DER, encrypted PKCS#8 with --password)
    #[arg(long, value_name = "FILE")]
    pub key: String,
    /// The password of an encrypted key
    #[command(flatten)]
    pub password: PasswordArgs,
    /// Make the imported CA the default
    #[arg(long)]
    pub default: bool,
}

/// Runs a `ca` subcommand.
pub fn run(ctx: &Ctx, cmd: CaCmd) -> CliResult<Outcome> {
    match cmd {
        CaCmd::Create(args) => create(ctx, args),
        CaCmd::Import(args) => import(ctx, args),
        CaCmd::List => list(ctx),
        CaCmd::Renew { ca } => renew(ctx, &ca),
        CaCmd::Delete { ca } => delete(ctx, &ca),
        CaCmd::SetDefault { ca } => set_default(ctx, &ca),
        CaCmd::Export {
            ca,
            out,
            chain,
            der,
        } => export(ctx, &ca, out.as_deref(), chain, der),
        CaCmd::ExportKey { ca, out, password } => {
            let pw = password.given()?;
            export_key(ctx, &ca, out.as_deref(), pw.as_deref().map(String::as_str))
        }
    }
}

fn create(ctx: &Ctx, a: CreateArgs) -> CliResult<Outcome> {
    let key = key_spec(a.key_type, a.key_size, 4096)?;
    let mut name = DistinguishedName::new(&a.cn);
    if let Some(o) = &a.org {
        name = name.organization(o);
    }
    if let Some(c) = &a.country {
        name = name.country(c);
    }
    if let Some(e) = &a.email {
        name = name.email(e);
    }
    let mut spec = CaSpec::new(name)
        .key(key)
        .years(a.years)
        .make_default(a.default);
    if let Some(i) = &a.intermediate_cn {
        let mut inter = DistinguishedName::new(i);
        if let Some(o) = &a.org {
            inter = inter.organization(o);
        }
        if let Some(c) = &a.country {
            inter = inter.country(c);
        }
        spec = spec.intermediate(inter);
    }
    let store = ctx.create()?;
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(&spec, &SystemClock)
        .context("cannot create the CA")?;
    let issuing = created.issuing();
    let mut human = format!(
        "created CA {} \"{}\" ({}, valid until {})\n",
        created.root().id,
        created.root().name,
        key_spec_name(key),
        time(created.root_certificate().not_after())
    );
    let mut json = json!({
        "root": ca_json(created.root(), Some(created.root_certificate())),
        "intermediate": null,
        "issuing": issuing.id.get(),
    });
    if let Some(inter) = created.intermediate() {
        let _ = writeln!(
            human,
            "created intermediate CA {} \"{}\" under it; it does the issuing",
            inter.id, inter.name
        );
        json["intermediate"] = ca_json(inter, Some(created.issuing_certificate()));
    }
    // The default flag as it is after the transaction (the first CA is the default).
    let default = ca.default_ca()?;
    if let Some(d) = default.as_ref().filter(|d| d.id == issuing.id) {
        let _ = writeln!(human, "CA {} \"{}\" is the default CA", d.id, d.name);
    }
    json["default"] = default.map(|d| d.id.get()).into();
    Ok(Outcome::new(human, json))
}

fn import(ctx: &Ctx, a: ImportArgs) -> CliResult<Outcome> {
    let cert = read_input(&a.cert)?;
    let key = read_input(&a.key)?;
    let password = a.password.given()?;
    let store = ctx.create()?;
    let ca = CertificateAuthority::new(&store);
    let record = ca
        .import(
            &cert.bytes,
            &key.bytes,
            password.as_deref().map(String::as_bytes),
            a.default,
            &SystemClock,
        )
        .map_err(|e| {
            let invalid_key = e.kind() == hermes_pki::ErrorKind::InvalidKey;
            let e = CliError::from(e)
                .context(format!("cannot import the CA from {} and {}", cert.name, key.name));
            if invalid_key {
                e.hint(
                    "the key file is PKCS#8 or PKCS#1, PEM or DER; an encrypted key needs a password (--password-file, --password-env or --password)",
                )
            } else {
                e
            }
        })?;
    let certificate = ca.certificate(record.id)?;
    let human = format!(
        "imported CA {} \"{}\" ({}, valid until {}){}\n",
        record.id,
        record.name,
        certificate.key_algorithm(),
        time(certificate.not_after()),
        if ca.get(record.id)?.is_default {
            "; it is the default CA"
        } else {
            ""
        }
    );
    let record = ca.get(record.id)?;
    Ok(Outcome::new(
        human,
        json!({ "ca": ca_json(&record, Some(&certificate)) }),
    ))
}

fn list(ctx: &Ctx) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let ca = CertificateAuthority::new(&store);
    let cas = ca.list()?;
    let mut human = String::new();
    let mut items = Vec::new();
    for r in &cas {
        let cert = store.read_transaction(|tx| tx.certificate(&r.certificate))?;
        let _ = writeln!(human, "{}", ca_line(r, cert.as_ref()));
        items.push(ca_json(r, cert.as_ref()));
    }
    if cas.is_empty() {
        human.push_str("no CAs yet; create one with `hermes-pki ca create --cn NAME`\n");
    }
    Ok(Outcome::new(human, json!({ "cas": items })))
}

fn renew(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let record = find_ca(&store, id)?;
    let ca = CertificateAuthority::new(&store);
    let renewed = ca
        .renew(record.id, &SystemClock)
        .context(format!("cannot renew CA {} \"{}\"", record.id, record.name))?;
    let record = ca.get(record.id)?;
    Ok(Outcome::new(
        format!(
            "renewed CA {} \"{}\": new certificate serial {}, valid until {}\n",
            record.id,
            record.name,
            renewed.serial(),
            time(renewed.not_after())
        ),
        json!({ "ca": ca_json(&record, Some(&renewed)) }),
    ))
}

fn delete(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let record = find_ca(&store, id)?;
    CertificateAuthority::new(&store)
        .delete(record.id)
        .context(format!(
            "cannot delete CA {} \"{}\"",
            record.id, record.name
        ))?;
    Ok(Outcome::new(
        format!(
            "deleted CA {} \"{}\" with its certificate and private key\n",
            record.id, record.name
        ),
        json!({ "deleted": { "id": record.id.get(), "name": record.name } }),
    ))
}

fn set_default(ctx: &Ctx, id: &str) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let record = find_ca(&store, id)?;
    let ca = CertificateAuthority::new(&store);
    ca.set_default(record.id)?;
    let record = ca.get(record.id)?;
    Ok(Outcome::new(
        format!(
            "CA {} \"{}\" is now the default CA\n",
            record.id, record.name
        ),
        json!({ "ca": ca_json(&record, None) }),
    ))
}

fn export(ctx: &Ctx, id: &str, out: Option<&str>, chain: bool, der: bool) -> CliResult<Outcome> {
    let dest = Dest::from_arg(out);
    if der {
        dest.check_binary("a DER certificate", ctx.json)?;
    }
    let store = ctx.open()?;
    let record = find_ca(&store, id)?;
    let ca = CertificateAuthority::new(&store);
    let certs = if chain {
        ca.chain(record.id)?
    } else {
        vec![ca.certificate(record.id)?]
    };
    let pem: String = certs.iter().map(|c| c.to_pem()).collect();
    let bytes = match (der, certs.first()) {
        (true, Some(c)) => c.der().to_vec(),
        _ => pem.clone().into_bytes(),
    };
    let mut json = json!({
        "ca": record.id.get(),
        "name": record.name,
        "certificates": certs.len(),
    });
    match dest {
        Dest::File(path) => {
            write_file(&path, &bytes, false)?;
            json["written"] = path.display().to_string().into();
            Ok(Outcome::new(
                format!(
                    "wrote {} certificate(s) of CA {} \"{}\" to {}\n",
                    certs.len(),
                    record.id,
                    record.name,
                    path.display()
                ),
                json,
            ))
        }
        Dest::Stdout => {
            json["pem"] = pem.into();
            Ok(Outcome::new(String::new(), json).raw(bytes))
        }
    }
}

fn export_key(
    ctx: &Ctx,
    id: &str,
    out: Option<&str>,
    password: Option<&str>,
) -> CliResult<Outcome> {
    let allowed = std::env::var(ALLOW_KEY_EXPORT_ENV)
        .map(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "1" | "true" | "yes"))
        .unwrap_or(false);
    let store = ctx.open()?;
    let record = find_ca(&store, id)?;
    let ca = CertificateAuthority::with_config(&store, CaConfig::new().allow_key_export(allowed));
    let key = ca.export_key(record.id).map_err(|e| {
        let disabled = e.kind() == hermes_pki::ErrorKind::NotPermitted;
        let err = CliError::from(e);
        if disabled {
            CliError::new(
                "exporting a CA private key is disabled: a CA key that leaves the store can \
                 mint certificates every correspondent trusts",
            )
            .hint(format!(
                "if you really need the key outside the store, set {ALLOW_KEY_EXPORT_ENV}=1 for \
                 this command"
            ))
        } else {
            err
        }
    })?;
    let pem: Zeroizing<String> = match password {
        Some(pw) => Zeroizing::new(key.to_encrypted_pkcs8_pem(pw.as_bytes(), PbeKdf::Scrypt)?),
        None => key.to_pkcs8_pem()?,
    };
    let encrypted = password.is_some();
    match Dest::from_arg(out) {
        Dest::File(path) => {
            write_file(&path, pem.as_bytes(), true)?;
            Ok(Outcome::new(
                format!(
                    "wrote the private key of CA {} \"{}\" to {}{}\n",
                    record.id,
                    record.name,
                    path.display(),
                    if encrypted {
                        " (encrypted)"
                    } else {
                        " (NOT encrypted: keep it safe)"
                    }
                ),
                json!({
                    "ca": record.id.get(),
                    "written": path.display().to_string(),
                    "encrypted": encrypted,
                }),
            ))
        }
        Dest::Stdout => Ok(Outcome::new(
            pem.to_string(),
            json!({ "ca": record.id.get(), "encrypted": encrypted, "pem": pem.as_str() }),
        )),
    }
}
