#![no_main]
//! CRL parsing, import and revocation lookup on arbitrary input (DER or PEM, one or many
//! CRLs). Each input is imported into a fresh `MemoryStore` that trusts a fixed EC P-256 CA
//! (below); the seed CRLs of scripts/fuzz-smoke.sh are signed by that CA, so valid imports,
//! scopes and delta CRLs are reachable. Nothing may panic; an import must report one outcome
//! per CRL found (unreadable exactly where parsing fails) and store nothing when it fails;
//! a CRL is stored as valid only if it is the CA's and its signature verifies with the CA's
//! key; revocation lookups over what was stored must not fail.
use std::sync::OnceLock;

use hermes_pki::cert::Certificate;
use hermes_pki::crl::{CrlChecker, CrlOutcome, Crls, is_pending, parse_crls};
use hermes_pki::store::{MemoryStore, StoreExt};
use hermes_pki::time::{Clock, FixedClock};
use hermes_pki::trust::RevocationChecker;
use libfuzzer_sys::fuzz_target;

/// The fixed CA: self-signed, keyCertSign and cRLSign, valid 2026-11-23 to 2126-10-30.
const CA_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBkzCCATmgAwIBAgIUKLYfVyTVfM4qeKSFfLuNlxREeaQwCgYIKoZIzj0EAwIw
FjEUMBIGA1UEAwwLRnV6eiBDUkwgQ0EwIBcNMjYxMTIzMTIyMDE1WhgPMjEyNjEw
MzAxMjIwMTVaMBYxFDASBgNVBAMMC0Z1enogQ1JMIENBMFkwEwYHKoZIzj0CAQYI
KoZIzj0DAQcDQgAEeBxF69VoJVcG9iXjYQwFI70I7diS4Gf2i0529xM85OJ603Kd
3oTzX3A+ej+QUZrLgf1r0ey8syTqhyq7yOQ0zKNjMGEwHwYDVR0jBBgwFoAUVFmv
r7WUtVmbFjnoIj+U3/T/iyEwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMC
AQYwHQYDVR0OBBYEFFRZr6+1lLVZmxY56CI/lN/0/4shMAoGCCqGSM49BAMCA0gA
MEUCIB+5wSlRHVn4ZORBzdqpDlUpUi+ZHJKmCD9h8PI7XDbbAiEAkdUGpXFFpwkq
PwsvVYpt55LWMluW5n0ueYxGkdqdN9A=
-----END CERTIFICATE-----
";

/// The CA's private key: a throwaway test key, not used by the target. scripts/fuzz-smoke.sh
/// reads it from this file to sign the seed CRLs.
const _SEED_KEY_PEM: &str = "\
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgv+vQcVDvvuSUlADo
u9ftnHdc+rIFHDRT0hS0MtMtH9OhRANCAAR4HEXr1WglVwb2JeNhDAUjvQjt2JLg
Z/aLTnb3Ezzk4nrTcp3ehPNfcD56P5BRmsuB/WvR7LyzJOqHKrvI5DTM
-----END PRIVATE KEY-----
";

/// An end certificate of the CA, serial 1001 (keyCompromise on the seed CRLs).
const EE_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBnTCCAUSgAwIBAgICEAEwCgYIKoZIzj0EAwIwFjEUMBIGA1UEAwwLRnV6eiBD
UkwgQ0EwIBcNMjYxMTIzMTIyMDE1WhgPMjEyNjEwMzAxMjIwMTVaMBIxEDAOBgNV
BAMMB0Z1enogRUUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQg23Ypi7J3ubB8
EmGeWGT4o70OWzIMDsmg/s6SHqhcMmRsd04fTl7OSc9OdV5zhrQI1H8uYTNS42e/
TZVqArPfo4GDMIGAMA4GA1UdDwEB/wQEAwIHgDATBgNVHSUEDDAKBggrBgEFBQcD
BDAZBgNVHREEEjAQgQ5lZUBleGFtcGxlLmNvbTAfBgNVHSMEGDAWgBRUWa+vtZS1
WZsWOegiP5Tf9P+LITAdBgNVHQ4EFgQUO/vTi7Mg5GJsJ3NzkJ9jhoBOElcwCgYI
KoZIzj0EAwIDRwAwRAIgMtIWXz7bfPMpYDYYFIcIxHkMhL60lj7LPP0NJvML/isC
IE4LdeHGxnQ/W0hwlilPhtDVDBXdSLqrLXG5rPp6R2KE
-----END CERTIFICATE-----
";

/// An end certificate of the CA, serial 0123456789ABCDEF0123456789ABCDEF (certificateHold on
/// the seed CRLs, removeFromCRL on the seed delta CRL).
const HELD_PEM: &str = "\
-----BEGIN CERTIFICATE-----
MIIBrTCCAVSgAwIBAgIQASNFZ4mrze8BI0VniavN7zAKBggqhkjOPQQDAjAWMRQw
EgYDVQQDDAtGdXp6IENSTCBDQTAgFw0yNjExMjMxMjIwMzVaGA8yMTI2MTAzMDEy
MjAzNVowFDESMBAGA1UEAwwJRnV6eiBIZWxkMFkwEwYHKoZIzj0CAQYIKoZIzj0D
AQcDQgAEnF0MliiZBIZMd26VnFkt4WewV75QbolEJvAn854a/G4+v1Zr0RqTOCJ3
EQSmLPP0ywk89QWGz2YBxxY1ZctBgqOBgzCBgDAOBgNVHQ8BAf8EBAMCB4AwEwYD
VR0lBAwwCgYIKwYBBQUHAwQwGQYDVR0RBBIwEIEOZWVAZXhhbXBsZS5jb20wHwYD
VR0jBBgwFoAUVFmvr7WUtVmbFjnoIj+U3/T/iyEwHQYDVR0OBBYEFAC0G89FoYF8
8eeeyYqyCDIcsi9gMAoGCCqGSM49BAMCA0cAMEQCIHRraOs0kRE8AV4n089QABQz
gTZ/94lp5HcY0nMgi1sFAiAVpR0rQzV2rqkLdKRFuQP4gclWNXdahwx2bd9VOsUo
rQ==
-----END CERTIFICATE-----
";

struct Fixture {
    ca: Certificate,
    /// The certificates looked up: the two end certificates and the CA itself.
    certs: Vec<Certificate>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let parse = |pem| Certificate::from_pem(pem).expect("fixed certificate");
        let ca = parse(CA_PEM);
        Fixture {
            certs: vec![parse(EE_PEM), parse(HELD_PEM), ca.clone()],
            ca,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    // 2040-01-01: after the seed CRLs were made, within the CA's validity.
    let clock = FixedClock::from_unix(2_208_988_800);

    let parsed = parse_crls(data);
    for crl in parsed.iter().flatten() {
        let _ = crl.issuer();
        let _ = crl.this_update();
        let _ = crl.next_update();
        let _ = crl.number();
        let _ = crl.delta_base();
        let _ = crl.authority_key_id();
        let _ = crl.scope();
        let _ = crl.problems();
        let _ = crl.entries().len();
        let _ = crl.verify_signature(f.ca.public_key_der());
    }

    let store = MemoryStore::new();
    store
        .transaction(|tx| {
            tx.put_root(&f.ca)?;
            tx.put_certificate(&f.ca)?;
            Ok(())
        })
        .expect("the CA goes in");
    let crls = Crls::new(&store);
    match crls.import(data, None, &clock) {
        Ok(results) => {
            assert_eq!(results.len(), parsed.len(), "one outcome per CRL found");
            for (r, p) in results.iter().zip(&parsed) {
                assert_eq!(
                    matches!(r.outcome, CrlOutcome::Unreadable { .. }),
                    p.is_err(),
                    "unreadable exactly where parsing fails: {:?}",
                    r.outcome
                );
            }
            let stored = crls.list().expect("list");
            assert!(!stored.is_empty(), "a readable CRL leaves a record");
            // A pending CRL (its issuer unknown at import) is never one of the known CA's.
            for record in stored.iter().filter(|r| is_pending(r)) {
                assert_ne!(
                    record.issuer_der,
                    f.ca.subject_der(),
                    "a CRL of the known CA left pending"
                );
            }
            for record in stored
                .iter()
                .filter(|r| r.status.is_valid() && !is_pending(r))
            {
                assert_eq!(
                    record.issuer_der,
                    f.ca.subject_der(),
                    "a valid CRL of another issuer"
                );
                let der = crls.der(record.id).expect("stored DER");
                let crl = hermes_pki::crl::Crl::from_der(&der).expect("a stored valid CRL parses");
                assert!(
                    crl.verify_signature(f.ca.public_key_der()).is_ok(),
                    "a CRL stored as valid does not verify with the CA's key"
                );
            }
            if results.iter().any(|r| r.is_stored_valid()) {
                store
                    .read_transaction(|tx| {
                        let checker = CrlChecker::new(tx);
                        for cert in &f.certs {
                            checker.status(cert, &f.ca, clock.now())?;
                        }
                        Ok(())
                    })
                    .expect("lookups over stored CRLs do not fail");
            }
        }
        Err(_) => {
            assert!(
                parsed.iter().all(Result::is_err),
                "import failed on a readable CRL"
            );
            assert!(
                crls.list().expect("list").is_empty(),
                "a failed import stored something"
            );
        }
    }
});
