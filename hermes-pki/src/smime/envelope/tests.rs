//! Tests of CMS EnvelopedData / AuthEnvelopedData: round trips for every cipher and recipient
//! kind, the uniform failure of every secret-dependent step, the AuthEnvelopedData refusals,
//! legacy ciphers, limits, truncation, and the Wycheproof RSA decryption vectors.

use std::cell::Cell;
use std::sync::{Arc, OnceLock};

use cms::authenveloped_data::AuthEnvelopedData;
use cms::content_info::ContentInfo;
use cms::enveloped_data::{EnvelopedData, RecipientInfo};
use der::asn1::OctetString;
use der::{Any, Decode, Encode};
use rsa::BoxedUint;
use rsa::pkcs8::DecodePublicKey;
use rsa::traits::PublicKeyParts;
use spki::AlgorithmIdentifierOwned;

use super::content::pkcs7_check;
use super::*;
use crate::ErrorKind;
use crate::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use crate::key::KeySpec;
use crate::smime::{LegacyCipher, Weakness};
use crate::store::MemoryStore;
use crate::time::SystemClock;

// ---------------------------------------------------------------------------------------------
// Fixture: one CA, an RSA, a P-256, a P-384 and an Ed25519 recipient, plus stray keys.

struct Party {
    cert: Certificate,
    key: Arc<PrivateKey>,
}

struct Fixture {
    rsa: Party,
    p256: Party,
    p384: Party,
    ed25519: Certificate,
    other_rsa: Arc<PrivateKey>,
    other_p256: Arc<PrivateKey>,
}

/// A self-signed Ed25519 certificate (`openssl req -x509 -newkey ed25519`): the CA issues no
/// Ed25519 end-entity certificates, since they cannot decrypt.
const ED25519_CERT: &str = "-----BEGIN CERTIFICATE-----
MIIBTzCCAQGgAwIBAgIUNVkp3Mi7jBSWcx9IISmFPC+hIGowBQYDK2VwMBwxGjAY
BgNVBAMMEUVkMjU1MTkgcmVjaXBpZW50MCAXDTI2MTEyMzEyMjkxNloYDzIxMjYx
MDMwMTIyOTE2WjAcMRowGAYDVQQDDBFFZDI1NTE5IHJlY2lwaWVudDAqMAUGAytl
cAMhAPVQhUYNgEkwep3dlKNdiwQCFh22iHMpWOK8v/hFMiaNo1MwUTAdBgNVHQ4E
FgQUIEkReYTuNf/+UxMcY5RhkqWz/P0wHwYDVR0jBBgwFoAUIEkReYTuNf/+UxMc
Y5RhkqWz/P0wDwYDVR0TAQH/BAUwAwEB/zAFBgMrZXADQQASMhEPPRFx/rdxP/Gv
aRpMXUrodlElYdgNyyGPtcmQQ/mDArLmhO/ROkqNT6pLYPtUjZfyBtNwjPbq8qUK
7OIO
-----END CERTIFICATE-----";

/// The RSA-2048 key of Wycheproof's PKCS#1 v1.5 test group `n`.
fn wycheproof_rsa_key(n: usize) -> PrivateKey {
    use wycheproof::rsa_pkcs1_decrypt::{TestName, TestSet};
    let set = TestSet::load(TestName::Rsa2048).unwrap();
    PrivateKey::from_pkcs8_der(&set.test_groups[n].pkcs8).unwrap()
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let store = MemoryStore::new();
        let ca = CertificateAuthority::new(&store);
        ca.create(
            &CaSpec::new(DistinguishedName::new("Envelope Test CA")).key(KeySpec::EcP256),
            &SystemClock,
        )
        .unwrap();
        let issue = |email: &str, spec: KeySpec| {
            let (cert, key, _, _) = ca
                .issue(&IssueSpec::new(email, "Test").key(spec), &SystemClock)
                .unwrap()
                .into_parts();
            Party {
                cert,
                key: Arc::new(key),
            }
        };
        Fixture {
            // A fixed RSA key (so that implicit rejection, keyed by the private key, gives
            // the same stand-in key on every run and the tests below are deterministic).
            rsa: {
                let key = wycheproof_rsa_key(0);
                let (cert, key, _, _) = ca
                    .issue_with_key(
                        &IssueSpec::new("rsa@example.com", "Test").key(KeySpec::Rsa(2048)),
                        key,
                        &SystemClock,
                    )
                    .unwrap()
                    .into_parts();
                Party {
                    cert,
                    key: Arc::new(key),
                }
            },
            p256: issue("p256@example.com", KeySpec::EcP256),
            p384: issue("p384@example.com", KeySpec::EcP384),
            ed25519: Certificate::from_pem(ED25519_CERT).unwrap(),
            other_rsa: Arc::new(wycheproof_rsa_key(1)),
            other_p256: Arc::new(PrivateKey::generate(KeySpec::EcP256).unwrap()),
        }
    })
}

fn keys_of(party: &Party) -> KeyList {
    KeyList::new()
        .with(party.cert.clone(), Arc::clone(&party.key))
        .unwrap()
}

/// Answers every recipient with one key, whether it belongs or not (a wrong key), and counts
/// the look-ups and private-key operations.
struct Fixed {
    key: Arc<PrivateKey>,
    lookups: Cell<usize>,
    operations: Arc<std::sync::atomic::AtomicUsize>,
}

impl Fixed {
    fn new(key: &Arc<PrivateKey>) -> Self {
        Fixed {
            key: Arc::clone(key),
            lookups: Cell::new(0),
            operations: Arc::default(),
        }
    }
    fn operations(&self) -> usize {
        self.operations.load(std::sync::atomic::Ordering::SeqCst)
    }
}

struct Counting {
    key: Arc<PrivateKey>,
    operations: Arc<std::sync::atomic::AtomicUsize>,
}

impl Decryptor for Counting {
    fn algorithm(&self) -> KeyAlgorithm {
        self.key.algorithm()
    }
    fn public_key_der(&self) -> Vec<u8> {
        self.key.public_key_der()
    }
    fn decrypt_key_transport(
        &self,
        scheme: KeyTransport,
        encrypted_key: &[u8],
        expected_len: usize,
    ) -> Result<Zeroizing<Vec<u8>>> {
        self.operations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.key
            .decrypt_key_transport(scheme, encrypted_key, expected_len)
    }
    fn ecdh(&self, peer: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
        self.operations
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        self.key.ecdh(peer)
    }
}

impl RecipientKeys for Fixed {
    fn key_for(&self, _id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>> {
        self.lookups.set(self.lookups.get() + 1);
        Ok(Some(Box::new(Counting {
            key: Arc::clone(&self.key),
            operations: Arc::clone(&self.operations),
        })))
    }
}

const ALL_CIPHERS: [ContentCipher; 4] = [
    ContentCipher::Aes128Cbc,
    ContentCipher::Aes256Cbc,
    ContentCipher::Aes128Gcm,
    ContentCipher::Aes256Gcm,
];

fn cipher_name(c: ContentCipher) -> &'static str {
    match c {
        ContentCipher::Aes128Cbc => "AES-128-CBC",
        ContentCipher::Aes256Cbc => "AES-256-CBC",
        ContentCipher::Aes128Gcm => "AES-128-GCM",
        ContentCipher::Aes256Gcm => "AES-256-GCM",
    }
}

fn encrypt(content: &[u8], to: &[&Certificate], options: &EncryptOptions) -> Vec<u8> {
    let certs: Vec<Certificate> = to.iter().map(|c| (*c).clone()).collect();
    encrypt_data(content, &certs, options).unwrap()
}

fn err_of(r: Result<Decrypted>) -> Error {
    match r {
        Ok(d) => panic!("decryption unexpectedly succeeded: {d:?}"),
        Err(e) => e,
    }
}

/// The error every secret-dependent failure must give: same kind, same message.
fn assert_uniform(e: &Error, reference: &Error, case: &str) {
    assert_eq!(e.kind(), ErrorKind::Crypto, "{case}: {e}");
    assert_eq!(e.kind(), reference.kind(), "{case}");
    assert_eq!(e.to_string(), reference.to_string(), "{case}");
}

fn content_info(msg: &[u8]) -> ContentInfo {
    ContentInfo::from_der(msg).unwrap()
}

fn rebuild(content_type: der::asn1::ObjectIdentifier, body: &impl Encode) -> Vec<u8> {
    ContentInfo {
        content_type,
        content: Any::from_der(&body.to_der().unwrap()).unwrap(),
    }
    .to_der()
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Round trips

#[test]
fn round_trip_every_cipher_and_recipient_kind() {
    let f = fixture();
    let content = b"Subject: hello\r\n\r\nThe quick brown fox jumps over the lazy dog.\r\n";
    let kinds: [(&str, &Party, KeyTransport); 4] = [
        ("RSA PKCS#1 v1.5", &f.rsa, KeyTransport::Pkcs1v15),
        ("RSA-OAEP", &f.rsa, KeyTransport::OaepSha256),
        ("P-256", &f.p256, KeyTransport::Pkcs1v15),
        ("P-384", &f.p384, KeyTransport::Pkcs1v15),
    ];
    for cipher in ALL_CIPHERS {
        for (kind, party, kt) in &kinds {
            let options = EncryptOptions::new().cipher(cipher).key_transport(*kt);
            let msg = encrypt(content, &[&party.cert], &options);
            let case = format!("{} to {kind}", cipher_name(cipher));

            // The structure is what the cms crate (and RFC 5652 / RFC 5083) expect.
            let ci = content_info(&msg);
            if cipher.is_authenticated() {
                assert_eq!(ci.content_type, asn1::ID_AUTH_ENVELOPED_DATA, "{case}");
                let aed: AuthEnvelopedData = ci.content.decode_as().unwrap();
                assert_eq!(aed.version as u8, 0, "{case}");
                assert_eq!(aed.mac.as_bytes().len(), 16, "{case}");
                assert_eq!(aed.recip_infos.0.len(), 1);
            } else {
                assert_eq!(ci.content_type, asn1::ID_ENVELOPED_DATA, "{case}");
                let ed: EnvelopedData = ci.content.decode_as().unwrap();
                let ri = ed.recip_infos.0.get(0).unwrap();
                match ri {
                    RecipientInfo::Ktri(k) => {
                        assert_eq!(ed.version as u8, 0, "{case}");
                        assert_eq!(k.version as u8, 0, "{case}");
                        let oid = if *kt == KeyTransport::Pkcs1v15 {
                            asn1::RSA_ENCRYPTION
                        } else {
                            asn1::RSAES_OAEP
                        };
                        assert_eq!(k.key_enc_alg.oid, oid, "{case}");
                    }
                    RecipientInfo::Kari(k) => {
                        assert_eq!(ed.version as u8, 2, "{case}");
                        assert_eq!(k.version as u8, 3, "{case}");
                        let scheme = if party.cert.key_algorithm() == KeyAlgorithm::EcP256 {
                            asn1::ECDH_STD_SHA256
                        } else {
                            asn1::ECDH_STD_SHA384
                        };
                        assert_eq!(k.key_enc_alg.oid, scheme, "{case}");
                    }
                    other => panic!("{case}: unexpected recipient info {other:?}"),
                }
            }

            let d = decrypt_data(&msg, &keys_of(party), &DecryptOptions::new()).unwrap();
            assert_eq!(&d.content[..], content, "{case}");
            assert_eq!(d.cipher, cipher_name(cipher), "{case}");
            assert_eq!(d.authenticated, cipher.is_authenticated(), "{case}");
            assert!(d.weak.is_empty(), "{case}: {:?}", d.weak);
            assert_eq!(d.recipient, RecipientId::of_certificate(&party.cert));
            assert!(d.recipient.matches(&party.cert));
        }
    }
}

#[test]
fn multiple_mixed_recipients_each_decrypt() {
    let f = fixture();
    let content = vec![0x5Au8; 1000];
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm] {
        let options = EncryptOptions::new()
            .cipher(cipher)
            .key_transport(KeyTransport::OaepSha256);
        let msg = encrypt(
            &content,
            &[&f.rsa.cert, &f.p256.cert, &f.p384.cert],
            &options,
        );
        let ci = content_info(&msg);
        let count = if cipher.is_authenticated() {
            ci.content
                .decode_as::<AuthEnvelopedData>()
                .unwrap()
                .recip_infos
                .0
                .len()
        } else {
            let ed: EnvelopedData = ci.content.decode_as().unwrap();
            assert_eq!(
                ed.version as u8, 2,
                "a KeyAgreeRecipientInfo makes version 2"
            );
            ed.recip_infos.0.len()
        };
        assert_eq!(count, 3);
        for party in [&f.rsa, &f.p256, &f.p384] {
            let d = decrypt_data(&msg, &keys_of(party), &DecryptOptions::new()).unwrap();
            assert_eq!(&d.content[..], &content[..]);
            assert!(d.recipient.matches(&party.cert));
        }
    }
}

#[test]
fn empty_and_block_sized_and_large_content() {
    let f = fixture();
    for len in [0usize, 1, 15, 16, 17, 32, 1 << 20] {
        let content: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
        for cipher in [ContentCipher::Aes128Cbc, ContentCipher::Aes256Gcm] {
            let msg = encrypt(
                &content,
                &[&f.p256.cert],
                &EncryptOptions::new().cipher(cipher),
            );
            let d = decrypt_data(&msg, &keys_of(&f.p256), &DecryptOptions::new()).unwrap();
            assert_eq!(&d.content[..], &content[..], "{len} bytes, {cipher:?}");
        }
    }
}

#[test]
fn refuses_recipients_that_cannot_receive() {
    let f = fixture();
    let err = encrypt_data(
        b"x",
        std::slice::from_ref(&f.ed25519),
        &EncryptOptions::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(
        err.to_string()
            .contains("this certificate's key cannot receive encrypted mail"),
        "{err}"
    );
    // One bad certificate in the list refuses the whole message.
    let err = encrypt_data(
        b"x",
        &[f.rsa.cert.clone(), f.ed25519.clone()],
        &EncryptOptions::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let err = encrypt_data(b"x", &[], &EncryptOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn options_defaults_and_builders() {
    let o = EncryptOptions::default();
    assert_eq!(o.content_cipher(), ContentCipher::Aes256Cbc);
    assert_eq!(ContentCipher::default(), ContentCipher::Aes256Cbc);
    assert_eq!(o.key_transport_scheme(), KeyTransport::Pkcs1v15);
    let o = o
        .cipher(ContentCipher::Aes128Gcm)
        .key_transport(KeyTransport::OaepSha256);
    assert_eq!(o.content_cipher(), ContentCipher::Aes128Gcm);
    assert_eq!(o.key_transport_scheme(), KeyTransport::OaepSha256);
    assert!(ContentCipher::Aes256Gcm.is_authenticated());
    assert!(!ContentCipher::Aes128Cbc.is_authenticated());
    let d = DecryptOptions::default();
    assert_eq!(d, DecryptOptions::new());
    // Legacy ciphers are refused unless allowed; unauthenticated content accepted unless
    // authentication is required.
    assert!(d.allow_pkcs1v15 && !d.allow_legacy_ciphers && !d.require_authenticated);
    let d = d
        .allow_pkcs1v15(false)
        .allow_legacy_ciphers(true)
        .require_authenticated(true);
    assert!(!d.allow_pkcs1v15 && d.allow_legacy_ciphers && d.require_authenticated);
}

#[test]
fn no_key_here_is_not_found_and_signed_data_is_refused() {
    let f = fixture();
    let msg = encrypt(b"x", &[&f.p256.cert], &EncryptOptions::new());
    let err = decrypt_data(&msg, &keys_of(&f.p384), &DecryptOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let signed = asn1::sequence(&[
        &asn1::oid(&asn1::ID_SIGNED_DATA),
        &asn1::tlv(0xA0, &[&asn1::sequence(&[])]),
    ]);
    let err = decrypt_data(&signed, &keys_of(&f.p256), &DecryptOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("signed message"), "{err}");
}

#[test]
fn key_list_refuses_a_key_of_another_certificate() {
    let f = fixture();
    let err = KeyList::new()
        .with(f.rsa.cert.clone(), Arc::clone(&f.other_rsa))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyMismatch);
}

// ---------------------------------------------------------------------------------------------
// One error for every secret-dependent failure

/// `msg` with the bytes `old` (once) replaced by `new` of the same length.
fn replace_bytes(msg: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
    assert_eq!(old.len(), new.len());
    let pos = msg
        .windows(old.len())
        .position(|w| w == old)
        .expect("bytes not found");
    let mut out = msg.to_vec();
    out[pos..pos + old.len()].copy_from_slice(new);
    out
}

/// Raw RSA encryption of the encoded message `em` (k bytes) under the RSA certificate's key.
fn raw_rsa_encrypt(cert: &Certificate, em: &[u8]) -> Vec<u8> {
    let public = rsa::RsaPublicKey::from_public_key_der(cert.public_key_der()).unwrap();
    let m = BoxedUint::from_be_slice(em, public.n_bits_precision()).unwrap();
    let c = rsa::hazmat::rsa_encrypt(&public, &m).unwrap();
    let bytes = c.to_be_bytes();
    let k = public.size();
    bytes[bytes.len() - k..].to_vec()
}

/// A PKCS#1 v1.5 encoded message of `k` bytes: `00 || bt || PS || sep || M`, with PS (nonzero
/// bytes) at least `ps_len` long and grown to make the total `k`.
fn em(k: usize, first: [u8; 2], ps_len: usize, separator: bool, m: &[u8]) -> Vec<u8> {
    let mut out = vec![first[0], first[1]];
    out.extend((0..ps_len).map(|i| (i % 250 + 1) as u8));
    if separator {
        out.push(0);
    }
    out.extend_from_slice(m);
    assert!(out.len() <= k, "encoded message too long");
    while out.len() < k {
        out.insert(2, 0x77);
    }
    out
}

/// `n` bytes of a fixed pattern.
fn pattern(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

/// A message to the RSA recipient built from fixed parts only: the content encrypted under
/// `alg` to `ct` (and `mac` for AuthEnvelopedData), the key `cek` PKCS#1 v1.5-encrypted with a
/// fixed padding string. Returns the message and its encryptedKey.
///
/// Every failure on such a message is deterministic: with CBC, a wrong key gives valid padding
/// by chance about once in 256 tries (and then garbage, as for every CMS implementation with
/// implicit rejection); fixed inputs make each case always fail or always pass.
fn fixed_rsa_message(
    f: &Fixture,
    alg: AlgorithmIdentifierOwned,
    cek: &[u8],
    ct: Vec<u8>,
    mac: Option<Vec<u8>>,
) -> (Vec<u8>, Vec<u8>) {
    let ri = recipient::key_trans(&f.rsa.cert, cek, KeyTransport::Pkcs1v15).unwrap();
    let ri = RecipientInfo::from_der(&ri).unwrap();
    let random_key = match &ri {
        RecipientInfo::Ktri(k) => k.enc_key.as_bytes().to_vec(),
        other => panic!("{other:?}"),
    };
    let recip_infos = cms::enveloped_data::RecipientInfos::try_from(vec![ri]).unwrap();
    let eci = cms::enveloped_data::EncryptedContentInfo {
        content_type: asn1::ID_DATA,
        content_enc_alg: alg,
        encrypted_content: Some(OctetString::new(ct).unwrap()),
    };
    let msg = match mac {
        None => rebuild(
            asn1::ID_ENVELOPED_DATA,
            &EnvelopedData {
                version: cms::content_info::CmsVersion::V0,
                originator_info: None,
                recip_infos,
                encrypted_content: eci,
                unprotected_attrs: None,
            },
        ),
        Some(mac) => rebuild(
            asn1::ID_AUTH_ENVELOPED_DATA,
            &AuthEnvelopedData {
                version: cms::content_info::CmsVersion::V0,
                originator_info: None,
                recip_infos,
                auth_encrypted_content_info: eci,
                auth_attrs: None,
                mac: OctetString::new(mac).unwrap(),
                unauth_attrs: None,
            },
        ),
    };
    let fixed_key = raw_rsa_encrypt(&f.rsa.cert, &em(256, [0, 2], 8, true, cek));
    (replace_bytes(&msg, &random_key, &fixed_key), fixed_key)
}

/// [`fixed_rsa_message`] for a modern cipher: fixed key, IV / nonce.
fn fixed_modern_message(f: &Fixture, cipher: ContentCipher, content: &[u8]) -> (Vec<u8>, Vec<u8>) {
    use aes_gcm::{AeadInOut, KeyInit};
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeEncrypt, KeyIvInit};
    let cek = pattern(cipher.key_len(), 0xA5);
    let iv = [0x11u8; 16];
    let nonce = [0x22u8; 12];
    let cbc_alg = |oid| AlgorithmIdentifierOwned {
        oid,
        parameters: Some(Any::from_der(&asn1::octet_string(&iv)).unwrap()),
    };
    let gcm_alg = |oid| AlgorithmIdentifierOwned {
        oid,
        parameters: Some(gcm_params(&nonce, Some(16))),
    };
    let mut buf = content.to_vec();
    let (alg, ct, mac) = match cipher {
        ContentCipher::Aes128Cbc => (
            cbc_alg(asn1::AES128_CBC),
            cbc::Encryptor::<aes::Aes128>::new_from_slices(&cek, &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(content),
            None,
        ),
        ContentCipher::Aes256Cbc => (
            cbc_alg(asn1::AES256_CBC),
            cbc::Encryptor::<aes::Aes256>::new_from_slices(&cek, &iv)
                .unwrap()
                .encrypt_padded_vec::<Pkcs7>(content),
            None,
        ),
        ContentCipher::Aes128Gcm => {
            let tag = aes_gcm::Aes128Gcm::new_from_slice(&cek)
                .unwrap()
                .encrypt_inout_detached(&nonce.into(), &[], buf.as_mut_slice().into())
                .unwrap();
            (gcm_alg(asn1::AES128_GCM), buf, Some(tag.to_vec()))
        }
        ContentCipher::Aes256Gcm => {
            let tag = aes_gcm::Aes256Gcm::new_from_slice(&cek)
                .unwrap()
                .encrypt_inout_detached(&nonce.into(), &[], buf.as_mut_slice().into())
                .unwrap();
            (gcm_alg(asn1::AES256_GCM), buf, Some(tag.to_vec()))
        }
    };
    fixed_rsa_message(f, alg, &cek, ct, mac)
}

#[test]
fn pkcs1v15_failures_are_indistinguishable() {
    let f = fixture();
    let content = b"top secret, padded to a couple of blocks for CBC...";
    for cipher in ALL_CIPHERS {
        let (msg, enc_key) = fixed_modern_message(f, cipher, content);
        let cek_len = cipher.key_len();
        let k = enc_key.len();
        assert_eq!(k, 256);

        // The reference: the right message decrypted with a wrong RSA key.
        let wrong = Fixed::new(&f.other_rsa);
        let reference = err_of(decrypt_data(&msg, &wrong, &DecryptOptions::new()));
        assert_eq!(reference.kind(), ErrorKind::Crypto);
        assert_eq!(reference.to_string(), decryption_failed().to_string());
        assert_eq!(wrong.operations(), 1, "the wrong key was really tried");

        let mut cases: Vec<(String, Vec<u8>)> = Vec::new();
        // Corrupted encryptedKey (one bit, first and last byte).
        for pos in [0usize, k / 2, k - 1] {
            let mut c = enc_key.clone();
            c[pos] ^= 0x01;
            cases.push((format!("encryptedKey bit flip at {pos}"), c));
        }
        let crafted: [(&str, Vec<u8>); 7] = [
            (
                "first bytes 00 01",
                em(k, [0, 1], 8, true, &pattern(cek_len, 1)),
            ),
            (
                "first bytes 01 02",
                em(k, [1, 2], 8, true, &pattern(cek_len, 2)),
            ),
            (
                "first bytes 00 00",
                em(k, [0, 0], 8, true, &pattern(cek_len, 3)),
            ),
            ("no zero separator", em(k, [0, 2], k - 2, false, &[])),
            ("padding string of 5 bytes", {
                let mut e = vec![0u8, 2, 1, 2, 3, 4, 5, 0];
                e.resize(k, 0x42);
                e
            }),
            (
                "CEK 8 bytes too short",
                em(k, [0, 2], 8, true, &pattern(cek_len - 8, 4)),
            ),
            (
                "CEK 8 bytes too long",
                em(k, [0, 2], 8, true, &pattern(cek_len + 8, 5)),
            ),
        ];
        for (name, encoded) in crafted {
            assert_eq!(encoded.len(), k, "{name}");
            cases.push((name.to_string(), raw_rsa_encrypt(&f.rsa.cert, &encoded)));
        }
        // Control: a correctly padded key of the right length decrypts to... the wrong key,
        // which must fail the same way (it is not the message's key).
        cases.push((
            "valid padding, random key".into(),
            raw_rsa_encrypt(&f.rsa.cert, &em(k, [0, 2], 8, true, &pattern(cek_len, 6))),
        ));
        // A ciphertext that is not below the modulus, and one of the wrong length.
        cases.push(("ciphertext = all FF".into(), vec![0xFF; k]));

        let keys = keys_of(&f.rsa);
        for (name, ct) in &cases {
            let case = format!("{}: {name}", cipher_name(cipher));
            let tampered = replace_bytes(&msg, &enc_key, ct);
            let e = err_of(decrypt_data(&tampered, &keys, &DecryptOptions::new()));
            assert_uniform(&e, &reference, &case);
        }
        // The untouched message still decrypts with the right key.
        let d = decrypt_data(&msg, &keys, &DecryptOptions::new()).unwrap();
        assert_eq!(&d.content[..], content);
    }
}

#[test]
fn cbc_padding_failure_with_the_right_key_is_the_same_error() {
    let f = fixture();
    let content = b"0123456789"; // 10 bytes: padding 6 x 0x06
    for party in [&f.rsa, &f.p256] {
        let msg = if party.cert.key_algorithm() == KeyAlgorithm::EcP256 {
            encrypt(
                content,
                &[&party.cert],
                &EncryptOptions::new().cipher(ContentCipher::Aes256Cbc),
            )
        } else {
            fixed_modern_message(f, ContentCipher::Aes256Cbc, content).0
        };
        assert_eq!(
            &decrypt_data(&msg, &keys_of(party), &DecryptOptions::new())
                .unwrap()
                .content[..],
            content
        );
        let ed: EnvelopedData = content_info(&msg).content.decode_as().unwrap();
        let ct_len = ed
            .encrypted_content
            .encrypted_content
            .as_ref()
            .unwrap()
            .as_bytes()
            .len();
        assert_eq!(ct_len, 16);
        // Single block: the IV is the previous block. XOR its last byte with 0x06 so the last
        // plaintext byte becomes 0 (never valid padding).
        let iv = ed
            .encrypted_content
            .content_enc_alg
            .parameters
            .as_ref()
            .unwrap()
            .decode_as::<OctetString>()
            .unwrap()
            .as_bytes()
            .to_vec();
        let mut bad_iv = iv.clone();
        bad_iv[15] ^= 0x06;
        let tampered = replace_bytes(&msg, &iv, &bad_iv);
        let e = err_of(decrypt_data(
            &tampered,
            &keys_of(party),
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &decryption_failed(), "bad CBC padding");
        // And a wrong key on the same message.
        let wrong_key = if party.cert.key_algorithm() == KeyAlgorithm::EcP256 {
            &f.other_p256
        } else {
            &f.other_rsa
        };
        let e = err_of(decrypt_data(
            &msg,
            &Fixed::new(wrong_key),
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &decryption_failed(), "wrong key");
    }
}

#[test]
fn oaep_and_ecdh_failures_are_the_same_error() {
    let f = fixture();
    let reference = decryption_failed();
    for cipher in [ContentCipher::Aes256Cbc, ContentCipher::Aes128Gcm] {
        // OAEP: wrong key, corrupted encrypted key.
        let msg = encrypt(
            b"oaep",
            &[&f.rsa.cert],
            &EncryptOptions::new()
                .cipher(cipher)
                .key_transport(KeyTransport::OaepSha256),
        );
        let e = err_of(decrypt_data(
            &msg,
            &Fixed::new(&f.other_rsa),
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &reference, "OAEP wrong key");
        let ri = recipient_info_bytes(&msg);
        let enc_key = match RecipientInfo::from_der(&ri).unwrap() {
            RecipientInfo::Ktri(k) => k.enc_key.as_bytes().to_vec(),
            other => panic!("{other:?}"),
        };
        let mut bad = enc_key.clone();
        bad[100] ^= 0x80;
        let e = err_of(decrypt_data(
            &replace_bytes(&msg, &enc_key, &bad),
            &keys_of(&f.rsa),
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &reference, "OAEP corrupted encrypted key");

        // ECDH: wrong key (same curve), corrupted wrapped key.
        let msg = encrypt(
            b"ecdh",
            &[&f.p256.cert],
            &EncryptOptions::new().cipher(cipher),
        );
        let e = err_of(decrypt_data(
            &msg,
            &Fixed::new(&f.other_p256),
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &reference, "ECDH wrong key");
        let ri = recipient_info_bytes(&msg);
        let wrapped = match RecipientInfo::from_der(&ri).unwrap() {
            RecipientInfo::Kari(k) => k.recipient_enc_keys[0].enc_key.as_bytes().to_vec(),
            other => panic!("{other:?}"),
        };
        assert_eq!(wrapped.len(), cipher.key_len() + 8);
        for pos in [0, wrapped.len() - 1] {
            let mut bad = wrapped.clone();
            bad[pos] ^= 0x01;
            let e = err_of(decrypt_data(
                &replace_bytes(&msg, &wrapped, &bad),
                &keys_of(&f.p256),
                &DecryptOptions::new(),
            ));
            assert_uniform(&e, &reference, "ECDH corrupted wrapped key");
        }
    }
}

/// The DER of the first recipient info of an EnvelopedData or AuthEnvelopedData.
fn recipient_info_bytes(msg: &[u8]) -> Vec<u8> {
    let ci = content_info(msg);
    let ri = if ci.content_type == asn1::ID_AUTH_ENVELOPED_DATA {
        ci.content
            .decode_as::<AuthEnvelopedData>()
            .unwrap()
            .recip_infos
            .0
            .get(0)
            .unwrap()
            .clone()
    } else {
        ci.content
            .decode_as::<EnvelopedData>()
            .unwrap()
            .recip_infos
            .0
            .get(0)
            .unwrap()
            .clone()
    };
    ri.to_der().unwrap()
}

#[test]
fn pkcs1v15_can_be_refused() {
    let f = fixture();
    let msg = encrypt(b"v1.5", &[&f.rsa.cert], &EncryptOptions::new());
    let keys = Fixed::new(&f.rsa.key);
    let refuse = DecryptOptions::new().allow_pkcs1v15(false);
    let err = decrypt_data(&msg, &keys, &refuse).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotPermitted, "{err}");
    assert!(err.to_string().contains("allow_pkcs1v15"), "{err}");
    assert_eq!(
        keys.operations(),
        0,
        "refused before any private-key operation"
    );
    // OAEP and ECDH are unaffected.
    let msg = encrypt(
        b"oaep",
        &[&f.rsa.cert],
        &EncryptOptions::new().key_transport(KeyTransport::OaepSha256),
    );
    assert_eq!(
        &decrypt_data(&msg, &keys_of(&f.rsa), &refuse)
            .unwrap()
            .content[..],
        b"oaep"
    );
    let msg = encrypt(b"ec", &[&f.p384.cert], &EncryptOptions::new());
    assert_eq!(
        &decrypt_data(&msg, &keys_of(&f.p384), &refuse)
            .unwrap()
            .content[..],
        b"ec"
    );
}

// ---------------------------------------------------------------------------------------------
// AuthEnvelopedData refusals and AAD

fn gcm_message(f: &Fixture) -> (Vec<u8>, AuthEnvelopedData) {
    let msg = encrypt(
        b"authenticated content",
        &[&f.p256.cert],
        &EncryptOptions::new().cipher(ContentCipher::Aes256Gcm),
    );
    let aed = content_info(&msg).content.decode_as().unwrap();
    (msg, aed)
}

fn gcm_params(nonce: &[u8], icv: Option<u8>) -> Any {
    let mut parts = vec![asn1::octet_string(nonce)];
    if let Some(i) = icv {
        parts.push(asn1::small_integer(i));
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    Any::from_der(&asn1::sequence(&refs)).unwrap()
}

#[test]
fn auth_enveloped_data_refusals_happen_before_decryption() {
    let f = fixture();
    let (_, aed) = gcm_message(f);
    let nonce = [7u8; 12];
    let mut cases: Vec<(&str, AuthEnvelopedData, ErrorKind, &str)> = Vec::new();

    // Not an AEAD algorithm: AES-256-CBC in AuthEnvelopedData.
    let mut m = aed.clone();
    m.auth_encrypted_content_info.content_enc_alg = AlgorithmIdentifierOwned {
        oid: asn1::AES256_CBC,
        parameters: Some(Any::from_der(&asn1::octet_string(&[0u8; 16])).unwrap()),
    };
    cases.push((
        "CBC in AuthEnvelopedData",
        m,
        ErrorKind::Unsupported,
        "only authenticated",
    ));

    // A 16-byte nonce.
    let mut m = aed.clone();
    m.auth_encrypted_content_info.content_enc_alg.parameters =
        Some(gcm_params(&[7u8; 16], Some(16)));
    cases.push(("16-byte nonce", m, ErrorKind::Unsupported, "16-byte nonce"));

    // An 8-byte tag, announced as such.
    let mut m = aed.clone();
    m.auth_encrypted_content_info.content_enc_alg.parameters = Some(gcm_params(&nonce, Some(8)));
    m.mac = OctetString::new(&m.mac.as_bytes()[..8]).unwrap();
    cases.push((
        "8-byte tag",
        m,
        ErrorKind::Unsupported,
        "8-byte authentication tag",
    ));

    // An 8-byte tag where the parameters announce 16.
    let mut m = aed.clone();
    m.mac = OctetString::new(&m.mac.as_bytes()[..8]).unwrap();
    cases.push((
        "tag shorter than announced",
        m,
        ErrorKind::Unsupported,
        "the tag has 8 bytes",
    ));

    // No parameters at all.
    let mut m = aed.clone();
    m.auth_encrypted_content_info.content_enc_alg.parameters = None;
    cases.push(("no GCM parameters", m, ErrorKind::Parse, "GCMParameters"));

    // An unknown algorithm.
    let mut m = aed.clone();
    m.auth_encrypted_content_info.content_enc_alg.oid =
        der::asn1::ObjectIdentifier::new_unwrap("1.2.3.4");
    cases.push(("unknown algorithm", m, ErrorKind::Unsupported, "1.2.3.4"));

    for (name, body, kind, text) in cases {
        let msg = rebuild(asn1::ID_AUTH_ENVELOPED_DATA, &body);
        let keys = Fixed::new(&f.p256.key);
        let err = decrypt_data(&msg, &keys, &DecryptOptions::new()).unwrap_err();
        assert_eq!(err.kind(), kind, "{name}: {err}");
        assert!(err.to_string().contains(text), "{name}: {err}");
        assert_eq!(
            keys.lookups.get(),
            0,
            "{name}: refused before looking for a key"
        );
        assert_eq!(keys.operations(), 0, "{name}: no private-key operation");
    }

    // GCM in an EnvelopedData is refused too.
    let mut ed_body = EnvelopedData {
        version: cms::content_info::CmsVersion::V2,
        originator_info: None,
        recip_infos: aed.recip_infos.clone(),
        encrypted_content: aed.auth_encrypted_content_info.clone(),
        unprotected_attrs: None,
    };
    ed_body.version = cms::content_info::CmsVersion::V2;
    let msg = rebuild(asn1::ID_ENVELOPED_DATA, &ed_body);
    let err = decrypt_data(&msg, &keys_of(&f.p256), &DecryptOptions::new()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}

#[test]
fn gcm_tampering_fails_without_plaintext() {
    let f = fixture();
    let (msg, aed) = gcm_message(f);
    let keys = keys_of(&f.p256);
    assert!(decrypt_data(&msg, &keys, &DecryptOptions::new()).is_ok());
    let ct = aed
        .auth_encrypted_content_info
        .encrypted_content
        .as_ref()
        .unwrap()
        .as_bytes()
        .to_vec();
    for pos in [0, ct.len() / 2, ct.len() - 1] {
        let mut bad = ct.clone();
        bad[pos] ^= 0x20;
        let e = err_of(decrypt_data(
            &replace_bytes(&msg, &ct, &bad),
            &keys,
            &DecryptOptions::new(),
        ));
        assert_uniform(&e, &decryption_failed(), "GCM ciphertext byte changed");
    }
    // A changed tag byte.
    let tag = aed.mac.as_bytes().to_vec();
    let mut bad = tag.clone();
    bad[15] ^= 1;
    let e = err_of(decrypt_data(
        &replace_bytes(&msg, &tag, &bad),
        &keys,
        &DecryptOptions::new(),
    ));
    assert_uniform(&e, &decryption_failed(), "GCM tag changed");
    // Authenticated attributes added after the fact change the AAD: the tag no longer
    // verifies.
    let mut m = aed.clone();
    m.auth_attrs = Some(der::asn1::SetOfVec::try_from(vec![content_type_attribute()]).unwrap());
    let e = err_of(decrypt_data(
        &rebuild(asn1::ID_AUTH_ENVELOPED_DATA, &m),
        &keys,
        &DecryptOptions::new(),
    ));
    assert_uniform(&e, &decryption_failed(), "authAttrs added");
}

fn content_type_attribute() -> x509_cert::attr::Attribute {
    x509_cert::attr::Attribute {
        oid: der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3"),
        values: der::asn1::SetOfVec::try_from(vec![Any::from(&asn1::ID_DATA)]).unwrap(),
    }
}

#[test]
fn gcm_authenticated_attributes_are_the_aad() {
    use aes_gcm::{AeadInOut, KeyInit};
    let f = fixture();
    // Built by hand: a key agreement to P-256 for a known CEK, AES-128-GCM with authAttrs as
    // AAD (DER, SET OF tag), as RFC 5083 section 2.1 prescribes.
    let cek = [0x11u8; 16];
    let ri = recipient::key_agree(&f.p256.cert, &cek).unwrap();
    let attrs = der::asn1::SetOfVec::try_from(vec![content_type_attribute()]).unwrap();
    let aad = attrs.to_der().unwrap();
    assert_eq!(aad[0], 0x31);
    let nonce = [3u8; 12];
    let mut ct = b"with attributes".to_vec();
    let tag = aes_gcm::Aes128Gcm::new_from_slice(&cek)
        .unwrap()
        .encrypt_inout_detached(&nonce.into(), &aad, ct.as_mut_slice().into())
        .unwrap();
    let body = AuthEnvelopedData {
        version: cms::content_info::CmsVersion::V0,
        originator_info: None,
        recip_infos: cms::enveloped_data::RecipientInfos::try_from(vec![
            RecipientInfo::from_der(&ri).unwrap(),
        ])
        .unwrap(),
        auth_encrypted_content_info: cms::enveloped_data::EncryptedContentInfo {
            content_type: asn1::ID_DATA,
            content_enc_alg: AlgorithmIdentifierOwned {
                oid: asn1::AES128_GCM,
                parameters: Some(gcm_params(&nonce, Some(16))),
            },
            encrypted_content: Some(OctetString::new(ct).unwrap()),
        },
        auth_attrs: Some(attrs),
        mac: OctetString::new(tag.to_vec()).unwrap(),
        unauth_attrs: None,
    };
    let msg = rebuild(asn1::ID_AUTH_ENVELOPED_DATA, &body);
    let d = decrypt_data(&msg, &keys_of(&f.p256), &DecryptOptions::new()).unwrap();
    assert_eq!(&d.content[..], b"with attributes");
    assert!(d.authenticated);
    assert_eq!(d.cipher, "AES-128-GCM");

    // The same message without the attributes: the AAD differs, the tag fails.
    let mut m = body.clone();
    m.auth_attrs = None;
    let e = err_of(decrypt_data(
        &rebuild(asn1::ID_AUTH_ENVELOPED_DATA, &m),
        &keys_of(&f.p256),
        &DecryptOptions::new(),
    ));
    assert_uniform(&e, &decryption_failed(), "authAttrs removed");

    // icvLen absent means 12 (RFC 5084): a 12-byte tag under those parameters verifies.
    let mut ct12 = b"short tag".to_vec();
    let tag12 = aes_gcm::AesGcm::<
        aes::Aes128,
        aes_gcm::aead::consts::U12,
        aes_gcm::aead::consts::U12,
    >::new_from_slice(&cek)
    .unwrap()
    .encrypt_inout_detached(&nonce.into(), &[], ct12.as_mut_slice().into())
    .unwrap();
    let mut m = body.clone();
    m.auth_attrs = None;
    m.auth_encrypted_content_info.content_enc_alg.parameters = Some(gcm_params(&nonce, None));
    m.auth_encrypted_content_info.encrypted_content = Some(OctetString::new(ct12).unwrap());
    m.mac = OctetString::new(tag12.to_vec()).unwrap();
    let d = decrypt_data(
        &rebuild(asn1::ID_AUTH_ENVELOPED_DATA, &m),
        &keys_of(&f.p256),
        &DecryptOptions::new(),
    )
    .unwrap();
    assert_eq!(&d.content[..], b"short tag");
}

// ---------------------------------------------------------------------------------------------
// Legacy ciphers (read only)

/// An EnvelopedData to the RSA recipient with content encrypted by a legacy CBC cipher.
fn legacy_message(f: &Fixture, alg: AlgorithmIdentifierOwned, cek: &[u8], ct: Vec<u8>) -> Vec<u8> {
    fixed_rsa_message(f, alg, cek, ct, None).0
}

#[test]
fn legacy_ciphers_are_read_and_reported_weak() {
    use cbc::cipher::block_padding::Pkcs7;
    use cbc::cipher::{BlockModeEncrypt, InnerIvInit, KeyInit};
    let f = fixture();
    let content = b"old mail from 2005";
    let iv = [9u8; 8];

    let cek3 = [0x2Bu8; 24];
    let ct = cbc::Encryptor::<des::TdesEde3>::inner_iv_slice_init(
        des::TdesEde3::new_from_slice(&cek3).unwrap(),
        &iv,
    )
    .unwrap()
    .encrypt_padded_vec::<Pkcs7>(content);
    let des3 = legacy_message(
        f,
        AlgorithmIdentifierOwned {
            oid: asn1::DES_EDE3_CBC,
            parameters: Some(Any::from_der(&asn1::octet_string(&iv)).unwrap()),
        },
        &cek3,
        ct,
    );

    let cek_rc2 = [0x3Cu8; 5];
    let ct = cbc::Encryptor::<rc2::Rc2>::inner_iv_slice_init(
        rc2::Rc2::new_with_eff_key_len(&cek_rc2, 40),
        &iv,
    )
    .unwrap()
    .encrypt_padded_vec::<Pkcs7>(content);
    let rc2_params =
        asn1::sequence(&[&asn1::tlv(0x02, &[&[0x00, 0xA0]]), &asn1::octet_string(&iv)]);
    let rc2 = legacy_message(
        f,
        AlgorithmIdentifierOwned {
            oid: asn1::RC2_CBC,
            parameters: Some(Any::from_der(&rc2_params).unwrap()),
        },
        &cek_rc2,
        ct,
    );

    let cek_des = [0x4Du8; 8];
    let ct = cbc::Encryptor::<des::Des>::inner_iv_slice_init(
        des::Des::new_from_slice(&cek_des).unwrap(),
        &iv,
    )
    .unwrap()
    .encrypt_padded_vec::<Pkcs7>(content);
    let single_des = legacy_message(
        f,
        AlgorithmIdentifierOwned {
            oid: asn1::DES_CBC,
            parameters: Some(Any::from_der(&asn1::octet_string(&iv)).unwrap()),
        },
        &cek_des,
        ct,
    );

    for (msg, name, cipher) in [
        (&des3, "3DES-CBC", LegacyCipher::DesEde3Cbc),
        (&rc2, "RC2-CBC (40-bit)", LegacyCipher::Rc2Cbc { bits: 40 }),
        (&single_des, "DES-CBC", LegacyCipher::DesCbc),
    ] {
        let legacy = DecryptOptions::new().allow_legacy_ciphers(true);
        let d = decrypt_data(msg, &keys_of(&f.rsa), &legacy).unwrap();
        assert_eq!(&d.content[..], content, "{name}");
        assert_eq!(d.cipher, name);
        assert!(!d.authenticated);
        assert_eq!(d.weak, vec![Weakness::LegacyContentCipher(cipher)]);
        assert_eq!(d.weak[0].to_string(), format!("{name} content encryption"));

        let keys = Fixed::new(&f.rsa.key);
        // Refused by default, and when explicitly refused: before any key operation.
        for refusing in [
            DecryptOptions::new(),
            DecryptOptions::new().allow_legacy_ciphers(false),
        ] {
            let err = decrypt_data(msg, &keys, &refusing).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotPermitted, "{name}: {err}");
            assert!(err.to_string().contains(name), "{err}");
            assert_eq!(keys.operations(), 0);
        }

        // A wrong key on a legacy message fails the same way as on a modern one.
        let e = err_of(decrypt_data(msg, &Fixed::new(&f.other_rsa), &legacy));
        assert_uniform(&e, &decryption_failed(), name);
    }
}

// ---------------------------------------------------------------------------------------------
// Limits and malformed input

#[test]
fn more_than_the_recipient_limit_is_refused() {
    let f = fixture();
    let msg = encrypt(b"x", &[&f.p256.cert], &EncryptOptions::new());
    let ri = RecipientInfo::from_der(&recipient_info_bytes(&msg)).unwrap();
    let ed: EnvelopedData = content_info(&msg).content.decode_as().unwrap();

    // Build the SET by hand: identical elements are fine for this reader.
    let build = |n: usize| {
        let ri_der = ri.to_der().unwrap();
        let elements: Vec<&[u8]> = (0..n).map(|_| ri_der.as_slice()).collect();
        let set = asn1::tlv(0x31, &elements);
        let body = asn1::sequence(&[
            &asn1::small_integer(2),
            &set,
            &ed.encrypted_content.to_der().unwrap(),
        ]);
        asn1::sequence(&[
            &asn1::oid(&asn1::ID_ENVELOPED_DATA),
            &asn1::tlv(0xA0, &[&body]),
        ])
    };
    let d = decrypt_data(
        &build(MAX_RECIPIENT_INFOS),
        &keys_of(&f.p256),
        &DecryptOptions::new(),
    )
    .unwrap();
    assert_eq!(&d.content[..], b"x");
    let keys = Fixed::new(&f.p256.key);
    let err = decrypt_data(
        &build(MAX_RECIPIENT_INFOS + 1),
        &keys,
        &DecryptOptions::new(),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert_eq!(keys.lookups.get(), 0);
}

#[test]
fn truncated_and_mangled_messages_fail_without_panic() {
    let f = fixture();
    let messages = [
        encrypt(b"truncate me", &[&f.rsa.cert], &EncryptOptions::new()),
        encrypt(
            b"truncate me",
            &[&f.p256.cert, &f.rsa.cert],
            &EncryptOptions::new().cipher(ContentCipher::Aes128Gcm),
        ),
    ];
    let keys = KeyList::new()
        .with(f.rsa.cert.clone(), Arc::clone(&f.rsa.key))
        .unwrap()
        .with(f.p256.cert.clone(), Arc::clone(&f.p256.key))
        .unwrap();
    for msg in &messages {
        assert!(decrypt_data(msg, &keys, &DecryptOptions::new()).is_ok());
        // Every prefix up to 64 bytes, then a sample through the rest.
        let lengths: Vec<usize> = (0..64.min(msg.len()))
            .chain((64..msg.len()).step_by(7))
            .collect();
        for len in lengths {
            let r = decrypt_data(&msg[..len], &keys, &DecryptOptions::new());
            assert!(r.is_err(), "a {len}-byte prefix of {} decrypted", msg.len());
        }
        // Single-byte changes anywhere: never a panic; a change may only succeed where it does
        // not touch what is decrypted (it never does here, but the structure may still parse).
        for pos in (0..msg.len()).step_by(5) {
            let mut m = msg.clone();
            m[pos] ^= 0xFF;
            let _ = decrypt_data(&m, &keys, &DecryptOptions::new());
        }
        // Trailing data after the ContentInfo.
        let mut m = msg.clone();
        m.push(0);
        assert!(decrypt_data(&m, &keys, &DecryptOptions::new()).is_err());
    }
    for junk in [
        &b""[..],
        b"\x30",
        b"\x30\x00",
        b"\x30\x80\x00\x00",
        b"not cms at all",
    ] {
        assert!(decrypt_data(junk, &keys, &DecryptOptions::new()).is_err());
    }
}

#[test]
fn ber_streamed_encrypted_content_is_read() {
    // The encrypted content as a constructed [0] of OCTET STRING segments, with indefinite
    // lengths, as `openssl cms -stream` writes it.
    let f = fixture();
    let content = vec![0xC3u8; 3000];
    let msg = encrypt(&content, &[&f.p384.cert], &EncryptOptions::new());
    let ed: EnvelopedData = content_info(&msg).content.decode_as().unwrap();
    let ct = ed
        .encrypted_content
        .encrypted_content
        .as_ref()
        .unwrap()
        .as_bytes();
    let mut segments = vec![0xA0, 0x80];
    for chunk in ct.chunks(1000) {
        segments.extend(asn1::octet_string(chunk));
    }
    segments.extend([0, 0]);
    let mut eci = vec![0x30, 0x80];
    eci.extend(asn1::oid(&asn1::ID_DATA));
    eci.extend(ed.encrypted_content.content_enc_alg.to_der().unwrap());
    eci.extend(segments);
    eci.extend([0, 0]);
    let mut body = vec![0x30, 0x80];
    body.extend(asn1::small_integer(2));
    body.extend(ed.recip_infos.to_der().unwrap());
    body.extend(eci);
    body.extend([0, 0]);
    let mut ber = vec![0x30, 0x80];
    ber.extend(asn1::oid(&asn1::ID_ENVELOPED_DATA));
    ber.extend([0xA0, 0x80]);
    ber.extend(body);
    ber.extend([0, 0, 0, 0]);
    let d = decrypt_data(&ber, &keys_of(&f.p384), &DecryptOptions::new()).unwrap();
    assert_eq!(&d.content[..], &content[..]);
}

#[test]
fn pkcs7_padding_check() {
    let mut block = [0u8; 16];
    block[15] = 1;
    let (ok, n) = pkcs7_check(&block, 16);
    assert!(bool::from(ok));
    assert_eq!(n, 1);
    let block = [16u8; 16];
    assert_eq!(pkcs7_check(&block, 16).1, 16);
    let mut block = [4u8; 16];
    block[12] = 5; // one byte of the padding differs
    assert!(!bool::from(pkcs7_check(&block, 16).0));
    assert!(
        !bool::from(pkcs7_check(&[0u8; 16], 16).0),
        "0 is not a padding length"
    );
    assert!(
        !bool::from(pkcs7_check(&[17u8; 16], 16).0),
        "longer than a block"
    );
    assert!(
        !bool::from(pkcs7_check(&[9u8; 8], 8).0),
        "longer than a DES block"
    );
    assert!(bool::from(pkcs7_check(&[8u8; 8], 8).0));
    assert!(!bool::from(pkcs7_check(&[], 16).0));
}

#[test]
fn shared_info_is_rfc5753_ecc_cms_shared_info() {
    // keyInfo aes256-wrap (no parameters), no ukm, suppPubInfo 256 bits.
    let wrap = asn1::algorithm(&asn1::AES256_WRAP, None);
    let info = recipient::test_shared_info(&wrap, None, 32);
    assert_eq!(
        hex::encode(&info),
        concat!("3015", "300b060960864801650304012d", "a206040400000100")
    );
    // With user keying material (entityUInfo [0]) and a 128-bit KEK.
    let with_ukm = recipient::test_shared_info(&wrap, Some(&[1, 2]), 16);
    assert_eq!(
        hex::encode(&with_ukm),
        concat!(
            "301b",
            "300b060960864801650304012d",
            "a00404020102",
            "a206040400000080"
        )
    );
}

// ---------------------------------------------------------------------------------------------
// Wycheproof: RSA PKCS#1 v1.5 and OAEP (SHA-256) decryption through Decryptor

#[test]
fn wycheproof_rsa_pkcs1v15_decryption() {
    use wycheproof::TestResult;
    use wycheproof::rsa_pkcs1_decrypt::{TestName, TestSet};
    let (mut valid, mut invalid, mut acceptable, mut empty) = (0usize, 0usize, 0usize, 0usize);
    for name in [TestName::Rsa2048, TestName::Rsa3072, TestName::Rsa4096] {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            let key = PrivateKey::from_pkcs8_der(&group.pkcs8).unwrap();
            let valid_messages: Vec<&[u8]> = group
                .tests
                .iter()
                .filter(|t| t.result == TestResult::Valid)
                .map(|t| &t.pt[..])
                .collect();
            for t in &group.tests {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                match t.result {
                    TestResult::Valid if t.pt.is_empty() => {
                        // A zero-length key is never asked for; the request is refused as an
                        // argument error, not as a decryption result.
                        let e = key
                            .decrypt_key_transport(KeyTransport::Pkcs1v15, &t.ct, 0)
                            .unwrap_err();
                        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{id}");
                        empty += 1;
                    }
                    TestResult::Valid => {
                        let out = key
                            .decrypt_key_transport(KeyTransport::Pkcs1v15, &t.ct, t.pt.len())
                            .unwrap();
                        assert_eq!(&out[..], &t.pt[..], "{id}");
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        // Implicit rejection: a key comes back, never an error, always the same
                        // for the same ciphertext, and unlike any valid plaintext.
                        for len in [16usize, 32] {
                            let a = key
                                .decrypt_key_transport(KeyTransport::Pkcs1v15, &t.ct, len)
                                .unwrap_or_else(|e| panic!("{id}: error {e}"));
                            let b = key
                                .decrypt_key_transport(KeyTransport::Pkcs1v15, &t.ct, len)
                                .unwrap();
                            assert_eq!(a.len(), len, "{id}");
                            assert_eq!(a, b, "{id}: implicit rejection is deterministic");
                            assert!(
                                valid_messages.iter().all(|m| *m != &a[..]),
                                "{id}: rejection key equals a valid plaintext"
                            );
                        }
                        invalid += 1;
                    }
                    TestResult::Acceptable => {
                        // Either answer is allowed; it must not be an error.
                        let len = if t.pt.is_empty() { 16 } else { t.pt.len() };
                        key.decrypt_key_transport(KeyTransport::Pkcs1v15, &t.ct, len)
                            .unwrap();
                        acceptable += 1;
                    }
                }
            }
        }
    }
    eprintln!(
        "Wycheproof RSA PKCS#1 v1.5: {valid} valid, {invalid} invalid (implicit rejection), \
         {acceptable} acceptable, {empty} valid with an empty message"
    );
    assert!(
        valid >= 100 && invalid >= 70,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn wycheproof_rsa_oaep_sha256_decryption() {
    use wycheproof::rsa_oaep::{TestName, TestSet};
    use wycheproof::{HashFunction, Mgf, TestResult};
    let (mut valid, mut invalid, mut label, mut skipped_keys) = (0usize, 0usize, 0usize, 0usize);
    for name in [
        TestName::Rsa2048Sha256Mgf1Sha256,
        TestName::Rsa3072Sha256Mgf1Sha256,
        TestName::Rsa4096Sha256Mgf1Sha256,
        TestName::RsaMisc,
    ] {
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            if group.hash != HashFunction::Sha2_256
                || group.mgf != Mgf::Mgf1
                || group.mgf_hash != HashFunction::Sha2_256
            {
                continue;
            }
            let key = match PrivateKey::from_pkcs8_der(&group.pkcs8) {
                Ok(k) => k,
                Err(_) => {
                    skipped_keys += 1;
                    continue;
                }
            };
            for t in &group.tests {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                let r = key.decrypt_key_transport(KeyTransport::OaepSha256, &t.ct, t.pt.len());
                if !t.label.is_empty() {
                    // CMS never uses an OAEP label: with the empty label these must fail.
                    assert!(r.is_err(), "{id}: decrypted despite a label");
                    label += 1;
                    continue;
                }
                match t.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        assert_eq!(
                            &r.unwrap_or_else(|e| panic!("{id}: {e}"))[..],
                            &t.pt[..],
                            "{id}"
                        );
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        let e = r
                            .err()
                            .unwrap_or_else(|| panic!("{id}: invalid vector decrypted"));
                        assert_eq!(e.kind(), ErrorKind::Crypto, "{id}");
                        invalid += 1;
                    }
                }
            }
        }
    }
    eprintln!(
        "Wycheproof RSA-OAEP SHA-256: {valid} valid, {invalid} invalid, {label} with a label \
         (must fail), {skipped_keys} key groups skipped (key not importable)"
    );
    assert!(
        valid >= 40 && invalid >= 50,
        "{valid} valid, {invalid} invalid"
    );
}

#[test]
fn wycheproof_rsa_oaep_sha1_sha384_sha512_decryption() {
    // The OAEP parameters read from mail besides SHA-256: SHA-1 (RFC 8017's defaults, what most
    // producers write), SHA-384 and SHA-512, each with MGF1 over the same hash.
    use wycheproof::rsa_oaep::{TestName, TestSet};
    use wycheproof::{HashFunction, Mgf, TestResult};
    let cases = [
        (
            TestName::Rsa2048Sha1Mgf1Sha1,
            HashFunction::Sha1,
            KeyTransport::OaepSha1,
        ),
        (
            TestName::Rsa2048Sha384Mgf1Sha384,
            HashFunction::Sha2_384,
            KeyTransport::OaepSha384,
        ),
        (
            TestName::Rsa2048Sha512Mgf1Sha512,
            HashFunction::Sha2_512,
            KeyTransport::OaepSha512,
        ),
    ];
    for (name, hash, scheme) in cases {
        let (mut valid, mut invalid) = (0usize, 0usize);
        let set = TestSet::load(name).unwrap();
        for group in &set.test_groups {
            if group.hash != hash || group.mgf != Mgf::Mgf1 || group.mgf_hash != hash {
                continue;
            }
            let Ok(key) = PrivateKey::from_pkcs8_der(&group.pkcs8) else {
                continue;
            };
            for t in group.tests.iter().filter(|t| t.label.is_empty()) {
                let id = format!("{name:?} tcId {} ({})", t.tc_id, t.comment);
                let r = key.decrypt_key_transport(scheme, &t.ct, t.pt.len());
                match t.result {
                    TestResult::Valid | TestResult::Acceptable => {
                        assert_eq!(
                            &r.unwrap_or_else(|e| panic!("{id}: {e}"))[..],
                            &t.pt[..],
                            "{id}"
                        );
                        valid += 1;
                    }
                    TestResult::Invalid => {
                        let e = r
                            .err()
                            .unwrap_or_else(|| panic!("{id}: invalid vector decrypted"));
                        assert_eq!(e.kind(), ErrorKind::Crypto, "{id}");
                        invalid += 1;
                    }
                }
            }
        }
        eprintln!("Wycheproof {name:?}: {valid} valid, {invalid} invalid");
        assert!(
            valid >= 10 && invalid >= 10,
            "{name:?}: {valid} valid, {invalid} invalid"
        );
    }
}

#[test]
fn rsa_oaep_parameters_are_read_with_their_defaults() {
    use super::asn1::{MGF1, P_SPECIFIED, RSAES_OAEP, SHA1, SHA256, SHA384, SHA512, algorithm};
    use super::recipient::test_key_transport_scheme as scheme;
    let hash = |o| algorithm(o, None);
    let hash_null = |o| algorithm(o, Some(&[0x05, 0x00]));
    let mgf1 = |h: &[u8]| algorithm(&MGF1, Some(h));
    let oaep = |fields: &[&[u8]]| algorithm(&RSAES_OAEP, Some(&asn1::sequence(fields)));
    let h = |o| asn1::tlv(0xA0, &[&hash(o)]);
    let m = |o| asn1::tlv(0xA1, &[&mgf1(&hash(o))]);
    let empty_label = asn1::tlv(
        0xA2,
        &[&algorithm(&P_SPECIFIED, Some(&asn1::octet_string(&[])))],
    );
    let read = [
        // RFC 8017 defaults: parameters absent, NULL, or an empty SEQUENCE (OpenSSL).
        (algorithm(&RSAES_OAEP, None), KeyTransport::OaepSha1),
        (
            algorithm(&RSAES_OAEP, Some(&[0x05, 0x00])),
            KeyTransport::OaepSha1,
        ),
        (oaep(&[]), KeyTransport::OaepSha1),
        // The defaults written out, with NULL hash parameters and an explicit empty label.
        (
            oaep(&[
                &asn1::tlv(0xA0, &[&hash_null(&SHA1)]),
                &asn1::tlv(0xA1, &[&mgf1(&hash_null(&SHA1))]),
                &empty_label,
            ]),
            KeyTransport::OaepSha1,
        ),
        (oaep(&[&h(&SHA256), &m(&SHA256)]), KeyTransport::OaepSha256),
        (oaep(&[&h(&SHA384), &m(&SHA384)]), KeyTransport::OaepSha384),
        (
            oaep(&[&h(&SHA512), &m(&SHA512), &empty_label]),
            KeyTransport::OaepSha512,
        ),
    ];
    for (der, expected) in read {
        assert_eq!(scheme(&der).unwrap(), expected, "{}", hex::encode(&der));
    }
    let label = asn1::tlv(
        0xA2,
        &[&algorithm(&P_SPECIFIED, Some(&asn1::octet_string(b"x")))],
    );
    let md5 = der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
    let refused = [
        // SHA-256 with the default MGF1 (SHA-1), and the other way round.
        oaep(&[&h(&SHA256)]),
        oaep(&[&m(&SHA256)]),
        oaep(&[&h(&SHA256), &m(&SHA1)]),
        oaep(&[&h(&md5), &m(&md5)]),
        oaep(&[&h(&SHA256), &m(&SHA256), &label]),
    ];
    for der in refused {
        let e = scheme(&der).unwrap_err();
        assert_eq!(
            e.kind(),
            ErrorKind::Unsupported,
            "{}: {e}",
            hex::encode(&der)
        );
    }
    // Not a SEQUENCE: malformed.
    let e = scheme(&algorithm(&RSAES_OAEP, Some(&asn1::octet_string(&[])))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Parse, "{e}");
}

#[test]
fn oaep_with_sha384_and_sha512_is_written_and_sha1_only_read() {
    let f = fixture();
    let keys = KeyList::new()
        .with(f.rsa.cert.clone(), Arc::clone(&f.rsa.key))
        .unwrap();
    for scheme in [KeyTransport::OaepSha384, KeyTransport::OaepSha512] {
        let msg = encrypt_data(
            b"oaep",
            std::slice::from_ref(&f.rsa.cert),
            &EncryptOptions::new().key_transport(scheme),
        )
        .unwrap();
        let d = decrypt_data(&msg, &keys, &DecryptOptions::new()).unwrap();
        assert_eq!(&d.content[..], b"oaep", "{scheme:?}");
    }
    let e = encrypt_data(
        b"oaep",
        std::slice::from_ref(&f.rsa.cert),
        &EncryptOptions::new().key_transport(KeyTransport::OaepSha1),
    )
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Weak, "{e}");
}
