//! NXP PN532 over HSU (UART, 115200 8N1): the frame codec and a polling
//! driver for ISO 14443A UIDs (4 or 7 bytes).
//!
//! Frames (UM0701 §6.2): `00 00 FF LEN LCS TFI DATA… DCS 00` with
//! `LEN + LCS ≡ 0` and `TFI + DATA + DCS ≡ 0 (mod 256)`; ACK `00 00 FF 00 FF 00`,
//! NACK `00 00 FF FF 00 00`, error `00 00 FF 01 FF 7F 81 00`.

use std::io::{self, Read, Write};
use std::time::{Duration, Instant as Mono};

/// A frame as read from the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Ack,
    Nack,
    /// The chip's syntax-error frame.
    Error,
    /// An information frame: TFI (`D4` host→chip, `D5` chip→host) and data.
    Info {
        tfi: u8,
        data: Vec<u8>,
    },
}

/// Builds an information frame from host to chip (TFI `D4`).
pub fn command(data: &[u8]) -> Vec<u8> {
    frame(0xD4, data)
}

/// Builds an information frame with any TFI.
pub fn frame(tfi: u8, data: &[u8]) -> Vec<u8> {
    let len = (data.len() + 1) as u8;
    let sum = data.iter().fold(tfi, |a, b| a.wrapping_add(*b));
    let mut f = vec![0x00, 0x00, 0xFF, len, len.wrapping_neg(), tfi];
    f.extend_from_slice(data);
    f.push(sum.wrapping_neg());
    f.push(0x00);
    f
}

pub const ACK: [u8; 6] = [0x00, 0x00, 0xFF, 0x00, 0xFF, 0x00];
pub const NACK: [u8; 6] = [0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00];
/// HSU wake-up: a long preamble before the first command.
pub const WAKE_UP: [u8; 16] = [0x55, 0x55, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
/// SAMConfiguration, normal mode, timeout 1 s, IRQ on.
pub const SAM_CONFIGURATION: [u8; 4] = [0x14, 0x01, 0x14, 0x01];
/// InListPassiveTarget: one target, 106 kbps type A.
pub const IN_LIST_PASSIVE_TARGET: [u8; 3] = [0x4A, 0x01, 0x00];

/// Incremental frame parser: resynchronizes on the start code after any
/// corruption; counts what it drops.
#[derive(Debug, Default)]
pub struct Parser {
    buf: Vec<u8>,
    pub dropped: u64,
}

impl Parser {
    pub fn push(&mut self, bytes: &[u8], out: &mut Vec<Frame>) {
        self.buf.extend_from_slice(bytes);
        loop {
            // Find the start code 00 FF.
            let Some(start) = self.buf.windows(2).position(|w| w == [0x00, 0xFF]) else {
                // Keep a trailing 00 that may begin a start code.
                let keep = usize::from(self.buf.last() == Some(&0x00));
                self.buf.drain(..self.buf.len() - keep);
                return;
            };
            self.buf.drain(..start);
            if self.buf.len() < 4 {
                return;
            }
            let (len, lcs) = (self.buf[2], self.buf[3]);
            match (len, lcs) {
                (0x00, 0xFF) => {
                    self.buf.drain(..4);
                    out.push(Frame::Ack);
                    continue;
                }
                (0xFF, 0x00) => {
                    self.buf.drain(..4);
                    out.push(Frame::Nack);
                    continue;
                }
                _ => {}
            }
            // LEN + LCS must be 0, and an information frame holds at least
            // its TFI: LEN = 0 with LCS = 0 passes the sum but has no body.
            if len.wrapping_add(lcs) != 0 || len == 0 {
                self.dropped += 1;
                self.buf.drain(..2);
                continue;
            }
            let need = 4 + len as usize + 1;
            if self.buf.len() < need {
                return;
            }
            let body = &self.buf[4..4 + len as usize];
            let dcs = self.buf[4 + len as usize];
            let sum = body.iter().fold(dcs, |a, b| a.wrapping_add(*b));
            if sum != 0 {
                self.dropped += 1;
                self.buf.drain(..2);
                continue;
            }
            let f = if body == [0x7F] { Frame::Error } else { Frame::Info { tfi: body[0], data: body[1..].to_vec() } };
            self.buf.drain(..need);
            out.push(f);
        }
    }
}

/// The UID of the first target in an InListPassiveTarget reply
/// (`4B NbTg Tg SENS_RES(2) SEL_RES NFCIDLength NFCID…`), as uppercase hex.
pub fn target_uid(data: &[u8]) -> Option<String> {
    if data.first() != Some(&0x4B) || data.get(1).copied().unwrap_or(0) == 0 {
        return None;
    }
    let n = *data.get(6)? as usize;
    if n != 4 && n != 7 {
        return None;
    }
    let uid = data.get(7..7 + n)?;
    Some(uid.iter().map(|b| format!("{b:02X}")).collect())
}

/// What a poll found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Poll {
    Card(String),
    Nothing,
}

/// A PN532 driver over any byte port whose reads time out (a serial port).
pub struct Driver<P: Read + Write> {
    port: P,
    parser: Parser,
    pending: Vec<Frame>,
    ready: bool,
    /// When the last read of the port began: past a deadline, the port is
    /// read once more, and once only (see [`Driver::next_frame`]).
    last_read: Mono,
    /// How long one InListPassiveTarget waits for a card before it is aborted.
    pub poll_window: Duration,
}

fn timeout() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "PN532 did not answer")
}

impl<P: Read + Write> Driver<P> {
    pub fn new(port: P) -> Self {
        Driver {
            port,
            parser: Parser::default(),
            pending: Vec::new(),
            ready: false,
            last_read: Mono::now(),
            poll_window: Duration::from_millis(500),
        }
    }

    pub fn dropped(&self) -> u64 {
        self.parser.dropped
    }

    /// Reads until a frame arrives or the deadline passes. Once the deadline
    /// has passed the port is still read once: a thread woken late (a loaded
    /// Pi) must not give up on an ACK already waiting in the buffer, which
    /// would lose the card reply behind it. Once, not once a call: callers
    /// ask again after each frame they skip, and a device streaming frames
    /// would otherwise keep the exchange going for ever.
    fn next_frame(&mut self, deadline: Mono) -> io::Result<Option<Frame>> {
        let mut buf = [0u8; 64];
        loop {
            if !self.pending.is_empty() {
                return Ok(Some(self.pending.remove(0)));
            }
            if self.last_read >= deadline {
                return Ok(None);
            }
            self.last_read = Mono::now();
            match self.port.read(&mut buf) {
                Ok(0) => return Err(io::Error::new(io::ErrorKind::BrokenPipe, "reader closed")),
                Ok(n) => self.parser.push(&buf[..n], &mut self.pending),
                Err(e) if e.kind() == io::ErrorKind::TimedOut || e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Sends a command and waits for its ACK and its reply (`D5`, command + 1).
    fn exchange(&mut self, data: &[u8], reply_within: Duration) -> io::Result<Option<Vec<u8>>> {
        self.port.write_all(&command(data))?;
        self.port.flush()?;
        let ack_deadline = Mono::now() + Duration::from_millis(100);
        loop {
            match self.next_frame(ack_deadline)? {
                Some(Frame::Ack) => break,
                Some(Frame::Nack) | Some(Frame::Error) | None => {
                    self.ready = false;
                    return Err(timeout());
                }
                Some(Frame::Info { .. }) => {} // a stale reply: skip
            }
        }
        let deadline = Mono::now() + reply_within;
        loop {
            match self.next_frame(deadline)? {
                Some(Frame::Info { tfi: 0xD5, data: reply })
                    if reply.first().copied() == data.first().map(|c| c.wrapping_add(1)) =>
                {
                    return Ok(Some(reply));
                }
                Some(Frame::Error) => {
                    self.ready = false;
                    return Err(io::Error::other("PN532 reported a frame error"));
                }
                Some(_) => {}
                None => return Ok(None),
            }
        }
    }

    /// Wakes the chip and configures the SAM (normal mode).
    pub fn init(&mut self) -> io::Result<()> {
        self.port.write_all(&WAKE_UP)?;
        self.pending.clear();
        match self.exchange(&SAM_CONFIGURATION, Duration::from_millis(500))? {
            Some(_) => {
                self.ready = true;
                Ok(())
            }
            None => Err(timeout()),
        }
    }

    /// One poll for a card: InListPassiveTarget, aborted with an ACK when no
    /// card answers within the poll window (the chip would wait forever).
    pub fn poll(&mut self) -> io::Result<Poll> {
        if !self.ready {
            self.init()?;
        }
        match self.exchange(&IN_LIST_PASSIVE_TARGET, self.poll_window)? {
            Some(reply) => Ok(target_uid(&reply).map_or(Poll::Nothing, Poll::Card)),
            None => {
                self.port.write_all(&ACK)?;
                self.port.flush()?;
                Ok(Poll::Nothing)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_match_the_field_notes() {
        assert_eq!(
            command(&SAM_CONFIGURATION),
            [0x00, 0x00, 0xFF, 0x05, 0xFB, 0xD4, 0x14, 0x01, 0x14, 0x01, 0x02, 0x00]
        );
        assert_eq!(
            command(&IN_LIST_PASSIVE_TARGET),
            [0x00, 0x00, 0xFF, 0x04, 0xFC, 0xD4, 0x4A, 0x01, 0x00, 0xE1, 0x00]
        );
    }

    #[test]
    fn parser_reads_ack_replies_and_errors_through_noise() {
        let reply4 = frame(0xD5, &[0x4B, 0x01, 0x01, 0x00, 0x04, 0x08, 0x04, 0xDE, 0xAD, 0xBE, 0xEF]);
        let reply7 = frame(0xD5, &[0x4B, 0x01, 0x01, 0x00, 0x44, 0x00, 0x07, 0x04, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66]);
        let err = [0x00, 0x00, 0xFF, 0x01, 0xFF, 0x7F, 0x81, 0x00];
        let stream: Vec<u8> = [&b"\x13\xff"[..], &ACK, &reply4, &err, &NACK, &reply7].concat();
        let mut p = Parser::default();
        let mut out = Vec::new();
        for chunk in stream.chunks(3) {
            p.push(chunk, &mut out);
        }
        assert_eq!(out.len(), 5);
        assert_eq!(out[0], Frame::Ack);
        let Frame::Info { data, .. } = &out[1] else { panic!() };
        assert_eq!(target_uid(data).as_deref(), Some("DEADBEEF"));
        assert_eq!(out[2], Frame::Error);
        assert_eq!(out[3], Frame::Nack);
        let Frame::Info { data, .. } = &out[4] else { panic!() };
        assert_eq!(target_uid(data).as_deref(), Some("04112233445566"));
    }

    #[test]
    fn an_empty_information_frame_is_dropped_not_a_panic() {
        // LEN = 0, LCS = 0: the length checksum holds, but there is no TFI.
        let mut p = Parser::default();
        let mut out = Vec::new();
        p.push(&[0x00, 0xFF, 0x00, 0x00, 0x00], &mut out);
        assert!(out.is_empty());
        assert_eq!(p.dropped, 1);
        p.push(&frame(0xD5, &[0x15]), &mut out);
        assert_eq!(out, vec![Frame::Info { tfi: 0xD5, data: vec![0x15] }], "the next frame still reads");
    }

    #[test]
    fn corrupt_frames_are_dropped_and_the_next_one_is_read() {
        let mut bad = frame(0xD5, &[0x15]);
        let n = bad.len();
        bad[n - 2] ^= 1; // DCS
        let stream: Vec<u8> = [&bad[..], &frame(0xD5, &[0x15])].concat();
        let mut p = Parser::default();
        let mut out = Vec::new();
        p.push(&stream, &mut out);
        assert_eq!(out, vec![Frame::Info { tfi: 0xD5, data: vec![0x15] }]);
        assert_eq!(p.dropped, 1);
    }

    /// A port that answers each read from a script, then times out, as a
    /// serial port with a read timeout does.
    struct Scripted {
        reads: std::collections::VecDeque<Vec<u8>>,
        /// Answer every read with an ACK, for ever (a device gone wild).
        acks_for_ever: bool,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            std::thread::sleep(Duration::from_millis(1));
            let bytes = match self.reads.pop_front() {
                Some(b) => b,
                None if self.acks_for_ever => ACK.to_vec(),
                None => return Err(io::Error::new(io::ErrorKind::TimedOut, "no bytes")),
            };
            buf[..bytes.len()].copy_from_slice(&bytes);
            Ok(bytes.len())
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn an_ack_waiting_when_the_deadline_has_passed_is_still_read() {
        let port = Scripted { reads: [ACK.to_vec()].into(), acks_for_ever: false };
        let mut d = Driver::new(port);
        let deadline = Mono::now();
        std::thread::sleep(Duration::from_millis(2)); // woken late
        assert_eq!(d.next_frame(deadline).unwrap(), Some(Frame::Ack));
        assert_eq!(d.next_frame(deadline).unwrap(), None, "one read past the deadline, no more");
    }

    #[test]
    fn a_device_streaming_frames_cannot_hold_an_exchange_open() {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut d = Driver::new(Scripted { reads: Default::default(), acks_for_ever: true });
            let _ = tx.send(d.exchange(&IN_LIST_PASSIVE_TARGET, Duration::from_millis(50)).map_err(|e| e.to_string()));
        });
        let answer = rx.recv_timeout(Duration::from_secs(10)).expect("the exchange ended at its deadline");
        assert_eq!(answer, Ok(None), "no reply: the poll window ran out");
    }
}
