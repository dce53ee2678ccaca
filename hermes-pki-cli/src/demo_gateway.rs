//! The demo's second half: the gateway's two operations through the [`Pki`] facade — `protect`
//! (outbound: selection, several certificates per recipient, escrow) and `open_message`
//! (inbound: trust, self-introduction, signer against sender).

use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec};
use hermes_pki::cert::Certificate;
use hermes_pki::key::{KeySpec, PrivateKey};
use hermes_pki::pki::{
    NotValidReason, OpenOptions, Opened, OpenedMessage, Pki, ProtectOptions, ProtectedMessage,
    RecipientOutcome, SignerStatus,
};
use hermes_pki::select::Why;
use hermes_pki::settings::{SettingKey, SettingValue};
use hermes_pki::smime::{
    DecryptOptions, DecryptedMessage, KeyList, SignOptions, SignatureForm, decrypt_message,
};
use hermes_pki::store::{DomainName, MemoryStore, SettingScope, SqliteStore, StoreExt};
use hermes_pki::time::SystemClock;

use crate::common::{CliError, CliResult, Context, short};
use crate::demo::Log;

/// A certificate with its private key, as issued.
struct Holder {
    cert: Certificate,
    key: Arc<PrivateKey>,
}

/// Issues an EC P-256 S/MIME certificate for `email` from the default CA of `pki`.
fn issue(pki: &Pki, email: &str, cn: &str) -> CliResult<Holder> {
    let issued = pki
        .ca()
        .issue(
            &IssueSpec::new(email, cn).key(KeySpec::EcP256),
            &SystemClock,
        )
        .context(format!("issuing a certificate for {email}"))?;
    let (cert, key, _, _) = issued.into_parts();
    Ok(Holder {
        cert,
        key: Arc::new(key),
    })
}

/// A message from `from` to `to`.
fn message(from: &str, to: &str, subject: &str, body: &str) -> Vec<u8> {
    format!("From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n\r\n{body}\r\n").into_bytes()
}

/// `protect` from `sender` to the one `recipient`: the message the recipient gets (which must be
/// signed and encrypted) and what was done for the recipient.
fn protect_to(
    pki: &Pki,
    msg: &[u8],
    sender: &str,
    recipient: &str,
) -> CliResult<(ProtectedMessage, RecipientOutcome)> {
    let protected = pki
        .protect(
            msg,
            sender,
            &[recipient],
            &ProtectOptions::new(SystemTime::now()),
        )
        .context(format!("protecting a message from {sender} to {recipient}"))?;
    let Some(outcome) = protected.recipients.into_iter().next() else {
        return Err(CliError::new(format!(
            "protect answered nothing for {recipient}"
        )));
    };
    let Some(sent) = protected.messages.into_iter().nth(outcome.message) else {
        return Err(CliError::new(format!(
            "protect made no message for {recipient}"
        )));
    };
    if !sent.signed {
        return Err(CliError::new(format!(
            "the message from {sender} to {recipient} is not signed"
        )));
    }
    if !outcome.encrypted {
        return Err(CliError::new(format!(
            "the message to {recipient} is not encrypted: {}",
            outcome
                .why_not
                .as_ref()
                .map_or_else(|| "no reason given".to_string(), ToString::to_string)
        )));
    }
    Ok((sent, outcome))
}

/// Decrypts `msg` with `holder`'s key alone (not the store's keys).
fn decrypt_alone(msg: &[u8], holder: &Holder, who: &str) -> CliResult<DecryptedMessage> {
    let keys = KeyList::new()
        .with(holder.cert.clone(), Arc::clone(&holder.key))
        .context(format!("{who}'s key"))?;
    decrypt_message(msg, &keys, &DecryptOptions::new())
        .context(format!("decrypting with {who}'s key alone"))
}

/// The processed answer of `open_message`, else an error.
fn processed(opened: Opened, what: &str) -> CliResult<OpenedMessage> {
    match opened {
        Opened::Processed(m) => Ok(m),
        other => Err(CliError::new(format!(
            "{what}: open_message answered {} instead of an opened message",
            other.kind()
        ))),
    }
}

/// Every not-valid reason of every signer of `opened`.
fn not_valid_reasons(opened: &OpenedMessage) -> Vec<&NotValidReason> {
    opened
        .signers()
        .filter_map(|s| match &s.verdict {
            SignerStatus::NotValid(reasons) => Some(reasons.iter()),
            SignerStatus::Valid => None,
        })
        .flatten()
        .collect()
}

/// The steps of the gateway's two operations, after the first half of the demo.
pub(crate) fn gateway_steps(
    store: &Arc<SqliteStore>,
    log: &mut Log,
    alice: &Certificate,
) -> CliResult<()> {
    let pki = Pki::new(Arc::clone(store));

    // --- Bob's two certificates -----------------------------------------------------------
    log.step(
        "Bob gets two new certificates (his first one is revoked), say one per device",
        "hermes-pki issue --email bob@example.com --cn \"Bob Example\" --key-type ec-p256",
    );
    let bob_keys = [
        issue(&pki, "bob@example.com", "Bob Example")?,
        issue(&pki, "bob@example.com", "Bob Example")?,
    ];
    for (i, b) in bob_keys.iter().enumerate() {
        log.detail(format!(
            "bob@example.com certificate {}: serial {}, thumbprint {}...",
            i + 1,
            b.cert.serial(),
            short(b.cert.thumbprint())
        ));
    }
    log.end(true, None);

    log.step(
        "The gateway protects a message from Alice to Bob: signed, encrypted to every valid certificate of Bob's",
        "hermes-pki smime protect --from alice@example.com --to bob@example.com message.eml protected.eml",
    );
    let to_bob = message(
        "Alice Example <alice@example.com>",
        "Bob Example <bob@example.com>",
        "Budget",
        "Hello Bob, the budget is attached. Alice",
    );
    let (sent, outcome) = protect_to(&pki, &to_bob, "alice@example.com", "bob@example.com")?;
    let own: Vec<_> = outcome
        .certificates
        .iter()
        .filter(|(_, why)| !matches!(why, Why::Additional { .. }))
        .collect();
    log.detail(format!(
        "signed by alice@example.com and encrypted to {} certificates of bob@example.com ({}): {} recipient infos",
        own.len(),
        own.iter()
            .map(|(t, why)| format!("{}... {why}", short(t)))
            .collect::<Vec<_>>()
            .join(", "),
        sent.encrypted_to.len(),
    ));
    for l in &outcome.left_out {
        log.detail(format!(
            "left out: {}... ({})",
            short(&l.thumbprint),
            l.exclusion
        ));
    }
    if own.len() != 2 || sent.encrypted_to.len() != 2 {
        return Err(CliError::new(format!(
            "the message should be encrypted to Bob's two valid certificates, but it is to {} ({} of Bob's)",
            sent.encrypted_to.len(),
            own.len()
        )));
    }
    for (i, b) in bob_keys.iter().enumerate() {
        if !sent.encrypted_to.contains(b.cert.thumbprint()) {
            return Err(CliError::new(format!(
                "Bob's certificate {} is not a recipient",
                i + 1
            )));
        }
        let opened = decrypt_alone(&sent.message, b, "Bob")?;
        if !contains(&opened.inner, b"the budget is attached. Alice") {
            return Err(CliError::new(
                "the decrypted text differs from what was sent",
            ));
        }
        log.detail(format!(
            "Bob's key {} alone decrypts it ({})",
            i + 1,
            opened.cipher
        ));
    }
    log.end(true, None);

    // --- escrow ---------------------------------------------------------------------------
    log.step(
        "Escrow: every message to example.com is also encrypted to an escrow certificate",
        "hermes-pki issue --email escrow@example.com --cn \"Example Escrow\" --key-type ec-p256",
    );
    let escrow = issue(&pki, "escrow@example.com", "Example Escrow")?;
    let thumb = *escrow.cert.thumbprint();
    log.command(&format!(
        "hermes-pki settings set --domain example.com additional-certificates {}",
        short(&thumb)
    ));
    let domain = DomainName::new("example.com").context("the domain example.com")?;
    pki.settings()
        .set(
            &SettingScope::Domain(domain),
            SettingKey::AdditionalCertificates,
            &SettingValue::Thumbprints(vec![thumb]),
        )
        .context("setting additional-certificates for example.com")?;
    log.detail(format!(
        "escrow@example.com: thumbprint {}..., set as additional-certificates of the domain example.com",
        short(&thumb)
    ));
    log.command(
        "hermes-pki smime protect --from alice@example.com --to bob@example.com message.eml protected.eml",
    );
    let (sent, outcome) = protect_to(&pki, &to_bob, "alice@example.com", "bob@example.com")?;
    log.detail(format!(
        "encrypted to {} recipient infos now: Bob's two certificates and the escrow certificate ({})",
        sent.encrypted_to.len(),
        outcome
            .certificates
            .iter()
            .map(|(t, why)| format!("{}... {why}", short(t)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if sent.encrypted_to.len() != 3 || !sent.encrypted_to.contains(&thumb) {
        return Err(CliError::new(format!(
            "the message should be encrypted to Bob's two certificates and the escrow one, but it is to {}",
            sent.encrypted_to.len()
        )));
    }
    let opened = decrypt_alone(&sent.message, &escrow, "the escrow")?;
    if !contains(&opened.inner, b"the budget is attached. Alice") {
        return Err(CliError::new(
            "the text decrypted with the escrow key differs from what was sent",
        ));
    }
    log.detail(format!(
        "the escrow key alone decrypts it ({})",
        opened.cipher
    ));
    log.end(true, None);

    // --- Carol, another organisation -------------------------------------------------------
    log.step(
        "Another organisation: its own CA issues carol@example.org, and Carol signs a message to Bob",
        "hermes-pki --store other-org ca create --cn \"Other Org Root CA\" --org \"Other Org\" --intermediate-cn \"Other Org Mail CA\" --key-type ec-p256",
    );
    let other = Pki::new(MemoryStore::new());
    let spec = CaSpec::new(DistinguishedName::new("Other Org Root CA").organization("Other Org"))
        .key(KeySpec::EcP256)
        .intermediate(DistinguishedName::new("Other Org Mail CA").organization("Other Org"));
    let other_ca = other
        .ca()
        .create(&spec, &SystemClock)
        .context("creating the other organisation's CA")?;
    let other_root = other_ca.root_certificate().clone();
    log.command(
        "hermes-pki --store other-org issue --email carol@example.org --cn \"Carol Other\" --key-type ec-p256",
    );
    let carol = issue(&other, "carol@example.org", "Carol Other")?;
    log.command(
        "hermes-pki --store other-org smime sign --signer carol@example.org carol.eml carol-signed.eml",
    );
    let from_carol = message(
        "Carol Other <carol@example.org>",
        "Bob Example <bob@example.com>",
        "Introduction",
        "Hello Bob, this is Carol from Other Org. Carol",
    );
    let carol_signed = other
        .smime()
        .sign(
            &from_carol,
            &carol.cert,
            SignatureForm::Detached,
            &SignOptions::new(SystemTime::now()),
        )
        .context("signing as Carol")?;
    log.detail(format!(
        "a separate temporary store (another organisation): root \"{}\", carol@example.org thumbprint {}...",
        other_root.subject(),
        short(carol.cert.thumbprint())
    ));
    log.detail(format!(
        "Carol signed it; the signature carries her certificate and her intermediate ({} bytes)",
        carol_signed.len()
    ));
    log.end(true, None);

    log.step(
        "The gateway opens Carol's message before and after trusting her root",
        "hermes-pki smime open carol-signed.eml opened.eml",
    );
    let before = processed(
        pki.open_message(&carol_signed, &OpenOptions::new(SystemTime::now()))
            .context("opening Carol's message")?,
        "Carol's message",
    )?;
    if before.is_valid() {
        return Err(CliError::new(
            "Carol's signature is valid although her root is not trusted",
        ));
    }
    let reasons = not_valid_reasons(&before);
    for r in &reasons {
        log.detail(format!("carol@example.org: NOT VALID: {r}"));
    }
    if !reasons
        .iter()
        .any(|r| matches!(r, NotValidReason::Certificate(_)))
        || before.signers().any(|s| !s.stored.is_empty())
    {
        return Err(CliError::new(
            "before her root is trusted, Carol's certificate should be refused and not stored",
        ));
    }
    log.detail("her root is not trusted here yet, so nothing of hers is stored");
    log.command("hermes-pki root import other-org-root.pem");
    let added = pki
        .store()
        .transaction(|tx| tx.put_root(&other_root))
        .context("importing Carol's root as a trust anchor")?;
    log.detail(format!(
        "\"{}\" is a trust anchor of the gateway store ({})",
        other_root.subject(),
        if added { "added" } else { "already present" }
    ));
    log.command("hermes-pki smime open carol-signed.eml opened.eml");
    let after = processed(
        pki.open_message(&carol_signed, &OpenOptions::new(SystemTime::now()))
            .context("opening Carol's message")?,
        "Carol's message",
    )?;
    if !after.is_valid() {
        return Err(CliError::new(format!(
            "Carol's signature should be valid once her root is trusted, but: {}",
            not_valid_reasons(&after)
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        )));
    }
    let setting = pki
        .settings()
        .effective(
            &SettingScope::user("carol@example.org").context("the address carol@example.org")?,
            SettingKey::AddSignerCertificates,
        )
        .context("reading add-signer-certificates")?;
    let stored: Vec<_> = after.signers().flat_map(|s| s.stored.iter()).collect();
    if !stored.contains(&carol.cert.thumbprint()) {
        return Err(CliError::new(
            "Carol's certificate was not stored (add-signer-certificates is on by default)",
        ));
    }
    log.detail(format!(
        "carol@example.org: VALID signer; add-signer-certificates is {} ({}), so {} certificate(s) are stored: her own ({}...) and her chain",
        setting.value,
        setting.source,
        stored.len(),
        short(carol.cert.thumbprint())
    ));
    log.end(true, None);

    log.step(
        "The gateway protects a message from Alice to Carol with the certificate Carol introduced",
        "hermes-pki smime protect --from alice@example.com --to carol@example.org message.eml protected.eml",
    );
    let to_carol = message(
        "Alice Example <alice@example.com>",
        "Carol Other <carol@example.org>",
        "Re: Introduction",
        "Hello Carol, welcome. Alice",
    );
    let (sent, _) = protect_to(&pki, &to_carol, "alice@example.com", "carol@example.org")?;
    if sent.encrypted_to.as_slice() != [*carol.cert.thumbprint()] {
        return Err(CliError::new(format!(
            "the message to Carol should be encrypted to her certificate alone, but it is to {}",
            sent.encrypted_to.len()
        )));
    }
    decrypt_alone(&sent.message, &carol, "Carol")?;
    log.detail(format!(
        "signed by alice@example.com and encrypted to carol@example.org's certificate {}... (1 recipient info); Carol's key decrypts it",
        short(carol.cert.thumbprint())
    ));
    log.end(true, None);

    // --- signer is not the sender ------------------------------------------------------------
    log.step(
        "A message signed by Alice but sent as From: bob@example.com is not valid",
        "hermes-pki smime open forged.eml opened.eml",
    );
    let forged = message(
        "Bob Example <bob@example.com>",
        "Carol Other <carol@example.org>",
        "Trust me",
        "Hello Carol, this is really Bob.",
    );
    let forged = pki
        .smime()
        .sign(
            &forged,
            alice,
            SignatureForm::Detached,
            &SignOptions::new(SystemTime::now()),
        )
        .context("signing as Alice")?;
    let opened = processed(
        pki.open_message(&forged, &OpenOptions::new(SystemTime::now()))
            .context("opening the forged message")?,
        "the forged message",
    )?;
    let reasons = not_valid_reasons(&opened);
    for r in &reasons {
        log.detail(format!(
            "From bob@example.com, signed by alice@example.com: NOT VALID: {r}"
        ));
    }
    if opened.is_valid()
        || !reasons
            .iter()
            .any(|r| matches!(r, NotValidReason::SignerIsNotSender { .. }))
    {
        return Err(CliError::new(
            "the message signed by Alice as bob@example.com should be not valid: signer is not the sender",
        ));
    }
    log.end(true, None);
    Ok(())
}

/// Whether `haystack` contains `needle`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
