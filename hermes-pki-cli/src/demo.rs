//! `hermes-pki demo`: the whole job in a fresh store, step by step, with the command that does
//! each step by hand. Exit code 0 when every step did what it should, else 1.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use clap::Args;
use hermes_pki::ca::{
    CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Revocation,
};
use hermes_pki::cert::Certificate;
use hermes_pki::crl::RevocationReason;
use hermes_pki::key::KeySpec;
use hermes_pki::smime::{DecryptOptions, EncryptOptions, SignOptions, SignatureForm, Smime};
use hermes_pki::store::{CaId, SqliteStore, StoreExt};

use crate::demo_gateway::gateway_steps;
use hermes_pki::time::SystemClock;
use hermes_pki::trust::{LeafPolicy, Reason, Validation, ValidationOptions, Validator};
use serde_json::{Value, json};

use crate::common::{CliError, CliResult, Context, Ctx, EXIT_FAILURE, short};
use crate::output::{Outcome, report_error, time};

/// `demo` arguments (none: the store is `--store` when given, else a temporary one).
#[derive(Debug, Args)]
pub struct DemoArgs {}

/// The demo's record of what it did: human text and JSON, step by step.
#[derive(Debug, Default)]
pub(crate) struct Log {
    human: String,
    steps: Vec<Value>,
    title: Option<String>,
    details: Vec<String>,
}

impl Log {
    /// Starts step `title`, with the command that does it by hand.
    pub(crate) fn step(&mut self, title: &str, command: &str) {
        let n = self.steps.len() + 1;
        let _ = writeln!(self.human, "\n[{n}] {title}");
        if !command.is_empty() {
            let _ = writeln!(self.human, "    $ {command}");
        }
        self.title = Some(title.to_string());
        self.details.clear();
    }

    /// Another command of the current step.
    pub(crate) fn command(&mut self, command: &str) {
        let _ = writeln!(self.human, "    $ {command}");
    }

    /// A line of the current step.
    pub(crate) fn detail(&mut self, line: impl Into<String>) {
        let line = line.into();
        let _ = writeln!(self.human, "    {line}");
        self.details.push(line);
    }

    /// Ends the current step.
    pub(crate) fn end(&mut self, ok: bool, error: Option<String>) {
        if let Some(title) = self.title.take() {
            if let Some(e) = &error {
                for line in e.lines() {
                    let _ = writeln!(self.human, "    FAILED: {line}");
                }
            }
            self.steps.push(json!({
                "step": self.steps.len() + 1,
                "title": title,
                "ok": ok,
                "details": std::mem::take(&mut self.details),
                "error": error,
            }));
        }
    }
}

/// Runs `demo`.
pub fn run(ctx: &Ctx, _args: DemoArgs) -> CliResult<Outcome> {
    let mut temp = None;
    if let hermes_pki::store::StoreLocation::Postgres(_) = ctx.location() {
        return Err(CliError::new(
            "the demo runs in a store directory of its own, not in a PostgreSQL database",
        )
        .hint("give an empty directory with --store DIR, or no --store for a temporary one"));
    }
    let dir: PathBuf = if ctx.store_given {
        refuse_non_empty(&ctx.store_dir)?;
        ctx.store_dir.clone()
    } else {
        let t = tempfile::Builder::new()
            .prefix("hermes-pki-demo-")
            .tempdir()
            .map_err(|e| {
                CliError::new(format!("cannot make a temporary store directory: {e}"))
                    .hint("give an empty directory with --store DIR")
            })?;
        let p = t.path().to_path_buf();
        temp = Some(t);
        p
    };
    let store = Arc::new(
        SqliteStore::open_default(&dir)
            .context(format!("cannot open the store {}", dir.display()))?,
    );
    let mut log = Log::default();
    let _ = writeln!(
        log.human,
        "hermes-pki demo: the whole job of a mail gateway's PKI, in a fresh store\nstore: {}{}",
        dir.display(),
        if temp.is_some() {
            " (temporary: removed at the end; give --store DIR to keep it)"
        } else {
            ""
        }
    );
    let result = walk(&store, &mut log).and_then(|alice| gateway_steps(&store, &mut log, &alice));
    let ok = match result {
        Ok(()) => {
            log.human
                .push_str("\ndemo finished: every step did what it should\n");
            true
        }
        Err(e) => {
            log.end(false, Some(e.to_string()));
            let _ = writeln!(log.human, "\ndemo FAILED: a step did not do what it should");
            false
        }
    };
    drop(store);
    let json = json!({
        "ok": ok,
        "store": dir.display().to_string(),
        "temporary": temp.is_some(),
        "steps": log.steps,
    });
    let outcome = Outcome::new(log.human, json);
    if ok {
        Ok(outcome)
    } else {
        report_error("the demo failed; the failed step says why");
        Ok(outcome.code(EXIT_FAILURE))
    }
}

/// The demo needs a store of its own.
fn refuse_non_empty(dir: &Path) -> CliResult<()> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(CliError::new(format!(
                    "the store {} is not empty; the demo works in a fresh store only",
                    dir.display()
                ))
                .hint("give an empty or new directory with --store, or leave --store (and HERMES_PKI_STORE) out to use a temporary one"));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(CliError::new(format!("cannot read {}: {e}", dir.display()))),
    }
}

/// Validates `cert` over the store now.
pub(crate) fn validate(
    store: &SqliteStore,
    cert: &Certificate,
    policy: LeafPolicy,
) -> CliResult<Validation> {
    let options = ValidationOptions::new(SystemTime::now(), policy);
    Ok(store.read_transaction(|tx| Validator::new(tx).validate(cert, &options))?)
}

/// Requires `cert` to be valid for signing and for encryption.
fn expect_valid(
    store: &SqliteStore,
    log: &mut Log,
    who: &str,
    cert: &Certificate,
) -> CliResult<()> {
    for (policy, what) in [
        (LeafPolicy::SmimeSigning, "signing"),
        (LeafPolicy::SmimeEncryption, "encryption"),
    ] {
        match validate(store, cert, policy)? {
            Validation::Valid { chain, .. } => log.detail(format!(
                "{who}: VALID for S/MIME {what} (chain of {}: {})",
                chain.len(),
                chain
                    .iter()
                    .map(|c| format!("\"{}\"", c.subject()))
                    .collect::<Vec<_>>()
                    .join(" <- ")
            )),
            Validation::Invalid { reasons } => {
                return Err(CliError::new(format!(
                    "{who} should be valid for S/MIME {what}, but: {}",
                    reasons
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; ")
                )));
            }
        }
    }
    Ok(())
}

/// The steps of the CA, the certificates, S/MIME and revocation; answers Alice's certificate.
fn walk(store: &SqliteStore, log: &mut Log) -> CliResult<Certificate> {
    let ca = CertificateAuthority::new(store);

    log.step(
        "Create a certificate authority: a root CA and an issuing intermediate CA",
        "hermes-pki ca create --cn \"Hermes Demo Root CA\" --intermediate-cn \"Hermes Demo Mail CA\" --key-type ec-p256",
    );
    let spec =
        CaSpec::new(DistinguishedName::new("Hermes Demo Root CA").organization("Hermes Demo"))
            .key(KeySpec::EcP256)
            .intermediate(
                DistinguishedName::new("Hermes Demo Mail CA").organization("Hermes Demo"),
            );
    let created = ca.create(&spec, &SystemClock).context("creating the CA")?;
    let issuing: CaId = created.issuing().id;
    log.detail(
        "EC P-256 keys keep the demo fast (`ca create` makes RSA-4096 keys unless told otherwise)",
    );
    log.detail(format!(
        "root CA {} \"{}\", valid until {}",
        created.root().id,
        created.root().name,
        time(created.root_certificate().not_after())
    ));
    log.detail(format!(
        "intermediate CA {} \"{}\" issues the certificates; it is the default CA",
        issuing,
        created.issuing().name
    ));
    log.detail("both are trust anchors of the store");
    log.end(true, None);

    log.step(
        "Issue S/MIME certificates for two users",
        "hermes-pki issue --email alice@example.com --cn \"Alice Example\" --key-type ec-p256",
    );
    let mut users = Vec::new();
    for (email, cn) in [
        ("alice@example.com", "Alice Example"),
        ("bob@example.com", "Bob Example"),
    ] {
        let issued = ca
            .issue(
                &IssueSpec::new(email, cn).key(KeySpec::EcP256),
                &SystemClock,
            )
            .context(format!("issuing a certificate for {email}"))?;
        let c = issued.certificate().clone();
        log.detail(format!(
            "{email}: serial {}, thumbprint {}..., valid until {}, private key sealed in the store",
            c.serial(),
            short(c.thumbprint()),
            time(c.not_after())
        ));
        users.push(c);
    }
    let (alice, bob) = match users.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        _ => return Err(CliError::new("internal: expected two certificates")),
    };
    log.end(true, None);

    log.step(
        "Validate both certificates",
        "hermes-pki cert validate alice@example.com --usage encrypt",
    );
    expect_valid(store, log, "alice@example.com", &alice)?;
    expect_valid(store, log, "bob@example.com", &bob)?;
    log.end(true, None);

    log.step(
        "Sign and encrypt a message from Alice to Bob; Bob decrypts and verifies it",
        "hermes-pki smime sign-encrypt --signer alice@example.com --to bob@example.com message.eml message.p7m",
    );
    smime_steps(store, log, &alice, &bob)?;
    log.end(true, None);

    log.step(
        "Revoke Bob's certificate with a CRL",
        &format!(
            "hermes-pki crl create --ca \"Hermes Demo Mail CA\" --revoke {} --reason keyCompromise",
            bob.serial()
        ),
    );
    let crl = ca
        .create_crl(
            &CrlSpec::new(issuing).revocation(
                Revocation::new(bob.serial().clone()).reason(RevocationReason::KeyCompromise),
            ),
            &SystemClock,
        )
        .context("making the CRL")?;
    log.detail(format!(
        "CRL number {} of \"{}\" revokes serial {} (keyCompromise); next update {}",
        crl.number(),
        created.issuing().name,
        bob.serial(),
        crl.crl()
            .next_update()
            .map(time)
            .unwrap_or_else(|| "-".into())
    ));
    log.detail("the CRL is signed and stored; validation over the store uses it from now on");
    log.end(true, None);

    log.step(
        "Validate again: Bob's certificate is revoked, Alice's is still valid",
        "hermes-pki cert validate bob@example.com --usage encrypt",
    );
    match validate(store, &bob, LeafPolicy::SmimeEncryption)? {
        Validation::Invalid { reasons } => {
            for r in &reasons {
                log.detail(format!("bob@example.com: NOT VALID: {r}"));
            }
            if !reasons.iter().any(|r| matches!(r, Reason::Revoked { .. })) {
                return Err(CliError::new(
                    "bob@example.com is not valid, but not because it is revoked",
                ));
            }
        }
        Validation::Valid { .. } => {
            return Err(CliError::new(
                "bob@example.com is still valid after its revocation",
            ));
        }
    }
    expect_valid(store, log, "alice@example.com", &alice)?;
    log.end(true, None);
    Ok(alice)
}

/// S/MIME: Alice signs and encrypts a message to Bob; Bob decrypts it and verifies Alice's
/// signature.
fn smime_steps(
    store: &SqliteStore,
    log: &mut Log,
    alice: &Certificate,
    bob: &Certificate,
) -> CliResult<()> {
    let now = SystemTime::now();
    let smime = Smime::new(store);
    let message =
        b"From: Alice Example <alice@example.com>\r\nTo: Bob Example <bob@example.com>\r\n\
Subject: Quarterly numbers\r\n\r\nHello Bob,\r\nthe numbers are in. Regards, Alice\r\n";
    let sent = smime
        .sign_encrypt(
            message,
            alice,
            std::slice::from_ref(bob),
            SignatureForm::Detached,
            &SignOptions::new(now),
            &EncryptOptions::new(),
        )
        .context("signing and encrypting")?;
    log.detail(format!(
        "Alice signed (ECDSA P-256, SHA-256, multipart/signed) and encrypted to Bob \
         (AES-256-CBC, ECDH P-256): {} bytes of application/pkcs7-mime; From/To/Subject stay readable",
        sent.len()
    ));
    let (opened, verification) = smime
        .decrypt_verify(&sent, now, &DecryptOptions::new())
        .context("decrypting and verifying")?;
    log.detail(format!(
        "Bob decrypted it with his stored key ({})",
        opened.cipher
    ));
    let Some(v) = verification else {
        return Err(CliError::new("the decrypted message is not signed"));
    };
    if !v.is_valid() {
        return Err(CliError::new(format!(
            "Alice's signature is not valid: {:?}",
            v.signers
        )));
    }
    log.detail("Alice's signature is valid and her certificate chains to the demo root");
    if !v
        .message
        .inner
        .ends_with(b"the numbers are in. Regards, Alice\r\n")
    {
        return Err(CliError::new(
            "the decrypted text differs from what was sent",
        ));
    }
    Ok(())
}
