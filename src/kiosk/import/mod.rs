//! Imports of the files SPEC.md defines, as CSV (UTF-8 or GB18030) or as
//! an `.xlsx` workbook with the same columns (`table`). Each importer
//! validates every row first and writes in one transaction: one bad row
//! refuses the file with `FILE:LINE: what is wrong` (`FILE:SHEET!ROW` in a
//! workbook) and nothing is stored. Re-importing the same rows stores
//! nothing twice (natural keys, insert-or-ignore).

pub mod template;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::domain::config::Config;
use crate::domain::model::{PunchOwner, PunchSource, Role, Staff};
use crate::domain::rules::{ClockSpan, HolidayFile};
use crate::domain::time::{local_to_instant, parse_clock, parse_date, parse_local, parse_time, Instant};
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

/// Staff as the store knows them, for checking staff numbers in files.
struct Roll {
    by_no: HashMap<String, Staff>,
    /// Every all-digit staff number by its [`pin_key`].
    by_pin: HashMap<String, Vec<String>>,
}

impl Roll {
    fn load(store: &Store) -> Result<Roll> {
        let by_no: HashMap<String, Staff> = store.staff()?.into_iter().map(|s| (s.staff_no.clone(), s)).collect();
        let mut by_pin: HashMap<String, Vec<String>> = HashMap::new();
        for no in by_no.keys().filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            by_pin.entry(pin_key(no)).or_default().push(no.clone());
        }
        for v in by_pin.values_mut() {
            v.sort();
        }
        Ok(Roll { by_no, by_pin })
    }

    /// The person a staff number names. Exactly, unless it is `loose`: a
    /// number that lost its leading zeros (an Excel number cell, an ATTLOG
    /// PIN), matched as SPEC matches ATTLOG PINs (`12` = `0012`) when only
    /// one stored number fits, and refused when several do.
    fn find(&self, no: &str, loose: bool) -> std::result::Result<Option<&Staff>, String> {
        let digits = !no.is_empty() && no.bytes().all(|b| b.is_ascii_digit());
        if !loose || !digits {
            return Ok(self.by_no.get(no));
        }
        // Zeros kept (a device that pads its PINs): the number as it is.
        if no.starts_with('0') {
            if let Some(s) = self.by_no.get(no) {
                return Ok(Some(s));
            }
        }
        match self.by_pin.get(&pin_key(no)).map(Vec::as_slice) {
            None | Some([]) => Ok(None),
            Some([one]) => Ok(self.by_no.get(one)),
            Some(many) => Err(format!(
                "staff number {no} (without its leading zeros) fits stored staff numbers {}: type it as text, or make those staff numbers distinct",
                many.join(", ")
            )),
        }
    }

    fn get(&self, file: &Table, line: usize, no: &str) -> std::result::Result<&Staff, ImportError> {
        match self.find(no, file.typed_number(line)) {
            Ok(Some(s)) => Ok(s),
            Ok(None) => {
                // A near miss (0012 where 12 is stored) is said.
                let near = match self.find(no, true) {
                    Ok(Some(s)) => format!("; {} is stored", s.staff_no),
                    _ => String::new(),
                };
                Err(file.err(line, format!("unknown staff number {no:?} (import staff first{near})")))
            }
            Err(m) => Err(file.err(line, m)),
        }
    }
}

const STAFF_COLUMNS: &[&str] = &[
    "staff_no",
    "name",
    "unit",
    "cards",
    "cards_from",
    "schedule",
    "role",
    "pin",
    "active_from",
    "active_until",
    "photo",
];

/// The largest photo file imported (a passport photo is ~50 KB).
pub const MAX_PHOTO_BYTES: u64 = 2 * 1024 * 1024;
/// The largest photo side in pixels: decoded at the door, a picture costs
/// its width × height × 4 bytes, and the scan screen shows it at ~200 px.
pub const MAX_PHOTO_SIDE: usize = 1024;

/// A `photo` cell: a JPEG or PNG file, relative to the staff file's folder
/// or absolute. It is checked now (it exists, is a JPEG or PNG by its
/// header, at most [`MAX_PHOTO_BYTES`] and [`MAX_PHOTO_SIDE`] pixels a
/// side), so a typo or a 20-megapixel camera file is refused with its line
/// instead of a blank or a stall at the door. Returns the file and its
/// extension; [`keep_photo`] copies it next to the database once every
/// row is good (photos are not held in memory meanwhile).
fn read_photo(staff_file: &Path, cell: &str) -> std::result::Result<(PathBuf, &'static str), String> {
    let base = staff_file.parent().unwrap_or(Path::new("."));
    let path = base.join(cell);
    let say = |m: String| format!("photo {}: {m}", path.display());
    let len = std::fs::metadata(&path).map_err(|e| say(e.to_string()))?.len();
    if len > MAX_PHOTO_BYTES {
        return Err(say(format!("{:.1} MB, at most {} MB", len as f64 / 1_048_576.0, MAX_PHOTO_BYTES / 1_048_576)));
    }
    let bytes = std::fs::read(&path).map_err(|e| say(e.to_string()))?;
    let ext = check_photo(&bytes).map_err(say)?;
    Ok((path, ext))
}

/// A photo's bytes: JPEG or PNG, at most [`MAX_PHOTO_BYTES`] and
/// [`MAX_PHOTO_SIDE`] pixels a side. Returns its file extension.
fn check_photo(bytes: &[u8]) -> std::result::Result<&'static str, String> {
    if bytes.len() as u64 > MAX_PHOTO_BYTES {
        let mb = bytes.len() as f64 / 1_048_576.0;
        return Err(format!("{mb:.1} MB, at most {} MB", MAX_PHOTO_BYTES / 1_048_576));
    }
    let ext = match imagesize::image_type(bytes) {
        Ok(imagesize::ImageType::Jpeg) => "jpg",
        Ok(imagesize::ImageType::Png) => "png",
        _ => return Err("not a JPEG or PNG image".into()),
    };
    let size = imagesize::blob_size(bytes).map_err(|e| format!("unreadable image ({e})"))?;
    if size.width == 0 || size.height == 0 || size.width > MAX_PHOTO_SIDE || size.height > MAX_PHOTO_SIDE {
        return Err(format!("{}×{} pixels, at most {MAX_PHOTO_SIDE} a side", size.width, size.height));
    }
    Ok(ext)
}

/// Copies a photo into the `photos` folder beside the database, named by
/// its content (a USB stick taken away keeps nothing from the door; the
/// same picture twice is one file), and returns the copy's path.
fn keep_photo(db: &Path, (path, _): &(PathBuf, &'static str)) -> std::io::Result<String> {
    use sha2::Digest;
    // The bytes copied are the bytes checked (the file may have changed).
    let bytes = std::fs::read(path)?;
    let ext = check_photo(&bytes).map_err(|m| std::io::Error::other(format!("{}: {m}", path.display())))?;
    let dir = db.parent().unwrap_or(Path::new(".")).join("photos");
    std::fs::create_dir_all(&dir)?;
    let digest = sha2::Sha256::digest(&bytes);
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    let file = dir.join(format!("{name}.{ext}"));
    if !file.exists() {
        // Written whole, then renamed: never a half picture under the name.
        let tmp = dir.join(format!(".{name}.{ext}.part"));
        std::fs::write(&tmp, &bytes)?;
        std::fs::rename(&tmp, &file)?;
    }
    let abs = std::path::absolute(&file)?;
    abs.into_os_string()
        .into_string()
        .map_err(|p| std::io::Error::other(format!("not a UTF-8 path: {}", p.to_string_lossy())))
}

/// A staff file's row: the person, their cards from a date, their photo.
type StaffRow = (Staff, Vec<String>, Option<NaiveDate>, Option<(PathBuf, &'static str)>);

/// `staff import`: adds or updates staff and card assignments.
///
/// Cards listed for a person are assigned to them; a card is taken from a
/// person only by assigning it to someone else (R3). A staff row identical
/// to the stored one adds nothing; a PIN that matches the stored hash keeps it.
/// A `photo` sets the person's photo (an empty cell keeps the stored one).
pub fn staff(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let f = Table::read(path, STAFF_COLUMNS, &["staff_no", "name", "unit"])?;
    let roll = Roll::load(store)?;
    let mut read_notes = f.notes.clone();
    let made_on = config.default_schedule().attendance_day(now);
    // In service: the kiosk has taken its own first scan on a synchronized clock.
    let in_service = store.began_at()?.is_some();
    let mut seen_no: HashMap<String, usize> = HashMap::new();
    let mut seen_key: HashMap<String, (usize, String)> = HashMap::new();
    let mut seen_card: HashMap<(String, Option<NaiveDate>), usize> = HashMap::new();
    let mut rows: Vec<StaffRow> = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let typed = f.need(line, rec, "staff_no")?;
        // A number Excel kept without its leading zeros names the person
        // stored with them (`12` is `0012`), as ATTLOG PINs do; text is
        // always taken as it is.
        let loose = f.typed_number(line);
        let staff_no = match roll.find(typed, loose) {
            Ok(found) => found.map_or(typed, |s| s.staff_no.as_str()).to_string(),
            Err(m) => return Err(f.err(line, m).into()),
        };
        if !loose && !roll.by_no.contains_key(&staff_no) {
            if let Ok(Some(other)) = roll.find(&staff_no, true) {
                read_notes.push(format!(
                    "{}: note: {staff_no} is a new staff number; {} is stored (typed as a number before?): both are kept",
                    f.err(line, "").to_string().trim_end_matches(": "),
                    other.staff_no
                ));
            }
        }
        // Within the file too: a number 12 beside a text 0012 is one person
        // typed twice, or two people; either way it is said.
        if staff_no.bytes().all(|b| b.is_ascii_digit()) && !staff_no.is_empty() {
            if let Some((prev, other)) = seen_key.get(&pin_key(&staff_no)).filter(|(_, o)| *o != staff_no) {
                if loose || f.typed_number(*prev) {
                    return Err(f
                        .err(line, format!("staff number {staff_no} may be {other} of line {prev} (a number lost its leading zeros): type both as text"))
                        .into());
                }
            }
            seen_key.insert(pin_key(&staff_no), (line, staff_no.clone()));
        }
        if let Some(prev) = seen_no.insert(staff_no.clone(), line) {
            return Err(f.err(line, format!("staff number {staff_no:?} is already on line {prev}")).into());
        }
        let unit = f.need(line, rec, "unit")?.to_string();
        if !config.units.contains(&unit) {
            return Err(f
                .err(line, format!("unit {unit:?} is not one of this kiosk's units ({})", config.units.join(", ")))
                .into());
        }
        let schedule = f.get(rec, "schedule").unwrap_or("default").to_string();
        if schedule != crate::domain::model::NO_SCHEDULE && !config.schedules.contains_key(&schedule) {
            return Err(f
                .err(
                    line,
                    format!("unknown schedule {schedule:?} (config has no [schedules.{schedule}]; \"none\": no obligations)"),
                )
                .into());
        }
        let role_text = f.get(rec, "role").unwrap_or("staff");
        let role = Role::parse(role_text)
            .ok_or_else(|| f.err(line, format!("bad role {role_text:?}: staff, head or admin")))?;
        let date = |col: &str| -> std::result::Result<Option<NaiveDate>, ImportError> {
            f.get(rec, col).map(|t| parse_date(t).map_err(|m| f.err(line, format!("{col}: {m}")))).transpose()
        };
        let (active_from, active_until, cards_from) =
            (date("active_from")?, date("active_until")?, date("cards_from")?);
        if let (Some(a), Some(b)) = (active_from, active_until) {
            if b < a {
                return Err(f.err(line, format!("active_until {b} is before active_from {a}")).into());
            }
        }
        let current = roll.by_no.get(&staff_no);
        // No phantom absences: a person new to a kiosk in service, with no
        // first day in the file, starts on the import date (said); an
        // empty cell keeps a stored first day. Before the kiosk is in
        // service (setting it up, importing an old terminal's history)
        // the file's dates stand as they are (R2).
        let active_from = match (active_from, current) {
            (Some(d), _) => Some(d),
            (None, Some(c)) => c.active_from,
            // Someone who had already left by the import (a past
            // active_until alone) keeps no first day: their record is
            // history, not a start.
            (None, None) if in_service && active_until.is_none_or(|u| u >= made_on) => {
                read_notes.push(format!(
                    "{}: note: {staff_no} is new and has no active_from: set to {made_on}, the import date \
                     (the kiosk is in service; days before it are not judged)",
                    f.err(line, "").to_string().trim_end_matches(": "),
                ));
                Some(made_on)
            }
            (None, None) => None,
        };
        if let (Some(a), Some(b)) = (active_from, active_until) {
            if b < a {
                return Err(f
                    .err(line, format!("active_until {b} is before active_from {a} (the import date)"))
                    .into());
            }
        }
        let pin_hash = match (f.get(rec, "pin"), role) {
            (None, _) => current.and_then(|c| c.pin_hash.clone()).filter(|_| role != Role::Staff),
            (Some(_), Role::Staff) => {
                return Err(f.err(line, "a PIN is only for role head or admin").into());
            }
            (Some(pin), _) if !crate::kiosk::pin::valid(pin) => {
                return Err(f.err(line, "pin must be 4 to 8 digits").into());
            }
            (Some(pin), _) => match current.and_then(|c| c.pin_hash.clone()) {
                Some(h) if crate::kiosk::pin::verify(pin, &h) => Some(h),
                _ => Some(crate::kiosk::pin::hash(pin).map_err(|m| f.err(line, m))?),
            },
        };
        let mut cards = Vec::new();
        for c in f.get(rec, "cards").unwrap_or("").split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let card = crate::domain::cards::normalize(c).map_err(|m| f.err(line, m))?;
            let key = (crate::domain::cards::match_key(&card).into_owned(), cards_from);
            if let Some(prev) = seen_card.insert(key, line) {
                return Err(f.err(line, format!("card {card} is also on line {prev} with the same cards_from")).into());
            }
            cards.push(card);
        }
        let name = f.need(line, rec, "name")?.to_string();
        let photo = f.get(rec, "photo").map(|p| read_photo(path, p).map_err(|m| f.err(line, m))).transpose()?;
        rows.push((
            Staff { staff_no, name, unit, schedule, role, pin_hash, active_from, active_until },
            cards,
            cards_from,
            photo,
        ));
    }
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
    let name = path.display().to_string();
    let (text, _) = read_text(path)?;
    let file: HolidayFile = serde_json::from_str(&text)
        .map_err(|e| ImportError::new(&name, e.line(), format!("not a holiday-cn calendar: {e}")))?;
    let mut days = Vec::new();
    for d in &file.days {
        if chrono::Datelike::year(&d.date) != file.year {
            let line = text.find(&d.date.to_string()).map_or(0, |i| text[..i].lines().count());
            return Err(ImportError::new(&name, line, format!("{} is not in year {}", d.date, file.year)).into());
        }
        days.push((d.date, d.name.clone(), d.is_off_day));
    }
    let mut w = store.writer()?;
    w.replace_calendar_year(file.year, &days, now)?;
    w.commit()?;
    Ok(Outcome {
        added: days.len(),
        notes: vec![format!("calendar {} imported ({} days listed)", file.year, days.len())],
        ..Outcome::default()
    })
}

/// `roster import`: 值班 sessions.
pub fn roster(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let f = Table::read(path, &["staff_no", "date", "start", "end"], &["staff_no", "date", "start", "end"])?;
    let roll = Roll::load(store)?;
    let mut rows = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
        let date = parse_date(f.need(line, rec, "date")?).map_err(|m| f.err(line, format!("date: {m}")))?;
        let start = parse_clock(f.need(line, rec, "start")?).map_err(|m| f.err(line, format!("start: {m}")))?;
        let end = parse_clock(f.need(line, rec, "end")?).map_err(|m| f.err(line, format!("end: {m}")))?;
        if start == end {
            return Err(f.err(line, "start and end are the same").into());
        }
        let span = ClockSpan { start, end };
        let sched = config.schedule(&staff.schedule);
        if sched.span_offsets(&span).1 > chrono::Duration::days(1) {
            return Err(f
                .err(
                    line,
                    format!(
                        "{start}–{end} crosses the day start {} of schedule {}",
                        sched.day_starts_at.format("%H:%M"),
                        sched.name
                    ),
                )
                .into());
        }
        rows.push((staff.staff_no.clone(), date, span));
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
    let cols = ["staff_no", "kind", "from", "to", "approved_by", "note"];
    let f = Table::read(path, &cols, &cols[..4])?;
    let roll = Roll::load(store)?;
    let mut rows = Vec::new();
    for (line, rec) in &f.rows {
        let line = *line;
        let staff = roll.get(&f, line, f.need(line, rec, "staff_no")?)?;
        let kind = f.need(line, rec, "kind")?;
        let from = parse_local(f.need(line, rec, "from")?).map_err(|m| f.err(line, format!("from: {m}")))?;
        let to = parse_local(f.need(line, rec, "to")?).map_err(|m| f.err(line, format!("to: {m}")))?;
        if to <= from {
            return Err(f.err(line, format!("leave ends ({to}) before it starts ({from})")).into());
        }
        let tz = config.schedule(&staff.schedule).tz;
        let (from, to) = (local_to_instant(tz, from), local_to_instant(tz, to));
        if to <= from {
            return Err(f.err(line, "leave lies inside a daylight-saving gap: it has no length").into());
        }
        rows.push((
            staff.staff_no.clone(),
            kind.to_string(),
            (from, to),
            tz,
            f.get(rec, "approved_by").unwrap_or("").to_string(),
            f.get(rec, "note").unwrap_or("").to_string(),
        ));
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
    let roll = Roll::load(store)?;
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

/// The key an ATTLOG PIN is matched to a staff number by: all-digit numbers
/// without their leading zeros (`12` = `0012`), anything else as it is.
fn pin_key(s: &str) -> String {
    let s = s.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        let t = s.trim_start_matches('0');
        if t.is_empty() {
            "0".into()
        } else {
            t.into()
        }
    } else {
        s.to_string()
    }
}

/// `spotcheck import`: 查岗 results.
pub fn spot_checks(store: &mut Store, config: &Config, path: &Path, now: Instant) -> Result<Outcome> {
    let cols = ["staff_no", "at", "result", "inspector", "note"];
    let f = Table::read(path, &cols, &cols[..3])?;
    let roll = Roll::load(store)?;
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
