#![no_main]
//! Private keys: PKCS#8 DER, PKCS#1, SEC1, PEM of each, auto-detected.
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hermes_pki::key::PrivateKey::from_pkcs8_der(data);
    if let Ok(key) = hermes_pki::key::PrivateKey::from_bytes(data, None) {
        let _ = key.algorithm();
        let der = key.to_pkcs8_der().expect("a parsed key re-encodes");
        let again = hermes_pki::key::PrivateKey::from_pkcs8_der(&der).expect("and re-parses");
        assert_eq!(again.public_key_der(), key.public_key_der());
    }
});
