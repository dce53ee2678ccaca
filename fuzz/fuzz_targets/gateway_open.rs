#![no_main]
//! The gateway's inbound operation: `Pki::open_message` on arbitrary bytes over a store with a
//! CA, one user with keys, and informational header fields on. Peels layers, verifies,
//! decrypts, judges signers. Seeded with the PKITS S/MIME messages and mail signed and
//! encrypted by the store's own user. Nothing may panic; every answer must be printable.
use std::time::{Duration, SystemTime};

use hermes_pki::ca::{CaSpec, DistinguishedName, IssueSpec};
use hermes_pki::key::KeySpec;
use hermes_pki::pki::{OpenOptions, Pki};
use hermes_pki::store::MemoryStore;
use hermes_pki::time::FixedClock;
use libfuzzer_sys::fuzz_target;

fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

thread_local! {
    static PKI: Pki = {
        let pki = Pki::new(MemoryStore::new());
        pki.ca()
            .create(
                &CaSpec::new(DistinguishedName::new("Fuzz Root")).key(KeySpec::EcP256),
                &FixedClock(at()),
            )
            .unwrap();
        pki.ca()
            .issue(
                &IssueSpec::new("bob@example.com", "Bob").key(KeySpec::EcP256),
                &FixedClock(at()),
            )
            .unwrap();
        pki
    };
}

fuzz_target!(|data: &[u8]| {
    PKI.with(|pki| {
        let options = OpenOptions::new(at()).informational_headers(true);
        if let Ok(opened) = pki.open_message(data, &options) {
            let _ = opened.kind();
            let _ = format!("{opened:?}");
        }
    });
});
