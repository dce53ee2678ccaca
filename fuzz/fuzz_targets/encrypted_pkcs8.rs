#![no_main]
//! Password-protected PKCS#8 (PBES2). Limits are kept small so that each input costs little:
//! the point is that hostile KDF parameters are refused before any work is done.
use hermes_pki::key::{KdfLimits, PrivateKey};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = KdfLimits {
        max_pbkdf2_iterations: 2_048,
        max_scrypt_memory: 1024 * 1024,
    };
    let _ = PrivateKey::from_encrypted_pkcs8_der_with_limits(data, b"password", limits);
});
