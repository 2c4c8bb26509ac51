//! `cargo bench --bench ui_frame`: the time from a live event reaching the
//! UI thread to the frame that shows it, with Slint's software renderer at
//! 800×480 (a 60 Hz frame is 16.7 ms). The punch itself is committed
//! before the event exists, so it is not in the timed span.

use std::cell::RefCell;
use std::path::Path;
use std::rc::Rc;
use std::time::Instant as Mono;

use dutyclock::domain::config::Config;
use dutyclock::domain::model::Staff;
use dutyclock::kiosk::service::Service;
use dutyclock::kiosk::store::Store;
use dutyclock::kiosk::ui::{self, headless, KioskWindow, Session};
use dutyclock::kiosk::Core;
use slint::ComponentHandle;

const CONFIG: &str = "kiosk_id = \"bench\"\nunits = [\"办公室\"]\n[schedules.default]\nduplicate_scan_seconds = 0\n";
const EVENTS: usize = 500;

fn main() {
    let window = headless::install(800, 480);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("db.sqlite3");
    let mut store = Store::create(&db).unwrap();
    let mut w = store.writer().unwrap();
    for i in 0..50 {
        let s = Staff::plain(format!("{i:04}"), format!("员工{i}"), "办公室");
        w.put_staff(&s, 0).unwrap();
        w.assign_card(&format!("01000000{i:02X}"), &s.staff_no, None, "2026-01-01".parse().unwrap(), 0).unwrap();
    }
    w.commit().unwrap();
    let config: &'static Config = Box::leak(Box::new(Config::parse(CONFIG, Path::new("bench.toml")).unwrap()));
    let core = Core::new(config, store, Box::new(dutyclock::kiosk::clock::SystemClock)).unwrap();
    let mut svc = Service::new(core);
    let ui_ = KioskWindow::new().unwrap();
    let shared: ui::Shared = Rc::new(RefCell::new(Session::default()));
    ui_.show().unwrap();
    headless::render(&window);
    let mut times = Vec::with_capacity(EVENTS);
    for i in 0..EVENTS {
        // The event, committed and put into words on the worker's side (not timed).
        let view = svc.scan(&format!("01000000{:02X}", i % 50));
        let t = Mono::now();
        ui::show_result(&ui_, &shared, &view);
        let (_, _, px) = headless::render(&window);
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(px);
        ui::show_result(&ui_, &shared, &view); // keep the result screen; next event re-renders
    }
    // The baseline, same run: a full repaint of the result screen with
    // nothing changed (what a frame costs without the event's work).
    let mut base = Vec::with_capacity(EVENTS);
    for _ in 0..EVENTS {
        let t = Mono::now();
        let (_, _, px) = headless::render(&window);
        base.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(px);
    }
    let q = |v: &mut Vec<f64>, x: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() - 1) as f64 * x).round() as usize]
    };
    println!("{EVENTS} live events → rendered 800x480 frame (software renderer)");
    println!(
        "event_to_frame_p50_ms={:.2} event_to_frame_p99_ms={:.2} event_to_frame_max_ms={:.2} frame_budget_ms=16.7",
        q(&mut times, 0.5),
        q(&mut times, 0.99),
        q(&mut times, 1.0)
    );
    println!(
        "baseline_repaint_p50_ms={:.2} baseline_repaint_p99_ms={:.2} (the same screen redrawn, nothing changed)",
        q(&mut base, 0.5),
        q(&mut base, 0.99)
    );
}
