//! Looking is not punching. 查询 (my attendance) and 管理 (heads and
//! admins) on the idle screen arm the next scan, for [`ARMED_SECONDS`], as
//! an identification: that scan opens the person's month or the PIN, and
//! is logged as an action, never stored as a punch. A person who only
//! wants to look, and a head who comes to the door at 15:00 for the
//! roster, leave no punch the rules would read as going out.
//!
//! The arming lives here, on the kiosk loop's thread, not in the screen:
//! a scan from the reader and a tap on 查询 reach the loop through the one
//! channel, in the order they happened, and the loop decides by the time
//! the card was read whether it was armed.

use super::{MonthView, Result, ScanView, Service};
use crate::domain::model::Role;
use crate::domain::time::Instant;
use crate::kiosk::live::{LiveEvent, Purpose};

/// How long an arming waits for its scan.
pub const ARMED_SECONDS: i64 = 15;

/// An armed identification: what for, and until when (by the kiosk's clock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Armed {
    purpose: Purpose,
    until: Instant,
}

/// What the screen does with an identification.
#[derive(Debug, Clone, PartialEq)]
pub enum Identified {
    /// 查询: the person's month (their leave kinds with it).
    Month { staff_no: String, name: String, role: Role, month: MonthView, kinds: Vec<(String, String)> },
    /// 管理: the PIN for a head or an admin.
    Pin { staff_no: String, name: String, role: Role },
    /// Nothing opens (a card nobody holds, 管理 for someone who is neither
    /// a head nor an admin, a month that cannot be read): said as a scan
    /// result, with "no punch was recorded".
    Refused(Box<ScanView>),
}

impl Service<'_> {
    /// Arms the next scan as an identification for `purpose`, until
    /// [`ARMED_SECONDS`] from now; returns that instant. A second arming
    /// replaces the first.
    pub fn arm(&mut self, purpose: Purpose) -> Instant {
        let until = self.core.now() + ARMED_SECONDS * 1000;
        self.armed = Some(Armed { purpose, until });
        until
    }

    /// 取消, or the screen's countdown ran out: the next scan punches.
    pub fn disarm(&mut self) {
        self.armed = None;
    }

    /// Whether a scan would now be an identification, and what for.
    pub fn armed(&self) -> Option<Purpose> {
        self.armed.filter(|a| self.core.now() <= a.until).map(|a| a.purpose)
    }

    /// A card read at `read_at`: an identification if it was armed then
    /// (the arming is used up), else a punch.
    pub fn card(&mut self, card: &str, read_at: Instant, synced: bool) -> LiveEvent {
        match self.armed.take() {
            Some(a) if read_at <= a.until => self.core.identify(card, read_at, a.purpose),
            _ => self.core.scan_read(card, read_at, synced),
        }
    }

    /// What the screen opens for an identification.
    pub fn identified(&mut self, e: &LiveEvent) -> Identified {
        let LiveEvent::Identified { purpose, staff_no, name, .. } = e else {
            return Identified::Refused(Box::new(self.describe(e.clone())));
        };
        let (Some(no), Some(name)) = (staff_no.clone(), name.clone()) else {
            return Identified::Refused(Box::new(self.describe(e.clone())));
        };
        let role = self.staff(&no).ok().flatten().map(|s| s.role).unwrap_or_default();
        match purpose {
            Purpose::Manage if role == Role::Staff => Identified::Refused(Box::new(self.describe(e.clone()))),
            Purpose::Manage => Identified::Pin { staff_no: no, name, role },
            Purpose::Lookup => {
                let month: Result<Option<MonthView>> = self.month(&no, 0);
                let kinds = self.leave_kinds_of(&no).unwrap_or_default();
                match month {
                    Ok(Some(month)) => Identified::Month { staff_no: no, name, role, month, kinds },
                    Ok(None) => Identified::Refused(Box::new(self.describe(e.clone()))),
                    Err(err) => {
                        let mut v = self.describe(e.clone());
                        v.why = err.to_string();
                        Identified::Refused(Box::new(v))
                    }
                }
            }
        }
    }
}
