//! S/MIME messages judged by the real `openssl` command, in both directions, at the MIME level.
//!
//! Three mails, written with LF line ends as a mail client's file would be: (a) a plain text
//! mail with From/To/Subject/Date; (b) a `multipart/mixed` mail as Thunderbird writes one
//! (folded Content-Type, a preamble) with a UTF-8 text part in 8bit transfer encoding
//! ("Grüße, Jürgen — ✓"), a quoted-printable HTML part and a 50 KB binary attachment (base64);
//! (c) a 1 MB text body.
//!
//! - Made here, read by OpenSSL: every mail signed detached and opaque by an RSA-2048 and an
//!   EC P-256 signer verifies with `openssl smime -verify` and `openssl cms -verify`, and
//!   OpenSSL's output is byte for byte the entity our own `verify_message` returns (which is
//!   the canonical entity: CRLF, the 8bit part re-encoded as base64, every other part
//!   unchanged); every mail encrypted (AES-128/256-CBC with RSA PKCS#1 v1.5 and OAEP, AES-256-GCM,
//!   to an EC P-256 recipient) decrypts with `openssl cms -decrypt` (and the CBC/v1.5 forms
//!   with `openssl smime -decrypt`) to exactly the entity sent in CRLF form; sign-then-encrypt
//!   opens with `openssl smime -decrypt` then `-verify`.
//! - Made by OpenSSL, read here: `openssl smime -sign` (detached and `-nodetach`), `openssl cms
//!   -sign` (with and without `-nocerts`), `openssl smime -encrypt -aes256` / `-aes128`,
//!   `openssl cms -encrypt` with AES-256-GCM, with RSA-OAEP-SHA256 and to an EC recipient, and
//!   OpenSSL's sign-then-encrypt (`smime -sign | smime -encrypt`, `cms -sign | cms -encrypt`)
//!   through `Smime::decrypt_verify` over a `MemoryStore`.
//! - Negative: one changed body byte (both forms, made here and by OpenSSL) is
//!   `SignatureStatus::ContentChanged` here and rejected by OpenSSL; decrypting with the wrong
//!   key fails.
//! - Canonicalisation keeps the multipart preamble and epilogue (it changes only what it must).
//!
//! What OpenSSL 3.0 writes (checked below, not assumed): `smime -verify`, `cms -verify`,
//! `smime -decrypt` and `cms -decrypt` output the signed or encrypted entity byte for byte,
//! CRLF line ends included. `smime -sign` and `cms -sign` write the MIME framing (outer
//! headers, boundaries, base64 signature) with LF but the signed part in CRLF.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, OnceLock};
use std::time::SystemTime;

use hermes_pki::ErrorKind;
use hermes_pki::cert::Certificate;
use hermes_pki::key::{KeyTransport, PrivateKey};
use hermes_pki::smime::{
    ContentCipher, DecryptOptions, EncryptOptions, KeyList, RecipientId, RecipientKeys,
    SignOptions, SignatureForm, SignatureStatus, Smime, VerifiedMessage, decrypt_message,
    encrypt_message, sign_message, verify_message,
};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki_tests::mail::base64_decode;
use hermes_pki_tests::{KeyKind, issue, self_signed};

// ---------------------------------------------------------------------------------------------
// Fixture: one root and three end users, made once by OpenSSL
// ---------------------------------------------------------------------------------------------

const ROOT_EXT: &str = "basicConstraints = critical, CA:TRUE\n\
    keyUsage = critical, keyCertSign, cRLSign\n\
    subjectKeyIdentifier = hash";

/// Key files and certificates, as PEM, made once per test process (RSA key generation is the
/// slow part: two RSA keys in all).
struct Fixture {
    files: Vec<(String, Vec<u8>)>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

/// Fails with a clear message when the `openssl` command cannot be run.
fn require_openssl() -> String {
    match Command::new("openssl").arg("version").output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout).trim().to_string(),
        Ok(out) => panic!(
            "`openssl version` failed ({}): these interop tests need a working `openssl` command",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!(
            "these interop tests need the `openssl` command (OpenSSL 3.x) on PATH: {e}; \
             install it (e.g. `apt-get install openssl`)"
        ),
    }
}

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let version = require_openssl();
        eprintln!("judging with {version}");
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let root = self_signed(
            d,
            "root",
            KeyKind::P256,
            "/CN=S-MIME Interop Root/O=Example",
            ROOT_EXT,
        );
        let user = |name: &str, kind: KeyKind| {
            let usage = match kind {
                KeyKind::Rsa(_) => "digitalSignature, nonRepudiation, keyEncipherment",
                _ => "digitalSignature, nonRepudiation, keyAgreement",
            };
            let ext = format!(
                "basicConstraints = CA:FALSE\nkeyUsage = critical, {usage}\n\
                 extendedKeyUsage = emailProtection\nsubjectKeyIdentifier = hash\n\
                 authorityKeyIdentifier = keyid\nsubjectAltName = email:{name}@example.com"
            );
            issue(
                d,
                name,
                &root,
                kind,
                &format!("/CN={name}/emailAddress={name}@example.com"),
                Some(&ext),
                30,
            )
        };
        let alice = user("alice", KeyKind::Rsa(2048));
        let bob = user("bob", KeyKind::P256);
        let mallory = user("mallory", KeyKind::Rsa(2048));
        let mut files = Vec::new();
        for (name, issued) in [
            ("root", &root),
            ("alice", &alice),
            ("bob", &bob),
            ("mallory", &mallory),
        ] {
            files.push((format!("{name}.pem"), std::fs::read(&issued.cert).unwrap()));
            files.push((format!("{name}.key"), std::fs::read(&issued.key).unwrap()));
        }
        Fixture { files }
    })
}

/// An end user: its file names in the test directory, and the certificate and key as read here.
struct Party {
    cert_file: String,
    key_file: String,
    cert: Certificate,
    key: Arc<PrivateKey>,
}

/// A test's own directory holding the fixture's files.
struct Env {
    dir: tempfile::TempDir,
    root: Certificate,
    /// RSA-2048: signs, and receives by key transport.
    alice: Party,
    /// EC P-256: signs, and receives by key agreement.
    bob: Party,
    /// RSA-2048: the wrong key.
    mallory: Party,
}

impl Env {
    fn new() -> Env {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in &fixture().files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        let read = |f: &str| std::fs::read_to_string(dir.path().join(f)).unwrap();
        let party = |name: &str| Party {
            cert_file: format!("{name}.pem"),
            key_file: format!("{name}.key"),
            cert: Certificate::from_pem(&read(&format!("{name}.pem"))).unwrap(),
            key: Arc::new(PrivateKey::from_pem(&read(&format!("{name}.key")), None).unwrap()),
        };
        let root = Certificate::from_pem(&read("root.pem")).unwrap();
        let (alice, bob, mallory) = (party("alice"), party("bob"), party("mallory"));
        Env {
            dir,
            root,
            alice,
            bob,
            mallory,
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.path().join(name);
        std::fs::write(&p, data).unwrap();
        p
    }

    fn read(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path().join(name)).unwrap()
    }

    /// Runs `openssl args` in the test directory: (success, stderr and stdout).
    fn run(&self, args: &[&str]) -> (bool, String) {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(self.path())
            .output()
            .expect("cannot run the openssl command");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stderr),
            String::from_utf8_lossy(&out.stdout)
        );
        (out.status.success(), text)
    }

    /// Runs `openssl args` and panics with OpenSSL's output when it fails.
    fn ok(&self, args: &[&str]) {
        let (ok, text) = self.run(args);
        assert!(ok, "openssl {} failed:\n{text}", args.join(" "));
    }

    /// `openssl <tool> -verify -CAfile root.pem` of `message`: the content OpenSSL outputs.
    fn openssl_verify(&self, tool: &str, message: &[u8]) -> Vec<u8> {
        self.write("verify-in.eml", message);
        let _ = std::fs::remove_file(self.path().join("verify-out.eml"));
        let args = [
            tool,
            "-verify",
            "-CAfile",
            "root.pem",
            "-in",
            "verify-in.eml",
            "-out",
            "verify-out.eml",
        ];
        let (ok, text) = self.run(&args);
        assert!(ok, "openssl {} failed:\n{text}", args.join(" "));
        assert!(text.contains("Verification successful"), "{text}");
        self.read("verify-out.eml")
    }

    /// `openssl <tool> -decrypt` of `message` as `to`: the content OpenSSL outputs.
    fn openssl_decrypt(&self, tool: &str, message: &[u8], to: &Party) -> Vec<u8> {
        self.write("decrypt-in.eml", message);
        let _ = std::fs::remove_file(self.path().join("decrypt-out.eml"));
        self.ok(&[
            tool,
            "-decrypt",
            "-in",
            "decrypt-in.eml",
            "-recip",
            &to.cert_file,
            "-inkey",
            &to.key_file,
            "-out",
            "decrypt-out.eml",
        ]);
        self.read("decrypt-out.eml")
    }

    /// A `MemoryStore` with the root as trust anchor and `parties`' certificates and keys.
    fn store(&self, parties: &[&Party]) -> MemoryStore {
        let store = MemoryStore::new();
        store
            .transaction(|tx| {
                tx.put_root(&self.root)?;
                for p in parties {
                    tx.put_certificate(&p.cert)?;
                    tx.put_key(&p.key)?;
                }
                Ok(())
            })
            .unwrap();
        store
    }
}

fn keys(parties: &[&Party]) -> KeyList {
    parties.iter().fold(KeyList::new(), |list, p| {
        list.with(p.cert.clone(), Arc::clone(&p.key)).unwrap()
    })
}

// ---------------------------------------------------------------------------------------------
// Bytes: base64, line ends, a little MIME
// ---------------------------------------------------------------------------------------------

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 in lines of 76 characters, each ended by `eol`.
fn base64_lines(data: &[u8], eol: &str) -> Vec<u8> {
    let mut text = Vec::with_capacity(data.len() * 4 / 3 + 4);
    for chunk in data.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, b| n << 8 | u32::from(*b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            text.push(if i <= chunk.len() {
                B64[(n >> (18 - 6 * i) & 63) as usize]
            } else {
                b'='
            });
        }
    }
    let mut out = Vec::new();
    for line in text.chunks(76) {
        out.extend_from_slice(line);
        out.extend_from_slice(eol.as_bytes());
    }
    out
}

/// LF line ends as CRLF (the test mails are written with LF only).
fn crlf(lf: &[u8]) -> Vec<u8> {
    assert!(!lf.contains(&b'\r'), "test input is written with LF only");
    let mut out = Vec::with_capacity(lf.len() + lf.len() / 16);
    for &b in lf {
        if b == b'\n' {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Asserts two byte strings are equal, showing where they first differ (not megabytes).
#[track_caller]
fn assert_same(what: &str, got: &[u8], want: &[u8]) {
    if got == want {
        return;
    }
    let at = got
        .iter()
        .zip(want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let show = |b: &[u8]| {
        let from = at.saturating_sub(40);
        String::from_utf8_lossy(&b[from..b.len().min(at + 40)]).into_owned()
    };
    panic!(
        "{what}: {} bytes, expected {}; first difference at byte {at}:\n  got:      {:?}\n  expected: {:?}",
        got.len(),
        want.len(),
        show(got),
        show(want)
    );
}

/// A CRLF entity's header block (with the CRLF of its last line) and body.
fn head_body(entity: &[u8]) -> (&[u8], &[u8]) {
    let i = find(entity, b"\r\n\r\n").expect("an entity has a blank line after its header");
    (&entity[..i + 2], &entity[i + 4..])
}

/// The header lines of a CRLF header block (without continuation handling: the test mails'
/// part headers have none).
fn header_lines(head: &[u8]) -> Vec<String> {
    String::from_utf8(head.to_vec())
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// The body parts of a CRLF multipart entity with `boundary`: (preamble, parts, epilogue).
fn multipart(entity: &[u8], boundary: &str) -> (Vec<u8>, Vec<Vec<u8>>, Vec<u8>) {
    let (_, body) = head_body(entity);
    let body = [b"\r\n".as_slice(), body].concat();
    let delimiter = format!("\r\n--{boundary}");
    let mut pieces = Vec::new();
    let mut rest = body.as_slice();
    while let Some(i) = find(rest, delimiter.as_bytes()) {
        pieces.push(rest[..i].to_vec());
        rest = &rest[i + delimiter.len()..];
    }
    assert!(rest.starts_with(b"--"), "no closing delimiter");
    let epilogue = rest[2..].to_vec();
    let preamble = pieces.remove(0);
    let parts = pieces
        .into_iter()
        .map(|p| {
            p.strip_prefix(b"\r\n")
                .expect("a delimiter line ends")
                .to_vec()
        })
        .collect();
    (preamble[2.min(preamble.len())..].to_vec(), parts, epilogue)
}

// ---------------------------------------------------------------------------------------------
// The test mails
// ---------------------------------------------------------------------------------------------

/// Deterministic pseudo-random bytes (splitmix64).
fn pseudo_random(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
    }
    out.truncate(n);
    out
}

const TEXT_PART: &str = "Grüße, Jürgen — ✓\n\nDie Übergabe ist am Freitag. Ça va?\n";
const HTML_HEAD: &str = "Content-Type: text/html; charset=utf-8\n\
    Content-Transfer-Encoding: quoted-printable\n";
const HTML_BODY: &str = "<html><body><p>Gr=C3=BC=C3=9Fe, J=C3=BCrgen =E2=80=94 =E2=9C=93</p></body=\n\
    ></html>\n";
const BOUNDARY: &str = "=_interop_mixed_7f3a";

/// A test mail: outer header fields and MIME entity, both with LF line ends.
struct Mail {
    name: &'static str,
    /// From, To, Subject, Date.
    outer: String,
    entity: Vec<u8>,
    /// The multipart mail (its 8bit text part is re-encoded in the signed form).
    multipart: bool,
    /// A line of the body, to find (and change) in signed forms.
    marker: &'static [u8],
}

impl Mail {
    /// The whole message as a client writes it to a file (LF).
    fn raw(&self) -> Vec<u8> {
        [
            self.outer.as_bytes(),
            b"MIME-Version: 1.0\n",
            self.entity.as_slice(),
        ]
        .concat()
    }

    /// The entity as sent: in CRLF form, otherwise unchanged.
    fn entity_crlf(&self) -> Vec<u8> {
        crlf(&self.entity)
    }

    /// The outer header lines as they must appear in a message made from this mail (CRLF).
    fn outer_lines(&self) -> Vec<String> {
        self.outer.lines().map(|l| format!("{l}\r\n")).collect()
    }
}

fn outer(subject: &str) -> String {
    format!(
        "From: Alice <alice@example.com>\nTo: Bob <bob@example.com>\nSubject: {subject}\n\
         Date: Mon, 23 Nov 2026 10:00:00 +0000\nMessage-ID: <{}@example.com>\n",
        subject.replace(' ', ".")
    )
}

fn attachment() -> Vec<u8> {
    pseudo_random(50 * 1024, 42)
}

fn plain_mail() -> Mail {
    Mail {
        name: "plain",
        outer: outer("Plain text interop"),
        entity: b"Content-Type: text/plain; charset=us-ascii\nContent-Transfer-Encoding: 7bit\n\n\
                  Hello Bob,\n\nthe figures are attached.  \n\n-- \nAlice\n"
            .to_vec(),
        multipart: false,
        marker: b"the figures are attached.",
    }
}

fn multipart_mail() -> Mail {
    let mut e = format!(
        "Content-Type: multipart/mixed;\n boundary=\"{BOUNDARY}\"\nContent-Language: de-DE\n\n\
         This is a multi-part message in MIME format.\n\
         --{BOUNDARY}\n\
         Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n\
         {TEXT_PART}\
         --{BOUNDARY}\n\
         {HTML_HEAD}\n{HTML_BODY}\
         --{BOUNDARY}\n\
         Content-Type: application/octet-stream; name=\"figures.bin\"\n\
         Content-Transfer-Encoding: base64\n\
         Content-Disposition: attachment; filename=\"figures.bin\"\n\n"
    )
    .into_bytes();
    e.extend(base64_lines(&attachment(), "\n"));
    e.extend(format!("--{BOUNDARY}--\n").into_bytes());
    Mail {
        name: "multipart",
        outer: outer("Multipart interop"),
        entity: e,
        multipart: true,
        marker: b"Gr=C3=BC=C3=9Fe",
    }
}

fn large_mail() -> Mail {
    let mut e = b"Content-Type: text/plain; charset=us-ascii\n\n".to_vec();
    let mut i = 0;
    while e.len() < 1024 * 1024 {
        e.extend(
            format!("Line {i:06}: the quick brown fox jumps over the lazy dog, again.\n")
                .into_bytes(),
        );
        i += 1;
    }
    Mail {
        name: "1 MB",
        outer: outer("Large interop"),
        entity: e,
        multipart: false,
        marker: b"Line 004242: the quick brown fox",
    }
}

fn mails() -> [Mail; 3] {
    [plain_mail(), multipart_mail(), large_mail()]
}

/// Checks an entity that is `mail`'s content however it was transported: the plain parts byte
/// for byte, the UTF-8 text and the attachment decoded to the original bytes.
#[track_caller]
fn assert_content(mail: &Mail, entity: &[u8]) {
    let (head, body) = head_body(entity);
    let (want_head, want_body) = {
        let e = mail.entity_crlf();
        let (h, b) = head_body(&e);
        (h.to_vec(), b.to_vec())
    };
    assert_same(
        &format!("{}: top-level header", mail.name),
        head,
        &want_head,
    );
    if !mail.multipart {
        assert_same(&format!("{}: body", mail.name), body, &want_body);
        return;
    }
    let (_, parts, _) = multipart(entity, BOUNDARY);
    assert_eq!(parts.len(), 3, "{}: three parts", mail.name);
    // The text part: 8bit as sent, or base64 (signed); its text is the same either way.
    let (text_head, text_body) = head_body(&parts[0]);
    let text = if header_lines(text_head).contains(&"Content-Transfer-Encoding: base64".into()) {
        base64_decode(text_body)
    } else {
        text_body.to_vec()
    };
    // The CRLF that ends the part's last line belongs to the next delimiter.
    let want_text = crlf(TEXT_PART.as_bytes());
    assert_same(
        "the UTF-8 text part",
        &text,
        &want_text[..want_text.len() - 2],
    );
    // The HTML part: unchanged.
    let html = crlf(format!("{HTML_HEAD}\n{HTML_BODY}").as_bytes());
    assert_same(
        "the HTML part",
        &parts[1],
        &html[..html.len() - 2], // its last CRLF belongs to the next delimiter
    );
    // The attachment decodes to the original bytes.
    let (_, att) = head_body(&parts[2]);
    assert_same("the attachment", &base64_decode(att), &attachment());
}

/// Checks the entity a signed message carries for `mail`: the canonical form of the entity
/// (CRLF; the 8bit text part re-encoded as base64 with its other header fields kept, in lines
/// of at most 76 characters; every other part byte for byte), all 7-bit.
#[track_caller]
fn assert_canonical(mail: &Mail, inner: &[u8]) {
    assert_content(mail, inner);
    assert!(
        inner.iter().all(|b| *b < 0x80 && *b != 0),
        "{}: the signed entity is 7-bit",
        mail.name
    );
    if !mail.multipart {
        assert_same(
            &format!("{}: signed entity", mail.name),
            inner,
            &mail.entity_crlf(),
        );
        return;
    }
    let want = mail.entity_crlf();
    let (_, want_parts, _) = multipart(&want, BOUNDARY);
    let (_, parts, _) = multipart(inner, BOUNDARY);
    assert_same("the HTML part", &parts[1], &want_parts[1]);
    assert_same("the attachment part", &parts[2], &want_parts[2]);
    let (head, body) = head_body(&parts[0]);
    let mut lines = header_lines(head);
    lines.sort();
    assert_eq!(
        lines,
        [
            "Content-Transfer-Encoding: base64",
            "Content-Type: text/plain; charset=utf-8"
        ],
        "the text part's header: 8bit replaced by base64, the rest kept"
    );
    for line in body.split(|b| *b == b'\n') {
        assert!(line.len() <= 77, "a base64 line over 76 characters");
    }
}

/// The header block of a whole message (CRLF) contains `mail`'s outer fields, and the entity
/// below it does not.
#[track_caller]
fn assert_outer_kept(mail: &Mail, message: &[u8]) {
    let message = String::from_utf8_lossy(message);
    let message = message.replace("\r\n", "\n").replace('\n', "\r\n");
    let (head, body) = message.split_once("\r\n\r\n").unwrap();
    for line in mail.outer_lines() {
        assert!(
            format!("{head}\r\n").contains(&line),
            "{}: outer field {line:?} kept in the header:\n{head}",
            mail.name
        );
        assert!(!body.contains(&line), "{line:?} inside the entity");
    }
}

fn now() -> SystemTime {
    SystemTime::now()
}

// ---------------------------------------------------------------------------------------------
// Made here, read by OpenSSL
// ---------------------------------------------------------------------------------------------

fn signed_here_verifies_in_openssl(mail: &Mail) {
    let env = Env::new();
    for signer in [&env.alice, &env.bob] {
        for form in [SignatureForm::Detached, SignatureForm::Opaque] {
            let what = format!("{} signed {form:?} by {}", mail.name, signer.cert.subject());
            let signed = sign_message(
                &mail.raw(),
                &signer.cert,
                &[],
                &*signer.key,
                form,
                &SignOptions::new(now()),
            )
            .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_outer_kept(mail, &signed);

            // Our own verification: valid, by the signer, the canonical entity.
            let ours = verify_message(&signed, &[]).unwrap();
            assert_eq!(ours.form, form, "{what}");
            assert_eq!(ours.signed.signers.len(), 1, "{what}");
            let report = &ours.signed.signers[0];
            assert_eq!(report.status, SignatureStatus::Valid, "{what}: {report:?}");
            assert_eq!(
                report.certificate.as_ref().map(Certificate::thumbprint),
                Some(signer.cert.thumbprint()),
                "{what}"
            );
            assert_canonical(mail, &ours.inner);
            assert_outer_kept(mail, &ours.message);
            assert!(ours.message.ends_with(&ours.inner), "{what}");

            // OpenSSL's verification outputs exactly that entity.
            for tool in ["smime", "cms"] {
                let theirs = env.openssl_verify(tool, &signed);
                assert_same(
                    &format!("{what}: openssl {tool} -verify output"),
                    &theirs,
                    &ours.inner,
                );
            }
        }
    }
}

#[test]
fn plain_mail_signed_here_verifies_in_openssl() {
    signed_here_verifies_in_openssl(&plain_mail());
}

#[test]
fn multipart_mail_signed_here_verifies_in_openssl() {
    signed_here_verifies_in_openssl(&multipart_mail());
}

#[test]
fn large_mail_signed_here_verifies_in_openssl() {
    signed_here_verifies_in_openssl(&large_mail());
}

/// Canonicalisation changes only what it must: the multipart preamble (the text for readers
/// without MIME that Thunderbird and Outlook write) and the epilogue stay in the signed entity,
/// as the comment in the library's `canonical_part` says they do.
#[test]
fn signing_keeps_the_multipart_preamble_and_epilogue() {
    let env = Env::new();
    let mail = multipart_mail();
    let (want_preamble, _, want_epilogue) = multipart(&mail.entity_crlf(), BOUNDARY);
    assert!(!want_preamble.is_empty());
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        let signed = sign_message(
            &mail.raw(),
            &env.bob.cert,
            &[],
            &*env.bob.key,
            form,
            &SignOptions::new(now()),
        )
        .unwrap();
        let inner = verify_message(&signed, &[]).unwrap().inner;
        let (preamble, parts, epilogue) = multipart(&inner, BOUNDARY);
        assert_eq!(parts.len(), 3);
        assert_same(
            &format!("{form:?}: the preamble"),
            &preamble,
            &want_preamble,
        );
        assert_same(
            &format!("{form:?}: the epilogue"),
            &epilogue,
            &want_epilogue,
        );
    }
}

/// A recipient, a cipher and a key transport; which OpenSSL tools decrypt it.
struct EncryptCase {
    cipher: ContentCipher,
    transport: KeyTransport,
    rsa: bool,
    /// Whether `openssl smime` reads it: PKCS#7 in OpenSSL 3.0 decrypts EnvelopedData with RSA
    /// PKCS#1 v1.5 key transport only (it fails on RSA-OAEP, AuthEnvelopedData and key
    /// agreement, as tried: "Error decrypting PKCS#7 structure" / "Error reading S/MIME
    /// message"), so the other cases are judged by `openssl cms` alone.
    smime: bool,
}

const ENCRYPT_CASES: [EncryptCase; 7] = [
    EncryptCase {
        cipher: ContentCipher::Aes128Cbc,
        transport: KeyTransport::Pkcs1v15,
        rsa: true,
        smime: true,
    },
    EncryptCase {
        cipher: ContentCipher::Aes256Cbc,
        transport: KeyTransport::Pkcs1v15,
        rsa: true,
        smime: true,
    },
    EncryptCase {
        cipher: ContentCipher::Aes128Cbc,
        transport: KeyTransport::OaepSha256,
        rsa: true,
        smime: false,
    },
    EncryptCase {
        cipher: ContentCipher::Aes256Cbc,
        transport: KeyTransport::OaepSha256,
        rsa: true,
        smime: false,
    },
    EncryptCase {
        cipher: ContentCipher::Aes256Gcm,
        transport: KeyTransport::Pkcs1v15,
        rsa: true,
        smime: false,
    },
    EncryptCase {
        cipher: ContentCipher::Aes256Cbc,
        transport: KeyTransport::Pkcs1v15,
        rsa: false,
        smime: false,
    },
    EncryptCase {
        cipher: ContentCipher::Aes256Gcm,
        transport: KeyTransport::Pkcs1v15,
        rsa: false,
        smime: false,
    },
];

#[test]
fn encrypted_here_decrypts_in_openssl() {
    let env = Env::new();
    for mail in mails() {
        for case in &ENCRYPT_CASES {
            let to = if case.rsa { &env.alice } else { &env.bob };
            let what = format!(
                "{} encrypted with {:?} to {} ({:?})",
                mail.name,
                case.cipher,
                to.cert.subject(),
                case.transport
            );
            let options = EncryptOptions::new()
                .cipher(case.cipher)
                .key_transport(case.transport);
            let sent = encrypt_message(&mail.raw(), std::slice::from_ref(&to.cert), &options)
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_outer_kept(&mail, &sent);
            let smime_type = if case.cipher.is_authenticated() {
                "smime-type=authEnveloped-data"
            } else {
                "smime-type=enveloped-data"
            };
            assert!(
                find(&sent, b"Content-Type: application/pkcs7-mime;").is_some()
                    && find(&sent, smime_type.as_bytes()).is_some(),
                "{what}: {smime_type}"
            );

            // Ours: exactly the entity sent, in CRLF form.
            let opened = decrypt_message(&sent, &keys(&[to]), &DecryptOptions::new())
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_same(&what, &opened.inner, &mail.entity_crlf());
            assert_content(&mail, &opened.inner);
            assert_eq!(opened.authenticated, case.cipher.is_authenticated());

            // OpenSSL's: the same bytes.
            let mut tools = vec!["cms"];
            if case.smime {
                tools.push("smime");
            }
            for tool in tools {
                let theirs = env.openssl_decrypt(tool, &sent, to);
                assert_same(
                    &format!("{what}: openssl {tool} -decrypt output"),
                    &theirs,
                    &mail.entity_crlf(),
                );
            }
        }
    }
}

#[test]
fn signed_and_encrypted_here_opens_in_openssl() {
    let env = Env::new();
    let store = env.store(&[&env.alice, &env.bob]);
    let smime = Smime::new(&store);
    for mail in [plain_mail(), multipart_mail()] {
        for form in [SignatureForm::Detached, SignatureForm::Opaque] {
            let what = format!("{} signed {form:?} by bob, encrypted to alice", mail.name);
            let sent = smime
                .sign_encrypt(
                    &mail.raw(),
                    &env.bob.cert,
                    std::slice::from_ref(&env.alice.cert),
                    form,
                    &SignOptions::new(now()),
                    &EncryptOptions::new(),
                )
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_outer_kept(&mail, &sent);

            // Ours first: valid, and the canonical entity.
            let (opened, verification) = smime
                .decrypt_verify(&sent, now(), &DecryptOptions::new())
                .unwrap();
            let verification = verification.expect("signed inside");
            assert!(
                verification.is_valid(),
                "{what}: {:?}",
                verification.signers
            );
            assert_canonical(&mail, &verification.message.inner);

            // OpenSSL: decrypt (PKCS#7 and CMS), then verify what came out.
            for tool in ["smime", "cms"] {
                let decrypted = env.openssl_decrypt(tool, &sent, &env.alice);
                assert_same(
                    &format!("{what}: openssl {tool} -decrypt output"),
                    &decrypted,
                    &opened.inner,
                );
                let content = env.openssl_verify(tool, &decrypted);
                assert_same(
                    &format!("{what}: openssl {tool} -verify output"),
                    &content,
                    &verification.message.inner,
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Made by OpenSSL, read here
// ---------------------------------------------------------------------------------------------

/// Writes `mail`'s entity (LF, as a client's file) for OpenSSL to sign or encrypt.
fn write_entity(env: &Env, mail: &Mail) -> &'static str {
    env.write("entity.txt", &mail.entity);
    "entity.txt"
}

/// The outer header options of `openssl smime` / `cms`.
const OUTER_ARGS: [&str; 6] = [
    "-from",
    "alice@example.com",
    "-to",
    "bob@example.com",
    "-subject",
    "OpenSSL interop",
];

#[track_caller]
fn assert_valid_signature(what: &str, verified: &VerifiedMessage, signer: &Party) {
    assert_eq!(verified.signed.signers.len(), 1, "{what}");
    let report = &verified.signed.signers[0];
    assert_eq!(report.status, SignatureStatus::Valid, "{what}: {report:?}");
    assert_eq!(
        report.certificate.as_ref().map(Certificate::thumbprint),
        Some(signer.cert.thumbprint()),
        "{what}"
    );
}

#[test]
fn signed_by_openssl_verifies_here() {
    let env = Env::new();
    // The store knows the root and both signers' certificates (for `-nocerts`).
    let store = env.store(&[&env.alice, &env.bob]);
    let smime = Smime::new(&store);
    struct Case {
        args: &'static [&'static str],
        form: SignatureForm,
        certs: bool,
    }
    let cases = [
        Case {
            args: &["smime", "-sign"],
            form: SignatureForm::Detached,
            certs: true,
        },
        Case {
            args: &["smime", "-sign", "-nodetach"],
            form: SignatureForm::Opaque,
            certs: true,
        },
        Case {
            args: &["cms", "-sign"],
            form: SignatureForm::Detached,
            certs: true,
        },
        Case {
            args: &["cms", "-sign", "-nodetach"],
            form: SignatureForm::Opaque,
            certs: true,
        },
        Case {
            args: &["cms", "-sign", "-nocerts"],
            form: SignatureForm::Detached,
            certs: false,
        },
        Case {
            args: &["cms", "-sign", "-nodetach", "-nocerts"],
            form: SignatureForm::Opaque,
            certs: false,
        },
        // Streamed: BER with indefinite lengths, as Thunderbird and BouncyCastle write it.
        Case {
            args: &["cms", "-sign", "-nodetach", "-stream"],
            form: SignatureForm::Opaque,
            certs: true,
        },
        Case {
            args: &["smime", "-sign", "-nodetach", "-stream"],
            form: SignatureForm::Opaque,
            certs: true,
        },
    ];
    for mail in mails() {
        let input = write_entity(&env, &mail);
        for case in &cases {
            for signer in [&env.alice, &env.bob] {
                let what = format!(
                    "{} by `openssl {}` ({})",
                    mail.name,
                    case.args.join(" "),
                    signer.cert.subject()
                );
                let mut args = case.args.to_vec();
                args.extend([
                    "-in",
                    input,
                    "-signer",
                    &signer.cert_file,
                    "-inkey",
                    &signer.key_file,
                    "-out",
                    "signed.eml",
                ]);
                args.extend(OUTER_ARGS);
                env.ok(&args);
                let signed = env.read("signed.eml");
                // OpenSSL writes the framing (outer fields, boundaries, base64) with LF; the
                // signed part of a detached signature is in CRLF form.
                let first_line = &signed[..find(&signed, b"\n").unwrap()];
                assert!(!first_line.ends_with(b"\r"), "{what}: LF framing");
                if case.form == SignatureForm::Detached {
                    assert!(
                        find(&signed, &mail.entity_crlf()).is_some(),
                        "{what}: the signed part is the entity in CRLF form"
                    );
                }

                let verified = verify_message(&signed, &[]).unwrap();
                assert_eq!(verified.form, case.form, "{what}");
                if case.certs {
                    assert_valid_signature(&what, &verified, signer);
                } else {
                    let report = &verified.signed.signers[0];
                    assert_eq!(
                        report.status,
                        SignatureStatus::SignerCertificateNotFound,
                        "{what}"
                    );
                    assert!(verified.signed.certificates.is_empty(), "{what}");
                    // With the certificate given, it verifies.
                    let verified =
                        verify_message(&signed, std::slice::from_ref(&signer.cert)).unwrap();
                    assert_valid_signature(&what, &verified, signer);
                }
                // What OpenSSL signed is the entity in CRLF form, 8bit kept.
                assert_same(&what, &verified.inner, &mail.entity_crlf());
                assert_content(&mail, &verified.inner);

                // Over the store: the trust engine finds the chain to the root.
                let checked = smime.verify(&signed, now()).unwrap();
                assert!(checked.is_valid(), "{what}: {:?}", checked.signers);
                assert_same(&what, &checked.message.inner, &mail.entity_crlf());
            }
        }
    }
}

#[test]
fn encrypted_by_openssl_decrypts_here() {
    let env = Env::new();
    let store = env.store(&[&env.alice, &env.bob]);
    let smime = Smime::new(&store);
    /// An `openssl` encryption: its arguments, the recipient, what it should decrypt as.
    struct Case<'a> {
        args: &'a [&'a str],
        to: &'a Party,
        keyopts: &'a [&'a str],
        cipher: &'a str,
        aead: bool,
    }
    let case = |args, to, keyopts, cipher, aead| Case {
        args,
        to,
        keyopts,
        cipher,
        aead,
    };
    let oaep: &[&str] = &[
        "-keyopt",
        "rsa_padding_mode:oaep",
        "-keyopt",
        "rsa_oaep_md:sha256",
    ];
    let (alice, bob) = (&env.alice, &env.bob);
    let cases = [
        case(
            &["smime", "-encrypt", "-aes256"],
            alice,
            &[],
            "AES-256-CBC",
            false,
        ),
        case(
            &["smime", "-encrypt", "-aes128"],
            alice,
            &[],
            "AES-128-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-128-cbc"],
            alice,
            &[],
            "AES-128-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-cbc"],
            alice,
            &[],
            "AES-256-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-gcm"],
            alice,
            &[],
            "AES-256-GCM",
            true,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-cbc"],
            alice,
            oaep,
            "AES-256-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-gcm"],
            alice,
            oaep,
            "AES-256-GCM",
            true,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-cbc"],
            bob,
            &[],
            "AES-256-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-gcm"],
            bob,
            &[],
            "AES-256-GCM",
            true,
        ),
        // Streamed: BER with indefinite lengths.
        case(
            &["cms", "-encrypt", "-aes-256-cbc", "-stream"],
            alice,
            &[],
            "AES-256-CBC",
            false,
        ),
        case(
            &["smime", "-encrypt", "-aes256", "-stream"],
            alice,
            &[],
            "AES-256-CBC",
            false,
        ),
        case(
            &["cms", "-encrypt", "-aes-256-gcm", "-stream"],
            bob,
            &[],
            "AES-256-GCM",
            true,
        ),
    ];
    for mail in mails() {
        let input = write_entity(&env, &mail);
        for Case {
            args: tool_args,
            to,
            keyopts,
            cipher,
            aead,
        } in &cases
        {
            let what = format!(
                "{} by `openssl {} {}` to {}",
                mail.name,
                tool_args.join(" "),
                keyopts.join(" "),
                to.cert.subject()
            );
            let mut args = tool_args.to_vec();
            args.extend(["-in", input, "-out", "encrypted.eml"]);
            args.extend(OUTER_ARGS);
            if tool_args[0] == "cms" {
                args.extend(["-recip", &to.cert_file]);
                args.extend(keyopts.iter());
            } else {
                args.push(&to.cert_file);
            }
            env.ok(&args);
            let sent = env.read("encrypted.eml");

            let opened = decrypt_message(&sent, &keys(&[to]), &DecryptOptions::new())
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_same(&what, &opened.inner, &mail.entity_crlf());
            assert_content(&mail, &opened.inner);
            assert_eq!(opened.authenticated, *aead, "{what}");
            assert!(
                opened.cipher.to_ascii_uppercase().contains(cipher),
                "{what}: cipher {}",
                opened.cipher
            );
            assert_eq!(opened.recipient, RecipientId::of_certificate(&to.cert));
            assert!(
                String::from_utf8_lossy(&opened.message).contains("Subject: OpenSSL interop\r\n"),
                "{what}: the outer header is kept"
            );

            let by_store = smime.decrypt(&sent, &DecryptOptions::new()).unwrap();
            assert_same(&what, &by_store.inner, &mail.entity_crlf());

            // Refusing PKCS#1 v1.5 key transport: OAEP and key agreement still open, v1.5 is
            // refused (which shows the message used the key transport asked for).
            let no_v15 = DecryptOptions::new().allow_pkcs1v15(false);
            let strict = smime.decrypt(&sent, &no_v15);
            if keyopts.is_empty() && std::ptr::eq(*to, alice) {
                let err = strict.expect_err("PKCS#1 v1.5 refused");
                assert_eq!(err.kind(), ErrorKind::NotPermitted, "{what}: {err}");
            } else {
                let opened = strict.unwrap_or_else(|e| panic!("{what}: {e}"));
                assert_same(&what, &opened.inner, &mail.entity_crlf());
            }
        }
    }
}

#[test]
fn signed_then_encrypted_by_openssl_opens_here() {
    let env = Env::new();
    let store = env.store(&[&env.alice, &env.bob]);
    let smime = Smime::new(&store);
    // (sign command, encrypt command ending before the recipient, recipient)
    let pipelines: [(&[&str], &[&str], &Party, &Party); 3] = [
        // PKCS#7: RSA key transport only.
        (
            &["smime", "-sign"],
            &["smime", "-encrypt", "-aes256"],
            &env.bob,
            &env.alice,
        ),
        (
            &["smime", "-sign", "-nodetach"],
            &["smime", "-encrypt", "-aes128"],
            &env.alice,
            &env.alice,
        ),
        (
            &["cms", "-sign"],
            &["cms", "-encrypt", "-aes-256-gcm"],
            &env.alice,
            &env.bob,
        ),
    ];
    for mail in [plain_mail(), multipart_mail()] {
        let input = write_entity(&env, &mail);
        for (sign, encrypt, signer, to) in &pipelines {
            let what = format!(
                "{}: `openssl {}` by {} | `openssl {}` to {}",
                mail.name,
                sign.join(" "),
                signer.cert.subject(),
                encrypt.join(" "),
                to.cert.subject()
            );
            let mut args = sign.to_vec();
            args.extend([
                "-in",
                input,
                "-signer",
                &signer.cert_file,
                "-inkey",
                &signer.key_file,
                "-out",
                "signed.eml",
            ]);
            env.ok(&args);
            let mut args = encrypt.to_vec();
            args.extend(["-in", "signed.eml", "-out", "sent.eml"]);
            args.extend(OUTER_ARGS);
            if encrypt[0] == "cms" {
                args.extend(["-recip", &to.cert_file]);
            } else {
                args.push(&to.cert_file);
            }
            env.ok(&args);
            let sent = env.read("sent.eml");

            let (opened, verification) = smime
                .decrypt_verify(&sent, now(), &DecryptOptions::new())
                .unwrap_or_else(|e| panic!("{what}: {e}"));
            let verification = verification.unwrap_or_else(|| panic!("{what}: not seen as signed"));
            assert!(
                verification.is_valid(),
                "{what}: {:?}",
                verification.signers
            );
            assert_eq!(
                verification.signers[0]
                    .certificate
                    .as_ref()
                    .map(Certificate::thumbprint),
                Some(signer.cert.thumbprint())
            );
            assert_same(&what, &verification.message.inner, &mail.entity_crlf());
            assert_content(&mail, &verification.message.inner);
            assert!(
                String::from_utf8_lossy(&opened.message).contains("Subject: OpenSSL interop\r\n"),
                "{what}: the outer header is kept"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Negative
// ---------------------------------------------------------------------------------------------

/// `signed` with one byte of the signed content changed: in the first part of a
/// `multipart/signed`, or inside the CMS of an opaque message (base64 decoded, the byte changed,
/// encoded again).
fn change_content_byte(signed: &[u8], marker: &[u8]) -> Vec<u8> {
    let mut changed = signed.to_vec();
    if let Some(i) = find(signed, marker) {
        changed[i] ^= 0x01;
        return changed;
    }
    // Opaque: the content is inside the base64 body, after the one header block (CRLF from
    // hermes-pki, LF from OpenSSL).
    let body_at = match find(signed, b"\r\n\r\n") {
        Some(i) => i + 4,
        None => find(signed, b"\n\n").expect("a header block") + 2,
    };
    let mut der = base64_decode(&signed[body_at..]);
    let i = find(&der, marker).expect("the encapsulated content holds the marker");
    der[i] ^= 0x01;
    [&signed[..body_at], &base64_lines(&der, "\n")].concat()
}

#[test]
fn a_changed_body_byte_fails_here_and_in_openssl() {
    let env = Env::new();
    let mail = multipart_mail();
    let plain = plain_mail();
    let input = write_entity(&env, &plain);
    for form in [SignatureForm::Detached, SignatureForm::Opaque] {
        for (maker, m, signed) in [
            (
                "hermes-pki",
                &mail,
                sign_message(
                    &mail.raw(),
                    &env.bob.cert,
                    &[],
                    &*env.bob.key,
                    form,
                    &SignOptions::new(now()),
                )
                .unwrap(),
            ),
            (
                "hermes-pki",
                &plain,
                sign_message(
                    &plain.raw(),
                    &env.alice.cert,
                    &[],
                    &*env.alice.key,
                    form,
                    &SignOptions::new(now()),
                )
                .unwrap(),
            ),
            ("openssl", &plain, {
                let mut args = vec!["smime", "-sign"];
                if form == SignatureForm::Opaque {
                    args.push("-nodetach");
                }
                args.extend([
                    "-in",
                    input,
                    "-signer",
                    "alice.pem",
                    "-inkey",
                    "alice.key",
                    "-out",
                    "signed.eml",
                ]);
                env.ok(&args);
                env.read("signed.eml")
            }),
        ] {
            let what = format!("{} signed {form:?} by {maker}", m.name);
            // Unchanged, both accept it.
            assert!(
                verify_message(&signed, &[]).unwrap().signed.signers[0]
                    .status
                    .is_valid(),
                "{what}"
            );
            env.openssl_verify("smime", &signed);

            let changed = change_content_byte(&signed, m.marker);
            assert_ne!(changed, signed);
            let verified = verify_message(&changed, &[]).unwrap();
            assert_eq!(
                verified.signed.signers[0].status,
                SignatureStatus::ContentChanged,
                "{what}"
            );
            let store = env.store(&[]);
            assert!(
                !Smime::new(&store)
                    .verify(&changed, now())
                    .unwrap()
                    .is_valid()
            );
            for tool in ["smime", "cms"] {
                env.write("changed.eml", &changed);
                let (ok, text) = env.run(&[
                    tool,
                    "-verify",
                    "-CAfile",
                    "root.pem",
                    "-in",
                    "changed.eml",
                    "-out",
                    "changed.out",
                ]);
                assert!(
                    !ok,
                    "{what}: openssl {tool} accepted a changed message:\n{text}"
                );
                assert!(
                    text.contains("digest failure") || text.contains("verify error"),
                    "{what}: openssl {tool}: {text}"
                );
            }
        }
    }
}

/// Offers one key (PKCS#8 PEM) for every recipient: the wrong key under the right name.
struct WrongKey(String);

impl RecipientKeys for WrongKey {
    fn key_for(
        &self,
        _id: &RecipientId,
    ) -> hermes_pki::Result<Option<Box<dyn hermes_pki::key::Decryptor>>> {
        Ok(Some(Box::new(PrivateKey::from_pem(&self.0, None)?)))
    }
}

#[test]
fn the_wrong_key_does_not_decrypt() {
    let env = Env::new();
    let mail = multipart_mail();
    // A store holding only mallory's certificate and key.
    let wrong_store = env.store(&[&env.mallory]);
    let right_store = env.store(&[&env.alice, &env.bob]);
    for (to, options) in [
        (&env.alice, EncryptOptions::new()),
        (
            &env.alice,
            EncryptOptions::new().key_transport(KeyTransport::OaepSha256),
        ),
        (
            &env.alice,
            EncryptOptions::new().cipher(ContentCipher::Aes256Gcm),
        ),
        (&env.bob, EncryptOptions::new()),
    ] {
        let sent = encrypt_message(&mail.raw(), std::slice::from_ref(&to.cert), &options).unwrap();
        let what = format!("to {} with {options:?}", to.cert.subject());
        let err = Smime::new(&wrong_store)
            .decrypt(&sent, &DecryptOptions::new())
            .expect_err("mallory's store has no key for the recipient");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{what}: {err}");
        assert!(
            Smime::new(&right_store)
                .decrypt(&sent, &DecryptOptions::new())
                .is_ok(),
            "{what}"
        );
        // OpenSSL with mallory's key refuses too.
        env.write("sent.eml", &sent);
        let (ok, _) = env.run(&[
            "cms",
            "-decrypt",
            "-in",
            "sent.eml",
            "-recip",
            "mallory.pem",
            "-inkey",
            "mallory.key",
        ]);
        assert!(!ok, "{what}: openssl decrypted with the wrong key");
    }
    // Mallory's RSA key offered for alice's recipient info: the one decryption error.
    for transport in [KeyTransport::Pkcs1v15, KeyTransport::OaepSha256] {
        let sent = encrypt_message(
            &mail.raw(),
            std::slice::from_ref(&env.alice.cert),
            &EncryptOptions::new().key_transport(transport),
        )
        .unwrap();
        let err = decrypt_message(
            &sent,
            &WrongKey(String::from_utf8(env.read(&env.mallory.key_file)).unwrap()),
            &DecryptOptions::new(),
        )
        .expect_err("the wrong key does not decrypt");
        assert_eq!(err.kind(), ErrorKind::Crypto, "{transport:?}: {err}");
    }
}
