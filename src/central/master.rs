//! The district's master data at central (SPEC "Master data"): people,
//! cards and calendar years, kept as versioned changes that kiosks with
//! `[central] master = true` pull. What a change is and whom it reaches
//! is decided here, whichever database keeps it:
//!
//! - A person is kept per unit they belong to (a *stint*): moved to
//!   another unit from a date, they stay in the old unit until the day
//!   before (its kiosks receive that) and are in the new one from that day
//!   (its kiosks receive the person and their cards). A person belongs to
//!   one unit on a date, so a summary may name only people of the kiosk's
//!   units that day ([`summary_people_ok`]).
//! - A card given to someone else reaches the previous holder's unit too,
//!   so that unit's kiosks stop taking it for the old holder.
//! - A card enrolled at a door (an `enroll` action in the kiosk's record
//!   stream) is adopted ([`adopt_enrolments`]) unless central gave the card
//!   to someone else meanwhile: then central's assignment is sent again,
//!   wins at the kiosk's next pull, and the conflict is listed.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;

use super::storage::{ConflictRow, KioskRow, MasterChange, Storage, StorageError, DISTRICT};
use crate::domain::chain::{Value, WireRecord};
use crate::domain::master::{CalendarDay, Change, Feed, Person, Versioned};
use crate::domain::model::Staff;
use crate::domain::time::Instant;
use crate::files::staff::{Known, Roll};
use crate::files::ImportError;

pub const PERSON: &str = "person";
pub const CARD: &str = "card";
pub const CALENDAR: &str = "calendar";
pub const ROSTER: &str = "roster";
pub const RULES: &str = "rules";
pub const LEAVE: &str = "leave";

/// The most changes one answer of the feed carries (a district's first
/// pull is its whole roll: it comes in several).
pub const FEED_LIMIT: usize = 2_000;

#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    #[error("{0}")]
    Import(ImportError),
    #[error("{0}")]
    Storage(#[from] StorageError),
}

impl From<ImportError> for MasterError {
    fn from(e: ImportError) -> Self {
        MasterError::Import(e)
    }
}

/// What an import changed, for the person who ran it.
#[derive(Debug, Default)]
pub struct Outcome {
    pub changed: usize,
    pub unchanged: usize,
    pub version: u64,
    pub notes: Vec<String>,
}

/// A file as the audit log names it (an upload's is kept under a
/// directory of its own: its name is what the admin knows).
fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

fn person_key(staff_no: &str, unit: &str) -> String {
    format!("{staff_no}\u{1f}{unit}")
}

/// The zone the district's dates are in (the kiosks' default).
fn today(now: Instant) -> NaiveDate {
    crate::domain::time::instant_to_local(chrono_tz::Asia::Shanghai, now).date()
}

/// A person's stints as central keeps them: by staff number, each unit's
/// with its version.
#[derive(Debug, Default)]
pub struct Stints {
    by_no: HashMap<String, Vec<(Person, u64)>>,
}

impl Stints {
    pub async fn load(s: &dyn Storage, units: Option<&[String]>) -> Result<Stints, StorageError> {
        let mut by_no: HashMap<String, Vec<(Person, u64)>> = HashMap::new();
        for row in s.master_current(PERSON, units).await? {
            let p = match serde_json::from_str(&row.content) {
                Ok(Change::Person(p)) => p,
                Ok(other) => {
                    return Err(StorageError::Db(format!("stored person {:?} is a {}", row.key, other.kind())))
                }
                Err(e) => return Err(StorageError::Db(format!("stored person {:?}: {e}", row.key))),
            };
            by_no.entry(p.staff_no.clone()).or_default().push((p, row.version));
        }
        Ok(Stints { by_no })
    }

    /// The person's latest stint (what the staff file is checked against,
    /// and the unit their page and forms work on): of the stints that
    /// have a day at all (a move undone before it began leaves one that
    /// ends before it starts), the one that starts last, by its first day
    /// and then its version, so that a change made to an ended stint
    /// afterwards (a photo) never makes it the latest.
    pub fn latest(&self, staff_no: &str) -> Option<&Person> {
        let all = self.by_no.get(staff_no)?;
        let has_days = |p: &Person| !matches!((p.active_from, p.active_until), (Some(f), Some(u)) if u < f);
        let pick = |live: bool| {
            all.iter().filter(|(p, _)| !live || has_days(p)).max_by_key(|(p, v)| (p.active_from, *v)).map(|(p, _)| p)
        };
        pick(true).or_else(|| pick(false))
    }

    /// The stint of `staff_no` in one of `units` that covers `date`.
    pub fn on(&self, staff_no: &str, units: &[String], date: NaiveDate) -> Option<&Person> {
        self.by_no.get(staff_no)?.iter().map(|(p, _)| p).find(|p| units.contains(&p.unit) && p.active_on(date))
    }

    /// Every stint of `staff_no` (none for someone central does not know).
    fn of(&self, staff_no: &str) -> impl Iterator<Item = &Person> {
        self.by_no.get(staff_no).into_iter().flatten().map(|(p, _)| p)
    }

    /// The units of `staff_no`'s stints that overlap `from..=to`, the one
    /// starting last last; their latest stint's unit when none does (a
    /// record dated outside every stint still reaches their kiosk, which
    /// keeps it as a record and judges by its own dates).
    pub fn units_over(&self, staff_no: &str, from: NaiveDate, to: NaiveDate) -> Vec<String> {
        let mut over: Vec<&Person> = self
            .of(staff_no)
            .filter(|p| p.active_from.is_none_or(|f| f <= to) && p.active_until.is_none_or(|u| from <= u))
            .collect();
        over.sort_by_key(|p| p.active_from);
        let mut units: Vec<String> = over.into_iter().map(|p| p.unit.clone()).collect();
        units.dedup();
        if units.is_empty() {
            units.extend(self.latest(staff_no).map(|p| p.unit.clone()));
        }
        units
    }

    pub fn is_empty(&self) -> bool {
        self.by_no.is_empty()
    }

    /// Every stint, by staff number then unit.
    pub fn all(&self) -> Vec<&Person> {
        let mut v: Vec<&Person> = self.by_no.values().flatten().map(|(p, _)| p).collect();
        v.sort_by(|a, b| (&a.staff_no, &a.unit).cmp(&(&b.staff_no, &b.unit)));
        v
    }

    fn roll(&self) -> Roll {
        Roll::new(self.by_no.keys().filter_map(|no| self.latest(no)?.staff()).collect())
    }
}

fn change(kind: &str, key: String, unit: &str, scopes: Vec<String>, c: &Change) -> MasterChange {
    MasterChange {
        kind: kind.into(),
        key,
        unit: unit.into(),
        scopes,
        content: serde_json::to_string(c).expect("a change serializes"),
    }
}

/// `staff import FILE` at central: the kiosk's staff file, read by the
/// same code with the same errors, checked against the district's units
/// (any schedule name is taken: the kiosks' configurations hold the
/// schedules, and one a kiosk lacks is its `default`). All or nothing: a
/// refused row stores nothing. A person named in another unit than their
/// latest is moved: from their `active_from` when it is later than the
/// old stint's start, else from today.
///
/// `photos`: whether `photo` cells are read (the command line, run on the
/// server beside the files; an upload's cells name files on the admin's
/// computer, and must never make the server read its own files). A
/// photo read is kept by its content and set on the person; an empty
/// cell keeps the photo they have.
pub async fn import_staff(
    s: &dyn Storage,
    path: &Path,
    photos: bool,
    who: &str,
    now: Instant,
) -> Result<Outcome, MasterError> {
    let units: Vec<String> = s.units().await?.into_iter().map(|u| u.name).collect();
    let stints = Stints::load(s, None).await?;
    let roll = stints.roll();
    // Read before anything is awaited: `Known` holds plain closures, not `Sync`.
    let (rows, notes) = {
        let unit_ok = |u: &str| -> Result<(), String> {
            match units.iter().any(|x| x == u) {
                true => Ok(()),
                false => {
                    Err(format!("unit {u:?} is not one of the district's units (dutyclock-central unit add first)"))
                }
            }
        };
        let any_schedule = |_: &str| -> Result<(), String> { Ok(()) };
        let made_on = today(now);
        let known =
            Known { roll: &roll, unit_ok: &unit_ok, schedule_ok: &any_schedule, in_service: true, made_on, photos };
        crate::files::staff::read(path, &known)?
    };
    let mut people = Vec::with_capacity(rows.len());
    for (staff, cards, cards_from, photo) in rows {
        let photo = match photo {
            Some((file, _)) => {
                // The bytes kept are the bytes checked (the file may have changed).
                let say = |m: String| {
                    ImportError::new(&file.display().to_string(), 0, format!("photo of {}: {m}", staff.staff_no))
                };
                let bytes = std::fs::read(&file).map_err(|e| say(e.to_string()))?;
                let name = crate::files::staff::photo_name(&bytes).map_err(say)?;
                s.put_photo(&name, &bytes).await?;
                Some(name)
            }
            None => None,
        };
        people.push((staff, cards, cards_from, photo));
    }
    let rows = people;
    let mut out = put_people(s, &stints, &rows, who, now).await?;
    out.notes.splice(0..0, notes);
    let detail = format!("{}: {} people changed, {} unchanged", file_name(path), out.changed, out.unchanged);
    s.audit(who, "staff import", &detail, now).await?;
    Ok(out)
}

/// A person as a staff row gives them: the person, the cards to give
/// them, and from when; their photo's content name when it is set (else
/// they keep the one they have).
pub type PersonRow = (Staff, Vec<String>, Option<NaiveDate>, Option<String>);

/// Stores the changes `rows` make to the district's people and cards, as
/// one version each, in one transaction (what a staff file's rows and the
/// admin's forms do alike). `stints`: the people as they stand.
pub async fn put_people(
    s: &dyn Storage,
    stints: &Stints,
    rows: &[PersonRow],
    who: &str,
    now: Instant,
) -> Result<Outcome, MasterError> {
    let made_on = today(now);
    let cards_held: HashMap<String, (String, Option<NaiveDate>)> = s
        .master_current(CARD, None)
        .await?
        .into_iter()
        .filter_map(|r| match serde_json::from_str(&r.content) {
            Ok(Change::Card { card, staff_no, from }) => Some((card, (staff_no, from))),
            _ => None,
        })
        .collect();
    let duties_held = (s.master_current(ROSTER, None).await?, s.master_current(LEAVE, None).await?);
    let mut out = Outcome::default();
    let mut changes = Vec::new();
    for (staff, cards, cards_from, photo) in rows {
        let mut person = Person::from(staff);
        let no = &person.staff_no;
        // The photo goes with the person, into a new unit too.
        person.photo = photo.clone().or_else(|| stints.latest(no).and_then(|p| p.photo.clone()));
        let same_unit = stints.by_no.get(no).and_then(|v| v.iter().find(|(p, _)| p.unit == person.unit));
        let mut moved = false;
        let mut moved_on = None;
        // Stints in other units still open on the move's day end the day before.
        for old in stints.of(no) {
            if old.unit == person.unit {
                continue;
            }
            let from = person.active_from.filter(|d| old.active_from.is_none_or(|o| *d > o)).unwrap_or(made_on);
            if old.active_until.is_some_and(|u| u < from) {
                continue;
            }
            let mut ended = old.clone();
            ended.active_until = from.pred_opt();
            if photo.is_some() {
                ended.photo = person.photo.clone();
            }
            changes.push(change(
                PERSON,
                person_key(no, &old.unit),
                &old.unit,
                vec![old.unit.clone()],
                &Change::Person(ended),
            ));
            // New to the unit, or back to it after a stint there ended: from
            // the move's day (the kiosk keeps one period a person; the
            // earlier one's days were judged and sent while it lasted).
            // Back to a stint still running on the move's day (a move
            // undone before it began): that stint goes on, from its start.
            match same_unit {
                Some((p, _)) if p.active_from.is_none_or(|f| f <= from) && p.active_until.is_none_or(|u| u >= from) => {
                    person.active_from = p.active_from;
                }
                _ => person.active_from = Some(from),
            }
            moved_on = Some(from);
            moved = true;
            out.notes.push(format!("{no} moves from {} to {} on {from}", old.unit, person.unit));
        }
        if same_unit.map(|(p, _)| p) == Some(&person) {
            out.unchanged += 1;
        } else {
            out.changed += 1;
            changes.push(change(
                PERSON,
                person_key(no, &person.unit),
                &person.unit,
                vec![person.unit.clone()],
                &Change::Person(person.clone()),
            ));
        }
        if let Some(from) = moved_on {
            // Their 值班 and leave from the move's day on go to the new unit.
            for (kind, rows) in [(ROSTER, &duties_held.0), (LEAVE, &duties_held.1)] {
                for r in rows.iter().filter(|r| duty_of(&r.content).is_some_and(|(n, _, to)| n == *no && to >= from)) {
                    if r.unit != person.unit {
                        changes.push(MasterChange {
                            kind: kind.into(),
                            key: r.key.clone(),
                            unit: person.unit.clone(),
                            scopes: vec![person.unit.clone()],
                            content: r.content.clone(),
                        });
                    }
                }
            }
        }
        let mut given: Vec<(String, Option<NaiveDate>)> = cards.iter().map(|c| (c.clone(), *cards_from)).collect();
        if moved {
            // The new unit's kiosks get the cards the person holds.
            for (card, (holder, from)) in &cards_held {
                if holder == no && !given.iter().any(|(c, _)| c == card) {
                    given.push((card.clone(), *from));
                }
            }
        }
        for (card, from) in given {
            let held = cards_held.get(&card);
            if !moved && held == Some(&(no.clone(), from)) {
                continue;
            }
            let mut scopes = vec![person.unit.clone()];
            if let Some(prev) = held.filter(|(h, _)| h != no).and_then(|(h, _)| stints.latest(h)) {
                if !scopes.contains(&prev.unit) {
                    scopes.push(prev.unit.clone());
                }
            }
            changes.push(change(
                CARD,
                card.clone(),
                &person.unit,
                scopes,
                &Change::Card { card, staff_no: no.clone(), from },
            ));
        }
    }
    out.version = s.put_master(&changes, who, now).await?;
    Ok(out)
}

/// Sets a person's photo (a content name already kept with
/// `put_photo`) on each of their stints, so that a unit they are leaving
/// shows it too until they go. The photo of later changes follows from
/// their latest stint ([`put_people`]).
pub async fn set_photo(s: &dyn Storage, no: &str, name: &str, who: &str, now: Instant) -> Result<Outcome, MasterError> {
    let stints = Stints::load(s, None).await?;
    let latest = stints.latest(no).cloned();
    let made_on = today(now);
    let mut out = Outcome::default();
    let mut changes = Vec::new();
    // Stints still open today (a unit being left shows it until they go),
    // the latest one always, and last.
    let mut theirs: Vec<&Person> =
        stints.of(no).filter(|p| Some(*p) == latest.as_ref() || p.active_until.is_none_or(|u| u >= made_on)).collect();
    theirs.sort_by_key(|p| Some(*p) == latest.as_ref());
    for p in theirs {
        if p.photo.as_deref() == Some(name) {
            out.unchanged += 1;
            continue;
        }
        let person = Person { photo: Some(name.to_string()), ..p.clone() };
        changes.push(change(PERSON, person_key(no, &p.unit), &p.unit, vec![p.unit.clone()], &Change::Person(person)));
    }
    out.changed = changes.len();
    out.version = s.put_master(&changes, who, now).await?;
    Ok(out)
}

/// The days of `year` the calendar central holds names (days off and
/// make-up workdays), by date; empty when central holds no such year.
pub async fn calendar_days(
    s: &dyn Storage,
    year: i32,
) -> Result<std::collections::BTreeMap<NaiveDate, bool>, StorageError> {
    let row = s.master_one(CALENDAR, &year.to_string()).await?;
    Ok(match row.map(|r| serde_json::from_str::<Change>(&r.content)) {
        Some(Ok(Change::Calendar { days, .. })) => days.into_iter().map(|d| (d.date, d.off)).collect(),
        _ => Default::default(),
    })
}

/// `calendar import FILE` at central: one holiday-cn year for every kiosk.
pub async fn import_calendar(s: &dyn Storage, path: &Path, who: &str, now: Instant) -> Result<Outcome, MasterError> {
    let (year, days) = crate::files::calendar::read(path)?;
    let c = Change::Calendar {
        year,
        days: days.into_iter().map(|(date, name, off)| CalendarDay { date, name, off }).collect(),
    };
    let ch = change(CALENDAR, year.to_string(), DISTRICT, vec![DISTRICT.to_string()], &c);
    let mut out = Outcome::default();
    if s.master_one(CALENDAR, &ch.key).await?.is_some_and(|r| r.content == ch.content) {
        out.unchanged = 1;
        out.notes.push(format!("calendar {year} is held as it is"));
        return Ok(out);
    }
    out.changed = 1;
    out.version = s.put_master(&[ch], who, now).await?;
    s.audit(who, "calendar import", &format!("{}: {year}", file_name(path)), now).await?;
    Ok(out)
}

/// Changes of people's duties (roster sessions, leave) from a file's
/// rows: each goes to the person's unit, a repeat of one held adds nothing.
async fn duties(
    s: &dyn Storage,
    stints: &Stints,
    (kind, what): (&str, &str),
    rows: Vec<(String, Change)>,
    (path, who, now): (&Path, &str, Instant),
) -> Result<Outcome, MasterError> {
    let mut out = Outcome::default();
    let mut changes = Vec::new();
    for (no, c) in rows {
        // To the units the person is of on the record's days (a leave
        // across a move reaches both).
        let Some((_, from, to)) = duty_dates(&c) else { continue };
        let scopes = stints.units_over(&no, from, to);
        let Some(unit) = scopes.last().cloned() else { continue };
        let ch = change(kind, c.subject(), &unit, scopes, &c);
        // Held as it is, for the same unit (after a move, sent again).
        if s.master_one(kind, &ch.key).await?.is_some_and(|r| r.content == ch.content && r.unit == ch.unit) {
            out.unchanged += 1;
        } else {
            out.changed += 1;
            changes.push(ch);
        }
    }
    out.version = s.put_master(&changes, who, now).await?;
    let detail = format!("{}: {} {what} added, {} held already", file_name(path), out.changed, out.unchanged);
    s.audit(who, &format!("{kind} import"), &detail, now).await?;
    Ok(out)
}

/// A roster or leave change's person and days (a leave's last day is the
/// day of its last moment: one ending at 00:00 ends the day before).
fn duty_dates(c: &Change) -> Option<(&str, NaiveDate, NaiveDate)> {
    match c {
        Change::Roster { staff_no, date, .. } => Some((staff_no, *date, *date)),
        Change::Leave { staff_no, from, to, .. } => {
            let last = (*to - chrono::Duration::milliseconds(1)).date().max(from.date());
            Some((staff_no, from.date(), last))
        }
        _ => None,
    }
}

/// [`duty_dates`] of a stored change.
fn duty_of(content: &str) -> Option<(String, NaiveDate, NaiveDate)> {
    let c: Change = serde_json::from_str(content).ok()?;
    duty_dates(&c).map(|(n, a, b)| (n.to_string(), a, b))
}

/// `roster import FILE` at central: 值班 sessions (the kiosk's format),
/// for the people's units. A session that crosses its person's day start
/// is refused naming its line, by the district's schedules when central
/// keeps them (else by the kiosk applying it, which says so on its chain).
pub async fn import_roster(s: &dyn Storage, path: &Path, who: &str, now: Instant) -> Result<Outcome, MasterError> {
    let stints = Stints::load(s, None).await?;
    let roll = stints.roll();
    let (f, rows) = crate::files::duty::roster(path, &roll)?;
    if let Some(config) = district_config(s).await? {
        for r in &rows {
            let schedule = roll.by_no.get(&r.staff_no).map_or("default", |p| p.schedule.as_str());
            if let Some(m) = config.schedule(schedule).session_refused(&r.span) {
                return Err(f.err(r.line, m).into());
            }
        }
    }
    let rows = rows
        .into_iter()
        .map(|r| {
            let c = Change::Roster { staff_no: r.staff_no.clone(), date: r.date, start: r.span.start, end: r.span.end };
            (r.staff_no, c)
        })
        .collect();
    let mut out = duties(s, &stints, (ROSTER, "roster sessions"), rows, (path, who, now)).await?;
    out.notes.extend(f.notes);
    Ok(out)
}

/// `leave import FILE` at central: the bureau's leave and duty records
/// (出差, long sick leave), local times in each person's zone.
pub async fn import_leave(s: &dyn Storage, path: &Path, who: &str, now: Instant) -> Result<Outcome, MasterError> {
    let stints = Stints::load(s, None).await?;
    let (f, rows) = crate::files::duty::leave(path, &stints.roll())?;
    let rows = rows
        .into_iter()
        .map(|r| {
            let c = Change::Leave {
                staff_no: r.staff_no.clone(),
                kind: r.kind,
                from: r.from,
                to: r.to,
                approved_by: r.approved_by,
                note: r.note,
            };
            (r.staff_no, c)
        })
        .collect();
    let mut out = duties(s, &stints, (LEAVE, "leave records"), rows, (path, who, now)).await?;
    out.notes.extend(f.notes);
    Ok(out)
}

/// `rules import FILE` at central: the district's schedules, a TOML file
/// with the `[schedules.NAME]` tables of a kiosk's `config.toml` (its
/// seasons too: a summer timetable from its date), checked as a kiosk
/// builds them; every kiosk with `master = true` judges with them from
/// the next start, which the change itself brings about.
pub async fn import_rules(s: &dyn Storage, path: &Path, who: &str, now: Instant) -> Result<Outcome, MasterError> {
    let name = path.display().to_string();
    let (text, _) = crate::files::table::read_text(path)?;
    let table: toml::Table = toml::from_str(&text).map_err(|e| {
        let line = e.span().map_or(0, |sp| text[..sp.start.min(text.len())].lines().count().max(1));
        ImportError::new(&name, line, e.message().to_string())
    })?;
    let Some(schedules) = table.get("schedules") else {
        return Err(ImportError::new(&name, 0, "no [schedules.NAME] tables (the kiosk's config.toml section)").into());
    };
    if let Some(other) = table.keys().find(|k| *k != "schedules") {
        return Err(ImportError::new(&name, 0, format!("{other}: only [schedules] is kept at central")).into());
    }
    let json = serde_json::to_value(schedules).map_err(|e| ImportError::new(&name, 0, e.to_string()))?;
    crate::domain::config::Config::for_judging("central", &[], &json).map_err(|m| ImportError::new(&name, 0, m))?;
    let mut out = Outcome::default();
    // A schedule people are on that the file lacks: they are judged by
    // `default` at their kiosks (taken, but said).
    let names: Vec<&String> = json.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    let mut missing: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> = Default::default();
    let stints = Stints::load(s, None).await?;
    for no in stints.by_no.keys() {
        let Some(p) = stints.latest(no).filter(|p| p.active_until.is_none_or(|u| u >= today(now))) else { continue };
        if p.schedule != "default" && p.schedule != crate::domain::model::NO_SCHEDULE && !names.contains(&&p.schedule) {
            missing.entry(p.schedule.clone()).or_default().insert(no.clone());
        }
    }
    let missing: Vec<(String, usize)> = missing.into_iter().map(|(k, v)| (k, v.len())).collect();
    for (name, n) in missing {
        out.notes.push(format!("schedule {name:?} is not in the file: {n} people on it are judged by default"));
    }
    let c = Change::Rules { schedules: json };
    let ch = change(RULES, "schedules".into(), DISTRICT, vec![DISTRICT.to_string()], &c);
    if s.master_one(RULES, &ch.key).await?.is_some_and(|r| r.content == ch.content) {
        out.unchanged = 1;
        return Ok(out);
    }
    out.changed = 1;
    out.version = s.put_master(&[ch], who, now).await?;
    s.audit(who, "rules import", &file_name(path), now).await?;
    Ok(out)
}

/// The district's schedules as a kiosk builds them, when central keeps
/// some that still build.
async fn district_config(s: &dyn Storage) -> Result<Option<crate::domain::config::Config>, StorageError> {
    let Some(row) = s.master_one(RULES, "schedules").await? else {
        return Ok(None);
    };
    Ok(match serde_json::from_str::<Change>(&row.content) {
        Ok(Change::Rules { schedules }) => crate::domain::config::Config::for_judging("central", &[], &schedules).ok(),
        _ => None,
    })
}

/// The duty kinds of the district's schedules (for the leave template):
/// none when central keeps no schedules or they no longer build.
pub async fn duty_kinds(s: &dyn Storage) -> Result<Vec<String>, StorageError> {
    Ok(district_config(s)
        .await?
        .map(|c| c.schedules.values().flat_map(|s| s.duty_kinds.clone()).collect())
        .unwrap_or_default())
}

/// The units a kiosk receives master data of: its home units and doors.
pub fn scopes(k: &KioskRow) -> Vec<String> {
    k.units.iter().chain(&k.doors).cloned().collect()
}

/// The kiosk's changes after `since`, or `None` when there are none.
pub async fn feed(s: &dyn Storage, k: &KioskRow, since: u64) -> Result<Option<Feed>, StorageError> {
    let mut rows = s.master_since(&scopes(k), since, FEED_LIMIT + 1).await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let more = rows.len() > FEED_LIMIT;
    rows.truncate(FEED_LIMIT);
    let version = rows.last().map_or(since, |r| r.version);
    let changes = rows
        .into_iter()
        .map(|r| {
            let change: Change = serde_json::from_str(&r.content)
                .map_err(|e| StorageError::Db(format!("stored change {}: {e}", r.version)))?;
            Ok(Versioned {
                version: r.version,
                made_by: r.made_by,
                made_at: crate::domain::time::rfc3339(chrono_tz::Asia::Shanghai, r.made_at),
                change,
            })
        })
        .collect::<Result<Vec<_>, StorageError>>()?;
    Ok(Some(Feed { version, changes, more }))
}

/// Whether a summary of `date` from kiosk `k` names only people central
/// has in the kiosk's units that day: `Err((index, staff_no))` for the
/// first that is not. A unit central keeps no people of is not checked
/// (its kiosk is administered on its own card).
pub async fn summary_people_ok<'a>(
    s: &dyn Storage,
    k: &KioskRow,
    date: NaiveDate,
    people: impl Iterator<Item = (&'a str, &'a str)>,
) -> Result<Result<(), (usize, String)>, StorageError> {
    let stints = Stints::load(s, Some(&k.units)).await?;
    if stints.is_empty() {
        return Ok(Ok(()));
    }
    let kept: Vec<&str> = stints.all().iter().map(|p| p.unit.as_str()).collect();
    for (i, (no, unit)) in people.enumerate() {
        if kept.contains(&unit) && stints.on(no, &k.units, date).is_none() {
            return Ok(Err((i, no.to_string())));
        }
    }
    Ok(Ok(()))
}

fn text<'r>(r: &'r WireRecord, field: &str) -> Option<&'r str> {
    match r.fields.get(field) {
        Some(Value::Text(t)) => Some(t),
        _ => None,
    }
}

/// Cards enrolled at a kiosk, found in records it just sent: each is
/// adopted as central's unless central holds the card for someone else;
/// then central's holder is sent to the kiosk again (it wins at the next
/// pull) and the conflict is listed. Only for kiosks central keeps people
/// for, and only for people of the kiosk's units.
pub async fn adopt_enrolments(
    s: &dyn Storage,
    k: &KioskRow,
    records: &[WireRecord],
    now: Instant,
) -> Result<usize, StorageError> {
    let enrolments: Vec<Enrolment> = records
        .iter()
        .filter(|r| r.table == "actions" && text(r, "action") == Some("enroll"))
        .filter_map(|r| Enrolment::parse(text(r, "detail")?, text(r, "who").unwrap_or("")))
        .collect();
    if enrolments.is_empty() {
        return Ok(0);
    }
    let stints = Stints::load(s, Some(&scopes(k))).await?;
    let mut conflicts = 0;
    for e in enrolments {
        let Some(person) = stints.latest(&e.staff_no) else { continue };
        let made_by = format!("{} (enrolled by {})", k.id, e.by);
        let held = s.master_one(CARD, &e.card).await?;
        let holder = held.as_ref().and_then(|h| match serde_json::from_str(&h.content) {
            Ok(Change::Card { staff_no, .. }) => Some((staff_no, h.version, h.unit.clone())),
            _ => None,
        });
        let c = Change::Card { card: e.card.clone(), staff_no: e.staff_no.clone(), from: None };
        match holder {
            Some((h, _, _)) if h == e.staff_no => {}
            // Central's assignment is older than what the door had seen:
            // the door's enrolment is the later word (a card re-issued).
            None => {
                s.put_master(
                    &[change(CARD, e.card.clone(), &person.unit, vec![person.unit.clone()], &c)],
                    &made_by,
                    now,
                )
                .await?;
            }
            // (Only a holder of the door's units: the door saw no other
            // unit's changes, whatever their version.)
            Some((_, version, held_unit))
                if e.seen.is_some_and(|seen| version <= seen) && scopes(k).contains(&held_unit) =>
            {
                let mut to = vec![person.unit.clone()];
                if !to.contains(&held_unit) {
                    to.push(held_unit);
                }
                s.put_master(&[change(CARD, e.card.clone(), &person.unit, to, &c)], &made_by, now).await?;
            }
            // Given to someone else meanwhile: central's holder wins, sent
            // again as a new assignment (from the day the kiosk applies
            // it, so that it follows the door's enrolment).
            Some((holder, _, held_unit)) => {
                conflicts += 1;
                s.add_conflict(&ConflictRow {
                    kiosk_id: k.id.clone(),
                    card: e.card.clone(),
                    enrolled: e.staff_no.clone(),
                    enrolled_by: e.by.clone(),
                    held_by: holder.clone(),
                    at: now,
                })
                .await?;
                let again = Change::Card { card: e.card.clone(), staff_no: holder.clone(), from: None };
                let mut to = vec![held_unit.clone()];
                for u in scopes(k) {
                    if !to.contains(&u) {
                        to.push(u);
                    }
                }
                s.put_master(
                    &[change(CARD, e.card.clone(), &held_unit, to, &again)],
                    "central (enrolment conflict)",
                    now,
                )
                .await?;
                let detail = format!("card {} enrolled to {}; held by {holder}", e.card, e.staff_no);
                s.audit(&k.id, "enrolment conflict", &detail, now).await?;
            }
        }
    }
    Ok(conflicts)
}

/// An `enroll` action as a kiosk records it: `CARD → STAFF_NO`, and on a
/// kiosk that takes its cards from the server ` (master vN)`, the version
/// it had then.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Enrolment {
    card: String,
    staff_no: String,
    seen: Option<u64>,
    by: String,
}

impl Enrolment {
    fn parse(detail: &str, by: &str) -> Option<Enrolment> {
        let (card, rest) = detail.split_once(" → ")?;
        let (staff_no, seen) = match rest.split_once(" (master v") {
            Some((no, v)) => (no, Some(v.strip_suffix(')')?.parse().ok()?)),
            None => (rest, None),
        };
        Some(Enrolment { card: card.into(), staff_no: staff_no.into(), seen, by: by.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stint(unit: &str, from: Option<&str>, until: Option<&str>) -> Person {
        let d = |t: Option<&str>| t.map(|t| t.parse::<NaiveDate>().unwrap());
        Person {
            staff_no: "0012".into(),
            name: "张三".into(),
            unit: unit.into(),
            schedule: "default".into(),
            role: "staff".into(),
            pin_hash: None,
            active_from: d(from),
            active_until: d(until),
            photo: None,
        }
    }

    #[test]
    fn the_latest_stint_is_the_one_that_starts_last_whatever_was_changed_last() {
        // Moved from 财务科 to 办公室 on 06-01; then the ended stint was
        // changed (a photo on both): it stays the earlier one.
        let old = stint("财务科", Some("2026-01-01"), Some("2026-05-31"));
        let new = stint("办公室", Some("2026-06-01"), None);
        let stints = Stints { by_no: HashMap::from([("0012".into(), vec![(new.clone(), 7), (old.clone(), 9)])]) };
        assert_eq!(stints.latest("0012"), Some(&new));
        // Without dates, the version decides.
        let (a, b) = (stint("财务科", None, None), stint("办公室", None, None));
        let stints = Stints { by_no: HashMap::from([("0012".into(), vec![(a, 3), (b.clone(), 4)])]) };
        assert_eq!(stints.latest("0012"), Some(&b));
    }

    #[test]
    fn a_record_reaches_the_units_the_person_is_of_on_its_days() {
        let old = stint("财务科", Some("2026-01-01"), Some("2026-05-31"));
        let new = stint("办公室", Some("2026-06-01"), None);
        let stints = Stints { by_no: HashMap::from([("0012".into(), vec![(new, 7), (old, 9)])]) };
        let d = |t: &str| t.parse::<NaiveDate>().unwrap();
        assert_eq!(stints.units_over("0012", d("2026-03-01"), d("2026-03-01")), ["财务科"]);
        assert_eq!(stints.units_over("0012", d("2026-05-31"), d("2026-06-01")), ["财务科", "办公室"]);
        assert_eq!(stints.units_over("0012", d("2026-07-01"), d("2026-07-02")), ["办公室"]);
        // Before any stint: their latest unit; an unknown person: none.
        assert_eq!(stints.units_over("0012", d("2025-01-01"), d("2025-01-01")), ["办公室"]);
        assert!(stints.units_over("0099", d("2026-03-01"), d("2026-03-01")).is_empty());
    }

    #[test]
    fn an_enrolment_reads_with_and_without_the_version_seen() {
        let e = Enrolment::parse("0100000077 → 0013 (master v12)", "0009").unwrap();
        assert_eq!((e.card.as_str(), e.staff_no.as_str(), e.seen), ("0100000077", "0013", Some(12)));
        assert_eq!(Enrolment::parse("0100000077 → 0013", "0009").unwrap().seen, None);
        assert_eq!(Enrolment::parse("0100000077 → 0013 (master vx)", "0009"), None);
        assert_eq!(Enrolment::parse("nothing", "0009"), None);
    }
}
