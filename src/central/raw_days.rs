//! A person's days as the kiosk recorded them (SPEC "Records"): the raw
//! punches behind a summary's figures, each with where it came from (the
//! reader, a 补卡 with its reason and who made it, an import, a ZKTeco
//! file) and its fate (counted, a duplicate, voided with the reason and by
//! whom), the leave that covers the day, and the 查岗 records. Pure: the
//! caller reads the kiosk's records of the period from the store.
//!
//! Whose a punch is and whether it counts is decided as the kiosk decides
//! it: the records folded by `domain::replay` and judged by the same
//! `Attendance` (card assignments by date, R3's duplicates and voids),
//! with the schedules the kiosk declared (the default schedule when it
//! declared none).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::attendance::{read_range, Attendance};
use crate::domain::chain::{Value, WireRecord};
use crate::domain::config::Config;
use crate::domain::rejudge::DeclaredRules;
use crate::domain::replay::Tables;
use crate::domain::rules::{Calendar, Verdict};
use crate::domain::time::{clock_time, instant_to_local, Instant};

/// A punch as recorded, with its fate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPunch {
    pub at: Instant,
    /// The local time, as the summary writes punches ("08:25:00").
    pub clock: String,
    /// `reader`, `correction` (补卡), `import`, `attlog`.
    pub source: String,
    /// A 补卡's reason and who made it.
    pub reason: Option<String>,
    pub by: Option<String>,
    pub verdict: Verdict,
    /// A void's reason and who voided it.
    pub voided: Option<(String, String)>,
}

/// A leave or duty record that covers part of the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLeave {
    pub kind: String,
    pub from: Instant,
    pub to: Instant,
    /// Local "MM-DD HH:MM" of `from` and `to`.
    pub span: (String, String),
    pub approved_by: String,
    pub voided: Option<(String, String)>,
}

/// A 查岗 record of the person on the day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawCheck {
    pub at: Instant,
    pub clock: String,
    pub present: bool,
    pub inspector: String,
    pub voided: Option<(String, String)>,
}

/// One day of one person, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawDay {
    pub date: NaiveDate,
    pub punches: Vec<RawPunch>,
    pub leave: Vec<RawLeave>,
    pub checks: Vec<RawCheck>,
}

fn text(r: &WireRecord, column: &str) -> String {
    match r.fields.get(column) {
        Some(Value::Text(t)) => t.clone(),
        Some(Value::Int(i)) => i.to_string(),
        _ => String::new(),
    }
}

fn int(r: &WireRecord, column: &str) -> Option<i64> {
    match r.fields.get(column) {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

/// `staff_no`'s days `dates` (inclusive) from `records`: a kiosk's records
/// of the period (every staff and card record, the period's punches, spot
/// checks and leave spans, the voids and leave records), in chain order.
/// `now` is when the page is made (a day not over is judged as running).
pub fn person_days(
    kiosk_id: &str,
    units: &[String],
    rules: Option<&DeclaredRules>,
    records: &[WireRecord],
    staff_no: &str,
    dates: (NaiveDate, NaiveDate),
    now: Instant,
) -> Result<Vec<RawDay>, String> {
    let empty = serde_json::json!({});
    let units = match rules {
        Some(r) if !r.units.is_empty() => &r.units[..],
        _ => units,
    };
    let config = Config::for_judging(kiosk_id, units, rules.map_or(&empty, |r| &r.config))?;
    let calendar = rules.map(DeclaredRules::calendar).transpose()?.unwrap_or_else(Calendar::default);
    let mut tables = Tables::default();
    // What the snapshot does not carry: a punch's notes, the voids'
    // reasons, a leave's approver and a spot check's inspector.
    let (mut notes, mut voids) = (HashMap::new(), HashMap::new());
    let (mut leave_by, mut inspectors) = (HashMap::new(), HashMap::new());
    for r in records {
        tables.apply(r).map_err(|e| e.to_string())?;
        let reason_by = || (text(r, "reason"), text(r, "by_whom"));
        match r.table.as_str() {
            "punches" => {
                notes.insert(
                    r.id,
                    (text(r, "source"), r.fields.get("reason").cloned(), r.fields.get("by_whom").cloned()),
                );
            }
            "punch_voids" => _ = voids.insert(("punch", int(r, "punch_id")), reason_by()),
            "leave_voids" => _ = voids.insert(("leave", int(r, "leave_id")), reason_by()),
            "spot_check_voids" => _ = voids.insert(("check", int(r, "spot_check_id")), reason_by()),
            "leave" => _ = leave_by.insert(r.id, text(r, "approved_by")),
            "spot_checks" => _ = inspectors.insert(r.id, text(r, "inspector")),
            _ => {}
        }
    }
    let (from, to) = read_range(&config, dates.0, dates.1);
    let snapshot = tables.snapshot(from, to, dates, calendar);
    let (leave, checks) = (snapshot.leave.clone(), snapshot.spot_checks.clone());
    let att = Attendance::new(&config, snapshot, now);
    let Some(staff) = att.people(None).into_iter().find(|s| s.staff_no == staff_no) else {
        return Ok(Vec::new());
    };
    let as_text = |v: &Option<Value>| match v {
        Some(Value::Text(t)) => Some(t.clone()),
        _ => None,
    };
    let mut out = Vec::new();
    for date in dates.0.iter_days().take_while(|d| *d <= dates.1) {
        let day = att.day(staff, date);
        let (start, end) = (day.schedule.day_start(date), day.schedule.day_start(date + chrono::Duration::days(1)));
        let tz = day.schedule.tz;
        let local = |at: Instant| instant_to_local(tz, at).format("%m-%d %H:%M").to_string();
        let punches = day
            .punches
            .iter()
            .filter(|p| p.row.at >= start && p.row.at < end)
            .map(|p| {
                let (source, reason, by) = notes.get(&p.row.id).cloned().unwrap_or_default();
                RawPunch {
                    at: p.row.at,
                    clock: clock_time(tz, p.row.at),
                    source,
                    reason: as_text(&reason),
                    by: as_text(&by),
                    verdict: p.verdict,
                    voided: voids.get(&("punch", Some(p.row.id))).cloned(),
                }
            })
            .collect();
        let leave = leave
            .iter()
            .filter(|l| l.staff_no == staff_no && l.to > start && l.from < end)
            .map(|l| RawLeave {
                kind: l.kind.clone(),
                from: l.from,
                to: l.to,
                span: (local(l.from), local(l.to)),
                approved_by: leave_by.get(&l.id).cloned().unwrap_or_default(),
                voided: voids.get(&("leave", Some(l.id))).cloned(),
            })
            .collect();
        let checks = checks
            .iter()
            .filter(|c| c.staff_no == staff_no && c.at >= start && c.at < end)
            .map(|c| RawCheck {
                at: c.at,
                clock: clock_time(tz, c.at),
                present: c.present,
                inspector: inspectors.get(&c.id).cloned().unwrap_or_default(),
                voided: voids.get(&("check", Some(c.id))).cloned(),
            })
            .collect();
        out.push(RawDay { date, punches, leave, checks });
    }
    Ok(out)
}

impl RawDay {
    /// Nothing recorded for the person that day.
    pub fn is_empty(&self) -> bool {
        self.punches.is_empty() && self.leave.is_empty() && self.checks.is_empty()
    }
}
