//! Secrets: kiosk and user tokens and session ids are 32 random bytes,
//! shown once and stored only as their SHA-256 digest (a fast hash is
//! enough for random secrets: nothing to guess); passwords are stored as
//! Argon2id hashes. Nothing secret is ever logged.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new random secret, hex, with a prefix that says what it is
/// (`dck_` kiosk token, `dcu_` user token, `dcs_` session).
pub fn new_secret(prefix: &str) -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{prefix}{hex}")
}

/// The stored form of a secret.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

/// Hashes a password with Argon2id (a fresh salt each time).
pub fn hash_password(password: &str) -> Result<String, String> {
    crate::domain::hashing::hash(password, "password")
}

/// Checks a password against a stored hash (a malformed hash never matches).
pub fn verify_password(password: &str, hash: &str) -> bool {
    crate::domain::hashing::verify(password, hash)
}

/// Compares two strings in time that does not depend on where they differ.
pub fn same(a: &str, b: &str) -> bool {
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] for bytes.
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_random_and_stored_as_digests() {
        let a = new_secret("dck_");
        assert!(a.starts_with("dck_") && a.len() == 68);
        assert_ne!(a, new_secret("dck_"));
        assert_eq!(digest(&a).len(), 64);
        assert!(!digest(&a).contains(&a[4..]));
        let h = hash_password("secret pass").unwrap();
        assert!(verify_password("secret pass", &h) && !verify_password("other", &h));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("abc", "ab"));
    }
}
