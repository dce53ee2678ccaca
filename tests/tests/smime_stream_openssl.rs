//! The streaming S/MIME message layer against the `openssl cms` command, on files of about
//! 25 MiB: what `sign_message_to` and `encrypt_message_to` write from one file to another
//! verifies and decrypts with `openssl cms`, and what `openssl cms -encrypt` writes decrypts
//! with `decrypt_message_to` from its file; an opaque signature streamed by `sign_message_to`
//! verifies with `openssl cms -verify`, and what `openssl cms -sign` writes (opaque with
//! `-nodetach`, as DER and streamed as BER; detached; two signers) verifies with
//! `verify_message_to` and `verify_message_from` from its file. Certificates and keys are
//! made by OpenSSL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, KeyList, SignOptions, SignatureForm,
    SignatureStatus, SignerPolicy, decrypt_message_to, encrypt_message_to, sign_message_to,
    verify_message_from, verify_message_to,
};
use hermes_pki_tests::{KeyKind, issue, self_signed};

const ROOT_EXT: &str = "basicConstraints = critical, CA:TRUE\n\
    keyUsage = critical, keyCertSign, cRLSign\n\
    subjectKeyIdentifier = hash";

const USER_EXT: &str = "basicConstraints = CA:FALSE\n\
    keyUsage = critical, digitalSignature, nonRepudiation, keyEncipherment\n\
    extendedKeyUsage = emailProtection\nsubjectKeyIdentifier = hash\n\
    authorityKeyIdentifier = keyid\nsubjectAltName = email:alice@example.com";

/// `openssl args` in `dir`; panics with its output when it fails.
fn openssl(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("cannot run the openssl command");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        out.status.success(),
        "openssl {} failed:\n{text}",
        args.join(" ")
    );
    text
}

/// A mail of a little over 25 MiB: outer header fields, a `text/plain` entity of LF lines (the
/// streaming layer makes them CRLF).
fn large_mail() -> Vec<u8> {
    let mut m = b"From: alice@example.com\nTo: bob@example.com\nSubject: large\n\
        Content-Type: text/plain; charset=us-ascii\n\n"
        .to_vec();
    let mut i = 0u32;
    while m.len() < 25 * 1024 * 1024 {
        m.extend_from_slice(format!("line {i:09}: the quick brown fox\n").as_bytes());
        i += 1;
    }
    m
}

/// The entity as it is signed and encrypted: the Content-Type field, a blank line, the body
/// with CRLF line ends.
fn entity_crlf(mail: &[u8]) -> Vec<u8> {
    let at = mail.windows(2).position(|w| w == b"\n\n").unwrap() + 2;
    let mut e = b"Content-Type: text/plain; charset=us-ascii\r\n\r\n".to_vec();
    for line in mail[at..].split_inclusive(|b| *b == b'\n') {
        e.extend_from_slice(line.strip_suffix(b"\n").unwrap_or(line));
        e.extend_from_slice(b"\r\n");
    }
    e
}

#[test]
fn streamed_files_verify_and_decrypt_with_openssl_cms_and_back() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "root", KeyKind::P256, "/CN=Stream Root", ROOT_EXT);
    let alice = issue(
        d,
        "alice",
        &root,
        KeyKind::Rsa(2048),
        "/CN=alice/emailAddress=alice@example.com",
        Some(USER_EXT),
        30,
    );
    let cert = Certificate::from_pem(&String::from_utf8(alice.pem()).unwrap()).unwrap();
    let key = Arc::new(
        PrivateKey::from_pem(&std::fs::read_to_string(&alice.key).unwrap(), None).unwrap(),
    );
    let mail = large_mail();
    let want = entity_crlf(&mail);
    std::fs::write(d.join("mail.eml"), &mail).unwrap();
    let open = |name: &str| std::fs::File::open(d.join(name)).unwrap();
    let create = |name: &str| std::fs::File::create(d.join(name)).unwrap();

    // Signed from file to file; OpenSSL verifies it and outputs the signed entity.
    let written = sign_message_to(
        open("mail.eml"),
        std::io::BufWriter::new(create("signed.eml")),
        &cert,
        &[],
        &*key,
        SignatureForm::Detached,
        &SignOptions::new(SystemTime::now()),
    )
    .unwrap();
    assert_eq!(
        written,
        std::fs::metadata(d.join("signed.eml")).unwrap().len()
    );
    let text = openssl(
        d,
        &[
            "cms",
            "-verify",
            "-CAfile",
            "root.pem",
            "-in",
            "signed.eml",
            "-out",
            "verified.eml",
        ],
    );
    assert!(text.contains("Verification successful"), "{text}");
    assert!(std::fs::read(d.join("verified.eml")).unwrap() == want);

    // Encrypted from file to file (CBC and GCM); OpenSSL decrypts it to the entity.
    for (cipher, name) in [
        (ContentCipher::Aes256Cbc, "cbc"),
        (ContentCipher::Aes256Gcm, "gcm"),
    ] {
        let out = format!("encrypted-{name}.eml");
        encrypt_message_to(
            open("mail.eml"),
            create(&out),
            std::slice::from_ref(&cert),
            &EncryptOptions::new().cipher(cipher),
        )
        .unwrap();
        let dec = format!("decrypted-{name}.eml");
        openssl(
            d,
            &[
                "cms",
                "-decrypt",
                "-in",
                &out,
                "-recip",
                "alice.pem",
                "-inkey",
                "alice.key",
                "-out",
                &dec,
            ],
        );
        assert!(std::fs::read(d.join(&dec)).unwrap() == want, "{name}");
    }

    // OpenSSL encrypts the entity; the streaming decryption reads its file.
    std::fs::write(d.join("entity.eml"), &want).unwrap();
    openssl(
        d,
        &[
            "cms",
            "-encrypt",
            "-aes256",
            "-binary",
            "-in",
            "entity.eml",
            "-out",
            "theirs.eml",
            "alice.pem",
        ],
    );
    let keys = KeyList::new().with(cert.clone(), Arc::clone(&key)).unwrap();
    let info = decrypt_message_to(
        open("theirs.eml"),
        std::io::BufWriter::new(create("ours.eml")),
        &keys,
        &DecryptOptions::new(),
    )
    .unwrap();
    assert_eq!(info.cipher, "AES-256-CBC");
    let ours = std::fs::read(d.join("ours.eml")).unwrap();
    assert!(ours.ends_with(&want), "the decrypted entity differs");
    assert_eq!(info.written, ours.len() as u64);
}

#[test]
fn large_signatures_verify_both_ways_with_openssl_cms_streamed() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = self_signed(d, "root", KeyKind::P256, "/CN=Stream Root", ROOT_EXT);
    let alice = issue(
        d,
        "alice",
        &root,
        KeyKind::Rsa(2048),
        "/CN=alice/emailAddress=alice@example.com",
        Some(USER_EXT),
        30,
    );
    issue(
        d,
        "bob",
        &root,
        KeyKind::P256,
        "/CN=bob/emailAddress=bob@example.com",
        Some(&USER_EXT.replace("alice@", "bob@")),
        30,
    );
    let cert = Certificate::from_pem(&String::from_utf8(alice.pem()).unwrap()).unwrap();
    let key = PrivateKey::from_pem(&std::fs::read_to_string(&alice.key).unwrap(), None).unwrap();
    let mail = large_mail();
    let want = entity_crlf(&mail);
    std::fs::write(d.join("mail.eml"), &mail).unwrap();
    std::fs::write(d.join("entity.eml"), &want).unwrap();
    let open = |name: &str| std::fs::File::open(d.join(name)).unwrap();
    let create = |name: &str| std::fs::File::create(d.join(name)).unwrap();

    // Our opaque signature, streamed from file to file, verifies in OpenSSL.
    sign_message_to(
        open("mail.eml"),
        std::io::BufWriter::new(create("opaque.eml")),
        &cert,
        &[],
        &key,
        SignatureForm::Opaque,
        &SignOptions::new(SystemTime::now()),
    )
    .unwrap();
    let text = openssl(
        d,
        &[
            "cms",
            "-verify",
            "-CAfile",
            "root.pem",
            "-in",
            "opaque.eml",
            "-out",
            "opaque-verified.eml",
        ],
    );
    assert!(text.contains("Verification successful"), "{text}");
    assert!(std::fs::read(d.join("opaque-verified.eml")).unwrap() == want);

    // OpenSSL's signatures of the entity: opaque (-nodetach: the content inside the
    // SignedData; DER, and with -stream BER with indefinite lengths), detached, and detached
    // by two signers.
    let cases: [(&str, &[&str], usize, SignatureForm); 4] = [
        (
            "theirs-opaque-ber.eml",
            &["-nodetach", "-stream"],
            1,
            SignatureForm::Opaque,
        ),
        (
            "theirs-opaque.eml",
            &["-nodetach"],
            1,
            SignatureForm::Opaque,
        ),
        ("theirs-detached.eml", &[], 1, SignatureForm::Detached),
        (
            "theirs-two.eml",
            &["-signer", "bob.pem", "-inkey", "bob.key"],
            2,
            SignatureForm::Detached,
        ),
    ];
    for (out, extra, signers, form) in cases {
        let mut args = vec![
            "cms",
            "-sign",
            "-binary",
            "-in",
            "entity.eml",
            "-out",
            out,
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
        ];
        args.extend_from_slice(extra);
        openssl(d, &args);
        let verified = format!("{out}.verified");
        let info = verify_message_to(
            open(out),
            std::io::BufWriter::new(create(&verified)),
            &[],
            &SignerPolicy::new(),
        )
        .unwrap();
        assert_eq!(info.form, form, "{out}");
        assert_eq!(info.signers.len(), signers, "{out}");
        assert!(info.all_signatures_valid(), "{out}: {:?}", info.signers);
        let written = std::fs::read(d.join(&verified)).unwrap();
        assert_eq!(info.written, written.len() as u64);
        assert!(
            written.ends_with(&want),
            "{out}: the verified entity differs"
        );
        let v = verify_message_from(open(out), &[], &SignerPolicy::new()).unwrap();
        assert!(v.inner == want, "{out}");
        assert!(v.message == written, "{out}");
        assert_eq!(
            format!("{:?}", v.signed.signers),
            format!("{:?}", info.signers)
        );
    }

    // One byte of OpenSSL's opaque content changed: the verdict says so, and is not an error.
    let mut changed = std::fs::read(d.join("theirs-opaque.eml")).unwrap();
    let at = changed.len() / 2;
    let at = at
        + changed[at..]
            .iter()
            .position(|b| b.is_ascii_alphanumeric())
            .unwrap();
    changed[at] = if changed[at] == b'A' { b'B' } else { b'A' };
    let info = verify_message_to(&changed[..], std::io::sink(), &[], &SignerPolicy::new()).unwrap();
    assert!(
        matches!(info.signers[0].status, SignatureStatus::ContentChanged),
        "{:?}",
        info.signers[0].status
    );
}
