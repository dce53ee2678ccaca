//! S/MIME interop with NSS, Thunderbird's crypto engine (Debian `libnss3-tools`: `certutil`,
//! `pk12util`, `cmsutil`), in both directions (issue #13).
//!
//! Certificates are made by NSS `certutil` as NSS's and Thunderbird's test suites make them:
//! a self-signed CA with a non-critical basicConstraints and no key identifiers, end users
//! with only an email subjectAltName (no key usage, no authority key identifier). Keys reach
//! hermes-pki as NSS `pk12util` writes them (PBES2, AES-256, 600,000 PBKDF2 iterations).
//!
//! - NSS → here: `cmsutil -S -G -P` (detached, wrapped as `multipart/signed`; opaque, as
//!   `application/pkcs7-mime`), `cmsutil -E` (as `application/pkcs7-mime` and as an
//!   `application/octet-stream` `smime.p7m`) and sign-then-encrypt verify and decrypt here; the
//!   NSS-made chains are valid under the default validation profile. RSA-OAEP with the default
//!   parameters (SHA-1, MGF1-SHA-1; NSS 3.87 cannot write OAEP, so `openssl cms -keyopt
//!   rsa_padding_mode:oaep` writes it) to the NSS-made recipient decrypts here.
//! - Here → NSS: `sign_message` (detached, opaque) with the NSS-made signer, and `Smime::sign`
//!   with a hermes-pki CA (root + intermediate, the intermediate carried in the message) verify
//!   with `cmsutil -D` trusting only the root; `encrypt_message` (AES-128/256-CBC, PKCS#1 v1.5)
//!   to an NSS-made and to a hermes-pki-made recipient (imported into NSS by `pk12util -i`)
//!   decrypts with `cmsutil -D`, and so does sign-then-encrypt. NSS 3.87 reads neither
//!   AuthEnvelopedData (AES-GCM) nor RSA-OAEP, so those forms are not sent to it.
//! - `hermes-pki cms sign` (the CLI) with a hermes-pki root + intermediate verifies with
//!   `openssl cms -verify -CAfile root.pem` and with NSS trusting the root alone.

use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use hermes_pki::bundle::{export_pkcs12, import_pkcs12};
use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::pkcs12::Pkcs12Options;
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, KeyList, RecipientId, SignOptions,
    SignatureForm, SignatureStatus, Smime, decrypt_message, encrypt_message, sign_message,
    verify_data, verify_message,
};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki_tests::cli::CliStore;
use hermes_pki_tests::mail::{self, cms_of, multipart_signed, octet_stream_p7m, pkcs7_mime};
use hermes_pki_tests::nss::{NssDb, Run};
use hermes_pki_tests::{openssl, x509_ext};

const P12_PASSWORD: &str = "nss-interop";

// ---------------------------------------------------------------------------------------------
// Fixtures: an NSS database with a CA, Alice and Bob; a hermes-pki CA with Alice and Bob
// ---------------------------------------------------------------------------------------------

/// An NSS-made end user as hermes-pki reads it from NSS's PKCS#12 export.
struct NssParty {
    cert: Certificate,
    key: Arc<PrivateKey>,
    pem: Vec<u8>,
    p12: Vec<u8>,
}

struct NssFixture {
    /// The database files (`cert9.db`, `key4.db`, `pkcs11.txt`), copied into each test's
    /// directory.
    db_files: Vec<(String, Vec<u8>)>,
    ca: Certificate,
    ca_pem: Vec<u8>,
    alice: NssParty,
    bob: NssParty,
}

static NSS: OnceLock<NssFixture> = OnceLock::new();

fn nss_fixture() -> &'static NssFixture {
    NSS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let mut db = NssDb::create(dir.path());
        db.make_ca("ca", "CN=NSS Test CA,O=Example");
        db.make_user("alice", "ca", "alice@example.com");
        db.make_user("bob", "ca", "bob@example.com");
        let party = |nick: &str| {
            let p12 = db.export_p12(nick, P12_PASSWORD);
            let contents = hermes_pki::pkcs12::import(&p12, P12_PASSWORD)
                .unwrap_or_else(|e| panic!("NSS's PKCS#12 of {nick} does not import: {e}"));
            let (key, cert, _chain) = contents.into_parts();
            NssParty {
                cert: cert.expect("a certificate in NSS's PKCS#12"),
                key: Arc::new(key.expect("a key in NSS's PKCS#12")),
                pem: db.cert_pem(nick),
                p12,
            }
        };
        let (alice, bob) = (party("alice"), party("bob"));
        let ca_pem = db.cert_pem("ca");
        let ca = Certificate::from_pem(&String::from_utf8(ca_pem.clone()).unwrap()).unwrap();
        NssFixture {
            db_files: db.files(),
            ca,
            ca_pem,
            alice,
            bob,
        }
    })
}

/// A test directory with its own copy of the fixture's NSS database.
fn nss_db() -> (tempfile::TempDir, NssDb) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in &nss_fixture().db_files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let db = NssDb::open(dir.path());
    (dir, db)
}

/// A hermes-pki CA (RSA-2048 root and issuing intermediate) with Alice and Bob, in the
/// sender's store.
struct HermesFixture {
    store: MemoryStore,
    root: Certificate,
    intermediate: Certificate,
    alice: Certificate,
    bob: Certificate,
    /// Bob's certificate, key and chain as a PKCS#12 file (password [`P12_PASSWORD`]).
    bob_p12: Vec<u8>,
}

static HERMES: OnceLock<HermesFixture> = OnceLock::new();

fn hermes_fixture() -> &'static HermesFixture {
    HERMES.get_or_init(|| {
        let world = hermes_pki_tests::HermesWorld::new("Hermes Interop");
        let (store, alice, bob) = (world.store, world.alice, world.bob);
        let bob_p12 = export_pkcs12(
            &store,
            bob.thumbprint(),
            P12_PASSWORD,
            &Pkcs12Options::new().iterations(2048),
        )
        .unwrap();
        HermesFixture {
            root: world.root,
            intermediate: world.intermediate,
            store,
            alice,
            bob,
            bob_p12,
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A plain-text MIME entity (CRLF) naming the test.
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

/// A store that trusts `root` and holds `parties`' certificates and keys.
fn store_with(root: &Certificate, parties: &[&NssParty]) -> MemoryStore {
    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(root)?;
            for p in parties {
                tx.put_certificate(&p.cert)?;
                tx.put_key(&p.key)?;
            }
            Ok(())
        })
        .unwrap();
    store
}

/// Asserts `cmsutil -D` verified every signature and the signer's chain ("GoodSignature"
/// with headers; exit status 0 without) and returns the content it output.
#[track_caller]
fn assert_nss_verifies(db: &NssDb, cms: &[u8], detached: Option<&[u8]>, what: &str) -> Vec<u8> {
    let headers: Run = db.decode(cms, detached);
    assert!(
        headers.ok,
        "{what}: cmsutil -D -h 0 failed:\n{}",
        headers.text
    );
    assert!(
        headers.text.contains("signer0.status=GoodSignature"),
        "{what}: NSS does not find a good signature:\n{}",
        headers.text
    );
    assert!(
        !headers.text.contains("signer1."),
        "{what}: one signer expected:\n{}",
        headers.text
    );
    let plain = db.decode_content(cms, detached);
    assert!(
        plain.ok,
        "{what}: cmsutil -D refuses the message:\n{}",
        plain.text
    );
    plain.stdout
}

/// The reasons of every signer, for failure messages.
fn reasons(v: &hermes_pki::smime::Verification) -> String {
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

// ---------------------------------------------------------------------------------------------
// The fixture is what it claims to be
// ---------------------------------------------------------------------------------------------

/// The NSS-made certificates have what Thunderbird's test certificates have (and lack): a
/// non-critical basicConstraints on the CA, no key identifiers anywhere, no key usage on the
/// end users. Without this, the tests below would not test what they claim.
#[test]
fn nss_certificates_lack_key_identifiers_and_critical_basic_constraints() {
    let f = nss_fixture();
    let dir = tempfile::tempdir().unwrap();
    let ca_file = dir.path().join("ca.pem");
    std::fs::write(&ca_file, &f.ca_pem).unwrap();
    let bc = x509_ext(dir.path(), &ca_file, "basicConstraints");
    assert!(bc.contains("CA:TRUE"), "{bc}");
    assert!(
        !bc.contains("critical"),
        "basicConstraints is critical: {bc}"
    );
    assert_eq!(f.ca.basic_constraints().map(|b| b.ca), Some(true));
    assert!(f.ca.is_self_signed());
    assert_eq!(f.ca.subject_key_id(), None, "the NSS CA has an SKI");
    assert_eq!(f.ca.authority_key_id(), None, "the NSS CA has an AKI");
    for p in [&f.alice, &f.bob] {
        assert_eq!(
            p.cert.authority_key_id(),
            None,
            "{} has an AKI",
            p.cert.subject()
        );
        assert_eq!(
            p.cert.subject_key_id(),
            None,
            "{} has an SKI",
            p.cert.subject()
        );
        assert!(p.cert.key_usage().is_none(), "{}", p.cert.subject());
        assert_eq!(p.cert.issuer_der(), f.ca.subject_der());
        p.cert.verify_issued_by(&f.ca).unwrap();
    }
    assert_eq!(f.alice.cert.emails(), ["alice@example.com"]);
    assert_eq!(f.bob.cert.emails(), ["bob@example.com"]);
    assert!(f.alice.pem.starts_with(b"-----BEGIN CERTIFICATE-----"));
}

// ---------------------------------------------------------------------------------------------
// NSS → hermes-pki
// ---------------------------------------------------------------------------------------------

/// `cmsutil -S` signatures (detached in `multipart/signed`, opaque in `application/pkcs7-mime`)
/// verify here, with the signing time and capabilities NSS wrote; a changed byte is
/// `ContentChanged`.
#[test]
fn nss_signatures_verify_here() {
    let f = nss_fixture();
    let (_dir, db) = nss_db();
    let content = entity("NSS signed this.");

    let detached = db.sign("alice", &content, true);
    let opaque = db.sign("alice", &content, false);
    for (form, message) in [
        (
            SignatureForm::Detached,
            mail::message(&multipart_signed(&content, &detached)),
        ),
        (
            SignatureForm::Opaque,
            mail::message(&pkcs7_mime(&opaque, "signed-data")),
        ),
    ] {
        let v = verify_message(&message, &[]).unwrap();
        assert_eq!(v.form, form);
        assert_eq!(v.inner, content, "{form:?}: the signed entity");
        assert_eq!(v.signed.signers.len(), 1);
        let s = &v.signed.signers[0];
        assert_eq!(s.status, SignatureStatus::Valid, "{form:?}");
        assert_eq!(
            s.certificate.as_ref().map(|c| c.thumbprint()),
            Some(f.alice.cert.thumbprint()),
            "{form:?}: the signer is NSS's Alice"
        );
        let t = s.signing_time.expect("cmsutil -G writes a signing time");
        let age = now().duration_since(t).unwrap_or_default();
        assert!(age.as_secs() < 600, "{form:?}: signing time {t:?}");
        assert!(
            !s.capabilities.is_empty(),
            "{form:?}: cmsutil -P writes S/MIME capabilities"
        );
        assert!(
            v.message.starts_with(mail::OUTER.as_bytes()),
            "{form:?}: outer headers kept"
        );
    }

    // One changed byte of the signed part.
    let mut changed = content.clone();
    let at = changed.len() - 10;
    changed[at] ^= 0x01;
    let message = mail::message(&multipart_signed(&changed, &detached));
    let v = verify_message(&message, &[]).unwrap();
    assert_eq!(v.signed.signers[0].status, SignatureStatus::ContentChanged);
}

/// The signer chains NSS makes (no AKI/SKI, non-critical basicConstraints on the CA) are valid
/// under the default validation profile, with the NSS CA as the only trust anchor.
#[test]
fn nss_signers_are_valid_under_the_default_profile() {
    let f = nss_fixture();
    let (_dir, db) = nss_db();
    let content = entity("Is NSS's chain good enough?");
    let store = store_with(&f.ca, &[]);
    let smime = Smime::new(&store);
    let detached = mail::message(&multipart_signed(
        &content,
        &db.sign("alice", &content, true),
    ));
    let opaque = mail::message(&pkcs7_mime(
        &db.sign("alice", &content, false),
        "signed-data",
    ));
    for (form, message) in [("detached", detached), ("opaque", opaque)] {
        let v = smime.verify(&message, now()).unwrap();
        assert_eq!(v.message.inner, content, "{form}");
        assert!(
            v.signers.iter().all(|s| s.signature_valid),
            "{form}: {}",
            reasons(&v)
        );
        assert!(
            v.is_valid(),
            "{form}: an NSS-made signer chain is not valid here:\n{}",
            reasons(&v)
        );
    }
}

/// `cmsutil -E` to Bob decrypts here, with Bob's key imported from NSS's PKCS#12 into a store
/// (`bundle::import_pkcs12`) and from a key list.
#[test]
fn nss_encrypted_mail_decrypts_here() {
    let f = nss_fixture();
    let (_dir, db) = nss_db();
    let content = entity("For Bob's eyes only (NSS).");
    let der = db.encrypt(&["bob@example.com"], &content);
    let message = mail::message(&pkcs7_mime(&der, "enveloped-data"));

    let store = MemoryStore::new();
    let imported = import_pkcs12(&store, &f.bob.p12, P12_PASSWORD).unwrap();
    assert_eq!(imported.certificate().thumbprint(), f.bob.cert.thumbprint());
    assert_eq!(
        imported
            .chain()
            .iter()
            .map(|c| c.thumbprint())
            .collect::<Vec<_>>(),
        [f.ca.thumbprint()],
        "pk12util exports the CA with the user"
    );
    let opened = Smime::new(&store)
        .decrypt(&message, &DecryptOptions::new())
        .unwrap();
    assert_eq!(*opened.inner, content);
    assert_eq!(*opened.message, mail::message(&content));
    assert_eq!(opened.recipient, RecipientId::of_certificate(&f.bob.cert));
    eprintln!("cmsutil -E content cipher: {}", opened.cipher);
    assert!(opened.cipher.contains("AES"), "{}", opened.cipher);
    assert!(opened.weak.is_empty(), "{:?}", opened.weak);

    let keys = KeyList::new()
        .with(f.bob.cert.clone(), Arc::clone(&f.bob.key))
        .unwrap();
    let opened = decrypt_message(&message, &keys, &DecryptOptions::new()).unwrap();
    assert_eq!(*opened.inner, content);

    // Alice's key does not open it.
    let wrong = KeyList::new()
        .with(f.alice.cert.clone(), Arc::clone(&f.alice.key))
        .unwrap();
    assert!(decrypt_message(&message, &wrong, &DecryptOptions::new()).is_err());
}

/// The same enveloped data as an `application/octet-stream` attachment named `smime.p7m`
/// (RFC 8551 3.2.2; KMail and older Outlook send it so) decrypts here.
#[test]
fn nss_encrypted_octet_stream_p7m_decrypts_here() {
    let f = nss_fixture();
    let (_dir, db) = nss_db();
    let content = entity("An octet-stream smime.p7m (NSS).");
    let der = db.encrypt(&["bob@example.com"], &content);
    let message = mail::message(&octet_stream_p7m(&der));
    let keys = KeyList::new()
        .with(f.bob.cert.clone(), Arc::clone(&f.bob.key))
        .unwrap();
    let opened = decrypt_message(&message, &keys, &DecryptOptions::new())
        .unwrap_or_else(|e| panic!("octet-stream smime.p7m from NSS: {e}"));
    assert_eq!(*opened.inner, content);
}

/// NSS signs (opaque), then encrypts the signed entity: `Smime::decrypt_verify` opens it, the
/// signature verifies and the NSS-made signer is valid.
#[test]
fn nss_signed_then_encrypted_mail_opens_here() {
    let f = nss_fixture();
    let (_dir, db) = nss_db();
    let content = entity("Signed, then encrypted (NSS).");
    let signed_entity = pkcs7_mime(&db.sign("alice", &content, false), "signed-data");
    let der = db.encrypt(&["bob@example.com"], &signed_entity);
    let message = mail::message(&pkcs7_mime(&der, "enveloped-data"));

    let store = store_with(&f.ca, &[&f.bob]);
    let (opened, verification) = Smime::new(&store)
        .decrypt_verify(&message, now(), &DecryptOptions::new())
        .unwrap();
    assert_eq!(*opened.inner, signed_entity);
    let v = verification.expect("the decrypted entity is signed");
    assert_eq!(v.message.inner, content);
    assert!(
        v.signers.iter().all(|s| s.signature_valid),
        "{}",
        reasons(&v)
    );
    assert_eq!(
        v.signers[0].certificate.as_ref().map(|c| c.thumbprint()),
        Some(f.alice.cert.thumbprint())
    );
    assert!(
        v.is_valid(),
        "the NSS-made signer is not valid here:\n{}",
        reasons(&v)
    );
}

/// RSAES-OAEP with the default parameters (SHA-1, MGF1-SHA-1: the AlgorithmIdentifier's
/// parameters an empty SEQUENCE), what most OAEP producers other than OpenSSL 3 write, to the
/// NSS-made Bob: decrypts here. (NSS 3.87 cannot write OAEP; OpenSSL writes it.)
#[test]
fn oaep_with_default_parameters_decrypts_here() {
    let f = nss_fixture();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let content = entity("OAEP with the default parameters.");
    std::fs::write(d.join("bob.pem"), &f.bob.pem).unwrap();
    std::fs::write(d.join("content.txt"), &content).unwrap();
    let der = openssl(
        &[
            "cms",
            "-encrypt",
            "-binary",
            "-aes-256-cbc",
            "-in",
            "content.txt",
            "-recip",
            "bob.pem",
            "-keyopt",
            "rsa_padding_mode:oaep",
            "-outform",
            "DER",
        ],
        d,
    );
    // id-RSAES-OAEP (1.2.840.113549.1.1.7) with an empty parameter SEQUENCE: all defaults.
    let oaep_default: &[u8] = &[
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07, 0x30, 0x00,
    ];
    assert!(
        der.windows(oaep_default.len()).any(|w| w == oaep_default),
        "OpenSSL did not write RSAES-OAEP with default parameters"
    );
    let keys = KeyList::new()
        .with(f.bob.cert.clone(), Arc::clone(&f.bob.key))
        .unwrap();
    let message = mail::message(&pkcs7_mime(&der, "enveloped-data"));
    let opened = decrypt_message(&message, &keys, &DecryptOptions::new())
        .unwrap_or_else(|e| panic!("RSA-OAEP with default parameters: {e}"));
    assert_eq!(*opened.inner, content);
}

// ---------------------------------------------------------------------------------------------
// hermes-pki → NSS
// ---------------------------------------------------------------------------------------------

/// Signatures made here verify in NSS: by the NSS-made Alice (her key from NSS's PKCS#12) in
/// both forms, and by a hermes-pki-made Alice under a root + intermediate, with NSS trusting
/// the root alone (the intermediate travels in the message). A changed byte is refused.
#[test]
fn our_signatures_verify_in_nss() {
    let f = nss_fixture();
    let h = hermes_fixture();
    let (_dir, db) = nss_db();
    let content = entity("hermes-pki signed this for NSS.");
    let options = SignOptions::new(now());

    // The NSS-made signer.
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = sign_message(
            &mail::message(&content),
            &f.alice.cert,
            &[],
            &*f.alice.key,
            form,
            &options,
        )
        .unwrap();
        let (detached, der) = cms_of(&signed);
        assert_eq!(detached.is_some(), form == SignatureForm::Detached);
        let out = assert_nss_verifies(&db, &der, detached.as_deref(), &format!("{form:?}"));
        assert_eq!(out, content, "{form:?}: the content NSS outputs");
        if let Some(mut changed) = detached {
            let at = changed.len() - 10;
            changed[at] ^= 0x01;
            let r = db.decode(&der, Some(&changed));
            assert!(
                !r.text.contains("GoodSignature"),
                "NSS accepts a changed byte:\n{}",
                r.text
            );
            assert!(!db.decode_content(&der, Some(&changed)).ok);
        }
    }

    // The hermes-pki-made signer; the NSS database trusts only the hermes-pki root.
    let dir2 = tempfile::tempdir().unwrap();
    let db2 = NssDb::create(dir2.path());
    db2.add_cert("hermes-root", h.root.to_pem().as_bytes(), "C,C,C");
    let smime = Smime::new(&h.store);
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = smime
            .sign(&mail::message(&content), &h.alice, form, &options)
            .unwrap();
        let (detached, der) = cms_of(&signed);
        let carried = verify_data(&der, detached.as_deref(), &[]).unwrap();
        assert!(
            carried
                .certificates
                .iter()
                .any(|c| c.thumbprint() == h.intermediate.thumbprint()),
            "{form:?}: the intermediate is in the message"
        );
        let out = assert_nss_verifies(&db2, &der, detached.as_deref(), &format!("{form:?}"));
        assert_eq!(out, content, "{form:?}: the content NSS outputs");
    }
}

/// Mail encrypted here (AES-128/256-CBC, RSA PKCS#1 v1.5) decrypts with `cmsutil -D`: to the
/// NSS-made Bob, and to a hermes-pki-made Bob whose PKCS#12 (exported here) NSS imported.
#[test]
fn our_encryption_decrypts_in_nss() {
    let f = nss_fixture();
    let h = hermes_fixture();
    let (_dir, db) = nss_db();
    db.import_p12(&h.bob_p12, P12_PASSWORD);
    let content = entity("hermes-pki encrypted this for NSS.");
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Cbc] {
        for bob in [&f.bob.cert, &h.bob] {
            let what = format!("{cipher:?} to {}", bob.subject());
            let message = encrypt_message(
                &mail::message(&content),
                std::slice::from_ref(bob),
                &EncryptOptions::new().cipher(cipher),
            )
            .unwrap();
            let (none, der) = cms_of(&message);
            assert!(none.is_none());
            let r = db.decode_content(&der, None);
            assert!(r.ok, "{what}: cmsutil -D cannot decrypt:\n{}", r.text);
            assert_eq!(r.stdout, content, "{what}");
        }
    }
}

/// Sign-then-encrypt made here (the hermes-pki signer, intermediate included) opens in NSS:
/// decrypted, then the signed entity verifies trusting the hermes-pki root alone.
#[test]
fn our_signed_then_encrypted_mail_opens_in_nss() {
    let h = hermes_fixture();
    let dir = tempfile::tempdir().unwrap();
    let db = NssDb::create(dir.path());
    db.add_cert("hermes-root", h.root.to_pem().as_bytes(), "C,C,C");
    db.import_p12(&h.bob_p12, P12_PASSWORD);
    let content = entity("Signed, then encrypted, for NSS.");
    let message = Smime::new(&h.store)
        .sign_encrypt(
            &mail::message(&content),
            &h.alice,
            std::slice::from_ref(&h.bob),
            SignatureForm::Opaque,
            &SignOptions::new(now()),
            &EncryptOptions::new(),
        )
        .unwrap();
    let (_, enveloped) = cms_of(&message);
    let r = db.decode_content(&enveloped, None);
    assert!(r.ok, "cmsutil -D cannot decrypt:\n{}", r.text);
    let (none, signed) = cms_of(&r.stdout);
    assert!(none.is_none(), "the signed entity is opaque");
    let out = assert_nss_verifies(&db, &signed, None, "decrypted signed entity");
    assert_eq!(out, content);
}

// ---------------------------------------------------------------------------------------------
// The CLI's `cms sign`, judged against the root alone
// ---------------------------------------------------------------------------------------------

/// `hermes-pki cms sign` (opaque and `--detached`) under a root + intermediate verifies with
/// `openssl cms -verify -CAfile root.pem` and with NSS trusting only the root: the SignedData
/// carries the chain up to, not including, the anchor.
#[test]
fn cli_cms_sign_verifies_against_the_root_alone() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let cli = CliStore::new(d);
    let root_pem = cli.create_ca("CLI Interop Root", "CLI Interop Mail CA");
    cli.issue("alice@example.com", "Alice");
    let content = b"Raw CMS content from the hermes-pki CLI.\r\n".to_vec();
    std::fs::write(d.join("content.bin"), &content).unwrap();

    let db_dir = d.join("nssdb");
    let db = NssDb::create(&db_dir);
    db.add_cert("cli-root", &std::fs::read(&root_pem).unwrap(), "C,C,C");

    for detached in [false, true] {
        let what = if detached { "--detached" } else { "opaque" };
        let der = cli.cms_sign("alice@example.com", &content, detached);
        std::fs::write(d.join("signed.p7"), &der).unwrap();
        let mut args = vec![
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            "signed.p7",
            "-CAfile",
            "root.pem",
            "-out",
            "verified.bin",
        ];
        if detached {
            args.extend(["-content", "content.bin"]);
        }
        let status = std::process::Command::new("openssl")
            .args(&args)
            .current_dir(d)
            .output()
            .expect("cannot run openssl");
        assert!(
            status.status.success(),
            "{what}: openssl cms -verify -CAfile root.pem fails:\n{}",
            String::from_utf8_lossy(&status.stderr)
        );
        assert_eq!(std::fs::read(d.join("verified.bin")).unwrap(), content);

        let out = assert_nss_verifies(&db, &der, detached.then_some(content.as_slice()), what);
        assert_eq!(out, content, "{what}");
    }
}
