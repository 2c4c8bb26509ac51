//! The touchscreen, headless: Slint's software renderer into a buffer
//! (`dutyclock::kiosk::ui::headless`), driven by simulated touches (pointer events
//! at the elements' places, found by their accessible labels) and scans,
//! over a real store. Renders every screen at 800×480 and 1280×800, in
//! Chinese and English, into `target/screenshots/`.
//!
//! Slint allows one platform per process, so this file holds one test that
//! walks the flows in order.

mod common;

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use common::{Kiosk, TestClock};
use dutyclock::domain::config::Config;
use dutyclock::kiosk::clock::Clock;
use dutyclock::kiosk::service::{Service, ARMED_SECONDS};
use dutyclock::kiosk::store::Store;
use dutyclock::kiosk::ui::{
    self, headless, AdminAdapter, App, Confirm, HeadAdapter, HeadTab, KioskWindow, PinAdapter, ResultAdapter, Screen,
    Session, Theme,
};
use dutyclock::kiosk::Core;
use i_slint_backend_testing::ElementHandle;
use slint::platform::software_renderer::MinimalSoftwareWindow;
use slint::{ComponentHandle, Model};

const CONFIG: &str = r#"
kiosk_id = "hall-1"
units = ["区党政办公室"]
[reader]
kind = "simulated"
[schedules.default]
sessions = [{ start = "08:30", end = "12:00" }, { start = "14:30", end = "17:30" }]
"#;

const STAFF: &str = "staff_no,name,unit,cards,role,pin\n\
0001,张三,区党政办公室,0100000001,,\n\
0002,李四,区党政办公室,0100000002,head,2468\n\
0003,王五,区党政办公室,0100000003,,\n\
0004,赵六,区党政办公室,0100000004,,\n\
0009,管理员,区党政办公室,0100000009,admin,1357\n";

/// The kiosk's administrator has no schedule obligations.
const ADMIN_NO_SCHEDULE: &str = "staff_no,name,unit,role,schedule\n0009,管理员,区党政办公室,admin,none\n";

struct Rig {
    window: Rc<MinimalSoftwareWindow>,
    ui: KioskWindow,
    shared: ui::Shared,
    shots: PathBuf,
}

impl Rig {
    fn screen(&self) -> Screen {
        self.ui.global::<App>().get_screen()
    }

    /// Taps the element whose accessible label is `label` (the n-th of them).
    fn tap_nth(&self, label: &str, n: usize) {
        // A frame first, as on the panel: what is tapped is what was drawn.
        headless::render(&self.window);
        let found: Vec<ElementHandle> = ElementHandle::find_by_accessible_label(&self.ui, label).collect();
        let Some(e) = found.get(n) else {
            // What was on the screen, for whoever reads the failure.
            self.shot("no-such-element");
            panic!("no element labelled {label:?} (#{n}) on {:?}: see no-such-element*.png", self.screen())
        };
        let p = e.absolute_position();
        let s = e.size();
        headless::tap(&self.window, p.x + s.width / 2.0, p.y + s.height / 2.0);
    }

    /// Taps the `label` element on the same row as the element labelled `row`.
    fn tap_in_row(&self, label: &str, row: &str) {
        headless::render(&self.window);
        let anchor =
            ElementHandle::find_by_accessible_label(&self.ui, row).next().unwrap_or_else(|| panic!("no {row:?}"));
        let y = anchor.absolute_position().y + anchor.size().height / 2.0;
        let e = ElementHandle::find_by_accessible_label(&self.ui, label)
            .min_by(|a, b| {
                let d = |e: &ElementHandle| (e.absolute_position().y + e.size().height / 2.0 - y).abs();
                d(a).total_cmp(&d(b))
            })
            .unwrap_or_else(|| panic!("no {label:?}"));
        let (p, s) = (e.absolute_position(), e.size());
        headless::tap(&self.window, p.x + s.width / 2.0, p.y + s.height / 2.0);
    }

    fn tap(&self, label: &str) {
        self.tap_nth(label, 0);
    }

    fn scan(&self, card: &str) {
        self.ui.global::<App>().invoke_simulate_scan(card.into());
    }

    fn shot(&self, name: &str) {
        let zh = self.ui.global::<App>().get_zh();
        let size = self.window.size();
        let file =
            self.shots.join(format!("{name}-{}x{}-{}.png", size.width, size.height, if zh { "zh" } else { "en" }));
        headless::screenshot(&self.window, &file).unwrap();
    }

    /// The drawn height of the element labelled `label`.
    fn height_of(&self, label: &str) -> f32 {
        headless::render(&self.window);
        let e = ElementHandle::find_by_accessible_label(&self.ui, label)
            .next()
            .unwrap_or_else(|| panic!("no element labelled {label:?} on {:?}", self.screen()));
        e.size().height
    }

    /// The scan result's why takes at most two lines at its size: measured
    /// against one line of the same type.
    fn assert_why_fits(&self) {
        let r = self.ui.global::<ResultAdapter>();
        let why = r.get_why();
        if why.is_empty() {
            return;
        }
        r.set_why("国".into());
        let line = self.height_of("国");
        r.set_why(why.clone());
        let h = self.height_of(&why);
        assert!(h <= 2.0 * line + 2.0, "{why:?} takes {h} px, more than two lines of {line} px");
    }

    fn resize(&self, w: u32, h: u32) {
        self.window.set_size(slint::PhysicalSize::new(w, h));
        self.ui.global::<Theme>().set_compact(w < 1000);
    }

    fn pin(&self, code: &str) {
        for d in code.chars() {
            self.tap(&d.to_string());
        }
        self.tap(if self.ui.global::<App>().get_zh() { "确定" } else { "OK" });
    }

    /// The texts of the count bar's chips.
    fn tallies(&self) -> Vec<String> {
        self.ui.global::<HeadAdapter>().get_tallies().iter().map(|t| format!("{} {}", t.label, t.count)).collect()
    }

    fn names(&self) -> Vec<String> {
        self.ui.global::<HeadAdapter>().get_people().iter().map(|p| p.name.to_string()).collect()
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

#[test]
fn touchscreen_flows_and_screenshots() {
    let window = headless::install(800, 480);
    let _ = std::fs::remove_dir_all(screenshots_dir());
    let k = Kiosk::new(CONFIG);
    let f = k.file("staff.csv", STAFF);
    k.import(&["staff", "import"], &f);
    k.import(&["staff", "import"], &k.file("admin.csv", ADMIN_NO_SCHEDULE));
    // 张三 has a photo; the others show their initial.
    common::portrait_png(&k.tmp.path().join("0001.png"));
    k.import(
        &["staff", "import"],
        &k.file("photos.csv", "staff_no,name,unit,photo\n0001,张三,区党政办公室,0001.png\n"),
    );
    // The kiosk's records start on Monday the 16th (张三's first punch,
    // from the old machine): the days before are 未启用, never 旷工.
    k.import(&["punches", "import"], &k.file("history.csv", "staff_no,at\n0001,2026-11-16 08:25\n"));
    let config: &'static Config = Box::leak(Box::new(Config::load(&k.dir().join("config.toml")).unwrap()));
    let clock = TestClock::at("2026-11-19 08:41:00");
    let store = Store::open(&k.dir().join("dutyclock.sqlite3")).unwrap();
    let core = Core::new(config, store, Box::new(clock.clone())).unwrap();
    let ui = KioskWindow::new().unwrap();
    ui.global::<dutyclock::kiosk::ui::IdleAdapter>().set_units("区党政办公室".into());
    let shared: ui::Shared = Rc::new(RefCell::new(Session::default()));
    let runner = Rc::new(ui::InlineRunner {
        service: RefCell::new(Service::new(core)),
        ui: ui.as_weak(),
        shared: shared.clone(),
    });
    let tz = chrono_tz::Asia::Shanghai;
    ui::wire(&ui, runner.clone(), shared.clone(), None, tz);
    ui::show_clock(&ui, clock.now(), tz);
    ui::show_status(&ui, dutyclock::kiosk::clock::TimeSource::System, false);
    ui::show_reader(&ui, dutyclock::kiosk::reader::ReaderState::Connected);
    ui.show().unwrap();
    let rig = Rig { window, ui, shared, shots: screenshots_dir() };
    let second = |rig: &Rig| ui::second(&rig.ui, &rig.shared, clock.now(), tz);

    // The CJK font is there: the blue glyphs of the 请刷卡 prompt, counted
    // inside the prompt's own box (found by its text).
    let (w, _, px) = headless::render(&rig.window);
    let prompt = ElementHandle::find_by_accessible_label(&rig.ui, "请刷卡").next().expect("the 请刷卡 prompt");
    let (p, size) = (prompt.absolute_position(), prompt.size());
    let (x0, y0) = (p.x.max(0.0) as usize, p.y.max(0.0) as usize);
    let (x1, y1) = ((p.x + size.width) as usize, (p.y + size.height) as usize);
    let glyph_pixels = (y0..y1)
        .flat_map(|y| (x0..x1).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let p = px[y * w as usize + x];
            p.b > 180 && p.r < 120 && p.g < 160
        })
        .count();
    assert!(
        glyph_pixels > 150,
        "请刷卡 drew {glyph_pixels} blue pixels: is a CJK font installed (fonts-wqy-microhei)?"
    );

    // A scan shows its result: late 11 minutes, and why.
    assert_eq!(rig.screen(), Screen::Idle);
    rig.scan("0100000001");
    assert_eq!(rig.screen(), Screen::Result);
    let r = rig.ui.global::<ResultAdapter>();
    assert_eq!(r.get_name(), "张三");
    // A lateness is a problem: its verdict is the headline (with the
    // warning mark, not a tick), the punch a neutral fact under it, then
    // why; then who: unit, staff number, the day's count, the initial.
    assert_eq!((r.get_headline().as_str(), r.get_problem()), ("迟到 11 分钟", true));
    assert_eq!((r.get_sub().as_str(), r.get_why().as_str()), ("已记录 08:41", "08:41 打卡，应到 08:30"));
    assert_eq!(
        (r.get_unit().as_str(), r.get_staff_no().as_str(), r.get_nth_today().as_str(), r.get_initial().as_str()),
        ("区党政办公室", "工号 0001", "今日第 1 次打卡", "张")
    );
    assert!(r.get_has_photo(), "张三's photo");
    // A problem stays 10 s (a result in order 5), then idle by itself.
    for _ in 0..ui::RESULT_SECONDS {
        second(&rig);
    }
    assert_eq!(rig.screen(), Screen::Result, "a problem stays longer");
    for _ in ui::RESULT_SECONDS..ui::PROBLEM_SECONDS {
        second(&rig);
    }
    assert_eq!(rig.screen(), Screen::Idle);

    // An unknown card: the instruction first and large, the card id below;
    // it stays (people copy the number down) until a tap or the next scan.
    rig.scan("0100000077");
    assert_eq!((r.get_headline().as_str(), r.get_problem()), ("未登记的卡", true));
    assert_eq!(
        (r.get_sub().as_str(), r.get_why().as_str(), r.get_todo().as_str()),
        ("本次刷卡已保存", "卡号 0100000077", "请联系管理员登记")
    );
    for _ in 0..ui::PROBLEM_SECONDS * 3 {
        second(&rig);
    }
    assert_eq!(rig.screen(), Screen::Result, "still there");
    rig.scan("0100000078");
    assert_eq!(r.get_why(), "卡号 0100000078", "the next scan replaces it");
    rig.tap("完成");
    assert_eq!(rig.screen(), Screen::Idle);

    // Looking is not punching: 查询 on the idle screen arms the next scan
    // (said in large type, with a countdown and 取消); that scan opens the
    // person's month and stores no punch (the command line lists none).
    let punches = || k.ok(&["punches", "list", "--date", "2026-11-19"]).lines().count() - 2;
    let before = punches();
    let idle = rig.ui.global::<dutyclock::kiosk::ui::IdleAdapter>();
    rig.tap("查询");
    assert_eq!(
        (idle.get_armed(), idle.get_armed_title().as_str(), idle.get_armed_note().as_str(), idle.get_armed_left()),
        (1, "请刷卡查询", "本次刷卡不记录打卡", ARMED_SECONDS as i32)
    );
    second(&rig);
    assert_eq!(idle.get_armed_left(), ARMED_SECONDS as i32 - 1, "counting down");
    rig.scan("0100000003");
    let m = rig.ui.global::<dutyclock::kiosk::ui::MonthAdapter>();
    assert_eq!((rig.screen(), idle.get_armed()), (Screen::Month, 0));
    assert_eq!(m.get_title(), "王五 · 2026年11月");
    assert_eq!(punches(), before, "the look-up stored no punch");
    rig.tap("返回");
    // 管理: the PIN for a head, no punch; 取消 goes back to punching.
    rig.tap("管理");
    assert_eq!(idle.get_armed_title(), "请刷卡进入管理");
    rig.scan("0100000002");
    assert_eq!((rig.screen(), rig.ui.global::<PinAdapter>().get_who().as_str()), (Screen::Pin, "李四"));
    rig.tap("取消");
    // 管理 for someone who is neither a head nor an admin: said, no punch.
    rig.tap("管理");
    rig.scan("0100000003");
    assert_eq!(rig.screen(), Screen::Result);
    assert_eq!((r.get_headline().as_str(), r.get_sub().as_str()), ("不能进入管理", "本次刷卡未记录打卡"));
    rig.tap("完成 (5)");
    assert_eq!(punches(), before, "nothing was punched by looking");
    // 取消, and a countdown that runs out: the next scan punches again.
    rig.tap("查询");
    rig.tap("取消");
    assert_eq!(idle.get_armed(), 0);
    rig.tap("查询");
    for _ in 0..ARMED_SECONDS {
        second(&rig);
    }
    assert_eq!(idle.get_armed(), 0, "the arming ran out");
    rig.scan("0100000009");
    assert_eq!((rig.screen(), r.get_headline().as_str()), (Screen::Result, "打卡成功"));
    assert_eq!(punches(), before + 1, "a punch again");
    rig.tap("完成 (5)");
    let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let looked: Vec<(String, String)> = db
        .prepare("SELECT who, action FROM actions ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        looked,
        [("0003", "looked up"), ("0002", "identified to sign in"), ("0003", "identified to sign in")]
            .map(|(a, b)| (a.to_string(), b.to_string())),
        "each look-up logged as an action"
    );

    // A head logs in with card + PIN; a wrong PIN five times locks.
    clock.set("2026-11-19 08:50:00");
    rig.scan("0100000002");
    rig.tap("管理");
    assert_eq!(rig.screen(), Screen::Pin);
    for i in 0..4 {
        rig.pin("1111");
        assert_eq!(rig.ui.global::<PinAdapter>().get_message(), format!("PIN 错误，还可尝试 {} 次", 4 - i));
    }
    rig.pin("1111");
    assert!(rig.ui.global::<PinAdapter>().get_locked());
    assert!(rig.ui.global::<PinAdapter>().get_message().contains("已锁定至 08:55"));
    // Even the right PIN is refused while locked.
    rig.ui.global::<PinAdapter>().set_locked(false);
    rig.pin("2468");
    assert_eq!(rig.screen(), Screen::Pin, "locked");
    // Five minutes later the right PIN opens head mode, on today's roster
    // (no request is waiting).
    clock.set("2026-11-19 08:56:00");
    rig.ui.global::<PinAdapter>().set_locked(false);
    rig.pin("2468");
    assert_eq!(rig.screen(), Screen::Head);
    let h = rig.ui.global::<HeadAdapter>();
    let c = rig.ui.global::<Confirm>();
    assert_eq!(h.get_tab(), HeadTab::Roster);
    // No holiday calendar for 2026 here: a red line for the head (holidays
    // would be judged as absences), never shown to staff at the door.
    let warning = rig.ui.global::<App>().get_calendar_warning().to_string();
    assert!(warning.starts_with("缺少今年的节假日日历"), "{warning}");
    let on_screen = |rig: &Rig| {
        headless::render(&rig.window);
        ElementHandle::find_by_accessible_label(&rig.ui, &warning).count()
    };
    assert!(on_screen(&rig) > 0, "on the head's screen");
    // The four with obligations; the administrator (schedule none) is not
    // listed, nor counted.
    assert_eq!(rig.names(), ["张三", "李四", "王五", "赵六"]);
    let people: Vec<_> = h.get_people().iter().collect();
    assert_eq!((people[0].state.as_str(), people[2].state.as_str()), ("迟到 11 分钟", "未到"));
    assert_eq!(rig.tallies(), ["应到 4", "已到 2", "迟到 2", "缺卡 0", "旷工 0", "请假/公出 0", "未到 2"]);
    // A chip shows only its rows; tapped again, everyone.
    rig.tap("未到 2");
    assert_eq!(rig.names(), ["王五", "赵六"]);
    rig.tap("未到 2");
    assert_eq!(rig.names().len(), 4);
    // The filter is the roster tab's: 查岗 lists everyone.
    rig.tap("未到 2");
    rig.tap("查岗");
    assert_eq!(rig.names().len(), 4);
    rig.tap("今日");
    assert_eq!(h.get_filter(), -1);

    // Tap a person: their day with why.
    rig.tap("张三");
    assert_eq!(h.get_person_why().row_data(0).unwrap(), "上午迟到 11 分钟：08:41 打卡，应到 08:30");

    // Leave: 王五 on 事假 in the morning. No kind is picked until the head
    // picks one; every action asks first, and 取消 changes nothing.
    rig.tap("请假");
    assert_eq!(h.get_tab(), HeadTab::Leave);
    rig.tap("王五");
    assert_eq!(h.get_leave_kind(), -1);
    // Why 登记 cannot be tapped yet is said beside it.
    headless::render(&rig.window);
    assert_eq!(ElementHandle::find_by_accessible_label(&rig.ui, "请先选择假别").count(), 1);
    let kinds: Vec<String> =
        h.get_leave_kind_rows().iter().flat_map(|r| r.iter().collect::<Vec<_>>()).map(|k| k.to_string()).collect();
    assert_eq!(kinds, ["事假", "病假", "年休假", "调休", "婚假", "产假", "丧假", "探亲假", "公出", "出差"]);
    rig.tap("事假");
    rig.tap("上午");
    rig.tap("登记");
    assert_eq!(c.get_text(), "登记 王五 事假：11-19 周四 上午？");
    rig.tap("取消");
    assert_eq!((c.get_text().as_str(), h.get_leave_records().row_count()), ("", 0), "nothing recorded");
    rig.tap("登记");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已登记 王五 事假");
    assert_eq!(h.get_leave_kind(), -1, "the next leave starts with no kind");
    assert_eq!(h.get_people().row_data(2).unwrap().state, "请假");
    let leave_lines: Vec<_> = h.get_leave_records().iter().collect();
    assert_eq!(leave_lines.len(), 1);
    assert!(leave_lines[0].text.contains("王五 事假"), "{}", leave_lines[0].text);
    // A range of days, each end picked on a month calendar: 王五 on 年休假
    // from next Tuesday to Thursday.
    rig.tap("年休假");
    rig.tap("11-19 周四");
    let cal = rig.ui.global::<dutyclock::kiosk::ui::CalendarAdapter>();
    assert!(cal.get_open());
    assert_eq!(cal.get_month(), "2026年11月");
    rig.shot("calendar");
    rig.tap("24");
    assert!(!cal.get_open(), "a pick closes the calendar");
    assert_eq!((h.get_leave_first_label().as_str(), h.get_leave_last_label().as_str()), ("11-24 周二", "11-24 周二"));
    rig.tap_nth("11-24 周二", 2); // 结束 (each button's text is found too: #1)
    rig.tap("26");
    assert_eq!(
        (h.get_leave_first_label().as_str(), h.get_leave_last_label().as_str(), h.get_leave_days().as_str()),
        ("11-24 周二", "11-26 周四", "3 天")
    );
    rig.tap("登记");
    assert_eq!(c.get_text(), "登记 王五 年休假：11-24 周二 – 11-26 周四 · 3 天？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已登记 王五 年休假");
    assert_eq!(
        (h.get_leave_first_label().as_str(), h.get_leave_days().as_str()),
        ("11-19 周四", ""),
        "the next leave starts today"
    );
    // Listed (with its end date), so it can be revoked.
    let lines: Vec<_> = h.get_leave_records().iter().collect();
    let week = lines.iter().find(|l| l.text.contains("王五 年休假 11-24")).expect("the leave over days is listed");
    assert!(week.open && week.text.contains("11-24 周二 – 11-26 周四 · 3 天"), "{}", week.text);
    // Exact times: 赵六 on 公出 15:00–16:00, each time on its picker; then
    // revoked (销假), it stays listed as revoked.
    rig.tap("赵六");
    rig.tap("公出");
    rig.tap("时段");
    rig.tap("08:30");
    assert_eq!(h.get_leave_time_edit(), 0);
    rig.shot("head-leave-times");
    for _ in 0..6 {
        rig.tap("+1 小时");
    }
    for _ in 0..6 {
        rig.tap("+5 分");
    }
    rig.tap("确定");
    rig.tap("12:00");
    for _ in 0..4 {
        rig.tap("+1 小时");
    }
    rig.tap("确定");
    assert_eq!((h.get_leave_from(), h.get_leave_to(), h.get_leave_time_edit()), (15 * 60, 16 * 60, -1));
    rig.tap("登记");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已登记 赵六 公出");
    let lines: Vec<_> = h.get_leave_records().iter().collect();
    let duty = lines.iter().find(|l| l.text.contains("赵六 公出 11-19 15:00–16:00")).expect("the duty record");
    assert!(duty.open);
    let duty_text = duty.text.to_string();
    rig.tap("已登记");
    rig.tap_in_row("销假", &duty_text);
    rig.tap("确认");
    assert_eq!(h.get_message(), "已销假");
    let lines: Vec<_> = h.get_leave_records().iter().collect();
    assert!(lines.iter().any(|l| l.text.contains("赵六 公出") && l.text.contains("已销假") && !l.open), "{lines:?}");

    // Spot check: 张三 absent at 10:40 (he punched in: the check finds what
    // punches could not). 不在岗 asks its reason at once; 不填 is a choice.
    clock.set("2026-11-19 10:40:00");
    rig.tap("查岗");
    rig.tap_in_row("不在岗", "张三");
    assert_eq!(h.get_check_reason_row(), 0);
    rig.shot("head-check-reason");
    rig.tap("不填");
    assert_eq!((h.get_check_reason_row(), h.get_people().row_data(0).unwrap().note.as_str()), (-1, ""));
    rig.tap_in_row("在岗", "李四");
    // The note is the marked person's own; the row shows it.
    rig.tap_in_row("在岗", "张三");
    rig.tap_in_row("不在岗", "张三");
    rig.tap("串岗");
    assert_eq!(h.get_people().row_data(0).unwrap().note, "串岗");
    assert_eq!(h.get_people().row_data(1).unwrap().note, "");
    rig.tap("提交查岗（已查 2/4）");
    assert_eq!(h.get_message(), "已记录查岗 2 人");
    assert_eq!(h.get_checked(), 0);

    // A staff member's requests, approved by the head.
    clock.set("2026-11-19 13:00:00");
    rig.tap("退出");
    assert_eq!(rig.screen(), Screen::Idle);
    assert_eq!(on_screen(&rig), 0, "not at the door");
    rig.scan("0100000004"); // 赵六 arrives 13:00: the morning had no punch
    clock.set("2026-11-20 09:00:00");
    rig.scan("0100000004");
    rig.tap("我的考勤");
    assert_eq!(rig.screen(), Screen::Month);
    let m = rig.ui.global::<dutyclock::kiosk::ui::MonthAdapter>();
    let days: Vec<_> = m.get_days().iter().collect();
    // The kiosk's records start on the 16th: the days before are 未启用,
    // nothing to ask for.
    let first = days.iter().find(|d| d.date.starts_with("11-02")).expect("11-02 listed");
    assert!(!first.can_request && !first.can_request_leave, "{first:?}");
    let idx = days.iter().position(|d| d.date.starts_with("11-19")).unwrap();
    assert!(days[idx].can_request, "{:?}", days[idx]);
    // The picker starts at the missing punch's expected time (the morning's
    // 08:30); a day absent altogether offers a request too.
    assert_eq!(days[idx].missing_at, 8 * 60 + 30);
    let absent = days.iter().find(|d| d.date.starts_with("11-18")).unwrap();
    assert!(absent.can_request && absent.missing_at == 8 * 60 + 30, "{absent:?}");
    rig.tap_in_row("补卡", "11-19 周四");
    assert_eq!(m.get_request_title(), "补卡 11-19 周四：打卡时间和原因");
    assert_eq!(m.get_request_minutes(), 8 * 60 + 30);
    // The day's session times are presets; ±5 min moves it.
    let presets: Vec<String> = m.get_request_presets().iter().map(|p| p.to_string()).collect();
    assert_eq!(presets, ["上班 08:30", "下班 12:00", "上班 14:30", "下班 17:30"]);
    rig.tap("+5 分");
    assert_eq!(m.get_request_minutes(), 8 * 60 + 35);
    rig.tap("−5 分");
    rig.shot("month-request-fix");
    rig.tap("提交");
    assert!(m.get_message().starts_with("已提交 11-19 08:30 的补卡申请"), "{}", m.get_message());
    // A request form closes with 取消, sending nothing.
    rig.tap_in_row("补卡", "11-18 周三");
    assert_eq!(m.get_request_day(), days.iter().position(|d| d.date.starts_with("11-18")).unwrap() as i32);
    rig.tap("取消");
    assert_eq!(m.get_request_day(), -1);
    // 请假 from the absent day: 病假 over two days, for a reason; 提交 waits
    // for a kind and a reason.
    assert!(absent.can_request_leave, "{absent:?}");
    rig.tap_in_row("请假", "11-18 周三");
    assert_eq!((m.get_request_title().as_str(), m.get_leave_kind()), ("请假 11-18 周三：假别和时段", -1));
    assert_eq!(m.get_approver(), "由 李四 审批", "who will decide, by name");
    rig.tap("提交");
    assert_eq!(m.get_request_day(), days.iter().position(|d| d.date.starts_with("11-18")).unwrap() as i32, "not yet");
    rig.tap("病假");
    rig.tap_nth("11-18 周三", 1); // 开始 in the form (#0 is the day in the list behind)
    rig.tap("17");
    assert_eq!(
        (m.get_leave_first_label().as_str(), m.get_leave_last_label().as_str(), m.get_leave_one_day()),
        ("11-17 周二", "11-18 周三", false)
    );
    rig.tap("身体不适");
    rig.shot("month-request-leave");
    rig.tap("提交");
    assert_eq!(m.get_message(), "已提交 11-17 周二 – 11-18 周三 · 2 天 的病假申请，等待科长审批");
    // The days say what is waiting.
    let waiting = m.get_days().iter().find(|d| d.date.starts_with("11-17")).unwrap();
    assert!(waiting.requests.contains("病假") && waiting.requests.contains("待审批"), "{waiting:?}");
    // Other months: October (before the kiosk: nothing judged), then back.
    rig.tap("‹ 上月");
    assert_eq!((m.get_title().as_str(), m.get_months_back()), ("赵六 · 2026年10月", 1));
    assert_eq!(m.get_days().row_count(), 31);
    rig.tap("下月 ›");
    assert_eq!(m.get_title(), "赵六 · 2026年11月");
    rig.tap("返回");
    // The head lands on 审批 when something waits, its count on the tab.
    clock.set("2026-11-20 09:05:00");
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    assert_eq!((h.get_tab(), h.get_requests_waiting()), (HeadTab::Approvals, 2));
    rig.shot("head-approvals");
    let reqs: Vec<String> = h.get_requests().iter().map(|r| r.text.to_string()).collect();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let fix = reqs.iter().find(|r| r.starts_with("赵六 · 补卡 11-19 周四 08:30")).expect("the 补卡 request").clone();
    let leave = reqs.iter().find(|r| r.starts_with("赵六 · 请假 病假 11-17 周二")).expect("the leave request").clone();
    assert!(leave.contains("身体不适"), "the reason is shown: {leave}");
    rig.tap_in_row("批准", &fix);
    assert_eq!(c.get_text(), "批准这条补卡申请（补上这次打卡）？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已批准，补卡已生效");
    rig.tap_in_row("批准", &leave);
    assert_eq!(c.get_text(), "批准这条请假申请（登记这次请假）？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已批准，请假已登记");
    assert_eq!(h.get_requests_waiting(), 0);
    let decided: Vec<String> = h.get_requests().iter().map(|r| r.text.to_string()).collect();
    assert!(decided.iter().all(|r| r.contains("（李四 已批准）")), "the approver by name: {decided:?}");
    rig.tap("退出");

    // Admin: enroll the unknown card seen today; its earlier punch attaches.
    clock.set("2026-11-20 09:10:00");
    rig.scan("0100000088");
    rig.scan("0100000009");
    rig.tap("管理");
    rig.pin("1357");
    assert_eq!(rig.screen(), Screen::Admin);
    let a = rig.ui.global::<AdminAdapter>();
    let staff = |a: &AdminAdapter| -> Vec<(String, String)> {
        a.get_staff().iter().map(|l| (format!("{} {}", l.staff_no, l.name), l.detail.to_string())).collect()
    };
    // Who has which card; the card just seen is picked, nobody yet.
    assert!(staff(&a).contains(&("0001 张三".into(), "区党政办公室 · 卡 0100000001".into())), "{:?}", staff(&a));
    assert!(staff(&a).contains(&("0003 王五".into(), "区党政办公室 · 卡 0100000003".into())), "{:?}", staff(&a));
    assert_eq!((a.get_card(), a.get_person(), a.get_plan().as_str()), (0, -1, ""));
    // The search finds a person by number or card, typed on the keypad
    // (no keyboard at a kiosk); 清除 empties it.
    for (q, found) in [("0004", "0004 赵六"), ("100000001", "0001 张三")] {
        rig.tap("清除");
        for d in q.chars() {
            // The keypad's rows: 1–5 and ⌫, 6–0 and 清除.
            rig.tap_in_row(&d.to_string(), if "12345".contains(d) { "⌫" } else { "清除" });
        }
        assert_eq!(a.get_search(), q);
        assert_eq!(staff(&a).into_iter().map(|l| l.0).collect::<Vec<_>>(), [found], "search {q:?}");
    }
    rig.tap("⌫");
    assert_eq!(a.get_search(), "10000000");
    // A name, from a keyboard where one is attached.
    a.set_search("王".into());
    a.invoke_search_changed();
    assert_eq!(staff(&a).into_iter().map(|l| l.0).collect::<Vec<_>>(), ["0003 王五"]);
    // A card scanned in admin mode becomes the pick; a tap picks another.
    rig.scan("0100000066");
    rig.ui.global::<ResultAdapter>().invoke_done();
    assert_eq!(rig.screen(), Screen::Admin);
    assert_eq!(a.get_unknown().row_data(a.get_card() as usize).unwrap().card, "0100000066");
    rig.tap("0100000088");
    rig.tap("0003 王五");
    assert_eq!((a.get_person(), a.get_plan().as_str()), (0, "卡 0100000088 → 0003 王五"));
    // Enrolment asks first; 取消 changes nothing.
    rig.tap("登记");
    assert_eq!(
        c.get_text(),
        "把卡 0100000088 登记给 0003 王五？今天起此卡的打卡都算作王五的。（王五 现有的卡 0100000003 仍然有效）"
    );
    rig.tap("取消");
    assert_eq!((a.get_message().as_str(), a.get_unknown().row_count()), ("", 2), "nothing enrolled");
    rig.tap("登记");
    rig.tap("确认");
    assert_eq!(a.get_message(), "卡 0100000088 已登记给 0003");
    // The card is enrolled; the other one seen is picked next, nobody yet.
    assert_eq!((a.get_unknown().row_count(), a.get_card(), a.get_plan().as_str()), (1, 0, ""));
    assert_eq!(staff(&a), [("0003 王五".to_string(), "区党政办公室 · 卡 0100000003、0100000088".to_string())]);
    rig.tap("退出");
    assert_eq!(a.get_search(), "", "the next admin starts clean");

    // The records changed the days: check through the command line.
    clock.set("2026-11-21 09:00:00");
    let s19 = k.summary("2026-11-19");
    let p = |no: &str| s19["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).unwrap().clone();
    assert_eq!(p("0001")["spot_check_absences"], 1);
    assert_eq!(p("0002")["spot_check_absences"], 0);
    let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let notes: Vec<(String, bool, String)> = db
        .prepare("SELECT staff_no, present, note FROM spot_checks ORDER BY staff_no")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        notes,
        [("0001".into(), false, "串岗".into()), ("0002".into(), true, String::new())],
        "each person's own note"
    );
    assert_eq!(p("0003")["leave_minutes"], 210);
    let s25 = k.summary("2026-11-25");
    let p25 = s25["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0003").unwrap().clone();
    assert_eq!((p25["leave_minutes"].as_u64(), p25["status"].as_str()), (Some(390), Some("leave")), "{p25}");
    assert_eq!(p("0004")["punches"], serde_json::json!(["08:30:00", "13:00:00"]), "the approved correction");
    assert_eq!(p("0004")["corrections"], 1);
    for date in ["2026-11-17", "2026-11-18"] {
        let s = k.summary(date);
        let p = s["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0004").unwrap().clone();
        assert_eq!((p["status"].as_str(), p["absent_sessions"].as_u64()), (Some("leave"), Some(0)), "{date}: {p}");
    }
    let s20 = k.summary("2026-11-20");
    let p3 = s20["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0003").unwrap().clone();
    assert_eq!(p3["punches"], serde_json::json!(["09:10:00"]), "enrolled card's punch attached");
    assert!(k.ok(&["verify"]).starts_with("ok"));

    // Head mode ends after 60 s without a touch; a dialog left open and
    // the leave form go with it, and the next head starts clean.
    clock.set("2026-11-20 09:20:00");
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    assert_eq!(rig.screen(), Screen::Head);
    rig.tap("请假");
    rig.tap("事假");
    rig.tap("今日");
    // 补卡 is for the person whose day is shown (张三), even after a
    // spot-check mark for someone else; its dialog starts at the missing
    // punch and takes a reason.
    rig.tap("张三");
    rig.tap("查岗");
    rig.tap_in_row("在岗", "李四");
    rig.tap("今日");
    rig.tap("补卡");
    assert!(h.get_fix_open());
    assert_eq!(h.get_fix_title(), "为 张三 补卡 · 11-20 周五：时间和原因");
    rig.shot("head-fix");
    // A scan at the door meanwhile: its result is not hidden behind the
    // head's dialog, and nobody at the door can answer it.
    rig.scan("0100000099");
    assert_eq!(rig.screen(), Screen::Result);
    slint::platform::update_timers_and_animations();
    assert_eq!(ElementHandle::find_by_accessible_label(&rig.ui, "确认补卡").count(), 0, "no dialog over the result");
    rig.ui.global::<ResultAdapter>().invoke_done();
    assert_eq!((rig.screen(), h.get_fix_open()), (Screen::Head, true));
    for _ in 0..ui::MANAGE_IDLE_SECONDS {
        second(&rig);
    }
    assert_eq!(rig.screen(), Screen::Idle);
    assert_eq!((h.get_fix_open(), h.get_leave_kind(), h.get_checked()), (false, -1, 0));
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    assert_eq!(
        (c.get_text().as_str(), h.get_leave_kind(), h.get_fix_open()),
        ("", -1, false),
        "the next head starts clean"
    );
    // Now 补卡 for 王五 (whose only punch is 09:10, by the card enrolled):
    // the dialog is the question (取消 beside it). A time still to come is
    // refused and adds nothing; the morning's 08:30 is added, for its reason.
    rig.tap("王五");
    rig.tap("补卡");
    // The morning's clock-out is not due yet: the picker starts at now.
    assert_eq!(h.get_fix_minutes(), 9 * 60 + 20);
    rig.tap("下班 12:00");
    rig.tap("确认补卡");
    assert_eq!(h.get_message(), "不能为将来的时间补卡");
    assert_eq!(h.get_person_punches().row_count(), 1);
    rig.tap("补卡");
    rig.tap("上班 08:30");
    rig.tap("设备故障");
    rig.tap("确认补卡");
    assert_eq!(h.get_message(), "已补卡 08:30");
    assert!(h.get_person_punches().iter().any(|p| p.time.starts_with("08:30")), "the pane shows it");
    rig.tap("退出");

    // Every screen at both sizes in both languages.
    shots(&rig, &clock);

    // The scan screen, the roster and the person's day say the same thing
    // (Monday the 23rd): late 11, late 35 (旷工 at once), first punch at
    // 10:32 (past the midpoint: the clock-in is missing).
    rig.resize(800, 480);
    if !rig.ui.global::<App>().get_zh() {
        rig.ui.global::<App>().invoke_toggle_language();
    }
    rig.ui.global::<App>().set_screen(Screen::Idle);
    let r = rig.ui.global::<ResultAdapter>();
    clock.set("2026-11-23 08:41:00");
    rig.scan("0100000004");
    assert_eq!((r.get_headline().as_str(), r.get_tone()), ("迟到 11 分钟", dutyclock::kiosk::ui::Tone::Warn));
    clock.set("2026-11-23 09:05:00");
    rig.scan("0100000001");
    assert_eq!((r.get_headline().as_str(), r.get_tone()), ("旷工半天", dutyclock::kiosk::ui::Tone::Bad));
    assert_eq!(r.get_sub(), "已记录 09:05");
    assert_eq!(r.get_why(), "迟到 35 分钟，超过 30 分钟按旷工计（应到 08:30）");
    rig.assert_why_fits();
    rig.shot("result-absent");
    clock.set("2026-11-23 10:32:00");
    rig.scan("0100000003");
    // Past the midpoint: the missing clock-in is the headline (not 外出),
    // why in one line, what to do in another.
    assert_eq!((r.get_headline().as_str(), r.get_tone()), ("上午缺上班卡", dutyclock::kiosk::ui::Tone::Bad));
    assert_eq!(
        (r.get_sub().as_str(), r.get_why().as_str(), r.get_todo().as_str()),
        ("已记录 10:32", "10:32 晚于 10:15，不计上班卡", "请在我的考勤申请补卡")
    );
    rig.assert_why_fits();
    rig.shot("result-missing-in");
    clock.set("2026-11-23 10:40:00");
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    let state =
        |no: &str| h.get_people().iter().find(|p| p.staff_no == no).map(|p| (p.state.to_string(), p.tone)).unwrap();
    assert_eq!(state("0001"), ("旷工半天".to_string(), dutyclock::kiosk::ui::Tone::Bad));
    assert_eq!(state("0003"), ("上午缺上班卡".to_string(), dutyclock::kiosk::ui::Tone::Bad));
    assert_eq!(state("0004"), ("迟到 11 分钟".to_string(), dutyclock::kiosk::ui::Tone::Warn));
    rig.tap("张三");
    assert_eq!(
        h.get_person_why().iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        vec!["上午旷工：迟到 35 分钟，超过 30 分钟（09:05 打卡，应到 08:30）".to_string()]
    );
    rig.tap("王五");
    // The figure line agrees with the state: the missing clock-in counts.
    assert!(h.get_person_figures().contains("缺卡 1"), "{}", h.get_person_figures());
    // To the head, what the head can do.
    assert_eq!(
        h.get_person_why().row_data(0).unwrap(),
        "上午缺上班卡：10:32 打卡晚于时段中点（应到 08:30），可为其补卡"
    );
    // The summary: a table of people × figures, the worst first, this
    // month or last; today's counts in the roster's words.
    rig.tap("汇总");
    let today = h.get_summary_today().to_string();
    assert!(today.starts_with("今日 11-23 周一：应到 4 · 已到 4"), "{today}");
    assert!(today.ends_with(&rig.tallies()[1..].join(" · ")), "the roster's count bar agrees: {today}");
    assert_eq!(h.get_summary_period(), "11-01 周日 至 11-23 周一");
    let cols: Vec<String> = h.get_summary_columns().iter().map(|c| c.to_string()).collect();
    assert_eq!(cols, ["姓名", "出勤", "迟到", "早退", "旷工", "缺卡", "空岗", "查岗不在岗", "请假", "公出"]);
    let rows: Vec<(String, Vec<String>)> = h
        .get_summary_rows()
        .iter()
        .map(|r| (r.name.to_string(), r.cells.iter().map(|c| c.to_string()).collect()))
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r.0.as_str()).collect();
    let row = |name: &str| rows.iter().find(|r| r.0 == name).unwrap().1.clone();
    // Cells after the name: 出勤, 迟到, 早退, 旷工, 缺卡, 空岗, 查岗不在岗, 请假, 公出.
    let zhang = row("张三");
    assert!(zhang[0].ends_with(" 天") && zhang[3].ends_with("天") && zhang[6] == "1 次", "{zhang:?}");
    assert!(row("赵六")[1].contains(" 次 ") && row("赵六")[1].ends_with(" 分钟"), "{:?}", row("赵六"));
    assert_eq!(names[0], "张三", "the most 旷工 first: {rows:?}");
    // Leave in days: 赵六's two days of 病假, 王五's morning of 事假 (his
    // 年休假 is still to come).
    assert_eq!((row("赵六")[7].as_str(), row("王五")[7].as_str()), ("2 天", "半天"));
    rig.tap("上月");
    assert_eq!(h.get_summary_period(), "10-01 周四 至 10-31 周六");
    // October was before the kiosk's first record: nothing judged, no 旷工.
    assert!(
        h.get_summary_rows().iter().all(|r| r.cells.iter().skip(1).all(|c| c == "—")),
        "{:?}",
        h.get_summary_rows().iter().map(|r| r.cells.iter().collect::<Vec<_>>()).collect::<Vec<_>>()
    );
    rig.tap("本月");
    assert_eq!(h.get_summary_period(), "11-01 周日 至 11-23 周一");
    // A range of days: the last week, then a day more at its start.
    rig.tap("自选日期");
    assert_eq!(h.get_summary_period(), "11-17 周二 至 11-23 周一");
    rig.tap_nth("−", 0);
    assert_eq!(h.get_summary_period(), "11-16 周一 至 11-23 周一");
    // The month grid over the same days, one coloured symbol a day.
    rig.tap("月历");
    let days: Vec<(String, bool)> = h.get_summary_grid_days().iter().map(|d| (d.number.to_string(), d.rest)).collect();
    assert_eq!(days.iter().map(|d| d.0.as_str()).collect::<Vec<_>>(), ["16", "17", "18", "19", "20", "21", "22", "23"]);
    assert_eq!(days.iter().filter(|d| d.1).map(|d| d.0.as_str()).collect::<Vec<_>>(), ["21", "22"], "the weekend");
    let grid = |name: &str| -> Vec<(String, dutyclock::kiosk::ui::Mark)> {
        let row = h.get_summary_grid().iter().find(|r| r.name == name).unwrap();
        row.cells.iter().map(|c| (c.symbol.to_string(), c.mark)).collect()
    };
    let zhao = grid("赵六");
    assert_eq!(zhao[1], ("△".to_string(), dutyclock::kiosk::ui::Mark::Leave), "11-17: 病假: {zhao:?}");
    assert_eq!(zhao[2].0, "△", "11-18: 病假");
    // 11-19: one punch, late: the afternoon is absent, and 旷工 shows first.
    assert_eq!(grid("张三")[3], ("○".to_string(), dutyclock::kiosk::ui::Mark::Absent));
    assert_eq!(grid("赵六")[0].0, "○", "11-16: absent");
    let legend: Vec<String> = h
        .get_summary_legend()
        .iter()
        .flat_map(|row| row.iter().collect::<Vec<_>>())
        .map(|l| format!("{} {}", l.symbol, l.word))
        .collect();
    assert_eq!(legend[..2], ["√ 正常".to_string(), "★ 迟到".to_string()], "{legend:?}");
    // A cell opens that person's day.
    rig.tap("赵六 16");
    assert!(h.get_day_open());
    assert!(h.get_person_title().contains("11-16"), "{}", h.get_person_title());
    rig.shot("head-day");
    rig.tap("关闭");
    rig.tap("表格");
    // A void has its own reasons; without a keyboard 其他 is taken as it is.
    rig.tap("今日");
    rig.tap("王五");
    rig.tap("作废");
    assert_eq!(c.get_text(), "作废 王五 10:32:00 的打卡？请选择原因：");
    rig.tap("其他");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已作废");
    assert!(h.get_person_punches().row_data(0).unwrap().voided);
    // With a keyboard attached the head may say what; blank words are
    // taken as 其他 alone.
    rig.ui.global::<App>().set_keyboard(true);
    rig.tap("李四");
    rig.tap("作废");
    rig.tap("其他");
    c.set_free_text("  读卡器误读  ".into());
    rig.tap("确认");
    assert_eq!(h.get_message(), "已作废");
    rig.ui.global::<App>().set_keyboard(false);
    rig.tap("退出");
    // The day's record, when it is over, says the same.
    let s23 = k.summary("2026-11-23");
    let p = |no: &str| s23["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).unwrap().clone();
    assert_eq!((p("0001")["absent_sessions"].as_u64(), p("0001")["late_count"].as_u64()), (Some(2), Some(0)));
    assert_eq!(p("0004")["late_minutes"], 11);
    assert_eq!(p("0003")["punches"], serde_json::json!([]), "the voided punch");
    let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let reasons: Vec<String> = db
        .prepare("SELECT reason FROM punch_voids ORDER BY id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(reasons, ["其他", "其他：读卡器误读"]);
    // The day's second punch says so; on time, it is 正常 in green.
    clock.set("2026-11-23 12:05:00");
    rig.scan("0100000004");
    assert_eq!((r.get_headline().as_str(), r.get_sub().as_str(), r.get_problem()), ("下班打卡成功", "正常", false));
    assert_eq!((r.get_nth_today().as_str(), r.get_tone()), ("今日第 2 次打卡", dutyclock::kiosk::ui::Tone::Ok));
    assert_eq!((r.get_has_photo(), r.get_initial().as_str()), (false, "赵"), "no photo: the initial");
}

/// Every screen and dialog, each at 800×480 and 1280×800 in Chinese and
/// English.
const SHOTS: [&str; 23] = [
    "idle",
    "idle-armed",
    "result-late",
    "result-unknown",
    "month",
    "month-request-fix",
    "month-request-leave",
    "calendar",
    "pin",
    "head-roster",
    "head-confirm-void",
    "head-fix",
    "head-leave",
    "head-leave-times",
    "head-leave-list",
    "head-check",
    "head-check-reason",
    "head-approvals",
    "head-summary",
    "head-summary-grid",
    "head-day",
    "admin",
    "admin-confirm",
];

fn shots(rig: &Rig, clock: &TestClock) {
    let mut minute = 30;
    for (w, h) in [(800, 480), (1280, 800)] {
        for zh in [true, false] {
            minute += 2;
            clock.set(&format!("2026-11-20 10:{minute}:00"));
            rig.resize(w, h);
            let app = rig.ui.global::<App>();
            if app.get_zh() != zh {
                app.invoke_toggle_language();
            }
            app.set_screen(Screen::Idle);
            ui::show_clock(&rig.ui, clock.now(), chrono_tz::Asia::Shanghai);
            rig.shot("idle");
            // Every mark in the screen's language, the reader's too.
            let idle = rig.ui.global::<dutyclock::kiosk::ui::IdleAdapter>();
            let cjk = |t: &str| t.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
            assert_eq!(cjk(&idle.get_reader_label()), zh, "{}", idle.get_reader_label());
            assert_eq!(cjk(&idle.get_clock_label()), zh, "{}", idle.get_clock_label());
            idle.invoke_arm(1);
            rig.shot("idle-armed");
            idle.invoke_disarm();
            rig.scan("0100000001");
            rig.assert_why_fits();
            rig.shot("result-late");
            rig.scan("0100000077");
            rig.assert_why_fits();
            rig.shot("result-unknown");
            rig.ui.global::<ResultAdapter>().invoke_done();
            rig.scan("0100000004");
            rig.ui.global::<ResultAdapter>().invoke_my_attendance();
            rig.shot("month");
            // The request forms over the month; the calendar over the leave form.
            let m = rig.ui.global::<dutyclock::kiosk::ui::MonthAdapter>();
            let day = m.get_days().iter().position(|d| d.can_request).expect("a day to fix");
            m.invoke_open_request(day as i32, 0);
            rig.shot("month-request-fix");
            let day = m.get_days().iter().position(|d| d.can_request_leave).expect("a day to ask leave for");
            m.invoke_open_request(day as i32, 1);
            m.set_leave_kind(1);
            m.set_leave_reason(1);
            rig.shot("month-request-leave");
            m.invoke_pick_date(1);
            rig.shot("calendar");
            rig.ui.global::<dutyclock::kiosk::ui::CalendarAdapter>().invoke_close();
            m.set_request_day(-1);
            m.invoke_back();
            rig.scan("0100000002");
            rig.ui.global::<ResultAdapter>().invoke_manage();
            rig.shot("pin");
            for d in "2468".chars() {
                rig.ui.global::<PinAdapter>().invoke_digit(d.to_string().into());
            }
            rig.ui.global::<PinAdapter>().invoke_submit();
            let head = rig.ui.global::<HeadAdapter>();
            head.invoke_show_tab(HeadTab::Roster);
            head.invoke_open_person(0);
            rig.shot("head-roster");
            // A void asks first, with its own reasons.
            let punch = head.get_person_punches().row_data(0).expect("张三's punch").id;
            head.invoke_void_punch(punch, -1);
            rig.shot("head-confirm-void");
            rig.ui.global::<Confirm>().invoke_no();
            head.invoke_open_fix();
            rig.shot("head-fix");
            head.set_fix_open(false);
            head.invoke_show_tab(HeadTab::Leave);
            head.invoke_open_person(3);
            head.set_leave_kind(0);
            rig.shot("head-leave");
            head.set_leave_span(3);
            head.set_leave_time_edit(0);
            rig.shot("head-leave-times");
            head.set_leave_time_edit(-1);
            head.set_leave_span(0);
            head.set_leave_view(1);
            rig.shot("head-leave-list");
            head.set_leave_view(0);
            head.invoke_show_tab(HeadTab::Check);
            head.invoke_mark(1, 1);
            head.invoke_mark(0, 2);
            rig.shot("head-check-reason");
            head.invoke_note_for(0, 1);
            rig.shot("head-check");
            head.invoke_show_tab(HeadTab::Approvals);
            rig.shot("head-approvals");
            head.invoke_show_tab(HeadTab::Summary);
            rig.shot("head-summary");
            head.set_summary_view(1);
            rig.shot("head-summary-grid");
            head.invoke_open_day(0, 1);
            rig.shot("head-day");
            head.set_day_open(false);
            head.set_summary_view(0);
            head.invoke_logout();
            rig.scan("0100000009");
            rig.ui.global::<ResultAdapter>().invoke_manage();
            for d in "1357".chars() {
                rig.ui.global::<PinAdapter>().invoke_digit(d.to_string().into());
            }
            rig.ui.global::<PinAdapter>().invoke_submit();
            rig.shot("admin");
            let a = rig.ui.global::<AdminAdapter>();
            a.invoke_pick_person(0);
            a.invoke_enroll();
            rig.shot("admin-confirm");
            rig.ui.global::<Confirm>().invoke_no();
            a.invoke_logout();
        }
    }
    for name in SHOTS {
        for size in ["800x480", "1280x800"] {
            for lang in ["zh", "en"] {
                let f = rig.shots.join(format!("{name}-{size}-{lang}.png"));
                assert!(f.exists(), "{} written", f.display());
            }
        }
    }
}

/// The sizes in `ui/theme.slint` on the 7-inch panel (`compact ? a : b`
/// takes `a`), and its colours, by name.
fn theme() -> (std::collections::HashMap<String, f32>, std::collections::HashMap<String, [u8; 3]>) {
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/theme.slint")).unwrap();
    let (mut sizes, mut colours) = (std::collections::HashMap::new(), std::collections::HashMap::new());
    for line in text.lines().map(str::trim) {
        let Some(rest) = line.strip_prefix("out property <") else { continue };
        let Some((ty, rest)) = rest.split_once("> ") else { continue };
        let Some((name, value)) = rest.trim_end_matches(';').split_once(": ") else { continue };
        match ty {
            "length" => {
                let compact = value.split(['?', ':']).nth(1).unwrap_or(value).trim();
                sizes.insert(name.to_string(), compact.trim_end_matches("px").parse().unwrap());
            }
            "color" => {
                let hex = value.trim_start_matches('#');
                let c = |i: usize| u8::from_str_radix(&hex[i..i + 2], 16).unwrap();
                colours.insert(name.to_string(), [c(0), c(2), c(4)]);
            }
            _ => {}
        }
    }
    (sizes, colours)
}

/// WCAG's contrast ratio of two sRGB colours.
fn contrast(a: [u8; 3], b: [u8; 3]) -> f32 {
    let lum = |c: [u8; 3]| {
        let ch = |v: u8| {
            let v = f32::from(v) / 255.0;
            if v <= 0.03928 {
                v / 12.92
            } else {
                ((v + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * ch(c[0]) + 0.7152 * ch(c[1]) + 0.0722 * ch(c[2])
    };
    let (x, y) = (lum(a), lum(b));
    (x.max(y) + 0.05) / (x.min(y) + 0.05)
}

/// Nothing a person must read is under 18 px on the 7-inch panel: every
/// `font-size` in ui/*.slint is a Theme size (times a factor) that comes
/// to 18 px or more there, or a literal of 18 px or more. The one other
/// form is the result screen's initial, half its avatar's height.
#[test]
fn nothing_to_read_is_under_18_px_and_greys_read() {
    let (sizes, colours) = theme();
    assert_eq!(sizes["small"], 18.0, "{sizes:?}");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("ui")).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            for part in line.split("font-size:").skip(1) {
                let expr = part.split(';').next().unwrap().trim();
                // Each branch of a conditional (`c ? a : b`) on its own.
                let parts: Vec<&str> = expr.split(['?', ':']).map(str::trim).collect();
                for &term in if expr.contains('?') { &parts[1..] } else { &parts[..] } {
                    let (base, factor) = match term.split_once('*') {
                        Some((b, f)) => (b.trim(), f.trim().parse::<f32>().unwrap_or(f32::NAN)),
                        None => (term, 1.0),
                    };
                    let px = if let Some(name) = base.strip_prefix("Theme.") {
                        sizes.get(name).copied().unwrap_or(f32::NAN) * factor
                    } else if base == "root.em" {
                        sizes["small"] * factor
                    } else if let Some(lit) = base.strip_suffix("px") {
                        lit.parse::<f32>().unwrap_or(f32::NAN) * factor
                    } else if base == "parent.height" && path.ends_with("result.slint") {
                        continue; // the avatar's initial: half its circle
                    } else if base.is_empty() {
                        continue;
                    } else {
                        f32::NAN
                    };
                    if px.is_nan() || px < 18.0 {
                        bad.push(format!("{}:{}: font-size {expr} ({px} px)", path.display(), n + 1));
                    }
                }
            }
        }
    }
    assert!(bad.is_empty(), "text under 18 px (or a size this check cannot read):\n{}", bad.join("\n"));
    // A disabled button's words read (WCAG's 3:1 for large text and
    // controls); muted text on the page and on a card reads as text (4.5:1).
    let c = |a: &str, b: &str| contrast(colours[a], colours[b]);
    assert!(c("disabled-text", "disabled-bg") >= 3.0, "disabled: {}", c("disabled-text", "disabled-bg"));
    for (fg, bg) in [("muted", "background"), ("muted", "surface"), ("text", "rest-bg"), ("muted", "rest-bg")] {
        assert!(c(fg, bg) >= 4.5, "{fg} on {bg}: {:.2}", c(fg, bg));
    }
}
