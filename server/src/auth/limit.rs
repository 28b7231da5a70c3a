//! Rate limits on guessing: login attempts per username and per client
//! address, pairing attempts per address (the `governor` crate's keyed GCRA
//! limiters). Over a limit the answer is 429 with `Retry-After`; other
//! usernames and addresses are still served. Keys are forgotten once their
//! limit has fully recovered ([`Limits::forget_idle`], from the sweep).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

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
    pub login_per_user: Rate,
    pub login_per_address: Rate,
    pub pair_per_address: Rate,
}

impl Default for LimitConfig {
    fn default() -> LimitConfig {
        LimitConfig {
            // 5 tries, then one every 20 s: 180 an hour at most per account.
            login_per_user: Rate {
                burst: 5,
                every: Duration::from_secs(20),
            },
            // A command centre behind one NAT address logs in at shift change.
            login_per_address: Rate {
                burst: 30,
                every: Duration::from_secs(2),
            },
            // 10^8 codes, 10 minutes each: ~300 tries per code's life.
            pair_per_address: Rate {
                burst: 5,
                every: Duration::from_secs(2),
            },
        }
    }
}

/// The keyed limiters.
pub struct Limits {
    per_user: DefaultKeyedRateLimiter<String>,
    per_address: DefaultKeyedRateLimiter<IpAddr>,
    pairing: DefaultKeyedRateLimiter<IpAddr>,
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
        }
    }

    /// Counts a login attempt for `username` (compared case-insensitively)
    /// from `from`.
    pub fn login(&self, username: &str, from: IpAddr) -> Result<(), Limited> {
        check(&self.per_address, &from)?;
        check(&self.per_user, &username.to_lowercase())
    }

    /// Counts a pairing attempt from `from`.
    pub fn pairing(&self, from: IpAddr) -> Result<(), Limited> {
        check(&self.pairing, &from)
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
