#![no_main]
//! PKCS#7 / CMS certs-only (`.p7b`) in DER.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(certs) = hermes_pki::cert::parse_pkcs7(data) {
        for cert in &certs {
            common::exercise(cert);
        }
    }
});
