//! The holiday calendar file (holiday-cn JSON, one year), read for the
//! kiosk's `calendar import` and the central server's: the year and its
//! listed days, or an error naming the file and line.

use std::path::Path;

use chrono::{Datelike, NaiveDate};

use super::table::read_text;
use super::ImportError;
use crate::domain::rules::calendar::HolidayFile;

/// A year's listed days: date, name (春节, 国庆节), whether it is off.
pub type Year = (i32, Vec<(NaiveDate, String, bool)>);

/// Reads one year of holiday-cn JSON. Every listed day must lie in the
/// file's year (a day of another year would replace the wrong one).
pub fn read(path: &Path) -> Result<Year, ImportError> {
    let name = path.display().to_string();
    let (text, _) = read_text(path)?;
    parse(&name, &text)
}

/// [`read`] over text already read (`name` is said in errors).
pub fn parse(name: &str, text: &str) -> Result<Year, ImportError> {
    let file: HolidayFile = serde_json::from_str(text)
        .map_err(|e| ImportError::new(name, e.line(), format!("not a holiday-cn calendar: {e}")))?;
    let mut days = Vec::with_capacity(file.days.len());
    for d in &file.days {
        if d.date.year() != file.year {
            let line = text.find(&d.date.to_string()).map_or(0, |i| text[..i].lines().count());
            return Err(ImportError::new(name, line, format!("{} is not in year {}", d.date, file.year)));
        }
        days.push((d.date, d.name.clone(), d.is_off_day));
    }
    Ok((file.year, days))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_of_another_year_is_refused_with_its_line() {
        let text = "{\"year\": 2026,\n \"days\": [\n {\"name\": \"元旦\", \"date\": \"2026-01-01\", \"isOffDay\": true},\n {\"name\": \"x\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}";
        let e = parse("cal.json", text).unwrap_err();
        assert_eq!(e.to_string(), "cal.json:4: 2027-01-01 is not in year 2026");
        let ok = parse("cal.json", &text.replace("2027-01-01", "2026-10-01")).unwrap();
        assert_eq!(ok.0, 2026);
        assert_eq!(ok.1.len(), 2);
        assert!(parse("cal.json", "[1,2]").unwrap_err().message.starts_with("not a holiday-cn calendar"));
    }
}
