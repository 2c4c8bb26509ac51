//! The central server's storage: one trait per concern (kiosks,
//! summaries, record chains, accounts, master data) gathered in
//! [`Storage`], two backends (SQLite and PostgreSQL), the same behaviour. Every write that decides something
//! (an upload against the stored revisions, a login against the failure
//! count) is one transaction inside the backend, so two requests at once
//! cannot both win.

use async_trait::async_trait;
use chrono::NaiveDate;

pub use super::records::{ChainHeld, Prepared, RecordsPut};
use crate::domain::chain::WireRecord;
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
    /// A change the stored state forbids (a unit another kiosk serves).
    #[error("{0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, StorageError>;

/// A registered kiosk and what the server knows of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskRow {
    pub id: String,
    /// The units it is the home of: it judges their days and sends their summaries.
    pub units: Vec<String>,
    /// The units it is a door of (homed at another kiosk): it records
    /// their punches, which reach the home kiosk (SPEC "Doors").
    pub doors: Vec<String>,
    /// Its display name (正门, 侧门), if given.
    pub name: Option<String>,
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
    /// Bytes of summaries it had stored today (against `DAILY_BYTES`).
    pub bytes_today: i64,
    /// How far its record chain is held and verified.
    pub records: ChainHeld,
    /// Its days judged again from its records (SPEC "Records").
    pub rejudged: Rejudged,
}

/// A kiosk's summaries judged again at the server from its records: how
/// many were judged (`checked`), how many of those differ, how many wait
/// (their records or the rules they name have not all arrived), and how
/// many cannot be judged (made before the kiosk declared its rules).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rejudged {
    pub checked: u64,
    pub differing: u64,
    pub waiting: u64,
    pub unjudgeable: u64,
}

/// The state of one summary revision judged again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictState {
    Agrees,
    Differs,
    Waiting,
    /// The summary names no rules version: never judged (final).
    Unjudgeable,
}

impl VerdictState {
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictState::Agrees => "agrees",
            VerdictState::Differs => "differs",
            VerdictState::Waiting => "waiting",
            VerdictState::Unjudgeable => "unjudgeable",
        }
    }

    pub fn parse(s: &str) -> VerdictState {
        match s {
            "agrees" => VerdictState::Agrees,
            "differs" => VerdictState::Differs,
            "unjudgeable" => VerdictState::Unjudgeable,
            _ => VerdictState::Waiting,
        }
    }
}

/// One summary revision judged again: its state, and the differences (a
/// JSON array of `rejudge::Difference`) or why it waits, as `detail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredVerdict {
    pub date: NaiveDate,
    pub revision: i64,
    pub state: VerdictState,
    pub detail: String,
    pub judged_at: Instant,
}

/// A summary revision not yet judged for good: (date, revision, its JSON).
pub type Unjudged = (NaiveDate, i64, String);

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

/// A person's account: `bureau` reads and decides cases, `admin` also
/// manages, `inspector` (the discipline inspection team) reads as the
/// bureau does and records 暗访 findings, but decides nothing and manages
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Bureau,
    Admin,
    Inspector,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Bureau => "bureau",
            Role::Admin => "admin",
            Role::Inspector => "inspector",
        }
    }

    /// Records 暗访 findings.
    pub fn records_findings(self) -> bool {
        self == Role::Inspector
    }

    /// Decides cases (opens them, moves them, decides, publishes).
    pub fn decides_cases(self) -> bool {
        matches!(self, Role::Bureau | Role::Admin)
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "bureau" => Some(Role::Bureau),
            "admin" => Some(Role::Admin),
            "inspector" => Some(Role::Inspector),
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

/// A script token as listed: its id (the first 12 hex digits of its
/// digest: enough to name it, nothing to use it), when it was made and
/// until when it works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRow {
    pub id: String,
    pub created_at: Instant,
    pub expires_at: Instant,
}

/// A token's id: the first [`TOKEN_ID_LEN`] hex digits of its digest.
pub const TOKEN_ID_LEN: usize = 12;

/// How long a token made before tokens had an expiry works: 90 days from
/// when it was made (SQL over `created_at` and `expires_at`).
pub(super) const TOKEN_EXPIRY_SQL: &str = "COALESCE(t.expires_at, t.created_at + 7776000000)";

/// Summaries read in order, with the bytes of their stored JSON.
#[derive(Debug, Default)]
pub struct SummaryPage {
    /// (revision, received at, summary).
    pub rows: Vec<(i64, Instant, DailySummary)>,
    /// Whether reading stopped at the byte bound (more may follow).
    pub cut_at_bytes: bool,
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
    /// The person at `index` is another kiosk's for that date (one
    /// person's day comes from one kiosk): 409, nothing stored.
    Claimed { index: usize, staff_no: String, kiosk: String },
    /// The date has [`MAX_REVISIONS`] revisions already: 429, nothing stored.
    TooManyRevisions,
    /// The kiosk's stored uploads today (`used` bytes) and this one would
    /// pass [`DAILY_BYTES`]: 429, nothing stored.
    OverBudget { used: i64 },
}

/// A count of wrong passwords without a lock is forgotten after this long
/// without another (a lock lasts as long).
pub const LOCK_WINDOW_MS: i64 = 15 * 60_000;

/// Revisions kept of one kiosk's date: a kiosk re-sends a day after each
/// correction, a handful of times; fifty is a runaway or an attack.
pub const MAX_REVISIONS: i64 = 50;
/// Bytes of summaries a kiosk may have stored in one day (district time):
/// a day's summary of 300 people is about 150 KB, so this is a hundred
/// full revisions; one token cannot fill the disk.
pub const DAILY_BYTES: i64 = 16 * 1024 * 1024;

/// The day an upload's bytes count against (the district's date).
pub fn budget_day(received_at: Instant) -> String {
    crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, received_at).date().to_string()
}

/// The refusal, if any, of a new revision by the limits that do not
/// depend on other kiosks: the revision cap and the daily budget.
pub fn over_limits(revisions: i64, used_today: i64, body_len: usize) -> Option<Put> {
    if revisions >= MAX_REVISIONS {
        return Some(Put::TooManyRevisions);
    }
    (used_today.saturating_add(body_len as i64) > DAILY_BYTES).then_some(Put::OverBudget { used: used_today })
}

/// An upload, checked (see `ingest`): the summary, its content key, and
/// what the server learned from the request.
#[derive(Debug, Clone)]
pub struct Upload {
    pub summary: DailySummary,
    /// The JSON as stored (the body, normalized).
    pub json: String,
    pub content_key: String,
    /// The summary's `generated_at` (the kiosk's clock): orders chain points.
    pub generated_at: Instant,
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

/// An earlier revision of a person's day: when it came, and the person's
/// own row in it (`None`: they were not in that revision). A kiosk
/// re-sends a whole day for one person's correction, so the others' rows
/// are compared, not the revision numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Earlier {
    pub revision: i64,
    pub received_at: Instant,
    pub person: Option<PersonSummary>,
}

/// When a person's day became what it is now, if it was ever otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revised {
    /// The revision that first carried the person's present row.
    pub revision: i64,
    pub at: Instant,
    /// The present row counts more corrections than the row before it.
    pub after_correction: bool,
}

/// Whether `day` was revised for this person: the kiosk re-sends a whole
/// day when anyone's record changes, so a newer revision in which this
/// person's row is the same as before is not a revision of their day.
/// Walks back from the latest revision while the person's row is the
/// same; the first differing (or absent) row is what it was revised from.
pub fn revised(day: &PersonDay, earlier: &[Earlier]) -> Option<Revised> {
    let (mut revision, mut at) = (day.revision, day.received_at);
    for e in earlier.iter().rev() {
        match &e.person {
            Some(p) if *p == day.person => (revision, at) = (e.revision, e.received_at),
            before => {
                let corrections = before.as_ref().map_or(0, |p| p.figures.corrections);
                return Some(Revised { revision, at, after_correction: day.person.figures.corrections > corrections });
            }
        }
    }
    None
}

/// One day's totals over the people in scope (the report's chart).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DayCounts {
    pub late: u32,
    pub early: u32,
    /// 旷工 in sessions (half days).
    pub absent: u32,
}

/// An audit entry: logins, failed logins, exports, kiosk and user changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub at: Instant,
    pub who: String,
    pub action: String,
    pub detail: String,
}

/// A unit of the district (SPEC "Master data"): the name its people and
/// kiosks use, the unit it belongs to, and who added it when (a unit
/// first named by a kiosk's registration was added by `kiosk ID`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitRow {
    pub name: String,
    pub parent: Option<String>,
    pub added_at: Instant,
    pub added_by: String,
}

/// What the server keeps, whichever database keeps it: one trait per
/// concern, each backend implementing them all in a file per concern
/// (`sqlite/`, `postgres/`).
#[async_trait]
pub trait Storage:
    KioskStore + SummaryStore + RecordStore + AccountStore + MasterStore + CaseStore + Send + Sync
{
    /// Creates the schema (idempotent).
    async fn init(&self) -> Result<()>;
    /// Claims the background work `name` for `holder` (a server process)
    /// until `until`: `true` when it was free (never claimed, released,
    /// or its claim ran out by `now`) or already `holder`'s. Servers on
    /// one database do a piece of work once between them (see
    /// [`WORK_CLAIMS`]).
    async fn claim_work(&self, name: &str, holder: &str, until: Instant, now: Instant) -> Result<bool>;
    /// Gives up `holder`'s claim on `name` (another's is left).
    async fn release_work(&self, name: &str, holder: &str) -> Result<()>;
    /// Gives up every claim of `holder` (a server stopping).
    async fn release_claims(&self, holder: &str) -> Result<()>;
}

/// The background work servers share (the same SQL for both backends):
/// a row per piece of work, its holder and until when. A claim is one
/// statement, so two servers claiming at once get one winner.
pub const WORK_CLAIMS: &str = "
CREATE TABLE IF NOT EXISTS work_claims (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  BIGINT NOT NULL
);";

/// Claims work (`?1` name, `?2` holder, `?3` until, `?4` now): a row
/// back when the claim is the holder's.
pub const CLAIM_WORK: &str = "INSERT INTO work_claims (name, holder, until) VALUES (?1, ?2, ?3)
    ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
    WHERE work_claims.until <= ?4 OR work_claims.holder = excluded.holder
    RETURNING name";

/// Releases a claim (`?1` name, `?2` holder).
pub const RELEASE_WORK: &str = "DELETE FROM work_claims WHERE name = ?1 AND holder = ?2";

/// Releases a holder's claims (`?1` holder).
pub const RELEASE_CLAIMS: &str = "DELETE FROM work_claims WHERE holder = ?1";

/// 暗访 findings and their cases (issue 24; `central::cases` says what
/// the events mean): a finding is a numbered list of events, appended
/// only. The events are JSON; `day` is a version's date (the period a
/// finding is found by).
#[async_trait]
pub trait CaseStore: Send + Sync {
    /// A new finding with its first event (a version): its id.
    async fn add_finding(&self, by: &str, at: Instant, day: NaiveDate, event: &str) -> Result<i64>;
    /// Appends an event to finding `id` if it has `seen` events (`false`:
    /// someone appended one meanwhile, or there is no such finding).
    async fn add_case_event(
        &self,
        id: i64,
        seen: u64,
        by: &str,
        at: Instant,
        day: Option<NaiveDate>,
        event: &str,
    ) -> Result<bool>;
    /// The events of one finding, or of the findings with a version
    /// whose day is in `[from, to]`, or of all; by finding, then number.
    async fn case_events(&self, id: Option<i64>, days: Option<(NaiveDate, NaiveDate)>) -> Result<Vec<CaseEventRow>>;
    /// Keeps a finding's photo by its content name (once).
    async fn put_finding_photo(&self, name: &str, bytes: &[u8]) -> Result<()>;
    async fn finding_photo(&self, name: &str) -> Result<Option<Vec<u8>>>;
}

/// An event as the storage keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventRow {
    pub finding: i64,
    pub seq: u64,
    pub by: String,
    pub at: Instant,
    pub body: String,
}

/// The findings' tables, the same for both backends but for the id's
/// counter and the photos' bytes (`{serial}`, `{bytes}`).
pub const CASES_SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS findings (
    id      {serial},
    events  BIGINT NOT NULL,
    made_by TEXT NOT NULL,
    made_at BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS case_events (
    finding_id BIGINT NOT NULL REFERENCES findings (id),
    seq        BIGINT NOT NULL,
    by_name    TEXT NOT NULL,
    at         BIGINT NOT NULL,
    day        TEXT,
    body       TEXT NOT NULL,
    PRIMARY KEY (finding_id, seq)
);
CREATE INDEX IF NOT EXISTS case_events_day ON case_events (day, finding_id) WHERE day IS NOT NULL;
CREATE TABLE IF NOT EXISTS finding_photos (
    name  TEXT PRIMARY KEY,
    bytes {bytes} NOT NULL
);";

/// A new finding (`?1` by, `?2` at): its id back.
pub const NEW_FINDING: &str = "INSERT INTO findings (events, made_by, made_at) VALUES (1, ?1, ?2) RETURNING id";

/// Counts an appended event (`?1` id, `?2` the events seen): no row
/// changed when another came first. The row's lock orders two appends.
pub const COUNT_CASE_EVENT: &str = "UPDATE findings SET events = events + 1 WHERE id = ?1 AND events = ?2";

/// An event (`?1` finding, `?2` seq, `?3` by, `?4` at, `?5` day, `?6` body).
pub const ADD_CASE_EVENT: &str =
    "INSERT INTO case_events (finding_id, seq, by_name, at, day, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";

/// Events: `?1` one finding (or NULL), `?2`..`?3` a period of versions
/// (or NULL); by finding, then number.
pub const CASE_EVENTS: &str = "SELECT e.finding_id, e.seq, e.by_name, e.at, e.body FROM case_events e
    WHERE (CAST(?1 AS BIGINT) IS NULL OR e.finding_id = ?1)
      AND (CAST(?2 AS TEXT) IS NULL OR e.finding_id IN
           (SELECT d.finding_id FROM case_events d WHERE d.day IS NOT NULL AND d.day BETWEEN ?2 AND ?3))
    ORDER BY e.finding_id, e.seq";

/// One change of master data to store (`central::master` makes them):
/// its kind and key (what it replaces: a person's stint in a unit, a
/// card, a calendar year), the unit it belongs to now (`""`: the whole
/// district), the units whose kiosks must receive it (a card taken from
/// one unit's person for another's reaches both), and its JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterChange {
    pub kind: String,
    pub key: String,
    pub unit: String,
    pub scopes: Vec<String>,
    pub content: String,
}

/// A stored change as a kiosk receives it. Its version is its place in
/// the one district-wide sequence of changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MasterRow {
    pub version: u64,
    pub kind: String,
    pub content: String,
    pub made_by: String,
    pub made_at: Instant,
}

/// The latest change of a kind and key: the master data as it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentRow {
    pub key: String,
    pub unit: String,
    pub content: String,
    pub version: u64,
}

/// A card enrolled at a door that central had given to someone else
/// meanwhile: central's assignment wins, and this is listed for an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConflictRow {
    pub kiosk_id: String,
    pub card: String,
    /// Whom the door enrolled the card to (staff number) and who did it.
    pub enrolled: String,
    pub enrolled_by: String,
    /// Whom central holds it for.
    pub held_by: String,
    pub at: Instant,
}

/// The scope of a change every kiosk receives (calendar years).
pub const DISTRICT: &str = "";

/// The master data the server keeps for the whole district (SPEC "Master
/// data"): the units, and the versioned changes of people, cards and
/// calendars that kiosks with `[central] master = true` pull.
#[async_trait]
pub trait MasterStore: Send + Sync {
    /// Adds a unit. `Exists` when it is known; `NotFound` when its parent
    /// is not (a parent is added first, so units form a tree).
    async fn add_unit(&self, name: &str, parent: Option<&str>, who: &str, now: Instant) -> Result<()>;
    /// Every unit, by name (in code point order on both backends).
    async fn units(&self) -> Result<Vec<UnitRow>>;
    /// Stores changes in one transaction, each a new version (one row per
    /// scope), numbered in commit order: a kiosk that has read up to a
    /// version never misses a change committed before it. Each becomes
    /// the current one of its kind and key. Returns the newest version
    /// (0 when `changes` is empty).
    async fn put_master(&self, changes: &[MasterChange], who: &str, now: Instant) -> Result<u64>;
    /// Up to `limit` changes after version `since` whose scope is one of
    /// `scopes` or the district, oldest first.
    async fn master_since(&self, scopes: &[String], since: u64, limit: usize) -> Result<Vec<MasterRow>>;
    /// The current changes of `kind`, of `units` only when given, by key.
    async fn master_current(&self, kind: &str, units: Option<&[String]>) -> Result<Vec<CurrentRow>>;
    /// The current change of `kind` and `key`.
    async fn master_one(&self, kind: &str, key: &str) -> Result<Option<CurrentRow>>;
    async fn add_conflict(&self, c: &ConflictRow) -> Result<()>;
    /// The enrolment conflicts of one kiosk, or all, newest first.
    async fn conflicts(&self, kiosk_id: Option<&str>) -> Result<Vec<ConflictRow>>;
    /// Keeps a photo under its content name (`files::staff::photo_name`);
    /// the same name twice is kept once.
    async fn put_photo(&self, name: &str, bytes: &[u8]) -> Result<()>;
    /// A photo's bytes by its content name.
    async fn photo(&self, name: &str) -> Result<Option<Vec<u8>>>;
}

/// Where a kiosk serves: the units it is the home of, those it is a door
/// of, and its display name.
#[derive(Debug, Clone, Copy)]
pub struct Places<'a> {
    pub units: &'a [String],
    pub doors: &'a [String],
    pub name: Option<&'a str>,
}

/// Kiosks: registration, tokens, their state.
#[async_trait]
pub trait KioskStore: Send + Sync {
    /// Registers a kiosk. A unit is one kiosk's: each kiosk lists all of
    /// its units' staff every day, so a second kiosk would count them twice
    /// (and absent at the door they did not use). Refused when a kiosk in
    /// service serves one of `units`, checked in the same transaction.
    async fn add_kiosk(&self, id: &str, units: &[String], token_hash: &str, now: Instant) -> Result<()> {
        self.register_kiosk(id, &Places { units, doors: &[], name: None }, token_hash, now).await
    }
    /// Registers a kiosk with its doors and display name (as `add_kiosk`;
    /// a unit may have any number of doors besides its home).
    async fn register_kiosk(&self, id: &str, places: &Places<'_>, token_hash: &str, now: Instant) -> Result<()>;
    /// A kiosk's new token (the old one stops working); a revoked kiosk
    /// comes back into service, refused as `add_kiosk` when another kiosk
    /// in service took one of its units meanwhile (a kiosk in service is
    /// re-keyed whatever: a leaked token must always be replaceable).
    async fn set_kiosk_token(&self, id: &str, token_hash: &str) -> Result<()>;
    async fn revoke_kiosk(&self, id: &str) -> Result<()>;
    /// The kiosk a token belongs to (revoked ones too: the caller refuses them).
    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<KioskRow>>;
    /// Every kiosk with its state; `today` bounds the days without a summary.
    async fn kiosks(&self, today: NaiveDate) -> Result<Vec<KioskRow>>;
    /// One kiosk with what the server holds of its chain (no day counts).
    async fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRow>>;
    /// Every kiosk as [`KioskStore::kiosk`] gives it (no day counts: cheap
    /// enough for every kiosk's pull).
    async fn kiosk_rows(&self) -> Result<Vec<KioskRow>>;
}

/// Daily summaries, and the reports read from them.
#[async_trait]
pub trait SummaryStore: Send + Sync {
    /// Stores an upload if it is new or a newer revision, in one
    /// transaction with the kiosk's last seen, clock offset and chain.
    async fn put_summary(&self, kiosk_id: &str, upload: &Upload) -> Result<Put>;

    /// The latest revision held of each of the kiosk's days, by date
    /// (what a restored kiosk numbers its next revisions after).
    async fn held_revisions(&self, kiosk_id: &str) -> Result<Vec<(NaiveDate, i64)>>;
    /// The latest revision of every summary with a date in `[from, to]`,
    /// ordered by date and kiosk: those after `after` (a date and kiosk
    /// id: the page before's last), at most `limit`, and no more once
    /// their stored JSON reaches `max_bytes` (the row that reaches it is
    /// the last: at least one). Rows are read one by one, so the memory is
    /// bounded by what is returned.
    async fn latest_summaries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, String)>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<SummaryPage>;
    /// The period report's person rows over the latest revisions in
    /// `[from, to]` (optionally of a set of units: one, or a branch),
    /// summed in the database, one row a person however many of the
    /// units they were in; name and unit from each person's latest day
    /// there. Unranked.
    async fn report_people(&self, from: NaiveDate, to: NaiveDate, units: Option<&[String]>) -> Result<Vec<ReportRow>>;
    /// One person's days in `[from, to]` (latest revisions), and for each
    /// day its earlier revisions, oldest first, with the person's row in each.
    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<Earlier>)>>;
    /// The latest rows of one unit's people in `[from, to]`, by staff
    /// number, then date (a unit's month for its heat map).
    async fn unit_days(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonDay>>;
    /// The latest rows in `[from, to]` (optionally of a set of units) of
    /// days with a spot check, present or absent: by date, unit, staff
    /// number.
    async fn spot_check_days(&self, from: NaiveDate, to: NaiveDate, units: Option<&[String]>)
        -> Result<Vec<PersonDay>>;
    /// Late, early and absent sessions summed per date in `[from, to]`
    /// (optionally of a set of units), latest revisions, by date; dates
    /// without rows are left out.
    async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        units: Option<&[String]>,
    ) -> Result<Vec<(NaiveDate, DayCounts)>>;
    /// The overview's sums of `date` (see `sums`): the kiosks whose
    /// latest summary of the date is held, and a row per unit and kiosk
    /// that sent the unit's people.
    async fn day_units(&self, date: NaiveDate) -> Result<DayUnits>;
    /// The latest person rows of `date` that have the exception, by unit
    /// and staff number.
    async fn exception_days(&self, date: NaiveDate, kind: DayException) -> Result<Vec<PersonDay>>;
}

/// An exception a person's day can have (the overview's cards).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayException {
    /// 旷工: an absent day, or an absent session.
    Absent,
    Late,
    Early,
    Missing,
    OffPost,
}

impl DayException {
    /// The rows of `summary_people` (as `p.`) that have it (the same SQL
    /// for both backends).
    pub fn condition(self) -> &'static str {
        match self {
            DayException::Absent => "(p.status = 'absent' OR p.absent_sessions > 0)",
            DayException::Late => "p.late_count > 0",
            DayException::Early => "p.early_count > 0",
            DayException::Missing => "p.missing_punches > 0",
            DayException::OffPost => "p.off_post_count > 0",
        }
    }
}

/// A date's units as the kiosks sent them (see [`SummaryStore::day_units`]).
#[derive(Debug, Clone, Default)]
pub struct DayUnits {
    /// The kiosks that sent the date, by id.
    pub sent: Vec<String>,
    /// A unit's day per kiosk that sent its people (a unit served by two
    /// kiosks has two rows).
    pub units: Vec<crate::central::overview::UnitDay>,
}

/// The kiosks' record chains (SPEC "Records"; see `records`), their
/// declared rules and the re-judging's verdicts.
#[async_trait]
pub trait RecordStore: Send + Sync {
    /// Adds a call's records to the kiosk's chain, in one transaction:
    /// all of them or none. A call that does not follow the held chain
    /// stores nothing but flags the kiosk at that seq (committed). A call
    /// that does not leave a gap is the kiosk seen at `now`.
    async fn put_records(&self, kiosk_id: &str, from: u64, records: &[Prepared], now: Instant) -> Result<RecordsPut>;
    /// Up to `limit` held records of the kiosk from seq `from`, in order.
    async fn records(&self, kiosk_id: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>>;
    /// The kiosk's records before seq `before` that its days in
    /// `[from, to)` read (see `records::period_records_sql`), in chain order.
    async fn period_records(&self, kiosk_id: &str, from: Instant, to: Instant, before: u64) -> Result<Vec<WireRecord>>;
    /// Stores the kiosk's declaration of its rules at `version` (the JSON
    /// as received). `false`: that version is held with other content
    /// (nothing stored); the same content again is `true`.
    async fn put_rules(&self, kiosk_id: &str, version: u64, content: &str, now: Instant) -> Result<bool>;
    /// The kiosk's declaration at `version`, or its latest: (version, JSON).
    async fn rules(&self, kiosk_id: &str, version: Option<u64>) -> Result<Option<(u64, String)>>;
    /// Up to `limit` of the kiosk's received summary revisions without a
    /// final verdict (none yet, or waiting), oldest first.
    async fn unjudged(&self, kiosk_id: &str, limit: usize) -> Result<Vec<Unjudged>>;
    /// Stores verdicts; a final one (agrees, differs, unjudgeable) is never
    /// replaced, a waiting one is.
    async fn put_verdicts(&self, kiosk_id: &str, verdicts: &[StoredVerdict]) -> Result<()>;
    /// The kiosk's summary revisions that differ from their second
    /// judgement, newest first, at most `limit`.
    async fn differing(&self, kiosk_id: &str, limit: usize) -> Result<Vec<StoredVerdict>>;
}

/// People's accounts, their tokens, sign-in, sessions and the audit log.
#[async_trait]
pub trait AccountStore: Send + Sync {
    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()>;
    async fn user(&self, name: &str) -> Result<Option<UserRow>>;
    /// Every account, by name.
    async fn users(&self) -> Result<Vec<UserRow>>;
    /// A new password: the failure count and any lock are cleared and the
    /// user's sessions and script tokens end, in one transaction.
    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()>;
    /// A script token for `name` that works until `expires_at`.
    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant, expires_at: Instant) -> Result<()>;
    /// The user of a token that has not expired at `now`.
    async fn user_by_token(&self, token_hash: &str, now: Instant) -> Result<Option<UserRow>>;
    /// `name`'s tokens, oldest first (expired ones too, until revoked).
    async fn user_tokens(&self, name: &str) -> Result<Vec<TokenRow>>;
    /// Revokes the one token of `name` whose id is `id`.
    async fn revoke_user_token(&self, name: &str, id: &str) -> Result<()>;
    /// Claims one password try for `name` from `client` (an address)
    /// before the password is checked, in one atomic statement (so parallel
    /// guesses cannot all slip in): `None` when the account is locked for
    /// that client; otherwise the try's number since the last success or
    /// expired lock. The try that reaches `tries` locks the account for
    /// that client until `at + lock_ms`. Counted per account and address,
    /// so a stranger cannot lock an account for its owner.
    async fn claim_login(&self, name: &str, client: &str, at: Instant, tries: u32, lock_ms: i64)
        -> Result<Option<u32>>;
    /// Whether `name` is locked for `client` at `at` (a read: a refused
    /// try writes nothing).
    async fn login_locked(&self, name: &str, client: &str, at: Instant) -> Result<bool>;
    /// A right password from `client`: that count and lock are cleared.
    async fn login_succeeded(&self, name: &str, client: &str) -> Result<()>;
    /// Every count and lock of `name` cleared (an admin's unlock).
    async fn unlock(&self, name: &str) -> Result<()>;
    /// Opens a session for `name` only if their password hash is still
    /// `password_hash` (the one the login checked), in one statement: a
    /// password changed while the login was checking the old one opens
    /// nothing. Whether it was opened.
    async fn add_session(
        &self,
        id_hash: &str,
        name: &str,
        password_hash: &str,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<bool>;
    /// The user and CSRF token of a live session.
    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>>;
    async fn end_session(&self, id_hash: &str) -> Result<()>;
    /// Deletes expired sessions, ended lockouts and counts of wrong
    /// passwords untouched for `LOCK_WINDOW_MS`; how many rows went.
    async fn prune(&self, now: Instant) -> Result<u64>;
    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()>;
    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>>;
}

/// The statement behind [`AccountStore::claim_login`], the same text for both
/// backends (`?N`/`$N` substituted): an upsert of the (account, client)
/// row whose update applies only while it is not locked (no row comes
/// back when it is). An expired lock starts the count again.
pub(super) fn claim_login_sql(placeholder: char) -> String {
    // Cast: PostgreSQL would otherwise infer INTEGER from `1 >= $4`.
    let [name, client, at, tries, lock] =
        ["1", "2", "3", "4", "5"].map(|n| format!("CAST({placeholder}{n} AS BIGINT)"));
    let [name, client] = [name, client].map(|p| p.replace("BIGINT", "TEXT"));
    let f = "login_failures";
    // The count starts again after a lock has ended, or when the last
    // wrong password is older than a lock lasts (as `prune` forgets it).
    let again = format!(
        "(({f}.locked_until IS NOT NULL AND {f}.locked_until <= {at}) \
          OR ({f}.locked_until IS NULL AND {f}.updated_at <= {at} - {lock}))"
    );
    let first_lock = format!("CASE WHEN 1 >= {tries} THEN {at} + {lock} END");
    format!(
        "INSERT INTO {f} (user_name, client, failures, locked_until, updated_at) \
         VALUES ({name}, {client}, 1, {first_lock}, {at}) \
         ON CONFLICT (user_name, client) DO UPDATE SET \
           updated_at = {at}, \
           failures = CASE WHEN {again} THEN 1 ELSE {f}.failures + 1 END, \
           locked_until = CASE WHEN {again} THEN {first_lock} \
                               WHEN {f}.failures + 1 >= {tries} THEN {at} + {lock} ELSE {f}.locked_until END \
         WHERE {f}.locked_until IS NULL OR {f}.locked_until <= {at} \
         RETURNING failures"
    )
}

/// A user's columns: the account's largest count and latest lock over
/// its clients (what the admin page shows).
pub(super) const USER_COLUMNS: &str = "u.name, u.role, u.password_hash, \
    (SELECT COALESCE(MAX(f.failures), 0) FROM login_failures f WHERE f.user_name = u.name), \
    (SELECT MAX(f.locked_until) FROM login_failures f WHERE f.user_name = u.name)";

/// The refusal when one of `units` is served by a kiosk in `active`
/// (`(id, units)` of the other kiosks in service).
pub fn unit_taken(active: &[(String, Vec<String>)], units: &[String]) -> Option<StorageError> {
    active.iter().find_map(|(k, served)| {
        units.iter().find(|u| served.contains(u)).map(|u| {
            StorageError::Refused(format!(
                "unit {u} is already served by kiosk {k}: revoke that kiosk first, or give it a new token"
            ))
        })
    })
}

/// How far back "days without a summary" looks.
pub const MISSING_WINDOW_DAYS: u64 = 366;

/// Dates from the kiosk's first summary to `last` without a summary, given
/// the sorted dates that have one; at most the last [`MISSING_WINDOW_DAYS`]
/// (a kiosk's whole history is not a to-do list).
pub fn missing_days(have: &[NaiveDate], last: NaiveDate) -> Vec<NaiveDate> {
    let Some(&first) = have.first() else { return vec![] };
    let first = last.checked_sub_days(chrono::Days::new(MISSING_WINDOW_DAYS - 1)).map_or(first, |w| first.max(w));
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

/// What the chain position `(length, head)` of a new summary made at
/// `made_at` means against the points seen before, `(length, head,
/// made_at)`. The kiosk's chain only grows, so a summary made later has a
/// longer chain: one made later with a shorter chain, or made earlier with
/// a longer one, means the chain was rewound (a restored or replaced
/// database); the same length with another head means forked. Points are
/// compared by when they were made, not when they arrived: a correction
/// made yesterday may arrive before the next day's summary (SPEC sends
/// oldest date first). Equal `made_at` (one second) orders nothing.
pub fn chain_verdict(seen: &[(u64, String, Instant)], length: u64, head: &str, made_at: Instant) -> ChainState {
    if seen.iter().any(|(l, h, _)| *l == length && h != head) {
        ChainState::Forked
    } else if seen.iter().any(|(l, _, m)| (*m < made_at && *l > length) || (*m > made_at && *l < length)) {
        ChainState::Rewound
    } else {
        ChainState::Ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::summary::{DayFigures, DayStatus};

    fn person(status: DayStatus, corrections: u32) -> PersonSummary {
        PersonSummary {
            staff_no: "0001".into(),
            name: "张三".into(),
            unit: "区党政办公室".into(),
            status,
            figures: DayFigures { corrections, missing_punches: u32::from(corrections == 0), ..DayFigures::default() },
            punches: vec!["08:55".into()],
        }
    }

    #[test]
    fn days_without_a_summary() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(
            missing_days(&[d("2026-11-01"), d("2026-11-03"), d("2026-11-04")], d("2026-11-06")),
            vec![d("2026-11-02"), d("2026-11-05"), d("2026-11-06")]
        );
        assert!(missing_days(&[], d("2026-11-06")).is_empty());
        assert_eq!(missing_days(&[d("2000-01-01")], d("2026-11-06")).len(), MISSING_WINDOW_DAYS as usize);
        assert!(missing_days(&[d("2000-01-01")], NaiveDate::MIN).is_empty());
    }

    #[test]
    fn chain_rewound_and_forked() {
        let seen = vec![(10, "aa".to_string(), 1_000), (20, "bb".to_string(), 2_000)];
        assert_eq!(chain_verdict(&seen, 25, "cc", 3_000), ChainState::Ok);
        assert_eq!(chain_verdict(&seen, 20, "bb", 2_000), ChainState::Ok);
        assert_eq!(chain_verdict(&seen, 20, "xx", 2_500), ChainState::Forked);
        assert_eq!(chain_verdict(&seen, 15, "dd", 3_000), ChainState::Rewound, "made later, shorter");
        assert_eq!(chain_verdict(&seen, 25, "dd", 1_500), ChainState::Rewound, "made earlier, longer");
        // Made between the two and between them in length: a correction
        // that arrives after a later day's summary is in order.
        assert_eq!(chain_verdict(&seen, 15, "dd", 1_500), ChainState::Ok);
        assert_eq!(chain_verdict(&seen, 30, "ee", 2_000), ChainState::Ok, "the same second orders nothing");
    }

    #[test]
    fn a_day_is_revised_only_when_the_persons_own_row_changed() {
        let day = |p: PersonSummary| PersonDay {
            kiosk_id: "k1".into(),
            date: "2026-11-20".parse().unwrap(),
            revision: 3,
            received_at: 3_000,
            person: p,
        };
        let e =
            |revision: i64, p: Option<PersonSummary>| Earlier { revision, received_at: revision * 1_000, person: p };
        let before = person(DayStatus::Exception, 0);
        let after = person(DayStatus::Normal, 1);
        // First sent as is: not revised.
        assert_eq!(revised(&day(before.clone()), &[]), None);
        // Re-sent twice for someone else: not revised for this person.
        assert_eq!(revised(&day(before.clone()), &[e(1, Some(before.clone())), e(2, Some(before.clone()))]), None);
        // Corrected in revision 2, then re-sent for someone else in 3:
        // revised in 2, after a correction.
        assert_eq!(
            revised(&day(after.clone()), &[e(1, Some(before.clone())), e(2, Some(after.clone()))]),
            Some(Revised { revision: 2, at: 2_000, after_correction: true })
        );
        // Changed in 3 without a new correction (a leave entered late).
        let leave = person(DayStatus::Leave, 0);
        assert_eq!(
            revised(&day(leave), &[e(1, Some(before.clone())), e(2, Some(before))]),
            Some(Revised { revision: 3, at: 3_000, after_correction: false })
        );
        // Not in the earlier revision at all (enrolled later that day).
        assert_eq!(
            revised(&day(after), &[e(1, None)]),
            Some(Revised { revision: 3, at: 3_000, after_correction: true })
        );
    }
}
