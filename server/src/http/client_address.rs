//! Who is calling, and at which address they reached us.
//!
//! Anyone can write `X-Forwarded-For`, `X-Forwarded-Host` and
//! `X-Forwarded-Proto`. Believing them from a stranger would let one caller
//! spread its attempts over invented addresses (escaping every per-address
//! limit), put someone else's address in the audit trail, or make the API
//! hand out links to a host of their choosing. So they are read only when the
//! connection comes from a proxy that `TRUSTED_PROXIES` names, and otherwise
//! the peer address and `PUBLIC_URL` are the truth.
//!
//! Behind trusted proxies the client is the right-most `X-Forwarded-For`
//! entry that is not itself a trusted proxy: each proxy appends the address
//! it saw, so entries left of that one are the client's own say.
use std::{
    net::{IpAddr, SocketAddr},
    str::FromStr,
};

use axum::{
    extract::{ConnectInfo, Request, State},
    http::HeaderMap,
    middleware::Next,
    response::Response,
};
use ipnet::IpNet;

use crate::AppState;

/// `TRUSTED_PROXIES`: addresses or networks, comma-separated (`10.0.0.0/8, 127.0.0.1`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("{item:?} is not an IP address or network"))
            })
            .collect::<Result<_, _>>()
            .map(Self)
    }
}

impl TrustedProxies {
    pub fn trusts(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The address of the caller, as [`resolve`] established it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientAddress(pub IpAddr);

/// `scheme://host` as a trusted proxy says the caller reached us, when it says so.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ForwardedOrigin(pub String);

/// IPv4-mapped IPv6 addresses (from dual-stack sockets) are the IPv4 address.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The caller's address given the connection's `peer` and the request headers.
pub fn client_address(peer: IpAddr, headers: &HeaderMap, trusted: &TrustedProxies) -> IpAddr {
    let peer = canonical(peer);
    if !trusted.trusts(peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|item| item.trim().parse::<IpAddr>().map(canonical))
        .collect::<Result<_, _>>()
        // A list we cannot read is not evidence of anything.
        .unwrap_or_default();
    forwarded
        .iter()
        .rev()
        .find(|ip| !trusted.trusts(**ip))
        .or(forwarded.first())
        .copied()
        .unwrap_or(peer)
}

/// The origin a trusted proxy reports (`X-Forwarded-Proto` and `-Host`), if any.
pub fn forwarded_origin(
    peer: IpAddr,
    headers: &HeaderMap,
    trusted: &TrustedProxies,
) -> Option<ForwardedOrigin> {
    if !trusted.trusts(peer) {
        return None;
    }
    let first = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or_default().trim().to_string())
    };
    let host = first("x-forwarded-host").filter(|h| is_host(h))?;
    let scheme = first("x-forwarded-proto")
        .map(|p| p.to_ascii_lowercase())
        .filter(|p| p == "http" || p == "https")?;
    Some(ForwardedOrigin(format!("{scheme}://{host}")))
}

/// A host name or address with an optional port, and nothing that could end
/// the authority part of a URL (`/`, `@`, `?`, `#`, spaces).
fn is_host(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 255
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || ".-:[]".contains(c))
}

/// Stores [`ClientAddress`] (and any [`ForwardedOrigin`]) in the request's
/// extensions, for audit rows, limits and links.
pub async fn resolve(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    if let Some(peer) = peer {
        let trusted = &state.settings.trusted_proxies;
        let client = client_address(peer, req.headers(), trusted);
        let origin = forwarded_origin(peer, req.headers(), trusted);
        req.extensions_mut().insert(ClientAddress(client));
        if let Some(origin) = origin {
            req.extensions_mut().insert(origin);
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_stranger_cannot_choose_its_address_or_our_host() {
        let none = TrustedProxies::default();
        let forged = headers(&[
            ("x-forwarded-for", "203.0.113.9"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            client_address(ip("198.51.100.4"), &forged, &none),
            ip("198.51.100.4")
        );
        assert_eq!(forwarded_origin(ip("198.51.100.4"), &forged, &none), None);
        let proxies: TrustedProxies = "10.0.0.0/8".parse().unwrap();
        assert_eq!(
            client_address(ip("198.51.100.4"), &forged, &proxies),
            ip("198.51.100.4"),
            "headers from a peer that is not the proxy are ignored"
        );
    }

    #[test]
    fn behind_trusted_proxies_the_client_is_the_last_untrusted_hop() {
        let proxies: TrustedProxies = "10.0.0.0/8, 192.0.2.1".parse().unwrap();
        // The client claimed 1.2.3.4; the edge proxy saw 203.0.113.9; an
        // inner proxy (10.1.1.1) passed it on to 192.0.2.1, which called us.
        let chain = headers(&[
            ("x-forwarded-for", "1.2.3.4, 203.0.113.9"),
            ("x-forwarded-for", "10.1.1.1"),
            ("x-forwarded-host", "api.bluebutton.example"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(
            client_address(ip("192.0.2.1"), &chain, &proxies),
            ip("203.0.113.9")
        );
        assert_eq!(
            forwarded_origin(ip("192.0.2.1"), &chain, &proxies),
            Some(ForwardedOrigin("https://api.bluebutton.example".into()))
        );
        let mapped = ip("::ffff:10.0.0.5");
        assert!(
            proxies.trusts(mapped),
            "dual-stack sockets report IPv4 peers this way"
        );
        let garbled = headers(&[("x-forwarded-for", "203.0.113.9, not-an-address")]);
        assert_eq!(
            client_address(ip("192.0.2.1"), &garbled, &proxies),
            ip("192.0.2.1")
        );
        let bad_host = headers(&[
            ("x-forwarded-host", "evil.example/path@x"),
            ("x-forwarded-proto", "https"),
        ]);
        assert_eq!(forwarded_origin(ip("192.0.2.1"), &bad_host, &proxies), None);
    }

    #[test]
    fn the_setting_names_addresses_and_networks() {
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
        let parsed: TrustedProxies = "127.0.0.1, ::1, 172.16.0.0/12".parse().unwrap();
        assert!(parsed.trusts(ip("172.20.1.1")) && parsed.trusts(ip("::1")));
        assert!(!parsed.trusts(ip("172.32.0.1")));
        assert!("10.0.0.0/33".parse::<TrustedProxies>().is_err());
        assert!("proxy.internal".parse::<TrustedProxies>().is_err());
    }
}
