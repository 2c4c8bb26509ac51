//! The files people hand dutyclock (SPEC.md "Files"), read the same way
//! by the kiosk's imports and the central server's: CSV (UTF-8 or
//! GB18030) or an `.xlsx` workbook with the same columns ([`table`]), and
//! the error that names where a file is wrong.

pub mod calendar;
pub mod duty;
pub mod staff;
pub mod table;
pub mod template;

use std::fmt;

/// A refused import: the file, the line (1 = header) or, in a workbook,
/// the sheet and row; what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportError {
    pub file: String,
    pub sheet: Option<String>,
    pub line: usize,
    pub message: String,
}

impl ImportError {
    pub fn new(file: &str, line: usize, message: impl Into<String>) -> Self {
        ImportError { file: file.to_string(), sheet: None, line, message: message.into() }
    }
}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.sheet, self.line) {
            (Some(sheet), 0) => write!(f, "{}:{sheet}: {}", self.file, self.message),
            (Some(sheet), row) => write!(f, "{}:{sheet}!{row}: {}", self.file, self.message),
            (None, 0) => write!(f, "{}: {}", self.file, self.message),
            (None, line) => write!(f, "{}:{line}: {}", self.file, self.message),
        }
    }
}
