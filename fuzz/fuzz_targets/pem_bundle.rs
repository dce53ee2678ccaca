#![no_main]
//! PEM bundles: many blocks, junk between them, wrong labels, broken base64.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let report = hermes_pki::cert::parse_pem_bundle(data);
    for cert in &report.certificates {
        common::exercise(cert);
    }
    for problem in &report.problems {
        let _ = problem.error.to_string();
    }
});
