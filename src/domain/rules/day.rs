//! One person's attendance day: RULES.md R4–R11.
//!
//! [`evaluate`] is pure: the plan, the accepted punches, leave and duty, spot
//! checks and the current instant go in; a [`DayRecord`] comes out. It keeps
//! per-session detail so that screens and reports can say *why*.

use super::schedule::{DayPlan, SessionPlan, Span, Thresholds};
use crate::domain::time::{whole_minutes, Instant};

/// A leave or duty record that applies to the person (请假 / 公出 / 出差).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Excuse {
    pub span: Span,
    /// A duty kind (counts as on duty, not as leave).
    pub duty: bool,
}

/// A spot check (查岗) that has not been voided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpotCheck {
    pub at: Instant,
    pub present: bool,
}

/// Everything R4–R11 need for one person on one day.
#[derive(Debug, Clone, Copy)]
pub struct DayInput<'a> {
    pub plan: &'a DayPlan,
    /// R2: whether the person has obligations on the day.
    pub obligated: bool,
    /// Accepted punches (R3) inside `plan.day`, sorted.
    pub punches: &'a [Instant],
    pub excuses: &'a [Excuse],
    pub spot_checks: &'a [SpotCheck],
    pub thresholds: &'a Thresholds,
    /// The current instant (R11): sessions that end after it are pending.
    pub now: Instant,
}

/// The day's status (R10), as the summary spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Rest,
    Leave,
    Duty,
    Absent,
    Exception,
    Pending,
    Normal,
}

/// The figures of R10, in the order the summary lists them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    pub late_minutes: u32,
    pub late_count: u32,
    pub early_minutes: u32,
    pub early_count: u32,
    pub absent_sessions: u32,
    pub absent_minutes: u32,
    pub off_post_count: u32,
    pub off_post_minutes: u32,
    pub missing_punches: u32,
    pub spot_check_absences: u32,
    pub spot_checks_present: u32,
    pub leave_minutes: u32,
    pub duty_minutes: u32,
    pub corrections: u32,
}

impl Figures {
    /// Whether anything that makes a day an exception (R10 item 4) is non-zero.
    pub fn has_exception(&self) -> bool {
        self.late_count > 0
            || self.early_count > 0
            || self.absent_sessions > 0
            || self.off_post_count > 0
            || self.missing_punches > 0
            || self.spot_check_absences > 0
    }

    pub fn add(&mut self, o: &Figures) {
        self.late_minutes += o.late_minutes;
        self.late_count += o.late_count;
        self.early_minutes += o.early_minutes;
        self.early_count += o.early_count;
        self.absent_sessions += o.absent_sessions;
        self.absent_minutes += o.absent_minutes;
        self.off_post_count += o.off_post_count;
        self.off_post_minutes += o.off_post_minutes;
        self.missing_punches += o.missing_punches;
        self.spot_check_absences += o.spot_check_absences;
        self.spot_checks_present += o.spot_checks_present;
        self.leave_minutes += o.leave_minutes;
        self.duty_minutes += o.duty_minutes;
        self.corrections += o.corrections;
    }
}

/// How a session came out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Fully covered by leave and duty (R6).
    Excused,
    /// Not yet ended on a running day (R11).
    Pending,
    /// 旷工 (R7).
    Absent,
    /// Judged; its figures say how.
    Judged,
}

/// A trip away from the post (R5), and whether it counted as 空岗 (R8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trip {
    pub left: Instant,
    pub back: Instant,
    pub minutes: u32,
    pub counted: bool,
}

/// One session's detail: what each punch meant and why the figures are what they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub span: Span,
    pub outcome: Outcome,
    /// Expected arrival and departure after leave and duty (R6).
    pub expected_arrival: Instant,
    pub expected_departure: Instant,
    pub in_punch: Option<Instant>,
    pub out_punch: Option<Instant>,
    /// The session's first accepted punch (an in-punch only before the midpoint).
    pub first_punch: Option<Instant>,
    pub trips: Vec<Trip>,
    /// The odd trip punch left over, if any (R5).
    pub leftover: Option<Instant>,
    /// Minutes late/early as measured, whether or not over the grace.
    pub late: u32,
    pub early: u32,
    /// Absent spot checks that counted (R9).
    pub spot_absences: Vec<Instant>,
    pub figures: Figures,
}

/// The person's record for the day (R10).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRecord {
    pub status: Status,
    pub figures: Figures,
    pub sessions: Vec<SessionRecord>,
}

impl DayRecord {
    /// The figures as they stand while the day runs: the record's, plus
    /// one missing punch for each running session whose first punch came
    /// at or after its midpoint. No later punch can be that session's
    /// in-punch (R5), so its clock-in is missing already, though R11
    /// counts it only when the session ends. The screens show these, so
    /// that a person's figures agree with the 上班缺卡 beside them.
    pub fn standing_figures(&self) -> Figures {
        let mut f = self.figures;
        f.missing_punches += self
            .sessions
            .iter()
            .filter(|s| s.outcome == Outcome::Pending && s.in_punch.is_none() && s.first_punch.is_some())
            .count() as u32;
        f
    }
}

/// Sorted, merged union of spans.
fn merge(mut spans: Vec<Span>) -> Vec<Span> {
    spans.retain(|s| !s.is_empty());
    spans.sort();
    let mut out: Vec<Span> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.start <= last.end => last.end = last.end.max(s.end),
            _ => out.push(s),
        }
    }
    out
}

/// Total length of `span` minus the (merged, sorted) `holes`.
fn len_minus(span: Span, holes: &[Span]) -> i64 {
    span.len() - holes.iter().map(|h| h.intersect(&span).len()).sum::<i64>()
}

/// Length of `within` (merged, sorted, disjoint) that `cover` (merged, sorted) covers.
fn covered(within: &[Span], cover: &[Span]) -> i64 {
    within.iter().map(|w| cover.iter().map(|c| c.intersect(w).len()).sum::<i64>()).sum()
}

fn in_any(spans: &[Span], t: Instant) -> bool {
    spans.iter().any(|s| s.contains(t))
}

/// Session time minus breaks, as disjoint sorted spans.
fn working_spans(s: &SessionPlan) -> Vec<Span> {
    let mut out = Vec::new();
    let mut cursor = s.span.start;
    for b in &s.breaks {
        if b.start > cursor {
            out.push(Span { start: cursor, end: b.start });
        }
        cursor = cursor.max(b.end);
    }
    if cursor < s.span.end {
        out.push(Span { start: cursor, end: s.span.end });
    }
    out
}

/// R6: the expected arrival is the end of the excused run that covers the
/// session's start, the expected departure the start of the excused run
/// that reaches its end; otherwise the session's own start and end.
fn arrival_departure(span: Span, excused_time: &[Span]) -> (Instant, Instant) {
    let a = excused_time.iter().find(|r| r.contains(span.start)).map_or(span.start, |r| r.end);
    let d = excused_time.iter().find(|r| r.contains(span.end - 1)).map_or(span.end, |r| r.start);
    (a, d)
}

/// What a punch means at the moment it is made (SPEC "Live events"): the
/// screen's word for it, by the same session windows, expectations and
/// midpoint that the day's record (R4–R7, R11) uses, so that the two never
/// contradict each other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Meaning {
    /// The session's first punch, before its midpoint: the in-punch (R5).
    In,
    /// Before the expected departure; minutes = how early if not back.
    GoingOut,
    /// The punch after a `going_out`.
    Back,
    /// At or after the expected departure.
    Out,
}

/// A punch's live meaning and what the record already says of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Live {
    pub meaning: Meaning,
    /// `in`: the counted lateness (0 within the grace); `going_out`: how
    /// early it would be without a return; otherwise 0.
    pub minutes: u32,
    /// `in` with a counted lateness over `absent_after_minutes`: the session
    /// is 旷工 at once (R7, R11).
    pub absent: bool,
    /// The session's first punch came at or after its midpoint: it is not
    /// an in-punch (R5), so the clock-in is missing (缺卡) until a 补卡.
    pub missing_in: bool,
    /// `going_out`: what the session's record will say if no other punch
    /// follows in it (R5, R7): the words for "otherwise …".
    pub if_not_back: Option<IfNotBack>,
}

/// A session's record if a going-out punch is its last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IfNotBack {
    /// The session is 旷工 already (its in-punch was late over the limit).
    AlreadyAbsent,
    /// 早退: leaving early by this many counted minutes.
    Early(u32),
    /// 旷工: leaving early by more than `absent_after_minutes`.
    Absent,
    /// 缺卡: before the midpoint, the punch is no out-punch.
    MissingOut,
    /// Nothing counts (within the grace).
    Nothing,
}

impl Live {
    fn plain(meaning: Meaning) -> Live {
        Live { meaning, minutes: 0, absent: false, missing_in: false, if_not_back: None }
    }
}

/// The session's excused time (R6: its breaks plus leave and duty, merged)
/// and whether leave and duty cover all of its working time (excused).
fn excused_time(s: &SessionPlan, excuses: &[Excuse]) -> (Vec<Span>, bool) {
    let all = merge(excuses.iter().map(|e| e.span.intersect(&s.span)).collect());
    let work = working_spans(s);
    let fully = covered(&work, &all) >= work.iter().map(Span::len).sum::<i64>();
    (merge(s.breaks.iter().copied().chain(all).collect()), fully)
}

/// The live meaning of an accepted punch at `at`, from the day's accepted
/// punches before it in its session window (R4), R6's expectations and
/// R5's midpoint. `day.punches` may hold later punches too: only those
/// before `at` count. On a day without obligations, or in an excused
/// session, nothing is judged: the meaning follows the sequence alone.
pub fn live_meaning(day: &DayInput<'_>, at: Instant) -> Live {
    let Some(s) = day.plan.sessions.iter().find(|s| s.window.contains(at)) else {
        return Live::plain(Meaning::In);
    };
    let (excused, fully_excused) = excused_time(s, day.excuses);
    let judged = day.obligated && !fully_excused;
    let (a, d) = arrival_departure(s.span, &excused);
    let m = a + (d - a) / 2;
    let th = day.thresholds;
    let prior = day.punches.iter().copied().filter(|&t| s.window.contains(t) && t < at);
    // Going out or leaving, by the expected departure.
    let leaving = |t: Instant| if t >= d { Meaning::Out } else { Meaning::GoingOut };
    let mut previous: Option<Meaning> = None;
    for t in prior.chain(std::iter::once(at)) {
        previous = Some(match previous {
            None if t < m || !judged => Meaning::In,
            None => leaving(t),
            Some(Meaning::GoingOut) => Meaning::Back,
            Some(_) => leaving(t),
        });
    }
    let meaning = previous.unwrap_or(Meaning::In);
    if !judged {
        return Live::plain(meaning);
    }
    let first = day.punches.iter().all(|&t| !(s.window.contains(t) && t < at));
    match meaning {
        Meaning::In => {
            let late = if at > a { whole_minutes(at - a) } else { 0 };
            let counted = late > th.late_grace_minutes;
            Live {
                meaning,
                minutes: if counted { late } else { 0 },
                absent: counted && late > th.absent_after_minutes,
                missing_in: false,
                if_not_back: None,
            }
        }
        Meaning::GoingOut => {
            // The session judged at its end with this punch as its last.
            let mut upto: Vec<Instant> =
                day.punches.iter().copied().filter(|&t| s.window.contains(t) && t < at).collect();
            upto.push(at);
            let so_far = evaluate_session(s, &upto[..upto.len() - 1], &DayInput { now: at, ..*day });
            let rec = evaluate_session(s, &upto, &DayInput { now: s.span.end, ..*day });
            let if_not_back = if so_far.outcome == Outcome::Absent {
                IfNotBack::AlreadyAbsent
            } else if rec.outcome == Outcome::Absent {
                IfNotBack::Absent
            } else if rec.out_punch.is_none() {
                IfNotBack::MissingOut
            } else if rec.figures.early_count > 0 {
                IfNotBack::Early(rec.figures.early_minutes)
            } else {
                IfNotBack::Nothing
            };
            Live {
                meaning,
                minutes: whole_minutes(d - at),
                absent: false,
                missing_in: first,
                if_not_back: Some(if_not_back),
            }
        }
        _ => Live { meaning, minutes: 0, absent: false, missing_in: first, if_not_back: None },
    }
}

fn evaluate_session(s: &SessionPlan, punches: &[Instant], input: &DayInput<'_>) -> SessionRecord {
    let th = input.thresholds;
    let span = s.span;
    let work = working_spans(s);
    let leave_only = merge(input.excuses.iter().filter(|e| !e.duty).map(|e| e.span.intersect(&span)).collect());
    let all_excuses = merge(input.excuses.iter().map(|e| e.span.intersect(&span)).collect());
    let work_len: i64 = work.iter().map(Span::len).sum();
    let excused_len = covered(&work, &all_excuses);
    let leave_len = covered(&work, &leave_only);
    let mut figures = Figures {
        leave_minutes: whole_minutes(leave_len),
        duty_minutes: whole_minutes(excused_len - leave_len),
        ..Figures::default()
    };
    // Breaks plus leave and duty: the session's excused time (R6).
    let (excused_time, _) = excused_time(s, input.excuses);

    let mut rec = SessionRecord {
        span,
        outcome: Outcome::Judged,
        expected_arrival: span.start,
        expected_departure: span.end,
        in_punch: None,
        out_punch: None,
        first_punch: punches.first().copied(),
        trips: vec![],
        leftover: None,
        late: 0,
        early: 0,
        spot_absences: vec![],
        figures,
    };
    if excused_len >= work_len {
        rec.outcome = Outcome::Excused;
        return rec;
    }
    let (a, d) = arrival_departure(span, &excused_time);
    rec.expected_arrival = a;
    rec.expected_departure = d;
    let m = a + (d - a) / 2;
    let k = punches.len();

    let absent_minutes = whole_minutes(len_minus(span, &excused_time));
    let pending = input.now < span.end;
    if pending {
        // R11: only a lateness already shown by an in-punch is judged, with
        // R7's conversion: over `absent_after_minutes` it is 旷工 at once.
        rec.outcome = Outcome::Pending;
        if let Some(&p1) = punches.first().filter(|&&p| p < m) {
            rec.in_punch = Some(p1);
            if p1 > a {
                rec.late = whole_minutes(p1 - a);
                if rec.late > th.late_grace_minutes {
                    if rec.late > th.absent_after_minutes {
                        rec.outcome = Outcome::Absent;
                        figures.absent_sessions = 1;
                        figures.absent_minutes = absent_minutes;
                    } else {
                        figures.late_minutes = rec.late;
                        figures.late_count = 1;
                    }
                }
            }
        }
        rec.figures = figures;
        return rec;
    }

    if k == 0 {
        rec.outcome = Outcome::Absent;
        figures.absent_sessions = 1;
        figures.absent_minutes = absent_minutes;
        rec.figures = figures;
        return rec;
    }

    let in_punch = (punches[0] < m).then_some(punches[0]);
    let out_punch = (punches[k - 1] >= m).then_some(punches[k - 1]);
    rec.in_punch = in_punch;
    rec.out_punch = out_punch;
    let lo = usize::from(in_punch.is_some());
    let hi = k - usize::from(out_punch.is_some());
    let middle = if lo <= hi { &punches[lo..hi] } else { &[][..] };
    let mut missing = u32::from(in_punch.is_none()) + u32::from(out_punch.is_none());
    if middle.len() % 2 == 1 {
        rec.leftover = middle.last().copied();
        missing += 1;
    }

    let late = in_punch.map_or(0, |p| if p > a { whole_minutes(p - a) } else { 0 });
    let early = out_punch.map_or(0, |p| if p < d { whole_minutes(d - p) } else { 0 });
    rec.late = late;
    rec.early = early;
    let late_counted = in_punch.is_some_and(|p| p > a) && late > th.late_grace_minutes;
    let early_counted = out_punch.is_some_and(|p| p < d) && early > th.early_grace_minutes;
    if (late_counted && late > th.absent_after_minutes) || (early_counted && early > th.absent_after_minutes) {
        rec.outcome = Outcome::Absent;
        figures.absent_sessions = 1;
        figures.absent_minutes = absent_minutes;
        rec.figures = figures;
        return rec;
    }
    if late_counted {
        figures.late_count = 1;
        figures.late_minutes = late;
    }
    if early_counted {
        figures.early_count = 1;
        figures.early_minutes = early;
    }
    figures.missing_punches = missing;

    // R8: trips cut to the session, minus breaks, leave and duty.
    for pair in middle.chunks_exact(2) {
        let cut = Span { start: pair[0], end: pair[1] }.intersect(&span);
        let minutes = if cut.is_empty() { 0 } else { whole_minutes(len_minus(cut, &excused_time)) };
        let counted = minutes > th.off_post_grace_minutes;
        if counted {
            figures.off_post_count += 1;
            figures.off_post_minutes += minutes;
        }
        rec.trips.push(Trip { left: pair[0], back: pair[1], minutes, counted });
    }

    // R9: an absent spot check counts where the punches place the person at post.
    let from = in_punch.unwrap_or(a);
    let until = out_punch.unwrap_or(d);
    for c in input.spot_checks.iter().filter(|c| !c.present) {
        let t = c.at;
        let at_post = span.contains(t)
            && from <= t
            && t < until
            && !rec.trips.iter().any(|tr| tr.left <= t && t < tr.back)
            && !in_any(&excused_time, t);
        if at_post {
            figures.spot_check_absences += 1;
            rec.spot_absences.push(t);
        }
    }
    rec.figures = figures;
    rec
}

/// Judges one person's day by RULES.md R4–R11.
pub fn evaluate(input: &DayInput<'_>) -> DayRecord {
    if !input.obligated {
        return DayRecord { status: Status::Rest, figures: Figures::default(), sessions: vec![] };
    }
    let sessions: Vec<SessionRecord> = input
        .plan
        .sessions
        .iter()
        .map(|s| {
            let lo = input.punches.partition_point(|&p| p < s.window.start);
            let hi = input.punches.partition_point(|&p| p < s.window.end);
            evaluate_session(s, &input.punches[lo..hi], input)
        })
        .collect();
    let mut figures = Figures::default();
    for s in &sessions {
        figures.add(&s.figures);
    }
    figures.spot_checks_present =
        input.spot_checks.iter().filter(|c| c.present && input.plan.day.contains(c.at)).count() as u32;

    let unexcused: Vec<&SessionRecord> = sessions.iter().filter(|s| s.outcome != Outcome::Excused).collect();
    let status = if unexcused.is_empty() {
        if figures.leave_minutes == 0 && !has_leave_kind(input) {
            Status::Duty
        } else {
            Status::Leave
        }
    } else if unexcused.iter().all(|s| s.outcome == Outcome::Absent) {
        Status::Absent
    } else if figures.has_exception() {
        Status::Exception
    } else if unexcused.iter().any(|s| s.outcome == Outcome::Pending) {
        Status::Pending
    } else {
        Status::Normal
    };
    DayRecord { status, figures, sessions }
}

/// Whether any leave (not duty) kind covers any working time of the day.
fn has_leave_kind(input: &DayInput<'_>) -> bool {
    input.plan.sessions.iter().any(|s| {
        let leave: Vec<Span> =
            merge(input.excuses.iter().filter(|e| !e.duty).map(|e| e.span.intersect(&s.span)).collect());
        covered(&working_spans(s), &leave) > 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::Schedule;
    use crate::domain::time::parse_time;

    fn live(plan: &DayPlan, excuses: &[Excuse], obligated: bool, before: &[Instant], at: Instant) -> Live {
        live_meaning(
            &DayInput {
                plan,
                obligated,
                punches: before,
                excuses,
                spot_checks: &[],
                thresholds: &Thresholds::default(),
                now: at,
            },
            at,
        )
    }

    fn judged(meaning: Meaning, minutes: u32) -> Live {
        Live { meaning, minutes, absent: false, missing_in: false, if_not_back: None }
    }

    fn going_out(minutes: u32, missing_in: bool, if_not_back: IfNotBack) -> Live {
        Live { meaning: Meaning::GoingOut, minutes, absent: false, missing_in, if_not_back: Some(if_not_back) }
    }

    #[test]
    fn live_meanings_through_a_day() {
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        let punches = ["08:41", "10:00", "10:30", "12:01", "14:20", "16:50", "17:31"];
        let want = [
            judged(Meaning::In, 11),
            going_out(120, false, IfNotBack::MissingOut),
            judged(Meaning::Back, 0),
            judged(Meaning::Out, 0),
            judged(Meaning::In, 0),
            going_out(40, false, IfNotBack::Absent),
            judged(Meaning::Back, 0),
        ];
        let instants: Vec<Instant> = punches.iter().map(|p| t(p)).collect();
        for (i, w) in want.iter().enumerate() {
            assert_eq!(live(&plan, &[], true, &instants[..i], instants[i]), *w, "{}", punches[i]);
            // Later punches in the list change nothing.
            assert_eq!(live(&plan, &[], true, &instants, instants[i]), *w, "{} (whole day given)", punches[i]);
        }
        // Leave until 10:00 moves the expected arrival: 10:20 is 20 late.
        let leave = [Excuse { span: Span { start: t("08:30"), end: t("10:00") }, duty: true }];
        assert_eq!(live(&plan, &leave, true, &[], t("10:20")), judged(Meaning::In, 20));
    }

    #[test]
    fn live_meanings_say_what_the_record_will_say() {
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        // Late 35 > 30: 旷工 at once.
        assert_eq!(
            live(&plan, &[], true, &[], t("09:05")),
            Live { meaning: Meaning::In, minutes: 35, absent: true, missing_in: false, if_not_back: None }
        );
        // Late exactly 30: late, not absent.
        assert_eq!(live(&plan, &[], true, &[], t("09:00")), judged(Meaning::In, 30));
        // First punch at 10:32, past the midpoint 10:15: not an in-punch.
        assert_eq!(live(&plan, &[], true, &[], t("10:32")), going_out(88, true, IfNotBack::Absent));
        // Leaving 20 minutes before the end: early, within the absence limit.
        assert_eq!(live(&plan, &[], true, &[t("08:25")], t("11:40")), going_out(20, false, IfNotBack::Early(20)));
        // Exactly at the midpoint: already not an in-punch (R5: strictly before).
        assert!(live(&plan, &[], true, &[], t("10:15")).missing_in);
        assert!(!live(&plan, &[], true, &[], t("10:14:59")).missing_in);
        // First punch of the afternoon after its end: out, clock-in missing.
        assert_eq!(
            live(&plan, &[], true, &[], t("17:40")),
            Live { meaning: Meaning::Out, minutes: 0, absent: false, missing_in: true, if_not_back: None }
        );
        // Going out of a session already absent (late 35): it stays absent.
        assert_eq!(live(&plan, &[], true, &[t("09:05")], t("10:00")), going_out(120, false, IfNotBack::AlreadyAbsent));
        // The next punch after such a going-out is back.
        assert_eq!(live(&plan, &[], true, &[t("10:32")], t("11:00")), judged(Meaning::Back, 0));
        // No obligations (a rest day): nothing judged, the sequence alone.
        assert_eq!(live(&plan, &[], false, &[], t("10:32")), judged(Meaning::In, 0));
        assert_eq!(live(&plan, &[], false, &[t("10:32")], t("11:00")), judged(Meaning::GoingOut, 0));
        let rest = live(&plan, &[], false, &[t("10:32")], t("11:00"));
        assert_eq!(rest.if_not_back, None, "nothing is judged on a day without obligations");
        // A session fully on leave: nothing judged either.
        let leave = [Excuse { span: Span { start: t("08:30"), end: t("12:00") }, duty: false }];
        assert_eq!(live(&plan, &leave, true, &[], t("11:00")), judged(Meaning::In, 0));
    }

    #[test]
    fn a_pending_lateness_over_the_limit_is_absent_at_once() {
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        let rec = evaluate(&DayInput {
            plan: &plan,
            obligated: true,
            punches: &[t("09:05")],
            excuses: &[],
            spot_checks: &[],
            thresholds: &Thresholds::default(),
            now: t("09:10"),
        });
        assert_eq!(rec.sessions[0].outcome, Outcome::Absent);
        assert_eq!(
            rec.figures,
            Figures { absent_sessions: 1, absent_minutes: 210, ..Figures::default() },
            "no lateness beside the absence"
        );
        assert_eq!(rec.status, Status::Exception, "the afternoon still runs");
    }
}
