//! Everything the kiosk says to people, in Chinese or English, in one
//! place: the live meaning of a scan, the *why* of a day ("迟到 11 分钟：
//! 08:41 打卡，应到 08:30"), the roster's states and the answers to the
//! heads' and admins' actions, in the words people know from DingTalk
//! (正常, 迟到, 早退, 旷工, 缺卡, 外出, 请假, 公出, 补卡). The service and the
//! screen's adapters ask [`Say`] for their sentences; none of them holds a
//! sentence of its own. Pure: no IO.

use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;

use crate::domain::config::Language;
use crate::domain::glossary::{self, Term};
use crate::domain::rules::{DayRecord, Figures, IfNotBack, Live, Meaning, Outcome, SessionRecord, Status};
use crate::domain::time::{instant_to_local, Instant};
use crate::kiosk::service::Mark;

/// The colour family of a message: DingTalk's green, orange, red, and blue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Ok,
    Warn,
    Bad,
    Info,
    Neutral,
}

fn hm(tz: Tz, t: Instant) -> String {
    instant_to_local(tz, t).format("%H:%M").to_string()
}

/// The thresholds the *why* lines quote: late grace, early grace, absent after.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grace {
    pub late: u32,
    pub early: u32,
    pub absent_after: u32,
}

impl From<&crate::domain::rules::Thresholds> for Grace {
    fn from(t: &crate::domain::rules::Thresholds) -> Self {
        Grace { late: t.late_grace_minutes, early: t.early_grace_minutes, absent_after: t.absent_after_minutes }
    }
}

/// A punch's live meaning as the scan screen tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PunchFacts {
    pub live: Live,
    /// The person has obligations that day and the session is not on leave.
    pub judged: bool,
    pub at: Instant,
    /// The session's expected arrival and departure (R6).
    pub expected: Option<(Instant, Instant)>,
    pub absent_after: u32,
    /// Which session of how many (上午 of 2), for the headline.
    pub session: Option<(usize, usize)>,
}

/// What the scan screen says, largest first. A problem (迟到, 早退, 旷工,
/// 缺卡, an unknown card, a scan not recorded) has its verdict as the
/// headline, in the tone's colour with a warning mark, and the punch
/// itself as a neutral fact under it ("已记录 09:05"); a result in order
/// has what was recorded as the headline (上班打卡成功) and its figure
/// under it (正常). Never a tick beside a red word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanWords {
    pub headline: String,
    /// A problem's neutral fact (已记录 09:05), or the figure (正常), or "".
    pub sub: String,
    /// Why, in at most two lines.
    pub why: String,
    /// What to do, one line (请在我的考勤申请补卡), or "".
    pub todo: String,
    pub tone: Tone,
    /// A problem: the warning mark, and the result stays 10 s, not 5.
    pub problem: bool,
}

impl ScanWords {
    fn fine(headline: String, sub: String, why: String, tone: Tone) -> ScanWords {
        ScanWords { headline, sub, why, todo: String::new(), tone, problem: false }
    }

    fn problem(headline: String, sub: String, why: String, todo: String, tone: Tone) -> ScanWords {
        ScanWords { headline, sub, why, todo, tone, problem: true }
    }

    /// The headline and the line under it as one: "已记录 09:05 · 旷工半天".
    pub fn summary(&self) -> String {
        match (self.problem, self.sub.is_empty()) {
            (_, true) => self.headline.clone(),
            (true, false) => format!("{} · {}", self.sub, self.headline),
            (false, false) => format!("{} · {}", self.headline, self.sub),
        }
    }
}

/// The kiosk's sentences in one language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Say(pub Language);

impl Say {
    fn zh(self) -> bool {
        self.0 == Language::ZhCn
    }

    /// Picks the Chinese or the English text.
    fn pick(self, zh: impl Into<String>, en: impl Into<String>) -> String {
        if self.zh() {
            zh.into()
        } else {
            en.into()
        }
    }

    /// A glossary word in this language.
    pub fn term(self, t: Term) -> &'static str {
        t.word(self.0)
    }

    // ---- the scan result ----

    /// What happens if a going-out punch stays the session's last.
    fn if_not_back(self, p: &PunchFacts, leave_at: &str) -> String {
        match p.live.if_not_back {
            Some(IfNotBack::AlreadyAbsent) => {
                self.pick("本时段已按旷工计", "this session is counted as absent already")
            }
            Some(IfNotBack::Absent) => self.pick(
                format!("不回来将按旷工计（早退超过 {} 分钟，应走 {leave_at}）", p.absent_after),
                format!("if you do not come back: absent (over {} min early, due {leave_at})", p.absent_after),
            ),
            Some(IfNotBack::Early(n)) => self.pick(
                format!("不回来将按早退 {n} 分钟计（应走 {leave_at}）"),
                format!("if you do not come back: {n} min early (due {leave_at})"),
            ),
            Some(IfNotBack::MissingOut) => self.pick(
                format!("不回来将记为缺下班卡（应走 {leave_at}）"),
                format!("if you do not come back: no clock-out (due {leave_at})"),
            ),
            Some(IfNotBack::Nothing) | None => String::new(),
        }
    }

    /// The neutral fact of a punch: "已记录 09:05".
    pub fn recorded_at(self, t: &str) -> String {
        self.pick(format!("已记录 {t}"), format!("Recorded {t}"))
    }

    /// "上午缺上班卡" / "Morning clock-in missing".
    pub fn missing_in_state(self, session: Option<(usize, usize)>) -> String {
        let name = session.map(|(i, n)| self.session_word(i, n)).unwrap_or_default();
        match (self.zh(), name.is_empty()) {
            (true, _) => format!("{name}缺上班卡"),
            (false, true) => "Clock-in missing".into(),
            (false, false) => format!("{name} clock-in missing"),
        }
    }

    /// What the scan screen says of a punch (R5, R7, R11): it says what
    /// the day's record will say. A lateness is 迟到 N 分钟, over the limit
    /// 旷工; a session's first punch at or after its midpoint is a missing
    /// clock-in, told to a person who has just arrived as that (and what
    /// to do), not as 外出.
    pub fn punch(self, p: &PunchFacts, tz: Tz) -> ScanWords {
        let t = hm(tz, p.at);
        let due = p.expected.map(|(a, _)| hm(tz, a)).unwrap_or_default();
        let leave_at = p.expected.map(|(_, d)| hm(tz, d)).unwrap_or_default();
        let live = &p.live;
        let fact = self.recorded_at(&t);
        if !p.judged {
            return ScanWords::fine(
                self.pick("打卡成功", "Scan recorded"),
                String::new(),
                self.pick(format!("{t} 打卡已保存（此时段不考勤）"), format!("Scanned {t}: nothing is judged now")),
                Tone::Ok,
            );
        }
        if live.missing_in {
            let mid = p.expected.map(|(a, d)| hm(tz, a + (d - a) / 2)).unwrap_or_default();
            return ScanWords::problem(
                self.missing_in_state(p.session),
                fact,
                self.pick(format!("{t} 晚于 {mid}，不计上班卡"), format!("{t} is after {mid}: not a clock-in")),
                self.pick("请在我的考勤申请补卡", "Ask for a fix under My attendance"),
                Tone::Bad,
            );
        }
        let normal = Term::Normal.label(self.0);
        match live.meaning {
            Meaning::In if live.absent => ScanWords::problem(
                self.pick(format!("旷工{}", glossary::half_days(1, self.0)), "Absent half a day"),
                fact,
                self.pick(
                    format!("迟到 {} 分钟，超过 {} 分钟按旷工计（应到 {due}）", live.minutes, p.absent_after),
                    format!("{} min late, over {}: counted as absent (due {due})", live.minutes, p.absent_after),
                ),
                self.pick("如有事由，请在我的考勤申请请假", "If there was a reason, ask for leave under My attendance"),
                Tone::Bad,
            ),
            Meaning::In if live.minutes > 0 => ScanWords::problem(
                self.pick(format!("迟到 {} 分钟", live.minutes), format!("Late {} min", live.minutes)),
                fact,
                self.pick(format!("{t} 打卡，应到 {due}"), format!("Scanned {t}, due {due}")),
                String::new(),
                Tone::Warn,
            ),
            Meaning::In => ScanWords::fine(
                self.pick("上班打卡成功", "Clock-in recorded"),
                normal,
                self.pick(format!("{t} 打卡，应到 {due}，祝工作顺利"), format!("Scanned {t}, due {due}")),
                Tone::Ok,
            ),
            Meaning::GoingOut => {
                let mut w = ScanWords::fine(
                    self.pick("外出已记录", "Out recorded"),
                    String::new(),
                    self.pick(format!("{t} 外出，回来时请再刷卡"), format!("Out at {t}: scan again when you are back")),
                    Tone::Info,
                );
                w.todo = self.if_not_back(p, &leave_at);
                w
            }
            Meaning::Back => ScanWords::fine(
                self.pick("欢迎回来", "Welcome back"),
                String::new(),
                self.pick(format!("{t} 返岗"), format!("Back at {t}")),
                Tone::Ok,
            ),
            Meaning::Out => ScanWords::fine(
                self.pick("下班打卡成功", "Clock-out recorded"),
                normal,
                self.pick(format!("{t} 下班，应走 {leave_at}，辛苦了"), format!("Left {t}, due {leave_at}. See you")),
                Tone::Ok,
            ),
        }
    }

    /// "今日第 N 次打卡": the punch's place among the person's punches of
    /// the day.
    pub fn nth_today(self, n: usize) -> String {
        self.pick(format!("今日第 {n} 次打卡"), format!("Punch {n} today"))
    }

    /// The staff number as the scan screen labels it.
    pub fn staff_no(self, no: &str) -> String {
        self.pick(format!("工号 {no}"), format!("No. {no}"))
    }

    /// A second scan within the duplicate window.
    pub fn duplicate(self, first: &str) -> ScanWords {
        ScanWords::fine(
            self.pick("已打过卡", "Already recorded"),
            String::new(),
            self.pick(
                format!("已于 {first} 记录，无需重复刷卡"),
                format!("Recorded at {first}; no need to scan again"),
            ),
            Tone::Info,
        )
    }

    /// An unknown card: a short headline (it never wraps a character onto
    /// a line of its own), the card id below it (people copy it down for
    /// the admin) and what to do. The scan is kept: enrolling the card
    /// attaches it (R3).
    pub fn unknown_card(self, card: &str) -> ScanWords {
        ScanWords::problem(
            self.pick("未登记的卡", "Unknown card"),
            self.pick("本次刷卡已保存", "The scan is kept"),
            self.pick(format!("卡号 {card}"), format!("Card {card}")),
            self.pick("请联系管理员登记", "Ask an admin to enrol it"),
            Tone::Bad,
        )
    }

    /// A card read for 查询 or 管理 that opens nothing: nobody holds it.
    pub fn unknown_card_looked_up(self, card: &str) -> ScanWords {
        ScanWords::problem(
            self.pick("未登记的卡", "Unknown card"),
            self.not_punched(),
            self.pick(format!("卡号 {card}"), format!("Card {card}")),
            self.pick("请联系管理员登记", "Ask an admin to enrol it"),
            Tone::Bad,
        )
    }

    /// 管理 for someone who is neither a head nor an admin.
    pub fn may_not_manage(self, name: &str) -> ScanWords {
        ScanWords::fine(
            self.pick("不能进入管理", "Not for management"),
            self.not_punched(),
            self.pick(format!("{name} 不是科长或管理员"), format!("{name} is neither a section head nor an admin")),
            Tone::Info,
        )
    }

    /// Under an identification's answer: the scan was not a punch.
    pub fn not_punched(self) -> String {
        self.pick("本次刷卡未记录打卡", "No punch was recorded")
    }

    /// A scan that could not be stored; `why` is the store's reason.
    pub fn not_recorded(self, why: &str) -> ScanWords {
        ScanWords::problem(
            self.pick("未能保存", "Not recorded"),
            String::new(),
            why.to_string(),
            self.pick("请重新刷卡", "Please scan again"),
            Tone::Bad,
        )
    }

    /// A reader's state change; `why` is the reader's detail.
    pub fn reader_event(self, connected: bool, why: &str) -> ScanWords {
        if connected {
            ScanWords::fine(self.pick("读卡器已连接", "Reader connected"), String::new(), why.to_string(), Tone::Ok)
        } else {
            ScanWords::problem(
                self.pick("读卡器故障", "Reader fault"),
                String::new(),
                why.to_string(),
                self.pick("请联系管理员", "Call an admin"),
                Tone::Bad,
            )
        }
    }

    // ---- the idle screen ----

    /// The reader's status mark.
    pub fn reader_mark(self, state: crate::kiosk::reader::ReaderState) -> (String, Tone) {
        use crate::kiosk::reader::ReaderState as R;
        match state {
            R::Connected => (self.pick("读卡器正常", "Reader OK"), Tone::Ok),
            R::Disconnected => (self.pick("读卡器未连接", "Reader unplugged"), Tone::Bad),
            R::Error => (self.pick("读卡器故障", "Reader fault"), Tone::Bad),
        }
    }

    /// Where the time comes from: a synchronized clock, the central
    /// server's (an intranet without a time server), or neither.
    pub fn clock_mark(self, source: crate::kiosk::clock::TimeSource) -> (String, Tone) {
        use crate::kiosk::clock::TimeSource as T;
        match source {
            T::System => (self.pick("时钟已同步", "Clock synced"), Tone::Ok),
            T::Server => (self.pick("时间以服务器为准", "Time from the server"), Tone::Ok),
            T::Unsynchronized => (self.pick("时钟未同步", "Clock not synced"), Tone::Warn),
        }
    }

    /// The warning on the head's and the admin's screens when this
    /// year's holiday calendar is missing (empty when it is known).
    pub fn calendar_warning(self, known: bool) -> String {
        if known {
            String::new()
        } else {
            self.pick(
                "缺少今年的节假日日历：法定节假日会被算作旷工，请管理员导入日历",
                "Holiday calendar missing: holidays would count as absences. Admin: import it",
            )
        }
    }

    /// What the idle screen says while 查询 or 管理 is armed: (title, note).
    pub fn armed(self, purpose: crate::kiosk::live::Purpose) -> (String, String) {
        use crate::kiosk::live::Purpose;
        let title = match purpose {
            Purpose::Lookup => self.pick("请刷卡查询", "Scan your badge to look"),
            Purpose::Manage => self.pick("请刷卡进入管理", "Scan your badge to manage"),
        };
        (title, self.pick("本次刷卡不记录打卡", "This scan is not a punch"))
    }

    /// The central-sync mark (empty without a central server). While the
    /// kiosk keeps the server's time (`source` is `Server`) the system
    /// clock's offset is not shown: it no longer touches a punch, and the
    /// clock mark already says where the time comes from.
    pub fn sync_mark(
        self,
        status: Option<&crate::kiosk::sync::Status>,
        source: crate::kiosk::clock::TimeSource,
    ) -> (String, Tone) {
        let Some(st) = status else { return (String::new(), Tone::Neutral) };
        if let Some(e) = &st.last_error {
            let short: String = e.chars().take(40).collect();
            return (self.pick(format!("同步失败：{short}"), format!("Sync failed: {short}")), Tone::Bad);
        }
        if st.refused > 0 {
            return (
                self.pick(format!("中心拒收 {} 条", st.refused), format!("{} refused by central", st.refused)),
                Tone::Bad,
            );
        }
        if st.records_refused {
            return (self.pick("原始记录被中心拒收", "Records refused by central"), Tone::Bad);
        }
        let offset = st.clock_offset_ms.filter(|_| source != crate::kiosk::clock::TimeSource::Server);
        let (clock, clock_tone) = self.clock_note(offset);
        if st.waiting > 0 {
            return (
                self.pick(format!("{} 条待同步{clock}", st.waiting), format!("{} waiting to sync{clock}", st.waiting)),
                Tone::Warn,
            );
        }
        if st.last_success.is_none() {
            return (self.pick("正在连接中心", "Connecting to central"), Tone::Warn);
        }
        (self.pick(format!("已同步到中心{clock}"), format!("Synced to central{clock}")), clock_tone)
    }

    /// The kiosk's clock against the server's (server minus kiosk, ms):
    /// nothing within 2 s (the `Date` header counts whole seconds), a note
    /// beyond, a warning beyond a minute (punches would be judged off).
    fn clock_note(self, offset_ms: Option<i64>) -> (String, Tone) {
        let Some(ms) = offset_ms.filter(|ms| ms.abs() >= 2_000) else { return (String::new(), Tone::Ok) };
        let secs = ms.abs() / 1000;
        let amount = if secs >= 120 {
            self.pick(format!("{} 分钟", secs / 60), format!("{} min", secs / 60))
        } else {
            self.pick(format!("{secs} 秒"), format!("{secs} s"))
        };
        let text = match ms > 0 {
            true => self.pick(format!(" · 本机时钟慢 {amount}"), format!(" · clock {amount} behind")),
            false => self.pick(format!(" · 本机时钟快 {amount}"), format!(" · clock {amount} ahead")),
        };
        (text, if secs > 60 { Tone::Warn } else { Tone::Ok })
    }

    /// The kiosk cannot work: its database could not be opened or read.
    pub fn store_unavailable(self, detail: &str) -> String {
        self.pick(
            format!("考勤数据库无法使用，刷卡不会被记录，请联系管理员：{detail}"),
            format!("The attendance database cannot be used; scans are not recorded. Call an admin: {detail}"),
        )
    }

    /// The kiosk's loop stopped on an internal error and is starting again.
    pub fn kiosk_restarted(self, detail: &str) -> String {
        self.pick(
            format!("考勤终端内部错误，正在重新启动，刷卡暂不记录：{detail}"),
            format!("The kiosk hit an internal error and is restarting; scans are not recorded meanwhile: {detail}"),
        )
    }

    /// (date, weekday) of the idle clock.
    pub fn date(self, d: NaiveDate) -> (String, String) {
        if self.zh() {
            let wd = ["星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"]
                [d.weekday().num_days_from_monday() as usize];
            (d.format("%Y年%-m月%-d日").to_string(), wd.to_string())
        } else {
            (d.format("%-d %B %Y").to_string(), d.format("%A").to_string())
        }
    }

    // ---- a person's month ----

    pub fn month_title(self, name: &str, month: NaiveDate) -> String {
        self.pick(
            format!("{name} · {}年{}月", month.year(), month.month()),
            format!("{name} · {}", month.format("%B %Y")),
        )
    }

    pub fn month_day_label(self, d: NaiveDate) -> String {
        let wd = ["一", "二", "三", "四", "五", "六", "日"][d.weekday().num_days_from_monday() as usize];
        self.pick(format!("{} 周{wd}", d.format("%m-%d")), d.format("%m-%d %a").to_string())
    }

    /// Absent sessions as days, the way people count them (the glossary's).
    pub fn absent_days(self, sessions: u32) -> String {
        glossary::half_days(sessions, self.0)
    }

    /// A month's totals: the figures found, or that nothing was.
    pub fn month_totals(self, t: &Figures) -> String {
        self.figure_line(t)
    }

    /// The reasons a person may give for a correction request.
    pub fn request_reasons(self) -> [&'static str; 3] {
        if self.zh() {
            ["忘打卡", "外出办事", "设备故障"]
        } else {
            ["Forgot", "On business", "Reader fault"]
        }
    }

    /// The request form's title: "补卡 11-19 周四" / "请假 11-18 周三".
    pub fn request_title(self, leave: bool, date: NaiveDate) -> String {
        let day = self.month_day_label(date);
        match leave {
            false => self.pick(format!("补卡 {day}：打卡时间和原因"), format!("Fix {day}: the time and why")),
            true => self.pick(format!("请假 {day}：假别和时段"), format!("Leave {day}: the kind and when")),
        }
    }

    pub fn request_sent(self, at: &str) -> String {
        self.pick(
            format!("已提交 {at} 的补卡申请，等待科长审批"),
            format!("Request for {at} sent; waiting for your head"),
        )
    }

    // ---- PIN ----

    pub fn pin_wrong(self, left: u32) -> String {
        self.pick(format!("PIN 错误，还可尝试 {left} 次"), format!("Wrong PIN: {left} tries left"))
    }

    pub fn pin_locked(self, until: &str) -> String {
        self.pick(format!("输错 5 次，已锁定至 {until}"), format!("5 wrong PINs: locked until {until}"))
    }

    // ---- section head mode ----

    pub fn rest(self) -> String {
        self.pick("休息", "rest")
    }

    pub fn absent(self) -> String {
        self.pick("旷工", "absent")
    }

    pub fn not_in_yet(self) -> String {
        self.pick("未到", "not yet in")
    }

    pub fn missing_in(self) -> String {
        self.pick("上班缺卡", "clock-in missing")
    }

    /// The roster's word for where a present person is now, by their last punch.
    pub fn whereabouts(self, m: Meaning) -> (String, Tone) {
        match m {
            Meaning::GoingOut => (self.pick("外出", "out (will return)"), Tone::Warn),
            Meaning::Out => (self.pick("已下班", "left"), Tone::Neutral),
            Meaning::In | Meaning::Back => (self.pick("在岗", "present"), Tone::Ok),
        }
    }

    /// 值班 today, said before the state.
    pub fn on_roster(self, state: &str) -> String {
        self.pick(format!("值班 · {state}"), format!("on duty roster · {state}"))
    }

    /// A category of the roster's count bar.
    pub fn tally(self, t: crate::kiosk::service::Tally) -> String {
        use crate::kiosk::service::Tally;
        match t {
            Tally::Expected => Term::Expected.label(self.0),
            Tally::Present => Term::Present.label(self.0),
            Tally::Late => Term::Late.label(self.0),
            Tally::Missing => Term::Missing.label(self.0),
            Tally::Absent => Term::Absent.label(self.0),
            Tally::Away => format!("{}/{}", Term::Leave.label(self.0), Term::Duty.word(self.0)),
            Tally::NotIn => Term::NotIn.label(self.0),
        }
    }

    /// The count bar in one line: "应到 4 · 已到 2 · 迟到 1 · …".
    pub fn tallies(self, counts: &[(crate::kiosk::service::Tally, u32)]) -> String {
        counts.iter().map(|(t, n)| format!("{} {n}", self.tally(*t))).collect::<Vec<_>>().join(" · ")
    }

    pub fn duplicate_word(self) -> String {
        self.pick("重复", "duplicate")
    }

    pub fn voided_word(self) -> String {
        self.pick("已作废", "voided")
    }

    pub fn added_flag(self) -> String {
        self.pick("补卡", "added")
    }

    /// How fresh the other doors' punches are (`None`: never received).
    pub fn doors_fresh(self, at: Option<String>) -> String {
        match at {
            Some(t) => self.pick(format!("其他门岗的刷卡：{t} 更新"), format!("Other doors' punches as of {t}")),
            None => self.pick(
                "其他门岗的刷卡：尚未收到（与中心断开）",
                "Other doors' punches: none received yet (server unreachable)",
            ),
        }
    }

    /// A punch made at another door of the unit (its display name, 侧门,
    /// else its kiosk's id).
    pub fn door_flag(self, origin: &str) -> String {
        self.pick(format!("{origin}刷卡"), format!("at {origin}"))
    }

    pub fn unsynced_flag(self) -> String {
        self.pick("时钟未同步", "clock unsynced")
    }

    pub fn leave_recorded(self, name: &str, kind: &str) -> String {
        self.pick(format!("已登记 {name} {kind}"), format!("Recorded {kind} for {name}"))
    }

    /// Between the whys of one day on a line: "；" or "; ".
    pub fn why_sep(self) -> &'static str {
        if self.zh() {
            "；"
        } else {
            "; "
        }
    }

    /// The leave form's kinds: (stored kind, word on the screen), leave
    /// first, then the duty kinds of the config.
    pub fn leave_kinds(self, duty_kinds: &[String]) -> Vec<(String, String)> {
        LEAVE_KINDS
            .iter()
            .map(|k| k.to_string())
            .chain(duty_kinds.iter().cloned())
            .map(|k| {
                let en = KIND_WORDS_EN.iter().find(|(zh, _)| *zh == k).map_or(k.as_str(), |(_, en)| en);
                let word = self.pick(k.clone(), en);
                (k, word)
            })
            .collect()
    }

    /// The days of a leave form: "11-27 周五" or "11-27 周五 – 12-03 周四 · 7 天".
    pub fn leave_dates(self, first: NaiveDate, last: NaiveDate) -> String {
        let n = (last - first).num_days() + 1;
        if n <= 1 {
            return self.month_day_label(first);
        }
        let (a, b) = (self.month_day_label(first), self.month_day_label(last));
        self.pick(format!("{a} – {b} · {n} 天"), format!("{a} – {b} · {n} days"))
    }

    pub fn bad_leave_days(self, max: i64) -> String {
        self.pick(
            format!("请假天数不对（最多 {max} 天，结束不能早于开始）"),
            format!("bad leave days (at most {max}; the end not before the start)"),
        )
    }

    /// The confirmation before leave is recorded.
    pub fn confirm_leave(self, name: &str, kind: &str, dates: &str) -> String {
        self.pick(format!("登记 {name} {kind}：{dates}？"), format!("Record {kind} leave for {name}: {dates}?"))
    }

    /// 上午 / 下午 (1, 2) in the confirmation's words.
    pub fn pick_span(self, span: i32) -> String {
        match span {
            1 => self.pick("上午", "morning"),
            _ => self.pick("下午", "afternoon"),
        }
    }

    /// The head's 补卡 dialog's title.
    pub fn fix_title(self, name: &str, day: &str) -> String {
        self.pick(
            format!("为 {name} 补卡 · {day}：时间和原因"),
            format!("Add a punch for {name} · {day}: when and why"),
        )
    }

    pub fn confirm_add_punch(self, name: &str, at: &str, why: &str) -> String {
        self.pick(format!("为 {name} 补卡 {at}（{why}）？"), format!("Add a punch for {name} at {at} ({why})?"))
    }

    pub fn confirm_revoke_leave(self) -> String {
        self.pick("销假（作废这条请假记录）？", "Revoke this leave record?")
    }

    pub fn confirm_decide(self, approve: bool) -> String {
        if approve {
            self.pick("批准这条补卡申请（补上这次打卡）？", "Approve this request (the punch is added)?")
        } else {
            self.pick("驳回这条补卡申请？", "Reject this request?")
        }
    }

    pub fn confirm_decide_leave(self, approve: bool) -> String {
        if approve {
            self.pick("批准这条请假申请（登记这次请假）？", "Approve this leave request (the leave is recorded)?")
        } else {
            self.pick("驳回这条请假申请？", "Reject this leave request?")
        }
    }

    /// Whose punch is voided is named: the pane may show anyone's day.
    pub fn confirm_void(self, name: &str, time: &str) -> String {
        self.pick(
            format!("作废 {name} {time} 的打卡？请选择原因："),
            format!("Void {name}'s punch at {time}? Pick the reason:"),
        )
    }

    /// The void reasons in the screen's language.
    pub fn void_reasons(self) -> Vec<String> {
        let en = ["Wrong card", "Duplicate", "Device fault", "Other"];
        VOID_REASONS.iter().zip(en).map(|(zh, en)| self.pick(*zh, en)).collect()
    }

    pub fn same_start_and_end(self) -> String {
        self.pick("开始和结束时间相同", "start and end are the same")
    }

    pub fn no_sessions(self) -> String {
        self.pick("这一天没有上班时段", "no sessions that day")
    }

    pub fn revoked_mark(self) -> String {
        self.pick("（已销假）", " (revoked)")
    }

    pub fn leave_revoked(self) -> String {
        self.pick("已销假", "Leave revoked")
    }

    pub fn spot_check_recorded(self, n: usize) -> String {
        self.pick(format!("已记录查岗 {n} 人"), format!("Spot check of {n} recorded"))
    }

    /// The reasons a head gives for an added punch or a void.
    pub fn correction_reasons(self) -> [&'static str; 4] {
        ["忘打卡", "设备故障", "外出办事", "刷错卡"]
    }

    pub fn punch_added(self, at: &str) -> String {
        self.pick(format!("已补卡 {at}"), format!("Punch added at {at}"))
    }

    pub fn punch_voided(self) -> String {
        self.pick("已作废", "Punch voided")
    }

    pub fn request_state(self, decision: Option<(bool, &str)>) -> String {
        match decision {
            None => String::new(),
            Some((true, by)) => self.pick(format!("（{by} 已批准）"), format!(" (approved by {by})")),
            Some((false, by)) => self.pick(format!("（{by} 已驳回）"), format!(" (rejected by {by})")),
        }
    }

    /// A request's state on the person's own day: 待审批, 已批准, 已驳回.
    pub fn request_state_short(self, approved: Option<bool>) -> String {
        match approved {
            None => self.pick("待审批", "waiting"),
            Some(true) => self.pick("已批准", "approved"),
            Some(false) => self.pick("已驳回", "rejected"),
        }
    }

    /// Who decides a person's requests: their unit's heads by name.
    pub fn approver(self, heads: &[String]) -> String {
        if heads.is_empty() {
            return self.pick("本科室没有科长，申请将由管理员处理", "Your unit has no head: an admin will see it");
        }
        self.pick(format!("由 {} 审批", heads.join("、")), format!("{} will decide", heads.join(", ")))
    }

    /// The reasons a person may give for a leave request.
    pub fn leave_reasons(self) -> [&'static str; 4] {
        if self.zh() {
            LEAVE_REASONS
        } else {
            ["Something came up", "Unwell", "Family matter", "Other"]
        }
    }

    /// What a request asks for: 补卡 or 请假 (a word before the request).
    pub fn fix_word(self) -> String {
        self.pick("补卡", "fix")
    }

    pub fn leave_request_word(self) -> String {
        self.pick("请假", "leave")
    }

    /// A leave or duty kind (stored in Chinese) in the screen's language.
    pub fn kind_word(self, kind: &str) -> String {
        let en = KIND_WORDS_EN.iter().find(|(zh, _)| *zh == kind).map_or(kind, |(_, en)| en);
        self.pick(kind, en)
    }

    /// A span of leave in the person's zone: "11-19 08:30–12:00", with the
    /// end's date too when it is another day.
    pub fn span_words(
        self,
        tz: chrono_tz::Tz,
        from: crate::domain::time::Instant,
        to: crate::domain::time::Instant,
    ) -> String {
        let (a, b) = (instant_to_local(tz, from), instant_to_local(tz, to));
        let end = if a.date() == b.date() { b.format("%H:%M") } else { b.format("%m-%d %H:%M") };
        format!("{}–{end}", a.format("%m-%d %H:%M"))
    }

    pub fn unknown_kind(self, kind: &str) -> String {
        self.pick(format!("没有“{kind}”这种假别"), format!("No such kind of leave: {kind}"))
    }

    pub fn leave_request_sent(self, kind: &str, when: &str) -> String {
        let k = self.kind_word(kind);
        self.pick(
            format!("已提交 {when} 的{k}申请，等待科长审批"),
            format!("Request for {k} on {when} sent; waiting for your head"),
        )
    }

    pub fn leave_decided(self, approve: bool) -> String {
        if approve {
            self.pick("已批准，请假已登记", "Approved: the leave is recorded")
        } else {
            self.pick("已驳回", "Rejected")
        }
    }

    pub fn decided(self, approve: bool) -> String {
        if approve {
            self.pick("已批准，补卡已生效", "Approved: the punch is added")
        } else {
            self.pick("已驳回", "Rejected")
        }
    }

    /// Why an action was refused: the person acting may not do it.
    pub fn refused(self, why: Refusal) -> String {
        match why {
            Refusal::NotSignedIn => self.pick("请先刷卡并输入 PIN", "Scan your card and enter your PIN first"),
            Refusal::NotAHead => self.pick("只有科长可以这样做", "Only a section head may do this"),
            Refusal::NotAnAdmin => self.pick("只有管理员可以登记卡", "Only an admin may enroll cards"),
            Refusal::OtherUnit => self.pick("这条记录不属于您的科室", "This record is not of your unit"),
            Refusal::Unknown => self.pick("没有这条记录", "No such record"),
            Refusal::VoidedBefore => self.pick(
                "同一条记录以前登记过并已作废（销假），不能再登记同一时间：请换一个时间",
                "The same record was entered and voided before: choose another time",
            ),
            Refusal::RequestVoided => self.pick(
                "申请的时间以前补过卡并已作废，无法批准：请驳回，由本人另报时间",
                "A punch at the requested time was added and voided before: reject it and ask for another time",
            ),
            Refusal::Future => self.pick("不能为将来的时间补卡", "A correction cannot be for a time still to come"),
            Refusal::Inactive => self.pick(
                "这一天未启用（本机或本人尚未开始考勤），不能补卡",
                "That day is not active (before the kiosk or the person began): no correction",
            ),
            Refusal::LeaveRequestVoided => self.pick(
                "这段请假以前登记过并已销假，不能再批准：请驳回，由本人另报时段",
                "This leave was entered and revoked before: reject it and ask for another time",
            ),
            Refusal::BadReason => self.pick(
                format!("原因不能为空，也不能超过 {MAX_REASON_CHARS} 个字"),
                format!("The reason must be given and at most {MAX_REASON_CHARS} characters"),
            ),
        }
    }

    /// Today's counts above the summary: the roster's count bar.
    pub fn summary_today(self, today: NaiveDate, counts: &[(crate::kiosk::service::Tally, u32)]) -> String {
        let day = self.month_day_label(today);
        self.pick(format!("今日 {day}：{}", self.tallies(counts)), format!("Today {day}: {}", self.tallies(counts)))
    }

    /// "11-01 周日 至 11-20 周五".
    pub fn bad_range(self, max: i64) -> String {
        self.pick(
            format!("日期范围不对：结束不早于开始、不晚于今天，最多 {max} 天"),
            format!("Bad range: the end not before the start nor after today, at most {max} days"),
        )
    }

    pub fn period_words(self, from: NaiveDate, to: NaiveDate) -> String {
        let (a, b) = (self.month_day_label(from), self.month_day_label(to));
        self.pick(format!("{a} 至 {b}"), format!("{a} to {b}"))
    }

    /// A day's symbol in the month grid, DingTalk's (BULLETIN.md): 正常 √,
    /// 迟到 ★, 早退 ▲, 旷工 ○, 缺卡 ⊙, 事假 ×, 病假 △; beyond that legend
    /// (our choice): 空岗 ◇, 查岗不在岗 ◆, other leave and duty their
    /// kind's first character, a day still running "·", rest and 未启用
    /// blank.
    pub fn grid_symbol(self, m: Mark, kind: Option<&str>) -> String {
        let first = |k: &str| self.kind_word(k).chars().next().map(String::from).unwrap_or_default();
        match m {
            Mark::Blank => String::new(),
            Mark::Normal => "√".into(),
            Mark::Late => "★".into(),
            Mark::Early => "▲".into(),
            Mark::Absent => "○".into(),
            Mark::Missing => "⊙".into(),
            Mark::OffPost => "◇".into(),
            Mark::SpotCheck => "◆".into(),
            Mark::Leave => match kind {
                Some("事假") | None => "×".into(),
                Some("病假") => "△".into(),
                Some(k) => first(k),
            },
            Mark::Duty => kind.map_or_else(|| self.pick("公", "B"), first),
            Mark::Pending => "·".into(),
        }
    }

    /// The month grid's legend: (symbol, word, mark), one entry a colour,
    /// in the glossary's words.
    pub fn grid_legend(self) -> Vec<(String, String, Mark)> {
        let l = self.0;
        [
            ("√", Term::Normal, Mark::Normal),
            ("★", Term::Late, Mark::Late),
            ("▲", Term::Early, Mark::Early),
            ("○", Term::Absent, Mark::Absent),
            ("⊙", Term::Missing, Mark::Missing),
            ("◇", Term::OffPost, Mark::OffPost),
            ("◆", Term::SpotCheckAbsent, Mark::SpotCheck),
            ("× △", Term::Leave, Mark::Leave),
            ("公 出", Term::Duty, Mark::Duty),
        ]
        .into_iter()
        .map(|(sym, t, m)| {
            let sym = if self.zh() || m != Mark::Duty { sym.to_string() } else { "B".to_string() };
            (sym, t.label(l), m)
        })
        // Today, while it runs: judged when it is over.
        .chain(std::iter::once(("·".to_string(), self.pick("今日进行中", "today, running"), Mark::Pending)))
        .collect()
    }

    /// The summary table's headers, one line each: the glossary's words.
    pub fn summary_columns(self) -> Vec<String> {
        let l = self.0;
        let mut cols = vec![self.pick("姓名", "Name"), self.pick("出勤", "Days in")];
        cols.extend(
            [
                Term::Late,
                Term::Early,
                Term::Absent,
                Term::Missing,
                Term::OffPost,
                Term::SpotCheckAbsent,
                Term::Leave,
                Term::Duty,
            ]
            .map(|t| t.label(l)),
        );
        cols
    }

    /// What the calendar sets: 开始日期 / 结束日期.
    pub fn date_field(self, first: bool) -> String {
        match first {
            true => self.pick("开始日期", "First day"),
            false => self.pick("结束日期", "Last day"),
        }
    }

    /// "2026年11月" / "November 2026".
    pub fn month_name(self, d: NaiveDate) -> String {
        self.pick(format!("{}年{}月", d.year(), d.month()), d.format("%B %Y").to_string())
    }

    /// The weekday's one character (一 … 日) or two letters (Mo … Su).
    pub fn weekday_short(self, d: NaiveDate) -> String {
        let i = d.weekday().num_days_from_monday() as usize;
        self.pick(["一", "二", "三", "四", "五", "六", "日"][i], ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"][i])
    }

    /// A weekday in a month grid's narrow column: 一 … 日, M … S.
    pub fn weekday_letter(self, d: NaiveDate) -> String {
        let i = d.weekday().num_days_from_monday() as usize;
        self.pick(["一", "二", "三", "四", "五", "六", "日"][i], ["M", "T", "W", "T", "F", "S", "S"][i])
    }

    /// "12 天".
    pub fn days(self, n: u32) -> String {
        glossary::days(n, self.0)
    }

    /// "3 次" ("—" for none).
    pub fn times(self, n: u32) -> String {
        glossary::times(n, self.0)
    }

    /// "2 次 25 分钟" ("—" for none).
    pub fn times_and_minutes(self, n: u32, minutes: u32) -> String {
        glossary::times_and_minutes(n, minutes, self.0)
    }

    // ---- admin mode ----

    pub fn enrolled(self, card: &str, staff_no: &str) -> String {
        self.pick(format!("卡 {card} 已登记给 {staff_no}"), format!("Card {card} enrolled to {staff_no}"))
    }

    /// A staff row's second line on the admin screen: unit and cards.
    pub fn enrol_detail(self, unit: &str, cards: &[String]) -> String {
        match cards {
            [] => self.pick(format!("{unit} · 无卡"), format!("{unit} · no card")),
            _ => self.pick(format!("{unit} · 卡 {}", cards.join("、")), format!("{unit} · card {}", cards.join(", "))),
        }
    }

    /// What 登记 will do, above the button.
    pub fn enrol_plan(self, card: &str, staff_no: &str, name: &str) -> String {
        self.pick(format!("卡 {card} → {staff_no} {name}"), format!("Card {card} → {staff_no} {name}"))
    }

    /// The question before an enrolment; a person's other cards stay valid.
    pub fn confirm_enroll(self, card: &str, staff_no: &str, name: &str, cards: &[String]) -> String {
        let q = self.pick(
            format!("把卡 {card} 登记给 {staff_no} {name}？今天起此卡的打卡都算作{name}的。"),
            format!("Enroll card {card} to {staff_no} {name}? Its scans count as {name}'s."),
        );
        match cards {
            [] => q,
            _ => {
                q + &self.pick(
                    format!("（{name} 现有的卡 {} 仍然有效）", cards.join("、")),
                    format!(" ({name}'s card {} stays valid.)", cards.join(", ")),
                )
            }
        }
    }

    pub fn device_status(
        self,
        kind: &str,
        clock: crate::kiosk::clock::TimeSource,
        db: &str,
        version: &str,
    ) -> Vec<String> {
        let (clock, _) = self.clock_mark(clock);
        let kind = self.reader_kind(kind);
        if self.zh() {
            vec![
                format!("读卡器：{kind}"),
                format!("时钟：{clock}"),
                format!("数据库：{db}"),
                format!("软件版本：{version}"),
            ]
        } else {
            vec![
                format!("Reader: {kind}"),
                format!("Clock: {clock}"),
                format!("Database: {db}"),
                format!("Version: {version}"),
            ]
        }
    }

    /// The reader kind of the config (`[reader] kind`) in words.
    pub fn reader_kind(self, kind: &str) -> String {
        match kind {
            "rdm6300" => self.pick("RDM6300（125 kHz ID 卡，串口）", "RDM6300 (125 kHz EM4100, serial)"),
            "id12" => self.pick("ID-12LA（125 kHz ID 卡，串口）", "ID-12LA (125 kHz EM4100, serial)"),
            "pn532" => self.pick("PN532（13.56 MHz IC 卡，串口）", "PN532 (13.56 MHz, serial)"),
            "lines" => self.pick("串口读卡器（每行一个卡号）", "Serial reader (one card id a line)"),
            "keyboard" => self.pick("USB 读卡器（键盘式）", "USB reader (keyboard wedge)"),
            "wiegand" => self.pick("韦根读卡器（GPIO）", "Wiegand reader (GPIO)"),
            "simulated" => self.pick("模拟读卡器（演示）", "Simulated reader (demo)"),
            other => other.to_string(),
        }
    }

    pub fn reader_status(self, state: &str, scans: u64, dropped: u64) -> [String; 2] {
        [
            self.pick(format!("读卡器：{state}"), format!("Reader: {state}")),
            self.pick(
                format!("刷卡 {scans} 次 · 读不清的信号 {dropped} 次（已忽略）"),
                format!("{scans} scans · {dropped} unreadable signals ignored (noise on the reader's line)"),
            ),
        ]
    }

    // ---- days: statuses, states and why ----

    /// The words of a status (DingTalk's).
    pub fn status(self, s: Status) -> String {
        Term::from(s).label(self.0)
    }

    /// The short state of a day for a list: its worst figure, in words.
    pub fn day_state(self, rec: &DayRecord) -> (String, Tone) {
        self.state_of(rec, &rec.figures)
    }

    /// A day's state by `f` (its figures as they stand): the worst figure
    /// in the glossary's words ("旷工半天", "缺卡 1 次", "迟到 11 分钟"), or
    /// its status.
    pub fn state_of(self, rec: &DayRecord, f: &Figures) -> (String, Tone) {
        let l = self.0;
        // "旷工半天" but "旷工 1 天"; English always spaced.
        let with = |t: Term, v: String| {
            if self.zh() && !v.starts_with(|c: char| c.is_ascii_digit()) {
                format!("{}{v}", t.label(l))
            } else {
                format!("{} {v}", t.label(l))
            }
        };
        if f.absent_sessions > 0 {
            return (with(Term::Absent, glossary::half_days(f.absent_sessions, l)), Tone::Bad);
        }
        if f.missing_punches > 0 {
            return (with(Term::Missing, glossary::times(f.missing_punches, l)), Tone::Bad);
        }
        if f.late_count > 0 {
            return (with(Term::Late, glossary::minutes(f.late_minutes, l)), Tone::Warn);
        }
        if f.early_count > 0 {
            return (with(Term::Early, glossary::minutes(f.early_minutes, l)), Tone::Warn);
        }
        if f.off_post_count > 0 {
            return (with(Term::OffPost, glossary::minutes(f.off_post_minutes, l)), Tone::Warn);
        }
        if f.spot_check_absences > 0 {
            return (Term::SpotCheckAbsent.label(l), Tone::Bad);
        }
        (self.status(rec.status).to_string(), status_tone(rec.status))
    }

    /// A person's figures in one line: each one found, in the glossary's
    /// words ("迟到 1 次 11 分钟 · 缺卡 1 次"), or that nothing was found.
    pub fn figure_line(self, f: &Figures) -> String {
        let l = self.0;
        let mut parts = Vec::new();
        let mut add = |t: Term, v: String| parts.push(format!("{} {v}", t.label(l)));
        if f.late_count > 0 {
            add(Term::Late, glossary::times_and_minutes(f.late_count, f.late_minutes, l));
        }
        if f.early_count > 0 {
            add(Term::Early, glossary::times_and_minutes(f.early_count, f.early_minutes, l));
        }
        if f.absent_sessions > 0 {
            add(Term::Absent, glossary::half_days(f.absent_sessions, l));
        }
        if f.missing_punches > 0 {
            add(Term::Missing, glossary::times(f.missing_punches, l));
        }
        if f.off_post_count > 0 {
            add(Term::OffPost, glossary::times_and_minutes(f.off_post_count, f.off_post_minutes, l));
        }
        if f.spot_check_absences > 0 {
            add(Term::SpotCheckAbsent, glossary::times(f.spot_check_absences, l));
        }
        if f.leave_minutes > 0 {
            add(Term::Leave, glossary::minutes(f.leave_minutes, l));
        }
        if f.duty_minutes > 0 {
            add(Term::Duty, glossary::minutes(f.duty_minutes, l));
        }
        if parts.is_empty() {
            return self.pick("无异常", "Nothing found");
        }
        parts.join(" · ")
    }

    /// Why the day is what it is, as its own person reads it (我的考勤):
    /// one line per finding, in order.
    pub fn why(self, rec: &DayRecord, grace: Grace, tz: Tz) -> Vec<String> {
        self.why_to(rec, grace, tz, false)
    }

    /// Why, as the person's head reads it: what the head can do
    /// ("可为其补卡"), never "请联系科长" to the 科长.
    pub fn why_for_head(self, rec: &DayRecord, grace: Grace, tz: Tz) -> Vec<String> {
        self.why_to(rec, grace, tz, true)
    }

    fn why_to(self, rec: &DayRecord, grace: Grace, tz: Tz, head: bool) -> Vec<String> {
        let n = rec.sessions.len();
        let mut out = Vec::new();
        for (i, s) in rec.sessions.iter().enumerate() {
            let name = self.session_name(i, n);
            self.why_session(s, &name, grace, tz, head, &mut out);
        }
        if out.is_empty() {
            out.push(match rec.status {
                Status::Rest => self.pick("休息日，不考勤", "Rest day: nothing is judged"),
                Status::Pending => self.pick("今日进行中", "The day is still running"),
                _ => self.pick("正常", "All in order"),
            });
        }
        out
    }

    /// The name of session `i` of `n`: 上午/下午 on a two-session day.
    pub fn session_name(self, i: usize, n: usize) -> String {
        match (n, i) {
            (1, _) => String::new(),
            (2, 0) => self.pick("上午", "Morning: "),
            (2, 1) => self.pick("下午", "Afternoon: "),
            (_, i) => self.pick(format!("第{}节", i + 1), format!("Session {}: ", i + 1)),
        }
    }

    /// The session's own name, without punctuation: 上午 / Morning, or ""
    /// on a one-session day.
    pub fn session_word(self, i: usize, n: usize) -> String {
        match (n, i) {
            (1, _) => String::new(),
            (2, 0) => self.pick("上午", "Morning"),
            (2, 1) => self.pick("下午", "Afternoon"),
            (_, i) => self.pick(format!("第{}节", i + 1), format!("Session {}", i + 1)),
        }
    }

    /// "迟到 11 分钟：08:41 打卡，应到 08:30".
    fn late_line(self, s: &SessionRecord, name: &str, due: &str, tz: Tz) -> String {
        let p = s.in_punch.map(|t| hm(tz, t)).unwrap_or_default();
        self.pick(
            format!("{name}迟到 {} 分钟：{p} 打卡，应到 {due}", s.late),
            format!("{name}late {} min: scanned {p}, due {due}", s.late),
        )
    }

    fn why_session(self, s: &SessionRecord, name: &str, grace: Grace, tz: Tz, head: bool, out: &mut Vec<String>) {
        let a = hm(tz, s.expected_arrival);
        let d = hm(tz, s.expected_departure);
        match s.outcome {
            Outcome::Excused => {
                let duty = s.figures.leave_minutes == 0;
                out.push(match duty {
                    true => self.pick(format!("{name}公出/出差"), format!("{name}on duty away")),
                    false => self.pick(format!("{name}请假"), format!("{name}on leave")),
                });
                return;
            }
            Outcome::Pending => {
                if s.figures.late_count > 0 {
                    out.push(self.late_line(s, name, &a, tz));
                }
                if let (None, Some(first)) = (s.in_punch, s.first_punch) {
                    let p = hm(tz, first);
                    let todo = match head {
                        true => self.pick("可为其补卡", "you can add the punch"),
                        false => self.pick("可申请补卡", "you can ask for a fix"),
                    };
                    out.push(self.pick(
                        format!("{name}缺上班卡：{p} 打卡晚于时段中点（应到 {a}），{todo}"),
                        format!("{name}no clock-in: scanned {p}, past the session's midpoint (due {a}); {todo}"),
                    ));
                }
                return;
            }
            Outcome::Absent => {
                let why = if s.in_punch.is_none() && s.out_punch.is_none() && s.late == 0 && s.early == 0 {
                    self.pick("无打卡记录", "no punches")
                } else if s.late > grace.late && s.late > grace.absent_after {
                    let p = s.in_punch.map(|t| hm(tz, t)).unwrap_or_default();
                    self.pick(
                        format!("迟到 {} 分钟，超过 {} 分钟（{p} 打卡，应到 {a}）", s.late, grace.absent_after),
                        format!("late {} min, over {} (scanned {p}, due {a})", s.late, grace.absent_after),
                    )
                } else {
                    self.pick(
                        format!("早退 {} 分钟，超过 {} 分钟", s.early, grace.absent_after),
                        format!("left {} min early, over {}", s.early, grace.absent_after),
                    )
                };
                out.push(self.pick(format!("{name}旷工：{why}"), format!("{name}absent: {why}")));
                return;
            }
            Outcome::Judged => {}
        }
        if s.late > grace.late {
            out.push(self.late_line(s, name, &a, tz));
        }
        if s.early > grace.early {
            let p = s.out_punch.map(|t| hm(tz, t)).unwrap_or_default();
            out.push(self.pick(
                format!("{name}早退 {} 分钟：{p} 打卡，应走 {d}", s.early),
                format!("{name}left {} min early: scanned {p}, due {d}", s.early),
            ));
        }
        if s.in_punch.is_none() {
            out.push(self.pick(format!("{name}缺上班卡（应到 {a}）"), format!("{name}no in-punch (due {a})")));
        }
        if s.out_punch.is_none() {
            out.push(self.pick(format!("{name}缺下班卡（应走 {d}）"), format!("{name}no out-punch (due {d})")));
        }
        if let Some(t) = s.leftover {
            let t = hm(tz, t);
            out.push(
                self.pick(format!("{name} {t} 外出未刷返回卡（缺卡）"), format!("{name}went out at {t}, no scan back")),
            );
        }
        for tr in s.trips.iter().filter(|t| t.counted) {
            let (l, b) = (hm(tz, tr.left), hm(tz, tr.back));
            out.push(self.pick(
                format!("{name}空岗 {} 分钟：{l} 离开，{b} 返回", tr.minutes),
                format!("{name}off post {} min: left {l}, back {b}", tr.minutes),
            ));
        }
        for t in &s.spot_absences {
            let t = hm(tz, *t);
            out.push(self.pick(format!("{name} {t} 查岗不在岗"), format!("{name}absent at the {t} spot check")));
        }
    }

    /// "08:41 上班 · 10:00 外出 · 10:45 返回 …": what each accepted punch meant.
    pub fn meaning(self, m: Meaning) -> &'static str {
        match (m, self.zh()) {
            (Meaning::In, true) => "上班",
            (Meaning::GoingOut, true) => "外出",
            (Meaning::Back, true) => "返回",
            (Meaning::Out, true) => "下班",
            (Meaning::In, false) => "clock-in",
            (Meaning::GoingOut, false) => "out (will return)",
            (Meaning::Back, false) => "back",
            (Meaning::Out, false) => "clock-out",
        }
    }
}

pub use crate::domain::model::LEAVE_KINDS;

/// The English words of the kinds people use; another kind is shown as it is.
const KIND_WORDS_EN: [(&str, &str); 10] = [
    ("事假", "Personal"),
    ("病假", "Sick"),
    ("年休假", "Annual"),
    ("调休", "Time off in lieu"),
    ("婚假", "Marriage"),
    ("产假", "Maternity"),
    ("丧假", "Bereavement"),
    ("探亲假", "Family visit"),
    ("公出", "Official business"),
    ("出差", "Business trip"),
];

/// The reasons of a leave request (stored in Chinese), in the form's order.
pub const LEAVE_REASONS: [&str; 4] = ["临时有事", "身体不适", "家中有事", "其他"];

/// The void reasons (stored in Chinese), in the screen's order.
pub const VOID_REASONS: [&str; 4] = ["刷错卡", "重复", "设备故障", "其他"];

/// The reason stored with a leave record's void from the touchscreen.
pub const REVOKE_REASON: &str = "销假";

/// Why the service refused an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    NotSignedIn,
    NotAHead,
    NotAnAdmin,
    OtherUnit,
    Unknown,
    /// The same natural key was stored and voided before.
    VoidedBefore,
    /// A correction for a time still to come.
    Future,
    /// A request whose punch was added and voided before.
    RequestVoided,
    /// A correction on a day that is 未启用 (before the kiosk's first day
    /// or the person's, after their last): nothing is judged there.
    Inactive,
    /// A reason that is empty or longer than [`MAX_REASON_CHARS`].
    BadReason,
    /// A leave request for leave entered and revoked before.
    LeaveRequestVoided,
}

/// The longest reason a head may type (a void's 其他): one line of a report.
pub const MAX_REASON_CHARS: usize = 60;

/// The tone of a day's status.
pub fn status_tone(s: Status) -> Tone {
    match s {
        Status::Normal => Tone::Ok,
        Status::Exception => Tone::Warn,
        Status::Absent => Tone::Bad,
        Status::Leave | Status::Duty => Tone::Info,
        Status::Pending | Status::Rest => Tone::Neutral,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rules::{evaluate, DayInput, Schedule};
    use crate::domain::time::parse_time;

    fn grace() -> Grace {
        Grace { late: 0, early: 0, absent_after: 30 }
    }

    #[test]
    fn the_sync_mark_shows_the_clock_offset() {
        use crate::kiosk::clock::TimeSource::{Server, System, Unsynchronized};
        use crate::kiosk::sync::Status;
        let say = Say(Language::ZhCn);
        let synced = |ms| Status { last_success: Some(1), clock_offset_ms: ms, ..Status::default() };
        assert_eq!(say.sync_mark(Some(&synced(Some(900))), System), ("已同步到中心".to_string(), Tone::Ok));
        assert_eq!(
            say.sync_mark(Some(&synced(Some(5_400))), System),
            ("已同步到中心 · 本机时钟慢 5 秒".to_string(), Tone::Ok)
        );
        assert_eq!(
            say.sync_mark(Some(&synced(Some(-300_000))), System),
            ("已同步到中心 · 本机时钟快 5 分钟".to_string(), Tone::Warn)
        );
        let records = Status { records_refused: true, ..synced(None) };
        assert_eq!(say.sync_mark(Some(&records), System), ("原始记录被中心拒收".to_string(), Tone::Bad));
        let waiting = Status { waiting: 3, clock_offset_ms: Some(-4_000), ..Status::default() };
        assert_eq!(say.sync_mark(Some(&waiting), Unsynchronized).0, "3 条待同步 · 本机时钟快 4 秒");
        let failed = Status { last_error: Some("127.0.0.1:9: connection refused".into()), ..synced(None) };
        assert_eq!(say.sync_mark(Some(&failed), System).1, Tone::Bad);
        // Keeping the server's time (an intranet without NTP, a Pi with no
        // battery clock days behind): the system clock's offset is moot.
        assert_eq!(say.sync_mark(Some(&synced(Some(3 * 86_400_000))), Server), ("已同步到中心".to_string(), Tone::Ok));
    }

    #[test]
    fn the_month_grid_marks_a_day_by_its_worst() {
        use crate::kiosk::service::{mark, Standing, Tally};
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        let mark_of = |punches: &[&str]| {
            let punches: Vec<Instant> = punches.iter().map(|p| t(p)).collect();
            let rec = evaluate(&DayInput {
                plan: &plan,
                obligated: true,
                punches: &punches,
                excuses: &[],
                spot_checks: &[],
                thresholds: &s.thresholds,
                now: t("23:00"),
            });
            let st = Standing {
                state: String::new(),
                tone: Tone::Neutral,
                figures: rec.standing_figures(),
                tallies: vec![Tally::Expected],
                inactive: false,
            };
            Say(Language::ZhCn).grid_symbol(mark(&st, rec.status), None)
        };
        assert_eq!(mark_of(&["08:20", "12:01", "14:20", "17:31"]), "√");
        // The morning absent, the afternoon late: 旷工 shows, not the lateness.
        assert_eq!(mark_of(&["14:41", "17:31"]), "○");
        assert_eq!(mark_of(&["08:20", "12:01", "14:41", "17:31"]), "★");
        assert_eq!(mark_of(&["08:20", "12:01", "14:20", "17:00"]), "▲");
        assert_eq!(mark_of(&["08:41", "12:01", "14:20"]), "⊙", "a missed punch outranks lateness");
        assert_eq!(mark_of(&[]), "○");
        // One colour, one meaning: every legend entry's mark differs.
        let legend = Say(Language::ZhCn).grid_legend();
        let marks: std::collections::HashSet<_> = legend.iter().map(|l| l.2).collect();
        assert_eq!(marks.len(), legend.len());
        assert!(legend.iter().any(|l| l.1 == "缺卡") && !legend.iter().any(|l| l.1.contains("漏打卡")));
    }

    #[test]
    fn why_a_late_day_is_late() {
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        let punches: Vec<Instant> = ["08:41", "10:00", "10:45", "12:01", "14:25"].iter().map(|p| t(p)).collect();
        let rec = evaluate(&DayInput {
            plan: &plan,
            obligated: true,
            punches: &punches,
            excuses: &[],
            spot_checks: &[],
            thresholds: &s.thresholds,
            now: t("23:00"),
        });
        let lines = Say(Language::ZhCn).why(&rec, grace(), s.tz);
        assert_eq!(
            lines,
            vec![
                "上午迟到 11 分钟：08:41 打卡，应到 08:30".to_string(),
                "上午空岗 45 分钟：10:00 离开，10:45 返回".to_string(),
                "下午缺下班卡（应走 17:30）".to_string(),
            ]
        );
        let en = Say(Language::En).why(&rec, grace(), s.tz);
        assert_eq!(en[0], "Morning: late 11 min: scanned 08:41, due 08:30");
        assert_eq!(Say(Language::ZhCn).day_state(&rec), ("缺卡 1 次".to_string(), Tone::Bad));
    }

    #[test]
    fn a_running_day_says_what_the_scan_said() {
        let s = Schedule::default();
        let plan = s.plan("2026-11-19".parse().unwrap(), None);
        let t = |x: &str| parse_time(&format!("2026-11-19 {x}"), s.tz).unwrap();
        let judge = |punches: &[Instant], now| {
            evaluate(&DayInput {
                plan: &plan,
                obligated: true,
                punches,
                excuses: &[],
                spot_checks: &[],
                thresholds: &s.thresholds,
                now,
            })
        };
        let say = Say(Language::ZhCn);
        // 09:05, still in the morning: 旷工 at once, with why.
        let rec = judge(&[t("09:05")], t("09:10"));
        assert_eq!(say.day_state(&rec), ("旷工半天".to_string(), Tone::Bad));
        let days: Vec<String> = (1..=4).map(|n| say.absent_days(n)).collect();
        assert_eq!(days, ["半天", "1 天", "1.5 天", "2 天"]);
        let en: Vec<String> = (1..=3).map(|n| Say(Language::En).absent_days(n)).collect();
        assert_eq!(en, ["half a day", "1 day", "1.5 days"]);
        assert_eq!(
            say.why(&rec, grace(), s.tz),
            vec!["上午旷工：迟到 35 分钟，超过 30 分钟（09:05 打卡，应到 08:30）"]
        );
        // 10:32 first: the clock-in is missing, and what to do.
        let rec = judge(&[t("10:32")], t("10:40"));
        assert_eq!(
            say.why(&rec, grace(), s.tz),
            vec!["上午缺上班卡：10:32 打卡晚于时段中点（应到 08:30），可申请补卡"]
        );
    }
}
