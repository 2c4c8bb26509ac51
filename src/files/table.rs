//! Reading an import file as SPEC.md "Files" defines them, into one shape
//! for every importer: a header (free column order, unknown columns
//! refused, required ones checked) and rows of text cells, each with the
//! place to name in an error.
//!
//! - **CSV**: UTF-8 with or without a BOM; when the bytes are not UTF-8,
//!   GB18030 (what Excel on a Chinese Windows saves as "CSV"), said in a
//!   note; neither is refused with the line of the first bad byte. Errors
//!   name `FILE:LINE`.
//! - **XLSX** (by the `.xlsx` name): the first sheet, cells as Excel typed
//!   them — dates and times as date cells or text, numbers as numbers —
//!   turned into the text the CSV would carry. Title rows above the header
//!   (merged across the sheet in government spreadsheets) are skipped up
//!   to the first row with every required column. Errors name
//!   `FILE:SHEET!ROW`. A staff number typed as a number (its leading zeros
//!   gone) is noted, and matched as SPEC matches ATTLOG PINs.

use std::collections::HashMap;
use std::path::Path;

use super::ImportError;

/// A parsed import file.
pub struct Table {
    pub name: String,
    /// The sheet's name (XLSX), for `FILE:SHEET!ROW`.
    sheet: Option<String>,
    columns: HashMap<String, usize>,
    /// The rows with data, with their line (CSV) or row (XLSX) numbers.
    pub rows: Vec<(usize, Vec<String>)>,
    /// The header's line (CSV: 1) or row (XLSX: below any title rows).
    pub header_row: usize,
    /// What the person should know about how the file was read.
    pub notes: Vec<String>,
    /// The rows whose staff number was typed as a number (XLSX).
    typed_numbers: std::collections::HashSet<usize>,
}

/// Columns read from a sheet: an import has at most a dozen; more is a
/// stray value far to the right.
const MAX_COLUMNS: usize = 64;
/// Cells read from a sheet (a year of punches is about a million).
const MAX_CELLS: usize = 5_000_000;

/// The text of a CSV file: UTF-8 (a BOM dropped), else GB18030 (with a
/// note saying so), else refused naming the line of the first bad byte.
pub fn read_text(path: &Path) -> Result<(String, Option<String>), ImportError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::new(&name, 0, format!("cannot read: {e}")))?;
    decode(&name, bytes)
}

/// What a file that is not text is, told by its first bytes, with what to
/// do about it: an office's "CSV" is often an old workbook renamed, or
/// Excel's "Unicode text" (UTF-16). Saying "neither UTF-8 nor GB18030" of
/// those would send the user after the wrong problem.
fn not_text(bytes: &[u8]) -> Option<(&'static str, &'static str)> {
    const OLE2: &[u8] = &[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if bytes.starts_with(OLE2) {
        // Excel and WPS also wrap a password-protected .xlsx in OLE2.
        Some((
            "an old Excel (.xls) or WPS (.et) workbook, or one protected by a password",
            "save it without a password as Excel 工作簿 (*.xlsx) or as CSV UTF-8 (逗号分隔) (*.csv)",
        ))
    } else if bytes.starts_with(b"PK\x03\x04") {
        Some((
            "a zip file (a workbook such as .xlsx, .xlsm or .ods)",
            "an Excel workbook is read when its name ends in .xlsx; otherwise save it as Excel 工作簿 (*.xlsx) or as CSV UTF-8 (逗号分隔) (*.csv)",
        ))
    } else if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        Some((
            "UTF-16 text (such as Excel's \"Unicode 文本\")",
            "save it as UTF-8 (a table: as CSV UTF-8 (逗号分隔) (*.csv) or Excel 工作簿 (*.xlsx))",
        ))
    } else {
        None
    }
}

/// What a file named `.xlsx` that calamine cannot open really is, when its
/// first bytes say (an old workbook renamed); calamine's own words otherwise.
fn not_xlsx(path: &Path, calamine_says: String) -> String {
    let mut head = [0u8; 8];
    let read = std::fs::File::open(path).and_then(|mut f| std::io::Read::read(&mut f, &mut head));
    match read.ok().and_then(|n| not_text(&head[..n])) {
        Some((what, advice)) if !head.starts_with(b"PK") => format!("not an .xlsx workbook but {what}: {advice}"),
        _ => format!("not an Excel workbook (.xlsx): {calamine_says}"),
    }
}

/// [`read_text`] on bytes already read.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<(String, Option<String>), ImportError> {
    if let Some((what, advice)) = not_text(&bytes) {
        return Err(ImportError::new(name, 0, format!("this is {what}, not UTF-8 or GB18030 text: {advice}")));
    }
    let not_utf8 = match String::from_utf8(bytes) {
        Ok(text) => return Ok((text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text), None)),
        Err(e) => e,
    };
    let valid = not_utf8.utf8_error().valid_up_to();
    let bytes = not_utf8.into_bytes();
    // A file that is UTF-8 before its bad byte (a BOM, or Chinese already
    // read as UTF-8: a 3- or 4-byte sequence) is a UTF-8 file with a bad
    // byte, not a GB18030 file: read as GB18030 its Chinese would be
    // stored garbled. (Two-byte UTF-8 proves nothing: GBK's 郑 is d6 a3.)
    if bytes.starts_with(b"\xEF\xBB\xBF") || bytes[..valid].iter().any(|b| *b >= 0xE0) {
        let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
        return Err(ImportError::new(
            name,
            line,
            "not valid UTF-8 here, though the file is UTF-8 before it (save the file as UTF-8 again)",
        ));
    }
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => {
            // A sample, so that a file in yet another encoding (Big5,
            // Shift-JIS) shows itself garbled rather than passing quietly.
            // Only the first run of non-ASCII text (a name, a unit): never a
            // whole line, which could hold a PIN.
            let sample: String =
                text.chars().skip_while(char::is_ascii).take_while(|c| !c.is_ascii()).take(12).collect();
            let note = format!(
                "{name}: not UTF-8; read as GB18030 (Excel's \"CSV\" on a Chinese Windows), e.g. \"{}\"",
                sample.trim()
            );
            Ok((text.into_owned(), Some(note)))
        }
        None => {
            // The line of the first byte GB18030 cannot read either.
            let bad = first_bad_gb18030(&bytes);
            let line = bytes[..bad.min(bytes.len())].iter().filter(|&&b| b == b'\n').count() + 1;
            Err(ImportError::new(name, line, "neither UTF-8 nor GB18030 text (save the file as UTF-8 CSV or as .xlsx)"))
        }
    }
}

/// The offset of the first byte sequence GB18030 cannot read.
fn first_bad_gb18030(bytes: &[u8]) -> usize {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let room = decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(bytes.len() * 4);
    let mut out = String::with_capacity(room);
    match decoder.decode_to_string_without_replacement(bytes, &mut out, true) {
        // `read` includes the bad sequence (`len`) and `after` bytes past it.
        (encoding_rs::DecoderResult::Malformed(len, after), read) => {
            read.saturating_sub(usize::from(len) + usize::from(after))
        }
        _ => bytes.len(),
    }
}

/// What a column's Excel date cells (or numbers, in a date format Excel
/// on a Chinese Windows writes as its own, e.g. yyyy"年"m"月"d"日") hold.
fn cell_kind(column: &str) -> CellKind {
    match column {
        "date" | "cards_from" | "active_from" | "active_until" => CellKind::Date,
        "start" | "end" => CellKind::Time,
        "from" | "to" | "at" => CellKind::DateTime,
        _ => CellKind::Text,
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CellKind {
    Text,
    Date,
    Time,
    DateTime,
}

impl Table {
    /// Reads `path` (`.xlsx` by its name, CSV otherwise), checking the
    /// header against the allowed and required columns.
    pub fn read(path: &Path, allowed: &[&str], required: &[&str]) -> Result<Table, ImportError> {
        if is_xlsx(path) {
            return Table::xlsx(path, allowed, required);
        }
        let (text, note) = read_text(path)?;
        let mut t = Table::parse(&path.display().to_string(), &text, allowed, required)?;
        t.notes.extend(note);
        Ok(t)
    }

    /// A CSV file's text.
    pub fn parse(name: &str, text: &str, allowed: &[&str], required: &[&str]) -> Result<Table, ImportError> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let headers = rdr.headers().map_err(|e| ImportError::new(name, 1, format!("bad header: {e}")))?.clone();
        let columns = header(headers.iter(), allowed, required).map_err(|m| ImportError::new(name, 1, m))?;
        let mut rows = Vec::new();
        for rec in rdr.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                let msg = match e.kind() {
                    csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
                        format!("{len} cells where the header has {expected_len}")
                    }
                    _ => e.to_string(),
                };
                ImportError::new(name, line, msg)
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            if rec.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((line, rec.iter().map(str::to_string).collect()));
        }
        Ok(Table {
            name: name.to_string(),
            sheet: None,
            columns,
            rows,
            header_row: 1,
            notes: vec![],
            typed_numbers: Default::default(),
        })
    }

    /// The first sheet of a workbook, read cell by cell (a sheet is stored
    /// sparse: one stray value far away must not make a grid of millions).
    fn xlsx(path: &Path, allowed: &[&str], required: &[&str]) -> Result<Table, ImportError> {
        use calamine::{Data, Reader};
        let name = path.display().to_string();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)
            .map_err(|e: calamine::XlsxError| ImportError::new(&name, 0, not_xlsx(path, e.to_string())))?;
        let sheet = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| ImportError::new(&name, 0, "the workbook has no sheet"))?;
        let at =
            |row: usize, msg: String| ImportError { sheet: Some(sheet.clone()), ..ImportError::new(&name, row, msg) };
        let mut reader = book
            .worksheet_cells_reader(&sheet)
            .map_err(|e| at(0, format!("the first sheet cannot be read (is it a chart?): {e}")))?;
        // Rows by their number (1-based), each cell by its column.
        let mut sheet_rows: std::collections::BTreeMap<usize, Vec<(usize, Data)>> = Default::default();
        let mut count = 0usize;
        while let Some(cell) = reader.next_cell().map_err(|e| at(0, format!("the sheet cannot be read: {e}")))? {
            let (r, c) = cell.get_position();
            let (row, col) = (r as usize + 1, c as usize);
            let d = Data::from(cell.get_value().clone());
            if matches!(d, Data::Empty) || matches!(&d, Data::String(s) if s.trim().is_empty()) {
                continue;
            }
            if col >= MAX_COLUMNS {
                let where_ = column_letter(col);
                return Err(at(
                    row,
                    format!("a value in column {where_}, far right of any import's columns: delete it"),
                ));
            }
            count += 1;
            if count > MAX_CELLS {
                return Err(at(row, format!("more than {MAX_CELLS} cells: split the file")));
            }
            sheet_rows.entry(row).or_default().push((col, d));
        }
        drop(reader);
        let text = |d: &Data| d.to_string().trim().to_string();
        let names_of = |cells: &[(usize, Data)]| -> Vec<(usize, String)> {
            cells.iter().map(|(c, d)| (*c, text(d))).filter(|(_, n)| !n.is_empty()).collect()
        };
        // The header: the first row of allowed names with every required
        // one; failing that, the first row with every required one (its
        // unknown column is said); failing that, the closest row is named.
        let has_required = |names: &[(usize, String)]| required.iter().all(|r| names.iter().any(|(_, n)| n == r));
        let strict = sheet_rows.iter().find(|(_, cells)| {
            let names = names_of(cells);
            has_required(&names) && names.iter().all(|(_, n)| allowed.contains(&n.as_str()))
        });
        let loose = || sheet_rows.iter().find(|(_, cells)| has_required(&names_of(cells)));
        let Some((&head_row, head_cells)) = strict.or_else(loose) else {
            let closest = sheet_rows
                .iter()
                .map(|(row, cells)| {
                    (names_of(cells).iter().filter(|(_, n)| allowed.contains(&n.as_str())).count(), *row)
                })
                .max_by_key(|(n, row)| (*n, std::cmp::Reverse(*row)))
                .filter(|(n, _)| *n > 0);
            let hint = match closest {
                Some((_, row)) => {
                    let names = names_of(&sheet_rows[&row]);
                    let missing: Vec<&str> =
                        required.iter().copied().filter(|r| !names.iter().any(|(_, n)| n == r)).collect();
                    format!("; row {row} comes closest, without {}", missing.join(","))
                }
                None => String::new(),
            };
            return Err(at(
                0,
                format!(
                    "no header row with the columns {} (the first sheet is read; columns: {}){hint}",
                    required.join(","),
                    allowed.join(",")
                ),
            ));
        };
        let head = names_of(head_cells);
        let columns_at: Vec<usize> = head.iter().map(|(c, _)| *c).collect();
        let columns = header(head.iter().map(|(_, n)| n.as_str()), allowed, required).map_err(|m| {
            // Name the column: it may be a hidden one.
            let col = head.iter().find(|(_, n)| m.contains(&format!("{n:?}"))).map(|(c, _)| column_letter(*c));
            at(head_row, col.map_or(m.clone(), |c| format!("column {c}: {m}")))
        })?;
        let mut rows = Vec::new();
        let mut typed_numbers = std::collections::HashSet::new();
        for (&row, cells) in sheet_rows.range(head_row + 1..) {
            if let Some((c, _)) = cells.iter().find(|(c, _)| !columns_at.contains(c)) {
                return Err(at(
                    row,
                    format!("a value in column {}, which has no name in the header row", column_letter(*c)),
                ));
            }
            // A row's cells by their place in the header.
            let mut line = vec![String::new(); head.len()];
            for (c, d) in cells {
                let Some(pos) = columns_at.iter().position(|hc| hc == c) else { continue };
                let column = head[pos].1.as_str();
                let cell = cell_text(d, column).map_err(|m| at(row, format!("{column}: {m}")))?;
                if column == "staff_no" && matches!(d, Data::Float(_) | Data::Int(_)) {
                    typed_numbers.insert(row);
                }
                line[pos] = cell;
            }
            if line.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((row, line));
        }
        let mut notes = Vec::new();
        let first_row = sheet_rows.keys().next().copied().unwrap_or(head_row);
        if first_row + 1 == head_row {
            notes.push(format!("{name}:{sheet}: row {first_row} above the header skipped (a title)"));
        } else if first_row < head_row {
            notes.push(format!("{name}:{sheet}: rows {first_row}–{} above the header skipped (titles)", head_row - 1));
        }
        if !typed_numbers.is_empty() {
            let mut list: Vec<usize> = typed_numbers.iter().copied().collect();
            list.sort_unstable();
            let shown: Vec<String> = list.iter().take(10).map(usize::to_string).collect();
            let more = if list.len() > 10 { format!(" and {} more", list.len() - 10) } else { String::new() };
            notes.push(format!(
                "{name}:{sheet}: staff_no was typed as a number on rows {}{more} (Excel drops leading zeros): where exactly one stored staff number fits, it is that one (12 → 0012); a new one is stored as typed (12); format the column as Text to keep the zeros",
                shown.join(", ")
            ));
        }
        Ok(Table { name, sheet: Some(sheet), columns, rows, header_row: head_row, notes, typed_numbers })
    }

    /// Whether the staff number of `line` was an Excel number (its leading
    /// zeros lost): only then is it matched loosely, as ATTLOG PINs are.
    pub fn typed_number(&self, line: usize) -> bool {
        self.typed_numbers.contains(&line)
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// A cell, trimmed; `None` when the column is absent or the cell empty.
    pub fn get<'r>(&self, rec: &'r [String], column: &str) -> Option<&'r str> {
        self.columns.get(column).and_then(|&i| rec.get(i)).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A required cell.
    pub fn need<'r>(&self, line: usize, rec: &'r [String], column: &str) -> Result<&'r str, ImportError> {
        self.get(rec, column).ok_or_else(|| self.err(line, format!("{column} is empty")))
    }

    /// An error at a line (CSV) or row (XLSX) of this file.
    pub fn err(&self, line: usize, msg: impl Into<String>) -> ImportError {
        ImportError { sheet: self.sheet.clone(), ..ImportError::new(&self.name, line, msg) }
    }
}

/// Whether a file is read as a workbook: by its name, as Excel names it.
pub fn is_xlsx(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("xlsx"))
}

/// The column map of a header row: every name allowed, none twice, the
/// required ones there.
fn header<'a>(
    names: impl Iterator<Item = &'a str>,
    allowed: &[&str],
    required: &[&str],
) -> Result<HashMap<String, usize>, String> {
    let mut columns = HashMap::new();
    for (i, h) in names.enumerate() {
        let h = h.trim();
        if !allowed.contains(&h) {
            return Err(format!("unknown column {h:?} (columns: {})", allowed.join(",")));
        }
        if columns.insert(h.to_string(), i).is_some() {
            return Err(format!("column {h:?} appears twice"));
        }
    }
    for r in required {
        if !columns.contains_key(*r) {
            return Err(format!("missing column {r:?}"));
        }
    }
    Ok(columns)
}

/// `A`, `B`, … `AA` for a 0-based column.
pub(crate) fn column_letter(mut i: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).unwrap_or_default()
}

/// A cell as the CSV would carry it. Text as is. A number in a date or
/// time column, or a date cell, is an Excel serial (days since
/// 1899-12-30): as `YYYY-MM-DD`, `HH:MM` or `YYYY-MM-DD HH:MM` by what the
/// column holds, refused when it holds something else. A staff number
/// typed as a number is its digits (whole, below 10^15); a card or PIN
/// typed as one is refused (its leading zeros are gone). An Excel error
/// (`#N/A`) is refused.
fn cell_text(d: &calamine::Data, column: &str) -> Result<String, String> {
    use calamine::Data;
    let kind = cell_kind(column);
    let number = |v: f64| -> Result<String, String> {
        match column {
            "staff_no" if v.fract() == 0.0 && (0.0..1e15).contains(&v) => Ok(format!("{}", v as i64)),
            "staff_no" => Err(format!("{v} is not a staff number: format the column as Text and type it again")),
            "card" | "cards" | "pin" => {
                Err("typed as a number, its leading zeros are gone: format the column as Text and type it again".into())
            }
            // A plain number where a date belongs is a serial only in a
            // date format Excel writes as a number (from 2000 on), or a
            // fraction of a day where a time belongs: 830 is no time.
            _ if kind == CellKind::Time && !(0.0..1.0).contains(&v) => {
                Err(format!("{v} is a number, not a time of day: type HH:MM or format the cell as a time"))
            }
            _ if matches!(kind, CellKind::Date | CellKind::DateTime) && !(36_526.0..2_958_466.0).contains(&v) => {
                Err(format!("{v} is a number, not a date: type YYYY-MM-DD or format the cell as a date"))
            }
            _ if kind != CellKind::Text => serial(v, kind),
            _ if v.fract() == 0.0 && v.abs() < 1e15 => Ok(format!("{}", v as i64)),
            _ => Ok(v.to_string()),
        }
    };
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => number(*i as f64)?,
        Data::Float(f) => number(*f)?,
        Data::Bool(b) => b.to_string(),
        Data::DateTime(x) => serial(date_cell_serial(x)?, kind)?,
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("the cell is an Excel error ({e})")),
    })
}

/// A date cell's serial in the 1900 system (days since 1899-12-30): a
/// workbook in the 1904 system (old Mac Excel) counts from 1904-01-01,
/// which calamine's date knows; a time alone (below 1) is the same in both.
fn date_cell_serial(x: &calamine::ExcelDateTime) -> Result<f64, String> {
    let raw = x.as_f64();
    if !raw.is_finite() || !(0.0..2_958_466.0).contains(&raw) {
        return Err(format!("{raw} is not a date or time Excel can show"));
    }
    if raw < 1.0 {
        return Ok(raw);
    }
    let t = x.as_datetime().ok_or_else(|| format!("{raw} is not a date Excel can show"))?;
    let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).and_then(|d| d.and_hms_opt(0, 0, 0)).ok_or("no epoch")?;
    Ok((t - epoch).num_milliseconds() as f64 / 86_400_000.0)
}

/// An Excel serial as the text a `kind` column takes. Serials before 61
/// (1900-03-01) are refused: Excel counts a 1900-02-29 that never was.
fn serial(v: f64, kind: CellKind) -> Result<String, String> {
    // 2958465 is 9999-12-31, Excel's last day.
    if !v.is_finite() || !(0.0..2_958_466.0).contains(&v) {
        return Err(format!("{v} is not a date or time Excel can show"));
    }
    let mut secs = ((v * 86_400.0).round() as i64).min(2_958_466 * 86_400 - 1);
    if v < 1.0 {
        // 23:59:59.6 is still the day's last second, not the next day.
        secs = secs.min(86_399);
    }
    let (days, in_day) = (secs / 86_400, secs % 86_400);
    let clock = if in_day % 60 == 0 {
        format!("{:02}:{:02}", in_day / 3600, in_day / 60 % 60)
    } else {
        format!("{:02}:{:02}:{:02}", in_day / 3600, in_day / 60 % 60, in_day % 60)
    };
    let date = || -> Result<String, String> {
        if days < 61 {
            return Err("a date before 1900-03-01 (or a time without a date)".into());
        }
        let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).ok_or("no epoch")?;
        let d = epoch.checked_add_days(chrono::Days::new(days as u64)).ok_or("a date out of range")?;
        Ok(d.format("%Y-%m-%d").to_string())
    };
    match kind {
        CellKind::Time if days == 0 => Ok(clock),
        CellKind::Time => Err(format!("{} {clock} is a date, where a time of day alone belongs", date()?)),
        CellKind::Date if in_day == 0 => date(),
        CellKind::Date => Err(format!("{} {clock} has a time, where a date alone belongs", date()?)),
        CellKind::DateTime if days == 0 => Err(format!("{clock} is a time without a date")),
        CellKind::DateTime => Ok(format!("{} {clock}", date()?)),
        CellKind::Text if in_day == 0 => date(),
        CellKind::Text => Ok(format!("{} {clock}", date()?)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_gb18030_or_refused_with_the_line() {
        let (text, note) = decode("a.csv", "\u{feff}staff_no\n".as_bytes().to_vec()).unwrap();
        assert_eq!((text.as_str(), note), ("staff_no\n", None));
        // 张三 in GB18030 (GBK's bytes).
        let (text, note) = decode("b.csv", b"name\n\xd5\xc5\xc8\xfd\n".to_vec()).unwrap();
        assert_eq!(text, "name\n张三\n");
        assert!(note.unwrap().contains("GB18030 (Excel's \"CSV\" on a Chinese Windows), e.g. \"张三\""));
        // GBK's 郑 (d6 a3) is also two-byte UTF-8: still a GB18030 file; and
        // the sample is the name, never the line (which has a PIN).
        let (gbk, _, _) = encoding_rs::GB18030.encode("staff_no,name,pin\n0001,郑三,123456\n0002,张三,654321\n");
        let (text, note) = decode("z.csv", gbk.into_owned()).unwrap();
        assert!(text.contains("郑三") && text.contains("张三"));
        let note = note.unwrap();
        assert!(note.ends_with("e.g. \"郑三\"") && !note.contains("123456"), "{note}");
        // UTF-8 Chinese, then a GBK line: a UTF-8 file with a bad line.
        let e = decode("m.csv", b"name\n\xe5\xbc\xa0\n\xd5\xc5\xc8\xfd\n".to_vec()).unwrap_err();
        assert_eq!((e.line, e.message.contains("not valid UTF-8 here")), (3, true), "{e}");
        let e = decode("bom.csv", b"\xef\xbb\xbfname\nx\xff\n".to_vec()).unwrap_err();
        assert_eq!(e.line, 2, "{e}");
        // UTF-16 (Excel's "Unicode text"): 0xFF is no GB18030 byte.
        let e = decode("c.csv", b"a\nb\n\xff\xfe\x00x".to_vec()).unwrap_err();
        assert_eq!((e.line, e.to_string().contains("neither UTF-8 nor GB18030")), (3, true), "{e}");
    }

    #[test]
    fn a_file_that_is_not_text_is_named_for_what_it_is() {
        let xls = [&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1][..], &[0u8; 504]].concat();
        let zip = b"PK\x03\x04\x14\x00\x06\x00".to_vec();
        // "staff_no" in UTF-16LE with its BOM, as Excel's "Unicode text" saves.
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain("staff_no\t".encode_utf16().flat_map(u16::to_le_bytes)).collect();
        for (bytes, says) in [(xls, "old Excel (.xls)"), (zip, "a zip file"), (utf16, "UTF-16 text")] {
            let e = decode("名单.csv", bytes).unwrap_err();
            assert_eq!(e.line, 0, "the whole file, not a line: {e}");
            assert!(e.to_string().starts_with("名单.csv: this is ") && e.message.contains(says), "{e}");
        }
        // Text that merely starts like none of them is read as before.
        assert!(decode("a.csv", b"PK,name\n".to_vec()).is_ok());
    }

    #[test]
    fn cells_as_the_csv_would_carry_them() {
        use calamine::Data;
        // 2026-11-19 is serial 46345; 08:29 is 0.35347…
        let day = 46345.0;
        let t = 8.0 / 24.0 + 29.0 / 1440.0;
        assert_eq!(cell_text(&Data::Float(day), "date").unwrap(), "2026-11-19", "a Chinese date format is a number");
        assert_eq!(cell_text(&Data::Float(t), "start").unwrap(), "08:29");
        assert_eq!(cell_text(&Data::Float(day + t), "at").unwrap(), "2026-11-19 08:29");
        assert!(cell_text(&Data::Float(t), "at").unwrap_err().contains("not a date"), "a plain fraction is no date");
        // A date cell's serial against what the column holds.
        assert!(serial(day + t, CellKind::Time).unwrap_err().contains("a time of day alone"));
        assert!(serial(day + t, CellKind::Date).unwrap_err().contains("a date alone"));
        assert!(serial(t, CellKind::DateTime).unwrap_err().contains("without a date"));
        assert!(cell_text(&Data::Float(day + t), "start").unwrap_err().contains("not a time of day"));
        assert!(serial(59.0, CellKind::Date).unwrap_err().contains("1900-03-01"));
        for bad in [-1e9, f64::NEG_INFINITY, f64::NAN, 1e20] {
            assert!(cell_text(&Data::Float(bad), "at").is_err(), "{bad}");
        }
        assert_eq!(cell_text(&Data::Float(12.0), "staff_no").unwrap(), "12");
        assert!(cell_text(&Data::Float(12.5), "staff_no").unwrap_err().contains("not a staff number"));
        assert!(cell_text(&Data::Float(1e16), "staff_no").is_err());
        for col in ["card", "cards", "pin"] {
            assert!(cell_text(&Data::Float(100000012.0), col).unwrap_err().contains("leading zeros"), "{col}");
        }
        assert_eq!(cell_text(&Data::Float(3.5), "note").unwrap(), "3.5");
        // Plain numbers where dates or times belong: only plausible serials.
        assert!(cell_text(&Data::Float(830.0), "start").unwrap_err().contains("not a time of day"));
        assert!(cell_text(&Data::Float(2026.0), "date").unwrap_err().contains("not a date"));
        assert_eq!(cell_text(&Data::Float(0.999_999_9), "end").unwrap(), "23:59:59");
        assert!(cell_text(&Data::Error(calamine::CellErrorType::NA), "name").unwrap_err().contains("Excel error"));
    }

    #[test]
    fn columns_by_letter() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
