#![no_main]
//! The PEM key scanner (`key::PrivateKey::from_bytes` / `from_pem`) on arbitrary bytes: block
//! search, labels, legacy encryption headers, base64, then the key formats. Nothing may panic;
//! time linear in the input.
use hermes_pki::key::PrivateKey;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = PrivateKey::from_bytes(data, Some(b"password"));
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PrivateKey::from_pem(text, None);
    }
});
