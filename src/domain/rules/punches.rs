//! Whose punch it is, and which punches count (RULES.md R3).

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::domain::cards::match_key;
use crate::domain::time::Instant;

/// One card assignment as stored, in the order it was made (`seq`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardAssignment {
    pub seq: i64,
    pub card: String,
    pub staff_no: String,
    pub cards_from: Option<NaiveDate>,
    /// The attendance day on which the assignment was made.
    pub made_on: NaiveDate,
}

#[derive(Debug, Clone)]
struct Cover {
    start: Instant,
    seq: i64,
    staff_no: String,
    /// The card as assigned (a UID, or a printed number `#…`).
    card: String,
}

/// Maps a card and an instant to the person whose punch it is.
///
/// Cards are matched by [`match_key`], so an EM4100 UID and the number
/// printed on the card find the same assignments.
///
/// An assignment covers the card from its start until the card's next
/// assignment starts. Its start is the day start (in the assignee's
/// schedule) of `cards_from` when given; without `cards_from`, a card's
/// first assignment starts at the beginning of time (enrolling an unknown
/// card attaches its earlier punches) and a later one starts on the
/// attendance day it was made (a card handed on does not carry its past).
#[derive(Debug, Clone, Default)]
pub struct CardBook {
    covers: HashMap<String, Vec<Cover>>,
}

impl CardBook {
    /// Builds the book; `day_start(staff_no, date)` gives the start instant of
    /// an attendance day in that person's schedule.
    pub fn new(assignments: &[CardAssignment], day_start: impl Fn(&str, NaiveDate) -> Instant) -> Self {
        let mut first: HashMap<String, i64> = HashMap::new();
        for a in assignments {
            let e = first.entry(match_key(&a.card).into_owned()).or_insert(a.seq);
            *e = (*e).min(a.seq);
        }
        let mut covers: HashMap<String, Vec<Cover>> = HashMap::new();
        for a in assignments {
            let start = match a.cards_from {
                Some(d) => day_start(&a.staff_no, d),
                None if first[match_key(&a.card).as_ref()] == a.seq => Instant::MIN,
                None => day_start(&a.staff_no, a.made_on),
            };
            covers.entry(match_key(&a.card).into_owned()).or_default().push(Cover {
                start,
                seq: a.seq,
                staff_no: a.staff_no.clone(),
                card: a.card.clone(),
            });
        }
        for list in covers.values_mut() {
            list.sort_by_key(|c| (c.start, c.seq));
        }
        CardBook { covers }
    }

    /// The person a punch of `card` at `at` belongs to, if any.
    pub fn owner(&self, card: &str, at: Instant) -> Option<&str> {
        let list = self.covers.get(match_key(card).as_ref())?;
        let idx = list.partition_point(|c| c.start <= at);
        idx.checked_sub(1).map(|i| list[i].staff_no.as_str())
    }

    /// The cards that are `staff_no`'s at `at`, as assigned, sorted: what
    /// the admin screen shows as "who has which card".
    pub fn cards_of(&self, staff_no: &str, at: Instant) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .covers
            .values()
            .filter_map(|list| list.partition_point(|c| c.start <= at).checked_sub(1).map(|i| &list[i]))
            .filter(|c| c.staff_no == staff_no)
            .map(|c| c.card.as_str())
            .collect();
        v.sort_unstable();
        v
    }

    /// Whether the card has any assignment at all.
    pub fn knows(&self, card: &str) -> bool {
        self.covers.contains_key(match_key(card).as_ref())
    }
}

/// A person's punch as the acceptance rule sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawPunch {
    pub id: i64,
    pub at: Instant,
    pub voided: bool,
    /// Added by a correction (补卡).
    pub added: bool,
}

/// What R3 makes of a punch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Accepted,
    /// Less than `duplicate_scan_seconds` after the previous accepted punch.
    Duplicate,
    Voided,
}

/// R3 over one person's punches: voided ones drop out; each remaining
/// read punch less than `window_ms` after the previous *accepted* one is a
/// duplicate; added punches are always accepted and never make another
/// punch a duplicate. The input must hold the person's punches from a point
/// at which no earlier punch lies within the window (the store loads a
/// day's margin before the period). Returns verdicts in input order.
pub fn classify(punches: &[RawPunch], window_ms: i64) -> Vec<Verdict> {
    let mut order: Vec<usize> = (0..punches.len()).collect();
    order.sort_by_key(|&i| (punches[i].at, punches[i].id));
    let mut verdicts = vec![Verdict::Accepted; punches.len()];
    let mut last_accepted: Option<Instant> = None;
    for i in order {
        let p = &punches[i];
        if p.voided {
            verdicts[i] = Verdict::Voided;
        } else if p.added {
            verdicts[i] = Verdict::Accepted;
        } else if last_accepted.is_some_and(|l| p.at - l < window_ms) {
            verdicts[i] = Verdict::Duplicate;
        } else {
            last_accepted = Some(p.at);
        }
    }
    verdicts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, s: i64) -> RawPunch {
        RawPunch { id, at: s * 1000, voided: false, added: false }
    }

    #[test]
    fn duplicates_chain_from_accepted_punches_only() {
        // 0 accepted, 50 dup (50 < 60), 100 accepted (100 from 0), 130 dup.
        let v = classify(&[p(1, 0), p(2, 50), p(3, 100), p(4, 130)], 60_000);
        use Verdict::*;
        assert_eq!(v, vec![Accepted, Duplicate, Accepted, Duplicate]);
    }

    #[test]
    fn voided_and_added_punches() {
        use Verdict::*;
        let mut a = p(1, 0);
        a.voided = true;
        let mut b = p(3, 20);
        b.added = true;
        // 1 voided so 2 (at 10) is accepted; added 3 never makes 4 a duplicate.
        let v = classify(&[a, p(2, 10), b, p(4, 75)], 60_000);
        assert_eq!(v, vec![Voided, Accepted, Accepted, Accepted]);
    }

    #[test]
    fn a_zero_window_accepts_everything() {
        let v = classify(&[p(1, 0), p(2, 0)], 0);
        assert!(v.iter().all(|v| *v == Verdict::Accepted));
    }

    #[test]
    fn card_handover_and_enrolment() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let day = |_: &str, date: NaiveDate| date.and_hms_opt(4, 0, 0).unwrap().and_utc().timestamp_millis();
        let book = CardBook::new(
            &[
                CardAssignment {
                    seq: 1,
                    card: "C".into(),
                    staff_no: "A".into(),
                    cards_from: None,
                    made_on: d("2026-11-10"),
                },
                CardAssignment {
                    seq: 2,
                    card: "C".into(),
                    staff_no: "B".into(),
                    cards_from: None,
                    made_on: d("2026-11-20"),
                },
                CardAssignment {
                    seq: 3,
                    card: "D".into(),
                    staff_no: "B".into(),
                    cards_from: Some(d("2026-11-15")),
                    made_on: d("2026-11-01"),
                },
            ],
            day,
        );
        let t = |s: &str| s.parse::<chrono::NaiveDateTime>().unwrap().and_utc().timestamp_millis();
        // First assignment covers earlier punches too.
        assert_eq!(book.owner("C", t("2026-01-01T09:00:00")), Some("A"));
        assert_eq!(book.owner("C", t("2026-11-20T03:59:00")), Some("A"));
        assert_eq!(book.owner("C", t("2026-11-20T04:00:00")), Some("B"));
        assert_eq!(book.owner("D", t("2026-11-14T09:00:00")), None);
        assert_eq!(book.owner("D", t("2026-11-15T09:00:00")), Some("B"));
        assert_eq!(book.owner("E", 0), None);
        // Who has which card: a card handed on is the new holder's only.
        assert_eq!(book.cards_of("A", t("2026-11-19T09:00:00")), ["C"]);
        assert_eq!(book.cards_of("B", t("2026-11-19T09:00:00")), ["D"]);
        assert_eq!(book.cards_of("A", t("2026-11-20T09:00:00")), Vec::<&str>::new());
        assert_eq!(book.cards_of("B", t("2026-11-20T09:00:00")), ["C", "D"]);
    }
}
