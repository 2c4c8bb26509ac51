//! The central server's storage: one trait, two backends (SQLite and
//! PostgreSQL), the same behaviour. Every write that decides something
//! (an upload against the stored revisions, a login against the failure
//! count) is one transaction inside the backend, so two requests at once
//! cannot both win.

use async_trait::async_trait;
use chrono::NaiveDate;

use crate::domain::summary::{DailySummary, PersonSummary, ReportRow};
use crate::domain::time::Instant;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database: {0}")]
    Db(String),
    #[error("{0} already exists")]
    Exists(String),
    #[error("{0}")]
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A registered kiosk and what the server knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRow {
    pub id: String,
    pub units: Vec<String>,
    pub revoked: bool,
    pub created_at: Instant,
    pub last_seen: Option<Instant>,
    /// Server time minus kiosk time at its last upload (from `Date`), ms.
    pub clock_offset_ms: Option<i64>,
    pub chain: ChainState,
    /// The newest date it sent and that date's latest revision.
    pub latest: Option<(NaiveDate, i64)>,
    /// Dates between its first summary and its newest without one.
    pub missing_days: Vec<NaiveDate>,
}

/// What the server makes of a kiosk's record chain (SPEC "Sync").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainState {
    Ok,
    /// A summary came with a shorter chain than one already seen.
    Rewound,
    /// A summary came with the same length as one seen and another head.
    Forked,
}

impl ChainState {
    pub fn as_str(self) -> &'static str {
        match self {
            ChainState::Ok => "ok",
            ChainState::Rewound => "rewound",
            ChainState::Forked => "forked",
        }
    }

    pub fn parse(s: &str) -> ChainState {
        match s {
            "rewound" => ChainState::Rewound,
            "forked" => ChainState::Forked,
            _ => ChainState::Ok,
        }
    }
}

/// A person's account: `bureau` reads, `admin` also manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Bureau,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bureau => "bureau",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "bureau" => Some(Role::Bureau),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRow {
    pub name: String,
    pub role: Role,
    pub password_hash: String,
    pub failures: u32,
    pub locked_until: Option<Instant>,
}

/// What an upload did (SPEC: 201, 200, 409).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Put {
    /// Stored (a new date, or a newer revision): 201.
    Stored,
    /// The same revision with the same content is stored already: 200.
    Same,
    /// A newer revision is stored, or the same revision with other
    /// content: 409, nothing stored. The stored revision.
    Conflict(i64),
}

/// An upload, checked (see `ingest`): the summary, its content key, and
/// what the server learned from the request.
#[derive(Debug, Clone)]
pub struct Upload {
    pub summary: DailySummary,
    /// The JSON as stored (the body, normalized).
    pub json: String,
    pub content_key: String,
    pub received_at: Instant,
    pub clock_offset_ms: Option<i64>,
}

/// One stored day of one person (the latest revision of its summary),
/// with the revisions that summary went through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonDay {
    pub kiosk_id: String,
    pub date: NaiveDate,
    pub revision: i64,
    pub received_at: Instant,
    pub person: PersonSummary,
}

/// An audit entry: logins, failed logins, exports, kiosk and user changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: Instant,
    pub who: String,
    pub action: String,
    pub detail: String,
}

#[async_trait]
pub trait Storage: Send + Sync {
    /// Creates the schema (idempotent).
    async fn init(&self) -> Result<()>;

    // ---- kiosks ----
    async fn add_kiosk(&self, id: &str, units: &[String], token_hash: &str, now: Instant) -> Result<()>;
    /// A kiosk's new token (the old one stops working).
    async fn set_kiosk_token(&self, id: &str, token_hash: &str) -> Result<()>;
    async fn revoke_kiosk(&self, id: &str) -> Result<()>;
    /// The kiosk a token belongs to (revoked ones too: the caller refuses them).
    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<KioskRow>>;
    /// Every kiosk with its state; `today` bounds the days without a summary.
    async fn kiosks(&self, today: NaiveDate) -> Result<Vec<KioskRow>>;

    // ---- summaries ----
    /// Stores an upload if it is new or a newer revision, in one
    /// transaction with the kiosk's last seen, clock offset and chain.
    async fn put_summary(&self, kiosk_id: &str, upload: &Upload) -> Result<Put>;
    /// The latest revision of every summary with a date in `[from, to]`.
    async fn latest_summaries(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<(i64, Instant, DailySummary)>>;
    /// The period report's person rows over the latest revisions in
    /// `[from, to]` (optionally of one unit), summed in the database; name
    /// and unit from each person's latest day. Unranked.
    async fn report_people(&self, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Result<Vec<ReportRow>>;
    /// One person's days in `[from, to]` (latest revisions), and for each
    /// day the instants earlier revisions were received.
    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<(i64, Instant)>)>>;

    // ---- people's accounts ----
    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()>;
    async fn user(&self, name: &str) -> Result<Option<UserRow>>;
    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant) -> Result<()>;
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<UserRow>>;
    /// Records a login attempt: a failure counts (and locks when told), a
    /// success resets the count.
    async fn login_result(&self, name: &str, ok: bool, lock_until: Option<Instant>) -> Result<()>;
    async fn add_session(&self, id_hash: &str, name: &str, csrf: &str, expires_at: Instant) -> Result<()>;
    /// The user and CSRF token of a live session.
    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>>;
    async fn end_session(&self, id_hash: &str) -> Result<()>;

    // ---- audit ----
    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()>;
    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>>;
}

/// Dates from `first` to `last` without a summary, given the sorted dates that have one.
pub fn missing_days(have: &[NaiveDate], last: NaiveDate) -> Vec<NaiveDate> {
    let Some(&first) = have.first() else { return vec![] };
    let mut out = Vec::new();
    let mut i = 0;
    for d in first.iter_days().take_while(|d| *d <= last) {
        while i < have.len() && have[i] < d {
            i += 1;
        }
        if have.get(i) != Some(&d) {
            out.push(d);
        }
    }
    out
}

/// What the chain of a new summary means against the pairs seen before.
pub fn chain_verdict(seen: &[(u64, String)], length: u64, head: &str) -> ChainState {
    if seen.iter().any(|(l, _)| *l > length) {
        ChainState::Rewound
    } else if seen.iter().any(|(l, h)| *l == length && h != head) {
        ChainState::Forked
    } else {
        ChainState::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_without_a_summary() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            missing_days(&[d("2026-11-01"), d("2026-11-03"), d("2026-11-04")], d("2026-11-06")),
            vec![d("2026-11-02"), d("2026-11-05"), d("2026-11-06")]
        );
        assert!(missing_days(&[], d("2026-11-06")).is_empty());
    }

    #[test]
    fn chain_rewound_and_forked() {
        let seen = vec![(10, "aa".to_string()), (20, "bb".to_string())];
        assert_eq!(chain_verdict(&seen, 25, "cc"), ChainState::Ok);
        assert_eq!(chain_verdict(&seen, 20, "bb"), ChainState::Ok);
        assert_eq!(chain_verdict(&seen, 20, "xx"), ChainState::Forked);
        assert_eq!(chain_verdict(&seen, 15, "dd"), ChainState::Rewound);
    }
}
