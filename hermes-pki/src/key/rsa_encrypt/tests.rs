//! RSA encryption of a content-encryption key: round trips through this library's decryption
//! and the `rsa` crate's, the shape of the PKCS#1 v1.5 padding, and the `rsa` crate fallback
//! for other key sizes. `openssl cms -decrypt` of every size and key transport is in the
//! tests crate (`cms_envelope_openssl.rs`).

use std::sync::OnceLock;

use rsa::pkcs8::{DecodePrivateKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, Oaep, Pkcs1v15Encrypt, RsaPrivateKey};
use sha2::{Sha256, Sha384, Sha512};

use super::RsaRecipient;
use crate::key::{Decryptor, KeySpec, KeyTransport, PrivateKey};

const SIZES: [usize; 3] = [2048, 3072, 4096];
const SCHEMES: [KeyTransport; 5] = [
    KeyTransport::Pkcs1v15,
    KeyTransport::OaepSha1,
    KeyTransport::OaepSha256,
    KeyTransport::OaepSha384,
    KeyTransport::OaepSha512,
];

fn key(bits: usize) -> &'static PrivateKey {
    static K: [OnceLock<PrivateKey>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let i = SIZES
        .iter()
        .position(|&b| b == bits)
        .expect("a tested size");
    K[i].get_or_init(|| PrivateKey::generate(KeySpec::Rsa(bits)).expect("generates"))
}

fn crate_key(k: &PrivateKey) -> RsaPrivateKey {
    RsaPrivateKey::from_pkcs8_der(&k.to_pkcs8_der().unwrap()).unwrap()
}

#[test]
fn round_trip_through_our_decryption_and_the_rsa_crate() {
    for bits in SIZES {
        let k = key(bits);
        let recipient = RsaRecipient::from_spki_der(&k.public_key_der()).expect("RSA key");
        assert!(
            matches!(recipient, RsaRecipient::Fast(_)),
            "RSA-{bits}: fast path"
        );
        let theirs = crate_key(k);
        for scheme in SCHEMES {
            for len in [16usize, 32] {
                let cek: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37) ^ 0xA5).collect();
                let c = recipient.encrypt(scheme, &cek).expect("encrypts");
                assert_eq!(c.len(), bits / 8);
                let back = k.decrypt_key_transport(scheme, &c, len).expect("decrypts");
                assert_eq!(&back[..], &cek[..], "RSA-{bits} {scheme:?}");
                let back = match scheme {
                    KeyTransport::Pkcs1v15 => theirs.decrypt(Pkcs1v15Encrypt, &c),
                    KeyTransport::OaepSha1 => theirs.decrypt(Oaep::<sha1::Sha1>::new(), &c),
                    KeyTransport::OaepSha256 => theirs.decrypt(Oaep::<Sha256>::new(), &c),
                    KeyTransport::OaepSha384 => theirs.decrypt(Oaep::<Sha384>::new(), &c),
                    KeyTransport::OaepSha512 => theirs.decrypt(Oaep::<Sha512>::new(), &c),
                }
                .expect("the rsa crate decrypts");
                assert_eq!(back, cek, "rsa crate, RSA-{bits} {scheme:?}");
                // Randomised: a second encryption differs.
                assert_ne!(recipient.encrypt(scheme, &cek).unwrap(), c);
            }
        }
    }
}

#[test]
fn pkcs1v15_padding_has_the_rfc_8017_shape() {
    let k = key(2048);
    let recipient = RsaRecipient::from_spki_der(&k.public_key_der()).unwrap();
    let theirs = crate_key(k);
    let cek = [0x5Au8; 32];
    for _ in 0..20 {
        let c = recipient.encrypt(KeyTransport::Pkcs1v15, &cek).unwrap();
        let c = BoxedUint::from_be_slice(&c, theirs.n_bits_precision()).unwrap();
        let em = rsa::hazmat::rsa_decrypt::<getrandom::SysRng>(None, &theirs, &c).unwrap();
        let em = em.to_be_bytes();
        let em = &em[em.len() - 256..];
        assert_eq!(&em[..2], &[0, 2]);
        let ps = &em[2..256 - 33];
        assert!(ps.iter().all(|&b| b != 0), "PS has no zero byte");
        assert_eq!(em[256 - 33], 0);
        assert_eq!(&em[256 - 32..], &cek);
    }
}

#[test]
fn messages_too_long_for_the_key_are_refused() {
    let k = key(2048);
    let recipient = RsaRecipient::from_spki_der(&k.public_key_der()).unwrap();
    // PKCS#1 v1.5: k - 11 bytes at most; OAEP: k - 2 hLen - 2.
    assert!(
        recipient
            .encrypt(KeyTransport::Pkcs1v15, &[1u8; 245])
            .is_ok()
    );
    assert_eq!(
        recipient.encrypt(KeyTransport::Pkcs1v15, &[1u8; 246]),
        Err(rsa::Error::MessageTooLong)
    );
    assert!(
        recipient
            .encrypt(KeyTransport::OaepSha256, &[1u8; 190])
            .is_ok()
    );
    assert_eq!(
        recipient.encrypt(KeyTransport::OaepSha256, &[1u8; 191]),
        Err(rsa::Error::MessageTooLong)
    );
    assert_eq!(
        recipient.encrypt(KeyTransport::OaepSha512, &[1u8; 127]),
        Err(rsa::Error::MessageTooLong)
    );
}

#[test]
fn other_sizes_and_other_keys() {
    // A 2560-bit key: not one of the fixed widths, so the rsa crate encrypts.
    let mut rng = getrandom::rand_core::UnwrapErr(getrandom::SysRng);
    let odd = RsaPrivateKey::new(&mut rng, 2560).unwrap();
    let spki = odd.to_public_key().to_public_key_der().unwrap();
    let recipient = RsaRecipient::from_spki_der(spki.as_bytes()).expect("RSA key");
    assert!(matches!(recipient, RsaRecipient::Crate(_)));
    let cek = [7u8; 32];
    let c = recipient.encrypt(KeyTransport::OaepSha256, &cek).unwrap();
    assert_eq!(odd.decrypt(Oaep::<Sha256>::new(), &c).unwrap(), cek);
    let c = recipient.encrypt(KeyTransport::Pkcs1v15, &cek).unwrap();
    assert_eq!(odd.decrypt(Pkcs1v15Encrypt, &c).unwrap(), cek);
    // Not an RSA key, not DER.
    let ec = PrivateKey::generate(KeySpec::EcP256).unwrap();
    assert!(RsaRecipient::from_spki_der(&ec.public_key_der()).is_none());
    assert!(RsaRecipient::from_spki_der(b"not DER").is_none());
}
