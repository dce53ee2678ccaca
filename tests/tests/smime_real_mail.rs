//! S/MIME input as real clients send it (issue #13), made by the `openssl` command and read
//! here; each case is one that ended in an error (or a wrong verdict) before.
//!
//! - RSA-OAEP with the default parameters (SHA-1, MGF1-SHA-1; OpenSSL writes them as an empty
//!   SEQUENCE, most other producers as well or leave them out), and with SHA-384/512 and MGF1
//!   over the same hash, decrypts; OAEP with a mismatched MGF1 hash is refused before any key
//!   operation; a wrong key fails with the one decryption error.
//! - `application/octet-stream; name=smime.p7m` (or only `filename=` in Content-Disposition),
//!   as KMail and older Outlook send it, decrypts and verifies; the signature part of a
//!   `multipart/signed` labelled `application/octet-stream; name=smime.p7s` verifies; a wrong
//!   or missing `smime-type` changes nothing: the CMS content type decides.
//! - A `multipart/signed` whose SignedData also carries the content verifies against the MIME
//!   part; when they differ, the verdict is `ContentMismatch`, not an error.
//! - Signers with RSA-512 and RSA-1024 keys, and an MD5 digest, are weak-algorithm verdicts;
//!   SHA-1 is valid (reported weak) unless the policy refuses it.
//! - A tampered message whose signer certificate is in the message names that signer, and the
//!   store-level verdict judges the certificate.
//! - NIST PKITS DSA messages reach DSA verification (with inherited parameters); the DSA
//!   arithmetic itself is `cert::verify_signature`'s.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use hermes_pki::ErrorKind;
use hermes_pki::cert::Certificate;
use hermes_pki::key::PrivateKey;
use hermes_pki::smime::{
    DecryptOptions, KeyList, SignatureStatus, SignerPolicy, Smime, Weakness, decrypt_data,
    decrypt_message, verify_message, verify_message_with,
};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki_tests::{Issued, KeyKind, issue, openssl, self_signed};

const ROOT_EXT: &str = "basicConstraints = critical, CA:TRUE\n\
    keyUsage = critical, keyCertSign, cRLSign\n\
    subjectKeyIdentifier = hash";

fn user_ext(name: &str) -> String {
    format!(
        "basicConstraints = CA:FALSE\nkeyUsage = critical, digitalSignature, nonRepudiation, \
         keyEncipherment\nextendedKeyUsage = emailProtection\nsubjectKeyIdentifier = hash\n\
         authorityKeyIdentifier = keyid\nsubjectAltName = email:{name}@example.com"
    )
}

/// A root and users issued by it, in a temporary directory.
struct World {
    dir: tempfile::TempDir,
    root: Issued,
}

impl World {
    fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let root = self_signed(
            dir.path(),
            "root",
            KeyKind::P256,
            "/CN=Real Mail Root/O=Example",
            ROOT_EXT,
        );
        World { dir, root }
    }

    fn d(&self) -> &Path {
        self.dir.path()
    }

    fn user(&self, name: &str, kind: KeyKind) -> Issued {
        issue(
            self.d(),
            name,
            &self.root,
            kind,
            &format!("/CN={name}/emailAddress={name}@example.com"),
            Some(&user_ext(name)),
            30,
        )
    }

    fn write(&self, name: &str, bytes: &[u8]) -> String {
        std::fs::write(self.d().join(name), bytes).unwrap();
        self.d().join(name).display().to_string()
    }

    fn run(&self, args: &[&str]) -> Vec<u8> {
        openssl(args, self.d())
    }

    /// A store that trusts the root.
    fn store(&self) -> MemoryStore {
        let store = MemoryStore::new();
        let root = cert(&self.root);
        store.transaction(|tx| tx.put_root(&root)).unwrap();
        store
    }
}

fn cert(i: &Issued) -> Certificate {
    Certificate::from_pem(&String::from_utf8(i.pem()).unwrap()).unwrap()
}

fn key(i: &Issued) -> Arc<PrivateKey> {
    Arc::new(PrivateKey::from_pem(&std::fs::read_to_string(&i.key).unwrap(), None).unwrap())
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

const MAIL: &[u8] = b"From: alice@example.com\nTo: bob@example.com\nSubject: real mail\n\
Content-Type: text/plain; charset=us-ascii\n\nHello Bob,\nthis is real mail.\n";

/// The first Content-Type field of `message` (with continuation lines) and any
/// Content-Disposition field replaced by `fields` (whole lines, CRLF or LF ended as the
/// message is).
fn relabel(message: &[u8], fields: &str) -> Vec<u8> {
    let text = String::from_utf8(message.to_vec()).unwrap();
    let mut lines: Vec<&str> = Vec::new();
    let mut done = false;
    let mut skipping = false;
    let mut in_head = true;
    for line in text.split_inclusive('\n') {
        if in_head && line.trim_end().is_empty() {
            in_head = false;
        }
        if skipping && (line.starts_with(' ') || line.starts_with('\t')) {
            continue;
        }
        skipping = false;
        let lower = line.to_ascii_lowercase();
        if in_head && lower.starts_with("content-disposition:") {
            skipping = true;
            continue;
        }
        if in_head && !done && lower.starts_with("content-type:") {
            lines.push(fields);
            done = true;
            skipping = true;
            continue;
        }
        lines.push(line);
    }
    assert!(done, "no Content-Type in the message");
    lines.concat().into_bytes()
}

// ---------------------------------------------------------------------------------------------
// RSA-OAEP parameters
// ---------------------------------------------------------------------------------------------

/// The DER of the first RSAES-OAEP AlgorithmIdentifier's parameters in `der`, `None` when
/// absent.
fn oaep_params(der: &[u8]) -> Option<Vec<u8>> {
    let oid = [
        0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x07,
    ];
    let at = der
        .windows(oid.len())
        .position(|w| w == oid)
        .expect("the message names RSAES-OAEP")
        + oid.len();
    // The AlgorithmIdentifier's SEQUENCE header sits just before the OID (short form here).
    let seq_len = usize::from(der[at - oid.len() - 1]);
    let params_len = seq_len - oid.len();
    (params_len > 0).then(|| der[at..at + params_len].to_vec())
}

#[test]
fn rsa_oaep_with_default_and_sha2_parameters_decrypts() {
    let w = World::new();
    let bob = w.user("bob", KeyKind::Rsa(2048));
    let keys = KeyList::new().with(cert(&bob), key(&bob)).unwrap();
    let plain = w.write("plain.bin", b"Content-Type: text/plain\r\n\r\nOAEP\r\n");
    let encrypt = |keyopts: &[&str], out: &str| -> Vec<u8> {
        let mut args = vec![
            "cms",
            "-encrypt",
            "-binary",
            "-aes-256-cbc",
            "-outform",
            "DER",
            "-in",
            &plain,
            "-recip",
            p(&bob.cert),
        ];
        for k in keyopts {
            args.extend(["-keyopt", k]);
        }
        args.extend(["-out", out]);
        w.run(&args);
        std::fs::read(w.d().join(out)).unwrap()
    };
    // OpenSSL's default OAEP digest is SHA-1: the parameters are all defaults, written as an
    // empty SEQUENCE.
    let default = encrypt(&["rsa_padding_mode:oaep"], "default.der");
    assert_eq!(oaep_params(&default), Some(vec![0x30, 0x00]));
    let d = decrypt_data(&default, &keys, &DecryptOptions::new()).unwrap();
    assert_eq!(&d.content[..], b"Content-Type: text/plain\r\n\r\nOAEP\r\n");
    for md in ["sha256", "sha384", "sha512"] {
        let md_opt = format!("rsa_oaep_md:{md}");
        let mgf_opt = format!("rsa_mgf1_md:{md}");
        let msg = encrypt(
            &["rsa_padding_mode:oaep", &md_opt, &mgf_opt],
            &format!("{md}.der"),
        );
        assert!(oaep_params(&msg).is_some_and(|p| p.len() > 2), "{md}");
        let d = decrypt_data(&msg, &keys, &DecryptOptions::new())
            .unwrap_or_else(|e| panic!("OAEP {md}: {e}"));
        assert_eq!(&d.content[..], b"Content-Type: text/plain\r\n\r\nOAEP\r\n");
    }
    // MGF1 over another hash than the OAEP hash: refused, for a public reason, as unsupported.
    let mixed = encrypt(
        &[
            "rsa_padding_mode:oaep",
            "rsa_oaep_md:sha256",
            "rsa_mgf1_md:sha1",
        ],
        "mixed.der",
    );
    let e = decrypt_data(&mixed, &keys, &DecryptOptions::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    assert!(e.to_string().contains("MGF1"), "{e}");
    // A wrong key: the same single error as with PKCS#1 v1.5 key transport.
    let mallory = w.user("mallory", KeyKind::Rsa(2048));
    let wrong = WrongKey(key(&mallory));
    let oaep_err = decrypt_data(&default, &wrong, &DecryptOptions::new()).unwrap_err();
    let v15 = encrypt(&[], "v15.der");
    let v15_err = decrypt_data(&v15, &wrong, &DecryptOptions::new()).unwrap_err();
    assert_eq!(oaep_err.kind(), ErrorKind::Crypto);
    assert_eq!(oaep_err.to_string(), v15_err.to_string());
    // The S/MIME message OpenSSL writes around it decrypts at the message level too.
    let smime = w.d().join("oaep.eml");
    w.run(&[
        "cms",
        "-encrypt",
        "-aes-256-cbc",
        "-in",
        &w.write("mail.eml", MAIL),
        "-recip",
        p(&bob.cert),
        "-keyopt",
        "rsa_padding_mode:oaep",
        "-out",
        p(&smime),
    ]);
    let m = decrypt_message(
        &std::fs::read(&smime).unwrap(),
        &keys,
        &DecryptOptions::new(),
    )
    .unwrap();
    assert!(m.inner.ends_with(b"this is real mail.\r\n"));
}

/// Answers every recipient identifier with one (wrong) key (a fresh copy: the Decryptor
/// must be owned).
struct WrongKey(Arc<PrivateKey>);

impl hermes_pki::smime::RecipientKeys for WrongKey {
    fn key_for(
        &self,
        _id: &hermes_pki::smime::RecipientId,
    ) -> hermes_pki::Result<Option<Box<dyn hermes_pki::key::Decryptor>>> {
        let der = self.0.to_pkcs8_der()?;
        Ok(Some(Box::new(PrivateKey::from_pkcs8_der(&der)?)))
    }
}

// ---------------------------------------------------------------------------------------------
// How clients label S/MIME
// ---------------------------------------------------------------------------------------------

#[test]
fn octet_stream_p7m_p7s_and_wrong_smime_types_decrypt_and_verify() {
    let w = World::new();
    let alice = w.user("alice", KeyKind::Rsa(2048));
    let bob = w.user("bob", KeyKind::Rsa(2048));
    let keys = KeyList::new().with(cert(&bob), key(&bob)).unwrap();
    let mail = w.write("mail.eml", MAIL);
    let out = |name: &str| w.d().join(name).display().to_string();
    w.run(&[
        "smime",
        "-encrypt",
        "-aes256",
        "-in",
        &mail,
        "-out",
        &out("enc.eml"),
        p(&bob.cert),
    ]);
    w.run(&[
        "smime",
        "-sign",
        "-nodetach",
        "-in",
        &mail,
        "-signer",
        p(&alice.cert),
        "-inkey",
        p(&alice.key),
        "-out",
        &out("opaque.eml"),
    ]);
    w.run(&[
        "smime",
        "-sign",
        "-in",
        &mail,
        "-signer",
        p(&alice.cert),
        "-inkey",
        p(&alice.key),
        "-out",
        &out("clear.eml"),
    ]);
    let read = |name: &str| std::fs::read(w.d().join(name)).unwrap();
    let (enc, opaque, clear) = (read("enc.eml"), read("opaque.eml"), read("clear.eml"));
    let labels = [
        // KMail, older Outlook.
        "Content-Type: application/octet-stream; name=\"smime.p7m\"\n",
        "Content-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"smime.p7m\"\n",
        "Content-Type: application/octet-stream;\n name=\"SMIME.P7M\"\n",
        // smime-type wrong, or missing.
        "Content-Type: application/pkcs7-mime; smime-type=signed-data; name=\"smime.p7m\"\n",
        "Content-Type: application/x-pkcs7-mime; smime-type=enveloped-data\n",
        "Content-Type: application/pkcs7-mime\n",
    ];
    for fields in labels {
        let e = relabel(&enc, fields);
        let d = decrypt_message(&e, &keys, &DecryptOptions::new())
            .unwrap_or_else(|err| panic!("decrypt with {fields:?}: {err}"));
        assert!(d.inner.ends_with(b"this is real mail.\r\n"), "{fields:?}");
        let o = relabel(&opaque, fields);
        let v = verify_message(&o, &[]).unwrap_or_else(|err| panic!("verify {fields:?}: {err}"));
        assert!(v.signed.all_signatures_valid(), "{fields:?}: {v:?}");
        assert!(v.inner.ends_with(b"this is real mail.\r\n"), "{fields:?}");
    }
    // The signature part of a multipart/signed labelled as an octet-stream .p7s.
    let text = String::from_utf8(clear.clone()).unwrap();
    let relabelled = text.replace(
        "Content-Type: application/x-pkcs7-signature; name=\"smime.p7s\"",
        "Content-Type: application/octet-stream; name=\"smime.p7s\"",
    );
    assert_ne!(relabelled, text, "OpenSSL's signature part label changed");
    let v = verify_message(relabelled.as_bytes(), &[]).unwrap();
    assert!(v.signed.all_signatures_valid(), "{v:?}");
    // Over a store that trusts the root, the whole verdict is valid.
    let store = w.store();
    let v = Smime::new(&store)
        .verify(&relabel(&opaque, labels[0]), SystemTime::now())
        .unwrap();
    assert!(v.is_valid(), "{v:?}");
}

// ---------------------------------------------------------------------------------------------
// multipart/signed with eContent
// ---------------------------------------------------------------------------------------------

#[test]
fn multipart_signed_whose_signed_data_carries_the_content_is_checked_against_the_mime_part() {
    let w = World::new();
    let alice = w.user("alice", KeyKind::Rsa(2048));
    let entity = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nPay Bob 10 EUR\r\n";
    let entity_file = w.write("entity.txt", entity);
    let sig = w.d().join("attached.der");
    w.run(&[
        "cms",
        "-sign",
        "-binary",
        "-nodetach",
        "-outform",
        "DER",
        "-in",
        &entity_file,
        "-signer",
        p(&alice.cert),
        "-inkey",
        p(&alice.key),
        "-out",
        p(&sig),
    ]);
    let message = |part: &[u8]| -> Vec<u8> {
        let mut m = b"From: alice@example.com\r\nSubject: signed\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\"; micalg=sha-256; boundary=\"b\"\r\n\r\n--b\r\n"
            .to_vec();
        m.extend_from_slice(part);
        m.extend_from_slice(b"\r\n--b\r\nContent-Type: application/pkcs7-signature; name=smime.p7s\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        let b64 = w.run(&["base64", "-in", p(&sig)]);
        m.extend_from_slice(&b64);
        m.extend_from_slice(b"\r\n--b--\r\n");
        m
    };
    let v = verify_message(&message(entity), &[]).unwrap();
    assert_eq!(v.signed.signers[0].status, SignatureStatus::Valid);
    assert_eq!(v.inner, entity);
    // The MIME part says something else than the content inside the signature.
    let shown = b"Content-Type: text/plain; charset=us-ascii\r\n\r\nPay Eve 10000 EUR\r\n";
    let v = verify_message(&message(shown), &[]).unwrap();
    let s = &v.signed.signers[0];
    assert_eq!(s.status, SignatureStatus::ContentMismatch);
    assert!(
        s.certificate
            .as_ref()
            .is_some_and(|c| c.subject().contains("CN=alice")),
        "the signer is named"
    );
    assert_eq!(v.inner, shown);
    let store = w.store();
    let verdict = Smime::new(&store)
        .verify(&message(shown), SystemTime::now())
        .unwrap();
    assert!(!verdict.is_valid());
}

// ---------------------------------------------------------------------------------------------
// Weak algorithms
// ---------------------------------------------------------------------------------------------

fn openssl_signed(w: &World, signer: &Issued, extra: &[&str], out: &str) -> Vec<u8> {
    let mail = w.write("weak-mail.eml", MAIL);
    let out_path = w.d().join(out);
    let mut args = vec![
        "cms",
        "-sign",
        "-in",
        &mail,
        "-signer",
        p(&signer.cert),
        "-inkey",
        p(&signer.key),
        "-out",
        p(&out_path),
    ];
    args.extend_from_slice(extra);
    w.run(&args);
    std::fs::read(&out_path).unwrap()
}

#[test]
fn weak_signer_keys_and_digests_are_verdicts() {
    let w = World::new();
    let store = w.store();
    for bits in [512u32, 1024] {
        let signer = w.user(&format!("rsa{bits}"), KeyKind::Rsa(bits));
        let signed = openssl_signed(&w, &signer, &[], &format!("rsa{bits}.eml"));
        let v = verify_message(&signed, &[]).unwrap_or_else(|e| panic!("RSA-{bits}: {e}"));
        let s = &v.signed.signers[0];
        assert_eq!(
            s.status,
            SignatureStatus::WeakAlgorithm(Weakness::ShortRsaKey {
                bits: bits as usize,
                minimum: 2048
            }),
            "RSA-{bits}"
        );
        assert!(s.certificate.is_some(), "RSA-{bits}: the signer is named");
        let verdict = Smime::new(&store)
            .verify(&signed, SystemTime::now())
            .unwrap();
        assert!(!verdict.is_valid() && !verdict.signers[0].signature_valid);
        // A lower minimum accepts RSA-1024 (still reported weak); RSA-512 stays unusable.
        let relaxed = SignerPolicy::new().min_rsa_bits(1024);
        let v = verify_message_with(&signed, &[], &relaxed).unwrap();
        if bits == 1024 {
            assert_eq!(v.signed.signers[0].status, SignatureStatus::Valid);
            assert!(
                v.signed.signers[0]
                    .weak
                    .contains(&Weakness::SmallRsaSignerKey { bits: 1024 })
            );
        } else {
            assert!(matches!(
                v.signed.signers[0].status,
                SignatureStatus::WeakAlgorithm(Weakness::ShortRsaKey { bits: 512, .. })
            ));
        }
    }
    let alice = w.user("alice", KeyKind::Rsa(2048));
    let md5 = openssl_signed(&w, &alice, &["-md", "md5"], "md5.eml");
    let v = verify_message(&md5, &[]).unwrap();
    assert_eq!(
        v.signed.signers[0].status,
        SignatureStatus::WeakAlgorithm(Weakness::BrokenHash { name: "MD5" })
    );
    let sha1 = openssl_signed(&w, &alice, &["-md", "sha1"], "sha1.eml");
    // Allowed explicitly (refused by default, below): valid, and reported weak.
    let v = verify_message_with(&sha1, &[], &SignerPolicy::new().allow_sha1(true)).unwrap();
    assert_eq!(v.signed.signers[0].status, SignatureStatus::Valid);
    assert!(v.signed.signers[0].weak.contains(&Weakness::Sha1Digest));
    for refusing in [
        verify_message(&sha1, &[]).unwrap(),
        verify_message_with(&sha1, &[], &SignerPolicy::new().allow_sha1(false)).unwrap(),
    ] {
        assert_eq!(
            refusing.signed.signers[0].status,
            SignatureStatus::WeakAlgorithm(Weakness::Sha1)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tampered messages name their signer
// ---------------------------------------------------------------------------------------------

#[test]
fn a_tampered_message_names_the_signer_carried_in_it() {
    let w = World::new();
    let alice = w.user("alice", KeyKind::Rsa(2048));
    let signed = openssl_signed(&w, &alice, &[], "clear.eml");
    let text = String::from_utf8(signed).unwrap();
    let tampered = text.replace("this is real mail.", "this is fake mail.");
    assert_ne!(tampered, text);
    let store = w.store();
    let v = Smime::new(&store)
        .verify(tampered.as_bytes(), SystemTime::now())
        .unwrap();
    assert!(!v.is_valid());
    assert_eq!(
        v.message.signed.signers[0].status,
        SignatureStatus::ContentChanged
    );
    let signer = &v.signers[0];
    assert_eq!(
        signer.certificate.as_ref().map(|c| *c.thumbprint()),
        Some(*cert(&alice).thumbprint())
    );
    assert!(!signer.signature_valid);
    assert!(
        signer.validation.as_ref().is_some_and(|v| v.is_valid()),
        "the certificate itself is fine: {signer:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// DSA (NIST PKITS 4.1.4 - 4.1.6)
// ---------------------------------------------------------------------------------------------

fn pkits_message(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/data/pkits/smime/{name}.eml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn pkits_dsa_signers_are_found_and_routed_to_dsa() {
    for (name, subject) in [
        (
            "SignedValidDSASignaturesTest4",
            "Valid DSA Signatures EE Certificate Test4",
        ),
        (
            "SignedValidDSAParameterInheritanceTest5",
            "Valid DSA Parameter Inheritance EE Certificate Test5",
        ),
    ] {
        // PKITS messages are signed with SHA-1: allowed explicitly (refused by default).
        let v = verify_message_with(&pkits_message(name), &[], &sha1_allowed()).unwrap();
        let s = &v.signed.signers[0];
        assert!(
            s.certificate
                .as_ref()
                .is_some_and(|c| c.subject().contains(subject)),
            "{name}: {:?}",
            s.certificate.as_ref().map(|c| c.subject().to_string())
        );
        assert_eq!(s.signature_algorithm, "dsa-with-SHA1", "{name}");
        // The signature reaches the signature check as dsa-with-SHA1: valid once
        // `cert::verify_signature` verifies DSA, refused as that algorithm before.
        assert!(
            match &s.status {
                SignatureStatus::Valid => true,
                SignatureStatus::Unsupported(m) => m.contains("1.2.840.10040.4.3"),
                _ => false,
            },
            "{name}: {:?}",
            s.status
        );
    }
}

/// PKITS signs with SHA-1 and expects it accepted: the suite's expectation needs it allowed.
fn sha1_allowed() -> SignerPolicy {
    SignerPolicy::new().allow_sha1(true)
}

#[test]
fn pkits_dsa_signatures_verify() {
    for name in [
        "SignedValidDSASignaturesTest4",
        "SignedValidDSAParameterInheritanceTest5",
    ] {
        let v = verify_message_with(&pkits_message(name), &[], &sha1_allowed()).unwrap();
        assert_eq!(v.signed.signers[0].status, SignatureStatus::Valid, "{name}");
    }
    // Test 6: the EE certificate's own signature is bad; the message signature verifies.
    let v = verify_message_with(
        &pkits_message("SignedInvalidDSASignatureTest6"),
        &[],
        &sha1_allowed(),
    )
    .unwrap();
    assert_eq!(v.signed.signers[0].status, SignatureStatus::Valid);
}
