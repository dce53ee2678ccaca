#![no_main]
//! Chain building and path validation over arbitrary certificates: the input is a sequence of
//! DER certificates, each prefixed by its length (two bytes, big-endian): the first is the
//! trust anchor, the second the end certificate, the rest intermediates. Nothing may panic
//! or run long (the budget); a valid result must be a chain from the end certificate to the
//! anchor whose every link verifies.
use hermes_pki::cert::Certificate;
use hermes_pki::time::from_unix_seconds;
use hermes_pki::trust::{LeafPolicy, Validation, ValidationOptions, Validator};
use libfuzzer_sys::fuzz_target;

fn split(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while data.len() >= 2 && out.len() < 64 {
        let len = usize::from(u16::from_be_bytes([data[0], data[1]]));
        data = &data[2..];
        let len = len.min(data.len());
        out.push(&data[..len]);
        data = &data[len..];
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let parts = split(data);
    let certs: Vec<Option<Certificate>> = parts
        .iter()
        .map(|p| Certificate::from_der(p).ok())
        .collect();
    let (Some(Some(anchor)), Some(Some(leaf))) = (certs.first(), certs.get(1)) else {
        return;
    };
    let intermediates: Vec<Certificate> = certs.iter().skip(2).flatten().cloned().collect();
    let at = from_unix_seconds(1_767_225_600);
    for policy in [
        LeafPolicy::Any,
        LeafPolicy::SmimeSigning,
        LeafPolicy::SmimeEncryption,
    ] {
        let validator = Validator::without_store()
            .anchors([anchor.clone()])
            .intermediates(intermediates.clone());
        let options = ValidationOptions::new(at, policy);
        match validator
            .validate(leaf, &options)
            .expect("no store, no storage error")
        {
            Validation::Valid { chain, .. } => {
                assert_eq!(chain[0].thumbprint(), leaf.thumbprint());
                assert_eq!(chain.last().unwrap().thumbprint(), anchor.thumbprint());
                for pair in chain.windows(2) {
                    assert!(pair[0].verify_issued_by(&pair[1]).is_ok());
                }
            }
            Validation::Invalid { reasons } => assert!(!reasons.is_empty()),
        }
    }
});
