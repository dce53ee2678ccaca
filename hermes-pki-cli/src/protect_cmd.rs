//! `hermes-pki smime protect`: the gateway's outbound operation ([`Pki::protect`]) on a file.
//!
//! The sender's and each recipient's settings decide: signed or not, encrypted to whom, with
//! which cipher. When the recipients differ in what they get, there is one message per group:
//! `OUT` holds the first group's (the encrypted ones come first), `OUT.2`, `OUT.3`... the
//! others; the summary (and `--json`) says which recipients get which file and why. Every file
//! is checked writable before any is written. `OUT` may be `-` (stdout) only when there is
//! one message. A recipient whose `encrypt` is `required` and who has no usable certificate
//! makes the whole command fail, naming the recipient, and nothing is written.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use serde_json::{Value, json};

use hermes_pki::pki::{Pki, ProtectOptions, Protected, Signing};
use hermes_pki::smime::{ContentCipher, SignatureForm};
use hermes_pki::store::AnyStore;

use crate::common::{CliError, CliResult, Dest, OutputFile, parse_rfc3339, read_input, short};
use crate::output::Outcome;

/// `smime protect` arguments.
#[derive(Debug, Args)]
pub struct ProtectArgs {
    /// The sender's address (its settings decide signing; its signing certificate signs)
    #[arg(long, value_name = "ADDRESS")]
    pub from: String,
    /// The recipients: addresses, comma-separated or the option repeated
    #[arg(long, value_name = "ADDRESS", value_delimiter = ',', required = true)]
    pub to: Vec<String>,
    /// An opaque signature (application/pkcs7-mime) instead of a clear signature
    #[arg(long)]
    pub opaque: bool,
    /// Select and validate certificates, and sign, as of this time (RFC 3339; default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The message (`-` for stdin)
    #[arg(value_name = "IN")]
    pub input: String,
    /// Where the first group's message goes (`-`: stdout, one group only); the other groups'
    /// go to OUT.2, OUT.3, ...
    #[arg(value_name = "OUT")]
    pub output: String,
}

fn cipher_name(c: ContentCipher) -> &'static str {
    match c {
        ContentCipher::Aes128Cbc => "aes-128-cbc",
        ContentCipher::Aes256Cbc => "aes-256-cbc",
        ContentCipher::Aes128Gcm => "aes-128-gcm",
        ContentCipher::Aes256Gcm => "aes-256-gcm",
        _ => "other",
    }
}

/// The file of the message at `index`: OUT, OUT.2, OUT.3...
fn path_of(out: &str, index: usize) -> PathBuf {
    if index == 0 {
        PathBuf::from(out)
    } else {
        PathBuf::from(format!("{out}.{}", index + 1))
    }
}

/// Runs `smime protect` over `store`.
pub fn run_protect(store: AnyStore, args: ProtectArgs) -> CliResult<Outcome> {
    let at = match &args.at {
        Some(t) => parse_rfc3339(t)?,
        None => SystemTime::now(),
    };
    let form = if args.opaque {
        SignatureForm::Opaque
    } else {
        SignatureForm::Detached
    };
    let input = read_input(&args.input)?;
    let to: Vec<&str> = args.to.iter().map(|s| s.trim()).collect();
    let pki = Pki::new(store);
    let p = pki.protect(
        &input.bytes,
        &args.from,
        &to,
        &ProtectOptions::new(at).form(form),
    )?;

    let stdout = Dest::from_arg(Some(&args.output)) == Dest::Stdout;
    if stdout && p.messages.len() > 1 {
        return Err(CliError::new(format!(
            "the recipients get {} different messages; they cannot all go to stdout",
            p.messages.len()
        ))
        .hint("give a file name as OUT: the messages go to OUT, OUT.2, ..."));
    }
    let (human, json) = describe(&p, &args.output, stdout);
    if stdout {
        let bytes = p
            .messages
            .first()
            .map(|m| m.message.clone())
            .unwrap_or_default();
        return Ok(Outcome::new(String::new(), json).raw(bytes));
    }
    // Every file is checked writable before any is written.
    let reserved = (0..p.messages.len())
        .map(|i| OutputFile::reserve(&path_of(&args.output, i), false))
        .collect::<CliResult<Vec<_>>>()?;
    for (file, m) in reserved.into_iter().zip(&p.messages) {
        file.write(&m.message, false)?;
    }
    Ok(Outcome::new(human, json))
}

/// The human summary and the JSON document.
fn describe(p: &Protected, out: &str, stdout: bool) -> (String, Value) {
    let mut human = String::new();
    let signing = match &p.signing {
        Signing::Signed { certificate, why } => {
            human.push_str(&format!(
                "signed by {} ({}, {why})\n",
                certificate.subject(),
                short(certificate.thumbprint())
            ));
            json!({"signed": true, "certificate": certificate.thumbprint().to_hex(),
                   "subject": certificate.subject().to_string(), "why": why.as_str()})
        }
        Signing::NotSigned(why) => {
            human.push_str(&format!("not signed: {why}\n"));
            json!({"signed": false, "why": why.to_string()})
        }
    };
    let mut messages = Vec::new();
    for (i, m) in p.messages.iter().enumerate() {
        let file = if stdout {
            "-".to_string()
        } else {
            path_of(out, i).display().to_string()
        };
        let what = match (m.cipher, m.signed) {
            (Some(c), true) => format!("signed and encrypted ({})", cipher_name(c)),
            (Some(c), false) => format!("encrypted ({})", cipher_name(c)),
            (None, true) => "signed, not encrypted".to_string(),
            (None, false) => "neither signed nor encrypted".to_string(),
        };
        let to: Vec<&str> = m.recipients.iter().map(|r| r.as_str()).collect();
        human.push_str(&format!(
            "{file}: {what}, {} bytes, for {}\n",
            m.message.len(),
            to.join(", ")
        ));
        messages.push(json!({
            "file": file,
            "bytes": m.message.len(),
            "signed": m.signed,
            "encrypted": m.cipher.is_some(),
            "cipher": m.cipher.map(cipher_name),
            "encrypted_to": m.encrypted_to.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
            "recipients": to,
        }));
    }
    let mut recipients = Vec::new();
    for r in &p.recipients {
        let certs: Vec<String> = r
            .certificates
            .iter()
            .map(|(t, why)| format!("{} ({why})", short(t)))
            .collect();
        let line = match &r.why_not {
            None => format!("encrypted to {}", certs.join(", ")),
            Some(why) => format!("not encrypted: {why}"),
        };
        human.push_str(&format!("  {}: {line}\n", r.recipient));
        for l in &r.left_out {
            human.push_str(&format!(
                "    left out {} ({}): {}\n",
                short(&l.thumbprint),
                l.why,
                l.exclusion
            ));
        }
        recipients.push(json!({
            "recipient": r.recipient.as_str(),
            "encrypt": r.policy.0.as_str(),
            "encrypt_source": r.policy.1.as_str(),
            "encrypted": r.encrypted,
            "why_not": r.why_not.as_ref().map(ToString::to_string),
            "certificates": r.certificates.iter().map(|(t, why)| json!({
                "thumbprint": t.to_hex(), "why": why.to_string()})).collect::<Vec<_>>(),
            "left_out": r.left_out.iter().map(|l| json!({
                "thumbprint": l.thumbprint.to_hex(), "why": l.why.to_string(),
                "exclusion": l.exclusion.to_string()})).collect::<Vec<_>>(),
            "file": messages.get(r.message).map(|m| m["file"].clone()),
        }));
    }
    (
        human,
        json!({"signing": signing, "messages": messages, "recipients": recipients}),
    )
}
