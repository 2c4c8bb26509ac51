//! The official holiday calendar (holiday-cn) and which days are workdays (R2).

use std::collections::{BTreeSet, HashMap};

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::schedule::Schedule;

/// One year's holiday-cn file: `{"year", "days": [{"name","date","isOffDay"}]}`.
#[derive(Debug, Clone, Deserialize)]
pub struct HolidayFile {
    pub year: i32,
    pub days: Vec<HolidayDay>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HolidayDay {
    pub name: String,
    pub date: NaiveDate,
    #[serde(rename = "isOffDay")]
    pub is_off_day: bool,
}

/// The imported calendar years: the listed days and which years are known.
#[derive(Debug, Clone, Default)]
pub struct Calendar {
    listed: HashMap<NaiveDate, bool>,
    years: BTreeSet<i32>,
}

impl Calendar {
    pub fn add_year(&mut self, year: i32, days: impl IntoIterator<Item = (NaiveDate, bool)>) {
        self.years.insert(year);
        self.listed.extend(days);
    }

    /// Whether a calendar has been imported for the date's year.
    pub fn knows(&self, date: NaiveDate) -> bool {
        self.years.contains(&date.year())
    }

    /// R2: a day listed `isOffDay: false` is a workday (调休上班, even on a
    /// weekend); otherwise the schedule's weekdays decide unless the day is
    /// listed `isOffDay: true`. A year without a calendar is judged by
    /// weekdays alone (and the summary says `calendar_known: false`).
    pub fn is_workday(&self, date: NaiveDate, schedule: &Schedule) -> bool {
        match self.listed.get(&date) {
            Some(off) => !off,
            None => schedule.works_on(date.weekday()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn makeup_workday_and_holiday() {
        let mut c = Calendar::default();
        c.add_year(2026, [(d("2026-10-01"), true), (d("2026-10-10"), false)]);
        let s = Schedule::default();
        assert!(!c.is_workday(d("2026-10-01"), &s)); // Thursday, 国庆
        assert!(c.is_workday(d("2026-10-10"), &s)); // Saturday, 调休上班
        assert!(c.is_workday(d("2026-10-12"), &s)); // plain Monday
        assert!(!c.is_workday(d("2026-10-11"), &s)); // plain Sunday
        assert!(c.knows(d("2026-12-31")));
        assert!(!c.knows(d("2027-01-04")));
        assert!(c.is_workday(d("2027-01-04"), &s)); // unknown year: weekdays alone
    }
}
