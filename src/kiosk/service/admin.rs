//! Admin mode: enrolling unknown cards (their earlier scans attach, R3).

use super::{hm, Power, Result, Service};
use crate::domain::model::PunchOwner;

/// A person the admin may enroll a card to, with the cards they hold now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolLine {
    pub staff_no: String,
    pub name: String,
    pub unit: String,
    pub cards: Vec<String>,
}

impl EnrolLine {
    /// Whether the admin's search `q` finds this person: a part of the
    /// staff number, name, unit or a card, letters in either case.
    pub fn matches(&self, q: &str) -> bool {
        let q = q.trim().to_lowercase();
        q.is_empty()
            || [&self.staff_no, &self.name, &self.unit]
                .into_iter()
                .chain(&self.cards)
                .any(|f| f.to_lowercase().contains(&q))
    }
}

impl Service<'_> {
    /// The kiosk's staff (its units and those it is a door of) with their
    /// cards, by staff number.
    pub fn enrol_list(&mut self) -> Result<Vec<EnrolLine>> {
        let doors = self.config().doors_for.clone();
        let att = self.core.attendance()?;
        let mut people = att.people(None);
        people.extend(doors.iter().flat_map(|u| att.people_of_unit(u)));
        people.sort_by(|a, b| a.staff_no.cmp(&b.staff_no));
        Ok(people
            .into_iter()
            .map(|s| EnrolLine {
                staff_no: s.staff_no.clone(),
                name: s.name.clone(),
                unit: s.unit.clone(),
                cards: att.cards_of(&s.staff_no).into_iter().map(str::to_string).collect(),
            })
            .collect())
    }

    /// Unknown cards seen today (newest first), for enrolment.
    pub fn unknown_cards(&mut self) -> Result<Vec<(String, String)>> {
        let now = self.core.now();
        let tz = self.config().default_schedule().tz;
        let today = self.config().default_schedule().attendance_day(now);
        let att = self.core.attendance()?;
        let mut seen: Vec<(String, String)> = Vec::new();
        for p in att.unknown_card_punches(today).into_iter().rev() {
            if let PunchOwner::Card(c) = &p.owner {
                if !seen.iter().any(|(x, _)| x == c) {
                    seen.push((c.clone(), hm(tz, p.at)));
                }
            }
        }
        Ok(seen)
    }

    /// Enrolls a card to a person of the kiosk's units: its earlier punches attach (R3).
    pub fn enroll(&mut self, admin: &str, card: &str, staff_no: &str) -> Result<String> {
        self.authorize(admin, Power::Enroll, &[staff_no])?;
        let now = self.core.now();
        let made_on = self.config().default_schedule().attendance_day(now);
        let (a, c, no) = (admin.to_string(), card.to_string(), staff_no.to_string());
        // On a kiosk whose cards the server keeps, the master version the
        // door had: the server adopts the enrolment unless it gave the
        // card to someone else after that version.
        let seen = self.core.store().meta(crate::kiosk::master::MASTER_VERSION)?;
        let detail = match seen {
            Some(v) => format!("{c} → {no} (master v{v})"),
            None => format!("{c} → {no}"),
        };
        self.core.write(|w| {
            w.assign_card(&c, &no, None, made_on, now)?;
            w.log_action(&a, "enroll", &detail, now)
        })?;
        // Its earlier punches attach (R3): the days they lie in change.
        if let Some(first) = self.core.store().first_punch_of_card(card)? {
            self.core.changed(first, now);
        }
        Ok(self.say().enrolled(card, staff_no))
    }
}
