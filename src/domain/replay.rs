//! A kiosk's record chain read back into what its rules read: the central
//! server judges a kiosk's days again from the records it holds
//! (SPEC "Records"), with the same rules the kiosk used.
//!
//! [`Tables`] takes records in chain order and keeps what the kiosk's store
//! would hold after them; [`Tables::snapshot`] then answers exactly what the
//! store's `snapshot` answers (the same rows: the latest version of each
//! person, every card assignment, the period's punches, leave spans, roster
//! days and spot checks with their voids), so a day judged from the chain's
//! prefix before a summary record is the judgement that summary made. The
//! kiosk's store tests hold the two to each other over a store with every
//! kind of record (`kiosk::store`), and the central server's re-judging
//! checks them on every summary it receives.
//!
//! Pure: no IO; an unreadable record is an error naming its sequence and
//! column, never a panic.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{NaiveDate, NaiveTime};

use crate::domain::chain::{Value, WireRecord};
use crate::domain::model::{
    LeaveRow, PunchOwner, PunchRow, PunchSource, Role, RosterRow, Snapshot, SpotCheckRow, Staff,
};
use crate::domain::rules::{Calendar, CardAssignment, ClockSpan};
use crate::domain::time::Instant;

/// A record whose fields do not read as its table's columns should.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("record {seq} ({table}.{column}): {message}")]
pub struct ReplayError {
    pub seq: u64,
    pub table: String,
    pub column: String,
    pub message: String,
}

/// A kiosk's summary of a day as it stands on the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainedSummary {
    /// The summary record's place on the chain: the records before it are
    /// what it was judged from.
    pub seq: u64,
    pub date: NaiveDate,
    pub revision: i64,
    pub content: String,
}

/// A leave record before its span is known.
#[derive(Debug, Clone)]
struct Leave {
    staff_no: String,
    kind: String,
}

/// What a kiosk's store holds after a prefix of its chain, as far as the
/// rules read it.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    /// The chain's length so far.
    pub length: u64,
    /// Each person's latest version (by row id, as the store picks it).
    staff: BTreeMap<String, (i64, Staff)>,
    assignments: BTreeMap<i64, CardAssignment>,
    punches: BTreeMap<i64, PunchRow>,
    punch_voids: BTreeSet<i64>,
    leave: BTreeMap<i64, Leave>,
    leave_spans: BTreeMap<i64, (Instant, Instant)>,
    leave_voids: BTreeSet<i64>,
    roster: BTreeMap<i64, RosterRow>,
    spot_checks: BTreeMap<i64, SpotCheckRow>,
    spot_check_voids: BTreeSet<i64>,
}

/// Reads one record's columns, naming the record in every error.
struct Fields<'r> {
    record: &'r WireRecord,
}

impl Fields<'_> {
    fn error(&self, column: &str, message: impl Into<String>) -> ReplayError {
        ReplayError {
            seq: self.record.seq,
            table: self.record.table.clone(),
            column: column.into(),
            message: message.into(),
        }
    }

    fn value(&self, column: &str) -> Result<&Value, ReplayError> {
        self.record.fields.get(column).ok_or_else(|| self.error(column, "missing"))
    }

    fn opt_text(&self, column: &str) -> Result<Option<String>, ReplayError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Text(t) => Ok(Some(t.clone())),
            Value::Int(i) => Err(self.error(column, format!("{i} where text belongs"))),
        }
    }

    fn text(&self, column: &str) -> Result<String, ReplayError> {
        self.opt_text(column)?.ok_or_else(|| self.error(column, "null where text belongs"))
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>, ReplayError> {
        match self.value(column)? {
            Value::Null => Ok(None),
            Value::Int(i) => Ok(Some(*i)),
            Value::Text(t) => Err(self.error(column, format!("{t:?} where an integer belongs"))),
        }
    }

    fn int(&self, column: &str) -> Result<i64, ReplayError> {
        self.opt_int(column)?.ok_or_else(|| self.error(column, "null where an integer belongs"))
    }

    /// SQLite's boolean: any integer, true unless 0.
    fn flag(&self, column: &str) -> Result<bool, ReplayError> {
        Ok(self.int(column)? != 0)
    }

    fn parsed<T>(&self, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<T, ReplayError> {
        let t = self.text(column)?;
        parse(&t).ok_or_else(|| self.error(column, format!("malformed value {t:?}")))
    }

    fn opt_parsed<T>(&self, column: &str, parse: impl Fn(&str) -> Option<T>) -> Result<Option<T>, ReplayError> {
        match self.opt_text(column)? {
            None => Ok(None),
            Some(t) => parse(&t).map(Some).ok_or_else(|| self.error(column, format!("malformed value {t:?}"))),
        }
    }
}

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn clock(s: &str) -> Option<NaiveTime> {
    crate::domain::time::parse_clock(s).ok()
}

impl Tables {
    /// Takes the next record of the chain. Returns the kiosk's summary when
    /// the record is one. Records of tables the rules do not read (the
    /// heads' actions, requests and decisions) only count.
    pub fn apply(&mut self, record: &WireRecord) -> Result<Option<ChainedSummary>, ReplayError> {
        let f = Fields { record };
        let id = record.id;
        let mut summary = None;
        match record.table.as_str() {
            "staff_versions" => {
                let staff = Staff {
                    staff_no: f.text("staff_no")?,
                    name: f.text("name")?,
                    unit: f.text("unit")?,
                    schedule: f.text("schedule")?,
                    role: f.parsed("role", Role::parse)?,
                    pin_hash: f.opt_text("pin_hash")?,
                    active_from: f.opt_parsed("active_from", date)?,
                    active_until: f.opt_parsed("active_until", date)?,
                };
                let newer = self.staff.get(&staff.staff_no).is_none_or(|(held, _)| *held < id);
                if newer {
                    self.staff.insert(staff.staff_no.clone(), (id, staff));
                }
            }
            "card_assignments" => {
                let a = CardAssignment {
                    seq: id,
                    card: f.text("card")?,
                    staff_no: f.text("staff_no")?,
                    cards_from: f.opt_parsed("cards_from", date)?,
                    made_on: f.parsed("made_on", date)?,
                };
                self.assignments.insert(id, a);
            }
            "punches" => {
                let owner = match (f.opt_text("card")?, f.opt_text("staff_no")?) {
                    (Some(c), _) => PunchOwner::Card(c),
                    (None, Some(s)) => PunchOwner::Staff(s),
                    (None, None) => return Err(f.error("staff_no", "neither card nor staff_no")),
                };
                let punch = PunchRow {
                    id,
                    owner,
                    at: f.int("at_ms")?,
                    source: f.parsed("source", PunchSource::parse)?,
                    clock_synced: f.opt_int("clock_synced")?.map(|v| v != 0),
                    origin: match f.text("source")?.as_str() {
                        "reader" => f.opt_text("by_whom")?,
                        _ => None,
                    },
                    voided: false,
                };
                self.punches.insert(id, punch);
            }
            "punch_voids" => {
                self.punch_voids.insert(f.int("punch_id")?);
            }
            "leave" => {
                self.leave.insert(id, Leave { staff_no: f.text("staff_no")?, kind: f.text("kind")? });
            }
            "leave_spans" => {
                self.leave_spans.insert(f.int("leave_id")?, (f.int("from_ms")?, f.int("to_ms")?));
            }
            "leave_voids" => {
                self.leave_voids.insert(f.int("leave_id")?);
            }
            "roster" => {
                let row = RosterRow {
                    staff_no: f.text("staff_no")?,
                    date: f.parsed("date", date)?,
                    span: ClockSpan { start: f.parsed("start", clock)?, end: f.parsed("end", clock)? },
                };
                self.roster.insert(id, row);
            }
            "spot_checks" => {
                let row = SpotCheckRow {
                    id,
                    staff_no: f.text("staff_no")?,
                    at: f.int("at_ms")?,
                    present: f.flag("present")?,
                    voided: false,
                };
                self.spot_checks.insert(id, row);
            }
            "spot_check_voids" => {
                self.spot_check_voids.insert(f.int("spot_check_id")?);
            }
            "daily_summaries" => {
                summary = Some(ChainedSummary {
                    seq: record.seq,
                    date: f.parsed("date", date)?,
                    revision: f.int("revision")?,
                    content: f.text("content")?,
                });
            }
            _ => {}
        }
        self.length = record.seq;
        Ok(summary)
    }

    /// What the kiosk's store answers for the days whose instants fall in
    /// `[from, to)` and whose dates are in `dates` (inclusive), with the
    /// calendar the kiosk declared.
    pub fn snapshot(&self, from: Instant, to: Instant, dates: (NaiveDate, NaiveDate), calendar: Calendar) -> Snapshot {
        let punches = self
            .punches
            .values()
            .filter(|p| p.at >= from && p.at < to)
            .map(|p| PunchRow { voided: self.punch_voids.contains(&p.id), ..p.clone() })
            .collect();
        let leave = self
            .leave
            .iter()
            .filter_map(|(id, l)| {
                let &(from_ms, to_ms) = self.leave_spans.get(id)?;
                (to_ms > from && from_ms < to).then(|| LeaveRow {
                    id: *id,
                    staff_no: l.staff_no.clone(),
                    kind: l.kind.clone(),
                    from: from_ms,
                    to: to_ms,
                    voided: self.leave_voids.contains(id),
                })
            })
            .collect();
        let roster = self.roster.values().filter(|r| r.date >= dates.0 && r.date <= dates.1).cloned().collect();
        let spot_checks = self
            .spot_checks
            .values()
            .filter(|s| s.at >= from && s.at < to)
            .map(|s| SpotCheckRow { voided: self.spot_check_voids.contains(&s.id), ..s.clone() })
            .collect();
        Snapshot {
            staff: self.staff.values().map(|(_, s)| s.clone()).collect(),
            assignments: self.assignments.values().cloned().collect(),
            punches,
            leave,
            roster,
            spot_checks,
            calendar,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(seq: u64, table: &str, id: i64, fields: &[(&str, Value)]) -> WireRecord {
        WireRecord {
            seq,
            table: table.into(),
            id,
            fields: fields.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            hash: String::new(),
        }
    }

    #[test]
    fn a_malformed_record_is_named_by_its_sequence_and_column() {
        let mut t = Tables::default();
        let bad = record(
            7,
            "punches",
            3,
            &[
                ("card", Value::Text("AB".into())),
                ("staff_no", Value::Null),
                ("at_ms", Value::Text("noon".into())),
                ("source", Value::Text("reader".into())),
                ("clock_synced", Value::Int(1)),
            ],
        );
        let e = t.apply(&bad).unwrap_err();
        assert_eq!(e.to_string(), "record 7 (punches.at_ms): \"noon\" where an integer belongs");
        let e = t.apply(&record(8, "leave", 1, &[("staff_no", Value::Text("1".into()))])).unwrap_err();
        assert_eq!((e.seq, e.column.as_str(), e.message.as_str()), (8, "kind", "missing"));
    }

    #[test]
    fn voids_spans_and_the_latest_staff_version_are_read_as_the_store_reads_them() {
        let mut t = Tables::default();
        let staff = |seq, id, name: &str| {
            record(
                seq,
                "staff_versions",
                id,
                &[
                    ("staff_no", Value::Text("1001".into())),
                    ("name", Value::Text(name.into())),
                    ("unit", Value::Text("办公室".into())),
                    ("schedule", Value::Text("default".into())),
                    ("role", Value::Text("staff".into())),
                    ("pin_hash", Value::Null),
                    ("active_from", Value::Null),
                    ("active_until", Value::Text("2026-12-31".into())),
                ],
            )
        };
        t.apply(&staff(1, 1, "张三")).unwrap();
        t.apply(&staff(2, 2, "张三丰")).unwrap();
        let punch = |seq, id, at| {
            record(
                seq,
                "punches",
                id,
                &[
                    ("card", Value::Null),
                    ("staff_no", Value::Text("1001".into())),
                    ("at_ms", Value::Int(at)),
                    ("source", Value::Text("correction".into())),
                    ("clock_synced", Value::Null),
                ],
            )
        };
        t.apply(&punch(3, 1, 100)).unwrap();
        t.apply(&punch(4, 2, 200)).unwrap();
        t.apply(&record(5, "punch_voids", 1, &[("punch_id", Value::Int(2))])).unwrap();
        t.apply(&record(
            6,
            "leave",
            4,
            &[("staff_no", Value::Text("1001".into())), ("kind", Value::Text("病假".into()))],
        ))
        .unwrap();
        t.apply(&record(
            7,
            "leave_spans",
            4,
            &[("leave_id", Value::Int(4)), ("from_ms", Value::Int(150)), ("to_ms", Value::Int(400))],
        ))
        .unwrap();
        let summary = record(
            8,
            "daily_summaries",
            1,
            &[
                ("date", Value::Text("2026-11-02".into())),
                ("revision", Value::Int(1)),
                ("content", Value::Text("{}".into())),
            ],
        );
        let s = t.apply(&summary).unwrap().unwrap();
        assert_eq!((s.seq, s.revision, s.content.as_str()), (8, 1, "{}"));
        let d = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let snap = t.snapshot(0, 300, (d, d), Calendar::default());
        assert_eq!(snap.staff.len(), 1);
        assert_eq!(snap.staff[0].name, "张三丰");
        assert_eq!(snap.punches.iter().map(|p| (p.id, p.voided)).collect::<Vec<_>>(), [(1, false), (2, true)]);
        assert_eq!(snap.leave.len(), 1);
        assert!(t.snapshot(400, 500, (d, d), Calendar::default()).leave.is_empty());
        assert_eq!(t.length, 8);
    }
}
