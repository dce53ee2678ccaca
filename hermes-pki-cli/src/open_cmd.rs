//! `hermes-pki smime open IN OUT`: the gateway's inbound operation ([`Pki::open_message`]) on
//! a file: decrypt with any stored key, verify every signature layer, check each signer
//! against From/Sender, store signer certificates when `add-signer-certificates` is on.
//!
//! Exit codes: 0 processed and every layer valid (an encrypted, unsigned message counts: its
//! one layer decrypted; the JSON says `"signed": false`); 3 processed with a verdict that is
//! not valid; 4 not S/MIME; 5 S/MIME but unreadable here (no key, damaged). With 4 and 5 the
//! message is written to OUT as it came (with `--headers`, incoming `X-Hermes-*` fields
//! removed), so a pipeline can pass it on; 1 is a failure (nothing written).
//!
//! IN is read as it comes ([`Pki::open_from`]); a file OUT is created when the answer is known
//! and written then (removed again if writing fails).

use std::time::SystemTime;

use clap::Args;
use serde_json::{Value, json};

use hermes_pki::cert::Certificate;
use hermes_pki::pki::{
    Layer, NotValidReason, OpenOptions, OpenReport, OpenedSummary, Pki, SignerOutcome, SignerStatus,
};
use hermes_pki::store::AnyStore;

use crate::common::{CliResult, Dest, EXIT_INVALID, EXIT_OK, parse_rfc3339, short};
use crate::gateway_io::{OutFile, open_input};
use crate::output::Outcome;

/// Exit code: the message is not S/MIME.
pub const EXIT_NOT_SMIME: u8 = 4;
/// Exit code: S/MIME, but it cannot be read here.
pub const EXIT_UNREADABLE: u8 = 5;

/// `smime open` arguments.
#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The inbound message (`-` for stdin)
    #[arg(value_name = "IN")]
    pub input: String,
    /// Where to write the opened message (`-` for stdout)
    #[arg(value_name = "OUT")]
    pub output: String,
    /// Validate the signer certificates as of this time (RFC 3339; default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Add X-Hermes-Encrypted / X-Hermes-Signature fields to the opened message for the mail
    /// client (incoming X-Hermes-* fields are removed first)
    #[arg(long)]
    pub headers: bool,
}

/// Runs `smime open` over `store`.
pub fn run_open(store: AnyStore, args: OpenArgs) -> CliResult<Outcome> {
    let at = match &args.at {
        Some(t) => parse_rfc3339(t)?,
        None => SystemTime::now(),
    };
    let input = open_input(&args.input)?;
    let pki = Pki::new(store);
    let options = OpenOptions::new(at).informational_headers(args.headers);
    match Dest::from_arg(Some(&args.output)) {
        Dest::File(path) => {
            // On failure the temporary file is dropped (removed) and OUT is left as it was.
            let mut out = OutFile::new(path.clone());
            let report = pki.open_from(input, &options, &mut out)?;
            let bytes = out.commit()?;
            let (code, mut doc, human) = verdict(&report);
            doc["written"] = path.display().to_string().into();
            doc["bytes"] = bytes.into();
            let human = format!("{human}wrote {bytes} bytes to {}\n", path.display());
            Ok(Outcome::new(human, doc).code(code))
        }
        Dest::Stdout => {
            let mut bytes = Vec::new();
            let report = pki.open_from(input, &options, &mut bytes)?;
            let (code, mut doc, human) = verdict(&report);
            doc["bytes"] = bytes.len().into();
            // The message takes stdout; the verdict goes to stderr (never fails).
            let _ = std::io::Write::write_all(&mut std::io::stderr(), human.as_bytes());
            Ok(Outcome::new(String::new(), doc).raw(bytes).code(code))
        }
    }
}

/// The exit code, the JSON document and the human verdict of an answer.
fn verdict(report: &OpenReport) -> (u8, Value, String) {
    match report {
        OpenReport::NotSmime { .. } => (
            EXIT_NOT_SMIME,
            json!({"outcome": "not-smime"}),
            "not S/MIME: the message is passed on as it came\n".to_string(),
        ),
        OpenReport::Unreadable { reason, layers, .. } => (
            EXIT_UNREADABLE,
            json!({
                "outcome": "unreadable",
                "reason": reason.as_str(),
                "detail": reason.to_string(),
                "layers": layers.iter().map(layer_json).collect::<Vec<_>>(),
            }),
            format!("UNREADABLE: {reason}; the message is passed on as it came\n"),
        ),
        OpenReport::Processed(m) => {
            let code = if m.is_valid() { EXIT_OK } else { EXIT_INVALID };
            (code, processed_json(m), processed_human(m))
        }
    }
}

fn who(c: Option<&Certificate>) -> Value {
    match c {
        Some(c) => json!({
            "subject": c.subject().to_string(),
            "emails": c.emails(),
            "thumbprint": c.thumbprint().to_hex(),
        }),
        None => Value::Null,
    }
}

fn reason_json(r: &NotValidReason) -> Value {
    json!({"code": r.as_str(), "detail": r.to_string()})
}

fn signer_json(s: &SignerOutcome) -> Value {
    let reasons: Vec<Value> = match &s.verdict {
        SignerStatus::Valid => Vec::new(),
        SignerStatus::NotValid(r) => r.iter().map(reason_json).collect(),
    };
    json!({
        "certificate": who(s.certificate.as_ref()),
        "valid": s.is_valid(),
        "reasons": reasons,
        "stored": s.stored.iter().map(|t| t.to_hex()).collect::<Vec<_>>(),
    })
}

fn layer_json(l: &Layer) -> Value {
    match l {
        Layer::Encrypted(e) => json!({
            "type": "encrypted",
            "valid": true,
            "cipher": e.cipher,
            "authenticated": e.authenticated,
            "recipient": who(e.recipient_certificate.as_ref()),
            "weak": e.weak.iter().map(ToString::to_string).collect::<Vec<_>>(),
        }),
        Layer::Signed(s) => json!({
            "type": "signed",
            "valid": s.is_valid(),
            "form": format!("{:?}", s.form).to_lowercase(),
            "signers": s.signers.iter().map(signer_json).collect::<Vec<_>>(),
        }),
    }
}

fn processed_json(m: &OpenedSummary) -> Value {
    json!({
        "outcome": "processed",
        "valid": m.is_valid(),
        "signed": m.is_signed(),
        "encrypted": m.is_encrypted(),
        "senders": m.senders,
        "layers": m.layers.iter().map(layer_json).collect::<Vec<_>>(),
    })
}

fn processed_human(m: &OpenedSummary) -> String {
    let mut out = String::new();
    for l in &m.layers {
        match l {
            Layer::Encrypted(e) => {
                let to = e
                    .recipient_certificate
                    .as_ref()
                    .map_or_else(|| "a stored key".to_string(), |c| c.subject().to_string());
                out.push_str(&format!("encrypted ({}): decrypted for {to}\n", e.cipher));
            }
            Layer::Signed(s) => {
                for signer in &s.signers {
                    let name = signer.certificate.as_ref().map_or_else(
                        || "unknown signer".to_string(),
                        |c| format!("{} [{}]", c.subject(), short(c.thumbprint())),
                    );
                    match &signer.verdict {
                        SignerStatus::Valid => out.push_str(&format!("signed: VALID: {name}\n")),
                        SignerStatus::NotValid(reasons) => {
                            out.push_str(&format!("signed: NOT VALID: {name}\n"));
                            for r in reasons {
                                out.push_str(&format!("  - {r}\n"));
                            }
                        }
                    }
                    if !signer.stored.is_empty() {
                        out.push_str(&format!(
                            "  stored {} certificate(s) (add-signer-certificates)\n",
                            signer.stored.len()
                        ));
                    }
                }
            }
        }
    }
    if !m.is_signed() {
        out.push_str("not signed\n");
    }
    out
}
