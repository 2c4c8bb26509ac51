//! Output for people and for scripts: aligned tables (CJK-safe widths), CSV
//! and XLSX, with the words people know (DingTalk's: 正常, 迟到, 旷工 …).

use std::io::Write;

use unicode_width::UnicodeWidthStr;

use crate::domain::config::Language;
use crate::domain::rules::Status;
use crate::domain::summary::{DailySummary, Report, ReportRow};

/// The word for a status in the configured language (the glossary's).
pub fn status_word(status: Status, lang: Language) -> &'static str {
    crate::domain::glossary::status_word(status, lang)
}

/// Lays out rows as an aligned text table. Widths are display columns, so
/// a CJK character counts two; numbers align right.
pub fn table(headers: &[String], rows: &[Vec<String>]) -> String {
    let n = headers.len();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.width()).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(n) {
            widths[i] = widths[i].max(c.width());
        }
    }
    let numeric: Vec<bool> = (0..n)
        .map(|i| !rows.is_empty() && rows.iter().all(|r| r.get(i).is_some_and(|c| c.parse::<f64>().is_ok())))
        .collect();
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate().take(n) {
            let pad = " ".repeat(widths[i] - c.width());
            if i > 0 {
                s.push_str("  ");
            }
            if numeric[i] {
                s.push_str(&pad);
                s.push_str(c);
            } else {
                s.push_str(c);
                if i + 1 < n {
                    s.push_str(&pad);
                }
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(headers);
    out.push_str(&widths.iter().map(|w| "-".repeat(*w)).collect::<Vec<_>>().join("  "));
    out.push('\n');
    for r in rows {
        out.push_str(&line(r));
    }
    out
}

/// The summary's figure columns, in SPEC order, with their people's names.
const SUMMARY_FIGURES: &[(&str, &str, &str)] = &[
    ("late_minutes", "迟到分钟", "late min"),
    ("late_count", "迟到", "late"),
    ("early_minutes", "早退分钟", "early min"),
    ("early_count", "早退", "early"),
    ("absent_sessions", "旷工", "absent"),
    ("absent_minutes", "旷工分钟", "absent min"),
    ("off_post_count", "空岗", "off post"),
    ("off_post_minutes", "空岗分钟", "off-post min"),
    ("missing_punches", "缺卡", "missing"),
    ("spot_check_absences", "查岗缺岗", "check absent"),
    ("spot_checks_present", "查岗在岗", "check present"),
    ("leave_minutes", "请假分钟", "leave min"),
    ("duty_minutes", "公出分钟", "duty min"),
    ("corrections", "补卡", "corrections"),
];

fn figure_values(v: &serde_json::Value) -> Vec<String> {
    SUMMARY_FIGURES.iter().map(|(k, _, _)| v.get(*k).map(|x| x.to_string()).unwrap_or_default()).collect()
}

/// `summary --format table`.
pub fn summary_table(s: &DailySummary, lang: Language) -> String {
    let zh = lang == Language::ZhCn;
    let mut out = String::new();
    let state = match (s.closed, zh) {
        (true, true) => format!("已结算 第{}版", s.revision),
        (true, false) => format!("closed, revision {}", s.revision),
        (false, true) => "进行中".to_string(),
        (false, false) => "running".to_string(),
    };
    let day = match (s.workday, zh) {
        (true, true) => "工作日",
        (false, true) => "休息日",
        (true, false) => "workday",
        (false, false) => "rest day",
    };
    out.push_str(&format!("{} {}  {}  {}\n", s.kiosk_id, s.date, day, state));
    if !s.calendar_known {
        out.push_str(if zh {
            "警告：未导入该年度节假日日历，仅按星期判断工作日\n"
        } else {
            "warning: no holiday calendar for this year; workdays judged by weekday alone\n"
        });
    }
    let t = &s.totals;
    out.push_str(&if zh {
        format!(
            "人数 {}  应到 {}  实到 {}  正常 {}  异常 {}  旷工 {}  请假 {}  公出 {}  进行中 {}  休息 {}  未登记卡 {}\n\n",
            t.staff, t.expected, t.present, t.normal, t.exception, t.absent, t.leave, t.duty, t.pending, t.rest, s.unknown_card_punches
        )
    } else {
        format!(
            "staff {}  expected {}  present {}  normal {}  exception {}  absent {}  leave {}  duty {}  pending {}  rest {}  unknown cards {}\n\n",
            t.staff, t.expected, t.present, t.normal, t.exception, t.absent, t.leave, t.duty, t.pending, t.rest, s.unknown_card_punches
        )
    });
    let mut headers: Vec<String> = if zh {
        vec!["工号".into(), "姓名".into(), "单位".into(), "状态".into()]
    } else {
        vec!["staff_no".into(), "name".into(), "unit".into(), "status".into()]
    };
    headers.extend(SUMMARY_FIGURES.iter().map(|(_, z, e)| if zh { z.to_string() } else { e.to_string() }));
    headers.push(if zh { "打卡".into() } else { "punches".into() });
    let rows: Vec<Vec<String>> = s
        .people
        .iter()
        .map(|p| {
            let v = serde_json::to_value(p.figures).unwrap_or_default();
            let mut r =
                vec![p.staff_no.clone(), p.name.clone(), p.unit.clone(), status_word(p.status.into(), lang).into()];
            r.extend(figure_values(&v));
            r.push(p.punches.join(" "));
            r
        })
        .collect();
    out.push_str(&table(&headers, &rows));
    out
}

/// A CSV cell as written: one that a spreadsheet would read as a formula
/// (`=`, `+`, `-`, `@`, a tab or a carriage return first — a name like
/// `=HYPERLINK(…)`) gets a leading `'`, which Excel and WPS show as text
/// (OWASP's advice). Every CSV the project writes goes through this; the
/// XLSX exports write strings as strings and need nothing.
pub fn csv_cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

/// Writes one CSV record with every cell through [`csv_cell`].
pub fn write_csv_record<W: Write, S: AsRef<str>>(
    w: &mut csv::Writer<W>,
    cells: impl IntoIterator<Item = S>,
) -> csv::Result<()> {
    w.write_record(cells.into_iter().map(|c| csv_cell(c.as_ref()).into_owned()))
}

/// `summary --format csv`: machine column names, status as in JSON.
pub fn summary_csv(s: &DailySummary, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec!["staff_no", "name", "unit", "status"];
    header.extend(SUMMARY_FIGURES.iter().map(|(k, _, _)| *k));
    header.push("punches");
    write_csv_record(&mut w, &header)?;
    for p in &s.people {
        let v = serde_json::to_value(p.figures).unwrap_or_default();
        let mut r = vec![p.staff_no.clone(), p.name.clone(), p.unit.clone(), p.status.as_str().to_string()];
        r.extend(figure_values(&v));
        r.push(p.punches.join(" "));
        write_csv_record(&mut w, &r)?;
    }
    w.flush()?;
    Ok(())
}

/// The report's columns (SPEC.md) and their headers by language.
const REPORT_COLUMNS: &[(&str, &str)] = &[
    ("staff_no", "工号"),
    ("name", "姓名"),
    ("unit", "单位"),
    ("days_expected", "应出勤天数"),
    ("days_present", "出勤天数"),
    ("late_count", "迟到次数"),
    ("late_minutes", "迟到分钟"),
    ("early_count", "早退次数"),
    ("early_minutes", "早退分钟"),
    ("absent_sessions", "旷工次数"),
    ("absent_minutes", "旷工分钟"),
    ("off_post_count", "空岗次数"),
    ("off_post_minutes", "空岗分钟"),
    ("missing_punches", "缺卡次数"),
    ("spot_check_absences", "查岗缺岗"),
    ("findings", "暗访问题"),
    ("leave_minutes", "请假分钟"),
    ("duty_minutes", "公出分钟"),
    ("corrections", "补卡次数"),
];

/// Which of the report's sheets.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Sheet {
    People,
    Units,
}

impl Sheet {
    /// The sheet's columns; `findings` only where the report has them.
    fn columns(self, with_findings: bool) -> Vec<(&'static str, &'static str)> {
        let shown = |k: &str| match self {
            Sheet::People => with_findings || k != "findings",
            Sheet::Units => !matches!(k, "staff_no" | "name") && (with_findings || k != "findings"),
        };
        REPORT_COLUMNS.iter().copied().filter(|(k, _)| shown(k)).collect()
    }
    fn headers(self, lang: Language, with_findings: bool) -> Vec<String> {
        self.columns(with_findings)
            .iter()
            .map(|(k, z)| if lang == Language::ZhCn { z.to_string() } else { k.to_string() })
            .collect()
    }
}

/// A report row's cells: text for the first columns, numbers after.
fn report_cells(row: &ReportRow, sheet: Sheet, with_findings: bool) -> Vec<Cell> {
    let v = serde_json::to_value(row).unwrap_or_default();
    sheet
        .columns(with_findings)
        .iter()
        .map(|(k, _)| match &v[*k] {
            serde_json::Value::Number(n) => Cell::Num(n.as_f64().unwrap_or(0.0)),
            serde_json::Value::String(s) => Cell::Text(s.clone()),
            _ => Cell::Text(String::new()),
        })
        .collect()
}

enum Cell {
    Text(String),
    Num(f64),
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Num(n) => format!("{n}"),
        }
    }
}

/// `report --format table`: the people, then the units.
pub fn report_table(r: &Report, lang: Language) -> String {
    let zh = lang == Language::ZhCn;
    let mut out = if zh {
        format!("考勤报表 {} 至 {}\n\n个人\n", r.from, r.to)
    } else {
        format!("Report {} to {}\n\nPeople\n", r.from, r.to)
    };
    let rows = |rows: &[ReportRow], sheet| -> Vec<Vec<String>> {
        rows.iter().map(|row| report_cells(row, sheet, r.with_findings).iter().map(Cell::text).collect()).collect()
    };
    out.push_str(&table(&Sheet::People.headers(lang, r.with_findings), &rows(&r.people, Sheet::People)));
    out.push_str(if zh { "\n单位\n" } else { "\nUnits\n" });
    out.push_str(&table(&Sheet::Units.headers(lang, r.with_findings), &rows(&r.units, Sheet::Units)));
    out
}

/// `report --format csv`: the per-person rows (the unit sums are in xlsx and table).
pub fn report_csv(r: &Report, lang: Language, out: impl Write) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    write_csv_record(&mut w, Sheet::People.headers(lang, r.with_findings))?;
    for row in &r.people {
        write_csv_record(&mut w, report_cells(row, Sheet::People, r.with_findings).iter().map(Cell::text))?;
    }
    w.flush()?;
    Ok(())
}

/// `report --format xlsx`: sheets 个人 and 单位.
pub fn report_xlsx(r: &Report, lang: Language) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut out = std::io::Cursor::new(Vec::new());
    report_xlsx_to(r, lang, &mut out)?;
    Ok(out.into_inner())
}

/// The report as XLSX written to `out`, each sheet in constant memory
/// (rust_xlsxwriter keeps only the row being written and spills the
/// rest to a temporary file): a province's 100,000 rows do not become
/// two million cells in memory.
pub fn report_xlsx_to<W: std::io::Write + std::io::Seek + Send>(
    r: &Report,
    lang: Language,
    out: W,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    for (name, sheet, rows) in [("个人", Sheet::People, &r.people), ("单位", Sheet::Units, &r.units)] {
        let ws = wb.add_worksheet_with_constant_memory();
        ws.set_name(name)?;
        ws.set_freeze_panes(1, 0)?;
        for (c, h) in sheet.headers(lang, r.with_findings).iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, (h.width() as f64 + 2.0).max(10.0))?;
        }
        for (i, row) in rows.iter().enumerate() {
            for (c, cell) in report_cells(row, sheet, r.with_findings).iter().enumerate() {
                let (rr, cc) = (i as u32 + 1, c as u16);
                match cell {
                    Cell::Text(s) => ws.write_string(rr, cc, s)?,
                    Cell::Num(n) => ws.write_number(rr, cc, *n)?,
                };
            }
        }
    }
    wb.save_to_writer(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_columns_align_by_display_width() {
        let t =
            table(&["name".into(), "n".into()], &[vec!["张三".into(), "1".into()], vec!["Bob".into(), "22".into()]]);
        let lines: Vec<&str> = t.lines().collect();
        // "张三" is 4 columns wide; the numbers line up at the right edge.
        assert_eq!(lines[2], "张三   1");
        assert_eq!(lines[3], "Bob   22");
        assert!(lines.iter().all(|l| l.width() == lines[0].width()));
    }
}
