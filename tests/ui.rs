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
        let e = found.get(n).unwrap_or_else(|| panic!("no element labelled {label:?} (#{n}) on {:?}", self.screen()));
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
        self.tap("OK");
    }
}

fn screenshots_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

#[test]
fn touchscreen_flows_and_screenshots() {
    let window = headless::install(800, 480);
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
    ui::show_status(&ui, true, false);
    ui::show_reader(&ui, dutyclock::kiosk::reader::ReaderState::Connected);
    ui.show().unwrap();
    let rig = Rig { window, ui, shared, shots: screenshots_dir() };
    let second = |rig: &Rig| ui::second(&rig.ui, &rig.shared, clock.now(), tz);

    // The CJK font is there: the blue glyphs of the 请刷卡 prompt.
    let (w, _, px) = headless::render(&rig.window);
    // (Right of the drawn badge, which is blue too.)
    let glyph_pixels = (380..440)
        .flat_map(|y| (378..600).map(move |x| (x, y)))
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
    // Five minutes later the right PIN opens head mode.
    clock.set("2026-11-19 08:56:00");
    rig.ui.global::<PinAdapter>().set_locked(false);
    rig.pin("2468");
    assert_eq!(rig.screen(), Screen::Head);
    let h = rig.ui.global::<HeadAdapter>();
    let c = rig.ui.global::<Confirm>();
    let people: Vec<_> = h.get_people().iter().collect();
    assert_eq!(people.len(), 5);
    assert_eq!(people[0].state, "迟到 11 分钟");
    assert_eq!(people[2].state, "未到");
    // The header counts agree with the rows; the administrator, who has no
    // schedule obligations, is not expected.
    assert_eq!(people[4].state, "休息");
    assert!(h.get_counts().starts_with("应到 4 · 已到 2 · 迟到 2 · 未到 2"), "{}", h.get_counts());

    // Tap a person: their day with why.
    rig.tap("张三");
    assert_eq!(h.get_person_why().row_data(0).unwrap(), "上午迟到 11 分钟：08:41 打卡，应到 08:30");

    // Leave: 王五 on 事假 in the morning. No kind is picked until the head
    // picks one; every action asks first, and 取消 changes nothing.
    rig.tap("请假");
    assert_eq!(h.get_tab(), HeadTab::Leave);
    rig.tap("王五");
    assert_eq!(h.get_leave_kind(), -1);
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
    // A range of days: 王五 on 年休假 from next Tuesday to Thursday.
    rig.tap("年休假");
    for _ in 0..5 {
        rig.tap_nth("+", 0);
    }
    // The last day's "+" (each button's label is found too: #2).
    rig.tap_nth("+", 2);
    rig.tap_nth("+", 2);
    assert_eq!(h.get_leave_dates(), "11-24 周二 – 11-26 周四 · 3 天");
    rig.tap("登记");
    assert_eq!(c.get_text(), "登记 王五 年休假：11-24 周二 – 11-26 周四 · 3 天？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已登记 王五 年休假");
    assert_eq!(h.get_leave_dates(), "11-19 周四", "the next leave starts today");
    // Listed (with its end date), so it can be revoked.
    let lines: Vec<_> = h.get_leave_records().iter().collect();
    let week = lines.iter().find(|l| l.text.contains("王五 年休假 11-24")).expect("the leave over days is listed");
    assert!(week.open && week.text.contains("11-24 周二 – 11-26 周四 · 3 天"), "{}", week.text);
    // Exact times: 赵六 on 公出 15:00–16:00, then revoked (销假); it stays listed as revoked.
    rig.tap("赵六");
    rig.tap("公出");
    rig.tap("时段");
    h.set_leave_from(15 * 60);
    h.set_leave_to(16 * 60);
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

    // Spot check: 张三 absent at 10:40 (he punched in: the check finds what punches could not).
    clock.set("2026-11-19 10:40:00");
    rig.tap("查岗");
    rig.tap_in_row("不在岗", "张三");
    rig.tap_in_row("在岗", "李四");
    // The note is the marked person's own; the row shows it.
    rig.tap_in_row("在岗", "张三");
    rig.tap_in_row("不在岗", "张三");
    rig.tap("串岗");
    assert_eq!(h.get_people().row_data(0).unwrap().note, "串岗");
    assert_eq!(h.get_people().row_data(1).unwrap().note, "");
    rig.tap("提交查岗（已查 2/5）");
    assert_eq!(h.get_message(), "已记录查岗 2 人");
    assert_eq!(h.get_checked(), 0);

    // A staff member's request for a correction, approved by the head.
    clock.set("2026-11-19 13:00:00");
    rig.tap("退出");
    assert_eq!(rig.screen(), Screen::Idle);
    rig.scan("0100000004"); // 赵六 arrives 13:00: the morning had no punch
    clock.set("2026-11-20 09:00:00");
    rig.scan("0100000004");
    rig.tap("我的考勤");
    assert_eq!(rig.screen(), Screen::Month);
    let m = rig.ui.global::<dutyclock::kiosk::ui::MonthAdapter>();
    let days: Vec<_> = m.get_days().iter().collect();
    let idx = days.iter().position(|d| d.date.starts_with("11-19")).unwrap();
    assert!(days[idx].can_request, "{:?}", days[idx]);
    // The picker starts at the missing punch's expected time (the morning's
    // 08:30); a day absent altogether offers a request too.
    assert_eq!(days[idx].missing_at, 8 * 60 + 30);
    let absent = days.iter().find(|d| d.date.starts_with("11-18")).unwrap();
    assert!(absent.can_request && absent.missing_at == 8 * 60 + 30, "{absent:?}");
    rig.shot("month");
    rig.tap_nth("补卡", days[..idx].iter().filter(|d| d.can_request).count());
    assert_eq!(m.get_request_title(), "补卡 11-19 周四：打卡时间和原因");
    rig.tap("提交");
    assert!(m.get_message().starts_with("已提交 11-19 08:30 的补卡申请"), "{}", m.get_message());
    // A request form closes with 取消, sending nothing.
    rig.tap_in_row("补卡", "11-18 周三");
    assert_eq!(m.get_request_day(), days.iter().position(|d| d.date.starts_with("11-18")).unwrap() as i32);
    rig.tap("取消");
    assert_eq!(m.get_request_day(), -1);
    // 请假 from the absent day: 病假, the whole day; no kind is picked
    // until the person picks one.
    assert!(absent.can_request_leave, "{absent:?}");
    rig.tap_in_row("请假", "11-18 周三");
    assert_eq!((m.get_request_title().as_str(), m.get_leave_kind()), ("请假 11-18 周三：假别和时段", -1));
    rig.tap("病假");
    rig.tap("提交");
    assert_eq!(m.get_message(), "已提交 11-18 周三 的病假申请，等待科长审批");
    // Other months: October, then back.
    rig.tap("‹ 上月");
    assert_eq!((m.get_title().as_str(), m.get_months_back()), ("赵六 · 2026年10月", 1));
    assert_eq!(m.get_days().row_count(), 31);
    rig.tap("下月 ›");
    assert_eq!(m.get_title(), "赵六 · 2026年11月");
    rig.tap("返回");
    clock.set("2026-11-20 09:05:00");
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    rig.tap("补卡");
    let reqs: Vec<String> = h.get_requests().iter().map(|r| r.text.to_string()).collect();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    let fix = reqs.iter().find(|r| r.starts_with("赵六 · 补卡 11-19 周四 08:30")).expect("the 补卡 request").clone();
    let leave = reqs.iter().find(|r| r.starts_with("赵六 · 请假 病假 11-18 周三")).expect("the leave request").clone();
    rig.tap_in_row("批准", &fix);
    assert_eq!(c.get_text(), "批准这条补卡申请（补上这次打卡）？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已批准，补卡已生效");
    rig.tap_in_row("批准", &leave);
    assert_eq!(c.get_text(), "批准这条请假申请（登记这次请假）？");
    rig.tap("确认");
    assert_eq!(h.get_message(), "已批准，请假已登记");
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
    // The search finds a person by name, number or card.
    for (q, found) in [("王", "0003 王五"), ("0004", "0004 赵六"), ("100000001", "0001 张三")] {
        a.set_search(q.into());
        a.invoke_search_changed();
        assert_eq!(staff(&a).into_iter().map(|l| l.0).collect::<Vec<_>>(), [found], "search {q:?}");
    }
    a.set_search("王".into());
    a.invoke_search_changed();
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
    let s18 = k.summary("2026-11-18");
    let p18 = s18["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0004").unwrap().clone();
    assert_eq!((p18["status"].as_str(), p18["absent_sessions"].as_u64()), (Some("leave"), Some(0)), "{p18}");
    let s20 = k.summary("2026-11-20");
    let p3 = s20["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == "0003").unwrap().clone();
    assert_eq!(p3["punches"], serde_json::json!(["09:10:00"]), "enrolled card's punch attached");
    assert!(k.ok(&["verify"]).starts_with("ok"));

    // Head mode ends after 60 s without a touch; a question left open and
    // the leave form go with it, and the next head starts clean.
    clock.set("2026-11-20 09:20:00");
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    assert_eq!(rig.screen(), Screen::Head);
    // 补卡 is for the person whose day is shown (张三), even after a
    // spot-check mark for someone else, and it asks first.
    rig.tap("请假");
    rig.tap("事假");
    rig.tap("今日");
    rig.tap("张三");
    rig.tap("查岗");
    rig.tap_in_row("在岗", "李四");
    rig.tap("今日");
    h.invoke_add_punch(1, 12 * 60, 0);
    assert_eq!(c.get_text(), "为 张三 补卡 12:00（忘打卡）？");
    // A scan at the door meanwhile: its result is not hidden behind the
    // head's question, and nobody at the door can answer it.
    rig.scan("0100000099");
    assert_eq!(rig.screen(), Screen::Result);
    slint::platform::update_timers_and_animations();
    assert_eq!(ElementHandle::find_by_accessible_label(&rig.ui, "确认").count(), 0, "no question over the result");
    rig.ui.global::<ResultAdapter>().invoke_done();
    assert_eq!((rig.screen(), c.get_text().as_str()), (Screen::Head, "为 张三 补卡 12:00（忘打卡）？"));
    for _ in 0..ui::MANAGE_IDLE_SECONDS {
        second(&rig);
    }
    assert_eq!(rig.screen(), Screen::Idle);
    assert_eq!((c.get_text().as_str(), h.get_leave_kind(), h.get_checked()), ("", -1, 0));
    rig.scan("0100000002");
    rig.tap("管理");
    rig.pin("2468");
    assert_eq!((c.get_text().as_str(), h.get_leave_kind()), ("", -1), "the next head starts clean");
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
    assert_eq!(state("0003"), ("上班缺卡".to_string(), dutyclock::kiosk::ui::Tone::Bad));
    assert_eq!(state("0004"), ("迟到 11 分钟".to_string(), dutyclock::kiosk::ui::Tone::Warn));
    rig.tap("张三");
    assert_eq!(
        h.get_person_why().iter().map(|s| s.to_string()).collect::<Vec<_>>(),
        vec!["上午旷工：迟到 35 分钟，超过 30 分钟（09:05 打卡，应到 08:30）".to_string()]
    );
    rig.tap("王五");
    assert_eq!(
        h.get_person_why().row_data(0).unwrap(),
        "上午缺上班卡：10:32 打卡晚于时段中点（应到 08:30），请联系科长补卡"
    );
    // The summary: a table of people × figures with their units, this
    // month or last; today's counts in the roster's words.
    rig.tap("汇总");
    assert!(h.get_summary_today().starts_with("今日 11-23 周一：应到 4 · 已到 4"), "{}", h.get_summary_today());
    assert!(h.get_counts().starts_with("应到 4 · 已到 4"), "the roster's header agrees: {}", h.get_counts());
    assert_eq!(h.get_summary_period(), "11-01 周日 至 11-23 周一");
    let cols: Vec<String> = h.get_summary_columns().iter().map(|c| c.to_string()).collect();
    assert_eq!(cols, ["姓名", "出勤", "迟到", "早退", "旷工", "缺卡", "空岗", "查岗不在岗"]);
    let row = |name: &str| -> Vec<String> {
        h.get_summary_rows()
            .iter()
            .map(|r| r.iter().map(|c| c.to_string()).collect::<Vec<_>>())
            .find(|r| r[0] == name)
            .unwrap()
    };
    let zhang = row("张三");
    assert!(zhang[1].ends_with(" 天") && zhang[4].ends_with("天") && zhang[7] == "1 次", "{zhang:?}");
    assert!(row("赵六")[2].contains(" 次 ") && row("赵六")[2].ends_with(" 分钟"), "{:?}", row("赵六"));
    rig.tap("上月");
    assert_eq!(h.get_summary_period(), "10-01 周四 至 10-31 周六");
    rig.tap("本月");
    assert_eq!(h.get_summary_period(), "11-01 周日 至 11-23 周一");
    // A range of days: the last week, then a day more at its start.
    rig.tap("自选日期");
    assert_eq!(h.get_summary_period(), "11-17 周二 至 11-23 周一");
    rig.tap_nth("−", 0);
    assert_eq!(h.get_summary_period(), "11-16 周一 至 11-23 周一");
    // The month grid over the same days, one symbol a day.
    rig.tap("月历");
    let days: Vec<String> = h.get_summary_grid_days().iter().map(|d| d.to_string()).collect();
    assert_eq!(days, ["16", "17", "18", "19", "20", "21", "22", "23"]);
    let grid = |name: &str| -> Vec<(String, bool)> {
        let row = h.get_summary_grid().iter().find(|r| r.name == name).unwrap();
        row.cells.iter().map(|c| (c.symbol.to_string(), c.shaded)).collect()
    };
    let zhao = grid("赵六");
    assert_eq!(zhao[2], ("△".to_string(), true), "11-18: 病假, shaded: {zhao:?}");
    assert_eq!((zhao[5].0.as_str(), zhao[6].0.as_str()), ("●", "●"), "the weekend");
    // 11-19: one punch, late: the afternoon is absent, and 旷工 shows first.
    assert_eq!(grid("张三")[3], ("○".to_string(), false));
    assert_eq!(grid("赵六")[0].0, "○", "11-16: absent");
    assert!(h.get_summary_legend().starts_with("√ 上班 · ● 休息 · × 事假 · △ 病假"));
    rig.tap("表格");
    // A void has its own reasons; 其他 needs the head's words.
    rig.tap("今日");
    rig.tap("王五");
    rig.tap("作废");
    assert_eq!(c.get_text(), "作废 10:32:00 的打卡？请选择原因：");
    rig.tap("其他");
    rig.tap("确认");
    assert_eq!(c.get_text(), "作废 10:32:00 的打卡？请选择原因：", "其他 without words is not taken");
    c.set_free_text("   ".into());
    c.invoke_yes(); // a keyboard's Enter, past the disabled button
    assert_eq!(c.get_text(), "作废 10:32:00 的打卡？请选择原因：", "nor blank words");
    c.set_free_text("  读卡器误读  ".into());
    rig.tap("确认");
    assert_eq!(h.get_message(), "已作废");
    assert!(h.get_person_punches().row_data(0).unwrap().voided);
    rig.tap("退出");
    // The day's record, when it is over, says the same.
    let s23 = k.summary("2026-11-23");
    let p = |no: &str| s23["people"].as_array().unwrap().iter().find(|p| p["staff_no"] == no).unwrap().clone();
    assert_eq!((p("0001")["absent_sessions"].as_u64(), p("0001")["late_count"].as_u64()), (Some(2), Some(0)));
    assert_eq!(p("0004")["late_minutes"], 11);
    assert_eq!(p("0003")["punches"], serde_json::json!([]), "the voided punch");
    let db = rusqlite::Connection::open(k.dir().join("dutyclock.sqlite3")).unwrap();
    let reason: String = db.query_row("SELECT reason FROM punch_voids", [], |r| r.get(0)).unwrap();
    assert_eq!(reason, "其他：读卡器误读");
    // The day's second punch says so; on time, it is 正常 in green.
    clock.set("2026-11-23 12:05:00");
    rig.scan("0100000004");
    assert_eq!((r.get_headline().as_str(), r.get_sub().as_str(), r.get_problem()), ("下班打卡成功", "正常", false));
    assert_eq!((r.get_nth_today().as_str(), r.get_tone()), ("今日第 2 次打卡", dutyclock::kiosk::ui::Tone::Ok));
    assert_eq!((r.get_has_photo(), r.get_initial().as_str()), (false, "赵"), "no photo: the initial");
}

fn shots(rig: &Rig, clock: &TestClock) {
    let _ = std::fs::remove_dir_all(&rig.shots);
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
            // The leave request form over the month.
            let m = rig.ui.global::<dutyclock::kiosk::ui::MonthAdapter>();
            let day = m.get_days().iter().position(|d| d.can_request_leave).expect("a day to ask leave for");
            m.invoke_open_request(day as i32, 1);
            m.set_leave_kind(1);
            rig.shot("month-request-leave");
            m.set_request_day(-1);
            rig.scan("0100000002");
            rig.ui.global::<ResultAdapter>().invoke_manage();
            rig.shot("pin");
            for d in "2468".chars() {
                rig.ui.global::<PinAdapter>().invoke_digit(d.to_string().into());
            }
            rig.ui.global::<PinAdapter>().invoke_submit();
            let head = rig.ui.global::<HeadAdapter>();
            head.invoke_open_person(0);
            rig.shot("head-roster");
            // A void asks first, with its own reasons.
            let punch = head.get_person_punches().row_data(0).expect("张三's punch").id;
            head.invoke_void_punch(punch, -1);
            rig.shot("head-confirm-void");
            rig.ui.global::<Confirm>().invoke_no();
            for (tab, name) in [
                (HeadTab::Leave, "head-leave"),
                (HeadTab::Check, "head-check"),
                (HeadTab::Corrections, "head-corrections"),
                (HeadTab::Summary, "head-summary"),
            ] {
                head.invoke_show_tab(tab);
                rig.shot(name);
            }
            head.set_summary_view(1);
            rig.shot("head-summary-grid");
            head.set_summary_view(0);
            head.invoke_show_tab(HeadTab::Leave);
            head.set_leave_view(1);
            rig.shot("head-leave-list");
            head.set_leave_view(0);
            head.invoke_logout();
            rig.scan("0100000009");
            rig.ui.global::<ResultAdapter>().invoke_manage();
            for d in "1357".chars() {
                rig.ui.global::<PinAdapter>().invoke_digit(d.to_string().into());
            }
            rig.ui.global::<PinAdapter>().invoke_submit();
            rig.shot("admin");
            rig.ui.global::<AdminAdapter>().invoke_logout();
        }
    }
    let n = std::fs::read_dir(&rig.shots).unwrap().count();
    assert_eq!(n, 15 * 4, "screenshots written");
}
