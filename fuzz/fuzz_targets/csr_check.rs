#![no_main]
//! PKCS#10 request checking (`request::CheckedCsr::check`) on arbitrary bytes, PEM or DER: the
//! PEM scanner, the DER structure, the self-signature, the key and the name policy (an
//! allowed domain, the subject fields copied). Nothing may panic; a refusal is an error.
use hermes_pki::request::{CheckedCsr, CsrPolicy};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let policy = CsrPolicy::new()
        .allowed_domain("example.com")
        .copy_subject_fields(true);
    if let Ok(csr) = CheckedCsr::check(data, &policy) {
        // A request that passed carries a parseable key and options a CA can use.
        let _ = csr.key_algorithm();
        let _ = csr.options();
        let _ = hermes_pki::request::csr_to_pem(csr.der());
    }
});
