use std::time::SystemTime;

use super::*;
use crate::ca::{CaSpec, CertificateAuthority, CrlSpec, DistinguishedName, IssueSpec, Issued};
use crate::key::KeySpec;
use crate::smime::mime::{multipart_parts, to_crlf};
use crate::smime::{ContentCipher, DecryptOptions, EncryptOptions, SignOptions, SignatureStatus};
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
