//! What an admin changes — units, kiosks (register, re-key, revoke) and
//! people's accounts (add, new password, unlock) — checked, stored and written to
//! the audit log in one place, for the command line and the admin pages
//! alike. A refusal the admin can fix (a bad name, a short password, a
//! unit another kiosk serves) is [`AdminError::Input`], said as is.

use super::auth;
use super::storage::{Places, Role, Storage, StorageError};
use crate::domain::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    Storage(StorageError),
}

impl From<StorageError> for AdminError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::Exists(_) | StorageError::NotFound(_) | StorageError::Refused(_) => {
                AdminError::Input(e.to_string())
            }
            e => AdminError::Storage(e),
        }
    }
}

type Result<T> = std::result::Result<T, AdminError>;

/// The shortest password an account may have.
pub const MIN_PASSWORD: usize = 8;

fn name_ok(what: &str, t: &str) -> Result<()> {
    if t.trim().is_empty() || t.trim() != t || !super::ingest::plain_text(t, 64) {
        return Err(AdminError::Input(format!(
            "{what} {t:?}: 1 to 64 characters, no control characters, no spaces at either end"
        )));
    }
    Ok(())
}

/// A kiosk id goes into the kiosk's upload URL and the admin pages'
/// paths: ASCII letters, digits, `.`, `_` and `-`, not starting with `.`.
fn kiosk_id_ok(id: &str) -> Result<()> {
    let ok = (1..=64).contains(&id.len())
        && !id.starts_with('.')
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    if !ok {
        return Err(AdminError::Input(format!(
            "kiosk id {id:?}: 1 to 64 ASCII letters, digits, '.', '_' or '-', not starting with '.'"
        )));
    }
    Ok(())
}

fn password_ok(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AdminError::Input(format!("the password must be at least {MIN_PASSWORD} characters")));
    }
    Ok(())
}

async fn hash(password: &str) -> Result<String> {
    let p = password.to_string();
    tokio::task::spawn_blocking(move || auth::hash_password(&p))
        .await
        .map_err(|e| AdminError::Storage(StorageError::Db(e.to_string())))?
        .map_err(|e| AdminError::Storage(StorageError::Db(e)))
}

/// Whether a new kiosk's id and units are acceptable (before anything is
/// opened: the command line says a bad argument first).
pub fn check_kiosk(id: &str, places: &Places<'_>) -> Result<()> {
    kiosk_id_ok(id)?;
    if places.units.is_empty() && places.doors.is_empty() {
        return Err(AdminError::Input("a kiosk serves at least one unit (--units, or --doors-for)".into()));
    }
    if let Some(u) = places.doors.iter().find(|u| places.units.contains(u)) {
        return Err(AdminError::Input(format!("unit {u}: a kiosk is its home or a door of it, not both")));
    }
    if let Some(n) = places.name {
        name_ok("kiosk name", n)?;
    }
    places.units.iter().chain(places.doors).try_for_each(|u| name_ok("unit", u))
}

/// Whether a new account's name and password are acceptable. `.` and
/// `..` are refused: as a path segment a browser would read them as a
/// step up the path.
pub fn check_user(name: &str, password: &str) -> Result<()> {
    name_ok("user name", name)?;
    if name == "." || name == ".." {
        return Err(AdminError::Input(format!("user name {name:?} is not allowed")));
    }
    password_ok(password)
}

/// Registers a kiosk at its places; its token, to be shown once.
pub async fn add_kiosk(s: &dyn Storage, who: &str, id: &str, places: &Places<'_>, now: Instant) -> Result<String> {
    check_kiosk(id, places)?;
    let token = auth::new_secret("dck_");
    s.register_kiosk(id, places, &auth::digest(&token), now).await?;
    let mut detail = format!("{id} units {}", places.units.join(", "));
    if !places.doors.is_empty() {
        detail.push_str(&format!(" doors for {}", places.doors.join(", ")));
    }
    if let Some(n) = places.name {
        detail.push_str(&format!(" name {n}"));
    }
    s.audit(who, "kiosk add", &detail, now).await?;
    Ok(token)
}

/// Whether a new unit's name (and its parent's) are acceptable.
pub fn check_unit(name: &str, parent: Option<&str>) -> Result<()> {
    name_ok("unit", name)?;
    parent.map_or(Ok(()), |p| name_ok("parent unit", p))
}

/// Adds a unit of the district (under `parent`, which must be known).
pub async fn add_unit(s: &dyn Storage, who: &str, name: &str, parent: Option<&str>, now: Instant) -> Result<()> {
    check_unit(name, parent)?;
    s.add_unit(name, parent, who, now).await?;
    s.audit(who, "unit add", &parent.map_or(name.to_string(), |p| format!("{name} under {p}")), now).await?;
    Ok(())
}

/// A new token for a kiosk (the old one stops working); to be shown once.
pub async fn rekey_kiosk(s: &dyn Storage, who: &str, id: &str, now: Instant) -> Result<String> {
    let token = auth::new_secret("dck_");
    s.set_kiosk_token(id, &auth::digest(&token)).await?;
    s.audit(who, "kiosk token", id, now).await?;
    Ok(token)
}

pub async fn revoke_kiosk(s: &dyn Storage, who: &str, id: &str, now: Instant) -> Result<()> {
    s.revoke_kiosk(id).await?;
    s.audit(who, "kiosk revoke", id, now).await?;
    Ok(())
}

pub async fn add_user(s: &dyn Storage, who: &str, name: &str, role: Role, password: &str, now: Instant) -> Result<()> {
    check_user(name, password)?;
    let hash = hash(password).await?;
    s.add_user(name, role, &hash, now).await?;
    s.audit(who, "user add", &format!("{name} {}", role.as_str()), now).await?;
    Ok(())
}

/// A new password; the account is unlocked and its sessions and script
/// tokens end.
pub async fn set_password(s: &dyn Storage, who: &str, name: &str, password: &str, now: Instant) -> Result<()> {
    password_ok(password)?;
    let hash = hash(password).await?;
    s.set_password(name, &hash).await?;
    s.audit(who, "user password", name, now).await?;
    Ok(())
}

/// Clears an account's failed logins and lock.
pub async fn unlock(s: &dyn Storage, who: &str, name: &str, now: Instant) -> Result<()> {
    if s.user(name).await?.is_none() {
        return Err(AdminError::Input(format!("no user {name}")));
    }
    s.unlock(name).await?;
    s.audit(who, "user unlock", name, now).await?;
    Ok(())
}
