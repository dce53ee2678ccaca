//! CMS EnvelopedData / AuthEnvelopedData judged by the real `openssl cms` command, both ways:
//! messages made here decrypt with `openssl cms -decrypt` to exactly the content, for every
//! cipher and recipient kind; messages made by `openssl cms -encrypt` (DER and streamed BER,
//! AES-CBC, AES-GCM, 3DES, RC2, RSA PKCS#1 v1.5 and OAEP, P-256 and P-384, one or two
//! recipients, issuer-and-serial or subject key identifier) decrypt here.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use hermes_pki::ErrorKind;
use hermes_pki::cert::Certificate;
use hermes_pki::key::{KeyTransport, PrivateKey};
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, Decrypted, EncryptOptions, KeyList, decrypt_data, encrypt_data,
};
use hermes_pki_tests::{Issued, KeyKind, openssl, self_signed};

/// A recipient made by OpenSSL: its files, and the certificate and key as read here.
struct Recipient {
    files: Issued,
    cert: Certificate,
    key: Arc<PrivateKey>,
}

fn recipient(dir: &Path, name: &str, kind: KeyKind) -> Recipient {
    let files = self_signed(
        dir,
        name,
        kind,
        &format!("/CN={name}/emailAddress={name}@example.com"),
        "subjectKeyIdentifier = hash\nkeyUsage = critical, keyEncipherment, keyAgreement\n\
         extendedKeyUsage = emailProtection",
    );
    let cert = Certificate::from_pem(&String::from_utf8(files.pem()).unwrap()).unwrap();
    let key = PrivateKey::from_pem(&std::fs::read_to_string(&files.key).unwrap(), None).unwrap();
    Recipient {
        files,
        cert,
        key: Arc::new(key),
    }
}

fn keys(recipients: &[&Recipient]) -> KeyList {
    recipients.iter().fold(KeyList::new(), |list, r| {
        list.with(r.cert.clone(), Arc::clone(&r.key)).unwrap()
    })
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Content that shows any newline or binary mangling: every byte value, CRLF, a lone LF.
fn content() -> Vec<u8> {
    let mut c = b"Content-Type: text/plain\r\n\r\nHello\r\nbare LF\nend\r\n".to_vec();
    c.extend(0u8..=255);
    c.extend(std::iter::repeat_n(b'x', 5000));
    c
}

/// `openssl cms -decrypt` of the DER message `msg` with `r`'s certificate and key.
fn openssl_decrypt(dir: &Path, msg: &[u8], r: &Recipient) -> Vec<u8> {
    let file = dir.join("in.der");
    std::fs::write(&file, msg).unwrap();
    openssl(
        &[
            "cms",
            "-decrypt",
            "-binary",
            "-inform",
            "DER",
            "-in",
            path(&file),
            "-recip",
            path(&r.files.cert),
            "-inkey",
            path(&r.files.key),
        ],
        dir,
    )
}

/// `openssl cms -encrypt -binary -outform DER` of `content` to `recipients`, each followed by
/// its `-keyopt`s; `args` come before the recipients (cipher, `-stream`, `-keyid`, ...).
fn openssl_encrypt(
    dir: &Path,
    content: &[u8],
    args: &[&str],
    recipients: &[(&Recipient, &[&str])],
) -> Vec<u8> {
    let input = dir.join("plain.bin");
    std::fs::write(&input, content).unwrap();
    let mut cmd = vec![
        "cms",
        "-encrypt",
        "-binary",
        "-outform",
        "DER",
        "-in",
        path(&input),
    ];
    cmd.extend_from_slice(args);
    for (r, keyopts) in recipients {
        cmd.extend(["-recip", path(&r.files.cert)]);
        for opt in *keyopts {
            cmd.extend(["-keyopt", opt]);
        }
    }
    openssl(&cmd, dir)
}

/// Decrypts with legacy ciphers allowed explicitly (they are refused by default).
fn decrypt(msg: &[u8], recipients: &[&Recipient]) -> Decrypted {
    let options = DecryptOptions::new().allow_legacy_ciphers(true);
    decrypt_data(msg, &keys(recipients), &options)
        .unwrap_or_else(|e| panic!("decryption failed: {e}"))
}

const CIPHERS: [(ContentCipher, &str); 4] = [
    (ContentCipher::Aes128Cbc, "AES-128-CBC"),
    (ContentCipher::Aes256Cbc, "AES-256-CBC"),
    (ContentCipher::Aes128Gcm, "AES-128-GCM"),
    (ContentCipher::Aes256Gcm, "AES-256-GCM"),
];

#[test]
fn made_here_decrypts_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa = recipient(d, "rsa", KeyKind::Rsa(2048));
    let p256 = recipient(d, "p256", KeyKind::P256);
    let p384 = recipient(d, "p384", KeyKind::P384);
    let content = content();
    let kinds: [(&str, &Recipient, KeyTransport); 4] = [
        ("RSA PKCS#1 v1.5", &rsa, KeyTransport::Pkcs1v15),
        ("RSA-OAEP-SHA256", &rsa, KeyTransport::OaepSha256),
        ("P-256", &p256, KeyTransport::Pkcs1v15),
        ("P-384", &p384, KeyTransport::Pkcs1v15),
    ];
    for (cipher, cipher_name) in CIPHERS {
        for (kind, r, scheme) in &kinds {
            let options = EncryptOptions::new().cipher(cipher).key_transport(*scheme);
            let msg = encrypt_data(&content, std::slice::from_ref(&r.cert), &options).unwrap();
            let plain = openssl_decrypt(d, &msg, r);
            assert!(
                plain == content,
                "{cipher_name} to {kind}: openssl gave {} bytes back, not the {} sent",
                plain.len(),
                content.len()
            );
        }
    }

    // One message to all three: each decrypts it with openssl.
    for (cipher, cipher_name) in [CIPHERS[1], CIPHERS[3]] {
        let options = EncryptOptions::new()
            .cipher(cipher)
            .key_transport(KeyTransport::OaepSha256);
        let all = [rsa.cert.clone(), p256.cert.clone(), p384.cert.clone()];
        let msg = encrypt_data(&content, &all, &options).unwrap();
        for r in [&rsa, &p256, &p384] {
            assert!(
                openssl_decrypt(d, &msg, r) == content,
                "{cipher_name}, three recipients"
            );
        }
    }
}

#[test]
fn made_by_openssl_decrypts_here() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa = recipient(d, "rsa", KeyKind::Rsa(2048));
    let p256 = recipient(d, "p256", KeyKind::P256);
    let p384 = recipient(d, "p384", KeyKind::P384);
    let content = content();
    let oaep256: &[&str] = &["rsa_padding_mode:oaep", "rsa_oaep_md:sha256"];
    let none: &[&str] = &[];

    // (case, openssl args, recipients with keyopts, expected cipher, authenticated, weak)
    type Case<'a> = (
        &'a str,
        Vec<&'a str>,
        Vec<(&'a Recipient, &'a [&'a str])>,
        &'a str,
        bool,
        bool,
    );
    let cases: Vec<Case<'_>> = vec![
        (
            "RSA, AES-128-CBC",
            vec!["-aes-128-cbc"],
            vec![(&rsa, none)],
            "AES-128-CBC",
            false,
            false,
        ),
        (
            "RSA, AES-256-CBC",
            vec!["-aes-256-cbc"],
            vec![(&rsa, none)],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "RSA, AES-256-GCM",
            vec!["-aes-256-gcm"],
            vec![(&rsa, none)],
            "AES-256-GCM",
            true,
            false,
        ),
        (
            "RSA, AES-128-GCM",
            vec!["-aes-128-gcm"],
            vec![(&rsa, none)],
            "AES-128-GCM",
            true,
            false,
        ),
        (
            "RSA, AES-192-CBC",
            vec!["-aes-192-cbc"],
            vec![(&rsa, none)],
            "AES-192-CBC",
            false,
            false,
        ),
        (
            "RSA, 3DES",
            vec!["-des3"],
            vec![(&rsa, none)],
            "3DES-CBC",
            false,
            true,
        ),
        (
            "RSA, RC2-40 (legacy provider)",
            vec!["-rc2-40-cbc", "-provider", "legacy", "-provider", "default"],
            vec![(&rsa, none)],
            "RC2-CBC (40-bit)",
            false,
            true,
        ),
        (
            "RSA, RC2-128 (legacy provider)",
            vec!["-rc2", "-provider", "legacy", "-provider", "default"],
            vec![(&rsa, none)],
            "RC2-CBC (128-bit)",
            false,
            true,
        ),
        (
            "RSA-OAEP-SHA256, AES-256-CBC",
            vec!["-aes-256-cbc"],
            vec![(&rsa, oaep256)],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "RSA-OAEP-SHA256, AES-256-GCM",
            vec!["-aes-256-gcm"],
            vec![(&rsa, oaep256)],
            "AES-256-GCM",
            true,
            false,
        ),
        (
            "P-256 (OpenSSL's default SHA-1 KDF)",
            vec!["-aes-256-cbc"],
            vec![(&p256, none)],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "P-256, AES-128-GCM",
            vec!["-aes-128-gcm"],
            vec![(&p256, none)],
            "AES-128-GCM",
            true,
            false,
        ),
        (
            "P-256, SHA-256 KDF",
            vec!["-aes-128-cbc"],
            vec![(&p256, &["ecdh_kdf_md:sha256"][..])],
            "AES-128-CBC",
            false,
            false,
        ),
        (
            "P-384",
            vec!["-aes-256-gcm"],
            vec![(&p384, none)],
            "AES-256-GCM",
            true,
            false,
        ),
        (
            "P-384, SHA-384 KDF",
            vec!["-aes-256-cbc"],
            vec![(&p384, &["ecdh_kdf_md:sha384"][..])],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "streamed (BER), RSA",
            vec!["-stream", "-aes-256-cbc"],
            vec![(&rsa, none)],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "streamed (BER), P-256, GCM",
            vec!["-stream", "-aes-256-gcm"],
            vec![(&p256, none)],
            "AES-256-GCM",
            true,
            false,
        ),
        (
            "subject key identifier, RSA",
            vec!["-keyid", "-aes-256-cbc"],
            vec![(&rsa, none)],
            "AES-256-CBC",
            false,
            false,
        ),
        (
            "subject key identifier, P-384",
            vec!["-keyid", "-aes-128-gcm"],
            vec![(&p384, none)],
            "AES-128-GCM",
            true,
            false,
        ),
    ];
    for (case, args, recips, cipher, authenticated, weak) in &cases {
        let msg = openssl_encrypt(d, &content, args, recips);
        if args.contains(&"-stream") {
            // Indefinite lengths: really BER.
            assert_eq!(&msg[..2], &[0x30, 0x80], "{case}: not BER");
        }
        let r = recips[0].0;
        if *weak {
            // Legacy ciphers: refused by default.
            let err = decrypt_data(&msg, &keys(&[r]), &DecryptOptions::new()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotPermitted, "{case}: {err}");
        }
        let out = decrypt(&msg, &[r]);
        assert!(out.content[..] == content[..], "{case}: content differs");
        assert_eq!(out.cipher, *cipher, "{case}");
        assert_eq!(out.authenticated, *authenticated, "{case}");
        assert_eq!(!out.weak.is_empty(), *weak, "{case}: {:?}", out.weak);
        assert!(out.recipient.matches(&r.cert), "{case}");
    }

    // Two recipients (RSA and P-256), each decrypts with only its own key.
    for cipher in ["-aes-256-cbc", "-aes-128-gcm"] {
        let msg = openssl_encrypt(d, &content, &[cipher], &[(&rsa, none), (&p256, none)]);
        for r in [&rsa, &p256] {
            let out = decrypt(&msg, &[r]);
            assert!(out.content[..] == content[..], "two recipients, {cipher}");
            assert!(out.recipient.matches(&r.cert));
        }
        // Not for the third.
        let err = decrypt_data(&msg, &keys(&[&p384]), &DecryptOptions::new()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }

    // Refusals by configuration.
    let v15 = openssl_encrypt(d, &content, &["-aes-256-cbc"], &[(&rsa, none)]);
    let err = decrypt_data(
        &v15,
        &keys(&[&rsa]),
        &DecryptOptions::new().allow_pkcs1v15(false),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted, "{err}");
    let des3 = openssl_encrypt(d, &content, &["-des3"], &[(&p256, none)]);
    let err = decrypt_data(
        &des3,
        &keys(&[&p256]),
        &DecryptOptions::new().allow_legacy_ciphers(false),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted, "{err}");
}

#[test]
fn openssl_oaep_with_default_parameters_decrypts() {
    // `-keyopt rsa_padding_mode:oaep` alone is OAEP with SHA-1 and MGF1-SHA-1 (RFC 8017's
    // defaults), what most OAEP producers write: read (issue #13; it was refused before).
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa = recipient(d, "rsa", KeyKind::Rsa(2048));
    let msg = openssl_encrypt(
        d,
        b"oaep sha1",
        &["-aes-256-cbc"],
        &[(&rsa, &["rsa_padding_mode:oaep"][..])],
    );
    let out = decrypt_data(&msg, &keys(&[&rsa]), &DecryptOptions::new()).unwrap();
    assert_eq!(&out.content[..], b"oaep sha1");
}

#[test]
fn tampered_openssl_message_fails_like_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa = recipient(d, "rsa", KeyKind::Rsa(2048));
    let other = recipient(d, "other", KeyKind::Rsa(2048));
    let msg = openssl_encrypt(d, b"secret", &["-aes-256-gcm"], &[(&rsa, &[][..])]);
    // The other key, claimed for the recipient's identifier: a wrong key.
    let wrong = KeyListFor {
        key: Arc::clone(&other.key),
    };
    let reference = decrypt_data(&msg, &wrong, &DecryptOptions::new()).unwrap_err();
    assert_eq!(reference.kind(), ErrorKind::Crypto);
    // The last byte of the message is the last byte of the GCM tag.
    let mut bad = msg.clone();
    *bad.last_mut().unwrap() ^= 1;
    let err = decrypt_data(&bad, &keys(&[&rsa]), &DecryptOptions::new()).unwrap_err();
    assert_eq!(err.kind(), reference.kind());
    assert_eq!(err.to_string(), reference.to_string());
    // And openssl agrees that the tampered message does not decrypt.
    std::fs::write(d.join("bad.der"), &bad).unwrap();
    let status = Command::new("openssl")
        .args([
            "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "bad.der",
        ])
        .args([
            "-recip",
            path(&rsa.files.cert),
            "-inkey",
            path(&rsa.files.key),
        ])
        .current_dir(d)
        .output()
        .unwrap()
        .status;
    assert!(!status.success());
}

/// Gives one key for whatever recipient is asked about.
struct KeyListFor {
    key: Arc<PrivateKey>,
}

impl hermes_pki::smime::RecipientKeys for KeyListFor {
    fn key_for(
        &self,
        _id: &hermes_pki::smime::RecipientId,
    ) -> hermes_pki::Result<Option<Box<dyn hermes_pki::key::Decryptor>>> {
        // A fresh copy of the key (PKCS#8 round trip): the Decryptor must be owned.
        let der = self.key.to_pkcs8_der()?;
        Ok(Some(Box::new(PrivateKey::from_pkcs8_der(&der)?)))
    }
}

/// Every RSA size the fixed-width operations serve (2048, 3072, 4096) with every key
/// transport written here: what is encrypted here decrypts with `openssl cms -decrypt`, and
/// what OpenSSL encrypts with OAEP-SHA-512 and PKCS#1 v1.5 decrypts here.
#[test]
fn every_rsa_size_and_key_transport_both_ways() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = content();
    for bits in [2048u32, 3072, 4096] {
        let r = recipient(d, &format!("rsa{bits}"), KeyKind::Rsa(bits));
        for scheme in [
            KeyTransport::Pkcs1v15,
            KeyTransport::OaepSha256,
            KeyTransport::OaepSha384,
            KeyTransport::OaepSha512,
        ] {
            let options = EncryptOptions::new()
                .cipher(ContentCipher::Aes256Cbc)
                .key_transport(scheme);
            let msg = encrypt_data(&content, std::slice::from_ref(&r.cert), &options).unwrap();
            assert!(
                openssl_decrypt(d, &msg, &r) == content,
                "RSA-{bits} {scheme:?}: openssl did not get the content back"
            );
        }
        for keyopts in [
            &["rsa_padding_mode:pkcs1"][..],
            &[
                "rsa_padding_mode:oaep",
                "rsa_oaep_md:sha512",
                "rsa_mgf1_md:sha512",
            ][..],
        ] {
            let msg = openssl_encrypt(d, &content, &["-aes-256-cbc"], &[(&r, keyopts)]);
            let out = decrypt(&msg, &[&r]);
            assert!(out.content[..] == content[..], "RSA-{bits} {keyopts:?}");
        }
    }
}
