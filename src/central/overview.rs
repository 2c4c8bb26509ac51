//! The bureau's overview of one date: a row per unit, summed from the
//! kiosks' latest summaries, with the kiosks serving the unit that have
//! not sent that date. Pure: the pages and the exports (CSV, XLSX) show
//! the same rows.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::units::Tree;
use crate::domain::summary::{DailySummary, DayStatus};

/// One unit's day.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnitDay {
    pub unit: String,
    /// People with an obligation that day (not resting).
    pub expected: u32,
    /// Of those, people with a counted punch.
    pub present: u32,
    pub late_count: u32,
    pub early_count: u32,
    /// 旷工 in sessions (a session is half a day).
    pub absent_sessions: u32,
    pub off_post_count: u32,
    pub missing_punches: u32,
    /// People on leave, on duty (公出/出差) that day.
    pub leave: u32,
    pub duty: u32,
    pub spot_check_absences: u32,
    /// People who were to be at their post (expected, not on leave or
    /// duty), and of those, who came on time: present, never late.
    pub at_post: u32,
    pub on_time: u32,
    /// Whether any kiosk sent this unit's day: a unit none did has no
    /// figures ("无数据"), not zeros.
    pub reported: bool,
    /// Kiosks serving the unit that sent no summary for the date.
    pub silent_kiosks: Vec<String>,
    /// In a roll-up, the units of the branch no kiosk reported: their
    /// people are not in the figures (said beside them, never silently).
    pub units_without_data: u32,
}

impl UnitDay {
    /// Adds another unit's day to this one (a roll-up to a parent): the
    /// figures summed, reported when either was, the silent kiosks each
    /// once.
    pub fn add(&mut self, o: &UnitDay) {
        self.expected += o.expected;
        self.present += o.present;
        self.late_count += o.late_count;
        self.early_count += o.early_count;
        self.absent_sessions += o.absent_sessions;
        self.off_post_count += o.off_post_count;
        self.missing_punches += o.missing_punches;
        self.leave += o.leave;
        self.duty += o.duty;
        self.spot_check_absences += o.spot_check_absences;
        self.at_post += o.at_post;
        self.on_time += o.on_time;
        self.reported |= o.reported;
        self.units_without_data += o.units_without_data;
        for k in &o.silent_kiosks {
            if !self.silent_kiosks.contains(k) {
                self.silent_kiosks.push(k.clone());
            }
        }
    }
}

/// The rows of the level under `top` (the district's top units when
/// `None`): each unit's day added to the unit it rolls up to there, the
/// units outside `top`'s branch left out; by name. On a flat district
/// the rows come back as they were.
pub fn roll_up(rows: &[UnitDay], tree: &Tree, top: Option<&str>) -> Vec<UnitDay> {
    let mut level: BTreeMap<String, UnitDay> = BTreeMap::new();
    for r in rows {
        if let Some(head) = tree.head_under(&r.unit, top) {
            let other = r.unit != head;
            let row = level.entry(head.clone()).or_insert_with(|| UnitDay { unit: head, ..UnitDay::default() });
            row.add(r);
            // A unit under the head that nobody reported.
            row.units_without_data += u32::from(other && !r.reported);
        }
    }
    level.into_values().collect()
}

/// The day's key figures over every unit (the overview's cards).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KeyFigures {
    pub expected: u32,
    pub present: u32,
    pub at_post: u32,
    pub on_time: u32,
    pub late_count: u32,
    pub early_count: u32,
    pub absent_sessions: u32,
    pub missing_punches: u32,
    pub off_post_count: u32,
    /// Kiosks in service that sent nothing for the date (each once).
    pub silent_kiosks: u32,
}

impl KeyFigures {
    pub fn of(rows: &[UnitDay]) -> KeyFigures {
        let mut k = KeyFigures::default();
        let mut silent: Vec<&String> = Vec::new();
        for r in rows {
            k.expected += r.expected;
            k.present += r.present;
            k.at_post += r.at_post;
            k.on_time += r.on_time;
            k.late_count += r.late_count;
            k.early_count += r.early_count;
            k.absent_sessions += r.absent_sessions;
            k.missing_punches += r.missing_punches;
            k.off_post_count += r.off_post_count;
            silent.extend(&r.silent_kiosks);
        }
        silent.sort();
        silent.dedup();
        k.silent_kiosks = silent.len() as u32;
        k
    }

    /// 按时到岗率 in per mille, rounded (on time of those to be at their
    /// post), or `None` when nobody was to be.
    pub fn on_time_permille(&self) -> Option<u32> {
        let (n, d) = (u64::from(self.on_time), u64::from(self.at_post));
        (d > 0).then(|| ((n * 1000 + d / 2) / d) as u32)
    }
}

/// The overview of `date`: one row per unit, by unit name. `kiosks` are
/// the kiosks in service (id, units); a unit served by a kiosk that sent
/// nothing still has its row, with that kiosk named. This is the
/// definition; the storage keeps the same counters as the summaries
/// arrive (`sums`), and the pages [`assemble`] those.
pub fn overview(date: NaiveDate, summaries: &[DailySummary], kiosks: &[(String, Vec<String>)]) -> Vec<UnitDay> {
    let mut units: BTreeMap<String, UnitDay> = BTreeMap::new();
    let mut sent = Vec::new();
    for s in summaries.iter().filter(|s| s.date == date) {
        sent.push(s.kiosk_id.clone());
        for p in &s.people {
            let u =
                units.entry(p.unit.clone()).or_insert_with(|| UnitDay { unit: p.unit.clone(), ..UnitDay::default() });
            u.reported = true;
            if p.status != DayStatus::Rest {
                u.expected += 1;
                if !p.punches.is_empty() {
                    u.present += 1;
                }
                if !matches!(p.status, DayStatus::Leave | DayStatus::Duty) {
                    u.at_post += 1;
                    if !p.punches.is_empty() && p.figures.late_count == 0 && p.figures.absent_sessions == 0 {
                        u.on_time += 1;
                    }
                }
            }
            match p.status {
                DayStatus::Leave => u.leave += 1,
                DayStatus::Duty => u.duty += 1,
                _ => {}
            }
            let f = &p.figures;
            u.late_count += f.late_count;
            u.early_count += f.early_count;
            u.absent_sessions += f.absent_sessions;
            u.off_post_count += f.off_post_count;
            u.missing_punches += f.missing_punches;
            u.spot_check_absences += f.spot_check_absences;
        }
    }
    assemble(units.into_values().collect(), &sent, kiosks)
}

/// The overview from units' days as sent (a unit may come once per kiosk
/// that sent its people: summed), the kiosks that `sent` the date, and
/// the kiosks in service (id, units): one row per unit, by name; a unit
/// served by a kiosk that sent nothing has its row, with that kiosk named.
pub fn assemble(sent_units: Vec<UnitDay>, sent: &[String], kiosks: &[(String, Vec<String>)]) -> Vec<UnitDay> {
    let mut units: BTreeMap<String, UnitDay> = BTreeMap::new();
    for d in sent_units {
        match units.get_mut(&d.unit) {
            Some(u) => u.add(&d),
            None => {
                units.insert(d.unit.clone(), d);
            }
        }
    }
    for (id, served) in kiosks {
        if sent.contains(id) {
            continue;
        }
        for unit in served {
            let u = units.entry(unit.clone()).or_insert_with(|| UnitDay { unit: unit.clone(), ..UnitDay::default() });
            if !u.silent_kiosks.contains(id) {
                u.silent_kiosks.push(id.clone());
            }
        }
    }
    units.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::summary::{DayFigures, PersonSummary, Totals};

    fn person(unit: &str, status: DayStatus, punches: usize, late: u32) -> PersonSummary {
        PersonSummary {
            staff_no: format!("{unit}{late}"),
            name: "某".into(),
            unit: unit.into(),
            status,
            figures: DayFigures { late_count: late, ..DayFigures::default() },
            punches: vec!["08:30:00".into(); punches],
        }
    }

    fn summary(kiosk: &str, date: NaiveDate, people: Vec<PersonSummary>) -> DailySummary {
        DailySummary {
            schema: "dutyclock.daily/1".into(),
            kiosk_id: kiosk.into(),
            date,
            revision: 1,
            workday: true,
            closed: true,
            generated_at: String::new(),
            calendar_known: true,
            clock_unsynced_punches: 0,
            unknown_card_punches: 0,
            totals: Totals::default(),
            people,
            chain_length: None,
            chain_head: None,
            rules_version: None,
        }
    }

    #[test]
    fn units_are_summed_and_silent_kiosks_named() {
        let d: NaiveDate = "2026-11-19".parse().unwrap();
        let s = summary(
            "hall-1",
            d,
            vec![
                person("办公室", DayStatus::Exception, 2, 1),
                person("办公室", DayStatus::Leave, 0, 0),
                person("办公室", DayStatus::Rest, 0, 0),
                person("财务科", DayStatus::Absent, 0, 0),
            ],
        );
        let kiosks = vec![
            ("hall-1".to_string(), vec!["办公室".to_string()]),
            ("hall-2".to_string(), vec!["档案室".to_string()]),
        ];
        let rows = overview(d, &[s], &kiosks);
        let units: Vec<&str> = rows.iter().map(|r| r.unit.as_str()).collect();
        assert_eq!(units, ["办公室", "档案室", "财务科"]);
        let office = &rows[0];
        assert_eq!((office.expected, office.present, office.late_count, office.leave), (2, 1, 1, 1));
        assert!(office.silent_kiosks.is_empty());
        assert_eq!(rows[1].silent_kiosks, ["hall-2"], "a unit whose kiosk sent nothing still has its row");
        assert_eq!((rows[2].expected, rows[2].present), (1, 0));
        assert!(rows[0].reported && !rows[1].reported, "档案室 has no data, not zeros");
        // Key figures: 办公室's late one is at post but not on time; the
        // one on leave is not at post; 财务科's absent one is at post.
        let k = KeyFigures::of(&rows);
        assert_eq!((k.expected, k.present, k.at_post, k.on_time, k.silent_kiosks), (3, 1, 2, 0, 1));
        assert_eq!(k.on_time_permille(), Some(0));
        assert_eq!(KeyFigures::default().on_time_permille(), None);
        let two_of_three = KeyFigures { at_post: 3, on_time: 2, ..KeyFigures::default() };
        assert_eq!(two_of_three.on_time_permille(), Some(667), "rounded, not cut");
    }

    #[test]
    fn a_level_sums_its_branches_and_keeps_no_data_apart() {
        use crate::central::storage::UnitRow;
        let unit = |n: &str, p: Option<&str>| UnitRow {
            name: n.into(),
            parent: p.map(Into::into),
            added_at: 0,
            added_by: "t".into(),
        };
        let tree = Tree::new(&[unit("东镇", None), unit("东村", Some("东镇")), unit("南村", Some("东镇"))]);
        let d: NaiveDate = "2026-11-19".parse().unwrap();
        let s =
            summary("k1", d, vec![person("东村", DayStatus::Exception, 2, 1), person("东镇", DayStatus::Normal, 2, 0)]);
        let kiosks = vec![("k1".to_string(), vec!["东村".to_string()]), ("k2".to_string(), vec!["南村".to_string()])];
        let rows = overview(d, &[s], &kiosks);
        let top = roll_up(&rows, &tree, None);
        assert_eq!(top.len(), 1);
        assert_eq!((top[0].unit.as_str(), top[0].expected, top[0].late_count), ("东镇", 2, 1));
        assert!(top[0].reported);
        assert_eq!(top[0].silent_kiosks, ["k2"], "南村's silent kiosk is the town's too");
        assert_eq!(top[0].units_without_data, 1, "南村 has no data: the town's figures lack it, said");
        let town = roll_up(&rows, &tree, Some("东镇"));
        let names: Vec<(&str, bool)> = town.iter().map(|u| (u.unit.as_str(), u.reported)).collect();
        assert_eq!(names, [("东村", true), ("东镇", true), ("南村", false)], "南村 has no data, not zeros");
        assert_eq!(KeyFigures::of(&top), KeyFigures::of(&town), "a level's figures are its branch's");
        assert_eq!(roll_up(&rows, &Tree::default(), None), rows, "a flat district as it was");
    }
}
