//! SPEC.md's wire formats pinned: the daily summary JSON has exactly the
//! field names and order of SPEC's example (owned by the wire types in
//! `summary`, not by the rules engine), and SPEC's example reads back.

mod common;

use common::Kiosk;
use dutyclock::domain::summary::DailySummary;
use serde_json::Value;

/// SPEC.md "Daily summary (JSON)", verbatim.
const SPEC_EXAMPLE: &str = r#"{
  "schema": "dutyclock.daily-summary/1",
  "kiosk_id": "gxq-hall-1",
  "date": "2026-11-26",
  "revision": 1,
  "workday": true,
  "closed": true,
  "generated_at": "2026-11-27T04:00:02+08:00",
  "calendar_known": true,
  "clock_unsynced_punches": 0,
  "unknown_card_punches": 0,
  "totals": { "staff": 12, "expected": 11, "present": 9, "normal": 6, "exception": 3,
              "absent": 1, "leave": 1, "duty": 0, "pending": 0, "rest": 1,
              "late_count": 2, "early_count": 1, "absent_sessions": 2,
              "off_post_count": 1, "missing_punches": 0, "spot_check_absences": 0 },
  "people": [
    { "staff_no": "0012", "name": "张三", "unit": "区党政办公室",
      "status": "exception",
      "late_minutes": 11, "late_count": 1, "early_minutes": 0, "early_count": 0,
      "absent_sessions": 0, "absent_minutes": 0,
      "off_post_count": 0, "off_post_minutes": 0,
      "missing_punches": 0, "spot_check_absences": 0, "spot_checks_present": 0,
      "leave_minutes": 0, "duty_minutes": 0, "corrections": 0,
      "punches": ["08:41:07", "12:01:30", "14:25:02", "17:31:44"] }
  ]
}"#;

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

#[test]
fn the_summary_json_has_specs_field_names_in_specs_order() {
    let k = Kiosk::new("kiosk_id = \"k\"\nunits = [\"区党政办公室\"]\n");
    k.import(&["staff", "import"], &k.file("s.csv", "staff_no,name,unit,cards\n0012,张三,区党政办公室,0100ABCDEF\n"));
    let punches = "card,at\n0100ABCDEF,2026-11-26 08:41:07\n0100ABCDEF,2026-11-26 12:01:30\n";
    k.import(&["punches", "import"], &k.file("p.csv", punches));
    let ours = k.summary("2026-11-26");
    let spec: Value = serde_json::from_str(SPEC_EXAMPLE).unwrap();
    // SPEC's fields in SPEC's order, then only SPEC's optional ones.
    let ours_keys = keys(&ours);
    assert_eq!(ours_keys[..keys(&spec).len()], keys(&spec)[..]);
    assert_eq!(ours_keys[keys(&spec).len()..], ["chain_length", "chain_head", "rules_version"]);
    assert_eq!(keys(&ours["totals"]), keys(&spec["totals"]));
    assert_eq!(keys(&ours["people"][0]), keys(&spec["people"][0]));
    assert_eq!(ours["people"][0]["status"], "exception", "statuses are SPEC's words");
    // SPEC's example reads back into the wire type and writes out the same.
    let parsed: DailySummary = serde_json::from_str(SPEC_EXAMPLE).unwrap();
    assert_eq!(serde_json::to_value(&parsed).unwrap(), spec);
}

/// SPEC's optional fields (`chain_length`, `chain_head`) are not content:
/// a stored revision that carries them is the same day, not a change.
#[test]
fn optional_fields_in_a_stored_summary_do_not_make_a_new_revision() {
    let k = Kiosk::new("kiosk_id = \"k\"\nunits = [\"区党政办公室\"]\n");
    k.import(&["staff", "import"], &k.file("s.csv", "staff_no,name,unit\n0012,张三,区党政办公室\n"));
    assert_eq!(k.summary("2026-11-26")["revision"], 1);
    let c = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    c.execute_batch(
        "UPDATE daily_summaries SET content = json_set(content, '$.chain_length', 42, '$.chain_head', 'ab12')",
    )
    .unwrap();
    assert_eq!(k.summary("2026-11-26")["revision"], 1, "unchanged content keeps its revision");
}
