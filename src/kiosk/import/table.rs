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
}

/// The text of a CSV file: UTF-8 (a BOM dropped), else GB18030 (with a
/// note saying so), else refused naming the line of the first bad byte.
pub fn read_text(path: &Path) -> Result<(String, Option<String>), ImportError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::new(&name, 0, format!("cannot read: {e}")))?;
    decode(&name, bytes)
}

/// [`read_text`] on bytes already read.
pub fn decode(name: &str, bytes: Vec<u8>) -> Result<(String, Option<String>), ImportError> {
    let not_utf8 = match String::from_utf8(bytes) {
        Ok(text) => return Ok((text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text), None)),
        Err(e) => e,
    };
    let bytes = not_utf8.into_bytes();
    match encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
        Some(text) => Ok((
            text.into_owned(),
            Some(format!("{name}: not UTF-8; read as GB18030 (Excel's \"CSV\" on a Chinese Windows)")),
        )),
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

/// Columns whose Excel date cells carry a date, a time of day, or both.
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
        Ok(Table { name: name.to_string(), sheet: None, columns, rows, header_row: 1, notes: vec![] })
    }

    /// The first sheet of a workbook.
    fn xlsx(path: &Path, allowed: &[&str], required: &[&str]) -> Result<Table, ImportError> {
        use calamine::Reader;
        let name = path.display().to_string();
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(path)
            .map_err(|e| ImportError::new(&name, 0, format!("not an Excel workbook (.xlsx): {e}")))?;
        let sheet = book
            .sheet_names()
            .first()
            .cloned()
            .ok_or_else(|| ImportError::new(&name, 0, "the workbook has no sheet"))?;
        let range = book
            .worksheet_range(&sheet)
            .map_err(|e| ImportError::new(&name, 0, format!("sheet {sheet}: cannot be read: {e}")))?;
        let at =
            |row: usize, msg: String| ImportError { sheet: Some(sheet.clone()), ..ImportError::new(&name, row, msg) };
        let first_row = range.start().map_or(0, |(r, _)| r as usize);
        let first_col = range.start().map_or(0, |(_, c)| c as usize);
        // Rows of plain text first, to find the header.
        let grid: Vec<&[calamine::Data]> = range.rows().collect();
        let text = |d: &calamine::Data| d.to_string().trim().to_string();
        let header_at = grid
            .iter()
            .position(|r| {
                let cells: Vec<String> = r.iter().map(text).collect();
                required.iter().all(|c| cells.iter().any(|x| x == c))
            })
            .ok_or_else(|| {
                at(
                    0,
                    format!(
                        "no header row with the columns {} (the first sheet is read; columns: {})",
                        required.join(","),
                        allowed.join(",")
                    ),
                )
            })?;
        let head_row = first_row + header_at + 1;
        let names: Vec<String> = grid[header_at].iter().map(text).collect();
        // Blank header cells at the end of the used range are not columns.
        let width = names.iter().rposition(|n| !n.is_empty()).map_or(0, |i| i + 1);
        if let Some(i) = names[..width].iter().position(String::is_empty) {
            return Err(at(head_row, format!("column {} has no name in the header row", column_letter(first_col + i))));
        }
        let columns =
            header(names[..width].iter().map(String::as_str), allowed, required).map_err(|m| at(head_row, m))?;
        let by_index: Vec<&str> = names[..width].iter().map(String::as_str).collect();
        let mut rows = Vec::new();
        let mut notes = Vec::new();
        let empty = calamine::Data::Empty;
        for (i, r) in grid.iter().enumerate().skip(header_at + 1) {
            let row = first_row + i + 1;
            if let Some(j) = r.iter().skip(width).position(|d| !text(d).is_empty()) {
                let col = column_letter(first_col + width + j);
                return Err(at(row, format!("a value in column {col}, which has no name in the header row")));
            }
            let mut cells = Vec::with_capacity(width);
            for (j, column) in by_index.iter().enumerate() {
                let d = r.get(j).unwrap_or(&empty);
                let cell = cell_text(d, cell_kind(column)).map_err(|m| at(row, format!("{column}: {m}")))?;
                if *column == "staff_no" && matches!(d, calamine::Data::Float(_) | calamine::Data::Int(_)) {
                    notes.push(format!(
                        "{name}:{sheet}!{row}: staff_no {cell} was typed as a number (leading zeros are lost); matched as ATTLOG PINs are, 12 = 0012"
                    ));
                }
                cells.push(cell);
            }
            if cells.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            rows.push((row, cells));
        }
        Ok(Table { name, sheet: Some(sheet), columns, rows, header_row: head_row, notes })
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
fn column_letter(mut i: usize) -> String {
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

/// A cell as the CSV would carry it: text as is; a whole number without
/// `.0` (a staff number typed as a number); a date cell as `YYYY-MM-DD`,
/// `HH:MM` or `YYYY-MM-DD HH:MM` by what the column holds (seconds when
/// they are not 0). An Excel error (`#N/A`) is refused.
fn cell_text(d: &calamine::Data, kind: CellKind) -> Result<String, String> {
    use calamine::Data;
    Ok(match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(x) => {
            let t = x.as_datetime().ok_or_else(|| format!("date cell {x} is not a date Excel can show"))?;
            let clock = |t: chrono::NaiveDateTime| {
                if chrono::Timelike::second(&t) == 0 {
                    t.format("%H:%M").to_string()
                } else {
                    t.format("%H:%M:%S").to_string()
                }
            };
            match kind {
                CellKind::Date => t.format("%Y-%m-%d").to_string(),
                // A time typed alone is a day-0 date in Excel.
                CellKind::Time => clock(t),
                CellKind::DateTime | CellKind::Text => format!("{} {}", t.format("%Y-%m-%d"), clock(t)),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => return Err(format!("the cell is an Excel error ({e})")),
    })
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
        assert!(note.unwrap().contains("GB18030"));
        // UTF-16 (Excel's "Unicode text"): 0xFF is no GB18030 byte.
        let e = decode("c.csv", b"a\nb\n\xff\xfe\x00x".to_vec()).unwrap_err();
        assert_eq!((e.line, e.to_string().contains("neither UTF-8 nor GB18030")), (3, true), "{e}");
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
