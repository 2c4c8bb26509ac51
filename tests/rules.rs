//! Table tests: every worked example of RULES.md and each rule R1–R11,
//! through the pure judge (`Attendance` over a hand-built snapshot).

use std::path::Path;

use chrono::NaiveDate;
use dutyclock::domain::attendance::Attendance;
use dutyclock::domain::config::Config;
use dutyclock::domain::model::{LeaveRow, PunchOwner, PunchRow, PunchSource, RosterRow, Snapshot, SpotCheckRow, Staff};
use dutyclock::domain::rules::{CardAssignment, ClockSpan, Figures, Status};
use dutyclock::domain::time::{parse_clock, parse_time, Instant};

const FOUR: &str = r#"
kiosk_id = "t"
units = ["u"]
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

const TWO: &str = r#"
kiosk_id = "t"
units = ["u"]
[schedules.default]
sessions = [{ start = "08:30", end = "17:30" }]
breaks = [{ start = "12:00", end = "14:30" }]
"#;

/// 2026-11-19 is a Thursday.
const DAY: &str = "2026-11-19";

fn at(s: &str) -> Instant {
    let full = if s.len() <= 8 { format!("{DAY} {s}") } else { s.to_string() };
    parse_time(&full, chrono_tz::Asia::Shanghai).unwrap()
}

fn person(no: &str) -> Staff {
    Staff::plain(no, format!("P{no}"), "u")
}

/// A one-person case: punches by card `C1`, then extras.
struct Case {
    config: Config,
    snap: Snapshot,
    now: Instant,
}

impl Case {
    fn new(config: &str) -> Case {
        let config = Config::parse(config, Path::new("config.toml")).unwrap();
        let mut snap = Snapshot { staff: vec![person("1")], ..Snapshot::default() };
        snap.assignments.push(CardAssignment {
            seq: 1,
            card: "0100000001".into(),
            staff_no: "1".into(),
            cards_from: None,
            made_on: "2026-01-01".parse().unwrap(),
        });
        Case { config, snap, now: at("2027-01-01 00:00") }
    }

    fn punches(mut self, times: &[&str]) -> Case {
        for t in times {
            let id = self.snap.punches.len() as i64 + 1;
            self.snap.punches.push(PunchRow {
                id,
                owner: PunchOwner::Card("0100000001".into()),
                at: at(t),
                source: PunchSource::Import,
                clock_synced: None,
                origin: None,
                voided: false,
            });
        }
        self
    }

    fn added(mut self, t: &str) -> Case {
        let id = self.snap.punches.len() as i64 + 1;
        self.snap.punches.push(PunchRow {
            id,
            owner: PunchOwner::Staff("1".into()),
            at: at(t),
            source: PunchSource::Correction,
            clock_synced: None,
            origin: None,
            voided: false,
        });
        self
    }

    fn void_punch(mut self, t: &str) -> Case {
        let when = at(t);
        self.snap.punches.iter_mut().find(|p| p.at == when).unwrap().voided = true;
        self
    }

    fn leave(mut self, kind: &str, from: &str, to: &str) -> Case {
        let id = self.snap.leave.len() as i64 + 1;
        self.snap.leave.push(LeaveRow {
            id,
            staff_no: "1".into(),
            kind: kind.into(),
            from: at(from),
            to: at(to),
            voided: false,
        });
        self
    }

    fn check(mut self, t: &str, present: bool) -> Case {
        let id = self.snap.spot_checks.len() as i64 + 1;
        self.snap.spot_checks.push(SpotCheckRow { id, staff_no: "1".into(), at: at(t), present, voided: false });
        self
    }

    fn roster(mut self, date: &str, start: &str, end: &str) -> Case {
        self.snap.roster.push(RosterRow {
            staff_no: "1".into(),
            date: date.parse().unwrap(),
            span: ClockSpan { start: parse_clock(start).unwrap(), end: parse_clock(end).unwrap() },
        });
        self
    }

    fn now(mut self, t: &str) -> Case {
        self.now = at(t);
        self
    }

    fn judge_on(&self, date: &str) -> (Status, Figures, Vec<String>) {
        let att = Attendance::new(&self.config, self.snap.clone(), self.now);
        let d = att.day(&self.snap.staff[0], date.parse::<NaiveDate>().unwrap());
        let times =
            d.accepted.iter().map(|&t| dutyclock::domain::time::clock_time(chrono_tz::Asia::Shanghai, t)).collect();
        (d.record.status, d.record.figures, times)
    }

    fn judge(&self) -> (Status, Figures) {
        let (s, f, _) = self.judge_on(DAY);
        (s, f)
    }
}

fn four(p: &[&str]) -> Case {
    Case::new(FOUR).punches(p)
}

fn two(p: &[&str]) -> Case {
    Case::new(TWO).punches(p)
}

fn normal() -> (Status, Figures) {
    (Status::Normal, Figures::default())
}

fn exc(f: Figures) -> (Status, Figures) {
    (Status::Exception, f)
}

// ---- The worked example table of RULES.md, row by row. ----

#[test]
fn worked_examples() {
    let f = Figures::default;
    let cases: Vec<(&str, Case, (Status, Figures))> = vec![
        ("normal", four(&["08:29", "12:01", "14:25", "17:31"]), normal()),
        ("duplicate", four(&["08:29:30", "08:29:50", "12:01", "14:25", "17:31"]), normal()),
        (
            "late 11",
            four(&["08:41", "12:01", "14:25", "17:31"]),
            exc(Figures { late_minutes: 11, late_count: 1, ..f() }),
        ),
        (
            "late 35 is absent",
            four(&["09:05", "12:01", "14:25", "17:31"]),
            exc(Figures { absent_sessions: 1, absent_minutes: 210, ..f() }),
        ),
        (
            "45 min trip",
            four(&["08:20", "10:00", "10:45", "12:03", "14:29", "17:40"]),
            exc(Figures { off_post_count: 1, off_post_minutes: 45, ..f() }),
        ),
        ("5 min trip within grace", four(&["08:20", "10:00", "10:05", "12:03", "14:29", "17:40"]), normal()),
        ("morning out missing", four(&["08:20", "14:29", "17:40"]), exc(Figures { missing_punches: 1, ..f() })),
        (
            "odd trip punch",
            four(&["08:20", "10:00", "12:03", "14:29", "17:40"]),
            exc(Figures { missing_punches: 1, ..f() }),
        ),
        (
            "afternoon in 13:47, 14:27 left over",
            four(&["08:20", "12:03", "13:47", "14:27"]),
            exc(Figures { missing_punches: 2, ..f() }),
        ),
        (
            "事假 morning, afternoon absent",
            four(&[]).leave("事假", "08:30", "12:00"),
            (Status::Absent, Figures { leave_minutes: 210, absent_sessions: 1, absent_minutes: 180, ..f() }),
        ),
        (
            "公出 08:30–10:00 moves arrival",
            four(&["10:20", "12:01", "14:25", "17:31"]).leave("公出", "08:30", "10:00"),
            exc(Figures { late_minutes: 20, late_count: 1, duty_minutes: 90, ..f() }),
        ),
        (
            "spot check finds what punches could not",
            four(&["08:25", "12:01", "14:25", "17:31"]).check("10:40", false),
            exc(Figures { spot_check_absences: 1, ..f() }),
        ),
        (
            "spot check inside a trip adds nothing",
            four(&["08:25", "10:30", "10:50", "12:01", "14:25", "17:31"]).check("10:40", false),
            exc(Figures { off_post_count: 1, off_post_minutes: 20, ..f() }),
        ),
        (
            "出差 whole day",
            four(&[]).leave("出差", "00:00", "23:59"),
            (Status::Duty, Figures { duty_minutes: 390, ..f() }),
        ),
        ("2-punch early 25", two(&["08:25", "17:05"]), exc(Figures { early_minutes: 25, early_count: 1, ..f() })),
        (
            "2-punch trip into the break",
            two(&["08:25", "11:40", "14:20", "17:31"]),
            exc(Figures { off_post_count: 1, off_post_minutes: 20, ..f() }),
        ),
    ];
    let mut failures = Vec::new();
    for (name, case, want) in cases {
        let got = case.judge();
        if got != want {
            failures.push(format!("{name}: want {want:?}\n   got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---- R1 attendance day ----

#[test]
fn r1_a_punch_before_day_start_belongs_to_the_previous_day() {
    let c = four(&["08:29", "12:01", "14:25", "17:31", "2026-11-20 03:59"]);
    let (_, _, times) = c.judge_on("2026-11-19");
    assert_eq!(times.last().unwrap(), "03:59:00");
    let (_, _, next) = c.judge_on("2026-11-20");
    assert!(next.is_empty());
}

// ---- R2 workdays ----

#[test]
fn r2_calendar_makeup_day_holiday_and_unknown_year() {
    let mut c = four(&[]);
    c.snap.calendar.add_year(2026, [("2026-10-01".parse().unwrap(), true), ("2026-10-10".parse().unwrap(), false)]);
    assert_eq!(c.judge_on("2026-10-01").0, Status::Rest, "national holiday on a Thursday");
    assert_eq!(c.judge_on("2026-10-10").0, Status::Absent, "调休上班 Saturday with no punches");
    assert_eq!(c.judge_on("2026-10-11").0, Status::Rest, "Sunday");
    let c = c.now("2028-01-01 00:00");
    assert_eq!(c.judge_on("2027-10-01").0, Status::Absent, "unknown year: weekdays alone");
}

#[test]
fn r2_new_joiners_and_leavers() {
    let mut c = four(&["08:29", "12:01", "14:25", "17:31"]);
    c.snap.staff[0].active_from = Some("2026-11-20".parse().unwrap());
    let (s, f, times) = c.judge_on(DAY);
    assert_eq!((s, f), (Status::Rest, Figures::default()));
    assert_eq!(times.len(), 4, "punches are kept on a rest day");
    c.snap.staff[0].active_from = None;
    c.snap.staff[0].active_until = Some(DAY.parse().unwrap());
    assert_eq!(c.judge().0, Status::Normal, "active_until is inclusive");
    assert_eq!(c.judge_on("2026-11-20").0, Status::Rest);
}

#[test]
fn r2_roster_gives_obligations_and_replaces_sessions() {
    // Saturday duty 09:00–17:00 as one session.
    let c = four(&["2026-11-21 09:05", "2026-11-21 17:01"]).roster("2026-11-21", "09:00", "17:00");
    let (s, f, _) = c.judge_on("2026-11-21");
    assert_eq!((s, f), exc(Figures { late_minutes: 5, late_count: 1, ..Figures::default() }));
    // On a workday the roster replaces the schedule: 12:00–14:30 only.
    let c = four(&["11:59", "14:31"]).roster(DAY, "12:00", "14:30");
    assert_eq!(c.judge(), normal());
}

#[test]
fn r2_night_duty_ends_after_midnight_on_the_same_day() {
    let c = four(&["2026-11-21 19:55", "2026-11-22 02:10"]).roster("2026-11-21", "20:00", "02:00");
    let (s, _, times) = c.judge_on("2026-11-21");
    assert_eq!(s, Status::Normal);
    assert_eq!(times, ["19:55:00", "02:10:00"]);
    let c = four(&["2026-11-21 19:55", "2026-11-22 01:45"]).roster("2026-11-21", "20:00", "02:00");
    assert_eq!(c.judge_on("2026-11-21").1.early_minutes, 15);
}

// ---- R3 duplicates, voids, corrections, cards ----

#[test]
fn r3_duplicates_chain_from_accepted_punches() {
    // 08:29:00 accepted; 08:29:50 duplicate; 08:30:10 is 70 s after the accepted one: accepted (a trip punch).
    let c = four(&["08:29:00", "08:29:50", "08:30:10", "12:01", "14:25", "17:31"]);
    let (_, f, times) = c.judge_on(DAY);
    assert_eq!(times, ["08:29:00", "08:30:10", "12:01:00", "14:25:00", "17:31:00"]);
    assert_eq!(f.missing_punches, 1);
}

#[test]
fn r3_voids_and_corrections() {
    // The 08:29 punch voided: 08:29:30 is no longer a duplicate.
    let c = four(&["08:29:00", "08:29:30", "12:01", "14:25", "17:31"]).void_punch("08:29:00");
    let (s, f, times) = c.judge_on(DAY);
    assert_eq!(times[0], "08:29:30");
    assert_eq!((s, f.corrections), (Status::Normal, 1));
    // An added punch fills a missing out-punch and never makes another a duplicate.
    let c = four(&["08:20", "14:29", "17:40"]).added("12:00:30").added("14:28:50");
    let (s, f, times) = c.judge_on(DAY);
    assert_eq!(times, ["08:20:00", "12:00:30", "14:28:50", "14:29:00", "17:40:00"]);
    assert_eq!(f.corrections, 2);
    // 14:28:50 in, 17:40 out, 14:29 left over: a missing punch.
    assert_eq!((s, f.missing_punches), (Status::Exception, 1));
}

#[test]
fn r3_card_handover_and_enrolment() {
    let mut c = four(&[]);
    c.snap.staff.push(person("2"));
    // Card C2: first assigned to 1 (no cards_from), later to 2 on 2026-11-20.
    for (seq, no, from, made) in [(2, "1", None, "2026-11-01"), (3, "2", None, "2026-11-20")] {
        c.snap.assignments.push(CardAssignment {
            seq,
            card: "0200000002".into(),
            staff_no: no.into(),
            cards_from: from,
            made_on: made.parse().unwrap(),
        });
    }
    // Card C3: assigned to 2 from 2026-11-19 by cards_from (the printed number).
    c.snap.assignments.push(CardAssignment {
        seq: 4,
        card: "#0000000003".into(),
        staff_no: "2".into(),
        cards_from: Some(DAY.parse().unwrap()),
        made_on: "2026-11-25".parse().unwrap(),
    });
    for (id, (card, t)) in (101..).zip([
        ("0200000002", "2026-10-01 08:00"), // before the first assignment: still 1's
        ("0200000002", "2026-11-20 08:00"), // the move day: 2's
        ("0100000003", "2026-11-18 08:00"), // before cards_from: unknown
        ("0100000003", "2026-11-19 08:00"), // 2's, matched by the printed number
    ]) {
        c.snap.punches.push(PunchRow {
            id,
            owner: PunchOwner::Card(card.into()),
            at: at(t),
            source: PunchSource::Import,
            clock_synced: None,
            origin: None,
            voided: false,
        });
    }
    let att = Attendance::new(&c.config, c.snap.clone(), c.now);
    let d = |no: usize, date: &str| att.day(&c.snap.staff[no], date.parse().unwrap()).accepted.len();
    assert_eq!(d(0, "2026-10-01"), 1);
    assert_eq!(d(1, "2026-11-20"), 1);
    assert_eq!(d(0, "2026-11-20"), 0);
    assert_eq!(d(1, "2026-11-19"), 1);
    assert_eq!(att.unknown_card_punches("2026-11-18".parse().unwrap()).len(), 1);
}

// ---- R4 session windows ----

#[test]
fn r4_a_punch_exactly_halfway_belongs_to_the_next_session() {
    // 13:15 is b_1: it is the afternoon's in-punch, so the morning lacks its out-punch.
    let c = four(&["08:25", "13:15", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { missing_punches: 1, ..Figures::default() }));
    let c = four(&["08:25", "13:14:59", "14:25", "17:31"]);
    assert_eq!(c.judge(), normal());
}

// ---- R5 in, out, trips ----

#[test]
fn r5_one_punch_is_in_or_out_by_the_midpoint() {
    // Morning midpoint 10:15: a lone 10:15 is the out-punch (in missing), 105 min early: absent.
    let c = four(&["10:15", "14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { absent_sessions: 1, absent_minutes: 210, ..Figures::default() }));
    let c = four(&["11:45", "14:25", "17:31"]);
    let f = Figures { early_minutes: 15, early_count: 1, missing_punches: 1, ..Figures::default() };
    assert_eq!(c.judge(), exc(f));
    // 10:14 is before the midpoint: no out-punch, and 10:14 is an odd trip punch.
    let c = four(&["08:25", "10:14", "14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { missing_punches: 2, ..Figures::default() }));
}

// ---- R6 leave and duty ----

#[test]
fn r6_leave_at_the_end_moves_the_departure() {
    let c = four(&["08:25", "12:01", "14:25", "16:00"]).leave("事假", "16:30", "17:30");
    assert_eq!(c.judge(), exc(Figures { early_minutes: 30, early_count: 1, leave_minutes: 60, ..Figures::default() }));
    let c = four(&["08:25", "12:01", "14:25", "16:30"]).leave("事假", "16:30", "17:30");
    assert_eq!(c.judge(), (Status::Normal, Figures { leave_minutes: 60, ..Figures::default() }));
}

#[test]
fn r6_leave_and_duty_overlapping_count_once_as_leave() {
    let c = four(&["08:25", "12:01"]).leave("事假", "14:00", "16:00").leave("公出", "15:00", "18:00");
    let (s, f) = c.judge();
    assert_eq!((f.leave_minutes, f.duty_minutes), (90, 90));
    assert_eq!(s, Status::Normal);
}

#[test]
fn r6_leave_in_a_break_and_the_day_status() {
    // Leave covering the whole 2-punch session's working time, breaks aside.
    let c = two(&[]).leave("病假", "08:30", "12:00").leave("病假", "14:30", "17:30");
    assert_eq!(c.judge(), (Status::Leave, Figures { leave_minutes: 390, ..Figures::default() }));
    // Duty and leave each covering one session: leave (a leave kind covers some).
    let c = four(&[]).leave("公出", "08:00", "12:00").leave("年休假", "14:30", "17:30");
    assert_eq!(c.judge(), (Status::Leave, Figures { leave_minutes: 180, duty_minutes: 210, ..Figures::default() }));
}

#[test]
fn r6_a_trip_during_leave_is_not_off_post() {
    let c = four(&["08:25", "09:00", "11:00", "12:01", "14:25", "17:31"]).leave("事假", "09:00", "10:55");
    assert_eq!(c.judge(), (Status::Normal, Figures { leave_minutes: 115, ..Figures::default() }));
}

// ---- R7 late, early, absent ----

#[test]
fn r7_grace_and_absence_boundaries() {
    let g = "late_grace_minutes = 5\nearly_grace_minutes = 5\n";
    let cfg = FOUR.to_string() + g;
    let c = Case::new(&cfg).punches(&["08:35:59", "12:01", "14:25", "17:31"]);
    assert_eq!(c.judge(), normal(), "late 5 is within a grace of 5");
    let c = Case::new(&cfg).punches(&["08:36", "12:01", "14:25", "17:31"]);
    assert_eq!(c.judge().1.late_minutes, 6);
    // Exactly 30 late is late, not absent; 31 is absent.
    let c = four(&["09:00", "12:01", "14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { late_minutes: 30, late_count: 1, ..Figures::default() }));
    let c = four(&["08:25", "12:01", "14:25", "16:59"]);
    assert_eq!(c.judge(), exc(Figures { absent_sessions: 1, absent_minutes: 180, ..Figures::default() }));
    // An absent session drops its other figures (the trip and the odd punch).
    let c = four(&["09:05", "10:00", "10:45", "11:00", "12:01", "14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { absent_sessions: 1, absent_minutes: 210, ..Figures::default() }));
}

// ---- R8 absence from post ----

#[test]
fn r8_trips_are_cut_to_the_session() {
    // Leaving at 11:50 and back at 12:40 (morning window): only 10 minutes lie in the session.
    let c = four(&["08:25", "11:50", "12:40", "12:50", "14:25", "17:31"]);
    assert_eq!(c.judge(), normal());
    // 11 minutes counts.
    let c = four(&["08:25", "11:49", "12:40", "12:50", "14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { off_post_count: 1, off_post_minutes: 11, ..Figures::default() }));
}

// ---- R9 spot checks ----

#[test]
fn r9_spot_checks() {
    let base = ["08:25", "12:01", "14:25", "17:31"];
    // Before the in-punch (the person was not yet in): not counted.
    assert_eq!(four(&["08:45", "12:01", "14:25", "17:31"]).check("08:40", false).judge().1.spot_check_absences, 0);
    // Between sessions (not inside a session): not counted.
    assert_eq!(four(&base).check("13:00", false).judge(), normal());
    // During leave: not counted.
    assert_eq!(four(&base).leave("事假", "10:00", "11:00").check("10:30", false).judge().1.spot_check_absences, 0);
    // In a break of a 2-punch day: not counted.
    assert_eq!(two(&["08:25", "17:31"]).check("13:00", false).judge(), normal());
    // Present checks are counted apart.
    assert_eq!(
        four(&base).check("10:00", true).judge(),
        (Status::Normal, Figures { spot_checks_present: 1, ..Figures::default() })
    );
    // Missing in-punch: from the expected arrival on.
    assert_eq!(
        four(&["12:01", "14:25", "17:31"]).check("09:00", false).judge().1,
        Figures { missing_punches: 1, spot_check_absences: 1, ..Figures::default() }
    );
    // A rest day: nothing judged.
    assert_eq!(four(&[]).check("2026-11-21 10:00", false).judge_on("2026-11-21").0, Status::Rest);
}

#[test]
fn r9_spot_check_at_in_punch_counts() {
    // Inside the session, at the in-punch instant: the punches place the person at post.
    let c = four(&["08:35", "12:01", "14:25", "17:31"]).check("08:35", false);
    let f = Figures { late_minutes: 5, late_count: 1, spot_check_absences: 1, ..Figures::default() };
    assert_eq!(c.judge(), exc(f));
    // Before the session starts it is not inside a session.
    let c = four(&["08:25", "12:01", "14:25", "17:31"]).check("08:29", false);
    assert_eq!(c.judge(), normal());
}

// ---- R10 status order ----

#[test]
fn r10_absent_needs_every_unexcused_session_absent() {
    let c = four(&["14:25", "17:31"]);
    assert_eq!(c.judge(), exc(Figures { absent_sessions: 1, absent_minutes: 210, ..Figures::default() }));
    let c = four(&[]);
    assert_eq!(c.judge(), (Status::Absent, Figures { absent_sessions: 2, absent_minutes: 390, ..Figures::default() }));
}

// ---- R11 the running day ----

#[test]
fn r11_running_day() {
    // 10:00 on the day, on time: pending.
    let c = four(&["08:25"]).now("10:00");
    assert_eq!(c.judge(), (Status::Pending, Figures::default()));
    // Late shown by the in-punch is judged at once.
    let c = four(&["08:41"]).now("09:00");
    assert_eq!(c.judge(), exc(Figures { late_minutes: 11, late_count: 1, ..Figures::default() }));
    // Not arrived yet at 09:00: nothing judged, not absent.
    let c = four(&[]).now("09:00");
    assert_eq!(c.judge(), (Status::Pending, Figures::default()));
    // Morning over without an out-punch: judged; afternoon still pending.
    let c = four(&["08:25"]).now("13:00");
    assert_eq!(c.judge(), exc(Figures { missing_punches: 1, ..Figures::default() }));
    // A whole morning missed is absent, but the day is not absent while the afternoon runs.
    let c = four(&[]).now("13:00");
    assert_eq!(c.judge(), exc(Figures { absent_sessions: 1, absent_minutes: 210, ..Figures::default() }));
    // Morning fine, afternoon pending: pending.
    let c = four(&["08:25", "12:01", "14:20"]).now("15:00");
    assert_eq!(c.judge(), (Status::Pending, Figures::default()));
}

// ---- Seasons ----

#[test]
fn seasons_choose_the_timetable() {
    let cfg = FOUR.to_string()
        + "[[schedules.default.seasons]]\nfrom = \"11-01\"\nto = \"02-28\"\nsessions = [{ start = \"09:00\", end = \"12:00\" }, { start = \"14:00\", end = \"17:00\" }]\n";
    let c = Case::new(&cfg).punches(&["08:55", "12:01", "13:55", "17:01"]);
    assert_eq!(c.judge(), normal());
    let c = Case::new(&cfg).punches(&["2026-10-15 08:55", "2026-10-15 12:01", "2026-10-15 13:55", "2026-10-15 17:01"]);
    assert_eq!(c.judge_on("2026-10-15").1.early_minutes, 29);
}
