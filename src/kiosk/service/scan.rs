//! The scan result screen: a live event in words.

use super::{hm, Service};
use crate::domain::model::Role;
use crate::domain::rules::Live;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::reader::ReaderState;
use crate::kiosk::words::{PunchFacts, Tone};

/// The scan result screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanView {
    pub event: LiveEvent,
    pub staff_no: Option<String>,
    pub name: String,
    pub time: String,
    pub headline: String,
    pub detail: String,
    pub tone: Tone,
    pub role: Option<Role>,
    pub card: String,
}

impl Service<'_> {
    /// A scan (the reader or the demo strip): the punch is committed by the
    /// core before this returns; then it is put into words.
    pub fn scan(&mut self, card: &str) -> ScanView {
        let event = self.core.scan(card);
        self.describe(event)
    }

    /// Puts a live event into the words of the scan result screen. Never
    /// fails: a punch is on disk once its event exists, so even when the
    /// running day cannot be read the screen says it was recorded.
    pub fn describe(&mut self, event: LiveEvent) -> ScanView {
        let say = self.say();
        let tz = self.config().default_schedule().tz;
        let now = self.core.now();
        let mut v = ScanView {
            event: event.clone(),
            staff_no: None,
            name: String::new(),
            time: hm(tz, now),
            headline: String::new(),
            detail: String::new(),
            tone: Tone::Info,
            role: None,
            card: String::new(),
        };
        match &event {
            LiveEvent::Punch { staff_no, name, meaning, minutes, card, absent, missing_in, punch_id, .. } => {
                // The event's meaning; the running day adds what the record
                // will say if nothing more happens, and the expectations.
                let mut facts = PunchFacts {
                    live: Live {
                        meaning: *meaning,
                        minutes: *minutes,
                        absent: *absent,
                        missing_in: *missing_in,
                        if_not_back: None,
                    },
                    judged: true,
                    at: now,
                    expected: None,
                    absent_after: 0,
                };
                let att = self.core.attendance().ok();
                let staff = att.and_then(|a| a.staff_member(staff_no).map(|s| (a, s)));
                let mut zone = tz;
                if let Some((att, s)) = staff {
                    let sched = att.schedule(s);
                    let day = att.day(s, sched.attendance_day(now));
                    // The punch's own instant (the clock has moved on since).
                    if let Some(p) = day.punches.iter().find(|p| p.row.id == *punch_id) {
                        facts.at = p.row.at;
                        facts.live = day.live(p.row.at);
                    }
                    let at = facts.at;
                    let session = day.plan.sessions.iter().position(|x| x.window.contains(at));
                    let rec = session.and_then(|i| day.record.sessions.get(i));
                    facts.judged =
                        day.obligated && rec.is_some_and(|r| r.outcome != crate::domain::rules::Outcome::Excused);
                    facts.expected = rec.map(|r| (r.expected_arrival, r.expected_departure));
                    facts.absent_after = sched.thresholds.absent_after_minutes;
                    zone = sched.tz;
                }
                (v.headline, v.detail, v.tone) = say.punch(&facts, zone);
                v.time = hm(zone, facts.at);
                v.staff_no = Some(staff_no.clone());
                v.name = name.clone();
                v.role = staff.map(|(_, s)| s.role);
                v.card = card.clone();
            }
            LiveEvent::Duplicate { staff_no, first_at, card, .. } => {
                let att = self.core.attendance().ok();
                let staff = att.and_then(|a| a.staff_member(staff_no));
                v.name = staff.map_or(staff_no.clone(), |s| s.name.clone());
                v.role = staff.map(|s| s.role);
                v.staff_no = Some(staff_no.clone());
                (v.headline, v.detail) = say.duplicate(first_at.get(11..16).unwrap_or(""));
                v.card = card.clone();
            }
            LiveEvent::UnknownCard { card, .. } => {
                (v.name, v.headline, v.detail) = say.unknown_card(card);
                v.tone = Tone::Bad;
                v.card = card.clone();
            }
            LiveEvent::NotRecorded { card, detail, .. } => {
                (v.name, v.headline) = say.not_recorded();
                v.detail = detail.clone();
                v.tone = Tone::Bad;
                v.card = card.clone();
            }
            LiveEvent::Reader { state, detail, .. } => {
                (v.name, v.headline) = say.reader_event(*state == ReaderState::Connected);
                v.detail = detail.clone();
                v.tone = if *state == ReaderState::Connected { Tone::Ok } else { Tone::Bad };
            }
            LiveEvent::Ready { .. } | LiveEvent::DayClosed { .. } => {}
        }
        v
    }
}
