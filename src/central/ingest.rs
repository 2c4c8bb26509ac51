//! An upload's decisions, pure: what a body must be (SPEC "Daily summary",
//! "Sync": 400 naming the field, 403 for a unit not assigned) and what its
//! revision means against the stored one (201 / 200 / 409).

use chrono::NaiveDate;

use super::sqlite::{figures_of, FIGURES};
use super::storage::{Put, Upload};
use crate::domain::summary::{DailySummary, SCHEMA};
use crate::domain::time::Instant;

/// Why an upload is refused: the status and the field it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub status: u16,
    pub error: String,
    pub field: String,
}

impl Refused {
    fn bad(field: impl Into<String>, error: impl Into<String>) -> Refused {
        Refused { status: 400, error: error.into(), field: field.into() }
    }
}

/// Checks a body for `PUT /api/v1/kiosks/{kiosk_id}/summaries/{date}` by a
/// kiosk serving `units`. Only closed days (revision ≥ 1) are taken.
pub fn check(
    body: &[u8],
    kiosk_id: &str,
    date: &str,
    units: &[String],
    received_at: Instant,
    clock_offset_ms: Option<i64>,
) -> Result<Upload, Refused> {
    let date: NaiveDate =
        date.parse().map_err(|_| Refused::bad("date", format!("the path's date {date:?} is not YYYY-MM-DD")))?;
    let today = chrono::DateTime::from_timestamp_millis(received_at).map_or(NaiveDate::MAX, |t| t.date_naive());
    if date < FIRST_DATE || date > today + chrono::Days::new(1) {
        return Err(Refused::bad(
            "date",
            format!("{date} is not a day a kiosk can have closed ({FIRST_DATE} to tomorrow)"),
        ));
    }
    // Straight into the summary. Only a body that fails is read again, with
    // its path tracked (which costs a province's server a tenth of its
    // parsing) and as plain JSON to name a person's figure.
    let mut s: DailySummary = match serde_json::from_slice(body) {
        Ok(s) => s,
        Err(plain) => return Err(refusal_of(body, plain)),
    };
    if s.schema != SCHEMA {
        return Err(Refused::bad("schema", format!("schema must be {SCHEMA:?}")));
    }
    if s.kiosk_id != kiosk_id {
        return Err(Refused::bad("kiosk_id", "kiosk_id differs from the path"));
    }
    if s.date != date {
        return Err(Refused::bad("date", "date differs from the path"));
    }
    if s.revision < 1 || !s.closed {
        return Err(Refused::bad(
            if s.revision < 1 { "revision" } else { "closed" },
            "only closed days are taken: revision 1 or later, closed true",
        ));
    }
    for (i, p) in s.people.iter().enumerate() {
        if !units.contains(&p.unit) {
            return Err(Refused {
                status: 403,
                error: format!("unit {:?} is not assigned to kiosk {kiosk_id}", p.unit),
                field: format!("people[{i}].unit"),
            });
        }
    }
    let generated_at = chrono::DateTime::parse_from_rfc3339(&s.generated_at)
        .map_err(|_| Refused::bad("generated_at", "generated_at must be RFC 3339 with an offset"))?
        .timestamp_millis();
    check_people(&s)?;
    if let (Some(_), None) | (None, Some(_)) = (&s.chain_length, &s.chain_head) {
        return Err(Refused::bad("chain_head", "chain_length and chain_head come together"));
    }
    if s.chain_length.is_some_and(|l| l >= i64::MAX as u64) || s.rules_version.is_some_and(|v| v > i64::MAX as u64) {
        let field = if s.rules_version.is_some_and(|v| v > i64::MAX as u64) { "rules_version" } else { "chain_length" };
        return Err(Refused::bad(field, "past what a chain can hold"));
    }
    if let Some(h) = &s.chain_head {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refused::bad("chain_head", "chain_head must be 64 hex digits"));
        }
    }
    let json = serde_json::to_string(&s).map_err(|e| Refused::bad("", e.to_string()))?;
    let content_key = content_digest(&mut s);
    Ok(Upload { json, content_key, generated_at, summary: s, received_at, clock_offset_ms })
}

/// Why `body` is not a summary, naming the field: read again with the
/// path tracked (`plain` is the untracked parse's error, said if the
/// second reading somehow passes).
fn refusal_of(body: &[u8], plain: serde_json::Error) -> Refused {
    let e = match serde_path_to_error::deserialize::<_, DailySummary>(&mut serde_json::Deserializer::from_slice(body)) {
        Ok(_) => return Refused::bad("", plain.to_string()),
        Err(e) => e,
    };
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Refused::bad("", format!("not JSON: {}", e.inner()));
    };
    let mut field = e.path().to_string();
    if field == "." {
        field.clear();
    }
    // A person's figures are flattened into the person: name the figure.
    if let Some(bad) = bad_figure(&value, &field) {
        field = format!("{field}.{bad}");
    }
    Refused::bad(field, e.inner().to_string())
}

/// What two uploads of one day are compared by (SPEC: equal without
/// `generated_at`; nor do the revision, the chain position and the rules'
/// version count): the
/// SHA-256 of the summary serialized without them. The summary's fields
/// are all known (unknown ones are refused), so its serialization is
/// canonical: the same content in any key order or spacing gives the same
/// digest, and 64 characters are stored instead of the whole content again.
/// Those fields are set aside while it is written straight into the hash
/// (not a copy of the summary, nor its text), then put back.
pub fn content_digest(s: &mut DailySummary) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let kept = (
        std::mem::take(&mut s.generated_at),
        std::mem::take(&mut s.revision),
        s.chain_length.take(),
        s.chain_head.take(),
        s.rules_version.take(),
    );
    let mut hash = Sha256::new();
    // A summary of known fields always serializes; were it ever not to,
    // the digest is of nothing, as it was when it was made from a text.
    if serde_json::to_writer(&mut hash, &*s).is_err() {
        hash = Sha256::new();
    }
    (s.generated_at, s.revision, s.chain_length, s.chain_head, s.rules_version) = kept;
    hash.finalize().iter().fold(String::with_capacity(64), |mut hex, b| {
        let _ = write!(hex, "{b:02x}");
        hex
    })
}

/// The earliest date taken: older ones are typing errors, and each would
/// add years of "days without a summary".
const FIRST_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("a valid constant"),
};
/// No figure of one person's day exceeds the minutes of a day (counts of
/// events in a day are fewer still): larger ones are not a day's, and
/// would overflow the period's sums.
const MAX_FIGURE: u32 = 24 * 60;
/// Longest staff number, name or unit, in characters.
const MAX_TEXT: usize = 64;
/// Most punches of one person's day.
const MAX_PUNCHES: usize = 200;

/// A person's fields a report sums and groups by: plain text of sane
/// length (PostgreSQL refuses NUL, and control characters are never a
/// name), figures within a day, staff numbers unique within the day.
fn check_people(s: &DailySummary) -> Result<(), Refused> {
    let mut seen = std::collections::HashSet::new();
    for (i, p) in s.people.iter().enumerate() {
        for (name, text) in [("staff_no", &p.staff_no), ("name", &p.name), ("unit", &p.unit)] {
            if !plain_text(text, MAX_TEXT) || (name == "staff_no" && text.is_empty()) {
                return Err(Refused::bad(
                    format!("people[{i}].{name}"),
                    format!("{name} must be 1 to {MAX_TEXT} characters without control characters"),
                ));
            }
        }
        if !seen.insert(p.staff_no.as_str()) {
            return Err(Refused::bad(
                format!("people[{i}].staff_no"),
                format!("staff_no {:?} appears twice", p.staff_no),
            ));
        }
        if let Some((name, _)) = FIGURES.iter().zip(figures_of(&p.figures)).find(|(_, v)| *v > MAX_FIGURE) {
            return Err(Refused::bad(format!("people[{i}].{name}"), format!("at most {MAX_FIGURE} in one day")));
        }
        if p.punches.len() > MAX_PUNCHES || p.punches.iter().any(|t| !plain_text(t, 40)) {
            return Err(Refused::bad(
                format!("people[{i}].punches"),
                format!("at most {MAX_PUNCHES} punches, each a short plain text"),
            ));
        }
    }
    Ok(())
}

/// Text without control characters (NUL included) or noncharacters
/// (U+FFFE, U+FFFF and the like: not allowed in XML, so a name with one
/// would break the Word and Excel files), at most `max` characters.
pub fn plain_text(s: &str, max: usize) -> bool {
    let nonchar = |c: char| matches!(c as u32, 0xFDD0..=0xFDEF) || (c as u32 & 0xFFFE) == 0xFFFE;
    s.chars().count() <= max && !s.chars().any(|c| c.is_control() || nonchar(c))
}

/// `s` as it may go into the audit log: control characters replaced, cut to `max`.
pub fn printable(s: &str, max: usize) -> String {
    s.chars().take(max).map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect()
}

/// Within `people[N]`, the first figure that is not a whole number a u32 holds.
fn bad_figure(value: &serde_json::Value, path: &str) -> Option<&'static str> {
    let i: usize = path.strip_prefix("people[")?.strip_suffix(']')?.parse().ok()?;
    let person = value.get("people")?.get(i)?;
    FIGURES
        .into_iter()
        .find(|f| person.get(*f).and_then(serde_json::Value::as_u64).is_none_or(|n| n > u64::from(u32::MAX)))
}

/// What an upload's revision means against the latest stored revision of
/// that kiosk and date: (revision, content key).
pub fn decide(stored: Option<(i64, &str)>, revision: i64, key: &str) -> Put {
    match stored {
        None => Put::Stored,
        Some((r, _)) if revision > r => Put::Stored,
        Some((r, k)) if revision == r && k == key => Put::Same,
        Some((r, _)) => Put::Conflict(r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revisions_against_the_stored_one() {
        assert_eq!(decide(None, 1, "a"), Put::Stored);
        assert_eq!(decide(Some((1, "a")), 2, "b"), Put::Stored);
        assert_eq!(decide(Some((1, "a")), 1, "a"), Put::Same);
        assert_eq!(decide(Some((1, "a")), 1, "b"), Put::Conflict(1));
        assert_eq!(decide(Some((2, "b")), 1, "a"), Put::Conflict(2));
    }

    fn a_summary() -> DailySummary {
        let person = |no: &str| crate::domain::summary::PersonSummary {
            staff_no: no.into(),
            name: "张三".into(),
            unit: "办公室".into(),
            status: crate::domain::summary::DayStatus::Normal,
            figures: Default::default(),
            punches: vec!["08:29".into()],
        };
        DailySummary {
            schema: SCHEMA.into(),
            kiosk_id: "k1".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 26).unwrap(),
            revision: 3,
            workday: true,
            closed: true,
            generated_at: "2026-11-26T20:00:00+08:00".into(),
            calendar_known: true,
            clock_unsynced_punches: 0,
            unknown_card_punches: 0,
            totals: Default::default(),
            people: vec![person("0001"), person("0002")],
            chain_length: Some(12),
            chain_head: Some("ab".repeat(32)),
            rules_version: Some(2),
        }
    }

    /// The key is the SHA-256 of the summary's text without the fields
    /// that do not count, as stored keys were made (a resend compares with
    /// them), and the summary is left as it was.
    #[test]
    fn the_content_key_is_the_digest_of_the_text_without_what_does_not_count() {
        use sha2::{Digest, Sha256};
        let mut s = a_summary();
        let bare = DailySummary {
            generated_at: String::new(),
            revision: 0,
            chain_length: None,
            chain_head: None,
            rules_version: None,
            ..s.clone()
        };
        let text = serde_json::to_string(&bare).unwrap();
        let want: String = Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(content_digest(&mut s), want);
        assert_eq!(s, a_summary(), "the summary is put back");
        let mut later = DailySummary { revision: 4, generated_at: "2026-11-27T08:00:00+08:00".into(), ..a_summary() };
        assert_eq!(content_digest(&mut later), want, "a later revision of the same content");
        let mut other = a_summary();
        other.people[1].punches.push("17:31".into());
        assert_ne!(content_digest(&mut other), want);
    }

    /// A body that fails is read again to name the field; one that parses
    /// is taken whole.
    #[test]
    fn a_bad_body_is_refused_naming_the_field() {
        let now = chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap().and_hms_opt(0, 0, 0).unwrap();
        let now = now.and_utc().timestamp_millis();
        let units = ["办公室".to_string()];
        let good = serde_json::to_value(a_summary()).unwrap();
        let up = check(&serde_json::to_vec(&good).unwrap(), "k1", "2026-11-26", &units, now, None).unwrap();
        assert_eq!(up.summary, a_summary());
        let mut bad = good.clone();
        bad["people"][1]["late_minutes"] = "ten".into();
        let e = check(&serde_json::to_vec(&bad).unwrap(), "k1", "2026-11-26", &units, now, None).unwrap_err();
        assert_eq!((e.status, e.field.as_str()), (400, "people[1].late_minutes"), "{e:?}");
        // Anything after the summary is refused too.
        let mut trailing = serde_json::to_vec(&good).unwrap();
        trailing.extend_from_slice(b" {}");
        let e = check(&trailing, "k1", "2026-11-26", &units, now, None).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.error.contains("trailing characters"), "{e:?}");
        let e = check(b"{\"schema\": ", "k1", "2026-11-26", &units, now, None).unwrap_err();
        assert_eq!(e.status, 400);
        assert!(e.error.starts_with("not JSON"), "{e:?}");
    }
}
