//! Login limits, keyed on what a caller cannot forge (`governor`'s keyed GCRA limiters):
//! - per client address (`HEADLINE_LOGIN_RATE_PER_ADDRESS` attempts a minute): one machine
//!   cannot try many accounts. The address is the TCP peer's, or, when the peer is one of
//!   `HEADLINE_TRUSTED_PROXIES`, the client that proxy names in `Forwarded` or
//!   `X-Forwarded-For`;
//! - per account (`HEADLINE_LOGIN_RATE` attempts a minute): many machines cannot guess one
//!   password. An attempt takes its token before the password is checked, so a burst of
//!   simultaneous attempts gets no more checks than the limit;
//! - an address that has logged in to an account skips that account's limit: failures from
//!   elsewhere slow an attacker down but never lock the account's owner out.
//!
//! The total of password work is bounded separately, by `auth::password::PasswordGate`. Each
//! process keeps its own counts.

use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::HttpRequest;
use actix_web::http::header;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use ipnet::IpNet;

/// How long a successful login keeps its address known to its account.
const KNOWN_FOR: Duration = Duration::from_secs(30 * 24 * 3600);
/// Known (account, address) pairs kept at most; beyond, the oldest are forgotten.
const MAX_KNOWN: usize = 100_000;

pub struct LoginLimits {
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    known: Mutex<HashMap<(String, IpAddr), Instant>>,
    attempts: AtomicU64,
}

fn per_minute(n: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN))
}

impl LoginLimits {
    pub fn new(per_account_per_minute: u32, per_address_per_minute: u32) -> Self {
        Self {
            per_address: DefaultKeyedRateLimiter::keyed(per_minute(per_address_per_minute)),
            per_account: DefaultKeyedRateLimiter::keyed(per_minute(per_account_per_minute)),
            known: Mutex::new(HashMap::new()),
            attempts: AtomicU64::new(0),
        }
    }

    /// Takes an attempt from the address's allowance and, unless the address is known to the
    /// account, the account's. `Err(seconds to wait)` when one is used up.
    pub fn attempt(&self, email: &str, address: Option<IpAddr>) -> Result<(), u64> {
        if self.attempts.fetch_add(1, Ordering::Relaxed) % 1024 == 1023 {
            // Forget keys whose allowance is full again, so that the maps stay small.
            self.per_address.retain_recent();
            self.per_account.retain_recent();
        }
        let wait = |not_until: governor::NotUntil<_>| {
            not_until
                .wait_time_from(DefaultClock::default().now())
                .as_secs()
                .max(1)
        };
        if let Some(address) = address {
            self.per_address.check_key(&address).map_err(wait)?;
        }
        if !self.is_known(email, address) {
            self.per_account
                .check_key(&email.to_owned())
                .map_err(wait)?;
        }
        Ok(())
    }

    /// Remembers that `address` logged in to the account.
    pub fn succeeded(&self, email: &str, address: Option<IpAddr>) {
        let Some(address) = address else { return };
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if known.len() >= MAX_KNOWN {
            known.retain(|_, at| at.elapsed() < KNOWN_FOR);
            if known.len() >= MAX_KNOWN {
                known.clear();
            }
        }
        known.insert((email.to_owned(), address), Instant::now());
    }

    fn is_known(&self, email: &str, address: Option<IpAddr>) -> bool {
        let Some(address) = address else {
            return false;
        };
        self.known
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(email.to_owned(), address))
            .is_some_and(|at| at.elapsed() < KNOWN_FOR)
    }
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy; then the nearest
/// address that proxy chain names that is not itself a trusted proxy (`Forwarded: for=`, else
/// `X-Forwarded-For`, read right to left, as each proxy appends the address it saw).
pub fn client_address(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    if !trusted.iter().any(|n| n.contains(&peer)) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = match req.headers().get(header::FORWARDED) {
        Some(value) => value
            .to_str()
            .unwrap_or("")
            .split(',')
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (name, value) = pair.trim().split_once('=')?;
                    name.eq_ignore_ascii_case("for")
                        .then(|| parse_node(value))?
                })
            })
            .collect(),
        None => req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(parse_node)
            .collect(),
    };
    Some(
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted.iter().any(|n| n.contains(ip)))
            .unwrap_or(peer),
    )
}

/// An address as proxies write it: `192.0.2.60`, `192.0.2.60:4711`, `"[2001:db8::1]:4711"`.
fn parse_node(text: &str) -> Option<IpAddr> {
    let text = text.trim().trim_matches('"');
    if let Ok(ip) = text.parse() {
        return Some(ip);
    }
    if let Some(rest) = text.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    text.rsplit_once(':')?.0.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().filter_map(|n| n.parse().ok()).collect()
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_names_it() {
        let peer = "10.0.0.5:40000".parse().ok();
        let from_proxy = |name: &str, value: &str| {
            let mut req = TestRequest::default().insert_header((name, value));
            if let Some(peer) = peer {
                req = req.peer_addr(peer);
            }
            req.to_http_request()
        };
        let req = from_proxy("X-Forwarded-For", "203.0.113.9, 198.51.100.7");
        // Untrusted peer: its header is anyone's to write.
        assert_eq!(client_address(&req, &[]), "10.0.0.5".parse().ok());
        // Trusted: the rightmost address that is not a trusted proxy.
        assert_eq!(
            client_address(&req, &nets(&["10.0.0.0/8"])),
            "198.51.100.7".parse().ok()
        );
        assert_eq!(
            client_address(&req, &nets(&["10.0.0.0/8", "198.51.100.0/24"])),
            "203.0.113.9".parse().ok()
        );
        let req = from_proxy(
            "Forwarded",
            r#"for=192.0.2.43, for="[2001:db8:cafe::17]:4711";proto=https"#,
        );
        assert_eq!(
            client_address(&req, &nets(&["10.0.0.0/8"])),
            "2001:db8:cafe::17".parse().ok()
        );
        let req = from_proxy("X-Forwarded-For", "not an address");
        assert_eq!(
            client_address(&req, &nets(&["10.0.0.0/8"])),
            "10.0.0.5".parse().ok()
        );
    }

    #[test]
    fn a_burst_gets_no_more_attempts_than_the_limit_and_known_addresses_pass() {
        let limits = LoginLimits::new(3, 100);
        let (owner, attacker) = ("198.51.100.7".parse().ok(), "203.0.113.9".parse().ok());
        limits.succeeded("ed@headline.test", owner);
        let allowed = (0..10)
            .filter(|_| limits.attempt("ed@headline.test", attacker).is_ok())
            .count();
        assert_eq!(allowed, 3);
        assert!(limits.attempt("ed@headline.test", owner).is_ok());
        let per_address = LoginLimits::new(100, 2);
        assert!(per_address.attempt("a@x.test", attacker).is_ok());
        assert!(per_address.attempt("b@x.test", attacker).is_ok());
        assert!(per_address.attempt("c@x.test", attacker).is_err());
    }
}
