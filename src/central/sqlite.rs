//! The embedded backend: one SQLite file in the data directory (rusqlite,
//! the same libsqlite3 as the kiosk's), WAL and `synchronous=FULL`. One
//! writer connection (every decision is one `BEGIN IMMEDIATE`
//! transaction), a few reader connections; calls run on tokio's blocking
//! pool.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::ingest;
use super::storage::*;
use crate::domain::chain::{self, WireRecord};
use crate::domain::summary::{DayFigures, DayStatus, PersonSummary, ReportRow};
use crate::domain::time::Instant;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS kiosks (
    id              TEXT PRIMARY KEY,
    units           TEXT NOT NULL,
    token_hash      TEXT NOT NULL UNIQUE,
    revoked         INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    last_seen       INTEGER,
    clock_offset_ms INTEGER,
    chain_state     TEXT NOT NULL DEFAULT 'ok',
    records_broken_at INTEGER
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
CREATE INDEX IF NOT EXISTS summary_people_staff ON summary_people (staff_no, date);
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

/// A report row from `(staff_no, name, unit, days_expected, days_present, sums in FIGURES order)`.
/// A person's day as the report counts it (the kiosk's own definitions):
/// expected unless a rest day; present when also punched.
pub(super) fn day_counts(p: &PersonSummary) -> (u32, u32) {
    let expected = p.status != DayStatus::Rest;
    (u32::from(expected), u32::from(expected && !p.punches.is_empty()))
}

pub(super) fn report_row(
    staff_no: String,
    name: String,
    unit: String,
    expected: u32,
    present: u32,
    f: [u32; 14],
) -> ReportRow {
    ReportRow::from_sums(staff_no, name, unit, expected, present, &figures_from(f))
}

pub(super) fn status_of(s: &str) -> DayStatus {
    serde_json::from_value(serde_json::Value::String(s.to_string())).unwrap_or(DayStatus::Normal)
}

fn db(e: impl std::fmt::Display) -> StorageError {
    StorageError::Db(e.to_string())
}

/// One upload decided and stored on `tx` (a savepoint of a batch): the
/// stored revision compared, the summary and its people inserted, the
/// chain checked, the kiosk's last seen and clock offset updated.
fn put_in(tx: &Connection, kiosk: &str, u: &Upload) -> Result<Put> {
    let date = u.summary.date.to_string();
    let stored: Option<(i64, String)> = tx
        .query_row(
            "SELECT revision, content_key FROM summaries WHERE kiosk_id = ?1 AND date = ?2 AND latest = 1",
            params![kiosk, date],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()
        .map_err(db)?;
    let put = ingest::decide(stored.as_ref().map(|(r, k)| (*r, k.as_str())), u.summary.revision, &u.content_key);
    if put == Put::Stored {
        // The limits first: a refusal writes nothing.
        let revisions: i64 = tx
            .query_row("SELECT count(*) FROM summaries WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date], |r| {
                r.get(0)
            })
            .map_err(db)?;
        let day = budget_day(u.received_at);
        let used: i64 = tx
            .query_row("SELECT bytes FROM upload_budget WHERE kiosk_id = ?1 AND day = ?2", params![kiosk, day], |r| {
                r.get(0)
            })
            .optional()
            .map_err(db)?
            .unwrap_or(0);
        if let Some(refused) = over_limits(revisions, used, u.json.len()) {
            return Ok(refused);
        }
        let mut owner = tx
            .prepare_cached("SELECT kiosk_id FROM person_days WHERE date = ?1 AND staff_no = ?2 AND kiosk_id <> ?3")
            .map_err(db)?;
        for (index, p) in u.summary.people.iter().enumerate() {
            if let Some(other) =
                owner.query_row(params![date, p.staff_no, kiosk], |r| r.get::<_, String>(0)).optional().map_err(db)?
            {
                return Ok(Put::Claimed { index, staff_no: p.staff_no.clone(), kiosk: other });
            }
        }
        // This revision's people are the kiosk's claims for the date: one
        // it no longer names (a typo corrected, a transfer) is given up.
        tx.execute("DELETE FROM person_days WHERE date = ?1 AND kiosk_id = ?2", params![date, kiosk]).map_err(db)?;
        let mut claim = tx
            .prepare_cached("INSERT OR IGNORE INTO person_days (date, staff_no, kiosk_id) VALUES (?1, ?2, ?3)")
            .map_err(db)?;
        for p in &u.summary.people {
            claim.execute(params![date, p.staff_no, kiosk]).map_err(db)?;
        }
        tx.execute(
            "INSERT INTO upload_budget (kiosk_id, day, bytes) VALUES (?1, ?2, ?3)
             ON CONFLICT (kiosk_id, day) DO UPDATE SET bytes = bytes + excluded.bytes",
            params![kiosk, day, u.json.len() as i64],
        )
        .map_err(db)?;
        tx.execute("UPDATE summaries SET latest = 0 WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date])
            .map_err(db)?;
        tx.execute("UPDATE summary_people SET latest = 0 WHERE kiosk_id = ?1 AND date = ?2", params![kiosk, date])
            .map_err(db)?;
        tx.execute(
            "INSERT INTO summaries (kiosk_id, date, revision, content, content_key, received_at, latest)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1)",
            params![kiosk, date, u.summary.revision, u.json, u.content_key, u.received_at],
        )
        .map_err(db)?;
        let mut ins = tx
            .prepare_cached(&format!(
                "INSERT INTO summary_people (kiosk_id, date, revision, latest, {}, expected, present)
                 VALUES (?1, ?2, ?3, 1, {})",
                person_columns(""),
                (4..4 + 21).map(|i| format!("?{i}")).collect::<Vec<_>>().join(", ")
            ))
            .map_err(db)?;
        for p in &u.summary.people {
            let f = figures_of(&p.figures);
            let punches = serde_json::to_string(&p.punches).map_err(db)?;
            let (expected, present) = day_counts(p);
            let status = p.status.as_str();
            let mut values: Vec<&dyn rusqlite::ToSql> =
                vec![&kiosk, &date, &u.summary.revision, &p.staff_no, &p.name, &p.unit, &status];
            values.extend(f.iter().map(|v| v as &dyn rusqlite::ToSql));
            values.extend([&punches as &dyn rusqlite::ToSql, &expected, &present]);
            ins.execute(values.as_slice()).map_err(db)?;
        }
    }
    // Only a newly stored summary adds a point: a resent one is not news.
    if put == Put::Stored {
        if let (Some(length), Some(head)) = (u.summary.chain_length, &u.summary.chain_head) {
            let seen: Vec<(u64, String, Instant)> = tx
                .prepare(
                    "SELECT length, head, made_at FROM chain_points WHERE kiosk_id = ?1 AND \
                 (length = ?2 OR (made_at < ?3 AND length > ?2) OR (made_at > ?3 AND length < ?2)) LIMIT 4",
                )
                .map_err(db)?
                .query_map(params![kiosk, length as i64, u.generated_at], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get(1)?, r.get(2)?))
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            let verdict = chain_verdict(&seen, length, head, u.generated_at);
            if verdict != ChainState::Ok {
                tx.execute("UPDATE kiosks SET chain_state = ?2 WHERE id = ?1", params![kiosk, verdict.as_str()])
                    .map_err(db)?;
            }
            tx.execute(
                "INSERT OR IGNORE INTO chain_points (kiosk_id, length, head, made_at) VALUES (?1, ?2, ?3, ?4)",
                params![kiosk, length as i64, head, u.generated_at],
            )
            .map_err(db)?;
        }
    }
    tx.execute(
        "UPDATE kiosks SET last_seen = ?2, clock_offset_ms = coalesce(?3, clock_offset_ms) WHERE id = ?1",
        params![kiosk, u.received_at, u.clock_offset_ms],
    )
    .map_err(db)?;
    Ok(put)
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
    // A quarter's report reads tens of megabytes: mapped, the pages are
    // read from the OS's cache in place instead of copied into SQLite's.
    c.pragma_update(None, "mmap_size", 1_i64 << 30).map_err(db)?;
    Ok(c)
}

/// The schema's version (`PRAGMA user_version`; 0 before versions were
/// kept). Raise it with a change `SCHEMA`'s `IF NOT EXISTS` cannot make
/// on an older database (a new column), and make that change in
/// `migrate`.
const SCHEMA_VERSION: i64 = 2;

/// Brings a database made by an earlier version up to `SCHEMA_VERSION`,
/// in one transaction: a crash leaves it as it was, and the next start
/// does it again.
fn migrate(c: &mut Connection) -> Result<()> {
    let version: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(db)?;
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
    // Tokens made before tokens expired: 90 days from this upgrade.
    let until = chrono::Utc::now().timestamp_millis() + 90 * 86_400_000;
    tx.execute("UPDATE user_tokens SET expires_at = ?1 WHERE expires_at IS NULL", [until]).map_err(db)?;
    tx.pragma_update(None, "user_version", SCHEMA_VERSION).map_err(db)?;
    tx.commit().map_err(db)
}

impl Sqlite {
    /// Opens (creating the file if needed) the database at `path`.
    pub fn open(path: &Path) -> Result<Sqlite> {
        let mut writer = open(path)?;
        writer.execute_batch(SCHEMA).map_err(db)?;
        migrate(&mut writer)?;
        let claimed: bool =
            writer.query_row("SELECT EXISTS (SELECT 1 FROM person_days)", [], |r| r.get(0)).map_err(db)?;
        if !claimed {
            writer.execute_batch(&format!("BEGIN IMMEDIATE; {CLAIM_EARLIER_DAYS} COMMIT;")).map_err(db)?;
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

fn kiosk_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<KioskRow> {
    let units: String = r.get(1)?;
    Ok(KioskRow {
        id: r.get(0)?,
        units: serde_json::from_str(&units).unwrap_or_default(),
        revoked: r.get(2)?,
        created_at: r.get(3)?,
        last_seen: r.get(4)?,
        clock_offset_ms: r.get(5)?,
        chain: ChainState::parse(&r.get::<_, String>(6)?),
        latest: None,
        missing_days: vec![],
        bytes_today: 0,
        records: ChainHeld {
            stored_to: r.get::<_, i64>(8)? as u64,
            broken_at: r.get::<_, Option<i64>>(7)?.map(|n| n as u64),
        },
        rejudged: Rejudged::default(),
    })
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

const KIOSK_COLUMNS: &str =
    "id, units, revoked, created_at, last_seen, clock_offset_ms, chain_state, records_broken_at, \
    (SELECT coalesce(max(c.seq), 0) FROM chain_records c WHERE c.kiosk_id = kiosks.id)";

/// See [`Storage::put_records`].
fn put_records_in(tx: &Connection, kiosk: &str, from: u64, records: &[Prepared]) -> Result<RecordsPut> {
    let stored_to: i64 = tx
        .query_row("SELECT coalesce(max(seq), 0) FROM chain_records WHERE kiosk_id = ?1", [kiosk], |r| r.get(0))
        .map_err(db)?;
    let stored_to = stored_to as u64;
    if from > stored_to + 1 {
        return Ok(RecordsPut::Gap { expected: stored_to + 1 });
    }
    let hash_at = |seq: u64| -> Result<String> {
        tx.query_row(
            "SELECT hash FROM chain_records WHERE kiosk_id = ?1 AND seq = ?2",
            params![kiosk, seq as i64],
            |r| r.get(0),
        )
        .map_err(db)
    };
    let prev = match from {
        1 => chain::GENESIS,
        _ => chain::parse_hex(&hash_at(from - 1)?).ok_or_else(|| db("a held record's hash is not hex"))?,
    };
    let broken = match super::records::follow(prev, records) {
        Err(i) => Some(i),
        // Records already held must be the ones held.
        Ok(()) => records
            .iter()
            .enumerate()
            .take_while(|(_, r)| r.seq <= stored_to)
            .map(|(i, r)| Ok((i, hash_at(r.seq)? == chain::hex(&r.hash))))
            .collect::<Result<Vec<_>>>()?
            .into_iter()
            .find_map(|(i, same)| (!same).then_some(i)),
    };
    if let Some(index) = broken {
        let seq = records[index].seq as i64;
        tx.execute(
            "UPDATE kiosks SET records_broken_at = min(coalesce(records_broken_at, ?2), ?2) WHERE id = ?1",
            params![kiosk, seq],
        )
        .map_err(db)?;
        return Ok(RecordsPut::Broken { index, seq: seq as u64 });
    }
    let mut insert = tx
        .prepare_cached(
            "INSERT INTO chain_records (kiosk_id, seq, tbl, row_id, content, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db)?;
    for r in records.iter().filter(|r| r.seq > stored_to) {
        insert.execute(params![kiosk, r.seq as i64, r.table, r.row_id, r.content, chain::hex(&r.hash)]).map_err(db)?;
    }
    let last = records.last().map_or(0, |r| r.seq);
    Ok(RecordsPut::Stored { stored_to: stored_to.max(last) })
}

/// Rows of `chain_records` as wire records.
fn stored_records(c: &Connection, kiosk: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
    wire_records(
        c,
        "SELECT seq, tbl, row_id, content, hash FROM chain_records WHERE kiosk_id = ?1 AND seq >= ?2 ORDER BY seq LIMIT ?3",
        params![kiosk, from as i64, limit as i64],
        kiosk,
    )
}

/// Rows of `chain_records` (`seq, tbl, row_id, content, hash`) from `sql`
/// as wire records.
fn wire_records(c: &Connection, sql: &str, p: impl rusqlite::Params, kiosk: &str) -> Result<Vec<WireRecord>> {
    let mut stmt = c.prepare_cached(sql).map_err(db)?;
    let rows = stmt
        .query_map(p, |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })
        .map_err(db)?;
    rows.map(|row| {
        let (seq, tbl, id, content, hash) = row.map_err(db)?;
        WireRecord::from_stored(seq as u64, &tbl, id, &content, &hash)
            .ok_or_else(|| db(format!("held record {seq} of {kiosk} cannot be read back")))
    })
    .collect()
}

fn user_from(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok(UserRow {
        name: r.get(0)?,
        role: Role::parse(&r.get::<_, String>(1)?).unwrap_or(Role::Bureau),
        password_hash: r.get(2)?,
        failures: r.get(3)?,
        locked_until: r.get(4)?,
    })
}

fn person_from(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<PersonSummary> {
    let mut f = [0u32; 14];
    for (i, v) in f.iter_mut().enumerate() {
        *v = r.get(at + 4 + i)?;
    }
    let punches: String = r.get(at + 18)?;
    Ok(PersonSummary {
        staff_no: r.get(at)?,
        name: r.get(at + 1)?,
        unit: r.get(at + 2)?,
        status: status_of(&r.get::<_, String>(at + 3)?),
        figures: figures_from(f),
        punches: serde_json::from_str(&punches).unwrap_or_default(),
    })
}

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

/// A `PersonDay` from `kiosk_id, date, revision, received_at` and the
/// person's columns.
fn person_day(r: &rusqlite::Row<'_>) -> rusqlite::Result<PersonDay> {
    Ok(PersonDay {
        kiosk_id: r.get(0)?,
        date: date_of(r.get(1)?)?,
        revision: r.get(2)?,
        received_at: r.get(3)?,
        person: person_from(r, 4)?,
    })
}

/// The latest person rows in `[from, to]` (of one unit, when given) that
/// meet `condition` (SQL over `p.`), in `order`.
fn latest_days(
    c: &Connection,
    (from, to, unit): (NaiveDate, NaiveDate, Option<String>),
    condition: &str,
    order: &str,
) -> Result<Vec<PersonDay>> {
    let sql = format!(
        "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
         FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
         WHERE p.date >= ?1 AND p.date <= ?2 AND p.latest = 1 AND (?3 IS NULL OR p.unit = ?3) AND ({condition})
         ORDER BY {order}",
        person_columns("p.")
    );
    let mut stmt = c.prepare_cached(&sql).map_err(db)?;
    let days = stmt
        .query_map(params![from.to_string(), to.to_string(), unit], person_day)
        .map_err(db)?
        .collect::<rusqlite::Result<_>>()
        .map_err(db)?;
    Ok(days)
}

fn person_columns(prefix: &str) -> String {
    let mut cols = vec!["staff_no", "name", "unit", "status"];
    cols.extend(FIGURES);
    cols.push("punches");
    cols.iter().map(|c| format!("{prefix}{c}")).collect::<Vec<_>>().join(", ")
}

fn date_of(s: String) -> rusqlite::Result<NaiveDate> {
    s.parse().map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

#[async_trait]
impl Storage for Sqlite {
    async fn init(&self) -> Result<()> {
        self.write(|c| c.execute_batch(SCHEMA).map_err(db)).await
    }

    async fn add_kiosk(&self, id: &str, units: &[String], token_hash: &str, now: Instant) -> Result<()> {
        let (id, units, token) = (id.to_string(), units.to_vec(), token_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            if let Some(refused) = unit_taken(&active_kiosks(&tx, &id)?, &units) {
                return Err(refused);
            }
            let n = tx
                .execute(
                    "INSERT OR IGNORE INTO kiosks (id, units, token_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![id, serde_json::to_string(&units).map_err(db)?, token, now],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Exists(format!("kiosk {id}")));
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn set_kiosk_token(&self, id: &str, token_hash: &str) -> Result<()> {
        let (id, token) = (id.to_string(), token_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let (units, revoked): (String, bool) = tx
                .query_row("SELECT units, revoked FROM kiosks WHERE id = ?1", [&id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()
                .map_err(db)?
                .ok_or_else(|| StorageError::NotFound(format!("no kiosk {id}")))?;
            let units: Vec<String> = serde_json::from_str(&units).map_err(db)?;
            if let Some(refused) =
                revoked.then(|| active_kiosks(&tx, &id)).transpose()?.and_then(|a| unit_taken(&a, &units))
            {
                return Err(refused);
            }
            tx.execute("UPDATE kiosks SET token_hash = ?2, revoked = 0 WHERE id = ?1", params![id, token])
                .map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn revoke_kiosk(&self, id: &str) -> Result<()> {
        let id = id.to_string();
        self.write(move |c| {
            let n = c.execute("UPDATE kiosks SET revoked = 1 WHERE id = ?1", [&id]).map_err(db)?;
            if n == 0 {
                return Err(StorageError::NotFound(format!("no kiosk {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn kiosk_by_token(&self, token_hash: &str) -> Result<Option<KioskRow>> {
        let (token, conn) = (token_hash.to_string(), self.tokens.clone());
        tokio::task::spawn_blocking(move || {
            let c = conn.lock().unwrap_or_else(|e| e.into_inner());
            c.query_row(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE token_hash = ?1"), [token], kiosk_from)
                .optional()
                .map_err(db)
        })
        .await
        .map_err(db)?
    }

    async fn kiosks(&self, today: NaiveDate) -> Result<Vec<KioskRow>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks ORDER BY id")).map_err(db)?;
            let mut kiosks: Vec<KioskRow> =
                stmt.query_map([], kiosk_from).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            let mut dates = c
                .prepare("SELECT date, revision FROM summaries WHERE kiosk_id = ?1 AND latest = 1 ORDER BY date")
                .map_err(db)?;
            let mut budget =
                c.prepare("SELECT bytes FROM upload_budget WHERE kiosk_id = ?1 AND day = ?2").map_err(db)?;
            let mut counts = c.prepare(REJUDGED_COUNTS).map_err(db)?;
            for k in &mut kiosks {
                let rows: Vec<(NaiveDate, i64)> = dates
                    .query_map([&k.id], |r| Ok((date_of(r.get(0)?)?, r.get(1)?)))
                    .map_err(db)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db)?;
                k.latest = rows.last().copied();
                let have: Vec<NaiveDate> = rows.iter().map(|(d, _)| *d).collect();
                k.missing_days = missing_days(&have, today.pred_opt().unwrap_or(today));
                k.bytes_today = budget
                    .query_row(params![k.id, today.to_string()], |r| r.get(0))
                    .optional()
                    .map_err(db)?
                    .unwrap_or(0);
                k.rejudged = counts
                    .query_row([&k.id], |r| Ok(rejudged_from(r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .map_err(db)?;
            }
            Ok(kiosks)
        })
        .await
    }

    async fn put_summary(&self, kiosk_id: &str, upload: &Upload) -> Result<Put> {
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.puts
            .send(Job::Batched(Batched::Put { kiosk: kiosk_id.to_string(), upload: Box::new(upload.clone()), reply }))
            .map_err(|_| db("the writer thread is gone"))?;
        answer.await.map_err(|_| db("the writer thread is gone"))?
    }

    async fn put_records(&self, kiosk_id: &str, from: u64, records: &[Prepared], now: Instant) -> Result<RecordsPut> {
        let (kiosk, records) = (kiosk_id.to_string(), records.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let put = put_records_in(&tx, &kiosk, from, &records)?;
            if !matches!(put, RecordsPut::Gap { .. }) {
                tx.execute(
                    "UPDATE kiosks SET last_seen = max(coalesce(last_seen, ?2), ?2) WHERE id = ?1",
                    params![kiosk, now],
                )
                .map_err(db)?;
            }
            tx.commit().map_err(db)?;
            Ok(put)
        })
        .await
    }

    async fn records(&self, kiosk_id: &str, from: u64, limit: usize) -> Result<Vec<WireRecord>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| stored_records(c, &kiosk, from, limit)).await
    }

    async fn period_records(&self, kiosk_id: &str, from: Instant, to: Instant, before: u64) -> Result<Vec<WireRecord>> {
        let kiosk = kiosk_id.to_string();
        let before = before.min(i64::MAX as u64) as i64;
        self.read(move |c| {
            let sql = super::records::period_records_sql(
                super::records::sqlite_at,
                ["?1", "?2", "?3", "?4"],
                super::records::SQLITE_HINTS,
            );
            wire_records(c, &sql, params![kiosk, from, to, before], &kiosk)
        })
        .await
    }

    async fn kiosk(&self, kiosk_id: &str) -> Result<Option<KioskRow>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {KIOSK_COLUMNS} FROM kiosks WHERE id = ?1"), [kiosk], kiosk_from)
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn put_rules(&self, kiosk_id: &str, version: u64, content: &str, now: Instant) -> Result<bool> {
        let (kiosk, content) = (kiosk_id.to_string(), content.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let held: Option<String> = tx
                .query_row(
                    "SELECT content FROM kiosk_rules WHERE kiosk_id = ?1 AND version = ?2",
                    params![kiosk, version as i64],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db)?;
            if let Some(held) = held {
                return Ok(held == content);
            }
            tx.execute(
                "INSERT INTO kiosk_rules (kiosk_id, version, content, received_at) VALUES (?1, ?2, ?3, ?4)",
                params![kiosk, version as i64, content, now],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(true)
        })
        .await
    }

    async fn rules(&self, kiosk_id: &str, version: Option<u64>) -> Result<Option<(u64, String)>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            c.query_row(
                "SELECT version, content FROM kiosk_rules WHERE kiosk_id = ?1 AND (?2 IS NULL OR version = ?2)
                 ORDER BY version DESC LIMIT 1",
                params![kiosk, version.map(|v| v as i64)],
                |r| Ok((r.get::<_, i64>(0)? as u64, r.get(1)?)),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn unjudged(&self, kiosk_id: &str, limit: usize) -> Result<Vec<Unjudged>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(UNJUDGED).map_err(db)?;
            let rows = stmt
                .query_map(params![kiosk, limit as i64], |r| Ok((date_of(r.get(0)?)?, r.get(1)?, r.get(2)?)))
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn put_verdicts(&self, kiosk_id: &str, verdicts: &[StoredVerdict]) -> Result<()> {
        let (kiosk, verdicts) = (kiosk_id.to_string(), verdicts.to_vec());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT INTO rejudged (kiosk_id, date, revision, state, detail, judged_at)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                         ON CONFLICT (kiosk_id, date, revision) DO UPDATE
                         SET state = excluded.state, detail = excluded.detail, judged_at = excluded.judged_at
                         WHERE rejudged.state = 'waiting'",
                    )
                    .map_err(db)?;
                for v in &verdicts {
                    put.execute(params![
                        kiosk,
                        v.date.to_string(),
                        v.revision,
                        v.state.as_str(),
                        v.detail,
                        v.judged_at
                    ])
                    .map_err(db)?;
                }
            }
            tx.commit().map_err(db)
        })
        .await
    }

    async fn held_revisions(&self, kiosk_id: &str) -> Result<Vec<(NaiveDate, i64)>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached("SELECT date, revision FROM summaries WHERE kiosk_id = ?1 AND latest = 1 ORDER BY date")
                .map_err(db)?;
            let rows = stmt.query_map([kiosk], |r| Ok((date_of(r.get(0)?)?, r.get(1)?))).map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn differing(&self, kiosk_id: &str, limit: usize) -> Result<Vec<StoredVerdict>> {
        let kiosk = kiosk_id.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare_cached(
                    "SELECT date, revision, state, detail, judged_at FROM rejudged
                     WHERE kiosk_id = ?1 AND state = 'differs' ORDER BY date DESC, revision DESC LIMIT ?2",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![kiosk, limit as i64], |r| {
                    Ok(StoredVerdict {
                        date: date_of(r.get(0)?)?,
                        revision: r.get(1)?,
                        state: VerdictState::parse(&r.get::<_, String>(2)?),
                        detail: r.get(3)?,
                        judged_at: r.get(4)?,
                    })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
    }

    async fn latest_summaries(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        after: Option<(NaiveDate, String)>,
        limit: usize,
        max_bytes: usize,
    ) -> Result<SummaryPage> {
        self.read(move |c| {
            let mut stmt = c
                .prepare(
                    "SELECT revision, received_at, content FROM summaries
                     WHERE latest = 1 AND date >= ?1 AND date <= ?2
                       AND (?3 IS NULL OR date > ?3 OR (date = ?3 AND kiosk_id > ?4))
                     ORDER BY date, kiosk_id LIMIT ?5",
                )
                .map_err(db)?;
            let (after_date, after_kiosk) = after.map_or((None, None), |(d, k)| (Some(d.to_string()), Some(k)));
            let limit = i64::try_from(limit).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![from.to_string(), to.to_string(), after_date, after_kiosk, limit], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?, r.get::<_, String>(2)?))
                })
                .map_err(db)?;
            let mut out = Vec::new();
            let mut bytes = 0;
            for row in rows {
                let (rev, at, content) = row.map_err(db)?;
                bytes += content.len();
                out.push((rev, at, serde_json::from_str(&content).map_err(db)?));
                if bytes >= max_bytes {
                    return Ok(SummaryPage { rows: out, cut_at_bytes: true });
                }
            }
            Ok(SummaryPage { rows: out, cut_at_bytes: false })
        })
        .await
    }

    async fn report_people(&self, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Result<Vec<ReportRow>> {
        let unit = unit.map(str::to_string);
        self.read(move |c| {
            // One pass over the period's range of the table (clustered by
            // date), summed here: SQLite's GROUP BY would sort every row
            // first. Name and unit come from each person's latest day.
            #[derive(Default)]
            struct Acc {
                last: String,
                name: String,
                unit: String,
                expected: u32,
                present: u32,
                f: [u32; 14],
            }
            let sql = format!(
                "SELECT staff_no, date, name, unit, expected, present, {} FROM summary_people
                 WHERE date >= ?1 AND date <= ?2 AND latest = 1 AND (?3 IS NULL OR unit = ?3)",
                FIGURES.join(", ")
            );
            let mut stmt = c.prepare_cached(&sql).map_err(db)?;
            let mut by: std::collections::HashMap<String, Acc> = std::collections::HashMap::new();
            let mut rows = stmt.query(params![from.to_string(), to.to_string(), unit]).map_err(db)?;
            while let Some(r) = rows.next().map_err(db)? {
                let no = r.get_ref(0).and_then(|v| Ok(v.as_str()?)).map_err(db)?;
                if !by.contains_key(no) {
                    by.insert(no.to_string(), Acc::default());
                }
                let Some(acc) = by.get_mut(no) else { continue };
                let date = r.get_ref(1).and_then(|v| Ok(v.as_str()?)).map_err(db)?;
                if date > acc.last.as_str() {
                    acc.last = date.to_string();
                    acc.name = r.get(2).map_err(db)?;
                    acc.unit = r.get(3).map_err(db)?;
                }
                acc.expected = acc.expected.saturating_add(r.get(4).map_err(db)?);
                acc.present = acc.present.saturating_add(r.get(5).map_err(db)?);
                for (i, v) in acc.f.iter_mut().enumerate() {
                    *v = v.saturating_add(r.get(6 + i).map_err(db)?);
                }
            }
            Ok(by.into_iter().map(|(no, a)| report_row(no, a.name, a.unit, a.expected, a.present, a.f)).collect())
        })
        .await
    }

    async fn person_history(
        &self,
        staff_no: &str,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(PersonDay, Vec<Earlier>)>> {
        let no = staff_no.to_string();
        self.read(move |c| {
            let sql = format!(
                "SELECT p.kiosk_id, p.date, p.revision, s.received_at, {}
                 FROM summary_people p JOIN summaries s USING (kiosk_id, date, revision)
                 WHERE p.staff_no = ?1 AND p.latest = 1 AND p.date >= ?2 AND p.date <= ?3 ORDER BY p.date, p.kiosk_id",
                person_columns("p.")
            );
            let mut stmt = c.prepare(&sql).map_err(db)?;
            let days: Vec<PersonDay> = stmt
                .query_map(params![no, from.to_string(), to.to_string()], person_day)
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            // Every earlier revision of the day, with this person's row in
            // it where there is one.
            let mut revs = c
                .prepare(&format!(
                    "SELECT s.revision, s.received_at, {}
                     FROM summaries s LEFT JOIN summary_people p
                       ON p.kiosk_id = s.kiosk_id AND p.date = s.date AND p.revision = s.revision AND p.staff_no = ?3
                     WHERE s.kiosk_id = ?1 AND s.date = ?2 AND s.latest = 0 ORDER BY s.revision",
                    person_columns("p.")
                ))
                .map_err(db)?;
            let mut out = Vec::new();
            for d in days {
                let earlier: Vec<Earlier> = revs
                    .query_map(params![d.kiosk_id, d.date.to_string(), no], |r| {
                        let person = match r.get::<_, Option<String>>(2)? {
                            Some(_) => Some(person_from(r, 2)?),
                            None => None,
                        };
                        Ok(Earlier { revision: r.get(0)?, received_at: r.get(1)?, person })
                    })
                    .map_err(db)?
                    .collect::<rusqlite::Result<_>>()
                    .map_err(db)?;
                out.push((d, earlier));
            }
            Ok(out)
        })
        .await
    }

    async fn unit_days(&self, unit: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PersonDay>> {
        let unit = Some(unit.to_string());
        self.read(move |c| latest_days(c, (from, to, unit), "1", "p.staff_no, p.date")).await
    }

    async fn spot_check_days(&self, from: NaiveDate, to: NaiveDate, unit: Option<&str>) -> Result<Vec<PersonDay>> {
        let unit = unit.map(str::to_string);
        let spot = "p.spot_check_absences + p.spot_checks_present > 0";
        self.read(move |c| latest_days(c, (from, to, unit), spot, "p.date, p.unit, p.staff_no")).await
    }

    async fn daily_counts(
        &self,
        from: NaiveDate,
        to: NaiveDate,
        unit: Option<&str>,
    ) -> Result<Vec<(NaiveDate, DayCounts)>> {
        let unit = unit.map(str::to_string);
        self.read(move |c| {
            // The table is clustered by date: grouping by it needs no sort.
            let mut stmt = c
                .prepare_cached(
                    "SELECT date, sum(late_count), sum(early_count), sum(absent_sessions) FROM summary_people
                     WHERE date >= ?1 AND date <= ?2 AND latest = 1 AND (?3 IS NULL OR unit = ?3)
                     GROUP BY date ORDER BY date",
                )
                .map_err(db)?;
            let rows = stmt
                .query_map(params![from.to_string(), to.to_string(), unit], |r| {
                    let n = |i| r.get::<_, i64>(i).map(|v| u32::try_from(v).unwrap_or(u32::MAX));
                    Ok((date_of(r.get(0)?)?, DayCounts { late: n(1)?, early: n(2)?, absent: n(3)? }))
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    async fn add_user(&self, name: &str, role: Role, password_hash: &str, now: Instant) -> Result<()> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT OR IGNORE INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
                    params![name, role.as_str(), hash, now],
                )
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Exists(format!("user {name}")));
            }
            Ok(())
        })
        .await
    }

    async fn user(&self, name: &str) -> Result<Option<UserRow>> {
        let name = name.to_string();
        self.read(move |c| {
            c.query_row(&format!("SELECT {USER_COLUMNS} FROM users u WHERE u.name = ?1"), [name], user_from)
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn users(&self) -> Result<Vec<UserRow>> {
        self.read(|c| {
            let mut stmt = c.prepare(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.name")).map_err(db)?;
            let users = stmt.query_map([], user_from).map_err(db)?.collect::<rusqlite::Result<_>>().map_err(db)?;
            Ok(users)
        })
        .await
    }

    async fn set_password(&self, name: &str, password_hash: &str) -> Result<()> {
        let (name, hash) = (name.to_string(), password_hash.to_string());
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let n =
                tx.execute("UPDATE users SET password_hash = ?2 WHERE name = ?1", params![name, hash]).map_err(db)?;
            if n == 0 {
                return Err(StorageError::NotFound(format!("no user {name}")));
            }
            tx.execute("DELETE FROM login_failures WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.execute("DELETE FROM sessions WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.execute("DELETE FROM user_tokens WHERE user_name = ?1", [&name]).map_err(db)?;
            tx.commit().map_err(db)
        })
        .await
    }

    async fn add_user_token(&self, name: &str, token_hash: &str, now: Instant, expires_at: Instant) -> Result<()> {
        let (name, token) = (name.to_string(), token_hash.to_string());
        self.write(move |c| {
            let exists: bool = c
                .query_row("SELECT 1 FROM users WHERE name = ?1", [&name], |_| Ok(()))
                .optional()
                .map_err(db)?
                .is_some();
            if !exists {
                return Err(StorageError::NotFound(format!("no user {name}")));
            }
            c.execute(
                "INSERT INTO user_tokens (token_hash, user_name, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                params![token, name, now, expires_at],
            )
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn user_by_token(&self, token_hash: &str, now: Instant) -> Result<Option<UserRow>> {
        let token = token_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLUMNS} FROM users u JOIN user_tokens t ON t.user_name = u.name
                     WHERE t.token_hash = ?1 AND {TOKEN_EXPIRY_SQL} > ?2"
                ),
                params![token, now],
                user_from,
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn user_tokens(&self, name: &str) -> Result<Vec<TokenRow>> {
        let name = name.to_string();
        self.read(move |c| {
            let mut stmt = c
                .prepare(&format!(
                    "SELECT t.token_hash, t.created_at, {TOKEN_EXPIRY_SQL} FROM user_tokens t
                     WHERE t.user_name = ?1 ORDER BY t.created_at, t.token_hash"
                ))
                .map_err(db)?;
            let rows = stmt
                .query_map([&name], |r| {
                    Ok(TokenRow {
                        id: r.get::<_, String>(0)?.chars().take(TOKEN_ID_LEN).collect(),
                        created_at: r.get(1)?,
                        expires_at: r.get(2)?,
                    })
                })
                .map_err(db)?
                .collect::<rusqlite::Result<_>>()
                .map_err(db)?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_user_token(&self, name: &str, id: &str) -> Result<()> {
        let (name, id) = (name.to_string(), id.to_string());
        self.write(move |c| {
            let n = if id.len() == TOKEN_ID_LEN && id.bytes().all(|b| b.is_ascii_hexdigit()) {
                c.execute(
                    "DELETE FROM user_tokens WHERE user_name = ?1 AND substr(token_hash, 1, ?3) = ?2",
                    params![name, id.to_ascii_lowercase(), TOKEN_ID_LEN as i64],
                )
                .map_err(db)?
            } else {
                0
            };
            if n == 0 {
                return Err(StorageError::NotFound(format!("{name} has no token {id}")));
            }
            Ok(())
        })
        .await
    }

    async fn claim_login(
        &self,
        name: &str,
        client: &str,
        at: Instant,
        tries: u32,
        lock_ms: i64,
    ) -> Result<Option<u32>> {
        let (name, client) = (name.to_string(), client.to_string());
        self.write(move |c| {
            c.query_row(&claim_login_sql('?'), params![name, client, at, tries, lock_ms], |r| r.get(0))
                .optional()
                .map_err(db)
        })
        .await
    }

    async fn login_locked(&self, name: &str, client: &str, at: Instant) -> Result<bool> {
        let (name, client) = (name.to_string(), client.to_string());
        self.read(move |c| {
            c.query_row(
                "SELECT 1 FROM login_failures WHERE user_name = ?1 AND client = ?2 AND locked_until > ?3",
                params![name, client, at],
                |_| Ok(()),
            )
            .optional()
            .map(|r| r.is_some())
            .map_err(db)
        })
        .await
    }

    async fn login_succeeded(&self, name: &str, client: &str) -> Result<()> {
        let (name, client) = (name.to_string(), client.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM login_failures WHERE user_name = ?1 AND client = ?2", [&name, &client])
                .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn unlock(&self, name: &str) -> Result<()> {
        let name = name.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM login_failures WHERE user_name = ?1", [&name]).map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn add_session(
        &self,
        id_hash: &str,
        name: &str,
        password_hash: &str,
        csrf: &str,
        expires_at: Instant,
    ) -> Result<bool> {
        let (id, name, hash, csrf) =
            (id_hash.to_string(), name.to_string(), password_hash.to_string(), csrf.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT INTO sessions (id_hash, user_name, csrf, expires_at)
                     SELECT ?1, name, ?3, ?4 FROM users WHERE name = ?2 AND password_hash = ?5",
                    params![id, name, csrf, expires_at, hash],
                )
                .map_err(db)?;
            Ok(n == 1)
        })
        .await
    }

    async fn session(&self, id_hash: &str, now: Instant) -> Result<Option<(UserRow, String)>> {
        let id = id_hash.to_string();
        self.read(move |c| {
            c.query_row(
                &format!(
                    "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.name = s.user_name
                     WHERE s.id_hash = ?1 AND s.expires_at > ?2"
                ),
                params![id, now],
                |r| Ok((user_from(r)?, r.get(5)?)),
            )
            .optional()
            .map_err(db)
        })
        .await
    }

    async fn prune(&self, now: Instant) -> Result<u64> {
        self.write(move |c| {
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate).map_err(db)?;
            let n = tx.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now]).map_err(db)?
                + tx.execute(
                    "DELETE FROM login_failures WHERE locked_until <= ?1 OR (locked_until IS NULL AND updated_at <= ?2)",
                    [now, now - LOCK_WINDOW_MS],
                )
                .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(n as u64)
        })
        .await
    }

    async fn end_session(&self, id_hash: &str) -> Result<()> {
        let id = id_hash.to_string();
        self.write(move |c| {
            c.execute("DELETE FROM sessions WHERE id_hash = ?1", [id]).map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn audit(&self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()> {
        let row = (now, who.to_string(), action.to_string(), detail.to_string());
        let (reply, answer) = tokio::sync::oneshot::channel();
        self.puts.send(Job::Batched(Batched::Audit { row, reply })).map_err(|_| db("the writer thread is gone"))?;
        answer.await.map_err(|_| db("the writer thread is gone"))?.map(|_| ())
    }

    async fn audit_log(&self, from: Instant, to: Instant) -> Result<Vec<AuditRow>> {
        self.read(move |c| {
            let mut stmt = c
                .prepare("SELECT at, who, action, detail FROM audit WHERE at >= ?1 AND at < ?2 ORDER BY id")
                .map_err(db)?;
            let rows = stmt
                .query_map(params![from, to], |r| {
                    Ok(AuditRow { at: r.get(0)?, who: r.get(1)?, action: r.get(2)?, detail: r.get(3)? })
                })
                .map_err(db)?;
            rows.collect::<rusqlite::Result<_>>().map_err(db)
        })
        .await
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
}
