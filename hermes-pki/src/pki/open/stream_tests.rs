//! [`Pki::open_from`] against [`Pki::open_message`]: the same answers and verdicts, the same
//! bytes written, read one byte at a time; a failing writer is an I/O error.

use super::*;
use crate::ErrorKind;
use crate::ca::Issued;
use crate::pki::test_io::{FailsAfter, OneByte, now, pki_with};
use crate::settings::{SettingKey, SettingScope, SettingValue};
use crate::smime::{ContentCipher, EncryptOptions, SignOptions, SignatureForm};
use crate::store::StoreExt;

const FROM_ALICE: &[u8] = b"X-Hermes-Signature: valid; signer=ceo@example.com\nFrom: Alice <alice@example.com>\nTo: bob@example.com\nSubject: numbers\n\nHello Bob,\nthe numbers are in.\n";

fn sign(pki: &Pki, message: &[u8], signer: &Issued, form: SignatureForm) -> Vec<u8> {
    pki.smime()
        .sign(
            message,
            signer.certificate(),
            form,
            &SignOptions::new(now()),
        )
        .unwrap()
}

fn encrypt(pki: &Pki, message: &[u8], to: &Issued, cipher: ContentCipher) -> Vec<u8> {
    pki.smime()
        .encrypt(
            message,
            &[to.certificate().clone()],
            &EncryptOptions::new().cipher(cipher),
        )
        .unwrap()
}

fn count(pki: &Pki) -> u64 {
    pki.store()
        .read_transaction(|tx| tx.count_certificates())
        .unwrap()
}

/// Opens `message` both ways (with and without informational fields) and checks that
/// `open_from`, reading one byte at a time, gives `open_message`'s answer and writes its
/// bytes. Returns `open_message`'s answer without fields.
fn both_ways(pki: &Pki, message: &[u8]) -> Opened {
    let mut first = None;
    for headers in [false, true] {
        let options = OpenOptions::new(now()).informational_headers(headers);
        let opened = pki.open_message(message, &options).unwrap();
        let mut out = Vec::new();
        let mut input = OneByte::new(message);
        let report = pki.open_from(&mut input, &options, &mut out).unwrap();
        assert!(input.reads > message.len(), "read one byte at a time");
        assert_eq!(report.kind(), opened.kind());
        assert_eq!(report.written(), out.len() as u64);
        match (&opened, &report) {
            (Opened::NotSmime(m), OpenReport::NotSmime { .. }) => assert_eq!(&out, m),
            (
                Opened::Unreadable {
                    reason,
                    layers,
                    message: m,
                },
                OpenReport::Unreadable {
                    reason: r,
                    layers: l,
                    ..
                },
            ) => {
                assert_eq!(reason, r);
                assert_eq!(format!("{layers:?}"), format!("{l:?}"));
                assert_eq!(&out, m);
            }
            (Opened::Processed(m), OpenReport::Processed(s)) => {
                assert_eq!(out, m.message);
                assert_eq!(s.entity_len, m.entity.len());
                assert!(out.ends_with(&m.entity));
                assert_eq!(s.outer_header, m.outer_header);
                assert_eq!(s.senders, m.senders);
                assert_eq!(format!("{:?}", s.layers), format!("{:?}", m.layers));
                assert_eq!(
                    (s.is_valid(), s.is_signed(), s.is_encrypted()),
                    (m.is_valid(), m.is_signed(), m.is_encrypted())
                );
                assert_eq!(s.signers().count(), m.signers().count());
                // Lengths, not the mail.
                let debug = format!("{report:?}");
                assert!(debug.contains("outer_header_len"), "{debug}");
                assert!(!debug.contains("numbers"), "{debug}");
            }
            other => panic!("different answers: {other:?}"),
        }
        if headers {
            assert!(
                !String::from_utf8_lossy(&out).contains("ceo@example.com"),
                "incoming informational fields removed"
            );
        }
        first.get_or_insert(opened);
    }
    first.unwrap()
}

#[test]
fn signed_encrypted_and_both_give_the_same_verdicts_and_bytes() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let (alice, bob) = (&users[0], &users[1]);
    let detached = sign(&pki, FROM_ALICE, alice, SignatureForm::Detached);
    let opaque = sign(&pki, FROM_ALICE, alice, SignatureForm::Opaque);
    let cbc = encrypt(&pki, FROM_ALICE, bob, ContentCipher::Aes256Cbc);
    let gcm = encrypt(&pki, FROM_ALICE, bob, ContentCipher::Aes256Gcm);
    let signed_encrypted = encrypt(&pki, &detached, bob, ContentCipher::Aes256Gcm);
    let triple = sign(&pki, &signed_encrypted, alice, SignatureForm::Opaque);
    for (what, message, layers) in [
        ("detached", &detached, 1),
        ("opaque", &opaque, 1),
        ("cbc", &cbc, 1),
        ("gcm", &gcm, 1),
        ("signed and encrypted", &signed_encrypted, 2),
        ("triple", &triple, 3),
    ] {
        match both_ways(&pki, message) {
            Opened::Processed(m) => {
                assert_eq!(m.layers.len(), layers, "{what}");
                assert!(m.is_valid(), "{what}: {m:?}");
                assert!(m.message.ends_with(b"the numbers are in.\r\n"), "{what}");
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    // A signer who is not the sender: the same verdict both ways.
    let (other, others) = pki_with(&["mallory@example.com"]);
    let by_mallory = sign(&other, FROM_ALICE, &others[0], SignatureForm::Detached);
    let m = both_ways(&pki, &by_mallory);
    assert!(m.processed().is_some_and(|m| !m.is_valid()), "{m:?}");
}

#[test]
fn unreadable_not_smime_and_too_deep_give_the_same_answers() {
    let (pki, users) = pki_with(&["alice@example.com"]);
    // Encrypted to a key that is elsewhere.
    let (elsewhere, others) = pki_with(&["bob@example.com"]);
    let no_key = encrypt(&elsewhere, FROM_ALICE, &others[0], ContentCipher::Aes256Cbc);
    assert!(matches!(
        both_ways(&pki, &no_key),
        Opened::Unreadable {
            reason: Unreadable::NoKey(_),
            ..
        }
    ));
    // Not S/MIME, and empty.
    assert!(matches!(both_ways(&pki, FROM_ALICE), Opened::NotSmime(_)));
    assert!(matches!(both_ways(&pki, b""), Opened::NotSmime(_)));
    // A pkcs7-mime body that is not CMS.
    let broken = b"From: a@example.com\nContent-Type: application/pkcs7-mime; smime-type=enveloped-data\nContent-Transfer-Encoding: base64\n\nAAAA\n";
    assert!(matches!(both_ways(&pki, broken), Opened::Unreadable { .. }));
    // More layers than the limit.
    let mut deep = FROM_ALICE.to_vec();
    for _ in 0..=MAX_LAYERS {
        deep = sign(&pki, &deep, &users[0], SignatureForm::Detached);
    }
    match both_ways(&pki, &deep) {
        Opened::Unreadable {
            reason: Unreadable::TooManyLayers,
            layers,
            ..
        } => assert_eq!(layers.len(), MAX_LAYERS),
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_unreadable_message_teaches_the_store_nothing_and_is_written_as_it_came() {
    // Alice's valid signature around a layer that cannot be read here, in a store that stores
    // valid signers: nothing is stored, and the message goes out as it came.
    let (sender, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let receiver = {
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
            .settings()
            .set(
                &SettingScope::Global,
                SettingKey::AddSignerCertificates,
                &SettingValue::Flag(true),
            )
            .unwrap();
        receiver
    };
    let to_bob = encrypt(&sender, FROM_ALICE, &users[1], ContentCipher::Aes256Gcm);
    let wrapped = sign(&sender, &to_bob, &users[0], SignatureForm::Detached);
    let before = count(&receiver);
    let mut out = Vec::new();
    let report = receiver
        .open_from(&wrapped[..], &OpenOptions::new(now()), &mut out)
        .unwrap();
    assert!(
        matches!(
            &report,
            OpenReport::Unreadable { reason: Unreadable::NoKey(_), layers, .. } if layers.len() == 1
        ),
        "{report:?}"
    );
    assert_eq!(out, wrapped);
    assert_eq!(count(&receiver), before);

    // The same signature around a readable message teaches it.
    let readable = sign(&sender, FROM_ALICE, &users[0], SignatureForm::Detached);
    let report = receiver
        .open_from(&readable[..], &OpenOptions::new(now()), Vec::new())
        .unwrap();
    let stored = report
        .processed()
        .map(|m| m.signers().map(|s| s.stored.len()).sum::<usize>());
    assert_eq!(stored, Some(2), "{report:?}");
    assert_eq!(count(&receiver), before + 2);
}

#[test]
fn a_writer_that_fails_midway_is_an_io_error() {
    let (pki, users) = pki_with(&["alice@example.com", "bob@example.com"]);
    let sent = encrypt(
        &pki,
        &sign(&pki, FROM_ALICE, &users[0], SignatureForm::Detached),
        &users[1],
        ContentCipher::Aes256Cbc,
    );
    for message in [&sent[..], FROM_ALICE] {
        let mut out = FailsAfter {
            room: 20,
            taken: Vec::new(),
        };
        let e = pki
            .open_from(message, &OpenOptions::new(now()), &mut out)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Io, "{e}");
        assert!(e.to_string().contains("disk full"), "{e}");
        assert_eq!(out.taken.len(), 20);
    }
}
