//! The egress policy: which addresses a Worker's `fetch()` may connect to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use motu_config::EgressSettings;

/// What a refusal adds to its message: how to allow such an address.
pub(crate) const REFUSAL_HINT: &str = "(loopback, private and other non-public addresses need `[egress] allow_private = true` or the host in `allow_hosts`; MOTU_EGRESS__ALLOW_PRIVATE=true)";

/// Where outbound connections may go: public addresses, plus non-public
/// ones when the config allows them, or for hosts it names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EgressPolicy {
    allow_private: bool,
    allow_hosts: Vec<String>,
}

impl From<&EgressSettings> for EgressPolicy {
    fn from(s: &EgressSettings) -> Self {
        Self {
            allow_private: s.allow_private,
            allow_hosts: s.allow_hosts.clone(),
        }
    }
}

impl EgressPolicy {
    /// Public addresses only (the default).
    pub fn public_only() -> Self {
        Self::default()
    }

    /// Every address, private ones included.
    pub fn allow_all() -> Self {
        Self {
            allow_private: true,
            allow_hosts: Vec::new(),
        }
    }

    /// This policy, also allowing `host` (`name` or `name:port`) whatever
    /// it resolves to.
    pub fn with_host(mut self, host: &str) -> Self {
        self.allow_hosts.push(host.to_ascii_lowercase());
        self
    }

    /// Whether `host:port` is named by the config, so any address it has
    /// may be used.
    pub fn names(&self, host: &str, port: u16) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_hosts.iter().any(|allowed| {
            let allowed = allowed.as_str();
            let bare = allowed.trim_start_matches('[');
            allowed.eq_ignore_ascii_case(host)
                || bare.trim_end_matches(']').eq_ignore_ascii_case(host)
                || allowed.eq_ignore_ascii_case(&format_host_port(host, port))
        })
    }

    /// Whether the config names `host` on any port (or on every port).
    pub fn names_on_some_port(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_hosts.iter().any(|allowed| {
            let name = match allowed.rsplit_once(':') {
                Some((name, port)) if port.parse::<u16>().is_ok() && !name.ends_with(':') => name,
                _ => allowed.as_str(),
            };
            let name = name.trim_start_matches('[').trim_end_matches(']');
            name.eq_ignore_ascii_case(host)
        })
    }

    /// Whether `ip` may be connected to for a host the config does not name.
    pub fn allows_ip(&self, ip: IpAddr) -> bool {
        self.allow_private || is_public(ip)
    }

    /// Whether non-public addresses are allowed for every host.
    pub fn allows_private(&self) -> bool {
        self.allow_private
    }
}

fn format_host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Whether `ip` is a public unicast address: not loopback, private,
/// link-local, shared (CGNAT), documentation, benchmarking, multicast,
/// reserved or unspecified.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking
        || a >= 240; // reserved
    !special
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let first = ip.segments()[0];
    let special = ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
        || first == 0x0064 && ip.segments()[1] == 0xff9b // NAT64, may reach IPv4 privates
        || ip.segments()[..6] == [0, 0, 0, 0, 0, 0]; // IPv4-compatible, deprecated
    !special
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "::1",
            "::",
            "fc00::1",
            "fd12::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip(private)), "{private}");
        }
        for public in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip(public)), "{public}");
        }
    }

    #[test]
    fn named_hosts_match_with_or_without_their_port() {
        let p = EgressPolicy::public_only()
            .with_host("LocalHost:9000")
            .with_host("10.0.0.7")
            .with_host("[::1]:81");
        assert!(p.names("localhost", 9000));
        assert!(!p.names("localhost", 9001));
        assert!(p.names("10.0.0.7", 1234));
        assert!(p.names("[::1]", 81));
        assert!(!p.names("::1", 80));
        assert!(!p.allows_ip(ip("127.0.0.1")));
        assert!(EgressPolicy::allow_all().allows_ip(ip("127.0.0.1")));
    }
}
