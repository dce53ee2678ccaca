//! `hermes-pki smime protect`: the gateway's outbound operation ([`Pki::protect`]) on a file.
//!
//! The sender's and each recipient's settings decide: signed or not, encrypted to whom, with
//! which cipher. When the recipients differ in what they get, there is one message per group:
//! `OUT` holds the first group's (the encrypted ones come first), `OUT.2`, `OUT.3`... the
//! others; the summary (and `--json`) says which recipients get which file and why. IN is read
//! as the message is made and each file written as its message is produced
//! ([`Pki::protect_to`]): a file is created at its first byte, and when the command fails every
//! file it created is removed. `OUT` may be `-` (stdout) only when there is one message. A
//! recipient whose `encrypt` is `required` and who has no usable certificate makes the whole
//! command fail, naming the recipient, and nothing is written.

use std::path::PathBuf;
use std::time::SystemTime;

use clap::Args;
use serde_json::{Value, json};

use hermes_pki::pki::{MessageGroup, Pki, ProtectOptions, ProtectReport, ProtectSink, Signing};
use hermes_pki::smime::{ContentCipher, SignatureForm};
use hermes_pki::store::AnyStore;

use crate::common::{CliError, CliResult, Dest, parse_rfc3339, short};
use crate::gateway_io::{OutFile, open_input};
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
    let input = open_input(&args.input)?;
    let to: Vec<&str> = args.to.iter().map(|s| s.trim()).collect();
    let pki = Pki::new(store);
    let options = ProtectOptions::new(at).form(form);

    if Dest::from_arg(Some(&args.output)) == Dest::Stdout {
        // stdout gets the product once it is complete, as every command's.
        let mut messages = Vec::new();
        let r = pki.protect_to(input, &args.from, &to, &options, Collect(&mut messages))?;
        if messages.len() > 1 {
            return Err(CliError::new(format!(
                "the recipients get {} different messages; they cannot all go to stdout",
                messages.len()
            ))
            .hint("give a file name as OUT: the messages go to OUT, OUT.2, ..."));
        }
        let (_, json) = describe(&r, &args.output, true);
        let bytes = messages.into_iter().next().unwrap_or_default();
        return Ok(Outcome::new(String::new(), json).raw(bytes));
    }
    // Every group's message goes to a temporary file; they replace OUT, OUT.2, ... only once
    // all are complete and every target checked, so a failure leaves all of them as they were.
    let mut done = Vec::new();
    let r = pki.protect_to(
        input,
        &args.from,
        &to,
        &options,
        Files {
            out: &args.output,
            done: &mut done,
        },
    )?;
    for file in &done {
        file.check_target()?;
    }
    for file in done {
        file.commit()?;
    }
    let (human, json) = describe(&r, &args.output, false);
    Ok(Outcome::new(human, json))
}

/// Each group's message in a `Vec` (for stdout).
struct Collect<'a>(&'a mut Vec<Vec<u8>>);

impl ProtectSink for Collect<'_> {
    type Writer = Vec<u8>;
    fn start(&mut self, _: &MessageGroup) -> hermes_pki::Result<Vec<u8>> {
        Ok(Vec::new())
    }
    fn finish(&mut self, _: &MessageGroup, writer: Vec<u8>) -> hermes_pki::Result<()> {
        self.0.push(writer);
        Ok(())
    }
}

/// Each group's message to its file (OUT, OUT.2, ...), through a temporary file beside it;
/// the complete ones are kept in `done` until every group is written.
struct Files<'a> {
    out: &'a str,
    done: &'a mut Vec<OutFile>,
}

impl ProtectSink for Files<'_> {
    type Writer = OutFile;
    fn start(&mut self, group: &MessageGroup) -> hermes_pki::Result<OutFile> {
        Ok(OutFile::new(path_of(self.out, group.index)))
    }
    fn finish(&mut self, _: &MessageGroup, file: OutFile) -> hermes_pki::Result<()> {
        self.done.push(file);
        Ok(())
    }
}

/// The human summary and the JSON document.
fn describe(p: &ProtectReport, out: &str, stdout: bool) -> (String, Value) {
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
    for (i, m) in p.groups.iter().enumerate() {
        let bytes = p.written.get(i).copied().unwrap_or(0);
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
            "{file}: {what}, {bytes} bytes, for {}\n",
            to.join(", ")
        ));
        messages.push(json!({
            "file": file,
            "bytes": bytes,
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
