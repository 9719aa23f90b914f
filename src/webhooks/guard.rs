//! Where webhooks may send: public addresses only, checked after DNS resolution.
//!
//! A webhook URL is chosen by an admin, but a server that fetches any URL it is given can be
//! used to reach what only it can reach: its own loopback services, the private network, a
//! cloud's metadata endpoint (169.254.169.254). So a target must resolve to public addresses
//! when the webhook is saved, and again at each delivery (a name may change what it resolves
//! to): the HTTP client resolves through [`PublicOnly`], which drops every other address.
//! `HEADLINE_WEBHOOK_ALLOW_PRIVATE` lifts the rule.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

/// Whether an address is on the public internet: not loopback, private, link-local, shared
/// (carrier-grade NAT), unspecified, broadcast, multicast, documentation or benchmarking, in
/// IPv4 or IPv6 (an IPv4 address mapped into IPv6 is judged as IPv4).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared address space
                || (a == 198 && (b == 18 || b == 19)) // benchmarking
                || a >= 240) // reserved
        }
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public(IpAddr::V4(v4)),
            None => {
                let first = v6.segments()[0];
                !(v6.is_loopback()
                    || v6.is_unspecified()
                    || v6.is_multicast()
                    || v6.is_unique_local()
                    || v6.is_unicast_link_local()
                    || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                    || first == 0x0064 && v6.segments()[1] == 0xff9b) // NAT64 of anything
            }
        },
    }
}

/// Why a target URL is refused, if it is.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http or https URL".to_owned());
    }
    let Some(host) = url.host_str() else {
        return Err("must name a host".to_owned());
    };
    if allow_private {
        return Ok(url);
    }
    let port = url.port_or_known_default().unwrap_or(443);
    // Blocking: called on the blocking pool.
    let addrs: Vec<SocketAddr> = (host.trim_start_matches('[').trim_end_matches(']'), port)
        .to_socket_addrs()
        .map_err(|e| format!("{host} does not resolve: {e}"))?
        .collect();
    if addrs.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
        return Err(format!(
            "{host} resolves to {}, which is not a public address",
            bad.ip()
        ));
    }
    Ok(url)
}

/// Refuses a URL whose host is an address literal that is not public: such a host is never
/// resolved, so [`PublicOnly`] does not see it.
pub fn check_literal(raw: &str, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let url = Url::parse(raw).map_err(|e| format!("not a URL: {e}"))?;
    let host = url.host_str().unwrap_or_default();
    match host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        Ok(ip) if !is_public(ip) => Err(format!("{ip} is not a public address")),
        _ => Ok(()),
    }
}

/// A resolver that answers only with public addresses (see the module's text).
#[derive(Debug, Clone, Copy)]
pub struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let public: Vec<SocketAddr> = found.filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Box<dyn std::error::Error + Send + Sync> =
                    format!("{host} resolves to no public address").into();
                return Err(refused);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_and_special_addresses_are_not_public() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "::1",
            "::",
            "fc00::1",
            "fd00:ec2::254",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
        ] {
            assert!(!is_public(ip.parse().expect(ip)), "{ip}");
        }
        for ip in ["93.184.216.34", "1.1.1.1", "2606:4700:4700::1111"] {
            assert!(is_public(ip.parse().expect(ip)), "{ip}");
        }
    }

    #[test]
    fn urls_name_an_http_host() {
        assert!(check_url("ftp://example.com/", true).is_err());
        assert!(check_url("not a url", true).is_err());
        assert!(check_url("http://127.0.0.1:9/hook", true).is_ok());
        assert!(check_url("http://127.0.0.1:9/hook", false).is_err());
        assert!(check_url("http://[::1]:9/hook", false).is_err());
        assert!(check_url("http://localhost:9/hook", false).is_err());
    }

    #[test]
    fn deliveries_refuse_private_literals_and_names() {
        // An address in the URL never reaches the resolver: it is checked apart.
        assert!(check_literal("http://169.254.169.254/latest", false).is_err());
        assert!(check_literal("http://[::ffff:127.0.0.1]:9/", false).is_err());
        assert!(check_literal("http://169.254.169.254/latest", true).is_ok());
        assert!(check_literal("https://hooks.example.com/x", false).is_ok());
        // A name is resolved at every delivery, and one that resolves to loopback is refused
        // then (the rebinding case: it may have been public when the webhook was saved).
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let name: reqwest::dns::Name = "localhost".parse().expect("a name");
        let resolved = rt.block_on(PublicOnly.resolve(name));
        let refused = resolved.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(refused.contains("no public address"), "{refused}");
    }
}
