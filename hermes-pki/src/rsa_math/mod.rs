//! Fixed-width modular arithmetic for RSA, and the RSA public operation.
//!
//! - [`mont`]: Montgomery arithmetic on little-endian 64-bit limbs, constant time in the values;
//!   the private operation (`key/rsa_crt/`) and the public one build on it.
//! - [`RsaPublic`]: `x^e mod n` for 2048-, 3072- and 4096-bit moduli (32, 48 or 64 limbs), and
//!   the RSASSA-PKCS1-v1_5 and RSASSA-PSS checks on it. Signature verification
//!   (`cert/signature.rs`: certificates, CRLs and CMS) and RSA encryption (`key`, CMS key
//!   transport) use it; other moduli go through the `rsa` crate.
//!
//! The module sits in the foundation layer: `cert`, which verifies signatures, is below `key`,
//! which holds the private operation, and both need the arithmetic.

pub(crate) mod mont;
mod public;
#[cfg(test)]
mod tests;

#[cfg(test)]
use public::{CACHE_SIZE, Cache};
pub(crate) use public::{RsaPublic, mgf1_xor};
