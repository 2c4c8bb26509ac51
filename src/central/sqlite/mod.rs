//! The embedded backend: one SQLite file in the data directory (rusqlite,
//! the same libsqlite3 as the kiosk's), WAL and `synchronous=FULL`. One
//! writer connection (every decision is one `BEGIN IMMEDIATE`
//! transaction), a few reader connections; calls run on tokio's blocking
//! pool.
//!
//! A file per concern, each implementing its trait of
//! [`Storage`](crate::central::storage::Storage): `fleet.rs` the kiosks,
//! `summaries.rs` the summaries and reports, `chains.rs` the record chains
//! and the re-judging, `accounts.rs` accounts, sessions and the audit log,
//! `master.rs` the district's master data, `cases.rs` the 暗访 findings; here the connection, the
//! schema and what the concerns share.

mod accounts;
mod cases;
mod chains;
mod fleet;
mod master;
mod summaries;

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::central::ingest;
use crate::central::storage::*;
use crate::central::sums;
use crate::domain::chain::{self, WireRecord};
use crate::domain::summary::{DayFigures, DayStatus, PersonSummary, ReportRow};
use crate::domain::time::Instant;
use summaries::*;

const SCHEMA: &str = r#"
-- The district's units (SPEC "Master data"): a unit named by a kiosk's
-- registration is added with it (`added_by` "kiosk ID").
CREATE TABLE IF NOT EXISTS units (
    name     TEXT NOT NULL PRIMARY KEY,
    parent   TEXT REFERENCES units(name),
    added_at INTEGER NOT NULL,
    added_by TEXT NOT NULL
);
-- Master data (SPEC "Master data"): every change, numbered in commit
-- order (its version), once per unit whose kiosks receive it ('' = all).
CREATE TABLE IF NOT EXISTS master_changes (
    version INTEGER PRIMARY KEY,
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    scope   TEXT NOT NULL,
    content TEXT NOT NULL,
    made_by TEXT NOT NULL,
    made_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS master_changes_scope ON master_changes (scope, version);
-- The latest change of each kind and key: the master data as it stands.
CREATE TABLE IF NOT EXISTS master_current (
    kind    TEXT NOT NULL,
    key     TEXT NOT NULL,
    unit    TEXT NOT NULL,
    content TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS master_current_unit ON master_current (kind, unit);
-- Cards enrolled at a door that central had given to someone else.
CREATE TABLE IF NOT EXISTS enrol_conflicts (
    kiosk_id    TEXT NOT NULL,
    card        TEXT NOT NULL,
    enrolled    TEXT NOT NULL,
    enrolled_by TEXT NOT NULL,
    held_by     TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, card, enrolled)
);
CREATE TABLE IF NOT EXISTS kiosks (
    id              TEXT PRIMARY KEY,
    units           TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    revoked         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_seen       INTEGER,
    clock_offset_ms INTEGER,
    chain_state     TEXT NOT NULL DEFAULT 'ok',
    records_broken_at INTEGER,
    doors           TEXT NOT NULL DEFAULT '[]',
    name            TEXT
);
-- Every kiosk's record chain, verified as it arrived (SPEC "Records"):
-- the content is what the record's hash covers. Append-only.
CREATE TABLE IF NOT EXISTS chain_records (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    seq      INTEGER NOT NULL,
    tbl      TEXT NOT NULL,
    row_id   INTEGER NOT NULL,
    content  TEXT NOT NULL,
    hash     TEXT NOT NULL,
    PRIMARY KEY (kiosk_id, seq)
) WITHOUT ROWID;
-- A person's days read their kiosk's small tables and the period's
-- punches (records::period_records_sql).
CREATE INDEX IF NOT EXISTS chain_records_tbl ON chain_records (kiosk_id, tbl, seq);
CREATE INDEX IF NOT EXISTS chain_punches_at ON chain_records (kiosk_id, json_extract(content, '$[2]'))
    WHERE tbl = 'punches';
CREATE TRIGGER IF NOT EXISTS chain_records_kept BEFORE UPDATE ON chain_records
    BEGIN SELECT RAISE(ABORT, 'chain_records are append-only'); END;
CREATE TRIGGER IF NOT EXISTS chain_records_not_deleted BEFORE DELETE ON chain_records
    BEGIN SELECT RAISE(ABORT, 'chain_records are append-only'); END;
-- What each kiosk's rules read besides its records, by version (SPEC
-- "Records", PUT …/rules): the day's second judgement uses the version
-- its summary names.
CREATE TABLE IF NOT EXISTS kiosk_rules (
    kiosk_id    TEXT NOT NULL REFERENCES kiosks(id),
    version     INTEGER NOT NULL,
    content     TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, version)
);
-- Each received summary revision judged again from the kiosk's records:
-- agrees | differs | waiting | unjudgeable, with the differences (JSON)
-- or why it waits.
CREATE TABLE IF NOT EXISTS rejudged (
    kiosk_id  TEXT NOT NULL REFERENCES kiosks(id),
    date      TEXT NOT NULL,
    revision  INTEGER NOT NULL,
    state     TEXT NOT NULL,
    detail    TEXT NOT NULL,
    judged_at INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, date, revision)
);
CREATE TABLE IF NOT EXISTS chain_points (
    kiosk_id TEXT NOT NULL REFERENCES kiosks(id),
    length   INTEGER NOT NULL,
    head     TEXT NOT NULL,
    made_at  INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, length, head)
);
CREATE TABLE IF NOT EXISTS summaries (
    kiosk_id    TEXT NOT NULL REFERENCES kiosks(id),
    date        TEXT NOT NULL,
    revision    INTEGER NOT NULL,
    content     TEXT NOT NULL,
    content_key TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    latest      INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, date, revision)
);
CREATE INDEX IF NOT EXISTS summaries_latest_date ON summaries (date) WHERE latest = 1;
-- One row a person and summary revision, clustered by date (WITHOUT
-- ROWID): a period's report is one range of the table, and a summary's
-- people are written side by side. `expected` and `present` are the
-- report's day counts, kept as integers so that summing never reads text.
CREATE TABLE IF NOT EXISTS summary_people (
    date     TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    revision INTEGER NOT NULL,
    latest   INTEGER NOT NULL,
    staff_no TEXT NOT NULL,
    name     TEXT NOT NULL,
    unit     TEXT NOT NULL,
    status   TEXT NOT NULL,
    late_minutes INTEGER NOT NULL, late_count INTEGER NOT NULL,
    early_minutes INTEGER NOT NULL, early_count INTEGER NOT NULL,
    absent_sessions INTEGER NOT NULL, absent_minutes INTEGER NOT NULL,
    off_post_count INTEGER NOT NULL, off_post_minutes INTEGER NOT NULL,
    missing_punches INTEGER NOT NULL, spot_check_absences INTEGER NOT NULL,
    spot_checks_present INTEGER NOT NULL, leave_minutes INTEGER NOT NULL,
    duty_minutes INTEGER NOT NULL, corrections INTEGER NOT NULL,
    punches  TEXT NOT NULL,
    expected INTEGER NOT NULL,
    present  INTEGER NOT NULL,
    PRIMARY KEY (date, kiosk_id, revision, staff_no)
) WITHOUT ROWID;
-- A person's days, found day by day (see `sums::days_list`): led by the
-- date, so that an upload's people go to one place of the index (one led
-- by the staff number, before, made a loaded quarter's ingest read and
-- write pages all over it).
DROP INDEX IF EXISTS summary_people_staff;
CREATE INDEX IF NOT EXISTS summary_people_day ON summary_people (date, staff_no);
-- A unit's month (its heat map) without reading every unit's rows.
CREATE INDEX IF NOT EXISTS summary_people_unit ON summary_people (unit, date) WHERE latest = 1;
-- Whose a person's day is: the first kiosk that reported them for the
-- date. Another kiosk naming them that date is refused (409).
CREATE TABLE IF NOT EXISTS person_days (
    date     TEXT NOT NULL,
    staff_no TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    PRIMARY KEY (date, staff_no)
) WITHOUT ROWID;
-- A kiosk's claims on a date, found without reading every kiosk's.
CREATE INDEX IF NOT EXISTS person_days_kiosk ON person_days (kiosk_id, date);
-- Bytes of summaries each kiosk had stored on a day (its daily budget).
CREATE TABLE IF NOT EXISTS upload_budget (
    kiosk_id TEXT NOT NULL,
    day      TEXT NOT NULL,
    bytes    INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, day)
);
-- People's photos by content name (SHA-256 and extension), kept once.
CREATE TABLE IF NOT EXISTS photos (
    name  TEXT PRIMARY KEY,
    bytes BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    failures      INTEGER NOT NULL DEFAULT 0,
    locked_until  INTEGER,
    created_at    INTEGER NOT NULL
);
-- Wrong passwords by account and client address (users.failures and
-- users.locked_until are no longer used: a stranger's guesses must not
-- lock the account for its owner).
CREATE TABLE IF NOT EXISTS login_failures (
    user_name    TEXT NOT NULL REFERENCES users(name) ON DELETE CASCADE,
    client       TEXT NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER,
    updated_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (user_name, client)
);
CREATE TABLE IF NOT EXISTS user_tokens (
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    created_at INTEGER NOT NULL,
    expires_at INTEGER
);
CREATE TABLE IF NOT EXISTS sessions (
    id_hash    TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users(name),
    csrf       TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS audit (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_at ON audit (at);
"#;

/// A database from before `person_days`: each person's day is given to
/// the kiosk that reported it first, and another kiosk's row for it is
/// no longer read as the latest (it stays stored). Runs once: only while
/// `person_days` is empty (a new database has nothing to claim).
const CLAIM_EARLIER_DAYS: &str = "
INSERT OR IGNORE INTO person_days (date, staff_no, kiosk_id)
    SELECT sp.date, sp.staff_no, sp.kiosk_id FROM summary_people sp
    JOIN (SELECT p2.kiosk_id, p2.date, p2.staff_no, min(s2.received_at) AS first
                           FROM summary_people p2
                           JOIN summaries s2 ON s2.kiosk_id = p2.kiosk_id AND s2.date = p2.date AND s2.revision = p2.revision
                           GROUP BY p2.kiosk_id, p2.date, p2.staff_no) s
                         ON s.kiosk_id = sp.kiosk_id AND s.date = sp.date AND s.staff_no = sp.staff_no
    WHERE sp.latest = 1
    ORDER BY s.first, sp.kiosk_id;
UPDATE summary_people SET latest = 0 WHERE latest = 1 AND NOT EXISTS (
    SELECT 1 FROM person_days pd
    WHERE pd.date = summary_people.date AND pd.staff_no = summary_people.staff_no
      AND pd.kiosk_id = summary_people.kiosk_id);
";

/// The figure columns of `summary_people`, in `DayFigures` order.
pub(super) const FIGURES: [&str; 14] = [
    "late_minutes",
    "late_count",
    "early_minutes",
    "early_count",
    "absent_sessions",
    "absent_minutes",
    "off_post_count",
    "off_post_minutes",
    "missing_punches",
    "spot_check_absences",
    "spot_checks_present",
    "leave_minutes",
    "duty_minutes",
    "corrections",
];

pub(super) fn figures_of(f: &DayFigures) -> [u32; 14] {
    [
        f.late_minutes,
        f.late_count,
        f.early_minutes,
        f.early_count,
        f.absent_sessions,
        f.absent_minutes,
        f.off_post_count,
        f.off_post_minutes,
        f.missing_punches,
        f.spot_check_absences,
        f.spot_checks_present,
        f.leave_minutes,
        f.duty_minutes,
        f.corrections,
    ]
}

pub(super) fn figures_from(v: [u32; 14]) -> DayFigures {
    DayFigures {
        late_minutes: v[0],
        late_count: v[1],
        early_minutes: v[2],
        early_count: v[3],
        absent_sessions: v[4],
        absent_minutes: v[5],
        off_post_count: v[6],
        off_post_minutes: v[7],
        missing_punches: v[8],
        spot_check_absences: v[9],
        spot_checks_present: v[10],
        leave_minutes: v[11],
        duty_minutes: v[12],
        corrections: v[13],
    }
}

/// A person's day as the report counts it (the kiosk's own definitions):
/// expected unless a rest day; present when also punched.
pub(super) fn day_counts(p: &PersonSummary) -> (u32, u32) {
    let expected = p.status != DayStatus::Rest;
    (u32::from(expected), u32::from(expected && !p.punches.is_empty()))
}

pub(super) fn status_of(s: &str) -> DayStatus {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or(DayStatus::Normal)
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Db(e.to_string())
}

/// What the writer thread takes in uploads' batches: an upload, or an
/// audit row (failed logins and exports come often: written in the
/// uploads' batches, never holding the writer for a commit of their own).
enum Batched {
    Put { kiosk: String, upload: Box<Upload>, reply: tokio::sync::oneshot::Sender<Result<Put>> },
    Audit { row: (Instant, String, String, String), reply: tokio::sync::oneshot::Sender<Result<Put>> },
}

impl Batched {
    fn what(&self) -> &'static str {
        match self {
            Batched::Put { .. } => "an upload",
            Batched::Audit { .. } => "an audit row",
        }
    }

    fn run(&self, tx: &Connection) -> Result<Put> {
        match self {
            Batched::Put { kiosk, upload, .. } => put_in(tx, kiosk, upload),
            Batched::Audit { row: (at, who, action, detail), .. } => {
                tx.prepare_cached("INSERT INTO audit (at, who, action, detail) VALUES (?1, ?2, ?3, ?4)")
                    .and_then(|mut st| st.execute(params![at, who, action, detail]))
                    .map_err(db)?;
                Ok(Put::Same)
            }
        }
    }

    fn answer(self, r: Result<Put>) {
        let _ = match self {
            Batched::Put { reply, .. } | Batched::Audit { reply, .. } => reply.send(r),
        };
    }
}

/// A write that runs alone, in its own transaction (signing in, sessions,
/// the admin's changes); it sends its own answer.
type Alone = Box<dyn FnOnce(&mut Connection) + Send>;

/// What waits for the writer thread. Every write goes through it: one
/// connection, at the thread's normal priority. A write made from a
/// low-priority thread (a sign-in, a page) would hold the connection
/// through its commit while the CPU is busy, and the uploads behind it
/// would wait on the lower priority.
enum Job {
    Batched(Batched),
    Alone(Alone),
}

/// Most uploads committed together.
const BATCH: usize = 64;

/// Runs `f`, a fault (a panic) in it said and turned into an error: the
/// writer thread, which every write waits for, goes on.
fn contained<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
        eprintln!("central: {what} failed with a fault; the writer goes on");
        Err(db(format!("{what} failed (a fault in the server; see its log)")))
    })
}

/// The writer thread: uploads that arrive together are stored in one
/// transaction (one fsync for the batch: group commit), each in its own
/// savepoint so that one failing upload fails alone; every answer is sent
/// after the commit, so a 201 means the summary is on disk. Other writes
/// run one at a time between batches, in the order they came.
fn writer_thread(mut c: Connection, jobs: std::sync::mpsc::Receiver<Job>) {
    let mut next: Option<Job> = None;
    loop {
        let first = match next.take() {
            Some(j) => j,
            None => match jobs.recv() {
                Ok(j) => j,
                Err(_) => return,
            },
        };
        let first = match first {
            Job::Alone(f) => {
                let _ = contained("a write", || {
                    f(&mut c);
                    Ok(())
                });
                // A write that faulted inside its transaction: undone.
                if !c.is_autocommit() {
                    let _ = c.execute_batch("ROLLBACK");
                }
                continue;
            }
            Job::Batched(b) => b,
        };
        let mut batch = vec![first];
        while batch.len() < BATCH {
            match jobs.try_recv() {
                Ok(Job::Batched(b)) => batch.push(b),
                Ok(alone) => {
                    next = Some(alone);
                    break;
                }
                Err(_) => break,
            }
        }
        let mut results: Vec<Result<Put>> = Vec::with_capacity(batch.len());
        let committed = (|| -> Result<()> {
            let mut tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            for job in &batch {
                let sp = tx.savepoint().map_err(db)?;
                match contained(job.what(), || job.run(&sp)) {
                    Ok(p) => {
                        sp.commit().map_err(db)?;
                        results.push(Ok(p));
                    }
                    Err(e) => {
                        drop(sp); // rolls the savepoint back
                        results.push(Err(e));
                    }
                }
            }
            tx.commit().map_err(db)
        })();
        let mut results = results.into_iter();
        for job in batch {
            let r = match &committed {
                Ok(()) => results.next().unwrap_or_else(|| Err(db("no result"))),
                Err(e) => Err(db(e)),
            };
            job.answer(r);
        }
    }
}

/// The SQLite backend.
pub struct Sqlite {
    readers: Arc<Vec<Mutex<Connection>>>,
    /// A connection for kiosks' token checks alone: an upload never waits
    /// for a reader a long report (at a lower priority) holds.
    tokens: Arc<Mutex<Connection>>,
    next_reader: AtomicUsize,
    puts: std::sync::mpsc::Sender<Job>,
}

const READERS: usize = 4;

fn open(path: &Path) -> Result<Connection> {
    let c = Connection::open(path).map_err(db)?;
    c.busy_timeout(std::time::Duration::from_secs(10)).map_err(db)?;
    c.pragma_update(None, "journal_mode", "WAL").map_err(db)?;
    c.pragma_update(None, "synchronous", "FULL").map_err(db)?;
    c.pragma_update(None, "foreign_keys", "ON").map_err(db)?;
    // A province's summaries are read back in reports: keep their pages.
    c.pragma_update(None, "cache_size", -16_384).map_err(db)?;
    // No memory-mapped reads: each of the six connections would map the
    // file, and a province's gigabytes would count in the server's memory
    // six times over (2.9 GB at 100,000 people; the reports read the
    // sums now, not every day's rows; issue 25).
    c.pragma_update(None, "mmap_size", 0_i64).map_err(db)?;
    Ok(c)
}

/// The schema's version (`PRAGMA user_version`; 0 before versions were
/// kept). Raise it with a change `SCHEMA`'s `IF NOT EXISTS` cannot make
/// on an older database (a new column), and make that change in
/// `migrate`.
const SCHEMA_VERSION: i64 = 5;

/// `person_months` and `unit_days` summed again from every latest row
/// (see [`sums`]).
fn refill_sums(tx: &Connection) -> Result<()> {
    tx.execute_batch(&format!(
        "DELETE FROM person_months; {}; DELETE FROM unit_days; {};",
        sums::fill_all_months(sums::ByDay::Sqlite),
        sums::fill_all_unit_days()
    ))
    .map_err(db)
}

/// Every unit a kiosk serves, added (as by its registration) when unknown.
const UNITS_OF_KIOSKS: &str = "INSERT OR IGNORE INTO units (name, parent, added_at, added_by)
    SELECT j.value, NULL, k.created_at, 'kiosk ' || k.id FROM kiosks k, json_each(k.units) j
    WHERE json_valid(k.units) AND j.type = 'text' ORDER BY k.created_at, k.id";

/// Brings a database made by an earlier version up to `SCHEMA_VERSION`,
/// in one transaction: a crash leaves it as it was, and the next start
/// does it again.
fn migrate(c: &mut Connection) -> Result<()> {
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(db)?;
    if version > SCHEMA_VERSION {
        // A newer server's database: this one would write without what
        // the newer keeps (the sums, say), silently.
        return Err(db(format!(
            "the database was made by a newer dutyclock-central (schema {version}, this one knows {SCHEMA_VERSION}): \
             run the newer version"
        )));
    }
    if version >= SCHEMA_VERSION {
        return Ok(());
    }
    let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
    let add_column = |table: &str, column: &str, ty: &str| -> Result<()> {
        let has: bool = tx
            .query_row(&format!("SELECT count(*) FROM pragma_table_info('{table}') WHERE name = ?1"), [column], |r| {
                r.get(0)
            })
            .map_err(db)?;
        if !has {
            tx.execute_batch(&format!("ALTER TABLE {table} ADD COLUMN {column} {ty}")).map_err(db)?;
        }
        Ok(())
    };
    add_column("user_tokens", "expires_at", "INTEGER")?;
    add_column("login_failures", "updated_at", "INTEGER NOT NULL DEFAULT 0")?;
    add_column("kiosks", "records_broken_at", "INTEGER")?;
    add_column("kiosks", "doors", "TEXT NOT NULL DEFAULT '[]'")?;
    add_column("kiosks", "name", "TEXT")?;
    // Tokens made before tokens expired: 90 days from this upgrade.
    let until = chrono::Utc::now().timestamp_millis() + 90 * 86_400_000;
    tx.execute("UPDATE user_tokens SET expires_at = ?1 WHERE expires_at IS NULL", [until]).map_err(db)?;
    // Units from before units were kept: those the kiosks serve.
    tx.execute_batch(UNITS_OF_KIOSKS).map_err(db)?;
    // The sums from before they were kept (schema 5).
    if version < 5 {
        refill_sums(&tx)?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(db)?;
    tx.commit().map_err(db)
}

impl Sqlite {
    /// Opens (creating the file if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Sqlite> {
        let mut writer = open(path)?;
        writer.execute_batch(SCHEMA).map_err(db)?;
        writer.execute_batch(sums::SCHEMA).map_err(db)?;
        writer.execute_batch(WORK_CLAIMS).map_err(db)?;
        writer.execute_batch(&cases::cases_schema()).map_err(db)?;
        // One process opens a SQLite database: claims left by one that
        // stopped are nobody's.
        writer.execute_batch("DELETE FROM work_claims").map_err(db)?;
        migrate(&mut writer)?;
        let claimed: bool =
            writer.query_row("SELECT EXISTS (SELECT 1 FROM person_days)", [], |r| r.get(0)).map_err(db)?;
        if !claimed {
            // The claims change which rows are the latest: the sums follow.
            let tx = writer.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            tx.execute_batch(CLAIM_EARLIER_DAYS).map_err(db)?;
            refill_sums(&tx)?;
            tx.commit().map_err(db)?;
        }
        let readers = (0..READERS).map(|_| open(path).map(Mutex::new)).collect::<Result<Vec<_>>>()?;
        let (puts, jobs) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("central-writer".into())
            .spawn(move || writer_thread(writer, jobs))
            .map_err(|e| db(format!("cannot start the writer thread: {e}")))?;
        let tokens = Arc::new(Mutex::new(open(path)?));
        Ok(Sqlite { readers: Arc::new(readers), tokens, next_reader: AtomicUsize::new(0), puts })
    }

    /// Runs `f` on the writer thread, alone (see `Job`).
    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job: Alone = Box::new(move |c: &mut Connection| {
            let _ = reply.send(f(c));
        });
        self.puts.send(Job::Alone(job)).map_err(|_| db("the writer thread is gone"))?;
        answer.await.map_err(|_| db("the write failed (a fault in the server; see its log)"))?
    }

    async fn read<T: Send + 'static>(&self, f: impl FnOnce(&Connection) -> Result<T> + Send + 'static) -> Result<T> {
        let readers = self.readers.clone();
        let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % READERS;
        tokio::task::spawn_blocking(move || {
            // A free reader if there is one (a long report must not hold
            // up token checks); else wait for the round-robin one.
            let free = (0..READERS).find_map(|k| readers[(i + k) % READERS].try_lock().ok());
            let c = free.unwrap_or_else(|| readers[i].lock().unwrap_or_else(|e| e.into_inner()));
            f(&c)
        })
        .await
        .map_err(db)?
    }
}

/// A kiosk's verdicts counted: (checked, differing, unjudgeable, summary
/// revisions received). Waiting is what the others leave.
pub(super) const REJUDGED_COUNTS: &str = "SELECT
    (SELECT count(*) FROM rejudged j WHERE j.kiosk_id = ?1 AND j.state IN ('agrees', 'differs')),
    (SELECT count(*) FROM rejudged j WHERE j.kiosk_id = ?1 AND j.state = 'differs'),
    (SELECT count(*) FROM rejudged j WHERE j.kiosk_id = ?1 AND j.state = 'unjudgeable'),
    (SELECT count(*) FROM summaries s WHERE s.kiosk_id = ?1)";

/// [`Rejudged`] from [`REJUDGED_COUNTS`]' columns.
pub(super) fn rejudged_from(checked: i64, differing: i64, unjudgeable: i64, received: i64) -> Rejudged {
    let (checked, differing, unjudgeable) = (checked as u64, differing as u64, unjudgeable as u64);
    Rejudged { checked, differing, unjudgeable, waiting: (received as u64).saturating_sub(checked + unjudgeable) }
}

/// Summary revisions without a final verdict: those never judged first
/// (a long wait must not hide them), oldest first; then the waiting ones,
/// longest unlooked-at first (each gets its turn).
pub(super) const UNJUDGED: &str = "SELECT s.date, s.revision, s.content FROM summaries s
    LEFT JOIN rejudged j ON j.kiosk_id = s.kiosk_id AND j.date = s.date AND j.revision = s.revision
    WHERE s.kiosk_id = ?1 AND (j.state IS NULL OR j.state = 'waiting')
    ORDER BY j.state IS NOT NULL, j.judged_at, s.date, s.revision LIMIT ?2";

/// The kiosks in service other than `except`, with their units.
fn active_kiosks(c: &Connection, except: &str) -> Result<Vec<(String, Vec<String>)>> {
    let mut stmt = c.prepare("SELECT id, units FROM kiosks WHERE revoked = 0 AND id <> ?1").map_err(db)?;
    let rows = stmt
        .query_map([except], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .map_err(db)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db)?;
    rows.into_iter().map(|(id, units)| Ok((id, serde_json::from_str(&units).map_err(db)?))).collect()
}

fn date_of(s: String) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

#[async_trait]
impl Storage for Sqlite {
    async fn init(&self) -> Result<()> {
        self.write(|c| {
            c.execute_batch(&format!("{SCHEMA}{}{WORK_CLAIMS}{}", sums::SCHEMA, cases::cases_schema())).map_err(db)
        })
        .await
    }

    async fn claim_work(&self, name: &str, holder: &str, until: Instant, now: Instant) -> Result<bool> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |c| {
            c.query_row(CLAIM_WORK, params![name, holder, until, now], |_| Ok(()))
                .optional()
                .map(|r| r.is_some())
                .map_err(db)
        })
        .await
    }

    async fn release_work(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_string(), holder.to_string());
        self.write(move |c| c.execute(RELEASE_WORK, params![name, holder]).map(|_| ()).map_err(db)).await
    }

    async fn release_claims(&self, holder: &str) -> Result<()> {
        let holder = holder.to_string();
        self.write(move |c| c.execute(RELEASE_CLAIMS, params![holder]).map(|_| ()).map_err(db)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every branch of a period's read is an indexed range: none may fall
    /// back to the primary key (a kiosk's whole chain, 100 ms for a year).
    #[test]
    fn a_periods_read_never_walks_the_whole_chain() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SCHEMA).unwrap();
        let sql = super::super::records::period_records_sql(
            super::super::records::sqlite_at,
            ["?1", "?2", "?3", "?4"],
            super::super::records::SQLITE_HINTS,
        );
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let plan: Vec<String> = stmt
            .query_map(params!["k", 0, 1, 2], |r| r.get::<_, String>(3))
            .unwrap()
            .map(|r| r.unwrap())
            .filter(|d| d.starts_with("SEARCH") || d.starts_with("SCAN"))
            .collect();
        assert_eq!(plan.len(), 10, "{plan:#?}");
        for step in &plan {
            // A SEARCH of one kiosk's range (a SCAN of an index would read
            // every kiosk's records).
            assert!(
                step.starts_with("SEARCH")
                    && step.contains("(kiosk_id=?")
                    && (step.contains("USING INDEX chain_records_tbl")
                        || step.contains("USING INDEX chain_punches_at")),
                "a branch reads more than the kiosk's period: {plan:#?}"
            );
        }
    }

    /// A person's rows are found day by day through the (date, staff_no)
    /// index: a person's quarter, and a revision's months summed again
    /// (with the name of each person's last day). Without the index named,
    /// SQLite read each day's every row by the table's key.
    #[test]
    fn a_persons_rows_are_found_by_the_day_index() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(SCHEMA).unwrap();
        c.execute_batch(sums::SCHEMA).unwrap();
        let (from, to) = (NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 9, 30).unwrap());
        let person = summaries::person_days_sql(from, to);
        let refill = sums::refill_touched_months(from, sums::ByDay::Sqlite);
        for (sql, n) in [(person, 1), (refill, 4)] {
            let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
            let plan: Vec<String> = stmt
                .query_map(rusqlite::params_from_iter((0..n).map(|i| i.to_string())), |r| r.get::<_, String>(3))
                .unwrap()
                .map(|r| r.unwrap())
                .filter(|d| d.contains("summary_people") || d.contains(" p ") || d.contains(" n "))
                .collect();
            let by_person: Vec<&String> = plan.iter().filter(|d| d.contains(" p ") || d.contains(" n ")).collect();
            assert!(!by_person.is_empty(), "{plan:#?}");
            for step in by_person {
                assert!(
                    step.contains("INDEX summary_people_day (date=? AND staff_no=?)"),
                    "a person's rows read otherwise: {plan:#?}"
                );
            }
        }
    }
}
