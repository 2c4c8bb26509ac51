//! Argon2id hashes of short secrets people type (section heads' PINs on the
//! kiosk, bureau passwords on the central server): a fresh salt each time,
//! the secret itself never stored; a malformed stored hash never matches.

/// Hashes `secret`; `what` names it in the error ("PIN", "password").
pub fn hash(secret: &str, what: &str) -> Result<String, String> {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default()
        .hash_password(secret.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash the {what}: {e}"))
}

/// Whether `secret` matches a stored hash.
pub fn verify(secret: &str, hash: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon2::Argon2::default().verify_password(secret.as_bytes(), &h).is_ok())
}
