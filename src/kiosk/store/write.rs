//! Appending records, all-or-nothing, each hashed onto the record chain.

use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{Result, StoreError};
use crate::domain::chain::{self, link, Value, WireRecord, CHAINED};
use crate::domain::model::Snapshot;
use crate::domain::model::{PunchOwner, PunchSource, Staff};
use crate::domain::rejudge::DeclaredRules;
use crate::domain::rules::ClockSpan;
use crate::domain::time::{instant_to_local, Instant};

/// The store's setting (`meta`) before a date: the latest revision of that
/// day the central server held when the store was restored.
pub const SERVER_HOLDS: &str = "summary.server_holds.";

/// The chained columns of `tbl` as SQL (see `domain::chain`).
fn columns(tbl: &str) -> &'static str {
    chain::columns_sql(tbl).unwrap_or("NULL")
}

/// Whether an insert added a row or found the same record already stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inserted {
    New(i64),
    Existing(i64),
}

impl Inserted {
    pub fn id(self) -> i64 {
        match self {
            Inserted::New(id) | Inserted::Existing(id) => id,
        }
    }
    pub fn is_new(self) -> bool {
        matches!(self, Inserted::New(_))
    }
}

/// One all-or-nothing write. Dropped without [`Writer::commit`], it stores nothing.
pub struct Writer<'c> {
    tx: Transaction<'c>,
    head: Option<Vec<u8>>,
}

impl<'c> Writer<'c> {
    pub(super) fn begin(conn: &'c mut Connection) -> Result<Writer<'c>> {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        Ok(Writer { tx, head: None })
    }

    pub fn commit(self) -> Result<()> {
        self.tx.commit()?;
        Ok(())
    }

    /// Appends the row just inserted into `tbl` to the record chain.
    fn chain(&mut self, tbl: &str, row_id: i64) -> Result<()> {
        let prev = match self.head.take() {
            Some(h) => h,
            None => self
                .tx
                .query_row("SELECT hash FROM journal ORDER BY seq DESC LIMIT 1", [], |r| r.get(0))
                .optional()?
                .unwrap_or_else(|| chain::GENESIS.to_vec()),
        };
        // Cached statements: a year of ATTLOG is half a million of these
        // in one transaction, and preparing each costs more than running it.
        let content: String = self
            .tx
            .prepare_cached(&format!("SELECT json_array({}) FROM {tbl} WHERE rowid = ?1", columns(tbl)))?
            .query_row([row_id], |r| r.get(0))?;
        let hash = link(&prev, tbl, row_id, &content);
        self.tx.prepare_cached("INSERT INTO journal (tbl, row_id, hash) VALUES (?1, ?2, ?3)")?.execute(params![
            tbl,
            row_id,
            &hash[..]
        ])?;
        self.head = Some(hash.to_vec());
        Ok(())
    }

    fn inserted(&mut self, tbl: &str) -> Result<i64> {
        let id = self.tx.last_insert_rowid();
        self.chain(tbl, id)?;
        Ok(id)
    }

    /// A key-value setting of the kiosk (`meta`), overwritten in place:
    /// settings are not records.
    pub fn delete_meta(&mut self, key: &str) -> Result<()> {
        self.tx.execute("DELETE FROM meta WHERE key = ?1", [key])?;
        Ok(())
    }

    /// A setting, read inside this write.
    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.tx.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    pub fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = ?2",
            params![key, value],
        )?;
        Ok(())
    }

    /// Adds a version of a staff member when anything differs from the
    /// current one. Returns whether a version was added.
    pub fn put_staff(&mut self, s: &Staff, now: Instant) -> Result<bool> {
        self.tx.execute("INSERT OR IGNORE INTO staff (staff_no) VALUES (?1)", [&s.staff_no])?;
        let current = super::read::current_staff(&self.tx, &s.staff_no)?;
        if current.as_ref() == Some(s) {
            return Ok(false);
        }
        self.tx.execute(
            "INSERT INTO staff_versions (staff_no, name, unit, schedule, role, pin_hash, active_from, active_until, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                s.staff_no,
                s.name,
                s.unit,
                s.schedule,
                s.role.as_str(),
                s.pin_hash,
                s.active_from.map(|d| d.to_string()),
                s.active_until.map(|d| d.to_string()),
                now
            ],
        )?;
        self.inserted("staff_versions")?;
        Ok(true)
    }

    /// Makes a staff number known without a version (a card's holder in
    /// another unit, sent from central so this kiosk stops taking the
    /// card for its previous holder): no person to judge, a name for a card.
    pub fn know_staff_no(&mut self, staff_no: &str) -> Result<()> {
        self.tx.execute("INSERT OR IGNORE INTO staff (staff_no) VALUES (?1)", [staff_no])?;
        Ok(())
    }

    /// A person's current version, if any.
    pub fn current_staff(&self, staff_no: &str) -> Result<Option<Staff>> {
        super::read::current_staff(&self.tx, staff_no)
    }

    /// Whether a card has ever been assigned here (matched as stored).
    pub fn card_known(&self, card: &str) -> Result<bool> {
        Ok(self
            .tx
            .query_row("SELECT 1 FROM card_assignments WHERE card = ?1 LIMIT 1", [card], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Assigns a card (R3). A repeat of the card's assignment to the same
    /// person (same `cards_from`; without one, the card's latest assignment)
    /// adds nothing. Returns whether an assignment was added.
    pub fn assign_card(
        &mut self,
        card: &str,
        staff_no: &str,
        cards_from: Option<NaiveDate>,
        made_on: NaiveDate,
        now: Instant,
    ) -> Result<bool> {
        let exists: bool = match cards_from {
            Some(d) => self
                .tx
                .query_row(
                    "SELECT 1 FROM card_assignments WHERE card = ?1 AND staff_no = ?2 AND cards_from = ?3",
                    params![card, staff_no, d.to_string()],
                    |_| Ok(()),
                )
                .optional()?
                .is_some(),
            None => self
                .tx
                .query_row(
                    "SELECT staff_no FROM card_assignments WHERE card = ?1 ORDER BY id DESC LIMIT 1",
                    [card],
                    |r| r.get::<_, String>(0),
                )
                .optional()?
                .is_some_and(|owner| owner == staff_no),
        };
        if exists {
            return Ok(false);
        }
        self.tx.execute(
            "INSERT INTO card_assignments (card, staff_no, cards_from, made_on, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![card, staff_no, cards_from.map(|d| d.to_string()), made_on.to_string(), now],
        )?;
        self.inserted("card_assignments")?;
        Ok(true)
    }

    /// Replaces one calendar year (reference data, not a record).
    pub fn replace_calendar_year(&mut self, year: i32, days: &[(NaiveDate, String, bool)], now: Instant) -> Result<()> {
        self.tx.execute("DELETE FROM calendar_days WHERE year = ?1", [year])?;
        self.tx.execute(
            "INSERT INTO calendar_years (year, imported_at) VALUES (?1, ?2)
             ON CONFLICT(year) DO UPDATE SET imported_at = ?2",
            params![year, now],
        )?;
        let mut ins = self
            .tx
            .prepare("INSERT OR REPLACE INTO calendar_days (date, year, name, is_off_day) VALUES (?1, ?2, ?3, ?4)")?;
        for (date, name, off) in days {
            ins.execute(params![date.to_string(), year, name, off])?;
        }
        Ok(())
    }

    pub fn add_roster(&mut self, staff_no: &str, date: NaiveDate, span: ClockSpan, now: Instant) -> Result<bool> {
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO roster (staff_no, date, start, end, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                staff_no,
                date.to_string(),
                span.start.format("%H:%M").to_string(),
                span.end.format("%H:%M").to_string(),
                now
            ],
        )?;
        if n == 1 {
            self.inserted("roster")?;
        }
        Ok(n == 1)
    }

    /// Adds a leave or duty record for `[from, to)`. The instants are what
    /// counts; the local texts (in `tz`, the person's zone when entered)
    /// are kept for people and as the natural key: the same person, kind
    /// and local times is one record, however often imported.
    #[allow(clippy::too_many_arguments)]
    pub fn add_leave(
        &mut self,
        staff_no: &str,
        kind: &str,
        (from, to): (Instant, Instant),
        tz: Tz,
        approved_by: &str,
        note: &str,
        now: Instant,
    ) -> Result<Inserted> {
        if to <= from {
            return Err(StoreError::Invalid(format!("leave of {staff_no} ends before it starts")));
        }
        // Minutes as people write them; seconds where a time has them.
        let local = |t: Instant| {
            let l = instant_to_local(tz, t);
            let fmt = if chrono::Timelike::second(&l) == 0 { "%Y-%m-%d %H:%M" } else { "%Y-%m-%d %H:%M:%S" };
            l.format(fmt).to_string()
        };
        let (f, t) = (local(from), local(to));
        if t <= f {
            return Err(StoreError::Invalid(format!("leave of {staff_no} from {f} to {t} is shorter than a second")));
        }
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO leave (staff_no, kind, from_local, to_local, approved_by, note, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![staff_no, kind, f, t, approved_by, note, now],
        )?;
        if n == 1 {
            let id = self.inserted("leave")?;
            self.add_leave_span(id, from, to)?;
            return Ok(Inserted::New(id));
        }
        let id = self.tx.query_row(
            "SELECT id FROM leave WHERE staff_no = ?1 AND kind = ?2 AND from_local = ?3 AND to_local = ?4",
            params![staff_no, kind, f, t],
            |r| r.get(0),
        )?;
        Ok(Inserted::Existing(id))
    }

    fn add_leave_span(&mut self, leave_id: i64, from: Instant, to: Instant) -> Result<()> {
        self.tx.execute(
            "INSERT INTO leave_spans (leave_id, from_ms, to_ms) VALUES (?1, ?2, ?3)",
            params![leave_id, from, to],
        )?;
        self.chain("leave_spans", leave_id)
    }

    /// Leave recorded before instants were stored (schema 2) gets its
    /// instants once, from its local texts in the person's zone now
    /// (`zone_of`); from then on a change of schedule never moves it.
    /// Returns how many records were fixed.
    pub fn pin_legacy_leave(&mut self, zone_of: impl Fn(&str) -> Tz) -> Result<usize> {
        let legacy: Vec<(i64, String, String, String)> = self
            .tx
            .prepare(
                "SELECT l.id, l.staff_no, l.from_local, l.to_local FROM leave l
                 WHERE NOT EXISTS (SELECT 1 FROM leave_spans s WHERE s.leave_id = l.id) ORDER BY l.id",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        for (id, staff_no, f, t) in &legacy {
            let tz = zone_of(staff_no);
            let at = |text: &str| {
                crate::domain::time::parse_local(text)
                    .map(|l| crate::domain::time::local_to_instant(tz, l))
                    .map_err(|m| StoreError::Invalid(format!("leave {id}: malformed stored time: {m}")))
            };
            let (from, to) = (at(f)?, at(t)?);
            self.add_leave_span(*id, from, to.max(from + 1))?;
        }
        Ok(legacy.len())
    }

    /// Records a punch; the same card (or person) at the same instant is one punch.
    pub fn add_punch(
        &mut self,
        owner: &PunchOwner,
        at: Instant,
        source: PunchSource,
        clock_synced: Option<bool>,
        note: Option<(&str, &str)>,
        now: Instant,
    ) -> Result<Inserted> {
        let (card, staff) = match owner {
            PunchOwner::Card(c) => (Some(c.as_str()), None),
            PunchOwner::Staff(s) => (None, Some(s.as_str())),
        };
        let n = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO punches (card, staff_no, at_ms, source, clock_synced, reason, by_whom, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![card, staff, at, source.as_str(), clock_synced, note.map(|n| n.0), note.map(|n| n.1), now])?;
        if n == 1 {
            return Ok(Inserted::New(self.inserted("punches")?));
        }
        let id = match owner {
            PunchOwner::Card(c) => self
                .tx
                .prepare_cached("SELECT id FROM punches WHERE card = ?1 AND at_ms = ?2")?
                .query_row(params![c, at], |r| r.get(0))?,
            PunchOwner::Staff(s) => self
                .tx
                .prepare_cached(
                    "SELECT id FROM punches WHERE staff_no = ?1 AND at_ms = ?2 AND (source = 'correction') = ?3",
                )?
                .query_row(params![s, at, source == PunchSource::Correction], |r| r.get(0))?,
        };
        Ok(Inserted::Existing(id))
    }

    /// Adds a void pointing at a record of `target` (`punches`, `leave`,
    /// `spot_checks`); refuses an unknown id or a record already voided.
    pub fn void(&mut self, target: VoidTarget, id: i64, reason: &str, by: &str, now: Instant) -> Result<i64> {
        let (tbl, voids, col, what) = target.tables();
        let exists =
            self.tx.query_row(&format!("SELECT 1 FROM {tbl} WHERE id = ?1"), [id], |_| Ok(())).optional()?.is_some();
        if !exists {
            return Err(StoreError::Invalid(format!("no {what} with id {id}")));
        }
        let already = self
            .tx
            .query_row(&format!("SELECT 1 FROM {voids} WHERE {col} = ?1"), [id], |_| Ok(()))
            .optional()?
            .is_some();
        if already {
            return Err(StoreError::Invalid(format!("{what} {id} is already voided")));
        }
        self.tx.execute(
            &format!("INSERT INTO {voids} ({col}, reason, by_whom, recorded_at) VALUES (?1, ?2, ?3, ?4)"),
            params![id, reason, by, now],
        )?;
        self.inserted(voids)
    }

    /// Whether a record of `target` has been voided.
    pub fn is_voided(&self, target: VoidTarget, id: i64) -> Result<bool> {
        let (_, voids, col, _) = target.tables();
        Ok(self
            .tx
            .query_row(&format!("SELECT 1 FROM {voids} WHERE {col} = ?1"), [id], |_| Ok(()))
            .optional()?
            .is_some())
    }

    pub fn add_spot_check(
        &mut self,
        staff_no: &str,
        at: Instant,
        present: bool,
        inspector: &str,
        note: &str,
        now: Instant,
    ) -> Result<Inserted> {
        let n = self.tx.execute(
            "INSERT OR IGNORE INTO spot_checks (staff_no, at_ms, present, inspector, note, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![staff_no, at, present, inspector, note, now],
        )?;
        if n == 1 {
            return Ok(Inserted::New(self.inserted("spot_checks")?));
        }
        let id = self.tx.query_row(
            "SELECT id FROM spot_checks WHERE staff_no = ?1 AND at_ms = ?2 AND present = ?3 AND inspector = ?4",
            params![staff_no, at, present, inspector],
            |r| r.get(0),
        )?;
        Ok(Inserted::Existing(id))
    }

    /// Stores a closed day's summary revision.
    pub fn add_summary(&mut self, date: NaiveDate, revision: i64, content: &str, generated_at: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO daily_summaries (date, revision, content, generated_at) VALUES (?1, ?2, ?3, ?4)",
            params![date.to_string(), revision, content, generated_at],
        )?;
        self.inserted("daily_summaries")?;
        Ok(())
    }

    /// A staff member's request for a correction (补卡申请), waiting for their head.
    pub fn request_correction(&mut self, staff_no: &str, at: Instant, reason: &str, now: Instant) -> Result<i64> {
        self.tx.execute(
            "INSERT INTO correction_requests (staff_no, at_ms, reason, recorded_at) VALUES (?1, ?2, ?3, ?4)",
            params![staff_no, at, reason, now],
        )?;
        self.inserted("correction_requests")
    }

    /// A head's decision on a request; an approval adds the punch it asked for.
    pub fn decide_request(&mut self, request: i64, approve: bool, by: &str, now: Instant) -> Result<Option<i64>> {
        let req: Option<(String, i64, String)> = self
            .tx
            .query_row("SELECT staff_no, at_ms, reason FROM correction_requests WHERE id = ?1", [request], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        let Some((staff_no, at, reason)) = req else {
            return Err(StoreError::Invalid(format!("no correction request with id {request}")));
        };
        self.undecided("correction_decisions", "correction request", request)?;
        let punch = if approve {
            let p = self.add_punch(
                &PunchOwner::Staff(staff_no),
                at,
                PunchSource::Correction,
                None,
                Some((&reason, by)),
                now,
            )?;
            Some(p.id())
        } else {
            None
        };
        self.tx.execute(
            "INSERT INTO correction_decisions (request_id, approved, by_whom, punch_id, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![request, approve, by, punch, now],
        )?;
        self.inserted("correction_decisions")?;
        Ok(punch)
    }

    /// A staff member's request for leave (请假申请), waiting for their head.
    pub fn request_leave(
        &mut self,
        staff_no: &str,
        kind: &str,
        (from, to): (Instant, Instant),
        now: Instant,
    ) -> Result<i64> {
        if to <= from {
            return Err(StoreError::Invalid(format!("leave of {staff_no} ends before it starts")));
        }
        self.tx.execute(
            "INSERT INTO leave_requests (staff_no, kind, from_ms, to_ms, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![staff_no, kind, from, to, now],
        )?;
        self.inserted("leave_requests")
    }

    /// The reason given with leave request `request` (one per request).
    pub fn leave_request_reason(&mut self, request: i64, reason: &str, now: Instant) -> Result<()> {
        self.tx.execute(
            "INSERT INTO leave_request_reasons (request_id, reason, recorded_at) VALUES (?1, ?2, ?3)",
            params![request, reason, now],
        )?;
        self.inserted("leave_request_reasons")?;
        Ok(())
    }

    /// A head's decision on a leave request; an approval records the leave
    /// (approved by the head), in `tz` as the person's zone. Returns the
    /// leave record and whether it is new.
    pub fn decide_leave_request(
        &mut self,
        request: i64,
        approve: bool,
        by: &str,
        tz: Tz,
        now: Instant,
    ) -> Result<Option<Inserted>> {
        let req: Option<(String, String, i64, i64)> = self
            .tx
            .query_row("SELECT staff_no, kind, from_ms, to_ms FROM leave_requests WHERE id = ?1", [request], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .optional()?;
        let Some((staff_no, kind, from, to)) = req else {
            return Err(StoreError::Invalid(format!("no leave request with id {request}")));
        };
        self.undecided("leave_request_decisions", "leave request", request)?;
        let leave = if approve {
            Some(self.add_leave(&staff_no, &kind, (from, to), tz, by, &format!("request {request}"), now)?)
        } else {
            None
        };
        self.tx.execute(
            "INSERT INTO leave_request_decisions (request_id, approved, by_whom, leave_id, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![request, approve, by, leave.as_ref().map(|l| l.id()), now],
        )?;
        self.inserted("leave_request_decisions")?;
        Ok(leave)
    }

    /// Refuses a request already decided (`decisions` is its decisions'
    /// table, a fixed name): a decision is stored once.
    fn undecided(&self, decisions: &str, what: &str, request: i64) -> Result<()> {
        let sql = format!("SELECT 1 FROM {decisions} WHERE request_id = ?1");
        if self.tx.query_row(&sql, [request], |_| Ok(())).optional()?.is_some() {
            return Err(StoreError::Invalid(format!("{what} {request} is already decided")));
        }
        Ok(())
    }

    /// Logs a head's or an admin's action (who and when).
    pub fn log_action(&mut self, who: &str, action: &str, detail: &str, now: Instant) -> Result<()> {
        self.tx.execute(
            "INSERT INTO actions (who, action, detail, recorded_at) VALUES (?1, ?2, ?3, ?4)",
            params![who, action, detail, now],
        )?;
        self.inserted("actions")?;
        Ok(())
    }

    /// A staff member's photo for the scan screen (a file's path).
    /// The path of a staff member's photo, if one is set.
    pub fn photo_of(&self, staff_no: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .query_row("SELECT path FROM staff_photos WHERE staff_no = ?1", [staff_no], |r| r.get(0))
            .optional()?)
    }

    pub fn set_photo(&mut self, staff_no: &str, path: &str) -> Result<()> {
        self.tx.execute(
            "INSERT INTO staff_photos (staff_no, path) VALUES (?1, ?2)
             ON CONFLICT (staff_no) DO UPDATE SET path = excluded.path",
            params![staff_no, path],
        )?;
        Ok(())
    }

    /// The server's final answer to a summary revision sent (sync bookkeeping).
    pub fn record_sync(&mut self, summary_id: i64, status: u16, detail: &str, now: Instant) -> Result<()> {
        // An acknowledgement is final: a later answer for the same
        // revision (a resend's 409) never turns it into a refusal.
        self.tx.execute(
            "INSERT INTO sync_log (summary_id, status, detail, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (summary_id) DO UPDATE SET status = excluded.status, detail = excluded.detail, at = excluded.at
             WHERE sync_log.status NOT IN (200, 201)",
            params![summary_id, status, detail, now],
        )?;
        Ok(())
    }

    /// After a restore: every summary revision with a later revision of its
    /// date is taken as answered (the server holds the later one, or will
    /// when it is sent): not sent again as news. Returns how many.
    pub fn superseded_answered(&mut self, now: Instant) -> Result<usize> {
        Ok(self.tx.execute(
            "INSERT OR IGNORE INTO sync_log (summary_id, status, detail, at)
             SELECT s.id, 409, 'superseded by a later revision before the store was restored', ?1
             FROM daily_summaries s
             WHERE EXISTS (SELECT 1 FROM daily_summaries l WHERE l.date = s.date AND l.revision > s.revision)",
            [now],
        )?)
    }

    /// After a restore: the latest revision the central server holds of
    /// each day (`GET …/summaries`). The server may hold a revision whose
    /// record never left the card that died; the restored store's next
    /// revision of that day is numbered after it (a reused number would be
    /// refused for good: the server holds other content under it), and
    /// every stored revision below it is taken as answered (the server has
    /// a later one). Returns how many days the server holds later than
    /// the store.
    pub fn server_holds(&mut self, days: &[(NaiveDate, i64)], now: Instant) -> Result<usize> {
        let mut later = 0;
        for (date, revision) in days {
            let stored = self.latest_summary(*date)?.map_or(0, |(r, _)| r);
            if *revision > stored {
                self.set_meta(&format!("{SERVER_HOLDS}{date}"), &revision.to_string())?;
                later += 1;
            }
            self.tx.execute(
                "INSERT OR IGNORE INTO sync_log (summary_id, status, detail, at)
                 SELECT id, 409, ?3, ?4 FROM daily_summaries WHERE date = ?1 AND revision < ?2",
                params![
                    date.to_string(),
                    revision,
                    format!("superseded: the server holds revision {revision}, made before the store was restored"),
                    now
                ],
            )?;
        }
        Ok(later)
    }

    /// The number a new revision of `date` takes: after the latest stored
    /// and after any the server held when the store was restored (see
    /// [`Writer::server_holds`]).
    pub fn next_revision(&self, date: NaiveDate) -> Result<i64> {
        let stored = self.latest_summary(date)?.map_or(0, |(r, _)| r);
        let held = self.meta(&format!("{SERVER_HOLDS}{date}"))?;
        stored
            .max(held.and_then(|h| h.parse().ok()).unwrap_or(0))
            .checked_add(1)
            .ok_or_else(|| StoreError::Invalid(format!("{date}: no revision number is left after {}", i64::MAX)))
    }

    /// Reads inside the write (for checks that must see the rows added so far).
    pub fn conn(&self) -> &Connection {
        &self.tx
    }

    /// A snapshot read inside this write: what it sees cannot change
    /// before the write commits (see [`crate::kiosk::store::Store::snapshot`]).
    pub fn snapshot(&self, from: Instant, to: Instant, dates: (NaiveDate, NaiveDate)) -> Result<Snapshot> {
        super::read::snapshot(&self.tx, from, to, dates)
    }

    /// The record chain's position now: how many records it holds and the
    /// hex SHA-256 of its head (the summary carries them, SPEC "Sync").
    pub fn chain_position(&self) -> Result<(u64, String)> {
        let (n, head): (i64, Option<Vec<u8>>) = self.tx.query_row(
            "SELECT (SELECT count(*) FROM journal), (SELECT hash FROM journal ORDER BY seq DESC LIMIT 1)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let head = head.unwrap_or_else(|| chain::GENESIS.to_vec());
        Ok((n as u64, chain::hex(&head)))
    }

    /// The latest stored revision of a day's summary, read inside this write.
    pub fn latest_summary(&self, date: NaiveDate) -> Result<Option<(i64, String)>> {
        super::read::latest_summary(&self.tx, date)
    }

    /// A record of the chain as the central server holds it, stored again
    /// (`restore --from-central`): its row inserted with its id and its
    /// chained columns, then chained by the same function as every record
    /// (the content read back by SQLite's own `json_array`). The record
    /// must land at its `seq` and its hash come out as the server's: a
    /// record that does not is an error naming it, and the caller keeps
    /// nothing of the restore.
    pub fn replay(&mut self, r: &WireRecord) -> Result<()> {
        let bad = |what: String| StoreError::Invalid(format!("record {} ({} row {}): {what}", r.seq, r.table, r.id));
        let columns = chain::columns(&r.table).ok_or_else(|| bad("not a chained table".into()))?;
        let values = columns
            .iter()
            .map(|c| r.fields.get(*c).cloned().ok_or_else(|| bad(format!("{c} is missing"))))
            .collect::<Result<Vec<Value>>>()?;
        // Every staff number a record names is a person (the tables'
        // foreign key), whichever record named them first.
        if let Some(Value::Text(no)) = r.fields.get("staff_no") {
            self.tx.prepare_cached("INSERT OR IGNORE INTO staff (staff_no) VALUES (?1)")?.execute([no])?;
        }
        // A leave's span is keyed by its leave (its row id); every other
        // chained table has its own `id`.
        let keyed = r.table == "leave_spans";
        if keyed && r.fields.get("leave_id") != Some(&Value::Int(r.id)) {
            return Err(bad("leave_id is not the row's id".into()));
        }
        let sql = format!(
            "INSERT INTO {} ({}{}) VALUES ({}{})",
            r.table,
            if keyed { "" } else { "id, " },
            columns.join(", "),
            if keyed { "" } else { "?, " },
            vec!["?"; columns.len()].join(", ")
        );
        let mut params: Vec<rusqlite::types::Value> = Vec::with_capacity(columns.len() + 1);
        if !keyed {
            params.push(r.id.into());
        }
        params.extend(values.into_iter().map(|v| match v {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => i.into(),
            Value::Text(t) => t.into(),
        }));
        self.tx.prepare_cached(&sql)?.execute(rusqlite::params_from_iter(params)).map_err(|e| bad(e.to_string()))?;
        self.chain(&r.table, r.id)?;
        let seq: i64 = self.tx.query_row("SELECT max(seq) FROM journal", [], |row| row.get(0))?;
        if seq as u64 != r.seq {
            return Err(bad(format!("it lands at record {seq} here")));
        }
        let made = self.head.as_deref().map(chain::hex).unwrap_or_default();
        if made != r.hash {
            return Err(bad(format!("its hash comes out {made} here, the server holds {}", r.hash)));
        }
        Ok(())
    }

    /// The version of what the rules read besides the records (the
    /// `[schedules]` tables `rules`, the `units`, and the calendar held now), numbered
    /// here: the same as the last one declared when neither changed, the
    /// next when either did (kept in `meta`: `rules.version`, and each
    /// version's declaration as `rules.declared.N` for the sync thread to
    /// send: a summary may name an older version than the latest).
    pub fn rules_version(&mut self, rules: &serde_json::Value, units: &[String]) -> Result<u64> {
        let calendar = super::read::declared_calendar(&self.tx)?;
        let mut declared = DeclaredRules { version: 0, config: rules.clone(), calendar, units: units.to_vec() };
        let digest = declared.digest();
        let held: u64 = self.meta("rules.version")?.and_then(|v| v.parse().ok()).unwrap_or(0);
        if held > 0 && self.meta("rules.digest")?.as_deref() == Some(digest.as_str()) {
            return Ok(held);
        }
        declared.version = held + 1;
        let json = serde_json::to_string(&declared).map_err(|e| StoreError::Invalid(e.to_string()))?;
        self.set_meta("rules.version", &declared.version.to_string())?;
        self.set_meta("rules.digest", &digest)?;
        self.set_meta(&format!("rules.declared.{}", declared.version), &json)?;
        Ok(declared.version)
    }
}

/// What a void points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoidTarget {
    Punch,
    Leave,
    SpotCheck,
}

impl VoidTarget {
    fn tables(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            VoidTarget::Punch => ("punches", "punch_voids", "punch_id", "punch"),
            VoidTarget::Leave => ("leave", "leave_voids", "leave_id", "leave record"),
            VoidTarget::SpotCheck => ("spot_checks", "spot_check_voids", "spot_check_id", "spot check"),
        }
    }
}

/// SQL for the content of journal entry `j`'s record as it is stored now
/// (NULL when its row is gone).
pub(super) fn content_of_entry() -> String {
    let cases: String = CHAINED
        .iter()
        .map(|(t, c)| format!("WHEN '{t}' THEN (SELECT json_array({c}) FROM {t} WHERE rowid = j.row_id)"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("CASE j.tbl {cases} END")
}

/// Recomputes the record chain: every chained row has its journal entry,
/// and every entry's hash matches the row as stored now.
pub(super) fn verify_chain(conn: &Connection) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let sql = format!("SELECT j.seq, j.tbl, j.row_id, j.hash, {} FROM journal j ORDER BY j.seq", content_of_entry());
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query([])?;
    let mut prev = chain::GENESIS.to_vec();
    while let Some(r) = rows.next()? {
        let (seq, tbl, row_id, hash): (i64, String, i64, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let content: Option<String> = r.get(4)?;
        match content {
            None => problems.push(format!("record chain: {tbl} row {row_id} (entry {seq}) is gone")),
            Some(c) => {
                if link(&prev, &tbl, row_id, &c)[..] != hash[..] {
                    problems.push(format!("record chain: {tbl} row {row_id} (entry {seq}) was changed"));
                }
            }
        }
        prev = hash;
        if problems.len() > 100 {
            problems.push("record chain: more problems not listed".into());
            return Ok(problems);
        }
    }
    for (tbl, _) in CHAINED {
        let unchained: i64 = conn.query_row(
            &format!("SELECT count(*) FROM {tbl} t WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.tbl = '{tbl}' AND j.row_id = t.rowid)"),
            [],
            |r| r.get(0),
        )?;
        if unchained > 0 {
            problems.push(format!("record chain: {unchained} {tbl} rows were added outside the chain"));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kiosk::store::{migrations::MIGRATIONS, Store};
    use proptest::prelude::*;

    fn value() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<i64>().prop_map(Value::Int),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(0), Just(-1)].prop_map(Value::Int),
            // Every control character, quotes, backslashes, DEL, CJK,
            // astral-plane characters, and any other char.
            proptest::collection::vec(
                prop_oneof![
                    (0u32..0x20).prop_map(|c| char::from_u32(c).unwrap()),
                    prop_oneof![Just('"'), Just('\\'), Just('\''), Just('\u{7f}'), Just('/')],
                    proptest::char::range('一', '龥'),
                    proptest::char::range('\u{1F600}', '\u{1F64F}'),
                    any::<char>(),
                ],
                0..24
            )
            .prop_map(|cs| Value::Text(cs.into_iter().collect())),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]
        /// The central server computes a record's content in Rust; the
        /// kiosk in SQL: they agree on every value.
        #[test]
        fn chain_content_is_sqlites_json_array(values in proptest::collection::vec(value(), 0..10)) {
            let c = Connection::open_in_memory().unwrap();
            let marks: Vec<String> = (1..=values.len()).map(|i| format!("?{i}")).collect();
            let params: Vec<rusqlite::types::Value> = values
                .iter()
                .map(|v| match v {
                    Value::Null => rusqlite::types::Value::Null,
                    Value::Int(n) => rusqlite::types::Value::Integer(*n),
                    Value::Text(t) => rusqlite::types::Value::Text(t.clone()),
                })
                .collect();
            let sqlite: String = c
                .query_row(&format!("SELECT json_array({})", marks.join(", ")), rusqlite::params_from_iter(params), |r| r.get(0))
                .unwrap();
            prop_assert_eq!(chain::content(&values), sqlite);
        }
    }

    /// Every chained table has an explicit INTEGER PRIMARY KEY: the chain
    /// points at row ids, and VACUUM may renumber implicit rowids.
    #[test]
    fn every_chained_table_has_an_explicit_integer_primary_key() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::create(&dir.path().join("db")).unwrap();
        for (tbl, _) in CHAINED {
            let pk: Vec<(String, String)> = store
                .conn
                .prepare(&format!("SELECT name, type FROM pragma_table_info('{tbl}') WHERE pk > 0"))
                .unwrap()
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
                .unwrap()
                .map(|r| r.unwrap())
                .collect();
            assert!(
                pk.len() == 1 && pk[0].1.eq_ignore_ascii_case("INTEGER"),
                "{tbl} has primary key {pk:?}, not one INTEGER column"
            );
        }
    }

    /// A schema-2 database (leave as local text, summaries on implicit
    /// rowids) migrates with its chain intact; its leave gets instants
    /// once; VACUUM then changes nothing `verify` sees.
    #[test]
    fn a_schema_2_database_migrates_keeps_its_chain_and_survives_vacuum() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let mut conn = Connection::open(&path).unwrap();
            for sql in &MIGRATIONS[..2] {
                conn.execute_batch(sql).unwrap();
            }
            conn.pragma_update(None, "user_version", 2).unwrap();
            let mut w = Writer::begin(&mut conn).unwrap();
            w.tx.execute("INSERT INTO staff (staff_no) VALUES ('1')", []).unwrap();
            w.tx.execute(
                "INSERT INTO leave (staff_no, kind, from_local, to_local, recorded_at)
                 VALUES ('1', '事假', '2026-11-17 08:30', '2026-11-17 12:00', 0)",
                [],
            )
            .unwrap();
            w.inserted("leave").unwrap();
            // Row ids 1, 2 and 5: a gap, as a rolled-back or deleted row leaves.
            for (rowid, date, rev) in [(1, "2026-11-16", 1), (2, "2026-11-17", 1), (5, "2026-11-17", 2)] {
                w.tx.execute(
                    "INSERT INTO daily_summaries (rowid, date, revision, content, generated_at) VALUES (?1, ?2, ?3, '{}', 't')",
                    params![rowid, date, rev],
                )
                .unwrap();
                w.inserted("daily_summaries").unwrap();
            }
            w.commit().unwrap();
        }
        // SQLite's documentation allows VACUUM to renumber implicit rowids
        // (the bundled SQLite keeps them in a plain VACUUM today); the
        // explicit key makes it a guarantee. The migration keeps the ids,
        // gaps and all.
        let mut store = Store::open(&path).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
        assert_eq!(store.latest_summary("2026-11-17".parse().unwrap()).unwrap().map(|s| s.0), Some(2));
        let ids: Vec<i64> = store
            .conn
            .prepare("SELECT id FROM daily_summaries ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        assert_eq!(ids, vec![1, 2, 5]);
        assert!(store.has_legacy_leave().unwrap());
        let mut w = store.writer().unwrap();
        assert_eq!(w.pin_legacy_leave(|_| chrono_tz::Europe::Berlin).unwrap(), 1);
        w.commit().unwrap();
        assert!(!store.has_legacy_leave().unwrap());
        let want = crate::domain::time::parse_time("2026-11-17 08:30", chrono_tz::Europe::Berlin).unwrap();
        let leave = store.leave_records(0, i64::MAX).unwrap();
        assert_eq!(leave[0].0.from, want);
        store.conn.execute_batch("VACUUM").unwrap();
        assert_eq!(store.verify().unwrap(), Vec::<String>::new());
    }
}
