#![no_main]
//! The MIME layer of decryption: `smime::decrypt_message` on arbitrary bytes, with a P-256 key
//! for any recipient (so that well-formed messages reach the key agreement and the content
//! decryption; most fail there, as they must, with the one opaque error). Seeded with messages
//! encrypted by `openssl smime -encrypt`. Nothing may panic.
use std::sync::OnceLock;

use hermes_pki::key::{Decryptor, KeySpec, PrivateKey};
use hermes_pki::smime::{DecryptOptions, RecipientId, RecipientKeys, decrypt_message};
use libfuzzer_sys::fuzz_target;

/// The PKCS#8 DER of one P-256 key, answering for every recipient.
struct AnyRecipient(Vec<u8>);

impl RecipientKeys for AnyRecipient {
    fn key_for(&self, _id: &RecipientId) -> hermes_pki::Result<Option<Box<dyn Decryptor>>> {
        Ok(Some(Box::new(PrivateKey::from_pkcs8_der(&self.0)?)))
    }
}

fn keys() -> &'static AnyRecipient {
    static KEY: OnceLock<AnyRecipient> = OnceLock::new();
    KEY.get_or_init(|| {
        let key = PrivateKey::generate(KeySpec::EcP256).unwrap();
        AnyRecipient(key.to_pkcs8_der().unwrap().to_vec())
    })
}

fuzz_target!(|data: &[u8]| {
    for options in [
        DecryptOptions::new(),
        DecryptOptions::new()
            .allow_legacy_ciphers(true)
            .require_authenticated(true),
    ] {
        if let Ok(d) = decrypt_message(data, keys(), &options) {
            let _ = format!("{d:?}");
        }
    }
});
