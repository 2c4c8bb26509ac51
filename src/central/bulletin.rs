//! The monthly (or quarterly) 考勤通报 draft as a Word document, in the
//! order of a government 通报 (BULLETIN.md; layout after GB/T 9704: A4,
//! the title in 小标宋 2号 centred, the body in 仿宋_GB2312 3号, headings
//! in 黑体, the issuer and date at the lower right). A draft: the bureau
//! edits it in Word, so the parts it must decide (文号, 处理意见) are
//! written as editable text, not left out. Pure: rows in, `.docx` bytes
//! out (docx-rs).
//!
//! Choices where BULLETIN.md is silent:
//! - **按时到岗率** = (应出勤人天 − 迟到人次 − 旷工天数) ÷ 应出勤人天, with
//!   旷工天数 = 旷工半天 ÷ 2, floored at 0: the kiosk's summaries count
//!   late arrivals, not late days, so a day late twice counts twice.
//! - The persons' ranking lists only persons with something to report
//!   (a 通报 names problems, not the whole staff), at most
//!   [`MAX_PERSONS`] of them.
//! - The 典型问题 of spot checks come from the summaries, which carry how
//!   many checks found a person away, not the time or the inspector's
//!   note: each line has a blank for the bureau to fill in.
//! - Naming: [`Naming::Names`] writes names (实名通报);
//!   [`Naming::Anonymous`] writes "{单位}某同志" everywhere a name would be.

use chrono::{Datelike, NaiveDate};
use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Run, RunFonts, SpecialIndentType, Table, TableCell, TableRow, WidthType,
};

use super::cases::{Decision, UnitCases};
use super::storage::PersonDay;
use crate::domain::summary::ReportRow;

/// At most this many persons are ranked in the draft.
pub const MAX_PERSONS: usize = 50;

/// Whether persons are named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    Names,
    Anonymous,
}

/// Everything the draft says.
pub struct Bulletin<'a> {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// One unit's bulletin (to its sections), or the whole district's.
    pub unit: Option<&'a str>,
    /// Ranked (SPEC's order), as the period report.
    pub people: &'a [ReportRow],
    pub units: &'a [ReportRow],
    /// The unit rows of the period before (see [`previous`]), for the rates.
    pub previous: &'a [ReportRow],
    /// The days in the period with a spot check (present or absent).
    pub spot_checks: &'a [PersonDay],
    /// The published cases as 典型案例 lines (`cases::typical_cases`).
    pub typical_cases: &'a [String],
    /// A quarter's table of findings by unit (`cases::unit_cases`).
    pub case_table: Option<&'a [UnitCases]>,
    pub naming: Naming,
    pub issuer: &'a str,
    pub issued: NaiveDate,
}

/// The period in a title: 2026年11月份, 2026年第四季度, or a range.
pub fn period_name(from: NaiveDate, to: NaiveDate) -> String {
    let month_end = |d: NaiveDate| d.checked_add_months(chrono::Months::new(1)).and_then(|n| n.with_day(1)?.pred_opt());
    if from.day() == 1 && month_end(from) == Some(to) {
        return format!("{}年{}月份", from.year(), from.month());
    }
    if from.day() == 1 && from.month0().is_multiple_of(3) {
        let q_end = from.checked_add_months(chrono::Months::new(2)).and_then(month_end);
        if q_end == Some(to) {
            let q = ["一", "二", "三", "四"][from.month0() as usize / 3];
            return format!("{}年第{q}季度", from.year());
        }
    }
    if from.year() == to.year() {
        format!("{}年{}月{}日至{}月{}日", from.year(), from.month(), from.day(), to.month(), to.day())
    } else {
        format!("{}至{}", chinese_date(from), chinese_date(to))
    }
}

/// The last day of `d`'s month.
fn month_end(d: NaiveDate) -> Option<NaiveDate> {
    d.with_day(1)?.checked_add_months(chrono::Months::new(1))?.pred_opt()
}

/// How many whole months `[from, to]` is (from a 1st to a month's end).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> Option<u32> {
    if from.day() != 1 || month_end(to) != Some(to) || to < from {
        return None;
    }
    u32::try_from((to.year() - from.year()) * 12 + to.month() as i32 - from.month() as i32 + 1).ok()
}

/// The period before `[from, to]` for the comparison ("上期"): with
/// `months` (1 for a month, 3 for a quarter, whole or so far) the same
/// span that many months back — a month's end maps to that month's end,
/// so 11-01..11-30 gives 10-01..10-31 and 11-01..11-27 gives 10-01..10-27;
/// without, as many days just before.
pub fn previous(from: NaiveDate, to: NaiveDate, months: Option<u32>) -> (NaiveDate, NaiveDate) {
    let before = from.pred_opt().unwrap_or(from);
    if let Some(m) = months.filter(|m| *m > 0) {
        let back = |d: NaiveDate| d.checked_sub_months(chrono::Months::new(m));
        let end = if month_end(to) == Some(to) { back(to).and_then(month_end) } else { back(to) };
        if let (Some(a), Some(b)) = (back(from), end) {
            return (a, b.min(before));
        }
    }
    let start = before.checked_sub_signed(to - from).unwrap_or(before);
    (start, before)
}

/// 2026年12月1日 (the 公文's date: no leading zeros).
pub fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// 按时到岗率 of a row (see the module's note), `None` without expected days.
pub fn punctual_rate(r: &ReportRow) -> Option<f64> {
    if r.days_expected == 0 {
        return None;
    }
    let lapses = f64::from(r.late_count) + f64::from(r.absent_sessions) / 2.0;
    Some(((f64::from(r.days_expected) - lapses) / f64::from(r.days_expected)).max(0.0))
}

fn percent(r: Option<f64>) -> String {
    r.map_or_else(|| "—".to_string(), |r| format!("{:.1}%", r * 100.0))
}

/// The sum of rows (a district's or a unit's totals).
fn total(rows: &[ReportRow]) -> ReportRow {
    let mut t = ReportRow::default();
    for r in rows {
        t.add(r);
    }
    t
}

/// What a person is called in the draft.
fn who(naming: Naming, unit: &str, name: &str) -> String {
    match naming {
        Naming::Names => format!("{unit}{name}同志"),
        Naming::Anonymous => format!("{unit}某同志"),
    }
}

fn has_problems(r: &ReportRow) -> bool {
    [
        r.absent_sessions,
        r.late_count,
        r.early_count,
        r.off_post_count,
        r.missing_punches,
        r.spot_check_absences,
        r.findings.unwrap_or(0),
    ]
    .iter()
    .any(|n| *n > 0)
}

const BODY: usize = 32; // 3号 = 16 pt, in half points
const TITLE: usize = 44; // 2号 = 22 pt
const TABLE: usize = 24; // 小四 = 12 pt

fn fonts(east_asia: &str) -> RunFonts {
    RunFonts::new().east_asia(east_asia).ascii("Times New Roman").hi_ansi("Times New Roman")
}

/// A body paragraph: 仿宋, first line indented two characters.
fn body(text: impl Into<String>) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(BODY).fonts(fonts("仿宋_GB2312"))).indent(
        None,
        Some(SpecialIndentType::FirstLine(640)),
        None,
        None,
    )
}

/// 一、总体情况 (黑体) or （一）… (楷体).
fn heading(text: &str, font: &str) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(BODY).fonts(fonts(font))).indent(
        None,
        Some(SpecialIndentType::FirstLine(640)),
        None,
        None,
    )
}

fn plain(text: impl Into<String>, align: AlignmentType) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(BODY).fonts(fonts("仿宋_GB2312"))).align(align)
}

fn table(head: &[&str], rows: Vec<Vec<String>>) -> Table {
    let cell = |t: &str, bold: bool| {
        let mut run = Run::new().add_text(t).size(TABLE).fonts(fonts("仿宋_GB2312"));
        if bold {
            run = run.bold();
        }
        TableCell::new().add_paragraph(Paragraph::new().add_run(run).align(AlignmentType::Center))
    };
    let mut out = vec![TableRow::new(head.iter().map(|h| cell(h, true)).collect())];
    out.extend(rows.iter().map(|r| TableRow::new(r.iter().map(|t| cell(t, false)).collect())));
    Table::new(out).width(5000, WidthType::Pct)
}

/// The draft as `.docx` bytes.
pub fn docx(b: &Bulletin<'_>) -> Result<Vec<u8>, String> {
    let period = period_name(b.from, b.to);
    let all = total(b.units);
    let before = total(b.previous);
    let scope = b.unit.unwrap_or("机关");
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(PageMargin::new().top(2098).bottom(1984).left(1587).right(1474))
        .default_fonts(fonts("仿宋_GB2312"))
        .default_size(BODY);
    // 1. Title, 2. 文号 (for the bureau), 3. addressee.
    doc = doc
        .add_paragraph(
            Paragraph::new()
                .add_run(
                    Run::new()
                        .add_text(format!("关于{period}{scope}考勤情况的通报"))
                        .size(TITLE)
                        .fonts(fonts("方正小标宋简体")),
                )
                .align(AlignmentType::Center),
        )
        .add_paragraph(plain(format!("机关代字〔{}〕  号", b.issued.year()), AlignmentType::Center))
        .add_paragraph(plain(if b.unit.is_some() { "各科室：" } else { "各单位：" }, AlignmentType::Left));
    // 4. Opening: purpose, who checked, when and how.
    let mut checked: Vec<NaiveDate> = b.spot_checks.iter().map(|d| d.date).collect();
    checked.sort();
    checked.dedup();
    let spot = if checked.is_empty() {
        String::new()
    } else {
        let days: Vec<String> = checked.iter().map(|d| format!("{}月{}日", d.month(), d.day())).collect();
        format!("，并于{}进行了查岗", days.join("、"))
    };
    doc = doc.add_paragraph(body(format!(
        "为进一步严肃工作纪律，深入整治庸懒散奢问题，{}依据考勤终端记录，对{period}{}工作人员出勤情况进行了检查{spot}。现将有关情况通报如下：",
        b.issuer,
        b.unit.map_or_else(|| "各单位".to_string(), str::to_string),
    )));
    // 5. 一、总体情况.
    let rate = punctual_rate(&all);
    let compared = match (rate, punctual_rate(&before)) {
        (Some(now), Some(then)) => {
            // The difference of the rates as printed (one decimal), so the
            // sentence agrees with the two figures a reader sees.
            let tenths = |r: f64| (r * 1000.0).round() as i64;
            let d = tenths(now) - tenths(then);
            let word = match d {
                0 => "基本持平".to_string(),
                d if d > 0 => format!("上升{}.{}个百分点", d / 10, d % 10),
                d => format!("下降{}.{}个百分点", -d / 10, -d % 10),
            };
            format!("（上期{}，{word}）", percent(Some(then)))
        }
        _ => String::new(),
    };
    doc = doc.add_paragraph(heading("一、总体情况", "黑体")).add_paragraph(body(format!(
        "{period}，{}应出勤{}人天，实际出勤{}人天，按时到岗率{}{compared}。总体情况较好，但也存在一些问题。各单位按时到岗率如下：",
        b.unit.map_or_else(|| format!("{}个单位", b.units.len()), str::to_string),
        all.days_expected,
        all.days_present,
        percent(rate),
    )));
    let mut by_rate: Vec<&ReportRow> = b.units.iter().collect();
    by_rate.sort_by(|a, b| {
        punctual_rate(b).unwrap_or(0.0).total_cmp(&punctual_rate(a).unwrap_or(0.0)).then_with(|| a.unit.cmp(&b.unit))
    });
    let rows = by_rate
        .iter()
        .map(|u| {
            let then = b.previous.iter().find(|p| p.unit == u.unit).and_then(punctual_rate);
            vec![u.unit.clone(), u.days_expected.to_string(), percent(punctual_rate(u)), percent(then)]
        })
        .collect();
    doc = doc.add_table(table(&["单位", "应出勤（人天）", "按时到岗率", "上期"], rows));
    // 6. 二、存在问题: the counts, the spot checks, the rankings.
    // The findings of the units (a finding naming two people is one).
    let findings: u32 = b.units.iter().map(|u| u.findings.unwrap_or(0)).sum();
    let found = if findings > 0 { format!("；暗访发现问题{findings}起") } else { String::new() };
    doc = doc.add_paragraph(heading("二、存在问题", "黑体")).add_paragraph(body(format!(
        "经统计，{period}共有迟到{}人次、早退{}人次、旷工{}人（半天）次、空岗{}人次、查岗不在岗{}人次，缺卡未补{}次{found}。",
        all.late_count,
        all.early_count,
        all.absent_sessions,
        all.off_post_count,
        all.spot_check_absences,
        all.missing_punches
    )));
    doc = doc.add_paragraph(heading("（一）查岗发现的典型问题", "楷体_GB2312"));
    let away: Vec<&PersonDay> = b.spot_checks.iter().filter(|d| d.person.figures.spot_check_absences > 0).collect();
    if away.is_empty() {
        doc = doc.add_paragraph(body("本期查岗未发现不在岗情况。"));
    }
    for (i, d) in away.iter().enumerate() {
        let p = &d.person;
        doc = doc.add_paragraph(body(format!(
            "{}. {}，{}查岗时不在岗位{}。（时间、检查情况：          ）",
            i + 1,
            chinese_date(d.date),
            who(b.naming, &p.unit, &p.name),
            if p.figures.spot_check_absences > 1 {
                format!("（{}次）", p.figures.spot_check_absences)
            } else {
                String::new()
            },
        )));
    }
    doc = doc
        .add_paragraph(heading("（二）单位排名", "楷体_GB2312"))
        .add_paragraph(body("按旷工、迟到早退、空岗、缺卡的顺序排列："));
    let people_of = |unit: &str| b.people.iter().filter(|p| p.unit == unit).count();
    let rows = b
        .units
        .iter()
        .enumerate()
        .map(|(i, u)| {
            vec![
                (i + 1).to_string(),
                u.unit.clone(),
                people_of(&u.unit).to_string(),
                u.late_count.to_string(),
                u.early_count.to_string(),
                u.absent_sessions.to_string(),
                u.off_post_count.to_string(),
                u.spot_check_absences.to_string(),
                u.missing_punches.to_string(),
                u.findings.unwrap_or(0).to_string(),
            ]
        })
        .collect();
    doc = doc.add_table(table(
        &["序号", "单位", "应到人数", "迟到人次", "早退人次", "旷工（半天）", "空岗", "查岗不在岗", "缺卡", "暗访问题"],
        rows,
    ));
    doc = doc.add_paragraph(heading("（三）个人情况", "楷体_GB2312"));
    let flagged: Vec<&ReportRow> = b.people.iter().filter(|p| has_problems(p)).take(MAX_PERSONS).collect();
    if flagged.is_empty() {
        doc = doc.add_paragraph(body("本期无个人存在上述问题。"));
    } else {
        let more = b.people.iter().filter(|p| has_problems(p)).count() - flagged.len();
        doc = doc.add_paragraph(body(if more > 0 {
            format!("存在上述问题的人员按同一顺序排列如下（列前{}名，另有{more}人略）：", flagged.len())
        } else {
            "存在上述问题的人员按同一顺序排列如下：".to_string()
        }));
        let rows = flagged
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let name = match b.naming {
                    Naming::Names => p.name.clone(),
                    Naming::Anonymous => "某同志".to_string(),
                };
                vec![
                    (i + 1).to_string(),
                    p.unit.clone(),
                    name,
                    p.absent_sessions.to_string(),
                    p.late_count.to_string(),
                    p.early_count.to_string(),
                    p.off_post_count.to_string(),
                    p.missing_punches.to_string(),
                    p.spot_check_absences.to_string(),
                    p.findings.unwrap_or(0).to_string(),
                ]
            })
            .collect();
        doc = doc.add_table(table(
            &["序号", "单位", "姓名", "旷工（半天）", "迟到", "早退", "空岗", "缺卡", "查岗不在岗", "暗访问题"],
            rows,
        ));
    }
    // 暗访、曝光: the published cases, and a quarter's table by unit.
    doc = doc.add_paragraph(heading("（四）暗访发现的典型案例", "楷体_GB2312"));
    if b.typical_cases.is_empty() {
        doc = doc.add_paragraph(body("本期无曝光的典型案例。"));
    }
    for (i, line) in b.typical_cases.iter().enumerate() {
        doc = doc.add_paragraph(body(format!("{}. {line}", i + 1)));
    }
    if let Some(units) = b.case_table {
        doc = doc.add_paragraph(heading("（五）各单位暗访问题查处情况", "楷体_GB2312"));
        if units.is_empty() {
            doc = doc.add_paragraph(body("本期暗访未发现问题。"));
        } else {
            let mut head = vec!["单位", "暗访问题", "处理人次"];
            head.extend(Decision::ALL.iter().map(|d| d.zh()));
            let rows = units
                .iter()
                .map(|u| {
                    let mut row = vec![u.unit.clone(), u.findings.to_string(), u.handled.to_string()];
                    row.extend(u.by_decision.iter().map(u32::to_string));
                    row
                })
                .collect();
            doc = doc.add_table(table(&head, rows));
        }
    }
    // 7. 三、处理意见 (the bureau chooses), 8. 四、工作要求.
    doc = doc
        .add_paragraph(heading("三、处理意见", "黑体"))
        .add_paragraph(body(
            "对上述存在旷工、多次迟到早退和查岗不在岗问题的单位和个人予以通报批评；责令相关人员作出书面检查，由所在单位主要负责人进行提醒谈话，限期整改；考勤情况纳入年度考核，作为评优评先的重要依据。（请根据实际情况选用、修改。）",
        ))
        .add_paragraph(heading("四、工作要求", "黑体"));
    for line in [
        "（一）各单位要引以为戒，举一反三，切实加强对本单位工作人员的日常管理。",
        "（二）严格执行请销假制度，因公因私外出须按规定履行请假手续，按时销假。",
        "（三）严格遵守作息时间，杜绝迟到早退、空岗串岗现象；严禁在工作时间做与工作无关的事情。",
        "（四）下一步将持续加大明察暗访力度，定期通报检查情况，对问题突出的单位和个人严肃追责问责。",
    ] {
        doc = doc.add_paragraph(body(line));
    }
    // 9. 特此通报, then the issuer and the date at the lower right.
    doc = doc
        .add_paragraph(body("特此通报。"))
        .add_paragraph(plain("", AlignmentType::Right))
        .add_paragraph(plain(b.issuer, AlignmentType::Right))
        .add_paragraph(plain(chinese_date(b.issued), AlignmentType::Right));
    let mut out = Vec::new();
    doc.build().pack(std::io::Cursor::new(&mut out)).map_err(|e| e.to_string())?;
    Ok(out)
}

/// The text of a `.docx`: each paragraph, and each table row as its cells
/// joined with `|` (the tests read the draft back through this).
pub fn text_of(bytes: &[u8]) -> Result<Vec<String>, String> {
    use docx_rs::{DocumentChild, TableCellContent, TableChild, TableRowChild};
    let doc = docx_rs::read_docx(bytes).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for child in &doc.document.children {
        match child {
            DocumentChild::Paragraph(p) => out.push(p.raw_text()),
            DocumentChild::Table(t) => {
                for TableChild::TableRow(row) in &t.rows {
                    let cells: Vec<String> = row
                        .cells
                        .iter()
                        .map(|TableRowChild::TableCell(c)| {
                            c.children
                                .iter()
                                .filter_map(|x| match x {
                                    TableCellContent::Paragraph(p) => Some(p.raw_text()),
                                    _ => None,
                                })
                                .collect::<String>()
                        })
                        .collect();
                    out.push(cells.join("|"));
                }
            }
            _ => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::summary::{DayFigures, DayStatus, PersonSummary};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn row(unit: &str, no: &str, name: &str, expected: u32, late: u32, absent: u32) -> ReportRow {
        ReportRow {
            staff_no: no.into(),
            name: name.into(),
            unit: unit.into(),
            days_expected: expected,
            days_present: expected,
            late_count: late,
            absent_sessions: absent,
            ..ReportRow::default()
        }
    }

    #[test]
    fn period_names_as_a_title_says_them() {
        assert_eq!(period_name(d("2026-11-01"), d("2026-11-30")), "2026年11月份");
        assert_eq!(period_name(d("2026-02-01"), d("2026-02-28")), "2026年2月份");
        assert_eq!(period_name(d("2026-10-01"), d("2026-12-31")), "2026年第四季度");
        assert_eq!(period_name(d("2026-11-02"), d("2026-11-20")), "2026年11月2日至11月20日");
        assert_eq!(period_name(d("2025-12-29"), d("2026-01-02")), "2025年12月29日至2026年1月2日");
        assert_eq!(chinese_date(d("2026-12-01")), "2026年12月1日");
    }

    #[test]
    fn the_period_before_for_the_comparison() {
        let p = |a: &str, b: &str, m| previous(d(a), d(b), m);
        assert_eq!(p("2026-11-01", "2026-11-30", Some(1)), (d("2026-10-01"), d("2026-10-31")));
        assert_eq!(p("2026-03-01", "2026-03-31", Some(1)), (d("2026-02-01"), d("2026-02-28")));
        assert_eq!(p("2026-10-01", "2026-12-31", Some(3)), (d("2026-07-01"), d("2026-09-30")));
        assert_eq!(p("2026-11-01", "2026-11-27", Some(1)), (d("2026-10-01"), d("2026-10-27")), "this month so far");
        assert_eq!(p("2026-10-01", "2026-11-27", Some(3)), (d("2026-07-01"), d("2026-08-27")), "this quarter so far");
        assert_eq!(p("2026-03-01", "2026-03-30", Some(1)), (d("2026-02-01"), d("2026-02-28")), "clamped");
        assert_eq!(p("2026-11-10", "2026-11-10", None), (d("2026-11-09"), d("2026-11-09")));
        assert_eq!(p("2026-11-02", "2026-11-20", None), (d("2026-10-14"), d("2026-11-01")), "19 days before");
        assert_eq!(whole_months(d("2026-10-01"), d("2026-12-31")), Some(3));
        assert_eq!(whole_months(d("2026-11-01"), d("2026-11-27")), None);
        assert_eq!(whole_months(d("2026-11-02"), d("2026-11-30")), None);
    }

    #[test]
    fn the_punctual_rate_counts_late_arrivals_and_absent_days() {
        assert_eq!(punctual_rate(&row("u", "1", "a", 20, 1, 2)), Some(0.9));
        assert_eq!(punctual_rate(&row("u", "1", "a", 0, 0, 0)), None);
        assert_eq!(punctual_rate(&row("u", "1", "a", 1, 3, 0)), Some(0.0), "floored at 0");
    }

    #[test]
    fn the_draft_in_the_order_of_a_tongbao_named_or_not() {
        let people = vec![
            row("区财政局", "0101", "王五", 20, 0, 2),
            row("区党政办公室", "0001", "张三", 20, 3, 0),
            row("区党政办公室", "0002", "李四", 20, 0, 0),
        ];
        let units = vec![row("区财政局", "", "", 20, 0, 2), row("区党政办公室", "", "", 40, 3, 0)];
        let previous = vec![row("区党政办公室", "", "", 40, 0, 0)];
        let spot = vec![PersonDay {
            kiosk_id: "k2".into(),
            date: d("2026-11-12"),
            revision: 1,
            received_at: 0,
            person: PersonSummary {
                staff_no: "0101".into(),
                name: "王五".into(),
                unit: "区财政局".into(),
                status: DayStatus::Exception,
                figures: DayFigures { spot_check_absences: 1, ..DayFigures::default() },
                punches: vec![],
            },
        }];
        let typical = vec!["2026年11月12日10:05，暗访发现区财政局王五同志存在“空岗串岗”问题：不在岗位。".to_string()];
        let table =
            vec![UnitCases {
                unit: "区财政局".into(), findings: 1, handled: 1, by_decision: [0, 0, 0, 1, 0, 0, 0]
            }];
        let mut b = Bulletin {
            from: d("2026-11-01"),
            to: d("2026-11-30"),
            unit: None,
            people: &people,
            units: &units,
            previous: &previous,
            spot_checks: &spot,
            typical_cases: &typical,
            case_table: Some(&table),
            naming: Naming::Names,
            issuer: "区委组织部",
            issued: d("2026-12-01"),
        };
        let text = text_of(&docx(&b).unwrap()).unwrap();
        let at = |needle: &str| {
            text.iter().position(|t| t.contains(needle)).unwrap_or_else(|| panic!("{needle}: {text:#?}"))
        };
        assert_eq!(text[0], "关于2026年11月份机关考勤情况的通报");
        assert_eq!(text[1], "机关代字〔2026〕  号");
        assert_eq!(text[2], "各单位：");
        assert!(
            text[3].starts_with("为进一步严肃工作纪律") && text[3].contains("并于11月12日进行了查岗"),
            "{}",
            text[3]
        );
        assert!(text[3].ends_with("现将有关情况通报如下："));
        // The order of a 通报.
        let order = [
            "一、总体情况",
            "二、存在问题",
            "（一）查岗",
            "（二）单位排名",
            "（三）个人情况",
            "（四）暗访发现的典型案例",
            "1. 2026年11月12日10:05，暗访发现",
            "（五）各单位暗访问题查处情况",
            "单位|暗访问题|处理人次|提醒谈话|批评教育|责令作出书面检查|通报批评|诫勉谈话|组织处理|移送纪检监察机关",
            "区财政局|1|1|0|0|0|1|0|0|0",
            "三、处理意见",
            "四、工作要求",
            "特此通报。",
        ];
        let places: Vec<usize> = order.iter().map(|h| at(h)).collect();
        assert!(places.windows(2).all(|w| w[0] < w[1]), "{places:?}");
        // 60 expected, 3 late and 1 absent day: (60 - 3 - 1) / 60.
        assert!(text[at("按时到岗率93.3%")].contains("上期100.0%，下降6.7个百分点"), "{text:#?}");
        assert!(text[at("共有迟到")].contains("迟到3人次、早退0人次、旷工2人（半天）次"));
        assert!(text[at("查岗时不在岗位")].contains("2026年11月12日，区财政局王五同志"));
        // The unit ranking as ranked, then the persons with problems only.
        let units_head = at("序号|单位|应到人数");
        assert_eq!(text[units_head + 1], "1|区财政局|1|0|0|2|0|0|0|0");
        assert_eq!(text[units_head + 2], "2|区党政办公室|2|3|0|0|0|0|0|0");
        let people_head = at("序号|单位|姓名");
        assert_eq!(text[people_head + 1], "1|区财政局|王五|2|0|0|0|0|0|0");
        assert_eq!(text[people_head + 2], "2|区党政办公室|张三|0|3|0|0|0|0|0");
        assert!(!text[people_head + 3].contains('|'), "李四 has nothing to report");
        assert_eq!(text[text.len() - 2..], ["区委组织部", "2026年12月1日"]);
        // Without names: 某同志 wherever a name would be.
        b.naming = Naming::Anonymous;
        // (the typical cases come written for the naming: `cases::typical_cases`)
        let anonymous = vec!["2026年11月12日10:05，暗访发现区财政局某同志存在“空岗串岗”问题：不在岗位。".to_string()];
        b.typical_cases = &anonymous;
        let text = text_of(&docx(&b).unwrap()).unwrap().join("\n");
        assert!(!text.contains("王五") && !text.contains("张三"), "{text}");
        assert!(text.contains("区财政局某同志查岗时不在岗位") && text.contains("1|区财政局|某同志|2"));
    }
}
