#![no_main]
//! External CA import: arbitrary certificate and key inputs (the first two bytes give where the
//! input splits). Nothing may panic; an accepted import must leave exactly one CA whose stored
//! certificate is a CA and matches the stored key; a refusal must leave the store empty.
use hermes_pki::ca::CertificateAuthority;
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::FixedClock;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let split = usize::from(u16::from_be_bytes([data[0], data[1]]));
    let rest = &data[2..];
    let split = split.min(rest.len());
    let (cert, key) = rest.split_at(split);
    let store = MemoryStore::new();
    let ca = CertificateAuthority::new(&store);
    let clock = FixedClock::from_unix(1_767_225_600);
    match ca.import(cert, key, Some(b"password"), false, &clock) {
        Ok(record) => {
            let stored = ca
                .certificate(record.id)
                .expect("the imported CA has its certificate");
            assert!(stored.is_ca());
            let key = store
                .read_transaction(|tx| tx.key_for_certificate(stored.thumbprint()))
                .expect("read")
                .expect("the imported CA has its key");
            assert!(key.matches(&stored));
            assert_eq!(ca.list().expect("list").len(), 1);
        }
        Err(_) => {
            let (cas, certs) = store
                .read_transaction(|tx| Ok((tx.cas()?.len(), tx.count_certificates()?)))
                .expect("read");
            assert_eq!((cas, certs), (0, 0), "a refused import stored something");
        }
    }
});
