//! A keyboard-wedge reader as a real virtual input device (uinput): the
//! kiosk grabs it and decodes its keys. It needs a writable `/dev/uinput`
//! (root, or the `input` group, and the uinput module), which CI machines
//! and containers usually lack, so it is ignored by default and reported
//! as such; run it where the device exists with
//! `cargo test --test uinput -- --ignored`. Without the device it fails,
//! saying so: it never passes silently. (The decoder itself is tested with
//! recorded events in `src/reader/keyboard.rs`.)

use std::io::Write;
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::time::Duration;

use dutyclock::domain::config::{IdFormat, ReaderConfig, ReaderKind};
use dutyclock::kiosk::reader::keyboard::{code_for, encode_event};
use dutyclock::kiosk::reader::{self, ReaderEvent};

const UI_SET_EVBIT: libc::c_ulong = 0x4004_5564;
const UI_SET_KEYBIT: libc::c_ulong = 0x4004_5565;
const UI_DEV_CREATE: libc::c_ulong = 0x5501;
const UI_DEV_DESTROY: libc::c_ulong = 0x5502;
const EV_KEY: libc::c_int = 1;

/// `struct uinput_user_dev`: name[80], input_id (4 × u16), ff_effects_max,
/// absmax/absmin/absfuzz/absflat [64 × i32 each].
fn user_dev(name: &str) -> Vec<u8> {
    let mut d = vec![0u8; 80 + 8 + 4 + 4 * 64 * 4];
    d[..name.len()].copy_from_slice(name.as_bytes());
    d[80..82].copy_from_slice(&3u16.to_ne_bytes()); // BUS_USB
    d[82..84].copy_from_slice(&0x1234u16.to_ne_bytes());
    d[84..86].copy_from_slice(&0x5678u16.to_ne_bytes());
    d
}

fn find_event_device(name: &str) -> Option<String> {
    let list = std::fs::read_to_string("/proc/bus/input/devices").ok()?;
    let block = list.split("\n\n").find(|b| b.contains(name))?;
    let handlers = block.lines().find(|l| l.starts_with("H: Handlers="))?;
    let ev = handlers.split_whitespace().find(|h| h.starts_with("event"))?;
    Some(format!("/dev/input/{ev}"))
}

#[test]
#[ignore = "needs a writable /dev/uinput: cargo test --test uinput -- --ignored where it exists"]
fn a_virtual_keyboard_wedge_reader_is_grabbed_and_decoded() {
    let mut ui = std::fs::OpenOptions::new().write(true).open("/dev/uinput").unwrap_or_else(|e| {
        panic!("this test needs a writable /dev/uinput (modprobe uinput; root or group input): {e}")
    });
    let fd = ui.as_raw_fd();
    // SAFETY: ioctls on an open uinput fd with int arguments.
    unsafe {
        assert!(libc::ioctl(fd, UI_SET_EVBIT as _, EV_KEY) >= 0);
        for c in b"0123456789ABCDEF\n" {
            libc::ioctl(fd, UI_SET_KEYBIT as _, code_for(*c).unwrap() as libc::c_int);
        }
    }
    ui.write_all(&user_dev("dutyclock-test-wedge")).unwrap();
    // SAFETY: as above.
    assert!(unsafe { libc::ioctl(fd, UI_DEV_CREATE as _) } >= 0);
    std::thread::sleep(Duration::from_millis(300));
    let device = find_event_device("dutyclock-test-wedge").expect("the new device is listed");
    let (tx, rx) = mpsc::channel();
    let cfg = ReaderConfig {
        kind: ReaderKind::Keyboard,
        device: Some(device),
        id_format: IdFormat::Decimal,
        ..ReaderConfig::default()
    };
    let _h = reader::start(&cfg, tx).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    for c in b"0011259375\n" {
        let code = code_for(*c).unwrap();
        ui.write_all(&encode_event(1, code, 1)).unwrap();
        ui.write_all(&encode_event(0, 0, 0)).unwrap();
        ui.write_all(&encode_event(1, code, 0)).unwrap();
        ui.write_all(&encode_event(0, 0, 0)).unwrap();
    }
    let mut card = None;
    while let Ok(e) = rx.recv_timeout(Duration::from_secs(3)) {
        if let ReaderEvent::Card(c) = e {
            card = Some(c);
            break;
        }
    }
    // SAFETY: as above.
    unsafe { libc::ioctl(fd, UI_DEV_DESTROY as _) };
    assert_eq!(card.as_deref(), Some("#0011259375"));
}
