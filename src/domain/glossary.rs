//! One glossary for every face: the word for each state of a day and each
//! figure, in Chinese and English, and how a figure is written ("1 次 11
//! 分钟", "半天"). The kiosk's screens (`kiosk::words`), the command line's
//! tables and files (`render`) and the bureau's pages (`central::pages`)
//! all take their words from here, so the same figure reads the same at
//! the door, on the command line and at the bureau.
//!
//! The words are DingTalk's (正常, 迟到, 早退, 旷工, 缺卡, 请假, 公出, 休息):
//! the ones every office user already knows. English: 公出 is "official
//! business" (a duty kind away from the office), not "on duty" (which
//! reads as 值班).

use crate::domain::config::Language;
use crate::domain::rules::Status;

/// A state of a day or a figure of one, as people name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Term {
    /// 正常: every session judged and nothing found.
    Normal,
    /// 异常: something found that is not a whole day's absence.
    Exception,
    /// 迟到: an in-punch after the expected arrival.
    Late,
    /// 早退: an out-punch before the expected departure.
    Early,
    /// 旷工: a session not worked (no punches, or late or early beyond the limit).
    Absent,
    /// 缺卡: a punch that should be there and is not.
    Missing,
    /// 空岗: out of the office between a going-out and a back punch.
    OffPost,
    /// 查岗不在岗: not at post when a spot check found it.
    SpotCheckAbsent,
    /// 请假: on leave.
    Leave,
    /// 公出: away on a duty kind (公出, 出差), counted as at work.
    Duty,
    /// 休息: no obligation that day.
    Rest,
    /// 未启用: before the person's first day (or the kiosk's), or after
    /// their last: nothing to judge, shown blank rather than as 旷工.
    Inactive,
    /// 进行中: the day is still running.
    Pending,
    /// 应到: people with obligations that day.
    Expected,
    /// 已到: people with obligations who punched.
    Present,
    /// 未到: people with obligations who have not punched (and are not away).
    NotIn,
}

impl Term {
    pub fn zh(self) -> &'static str {
        match self {
            Term::Normal => "正常",
            Term::Exception => "异常",
            Term::Late => "迟到",
            Term::Early => "早退",
            Term::Absent => "旷工",
            Term::Missing => "缺卡",
            Term::OffPost => "空岗",
            Term::SpotCheckAbsent => "查岗不在岗",
            Term::Leave => "请假",
            Term::Duty => "公出",
            Term::Rest => "休息",
            Term::Inactive => "未启用",
            Term::Pending => "进行中",
            Term::Expected => "应到",
            Term::Present => "已到",
            Term::NotIn => "未到",
        }
    }

    pub fn en(self) -> &'static str {
        match self {
            Term::Normal => "normal",
            Term::Exception => "exception",
            Term::Late => "late",
            Term::Early => "early",
            Term::Absent => "absent",
            Term::Missing => "missing punch",
            Term::OffPost => "off post",
            Term::SpotCheckAbsent => "absent at spot check",
            Term::Leave => "leave",
            Term::Duty => "official business",
            Term::Rest => "rest",
            Term::Inactive => "not active",
            Term::Pending => "in progress",
            Term::Expected => "expected",
            Term::Present => "in",
            Term::NotIn => "not in",
        }
    }

    /// The word in `lang`.
    pub fn word(self, lang: Language) -> &'static str {
        match lang {
            Language::ZhCn => self.zh(),
            Language::En => self.en(),
        }
    }

    /// The word as a heading or a label: English capitalised ("Late").
    pub fn label(self, lang: Language) -> String {
        let w = self.word(lang);
        match lang {
            Language::ZhCn => w.to_string(),
            Language::En => {
                let mut c = w.chars();
                c.next().map(|f| f.to_uppercase().chain(c).collect()).unwrap_or_default()
            }
        }
    }
}

impl From<Status> for Term {
    fn from(s: Status) -> Term {
        match s {
            Status::Normal => Term::Normal,
            Status::Exception => Term::Exception,
            Status::Absent => Term::Absent,
            Status::Leave => Term::Leave,
            Status::Duty => Term::Duty,
            Status::Pending => Term::Pending,
            Status::Rest => Term::Rest,
        }
    }
}

/// The words for a field of the daily summary (SPEC's names), for the
/// people who read a difference between two judgements of a day: "迟到次数"
/// for `late_count`. An unknown field is its own name.
pub fn field_label(field: &str, lang: Language) -> String {
    let (zh, en) = match field {
        "late_count" => ("迟到次数", "late (times)"),
        "late_minutes" => ("迟到分钟", "late (minutes)"),
        "early_count" => ("早退次数", "early (times)"),
        "early_minutes" => ("早退分钟", "early (minutes)"),
        "absent_sessions" => ("旷工（半天）", "absent (half days)"),
        "absent_minutes" => ("旷工分钟", "absent (minutes)"),
        "off_post_count" => ("空岗次数", "off post (times)"),
        "off_post_minutes" => ("空岗分钟", "off post (minutes)"),
        "missing_punches" => ("缺卡次数", "missing punches"),
        "spot_check_absences" => ("查岗不在岗", "absent at spot check"),
        "spot_checks_present" => ("查岗在岗", "present at spot check"),
        "leave_minutes" => ("请假分钟", "leave (minutes)"),
        "duty_minutes" => ("公出分钟", "official business (minutes)"),
        "corrections" => ("补卡", "corrections"),
        "status" => ("状态", "status"),
        "punches" => ("打卡时间", "punches"),
        "people" => ("在名单中", "listed"),
        "workday" => ("工作日", "workday"),
        "calendar_known" => ("有节假日历", "calendar known"),
        other => return other.to_string(),
    };
    match lang {
        Language::ZhCn => zh.into(),
        Language::En => en.into(),
    }
}

/// The word for a day's status.
pub fn status_word(s: Status, lang: Language) -> &'static str {
    Term::from(s).word(lang)
}

/// What a figure reads as where nothing was found: a dash, not a 0 beside
/// a "—" in the next column.
pub const NONE: &str = "—";

fn zh(lang: Language) -> bool {
    lang == Language::ZhCn
}

/// A count of occurrences: "3 次" / "3×" ("—" for none).
pub fn times(n: u32, lang: Language) -> String {
    match (n, zh(lang)) {
        (0, _) => NONE.into(),
        (n, true) => format!("{n} 次"),
        (n, false) => format!("{n}×"),
    }
}

/// Occurrences and their minutes: "1 次 11 分钟" / "1× 11 min" ("—" for none).
pub fn times_and_minutes(n: u32, minutes: u32, lang: Language) -> String {
    match (n, zh(lang)) {
        (0, _) => NONE.into(),
        (n, true) => format!("{n} 次 {minutes} 分钟"),
        (n, false) => format!("{n}× {minutes} min"),
    }
}

/// Minutes: "11 分钟" / "11 min".
pub fn minutes(m: u32, lang: Language) -> String {
    if zh(lang) {
        format!("{m} 分钟")
    } else {
        format!("{m} min")
    }
}

/// Whole days: "12 天" / "12 days".
pub fn days(n: u32, lang: Language) -> String {
    match (n, zh(lang)) {
        (n, true) => format!("{n} 天"),
        (1, false) => "1 day".into(),
        (n, false) => format!("{n} days"),
    }
}

/// Absent sessions as days, the way people count them: a session is half
/// a day (R7 counts sessions; a two-session day is the usual): "半天",
/// "1 天", "1.5 天" ("—" for none).
pub fn half_days(sessions: u32, lang: Language) -> String {
    let (whole, half) = (sessions / 2, sessions % 2 == 1);
    match (whole, half, zh(lang)) {
        (0, false, _) => NONE.into(),
        (0, true, true) => "半天".into(),
        (0, true, false) => "half a day".into(),
        (d, false, true) => format!("{d} 天"),
        (1, false, false) => "1 day".into(),
        (d, false, false) => format!("{d} days"),
        (d, true, true) => format!("{d}.5 天"),
        (d, true, false) => format!("{d}.5 days"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_the_same_everywhere() {
        let (zh, en) = (Language::ZhCn, Language::En);
        assert_eq!(times_and_minutes(1, 11, zh), "1 次 11 分钟");
        assert_eq!(times_and_minutes(2, 25, en), "2× 25 min");
        assert_eq!((times(0, zh), times_and_minutes(0, 0, en), half_days(0, zh)), ("—".into(), "—".into(), "—".into()));
        let zh_days: Vec<String> = (1..=4).map(|n| half_days(n, zh)).collect();
        assert_eq!(zh_days, ["半天", "1 天", "1.5 天", "2 天"]);
        let en_days: Vec<String> = (1..=3).map(|n| half_days(n, en)).collect();
        assert_eq!(en_days, ["half a day", "1 day", "1.5 days"]);
        assert_eq!(Term::Duty.word(en), "official business");
        assert_eq!(Term::SpotCheckAbsent.label(en), "Absent at spot check");
        assert_eq!(status_word(Status::Duty, zh), "公出");
    }
}
