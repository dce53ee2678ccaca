//! Object identifiers the `cert` module needs.

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

pub(crate) const EMAIL_ADDRESS: Oid = Oid::new_unwrap("1.2.840.113549.1.9.1");

pub(crate) const CE_SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");
pub(crate) const CE_KEY_USAGE: Oid = Oid::new_unwrap("2.5.29.15");
pub(crate) const CE_SUBJECT_ALT_NAME: Oid = Oid::new_unwrap("2.5.29.17");
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

pub(crate) const PKCS7_SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
