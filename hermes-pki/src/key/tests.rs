//! Unit tests of the key module.

use std::sync::OnceLock;

use der::asn1::{BitString, ObjectIdentifier as Oid, OctetStringRef};
use der::{Decode, Encode};
use pkcs5::pbes2;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, Pkcs1v15Encrypt, Pkcs1v15Sign, Pss, RsaPublicKey};
use sha2::{Digest, Sha256, Sha384, Sha512};
use signature::hazmat::PrehashVerifier;
use zeroize::Zeroizing;

use super::generate::os_rng;
use super::*;
use crate::error::ErrorKind;

fn rsa_key() -> &'static PrivateKey {
    static KEY: OnceLock<PrivateKey> = OnceLock::new();
    KEY.get_or_init(|| PrivateKey::generate(KeySpec::Rsa(2048)).unwrap())
}

fn rsa_public(key: &PrivateKey) -> RsaPublicKey {
    RsaPublicKey::from_public_key_der(&key.public_key_der()).unwrap()
}

fn kind<T: std::fmt::Debug>(r: Result<T>) -> ErrorKind {
    r.unwrap_err().kind()
}

fn all_keys() -> Vec<PrivateKey> {
    vec![
        PrivateKey::from_pkcs8_der(&rsa_key().to_pkcs8_der().unwrap()).unwrap(),
        PrivateKey::generate(KeySpec::EcP256).unwrap(),
        PrivateKey::generate(KeySpec::EcP384).unwrap(),
        PrivateKey::generate(KeySpec::Ed25519).unwrap(),
    ]
}

// ---- generation -----------------------------------------------------------------------------

#[test]
fn generates_every_spec() {
    for (spec, alg) in [
        (KeySpec::Rsa(2048), KeyAlgorithm::Rsa { bits: 2048 }),
        (KeySpec::Rsa(3072), KeyAlgorithm::Rsa { bits: 3072 }),
        (KeySpec::Rsa(4096), KeyAlgorithm::Rsa { bits: 4096 }),
        (KeySpec::EcP256, KeyAlgorithm::EcP256),
        (KeySpec::EcP384, KeyAlgorithm::EcP384),
        (KeySpec::Ed25519, KeyAlgorithm::Ed25519),
    ] {
        let key = PrivateKey::generate(spec).unwrap();
        assert_eq!(key.algorithm(), alg, "{spec:?}");
        assert_eq!(Signer::algorithm(&key), alg);
        assert_eq!(Decryptor::algorithm(&key), alg);
        spki::SubjectPublicKeyInfoRef::from_der(&key.public_key_der()).unwrap();
        assert_eq!(
            key.key_id(),
            KeyId::of_public_key_der(&key.public_key_der())
        );
    }
    // Two generations give two keys.
    let a = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let b = PrivateKey::generate(KeySpec::EcP256).unwrap();
    assert_ne!(a.key_id(), b.key_id());
}

#[test]
fn refuses_weak_and_odd_rsa_sizes() {
    assert_eq!(
        kind(PrivateKey::generate(KeySpec::Rsa(1024))),
        ErrorKind::Weak
    );
    assert_eq!(
        kind(PrivateKey::generate(KeySpec::Rsa(512))),
        ErrorKind::Weak
    );
    assert_eq!(
        kind(PrivateKey::generate(KeySpec::Rsa(2000))),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(PrivateKey::generate(KeySpec::Rsa(8192))),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn debug_shows_no_key_material() {
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let Inner::P256(sk) = key.inner() else {
        panic!()
    };
    let secret_hex = hex::encode(sk.to_bytes());
    let secret_hex_upper = secret_hex.to_uppercase();
    let debug = format!("{key:?}");
    assert!(debug.contains("PrivateKey"));
    assert!(!debug.contains(&secret_hex) && !debug.contains(&secret_hex_upper));
    let debug = format!("{:?}", rsa_key());
    assert!(debug.len() < 200, "{debug}");
}

// ---- encodings ------------------------------------------------------------------------------

#[test]
fn pkcs8_der_and_pem_round_trips() {
    for key in all_keys() {
        let der = key.to_pkcs8_der().unwrap();
        let again = PrivateKey::from_pkcs8_der(&der).unwrap();
        assert_eq!(again.public_key_der(), key.public_key_der());
        assert_eq!(
            *again.to_pkcs8_der().unwrap(),
            *der,
            "deterministic encoding"
        );

        let pem = key.to_pkcs8_pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let from_pem = PrivateKey::from_pem(&pem, None).unwrap();
        assert_eq!(from_pem.key_id(), key.key_id());

        // Auto-detection, DER and PEM, with leading whitespace for PEM.
        assert_eq!(
            PrivateKey::from_bytes(&der, None).unwrap().key_id(),
            key.key_id()
        );
        let padded = format!("\n  {}", &*pem);
        assert_eq!(
            PrivateKey::from_bytes(padded.as_bytes(), None)
                .unwrap()
                .key_id(),
            key.key_id()
        );
    }
}

#[test]
fn reads_pkcs1_rsa_der_and_pem() {
    use rsa::pkcs1::EncodeRsaPrivateKey;
    let Inner::Rsa(k) = rsa_key().inner() else {
        panic!()
    };
    let pkcs1 = k.key.to_pkcs1_der().unwrap();
    let key = PrivateKey::from_bytes(pkcs1.as_bytes(), None).unwrap();
    assert_eq!(key.key_id(), rsa_key().key_id());
    let pem = k.key.to_pkcs1_pem(der::pem::LineEnding::LF).unwrap();
    assert!(pem.starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    let key = PrivateKey::from_pem(&pem, None).unwrap();
    assert_eq!(key.key_id(), rsa_key().key_id());
}

#[test]
fn reads_sec1_ec_keys() {
    for key in [
        PrivateKey::generate(KeySpec::EcP256).unwrap(),
        PrivateKey::generate(KeySpec::EcP384).unwrap(),
    ] {
        let pem = match key.inner() {
            Inner::P256(sk) => sk.to_sec1_pem(der::pem::LineEnding::LF).unwrap(),
            Inner::P384(sk) => sk.to_sec1_pem(der::pem::LineEnding::LF).unwrap(),
            _ => unreachable!(),
        };
        assert!(pem.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        assert_eq!(
            PrivateKey::from_pem(&pem, None).unwrap().key_id(),
            key.key_id()
        );
        // With an EC PARAMETERS block in front, as `openssl ecparam -genkey` writes.
        let with_params = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            &*pem
        );
        assert_eq!(
            PrivateKey::from_pem(&with_params, None).unwrap().key_id(),
            key.key_id()
        );
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).unwrap();
        assert_eq!(
            PrivateKey::from_bytes(&der, None).unwrap().key_id(),
            key.key_id()
        );
    }
}

#[test]
fn the_pem_scanner_reads_at_most_max_pem_blocks() {
    let block = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    let many = block.repeat(MAX_PEM_BLOCKS + 1);
    match PrivateKey::from_pem(&many, None) {
        Err(Error::LimitExceeded(m)) => assert!(m.contains("more than 64 PEM blocks"), "{m}"),
        other => panic!("{other:?}"),
    }
    // At the limit: scanned, and the answer is about the labels.
    let at_limit = block.repeat(MAX_PEM_BLOCKS);
    assert!(matches!(
        PrivateKey::from_pem(&at_limit, None),
        Err(Error::UnexpectedPemLabel { .. })
    ));
    // A key after junk that looks like the start of blocks is still found.
    let key_pem = rsa_key().to_pkcs8_pem().unwrap();
    let junk = format!(
        "-----BEGIN \n-----BEGIN {}\n{}",
        "x".repeat(100),
        key_pem.as_str()
    );
    assert!(PrivateKey::from_pem(&junk, None).is_ok());
}

#[test]
fn refuses_wrong_labels_malformed_and_unsupported_input() {
    let cert_pem = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
    match PrivateKey::from_pem(cert_pem, None) {
        Err(Error::UnexpectedPemLabel { label, .. }) => assert_eq!(label, "CERTIFICATE"),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        kind(PrivateKey::from_bytes(cert_pem.as_bytes(), None)),
        ErrorKind::Parse
    );
    assert_eq!(kind(PrivateKey::from_pem("", None)), ErrorKind::Parse);
    assert_eq!(kind(PrivateKey::from_bytes(b"", None)), ErrorKind::Parse);

    for bad in [
        &b"\x30\x03\x02\x01\x00"[..],
        b"\x30\x80",
        b"\x04\x02ab",
        b"garbage that is not a key",
        b"\x30\x82\xff\xff",
    ] {
        match PrivateKey::from_bytes(bad, None) {
            Err(Error::Malformed { what, .. }) => assert_eq!(what, "private key"),
            other => panic!("{bad:?}: {other:?}"),
        }
        match PrivateKey::from_pkcs8_der(bad) {
            Err(Error::Malformed { what, .. }) => assert_eq!(what, "private key"),
            other => panic!("{bad:?}: {other:?}"),
        }
    }
    let truncated = &rsa_key().to_pkcs8_der().unwrap()[..100];
    assert_eq!(
        kind(PrivateKey::from_pkcs8_der(truncated)),
        ErrorKind::Parse
    );

    // X25519 (RFC 8410): well-formed, not supported.
    let mut x25519 = hex::decode("302e020100300506032b656e04220420").unwrap();
    x25519.extend_from_slice(&[7u8; 32]);
    assert_eq!(
        kind(PrivateKey::from_pkcs8_der(&x25519)),
        ErrorKind::Unsupported
    );
    assert_eq!(
        kind(PrivateKey::from_bytes(&x25519, None)),
        ErrorKind::Unsupported
    );

    let dsa = "-----BEGIN DSA PRIVATE KEY-----\nMAA=\n-----END DSA PRIVATE KEY-----\n";
    assert_eq!(
        kind(PrivateKey::from_pem(dsa, None)),
        ErrorKind::Unsupported
    );

    let legacy = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\
                  DEK-Info: AES-256-CBC,00112233445566778899AABBCCDDEEFF\n\nMAA=\n\
                  -----END RSA PRIVATE KEY-----\n";
    assert_eq!(
        kind(PrivateKey::from_pem(legacy, Some(b"pw"))),
        ErrorKind::Unsupported
    );
}

// ---- password-protected PKCS#8 ---------------------------------------------------------------

#[test]
fn encrypted_pkcs8_round_trips_with_both_kdfs() {
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    for kdf in [PbeKdf::Scrypt, PbeKdf::Pbkdf2Sha256] {
        let der = key.to_encrypted_pkcs8_der(b"s3cret", kdf).unwrap();
        let again = PrivateKey::from_encrypted_pkcs8_der(&der, b"s3cret").unwrap();
        assert_eq!(again.key_id(), key.key_id());

        // The KDF asked for is the one written, with the documented parameters.
        let epki = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&der).unwrap();
        let params = epki.encryption_algorithm.pbes2().unwrap();
        assert!(matches!(
            params.encryption,
            pbes2::EncryptionScheme::Aes256Cbc { .. }
        ));
        match (kdf, &params.kdf) {
            (PbeKdf::Scrypt, pbes2::Kdf::Scrypt(s)) => {
                assert_eq!(s.cost_parameter, 1 << pbes2_mod::SCRYPT_LOG_N);
                assert_eq!((s.block_size, s.parallelization), (8, 1));
            }
            (PbeKdf::Pbkdf2Sha256, pbes2::Kdf::Pbkdf2(p)) => {
                assert_eq!(p.iteration_count, 600_000);
                assert_eq!(p.prf, pbes2::Pbkdf2Prf::HmacWithSha256);
            }
            other => panic!("{other:?}"),
        }

        assert!(matches!(
            PrivateKey::from_encrypted_pkcs8_der(&der, b"wrong"),
            Err(Error::BadPassword)
        ));

        let pem = key.to_encrypted_pkcs8_pem(b"s3cret", kdf).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        assert_eq!(
            PrivateKey::from_pem(&pem, Some(b"s3cret"))
                .unwrap()
                .key_id(),
            key.key_id()
        );
        assert_eq!(
            PrivateKey::from_bytes(&der, Some(b"s3cret"))
                .unwrap()
                .key_id(),
            key.key_id()
        );
        match PrivateKey::from_pem(&pem, None) {
            Err(Error::InvalidArgument(msg)) => assert!(msg.contains("password is required")),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            kind(PrivateKey::from_bytes(&der, None)),
            ErrorKind::InvalidArgument
        );
    }
    // Salt and IV are fresh each time.
    let a = key.to_encrypted_pkcs8_der(b"x", PbeKdf::Scrypt).unwrap();
    let b = key.to_encrypted_pkcs8_der(b"x", PbeKdf::Scrypt).unwrap();
    assert_ne!(a, b);
}

use super::pbes2 as pbes2_mod;

/// An `EncryptedPrivateKeyInfo` with `kdf` and junk ciphertext: enough to test the limit
/// checks, which must fire before any derivation.
fn epki_with(kdf: pbes2::Kdf) -> Vec<u8> {
    let params = pbes2::Parameters {
        kdf,
        encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: [1; 16] },
    };
    let junk = [0x42u8; 48];
    pkcs8::EncryptedPrivateKeyInfo {
        encryption_algorithm: pkcs5::EncryptionScheme::Pbes2(params),
        encrypted_data: OctetStringRef::new(&junk).unwrap(),
    }
    .to_der()
    .unwrap()
}

fn scrypt_kdf(n: u64, r: u16, p: u16) -> pbes2::Kdf {
    pbes2::Kdf::Scrypt(pbes2::ScryptParams {
        salt: (&[9u8; 16][..]).try_into().unwrap(),
        cost_parameter: n,
        block_size: r,
        parallelization: p,
        key_length: None,
    })
}

#[test]
fn kdf_limits_are_enforced_before_derivation() {
    // PBKDF2 above the default cap of 2,000,000.
    let der = epki_with(pbes2::Kdf::Pbkdf2(
        pbes2::Pbkdf2Params::hmac_sha256(3_000_000, &[5u8; 16]).unwrap(),
    ));
    match PrivateKey::from_encrypted_pkcs8_der(&der, b"pw") {
        Err(Error::LimitExceeded(msg)) => assert!(msg.contains("PBKDF2 iteration"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Explicit limits: a real 600,000-iteration key against a cap of 1,000.
    let key = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    let real = key
        .to_encrypted_pkcs8_der(b"pw", PbeKdf::Pbkdf2Sha256)
        .unwrap();
    let strict = KdfLimits {
        max_pbkdf2_iterations: 1_000,
        ..KdfLimits::default()
    };
    assert_eq!(
        kind(PrivateKey::from_encrypted_pkcs8_der_with_limits(
            &real, b"pw", strict
        )),
        ErrorKind::LimitExceeded
    );
    assert_eq!(
        kind(PrivateKey::from_bytes_with_limits(
            &real,
            Some(b"pw"),
            strict
        )),
        ErrorKind::LimitExceeded
    );
    let pem = key.to_encrypted_pkcs8_pem(b"pw", PbeKdf::Scrypt).unwrap();
    let no_scrypt = KdfLimits {
        max_scrypt_memory: 1 << 20,
        ..KdfLimits::default()
    };
    assert_eq!(
        kind(PrivateKey::from_pem_with_limits(
            &pem,
            Some(b"pw"),
            no_scrypt
        )),
        ErrorKind::LimitExceeded
    );

    // scrypt: N = 2^20, r = 8 is 1 GiB, above the default 256 MiB. Must error at once.
    let der = epki_with(scrypt_kdf(1 << 20, 8, 1));
    match PrivateKey::from_encrypted_pkcs8_der(&der, b"pw") {
        Err(Error::LimitExceeded(msg)) => assert!(msg.contains("scrypt memory"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Absurd N (2^62) and r: no overflow, a limit error.
    let der = epki_with(scrypt_kdf(1 << 62, u16::MAX, 1));
    assert_eq!(
        kind(PrivateKey::from_encrypted_pkcs8_der(&der, b"pw")),
        ErrorKind::LimitExceeded
    );
    // Too much parallelism.
    let der = epki_with(scrypt_kdf(1 << 10, 8, 1000));
    match PrivateKey::from_encrypted_pkcs8_der(&der, b"pw") {
        Err(Error::LimitExceeded(msg)) => assert!(msg.contains("parallelization"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // N not a power of two is malformed.
    let der = epki_with(scrypt_kdf(1000, 8, 1));
    assert_eq!(
        kind(PrivateKey::from_encrypted_pkcs8_der(&der, b"pw")),
        ErrorKind::Parse
    );
    // Within limits, the junk ciphertext is a wrong password, not a crash.
    let der = epki_with(scrypt_kdf(1 << 10, 8, 1));
    assert!(matches!(
        PrivateKey::from_encrypted_pkcs8_der(&der, b"pw"),
        Err(Error::BadPassword)
    ));
}

#[test]
fn refuses_pbes1() {
    // pbeWithSHA1AndDES-CBC (1.2.840.113549.1.5.10) with salt and iterations.
    let alg = spki::AlgorithmIdentifierOwned {
        oid: Oid::new_unwrap("1.2.840.113549.1.5.10"),
        parameters: Some(
            der::Any::from_der(
                &hex::decode("300d040801020304050607080201 01".replace(' ', "")).unwrap(),
            )
            .unwrap(),
        ),
    };
    let mut body = alg.to_der().unwrap();
    body.extend_from_slice(&OctetStringRef::new(&[0u8; 16]).unwrap().to_der().unwrap());
    let mut der = vec![0x30, body.len() as u8];
    der.extend_from_slice(&body);
    assert_eq!(
        kind(PrivateKey::from_encrypted_pkcs8_der(&der, b"pw")),
        ErrorKind::Unsupported
    );
}

// ---- signatures -----------------------------------------------------------------------------

#[test]
fn rsa_signatures_verify() {
    let key = rsa_key();
    let public = rsa_public(key);
    let msg = b"signed content";
    for hash in [HashAlg::Sha256, HashAlg::Sha384, HashAlg::Sha512] {
        let sig = key.sign(SignatureScheme::RsaPkcs1v15(hash), msg).unwrap();
        let pss = key.sign(SignatureScheme::RsaPss(hash), msg).unwrap();
        assert_eq!(sig.len(), 256);
        match hash {
            HashAlg::Sha256 => {
                let h = Sha256::digest(msg);
                public
                    .verify(Pkcs1v15Sign::new::<Sha256>(), &h, &sig)
                    .unwrap();
                public.verify(Pss::<Sha256>::new(), &h, &pss).unwrap();
            }
            HashAlg::Sha384 => {
                let h = Sha384::digest(msg);
                public
                    .verify(Pkcs1v15Sign::new::<Sha384>(), &h, &sig)
                    .unwrap();
                public.verify(Pss::<Sha384>::new(), &h, &pss).unwrap();
            }
            _ => {
                let h = Sha512::digest(msg);
                public
                    .verify(Pkcs1v15Sign::new::<Sha512>(), &h, &sig)
                    .unwrap();
                public.verify(Pss::<Sha512>::new(), &h, &pss).unwrap();
                assert!(
                    public
                        .verify(Pss::<Sha512>::new(), &Sha512::digest(b"x"), &pss)
                        .is_err()
                );
            }
        }
    }
}

#[test]
fn ecdsa_and_ed25519_signatures_verify() {
    let msg = b"signed content";
    let p256 = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let vk = p256::ecdsa::VerifyingKey::from_public_key_der(&p256.public_key_der()).unwrap();
    for (hash, digest) in [
        (HashAlg::Sha256, Sha256::digest(msg).to_vec()),
        (HashAlg::Sha384, Sha384::digest(msg).to_vec()),
        (HashAlg::Sha512, Sha512::digest(msg).to_vec()),
    ] {
        let sig = p256.sign(SignatureScheme::Ecdsa(hash), msg).unwrap();
        let sig = p256::ecdsa::DerSignature::from_bytes(&sig).unwrap();
        vk.verify_prehash(&digest, &sig).unwrap();
    }

    let p384 = PrivateKey::generate(KeySpec::EcP384).unwrap();
    let vk = p384::ecdsa::VerifyingKey::from_public_key_der(&p384.public_key_der()).unwrap();
    let sig = p384
        .sign(SignatureScheme::Ecdsa(HashAlg::Sha384), msg)
        .unwrap();
    let sig = p384::ecdsa::DerSignature::from_bytes(&sig).unwrap();
    vk.verify_prehash(&Sha384::digest(msg), &sig).unwrap();
    assert!(vk.verify_prehash(&Sha384::digest(b"other"), &sig).is_err());

    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    let vk = ed25519_dalek::VerifyingKey::from_public_key_der(&ed.public_key_der()).unwrap();
    let sig = ed.sign(SignatureScheme::Ed25519, msg).unwrap();
    let sig = ed25519_dalek::Signature::from_slice(&sig).unwrap();
    vk.verify_strict(msg, &sig).unwrap();
}

#[test]
fn refuses_sha1_and_mismatched_schemes() {
    let rsa = rsa_key();
    let ec = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    let m = b"m";
    assert_eq!(
        kind(rsa.sign(SignatureScheme::RsaPkcs1v15(HashAlg::Sha1), m)),
        ErrorKind::Weak
    );
    assert_eq!(
        kind(rsa.sign(SignatureScheme::RsaPss(HashAlg::Sha1), m)),
        ErrorKind::Weak
    );
    assert_eq!(
        kind(ec.sign(SignatureScheme::Ecdsa(HashAlg::Sha1), m)),
        ErrorKind::Weak
    );
    for (key, scheme) in [
        (rsa, SignatureScheme::Ecdsa(HashAlg::Sha256)),
        (rsa, SignatureScheme::Ed25519),
        (&ec, SignatureScheme::RsaPkcs1v15(HashAlg::Sha256)),
        (&ec, SignatureScheme::Ed25519),
        (&ed, SignatureScheme::Ecdsa(HashAlg::Sha256)),
        (&ed, SignatureScheme::RsaPss(HashAlg::Sha256)),
    ] {
        assert_eq!(
            kind(key.sign(scheme, m)),
            ErrorKind::InvalidArgument,
            "{scheme:?}"
        );
    }
}

// ---- key transport --------------------------------------------------------------------------

fn pkcs1v15(key: &PrivateKey, ct: &[u8], len: usize) -> Zeroizing<Vec<u8>> {
    key.decrypt_key_transport(KeyTransport::Pkcs1v15, ct, len)
        .unwrap()
}

/// Raw RSA on a chosen encoded message (to build ciphertexts with chosen padding).
fn raw_encrypt(public: &RsaPublicKey, em: &[u8]) -> Vec<u8> {
    let m = rsa::BoxedUint::from_be_slice(em, public.n_bits_precision()).unwrap();
    let c = rsa::hazmat::rsa_encrypt(public, &m).unwrap();
    let bytes = c.to_be_bytes();
    bytes[bytes.len() - public.size()..].to_vec()
}

#[test]
fn pkcs1v15_valid_ciphertext_decrypts() {
    let key = rsa_key();
    let public = rsa_public(key);
    let cek = [0x5au8; 32];
    let ct = public
        .encrypt(&mut os_rng().unwrap(), Pkcs1v15Encrypt, &cek)
        .unwrap();
    assert_eq!(&pkcs1v15(key, &ct, 32)[..], &cek);
    // The same through a key reloaded from PKCS#8.
    let reloaded = PrivateKey::from_pkcs8_der(&key.to_pkcs8_der().unwrap()).unwrap();
    assert_eq!(&pkcs1v15(&reloaded, &ct, 32)[..], &cek);
    // A 16-byte key too.
    let ct = public
        .encrypt(&mut os_rng().unwrap(), Pkcs1v15Encrypt, &cek[..16])
        .unwrap();
    assert_eq!(&pkcs1v15(key, &ct, 16)[..], &cek[..16]);
}

#[test]
fn pkcs1v15_bad_padding_gives_a_deterministic_synthetic_key() {
    let key = rsa_key();
    let public = rsa_public(key);
    let k = public.size();
    let cek = [0x11u8; 32];
    let good = public
        .encrypt(&mut os_rng().unwrap(), Pkcs1v15Encrypt, &cek)
        .unwrap();

    // Block type 1 instead of 2, otherwise well formed with a 32-byte message.
    let mut em = vec![0xffu8; k];
    em[0] = 0;
    em[1] = 1;
    em[k - 33] = 0;
    em[k - 32..].copy_from_slice(&cek);
    let bad1 = raw_encrypt(&public, &em);
    // No zero separator at all.
    let mut em = vec![0x77u8; k];
    em[0] = 0;
    em[1] = 2;
    let bad2 = raw_encrypt(&public, &em);
    // Separator too early (PS shorter than 8 bytes), message longer than asked.
    let mut em = vec![0x33u8; k];
    em[0] = 0;
    em[1] = 2;
    em[5] = 0;
    let bad3 = raw_encrypt(&public, &em);

    let mut outputs = Vec::new();
    for ct in [&bad1, &bad2, &bad3] {
        let a = pkcs1v15(key, ct, 32);
        let b = pkcs1v15(key, ct, 32);
        assert_eq!(a.len(), 32);
        assert_eq!(a, b, "deterministic for one ciphertext");
        assert_ne!(&a[..], &cek[..]);
        outputs.push(a);
    }
    assert_ne!(outputs[0], outputs[1]);
    assert_ne!(outputs[1], outputs[2]);
    // Other lengths are honoured, and differ from a prefix of the 32-byte answer.
    let short = pkcs1v15(key, &bad1, 16);
    assert_eq!(short.len(), 16);

    // A changed byte anywhere yields a synthetic key, not an error.
    let mut flipped = good.clone();
    flipped[100] ^= 1;
    let s = pkcs1v15(key, &flipped, 32);
    assert_ne!(&s[..], &cek[..]);
    assert_eq!(s, pkcs1v15(key, &flipped, 32));

    // Out-of-range ciphertexts (>= n, too long) too.
    let all_ff = vec![0xffu8; k];
    assert_eq!(pkcs1v15(key, &all_ff, 32).len(), 32);
    let mut long = good.clone();
    long.push(0);
    assert_eq!(pkcs1v15(key, &long, 32).len(), 32);

    // Another key gives another synthetic key for the same ciphertext.
    let other = PrivateKey::generate(KeySpec::Rsa(2048)).unwrap();
    assert_ne!(pkcs1v15(&other, &bad2, 32), outputs[1]);
}

#[test]
fn pkcs1v15_a_ciphertext_without_its_leading_zero_byte_decrypts_and_rejects_alike() {
    let key = rsa_key();
    let public = rsa_public(key);
    let k = public.size();
    let cek = [0x44u8; 32];
    let mut rng = os_rng().unwrap();
    // Valid padding: a ciphertext whose first byte is zero (about 1 in 200 are).
    let valid = (0..100_000)
        .map(|_| public.encrypt(&mut rng, Pkcs1v15Encrypt, &cek).unwrap())
        .find(|c| c.len() == k && c[0] == 0)
        .expect("a ciphertext with a leading zero byte");
    assert_eq!(&pkcs1v15(key, &valid, 32)[..], &cek);
    assert_eq!(&pkcs1v15(key, &valid[1..], 32)[..], &cek);
    // Invalid padding (no separator): the same synthetic key with or without the zero byte.
    let mut seed = 1u32;
    let invalid = (0..100_000)
        .map(|_| {
            let mut em: Vec<u8> = (0..k)
                .map(|_| {
                    seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    (seed >> 24) as u8 | 1
                })
                .collect();
            em[0] = 0;
            em[1] = 2;
            raw_encrypt(&public, &em)
        })
        .find(|c| c[0] == 0)
        .expect("a ciphertext with a leading zero byte");
    let full = pkcs1v15(key, &invalid, 32);
    assert_ne!(&full[..], &cek[..]);
    assert_eq!(full, pkcs1v15(key, &invalid[1..], 32));
}

#[test]
fn pkcs1v15_valid_padding_of_the_wrong_length_is_rejected_implicitly() {
    let key = rsa_key();
    let public = rsa_public(key);
    let cek = [0x22u8; 16];
    let ct = public
        .encrypt(&mut os_rng().unwrap(), Pkcs1v15Encrypt, &cek)
        .unwrap();
    let out = pkcs1v15(key, &ct, 32);
    assert_eq!(out.len(), 32);
    assert_ne!(&out[16..], &cek[..]);
    assert_eq!(out, pkcs1v15(key, &ct, 32));
    // Public argument errors are errors.
    assert_eq!(
        kind(key.decrypt_key_transport(KeyTransport::Pkcs1v15, &ct, 0)),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        kind(key.decrypt_key_transport(KeyTransport::Pkcs1v15, &ct, 250)),
        ErrorKind::InvalidArgument
    );
}

#[test]
fn oaep_round_trip_and_failures() {
    let key = rsa_key();
    let public = rsa_public(key);
    let cek = [0x33u8; 32];
    let ct = public
        .encrypt(&mut os_rng().unwrap(), Oaep::<Sha256>::new(), &cek)
        .unwrap();
    let out = key
        .decrypt_key_transport(KeyTransport::OaepSha256, &ct, 32)
        .unwrap();
    assert_eq!(&out[..], &cek);

    let mut tampered = ct.clone();
    tampered[7] ^= 0x80;
    match key.decrypt_key_transport(KeyTransport::OaepSha256, &tampered, 32) {
        Err(Error::Crypto(msg)) => assert_eq!(msg, "decryption failed"),
        other => panic!("{other:?}"),
    }
    match key.decrypt_key_transport(KeyTransport::OaepSha256, &ct, 16) {
        Err(Error::Crypto(msg)) => assert_eq!(msg, "decryption failed"),
        other => panic!("{other:?}"),
    }
    // SHA-1 OAEP is not what was asked: fails the same way.
    let sha1_ct = public
        .encrypt(&mut os_rng().unwrap(), Oaep::<sha1::Sha1>::new(), &cek)
        .unwrap();
    assert_eq!(
        kind(key.decrypt_key_transport(KeyTransport::OaepSha256, &sha1_ct, 32)),
        ErrorKind::Crypto
    );
}

#[test]
fn non_rsa_keys_refuse_key_transport() {
    let ec = PrivateKey::generate(KeySpec::EcP256).unwrap();
    assert_eq!(
        kind(ec.decrypt_key_transport(KeyTransport::Pkcs1v15, &[0u8; 256], 32)),
        ErrorKind::Unsupported
    );
}

// ---- ECDH -----------------------------------------------------------------------------------

fn sec1_point(key: &PrivateKey, compressed: bool) -> Vec<u8> {
    match key.inner() {
        Inner::P256(sk) => sk.public_key().to_sec1_bytes_compressed_or(compressed),
        Inner::P384(sk) => sk.public_key().to_sec1_bytes_compressed_or(compressed),
        _ => unreachable!(),
    }
}

trait Sec1Bytes {
    fn to_sec1_bytes_compressed_or(&self, compressed: bool) -> Vec<u8>;
}
impl Sec1Bytes for p256::PublicKey {
    fn to_sec1_bytes_compressed_or(&self, compressed: bool) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        self.to_sec1_point(compressed).as_bytes().to_vec()
    }
}
impl Sec1Bytes for p384::PublicKey {
    fn to_sec1_bytes_compressed_or(&self, compressed: bool) -> Vec<u8> {
        use p384::elliptic_curve::sec1::ToSec1Point;
        self.to_sec1_point(compressed).as_bytes().to_vec()
    }
}

#[test]
fn ecdh_agrees() {
    for spec in [KeySpec::EcP256, KeySpec::EcP384] {
        let a = PrivateKey::generate(spec).unwrap();
        let b = PrivateKey::generate(spec).unwrap();
        let ab = a.ecdh(&sec1_point(&b, false)).unwrap();
        let ba = b.ecdh(&sec1_point(&a, false)).unwrap();
        assert_eq!(ab, ba);
        assert_eq!(ab.len(), if spec == KeySpec::EcP256 { 32 } else { 48 });
        assert_eq!(
            a.ecdh(&sec1_point(&b, true)).unwrap(),
            ab,
            "compressed point"
        );
        assert_eq!(kind(a.ecdh(&[4u8; 10])), ErrorKind::Parse);
    }
    let p256 = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let p384 = PrivateKey::generate(KeySpec::EcP384).unwrap();
    assert_eq!(kind(p256.ecdh(&sec1_point(&p384, false))), ErrorKind::Parse);
    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    assert_eq!(
        kind(ed.ecdh(&sec1_point(&p256, false))),
        ErrorKind::Unsupported
    );
    assert_eq!(
        kind(rsa_key().ecdh(&sec1_point(&p256, false))),
        ErrorKind::Unsupported
    );
}

// ---- matching certificates ------------------------------------------------------------------

#[test]
fn matches_own_certificate_only() {
    let alice_cert =
        crate::cert::Certificate::from_pem(include_str!("../store/testdata/alice.pem")).unwrap();
    let bob_cert =
        crate::cert::Certificate::from_pem(include_str!("../store/testdata/bob.pem")).unwrap();
    let alice = PrivateKey::from_pem(include_str!("../store/testdata/alice.key"), None).unwrap();
    assert!(alice.matches(&alice_cert));
    assert!(!alice.matches(&bob_cert));
    alice.ensure_matches(&alice_cert).unwrap();
    assert!(matches!(
        alice.ensure_matches(&bob_cert),
        Err(Error::KeyMismatch)
    ));
    assert!(!rsa_key().matches(&alice_cert));
}

#[test]
fn public_keys_compare_by_value() {
    use super::encoding::spki_matches;
    // An EC SPKI with a compressed point matches.
    let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let spki = spki::SubjectPublicKeyInfoOwned::from_der(&key.public_key_der()).unwrap();
    let compressed = spki::SubjectPublicKeyInfoOwned {
        algorithm: spki.algorithm.clone(),
        subject_public_key: BitString::from_bytes(&sec1_point(&key, true)).unwrap(),
    }
    .to_der()
    .unwrap();
    assert_ne!(compressed, key.public_key_der());
    assert!(spki_matches(key.inner(), &compressed));
    // The same point on the wrong curve OID does not.
    let other = PrivateKey::generate(KeySpec::EcP256).unwrap();
    assert!(!spki_matches(key.inner(), &other.public_key_der()));
    assert!(!spki_matches(key.inner(), b"junk"));
    // RSA: our SPKI matches; an SPKI of the same modulus with another exponent does not.
    let rsa = rsa_key();
    assert!(spki_matches(rsa.inner(), &rsa.public_key_der()));
    let public = rsa_public(rsa);
    let e3 = RsaPublicKey::new(public.n().as_ref().clone(), rsa::BoxedUint::from(3u32)).unwrap();
    use rsa::pkcs8::EncodePublicKey;
    let e3_der = e3.to_public_key_der().unwrap();
    assert!(!spki_matches(rsa.inner(), e3_der.as_bytes()));
    // Ed25519.
    let ed = PrivateKey::generate(KeySpec::Ed25519).unwrap();
    assert!(spki_matches(ed.inner(), &ed.public_key_der()));
    assert!(!spki_matches(ed.inner(), &key.public_key_der()));
}
