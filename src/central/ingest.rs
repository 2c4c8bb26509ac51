//! An upload's decisions, pure: what a body must be (SPEC "Daily summary",
//! "Sync": 400 naming the field, 403 for a unit not assigned) and what its
//! revision means against the stored one (201 / 200 / 409).

use chrono::NaiveDate;

use super::storage::{Put, Upload};
use crate::domain::summary::{self, DailySummary, SCHEMA};
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
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| Refused::bad("", format!("not JSON: {e}")))?;
    let s: DailySummary = serde_path_to_error::deserialize(&value).map_err(|e| {
        let mut field = e.path().to_string();
        if field == "." {
            field.clear();
        }
        // A person's figures are flattened into the person: name the figure.
        if let Some(bad) = bad_figure(&value, &field) {
            field = format!("{field}.{bad}");
        }
        Refused::bad(field, e.inner().to_string())
    })?;
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
    if let (Some(_), None) | (None, Some(_)) = (&s.chain_length, &s.chain_head) {
        return Err(Refused::bad("chain_head", "chain_length and chain_head come together"));
    }
    if let Some(h) = &s.chain_head {
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Refused::bad("chain_head", "chain_head must be 64 hex digits"));
        }
    }
    Ok(Upload {
        json: value.to_string(),
        content_key: summary::content_key(&value),
        summary: s,
        received_at,
        clock_offset_ms,
    })
}

/// Within `people[N]`, the first figure that is not a whole number a u32 holds.
fn bad_figure(value: &serde_json::Value, path: &str) -> Option<&'static str> {
    let i: usize = path.strip_prefix("people[")?.strip_suffix(']')?.parse().ok()?;
    let person = value.get("people")?.get(i)?;
    const FIGURES: [&str; 14] = [
        "late_minutes",
        "late_count",
        "early_minutes",
        "early_count",
        "absent_sessions",
        "absent_minutes",
        "off_post_count",
        "off_post_minutes",
        "missing_punches",
        "spot_check_absences",
        "spot_checks_present",
        "leave_minutes",
        "duty_minutes",
        "corrections",
    ];
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
}
