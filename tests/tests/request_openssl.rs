//! Certificate requests judged by the real `openssl` command (issue 15): a PKCS#10 made here is
//! signed by `openssl x509 -req` and by `openssl ca` and completes its request; a PKCS#10 made
//! by `openssl req` (RSA and EC) is issued here and `openssl verify` accepts the result, which
//! carries the client's key; bad self-signatures, weak keys and forbidden names are refused.
//! About 2 s (one RSA 2048 and one RSA 1024 key made by OpenSSL; everything else EC P-256).

use std::path::Path;
use std::process::Command;

use hermes_pki::ErrorKind;
use hermes_pki::ca::{CaSpec, CertificateAuthority, CreatedCa, DistinguishedName};
use hermes_pki::cert::load_certificates;
use hermes_pki::key::KeySpec;
use hermes_pki::request::{CSR, CsrPolicy, RequestOptions, RequestStatus, Requests};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::SystemClock;
use hermes_pki_tests::{KeyKind, gen_key, openssl, openssl_text, self_signed};

fn external_ca(dir: &Path) {
    self_signed(
        dir,
        "extca",
        KeyKind::P256,
        "/CN=External Test CA",
        "basicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign",
    );
}

fn outward(store: &MemoryStore, email: &str) -> (hermes_pki::store::RequestId, String) {
    let r = Requests::new(store)
        .request(
            &RequestOptions::new(email, "Outward User")
                .key(KeySpec::EcP256)
                .handler(CSR),
            &SystemClock,
        )
        .unwrap();
    assert!(r.is_pending());
    let id = r.record().id;
    (id, Requests::new(store).csr_pem(id).unwrap())
}

#[test]
fn a_csr_made_here_is_signed_by_openssl_x509_req_and_completes_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    external_ca(d);
    let store = MemoryStore::new();
    let (id, pem) = outward(&store, "out@example.com");
    std::fs::write(d.join("req.pem"), &pem).unwrap();
    // OpenSSL checks the self-signature and reads the names.
    let text = openssl_text(&["req", "-in", "req.pem", "-verify", "-noout", "-text"], d);
    assert!(text.contains("email:out@example.com"), "{text}");
    assert!(text.contains("CN = Outward User"), "{text}");
    openssl(
        &[
            "x509",
            "-req",
            "-in",
            "req.pem",
            "-CA",
            "extca.pem",
            "-CAkey",
            "extca.key",
            "-days",
            "30",
            "-set_serial",
            "4242",
            "-copy_extensions",
            "copy",
            "-out",
            "signed.pem",
        ],
        d,
    );
    let signed = std::fs::read(d.join("signed.pem")).unwrap();
    let done = Requests::new(&store)
        .complete(id, &signed, &SystemClock)
        .unwrap();
    assert_eq!(done.record().status, RequestStatus::Completed);
    let cert = done.certificate().unwrap();
    assert_eq!(cert.emails(), ["out@example.com"]);
    store
        .read_transaction(|tx| {
            assert!(
                tx.key_for_certificate(cert.thumbprint())?
                    .unwrap()
                    .matches(cert)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_csr_made_here_is_signed_by_openssl_ca_and_a_plain_import_completes_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    external_ca(d);
    std::fs::create_dir(d.join("newcerts")).unwrap();
    std::fs::write(d.join("index.txt"), "").unwrap();
    std::fs::write(d.join("serial"), "1000\n").unwrap();
    std::fs::write(
        d.join("ca.cnf"),
        "[ca]\ndefault_ca = ext\n[ext]\ndatabase = index.txt\nnew_certs_dir = newcerts\n\
         certificate = extca.pem\nprivate_key = extca.key\nserial = serial\ndefault_md = sha256\n\
         default_days = 30\npolicy = any\ncopy_extensions = copy\nunique_subject = no\n\
         [any]\ncommonName = supplied\nemailAddress = optional\n",
    )
    .unwrap();
    let store = MemoryStore::new();
    let (id, pem) = outward(&store, "ca-signed@example.com");
    std::fs::write(d.join("req.pem"), &pem).unwrap();
    openssl(
        &[
            "ca",
            "-batch",
            "-notext",
            "-config",
            "ca.cnf",
            "-in",
            "req.pem",
            "-out",
            "signed.pem",
        ],
        d,
    );
    let loaded = load_certificates(&std::fs::read(d.join("signed.pem")).unwrap());
    assert_eq!(loaded.certificates.len(), 1);
    let done = Requests::new(&store)
        .complete_matching(&loaded.certificates, &SystemClock)
        .unwrap();
    assert_eq!(done.len(), 1);
    assert_eq!(done[0].record().id, id);
    assert_eq!(
        Requests::new(&store).get(id).unwrap().status,
        RequestStatus::Completed
    );
}

fn internal_ca(store: &MemoryStore, d: &Path) -> CreatedCa {
    let created = CertificateAuthority::new(store)
        .create(
            &CaSpec::new(DistinguishedName::new("Request Interop Root"))
                .key(KeySpec::EcP256)
                .intermediate(DistinguishedName::new("Request Interop Mail CA")),
            &SystemClock,
        )
        .unwrap();
    std::fs::write(d.join("root.pem"), created.root_certificate().to_pem()).unwrap();
    std::fs::write(d.join("inter.pem"), created.issuing_certificate().to_pem()).unwrap();
    created
}

/// `openssl req` with key `key`, subject and SAN; the request file's name.
fn openssl_req(d: &Path, key: &Path, name: &str, subject: &str, san: &str) -> Vec<u8> {
    let file = format!("{name}.csr");
    let key = key.to_str().unwrap();
    let san = format!("subjectAltName={san}");
    let mut args = vec!["req", "-new", "-key", key, "-subj", subject, "-out", &file];
    if !san.ends_with('=') {
        args.extend(["-addext", &san]);
    }
    openssl(&args, d);
    std::fs::read(d.join(file)).unwrap()
}

#[test]
fn a_csr_made_by_openssl_req_is_issued_here_and_openssl_verify_accepts_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = MemoryStore::new();
    internal_ca(&store, d);
    let requests = Requests::new(&store);
    for (name, kind) in [("rsa", KeyKind::Rsa(2048)), ("ec", KeyKind::P256)] {
        let key = gen_key(d, name, kind);
        let email = format!("{name}-client@example.com");
        let csr = openssl_req(
            d,
            &key,
            name,
            &format!("/CN=Client {name}/emailAddress={email}"),
            &format!("email:{email}"),
        );
        let pending = requests
            .submit_csr(
                &csr,
                &CsrPolicy::new().allowed_domain("example.com"),
                false,
                &SystemClock,
            )
            .unwrap();
        assert!(pending.is_pending());
        let done = requests.approve(pending.record().id, &SystemClock).unwrap();
        let leaf = format!("{name}.pem");
        std::fs::write(d.join(&leaf), done.certificate().unwrap().to_pem()).unwrap();
        for purpose in ["smimesign", "smimeencrypt"] {
            let out = Command::new("openssl")
                .args([
                    "verify",
                    "-purpose",
                    purpose,
                    "-x509_strict",
                    "-CAfile",
                    "root.pem",
                    "-untrusted",
                    "inter.pem",
                    &leaf,
                ])
                .current_dir(d)
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && text.contains(": OK"),
                "{name} {purpose}: {text}"
            );
        }
        // The certificate carries the client's key, which never came here.
        let cert_key = openssl_text(&["x509", "-in", &leaf, "-noout", "-pubkey"], d);
        let client_key = openssl_text(&["pkey", "-in", key.to_str().unwrap(), "-pubout"], d);
        assert_eq!(cert_key, client_key, "{name}");
        let t = *done.certificate().unwrap().thumbprint();
        assert!(
            store
                .read_transaction(|tx| tx.key_for_certificate(&t))
                .unwrap()
                .is_none()
        );
    }
}

#[test]
fn openssl_csrs_with_a_bad_signature_a_weak_key_or_a_forbidden_name_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let store = MemoryStore::new();
    internal_ca(&store, d);
    let requests = Requests::new(&store);
    let before = store
        .read_transaction(|tx| tx.count_certificates())
        .unwrap();
    let ec = gen_key(d, "ec", KeyKind::P256);

    // A changed byte in the signed part (the CN) breaks the self-signature.
    let csr = openssl_req(d, &ec, "good", "/CN=Mallory/emailAddress=m@example.com", "");
    std::fs::write(d.join("good.pem"), &csr).unwrap();
    let mut der = openssl(&["req", "-in", "good.pem", "-outform", "DER"], d);
    let pos = der.windows(7).position(|w| w == b"Mallory").unwrap();
    der[pos] = b'N';
    let e = requests
        .submit_csr(&der, &CsrPolicy::new(), true, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Crypto, "{e}");
    assert!(e.to_string().contains("self-signature"), "{e}");

    // RSA 1024 is too weak.
    let weak = gen_key(d, "weak", KeyKind::Rsa(1024));
    let csr = openssl_req(d, &weak, "weak", "/CN=Weak/emailAddress=w@example.com", "");
    let e = requests
        .submit_csr(&csr, &CsrPolicy::new(), true, &SystemClock)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Weak, "{e}");

    // A DNS name, a second address, a domain not allowed: not permitted.
    for (subject, san, policy) in [
        (
            "/CN=Web",
            "email:web@example.com,DNS:www.example.com",
            CsrPolicy::new(),
        ),
        (
            "/CN=Two/emailAddress=one@example.com",
            "email:two@example.com",
            CsrPolicy::new(),
        ),
        (
            "/CN=Other/emailAddress=x@other.example",
            "",
            CsrPolicy::new().allowed_domain("example.com"),
        ),
    ] {
        let csr = openssl_req(d, &ec, "forbidden", subject, san);
        let e = requests
            .submit_csr(&csr, &policy, true, &SystemClock)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotPermitted, "{subject} {san}: {e}");
    }
    assert_eq!(
        store
            .read_transaction(|tx| tx.count_certificates())
            .unwrap(),
        before
    );
    assert!(requests.list(None).unwrap().is_empty());
}
