//! What the touchscreen asks of the kiosk, answered with plain view data
//! (no Slint types), one file per screen: the scan result (`scan`), a
//! person's month (`month`), section head mode (`head`) and admin mode
//! (`admin`). Every sentence comes from [`crate::kiosk::words::Say`]. Runs on the
//! kiosk loop's thread, never on the UI thread; tested without any window.
//!
//! Authority lives here, not only in the UI: every write checks who acts
//! (signed in with card and PIN, their role) and whose record it touches
//! (the head's own unit), and a refused write stores nothing.

mod admin;
mod head;
mod identify;
mod month;
mod photos;
mod scan;
mod standing;

use std::collections::HashMap;

pub use admin::EnrolLine;
pub use head::{
    text_ems, GridCell, GridDay, LeaveSpan, Line, Period, PersonRow, PersonView, PunchView, SummaryRow, SummaryView,
    Tallies, MAX_LEAVE_DAYS, MAX_RANGE_DAYS,
};
pub use identify::{Identified, ARMED_SECONDS};
pub use month::{DayView, MonthView};
pub use photos::Photo;
pub use scan::ScanView;
pub use standing::{mark, Mark, Standing, Tally, TALLIES};

use super::Core;
use crate::domain::config::{Config, Language};
use crate::domain::model::{Role, Staff};
use crate::domain::time::{instant_to_local, Instant};
use crate::kiosk::pin::{Gate, Outcome as PinOutcome};
use crate::kiosk::store::StoreError;
use crate::kiosk::words::{Refusal, Say};

/// A refused or failed action: the words for the person at the screen.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Refused (not signed in, another unit's record, not the role): nothing stored.
    #[error("{0}")]
    Refused(String),
}

pub type Result<T> = std::result::Result<T, ServiceError>;

/// What an authorised person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Power {
    /// A section head's actions on their own unit's records: leave, spot
    /// checks, corrections, voids, decisions on requests.
    ManageUnit,
    /// An admin's: enrolling cards.
    Enroll,
}

pub struct Service<'c> {
    pub core: Core<'c>,
    pub lang: Language,
    pins: HashMap<String, Gate>,
    /// The head or admin signed in with card and PIN, if any.
    signed_in: Option<String>,
    /// Staff photos, decoded here for the scan screen.
    photos: photos::Photos,
    /// The next scan is an identification (查询 or 管理), until then.
    armed: Option<identify::Armed>,
}

fn hm(tz: chrono_tz::Tz, t: Instant) -> String {
    instant_to_local(tz, t).format("%H:%M").to_string()
}

impl<'c> Service<'c> {
    pub fn new(core: Core<'c>) -> Self {
        let lang = core.config().language;
        Service { core, lang, pins: HashMap::new(), signed_in: None, photos: photos::Photos::default(), armed: None }
    }

    fn say(&self) -> Say {
        Say(self.lang)
    }

    fn config(&self) -> &'c Config {
        self.core.config()
    }

    /// A person's current record, or a refusal naming it unknown.
    fn staff_member(&mut self, staff_no: &str) -> Result<Staff> {
        let say = self.say();
        self.core
            .attendance()?
            .staff_member(staff_no)
            .cloned()
            .ok_or_else(|| ServiceError::Refused(say.refused(Refusal::Unknown)))
    }

    /// Checks that `actor` is signed in, has `power`, and (for a head) that
    /// every person in `targets` is of the head's unit.
    fn authorize(&mut self, actor: &str, power: Power, targets: &[&str]) -> Result<Staff> {
        let say = self.say();
        let refuse = |r| Err(ServiceError::Refused(say.refused(r)));
        if self.signed_in.as_deref() != Some(actor) {
            return refuse(Refusal::NotSignedIn);
        }
        let me = self.staff_member(actor)?;
        match (power, me.role) {
            (Power::ManageUnit, Role::Head) => {}
            (Power::ManageUnit, _) => return refuse(Refusal::NotAHead),
            (Power::Enroll, Role::Admin) => {}
            (Power::Enroll, _) => return refuse(Refusal::NotAnAdmin),
        }
        for no in targets {
            let them = self.staff_member(no)?;
            let in_scope = match power {
                Power::ManageUnit => them.unit == me.unit,
                // A door enrolls cards of the units it is a door of too.
                Power::Enroll => {
                    self.config().units.contains(&them.unit) || self.config().doors_for.contains(&them.unit)
                }
            };
            if !in_scope {
                return refuse(Refusal::OtherUnit);
            }
        }
        Ok(me)
    }

    /// Checks a head's or admin's PIN (Argon2), with the lockout; a right
    /// PIN signs the person in (one at a time) until [`Service::sign_out`].
    pub fn login(&mut self, staff_no: &str, pin: &str) -> Result<PinOutcome> {
        let now = self.core.now();
        let staff = self.core.store().staff_member(staff_no)?;
        let ok = staff
            .as_ref()
            .filter(|s| s.role != Role::Staff)
            .and_then(|s| s.pin_hash.as_deref())
            .is_some_and(|h| crate::kiosk::pin::verify(pin, h));
        let outcome = self.pins.entry(staff_no.to_string()).or_default().check(ok, now);
        let what = match &outcome {
            PinOutcome::Accepted => "login",
            PinOutcome::Wrong { .. } => "wrong PIN",
            PinOutcome::Locked { .. } => "PIN locked",
        };
        // A right PIN signs this person in (one at a time); a wrong one
        // leaves whoever is signed in as they are.
        if outcome == PinOutcome::Accepted {
            self.signed_in = Some(staff_no.to_string());
        }
        let no = staff_no.to_string();
        self.core.write(|w| w.log_action(&no, what, "", now))?;
        Ok(outcome)
    }

    /// Ends head or admin mode (the 退出 button, or a minute without a touch).
    pub fn sign_out(&mut self) {
        self.signed_in = None;
    }

    pub fn staff(&mut self, staff_no: &str) -> Result<Option<Staff>> {
        Ok(self.core.attendance()?.staff_member(staff_no).cloned())
    }

    /// The kiosk's first day with records: the day of the earliest punch
    /// that shows it was there (its own first scan on a synchronized clock,
    /// or an imported history; see `Store::first_punch_at`), or today. The
    /// screens show the days before it as 未启用, never 旷工: nobody could
    /// punch at a kiosk that was not there.
    pub fn first_day(&self) -> Result<chrono::NaiveDate> {
        let sched = self.config().default_schedule();
        let now = self.core.now();
        let first = self.core.store().first_punch_at()?.unwrap_or(now).min(now);
        Ok(sched.attendance_day(first))
    }

    /// Whether a person's `date` is judged at all: on or after the kiosk's
    /// first day and within the person's active days (else 未启用).
    pub(crate) fn judged_on(&self, staff: &crate::domain::model::Staff, date: chrono::NaiveDate) -> Result<bool> {
        Ok(date >= self.first_day()? && staff.active_on(date))
    }

    /// For the idle screen's mark: a calendar for today's year is known.
    pub fn calendar_known(&mut self) -> bool {
        let now = self.core.now();
        self.core
            .attendance()
            .map(|a| a.calendar_known(a.config().default_schedule().attendance_day(now)))
            .unwrap_or(true)
    }
}
