//! `config.toml` (SPEC.md), parsed in two stages: serde into raw types that
//! already check each value (so an error carries the key and the line), then
//! cross-field checks that build the validated [`Config`].

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono::{NaiveTime, Weekday};
use chrono_tz::Tz;
use serde::{de, Deserialize, Deserializer};

use crate::domain::rules::{ClockSpan, Schedule, Season, Thresholds, Timetable};

/// A config error: which file, line and key, and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub file: PathBuf,
    pub line: Option<usize>,
    pub key: String,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.key, self.message)
        }
    }
}

impl std::error::Error for ConfigError {}

/// The screen and report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Language {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

/// `[reader] kind`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ReaderKind {
    Rdm6300,
    Id12,
    Pn532,
    Lines,
    Keyboard,
    Wiegand,
    #[default]
    Simulated,
}

impl ReaderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ReaderKind::Rdm6300 => "rdm6300",
            ReaderKind::Id12 => "id12",
            ReaderKind::Pn532 => "pn532",
            ReaderKind::Lines => "lines",
            ReaderKind::Keyboard => "keyboard",
            ReaderKind::Wiegand => "wiegand",
            ReaderKind::Simulated => "simulated",
        }
    }
}

/// How `lines` and `keyboard` readers spell a card id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum IdFormat {
    #[default]
    Hex,
    Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReaderConfig {
    #[serde(default)]
    pub kind: ReaderKind,
    pub device: Option<String>,
    pub baud: Option<u32>,
    #[serde(default)]
    pub id_format: IdFormat,
    pub d0_pin: Option<u8>,
    pub d1_pin: Option<u8>,
    /// Wiegand frame length: 26 or 34.
    #[serde(default = "default_wiegand_bits")]
    pub bits: u8,
}

fn default_wiegand_bits() -> u8 {
    26
}

impl Default for ReaderConfig {
    fn default() -> Self {
        ReaderConfig {
            kind: ReaderKind::default(),
            device: None,
            baud: None,
            id_format: IdFormat::default(),
            d0_pin: None,
            d1_pin: None,
            bits: default_wiegand_bits(),
        }
    }
}

impl ReaderConfig {
    /// The baud rate, defaulting by kind (PN532 HSU runs at 115200).
    pub fn baud(&self) -> u32 {
        self.baud.unwrap_or(match self.kind {
            ReaderKind::Pn532 => 115_200,
            _ => 9_600,
        })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CentralConfig {
    pub url: String,
    /// The kiosk's token, readable by its owner only.
    #[serde(default = "default_token_file")]
    pub token_file: PathBuf,
    /// A private CA's certificate (PEM) the server's is signed by.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// People, cards and calendars come from the server (SPEC "Master
    /// data"): pulled every 30 s, and the kiosk's own imports of them are
    /// refused. The punches of the other kiosks serving its units come
    /// down too (SPEC "Doors").
    #[serde(default)]
    pub master: bool,
    /// Seconds between a managed kiosk's pulls (default 30, 5 to 3600): a
    /// punch at one door reaches the unit's other kiosks within about
    /// this long while they are online.
    #[serde(default = "default_pull_interval")]
    pub pull_interval_s: u64,
}

fn default_pull_interval() -> u64 {
    30
}

/// The buzzer and the two LEDs (SPEC "Kiosk config additions"), by BCM
/// pin number; a pin left out is not driven.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FeedbackConfig {
    pub buzzer_pin: Option<u8>,
    pub green_pin: Option<u8>,
    pub red_pin: Option<u8>,
    /// The pins sink current (a low level turns the part on).
    #[serde(default)]
    pub active_low: bool,
}

/// The screen's mounting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DisplayConfig {
    /// 0, 90, 180 or 270 degrees; the touch input turns with the picture.
    #[serde(default)]
    pub rotation: u16,
}

fn default_token_file() -> PathBuf {
    PathBuf::from("/etc/dutyclock/token")
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub kiosk_id: String,
    /// The units this kiosk is the home of: it judges their days.
    pub units: Vec<String>,
    /// Units homed at another kiosk that this one is a door of: their
    /// people are known at the scan, their days are judged at home.
    pub doors_for: Vec<String>,
    pub language: Language,
    pub reader: ReaderConfig,
    /// Always holds `default`.
    pub schedules: BTreeMap<String, Schedule>,
    pub central: Option<CentralConfig>,
    /// `None`: no buzzer or LEDs.
    pub feedback: Option<FeedbackConfig>,
    pub display: DisplayConfig,
    /// The `[schedules]` tables as written (as JSON; `{}` when there are
    /// none): what the rules read from the configuration besides the
    /// records, sent to the central server (SPEC "Records", `PUT …/rules`)
    /// so that it can judge the kiosk's days again with the same schedules.
    /// [`Config::for_judging`] builds the schedules back from it.
    pub rules: serde_json::Value,
}

impl Config {
    pub fn default_schedule(&self) -> &Schedule {
        &self.schedules["default"]
    }

    /// The schedule by name, falling back to `default` (imports refuse
    /// unknown names, so the fallback only serves a config edited later).
    pub fn schedule(&self, name: &str) -> &Schedule {
        self.schedules.get(name).unwrap_or_else(|| self.default_schedule())
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read(path).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: None,
            key: String::new(),
            message: format!("cannot read: {e}"),
        })?;
        let text = String::from_utf8(text).map_err(|e| ConfigError {
            file: path.to_path_buf(),
            line: Some(line_of(&String::from_utf8_lossy(e.as_bytes()), e.utf8_error().valid_up_to())),
            key: String::new(),
            message: "not UTF-8".into(),
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let de = toml::Deserializer::new(text);
        let raw: RawConfig = serde_path_to_error::deserialize(de).map_err(|e| {
            let line = e.inner().span().map(|s| line_of(text, s.start));
            let message = e.inner().message().trim().to_string();
            ConfigError { file: file.to_path_buf(), line, key: e.path().to_string().replace("?", ""), message }
        })?;
        let err = |key: String, message: String, needle: &str| ConfigError {
            file: file.to_path_buf(),
            line: text.find(needle).map(|i| line_of(text, i)),
            key,
            message,
        };
        if raw.kiosk_id.trim().is_empty() {
            return Err(err("kiosk_id".into(), "must not be empty".into(), "kiosk_id"));
        }
        if (raw.units.is_empty() && raw.doors_for.is_empty()) || raw.units.iter().any(|u| u.trim().is_empty()) {
            return Err(err(
                "units".into(),
                "list at least one unit, none empty (a kiosk that is only a door: units = [] and doors_for)".into(),
                "units",
            ));
        }
        if raw.doors_for.iter().any(|u| u.trim().is_empty() || raw.units.contains(u)) {
            return Err(err(
                "doors_for".into(),
                "a unit homed at another kiosk, none empty, none also in units".into(),
                "doors_for",
            ));
        }
        if !raw.doors_for.is_empty() && !raw.central.as_ref().is_some_and(|c| c.master) {
            return Err(err(
                "doors_for".into(),
                "a door takes its units' people and peers' punches from the server: needs [central] master = true"
                    .into(),
                "doors_for",
            ));
        }
        if matches!(raw.reader.kind, ReaderKind::Wiegand)
            && (raw.reader.d0_pin.is_none() || raw.reader.d1_pin.is_none())
        {
            return Err(err("reader.d0_pin".into(), "wiegand needs d0_pin and d1_pin".into(), "[reader]"));
        }
        if !matches!(raw.reader.bits, 26 | 34) {
            return Err(err("reader.bits".into(), "Wiegand is 26 or 34 bits".into(), "bits"));
        }
        if let Some(c) = &raw.central {
            if !(c.url.starts_with("https://") || c.url.strip_prefix("http://").is_some_and(loopback)) {
                return Err(err(
                    "central.url".into(),
                    "must start with https:// (http:// only to this machine, e.g. a local TLS proxy at \
                     http://127.0.0.1:PORT/: the token must not cross a network in the clear)"
                        .into(),
                    "url",
                ));
            }
            if !(5..=3600).contains(&c.pull_interval_s) {
                return Err(err(
                    "central.pull_interval_s".into(),
                    "seconds between pulls: 5 to 3600".into(),
                    "pull_interval_s",
                ));
            }
        }
        if !matches!(raw.display.rotation, 0 | 90 | 180 | 270) {
            return Err(err("display.rotation".into(), "must be 0, 90, 180 or 270".into(), "rotation"));
        }
        // Every GPIO the kiosk drives: the feedback's and, for a Wiegand
        // reader, its two lines; each a BCM pin, none used twice.
        let mut used: Vec<(u8, &str)> = Vec::new();
        if let Some(f) = &raw.feedback {
            used.extend(f.buzzer_pin.map(|p| (p, "feedback")));
            used.extend(f.green_pin.map(|p| (p, "feedback")));
            used.extend(f.red_pin.map(|p| (p, "feedback")));
        }
        if matches!(raw.reader.kind, ReaderKind::Wiegand) {
            used.extend(raw.reader.d0_pin.map(|p| (p, "reader.d0_pin")));
            used.extend(raw.reader.d1_pin.map(|p| (p, "reader.d1_pin")));
        }
        if let Some((p, key)) = used.iter().find(|(p, _)| *p > 27 || used.iter().filter(|(q, _)| q == p).count() > 1) {
            return Err(err(
                key.to_string(),
                format!("GPIO {p} is not a Raspberry Pi BCM pin (0 to 27) or is used twice"),
                if key.starts_with("reader") { "[reader]" } else { "[feedback]" },
            ));
        }
        let schedules = build_schedules(raw.schedules).map_err(|(key, msg, header)| err(key, msg, &header))?;
        // The same tables again as plain values: `raw` has them typed, and
        // the server wants them as written (defaults stay defaults).
        let rules = toml::from_str::<toml::Table>(text)
            .ok()
            .and_then(|t| t.get("schedules").cloned())
            .and_then(|s| serde_json::to_value(s).ok())
            .unwrap_or_else(|| serde_json::json!({}));
        Ok(Config {
            kiosk_id: raw.kiosk_id,
            units: raw.units,
            doors_for: raw.doors_for,
            language: raw.language,
            reader: raw.reader,
            schedules,
            central: raw.central,
            feedback: raw.feedback,
            display: raw.display,
            rules,
        })
    }

    /// The schedules replaced by `rules` (the `[schedules]` tables as JSON,
    /// from the central server): judged and declared with those from now
    /// on. An error names the key.
    pub fn with_schedules(&mut self, rules: &serde_json::Value) -> Result<(), String> {
        let built = Config::for_judging(&self.kiosk_id, &self.units, rules)?;
        self.schedules = built.schedules;
        self.rules = built.rules;
        Ok(())
    }

    /// The configuration a kiosk's days are judged with at the central
    /// server: its id and units, and the schedules from `rules` (a kiosk's
    /// [`Config::rules`] as it sent them); nothing of the door (reader,
    /// buzzer, screen) matters to a judgement. An error names the key.
    pub fn for_judging(kiosk_id: &str, units: &[String], rules: &serde_json::Value) -> Result<Config, String> {
        let raw: BTreeMap<String, RawSchedule> =
            serde_path_to_error::deserialize(rules).map_err(|e| format!("schedules.{}: {}", e.path(), e.inner()))?;
        let schedules = build_schedules(raw).map_err(|(key, msg, _)| format!("{key}: {msg}"))?;
        Ok(Config {
            kiosk_id: kiosk_id.to_string(),
            units: units.to_vec(),
            doors_for: Vec::new(),
            language: Language::default(),
            reader: ReaderConfig::default(),
            schedules,
            central: None,
            feedback: None,
            display: DisplayConfig::default(),
            rules: rules.clone(),
        })
    }
}

/// Validated schedules from their tables, `default` always among them; an
/// error is (key, message, the table's header to find its line by).
fn build_schedules(
    mut raw_schedules: BTreeMap<String, RawSchedule>,
) -> Result<BTreeMap<String, Schedule>, (String, String, String)> {
    let mut schedules = BTreeMap::new();
    raw_schedules.entry("default".into()).or_default();
    for (name, rs) in raw_schedules {
        let header = format!("[schedules.{name}]");
        // "none" in the staff file means no obligations: a schedule of
        // that name could never be used.
        if name == crate::domain::model::NO_SCHEDULE {
            return Err((
                format!("schedules.{name}"),
                "\"none\" is reserved (a staff file's schedule none means no obligations): rename it".into(),
                header,
            ));
        }
        let s = rs.build(&name).map_err(|(key, msg)| (format!("schedules.{name}.{key}"), msg, header.clone()))?;
        schedules.insert(name, s);
    }
    Ok(schedules)
}

/// Whether a URL's rest after `http://` names this machine (127.0.0.0/8,
/// `localhost`, `[::1]`).
fn loopback(rest: &str) -> bool {
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host_port = authority.rsplit('@').next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    host.eq_ignore_ascii_case("localhost") || host.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())].iter().filter(|&&b| b == b'\n').count() + 1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    kiosk_id: String,
    units: Vec<String>,
    #[serde(default)]
    doors_for: Vec<String>,
    #[serde(default)]
    language: Language,
    #[serde(default)]
    reader: ReaderConfig,
    #[serde(default)]
    schedules: BTreeMap<String, RawSchedule>,
    central: Option<CentralConfig>,
    feedback: Option<FeedbackConfig>,
    #[serde(default)]
    display: DisplayConfig,
}

/// A wall-clock `HH:MM`, checked while parsing.
#[derive(Debug, Clone, Copy)]
struct Hhmm(NaiveTime);

impl<'de> Deserialize<'de> for Hhmm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        crate::domain::time::parse_clock(&s).map(Hhmm).map_err(de::Error::custom)
    }
}

/// A `MM-DD` season bound.
#[derive(Debug, Clone, Copy)]
struct MonthDay(u32, u32);

impl<'de> Deserialize<'de> for MonthDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || de::Error::custom(format!("bad date {s:?}: expected MM-DD"));
        let (m, dd) = s.split_once('-').ok_or_else(bad)?;
        let (m, dd): (u32, u32) = (m.parse().map_err(|_| bad())?, dd.parse().map_err(|_| bad())?);
        // 2024 is a leap year, so 02-29 is accepted.
        chrono::NaiveDate::from_ymd_opt(2024, m, dd).ok_or_else(bad)?;
        Ok(MonthDay(m, dd))
    }
}

struct Zone(Tz);

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse::<Tz>()
            .map(Zone)
            .map_err(|_| de::Error::custom(format!("unknown IANA time zone {s:?} (e.g. \"Asia/Shanghai\")")))
    }
}

struct Day(Weekday);

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let w = match s.as_str() {
            "mon" => Weekday::Mon,
            "tue" => Weekday::Tue,
            "wed" => Weekday::Wed,
            "thu" => Weekday::Thu,
            "fri" => Weekday::Fri,
            "sat" => Weekday::Sat,
            "sun" => Weekday::Sun,
            _ => return Err(de::Error::custom(format!("bad weekday {s:?}: use mon tue wed thu fri sat sun"))),
        };
        Ok(Day(w))
    }
}

#[derive(Deserialize, Clone, Copy)]
#[serde(deny_unknown_fields)]
struct RawSpan {
    start: Hhmm,
    end: Hhmm,
}

impl RawSpan {
    fn clock(self) -> ClockSpan {
        ClockSpan { start: self.start.0, end: self.end.0 }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSeason {
    from: MonthDay,
    to: MonthDay,
    sessions: Vec<RawSpan>,
    #[serde(default)]
    breaks: Vec<RawSpan>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSchedule {
    timezone: Option<Zone>,
    day_starts_at: Option<Hhmm>,
    workdays: Option<Vec<Day>>,
    sessions: Option<Vec<RawSpan>>,
    breaks: Option<Vec<RawSpan>>,
    late_grace_minutes: Option<u32>,
    early_grace_minutes: Option<u32>,
    absent_after_minutes: Option<u32>,
    off_post_grace_minutes: Option<u32>,
    duplicate_scan_seconds: Option<u32>,
    duty_kinds: Option<Vec<String>>,
    seasons: Option<Vec<RawSeason>>,
}

impl RawSchedule {
    /// Builds a schedule, or names the key that is wrong and why.
    fn build(self, name: &str) -> Result<Schedule, (String, String)> {
        let d = Schedule::default();
        let th = Thresholds::default();
        let mut s = Schedule {
            name: name.to_string(),
            tz: self.timezone.map_or(d.tz, |z| z.0),
            day_starts_at: self.day_starts_at.map_or(d.day_starts_at, |t| t.0),
            workdays: d.workdays,
            timetable: Timetable {
                sessions: self
                    .sessions
                    .map_or(d.timetable.sessions.clone(), |v| v.into_iter().map(RawSpan::clock).collect()),
                breaks: self.breaks.unwrap_or_default().into_iter().map(RawSpan::clock).collect(),
            },
            seasons: vec![],
            thresholds: Thresholds {
                late_grace_minutes: self.late_grace_minutes.unwrap_or(th.late_grace_minutes),
                early_grace_minutes: self.early_grace_minutes.unwrap_or(th.early_grace_minutes),
                absent_after_minutes: self.absent_after_minutes.unwrap_or(th.absent_after_minutes),
                off_post_grace_minutes: self.off_post_grace_minutes.unwrap_or(th.off_post_grace_minutes),
                duplicate_scan_seconds: self.duplicate_scan_seconds.unwrap_or(th.duplicate_scan_seconds),
            },
            duty_kinds: self.duty_kinds.unwrap_or(d.duty_kinds),
        };
        if let Some(days) = self.workdays {
            s.workdays = [false; 7];
            for day in days {
                s.workdays[day.0.num_days_from_monday() as usize] = true;
            }
        }
        if s.duty_kinds.iter().any(|k| k.trim().is_empty()) {
            return Err(("duty_kinds".into(), "a duty kind must not be empty".into()));
        }
        check_timetable(&s, &s.timetable, "")?;
        for (i, rs) in self.seasons.unwrap_or_default().into_iter().enumerate() {
            let season = Season {
                from: (rs.from.0, rs.from.1),
                to: (rs.to.0, rs.to.1),
                timetable: Timetable {
                    sessions: rs.sessions.into_iter().map(RawSpan::clock).collect(),
                    breaks: rs.breaks.into_iter().map(RawSpan::clock).collect(),
                },
            };
            check_timetable(&s, &season.timetable, &format!("seasons[{i}]."))?;
            s.seasons.push(season);
        }
        Ok(s)
    }
}

/// Sessions ordered, non-overlapping and inside the attendance day; every
/// break inside one session.
fn check_timetable(s: &Schedule, t: &Timetable, prefix: &str) -> Result<(), (String, String)> {
    let key = |k: &str| format!("{prefix}{k}");
    if t.sessions.is_empty() {
        return Err((key("sessions"), "at least one session is needed".into()));
    }
    let offs: Vec<_> = t.sessions.iter().map(|c| s.span_offsets(c)).collect();
    for (i, (c, (a, b))) in t.sessions.iter().zip(&offs).enumerate() {
        if c.start == c.end {
            return Err((key(&format!("sessions[{i}]")), "start and end are the same".into()));
        }
        if *b > chrono::Duration::days(1) {
            return Err((
                key(&format!("sessions[{i}]")),
                format!(
                    "{}–{} crosses the day start {} (every session lies inside one attendance day)",
                    c.start.format("%H:%M"),
                    c.end.format("%H:%M"),
                    s.day_starts_at.format("%H:%M")
                ),
            ));
        }
        if i > 0 && *a < offs[i - 1].1 {
            return Err((key(&format!("sessions[{i}]")), "sessions must be in order and must not overlap".into()));
        }
    }
    for (j, br) in t.breaks.iter().enumerate() {
        let (a, b) = s.span_offsets(br);
        if !offs.iter().any(|(sa, sb)| *sa <= a && b <= *sb) {
            return Err((key(&format!("breaks[{j}]")), "a break must lie inside one session".into()));
        }
    }
    Ok(())
}

/// The commented default `config.toml` that `dutyclock init` writes.
pub fn default_config_text(kiosk_id: &str, units: &[String]) -> String {
    let units = units.iter().map(|u| format!("{u:?}")).collect::<Vec<_>>().join(", ");
    format!(
        r#"# dutyclock kiosk configuration. Keys and defaults: SPEC.md and RULES.md.

kiosk_id = {kiosk_id:?}   # unique per kiosk
units = [{units}]          # the units this kiosk serves
language = "zh-CN"             # or "en"

[reader]
kind = "simulated"   # rdm6300 | id12 | pn532 | lines | keyboard | wiegand | simulated
# device = "/dev/serial/by-id/usb-..."   # serial kinds; keyboard: the evdev device
# baud = 9600                            # default by kind (pn532: 115200)
# id_format = "hex"                      # lines/keyboard: "hex" or "decimal"
# d0_pin = 17                            # wiegand: BCM pins of D0 and D1
# d1_pin = 27
# bits = 26                              # wiegand: 26 or 34

[schedules.default]
# timezone = "Asia/Shanghai"
# day_starts_at = "04:00"
# workdays = ["mon", "tue", "wed", "thu", "fri"]
sessions = [{{ start = "08:30", end = "12:00" }}, {{ start = "14:30", end = "17:30" }}]
# breaks = []
# late_grace_minutes = 0
# early_grace_minutes = 0
# absent_after_minutes = 30
# off_post_grace_minutes = 10
# duplicate_scan_seconds = 60
# duty_kinds = ["公出", "出差"]
# [[schedules.default.seasons]]   # e.g. a summer timetable
# from = "05-01"
# to = "09-30"
# sessions = [{{ start = "08:30", end = "12:00" }}, {{ start = "15:00", end = "18:00" }}]

# [central]
# url = "https://central.example/"
# token_file = "/etc/dutyclock/token"
# ca_file = "/etc/dutyclock/ca.pem"   # optional: a private CA for the server
# master = false          # true: people, cards, schedules come from the server
# pull_interval_s = 30    # with master: seconds between pulls (5 to 3600)

# [feedback]              # GPIO by BCM number; omitted = no buzzer / LEDs
# buzzer_pin = 18
# green_pin = 23
# red_pin = 24
# active_low = false

# [display]
# rotation = 0            # 0 | 90 | 180 | 270 (touch rotates with it)
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(t: &str) -> Result<Config, ConfigError> {
        Config::parse(t, Path::new("config.toml"))
    }

    #[test]
    fn default_text_parses() {
        let c = parse(&default_config_text("k1", &["区财政局".into()])).unwrap();
        assert_eq!(c.kiosk_id, "k1");
        assert_eq!(c.default_schedule().timetable, Schedule::default().timetable);
        assert_eq!(c.language, Language::ZhCn);
    }

    #[test]
    fn feedback_display_and_wiegand_keys() {
        let base = "kiosk_id = \"a\"\nunits = [\"u\"]\n";
        let c = parse(base).unwrap();
        assert_eq!((c.feedback.is_none(), c.display.rotation, c.reader.bits), (true, 0, 26));
        let c = parse(&format!(
            "{base}[reader]\nkind = \"wiegand\"\nd0_pin = 17\nd1_pin = 27\nbits = 34\n\
             [feedback]\nbuzzer_pin = 18\ngreen_pin = 23\nred_pin = 24\nactive_low = true\n[display]\nrotation = 90\n"
        ))
        .unwrap();
        let f = c.feedback.unwrap();
        assert_eq!((f.buzzer_pin, f.green_pin, f.red_pin, f.active_low), (Some(18), Some(23), Some(24), true));
        assert_eq!((c.display.rotation, c.reader.bits), (90, 34));
        for (bad, key) in [
            ("[display]\nrotation = 45\n", "display.rotation"),
            ("[reader]\nbits = 32\n", "reader.bits"),
            ("[feedback]\nbuzzer_pin = 18\ngreen_pin = 18\n", "feedback"),
            ("[feedback]\nred_pin = 40\n", "feedback"),
            ("[reader]\nkind = \"wiegand\"\nd0_pin = 17\nd1_pin = 17\n", "reader.d"),
            ("[reader]\nkind = \"wiegand\"\nd0_pin = 17\nd1_pin = 28\n", "reader.d1_pin"),
            ("[feedback]\nbuzer_pin = 18\n", "buzer_pin"),
        ] {
            let e = parse(&format!("{base}{bad}")).unwrap_err();
            assert!(e.to_string().contains(key), "{bad}: {e}");
        }
    }

    #[test]
    fn plain_http_only_to_this_machine() {
        let with =
            |url: &str| parse(&format!("kiosk_id = \"a\"\nunits = [\"u\"]\n[central]\nurl = \"{url}\"\n")).map(|_| ());
        for ok in ["https://central.gov/", "http://127.0.0.1:8470/", "http://localhost/", "http://[::1]:80/x"] {
            assert!(with(ok).is_ok(), "{ok}");
        }
        for bad in [
            "http://central.gov/",
            "http://10.0.0.5:8470",
            "http://127.0.0.1.evil.com/",
            "ftp://x/",
            "http://x@10.1.1.1/",
        ] {
            let e = with(bad).unwrap_err();
            assert!(e.to_string().contains("central.url"), "{bad}: {e}");
        }
    }

    #[test]
    fn unknown_key_names_key_and_line() {
        let e = parse("kiosk_id = \"a\"\nunits = [\"u\"]\n[reader]\nkind = \"simulated\"\nspeed = 3\n").unwrap_err();
        assert_eq!(e.line, Some(5), "{e}");
        assert!(e.to_string().contains("speed"), "{e}");
    }

    #[test]
    fn bad_value_names_key_and_line() {
        let e = parse("kiosk_id = \"a\"\nunits = [\"u\"]\n[schedules.default]\nsessions = [{ start = \"8:3O\", end = \"12:00\" }]\n")
            .unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.key.contains("schedules.default.sessions"), "{e}");
        let e =
            parse("kiosk_id = \"a\"\nunits = [\"u\"]\n[schedules.default]\ntimezone = \"Mars/Base\"\n").unwrap_err();
        assert!(e.to_string().contains("timezone"), "{e}");
        let e = parse("units = [\"u\"]\n").unwrap_err();
        assert!(e.to_string().contains("kiosk_id"), "{e}");
        let e = parse("kiosk_id = \"a\"\nunits = [\"u\"]\n[schedules.none]\nsessions = [{ start = \"08:30\", end = \"12:00\" }]\n")
            .unwrap_err();
        assert!(e.key == "schedules.none" && e.to_string().contains("reserved"), "{e}");
        assert_eq!(e.line, Some(3), "{e}");
        let e = parse("kiosk_id = \"a\"\nunits = [\"u\"]\n[reader]\nkind = \"magic\"\n").unwrap_err();
        assert!(e.to_string().contains("reader.kind"), "{e}");
    }

    #[test]
    fn overlapping_sessions_are_refused() {
        let e = parse(
            "kiosk_id = \"a\"\nunits = [\"u\"]\n[schedules.default]\nsessions = [{ start = \"08:30\", end = \"12:00\" }, { start = \"11:00\", end = \"17:30\" }]\n",
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.key.ends_with("sessions[1]"), "{e}");
    }
}
