//! Reading records back: one prepared statement per table for a period,
//! each period read inside one read transaction so that a snapshot is
//! consistent. A malformed stored value (a date that does not parse, an
//! unknown role) is an error naming the table, the row and the value,
//! never a silent default.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime};
use rusqlite::types::Type;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Result, Store};
use crate::domain::chain::{self, WireRecord};
use crate::domain::model::{
    LeaveRow, PunchOwner, PunchRow, PunchSource, Role, RosterRow, Snapshot, SpotCheckRow, Staff,
};
use crate::domain::rejudge::CalendarDay;
use crate::domain::rules::{Calendar, CardAssignment, ClockSpan};
use crate::domain::time::Instant;

const STAFF_COLUMNS: &str = "v.staff_no, v.name, v.unit, v.schedule, v.role, v.pin_hash, v.active_from, v.active_until";

/// A stored value that does not read back as what it should be.
#[derive(Debug)]
struct Malformed(String);

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Malformed {}

/// Reads column `idx` as text and parses it; a value that does not parse
/// is an error naming `what` (table.column) and the value.
fn parsed<T>(r: &Row<'_>, idx: usize, what: &str, parse: impl FnOnce(&str) -> Option<T>) -> rusqlite::Result<T> {
    let text: String = r.get(idx)?;
    parse(&text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            Box::new(Malformed(format!("malformed stored value {what} = {text:?}"))),
        )
    })
}

fn parsed_opt<T>(
    r: &Row<'_>,
    idx: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Option<T>,
) -> rusqlite::Result<Option<T>> {
    match r.get::<_, Option<String>>(idx)? {
        None => Ok(None),
        Some(_) => parsed(r, idx, what, parse).map(Some),
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn clock(s: &str) -> Option<NaiveTime> {
    crate::domain::time::parse_clock(s).ok()
}

fn staff_from_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    Ok(Staff {
        staff_no: r.get(0)?,
        name: r.get(1)?,
        unit: r.get(2)?,
        schedule: r.get(3)?,
        role: parsed(r, 4, "staff_versions.role", Role::parse)?,
        pin_hash: r.get(5)?,
        active_from: parsed_opt(r, 6, "staff_versions.active_from", date)?,
        active_until: parsed_opt(r, 7, "staff_versions.active_until", date)?,
    })
}

pub(super) fn current_staff(conn: &Connection, staff_no: &str) -> Result<Option<Staff>> {
    Ok(conn
        .query_row(
            &format!("SELECT {STAFF_COLUMNS} FROM staff_versions v WHERE v.staff_no = ?1 ORDER BY v.id DESC LIMIT 1"),
            [staff_no],
            staff_from_row,
        )
        .optional()?)
}

fn all_staff(conn: &Connection) -> Result<Vec<Staff>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {STAFF_COLUMNS} FROM staff_versions v
         WHERE v.id = (SELECT max(id) FROM staff_versions w WHERE w.staff_no = v.staff_no)
         ORDER BY v.staff_no"
    ))?;
    let rows = stmt.query_map([], staff_from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn assignments(conn: &Connection) -> Result<Vec<CardAssignment>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, card, staff_no, cards_from, made_on FROM card_assignments ORDER BY id")?;
    let rows = stmt.query_map([], |r| {
        Ok(CardAssignment {
            seq: r.get(0)?,
            card: r.get(1)?,
            staff_no: r.get(2)?,
            cards_from: parsed_opt(r, 3, "card_assignments.cards_from", date)?,
            made_on: parsed(r, 4, "card_assignments.made_on", date)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn calendar(conn: &Connection) -> Result<Calendar> {
    let mut cal = Calendar::default();
    for (year, days) in calendar_years(conn)? {
        cal.add_year(year, days.into_iter().map(|d| (d.date, d.is_off_day)));
    }
    Ok(cal)
}

/// The calendar years held, each with its listed days.
fn calendar_years(conn: &Connection) -> Result<BTreeMap<i32, Vec<CalendarDay>>> {
    let mut out: BTreeMap<i32, Vec<CalendarDay>> = BTreeMap::new();
    for y in conn.prepare_cached("SELECT year FROM calendar_years")?.query_map([], |r| r.get::<_, i32>(0))? {
        out.entry(y?).or_default();
    }
    let mut stmt = conn.prepare_cached("SELECT date, year, is_off_day, name FROM calendar_days ORDER BY date")?;
    let rows = stmt.query_map([], |r| {
        Ok((parsed(r, 0, "calendar_days.date", date)?, r.get::<_, i32>(1)?, r.get::<_, bool>(2)?, r.get(3)?))
    })?;
    for row in rows {
        let (d, year, off, name) = row?;
        out.entry(year).or_default().push(CalendarDay { date: d, is_off_day: off, name });
    }
    Ok(out)
}

/// The calendar years held, with their listed days, as the kiosk declares
/// them to the central server (SPEC "Records", `PUT …/rules`).
pub(super) fn declared_calendar(conn: &Connection) -> Result<BTreeMap<String, Vec<CalendarDay>>> {
    Ok(calendar_years(conn)?.into_iter().map(|(y, days)| (y.to_string(), days)).collect())
}

/// Every record the rules need to judge the days whose instants fall in
/// `[from, to)` and whose dates are in `dates` (inclusive), read on `conn`
/// as it is (the caller holds a transaction).
pub(super) fn snapshot(
    conn: &Connection,
    from: Instant,
    to: Instant,
    dates: (NaiveDate, NaiveDate),
) -> Result<Snapshot> {
    let mut stmt = conn.prepare_cached(
        "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                CASE WHEN p.source = 'reader' THEN p.by_whom END AS origin,
                EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id)
         FROM punches p WHERE p.at_ms >= ?1 AND p.at_ms < ?2 ORDER BY p.id",
    )?;
    let punches = stmt.query_map(params![from, to], punch_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    // In id order, as the central server's replay of the chain reads them
    // (`domain::replay`): a tie between two records is the earlier one's.
    let mut stmt =
        conn.prepare_cached(&format!("{LEAVE_SELECT} WHERE s.to_ms > ?1 AND s.from_ms < ?2 ORDER BY l.id"))?;
    let leave = stmt.query_map(params![from, to], leave_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn
        .prepare_cached("SELECT staff_no, date, start, end FROM roster WHERE date >= ?1 AND date <= ?2 ORDER BY id")?;
    let roster = stmt
        .query_map(params![dates.0.to_string(), dates.1.to_string()], |r| {
            Ok(RosterRow {
                staff_no: r.get(0)?,
                date: parsed(r, 1, "roster.date", date)?,
                span: ClockSpan {
                    start: parsed(r, 2, "roster.start", clock)?,
                    end: parsed(r, 3, "roster.end", clock)?,
                },
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT s.id, s.staff_no, s.at_ms, s.present,
                EXISTS (SELECT 1 FROM spot_check_voids v WHERE v.spot_check_id = s.id)
         FROM spot_checks s WHERE s.at_ms >= ?1 AND s.at_ms < ?2 ORDER BY s.id",
    )?;
    let spot_checks = stmt
        .query_map(params![from, to], |r| {
            Ok(SpotCheckRow {
                id: r.get(0)?,
                staff_no: r.get(1)?,
                at: r.get(2)?,
                present: r.get(3)?,
                voided: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(Snapshot {
        staff: all_staff(conn)?,
        assignments: assignments(conn)?,
        punches,
        leave,
        roster,
        spot_checks,
        calendar: calendar(conn)?,
    })
}

/// The latest stored revision of a day's summary: (revision, content).
pub(super) fn latest_summary(conn: &Connection, date: NaiveDate) -> Result<Option<(i64, String)>> {
    Ok(conn
        .query_row(
            "SELECT revision, content FROM daily_summaries WHERE date = ?1 ORDER BY revision DESC LIMIT 1",
            [date.to_string()],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// A correction request and its decision (approved?, by whom), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub staff_no: String,
    pub at: Instant,
    pub reason: String,
    pub decision: Option<(bool, String)>,
    pub recorded_at: Instant,
}

/// A leave request and its decision (approved?, by whom), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveRequestRow {
    pub id: i64,
    pub staff_no: String,
    pub kind: String,
    pub from: Instant,
    pub to: Instant,
    /// The reason picked on the form ("" for requests made before reasons).
    pub reason: String,
    pub decision: Option<(bool, String)>,
    pub recorded_at: Instant,
}

/// One row of `punches list`.
#[derive(Debug, Clone)]
pub struct PunchListing {
    pub row: PunchRow,
    pub reason: Option<String>,
    pub by: Option<String>,
}

/// What records chained after a point touch (see [`Store::touched_since`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Touched {
    /// Instants (from, to) of punches, voids, 查岗 and leave.
    pub spans: Vec<(Instant, Instant)>,
    /// Dates of roster entries.
    pub dates: Vec<NaiveDate>,
    /// The last seq read.
    pub last: u64,
}

impl Store {
    /// The path of a staff member's photo, if one was imported.
    pub fn photo(&self, staff_no: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row("SELECT path FROM staff_photos WHERE staff_no = ?1", [staff_no], |r| r.get(0))
            .optional()?)
    }

    /// The current version of every staff member, by staff number.
    pub fn staff(&self) -> Result<Vec<Staff>> {
        all_staff(&self.conn)
    }

    pub fn staff_member(&self, staff_no: &str) -> Result<Option<Staff>> {
        current_staff(&self.conn, staff_no)
    }

    /// Records of the chain from seq `from` (the first is 1), as the
    /// server takes them (SPEC "Records"): at most `limit`, and no more
    /// than about `max_bytes` of JSON once there is one. A record that
    /// cannot be read back (its row deleted or edited into something no
    /// record holds) ends the list, and is said as the second value.
    pub fn chain_records(
        &self,
        from: u64,
        limit: usize,
        max_bytes: usize,
    ) -> Result<(Vec<WireRecord>, Option<String>)> {
        let sql = format!(
            "SELECT j.seq, j.tbl, j.row_id, j.hash, {} FROM journal j WHERE j.seq >= ?1 ORDER BY j.seq LIMIT ?2",
            super::write::content_of_entry()
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![from as i64, limit as i64])?;
        let (mut out, mut bytes) = (Vec::new(), 0);
        while let Some(r) = rows.next()? {
            let (seq, tbl, row_id, hash): (i64, String, i64, Vec<u8>) = (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            // A column edited to a real number or a blob has no content.
            let content: Option<String> = r.get(4).ok().flatten();
            let Some(record) =
                content.and_then(|c| WireRecord::from_stored(seq as u64, &tbl, row_id, &c, &chain::hex(&hash)))
            else {
                return Ok((out, Some(format!("record {seq} ({tbl} row {row_id}) is gone or cannot be read: the store was changed outside the kiosk (dutyclock verify)"))));
            };
            bytes += serde_json::to_vec(&record).map_or(0, |v| v.len());
            if !out.is_empty() && bytes > max_bytes {
                break;
            }
            out.push(record);
        }
        Ok((out, None))
    }

    /// How many records the chain holds.
    pub fn chain_length(&self) -> Result<u64> {
        Ok(self.conn.query_row("SELECT count(*) FROM journal", [], |r| r.get::<_, i64>(0))? as u64)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// All card assignments, in the order they were made.
    pub fn assignments(&self) -> Result<Vec<CardAssignment>> {
        assignments(&self.conn)
    }

    pub fn calendar(&self) -> Result<Calendar> {
        calendar(&self.conn)
    }

    /// Every record the rules need to judge the days whose instants fall in
    /// `[from, to)` and whose dates are in `dates` (inclusive). Punches are
    /// read from `from` on; callers widen `from` to include the duplicate
    /// window's lookback. One read transaction: a write committed by
    /// another process in between cannot tear the snapshot.
    pub fn snapshot(&self, from: Instant, to: Instant, dates: (NaiveDate, NaiveDate)) -> Result<Snapshot> {
        let tx = self.conn.unchecked_transaction()?;
        let snap = snapshot(&tx, from, to, dates)?;
        tx.finish()?;
        Ok(snap)
    }

    /// Punches in `[from, to)` with their notes, for `punches list`.
    pub fn punch_listing(&self, from: Instant, to: Instant) -> Result<Vec<PunchListing>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                CASE WHEN p.source = 'reader' THEN p.by_whom END AS origin,
                    EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id),
                    coalesce(p.reason, (SELECT v.reason FROM punch_voids v WHERE v.punch_id = p.id)),
                    coalesce(p.by_whom, (SELECT v.by_whom FROM punch_voids v WHERE v.punch_id = p.id))
             FROM punches p WHERE p.at_ms >= ?1 AND p.at_ms < ?2 ORDER BY p.at_ms, p.id",
        )?;
        let rows = stmt.query_map(params![from, to], |r| {
            Ok(PunchListing { row: punch_from_row(r)?, reason: r.get(8)?, by: r.get(9)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A punch by id (for voids and the staff number it belongs to).
    pub fn punch(&self, id: i64) -> Result<Option<PunchRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                CASE WHEN p.source = 'reader' THEN p.by_whom END AS origin,
                        EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id)
                 FROM punches p WHERE p.id = ?1",
                [id],
                punch_from_row,
            )
            .optional()?)
    }

    /// Closed summary revisions not yet sent with a final answer, oldest
    /// date first: (id, date, revision, content).
    pub fn outbox(&self, limit: usize) -> Result<Vec<(i64, NaiveDate, i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, s.date, s.revision, s.content FROM daily_summaries s
             WHERE NOT EXISTS (SELECT 1 FROM sync_log l WHERE l.summary_id = s.id)
             ORDER BY s.date, s.revision LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| {
            Ok((r.get(0)?, parsed(r, 1, "daily_summaries.date", date)?, r.get(2)?, r.get(3)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sync at a glance: (waiting, refused by the server; see [`REFUSED`]).
    pub fn sync_counts(&self) -> Result<(u64, u64)> {
        Ok(self.conn.query_row(
            &format!(
                "SELECT (SELECT count(*) FROM daily_summaries s WHERE NOT EXISTS (SELECT 1 FROM sync_log l WHERE l.summary_id = s.id)),
                    (SELECT count(*) FROM sync_log l JOIN daily_summaries s ON s.id = l.summary_id WHERE {REFUSED})"
            ),
            [],
            |r| Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)? as u64)),
        )?)
    }

    /// The summaries the server refused: (date, revision, status, detail).
    pub fn sync_refusals(&self) -> Result<Vec<(NaiveDate, i64, i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            &format!(
                "SELECT s.date, s.revision, l.status, l.detail FROM sync_log l JOIN daily_summaries s ON s.id = l.summary_id
             WHERE {REFUSED} ORDER BY s.date, s.revision"
            ),
        )?;
        let rows =
            stmt.query_map([], |r| Ok((parsed(r, 0, "daily_summaries.date", date)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Leave record `id`: whose it is and its span, if it exists.
    pub fn leave_of(&self, id: i64) -> Result<Option<(String, Instant, Instant)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT l.staff_no, s.from_ms, s.to_ms FROM leave l JOIN leave_spans s ON s.leave_id = l.id WHERE l.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?)
    }

    /// The first punch of a card (enrolling it attaches its punches since).
    pub fn first_punch_of_card(&self, card: &str) -> Result<Option<Instant>> {
        Ok(self.conn.query_row("SELECT min(at_ms) FROM punches WHERE card = ?1", [card], |r| r.get(0))?)
    }

    /// Correction request `id`: whose it is and the time it asks for.
    pub fn request_of(&self, id: i64) -> Result<Option<(String, Instant)>> {
        Ok(self
            .conn
            .query_row("SELECT staff_no, at_ms FROM correction_requests WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?)
    }

    /// The latest stored revision of a day's summary: (revision, content).
    pub fn latest_summary(&self, date: NaiveDate) -> Result<Option<(i64, String)>> {
        latest_summary(&self.conn, date)
    }

    /// The dates that have a stored summary, on or after `from`.
    /// The days from `from` that are closed: those with a stored summary,
    /// and those the server held a later revision of when the store was
    /// restored (`Writer::server_holds`: their records came back, their
    /// summary is at the server; a change to them closes them again).
    pub fn summary_dates(&self, from: NaiveDate) -> Result<Vec<NaiveDate>> {
        let held = super::write::SERVER_HOLDS;
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT date FROM daily_summaries WHERE date >= ?1
             UNION SELECT substr(key, {start}) FROM meta WHERE key GLOB '{held}*' AND substr(key, {start}) >= ?1",
            start = held.len() + 1
        ))?;
        let rows = stmt.query_map([from.to_string()], |r| parsed(r, 0, "daily_summaries.date", date))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Correction requests of some staff, newest first (at most `limit`),
    /// filtered in the query so that other units' requests never crowd
    /// them out.
    /// Correction requests of `staff`: every waiting one before any
    /// decided one (a waiting request is never crowded out), newest first.
    pub fn correction_requests(&self, staff: &[String], limit: usize) -> Result<Vec<RequestRow>> {
        let nos = serde_json::to_string(staff).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.staff_no, r.at_ms, r.reason, d.approved, d.by_whom, r.recorded_at
             FROM correction_requests r LEFT JOIN correction_decisions d ON d.request_id = r.id
             WHERE r.staff_no IN (SELECT value FROM json_each(?1))
             ORDER BY (d.request_id IS NOT NULL), r.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![nos, limit as i64], |r| {
            Ok(RequestRow {
                id: r.get(0)?,
                staff_no: r.get(1)?,
                at: r.get(2)?,
                reason: r.get(3)?,
                decision: match r.get::<_, Option<bool>>(4)? {
                    Some(a) => Some((a, r.get::<_, String>(5)?)),
                    None => None,
                },
                recorded_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Leave requests of these staff, waiting ones first, then newest first.
    pub fn leave_requests(&self, staff: &[String], limit: usize) -> Result<Vec<LeaveRequestRow>> {
        let nos = serde_json::to_string(staff).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.staff_no, r.kind, r.from_ms, r.to_ms, d.approved, d.by_whom, r.recorded_at,
                    coalesce(w.reason, '')
             FROM leave_requests r LEFT JOIN leave_request_decisions d ON d.request_id = r.id
                  LEFT JOIN leave_request_reasons w ON w.request_id = r.id
             WHERE r.staff_no IN (SELECT value FROM json_each(?1))
             ORDER BY (d.request_id IS NOT NULL), r.id DESC LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![nos, limit as i64], |r| {
            Ok(LeaveRequestRow {
                id: r.get(0)?,
                staff_no: r.get(1)?,
                kind: r.get(2)?,
                from: r.get(3)?,
                to: r.get(4)?,
                decision: match r.get::<_, Option<bool>>(5)? {
                    Some(a) => Some((a, r.get::<_, String>(6)?)),
                    None => None,
                },
                recorded_at: r.get(7)?,
                reason: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Whose leave request `id` is, and its span.
    pub fn leave_request_of(&self, id: i64) -> Result<Option<(String, Instant, Instant)>> {
        Ok(self
            .conn
            .query_row("SELECT staff_no, from_ms, to_ms FROM leave_requests WHERE id = ?1", [id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?)
    }

    /// Leave records overlapping `[from, to)`, with their void state and approver.
    pub fn leave_records(&self, from: Instant, to: Instant) -> Result<Vec<(LeaveRow, String)>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "{LEAVE_SELECT} WHERE s.to_ms > ?1 AND s.from_ms < ?2 ORDER BY s.from_ms, l.id"
        ))?;
        let rows = stmt.query_map(params![from, to], |r| Ok((leave_from_row(r)?, r.get(6)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The database file's size in bytes (with its WAL).
    pub fn size_bytes(&self) -> u64 {
        let wal = self.path.with_extension("sqlite3-wal");
        std::fs::metadata(&self.path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    /// What the records chained after seq `after` touch: the instants of
    /// punches, voids, 查岗 and leave they add or void, and the dates of
    /// roster entries; and the last seq read. (Staff and card changes and
    /// summaries touch no day's records.)
    pub fn touched_since(&self, after: u64) -> Result<Touched> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT j.seq,
                    CASE j.tbl
                      WHEN 'punches' THEN (SELECT at_ms FROM punches WHERE id = j.row_id)
                      WHEN 'punch_voids' THEN (SELECT p.at_ms FROM punch_voids v JOIN punches p ON p.id = v.punch_id WHERE v.id = j.row_id)
                      WHEN 'spot_checks' THEN (SELECT at_ms FROM spot_checks WHERE id = j.row_id)
                      WHEN 'spot_check_voids' THEN (SELECT c.at_ms FROM spot_check_voids v JOIN spot_checks c ON c.id = v.spot_check_id WHERE v.id = j.row_id)
                      WHEN 'leave_spans' THEN (SELECT from_ms FROM leave_spans WHERE rowid = j.row_id)
                      WHEN 'leave_voids' THEN (SELECT s.from_ms FROM leave_voids v JOIN leave_spans s ON s.leave_id = v.leave_id WHERE v.id = j.row_id)
                    END,
                    CASE j.tbl
                      WHEN 'leave_spans' THEN (SELECT to_ms FROM leave_spans WHERE rowid = j.row_id)
                      WHEN 'leave_voids' THEN (SELECT s.to_ms FROM leave_voids v JOIN leave_spans s ON s.leave_id = v.leave_id WHERE v.id = j.row_id)
                    END,
                    CASE j.tbl WHEN 'roster' THEN (SELECT date FROM roster WHERE id = j.row_id) END
             FROM journal j WHERE j.seq > ?1 ORDER BY j.seq",
        )?;
        let mut rows = stmt.query([after as i64])?;
        let (mut spans, mut dates, mut last) = (Vec::new(), Vec::new(), after);
        while let Some(r) = rows.next()? {
            last = r.get::<_, i64>(0)? as u64;
            let (from, to): (Option<Instant>, Option<Instant>) = (r.get(1)?, r.get(2)?);
            if let Some(from) = from {
                spans.push((from, to.unwrap_or(from)));
            }
            if let Some(d) = r.get::<_, Option<String>>(3)?.and_then(|d| d.parse().ok()) {
                dates.push(d);
            }
        }
        Ok(Touched { spans, dates, last })
    }

    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// Whether leave recorded before instants were stored has none yet.
    pub fn has_legacy_leave(&self) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM leave l WHERE NOT EXISTS (SELECT 1 FROM leave_spans s WHERE s.leave_id = l.id))",
            [],
            |r| r.get(0),
        )?)
    }

    /// The newest instant of the kiosk's own scans made with a synchronized
    /// clock (source `reader`), if any: the clock-jump check is seeded from
    /// it, never from imports (a typo'd year), an unsynchronized clock or
    /// another door's punches (`by_whom` names their origin: another clock).
    pub fn latest_scan_at(&self) -> Result<Option<Instant>> {
        Ok(self.conn.query_row(
            "SELECT max(at_ms) FROM punches WHERE source = 'reader' AND clock_synced = 1 AND by_whom IS NULL",
            [],
            |r| r.get(0),
        )?)
    }

    /// The earliest punch that shows the kiosk (or the terminal before it)
    /// was there: its own scans on a synchronized clock and imported
    /// histories (file, ATTLOG), not voided. Not a head's correction (a
    /// 补卡 on an old day must not turn everyone's days before into 旷工),
    /// nor a scan on an unsynchronized clock (a boot at 1970).
    pub fn first_punch_at(&self) -> Result<Option<Instant>> {
        Ok(self.conn.query_row(
            "SELECT min(p.at_ms) FROM punches p
             WHERE ((p.source = 'reader' AND p.clock_synced = 1 AND p.by_whom IS NULL) OR p.source IN ('import', 'attlog'))
               AND NOT EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id)",
            [],
            |r| r.get(0),
        )?)
    }

    /// When the kiosk began: its first own scan with a synchronized clock.
    /// The days the kiosk closes on its own start there: not the days
    /// between a staff import and going into service (all 旷工), not a
    /// history imported from an old terminal (or a typo'd year), not a
    /// boot with a clock at 1970, not another door's history pulled by a new
    /// home kiosk. `summary --date` closes those on demand.
    pub fn began_at(&self) -> Result<Option<Instant>> {
        Ok(self.conn.query_row(
            "SELECT min(at_ms) FROM punches WHERE source = 'reader' AND clock_synced = 1 AND by_whom IS NULL",
            [],
            |r| r.get(0),
        )?)
    }
}

/// Leave with its instants and void state (`leave_from_row`'s columns),
/// then the approver.
const LEAVE_SELECT: &str = "SELECT l.id, l.staff_no, l.kind, s.from_ms, s.to_ms,
        EXISTS (SELECT 1 FROM leave_voids v WHERE v.leave_id = l.id), l.approved_by
    FROM leave l JOIN leave_spans s ON s.leave_id = l.id";

/// A leave row from `id, staff_no, kind, from_ms, to_ms, voided`.
fn leave_from_row(r: &Row<'_>) -> rusqlite::Result<LeaveRow> {
    Ok(LeaveRow {
        id: r.get(0)?,
        staff_no: r.get(1)?,
        kind: r.get(2)?,
        from: r.get(3)?,
        to: r.get(4)?,
        voided: r.get(5)?,
    })
}

fn punch_from_row(r: &Row<'_>) -> rusqlite::Result<PunchRow> {
    let card: Option<String> = r.get(1)?;
    let staff: Option<String> = r.get(2)?;
    let owner = match (card, staff) {
        (Some(c), _) => PunchOwner::Card(c),
        (None, Some(s)) => PunchOwner::Staff(s),
        (None, None) => {
            return Err(rusqlite::Error::FromSqlConversionFailure(
                2,
                Type::Null,
                Box::new(Malformed("malformed stored punch: neither card nor staff_no".into())),
            ))
        }
    };
    Ok(PunchRow {
        id: r.get(0)?,
        owner,
        at: r.get(3)?,
        source: parsed(r, 4, "punches.source", PunchSource::parse)?,
        clock_synced: r.get(5)?,
        origin: r.get("origin")?,
        voided: r.get(7)?,
    })
}

/// A refusal that still matters (`sync_log l` of summary `s`): not an
/// acknowledgement, and not a 409 for a revision whose date has a later
/// revision the server acknowledged, or held when the store was restored
/// (`summary.server_holds.DATE`, see `Writer::server_holds`): the server
/// has the newer one, nothing is missing.
const REFUSED: &str = "l.status NOT IN (200, 201) AND NOT (l.status = 409 AND (EXISTS (
    SELECT 1 FROM daily_summaries s2 JOIN sync_log l2 ON l2.summary_id = s2.id
    WHERE s2.date = s.date AND s2.revision > s.revision AND l2.status IN (200, 201))
    OR EXISTS (SELECT 1 FROM meta m WHERE m.key = 'summary.server_holds.' || s.date
        AND CAST(m.value AS INTEGER) > s.revision)))";

#[cfg(test)]
mod tests {
    /// The refusals a restore knows the server superseded are found by
    /// the settings' key the restore writes.
    #[test]
    fn refusals_read_the_restores_key() {
        assert!(super::REFUSED.contains(&format!("'{}'", super::super::write::SERVER_HOLDS)));
    }
}
