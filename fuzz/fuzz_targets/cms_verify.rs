#![no_main]
//! CMS SignedData verification (`smime::verify_data`) on arbitrary bytes (DER or BER), once as
//! an encapsulated message and once with detached content. Nothing may panic; every report must
//! be printable.
use hermes_pki::smime::verify_data;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for detached in [None, Some(&b"x"[..])] {
        if let Ok(result) = verify_data(data, detached, &[]) {
            for signer in &result.signers {
                let _ = signer.status.to_string();
                let _ = signer.capabilities.iter().map(|c| c.oid()).count();
                let _ = signer.certificate.as_ref().map(|c| c.subject().len());
            }
            let _ = result.all_signatures_valid();
        }
    }
});
