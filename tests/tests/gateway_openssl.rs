//! The gateway facade (`Pki::protect`, `Pki::open_message`) judged by the real `openssl`
//! command.
//!
//! - Escrow at all three levels: `additional-certificates` set to a different escrow
//!   certificate for bob@example.com, for example.com and globally; the message `protect` makes
//!   from Alice to Bob decrypts with `openssl cms -decrypt` under each escrow key and under Bob's,
//!   each time to the original body.
//! - `open_message` on RFC 5322 messages made by `openssl smime`: signed by the sender (valid),
//!   encrypted to Bob with AES-256-CBC (one encrypted layer, not signed), signed then encrypted
//!   (two layers, valid), and signed by Alice under `From: bob@example.com`
//!   (`NotValidReason::SignerIsNotSender`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::time::{Duration, SystemTime};

use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec, Issued};
use hermes_pki::key::KeySpec;
use hermes_pki::pki::{
    Layer, NotValidReason, OpenOptions, Opened, OpenedMessage, Pki, ProtectOptions, SignerStatus,
    Signing,
};
use hermes_pki::settings::{SettingKey, SettingScope, SettingValue};
use hermes_pki::store::MemoryStore;
use hermes_pki::time::FixedClock;
use hermes_pki_tests::openssl;

const BODY: &str = "Hello Bob,\nthe numbers are in.\n";

/// Certificates are issued an hour ago; everything else happens now (OpenSSL stamps its own
/// signing time).
fn issued_at() -> SystemTime {
    SystemTime::now() - Duration::from_secs(3600)
}

fn new_pki() -> Pki {
    let pki = Pki::new(MemoryStore::new());
    pki.ca()
        .create(
            &CaSpec::new(DistinguishedName::new("Gateway Root")).key(KeySpec::EcP256),
            &FixedClock(issued_at()),
        )
        .unwrap();
    pki
}

fn issue(pki: &Pki, email: &str, key: KeySpec) -> Issued {
    pki.ca()
        .issue(
            &IssueSpec::new(email, email).key(key),
            &FixedClock(issued_at()),
        )
        .unwrap()
}

/// Writes `name.pem` (certificate) and `name.key` (PKCS#8 key) into `dir`.
fn write_files(dir: &Path, name: &str, issued: &Issued) {
    std::fs::write(
        dir.join(format!("{name}.pem")),
        issued.certificate().to_pem(),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{name}.key")),
        issued.key().to_pkcs8_pem().unwrap().as_bytes(),
    )
    .unwrap();
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn escrow_at_user_domain_and_global_level_each_decrypt_with_openssl() {
    let pki = new_pki();
    let dir = tempfile::tempdir().unwrap();
    let alice = issue(&pki, "alice@example.com", KeySpec::EcP256);
    let bob = issue(&pki, "bob@example.com", KeySpec::EcP256);
    let escrows = [
        (
            "escrow-user",
            issue(&pki, "escrow-user@corp.example", KeySpec::Rsa(2048)),
            SettingScope::user("bob@example.com").unwrap(),
        ),
        (
            "escrow-domain",
            issue(&pki, "escrow-domain@corp.example", KeySpec::EcP256),
            SettingScope::domain("example.com").unwrap(),
        ),
        (
            "escrow-global",
            issue(&pki, "escrow-global@corp.example", KeySpec::EcP256),
            SettingScope::Global,
        ),
    ];
    for (name, issued, scope) in &escrows {
        pki.settings()
            .set(
                scope,
                SettingKey::AdditionalCertificates,
                &SettingValue::Thumbprints(vec![*issued.certificate().thumbprint()]),
            )
            .unwrap();
        write_files(dir.path(), name, issued);
    }
    write_files(dir.path(), "bob", &bob);

    let plain = format!("From: alice@example.com\nTo: bob@example.com\nSubject: numbers\n\n{BODY}");
    let p = pki
        .protect(
            plain.as_bytes(),
            "alice@example.com",
            &["bob@example.com"],
            &ProtectOptions::new(SystemTime::now()),
        )
        .unwrap();
    assert_eq!(p.messages.len(), 1);
    let m = &p.messages[0];
    assert!(m.signed && m.cipher.is_some(), "{m:?}");
    match &p.signing {
        Signing::Signed { certificate, .. } => {
            assert_eq!(certificate.thumbprint(), alice.certificate().thumbprint());
        }
        other => panic!("not signed: {other:?}"),
    }
    // Bob plus the three escrow certificates, each once.
    let mut want = vec![*bob.certificate().thumbprint()];
    want.extend(
        escrows
            .iter()
            .map(|(_, i, _)| *i.certificate().thumbprint()),
    );
    let mut got = m.encrypted_to.clone();
    got.sort();
    want.sort();
    assert_eq!(got, want);
    assert!(!contains(&m.message, "the numbers are in"));
    std::fs::write(dir.path().join("protected.eml"), &m.message).unwrap();

    // Four recipient infos in what OpenSSL parses.
    let printed = hermes_pki_tests::openssl_text(
        &["cms", "-cmsout", "-print", "-in", "protected.eml"],
        dir.path(),
    );
    // One key transport (the RSA escrow) and three key agreements (the P-256 keys).
    assert_eq!(printed.matches("d.ktri:").count(), 1, "{printed}");
    assert_eq!(printed.matches("d.kari:").count(), 3, "{printed}");

    for name in ["bob", "escrow-user", "escrow-domain", "escrow-global"] {
        let out = openssl(
            &[
                "cms",
                "-decrypt",
                "-in",
                "protected.eml",
                "-recip",
                &format!("{name}.pem"),
                "-inkey",
                &format!("{name}.key"),
            ],
            dir.path(),
        );
        // The decrypted entity is Alice's signed message, with the original body inside.
        assert!(contains(&out, "multipart/signed"), "{name}");
        assert!(contains(&out, "the numbers are in."), "{name}");
        assert!(contains(&out, "Hello Bob,"), "{name}");
    }
    // A key that is not a recipient does not open it (the check above can fail).
    let outsider = issue(&pki, "outsider@corp.example", KeySpec::EcP256);
    write_files(dir.path(), "outsider", &outsider);
    let refused = std::process::Command::new("openssl")
        .args([
            "cms",
            "-decrypt",
            "-in",
            "protected.eml",
            "-recip",
            "outsider.pem",
            "-inkey",
            "outsider.key",
        ])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

/// Alice and Bob, their files in `dir`, and the entity to protect.
struct World {
    pki: Pki,
    dir: tempfile::TempDir,
    alice: Issued,
}

fn world() -> World {
    let pki = new_pki();
    let dir = tempfile::tempdir().unwrap();
    let alice = issue(&pki, "alice@example.com", KeySpec::EcP256);
    // RSA: `openssl smime -encrypt` (PKCS#7) cannot encrypt to an EC key.
    let bob = issue(&pki, "bob@example.com", KeySpec::Rsa(2048));
    write_files(dir.path(), "alice", &alice);
    write_files(dir.path(), "bob", &bob);
    std::fs::write(
        dir.path().join("entity.txt"),
        format!("Content-Type: text/plain; charset=us-ascii\n\n{BODY}"),
    )
    .unwrap();
    World { pki, dir, alice }
}

impl World {
    fn openssl(&self, args: &[&str]) -> Vec<u8> {
        openssl(args, self.dir.path())
    }

    /// `openssl smime -sign` of the entity by Alice, with these headers (none when `from` is
    /// `None`).
    fn sign(&self, from: Option<&str>) -> Vec<u8> {
        let mut args = vec![
            "smime",
            "-sign",
            "-in",
            "entity.txt",
            "-signer",
            "alice.pem",
            "-inkey",
            "alice.key",
        ];
        if let Some(from) = from {
            args.extend([
                "-from",
                from,
                "-to",
                "carol@example.org",
                "-subject",
                "numbers",
            ]);
        }
        self.openssl(&args)
    }

    fn open(&self, message: &[u8]) -> OpenedMessage {
        match self
            .pki
            .open_message(message, &OpenOptions::new(SystemTime::now()))
            .unwrap()
        {
            Opened::Processed(m) => m,
            other => panic!("expected processed, got {other:?}"),
        }
    }

    fn assert_signed_by_alice(&self, layer: &Layer, valid: bool) {
        let Layer::Signed(s) = layer else {
            panic!("expected a signed layer, got {layer:?}")
        };
        assert_eq!(s.signers.len(), 1);
        let signer = &s.signers[0];
        assert_eq!(
            signer.certificate.as_ref().map(|c| *c.thumbprint()),
            Some(*self.alice.certificate().thumbprint())
        );
        assert_eq!(signer.verdict == SignerStatus::Valid, valid, "{signer:?}");
    }
}

#[test]
fn open_message_signed_by_the_sender_with_openssl_is_valid() {
    let w = world();
    let signed = w.sign(Some("alice@example.com"));
    assert!(contains(&signed, "From: alice@example.com"));
    let m = w.open(&signed);
    assert!(m.is_valid() && m.is_signed() && !m.is_encrypted(), "{m:?}");
    assert_eq!(m.layers.len(), 1);
    w.assert_signed_by_alice(&m.layers[0], true);
    assert_eq!(m.senders, vec!["alice@example.com".to_string()]);
    assert!(contains(&m.message, "the numbers are in."));
    assert!(contains(&m.message, "Subject: numbers"));
}

#[test]
fn open_message_encrypted_by_openssl_is_one_encrypted_layer() {
    let w = world();
    let encrypted = w.openssl(&[
        "smime",
        "-encrypt",
        "-aes256",
        "-in",
        "entity.txt",
        "-from",
        "alice@example.com",
        "-to",
        "bob@example.com",
        "-subject",
        "numbers",
        "bob.pem",
    ]);
    assert!(!contains(&encrypted, "the numbers are in"));
    let m = w.open(&encrypted);
    assert!(m.is_encrypted() && !m.is_signed(), "{m:?}");
    assert_eq!(m.layers.len(), 1);
    let Layer::Encrypted(e) = &m.layers[0] else {
        panic!("expected an encrypted layer: {:?}", m.layers[0])
    };
    assert!(e.cipher.to_ascii_lowercase().contains("aes"), "{e:?}");
    assert!(e.cipher.contains("256"), "{e:?}");
    assert!(!e.authenticated);
    assert_eq!(
        e.recipient_certificate
            .as_ref()
            .map(|c| c.emails().to_vec()),
        Some(vec!["bob@example.com".to_string()])
    );
    assert!(contains(&m.message, "the numbers are in."));
    assert_eq!(m.signers().count(), 0);
}

#[test]
fn open_message_signed_then_encrypted_by_openssl_has_two_valid_layers() {
    let w = world();
    std::fs::write(w.dir.path().join("signed.txt"), w.sign(None)).unwrap();
    let both = w.openssl(&[
        "smime",
        "-encrypt",
        "-aes256",
        "-in",
        "signed.txt",
        "-from",
        "alice@example.com",
        "-to",
        "bob@example.com",
        "-subject",
        "numbers",
        "bob.pem",
    ]);
    assert!(!contains(&both, "the numbers are in"));
    let m = w.open(&both);
    assert!(m.is_valid() && m.is_encrypted() && m.is_signed(), "{m:?}");
    assert_eq!(m.layers.len(), 2);
    assert!(matches!(m.layers[0], Layer::Encrypted(_)), "{:?}", m.layers);
    w.assert_signed_by_alice(&m.layers[1], true);
    assert_eq!(m.senders, vec!["alice@example.com".to_string()]);
    assert!(contains(&m.message, "the numbers are in."));
}

#[test]
fn open_message_signed_by_alice_from_bob_is_signer_is_not_sender() {
    let w = world();
    let signed = w.sign(Some("bob@example.com"));
    let m = w.open(&signed);
    assert!(!m.is_valid(), "{m:?}");
    assert_eq!(m.layers.len(), 1);
    w.assert_signed_by_alice(&m.layers[0], false);
    let signer = m.signers().next().unwrap();
    assert_eq!(
        signer.verdict,
        SignerStatus::NotValid(vec![NotValidReason::SignerIsNotSender {
            signer: vec!["alice@example.com".into()],
            senders: vec!["bob@example.com".into()],
        }])
    );
}
