//! The object identifiers of the crate, each declared once: here, or taken from
//! `const_oid::db` where the database has it (a test checks those against their dotted form).
//! Other modules import them from here; a name table for display (cert/name.rs) matches on them.

use const_oid::db::{rfc2985, rfc4519, rfc5753, rfc5911, rfc5912};
use der::asn1::ObjectIdentifier as Oid;

pub(crate) const RSA_ENCRYPTION: Oid = Oid::new_unwrap("1.2.840.113549.1.1.1");
pub(crate) const RSASSA_PSS: Oid = Oid::new_unwrap("1.2.840.113549.1.1.10");
pub(crate) const MGF1: Oid = Oid::new_unwrap("1.2.840.113549.1.1.8");
pub(crate) const SHA1_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.5");
pub(crate) const SHA256_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.11");
pub(crate) const SHA384_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.12");
pub(crate) const SHA512_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.13");
pub(crate) const MD2_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.2");
pub(crate) const MD4_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.3");
pub(crate) const MD5_WITH_RSA: Oid = Oid::new_unwrap("1.2.840.113549.1.1.4");
/// id-dsa (RFC 3279 2.3.2): DSA public keys; also found as a CMS signatureAlgorithm.
pub(crate) const DSA: Oid = Oid::new_unwrap("1.2.840.10040.4.1");
/// id-dsa-with-sha1 (RFC 3279 2.2.2).
pub(crate) const DSA_SHA1: Oid = Oid::new_unwrap("1.2.840.10040.4.3");
/// id-dsa-with-sha224 (RFC 5758 3.1).
pub(crate) const DSA_SHA224: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.1");
/// id-dsa-with-sha256 (RFC 5758 3.1).
pub(crate) const DSA_SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.2");
/// id-dsa-with-sha384 (NIST CSOR).
pub(crate) const DSA_SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.3");
/// id-dsa-with-sha512 (NIST CSOR).
pub(crate) const DSA_SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.3.4");
/// ecdsa-with-SHA1 (RFC 3279 2.2.3).
pub(crate) const ECDSA_SHA1: Oid = Oid::new_unwrap("1.2.840.10045.4.1");
pub(crate) const MD2: Oid = rfc5912::ID_MD_2;
pub(crate) const MD4: Oid = Oid::new_unwrap("1.2.840.113549.2.4");
pub(crate) const MD5: Oid = rfc5912::ID_MD_5;
pub(crate) const SHA224: Oid = rfc5912::ID_SHA_224;
pub(crate) const SHA1: Oid = Oid::new_unwrap("1.3.14.3.2.26");
pub(crate) const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
pub(crate) const SHA384: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.2");
pub(crate) const SHA512: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.3");
pub(crate) const EC_PUBLIC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
pub(crate) const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
pub(crate) const ECDSA_SHA384: Oid = Oid::new_unwrap("1.2.840.10045.4.3.3");
pub(crate) const ECDSA_SHA512: Oid = Oid::new_unwrap("1.2.840.10045.4.3.4");
pub(crate) const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
pub(crate) const P384: Oid = Oid::new_unwrap("1.3.132.0.34");
pub(crate) const ED25519: Oid = Oid::new_unwrap("1.3.101.112");

// Name attribute types (RFC 4519, PKCS#9, and the CA/B Forum EV jurisdiction types).
pub(crate) const EMAIL_ADDRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.1");
pub(crate) const AT_COMMON_NAME: Oid = rfc4519::CN;
pub(crate) const AT_SURNAME: Oid = rfc4519::SN;
pub(crate) const AT_SERIAL_NUMBER: Oid = rfc4519::SERIAL_NUMBER;
pub(crate) const AT_COUNTRY: Oid = rfc4519::C;
pub(crate) const AT_LOCALITY: Oid = rfc4519::L;
pub(crate) const AT_STATE: Oid = rfc4519::ST;
pub(crate) const AT_STREET: Oid = rfc4519::STREET;
pub(crate) const AT_ORGANIZATION: Oid = rfc4519::O;
pub(crate) const AT_ORGANIZATIONAL_UNIT: Oid = rfc4519::OU;
pub(crate) const AT_TITLE: Oid = rfc4519::TITLE;
pub(crate) const AT_DESCRIPTION: Oid = rfc4519::DESCRIPTION;
pub(crate) const AT_BUSINESS_CATEGORY: Oid = rfc4519::BUSINESS_CATEGORY;
pub(crate) const AT_POSTAL_CODE: Oid = rfc4519::POSTAL_CODE;
pub(crate) const AT_NAME: Oid = rfc4519::NAME;
pub(crate) const AT_GIVEN_NAME: Oid = rfc4519::GIVEN_NAME;
pub(crate) const AT_INITIALS: Oid = rfc4519::INITIALS;
pub(crate) const AT_GENERATION_QUALIFIER: Oid = rfc4519::GENERATION_QUALIFIER;
pub(crate) const AT_DN_QUALIFIER: Oid = rfc4519::DN_QUALIFIER;
pub(crate) const AT_PSEUDONYM: Oid = Oid::new_unwrap("2.5.4.65");
pub(crate) const AT_ORGANIZATION_IDENTIFIER: Oid = Oid::new_unwrap("2.5.4.97");
pub(crate) const AT_DOMAIN_COMPONENT: Oid = rfc4519::DOMAIN_COMPONENT;
pub(crate) const AT_USER_ID: Oid = rfc4519::UID;
pub(crate) const AT_JURISDICTION_LOCALITY: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.60.2.1.1");
pub(crate) const AT_JURISDICTION_STATE: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.60.2.1.2");
pub(crate) const AT_JURISDICTION_COUNTRY: Oid = Oid::new_unwrap("1.3.6.1.4.1.311.60.2.1.3");

pub(crate) const CE_SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
pub(crate) const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
pub(crate) const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
/// issuerAltName (RFC 5280 4.2.1.7).
pub(crate) const CE_ISSUER_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.18");
pub(crate) const CE_BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");
pub(crate) const CE_CRL_DISTRIBUTION_POINTS: Oid = Oid::new_unwrap("2.5.29.31");
pub(crate) const CE_AUTHORITY_KEY_ID: Oid = Oid::new_unwrap("2.5.29.35");
pub(crate) const CE_EXT_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.37");
pub(crate) const CE_NAME_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.30");
pub(crate) const CE_CERTIFICATE_POLICIES: Oid = Oid::new_unwrap("2.5.29.32");
pub(crate) const CE_POLICY_MAPPINGS: Oid = Oid::new_unwrap("2.5.29.33");
pub(crate) const CE_INHIBIT_ANY_POLICY: Oid = Oid::new_unwrap("2.5.29.54");
pub(crate) const PE_AUTHORITY_INFO_ACCESS: Oid = Oid::new_unwrap("1.3.6.1.5.5.7.1.1");
pub(crate) const CE_CRL_NUMBER: Oid = Oid::new_unwrap("2.5.29.20");
pub(crate) const CE_CRL_REASON: Oid = Oid::new_unwrap("2.5.29.21");
pub(crate) const CE_INVALIDITY_DATE: Oid = Oid::new_unwrap("2.5.29.24");
pub(crate) const CE_DELTA_CRL_INDICATOR: Oid = Oid::new_unwrap("2.5.29.27");
pub(crate) const CE_ISSUING_DISTRIBUTION_POINT: Oid = Oid::new_unwrap("2.5.29.28");
pub(crate) const CE_CERTIFICATE_ISSUER: Oid = Oid::new_unwrap("2.5.29.29");
pub(crate) const CE_FRESHEST_CRL: Oid = Oid::new_unwrap("2.5.29.46");
pub(crate) const CE_POLICY_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.36");

// CMS / PKCS#7 content types (RFC 5652, RFC 5083).
pub(crate) const ID_DATA: Oid = rfc5911::ID_DATA;
pub(crate) const ID_SIGNED_DATA: Oid = rfc5911::ID_SIGNED_DATA;
pub(crate) const ID_ENVELOPED_DATA: Oid = rfc5911::ID_ENVELOPED_DATA;
pub(crate) const ID_ENCRYPTED_DATA: Oid = rfc5911::ID_ENCRYPTED_DATA;
pub(crate) const ID_AUTH_ENVELOPED_DATA: Oid = rfc5911::ID_CT_AUTH_ENVELOPED_DATA;

// CMS signed attributes (RFC 5652 section 11, RFC 8551 section 2.5.2).
pub(crate) const ATTR_CONTENT_TYPE: Oid = rfc5911::ID_CONTENT_TYPE;
pub(crate) const ATTR_MESSAGE_DIGEST: Oid = rfc5911::ID_MESSAGE_DIGEST;
pub(crate) const ATTR_SIGNING_TIME: Oid = rfc5911::ID_SIGNING_TIME;
pub(crate) const ATTR_SMIME_CAPABILITIES: Oid = rfc5911::SMIME_CAPABILITIES;

// PKCS#9 attributes and PKCS#12 bag types (RFC 2985, RFC 7292, RFC 9579).
pub(crate) const FRIENDLY_NAME: Oid = rfc2985::PKCS_9_AT_FRIENDLY_NAME;
pub(crate) const LOCAL_KEY_ID: Oid = rfc2985::PKCS_9_AT_LOCAL_KEY_ID;
/// extensionRequest, the CSR attribute carrying the requested extensions.
pub(crate) const EXTENSION_REQUEST: Oid = rfc2985::PKCS_9_AT_EXTENSION_REQUEST;
pub(crate) const CERT_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.3");
pub(crate) const SAFE_CONTENTS_BAG: Oid = Oid::new_unwrap("1.2.840.113549.1.12.10.1.6");
/// certTypes x509Certificate (PKCS#9): a certBag holding a DER X.509 certificate.
pub(crate) const X509_CERTIFICATE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.22.1");
/// PBMAC1 (RFC 9579), written by OpenSSL 3.4+ with `-pbmac1_pbkdf2`.
pub(crate) const PBMAC1: Oid = Oid::new_unwrap("1.2.840.113549.1.5.14");

// Content encryption (RFC 3565, RFC 5084, RFC 3370, RFC 8018).
pub(crate) const AES128_CBC: Oid = rfc5911::ID_AES_128_CBC;
pub(crate) const AES192_CBC: Oid = rfc5911::ID_AES_192_CBC;
pub(crate) const AES256_CBC: Oid = rfc5911::ID_AES_256_CBC;
pub(crate) const AES128_GCM: Oid = rfc5911::ID_AES_128_GCM;
pub(crate) const AES192_GCM: Oid = rfc5911::ID_AES_192_GCM;
pub(crate) const AES256_GCM: Oid = rfc5911::ID_AES_256_GCM;
pub(crate) const AES128_CCM: Oid = rfc5911::ID_AES_128_CCM;
pub(crate) const AES256_CCM: Oid = rfc5911::ID_AES_256_CCM;
pub(crate) const DES_EDE3_CBC: Oid = rfc5911::DES_EDE_3_CBC;
pub(crate) const DES_CBC: Oid = Oid::new_unwrap("1.3.14.3.2.7");
pub(crate) const RC2_CBC: Oid = rfc5911::RC_2_CBC;

// Key wrap (RFC 3394 / RFC 3565).
pub(crate) const AES128_WRAP: Oid = rfc5911::ID_AES_128_WRAP;
pub(crate) const AES192_WRAP: Oid = rfc5911::ID_AES_192_WRAP;
pub(crate) const AES256_WRAP: Oid = rfc5911::ID_AES_256_WRAP;

// Key transport (RFC 8017, RFC 4055).
pub(crate) const RSAES_OAEP: Oid = rfc5912::ID_RSAES_OAEP;
pub(crate) const P_SPECIFIED: Oid = rfc5912::ID_P_SPECIFIED;

// Key agreement (RFC 5753, SEC 1).
pub(crate) const ECDH_STD_SHA1: Oid = rfc5753::DH_SINGLE_PASS_STD_DH_SHA_1_KDF_SCHEME;
pub(crate) const ECDH_STD_SHA224: Oid = rfc5753::DH_SINGLE_PASS_STD_DH_SHA_224_KDF_SCHEME;
pub(crate) const ECDH_STD_SHA256: Oid = rfc5753::DH_SINGLE_PASS_STD_DH_SHA_256_KDF_SCHEME;
pub(crate) const ECDH_STD_SHA384: Oid = rfc5753::DH_SINGLE_PASS_STD_DH_SHA_384_KDF_SCHEME;
pub(crate) const ECDH_STD_SHA512: Oid = rfc5753::DH_SINGLE_PASS_STD_DH_SHA_512_KDF_SCHEME;
pub(crate) const ECDH_COFACTOR_SHA1: Oid = rfc5753::DH_SINGLE_PASS_COFACTOR_DH_SHA_1_KDF_SCHEME;
pub(crate) const ECDH_COFACTOR_SHA224: Oid = rfc5753::DH_SINGLE_PASS_COFACTOR_DH_SHA_224_KDF_SCHEME;
pub(crate) const ECDH_COFACTOR_SHA256: Oid = rfc5753::DH_SINGLE_PASS_COFACTOR_DH_SHA_256_KDF_SCHEME;
pub(crate) const ECDH_COFACTOR_SHA384: Oid = rfc5753::DH_SINGLE_PASS_COFACTOR_DH_SHA_384_KDF_SCHEME;
pub(crate) const ECDH_COFACTOR_SHA512: Oid = rfc5753::DH_SINGLE_PASS_COFACTOR_DH_SHA_512_KDF_SCHEME;

/// A readable name for an OID: the registered name when `const_oid` knows it, with the dotted
/// form (`sha256WithRSAEncryption (1.2.840.113549.1.1.11)`), else the dotted form alone.
pub(crate) fn oid_name(oid: &Oid) -> String {
    match const_oid::db::DB.by_oid(oid) {
        Some(name) => format!("{name} ({oid})"),
        None => oid.to_string(),
    }
}

#[cfg(test)]
mod tests;
