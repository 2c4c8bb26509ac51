//! A person's day as every screen shows it: the roster's row, the month's
//! day, the summary's cell and the count bar's categories all come from
//! one [`Standing`], so no two screens disagree. Its figures are the
//! day's as they stand ([`DayRecord::standing_figures`]: a missing
//! clock-in counts at once), its state the worst of them in the
//! glossary's words.
//!
//! Days before the person's first day in post, after their last, and
//! before the kiosk's first day with records are 未启用: nothing was
//! there to judge, so they are blank, never 旷工.

use chrono::NaiveDate;

use crate::domain::attendance::PersonDay;
use crate::domain::glossary::Term;
use crate::domain::rules::{Figures, Outcome, Status};
use crate::domain::time::Instant;
use crate::kiosk::words::{status_tone, Say, Tone};

/// The count bar's categories, each a filter of the roster: a person may
/// be in several (late and present).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tally {
    /// 应到: obligations today.
    Expected,
    /// 已到: punched.
    Present,
    /// 迟到.
    Late,
    /// 缺卡 (a missing clock-in counts at once).
    Missing,
    /// 旷工.
    Absent,
    /// 请假/公出: away on leave or a duty kind now, or all day.
    Away,
    /// 未到: expected, no punch, not away, nothing absent yet.
    NotIn,
}

/// The count bar's order.
pub const TALLIES: [Tally; 7] =
    [Tally::Expected, Tally::Present, Tally::Late, Tally::Missing, Tally::Absent, Tally::Away, Tally::NotIn];

/// A person's day as shown.
#[derive(Debug, Clone, PartialEq)]
pub struct Standing {
    pub state: String,
    pub tone: Tone,
    /// The figures as they stand (a missing clock-in counted at once).
    pub figures: Figures,
    pub tallies: Vec<Tally>,
    /// 未启用: before the person's first day (or the kiosk's), after their last.
    pub inactive: bool,
}

impl Standing {
    pub fn is(&self, t: Tally) -> bool {
        self.tallies.contains(&t)
    }
}

/// How serious a day's figures are, for ordering people: 旷工 first, then
/// 缺卡, 迟到, 早退, 空岗, 查岗不在岗 (the month grid's order).
pub fn severity(f: &Figures) -> [u32; 6] {
    [f.absent_sessions, f.missing_punches, f.late_count, f.early_count, f.off_post_count, f.spot_check_absences]
}

/// The running session whose first punch came past its midpoint: its
/// clock-in is missing already.
fn pending_missing_in(rec: &crate::domain::rules::DayRecord) -> Option<usize> {
    rec.sessions.iter().position(|s| s.outcome == Outcome::Pending && s.in_punch.is_none() && s.first_punch.is_some())
}

/// The day of `d` as shown, at `now`. `live`: the running day on the
/// roster, where a present person's state is where they are (在岗, 外出,
/// 已下班, or the missing clock-in) until something counts.
pub fn standing(say: Say, d: &PersonDay<'_>, now: Instant, first_day: NaiveDate, live: bool) -> Standing {
    let figures = d.record.standing_figures();
    let inactive = d.date < first_day || (!d.obligated && !d.staff.active_on(d.date));
    if inactive {
        return Standing {
            state: Term::Inactive.label(say.0),
            tone: Tone::Neutral,
            figures: Figures::default(),
            tallies: Vec::new(),
            inactive: true,
        };
    }
    if !d.obligated {
        return Standing {
            state: Term::Rest.label(say.0),
            tone: Tone::Neutral,
            figures,
            tallies: Vec::new(),
            inactive: false,
        };
    }
    let mut tallies = vec![Tally::Expected];
    let punched = !d.accepted.is_empty();
    if punched {
        tallies.push(Tally::Present);
    }
    let on_leave = matches!(d.record.status, Status::Leave | Status::Duty);
    // On leave or duty right now (the session under way is excused)?
    let current = d.plan.sessions.iter().position(|x| x.window.contains(now));
    let away_now = current
        .and_then(|i| d.record.sessions.get(i))
        .filter(|r| r.outcome == Outcome::Excused)
        .map(|r| if r.figures.leave_minutes > 0 { Status::Leave } else { Status::Duty })
        .filter(|_| live && (!punched || d.record.status == Status::Pending));
    let (state, tone) = if on_leave {
        tallies.push(Tally::Away);
        (say.status(d.record.status).to_string(), Tone::Info)
    } else if let Some(st) = away_now {
        tallies.push(Tally::Away);
        (say.status(st).to_string(), Tone::Info)
    } else if !punched && figures.absent_sessions == 0 && d.record.status == Status::Pending {
        tallies.push(Tally::NotIn);
        (Term::NotIn.label(say.0), Tone::Bad)
    } else if live && punched && !figures.has_exception() && matches!(d.record.status, Status::Pending | Status::Normal)
    {
        // Nothing counted yet: where the person is, by their last punch.
        say.whereabouts(d.live(*d.accepted.last().unwrap_or(&now)).meaning)
    } else if let Some(i) = pending_missing_in(&d.record).filter(|_| {
        live && d.record.figures.missing_punches == 0 && figures.missing_punches == 1 && figures.absent_sessions == 0
    }) {
        // The one missing punch is the running session's clock-in: said
        // as the scan screen said it (上午缺上班卡).
        (say.missing_in_state(Some((i, d.plan.sessions.len()))), Tone::Bad)
    } else if figures.has_exception() {
        say.state_of(&d.record, &figures)
    } else {
        (say.status(d.record.status).to_string(), status_tone(d.record.status))
    };
    if figures.late_count > 0 {
        tallies.push(Tally::Late);
    }
    if figures.missing_punches > 0 {
        tallies.push(Tally::Missing);
    }
    if figures.absent_sessions > 0 {
        tallies.push(Tally::Absent);
    }
    Standing { state, tone, figures, tallies, inactive: false }
}

/// The month grid's categories, one colour each (the legend's): no colour
/// means two things.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mark {
    /// 休息 and 未启用: a blank cell, as in DingTalk's month sheet.
    Blank,
    Normal,
    Late,
    Early,
    Absent,
    Missing,
    OffPost,
    SpotCheck,
    Leave,
    Duty,
    /// The day still running with nothing counted.
    Pending,
}

/// A day's mark in the grid: its worst figure (旷工, then 缺卡, 迟到, 早退,
/// 空岗, 查岗不在岗), else leave, duty, normal or running.
pub fn mark(st: &Standing, status: Status) -> Mark {
    let f = &st.figures;
    if st.inactive || status == Status::Rest || st.tallies.is_empty() {
        return Mark::Blank;
    }
    match () {
        _ if f.absent_sessions > 0 => Mark::Absent,
        _ if f.missing_punches > 0 => Mark::Missing,
        _ if f.late_count > 0 => Mark::Late,
        _ if f.early_count > 0 => Mark::Early,
        _ if f.off_post_count > 0 => Mark::OffPost,
        _ if f.spot_check_absences > 0 => Mark::SpotCheck,
        _ => match status {
            Status::Leave => Mark::Leave,
            Status::Duty => Mark::Duty,
            Status::Pending => Mark::Pending,
            _ => Mark::Normal,
        },
    }
}
