//! The kiosk's records as the store hands them out: staff, cards, punches,
//! leave, roster, spot checks. Plain data; the rules read them through
//! [`crate::domain::attendance`].

use chrono::NaiveDate;

use crate::domain::rules::{Calendar, CardAssignment, ClockSpan};
use crate::domain::time::Instant;

/// `role` in the staff file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    #[default]
    Staff,
    /// Section head: reviews their own unit.
    Head,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::Head => "head",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "staff" => Some(Role::Staff),
            "head" => Some(Role::Head),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The current version of a staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Staff {
    pub staff_no: String,
    pub name: String,
    pub unit: String,
    pub schedule: String,
    pub role: Role,
    /// Argon2 PHC string; never printed.
    pub pin_hash: Option<String>,
    pub active_from: Option<NaiveDate>,
    pub active_until: Option<NaiveDate>,
}

/// The `schedule` of a person without schedule obligations (an
/// administrator who only looks after the kiosk): their days are `rest`
/// unless the roster (值班) gives them sessions. R2 says a person has
/// obligations on a workday *only if* employed then; this is the one case
/// where a workday is not enough. The times (day start, time zone) are the
/// default schedule's.
pub const NO_SCHEDULE: &str = "none";

impl Staff {
    /// Whether workdays oblige this person (see [`NO_SCHEDULE`]).
    pub fn has_schedule_obligations(&self) -> bool {
        self.schedule != NO_SCHEDULE
    }

    /// A staff member on the `default` schedule, role `staff`, no PIN, no
    /// employment dates.
    pub fn plain(staff_no: impl Into<String>, name: impl Into<String>, unit: impl Into<String>) -> Staff {
        Staff {
            staff_no: staff_no.into(),
            name: name.into(),
            unit: unit.into(),
            schedule: "default".into(),
            role: Role::Staff,
            pin_hash: None,
            active_from: None,
            active_until: None,
        }
    }

    /// Whether the person is employed on `date` (R2: inclusive bounds).
    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.active_from.is_none_or(|f| f <= date) && self.active_until.is_none_or(|u| date <= u)
    }
}

/// Who a punch is recorded against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PunchOwner {
    Card(String),
    Staff(String),
}

/// How a punch entered the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PunchSource {
    Reader,
    Import,
    Attlog,
    /// 补卡: added by a correction.
    Correction,
}

impl PunchSource {
    pub fn as_str(self) -> &'static str {
        match self {
            PunchSource::Reader => "reader",
            PunchSource::Import => "import",
            PunchSource::Attlog => "attlog",
            PunchSource::Correction => "correction",
        }
    }

    pub fn parse(s: &str) -> Option<PunchSource> {
        match s {
            "reader" => Some(PunchSource::Reader),
            "import" => Some(PunchSource::Import),
            "attlog" => Some(PunchSource::Attlog),
            "correction" => Some(PunchSource::Correction),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PunchRow {
    pub id: i64,
    pub owner: PunchOwner,
    pub at: Instant,
    pub source: PunchSource,
    /// `None` where unknown (imports).
    pub clock_synced: Option<bool>,
    /// The kiosk a door's punch was made at, for a punch received from
    /// another kiosk serving the unit (SPEC "Doors"); `None`: made here.
    pub origin: Option<String>,
    pub voided: bool,
}

/// The leave kinds the head's leave form and the leave template offer, in
/// their order (the stored kind is the Chinese word; the config's
/// `duty_kinds` follow them).
pub const LEAVE_KINDS: [&str; 8] = ["事假", "病假", "年休假", "调休", "婚假", "产假", "丧假", "探亲假"];

/// A leave or duty record: `[from, to)` as instants, fixed when it was
/// entered (in the person's zone then), so a later change of schedule or
/// zone never moves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaveRow {
    pub id: i64,
    pub staff_no: String,
    pub kind: String,
    pub from: Instant,
    pub to: Instant,
    pub voided: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RosterRow {
    pub staff_no: String,
    pub date: NaiveDate,
    pub span: ClockSpan,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpotCheckRow {
    pub id: i64,
    pub staff_no: String,
    pub at: Instant,
    pub present: bool,
    pub voided: bool,
}

/// Everything the rules need for a period, read in one go.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub staff: Vec<Staff>,
    pub assignments: Vec<CardAssignment>,
    pub punches: Vec<PunchRow>,
    pub leave: Vec<LeaveRow>,
    pub roster: Vec<RosterRow>,
    pub spot_checks: Vec<SpotCheckRow>,
    pub calendar: Calendar,
}
