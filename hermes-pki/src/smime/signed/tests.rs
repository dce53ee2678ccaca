//! Unit tests of CMS SignedData signing and verification (interop with OpenSSL is in
//! `tests/tests/cms_signed_openssl.rs`).

use std::sync::OnceLock;

use super::*;
use crate::ca::{CaSpec, CertificateAuthority, DistinguishedName, IssueSpec};
use crate::key::{KeySpec, PrivateKey};
use crate::store::MemoryStore;
use crate::time::{FixedClock, from_unix_seconds};
use crate::tlv::{set_of_tagged as der_set_of, tlv as der_tlv};

/// 2026-01-01T00:00:00Z
const NOW: i64 = 1_767_225_600;

const CONTENT: &[u8] = b"Content-Type: text/plain; charset=utf-8\r\n\r\nHello, S/MIME!\r\n";

struct Party {
    cert: Certificate,
    key: PrivateKey,
}

struct Fixture {
    root: Certificate,
    inter: Certificate,
    rsa: Party,
    p256: Party,
    p384: Party,
    ed25519: Party,
}

impl Fixture {
    fn chain(&self) -> Vec<Certificate> {
        vec![self.inter.clone(), self.root.clone()]
    }
}

/// One CA (root + intermediate) and one signer per key type; the RSA key is generated once.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let clock = FixedClock(from_unix_seconds(NOW));
        let store = MemoryStore::new();
        let ca = CertificateAuthority::new(&store);
        let created = ca
            .create(
                &CaSpec::new(DistinguishedName::new("Signed Test Root").country("DE"))
                    .key(KeySpec::EcP256)
                    .intermediate(DistinguishedName::new("Signed Test Mail CA")),
                &clock,
            )
            .unwrap();
        let party = |email: &str, spec: KeySpec| {
            let key = PrivateKey::generate(spec).unwrap();
            let issued = ca
                .issue_with_key(&IssueSpec::new(email, email), key, &clock)
                .unwrap();
            let (cert, key, _, _) = issued.into_parts();
            Party { cert, key }
        };
        Fixture {
            root: created.root_certificate().clone(),
            inter: created.issuing_certificate().clone(),
            rsa: party("rsa@example.com", KeySpec::Rsa(2048)),
            p256: party("p256@example.com", KeySpec::EcP256),
            p384: party("p384@example.com", KeySpec::EcP384),
            ed25519: party("ed25519@example.com", KeySpec::Ed25519),
        }
    })
}

fn signing_time() -> SystemTime {
    from_unix_seconds(NOW + 3600)
}

fn options() -> SignOptions {
    SignOptions::new(signing_time())
}

fn sign(party: &Party, detached: bool, options: &SignOptions) -> Vec<u8> {
    sign_data(
        CONTENT,
        &party.cert,
        &fixture().chain(),
        &party.key,
        detached,
        options,
    )
    .unwrap()
}

fn verify(der: &[u8], detached: bool) -> Result<SignedContent> {
    verify_data(der, detached.then_some(CONTENT), &[])
}

fn only_signer(result: &SignedContent) -> &SignerReport {
    assert_eq!(result.signers.len(), 1);
    &result.signers[0]
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn thumbprints(certs: &[Certificate]) -> Vec<Thumbprint> {
    certs.iter().map(|c| *c.thumbprint()).collect()
}

/// Signs detached and encapsulated with `options` and checks everything the report says.
fn round_trip(party: &Party, options: &SignOptions, algorithm: &str, digest: HashAlg) {
    let f = fixture();
    for detached in [true, false] {
        let der = sign(party, detached, options);
        assert_eq!(
            find(&der, CONTENT).is_some(),
            !detached,
            "the content is encapsulated exactly when not detached"
        );
        let result = verify(&der, detached).unwrap();
        assert_eq!(result.content, CONTENT);
        assert!(result.all_signatures_valid());
        let s = only_signer(&result);
        assert_eq!(s.status, SignatureStatus::Valid, "detached={detached}");
        assert_eq!(
            s.certificate.as_ref().map(|c| *c.thumbprint()),
            Some(*party.cert.thumbprint())
        );
        assert_eq!(s.signing_time, Some(signing_time()));
        assert_eq!(s.digest, Some(digest));
        assert_eq!(s.signature_algorithm, algorithm);
        assert!(s.weak.is_empty(), "{:?}", s.weak);
        assert_eq!(s.capabilities, SmimeCapability::defaults());
        assert_eq!(
            thumbprints(&result.certificates).len(),
            3,
            "signer, intermediate and root are carried"
        );
        for c in [&party.cert, &f.inter, &f.root] {
            assert!(thumbprints(&result.certificates).contains(c.thumbprint()));
        }
    }
}

#[test]
fn rsa_pkcs1v15_round_trip() {
    let f = fixture();
    round_trip(
        &f.rsa,
        &options(),
        "sha256WithRSAEncryption",
        HashAlg::Sha256,
    );
    round_trip(
        &f.rsa,
        &options().hash(HashAlg::Sha512),
        "sha512WithRSAEncryption",
        HashAlg::Sha512,
    );
}

#[test]
fn rsa_pss_sha384_round_trip() {
    let f = fixture();
    let opts = options().rsa_pss(true).hash(HashAlg::Sha384);
    round_trip(&f.rsa, &opts, "RSASSA-PSS with SHA-384", HashAlg::Sha384);
    // The written parameters: SHA-384, MGF1-SHA-384, salt length 48.
    let der = sign(&f.rsa, true, &opts);
    let params = rsa::pkcs1::RsaPssParamsRef::new::<sha2::Sha384>(48)
        .to_der()
        .unwrap();
    assert!(find(&der, &params).is_some());
}

#[test]
fn ecdsa_round_trips() {
    let f = fixture();
    round_trip(&f.p256, &options(), "ecdsa-with-SHA256", HashAlg::Sha256);
    round_trip(
        &f.p384,
        &options().hash(HashAlg::Sha384),
        "ecdsa-with-SHA384",
        HashAlg::Sha384,
    );
}

#[test]
fn ed25519_round_trip_uses_sha512() {
    let f = fixture();
    // The configured SHA-256 does not apply: RFC 8419 wants SHA-512.
    round_trip(&f.ed25519, &options(), "Ed25519", HashAlg::Sha512);
    assert_eq!(
        options().digest_for(&KeyAlgorithm::Ed25519),
        HashAlg::Sha512
    );
    assert_eq!(
        options()
            .hash(HashAlg::Sha384)
            .digest_for(&KeyAlgorithm::EcP256),
        HashAlg::Sha384
    );
}

#[test]
fn any_changed_content_byte_is_content_changed() {
    let f = fixture();
    for party in [&f.rsa, &f.p256, &f.ed25519] {
        // Detached: change the content given.
        let der = sign(party, true, &options());
        for i in 0..CONTENT.len() {
            let mut changed = CONTENT.to_vec();
            changed[i] ^= 0x01;
            let result = verify_data(&der, Some(&changed), &[]).unwrap();
            assert_eq!(only_signer(&result).status, SignatureStatus::ContentChanged);
            assert!(!result.all_signatures_valid());
        }
        let longer = [CONTENT, b"x"].concat();
        let result = verify_data(&der, Some(&longer), &[]).unwrap();
        assert_eq!(only_signer(&result).status, SignatureStatus::ContentChanged);
        // Encapsulated: change the content inside the message.
        let der = sign(party, false, &options());
        let at = find(&der, CONTENT).unwrap();
        for i in at..at + CONTENT.len() {
            let mut changed = der.clone();
            changed[i] ^= 0x20;
            let result = verify(&changed, false).unwrap();
            assert_eq!(only_signer(&result).status, SignatureStatus::ContentChanged);
        }
    }
    assert_eq!(
        SignatureStatus::ContentChanged.to_string(),
        "the signed content was changed"
    );
}

#[test]
fn changed_signature_byte_is_bad_signature() {
    let f = fixture();
    for party in [&f.rsa, &f.p256, &f.p384, &f.ed25519] {
        let der = sign(party, true, &options());
        // The signature value is the last element of the message.
        for back in [1, 7, 20, 40] {
            let mut changed = der.clone();
            let i = changed.len() - back;
            changed[i] ^= 0x01;
            let result = verify(&changed, true).unwrap();
            let status = &only_signer(&result).status;
            assert!(
                matches!(status, SignatureStatus::BadSignature(m @ SignatureFailure::Signature(_))
                    if m.to_string().contains("does not verify")),
                "{status:?}"
            );
        }
    }
}

#[test]
fn every_truncation_is_an_error() {
    let f = fixture();
    for detached in [true, false] {
        let der = sign(&f.p256, detached, &options());
        for len in 0..der.len() {
            let prefix = &der[..len];
            assert!(verify_data(prefix, None, &[]).is_err(), "prefix {len}");
            assert!(
                verify_data(prefix, Some(CONTENT), &[]).is_err(),
                "prefix {len}"
            );
        }
    }
}

#[test]
fn single_byte_changes_never_panic() {
    let f = fixture();
    let der = sign(&f.p256, false, &options().include_chain(false));
    for i in 0..der.len() {
        for v in [der[i] ^ 0x01, der[i] ^ 0x80, 0x00, 0xff, 0x80] {
            let mut changed = der.clone();
            changed[i] = v;
            // Any outcome is fine as long as it is an outcome.
            let _ = verify_data(&changed, None, &[]);
            let _ = verify_data(&changed, Some(b"x"), &[]);
        }
    }
}

#[test]
fn sha1_is_refused_for_signing() {
    let f = fixture();
    for party in [&f.rsa, &f.p256, &f.ed25519] {
        let err = sign_data(
            CONTENT,
            &party.cert,
            &[],
            &party.key,
            true,
            &options().hash(HashAlg::Sha1),
        )
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Weak);
        assert!(err.to_string().contains("SHA-1"), "{err}");
    }
}

#[test]
fn weak_rsa_keys_and_odd_keys_are_refused() {
    let err = signing_plan(&KeyAlgorithm::Rsa { bits: 1024 }, &options())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Weak);
    assert!(err.to_string().contains("RSA-1024"));
    let err = signing_plan(&KeyAlgorithm::Other("1.2.3".into()), &options())
        .err()
        .unwrap();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
}

#[test]
fn a_key_that_is_not_the_certificates_is_refused() {
    let f = fixture();
    let err = sign_data(CONTENT, &f.rsa.cert, &[], &f.p256.key, true, &options()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyMismatch);
    let other = PrivateKey::generate(KeySpec::EcP256).unwrap();
    let err = sign_data(CONTENT, &f.p256.cert, &[], &other, false, &options()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::KeyMismatch);
}

#[test]
fn detached_and_encapsulated_misuse_is_invalid_argument() {
    let f = fixture();
    let detached = sign(&f.p256, true, &options());
    let err = verify_data(&detached, None, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert!(err.to_string().contains("detached"), "{err}");
}

#[test]
fn an_encapsulated_signature_with_separate_content_is_checked_against_that_content() {
    // A multipart/signed whose SignedData also carries eContent: verified against the MIME
    // part; eContent that differs from it makes the signature not valid (a status, not an
    // error), with the signer named.
    let f = fixture();
    let encapsulated = sign(&f.p256, false, &options());
    let result = verify_data(&encapsulated, Some(CONTENT), &[]).unwrap();
    assert_eq!(only_signer(&result).status, SignatureStatus::Valid);
    assert_eq!(result.content, CONTENT);

    let shown = b"Content-Type: text/plain\r\n\r\nPay Mallory\r\n";
    let result = verify_data(&encapsulated, Some(shown), &[]).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.status, SignatureStatus::ContentMismatch);
    assert!(!result.all_signatures_valid());
    assert_eq!(
        result.content, shown,
        "the content reported is what was shown"
    );
    assert_eq!(
        s.certificate.as_ref().map(|c| *c.thumbprint()),
        Some(*f.p256.cert.thumbprint())
    );
    assert!(s.status.to_string().contains("not the signed MIME part"));

    // The signature made over the shown part, with other eContent carried: still a mismatch.
    let parts = take_apart(&sign(&f.p256, true, &options()));
    let with_other = Parts {
        econtent: Some(shown.to_vec()),
        ..parts
    };
    let result = verify_data(&put_together(&with_other), Some(CONTENT), &[]).unwrap();
    assert_eq!(
        only_signer(&result).status,
        SignatureStatus::ContentMismatch
    );
}

#[test]
fn a_changed_content_still_names_the_signer() {
    // The signer certificate is in the message: the report names it whatever the content.
    let f = fixture();
    for detached in [true, false] {
        let der = sign(&f.rsa, detached, &options());
        let mut content = CONTENT.to_vec();
        content[45] ^= 0x01;
        let der = if detached {
            der
        } else {
            let parts = take_apart(&der);
            put_together(&Parts {
                econtent: Some(content.clone()),
                ..parts
            })
        };
        let result = verify_data(&der, detached.then_some(content.as_slice()), &[]).unwrap();
        let s = only_signer(&result);
        assert_eq!(
            s.status,
            SignatureStatus::ContentChanged,
            "detached={detached}"
        );
        assert_eq!(
            s.certificate.as_ref().map(|c| *c.thumbprint()),
            Some(*f.rsa.cert.thumbprint()),
            "detached={detached}"
        );
    }
}

#[test]
fn include_chain_false_carries_the_signer_only() {
    let f = fixture();
    let der = sign(&f.p384, true, &options().include_chain(false));
    let result = verify(&der, true).unwrap();
    assert_eq!(
        thumbprints(&result.certificates),
        vec![*f.p384.cert.thumbprint()]
    );
    assert!(result.all_signatures_valid());
    // The signer given again in the chain is carried once.
    let der = sign_data(
        CONTENT,
        &f.p384.cert,
        &[f.p384.cert.clone(), f.root.clone(), f.root.clone()],
        &f.p384.key,
        true,
        &options(),
    )
    .unwrap();
    let result = verify(&der, true).unwrap();
    assert_eq!(
        thumbprints(&result.certificates).len(),
        2,
        "signer and root, once each"
    );
}

// --- Messages taken apart and put together again -------------------------------------------

/// The parts of a SignedData message made by [`sign_data`].
struct Parts {
    digest_algs: Vec<Vec<u8>>,
    econtent: Option<Vec<u8>>,
    certs: Option<Vec<Vec<u8>>>,
    signer_infos: Vec<Vec<u8>>,
}

fn take_apart(der: &[u8]) -> Parts {
    let ci = tlv::single(der).unwrap();
    let ci = tlv::elements(ci.value).unwrap();
    let sd = tlv::single(ci[1].value).unwrap();
    let fields = tlv::elements(sd.value).unwrap();
    let digest_algs = tlv::elements(fields[1].value)
        .unwrap()
        .iter()
        .map(|t| t.raw.to_vec())
        .collect();
    let encap = tlv::elements(fields[2].value).unwrap();
    let econtent = encap
        .get(1)
        .map(|w| tlv::single(w.value).unwrap().value.to_vec());
    let (certs, infos) = if fields.len() == 5 {
        let certs = tlv::elements(fields[3].value)
            .unwrap()
            .iter()
            .map(|t| t.raw.to_vec())
            .collect();
        (Some(certs), &fields[4])
    } else {
        (None, &fields[3])
    };
    let signer_infos = tlv::elements(infos.value)
        .unwrap()
        .iter()
        .map(|t| t.raw.to_vec())
        .collect();
    Parts {
        digest_algs,
        econtent,
        certs,
        signer_infos,
    }
}

fn put_together(parts: &Parts) -> Vec<u8> {
    let certs: Option<Vec<&[u8]>> = parts
        .certs
        .as_ref()
        .map(|c| c.iter().map(Vec::as_slice).collect());
    signed_data_message(
        parts.digest_algs.clone(),
        parts.econtent.as_deref(),
        certs.as_deref(),
        parts.signer_infos.clone(),
    )
    .unwrap()
}

#[test]
fn take_apart_and_put_together_is_lossless() {
    let f = fixture();
    for detached in [true, false] {
        let der = sign(&f.p256, detached, &options());
        assert_eq!(put_together(&take_apart(&der)), der);
    }
}

#[test]
fn signer_not_found_without_certificates_unless_given() {
    let f = fixture();
    for party in [&f.rsa, &f.p256] {
        let mut parts = take_apart(&sign(party, true, &options()));
        parts.certs = None;
        let der = put_together(&parts);
        let result = verify(&der, true).unwrap();
        assert!(result.certificates.is_empty());
        let s = only_signer(&result);
        assert_eq!(s.status, SignatureStatus::SignerCertificateNotFound);
        assert!(s.certificate.is_none());
        // The other attributes are still reported.
        assert_eq!(s.signing_time, Some(signing_time()));
        // Other certificates do not help ...
        let result = verify_data(&der, Some(CONTENT), &fixture().chain()).unwrap();
        assert_eq!(
            only_signer(&result).status,
            SignatureStatus::SignerCertificateNotFound
        );
        // ... the signer's does.
        let extra = [f.root.clone(), party.cert.clone()];
        let result = verify_data(&der, Some(CONTENT), &extra).unwrap();
        let s = only_signer(&result);
        assert_eq!(s.status, SignatureStatus::Valid);
        assert_eq!(
            s.certificate.as_ref().map(|c| *c.thumbprint()),
            Some(*party.cert.thumbprint())
        );
        assert!(
            result.certificates.is_empty(),
            "extra certificates are not reported as carried"
        );
    }
}

#[test]
fn duplicated_and_unreadable_certificate_entries_are_tolerated() {
    let f = fixture();
    let mut parts = take_apart(&sign(&f.p256, false, &options().include_chain(false)));
    let signer = f.p256.cert.der().to_vec();
    parts.certs = Some(vec![
        signer.clone(),
        signer.clone(),
        f.root.der().to_vec(),
        vec![0x30, 0x03, 0x02, 0x01, 0x00], // a SEQUENCE that is no certificate
        vec![0xA1, 0x02, 0x05, 0x00],       // an attribute certificate choice
        signer,
    ]);
    let result = verify(&put_together(&parts), false).unwrap();
    assert_eq!(result.certificates.len(), 2);
    assert!(result.all_signatures_valid());
}

#[test]
fn work_is_bounded() {
    let f = fixture();
    let mut parts = take_apart(&sign(&f.p256, true, &options().include_chain(false)));
    let info = parts.signer_infos[0].clone();
    // SET OF elements must differ to be counted as different signers; DER sorting keeps the
    // copies, which is all the limit needs.
    parts.signer_infos = vec![info.clone(); MAX_SIGNERS];
    let result = verify(&put_together(&parts), true).unwrap();
    assert_eq!(result.signers.len(), MAX_SIGNERS);
    assert!(result.all_signatures_valid());
    parts.signer_infos = vec![info.clone(); MAX_SIGNERS + 1];
    let err = verify(&put_together(&parts), true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);

    parts.signer_infos = vec![info];
    let cert = f.p256.cert.der().to_vec();
    parts.certs = Some(vec![cert.clone(); MAX_CERTIFICATES]);
    let result = verify(&put_together(&parts), true).unwrap();
    assert_eq!(result.certificates.len(), 1);
    parts.certs = Some(vec![cert; MAX_CERTIFICATES + 1]);
    let err = verify(&put_together(&parts), true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
}

#[test]
fn element_lists_are_read_only_up_to_one_past_their_limit() {
    let f = fixture();
    let mut parts = take_apart(&sign(&f.p256, true, &options().include_chain(false)));
    // 100,000 empty "certificates": the limit answers after reading 201 of them (the list is
    // not collected first: `tlv::elements_at_most`).
    parts.certs = Some(vec![vec![0x30, 0x00]; 100_000]);
    let err = verify(&put_together(&parts), true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(
        err.to_string().contains("more than 200 certificates"),
        "{err}"
    );

    let mut parts = take_apart(&sign(&f.p256, true, &options().include_chain(false)));
    let info = parts.signer_infos[0].clone();
    parts.signer_infos = vec![info; 10_000];
    let err = verify(&put_together(&parts), true).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded, "{err}");
    assert!(err.to_string().contains("more than 16 signatures"), "{err}");
}

#[test]
fn several_signers_are_each_reported() {
    let f = fixture();
    let a = take_apart(&sign(&f.rsa, false, &options().include_chain(false)));
    let b = take_apart(&sign(&f.ed25519, false, &options().include_chain(false)));
    let parts = Parts {
        digest_algs: [a.digest_algs, b.digest_algs].concat(),
        econtent: a.econtent,
        certs: Some([a.certs.unwrap(), b.certs.unwrap()].concat()),
        signer_infos: [a.signer_infos, b.signer_infos].concat(),
    };
    let result = verify(&put_together(&parts), false).unwrap();
    assert_eq!(result.signers.len(), 2);
    assert!(result.all_signatures_valid());
    let mut found: Vec<Thumbprint> = result
        .signers
        .iter()
        .map(|s| *s.certificate.as_ref().unwrap().thumbprint())
        .collect();
    found.sort();
    let mut expected = vec![*f.rsa.cert.thumbprint(), *f.ed25519.cert.thumbprint()];
    expected.sort();
    assert_eq!(found, expected);
}

/// A SignerInfo signed by `party` over `signed` (already the bytes to sign), with the given
/// identifier, digest algorithm and signed attributes (as a SET, or None).
fn custom_signer_info(
    party: &Party,
    sid: &[u8],
    digest_alg: &[u8],
    signed_attrs: Option<&[u8]>,
    scheme: SignatureScheme,
    signature_alg: &AlgorithmIdentifierOwned,
    signed: &[u8],
) -> Vec<u8> {
    let signature = party.key.sign(scheme, signed).unwrap();
    let version: &[u8] = if sid[0] == 0x80 {
        &[0x02, 0x01, 0x03]
    } else {
        &[0x02, 0x01, 0x01]
    };
    let attrs = signed_attrs.map(|a| [&[0xA0][..], &a[1..]].concat());
    let sig_alg = signature_alg.to_der().unwrap();
    let sig = der_tlv(0x04, &[&signature]);
    let mut parts: Vec<&[u8]> = vec![version, sid, digest_alg];
    if let Some(a) = &attrs {
        parts.push(a);
    }
    parts.extend([sig_alg.as_slice(), sig.as_slice()]);
    der_tlv(0x30, &parts)
}

fn issuer_and_serial(cert: &Certificate) -> Vec<u8> {
    let serial = der_tlv(
        0x02,
        &[cert.x509().tbs_certificate().serial_number().as_bytes()],
    );
    der_tlv(0x30, &[cert.issuer_der(), &serial])
}

/// A message with one custom SignerInfo, the content encapsulated and `party`'s certificate.
fn message_with(party: &Party, digest_alg: &[u8], info: Vec<u8>) -> Vec<u8> {
    signed_data_message(
        vec![digest_alg.to_vec()],
        Some(CONTENT),
        Some(&[party.cert.der()]),
        vec![info],
    )
    .unwrap()
}

#[test]
fn signatures_without_signed_attributes_are_over_the_content() {
    let f = fixture();
    // RSA, as old clients wrote it: rsaEncryption, no signed attributes.
    let sha256 = digest_algorithm(HashAlg::Sha256).unwrap();
    let rsa_encryption = AlgorithmIdentifierOwned {
        oid: oid::RSA_ENCRYPTION,
        parameters: Some(AnyRef::from(Null).into()),
    };
    let info = custom_signer_info(
        &f.rsa,
        &issuer_and_serial(&f.rsa.cert),
        &sha256,
        None,
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
        &rsa_encryption,
        CONTENT,
    );
    let der = message_with(&f.rsa, &sha256, info);
    let result = verify(&der, false).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.status, SignatureStatus::Valid);
    assert_eq!(s.signature_algorithm, "sha256WithRSAEncryption");
    assert_eq!(s.signing_time, None);
    assert!(s.capabilities.is_empty());
    // Without a messageDigest, a changed content breaks the signature itself.
    let mut changed = der.clone();
    let at = find(&changed, CONTENT).unwrap();
    changed[at] ^= 0x01;
    let result = verify(&changed, false).unwrap();
    assert!(matches!(
        only_signer(&result).status,
        SignatureStatus::BadSignature(_)
    ));

    // Ed25519 (pure) over the content.
    let sha512 = digest_algorithm(HashAlg::Sha512).unwrap();
    let info = custom_signer_info(
        &f.ed25519,
        &issuer_and_serial(&f.ed25519.cert),
        &sha512,
        None,
        SignatureScheme::Ed25519,
        &crate::key::algorithm_identifier(SignatureScheme::Ed25519).unwrap(),
        CONTENT,
    );
    let result = verify(&message_with(&f.ed25519, &sha512, info), false).unwrap();
    assert_eq!(only_signer(&result).status, SignatureStatus::Valid);
}

#[test]
fn signer_identified_by_subject_key_identifier() {
    let f = fixture();
    let sha256 = digest_algorithm(HashAlg::Sha256).unwrap();
    let attrs = signed_attributes(&digest(HashAlg::Sha256, CONTENT), &options()).unwrap();
    let ski = f.p256.cert.subject_key_id().unwrap();
    let info = custom_signer_info(
        &f.p256,
        &der_tlv(0x80, &[ski]),
        &sha256,
        Some(&attrs),
        SignatureScheme::Ecdsa(HashAlg::Sha256),
        &crate::key::algorithm_identifier(SignatureScheme::Ecdsa(HashAlg::Sha256)).unwrap(),
        &attrs,
    );
    // Among other certificates, the one with that key identifier is found.
    let der = signed_data_message(
        vec![sha256],
        Some(CONTENT),
        Some(&[f.root.der(), f.p384.cert.der(), f.p256.cert.der()]),
        vec![info],
    )
    .unwrap();
    let result = verify(&der, false).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.status, SignatureStatus::Valid);
    assert_eq!(
        s.certificate.as_ref().map(|c| *c.thumbprint()),
        Some(*f.p256.cert.thumbprint())
    );
}

/// Signs `attrs` (a list of encoded Attributes) as the signed attributes of a P-256 signer.
fn with_attributes(attrs: Vec<Vec<u8>>) -> SignatureStatus {
    let f = fixture();
    let sha256 = digest_algorithm(HashAlg::Sha256).unwrap();
    let set = der_set_of(0x31, attrs);
    let info = custom_signer_info(
        &f.p256,
        &issuer_and_serial(&f.p256.cert),
        &sha256,
        Some(&set),
        SignatureScheme::Ecdsa(HashAlg::Sha256),
        &crate::key::algorithm_identifier(SignatureScheme::Ecdsa(HashAlg::Sha256)).unwrap(),
        &set,
    );
    let result = verify(&message_with(&f.p256, &sha256, info), false).unwrap();
    only_signer(&result).status.clone()
}

#[test]
fn signed_attributes_must_be_as_rfc_5652_requires() {
    let content_type = |o: ObjectIdentifier| attribute(ATTR_CONTENT_TYPE, &o.to_der().unwrap());
    let md = |d: &[u8]| attribute(ATTR_MESSAGE_DIGEST, &der_tlv(0x04, &[d]));
    let good_md = digest(HashAlg::Sha256, CONTENT);

    // The minimal correct set verifies.
    assert_eq!(
        with_attributes(vec![content_type(ID_DATA).unwrap(), md(&good_md).unwrap()]),
        SignatureStatus::Valid
    );
    let bad = |status: SignatureStatus, failure: SignatureFailure, needle: &str| match status {
        SignatureStatus::BadSignature(m) => {
            assert!(m.to_string().contains(needle), "{m}");
            assert_eq!(m, failure);
        }
        other => panic!("expected a bad signature about {needle}, got {other:?}"),
    };
    bad(
        with_attributes(vec![md(&good_md).unwrap()]),
        SignatureFailure::MissingContentType,
        "lack contentType",
    );
    bad(
        with_attributes(vec![content_type(ID_DATA).unwrap()]),
        SignatureFailure::MissingMessageDigest,
        "lack messageDigest",
    );
    bad(
        with_attributes(vec![
            content_type(ID_SIGNED_DATA).unwrap(),
            md(&good_md).unwrap(),
        ]),
        SignatureFailure::ContentTypeMismatch,
        "does not match the eContentType",
    );
    bad(
        with_attributes(vec![
            content_type(ID_DATA).unwrap(),
            md(&good_md).unwrap(),
            md(&[0u8; 32]).unwrap(),
        ]),
        SignatureFailure::RepeatedAttribute(SignedAttribute::MessageDigest),
        "more than once",
    );
    // Two values in one messageDigest attribute.
    let kind = ATTR_MESSAGE_DIGEST.to_der().unwrap();
    let two_values = der_tlv(
        0x30,
        &[
            &kind,
            &der_set_of(
                0x31,
                vec![der_tlv(0x04, &[&good_md]), der_tlv(0x04, &[&[0u8; 32]])],
            ),
        ],
    );
    bad(
        with_attributes(vec![content_type(ID_DATA).unwrap(), two_values]),
        SignatureFailure::AttributeNotSingleValued(SignedAttribute::MessageDigest),
        "exactly one value",
    );
    assert_eq!(
        with_attributes(vec![
            content_type(ID_DATA).unwrap(),
            md(&[1u8; 32]).unwrap()
        ]),
        SignatureStatus::ContentChanged
    );
}

/// A signed attribute of `kind` whose values are the DER elements in `values`.
fn attr(kind: SignedAttribute, values: &[u8]) -> Attribute<'_> {
    Attribute {
        kind: kind.oid(),
        values: tlv::elements(values).unwrap(),
    }
}

#[test]
fn signed_attribute_steps_give_typed_failures() {
    use SignedAttribute::{ContentType, MessageDigest};
    let id_data = ID_DATA.to_der().unwrap();
    let octets = [0x04, 0x02, 0xab, 0xcd];
    let utf8 = [0x0c, 0x01, 0x41];

    assert_eq!(
        content_type_attribute(&[]),
        Err(SignatureFailure::MissingContentType)
    );
    assert_eq!(
        content_type_attribute(&[attr(ContentType, &id_data)]),
        Ok(())
    );
    assert_eq!(
        content_type_attribute(&[attr(ContentType, &id_data), attr(ContentType, &id_data)]),
        Err(SignatureFailure::RepeatedAttribute(ContentType))
    );
    assert_eq!(
        content_type_attribute(&[attr(ContentType, &[])]),
        Err(SignatureFailure::AttributeNotSingleValued(ContentType))
    );
    assert_eq!(
        content_type_attribute(&[attr(ContentType, &octets)]),
        Err(SignatureFailure::ContentTypeMismatch)
    );

    assert_eq!(
        message_digest_attribute(&[]),
        Err(SignatureFailure::MissingMessageDigest)
    );
    assert_eq!(
        message_digest_attribute(&[attr(MessageDigest, &octets)]),
        Ok(&[0xab, 0xcd][..])
    );
    assert_eq!(
        message_digest_attribute(&[attr(MessageDigest, &utf8)]),
        Err(SignatureFailure::MessageDigestNotOctetString)
    );

    // Both, against the content's digest: contentType is looked at first.
    let attrs = [attr(ContentType, &id_data), attr(MessageDigest, &octets)];
    assert_eq!(check_signed_attributes(&attrs, &[0xab, 0xcd]), Ok(()));
    assert_eq!(
        check_signed_attributes(&attrs, &[0xab, 0xce]),
        Err(SignatureStatus::ContentChanged)
    );
    assert_eq!(
        check_signed_attributes(&attrs[1..], &[0xab, 0xce]),
        Err(SignatureStatus::BadSignature(
            SignatureFailure::MissingContentType
        ))
    );
}

#[test]
fn bad_signature_texts_are_unchanged() {
    use SignatureFailure::*;
    use SignedAttribute::{ContentType, MessageDigest};
    let does_not_verify = "cryptographic operation failed: the signature does not verify";
    for (failure, text) in [
        (
            RepeatedAttribute(ContentType),
            "the signed attributes hold contentType more than once",
        ),
        (
            AttributeNotSingleValued(MessageDigest),
            "the messageDigest attribute must have exactly one value",
        ),
        (MissingContentType, "the signed attributes lack contentType"),
        (
            ContentTypeMismatch,
            "the contentType attribute does not match the eContentType",
        ),
        (
            MissingMessageDigest,
            "the signed attributes lack messageDigest",
        ),
        (
            MessageDigestNotOctetString,
            "the messageDigest attribute is not an OCTET STRING",
        ),
        (Signature(does_not_verify.into()), does_not_verify),
    ] {
        assert_eq!(failure.to_string(), text);
        assert_eq!(
            SignatureStatus::BadSignature(failure).to_string(),
            format!("the signature is not valid: {text}")
        );
    }
}

#[test]
fn sha1_signature_hashes_and_short_rsa_keys_are_noted_or_refused() {
    let sha1_rsa = AlgorithmIdentifierOwned {
        oid: oid::SHA1_WITH_RSA,
        parameters: None,
    };
    let sha256_rsa = AlgorithmIdentifierOwned {
        oid: oid::SHA256_WITH_RSA,
        parameters: None,
    };
    let allow_sha1 = SignerPolicy::new().allow_sha1(true);
    // SHA-1 inside the signature algorithm over a SHA-256 digest.
    let mut weak = Vec::new();
    assert_eq!(
        signature_hash(&sha1_rsa, HashAlg::Sha256, &SignerPolicy::new(), &mut weak),
        Err(Weakness::Sha1)
    );
    assert!(weak.is_empty());
    assert_eq!(
        signature_hash(&sha1_rsa, HashAlg::Sha256, &allow_sha1, &mut weak),
        Ok(())
    );
    assert_eq!(weak, vec![Weakness::Sha1SignatureHash]);
    // Over a SHA-1 digest it is the digest's weakness (noted by supported_digest), not again.
    let mut weak = Vec::new();
    assert_eq!(
        signature_hash(&sha1_rsa, HashAlg::Sha1, &SignerPolicy::new(), &mut weak),
        Ok(())
    );
    assert_eq!(
        signature_hash(
            &sha256_rsa,
            HashAlg::Sha256,
            &SignerPolicy::new(),
            &mut weak
        ),
        Ok(())
    );
    assert!(weak.is_empty());

    // An RSA-2048 signer: nothing by default; under a 3072-bit minimum, noted and refused. No
    // certificate, or an EC key: nothing.
    let f = fixture();
    let strict = SignerPolicy::new().min_rsa_bits(3072);
    assert_eq!(
        short_rsa_key(Some(&f.rsa.cert), &SignerPolicy::new(), &mut weak),
        None
    );
    assert_eq!(short_rsa_key(Some(&f.p256.cert), &strict, &mut weak), None);
    assert_eq!(short_rsa_key(None, &strict, &mut weak), None);
    assert!(weak.is_empty());
    assert_eq!(
        short_rsa_key(Some(&f.rsa.cert), &strict, &mut weak),
        Some(Weakness::ShortRsaKey {
            bits: 2048,
            minimum: 3072
        })
    );
    assert_eq!(weak, vec![Weakness::SmallRsaSignerKey { bits: 2048 }]);
}

#[test]
fn the_verdict_weighs_the_signature_check_and_the_key_size() {
    let short = Weakness::ShortRsaKey {
        bits: 512,
        minimum: 2048,
    };
    let weak = |w: &Weakness| SignatureStatus::WeakAlgorithm(w.clone());
    let does_not_verify = || Error::Crypto("the signature does not verify".into());
    assert_eq!(verdict(None, None), SignatureStatus::Valid);
    assert_eq!(verdict(None, Some(short.clone())), weak(&short));
    // A short key the check refused to use at all: weak in the policy's terms.
    assert_eq!(
        verdict(Some(Error::Weak("RSA-512".into())), Some(short.clone())),
        weak(&short)
    );
    assert_eq!(
        verdict(
            Some(Error::unsupported("RSA key", "512 bits")),
            Some(short.clone())
        ),
        weak(&short)
    );
    // A signature that does not verify stays a bad signature, short key or not.
    for short_rsa in [Some(short.clone()), None] {
        assert_eq!(
            verdict(Some(does_not_verify()), short_rsa),
            SignatureStatus::BadSignature(SignatureFailure::Signature(
                "cryptographic operation failed: the signature does not verify".into()
            ))
        );
    }
    assert_eq!(
        verdict(Some(Error::Weak("MD5".into())), None),
        SignatureStatus::WeakAlgorithm(Weakness::Other("too weak: MD5".into()))
    );
    assert_eq!(
        verdict(
            Some(Error::unsupported("signature algorithm", "1.2.3")),
            None
        ),
        SignatureStatus::Unsupported("unsupported signature algorithm: 1.2.3".into())
    );
}

#[test]
fn unsupported_digest_algorithm_is_reported() {
    let f = fixture();
    // SM3: a digest nobody here reads.
    let sm3 = der_tlv(
        0x30,
        &[&ObjectIdentifier::new_unwrap("1.2.156.10197.1.401")
            .to_der()
            .unwrap()],
    );
    let info = custom_signer_info(
        &f.p256,
        &issuer_and_serial(&f.p256.cert),
        &sm3,
        None,
        SignatureScheme::Ecdsa(HashAlg::Sha256),
        &crate::key::algorithm_identifier(SignatureScheme::Ecdsa(HashAlg::Sha256)).unwrap(),
        CONTENT,
    );
    let result = verify(&message_with(&f.p256, &sm3, info), false).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.digest, None);
    assert!(
        matches!(&s.status, SignatureStatus::Unsupported(m) if m.contains("1.2.156.10197.1.401")),
        "{:?}",
        s.status
    );
}

#[test]
fn md5_is_a_weak_algorithm_verdict() {
    let f = fixture();
    let md5 = der_tlv(
        0x30,
        &[&ObjectIdentifier::new_unwrap("1.2.840.113549.2.5")
            .to_der()
            .unwrap()],
    );
    // MD5 as the digest algorithm (the signature itself cannot be checked without MD5).
    let info = custom_signer_info(
        &f.p256,
        &issuer_and_serial(&f.p256.cert),
        &md5,
        None,
        SignatureScheme::Ecdsa(HashAlg::Sha256),
        &crate::key::algorithm_identifier(SignatureScheme::Ecdsa(HashAlg::Sha256)).unwrap(),
        CONTENT,
    );
    let result = verify(&message_with(&f.p256, &md5, info), false).unwrap();
    let s = only_signer(&result);
    assert_eq!(
        s.status,
        SignatureStatus::WeakAlgorithm(Weakness::BrokenHash { name: "MD5" })
    );
    assert_eq!(
        s.certificate.as_ref().map(|c| *c.thumbprint()),
        Some(*f.p256.cert.thumbprint()),
        "the signer is named"
    );
    assert!(s.status.to_string().contains("MD5"), "{}", s.status);
    // md5WithRSAEncryption as the signature algorithm, with a SHA-256 digest.
    let sha256 = digest_algorithm(HashAlg::Sha256).unwrap();
    let md5_rsa = AlgorithmIdentifierOwned {
        oid: MD5_WITH_RSA,
        parameters: Some(AnyRef::from(Null).into()),
    };
    let info = custom_signer_info(
        &f.rsa,
        &issuer_and_serial(&f.rsa.cert),
        &sha256,
        None,
        SignatureScheme::RsaPkcs1v15(HashAlg::Sha256),
        &md5_rsa,
        CONTENT,
    );
    let result = verify(&message_with(&f.rsa, &sha256, info), false).unwrap();
    let s = only_signer(&result);
    assert_eq!(
        s.status,
        SignatureStatus::WeakAlgorithm(Weakness::BrokenHash { name: "MD5" })
    );
    assert_eq!(s.signature_algorithm, "md5WithRSAEncryption");
}

#[test]
fn the_signer_policy_makes_short_rsa_keys_and_sha1_weak() {
    let f = fixture();
    // An RSA-2048 signer under a 3072-bit minimum: weak, named, and only that.
    let der = sign(&f.rsa, false, &options());
    let policy = SignerPolicy::new().min_rsa_bits(3072);
    let result = verify_data_with(&der, None, &[], &policy).unwrap();
    let s = only_signer(&result);
    assert_eq!(
        s.status,
        SignatureStatus::WeakAlgorithm(Weakness::ShortRsaKey {
            bits: 2048,
            minimum: 3072
        })
    );
    assert!(s.status.to_string().contains("RSA-2048"), "{}", s.status);
    assert_eq!(s.weak, vec![Weakness::SmallRsaSignerKey { bits: 2048 }]);
    assert_eq!(s.weak[0].to_string(), "RSA-2048 signer key");
    // The default policy: valid; an EC signer is not affected by the RSA minimum.
    assert_eq!(
        only_signer(&verify(&der, false).unwrap()).status,
        SignatureStatus::Valid
    );
    let ec = sign(&f.p256, false, &options());
    let result = verify_data_with(&ec, None, &[], &policy).unwrap();
    assert_eq!(only_signer(&result).status, SignatureStatus::Valid);
    // A bad signature by a short key is a bad signature first.
    let parts = take_apart(&der);
    let mut info = parts.signer_infos[0].clone();
    let last = info.len() - 1;
    info[last] ^= 0x01;
    let broken = put_together(&Parts {
        signer_infos: vec![info],
        ..parts
    });
    let result = verify_data_with(&broken, None, &[], &policy).unwrap();
    assert!(
        matches!(
            only_signer(&result).status,
            SignatureStatus::BadSignature(_)
        ),
        "{:?}",
        only_signer(&result).status
    );
}

#[test]
fn sha1_signatures_verify_and_are_reported_weak() {
    let f = fixture();
    let crate::key::Inner::Rsa(rsa_key) = f.rsa.key.inner() else {
        panic!("the RSA party has an RSA key");
    };
    let sha1 = digest_algorithm(HashAlg::Sha1).unwrap();
    let mut opts = options();
    opts.hash = HashAlg::Sha1;
    let attrs = signed_attributes(&digest(HashAlg::Sha1, CONTENT), &opts).unwrap();
    let signature = rsa_key
        .key
        .sign(
            rsa::Pkcs1v15Sign::new::<sha1::Sha1>(),
            &digest(HashAlg::Sha1, &attrs),
        )
        .unwrap();
    let rsa_encryption = AlgorithmIdentifierOwned {
        oid: oid::RSA_ENCRYPTION,
        parameters: Some(AnyRef::from(Null).into()),
    };
    let info = signer_info(
        &f.rsa.cert,
        &sha1,
        Some(&attrs),
        &rsa_encryption,
        &signature,
    )
    .unwrap();
    let der = message_with(&f.rsa, &sha1, info);
    // Refused by default: a weak-algorithm verdict.
    let result = verify(&der, false).unwrap();
    assert_eq!(
        only_signer(&result).status,
        SignatureStatus::WeakAlgorithm(Weakness::Sha1)
    );
    // Allowed (for old mail): valid, and reported weak.
    let result = verify_data_with(&der, None, &[], &SignerPolicy::new().allow_sha1(true)).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.status, SignatureStatus::Valid);
    assert_eq!(s.digest, Some(HashAlg::Sha1));
    assert_eq!(s.signature_algorithm, "sha1WithRSAEncryption");
    assert_eq!(s.weak, vec![Weakness::Sha1Digest]);
    assert_eq!(s.weak[0].to_string(), "SHA-1 digest");
    // Where SHA-1 is refused, the same signature is a weak-algorithm verdict.
    let result = verify_data_with(&der, None, &[], &SignerPolicy::new().allow_sha1(false)).unwrap();
    let s = only_signer(&result);
    assert_eq!(s.status, SignatureStatus::WeakAlgorithm(Weakness::Sha1));
    assert!(s.certificate.is_some());
}

// ---------------------------------------------------------------------------------------------
// DSA (RFC 3370): routing and parameter inheritance (RFC 3279 2.3.2), on NIST PKITS
// certificates. The DSA arithmetic is `cert::verify_signature`'s.

fn pkits(name: &str) -> Certificate {
    let path = format!(
        "{}/../tests/data/pkits/certs/{name}.crt",
        env!("CARGO_MANIFEST_DIR")
    );
    Certificate::from_der(&std::fs::read(&path).unwrap()).unwrap()
}

#[test]
fn dsa_signature_algorithms_are_routed_by_the_digest() {
    let id_dsa = AlgorithmIdentifierOwned {
        oid: ID_DSA,
        parameters: None,
    };
    assert_eq!(
        effective_algorithm(&id_dsa, HashAlg::Sha1).unwrap().oid,
        DSA_WITH_SHA1
    );
    assert_eq!(
        effective_algorithm(&id_dsa, HashAlg::Sha256).unwrap().oid,
        DSA_WITH_SHA256
    );
    let explicit = AlgorithmIdentifierOwned {
        oid: DSA_WITH_SHA256,
        parameters: None,
    };
    assert_eq!(
        effective_algorithm(&explicit, HashAlg::Sha256).unwrap(),
        explicit
    );
    assert_eq!(
        readable_algorithm(&id_dsa, Some(HashAlg::Sha1)),
        "dsa-with-SHA1"
    );
    assert_eq!(readable_algorithm(&explicit, None), "dsa-with-SHA256");
    assert!(signs_with_sha1(&DSA_WITH_SHA1));
}

#[test]
fn dsa_parameters_are_inherited_from_the_nearest_issuer_that_has_them() {
    let dsa_ca = pkits("DSACACert");
    let inherited_ca = pkits("DSAParametersInheritedCACert");
    let ee = pkits("ValidDSAParameterInheritanceTest5EE");
    let params_of = |c: &Certificate| {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(c.public_key_der()).unwrap();
        spki.algorithm.parameters.map(|p| p.to_der().unwrap())
    };
    let ca_params = params_of(&dsa_ca).expect("the DSA CA's key has parameters");
    assert!(params_of(&ee).is_none() && params_of(&inherited_ca).is_none());
    let pool = vec![ee.clone(), inherited_ca.clone(), dsa_ca.clone()];
    // Two levels up: EE -> DSA Parameters Inherited CA (none either) -> DSA CA.
    assert_eq!(
        inherited_dsa_parameters(&ee, &pool),
        Some(ca_params.clone())
    );
    assert_eq!(
        inherited_dsa_parameters(&inherited_ca, &pool),
        Some(ca_params)
    );
    // A key with its own parameters inherits nothing; without the issuers, nothing is found.
    assert_eq!(inherited_dsa_parameters(&dsa_ca, &pool), None);
    assert_eq!(
        inherited_dsa_parameters(&ee, &[inherited_ca, ee.clone()]),
        None
    );
    // Not DSA at all.
    assert_eq!(inherited_dsa_parameters(&fixture().rsa.cert, &pool), None);
}

#[test]
fn ber_indefinite_lengths_are_read() {
    let f = fixture();
    let parts = take_apart(&sign(&f.p256, false, &options()));
    let content = parts.econtent.as_ref().unwrap();
    // eContent as a constructed OCTET STRING in three segments, everything around it with
    // indefinite lengths.
    let (a, rest) = content.split_at(5);
    let (b, c) = rest.split_at(7);
    let segments = [
        der_tlv(0x04, &[a]),
        der_tlv(0x04, &[b]),
        der_tlv(0x04, &[c]),
    ]
    .concat();
    let indefinite = |tag: u8, inner: &[u8]| [&[tag, 0x80][..], inner, &[0, 0]].concat();
    let data = ID_DATA.to_der().unwrap();
    let encap = indefinite(
        0x30,
        &[
            data.as_slice(),
            &indefinite(0xA0, &indefinite(0x24, &segments)),
        ]
        .concat(),
    );
    let certs = der_set_of(0xA0, parts.certs.clone().unwrap());
    let infos = der_set_of(0x31, parts.signer_infos.clone());
    let digest_algs = der_set_of(0x31, parts.digest_algs.clone());
    let signed_data = indefinite(
        0x30,
        &[
            &[0x02, 0x01, 0x01][..],
            &digest_algs,
            &encap,
            &certs,
            &infos,
        ]
        .concat(),
    );
    let ber = indefinite(
        0x30,
        &[
            ID_SIGNED_DATA.to_der().unwrap(),
            indefinite(0xA0, &signed_data),
        ]
        .concat(),
    );
    let result = verify(&ber, false).unwrap();
    assert_eq!(result.content, CONTENT);
    assert!(result.all_signatures_valid());
}

#[test]
fn other_content_types_are_unsupported() {
    let f = fixture();
    let der = sign(&f.p256, false, &options());
    // The first id-data in the message is the eContentType: make it id-digestedData.
    let data = ID_DATA.to_der().unwrap();
    let at = find(&der, &data).unwrap();
    let mut changed = der.clone();
    changed[at + data.len() - 1] = 0x05;
    let err = verify(&changed, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("1.2.840.113549.1.7.5"), "{err}");
    // An EnvelopedData is not a signed message.
    let signed = ID_SIGNED_DATA.to_der().unwrap();
    let at = find(&der, &signed).unwrap();
    let mut changed = der;
    changed[at + signed.len() - 1] = 0x03;
    let err = verify(&changed, false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("decrypt it first"), "{err}");
}

#[test]
fn certs_only_messages_are_not_signed_messages() {
    let f = fixture();
    let mut parts = take_apart(&sign(&f.p256, false, &options()));
    parts.signer_infos.clear();
    let err = verify(&put_together(&parts), false).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Parse);
    assert!(err.to_string().contains("signature"), "{err}");
}

#[test]
fn signing_time_encoding_follows_rfc_5652() {
    let f = fixture();
    let attr_type = ATTR_SIGNING_TIME.to_der().unwrap();
    // 2049-12-31T23:59:59Z: UTCTime; 2050-01-01T00:00:00Z: GeneralizedTime.
    for (secs, tag, len) in [(2_524_607_999_i64, 0x17, 13), (2_524_608_000, 0x18, 15)] {
        let t = from_unix_seconds(secs);
        let der = sign(&f.p256, true, &SignOptions::new(t));
        let at = find(&der, &attr_type).unwrap() + attr_type.len();
        assert_eq!(der[at..at + 4], [0x31, len + 2, tag, len]);
        let result = verify(&der, true).unwrap();
        assert_eq!(only_signer(&result).signing_time, Some(t));
        assert!(result.all_signatures_valid());
    }
    let before_1970 = SystemTime::UNIX_EPOCH - std::time::Duration::from_secs(1);
    let err = sign_data(
        CONTENT,
        &f.p256.cert,
        &[],
        &f.p256.key,
        true,
        &SignOptions::new(before_1970),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
}

#[test]
fn capabilities_are_announced_as_configured() {
    let f = fixture();
    let caps = vec![
        SmimeCapability::Aes128Cbc,
        SmimeCapability::Other("1.2.3.4".into()),
        SmimeCapability::TripleDesCbc,
    ];
    let der = sign(&f.p256, true, &options().capabilities(caps.clone()));
    let result = verify(&der, true).unwrap();
    assert_eq!(only_signer(&result).capabilities, caps);

    let der = sign(&f.p256, true, &options().capabilities(Vec::new()));
    assert!(find(&der, &ATTR_SMIME_CAPABILITIES.to_der().unwrap()).is_none());
    let result = verify(&der, true).unwrap();
    assert!(only_signer(&result).capabilities.is_empty());
    assert!(result.all_signatures_valid());

    let err = sign_data(
        CONTENT,
        &f.p256.cert,
        &[],
        &f.p256.key,
        true,
        &options().capabilities(vec![SmimeCapability::Other("not an oid".into())]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);

    // RSAES-OAEP is announced with the SHA-256 parameters this library decrypts with.
    let der = sign(&f.p256, true, &options());
    let oaep = rsa::pkcs1::RsaOaepParamsRef::new::<sha2::Sha256>()
        .to_der()
        .unwrap();
    assert!(find(&der, &oaep).is_some());
}

#[test]
fn capability_oids_round_trip() {
    let named = [
        (
            SmimeCapability::Aes256Gcm,
            "2.16.840.1.101.3.4.1.46",
            "AES-256-GCM",
        ),
        (
            SmimeCapability::Aes128Gcm,
            "2.16.840.1.101.3.4.1.6",
            "AES-128-GCM",
        ),
        (
            SmimeCapability::Aes256Cbc,
            "2.16.840.1.101.3.4.1.42",
            "AES-256-CBC",
        ),
        (
            SmimeCapability::Aes128Cbc,
            "2.16.840.1.101.3.4.1.2",
            "AES-128-CBC",
        ),
        (
            SmimeCapability::Aes192Cbc,
            "2.16.840.1.101.3.4.1.22",
            "AES-192-CBC",
        ),
        (
            SmimeCapability::TripleDesCbc,
            "1.2.840.113549.3.7",
            "3DES-CBC",
        ),
        (
            SmimeCapability::RsaesOaep,
            "1.2.840.113549.1.1.7",
            "RSAES-OAEP",
        ),
    ];
    for (cap, oid, name) in named {
        assert_eq!(cap.oid(), oid);
        assert_eq!(SmimeCapability::from_oid(oid), cap);
        assert_eq!(cap.to_string(), name);
    }
    let rc2 = SmimeCapability::from_oid("1.2.840.113549.3.2");
    assert_eq!(rc2, SmimeCapability::Other("1.2.840.113549.3.2".into()));
    assert_eq!(rc2.oid(), "1.2.840.113549.3.2");
    assert_eq!(
        SmimeCapability::defaults(),
        vec![
            SmimeCapability::Aes256Gcm,
            SmimeCapability::Aes128Gcm,
            SmimeCapability::Aes256Cbc,
            SmimeCapability::Aes128Cbc,
            SmimeCapability::RsaesOaep,
        ]
    );
}

#[test]
fn der_lengths_are_minimal() {
    for (len, header) in [
        (0usize, vec![0x04, 0x00]),
        (127, vec![0x04, 0x7f]),
        (128, vec![0x04, 0x81, 0x80]),
        (255, vec![0x04, 0x81, 0xff]),
        (256, vec![0x04, 0x82, 0x01, 0x00]),
        (70_000, vec![0x04, 0x83, 0x01, 0x11, 0x70]),
    ] {
        let content = vec![0u8; len];
        let encoded = der_tlv(0x04, &[&content]);
        assert_eq!(encoded[..header.len()], header[..], "length {len}");
        assert_eq!(encoded.len(), header.len() + len);
        // The der crate reads it back.
        assert_eq!(
            der::asn1::OctetString::from_der(&encoded)
                .unwrap()
                .as_bytes()
                .len(),
            len
        );
    }
}

/// The SignedData as nested elements, each built around the one inside it (how
/// `signed_data_message` made it before it was split in pieces around the content).
fn nested_signed_data(
    digest_algs: Vec<Vec<u8>>,
    econtent: Option<&[u8]>,
    certificates: &[&[u8]],
    signer_infos: Vec<Vec<u8>>,
) -> Vec<u8> {
    let version = [0x02, 0x01, 0x01];
    let digest_algs = tlv::set_of(digest_algs);
    let data = encode_value(&ID_DATA).unwrap();
    let encap = match econtent {
        Some(c) => tlv::sequence(&[&data, &tlv::context(0, &[&tlv::octet_string(c)])]),
        None => tlv::sequence(&[&data]),
    };
    let certs = der_set_of(
        tlv::context_tag(0, true),
        certificates.iter().map(|c| c.to_vec()).collect(),
    );
    let signer_infos = tlv::set_of(signer_infos);
    let signed_data = tlv::sequence(&[&version, &digest_algs, &encap, &certs, &signer_infos]);
    let content_type = encode_value(&ID_SIGNED_DATA).unwrap();
    tlv::sequence(&[&content_type, &tlv::context(0, &[&signed_data])])
}

/// The head and tail written around the content (its length given up front) are the nested
/// encoding byte for byte, at every length where a DER length grows by an octet (the content's
/// own and each enclosing element's), and for a detached signature.
#[test]
fn the_pieces_around_the_content_are_the_nested_encoding() {
    let digest_algs = vec![digest_algorithm(HashAlg::Sha256).unwrap()];
    let cert = fixture().p256.cert.der();
    let infos = vec![der_tlv(
        0x30,
        &[&[0x02, 0x01, 0x01], &[0x04, 0x02, 0xab, 0xcd]],
    )];
    let mut lengths: Vec<usize> = (0..300).collect();
    lengths.extend(65_400..65_560);
    lengths.extend((1 << 24) - 40..(1 << 24) + 4);
    let big = vec![0x5au8; (1 << 24) + 4];
    for n in lengths {
        let content = &big[..n];
        let (head, tail) =
            signed_data_pieces(digest_algs.clone(), Some(n), Some(&[cert]), infos.clone()).unwrap();
        let nested = nested_signed_data(digest_algs.clone(), Some(content), &[cert], infos.clone());
        assert_eq!(head.len() + n + tail.len(), nested.len(), "length {n}");
        assert_eq!(head, nested[..head.len()], "head at length {n}");
        assert_eq!(&nested[head.len()..head.len() + n], content);
        assert_eq!(tail, nested[head.len() + n..], "tail at length {n}");
    }
    let (head, tail) =
        signed_data_pieces(digest_algs.clone(), None, Some(&[cert]), infos.clone()).unwrap();
    let nested = nested_signed_data(digest_algs, None, &[cert], infos);
    assert_eq!([head, tail].concat(), nested);
}
