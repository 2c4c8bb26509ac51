//! Imports from the files offices have, through the built binary: Excel
//! workbooks written the way Excel users make them (date cells, staff
//! numbers typed as numbers, a merged title row, an empty trailing row, a
//! hidden column), a GB18030 CSV, a file in neither encoding, every kind's
//! bad cell named `FILE:SHEET!ROW` with nothing stored, the templates, and
//! a long ATTLOG file's progress. Stored rows are checked through the CLI.

mod common;

use common::Kiosk;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

const CONFIG: &str = r#"
kiosk_id = "import-test"
units = ["区党政办公室", "区财政局"]
language = "zh-CN"

[reader]
kind = "simulated"

[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

/// (added, already stored) from an import's first line
/// ("FILE: N staff added, M already stored").
fn counts(out: &str) -> (usize, usize) {
    let line = out.lines().find(|l| l.contains(" added, ")).unwrap_or_else(|| panic!("no counts in {out}"));
    let tail = line.rsplit(": ").find(|p| p.contains(" added, ")).unwrap();
    let n = |s: &str| s.split_whitespace().next().unwrap().parse().unwrap();
    let (a, b) = tail.split_once(" added, ").unwrap();
    (n(a), n(b))
}

/// A workbook whose first sheet `fill` writes, saved to `name`.
fn workbook(k: &Kiosk, name: &str, fill: impl FnOnce(&mut Worksheet)) -> std::path::PathBuf {
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("名单").unwrap();
    fill(ws);
    let path = k.tmp.path().join(name);
    wb.save(&path).unwrap();
    path
}

fn date_cell(ws: &mut Worksheet, row: u32, col: u16, y: u16, m: u8, d: u8) {
    let f = Format::new().set_num_format("yyyy-mm-dd");
    ws.write_datetime_with_format(row, col, ExcelDateTime::from_ymd(y, m, d).unwrap(), &f).unwrap();
}

fn time_cell(ws: &mut Worksheet, row: u32, col: u16, h: u16, min: u8) {
    let f = Format::new().set_num_format("hh:mm");
    ws.write_datetime_with_format(row, col, ExcelDateTime::from_hms(h, min, 0).unwrap(), &f).unwrap();
}

fn datetime_cell(ws: &mut Worksheet, row: u32, col: u16, (y, m, d): (u16, u8, u8), (h, min): (u16, u8)) {
    let f = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let t = ExcelDateTime::from_ymd(y, m, d).unwrap().and_hms(h, min, 0).unwrap();
    ws.write_datetime_with_format(row, col, t, &f).unwrap();
}

/// The staff workbook as an office keeps it: a merged title row, then the
/// header; 0012 typed as a number (Excel shows 12), 0013 as text; dates as
/// date cells; the `cards` column hidden; empty trailing rows.
fn staff_workbook(k: &Kiosk) -> std::path::PathBuf {
    workbook(k, "staff.xlsx", |ws| {
        let title = Format::new().set_bold();
        ws.merge_range(0, 0, 0, 5, "区党政办公室 2026年在编人员名单", &title).unwrap();
        for (c, h) in ["staff_no", "name", "unit", "cards", "active_from", "schedule"].iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
        ws.write_number(2, 0, 12).unwrap();
        ws.write_string(2, 1, "张三").unwrap();
        ws.write_string(2, 2, "区党政办公室").unwrap();
        ws.write_string(2, 3, "0100000012").unwrap();
        date_cell(ws, 2, 4, 2026, 1, 5);
        ws.write_string(2, 5, "default").unwrap();
        ws.write_string(3, 0, "0013").unwrap();
        ws.write_string(3, 1, "李四").unwrap();
        ws.write_string(3, 2, "区财政局").unwrap();
        ws.write_string(3, 3, "0100000013").unwrap();
        ws.write_string(3, 5, "default").unwrap();
        // The cards column hidden, as offices hide what they do not print.
        ws.set_column_hidden(3).unwrap();
        // Empty rows Excel still keeps: a formatted blank, an empty text.
        ws.write_blank(5, 0, &Format::new().set_bold()).unwrap();
        ws.write_string(6, 1, "   ").unwrap();
    })
}

#[test]
fn excel_workbooks_import_as_their_csv_would() {
    let k = Kiosk::new(CONFIG);
    let out = k.import(&["staff", "import"], &staff_workbook(&k));
    assert_eq!(counts(&out), (2, 0), "{out}");
    assert!(out.contains("staff.xlsx:名单: staff_no was typed as a number on rows 3 "), "the number is said: {out}");
    assert!(out.contains("staff.xlsx:名单: row 1 above the header skipped (a title)"), "{out}");
    // The same person again, 0012 now typed as text.
    let again = workbook(&k, "staff2.xlsx", |ws| {
        for (c, h) in ["staff_no", "name", "unit", "cards", "active_from"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (c, v) in ["0012", "张三", "区党政办公室", "0100000012"].iter().enumerate() {
            ws.write_string(1, c as u16, *v).unwrap();
        }
        date_cell(ws, 1, 4, 2026, 1, 5);
    });
    let out = k.import(&["staff", "import"], &again);
    // Text is taken as it is: a new person, and the likeness is said.
    assert_eq!(counts(&out), (1, 0), "{out}");
    assert!(out.contains("staff2.xlsx:名单!2: note: 0012 is a new staff number; 12 is stored"), "{out}");
    // Roster: a date cell and time cells.
    let roster = workbook(&k, "roster.xlsx", |ws| {
        for (c, h) in ["staff_no", "date", "start", "end"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        ws.write_number(1, 0, 13).unwrap();
        date_cell(ws, 1, 1, 2026, 11, 21);
        time_cell(ws, 1, 2, 9, 0);
        time_cell(ws, 1, 3, 12, 0);
    });
    assert_eq!(counts(&k.import(&["roster", "import"], &roster)), (1, 0));
    // Leave: date-time cells; spot checks: text times; punches: numbers and dates.
    let leave = workbook(&k, "leave.xlsx", |ws| {
        for (c, h) in ["staff_no", "kind", "from", "to", "approved_by"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        // Text "12": exactly 张三 (a number 12 could now be 0012 too).
        ws.write_string(1, 0, "12").unwrap();
        ws.write_string(1, 1, "事假").unwrap();
        datetime_cell(ws, 1, 2, (2026, 11, 20), (8, 30));
        datetime_cell(ws, 1, 3, (2026, 11, 20), (17, 30));
        ws.write_string(1, 4, "王科长").unwrap();
    });
    assert_eq!(counts(&k.import(&["leave", "import"], &leave)), (1, 0));
    let spot = workbook(&k, "spot.xlsx", |ws| {
        for (c, h) in ["staff_no", "at", "result", "inspector"].iter().enumerate() {
            ws.write_string(0, c as u16, *h).unwrap();
        }
        for (c, v) in ["0013", "2026-11-19 10:40", "absent", "督查股"].iter().enumerate() {
            ws.write_string(1, c as u16, *v).unwrap();
        }
    });
    assert_eq!(counts(&k.import(&["spotcheck", "import"], &spot)), (1, 0));
    let punches = workbook(&k, "punches.xlsx", |ws| {
        ws.write_string(0, 0, "staff_no").unwrap();
        ws.write_string(0, 1, "at").unwrap();
        ws.write_number(1, 0, 13).unwrap();
        datetime_cell(ws, 1, 1, (2026, 11, 19), (8, 29));
        ws.write_number(2, 0, 13).unwrap();
        datetime_cell(ws, 2, 1, (2026, 11, 19), (17, 31));
    });
    assert_eq!(counts(&k.import(&["punches", "import"], &punches)), (2, 0));
    // What was stored, through the CLI.
    let day = k.summary("2026-11-19");
    let people = day["people"].as_array().unwrap();
    let li = people.iter().find(|p| p["name"] == "李四").expect("李四 stored");
    assert_eq!(li["staff_no"], "0013");
    assert_eq!(li["punches"], serde_json::json!(["08:29:00", "17:31:00"]), "{li}");
    assert_eq!(li["spot_check_absences"], 1);
    let zhang = people.iter().find(|p| p["staff_no"] == "12").expect("张三 stored as 12");
    assert_eq!((zhang["name"].as_str(), zhang["unit"].as_str()), (Some("张三"), Some("区党政办公室")));
    let leave_day = k.summary("2026-11-20");
    let zhang = leave_day["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "12").unwrap().clone();
    assert_eq!(zhang["status"], "leave", "{zhang}");
    let punches = k.ok(&["punches", "list", "--date", "2026-11-19", "--staff", "0013"]);
    assert!(punches.contains("08:29") && punches.contains("17:31"), "{punches}");
    // The hidden column was read: 李四's card is his.
    let by_card = k.file("card.csv", "card,at\n0100000013,2026-11-19 12:01\n");
    k.import(&["punches", "import"], &by_card);
    let day = k.summary("2026-11-19");
    let li = day["people"].as_array().unwrap().iter().find(|p| p["name"] == "李四").unwrap().clone();
    assert_eq!(li["punches"].as_array().unwrap().len(), 3, "{li}");
    // The roster's date and times: 李四 is expected on Saturday 11-21.
    let sat = k.summary("2026-11-21");
    let li = sat["people"].as_array().unwrap().iter().find(|p| p["name"] == "李四").cloned();
    assert!(li.is_some_and(|l| l["status"] != "rest"), "{sat}");
    // active_from (a date cell): 张三 starts on 2026-01-05, 李四 is there before.
    let before = k.summary("2026-01-02");
    let status = |no: &str| {
        before["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).map(|p| p["status"].clone())
    };
    assert_eq!(status("12"), Some("rest".into()), "{before}");
    assert_ne!(status("0013"), Some("rest".into()), "{before}");
}

#[test]
fn a_bad_cell_is_named_by_sheet_and_row_and_nothing_is_stored() {
    let k = Kiosk::new(CONFIG);
    k.import(&["staff", "import"], &staff_workbook(&k));
    type Fill = Box<dyn FnOnce(&mut Worksheet)>;
    let header = |ws: &mut Worksheet, cols: &[&str]| {
        ws.merge_range(0, 0, 0, cols.len() as u16, "标题", &Format::new()).unwrap();
        for (c, h) in cols.iter().enumerate() {
            ws.write_string(1, c as u16, *h).unwrap();
        }
    };
    let cases: Vec<(&str, &[&str], Fill, &str)> = vec![
        (
            "s.xlsx",
            &["staff", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "name", "unit", "role"]);
                for (c, v) in ["0020", "赵六", "区财政局", "boss"].iter().enumerate() {
                    ws.write_string(2, c as u16, *v).unwrap();
                }
            }),
            "!3: bad role \"boss\"",
        ),
        (
            "s2.xlsx",
            &["staff", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "name", "unit", "active_from"]);
                for (c, v) in ["0021", "钱七", "区财政局", "next monday"].iter().enumerate() {
                    ws.write_string(2, c as u16, *v).unwrap();
                }
            }),
            "!3: active_from",
        ),
        (
            "r.xlsx",
            &["roster", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "date", "start", "end"]);
                ws.write_string(2, 0, "0013").unwrap();
                date_cell(ws, 2, 1, 2026, 11, 21);
                ws.write_string(2, 2, "25:00").unwrap();
                time_cell(ws, 2, 3, 12, 0);
            }),
            "!3: start: bad time",
        ),
        (
            "l.xlsx",
            &["leave", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "kind", "from", "to"]);
                ws.write_string(2, 0, "0013").unwrap();
                ws.write_string(2, 1, "病假").unwrap();
                datetime_cell(ws, 2, 2, (2026, 11, 20), (17, 30));
                datetime_cell(ws, 2, 3, (2026, 11, 20), (8, 30));
            }),
            "!3: leave ends",
        ),
        (
            "p.xlsx",
            &["punches", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "at"]);
                ws.write_number(2, 0, 13).unwrap();
                datetime_cell(ws, 2, 1, (2026, 11, 19), (8, 29));
                ws.write_number(3, 0, 42).unwrap();
                datetime_cell(ws, 3, 1, (2026, 11, 19), (8, 30));
            }),
            "!4: unknown staff number \"42\"",
        ),
        (
            "c.xlsx",
            &["spotcheck", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "at", "result"]);
                for (c, v) in ["0013", "2026-11-19 10:40", "missing"].iter().enumerate() {
                    ws.write_string(2, c as u16, *v).unwrap();
                }
            }),
            "!3: bad result",
        ),
        (
            "u.xlsx",
            &["roster", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "date", "start", "finish"]);
            }),
            "名单: no header row with the columns",
        ),
        (
            "x.xlsx",
            &["leave", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "kind", "from", "to", "colour"]);
            }),
            "!2: column E: unknown column \"colour\"",
        ),
        (
            "t.xlsx",
            &["punches", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "at"]);
                ws.write_string(2, 0, "0013").unwrap();
                time_cell(ws, 2, 1, 8, 29);
            }),
            "!3: at: 08:29 is a time without a date",
        ),
        (
            "n.xlsx",
            &["staff", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "name", "unit"]);
                ws.write_number(2, 0, 12.5).unwrap();
                ws.write_string(2, 1, "孙八").unwrap();
                ws.write_string(2, 2, "区财政局").unwrap();
            }),
            "!3: staff_no: 12.5 is not a staff number",
        ),
        (
            "k.xlsx",
            &["staff", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "name", "unit", "cards"]);
                for (c, v) in ["0022", "周九", "区财政局"].iter().enumerate() {
                    ws.write_string(2, c as u16, *v).unwrap();
                }
                ws.write_number(2, 3, 100000022).unwrap();
            }),
            "!3: cards: typed as a number, its leading zeros are gone",
        ),
        (
            "o.xlsx",
            &["spotcheck", "import"],
            Box::new(move |ws: &mut Worksheet| {
                // The table starts at C4, under a title in C2: rows and
                // columns as Excel numbers them.
                ws.write_string(1, 2, "查岗记录").unwrap();
                for (c, h) in ["staff_no", "at", "result"].iter().enumerate() {
                    ws.write_string(3, 2 + c as u16, *h).unwrap();
                }
                for (c, v) in ["0013", "2026-11-19 10:40", "present"].iter().enumerate() {
                    ws.write_string(4, 2 + c as u16, *v).unwrap();
                }
                for (c, v) in ["0013", "2026-11-19 15:40", "asleep"].iter().enumerate() {
                    ws.write_string(5, 2 + c as u16, *v).unwrap();
                }
            }),
            "!6: bad result \"asleep\"",
        ),
        (
            "a.xlsx",
            &["roster", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "date", "start", "end"]);
                ws.write_number(2, 0, 12).unwrap();
                date_cell(ws, 2, 1, 2026, 11, 21);
                time_cell(ws, 2, 2, 9, 0);
                time_cell(ws, 2, 3, 12, 0);
            }),
            "!3: staff number 12 (without its leading zeros) fits stored staff numbers 0012, 12",
        ),
        (
            "f.xlsx",
            &["punches", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "at"]);
                ws.write_string(2, 0, "0013").unwrap();
                ws.write_string(2, 1, "2026-11-19 08:29").unwrap();
                ws.write_string(40, 16_383, "stray").unwrap();
            }),
            "!41: a value in column XFD, far right of any import's columns",
        ),
        (
            "v.xlsx",
            &["spotcheck", "import"],
            Box::new(move |ws: &mut Worksheet| {
                header(ws, &["staff_no", "at", "result"]);
                for (c, v) in ["0013", "2026-11-19 10:40", "present", "a stray note"].iter().enumerate() {
                    ws.write_string(2, c as u16, *v).unwrap();
                }
            }),
            "!3: a value in column D, which has no name",
        ),
    ];
    // 0012 beside the stored 12: a number 12 is then either.
    k.import(&["staff", "import"], &k.file("s0012.csv", "staff_no,name,unit\n0012,吴十,区财政局\n"));
    let before = k.summary("2026-11-19")["people"].clone();
    for (name, cmd, fill, want) in cases {
        let path = workbook(&k, name, fill);
        let mut args = cmd.to_vec();
        args.push(path.to_str().unwrap());
        let err = k.refused(&args);
        let at = format!("{}:名单{want}", path.display());
        let at = if want.starts_with('名') { format!("{}:{want}", path.display()) } else { at };
        assert!(err.contains(&at), "{name}: want {at}\n got {err}");
    }
    assert_eq!(k.summary("2026-11-19")["people"], before, "nothing stored by a refused file");
    let punches = k.ok(&["punches", "list", "--date", "2026-11-19"]);
    assert!(!punches.contains("08:29"), "the good row of p.xlsx was not stored either: {punches}");
    // Not a workbook at all.
    let fake = k.file("fake.xlsx", "staff_no,name,unit\n");
    assert!(k.refused(&["staff", "import", fake.to_str().unwrap()]).contains("not an Excel workbook"));
    // An old workbook (an OLE2 compound file) under .xlsx or .csv: said what
    // it is, nothing stored.
    let mut xls = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    xls.resize(1024, 0);
    for name in ["old.xlsx", "old.csv"] {
        let f = k.tmp.path().join(name);
        std::fs::write(&f, &xls).unwrap();
        let err = k.refused(&["staff", "import", f.to_str().unwrap()]);
        assert!(
            err.contains(&format!("{name}: "))
                && err.contains("old Excel (.xls)")
                && err.contains(": save it without a password as Excel 工作簿 (*.xlsx)"),
            "{err}"
        );
    }
    // A real workbook under another name: read by its name as CSV, it is
    // said to be a workbook, not garbled text.
    let f = k.tmp.path().join("book.csv");
    std::fs::copy(k.tmp.path().join("p.xlsx"), &f).unwrap();
    let err = k.refused(&["punches", "import", f.to_str().unwrap()]);
    assert!(err.contains("book.csv: this is a zip file"), "{err}");
    assert_eq!(k.summary("2026-11-19")["people"], before, "nothing stored by the refused files");
}

#[test]
fn a_gb18030_csv_is_read_and_said_and_a_file_in_neither_is_refused() {
    let k = Kiosk::new(CONFIG);
    // "staff_no,name,unit\n0021,张三,区党政办公室\n" as Excel on a Chinese
    // Windows saves it ("CSV (逗号分隔)").
    let (bytes, _, bad) = encoding_rs::GB18030.encode("staff_no,name,unit\r\n0021,张三,区党政办公室\r\n");
    assert!(!bad);
    assert!(std::str::from_utf8(&bytes).is_err(), "the file is not UTF-8");
    let f = k.tmp.path().join("gbk.csv");
    std::fs::write(&f, &bytes).unwrap();
    let out = k.import(&["staff", "import"], &f);
    assert!(counts(&out) == (1, 0) && out.contains("read as GB18030"), "{out}");
    // The names are stored right: a punch for 0021 shows 张三 of 区党政办公室.
    let p = k.file("p.csv", "staff_no,at\n0021,2026-11-19 08:29\n");
    k.import(&["punches", "import"], &p);
    let day = k.summary("2026-11-19");
    let zhang = day["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0021").unwrap().clone();
    assert_eq!((zhang["name"].as_str(), zhang["unit"].as_str()), (Some("张三"), Some("区党政办公室")));
    // UTF-16 ("Unicode text" from Excel): neither; refused with its line.
    let mut utf16 = b"staff_no,name,unit\n0022,A,B\n".to_vec();
    utf16.extend([0xFF, 0xFE, b'x', 0x00]);
    let f = k.tmp.path().join("utf16.csv");
    std::fs::write(&f, &utf16).unwrap();
    let err = k.refused(&["staff", "import", f.to_str().unwrap()]);
    assert!(err.contains("utf16.csv:3: neither UTF-8 nor GB18030"), "{err}");
    // Excel's "Unicode 文本" (UTF-16LE with its BOM, tabs): said for what it is.
    let text: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain("staff_no\tname\tunit\r\n0023\t王五\t办公室\r\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    let f = k.tmp.path().join("unicode.txt");
    std::fs::write(&f, &text).unwrap();
    let err = k.refused(&["staff", "import", f.to_str().unwrap()]);
    assert!(err.contains("unicode.txt: this is UTF-16 text") && err.contains("save it as UTF-8"), "{err}");
    let people = k.summary("2026-11-19")["people"].clone();
    assert!(people.as_array().unwrap().iter().all(|p| p["staff_no"] != "0023"), "nothing stored: {people}");
    assert!(people.as_array().unwrap().iter().any(|p| p["staff_no"] == "0021"), "the summary lists the staff");
}

#[test]
fn templates_have_the_header_the_explanations_and_the_lists() {
    let k = Kiosk::new(CONFIG);
    for kind in ["staff", "roster", "leave", "punches", "spotcheck"] {
        // CSV: the header, with a BOM; the empty file imports nothing.
        let csv = k.ok(&["template", kind]);
        assert!(csv.starts_with('\u{feff}'), "{kind}");
        let path = k.file(&format!("{kind}.csv"), &csv);
        let out = k.import(&[kind, "import"], &path);
        assert_eq!(counts(&out), (0, 0), "{kind}: {out}");
        // XLSX: the same header, the explanations, and it imports too.
        let x = k.tmp.path().join(format!("{kind}.xlsx"));
        k.ok(&["template", kind, "--format", "xlsx", "--output", x.to_str().unwrap()]);
        let out = k.import(&[kind, "import"], &x);
        assert_eq!(counts(&out), (0, 0), "{kind}: {out}");
        use calamine::Reader;
        let mut book: calamine::Xlsx<_> = calamine::open_workbook(&x).unwrap();
        let names = book.sheet_names();
        assert_eq!(names, [kind.to_string(), "说明".to_string()]);
        let head: Vec<String> =
            book.worksheet_range(kind).unwrap().rows().next().unwrap().iter().map(|c| c.to_string()).collect();
        assert_eq!(head.join(",") + "\r\n", csv.trim_start_matches('\u{feff}'), "{kind}");
        let help = book.worksheet_range("说明").unwrap();
        assert!(help.rows().count() > head.len(), "a line a column");
    }
    // The lists: role and result refuse others; leave kind only warns.
    let sheet = |kind: &str| {
        let x = k.tmp.path().join(format!("{kind}.xlsx"));
        let mut zip = zip::ZipArchive::new(std::fs::File::open(x).unwrap()).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(), &mut xml).unwrap();
        xml
    };
    let staff = sheet("staff");
    assert!(staff.contains("<dataValidation") && staff.contains("\"staff,head,admin\""), "{staff}");
    let spot = sheet("spotcheck");
    assert!(spot.contains("\"present,absent\""), "{spot}");
    let leave = sheet("leave");
    assert!(leave.contains("errorStyle=\"warning\"") && leave.contains("'说明'!$F$2:$F$"), "{leave}");
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(k.tmp.path().join("leave.xlsx")).unwrap();
    let values: Vec<String> =
        book.worksheet_range("说明").unwrap().rows().skip(1).filter_map(|r| r.get(5).map(|c| c.to_string())).collect();
    assert!(values.contains(&"事假".to_string()) && values.contains(&"出差".to_string()), "{values:?}");
    // English with `language = "en"`.
    std::fs::write(k.dir().join("config.toml"), CONFIG.replace("zh-CN", "en")).unwrap();
    let x = k.tmp.path().join("en.xlsx");
    k.ok(&["template", "leave", "--format", "xlsx", "--output", x.to_str().unwrap()]);
    let mut book: calamine::Xlsx<_> = calamine::open_workbook(&x).unwrap();
    let help = book.worksheet_range("Columns").unwrap();
    let from = help.rows().find(|r| r.first().is_some_and(|c| *c == "from")).expect("a row for from").to_vec();
    assert_eq!(
        (from[2].to_string(), from[3].to_string()),
        ("From (YYYY-MM-DD HH:MM)".to_string(), "开始（YYYY-MM-DD HH:MM）".to_string()),
        "English and Chinese"
    );
    // Into a pipe without --output: the workbook itself.
    let o = k.run(&["template", "staff", "--format", "xlsx"]);
    assert!(o.status.success() && o.stdout.starts_with(b"PK"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_long_attlog_import_says_how_far_it_is() {
    let k = Kiosk::new(CONFIG);
    k.import(&["staff", "import"], &staff_workbook(&k));
    // 30,000 lines: 0013 (PIN 13) four times a day, from 2020.
    let mut text = String::new();
    let start = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
    for i in 0..30_000u32 {
        let day = start + chrono::Duration::days(i64::from(i / 4));
        let time = ["08:29:00", "12:01:00", "14:25:00", "17:31:00"][(i % 4) as usize];
        text.push_str(&format!("    13\t{day} {time}\t0\t1\t0\t0\r\n"));
    }
    let f = k.file("ATTLOG.dat", &text);
    let o = k.run(&["punches", "import", f.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let err = String::from_utf8_lossy(&o.stderr);
    // Not a terminal: plain lines, a tenth at a time, for both stages.
    assert!(err.contains("reading ATTLOG lines: 3000/30000 (10%)"), "{err}");
    assert!(err.contains("storing punches: 30000/30000 (100%)"), "{err}");
    assert_eq!(counts(&String::from_utf8_lossy(&o.stdout)), (30_000, 0));
    // PINs when 12 and 0012 are both stored: 0012 (zeros kept) is 0012;
    // 12 could be either and is refused with its line.
    k.import(&["staff", "import"], &k.file("s0012.csv", "staff_no,name,unit\n0012,吴十,区财政局\n"));
    let kept = k.file("kept.dat", "  0012\t2026-11-19 08:29:00\t0\t1\t0\t0\r\n");
    assert_eq!(counts(&k.import(&["punches", "import"], &kept)), (1, 0));
    let bare =
        k.file("bare.dat", "  0013\t2026-11-19 08:31:00\t0\t1\t0\t0\r\n    12\t2026-11-19 08:30:00\t0\t1\t0\t0\r\n");
    let err = k.refused(&["punches", "import", bare.to_str().unwrap()]);
    assert!(
        err.contains("bare.dat:2: staff number 12 (without its leading zeros) fits stored staff numbers 0012, 12"),
        "{err}"
    );
    // A short file says nothing of progress.
    let f = k.file("short.dat", "    13\t2026-11-19 08:29:00\t0\t1\t0\t0\r\n");
    let o = k.run(&["punches", "import", f.to_str().unwrap()]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains('%'));
}
