#![no_main]
//! The auto-detecting loader: whatever a user drops on the import button.
use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    let report = hermes_pki::cert::load_certificates(data);
    // Something is always said about non-empty input: certificates or problems.
    assert!(data.is_empty() || !report.certificates.is_empty() || !report.problems.is_empty());
    for cert in &report.certificates {
        common::exercise(cert);
    }
});
