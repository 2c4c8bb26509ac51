//! The admin command line through the built binary: exit codes, bad input
//! refused with `FILE:LINE: reason` and nothing stored, re-imports,
//! corrections and voids, revisions, reports (CSV ranking, XLSX read back)
//! and `verify` catching a changed record.

mod common;

use common::Kiosk;

const CONFIG: &str = r#"
kiosk_id = "cli-test"
units = ["区财政局", "办公室"]
language = "zh-CN"

[reader]
kind = "simulated"

[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]

[schedules.night]
day_starts_at = "12:00"
sessions = [{ start = "20:00", end = "08:00" }]
"#;

const STAFF: &str = "staff_no,name,unit,cards,role,pin\n\
0001,张三,区财政局,0100000001,,\n\
0002,李四,区财政局,0100000002;#0011259375,head,2468\n\
0003,王五,办公室,0100000003,,\n";

fn kiosk() -> Kiosk {
    let k = Kiosk::new(CONFIG);
    let f = k.file("staff.csv", STAFF);
    k.import(&["staff", "import"], &f);
    k
}

fn punch_count(k: &Kiosk, date: &str) -> usize {
    k.ok(&["punches", "list", "--date", date]).lines().count().saturating_sub(2)
}

#[test]
fn commands_refuse_a_data_dir_that_was_never_initialised() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("nothing");
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dutyclock"))
        .args(["summary", "--date", "2026-11-19", "--data-dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("run dutyclock init first"));
    assert!(!dir.exists(), "nothing created");
    // DUTYCLOCK_DATA_DIR works too, and so does an option after the subcommand.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_dutyclock"))
        .args(["verify"])
        .env("DUTYCLOCK_DATA_DIR", &dir)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn init_refuses_to_overwrite() {
    let k = kiosk();
    let err = k.refused(&["init"]);
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn a_bad_config_key_is_refused_naming_key_and_line() {
    let k = Kiosk::new(&CONFIG.replace("language = \"zh-CN\"", "language = \"zh-CN\"\nlanguge = \"en\""));
    let err = k.refused(&["verify"]);
    assert!(err.contains("config.toml:5") && err.contains("languge"), "{err}");
    let k = Kiosk::new(&CONFIG.replace("[reader]\nkind = \"simulated\"", "[reader]\nkind = \"rfid\""));
    let err = k.refused(&["verify"]);
    assert!(err.contains("reader.kind") && err.contains(":7"), "{err}");
    let k = Kiosk::new(&CONFIG.replace("kiosk_id = \"cli-test\"\n", ""));
    let err = k.refused(&["verify"]);
    assert!(err.contains("kiosk_id"), "{err}");
}

/// Each bad file is refused with its line and stores nothing.
#[test]
fn bad_rows_are_refused_with_file_and_line_and_nothing_is_stored() {
    let k = kiosk();
    let before = k.ok(&["summary", "--date", "2026-11-19", "--format", "json"]);
    let cases: &[(&str, &[&str], &str, &str)] = &[
        ("s1.csv", &["staff", "import"], "staff_no,name,unit,colour\n0009,A,办公室,red\n", ":1: unknown column \"colour\""),
        ("s2.csv", &["staff", "import"], "staff_no,name,unit\n0009,A,办公室\n0010,B,财务科\n", ":3: unit \"财务科\""),
        ("s3.csv", &["staff", "import"], "staff_no,name,unit,cards\n0009,A,办公室,0100000009\n0010,B,办公室,0100000009\n", ":3: card 0100000009 is also on line 2"),
        ("s4.csv", &["staff", "import"], "staff_no,name,unit,schedule\n0009,A,办公室,summer\n", ":2: unknown schedule \"summer\""),
        ("s5.csv", &["staff", "import"], "staff_no,name,unit,role,pin\n0009,A,办公室,staff,1234\n", ":2: a PIN is only for"),
        ("s6.csv", &["staff", "import"], "staff_no,name,unit,role,pin\n0009,A,办公室,head,12a4\n", ":2: pin must be 4 to 8 digits"),
        ("s7.csv", &["staff", "import"], "staff_no,name,unit,cards\n0009,A,办公室,XYZ\n", ":2: bad card id"),
        ("s8.csv", &["staff", "import"], "staff_no,name,unit,active_from,active_until\n0009,A,办公室,2026-11-20,2026-11-01\n", ":2: active_until"),
        ("l1.csv", &["leave", "import"], "staff_no,kind,from,to\n0001,事假,2026-11-19 10:00,2026-11-19 09:00\n", ":2: leave ends"),
        ("l2.csv", &["leave", "import"], "staff_no,kind,from,to\n0001,事假,2026-11-19 08:00,2026-11-19 09:00\n9999,事假,2026-11-19 08:00,2026-11-19 09:00\n", ":3: unknown staff number \"9999\""),
        ("l3.csv", &["leave", "import"], "staff_no,kind,from,to\n0001,事假,2026-11-19 8点,2026-11-19 09:00\n", ":2: from: bad local time"),
        ("p1.csv", &["punches", "import"], "card,at\n0100000001,2026-11-19T08:29:00+08:00\n0100000001,yesterday\n", ":3: at: bad time"),
        ("p2.csv", &["punches", "import"], "staff_no,at\n0001,2026-11-19 08:29\n0042,2026-11-19 08:30\n", ":3: unknown staff number"),
        ("p3.csv", &["punches", "import"], "card,staff_no,at\n0100000001,0001,2026-11-19 08:29\n", ":1: give exactly one"),
        ("p4.csv", &["punches", "import"], "card,at\n0100000001,2026-11-19 08:29,extra\n", ":2: 3 cells"),
        ("c1.csv", &["spotcheck", "import"], "staff_no,at,result\n0001,2026-11-19 10:40,missing\n", ":2: bad result"),
        ("r1.csv", &["roster", "import"], "staff_no,date,start,end\n0001,2026-11-21,25:00,17:00\n", ":2: start: bad time"),
        ("r2.csv", &["roster", "import"], "staff_no,date,start,end\n0001,2026-11-21,20:00,05:00\n", ":2: 20:00–05:00 crosses the day start"),
    ];
    for (name, cmd, text, want) in cases {
        let f = k.file(name, text);
        let mut args: Vec<&str> = cmd.to_vec();
        args.push(f.to_str().unwrap());
        let err = k.refused(&args);
        let path = f.display().to_string();
        assert!(err.contains(&format!("{path}{want}")), "{name}: want {path}{want}, got {err}");
    }
    // UTF-8 on line 2 and GBK on line 3: a UTF-8 file with a bad line.
    let f = k.tmp.path().join("gbk.csv");
    std::fs::write(&f, b"staff_no,name,unit\n0009,A,\xe5\x8a\x9e\xe5\x85\xac\xe5\xae\xa4\n0010,\xd5\xc5\xc8\xfd,x\n")
        .unwrap();
    let err = k.refused(&["staff", "import", f.to_str().unwrap()]);
    assert!(err.contains("gbk.csv:3: not valid UTF-8 here"), "{err}");
    // A bad calendar.
    let f = k.file(
        "cal.json",
        "{\"year\": 2026, \"days\": [{\"name\": \"x\", \"date\": \"2027-01-01\", \"isOffDay\": true}]}",
    );
    let err = k.refused(&["calendar", "import", f.to_str().unwrap()]);
    assert!(err.contains("2027-01-01 is not in year 2026"), "{err}");
    let f = k.file("cal2.json", "{\"year\": 2026,\n \"days\": [oops]}");
    let err = k.refused(&["calendar", "import", f.to_str().unwrap()]);
    assert!(err.contains("cal2.json:2: not a holiday-cn calendar"), "{err}");
    // Nothing was stored by any of them.
    assert_eq!(punch_count(&k, "2026-11-19"), 0);
    let after = k.ok(&["summary", "--date", "2026-11-19", "--format", "json"]);
    let strip = |s: &str| s.lines().filter(|l| !l.contains("generated_at")).collect::<Vec<_>>().join("\n");
    assert_eq!(strip(&before), strip(&after));
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

#[test]
fn bom_and_reimports() {
    let k = kiosk();
    let f = k.file("p.csv", "\u{feff}card,at\n0100000001,2026-11-19T08:29:00+08:00\n0100000001,2026-11-19 12:01\n#0011259375,2026-11-19 08:31\n");
    let out = k.import(&["punches", "import"], &f);
    assert!(out.contains("3 punches added, 0 already stored"), "{out}");
    let out = k.import(&["punches", "import"], &f);
    assert!(out.contains("0 punches added, 3 already stored"), "{out}");
    assert_eq!(punch_count(&k, "2026-11-19"), 3);
    // Staff again: nothing new (the PIN matches its stored hash).
    let f = k.file("staff.csv", STAFF);
    let out = k.import(&["staff", "import"], &f);
    assert!(out.contains("0 staff added, 3 already stored") && out.contains("0 card assignments added"), "{out}");
    // The printed number on 0002's card matched.
    let s = k.summary("2026-11-19");
    assert_eq!(s["people"][1]["punches"][0], "08:31:00");
}

#[test]
fn attlog_with_padded_pins_and_crlf() {
    let k = kiosk();
    let f = k.file(
        "ATTLOG.dat",
        "        1\t2026-11-19 08:29:00\t0\t1\t0\t0\r\n      002\t2026-11-19 08:40:00\t0\t1\t0\t0\r\n        1\t2026-11-19 17:31:00\t1\t1\t0\t0\r\n",
    );
    let out = k.import(&["punches", "import"], &f);
    assert!(out.contains("3 punches added"), "{out}");
    let s = k.summary("2026-11-19");
    assert_eq!(s["people"][0]["punches"], serde_json::json!(["08:29:00", "17:31:00"]));
    assert_eq!(s["people"][1]["late_minutes"], 10);
    let f = k.file("bad.dat", "        1\t2026-11-19 08:29:00\t0\r\n       77\t2026-11-19 08:29:00\t0\r\n");
    let err = k.refused(&["punches", "import", "--format", "attlog", f.to_str().unwrap()]);
    assert!(err.contains("bad.dat:2: unknown staff number \"77\""), "{err}");
}

#[test]
fn corrections_voids_and_revisions() {
    let k = kiosk();
    let f = k.file(
        "p.csv",
        "card,at\n0100000001,2026-11-19 08:20\n0100000001,2026-11-19 14:29\n0100000001,2026-11-19 17:40\n",
    );
    k.import(&["punches", "import"], &f);
    let s = k.summary("2026-11-19");
    assert_eq!((s["revision"].as_i64(), s["people"][0]["missing_punches"].as_i64()), (Some(1), Some(1)));
    // Unchanged recomputation keeps its revision.
    assert_eq!(k.summary("2026-11-19")["revision"], 1);
    // 补卡 12:01: revision 2, normal.
    let out = k.ok(&[
        "correction",
        "add",
        "--staff",
        "0001",
        "--at",
        "2026-11-19 12:01",
        "--reason",
        "忘打卡",
        "--by",
        "0002",
    ]);
    assert!(out.contains("added punch"), "{out}");
    let s = k.summary("2026-11-19");
    assert_eq!(s["revision"], 2);
    assert_eq!(s["people"][0]["status"], "normal");
    assert_eq!(s["people"][0]["corrections"], 1);
    // Void the 08:20 punch: missing in-punch again, revision 3.
    let list = k.ok(&["punches", "list", "--date", "2026-11-19", "--staff", "0001"]);
    let id = list.lines().find(|l| l.contains("08:20")).unwrap().split_whitespace().next().unwrap().to_string();
    k.ok(&["correction", "void", "--punch", &id, "--reason", "刷错卡", "--by", "0002"]);
    let err = k.refused(&["correction", "void", "--punch", &id, "--reason", "again", "--by", "0002"]);
    assert!(err.contains("already voided"), "{err}");
    let err = k.refused(&["correction", "void", "--punch", "9999", "--reason", "x", "--by", "0002"]);
    assert!(err.contains("no punch with id 9999"), "{err}");
    let list = k.ok(&["punches", "list", "--date", "2026-11-19", "--staff", "0001"]);
    assert!(list.lines().any(|l| l.contains("08:20") && l.contains("voided")), "{list}");
    assert!(list.lines().any(|l| l.contains("12:01") && l.contains("added")), "{list}");
    let s = k.summary("2026-11-19");
    assert_eq!((s["revision"].as_i64(), s["people"][0]["missing_punches"].as_i64()), (Some(3), Some(1)));
    // Bad --at is refused.
    let err = k.refused(&["correction", "add", "--staff", "0001", "--at", "noon", "--reason", "x", "--by", "y"]);
    assert!(err.contains("--at: bad time"), "{err}");
    let err =
        k.refused(&["correction", "add", "--staff", "0404", "--at", "2026-11-19 12:00", "--reason", "x", "--by", "y"]);
    assert!(err.contains("unknown staff number"), "{err}");
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

#[test]
fn leave_and_spot_check_voids() {
    let k = kiosk();
    let f = k.file("l.csv", "staff_no,kind,from,to,approved_by\n0001,事假,2026-11-19 08:30,2026-11-19 17:30,0002\n");
    let out = k.import(&["leave", "import"], &f);
    let id = out.split("(ids ").nth(1).unwrap().trim_end_matches([')', '\n']).to_string();
    assert_eq!(k.summary("2026-11-19")["people"][0]["status"], "leave");
    k.ok(&["leave", "void", "--id", &id, "--reason", "销假", "--by", "0002"]);
    assert_eq!(k.summary("2026-11-19")["people"][0]["status"], "absent");
    let f = k.file("c.csv", "staff_no,at,result,inspector,note\n0003,2026-11-19 10:40,absent,督查室,不在岗\n");
    let f2 = k.file(
        "p.csv",
        "staff_no,at\n0003,2026-11-19 08:25\n0003,2026-11-19 12:01\n0003,2026-11-19 14:25\n0003,2026-11-19 17:31\n",
    );
    k.import(&["punches", "import"], &f2);
    let out = k.import(&["spotcheck", "import"], &f);
    let id = out.split("(ids ").nth(1).unwrap().trim_end_matches([')', '\n']).to_string();
    assert_eq!(k.summary("2026-11-19")["people"][2]["spot_check_absences"], 1);
    k.ok(&["spotcheck", "void", "--id", &id, "--reason", "查错人", "--by", "督查室"]);
    assert_eq!(k.summary("2026-11-19")["people"][2]["status"], "normal");
}

#[test]
fn summary_formats_and_calendar_warning() {
    let k = kiosk();
    let o = k.run(&["summary", "--date", "2026-11-19"]);
    let (out, err) = (String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert!(err.contains("no holiday calendar imported for 2026"), "{err}");
    assert!(out.contains("未导入该年度节假日日历") && out.contains("张三") && out.contains("旷工"), "{out}");
    let cal = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/holiday-cn/2026.json");
    k.import(&["calendar", "import"], &cal);
    let o = k.run(&["summary", "--date", "2026-10-01", "--format", "csv"]);
    assert!(o.stderr.is_empty(), "{}", String::from_utf8_lossy(&o.stderr));
    let csv = String::from_utf8(o.stdout).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("staff_no,name,unit,status,late_minutes,late_count,"));
    assert_eq!(lines.next().unwrap(), "0001,张三,区财政局,rest,0,0,0,0,0,0,0,0,0,0,0,0,0,0,");
    let s = k.summary("2026-10-01");
    assert_eq!((s["workday"].as_bool(), s["calendar_known"].as_bool()), (Some(false), Some(true)));
    let err = k.refused(&["summary", "--date", "19/11/2026"]);
    assert!(err.contains("--date: bad date"), "{err}");
}

const REPORT_PUNCHES: &str = "card,at\n\
0100000001,2026-11-19 08:41\n0100000001,2026-11-19 12:01\n0100000001,2026-11-19 14:25\n0100000001,2026-11-19 17:31\n\
0100000001,2026-11-20 08:45\n0100000001,2026-11-20 12:01\n0100000001,2026-11-20 14:25\n0100000001,2026-11-20 17:31\n\
0100000002,2026-11-19 08:29\n0100000002,2026-11-19 12:01\n0100000002,2026-11-19 14:25\n0100000002,2026-11-19 17:31\n\
0100000002,2026-11-20 08:29\n0100000002,2026-11-20 12:01\n0100000002,2026-11-20 14:25\n0100000002,2026-11-20 17:31\n\
0100000003,2026-11-20 08:29\n0100000003,2026-11-20 17:31\n";

#[test]
fn report_csv_ranks_and_xlsx_reads_back() {
    let k = kiosk();
    let f = k.file("p.csv", REPORT_PUNCHES);
    k.import(&["punches", "import"], &f);
    let csv = k.ok(&["report", "--from", "2026-11-19", "--to", "2026-11-20", "--format", "csv"]);
    let rows: Vec<&str> = csv.lines().collect();
    assert!(rows[0].starts_with("工号,姓名,单位,应出勤天数,出勤天数,迟到次数,迟到分钟"), "{}", rows[0]);
    // 0003: absent both sessions on the 19th (2), then first; 0001 late twice; 0002 clean.
    assert!(rows[1].starts_with("0003,王五,办公室,2,1,0,0,0,0,2,390,"), "{}", rows[1]);
    assert!(rows[2].starts_with("0001,张三,区财政局,2,2,2,26,"), "{}", rows[2]);
    assert!(rows[3].starts_with("0002,李四,区财政局,2,2,0,0,"), "{}", rows[3]);
    let one = k.ok(&["report", "--from", "2026-11-19", "--to", "2026-11-20", "--unit", "办公室", "--format", "csv"]);
    assert_eq!(one.lines().count(), 2);
    let err = k.refused(&["report", "--from", "2026-11-20", "--to", "2026-11-19"]);
    assert!(err.contains("before"), "{err}");
    let err = k.refused(&["report", "--from", "2026-11-19", "--to", "2026-11-20", "--unit", "外单位"]);
    assert!(err.contains("not one of this kiosk's units"), "{err}");

    let xlsx = k.tmp.path().join("report.xlsx");
    k.ok(&[
        "report",
        "--from",
        "2026-11-19",
        "--to",
        "2026-11-20",
        "--format",
        "xlsx",
        "--output",
        xlsx.to_str().unwrap(),
    ]);
    use calamine::{open_workbook, Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = open_workbook(&xlsx).unwrap();
    assert_eq!(wb.sheet_names(), vec!["个人".to_string(), "单位".to_string()]);
    let people = wb.worksheet_range("个人").unwrap();
    assert_eq!(people.get((0, 0)), Some(&Data::String("工号".into())));
    assert_eq!(people.get((1, 0)), Some(&Data::String("0003".into())));
    assert_eq!(people.get((2, 1)), Some(&Data::String("张三".into())));
    assert_eq!(people.get((2, 5)), Some(&Data::Float(2.0)), "late_count");
    assert_eq!(people.get((2, 6)), Some(&Data::Float(26.0)), "late_minutes 11 + 15");
    let units = wb.worksheet_range("单位").unwrap();
    assert_eq!(units.get((0, 0)), Some(&Data::String("单位".into())));
    assert_eq!(units.get((1, 0)), Some(&Data::String("办公室".into())));
    assert_eq!(units.get((2, 0)), Some(&Data::String("区财政局".into())));
    assert_eq!(units.get((2, 1)), Some(&Data::Float(4.0)), "days_expected summed");
    assert_eq!(units.get((2, 3)), Some(&Data::Float(2.0)), "late_count summed");

    // English headers when configured.
    let en = std::fs::read_to_string(k.dir().join("config.toml")).unwrap().replace("zh-CN", "en");
    std::fs::write(k.dir().join("config.toml"), en).unwrap();
    let csv = k.ok(&["report", "--from", "2026-11-19", "--to", "2026-11-20", "--format", "csv"]);
    assert!(csv.starts_with("staff_no,name,unit,days_expected,days_present,late_count,late_minutes,early_count,"));
    let table = k.ok(&["report", "--from", "2026-11-19", "--to", "2026-11-20"]);
    assert!(table.contains("People") && table.contains("Units"), "{table}");
}

#[test]
fn verify_catches_a_changed_or_deleted_record() {
    let k = kiosk();
    let f = k.file("p.csv", REPORT_PUNCHES);
    k.import(&["punches", "import"], &f);
    assert!(k.ok(&["verify"]).starts_with("ok"));
    let db = k.dir().join("dutyclock.sqlite3");
    {
        let c = rusqlite_conn(&db);
        c.execute("UPDATE punches SET at_ms = at_ms - 600000 WHERE id = 1", []).unwrap();
    }
    let o = k.run(&["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("punches row 1 (entry"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    {
        let c = rusqlite_conn(&db);
        c.execute("UPDATE punches SET at_ms = at_ms + 600000 WHERE id = 1", []).unwrap();
    }
    assert!(k.ok(&["verify"]).starts_with("ok"), "restored");
    {
        let c = rusqlite_conn(&db);
        c.execute("INSERT INTO punches (card, at_ms, source, recorded_at) VALUES ('0100000001', 1, 'import', 0)", [])
            .unwrap();
    }
    let o = k.run(&["verify"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("added outside the chain"));
}

fn rusqlite_conn(db: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(db).unwrap()
}

/// A correction voided before is not added again in silence: the command
/// says so and stores nothing.
#[test]
fn a_voided_correction_is_not_silently_added_again() {
    let k = Kiosk::new("kiosk_id = \"k\"\nunits = [\"u\"]\n");
    k.import(&["staff", "import"], &k.file("s.csv", "staff_no,name,unit\n0001,张三,u\n"));
    let add =
        ["correction", "add", "--staff", "0001", "--at", "2026-11-19 08:30", "--reason", "忘打卡", "--by", "科长"];
    let out = k.ok(&add);
    let id = out.split_whitespace().nth(2).unwrap().to_string();
    k.ok(&["correction", "void", "--punch", &id, "--reason", "刷错卡", "--by", "科长"]);
    let err = k.refused(&add);
    assert!(err.contains("voided before"), "{err}");
    assert!(k.ok(&["verify"]).starts_with("ok"));
}

#[test]
fn the_touch_rule_follows_the_display_rotation() {
    let k = Kiosk::new("kiosk_id = \"k\"\nunits = [\"u\"]\n[display]\nrotation = 270\n");
    let rule = k.ok(&["display", "touch-rule"]);
    assert!(rule.contains("ENV{LIBINPUT_CALIBRATION_MATRIX}=\"0 -1 1 1 0 0\""), "{rule}");
    // Written where the unit asks (a folder a fresh boot lacks), the same text.
    let out = k.tmp.path().join("run/udev/rules.d/99-dutyclock-touch.rules");
    k.ok(&["display", "touch-rule", "--output", out.to_str().unwrap()]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), rule);
    // Unrotated: nothing set. A bad rotation: refused, naming the key.
    std::fs::write(k.dir().join("config.toml"), "kiosk_id = \"k\"\nunits = [\"u\"]\n").unwrap();
    assert!(!k.ok(&["display", "touch-rule"]).contains("MATRIX}="));
    std::fs::write(k.dir().join("config.toml"), "kiosk_id = \"k\"\nunits = [\"u\"]\n[display]\nrotation = 45\n")
        .unwrap();
    assert!(k.refused(&["display", "touch-rule"]).contains("display.rotation"));
}

#[test]
fn staff_photos_are_checked_and_stored_beside_the_records() {
    let k = kiosk();
    std::fs::create_dir(k.tmp.path().join("photos")).unwrap();
    common::portrait_png(&k.tmp.path().join("photos/0001.png"));
    std::fs::write(k.tmp.path().join("photos/notes.txt"), "not a picture").unwrap();
    // A camera's file: too many pixels to decode at the door, or too big.
    let wide = std::fs::File::create(k.tmp.path().join("photos/wide.png")).unwrap();
    let mut e = png::Encoder::new(std::io::BufWriter::new(wide), 3000, 2);
    e.set_color(png::ColorType::Grayscale);
    e.write_header().unwrap().write_image_data(&[128u8; 6000]).unwrap();
    let mut big = vec![0xFF, 0xD8, 0xFF, 0xE0];
    big.resize(3 * 1024 * 1024, 0);
    std::fs::write(k.tmp.path().join("photos/big.jpg"), big).unwrap();
    // A missing file, a file that is not a picture, a picture too large:
    // refused, with the line, and nothing stored.
    for (cell, want) in [
        ("photos/none.png", "No such file"),
        ("photos/notes.txt", "not a JPEG or PNG image"),
        ("photos/wide.png", "3000×2 pixels, at most 1024 a side"),
        ("photos/big.jpg", "3.0 MB, at most 2 MB"),
    ] {
        let f = k.file(
            "p.csv",
            &format!("staff_no,name,unit,photo\n0001,张三,区财政局,photos/0001.png\n0003,王五,办公室,{cell}\n"),
        );
        let err = k.refused(&["staff", "import", f.to_str().unwrap()]);
        assert!(err.contains("p.csv:3: photo ") && err.contains(want), "{err}");
    }
    let db = rusqlite_conn(&k.dir().join("dutyclock.sqlite3"));
    let count = |db: &rusqlite::Connection| -> i64 {
        db.query_row("SELECT count(*) FROM staff_photos", [], |r| r.get(0)).unwrap()
    };
    assert_eq!(count(&db), 0);
    // A path relative to the staff file is read; a copy is kept beside the
    // database (the USB stick may go); an empty cell keeps what is stored.
    let f = k.file("p.csv", "staff_no,name,unit,photo\n0001,张三,区财政局,photos/0001.png\n0003,王五,办公室,\n");
    assert!(k.import(&["staff", "import"], &f).contains("1 photos set"));
    let f = k.file("p2.csv", "staff_no,name,unit,photo\n0001,张三,区财政局,\n");
    k.import(&["staff", "import"], &f);
    let path: String = db.query_row("SELECT path FROM staff_photos WHERE staff_no = '0001'", [], |r| r.get(0)).unwrap();
    let kept = std::path::Path::new(&path);
    assert_eq!(kept.parent().unwrap(), k.dir().join("photos"), "{path}");
    let source = k.tmp.path().join("photos/0001.png");
    assert_eq!(std::fs::read(kept).unwrap(), std::fs::read(&source).unwrap());
    std::fs::remove_file(&source).unwrap();
    assert!(kept.exists(), "the copy stays when the source goes");
    assert_eq!(count(&db), 1);
    assert!(k.ok(&["verify"]).starts_with("ok"), "photos are not records: the chain holds");
}

#[test]
fn csv_exports_never_start_a_cell_with_a_formula() {
    let k = Kiosk::new(CONFIG);
    let f =
        k.file("staff.csv", "staff_no,name,unit,cards\n0001,=1+2,办公室,0100000001\n0002,@SUM(A1),办公室,0100000002\n");
    k.import(&["staff", "import"], &f);
    let f = k.file("p.csv", "card,at\n0100000001,2026-11-19 08:41\n0100000002,2026-11-19 08:29\n");
    k.import(&["punches", "import"], &f);
    let cells = |csv: &str| -> Vec<String> {
        csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(csv.trim_start_matches('\u{feff}').as_bytes())
            .records()
            .flat_map(|r| r.unwrap().iter().map(str::to_string).collect::<Vec<_>>())
            .collect()
    };
    for args in [
        &["summary", "--date", "2026-11-19", "--format", "csv"][..],
        &["report", "--from", "2026-11-19", "--to", "2026-11-19", "--format", "csv"][..],
    ] {
        let cells = cells(&k.ok(args));
        assert!(
            cells.contains(&"'=1+2".to_string()) && cells.contains(&"'@SUM(A1)".to_string()),
            "{args:?}: {cells:?}"
        );
        assert!(!cells.iter().any(|c| c.starts_with(['=', '+', '-', '@', '\t', '\r'])), "{args:?}: {cells:?}");
    }
}
