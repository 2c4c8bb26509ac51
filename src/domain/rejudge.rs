//! Each day judged twice: what a kiosk declares its rules read besides its
//! records (its schedules and holiday calendar, SPEC "Records",
//! `PUT …/rules`), and the central server's second judgement of a day from
//! the kiosk's records with those rules, compared with the kiosk's own.
//!
//! The judgement is the kiosk's: the same [`Attendance`] and
//! [`summary::daily`] over the snapshot [`Tables`] reads back from the
//! chain's prefix before the kiosk's summary record. A difference is
//! therefore a kiosk that judged with other rules than it declared, a
//! summary altered after it was made, or a bug on one side: each is worth a
//! look, none is explained away here.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::attendance::{read_range, Attendance};
use crate::domain::config::Config;
use crate::domain::replay::{ChainedSummary, Tables};
use crate::domain::rules::Calendar;
use crate::domain::summary::{self, DailySummary};
use crate::domain::time::Instant;

/// A day of a holiday calendar as the kiosk holds it (holiday-cn's
/// `date`, `isOffDay` and `name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDay {
    pub date: NaiveDate,
    #[serde(rename = "isOffDay")]
    pub is_off_day: bool,
    /// The holiday's name (国庆节), for the screens; the rules read only
    /// `isOffDay`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
}

/// What the kiosk's rules read besides its records: the `[schedules]`
/// tables of its `config.toml` as written, its units, and the calendar
/// years it holds, by year (a year with no listed days is still known: every
/// weekday a workday). `version` counts the changes the kiosk made to
/// either; a summary names the version it was judged with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredRules {
    pub version: u64,
    pub config: serde_json::Value,
    pub calendar: BTreeMap<String, Vec<CalendarDay>>,
    /// The units the kiosk judges (its `config.toml`'s `units`): whose days
    /// its summaries list.
    #[serde(default)]
    pub units: Vec<String>,
}

impl DeclaredRules {
    /// The calendar the rules read.
    pub fn calendar(&self) -> Result<Calendar, String> {
        let mut cal = Calendar::default();
        for (year, days) in &self.calendar {
            let y: i32 = year.parse().map_err(|_| format!("calendar: {year:?} is not a year"))?;
            if let Some(d) = days.iter().find(|d| chrono::Datelike::year(&d.date) != y) {
                return Err(format!("calendar.{year}: {} is not in {year}", d.date));
            }
            cal.add_year(y, days.iter().map(|d| (d.date, d.is_off_day)));
        }
        Ok(cal)
    }

    /// What the version stands for: a digest of the schedules and the
    /// calendar (not of the version number), so a kiosk numbers a new
    /// version only when either changed.
    pub fn digest(&self) -> String {
        let text =
            serde_json::json!({"config": self.config, "calendar": self.calendar, "units": self.units}).to_string();
        crate::domain::chain::hex(&Sha256::digest(text.as_bytes()))
    }
}

/// The day `date` judged from `tables` (a kiosk's records up to its
/// summary) under `config` and `calendar`, as the kiosk would have judged
/// it at `now`.
pub fn judge(config: &Config, calendar: Calendar, tables: &Tables, date: NaiveDate, now: Instant) -> DailySummary {
    let (from, to) = read_range(config, date, date);
    let att = Attendance::new(config, tables.snapshot(from, to, (date, date), calendar), now);
    summary::daily(&att, date)
}

/// The outcome of judging a kiosk's summary again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The same content.
    Agrees,
    /// The figures that differ.
    Differs(Vec<Difference>),
    /// Not judged yet, and why: the rules it names have not arrived.
    Waiting(String),
    /// Never to be judged, and why: it names no rules version (made before
    /// its kiosk declared rules), or the rules it names cannot be read.
    Unjudgeable(String),
}

/// Judges the kiosk's `summary` again from `tables` (the chain up to the
/// summary's record) with `rules`, the declaration of the version the
/// summary names, if the server holds it.
pub fn check(
    kiosk_id: &str,
    units: &[String],
    tables: &Tables,
    summary: &ChainedSummary,
    rules: Option<&DeclaredRules>,
) -> Verdict {
    let Ok(content) = serde_json::from_str::<serde_json::Value>(&summary.content) else {
        return Verdict::Differs(vec![Difference {
            staff_no: String::new(),
            name: String::new(),
            field: "content".into(),
            kiosk: serde_json::Value::String(summary.content.clone()),
            central: serde_json::Value::Null,
        }]);
    };
    let Some(version) = content.get("rules_version").and_then(serde_json::Value::as_u64) else {
        return Verdict::Waiting(
            "the summary names no rules version (made before its kiosk declared its rules)".into(),
        );
    };
    let Some(rules) = rules.filter(|r| r.version == version) else {
        return Verdict::Waiting(format!("rules version {version} has not arrived"));
    };
    let units = if rules.units.is_empty() { units } else { &rules.units[..] };
    let judged = Config::for_judging(kiosk_id, units, &rules.config).and_then(|config| {
        let calendar = rules.calendar()?;
        let now = content
            .get("generated_at")
            .and_then(|g| g.as_str())
            .and_then(|g| chrono::DateTime::parse_from_rfc3339(g).ok())
            .map_or(Instant::MAX, |t| t.timestamp_millis());
        Ok(judge(&config, calendar, tables, summary.date, now))
    });
    match judged {
        Err(e) => Verdict::Unjudgeable(format!("rules version {version} cannot be read: {e}")),
        Ok(judged) => match differences(&content, &judged) {
            d if d.is_empty() => Verdict::Agrees,
            d => Verdict::Differs(d),
        },
    }
}

/// One figure that differs between the kiosk's summary and the server's
/// judgement: whose (`staff_no` empty for the day's own fields), which
/// field, and both values as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Difference {
    pub staff_no: String,
    pub name: String,
    pub field: String,
    pub kiosk: serde_json::Value,
    pub central: serde_json::Value,
}

/// Every figure that differs between `kiosk` (the summary as received)
/// and `judged`, by person and field, in staff-number order; nothing when
/// the two have the same content (SPEC's comparison: everything but the
/// revision, when it was made, the chain position and the rules' version).
pub fn differences(kiosk: &serde_json::Value, judged: &DailySummary) -> Vec<Difference> {
    let judged_json = serde_json::to_value(judged).unwrap_or_default();
    if summary::content_key(kiosk) == summary::content_key(&judged_json) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let skip = ["generated_at", "revision", "chain_length", "chain_head", "rules_version", "people", "totals"];
    let null = serde_json::Value::Null;
    let fields_of = |v: &serde_json::Value| v.as_object().cloned().unwrap_or_default();
    let (k, c) = (fields_of(kiosk), fields_of(&judged_json));
    let mut keys: Vec<&String> = k.keys().chain(c.keys()).filter(|key| !skip.contains(&key.as_str())).collect();
    keys.sort();
    keys.dedup();
    for key in keys {
        let (a, b) = (k.get(key).unwrap_or(&null), c.get(key).unwrap_or(&null));
        if a != b {
            out.push(Difference {
                staff_no: String::new(),
                name: String::new(),
                field: key.clone(),
                kiosk: a.clone(),
                central: b.clone(),
            });
        }
    }
    let people = |v: &serde_json::Value| -> BTreeMap<String, serde_json::Map<String, serde_json::Value>> {
        v.get("people")
            .and_then(|p| p.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|p| Some((p.get("staff_no")?.as_str()?.to_string(), p.as_object()?.clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (kp, cp) = (people(kiosk), people(&judged_json));
    let mut nos: Vec<&String> = kp.keys().chain(cp.keys()).collect();
    nos.sort();
    nos.dedup();
    let empty = serde_json::Map::new();
    for no in nos {
        let (a, b) = (kp.get(no), cp.get(no));
        let name = a.or(b).and_then(|p| p.get("name")).and_then(|n| n.as_str()).unwrap_or("").to_string();
        if a.is_none() || b.is_none() {
            out.push(Difference {
                staff_no: no.clone(),
                name,
                field: "people".into(),
                kiosk: serde_json::Value::Bool(a.is_some()),
                central: serde_json::Value::Bool(b.is_some()),
            });
            continue;
        }
        let (a, b) = (a.unwrap_or(&empty), b.unwrap_or(&empty));
        let mut fields: Vec<&String> = a.keys().chain(b.keys()).collect();
        fields.sort();
        fields.dedup();
        for field in fields {
            let (x, y) = (a.get(field).unwrap_or(&null), b.get(field).unwrap_or(&null));
            if x != y {
                out.push(Difference {
                    staff_no: no.clone(),
                    name: name.clone(),
                    field: field.clone(),
                    kiosk: x.clone(),
                    central: y.clone(),
                });
            }
        }
    }
    if out.is_empty() {
        // Only the totals differ (a summary altered there alone).
        let (a, b) = (kiosk.get("totals").unwrap_or(&null), judged_json.get("totals").unwrap_or(&null));
        out.push(Difference {
            staff_no: String::new(),
            name: String::new(),
            field: "totals".into(),
            kiosk: a.clone(),
            central: b.clone(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn differences_name_the_person_and_the_figure() {
        let kiosk = json!({"date": "2026-11-02", "workday": true, "revision": 2, "totals": {"late_count": 0},
            "people": [{"staff_no": "1001", "name": "张三", "late_count": 0, "status": "normal"},
                       {"staff_no": "1002", "name": "李四", "late_count": 0}]});
        let mut judged: DailySummary = serde_json::from_value(json!({
            "schema": "dutyclock.daily/1", "kiosk_id": "k", "date": "2026-11-02", "revision": 0, "workday": true,
            "closed": true, "generated_at": "x", "calendar_known": true, "clock_unsynced_punches": 0,
            "unknown_card_punches": 0,
            "totals": {"staff": 0, "expected": 0, "present": 0, "normal": 0, "exception": 0, "absent": 0, "leave": 0,
                       "duty": 0, "pending": 0, "rest": 0, "late_count": 0, "early_count": 0, "absent_sessions": 0,
                       "off_post_count": 0, "missing_punches": 0, "spot_check_absences": 0},
            "people": []}))
        .unwrap();
        let same = serde_json::to_value(&judged).unwrap();
        assert!(differences(&same, &judged).is_empty());
        judged.workday = false;
        let d = differences(&kiosk, &judged);
        assert!(d.iter().any(|d| d.field == "workday" && d.kiosk == json!(true) && d.central == json!(false)));
        assert!(d.iter().any(|d| d.staff_no == "1001" && d.name == "张三" && d.field == "people"));
        assert!(d.iter().any(|d| d.field == "schema"));
    }

    #[test]
    fn a_calendar_day_out_of_its_year_is_refused() {
        let mut r = DeclaredRules { version: 1, config: json!({}), calendar: BTreeMap::new(), units: vec![] };
        r.calendar.insert(
            "2026".into(),
            vec![CalendarDay { date: "2027-01-01".parse().unwrap(), is_off_day: true, name: String::new() }],
        );
        assert_eq!(r.calendar().unwrap_err(), "calendar.2026: 2027-01-01 is not in 2026");
        r.calendar.insert(
            "2026".into(),
            vec![CalendarDay { date: "2026-01-01".parse().unwrap(), is_off_day: true, name: "元旦".into() }],
        );
        let cal = r.calendar().unwrap();
        assert!(cal.knows("2026-06-01".parse().unwrap()));
        let before = r.digest();
        r.version = 9;
        assert_eq!(r.digest(), before, "the version number is not part of what it stands for");
    }
}
