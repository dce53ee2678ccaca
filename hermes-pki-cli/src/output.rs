//! Printing: a command's result is an [`Outcome`] with a human summary and a JSON document;
//! `--json` picks the document. Also the JSON shapes of certificates, CAs and CRLs, warnings on
//! stderr, and progress bars (on a terminal only).

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::time::SystemTime;

use hermes_pki::cert::Certificate;
use hermes_pki::store::{CaRecord, CrlRecord, CrlStatus};
use hermes_pki::time::to_rfc3339;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{Value, json};

use crate::common::{EXIT_OK, short};

/// What a command produced.
#[derive(Debug)]
pub struct Outcome {
    /// The summary for a person (printed as is; ends with a newline when not empty).
    pub human: String,
    /// Bytes printed instead of `human` when not in JSON mode (a DER file on stdout).
    pub raw: Option<Vec<u8>>,
    /// The document printed with `--json`.
    pub json: Value,
    /// The exit code (0, or 3 for "not valid").
    pub code: u8,
}

impl Outcome {
    /// A successful outcome.
    pub fn new(human: String, json: Value) -> Self {
        Outcome {
            human,
            raw: None,
            json,
            code: EXIT_OK,
        }
    }

    /// Sets the exit code.
    pub fn code(mut self, code: u8) -> Self {
        self.code = code;
        self
    }

    /// Sets bytes to print instead of the human summary.
    pub fn raw(mut self, bytes: Vec<u8>) -> Self {
        self.raw = Some(bytes);
        self
    }
}

/// Prints an outcome on stdout. A closed stdout (`| head`) is not an error worth reporting.
pub fn emit(outcome: &Outcome, json: bool) -> std::io::Result<()> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        serde_json::to_writer_pretty(&mut out, &outcome.json)?;
        out.write_all(b"\n")?;
    } else if let Some(raw) = &outcome.raw {
        out.write_all(raw)?;
    } else {
        out.write_all(outcome.human.as_bytes())?;
    }
    out.flush()
}

/// Prints an error on stderr (never fails), for a command that still prints its outcome.
pub fn report_error(message: &str) {
    let _ = writeln!(std::io::stderr(), "error: {message}");
}

/// Prints a warning on stderr (never fails).
pub fn warn(message: impl std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "warning: {message}");
}

/// A progress bar of `len` steps on stderr when stderr is a terminal, else a hidden one.
pub fn progress(len: u64, what: &str) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    let style = ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {wide_msg}")
        .map(|s| s.progress_chars("=> "))
        .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar
}

/// `yes` / `no`.
pub fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// RFC 3339, UTC.
pub fn time(t: SystemTime) -> String {
    to_rfc3339(t)
}

/// The JSON of a certificate. `has_key`: whether its private key is stored, when known.
pub fn cert_json(cert: &Certificate, has_key: Option<bool>) -> Value {
    let mut v = json!({
        "thumbprint": cert.thumbprint().to_hex(),
        "sha256": cert.sha256().to_hex(),
        "subject": cert.subject(),
        "issuer": cert.issuer(),
        "serial": cert.serial().to_string(),
        "not_before": time(cert.not_before()),
        "not_after": time(cert.not_after()),
        "emails": cert.emails(),
        "key_algorithm": cert.key_algorithm().to_string(),
        "is_ca": cert.is_ca(),
        "self_signed": cert.is_self_signed(),
        "smime_signing": cert.usable_for_signing().is_ok(),
        "smime_encryption": cert.usable_for_encryption().is_ok(),
        "crl_distribution_points": cert.crl_distribution_points(),
    });
    if let (Some(k), Some(obj)) = (has_key, v.as_object_mut()) {
        obj.insert("has_key".into(), Value::Bool(k));
    }
    v
}

/// One line of a certificate listing.
pub fn cert_line(cert: &Certificate, has_key: bool, now: SystemTime) -> String {
    let emails = if cert.emails().is_empty() {
        "-".to_string()
    } else {
        cert.emails().join(",")
    };
    format!(
        "{}  {}  {}  until {}{}{}",
        short(cert.thumbprint()),
        emails,
        cert.subject(),
        time(cert.not_after()),
        if cert.not_after() < now {
            " (expired)"
        } else {
            ""
        },
        if has_key { "  [key]" } else { "" }
    )
}

/// The full human description of a certificate (as the `inspect` example prints it).
pub fn cert_details(cert: &Certificate, has_key: Option<bool>, now: SystemTime) -> String {
    let mut s = String::new();
    let usage = |r: Result<(), hermes_pki::cert::UsageError>| match r {
        Ok(()) => "yes".to_string(),
        Err(e) => format!("no ({e})"),
    };
    let _ = writeln!(s, "subject      {}", cert.subject());
    let _ = writeln!(s, "issuer       {}", cert.issuer());
    let _ = writeln!(s, "serial       {}", cert.serial());
    let _ = writeln!(
        s,
        "validity     {} .. {}{}",
        time(cert.not_before()),
        time(cert.not_after()),
        if cert.is_valid_at(now) {
            ""
        } else {
            "  (not valid now)"
        }
    );
    let _ = writeln!(s, "key          {}", cert.key_algorithm());
    if let Some(k) = has_key {
        let _ = writeln!(s, "private key  {}", if k { "in the store" } else { "no" });
    }
    if cert.emails().is_empty() {
        let _ = writeln!(s, "emails       (none)");
    } else {
        let _ = writeln!(s, "emails       {}", cert.emails().join(", "));
    }
    let _ = writeln!(
        s,
        "CA           {}   self-signed {}",
        yes_no(cert.is_ca()),
        yes_no(cert.is_self_signed())
    );
    let _ = writeln!(s, "S/MIME sign  {}", usage(cert.usable_for_signing()));
    let _ = writeln!(s, "S/MIME enc.  {}", usage(cert.usable_for_encryption()));
    for dp in cert.crl_distribution_points() {
        let _ = writeln!(s, "CRL DP       {dp}");
    }
    let _ = writeln!(s, "SHA-256      {}", cert.sha256());
    let _ = writeln!(s, "SHA-512      {}", cert.thumbprint());
    s
}

/// The JSON of a CA, with its current certificate when known.
pub fn ca_json(ca: &CaRecord, cert: Option<&Certificate>) -> Value {
    let mut v = json!({
        "id": ca.id.get(),
        "name": ca.name,
        "default": ca.is_default,
        "imported": ca.imported,
        "parent": ca.parent.map(|p| p.get()),
        "created": time(ca.created),
        "certificate": ca.certificate.to_hex(),
    });
    if let (Some(c), Some(obj)) = (cert, v.as_object_mut()) {
        obj.insert("subject".into(), c.subject().into());
        obj.insert("serial".into(), c.serial().to_string().into());
        obj.insert("not_before".into(), time(c.not_before()).into());
        obj.insert("not_after".into(), time(c.not_after()).into());
        obj.insert("key_algorithm".into(), c.key_algorithm().to_string().into());
    }
    v
}

/// One line of a CA listing.
pub fn ca_line(ca: &CaRecord, cert: Option<&Certificate>) -> String {
    let mut s = format!("{:>3}  {}", ca.id, ca.name);
    if let Some(c) = cert {
        let _ = write!(
            s,
            "  ({}, until {})",
            c.key_algorithm(),
            time(c.not_after())
        );
    }
    if let Some(p) = ca.parent {
        let _ = write!(s, "  under CA {p}");
    }
    if ca.imported {
        s.push_str("  imported");
    }
    if ca.is_default {
        s.push_str("  [default]");
    }
    s
}

/// A CRL number as hex (the big-endian magnitude).
pub fn crl_number(n: Option<&[u8]>) -> Option<String> {
    n.map(|b| hermes_pki::cert::Serial::from_bytes(b).to_string())
}

/// The JSON of a stored CRL.
pub fn crl_json(r: &CrlRecord) -> Value {
    let (status, reason) = match &r.status {
        _ if hermes_pki::crl::is_pending(r) => ("pending", None),
        CrlStatus::Valid => ("valid", None),
        CrlStatus::Invalid(why) => ("invalid", Some(why.clone())),
    };
    json!({
        "id": r.id.get(),
        "issuer": r.issuer,
        "number": crl_number(r.number.as_deref()),
        "delta": r.delta_base.is_some(),
        "this_update": time(r.this_update),
        "next_update": r.next_update.map(time),
        "status": status,
        "invalid_reason": reason,
        "entries": r.entries,
        "source": r.source,
        "stored_at": time(r.stored_at),
    })
}

/// One line of a CRL listing.
pub fn crl_line(r: &CrlRecord) -> String {
    let mut s = format!(
        "{:>3}  {}  number {}  {} entries  this update {}",
        r.id,
        r.issuer,
        crl_number(r.number.as_deref()).unwrap_or_else(|| "-".into()),
        r.entries,
        time(r.this_update)
    );
    if let Some(n) = r.next_update {
        let _ = write!(s, "  next update {}", time(n));
    }
    if r.delta_base.is_some() {
        s.push_str("  (delta)");
    }
    match &r.status {
        _ if hermes_pki::crl::is_pending(r) => {
            s.push_str("  pending (its issuer was unknown; checked against it when used)")
        }
        CrlStatus::Valid => s.push_str("  valid"),
        CrlStatus::Invalid(why) => {
            let _ = write!(s, "  INVALID (not used): {why}");
        }
    }
    if let Some(src) = &r.source {
        let _ = write!(s, "  from {src}");
    }
    s
}
