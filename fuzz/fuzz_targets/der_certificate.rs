#![no_main]
//! One DER certificate, and every accessor on it.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(cert) = hermes_pki::cert::Certificate::from_der(data) {
        common::exercise(&cert);
        // Our own encoding must parse back to the same certificate.
        let again = hermes_pki::cert::Certificate::from_pem(&cert.to_pem())
            .expect("a parsed certificate re-parses from its own PEM");
        assert_eq!(again.thumbprint(), cert.thumbprint());
    }
});
