//! Key generation and the operating-system RNG.

use getrandom::SysRng;
use getrandom::rand_core::UnwrapErr;
use p256::elliptic_curve::Generate;

use super::{Inner, KeySpec, MIN_RSA_BITS, PrivateKey, RsaKey};
use crate::error::{Error, Result};

/// The OS RNG as an infallible `CryptoRng`, after checking that it works (so the
/// `UnwrapErr` adapter does not panic on a broken RNG in practice).
pub(crate) fn os_rng() -> Result<UnwrapErr<SysRng>> {
    let mut probe = [0u8; 1];
    getrandom::fill(&mut probe).map_err(rng_failed)?;
    Ok(UnwrapErr(SysRng))
}

fn rng_failed(e: getrandom::Error) -> Error {
    Error::Crypto(format!("the operating system RNG failed: {e}"))
}

/// Fills `buf` from the OS RNG.
pub(crate) fn random_bytes(buf: &mut [u8]) -> Result<()> {
    getrandom::fill(buf).map_err(rng_failed)
}

pub(crate) fn generate(spec: KeySpec) -> Result<PrivateKey> {
    let inner = match spec {
        KeySpec::Rsa(bits) => {
            // A real-world RSA size below 2048 (512, 768, 1024, 1536, ...) is weak; any other
            // size that is not 2048/3072/4096 (2000, 8192, ...) is simply not offered.
            if bits < MIN_RSA_BITS && bits % 256 == 0 {
                return Err(Error::Weak(format!(
                    "RSA-{bits} is too small; use 2048, 3072 or 4096 bits"
                )));
            }
            if !matches!(bits, 2048 | 3072 | 4096) {
                return Err(Error::InvalidArgument(format!(
                    "RSA key size {bits} is not supported; use 2048, 3072 or 4096 bits"
                )));
            }
            let key = rsa::RsaPrivateKey::new(&mut os_rng()?, bits)
                .map_err(|e| Error::Crypto(format!("RSA key generation failed: {e}")))?;
            Inner::Rsa(Box::new(RsaKey::new(key)?))
        }
        KeySpec::EcP256 => {
            Inner::P256(p256::SecretKey::try_generate_from_rng(&mut SysRng).map_err(rng_failed)?)
        }
        KeySpec::EcP384 => {
            Inner::P384(p384::SecretKey::try_generate_from_rng(&mut SysRng).map_err(rng_failed)?)
        }
        KeySpec::Ed25519 => Inner::Ed25519(Box::new(ed25519_dalek::SigningKey::generate(
            &mut os_rng()?,
        ))),
    };
    PrivateKey::from_inner(inner)
}
