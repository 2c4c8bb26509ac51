//! The scan result screen: a live event in words.

use super::{hm, Service};
use crate::domain::model::Role;
use crate::domain::rules::Live;
use crate::kiosk::live::LiveEvent;
use crate::kiosk::reader::ReaderState;
use crate::kiosk::words::{PunchFacts, ScanWords, Tone};

/// The scan result screen.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanView {
    pub event: LiveEvent,
    pub staff_no: Option<String>,
    pub name: String,
    /// The person's unit (empty for a card nobody holds).
    pub unit: String,
    pub time: String,
    /// In large type: a problem's verdict (迟到 11 分钟, 旷工半天, 上午缺上班卡,
    /// 未登记的卡) or what was recorded (上班打卡成功).
    pub headline: String,
    /// Under it: a problem's neutral fact (已记录 09:05) or the figure (正常).
    pub sub: String,
    /// Why: "08:41 打卡，应到 08:30" (at most two lines).
    pub why: String,
    /// What to do: "请在我的考勤申请补卡" (one line, or empty).
    pub todo: String,
    /// A problem: the warning mark, 10 s on screen rather than 5.
    pub problem: bool,
    /// "今日第 N 次打卡" (empty when not a punch).
    pub nth_today: String,
    pub tone: Tone,
    pub role: Option<Role>,
    pub card: String,
    /// The screen stays until the next scan or a tap (an unknown card:
    /// people copy its number down).
    pub sticky: bool,
    /// The person's photo, decoded, if one was imported and can be read.
    pub photo: Option<super::Photo>,
}

impl Service<'_> {
    /// The person's photo, decoded (on this, the kiosk loop's thread).
    fn photo(&mut self, staff_no: &str) -> Option<super::Photo> {
        let path = self.core.store().photo(staff_no).ok().flatten()?;
        self.photos.get(&path)
    }
}

impl ScanView {
    /// A view with nothing said yet, at `time`.
    pub fn new(event: LiveEvent, time: String) -> ScanView {
        ScanView {
            event,
            staff_no: None,
            name: String::new(),
            unit: String::new(),
            time,
            headline: String::new(),
            sub: String::new(),
            why: String::new(),
            todo: String::new(),
            problem: false,
            nth_today: String::new(),
            tone: Tone::Info,
            role: None,
            card: String::new(),
            sticky: false,
            photo: None,
        }
    }

    /// Sets what the screen says.
    pub fn tell(&mut self, w: ScanWords) {
        (self.headline, self.sub, self.why, self.todo, self.tone, self.problem) =
            (w.headline, w.sub, w.why, w.todo, w.tone, w.problem);
    }

    /// The headline and the line under it as one ("已记录 09:05 · 旷工半天").
    pub fn summary(&self) -> String {
        ScanWords {
            headline: self.headline.clone(),
            sub: self.sub.clone(),
            why: String::new(),
            todo: String::new(),
            tone: self.tone,
            problem: self.problem,
        }
        .summary()
    }
}

impl Service<'_> {
    /// A scan read now (the demo strip in tests): a punch committed by the
    /// core before this returns, or an identification when 查询 or 管理
    /// armed it; then it is put into words.
    pub fn scan(&mut self, card: &str) -> ScanView {
        let (now, synced) = self.core.read_clock();
        let event = self.card(card, now, synced);
        self.describe(event)
    }

    /// Puts a live event into the words of the scan result screen. Never
    /// fails: a punch is on disk once its event exists, so even when the
    /// running day cannot be read the screen says it was recorded.
    pub fn describe(&mut self, event: LiveEvent) -> ScanView {
        let say = self.say();
        let tz = self.config().default_schedule().tz;
        let now = self.core.now();
        let mut v = ScanView::new(event.clone(), hm(tz, now));
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
                    session: None,
                };
                let photo = self.photo(staff_no);
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
                        // Its place among the day's counted punches (not
                        // duplicates or voided ones).
                        let n = day.accepted.iter().filter(|&&t| t <= p.row.at).count();
                        v.nth_today = say.nth_today(n.max(1));
                    }
                    v.unit = s.unit.clone();
                    let at = facts.at;
                    let session = day.plan.sessions.iter().position(|x| x.window.contains(at));
                    let rec = session.and_then(|i| day.record.sessions.get(i));
                    facts.judged =
                        day.obligated && rec.is_some_and(|r| r.outcome != crate::domain::rules::Outcome::Excused);
                    facts.expected = rec.map(|r| (r.expected_arrival, r.expected_departure));
                    facts.session = session.map(|i| (i, day.plan.sessions.len()));
                    facts.absent_after = sched.thresholds.absent_after_minutes;
                    zone = sched.tz;
                }
                v.tell(say.punch(&facts, zone));
                v.time = hm(zone, facts.at);
                v.staff_no = Some(staff_no.clone());
                v.photo = photo;
                v.name = name.clone();
                v.role = staff.map(|(_, s)| s.role);
                v.card = card.clone();
            }
            LiveEvent::Duplicate { staff_no, first_at, card, .. } => {
                v.photo = self.photo(staff_no);
                let att = self.core.attendance().ok();
                let staff = att.and_then(|a| a.staff_member(staff_no));
                v.name = staff.map_or(staff_no.clone(), |s| s.name.clone());
                v.unit = staff.map(|s| s.unit.clone()).unwrap_or_default();
                v.role = staff.map(|s| s.role);
                v.staff_no = Some(staff_no.clone());
                v.tell(say.duplicate(first_at.get(11..16).unwrap_or("")));
                v.card = card.clone();
            }
            LiveEvent::UnknownCard { card, .. } => {
                v.tell(say.unknown_card(card));
                v.card = card.clone();
                v.sticky = true;
            }
            LiveEvent::NotRecorded { card, detail, .. } => {
                v.tell(say.not_recorded(detail));
                v.card = card.clone();
            }
            LiveEvent::Reader { state, detail, .. } => {
                v.tell(say.reader_event(*state == ReaderState::Connected, detail));
            }
            LiveEvent::Identified { card, staff_no, name, .. } => {
                v.card = card.clone();
                match (staff_no, name) {
                    (Some(no), Some(name)) => {
                        let staff = self.staff(no).ok().flatten();
                        v.unit = staff.as_ref().map(|s| s.unit.clone()).unwrap_or_default();
                        v.role = staff.map(|s| s.role);
                        v.staff_no = Some(no.clone());
                        v.name = name.clone();
                        v.photo = self.photo(no);
                        v.tell(say.may_not_manage(name));
                    }
                    _ => v.tell(say.unknown_card_looked_up(card)),
                }
            }
            LiveEvent::Ready { .. } | LiveEvent::DayClosed { .. } => {}
        }
        v
    }
}
