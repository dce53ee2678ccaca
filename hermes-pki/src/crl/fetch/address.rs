//! Which IP addresses [`HttpFetcher`](super::HttpFetcher) may connect to: public (globally
//! routed) unicast addresses only, unless private addresses are allowed.
//!
//! A distribution point URL comes from a certificate, and a certificate can come from anyone:
//! without this check, `http://169.254.169.254/` or `http://127.0.0.1:8080/admin` in a
//! certificate would make the gateway send requests into its own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Whether `ip` is a public unicast address: not loopback, private (RFC 1918, fc00::/7),
/// link-local (169.254/16, fe80::/10), unspecified, broadcast, documentation, shared
/// (100.64/10), benchmarking, multicast or reserved, and not one of those written as an
/// IPv4-mapped, IPv4-compatible, NAT64 or 6to4 IPv6 address.
pub(crate) fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

/// [`is_public`] for IPv4.
fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let refused = a == 0 // "this network", 0.0.0.0 (unspecified) included
        || a == 10 // private (RFC 1918)
        || (a == 100 && (64..128).contains(&b)) // shared address space (RFC 6598)
        || a == 127 // loopback
        || (a == 169 && b == 254) // link-local (cloud metadata services live here)
        || (a == 172 && (16..32).contains(&b)) // private (RFC 1918)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments (RFC 6890)
        || (a == 192 && b == 0 && c == 2) // documentation (TEST-NET-1)
        || (a == 192 && b == 88 && c == 99) // 6to4 relay anycast (deprecated)
        || (a == 192 && b == 168) // private (RFC 1918)
        || (a == 198 && (b == 18 || b == 19)) // benchmarking (RFC 2544)
        || (a == 198 && b == 51 && c == 100) // documentation (TEST-NET-2)
        || (a == 203 && b == 0 && c == 113) // documentation (TEST-NET-3)
        || a >= 224; // multicast, reserved (240/4) and broadcast
    !refused
}

/// [`is_public`] for IPv6.
fn is_public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    // IPv4-mapped (::ffff:0:0/96) and the deprecated IPv4-compatible (::/96, which holds ::
    // and ::1 too): judged as the IPv4 address they carry, or refused for :: and ::1.
    if s[..5] == [0; 5] && (s[5] == 0xffff || s[5] == 0) {
        if s[5] == 0 && s[6] == 0 {
            return false; // ::, ::1 and the rest of ::/112
        }
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // NAT64 well-known prefix (64:ff9b::/96): the IPv4 address it reaches.
    if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return is_public_v4(embedded_v4(s[6], s[7]));
    }
    // 6to4 (2002::/16): the IPv4 address of the tunnel end.
    if s[0] == 0x2002 {
        return is_public_v4(embedded_v4(s[1], s[2]));
    }
    let refused = (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 (RFC 8215)
        || (s[0] == 0x100 && s[1..4] == [0; 3]) // discard-only (RFC 6666)
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking
        || (s[0] == 0x3fff && (s[1] & 0xf000) == 0) // documentation (3fff::/20, RFC 9637)
        || (s[0] & 0xfe00) == 0xfc00 // unique local (private)
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] & 0xff00) == 0xff00; // multicast
    !refused
}

/// The IPv4 address in two IPv6 segments.
fn embedded_v4(high: u16, low: u16) -> Ipv4Addr {
    let [a, b] = high.to_be_bytes();
    let [c, d] = low.to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
}

#[cfg(test)]
mod tests;
