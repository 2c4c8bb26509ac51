//! The roster (值班) and leave files (SPEC.md "Files"), read for the
//! kiosk's imports and the central server's: rows checked against the
//! known people, with local times as written. What needs a schedule (the
//! time zone a leave's local times are in, whether a session crosses the
//! day start) is the caller's: the kiosk has its schedules, the server
//! sends the local times and the kiosk applies them in the person's zone.

use std::path::Path;

use chrono::{NaiveDate, NaiveDateTime};

use super::staff::Roll;
use super::table::Table;
use super::ImportError;
use crate::domain::rules::ClockSpan;
use crate::domain::time::{parse_clock, parse_date, parse_local};

/// A 值班 session: whose, on which attendance day, from and to (local clock).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub line: usize,
    pub staff_no: String,
    pub date: NaiveDate,
    pub span: ClockSpan,
}

/// Reads a roster file: `staff_no,date,start,end`, every row or an error
/// naming its place.
pub fn roster(path: &Path, roll: &Roll) -> Result<(Table, Vec<RosterRow>), ImportError> {
    let f = Table::read(path, &["staff_no", "date", "start", "end"], &["staff_no", "date", "start", "end"])?;
    let mut rows = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
        let date = parse_date(f.need(line, rec, "date")?).map_err(|m| f.err(line, format!("date: {m}")))?;
        let start = parse_clock(f.need(line, rec, "start")?).map_err(|m| f.err(line, format!("start: {m}")))?;
        let end = parse_clock(f.need(line, rec, "end")?).map_err(|m| f.err(line, format!("end: {m}")))?;
        if start == end {
            return Err(f.err(line, "start and end are the same"));
        }
        rows.push(RosterRow { line, staff_no: staff.staff_no.clone(), date, span: ClockSpan { start, end } });
    }
    Ok((f, rows))
}

/// A leave or duty record as the file has it (local times).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveRow {
    pub line: usize,
    pub staff_no: String,
    pub kind: String,
    pub from: NaiveDateTime,
    pub to: NaiveDateTime,
    pub approved_by: String,
    pub note: String,
}

/// Reads a leave file: `staff_no,kind,from,to[,approved_by][,note]`.
pub fn leave(path: &Path, roll: &Roll) -> Result<(Table, Vec<LeaveRow>), ImportError> {
    let cols = ["staff_no", "kind", "from", "to", "approved_by", "note"];
    let f = Table::read(path, &cols, &cols[..4])?;
    let mut rows = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
        let kind = f.need(line, rec, "kind")?.to_string();
        let from = parse_local(f.need(line, rec, "from")?).map_err(|m| f.err(line, format!("from: {m}")))?;
        let to = parse_local(f.need(line, rec, "to")?).map_err(|m| f.err(line, format!("to: {m}")))?;
        if to <= from {
            return Err(f.err(line, format!("leave ends ({to}) before it starts ({from})")));
        }
        rows.push(LeaveRow {
            line,
            staff_no: staff.staff_no.clone(),
            kind,
            from,
            to,
            approved_by: f.get(rec, "approved_by").unwrap_or("").to_string(),
            note: f.get(rec, "note").unwrap_or("").to_string(),
        });
    }
    Ok((f, rows))
}
