//! [`Pki::protect_to`] against [`Pki::protect`]: the same groups, report and messages, read
//! one byte at a time; refusals and failures ask nothing of the sink or report the failure.

use std::sync::Arc;

use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, DistinguishedName, IssueSpec, Issued};
use crate::key::KeySpec;
use crate::pki::test_io::{FailsAfter, OneByte, now};
use crate::smime::{DecryptOptions, KeyList, decrypt_message};
use crate::time::FixedClock;

const MAIL: &[u8] = b"From: alice@example.com\nTo: bob@example.com, carol@example.org, dave@example.net\nSubject: Numbers\n\nHello,\nthe numbers are in.\n";

/// Alice (sender), Bob (`cipher = aes-cbc`), Dave (`cipher = aes-gcm`), both with
/// certificates; Carol has none.
fn world() -> (Pki, Issued, Issued, Issued) {
    let pki = Pki::new(crate::store::MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Mail Root")).key(KeySpec::EcP256),
            &FixedClock(now()),
        )
        .unwrap();
    let issue = |who: &str| {
        pki.ca()
            .issue(
                &IssueSpec::new(who, who).key(KeySpec::EcP256),
                &FixedClock(now()),
            )
            .unwrap()
    };
    let (alice, bob, dave) = (
        issue("alice@example.com"),
        issue("bob@example.com"),
        issue("dave@example.net"),
    );
    for (who, cipher) in [
        ("bob@example.com", "aes-cbc"),
        ("dave@example.net", "aes-gcm"),
    ] {
        pki.settings()
            .set_text(
                &SettingScope::user(who).unwrap(),
                SettingKey::Cipher,
                cipher,
            )
            .unwrap();
    }
    (pki, alice, bob, dave)
}

fn sign_off(pki: &Pki) {
    pki.settings()
        .set_text(
            &SettingScope::user("alice@example.com").unwrap(),
            SettingKey::Sign,
            "off",
        )
        .unwrap();
}

/// Collects each group's message, and the groups as the sink was told them.
struct Collect<'a> {
    started: &'a mut Vec<MessageGroup>,
    finished: &'a mut Vec<Vec<u8>>,
}

impl ProtectSink for Collect<'_> {
    type Writer = Vec<u8>;
    fn start(&mut self, group: &MessageGroup) -> Result<Vec<u8>> {
        self.started.push(group.clone());
        Ok(Vec::new())
    }
    fn finish(&mut self, _: &MessageGroup, writer: Vec<u8>) -> Result<()> {
        self.finished.push(writer);
        Ok(())
    }
}

/// `protect_to` reading `mail` one byte at a time: the report, the groups as the sink saw them,
/// and the messages.
fn stream(
    pki: &Pki,
    mail: &[u8],
    to: &[&str],
    options: &ProtectOptions,
) -> Result<(ProtectReport, Vec<MessageGroup>, Vec<Vec<u8>>)> {
    let (mut started, mut finished) = (Vec::new(), Vec::new());
    let report = pki.protect_to(
        OneByte::new(mail),
        "alice@example.com",
        to,
        options,
        Collect {
            started: &mut started,
            finished: &mut finished,
        },
    )?;
    Ok((report, started, finished))
}

/// The decrypted message of `message` with the key of `cert` alone.
fn decrypt_with(pki: &Pki, message: &[u8], cert: &Certificate) -> Vec<u8> {
    let key = pki
        .store()
        .read_transaction(|tx| tx.key_for_certificate(cert.thumbprint()))
        .unwrap()
        .expect("the key is stored");
    let keys = KeyList::new().with(cert.clone(), Arc::new(key)).unwrap();
    decrypt_message(message, &keys, &DecryptOptions::new())
        .unwrap()
        .message
        .to_vec()
}

/// What a signed message verifies to: the signed entity and each signer's thumbprint and
/// validity.
fn verified(pki: &Pki, message: &[u8]) -> (Vec<u8>, Vec<(Option<Thumbprint>, bool)>) {
    let v = pki.smime().verify(message, now()).unwrap();
    let signers = v
        .signers
        .iter()
        .map(|s| {
            (
                s.certificate.as_ref().map(|c| *c.thumbprint()),
                s.is_valid(),
            )
        })
        .collect();
    (v.message.inner, signers)
}

/// The report of `protect_to` is that of `protect`, the groups are its messages' (and what
/// the sink was told, in order), and the number of bytes written each message's length.
fn same_report(p: &Protected, r: &ProtectReport, started: &[MessageGroup], messages: &[Vec<u8>]) {
    assert_eq!(format!("{:?}", p.signing), format!("{:?}", r.signing));
    assert_eq!(format!("{:?}", p.recipients), format!("{:?}", r.recipients));
    assert_eq!(r.groups, started);
    assert_eq!(p.messages.len(), r.groups.len());
    assert_eq!(messages.len(), r.groups.len());
    for (i, (m, g)) in p.messages.iter().zip(&r.groups).enumerate() {
        assert_eq!(g.index, i);
        assert_eq!(
            (&m.recipients, m.signed, m.cipher, &m.encrypted_to),
            (&g.recipients, g.signed, g.cipher, &g.encrypted_to)
        );
        assert_eq!(r.written[i], messages[i].len() as u64);
    }
}

#[test]
fn three_groups_signed_match_protect_and_carry_one_signature() {
    let (pki, alice, bob, dave) = world();
    let to = ["carol@example.org", "dave@example.net", "bob@example.com"];
    let options = ProtectOptions::new(now());
    let p = pki
        .protect(MAIL, "alice@example.com", &to, &options)
        .unwrap();
    let (r, started, messages) = stream(&pki, MAIL, &to, &options).unwrap();
    same_report(&p, &r, &started, &messages);
    let ciphers: Vec<_> = r.groups.iter().map(|g| g.cipher).collect();
    assert_eq!(
        ciphers,
        [
            Some(ContentCipher::Aes256Cbc),
            Some(ContentCipher::Aes256Gcm),
            None
        ]
    );
    assert!(r.groups.iter().all(|g| g.signed));

    // Every group carries the same signed message: the plain group's bytes, decrypted.
    let signed = &messages[2];
    assert_eq!(&decrypt_with(&pki, &messages[0], bob.certificate()), signed);
    assert_eq!(
        &decrypt_with(&pki, &messages[1], dave.certificate()),
        signed
    );
    // And it verifies as protect's does: the same entity, the same valid signer.
    let ours = verified(&pki, signed);
    assert_eq!(ours, verified(&pki, &p.messages[2].message));
    assert_eq!(
        ours.1,
        vec![(Some(*alice.certificate().thumbprint()), true)]
    );
    assert!(ours.0.ends_with(b"the numbers are in.\r\n"));
    assert_eq!(
        decrypt_with(&pki, &p.messages[1].message, dave.certificate()),
        p.messages[2].message
    );
}

#[test]
fn three_groups_unsigned_are_byte_for_byte_those_of_protect() {
    let (pki, _, bob, dave) = world();
    sign_off(&pki);
    let to = ["bob@example.com", "carol@example.org", "dave@example.net"];
    let options = ProtectOptions::new(now());
    let p = pki
        .protect(MAIL, "alice@example.com", &to, &options)
        .unwrap();
    let (r, started, messages) = stream(&pki, MAIL, &to, &options).unwrap();
    same_report(&p, &r, &started, &messages);
    assert!(matches!(
        r.signing,
        Signing::NotSigned(NotSigned::SettingOff { .. })
    ));
    // The plain group is the message as it came; the encrypted ones decrypt to what
    // protect's decrypt to.
    assert_eq!(messages[2], MAIL);
    assert_eq!(p.messages[2].message, MAIL);
    for (i, cert) in [(0, bob.certificate()), (1, dave.certificate())] {
        let ours = decrypt_with(&pki, &messages[i], cert);
        assert_eq!(ours, decrypt_with(&pki, &p.messages[i].message, cert));
        assert!(ours.ends_with(b"the numbers are in.\r\n"));
    }
}

#[test]
fn one_group_streams_each_kind_as_protect_makes_it() {
    let (pki, alice, bob, _) = world();
    let options = ProtectOptions::new(now());
    for signed in [true, false] {
        if !signed {
            sign_off(&pki);
        }
        for (to, encrypted) in [("bob@example.com", true), ("carol@example.org", false)] {
            let what = format!("signed {signed}, to {to}");
            let p = pki
                .protect(MAIL, "alice@example.com", &[to], &options)
                .unwrap();
            let (r, started, messages) = stream(&pki, MAIL, &[to], &options).unwrap();
            same_report(&p, &r, &started, &messages);
            assert_eq!(r.groups[0].signed, signed, "{what}");
            assert_eq!(r.groups[0].cipher.is_some(), encrypted, "{what}");
            let (ours, theirs) = if encrypted {
                (
                    decrypt_with(&pki, &messages[0], bob.certificate()),
                    decrypt_with(&pki, &p.messages[0].message, bob.certificate()),
                )
            } else {
                (messages[0].clone(), p.messages[0].message.clone())
            };
            if signed {
                let v = verified(&pki, &ours);
                assert_eq!(v, verified(&pki, &theirs), "{what}");
                assert_eq!(
                    v.1,
                    vec![(Some(*alice.certificate().thumbprint()), true)],
                    "{what}"
                );
            } else {
                assert_eq!(ours, theirs, "{what}");
            }
            if !signed && !encrypted {
                assert_eq!(ours, MAIL, "{what}");
            }
        }
    }
}

#[test]
fn a_refused_call_reads_nothing_and_asks_nothing_of_the_sink() {
    let (pki, _, _, _) = world();
    pki.settings()
        .set_text(
            &SettingScope::user("carol@example.org").unwrap(),
            SettingKey::Encrypt,
            "required",
        )
        .unwrap();
    let mut input = OneByte::new(MAIL);
    let mut asked = 0;
    let e = pki
        .protect_to(
            &mut input,
            "alice@example.com",
            &["bob@example.com", "carol@example.org"],
            &ProtectOptions::new(now()),
            |_: &MessageGroup| {
                asked += 1;
                Ok(Vec::new())
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotPermitted, "{e}");
    assert!(e.to_string().contains("carol@example.org"), "{e}");
    assert_eq!(asked, 0);
    assert_eq!(input.reads, 0);
}

#[test]
fn a_message_that_fails_before_output_asks_nothing_of_the_sink() {
    let (pki, _, _, _) = world();
    // A header block over the limit: refused while it is read, before any group's first byte.
    let mut huge = b"From: alice@example.com\nX-Long: ".to_vec();
    huge.resize(300 * 1024, b'a');
    huge.extend_from_slice(b"\n\nbody\n");
    for to in [
        &["bob@example.com"][..],
        &["bob@example.com", "carol@example.org"],
    ] {
        let mut asked = 0;
        let e = pki
            .protect_to(
                &huge[..],
                "alice@example.com",
                to,
                &ProtectOptions::new(now()),
                |_: &MessageGroup| {
                    asked += 1;
                    Ok(Vec::new())
                },
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::LimitExceeded, "{e}");
        assert_eq!(asked, 0, "{to:?}");
    }
}

#[test]
fn a_writer_that_fails_midway_is_an_io_error_and_a_sink_error_comes_back_as_it_was() {
    let (pki, _, _, _) = world();
    let to = ["bob@example.com", "carol@example.org"];
    let options = ProtectOptions::new(now());
    // The first group's writer fails after 100 bytes.
    let e = pki
        .protect_to(
            MAIL,
            "alice@example.com",
            &to,
            &options,
            |_: &MessageGroup| {
                Ok(FailsAfter {
                    room: 100,
                    taken: Vec::new(),
                })
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
    assert!(e.to_string().contains("disk full"), "{e}");

    // The sink refuses the second group: its own error, after the first group was finished.
    let mut finished = Vec::new();
    struct SecondRefused<'a>(&'a mut Vec<usize>);
    impl ProtectSink for SecondRefused<'_> {
        type Writer = Vec<u8>;
        fn start(&mut self, group: &MessageGroup) -> Result<Vec<u8>> {
            if group.index == 1 {
                return Err(Error::InvalidArgument("only one message fits".into()));
            }
            Ok(Vec::new())
        }
        fn finish(&mut self, group: &MessageGroup, _: Vec<u8>) -> Result<()> {
            self.0.push(group.index);
            Ok(())
        }
    }
    let e = pki
        .protect_to(
            MAIL,
            "alice@example.com",
            &to,
            &options,
            SecondRefused(&mut finished),
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
    assert!(e.to_string().contains("only one message fits"), "{e}");
    assert_eq!(finished, [0]);

    // One group, plain and unsigned (copied through): a failing writer is an Io error too.
    sign_off(&pki);
    let e = pki
        .protect_to(
            MAIL,
            "alice@example.com",
            &["carol@example.org"],
            &options,
            |_: &MessageGroup| {
                Ok(FailsAfter {
                    room: 10,
                    taken: Vec::new(),
                })
            },
        )
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Io, "{e}");
}

#[test]
fn an_empty_plain_message_still_gets_its_writer() {
    let (pki, _, _, _) = world();
    sign_off(&pki);
    let (mut started, mut finished) = (Vec::new(), Vec::new());
    let r = pki
        .protect_to(
            &b""[..],
            "alice@example.com",
            &["carol@example.org"],
            &ProtectOptions::new(now()),
            Collect {
                started: &mut started,
                finished: &mut finished,
            },
        )
        .unwrap();
    assert_eq!(r.written, [0]);
    assert_eq!(started.len(), 1);
    assert_eq!(finished, [Vec::<u8>::new()]);
}
