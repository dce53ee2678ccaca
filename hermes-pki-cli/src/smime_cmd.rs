//! `hermes-pki smime ...` and `hermes-pki cms ...`: signing, encrypting, decrypting and
//! verifying mail (S/MIME) and raw CMS.
//!
//! Keys come from the store; signer certificates are validated by the trust engine over the
//! store (anchors, trust list, CRLs); signers and recipients named by email address are
//! chosen by [`hermes_pki::select`] (manual choices, auto-select, additional certificates).

use std::time::SystemTime;

use clap::{Args, Subcommand};
use serde_json::{Value, json};

use hermes_pki::cert::{Certificate, load_certificates};
use hermes_pki::key::KeyTransport;
use hermes_pki::select;
use hermes_pki::smime::{
    self, ContentCipher, DecryptOptions, SignOptions, SignatureForm, SignerReport, SignerVerdict,
    Smime, StoreKeys, VerifyOptions,
};
use hermes_pki::store::{AnyStore, EmailAddress, StoreExt};

use crate::common::{
    CliError, CliResult, Ctx, Dest, EXIT_INVALID, parse_rfc3339, read_input, resolve_certificate,
    short, write_file,
};
use crate::gateway_io::OutFile;
use crate::output::Outcome;

/// Input and output: files, `-` for stdin / stdout.
#[derive(Debug, Args)]
pub struct InOut {
    /// The input file (`-` for stdin)
    #[arg(value_name = "IN")]
    pub input: String,
    /// The output file (`-` for stdout)
    #[arg(value_name = "OUT")]
    pub output: String,
}

/// How a signature is judged: the validation time and extra certificates.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Validate the signer certificates as of this time (RFC 3339, e.g. 2026-01-31T12:00:00Z;
    /// default: now)
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Extra certificates for finding signers and building chains (PEM, DER or p7b); repeat
    /// for more files
    #[arg(long = "certs", value_name = "FILE")]
    pub certs: Vec<String>,
    /// Refuse signer chains that break an RFC 5280 section 4 profile rule (a CA without
    /// subjectKeyIdentifier, a non-critical basicConstraints, ...) instead of warning
    #[arg(long)]
    pub strict: bool,
}

impl VerifyArgs {
    /// The library's options: the time (now unless --at) and the certificates of every
    /// --certs file.
    fn options(&self, now: SystemTime) -> CliResult<VerifyOptions> {
        let at = match &self.at {
            Some(t) => parse_rfc3339(t)?,
            None => now,
        };
        let mut certificates = Vec::new();
        for file in &self.certs {
            let input = read_input(file)?;
            let loaded = load_certificates(&input.bytes);
            if loaded.certificates.is_empty() {
                let why = loaded
                    .problems
                    .first()
                    .map(|p| format!(": {}: {}", p.location, p.error))
                    .unwrap_or_default();
                return Err(CliError::new(format!(
                    "--certs {}: no certificate found{why}",
                    input.name
                ))
                .hint("give a certificate file (PEM, DER or p7b)"));
            }
            certificates.extend(loaded.certificates);
        }
        Ok(VerifyOptions::new(at)
            .certificates(certificates)
            .rfc5280_strict(self.strict))
    }
}

/// The recipients of an encryption and its algorithm choices.
#[derive(Debug, Args)]
pub struct EncryptOptions {
    /// A recipient: an email address (its valid encryption certificates) or a certificate id
    /// (thumbprint or 8+ hex digits of it); repeat for more
    #[arg(long = "to", value_name = "EMAIL|ID", required = true)]
    pub to: Vec<String>,
    /// AES-256-GCM (AuthEnvelopedData) instead of AES-256-CBC
    #[arg(long)]
    pub gcm: bool,
    /// RSA-OAEP (SHA-256) key transport instead of PKCS#1 v1.5
    #[arg(long)]
    pub oaep: bool,
}

/// `smime` subcommands.
#[derive(Debug, Subcommand)]
pub enum SmimeCmd {
    /// Sign a MIME message (clear-signed multipart/signed; --opaque for application/pkcs7-mime)
    Sign {
        /// The signer: an email address (its signing certificate with a stored key) or a
        /// certificate id
        #[arg(long, value_name = "EMAIL|ID")]
        signer: String,
        /// An opaque signature (the content inside the CMS) instead of a clear signature
        #[arg(long)]
        opaque: bool,
        #[command(flatten)]
        io: InOut,
    },
    /// Encrypt a MIME message to one or more recipients
    Encrypt {
        #[command(flatten)]
        options: EncryptOptions,
        #[command(flatten)]
        io: InOut,
    },
    /// Decrypt a MIME message with a private key of the store
    Decrypt {
        #[command(flatten)]
        io: InOut,
    },
    /// Verify a signed MIME message; with OUT, write the signed content there. Exit code 0:
    /// valid; 3: not valid (the reasons are printed)
    Verify {
        /// The signed message (`-` for stdin)
        #[arg(value_name = "IN")]
        input: String,
        /// Where to write the signed content (`-` for stdout)
        #[arg(value_name = "OUT")]
        output: Option<String>,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Sign, then encrypt a MIME message
    SignEncrypt {
        /// The signer: an email address or a certificate id
        #[arg(long, value_name = "EMAIL|ID")]
        signer: String,
        /// An opaque signature instead of a clear signature
        #[arg(long)]
        opaque: bool,
        #[command(flatten)]
        options: EncryptOptions,
        #[command(flatten)]
        io: InOut,
    },
    /// Decrypt, then verify a MIME message. Exit code 0: valid; 3: not valid
    DecryptVerify {
        #[command(flatten)]
        io: InOut,
    },
    /// Sign and/or encrypt a message as the sender's and recipients' settings say (one
    /// message per group of recipients: OUT, OUT.2, ...)
    Protect(crate::protect_cmd::ProtectArgs),
    /// Open an inbound message as a gateway does: decrypt, verify every layer, check each
    /// signer against From/Sender, store signer certificates when add-signer-certificates is
    /// on. Exit code 0: every layer valid; 3: not valid; 4: not S/MIME; 5: unreadable here
    Open(crate::open_cmd::OpenArgs),
}

/// `cms` subcommands: raw CMS (DER or PEM in, DER out), like `openssl cms`.
#[derive(Debug, Subcommand)]
pub enum CmsCmd {
    /// Sign data: SignedData with the content inside (or outside, with --detached)
    Sign {
        /// The signer: an email address or a certificate id
        #[arg(long, value_name = "EMAIL|ID")]
        signer: String,
        /// Leave the content out of the SignedData
        #[arg(long)]
        detached: bool,
        #[command(flatten)]
        io: InOut,
    },
    /// Verify a SignedData; with OUT, write the content there. Exit code 0: valid; 3: not valid
    Verify {
        /// The SignedData (DER or PEM; `-` for stdin)
        #[arg(value_name = "IN")]
        input: String,
        /// The content of a detached signature
        #[arg(long, value_name = "FILE")]
        content: Option<String>,
        /// Where to write the content (`-` for stdout)
        #[arg(value_name = "OUT")]
        output: Option<String>,
        #[command(flatten)]
        verify: VerifyArgs,
    },
    /// Encrypt data to one or more recipients (EnvelopedData, or AuthEnvelopedData with --gcm)
    Encrypt {
        #[command(flatten)]
        options: EncryptOptions,
        #[command(flatten)]
        io: InOut,
    },
    /// Decrypt an EnvelopedData / AuthEnvelopedData with a private key of the store
    Decrypt {
        #[command(flatten)]
        io: InOut,
    },
}

/// Runs an `smime` subcommand.
pub fn run_smime(ctx: &Ctx, cmd: SmimeCmd) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let smime = Smime::new(&store);
    let now = SystemTime::now();
    match cmd {
        SmimeCmd::Protect(args) => crate::protect_cmd::run_protect(store, args),
        SmimeCmd::Open(args) => crate::open_cmd::run_open(store, args),
        SmimeCmd::Sign { signer, opaque, io } => {
            let signer = resolve_signer(&store, &signer, now)?;
            let info = json!({"signer": signer.subject(), "form": form_name(opaque)});
            stream_out(&io, info, "signed", |input, output| {
                smime
                    .sign_to(input, output, &signer, form(opaque), &SignOptions::new(now))
                    .map(|_| Value::Null)
            })
        }
        SmimeCmd::Encrypt { options, io } => {
            let recipients = resolve_recipients(&store, &options.to, now)?;
            let opts = smime.choose_cipher(&recipients, &encrypt_options(&options))?;
            stream_out(
                &io,
                recipients_json(&recipients),
                "encrypted",
                |input, output| {
                    smime
                        .encrypt_to(input, output, &recipients, &opts)
                        .map(|_| Value::Null)
                },
            )
        }
        SmimeCmd::Decrypt { io } => {
            let options = decrypt_options(&store)?;
            stream_out(&io, json!({}), "decrypted", |input, output| {
                smime.decrypt_to(input, output, &options).map(|d| {
                    json!({"cipher": d.cipher, "authenticated": d.authenticated, "weak": d.weak.iter().map(ToString::to_string).collect::<Vec<_>>()})
                })
            })
        }
        SmimeCmd::Verify {
            input,
            output,
            verify,
        } => {
            let options = verify.options(now)?;
            let input = read_input(&input)?;
            let v = smime.verify_with(&input.bytes, &options)?;
            let form = format!("{:?}", v.message.form).to_lowercase();
            verdict(
                &v.signers,
                &v.message.signed.signers,
                Some(&form),
                output.as_deref(),
                &v.message.message,
            )
        }
        SmimeCmd::SignEncrypt {
            signer,
            opaque,
            options,
            io,
        } => {
            let input = read_input(&io.input)?;
            let signer = resolve_signer(&store, &signer, now)?;
            let recipients = resolve_recipients(&store, &options.to, now)?;
            let out = smime.sign_encrypt(
                &input.bytes,
                &signer,
                &recipients,
                form(opaque),
                &SignOptions::new(now),
                &encrypt_options(&options),
            )?;
            let mut info = recipients_json(&recipients);
            info["signer"] = signer.subject().into();
            write_out(&io.output, out, info, "signed and encrypted")
        }
        SmimeCmd::DecryptVerify { io } => {
            let input = read_input(&io.input)?;
            let (d, v) = smime.decrypt_verify(&input.bytes, now, &decrypt_options(&store)?)?;
            match v {
                Some(v) => {
                    let form = format!("{:?}", v.message.form).to_lowercase();
                    verdict(
                        &v.signers,
                        &v.message.signed.signers,
                        Some(&form),
                        Some(&io.output),
                        &v.message.message,
                    )
                }
                None => {
                    let out = write_out(
                        &io.output,
                        d.message.to_vec(),
                        json!({"cipher": d.cipher, "signed": false}),
                        "decrypted (not signed)",
                    )?;
                    Ok(Outcome {
                        code: EXIT_INVALID,
                        human: format!(
                            "{}NOT VALID: the decrypted message is not signed\n",
                            out.human
                        ),
                        ..out
                    })
                }
            }
        }
    }
}

/// Runs a `cms` subcommand.
pub fn run_cms(ctx: &Ctx, cmd: CmsCmd) -> CliResult<Outcome> {
    let store = ctx.open()?;
    let now = SystemTime::now();
    match cmd {
        CmsCmd::Sign {
            signer,
            detached,
            io,
        } => {
            let input = read_input(&io.input)?;
            let signer = resolve_signer(&store, &signer, now)?;
            // The chain up to, not including, the anchor goes in, as with `smime sign`.
            let out = Smime::new(&store).sign_cms(
                &input.bytes,
                &signer,
                detached,
                &SignOptions::new(now),
            )?;
            write_out(
                &io.output,
                out,
                json!({"signer": signer.subject(), "detached": detached}),
                "signed",
            )
        }
        CmsCmd::Verify {
            input,
            content,
            output,
            verify,
        } => {
            let options = verify.options(now)?;
            let input = read_input(&input)?;
            let der = cms_der(&input.bytes)?;
            let detached = content.as_deref().map(read_input).transpose()?;
            let v = Smime::new(&store).verify_cms(
                &der,
                detached.as_ref().map(|c| c.bytes.as_slice()),
                &options,
            )?;
            verdict(
                &v.signers,
                &v.signed.signers,
                None,
                output.as_deref(),
                &v.signed.content,
            )
        }
        CmsCmd::Encrypt { options, io } => {
            let input = read_input(&io.input)?;
            let recipients = resolve_recipients(&store, &options.to, now)?;
            let out = smime::encrypt_data(&input.bytes, &recipients, &encrypt_options(&options))?;
            write_out(&io.output, out, recipients_json(&recipients), "encrypted")
        }
        CmsCmd::Decrypt { io } => {
            let input = read_input(&io.input)?;
            let der = cms_der(&input.bytes)?;
            let options = decrypt_options(&store)?;
            let d = store
                .read_transaction(|tx| smime::decrypt_data(&der, &StoreKeys::new(tx), &options))?;
            let info = json!({"cipher": d.cipher, "authenticated": d.authenticated, "weak": d.weak.iter().map(ToString::to_string).collect::<Vec<_>>()});
            write_out(&io.output, d.content.to_vec(), info, "decrypted")
        }
    }
}

fn form(opaque: bool) -> SignatureForm {
    if opaque {
        SignatureForm::Opaque
    } else {
        SignatureForm::Detached
    }
}

fn form_name(opaque: bool) -> &'static str {
    if opaque { "opaque" } else { "detached" }
}

fn encrypt_options(o: &EncryptOptions) -> smime::EncryptOptions {
    let mut opts = smime::EncryptOptions::new();
    if o.gcm {
        opts = opts.cipher(ContentCipher::Aes256Gcm);
    }
    if o.oaep {
        opts = opts.key_transport(KeyTransport::OaepSha256);
    }
    opts
}

/// CMS input as DER: PEM (`CMS` / `PKCS7` blocks) is decoded, anything else taken as DER/BER.
fn cms_der(bytes: &[u8]) -> CliResult<Vec<u8>> {
    let text = String::from_utf8_lossy(bytes);
    if text.contains("-----BEGIN") {
        let (_, der) = der::pem::decode_vec(text.trim().as_bytes()).map_err(|e| {
            CliError::new(format!("the PEM input cannot be read: {e}"))
                .hint("give one CMS / PKCS7 PEM block, or DER")
        })?;
        return Ok(der);
    }
    Ok(bytes.to_vec())
}

/// The signer: a certificate id as named, or for an email address the certificate
/// [`select::signing_certificate`] picks (the manual choice while valid, else the valid one
/// with a key and the latest notBefore).
fn resolve_signer(store: &AnyStore, who: &str, now: SystemTime) -> CliResult<Certificate> {
    if !who.contains('@') {
        return resolve_certificate(store, who);
    }
    let addr = EmailAddress::new(who)?;
    let found = store.read_transaction(|tx| select::signing_certificate(tx, &addr, now))?;
    found.map(|s| s.certificate).ok_or_else(|| {
        CliError::new(format!(
            "no certificate of {who} with a private key is valid for signing now"
        ))
        .hint("issue one (`hermes-pki issue`) or import one with its key (`hermes-pki cert import FILE.p12`)")
    })
}

/// The recipients: each id as named, each email address as the certificates
/// [`select::encryption_certificates`] selects (manual choices, automatic ones, additional
/// certificates), without repeats. An address none of whose own certificates is selected is
/// an error that says why each candidate was left out.
fn resolve_recipients(
    store: &AnyStore,
    to: &[String],
    now: SystemTime,
) -> CliResult<Vec<Certificate>> {
    let mut out: Vec<Certificate> = Vec::new();
    for who in to {
        let certs = if who.contains('@') {
            let addr = EmailAddress::new(who)?;
            let selection =
                store.read_transaction(|tx| select::encryption_certificates(tx, &addr, now))?;
            if !selection.has_own() {
                let mut message = format!("no certificate of {who} is valid for encryption now");
                for l in &selection.left_out {
                    let subject = l
                        .certificate
                        .as_ref()
                        .map(|c| format!(" ({})", c.subject()))
                        .unwrap_or_default();
                    message.push_str(&format!(
                        "\n  {}{subject}, {}: {}",
                        short(&l.thumbprint),
                        l.why,
                        l.exclusion
                    ));
                }
                return Err(CliError::new(message).hint(
                    "import the recipient's certificate (`hermes-pki cert import`), choose one \
                     (`hermes-pki user select`), or check it with `hermes-pki cert validate`",
                ));
            }
            selection.certificates()
        } else {
            vec![resolve_certificate(store, who)?]
        };
        for c in certs {
            if !out.iter().any(|o| o.thumbprint() == c.thumbprint()) {
                out.push(c);
            }
        }
    }
    Ok(out)
}

fn recipients_json(recipients: &[Certificate]) -> Value {
    json!({"recipients": recipients.iter().map(|c| c.subject().to_string()).collect::<Vec<_>>()})
}

fn write_dest(out: &str, bytes: &[u8]) -> CliResult<()> {
    match Dest::from_arg(Some(out)) {
        Dest::File(path) => write_file(&path, bytes, false),
        Dest::Stdout => {
            use std::io::Write;
            let mut o = std::io::stdout().lock();
            o.write_all(bytes)
                .and_then(|()| o.flush())
                .map_err(|e| CliError::new(format!("cannot write stdout: {e}")))
        }
    }
}

/// Runs a streaming S/MIME operation from IN to OUT. IN is a file or stdin, read as the
/// operation goes; a file OUT is written as the output is produced, into a temporary file
/// beside it that replaces OUT once the operation succeeded (a failure leaves OUT as it was);
/// stdout gets the output once it is complete, as every command's product. `run` returns what it adds to the JSON document.
fn stream_out(
    io: &InOut,
    mut info: Value,
    what: &str,
    run: impl FnOnce(&mut dyn std::io::Read, &mut dyn std::io::Write) -> hermes_pki::Result<Value>,
) -> CliResult<Outcome> {
    let mut input: Box<dyn std::io::Read> = if io.input == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(&io.input).map_err(|e| {
            CliError::new(format!("cannot read {}: {e}", io.input))
                .hint("check the file name and path")
        })?)
    };
    let merge = |info: &mut Value, extra: Value| {
        if let (Some(info), Value::Object(extra)) = (info.as_object_mut(), extra) {
            info.extend(extra);
        }
    };
    match Dest::from_arg(Some(&io.output)) {
        Dest::File(path) => {
            let mut out = OutFile::new(path.clone());
            // On failure the temporary file is dropped (removed) and OUT is left as it was.
            let extra = run(&mut input, &mut out)?;
            let written = out.commit()?;
            merge(&mut info, extra);
            info["written"] = path.display().to_string().into();
            info["bytes"] = written.into();
            Ok(Outcome::new(
                format!("{what}: wrote {written} bytes to {}\n", path.display()),
                info,
            ))
        }
        Dest::Stdout => {
            let mut bytes = Vec::new();
            let extra = run(&mut input, &mut bytes)?;
            merge(&mut info, extra);
            info["bytes"] = bytes.len().into();
            Ok(Outcome::new(String::new(), info).raw(bytes))
        }
    }
}

/// Writes a product to OUT (a file, or stdout for `-`).
fn write_out(out: &str, bytes: Vec<u8>, mut info: Value, what: &str) -> CliResult<Outcome> {
    match Dest::from_arg(Some(out)) {
        Dest::File(path) => {
            write_file(&path, &bytes, false)?;
            info["written"] = path.display().to_string().into();
            info["bytes"] = bytes.len().into();
            Ok(Outcome::new(
                format!(
                    "{what}: wrote {} bytes to {}\n",
                    bytes.len(),
                    path.display()
                ),
                info,
            ))
        }
        Dest::Stdout => {
            info["bytes"] = bytes.len().into();
            Ok(Outcome::new(String::new(), info).raw(bytes))
        }
    }
}

/// The human and JSON verdict of a verification (a message's, with its `form`, or a bare
/// CMS one); with `output`, the content is written there. Exit 3 when not valid.
fn verdict(
    verdicts: &[SignerVerdict],
    reports: &[SignerReport],
    form: Option<&str>,
    output: Option<&str>,
    content: &[u8],
) -> CliResult<Outcome> {
    let mut lines = Vec::new();
    let mut signers = Vec::new();
    for (verdict, report) in verdicts.iter().zip(reports) {
        // Named by its certificate, or by how the message names it when no certificate is
        // at hand.
        let who = verdict.certificate.as_ref().map_or_else(
            || format!("unknown signer ({})", report.identifier),
            |c| c.subject().to_string(),
        );
        let reasons: Vec<String> = match &verdict.validation {
            Some(val) => val.reasons().iter().map(ToString::to_string).collect(),
            None => vec![
                "the signer certificate is not in the message, the certificates given or the \
                 store"
                    .into(),
            ],
        };
        let warnings: Vec<String> = verdict
            .validation
            .as_ref()
            .map(|val| val.warnings().iter().map(ToString::to_string).collect())
            .unwrap_or_default();
        lines.push(format!(
            "signer {who}: signature {}{}{}",
            report.status,
            report
                .signing_time
                .map(|t| format!(", signed {}", hermes_pki::time::to_rfc3339(t)))
                .unwrap_or_default(),
            if reasons.is_empty() {
                String::new()
            } else {
                format!("\n  not valid: {}", reasons.join("; "))
            }
        ));
        for w in &warnings {
            lines.push(format!("  warning: {w}"));
        }
        for w in &report.weak {
            lines.push(format!("  weak: {w}"));
        }
        signers.push(json!({
            "signer": who,
            "signature": report.status.to_string(),
            "signature_valid": verdict.signature_valid,
            "valid": verdict.is_valid(),
            "reasons": reasons,
            "warnings": warnings,
            "weak": report.weak.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "signing_time": report.signing_time.map(hermes_pki::time::to_rfc3339),
        }));
    }
    if let Some(out) = output {
        write_dest(out, content)?;
    }
    let valid = !verdicts.is_empty() && verdicts.iter().all(SignerVerdict::is_valid);
    let human = if output == Some("-") {
        String::new()
    } else {
        format!(
            "{}\n{}\n",
            lines.join("\n"),
            if valid { "VALID" } else { "NOT VALID" }
        )
    };
    if output == Some("-") {
        for l in &lines {
            eprintln!("{l}");
        }
        eprintln!("{}", if valid { "VALID" } else { "NOT VALID" });
    }
    let mut doc = json!({"valid": valid, "signers": signers});
    if let Some(form) = form {
        doc["form"] = form.into();
    }
    let outcome = Outcome::new(human, doc);
    Ok(if valid {
        outcome
    } else {
        outcome.code(EXIT_INVALID)
    })
}

/// The decryption options the gateway settings `allow-legacy-ciphers` and
/// `require-authenticated` (global) ask for.
fn decrypt_options(store: &impl hermes_pki::store::Store) -> CliResult<DecryptOptions> {
    use hermes_pki::settings::{SettingKey, global_flag};
    use hermes_pki::store::StoreExt;
    let (legacy, authenticated) = store.read_transaction(|tx| {
        Ok((
            global_flag(tx, SettingKey::AllowLegacyCiphers)?,
            global_flag(tx, SettingKey::RequireAuthenticated)?,
        ))
    })?;
    Ok(DecryptOptions::new()
        .allow_legacy_ciphers(legacy)
        .require_authenticated(authenticated))
}
