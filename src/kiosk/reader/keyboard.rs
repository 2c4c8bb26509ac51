//! USB HID keyboard-wedge readers through evdev. The device is grabbed
//! exclusively (`EVIOCGRAB`) so its keystrokes never reach the UI; its
//! `input_event` records are decoded here into characters and then into
//! lines like any line reader.

use super::frames::{Decoded, Decoder, LineFormat, Lines};

const EV_KEY: u16 = 1;
const KEY_PRESS: i32 = 1;

/// The character a key code types (digits, hex letters, Enter); other keys
/// (Shift, the rest of the alphabet) type nothing an id needs.
fn key_char(code: u16) -> Option<u8> {
    Some(match code {
        2..=10 => b'1' + (code - 2) as u8,
        11 => b'0',
        30 => b'A',
        48 => b'B',
        46 => b'C',
        32 => b'D',
        18 => b'E',
        33 => b'F',
        28 | 96 => b'\n', // Enter, keypad Enter
        82 => b'0',
        79 => b'1',
        80 => b'2',
        81 => b'3',
        75 => b'4',
        76 => b'5',
        77 => b'6',
        71 => b'7',
        72 => b'8',
        73 => b'9',
        _ => return None,
    })
}

/// The size of `struct input_event` on this platform (24 on 64-bit, 16 on 32-bit).
pub const EVENT_SIZE: usize = std::mem::size_of::<libc::input_event>();

/// Decodes raw `input_event` bytes (as read from `/dev/input/eventN`).
pub struct Keyboard {
    partial: Vec<u8>,
    lines: Lines,
}

impl Keyboard {
    pub fn new(format: LineFormat) -> Self {
        Keyboard { partial: Vec::new(), lines: Lines::new(format) }
    }

    /// Feeds one decoded event (type, code, value).
    pub fn event(&mut self, kind: u16, code: u16, value: i32, out: &mut Vec<Decoded>) {
        if kind == EV_KEY && value == KEY_PRESS {
            if let Some(c) = key_char(code) {
                self.lines.push(&[c], out);
            }
        }
    }
}

impl Decoder for Keyboard {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        self.partial.extend_from_slice(bytes);
        let whole = self.partial.len() / EVENT_SIZE * EVENT_SIZE;
        let data: Vec<u8> = self.partial.drain(..whole).collect();
        // type, code and value are the last 8 bytes of each record, after the timeval.
        let t = EVENT_SIZE - 8;
        for rec in data.chunks_exact(EVENT_SIZE) {
            let kind = u16::from_ne_bytes([rec[t], rec[t + 1]]);
            let code = u16::from_ne_bytes([rec[t + 2], rec[t + 3]]);
            let value = i32::from_ne_bytes([rec[t + 4], rec[t + 5], rec[t + 6], rec[t + 7]]);
            self.event(kind, code, value, out);
        }
    }
}

/// Encodes one event as the kernel writes it (for tests and recordings).
pub fn encode_event(kind: u16, code: u16, value: i32) -> Vec<u8> {
    let mut rec = vec![0u8; EVENT_SIZE];
    let t = EVENT_SIZE - 8;
    rec[t..t + 2].copy_from_slice(&kind.to_ne_bytes());
    rec[t + 2..t + 4].copy_from_slice(&code.to_ne_bytes());
    rec[t + 4..t + 8].copy_from_slice(&value.to_ne_bytes());
    rec
}

/// The key code that types a character (the inverse of the table above).
pub fn code_for(c: u8) -> Option<u16> {
    (0u16..128).find(|&code| key_char(code) == Some(c))
}

/// Grabs an evdev device exclusively: its keys then reach only us.
pub fn grab(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    // EVIOCGRAB = _IOW('E', 0x90, int)
    const EVIOCGRAB: libc::c_ulong = 0x4004_4590;
    // SAFETY: the fd is open for the file's lifetime; the ioctl takes an int by value.
    let r = unsafe { libc::ioctl(file.as_raw_fd(), EVIOCGRAB as _, 1 as libc::c_int) };
    if r < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A recorded scan of "0011259375⏎": key down, key up and SYN records,
    /// as a keyboard-wedge reader types it.
    fn recording(text: &str) -> Vec<u8> {
        let mut bytes = Vec::new();
        for c in text.bytes() {
            let code = code_for(c).unwrap();
            bytes.extend(encode_event(4, 4, 0x7001e)); // MSC_SCAN
            bytes.extend(encode_event(EV_KEY, code, 1));
            bytes.extend(encode_event(0, 0, 0)); // SYN_REPORT
            bytes.extend(encode_event(EV_KEY, code, 0));
            bytes.extend(encode_event(0, 0, 0));
        }
        bytes
    }

    #[test]
    fn recorded_events_decode_to_ids_across_split_reads() {
        let rec = recording("0011259375\n");
        let mut k = Keyboard::new(LineFormat::Decimal);
        let mut out = Vec::new();
        for chunk in rec.chunks(7) {
            k.push(chunk, &mut out);
        }
        assert_eq!(out, vec![Decoded::Card("#0011259375".into())]);
        let mut k = Keyboard::new(LineFormat::Hex);
        let mut out = Vec::new();
        k.push(&recording("04A1B2C3\n"), &mut out);
        assert_eq!(out, vec![Decoded::Card("04A1B2C3".into())]);
    }
}
