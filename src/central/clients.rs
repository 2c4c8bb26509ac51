//! Who is asking, and how often they may try to sign in.
//!
//! The client's address is the peer's, or — when the peer is a trusted
//! reverse proxy (loopback by default, as README's nginx setup) — the
//! last address in `X-Forwarded-For` that is not itself a trusted proxy.
//! Sign-in tries are limited per address by a token bucket, so that one
//! attacker's flood waits in its own bucket and not in front of everyone
//! else's login.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::http::HeaderMap;

/// Tries an address may make at once.
pub const BURST: f64 = 10.0;
/// Then one more every this many seconds (20 a minute).
pub const REFILL_S: f64 = 3.0;
/// Addresses remembered before full buckets are forgotten.
const REMEMBERED: usize = 10_000;

/// The peers whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone)]
pub struct Proxies(Vec<IpAddr>);

impl Proxies {
    /// Loopback (both families) and the addresses given.
    pub fn new(extra: &[IpAddr]) -> Proxies {
        Proxies(extra.to_vec())
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        ip.is_loopback() || ip.to_canonical().is_loopback() || self.0.contains(&ip)
    }

    /// The client behind a request that came from `peer`.
    pub fn client(&self, peer: SocketAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.ip().to_canonical();
        if !self.trusts(peer) {
            return peer;
        }
        // Hops are appended left to right: the rightmost address not ours
        // is the one our proxy saw; anything left of it the client wrote.
        let hops: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|h| h.trim().parse::<IpAddr>().map(|ip| ip.to_canonical()))
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        hops.into_iter().rev().find(|ip| !self.trusts(*ip)).unwrap_or(peer)
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Token buckets of sign-in tries, one per client address.
#[derive(Default)]
pub struct Buckets {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Buckets {
    /// Takes a try for `client`, or says how long until one is free.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() >= REMEMBERED && !map.contains_key(&client) {
            map.retain(|_, b| refilled(b, now) < BURST);
        }
        let b = map.entry(client).or_insert(Bucket { tokens: BURST, at: now });
        b.tokens = refilled(b, now);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) * REFILL_S))
        }
    }

    /// Gives a try back (a right password: only failures are limited).
    pub fn give_back(&self, client: IpAddr) {
        if let Ok(mut map) = self.buckets.lock() {
            if let Some(b) = map.get_mut(&client) {
                b.tokens = (b.tokens + 1.0).min(BURST);
            }
        }
    }
}

fn refilled(b: &Bucket, now: Instant) -> f64 {
    (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / REFILL_S).min(BURST)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(xff: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in xff {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_forwarded_address_only_from_a_trusted_proxy() {
        let p = Proxies::new(&["10.9.9.9".parse().unwrap()]);
        let local: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let outside: SocketAddr = "203.0.113.5:5000".parse().unwrap();
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(p.client(local, &headers(&[])), ip("127.0.0.1"));
        assert_eq!(p.client(local, &headers(&["198.51.100.7"])), ip("198.51.100.7"));
        // What the client wrote itself (left) is not believed.
        assert_eq!(p.client(local, &headers(&["1.2.3.4, 198.51.100.7"])), ip("198.51.100.7"));
        assert_eq!(p.client(local, &headers(&["1.2.3.4", "198.51.100.7, 10.9.9.9"])), ip("198.51.100.7"));
        // From elsewhere the header is ignored.
        assert_eq!(p.client(outside, &headers(&["198.51.100.7"])), ip("203.0.113.5"));
        // Garbage: the peer.
        assert_eq!(p.client(local, &headers(&["not an address"])), ip("127.0.0.1"));
        let mapped: SocketAddr = "[::ffff:203.0.113.5]:1".parse().unwrap();
        assert_eq!(p.client(mapped, &headers(&["198.51.100.7"])), ip("203.0.113.5"));
    }

    #[test]
    fn a_bucket_gives_a_burst_then_one_try_per_refill() {
        let b = Buckets::default();
        let (a, other) = ("198.51.100.7".parse().unwrap(), "198.51.100.8".parse().unwrap());
        let t0 = Instant::now();
        for _ in 0..BURST as usize {
            assert!(b.take(a, t0).is_ok());
        }
        let wait = b.take(a, t0).unwrap_err();
        assert!(wait > Duration::from_secs(2) && wait <= Duration::from_secs(3), "{wait:?}");
        assert!(b.take(other, t0).is_ok(), "another address has its own bucket");
        assert!(b.take(a, t0 + Duration::from_secs(3)).is_ok());
        assert!(b.take(a, t0 + Duration::from_secs(3)).is_err());
        // Long idle: full again, never more than the burst.
        let later = t0 + Duration::from_secs(3600);
        assert_eq!((0..20).filter(|_| b.take(a, later).is_ok()).count(), BURST as usize);
    }
}
