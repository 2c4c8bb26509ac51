//! PINs of section heads and admins: Argon2id hashes (a fresh salt each
//! time; the PIN itself is never stored or printed) and the lockout after
//! repeated wrong PINs.

use crate::domain::time::Instant;

/// Whether a text is a PIN as the staff file allows it: 4 to 8 digits.
pub fn valid(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// Hashes a PIN with Argon2id.
pub fn hash(pin: &str) -> Result<String, String> {
    crate::domain::hashing::hash(pin, "PIN")
}

/// Checks a PIN against a stored Argon2 hash (a malformed hash never matches).
pub fn verify(pin: &str, hash: &str) -> bool {
    crate::domain::hashing::verify(pin, hash)
}

/// PIN failures before a lock, and how long the lock lasts.
pub const TRIES: u32 = 5;
pub const LOCK_MS: i64 = 5 * 60_000;

/// Wrong PINs count per person; five in a row lock PIN entry for five minutes.
#[derive(Debug, Default, Clone)]
pub struct Gate {
    failures: u32,
    locked_until: Option<Instant>,
}

/// The answer to a PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Wrong { left: u32 },
    Locked { until: Instant },
}

impl Gate {
    pub fn check(&mut self, ok: bool, now: Instant) -> Outcome {
        if let Some(until) = self.locked_until {
            if now < until {
                return Outcome::Locked { until };
            }
            self.locked_until = None;
            self.failures = 0;
        }
        if ok {
            self.failures = 0;
            return Outcome::Accepted;
        }
        self.failures += 1;
        if self.failures >= TRIES {
            let until = now + LOCK_MS;
            self.locked_until = Some(until);
            return Outcome::Locked { until };
        }
        Outcome::Wrong { left: TRIES - self.failures }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_round_trip() {
        let h = hash("2468").unwrap();
        assert!(verify("2468", &h));
        assert!(!verify("1357", &h));
        assert!(!h.contains("2468"));
        assert!(!verify("2468", "not a hash"));
    }

    #[test]
    fn five_wrong_pins_lock_for_five_minutes() {
        let mut g = Gate::default();
        for left in (1..TRIES).rev() {
            assert_eq!(g.check(false, 0), Outcome::Wrong { left });
        }
        assert_eq!(g.check(false, 1_000), Outcome::Locked { until: 1_000 + LOCK_MS });
        assert_eq!(g.check(true, 2_000), Outcome::Locked { until: 1_000 + LOCK_MS }, "even the right PIN");
        assert_eq!(g.check(true, 1_000 + LOCK_MS), Outcome::Accepted);
        assert_eq!(g.check(false, 1_000 + LOCK_MS), Outcome::Wrong { left: TRIES - 1 }, "counting starts over");
    }
}
