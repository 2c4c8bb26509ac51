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
        // Hops are appended left to right: read from the right, past our
        // own proxies; the first other entry is the address our proxy saw.
        // Anything left of it the client wrote, so it is never reached; an
        // entry there that is not an address means no proxy of ours wrote
        // it: the peer.
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            match hop.parse::<IpAddr>().map(|ip| ip.to_canonical()) {
                Ok(ip) if self.trusts(ip) => continue,
                Ok(ip) => return ip,
                Err(_) => return peer,
            }
        }
        peer
    }
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// The address a client's tries count against: an IPv6 client's /64
/// (one host's whole allotment; counting each of its 2^64 addresses would
/// give it unlimited tries), an IPv4 client's own address.
pub fn limited_as(client: IpAddr) -> IpAddr {
    match client.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !((1u128 << 64) - 1)).into()),
        v4 => v4,
    }
}

/// Password checks one address may have waiting at once: a few addresses
/// cannot fill the shared queue.
pub const IN_FLIGHT: usize = 2;

/// Refused tries one address may have waiting out their delay at once:
/// past them a refusal is answered at once and its connection closed (a
/// client opening connections it never waits on cannot fill the server's
/// connections with delayed refusals).
pub const HELD: usize = 4;

/// Token buckets of sign-in tries, one per client address.
#[derive(Default)]
pub struct Buckets {
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    pruned: Mutex<Option<Instant>>,
    in_flight: Mutex<HashMap<IpAddr, usize>>,
    held: Mutex<HashMap<IpAddr, usize>>,
}

/// One of an address's few places (a check waiting, a refusal held);
/// given back on drop.
pub struct Place<'a> {
    places: &'a Mutex<HashMap<IpAddr, usize>>,
    client: IpAddr,
}

impl Drop for Place<'_> {
    fn drop(&mut self) {
        if let Ok(mut map) = self.places.lock() {
            if let Some(n) = map.get_mut(&self.client) {
                *n -= 1;
                if *n == 0 {
                    map.remove(&self.client);
                }
            }
        }
    }
}

/// A place in `places` for `client`, if it holds fewer than `most`.
fn place(places: &Mutex<HashMap<IpAddr, usize>>, client: IpAddr, most: usize) -> Option<Place<'_>> {
    let client = limited_as(client);
    let mut map = places.lock().ok()?;
    let n = map.entry(client).or_default();
    if *n >= most {
        return None;
    }
    *n += 1;
    Some(Place { places, client })
}

impl Buckets {
    /// A place for one more check from `client`, if it has fewer than
    /// [`IN_FLIGHT`] waiting.
    pub fn enter(&self, client: IpAddr) -> Option<Place<'_>> {
        place(&self.in_flight, client, IN_FLIGHT)
    }

    /// A place for one more delayed refusal to `client`, if it has fewer
    /// than [`HELD`].
    pub fn hold(&self, client: IpAddr) -> Option<Place<'_>> {
        place(&self.held, client, HELD)
    }

    /// Takes a try for `client`, or says how long until one is free.
    pub fn take(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let client = limited_as(client);
        let Ok(mut map) = self.buckets.lock() else { return Ok(()) };
        if map.len() >= REMEMBERED && !map.contains_key(&client) {
            // Full buckets are forgotten, at most once a second (not on
            // every new address of a flood that keeps the map full).
            if let Ok(mut pruned) = self.pruned.lock() {
                if pruned.is_none_or(|p| now.saturating_duration_since(p) >= Duration::from_secs(1)) {
                    map.retain(|_, b| refilled(b, now) < BURST);
                    *pruned = Some(now);
                }
            }
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
        let client = limited_as(client);
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
        // A proxy's "unknown" or a client's junk, left of the real hop:
        // never reached; junk as the last hop (no proxy wrote it): the peer.
        assert_eq!(p.client(local, &headers(&["x", "198.51.100.7"])), ip("198.51.100.7"));
        assert_eq!(p.client(local, &headers(&["not an address, 198.51.100.7"])), ip("198.51.100.7"));
        assert_eq!(p.client(local, &headers(&["198.51.100.7, not an address"])), ip("127.0.0.1"));
        let mapped: SocketAddr = "[::ffff:203.0.113.5]:1".parse().unwrap();
        assert_eq!(p.client(mapped, &headers(&["198.51.100.7"])), ip("203.0.113.5"));
    }

    #[test]
    fn an_ipv6_host_is_its_64_and_an_address_has_two_checks_at_once() {
        let b = Buckets::default();
        let t0 = Instant::now();
        let host = |n: u16| IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 2, n, n, n, n));
        for n in 0..BURST as u16 {
            assert!(b.take(host(n), t0).is_ok());
        }
        assert!(b.take(host(999), t0).is_err(), "another address in the same /64 shares the bucket");
        assert!(b.take(IpAddr::V6(std::net::Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1)), t0).is_ok());
        let a: IpAddr = "198.51.100.7".parse().unwrap();
        let (x, y) = (b.enter(a).unwrap(), b.enter(a).unwrap());
        assert!(b.enter(a).is_none(), "a third check waits for none");
        assert!(b.enter("198.51.100.8".parse().unwrap()).is_some());
        drop(x);
        assert!(b.enter(a).is_some(), "a place back");
        drop(y);
        let held: Vec<_> = (0..HELD).map(|_| b.hold(a).unwrap()).collect();
        assert!(b.hold(a).is_none() && b.hold("198.51.100.8".parse().unwrap()).is_some());
        drop(held);
        assert!(b.hold(a).is_some());
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
