//! S/MIME interop with gpgsm, GnuPG's S/MIME tool and KMail's engine (Debian `gpgsm`), in both
//! directions (issue #13).
//!
//! The certificates come from a hermes-pki CA (RSA-2048 root and issuing intermediate; Alice
//! and Bob). gpgsm gets Alice's and Bob's keys as PKCS#12 files exported here (the legacy
//! algorithms: gpgsm 2.2 cannot read PBES2 with an HMAC-SHA256 PRF) and trusts the root alone
//! (`trustlist.txt`); the intermediate reaches it inside the PKCS#12 files or the messages.
//!
//! - gpgsm → here: `gpgsm --detach-sign` and `--sign` (binary and `--armor`, as KMail sends
//!   them in `multipart/signed` / `application/pkcs7-mime`), `gpgsm --encrypt` (binary and
//!   armored, as `application/pkcs7-mime` and as the `application/octet-stream` `smime.p7m`
//!   KMail attaches) and sign-then-encrypt verify and decrypt here, through a store that trusts
//!   the root alone.
//! - Here → gpgsm: `Smime::sign` (detached and opaque) verifies with `gpgsm --verify` in a home
//!   that has only the root (GOODSIG, TRUST_FULLY), a changed byte is a BADSIG;
//!   `encrypt_message` (AES-128/256-CBC, RSA PKCS#1 v1.5) and sign-then-encrypt decrypt with
//!   `gpgsm --decrypt`. gpgsm 2.2 reads neither AuthEnvelopedData (AES-GCM) nor RSA-OAEP, so
//!   those are not sent to it.
//! - `hermes-pki cms sign` (the CLI) under a root + intermediate verifies with gpgsm trusting
//!   the root alone.

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::SystemTime;

use hermes_pki::cert::Certificate;
use hermes_pki::pkcs12::Pkcs12Options;
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, SignOptions, SignatureForm, Smime, Verification,
    decrypt_message, encrypt_message,
};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki_tests::cli::CliStore;
use hermes_pki_tests::gpgsm::{GpgHome, PASSPHRASE};
use hermes_pki_tests::mail::{
    self, cms_of, dearmor, multipart_signed, octet_stream_p7m, pkcs7_mime,
};

// ---------------------------------------------------------------------------------------------
// Fixture: a hermes-pki CA with Alice and Bob
// ---------------------------------------------------------------------------------------------

struct Fixture {
    /// The sender's store: the CA, Alice and Bob with their keys.
    store: MemoryStore,
    root: Certificate,
    intermediate: Certificate,
    alice: Certificate,
    bob: Certificate,
    /// The files gpgsm imports: `root.pem`, `alice.p12`, `bob.p12`.
    files: Vec<(String, Vec<u8>)>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let version = hermes_pki_tests::gpgsm::require_tools();
        eprintln!("judging with {version}");
        let world = hermes_pki_tests::HermesWorld::new("Hermes gpgsm");
        let (store, alice, bob) = (world.store, world.alice, world.bob);
        let p12 = |c: &Certificate| {
            hermes_pki::bundle::export_pkcs12(
                &store,
                c.thumbprint(),
                PASSPHRASE,
                &Pkcs12Options::new().legacy(true).iterations(2048),
            )
            .unwrap()
        };
        let root = world.root;
        let files = vec![
            ("root.pem".to_string(), root.to_pem().into_bytes()),
            ("alice.p12".to_string(), p12(&alice)),
            ("bob.p12".to_string(), p12(&bob)),
        ];
        Fixture {
            root,
            intermediate: world.intermediate,
            store,
            alice,
            bob,
            files,
        }
    })
}

/// A test's directory with the fixture's files.
struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &fixture().files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        Env { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).unwrap()
    }

    /// A gpgsm home that trusts the root and has the keys of `users` (`alice`, `bob`).
    fn gpg(&self, users: &[&str]) -> GpgHome {
        let home = GpgHome::new(&[&self.path("root.pem")]);
        for u in users {
            home.import_p12(&self.read(&format!("{u}.p12")));
        }
        home
    }
}

/// The receiver's store: the root as the only trust anchor, Bob's certificate and key.
fn receiver() -> MemoryStore {
    let f = fixture();
    let store = MemoryStore::new();
    let bob_key = f
        .store
        .read_transaction(|tx| tx.key_for_certificate(f.bob.thumbprint()))
        .unwrap()
        .expect("Bob's key is in the sender's store");
    store
        .transaction(|tx| {
            tx.put_root(&f.root)?;
            tx.put_certificate(&f.bob)?;
            tx.put_key(&bob_key)?;
            Ok(())
        })
        .unwrap();
    store
}

fn entity(what: &str) -> Vec<u8> {
    format!(
        "Content-Type: text/plain; charset=us-ascii\r\nContent-Transfer-Encoding: 7bit\r\n\r\n\
         Hello Bob,\r\n\r\n{what}\r\n\r\n-- \r\nAlice\r\n"
    )
    .into_bytes()
}

fn now() -> SystemTime {
    SystemTime::now()
}

fn reasons(v: &Verification) -> String {
    v.signers
        .iter()
        .map(|s| {
            format!(
                "signature valid: {}; validation: {:?}",
                s.signature_valid, s.validation
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Asserts a verification found Alice's valid signature and a valid chain.
#[track_caller]
fn assert_alice_valid(v: &Verification, what: &str) {
    let f = fixture();
    assert_eq!(v.signers.len(), 1, "{what}");
    assert_eq!(
        v.signers[0].certificate.as_ref().map(|c| c.thumbprint()),
        Some(f.alice.thumbprint()),
        "{what}: the signer is Alice"
    );
    assert!(v.signers[0].signature_valid, "{what}: {}", reasons(v));
    assert!(v.is_valid(), "{what}: not valid here:\n{}", reasons(v));
}

/// The key transport algorithm OID of the first KeyTransRecipientInfo in `der`, as found by
/// its DER bytes: rsaEncryption or id-RSAES-OAEP.
fn key_transport(der: &[u8]) -> &'static str {
    let rsa: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
    ];
    let oaep: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07,
    ];
    let has = |oid: &[u8]| der.windows(oid.len()).any(|w| w == oid);
    match (has(rsa), has(oaep)) {
        (_, true) => "RSAES-OAEP",
        (true, false) => "rsaEncryption (PKCS#1 v1.5)",
        _ => "neither rsaEncryption nor RSAES-OAEP",
    }
}

// ---------------------------------------------------------------------------------------------
// gpgsm → hermes-pki
// ---------------------------------------------------------------------------------------------

/// gpgsm's signatures, detached and opaque, binary and armored, wrapped as KMail sends them,
/// verify here with a valid chain through a store that trusts the root alone (gpgsm carries
/// the intermediate).
#[test]
fn gpgsm_signatures_verify_here() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&["alice"]);
    let store = receiver();
    let smime = Smime::new(&store);
    let content = entity("gpgsm signed this.");
    for armor in [false, true] {
        let unarmor = |out: Vec<u8>| if armor { dearmor(&out) } else { out };
        let detached = unarmor(gpg.sign("alice@example.com", &content, true, armor));
        let opaque = unarmor(gpg.sign("alice@example.com", &content, false, armor));
        for (what, message) in [
            (
                format!("detached, armor {armor}"),
                mail::message(&multipart_signed(&content, &detached)),
            ),
            (
                format!("opaque, armor {armor}"),
                mail::message(&pkcs7_mime(&opaque, "signed-data")),
            ),
        ] {
            let v = smime.verify(&message, now()).unwrap();
            assert_eq!(v.message.inner, content, "{what}");
            assert!(
                v.message
                    .signed
                    .certificates
                    .iter()
                    .any(|c| c.thumbprint() == f.intermediate.thumbprint()),
                "{what}: gpgsm carries the intermediate"
            );
            assert_alice_valid(&v, &what);
        }
    }
    // One changed byte of the signed part is not valid.
    let detached = gpg.sign("alice@example.com", &content, true, false);
    let mut changed = content.clone();
    let at = changed.len() - 10;
    changed[at] ^= 0x01;
    let v = smime
        .verify(
            &mail::message(&multipart_signed(&changed, &detached)),
            now(),
        )
        .unwrap();
    assert!(!v.is_valid());
    assert!(!v.signers[0].signature_valid);
}

/// `gpgsm --encrypt` to Bob, binary and armored, decrypts here with Bob's key from the store.
#[test]
fn gpgsm_encrypted_mail_decrypts_here() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&[]);
    gpg.import(format!("{}{}", f.bob.to_pem(), f.intermediate.to_pem()).as_bytes());
    let store = receiver();
    let content = entity("For Bob's eyes only (gpgsm).");
    for armor in [false, true] {
        let out = gpg.encrypt("bob@example.com", &content, armor);
        let der = if armor { dearmor(&out) } else { out };
        eprintln!("gpgsm --encrypt key transport: {}", key_transport(&der));
        let message = mail::message(&pkcs7_mime(&der, "enveloped-data"));
        let opened = Smime::new(&store)
            .decrypt(&message, &DecryptOptions::new())
            .unwrap_or_else(|e| panic!("armor {armor}: {e}"));
        assert_eq!(*opened.inner, content, "armor {armor}");
        assert!(opened.cipher.contains("AES"), "{}", opened.cipher);
    }
}

/// gpgsm's enveloped data as KMail attaches it: `application/octet-stream; name=smime.p7m`
/// (RFC 8551 3.2.2), decrypts here.
#[test]
fn gpgsm_encrypted_octet_stream_p7m_decrypts_here() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&[]);
    gpg.import(format!("{}{}", f.bob.to_pem(), f.intermediate.to_pem()).as_bytes());
    let content = entity("An octet-stream smime.p7m (gpgsm).");
    let der = gpg.encrypt("bob@example.com", &content, false);
    let message = mail::message(&octet_stream_p7m(&der));
    let opened = Smime::new(&receiver())
        .decrypt(&message, &DecryptOptions::new())
        .unwrap_or_else(|e| panic!("octet-stream smime.p7m from gpgsm: {e}"));
    assert_eq!(*opened.inner, content);
}

/// gpgsm's opaque signature as an `application/octet-stream` attachment named `smime.p7m`
/// (RFC 8551 3.2.2) verifies here, Alice valid.
#[test]
fn gpgsm_opaque_signed_octet_stream_p7m_verifies_here() {
    let env = Env::new();
    let gpg = env.gpg(&["alice"]);
    let content = entity("An opaque signature as octet-stream smime.p7m (gpgsm).");
    let der = gpg.sign("alice@example.com", &content, false, false);
    let message = mail::message(&octet_stream_p7m(&der));
    let v = Smime::new(&receiver())
        .verify(&message, now())
        .unwrap_or_else(|e| panic!("octet-stream smime.p7m signed by gpgsm: {e}"));
    assert_eq!(v.message.inner, content);
    assert_alice_valid(&v, "octet-stream smime.p7m");
}

/// gpgsm signs (opaque), then encrypts the signed entity: `Smime::decrypt_verify` opens it and
/// finds Alice's valid signature.
#[test]
fn gpgsm_signed_then_encrypted_mail_opens_here() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&["alice"]);
    gpg.import(format!("{}{}", f.bob.to_pem(), f.intermediate.to_pem()).as_bytes());
    let content = entity("Signed, then encrypted (gpgsm).");
    let signed_entity = pkcs7_mime(
        &gpg.sign("alice@example.com", &content, false, false),
        "signed-data",
    );
    let der = gpg.encrypt("bob@example.com", &signed_entity, false);
    let message = mail::message(&pkcs7_mime(&der, "enveloped-data"));
    let (opened, verification) = Smime::new(&receiver())
        .decrypt_verify(&message, now(), &DecryptOptions::new())
        .unwrap();
    assert_eq!(*opened.inner, signed_entity);
    let v = verification.expect("the decrypted entity is signed");
    assert_eq!(v.message.inner, content);
    assert_alice_valid(&v, "sign-then-encrypt");
}

// ---------------------------------------------------------------------------------------------
// hermes-pki → gpgsm
// ---------------------------------------------------------------------------------------------

/// Asserts gpgsm verified one good signature by a fully trusted chain; returns the status.
#[track_caller]
fn assert_gpgsm_verifies(gpg: &GpgHome, der: &[u8], detached: Option<&[u8]>, what: &str) {
    let (run, _) = gpg.verify(der, detached);
    assert!(run.ok, "{what}: gpgsm --verify fails:\n{}", run.text);
    assert!(
        run.has_status("GOODSIG"),
        "{what}: no GOODSIG:\n{}",
        run.text
    );
    assert!(
        run.has_status("VALIDSIG"),
        "{what}: no VALIDSIG:\n{}",
        run.text
    );
    assert!(
        run.has_status("TRUST_FULLY"),
        "{what}: the chain is not trusted:\n{}",
        run.text
    );
    assert!(!run.has_status("BADSIG"), "{what}:\n{}", run.text);
}

/// Signatures made here (detached and opaque, the intermediate in the message) verify with
/// gpgsm trusting the root alone; the content gpgsm outputs is the signed entity; a changed
/// byte is a BADSIG.
#[test]
fn our_signatures_verify_in_gpgsm() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&[]);
    let content = entity("hermes-pki signed this for gpgsm.");
    let smime = Smime::new(&f.store);
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = smime
            .sign(
                &mail::message(&content),
                &f.alice,
                form,
                &SignOptions::new(now()),
            )
            .unwrap();
        let (detached, der) = cms_of(&signed);
        assert_gpgsm_verifies(&gpg, &der, detached.as_deref(), &format!("{form:?}"));
        match detached {
            Some(mut changed) => {
                assert_eq!(changed, content);
                let at = changed.len() - 10;
                changed[at] ^= 0x01;
                let (run, _) = gpg.verify(&der, Some(&changed));
                assert!(!run.ok, "gpgsm accepts a changed byte:\n{}", run.text);
                assert!(run.has_status("BADSIG"), "{}", run.text);
            }
            None => {
                let (_, out) = gpg.verify(&der, None);
                assert_eq!(out, content, "the content gpgsm outputs");
            }
        }
    }
}

/// Mail encrypted here (AES-128/256-CBC, RSA PKCS#1 v1.5) to Bob decrypts with gpgsm.
#[test]
fn our_encryption_decrypts_in_gpgsm() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&["bob"]);
    let content = entity("hermes-pki encrypted this for gpgsm.");
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc] {
        let message = encrypt_message(
            &mail::message(&content),
            std::slice::from_ref(&f.bob),
            &EncryptOptions::new().cipher(cipher),
        )
        .unwrap();
        let (_, der) = cms_of(&message);
        let run = gpg.decrypt(&der);
        assert!(run.ok, "{cipher:?}: gpgsm --decrypt fails:\n{}", run.text);
        assert_eq!(run.stdout, content, "{cipher:?}");
    }
    // Our own decryption of the same kind of message, as a check of the check.
    let message = encrypt_message(
        &mail::message(&content),
        std::slice::from_ref(&f.bob),
        &EncryptOptions::new(),
    )
    .unwrap();
    let keys = receiver();
    let opened = keys
        .read_transaction(|tx| {
            decrypt_message(
                &message,
                &hermes_pki::smime::StoreKeys::new(tx),
                &DecryptOptions::new(),
            )
        })
        .unwrap();
    assert_eq!(*opened.inner, content);
}

/// Sign-then-encrypt made here opens in gpgsm: decrypted, then the opaque signed entity
/// verifies trusting the root alone.
#[test]
fn our_signed_then_encrypted_mail_opens_in_gpgsm() {
    let f = fixture();
    let env = Env::new();
    let gpg = env.gpg(&["bob"]);
    let content = entity("Signed, then encrypted, for gpgsm.");
    let message = Smime::new(&f.store)
        .sign_encrypt(
            &mail::message(&content),
            &f.alice,
            std::slice::from_ref(&f.bob),
            SignatureForm::Opaque,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    let (_, enveloped) = cms_of(&message);
    let run = gpg.decrypt(&enveloped);
    assert!(run.ok, "gpgsm --decrypt fails:\n{}", run.text);
    let (none, signed) = cms_of(&run.stdout);
    assert!(none.is_none(), "the signed entity is opaque");
    assert_gpgsm_verifies(&gpg, &signed, None, "decrypted signed entity");
    let (_, out) = gpg.verify(&signed, None);
    assert_eq!(out, content);
}

/// `hermes-pki cms sign` (opaque and `--detached`) under a root + intermediate verifies with
/// gpgsm trusting only the root.
#[test]
fn cli_cms_sign_verifies_in_gpgsm_against_the_root_alone() {
    let dir = tempfile::tempdir().unwrap();
    let cli = CliStore::new(dir.path());
    let root = cli.create_ca("CLI gpgsm Root", "CLI gpgsm Mail CA");
    cli.issue("alice@example.com", "Alice");
    let gpg = GpgHome::new(&[&root]);
    let content = b"Raw CMS content from the hermes-pki CLI, for gpgsm.\r\n".to_vec();
    for detached in [false, true] {
        let what = if detached { "--detached" } else { "opaque" };
        let der = cli.cms_sign("alice@example.com", &content, detached);
        assert_gpgsm_verifies(&gpg, &der, detached.then_some(content.as_slice()), what);
        if !detached {
            let (_, out) = gpg.verify(&der, None);
            assert_eq!(out, content);
        }
    }
}
