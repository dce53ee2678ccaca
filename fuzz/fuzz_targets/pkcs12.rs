#![no_main]
//! PKCS#12 import (BER normalisation, MAC, PBES2 and the PKCS#12 PBEs, bags). Limits are kept
//! small so that each input costs little: the point is that hostile KDF parameters, sizes and
//! bag counts are refused before any work is done, and that nothing panics.
use hermes_pki::key::KdfLimits;
use hermes_pki::pkcs12::{self, Pkcs12Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut limits = Pkcs12Limits::default();
    limits.max_input_len = 256 * 1024;
    limits.kdf = KdfLimits {
        max_pbkdf2_iterations: 2_048,
        max_scrypt_memory: 1024 * 1024,
    };
    limits.max_bags = 64;
    limits.max_decryptions = 4;
    if let Ok(contents) = pkcs12::import_with_limits(data, "password", &limits) {
        let _ = contents.friendly_name();
        let _ = contents.chain().len();
        if let Some(cert) = contents.certificate() {
            let _ = cert.subject();
        }
    }
    // The empty password takes the other paths (two KDF encodings tried).
    let _ = pkcs12::import_with_limits(data, "", &limits);
});
