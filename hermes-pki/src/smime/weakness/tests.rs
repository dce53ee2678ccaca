//! Unit tests of the weakness texts.

use super::*;

#[test]
fn display_is_the_text_shown_to_people() {
    let cases = [
        (Weakness::Sha1Digest, "SHA-1 digest"),
        (Weakness::Sha1SignatureHash, "SHA-1 signature hash"),
        (
            Weakness::SmallRsaSignerKey { bits: 1024 },
            "RSA-1024 signer key",
        ),
        (
            Weakness::LegacyContentCipher(LegacyCipher::DesEde3Cbc),
            "3DES-CBC content encryption",
        ),
        (
            Weakness::LegacyContentCipher(LegacyCipher::DesCbc),
            "DES-CBC content encryption",
        ),
        (
            Weakness::LegacyContentCipher(LegacyCipher::Rc2Cbc { bits: 40 }),
            "RC2-CBC (40-bit) content encryption",
        ),
        (
            Weakness::SmallRsaKeyTransport { bits: 1024 },
            "RSA key transport with a 1024-bit key",
        ),
        (
            Weakness::BrokenHash { name: "MD5" },
            "MD5, a broken hash function",
        ),
        (Weakness::Sha1, "SHA-1, which this configuration refuses"),
        (
            Weakness::ShortRsaKey {
                bits: 1024,
                minimum: 2048,
            },
            "an RSA-1024 signer key (at least 2048 bits are required)",
        ),
        (Weakness::Other("MD4 in RSA".into()), "MD4 in RSA"),
    ];
    for (weakness, text) in cases {
        assert_eq!(weakness.to_string(), text);
    }
}
