//! Byte-stream decoders for badge readers. Pure and total: any byte stream
//! gives card ids and counted drops, never a panic. Each decoder keeps
//! what it needs between reads, so frames split across reads or glued
//! together decode the same.

/// What a decoder makes of the bytes so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decoded {
    /// A card id, normalized as the store keeps it (uppercase hex, or `#…`).
    Card(String),
    /// A corrupt or partial frame, dropped; the reason says which.
    Dropped(&'static str),
}

/// A decoder of one reader's byte stream.
pub trait Decoder: Send {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Decoded>);
}

const STX: u8 = 0x02;
const ETX: u8 = 0x03;

/// EM4100 ASCII frames: RDM6300 (`STX, 10 hex, 2 hex checksum, ETX`) and
/// ID-12LA/ID-20LA (the same with `CR LF` before `ETX`). The checksum is
/// the XOR of the five data bytes.
#[derive(Debug, Default)]
pub struct Em4100 {
    crlf: bool,
    buf: Vec<u8>,
    in_frame: bool,
}

impl Em4100 {
    pub fn rdm6300() -> Self {
        Em4100 { crlf: false, ..Default::default() }
    }

    pub fn id12() -> Self {
        Em4100 { crlf: true, ..Default::default() }
    }

    fn body_len(&self) -> usize {
        if self.crlf {
            14
        } else {
            12
        }
    }

    fn finish(&mut self) -> Decoded {
        let body = std::mem::take(&mut self.buf);
        if body.len() != self.body_len() {
            return Decoded::Dropped("frame of the wrong length");
        }
        if self.crlf && &body[12..] != b"\r\n" {
            return Decoded::Dropped("frame without CR LF");
        }
        let mut bytes = [0u8; 6];
        for (i, pair) in body[..12].chunks(2).enumerate() {
            match std::str::from_utf8(pair).ok().and_then(|s| u8::from_str_radix(s, 16).ok()) {
                Some(b) => bytes[i] = b,
                None => return Decoded::Dropped("frame with a non-hex character"),
            }
        }
        let xor = bytes[..5].iter().fold(0, |a, b| a ^ b);
        if xor != bytes[5] {
            return Decoded::Dropped("bad checksum");
        }
        Decoded::Card(bytes[..5].iter().map(|b| format!("{b:02X}")).collect())
    }
}

impl Decoder for Em4100 {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        for &b in bytes {
            match b {
                STX => {
                    if self.in_frame {
                        out.push(Decoded::Dropped("partial frame"));
                    }
                    self.buf.clear();
                    self.in_frame = true;
                }
                ETX if self.in_frame => {
                    self.in_frame = false;
                    out.push(self.finish());
                }
                _ if self.in_frame => {
                    if self.buf.len() >= self.body_len() {
                        self.in_frame = false;
                        self.buf.clear();
                        out.push(Decoded::Dropped("frame too long"));
                    } else {
                        self.buf.push(b);
                    }
                }
                // Noise between frames.
                _ => {}
            }
        }
    }
}

/// How a line reader spells ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineFormat {
    Hex,
    /// The EM4100 printed number (decimal, the card's last 4 bytes).
    Decimal,
}

const MAX_LINE: usize = 64;

/// One id per line (barcode/QR scanners, USB-serial readers in ASCII mode,
/// keyboard-wedge readers after key decoding). CR, LF or both end a line.
#[derive(Debug)]
pub struct Lines {
    format: LineFormat,
    buf: Vec<u8>,
    overflow: bool,
}

impl Lines {
    pub fn new(format: LineFormat) -> Self {
        Lines { format, buf: Vec::new(), overflow: false }
    }

    fn finish(&mut self) -> Option<Decoded> {
        let line = std::mem::take(&mut self.buf);
        if std::mem::take(&mut self.overflow) {
            return Some(Decoded::Dropped("line too long"));
        }
        let text = String::from_utf8_lossy(&line);
        let t = text.trim();
        if t.is_empty() {
            return None;
        }
        Some(match self.format {
            LineFormat::Hex => match crate::domain::cards::normalize(t) {
                Ok(id) if !id.starts_with('#') => Decoded::Card(id),
                _ => Decoded::Dropped("line is not a hex id"),
            },
            LineFormat::Decimal => {
                if t.bytes().all(|b| b.is_ascii_digit()) {
                    match crate::domain::cards::normalize(&format!("#{t}")) {
                        Ok(id) => Decoded::Card(id),
                        Err(_) => Decoded::Dropped("decimal id over 4 bytes"),
                    }
                } else {
                    Decoded::Dropped("line is not a decimal id")
                }
            }
        })
    }
}

impl Decoder for Lines {
    fn push(&mut self, bytes: &[u8], out: &mut Vec<Decoded>) {
        for &b in bytes {
            if b == b'\n' || b == b'\r' {
                if let Some(d) = self.finish() {
                    out.push(d);
                }
            } else if self.buf.len() >= MAX_LINE {
                self.overflow = true;
            } else {
                self.buf.push(b);
            }
        }
    }
}

/// One hold of a card is one scan: readers repeat the frame while a card
/// stays on them. A card read again within `gap_ms` of its last read is the
/// same hold.
#[derive(Debug)]
pub struct HoldFilter {
    gap_ms: i64,
    last: Option<(String, i64)>,
}

impl HoldFilter {
    pub fn new(gap_ms: i64) -> Self {
        HoldFilter { gap_ms, last: None }
    }

    /// Whether a read of `card` at `now_ms` (a monotonic clock) is a new scan.
    pub fn accept(&mut self, card: &str, now_ms: i64) -> bool {
        let same_hold = matches!(&self.last, Some((c, t)) if c == card && now_ms - t < self.gap_ms);
        self.last = Some((card.to_string(), now_ms));
        !same_hold
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The frame of FIELD-NOTES.md for card 0100ABCDEF.
    const RDM: [u8; 14] = [0x02, 0x30, 0x31, 0x30, 0x30, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x38, 0x38, 0x03];

    fn decode(d: &mut dyn Decoder, chunks: &[&[u8]]) -> Vec<Decoded> {
        let mut out = Vec::new();
        for c in chunks {
            d.push(c, &mut out);
        }
        out
    }

    #[test]
    fn rdm6300_byte_exact_split_glued_and_noisy() {
        let card = Decoded::Card("0100ABCDEF".into());
        assert_eq!(decode(&mut Em4100::rdm6300(), &[&RDM]), vec![card.clone()]);
        assert_eq!(decode(&mut Em4100::rdm6300(), &[&RDM[..3], &RDM[3..9], &RDM[9..]]), vec![card.clone()]);
        let glued: Vec<u8> = [&RDM[..], &RDM[..]].concat();
        assert_eq!(decode(&mut Em4100::rdm6300(), &[&glued]), vec![card.clone(), card.clone()]);
        let noisy: Vec<u8> = [&b"\xff\x00zz"[..], &RDM, b"\x13\x37", &RDM].concat();
        assert_eq!(decode(&mut Em4100::rdm6300(), &[&noisy]), vec![card.clone(), card]);
    }

    #[test]
    fn rdm6300_bad_frames_are_dropped() {
        let mut bad = RDM;
        bad[12] = b'9';
        assert_eq!(decode(&mut Em4100::rdm6300(), &[&bad]), vec![Decoded::Dropped("bad checksum")]);
        let partial: Vec<u8> = [&RDM[..6], &RDM[..]].concat();
        let out = decode(&mut Em4100::rdm6300(), &[&partial]);
        assert_eq!(out, vec![Decoded::Dropped("partial frame"), Decoded::Card("0100ABCDEF".into())]);
        let mut nonhex = RDM;
        nonhex[3] = b'G';
        assert_eq!(
            decode(&mut Em4100::rdm6300(), &[&nonhex]),
            vec![Decoded::Dropped("frame with a non-hex character")]
        );
    }

    #[test]
    fn id12_needs_crlf() {
        let frame: Vec<u8> = [&RDM[..13], b"\r\n\x03"].concat();
        assert_eq!(decode(&mut Em4100::id12(), &[&frame]), vec![Decoded::Card("0100ABCDEF".into())]);
        assert_eq!(decode(&mut Em4100::id12(), &[&RDM]), vec![Decoded::Dropped("frame of the wrong length")]);
    }

    #[test]
    fn lines_hex_and_decimal() {
        let out = decode(&mut Lines::new(LineFormat::Hex), &[b"04a1b2", b"c3\r\n\r\nzz\n"]);
        assert_eq!(out, vec![Decoded::Card("04A1B2C3".into()), Decoded::Dropped("line is not a hex id")]);
        let out = decode(&mut Lines::new(LineFormat::Decimal), &[b"0011259375\n12x\n"]);
        assert_eq!(out, vec![Decoded::Card("#0011259375".into()), Decoded::Dropped("line is not a decimal id")]);
        let long = vec![b'1'; 200];
        let out = decode(&mut Lines::new(LineFormat::Decimal), &[&long, b"\n"]);
        assert_eq!(out, vec![Decoded::Dropped("line too long")]);
    }

    #[test]
    fn a_held_card_is_one_scan() {
        let mut h = HoldFilter::new(500);
        assert!(h.accept("A", 0));
        assert!(!h.accept("A", 200));
        assert!(!h.accept("A", 650), "still held: 450 ms after the last read");
        assert!(h.accept("A", 1200), "lifted and scanned again");
        assert!(h.accept("B", 1250));
        assert!(h.accept("A", 1300));
    }
}
