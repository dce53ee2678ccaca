//! `hermes-pki user ...` and `hermes-pki domain ...`: the users and domains of the store, their
//! effective settings, and the certificates [`hermes_pki::select`] picks for a user
//! (encryption certificates with why, the signing certificate), chosen by hand or
//! automatically. The library does the work; this file parses the arguments and prints.

use std::fmt::Write as _;
use std::time::SystemTime;

use clap::{ArgGroup, Subcommand};
use hermes_pki::cert::Thumbprint;
use hermes_pki::select::{self, EncryptionSelection, Selected};
use hermes_pki::settings::{self, Effective};
use hermes_pki::store::{AnyStore, DomainName, EmailAddress, SettingScope, StoreExt};
use serde_json::{Value, json};

use crate::common::{CliError, CliResult, Ctx, resolve_certificate, short};
use crate::output::{Outcome, cert_json};
use crate::settings::{effective_json, level_name, value_human};

/// `user` subcommands.
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user (an email address)
    Add {
        /// The user's email address
        #[arg(value_name = "EMAIL")]
        email: String,
    },
    /// List the users
    List,
    /// Show a user: the effective settings with their source, the selected encryption
    /// certificates with why, the signing certificate
    Show {
        /// The user's email address (need not be stored: its domain's and the global settings
        /// apply)
        #[arg(value_name = "EMAIL")]
        email: String,
    },
    /// Remove a user with its settings and manual choices
    Remove {
        /// The user's email address
        #[arg(value_name = "EMAIL")]
        email: String,
    },
    /// Choose certificates by hand: encryption certificates (added to the manual choices),
    /// deselect manual ones, a signing certificate, or back to automatic signing
    #[command(group(
        ArgGroup::new("choice")
            .args(["encryption", "deselect", "signing", "auto"])
            .required(true)
    ))]
    Select {
        /// The user's email address (added to the store if needed)
        #[arg(value_name = "EMAIL")]
        email: String,
        /// Encrypt to these certificates (thumbprints or 8+ hex digits of them), while valid
        #[arg(long, value_name = "THUMBPRINT", num_args = 1..)]
        encryption: Vec<String>,
        /// Remove these manual encryption choices (automatic ones cannot be deselected)
        #[arg(long, value_name = "THUMBPRINT", num_args = 1..)]
        deselect: Vec<String>,
        /// Sign with this certificate (its private key must be stored), while valid
        #[arg(long, value_name = "THUMBPRINT")]
        signing: Option<String>,
        /// Back to automatic signing: the valid certificate with a key and the latest notBefore
        #[arg(long)]
        auto: bool,
    },
}

/// `domain` subcommands.
#[derive(Debug, Subcommand)]
pub enum DomainCmd {
    /// Add a domain
    Add {
        /// The domain name
        #[arg(value_name = "DOMAIN")]
        domain: String,
    },
    /// List the domains
    List,
    /// Show a domain's effective settings with their source
    Show {
        /// The domain name
        #[arg(value_name = "DOMAIN")]
        domain: String,
    },
    /// Remove a domain with its settings (not its users)
    Remove {
        /// The domain name
        #[arg(value_name = "DOMAIN")]
        domain: String,
    },
}

/// Runs a `user` subcommand.
pub fn run_user(ctx: &Ctx, cmd: UserCmd) -> CliResult<Outcome> {
    match cmd {
        UserCmd::Add { email } => add_user(ctx, &email),
        UserCmd::List => list_users(ctx),
        UserCmd::Show { email } => show_user(ctx, &email),
        UserCmd::Remove { email } => remove_user(ctx, &email),
        UserCmd::Select {
            email,
            encryption,
            deselect,
            signing,
            auto,
        } => select_cmd(
            ctx,
            &email,
            &encryption,
            &deselect,
            signing.as_deref(),
            auto,
        ),
    }
}

/// Runs a `domain` subcommand.
pub fn run_domain(ctx: &Ctx, cmd: DomainCmd) -> CliResult<Outcome> {
    match cmd {
        DomainCmd::Add { domain } => add_domain(ctx, &domain),
        DomainCmd::List => list_domains(ctx),
        DomainCmd::Show { domain } => show_domain(ctx, &domain),
        DomainCmd::Remove { domain } => remove_domain(ctx, &domain),
    }
}

fn user_of(email: &str) -> CliResult<EmailAddress> {
    EmailAddress::new(email)
        .map_err(|e| CliError::from(e).hint("give an email address, such as alice@example.com"))
}

fn domain_of(domain: &str) -> CliResult<DomainName> {
    DomainName::new(domain)
        .map_err(|e| CliError::from(e).hint("give a domain name, such as example.com"))
}

fn add_user(ctx: &Ctx, email: &str) -> CliResult<Outcome> {
    let user = user_of(email)?;
    let added = ctx.create()?.transaction(|tx| tx.put_user(&user))?;
    let human = if added {
        format!("added user {user}\n")
    } else {
        format!("user {user} is already in the store; nothing changed\n")
    };
    Ok(Outcome::new(
        human,
        json!({ "user": user.as_str(), "added": added }),
    ))
}

fn add_domain(ctx: &Ctx, domain: &str) -> CliResult<Outcome> {
    let domain = domain_of(domain)?;
    let added = ctx.create()?.transaction(|tx| tx.put_domain(&domain))?;
    let human = if added {
        format!("added domain {domain}\n")
    } else {
        format!("domain {domain} is already in the store; nothing changed\n")
    };
    Ok(Outcome::new(
        human,
        json!({ "domain": domain.as_str(), "added": added }),
    ))
}

fn list_users(ctx: &Ctx) -> CliResult<Outcome> {
    let users = ctx.open()?.read_transaction(|tx| tx.users())?;
    let mut human = format!("{} user(s)\n", users.len());
    for u in &users {
        let _ = writeln!(human, "  {u}");
    }
    let list: Vec<&str> = users.iter().map(EmailAddress::as_str).collect();
    Ok(Outcome::new(human, json!({ "users": list })))
}

fn list_domains(ctx: &Ctx) -> CliResult<Outcome> {
    let domains = ctx.open()?.read_transaction(|tx| tx.domains())?;
    let mut human = format!("{} domain(s)\n", domains.len());
    for d in &domains {
        let _ = writeln!(human, "  {d}");
    }
    let list: Vec<&str> = domains.iter().map(DomainName::as_str).collect();
    Ok(Outcome::new(human, json!({ "domains": list })))
}

fn remove_user(ctx: &Ctx, email: &str) -> CliResult<Outcome> {
    let user = user_of(email)?;
    let removed = ctx.open()?.transaction(|tx| tx.delete_user(&user))?;
    if !removed {
        return Err(CliError::new(format!("no user {user} in the store"))
            .hint("`hermes-pki user list` lists the users"));
    }
    Ok(Outcome::new(
        format!("removed user {user} with its settings and manual choices\n"),
        json!({ "user": user.as_str(), "removed": true }),
    ))
}

fn remove_domain(ctx: &Ctx, domain: &str) -> CliResult<Outcome> {
    let domain = domain_of(domain)?;
    let removed = ctx.open()?.transaction(|tx| tx.delete_domain(&domain))?;
    if !removed {
        return Err(CliError::new(format!("no domain {domain} in the store"))
            .hint("`hermes-pki domain list` lists the domains"));
    }
    Ok(Outcome::new(
        format!("removed domain {domain} with its settings\n"),
        json!({ "domain": domain.as_str(), "removed": true }),
    ))
}

/// The effective settings of `scope`, for a person and as JSON.
fn settings_block(scope: &SettingScope, effective: &[Effective], human: &mut String) -> Value {
    let _ = writeln!(human, "settings:");
    for e in effective {
        let from = if e.key.is_list() && e.levels.len() > 1 {
            e.levels
                .iter()
                .map(|(s, _)| level_name(scope, *s))
                .collect::<Vec<_>>()
                .join(" + ")
        } else {
            level_name(scope, e.source)
        };
        let _ = writeln!(
            human,
            "  {:<24} {:<14} {from}",
            e.key.as_str(),
            value_human(&e.value)
        );
    }
    Value::Array(effective.iter().map(|e| effective_json(scope, e)).collect())
}

fn why_json(scope: &SettingScope, why: select::Why) -> Value {
    match why {
        select::Why::Additional { source } => json!({
            "why": why.as_str(),
            "source": source.as_str(),
            "level": level_name(scope, source),
        }),
        other => json!({ "why": other.as_str() }),
    }
}

fn why_human(scope: &SettingScope, why: select::Why) -> String {
    match why {
        select::Why::Additional { source } => {
            format!("additional, from {}", level_name(scope, source))
        }
        other => other.as_str().to_string(),
    }
}

fn selected_json(scope: &SettingScope, s: &Selected) -> Value {
    let mut v = cert_json(&s.certificate, None);
    if let (Value::Object(m), Value::Object(w)) = (&mut v, why_json(scope, s.why)) {
        m.extend(w);
    }
    v
}

fn encryption_block(scope: &SettingScope, sel: &EncryptionSelection, human: &mut String) -> Value {
    let _ = writeln!(
        human,
        "encryption certificates (auto-select {}):",
        if sel.auto_select { "on" } else { "off" }
    );
    if sel.selected.is_empty() {
        let _ = writeln!(human, "  none");
    }
    for s in &sel.selected {
        let _ = writeln!(
            human,
            "  {}  {}  ({})",
            short(s.certificate.thumbprint()),
            s.certificate.subject(),
            why_human(scope, s.why)
        );
    }
    for l in &sel.left_out {
        let subject = l
            .certificate
            .as_ref()
            .map(|c| c.subject().to_string())
            .unwrap_or_else(|| "?".into());
        let _ = writeln!(
            human,
            "  left out: {}  {subject}  ({}): {}",
            short(&l.thumbprint),
            why_human(scope, l.why),
            l.exclusion
        );
    }
    let left: Vec<Value> = sel
        .left_out
        .iter()
        .map(|l| {
            let mut v = json!({
                "thumbprint": l.thumbprint.to_hex(),
                "subject": l.certificate.as_ref().map(|c| c.subject().to_string()),
                "reason": l.exclusion.to_string(),
            });
            if let (Value::Object(m), Value::Object(w)) = (&mut v, why_json(scope, l.why)) {
                m.extend(w);
            }
            v
        })
        .collect();
    json!({
        "auto_select": sel.auto_select,
        "selected": sel.selected.iter().map(|s| selected_json(scope, s)).collect::<Vec<_>>(),
        "left_out": left,
    })
}

fn show_user(ctx: &Ctx, email: &str) -> CliResult<Outcome> {
    let user = user_of(email)?;
    let scope = SettingScope::User(user.clone());
    let now = SystemTime::now();
    let store = ctx.open()?;
    let (stored, effective, enc, sig, manual_enc, manual_sig) = store.read_transaction(|tx| {
        Ok((
            tx.has_user(&user)?,
            settings::show(tx, &scope)?,
            select::encryption_certificates(tx, &user, now)?,
            select::signing_certificate(tx, &user, now)?,
            tx.manual_encryption_certificates(&user)?,
            tx.manual_signing_certificate(&user)?,
        ))
    })?;
    let mut human = format!("user {user}");
    if !stored {
        human.push_str(" (not in the store: its domain's and the global settings apply)");
    }
    human.push('\n');
    let settings_json = settings_block(&scope, &effective, &mut human);
    let encryption_json = encryption_block(&scope, &enc, &mut human);
    let signing_json = match &sig {
        Some(s) => {
            let _ = writeln!(
                human,
                "signing certificate: {}  {}  ({})",
                short(s.certificate.thumbprint()),
                s.certificate.subject(),
                why_human(&scope, s.why)
            );
            selected_json(&scope, s)
        }
        None => {
            let _ = writeln!(human, "signing certificate: none valid with a private key");
            Value::Null
        }
    };
    if let Some(t) = &manual_sig
        && sig.as_ref().is_none_or(|s| s.certificate.thumbprint() != t)
    {
        let _ = writeln!(
            human,
            "  (the signing certificate chosen by hand, {}, is not valid now)",
            short(t)
        );
    }
    let hex = |v: &[Thumbprint]| v.iter().map(Thumbprint::to_hex).collect::<Vec<_>>();
    Ok(Outcome::new(
        human,
        json!({
            "user": user.as_str(),
            "stored": stored,
            "settings": settings_json,
            "encryption": encryption_json,
            "signing": signing_json,
            "manual": {
                "encryption": hex(&manual_enc),
                "signing": manual_sig.map(|t| t.to_hex()),
            },
        }),
    ))
}

fn show_domain(ctx: &Ctx, domain: &str) -> CliResult<Outcome> {
    let domain = domain_of(domain)?;
    let scope = SettingScope::Domain(domain.clone());
    let store = ctx.open()?;
    let (stored, effective) =
        store.read_transaction(|tx| Ok((tx.has_domain(&domain)?, settings::show(tx, &scope)?)))?;
    let mut human = format!("domain {domain}");
    if !stored {
        human.push_str(" (not in the store: the global settings apply)");
    }
    human.push('\n');
    let settings_json = settings_block(&scope, &effective, &mut human);
    Ok(Outcome::new(
        human,
        json!({ "domain": domain.as_str(), "stored": stored, "settings": settings_json }),
    ))
}

/// The thumbprints an operator means (each a thumbprint or a unique prefix of a stored
/// certificate).
fn thumbprints(store: &AnyStore, words: &[String]) -> CliResult<Vec<Thumbprint>> {
    let mut out = Vec::new();
    for w in words {
        let t = match w.parse::<Thumbprint>() {
            Ok(t) => t,
            Err(_) => *resolve_certificate(store, w)?.thumbprint(),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

fn select_cmd(
    ctx: &Ctx,
    email: &str,
    encryption: &[String],
    deselect: &[String],
    signing: Option<&str>,
    auto: bool,
) -> CliResult<Outcome> {
    let user = user_of(email)?;
    let store = ctx.open()?;
    let (human, doc) = if !encryption.is_empty() {
        let ts = thumbprints(&store, encryption)?;
        let added = store.transaction(|tx| select::select_encryption(tx, &user, &ts))?;
        (
            format!(
                "{} encryption certificate(s) chosen for {user} ({} new)\n",
                ts.len(),
                added.len()
            ),
            json!({ "action": "encryption", "chosen": ts.iter().map(Thumbprint::to_hex).collect::<Vec<_>>(), "added": added.len() }),
        )
    } else if !deselect.is_empty() {
        let ts = thumbprints(&store, deselect)?;
        store.transaction(|tx| select::deselect_encryption(tx, &user, &ts))?;
        (
            format!(
                "{} encryption certificate(s) deselected for {user}\n",
                ts.len()
            ),
            json!({ "action": "deselect", "deselected": ts.iter().map(Thumbprint::to_hex).collect::<Vec<_>>() }),
        )
    } else if let Some(s) = signing {
        let [t] = thumbprints(&store, &[s.to_string()])?[..] else {
            return Err(CliError::new("--signing takes one certificate"));
        };
        store.transaction(|tx| select::select_signing(tx, &user, &t))?;
        (
            format!("{user} signs with {} while it is valid\n", short(&t)),
            json!({ "action": "signing", "signing": t.to_hex() }),
        )
    } else if auto {
        let had = store.transaction(|tx| select::automatic_signing(tx, &user))?;
        (
            if had {
                format!("{user} signs with the automatic choice again\n")
            } else {
                format!("{user} had no signing certificate chosen by hand; nothing changed\n")
            },
            json!({ "action": "auto", "changed": had }),
        )
    } else {
        return Err(CliError::new(
            "say what to choose: --encryption, --deselect, --signing or --auto",
        ));
    };
    let mut doc = doc;
    doc["user"] = user.as_str().into();
    Ok(Outcome::new(human, doc))
}
