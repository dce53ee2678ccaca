use super::*;
use crate::ca::Issued;
use crate::pki::test_io::{now, pki_with};
use crate::settings::{SettingKey, SettingScope, SettingValue};
use crate::smime::{ContentCipher, EncryptOptions, SignOptions, SignatureForm};
use crate::store::StoreExt;

const FROM_ALICE: &[u8] = b"From: Alice <alice@example.com>\nTo: bob@example.com\nSubject: numbers\n\nHello Bob,\nthe numbers are in.\n";
const FROM_BOB: &[u8] =
    b"From: bob@example.com\nTo: carol@example.com\nSubject: not me\n\nSigned by Alice.\n";

fn sign(pki: &Pki, message: &[u8], signer: &Issued) -> Vec<u8> {
    pki.smime()
        .sign(
            message,
            signer.certificate(),
            SignatureForm::Detached,
            &SignOptions::new(now()),
        )
        .unwrap()
}

fn open(pki: &Pki, message: &[u8]) -> Opened {
    pki.open_message(message, &OpenOptions::new(now())).unwrap()
}

fn processed(o: Opened) -> OpenedMessage {
    match o {
        Opened::Processed(m) => m,
        other => panic!("expected processed, got {other:?}"),
    }
}

fn count(pki: &Pki) -> u64 {
    pki.store()
        .read_transaction(|tx| tx.count_certificates())
        .unwrap()
}

#[test]
fn a_signature_by_the_sender_is_valid_and_the_outer_header_is_kept_apart() {
    let (pki, users) = pki_with(&["alice@example.com"]);
    let signed = sign(&pki, FROM_ALICE, &users[0]);
    let m = processed(open(&pki, &signed));
    assert!(m.is_valid() && m.is_signed() && !m.is_encrypted(), "{m:?}");
    assert_eq!(m.layers.len(), 1);
    let signers: Vec<_> = m.signers().collect();
    assert_eq!(signers.len(), 1);
    assert_eq!(signers[0].verdict, SignerStatus::Valid);
    assert_eq!(
        signers[0].certificate.as_ref().map(|c| c.thumbprint()),
        Some(users[0].certificate().thumbprint())
    );
    assert_eq!(m.senders, vec!["alice@example.com".to_string()]);
    // The signed entity does not hold the outer fields; they are reported apart.
    assert!(
        m.outer_header
            .starts_with(b"From: Alice <alice@example.com>\r\n")
    );
    assert!(!m.entity.windows(5).any(|w| w == b"From:"));
    assert!(m.entity.ends_with(b"the numbers are in.\r\n"));
    assert!(
        m.message
            .starts_with(b"From: Alice <alice@example.com>\r\n")
    );
    assert!(m.message.ends_with(b"the numbers are in.\r\n"));
    // No informational fields unless asked.
    assert!(!m.message.windows(9).any(|w| w == b"X-Hermes-"));
}

#[test]
fn a_valid_signature_by_someone_else_is_signer_is_not_the_sender() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let signed = sign(&pki, FROM_BOB, &users[0]);
    let m = processed(open(&pki, &signed));
    assert!(!m.is_valid());
    let signer = m.signers().next().unwrap();
    assert_eq!(
        signer.verdict,
        SignerStatus::NotValid(vec![NotValidReason::SignerIsNotSender {
            signer: vec!["alice@example.com".into()],
            senders: vec!["bob@example.com".into()],
        }])
    );
    // A Sender field naming the signer makes it the sender (RFC 8550 3.1).
    let with_sender = [b"Sender: alice@example.com\n".as_slice(), FROM_BOB].concat();
    let m = processed(open(&pki, &sign(&pki, &with_sender, &users[0])));
    assert!(m.is_valid(), "{m:?}");
}

#[test]
fn encrypted_and_signed_layers_are_peeled_in_order() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let (alice, bob) = (&users[0], &users[1]);
    let sent = pki
        .smime()
        .sign_encrypt(
            FROM_ALICE,
            alice.certificate(),
            &[bob.certificate().clone()],
            SignatureForm::Opaque,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    let m = processed(open(&pki, &sent));
    assert!(m.is_valid() && m.is_signed() && m.is_encrypted(), "{m:?}");
    assert!(matches!(
        m.layers.as_slice(),
        [Layer::Encrypted(e), Layer::Signed(s)]
            if e.recipient_certificate.as_ref().map(|c| c.thumbprint()) == Some(bob.certificate().thumbprint())
                && s.form == SignatureForm::Opaque
    ));
    assert!(m.message.ends_with(b"the numbers are in.\r\n"));

    // Signed, encrypted, signed again (triple wrapping): three layers, all valid.
    let triple = sign(&pki, &sent, alice);
    let m = processed(open(&pki, &triple));
    assert_eq!(m.layers.len(), 3);
    assert!(m.is_valid(), "{m:?}");
    assert!(m.message.ends_with(b"the numbers are in.\r\n"));
}

#[test]
fn a_message_that_is_not_smime_comes_back_as_it_is() {
    let (pki, _) = pki_with(&[]);
    match open(&pki, FROM_ALICE) {
        Opened::NotSmime(m) => assert_eq!(m, FROM_ALICE),
        other => panic!("{other:?}"),
    }
    match open(&pki, b"") {
        Opened::NotSmime(m) => assert!(m.is_empty()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn encrypted_to_nobody_here_is_unreadable_and_changes_nothing() {
    let (elsewhere, others) = pki_with(&["bob@example.com"]);
    let sent = elsewhere
        .smime()
        .encrypt(
            FROM_ALICE,
            &[others[0].certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let (pki, _) = pki_with(&["carol@example.com"]);
    let before = count(&pki);
    match open(&pki, &sent) {
        Opened::Unreadable {
            reason: Unreadable::NoKey(_),
            layers,
            message,
        } => {
            assert!(layers.is_empty());
            assert_eq!(message, sent);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&pki), before);

    // A pkcs7-mime body that is not CMS: S/MIME, but unreadable.
    let broken = b"From: a@example.com\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nAAAA\n";
    let o = open(&pki, broken);
    assert!(
        matches!(
            o,
            Opened::Unreadable {
                reason: Unreadable::Unsupported(_) | Unreadable::Malformed(_),
                ..
            }
        ),
        "{o:?}"
    );
}

#[test]
fn more_layers_than_the_limit_are_unreadable() {
    let (pki, users) = pki_with(&["alice@example.com"]);
    let mut m = FROM_ALICE.to_vec();
    for _ in 0..=MAX_LAYERS {
        m = sign(&pki, &m, &users[0]);
    }
    match open(&pki, &m) {
        Opened::Unreadable {
            reason: Unreadable::TooManyLayers,
            layers,
            ..
        } => assert_eq!(layers.len(), MAX_LAYERS),
        other => panic!("{other:?}"),
    }
}

/// A receiving store that trusts the sending store's root, and nothing else of it.
fn receiver_trusting(sender: &Pki) -> Pki {
    let (receiver, _) = pki_with(&["carol@example.com"]);
    let root = sender
        .store()
        .read_transaction(|tx| tx.roots())
        .unwrap()
        .into_iter()
        .find(Certificate::is_self_signed)
        .unwrap();
    receiver
        .store()
        .transaction(|tx| tx.put_root(&root))
        .unwrap();
    receiver
}

fn set_flag(pki: &Pki, scope: &SettingScope, on: bool) {
    pki.settings()
        .set(
            scope,
            SettingKey::AddSignerCertificates,
            &SettingValue::Flag(on),
        )
        .unwrap();
}

#[test]
fn self_introduction_stores_a_valid_signer_only_when_the_setting_is_on() {
    let (sender, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let alice = &users[0];
    let signed = sign(&sender, FROM_ALICE, alice);
    let receiver = receiver_trusting(&sender);
    let has_alice = |p: &Pki| {
        p.store()
            .read_transaction(|tx| tx.certificate(alice.certificate().thumbprint()))
            .unwrap()
            .is_some()
    };

    // Off (globally): valid, nothing stored.
    set_flag(&receiver, &SettingScope::Global, false);
    let before = count(&receiver);
    let m = processed(open(&receiver, &signed));
    assert!(m.is_valid(), "{m:?}");
    assert!(m.signers().all(|s| s.stored.is_empty()));
    assert_eq!(count(&receiver), before);
    assert!(!has_alice(&receiver));

    // A valid signature by someone else is never stored, whatever the setting.
    set_flag(&receiver, &SettingScope::Global, true);
    let m = processed(open(&receiver, &sign(&sender, FROM_BOB, alice)));
    assert!(!m.is_valid());
    assert_eq!(count(&receiver), before);

    // On for the sender only (global off): Alice's certificate and the intermediate she
    // carried are stored.
    set_flag(&receiver, &SettingScope::Global, false);
    set_flag(
        &receiver,
        &SettingScope::user("alice@example.com").unwrap(),
        true,
    );
    let m = processed(open(&receiver, &signed));
    let stored = &m.signers().next().unwrap().stored;
    assert!(
        stored.contains(alice.certificate().thumbprint()),
        "{stored:?}"
    );
    assert_eq!(stored.len(), 2, "the signer and the intermediate");
    assert_eq!(count(&receiver), before + 2);
    assert!(has_alice(&receiver));
}

#[test]
fn forged_informational_fields_are_removed_when_fields_are_added() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let forged = [
        b"X-Hermes-Signature: valid; signer=ceo@example.com\n".as_slice(),
        b"x-hermes-encrypted: yes\n\tfolded\n",
        FROM_ALICE,
    ]
    .concat();
    let sent = pki
        .smime()
        .sign_encrypt(
            &forged,
            users[0].certificate(),
            &[users[1].certificate().clone()],
            SignatureForm::Detached,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    let options = OpenOptions::new(now()).informational_headers(true);
    let m = processed(pki.open_message(&sent, &options).unwrap());
    let text = String::from_utf8_lossy(&m.message).to_string();
    assert!(!text.contains("ceo@example.com"), "{text}");
    assert!(!text.contains("folded"), "{text}");
    assert_eq!(text.matches("X-Hermes-Signature:").count(), 1, "{text}");
    assert!(
        text.starts_with("X-Hermes-Encrypted: yes; cipher="),
        "{text}"
    );
    assert!(
        text.contains("X-Hermes-Signature: valid; signer=alice@example.com\r\n"),
        "{text}"
    );
    // Off by default: the message is what the layers held.
    let plain = processed(open(&pki, &sent));
    assert!(String::from_utf8_lossy(&plain.message).contains("ceo@example.com"));

    // A signer who is not the sender is said so.
    let m = processed(
        pki.open_message(&sign(&pki, FROM_BOB, &users[0]), &options)
            .unwrap(),
    );
    assert!(String::from_utf8_lossy(&m.message).contains(
        "X-Hermes-Signature: not-valid; reason=signer-is-not-sender; signer=alice@example.com\r\n"
    ));

    // Not S/MIME: the forged fields go too.
    match pki.open_message(&forged, &options).unwrap() {
        Opened::NotSmime(m) => assert_eq!(m, FROM_ALICE),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_valid_signature_around_an_unreadable_layer_stores_nothing() {
    let (sender, users) = pki_with(&["alice@example.com"]);
    let (elsewhere, others) = pki_with(&["dave@example.com"]);
    let encrypted = elsewhere
        .smime()
        .encrypt(
            FROM_ALICE,
            &[others[0].certificate().clone()],
            &EncryptOptions::new(),
        )
        .unwrap();
    let wrapped = sign(&sender, &encrypted, &users[0]);
    let receiver = receiver_trusting(&sender);
    let before = count(&receiver);
    match open(&receiver, &wrapped) {
        Opened::Unreadable {
            reason: Unreadable::NoKey(_),
            layers,
            ..
        } => {
            assert!(matches!(layers.as_slice(), [Layer::Signed(s)] if s.is_valid()));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(count(&receiver), before);
    // Opened to the end, the same signer is introduced (the setting is on by default).
    let m = processed(open(&receiver, &sign(&sender, FROM_ALICE, &users[0])));
    assert_eq!(m.signers().next().unwrap().stored.len(), 2);
    assert_eq!(count(&receiver), before + 2);
}

fn encrypt_to(pki: &Pki, message: &[u8], to: &Issued, cipher: ContentCipher) -> Vec<u8> {
    pki.smime()
        .encrypt(
            message,
            &[to.certificate().clone()],
            &EncryptOptions::new().cipher(cipher),
        )
        .unwrap()
}

/// A signed-looking entity whose signature part's type is a secret the decryption must not
/// echo.
const MALFORMED_INNER: &[u8] = b"From: alice@example.com\r\nContent-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/x-secret-value\r\n\r\nAAAA\r\n--b--\r\n";

#[test]
fn inside_an_unauthenticated_layer_a_malformed_entity_is_an_opaque_decryption_failure() {
    let (pki, users) = pki_with(&["bob@example.com"]);
    let bob = &users[0];
    let cbc = encrypt_to(&pki, MALFORMED_INNER, bob, ContentCipher::Aes256Cbc);
    match open(&pki, &cbc) {
        Opened::Unreadable {
            reason: Unreadable::DecryptionFailed(d),
            layers,
            ..
        } => {
            assert_eq!(d, DECRYPTION_FAILED);
            assert_eq!(layers.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    // Authenticated (GCM) content: the problem can be told, it is no oracle.
    let gcm = encrypt_to(&pki, MALFORMED_INNER, bob, ContentCipher::Aes256Gcm);
    match open(&pki, &gcm) {
        Opened::Unreadable {
            reason: Unreadable::Malformed(d),
            ..
        } => assert!(d.contains("x-secret-value"), "{d}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn require_authenticated_refuses_cbc_without_an_inner_signature_that_verifies() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let (alice, bob) = (&users[0], &users[1]);
    let cbc = encrypt_to(&pki, FROM_ALICE, bob, ContentCipher::Aes256Cbc);
    let gcm = encrypt_to(&pki, FROM_ALICE, bob, ContentCipher::Aes128Gcm);
    let signed_cbc = pki
        .smime()
        .sign_encrypt(
            FROM_ALICE,
            alice.certificate(),
            &[bob.certificate().clone()],
            SignatureForm::Opaque,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    // Off (the default): all three are read.
    for m in [&cbc, &gcm, &signed_cbc] {
        assert!(processed(open(&pki, m)).is_encrypted());
    }
    pki.settings()
        .set(
            &SettingScope::Global,
            SettingKey::RequireAuthenticated,
            &SettingValue::Flag(true),
        )
        .unwrap();
    match open(&pki, &cbc) {
        Opened::Unreadable {
            reason: Unreadable::Unsupported(d),
            ..
        } => assert!(d.contains("require-authenticated"), "{d}"),
        other => panic!("{other:?}"),
    }
    assert!(processed(open(&pki, &gcm)).is_encrypted());
    let m = processed(open(&pki, &signed_cbc));
    assert!(m.is_valid() && m.is_signed(), "{m:?}");
    // The option does the same without the setting.
    let (plain, users) = pki_with(&["bob@example.com"]);
    let cbc = encrypt_to(&plain, FROM_ALICE, &users[0], ContentCipher::Aes256Cbc);
    let strict = OpenOptions::new(now())
        .decrypt_options(crate::smime::DecryptOptions::new().require_authenticated(true));
    assert!(matches!(
        plain.open_message(&cbc, &strict).unwrap(),
        Opened::Unreadable {
            reason: Unreadable::Unsupported(_),
            ..
        }
    ));
}

#[test]
fn messages_over_the_mime_limits_are_unreadable() {
    let (pki, _) = pki_with(&[]);
    let flood: String = (0..10_000).map(|i| format!("; a{i}*1=x")).collect();
    let m = format!("From: a@example.com\r\nContent-Type: text/plain{flood}\r\n\r\nbody\r\n");
    match open(&pki, m.as_bytes()) {
        Opened::Unreadable {
            reason: Unreadable::Malformed(d),
            message,
            ..
        } => {
            assert!(d.contains("too many parameters"), "{d}");
            assert_eq!(message, m.as_bytes());
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn debug_of_results_shows_lengths_not_the_mail() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let sent = pki
        .smime()
        .sign_encrypt(
            FROM_ALICE,
            users[0].certificate(),
            &[users[1].certificate().clone()],
            SignatureForm::Opaque,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    let m = processed(open(&pki, &sent));
    let shown = format!("{m:?}");
    assert!(shown.contains("message_len"), "{shown}");
    assert!(!shown.contains("numbers are in"), "{shown}");
    let (d, v) = pki
        .smime()
        .decrypt_verify(&sent, now(), &crate::smime::DecryptOptions::new())
        .unwrap();
    for shown in [format!("{d:?}"), format!("{v:?}")] {
        assert!(shown.contains("inner_len"), "{shown}");
        assert!(!shown.contains("numbers are in"), "{shown}");
        // Not as bytes either ("Hello" = 72, 101, 108, 108, 111).
        assert!(!shown.contains("72, 101, 108, 108, 111"), "{shown}");
    }
}
