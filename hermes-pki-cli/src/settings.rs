//! `hermes-pki settings ...`: settings for everyone (global), a domain or a user, looked up
//! user → domain → global → default, each key on its own (`additional-certificates` adds up
//! over the levels). The library's [`hermes_pki::settings`] does the work; this file parses
//! the arguments and prints.

use std::fmt::Write as _;

use clap::{Args, Subcommand};
use hermes_pki::cert::Thumbprint;
use hermes_pki::settings::{Effective, SettingKey, SettingValue, Settings, Source};
use hermes_pki::store::{AnyStore, SettingScope, StoreExt};
use serde_json::{Value, json};

use crate::common::{CliError, CliResult, Ctx, resolve_certificate, short};
use crate::output::Outcome;

/// Where a setting is read or written: a user, a domain, or (neither flag) global.
#[derive(Debug, Args)]
#[group(multiple = false)]
pub struct ScopeArgs {
    /// The settings of this user (an email address; created when a setting is first set)
    #[arg(long, value_name = "EMAIL")]
    user: Option<String>,
    /// The settings of this domain (created when a setting is first set); its users inherit
    /// them
    #[arg(long, value_name = "DOMAIN")]
    domain: Option<String>,
}

/// `settings` subcommands.
#[derive(Debug, Subcommand)]
pub enum SettingsCmd {
    /// Set a setting (global without --user/--domain)
    #[command(after_help = SETTINGS_HELP)]
    Set {
        #[command(flatten)]
        scope: ScopeArgs,
        /// The setting (see below)
        #[arg(value_name = "KEY")]
        key: String,
        /// Its value; additional-certificates takes one or more SHA-512 thumbprints, unique
        /// prefixes of 8+ hex digits, or email addresses of stored certificates
        #[arg(value_name = "VALUE", required = true, num_args = 1..)]
        values: Vec<String>,
    },
    /// Remove a setting at this level, so that the next level's value (or the default) applies
    #[command(after_help = SETTINGS_HELP)]
    Unset {
        #[command(flatten)]
        scope: ScopeArgs,
        /// The setting
        #[arg(value_name = "KEY")]
        key: String,
    },
    /// Show the effective value of every setting (or of KEY), with where it comes from
    #[command(after_help = SETTINGS_HELP)]
    Show {
        #[command(flatten)]
        scope: ScopeArgs,
        /// Only this setting, with the value of every level
        #[arg(value_name = "KEY")]
        key: Option<String>,
    },
}

const SETTINGS_HELP: &str = "\
Settings (looked up user -> domain -> global -> default, each on its own):
  sign                     on|off (default on)
  encrypt                  never|if-possible|required (default if-possible)
  auto-select              on|off (default on)
  additional-certificates  thumbprints of stored certificates; all levels add up (default none)
  add-signer-certificates  on|off (default on)
  cipher                   aes-cbc|aes-gcm|auto (default auto)
  revocation               best-effort|required (default best-effort; global only)
  signature-hash           sha256|sha384|sha512 (default sha256)";

/// Runs a `settings` subcommand.
pub fn run(ctx: &Ctx, cmd: SettingsCmd) -> CliResult<Outcome> {
    match cmd {
        SettingsCmd::Set { scope, key, values } => set(ctx, &scope, &key, &values),
        SettingsCmd::Unset { scope, key } => unset(ctx, &scope, &key),
        SettingsCmd::Show { scope, key } => show(ctx, &scope, key.as_deref()),
    }
}

fn scope_of(args: &ScopeArgs) -> CliResult<SettingScope> {
    match (&args.user, &args.domain) {
        (Some(u), _) => SettingScope::user(u).map_err(|e| {
            CliError::from(e).hint("--user takes an email address, such as alice@example.com")
        }),
        (None, Some(d)) => SettingScope::domain(d).map_err(|e| {
            CliError::from(e).hint("--domain takes a domain name, such as example.com")
        }),
        (None, None) => Ok(SettingScope::Global),
    }
}

fn key_of(key: &str) -> CliResult<SettingKey> {
    key.parse().map_err(|e| {
        CliError::from(e).hint("`hermes-pki settings show` lists the settings with their values")
    })
}

fn scope_json(scope: &SettingScope) -> Value {
    json!({ "level": scope.level(), "name": scope.name() })
}

pub(crate) fn value_json(v: &SettingValue) -> Value {
    match v.as_thumbprints() {
        Some(list) => Value::Array(list.iter().map(|t| Value::String(t.to_hex())).collect()),
        None => Value::String(v.to_string()),
    }
}

/// A value for a person: thumbprints shortened.
pub(crate) fn value_human(v: &SettingValue) -> String {
    match v.as_thumbprints() {
        Some([]) => "none".into(),
        Some(list) => list.iter().map(short).collect::<Vec<_>>().join(", "),
        None => v.to_string(),
    }
}

/// Where a value stored at `source` lives, for a lookup for `scope`: "user alice@...",
/// "domain example.com", "global" or "default".
pub(crate) fn level_name(scope: &SettingScope, source: Source) -> String {
    match (source, scope) {
        (Source::User, SettingScope::User(u)) => format!("user {u}"),
        (Source::Domain, SettingScope::User(u)) => format!("domain {}", u.domain()),
        (Source::Domain, SettingScope::Domain(d)) => format!("domain {d}"),
        (other, _) => other.as_str().to_string(),
    }
}

/// The thumbprints an operator means: each word a thumbprint, a unique prefix, or the email
/// address of one stored certificate. Words may also be separated by commas.
fn resolve_thumbprints(store: &AnyStore, values: &[String]) -> CliResult<Vec<Thumbprint>> {
    let mut out: Vec<Thumbprint> = Vec::new();
    let words = values
        .iter()
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|w| !w.is_empty());
    for word in words {
        let t = match word.parse::<Thumbprint>() {
            Ok(t) => t,
            Err(_) => *resolve_certificate(store, word)?.thumbprint(),
        };
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.is_empty() {
        return Err(
            CliError::new("additional-certificates needs at least one certificate")
                .hint("to clear the list, use `hermes-pki settings unset additional-certificates`"),
        );
    }
    Ok(out)
}

fn set(ctx: &Ctx, scope: &ScopeArgs, key: &str, values: &[String]) -> CliResult<Outcome> {
    let scope = scope_of(scope)?;
    let key = key_of(key)?;
    // Everything that needs no store is checked before the store is opened.
    let parsed = if key.is_list() {
        None
    } else {
        let [value] = values else {
            return Err(CliError::new(format!(
                "{key} takes one value ({}), not {}",
                key.allowed(),
                values.len()
            )));
        };
        Some(key.parse(value)?)
    };
    let store = ctx.create()?;
    let value = match parsed {
        Some(v) => v,
        None => SettingValue::Thumbprints(resolve_thumbprints(&store, values)?),
    };
    Settings::new(&store).set(&scope, key, &value)?;
    let human = format!(
        "{key} = {} for {}\n",
        value_human(&value),
        level_name(&scope, Source::of(&scope))
    );
    Ok(Outcome::new(
        human,
        json!({ "scope": scope_json(&scope), "key": key.as_str(), "value": value_json(&value) }),
    ))
}

fn unset(ctx: &Ctx, scope: &ScopeArgs, key: &str) -> CliResult<Outcome> {
    let scope = scope_of(scope)?;
    let key = key_of(key)?;
    let store = ctx.open()?;
    let settings = Settings::new(&store);
    let removed = settings.unset(&scope, key)?;
    let now = settings.effective(&scope, key)?;
    let here = level_name(&scope, Source::of(&scope));
    let human = if removed {
        format!(
            "unset {key} for {here}; it is now {} (from {})\n",
            value_human(&now.value),
            level_name(&scope, now.source)
        )
    } else {
        format!("{key} was not set for {here}; nothing changed\n")
    };
    Ok(Outcome::new(
        human,
        json!({
            "scope": scope_json(&scope),
            "key": key.as_str(),
            "removed": removed,
            "effective": effective_json(&scope, &now),
        }),
    ))
}

pub(crate) fn effective_json(scope: &SettingScope, e: &Effective) -> Value {
    let levels: Vec<Value> = e
        .levels
        .iter()
        .map(|(source, v)| {
            json!({
                "source": source.as_str(),
                "scope": level_name(scope, *source),
                "value": value_json(v),
            })
        })
        .collect();
    json!({
        "key": e.key.as_str(),
        "value": value_json(&e.value),
        "source": e.source.as_str(),
        "levels": levels,
        "default": value_json(&e.key.default_value()),
        "global_only": e.key.is_global_only(),
        "description": e.key.description(),
    })
}

fn show(ctx: &Ctx, scope: &ScopeArgs, key: Option<&str>) -> CliResult<Outcome> {
    let scope = scope_of(scope)?;
    let key = key.map(key_of).transpose()?;
    let store = ctx.open()?;
    let (stored, effective) = store.read_transaction(|tx| {
        let stored = match &scope {
            SettingScope::Global => true,
            SettingScope::Domain(d) => tx.has_domain(d)?,
            SettingScope::User(u) => tx.has_user(u)?,
        };
        let effective = match key {
            Some(k) => vec![hermes_pki::settings::effective(tx, &scope, k)?],
            None => hermes_pki::settings::show(tx, &scope)?,
        };
        Ok((stored, effective))
    })?;
    let mut human = String::new();
    let _ = write!(
        human,
        "settings for {}",
        level_name(&scope, Source::of(&scope))
    );
    if !stored {
        let _ = write!(
            human,
            " (not in the store: {} settings apply)",
            match scope {
                SettingScope::User(_) => "its domain's and the global",
                _ => "the global",
            }
        );
    }
    human.push('\n');
    match (key, effective.as_slice()) {
        (Some(_), [e]) => {
            let _ = writeln!(
                human,
                "{} = {}  (from {})",
                e.key,
                value_human(&e.value),
                level_name(&scope, e.source)
            );
            for (i, (source, v)) in e.levels.iter().enumerate() {
                let note = if i > 0 && !e.key.is_list() {
                    "  (overridden)"
                } else {
                    ""
                };
                let _ = writeln!(
                    human,
                    "  {}: {}{note}",
                    level_name(&scope, *source),
                    value_human(v)
                );
            }
            let _ = writeln!(human, "  default: {}", value_human(&e.key.default_value()));
            let _ = writeln!(
                human,
                "  values: {}{}",
                e.key.allowed(),
                if e.key.is_global_only() {
                    " (global only)"
                } else {
                    ""
                }
            );
            let _ = writeln!(human, "  {}", e.key.description());
        }
        _ => {
            for e in &effective {
                let from = if e.key.is_list() && e.levels.len() > 1 {
                    e.levels
                        .iter()
                        .map(|(s, _)| level_name(&scope, *s))
                        .collect::<Vec<_>>()
                        .join(" + ")
                } else {
                    level_name(&scope, e.source)
                };
                let _ = writeln!(
                    human,
                    "  {:<24} {:<14} {from}",
                    e.key.as_str(),
                    value_human(&e.value)
                );
            }
        }
    }
    let items: Vec<Value> = effective
        .iter()
        .map(|e| effective_json(&scope, e))
        .collect();
    Ok(Outcome::new(
        human,
        json!({ "scope": scope_json(&scope), "stored": stored, "settings": items }),
    ))
}
