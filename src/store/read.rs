//! Reading records back: one prepared statement per table for a period.

use chrono::{NaiveDate, NaiveDateTime};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{Result, Store};
use crate::model::{LeaveRow, PunchOwner, PunchRow, PunchSource, Role, RosterRow, Snapshot, SpotCheckRow, Staff};
use crate::rules::{Calendar, CardAssignment, ClockSpan};
use crate::time::Instant;

const STAFF_COLUMNS: &str = "v.staff_no, v.name, v.unit, v.schedule, v.role, v.pin_hash, v.active_from, v.active_until";

fn date_opt(s: Option<String>) -> Option<NaiveDate> {
    s.and_then(|s| s.parse().ok())
}

fn staff_from_row(r: &Row<'_>) -> rusqlite::Result<Staff> {
    Ok(Staff {
        staff_no: r.get(0)?,
        name: r.get(1)?,
        unit: r.get(2)?,
        schedule: r.get(3)?,
        role: Role::parse(&r.get::<_, String>(4)?).unwrap_or_default(),
        pin_hash: r.get(5)?,
        active_from: date_opt(r.get(6)?),
        active_until: date_opt(r.get(7)?),
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

fn parse_local(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap_or_default()
}

fn clock(s: &str) -> chrono::NaiveTime {
    crate::time::parse_clock(s).unwrap_or_default()
}

/// A correction request and its decision (approved?, by whom), if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRow {
    pub id: i64,
    pub staff_no: String,
    pub at: Instant,
    pub reason: String,
    pub decision: Option<(bool, String)>,
}

/// One row of `punches list`.
#[derive(Debug, Clone)]
pub struct PunchListing {
    pub row: PunchRow,
    pub reason: Option<String>,
    pub by: Option<String>,
}

impl Store {
    /// The current version of every staff member, by staff number.
    pub fn staff(&self) -> Result<Vec<Staff>> {
        all_staff(&self.conn)
    }

    pub fn staff_member(&self, staff_no: &str) -> Result<Option<Staff>> {
        current_staff(&self.conn, staff_no)
    }

    pub fn meta(&self, key: &str) -> Result<Option<String>> {
        Ok(self.conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0)).optional()?)
    }

    /// All card assignments, in the order they were made.
    pub fn assignments(&self) -> Result<Vec<CardAssignment>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, card, staff_no, cards_from, made_on FROM card_assignments ORDER BY id")?;
        let rows = stmt.query_map([], |r| {
            Ok(CardAssignment {
                seq: r.get(0)?,
                card: r.get(1)?,
                staff_no: r.get(2)?,
                cards_from: date_opt(r.get(3)?),
                made_on: date_opt(Some(r.get(4)?)).unwrap_or_default(),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn calendar(&self) -> Result<Calendar> {
        let mut cal = Calendar::default();
        let years: Vec<i32> = self
            .conn
            .prepare_cached("SELECT year FROM calendar_years")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for y in years {
            cal.add_year(y, []);
        }
        let mut stmt = self.conn.prepare_cached("SELECT date, year, is_off_day FROM calendar_days")?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i32>(1)?, r.get::<_, bool>(2)?)))?;
        for row in rows {
            let (date, year, off) = row?;
            if let Ok(d) = date.parse() {
                cal.add_year(year, [(d, off)]);
            }
        }
        Ok(cal)
    }

    /// Every record the rules need to judge the days whose instants fall in
    /// `[from, to)` and whose dates are in `dates` (inclusive). Punches are
    /// read from `from` on; callers widen `from` to include the duplicate
    /// window's lookback.
    pub fn snapshot(&self, from: Instant, to: Instant, dates: (NaiveDate, NaiveDate)) -> Result<Snapshot> {
        let conn = &self.conn;
        let mut stmt = conn.prepare_cached(
            "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                    EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id)
             FROM punches p WHERE p.at_ms >= ?1 AND p.at_ms < ?2",
        )?;
        let punches = stmt.query_map(params![from, to], punch_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        // Local texts compare as dates; a day's margin covers every zone.
        let lo = (dates.0 - chrono::Duration::days(2)).to_string();
        let hi = (dates.1 + chrono::Duration::days(3)).to_string();
        let mut stmt = conn.prepare_cached(
            "SELECT l.id, l.staff_no, l.kind, l.from_local, l.to_local,
                    EXISTS (SELECT 1 FROM leave_voids v WHERE v.leave_id = l.id)
             FROM leave l WHERE l.to_local > ?1 AND l.from_local < ?2",
        )?;
        let leave = stmt.query_map(params![lo, hi], leave_from_row)?.collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt =
            conn.prepare_cached("SELECT staff_no, date, start, end FROM roster WHERE date >= ?1 AND date <= ?2")?;
        let roster = stmt
            .query_map(params![dates.0.to_string(), dates.1.to_string()], |r| {
                Ok(RosterRow {
                    staff_no: r.get(0)?,
                    date: date_opt(Some(r.get(1)?)).unwrap_or_default(),
                    span: ClockSpan { start: clock(&r.get::<_, String>(2)?), end: clock(&r.get::<_, String>(3)?) },
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = conn.prepare_cached(
            "SELECT s.id, s.staff_no, s.at_ms, s.present,
                    EXISTS (SELECT 1 FROM spot_check_voids v WHERE v.spot_check_id = s.id)
             FROM spot_checks s WHERE s.at_ms >= ?1 AND s.at_ms < ?2",
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
            staff: self.staff()?,
            assignments: self.assignments()?,
            punches,
            leave,
            roster,
            spot_checks,
            calendar: self.calendar()?,
        })
    }

    /// Punches in `[from, to)` with their notes, for `punches list`.
    pub fn punch_listing(&self, from: Instant, to: Instant) -> Result<Vec<PunchListing>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                    EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id),
                    coalesce(p.reason, (SELECT v.reason FROM punch_voids v WHERE v.punch_id = p.id)),
                    coalesce(p.by_whom, (SELECT v.by_whom FROM punch_voids v WHERE v.punch_id = p.id))
             FROM punches p WHERE p.at_ms >= ?1 AND p.at_ms < ?2 ORDER BY p.at_ms, p.id",
        )?;
        let rows = stmt.query_map(params![from, to], |r| {
            Ok(PunchListing { row: punch_from_row(r)?, reason: r.get(7)?, by: r.get(8)? })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A punch by id (for voids and the staff number it belongs to).
    pub fn punch(&self, id: i64) -> Result<Option<PunchRow>> {
        Ok(self
            .conn
            .query_row(
                "SELECT p.id, p.card, p.staff_no, p.at_ms, p.source, p.clock_synced,
                        EXISTS (SELECT 1 FROM punch_voids v WHERE v.punch_id = p.id)
                 FROM punches p WHERE p.id = ?1",
                [id],
                punch_from_row,
            )
            .optional()?)
    }

    /// The latest stored revision of a day's summary: (revision, content).
    pub fn latest_summary(&self, date: NaiveDate) -> Result<Option<(i64, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT revision, content FROM daily_summaries WHERE date = ?1 ORDER BY revision DESC LIMIT 1",
                [date.to_string()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Correction requests of some staff, newest first: (id, staff_no, at, reason, decision).
    pub fn correction_requests(&self, staff: &[String]) -> Result<Vec<RequestRow>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.staff_no, r.at_ms, r.reason, d.approved, d.by_whom
             FROM correction_requests r LEFT JOIN correction_decisions d ON d.request_id = r.id
             ORDER BY r.id DESC LIMIT 200",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(RequestRow {
                id: r.get(0)?,
                staff_no: r.get(1)?,
                at: r.get(2)?,
                reason: r.get(3)?,
                decision: match r.get::<_, Option<bool>>(4)? {
                    Some(a) => Some((a, r.get::<_, String>(5)?)),
                    None => None,
                },
            })
        })?;
        let all: Vec<RequestRow> = rows.collect::<rusqlite::Result<_>>()?;
        Ok(all.into_iter().filter(|r| staff.contains(&r.staff_no)).collect())
    }

    /// Leave records of some staff overlapping `[from, to)` local text, with their void state.
    pub fn leave_records(&self, from: &str, to: &str) -> Result<Vec<(LeaveRow, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT l.id, l.staff_no, l.kind, l.from_local, l.to_local,
                    EXISTS (SELECT 1 FROM leave_voids v WHERE v.leave_id = l.id), l.approved_by
             FROM leave l WHERE l.to_local > ?1 AND l.from_local < ?2 ORDER BY l.from_local",
        )?;
        let rows = stmt.query_map(params![from, to], |r| Ok((leave_from_row(r)?, r.get(6)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The database file's size in bytes (with its WAL).
    pub fn size_bytes(&self) -> u64 {
        let wal = self.path.with_extension("sqlite3-wal");
        std::fs::metadata(&self.path).map_or(0, |m| m.len()) + std::fs::metadata(wal).map_or(0, |m| m.len())
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self.conn.pragma_query_value(None, "data_version", |r| r.get(0))?)
    }

    /// The newest punch instant stored, if any (the clock-jump check).
    pub fn latest_punch_at(&self) -> Result<Option<Instant>> {
        Ok(self.conn.query_row("SELECT max(at_ms) FROM punches", [], |r| r.get(0))?)
    }
}

/// A leave row from `id, staff_no, kind, from_local, to_local, voided`.
fn leave_from_row(r: &Row<'_>) -> rusqlite::Result<LeaveRow> {
    Ok(LeaveRow {
        id: r.get(0)?,
        staff_no: r.get(1)?,
        kind: r.get(2)?,
        from: parse_local(&r.get::<_, String>(3)?),
        to: parse_local(&r.get::<_, String>(4)?),
        voided: r.get(5)?,
    })
}

fn punch_from_row(r: &Row<'_>) -> rusqlite::Result<PunchRow> {
    let card: Option<String> = r.get(1)?;
    let staff: Option<String> = r.get(2)?;
    let owner = match (card, staff) {
        (Some(c), _) => PunchOwner::Card(c),
        (None, s) => PunchOwner::Staff(s.unwrap_or_default()),
    };
    Ok(PunchRow {
        id: r.get(0)?,
        owner,
        at: r.get(3)?,
        source: PunchSource::parse(&r.get::<_, String>(4)?),
        clock_synced: r.get(5)?,
        voided: r.get(6)?,
    })
}
