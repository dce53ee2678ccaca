//! iPAddress names: iPAddress constraints (address and mask) and IP address matching.

use std::fmt;
use std::net::IpAddr;

use super::subject::SubjectNames;

/// An iPAddress constraint: an address and a contiguous mask of the same family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct IpConstraint {
    /// The address, already masked (4 or 16 octets).
    pub(super) network: Vec<u8>,
    /// The mask (as long as `network`).
    pub(super) mask: Vec<u8>,
}

impl IpConstraint {
    /// Parses the 8 (IPv4) or 32 (IPv6) octets of an iPAddress constraint: address then mask.
    /// The mask must be contiguous (ones, then zeros).
    pub(super) fn parse(octets: &[u8]) -> std::result::Result<Self, String> {
        let half = match octets.len() {
            8 => 4,
            32 => 16,
            n => {
                return Err(format!(
                    "an iPAddress constraint has {n} octets; it must have 8 (IPv4 address and \
                     mask) or 32 (IPv6 address and mask)"
                ));
            }
        };
        let (addr, mask) = octets.split_at(half);
        let mask_value = mask
            .iter()
            .fold(0u128, |acc, b| (acc << 8) | u128::from(*b));
        let bits = u32::try_from(half * 8).unwrap_or(128);
        // Left-align within u128 so leading_ones counts from the mask's first bit.
        let aligned = mask_value << (128 - bits);
        let ones = aligned.leading_ones();
        if ones < bits && (aligned << ones) != 0 {
            return Err(format!(
                "the iPAddress constraint mask {} is not contiguous",
                hex::encode(mask)
            ));
        }
        Ok(IpConstraint {
            network: addr.iter().zip(mask).map(|(a, m)| a & m).collect(),
            mask: mask.to_vec(),
        })
    }

    /// The prefix length of the mask.
    pub(super) fn prefix_len(&self) -> u32 {
        self.mask.iter().map(|b| b.count_ones()).sum()
    }

    /// Does the address fall in this subtree (same family, same network bits)?
    pub(super) fn matches(&self, ip: &IpAddr) -> bool {
        let octets: Vec<u8> = match ip {
            IpAddr::V4(v4) => v4.octets().to_vec(),
            IpAddr::V6(v6) => v6.octets().to_vec(),
        };
        octets.len() == self.network.len()
            && octets
                .iter()
                .zip(&self.mask)
                .zip(&self.network)
                .all(|((a, m), n)| a & m == *n)
    }
}

impl fmt::Display for IpConstraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let addr = match (
            <[u8; 4]>::try_from(self.network.as_slice()),
            <[u8; 16]>::try_from(self.network.as_slice()),
        ) {
            (Ok(v4), _) => IpAddr::from(v4),
            (_, Ok(v6)) => IpAddr::from(v6),
            _ => return f.write_str("?"),
        };
        write!(f, "{addr}/{}", self.prefix_len())
    }
}

/// The address in a subjectAltName iPAddress (4 or 16 octets), or `None`.
pub(super) fn ip_from_octets(octets: &[u8]) -> Option<IpAddr> {
    if let Ok(v4) = <[u8; 4]>::try_from(octets) {
        Some(IpAddr::from(v4))
    } else {
        <[u8; 16]>::try_from(octets).ok().map(IpAddr::from)
    }
}

/// Does the certificate's subjectAltName carry the IP address `wanted` (iPAddress entries
/// only, same address family: an IPv4 address never matches an IPv4-mapped IPv6 entry)?
pub(crate) fn matches_ip(cert_names: &SubjectNames, wanted: IpAddr) -> bool {
    cert_names.ip_addresses().any(|ip| ip == wanted)
}
