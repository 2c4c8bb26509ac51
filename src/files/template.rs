//! The import templates: an empty import file of each kind with its
//! header, so an office starts from the right columns. The kiosk writes
//! them (`dutyclock template KIND --format csv|xlsx`), and so does the
//! central server for the files it takes (`dutyclock-central template
//! KIND`, and 管理 → 导入): one set of columns for both sides.
//! The workbook's first sheet is the one the import reads; a second sheet
//! explains each column (Chinese, or English with `language = "en"`), and
//! the columns with a fixed set of values offer them as a list (Excel's
//! data validation): role and result refuse anything else; leave kind
//! warns, since an office may have kinds of its own.

use rust_xlsxwriter::{DataValidation, DataValidationErrorStyle, Workbook, XlsxError};

use crate::domain::config::Language;

/// The kinds of import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Staff,
    Roster,
    Leave,
    Punches,
    Spotcheck,
}

impl Kind {
    /// The kinds the central server imports (punches and spot checks are
    /// the door's own records).
    pub const AT_CENTRAL: [Kind; 3] = [Kind::Staff, Kind::Roster, Kind::Leave];

    pub fn word(self) -> &'static str {
        match self {
            Kind::Staff => "staff",
            Kind::Roster => "roster",
            Kind::Leave => "leave",
            Kind::Punches => "punches",
            Kind::Spotcheck => "spotcheck",
        }
    }
}

/// A template's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// The template of `kind` in `format`: the CSV header, or the workbook.
pub fn file(
    kind: Kind,
    format: Format,
    lang: Language,
    leave_kinds: &[String],
    importer: Importer,
) -> Result<Vec<u8>, XlsxError> {
    match format {
        Format::Csv => Ok(csv(kind)),
        Format::Xlsx => xlsx(kind, lang, leave_kinds, importer),
    }
}

/// Who imports the filled file: said on the workbook's explanation sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Importer {
    Kiosk,
    Central,
}

/// The kinds the leave template offers: the usual leave kinds, then the
/// duty kinds of the schedules (`公出`, `出差` when there are none), each once.
pub fn leave_kinds(duty_kinds: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut kinds: Vec<String> = crate::domain::model::LEAVE_KINDS.iter().map(|k| k.to_string()).collect();
    let mut duty: Vec<String> = duty_kinds.into_iter().collect();
    if duty.is_empty() {
        duty = vec!["公出".to_string(), "出差".to_string()];
    }
    for d in duty {
        if !kinds.contains(&d) {
            kinds.push(d);
        }
    }
    kinds
}

/// A column of a template: its header, whether it is required, what it
/// holds (Chinese, English), and its fixed values if any.
pub struct Column {
    pub name: &'static str,
    pub required: bool,
    pub zh: &'static str,
    pub en: &'static str,
    pub values: Values,
}

pub enum Values {
    Free,
    /// Only these.
    Only(Vec<String>),
    /// These, and others after a warning.
    Usually(Vec<String>),
}

/// The columns of `kind`, in SPEC.md's order. `leave_kinds`: the kinds
/// the leave template offers.
pub fn columns(kind: Kind, leave_kinds: &[String]) -> Vec<Column> {
    let c = |name, required, zh, en| Column { name, required, zh, en, values: Values::Free };
    let only = |v: &[&str]| Values::Only(v.iter().map(|s| s.to_string()).collect());
    match kind {
        Kind::Staff => vec![
            c(
                "staff_no",
                true,
                "工号（文本；以 0 开头的请设为文本格式）",
                "Staff number (text: format the column as text to keep leading zeros)",
            ),
            c("name", true, "姓名", "Name"),
            c(
                "unit",
                true,
                "单位（须是本终端服务的单位之一；在中心导入时为全区已有的单位）",
                "Unit (one of this kiosk's units; at the central server, one of the district's)",
            ),
            c(
                "cards",
                false,
                "卡号，多张用分号 ; 隔开（十六进制；卡面十进制号码前加 #）",
                "Card ids, separated by ; (hex; the printed decimal number with # in front)",
            ),
            c(
                "cards_from",
                false,
                "卡从哪天起归此人（YYYY-MM-DD）",
                "The day the cards become this person's (YYYY-MM-DD)",
            ),
            c(
                "schedule",
                false,
                "作息（config.toml 或中心作息文件的 [schedules.名称]；空为 default；none 为无考勤要求）",
                "Schedule ([schedules.NAME] of config.toml or the central schedules file; empty: default; none: no obligations)",
            ),
            Column {
                values: only(&["staff", "head", "admin"]),
                ..c(
                    "role",
                    false,
                    "角色：staff 职工（默认）、head 科室负责人、admin 管理员",
                    "Role: staff (default), head (section head), admin",
                )
            },
            c("pin", false, "PIN（4–8 位数字，仅 head/admin）", "PIN (4 to 8 digits, head and admin only)"),
            c("active_from", false, "在职起始日（YYYY-MM-DD）", "First day in post (YYYY-MM-DD)"),
            c("active_until", false, "在职截止日（YYYY-MM-DD）", "Last day in post (YYYY-MM-DD)"),
            c(
                "photo",
                false,
                "照片文件（JPEG/PNG，相对本文件所在文件夹）",
                "Photo file (JPEG or PNG, relative to this file's folder)",
            ),
        ],
        Kind::Roster => vec![
            c("staff_no", true, "工号", "Staff number"),
            c("date", true, "值班日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)"),
            c("start", true, "开始时间（HH:MM）", "Start (HH:MM)"),
            c("end", true, "结束时间（HH:MM；跨午夜可早于开始）", "End (HH:MM; may be before start across midnight)"),
        ],
        Kind::Leave => vec![
            c("staff_no", true, "工号", "Staff number"),
            Column {
                values: Values::Usually(leave_kinds.to_vec()),
                ..c(
                    "kind",
                    true,
                    "类别：事假、病假、年休假、调休……或公出、出差",
                    "Kind: 事假, 病假, 年休假, 调休 … or the duty kinds 公出, 出差",
                )
            },
            c("from", true, "开始（YYYY-MM-DD HH:MM）", "From (YYYY-MM-DD HH:MM)"),
            c("to", true, "结束（YYYY-MM-DD HH:MM，晚于开始）", "To (YYYY-MM-DD HH:MM, after from)"),
            c("approved_by", false, "批准人", "Approved by"),
            c("note", false, "备注", "Note"),
        ],
        Kind::Punches => vec![
            c(
                "staff_no",
                false,
                "工号（也可把此列换成 card 卡号，二者只能有其一）",
                "Staff number (or replace this column by card, the card id: one or the other)",
            ),
            c("card", false, "卡号（与 staff_no 二选一）", "Card id (or staff_no, not both)"),
            c("at", true, "打卡时间（YYYY-MM-DD HH:MM[:SS]）", "Time (YYYY-MM-DD HH:MM[:SS])"),
        ],
        Kind::Spotcheck => vec![
            c("staff_no", true, "工号", "Staff number"),
            c("at", true, "查岗时间（YYYY-MM-DD HH:MM）", "Time of the check (YYYY-MM-DD HH:MM)"),
            Column {
                values: only(&["present", "absent"]),
                ..c("result", true, "结果：present 在岗，absent 不在岗", "Result: present or absent")
            },
            c("inspector", false, "检查人", "Inspector"),
            c("note", false, "情况记录", "Note"),
        ],
    }
}

/// The CSV template: the header line, with a BOM so that Excel on a
/// Chinese Windows reads it as UTF-8. The punches header names
/// `staff_no` (what an office types by hand); `card` may replace it.
pub fn csv(kind: Kind) -> Vec<u8> {
    let names: Vec<&str> = columns(kind, &[]).iter().map(|c| c.name).filter(|n| !skipped(kind, n)).collect();
    format!("\u{feff}{}\r\n", names.join(",")).into_bytes()
}

/// The punches template has `staff_no`; its explanation says `card` may
/// stand instead (a file has one or the other, not both).
fn skipped(kind: Kind, column: &str) -> bool {
    kind == Kind::Punches && column == "card"
}

/// The explanation sheet's first column for long lists (F).
const LIST_COLUMN: u16 = 5;

/// Rows a list applies to (Excel's limit is far larger; a kiosk's staff
/// list is not).
const LIST_ROWS: u32 = 5000;

/// The XLSX template: the header on the first sheet (text-formatted so a
/// staff number keeps its zeros), lists where values are fixed, and the
/// explanations on the second sheet.
pub fn xlsx(kind: Kind, lang: Language, leave_kinds: &[String], importer: Importer) -> Result<Vec<u8>, XlsxError> {
    let zh = lang == Language::ZhCn;
    let cols: Vec<Column> = columns(kind, leave_kinds).into_iter().filter(|c| !skipped(kind, c.name)).collect();
    let help_name = if zh { "说明" } else { "Columns" };
    let mut lists: Vec<Vec<String>> = Vec::new();
    let mut wb = Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let text = rust_xlsxwriter::Format::new().set_num_format("@");
    let sheet = wb.add_worksheet();
    sheet.set_name(kind.word())?;
    for (i, c) in cols.iter().enumerate() {
        let col = i as u16;
        sheet.write_string_with_format(0, col, c.name, &bold)?;
        sheet.set_column_width(col, 16)?;
        if matches!(c.name, "staff_no" | "card" | "cards" | "pin") {
            sheet.set_column_format(col, &text)?;
        }
        let dv = match &c.values {
            Values::Free => continue,
            Values::Only(v) => DataValidation::new().allow_list_strings(v.as_slice())?,
            Values::Usually(v) if v.is_empty() => continue,
            // An office's own kinds can make the list longer than Excel's
            // 255 characters for a written list: it is kept on the
            // explanation sheet and referred to.
            Values::Usually(v) => {
                lists.push(v.clone());
                let col = crate::files::table::column_letter(usize::from(LIST_COLUMN) + lists.len() - 1);
                let formula = format!("='{help_name}'!${col}$2:${col}${}", v.len() + 1);
                DataValidation::new()
                    .allow_list_formula(rust_xlsxwriter::Formula::new(formula))
                    .set_error_style(DataValidationErrorStyle::Warning)
            }
        };
        let dv = dv.set_input_title(c.name)?.set_input_message(if zh { c.zh } else { c.en })?;
        sheet.add_data_validation(1, col, LIST_ROWS, col, &dv)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    let help = wb.add_worksheet();
    help.set_name(help_name)?;
    // Chinese always; English beside it when the kiosk speaks English.
    let heads: &[&str] =
        if zh { &["列", "必填", "说明"] } else { &["Column", "Required", "What it holds", "说明"] };
    for (i, h) in heads.iter().enumerate() {
        help.write_string_with_format(0, i as u16, *h, &bold)?;
    }
    for (i, c) in cols.iter().enumerate() {
        let r = i as u32 + 1;
        help.write_string(r, 0, c.name)?;
        help.write_string(
            r,
            1,
            if c.required {
                if zh {
                    "是"
                } else {
                    "yes"
                }
            } else {
                ""
            },
        )?;
        help.write_string(r, 2, if zh { c.zh } else { c.en })?;
        if !zh {
            help.write_string(r, 3, c.zh)?;
        }
    }
    let last = cols.len() as u32 + 2;
    let note = if zh {
        "第一个工作表就是导入的内容：表头须保留（上方可以有标题行），每行一条。日期、时间可以用 Excel 的日期格式或按说明写成文本。导入："
    } else {
        "The first sheet is what is imported: keep its header (title rows above it are fine), one record a row. Dates and times may be Excel dates or text as described. Import: "
    };
    let how = match (importer, zh) {
        (Importer::Kiosk, _) => format!("dutyclock {} import FILE.xlsx", kind.word()),
        (Importer::Central, true) => format!("dutyclock-central {} import FILE.xlsx，或网页 管理 → 导入", kind.word()),
        (Importer::Central, false) => {
            format!("dutyclock-central {} import FILE.xlsx, or the pages' Admin → Import", kind.word())
        }
    };
    help.write_string(last, 0, format!("{note}{how}"))?;
    help.set_column_width(0, 14)?;
    help.set_column_width(2, 80)?;
    help.set_column_width(3, 60)?;
    // The long lists, under a heading, one value a cell.
    for (k, list) in lists.iter().enumerate() {
        let col = LIST_COLUMN + k as u16;
        help.write_string_with_format(0, col, if zh { "可选值" } else { "Values" }, &bold)?;
        for (i, v) in list.iter().enumerate() {
            help.write_string(i as u32 + 1, col, v)?;
        }
    }
    wb.save_to_buffer()
}
