//! The staff file (SPEC.md "Files": `staff_no, name, unit, cards, …`),
//! read and checked row by row against what is already known, for the
//! kiosk's `staff import` and the central server's: one reading, one set
//! of errors naming `FILE:LINE` or `FILE:SHEET!ROW`. Nothing is stored
//! here: the caller keeps the photos and writes the rows in one
//! transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::table::Table;
use super::ImportError;
use crate::domain::model::{Role, Staff};
use crate::domain::time::parse_date;

/// Staff as the store knows them, for checking staff numbers in files.
pub struct Roll {
    pub by_no: HashMap<String, Staff>,
    /// Every all-digit staff number by its [`pin_key`].
    by_pin: HashMap<String, Vec<String>>,
}

impl Roll {
    /// The roll of `staff` (the people stored).
    pub fn new(staff: Vec<Staff>) -> Roll {
        let by_no: HashMap<String, Staff> = staff.into_iter().map(|s| (s.staff_no.clone(), s)).collect();
        let mut by_pin: HashMap<String, Vec<String>> = HashMap::new();
        for no in by_no.keys().filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) {
            by_pin.entry(pin_key(no)).or_default().push(no.clone());
        }
        for v in by_pin.values_mut() {
            v.sort();
        }
        Roll { by_no, by_pin }
    }

    /// The person a staff number names. Exactly, unless it is `loose`: a
    /// number that lost its leading zeros (an Excel number cell, an ATTLOG
    /// PIN), matched as SPEC matches ATTLOG PINs (`12` = `0012`) when only
    /// one stored number fits, and refused when several do.
    pub fn find(&self, no: &str, loose: bool) -> std::result::Result<Option<&Staff>, String> {
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

    pub fn get(&self, file: &Table, line: usize, no: &str) -> std::result::Result<&Staff, ImportError> {
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

/// The key an ATTLOG PIN is matched to a staff number by: all-digit numbers
/// without their leading zeros (`12` = `0012`), anything else as it is.
pub fn pin_key(s: &str) -> String {
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

/// Whether a text is a PIN as the staff file allows it: 4 to 8 digits.
pub fn valid_pin(pin: &str) -> bool {
    (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit())
}

/// The staff file's columns.
pub const COLUMNS: &[&str] = &[
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
pub fn read_photo(staff_file: &Path, cell: &str) -> std::result::Result<(PathBuf, &'static str), String> {
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
pub fn check_photo(bytes: &[u8]) -> std::result::Result<&'static str, String> {
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

/// A photo's content name, `<SHA-256 in hex>.<jpg|png>`, once it passes
/// [`check_photo`]: how central keeps and sends a photo (the same picture
/// is one name wherever it is kept, and a kiosk checks what it fetched).
pub fn photo_name(bytes: &[u8]) -> std::result::Result<String, String> {
    use sha2::Digest;
    let ext = check_photo(bytes)?;
    let hex: String = sha2::Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect();
    Ok(format!("{hex}.{ext}"))
}

/// Whether `name` has a photo content name's form (64 lowercase hex
/// digits, `.jpg` or `.png`): a name from a request or a feed is never a
/// path.
pub fn is_photo_name(name: &str) -> bool {
    name.split_once('.').is_some_and(|(hex, ext)| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) && matches!(ext, "jpg" | "png")
    })
}

/// A photo's content type by its content name's extension.
pub fn photo_content_type(name: &str) -> &'static str {
    if name.ends_with(".png") {
        "image/png"
    } else {
        "image/jpeg"
    }
}

/// The kiosk's file of the photo named `name` (a content name) in `dir`:
/// the first 24 hex digits and the extension, as a photo imported at the
/// kiosk is named, so the same picture from either is one file.
pub fn photo_file(dir: &Path, name: &str) -> PathBuf {
    let (hex, ext) = name.split_once('.').unwrap_or((name, ""));
    dir.join(format!("{}.{ext}", hex.get(..24).unwrap_or(hex)))
}

/// Keeps a checked photo's bytes in `dir` under [`photo_file`]'s name:
/// written to a file of this process's and thread's, flushed to disk,
/// then renamed (never half a picture under the name, even when two
/// pulls keep the same one at once or the power goes); returns the file.
/// The same picture twice is one file.
pub fn keep_photo(dir: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let name = photo_name(bytes).map_err(std::io::Error::other)?;
    std::fs::create_dir_all(dir)?;
    let file = photo_file(dir, &name);
    if held_photo(&file, &name) {
        return std::path::absolute(&file);
    }
    let mut tmp = file.clone().into_os_string();
    tmp.push(format!(".{}-{:?}.part", std::process::id(), std::thread::current().id()));
    let tmp = PathBuf::from(tmp);
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &file)?;
        // The rename itself on disk before the store names the file.
        std::fs::File::open(dir)?.sync_all()
    })();
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    std::path::absolute(&file)
}

/// Whether `file` holds the photo named `name` (its bytes hash to it): a
/// file cut short or changed is fetched or copied again.
pub fn held_photo(file: &Path, name: &str) -> bool {
    std::fs::read(file).is_ok_and(|b| photo_name(&b).is_ok_and(|n| n == name))
}

/// A staff file's row: the person, their cards from a date, their photo
/// (the file and its kind, checked; not yet kept).
pub type StaffRow = (Staff, Vec<String>, Option<NaiveDate>, Option<(PathBuf, &'static str)>);

/// What a staff file is read against besides itself.
pub struct Known<'a> {
    /// The people stored.
    pub roll: &'a Roll,
    /// Whether a unit may be named (the kiosk's units, or the district's),
    /// else why not.
    pub unit_ok: &'a dyn Fn(&str) -> Result<(), String>,
    /// Whether a schedule may be named, else why not.
    pub schedule_ok: &'a dyn Fn(&str) -> Result<(), String>,
    /// A new person without `active_from` starts on `made_on` when the
    /// people are in service (no phantom absences before the import).
    pub in_service: bool,
    /// The import's attendance day.
    pub made_on: NaiveDate,
    /// Whether photo cells are read (the kiosk: files beside the staff
    /// file). The server takes none: a cell naming any path would have it
    /// read that path.
    pub photos: bool,
}

/// Reads and checks every row of the staff file at `path`: the rows and
/// the notes for the person importing, or the first row that is wrong.
/// A row identical to the stored person changes nothing when written; a
/// PIN that matches the stored hash keeps it.
pub fn read(path: &Path, known: &Known) -> Result<(Vec<StaffRow>, Vec<String>), ImportError> {
    let f = Table::read(path, COLUMNS, &["staff_no", "name", "unit"])?;
    let roll = known.roll;
    let mut read_notes = f.notes.clone();
    let made_on = known.made_on;
    let in_service = known.in_service;
    let mut seen_no: HashMap<String, usize> = HashMap::new();
    let mut seen_key: HashMap<String, (usize, String)> = HashMap::new();
    let mut seen_card: HashMap<(String, Option<NaiveDate>), usize> = HashMap::new();
    let mut rows: Vec<StaffRow> = Vec::new();
    let mut photos_skipped = 0;
    for (line, rec) in &f.rows {
        let line = *line;
        let typed = f.need(line, rec, "staff_no")?;
        // A number Excel kept without its leading zeros names the person
        // stored with them (`12` is `0012`), as ATTLOG PINs do; text is
        // always taken as it is.
        let loose = f.typed_number(line);
        let staff_no = match roll.find(typed, loose) {
            Ok(found) => found.map_or(typed, |s| s.staff_no.as_str()).to_string(),
            Err(m) => return Err(f.err(line, m)),
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
                        );
                }
            }
            seen_key.insert(pin_key(&staff_no), (line, staff_no.clone()));
        }
        if let Some(prev) = seen_no.insert(staff_no.clone(), line) {
            return Err(f.err(line, format!("staff number {staff_no:?} is already on line {prev}")));
        }
        let unit = f.need(line, rec, "unit")?.to_string();
        (known.unit_ok)(&unit).map_err(|m| f.err(line, m))?;
        let schedule = f.get(rec, "schedule").unwrap_or("default").to_string();
        (known.schedule_ok)(&schedule).map_err(|m| f.err(line, m))?;
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
                return Err(f.err(line, format!("active_until {b} is before active_from {a}")));
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
                return Err(f.err(line, format!("active_until {b} is before active_from {a} (the import date)")));
            }
        }
        let pin_hash = match (f.get(rec, "pin"), role) {
            (None, _) => current.and_then(|c| c.pin_hash.clone()).filter(|_| role != Role::Staff),
            (Some(_), Role::Staff) => {
                return Err(f.err(line, "a PIN is only for role head or admin"));
            }
            (Some(pin), _) if !valid_pin(pin) => {
                return Err(f.err(line, "pin must be 4 to 8 digits"));
            }
            (Some(pin), _) => match current.and_then(|c| c.pin_hash.clone()) {
                Some(h) if crate::domain::hashing::verify(pin, &h) => Some(h),
                _ => Some(crate::domain::hashing::hash(pin, "PIN").map_err(|m| f.err(line, m))?),
            },
        };
        let mut cards = Vec::new();
        for c in f.get(rec, "cards").unwrap_or("").split(';').map(str::trim).filter(|c| !c.is_empty()) {
            let card = crate::domain::cards::normalize(c).map_err(|m| f.err(line, m))?;
            let key = (crate::domain::cards::match_key(&card).into_owned(), cards_from);
            if let Some(prev) = seen_card.insert(key, line) {
                return Err(f.err(line, format!("card {card} is also on line {prev} with the same cards_from")));
            }
            cards.push(card);
        }
        let name = f.need(line, rec, "name")?.to_string();
        let photo = match (f.get(rec, "photo"), known.photos) {
            (Some(p), true) => Some(read_photo(path, p).map_err(|m| f.err(line, m))?),
            (Some(_), false) => {
                photos_skipped += 1;
                None
            }
            (None, _) => None,
        };
        rows.push((
            Staff { staff_no, name, unit, schedule, role, pin_hash, active_from, active_until },
            cards,
            cards_from,
            photo,
        ));
    }
    if photos_skipped > 0 {
        read_notes
            .push(format!("{photos_skipped} photos not taken: an uploaded file's photo cells name files the server cannot read; set each on the person's page, or import the file on the server (dutyclock-central staff import)"));
    }
    Ok((rows, read_notes))
}
