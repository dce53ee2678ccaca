use std::time::SystemTime;

use super::*;
use crate::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Issued};
use crate::key::KeySpec;
use crate::smime::mime::{multipart_parts, pkcs7_mime, to_crlf};
use crate::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, SignOptions, SignatureStatus, decrypt_data,
};
use crate::store::{MemoryStore, StoreExt};
use crate::time::{FixedClock, from_unix_seconds};
use crate::trust::Reason;

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn now() -> SystemTime {
    from_unix_seconds(NOW)
}

struct World {
    store: MemoryStore,
    alice: Issued,
    bob: Issued,
    ca_id: crate::store::CaId,
}

fn world() -> World {
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let created = ca
        .create(
            &CaSpec::new(DistinguishedName::new("Mail Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Mail CA")),
            &FixedClock(now()),
        )
        .unwrap();
    let issue = |e: &str| {
        ca.issue(
            &IssueSpec::new(e, e).key(KeySpec::EcP256),
            &FixedClock(now()),
        )
        .unwrap()
    };
    let alice = issue("alice@example.com");
    let bob = issue("bob@example.com");
    World {
        store,
        alice,
        bob,
        ca_id: created.issuing().id,
    }
}

const PLAIN: &[u8] = b"From: alice@example.com\nTo: bob@example.com\nSubject: Quarterly numbers\nDate: Thu, 01 Jan 2026 10:00:00 +0000\n\nHello Bob,\nthe numbers are in.\n";

fn mixed() -> Vec<u8> {
    let attachment: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    let mut m = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: =?utf-8?q?Gr=C3=BC=C3=9Fe?=\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße, Jürgen — ✓\r\n--outer\r\nContent-Type: application/octet-stream; name=\"data.bin\"\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"data.bin\"\r\n\r\n".as_bytes().to_vec();
    m.extend_from_slice(&mime::encode_base64(&attachment));
    m.extend_from_slice(b"--outer--\r\n");
    m
}

fn smime(w: &World) -> Smime<'_, MemoryStore> {
    Smime::new(&w.store)
}

#[test]
fn detached_and_opaque_signatures_verify_with_a_trusted_signer() {
    let w = world();
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = smime(&w)
            .sign(PLAIN, w.alice.certificate(), form, &SignOptions::new(now()))
            .unwrap();
        // The outer headers stay in the clear, before the S/MIME entity.
        assert!(signed.starts_with(b"From: alice@example.com\r\nTo: bob@example.com\r\n"));
        let v = smime(&w).verify(&signed, now()).unwrap();
        assert!(v.is_valid(), "{form:?}: {v:?}");
        assert_eq!(v.message.form, form);
        assert_eq!(
            v.message.inner,
            b"Content-Type: text/plain; charset=us-ascii\r\n\r\nHello Bob,\r\nthe numbers are in.\r\n"
        );
        assert!(
            v.message
                .message
                .starts_with(b"From: alice@example.com\r\n")
        );
        assert_eq!(v.signers.len(), 1);
        assert_eq!(
            v.signers[0].certificate.as_ref().unwrap().thumbprint(),
            w.alice.certificate().thumbprint()
        );
        // The chain up to the anchor was carried: the intermediate is in the message.
        assert!(v.message.signed.certificates.len() >= 2);
        assert_eq!(v.message.signed.signers[0].signing_time, Some(now()));
    }
}

#[test]
fn a_changed_byte_fails_with_a_clear_status() {
    let w = world();
    let signed = smime(&w)
        .sign(
            PLAIN,
            w.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    let at = signed
        .windows(15)
        .position(|x| x == b"the numbers are")
        .unwrap();
    let mut changed = signed.clone();
    changed[at] = b'T';
    let v = smime(&w).verify(&changed, now()).unwrap();
    assert!(!v.is_valid());
    assert_eq!(
        v.message.signed.signers[0].status,
        SignatureStatus::ContentChanged
    );
    assert!(
        v.message.signed.signers[0]
            .status
            .to_string()
            .contains("changed")
    );
    // Not a signed message at all: an error that says so.
    let e = verify_message(PLAIN, &[]).unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::Parse);
    assert!(e.to_string().contains("not signed"), "{e}");
}

#[test]
fn multipart_with_attachment_and_non_ascii_round_trips() {
    let w = world();
    let m = mixed();
    let signed = smime(&w)
        .sign(
            &m,
            w.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    let v = smime(&w).verify(&signed, now()).unwrap();
    assert!(v.is_valid(), "{v:?}");
    // The 8-bit text part was re-encoded as base64 before signing; it decodes to the text.
    let inner = &v.message.inner;
    let parts = multipart_parts(inner, "outer").unwrap();
    assert_eq!(parts.len(), 2);
    assert_eq!(
        mime::decoded_body(parts[0]).unwrap(),
        "Grüße, Jürgen — ✓".as_bytes()
    );
    let attachment: Vec<u8> = (0..20_000u32).map(|i| (i * 7919 % 251) as u8).collect();
    assert_eq!(mime::decoded_body(parts[1]).unwrap(), attachment);
    // Encryption carries the entity byte for byte (in CRLF form).
    let sent = smime(&w)
        .encrypt(&m, &[w.bob.certificate().clone()], &EncryptOptions::new())
        .unwrap();
    assert!(sent.starts_with(b"From: alice@example.com\r\n"));
    let opened = smime(&w).decrypt(&sent, &DecryptOptions::new()).unwrap();
    let split = mime::split_message(&m).unwrap();
    assert_eq!(*opened.inner, split.entity);
    assert_eq!(*opened.message, mime::join(&split.outer, &split.entity));
    assert_eq!(*to_crlf(&opened.message), **opened.message);
}

#[test]
fn sign_then_encrypt_and_decrypt_then_verify() {
    let w = world();
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm] {
        let sent = smime(&w)
            .sign_encrypt(
                PLAIN,
                w.alice.certificate(),
                &[w.bob.certificate().clone(), w.alice.certificate().clone()],
                SignatureForm::Opaque,
                &SignOptions::new(now()),
                &EncryptOptions::new().cipher(cipher),
            )
            .unwrap();
        let text = String::from_utf8_lossy(&sent);
        let want = if cipher.is_authenticated() {
            "smime-type=authEnveloped-data"
        } else {
            "smime-type=enveloped-data"
        };
        assert!(text.contains(want), "{text}");
        let (opened, v) = smime(&w)
            .decrypt_verify(&sent, now(), &DecryptOptions::new())
            .unwrap();
        assert_eq!(opened.authenticated, cipher.is_authenticated());
        let v = v.expect("signed inside");
        assert!(v.is_valid(), "{v:?}");
        assert!(v.message.inner.ends_with(b"the numbers are in.\r\n"));
    }
    // An unsigned encrypted message: no verification.
    let sent = smime(&w)
        .encrypt(
            PLAIN,
            &[w.bob.certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let (_, v) = smime(&w)
        .decrypt_verify(&sent, now(), &DecryptOptions::new())
        .unwrap();
    assert!(v.is_none());
}

#[test]
fn a_store_without_the_key_cannot_decrypt_and_without_the_signer_key_cannot_sign() {
    let w = world();
    let other = world();
    let sent = smime(&w)
        .encrypt(
            PLAIN,
            &[w.bob.certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let e = smime(&other)
        .decrypt(&sent, &DecryptOptions::new())
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound, "{e}");
    let e = smime(&other)
        .sign(
            PLAIN,
            w.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
    let e = smime(&w)
        .encrypt(PLAIN, &[], &EncryptOptions::new())
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::InvalidArgument);
    // Decrypting something that is not encrypted says so.
    let e = smime(&w)
        .decrypt(PLAIN, &DecryptOptions::new())
        .unwrap_err();
    assert!(e.to_string().contains("not encrypted"), "{e}");
}

#[test]
fn signers_from_another_store_are_untrusted_and_revoked_signers_invalid() {
    let w = world();
    let signed = smime(&w)
        .sign(
            PLAIN,
            w.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    // Another store does not trust Alice's CA: signature fine, certificate not valid.
    let other = world();
    let v = smime(&other).verify(&signed, now()).unwrap();
    assert!(v.signers[0].signature_valid);
    assert!(!v.is_valid());
    assert!(
        v.signers[0]
            .validation
            .as_ref()
            .unwrap()
            .reasons()
            .iter()
            .any(|r| matches!(
                r,
                Reason::NoPathToTrustAnchor { .. } | Reason::BadSignature { .. }
            )),
        "{v:?}"
    );
    // Alice revoked: the message no longer verifies as valid.
    CertificateAuthority::new(&w.store)
        .create_crl(
            &CrlSpec::new(w.ca_id).revoke_certificate(w.alice.certificate()),
            &FixedClock(now()),
        )
        .unwrap();
    let v = smime(&w).verify(&signed, now()).unwrap();
    assert!(v.signers[0].signature_valid);
    assert!(!v.is_valid());
    assert!(
        v.signers[0]
            .validation
            .as_ref()
            .unwrap()
            .reasons()
            .iter()
            .any(|r| matches!(r, Reason::Revoked { .. }))
    );
}

#[test]
fn a_signature_without_certificates_finds_the_signer_in_the_store() {
    let w = world();
    let key = w
        .store
        .read_transaction(|tx| tx.key_for_certificate(w.alice.certificate().thumbprint()))
        .unwrap()
        .unwrap();
    let signed = sign_message(
        PLAIN,
        w.alice.certificate(),
        &[],
        &key,
        SignatureForm::Detached,
        &SignOptions::new(now()).include_chain(false),
    )
    .unwrap();
    let v = smime(&w).verify(&signed, now()).unwrap();
    assert!(v.is_valid(), "{v:?}");
}

#[test]
fn gcm_is_chosen_when_every_recipient_announced_it() {
    let w = world();
    let bob_cert = w.bob.certificate().clone();
    let alice_cert = w.alice.certificate().clone();
    let cbc = smime(&w)
        .choose_cipher(std::slice::from_ref(&bob_cert), &EncryptOptions::new())
        .unwrap();
    assert_eq!(cbc.content_cipher(), ContentCipher::Aes256Cbc);
    // Bob signs a message (announcing what he decrypts, AES-GCM first); verifying it records
    // his capabilities.
    let from_bob = smime(&w)
        .sign(
            PLAIN,
            &bob_cert,
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    assert!(smime(&w).verify(&from_bob, now()).unwrap().is_valid());
    let chosen = smime(&w)
        .choose_cipher(std::slice::from_ref(&bob_cert), &EncryptOptions::new())
        .unwrap();
    assert_eq!(chosen.content_cipher(), ContentCipher::Aes256Gcm);
    let sent = smime(&w)
        .encrypt(
            PLAIN,
            std::slice::from_ref(&bob_cert),
            &EncryptOptions::new(),
        )
        .unwrap();
    assert!(String::from_utf8_lossy(&sent).contains("authEnveloped-data"));
    assert!(
        smime(&w)
            .decrypt(&sent, &DecryptOptions::new())
            .unwrap()
            .authenticated
    );
    // Alice is not known to read GCM: mail to both stays CBC.
    let both = smime(&w)
        .choose_cipher(&[bob_cert.clone(), alice_cert], &EncryptOptions::new())
        .unwrap();
    assert_eq!(both.content_cipher(), ContentCipher::Aes256Cbc);
    // A cipher the caller names is kept.
    let named = smime(&w)
        .choose_cipher(
            std::slice::from_ref(&bob_cert),
            &EncryptOptions::new().cipher(ContentCipher::Aes128Cbc),
        )
        .unwrap();
    assert_eq!(named.content_cipher(), ContentCipher::Aes128Cbc);
    // An invalid signature records nothing.
    let w2 = world();
    let mut tampered = smime(&w2)
        .sign(
            PLAIN,
            w2.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    let at = tampered
        .windows(15)
        .position(|x| x == b"the numbers are")
        .unwrap();
    tampered[at] = b'T';
    assert!(!smime(&w2).verify(&tampered, now()).unwrap().is_valid());
    assert_eq!(
        w2.store
            .read_transaction(|tx| tx.smime_capabilities(w2.alice.certificate().thumbprint()))
            .unwrap(),
        None
    );
}

/// A store over another that counts its write transactions.
struct CountingWrites<'a> {
    inner: &'a MemoryStore,
    writes: std::sync::atomic::AtomicUsize,
}

impl crate::store::Store for CountingWrites<'_> {
    fn transact(
        &self,
        f: &mut dyn FnMut(&mut dyn crate::store::Transaction) -> Result<()>,
    ) -> Result<()> {
        self.writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.inner.transact(f)
    }

    fn read(&self, f: &mut dyn FnMut(&dyn ReadTransaction) -> Result<()>) -> Result<()> {
        self.inner.read(f)
    }
}

/// A correspondent's capabilities are written once: verifying more mail that announces the
/// same list takes no write transaction; a changed list is written again.
#[test]
fn known_capabilities_are_not_written_again() {
    let w = world();
    let counting = CountingWrites {
        inner: &w.store,
        writes: Default::default(),
    };
    let writes = || counting.writes.load(std::sync::atomic::Ordering::Relaxed);
    let signed = |options: SignOptions| {
        smime(&w)
            .sign(
                PLAIN,
                w.alice.certificate(),
                SignatureForm::Detached,
                &options,
            )
            .unwrap()
    };
    let first = signed(SignOptions::new(now()));
    let s = Smime::new(&counting);
    assert!(s.verify(&first, now()).unwrap().is_valid());
    assert_eq!(writes(), 1, "the first message records the capabilities");
    for _ in 0..3 {
        assert!(s.verify(&first, now()).unwrap().is_valid());
    }
    assert_eq!(writes(), 1, "the same list again: nothing written");
    // A message announcing another list is recorded.
    let other = signed(SignOptions::new(now()).capabilities(vec![SmimeCapability::Aes128Cbc]));
    assert!(s.verify(&other, now()).unwrap().is_valid());
    assert_eq!(writes(), 2);
    assert_eq!(
        w.store
            .read_transaction(|tx| tx.smime_capabilities(w.alice.certificate().thumbprint()))
            .unwrap(),
        Some(
            [SmimeCapability::Aes128Cbc]
                .iter()
                .filter_map(SmimeCapability::object_identifier)
                .collect()
        )
    );
}

/// `entity` with its first Content-Type field (and any continuation lines) replaced by
/// `field` (a whole header line, without the line end); `extra` header lines are added.
fn relabel(message: &[u8], field: &str, extra: &str) -> Vec<u8> {
    let text = String::from_utf8(message.to_vec()).unwrap();
    let start = text.find("Content-Type: application/pkcs7-mime").unwrap();
    let end = start + text[start..].find("\r\n").unwrap() + 2;
    let mut end = end;
    while text[end..].starts_with(' ') || text[end..].starts_with('\t') {
        end += text[end..].find("\r\n").unwrap() + 2;
    }
    let mut rest = text[end..].to_string();
    // Drop the Content-Disposition the wrapper wrote, so `extra` decides.
    if let Some(d) = rest.find("Content-Disposition:") {
        let e = d + rest[d..].find("\r\n").unwrap() + 2;
        rest.replace_range(d..e, "");
    }
    format!("{}{field}\r\n{extra}{rest}", &text[..start]).into_bytes()
}

#[test]
fn octet_stream_p7m_and_wrong_smime_types_are_read_by_their_cms_content() {
    let w = world();
    let opaque = smime(&w)
        .sign(
            PLAIN,
            w.alice.certificate(),
            SignatureForm::Opaque,
            &SignOptions::new(now()),
        )
        .unwrap();
    let encrypted = smime(&w)
        .encrypt(
            PLAIN,
            &[w.bob.certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let gcm = smime(&w)
        .encrypt(
            PLAIN,
            &[w.bob.certificate().clone()],
            &EncryptOptions::new().cipher(ContentCipher::Aes256Gcm),
        )
        .unwrap();
    // How KMail and older Outlook label S/MIME, and smime-type wrong or missing.
    let labels = [
        (
            "Content-Type: application/octet-stream; name=\"smime.p7m\"",
            "",
        ),
        ("Content-Type: application/octet-stream; name=SMIME.P7M", ""),
        (
            "Content-Type: application/octet-stream",
            "Content-Disposition: attachment; filename=\"smime.p7m\"\r\n",
        ),
        (
            "Content-Type: application/pkcs7-mime; smime-type=enveloped-data",
            "",
        ),
        (
            "Content-Type: application/pkcs7-mime; smime-type=signed-data",
            "",
        ),
        ("Content-Type: application/pkcs7-mime", ""),
        (
            "Content-Type: application/x-pkcs7-mime; smime-type=certs-only",
            "",
        ),
    ];
    for (field, extra) in labels {
        let v = smime(&w)
            .verify(&relabel(&opaque, field, extra), now())
            .unwrap_or_else(|e| panic!("verify {field} {extra}: {e}"));
        assert!(v.is_valid(), "{field}: {v:?}");
        assert_eq!(v.message.form, SignatureForm::Opaque);
        for message in [&encrypted, &gcm] {
            let d = smime(&w)
                .decrypt(&relabel(message, field, extra), &DecryptOptions::new())
                .unwrap_or_else(|e| panic!("decrypt {field} {extra}: {e}"));
            assert!(d.message.ends_with(b"the numbers are in.\r\n"), "{field}");
        }
    }
    // Signed data is not encrypted, encrypted data is not signed, whatever the label says.
    let e = smime(&w)
        .decrypt(
            &relabel(
                &opaque,
                "Content-Type: application/pkcs7-mime; smime-type=enveloped-data",
                "",
            ),
            &DecryptOptions::new(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("not encrypted"), "{e}");
    let e = verify_message(
        &relabel(
            &encrypted,
            "Content-Type: application/octet-stream; name=smime.p7m",
            "",
        ),
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("not signed"), "{e}");
    // An octet-stream that is not named as S/MIME is just an attachment.
    let e = verify_message(
        &relabel(
            &opaque,
            "Content-Type: application/octet-stream; name=\"report.pdf\"",
            "",
        ),
        &[],
    )
    .unwrap_err();
    assert!(e.to_string().contains("not signed"), "{e}");
    // A signed message inside an octet-stream .p7m envelope is found by decrypt_verify.
    let relabelled_signed = relabel(
        &opaque,
        "Content-Type: application/octet-stream; name=smime.p7m",
        "",
    );
    let both = smime(&w)
        .encrypt(
            &relabelled_signed,
            &[w.bob.certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let (_, v) = smime(&w)
        .decrypt_verify(&both, now(), &DecryptOptions::new())
        .unwrap();
    assert!(v.expect("signed inside").is_valid());
}

#[test]
fn a_tampered_message_names_its_signer_and_is_judged_over_the_store() {
    let w = world();
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = smime(&w)
            .sign(PLAIN, w.alice.certificate(), form, &SignOptions::new(now()))
            .unwrap();
        // Detached: change the clear text; opaque: change the base64 of the content.
        let changed = match form {
            SignatureForm::Detached => {
                let at = signed
                    .windows(15)
                    .position(|x| x == b"the numbers are")
                    .unwrap();
                let mut c = signed.clone();
                c[at] = b'T';
                c
            }
            SignatureForm::Opaque => {
                // The content inside the SignedData, one byte changed in place.
                let v = verify_message(&signed, &[]).unwrap();
                let content = v.signed.content.clone();
                let mut changed_content = content.clone();
                let n = changed_content.len() - 3;
                changed_content[n] ^= 0x01;
                let body = mime::decoded_body(&split_message(&signed).unwrap().entity).unwrap();
                let at = body
                    .windows(content.len())
                    .position(|x| x == content.as_slice())
                    .unwrap();
                let mut der = body.clone();
                der[at..at + content.len()].copy_from_slice(&changed_content);
                let outer = split_message(&signed).unwrap().outer;
                join(&outer, &pkcs7_mime(&der, "signed-data"))
            }
        };
        let v = smime(&w).verify(&changed, now()).unwrap();
        assert!(!v.is_valid());
        assert_eq!(
            v.message.signed.signers[0].status,
            SignatureStatus::ContentChanged,
            "{form:?}"
        );
        let signer = &v.signers[0];
        assert_eq!(
            signer.certificate.as_ref().map(|c| *c.thumbprint()),
            Some(*w.alice.certificate().thumbprint()),
            "{form:?}: the signer is named"
        );
        assert!(!signer.signature_valid);
        assert!(
            signer.validation.as_ref().is_some_and(Validation::is_valid),
            "{form:?}: the certificate is judged on its own: {signer:?}"
        );
    }
}

#[test]
fn cms_signatures_carry_the_chain_and_verify_over_the_store() {
    let w = world();
    let data = b"\x00\x01binary data\xff";
    for detached in [true, false] {
        let der = smime(&w)
            .sign_cms(
                data,
                w.alice.certificate(),
                detached,
                &SignOptions::new(now()),
            )
            .unwrap();
        let content = detached.then_some(&data[..]);
        let found = crate::smime::verify_data(&der, content, &[]).unwrap();
        let subjects: Vec<&str> = found.certificates.iter().map(|c| c.subject()).collect();
        assert_eq!(subjects.len(), 2, "{subjects:?}");
        assert!(
            subjects.iter().any(|s| s.contains("Mail CA")),
            "{subjects:?}"
        );
        assert!(
            !subjects.iter().any(|s| s.contains("Mail Root")),
            "{subjects:?}"
        );
        let v = smime(&w)
            .verify_cms(&der, content, &VerifyOptions::new(now()))
            .unwrap();
        assert!(v.is_valid(), "{v:?}");
        assert_eq!(v.signed.content, data);
        // Not valid in another store (the CA is not trusted there), the same signature.
        let other = world();
        let v = smime(&other)
            .verify_cms(&der, content, &VerifyOptions::new(now()))
            .unwrap();
        assert!(v.signers[0].signature_valid && !v.is_valid());
    }
    let e = smime(&w)
        .sign_cms(data, w.bob.certificate(), true, &SignOptions::new(now()))
        .map(|_| ());
    assert!(e.is_ok(), "bob has a key in this store");
    let other = world();
    let e = smime(&other)
        .sign_cms(data, w.alice.certificate(), true, &SignOptions::new(now()))
        .unwrap_err();
    assert_eq!(e.kind(), crate::ErrorKind::NotFound);
}

#[test]
fn verify_options_set_the_time_the_revocation_mode_and_extra_certificates() {
    let w = world();
    let signed = smime(&w)
        .sign(
            PLAIN,
            w.alice.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap();
    // The time: after Alice's certificate expired, not valid; the signature itself is fine.
    let later = w.alice.certificate().not_after() + std::time::Duration::from_secs(86_400);
    let v = smime(&w)
        .verify_with(&signed, &VerifyOptions::new(later))
        .unwrap();
    assert!(v.signers[0].signature_valid && !v.is_valid());
    assert!(
        v.signers[0]
            .validation
            .as_ref()
            .unwrap()
            .reasons()
            .iter()
            .any(|r| matches!(r, Reason::Expired { .. })),
        "{v:?}"
    );
    // The revocation mode: no CRL yet. Best effort (the store's default): valid with a
    // warning; required: not valid.
    let v = smime(&w)
        .verify_with(&signed, &VerifyOptions::new(now()))
        .unwrap();
    assert!(v.is_valid(), "{v:?}");
    let required = VerifyOptions::new(now()).revocation(RevocationMode::Required);
    let v = smime(&w).verify_with(&signed, &required).unwrap();
    assert!(v.signers[0].signature_valid && !v.is_valid(), "{v:?}");
    // With a CRL of the issuing CA, required is satisfied.
    CertificateAuthority::new(&w.store)
        .create_crl(&CrlSpec::new(w.ca_id), &FixedClock(now()))
        .unwrap();
    let v = smime(&w).verify_with(&signed, &required).unwrap();
    assert!(v.is_valid(), "{v:?}");
    // The signer policy: its RSA minimum and SHA-1 rule apply (an EC signer is unaffected).
    let strict = VerifyOptions::new(now()).signer_policy(SignerPolicy::new().allow_sha1(false));
    assert!(smime(&w).verify_with(&signed, &strict).unwrap().is_valid());
}

#[test]
fn a_look_alike_certificate_does_not_hide_the_recipient_key() {
    use crate::ca::sign::{TbsParts, sign_certificate};
    use crate::key::{HashAlg, PrivateKey, SignatureScheme};
    let w = world();
    let bob = w.bob.certificate().clone();
    let sent = encrypt_message(PLAIN, std::slice::from_ref(&bob), &EncryptOptions::new()).unwrap();
    // Certificates with Bob's issuer and serial but another key (no key here), until one sorts
    // before Bob's in thumbprint order (the order stores list them in). Bob's thumbprint is
    // random: about 11 tries on average; 20,000 fail once in 20,000 runs.
    let look_alike = (0..20_000)
        .map(|_| {
            let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
            sign_certificate(
                TbsParts {
                    serial: bob.serial(),
                    issuer_der: bob.issuer_der(),
                    subject_der: bob.subject_der(),
                    spki_der: &key.public_key_der(),
                    not_before: now(),
                    not_after: crate::time::add_days(now(), 30),
                    extensions: Vec::new(),
                },
                &key,
                SignatureScheme::Ecdsa(HashAlg::Sha256),
            )
            .unwrap()
        })
        .find(|c| c.thumbprint() < bob.thumbprint())
        .expect("a look-alike that sorts first");
    w.store
        .transaction(|tx| tx.put_certificate(&look_alike))
        .unwrap();
    let found = w
        .store
        .read_transaction(|tx| tx.certificates_by_issuer_serial(bob.issuer_der(), bob.serial()))
        .unwrap();
    assert_eq!(found.len(), 2);
    assert_eq!(found[0].thumbprint(), look_alike.thumbprint());
    let opened = Smime::new(&w.store)
        .decrypt(&sent, &DecryptOptions::new())
        .unwrap();
    assert!(opened.recipient.matches(&bob));
    assert!(opened.inner.ends_with(b"the numbers are in.\r\n"));
}

// --- the streaming form ------------------------------------------------------------------------

/// A reader that hands out one byte per read: every chunk boundary the streaming layer can
/// meet (a CRLF split between reads, the blank line split, base64 quads split).
struct Trickle<'a>(&'a [u8]);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match (buf.first_mut(), self.0.split_first()) {
            (Some(slot), Some((b, rest))) => {
                *slot = *b;
                self.0 = rest;
                Ok(1)
            }
            _ => Ok(0),
        }
    }
}

/// A reader that fails once its bytes are read.
struct Failing<'a>(&'a [u8]);

impl std::io::Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.0.is_empty() {
            return Err(std::io::Error::other("the disk went away"));
        }
        let n = buf.len().min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

/// Inputs with every line-end form and shape the splitting has to handle.
fn stream_inputs() -> Vec<Vec<u8>> {
    vec![
        PLAIN.to_vec(),
        mixed(),
        b"From: a@example.com\rSubject: CR only\r\rbody\rline\n\r\nend\r".to_vec(),
        b"Content-Type: text/plain\r\n\r\nno outer header fields\r\n".to_vec(),
        b"Subject: no blank line, no body\n".to_vec(),
        b"\r\nonly a body\n".to_vec(),
        Vec::new(),
    ]
}

fn boundary_of(signed: &[u8]) -> String {
    let text = String::from_utf8_lossy(signed);
    let start = text.find("boundary=\"").unwrap() + "boundary=\"".len();
    let len = text[start..].find('"').unwrap();
    text[start..start + len].to_string()
}

/// What the streaming signer writes is what the in-memory steps (split, canonical form, CMS,
/// MIME wrapper) make of the same input, byte for byte, however the input arrives.
#[test]
fn streamed_signing_is_the_in_memory_form_byte_for_byte() {
    let w = world();
    let (cert, key) = (w.alice.certificate(), w.alice.key());
    let options = SignOptions::new(now());
    for input in stream_inputs() {
        let split = split_message(&input).unwrap();
        let canonical = mime::canonicalize(&split.entity).unwrap();
        for form in [SignatureForm::Detached, SignatureForm::Opaque] {
            let mut streamed = Vec::new();
            let written = sign_message_to(
                Trickle(&input),
                &mut streamed,
                cert,
                &[],
                key,
                form,
                &options,
            )
            .unwrap();
            assert_eq!(written, streamed.len() as u64);
            let detached = form == SignatureForm::Detached;
            let der = sign_data(&canonical, cert, &[], key, detached, &options).unwrap();
            let wrapped = match form {
                SignatureForm::Detached => {
                    let mut v = Vec::new();
                    mime::write_multipart_signed(
                        &mut v,
                        &boundary_of(&streamed),
                        &canonical,
                        &der,
                        "sha-256",
                    )
                    .unwrap();
                    v
                }
                SignatureForm::Opaque => pkcs7_mime(&der, "signed-data"),
            };
            assert_eq!(
                streamed,
                join(&split.outer, &wrapped),
                "{form:?} of {:?}",
                String::from_utf8_lossy(&input)
            );
            // The in-memory function gives the same, but for its own random boundary.
            let in_memory = sign_message(&input, cert, &[], key, form, &options).unwrap();
            let same = match form {
                SignatureForm::Detached => String::from_utf8_lossy(&in_memory)
                    .replace(&boundary_of(&in_memory), &boundary_of(&streamed))
                    .into_bytes(),
                SignatureForm::Opaque => in_memory,
            };
            assert_eq!(same, streamed);
            let v = verify_message(&streamed, &[]).unwrap();
            assert!(v.signed.all_signatures_valid());
            assert_eq!(v.inner, canonical.as_ref());
        }
    }
}

/// The streaming encryption writes the in-memory layout (outer fields, the
/// `application/pkcs7-mime` header, the DER in base64 lines), and the DER decrypts with the CMS
/// layer to exactly the entity the in-memory split gives; the streaming decryption of any
/// encrypted message writes what `decrypt_message` returns.
#[test]
fn streamed_encryption_and_decryption_match_the_in_memory_forms() {
    let w = world();
    let to = [w.bob.certificate().clone()];
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm] {
        let options = EncryptOptions::new().cipher(cipher);
        for input in stream_inputs() {
            let split = split_message(&input).unwrap();
            let mut streamed = Vec::new();
            let written =
                encrypt_message_to(Trickle(&input), &mut streamed, &to, &options).unwrap();
            assert_eq!(written, streamed.len() as u64);
            let body_at = streamed.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            let der = mime::decode_base64(&streamed[body_at..]).unwrap();
            let smime_type = if cipher.is_authenticated() {
                "authEnveloped-data"
            } else {
                "enveloped-data"
            };
            assert_eq!(streamed, join(&split.outer, &pkcs7_mime(&der, smime_type)));
            w.store
                .read_transaction(|tx| {
                    let d = decrypt_data(&der, &StoreKeys::new(tx), &DecryptOptions::new())?;
                    assert_eq!(*d.content, split.entity);
                    // Streamed decryption, one byte at a time, against the in-memory one.
                    let whole =
                        decrypt_message(&streamed, &StoreKeys::new(tx), &DecryptOptions::new())?;
                    let mut out = Vec::new();
                    let info = decrypt_message_to(
                        Trickle(&streamed),
                        &mut out,
                        &StoreKeys::new(tx),
                        &DecryptOptions::new(),
                    )?;
                    assert_eq!(out, *whole.message);
                    assert_eq!(out, join(&split.outer, &split.entity));
                    assert_eq!(info.written, out.len() as u64);
                    assert_eq!(info.inner_len, whole.inner.len());
                    assert_eq!(info.authenticated, cipher.is_authenticated());
                    assert_eq!(info.cipher, whole.cipher);
                    assert_eq!(info.recipient, whole.recipient);
                    Ok(())
                })
                .unwrap();
        }
    }
}

/// A 25 MiB message goes through streaming sign / verify and encrypt / decrypt intact.
#[test]
fn a_25_mib_message_round_trips_through_the_streaming_forms() {
    let w = world();
    let mut mail =
        b"From: alice@example.com\r\nTo: bob@example.com\r\nSubject: big\r\n\r\n".to_vec();
    let mut i = 0u32;
    while mail.len() < 25 * 1024 * 1024 {
        mail.extend_from_slice(format!("line {i:09} of a large message\n").as_bytes());
        i += 1;
    }
    let split = split_message(&mail).unwrap();

    let mut signed = Vec::new();
    sign_message_to(
        &mail[..],
        &mut signed,
        w.alice.certificate(),
        &[],
        w.alice.key(),
        SignatureForm::Detached,
        &SignOptions::new(now()),
    )
    .unwrap();
    let v = verify_message_from(&signed[..], &[], &SignerPolicy::new()).unwrap();
    assert!(v.signed.all_signatures_valid());
    assert_eq!(v.inner, split.entity);
    drop(signed);

    let mut sealed = Vec::new();
    encrypt_message_to(
        &mail[..],
        &mut sealed,
        &[w.bob.certificate().clone()],
        &EncryptOptions::new(),
    )
    .unwrap();
    let mut opened = Vec::new();
    smime(&w)
        .decrypt_to(&sealed[..], &mut opened, &DecryptOptions::new())
        .unwrap();
    assert_eq!(opened, join(&split.outer, &split.entity));
}

/// Truncated, damaged or unreadable input ends in a specific error, never a panic, and nothing
/// is written.
#[test]
fn bad_streamed_input_is_a_specific_error_and_writes_nothing() {
    let w = world();
    let to = [w.bob.certificate().clone()];
    let sealed = encrypt_message(PLAIN, &to, &EncryptOptions::new()).unwrap();
    w.store
        .read_transaction(|tx| {
            let keys = StoreKeys::new(tx);
            let cuts = [0, 20, sealed.len() / 2, sealed.len() - 40, sealed.len() - 3];
            for cut in cuts {
                let mut out = Vec::new();
                let e = decrypt_message_to(
                    Trickle(&sealed[..cut]),
                    &mut out,
                    &keys,
                    &DecryptOptions::new(),
                )
                .unwrap_err();
                assert!(
                    matches!(e.kind(), crate::ErrorKind::Parse),
                    "cut at {cut}: {e}"
                );
                assert!(out.is_empty());
            }
            // Garbage in the base64 body, and base64 that goes on after its padding.
            let body_at = sealed.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
            for garbage in [&b"*not base64*"[..], b"QUJD=QUJD\r\n", b"\xff\xfe\r\n"] {
                let mut bad = sealed[..body_at].to_vec();
                bad.extend_from_slice(garbage);
                let mut out = Vec::new();
                let e = decrypt_message_to(&bad[..], &mut out, &keys, &DecryptOptions::new())
                    .unwrap_err();
                assert!(matches!(e.kind(), crate::ErrorKind::Parse), "{e}");
                assert!(out.is_empty());
            }
            // A read that fails is an I/O error.
            let e = decrypt_message_to(
                Failing(&sealed[..100]),
                &mut Vec::new(),
                &keys,
                &DecryptOptions::new(),
            )
            .unwrap_err();
            assert!(matches!(e, Error::Io { .. }), "{e}");
            Ok(())
        })
        .unwrap();
    let mut out = Vec::new();
    let e = sign_message_to(
        Failing(PLAIN),
        &mut out,
        w.alice.certificate(),
        &[],
        w.alice.key(),
        SignatureForm::Detached,
        &SignOptions::new(now()),
    )
    .unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(out.is_empty());
    let e = encrypt_message_to(Failing(PLAIN), &mut out, &to, &EncryptOptions::new()).unwrap_err();
    assert!(matches!(e, Error::Io { .. }), "{e}");
    assert!(out.is_empty());
}

/// The limits of the in-memory layer hold on the streaming path: the header block size, the
/// number of header fields, the message size (counted as it is read).
#[test]
fn streamed_input_keeps_the_limits() {
    let w = world();
    let to = [w.bob.certificate().clone()];
    let mut long_head = b"From: alice@example.com\r\nX-Filler: ".to_vec();
    long_head.resize(mime::MAX_HEADER_BLOCK + 100, b'a');
    long_head.extend_from_slice(b"\r\n\r\nbody\r\n");
    let mut many_fields = Vec::new();
    for i in 0..=mime::MAX_HEADER_FIELDS {
        many_fields.extend_from_slice(format!("X-F{i}: v\r\n").as_bytes());
    }
    many_fields.extend_from_slice(b"\r\nbody\r\n");
    for input in [&long_head, &many_fields] {
        let mut out = Vec::new();
        let e = sign_message_to(
            &input[..],
            &mut out,
            w.alice.certificate(),
            &[],
            w.alice.key(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap_err();
        assert!(matches!(e, Error::LimitExceeded(_)), "{e}");
        let e = encrypt_message_to(&input[..], &mut out, &to, &EncryptOptions::new()).unwrap_err();
        assert!(matches!(e, Error::LimitExceeded(_)), "{e}");
        w.store
            .read_transaction(|tx| {
                let e = decrypt_message_to(
                    &input[..],
                    &mut out,
                    &StoreKeys::new(tx),
                    &DecryptOptions::new(),
                )
                .unwrap_err();
                assert!(matches!(e, Error::LimitExceeded(_)), "{e}");
                Ok(())
            })
            .unwrap();
        assert!(out.is_empty());
    }
    // The size limit: a reader that claims to fill every buffer is cut off at the limit,
    // without the bytes being kept anywhere.
    struct Endless;
    impl std::io::Read for Endless {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
    }
    let mut input = stream::Input::new(Endless);
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0usize;
    let e = loop {
        match input.read_chunk(&mut buf) {
            Ok(n) => total += n,
            Err(e) => break e,
        }
    };
    assert!(matches!(e, Error::LimitExceeded(_)), "{e}");
    assert!(total <= mime::MAX_MESSAGE);
}

// --- streaming verification --------------------------------------------------------------------

/// Verification as the in-memory layer did it before it ran on the streaming one: the whole
/// message split, the parts cut from the entity, the CMS layer given the content. The
/// reference the streaming verification is held to.
fn reference_verify(
    message: &[u8],
    extra: &[Certificate],
    policy: &SignerPolicy,
) -> Result<VerifiedMessage> {
    let split = split_message(message)?;
    let t = entity_type(&split.entity)?;
    if is_multipart_signed(&t) {
        let boundary = t.boundary.as_deref().ok_or_else(|| {
            Error::malformed("S/MIME message", "multipart/signed without a boundary")
        })?;
        let parts = multipart_parts(&split.entity, boundary)?;
        let [content, signature] = parts.as_slice() else {
            return Err(Error::malformed(
                "S/MIME message",
                format!("multipart/signed has {} parts instead of 2", parts.len()),
            ));
        };
        let sig_type = entity_type(signature)?;
        if !sig_type.mime_type.ends_with("pkcs7-signature")
            && !sig_type.is_named_smime(&["p7s", "p7m"])
        {
            return Err(Error::malformed(
                "S/MIME message",
                format!(
                    "the signature part is {} (expected application/pkcs7-signature)",
                    sig_type.mime_type
                ),
            ));
        }
        let der = decoded_body(signature)?;
        let signed = verify_data_with(&der, Some(content), extra, policy)?;
        let inner = content.to_vec();
        return Ok(VerifiedMessage {
            message: join(&split.outer, &inner),
            inner,
            form: SignatureForm::Detached,
            signed,
        });
    }
    match cms_body(&split.entity, &t)? {
        Some((_, CmsKind::Enveloped | CmsKind::AuthEnveloped)) => Err(Error::malformed(
            "S/MIME message",
            format!(
                "it is not signed (its type is {}, and it is encrypted: decrypt it first)",
                t.mime_type
            ),
        )),
        Some((der, _)) => {
            let signed = verify_data_with(&der, None, extra, policy)?;
            let inner = signed.content.clone();
            Ok(VerifiedMessage {
                message: join(&split.outer, &inner),
                inner,
                form: SignatureForm::Opaque,
                signed,
            })
        }
        None => Err(Error::malformed(
            "S/MIME message",
            format!("it is not signed (its type is {})", t.mime_type),
        )),
    }
}

/// What a verification found, comparable: the message, the entity, the form, the
/// certificates carried and every signer's report (status, certificate, digest, ...).
fn outcome(r: &Result<VerifiedMessage>) -> String {
    match r {
        Ok(v) => format!(
            "message {:?}\ninner {:?}\nform {:?}\ncontent {:?}\ncertificates {:?}\nsigners {:?}",
            String::from_utf8_lossy(&v.message),
            String::from_utf8_lossy(&v.inner),
            v.form,
            String::from_utf8_lossy(&v.signed.content),
            v.signed
                .certificates
                .iter()
                .map(|c| *c.thumbprint())
                .collect::<Vec<_>>(),
            v.signed.signers
        ),
        Err(e) => format!("error {:?}: {e}", e.kind()),
    }
}

/// Every form the verification has to handle: detached and opaque over each streaming input,
/// two signers (one of them not carried but given), a changed signature, changed content,
/// 8-bit content signed as it stands, the whole message in LF form (as a Unix mailbox keeps
/// it), a changed byte of an opaque SignedData, and messages that are not signed or do not
/// parse.
fn signed_cases(w: &World) -> Vec<(String, Vec<u8>)> {
    let (cert, key) = (w.alice.certificate(), w.alice.key());
    let options = SignOptions::new(now());
    let mut cases = Vec::new();
    for (i, input) in stream_inputs().into_iter().enumerate() {
        for form in [SignatureForm::Detached, SignatureForm::Opaque] {
            let signed = sign_message(&input, cert, &[], key, form, &options).unwrap();
            cases.push((format!("input {i} {form:?}"), signed));
        }
    }
    let detached = sign_message(PLAIN, cert, &[], key, SignatureForm::Detached, &options).unwrap();
    let opaque = sign_message(PLAIN, cert, &[], key, SignatureForm::Opaque, &options).unwrap();
    // Two signers over the same entity, both forms.
    let entity = split_message(PLAIN).unwrap().entity;
    let both: [(&Certificate, &dyn Signer); 2] = [(cert, key), (w.bob.certificate(), w.bob.key())];
    let two = crate::smime::signed::sign_data_by_each(&entity, &both, true, &options).unwrap();
    let mut m = b"Subject: two signers\r\n".to_vec();
    mime::write_multipart_signed(&mut m, "two-signers", &entity, &two, "sha-256").unwrap();
    cases.push(("two signers detached".into(), m));
    let two = crate::smime::signed::sign_data_by_each(&entity, &both, false, &options).unwrap();
    let mut m = b"Subject: two signers\r\n".to_vec();
    mime::write_pkcs7_mime(&mut m, &[&two], "signed-data").unwrap();
    cases.push(("two signers opaque".into(), m));
    // A changed signature: the last byte of the DER (the end of the signature value).
    let marker = b"Signature\r\n\r\n";
    let sig_at = detached
        .windows(marker.len())
        .position(|x| x == marker)
        .unwrap()
        + marker.len();
    let close = format!("\r\n--{}--", boundary_of(&detached)).into_bytes();
    let body_end = sig_at
        + detached[sig_at..]
            .windows(close.len())
            .position(|x| x == close.as_slice())
            .unwrap();
    let mut der = mime::decode_base64(&detached[sig_at..body_end]).unwrap();
    *der.last_mut().unwrap() ^= 0x01;
    let mut m = detached[..sig_at].to_vec();
    m.extend_from_slice(&mime::encode_base64(&der));
    m.extend_from_slice(&detached[body_end..]);
    cases.push(("changed signature".into(), m));
    // Changed content.
    let mut m = detached.clone();
    let p = m.windows(15).position(|x| x == b"the numbers are").unwrap();
    m[p] = b'T';
    cases.push(("changed content".into(), m));
    // 8-bit content in a multipart/signed as another client may send it (not re-encoded).
    let eight = "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nGrüße — ✓\r\n".as_bytes();
    let der = sign_data(eight, cert, &[], key, true, &options).unwrap();
    let mut m = b"From: a@example.com\r\n".to_vec();
    mime::write_multipart_signed(&mut m, "eight-bit", eight, &der, "sha-256").unwrap();
    cases.push(("8-bit".into(), m));
    // LF line ends everywhere (base64 and the content made CRLF again as they are read).
    for (name, m) in [("LF detached", &detached), ("LF opaque", &opaque)] {
        let lf = String::from_utf8_lossy(m)
            .replace("\r\n", "\n")
            .into_bytes();
        cases.push((name.into(), lf));
    }
    // A changed byte inside the opaque SignedData (the content or the DER around it).
    let body_at = opaque.windows(4).position(|x| x == b"\r\n\r\n").unwrap() + 4;
    let der = mime::decode_base64(&opaque[body_at..]).unwrap();
    for at in [0, 5, der.len() / 3, der.len() / 2, der.len() - 1] {
        let mut d = der.clone();
        d[at] ^= 0x04;
        let mut m = opaque[..body_at].to_vec();
        m.extend_from_slice(&mime::encode_base64(&d));
        cases.push((format!("opaque DER byte {at} changed"), m));
    }
    // Not signed, encrypted, three parts, no boundary, truncated.
    cases.push(("plain".into(), PLAIN.to_vec()));
    let sealed = encrypt_message(
        PLAIN,
        &[w.bob.certificate().clone()],
        &EncryptOptions::new(),
    )
    .unwrap();
    cases.push(("encrypted".into(), sealed));
    let text = String::from_utf8_lossy(&detached).into_owned();
    let b = boundary_of(&detached);
    let three = text.replacen(
        &format!("--{b}\r\n"),
        &format!("--{b}\r\nContent-Type: text/plain\r\n\r\nextra\r\n--{b}\r\n"),
        1,
    );
    cases.push(("three parts".into(), three.into_bytes()));
    cases.push((
        "no boundary".into(),
        text.replacen(&format!("boundary=\"{b}\""), "x=y", 1)
            .into_bytes(),
    ));
    for (m, cut) in [
        (&detached, detached.len() / 2),
        (&detached, detached.len() - 20),
        (&opaque, opaque.len() / 2),
    ] {
        cases.push((format!("truncated at {cut}"), m[..cut].to_vec()));
    }
    cases
}

/// The streaming verification (read whole or a byte at a time, the content kept or written
/// out) finds what the reference in-memory verification finds on the same bytes: the same
/// message and entity, the same signers with the same statuses, the same errors.
#[test]
fn streamed_verification_finds_what_the_in_memory_form_finds() {
    let w = world();
    let policy = SignerPolicy::new();
    let extra = [w.bob.certificate().clone()];
    let mut statuses = std::collections::BTreeSet::new();
    for (name, message) in signed_cases(&w) {
        let reference = reference_verify(&message, &extra, &policy);
        let expected = outcome(&reference);
        assert_eq!(
            outcome(&verify_message_with(&message, &extra, &policy)),
            expected,
            "{name}: verify_message_with"
        );
        assert_eq!(
            outcome(&verify_message_from(Trickle(&message), &extra, &policy)),
            expected,
            "{name}: verify_message_from, one byte at a time"
        );
        let mut out = Vec::new();
        let to = verify_message_to(Trickle(&message), &mut out, &extra, &policy);
        match (&reference, to) {
            (Ok(v), Ok(info)) => {
                assert_eq!(out, v.message, "{name}: written");
                assert_eq!(info.written, out.len() as u64, "{name}");
                assert_eq!(info.inner_len, v.inner.len(), "{name}");
                assert_eq!(info.form, v.form, "{name}");
                assert_eq!(
                    format!("{:?}", info.signers),
                    format!("{:?}", v.signed.signers),
                    "{name}: signers"
                );
                assert_eq!(info.certificates.len(), v.signed.certificates.len());
                assert_eq!(
                    info.all_signatures_valid(),
                    v.signed.all_signatures_valid(),
                    "{name}"
                );
                for s in &v.signed.signers {
                    statuses.insert(
                        format!("{:?}", s.status)
                            .chars()
                            .take(12)
                            .collect::<String>(),
                    );
                }
            }
            (Err(e), Err(f)) => {
                assert_eq!(format!("{e}"), format!("{f}"), "{name}: error");
                assert!(out.is_empty(), "{name}: written on an error");
            }
            (r, t) => panic!(
                "{name}: reference {} but verify_message_to {t:?}",
                outcome(r)
            ),
        }
    }
    // The cases reach valid, changed-content and bad-signature verdicts.
    let joined = statuses.into_iter().collect::<Vec<_>>().join(",");
    for s in ["Valid", "ContentChang", "BadSignature"] {
        assert!(joined.contains(s), "{s} not reached: {joined}");
    }
}

/// A failed write and a failed read are I/O errors; a verdict is not an error and the content
/// is written with it.
#[test]
fn streamed_verification_reports_io_errors_and_writes_bad_content_with_its_verdict() {
    let w = world();
    let signed = sign_message(
        PLAIN,
        w.alice.certificate(),
        &[],
        w.alice.key(),
        SignatureForm::Detached,
        &SignOptions::new(now()),
    )
    .unwrap();
    let e = verify_message_to(
        Failing(&signed[..signed.len() / 2]),
        Vec::new(),
        &[],
        &SignerPolicy::new(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            Error::Io {
                action: "cannot read",
                ..
            }
        ),
        "{e}"
    );
    struct Full;
    impl Write for Full {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("disk full"))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let e = verify_message_to(&signed[..], Full, &[], &SignerPolicy::new()).unwrap_err();
    assert!(
        matches!(
            e,
            Error::Io {
                action: "cannot write",
                ..
            }
        ),
        "{e}"
    );
    let mut changed = signed.clone();
    let p = changed
        .windows(15)
        .position(|x| x == b"the numbers are")
        .unwrap();
    changed[p] = b'T';
    let mut out = Vec::new();
    let info = verify_message_to(&changed[..], &mut out, &[], &SignerPolicy::new()).unwrap();
    assert!(!info.all_signatures_valid());
    assert_eq!(info.signers[0].status, SignatureStatus::ContentChanged);
    assert!(out.ends_with(b"The numbers are in.\r\n"));
}

/// An opaque signature of a 25 MiB message, streamed out, verifies streamed, and the content
/// written is the entity that was signed.
#[test]
fn a_25_mib_opaque_signature_round_trips_through_the_streaming_forms() {
    let w = world();
    let mut mail = b"From: alice@example.com\r\nSubject: big\r\n\r\n".to_vec();
    let mut i = 0u32;
    while mail.len() < 25 * 1024 * 1024 {
        mail.extend_from_slice(format!("line {i:09} of a large message\n").as_bytes());
        i += 1;
    }
    let split = split_message(&mail).unwrap();
    let mut signed = Vec::new();
    sign_message_to(
        &mail[..],
        &mut signed,
        w.alice.certificate(),
        &[],
        w.alice.key(),
        SignatureForm::Opaque,
        &SignOptions::new(now()),
    )
    .unwrap();
    let mut out = Vec::new();
    let info = verify_message_to(&signed[..], &mut out, &[], &SignerPolicy::new()).unwrap();
    assert!(info.all_signatures_valid());
    assert_eq!(info.form, SignatureForm::Opaque);
    assert_eq!(out, join(&split.outer, &split.entity));
}
