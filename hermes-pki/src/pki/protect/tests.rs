use std::sync::Arc;
use std::time::SystemTime;

use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, DistinguishedName, IssueSpec, Issued};
use crate::key::KeySpec;
use crate::settings::SettingValue;
use crate::smime::{DecryptOptions, KeyList, RecipientId, decrypt_message};
use crate::store::{CertificateFilter, MemoryStore};
use crate::time::{FixedClock, from_unix_seconds};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

fn now() -> SystemTime {
    from_unix_seconds(NOW)
}

const PLAIN: &[u8] = b"From: alice@example.com\nTo: bob@example.com, carol@example.org\nSubject: Numbers\n\nHello,\nthe numbers are in.\n";

struct World {
    pki: Pki,
    alice: Issued,
    bob: Issued,
}

/// A memory store with a CA, and certificates (with keys) for alice and bob@example.com.
fn world() -> World {
    let pki = Pki::new(MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Mail Root")).key(KeySpec::EcP256),
            &FixedClock(now()),
        )
        .unwrap();
    let alice = issue(&pki, "alice@example.com");
    let bob = issue(&pki, "bob@example.com");
    World { pki, alice, bob }
}

fn issue(pki: &Pki, email: &str) -> Issued {
    pki.ca()
        .issue(
            &IssueSpec::new(email, email).key(KeySpec::EcP256),
            &FixedClock(now()),
        )
        .unwrap()
}

fn set(pki: &Pki, scope: SettingScope, key: SettingKey, value: &str) {
    pki.settings().set_text(&scope, key, value).unwrap();
}

fn protect(w: &World, to: &[&str]) -> Result<Protected> {
    w.pki
        .protect(PLAIN, "alice@example.com", to, &ProtectOptions::new(now()))
}

/// Decrypts `message` with the key of `cert` alone (read from the store).
fn decrypt_with(pki: &Pki, message: &[u8], cert: &Certificate) -> crate::smime::DecryptedMessage {
    let key = pki
        .store()
        .read_transaction(|tx| tx.key_for_certificate(cert.thumbprint()))
        .unwrap()
        .expect("the key is stored");
    let keys = KeyList::new().with(cert.clone(), Arc::new(key)).unwrap();
    decrypt_message(message, &keys, &DecryptOptions::new()).unwrap()
}

#[test]
fn signs_and_encrypts_to_one_recipient() {
    let w = world();
    let p = protect(&w, &["bob@Example.COM"]).unwrap();
    match &p.signing {
        Signing::Signed { certificate, why } => {
            assert_eq!(certificate.thumbprint(), w.alice.certificate().thumbprint());
            assert_eq!(*why, Why::Automatic);
        }
        other => panic!("not signed: {other:?}"),
    }
    assert_eq!(p.messages.len(), 1);
    let m = &p.messages[0];
    assert!(m.signed);
    assert_eq!(m.cipher, Some(ContentCipher::Aes256Cbc));
    assert_eq!(m.encrypted_to, vec![*w.bob.certificate().thumbprint()]);
    assert_eq!(
        m.recipients,
        vec![EmailAddress::new("bob@example.com").unwrap()]
    );
    let r = &p.recipients[0];
    assert!(r.encrypted);
    assert!(r.why_not.is_none());
    assert_eq!(r.message, 0);
    assert_eq!(r.policy, (EncryptPolicy::IfPossible, Source::Default));
    assert_eq!(
        r.certificates,
        vec![(*w.bob.certificate().thumbprint(), Why::Automatic)]
    );

    let text = String::from_utf8_lossy(&m.message);
    assert!(text.contains("smime-type=enveloped-data"), "{text}");
    assert!(!text.contains("the numbers are in"));
    let (opened, v) = w
        .pki
        .smime()
        .decrypt_verify(&m.message, now(), &DecryptOptions::new())
        .unwrap();
    assert_eq!(
        opened.recipient,
        RecipientId::of_certificate(w.bob.certificate())
    );
    let v = v.expect("signed inside");
    assert!(v.is_valid(), "{v:?}");
    assert_eq!(
        v.signers[0].certificate.as_ref().map(|c| *c.thumbprint()),
        Some(*w.alice.certificate().thumbprint())
    );
    assert!(v.message.inner.ends_with(b"the numbers are in.\r\n"));
    // Detached by default.
    assert!(String::from_utf8_lossy(&opened.inner).contains("multipart/signed"));
}

#[test]
fn recipients_with_and_without_a_certificate_get_two_messages() {
    let w = world();
    let p = protect(&w, &["carol@example.org", "bob@example.com"]).unwrap();
    assert_eq!(p.messages.len(), 2);
    // The encrypted group first, then the plain (signed) one.
    let (enc, plain) = (&p.messages[0], &p.messages[1]);
    assert_eq!(
        enc.recipients,
        vec![EmailAddress::new("bob@example.com").unwrap()]
    );
    assert!(enc.cipher.is_some());
    assert_eq!(
        plain.recipients,
        vec![EmailAddress::new("carol@example.org").unwrap()]
    );
    assert_eq!(plain.cipher, None);
    assert!(plain.signed);
    assert!(plain.encrypted_to.is_empty());
    let v = w.pki.smime().verify(&plain.message, now()).unwrap();
    assert!(v.is_valid(), "{v:?}");

    // Outcomes in the order given.
    let carol = &p.recipients[0];
    assert_eq!(carol.recipient.as_str(), "carol@example.org");
    assert!(!carol.encrypted);
    assert!(matches!(carol.why_not, Some(NotEncrypted::NoCertificate)));
    assert!(carol.certificates.is_empty());
    assert_eq!(carol.message, 1);
    let bob = &p.recipients[1];
    assert!(bob.encrypted);
    assert_eq!(bob.message, 0);
}

#[test]
fn required_without_a_certificate_refuses_naming_the_recipient() {
    let w = world();
    set(
        &w.pki,
        SettingScope::domain("example.org").unwrap(),
        SettingKey::Encrypt,
        "required",
    );
    let users_before = w.pki.settings().users().unwrap();
    let certs_before = w
        .pki
        .store()
        .read_transaction(|tx| tx.list_certificates(&CertificateFilter::default()))
        .unwrap()
        .len();

    let err = protect(
        &w,
        &["bob@example.com", "carol@example.org", "dave@example.org"],
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted);
    let text = err.to_string();
    assert!(text.contains("carol@example.org (domain)"), "{text}");
    assert!(text.contains("dave@example.org"), "{text}");
    assert!(!text.contains("bob@example.com"), "{text}");
    assert!(text.contains("no certificate for the address"), "{text}");

    assert_eq!(w.pki.settings().users().unwrap(), users_before);
    let certs_after = w
        .pki
        .store()
        .read_transaction(|tx| tx.list_certificates(&CertificateFilter::default()))
        .unwrap()
        .len();
    assert_eq!(certs_after, certs_before);

    // Bob alone, required too, has a certificate: fine.
    set(
        &w.pki,
        SettingScope::Global,
        SettingKey::Encrypt,
        "required",
    );
    let p = protect(&w, &["bob@example.com"]).unwrap();
    assert!(p.recipients[0].encrypted);
}

#[test]
fn required_names_why_the_certificates_were_left_out() {
    let w = world();
    let bob = SettingScope::user("bob@example.com").unwrap();
    set(&w.pki, bob.clone(), SettingKey::Encrypt, "required");
    set(&w.pki, bob, SettingKey::AutoSelect, "off");
    let err = protect(&w, &["bob@example.com"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted);
    let text = err.to_string();
    assert!(text.contains("bob@example.com (user)"), "{text}");
    assert!(text.contains("auto-select is off"), "{text}");
}

#[test]
fn encrypt_never_sends_plain_even_with_a_certificate() {
    let w = world();
    set(
        &w.pki,
        SettingScope::user("bob@example.com").unwrap(),
        SettingKey::Encrypt,
        "never",
    );
    let p = protect(&w, &["bob@example.com"]).unwrap();
    assert_eq!(p.messages.len(), 1);
    assert_eq!(p.messages[0].cipher, None);
    let r = &p.recipients[0];
    assert!(!r.encrypted);
    assert!(matches!(
        r.why_not,
        Some(NotEncrypted::SettingNever {
            source: Source::User
        })
    ));
}

#[test]
fn sign_off_encrypts_without_signing() {
    let w = world();
    set(
        &w.pki,
        SettingScope::user("alice@example.com").unwrap(),
        SettingKey::Sign,
        "off",
    );
    let p = protect(&w, &["bob@example.com"]).unwrap();
    assert!(matches!(
        p.signing,
        Signing::NotSigned(NotSigned::SettingOff {
            source: Source::User
        })
    ));
    assert!(!p.messages[0].signed);
    let (_, v) = w
        .pki
        .smime()
        .decrypt_verify(&p.messages[0].message, now(), &DecryptOptions::new())
        .unwrap();
    assert!(v.is_none(), "signed although sign is off");
}

#[test]
fn a_sender_without_a_certificate_sends_unsigned_and_says_why() {
    let w = world();
    let p = w
        .pki
        .protect(
            PLAIN,
            "dave@example.org",
            &["carol@example.org"],
            &ProtectOptions::new(now()),
        )
        .unwrap();
    assert!(matches!(
        p.signing,
        Signing::NotSigned(NotSigned::NoCertificate)
    ));
    assert!(!p.signing.is_signed());
    assert_eq!(p.messages.len(), 1);
    assert_eq!(
        p.messages[0].message, PLAIN,
        "nothing to do: the message as given"
    );
}

#[test]
fn domain_escrow_is_an_extra_recipient_info() {
    let w = world();
    let escrow = issue(&w.pki, "escrow@example.net");
    w.pki
        .settings()
        .set(
            &SettingScope::domain("example.com").unwrap(),
            SettingKey::AdditionalCertificates,
            &SettingValue::Thumbprints(vec![*escrow.certificate().thumbprint()]),
        )
        .unwrap();
    let p = protect(&w, &["bob@example.com", "carol@example.org"]).unwrap();
    let enc = &p.messages[0];
    assert_eq!(
        enc.encrypted_to,
        vec![
            *w.bob.certificate().thumbprint(),
            *escrow.certificate().thumbprint()
        ]
    );
    assert_eq!(
        p.recipients[0].certificates[1],
        (
            *escrow.certificate().thumbprint(),
            Why::Additional {
                source: Source::Domain
            }
        )
    );
    // The escrow key alone opens it, and so does Bob's.
    let by_escrow = decrypt_with(&w.pki, &enc.message, escrow.certificate());
    assert_eq!(
        by_escrow.recipient,
        RecipientId::of_certificate(escrow.certificate())
    );
    assert!(String::from_utf8_lossy(&by_escrow.inner).contains("the numbers are in"));
    let by_bob = decrypt_with(&w.pki, &enc.message, w.bob.certificate());
    assert_eq!(*by_bob.inner, *by_escrow.inner);
    // Carol (example.org, no certificate) is not encrypted: escrow alone does not encrypt.
    assert!(!p.recipients[1].encrypted);
    assert_eq!(p.messages[1].cipher, None);
}

#[test]
fn cipher_setting_gcm_makes_auth_enveloped_data() {
    let w = world();
    set(&w.pki, SettingScope::Global, SettingKey::Cipher, "aes-gcm");
    let p = protect(&w, &["bob@example.com"]).unwrap();
    let m = &p.messages[0];
    assert_eq!(m.cipher, Some(ContentCipher::Aes256Gcm));
    assert!(String::from_utf8_lossy(&m.message).contains("smime-type=authEnveloped-data"));
    let opened = decrypt_with(&w.pki, &m.message, w.bob.certificate());
    assert!(opened.authenticated);
}

#[test]
fn recipients_with_different_ciphers_get_different_messages() {
    let w = world();
    let carol = issue(&w.pki, "carol@example.org");
    set(
        &w.pki,
        SettingScope::user("carol@example.org").unwrap(),
        SettingKey::Cipher,
        "aes-gcm",
    );
    let p = protect(
        &w,
        &["carol@example.org", "bob@example.com", "bob@example.com"],
    )
    .unwrap();
    assert_eq!(p.recipients.len(), 2, "a repeated address counts once");
    assert_eq!(p.messages.len(), 2);
    // By cipher setting: aes-gcm (Carol) before auto (Bob, nothing announced: AES-CBC).
    assert_eq!(p.messages[0].cipher, Some(ContentCipher::Aes256Gcm));
    assert_eq!(
        p.messages[0].encrypted_to,
        vec![*carol.certificate().thumbprint()]
    );
    assert_eq!(p.messages[1].cipher, Some(ContentCipher::Aes256Cbc));
    assert_eq!(
        p.messages[1].encrypted_to,
        vec![*w.bob.certificate().thumbprint()]
    );
    assert_eq!(p.recipients[0].message, 0);
    assert_eq!(p.recipients[1].message, 1);
}

#[test]
fn signature_hash_and_opaque_form_are_applied() {
    let w = world();
    set(
        &w.pki,
        SettingScope::Global,
        SettingKey::SignatureHash,
        "sha512",
    );
    set(&w.pki, SettingScope::Global, SettingKey::Encrypt, "never");
    let p = w
        .pki
        .protect(
            PLAIN,
            "alice@example.com",
            &["bob@example.com"],
            &ProtectOptions::new(now()).form(SignatureForm::Detached),
        )
        .unwrap();
    let text = String::from_utf8_lossy(&p.messages[0].message);
    assert!(text.contains("micalg=sha-512"), "{text}");
    let p = w
        .pki
        .protect(
            PLAIN,
            "alice@example.com",
            &["bob@example.com"],
            &ProtectOptions::new(now()).form(SignatureForm::Opaque),
        )
        .unwrap();
    let text = String::from_utf8_lossy(&p.messages[0].message);
    assert!(text.contains("smime-type=signed-data"), "{text}");
}

#[test]
fn bad_addresses_and_no_recipients_are_refused() {
    let w = world();
    let err = protect(&w, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    let err = protect(&w, &["not an address"]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("not an address"), "{err}");
    let err = w
        .pki
        .protect(
            PLAIN,
            "nobody",
            &["bob@example.com"],
            &ProtectOptions::new(now()),
        )
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("sender"), "{err}");
}
