//! What the screen says, in Chinese or English: the live meaning of a scan
//! and the *why* of a day ("迟到 11 分钟：08:41 打卡，应到 08:30"), in the
//! words people know from DingTalk (正常, 迟到, 早退, 旷工, 缺卡, 外出, 请假,
//! 公出, 补卡). Pure: no IO.

use chrono_tz::Tz;

use crate::config::Language;
use crate::rules::{DayRecord, Meaning, Outcome, SessionRecord, Status};
use crate::time::{instant_to_local, Instant};

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

/// The name of session `i` of `n`: 上午/下午 on a two-session day.
pub fn session_name(i: usize, n: usize, lang: Language) -> String {
    let zh = lang == Language::ZhCn;
    match (n, i, zh) {
        (1, _, true) => String::new(),
        (1, _, false) => String::new(),
        (2, 0, true) => "上午".into(),
        (2, 1, true) => "下午".into(),
        (2, 0, false) => "Morning: ".into(),
        (2, 1, false) => "Afternoon: ".into(),
        (_, i, true) => format!("第{}节", i + 1),
        (_, i, false) => format!("Session {}: ", i + 1),
    }
}

/// The headline, detail and tone of a punch's live meaning.
pub fn punch_words(
    meaning: Meaning,
    minutes: u32,
    at: Instant,
    expected: Option<(Instant, Instant)>,
    tz: Tz,
    lang: Language,
) -> (String, String, Tone) {
    let zh = lang == Language::ZhCn;
    let t = hm(tz, at);
    match meaning {
        Meaning::In if minutes > 0 => {
            let due = expected.map(|(a, _)| hm(tz, a)).unwrap_or_default();
            if zh {
                (format!("迟到 {minutes} 分钟"), format!("{t} 打卡，应到 {due}"), Tone::Warn)
            } else {
                (format!("Late {minutes} min"), format!("Scanned {t}, due {due}"), Tone::Warn)
            }
        }
        Meaning::In => {
            if zh {
                ("上班打卡成功".into(), format!("{t} 到岗，祝工作顺利"), Tone::Ok)
            } else {
                ("In — on time".into(), format!("Arrived {t}"), Tone::Ok)
            }
        }
        Meaning::GoingOut => {
            if zh {
                ("外出".into(), format!("{t} 离岗。回来时请再刷卡；不回来将按早退 {minutes} 分钟计"), Tone::Warn)
            } else {
                (
                    "Going out".into(),
                    format!("Left {t}. Scan again when you come back; otherwise it counts as {minutes} min early"),
                    Tone::Warn,
                )
            }
        }
        Meaning::Back => {
            if zh {
                ("欢迎回来".into(), format!("{t} 返岗"), Tone::Ok)
            } else {
                ("Back".into(), format!("Back at {t}"), Tone::Ok)
            }
        }
        Meaning::Out => {
            if zh {
                ("下班打卡成功".into(), format!("{t} 下班，辛苦了"), Tone::Ok)
            } else {
                ("Out".into(), format!("Left {t}. See you tomorrow"), Tone::Ok)
            }
        }
    }
}

/// The words of a status (DingTalk's).
pub fn status_word(s: Status, lang: Language) -> &'static str {
    crate::render::status_word(s, lang)
}

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

/// The short state of a day for a list: its worst figure, in words.
pub fn day_state(rec: &DayRecord, lang: Language) -> (String, Tone) {
    let zh = lang == Language::ZhCn;
    let f = &rec.figures;
    let w = |z: String, e: String, t| (if zh { z } else { e }, t);
    if rec.status == Status::Exception {
        if f.absent_sessions > 0 {
            return w(format!("旷工 {} 节", f.absent_sessions), format!("Absent {}", f.absent_sessions), Tone::Bad);
        }
        if f.missing_punches > 0 {
            return w(format!("缺卡 {} 次", f.missing_punches), format!("Missing {}", f.missing_punches), Tone::Bad);
        }
        if f.late_count > 0 {
            return w(format!("迟到 {} 分钟", f.late_minutes), format!("Late {} min", f.late_minutes), Tone::Warn);
        }
        if f.early_count > 0 {
            return w(format!("早退 {} 分钟", f.early_minutes), format!("Early {} min", f.early_minutes), Tone::Warn);
        }
        if f.off_post_count > 0 {
            return w(
                format!("空岗 {} 分钟", f.off_post_minutes),
                format!("Off post {} min", f.off_post_minutes),
                Tone::Warn,
            );
        }
        if f.spot_check_absences > 0 {
            return w("查岗不在岗".into(), "Absent at a spot check".into(), Tone::Bad);
        }
    }
    (status_word(rec.status, lang).to_string(), status_tone(rec.status))
}

/// Why the day is what it is: one line per finding, in order.
pub fn why(rec: &DayRecord, grace: (u32, u32, u32), tz: Tz, lang: Language) -> Vec<String> {
    let zh = lang == Language::ZhCn;
    let n = rec.sessions.len();
    let mut out = Vec::new();
    for (i, s) in rec.sessions.iter().enumerate() {
        let name = session_name(i, n, lang);
        why_session(s, &name, grace, tz, zh, &mut out);
    }
    if out.is_empty() {
        out.push(match (rec.status, zh) {
            (Status::Rest, true) => "休息日，不考勤".into(),
            (Status::Rest, false) => "Rest day: nothing is judged".into(),
            (Status::Pending, true) => "今日进行中".into(),
            (Status::Pending, false) => "The day is still running".into(),
            (_, true) => "正常".into(),
            (_, false) => "All in order".into(),
        });
    }
    out
}

/// "迟到 11 分钟：08:41 打卡，应到 08:30".
fn late_line(s: &SessionRecord, name: &str, due: &str, tz: Tz, zh: bool) -> String {
    let p = s.in_punch.map(|t| hm(tz, t)).unwrap_or_default();
    if zh {
        format!("{name}迟到 {} 分钟：{p} 打卡，应到 {due}", s.late)
    } else {
        format!("{name}late {} min: scanned {p}, due {due}", s.late)
    }
}

fn why_session(s: &SessionRecord, name: &str, grace: (u32, u32, u32), tz: Tz, zh: bool, out: &mut Vec<String>) {
    let (late_grace, early_grace, absent_after) = grace;
    let a = hm(tz, s.expected_arrival);
    let d = hm(tz, s.expected_departure);
    match s.outcome {
        Outcome::Excused => {
            let duty = s.figures.leave_minutes == 0;
            out.push(match (zh, duty) {
                (true, true) => format!("{name}公出/出差"),
                (true, false) => format!("{name}请假"),
                (false, true) => format!("{name}on duty away"),
                (false, false) => format!("{name}on leave"),
            });
            return;
        }
        Outcome::Pending => {
            if s.figures.late_count > 0 {
                out.push(late_line(s, name, &a, tz, zh));
            }
            return;
        }
        Outcome::Absent => {
            let why = if s.in_punch.is_none() && s.out_punch.is_none() && s.late == 0 && s.early == 0 {
                if zh {
                    "无打卡记录".to_string()
                } else {
                    "no punches".to_string()
                }
            } else if s.late > late_grace && s.late > absent_after {
                if zh {
                    format!("迟到 {} 分钟，超过 {absent_after} 分钟", s.late)
                } else {
                    format!("late {} min, over {absent_after}", s.late)
                }
            } else if zh {
                format!("早退 {} 分钟，超过 {absent_after} 分钟", s.early)
            } else {
                format!("left {} min early, over {absent_after}", s.early)
            };
            out.push(if zh { format!("{name}旷工：{why}") } else { format!("{name}absent: {why}") });
            return;
        }
        Outcome::Judged => {}
    }
    if s.late > late_grace {
        out.push(late_line(s, name, &a, tz, zh));
    }
    if s.early > early_grace {
        let p = s.out_punch.map(|t| hm(tz, t)).unwrap_or_default();
        out.push(if zh {
            format!("{name}早退 {} 分钟：{p} 打卡，应走 {d}", s.early)
        } else {
            format!("{name}left {} min early: scanned {p}, due {d}", s.early)
        });
    }
    if s.in_punch.is_none() {
        out.push(if zh {
            format!("{name}缺上班卡（应到 {a}）")
        } else {
            format!("{name}no in-punch (due {a})")
        });
    }
    if s.out_punch.is_none() {
        out.push(if zh {
            format!("{name}缺下班卡（应走 {d}）")
        } else {
            format!("{name}no out-punch (due {d})")
        });
    }
    if let Some(t) = s.leftover {
        let t = hm(tz, t);
        out.push(if zh {
            format!("{name} {t} 外出未刷返回卡（缺卡）")
        } else {
            format!("{name}went out at {t}, no scan back")
        });
    }
    for tr in s.trips.iter().filter(|t| t.counted) {
        let (l, b) = (hm(tz, tr.left), hm(tz, tr.back));
        out.push(if zh {
            format!("{name}空岗 {} 分钟：{l} 离开，{b} 返回", tr.minutes)
        } else {
            format!("{name}off post {} min: left {l}, back {b}", tr.minutes)
        });
    }
    for t in &s.spot_absences {
        let t = hm(tz, *t);
        out.push(if zh {
            format!("{name} {t} 查岗不在岗")
        } else {
            format!("{name}absent at the {t} spot check")
        });
    }
}

/// "08:41 上班 · 10:00 外出 · 10:45 返回 …": what each accepted punch meant.
pub fn meaning_word(m: Meaning, lang: Language) -> &'static str {
    match (m, lang == Language::ZhCn) {
        (Meaning::In, true) => "上班",
        (Meaning::GoingOut, true) => "外出",
        (Meaning::Back, true) => "返回",
        (Meaning::Out, true) => "下班",
        (Meaning::In, false) => "in",
        (Meaning::GoingOut, false) => "going out",
        (Meaning::Back, false) => "back",
        (Meaning::Out, false) => "out",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::{evaluate, DayInput, Schedule};
    use crate::time::parse_time;

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
        let lines = why(&rec, (0, 0, 30), s.tz, Language::ZhCn);
        assert_eq!(
            lines,
            vec![
                "上午迟到 11 分钟：08:41 打卡，应到 08:30".to_string(),
                "上午空岗 45 分钟：10:00 离开，10:45 返回".to_string(),
                "下午缺下班卡（应走 17:30）".to_string(),
            ]
        );
        let en = why(&rec, (0, 0, 30), s.tz, Language::En);
        assert_eq!(en[0], "Morning: late 11 min: scanned 08:41, due 08:30");
        assert_eq!(day_state(&rec, Language::ZhCn), ("缺卡 1 次".to_string(), Tone::Bad));
    }
}
