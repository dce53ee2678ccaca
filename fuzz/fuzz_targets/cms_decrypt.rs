#![no_main]
//! CMS EnvelopedData / AuthEnvelopedData decryption of arbitrary bytes (DER or BER), with two
//! fixed keys: nothing may panic, whatever the structure, algorithms, parameters, recipient
//! infos or ciphertext. The recipient lookup answers a serial number of 1 with the RSA key and
//! any other identifier with the P-256 key (an empty serial with no key), so both key
//! transport and key agreement are reached; `scripts/fuzz-smoke.sh` makes its seeds with
//! `openssl cms -encrypt` to certificates for these keys (serial 1 for RSA, 2 for EC), reading
//! the keys out of this file: keep each PEM block on lines of its own.
use std::sync::OnceLock;

use hermes_pki::Result;
use hermes_pki::key::{Decryptor, PrivateKey};
use hermes_pki::smime::{DecryptOptions, RecipientId, RecipientKeys, Weakness, decrypt_data};
use libfuzzer_sys::fuzz_target;

/// RSA-2048 (first PEM block: the seed script relies on the order).
const RSA_KEY: &str = r"
-----BEGIN PRIVATE KEY-----
MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDH7AN7l548MEOt
DCsolPPTQO8g10LXeKM43h7NCoCuj20r2lCF8rxznDBVTPinEpECWS5u8pzseb0h
veA2crm240tgjP8eBmz3He/xCdmdIGt8XTImZ7M7QTl4hMroVazf4VMmhEq0ekq8
VD3A0nb2TLxnbZ/RONLxkfTrVlINznGes2MeL3YZUFvqz2OEqhPIilnbynMY35qB
bEGAwoAgVgJFJm7/OEG8wHhuUbxIYs9VCvLbnafaxLCnrdStuxvqEo/lZ6xkruGF
5osEAkjISnGcft1w+bHB18LzNewkMMjZ+Q0/Fzcw4zkIygqY2pK+FCcgE4L1MSlH
o65BZd7XAgMBAAECggEAGWF+YbLyfPatqNWqJwPzXocDCiV5+sFPNi7bidwYUSZW
ovdw5fMr90twHBbiXHzwGZ8Of48KhWpr11GemkWqC9dttYtrmg67x7WucBNNjslT
trKy5WBLR1hfqPbG4dnP/Dju0FgsOcnAHN+0WqX9l1r6R5vfFctD2zT/UIn2xIIO
2dgZSWmjSuZFIfuoFvFQhcpgrJBsEJ6Wymbmxb7mIDbwYB2O+Ci+Hb18ps7vXhHJ
v6eeQNOqFPYHbhLIAt8ja6LszFpaplsXfGPIXpdOzB9CbvxOnoQecjdwXn8P5F/7
uzGwUW0YpGSLyaCjp8RwtZfuMpCwFS84rCcW/S/K6QKBgQD4r9ghYodVGmVNtpfS
fOvSGxJd/gS9a36Qg6v119RwPLB7sDssL9GTtz2MT+vg+8FjCngVpPGYzYPl0qJM
26ifDqQC3MANQdyz1Rv6ffdgVwb7xxy2B9C7/9gjRfYbBCMgidFbFDXY42gtZrOO
tMFXRwRUmPU7sngJ8u5LNL8hyQKBgQDNzQ8GrB2kry3syV6IYZcqhWAIFU6DYnp3
iGtdGeWRmeHIhGX1Xn6ISMtIf19s+8QPBew5YKSdmAGBLzNqEVkwrQWq9971ef8X
E4OtCixHrGd31hF8VRyvOc9XC1eBzO+OsAmjyOZ77uRi8asAHzufPyVTaEv5t6ev
pQreNnpLnwKBgQDhT+hArxUwHL8lvsYlFbtO2+ozMH844xiDdFirX4WAvuui1NN3
wEdgTwe7hXmPmGjpA8YyzgN6TtEuuz0C540JtukQEtMJ7983K2Cy/cfQCGkyWn7/
yWrruewoYS2N4py00UjV/SSgQcDUSZVrOQdmvNgGkaK2GIc7dFdD2iFFSQKBgHD3
bJYXCDaLykO9zVxDZXz7tVj6iRxphBv1ECoMuw0PUPaGZoknk4EvpBZphHIISPiO
IbrlJ7cx5zGIPUqtty2W7BOK+CH7E2ERXygu+1tkcW9AXFzJQ3OT4hI/sYsYeS7z
xnbXIl1JJqiBS4JHoqypNs3v5DRw8WTizXJoqPy1AoGBANZmt2ezL0tQyWnXQFxn
CYEx29f+JciHXnWLgumku1K3gS+QDRSBxSjrVXE8bMOqBt/16C3ceZO17WXg75g3
P9h9PMWAABMyrvaUlQqjYjGhmoeDoBCA6llEDcI1KYM3xLXDyFivlPNK8vw44vR/
vbeROVMbv8kmgoQKXrsTl7Mh
-----END PRIVATE KEY-----
";

/// EC P-256 (second PEM block).
const EC_KEY: &str = r"
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgK9qDmQegt48NbDVH
qqkGXnkB26pfc/zDw0IJzyIT28GhRANCAAQNr2WIpIo7vKvBLi1QX+UndF57zyBL
c/Rh3qpNBqNMSy4t5bpHvO9mdRS95DeFXM64N2wq+VzvCmI0nAp/Hfol
-----END PRIVATE KEY-----
";

/// The keys as PKCS#8 DER, read once. A `Decryptor` handed out must be owned and the key
/// type is not `Clone`, so each lookup parses a fresh key from these bytes.
struct Keys {
    rsa: Vec<u8>,
    ec: Vec<u8>,
}

fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let der = |pem: &str| {
            let key = PrivateKey::from_pem(pem, None).expect("fixed key");
            key.to_pkcs8_der().expect("PKCS#8").to_vec()
        };
        Keys {
            rsa: der(RSA_KEY),
            ec: der(EC_KEY),
        }
    })
}

struct Fixed;

impl RecipientKeys for Fixed {
    fn key_for(&self, id: &RecipientId) -> Result<Option<Box<dyn Decryptor>>> {
        let k = keys();
        let der = match id {
            RecipientId::IssuerSerial { serial, .. } if serial.as_bytes().is_empty() => {
                return Ok(None);
            }
            RecipientId::IssuerSerial { serial, .. } if serial.as_bytes() == [1] => &k.rsa,
            _ => &k.ec,
        };
        Ok(Some(Box::new(PrivateKey::from_pkcs8_der(der)?)))
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(d) = decrypt_data(data, &Fixed, &DecryptOptions::new()) {
        // An authenticated result comes only from AES-GCM; a weak one only from legacy ciphers
        // or short RSA keys.
        assert!(!d.authenticated || d.cipher.contains("GCM"), "{}", d.cipher);
        let _ = d.content.len();
    }
    // The strict configuration refuses PKCS#1 v1.5 and legacy ciphers before any key work.
    let strict = DecryptOptions::new()
        .allow_pkcs1v15(false)
        .allow_legacy_ciphers(false);
    if let Ok(d) = decrypt_data(data, &Fixed, &strict) {
        assert!(
            d.weak
                .iter()
                .all(|w| !matches!(w, Weakness::LegacyContentCipher(_))),
            "{:?}",
            d.weak
        );
    }
});
