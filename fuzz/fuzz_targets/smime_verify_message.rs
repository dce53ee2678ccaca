#![no_main]
//! The MIME layer of verification: `smime::verify_message` on arbitrary bytes as a whole
//! message (headers, `multipart/signed` or `application/pkcs7-mime`, transfer encodings, RFC 2231
//! parameters), then the CMS layer under it. Seeded with the PKITS S/MIME messages. Nothing
//! may panic; the time must stay linear in the input (libFuzzer's -timeout catches slow
//! shapes).
use hermes_pki::smime::{smime_layer, verify_message};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = smime_layer(data);
    if let Ok(v) = verify_message(data, &[]) {
        let _ = format!("{v:?}");
        for signer in &v.signed.signers {
            let _ = signer.status.to_string();
        }
    }
});
