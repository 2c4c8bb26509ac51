//! The touchscreen on its production path: the real reader over a pty, the
//! kiosk loop on its own thread (`ui::start`, as `run` starts it), answers
//! posted to the UI thread with `upgrade_in_event_loop` and applied there
//! (the headless platform's event loop is [`headless::pump`]). A store that
//! cannot be used is said on the window, and scans are told "not recorded"
//! until it can; a reader that goes away turns its mark red.
//!
//! Slint allows one platform per process: one test in this file.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Kiosk, TestClock};
use dutyclock::domain::config::Config;
use dutyclock::kiosk::live::Listener;
use dutyclock::kiosk::live::LiveEvent;
use dutyclock::kiosk::store::Store;
use dutyclock::kiosk::ui::{self, headless, App, IdleAdapter, KioskWindow, ResultAdapter, Screen, Tone};
use serialport::{SerialPort, TTYPort};
use slint::ComponentHandle;

fn em_frame(id: [u8; 5]) -> Vec<u8> {
    let x = id.iter().fold(0, |a, b| a ^ b);
    let mut f = vec![0x02];
    f.extend(id.iter().chain(std::iter::once(&x)).flat_map(|b| format!("{b:02X}").into_bytes()));
    f.push(0x03);
    f
}

/// A listener that keeps every event's line.
struct Heard(Arc<Mutex<Vec<String>>>);

impl Listener for Heard {
    fn event(&mut self, e: &LiveEvent) {
        self.0.lock().unwrap().push(e.to_line());
    }
}

/// Pumps the UI thread's posted work until `done` holds.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        headless::pump();
        if done() {
            return;
        }
        assert!(std::time::Instant::now() < until, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_window_on_its_production_path() {
    let _window = headless::install(800, 480);
    let (mut master, slave) = TTYPort::pair().unwrap();
    let cfg = format!(
        "kiosk_id = \"hall\"\nunits = [\"办公室\"]\n[reader]\nkind = \"rdm6300\"\ndevice = \"{}\"\n\
         [schedules.default]\nsessions = [{{ start = \"08:30\", end = \"12:00\" }}, {{ start = \"14:30\", end = \"17:30\" }}]\n",
        slave.name().unwrap()
    );
    let k = Kiosk::new(&cfg);
    k.import(&["staff", "import"], &k.file("s.csv", "staff_no,name,unit,cards\n0001,张三,办公室,0100000001\n"));
    let db = k.dir().join("dutyclock.sqlite3");
    // Damaged: a stored date that does not parse. The kiosk cannot judge.
    let raw = rusqlite::Connection::open(&db).unwrap();
    raw.execute_batch("UPDATE staff_versions SET active_from = 'garbage'").unwrap();
    let config: &'static Config = Box::leak(Box::new(Config::load(&k.dir().join("config.toml")).unwrap()));
    let clock = TestClock::at("2026-11-19 08:41");

    let window = KioskWindow::new().unwrap();
    let store = Store::open(&db).unwrap();
    let c = clock.clone();
    // A further listener on the loop, as sync and the buzzer will be.
    let heard = Arc::new(Mutex::new(Vec::<String>::new()));
    let listener = Box::new(Heard(heard.clone()));
    let kiosk = ui::start(&window, config, store, move || Box::new(c.clone()), vec![listener]).unwrap();
    window.show().unwrap();
    let idle = window.global::<IdleAdapter>();
    let result = window.global::<ResultAdapter>();

    wait_until("the fault banner", || !idle.get_fault().is_empty());
    let fault = idle.get_fault().to_string();
    assert!(fault.contains("考勤数据库无法使用") && fault.contains("staff_versions.active_from"), "{fault}");
    wait_until("the reader's mark", || idle.get_reader_label() == "读卡器正常");
    // A scan now is told, in red, that it was not recorded.
    master.write_all(&em_frame([0x01, 0, 0, 0, 0x77])).unwrap();
    wait_until("the not-recorded result", || result.get_headline() == "未能保存");
    assert_eq!(result.get_todo(), "请重新刷卡");
    assert_eq!(result.get_tone(), Tone::Bad);
    assert_eq!(window.global::<App>().get_screen(), Screen::Result);
    let punches: i64 = raw.query_row("SELECT count(*) FROM punches", [], |r| r.get(0)).unwrap();
    assert_eq!(punches, 0, "and it was not");
    assert!(heard.lock().unwrap().iter().any(|e| e.starts_with("{\"event\":\"not_recorded\"")), "listeners hear it");
    // A request from the screen meanwhile is answered too, not dropped.
    window.global::<App>().invoke_toggle_language();
    let head = window.global::<dutyclock::kiosk::ui::HeadAdapter>();
    wait_until("the answer to a request", || head.get_message().contains("考勤数据库无法使用"));
    window.global::<App>().set_zh(true);

    // Repaired: the loop opens the store again by itself; the banner goes.
    raw.execute_batch("UPDATE staff_versions SET active_from = NULL").unwrap();
    wait_until("the banner to clear", || idle.get_fault().is_empty());
    // A real scan through the pty, the loop thread and back to the window.
    master.write_all(&em_frame([0x01, 0, 0, 0, 0x01])).unwrap();
    wait_until("张三's result", || result.get_name() == "张三");
    assert_eq!(result.get_headline(), "迟到 11 分钟");
    assert_eq!(result.get_why(), "08:41 打卡，应到 08:30");
    let punches: i64 = raw.query_row("SELECT count(*) FROM punches", [], |r| r.get(0)).unwrap();
    assert_eq!(punches, 1);
    // 查询 on the idle screen, through the kiosk loop's thread: the next
    // card from the reader opens the month and is not a punch.
    window.global::<App>().set_screen(Screen::Idle);
    idle.invoke_arm(1);
    assert_eq!(idle.get_armed(), 1);
    std::thread::sleep(std::time::Duration::from_millis(900)); // a new hold of the card
    master.write_all(&em_frame([0x01, 0, 0, 0, 0x01])).unwrap();
    wait_until("张三's month", || window.global::<App>().get_screen() == Screen::Month);
    assert_eq!(idle.get_armed(), 0);
    let punches: i64 = raw.query_row("SELECT count(*) FROM punches", [], |r| r.get(0)).unwrap();
    assert_eq!(punches, 1, "looking stored no punch");
    assert!(
        heard.lock().unwrap().iter().any(|e| e.starts_with("{\"event\":\"identified\"")),
        "listeners hear the identification"
    );
    // A card id typed into the window (the demo strip, a keyboard) is a scan
    // of the event loop like the reader's: every listener hears it.
    clock.set("2026-11-19 12:01");
    window.global::<App>().invoke_simulate_scan("0100000001".into());
    wait_until("the typed scan's result", || result.get_headline() == "下班打卡成功");
    let heard_now = heard.lock().unwrap().clone();
    assert_eq!(heard_now.iter().filter(|e| e.starts_with("{\"event\":\"punch\"")).count(), 2, "{heard_now:?}");

    // The reader goes away: its mark turns red, and the screen says so.
    drop(master);
    drop(slave);
    wait_until("the reader's red mark", || idle.get_reader_tone() == Tone::Bad);
    assert!(result.get_headline().starts_with("读卡器"), "{}", result.get_headline());
    drop(kiosk);
}
