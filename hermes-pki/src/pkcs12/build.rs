//! Writing PKCS#12: certificate bags in one encrypted safe, the key in a shrouded key bag, a MAC
//! over everything (the layout OpenSSL and Windows write).

use der::Encode;
use zeroize::Zeroizing;

use super::asn1::{TAG_BMP_STRING, TAG_CONTEXT_0_PRIMITIVE, TAG_SET};
use super::crypto::{self, LegacyCipher, MacHash};
use super::{Pkcs12Options, oids};
use crate::cert::Certificate;
use crate::error::{Error, Result};
use crate::key::PrivateKey;
use crate::tlv;

/// Salt length for PBKDF2 and the modern MAC.
const SALT_LEN: usize = 16;
/// Salt length of the legacy PBEs and SHA-1 MAC (what OpenSSL and Windows write).
const LEGACY_SALT_LEN: usize = 8;

fn random<const N: usize>() -> Result<[u8; N]> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| Error::Crypto(format!("the operating system RNG failed: {e}")))?;
    Ok(buf)
}

fn random_salt(legacy: bool) -> Result<Vec<u8>> {
    let salt: [u8; SALT_LEN] = random()?;
    Ok(salt
        .get(..if legacy { LEGACY_SALT_LEN } else { SALT_LEN })
        .unwrap_or_default()
        .to_vec())
}

fn encode_failed(e: impl std::fmt::Display) -> Error {
    Error::Crypto(format!("cannot encode the PKCS#12 file: {e}"))
}

/// Encrypts `plain`; returns (DER AlgorithmIdentifier, ciphertext).
fn encrypt(
    plain: &[u8],
    password: &str,
    options: &Pkcs12Options,
    legacy_cipher: LegacyCipher,
) -> Result<(Vec<u8>, Vec<u8>)> {
    if options.legacy {
        let salt = random_salt(true)?;
        let ct = legacy_cipher.encrypt(
            &crypto::bmp_password(password),
            &salt,
            options.iterations,
            plain,
        )?;
        Ok((
            legacy_cipher.algorithm_identifier(&salt, options.iterations),
            ct,
        ))
    } else {
        let salt: [u8; SALT_LEN] = random()?;
        let iv: [u8; 16] = random()?;
        let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
            options.iterations,
            &salt,
            iv,
        )
        .map_err(encode_failed)?;
        let ct = params
            .encrypt(password.as_bytes(), plain)
            .map_err(encode_failed)?;
        let alg = pkcs5::EncryptionScheme::Pbes2(params)
            .to_der()
            .map_err(encode_failed)?;
        Ok((alg, ct))
    }
}

/// `SafeBag ::= SEQUENCE { bagId, [0] EXPLICIT bagValue, bagAttributes SET OF Attribute }`.
pub(super) fn safe_bag(
    bag_id: &der::asn1::ObjectIdentifier,
    value: &[u8],
    attrs: &[Vec<u8>],
) -> Vec<u8> {
    let oid = tlv::oid(bag_id);
    let value = tlv::context(0, &[value]);
    if attrs.is_empty() {
        return tlv::sequence(&[&oid, &value]);
    }
    // DER: SET OF sorted by encoding.
    let set = tlv::set_of(attrs.to_vec());
    tlv::sequence(&[&oid, &value, &set])
}

pub(super) fn attribute(ty: &der::asn1::ObjectIdentifier, value: &[u8]) -> Vec<u8> {
    tlv::sequence(&[&tlv::oid(ty), &tlv::tlv(TAG_SET, &[value])])
}

pub(super) fn cert_bag(cert: &Certificate, attrs: &[Vec<u8>]) -> Vec<u8> {
    let cert_bag = tlv::sequence(&[
        &tlv::oid(&oids::X509_CERTIFICATE),
        &tlv::context(0, &[&tlv::octet_string(cert.der())]),
    ]);
    safe_bag(&oids::CERT_BAG, &cert_bag, attrs)
}

/// `ContentInfo` of type data holding `bytes`.
pub(super) fn data_content_info(bytes: &[u8]) -> Vec<u8> {
    tlv::sequence(&[
        &tlv::oid(&oids::DATA),
        &tlv::context(0, &[&tlv::octet_string(bytes)]),
    ])
}

pub(super) fn export(
    certificate: &Certificate,
    key: &PrivateKey,
    chain: &[Certificate],
    password: &str,
    options: &Pkcs12Options,
) -> Result<Vec<u8>> {
    key.ensure_matches(certificate)?;
    let max = crate::key::KdfLimits::default().max_pbkdf2_iterations;
    if options.iterations == 0 || options.iterations > max {
        return Err(Error::InvalidArgument(format!(
            "PKCS#12 iteration count {} is out of range 1..={max}",
            options.iterations
        )));
    }

    // Attributes shared by the key bag and the certificate bag: friendlyName and localKeyId
    // (SHA-1 of the certificate, as OpenSSL writes it), which pair them in Windows and macOS.
    let mut attrs = Vec::new();
    if let Some(name) = &options.friendly_name {
        let bmp: Vec<u8> = name.encode_utf16().flat_map(u16::to_be_bytes).collect();
        attrs.push(attribute(
            &oids::FRIENDLY_NAME,
            &tlv::tlv(TAG_BMP_STRING, &[&bmp]),
        ));
    }
    let local_key_id = {
        use sha1::Digest;
        sha1::Sha1::digest(certificate.der())
    };
    attrs.push(attribute(
        &oids::LOCAL_KEY_ID,
        &tlv::octet_string(&local_key_id),
    ));

    // Certificates: the end-entity certificate, then the chain without duplicates.
    let mut seen = std::collections::HashSet::new();
    seen.insert(*certificate.sha256());
    let mut cert_bags = vec![cert_bag(certificate, &attrs)];
    for c in chain {
        if seen.insert(*c.sha256()) {
            cert_bags.push(cert_bag(c, &[]));
        }
    }
    let cert_safe = tlv::sequence(&cert_bags.iter().map(Vec::as_slice).collect::<Vec<_>>());
    let (cert_alg, cert_ct) = encrypt(&cert_safe, password, options, LegacyCipher::Rc2_40)?;
    let encrypted_content_info = tlv::sequence(&[
        &tlv::oid(&oids::DATA),
        &cert_alg,
        &tlv::tlv(TAG_CONTEXT_0_PRIMITIVE, &[&cert_ct]),
    ]);
    let encrypted_data = tlv::sequence(&[&tlv::integer(0), &encrypted_content_info]);
    let cert_ci = tlv::sequence(&[
        &tlv::oid(&oids::ENCRYPTED_DATA),
        &tlv::context(0, &[&encrypted_data]),
    ]);

    // The key: a pkcs8ShroudedKeyBag in a data ContentInfo (its own encryption protects it).
    let pkcs8 = key.to_pkcs8_der()?;
    let (key_alg, key_ct) = encrypt(&pkcs8, password, options, LegacyCipher::TripleDes3Key)?;
    let epki = tlv::sequence(&[&key_alg, &tlv::octet_string(&key_ct)]);
    let key_safe = tlv::sequence(&[&safe_bag(&oids::SHROUDED_KEY_BAG, &epki, &attrs)]);
    let key_ci = data_content_info(&key_safe);

    let auth_safe = tlv::sequence(&[&cert_ci, &key_ci]);
    let (hash, salt) = if options.legacy {
        (MacHash::Sha1, random_salt(true)?)
    } else {
        (MacHash::Sha256, random_salt(false)?)
    };
    let password_bmp: Zeroizing<Vec<u8>> = crypto::bmp_password(password);
    let mac_data =
        crypto::make_mac_data(hash, &password_bmp, &salt, options.iterations, &auth_safe)?;
    Ok(tlv::sequence(&[
        &tlv::integer(3),
        &data_content_info(&auth_safe),
        &mac_data,
    ]))
}
