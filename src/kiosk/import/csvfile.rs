//! Reading a CSV file as SPEC.md defines them: UTF-8 with or without a BOM,
//! a header row, free column order, unknown columns refused, empty optional
//! cells meaning "not given". Errors name the file and the line.

use std::collections::HashMap;
use std::path::Path;

use super::ImportError;

/// A parsed CSV file: its rows with their editor line numbers.
pub struct CsvFile {
    pub name: String,
    columns: HashMap<String, usize>,
    pub rows: Vec<(usize, csv::StringRecord)>,
}

/// Reads a file as UTF-8 text, naming the line of the first invalid byte,
/// and drops a BOM.
pub fn read_text(path: &Path) -> Result<String, ImportError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ImportError::new(&name, 0, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let ok = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..ok].iter().filter(|&&b| b == b'\n').count() + 1;
        ImportError::new(&name, line, "not UTF-8 text (save the file as UTF-8)")
    })?;
    Ok(text.strip_prefix('\u{feff}').map(str::to_string).unwrap_or(text))
}

impl CsvFile {
    /// Reads `path`, checking the header against the allowed and required columns.
    pub fn read(path: &Path, allowed: &[&str], required: &[&str]) -> Result<CsvFile, ImportError> {
        let text = read_text(path)?;
        CsvFile::parse(&path.display().to_string(), &text, allowed, required)
    }

    pub fn parse(name: &str, text: &str, allowed: &[&str], required: &[&str]) -> Result<CsvFile, ImportError> {
        let mut rdr = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let headers = rdr.headers().map_err(|e| ImportError::new(name, 1, format!("bad header: {e}")))?.clone();
        let mut columns = HashMap::new();
        for (i, h) in headers.iter().enumerate() {
            let h = h.trim();
            if !allowed.contains(&h) {
                return Err(ImportError::new(
                    name,
                    1,
                    format!("unknown column {h:?} (columns: {})", allowed.join(",")),
                ));
            }
            if columns.insert(h.to_string(), i).is_some() {
                return Err(ImportError::new(name, 1, format!("column {h:?} appears twice")));
            }
        }
        for r in required {
            if !columns.contains_key(*r) {
                return Err(ImportError::new(name, 1, format!("missing column {r:?}")));
            }
        }
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
            rows.push((line, rec));
        }
        Ok(CsvFile { name: name.to_string(), columns, rows })
    }

    pub fn has(&self, column: &str) -> bool {
        self.columns.contains_key(column)
    }

    /// A cell, trimmed; `None` when the column is absent or the cell empty.
    pub fn get<'r>(&self, rec: &'r csv::StringRecord, column: &str) -> Option<&'r str> {
        self.columns.get(column).and_then(|&i| rec.get(i)).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A required cell.
    pub fn need<'r>(&self, line: usize, rec: &'r csv::StringRecord, column: &str) -> Result<&'r str, ImportError> {
        self.get(rec, column).ok_or_else(|| ImportError::new(&self.name, line, format!("{column} is empty")))
    }

    pub fn err(&self, line: usize, msg: impl Into<String>) -> ImportError {
        ImportError::new(&self.name, line, msg)
    }
}
