//! Badge readers over real pseudo-terminals (`TTYPort::pair()`): the
//! byte-exact frames of each kind, split and glued reads, noise, bad
//! checksums, a held card, unplug and replug at the same path; and
//! property tests feeding arbitrary bytes to every frame parser.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use dutyclock::config::{IdFormat, ReaderConfig, ReaderKind};
use dutyclock::reader::frames::{Decoded, Decoder, Em4100, LineFormat, Lines};
use dutyclock::reader::keyboard::Keyboard;
use dutyclock::reader::pn532::{self, Frame, Parser};
use dutyclock::reader::{self, ReaderEvent, ReaderHandle, ReaderState};
use proptest::prelude::*;
use serialport::{SerialPort, TTYPort};

const RDM: [u8; 14] = [0x02, 0x30, 0x31, 0x30, 0x30, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x38, 0x38, 0x03];

/// EM4100 ASCII frame for a 5-byte id.
fn em_frame(id: [u8; 5], crlf: bool) -> Vec<u8> {
    let x = id.iter().fold(0, |a, b| a ^ b);
    let mut f = vec![0x02];
    f.extend(id.iter().chain(std::iter::once(&x)).flat_map(|b| format!("{b:02X}").into_bytes()));
    if crlf {
        f.extend(b"\r\n");
    }
    f.push(0x03);
    f
}

/// A pty pair whose slave is reachable through a symlink in a temp dir.
struct Pty {
    master: TTYPort,
    _slave: TTYPort,
}

fn pty() -> (Pty, String) {
    let (master, slave) = TTYPort::pair().expect("pty pair");
    let name = slave.name().expect("slave name");
    (Pty { master, _slave: slave }, name)
}

fn start(kind: ReaderKind, device: &Path, id_format: IdFormat) -> (ReaderHandle, Receiver<ReaderEvent>) {
    let (tx, rx) = mpsc::channel();
    let cfg = ReaderConfig { kind, device: Some(device.display().to_string()), id_format, ..ReaderConfig::default() };
    (reader::start(&cfg, tx).unwrap(), rx)
}

/// The next card (skipping state events), or None within the timeout.
fn next_card(rx: &Receiver<ReaderEvent>, within: Duration) -> Option<String> {
    let until = std::time::Instant::now() + within;
    loop {
        let left = until.checked_duration_since(std::time::Instant::now())?;
        match rx.recv_timeout(left) {
            Ok(ReaderEvent::Card(c)) => return Some(c),
            Ok(_) => {}
            Err(_) => return None,
        }
    }
}

fn next_state(rx: &Receiver<ReaderEvent>, want: ReaderState, within: Duration) -> String {
    let until = std::time::Instant::now() + within;
    loop {
        let left = until.checked_duration_since(std::time::Instant::now()).expect("state in time");
        match rx.recv_timeout(left) {
            Ok(ReaderEvent::State(s, detail)) if s == want => return detail,
            Ok(_) => {}
            Err(e) => panic!("no {want:?} state: {e}"),
        }
    }
}

fn write(p: &mut Pty, bytes: &[u8]) {
    p.master.write_all(bytes).unwrap();
    p.master.flush().unwrap();
}

const WAIT: Duration = Duration::from_secs(3);

#[test]
fn rdm6300_over_a_pty_split_glued_noisy_and_corrupt() {
    let (mut p, name) = pty();
    let (h, rx) = start(ReaderKind::Rdm6300, Path::new(&name), IdFormat::Hex);
    next_state(&rx, ReaderState::Connected, WAIT);
    // Byte-exact frame of FIELD-NOTES.md.
    write(&mut p, &RDM);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));
    // Split across reads.
    let f2 = em_frame([0x02, 0, 0, 0, 0x02], false);
    for chunk in f2.chunks(4) {
        write(&mut p, chunk);
        std::thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0200000002"));
    // Glued with another card, with noise around, and a bad checksum between.
    let mut bad = em_frame([0x03, 0, 0, 0, 0x03], false);
    bad[11] = b'F';
    let glued: Vec<u8> = [
        &b"\xffnoise"[..],
        &bad,
        &em_frame([0x04, 0, 0, 0, 4], false),
        b"\x00\x13",
        &em_frame([0x05, 0, 0, 0, 5], false),
    ]
    .concat();
    write(&mut p, &glued);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0400000004"));
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0500000005"));
    assert_eq!(next_card(&rx, Duration::from_millis(300)), None, "the corrupt frame gave no card");
    assert!(h.health.dropped.load(std::sync::atomic::Ordering::Relaxed) >= 1);
}

#[test]
fn a_held_card_is_one_scan_over_a_pty() {
    let (mut p, name) = pty();
    let (_h, rx) = start(ReaderKind::Rdm6300, Path::new(&name), IdFormat::Hex);
    next_state(&rx, ReaderState::Connected, WAIT);
    // The module repeats the frame every ~100 ms while the card is held.
    for _ in 0..12 {
        write(&mut p, &RDM);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));
    assert_eq!(next_card(&rx, Duration::from_millis(200)), None, "one hold, one scan");
    // Lifted, then scanned again.
    std::thread::sleep(Duration::from_millis(reader::HOLD_GAP_MS as u64 + 200));
    write(&mut p, &RDM);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));
}

#[test]
fn id12_and_line_readers_over_a_pty() {
    let (mut p, name) = pty();
    let (_h, rx) = start(ReaderKind::Id12, Path::new(&name), IdFormat::Hex);
    next_state(&rx, ReaderState::Connected, WAIT);
    let frame: Vec<u8> = [&RDM[..13], b"\r\n\x03"].concat();
    write(&mut p, &frame);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));

    let (mut p, name) = pty();
    let (_h, rx) = start(ReaderKind::Lines, Path::new(&name), IdFormat::Decimal);
    next_state(&rx, ReaderState::Connected, WAIT);
    write(&mut p, b"00112");
    write(&mut p, b"59375\r\nnot-a-number\n0000000002\n");
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("#0011259375"));
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("#0000000002"));

    let (mut p, name) = pty();
    let (_h, rx) = start(ReaderKind::Lines, Path::new(&name), IdFormat::Hex);
    next_state(&rx, ReaderState::Connected, WAIT);
    write(&mut p, b"04a1b2c3\n");
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("04A1B2C3"));
}

#[test]
fn unplug_and_replug_at_the_same_path() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("usb-reader");
    let (mut p1, name1) = pty();
    std::os::unix::fs::symlink(&name1, &link).unwrap();
    let (_h, rx) = start(ReaderKind::Rdm6300, &link, IdFormat::Hex);
    next_state(&rx, ReaderState::Connected, WAIT);
    write(&mut p1, &RDM);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));
    // Unplug: the pty closes.
    drop(p1);
    let detail = next_state(&rx, ReaderState::Disconnected, WAIT);
    assert!(detail.contains("usb-reader"), "{detail}");
    // A new reader appears at the same path.
    let (mut p2, name2) = pty();
    std::fs::remove_file(&link).unwrap();
    std::os::unix::fs::symlink(&name2, &link).unwrap();
    next_state(&rx, ReaderState::Connected, Duration::from_secs(6));
    write(&mut p2, &em_frame([0x07, 0, 0, 0, 7], false));
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0700000007"));
}

#[test]
fn a_missing_device_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let path: PathBuf = dir.path().join("nothing-here");
    let (_h, rx) = start(ReaderKind::Rdm6300, &path, IdFormat::Hex);
    let detail = next_state(&rx, ReaderState::Disconnected, WAIT);
    assert!(detail.contains("no device") && detail.contains("/dev/serial/by-id"), "{detail}");
}

/// A PN532 on the far end of the pty: answers SAMConfiguration and
/// InListPassiveTarget (with a card when one is on it), sends one corrupt
/// reply and one error frame to make the driver resynchronize.
fn fake_pn532(mut port: TTYPort, uids: Vec<Vec<u8>>, stop: std::sync::Arc<std::sync::atomic::AtomicBool>) {
    port.set_timeout(Duration::from_millis(20)).unwrap();
    let mut parser = Parser::default();
    let mut frames = Vec::new();
    let mut buf = [0u8; 256];
    let mut polls = 0usize;
    let mut uids = uids.into_iter();
    while !stop.load(std::sync::atomic::Ordering::SeqCst) {
        let n = match port.read(&mut buf) {
            Ok(n) => n,
            Err(_) => continue,
        };
        parser.push(&buf[..n], &mut frames);
        for f in frames.drain(..) {
            let Frame::Info { tfi: 0xD4, data } = f else {
                continue;
            };
            let _ = port.write_all(&pn532::ACK);
            match data[0] {
                0x14 => {
                    let _ = port.write_all(&pn532::frame(0xD5, &[0x15]));
                }
                0x4A => {
                    polls += 1;
                    if polls == 2 {
                        // A corrupt reply (bad DCS): dropped; the driver times out and aborts.
                        let mut bad = pn532::frame(0xD5, &[0x4B, 0x00]);
                        let l = bad.len();
                        bad[l - 2] ^= 0x55;
                        let _ = port.write_all(&bad);
                        continue;
                    }
                    if polls == 3 {
                        // An error frame: the driver wakes the chip again.
                        let _ = port.write_all(&[0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00]);
                        continue;
                    }
                    if polls.is_multiple_of(2) {
                        continue; // no card: the host aborts with an ACK
                    }
                    if let Some(uid) = uids.next() {
                        let mut reply = vec![0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, uid.len() as u8];
                        if uid.len() == 7 {
                            reply[4] = 0x44;
                            reply[5] = 0x00;
                        }
                        reply.extend(&uid);
                        let _ = port.write_all(&pn532::frame(0xD5, &reply));
                    }
                }
                _ => {}
            }
        }
    }
}

#[test]
fn pn532_over_a_pty_polls_4_and_7_byte_uids_through_errors() {
    let (master, slave) = TTYPort::pair().unwrap();
    let name = slave.name().unwrap();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let s2 = stop.clone();
    let chip = std::thread::spawn(move || {
        fake_pn532(master, vec![vec![0xDE, 0xAD, 0xBE, 0xEF], vec![0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]], s2)
    });
    let (h, rx) = start(ReaderKind::Pn532, Path::new(&name), IdFormat::Hex);
    assert_eq!(next_card(&rx, Duration::from_secs(8)).as_deref(), Some("DEADBEEF"));
    assert_eq!(next_card(&rx, Duration::from_secs(8)).as_deref(), Some("04112233445566"));
    assert!(h.health.dropped.load(std::sync::atomic::Ordering::Relaxed) >= 1, "the corrupt reply was counted");
    drop(h);
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    chip.join().unwrap();
    drop(slave);
}

fn feed(d: &mut dyn Decoder, chunks: &[Vec<u8>]) -> Vec<Decoded> {
    let mut out = Vec::new();
    for c in chunks {
        d.push(c, &mut out);
    }
    out
}

fn chunked(bytes: Vec<u8>, cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = bytes;
    for &c in cuts {
        let at = c.min(rest.len());
        let tail = rest.split_off(at);
        out.push(rest);
        rest = tail;
    }
    out.push(rest);
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Any bytes, cut anywhere, then a good frame: no panic, and the good frame decodes.
    #[test]
    fn em4100_decoders_survive_any_bytes(noise in prop::collection::vec(any::<u8>(), 0..300), cuts in prop::collection::vec(0usize..64, 0..8)) {
        for crlf in [false, true] {
            let mut d = if crlf { Em4100::id12() } else { Em4100::rdm6300() };
            let good = em_frame([0x01, 0x00, 0xAB, 0xCD, 0xEF], crlf);
            let out = feed(&mut d, &chunked([noise.clone(), good].concat(), &cuts));
            prop_assert_eq!(out.last(), Some(&Decoded::Card("0100ABCDEF".into())));
        }
    }

    #[test]
    fn line_decoders_survive_any_bytes(noise in prop::collection::vec(any::<u8>(), 0..300), cuts in prop::collection::vec(0usize..64, 0..8)) {
        let mut d = Lines::new(LineFormat::Hex);
        let out = feed(&mut d, &chunked([noise.clone(), b"\n04A1B2C3\n".to_vec()].concat(), &cuts));
        prop_assert_eq!(out.last(), Some(&Decoded::Card("04A1B2C3".into())));
        let mut d = Lines::new(LineFormat::Decimal);
        let out = feed(&mut d, &chunked([noise, b"\r0011259375\r".to_vec()].concat(), &cuts));
        prop_assert_eq!(out.last(), Some(&Decoded::Card("#0011259375".into())));
    }

    #[test]
    fn keyboard_decoder_survives_any_bytes(noise in prop::collection::vec(any::<u8>(), 0..500)) {
        let mut d = Keyboard::new(LineFormat::Hex);
        let mut out = Vec::new();
        d.push(&noise, &mut out);
    }

    #[test]
    fn pn532_parser_survives_any_bytes(noise in prop::collection::vec(any::<u8>(), 0..300), cuts in prop::collection::vec(0usize..64, 0..8)) {
        let reply = pn532::frame(0xD5, &[0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]);
        let mut p = Parser::default();
        let mut out = Vec::new();
        // A run of zeros (an idle line) separates the noise from the reply.
        for c in chunked([noise, vec![0u8; 300], reply].concat(), &cuts) {
            p.push(&c, &mut out);
        }
        let last = out.last().cloned();
        let uid = match last { Some(Frame::Info { data, .. }) => pn532::target_uid(&data), _ => None };
        prop_assert_eq!(uid.as_deref(), Some("DEADBEEF"));
    }
}
