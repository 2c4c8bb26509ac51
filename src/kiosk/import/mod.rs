//! Imports of the files SPEC.md defines, as CSV (UTF-8 or GB18030) or as
//! an `.xlsx` workbook with the same columns (`table`). Each importer
//! validates every row first and writes in one transaction: one bad row
//! refuses the file with `FILE:LINE: what is wrong` (`FILE:SHEET!ROW` in a
//! workbook) and nothing is stored. Re-importing the same rows stores
//! nothing twice (natural keys, insert-or-ignore).

use std::path::{Path, PathBuf};

use crate::domain::config::Config;
use crate::domain::model::{PunchOwner, PunchSource};
use crate::domain::time::{local_to_instant, parse_time, Instant};
use crate::files::staff::check_photo;
pub use crate::files::staff::{pin_key, Known, Roll, MAX_PHOTO_BYTES, MAX_PHOTO_SIDE};
pub use crate::files::table::{is_xlsx, read_text, Table};
pub use crate::files::ImportError;
use crate::kiosk::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Input(ImportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ImportError> for Error {
    fn from(e: ImportError) -> Self {
        Error::Input(e)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// What an import stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    pub added: usize,
    pub existing: usize,
    /// Ids of the records the file names (new and already stored), for voids.
    pub ids: Vec<i64>,
    /// Further lines for the person (cards assigned, versions updated).
    pub notes: Vec<String>,
}

/// Copies a photo into the `photos` folder beside the database, named by
/// its content (a USB stick taken away keeps nothing from the door; the
/// same picture twice is one file), and returns the copy's path.
fn keep_photo(db: &Path, (path, _): &(PathBuf, &'static str)) -> std::io::Result<String> {
    // The bytes copied are the bytes checked (the file may have changed).
    let bytes = std::fs::read(path)?;
    check_photo(&bytes).map_err(|m| std::io::Error::other(format!("{}: {m}", path.display())))?;
    let file = crate::files::staff::keep_photo(&photos_dir(db), &bytes)?;
    file.into_os_string()
        .into_string()
        .map_err(|p| std::io::Error::other(format!("not a UTF-8 path: {}", p.to_string_lossy())))
}

/// The `photos` folder beside the database.
pub fn photos_dir(db: &Path) -> PathBuf {
    db.parent().unwrap_or(Path::new(".")).join("photos")
}

/// `staff import`: adds or updates staff and card assignments.
///
/// Cards listed for a person are assigned to them; a card is taken from a
/// person only by assigning it to someone else (R3). A staff row identical
/// to the stored one adds nothing; a PIN that matches the stored hash keeps it.
/// A `photo` sets the person's photo (an empty cell keeps the stored one).
pub fn staff(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let roll = Roll::new(store.staff()?);
    let units_of_kiosk = |unit: &str| -> std::result::Result<(), String> {
        match config.units.iter().any(|u| u == unit) {
            true => Ok(()),
            false => Err(format!("unit {unit:?} is not one of this kiosk's units ({})", config.units.join(", "))),
        }
    };
    let schedule_in_config = |schedule: &str| -> std::result::Result<(), String> {
        match schedule == crate::domain::model::NO_SCHEDULE || config.schedules.contains_key(schedule) {
            true => Ok(()),
            false => Err(format!(
                "unknown schedule {schedule:?} (config has no [schedules.{schedule}]; \"none\": no obligations)"
            )),
        }
    };
    let made_on = config.default_schedule().attendance_day(now);
    let known = Known {
        roll: &roll,
        unit_ok: &units_of_kiosk,
        schedule_ok: &schedule_in_config,
        // In service: the kiosk has taken its own first scan on a synchronized clock.
        in_service: store.began_at()?.is_some(),
        made_on,
        photos: true,
    };
    let (rows, read_notes) = crate::files::staff::read(path, &known)?;
    // Every row is checked: now the photos are kept beside the database.
    let mut kept: Vec<Option<String>> = Vec::with_capacity(rows.len());
    for (s, _, _, photo) in &rows {
        kept.push(
            photo
                .as_ref()
                .map(|p| keep_photo(store.path(), p))
                .transpose()
                .map_err(|e| StoreError::Invalid(format!("photo of {}: cannot keep a copy: {e}", s.staff_no)))?,
        );
    }
    let mut out = Outcome { notes: read_notes, ..Outcome::default() };
    let mut assigned = 0;
    let mut w = store.writer()?;
    let mut photos = 0;
    for ((s, cards, cards_from, _), photo) in rows.iter().zip(&kept) {
        if w.put_staff(s, now)? {
            out.added += 1;
        } else {
            out.existing += 1;
        }
        if let Some(p) = photo {
            w.set_photo(&s.staff_no, p)?;
            photos += 1;
        }
        for card in cards {
            if w.assign_card(card, &s.staff_no, *cards_from, made_on, now)? {
                assigned += 1;
            }
        }
    }
    w.commit()?;
    out.notes.push(format!("{assigned} card assignments added"));
    if photos > 0 {
        out.notes.push(format!("{photos} photos set"));
    }
    Ok(out)
}

/// `calendar import`: one year of holiday-cn JSON, replacing that year.
pub fn calendar(store: &mut Store, path: &Path, now: Instant) -> Result<Outcome> {
    let (year, days) = crate::files::calendar::read(path)?;
    let mut w = store.writer()?;
    w.replace_calendar_year(year, &days, now)?;
    w.commit()?;
    Ok(Outcome {
        added: days.len(),
        notes: vec![format!("calendar {year} imported ({} days listed)", days.len())],
        ..Outcome::default()
    })
}

/// `roster import`: 值班 sessions.
pub fn roster(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let roll = Roll::new(store.staff()?);
    let (f, read) = crate::files::duty::roster(path, &roll)?;
    let mut rows = Vec::new();
    for r in read {
        let span = r.span;
        let staff = &roll.by_no[&r.staff_no];
        if let Some(m) = config.schedule(&staff.schedule).session_refused(&span) {
            return Err(f.err(r.line, m).into());
        }
        rows.push((r.staff_no, r.date, span));
    }
    let mut out = Outcome { notes: f.notes.clone(), ..Outcome::default() };
    let mut w = store.writer()?;
    for (no, date, span) in &rows {
        if w.add_roster(no, *date, *span, now)? {
            out.added += 1;
        } else {
            out.existing += 1;
        }
    }
    w.commit()?;
    Ok(out)
}

/// `leave import`: leave and duty records. `from`/`to` are local times in
/// the person's schedule zone; they are stored as instants, so a later
/// change of the person's schedule never moves them.
pub fn leave(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let roll = Roll::new(store.staff()?);
    let (f, read) = crate::files::duty::leave(path, &roll)?;
    let mut rows = Vec::new();
    for r in read {
        let tz = config.schedule(&roll.by_no[&r.staff_no].schedule).tz;
        let (from, to) = (local_to_instant(tz, r.from), local_to_instant(tz, r.to));
        if to <= from {
            return Err(f.err(r.line, "leave lies inside a daylight-saving gap: it has no length").into());
        }
        rows.push((r.staff_no, r.kind, (from, to), tz, r.approved_by, r.note));
    }
    let mut out = Outcome { notes: f.notes.clone(), ..Outcome::default() };
    let mut revoked = Vec::new();
    let mut w = store.writer()?;
    for (no, kind, span, tz, by, note) in &rows {
        let r = w.add_leave(no, kind, *span, *tz, by, note, now)?;
        if !r.is_new() && w.is_voided(crate::kiosk::store::VoidTarget::Leave, r.id())? {
            revoked.push(r.id().to_string());
        }
        count(&mut out, r);
    }
    w.commit()?;
    if !revoked.is_empty() {
        out.notes.push(format!(
            "note: leave records {} were revoked (销假) before; importing them again does not restore them",
            revoked.join(", ")
        ));
    }
    Ok(out)
}

fn count(out: &mut Outcome, r: crate::kiosk::store::Inserted) {
    if r.is_new() {
        out.added += 1;
    } else {
        out.existing += 1;
    }
    out.ids.push(r.id());
}

/// The format of a punches file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PunchFormat {
    Csv,
    Attlog,
}

/// Guesses the format: a CSV file starts with its header; ATTLOG lines are
/// tab-separated and start with a PIN.
pub fn guess_format(text: &str) -> PunchFormat {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let head = first.split(',').next().unwrap_or("").trim();
    if first.contains('\t') && !matches!(head, "card" | "staff_no" | "at") {
        PunchFormat::Attlog
    } else {
        PunchFormat::Csv
    }
}

/// The progress of a long import on stderr: a bar on a terminal
/// (indicatif), else a plain line at every tenth; nothing under
/// [`Progress::FROM`] items, so everyday files stay quiet.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    what: &'static str,
    total: u64,
    done: u64,
    shown_tenth: u64,
}

impl Progress {
    /// Items from which progress is shown.
    pub const FROM: u64 = 20_000;

    /// `show`: whether to show anything (the command line's imports).
    pub fn new(show: bool, what: &'static str, total: u64) -> Progress {
        use std::io::IsTerminal;
        let show = show && total >= Self::FROM;
        let bar = (show && std::io::stderr().is_terminal()).then(|| {
            let style = indicatif::ProgressStyle::with_template("{msg} {bar:40} {pos}/{len} ({per_sec}, {eta})")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            indicatif::ProgressBar::new(total).with_style(style).with_message(what)
        });
        Progress { bar, what, total: if show { total } else { 0 }, done: 0, shown_tenth: 0 }
    }

    pub fn tick(&mut self) {
        self.done += 1;
        if let Some(b) = &self.bar {
            if self.done.is_multiple_of(1024) || self.done == self.total {
                b.set_position(self.done);
            }
        } else if let Some(tenth) = (self.done * 10).checked_div(self.total) {
            if tenth > self.shown_tenth {
                self.shown_tenth = tenth;
                eprintln!("{}: {}/{} ({}%)", self.what, self.done, self.total, tenth * 10);
            }
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

/// `punches import`: historic punches, CSV (`card,at` or `staff_no,at`,
/// or an `.xlsx` with those columns) or ZKTeco ATTLOG. With `progress`, a
/// long file shows its progress on stderr.
pub fn punches(
    store: &mut Store,
    config: &Config,
    path: &Path,
    format: Option<PunchFormat>,
    progress: bool,
    now: Instant,
) -> Result<Outcome> {
    let name = path.display().to_string();
    // A workbook has the CSV's columns; a text file is CSV or ATTLOG.
    let (text, read_note) = if is_xlsx(path) { (String::new(), None) } else { read_text(path)? };
    let roll = Roll::new(store.staff()?);
    let mut rows: Vec<(PunchOwner, Instant, PunchSource)> = Vec::new();
    let mut notes: Vec<String> = read_note.into_iter().collect();
    let format = if is_xlsx(path) { PunchFormat::Csv } else { format.unwrap_or_else(|| guess_format(&text)) };
    match format {
        PunchFormat::Csv => {
            let (allowed, required) = (&["card", "staff_no", "at"], &["at"]);
            let f = if is_xlsx(path) {
                Table::read(path, allowed, required)?
            } else {
                Table::parse(&name, &text, allowed, required)?
            };
            notes.extend(f.notes.iter().cloned());
            if f.has("card") == f.has("staff_no") {
                return Err(f.err(f.header_row, "give exactly one of the columns card or staff_no").into());
            }
            // A card's local time is in its owner's zone at that time (R3).
            let zone_of = |no: &str| roll.by_no.get(no).map(|s| config.schedule(&s.schedule));
            let book = crate::domain::rules::CardBook::new(&store.assignments()?, |no, d| {
                zone_of(no).unwrap_or_else(|| config.default_schedule()).day_start(d)
            });
            for (line, rec) in &f.rows {
                let line = *line;
                let at_text = f.need(line, rec, "at")?;
                if f.has("card") {
                    let card =
                        crate::domain::cards::normalize(f.need(line, rec, "card")?).map_err(|m| f.err(line, m))?;
                    let in_zone = |tz| parse_time(at_text, tz).map_err(|m| f.err(line, format!("at: {m}")));
                    let guess = in_zone(config.default_schedule().tz)?;
                    let at = match book.owner(&card, guess).and_then(zone_of) {
                        Some(s) => in_zone(s.tz)?,
                        None => guess,
                    };
                    rows.push((PunchOwner::Card(card), at, PunchSource::Import));
                } else {
                    let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
                    let at = parse_time(at_text, config.schedule(&staff.schedule).tz)
                        .map_err(|m| f.err(line, format!("at: {m}")))?;
                    rows.push((PunchOwner::Staff(staff.staff_no.clone()), at, PunchSource::Import));
                }
            }
        }
        PunchFormat::Attlog => {
            let mut shown = Progress::new(progress, "reading ATTLOG lines", text.lines().count() as u64);
            for (i, raw) in text.lines().enumerate() {
                shown.tick();
                let line = i + 1;
                let l = raw.trim_end_matches('\r');
                if l.trim().is_empty() {
                    continue;
                }
                let cols: Vec<&str> = l.split('\t').collect();
                if cols.len() < 2 {
                    return Err(ImportError::new(
                        &name,
                        line,
                        "not an ATTLOG line: expected PIN<TAB>YYYY-MM-DD HH:MM:SS…",
                    )
                    .into());
                }
                let pin = cols[0].trim();
                let staff = match roll.find(pin, true) {
                    Ok(Some(s)) => s,
                    Ok(None) => {
                        return Err(ImportError::new(&name, line, format!("unknown staff number {pin:?} (PIN)")).into())
                    }
                    Err(m) => return Err(ImportError::new(&name, line, m).into()),
                };
                let local =
                    chrono::NaiveDateTime::parse_from_str(cols[1].trim(), "%Y-%m-%d %H:%M:%S").map_err(|_| {
                        ImportError::new(
                            &name,
                            line,
                            format!("bad time {:?}: expected YYYY-MM-DD HH:MM:SS", cols[1].trim()),
                        )
                    })?;
                let at = crate::domain::time::local_to_instant(config.schedule(&staff.schedule).tz, local);
                rows.push((PunchOwner::Staff(staff.staff_no.clone()), at, PunchSource::Attlog));
            }
        }
    }
    let mut out = Outcome { notes, ..Outcome::default() };
    let mut w = store.writer()?;
    let mut shown = Progress::new(progress, "storing punches", rows.len() as u64);
    for (owner, at, source) in &rows {
        let r = w.add_punch(owner, *at, *source, None, None, now)?;
        count(&mut out, r);
        shown.tick();
    }
    drop(shown);
    w.commit()?;
    Ok(out)
}

/// `spotcheck import`: 查岗 results.
pub fn spot_checks(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let cols = ["staff_no", "at", "result", "inspector", "note"];
    let f = Table::read(path, &cols, &cols[..3])?;
    let roll = Roll::new(store.staff()?);
    let mut rows = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
        let at = parse_time(f.need(line, rec, "at")?, config.schedule(&staff.schedule).tz)
            .map_err(|m| f.err(line, format!("at: {m}")))?;
        let present = match f.need(line, rec, "result")? {
            "present" => true,
            "absent" => false,
            other => return Err(f.err(line, format!("bad result {other:?}: present or absent")).into()),
        };
        rows.push((
            staff.staff_no.clone(),
            at,
            present,
            f.get(rec, "inspector").unwrap_or("").to_string(),
            f.get(rec, "note").unwrap_or("").to_string(),
        ));
    }
    let mut out = Outcome { notes: f.notes.clone(), ..Outcome::default() };
    let mut w = store.writer()?;
    for (no, at, present, inspector, note) in &rows {
        let r = w.add_spot_check(no, *at, *present, inspector, note, now)?;
        count(&mut out, r);
    }
    w.commit()?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_ignore_leading_zeros_only_when_numeric() {
        assert_eq!(pin_key("  12"), pin_key("0012"));
        assert_eq!(pin_key("000"), "0");
        assert_ne!(pin_key("A12"), pin_key("A012"));
    }

    #[test]
    fn format_guess() {
        assert_eq!(guess_format("card,at\n"), PunchFormat::Csv);
        assert_eq!(guess_format("\u{feff}staff_no,at\n"), PunchFormat::Csv);
        assert_eq!(guess_format("    12\t2026-11-19 08:29:00\t0\t1\t0\r\n"), PunchFormat::Attlog);
    }
}
