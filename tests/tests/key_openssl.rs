//! `key` against the real `openssl` command (OpenSSL 3): keys OpenSSL makes are read, keys we
//! write are read by OpenSSL, signatures we make verify there, and key-transport blobs OpenSSL
//! encrypts decrypt here.

use std::path::{Path, PathBuf};
use std::process::Command;

use hermes_pki::ErrorKind;
use hermes_pki::cert::{Certificate, KeyAlgorithm};
use hermes_pki::key::{
    Decryptor, HashAlg, KeySpec, KeyTransport, PbeKdf, PrivateKey, SignatureScheme, Signer,
};

/// Runs `openssl args` in `dir`; panics with its stderr on failure. Returns stdout.
fn ossl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command runs");
    assert!(
        out.status.success(),
        "openssl {} failed:\n{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs `openssl args`; returns whether it succeeded.
fn ossl_ok(dir: &Path, args: &[&str]) -> bool {
    Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the openssl command runs")
        .status
        .success()
}

fn read(dir: &Path, name: &str) -> Vec<u8> {
    std::fs::read(dir.join(name)).unwrap()
}

fn read_text(dir: &Path, name: &str) -> String {
    String::from_utf8(read(dir, name)).unwrap()
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, data).unwrap();
    p
}

/// `openssl genpkey` arguments for each supported kind.
const KINDS: &[(&str, &[&str])] = &[
    (
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    ),
    (
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    ),
    (
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    ),
    ("ed25519", &["-algorithm", "ED25519"]),
];

fn genpkey(dir: &Path, name: &str, alg: &[&str]) -> String {
    let file = format!("{name}.pem");
    let mut args = vec!["genpkey"];
    args.extend_from_slice(alg);
    args.extend_from_slice(&["-out", &file]);
    ossl(dir, &args);
    file
}

/// What OpenSSL says the public key is (SPKI DER).
fn openssl_spki(dir: &Path, key_file: &str, pass: Option<&str>) -> Vec<u8> {
    let mut args = vec!["pkey", "-in", key_file, "-pubout", "-outform", "DER"];
    let passin;
    if let Some(p) = pass {
        passin = format!("pass:{p}");
        args.extend_from_slice(&["-passin", &passin]);
    }
    ossl(dir, &args)
}

#[test]
fn genpkey_keys_import_and_public_keys_agree() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (name, alg) in KINDS {
        let file = genpkey(d, name, alg);
        let pem = read_text(d, &file);
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{name}");
        let key = PrivateKey::from_pem(&pem, None).unwrap();
        let spki = openssl_spki(d, &file, None);
        assert_eq!(
            key.public_key_der(),
            spki,
            "{name}: SPKI as OpenSSL prints it"
        );
        let expected = match *name {
            "rsa" => KeyAlgorithm::Rsa { bits: 2048 },
            "p256" => KeyAlgorithm::EcP256,
            "p384" => KeyAlgorithm::EcP384,
            _ => KeyAlgorithm::Ed25519,
        };
        assert_eq!(key.algorithm(), expected);

        // The same key as PKCS#8 DER, auto-detected.
        let der = ossl(d, &["pkey", "-in", &file, "-outform", "DER"]);
        let from_der = PrivateKey::from_bytes(&der, None).unwrap();
        assert_eq!(from_der.key_id(), key.key_id());
        // OpenSSL's PKCS#8 DER; our re-encoding is byte-identical to it (RSA, Ed25519).
        let p8 = ossl(
            d,
            &[
                "pkcs8", "-topk8", "-nocrypt", "-in", &file, "-outform", "DER",
            ],
        );
        assert_eq!(
            PrivateKey::from_bytes(&p8, None).unwrap().key_id(),
            key.key_id()
        );
        if *name == "rsa" || *name == "ed25519" {
            assert_eq!(*key.to_pkcs8_der().unwrap(), p8, "{name}");
        }
    }
}

#[test]
fn traditional_pkcs1_and_sec1_keys_import() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();

    // genrsa -traditional: RSA PRIVATE KEY.
    ossl(d, &["genrsa", "-traditional", "-out", "rsa1.pem", "2048"]);
    let pem = read_text(d, "rsa1.pem");
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    assert_eq!(key.public_key_der(), openssl_spki(d, "rsa1.pem", None));
    // rsa -traditional, PEM and DER.
    let file = genpkey(d, "rsa8", KINDS[0].1);
    ossl(
        d,
        &["rsa", "-in", &file, "-traditional", "-out", "rsa-trad.pem"],
    );
    let trad = read_text(d, "rsa-trad.pem");
    assert!(trad.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let key = PrivateKey::from_pem(&trad, None).unwrap();
    assert_eq!(key.public_key_der(), openssl_spki(d, &file, None));
    let der = ossl(d, &["rsa", "-in", &file, "-traditional", "-outform", "DER"]);
    assert_eq!(
        PrivateKey::from_bytes(&der, None).unwrap().key_id(),
        key.key_id()
    );

    // openssl ec: EC PRIVATE KEY (SEC1), PEM and DER, both curves.
    for (name, alg) in &KINDS[1..3] {
        let file = genpkey(d, name, alg);
        let sec1 = format!("{name}-sec1.pem");
        ossl(d, &["ec", "-in", &file, "-out", &sec1]);
        let pem = read_text(d, &sec1);
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"), "{pem}");
        let key = PrivateKey::from_pem(&pem, None).unwrap();
        assert_eq!(key.public_key_der(), openssl_spki(d, &file, None));
        let der = ossl(d, &["ec", "-in", &file, "-outform", "DER"]);
        assert_eq!(
            PrivateKey::from_bytes(&der, None).unwrap().key_id(),
            key.key_id()
        );
    }
    // ecparam -genkey writes EC PARAMETERS before the key.
    ossl(
        d,
        &[
            "ecparam",
            "-genkey",
            "-name",
            "prime256v1",
            "-out",
            "ecparam.pem",
        ],
    );
    let pem = read_text(d, "ecparam.pem");
    assert!(pem.contains("EC PARAMETERS"));
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    assert_eq!(key.public_key_der(), openssl_spki(d, "ecparam.pem", None));
}

#[test]
fn openssl_encrypted_pkcs8_imports() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let variants: &[(&str, &[&str])] = &[
        ("aes256-pbkdf2-sha256", &["-v2", "aes-256-cbc"]),
        (
            "aes128-pbkdf2-sha1",
            &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA1"],
        ),
        (
            "aes192-pbkdf2-sha512",
            &["-v2", "aes-192-cbc", "-v2prf", "hmacWithSHA512"],
        ),
        ("scrypt", &["-scrypt"]),
        ("des3", &["-v2", "des3"]),
    ];
    for (name, alg) in &KINDS[..2] {
        let file = genpkey(d, name, alg);
        let spki = openssl_spki(d, &file, None);
        for (variant, opts) in variants {
            let out = format!("{name}-{variant}.pem");
            let mut args = vec!["pkcs8", "-topk8", "-in", &file, "-passout", "pass:hunter2"];
            args.extend_from_slice(opts);
            args.extend_from_slice(&["-out", &out]);
            ossl(d, &args);
            let pem = read_text(d, &out);
            assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
            let key = PrivateKey::from_pem(&pem, Some(b"hunter2")).unwrap();
            assert_eq!(key.public_key_der(), spki, "{name} {variant}");
            assert_eq!(
                PrivateKey::from_pem(&pem, Some(b"hunter3"))
                    .unwrap_err()
                    .kind(),
                ErrorKind::BadPassword,
                "{name} {variant}"
            );
            let e = PrivateKey::from_pem(&pem, None).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(e.to_string().contains("password is required"), "{e}");

            // DER, auto-detected.
            let der = ossl(
                d,
                &[
                    "pkcs8",
                    "-topk8",
                    "-in",
                    &file,
                    "-passout",
                    "pass:hunter2",
                    "-outform",
                    "DER",
                    "-v2",
                    "aes-256-cbc",
                ],
            );
            let key = PrivateKey::from_bytes(&der, Some(b"hunter2")).unwrap();
            assert_eq!(key.public_key_der(), spki);
        }
        // PBES1 (PKCS#12 PBE with 3DES) is refused as unsupported, not misread.
        let out = format!("{name}-pbes1.pem");
        ossl(
            d,
            &[
                "pkcs8",
                "-topk8",
                "-in",
                &file,
                "-passout",
                "pass:hunter2",
                "-v1",
                "PBE-SHA1-3DES",
                "-out",
                &out,
            ],
        );
        let e = PrivateKey::from_pem(&read_text(d, &out), Some(b"hunter2")).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");
    }
}

#[test]
fn unsupported_algorithms_are_refused_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let p521 = genpkey(
        d,
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    let x25519 = genpkey(d, "x25519", &["-algorithm", "X25519"]);
    let ed448 = genpkey(d, "ed448", &["-algorithm", "ED448"]);
    ossl(
        d,
        &[
            "genpkey",
            "-genparam",
            "-algorithm",
            "DSA",
            "-pkeyopt",
            "dsa_paramgen_bits:1024",
            "-out",
            "dsaparam.pem",
        ],
    );
    let dsa = "dsa.pem";
    ossl(d, &["genpkey", "-paramfile", "dsaparam.pem", "-out", dsa]);
    for file in [p521.as_str(), x25519.as_str(), ed448.as_str(), dsa] {
        let e = PrivateKey::from_pem(&read_text(d, file), None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{file}: {e}");
        let der = ossl(d, &["pkey", "-in", file, "-outform", "DER"]);
        let e = PrivateKey::from_bytes(&der, None).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported, "{file}: {e}");
    }
    // SEC1 P-521.
    ossl(d, &["ec", "-in", &p521, "-out", "p521-sec1.pem"]);
    let e = PrivateKey::from_pem(&read_text(d, "p521-sec1.pem"), None).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Unsupported, "{e}");

    // A certificate is not a key.
    ossl(
        d,
        &[
            "req", "-x509", "-key", &p521, "-subj", "/CN=x", "-days", "1", "-out", "c.pem",
        ],
    );
    match PrivateKey::from_pem(&read_text(d, "c.pem"), None) {
        Err(hermes_pki::Error::UnexpectedPemLabel { label, .. }) => {
            assert_eq!(label, "CERTIFICATE")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn keys_we_write_are_read_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for (i, spec) in [
        KeySpec::Rsa(2048),
        KeySpec::EcP256,
        KeySpec::EcP384,
        KeySpec::Ed25519,
    ]
    .into_iter()
    .enumerate()
    {
        let key = PrivateKey::generate(spec).unwrap();
        let plain = format!("plain{i}.pem");
        write(d, &plain, key.to_pkcs8_pem().unwrap().as_bytes());
        assert_eq!(
            openssl_spki(d, &plain, None),
            key.public_key_der(),
            "{spec:?}"
        );
        let plain_der = format!("plain{i}.der");
        write(d, &plain_der, &key.to_pkcs8_der().unwrap());
        let spki = ossl(
            d,
            &[
                "pkey", "-in", &plain_der, "-inform", "DER", "-pubout", "-outform", "DER",
            ],
        );
        assert_eq!(spki, key.public_key_der());

        for kdf in [PbeKdf::Scrypt, PbeKdf::Pbkdf2Sha256] {
            let enc = format!("enc{i}-{kdf:?}.pem");
            write(
                d,
                &enc,
                key.to_encrypted_pkcs8_pem(b"pa55 word", kdf)
                    .unwrap()
                    .as_bytes(),
            );
            assert_eq!(
                openssl_spki(d, &enc, Some("pa55 word")),
                key.public_key_der(),
                "{spec:?} {kdf:?}"
            );
            assert!(
                !ossl_ok(d, &["pkey", "-in", &enc, "-passin", "pass:wrong", "-noout"]),
                "OpenSSL must refuse a wrong password"
            );
        }
    }
}

fn verify_with_openssl(d: &Path, key: &PrivateKey, scheme: SignatureScheme, tag: &str) {
    let msg = b"The quick brown fox jumps over the lazy dog\n".repeat(10);
    let sig = key.sign(scheme, &msg).unwrap();
    let pub_der = format!("pub-{tag}.der");
    write(d, &pub_der, &key.public_key_der());
    let pub_pem = format!("pub-{tag}.pem");
    ossl(
        d,
        &[
            "pkey", "-pubin", "-inform", "DER", "-in", &pub_der, "-out", &pub_pem,
        ],
    );
    let msg_file = format!("msg-{tag}");
    write(d, &msg_file, &msg);
    let sig_file = format!("sig-{tag}");
    write(d, &sig_file, &sig);
    let digest = |h: HashAlg| match h {
        HashAlg::Sha256 => "-sha256",
        HashAlg::Sha384 => "-sha384",
        HashAlg::Sha512 => "-sha512",
        _ => unreachable!(),
    };
    let out = match scheme {
        SignatureScheme::RsaPkcs1v15(h) | SignatureScheme::Ecdsa(h) => ossl(
            d,
            &[
                "dgst",
                digest(h),
                "-verify",
                &pub_pem,
                "-signature",
                &sig_file,
                &msg_file,
            ],
        ),
        SignatureScheme::RsaPss(h) => ossl(
            d,
            &[
                "dgst",
                digest(h),
                "-sigopt",
                "rsa_padding_mode:pss",
                "-sigopt",
                "rsa_pss_saltlen:digest",
                "-verify",
                &pub_pem,
                "-signature",
                &sig_file,
                &msg_file,
            ],
        ),
        SignatureScheme::Ed25519 => ossl(
            d,
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", &pub_pem, "-rawin", "-in", &msg_file,
                "-sigfile", &sig_file,
            ],
        ),
        _ => unreachable!(),
    };
    assert!(
        String::from_utf8_lossy(&out).contains("Verified OK")
            || String::from_utf8_lossy(&out).contains("Signature Verified Successfully"),
        "{tag}: {}",
        String::from_utf8_lossy(&out)
    );
    // A changed message fails there too.
    let mut other = msg.clone();
    other[0] ^= 1;
    write(d, &msg_file, &other);
    let refused = match scheme {
        SignatureScheme::Ed25519 => !ossl_ok(
            d,
            &[
                "pkeyutl", "-verify", "-pubin", "-inkey", &pub_pem, "-rawin", "-in", &msg_file,
                "-sigfile", &sig_file,
            ],
        ),
        SignatureScheme::RsaPss(h) => !ossl_ok(
            d,
            &[
                "dgst",
                digest(h),
                "-sigopt",
                "rsa_padding_mode:pss",
                "-verify",
                &pub_pem,
                "-signature",
                &sig_file,
                &msg_file,
            ],
        ),
        SignatureScheme::RsaPkcs1v15(h) | SignatureScheme::Ecdsa(h) => !ossl_ok(
            d,
            &[
                "dgst",
                digest(h),
                "-verify",
                &pub_pem,
                "-signature",
                &sig_file,
                &msg_file,
            ],
        ),
        _ => unreachable!(),
    };
    assert!(
        refused,
        "{tag}: OpenSSL accepted a signature over other data"
    );
}

#[test]
fn our_signatures_verify_with_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rsa = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
    let p256 = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let p384 = PrivateKey::generate(KeySpec::EcP384).unwrap();
    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    for h in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
        verify_with_openssl(
            d,
            &rsa,
            SignatureScheme::RsaPkcs1v15(h),
            &format!("v15{h:?}"),
        );
        verify_with_openssl(d, &rsa, SignatureScheme::RsaPss(h), &format!("pss{h:?}"));
        verify_with_openssl(d, &p256, SignatureScheme::Ecdsa(h), &format!("p256{h:?}"));
        verify_with_openssl(d, &p384, SignatureScheme::Ecdsa(h), &format!("p384{h:?}"));
    }
    verify_with_openssl(d, &ed, SignatureScheme::Ed25519, "ed25519");
}

#[test]
fn openssl_key_transport_decrypts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let file = genpkey(d, "rsa", KINDS[0].1);
    let key = PrivateKey::from_pem(&read_text(d, &file), None).unwrap();
    ossl(d, &["pkey", "-in", &file, "-pubout", "-out", "pub.pem"]);
    let cek: Vec<u8> = (0u8..32)
        .map(|i| i.wrapping_mul(37).wrapping_add(11))
        .collect();
    write(d, "cek", &cek);

    // PKCS#1 v1.5 (pkeyutl's default padding).
    ossl(
        d,
        &[
            "pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "cek", "-out", "ct1",
        ],
    );
    let ct = read(d, "ct1");
    let out = key
        .decrypt_key_transport(KeyTransport::Pkcs1v15, &ct, 32)
        .unwrap();
    assert_eq!(&out[..], &cek[..]);
    // Asking for another length gives a synthetic key (implicit rejection), never an error.
    let other = key
        .decrypt_key_transport(KeyTransport::Pkcs1v15, &ct, 16)
        .unwrap();
    assert_eq!(other.len(), 16);
    assert_ne!(&other[..], &cek[..16]);

    // OAEP with SHA-256 and MGF1-SHA-256.
    ossl(
        d,
        &[
            "pkeyutl",
            "-encrypt",
            "-pubin",
            "-inkey",
            "pub.pem",
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha256",
            "-pkeyopt",
            "rsa_mgf1_md:sha256",
            "-in",
            "cek",
            "-out",
            "ct2",
        ],
    );
    let ct = read(d, "ct2");
    let out = key
        .decrypt_key_transport(KeyTransport::OaepSha256, &ct, 32)
        .unwrap();
    assert_eq!(&out[..], &cek[..]);
    // OAEP ciphertext under PKCS#1 v1.5: no error, no key.
    let wrong = key
        .decrypt_key_transport(KeyTransport::Pkcs1v15, &ct, 32)
        .unwrap();
    assert_ne!(&wrong[..], &cek[..]);
}

#[test]
fn matches_certificates_made_by_openssl() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut certs = Vec::new();
    let mut keys = Vec::new();
    for (name, alg) in KINDS {
        let file = genpkey(d, name, alg);
        let cert = format!("{name}.crt");
        ossl(
            d,
            &[
                "req",
                "-x509",
                "-key",
                &file,
                "-subj",
                &format!("/CN={name}"),
                "-days",
                "1",
                "-out",
                &cert,
            ],
        );
        certs.push(Certificate::from_pem(&read_text(d, &cert)).unwrap());
        keys.push(PrivateKey::from_pem(&read_text(d, &file), None).unwrap());
    }
    // A second P-256 key with a certificate of its own.
    let other = genpkey(d, "other", KINDS[1].1);
    ossl(
        d,
        &[
            "req",
            "-x509",
            "-key",
            &other,
            "-subj",
            "/CN=other",
            "-days",
            "1",
            "-out",
            "other.crt",
        ],
    );
    let other_cert = Certificate::from_pem(&read_text(d, "other.crt")).unwrap();
    for (i, key) in keys.iter().enumerate() {
        for (j, cert) in certs.iter().enumerate() {
            assert_eq!(key.matches(cert), i == j, "key {i} cert {j}");
        }
        assert!(!key.matches(&other_cert));
        assert_eq!(
            key.ensure_matches(&other_cert).unwrap_err().kind(),
            ErrorKind::KeyMismatch
        );
    }

    // A certificate with a compressed EC point still matches its key.
    ossl(
        d,
        &[
            "ec",
            "-in",
            "p256.pem",
            "-conv_form",
            "compressed",
            "-out",
            "p256c.pem",
        ],
    );
    ossl(
        d,
        &[
            "req",
            "-x509",
            "-key",
            "p256c.pem",
            "-subj",
            "/CN=compressed",
            "-days",
            "1",
            "-out",
            "p256c.crt",
        ],
    );
    let compressed = Certificate::from_pem(&read_text(d, "p256c.crt")).unwrap();
    assert_eq!(
        compressed.public_key_der().len(),
        59,
        "compressed point in the SPKI"
    );
    assert!(keys[1].matches(&compressed));
    assert!(!keys[2].matches(&compressed));
}

#[test]
fn decryptor_and_signer_are_object_safe() {
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let signer: &dyn Signer = &key;
    let decryptor: &dyn Decryptor = &key;
    assert_eq!(signer.public_key_der(), decryptor.public_key_der());
    assert_eq!(signer.algorithm(), KeyAlgorithm::EcP256);
}
