//! Rate limits on guessing (the `governor` crate's GCRA limiters): login
//! attempts per username *and* client address (so nobody elsewhere can
//! lock a user out) and per address; pairing attempts per address and in
//! all (a botnet of addresses is still one limit). An address is its IPv4
//! address or its IPv6 /64 ([`addr_key`]: one host owns a whole /64). Over
//! a limit the answer is 429 with `Retry-After`; other usernames and
//! addresses are still served. Failed pairings are also counted over a
//! pairing code's lifetime ([`Limits::pairing_failed`]): after
//! [`LimitConfig::pair_void_after`] failures within 10 minutes every open
//! code is voided, so no code can be guessed more than that many times.
//! Keys are forgotten once their limit has fully recovered
//! ([`Limits::forget_idle`], from the sweep).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::VecDeque;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many attempts, and how fast they come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Attempts allowed at once.
    pub burst: u32,
    /// One attempt more per this interval.
    pub every: Duration,
}

impl Rate {
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.every.max(Duration::from_millis(1)))
            .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
            .allow_burst(burst)
    }
}

/// The limits of [`Limits`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LimitConfig {
    /// Per username and client address.
    pub login_per_user: Rate,
    pub login_per_address: Rate,
    pub pair_per_address: Rate,
    /// Every pairing attempt, whatever its address.
    pub pair_global: Rate,
    /// Failed pairings within [`PAIR_WINDOW`] that void every open code.
    pub pair_void_after: u32,
}

/// The window of [`LimitConfig::pair_void_after`]: a pairing code's lifetime.
pub const PAIR_WINDOW: Duration = super::PAIRING_CODE;

impl Default for LimitConfig {
    fn default() -> LimitConfig {
        LimitConfig {
            // 5 tries, then one every 20 s: 180 an hour at most per account
            // and address.
            login_per_user: Rate {
                burst: 5,
                every: Duration::from_secs(20),
            },
            // A command centre behind one NAT address logs in at shift change.
            login_per_address: Rate {
                burst: 30,
                every: Duration::from_secs(2),
            },
            pair_per_address: Rate {
                burst: 5,
                every: Duration::from_secs(2),
            },
            // Walls pair a few times a day; 20 at once, then one every 3 s.
            pair_global: Rate {
                burst: 20,
                every: Duration::from_secs(3),
            },
            // 10^8 codes: at most 20 guesses at any one code, a chance of
            // 2·10^-7 per code.
            pair_void_after: 20,
        }
    }
}

/// The limiters.
pub struct Limits {
    per_user: DefaultKeyedRateLimiter<(String, IpAddr)>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    pairing: DefaultKeyedRateLimiter<IpAddr>,
    pairing_global: DefaultDirectRateLimiter,
    /// When the failed pairings of the last [`PAIR_WINDOW`] happened.
    pair_failures: Mutex<VecDeque<Instant>>,
    pair_void_after: u32,
}

/// The key of an address in the limits: an IPv4 address (also when mapped
/// into IPv6) as it is, an IPv6 address cut to its /64.
pub fn addr_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(bits))
            }
        },
    }
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("users", &self.per_user.len())
            .field("addresses", &self.per_address.len())
            .finish()
    }
}

/// Over a limit: retry after this long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), Limited> {
    limiter.check_key(key).map_err(|not_until| Limited {
        retry_after: not_until.wait_time_from(DefaultClock::default().now()),
    })
}

impl Limits {
    pub fn new(c: LimitConfig) -> Limits {
        Limits {
            per_user: RateLimiter::keyed(c.login_per_user.quota()),
            per_address: RateLimiter::keyed(c.login_per_address.quota()),
            pairing: RateLimiter::keyed(c.pair_per_address.quota()),
            pairing_global: RateLimiter::direct(c.pair_global.quota()),
            pair_failures: Mutex::new(VecDeque::new()),
            pair_void_after: c.pair_void_after.max(1),
        }
    }

    /// Counts a login attempt for `username` (compared case-insensitively)
    /// from `from`.
    pub fn login(&self, username: &str, from: IpAddr) -> Result<(), Limited> {
        let from = addr_key(from);
        check(&self.per_address, &from)?;
        check(&self.per_user, &(username.to_lowercase(), from))
    }

    /// Counts a pairing attempt from `from`, and in all.
    pub fn pairing(&self, from: IpAddr) -> Result<(), Limited> {
        check(&self.pairing, &addr_key(from))?;
        self.pairing_global.check().map_err(|not_until| Limited {
            retry_after: not_until.wait_time_from(DefaultClock::default().now()),
        })
    }

    /// Counts a failed pairing; `true` when it makes
    /// [`LimitConfig::pair_void_after`] within [`PAIR_WINDOW`]: the caller
    /// voids every open code (and the count starts again).
    pub fn pairing_failed(&self) -> bool {
        let now = Instant::now();
        let mut failures = self.pair_failures.lock().unwrap_or_else(|p| p.into_inner());
        while failures
            .front()
            .is_some_and(|t| now.duration_since(*t) >= PAIR_WINDOW)
        {
            failures.pop_front();
        }
        failures.push_back(now);
        if failures.len() >= self.pair_void_after as usize {
            failures.clear();
            true
        } else {
            false
        }
    }

    /// Drops the state of keys whose limits have recovered (bounded memory
    /// against attempts under ever-new usernames).
    pub fn forget_idle(&self) {
        self.per_user.retain_recent();
        self.per_address.retain_recent();
        self.pairing.retain_recent();
        self.per_user.shrink_to_fit();
        self.per_address.shrink_to_fit();
        self.pairing.shrink_to_fit();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_user_over_the_limit_waits_while_others_pass() {
        let l = Limits::new(LimitConfig::default());
        let here: IpAddr = [10, 0, 0, 1].into();
        for _ in 0..5 {
            assert!(l.login("Operator", here).is_ok());
        }
        let limited = l.login("operator", here).unwrap_err();
        assert!(limited.retry_after > Duration::ZERO);
        assert!(limited.retry_after <= Duration::from_secs(20));
        assert!(l.login("viewer", here).is_ok());
        // The same user from elsewhere is not locked out by this address.
        assert!(l.login("operator", [10, 0, 0, 9].into()).is_ok());
    }

    #[test]
    fn an_ipv6_slash_64_is_one_address() {
        let l = Limits::new(LimitConfig::default());
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff:ffff:ffff:ffff".parse().unwrap();
        let other: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(addr_key(a), addr_key(b));
        assert_ne!(addr_key(a), addr_key(other));
        let mapped: IpAddr = "::ffff:10.1.2.3".parse().unwrap();
        assert_eq!(addr_key(mapped), IpAddr::from([10, 1, 2, 3]));
        for _ in 0..5 {
            assert!(l.pairing(a).is_ok());
        }
        assert!(l.pairing(b).is_err(), "the same /64");
        assert!(l.pairing(other).is_ok());
    }

    #[test]
    fn pairing_has_a_global_limit_over_every_address() {
        let l = Limits::new(LimitConfig::default());
        let mut passed = 0;
        for i in 0..40u8 {
            if l.pairing([10, 1, 0, i].into()).is_ok() {
                passed += 1;
            }
        }
        assert_eq!(passed, 20, "40 addresses, one attempt each");
    }

    #[test]
    fn twenty_failed_pairings_in_a_code_lifetime_void_the_codes() {
        let l = Limits::new(LimitConfig::default());
        let voids: Vec<bool> = (0..40).map(|_| l.pairing_failed()).collect();
        assert_eq!(voids.iter().filter(|v| **v).count(), 2);
        assert!(voids[19] && voids[39], "the 20th and the 40th");
    }

    #[test]
    fn an_address_over_the_limit_waits_whatever_the_username() {
        let l = Limits::new(LimitConfig::default());
        let there: IpAddr = [10, 0, 0, 2].into();
        for i in 0..30 {
            assert!(l.login(&format!("user{i}"), there).is_ok());
        }
        assert!(l.login("fresh", there).is_err());
        assert!(l.login("fresh", [10, 0, 0, 3].into()).is_ok());
    }
}
