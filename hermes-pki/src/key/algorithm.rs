//! The AlgorithmIdentifier of the signatures this library makes: one place for the CA
//! (certificates, CRLs), requests (PKCS#10) and S/MIME (CMS SignerInfo).

use der::asn1::{AnyRef, Null};
use spki::AlgorithmIdentifierOwned;

use super::{HashAlg, SignatureScheme};
use crate::cert::oid;
use crate::error::{Error, Result};

/// The AlgorithmIdentifier of a signature scheme, as certificates, CRLs, requests and CMS
/// SignerInfos carry it: RSASSA-PKCS1-v1_5 (NULL parameters), ECDSA and Ed25519 (absent
/// parameters). SHA-1 is refused ([`Error::Weak`]): new signatures never use it.
pub(crate) fn algorithm_identifier(scheme: SignatureScheme) -> Result<AlgorithmIdentifierOwned> {
    let null = || AnyRef::from(Null).into();
    let (oid, parameters) = match scheme {
        SignatureScheme::RsaPkcs1v15(h) => (
            match h {
                HashAlg::Sha256 => oid::SHA256_WITH_RSA,
                HashAlg::Sha384 => oid::SHA384_WITH_RSA,
                HashAlg::Sha512 => oid::SHA512_WITH_RSA,
                _ => return Err(Error::Weak("SHA-1 signatures are not made".into())),
            },
            Some(null()),
        ),
        SignatureScheme::Ecdsa(h) => (
            match h {
                HashAlg::Sha256 => oid::ECDSA_SHA256,
                HashAlg::Sha384 => oid::ECDSA_SHA384,
                HashAlg::Sha512 => oid::ECDSA_SHA512,
                _ => return Err(Error::Weak("SHA-1 signatures are not made".into())),
            },
            None,
        ),
        SignatureScheme::Ed25519 => (oid::ED25519, None),
        other => {
            return Err(Error::unsupported(
                "certificate signature scheme",
                format!("{other:?}"),
            ));
        }
    };
    Ok(AlgorithmIdentifierOwned { oid, parameters })
}
