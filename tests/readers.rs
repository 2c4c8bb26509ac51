//! Badge readers over real pseudo-terminals (`TTYPort::pair()`): the
//! byte-exact frames of each kind, split and glued reads, noise, bad
//! checksums, a held card, unplug and replug at the same path; and
//! property tests feeding arbitrary bytes to every frame parser.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver};
use std::time::Duration;

use dutyclock::domain::config::{IdFormat, ReaderConfig, ReaderKind};
use dutyclock::kiosk::reader::frames::{Decoded, Decoder, Em4100, LineFormat, Lines};
use dutyclock::kiosk::reader::keyboard::Keyboard;
use dutyclock::kiosk::reader::pn532::{self, Frame, Parser};
use dutyclock::kiosk::reader::{self, Ended, ReaderEvent, ReaderHandle, ReaderState};
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
    // A card held on the reader answers every poll that reaches it, so a
    // poll lost to a stalled thread is not a card lost for good.
    let mut uids = uids.into_iter().cycle();
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
                    if polls == 5 {
                        // LEN = 0 and LCS = 0: the length sum holds, but there is
                        // no TFI. It once killed the reader thread.
                        let _ = port.write_all(&[0x00, 0x00, 0xFF, 0x00, 0x00, 0x00]);
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
    let mut cards = std::collections::BTreeSet::new();
    let mut states = Vec::new();
    let until = std::time::Instant::now() + Duration::from_secs(30);
    while cards.len() < 2 && std::time::Instant::now() < until {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(ReaderEvent::Card(c)) => {
                cards.insert(c);
            }
            Ok(ReaderEvent::State(st, detail)) => states.push((st, detail)),
            Err(_) => {}
        }
    }
    assert_eq!(cards, ["04112233445566".to_string(), "DEADBEEF".to_string()].into(), "{states:?}");
    assert!(
        !states.iter().any(|(_, d)| d.contains("stopped") || d.contains("ended")),
        "the reader thread never died: {states:?}"
    );
    // The reply with a bad DCS and the frame with LEN = 0.
    assert!(h.health.dropped.load(std::sync::atomic::Ordering::Relaxed) >= 2, "both corrupt replies were counted");
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

/// Pieces of a PN532 byte stream as a real line carries them: whole
/// frames with right or wrong lengths and checksums, the chip's short
/// frames, preambles, cut-off frames and noise.
#[derive(Debug, Clone)]
enum Pn {
    Frame(u8, Vec<u8>),
    Ack,
    Nack,
    Error,
    /// LEN = 0, LCS = 0 (the sum holds, no TFI), then some bytes.
    EmptyInfo(Vec<u8>),
    BadDcs(u8, Vec<u8>),
    BadLcs(u8, Vec<u8>),
    /// A frame cut short after this many bytes.
    Cut(Vec<u8>, usize),
    Preamble,
    WakeUp,
    Noise(Vec<u8>),
}

impl Pn {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Pn::Frame(tfi, d) => pn532::frame(*tfi, d),
            Pn::Ack => pn532::ACK.to_vec(),
            Pn::Nack => pn532::NACK.to_vec(),
            Pn::Error => vec![0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00],
            Pn::EmptyInfo(tail) => [&[0x00, 0x00, 0xFF, 0x00, 0x00][..], tail].concat(),
            Pn::BadDcs(tfi, d) => {
                let mut f = pn532::frame(*tfi, d);
                let l = f.len();
                f[l - 2] = f[l - 2].wrapping_add(1);
                f
            }
            Pn::BadLcs(tfi, d) => {
                let mut f = pn532::frame(*tfi, d);
                f[4] = f[4].wrapping_add(1);
                f
            }
            Pn::Cut(d, n) => {
                let f = pn532::frame(0xD5, d);
                f[..(*n).min(f.len() - 1)].to_vec()
            }
            Pn::Preamble => vec![0x00, 0x00, 0xFF],
            Pn::WakeUp => pn532::WAKE_UP.to_vec(),
            Pn::Noise(n) => n.clone(),
        }
    }

    /// The frame the parser must give for it, when it stands in a clean stream.
    fn frame(&self) -> Option<Frame> {
        match self {
            // A body of exactly 7F is the chip's error frame.
            Pn::Frame(0x7F, d) if d.is_empty() => Some(Frame::Error),
            Pn::Frame(tfi, d) => Some(Frame::Info { tfi: *tfi, data: d.clone() }),
            Pn::Ack => Some(Frame::Ack),
            Pn::Nack => Some(Frame::Nack),
            Pn::Error => Some(Frame::Error),
            _ => None,
        }
    }
}

fn data() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..24),
        // The longest frames (LEN 255).
        prop::collection::vec(any::<u8>(), 250..=254),
    ]
}

fn pn_piece() -> impl Strategy<Value = Pn> {
    prop_oneof![
        4 => (any::<u8>(), data()).prop_map(|(t, d)| Pn::Frame(t, d)),
        1 => Just(Pn::Ack),
        1 => Just(Pn::Nack),
        1 => Just(Pn::Error),
        2 => prop::collection::vec(any::<u8>(), 0..8).prop_map(Pn::EmptyInfo),
        2 => (any::<u8>(), data()).prop_map(|(t, d)| Pn::BadDcs(t, d)),
        2 => (any::<u8>(), data()).prop_map(|(t, d)| Pn::BadLcs(t, d)),
        2 => (data(), 0usize..30).prop_map(|(d, n)| Pn::Cut(d, n)),
        1 => Just(Pn::Preamble),
        1 => Just(Pn::WakeUp),
        1 => prop::collection::vec(any::<u8>(), 0..40).prop_map(Pn::Noise),
    ]
}

/// Pieces of an EM4100 ASCII stream: good frames, bad checksums, wrong
/// lengths, non-hex digits, stray STX/ETX, CR LF where it does not belong.
#[derive(Debug, Clone)]
enum Em {
    Good([u8; 5]),
    BadChecksum([u8; 5]),
    Short([u8; 5], usize),
    NonHex([u8; 5], usize),
    Stx,
    Etx,
    Crlf,
    Noise(Vec<u8>),
}

impl Em {
    fn bytes(&self, crlf: bool) -> Vec<u8> {
        match self {
            Em::Good(id) => em_frame(*id, crlf),
            Em::BadChecksum(id) => {
                let mut f = em_frame(*id, crlf);
                f[11] = if f[11] == b'0' { b'1' } else { b'0' };
                f
            }
            Em::Short(id, n) => {
                let mut f = em_frame(*id, crlf);
                let keep = 1 + n % 10;
                let etx = f.pop().unwrap();
                f.truncate(keep);
                f.push(etx);
                f
            }
            Em::NonHex(id, i) => {
                let mut f = em_frame(*id, crlf);
                f[1 + i % 12] = b'G';
                f
            }
            Em::Stx => vec![0x02],
            Em::Etx => vec![0x03],
            Em::Crlf => b"\r\n".to_vec(),
            Em::Noise(n) => n.clone(),
        }
    }
}

fn em_piece() -> impl Strategy<Value = Em> {
    let id = any::<[u8; 5]>();
    prop_oneof![
        4 => id.prop_map(Em::Good),
        2 => id.prop_map(Em::BadChecksum),
        2 => (id, any::<usize>()).prop_map(|(i, n)| Em::Short(i, n)),
        2 => (id, any::<usize>()).prop_map(|(i, n)| Em::NonHex(i, n)),
        1 => Just(Em::Stx),
        1 => Just(Em::Etx),
        1 => Just(Em::Crlf),
        1 => prop::collection::vec(any::<u8>(), 0..30).prop_map(Em::Noise),
    ]
}

fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02X}")).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// Streams built from real frame structure, cut anywhere: the parser
    /// never panics (an empty information frame once did), and after the
    /// stream a good reply still reads. (That every frame of a clean stream
    /// is read, in order, is the next property.)
    #[test]
    fn pn532_parser_survives_structured_streams(pieces in prop::collection::vec(pn_piece(), 0..12), cuts in prop::collection::vec(0usize..300, 0..10)) {
        let reply = pn532::frame(0xD5, &[0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]);
        // An idle line (zeros) long enough to finish any frame left open.
        let stream: Vec<u8> = [pieces.iter().flat_map(Pn::bytes).collect(), vec![0u8; 262], reply].concat();
        let mut p = Parser::default();
        let mut out = Vec::new();
        for c in chunked(stream, &cuts) {
            p.push(&c, &mut out);
        }
        let uid = match out.last() { Some(Frame::Info { data, .. }) => pn532::target_uid(data), _ => None };
        prop_assert_eq!(uid.as_deref(), Some("DEADBEEF"));
    }

    /// A clean stream of frames (any lengths, the chip's short frames
    /// among them), cut anywhere, gives exactly its frames, in order.
    #[test]
    fn pn532_parser_reads_every_frame_of_a_clean_stream(pieces in prop::collection::vec(prop_oneof![
        (any::<u8>(), data()).prop_map(|(t, d)| Pn::Frame(t, d)), Just(Pn::Ack), Just(Pn::Nack), Just(Pn::Error)], 0..10),
        cuts in prop::collection::vec(0usize..300, 0..10)) {
        let stream: Vec<u8> = pieces.iter().flat_map(Pn::bytes).collect();
        let want: Vec<Frame> = pieces.iter().filter_map(Pn::frame).collect();
        let mut p = Parser::default();
        let mut out = Vec::new();
        for c in chunked(stream, &cuts) {
            p.push(&c, &mut out);
        }
        prop_assert_eq!(out, want);
        prop_assert_eq!(p.dropped, 0);
    }

    /// EM4100 streams from real frame structure (RDM6300 and ID-12LA), cut
    /// anywhere: no panic, only checksummed ids; and a good frame after an
    /// ETX still decodes.
    #[test]
    fn em4100_decoders_survive_structured_streams(pieces in prop::collection::vec(em_piece(), 0..12), cuts in prop::collection::vec(0usize..64, 0..8), last in any::<[u8; 5]>()) {
        for crlf in [false, true] {
            let mut stream: Vec<u8> = pieces.iter().flat_map(|p| p.bytes(crlf)).collect();
            stream.push(0x03);
            stream.extend(em_frame(last, crlf));
            let mut d = if crlf { Em4100::id12() } else { Em4100::rdm6300() };
            let out = feed(&mut d, &chunked(stream, &cuts));
            for c in &out {
                if let Decoded::Card(id) = c {
                    prop_assert_eq!(id.len(), 10);
                }
            }
            prop_assert_eq!(out.last(), Some(&Decoded::Card(hex(&last))));
            // A clean stream of good frames gives exactly its cards.
            let goods: Vec<[u8; 5]> = pieces.iter().filter_map(|p| if let Em::Good(id) = p { Some(*id) } else { None }).collect();
            let clean: Vec<u8> = goods.iter().flat_map(|id| em_frame(*id, crlf)).collect();
            let mut d = if crlf { Em4100::id12() } else { Em4100::rdm6300() };
            let cards: Vec<Decoded> = feed(&mut d, &chunked(clean, &cuts));
            prop_assert_eq!(cards, goods.iter().map(|id| Decoded::Card(hex(id))).collect::<Vec<_>>());
        }
    }
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

/// A reader whose thread ends for any reason (a panic no input should
/// reach, or a return while it should run) is reported as an error and
/// started again; it never dies silently.
#[test]
fn a_reader_thread_that_dies_is_reported_and_restarted() {
    let (tx, rx) = mpsc::channel();
    let runs = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let r = runs.clone();
    let h = reader::supervise(tx, move |ctx| {
        match r.fetch_add(1, std::sync::atomic::Ordering::SeqCst) {
            0 => panic!("index out of bounds: the len is 0 but the index is 0"),
            1 => return Ended::Stopped, // returned while it should run
            _ => {}
        }
        ctx.state(ReaderState::Connected, "fake".into());
        ctx.decoded(Decoded::Card("0100ABCDEF".into()), None);
        while !ctx.stopped() {
            ctx.sleep(Duration::from_millis(20));
        }
        Ended::Stopped
    })
    .unwrap();
    let detail = next_state(&rx, ReaderState::Error, WAIT);
    assert!(detail.contains("index out of bounds") && detail.contains("restarting"), "{detail}");
    let detail = next_state(&rx, ReaderState::Error, WAIT);
    assert!(detail.contains("ended unexpectedly"), "{detail}");
    next_state(&rx, ReaderState::Connected, WAIT);
    assert_eq!(next_card(&rx, WAIT).as_deref(), Some("0100ABCDEF"));
    drop(h);
    assert_eq!(runs.load(std::sync::atomic::Ordering::SeqCst), 3, "stopped for good once the handle is dropped");
}
