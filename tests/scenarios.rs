//! The worked scenarios of `tests/scenarios/*` (copied from the product
//! documents), run through the built binary: imports in the documented
//! order, corrections, then `summary --format json` against `expected.json`.

mod common;

use std::path::Path;

use common::Kiosk;
use serde_json::Value;

fn run_scenario(dir: &Path) {
    let config = std::fs::read_to_string(dir.join("config.toml")).unwrap();
    let k = Kiosk::new(&config);
    k.import(&["staff", "import"], &dir.join("staff.csv"));
    let mut calendars: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with("calendar-"))
        .collect();
    calendars.sort();
    for c in calendars {
        k.import(&["calendar", "import"], &c);
    }
    k.import(&["roster", "import"], &dir.join("roster.csv"));
    k.import(&["leave", "import"], &dir.join("leave.csv"));
    k.import(&["punches", "import"], &dir.join("punches.csv"));
    k.import(&["spotcheck", "import"], &dir.join("spotchecks.csv"));
    let added: Vec<Value> = serde_json::from_str(&std::fs::read_to_string(dir.join("added.json")).unwrap()).unwrap();
    for a in added {
        k.ok(&[
            "correction",
            "add",
            "--staff",
            a["staff_no"].as_str().unwrap(),
            "--at",
            a["at"].as_str().unwrap(),
            "--reason",
            "scenario",
            "--by",
            "0000",
        ]);
    }
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let mut failures = Vec::new();
    for (date, want) in expected.as_object().unwrap() {
        let got = k.summary(date);
        assert_eq!(got["schema"], "dutyclock.daily-summary/1");
        assert_eq!(got["closed"], true, "{date} is in the past");
        if let Some(u) = want.get("unknown_card_punches") {
            if got["unknown_card_punches"] != *u {
                failures.push(format!("{date} unknown_card_punches: want {u}, got {}", got["unknown_card_punches"]));
            }
        }
        let people = got["people"].as_array().unwrap();
        for (no, figures) in want["people"].as_object().unwrap() {
            let person = people
                .iter()
                .find(|p| p["staff_no"] == no.as_str())
                .unwrap_or_else(|| panic!("{date}: {no} missing from the summary"));
            for (key, value) in figures.as_object().unwrap() {
                if person[key] != *value {
                    failures.push(format!("{date} {no} {key}: want {value}, got {}", person[key]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}:\n{}", dir.display(), failures.join("\n"));
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

#[test]
fn every_scenario_matches_its_expected_summaries() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut n = 0;
    for e in std::fs::read_dir(&root).unwrap() {
        let dir = e.unwrap().path();
        if dir.join("expected.json").is_file() {
            run_scenario(&dir);
            n += 1;
        }
    }
    assert!(n >= 3, "scenarios found: {n}");
}
